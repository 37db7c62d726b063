//! The wire protocol without kubectl: a small raw client (TCP, rustls, hand-written HTTP/1.1,
//! tokio-tungstenite) drives exec sessions over `v5.channel.k8s.io` and `v4.channel.k8s.io`,
//! sends requests the API server refuses, injects faults and runs many sessions at once.
//! Every test starts its own cluster and checks that no session or process outlives it.

use podterm_test_support::cluster;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use testcluster::{Options, TestCluster};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{
    HeaderValue, AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL,
};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const V5: &str = "v5.channel.k8s.io";
const V4: &str = "v4.channel.k8s.io";
const STDIO: &[(&str, &str)] = &[("stdin", "true"), ("stdout", "true"), ("stderr", "true")];
const OUT_ERR: &[(&str, &str)] = &[("stdout", "true"), ("stderr", "true")];
/// How long a session is given to say what a test waits for: far longer than it takes, so a
/// loaded machine only makes a test slower, never fail.
const WAIT: Duration = Duration::from_secs(30);

type Ws = WebSocketStream<TlsStream<TcpStream>>;
type WsTx = SplitSink<Ws, Message>;
type WsRx = SplitStream<Ws>;

// ---------------------------------------------------------------------------------------------
// The raw client
// ---------------------------------------------------------------------------------------------

/// Everything needed to talk to one cluster; cheap to clone into tasks.
#[derive(Clone)]
struct Client {
    addr: SocketAddr,
    tls: TlsConnector,
    token: String,
}

impl Client {
    fn new(c: &TestCluster) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(c.ca_pem().as_bytes()) {
            roots
                .add(cert.expect("the cluster's CA PEM parses"))
                .expect("the cluster's CA is a usable root");
        }
        assert!(
            !roots.is_empty(),
            "the cluster's CA PEM holds a certificate"
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Client {
            addr: c.addr(),
            tls: TlsConnector::from(Arc::new(cfg)),
            token: c.token("demo-admin").expect("demo-admin token").to_string(),
        }
    }

    async fn connect(&self) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        self.tls
            .connect(ServerName::IpAddress(self.addr.ip().into()), tcp)
            .await
    }

    /// A request with the admin's token (unless `auth` overrides it) and `Connection: close`.
    async fn request(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        extra: &[(&str, &str)],
    ) -> HttpResp {
        let mut tls = self.connect().await.expect("TLS connection to the cluster");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            self.addr
        );
        let token = match auth {
            Auth::Admin => Some(self.token.as_str()),
            Auth::Token(t) => Some(t),
            Auth::None => None,
        };
        if let Some(t) = token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !extra
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("connection"))
        {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        http_exchange(&mut tls, &head)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    async fn get(&self, path: &str) -> HttpResp {
        self.request("GET", path, Auth::Admin, &[]).await
    }

    /// A request with a body, as the admin.
    async fn send(&self, method: &str, path: &str, content_type: &str, body: &Value) -> HttpResp {
        let body = body.to_string();
        let mut tls = self.connect().await.expect("TLS connection to the cluster");
        let msg = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            self.token,
            body.len()
        );
        http_exchange(&mut tls, &msg)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Opens a WebSocket offering `protocols` (comma-separated) with the admin's token.
    async fn ws(
        &self,
        path: &str,
        protocols: &str,
    ) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
        self.ws_with(path, protocols, Auth::Admin).await
    }

    async fn ws_with(
        &self,
        path: &str,
        protocols: &str,
        auth: Auth<'_>,
    ) -> Result<(Ws, tungstenite::handshake::client::Response), tungstenite::Error> {
        let stream = self.connect().await?;
        let mut req = format!("wss://{}{}", self.addr, path).into_client_request()?;
        let token = match auth {
            Auth::Admin => Some(self.token.as_str()),
            Auth::Token(t) => Some(t),
            Auth::None => None,
        };
        if let Some(t) = token {
            let v = HeaderValue::from_str(&format!("Bearer {t}")).expect("token header");
            req.headers_mut().insert(AUTHORIZATION, v);
        }
        let v = HeaderValue::from_str(protocols).expect("protocol header");
        req.headers_mut().insert(SEC_WEBSOCKET_PROTOCOL, v);
        // Large enough to read whatever the server sends and to send an oversized frame.
        let cfg = WebSocketConfig::default()
            .max_message_size(Some(64 << 20))
            .max_frame_size(Some(64 << 20));
        tokio_tungstenite::client_async_with_config(req, stream, Some(cfg)).await
    }

    /// Opens an exec session and checks the negotiated subprotocol.
    async fn exec(&self, path: &str, offer: &str, want: &str) -> Ws {
        let (ws, resp) = tokio::time::timeout(Duration::from_secs(10), self.ws(path, offer))
            .await
            .unwrap_or_else(|_| panic!("exec upgrade {path} hung"))
            .unwrap_or_else(|e| panic!("exec upgrade {path}: {e}"));
        assert_eq!(resp.status().as_u16(), 101);
        assert_eq!(
            resp.headers()
                .get(SEC_WEBSOCKET_PROTOCOL)
                .and_then(|v| v.to_str().ok()),
            Some(want),
            "negotiated subprotocol for offer {offer:?}"
        );
        ws
    }

    /// Runs a whole exec session: sends `stdin` frames (then `[255, 0]` when `half_close`),
    /// collects everything until the server closes.
    async fn run(&self, path: &str, proto: &str, stdin: Vec<Vec<u8>>, half_close: bool) -> Outcome {
        let ws = self.exec(path, proto, proto).await;
        let (mut tx, mut rx) = ws.split();
        let writer = tokio::spawn(async move {
            for chunk in stdin {
                tx.send(stdin_frame(&chunk)).await?;
            }
            if half_close {
                tx.send(bin(vec![255, 0])).await?;
            }
            Ok::<WsTx, tungstenite::Error>(tx)
        });
        let out = tokio::time::timeout(Duration::from_secs(30), collect(&mut rx))
            .await
            .unwrap_or_else(|_| panic!("exec {path} did not end"));
        // The writer only fails when the server already closed; the outcome tells the story.
        let _ = writer.await;
        out
    }
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Admin,
    Token(&'a str),
    None,
}

