//! What the API server warns of: the `Warning` headers of its answers (`299 - "text"`, RFC 7234's
//! form). Pod Security admission in warn mode sends them when a debug container or a debugging
//! pod breaks the namespace's policy (`would violate PodSecurity "baseline:latest": privileged
//! …`), as do admission webhooks and deprecated APIs. kubectl prints each once on stderr
//! (`Warning: text`); podterm hands each to a handler:
//! - the task's, when the request was made inside [`collecting`] (the app: the tab whose
//!   session asked);
//! - else the process's ([`set_process_handler`]: the CLI prints them as kubectl does).
//!
//! Only warnings with code 299 and a text are handed on, as client-go does; each text escaped
//! and cut ([`crate::text`]), at most [`MAX_PER_ANSWER`] of one answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

/// Receives each warning's text (escaped and cut).
pub type Handler = Arc<dyn Fn(&str) + Send + Sync>;

/// The most warnings taken from one answer: a server that sends a hundred says nothing more.
pub const MAX_PER_ANSWER: usize = 8;

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
    for value in values {
        let raw = String::from_utf8_lossy(value.as_bytes());
        let mut rest: &str = &raw;
        while let Some((code, text, after)) = one(rest) {
            if code == 299 && !text.is_empty() && out.len() < MAX_PER_ANSWER {
                out.push(crate::text::shown(&text));
            }
            let after = after.trim_start();
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None => break,
            }
        }
    }
    out
}

/// One `CODE SP AGENT SP "TEXT" [SP "DATE"]` at the start of `s`: its code, its text
/// unquoted, and what follows it.
fn one(s: &str) -> Option<(u16, String, &str)> {
    let s = s.trim_start();
    let code: u16 = s.get(..3)?.parse().ok()?;
    let s = s.get(3..)?.strip_prefix(' ')?;
    let (agent, s) = s.split_once(' ')?;
    if agent.is_empty() {
        return None;
    }
    let (text, mut s) = quoted(s)?;
    if let Some(after_space) = s.strip_prefix(' ') {
        if after_space.starts_with('"') {
            let (_date, after_date) = quoted(after_space)?;
            s = after_date;
        }
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
        // A value that does not parse gives what came before it, nothing after.
        assert_eq!(parsed(&[r#"299 - "ok", garbage "x""#]), ["ok"]);
        assert!(parsed(&["299 - unquoted", "2999 - \"x\"", "29 - \"x\"", "299 \"x\""]).is_empty());
        // What a hostile server says is escaped and cut, and only so many are taken.
        let long = format!("299 - \"{}\"", "A".repeat(10_000));
        assert!(parsed(&[&long])[0].ends_with("more bytes)"));
        let many = vec![r#"299 - "again""#; 50];
        assert_eq!(parsed(&many).len(), MAX_PER_ANSWER);
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
