//! The REST API: routing, authentication and authorization, discovery, namespaces, pods (list,
//! get, watch, delete), apps/v1 workloads and batch/v1 Jobs, the upgrade into exec and attach sessions, and the
//! routes to logs and events (`logapi.rs`) and to Services (`services.rs`).
//! Answers are shaped like the API server's, `metav1.Status` bodies and `Table` output included.

use crate::auth::{self, Attrs, User};
use crate::config::WorkloadKind;
use crate::exec::{self, ExecParams};
use crate::nodes;
use crate::paging;
use crate::selector::Selector;
use crate::store::{self, Pod, PodEvent};
use crate::Shared;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;

pub type Body = BoxBody<Bytes, Infallible>;

/// Extra table cells of a workload row, from its JSON.
type CellFn = Box<dyn Fn(&Value) -> Vec<Value>>;

fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed()
}

fn json_response(code: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(full(v.to_string()));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A `metav1.Status` failure, as the API server sends it.
pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut v = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    v
}

pub fn status_response(
    code: u16,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response<Body> {
    json_response(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &status(code, reason, message, details),
    )
}

pub(crate) fn not_found(resource: &str, group: &str, name: &str) -> Response<Body> {
    let qualified = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    let mut details = json!({ "name": name, "kind": resource });
    if !group.is_empty() {
        details["group"] = json!(group);
    }
    status_response(
        404,
        "NotFound",
        &format!("{qualified} {name:?} not found"),
        Some(details),
    )
}

fn bad_request(message: &str) -> Response<Body> {
    status_response(400, "BadRequest", message, None)
}

fn no_route() -> Response<Body> {
    status_response(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(
            json!({ "causes": [{ "reason": "UnexpectedServerResponse", "message": "404 page not found" }] }),
        ),
    )
}

/// Query parameters, repeated keys kept in order.
pub struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        Query(
            form_urlencoded::parse(q.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true") | Some("1") | Some("True"))
    }
}

/// Entry point for every request on the API port.
pub async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    cert_cn: Option<Arc<str>>,
) -> Result<Response<Body>, Infallible> {
    shared.faults.delay().await;
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);
    let header = |name: &str| -> Vec<String> {
        req.headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    };
    let impersonation = auth::Impersonation {
        // An empty user is none, as the API server takes it.
        user: header("impersonate-user")
            .into_iter()
            .next()
            .filter(|u| !u.is_empty()),
        groups: header("impersonate-group"),
        uid: header("impersonate-uid").into_iter().next(),
    };
    let acting = {
        let users = shared.users.read().unwrap_or_else(|p| p.into_inner());
        match auth::authenticate(&users, bearer.as_deref(), cert_cn.as_deref()) {
            None => Err(status_response(401, "Unauthorized", "Unauthorized", None)),
            Some(requester) => match auth::acting_as(requester, &users, &impersonation) {
                Ok(user) => Ok(user),
                Err(auth::Refusal::NoUser) => Err(status_response(
                    500,
                    "InternalError",
                    "Internal error occurred: requested impersonation of groups or a uid without impersonating a user",
                    None,
                )),
                Err(auth::Refusal::Forbidden(a)) => Err(forbidden(requester, &a)),
            },
        }
    };
    let user = match acting {
        Ok(user) => user,
        Err(refused) => return Ok(refused),
    };
    Ok(route(req, &shared, &user).await)
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect()
}

fn wants_table(req: &Request<Incoming>) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("as=Table"))
}

