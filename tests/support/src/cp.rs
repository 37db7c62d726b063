//! What the `podterm cp` suites share (`tests/cli/cp.rs`, `tests/cli/cpranges.rs`): the CLI run
//! against a testcluster with a home of its own, remote specs, waits on a condition, and
//! container images made of a few of this machine's tools.

use crate::client;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testcluster::TestCluster;

/// How a `podterm` run ended.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `exe args` with the cluster's kubeconfig and an empty home, up to 5 minutes.
pub async fn run(exe: &Path, c: &TestCluster, args: &[&str]) -> Out {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env("HOME", home.path());
    let out = client::run(cmd, None, Duration::from_secs(300)).await;
    Out {
        code: out.code,
        stdout: out.stdout_text(),
        stderr: out.stderr_text(),
    }
}

/// [`run`], which must succeed (its output is the failure's message).
pub async fn ok(exe: &Path, c: &TestCluster, args: &[&str]) -> Out {
    let out = run(exe, c, args).await;
    assert_eq!(
        out.code,
        0,
        "{} {args:?}: {}{}",
        exe.display(),
        out.stdout,
        out.stderr
    );
    out
}

/// A path as the `&str` an argument needs.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `demo/POD:PATH`.
pub fn remote_in(pod: &str, p: &Path) -> String {
    format!("demo/{pod}:{}", s(p))
}

/// Waits until `f` holds, polling every 2 ms; fails the test after `deadline`.
pub async fn until(what: &str, deadline: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A directory of links to the host's `tools`: an image with only those.
pub fn image_with(work: &Path, name: &str, tools: &[&str]) -> PathBuf {
    let dir = work.join(format!("{name}-bin"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    for t in tools {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(t))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("{t} is not on this machine"));
        std::os::unix::fs::symlink(found, dir.join(t)).expect("symlink");
    }
    dir
}
