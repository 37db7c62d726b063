//! Each request to the API server as lines of a log, for `podterm -v 6` and up (kubectl's
//! `-v=6`): the method and URL, the answer's status and how long it took to come. The time is
//! to the answer's headers, so a watch, a followed log or an exec's upgrade is logged when it
//! starts, as kubectl logs it. At `-v 7` each header sent is logged too, at `-v 8` each header
//! of the answer. Bodies never are.
//!
//! What the log never holds is a credential:
//! - the values of [`SECRET_HEADERS`] are `<masked>`, keeping an `Authorization`'s scheme word
//!   (`Bearer <masked>`), as kubectl does;
//! - an exec's command in the URL (`?command=mysql&command=--password=…`) has each word that
//!   looks secret masked, and the word after a secret-named flag (`--password VALUE`), where
//!   kubectl logs the command as typed.
//!
//! A header value or an error from the server is escaped and cut ([`crate::text`]).
//!
//! The lines are `tracing` events at the targets below: the CLI's `-v` turns them on
//! (podterm-cli's `verbose`), and the app logs them with `RUST_LOG=podterm::http=debug`. With
//! neither, nothing is formatted.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// Each request's line (method, URL, status, time), at DEBUG.
pub const REQUESTS: &str = "podterm::http";
/// Each header sent, at TRACE.
pub const REQUEST_HEADERS: &str = "podterm::http::request_headers";
/// Each header of the answer, at TRACE.
pub const RESPONSE_HEADERS: &str = "podterm::http::response_headers";

/// Headers whose values are credentials.
pub const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// The most of one header's value shown: a certificate or a long token in an unexpected
/// header is not a line to read.
const VALUE_LIMIT: usize = 512;

/// What stands for a secret.
const MASK: &str = "<masked>";

/// The client's requests, logged (see the module's description).
#[derive(Clone)]
pub(crate) struct HttpLog<S> {
    inner: S,
}

impl<S> HttpLog<S> {
    pub(crate) fn new(inner: S) -> Self {
        HttpLog { inner }
    }
}

impl<S, B, R> tower::Service<http::Request<B>> for HttpLog<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: std::error::Error + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if !tracing::enabled!(target: REQUESTS, tracing::Level::DEBUG) {
            return Box::pin(self.inner.call(req));
        }
        let line = format!("{} {}", req.method(), uri_shown(req.uri()));
        // With the headers, kubectl's answer line names no request (it was just above).
        let headers = tracing::enabled!(target: REQUEST_HEADERS, tracing::Level::TRACE);
        if headers {
            tracing::trace!(target: REQUEST_HEADERS, "{line}");
            tracing::trace!(target: REQUEST_HEADERS, "Request Headers:");
            for (name, value) in req.headers() {
                tracing::trace!(target: REQUEST_HEADERS, "    {}", header_shown(name, value));
            }
        }
        let answer = self.inner.call(req);
        Box::pin(async move {
            let mut waiting = Unanswered {
                line: Some(line),
                start: Instant::now(),
            };
            let answer = answer.await;
            let ms = waiting.start.elapsed().as_millis();
            let line = waiting.line.take().unwrap_or_default();
            match &answer {
                Ok(res) => {
                    let status = status_shown(res.status());
                    if headers {
                        tracing::debug!(
                            target: REQUESTS,
                            "Response Status: {status} in {ms} milliseconds"
                        );
                    } else {
                        tracing::debug!(target: REQUESTS, "{line} {status} in {ms} milliseconds");
                    }
                    if tracing::enabled!(target: RESPONSE_HEADERS, tracing::Level::TRACE) {
                        tracing::trace!(target: RESPONSE_HEADERS, "Response Headers:");
                        for (name, value) in res.headers() {
                            tracing::trace!(
                                target: RESPONSE_HEADERS,
                                "    {}",
                                header_shown(name, value)
                            );
                        }
                    }
                }
                Err(e) => tracing::debug!(
                    target: REQUESTS,
                    "{line} failed in {ms} milliseconds: {}",
                    crate::text::shown(&crate::cluster::describe(e))
                ),
            }
            answer
        })
    }
}

/// A request on its way: when it is dropped before its answer (a timeout, Ctrl-C), the log
/// says so, as kubectl logs a request that timed out.
struct Unanswered {
    line: Option<String>,
    start: Instant,
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(line) = self.line.take() {
            tracing::debug!(
                target: REQUESTS,
                "{line} with no answer after {} milliseconds",
                self.start.elapsed().as_millis()
            );
        }
    }
}

