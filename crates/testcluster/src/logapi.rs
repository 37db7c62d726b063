//! The API for logs and events: `pods/{name}/log` (the kubelet's reading of a container's log,
//! its refusals in the API server's words) and core/v1 `events` (list, watch, table).

use crate::api::{status, status_response, Body, Query};
use crate::events;
use crate::logs::{LogQuery, Reader};
use crate::selector::Selector;
use crate::Shared;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;

fn bad(message: &str) -> Response<Body> {
    status_response(400, "BadRequest", message, None)
}

/// A streamed response whose body `produce` writes, run as a connection task. The body ends
/// cleanly when `produce` returns. When the task is aborted instead (the cluster drops every
/// connection), it never ends: the connection is cut in the middle of the body, as a network
/// drop cuts it, and a client sees a broken stream, not a finished one.
fn streamed<F>(shared: &Shared, content_type: &'static str, produce: F) -> Response<Body>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Bytes>) -> BoxFuture + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    shared.tasks.spawn(async move {
        produce(tx).await;
        let _ = done_tx.send(());
    });
    let stream = futures_util::stream::unfold((rx, Some(done_rx)), |(mut rx, done)| async move {
        if let Some(b) = rx.recv().await {
            return Some((Ok::<_, Infallible>(Frame::data(b)), (rx, done)));
        }
        if let Some(done) = done {
            if done.await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None
    });
    let mut r = Response::new(StreamBody::new(stream).boxed());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    r
}

type BoxFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// The options of a log request, checked as the API server checks `PodLogOptions`.
fn log_query(q: &Query) -> Result<LogQuery, String> {
    let int = |k: &str| -> Result<Option<i64>, String> {
        match q.get(k) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| format!("{k}: Invalid value: {v:?}: must be an integer")),
        }
    };
    let since_seconds = int("sinceSeconds")?;
    let since_time = match q.get("sinceTime").filter(|s| !s.is_empty()) {
        None => None,
        Some(v) => Some(
            v.parse::<jiff::Timestamp>()
                .map_err(|e| format!("sinceTime: Invalid value: {v:?}: {e}"))?,
        ),
    };
    if since_seconds.is_some() && since_time.is_some() {
        return Err("at most one of `sinceTime` or `sinceSeconds` may be specified".into());
    }
    let since = match (since_seconds, since_time) {
        (Some(s), _) if s < 1 => {
            return Err("sinceSeconds: Invalid value: must be greater than 0".into())
        }
        (Some(s), _) => jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_secs(s))
            .ok(),
        // The API server hands sinceTime on to the kubelet in whole seconds (metav1.Time in a
        // query), so a client resuming from a line's timestamp gets that second again.
        (None, Some(t)) => jiff::Timestamp::from_second(t.as_second()).ok(),
        (None, None) => None,
    };
    let tail_lines = match int("tailLines")? {
        Some(n) if n < 0 => {
            return Err("tailLines: Invalid value: must be greater than or equal to 0".into())
        }
        n => n.map(|n| n as u64),
    };
    let limit_bytes = match int("limitBytes")? {
        Some(n) if n < 1 => return Err("limitBytes: Invalid value: must be greater than 0".into()),
        n => n.map(|n| n as u64),
    };
    Ok(LogQuery {
        previous: q.flag("previous"),
        follow: q.flag("follow"),
        timestamps: q.flag("timestamps"),
        since,
        tail_lines,
        limit_bytes,
    })
}

/// `GET /api/v1/namespaces/{ns}/pods/{name}/log`.
pub fn pod_log(shared: &Arc<Shared>, ns: &str, name: &str, q: &Query) -> Response<Body> {
    let Some(pod) = shared.store.pod(ns, name) else {
        return status_response(
            404,
            "NotFound",
            &format!("pods {name:?} not found"),
            Some(json!({ "name": name, "kind": "pods" })),
        );
    };
    let names: Vec<&str> = pod
        .spec
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let ephemeral = |c: &str| pod.ephemeral.iter().any(|e| e.name == c);
    let container = match q.get("container").filter(|c| !c.is_empty()) {
        Some(c) if names.contains(&c) || ephemeral(c) => c.to_string(),
        Some(c) => return bad(&format!("container {c} is not valid for pod {name}")),
        None if names.len() == 1 => names[0].to_string(),
        None => {
            return bad(&format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            ))
        }
    };
    let lq = match log_query(q) {
        Ok(l) => l,
        Err(e) => return bad(&e),
    };
    if pod.spec.phase == crate::config::Phase::Pending {
        return bad(&format!(
            "container {container:?} in pod {name:?} is waiting to start: ContainerCreating"
        ));
    }
    let log = shared.logs.container(&pod.uid, &container);
    let Some(mut reader) = Reader::new(log, lq) else {
        return bad(&format!(
            "previous terminated container {container:?} in pod {name:?} not found"
        ));
    };
    let life = pod.life.clone();
    let faults = shared.faults.clone();
    streamed(shared, "text/plain", move |tx| {
        Box::pin(async move {
            loop {
                let next = tokio::select! {
                    n = reader.next() => n,
                    _ = life.cancelled() => None,
                };
                let Some(b) = next else { return };
                faults.delay().await;
                if tx.send(b).await.is_err() {
                    return;
                }
            }
        })
    })
}

fn col(name: &str, priority: u8) -> Value {
    json!({
        "name": name,
        "type": "string",
        "format": if name == "Name" { "name" } else { "" },
        "description": "",
        "priority": priority,
    })
}

