//! Port forwarding, as `kubectl port-forward` does it: local listeners, and each connection
//! accepted on them carried to a port of the pod through the API server.
//!
//! - The port specs and listen addresses are kubectl's (`8080:80`, `:80`, `80`, `8080:http`;
//!   `--address localhost` listening on `127.0.0.1` and `::1`, the same port on both).
//! - Each local connection is one WebSocket, `pods/{name}/portforward?ports=P` on
//!   `v4.channel.k8s.io` (the kubelet's own protocol, which every API server passes on):
//!   channel 0 carries the bytes, channel 1 the node's words when it cannot reach the port, and
//!   the server's first message on each names the port (2 bytes, little-endian).
//! - The two directions are independent (a client that writes everything before it reads never
//!   stalls itself), each bounded: a slow side pauses the other end's socket, nothing queues.
//! - The protocol has no half-close: when the local client ends its side, the pod's answer is
//!   still passed on until the pod ends its side or has said nothing for [`LINGER`].
//! - Liveness as for exec: a ping when the link is quiet, a dead-link deadline.

use crate::cluster::ApiError;
use crate::exec::{Break, Tuning};
use crate::text;
use futures_util::{SinkExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// What one read from a local connection carries at most.
pub const READ: usize = 64 << 10;

/// After the local client has ended its side, how long the pod's side may stay quiet before the
/// connection is let go (the protocol cannot tell the pod that the client is done).
pub const LINGER: Duration = Duration::from_secs(5);

/// The node's words when it cannot reach the port are kept up to this many bytes.
const MAX_ERROR: usize = 4 << 10;

/// Why a port forward, or one of its connections, failed.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The API server refused (403, 404 ...), refused the credentials, or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The node refused the upgrade in its own words (a pod whose sandbox is gone).
    #[error("unable to upgrade connection: {message}")]
    UpgradeRefused { code: u16, message: String },
    /// The node could not reach the port in the pod: its words (nothing listens there, say).
    #[error("{message}")]
    Unreachable { port: u16, message: String },
    /// The WebSocket broke while the connection was carried.
    #[error("{}", crate::exec::break_words(*.cause))]
    Transport {
        cause: Break,
        #[source]
        source: tokio_tungstenite::tungstenite::Error,
    },
    /// Nothing at all from the API server, not even an answer to a ping, for this many seconds.
    #[error("no data from the API server for {0} s, not even an answer to a keepalive ping: the connection seems dead (check the network, then retry)")]
    Deadline(u64),
    /// The server spoke the protocol wrong.
    #[error("the API server broke the port-forward protocol: {0}")]
    Protocol(&'static str),
    /// The local connection failed (reset by the local client).
    #[error("the local connection failed: {0}")]
    Local(#[source] std::io::Error),
    /// The pod is not running, so nothing in it listens (kubectl's words).
    #[error("unable to forward port because pod is not running. Current status={0}")]
    NotRunning(String),
    /// A port spec names a port the pod's containers do not declare.
    #[error("Pod '{pod}' does not have a named port '{name}'")]
    NoNamedPort { pod: String, name: String },
    /// A port spec or an address that cannot be used.
    #[error("{0}")]
    BadSpec(String),
    /// No listener could be opened (each address's reason).
    #[error("unable to listen on any of the requested ports: {0}")]
    Listen(String),
}

/// A forwarded port: where it listens locally and the pod's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// 0: any free port, the same on every address.
    pub local: u16,
    pub remote: RemotePort,
}

/// The pod's port, by number or by the name a container declares for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemotePort {
    Number(u16),
    Name(String),
}

fn port_number(text: &str, which: &str) -> Result<u16, ForwardError> {
    match text.parse::<u16>() {
        Ok(n) if n > 0 || which == "local" => Ok(n),
        _ => Err(ForwardError::BadSpec(format!(
            "error parsing {which} port '{}': a port is a number from 1 to 65535",
            text::shown(text)
        ))),
    }
}

impl PortSpec {
    /// kubectl's forms: `LOCAL:REMOTE`, `:REMOTE` (any free local port), `PORT` (the same on
    /// both sides); REMOTE a number or a container port's name.
    pub fn parse(spec: &str) -> Result<PortSpec, ForwardError> {
        let (local, remote) = match spec.split_once(':') {
            Some((l, r)) => (Some(l), r),
            None => (None, spec),
        };
        if remote.contains(':') || remote.is_empty() {
            return Err(ForwardError::BadSpec(format!(
                "invalid port spec '{}': use LOCAL:REMOTE, :REMOTE or PORT",
                text::shown(spec)
            )));
        }
        let remote = if remote.bytes().all(|b| b.is_ascii_digit()) {
            RemotePort::Number(port_number(remote, "remote")?)
        } else {
            RemotePort::Name(remote.to_string())
        };
        let local = match (local, &remote) {
            (Some(""), _) => 0,
            (Some(l), _) => port_number(l, "local")?,
            (None, RemotePort::Number(n)) => *n,
            (None, RemotePort::Name(n)) => {
                return Err(ForwardError::BadSpec(format!(
                    "a named port ('{}') needs a local port: LOCAL:{}",
                    text::shown(n),
                    text::shown(n)
                )))
            }
        };
        Ok(PortSpec { local, remote })
    }

