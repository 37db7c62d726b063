//! Real proxies and load balancers between a client and testcluster, each a child process on a
//! free loopback port, killed when dropped: `haproxy` as a TCP load balancer with an idle
//! timeout, `tinyproxy` as an HTTP CONNECT proxy, `microsocks` as a SOCKS5 proxy, `stunnel4`
//! terminating TLS in front of a proxy (an `https://` proxy) (Debian packages, installed by
//! `scripts/deps.sh`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use crate::portforward::free_port;

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

    /// Starts `program` on a free port, again on another port (five tries) when the port was
    /// taken between [`free_port`] and the program's bind: by another test's proxy or by any
    /// process's outgoing connection. `make` writes the program's config for a port into its
    /// directory and returns its arguments and its log's path.
    fn start(program: &str, make: impl Fn(&Path, u16) -> (Vec<String>, PathBuf)) -> Proxy {
        Proxy::start_on(program, std::iter::repeat_with(free_port), make)
    }

    /// [`Proxy::start`] on the first of `ports` that the program could take.
    fn start_on(
        program: &str,
        ports: impl IntoIterator<Item = u16>,
        make: impl Fn(&Path, u16) -> (Vec<String>, PathBuf),
    ) -> Proxy {
        let mut lost = String::new();
        for port in ports.into_iter().take(5) {
            let dir = tempfile::tempdir().expect("tempdir");
            let (args, log) = make(dir.path(), port);
            let mut p = Proxy::spawn(program, &args, dir, port, log);
            match p.wait_listening(program) {
                Ok(()) => return p,
                Err(why) => lost = why,
            }
        }
        panic!("{program} did not listen on a port of its own in five tries; the last: {lost}")
    }

    fn spawn(
        program: &str,
        args: &[String],
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
        Proxy {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// Waits until the child itself listens on its port. A connection alone is not enough: when
    /// another process took the port first, the connection reaches that process while the child
    /// fails to bind. `Err` when the child exited (its port taken, or a config it refused).
    fn wait_listening(&mut self, program: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{program} exited ({status}) before listening on {addr}: {}{}",
                    self.log_text(),
                    self.stdio_text()
                ));
            }
            if listener_of(self.port).is_some_and(|inode| holds_socket(self.child.id(), inode)) {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "{program} is not listening on {addr} after 20 s: {}{}",
                self.log_text(),
                self.stdio_text()
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

/// The inode of the socket listening on 127.0.0.1:`port`, from `/proc/net/tcp`.
fn listener_of(port: u16) -> Option<u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let local = format!("0100007F:{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        // sl, local_address, rem_address, st (0A: LISTEN), …, inode is the tenth field.
        (f.get(1) == Some(&local.as_str()) && f.get(3) == Some(&"0A"))
            .then(|| f.get(9)?.parse().ok())
            .flatten()
    })
}

/// Whether process `pid` holds the socket `inode` open.
fn holds_socket(pid: u32, inode: u64) -> bool {
    let want = format!("socket:[{inode}]");
    std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
        fds.flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == want.as_str()))
    })
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write a proxy config");
    p
}

/// haproxy in TCP mode in front of `backend` (`127.0.0.1:PORT`), dropping a connection idle
/// for `idle` on either side (`timeout client` and `timeout server`).
pub fn haproxy(backend: &str, idle: Duration) -> Proxy {
    let ms = idle.as_millis();
    Proxy::start("haproxy", |dir, port| {
        let cfg = format!(
            "global\n  maxconn 256\n\
             defaults\n  mode tcp\n  timeout connect 5s\n  timeout client {ms}ms\n  timeout server {ms}ms\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
             backend be\n  server api {backend}\n"
        );
        let path = write(dir, "haproxy.cfg", &cfg);
        let args = ["-db", "-q", "-f", &path.to_string_lossy()].map(String::from);
        (args.to_vec(), dir.join("stdio.log"))
    })
}

