//! What the API server warns of: the `Warning` headers of its answers (`299 - "text"`, RFC 7234's
//! form). Pod Security admission in warn mode sends them when a debug container or a debugging
//! pod breaks the namespace's policy (`would violate PodSecurity "baseline:latest": privileged
//! …`), as do admission webhooks and deprecated APIs. kubectl prints each once on stderr
//! (`Warning: text`); podterm hands each to a handler:
//! - the task's, when the request was made inside [`collecting`] (the app: the tab whose
//!   session asked);
//! - else the process's ([`set_process_handler`]: the CLI prints them as kubectl does).
//!
//! Only warnings with code 299 and a text are handed on, as client-go does; a text the server
//! sent as RFC 2047 encoded words (as the API server sends one that is not ASCII) decoded; each
//! escaped and cut ([`crate::text`]); at most [`MAX_PER_ANSWER`] of one answer, then one that
//! says how many more there were.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

/// Receives each warning's text (escaped and cut).
pub type Handler = Arc<dyn Fn(&str) + Send + Sync>;

/// The most warnings taken from one answer (the API server keeps its own to 4 KiB); past it
/// one more says how many were left out.
pub const MAX_PER_ANSWER: usize = 32;

static PROCESS: OnceLock<Handler> = OnceLock::new();

tokio::task_local! {
    static TASK: Handler;
}

/// Sets the handler for warnings of requests made outside [`collecting`]; once per process
/// (false if one was set already).
pub fn set_process_handler(handler: Handler) -> bool {
    PROCESS.set(handler).is_ok()
}

/// Runs `work` with its requests' warnings going to `handler`.
pub async fn collecting<F: Future>(handler: Handler, work: F) -> F::Output {
    TASK.scope(handler, work).await
}

fn deliver(text: &str) {
    if TASK.try_with(|h| h(text)).is_err() {
        if let Some(h) = PROCESS.get() {
            h(text);
        }
    }
}

/// The texts of the code-299 warnings in `values` (each a header's value, a comma-separated
/// list of `CODE AGENT "TEXT" ["DATE"]`), escaped and cut, at most [`MAX_PER_ANSWER`]. A value
/// that does not parse ends its own list, as client-go's parser gives up on it.
pub fn texts<'a>(values: impl Iterator<Item = &'a http::HeaderValue>) -> Vec<String> {
    let mut out = vec![];
    let mut left_out = 0usize;
    for value in values {
        let raw = String::from_utf8_lossy(value.as_bytes());
        let mut rest: &str = &raw;
        while let Some((code, text, after)) = one(rest) {
            if code == 299 && !text.is_empty() {
                if out.len() < MAX_PER_ANSWER {
                    out.push(crate::text::shown(&decoded(&text)));
                } else {
                    left_out += 1;
                }
            }
            let after = after.trim_start();
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None => break,
            }
        }
    }
    if left_out > 0 {
        out.push(format!(
            "{left_out} more warnings of the same answer were left out"
        ));
    }
    out
}

/// One `CODE SP AGENT SP "TEXT" [SP "DATE"]` at the start of `s`: its code, its text
/// unquoted, and what follows it.
fn one(s: &str) -> Option<(u16, String, &str)> {
    let s = s.trim_start();
    let digits = s.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = digits.parse().ok()?;
    let s = s.get(3..)?.strip_prefix(' ')?;
    let (agent, s) = s.split_once(' ')?;
    if agent.is_empty() {
        return None;
    }
    let (text, mut s) = quoted(s)?;
    let after_space = s.trim_start();
    if after_space.starts_with('"') {
        let (_date, after_date) = quoted(after_space)?;
        s = after_date;
    }
    Some((code, text, s))
}

/// A quoted string at the start of `s` (`"…"`, `\` escaping the next character): its text and
/// what follows the closing quote.
fn quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut text = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => text.push(chars.next()?.1),
            '"' => return Some((text, &body[i + 1..])),
            c => text.push(c),
        }
    }
    None
}

