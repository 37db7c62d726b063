//! Bulk transfer through a client: stdout over a pipe, stdout through a local pseudo-terminal
//! (`-t -i`, the remote side on testcluster's PTY too), and stdin→stdout through a remote `cat`.
//! Every run's byte count is checked; a short or long count fails the figure.

use crate::clients::{tail, Client, RunEnv, TimeUsage, Watchdog};
use crate::stats::{mb_per_s, median, median_of};
use crate::Ctx;
use serde::Serialize;
use std::io::{Read as _, Write as _};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A run may take this long before it is killed and reported as failed.
const RUN_LIMIT: Duration = Duration::from_secs(180);
const READ_BUF: usize = 256 << 10;

/// One transfer.
#[derive(Debug, Clone, Serialize)]
pub struct TransferRun {
    pub bytes: u64,
    /// Spawn to exit, measured by the bench.
    pub wall_s: f64,
    pub mb_per_s: f64,
    /// `/usr/bin/time` around the client, when installed.
    pub time: Option<TimeUsage>,
}

/// The runs of one client for one kind of transfer, and their medians.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub bytes_per_run: u64,
    pub mb_per_s: f64,
    pub wall_s: f64,
    pub cpu_s: Option<f64>,
    pub max_rss_mb: Option<f64>,
    pub runs: Vec<TransferRun>,
}

impl Throughput {
    pub fn from_runs(bytes_per_run: u64, runs: Vec<TransferRun>) -> Result<Self, String> {
        let rates: Vec<f64> = runs.iter().map(|r| r.mb_per_s).collect();
        let walls: Vec<f64> = runs.iter().map(|r| r.wall_s).collect();
        Ok(Throughput {
            bytes_per_run,
            mb_per_s: median(&rates).ctx("no runs")?,
            wall_s: median(&walls).ctx("no runs")?,
            cpu_s: median_of(runs.iter().map(|r| r.time.map(|t| t.cpu_s()))),
            max_rss_mb: median_of(runs.iter().map(|r| r.time.map(|t| t.max_rss_mb()))),
            runs,
        })
    }
}

/// Which transfer to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `exec shell -- head -c N /dev/zero`, stdout a pipe.
    StdoutPipe,
    /// `exec -t -i shell -- head -c N /dev/zero` under a local PTY.
    StdoutTty,
    /// `exec -i shell -- cat` fed N bytes.
    StdinPipe,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::StdoutPipe => "stdout over a pipe",
            Kind::StdoutTty => "stdout through a TTY",
            Kind::StdinPipe => "stdin to stdout",
        }
    }
}

/// One run of `kind` moving `bytes` through `client`.
pub fn run(env: &RunEnv, client: &Client, kind: Kind, bytes: u64) -> Result<TransferRun, String> {
    match kind {
        Kind::StdoutPipe => stdout_pipe(env, client, bytes),
        Kind::StdoutTty => stdout_tty(env, client, bytes),
        Kind::StdinPipe => stdin_pipe(env, client, bytes),
    }
}

/// How a client run ended, as the bench saw it.
struct Ended {
    got: u64,
    took: Duration,
    success: bool,
    exit: String,
    killed: bool,
    stderr: String,
}

fn finish_run(
    env: &RunEnv,
    bytes: u64,
    time_file: Option<&std::path::Path>,
    e: Ended,
) -> Result<TransferRun, String> {
    let got = e.got;
    if e.killed {
        return Err(format!(
            "killed after {} s with {got} of {bytes} bytes; stderr: {}",
            RUN_LIMIT.as_secs(),
            tail(&e.stderr, 600)
        ));
    }
    if got != bytes || !e.success {
        return Err(format!(
            "{got} of {bytes} bytes, {}; stderr: {}",
            e.exit,
            tail(&e.stderr, 600)
        ));
    }
    let time = match (&env.time_bin, time_file) {
        (Some(_), Some(f)) => Some(TimeUsage::read(f)?),
        _ => None,
    };
    Ok(TransferRun {
        bytes: got,
        wall_s: e.took.as_secs_f64(),
        mb_per_s: mb_per_s(got, e.took),
        time,
    })
}

