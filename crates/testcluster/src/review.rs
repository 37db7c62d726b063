//! `selfsubjectaccessreviews` (authorization.k8s.io/v1): "may I?", as `kubectl auth can-i` and
//! clients that check before they act ask it, answered from the asking user's rules. Any
//! authenticated user may ask. JSON or kubectl's protobuf in; JSON out.

use crate::api::{status_response, Body};
use crate::auth::{allows, User};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

pub async fn self_review(req: Request<Incoming>, user: &User) -> Response<Body> {
    let protobuf = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/vnd.kubernetes.protobuf"));
    let body = match crate::ephemeral::read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let review: Result<Value, String> = if protobuf {
        crate::podproto::access_review_json(&body)
    } else {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    };
    let review = match review {
        Ok(v) => v,
        Err(e) => {
            return status_response(
                400,
                "BadRequest",
                &format!("the SelfSubjectAccessReview cannot be read: {e}"),
                None,
            )
        }
    };
    let ra = &review["spec"]["resourceAttributes"];
    let get = |k: &str| ra[k].as_str().unwrap_or("");
    let allowed = if ra.is_object() {
        let resource = match get("subresource") {
            "" => get("resource").to_string(),
            sub => format!("{}/{sub}", get("resource")),
        };
        let namespace = Some(get("namespace")).filter(|n| !n.is_empty());
        // Only the core and apps groups exist here.
        matches!(get("group"), "" | "apps") && allows(user, get("verb"), &resource, namespace)
    } else {
        false
    };
    let answer = json!({
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": { "creationTimestamp": null },
        "spec": review["spec"],
        "status": { "allowed": allowed },
    });
    let mut res = Response::new(http_body_util::BodyExt::boxed(http_body_util::Full::new(
        bytes::Bytes::from(answer.to_string()),
    )));
    *res.status_mut() = StatusCode::CREATED;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}