async fn route(req: Request<Incoming>, shared: &Arc<Shared>, user: &User) -> Response<Body> {
    let segs = segments(req.uri().path());
    let q = Query::parse(req.uri().query());
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method().clone();
    let table = wants_table(&req);
    match (method.clone(), s.as_slice()) {
        (Method::GET, ["version"]) => json_response(StatusCode::OK, &version()),
        (Method::GET, ["healthz" | "livez" | "readyz"]) => Response::new(full("ok")),
        (Method::GET, ["api"]) => json_response(StatusCode::OK, &api_versions(shared)),
        (Method::GET, ["api", "v1"]) => {
            json_response(StatusCode::OK, &core_resources(shared.ephemeral_containers))
        }
        (Method::GET, ["apis"]) => json_response(StatusCode::OK, &api_groups()),
        (Method::GET, ["apis", "apps"]) => json_response(StatusCode::OK, &api_group("apps")),
        (Method::GET, ["apis", "apps", "v1"]) => json_response(StatusCode::OK, &apps_resources()),
        (Method::GET, ["apis", "batch"]) => json_response(StatusCode::OK, &api_group("batch")),
        (Method::GET, ["apis", "batch", "v1"]) => json_response(StatusCode::OK, &batch_resources()),
        (Method::GET, ["api", "v1", "namespaces"]) => {
            let a = attrs(
                if q.flag("watch") { "watch" } else { "list" },
                "namespaces",
                None,
                "",
                None,
                None,
            );
            guard(user, &a).unwrap_or_else(|| namespaces_list(shared, table))
        }
        (Method::GET, ["api", "v1", "namespaces", ns]) => {
            let a = attrs("get", "namespaces", None, "", None, Some(ns));
            guard(user, &a).unwrap_or_else(|| match shared.store.namespace_json(ns) {
                Some(v) if table => json_response(
                    StatusCode::OK,
                    &namespace_table(
                        shared,
                        &[(ns.to_string(), v, jiff::Timestamp::now())],
                        q.get("includeObject"),
                    ),
                ),
                Some(v) => json_response(StatusCode::OK, &v),
                None => not_found("namespaces", "", ns),
            })
        }
        (Method::GET, ["api", "v1", "nodes"]) => {
            let verb = if q.flag("watch") { "watch" } else { "list" };
            let a = attrs(verb, "nodes", None, "", None, None);
            guard(user, &a).unwrap_or_else(|| nodes_answer(shared, None, table, &q))
        }
        (Method::GET, ["api", "v1", "nodes", name]) => {
            let a = attrs("get", "nodes", None, "", None, Some(name));
            guard(user, &a).unwrap_or_else(|| nodes_answer(shared, Some(name), table, &q))
        }
        (Method::GET, ["api", "v1", "pods"]) => {
            pods_collection(shared, user, None, &q, table).await
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "pods"]) => {
            pods_collection(shared, user, Some(ns), &q, table).await
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "pods", name]) => {
            let a = attrs("get", "pods", None, "", Some(ns), Some(name));
            guard(user, &a).unwrap_or_else(|| match shared.store.pod(ns, name) {
                Some(p) if table => json_response(
                    StatusCode::OK,
                    &pod_table(
                        shared,
                        std::slice::from_ref(&p),
                        p.rv,
                        true,
                        q.get("includeObject"),
                    ),
                ),
                Some(p) => json_response(StatusCode::OK, &shared.store.pod_json(&p)),
                None => not_found("pods", "", name),
            })
        }
        (Method::POST, ["api", "v1", "namespaces", ns, "pods"]) => {
            let a = attrs("create", "pods", None, "", Some(ns), None);
            if let Some(r) = guard(user, &a) {
                return r;
            }
            let dry_run = q.get("dryRun") == Some("All");
            crate::create::handle(req, shared, ns, dry_run).await
        }
        (Method::DELETE, ["api", "v1", "namespaces", ns, "pods", name]) => {
            let a = attrs("delete", "pods", None, "", Some(ns), Some(name));
            if let Some(r) = guard(user, &a) {
                return r;
            }
            match shared.store.pod(ns, name) {
                None => not_found("pods", "", name),
                Some(_) => {
                    let gone = crate::runtime::delete_pod(shared, ns, name);
                    match gone {
                        Some(p) => json_response(StatusCode::OK, &shared.store.pod_json(&p)),
                        None => not_found("pods", "", name),
                    }
                }
            }
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "pods", name, "log"]) => {
            let a = attrs("get", "pods", Some("log"), "", Some(ns), Some(name));
            guard(user, &a).unwrap_or_else(|| crate::logapi::pod_log(shared, ns, name, &q))
        }
        (Method::GET, ["api", "v1", "services"]) => {
            crate::services::list(shared, user, None, table, &q)
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "services"]) => {
            crate::services::list(shared, user, Some(ns), table, &q)
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "services", name]) => {
            crate::services::get(shared, user, ns, name, table, &q)
        }
        (Method::POST, ["api", "v1", "namespaces", ns, "services"]) => {
            crate::services::create(req, shared, user, ns).await
        }
        (Method::DELETE, ["api", "v1", "namespaces", ns, "services", name]) => {
            crate::services::delete(shared, user, ns, name)
        }
        (Method::GET, ["api", "v1", "events"]) => {
            let verb = if q.flag("watch") { "watch" } else { "list" };
            let a = attrs(verb, "events", None, "", None, None);
            guard(user, &a).unwrap_or_else(|| crate::logapi::events(shared, None, None, &q, table))
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "events"]) => {
            let verb = if q.flag("watch") { "watch" } else { "list" };
            let a = attrs(verb, "events", None, "", Some(ns), None);
            guard(user, &a)
                .unwrap_or_else(|| crate::logapi::events(shared, Some(ns), None, &q, table))
        }
        (Method::GET, ["api", "v1", "namespaces", ns, "events", name]) => {
            let a = attrs("get", "events", None, "", Some(ns), Some(name));
            guard(user, &a)
                .unwrap_or_else(|| crate::logapi::events(shared, Some(ns), Some(name), &q, table))
        }
        (
            Method::GET | Method::POST,
            ["api", "v1", "namespaces", ns, "pods", name, sub @ ("exec" | "attach")],
        ) => {
            let subresource: &'static str = if *sub == "exec" { "exec" } else { "attach" };
            let a = attrs(
                "create",
                "pods",
                Some(subresource),
                "",
                Some(ns),
                Some(name),
            );
            if let Some(r) = guard(user, &a) {
                return r;
            }
            let params = ExecParams {
                namespace: ns.to_string(),
                pod: name.to_string(),
                container: q.get("container").map(str::to_owned),
                command: q.all("command"),
                stdin: q.flag("stdin"),
                stdout: q.flag("stdout"),
                stderr: q.flag("stderr"),
                tty: q.flag("tty"),
                attach: subresource == "attach",
            };
            exec::upgrade(req, shared.clone(), params)
        }
        (Method::POST, ["apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"]) => {
            crate::review::self_review(req, user).await
        }
        (
            Method::GET | Method::POST,
            ["api", "v1", "namespaces", ns, "pods", name, "portforward"],
        ) => {
            let a = attrs(
                "create",
                "pods",
                Some("portforward"),
                "",
                Some(ns),
                Some(name),
            );
            if let Some(r) = guard(user, &a) {
                return r;
            }
            crate::portforward::upgrade(req, shared.clone(), ns, name)
        }
        (
            Method::GET | Method::PATCH | Method::PUT,
            ["api", "v1", "namespaces", ns, "pods", name, "ephemeralcontainers"],
        ) if shared.ephemeral_containers => {
            let verb = match method {
                Method::GET => "get",
                Method::PATCH => "patch",
                _ => "update",
            };
            let a = attrs(
                verb,
                "pods",
                Some("ephemeralcontainers"),
                "",
                Some(ns),
                Some(name),
            );
            if let Some(r) = guard(user, &a) {
                return r;
            }
            crate::ephemeral::handle(req, shared, ns, name).await
        }
        // The feature off: the subresource does not exist, whatever the method.
        (_, ["api", "v1", "namespaces", _, "pods", _, "ephemeralcontainers"]) => no_route(),
        (Method::GET, ["apis", group @ ("apps" | "batch"), "v1", resource]) => {
            workloads(shared, user, (group, resource), None, None, table, &q)
        }
        (Method::GET, ["apis", group @ ("apps" | "batch"), "v1", "namespaces", ns, resource]) => {
            workloads(shared, user, (group, resource), Some(ns), None, table, &q)
        }
        (
            Method::GET,
            ["apis", group @ ("apps" | "batch"), "v1", "namespaces", ns, resource, name],
        ) => workloads(
            shared,
            user,
            (group, resource),
            Some(ns),
            Some(name),
            table,
            &q,
        ),
        (m, _) if m != Method::GET && is_known_path(&s) => status_response(
            405,
            "MethodNotAllowed",
            &format!("the server does not allow this method on the requested resource ({m})"),
            None,
        ),
        _ => no_route(),
    }
}

