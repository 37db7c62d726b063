//! Container processes: local processes with a container's environment, under a PTY when a TTY
//! is asked for and on pipes otherwise. Every process carries a marker in its environment so that
//! it and anything it leaves behind can be found and killed: no session leaks a process.

use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// Environment variable naming the cluster that started a process (for leak checks).
pub const CLUSTER_ENV: &str = "TESTCLUSTER_ID";
/// Environment variable naming the session that started a process (for sweeping strays).
pub const SESSION_ENV: &str = "TESTCLUSTER_PROC";

const READ_CHUNK: usize = 32 * 1024;

/// Why a process could not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The command is not on the container's PATH (or the image has no such file).
    #[error("exec: \"{0}\": executable file not found in $PATH")]
    NotFound(String),
    #[error("cannot start process: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot open a pseudo-terminal: {0}")]
    Pty(String),
}

/// What to start.
#[derive(Debug, Clone)]
pub struct ProcSpec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    /// The container's PATH, used to resolve `argv[0]`.
    pub path: String,
    /// Whether the image has a shell; without one, shells are refused even by absolute path.
    pub shell: bool,
    pub tty: bool,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// Initial terminal size (columns, rows).
    pub size: (u16, u16),
    /// Unique per session; written to [`SESSION_ENV`].
    pub marker: String,
}

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Input for a process.
#[derive(Debug)]
pub enum Input {
    Data(Bytes),
    /// Close stdin (no effect under a TTY, where the terminal stays open).
    Eof,
}

type Master = Arc<Mutex<Box<dyn portable_pty::MasterPty + Send>>>;

/// Resizes a process's terminal.
#[derive(Clone)]
pub struct Resizer(Master);

impl Resizer {
    pub fn resize(&self, cols: u16, rows: u16) {
        if let Ok(m) = self.0.lock() {
            let _ = m.resize(portable_pty::PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            });
        }
    }
}

/// Kills a process's group and every process carrying its marker; also on drop.
pub struct Killer {
    pid: Option<i32>,
    marker: String,
}

