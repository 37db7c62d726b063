//! Shared test helpers: the kubectl binaries to run, a cluster per test, process-leak checks.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;
use testcluster::{Options, TestCluster};

/// The kubectl binaries under test: `PODTERM_KUBECTLS` (colon-separated), else `/usr/bin/kubectl`
/// and the repo's `.venv/bin/kubectl` where they exist. No kubectl at all is a failure, not a skip.
pub fn kubectls() -> Vec<PathBuf> {
    let list: Vec<PathBuf> = match std::env::var("PODTERM_KUBECTLS") {
        Ok(v) if !v.trim().is_empty() => v
            .split(':')
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
        _ => {
            let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
            [
                PathBuf::from("/usr/bin/kubectl"),
                repo.join(".venv/bin/kubectl"),
            ]
            .into_iter()
            .filter(|p| p.exists())
            .collect()
        }
    };
    assert!(
        !list.is_empty(),
        "no kubectl found: run `make deps` (installs a pinned kubectl into .venv) or set PODTERM_KUBECTLS"
    );
    for k in &list {
        assert!(
            k.exists(),
            "kubectl {} from PODTERM_KUBECTLS does not exist",
            k.display()
        );
    }
    list
}

pub async fn demo() -> TestCluster {
    TestCluster::start(Options::demo())
        .await
        .expect("testcluster starts")
}

/// Waits until the cluster's session count drops to `n` (sessions end asynchronously).
pub async fn wait_sessions(c: &TestCluster, n: usize) {
    for _ in 0..250 {
        if c.sessions() <= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("sessions still open: {} (want {n})", c.sessions());
}

/// Waits until only `n` processes of the cluster are alive (main processes of demo pods stay).
pub async fn wait_processes(c: &TestCluster, n: usize) {
    let mut last = vec![];
    for _ in 0..250 {
        last = c.processes();
        if last.len() <= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cmds: Vec<String> = last
        .iter()
        .map(|p| {
            std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                .unwrap_or_default()
                .replace('\0', " ")
        })
        .collect();
    panic!("leaked processes: {cmds:?} (want at most {n})");
}
