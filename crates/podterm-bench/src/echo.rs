//! Keystroke echo round trips: one byte typed, the same byte seen coming back.
//!
//! The remote side is `sh -c 'echo READY; exec cat'` on testcluster's PTY with echo on: the
//! remote terminal echoes each key at once (as a shell's line editor would), `cat` itself sees
//! nothing until a newline. Keys are `a`s without a newline (the remote line holds 4095).
//!
//! - Through a client: the client runs with `-i -t` on a local PTY; the bench types into the
//!   master and reads the echo from it.
//! - The engine alone: a podterm-core `Session` in this process; bytes go in through
//!   `Input::send` and come out of `Session::stdout`.

use crate::clients::{Client, RunEnv, Watchdog};
use crate::stats::Latency;
use crate::Ctx;
use bytes::Bytes;
use podterm_core::cluster::Cluster;
use podterm_core::exec::{ExecSpec, Session, Tuning};
use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

const READY: &[u8] = b"READY\r\n";
const SCRIPT: &str = "echo READY; exec cat";
/// Longest wait for one echo before the run is abandoned.
const KEY_LIMIT: Duration = Duration::from_secs(5);

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Round trips through `client` under a local PTY.
pub fn through_client(
    env: &RunEnv,
    client: &Client,
    keys: usize,
    warmup: usize,
) -> Result<Latency, String> {
    let argv = env.argv(
        client,
        &["exec", "-i", "-t", "shell", "--", "sh", "-c", SCRIPT],
        None,
    );
    let mut pty = crate::pty::Pty::open()?;
    let mut child = pty.spawn(env, &argv)?;
    let total = warmup + keys;
    // Every read below blocks; the watchdog ends a stuck run (closing the terminal ends reads).
    let limit = Duration::from_secs(30) + KEY_LIMIT * 4 + Duration::from_millis(50) * total as u32;
    let dog = Watchdog::new(child.process_id(), limit);
    let mut reader = pty.reader()?;
    let mut writer = pty.writer()?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    // The prompt line proves the session is up and the client has put the terminal in raw
    // mode (before that, the local terminal would echo keys itself).
    while !contains(&seen, READY) {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => {
                return Err(format!(
                    "the session ended before printing READY; it printed {:?}",
                    String::from_utf8_lossy(&seen)
                ))
            }
            Ok(k) => seen.extend_from_slice(&buf[..k]),
        }
    }
    let mut samples = Vec::with_capacity(total);
    let mut echoed = 0usize;
    for i in 0..total {
        let start = Instant::now();
        writer
            .write_all(b"a")
            .and_then(|()| writer.flush())
            .ctx("typing into the PTY")?;
        while echoed <= i {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => {
                    return Err(format!(
                        "the session ended (or was killed) after {echoed} of {total} echoes"
                    ))
                }
                Ok(k) => echoed += buf[..k].iter().filter(|&&b| b == b'a').count(),
            }
        }
        samples.push(start.elapsed());
    }
    // Ctrl-C: the remote terminal interrupts cat and the client exits.
    let _ = writer.write_all(b"\x03").and_then(|()| writer.flush());
    let drained = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while matches!(reader.read(&mut buf), Ok(k) if k > 0) {}
    });
    let status = child.wait();
    let killed = dog.finish();
    let _ = drained.join();
    drop(writer);
    if killed {
        return Err(format!(
            "the client did not exit after Ctrl-C within {} s",
            limit.as_secs()
        ));
    }
    status.ctx("waiting for the client")?;
    Latency::from_samples(samples, warmup)
}

/// Round trips through a podterm-core session in this process.
pub async fn engine(cluster: &Cluster, keys: usize, warmup: usize) -> Result<Latency, String> {
    let spec = ExecSpec {
        namespace: "demo".into(),
        pod: "shell".into(),
        container: "main".into(),
        command: vec!["sh".into(), "-c".into(), SCRIPT.into()],
        stdin: true,
        stdout: true,
        stderr: true,
        tty: true,
        size: Some((80, 24)),
        attach: false,
    };
    let mut session = tokio::time::timeout(
        Duration::from_secs(30),
        Session::start(&cluster.client, &spec, Tuning::default()),
    )
    .await
    .ctx("the session did not start within 30 s")?
    .ctx("starting the session")?;
    let mut seen = Vec::new();
    while !contains(&seen, READY) {
        let chunk = tokio::time::timeout(Duration::from_secs(30), session.stdout.recv())
            .await
            .ctx("no READY within 30 s")?
            .ctx("the session ended before printing READY")?;
        seen.extend_from_slice(&chunk);
    }
    let total = warmup + keys;
    let mut samples = Vec::with_capacity(total);
    let mut echoed = 0usize;
    let key = Bytes::from_static(b"a");
    for i in 0..total {
        let start = Instant::now();
        if !session.input.send(key.clone()).await {
            return Err(format!("the session ended after {i} keys"));
        }
        while echoed <= i {
            let chunk = tokio::time::timeout(KEY_LIMIT, session.stdout.recv())
                .await
                .ctx(format!("no echo within {} s", KEY_LIMIT.as_secs()))?
                .ctx(format!("the session ended after {echoed} echoes"))?;
            echoed += chunk.iter().filter(|&&b| b == b'a').count();
        }
        samples.push(start.elapsed());
    }
    session.input.send(Bytes::from_static(b"\x03")).await;
    let mut out = std::mem::replace(
        &mut session.stdout,
        tokio::sync::mpsc::unbounded_channel().1,
    );
    tokio::spawn(async move { while out.recv().await.is_some() {} });
    // The status is not the point here; just make sure the session ends.
    let _ = tokio::time::timeout(Duration::from_secs(10), session.finish()).await;
    Latency::from_samples(samples, warmup)
}