fn exec_path(pod: &str, container: Option<&str>, argv: &[&str], flags: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(c) = container {
        q.append_pair("container", c);
    }
    for a in argv {
        q.append_pair("command", a);
    }
    for (k, v) in flags {
        q.append_pair(k, v);
    }
    format!("/api/v1/namespaces/demo/pods/{pod}/exec?{}", q.finish())
}

fn bin(v: Vec<u8>) -> Message {
    Message::Binary(v.into())
}

fn stdin_frame(data: &[u8]) -> Message {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(0);
    v.extend_from_slice(data);
    bin(v)
}

fn resize_frame(json: &str) -> Message {
    let mut v = vec![4];
    v.extend_from_slice(json.as_bytes());
    bin(v)
}

/// A plain HTTP/1.1 response.
#[derive(Debug)]
struct HttpResp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body of a {} is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Checks a `metav1.Status` failure body: code, reason and message.
    fn assert_status(&self, code: u16, reason: &str, message: &str) {
        assert_eq!(self.status, code, "HTTP status; body {}", self.text());
        let v = self.json();
        assert_eq!(v["kind"], "Status", "{v}");
        assert_eq!(v["status"], "Failure", "{v}");
        assert_eq!(v["code"], code, "{v}");
        assert_eq!(v["reason"], reason, "{v}");
        assert_eq!(v["message"], message, "{v}");
    }
}

/// Writes `head` and reads one response (by Content-Length, else to the end of the stream).
async fn http_exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    head: &str,
) -> std::io::Result<HttpResp> {
    s.write_all(head.as_bytes()).await?;
    s.flush().await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed before the response head: {:?}",
                    String::from_utf8_lossy(&buf)
                ),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    match length {
        Some(len) => {
            while body.len() < len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "body shorter than its Content-Length",
                    ));
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(len);
        }
        None => {
            // Until the peer closes; a missing TLS close_notify is not our concern here.
            loop {
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => body.extend_from_slice(&chunk[..n]),
                }
            }
        }
    }
    Ok(HttpResp {
        status,
        headers,
        body,
    })
}

/// What an exec session delivered.
#[derive(Debug, Default)]
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: Option<Value>,
    /// Frames after the status (there must be none).
    after_status: usize,
    close_frame: bool,
    error: Option<String>,
}

impl Outcome {
    fn status(&self) -> &Value {
        self.status
            .as_ref()
            .unwrap_or_else(|| panic!("no status frame; outcome {self:?}"))
    }

    /// The exit code the status reports (0 for Success).
    fn exit_code(&self) -> i32 {
        let s = self.status();
        if s["status"] == "Success" {
            return 0;
        }
        assert_eq!(s["status"], "Failure", "{s}");
        let causes = s["details"]["causes"].as_array().expect("causes");
        let cause = causes
            .iter()
            .find(|c| c["reason"] == "ExitCode")
            .unwrap_or_else(|| panic!("no ExitCode cause in {s}"));
        cause["message"]
            .as_str()
            .and_then(|m| m.parse().ok())
            .unwrap_or_else(|| panic!("exit code is not a number in {s}"))
    }

    fn assert_success(&self) {
        assert_eq!(self.status()["status"], "Success", "{self:?}");
        assert_eq!(self.after_status, 0, "frames after the status: {self:?}");
    }
}

/// Reads frames until the server closes the connection.
async fn collect(rx: &mut WsRx) -> Outcome {
    let mut out = Outcome::default();
    while let Some(msg) = rx.next().await {
        match msg {
            Ok(Message::Binary(d)) => {
                if out.status.is_some() {
                    out.after_status += 1;
                }
                match d.split_first() {
                    Some((1, rest)) => out.stdout.extend_from_slice(rest),
                    Some((2, rest)) => out.stderr.extend_from_slice(rest),
                    Some((3, rest)) => {
                        out.status =
                            Some(serde_json::from_slice(rest).unwrap_or_else(|e| {
                                panic!("status frame is not JSON ({e}): {rest:?}")
                            }))
                    }
                    other => panic!("unexpected frame from the server: {other:?}"),
                }
            }
            Ok(Message::Close(_)) => out.close_frame = true,
            Ok(_) => {}
            Err(e) => {
                out.error = Some(e.to_string());
                break;
            }
        }
    }
    out
}

/// Reads until stdout holds `want` (or panics after `limit`); returns everything read.
async fn read_stdout_until(rx: &mut WsRx, want: &[u8], limit: Duration) -> Vec<u8> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + limit;
    while !seen.windows(want.len()).any(|w| w == want) {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, rx.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "waited {limit:?} for {:?}; saw {:?}",
                    String::from_utf8_lossy(want),
                    String::from_utf8_lossy(&seen)
                )
            });
        match msg {
            Some(Ok(Message::Binary(d))) if d.first() == Some(&1) => {
                seen.extend_from_slice(&d[1..])
            }
            Some(Ok(Message::Binary(d))) if d.first() == Some(&3) => panic!(
                "session ended while waiting for {:?}: {}",
                String::from_utf8_lossy(want),
                String::from_utf8_lossy(&d[1..])
            ),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("connection failed while waiting for output: {e}"),
            None => panic!("connection closed while waiting for output"),
        }
    }
    seen
}

/// Process count once the pods' main processes are up.
async fn baseline(c: &TestCluster) -> usize {
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.processes().len()
}

