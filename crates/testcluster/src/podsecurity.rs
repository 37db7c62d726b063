//! Pod Security admission in warn mode at the `baseline` level, for the namespaces the cluster
//! file names (`podSecurityWarn`, as a namespace labelled
//! `pod-security.kubernetes.io/warn: baseline`): a pod created, or given an ephemeral container,
//! that breaks the baseline is admitted all the same, and the answer carries a `Warning` header
//! in the API server's words:
//! `299 - "would violate PodSecurity \"baseline:latest\": privileged (container \"debugger\" must not set securityContext.privileged=true)"`.
//!
//! The baseline checks a debug container or a node's debugging pod meets: capabilities beyond
//! the default set, the host's namespaces, hostPath volumes, privileged containers. The others
//! (host ports, sysctls, AppArmor, SELinux, /proc mount, seccomp) are not modelled.

use serde_json::Value;

/// The capabilities the baseline lets a container add.
const ALLOWED_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// `response` with the warning for `pod` (a pod as served) when its namespace warns and the pod
/// breaks the baseline.
pub fn warn(
    shared: &crate::Shared,
    ns: &str,
    pod: &Value,
    mut response: hyper::Response<crate::api::Body>,
) -> hyper::Response<crate::api::Body> {
    if !shared.pod_security_warn.iter().any(|n| n == ns) {
        return response;
    }
    let broken = baseline_violations(&pod["spec"]);
    if broken.is_empty() {
        return response;
    }
    let text = format!(
        "would violate PodSecurity \"baseline:latest\": {}",
        broken.join(", ")
    );
    let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
    if let Ok(v) = hyper::header::HeaderValue::from_str(&format!("299 - \"{quoted}\"")) {
        response.headers_mut().append(hyper::header::WARNING, v);
    }
    response
}

/// What in `spec` breaks the baseline, each as the API server words it, in its order.
pub fn baseline_violations(spec: &Value) -> Vec<String> {
    let containers: Vec<&Value> = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|k| spec[*k].as_array())
        .flatten()
        .collect();
    let name = |c: &Value| format!("{:?}", c["name"].as_str().unwrap_or_default());
    let mut out = vec![];

    let mut with_caps = vec![];
    let mut caps: Vec<String> = vec![];
    for c in &containers {
        let added: Vec<&str> = c["securityContext"]["capabilities"]["add"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|cap| !ALLOWED_CAPABILITIES.contains(cap))
            .collect();
        if !added.is_empty() {
            with_caps.push(name(c));
            for cap in added {
                let quoted = format!("{cap:?}");
                if !caps.contains(&quoted) {
                    caps.push(quoted);
                }
            }
        }
    }
    // Sorted, as the admission's own set of them is listed.
    caps.sort();
    if !with_caps.is_empty() {
        out.push(format!(
            "non-default capabilities ({} must not include {} in securityContext.capabilities.add)",
            containers_named(&with_caps),
            caps.join(", ")
        ));
    }

    let host: Vec<String> = ["hostNetwork", "hostPID", "hostIPC"]
        .iter()
        .filter(|k| spec[**k].as_bool() == Some(true))
        .map(|k| format!("{k}=true"))
        .collect();
    if !host.is_empty() {
        out.push(format!("host namespaces ({})", host.join(", ")));
    }

    let host_paths: Vec<String> = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v.get("hostPath").is_some())
        .map(|v| format!("{:?}", v["name"].as_str().unwrap_or_default()))
        .collect();
    if !host_paths.is_empty() {
        let word = if host_paths.len() == 1 {
            "volume"
        } else {
            "volumes"
        };
        out.push(format!(
            "hostPath volumes ({word} {})",
            host_paths.join(", ")
        ));
    }

    let privileged: Vec<String> = containers
        .iter()
        .filter(|c| c["securityContext"]["privileged"].as_bool() == Some(true))
        .map(|c| name(c))
        .collect();
    if !privileged.is_empty() {
        out.push(format!(
            "privileged ({} must not set securityContext.privileged=true)",
            containers_named(&privileged)
        ));
    }
    out
}

/// `container "a"` or `containers "a", "b"`.
fn containers_named(quoted: &[String]) -> String {
    if quoted.len() == 1 {
        format!("container {}", quoted[0])
    } else {
        format!("containers {}", quoted.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_breaks_the_baseline_is_said_as_the_api_server_says_it() {
        assert!(baseline_violations(&json!({ "containers": [{ "name": "main" }] })).is_empty());
        let node_pod = json!({
            "hostNetwork": true, "hostPID": true, "hostIPC": true,
            "volumes": [{ "name": "host-root", "hostPath": { "path": "/" } }],
            "containers": [{ "name": "debugger", "securityContext": { "privileged": true } }],
        });
        assert_eq!(
            baseline_violations(&node_pod),
            [
                "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)",
                "hostPath volumes (volume \"host-root\")",
                "privileged (container \"debugger\" must not set securityContext.privileged=true)",
            ]
        );
        let netadmin = json!({
            "containers": [{ "name": "main" }],
            "ephemeralContainers": [
                { "name": "a", "securityContext": { "capabilities": { "add": ["NET_RAW", "NET_ADMIN", "CHOWN"] } } },
                { "name": "b", "securityContext": { "capabilities": { "add": ["NET_ADMIN"] } } },
            ],
        });
        assert_eq!(
            baseline_violations(&netadmin),
            ["non-default capabilities (containers \"a\", \"b\" must not include \"NET_ADMIN\", \"NET_RAW\" in securityContext.capabilities.add)"]
        );
    }
}
