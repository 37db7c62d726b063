//! What the port-forward suites share: a pod whose container serves a greeting and an echo on a
//! port, a free port, a forward (kubectl's or podterm's) started as a child with its local port
//! read from its first line, and exchanges through it.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The container's server: on each connection `hello from POD\n` (its `HOSTNAME`), then every
/// byte back until the client ends its side, then it closes.
pub const ECHO: &str = r#"
import os, socket, sys, threading
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
def serve(c):
    c.sendall(("hello from %s\n" % os.environ.get("HOSTNAME", "?")).encode())
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// Waits (up to 60 s) until something listens on loopback `port` (`true`), or no longer does:
/// testcluster's pods listen on this computer's loopback.
pub async fn listening(port: u16, want: bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).await.is_ok() != want {
        assert!(
            Instant::now() < deadline,
            "port {port} never came to listening={want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A loopback port nobody listens on now, and never one this process handed out before: the
/// port is released before its user binds it, and two tests running at once would otherwise be
/// given the same one now and then (the second's bind then fails, or its client reaches the
/// first's server).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        if GIVEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(port)
        {
            return port;
        }
    }
}

/// A pod (JSON, for `kubectl create -f -`) whose container `echo` serves [`ECHO`] on `port`,
/// declared as the container port `echo`; `metadata` is merged into its metadata (labels,
/// owner references).
pub fn echo_pod(namespace: &str, name: &str, port: u16, metadata: serde_json::Value) -> String {
    let mut meta = serde_json::json!({ "name": name, "namespace": namespace });
    if let (Some(m), Some(extra)) = (meta.as_object_mut(), metadata.as_object()) {
        for (k, v) in extra {
            m.insert(k.clone(), v.clone());
        }
    }
    serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": meta,
        "spec": { "containers": [{
            "name": "echo", "image": "busybox:1.36",
            "command": ["python3", "-c", ECHO, port.to_string()],
            "ports": [{ "name": "echo", "containerPort": port }],
        }]},
    })
    .to_string()
}

/// As [`echo_pod`], a pod of the demo topology's Deployment `web` (its ReplicaSet
/// `web-6b7f9c8d5`, whose labels it carries): a workload's forward may go to it.
pub fn web_echo_pod(name: &str, port: u16) -> String {
    echo_pod(
        "demo",
        name,
        port,
        serde_json::json!({
            "labels": { "app": "web", "pod-template-hash": "6b7f9c8d5" },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-6b7f9c8d5",
                "uid": "00000000-0000-0000-0000-000000000000", "controller": true,
            }],
        }),
    )
}

/// A running forward: its child, the local port of its first `Forwarding from 127.0.0.1:…`
/// line, its stdout lines and its stderr as they come.
pub struct Forward {
    pub child: tokio::process::Child,
    pub local: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    /// The stdout and stderr readers still reading (none once both saw the end).
    reading: Arc<std::sync::atomic::AtomicUsize>,
}

fn collect(
    r: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<String>>,
    reading: Arc<std::sync::atomic::AtomicUsize>,
) {
    reading.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::spawn(async move {
        let mut lines = BufReader::new(r).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            if let Ok(mut s) = into.lock() {
                s.push_str(&l);
                s.push('\n');
            }
        }
        reading.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    });
}

impl Forward {
    /// Starts `bin` with `args` against the cluster and waits (up to 60 s) for it to listen.
    pub async fn start(bin: &Path, kubeconfig: &Path, home: &Path, args: &[&str]) -> Forward {
        Forward::start_env(bin, kubeconfig, home, args, &[]).await
    }

