//! Exec and attach sessions: the upgrade through `kube::Client::connect` (offering
//! `v5.channel.k8s.io`, then `v4.channel.k8s.io`) and our own frame pump over the WebSocket.
//!
//! - Reading and writing are separate tasks: a consumer that is slow to take stdout never stalls
//!   stdin, resizes or pings.
//! - Output goes into a bounded read-ahead (bytes, not messages): the socket is drained promptly
//!   into it and reading pauses only when the consumer holds more than the read-ahead. Each
//!   [`Chunk`] carries its share of the budget back when dropped. The budget counts the memory a
//!   chunk really holds: its payload is copied out of the WebSocket's read buffer (a slice would
//!   pin the whole buffer, 128 KiB or a 16 MiB frame, for one byte) and each chunk is charged
//!   [`CHUNK_OVERHEAD`] on top (a flood of 1-byte frames costs more than a byte each).
//! - Messages are limited to [`MAX_MESSAGE`]: no API server sends bigger ones, and a fragmented
//!   message is collected whole before it is looked at.
//! - No ping is sent while reading is paused or data arrived recently: on real clusters a frame
//!   sent after the API server closed draws a reset that discards unread bytes
//!   (kubernetes/kubernetes#124571).
//! - A stream that ends without a status frame is an error, never success. The status frame ends
//!   the session at once: whatever the server does with the socket afterwards (keeps it open,
//!   keeps sending) is not waited for.
//! - Liveness: a ping when the link has been quiet for `ping_every`, and a read deadline.
//! - Before the WebSocket is up, the upgrade request is bounded by `Tuning::request_timeout`
//!   ([`REQUEST_TIMEOUT`] by default; kubectl's `--request-timeout`).

use crate::cluster::ApiError;
use crate::protocol::{self, Outcome, Protocol};
use crate::stdin;
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt as _, SinkExt, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Why a session could not start or did not end with a status.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Connecting failed: the API server refused (403, 404, 400 ...), refused the credentials
    /// (401), or could not be reached (kubectl's words for each).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The connection closed before the command's status arrived.
    #[error("the connection ended before the command's status: output may be incomplete")]
    NoStatus,
    /// The WebSocket broke mid-session. Shown in plain words that say which hop ended it
    /// ([`Break`]); the library's own error stays the source, for logs.
    #[error("{} (output may be incomplete)", break_words(*.cause))]
    Transport {
        cause: Break,
        #[source]
        source: tokio_tungstenite::tungstenite::Error,
    },
    /// The session's output was closed under the reader (the session is being torn down).
    #[error("the connection to the API server broke: output closed (output may be incomplete)")]
    OutputClosed,
    /// The API server answered the upgrade with the node's own words, not a `Status` (the
    /// kubelet found no running container: `container not found ("app")`); kubectl's words.
    #[error("unable to upgrade connection: {message}")]
    UpgradeRefused {
        /// The HTTP status code.
        code: u16,
        /// The answer's body, escaped and cut.
        message: String,
    },
    /// Nothing arrived for the dead-link deadline (seconds), not even the answer to a keepalive
    /// ping.
    #[error("no data from the API server for {0} s, not even an answer to a keepalive ping: the connection seems dead (check the network, then retry)")]
    Deadline(u64),
}

/// How a connection broke, as far as the client can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// The TCP connection ended without the API server ending its TLS session: something on the
    /// way (a load balancer, proxy, NAT or firewall) closed it, most often for being idle, or the
    /// API server's process stopped.
    CutOnTheWay,
    /// The connection was reset (by the API server's host or something on the way).
    Reset,
    /// The WebSocket ended without its closing handshake.
    Abrupt,
    /// Anything else (a protocol violation, a TLS failure, an I/O error).
    Other,
}

impl Break {
    /// What the error says about how the connection broke.
    pub fn of(e: &tokio_tungstenite::tungstenite::Error) -> Break {
        use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
        match e {
            WsError::Io(io) => match io.kind() {
                std::io::ErrorKind::UnexpectedEof => Break::CutOnTheWay,
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe => Break::Reset,
                _ => Break::Other,
            },
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Break::Abrupt,
            WsError::ConnectionClosed | WsError::AlreadyClosed => Break::Abrupt,
            _ => Break::Other,
        }
    }
}

