//! `pods/{name}/portforward` over WebSocket, in the two ways clients speak it:
//!
//! - `SPDY/3.1+portforward.k8s.io`: a SPDY session tunnelled through the WebSocket's binary
//!   messages (kubectl 1.31 and later: the API server's tunnelling). Each forwarded connection is
//!   a pair of streams with the same `requestID`, `streamType` `error` and `data`, and a `port`.
//! - `v4.channel.k8s.io` (the kubelet's own WebSocket protocol, what kube-rs and Podterm use):
//!   one connection per WebSocket, the ports in the query (`?ports=8080`); for the i-th port,
//!   channel 2i carries the data and 2i+1 the errors, and the server's first message on each is
//!   the port number (2 bytes, little-endian).
//!
//! A pod's containers are local processes sharing this computer's network, so a pod's port is
//! this computer's loopback port (`127.0.0.1`, then `::1`, as a kubelet tries a pod's
//! `localhost`), reached only when a process of that pod listens there (its network namespace
//! would hold nothing else: a forward never reaches the client's own listeners, which would
//! loop). Deleting the pod ends its port forwards, as its network namespace going would.

use crate::api::Body;
use crate::config::Phase;
use crate::exec::{bad, switching, ws_offer, Ws};
use crate::spdy::{self, Frame};
use crate::store::Pod;
use crate::Shared;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

const SPDY_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";
const V4: &str = "v4.channel.k8s.io";
/// What one read from a pod's port carries at most (kubectl's SPDY library copies 32 KiB).
const READ: usize = 32 << 10;
/// Messages queued for the client, and chunks queued for one pod connection: both bounded, so
/// a slow side pauses the other.
const QUEUE: usize = 16;

enum Proto {
    Spdy,
    V4(Vec<u16>),
}

/// Checks a port-forward request as the API server and kubelet do, then upgrades it.
pub fn upgrade(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    ns: &str,
    name: &str,
) -> Response<Body> {
    let Some(pod) = shared.store.pod(ns, name) else {
        return crate::api::not_found("pods", "", name);
    };
    if pod.spec.phase != Phase::Running {
        return bad(&format!(
            "pod {name} is not running (its phase is {}): nothing listens in it",
            pod.spec.phase.as_str()
        ));
    }
    let (key, offered) = match ws_offer(req.headers(), &format!("{SPDY_TUNNEL}, {V4}")) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let proto = if offered.iter().any(|s| s == SPDY_TUNNEL) {
        Proto::Spdy
    } else if offered.iter().any(|s| s == V4) {
        let query = req.uri().query().unwrap_or("");
        let mut ports = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if k != "ports" && k != "port" {
                continue;
            }
            for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match p.parse::<u16>() {
                    Ok(n) if n > 0 => ports.push(n),
                    _ => return bad(&format!("invalid port {p:?}: a port is 1 to 65535")),
                }
            }
        }
        if ports.is_empty() {
            return bad("query parameter \"ports\" is required");
        }
        Proto::V4(ports)
    } else {
        return bad(&format!(
            "unable to upgrade connection: none of the requested subprotocols {offered:?} is supported; use {SPDY_TUNNEL} or {V4}"
        ));
    };
    let res = switching(
        &key,
        if matches!(proto, Proto::Spdy) {
            SPDY_TUNNEL
        } else {
            V4
        },
    );
    let cluster = shared.id.clone();
    crate::exec::serve_upgraded(req, &shared, move |ws| async move {
        match proto {
            Proto::Spdy => spdy_session(ws, pod, cluster).await,
            Proto::V4(ports) => v4_session(ws, pod, ports, cluster).await,
        }
    });
    res
}

/// From the client to one pod connection.
enum ToPod {
    Data(Bytes),
    /// The client sends no more (the pod's side may still answer).
    Fin,
}

/// How one forwarded connection's bytes and errors reach the client.
#[derive(Clone, Copy)]
enum Route {
    Spdy { data: u32, error: u32 },
    V4 { index: u8 },
}

impl Route {
    fn data(self, bytes: &[u8]) -> Message {
        match self {
            Route::Spdy { data, .. } => bin(spdy::Writer::data(data, false, bytes)),
            Route::V4 { index } => channel(index * 2, bytes),
        }
    }