    /// The pod's port number: a name looked up among its containers' declared ports.
    pub fn remote_in(&self, pod: &Pod) -> Result<u16, ForwardError> {
        let name = match &self.remote {
            RemotePort::Number(n) => return Ok(*n),
            RemotePort::Name(n) => n,
        };
        pod.spec
            .iter()
            .flat_map(|s| &s.containers)
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok())
            .ok_or_else(|| ForwardError::NoNamedPort {
                pod: pod.metadata.name.clone().unwrap_or_default(),
                name: text::shown(name),
            })
    }
}

/// Where to listen, as kubectl's `--address` says it: `localhost` is `127.0.0.1` and `::1`
/// (enough if either opens), any other entry an IP address that must open.
pub fn addresses(list: &[String]) -> Result<Vec<(IpAddr, bool)>, ForwardError> {
    let mut out = Vec::new();
    for a in list.iter().flat_map(|a| a.split(',')).map(str::trim) {
        if a == "localhost" {
            out.push((IpAddr::from([127, 0, 0, 1]), false));
            out.push((IpAddr::from(std::net::Ipv6Addr::LOCALHOST), false));
            continue;
        }
        match a.parse::<IpAddr>() {
            Ok(ip) => out.push((ip, true)),
            Err(_) => {
                return Err(ForwardError::BadSpec(format!(
                    "{} is not a valid IP",
                    text::shown(a)
                )))
            }
        }
    }
    out.dedup();
    if out.is_empty() {
        return Err(ForwardError::BadSpec("no address to listen on".into()));
    }
    Ok(out)
}

/// The listeners of one port: every address on the same local port (a `0` becomes the port
/// the first one got). `Err` when a required address fails, or none opened.
pub async fn listen(
    addresses: &[(IpAddr, bool)],
    local: u16,
) -> Result<Vec<TcpListener>, ForwardError> {
    let mut port = local;
    let mut open = Vec::new();
    let mut failed = Vec::new();
    for &(ip, required) in addresses {
        match TcpListener::bind(SocketAddr::new(ip, port)).await {
            Ok(l) => {
                if port == 0 {
                    port = l.local_addr().map(|a| a.port()).unwrap_or(0);
                }
                open.push(l);
            }
            Err(e) => {
                let why = format!("{}: {e}", SocketAddr::new(ip, port));
                if required {
                    return Err(ForwardError::Listen(why));
                }
                failed.push(why);
            }
        }
    }
    if open.is_empty() {
        return Err(ForwardError::Listen(failed.join("; ")));
    }
    Ok(open)
}

/// Whether a pod can take forwarded connections (kubectl checks the phase only).
pub fn check_running(pod: &Pod) -> Result<(), ForwardError> {
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    if phase == "Running" {
        Ok(())
    } else {
        Err(ForwardError::NotRunning(text::shown(&phase)))
    }
}

/// What a carried connection moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Carried {
    /// From the local client to the pod.
    pub sent: u64,
    /// From the pod to the local client.
    pub received: u64,
}

fn refused(e: kube::Error) -> ForwardError {
    match crate::exec::upgrade_refused(e) {
        crate::exec::ExecError::UpgradeRefused { code, message } => {
            ForwardError::UpgradeRefused { code, message }
        }
        crate::exec::ExecError::Api(e) => ForwardError::Api(e),
        _ => ForwardError::Protocol("an upgrade refused in an unknown way"),
    }
}

/// An open WebSocket to a pod's port, not carrying anything yet.
pub struct Tunnel {
    ws: crate::exec::Ws,
    port: u16,
    tuning: Tuning,
}

/// Opens the way to `port` of the pod (the upgrade, bounded by the request timeout): a pod that
/// is gone or not running fails here, before a local connection is handed over.
pub async fn open(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    port: u16,
    tuning: Tuning,
) -> Result<Tunnel, ForwardError> {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}/portforward?ports={port}",
        enc(namespace),
        enc(pod)
    );
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| ApiError::from(kube::Error::HttpError(e)))?;
    let conn = crate::cluster::within(tuning.request_timeout, async {
        client.connect(req).await.map_err(refused)
    })
    .await?;
    Ok(Tunnel {
        ws: crate::exec::bounded(conn).await,
        port,
        tuning,
    })
}