/// Waits until the cluster has more than `n` processes (a session's process started).
async fn wait_more_processes(c: &TestCluster, n: usize) {
    for _ in 0..250 {
        if c.processes().len() > n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no new process appeared (still {n})");
}

/// The server still serves: a fresh `echo` exec works.
async fn assert_serves(cl: &Client) {
    let out = cl
        .run(
            &exec_path("shell", None, &["echo", "still serving"], OUT_ERR),
            V5,
            vec![],
            false,
        )
        .await;
    assert_eq!(out.stdout, b"still serving\n", "{out:?}");
    out.assert_success();
}

/// No session and no process beyond the pods' own outlives the test.
async fn assert_clean(c: &TestCluster, base: usize) {
    cluster::wait_sessions(c, 0).await;
    cluster::wait_processes(c, base).await;
}

/// Awaits the end of a connection: `None`/error/close frame within `limit`; returns the outcome.
async fn expect_end(rx: &mut WsRx, limit: Duration, what: &str) -> Outcome {
    tokio::time::timeout(limit, collect(rx))
        .await
        .unwrap_or_else(|_| panic!("{what}: the connection did not end within {limit:?}"))
}

// ---------------------------------------------------------------------------------------------
// 1. Exec basics
// ---------------------------------------------------------------------------------------------

async fn exec_basics(proto: &str) {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);

    let out = cl
        .run(
            &exec_path("shell", None, &["echo", "hello", "world"], OUT_ERR),
            proto,
            vec![],
            false,
        )
        .await;
    assert_eq!(out.stdout, b"hello world\n", "{proto}: {out:?}");
    assert!(out.stderr.is_empty(), "{proto}: {out:?}");
    out.assert_success();
    assert_eq!(out.exit_code(), 0);
    assert!(
        out.close_frame,
        "{proto}: the server sends a close frame: {out:?}"
    );

    let out = cl
        .run(
            &exec_path(
                "shell",
                None,
                &["sh", "-c", "echo out; echo err >&2; echo $GREETING"],
                OUT_ERR,
            ),
            proto,
            vec![],
            false,
        )
        .await;
    assert_eq!(out.stdout, b"out\nhello from shell\n", "{proto}: {out:?}");
    assert_eq!(out.stderr, b"err\n", "{proto}: {out:?}");
    out.assert_success();

    let out = cl
        .run(
            &exec_path("shell", None, &["sh", "-c", "exit 7"], OUT_ERR),
            proto,
            vec![],
            false,
        )
        .await;
    let s = out.status().clone();
    assert_eq!(s["status"], "Failure", "{proto}: {s}");
    assert_eq!(s["reason"], "NonZeroExitCode", "{proto}: {s}");
    assert_eq!(s["details"]["causes"][0]["reason"], "ExitCode", "{s}");
    assert_eq!(s["details"]["causes"][0]["message"], "7", "{s}");
    assert_eq!(
        s["message"],
        "command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7",
        "{s}"
    );
    assert_eq!(out.exit_code(), 7);

    // A command that does not exist: the runtime's words, no hang.
    let out = cl
        .run(
            &exec_path("shell", None, &["no-such-command"], OUT_ERR),
            proto,
            vec![],
            false,
        )
        .await;
    let s = out.status();
    assert_eq!(s["status"], "Failure", "{s}");
    assert!(
        s["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"no-such-command\": executable file not found")),
        "{s}"
    );

    assert_clean(&c, base).await;
}

