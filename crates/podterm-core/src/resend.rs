//! A read whose connection closed before its answer came is sent once more, on another connection.
//!
//! A load balancer, proxy or NAT that drops idle connections can close a kept-alive connection in
//! the very instant a request is sent on it: the request goes out, and the connection ends with
//! no answer. The pool cannot know beforehand, so every client that keeps connections alive sees
//! this now and then. kubectl's HTTP client (Go's) sends such a request again when it is safe;
//! without that, a pod watch renewed behind a 60 s idle timeout, or a click after a minute of
//! quiet, would now and then fail with "connection error" for no reason the user could act on.
//!
//! What is sent again: a `GET` or `HEAD` (reads, watches, and the upgrade that starts an exec
//! or attach) with a body that can be sent again, that failed after its connection was made and
//! before any answer, because the connection closed (end of stream, reset, broken pipe, or hyper's
//! "closed before message completed"). Once, so a server that always closes fails with its own
//! error. Never a write (`POST`, `PATCH`, `PUT`, `DELETE`): the server may have acted on it. Never
//! a connect failure or a timeout: those are said as they are, without doubling the wait.

use hyper_util::client::legacy::{connect::Connect, Client, Error};
use kube::client::Body;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The pooled HTTP client, with a read cut before its answer sent once more.
#[derive(Clone)]
pub(crate) struct ResendOnce<C> {
    client: Client<C, Body>,
}

impl<C> ResendOnce<C> {
    pub(crate) fn new(client: Client<C, Body>) -> Self {
        ResendOnce { client }
    }
}

type Answer = http::Response<hyper::body::Incoming>;

impl<C> tower::Service<http::Request<Body>> for ResendOnce<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    type Response = Answer;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // The pooled client takes a request at any time.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let again = copy_to_resend(&req);
        let client = self.client.clone();
        Box::pin(async move {
            let first = client.request(req).await;
            match (first, again) {
                (Err(e), Some(req)) if closed_before_answer(&e) => {
                    tracing::debug!(
                        method = %req.method(),
                        "the connection closed before the answer came; sending the request again"
                    );
                    client.request(req).await
                }
                (first, _) => first,
            }
        })
    }
}

/// A copy of `req` to send again, if it is a read whose body can be sent twice.
fn copy_to_resend(req: &http::Request<Body>) -> Option<http::Request<Body>> {
    if !matches!(*req.method(), http::Method::GET | http::Method::HEAD) {
        return None;
    }
    let body = req.body().try_clone()?;
    let mut copy = http::Request::new(body);
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    *copy.extensions_mut() = req.extensions().clone();
    Some(copy)
}

/// The request failed because its connection, once made, closed before an answer came.
fn closed_before_answer(e: &Error) -> bool {
    if e.is_connect() {
        return false;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(h) = c.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return true;
            }
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return is_closed(io.kind());
        }
        cause = c.source();
    }
    false
}

/// The connection was closed (by the peer or a hop), as opposed to timed out or refused.
fn is_closed(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: http::Method, body: Body) -> http::Request<Body> {
        let mut req = http::Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = "https://api.example:6443/api/v1/namespaces/demo/pods?watch=true"
            .parse()
            .expect("uri");
        req.headers_mut()
            .insert("authorization", http::HeaderValue::from_static("Bearer t"));
        req
    }

    #[test]
    fn only_reads_are_copied_to_send_again() {
        let get = request(http::Method::GET, Body::empty());
        let copy = copy_to_resend(&get).expect("a GET is sent again");
        assert_eq!(copy.method(), http::Method::GET);
        assert_eq!(copy.uri(), get.uri());
        assert_eq!(copy.headers(), get.headers());
        assert!(copy_to_resend(&request(http::Method::HEAD, Body::empty())).is_some());
        for write in [
            http::Method::POST,
            http::Method::PATCH,
            http::Method::PUT,
            http::Method::DELETE,
        ] {
            let req = request(write.clone(), Body::from(b"{}".to_vec()));
            assert!(
                copy_to_resend(&req).is_none(),
                "{write} is never sent again"
            );
        }
    }

    #[test]
    fn closed_is_told_from_timed_out_and_refused() {
        use std::io::ErrorKind::*;
        for kind in [
            UnexpectedEof,
            ConnectionReset,
            ConnectionAborted,
            BrokenPipe,
        ] {
            assert!(is_closed(kind), "{kind:?}");
        }
        for kind in [TimedOut, ConnectionRefused, PermissionDenied, InvalidData] {
            assert!(!is_closed(kind), "{kind:?}");
        }
    }
}
