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
    let out = Command::new(&cargo)
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