impl Tunnel {
    /// Carries one local connection, both ways, until either side ends it.
    pub async fn carry(self, local: TcpStream) -> Result<Carried, ForwardError> {
        let _ = local.set_nodelay(true);
        pipe(self.ws, local, self.port, self.tuning).await
    }
}

/// Resolves once the pod `name` with `uid` can take no more connections: deleted (or replaced
/// by another of the same name), or no longer running. Says which, in words. A watch broken on
/// the way is resumed.
pub async fn until_gone(client: &kube::Client, namespace: &str, name: &str, uid: &str) -> String {
    use kube::runtime::{watcher, WatchStreamExt};
    let api: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher(api, config).default_backoff().boxed();
    let mut seen = false;
    let mut init = Vec::new();
    let verdict = |p: &Pod| -> Option<String> {
        if p.metadata.uid.as_deref() != Some(uid) {
            return Some(format!(
                "the pod {name} was deleted (another has its name now)"
            ));
        }
        check_running(p)
            .err()
            .map(|_| format!("the pod {name} is no longer running"))
    };
    while let Some(e) = events.next().await {
        match e {
            Ok(watcher::Event::Apply(p)) => {
                if let Some(why) = verdict(&p) {
                    return why;
                }
            }
            Ok(watcher::Event::Delete(p)) if p.metadata.uid.as_deref() == Some(uid) => {
                return format!("the pod {name} was deleted");
            }
            Ok(watcher::Event::Init) => {
                init.clear();
                seen = false;
            }
            Ok(watcher::Event::InitApply(p)) => {
                seen = true;
                init.push(p);
            }
            Ok(watcher::Event::InitDone) => {
                if !seen {
                    return format!("the pod {name} was deleted");
                }
                for p in init.drain(..) {
                    if let Some(why) = verdict(&p) {
                        return why;
                    }
                }
            }
            Ok(_) | Err(_) => {}
        }
    }
    format!("the watch of the pod {name} ended")
}

/// How the pod's direction ended.
enum Down {
    /// The server closed the WebSocket (the pod's side ended, or the node's error was said).
    Closed,
    /// The local client is gone: writing to it failed.
    LocalGone,
}

