//! A command-line client (podterm, kubectl) run to completion: stdin fed from memory or
//! /dev/null, stdout and stderr collected, killed if it outlives a time limit.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

/// What a client did.
#[derive(Debug)]
pub struct Output {
    /// The exit code; -1 when a signal ended it.
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `cmd` with `stdin` (closed after it; `None`: /dev/null). Panics if it does not start
/// or does not end within `limit`.
pub async fn run(
    mut cmd: tokio::process::Command,
    stdin: Option<Vec<u8>>,
    limit: Duration,
) -> Output {
    let what = format!("{:?}", cmd.as_std());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    if let Some(data) = stdin {
        let mut w = child.stdin.take().expect("stdin");
        tokio::spawn(async move {
            let _ = w.write_all(&data).await;
            let _ = w.shutdown().await;
        });
    }
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} hung (over {limit:?})"))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// A client started against a cluster (its `kubeconfig`, a `home` of its own) with stdin from
/// /dev/null and stdout and stderr piped, to be read as they come; killed when dropped.
pub fn spawn(
    bin: &std::path::Path,
    kubeconfig: &std::path::Path,
    home: &std::path::Path,
    args: &[&str],
) -> tokio::process::Child {
    tokio::process::Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", bin.display()))
}

/// The rest of a [`spawn`]ed client's stdout and its exit code, once it ends (within `limit`).
pub async fn finish(child: &mut tokio::process::Child, limit: Duration) -> (Option<i32>, String) {
    use tokio::io::AsyncReadExt as _;
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let read = out.read_to_string(&mut stdout);
        tokio::time::timeout(limit, read)
            .await
            .unwrap_or_else(|_| panic!("stdout still open after {limit:?}"))
            .expect("stdout");
    }
    let status = tokio::time::timeout(limit, child.wait())
        .await
        .unwrap_or_else(|_| panic!("still running after {limit:?}"))
        .expect("status");
    (status.code(), stdout)
}