fn stdout_pipe(env: &RunEnv, client: &Client, bytes: u64) -> Result<TransferRun, String> {
    let n = bytes.to_string();
    read_stdout(
        env,
        client,
        &["exec", "shell", "--", "head", "-c", &n, "/dev/zero"],
        bytes,
    )
}

/// Runs `client ARGS` with stdout a pipe read as fast as it comes; exactly `bytes` must arrive.
pub fn read_stdout(
    env: &RunEnv,
    client: &Client,
    args: &[&str],
    bytes: u64,
) -> Result<TransferRun, String> {
    let time_file = env.time_file();
    let argv = env.argv(client, args, Some(&time_file));
    let mut cmd = env.command(&argv);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().ctx(format!("spawning {}", argv.join(" ")))?;
    let dog = Watchdog::new(Some(child.id()), RUN_LIMIT);
    let stderr = drain_to_string(child.stderr.take());
    let mut out = child.stdout.take().ctx("child stdout")?;
    let mut buf = vec![0u8; READ_BUF];
    let mut got = 0u64;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => got += k as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading the client's stdout: {e}")),
        }
    }
    let status = child.wait().ctx("waiting for the client")?;
    let took = start.elapsed();
    let killed = dog.finish();
    let stderr = stderr.join().unwrap_or_default();
    let ended = Ended {
        got,
        took,
        success: status.success(),
        exit: status.to_string(),
        killed,
        stderr,
    };
    finish_run(env, bytes, Some(&time_file), ended)
}

fn stdout_tty(env: &RunEnv, client: &Client, bytes: u64) -> Result<TransferRun, String> {
    let n = bytes.to_string();
    read_tty(
        env,
        client,
        &[
            "exec",
            "-t",
            "-i",
            "shell",
            "--",
            "head",
            "-c",
            &n,
            "/dev/zero",
        ],
        bytes,
    )
}

/// Runs `client ARGS` under a local PTY read as fast as it comes; exactly `bytes` must arrive.
pub fn read_tty(
    env: &RunEnv,
    client: &Client,
    args: &[&str],
    bytes: u64,
) -> Result<TransferRun, String> {
    let time_file = env.time_file();
    let argv = env.argv(client, args, Some(&time_file));
    read_pty(env, &argv, bytes, Some(&time_file))
}

/// The local PTY's own ceiling: `dd` writing `bytes` NUL bytes in `write_size` writes into a
/// terminal in raw mode (as a client with `-t` puts it), read as [`read_tty`] reads a client's.
/// No network and no client: what the local terminal can carry on this machine.
pub fn local_pty(env: &RunEnv, bytes: u64, write_size: u64) -> Result<TransferRun, String> {
    if write_size == 0 || bytes % write_size != 0 {
        return Err(format!(
            "{bytes} bytes are not a whole number of {write_size}-byte writes"
        ));
    }
    let script = format!(
        "stty raw -echo && exec dd if=/dev/zero bs={write_size} count={} status=none",
        bytes / write_size
    );
    let argv = ["sh".to_string(), "-c".to_string(), script];
    read_pty(env, &argv, bytes, None)
}

/// The bare TTY client (this program, `--bare-tty-client`) on a fresh local PTY in raw mode,
/// read as a client's is: the ceiling of the `-t -i` path (`ceiling::bare_tty_client`).
pub fn bare_tty_client(env: &RunEnv, bytes: u64) -> Result<TransferRun, String> {
    let exe = std::env::current_exe().ctx("this program's path")?;
    let script = format!(
        "stty raw -echo && exec '{}' --bare-tty-client {bytes}",
        exe.display().to_string().replace('\'', "'\\''")
    );
    let argv = ["sh".to_string(), "-c".to_string(), script];
    read_pty(env, &argv, bytes, None)
}

