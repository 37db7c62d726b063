//! A hostile API server on loopback: plain HTTP that plays whatever a test scripts, including what
//! no real API server would do (never answer, answer garbage, flood tiny frames, keep the socket
//! open after the status, send a 50 MB status message).
//!
//! It speaks just enough HTTP/1.1 by hand (so a reply can be any bytes at all) and upgrades exec
//! requests to a WebSocket with the `v5.channel.k8s.io` subprotocol (or `v4` when the client
//! offers no `v5`). A test gives one [`Handler`]: request head in, [`Reply`] out. Requests the
//! handler does not care about can go to [`default_reply`], which serves a running pod named
//! like the request's pod with one container, `main`.
//!
//! ```no_run
//! # async fn f() {
//! use podterm_test_support::hostile::{self, Hostile, Reply};
//! let server = Hostile::start(|req| {
//!     if req.is_exec() {
//!         Reply::exec(|mut ws| async move {
//!             ws.send(hostile::frame(1, b"hi")).await;
//!             ws.send_status_success().await;
//!             ws.hold_open().await; // a server that never closes (`ws.close()` closes)
//!         })
//!     } else {
//!         hostile::default_reply(req)
//!     }
//! })
//! .await
//! .unwrap();
//! let _kubeconfig = server.kubeconfig();
//! # }
//! ```

use futures_util::{SinkExt, StreamExt};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::Error;

/// The message type [`Ws::send_message`] takes (text frames, pings, closes).
pub use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The bearer token the written kubeconfig carries (the server accepts anything).
pub const TOKEN: &str = "hostile-token";

/// The largest request head the server reads before it gives up on a connection.
const MAX_HEAD: usize = 64 * 1024;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The raw query (no `?`), empty when there is none.
    pub query: String,
    /// Header names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A WebSocket upgrade to `/…/pods/NAME/exec` (or `attach`).
    pub fn is_exec(&self) -> bool {
        (self.path.ends_with("/exec") || self.path.ends_with("/attach"))
            && self
                .header("upgrade")
                .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
    }

    /// `(namespace, pod)` of a `/api/v1/namespaces/NS/pods/NAME[/…]` path.
    pub fn pod(&self) -> Option<(&str, &str)> {
        let rest = self.path.strip_prefix("/api/v1/namespaces/")?;
        let mut parts = rest.split('/');
        let ns = parts.next()?;
        if parts.next()? != "pods" {
            return None;
        }
        Some((ns, parts.next()?))
    }
}

/// What the server does with one request.
pub enum Reply {
    /// A complete HTTP response with `Content-Length`; the connection stays open for the next.
    Http {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// These bytes on the socket as they are, then close (garbage, a cut-off response, ...).
    Raw(Vec<u8>),
    /// Read the request, never answer, never close (until the server is dropped).
    Silence,
    /// Upgrade to a WebSocket and run the script on it; the connection closes when it returns.
    Exec(ExecScript),
    /// Hand the socket to the script as it is (to write a response of any length or shape);
    /// the connection closes when it returns.
    Stream(StreamScript),
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
/// The body of an exec session, given the upgraded socket.
pub type ExecScript = Box<dyn FnOnce(Ws) -> BoxFuture + Send>;
/// A script that writes a response by hand on the socket.
pub type StreamScript = Box<dyn FnOnce(TcpStream) -> BoxFuture + Send>;
/// The server's whole behaviour: one reply per request.
pub type Handler = Arc<dyn Fn(&RequestHead) -> Reply + Send + Sync>;

impl Reply {
    pub fn exec<F, Fut>(script: F) -> Reply
    where
        F: FnOnce(Ws) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Reply::Exec(Box::new(move |ws| Box::pin(script(ws))))
    }

    pub fn stream<F, Fut>(script: F) -> Reply
    where
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Reply::Stream(Box::new(move |tcp| Box::pin(script(tcp))))
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Http {
            status,
            content_type: "application/json".into(),
            body: body.into(),
        }
    }

    /// A `metav1.Status` failure with this code, reason and message (escaped as JSON).
    pub fn status(code: u16, reason: &str, message: &str) -> Reply {
        let body = serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code,
        });
        Reply::json(code, body.to_string())
    }
}

/// What a well-behaved server answers: discovery (`/api`, `/apis`, `/api/v1`, as kubectl needs
/// it), a running pod for a pod GET, 404 for anything else.
pub fn default_reply(req: &RequestHead) -> Reply {
    match req.path.as_str() {
        "/api" => {
            return Reply::json(
                200,
                r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[]}"#,
            )
        }
        "/apis" => {
            return Reply::json(
                200,
                r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"#,
            )
        }
        "/api/v1" => {
            return Reply::json(
                200,
                r#"{"kind":"APIResourceList","groupVersion":"v1","resources":[
                {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","shortNames":["po"],
                 "verbs":["get","list","watch","create","delete"]},
                {"name":"pods/exec","singularName":"","namespaced":true,"kind":"PodExecOptions","verbs":["create","get"]}]}"#,
            )
        }
        _ => {}
    }
    match req.pod() {
        Some((ns, name)) if req.method == "GET" && !req.path.contains(&format!("{name}/")) => {
            Reply::json(200, pod_json(ns, name).to_string())
        }
        _ => Reply::status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    }
}