    /// As [`Forward::start`], with more variables in its environment.
    pub async fn start_env(
        bin: &Path,
        kubeconfig: &Path,
        home: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Forward {
        let mut child = crate::client::spawn_env(bin, kubeconfig, home, args, env);
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let reading = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        if let Some(o) = child.stdout.take() {
            collect(o, stdout.clone(), reading.clone());
        }
        if let Some(e) = child.stderr.take() {
            collect(e, stderr.clone(), reading.clone());
        }
        let mut f = Forward {
            child,
            local: 0,
            stdout,
            stderr,
            reading,
        };
        let line = f
            .wait_stdout("Forwarding from 127.0.0.1:", Duration::from_secs(60))
            .await;
        f.local = line
            .split_once("127.0.0.1:")
            .and_then(|(_, r)| r.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{}: no local port in {line:?}", bin.display()));
        f
    }

    async fn wait(&mut self, stdout: bool, needle: &str, limit: Duration) -> String {
        let which = if stdout {
            self.stdout.clone()
        } else {
            self.stderr.clone()
        };
        let start = Instant::now();
        loop {
            let text = which.lock().map(|s| s.clone()).unwrap_or_default();
            if let Some(l) = text.lines().find(|l| l.contains(needle)) {
                return l.to_owned();
            }
            if start.elapsed() > limit {
                panic!(
                    "no line with {needle:?} within {limit:?}; stdout {:?}, stderr {:?}",
                    self.stdout_text(),
                    self.stderr_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The first stdout line with `needle`, once it has come.
    pub async fn wait_stdout(&mut self, needle: &str, limit: Duration) -> String {
        self.wait(true, needle, limit).await
    }

    /// The first stderr line with `needle`, once it has come.
    pub async fn wait_stderr(&mut self, needle: &str, limit: Duration) -> String {
        self.wait(false, needle, limit).await
    }

    pub fn stdout_text(&self) -> String {
        self.stdout.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Its exit code once it has ended by itself (within `limit`), and its output read to the
    /// end: a client writes its last line just before it exits, and the readers may not have
    /// it yet when it is reaped.
    pub async fn ended(&mut self, limit: Duration) -> Option<i32> {
        let code = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "still running after {limit:?}; stderr {:?}",
                    self.stderr_text()
                )
            })
            .expect("status")
            .code();
        let start = Instant::now();
        while self.reading.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            assert!(
                start.elapsed() < limit,
                "its output still open {limit:?} after it exited; stderr {:?}",
                self.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        code
    }

    /// Interrupts it as Ctrl-C does and returns its exit code.
    pub async fn interrupt(&mut self) -> Option<i32> {
        if let Some(pid) = self.child.id() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGINT,
            );
        }
        self.ended(Duration::from_secs(30)).await
    }
}

/// Connects to `port` on loopback and reads the server's greeting line.
pub async fn greet(port: u16) -> (String, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the forward");
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while line.last() != Some(&b'\n') {
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut b))
            .await
            .expect("a greeting within 30 s")
            .expect("read");
        if n == 0 {
            break;
        }
        line.push(b[0]);
    }
    (String::from_utf8_lossy(&line).trim().to_string(), s)
}

/// Through an echo forward on `port`: the greeting, then `payload` sent while it is read back
/// (the two directions at once); returns the greeting and what came back.
pub async fn echo(port: u16, payload: &[u8]) -> (String, Vec<u8>) {
    let (greeting, s) = greet(port).await;
    let (mut rd, mut wr) = s.into_split();
    let data = payload.to_vec();
    let writer = tokio::spawn(async move {
        wr.write_all(&data).await.expect("send");
        wr
    });
    let mut back = vec![0u8; payload.len()];
    tokio::time::timeout(Duration::from_secs(120), rd.read_exact(&mut back))
        .await
        .expect("the echo within 120 s")
        .expect("read back");
    drop(writer.await);
    (greeting, back)
}

#[cfg(test)]
mod tests {
    /// Ports handed out in one process are all different (random picks of 500 among the
    /// ephemeral range's ~28,000 collide more often than not).
    #[test]
    fn free_ports_are_never_handed_out_twice() {
        let ports: Vec<u16> = (0..500).map(|_| super::free_port()).collect();
        let distinct: std::collections::BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
    }
}
