//! A pod's status details and events for a UI (the Logs view's side panel): its phase, node
//! and IPs, conditions, each container's state and reason, and the events that name it
//! (`kubectl get events --field-selector involvedObject.name=POD`), newest last. Every text
//! from the server is escaped and cut here ([`crate::text::shown`]).

use crate::cluster::ApiError;
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Pod};
use kube::api::{Api, ListParams};
use serde::Serialize;

/// The most events a pod's panel lists (the newest).
pub const MAX_EVENTS: usize = 100;

/// Why the details could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PodInfoError {
    /// The API server refused (kubectl's words) or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl PodInfoError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        matches!(self, PodInfoError::Api(e) if e.credentials_refused())
    }
}

/// One condition (`Ready`, `PodScheduled` …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PodCondition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// One container's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ContainerInfo {
    pub name: String,
    /// `init`, `main` or `ephemeral`.
    pub kind: String,
    /// `Running`, `Waiting`, `Terminated` or `Unknown`.
    pub state: String,
    /// Why it waits or ended (`CrashLoopBackOff`, `Completed`, `Error`).
    pub reason: Option<String>,
    pub message: Option<String>,
    /// A terminated run's exit code.
    pub exit_code: Option<i32>,
    pub ready: bool,
    pub restart_count: i32,
    /// The run before the last restart has a log (`previous` is readable).
    pub has_previous: bool,
    /// When it started (running) or ended (terminated), RFC 3339.
    pub since: Option<String>,
}

/// One event about the pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PodEvent {
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub type_: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    /// When it last happened, RFC 3339 (`null`: the server did not say).
    pub last_seen: Option<String>,
    /// Who reported it (`kubelet`, `default-scheduler`).
    pub source: String,
}

/// Everything the panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PodDetails {
    pub name: String,
    pub namespace: String,
    pub phase: String,
    /// Why the pod is in its phase, when the server says (`Evicted`).
    pub reason: Option<String>,
    pub node: Option<String>,
    pub pod_ip: Option<String>,
    pub host_ip: Option<String>,
    pub created: Option<String>,
    pub conditions: Vec<PodCondition>,
    pub containers: Vec<ContainerInfo>,
    /// Oldest first, at most [`MAX_EVENTS`] (the newest).
    pub events: Vec<PodEvent>,
    /// Why the events are missing, when they could not be listed (the pod's details still
    /// show): the API server's words.
    pub events_error: Option<String>,
}

fn shown(s: &str) -> String {
    crate::text::shown(s)
}

fn opt(s: Option<&String>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(|s| shown(s))
}

fn container(c: &ContainerStatus, kind: &str) -> ContainerInfo {
    let state = c.state.clone().unwrap_or_default();
    let (name, reason, message, exit_code, since) = if let Some(r) = &state.running {
        (
            "Running",
            None,
            None,
            None,
            r.started_at.as_ref().map(|t| t.0.to_string()),
        )
    } else if let Some(w) = &state.waiting {
        (
            "Waiting",
            opt(w.reason.as_ref()),
            opt(w.message.as_ref()),
            None,
            None,
        )
    } else if let Some(t) = &state.terminated {
        (
            "Terminated",
            opt(t.reason.as_ref()),
            opt(t.message.as_ref()),
            Some(t.exit_code),
            t.finished_at.as_ref().map(|t| t.0.to_string()),
        )
    } else {
        ("Unknown", None, None, None, None)
    };
    let has_previous = c
        .last_state
        .as_ref()
        .is_some_and(|s| s.terminated.is_some());
    ContainerInfo {
        name: shown(&c.name),
        kind: kind.into(),
        state: name.into(),
        reason,
        message,
        exit_code,
        ready: c.ready,
        restart_count: c.restart_count,
        has_previous,
        since,
    }
}