pub(crate) fn break_words(cause: Break) -> &'static str {
    match cause {
        // An API server that stopped (restarted, crashed, killed) ends it the same way: only its
        // own close says "by the API server", so both are named.
        Break::CutOnTheWay => "the connection to the API server was closed without the API server ending it: the API server stopped (a restart or a crash), or a load balancer, proxy or firewall on the way dropped it (often for being idle). Reconnect; if it happens to idle sessions, set the keepalive interval below that hop's idle timeout (a profile's Keepalive interval; PODTERM_PING_SECS for a CLI run)",
        Break::Reset => "the connection to the API server was reset, by the API server's host or by a load balancer, proxy or firewall on the way: check the network, then reconnect",
        Break::Abrupt => "the connection to the API server ended without a goodbye, by the API server or by a load balancer or proxy on the way: reconnect",
        Break::Other => "the connection to the API server broke (a protocol or TLS failure on the way): check the network and any proxy, then reconnect",
    }
}

impl ExecError {
    /// The API server refused the credentials (401) when connecting.
    pub fn credentials_refused(&self) -> bool {
        matches!(self, ExecError::Api(e) if e.credentials_refused())
    }
}

/// What to run, and where.
#[derive(Debug, Clone)]
pub struct ExecSpec {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// Ignored for attach.
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    /// Terminal size (columns, rows), sent right after connecting when `tty`.
    pub size: Option<(u16, u16)>,
    /// Attach to the container's main process instead of starting a command.
    pub attach: bool,
}

/// Buffer and timing knobs.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Bytes of output held for a slow consumer before the socket is paused.
    pub read_ahead: usize,
    /// The keepalive interval: a WebSocket ping once the link has been quiet this long, so that
    /// load balancers and proxies that drop idle connections see traffic.
    pub ping_every: Duration,
    /// The dead-link deadline: nothing at all (no output, no answer to a ping) for this long
    /// ends the session with [`ExecError::Deadline`].
    pub read_deadline: Duration,
    /// How long the upgrade request may wait for the API server's answer; `None`: no limit.
    pub request_timeout: Option<Duration>,
}

/// How long a request made before a session is up (the pod lookup, the upgrade) waits for the
/// API server by default. kubectl waits forever for an answer (its `--request-timeout` is 0) and
/// gives up connecting after 30 s; a client that hangs forever on a server that accepted the
/// connection and said nothing helps nobody, so Podterm gives up after the same 30 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What each output chunk is charged beyond its payload: the chunk, its credit and its queue
/// slot, rounded up (about 100 bytes on x86-64).
pub const CHUNK_OVERHEAD: usize = 128;

/// Output frames of one stream that are already read (in the WebSocket's buffer, nothing waited
/// for) are handed on as one chunk, up to a quarter of the read-ahead and at most this. A flood
/// through a pod's terminal arrives in frames of a few KB (a line-buffered writer's lines, as the
/// PTY hands them on: 2.2 KB on average for `fold`'s 80-byte lines, 14,400 frames a second into
/// a tab), and each frame handed on alone cost the consumer a wake-up and a turn of its loop.
pub const JOIN_MAX: usize = 64 * 1024;

/// The largest WebSocket message taken from the API server. The API server sends output in
/// messages of at most 32 KiB; tungstenite's default (64 MiB) would let a hostile one make the
/// client hold 64 MiB while collecting one fragmented message.
pub const MAX_MESSAGE: usize = 16 << 20;

/// The default keepalive interval: kubectl pings every 5 s, and with it a session lives behind a
/// load balancer that drops connections idle for 10 s (haproxy's `timeout client 10s`).
pub const KEEPALIVE: Duration = Duration::from_secs(5);

/// The default dead-link deadline: six unanswered keepalive pings.
pub const DEAD_LINK: Duration = Duration::from_secs(30);

/// A link's liveness settings (a profile's keepalive interval and dead-link deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    pub keepalive: Duration,
    pub dead_link: Duration,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness {
            keepalive: KEEPALIVE,
            dead_link: DEAD_LINK,
        }
    }
}

impl Liveness {
    /// From a profile's settings in whole seconds; absent or zero: the default.
    pub fn from_secs(keepalive: Option<u32>, dead_link: Option<u32>) -> Liveness {
        let d = Liveness::default();
        let secs = |v: Option<u32>| v.filter(|s| *s > 0).map(|s| Duration::from_secs(s.into()));
        Liveness {
            keepalive: secs(keepalive).unwrap_or(d.keepalive),
            dead_link: secs(dead_link).unwrap_or(d.dead_link),
        }
    }
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning::with(Liveness::default())
    }
}

impl Tuning {
    /// The default knobs with these liveness settings.
    pub fn with(l: Liveness) -> Tuning {
        Tuning {
            read_ahead: 8 << 20,
            ping_every: l.keepalive,
            read_deadline: l.dead_link,
            request_timeout: Some(REQUEST_TIMEOUT),
        }
    }
}