/// A running, ready pod with one container, `main`.
pub fn pod_json(ns: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"),
                     "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        "status": {"phase": "Running",
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0,
                                          "image": "busybox", "imageID": "",
                                          "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}
    })
}

/// One binary frame on `channel`.
pub fn frame(channel: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(channel);
    v.extend_from_slice(data);
    v
}

/// The upgraded exec socket, as the script drives it.
pub struct Ws {
    inner: WebSocketStream<TcpStream>,
    /// The subprotocol the server chose.
    pub protocol: String,
}

impl Ws {
    /// Sends one binary message; false once the client is gone.
    pub async fn send(&mut self, data: Vec<u8>) -> bool {
        self.inner.send(Message::binary(data)).await.is_ok()
    }

    /// Sends any message (text frames, pings, a close, ...); false once the client is gone.
    pub async fn send_message(&mut self, m: Message) -> bool {
        self.inner.send(m).await.is_ok()
    }

    /// Queues one binary message without flushing (a flood of tiny frames, one syscall per
    /// batch); false once the client is gone. [`Ws::flush`] sends what is queued.
    pub async fn feed(&mut self, data: Vec<u8>) -> bool {
        self.inner.feed(Message::binary(data)).await.is_ok()
    }

    /// Queues any message without flushing (several that must reach the client in one
    /// segment); false once the client is gone. [`Ws::flush`] sends what is queued.
    pub async fn feed_message(&mut self, m: Message) -> bool {
        self.inner.feed(m).await.is_ok()
    }

    /// Sends everything queued by [`Ws::feed`] and [`Ws::feed_message`]; false once the client
    /// is gone.
    pub async fn flush(&mut self) -> bool {
        self.inner.flush().await.is_ok()
    }

    /// `{"status":"Success"}` on the status channel.
    pub async fn send_status_success(&mut self) -> bool {
        self.send(frame(3, br#"{"metadata":{},"status":"Success"}"#))
            .await
    }

    /// The next message from the client; `None` when it closed or the socket failed.
    pub async fn recv(&mut self) -> Option<Message> {
        match self.inner.next().await {
            Some(Ok(m)) => Some(m),
            _ => None,
        }
    }

    /// A normal close (close frame, then the socket), as a well-behaved server ends.
    pub async fn close(mut self) {
        let normal = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        let _ = self.inner.close(Some(normal)).await;
        // Wait for the client's close reply (or its going away), as the handshake wants.
        while self.recv().await.is_some() {}
    }

    /// Reads and discards what the client sends, never closing, until the client goes away.
    pub async fn hold_open(mut self) {
        while self.recv().await.is_some() {}
    }

    /// The socket, for what the methods above do not cover.
    pub fn into_inner(self) -> WebSocketStream<TcpStream> {
        self.inner
    }
}

/// The running server. Dropping it stops accepting and ends every connection's task.
pub struct Hostile {
    addr: SocketAddr,
    /// Connections the server was silent on that the client closed.
    silent_closed: Arc<std::sync::atomic::AtomicUsize>,
    dir: PathBuf,
    tasks: Arc<std::sync::Mutex<tokio::task::JoinSet<()>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Listens on 127.0.0.1 (a free port) and writes a kubeconfig for it into a fresh temp dir.
    pub async fn start<F>(handler: F) -> Result<Hostile, Error>
    where
        F: Fn(&RequestHead) -> Reply + Send + Sync + 'static,
    {
        let handler: Handler = Arc::new(handler);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::io("bind the hostile server"))?;
        let addr = listener
            .local_addr()
            .map_err(Error::io("the hostile server's address"))?;
        let dir = std::env::temp_dir().join(format!(
            "podterm-hostile-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir).map_err(Error::io("create the hostile server's dir"))?;
        std::fs::write(dir.join("kubeconfig"), kubeconfig(addr))
            .map_err(Error::io("write the hostile server's kubeconfig"))?;
        let tasks = Arc::new(std::sync::Mutex::new(tokio::task::JoinSet::new()));
        let spawn_into = tasks.clone();
        let silent_closed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let closed = silent_closed.clone();
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let handler = handler.clone();
                let mut set = spawn_into.lock().unwrap_or_else(|p| p.into_inner());
                set.spawn(connection(tcp, handler, closed.clone()));
            }
        });
        Ok(Hostile {
            addr,
            silent_closed,
            dir,
            tasks,
            accept,
        })
    }

