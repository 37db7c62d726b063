//! A terminal's output into the desktop app's page over a WebSocket on a loopback port.
//!
//! The webview's IPC costs the page and the app for every message (an `eval`, then a `fetch` of
//! the bytes through a URI scheme that WebKit reads 8 KiB at a time); a WebSocket's binary
//! message reaches the page through WebKit's network process as one buffer. Measured in the
//! real window (docs/architecture.md, "Ways into the page"): ~2.5 ms of the machine's CPU per MB
//! carried against ~12 for a bare fetch per message.
//!
//! A port any local process can reach must not be a way in, so each socket is a **ticket**:
//! [`PageSockets::ticket`] gives the page `ws://127.0.0.1:PORT/TOKEN` with a 128-bit random
//! token, valid for one connection within [`TICKET_TTL`], from the page's own origin only
//! (another page in a browser cannot present it: WebSockets send their origin). The connection
//! carries one session's output, server to page, and nothing the page sends is read as a
//! command; [`PageSockets::take`] hands its [`PageSink`] to the session once, before or after
//! the page has connected (what the session sends first waits for the connection, so a tab can
//! start its session and its socket at the same time). A token never enters a log.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;

/// How long a ticket, neither connected nor taken, stays valid. Long: the page asks for the
/// next tab's ticket ahead, when it makes that tab's terminal, and the user may open the tab
/// much later. A waiting ticket holds no socket, and there are at most [`MAX_WAITING`].
pub const TICKET_TTL: Duration = Duration::from_secs(60 * 60);

/// How long one half of a pair waits for the other: a connected socket for its session to
/// take it, or a taken ticket for the page to connect. The page does both at once, so one
/// half alone by then never gets the other (its tab was closed, or its socket did not open).
pub const CONNECT_TTL: Duration = Duration::from_secs(10);

/// Tickets given and not yet taken at once at most (a page asks for one per tab it opens).
pub const MAX_WAITING: usize = 256;

/// A connection's handshake must finish within this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why no ticket could be given.
#[derive(Debug, thiserror::Error)]
pub enum PageSocketError {
    /// The loopback port could not be opened.
    #[error("could not open a loopback port for the page: {0}")]
    Bind(#[source] std::io::Error),
    /// Too many tickets wait for their connection.
    #[error("too many page sockets are waiting for the page ({MAX_WAITING})")]
    TooMany,
}

/// The app's page sockets: one loopback listener (opened on the first ticket) and its tickets.
#[derive(Clone)]
pub struct PageSockets {
    inner: Arc<Inner>,
}

struct Inner {
    /// The origins a page may connect from (the app's own page).
    origins: Vec<String>,
    ttl: Duration,
    port: tokio::sync::OnceCell<u16>,
    tickets: Mutex<HashMap<String, Slot>>,
}

enum Slot {
    /// Given to the page (at the instant), neither connected nor taken.
    Waiting(Instant),
    /// Connected (at `at`): the sink, for the session to take.
    Connected { sink: PageSink, at: Instant },
    /// Taken by a session (at `at`) before the page connected: what it sends waits in `rx`,
    /// for the connection.
    Taken {
        rx: mpsc::UnboundedReceiver<Bytes>,
        at: Instant,
    },
}

impl Slot {
    /// Past its time ([`TICKET_TTL`] waiting, [`CONNECT_TTL`] for one half of a pair).
    /// Dropping a connected one's sink closes the socket; dropping a taken one's queue fails
    /// its session's sink.
    fn stale(&self, ttl: Duration) -> bool {
        match self {
            Slot::Waiting(at) => at.elapsed() > ttl,
            Slot::Connected { at, .. } | Slot::Taken { at, .. } => at.elapsed() > CONNECT_TTL,
        }
    }
}

/// A one-time address for the page's socket.
#[derive(Clone, PartialEq, Eq)]
pub struct Ticket {
    /// `ws://127.0.0.1:PORT/TOKEN`.
    pub url: String,
    /// The token alone (what `open_session` names the socket by).
    pub token: String,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticket(…)")
    }
}

/// One connected page socket: each `send` is one binary message, in order.
#[derive(Clone, Debug)]
pub struct PageSink {
    tx: mpsc::UnboundedSender<Bytes>,
}

impl PageSink {
    /// Queues `bytes` as one message; false once the page has closed the socket (or it broke).
    /// What is queued is bounded by the session's flow control (its window).
    pub fn send(&self, bytes: Bytes) -> bool {
        self.tx.send(bytes).is_ok()
    }
}

impl PageSockets {
    /// Sockets accepted only from a page at one of `origins` (e.g. `tauri://localhost`).
    pub fn new(origins: Vec<String>) -> Self {
        Self::with_ttl(origins, TICKET_TTL)
    }