/// `text` with its RFC 2047 encoded words (`=?utf-8?q?caf=C3=A9?=`, `=?UTF-8?B?…?=`) decoded,
/// the space between two of them dropped, as Go's `mime.WordDecoder` reads a header; a word in
/// another charset, or one that does not decode, stays as it is.
fn decoded(text: &str) -> String {
    if !text.contains("=?") {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, from) = rest.split_at(start);
        let Some((word, len)) = encoded_word(from) else {
            out.push_str(before);
            out.push_str("=?");
            rest = &from[2..];
            after_word = false;
            continue;
        };
        if !(after_word && before.chars().all(char::is_whitespace)) {
            out.push_str(before);
        }
        out.push_str(&word);
        rest = &from[len..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s` (`=?charset?q|b?text?=`, UTF-8 or ASCII): its text and
/// its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let body = &inner[..end];
    if body.contains(char::is_whitespace)
        || !(charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii"))
    {
        return None;
    }
    let bytes = if encoding.eq_ignore_ascii_case("b") {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()?
    } else if encoding.eq_ignore_ascii_case("q") {
        let mut out = Vec::with_capacity(body.len());
        let mut b = body.bytes();
        while let Some(c) = b.next() {
            match c {
                b'_' => out.push(b' '),
                b'=' => {
                    let hex = [b.next()?, b.next()?];
                    let hex = std::str::from_utf8(&hex).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                }
                c => out.push(c),
            }
        }
        out
    } else {
        return None;
    };
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    Some((String::from_utf8(bytes).ok()?, len))
}

/// The client's answers' warnings handed on (see the module's description).
#[derive(Clone)]
pub(crate) struct ServerWarnings<S> {
    inner: S,
}

impl<S> ServerWarnings<S> {
    pub(crate) fn new(inner: S) -> Self {
        ServerWarnings { inner }
    }
}

impl<S, B, R> tower::Service<http::Request<B>> for ServerWarnings<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let answer = self.inner.call(req);
        Box::pin(async move {
            let answer = answer.await;
            if let Ok(res) = &answer {
                for text in texts(res.headers().get_all(http::header::WARNING).iter()) {
                    deliver(&text);
                }
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(values: &[&str]) -> Vec<String> {
        let values: Vec<http::HeaderValue> = values
            .iter()
            .map(|v| http::HeaderValue::from_str(v).expect("a header value"))
            .collect();
        texts(values.iter())
    }

    #[test]
    fn warnings_are_read_as_client_go_reads_them() {
        assert_eq!(
            parsed(&[
                r#"299 - "would violate PodSecurity \"baseline:latest\": privileged (container \"debugger\" must not set securityContext.privileged=true)""#
            ]),
            [
                r#"would violate PodSecurity "baseline:latest": privileged (container "debugger" must not set securityContext.privileged=true)"#
            ]
        );
        // A list in one header, a date, another header; a code other than 299 and an empty
        // text left out.
        assert_eq!(
            parsed(&[
                r#"299 api "one", 199 api "not this", 299 api "two" "Mon, 07 Dec 2026 08:00:00 GMT""#,
                r#"299 - """#,
                r#"299 - "three""#,
            ]),
            ["one", "two", "three"]
        );
        // Spaces before the date, as client-go trims them.
        assert_eq!(
            parsed(&[r#"299 - "alpha"  "Mon, 07 Dec 2026 08:00:00 GMT", 299 - "beta""#]),
            ["alpha", "beta"]
        );
        // A value that does not parse gives what came before it, nothing after.
        assert_eq!(parsed(&[r#"299 - "ok", garbage "x""#]), ["ok"]);
        assert_eq!(
            parsed(&[r#"+99 - "x", 299 - "after""#]),
            Vec::<String>::new()
        );
        assert!(parsed(&["299 - unquoted", "2999 - \"x\"", "29 - \"x\"", "299 \"x\""]).is_empty());
        // Text that is not ASCII comes as RFC 2047 encoded words (the API server's way).
        assert_eq!(
            parsed(&[
                r#"299 - "=?utf-8?q?caf=C3=A9_=E2=80=9Cquoted=E2=80=9D?= =?utf-8?b?IOKckw==?=""#,
                r#"299 - "a =?iso-8859-1?q?x?= b =?utf-8?q?bad=ZZ?=""#,
            ]),
            [
                "café “quoted” ✓",
                "a =?iso-8859-1?q?x?= b =?utf-8?q?bad=ZZ?="
            ]
        );
        // What a hostile server says is escaped and cut, and only so many are taken.
        let long = format!("299 - \"{}\"", "A".repeat(10_000));
        assert!(parsed(&[&long])[0].ends_with("more bytes)"));
        let many = vec![r#"299 - "again""#; 50];
        let got = parsed(&many);
        assert_eq!(got.len(), MAX_PER_ANSWER + 1);
        assert_eq!(
            got[MAX_PER_ANSWER],
            format!(
                "{} more warnings of the same answer were left out",
                50 - MAX_PER_ANSWER
            )
        );
        let bidi =
            http::HeaderValue::from_bytes("299 - \"a\u{202e}b\"".as_bytes()).expect("obs-text");
        assert_eq!(texts(std::iter::once(&bidi)), ["a\\u{202e}b"]);
    }

    #[tokio::test]
    async fn a_warning_goes_to_the_task_that_asked() {
        use tower::{Service as _, ServiceExt as _};
        let service = tower::service_fn(|_req: http::Request<()>| async {
            let mut res = http::Response::new(());
            res.headers_mut().append(
                http::header::WARNING,
                http::HeaderValue::from_static(r#"299 - "careful""#),
            );
            Ok::<_, std::convert::Infallible>(res)
        });
        let mut warned = ServerWarnings::new(service);
        let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = seen.clone();
        let handler: Handler = Arc::new(move |t: &str| {
            if let Ok(mut s) = sink.lock() {
                s.push(t.to_string());
            }
        });
        collecting(handler, async {
            let call = warned
                .ready()
                .await
                .expect("ready")
                .call(http::Request::new(()));
            assert!(call.await.is_ok());
        })
        .await;
        assert_eq!(*seen.lock().expect("seen"), ["careful"]);
    }
}
