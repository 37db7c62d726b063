//! `pods/{name}/ephemeralcontainers`: GET, PATCH (strategic merge, JSON merge, JSON patch) and
//! PUT, validated with the API server's words, and the image-to-toolset mapping that decides what
//! an ephemeral container runs (see the README, "Debug containers").
//!
//! As on a real cluster, the API server accepts an ephemeral container for a pod in any phase;
//! the kubelet starts it only in a running pod. Only `spec.ephemeralContainers` of a request is
//! taken: the rest of the pod is left as it was.

use crate::api::{status_response, Body};
use crate::store::{Ephemeral, EphemeralState, Pod};
use crate::Shared;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The API server's request body limit (3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;

/// What an image gives a container on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolset {
    /// A busybox-like image: a shell and the host's tools.
    Shell,
    /// A distroless image: a few tools and no shell.
    NoShell,
    /// An image no registry has: the pull fails (`ErrImagePull`, then `ImagePullBackOff`).
    Unpullable,
}

/// Maps an image reference to a toolset. Images from `testcluster.local/` are the cluster's own:
/// `busybox*` has a shell, `distroless*` has none, any other name cannot be pulled. Elsewhere,
/// a registry host under `.invalid` cannot be pulled, a name with `distroless` has no shell,
/// and anything else (busybox, alpine, nicolaka/netshoot…) has a shell.
pub fn toolset(image: &str) -> Toolset {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (host, path) = match without_digest.split_once('/') {
        Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => (h, p),
        _ => ("docker.io", without_digest),
    };
    let repo = path.rsplit('/').next().unwrap_or(path);
    let name = repo.split(':').next().unwrap_or(repo);
    if host.ends_with(".invalid") {
        return Toolset::Unpullable;
    }
    if host == "testcluster.local" {
        return if name.starts_with("busybox") {
            Toolset::Shell
        } else if name.starts_with("distroless") {
            Toolset::NoShell
        } else {
            Toolset::Unpullable
        };
    }
    if path.contains("distroless") {
        Toolset::NoShell
    } else {
        Toolset::Shell
    }
}

/// The kubelet's waiting message for an image that cannot be pulled.
pub fn pull_error(image: &str) -> String {
    format!(
        "rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
    )
}

/// One `field.Error`, as the API server renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    /// `FieldValueDuplicate`, `FieldValueForbidden`…
    pub reason: &'static str,
    /// The part after `field: `, e.g. `Duplicate value: "debugger"`.
    pub detail: String,
}

impl FieldError {
    pub(crate) fn duplicate(field: String, value: &str) -> Self {
        FieldError {
            field,
            reason: "FieldValueDuplicate",
            detail: format!("Duplicate value: {value:?}"),
        }
    }
    pub(crate) fn required(field: String) -> Self {
        FieldError {
            field,
            reason: "FieldValueRequired",
            detail: "Required value".into(),
        }
    }
    fn not_found(field: String, value: &str) -> Self {
        FieldError {
            field,
            reason: "FieldValueNotFound",
            detail: format!("Not found: {value:?}"),
        }
    }
    pub(crate) fn invalid(field: String, value: &str, why: &str) -> Self {
        FieldError {
            field,
            reason: "FieldValueInvalid",
            detail: format!("Invalid value: {value:?}: {why}"),
        }
    }
    pub(crate) fn forbidden(field: String, why: String) -> Self {
        FieldError {
            field,
            reason: "FieldValueForbidden",
            detail: format!("Forbidden: {why}"),
        }
    }
}

/// The 422 `Invalid` status for a pod, message and causes as the API server writes them.
pub fn invalid_status(pod: &str, errors: &[FieldError]) -> Value {
    invalid_object("Pod", pod, errors)
}

/// The 422 `Invalid` status for an object of `kind` named `name`.
pub fn invalid_object(kind: &str, name: &str, errors: &[FieldError]) -> Value {
    let each: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.detail))
        .collect();
    let joined = if each.len() == 1 {
        each[0].clone()
    } else {
        format!("[{}]", each.join(", "))
    };
    let causes: Vec<Value> = errors
        .iter()
        .map(|e| json!({ "reason": e.reason, "message": e.detail, "field": e.field }))
        .collect();
    crate::api::status(
        422,
        "Invalid",
        &format!("{kind} {name:?} is invalid: {joined}"),
        Some(json!({ "name": name, "kind": kind, "causes": causes })),
    )
}

pub(crate) fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

