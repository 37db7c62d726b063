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