/// A shell container's `hostname` answers its pod's name, as a pod's own UTS namespace does (not
/// this computer's): shells of several pods can be told apart by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostname_is_the_pod_s_name() {
    let c = cluster::demo().await;
    let cl = Client::new(&c);
    for pod in ["shell", "web-6b7f9c8d5-h2x4k", "web-6b7f9c8d5-p9m7q"] {
        let out = cl
            .run(
                &exec_path(pod, None, &["hostname"], OUT_ERR),
                V5,
                vec![],
                false,
            )
            .await;
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{pod}\n"),
            "{out:?}"
        );
        out.assert_success();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_basics_v5() {
    exec_basics(V5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_basics_v4() {
    exec_basics(V4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subprotocol_negotiation_prefers_v5() {
    let c = cluster::demo().await;
    let cl = Client::new(&c);
    let path = exec_path("shell", None, &["true"], OUT_ERR);
    for (offer, want) in [
        (format!("{V5}, {V4}"), V5),
        (format!("{V4}, {V5}"), V5),
        (format!("foo.k8s.io, {V4}"), V4),
        (V4.to_string(), V4),
    ] {
        let ws = cl.exec(&path, &offer, want).await;
        let (_tx, mut rx) = ws.split();
        let out = expect_end(&mut rx, Duration::from_secs(10), "true").await;
        out.assert_success();
    }
    cluster::wait_sessions(&c, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_half_close_ends_cat_on_v5() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let out = cl
        .run(
            &exec_path("shell", None, &["cat"], STDIO),
            V5,
            vec![b"abc\n".to_vec(), b"def".to_vec()],
            true,
        )
        .await;
    assert_eq!(out.stdout, b"abc\ndef", "{out:?}");
    out.assert_success();
    assert_clean(&c, base).await;
}

/// The API server reads a text message as it reads a binary one (channel byte first), and the
/// official Python client sends stdin in text messages: both kinds reach the process, in order,
/// on v5 and v4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_in_text_and_binary_messages() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    for proto in [V5, V4] {
        let ws = cl
            .exec(&exec_path("shell", None, &["cat"], STDIO), proto, proto)
            .await;
        let (mut tx, mut rx) = ws.split();
        tx.send(stdin_frame(b"binary-one\n")).await.expect("send");
        tx.send(Message::text("\u{0}text-two\n"))
            .await
            .expect("send");
        tx.send(stdin_frame(b"binary-three\n")).await.expect("send");
        tx.send(Message::text("\u{0}text-four \u{e9}\n"))
            .await
            .expect("send");
        let want = "binary-one\ntext-two\nbinary-three\ntext-four \u{e9}\n";
        let got = read_stdout_until(&mut rx, want.as_bytes(), Duration::from_secs(10)).await;
        assert_eq!(String::from_utf8_lossy(&got), want, "{proto}");
        tx.send(Message::Close(None)).await.expect("close");
        let _ = expect_end(&mut rx, Duration::from_secs(10), "cat after close").await;
    }
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v4_has_no_half_close() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let ws = cl
        .exec(&exec_path("shell", None, &["cat"], STDIO), V4, V4)
        .await;
    let (mut tx, mut rx) = ws.split();
    tx.send(stdin_frame(b"one\n")).await.expect("send");
    read_stdout_until(&mut rx, b"one\n", WAIT).await;
    // On v4, [255, 0] means nothing: stdin stays open and cat keeps echoing.
    tx.send(bin(vec![255, 0])).await.expect("send close");
    tx.send(stdin_frame(b"two\n")).await.expect("send");
    read_stdout_until(&mut rx, b"two\n", WAIT).await;
    // The client closes: the session and cat end.
    tx.send(Message::Close(None)).await.expect("close");
    let _ = expect_end(&mut rx, WAIT, "v4 close").await;
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tty_sessions_resize() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let path = exec_path(
        "shell",
        None,
        &["sh", "-c", "stty size; read x; stty size"],
        &[("stdin", "true"), ("stdout", "true"), ("tty", "true")],
    );
    let ws = cl.exec(&path, V5, V5).await;
    let (mut tx, mut rx) = ws.split();
    read_stdout_until(&mut rx, b"24 80", WAIT).await;
    tx.send(resize_frame(r#"{"Width":100,"Height":40}"#))
        .await
        .expect("resize");
    // Give the resize a head start over the newline (they travel on different paths).
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx.send(stdin_frame(b"\n")).await.expect("newline");
    let out = expect_end(&mut rx, Duration::from_secs(10), "tty").await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("40 100"), "{out:?}");
    assert!(out.stderr.is_empty(), "a TTY merges stderr: {out:?}");
    out.assert_success();
    assert_clean(&c, base).await;
}

// ---------------------------------------------------------------------------------------------
// 2. Bad requests
// ---------------------------------------------------------------------------------------------

/// The headers of a WebSocket upgrade, hand-written.
fn upgrade_headers(protocol: &str) -> Vec<(&str, &str)> {
    vec![
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Protocol", protocol),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_refusals() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let path = exec_path("shell", None, &["cat"], STDIO);

    // No Upgrade header at all.
    let r = cl.get(&path).await;
    r.assert_status(400, "BadRequest", "Upgrade request required");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = cl.request("POST", &path, Auth::Admin, &[]).await;
    r.assert_status(400, "BadRequest", "Upgrade request required");

    // Only an unknown subprotocol.
    let r = cl
        .request("GET", &path, Auth::Admin, &upgrade_headers("foo.k8s.io"))
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let msg = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(msg.contains(V5) && msg.contains("foo.k8s.io"), "{msg}");
    // The same through a WebSocket client: a refusal, not a hang.
    match cl.ws(&path, "foo.k8s.io").await {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 400),
        Err(e) => panic!("want an HTTP 400, got {e}"),
        Ok(_) => panic!("an unknown subprotocol must not be accepted"),
    }

    // SPDY.
    let r = cl
        .request(
            "POST",
            &path,
            Auth::Admin,
            &[
                ("Connection", "Upgrade"),
                ("Upgrade", "SPDY/3.1"),
                ("X-Stream-Protocol-Version", "v4.channel.k8s.io"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["reason"], "BadRequest");
    assert!(r.text().contains("SPDY"), "{}", r.text());

    // A WebSocket upgrade without its key.
    let hdrs: Vec<_> = upgrade_headers(V5)
        .into_iter()
        .filter(|(k, _)| *k != "Sec-WebSocket-Key")
        .collect();
    let r = cl.request("GET", &path, Auth::Admin, &hdrs).await;
    assert_eq!(r.status, 400, "{}", r.text());

    // Neither stdin, stdout nor stderr; no command.
    let r = cl
        .request(
            "GET",
            &exec_path("shell", None, &["true"], &[]),
            Auth::Admin,
            &upgrade_headers(V5),
        )
        .await;
    r.assert_status(
        400,
        "BadRequest",
        "you must specify at least one of stdin, stdout, stderr",
    );
    let r = cl
        .request(
            "GET",
            &exec_path("shell", None, &[], STDIO),
            Auth::Admin,
            &upgrade_headers(V5),
        )
        .await;
    r.assert_status(
        400,
        "BadRequest",
        "you must specify at least one command for the container",
    );

    assert_serves(&cl).await;
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_and_auth_errors() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let up = upgrade_headers(V5);

    let r = cl
        .request(
            "GET",
            &exec_path("nope", None, &["true"], STDIO),
            Auth::Admin,
            &up,
        )
        .await;
    r.assert_status(404, "NotFound", "pods \"nope\" not found");
    assert_eq!(r.json()["details"]["name"], "nope");
    assert_eq!(r.json()["details"]["kind"], "pods");

    let r = cl
        .request(
            "GET",
            &exec_path("shell", Some("nope"), &["true"], STDIO),
            Auth::Admin,
            &up,
        )
        .await;
    r.assert_status(
        400,
        "BadRequest",
        "container nope is not valid for pod shell",
    );

    let r = cl
        .request(
            "GET",
            &exec_path("pair", None, &["true"], STDIO),
            Auth::Admin,
            &up,
        )
        .await;
    r.assert_status(
        400,
        "BadRequest",
        "a container name must be specified for pod pair, choose one of: [one two]",
    );
    // Naming the container makes it work.
    let out = cl
        .run(
            &exec_path(
                "pair",
                Some("two"),
                &["sh", "-c", "echo $HOSTNAME"],
                OUT_ERR,
            ),
            V5,
            vec![],
            false,
        )
        .await;
    assert_eq!(out.stdout, b"pair\n", "{out:?}");
    out.assert_success();

    let path = exec_path("shell", None, &["true"], STDIO);
    let r = cl.request("GET", &path, Auth::None, &up).await;
    r.assert_status(401, "Unauthorized", "Unauthorized");
    let r = cl
        .request("GET", &path, Auth::Token("demo-admin.0123456789"), &up)
        .await;
    r.assert_status(401, "Unauthorized", "Unauthorized");
    let r = cl.request("GET", "/version", Auth::None, &[]).await;
    assert_eq!(r.status, 401, "{}", r.text());
    for auth in [Auth::None, Auth::Token("not-a-token")] {
        match cl.ws_with(&path, V5, auth).await {
            Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 401),
            Err(e) => panic!("want an HTTP 401, got {e}"),
            Ok(_) => panic!("an unauthenticated exec must be refused"),
        }
    }

    assert_serves(&cl).await;
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_zero_resizes_are_ignored() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    for (tty, argv) in [
        (false, &["cat"][..]),
        (true, &["sh", "-c", "read x; echo got $x"][..]),
    ] {
        let mut flags = STDIO.to_vec();
        if tty {
            flags = vec![("stdin", "true"), ("stdout", "true"), ("tty", "true")];
        }
        let ws = cl
            .exec(&exec_path("shell", None, argv, &flags), V5, V5)
            .await;
        let (mut tx, mut rx) = ws.split();
        for bad in [
            r#"{"Width":"#,
            r#"{"Width":0,"Height":0}"#,
            r#"{"Width":100}"#,
            r#"{"Width":-1,"Height":70000}"#,
            "",
            "null",
            "\u{0}\u{1}\u{2}",
        ] {
            tx.send(resize_frame(bad)).await.expect("send resize");
        }
        // Frames on channels the server does not know, and an empty frame.
        tx.send(bin(vec![9, 1, 2, 3])).await.expect("send");
        tx.send(bin(vec![])).await.expect("send");
        tx.send(Message::Text("hello?".into())).await.expect("send");
        tx.send(stdin_frame(b"hello\n")).await.expect("stdin");
        let want: &[u8] = if tty { b"got hello" } else { b"hello\n" };
        read_stdout_until(&mut rx, want, WAIT).await;
        if !tty {
            tx.send(bin(vec![255, 0])).await.expect("half-close");
        }
        let out = expect_end(&mut rx, Duration::from_secs(10), "after bad resizes").await;
        out.assert_success();
    }
    assert_serves(&cl).await;
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_stdin_frame_closes_the_connection() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let ws = cl
        .exec(&exec_path("shell", None, &["cat"], STDIO), V5, V5)
        .await;
    let (mut tx, mut rx) = ws.split();
    tx.send(stdin_frame(b"small\n")).await.expect("stdin");
    read_stdout_until(&mut rx, b"small\n", WAIT).await;
    let big = vec![b'x'; 16 << 20];
    // The server may close while the frame is still on its way: an error here is fine.
    let send = tokio::time::timeout(Duration::from_secs(10), tx.send(stdin_frame(&big))).await;
    assert!(send.is_ok(), "sending the oversized frame hung");
    let out = expect_end(&mut rx, Duration::from_secs(30), "16 MiB frame").await;
    assert!(
        out.stdout.is_empty(),
        "none of the oversized frame reached the process: {} bytes echoed",
        out.stdout.len()
    );
    // Whether a status slips out first is a race (stdin closes with the reader, and `cat` may
    // end before the session notices); what matters is that the connection ends.
    if let Some(s) = &out.status {
        assert_eq!(s["status"], "Success", "{s}");
    }
    assert_serves(&cl).await;
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanishing_client_ends_the_session() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    for argv in [
        &["sh", "-c", "while true; do echo x; done"][..],
        &["cat"][..],
        &["sleep", "100"][..],
    ] {
        let ws = cl
            .exec(&exec_path("shell", None, argv, STDIO), V5, V5)
            .await;
        let (mut tx, mut rx) = ws.split();
        if argv[0] == "cat" {
            tx.send(stdin_frame(b"ping\n")).await.expect("stdin");
            read_stdout_until(&mut rx, b"ping\n", WAIT).await;
        } else if argv[0] == "sh" {
            read_stdout_until(&mut rx, b"x\nx\n", WAIT).await;
        } else {
            wait_more_processes(&c, base).await;
        }
        assert_eq!(c.sessions(), 1);
        // Vanish: the TCP connection goes without a close frame or TLS close_notify.
        let ws = tx.reunite(rx).expect("reunite");
        drop(ws);
        cluster::wait_sessions(&c, 0).await;
        cluster::wait_processes(&c, base).await;
    }
    assert_serves(&cl).await;
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_close_frame_ends_the_session() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let ws = cl
        .exec(&exec_path("shell", None, &["sleep", "100"], STDIO), V5, V5)
        .await;
    wait_more_processes(&c, base).await;
    let (mut tx, mut rx) = ws.split();
    tx.send(Message::Close(None)).await.expect("close");
    let _ = expect_end(&mut rx, WAIT, "client close").await;
    assert_clean(&c, base).await;
    assert_serves(&cl).await;
}

// ---------------------------------------------------------------------------------------------
// 3. Faults
// ---------------------------------------------------------------------------------------------

/// Opens `sleep 100` in the shell pod and waits until it runs.
async fn sleeping_session(c: &TestCluster, cl: &Client, base: usize) -> (WsTx, WsRx) {
    let ws = cl
        .exec(
            &exec_path("shell", None, &["sleep", "100"], OUT_ERR),
            V5,
            V5,
        )
        .await;
    wait_more_processes(c, base).await;
    ws.split()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_pod_ends_its_sessions_with_137() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let (_tx, mut rx) = sleeping_session(&c, &cl, base).await;
    // The session's `sleep 100` outlasts this bound: ending within it is the delete's doing.
    assert!(c.delete_pod("demo", "shell"));
    let out = expect_end(&mut rx, Duration::from_secs(30), "pod deleted").await;
    assert_eq!(out.exit_code(), 137, "{out:?}");
    assert_eq!(out.status()["reason"], "NonZeroExitCode");
    assert!(out.close_frame, "{out:?}");
    assert_clean(&c, 0).await;
    let r = cl.get("/api/v1/namespaces/demo/pods/shell").await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(
        !c.delete_pod("demo", "shell"),
        "a second delete finds nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_connections_ends_sessions_and_kills_processes() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let ws = cl
        .exec(&exec_path("shell", None, &["cat"], STDIO), V5, V5)
        .await;
    let (mut tx, mut rx) = ws.split();
    tx.send(stdin_frame(b"alive\n")).await.expect("stdin");
    read_stdout_until(&mut rx, b"alive\n", WAIT).await;
    let (_tx2, mut rx2) = sleeping_session(&c, &cl, base + 1).await;
    assert_eq!(c.sessions(), 2);
    // `cat` with stdin open and `sleep 100` outlast these bounds: ending within them is the
    // drop's doing.
    c.drop_connections();
    let out = expect_end(&mut rx, Duration::from_secs(30), "drop_connections (cat)").await;
    assert!(
        out.status.is_none(),
        "a dropped session has no status: {out:?}"
    );
    expect_end(
        &mut rx2,
        Duration::from_secs(30),
        "drop_connections (sleep)",
    )
    .await;
    assert_clean(&c, base).await;
    assert_serves(&cl).await;
    assert_clean(&c, base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_connections_ends_attach_but_not_the_pod() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let path =
        "/api/v1/namespaces/demo/pods/shell/attach?container=main&stdin=true&stdout=true&tty=true";
    let ws = cl.exec(path, V5, V5).await;
    let (mut tx, mut rx) = ws.split();
    tx.send(stdin_frame(b"echo attached-$((6*7))\n"))
        .await
        .expect("stdin");
    read_stdout_until(&mut rx, b"attached-42", WAIT).await;
    assert_eq!(c.sessions(), 1);
    c.drop_connections();
    let out = expect_end(
        &mut rx,
        Duration::from_secs(30),
        "drop_connections (attach)",
    )
    .await;
    assert!(out.status.is_none(), "{out:?}");
    cluster::wait_sessions(&c, 0).await;
    // The pod's main process is not the session's: it keeps running.
    assert_eq!(c.processes().len(), base);
    assert_serves(&cl).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_server_answers_after_unstall() {
    let c = cluster::demo().await;
    let cl = Client::new(&c);
    assert_eq!(cl.get("/version").await.status, 200);
    c.set_stalled(true);
    let cl2 = cl.clone();
    let mut pending = tokio::spawn(async move { cl2.get("/version").await });
    let early = tokio::time::timeout(Duration::from_millis(500), &mut pending).await;
    assert!(early.is_err(), "a stalled server answered: {early:?}");
    c.set_stalled(false);
    let r = tokio::time::timeout(Duration::from_secs(30), pending)
        .await
        .expect("the stalled request completes after unstall")
        .expect("request task");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["major"], "1", "{}", r.text());
    assert_serves(&cl).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_requests() {
    let c = cluster::demo().await;
    let cl = Client::new(&c);
    assert_eq!(cl.get("/version").await.status, 200);
    c.set_latency(Duration::from_millis(300));
    let t = Instant::now();
    let r = cl.get("/version").await;
    let slow = t.elapsed();
    assert_eq!(r.status, 200);
    assert!(slow >= Duration::from_millis(300), "took {slow:?}");
    // Removed: a latency of ten minutes set and then taken away leaves a request that answers
    // within a minute (a lower bound on a loaded machine's time would be a guess; this is not).
    c.set_latency(Duration::from_secs(600));
    c.set_latency(Duration::ZERO);
    let r = tokio::time::timeout(Duration::from_secs(60), cl.get("/version"))
        .await
        .expect("the latency was removed");
    assert_eq!(r.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_serves_the_same_url() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    assert_serves(&cl).await;
    let (_tx, mut rx) = sleeping_session(&c, &cl, base).await;
    c.restart().await.expect("restart");
    // The open session went with the old listener's connections.
    expect_end(&mut rx, WAIT, "restart").await;
    assert_serves(&cl).await;
    assert_clean(&c, base).await;

    c.stop().await;
    let refused = tokio::time::timeout(WAIT, cl.connect()).await;
    assert!(
        matches!(refused, Ok(Err(_))),
        "a stopped server refuses connections"
    );
    c.start_again().await.expect("start again");
    assert_serves(&cl).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_port_deletes_pods() {
    let c = TestCluster::start(Options {
        admin: Some("127.0.0.1:0".parse().expect("addr")),
        ..Options::demo()
    })
    .await
    .expect("testcluster starts");
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let admin = c.admin_url().expect("admin url");
    let admin_addr = admin.strip_prefix("http://").expect("http url").to_string();
    let plain = |method: &'static str, path: &'static str| {
        let addr = admin_addr.clone();
        async move {
            let mut tcp = TcpStream::connect(&addr).await.expect("admin connection");
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            tokio::time::timeout(WAIT, http_exchange(&mut tcp, &head))
                .await
                .expect("admin answers")
                .expect("admin response")
        }
    };

    let (_tx, mut rx) = sleeping_session(&c, &cl, base).await;
    let st = plain("GET", "/status").await;
    assert_eq!(st.status, 200);
    let st: Value = serde_json::from_slice(&st.body).expect("status JSON");
    assert_eq!(st["sessions"], 1, "{st}");
    assert_eq!(st["listening"], true, "{st}");

    let r = plain("DELETE", "/pods/demo/shell").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text().trim(), "deleted pod demo/shell");
    let out = expect_end(&mut rx, WAIT, "admin delete").await;
    assert_eq!(out.exit_code(), 137, "{out:?}");
    let r = cl.get("/api/v1/namespaces/demo/pods/shell").await;
    r.assert_status(404, "NotFound", "pods \"shell\" not found");
    let r = plain("DELETE", "/pods/demo/shell").await;
    assert_eq!(r.status, 404, "{}", r.text());

    // A fault through the admin port, and back.
    let r = plain("POST", "/faults/stall").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let cl2 = cl.clone();
    let mut pending = tokio::spawn(async move { cl2.get("/version").await });
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut pending)
            .await
            .is_err()
    );
    let r = plain("POST", "/faults/unstall").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = tokio::time::timeout(WAIT, pending)
        .await
        .expect("answer after unstall")
        .expect("task");
    assert_eq!(r.status, 200);

    let st = plain("GET", "/status").await;
    let st: Value = serde_json::from_slice(&st.body).expect("status JSON");
    assert_eq!(st["sessions"], 0, "{st}");
    assert_eq!(st["stalled"], false, "{st}");
    assert_clean(&c, 0).await;
}

// ---------------------------------------------------------------------------------------------
// 4. Load
// ---------------------------------------------------------------------------------------------

/// Deterministic pseudo-random bytes (xorshift64*), distinct per seed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_cat_sessions() {
    const SESSIONS: usize = 200;
    const SIZE: usize = 64 * 1024;
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);
    let path = exec_path("shell", None, &["cat"], STDIO);
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..SESSIONS {
        let cl = cl.clone();
        let path = path.clone();
        set.spawn(async move {
            let t = Instant::now();
            let data = noise(i as u64 + 1, SIZE);
            // Uneven frame sizes: 7 to 10 frames per session.
            let step = 7_000 + (i % 4) * 1_500;
            let chunks: Vec<Vec<u8>> = data.chunks(step).map(<[u8]>::to_vec).collect();
            let (ws, _) = cl
                .ws(&path, V5)
                .await
                .map_err(|e| format!("session {i}: upgrade failed: {e}"))?;
            let (mut tx, mut rx) = ws.split();
            let writer = tokio::spawn(async move {
                for chunk in chunks {
                    tx.send(stdin_frame(&chunk)).await?;
                }
                tx.send(bin(vec![255, 0])).await?;
                Ok::<WsTx, tungstenite::Error>(tx)
            });
            let out = collect(&mut rx).await;
            let written = writer.await.map_err(|e| format!("session {i}: {e}"))?;
            if let Err(e) = written {
                return Err(format!("session {i}: sending stdin failed: {e}"));
            }
            if out.stdout != data {
                return Err(format!(
                    "session {i}: got {} bytes back, want {SIZE} (first difference at {:?}); {:?}",
                    out.stdout.len(),
                    out.stdout.iter().zip(&data).position(|(a, b)| a != b),
                    out.error
                ));
            }
            if !out.stderr.is_empty() {
                return Err(format!("session {i}: stderr {:?}", out.stderr));
            }
            match &out.status {
                Some(s) if s["status"] == "Success" => {}
                other => return Err(format!("session {i}: status {other:?}")),
            }
            Ok::<Duration, String>(t.elapsed())
        });
    }
    let results = tokio::time::timeout(Duration::from_secs(120), async {
        let mut results = Vec::new();
        while let Some(r) = set.join_next().await {
            results.push(r.expect("session task"));
        }
        results
    })
    .await
    .unwrap_or_else(|_| panic!("{SESSIONS} sessions did not finish within 120 s"));
    let total = started.elapsed();
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {SESSIONS} sessions failed: {failures:#?}",
        failures.len()
    );
    let mut times: Vec<Duration> = results.into_iter().filter_map(Result::ok).collect();
    assert_eq!(times.len(), SESSIONS);
    times.sort();
    eprintln!(
        "load: {SESSIONS} sessions x {SIZE} bytes in {total:?}; per session median {:?}, p95 {:?}, max {:?}",
        times[SESSIONS / 2],
        times[SESSIONS * 95 / 100],
        times[SESSIONS - 1]
    );
    assert_clean(&c, base).await;
    assert_serves(&cl).await;
}

// ---------------------------------------------------------------------------------------------
// Ephemeral containers
// ---------------------------------------------------------------------------------------------

const EPHEMERAL: &str = "/api/v1/namespaces/demo/pods/distroless/ephemeralcontainers";
const SMP: &str = "application/strategic-merge-patch+json";
const JSON_PATCH: &str = "application/json-patch+json";

/// Polls the pod until the named ephemeral container's status satisfies `want`.
async fn wait_ephemeral(cl: &Client, name: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pod = cl
            .get("/api/v1/namespaces/demo/pods/distroless")
            .await
            .json();
        let status = pod["status"]["ephemeralContainerStatuses"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name).cloned())
            .unwrap_or(Value::Null);
        if want(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: status never arrived; last {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_containers_are_added_run_and_refused_like_the_api_server() {
    let c = cluster::demo().await;
    let base = baseline(&c).await;
    let cl = Client::new(&c);

    // GET serves the pod; discovery lists the subresource with its verbs.
    let r = cl.get(EPHEMERAL).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["kind"], "Pod");
    assert!(r.json()["spec"]["ephemeralContainers"].is_null());
    let disco = cl.get("/api/v1").await.json();
    let sub = disco["resources"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|x| x["name"] == "pods/ephemeralcontainers")
                .cloned()
        })
        .expect("pods/ephemeralcontainers in discovery");
    assert_eq!(sub["verbs"], serde_json::json!(["get", "patch", "update"]));
    let rv_before: u64 = r.json()["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("resourceVersion");

    // A strategic merge patch as kubectl debug 1.37 sends it.
    let patch = serde_json::json!({ "spec": {
        "$setElementOrder/ephemeralContainers": [{ "name": "dbg" }],
        "ephemeralContainers": [{
            "name": "dbg", "image": "busybox", "command": ["sh", "-c", "pwd; exit 4"],
            "targetContainerName": "app", "resources": {}, "terminationMessagePolicy": "File",
            "securityContext": { "capabilities": { "add": ["SYS_PTRACE"] } },
        }],
    } });
    let r = cl.send("PATCH", EPHEMERAL, SMP, &patch).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let ec = &r.json()["spec"]["ephemeralContainers"][0];
    assert_eq!(ec["imagePullPolicy"], "Always");
    assert_eq!(ec["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(ec["targetContainerName"], "app");
    let done = wait_ephemeral(&cl, "dbg", |s| s["state"]["terminated"].is_object()).await;
    assert_eq!(done["state"]["terminated"]["exitCode"], 4, "{done}");
    assert_eq!(done["state"]["terminated"]["reason"], "Error", "{done}");
    assert_eq!(done["restartCount"], 0);

    // Watchers saw it wait, run and end, in that order, on MODIFIED events.
    let w = cl
        .get(&format!(
            "/api/v1/namespaces/demo/pods?watch=true&fieldSelector=metadata.name%3Ddistroless&resourceVersion={rv_before}&timeoutSeconds=1"
        ))
        .await;
    let states: Vec<String> = String::from_utf8_lossy(&w.body)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "MODIFIED")
        .filter_map(|e| {
            let s = &e["object"]["status"]["ephemeralContainerStatuses"][0]["state"];
            s.as_object().and_then(|m| m.keys().next().cloned())
        })
        .collect();
    let mut phases = states.clone();
    phases.dedup();
    assert_eq!(phases, ["waiting", "running", "terminated"], "{states:?}");

    // Changing, duplicating and removing are refused in the API server's words.
    let change = serde_json::json!({ "spec": { "ephemeralContainers": [{ "name": "dbg", "image": "alpine" }] } });
    let r = cl.send("PATCH", EPHEMERAL, SMP, &change).await;
    assert_eq!(r.status, 422);
    let m = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(
        m.starts_with(r#"Pod "distroless" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be changed"#),
        "{m}"
    );
    assert_eq!(r.json()["reason"], "Invalid");
    assert_eq!(
        r.json()["details"]["causes"][0]["reason"],
        "FieldValueForbidden"
    );
    for (name, at) in [("dbg", 1), ("app", 1)] {
        let dup = serde_json::json!([{ "op": "add", "path": "/spec/ephemeralContainers/-",
            "value": { "name": name, "image": "busybox" } }]);
        let r = cl.send("PATCH", EPHEMERAL, JSON_PATCH, &dup).await;
        r.assert_status(
            422,
            "Invalid",
            &format!(r#"Pod "distroless" is invalid: spec.ephemeralContainers[{at}].name: Duplicate value: "{name}""#),
        );
        assert_eq!(
            r.json()["details"]["causes"][0]["field"],
            format!("spec.ephemeralContainers[{at}].name")
        );
    }
    let remove = serde_json::json!([{ "op": "remove", "path": "/spec/ephemeralContainers/0" }]);
    let r = cl.send("PATCH", EPHEMERAL, JSON_PATCH, &remove).await;
    r.assert_status(
        422,
        "Invalid",
        "Pod \"distroless\" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers \"dbg\" may not be removed\n",
    );
    let bad_target = serde_json::json!([{ "op": "add", "path": "/spec/ephemeralContainers/-",
        "value": { "name": "t", "image": "busybox", "targetContainerName": "nope" } }]);
    let r = cl.send("PATCH", EPHEMERAL, JSON_PATCH, &bad_target).await;
    r.assert_status(
        422,
        "Invalid",
        r#"Pod "distroless" is invalid: spec.ephemeralContainers[1].targetContainerName: Not found: "nope""#,
    );
    let r = cl
        .send("PATCH", EPHEMERAL, "text/plain", &serde_json::json!({}))
        .await;
    assert_eq!(r.status, 415);

    // PUT with the whole pod adds one; it runs, and exec reaches it.
    let mut pod = cl.get(EPHEMERAL).await.json();
    pod["spec"]["ephemeralContainers"]
        .as_array_mut()
        .expect("list")
        .push(
            serde_json::json!({ "name": "put", "image": "busybox", "command": ["sleep", "300"] }),
        );
    let r = cl.send("PUT", EPHEMERAL, "application/json", &pod).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // The same body again is stale now.
    let r = cl.send("PUT", EPHEMERAL, "application/json", &pod).await;
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    wait_ephemeral(&cl, "put", |s| s["state"]["running"].is_object()).await;
    let out = cl
        .run(
            &exec_path(
                "distroless",
                Some("put"),
                &["sh", "-c", "echo in-ephemeral"],
                OUT_ERR,
            ),
            V5,
            vec![],
            false,
        )
        .await;
    assert_eq!(out.stdout, b"in-ephemeral\n", "{out:?}");

    // An image no registry has: ErrImagePull, then ImagePullBackOff, with the kubelet's words.
    let unpullable = serde_json::json!({ "spec": { "ephemeralContainers": [{ "name": "nopull", "image": "registry.invalid/tools:1" }] } });
    let r = cl.send("PATCH", EPHEMERAL, SMP, &unpullable).await;
    assert_eq!(r.status, 200);
    let s = wait_ephemeral(&cl, "nopull", |s| {
        s["state"]["waiting"]["reason"] == "ImagePullBackOff"
    })
    .await;
    assert_eq!(
        s["state"]["waiting"]["message"],
        "Back-off pulling image \"registry.invalid/tools:1\""
    );

    assert!(c.delete_pod("demo", "distroless"));
    assert_clean(&c, base).await;

    // A cluster with the feature off: a 404 with no details name (what kubectl debug checks).
    let mut opts = Options::demo();
    opts.spec.ephemeral_containers = false;
    let off = TestCluster::start(opts).await.expect("cluster");
    let r = Client::new(&off)
        .send("PATCH", EPHEMERAL, SMP, &patch)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["reason"], "NotFound");
    assert!(r.json()["details"]["name"].is_null(), "{}", r.json());
}
