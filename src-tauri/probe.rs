//! A probe of ways to carry bytes into the page (issue 13, item 3: "measure each candidate in the
//! real window before choosing"). Test-fixtures builds only; `node bench/app-bench.mjs
//! --transport-only` reads it.
//!
//! Today a terminal's output reaches the page as Tauri `Channel` messages: each one an `eval`
//! that makes the page `fetch` the message's bytes from Tauri's `ipc:` scheme. The probe serves
//! the same bytes through the webview's own URI scheme handler, which only this webview can
//! reach (no port, no file: the app's authority, as the `ipc:` scheme has):
//!
//! - `podterm-probe://localhost/whole?bytes=N`: one response of N bytes, read from memory (what
//!   Tauri's fetch of one message does, without its `eval` and its command's routing);
//! - `podterm-probe://localhost/stream?bytes=N&piece=P`: one response whose body is N bytes
//!   produced in pieces of P by another thread, read by WebKit as they come (one request for a
//!   whole flood; the page reads it with `response.body.getReader()`);
//! - `podterm-probe://localhost/eval?bytes=N&piece=P`: an empty response, then N bytes as
//!   scripts `window.__probeEval("…")` of P bytes each, [`AHEAD`] at a time (what Tauri does
//!   for a message under 1 KiB, as text: a JSON string, not an array of numbers);
//! - `podterm-probe://localhost/ws?bytes=N&piece=P`: a response naming a loopback port and a
//!   one-time path, where a WebSocket server waits for one connection and sends N bytes as
//!   binary messages of P bytes each (WebKit's network process reads the socket and hands each
//!   message to the page). A port any local process can reach, guarded only by the path: a
//!   candidate to measure, not one the app uses.
//!
//! The bytes are 79 `y`s and a newline, repeated (the bench's flood lines).

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;
use std::sync::mpsc;

use webkit2gtk::glib::Cast;
use webkit2gtk::{gio, glib};
use webkit2gtk::{
    SecurityManagerExt, URISchemeRequestExt, URISchemeResponseExt, WebContextExt, WebViewExt,
};

/// The probe's URI scheme.
pub const SCHEME: &str = "podterm-probe";

/// Pieces produced ahead of WebKit's reads (the producer thread blocks beyond them).
const AHEAD: usize = 4;

/// The largest response the probe serves.
const MAX_BYTES: usize = 4 << 30;

/// Registers [`SCHEME`] on the webview's context (on the main thread).
pub fn register(view: &webkit2gtk::WebView) {
    let Some(context) = view.context() else {
        tracing::warn!("transport probe: the webview has no context");
        return;
    };
    if let Some(security) = context.security_manager() {
        security.register_uri_scheme_as_secure(SCHEME);
        security.register_uri_scheme_as_cors_enabled(SCHEME);
    }
    let view = view.clone();
    context.register_uri_scheme(SCHEME, move |request| respond(&view, request));
}

fn respond(view: &webkit2gtk::WebView, request: &webkit2gtk::URISchemeRequest) {
    let uri = request.uri().map(|u| u.to_string()).unwrap_or_default();
    let (path, query) = uri
        .strip_prefix("podterm-probe://localhost")
        .unwrap_or("")
        .split_once('?')
        .unwrap_or(("", ""));
    let param = |name: &str| -> usize {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
            .min(MAX_BYTES)
    };
    let bytes = param("bytes");
    let (stream, length): (gio::InputStream, i64) = match path {
        "/whole" => (
            gio::MemoryInputStream::from_bytes(&glib::Bytes::from_owned(lines(bytes))).upcast(),
            bytes as i64,
        ),
        "/stream" => (
            gio::ReadInputStream::new(Pieces::spawn(bytes, param("piece").max(1))).upcast(),
            bytes as i64,
        ),
        "/ws" => {
            let answer = serve_websocket(bytes, param("piece").max(1));
            (
                gio::MemoryInputStream::from_bytes(&glib::Bytes::from_owned(answer.into_bytes()))
                    .upcast(),
                -1,
            )
        }
        "/eval" => {
            eval_pieces(view, bytes, param("piece").max(1));
            (gio::MemoryInputStream::new().upcast(), 0)
        }
        _ => {
            request.finish_error(&mut glib::Error::new(
                glib::UriError::Failed,
                "transport probe: /whole, /stream, /eval or /ws",
            ));
            return;
        }
    };
    let response = webkit2gtk::URISchemeResponse::new(&stream, length);
    response.set_content_type("application/octet-stream");
    let headers = soup::MessageHeaders::new(soup::MessageHeadersType::Response);
    headers.append("Access-Control-Allow-Origin", "*");
    response.set_http_headers(headers);
    request.finish_with_response(&response);
}