    fn with_ttl(origins: Vec<String>, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                origins,
                ttl,
                port: tokio::sync::OnceCell::new(),
                tickets: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A new ticket; opens the listener on the first call (on the current tokio runtime).
    pub async fn ticket(&self) -> Result<Ticket, PageSocketError> {
        let port = *self
            .inner
            .port
            .get_or_try_init(|| async {
                let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                    .await
                    .map_err(PageSocketError::Bind)?;
                let port = listener.local_addr().map_err(PageSocketError::Bind)?.port();
                tokio::spawn(accept_loop(listener, Arc::downgrade(&self.inner)));
                Ok::<u16, PageSocketError>(port)
            })
            .await?;
        let mut tickets = self.inner.tickets();
        let ttl = self.inner.ttl;
        tickets.retain(|_, s| !s.stale(ttl));
        if tickets.len() >= MAX_WAITING {
            return Err(PageSocketError::TooMany);
        }
        let token = format!("{:032x}", rand::random::<u128>());
        tickets.insert(token.clone(), Slot::Waiting(Instant::now()));
        Ok(Ticket {
            url: format!("ws://127.0.0.1:{port}/{token}"),
            token,
        })
    }

    /// The socket of `token`, once: its sink at once, whether the page has connected yet or
    /// not (what is sent before waits for the connection, and is lost if none comes within
    /// [`CONNECT_TTL`]: the sink then fails). `None` for a token not given, already taken or
    /// past its time.
    pub fn take(&self, token: &str) -> Option<PageSink> {
        let ttl = self.inner.ttl;
        let mut tickets = self.inner.tickets();
        match tickets.remove(token) {
            Some(Slot::Connected { sink, at }) if at.elapsed() <= CONNECT_TTL => Some(sink),
            Some(Slot::Waiting(at)) if at.elapsed() <= ttl => {
                let (tx, rx) = mpsc::unbounded_channel();
                tickets.insert(
                    token.to_string(),
                    Slot::Taken {
                        rx,
                        at: Instant::now(),
                    },
                );
                Some(PageSink { tx })
            }
            Some(taken @ Slot::Taken { .. }) => {
                // Taken once already: it stays for its page's connection.
                tickets.insert(token.to_string(), taken);
                None
            }
            _ => None,
        }
    }

    /// [`take`](Self::take) by the ticket's whole address (what the page names its socket by).
    pub fn take_url(&self, url: &str) -> Option<PageSink> {
        let (_, token) = url.rsplit_once('/')?;
        self.take(token)
    }

    /// The listener's address, once a ticket has opened it.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.inner
            .port
            .get()
            .map(|p| SocketAddr::from((Ipv4Addr::LOCALHOST, *p)))
    }
}