pub(crate) const DNS_LABEL_WHY: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Fills in what the API server defaults in an ephemeral container.
pub fn with_defaults(mut ec: Value) -> Value {
    let Some(m) = ec.as_object_mut() else {
        return ec;
    };
    if !m.contains_key("imagePullPolicy") {
        let image = m.get("image").and_then(Value::as_str).unwrap_or("");
        let last = image.rsplit('/').next().unwrap_or(image);
        let tagged = last.contains(':') && !last.ends_with(":latest");
        let policy = if tagged || image.contains('@') {
            "IfNotPresent"
        } else {
            "Always"
        };
        m.insert("imagePullPolicy".into(), json!(policy));
    }
    m.entry("terminationMessagePath")
        .or_insert_with(|| json!("/dev/termination-log"));
    m.entry("terminationMessagePolicy")
        .or_insert_with(|| json!("File"));
    m.entry("resources").or_insert_with(|| json!({}));
    ec
}

/// Checks a new `spec.ephemeralContainers` against the pod and the ones it already has.
pub fn validate(pod: &Pod, new: &[Value]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let path = "spec.ephemeralContainers";
    let regular: Vec<&str> = pod
        .spec
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut seen: Vec<&str> = regular.clone();
    for (i, ec) in new.iter().enumerate() {
        let name = ec["name"].as_str().unwrap_or("");
        let at = |f: &str| format!("{path}[{i}].{f}");
        if name.is_empty() {
            errors.push(FieldError::required(at("name")));
        } else if !is_dns_label(name) {
            errors.push(FieldError::invalid(at("name"), name, DNS_LABEL_WHY));
        } else if seen.contains(&name) {
            errors.push(FieldError::duplicate(at("name"), name));
        } else {
            seen.push(name);
        }
        if ec["image"].as_str().unwrap_or("").is_empty() {
            errors.push(FieldError::required(at("image")));
        }
        if let Some(t) = ec["targetContainerName"].as_str() {
            if !t.is_empty() && !regular.contains(&t) {
                errors.push(FieldError::not_found(at("targetContainerName"), t));
            }
        }
    }
    for old in &pod.ephemeral {
        match new.iter().find(|n| n["name"].as_str() == Some(&old.name)) {
            None => errors.push(FieldError::forbidden(
                path.into(),
                format!(
                    "existing ephemeral containers {:?} may not be removed\n",
                    old.name
                ),
            )),
            Some(n) if *n != old.spec => errors.push(FieldError::forbidden(
                path.into(),
                format!(
                    "existing ephemeral containers {:?} may not be changed\n{}",
                    old.name,
                    diff(&old.spec, n)
                ),
            )),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A short field-by-field difference of two containers (`-` old, `+` new).
fn diff(old: &Value, new: &Value) -> String {
    let empty = Map::new();
    let a = old.as_object().unwrap_or(&empty);
    let b = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = String::new();
    for k in keys {
        match (a.get(k), b.get(k)) {
            (x, y) if x == y => {}
            (x, y) => {
                if let Some(x) = x {
                    out.push_str(&format!("- {k}: {x}\n"));
                }
                if let Some(y) = y {
                    out.push_str(&format!("+ {k}: {y}\n"));
                }
            }
        }
    }
    out
}

/// Lists in the pod's strategic-merge schema that merge by a key instead of being replaced.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "ports" => Some("containerPort"),
        _ => None,
    }
}

/// Applies a strategic merge patch (the subset a Pod needs: keyed list merges, `null`
/// deletions, `$patch: replace|delete`, `$setElementOrder/…`, `$retainKeys`,
/// `$deleteFromPrimitiveList/…`).
pub fn strategic_merge(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let Some(p) = patch.as_object() else {
        *doc = patch.clone();
        return Ok(());
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut v = p.clone();
        v.remove("$patch");
        *doc = Value::Object(v);
        return Ok(());
    }
    if !doc.is_object() {
        *doc = json!({});
    }
    let mut orders: Vec<(String, Vec<Value>)> = Vec::new();
    for (k, v) in p {
        let Some(d) = doc.as_object_mut() else {
            return Err("the document is not an object".into());
        };
        if k == "$patch" {
            continue;
        }
        if let Some(list) = k.strip_prefix("$setElementOrder/") {
            orders.push((list.to_string(), v.as_array().cloned().unwrap_or_default()));
            continue;
        }
        if k == "$retainKeys" {
            let keep: Vec<&str> = v
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            d.retain(|key, _| keep.contains(&key.as_str()));
            continue;
        }
        if let Some(list) = k.strip_prefix("$deleteFromPrimitiveList/") {
            let gone = v.as_array().cloned().unwrap_or_default();
            if let Some(Value::Array(items)) = d.get_mut(list) {
                items.retain(|x| !gone.contains(x));
            }
            continue;
        }
        if v.is_null() {
            d.remove(k);
            continue;
        }
        match (v, merge_key(k)) {
            (Value::Array(items), Some(key)) => {
                let target = d.entry(k.clone()).or_insert_with(|| json!([]));
                if !target.is_array() {
                    *target = json!([]);
                }
                merge_list(target, items, key)?;
            }
            (Value::Object(_), _) => {
                let target = d.entry(k.clone()).or_insert(Value::Null);
                strategic_merge(target, v)?;
            }
            _ => {
                d.insert(k.clone(), v.clone());
            }
        }
    }
    for (list, order) in orders {
        let Some(key) = merge_key(&list) else {
            continue;
        };
        if let Some(Value::Array(items)) = doc.get_mut(&list) {
            let rank = |item: &Value| {
                order
                    .iter()
                    .position(|o| o.get(key) == item.get(key))
                    .unwrap_or(usize::MAX)
            };
            items.sort_by_key(rank);
        }
    }
    Ok(())
}

fn merge_list(target: &mut Value, items: &[Value], key: &str) -> Result<(), String> {
    let Some(list) = target.as_array_mut() else {
        return Err("not a list".into());
    };
    for item in items {
        let Some(k) = item.get(key) else {
            return Err(format!(
                "map: {item} does not contain declared merge key: {key}"
            ));
        };
        let pos = list.iter().position(|x| x.get(key) == Some(k));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                list.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => strategic_merge(&mut list[i], item)?,
            None => {
                let mut fresh = Value::Null;
                strategic_merge(&mut fresh, item)?;
                list.push(fresh);
            }
        }
    }
    Ok(())
}

