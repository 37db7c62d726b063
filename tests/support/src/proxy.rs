//! Real proxies and load balancers between a client and testcluster, each a child process on a
//! free loopback port, killed when dropped: `haproxy` as a TCP load balancer with an idle
//! timeout, `tinyproxy` as an HTTP CONNECT proxy, `microsocks` as a SOCKS5 proxy, `stunnel4`
//! terminating TLS in front of a proxy (an `https://` proxy) (Debian packages, installed by
//! `scripts/deps.sh`).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound, then released for the child to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A proxy process; killed (and reaped) when dropped.
pub struct Proxy {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// Its log (stdout and stderr, or its own log file).
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What it logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn spawn(
        program: &str,
        args: &[&str],
        dir: tempfile::TempDir,
        port: u16,
        log: PathBuf,
    ) -> Proxy {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("stdio.log"))
            .expect("proxy stdio log");
        let err = out.try_clone().expect("proxy stdio log");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} ({e}): install it with `bash scripts/deps.sh`")
            });
        let mut p = Proxy {
            child,
            port,
            log,
            _dir: dir,
        };
        p.wait_listening(program);
        p
    }

    fn wait_listening(&mut self, program: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{program} exited ({status}) before listening on {addr}: {}{}",
                    self.log_text(),
                    std::fs::read_to_string(self._dir.path().join("stdio.log")).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{program} is not listening on {addr} after 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything it printed on stdout and stderr.
    pub fn stdio_text(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("stdio.log")).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write a proxy config");
    p
}

/// haproxy in TCP mode in front of `backend` (`127.0.0.1:PORT`), dropping a connection idle
/// for `idle` on either side (`timeout client` and `timeout server`).
pub fn haproxy(backend: &str, idle: Duration) -> Proxy {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let ms = idle.as_millis();
    let cfg = format!(
        "global\n  maxconn 256\n\
         defaults\n  mode tcp\n  timeout connect 5s\n  timeout client {ms}ms\n  timeout server {ms}ms\n\
         frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
         backend be\n  server api {backend}\n"
    );
    let path = write(dir.path(), "haproxy.cfg", &cfg);
    let log = dir.path().join("stdio.log");
    let path = path.to_string_lossy().into_owned();
    Proxy::spawn("haproxy", &["-db", "-q", "-f", &path], dir, port, log)
}

/// tinyproxy, an HTTP proxy that tunnels with CONNECT; with `auth`, it asks for those basic
/// credentials. `connect_ports`: the only ports it tunnels to (empty: any).
pub fn tinyproxy(auth: Option<(&str, &str)>, connect_ports: &[u16]) -> Proxy {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let log = dir.path().join("tinyproxy.log");
    let mut cfg = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 600\nMaxClients 64\nAllow 127.0.0.1\n\
         LogLevel Connect\nLogFile \"{}\"\nPidFile \"{}\"\n",
        log.display(),
        dir.path().join("tinyproxy.pid").display()
    );
    if running_as_root() {
        // tinyproxy drops root for this user; its files must stay writable.
        cfg.push_str("User nobody\nGroup nogroup\n");
        let _ = std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        );
    }
    if let Some((user, pass)) = auth {
        cfg.push_str(&format!("BasicAuth {user} {pass}\n"));
    }
    for p in connect_ports {
        cfg.push_str(&format!("ConnectPort {p}\n"));
    }
    let path = write(dir.path(), "tinyproxy.conf", &cfg);
    let path = path.to_string_lossy().into_owned();
    Proxy::spawn("tinyproxy", &["-d", "-c", &path], dir, port, log)
}

/// microsocks, a SOCKS5 proxy; with `auth`, it asks for that user name and password.
pub fn microsocks(auth: Option<(&str, &str)>) -> Proxy {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let log = dir.path().join("stdio.log");
    let port_s = port.to_string();
    let mut args = vec!["-i", "127.0.0.1", "-p", &port_s];
    if let Some((user, pass)) = auth {
        args.extend(["-u", user, "-P", pass]);
    }
    Proxy::spawn("microsocks", &args, dir, port, log)
}

/// An HTTPS proxy: `stunnel4` on its own port, terminating TLS with a serving certificate for
/// `localhost`, `127.0.0.1` and `::1` from a CA of its own (not the cluster's), and passing the
/// plain bytes on to `inner` (an HTTP CONNECT proxy on `inner_port`). Returns the proxy and its
/// CA's PEM, which a client must trust to talk to it.
pub fn stunnel(inner_port: u16) -> (Proxy, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let pki = testcluster::pki::Pki::generate().expect("a CA and a certificate for the proxy");
    let cert = write(dir.path(), "proxy.crt", &pki.server.cert_pem);
    let key = write(dir.path(), "proxy.key", &pki.server.key_pem);
    let log = dir.path().join("stunnel.log");
    let cfg = format!(
        "foreground = yes\npid =\ndebug = info\noutput = {}\n\n[https-proxy]\n\
         accept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{inner_port}\ncert = {}\nkey = {}\n",
        log.display(),
        cert.display(),
        key.display()
    );
    let path = write(dir.path(), "stunnel.conf", &cfg);
    let path = path.to_string_lossy().into_owned();
    let program = if Path::new("/usr/bin/stunnel4").exists() {
        "stunnel4"
    } else {
        "stunnel"
    };
    (Proxy::spawn(program, &[&path], dir, port, log), pki.ca_pem)
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}