/// tinyproxy, an HTTP proxy that tunnels with CONNECT; with `auth`, it asks for those basic
/// credentials. `connect_ports`: the only ports it tunnels to (empty: any).
pub fn tinyproxy(auth: Option<(&str, &str)>, connect_ports: &[u16]) -> Proxy {
    Proxy::start("tinyproxy", |dir, port| {
        let log = dir.join("tinyproxy.log");
        let mut cfg = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 600\nMaxClients 64\nAllow 127.0.0.1\n\
             LogLevel Connect\nLogFile \"{}\"\nPidFile \"{}\"\n",
            log.display(),
            dir.join("tinyproxy.pid").display()
        );
        if running_as_root() {
            // tinyproxy drops root for this user; its files must stay writable.
            cfg.push_str("User nobody\nGroup nogroup\n");
            let _ =
                std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o777));
        }
        if let Some((user, pass)) = auth {
            cfg.push_str(&format!("BasicAuth {user} {pass}\n"));
        }
        for p in connect_ports {
            cfg.push_str(&format!("ConnectPort {p}\n"));
        }
        let path = write(dir, "tinyproxy.conf", &cfg);
        let args = ["-d", "-c", &path.to_string_lossy()].map(String::from);
        (args.to_vec(), log)
    })
}

/// microsocks, a SOCKS5 proxy; with `auth`, it asks for that user name and password.
pub fn microsocks(auth: Option<(&str, &str)>) -> Proxy {
    Proxy::start("microsocks", |dir, port| {
        let mut args = ["-i", "127.0.0.1", "-p", &port.to_string()]
            .map(String::from)
            .to_vec();
        if let Some((user, pass)) = auth {
            args.extend(["-u", user, "-P", pass].map(String::from));
        }
        (args, dir.join("stdio.log"))
    })
}

/// An HTTPS proxy: `stunnel4` on its own port, terminating TLS with a serving certificate for
/// `localhost`, `127.0.0.1` and `::1` from a CA of its own (not the cluster's), and passing the
/// plain bytes on to `inner` (an HTTP CONNECT proxy on `inner_port`). Returns the proxy and its
/// CA's PEM, which a client must trust to talk to it.
pub fn stunnel(inner_port: u16) -> (Proxy, String) {
    let pki = testcluster::pki::Pki::generate().expect("a CA and a certificate for the proxy");
    let program = if Path::new("/usr/bin/stunnel4").exists() {
        "stunnel4"
    } else {
        "stunnel"
    };
    let proxy = Proxy::start(program, |dir, port| {
        let cert = write(dir, "proxy.crt", &pki.server.cert_pem);
        let key = write(dir, "proxy.key", &pki.server.key_pem);
        let log = dir.join("stunnel.log");
        let cfg = format!(
            "foreground = yes\npid =\ndebug = info\noutput = {}\n\n[https-proxy]\n\
             accept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{inner_port}\ncert = {}\nkey = {}\n",
            log.display(),
            cert.display(),
            key.display()
        );
        let path = write(dir, "stunnel.conf", &cfg);
        (vec![path.to_string_lossy().into_owned()], log)
    });
    (proxy, pki.ca_pem)
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn microsocks_args(dir: &Path, port: u16) -> (Vec<String>, PathBuf) {
        let args = ["-i", "127.0.0.1", "-p", &port.to_string()].map(String::from);
        (args.to_vec(), dir.join("stdio.log"))
    }

    /// Another process already listening on the port it was given: the proxy is not fooled by
    /// reaching that process, and starts on the next port.
    #[test]
    fn a_port_taken_before_the_proxy_binds_it_is_left_for_another() {
        let taken = TcpListener::bind("127.0.0.1:0").expect("a listener");
        let taken_port = taken.local_addr().expect("its address").port();
        let ports = std::iter::once(taken_port).chain(std::iter::repeat_with(free_port));
        let p = Proxy::start_on("microsocks", ports, microsocks_args);
        assert_ne!(p.port, taken_port);
        let inode = listener_of(p.port).expect("a listener on the proxy's port");
        assert!(
            holds_socket(p.child.id(), inode),
            "the proxy holds its listener"
        );
        let other = listener_of(taken_port).expect("the first listener");
        assert!(!holds_socket(p.child.id(), other), "not the test's own");
    }
}