fn is_known_path(s: &[&str]) -> bool {
    matches!(s, ["api", "v1", ..] | ["apis", "apps" | "batch", "v1", ..])
}

pub(crate) fn attrs(
    verb: &'static str,
    resource: &str,
    sub: Option<&'static str>,
    group: &'static str,
    ns: Option<&str>,
    name: Option<&str>,
) -> Attrs {
    Attrs {
        verb,
        resource: resource.to_string(),
        subresource: sub,
        group,
        namespace: ns.map(str::to_owned),
        name: name.map(str::to_owned),
    }
}

/// `Some(403 response)` when the user may not.
pub(crate) fn guard(user: &User, a: &Attrs) -> Option<Response<Body>> {
    if auth::authorize(user, a) {
        return None;
    }
    Some(forbidden(user, a))
}

/// The API server's 403 for `a`.
fn forbidden(user: &User, a: &Attrs) -> Response<Body> {
    let mut details = json!({ "kind": a.resource });
    if let Some(n) = &a.name {
        details["name"] = json!(n);
    }
    if !a.group.is_empty() {
        details["group"] = json!(a.group);
    }
    status_response(
        403,
        "Forbidden",
        &auth::forbidden_message(user, a),
        Some(details),
    )
}

fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0-testcluster",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn api_versions(shared: &Shared) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": shared.address() }],
    })
}

