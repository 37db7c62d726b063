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

/// Runs `cmd` (stdin from /dev/null) as [`run`] does, with `then` done once its stdout has begun
/// with `first`: the session is up, so what follows tests what the client does from there (a
/// pod deleted, a server restarted), not whether it started in time. Panics if it ends before
/// `first`, or does not get there or end within `limit`.
pub async fn run_then(
    mut cmd: tokio::process::Command,
    first: &[u8],
    then: impl std::future::Future<Output = ()>,
    limit: Duration,
) -> Output {
    use tokio::io::AsyncReadExt as _;
    let what = format!("{:?}", cmd.as_std());
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let stderr = tokio::spawn(async move {
        let mut text = Vec::new();
        let _ = err.read_to_end(&mut text).await;
        text
    });
    let mut stdout = Vec::new();
    let mut buf = [0u8; 4096];
    while !stdout.starts_with(first) {
        let n = tokio::time::timeout(limit, out.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{what}: no {first:?} within {limit:?}"))
            .expect("stdout");
        if n == 0 {
            let text = stderr.await.unwrap_or_default();
            panic!(
                "{what} ended before {first:?}: stdout {:?}, stderr {:?}",
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&text)
            );
        }
        stdout.extend_from_slice(&buf[..n]);
    }
    then.await;
    tokio::time::timeout(limit, out.read_to_end(&mut stdout))
        .await
        .unwrap_or_else(|_| panic!("{what} hung (over {limit:?})"))
        .expect("stdout");
    let status = tokio::time::timeout(limit, child.wait())
        .await
        .unwrap_or_else(|_| panic!("{what} hung (over {limit:?})"))
        .expect("status");
    Output {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: stderr.await.unwrap_or_default(),
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
    spawn_env(bin, kubeconfig, home, args, &[])
}

/// As [`spawn`], with more variables in its environment.
pub fn spawn_env(
    bin: &std::path::Path,
    kubeconfig: &std::path::Path,
    home: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> tokio::process::Child {
    tokio::process::Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .envs(env.iter().copied())
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
