//! The Services of a namespace, as the app lists them to forward a port through one (as
//! `kubectl port-forward svc/NAME PORT` does): each with its ports, where each goes in a pod, and
//! whether a forward can go through it at all (a Service without a selector finds no pods; a UDP
//! port carries nothing a forward carries). What the server sends is escaped and cut, and the
//! list is one page of at most [`MAX_SERVICES`] whatever the namespace holds.

use crate::portforward::ForwardError;
use crate::text;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, ListParams};
use serde::{Deserialize, Serialize};

/// Services listed at most (sorted by name, the first this many).
pub const MAX_SERVICES: usize = 500;

/// A Service's ports listed at most.
pub const MAX_PORTS: usize = 32;

/// A name is cut to this (Kubernetes allows 63).
const NAME_LIMIT: usize = 63;

/// A selector's words are cut to this.
const SELECTOR_LIMIT: usize = 200;

/// A Service as the app's forward dialog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ServiceSummary {
    pub name: String,
    /// `spec.type`: `ClusterIP` (the default), `NodePort`, `LoadBalancer`, `ExternalName`.
    pub kind: String,
    /// No cluster IP (`clusterIP: None`): its ports are the pods' own.
    pub headless: bool,
    /// Its selector as kubectl writes one (`app=web,tier=front`); `None`: it selects no pods
    /// (its endpoints are kept by hand, or it names an outside host), so nothing can be
    /// forwarded through it.
    pub selector: Option<String>,
    /// Its ports, in its order (at most [`MAX_PORTS`]).
    pub ports: Vec<ServicePortSummary>,
}

/// One port of a Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ServicePortSummary {
    /// Its name (`http`); a forward may ask for the port by it.
    pub name: Option<String>,
    pub port: u16,
    /// Where it goes in a pod: a number, or the name of a container's port (`http`).
    pub target: String,
    /// `TCP`, `UDP` or `SCTP`: a forward carries TCP only.
    pub protocol: String,
}

impl ServicePortSummary {
    /// Whether a forward can carry it (TCP).
    pub fn forwardable(&self) -> bool {
        self.protocol == "TCP"
    }
}

impl ServiceSummary {
    pub fn from_service(svc: &Service) -> Self {
        let spec = svc.spec.as_ref();
        let headless = spec.and_then(|s| s.cluster_ip.as_deref()) == Some("None");
        let selector = spec
            .and_then(|s| s.selector.as_ref())
            .filter(|s| !s.is_empty())
            .map(|s| {
                let words: Vec<String> = s.iter().map(|(k, v)| format!("{k}={v}")).collect();
                text::shown_within(&words.join(","), SELECTOR_LIMIT)
            });
        let ports = spec
            .and_then(|s| s.ports.as_deref())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| {
                let port = u16::try_from(p.port).ok().filter(|n| *n > 0)?;
                let target = match &p.target_port {
                    _ if headless => port.to_string(),
                    None | Some(IntOrString::Int(0)) => port.to_string(),
                    Some(IntOrString::Int(t)) => t.to_string(),
                    Some(IntOrString::String(n)) => text::shown_within(n, NAME_LIMIT),
                };
                Some(ServicePortSummary {
                    name: p
                        .name
                        .as_deref()
                        .filter(|n| !n.is_empty())
                        .map(|n| text::shown_within(n, NAME_LIMIT)),
                    port,
                    target,
                    protocol: text::shown_within(p.protocol.as_deref().unwrap_or("TCP"), 8),
                })
            })
            .take(MAX_PORTS)
            .collect();
        ServiceSummary {
            name: text::shown_within(svc.metadata.name.as_deref().unwrap_or_default(), NAME_LIMIT),
            kind: text::shown_within(
                spec.and_then(|s| s.type_.as_deref()).unwrap_or("ClusterIP"),
                NAME_LIMIT,
            ),
            headless,
            selector,
            ports,
        }
    }
}

/// The first Services of a namespace, and whether it has more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ServiceList {
    /// Sorted by name, at most [`MAX_SERVICES`].
    pub services: Vec<ServiceSummary>,
    /// The namespace has more than these (they are not listed).
    pub more: bool,
}

/// The first [`MAX_SERVICES`] Services of `namespace` by name (the API server lists a
/// namespace's objects by name, and is asked for no more than these: a namespace of thousands
/// costs one page).
pub async fn list(client: &kube::Client, namespace: &str) -> Result<ServiceList, ForwardError> {
    let api: Api<Service> = Api::namespaced(client.clone(), namespace);
    let limit = u32::try_from(MAX_SERVICES).unwrap_or(u32::MAX);
    let list = api
        .list(&ListParams::default().limit(limit))
        .await
        .map_err(|e| ForwardError::Api(e.into()))?;
    let more = has_more(list.metadata.continue_.as_deref(), list.items.len());
    let mut items = list.items;
    items.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    Ok(ServiceList {
        services: items
            .iter()
            .take(MAX_SERVICES)
            .map(ServiceSummary::from_service)
            .collect(),
        more,
    })
}