pub(crate) fn json_response(code: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(http_body_util::BodyExt::boxed(http_body_util::Full::new(
        Bytes::from(v.to_string()),
    )));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// GET, PATCH or PUT on `pods/{name}/ephemeralcontainers` (authorization already checked).
pub async fn handle(
    req: Request<Incoming>,
    shared: &Arc<Shared>,
    ns: &str,
    name: &str,
) -> Response<Body> {
    let method = req.method().clone();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
        .unwrap_or_default();
    let Some(pod) = shared.store.pod(ns, name) else {
        return status_response(
            404,
            "NotFound",
            &format!("pods {name:?} not found"),
            Some(json!({ "name": name, "kind": "pods" })),
        );
    };
    if method == Method::GET {
        return json_response(StatusCode::OK, &shared.store.pod_json(&pod));
    }
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    tracing::debug!(
        "{method} pods/{name}/ephemeralcontainers ({content_type}): {}",
        String::from_utf8_lossy(&body)
    );
    let current = shared.store.pod_json(&pod);
    let updated: Value = if method == Method::PUT {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => {
                if v["metadata"]["name"].as_str().is_some_and(|n| n != name) {
                    return status_response(
                        400,
                        "BadRequest",
                        "the name of the object does not match the name on the URL",
                        None,
                    );
                }
                if let Some(rv) = v["metadata"]["resourceVersion"].as_str() {
                    if !rv.is_empty() && rv != pod.rv.to_string() {
                        return status_response(
                            409,
                            "Conflict",
                            &format!("Operation cannot be fulfilled on pods {name:?}: the object has been modified; please apply your changes to the latest version and try again"),
                            Some(json!({ "name": name, "kind": "pods" })),
                        );
                    }
                }
                v
            }
            Err(e) => return decode_error(&e.to_string()),
        }
    } else {
        let mut doc = current.clone();
        let applied = match content_type.as_str() {
            "application/strategic-merge-patch+json" => serde_json::from_slice::<Value>(&body)
                .map_err(|e| e.to_string())
                .and_then(|p| strategic_merge(&mut doc, &p)),
            "application/merge-patch+json" => serde_json::from_slice::<Value>(&body)
                .map_err(|e| e.to_string())
                .map(|p| json_patch::merge(&mut doc, &p)),
            "application/json-patch+json" => serde_json::from_slice::<json_patch::Patch>(&body)
                .map_err(|e| e.to_string())
                .and_then(|p| json_patch::patch(&mut doc, &p).map_err(|e| e.to_string())),
            _ => {
                return status_response(
                    415,
                    "UnsupportedMediaType",
                    &format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {content_type:?})"),
                    None,
                )
            }
        };
        if let Err(e) = applied {
            return status_response(
                422,
                "Invalid",
                &format!("the server rejected our request due to an error in our request: {e}"),
                None,
            );
        }
        doc
    };
    let new: Vec<Value> = match &updated["spec"]["ephemeralContainers"] {
        Value::Null => vec![],
        Value::Array(a) => a.iter().cloned().map(with_defaults).collect(),
        other => {
            return decode_error(&format!(
                "spec.ephemeralContainers: expected a list, got {other}"
            ))
        }
    };
    if let Err(errors) = validate(&pod, &new) {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &invalid_status(name, &errors),
        );
    }
    let added: Vec<String> = new
        .iter()
        .filter_map(|ec| ec["name"].as_str())
        .filter(|n| !pod.ephemeral.iter().any(|o| o.name == *n))
        .map(str::to_owned)
        .collect();
    if added.is_empty() {
        return json_response(StatusCode::OK, &current);
    }
    let Some(after) = shared.store.update_pod(ns, name, |p| {
        let mut list: Vec<Ephemeral> = Vec::new();
        for ec in &new {
            let n = ec["name"].as_str().unwrap_or_default();
            match p.ephemeral.iter().find(|o| o.name == n) {
                Some(o) => list.push(o.clone()),
                None => list.push(Ephemeral {
                    name: n.to_string(),
                    spec: ec.clone(),
                    state: EphemeralState::Waiting {
                        reason: "ContainerCreating".into(),
                        message: None,
                    },
                }),
            }
        }
        p.ephemeral = list;
    }) else {
        return status_response(
            404,
            "NotFound",
            &format!("pods {name:?} not found"),
            Some(json!({ "name": name, "kind": "pods" })),
        );
    };
    let response = shared.store.pod_json(&after);
    for n in added {
        crate::runtime::start_ephemeral(shared, &after, &n);
    }
    crate::podsecurity::warn(
        shared,
        ns,
        &response,
        json_response(StatusCode::OK, &response),
    )
}