fn resource(name: &str, kind: &str, namespaced: bool, verbs: &[&str], short: &[&str]) -> Value {
    let mut v = json!({
        "name": name,
        "singularName": if name.contains('/') { "".to_string() } else { kind.to_lowercase() },
        "namespaced": namespaced,
        "kind": kind,
        "verbs": verbs,
    });
    if !short.is_empty() {
        v["shortNames"] = json!(short);
    }
    if !name.contains('/') {
        v["categories"] = json!(["all"]);
    }
    v
}

/// A resource outside the `all` category (`kubectl get all` does not list it).
fn uncategorized(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("categories");
    }
    v
}

fn core_resources(ephemeral: bool) -> Value {
    let mut resources = vec![
        uncategorized(resource(
            "events",
            "Event",
            true,
            &["get", "list", "watch"],
            &["ev"],
        )),
        resource("namespaces", "Namespace", false, &["get", "list"], &["ns"]),
        uncategorized(resource("nodes", "Node", false, &["get", "list"], &["no"])),
        resource(
            "pods",
            "Pod",
            true,
            &["create", "delete", "get", "list", "watch"],
            &["po"],
        ),
        resource(
            "pods/attach",
            "PodAttachOptions",
            true,
            &["create", "get"],
            &[],
        ),
    ];
    if ephemeral {
        resources.push(resource(
            "pods/ephemeralcontainers",
            "Pod",
            true,
            &["get", "patch", "update"],
            &[],
        ));
    }
    resources.push(resource(
        "pods/exec",
        "PodExecOptions",
        true,
        &["create", "get"],
        &[],
    ));
    resources.push(resource("pods/log", "Pod", true, &["get"], &[]));
    resources.push(resource(
        "services",
        "Service",
        true,
        &["create", "delete", "get", "list"],
        &["svc"],
    ));
    json!({
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": resources,
    })
}

fn api_groups() -> Value {
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [api_group("apps"), api_group("batch")],
    })
}

/// A served API group (`apps`, `batch`), v1 only.
fn api_group(name: &str) -> Value {
    json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": name,
        "versions": [{ "groupVersion": format!("{name}/v1"), "version": "v1" }],
        "preferredVersion": { "groupVersion": format!("{name}/v1"), "version": "v1" },
    })
}

fn batch_resources() -> Value {
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "batch/v1",
        "resources": [resource("jobs", "Job", true, &["get", "list"], &[])],
    })
}

fn apps_resources() -> Value {
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "apps/v1",
        "resources": [
            resource("daemonsets", "DaemonSet", true, &["get", "list"], &["ds"]),
            resource("deployments", "Deployment", true, &["get", "list"], &["deploy"]),
            resource("replicasets", "ReplicaSet", true, &["get", "list"], &["rs"]),
            resource("statefulsets", "StatefulSet", true, &["get", "list"], &["sts"]),
        ],
    })
}

pub(crate) fn col(name: &str, ty: &str, priority: u8) -> Value {
    json!({
        "name": name,
        "type": ty,
        "format": if name == "Name" { "name" } else { "" },
        "description": "",
        "priority": priority,
    })
}