impl Killer {
    pub fn kill(&self) {
        if let Some(pid) = self.pid {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        sweep(SESSION_ENV, &self.marker);
    }
}

impl Drop for Killer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A running process.
pub struct Proc {
    pub stdin: Option<mpsc::Sender<Input>>,
    /// Output chunks; closes once every output stream reached its end.
    pub output: mpsc::Receiver<(Stream, Bytes)>,
    /// The exit code (128 + signal for a killed process).
    pub exit: oneshot::Receiver<i32>,
    pub resizer: Option<Resizer>,
    pub killer: Killer,
}

/// Finds `argv0` as a container runtime would: a path as given, a bare name on `path`.
pub fn resolve(argv0: &str, path: &str, shell: bool) -> Result<PathBuf, SpawnError> {
    let not_found = || SpawnError::NotFound(argv0.to_string());
    if argv0.is_empty() {
        return Err(not_found());
    }
    let is_shell = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        matches!(
            name,
            "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "busybox" | "rbash"
        )
    };
    let candidate = if argv0.contains('/') {
        let p = PathBuf::from(argv0);
        is_executable(&p).then_some(p)
    } else {
        path.split(':')
            .filter(|d| !d.is_empty())
            .map(|d| Path::new(d).join(argv0))
            .find(|p| is_executable(p))
    };
    match candidate {
        Some(p) if shell || !is_shell(&p) => Ok(p),
        _ => Err(not_found()),
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn full_env(spec: &ProcSpec) -> Vec<(String, String)> {
    let mut env = spec.env.clone();
    env.push(("PATH".into(), spec.path.clone()));
    env.push((SESSION_ENV.into(), spec.marker.clone()));
    if spec.tty {
        env.push(("TERM".into(), "xterm".into()));
    }
    env
}

/// Starts a process. Must be called inside a tokio runtime.
pub fn spawn(spec: &ProcSpec) -> Result<Proc, SpawnError> {
    let program = resolve(&spec.argv[0], &spec.path, spec.shell)?;
    if spec.tty {
        spawn_pty(spec, &program)
    } else {
        spawn_pipes(spec, &program)
    }
}

fn spawn_pty(spec: &ProcSpec, program: &Path) -> Result<Proc, SpawnError> {
    use portable_pty::{CommandBuilder, PtySize};
    let pair = portable_pty::native_pty_system()
        .openpty(PtySize {
            rows: spec.size.1,
            cols: spec.size.0,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| SpawnError::Pty(e.to_string()))?;
    let mut cmd = CommandBuilder::new(program);
    cmd.args(&spec.argv[1..]);
    cmd.env_clear();
    for (k, v) in full_env(spec) {
        cmd.env(k, v);
    }
    cmd.cwd(&spec.cwd);
    let mut child = pair
        .slave
        .spawn_command(cmd)
        .map_err(|e| SpawnError::Pty(e.to_string()))?;
    drop(pair.slave);
    let pid = child.process_id().map(|p| p as i32);
    let killer = Killer {
        pid,
        marker: spec.marker.clone(),
    };
    let mut reader = pair
        .master
        .try_clone_reader()
        .map_err(|e| SpawnError::Pty(e.to_string()))?;
    let mut writer = pair
        .master
        .take_writer()
        .map_err(|e| SpawnError::Pty(e.to_string()))?;
    // Dropping a PTY writer types "\n^D" into the terminal, which echoes it. Without stdin to
    // forward, the reader keeps the writer until the terminal is gone, so nothing is typed.
    let (parked, stdin) = if spec.stdin {
        let (in_tx, mut in_rx) = mpsc::channel::<Input>(16);
        std::thread::spawn(move || {
            use std::io::Write as _;
            while let Some(msg) = in_rx.blocking_recv() {
                if let Input::Data(d) = msg {
                    if writer.write_all(&d).and_then(|_| writer.flush()).is_err() {
                        break;
                    }
                }
            }
        });
        (None, Some(in_tx))
    } else {
        (Some(writer), None)
    };
    let (out_tx, out_rx) = mpsc::channel(4);
    std::thread::spawn(move || {
        use std::io::Read as _;
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = Bytes::copy_from_slice(&buf[..n]);
                    if out_tx.blocking_send((Stream::Stdout, chunk)).is_err() {
                        break;
                    }
                }
            }
        }
        drop(parked);
    });
    let (exit_tx, exit_rx) = oneshot::channel();
    std::thread::spawn(move || {
        // Reap it ourselves to learn about signals (portable-pty folds them into code 1).
        let code = match pid {
            Some(pid) => wait_pid(pid),
            None => child.wait().map(|s| s.exit_code() as i32).unwrap_or(1),
        };
        drop(child);
        let _ = exit_tx.send(code);
    });
    Ok(Proc {
        stdin,
        output: out_rx,
        exit: exit_rx,
        resizer: Some(Resizer(Arc::new(Mutex::new(pair.master)))),
        killer,
    })
}

fn wait_pid(pid: i32) -> i32 {
    use nix::sys::wait::{waitpid, WaitStatus};
    loop {
        match waitpid(nix::unistd::Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, code)) => return code,
            Ok(WaitStatus::Signaled(_, sig, _)) => return 128 + sig as i32,
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return 1,
        }
    }
}

fn code_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