fn columns() -> Vec<Value> {
    vec![
        col("Last Seen", 0),
        col("Type", 0),
        col("Reason", 0),
        col("Object", 0),
        col("Subobject", 1),
        col("Source", 1),
        col("Message", 0),
        col("First Seen", 1),
        col("Count", 1),
        col("Name", 1),
    ]
}

fn partial(object: &Value, include: Option<&str>) -> Value {
    match include {
        Some("Object") => object.clone(),
        Some("None") => Value::Null,
        _ => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object["metadata"],
        }),
    }
}

fn json_ok(v: &Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())).boxed());
    *r.status_mut() = StatusCode::OK;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `GET /api/v1/events`, `/api/v1/namespaces/{ns}/events[/{name}]`: list, get or watch.
pub fn events(
    shared: &Arc<Shared>,
    ns: Option<&str>,
    name: Option<&str>,
    q: &Query,
    as_table: bool,
) -> Response<Body> {
    let mut fields = match Selector::parse(q.get("fieldSelector").unwrap_or("")) {
        Ok(s) => s,
        Err(e) => return bad(&e.to_string()),
    };
    if let Some(bad_key) = fields.keys().find(|k| !events::FIELDS.contains(k)) {
        return bad(&format!("field label not supported: {bad_key}"));
    }
    if let Some(n) = name {
        fields = match Selector::parse(&format!("metadata.name={n}")) {
            Ok(s) => s,
            Err(e) => return bad(&e.to_string()),
        };
    }
    let include = q.get("includeObject");
    if q.flag("watch") && name.is_none() {
        return watch(shared, ns, fields, q, as_table);
    }
    let items = shared.events.list(ns, &fields);
    let rv = shared.events.resource_version().to_string();
    if let Some(n) = name {
        return match items.into_iter().next() {
            Some(v) if as_table => json_ok(&table(&rv, true, &[v], include)),
            Some(v) => json_ok(&v),
            None => status_response(
                404,
                "NotFound",
                &format!("events {n:?} not found"),
                Some(json!({ "name": n, "kind": "events" })),
            ),
        };
    }
    if as_table {
        return json_ok(&table(&rv, true, &items, include));
    }
    json_ok(&json!({
        "kind": "EventList",
        "apiVersion": "v1",
        "metadata": { "resourceVersion": rv },
        "items": items,
    }))
}

fn table(rv: &str, headers: bool, items: &[Value], include: Option<&str>) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": { "resourceVersion": rv },
        "columnDefinitions": if headers { columns() } else { vec![] },
        "rows": items.iter().map(|v| json!({
            "cells": events::table_cells(v),
            "object": partial(v, include),
        })).collect::<Vec<_>>(),
    })
}

fn watch(
    shared: &Arc<Shared>,
    ns: Option<&str>,
    fields: Selector,
    q: &Query,
    as_table: bool,
) -> Response<Body> {
    let rv: Option<u64> = q
        .get("resourceVersion")
        .filter(|s| !s.is_empty() && *s != "0")
        .and_then(|s| s.parse().ok());
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(std::time::Duration::from_secs);
    let include = q.get("includeObject").map(str::to_owned);
    let ns = ns.map(str::to_owned);
    let matches = move |c: &events::Change| {
        ns.as_deref().is_none_or(|n| n == c.namespace) && fields.matches(&c.fields)
    };
    // Without a resourceVersion, a watch starts with ADDED for every event kept.
    let (initial, mut rx) = match shared.events.watch_from(rv.unwrap_or(0)) {
        Ok(x) => x,
        Err(_) => {
            return status_response(
                410,
                "Expired",
                &format!("too old resource version: {}", rv.unwrap_or(0)),
                None,
            )
        }
    };
    let faults = shared.faults.clone();
    streamed(shared, "application/json", move |tx| {
        Box::pin(async move {
            let mut first = true;
            let mut last_rv = rv.unwrap_or(0);
            let render = |c: &events::Change, first: bool| -> Bytes {
                let object = if as_table {
                    table(
                        &c.rv.to_string(),
                        first,
                        std::slice::from_ref(&c.object),
                        include.as_deref(),
                    )
                } else {
                    c.object.clone()
                };
                Bytes::from(json!({ "type": c.kind.as_str(), "object": object }).to_string() + "\n")
            };
            let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
            for c in initial.iter().filter(|c| matches(c)) {
                last_rv = last_rv.max(c.rv);
                if tx.send(render(c, first)).await.is_err() {
                    return;
                }
                first = false;
            }
            loop {
                let next = async {
                    match deadline {
                        Some(d) => tokio::time::timeout_at(d, rx.recv()).await.ok(),
                        None => Some(rx.recv().await),
                    }
                };
                match next.await {
                    None => return,
                    Some(Ok(c)) => {
                        if c.rv <= last_rv || !matches(&c) {
                            continue;
                        }
                        last_rv = c.rv;
                        faults.delay().await;
                        if tx.send(render(&c, first)).await.is_err() {
                            return;
                        }
                        first = false;
                    }
                    Some(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                        let err =
                            status(410, "Expired", "watch fell behind; start a new watch", None);
                        let line = json!({ "type": "ERROR", "object": err }).to_string() + "\n";
                        let _ = tx.send(Bytes::from(line)).await;
                        return;
                    }
                    Some(Err(_)) => return,
                }
            }
        })
    })
}
