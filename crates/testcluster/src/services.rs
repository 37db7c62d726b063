//! Services (`/api/v1/…/services`): made by a request, read back, listed (a Table for `kubectl
//! get svc`; in pages of `limit`, as `paging` cuts them), deleted.
//! Nothing routes to them (no proxy, no endpoints): what reads one is a
//! client finding pods by its selector and translating its ports, as `kubectl port-forward
//! svc/NAME` and `kubectl exec svc/NAME` do.

use crate::api::{
    attrs, by_labels, col, guard, not_found, partial, status_response, table, watch_refused, Body,
    Query,
};
use crate::auth::User;
use crate::ephemeral::{decode_error, invalid_object, json_response, read_body, FieldError};
use crate::paging;
use crate::store;
use crate::Shared;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

/// `GET services` in `ns` (every namespace when `None`), by `labelSelector` when given.
pub(crate) fn list(
    shared: &Shared,
    user: &User,
    ns: Option<&str>,
    as_table: bool,
    q: &Query,
) -> Response<Body> {
    let verb = if q.flag("watch") { "watch" } else { "list" };
    if let Some(r) = guard(user, &attrs(verb, "services", None, "", ns, None)) {
        return r;
    }
    if verb == "watch" {
        return watch_refused();
    }
    let mut items = shared.store.services(ns);
    if let Some(r) = by_labels(&mut items, q) {
        return r;
    }
    let key = |(name, v, _): &(String, Value, jiff::Timestamp)| {
        format!(
            "{}/{name}",
            v["metadata"]["namespace"].as_str().unwrap_or_default()
        )
    };
    let asked = paging::Asked {
        list: format!("services/{}", ns.unwrap_or("*")),
        limit: q.get("limit"),
        token: q.get("continue"),
    };
    let page = match paging::page(
        &mut items,
        key,
        &asked,
        shared.store.resource_version(),
        |_| true,
    ) {
        Ok(page) => page,
        Err(e) => return e.response(),
    };
    let (rv, next) = (page.rv, page.next);
    let mut body = if as_table {
        service_table(rv, &items, q)
    } else {
        json!({
            "kind": "ServiceList",
            "apiVersion": "v1",
            "metadata": { "resourceVersion": rv.to_string() },
            "items": items.into_iter().map(|(_, v, _)| v).collect::<Vec<_>>(),
        })
    };
    if let Some(token) = next {
        body["metadata"]["continue"] = json!(token);
    }
    json_response(StatusCode::OK, &body)
}

/// `GET services/NAME`.
pub(crate) fn get(
    shared: &Shared,
    user: &User,
    ns: &str,
    name: &str,
    as_table: bool,
    q: &Query,
) -> Response<Body> {
    if let Some(r) = guard(
        user,
        &attrs("get", "services", None, "", Some(ns), Some(name)),
    ) {
        return r;
    }
    match shared.store.service(ns, name) {
        None => not_found("services", "", name),
        Some((v, created)) if as_table => json_response(
            StatusCode::OK,
            &service_table(
                shared.store.resource_version(),
                &[(name.to_string(), v, created)],
                q,
            ),
        ),
        Some((v, _)) => json_response(StatusCode::OK, &v),
    }
}

/// `DELETE services/NAME`: the object as it was.
pub(crate) fn delete(shared: &Shared, user: &User, ns: &str, name: &str) -> Response<Body> {
    if let Some(r) = guard(
        user,
        &attrs("delete", "services", None, "", Some(ns), Some(name)),
    ) {
        return r;
    }
    match shared.store.delete_service(ns, name) {
        Some(v) => json_response(StatusCode::OK, &v),
        None => not_found("services", "", name),
    }
}

/// `POST services` (JSON): checked as the API server checks what a client may get wrong,
/// defaulted as it defaults, stored.
pub(crate) async fn create(
    req: Request<Incoming>,
    shared: &Shared,
    user: &User,
    ns: &str,
) -> Response<Body> {
    if let Some(r) = guard(user, &attrs("create", "services", None, "", Some(ns), None)) {
        return r;
    }
    let media = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_string();
    if !matches!(media.as_str(), "" | "application/json") {
        return status_response(
            415,
            "UnsupportedMediaType",
            &format!("the body of the request was in an unknown format - accepted media types include: application/json (got {media:?})"),
            None,
        );
    }
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut svc: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => return decode_error(&format!("expected an object, got {other}")),
        Err(e) => return decode_error(&e.to_string()),
    };
    let name = svc["metadata"]["name"].as_str().unwrap_or("").to_string();
    if let Err(errors) = defaulted(&mut svc) {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &invalid_object("Service", &name, &errors),
        );
    }
    match shared.store.create_service(ns, svc) {
        Some(v) => json_response(StatusCode::CREATED, &v),
        None => status_response(
            409,
            "AlreadyExists",
            &format!("services {name:?} already exists"),
            Some(json!({ "name": name, "kind": "services" })),
        ),
    }
}