/// A piece of output. Dropping it returns its bytes to the read-ahead budget.
#[derive(Debug)]
pub struct Chunk {
    pub data: Bytes,
    _credit: OwnedSemaphorePermit,
}

impl Chunk {
    /// Bytes that hold `credit` (a permit of their owner's read-ahead) until dropped: another
    /// producer than a session (a log for a UI) bounds what it holds the same way.
    pub fn new(data: Bytes, credit: OwnedSemaphorePermit) -> Chunk {
        Chunk {
            data,
            _credit: credit,
        }
    }
}

impl std::ops::Deref for Chunk {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.data
    }
}

#[derive(Debug)]
enum Control {
    Stdin(stdin::Frame),
    Resize(u16, u16),
    CloseStdin,
}

/// Sends input to a session; cheap to clone.
#[derive(Clone, Debug)]
pub struct Input {
    tx: mpsc::Sender<Control>,
}

impl Input {
    /// Sends stdin bytes; false once the session is over.
    pub async fn send(&self, data: Bytes) -> bool {
        let frame = stdin::Frame::copy_of(&data);
        self.tx.send(Control::Stdin(frame)).await.is_ok()
    }

    /// Sends a frame already made ([`stdin::Piece`], [`stdin::Reader`]): nothing is copied.
    pub async fn send_frame(&self, frame: stdin::Frame) -> bool {
        self.tx.send(Control::Stdin(frame)).await.is_ok()
    }

    /// Resizes the terminal (TTY sessions).
    pub async fn resize(&self, cols: u16, rows: u16) -> bool {
        self.tx.send(Control::Resize(cols, rows)).await.is_ok()
    }

    /// Closes stdin: the process sees EOF (v5; v4 cannot half-close, so this does nothing there).
    pub async fn close_stdin(&self) -> bool {
        self.tx.send(Control::CloseStdin).await.is_ok()
    }

    /// Sends a frame already made (a [`stdin::Reader`]'s: nothing is copied) from a thread
    /// outside the runtime; it waits for room as `send` does. Never call it from async code: it
    /// would block a worker.
    pub fn send_frame_blocking(&self, frame: stdin::Frame) -> bool {
        self.tx.blocking_send(Control::Stdin(frame)).is_ok()
    }

    /// [`Input::close_stdin`] from a thread outside the runtime.
    pub fn close_stdin_blocking(&self) -> bool {
        self.tx.blocking_send(Control::CloseStdin).is_ok()
    }
}

/// A running exec or attach session.
pub struct Session {
    pub protocol: Protocol,
    pub stdout: mpsc::UnboundedReceiver<Chunk>,
    pub stderr: mpsc::UnboundedReceiver<Chunk>,
    pub input: Input,
    end: End,
}

/// A session taken apart ([`Session::into_parts`]), for a consumer that drives its streams,
/// its input and its end from different places.
pub struct Parts {
    pub protocol: Protocol,
    pub stdout: mpsc::UnboundedReceiver<Chunk>,
    pub stderr: mpsc::UnboundedReceiver<Chunk>,
    pub input: Input,
    /// The session's end; dropping it ends the session.
    pub end: End,
}

/// The end of a session: its outcome, once. Dropping it stops the session's tasks.
pub struct End {
    done: oneshot::Receiver<Result<Outcome, ExecError>>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl End {
    /// Waits for the end: the command's outcome, or why there is none.
    pub async fn wait(mut self) -> Result<Outcome, ExecError> {
        (&mut self.done).await.unwrap_or(Err(ExecError::NoStatus))
    }
}

impl Drop for End {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn path_for(spec: &ExecSpec) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("container", &spec.container);
    if !spec.attach {
        for c in &spec.command {
            q.append_pair("command", c);
        }
    }
    let flag = |b: bool| if b { "true" } else { "false" };
    q.append_pair("stdin", flag(spec.stdin));
    q.append_pair("stdout", flag(spec.stdout));
    q.append_pair("stderr", flag(spec.stderr && !spec.tty));
    q.append_pair("tty", flag(spec.tty));
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "/api/v1/namespaces/{}/pods/{}/{}?{}",
        enc(&spec.namespace),
        enc(&spec.pod),
        if spec.attach { "attach" } else { "exec" },
        q.finish()
    )
}