/// The Service `name` of `namespace`, or `None` when there is none: for a Service past the
/// first [`MAX_SERVICES`] that [`list`] returns, found by its exact name.
pub async fn find(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Option<ServiceSummary>, ForwardError> {
    // No Service has another name; and a path (`web/proxy`) would ask for something else.
    if !is_service_name(name) {
        return Ok(None);
    }
    let api: Api<Service> = Api::namespaced(client.clone(), namespace);
    let found = api
        .get_opt(name)
        .await
        .map_err(|e| ForwardError::Api(e.into()))?;
    Ok(found.as_ref().map(ServiceSummary::from_service))
}

/// Whether `name` can be a Service's (a DNS-1035 label: lower case letters, digits and `-`, a
/// letter first, not `-` last, at most 63).
fn is_service_name(name: &str) -> bool {
    let b = name.as_bytes();
    (1..=63).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Whether a page of `len` Services with the server's `continue` token leaves some out: the token
/// says so, or a server that ignored the limit sent more than are kept.
fn has_more(continue_token: Option<&str>, len: usize) -> bool {
    continue_token.is_some_and(|c| !c.is_empty()) || len > MAX_SERVICES
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_service_name_is_a_dns_1035_label() {
        use super::is_service_name;
        for ok in ["a", "web", "web-api", "w3", &"a".repeat(63)] {
            assert!(is_service_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Web",
            "3web",
            "web-",
            "-web",
            "web.api",
            "web/proxy",
            "web api",
            &"a".repeat(64),
        ] {
            assert!(!is_service_name(bad), "{bad}");
        }
    }

    #[test]
    fn more_services_than_listed_are_said() {
        use super::{has_more, MAX_SERVICES};
        assert!(!has_more(None, 3));
        assert!(!has_more(Some(""), MAX_SERVICES));
        assert!(has_more(
            Some("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"),
            MAX_SERVICES
        ));
        // A server that ignores `limit` sends them all: more than are kept.
        assert!(has_more(None, MAX_SERVICES + 1));
    }

    use super::*;

    fn svc(v: serde_json::Value) -> Service {
        serde_json::from_value(v).expect("service")
    }

    #[test]
    fn a_service_says_its_ports_targets_and_selector() {
        let s = ServiceSummary::from_service(&svc(serde_json::json!({
            "metadata": { "name": "web" },
            "spec": {
                "selector": { "tier": "front", "app": "web" },
                "ports": [
                    { "name": "http", "port": 80, "targetPort": "http" },
                    { "port": 9100, "targetPort": 9101 },
                    { "name": "dns", "port": 53, "protocol": "UDP" },
                    { "name": "zero", "port": 81, "targetPort": 0 },
                    { "port": 0 },
                ],
            },
        })));
        assert_eq!(
            (s.name.as_str(), s.kind.as_str(), s.headless),
            ("web", "ClusterIP", false)
        );
        assert_eq!(s.selector.as_deref(), Some("app=web,tier=front"));
        let ports: Vec<(Option<&str>, u16, &str, bool)> = s
            .ports
            .iter()
            .map(|p| {
                (
                    p.name.as_deref(),
                    p.port,
                    p.target.as_str(),
                    p.forwardable(),
                )
            })
            .collect();
        assert_eq!(
            ports,
            vec![
                (Some("http"), 80, "http", true),
                (None, 9100, "9101", true),
                (Some("dns"), 53, "53", false),
                (Some("zero"), 81, "81", true),
            ],
            "a port 0 is no port"
        );
    }

    #[test]
    fn headless_or_selectorless_services_and_hostile_text() {
        let headless = ServiceSummary::from_service(&svc(serde_json::json!({
            "metadata": { "name": "db" },
            "spec": { "clusterIP": "None", "selector": { "app": "db" },
                      "ports": [{ "port": 5432, "targetPort": "pg" }] },
        })));
        // A headless Service's port is the pod's own, as a forward uses it.
        assert!(headless.headless);
        assert_eq!(headless.ports[0].target, "5432");
        let bare = ServiceSummary::from_service(&svc(serde_json::json!({
            "metadata": { "name": "outside" },
            "spec": { "type": "ExternalName", "selector": {}, "ports": [] },
        })));
        assert_eq!((bare.kind.as_str(), bare.selector), ("ExternalName", None));
        let long = "x".repeat(10_000);
        let hostile = ServiceSummary::from_service(&svc(serde_json::json!({
            "metadata": { "name": "a\u{1b}[31mred" },
            "spec": {
                "selector": { "k": long },
                "ports": (1..200).map(|p| serde_json::json!({ "port": p, "name": "p\u{7}" }))
                    .collect::<Vec<_>>(),
            },
        })));
        assert!(!hostile.name.contains('\u{1b}'), "{}", hostile.name);
        assert!(hostile
            .selector
            .as_deref()
            .is_some_and(|s| s.len() < SELECTOR_LIMIT + 40));
        assert_eq!(hostile.ports.len(), MAX_PORTS);
        assert!(hostile
            .ports
            .iter()
            .all(|p| p.name.as_deref().is_some_and(|n| !n.contains('\u{7}'))));
    }
}
