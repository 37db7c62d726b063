//! The admin port: plain HTTP on loopback for fault control from tests and scripts.
//!
//! | request | effect |
//! |---|---|
//! | `GET /status` | JSON: url, listening, sessions, connections, processes, stalled, latencyMs, cutsLeft |
//! | `PUT /pods` (body: a pod in the cluster file's YAML or JSON) | create or replace a pod |
//! | `DELETE /pods/NS/NAME` | delete a pod (its sessions end, as on a real cluster) |
//! | `POST /pods/NS/NAME/terminating` | set its deletionTimestamp, keep it |
//! | `POST /pods/NS/NAME/ready?value=true\|false` | set readiness |
//! | `POST /faults/drop-connections` | close every connection |
//! | `POST /faults/stall` / `POST /faults/unstall` | stop / resume all reading and writing |
//! | `POST /faults/latency?ms=N` | add N ms to every request and exec output frame |
//! | `POST /faults/cut?skip=K&n=N` | let K requests through, then close the connection of each of the N after them once it is read, with no answer (`skip` defaults to 0) |
//! | `POST /server/stop`, `/server/start`, `/server/restart` | stop or restart the API listener on the same port |

use crate::config::PodSpec;
use crate::Inner;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::{Arc, Weak};

pub(crate) async fn serve(listener: tokio::net::TcpListener, cluster: Weak<Inner>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(req, cluster.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

fn reply(code: StatusCode, text: impl Into<String>) -> Response<Full<Bytes>> {
    let mut text = text.into();
    text.push('\n');
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = code;
    r
}

async fn handle(
    req: Request<Incoming>,
    cluster: Weak<Inner>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let Some(c) = cluster.upgrade() else {
        return Ok(reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "cluster is shutting down",
        ));
    };
    Ok(route(req, c).await)
}

async fn route(req: Request<Incoming>, c: Arc<Inner>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let q = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method().clone();
    match (method, segs.as_slice()) {
        (Method::GET, ["status"]) => reply(StatusCode::OK, c.status_json().to_string()),
        (Method::PUT | Method::POST, ["pods"]) => {
            let body = match Limited::new(req.into_body(), 1 << 20).collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return reply(StatusCode::BAD_REQUEST, format!("cannot read body: {e}")),
            };
            match serde_yaml::from_slice::<PodSpec>(&body) {
                Ok(spec) if spec.containers.is_empty() => reply(
                    StatusCode::BAD_REQUEST,
                    "a pod needs at least one container",
                ),
                Ok(spec) => {
                    let name = format!("{}/{}", spec.namespace, spec.name);
                    c.apply_pod(spec);
                    reply(StatusCode::OK, format!("applied pod {name}"))
                }
                Err(e) => reply(StatusCode::BAD_REQUEST, format!("not a pod: {e}")),
            }
        }
        (Method::DELETE, ["pods", ns, name]) => {
            if c.delete_pod(ns, name) {
                reply(StatusCode::OK, format!("deleted pod {ns}/{name}"))
            } else {
                reply(StatusCode::NOT_FOUND, format!("no pod {ns}/{name}"))
            }
        }
        (Method::POST, ["pods", ns, name, "terminating"]) => {
            if c.shared.store.mark_terminating(ns, name).is_some() {
                reply(StatusCode::OK, format!("pod {ns}/{name} is terminating"))
            } else {
                reply(StatusCode::NOT_FOUND, format!("no pod {ns}/{name}"))
            }
        }
        (Method::POST, ["pods", ns, name, "ready"]) => {
            let ready = match q("value").as_deref() {
                Some("true") => true,
                Some("false") => false,
                _ => return reply(StatusCode::BAD_REQUEST, "value must be true or false"),
            };
            if c.set_ready(ns, name, ready) {
                reply(StatusCode::OK, format!("pod {ns}/{name} ready={ready}"))
            } else {
                reply(StatusCode::NOT_FOUND, format!("no pod {ns}/{name}"))
            }
        }
        (Method::POST, ["faults", "drop-connections"]) => {
            c.drop_connections();
            reply(StatusCode::OK, "dropped all connections")
        }
        (Method::POST, ["faults", "stall"]) => {
            c.faults().set_stalled(true);
            reply(StatusCode::OK, "stalled")
        }
        (Method::POST, ["faults", "unstall"]) => {
            c.faults().set_stalled(false);
            reply(StatusCode::OK, "resumed")
        }
        (Method::POST, ["faults", "latency"]) => {
            match q("ms").and_then(|v| v.parse::<u64>().ok()) {
                Some(ms) => {
                    c.faults().set_latency(std::time::Duration::from_millis(ms));
                    reply(StatusCode::OK, format!("latency {ms} ms"))
                }
                None => reply(
                    StatusCode::BAD_REQUEST,
                    "ms must be a whole number of milliseconds",
                ),
            }
        }
        (Method::POST, ["faults", "cut"]) => {
            let skip = q("skip").map_or(Some(0), |v| v.parse::<u64>().ok());
            match (skip, q("n").and_then(|v| v.parse::<u64>().ok())) {
                (Some(skip), Some(n)) => {
                    c.faults().cut_requests(skip, n);
                    reply(StatusCode::OK, format!("cutting {n} after {skip}"))
                }
                _ => reply(
                    StatusCode::BAD_REQUEST,
                    "skip and n must be whole numbers (n: how many requests to cut)",
                ),
            }
        }
        (Method::POST, ["server", "stop"]) => {
            c.stop().await;
            reply(StatusCode::OK, "stopped")
        }
        (Method::POST, ["server", "start"]) => match c.start_again().await {
            Ok(()) => reply(StatusCode::OK, "started"),
            Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        (Method::POST, ["server", "restart"]) => {
            c.stop().await;
            match c.start_again().await {
                Ok(()) => reply(StatusCode::OK, "restarted"),
                Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            "unknown admin request; see crates/testcluster/src/admin.rs for the list",
        ),
    }
}