/// An upgrade the API server refused: with a `Status` in its words ([`ApiError`]); with the
/// node's plain words passed on (a 500 in text: what the kubelet says when it finds no running
/// container), kubectl's `unable to upgrade connection: …`. Any other page that is not a
/// `Status` (a proxy's HTML) stays an [`ApiError`], whose words say what to check.
pub(crate) fn upgrade_refused(e: kube::Error) -> ExecError {
    match &e {
        kube::Error::Api(s)
            if s.code == 500
                && crate::cluster::not_a_status(s)
                && !s.message.trim().is_empty()
                && !s.message.trim_start().starts_with('<') =>
        {
            ExecError::UpgradeRefused {
                code: s.code,
                message: crate::text::shown(s.message.trim()),
            }
        }
        _ => ExecError::Api(e.into()),
    }
}

impl Session {
    /// Connects and starts the pump.
    pub async fn start(
        client: &kube::Client,
        spec: &ExecSpec,
        tuning: Tuning,
    ) -> Result<Session, ExecError> {
        let req = http::Request::get(path_for(spec))
            .body(Vec::new())
            .map_err(|e| ApiError::from(kube::Error::HttpError(e)))?;
        let conn = crate::cluster::within(tuning.request_timeout, async {
            client.connect(req).await.map_err(upgrade_refused)
        })
        .await?;
        let protocol = if conn.supports_stream_close() {
            Protocol::V5
        } else {
            Protocol::V4
        };
        let ws = bounded(conn).await;
        let (sink, stream) = ws.split();
        let (out_tx, stdout) = mpsc::unbounded_channel();
        let (err_tx, stderr) = mpsc::unbounded_channel();
        let (ctl_tx, ctl_rx) = mpsc::channel(64);
        let (done_tx, done) = oneshot::channel();
        let shared = Arc::new(Pump {
            started: Instant::now(),
            last_frame_ms: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            reader_done: tokio::sync::Notify::new(),
            finished: AtomicBool::new(false),
        });
        if spec.tty {
            if let Some((cols, rows)) = spec.size {
                // First frame out: the size, before any keystroke.
                let _ = ctl_tx.try_send(Control::Resize(cols, rows));
            }
        }
        let credit = Arc::new(Semaphore::new(tuning.read_ahead.max(1)));
        let s2 = shared.clone();
        let reader = tokio::spawn(async move {
            let r = read_loop(stream, out_tx, err_tx, credit, &s2, tuning).await;
            s2.finished.store(true, Ordering::SeqCst);
            s2.reader_done.notify_one();
            let _ = done_tx.send(r);
        });
        let writer = tokio::spawn(write_loop(sink, ctl_rx, protocol, shared, tuning));
        Ok(Session {
            protocol,
            stdout,
            stderr,
            input: Input { tx: ctl_tx },
            end: End {
                done,
                tasks: vec![reader.abort_handle(), writer.abort_handle()],
            },
        })
    }

    /// Waits for the end: the command's outcome, or why there is none.
    pub async fn finish(self) -> Result<Outcome, ExecError> {
        self.end.wait().await
    }

    /// The streams, the input and the end, each to its own owner.
    pub fn into_parts(self) -> Parts {
        Parts {
            protocol: self.protocol,
            stdout: self.stdout,
            stderr: self.stderr,
            input: self.input,
            end: self.end,
        }
    }
}

struct Pump {
    started: Instant,
    last_frame_ms: AtomicU64,
    paused: AtomicBool,
    reader_done: tokio::sync::Notify,
    finished: AtomicBool,
}

impl Pump {
    fn touch(&self) {
        self.last_frame_ms
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let now = self.started.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_frame_ms.load(Ordering::Relaxed)))
    }
}

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<
    DeafWrites<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>,
>;

/// An upgraded connection as our WebSocket: messages bounded by [`MAX_MESSAGE`], writes deaf
/// once the peer has gone. kube wraps the upgraded connection with tungstenite's defaults and
/// has read nothing from it yet, so it is wrapped again.
pub(crate) async fn bounded(conn: kube::client::Connection) -> Ws {
    let ws = conn.into_stream().into_inner();
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    tokio_tungstenite::WebSocketStream::from_raw_socket(
        DeafWrites {
            inner: ws,
            dead: false,
        },
        tokio_tungstenite::tungstenite::protocol::Role::Client,
        Some(config),
    )
    .await
}

/// The connection, with writes that stop failing once the peer has gone: tungstenite answers a
/// ping on the next read, and a pong that hits a closed connection fails that read, losing the
/// status frame already received behind it. Once a write finds the peer gone, writes are
/// discarded, and reading goes on to what the server sent before it went (the status, then the
/// end of the stream).
pub(crate) struct DeafWrites<T> {
    inner: T,
    dead: bool,
}