    fn error(self, text: &str) -> Vec<Message> {
        match self {
            Route::Spdy { error, .. } => vec![
                bin(spdy::Writer::data(error, false, text.as_bytes())),
                bin(spdy::Writer::data(error, true, &[])),
            ],
            Route::V4 { index } => vec![channel(index * 2 + 1, text.as_bytes())],
        }
    }

    /// The pod's side has ended: no more data (SPDY: FIN on the data stream).
    fn data_end(self) -> Option<Message> {
        match self {
            Route::Spdy { data, .. } => Some(bin(spdy::Writer::data(data, true, &[]))),
            Route::V4 { .. } => None,
        }
    }

    /// The forward is over without an error (SPDY: FIN on the error stream, which kubectl reads
    /// to its end before it lets the connection go).
    fn error_end(self) -> Option<Message> {
        match self {
            Route::Spdy { error, .. } => Some(bin(spdy::Writer::data(error, true, &[]))),
            Route::V4 { .. } => None,
        }
    }
}

fn bin(v: Vec<u8>) -> Message {
    Message::Binary(v.into())
}

fn channel(ch: u8, data: &[u8]) -> Message {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(ch);
    v.extend_from_slice(data);
    bin(v)
}

/// Connects to the pod's port as a kubelet does to the pod's `localhost`: IPv4, then IPv6;
/// a port no process of the pod listens on is refused as an empty namespace refuses it.
async fn dial(pod: &Who, port: u16) -> Result<TcpStream, String> {
    // Only the families a socket of the pod takes: the other one, on this shared computer,
    // could be anyone's (the client's own forward listening on the same port, say).
    let (four, six) = listened_by_pod(pod, port);
    let refused = || std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    let v4 = if four {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(s) => return Ok(s),
            Err(e) => e,
        }
    } else {
        refused()
    };
    let v6 = if six {
        match TcpStream::connect(("::1", port)).await {
            Ok(s) => return Ok(s),
            Err(e) => e,
        }
    } else {
        refused()
    };
    let words = |e: &std::io::Error| match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connect: connection refused".to_string(),
        _ => e.to_string(),
    };
    Err(format!(
        "failed to connect to localhost:{port} inside the pod, IPv4: dial tcp4 127.0.0.1:{port}: {} IPv6 dial tcp6 [::1]:{port}: {}",
        words(&v4),
        words(&v6)
    ))
}

/// One forwarded connection, until the pod's side ends or the client resets it.
async fn forward(
    pod: Arc<Who>,
    port: u16,
    route: Route,
    mut from_client: mpsc::Receiver<ToPod>,
    out: mpsc::Sender<Message>,
) {
    let tcp = match dial(&pod, port).await {
        Ok(t) => t,
        Err(why) => {
            let text = format!(
                "error forwarding port {port} to pod {}, uid {}: {why}",
                pod.name, pod.uid
            );
            for m in route.error(&text) {
                let _ = out.send(m).await;
            }
            if let Some(m) = route.data_end() {
                let _ = out.send(m).await;
            }
            return;
        }
    };
    let _ = tcp.set_nodelay(true);
    let (mut rd, mut wr) = tcp.into_split();
    let to_client = out.clone();
    let down = async move {
        let mut buf = vec![0u8; READ];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to_client.send(route.data(&buf[..n])).await.is_err() {
                        return;
                    }
                }
            }
        }
        if let Some(m) = route.data_end() {
            let _ = to_client.send(m).await;
        }
    };
    let up = async move {
        while let Some(m) = from_client.recv().await {
            match m {
                ToPod::Data(b) => {
                    if wr.write_all(&b).await.is_err() {
                        // The pod's side is gone: what it sent before still goes out, then the
                        // end of the stream (kubectl waits for it).
                        return true;
                    }
                }
                ToPod::Fin => {
                    let _ = wr.shutdown().await;
                    return true;
                }
            }
        }
        false
    };
    tokio::pin!(down, up);
    tokio::select! {
        _ = &mut down => {}
        half_closed = &mut up => {
            // The client has closed its side: the pod may still answer until it closes too.
            if half_closed {
                down.await;
            }
        }
    }
    if let Some(m) = route.error_end() {
        let _ = out.send(m).await;
    }
}

/// Writes queued messages to the client until every sender is gone, then closes.
fn writer(
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    mut rx: mpsc::Receiver<Message>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    })
}