/// `total` bytes as scripts of `piece` bytes each, the next sent as one finishes.
fn eval_pieces(view: &webkit2gtk::WebView, total: usize, piece: usize) {
    let Ok(text) = String::from_utf8(lines(piece)) else {
        return;
    };
    let script = Rc::new(format!(
        "window.__probeEval({});0",
        serde_json::Value::String(text)
    ));
    let left = Rc::new(Cell::new(total.div_ceil(piece)));
    for _ in 0..AHEAD {
        eval_next(view.clone(), script.clone(), left.clone());
    }
}

fn eval_next(view: webkit2gtk::WebView, script: Rc<String>, left: Rc<Cell<usize>>) {
    if left.get() == 0 {
        return;
    }
    left.set(left.get() - 1);
    let again = view.clone();
    view.evaluate_javascript(
        &script.clone(),
        None,
        None,
        None::<&gio::Cancellable>,
        move |_| eval_next(again, script, left),
    );
}

/// Starts a WebSocket server on a loopback port for one connection at a one-time path, which
/// gets `total` bytes as binary messages of `piece` bytes; answers `ws://127.0.0.1:PORT/PATH`
/// (or `error: …`).
fn serve_websocket(total: usize, piece: usize) -> String {
    use tokio_tungstenite::tungstenite;
    let listener = match std::net::TcpListener::bind(("127.0.0.1", 0)) {
        Ok(l) => l,
        Err(e) => return format!("error: {e}"),
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => return format!("error: {e}"),
    };
    let path = format!("/{:016x}", {
        use std::hash::{BuildHasher, Hasher};
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    });
    let url = format!("ws://127.0.0.1:{port}{path}");
    std::thread::spawn(move || {
        let Ok((socket, _)) = listener.accept() else {
            return;
        };
        // The handshake callback's signature is tungstenite's (its error is an HTTP response).
        #[allow(clippy::result_large_err)]
        let check = |req: &tungstenite::handshake::server::Request,
                     res: tungstenite::handshake::server::Response| {
            if req.uri().path() == path {
                Ok(res)
            } else {
                let mut no = tungstenite::handshake::server::ErrorResponse::new(None);
                *no.status_mut() = tungstenite::http::StatusCode::FORBIDDEN;
                Err(no)
            }
        };
        let Ok(mut ws) = tungstenite::accept_hdr(socket, check) else {
            return;
        };
        let one = bytes::Bytes::from(lines(piece));
        let mut left = total;
        while left > 0 {
            let n = left.min(piece);
            if ws
                .send(tungstenite::Message::Binary(one.slice(..n)))
                .is_err()
            {
                return;
            }
            left -= n;
        }
        let _ = ws.close(None);
        while ws.read().is_ok() {}
    });
    url
}

/// `n` bytes of 80-byte lines.
fn lines(n: usize) -> Vec<u8> {
    const LINE: &[u8; 80] =
        b"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n";
    LINE.iter().copied().cycle().take(n).collect()
}

/// A body produced in pieces by another thread (as a session's batches come from its pump),
/// read by GIO's worker thread on WebKit's behalf.
struct Pieces {
    from: mpsc::Receiver<Vec<u8>>,
    piece: Vec<u8>,
    at: usize,
}

impl Pieces {
    fn spawn(total: usize, piece: usize) -> Self {
        let (to, from) = mpsc::sync_channel(AHEAD);
        std::thread::spawn(move || {
            let one = lines(piece);
            let mut left = total;
            while left > 0 {
                let n = left.min(piece);
                if to.send(one[..n].to_vec()).is_err() {
                    return;
                }
                left -= n;
            }
        });
        Self {
            from,
            piece: Vec::new(),
            at: 0,
        }
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.piece.len() {
            match self.from.recv() {
                Ok(next) => {
                    self.piece = next;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.piece.len() - self.at);
        buf[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