fn peer_gone(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected
    )
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for DeafWrites<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for DeafWrites<T> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        if self.dead {
            return Poll::Ready(Ok(buf.len()));
        }
        match std::pin::Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Err(e)) if peer_gone(&e) => {
                self.dead = true;
                Poll::Ready(Ok(buf.len()))
            }
            other => other,
        }
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        if self.dead {
            return Poll::Ready(Ok(()));
        }
        match std::pin::Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(Err(e)) if peer_gone(&e) => {
                self.dead = true;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        if self.dead {
            return Poll::Ready(Ok(()));
        }
        match std::pin::Pin::new(&mut self.inner).poll_shutdown(cx) {
            Poll::Ready(Err(e)) if peer_gone(&e) => {
                self.dead = true;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}
type WsSink = futures_util::stream::SplitSink<Ws, Message>;

async fn read_loop(
    mut stream: impl futures_util::Stream<Item = Result<Message, WsError>> + Unpin,
    out: mpsc::UnboundedSender<Chunk>,
    err: mpsc::UnboundedSender<Chunk>,
    credit: Arc<Semaphore>,
    pump: &Pump,
    tuning: Tuning,
) -> Result<Outcome, ExecError> {
    let cap = tuning.read_ahead.max(1);
    let join_max = (cap / 4).clamp(1, JOIN_MAX);
    // A frame read while joining that does not belong to the chunk (another stream, too big,
    // not output, the end): the next turn starts with it.
    let mut held: Option<Option<Result<Message, WsError>>> = None;
    loop {
        let next = match held.take() {
            Some(n) => n,
            // Already read: no deadline to arm.
            None => match stream.next().now_or_never() {
                Some(n) => n,
                None => {
                    // A frame found only after the deadline has passed (the process was stopped,
                    // as a closed lid stops it, and our own keepalive ping's answer came in as it
                    // resumed) proves nothing about the quiet before it: the link is dead.
                    let since = tokio::time::Instant::now();
                    match tokio::time::timeout(tuning.read_deadline, stream.next()).await {
                        Ok(n) if since.elapsed() <= tuning.read_deadline => n,
                        _ => return Err(ExecError::Deadline(tuning.read_deadline.as_secs())),
                    }
                }
            },
        };
        let msg = match next {
            None => break,
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                return Err(ExecError::Transport {
                    cause: Break::of(&e),
                    source: e,
                })
            }
        };
        pump.touch();
        let data = match msg {
            Message::Binary(d) => d,
            Message::Close(_) => break,
            _ => continue,
        };
        let Some(&channel) = data.first() else {
            continue;
        };
        match channel {
            protocol::STDOUT | protocol::STDERR if data.len() > 1 => {
                // Frames of the same stream already read join this one.
                let mut frames = vec![data];
                let mut size = frames[0].len() - 1;
                while size < join_max {
                    let Some(n) = stream.next().now_or_never() else {
                        break;
                    };
                    match n {
                        // An empty frame of the stream adds nothing and ends nothing.
                        Some(Ok(Message::Binary(d))) if d.len() == 1 && d[0] == channel => {}
                        Some(Ok(Message::Binary(d)))
                            if d.len() > 1 && d[0] == channel && size + d.len() - 1 <= join_max =>
                        {
                            size += d.len() - 1;
                            frames.push(d);
                        }
                        other => {
                            held = Some(other);
                            break;
                        }
                    }
                }
                // A copy, not a slice: a slice keeps the whole buffer it came from alive. Sized
                // exactly, so the read-ahead counts what it holds; made before waiting for room,
                // so a wait pins no read buffer (only a frame held for the next turn may).
                let data = match frames.as_slice() {
                    [one] => Bytes::copy_from_slice(&one[1..]),
                    _ => {
                        let mut joined = BytesMut::with_capacity(size);
                        for f in &frames {
                            joined.extend_from_slice(&f[1..]);
                        }
                        joined.freeze()
                    }
                };
                drop(frames);
                // The payload's bytes plus what the chunk itself costs, never more than the
                // whole read-ahead (a bigger payload waits until everything before it is taken).
                let cost = size.saturating_add(CHUNK_OVERHEAD).min(cap);
                let n = u32::try_from(cost).unwrap_or(u32::MAX);
                let permit = match credit.clone().try_acquire_many_owned(n) {
                    Ok(p) => p,
                    Err(_) => {
                        // The consumer is behind by the whole read-ahead: pause the socket.
                        pump.paused.store(true, Ordering::SeqCst);
                        let p = credit.clone().acquire_many_owned(n).await;
                        pump.paused.store(false, Ordering::SeqCst);
                        pump.touch();
                        match p {
                            Ok(p) => p,
                            Err(_) => return Err(ExecError::OutputClosed),
                        }
                    }
                };
                let chunk = Chunk {
                    data,
                    _credit: permit,
                };
                // A consumer that went away just drops the chunk (and its credit).
                let _ = if channel == protocol::STDOUT {
                    out.send(chunk)
                } else {
                    err.send(chunk)
                };
            }
            // The status is the server's last word: the session ends here, whatever the server
            // does with the socket afterwards.
            protocol::STATUS => return Ok(protocol::parse_status(&data[1..])),
            _ => {}
        }
    }
    Err(ExecError::NoStatus)
}

async fn write_loop(
    mut sink: WsSink,
    mut ctl: mpsc::Receiver<Control>,
    protocol: Protocol,
    pump: Arc<Pump>,
    tuning: Tuning,
) {
    // The next keepalive is due `ping_every` after the last frame in or the last ping out,
    // whichever came later: a quiet link sees a ping at least that often (a fixed ticker that
    // skips a link heard from just before the tick lets it sit quiet for almost twice as long).
    let ping_every = tuning.ping_every.max(Duration::from_millis(10));
    let mut last_ping: Option<Instant> = None;
    let next_ping = |last_ping: Option<Instant>| {
        let quiet = pump.quiet_for();
        let since_ping = last_ping.map_or(Duration::MAX, |t| t.elapsed());
        tokio::time::Instant::now() + ping_every.saturating_sub(quiet.min(since_ping))
    };
    let ping = tokio::time::sleep_until(next_ping(None));
    tokio::pin!(ping);
    let mut ctl_open = true;
    loop {
        let frame = tokio::select! {
            biased;
            _ = pump.reader_done.notified() => {
                // Say goodbye, briefly: a server that does not read is not waited for.
                let bye = sink.send(Message::Close(None));
                let _ = tokio::time::timeout(Duration::from_secs(1), bye).await;
                return;
            }
            c = ctl.recv(), if ctl_open => match c {
                Some(Control::Stdin(f)) => f.into_wire(),
                Some(Control::Resize(w, h)) => Bytes::from(protocol::resize_frame(w, h)),
                Some(Control::CloseStdin) => match protocol {
                    Protocol::V5 => Bytes::from(protocol::close_stdin_frame()),
                    Protocol::V4 => continue,
                },
                None => { ctl_open = false; continue; }
            },
            _ = &mut ping => {
                let since_ping = last_ping.map_or(Duration::MAX, |t| t.elapsed());
                // Ping only a quiet, unpaused link: never while unread data may be waiting.
                if pump.paused.load(Ordering::SeqCst) {
                    ping.as_mut().reset(tokio::time::Instant::now() + ping_every);
                    continue;
                }
                if pump.quiet_for().min(since_ping) < ping_every {
                    ping.as_mut().reset(next_ping(last_ping));
                    continue;
                }
                if pump.finished.load(Ordering::SeqCst) {
                    return;
                }
                if sink.send(Message::Ping(Bytes::new())).await.is_err() {
                    return;
                }
                last_ping = Some(Instant::now());
                ping.as_mut().reset(next_ping(last_ping));
                continue;
            }
        };
        if pump.finished.load(Ordering::SeqCst) {
            return;
        }
        if sink.send(Message::Binary(frame)).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_refused_in_a_nodes_plain_words_is_kubectls() {
        let api = |code: u16, reason: &str, message: &str| {
            kube::Error::Api(Box::new(
                kube::core::Status::failure(message, reason).with_code(code),
            ))
        };
        // What kube makes of a plain-text body: the kubelet's words, passed on.
        let e = upgrade_refused(api(
            500,
            "Failed to parse error data",
            "container not found (\"app\")\n",
        ));
        assert!(
            matches!(e, ExecError::UpgradeRefused { code: 500, .. }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "unable to upgrade connection: container not found (\"app\")"
        );
        // Escaped as every server's words are.
        let e = upgrade_refused(api(500, "Failed to parse error data", "bad \x1b[5m"));
        assert_eq!(e.to_string(), "unable to upgrade connection: bad \\x1b[5m");
        // A proxy's page, another code, a Status, an empty body and 401 stay the API server's
        // refusals (their words say what to check).
        assert!(matches!(
            upgrade_refused(api(500, "Failed to parse error data", "<html>oops</html>")),
            ExecError::Api(_)
        ));
        assert!(matches!(
            upgrade_refused(api(502, "Failed to parse error data", "bad gateway")),
            ExecError::Api(_)
        ));
        assert!(matches!(
            upgrade_refused(api(500, "Failed to parse error data", "  ")),
            ExecError::Api(_)
        ));
        assert!(matches!(
            upgrade_refused(api(500, "InternalError", "a Status")),
            ExecError::Api(_)
        ));
        assert!(matches!(
            upgrade_refused(api(403, "Forbidden", "no")),
            ExecError::Api(_)
        ));
        assert!(matches!(
            upgrade_refused(api(502, "Failed to parse error data", "")),
            ExecError::Api(_)
        ));
        assert!(
            upgrade_refused(api(401, "Failed to parse error data", "who")).credentials_refused()
        );
    }

    #[test]
    fn urls_carry_every_argument_in_order() {
        let spec = ExecSpec {
            namespace: "demo".into(),
            pod: "shell".into(),
            container: "main".into(),
            command: vec!["sh".into(), "-c".into(), "echo a&b".into()],
            stdin: true,
            stdout: true,
            stderr: true,
            tty: false,
            size: None,
            attach: false,
        };
        assert_eq!(
            path_for(&spec),
            "/api/v1/namespaces/demo/pods/shell/exec?container=main&command=sh&command=-c&command=echo+a%26b&stdin=true&stdout=true&stderr=true&tty=false"
        );
        let attach = ExecSpec {
            attach: true,
            tty: true,
            ..spec
        };
        assert_eq!(
            path_for(&attach),
            "/api/v1/namespaces/demo/pods/shell/attach?container=main&stdin=true&stdout=true&stderr=false&tty=true"
        );
    }

    fn pump() -> Pump {
        Pump {
            started: Instant::now(),
            last_frame_ms: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            reader_done: tokio::sync::Notify::new(),
            finished: AtomicBool::new(false),
        }
    }

    fn frame(channel: u8, payload: &[u8]) -> Result<Message, WsError> {
        let mut f = vec![channel];
        f.extend_from_slice(payload);
        Ok(Message::Binary(f.into()))
    }

    fn status() -> Result<Message, WsError> {
        frame(protocol::STATUS, br#"{"status":"Success"}"#)
    }

    /// The bytes of every chunk handed on to `rx` so far, in order.
    fn drain(rx: &mut mpsc::UnboundedReceiver<Chunk>) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        while let Ok(c) = rx.try_recv() {
            v.push(c.to_vec());
        }
        v
    }

    #[tokio::test]
    async fn output_frames_already_read_go_on_joined_in_order_per_stream() {
        // 40 stdout frames of 2 KB (a terminal's flood), then stderr, then stdout again: the
        // first 32 join up to JOIN_MAX (64 KiB), the other 8 make a second chunk; a frame of
        // the other stream ends a chunk; nothing is lost or reordered.
        let line = |i: usize| format!("{i:04}{}\r\n", "y".repeat(2042)).into_bytes();
        let mut frames: Vec<_> = (0..40).map(|i| frame(protocol::STDOUT, &line(i))).collect();
        frames.push(frame(protocol::STDERR, b"warn\n"));
        frames.push(frame(protocol::STDOUT, b"after\n"));
        frames.push(status());
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let (err_tx, mut err_rx) = mpsc::unbounded_channel();
        let credit = Arc::new(Semaphore::new(8 << 20));
        let end = read_loop(
            futures_util::stream::iter(frames),
            out_tx,
            err_tx,
            credit.clone(),
            &pump(),
            Tuning::default(),
        )
        .await;
        assert!(matches!(end, Ok(Outcome::Success)), "{end:?}");
        let out = drain(&mut out_rx);
        let sizes: Vec<usize> = out.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![JOIN_MAX, 8 * 2048, 6], "stdout chunks");
        let whole: Vec<u8> = (0..40).flat_map(line).chain(b"after\n".to_vec()).collect();
        assert_eq!(out.concat(), whole);
        assert_eq!(drain(&mut err_rx), vec![b"warn\n".to_vec()]);
        // Every chunk's credit came back with it.
        assert_eq!(credit.available_permits(), 8 << 20);
    }

    /// A link that was quiet, then the process stopped (a closed lid) past the deadline with the
    /// read armed; as it resumes, a frame (our keepalive's answer) is there before the timer is
    /// looked at.
    struct StoppedThenPong {
        polls: usize,
        stop: Duration,
    }

    impl futures_util::Stream for StoppedThenPong {
        type Item = Result<Message, WsError>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.polls += 1;
            match self.polls {
                1 => std::task::Poll::Pending,
                2 => {
                    std::thread::sleep(self.stop);
                    std::task::Poll::Ready(Some(Ok(Message::Pong(Vec::new().into()))))
                }
                _ => std::task::Poll::Ready(Some(status())),
            }
        }
    }

    #[tokio::test]
    async fn a_frame_found_only_after_the_deadline_ends_the_session_as_a_dead_link() {
        let deadline = Duration::from_millis(200);
        let (out_tx, _out_rx) = mpsc::unbounded_channel();
        let (err_tx, _err_rx) = mpsc::unbounded_channel();
        let end = read_loop(
            StoppedThenPong {
                polls: 0,
                stop: deadline + Duration::from_millis(100),
            },
            out_tx,
            err_tx,
            Arc::new(Semaphore::new(1 << 20)),
            &pump(),
            Tuning {
                read_deadline: deadline,
                ..Tuning::default()
            },
        )
        .await;
        assert!(matches!(end, Err(ExecError::Deadline(_))), "{end:?}");
    }

    #[tokio::test]
    async fn a_join_never_waits_for_a_frame_not_yet_read() {
        // Three frames are there, the fourth is not: the three go on at once, as one chunk.
        let (tx, rx) = queue();
        for i in 0..3u8 {
            tx.send(frame(protocol::STDOUT, &[b'a' + i; 10]))
                .expect("send");
        }
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let (err_tx, _err_rx) = mpsc::unbounded_channel();
        let credit = Arc::new(Semaphore::new(Tuning::default().read_ahead));
        let p = pump();
        let reader = read_loop(stream_of(rx), out_tx, err_tx, credit, &p, Tuning::default());
        tokio::pin!(reader);
        // A join that waited for the fourth frame would hand nothing on: fail, not hang.
        let first = tokio::time::timeout(Duration::from_secs(5), async {
            tokio::select! {
                c = out_rx.recv() => c.expect("a chunk"),
                _ = &mut reader => panic!("the reader ended"),
            }
        })
        .await
        .expect("the three frames read went on without the fourth");
        assert_eq!(&first[..], b"aaaaaaaaaabbbbbbbbbbcccccccccc");
        tx.send(frame(protocol::STDOUT, b"d")).expect("send");
        tx.send(status()).expect("send");
        assert!(matches!(reader.await, Ok(Outcome::Success)));
        assert_eq!(&out_rx.recv().await.expect("the last chunk")[..], b"d");
    }

    #[tokio::test]
    async fn a_join_is_at_most_a_quarter_of_the_read_ahead() {
        let frames: Vec<_> = (0..8)
            .map(|_| frame(protocol::STDOUT, &[b'x'; 1000]))
            .chain([status()])
            .collect();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let (err_tx, _err_rx) = mpsc::unbounded_channel();
        let tuning = Tuning {
            read_ahead: 16_000,
            ..Tuning::default()
        };
        let end = read_loop(
            futures_util::stream::iter(frames),
            out_tx,
            err_tx,
            Arc::new(Semaphore::new(16_000)),
            &pump(),
            tuning,
        )
        .await;
        assert!(end.is_ok());
        let sizes: Vec<usize> = drain(&mut out_rx).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4000, 4000], "a quarter of 16,000 bytes a chunk");
    }

    #[tokio::test]
    async fn what_ends_a_join_is_still_said_after_the_joined_output() {
        // A broken connection, or a stream that ends without a status, right after frames that
        // joined: their output goes on first, then the end is what it was.
        let joined_then = |last: Option<Result<Message, WsError>>| {
            let mut v = vec![
                frame(protocol::STDOUT, b"one "),
                frame(protocol::STDOUT, b""),
                frame(protocol::STDOUT, b"two"),
            ];
            v.extend(last);
            v
        };
        for (last, broken) in [(Some(Err(WsError::ConnectionClosed)), true), (None, false)] {
            let (out_tx, mut out_rx) = mpsc::unbounded_channel();
            let (err_tx, _err_rx) = mpsc::unbounded_channel();
            let end = read_loop(
                futures_util::stream::iter(joined_then(last)),
                out_tx,
                err_tx,
                Arc::new(Semaphore::new(Tuning::default().read_ahead)),
                &pump(),
                Tuning::default(),
            )
            .await;
            assert_eq!(drain(&mut out_rx), vec![b"one two".to_vec()]);
            if broken {
                assert!(matches!(end, Err(ExecError::Transport { .. })), "{end:?}");
            } else {
                assert!(matches!(end, Err(ExecError::NoStatus)), "{end:?}");
            }
        }
    }

    type Frames = mpsc::UnboundedReceiver<Result<Message, WsError>>;

    /// An unbounded queue of frames ([`stream_of`] makes it a stream that is pending while the
    /// queue is empty).
    fn queue() -> (mpsc::UnboundedSender<Result<Message, WsError>>, Frames) {
        mpsc::unbounded_channel()
    }

    fn stream_of(
        mut rx: Frames,
    ) -> impl futures_util::Stream<Item = Result<Message, WsError>> + Unpin {
        Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
    }
}
