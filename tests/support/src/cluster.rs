//! testcluster for tests: in this process ([`demo`]), or as a `testcluster serve` child process
//! ([`Served`], the bench's way), and waits on what it counts (sessions, processes).

use crate::Error;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testcluster::{Options, TestCluster};

/// The demo topology in this process, on a free loopback port.
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

/// A running `testcluster serve`; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Served {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    pub kubeconfig: PathBuf,
    /// Its stderr.
    pub log: PathBuf,
}

impl Served {
    /// The process id of `testcluster serve` (for its CPU time in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `BIN serve --kubeconfig DIR/kubeconfig` and waits for its "serving at URL" line.
    pub fn start(bin: &Path, dir: &Path) -> Result<Self, Error> {
        Self::start_with(bin, dir, None, &[])
    }

    /// As [`Served::start`], serving the cluster file `config` (`--config`) when given, with
    /// `args` added to `serve`'s.
    pub fn start_with(
        bin: &Path,
        dir: &Path,
        config: Option<&Path>,
        args: &[&str],
    ) -> Result<Self, Error> {
        let kubeconfig = dir.join("kubeconfig");
        let log = dir.join("testcluster.log");
        let log_file =
            std::fs::File::create(&log).map_err(Error::io("creating the testcluster log"))?;
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(
                config
                    .map(|c| [std::ffi::OsStr::new("--config"), c.as_os_str()])
                    .into_iter()
                    .flatten(),
            )
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(Error::io(format!("starting {}", bin.display())))?;
        let stdout = child.stdout.take();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the URL line, then keeps draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            let mut sent = false;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(url) = line.strip_prefix("testcluster serving at ") {
                        let _ = tx.send(url.trim().to_string());
                        sent = true;
                    }
                }
            }
        });
        let mut served = Served {
            child,
            url: String::new(),
            kubeconfig,
            log,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => served.url = url,
            Err(_) => {
                return Err(Error::NoUrl {
                    log: std::fs::read_to_string(&served.log).unwrap_or_default(),
                })
            }
        }
        if !served.kubeconfig.exists() {
            return Err(Error::NoKubeconfig(served.kubeconfig.clone()));
        }
        Ok(served)
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines of its log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn stop(&mut self) {
        if !self.alive() {
            return;
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !self.alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}