/// The pod a forward reaches: its name and uid (for the words), and its cluster's id (whose
/// processes carry it).
struct Who {
    name: String,
    uid: String,
    cluster: String,
}

fn ident(pod: &Pod, cluster: &str) -> Arc<Who> {
    Arc::new(Who {
        name: pod.spec.name.clone(),
        uid: pod.uid.clone(),
        cluster: cluster.to_string(),
    })
}

/// The sockets listening on `port` on loopback or every address: each one's inode, and whether
/// it takes IPv4 and IPv6 connections to loopback (`::` may take both).
fn listening_inodes(port: u16) -> Vec<(u64, bool, bool)> {
    let mut out = Vec::new();
    for (table, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address rem_address st ... inode (the 10th field); LISTEN is 0A.
            let (Some(local), Some(&"0A"), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                continue;
            };
            let Some((addr, p)) = local.split_once(':') else {
                continue;
            };
            if u16::from_str_radix(p, 16).ok() != Some(port) {
                continue;
            }
            let families = match (v6, addr) {
                (false, "0100007F" | "00000000") => Some((true, false)),
                (true, "00000000000000000000000000000000") => Some((true, true)),
                (true, "00000000000000000000000001000000") => Some((false, true)),
                (true, "0000000000000000FFFF00000100007F") => Some((true, false)),
                _ => None,
            };
            if let (Some((four, six)), Ok(i)) = (families, inode.parse::<u64>()) {
                out.push((i, four, six));
            }
        }
    }
    out
}

/// Whether a process of the pod (this cluster's, its `HOSTNAME` the pod's name) listens on
/// `port` of loopback: (IPv4, IPv6).
fn listened_by_pod(pod: &Who, port: u16) -> (bool, bool) {
    let sockets = listening_inodes(port);
    if sockets.is_empty() {
        return (false, false);
    }
    let mut found = (false, false);
    let hostname = format!("HOSTNAME={}", pod.name);
    let pids = crate::process::processes_with_env(crate::process::CLUSTER_ENV, &pod.cluster)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|kv| kv == hostname.as_bytes()))
                .unwrap_or(false)
        })
        .collect::<Vec<_>>();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let inode = std::fs::read_link(fd.path()).ok().and_then(|l| {
                l.to_str()
                    .and_then(|s| s.strip_prefix("socket:["))
                    .and_then(|s| s.strip_suffix(']'))
                    .and_then(|s| s.parse::<u64>().ok())
            });
            for &(i, four, six) in &sockets {
                if Some(i) == inode {
                    found = (found.0 || four, found.1 || six);
                }
            }
        }
    }
    found
}

/// A connection being carried, by its data stream.
struct Carrying {
    tx: Option<mpsc::Sender<ToPod>>,
    task: tokio::task::AbortHandle,
    error: u32,
}

/// A connection's streams as they come: (port, error stream, data stream).
type Pair = (Option<u16>, Option<u32>, Option<u32>);