/// The details of a pod as read from the server (no events).
pub fn details_of(pod: &Pod) -> PodDetails {
    let status = pod.status.clone().unwrap_or_default();
    let spec = pod.spec.clone().unwrap_or_default();
    let mut containers = Vec::new();
    let lists = [
        ("init", &status.init_container_statuses),
        ("main", &status.container_statuses),
        ("ephemeral", &status.ephemeral_container_statuses),
    ];
    for (kind, list) in lists {
        for c in list.iter().flatten() {
            containers.push(container(c, kind));
        }
    }
    // Containers the server has no status for yet (a pod still being scheduled).
    for c in &spec.containers {
        if !containers.iter().any(|i| i.name == shown(&c.name)) {
            containers.push(ContainerInfo {
                name: shown(&c.name),
                kind: "main".into(),
                state: "Unknown".into(),
                reason: None,
                message: None,
                exit_code: None,
                ready: false,
                restart_count: 0,
                has_previous: false,
                since: None,
            });
        }
    }
    PodDetails {
        name: shown(pod.metadata.name.as_deref().unwrap_or("")),
        namespace: shown(pod.metadata.namespace.as_deref().unwrap_or("")),
        phase: shown(status.phase.as_deref().unwrap_or("Unknown")),
        reason: opt(status.reason.as_ref()),
        node: opt(spec.node_name.as_ref()),
        pod_ip: opt(status.pod_ip.as_ref()),
        host_ip: opt(status.host_ip.as_ref()),
        created: pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string()),
        conditions: status
            .conditions
            .iter()
            .flatten()
            .map(|c| PodCondition {
                type_: shown(&c.type_),
                status: shown(&c.status),
                reason: opt(c.reason.as_ref()),
                message: opt(c.message.as_ref()),
            })
            .collect(),
        containers,
        events: vec![],
        events_error: None,
    }
}

fn event(e: &Event) -> PodEvent {
    let last = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0));
    PodEvent {
        type_: shown(e.type_.as_deref().unwrap_or("Normal")),
        reason: shown(e.reason.as_deref().unwrap_or("")),
        message: shown(e.message.as_deref().unwrap_or("")),
        count: e.count.unwrap_or(1).max(1),
        last_seen: last.map(|t| t.to_string()),
        source: shown(
            e.source
                .as_ref()
                .and_then(|s| s.component.as_deref())
                .or(e.reporting_component.as_deref())
                .unwrap_or(""),
        ),
    }
}

/// The pod's details and events now. A pod that cannot be read is an error; events that
/// cannot be listed are said in `events_error`.
pub async fn details(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
) -> Result<PodDetails, PodInfoError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let timeout = Some(crate::exec::REQUEST_TIMEOUT);
    let p = crate::cluster::within(timeout, async {
        pods.get(pod).await.map_err(ApiError::from)
    })
    .await?;
    let mut d = details_of(&p);
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let lp = ListParams::default().fields(&format!("involvedObject.name={pod}"));
    match crate::cluster::within(timeout, async {
        events.list(&lp).await.map_err(ApiError::from)
    })
    .await
    {
        Ok(list) => {
            let uid = p.metadata.uid.as_deref();
            let mut evs: Vec<(Option<String>, PodEvent)> = list
                .items
                .iter()
                // Another pod of the same name (before a re-creation) is not this one.
                .filter(|e| match (uid, e.involved_object.uid.as_deref()) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                })
                .map(|e| {
                    let ev = event(e);
                    (ev.last_seen.clone(), ev)
                })
                .collect();
            evs.sort_by(|a, b| a.0.cmp(&b.0));
            let skip = evs.len().saturating_sub(MAX_EVENTS);
            d.events = evs.into_iter().skip(skip).map(|(_, e)| e).collect();
        }
        Err(e) => d.events_error = Some(crate::text::message(&e.to_string())),
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_states_and_pod_text_are_escaped() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p\u{1b}]0;x\u{7}", "namespace": "demo"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "main"}, {"name": "side"}]},
            "status": {
                "phase": "Running", "podIP": "10.0.0.7", "hostIP": "192.168.1.2",
                "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
                "containerStatuses": [{
                    "name": "main", "ready": false, "restartCount": 4, "image": "i", "imageID": "",
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}}
                }]
            }
        }))
        .expect("pod json");
        let d = details_of(&pod);
        assert_eq!(d.name, "p\\x1b]0;x\\x07");
        assert_eq!(d.node.as_deref(), Some("node-1"));
        assert_eq!(d.pod_ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(
            d.conditions[0].reason.as_deref(),
            Some("ContainersNotReady")
        );
        let main = &d.containers[0];
        assert_eq!(
            (
                main.state.as_str(),
                main.reason.as_deref(),
                main.restart_count,
                main.has_previous
            ),
            ("Waiting", Some("CrashLoopBackOff"), 4, true)
        );
        assert_eq!(d.containers[1].name, "side");
        assert_eq!(d.containers[1].state, "Unknown");
    }
}