/// A Service added by the test harness: checked and defaulted, then stored (`None` when invalid
/// or taken).
pub(crate) fn stored(store: &store::Store, mut svc: Value) -> Option<Value> {
    defaulted(&mut svc).ok()?;
    let ns = svc["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    store.create_service(&ns, svc)
}

const DNS_1035_WHY: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn is_dns_1035(s: &str) -> bool {
    crate::ephemeral::is_dns_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// Checks a Service's name and ports and fills in the API server's defaults (`type`, each
/// port's `protocol` and `targetPort`, `sessionAffinity`, an empty `status`).
fn defaulted(svc: &mut Value) -> Result<(), Vec<FieldError>> {
    let mut errors = vec![];
    match svc["metadata"]["name"].as_str().unwrap_or("") {
        "" => errors.push(FieldError::required("metadata.name".into())),
        n if !is_dns_1035(n) => {
            errors.push(FieldError::invalid("metadata.name".into(), n, DNS_1035_WHY))
        }
        _ => {}
    }
    let headless = svc["spec"]["clusterIP"].as_str() == Some("None");
    let ports = svc["spec"]["ports"].as_array().cloned().unwrap_or_default();
    if ports.is_empty() && !headless {
        errors.push(FieldError::required("spec.ports".into()));
    }
    let mut out = vec![];
    for (i, mut p) in ports.into_iter().enumerate() {
        let Some(port) = p.as_object_mut() else {
            errors.push(FieldError {
                field: format!("spec.ports[{i}]"),
                reason: "FieldValueInvalid",
                detail: "Invalid value: a port is an object".into(),
            });
            continue;
        };
        let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
        if i > 0
            && port
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
        {
            errors.push(FieldError::required(format!("spec.ports[{i}].name")));
        }
        if !(1..=65535).contains(&number) {
            errors.push(FieldError {
                field: format!("spec.ports[{i}].port"),
                reason: "FieldValueInvalid",
                detail: format!("Invalid value: {number}: must be between 1 and 65535, inclusive"),
            });
        }
        if port.get("protocol").and_then(Value::as_str).is_none() {
            port.insert("protocol".into(), json!("TCP"));
        }
        let target = port.get("targetPort").cloned().unwrap_or(Value::Null);
        if target.is_null() || target.as_i64() == Some(0) {
            port.insert("targetPort".into(), json!(number));
        }
        out.push(p);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    svc["apiVersion"] = json!("v1");
    svc["kind"] = json!("Service");
    svc["spec"]["ports"] = json!(out);
    if svc["spec"]["type"].as_str().is_none() {
        svc["spec"]["type"] = json!("ClusterIP");
    }
    if svc["spec"]["sessionAffinity"].as_str().is_none() {
        svc["spec"]["sessionAffinity"] = json!("None");
    }
    svc["status"] = json!({ "loadBalancer": {} });
    Ok(())
}

/// `kubectl get svc`'s columns (`-o wide` adds the selector).
fn service_table(rv: u64, items: &[(String, Value, jiff::Timestamp)], q: &Query) -> Value {
    let columns = vec![
        col("Name", "string", 0),
        col("Type", "string", 0),
        col("Cluster-IP", "string", 0),
        col("External-IP", "string", 0),
        col("Port(s)", "string", 0),
        col("Age", "string", 0),
        col("Selector", "string", 1),
    ];
    let rows = items
        .iter()
        .map(|(name, v, created)| {
            let ports: Vec<String> = v["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let protocol = p["protocol"].as_str().unwrap_or("TCP");
                    match p["nodePort"].as_i64() {
                        Some(node) => format!("{}:{node}/{protocol}", p["port"]),
                        None => format!("{}/{protocol}", p["port"]),
                    }
                })
                .collect();
            let selector: Vec<String> = v["spec"]["selector"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            let or_none = |s: String| {
                if s.is_empty() {
                    "<none>".to_string()
                } else {
                    s
                }
            };
            json!({
                "cells": [
                    name,
                    v["spec"]["type"],
                    v["spec"]["clusterIP"],
                    "<none>",
                    or_none(ports.join(",")),
                    store::human_age(*created),
                    or_none(selector.join(",")),
                ],
                "object": partial(v, q.get("includeObject")),
            })
        })
        .collect();
    table(rv, columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_is_checked_and_defaulted_as_the_api_server_does() {
        let mut ok = json!({
            "metadata": { "name": "web" },
            "spec": { "selector": { "app": "web" }, "ports": [
                { "name": "http", "port": 80, "targetPort": "http" },
                { "name": "metrics", "port": 9100 },
            ] },
        });
        defaulted(&mut ok).expect("valid");
        assert_eq!(ok["spec"]["type"], "ClusterIP");
        assert_eq!(ok["spec"]["ports"][0]["targetPort"], "http");
        assert_eq!(ok["spec"]["ports"][1]["targetPort"], 9100);
        assert_eq!(ok["spec"]["ports"][1]["protocol"], "TCP");
        let mut bad = json!({
            "metadata": { "name": "1web" },
            "spec": { "ports": [{ "port": 80 }, { "port": 70000 }] },
        });
        let errors = defaulted(&mut bad).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["metadata.name", "spec.ports[1].name", "spec.ports[1].port"]
        );
        // Not a port at all: said, not a panic.
        let mut odd = json!({ "metadata": { "name": "odd" }, "spec": { "ports": [80] } });
        let errors = defaulted(&mut odd).expect_err("invalid");
        assert_eq!(errors[0].field, "spec.ports[0]");
        // Headless: no ports needed.
        let mut headless = json!({ "metadata": { "name": "db" }, "spec": { "clusterIP": "None" } });
        defaulted(&mut headless).expect("headless");
    }
}