    /// How many connections answered with [`Reply::Silence`] the client has closed (gave up
    /// on, or cancelled).
    pub fn silent_closed(&self) -> usize {
        self.silent_closed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig (context `hostile`, namespace `default`, a bearer token) for this server.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// The temp dir the kubeconfig is in (free for the test's own files).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.accept.abort();
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort_all();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn kubeconfig(addr: SocketAddr) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: hostile\n\
         clusters:\n- name: hostile\n  cluster:\n    server: http://{addr}\n\
         users:\n- name: hostile\n  user:\n    token: {TOKEN}\n\
         contexts:\n- name: hostile\n  context:\n    cluster: hostile\n    user: hostile\n    namespace: default\n"
    )
}

/// Serves requests on one connection until a reply ends it.
async fn connection(
    mut tcp: TcpStream,
    handler: Handler,
    silent_closed: Arc<std::sync::atomic::AtomicUsize>,
) {
    let mut buf = Vec::new();
    loop {
        let Some((head, body_len)) = read_head(&mut tcp, &mut buf).await else {
            return;
        };
        // Skip a request body (rarely sent; never looked at).
        let mut left = body_len;
        while left > 0 {
            if !buf.is_empty() {
                let n = left.min(buf.len());
                buf.drain(..n);
                left -= n;
                continue;
            }
            let mut chunk = [0u8; 8192];
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        match handler(&head) {
            Reply::Http {
                status,
                content_type,
                body,
            } => {
                let mut out = format!(
                    "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                    reason_phrase(status),
                    body.len()
                )
                .into_bytes();
                out.extend_from_slice(&body);
                if tcp.write_all(&out).await.is_err() {
                    return;
                }
            }
            Reply::Raw(bytes) => {
                let _ = tcp.write_all(&bytes).await;
                let _ = tcp.shutdown().await;
                return;
            }
            Reply::Silence => {
                // Keep reading (so the client's writes never block) and never answer.
                let mut sink = [0u8; 8192];
                while let Ok(n) = tcp.read(&mut sink).await {
                    if n == 0 {
                        // The client closed (or half-closed); stay silent until the server is
                        // dropped.
                        silent_closed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        std::future::pending::<()>().await;
                    }
                }
                // A reset.
                silent_closed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            Reply::Stream(script) => {
                script(tcp).await;
                return;
            }
            Reply::Exec(script) => {
                let Some(key) = head.header("sec-websocket-key").map(str::to_owned) else {
                    return;
                };
                let offered = head.header("sec-websocket-protocol").unwrap_or("");
                let protocol = if offered.contains("v5.channel.k8s.io") {
                    "v5.channel.k8s.io"
                } else {
                    "v4.channel.k8s.io"
                };
                let answer = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n",
                    derive_accept_key(key.as_bytes())
                );
                if tcp.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
                // Bytes the client sent after the head belong to the WebSocket.
                let ws = WebSocketStream::from_partially_read(
                    tcp,
                    std::mem::take(&mut buf),
                    Role::Server,
                    Some(WebSocketConfig::default()),
                )
                .await;
                script(Ws {
                    inner: ws,
                    protocol: protocol.to_string(),
                })
                .await;
                return;
            }
        }
    }
}

/// Reads one request head; the bytes after it stay in `buf`. `None` on EOF, error or a head
/// over [`MAX_HEAD`].
async fn read_head(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(RequestHead, usize)> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            return parse_head(&text);
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let mut chunk = [0u8; 8192];
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn parse_head(text: &str) -> Option<(RequestHead, usize)> {
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.to_string(), String::new()),
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body_len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    Some((
        RequestHead {
            method,
            path,
            query,
            headers,
        },
        body_len,
    ))
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kubectl takes the server for an API server: a pod GET and an exec both work.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kubectl_gets_a_pod_and_execs() {
        let server = Hostile::start(|req| {
            if req.is_exec() {
                Reply::exec(|mut ws| async move {
                    ws.send(frame(1, b"from-hostile\n")).await;
                    ws.send_status_success().await;
                    ws.close().await;
                })
            } else {
                default_reply(req)
            }
        })
        .await
        .expect("server");
        let kc = server.kubeconfig();
        let kubectl = crate::kubectl::newest();
        let run = |args: &'static [&'static str]| {
            let out = std::process::Command::new(&kubectl)
                .arg("--kubeconfig")
                .arg(&kc)
                .args(args)
                .output()
                .expect("kubectl runs");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let got = tokio::task::block_in_place(|| run(&["get", "pod", "shell", "-o", "name"]));
        assert_eq!(
            (got.0, got.1.as_str()),
            (Some(0), "pod/shell\n"),
            "{}",
            got.2
        );
        let got = tokio::task::block_in_place(|| run(&["exec", "shell", "--", "anything"]));
        assert_eq!(
            (got.0, got.1.as_str()),
            (Some(0), "from-hostile\n"),
            "{}",
            got.2
        );
    }
}
