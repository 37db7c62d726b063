//! The testcluster child process and what its kubeconfig says (server, CA, the admin's token).

use crate::Ctx;
use base64::Engine as _;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `testcluster serve`; killed (SIGTERM, then SIGKILL) when dropped.
pub struct TestclusterProc {
    child: Child,
    pub url: String,
    pub kubeconfig: PathBuf,
    pub log: PathBuf,
}

impl TestclusterProc {
    /// Starts `BIN serve --kubeconfig DIR/kubeconfig` and waits for its "serving at URL" line.
    pub fn start(bin: &Path, dir: &Path) -> Result<Self, String> {
        let kubeconfig = dir.join("kubeconfig");
        let log = dir.join("testcluster.log");
        let log_file = std::fs::File::create(&log).ctx("creating the testcluster log")?;
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .ctx(format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().ctx("testcluster's stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the URL line, then keeps draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
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
        let mut proc = TestclusterProc {
            child,
            url: String::new(),
            kubeconfig,
            log,
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => proc.url = url,
            Err(_) => {
                let log = std::fs::read_to_string(&proc.log).unwrap_or_default();
                return Err(format!(
                    "testcluster printed no 'testcluster serving at URL' line within 30 s; its log:\n{log}"
                ));
            }
        }
        if !proc.kubeconfig.exists() {
            return Err(format!(
                "testcluster did not write {}",
                proc.kubeconfig.display()
            ));
        }
        Ok(proc)
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

impl Drop for TestclusterProc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a raw client needs from the kubeconfig.
#[derive(Debug, Clone)]
pub struct Access {
    /// `https://HOST:PORT`.
    pub server: String,
    pub ca_pem: String,
    /// The `demo-admin` user's bearer token.
    pub token: String,
}

/// Reads the server, CA and the `demo-admin` token from a testcluster kubeconfig.
pub fn read_access(kubeconfig: &Path) -> Result<Access, String> {
    let text =
        std::fs::read_to_string(kubeconfig).ctx(format!("reading {}", kubeconfig.display()))?;
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).ctx("parsing the kubeconfig")?;
    let cluster = &doc["clusters"][0]["cluster"];
    let server = cluster["server"]
        .as_str()
        .ctx("kubeconfig: clusters[0].cluster.server")?
        .to_string();
    let ca_b64 = cluster["certificate-authority-data"]
        .as_str()
        .ctx("kubeconfig: clusters[0].cluster.certificate-authority-data")?;
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca_b64.trim())
        .ctx("kubeconfig: certificate-authority-data is not base64")?;
    let ca_pem = String::from_utf8(ca).ctx("kubeconfig: the CA is not PEM text")?;
    let token = doc["users"]
        .as_sequence()
        .ctx("kubeconfig: users")?
        .iter()
        .find(|u| u["name"].as_str() == Some("demo-admin"))
        .and_then(|u| u["user"]["token"].as_str())
        .ctx("kubeconfig: no token for user demo-admin")?
        .to_string();
    Ok(Access {
        server,
        ca_pem,
        token,
    })
}