impl Inner {
    fn tickets(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        self.tickets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims a waiting ticket for a connection at `path` from `origin`: the sink is in place
    /// before the handshake's answer leaves, so a page that saw the socket open finds it.
    fn claim(&self, path: &str, origin: Option<&str>) -> Option<mpsc::UnboundedReceiver<Bytes>> {
        if !origin.is_some_and(|o| self.origins.iter().any(|a| a == o)) {
            return None;
        }
        let token = path.strip_prefix('/')?;
        let mut tickets = self.tickets();
        match tickets.get(token) {
            Some(Slot::Waiting(at)) if at.elapsed() <= self.ttl => {}
            Some(Slot::Taken { at, .. }) if at.elapsed() <= CONNECT_TTL => {
                // Its session took it first: the page gets what waits, then the rest.
                return match tickets.remove(token) {
                    Some(Slot::Taken { rx, .. }) => Some(rx),
                    _ => None,
                };
            }
            _ => return None,
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tickets.insert(
            token.to_string(),
            Slot::Connected {
                sink: PageSink { tx },
                at: Instant::now(),
            },
        );
        Some(rx)
    }
}

async fn accept_loop(listener: TcpListener, inner: std::sync::Weak<Inner>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: try again shortly rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Some(strong) = inner.upgrade() else {
            return;
        };
        tokio::spawn(serve(stream, strong));
    }
}

/// One connection: the handshake (its ticket checked), then the session's bytes as binary
/// messages until the session ends (its sink dropped) or the page closes the socket.
async fn serve(stream: TcpStream, inner: Arc<Inner>) {
    let _ = stream.set_nodelay(true);
    let mut claimed = None;
    // The handshake callback's signature is tungstenite's (its error is an HTTP response).
    #[allow(clippy::result_large_err)]
    let check = |req: &Request, res: Response| {
        let origin = req.headers().get("origin").and_then(|o| o.to_str().ok());
        match inner.claim(req.uri().path(), origin) {
            Some(rx) => {
                claimed = Some(rx);
                Ok(res)
            }
            None => {
                let mut no = ErrorResponse::new(None);
                *no.status_mut() = StatusCode::FORBIDDEN;
                Err(no)
            }
        }
    };
    let handshake = tokio_tungstenite::accept_hdr_async(stream, check);
    let Ok(Ok(ws)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await else {
        return;
    };
    let Some(mut rx) = claimed else {
        return;
    };
    drop(inner);
    let (mut to_page, mut from_page) = ws.split();
    loop {
        tokio::select! {
            next = rx.recv() => match next {
                Some(bytes) => {
                    if to_page.send(Message::Binary(bytes)).await.is_err() {
                        return;
                    }
                }
                None => {
                    let _ = to_page.close().await;
                    return;
                }
            },
            // The page sends nothing; a close, an error or the end ends the socket.
            msg = from_page.next() => match msg {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    const ORIGIN: &str = "tauri://localhost";

    type Page = tokio_tungstenite::WebSocketStream<TcpStream>;

    /// A client like the page's: `origin` sent when given.
    async fn connect_from(
        url: &str,
        origin: Option<&str>,
    ) -> Result<Page, tokio_tungstenite::tungstenite::Error> {
        let mut req = url.into_client_request()?;
        if let Some(o) = origin {
            req.headers_mut()
                .insert("origin", o.parse().expect("a header value"));
        }
        let host = url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .expect("a ws:// url");
        let tcp = TcpStream::connect(host).await?;
        tokio_tungstenite::client_async(req, tcp)
            .await
            .map(|(ws, _)| ws)
    }

    async fn connect(
        url: &str,
        origin: &str,
    ) -> Result<Page, tokio_tungstenite::tungstenite::Error> {
        connect_from(url, Some(origin)).await
    }

    fn refused(r: Result<impl Sized, tokio_tungstenite::tungstenite::Error>) -> bool {
        matches!(
            r,
            Err(tokio_tungstenite::tungstenite::Error::Http(ref res)) if res.status() == StatusCode::FORBIDDEN
        )
    }

    #[tokio::test]
    async fn a_ticket_carries_its_sessions_bytes_in_order() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        assert!(ticket.url.starts_with("ws://127.0.0.1:"));
        assert!(ticket.url.ends_with(&ticket.token));
        assert_eq!(ticket.token.len(), 32);
        let mut page = connect(&ticket.url, ORIGIN).await.expect("connects");
        let sink = sockets.take_url(&ticket.url).expect("connected");
        assert!(sockets.take(&ticket.token).is_none(), "taken once");
        for i in 0..100u8 {
            assert!(sink.send(Bytes::from(vec![i; 1000 + i as usize])));
        }
        for i in 0..100u8 {
            match page.next().await {
                Some(Ok(Message::Binary(b))) => assert_eq!(b, vec![i; 1000 + i as usize]),
                other => panic!("message {i}: {other:?}"),
            }
        }
        drop(sink);
        assert!(matches!(
            page.next().await,
            Some(Ok(Message::Close(_))) | None
        ));
    }

    #[tokio::test]
    async fn a_ticket_opens_one_connection() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        let _page = connect(&ticket.url, ORIGIN).await.expect("connects");
        assert!(refused(connect(&ticket.url, ORIGIN).await));
        let _sink = sockets.take(&ticket.token).expect("connected");
        assert!(
            refused(connect(&ticket.url, ORIGIN).await),
            "nor after it was taken"
        );
    }

    #[tokio::test]
    async fn another_token_path_or_origin_is_refused() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        let port = sockets.addr().expect("listening").port();
        let wrong = format!("ws://127.0.0.1:{port}/{:032x}", 1u128);
        assert!(refused(connect(&wrong, ORIGIN).await));
        assert!(refused(
            connect(&format!("ws://127.0.0.1:{port}/"), ORIGIN).await
        ));
        assert!(refused(connect(&format!("{}/x", ticket.url), ORIGIN).await));
        assert!(refused(connect(&ticket.url, "http://evil.example").await));
        // No origin at all (a local process that leaves it out).
        assert!(refused(connect_from(&ticket.url, None).await));
        // None of those used the ticket up.
        let _page = connect(&ticket.url, ORIGIN).await.expect("connects");
        assert!(sockets.take(&ticket.token).is_some());
    }

    #[tokio::test]
    async fn a_ticket_expires() {
        let sockets = PageSockets::with_ttl(vec![ORIGIN.into()], Duration::from_millis(50));
        let ticket = sockets.ticket().await.expect("a ticket");
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(refused(connect(&ticket.url, ORIGIN).await));
        // Expired tickets are dropped when the next is given.
        let _next = sockets.ticket().await.expect("a ticket");
        assert_eq!(sockets.inner.tickets().len(), 1);
    }

    #[tokio::test]
    async fn a_connected_socket_not_taken_in_time_is_closed() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        let mut page = connect(&ticket.url, ORIGIN).await.expect("connects");
        // Connected longer ago than the ticket's time (aged by hand: no race with a slow
        // connect on a loaded machine).
        if let Some(Slot::Connected { at, .. }) = sockets.inner.tickets().get_mut(&ticket.token) {
            *at = Instant::now()
                .checked_sub(CONNECT_TTL * 2)
                .expect("the clock is past twice the connection's time");
        } else {
            panic!("the ticket is not connected");
        }
        // The next ticket drops it (its tab closed before its session opened).
        let _next = sockets.ticket().await.expect("a ticket");
        assert!(sockets.take(&ticket.token).is_none());
        assert!(matches!(
            page.next().await,
            Some(Ok(Message::Close(_))) | None
        ));
    }

    #[tokio::test]
    async fn a_session_may_take_its_socket_before_the_page_connects() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        let sink = sockets
            .take_url(&ticket.url)
            .expect("taken before the page connected");
        assert!(sockets.take(&ticket.token).is_none(), "taken once");
        // The session's first output (a prompt) comes before the page's connection.
        for i in 0..10u8 {
            assert!(sink.send(Bytes::from(vec![i; 100])));
        }
        let mut page = connect(&ticket.url, ORIGIN).await.expect("connects");
        assert!(
            refused(connect(&ticket.url, ORIGIN).await),
            "one connection"
        );
        for i in 10..20u8 {
            assert!(sink.send(Bytes::from(vec![i; 100])));
        }
        for i in 0..20u8 {
            match page.next().await {
                Some(Ok(Message::Binary(b))) => assert_eq!(b, vec![i; 100]),
                other => panic!("message {i}: {other:?}"),
            }
        }
        assert!(sockets.inner.tickets().is_empty(), "nothing kept");
    }