fn spawn_pipes(spec: &ProcSpec, program: &Path) -> Result<Proc, SpawnError> {
    use std::process::Stdio;
    let pipe = |on: bool| if on { Stdio::piped() } else { Stdio::null() };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&spec.argv[1..])
        .env_clear()
        .envs(full_env(spec))
        .current_dir(&spec.cwd)
        .stdin(pipe(spec.stdin))
        .stdout(pipe(spec.stdout))
        .stderr(pipe(spec.stderr))
        .process_group(0);
    let mut child = cmd.spawn()?;
    let pid = child.id().map(|p| p as i32);
    let killer = Killer {
        pid,
        marker: spec.marker.clone(),
    };
    let (out_tx, out_rx) = mpsc::channel(4);
    if let Some(mut out) = child.stdout.take() {
        let tx = out_tx.clone();
        tokio::spawn(async move { pump(&mut out, Stream::Stdout, tx).await });
    }
    if let Some(mut err) = child.stderr.take() {
        let tx = out_tx.clone();
        tokio::spawn(async move { pump(&mut err, Stream::Stderr, tx).await });
    }
    drop(out_tx);
    let stdin = child.stdin.take().map(|mut w| {
        let (in_tx, mut in_rx) = mpsc::channel::<Input>(16);
        tokio::spawn(async move {
            while let Some(msg) = in_rx.recv().await {
                match msg {
                    Input::Data(d) => {
                        if w.write_all(&d).await.is_err() {
                            break;
                        }
                    }
                    Input::Eof => break,
                }
            }
            // Dropping the pipe closes the process's stdin.
        });
        in_tx
    });
    let (exit_tx, exit_rx) = oneshot::channel();
    tokio::spawn(async move {
        let code = child.wait().await.map(code_of).unwrap_or(1);
        let _ = exit_tx.send(code);
    });
    Ok(Proc {
        stdin,
        output: out_rx,
        exit: exit_rx,
        resizer: None,
        killer,
    })
}

async fn pump<R: tokio::io::AsyncRead + Unpin>(
    r: &mut R,
    stream: Stream,
    tx: mpsc::Sender<(Stream, Bytes)>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if tx
                    .send((stream, Bytes::copy_from_slice(&buf[..n])))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
    }
}

/// Kills every process whose environment has `key=value`. Returns how many were signalled.
pub fn sweep(key: &str, value: &str) -> usize {
    let me = std::process::id();
    let mut n = 0;
    for pid in processes_with_env(key, value) {
        if pid != me {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            n += 1;
        }
    }
    n
}

/// The pids of live (not zombie) processes whose environment has `key=value`.
pub fn processes_with_env(key: &str, value: &str) -> Vec<u32> {
    let needle = format!("{key}={value}");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, r)| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(true);
            !zombie
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .map(|env| env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()))
                    .unwrap_or(false)
        })
        .collect()
}

