//! Helpers shared by Podterm's test suites (the `podterm-tests` package in `tests/`, and the
//! single-crate tests beside their code) and by `podterm-bench`:
//!
//! - [`kubectl`]: the kubectl binaries under test (`PODTERM_KUBECTLS`, else `/usr/bin/kubectl`
//!   and the pinned `.venv/bin/kubectl`, as `scripts/kubectls.sh` lists them);
//! - [`pty`]: a client under a pseudo-terminal;
//! - [`cluster`]: testcluster in this process or as a `testcluster serve` child, and waits on
//!   its sessions and processes;
//! - [`client`]: a command-line client run to completion with a time limit;
//! - [`cp`]: what the `podterm cp` suites share (runs, remote specs, waits, tool-only images);
//! - [`files`]: a file of random bytes, a file's sha256;
//! - [`portforward`]: an echo server in a pod, a forward as a child, exchanges through it;
//! - [`bin`]: binaries of other workspace packages (the `podterm` CLI), built by cargo on demand;
//! - [`proxy`]: real proxies and load balancers (haproxy, tinyproxy, microsocks) on loopback;
//! - [`hostile`]: a scriptable API server that misbehaves on purpose (hardening tests);
//! - [`require_keyring`]: the check that a Secret Service is there.

pub mod bin;
pub mod client;
pub mod cluster;
pub mod cp;
pub mod files;
pub mod hostile;
pub mod kubectl;
pub mod portforward;
pub mod proxy;
pub mod pty;

use std::path::{Path, PathBuf};

/// What went wrong in a helper that reports instead of panicking (the bench's side).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pseudo-terminal call failed.
    #[error("{what}: {source}")]
    Pty {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file or process call failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// `testcluster serve` did not say where it serves.
    #[error(
        "testcluster printed no 'testcluster serving at URL' line within 30 s; its log:\n{log}"
    )]
    NoUrl { log: String },
    /// `testcluster serve` started but wrote no kubeconfig.
    #[error("testcluster did not write {0}")]
    NoKubeconfig(PathBuf),
}

impl Error {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    pub(crate) fn pty<E: Into<Box<dyn std::error::Error + Send + Sync>>>(
        what: impl Into<String>,
    ) -> impl FnOnce(E) -> Error {
        let what = what.into();
        move |e| Error::Pty {
            what,
            source: e.into(),
        }
    }
}

/// The repository's root (this crate lives in `tests/support`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails unless a Secret Service is reachable (tests that store credentials in the keyring).
pub fn require_keyring() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "these tests need a Secret Service: run them with `make test` or `bash scripts/with-keyring.sh cargo test`"
    );
}

/// Whether the Secret Service holds an item with these `service` and `username` attributes
/// (`secret-tool lookup`). One exact lookup, not a listing: tests running beside each other add
/// and remove their own items, and a listing that meets an item deleted mid-read fails as a
/// whole. The secret goes to a pipe that is dropped, never into a message.
pub fn keyring_has(service: &str, account: &str) -> bool {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .expect("secret-tool (package libsecret-tools) runs");
    out.status.success() && !out.stdout.is_empty()
}

/// The secret the keyring holds for `service` and `account`, if any.
pub fn keyring_value(service: &str, account: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .expect("secret-tool (package libsecret-tools) runs");
    (out.status.success() && !out.stdout.is_empty())
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every file under `dir`, recursively, with its bytes (a test that looks for secrets reads
/// them all: an unreadable file fails it).
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read a file under the dir");
                out.push((p, bytes));
            }
        }
    }
    out
}

/// `len` bytes of reproducible noise (xorshift64 from `seed`, which must not be 0): data that
/// no transport compresses or mangles unnoticed.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; len];
    let mut x = seed;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    data
}