    #[tokio::test]
    async fn a_taken_socket_whose_page_never_connects_fails_its_sink() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        let sink = sockets.take(&ticket.token).expect("taken");
        assert!(sink.send(Bytes::from_static(b"a prompt")));
        // Taken longer ago than a connection may take (aged by hand, as above).
        if let Some(Slot::Taken { at, .. }) = sockets.inner.tickets().get_mut(&ticket.token) {
            *at = Instant::now()
                .checked_sub(CONNECT_TTL * 2)
                .expect("the clock is past twice the connection's time");
        } else {
            panic!("the ticket is not taken");
        }
        assert!(refused(connect(&ticket.url, ORIGIN).await), "too late");
        // The next ticket drops it, and with it what waited: the session learns its page is gone.
        let _next = sockets.ticket().await.expect("a ticket");
        assert!(!sink.send(Bytes::from_static(b"more")));
    }

    #[tokio::test]
    async fn a_ticket_waits_long_for_the_page_to_use_it() {
        // The page asks for the next tab's ticket ahead: it is still good long after
        // CONNECT_TTL (aged by hand), and taking it then works.
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        if let Some(Slot::Waiting(at)) = sockets.inner.tickets().get_mut(&ticket.token) {
            *at = Instant::now()
                .checked_sub(CONNECT_TTL * 3)
                .expect("the clock is past three times the connection's time");
        } else {
            panic!("the ticket is not waiting");
        }
        let _next = sockets.ticket().await.expect("a ticket");
        let sink = sockets.take(&ticket.token).expect("still good");
        let mut page = connect(&ticket.url, ORIGIN).await.expect("connects");
        assert!(sink.send(Bytes::from_static(b"$ ")));
        assert!(matches!(page.next().await, Some(Ok(Message::Binary(b))) if b == b"$ "[..]));
    }

    #[tokio::test]
    async fn the_sink_fails_once_the_page_closes_the_socket() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        let ticket = sockets.ticket().await.expect("a ticket");
        let mut page = connect(&ticket.url, ORIGIN).await.expect("connects");
        let sink = sockets.take(&ticket.token).expect("connected");
        page.close(None).await.expect("closes");
        drop(page);
        let deadline = Instant::now() + Duration::from_secs(10);
        while sink.send(Bytes::from_static(b"x")) {
            assert!(Instant::now() < deadline, "the sink never failed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn waiting_tickets_are_bounded() {
        let sockets = PageSockets::new(vec![ORIGIN.into()]);
        for _ in 0..MAX_WAITING {
            sockets.ticket().await.expect("a ticket");
        }
        assert!(matches!(
            sockets.ticket().await,
            Err(PageSocketError::TooMany)
        ));
    }
}
