//! `POST pods`: a pod made by a request (`kubectl create -f`, `kubectl debug --copy-to`),
//! validated with the API server's words, stored with its defaults and served as it was sent;
//! the kubelet then runs its containers on this host.
//!
//! What a container runs: its `command`, else the image's entrypoint (a shell, as busybox's),
//! followed by its `args`. A container with neither keeps running quietly, as a server would,
//! unless it keeps stdin open: then its entrypoint shell is what `attach` joins. Each waits
//! (`ContainerCreating`) until its process has started. A main process is restarted when it
//! exits as the pod's `restartPolicy` says (`Never`, or `OnFailure` after a 0: it ends for good,
//! and the pod with its last container). An image that cannot be pulled (see
//! [`crate::ephemeral::toolset`]) leaves the pod Pending, that container waiting with
//! `ErrImagePull`, the others running. Init containers and probes are kept in the spec, not run.

use crate::api::{status_response, Body};
use crate::config::{ContainerSpec, OwnerRef, Phase, PodSpec};
use crate::ephemeral::{
    decode_error, invalid_status, is_dns_label, json_response, read_body, toolset, with_defaults,
    FieldError, Toolset, DNS_LABEL_WHY,
};
use crate::Shared;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Kubernetes' protobuf media type, which kubectl's typed client sends.
const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

const DNS_SUBDOMAIN_WHY: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// The strings of a JSON list (nothing for anything else).
pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A generated name's suffix, as the API server makes it.
fn suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let mut x = h.finish();
    (0..5)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
            x /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

/// Checks a pod's containers as the API server does (names, images); `Ok` with the container
/// list when they are valid.
fn validate(pod: &Value) -> Result<Vec<Value>, Vec<FieldError>> {
    let mut errors = vec![];
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    if name.is_empty() {
        errors.push(FieldError {
            field: "metadata.name".into(),
            reason: "FieldValueRequired",
            detail: "Required value: name or generateName is required".into(),
        });
    } else if !is_dns_subdomain(name) {
        errors.push(FieldError::invalid(
            "metadata.name".into(),
            name,
            DNS_SUBDOMAIN_WHY,
        ));
    }
    let containers = match &pod["spec"]["containers"] {
        Value::Array(a) if !a.is_empty() => a.clone(),
        _ => {
            errors.push(FieldError::required("spec.containers".into()));
            vec![]
        }
    };
    if !items(&pod["spec"]["ephemeralContainers"]).is_empty() {
        errors.push(FieldError::forbidden(
            "spec.ephemeralContainers".into(),
            "cannot be set on create".into(),
        ));
    }
    let mut seen: Vec<String> = vec![];
    for (list, items) in [
        ("initContainers", items(&pod["spec"]["initContainers"])),
        ("containers", containers.clone()),
    ] {
        for (i, c) in items.iter().enumerate() {
            let at = format!("spec.{list}[{i}]");
            match c["name"].as_str().unwrap_or("") {
                "" => errors.push(FieldError::required(format!("{at}.name"))),
                n if !is_dns_label(n) => {
                    errors.push(FieldError::invalid(format!("{at}.name"), n, DNS_LABEL_WHY))
                }
                n if seen.iter().any(|s| s == n) => {
                    errors.push(FieldError::duplicate(format!("{at}.name"), n))
                }
                n => seen.push(n.to_string()),
            }
            if c["image"].as_str().unwrap_or("").trim().is_empty() {
                errors.push(FieldError::required(format!("{at}.image")));
            }
        }
    }
    if errors.is_empty() {
        Ok(containers)
    } else {
        Err(errors)
    }
}