pub(crate) fn partial(object: &Value, include: Option<&str>) -> Value {
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

/// The 405 for a watch of anything but pods.
pub(crate) fn watch_refused() -> Response<Body> {
    status_response(
        405,
        "MethodNotAllowed",
        "testcluster serves watches for pods only",
        None,
    )
}

/// Keeps the (name, object, created) items whose labels the query's `labelSelector` matches;
/// `Some(400 response)`, as the API server's, when the selector does not parse.
pub(crate) fn by_labels(
    items: &mut Vec<(String, Value, jiff::Timestamp)>,
    q: &Query,
) -> Option<Response<Body>> {
    let sel = q.get("labelSelector")?;
    match Selector::parse(sel) {
        Ok(s) => {
            items.retain(|(_, v, _)| {
                let labels: std::collections::BTreeMap<String, String> =
                    serde_json::from_value(v["metadata"]["labels"].clone()).unwrap_or_default();
                s.matches(&labels)
            });
            None
        }
        Err(e) => Some(bad_request(&e.to_string())),
    }
}

/// A Table at resource version `rv`.
pub(crate) fn table(rv: u64, columns: Vec<Value>, rows: Vec<Value>) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": { "resourceVersion": rv.to_string() },
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn pod_columns() -> Vec<Value> {
    vec![
        col("Name", "string", 0),
        col("Ready", "string", 0),
        col("Status", "string", 0),
        col("Restarts", "string", 0),
        col("Age", "string", 0),
        col("IP", "string", 1),
        col("Node", "string", 1),
        col("Nominated Node", "string", 1),
        col("Readiness Gates", "string", 1),
    ]
}

fn pod_row(shared: &Shared, p: &Pod, include: Option<&str>) -> Value {
    let total = p.spec.containers.len();
    let running = p.spec.phase == crate::config::Phase::Running;
    let object = shared.store.pod_json(p);
    let statuses = object["status"]["containerStatuses"].as_array();
    let ready = if p.posted.is_some() {
        // A created pod's containers each say (started, backing off after a crash...).
        statuses
            .into_iter()
            .flatten()
            .filter(|c| c["ready"] == true)
            .count()
    } else if running && p.spec.ready && p.deleting.is_none() {
        total
    } else {
        0
    };
    // kubectl's STATUS: a waiting container's reason (CrashLoopBackOff, ErrImagePull...).
    let waiting = statuses
        .into_iter()
        .flatten()
        .filter(|_| p.posted.is_some())
        .find_map(|c| c["state"]["waiting"]["reason"].as_str());
    let status = if p.deleting.is_some() {
        "Terminating".to_string()
    } else if p.spec.phase == crate::config::Phase::Succeeded {
        "Completed".to_string()
    } else if p.spec.phase == crate::config::Phase::Failed {
        "Error".to_string()
    } else if let Some(reason) = waiting {
        reason.to_string()
    } else {
        p.spec.phase.as_str().to_string()
    };
    let restarts: u32 = p.restarts.iter().sum();
    json!({
        "cells": [
            p.spec.name, format!("{ready}/{total}"), status, restarts.to_string(),
            store::human_age(p.created), p.ip, "testnode", "<none>", "<none>",
        ],
        "object": partial(&object, include),
    })
}

fn pod_table(
    shared: &Shared,
    pods: &[Pod],
    rv: u64,
    headers: bool,
    include: Option<&str>,
) -> Value {
    let rows = pods.iter().map(|p| pod_row(shared, p, include)).collect();
    table(rv, if headers { pod_columns() } else { vec![] }, rows)
}

fn namespace_table(
    shared: &Shared,
    items: &[(String, Value, jiff::Timestamp)],
    include: Option<&str>,
) -> Value {
    let rows = items
        .iter()
        .map(|(name, v, _)| {
            let created = v["metadata"]["creationTimestamp"]
                .as_str()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                .unwrap_or_else(jiff::Timestamp::now);
            json!({ "cells": [name, "Active", store::human_age(created)], "object": partial(v, include) })
        })
        .collect();
    table(
        shared.store.resource_version(),
        vec![
            col("Name", "string", 0),
            col("Status", "string", 0),
            col("Age", "string", 0),
        ],
        rows,
    )
}

/// The node (`name`), or the list of nodes, as JSON or a Table. The node came up with the
/// cluster: its creation is the oldest namespace's.
fn nodes_answer(shared: &Shared, name: Option<&str>, as_table: bool, q: &Query) -> Response<Body> {
    if name.is_some_and(|n| n != nodes::NODE) {
        return not_found("nodes", "", name.unwrap_or_default());
    }
    let created = shared
        .store
        .namespaces_json()
        .into_iter()
        .map(|(_, _, t)| t)
        .min()
        .unwrap_or_else(jiff::Timestamp::now);
    let rv = shared.store.resource_version();
    let node = nodes::node_json(created, rv);
    if q.flag("watch") {
        return bad_request("watching nodes is not served by testcluster");
    }
    if as_table {
        let (columns, mut row) = nodes::node_row(&node, store::human_age(created));
        row["object"] = partial(&node, q.get("includeObject"));
        return json_response(StatusCode::OK, &table(rv, columns, vec![row]));
    }
    if name.is_some() {
        return json_response(StatusCode::OK, &node);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "kind": "NodeList",
            "apiVersion": "v1",
            "metadata": { "resourceVersion": rv.to_string() },
            "items": [node],
        }),
    )
}