/// Runs `argv` on a fresh local PTY, reading its master as fast as it comes.
fn read_pty(
    env: &RunEnv,
    argv: &[String],
    bytes: u64,
    time_file: Option<&std::path::Path>,
) -> Result<TransferRun, String> {
    let mut pty = crate::pty::Pty::open()?;
    let start = Instant::now();
    let mut child = pty.spawn(env, argv)?;
    let dog = Watchdog::new(child.process_id(), RUN_LIMIT);
    let mut reader = pty.reader()?;
    let mut buf = vec![0u8; READ_BUF];
    let mut got = 0u64;
    // The kernel PTY passes NUL bytes through unchanged (raw mode or not); anything else the
    // client wrote to the terminal (a warning) would show up as extra bytes.
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => got += k as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // EIO: every process holding the terminal's other side has gone.
            Err(_) => break,
        }
    }
    let status = child.wait().ctx("waiting for the client")?;
    let took = start.elapsed();
    let killed = dog.finish();
    let ended = Ended {
        got,
        took,
        success: status.success(),
        exit: format!("exit code {}", status.exit_code()),
        killed,
        stderr: String::new(),
    };
    finish_run(env, bytes, time_file, ended)
}

/// The stdin test's byte pattern: position `i` holds `i % 251` (a prime, so chunk boundaries
/// never line up with it and a lost or repeated chunk shows).
const PERIOD: usize = 251;

fn pattern(len: usize) -> Vec<u8> {
    (0..len + PERIOD).map(|i| (i % PERIOD) as u8).collect()
}

fn stdin_pipe(env: &RunEnv, client: &Client, bytes: u64) -> Result<TransferRun, String> {
    const CHUNK: usize = 64 << 10;
    let time_file = env.time_file();
    let argv = env.argv(
        client,
        &["exec", "-i", "shell", "--", "cat"],
        Some(&time_file),
    );
    let mut cmd = env.command(&argv);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let pat = pattern(READ_BUF.max(CHUNK));
    let start = Instant::now();
    let mut child = cmd.spawn().ctx(format!("spawning {}", argv.join(" ")))?;
    let dog = Watchdog::new(Some(child.id()), RUN_LIMIT);
    let stderr = drain_to_string(child.stderr.take());
    let mut stdin = child.stdin.take().ctx("child stdin")?;
    let feed_pat = pat.clone();
    let feeder = std::thread::spawn(move || -> Result<u64, String> {
        let mut sent = 0u64;
        while sent < bytes {
            let k = CHUNK.min(usize::try_from(bytes - sent).unwrap_or(CHUNK));
            let off = (sent % PERIOD as u64) as usize;
            stdin
                .write_all(&feed_pat[off..off + k])
                .map_err(|e| format!("writing the client's stdin after {sent} bytes: {e}"))?;
            sent += k as u64;
        }
        Ok(sent) // dropping stdin closes it: the client sees EOF and half-closes
    });
    let mut out = child.stdout.take().ctx("child stdout")?;
    let mut buf = vec![0u8; READ_BUF];
    let mut got = 0u64;
    let mut first_bad: Option<u64> = None;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => {
                let off = (got % PERIOD as u64) as usize;
                if first_bad.is_none() && buf[..k] != pat[off..off + k] {
                    let at = buf[..k]
                        .iter()
                        .zip(&pat[off..off + k])
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    first_bad = Some(got + at as u64);
                }
                got += k as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading the client's stdout: {e}")),
        }
    }
    let status = child.wait().ctx("waiting for the client")?;
    let took = start.elapsed();
    let killed = dog.finish();
    let fed = feeder
        .join()
        .map_err(|_| "the stdin feeder panicked".to_string())?;
    let stderr = stderr.join().unwrap_or_default();
    if let Some(at) = first_bad {
        return Err(format!(
            "output differs from the input at byte {at} ({got} of {bytes} bytes came back)"
        ));
    }
    if let Err(e) = fed {
        if got == bytes {
            return Err(e);
        }
    }
    let ended = Ended {
        got,
        took,
        success: status.success(),
        exit: status.to_string(),
        killed,
        stderr,
    };
    finish_run(env, bytes, Some(&time_file), ended)
}

/// Reads a pipe to the end on a thread; returns its text.
fn drain_to_string<R: std::io::Read + Send + 'static>(
    pipe: Option<R>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut s);
        }
        String::from_utf8_lossy(&s).into_owned()
    })
}