/// kubectl's session: streams in pairs, one pair per connection, until the client goes away,
/// says GOAWAY, or the pod is deleted.
async fn spdy_session(ws: Ws, pod: Pod, cluster: String) {
    let (sink, mut stream) = ws.split();
    let (out, rx) = mpsc::channel::<Message>(QUEUE);
    let writing = writer(sink, rx);
    let who = ident(&pod, &cluster);
    let mut reader = spdy::Reader::default();
    let mut replies = spdy::Writer::default();
    // requestID → the pair so far, until both streams have come.
    let mut pairs: HashMap<String, Pair> = HashMap::new();
    // data stream → its connection: the way in (until the client's FIN), the task, and the
    // error stream (a reset ends the task, and the error stream with it).
    let mut to_pod: HashMap<u32, Carrying> = HashMap::new();
    let mut forwards = JoinSet::new();
    let mut last_stream = 0;
    'session: loop {
        let msg = tokio::select! {
            _ = pod.life.cancelled() => break,
            m = stream.next() => m,
        };
        let bytes = match msg {
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => continue,
        };
        reader.push(&bytes);
        loop {
            let frame = match reader.next() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!("port-forward session ends: {e}");
                    break 'session;
                }
            };
            match frame {
                Frame::SynStream { id, headers, .. } => {
                    last_stream = id;
                    if out.send(bin(replies.syn_reply(id))).await.is_err() {
                        break 'session;
                    }
                    let get = |k: &str| {
                        headers
                            .iter()
                            .find(|(n, _)| n == k)
                            .map(|(_, v)| v.as_str())
                    };
                    let request = get("requestid").unwrap_or("").to_string();
                    let port = get("port").and_then(|p| p.parse::<u16>().ok());
                    let pair = pairs.entry(request.clone()).or_default();
                    if port.is_some() {
                        pair.0 = port;
                    }
                    match get("streamtype") {
                        Some("error") => pair.1 = Some(id),
                        Some("data") => pair.2 = Some(id),
                        _ => {
                            let _ = out.send(bin(spdy::Writer::rst(id))).await;
                            continue;
                        }
                    }
                    if let (Some(port), Some(error), Some(data)) = *pair {
                        pairs.remove(&request);
                        let (tx, rx) = mpsc::channel(QUEUE);
                        let route = Route::Spdy { data, error };
                        let task =
                            forwards.spawn(forward(who.clone(), port, route, rx, out.clone()));
                        to_pod.insert(
                            data,
                            Carrying {
                                tx: Some(tx),
                                task,
                                error,
                            },
                        );
                    }
                }
                Frame::Data { id, fin, data } => {
                    let Some(c) = to_pod.get_mut(&id) else {
                        continue;
                    };
                    let Some(tx) = &c.tx else { continue };
                    let mut gone = !data.is_empty() && tx.send(ToPod::Data(data)).await.is_err();
                    if fin && !gone {
                        let _ = tx.send(ToPod::Fin).await;
                        gone = true;
                    }
                    if gone {
                        c.tx = None;
                    }
                }
                Frame::RstStream { id } => {
                    // The client is done with the connection (kubectl resets the data stream
                    // once the pod's side has ended): it ends here, and its error stream too.
                    if let Some(c) = to_pod.remove(&id) {
                        if !c.task.is_finished() {
                            c.task.abort();
                            let _ = out.send(bin(spdy::Writer::data(c.error, true, &[]))).await;
                        }
                    }
                }
                Frame::Ping { id } => {
                    if out.send(bin(spdy::Writer::ping(id))).await.is_err() {
                        break 'session;
                    }
                }
                Frame::GoAway => break 'session,
                Frame::Ignored => {}
            }
        }
    }
    forwards.abort_all();
    let _ = out.send(bin(spdy::Writer::goaway(last_stream))).await;
    drop(out);
    let _ = writing.await;
}

/// Podterm's (and kube-rs's) session: one connection per port in the query, for the life of
/// the WebSocket; it closes once every port's connection has ended.
async fn v4_session(ws: Ws, pod: Pod, ports: Vec<u16>, cluster: String) {
    let (sink, mut stream) = ws.split();
    let (out, rx) = mpsc::channel::<Message>(QUEUE + 2 * ports.len());
    let writing = writer(sink, rx);
    let who = ident(&pod, &cluster);
    let mut to_pod = Vec::new();
    let mut forwards = JoinSet::new();
    for (i, &port) in ports.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        if index >= 127 {
            break;
        }
        for ch in [index * 2, index * 2 + 1] {
            let _ = out.send(channel(ch, &port.to_le_bytes())).await;
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        to_pod.push(Some(tx));
        forwards.spawn(forward(
            who.clone(),
            port,
            Route::V4 { index },
            rx,
            out.clone(),
        ));
    }
    loop {
        let msg = tokio::select! {
            _ = pod.life.cancelled() => break,
            done = forwards.join_next() => match done {
                Some(_) => continue,
                None => break,
            },
            m = stream.next() => m,
        };
        let bytes = match msg {
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => continue,
        };
        let Some((&ch, rest)) = bytes.split_first() else {
            continue;
        };
        if ch % 2 != 0 || rest.is_empty() {
            continue;
        }
        if let Some(slot) = to_pod.get_mut(usize::from(ch / 2)) {
            if let Some(tx) = slot {
                if tx
                    .send(ToPod::Data(Bytes::copy_from_slice(rest)))
                    .await
                    .is_err()
                {
                    *slot = None;
                }
            }
        }
    }
    forwards.abort_all();
    drop(out);
    let _ = writing.await;
}