/// The objects of a JSON list (nothing for anything else).
fn items(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// What the kubelet runs for a container (see the module's notes).
fn container(c: &Value, shell: bool) -> ContainerSpec {
    let mut command = strings(&c["command"]);
    let args = strings(&c["args"]);
    let stdin = c["stdin"].as_bool().unwrap_or(false);
    if command.is_empty() && (stdin || !args.is_empty()) && shell {
        command = vec!["sh".into()];
    }
    command.extend(args);
    let env: BTreeMap<String, String> = c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    ContainerSpec {
        name: c["name"].as_str().unwrap_or_default().to_string(),
        image: c["image"].as_str().unwrap_or_default().to_string(),
        command,
        tty: c["tty"].as_bool().unwrap_or(false),
        shell,
        env,
        workdir: c["workingDir"].as_str().map(Into::into),
        path: None,
    }
}

/// What the API server (and its admission) fills in a new pod's spec when the request leaves it
/// out; the rest of its defaults come with every pod served (`store::pod_json`).
fn defaults(spec: &mut Value) {
    let Some(m) = spec.as_object_mut() else {
        return;
    };
    let toleration = |key: &str| json!({ "key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 });
    for (k, v) in [
        ("priority", json!(0)),
        ("enableServiceLinks", json!(true)),
        ("preemptionPolicy", json!("PreemptLowerPriority")),
        ("serviceAccount", json!("default")),
        (
            "tolerations",
            json!([
                toleration("node.kubernetes.io/not-ready"),
                toleration("node.kubernetes.io/unreachable"),
            ]),
        ),
    ] {
        m.entry(k).or_insert(v);
    }
}

/// `POST /api/v1/namespaces/{ns}/pods` (authorization already checked); `dry_run`: validated
/// and answered, not stored.
pub async fn handle(
    req: Request<Incoming>,
    shared: &Arc<Shared>,
    ns: &str,
    dry_run: bool,
) -> Response<Body> {
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    tracing::debug!("POST pods in {ns} ({content_type})");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if !matches!(media.as_str(), "" | "application/json" | PROTOBUF) {
        return status_response(
            415,
            "UnsupportedMediaType",
            &format!("the body of the request was in an unknown format - accepted media types include: application/json, {PROTOBUF} (got {media:?})"),
            None,
        );
    }
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let decoded = if media == PROTOBUF {
        crate::podproto::pod_json(&body)
    } else {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    };
    let mut pod: Value = match decoded {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => return decode_error(&format!("expected an object, got {other}")),
        Err(e) => return decode_error(&e),
    };
    if pod["kind"].as_str().is_some_and(|k| k != "Pod") {
        return status_response(
            400,
            "BadRequest",
            &format!(
                "the kind of the object does not match the request: {}",
                pod["kind"]
            ),
            None,
        );
    }
    if pod["metadata"]["namespace"]
        .as_str()
        .is_some_and(|n| !n.is_empty() && n != ns)
    {
        return status_response(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
            None,
        );
    }
    if shared.store.namespace_json(ns).is_none() {
        return status_response(
            404,
            "NotFound",
            &format!("namespaces {ns:?} not found"),
            Some(json!({ "name": ns, "kind": "namespaces" })),
        );
    }
    if pod["metadata"]["name"].as_str().unwrap_or("").is_empty() {
        if let Some(g) = pod["metadata"]["generateName"]
            .as_str()
            .filter(|g| !g.is_empty())
        {
            pod["metadata"]["name"] = json!(format!("{g}{}", suffix()));
        }
    }
    let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
    let containers = match validate(&pod) {
        Ok(c) => c,
        Err(errors) => {
            return json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                &invalid_status(&name, &errors),
            )
        }
    };
    let containers: Vec<Value> = containers.into_iter().map(with_defaults).collect();
    let mut stored = pod["spec"].clone();
    stored["containers"] = json!(containers);
    defaults(&mut stored);
    if let Value::Array(init) = &stored["initContainers"] {
        stored["initContainers"] =
            json!(init.iter().cloned().map(with_defaults).collect::<Vec<_>>());
    }
    let mut unpullable = vec![];
    let run: Vec<ContainerSpec> = containers
        .iter()
        .map(|c| {
            let image = c["image"].as_str().unwrap_or_default();
            let tools = toolset(image);
            if tools == Toolset::Unpullable {
                unpullable.push(c["name"].as_str().unwrap_or_default().to_string());
            }
            container(c, tools == Toolset::Shell)
        })
        .collect();
    let map = |v: &Value| -> BTreeMap<String, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    };
    let spec = PodSpec {
        namespace: ns.to_string(),
        name: name.clone(),
        labels: map(&pod["metadata"]["labels"]),
        annotations: map(&pod["metadata"]["annotations"]),
        owner: controller(&pod["metadata"]["ownerReferences"]),
        phase: if unpullable.is_empty() {
            Phase::Running
        } else {
            Phase::Pending
        },
        ready: unpullable.is_empty(),
        age_seconds: 0,
        containers: run,
    };
    let exists = || {
        status_response(
            409,
            "AlreadyExists",
            &format!("pods {name:?} already exists"),
            Some(json!({ "name": name, "kind": "pods" })),
        )
    };
    if dry_run {
        if shared.store.pod(ns, &name).is_some() {
            return exists();
        }
        let mut answer = pod.clone();
        answer["spec"] = stored;
        answer["metadata"]["namespace"] = json!(ns);
        let response = json_response(StatusCode::CREATED, &answer);
        return crate::podsecurity::warn(shared, ns, &answer, response);
    }
    let Some(created) = shared.store.create_pod(spec, stored, unpullable) else {
        return exists();
    };
    crate::runtime::scheduled(shared, &created);
    let answer = shared.store.pod_json(&created);
    crate::podsecurity::warn(
        shared,
        ns,
        &answer,
        json_response(StatusCode::CREATED, &answer),
    )
}

/// The controller among a created pod's `ownerReferences` (kept, as the API server keeps them:
/// a pod a ReplicaSet made is that workload's); the first one when none is marked controller.
fn controller(refs: &Value) -> Option<OwnerRef> {
    let refs = refs.as_array()?;
    let chosen = refs
        .iter()
        .find(|r| r["controller"].as_bool() == Some(true))
        .or_else(|| refs.first())?;
    Some(OwnerRef {
        kind: chosen["kind"].as_str()?.to_string(),
        name: chosen["name"].as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_pod_keeps_its_controller() {
        let refs = json!([
            { "apiVersion": "v1", "kind": "Node", "name": "n1" },
            { "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-5d8f9", "controller": true },
        ]);
        assert_eq!(
            controller(&refs),
            Some(OwnerRef {
                kind: "ReplicaSet".into(),
                name: "api-5d8f9".into()
            })
        );
        assert_eq!(
            controller(&json!([{ "kind": "ReplicaSet", "name": "a" }])).map(|o| o.name),
            Some("a".into())
        );
        assert_eq!(controller(&json!(null)), None);
        assert_eq!(controller(&json!([{ "kind": 3 }])), None);
    }

    #[test]
    fn containers_run_their_command_or_the_entrypoint_shell() {
        let c = container(
            &json!({ "name": "a", "command": ["sleep"], "args": ["5"] }),
            true,
        );
        assert_eq!(c.command, vec!["sleep", "5"]);
        // The entrypoint (a shell) given args, or kept for stdin; else a quiet server.
        let c = container(&json!({ "name": "a", "args": ["-c", "true"] }), true);
        assert_eq!(c.command, vec!["sh", "-c", "true"]);
        let c = container(&json!({ "name": "a", "stdin": true, "tty": true }), true);
        assert_eq!(c.command, vec!["sh"]);
        assert!(c.tty);
        assert!(container(&json!({ "name": "a" }), true).command.is_empty());
        // No shell in the image: nothing to start it with.
        assert!(container(&json!({ "name": "a", "stdin": true }), false)
            .command
            .is_empty());
    }

    #[test]
    fn pods_are_validated_in_the_api_servers_words() {
        let errors = |pod: Value| -> Vec<String> {
            validate(&pod)
                .err()
                .unwrap_or_default()
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect()
        };
        assert_eq!(
            errors(json!({ "metadata": {}, "spec": { "containers": [] } })),
            vec![
                "metadata.name: Required value: name or generateName is required",
                "spec.containers: Required value"
            ]
        );
        assert_eq!(
            errors(json!({ "metadata": { "name": "p" }, "spec": {
                "initContainers": [{ "name": "a", "image": "x" }],
                "containers": [{ "name": "a", "image": "x" }, { "name": "B" }] } })),
            vec![
                "spec.containers[0].name: Duplicate value: \"a\"",
                format!("spec.containers[1].name: Invalid value: \"B\": {DNS_LABEL_WHY}").as_str(),
                "spec.containers[1].image: Required value",
            ]
        );
        assert_eq!(
            errors(
                json!({ "metadata": { "name": "Copy" }, "spec": { "containers": [{ "name": "a", "image": "x" }] } })
            ),
            vec![format!(
                "metadata.name: Invalid value: \"Copy\": {DNS_SUBDOMAIN_WHY}"
            )]
        );
        assert!(validate(&json!({ "metadata": { "name": "a.b-1" }, "spec": { "containers": [{ "name": "a", "image": "x" }] } })).is_ok());
    }
}