async fn pipe<S>(
    ws: S,
    local: TcpStream,
    port: u16,
    tuning: Tuning,
) -> Result<Carried, ForwardError>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
        + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let (mut rd, mut wr) = local.into_split();
    let started = Instant::now();
    let since_start = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // When a frame last came in (ms since `started`): pings and the linger read it.
    let last_in = AtomicU64::new(0);
    let quiet = |last: &AtomicU64| {
        Duration::from_millis(since_start().saturating_sub(last.load(Ordering::Relaxed)))
    };
    let mut error = Vec::new();
    let mut carried = Carried::default();
    let result = {
        let received = &mut carried.received;
        let error = &mut error;
        let last_in = &last_in;
        let down = async move {
            // The first message of each channel names the port.
            let mut named = [false; 2];
            loop {
                let next = match tokio::time::timeout(tuning.read_deadline, stream.next()).await {
                    Ok(n) => n,
                    Err(_) => return Err(ForwardError::Deadline(tuning.read_deadline.as_secs())),
                };
                last_in.store(since_start(), Ordering::Relaxed);
                let data = match next {
                    None | Some(Ok(Message::Close(_))) => return Ok(Down::Closed),
                    Some(Err(e)) => {
                        return Err(ForwardError::Transport {
                            cause: Break::of(&e),
                            source: e,
                        })
                    }
                    Some(Ok(Message::Binary(d))) => d,
                    Some(Ok(_)) => continue,
                };
                let Some((&channel, mut rest)) = data.split_first() else {
                    continue;
                };
                let Some(seen) = named.get_mut(usize::from(channel)) else {
                    continue;
                };
                if !*seen {
                    if rest.len() < 2 {
                        return Err(ForwardError::Protocol(
                            "a channel's first message does not name its port",
                        ));
                    }
                    if u16::from_le_bytes([rest[0], rest[1]]) != port {
                        return Err(ForwardError::Protocol(
                            "a channel names another port than the one asked for",
                        ));
                    }
                    *seen = true;
                    rest = &rest[2..];
                }
                if rest.is_empty() {
                    continue;
                }
                if channel == 0 {
                    if wr.write_all(rest).await.is_err() {
                        return Ok(Down::LocalGone);
                    }
                    *received += rest.len() as u64;
                } else {
                    let room = MAX_ERROR.saturating_sub(error.len());
                    error.extend_from_slice(&rest[..rest.len().min(room)]);
                }
            }
        };
        let sent = &mut carried.sent;
        let up = async move {
            let mut buf = vec![0u8; READ];
            let mut ticker =
                tokio::time::interval(tuning.ping_every.max(Duration::from_millis(100)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    r = rd.read(&mut buf[1..]) => match r {
                        Ok(0) => return Ok(sink),
                        Err(e) => return Err(ForwardError::Local(e)),
                        Ok(n) => {
                            let frame = bytes::Bytes::copy_from_slice(&buf[..=n]);
                            if let Err(e) = sink.send(Message::Binary(frame)).await {
                                return Err(ForwardError::Transport { cause: Break::of(&e), source: e });
                            }
                            *sent += n as u64;
                        }
                    },
                    _ = ticker.tick() => {
                        if quiet(last_in) >= tuning.ping_every {
                            if let Err(e) = sink.send(Message::Ping(Default::default())).await {
                                return Err(ForwardError::Transport { cause: Break::of(&e), source: e });
                            }
                        }
                    }
                }
            }
        };
        tokio::pin!(down, up);
        tokio::select! {
            d = &mut down => d.map(|_| ()),
            u = &mut up => match u {
                Err(e) => Err(e),
                Ok(mut sink) => {
                    // The local client is done sending: the pod's answer still comes through,
                    // until the pod ends its side or stays quiet for LINGER.
                    let linger = loop {
                        tokio::select! {
                            d = &mut down => break d.map(|_| ()),
                            _ = tokio::time::sleep(LINGER / 5) => {
                                if quiet(last_in) >= LINGER {
                                    break Ok(());
                                }
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
                    linger
                }
            }
        }
    };
    if !error.is_empty() {
        return Err(ForwardError::Unreachable {
            port,
            message: text::shown(String::from_utf8_lossy(&error).trim()),
        });
    }
    result.map(|()| carried)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_specs_read_as_kubectl_reads_them() {
        let n = |l, r| PortSpec {
            local: l,
            remote: RemotePort::Number(r),
        };
        assert_eq!(PortSpec::parse("8080:80").ok(), Some(n(8080, 80)));
        assert_eq!(PortSpec::parse(":80").ok(), Some(n(0, 80)));
        assert_eq!(PortSpec::parse("5432").ok(), Some(n(5432, 5432)));
        assert_eq!(
            PortSpec::parse("8080:http").ok(),
            Some(PortSpec {
                local: 8080,
                remote: RemotePort::Name("http".into())
            })
        );
        for bad in ["", "x:80", "8080:0", "70000:80", "1:2:3", "8080:", "http"] {
            let e = PortSpec::parse(bad).expect_err(bad);
            assert!(matches!(e, ForwardError::BadSpec(_)), "{bad}: {e}");
        }
        assert_eq!(
            PortSpec::parse("x:80")
                .map_err(|e| e.to_string())
                .err()
                .as_deref(),
            Some("error parsing local port 'x': a port is a number from 1 to 65535")
        );
    }

    #[test]
    fn addresses_read_as_kubectl_reads_them() {
        let a = addresses(&["localhost".into()]).expect("localhost");
        assert_eq!(
            a,
            vec![
                (IpAddr::from([127, 0, 0, 1]), false),
                (IpAddr::from(std::net::Ipv6Addr::LOCALHOST), false)
            ]
        );
        let a = addresses(&["127.0.0.1,0.0.0.0".into()]).expect("list");
        assert_eq!(a.len(), 2);
        assert!(a.iter().all(|(_, required)| *required));
        assert!(matches!(
            addresses(&["example.com".into()]),
            Err(ForwardError::BadSpec(_))
        ));
    }

    #[tokio::test]
    async fn one_free_port_is_the_same_on_every_address() {
        let ls = listen(&addresses(&["localhost".into()]).expect("a"), 0)
            .await
            .expect("listen");
        let ports: Vec<u16> = ls
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .map(|a| a.port())
            .collect();
        assert!(!ports.is_empty());
        assert!(ports.iter().all(|p| *p == ports[0] && *p != 0), "{ports:?}");
        // A taken port on a required address is refused with the OS's reason.
        let taken = ports[0];
        let e = listen(&[(IpAddr::from([127, 0, 0, 1]), true)], taken)
            .await
            .expect_err("taken");
        assert!(matches!(e, ForwardError::Listen(_)), "{e}");
    }

    #[test]
    fn named_ports_are_found_in_the_containers() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "web-1" },
            "spec": { "containers": [
                { "name": "a", "ports": [{ "name": "metrics", "containerPort": 9090 }] },
                { "name": "b", "ports": [{ "name": "http", "containerPort": 8080 }] },
            ]},
        }))
        .expect("pod");
        let spec = PortSpec::parse("1234:http").expect("spec");
        assert_eq!(spec.remote_in(&pod).ok(), Some(8080));
        let e = PortSpec::parse("1234:grpc")
            .expect("spec")
            .remote_in(&pod)
            .expect_err("no grpc");
        assert_eq!(
            e.to_string(),
            "Pod 'web-1' does not have a named port 'grpc'"
        );
    }
}