/// Writes `text` to `path` as an executable (mode 755) from a child process (`install`), never
/// through a file this process opens. Linux refuses to run a file that any process holds open
/// for writing (ETXTBSY), and a process forked by another thread in the same moment (a pod's
/// process, a test's client) would inherit such a file until it execs.
pub fn write_executable(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("install")
        .args(["-m", "755", "/dev/stdin"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // A write cut short (install gave up before reading: a missing folder) is told by its exit
    // and its words, not by the broken pipe.
    let wrote = match child.stdin.take() {
        Some(mut stdin) => stdin.write_all(text.as_bytes()),
        None => Ok(()),
    };
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "install -m 755 {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    wrote
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executable_is_written_with_its_mode_and_runs_and_is_replaced() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("dir");
        let tool = dir.path().join("tool");
        for word in ["first", "second"] {
            write_executable(&tool, &format!("#!/bin/sh\necho {word}\n")).expect("written");
            let mode = std::fs::metadata(&tool)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
            let out = std::process::Command::new(&tool).output().expect("runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{word}\n"));
        }
        // More than a pipe holds: the write breaks when install gives up, and its words still
        // say why.
        let long = "x".repeat(1 << 20);
        let err = write_executable(&dir.path().join("no/such/dir/tool"), &long)
            .expect_err("no such directory");
        assert!(err.to_string().contains("install -m 755"), "{err}");
    }

    fn spec(argv: &[&str], tty: bool, marker: &str) -> ProcSpec {
        ProcSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![],
            cwd: std::env::temp_dir(),
            path: "/usr/local/bin:/usr/bin:/bin".into(),
            shell: true,
            tty,
            stdin: true,
            stdout: true,
            stderr: true,
            size: (80, 24),
            marker: marker.into(),
        }
    }

    async fn collect(p: &mut Proc) -> (Vec<u8>, Vec<u8>) {
        let (mut out, mut err) = (vec![], vec![]);
        while let Some((s, d)) = p.output.recv().await {
            match s {
                Stream::Stdout => out.extend_from_slice(&d),
                Stream::Stderr => err.extend_from_slice(&d),
            }
        }
        (out, err)
    }

    #[tokio::test]
    async fn pipes_keep_streams_apart_and_report_exit_codes() {
        let mut p = spawn(&spec(
            &["sh", "-c", "echo out; echo err >&2; exit 7"],
            false,
            "t1",
        ))
        .expect("spawn");
        let (out, err) = collect(&mut p).await;
        assert_eq!(out, b"out\n");
        assert_eq!(err, b"err\n");
        assert_eq!((&mut p.exit).await.expect("exit"), 7);
    }

    #[tokio::test]
    async fn stdin_eof_reaches_the_process() {
        let mut p = spawn(&spec(&["cat"], false, "t2")).expect("spawn");
        let tx = p.stdin.take().expect("stdin");
        tx.send(Input::Data(Bytes::from_static(b"abc")))
            .await
            .expect("send");
        tx.send(Input::Eof).await.expect("eof");
        let (out, _) = collect(&mut p).await;
        assert_eq!(out, b"abc");
        assert_eq!((&mut p.exit).await.expect("exit"), 0);
    }

    #[tokio::test]
    async fn pty_sees_its_size_and_resizes() {
        let mut p = spawn(&spec(
            &["sh", "-c", "stty size; read x; stty size"],
            true,
            "t3",
        ))
        .expect("spawn");
        let resizer = p.resizer.clone().expect("tty has a resizer");
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("24 80") {
            let (_, d) = p.output.recv().await.expect("output");
            seen.extend_from_slice(&d);
        }
        resizer.resize(100, 40);
        let tx = p.stdin.take().expect("stdin");
        tx.send(Input::Data(Bytes::from_static(b"\n")))
            .await
            .expect("send");
        let (out, _) = collect(&mut p).await;
        assert!(String::from_utf8_lossy(&out).contains("40 100"), "{out:?}");
        assert_eq!((&mut p.exit).await.expect("exit"), 0);
    }

    #[tokio::test]
    async fn killer_takes_strays_with_it() {
        let marker = format!("t4-{}", std::process::id());
        let mut p = spawn(&spec(
            &["sh", "-c", "sleep 300 & sleep 300"],
            false,
            &marker,
        ))
        .expect("spawn");
        // Until both sleeps run, then until none does: states waited for against a clock that
        // a loaded machine's slow process starts and reaping cannot outrun.
        async fn until(marker: &str, done: impl Fn(usize) -> bool, what: &str) {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while !done(processes_with_env(SESSION_ENV, marker).len()) {
                assert!(std::time::Instant::now() < deadline, "{what}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        until(&marker, |n| n >= 2, "both sleeps never ran").await;
        p.killer.kill();
        assert_eq!((&mut p.exit).await.expect("exit"), 128 + 9);
        until(&marker, |n| n == 0, "a stray outlived the kill").await;
    }

    #[test]
    fn no_shell_images_refuse_shells() {
        assert!(resolve("sh", "/usr/bin:/bin", true).is_ok());
        let err = resolve("sh", "/usr/bin:/bin", false).expect_err("no shell");
        assert_eq!(
            err.to_string(),
            "exec: \"sh\": executable file not found in $PATH"
        );
        assert!(resolve("/bin/sh", "", false).is_err());
        assert!(resolve("definitely-not-a-command", "/usr/bin:/bin", true).is_err());
    }
}