pub(crate) fn decode_error(e: &str) -> Response<Body> {
    status_response(
        400,
        "BadRequest",
        &format!("the object provided is unrecognized: {e}"),
        None,
    )
}

pub(crate) async fn read_body(req: Request<Incoming>) -> Result<Bytes, Response<Body>> {
    let limited = http_body_util::Limited::new(req.into_body(), MAX_BODY);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(_) => Err(status_response(
            413,
            "RequestEntityTooLarge",
            &format!("Request entity too large: limit is {MAX_BODY}"),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_to_toolsets() {
        assert_eq!(toolset("busybox"), Toolset::Shell);
        assert_eq!(toolset("busybox:1.36"), Toolset::Shell);
        assert_eq!(toolset("nicolaka/netshoot"), Toolset::Shell);
        assert_eq!(
            toolset("gcr.io/distroless/static:nonroot"),
            Toolset::NoShell
        );
        assert_eq!(toolset("testcluster.local/busybox:1.36"), Toolset::Shell);
        assert_eq!(
            toolset("testcluster.local/distroless-static:nonroot"),
            Toolset::NoShell
        );
        assert_eq!(toolset("testcluster.local/nope:1"), Toolset::Unpullable);
        assert_eq!(toolset("registry.invalid/tools:1"), Toolset::Unpullable);
    }

    #[test]
    fn strategic_merge_adds_by_name_and_keeps_order() {
        let mut pod = json!({ "spec": { "ephemeralContainers": [{ "name": "a", "image": "x" }] } });
        let patch = json!({ "spec": {
            "$setElementOrder/ephemeralContainers": [{ "name": "a" }, { "name": "b" }],
            "ephemeralContainers": [{ "name": "b", "image": "busybox", "stdin": true }]
        } });
        strategic_merge(&mut pod, &patch).expect("merge");
        assert_eq!(
            pod["spec"]["ephemeralContainers"],
            json!([{ "name": "a", "image": "x" }, { "name": "b", "image": "busybox", "stdin": true }])
        );
        // Same name again: merged into the existing one (a change, which validation refuses).
        let change = json!({ "spec": { "ephemeralContainers": [{ "name": "a", "image": "y" }] } });
        strategic_merge(&mut pod, &change).expect("merge");
        assert_eq!(pod["spec"]["ephemeralContainers"][0]["image"], "y");
        assert_eq!(
            pod["spec"]["ephemeralContainers"].as_array().map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn invalid_status_reads_like_the_api_server() {
        let s = invalid_status(
            "distroless",
            &[FieldError::duplicate(
                "spec.ephemeralContainers[1].name".into(),
                "debugger",
            )],
        );
        assert_eq!(
            s["message"],
            r#"Pod "distroless" is invalid: spec.ephemeralContainers[1].name: Duplicate value: "debugger""#
        );
        assert_eq!(s["code"], 422);
        assert_eq!(s["details"]["causes"][0]["reason"], "FieldValueDuplicate");
    }
}