fn namespaces_list(shared: &Shared, as_table: bool) -> Response<Body> {
    let items = shared.store.namespaces_json();
    if as_table {
        return json_response(StatusCode::OK, &namespace_table(shared, &items, None));
    }
    json_response(
        StatusCode::OK,
        &json!({
            "kind": "NamespaceList",
            "apiVersion": "v1",
            "metadata": { "resourceVersion": shared.store.resource_version().to_string() },
            "items": items.into_iter().map(|(_, v, _)| v).collect::<Vec<_>>(),
        }),
    )
}

async fn pods_collection(
    shared: &Arc<Shared>,
    user: &User,
    ns: Option<&str>,
    q: &Query,
    as_table: bool,
) -> Response<Body> {
    let watch = q.flag("watch");
    let a = attrs(
        if watch { "watch" } else { "list" },
        "pods",
        None,
        "",
        ns,
        None,
    );
    if let Some(r) = guard(user, &a) {
        return r;
    }
    let labels = match Selector::parse(q.get("labelSelector").unwrap_or("")) {
        Ok(s) => s,
        Err(e) => return bad_request(&e.to_string()),
    };
    let fields = match Selector::parse(q.get("fieldSelector").unwrap_or("")) {
        Ok(s) => s,
        Err(e) => return bad_request(&e.to_string()),
    };
    const FIELDS: [&str; 6] = [
        "metadata.name",
        "metadata.namespace",
        "status.phase",
        "spec.nodeName",
        "spec.restartPolicy",
        "status.podIP",
    ];
    if let Some(bad) = fields.keys().find(|k| !FIELDS.contains(k)) {
        return bad_request(&format!("field label not supported: {bad}"));
    }
    if watch {
        return pods_watch(shared, ns, labels, fields, q, as_table);
    }
    if q.get("continue").is_some_and(|t| !t.is_empty()) {
        shared.faults.page_gate().await;
    }
    let (all, rv) = shared.store.pods_at();
    let mut pods: Vec<Pod> = all
        .into_iter()
        .filter(|p| ns.is_none_or(|n| n == p.spec.namespace))
        .filter(|p| store::pod_selected(p, &labels, &fields))
        .collect();
    let asked = paging::Asked {
        list: format!("pods/{}", ns.unwrap_or("*")),
        limit: q.get("limit"),
        token: q.get("continue"),
    };
    let page = match paging::page(
        &mut pods,
        |p| format!("{}/{}", p.spec.namespace, p.spec.name),
        &asked,
        rv,
        |at| shared.store.changes_kept_since(at),
    ) {
        Ok(page) => page,
        Err(e) => return e.response(),
    };
    let mut body = if as_table {
        pod_table(shared, &pods, page.rv, true, q.get("includeObject"))
    } else {
        shared.store.pod_list_json(&pods, page.rv)
    };
    if let Some(token) = page.next {
        body["metadata"]["continue"] = json!(token);
    }
    json_response(StatusCode::OK, &body)
}

