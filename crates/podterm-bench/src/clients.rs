//! The command-line clients under test (podterm and each kubectl), and how to run one: its
//! environment, `/usr/bin/time` for CPU and peak RSS, and a watchdog that ends a hung run.

use crate::Ctx;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// GNU time's output: elapsed, user and system seconds, peak RSS in KiB.
pub const TIME_FORMAT: &str = "%e %U %S %M";
const TIME_BIN: &str = "/usr/bin/time";

/// One client binary.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// `podterm` or `kubectl`.
    pub kind: &'static str,
    pub path: PathBuf,
    /// `v1.37.1` for kubectl, `podterm 0.1.0` style for podterm.
    pub version: String,
}

impl Client {
    /// The table's column heading.
    pub fn label(&self) -> String {
        match self.kind {
            "kubectl" => format!("kubectl {}", self.version),
            _ => "podterm".to_string(),
        }
    }

    pub fn is_podterm(&self) -> bool {
        self.kind == "podterm"
    }
}

/// podterm from the bench's own directory.
pub fn podterm(bin_dir: &Path) -> Result<Client, String> {
    let path = bin_dir.join("podterm");
    if !path.is_file() {
        return Err(format!(
            "{} not found: build it first (cargo build --release -p podterm-cli)",
            path.display()
        ));
    }
    let out = Command::new(&path)
        .arg("--version")
        .output()
        .ctx(format!("{} --version", path.display()))?;
    Ok(Client {
        kind: "podterm",
        version: String::from_utf8_lossy(&out.stdout).trim().to_string(),
        path,
    })
}

/// The kubectls to compare with (podterm-test-support's finder: `PODTERM_KUBECTLS`, else
/// `/usr/bin/kubectl` and `<repo>/.venv/bin/kubectl`, each binary once by resolved path and by
/// version). Returns the clients and notes about skipped candidates.
pub fn kubectls(repo: &Path) -> (Vec<Client>, Vec<String>) {
    let found = podterm_test_support::kubectl::find(repo);
    let clients = found
        .kubectls
        .into_iter()
        .map(|k| Client {
            kind: "kubectl",
            path: k.path,
            version: k.version,
        })
        .collect();
    (clients, found.notes.iter().map(|n| n.to_string()).collect())
}

/// Where and how clients run: the cluster's kubeconfig, a private HOME, and scratch space.
pub struct RunEnv {
    pub kubeconfig: PathBuf,
    pub home: PathBuf,
    pub scratch: PathBuf,
    /// `/usr/bin/time`, when installed.
    pub time_bin: Option<PathBuf>,
    counter: AtomicU64,
}

impl RunEnv {
    pub fn new(kubeconfig: PathBuf, dir: &Path) -> Result<Self, String> {
        let home = dir.join("home");
        std::fs::create_dir_all(&home).ctx("creating the clients' HOME")?;
        let time_bin = Path::new(TIME_BIN);
        Ok(RunEnv {
            kubeconfig,
            home,
            scratch: dir.to_path_buf(),
            time_bin: time_bin.is_file().then(|| time_bin.to_path_buf()),
            counter: AtomicU64::new(0),
        })
    }

    /// The environment every client gets.
    pub fn vars(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("KUBECONFIG", self.kubeconfig.clone()),
            ("HOME", self.home.clone()),
        ]
    }

    /// A fresh file name for `/usr/bin/time -o`.
    pub fn time_file(&self) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.scratch.join(format!("time-{n}.txt"))
    }

    /// argv for running `client ARGS`, under `/usr/bin/time` when `time_out` is given and time is
    /// installed.
    pub fn argv(&self, client: &Client, args: &[&str], time_out: Option<&Path>) -> Vec<String> {
        let mut argv = Vec::new();
        if let (Some(time), Some(out)) = (&self.time_bin, time_out) {
            argv.push(time.display().to_string());
            argv.extend(["-f".to_string(), TIME_FORMAT.to_string(), "-o".to_string()]);
            argv.push(out.display().to_string());
        }
        argv.push(client.path.display().to_string());
        argv.extend(args.iter().map(|s| s.to_string()));
        argv
    }

    /// A `Command` for `argv` in its own process group, with the clients' environment.
    pub fn command(&self, argv: &[String]) -> Command {
        use std::os::unix::process::CommandExt as _;
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).process_group(0);
        for (k, v) in self.vars() {
            cmd.env(k, v);
        }
        cmd.current_dir(&self.scratch);
        cmd
    }
}

/// What `/usr/bin/time` measured for one client run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TimeUsage {
    pub elapsed_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    pub max_rss_kib: u64,
}

impl TimeUsage {
    pub fn cpu_s(&self) -> f64 {
        self.user_s + self.sys_s
    }

    pub fn max_rss_mb(&self) -> f64 {
        self.max_rss_kib as f64 * 1024.0 / 1e6
    }

    /// Reads the file `time -o` wrote (its last line; a "Command exited with non-zero status"
    /// line may come first).
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).ctx(format!("reading {}", path.display()))?;
        let _ = std::fs::remove_file(path);
        let line = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .ctx("empty /usr/bin/time output")?;
        let f: Vec<&str> = line.split_whitespace().collect();
        let bad = || format!("unexpected /usr/bin/time output: {text:?}");
        if f.len() != 4 {
            return Err(bad());
        }
        let num = |s: &str| s.parse::<f64>().map_err(|_| bad());
        Ok(TimeUsage {
            elapsed_s: num(f[0])?,
            user_s: num(f[1])?,
            sys_s: num(f[2])?,
            max_rss_kib: f[3].parse().map_err(|_| bad())?,
        })
    }
}

/// Kills a process group with SIGKILL if it is still running after a time limit.
pub struct Watchdog {
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<bool>>,
}

impl Watchdog {
    /// Watches process group `pgid` (the leader's pid).
    pub fn new(pgid: Option<u32>, limit: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || match rx.recv_timeout(limit) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(pid) = pgid.and_then(|p| i32::try_from(p).ok()) {
                    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                }
                true
            }
            _ => false,
        });
        Watchdog {
            cancel: Some(tx),
            thread: Some(thread),
        }
    }

    /// Stops watching; true if the limit had passed and the group was killed.
    pub fn finish(mut self) -> bool {
        self.stop()
    }

    fn stop(&mut self) -> bool {
        drop(self.cancel.take());
        self.thread
            .take()
            .map(|t| t.join().unwrap_or(false))
            .unwrap_or(false)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `max` bytes of a text, for error messages.
pub fn tail(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.len() <= max {
        return t.to_string();
    }
    let mut start = t.len() - max;
    while !t.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &t[start..])
}
