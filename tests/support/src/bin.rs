//! Binaries of other workspace packages. Cargo's `CARGO_BIN_EXE_<name>` only names the binaries
//! of a test's own package, so the suites in `tests/` ask cargo, once per test binary, in this
//! test's profile: `cargo build --workspace --tests --bin NAME`, which builds the binary if it
//! is missing or stale and otherwise returns at once. `--workspace --tests` resolves features as
//! `cargo test --workspace` (`make test`, `make check`) does, so the binary's dependencies are
//! the ones that run already built, not a second build of them with other features. The path
//! comes from cargo's own report of the build.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The `podterm` CLI (package `podterm-cli`).
pub fn podterm() -> PathBuf {
    workspace_binary("podterm")
}

/// The cargo profile this test was built in: `target/<dir>/deps/<test>` → `dev` for `debug`.
fn profile() -> String {
    let exe = std::env::current_exe().expect("this test's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "debug".into());
    match dir.as_str() {
        "debug" => "dev".into(),
        _ => dir,
    }
}

/// Whether `cargo test` set `var` for this test (its package's manifest, name and version, its
/// binaries, its temporary directory), so the cargo started here must not inherit it. Cargo
/// records the variables a build script reads (`rerun-if-env-changed`) from its own
/// environment: ring's build script reads `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`, which a shell
/// never has, so a cargo started with this test's would find that script changed and rebuild
/// everything above ring (rustls, kube, podterm-core: 2–6 minutes on two cores), and the next
/// cargo started from a shell would rebuild it all back.
pub fn set_by_cargo_for_tests(var: &str) -> bool {
    var.starts_with("CARGO_PKG_")
        || var.starts_with("CARGO_BIN_EXE_")
        || matches!(
            var,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        )
}

/// Builds (if needed) the workspace's binary `name`; its path.
pub fn workspace_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    // `cargo test` gives its tests CARGO (the cargo running them).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(&cargo);
    for (var, _) in std::env::vars_os() {
        if var.to_str().is_some_and(set_by_cargo_for_tests) {
            build.env_remove(var);
        }
    }
    let out = build
        .args([
            "build",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
        .args([
            "--workspace",
            "--tests",
            "--bin",
            name,
            "--profile",
            &profile(),
        ])
        .current_dir(crate::repo_root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cargo ({}) does not run: {e}", cargo.to_string_lossy()));
    assert!(
        out.status.success(),
        "cargo build --workspace --tests --bin {name} failed ({})",
        out.status
    );
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact"
                && m["target"]["name"] == name
                && m["target"]["kind"][0] == "bin"
                && m["profile"]["test"] == false
        })
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo built no executable {name}"));
    built.insert(name.to_string(), path.clone());
    path
}

#[cfg(test)]
mod tests {
    use super::set_by_cargo_for_tests;

    /// What `cargo test` sets for a test is left out; what a user sets for cargo is passed on.
    #[test]
    fn only_what_cargo_test_sets_is_left_out() {
        for var in [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_EXE_podterm",
            "CARGO_TARGET_TMPDIR",
            "OUT_DIR",
        ] {
            assert!(set_by_cargo_for_tests(var), "{var}");
        }
        for var in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_INCREMENTAL",
            "CARGO_TERM_COLOR",
            "CARGO_BUILD_JOBS",
            "PATH",
        ] {
            assert!(!set_by_cargo_for_tests(var), "{var}");
        }
    }
}