fn pods_watch(
    shared: &Arc<Shared>,
    ns: Option<&str>,
    labels: Selector,
    fields: Selector,
    q: &Query,
    as_table: bool,
) -> Response<Body> {
    // A watch list (`sendInitialEvents=true`, client-go's WatchListClient, on by default in
    // kubectl 1.37): the current pods as ADDED, then a BOOKMARK marking the end of them.
    let initial_events = q.flag("sendInitialEvents");
    let bookmark = initial_events && q.flag("allowWatchBookmarks");
    let rv: Option<u64> = q
        .get("resourceVersion")
        .filter(|s| !s.is_empty() && *s != "0" && !initial_events)
        .and_then(|s| s.parse().ok());
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(std::time::Duration::from_secs);
    let include = q.get("includeObject").map(str::to_owned);
    let ns = ns.map(str::to_owned);
    let matches = move |e: &PodEvent| {
        ns.as_deref().is_none_or(|n| n == e.namespace)
            && labels.matches(&e.labels)
            && fields.matches(&e.fields)
    };
    // Without a resourceVersion, a watch starts with ADDED for every current pod.
    let mut start_rv = rv.unwrap_or(0);
    let (initial, mut rx) = match rv {
        Some(rv) => match shared.store.watch_from(rv) {
            Ok((missed, rx)) => (missed, rx),
            Err(_) => {
                return status_response(
                    410,
                    "Expired",
                    &format!("too old resource version: {rv}"),
                    None,
                )
            }
        },
        None => {
            let now = shared.store.resource_version();
            start_rv = now;
            let (_, rx) = match shared.store.watch_from(now) {
                Ok(x) => x,
                Err(_) => return status_response(500, "InternalError", "watch failed", None),
            };
            let adds = shared
                .store
                .pods()
                .into_iter()
                .map(|p| PodEvent {
                    kind: store::EventType::Added,
                    rv: p.rv,
                    namespace: p.spec.namespace.clone(),
                    labels: p.spec.labels.clone(),
                    fields: store::pod_fields(&p),
                    object: shared.store.pod_json(&p),
                })
                .collect();
            (adds, rx)
        }
    };
    let (tx, body_rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let shared2 = shared.clone();
    let mut last_rv = rv.unwrap_or(0);
    shared.tasks.spawn(async move {
        let mut first = true;
        let render = |e: &PodEvent, first: bool| -> Bytes {
            let object = if as_table {
                let obj = partial(&e.object, include.as_deref());
                let cells = table_cells_from_json(&e.object);
                json!({
                    "kind": "Table",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": { "resourceVersion": e.rv.to_string() },
                    "columnDefinitions": if first { pod_columns() } else { vec![] },
                    "rows": [{ "cells": cells, "object": obj }],
                })
            } else {
                e.object.clone()
            };
            let mut line = json!({ "type": e.kind.as_str(), "object": object }).to_string();
            line.push('\n');
            Bytes::from(line)
        };
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        for e in initial.iter().filter(|e| matches(e)) {
            last_rv = last_rv.max(e.rv);
            if tx.send(render(e, first)).await.is_err() {
                return;
            }
            first = false;
        }
        if bookmark {
            let line = json!({
                "type": "BOOKMARK",
                "object": {
                    "kind": "Pod",
                    "apiVersion": "v1",
                    "metadata": {
                        "resourceVersion": start_rv.to_string(),
                        "annotations": { "k8s.io/initial-events-end": "true" },
                    },
                },
            })
            .to_string()
                + "\n";
            if tx.send(Bytes::from(line)).await.is_err() {
                return;
            }
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
                Some(Ok(e)) => {
                    if e.rv <= last_rv || !matches(&e) {
                        continue;
                    }
                    last_rv = e.rv;
                    shared2.faults.delay().await;
                    shared2.faults.watch_gate().await;
                    if tx.send(render(&e, first)).await.is_err() {
                        return;
                    }
                    first = false;
                }
                Some(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    let err = status(410, "Expired", "watch fell behind; start a new watch", None);
                    let line = json!({ "type": "ERROR", "object": err }).to_string() + "\n";
                    let _ = tx.send(Bytes::from(line)).await;
                    return;
                }
                Some(Err(_)) => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(body_rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let mut r = Response::new(StreamBody::new(stream).boxed());
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    r
}

/// Table cells for a pod event, from the pod's JSON (the event is a snapshot).
fn table_cells_from_json(pod: &Value) -> Value {
    let statuses = pod["status"]["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ready = statuses
        .iter()
        .filter(|s| s["ready"] == json!(true))
        .count();
    let restarts: u64 = statuses
        .iter()
        .filter_map(|s| s["restartCount"].as_u64())
        .sum();
    let phase = pod["status"]["phase"].as_str().unwrap_or("Unknown");
    let status = if pod["metadata"]["deletionTimestamp"].is_string() {
        "Terminating"
    } else {
        match phase {
            "Succeeded" => "Completed",
            "Failed" => "Error",
            p => p,
        }
    };
    let created = pod["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(jiff::Timestamp::now);
    json!([
        pod["metadata"]["name"],
        format!("{ready}/{}", statuses.len()),
        status,
        restarts.to_string(),
        store::human_age(created),
        pod["status"]["podIP"],
        "testnode",
        "<none>",
        "<none>",
    ])
}

fn workloads(
    shared: &Shared,
    user: &User,
    (group, resource): (&str, &str),
    ns: Option<&str>,
    name: Option<&str>,
    as_table: bool,
    q: &Query,
) -> Response<Body> {
    let Some(kind) = WorkloadKind::from_resource(group, resource) else {
        return no_route();
    };
    let verb = match (name, q.flag("watch")) {
        (Some(_), _) => "get",
        (None, true) => "watch",
        (None, false) => "list",
    };
    let a = attrs(verb, resource, None, kind.group(), ns, name);
    if let Some(r) = guard(user, &a) {
        return r;
    }
    if verb == "watch" {
        return watch_refused();
    }
    let mut items = shared.store.workloads_json(kind, ns);
    if let Some(n) = name {
        items.retain(|(iname, _, _)| iname == n);
        if items.is_empty() {
            return not_found(resource, kind.group(), n);
        }
    } else if let Some(r) = by_labels(&mut items, q) {
        return r;
    }
    if as_table {
        let (cols, cells): (Vec<Value>, CellFn) = match kind {
            WorkloadKind::Deployment => (
                vec![
                    col("Name", "string", 0),
                    col("Ready", "string", 0),
                    col("Up-to-date", "integer", 0),
                    col("Available", "integer", 0),
                    col("Age", "string", 0),
                ],
                Box::new(|v: &Value| {
                    let s = &v["status"];
                    vec![
                        json!(format!("{}/{}", s["readyReplicas"], v["spec"]["replicas"])),
                        s["updatedReplicas"].clone(),
                        s["availableReplicas"].clone(),
                    ]
                }),
            ),
            WorkloadKind::ReplicaSet => (
                vec![
                    col("Name", "string", 0),
                    col("Desired", "integer", 0),
                    col("Current", "integer", 0),
                    col("Ready", "integer", 0),
                    col("Age", "string", 0),
                ],
                Box::new(|v: &Value| {
                    vec![
                        v["spec"]["replicas"].clone(),
                        v["status"]["replicas"].clone(),
                        v["status"]["readyReplicas"].clone(),
                    ]
                }),
            ),
            WorkloadKind::StatefulSet => (
                vec![
                    col("Name", "string", 0),
                    col("Ready", "string", 0),
                    col("Age", "string", 0),
                ],
                Box::new(|v: &Value| {
                    vec![json!(format!(
                        "{}/{}",
                        v["status"]["readyReplicas"], v["spec"]["replicas"]
                    ))]
                }),
            ),
            WorkloadKind::Job => (
                vec![
                    col("Name", "string", 0),
                    col("Completions", "string", 0),
                    col("Age", "string", 0),
                ],
                Box::new(|v: &Value| {
                    let s = &v["status"];
                    let all = ["active", "succeeded", "failed"]
                        .iter()
                        .filter_map(|k| s[*k].as_u64())
                        .sum::<u64>();
                    vec![json!(format!("{}/{all}", s["succeeded"]))]
                }),
            ),
            WorkloadKind::DaemonSet => (
                vec![
                    col("Name", "string", 0),
                    col("Desired", "integer", 0),
                    col("Current", "integer", 0),
                    col("Ready", "integer", 0),
                    col("Age", "string", 0),
                ],
                Box::new(|v: &Value| {
                    vec![
                        v["status"]["desiredNumberScheduled"].clone(),
                        v["status"]["currentNumberScheduled"].clone(),
                        v["status"]["numberReady"].clone(),
                    ]
                }),
            ),
        };
        let rows = items
            .iter()
            .map(|(n, v, created)| {
                let mut c = vec![json!(n)];
                c.extend(cells(v));
                c.push(json!(store::human_age(*created)));
                json!({ "cells": c, "object": partial(v, q.get("includeObject")) })
            })
            .collect();
        return json_response(
            StatusCode::OK,
            &table(shared.store.resource_version(), cols, rows),
        );
    }
    if name.is_some() {
        return json_response(StatusCode::OK, &items[0].1);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "kind": format!("{}List", kind.as_str()),
            "apiVersion": kind.api_version(),
            "metadata": { "resourceVersion": shared.store.resource_version().to_string() },
            "items": items.into_iter().map(|(_, v, _)| v).collect::<Vec<_>>(),
        }),
    )
}