/// The status as kubectl writes it (`200 OK`): the code and its standard reason, never the
/// reason phrase the server sent.
fn status_shown(status: http::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// `name: value`, a secret's value masked, any other's escaped and cut.
fn header_shown(name: &http::HeaderName, value: &http::HeaderValue) -> String {
    let raw = String::from_utf8_lossy(value.as_bytes());
    let shown = if SECRET_HEADERS.contains(&name.as_str()) {
        match raw.split_once(' ') {
            Some((scheme, _)) if scheme.chars().all(|c| c.is_ascii_alphabetic()) => {
                format!("{scheme} {MASK}")
            }
            _ => MASK.to_string(),
        }
    } else {
        crate::text::shown_within(&raw, VALUE_LIMIT)
    };
    format!("{}: {shown}", canonical(name.as_str()))
}

/// A header's name as Go (and so kubectl) writes it: each word capitalised
/// (`sec-websocket-protocol` → `Sec-Websocket-Protocol`).
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The URL, with a password in it masked, and each word of an exec's command that looks secret
/// (see the module's description); as sent when nothing is.
fn uri_shown(uri: &http::Uri) -> String {
    let mut whole = uri.to_string();
    if let Some(authority) = uri.authority() {
        if let Some((_, host)) = authority.as_str().rsplit_once('@') {
            whole = whole.replacen(authority.as_str(), &format!("{MASK}@{host}"), 1);
        }
    }
    let Some((path, query)) = whole.split_once('?') else {
        return crate::text::shown(&whole);
    };
    let pairs: Vec<&str> = query.split('&').collect();
    fn command<'a>(pair: &&'a str) -> Option<&'a str> {
        pair.strip_prefix("command=")
    }
    let words: Vec<String> = pairs
        .iter()
        .filter_map(command)
        .map(|value| {
            form_urlencoded::parse(format!("w={value}").as_bytes())
                .next()
                .map(|(_, w)| w.into_owned())
                .unwrap_or_default()
        })
        .collect();
    let secret = crate::commandsecrets::secret_words(&words);
    if !secret.contains(&true) {
        return crate::text::shown(&whole);
    }
    let mut secret = secret.into_iter();
    let shown: Vec<String> = pairs
        .iter()
        .map(|pair| match command(pair) {
            Some(_) if secret.next() == Some(true) => format!("command={MASK}"),
            _ => pair.to_string(),
        })
        .collect();
    crate::text::shown(&format!("{path}?{}", shown.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exec_command_keeps_its_words_but_the_secret_ones() {
        let uri = |s: &str| s.parse::<http::Uri>().expect("a URI");
        let plain = "https://api:6443/api/v1/namespaces/web/pods/web-1/exec?command=ls&command=-la&container=main&stdout=true";
        assert_eq!(uri_shown(&uri(plain)), plain);
        assert_eq!(
            uri_shown(&uri("https://api/x/exec?command=mysql&command=--password%3Dhunter2&command=-h&command=db&stdout=true")),
            "https://api/x/exec?command=mysql&command=<masked>&command=-h&command=db&stdout=true"
        );
        // The value after a secret-named flag, and a token-like word anywhere.
        assert_eq!(
            uri_shown(&uri("https://api/x/exec?command=psql&command=--password&command=hunter2&command=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl")),
            "https://api/x/exec?command=psql&command=--password&command=<masked>&command=<masked>"
        );
        // Inside a string for `sh -c`; a server URL's password.
        assert_eq!(
            uri_shown(&uri("https://admin:pw@api:6443/x/exec?&command=sh&command=-c&command=mysql+--password%3Dhunter2&tty=true")),
            "https://<masked>@api:6443/x/exec?&command=sh&command=-c&command=<masked>&tty=true"
        );
        // A secret-named flag that carries no value hides nothing after a word that is not one.
        assert_eq!(
            uri_shown(&uri(
                "https://api/x/exec?command=env&command=TOKEN_FILE&command=x"
            )),
            "https://api/x/exec?command=env&command=TOKEN_FILE&command=x"
        );
    }

    #[test]
    fn credentials_in_headers_are_masked_and_other_values_escaped_and_cut() {
        let h = |name: &'static str, value: &[u8]| {
            header_shown(
                &http::HeaderName::from_static(name),
                &http::HeaderValue::from_bytes(value).expect("a header value"),
            )
        };
        assert_eq!(
            h("authorization", b"Bearer abc.def"),
            "Authorization: Bearer <masked>"
        );
        assert_eq!(
            h("authorization", b"Basic dXNlcjpwYXNz"),
            "Authorization: Basic <masked>"
        );
        assert_eq!(h("authorization", b"s3cret"), "Authorization: <masked>");
        assert_eq!(h("cookie", b"session=abc"), "Cookie: <masked>");
        assert_eq!(h("set-cookie", b"a=b; Path=/"), "Set-Cookie: <masked>");
        assert_eq!(h("impersonate-user", b"jane"), "Impersonate-User: jane");
        // Bytes above ASCII from a server: text, a bidi override shown, never obeyed.
        assert_eq!(
            h("x-odd", b"caf\xc3\xa9 \xe2\x80\xae \xff"),
            "X-Odd: café \\u{202e} \u{fffd}"
        );
        let long = vec![b'a'; 2000];
        let shown = h("x-long", &long);
        assert!(shown.ends_with("… (1488 more bytes)"), "{shown}");
    }

    /// What `HttpLog` logs of one answered and one failed request, with `filter` on.
    fn logged(filter: tracing_subscriber::filter::Targets) -> String {
        use tower::{Service as _, ServiceExt as _};
        use tracing_subscriber::layer::SubscriberExt as _;
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let subscriber = tracing_subscriber::registry().with(filter).with(
            tracing_subscriber::fmt::layer()
                .without_time()
                .with_level(false)
                .with_target(false)
                .with_ansi(false)
                .with_writer(move || Sink(sink.clone())),
        );
        let service = tower::service_fn(|req: http::Request<()>| async move {
            if req.uri().path() == "/down" {
                return Err(std::io::Error::other("connection refused"));
            }
            if req.uri().path() == "/silent" {
                std::future::pending::<()>().await;
            }
            let mut res = http::Response::new(());
            *res.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
            res.headers_mut()
                .insert("set-cookie", http::HeaderValue::from_static("id=42"));
            res.headers_mut()
                .insert("upgrade", http::HeaderValue::from_static("websocket"));
            Ok(res)
        });
        let mut log = HttpLog::new(service);
        let request = |path: &str| {
            let mut req = http::Request::new(());
            *req.uri_mut() = format!("https://api:6443{path}").parse().expect("a URI");
            req.headers_mut().insert(
                "authorization",
                http::HeaderValue::from_static("Bearer hunter2-token"),
            );
            req
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        tracing::subscriber::with_default(subscriber, || {
            rt.block_on(async {
                let up = log
                    .ready()
                    .await
                    .expect("ready")
                    .call(request("/up?watch=1"));
                assert!(up.await.is_ok());
                let down = log.ready().await.expect("ready").call(request("/down"));
                assert!(down.await.is_err());
                let silent = log.ready().await.expect("ready").call(request("/silent"));
                let gave_up = tokio::time::timeout(std::time::Duration::from_millis(5), silent);
                assert!(gave_up.await.is_err(), "no answer comes");
            })
        });
        let text = out.lock().expect("the log").clone();
        String::from_utf8(text).expect("UTF-8")
    }

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("the log").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_level_logs_its_lines_and_never_a_credential() {
        use tracing::Level;
        use tracing_subscriber::filter::Targets;
        let lines = |log: &str| -> Vec<String> {
            log.lines()
                .map(|l| {
                    // The time varies: `in N milliseconds` as `in _ milliseconds`.
                    for sep in [" in ", " after "] {
                        let (head, tail) = l.split_once(sep).unwrap_or((l, ""));
                        if let Some((n, rest)) = tail.split_once(" milliseconds") {
                            if n.parse::<u128>().is_ok() {
                                return format!("{head}{sep}_ milliseconds{rest}");
                            }
                        }
                    }
                    l.to_string()
                })
                .collect()
        };
        assert_eq!(logged(Targets::new()), "", "nothing unless asked");
        assert_eq!(
            lines(&logged(Targets::new().with_target(REQUESTS, Level::DEBUG))),
            [
                "GET https://api:6443/up?watch=1 101 Switching Protocols in _ milliseconds",
                "GET https://api:6443/down failed in _ milliseconds: connection refused",
                "GET https://api:6443/silent with no answer after _ milliseconds",
            ]
        );
        let all = logged(Targets::new().with_target(REQUESTS, Level::TRACE));
        assert_eq!(
            lines(&all),
            [
                "GET https://api:6443/up?watch=1",
                "Request Headers:",
                "    Authorization: Bearer <masked>",
                "Response Status: 101 Switching Protocols in _ milliseconds",
                "Response Headers:",
                "    Set-Cookie: <masked>",
                "    Upgrade: websocket",
                "GET https://api:6443/down",
                "Request Headers:",
                "    Authorization: Bearer <masked>",
                "GET https://api:6443/down failed in _ milliseconds: connection refused",
                "GET https://api:6443/silent",
                "Request Headers:",
                "    Authorization: Bearer <masked>",
                "GET https://api:6443/silent with no answer after _ milliseconds",
            ]
        );
        assert!(!all.contains("hunter2") && !all.contains("id=42"), "{all}");
        // -v 7: the headers sent, not the answer's.
        let seven = logged(
            Targets::new()
                .with_target(REQUESTS, Level::DEBUG)
                .with_target(REQUEST_HEADERS, Level::TRACE),
        );
        assert!(seven.contains("Request Headers:") && !seven.contains("Response Headers:"));
    }

    #[test]
    fn a_status_is_the_code_and_its_standard_reason() {
        assert_eq!(status_shown(http::StatusCode::OK), "200 OK");
        assert_eq!(
            status_shown(http::StatusCode::SWITCHING_PROTOCOLS),
            "101 Switching Protocols"
        );
        let odd = http::StatusCode::from_u16(599).expect("a status");
        assert_eq!(status_shown(odd), "599");
    }
}
