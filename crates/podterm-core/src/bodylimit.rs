//! A bound on what an API server's answer can make the client hold. kube reads an answer's body
//! whole (a `get`, a `list`, a refusal's `Status`) and splits a watch into lines without a
//! longest line: a server sending an endless body, or a watch line without its newline, grew
//! memory until the process was killed. [`BodyLimit`] cuts such a body with
//! [`AnswerTooLarge`] at [`MAX_ANSWER`] bytes, and a watch's line at [`MAX_WATCH_LINE`]. A
//! container's log (`…/log`, read here in pieces, never whole) and an upgraded connection
//! (exec, attach, port-forward: their frames have bounds of their own) are not cut.

use hyper::body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The largest answer held: far above any `get` or a page of a `list` (500 pods are ~10 MB), or
/// a `Status` (the API server's are a few hundred bytes).
pub const MAX_ANSWER: u64 = 256 << 20;

/// The longest line of a watch: an object's event (etcd keeps objects under 1.5 MiB).
pub const MAX_WATCH_LINE: u64 = 16 << 20;

/// An answer cut at its bound.
#[derive(Debug, thiserror::Error)]
#[error("the API server sent {what} of more than {} MiB, more than any API server sends: the answer was not read further (is the kubeconfig's server address that of a Kubernetes API server?)", .limit >> 20)]
pub struct AnswerTooLarge {
    what: &'static str,
    limit: u64,
}

/// What bounds an answer, from its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// The whole body, at most this many bytes more.
    Total { left: u64 },
    /// Each line (up to its `\n`) at most `max` bytes; `run` since the last newline.
    Lines { max: u64, run: u64 },
    /// Not cut: read in pieces by its reader.
    Open,
}

impl Rule {
    fn of(uri: &http::Uri) -> Rule {
        let query = uri.query().unwrap_or("");
        let flag = |name: &str| {
            query
                .split('&')
                .any(|kv| kv == format!("{name}=true") || kv == format!("{name}=1"))
        };
        if uri.path().ends_with("/log") {
            Rule::Open
        } else if flag("watch") {
            Rule::Lines {
                max: MAX_WATCH_LINE,
                run: 0,
            }
        } else {
            Rule::Total { left: MAX_ANSWER }
        }
    }

    /// Counts `data` in; the error once past the bound.
    fn take(&mut self, data: &[u8]) -> Result<(), AnswerTooLarge> {
        match self {
            Rule::Open => Ok(()),
            Rule::Total { left } => {
                *left = left.checked_sub(data.len() as u64).ok_or(AnswerTooLarge {
                    what: "an answer",
                    limit: MAX_ANSWER,
                })?;
                Ok(())
            }
            Rule::Lines { max, run } => {
                let too_long = AnswerTooLarge {
                    what: "a watch event",
                    limit: *max,
                };
                // Each line ending in this piece, the first one begun in earlier pieces.
                let mut line = *run;
                let mut from = 0;
                while let Some(i) = data[from..].iter().position(|&b| b == b'\n') {
                    if line + i as u64 > *max {
                        return Err(too_long);
                    }
                    line = 0;
                    from += i + 1;
                }
                line += (data.len() - from) as u64;
                if line > *max {
                    return Err(too_long);
                }
                *run = line;
                Ok(())
            }
        }
    }
}

/// A response body cut at its [`Rule`].
pub struct Bounded<B> {
    inner: B,
    rule: Rule,
    failed: bool,
}

impl<B> Body for Bounded<B>
where
    B: Body<Data = bytes::Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let checked = match frame.data_ref() {
                    Some(data) => self.rule.take(data),
                    None => Ok(()),
                };
                match checked {
                    Ok(()) => Poll::Ready(Some(Ok(frame))),
                    Err(e) => {
                        self.failed = true;
                        Poll::Ready(Some(Err(Box::new(e))))
                    }
                }
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The client's layer: each answer's body [`Bounded`] by its request's [`Rule`].
#[derive(Clone)]
pub struct BodyLimit<S> {
    inner: S,
}

impl<S> BodyLimit<S> {
    pub(crate) fn new(inner: S) -> Self {
        BodyLimit { inner }
    }
}

impl<S, B, R> tower::Service<http::Request<B>> for BodyLimit<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Bounded<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let rule = Rule::of(req.uri());
        let answer = self.inner.call(req);
        Box::pin(async move {
            answer.await.map(|res| {
                res.map(|inner| Bounded {
                    inner,
                    rule,
                    failed: false,
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(uri: &str) -> Rule {
        Rule::of(&uri.parse().expect("uri"))
    }

    #[test]
    fn each_request_gets_its_bound() {
        assert_eq!(
            rule("https://a/api/v1/namespaces/demo/pods/x"),
            Rule::Total { left: MAX_ANSWER }
        );
        assert_eq!(
            rule("https://a/api/v1/namespaces/demo/pods?watch=true&resourceVersion=1"),
            Rule::Lines {
                max: MAX_WATCH_LINE,
                run: 0
            }
        );
        assert_eq!(
            rule("https://a/api/v1/namespaces/demo/pods/x/log?follow=true"),
            Rule::Open
        );
        assert_eq!(
            rule("https://a/api/v1/namespaces/demo/pods?fieldSelector=x&watch=1"),
            Rule::Lines {
                max: MAX_WATCH_LINE,
                run: 0
            }
        );
    }

    #[test]
    fn a_total_is_cut_past_its_bound() {
        let mut r = Rule::Total { left: 10 };
        assert!(r.take(b"0123456789").is_ok());
        assert!(r.take(b"").is_ok());
        assert!(r.take(b"x").is_err());
    }

    #[test]
    fn a_line_is_cut_past_its_bound_wherever_its_pieces_fall() {
        let mut r = Rule::Lines { max: 4, run: 0 };
        // Lines of 4 in pieces of every shape.
        for piece in [&b"ab"[..], b"cd\nabcd", b"\n", b"a", b"bc", b"d\nab"] {
            assert!(r.take(piece).is_ok(), "{piece:?}");
        }
        // `ab` so far, then three more bytes before the newline: 5.
        assert!(r.take(b"cde\n").is_err());
        let mut r = Rule::Lines { max: 4, run: 0 };
        assert!(r.take(b"abcde").is_err());
        let mut r = Rule::Lines { max: 4, run: 0 };
        assert!(r.take(b"abc").is_ok());
        assert!(r.take(b"de").is_err());
        // A long line between two short ones in one piece.
        let mut r = Rule::Lines { max: 4, run: 0 };
        assert!(r.take(b"a\nabcdefgh\nb").is_err());
        let mut r = Rule::Open;
        assert!(r.take(&[7u8; 1 << 20]).is_ok());
    }
}
