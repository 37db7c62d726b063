//! What a cluster browser shows: the namespaces, and a live list of pods in one namespace fed by
//! a watch (kube-runtime's watcher: list, then watch from the list's resourceVersion, re-list
//! with backoff when the watch breaks or expires).
//!
//! The pods come as [`PodChange`]s — added, modified, deleted — of [`PodSummary`]s, the few
//! fields a pod list needs. A re-list is reconciled against what was shown before: pods that
//! vanished while the watch was down are reported deleted, unchanged pods are not repeated.

use futures_util::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams};
use kube::runtime::{watcher, WatchStreamExt};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cluster::ApiError;

/// Why the browser could not list or watch.
#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    /// The API server refused, failed or could not be reached (kubectl's words for each).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The watch itself failed without an API error (no `resourceVersion` in its answers).
    #[error(
        "cannot reach the API server: {}",
        crate::cluster::transport_words(source)
    )]
    Watch {
        #[source]
        source: watcher::Error,
    },
    /// The watch ended before its first list arrived.
    #[error("the pod watch ended before listing the pods: retry")]
    Ended,
}

impl BrowseError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        matches!(self, BrowseError::Api(e) if e.credentials_refused())
    }
}

impl From<kube::Error> for BrowseError {
    fn from(e: kube::Error) -> Self {
        BrowseError::Api(e.into())
    }
}

impl From<watcher::Error> for BrowseError {
    fn from(e: watcher::Error) -> Self {
        match e {
            watcher::Error::InitialListFailed(e)
            | watcher::Error::WatchStartFailed(e)
            | watcher::Error::WatchFailed(e) => e.into(),
            watcher::Error::WatchError(s) => kube::Error::Api(s).into(),
            source => BrowseError::Watch { source },
        }
    }
}

/// The namespaces, sorted. A user who may not list namespaces (RBAC limited to namespaces of
/// their own, common on shared clusters) gets `fallback` alone instead of an error.
pub async fn namespaces(client: &kube::Client, fallback: &str) -> Result<Vec<String>, BrowseError> {
    let api: Api<Namespace> = Api::all(client.clone());
    match api.list(&ListParams::default()).await {
        Ok(list) => {
            let mut names: Vec<String> = list
                .items
                .into_iter()
                .filter_map(|n| n.metadata.name)
                .collect();
            names.sort();
            Ok(names)
        }
        Err(kube::Error::Api(s)) if s.code == 403 => {
            tracing::info!(
                "namespaces may not be listed ({}): showing {fallback}",
                s.message
            );
            Ok(vec![fallback.to_string()])
        }
        Err(e) => Err(e.into()),
    }
}

/// The controller that owns a pod: its `ownerReference` with `controller: true`. A pod of a
/// Deployment is owned by a ReplicaSet, and says so here; following it to the Deployment is
/// [`crate::favourites::target_for_pod`]'s job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PodOwner {
    /// The owner's kind: `ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`, `Node`, ...
    pub kind: String,
    pub name: String,
}

impl PodOwner {
    /// The controller among a pod's owner references, if it has one.
    pub fn of(pod: &Pod) -> Option<Self> {
        pod.metadata
            .owner_references
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|r| r.controller == Some(true))
            .map(|r| PodOwner {
                kind: name(&r.kind),
                name: name(&r.name),
            })
    }
}

/// A pod as a pod list shows it. Its JSON (camelCase) is what the app's pod list reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PodSummary {
    pub name: String,
    pub namespace: String,
    /// `status.phase` (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`).
    pub phase: String,
    /// Ready containers out of all, as kubectl shows it: `1/2`.
    pub ready: String,
    /// Restarts of all containers together.
    pub restarts: u32,
    /// RFC 3339 (`2026-01-02T03:04:05Z`); empty when the pod has none.
    pub created_at: String,
    pub containers: Vec<String>,
    /// The pod's ephemeral (debug) containers, in the order they were added: they stay in the
    /// pod until it is deleted, running or not.
    #[serde(default)]
    pub ephemeral_containers: Vec<String>,
    /// The container kubectl would pick: the default-container annotation, else the first.
    pub default_container: String,
    /// Deletion has begun (`metadata.deletionTimestamp` is set).
    pub terminating: bool,
    /// The controller that owns the pod; `None` for a bare pod.
    pub owner: Option<PodOwner>,
    /// Why the pod is not Ready, in kubectl's words ([`crate::pods::not_ready_reason`]:
    /// `Pending: ContainerCreating`, `not Ready: container app waiting: CrashLoopBackOff`);
    /// `None` when it is Ready.
    #[serde(default)]
    pub reason: Option<String>,
    /// The node it runs on (`spec.nodeName`); `None` before it is scheduled.
    #[serde(default)]
    pub node: Option<String>,
    /// Its IP addresses (`status.podIPs`, else `status.podIP`); empty before it has one.
    #[serde(default)]
    pub ips: Vec<String>,
    /// The TCP ports its containers declare, in their order (at most [`MAX_PORTS`]): what a
    /// port forward offers.
    #[serde(default)]
    pub ports: Vec<DeclaredPort>,
}

/// A TCP port a container declares (`spec.containers[].ports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DeclaredPort {
    pub container: String,
    /// The name a port forward may use for it (`http`).
    pub name: Option<String>,
    pub port: u16,
}

/// A pod's declared ports kept in its summary at most (a pod list stays small whatever a
/// server sends).
pub const MAX_PORTS: usize = 32;

/// The TCP ports `pod`'s containers declare (port forwarding carries TCP only).
fn declared_ports(pod: &Pod) -> Vec<DeclaredPort> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    spec.containers
        .iter()
        .flat_map(|c| {
            c.ports.iter().flatten().filter_map(move |p| {
                let tcp = p.protocol.as_deref().is_none_or(|p| p == "TCP");
                let port = u16::try_from(p.container_port).ok().filter(|n| *n > 0)?;
                tcp.then(|| DeclaredPort {
                    container: crate::text::shown_within(&c.name, NAME_LIMIT),
                    name: p
                        .name
                        .as_deref()
                        .filter(|n| !n.is_empty())
                        .map(|n| crate::text::shown_within(n, NAME_LIMIT)),
                    port,
                })
            })
        })
        .take(MAX_PORTS)
        .collect()
}

/// A declared port's container or name is cut to this (Kubernetes allows 63 and 15).
const NAME_LIMIT: usize = 63;

/// The longest name Kubernetes gives an object (a DNS subdomain).
const OBJECT_NAME_LIMIT: usize = 253;

/// A name from the server as the pod list carries it: escaped and cut ([`OBJECT_NAME_LIMIT`]).
/// A real API server's names are plain and no longer, so they pass unchanged and stay usable as
/// names.
fn name(raw: &str) -> String {
    crate::text::shown_within(raw, OBJECT_NAME_LIMIT)
}

impl PodSummary {
    pub fn from_pod(pod: &Pod) -> Self {
        let meta = &pod.metadata;
        let containers: Vec<String> = pod
            .spec
            .as_ref()
            .map(|s| s.containers.iter().map(|c| name(&c.name)).collect())
            .unwrap_or_default();
        let statuses = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or_default();
        let ready = statuses.iter().filter(|s| s.ready).count();
        // Ready as the READY column shows it (every container), or the Ready condition.
        let phase_running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        let all_ready = phase_running
            && meta.deletion_timestamp.is_none()
            && !containers.is_empty()
            && ready == containers.len();
        // The statuses' words: the server's, escaped and cut as every text of it shown.
        let reason = (!all_ready && !crate::pods::is_ready(pod))
            .then(|| crate::text::shown(&crate::pods::not_ready_reason(pod)));
        let restarts = statuses
            .iter()
            .map(|s| u32::try_from(s.restart_count).unwrap_or(0))
            .fold(0u32, u32::saturating_add);
        PodSummary {
            name: name(meta.name.as_deref().unwrap_or_default()),
            namespace: name(meta.namespace.as_deref().unwrap_or_default()),
            phase: pod
                .status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .map_or_else(|| "Unknown".into(), name),
            ready: format!("{ready}/{}", containers.len()),
            restarts,
            created_at: meta
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default(),
            default_container: crate::pods::choose_container(pod, None)
                .map(|(c, _)| name(&c))
                .unwrap_or_default(),
            containers,
            ephemeral_containers: pod
                .spec
                .as_ref()
                .and_then(|s| s.ephemeral_containers.as_ref())
                .map(|l| l.iter().map(|c| name(&c.name)).collect())
                .unwrap_or_default(),
            terminating: meta.deletion_timestamp.is_some(),
            owner: PodOwner::of(pod),
            reason,
            node: pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .map(name),
            ips: pod_ips(pod),
            ports: declared_ports(pod),
        }
    }
}

/// A pod's IPs: `status.podIPs` (dual stack), else `status.podIP`.
fn pod_ips(pod: &Pod) -> Vec<String> {
    let Some(status) = pod.status.as_ref() else {
        return Vec::new();
    };
    let ips: Vec<String> = status
        .pod_ips
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|ip| name(&ip.ip))
        .filter(|ip| !ip.is_empty())
        .collect();
    if ips.is_empty() {
        status.pod_ip.iter().map(|ip| name(ip)).collect()
    } else {
        ips
    }
}

/// What happened to a pod in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One change to the pod list. JSON: `{"type": "Added", "pod": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PodChange {
    #[serde(rename = "type")]
    pub kind: ChangeKind,
    pub pod: PodSummary,
}

/// What a live pod list reports: a change, or that it stopped or started being live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// Changes, in the order they happened; never empty. The first list comes as few of these
    /// as [`FIRST_LIST_BATCH`] allows (a window shows 3,000 pods from one message, not 3,000),
    /// each later change of the watch as its own.
    Changes(Vec<PodChange>),
    /// The watch broke (network gone, server restarting, credentials refused); the list shown
    /// may be stale while it retries with backoff. Said again only when the reason changes.
    Broken {
        /// Why, in words to show ([`BrowseError`]'s text).
        reason: String,
        /// The API server refused the credentials (401): retrying will not help until they
        /// are renewed.
        credentials_refused: bool,
    },
    /// The watch is back and the list reconciled by a re-list.
    Resumed,
    /// The list holds [`MAX_PODS`] pods and leaves out the ones that come after (said once a
    /// watch): a cluster that big, or a server that sends pods without end.
    Capped { limit: usize },
}

/// The most pods a live list holds: what a window can show and search, and a bound on what a
/// server's watch can make Podterm keep (about 1 KB each, here and in the window). More than
/// this in one namespace is rare; across all namespaces, one namespace at a time is listed.
pub const MAX_PODS: usize = 50_000;

/// Turns watcher events into list changes. Pure: fed events, returns changes. Holds at most
/// its cap of pods ([`MAX_PODS`]); a new pod beyond it is left out. A (re-)list is read whole
/// into a list of its own (up to the cap too), then told as the changes from the list before:
/// pods gone while the watch was down deleted, pods left out before taken once there is room.
#[derive(Debug)]
pub struct PodList {
    shown: HashMap<String, PodSummary>,
    /// The list being read since the last `Init`, until its `InitDone`.
    listing: Option<HashMap<String, PodSummary>>,
    cap: usize,
    /// A pod was left out and [`PodList::newly_capped`] has not said so yet.
    capped: Option<bool>,
}

impl Default for PodList {
    fn default() -> Self {
        PodList::with_cap(MAX_PODS)
    }
}

impl PodList {
    pub fn new() -> Self {
        Self::default()
    }

    /// A list that holds at most `cap` pods.
    pub fn with_cap(cap: usize) -> Self {
        PodList {
            shown: HashMap::new(),
            listing: None,
            cap,
            capped: None,
        }
    }

    /// True once, the first time a pod was left out for the cap.
    pub fn newly_capped(&mut self) -> bool {
        if self.capped == Some(true) {
            self.capped = Some(false);
            return true;
        }
        false
    }

    /// The changes one watcher event makes to the list.
    pub fn apply(&mut self, event: watcher::Event<Pod>) -> Vec<PodChange> {
        match event {
            watcher::Event::Init => {
                self.listing = Some(HashMap::new());
                Vec::new()
            }
            watcher::Event::InitApply(pod) => {
                let s = PodSummary::from_pod(&pod);
                match &mut self.listing {
                    Some(next) => {
                        let k = key(&s);
                        if next.len() < self.cap || next.contains_key(&k) {
                            next.insert(k, s);
                        } else {
                            self.capped.get_or_insert(true);
                        }
                        Vec::new()
                    }
                    None => self.upsert(s).into_iter().collect(),
                }
            }
            watcher::Event::InitDone => {
                let Some(next) = self.listing.take() else {
                    return Vec::new();
                };
                let old = std::mem::replace(&mut self.shown, next);
                let mut gone: Vec<PodChange> = old
                    .iter()
                    .filter(|(k, _)| !self.shown.contains_key(*k))
                    .map(|(_, pod)| PodChange {
                        kind: ChangeKind::Deleted,
                        pod: pod.clone(),
                    })
                    .collect();
                gone.sort_by_key(|c| key(&c.pod));
                let mut now: Vec<PodChange> = self
                    .shown
                    .iter()
                    .filter_map(|(k, pod)| {
                        match old.get(k) {
                            None => Some(ChangeKind::Added),
                            Some(was) if was != pod => Some(ChangeKind::Modified),
                            Some(_) => None,
                        }
                        .map(|kind| PodChange {
                            kind,
                            pod: pod.clone(),
                        })
                    })
                    .collect();
                now.sort_by_key(|c| key(&c.pod));
                gone.extend(now);
                gone
            }
            watcher::Event::Apply(pod) => self
                .upsert(PodSummary::from_pod(&pod))
                .into_iter()
                .collect(),
            watcher::Event::Delete(pod) => {
                let s = PodSummary::from_pod(&pod);
                self.shown.remove(&key(&s));
                vec![PodChange {
                    kind: ChangeKind::Deleted,
                    pod: s,
                }]
            }
        }
    }

    /// Added for a new pod, Modified for a changed one, nothing for an unchanged one, or for a
    /// new one when the list is full.
    fn upsert(&mut self, s: PodSummary) -> Option<PodChange> {
        let k = key(&s);
        if self.shown.len() >= self.cap && !self.shown.contains_key(&k) {
            self.capped.get_or_insert(true);
            return None;
        }
        match self.shown.insert(k, s.clone()) {
            None => Some(PodChange {
                kind: ChangeKind::Added,
                pod: s,
            }),
            Some(old) if old != s => Some(PodChange {
                kind: ChangeKind::Modified,
                pod: s,
            }),
            Some(_) => None,
        }
    }
}

fn key(s: &PodSummary) -> String {
    format!("{}/{}", s.namespace, s.name)
}

/// The `timeoutSeconds` of each watch request: the keepalive interval (whole seconds, at least
/// 1). A watch has no pings of its own; a request that ends and is renewed this often is what a
/// load balancer sees as traffic.
pub fn watch_timeout(l: crate::exec::Liveness) -> u32 {
    u32::try_from(l.keepalive.as_secs())
        .unwrap_or(u32::MAX)
        .max(1)
}

/// How often a broken watch checks whether the API server answers again.
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

enum Step {
    Watch(Box<Result<watcher::Event<Pod>, watcher::Error>>),
    /// The probe's list succeeded.
    Answered,
}

/// A live pod list of one namespace. The first list has succeeded when this returns: its
/// failure (403, 401, unreachable) is the error. Later breaks are reported
/// ([`WatchEvent::Broken`]), retried with backoff and reconciled by a re-list
/// ([`WatchEvent::Resumed`]); the stream never ends on its own (drop it to stop watching).
///
/// Behind a load balancer that drops idle connections, a watch on a quiet namespace would be
/// cut and reported broken: each watch request asks the API server to end it after
/// [`watch_timeout`] of the keepalive interval, and the watcher resumes it at once from where it
/// was (no re-list, no [`WatchEvent::Broken`]).
pub async fn watch_pods(
    client: &kube::Client,
    namespace: &str,
    liveness: crate::exec::Liveness,
) -> Result<impl Stream<Item = WatchEvent> + Send + 'static, BrowseError> {
    watch_in(
        Api::namespaced(client.clone(), namespace),
        namespace,
        liveness,
    )
    .await
}

/// [`watch_pods`] across every namespace (`GET /api/v1/pods`, as `kubectl get pods -A`): each
/// summary carries its namespace. Needs the right to list pods cluster-wide; a 403 is the error.
pub async fn watch_all_pods(
    client: &kube::Client,
    liveness: crate::exec::Liveness,
) -> Result<impl Stream<Item = WatchEvent> + Send + 'static, BrowseError> {
    watch_in(Api::all(client.clone()), "(all namespaces)", liveness).await
}

/// How often a first list whose later page expired is started again before the watch fails.
const LIST_EXPIRED_RETRIES: u32 = 3;

/// The first list's later page was refused as too old (410 Expired).
fn list_expired(e: &watcher::Error) -> bool {
    matches!(e, watcher::Error::InitialListFailed(kube::Error::Api(s)) if s.code == 410)
}

async fn watch_in(
    api: Api<Pod>,
    namespace: &str,
    liveness: crate::exec::Liveness,
) -> Result<impl Stream<Item = WatchEvent> + Send + 'static, BrowseError> {
    let config = watcher::Config::default().timeout(watch_timeout(liveness));
    let mut events = watcher(api.clone(), config).default_backoff().boxed();
    let mut list = PodList::new();
    let mut first = Vec::new();
    let mut expired = 0;
    loop {
        match events.next().await {
            Some(Ok(event)) => {
                let done = matches!(event, watcher::Event::InitDone);
                first.extend(list.apply(event));
                if done {
                    break;
                }
            }
            // A later page of a long list refused as too old (410: the pods changed faster than
            // the API server keeps their changes): the watcher lists again from the start, as
            // client-go's does.
            Some(Err(e)) if list_expired(&e) && expired < LIST_EXPIRED_RETRIES => {
                expired += 1;
                tracing::info!(namespace, "the pod list's next page expired; listing again");
            }
            Some(Err(e)) => return Err(e.into()),
            None => return Err(BrowseError::Ended),
        }
    }
    let list_capped = list.newly_capped();
    // While the watch is broken, a small list every few seconds tells when the server answers
    // again: a resumed watch says nothing until a pod changes.
    let broken_now = Arc::new(AtomicBool::new(false));
    let probe =
        futures_util::stream::unfold((api, broken_now.clone()), |(api, broken)| async move {
            loop {
                tokio::time::sleep(PROBE_EVERY).await;
                if broken.load(Ordering::SeqCst)
                    && api.list(&ListParams::default().limit(1)).await.is_ok()
                {
                    return Some((Step::Answered, (api, broken)));
                }
            }
        });
    let ns = namespace.to_string();
    let steps = futures_util::stream::select(events.map(|e| Step::Watch(Box::new(e))), probe);
    let rest = steps
        .scan((list, None::<String>), move |(list, broken), step| {
            let mut out = Vec::new();
            match step {
                Step::Watch(e) => match *e {
                    Ok(event) => {
                        if broken.take().is_some() {
                            tracing::info!(namespace = %ns, "pod watch is back");
                            out.push(WatchEvent::Resumed);
                        }
                        let changes = list.apply(event);
                        if !changes.is_empty() {
                            out.push(WatchEvent::Changes(changes));
                        }
                        if list.newly_capped() {
                            out.push(WatchEvent::Capped { limit: MAX_PODS });
                        }
                    }
                    Err(e) => {
                        let e = BrowseError::from(e);
                        let reason = e.to_string();
                        tracing::warn!(namespace = %ns, "pod watch broke, retrying: {reason}");
                        if broken.as_deref() != Some(reason.as_str()) {
                            *broken = Some(reason.clone());
                            out.push(WatchEvent::Broken {
                                reason,
                                credentials_refused: e.credentials_refused(),
                            });
                        }
                    }
                },
                Step::Answered => {
                    if broken.take().is_some() {
                        tracing::info!(namespace = %ns, "the API server answers again");
                        out.push(WatchEvent::Resumed);
                    }
                }
            }
            broken_now.store(broken.is_some(), Ordering::SeqCst);
            futures_util::future::ready(Some(futures_util::stream::iter(out)))
        })
        .flatten();
    let mut first = in_batches(first);
    if list_capped {
        first.push(WatchEvent::Capped { limit: MAX_PODS });
    }
    Ok(futures_util::stream::iter(first).chain(rest))
}

/// The most pod changes of the first list in one [`WatchEvent::Changes`]: about 300 bytes of
/// JSON a pod, so a message stays near a megabyte however long the list.
pub const FIRST_LIST_BATCH: usize = 4000;

/// `changes` as [`WatchEvent::Changes`] of at most [`FIRST_LIST_BATCH`] each, in order.
fn in_batches(mut changes: Vec<PodChange>) -> Vec<WatchEvent> {
    let mut out = Vec::new();
    while !changes.is_empty() {
        let rest = changes.split_off(changes.len().min(FIRST_LIST_BATCH));
        out.push(WatchEvent::Changes(std::mem::replace(&mut changes, rest)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).expect("pod")
    }

    #[test]
    fn a_list_holds_its_cap_of_pods_and_says_once_that_it_left_some_out() {
        let mut l = PodList::with_cap(3);
        let apply = |l: &mut PodList, name: &str, restarts: i32| {
            l.apply(watcher::Event::Apply(web(name, restarts)))
        };
        for n in 0..3 {
            assert_eq!(apply(&mut l, &format!("web-{n}"), 0).len(), 1);
        }
        assert!(!l.newly_capped());
        // A fourth is left out, and said once.
        assert!(apply(&mut l, "web-3", 0).is_empty());
        assert!(apply(&mut l, "web-4", 0).is_empty());
        assert!(l.newly_capped());
        assert!(!l.newly_capped());
        // Pods it holds still change, and go.
        let changed = apply(&mut l, "web-1", 5);
        assert_eq!(changed[0].kind, ChangeKind::Modified);
        l.apply(watcher::Event::Delete(web("web-0", 0)));
        // Room again: the next new one is held.
        assert_eq!(apply(&mut l, "web-5", 0)[0].kind, ChangeKind::Added);
        assert_eq!(l.shown.len(), 3);
        assert_eq!(PodList::new().cap, MAX_PODS);

        // A re-list at the cap: the pods gone while the watch was down make room for those
        // left out before, and a list that repeats a pod holds it once.
        let names = |c: Vec<PodChange>| -> Vec<(ChangeKind, String)> {
            c.into_iter().map(|c| (c.kind, c.pod.name)).collect()
        };
        assert!(l.apply(watcher::Event::Init).is_empty());
        for name in ["web-5", "web-3", "web-3", "web-4", "web-6"] {
            assert!(l.apply(watcher::Event::InitApply(web(name, 0))).is_empty());
        }
        assert_eq!(
            names(l.apply(watcher::Event::InitDone)),
            [
                (ChangeKind::Deleted, "web-1".into()),
                (ChangeKind::Deleted, "web-2".into()),
                (ChangeKind::Added, "web-3".into()),
                (ChangeKind::Added, "web-4".into()),
            ]
        );
        let mut held: Vec<&String> = l.shown.values().map(|p| &p.name).collect();
        held.sort();
        assert_eq!(held, ["web-3", "web-4", "web-5"]);
    }

    #[test]
    fn a_first_list_goes_out_in_few_batches_in_order() {
        let added = |n: usize| PodChange {
            kind: ChangeKind::Added,
            pod: PodSummary::from_pod(&web(&format!("web-{n:05}"), 0)),
        };
        let sizes = |n: usize| -> Vec<usize> {
            in_batches((0..n).map(added).collect())
                .iter()
                .map(|e| match e {
                    WatchEvent::Changes(c) => c.len(),
                    other => panic!("not changes: {other:?}"),
                })
                .collect()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(FIRST_LIST_BATCH), [FIRST_LIST_BATCH]);
        assert_eq!(
            sizes(FIRST_LIST_BATCH * 2 + 1),
            [FIRST_LIST_BATCH, FIRST_LIST_BATCH, 1]
        );
        let names: Vec<String> = in_batches((0..FIRST_LIST_BATCH + 2).map(added).collect())
            .into_iter()
            .flat_map(|e| match e {
                WatchEvent::Changes(c) => c,
                _ => vec![],
            })
            .map(|c| c.pod.name)
            .collect();
        let want: Vec<String> = (0..FIRST_LIST_BATCH + 2)
            .map(|n| format!("web-{n:05}"))
            .collect();
        assert_eq!(names, want);
    }

    fn web(name: &str, restarts: i32) -> Pod {
        pod(serde_json::json!({
            "metadata": { "name": name, "namespace": "demo", "creationTimestamp": "2026-01-02T03:04:05Z" },
            "spec": { "containers": [{ "name": "web" }] },
            "status": { "phase": "Running", "containerStatuses": [
                { "name": "web", "ready": true, "restartCount": restarts, "image": "i", "imageID": "" }
            ] },
        }))
    }

    #[test]
    fn summary_as_kubectl_get_pods_shows_it() {
        let p = pod(serde_json::json!({
            "metadata": {
                "name": "multi", "namespace": "demo",
                "creationTimestamp": "2026-01-02T03:04:05Z",
                "deletionTimestamp": "2026-01-02T04:00:00Z",
                "annotations": { "kubectl.kubernetes.io/default-container": "sidecar" },
            },
            "spec": { "containers": [
                        { "name": "app", "ports": [
                            { "name": "http", "containerPort": 8080 },
                            { "name": "dns", "containerPort": 53, "protocol": "UDP" },
                            { "containerPort": 70000 }] },
                        { "name": "sidecar", "ports": [{ "containerPort": 9090, "protocol": "TCP" }] }],
                      "nodeName": "node-7",
                      "ephemeralContainers": [{ "name": "debugger-x2k9p", "image": "busybox" }] },
            "status": { "phase": "Running", "podIP": "10.1.2.3",
                "podIPs": [{ "ip": "10.1.2.3" }, { "ip": "fd00::3" }], "containerStatuses": [
                { "name": "app", "ready": true, "restartCount": 2, "image": "i", "imageID": "" },
                { "name": "sidecar", "ready": false, "restartCount": 1, "image": "i", "imageID": "" },
            ] },
        }));
        assert_eq!(
            PodSummary::from_pod(&p),
            PodSummary {
                name: "multi".into(),
                namespace: "demo".into(),
                phase: "Running".into(),
                ready: "1/2".into(),
                restarts: 3,
                created_at: "2026-01-02T03:04:05Z".into(),
                containers: vec!["app".into(), "sidecar".into()],
                ephemeral_containers: vec!["debugger-x2k9p".into()],
                default_container: "sidecar".into(),
                terminating: true,
                owner: None,
                reason: Some("terminating".into()),
                node: Some("node-7".into()),
                ips: vec!["10.1.2.3".into(), "fd00::3".into()],
                // TCP only, each a port number (70000 is none).
                ports: vec![
                    DeclaredPort {
                        container: "app".into(),
                        name: Some("http".into()),
                        port: 8080
                    },
                    DeclaredPort {
                        container: "sidecar".into(),
                        name: None,
                        port: 9090
                    },
                ],
            }
        );
        // A server that declares thousands: the summary keeps the first few.
        let many: Vec<_> = (1..=5000)
            .map(|n| serde_json::json!({ "containerPort": n }))
            .collect();
        let crowded = PodSummary::from_pod(&pod(serde_json::json!({
            "metadata": { "name": "c" },
            "spec": { "containers": [{ "name": "app", "ports": many }] },
        })));
        assert_eq!(crowded.ports.len(), MAX_PORTS);
        // A hostile server's names and words: escaped (no control character or bidi override
        // reaches the page) and cut; a real server's pass unchanged.
        let hostile = PodSummary::from_pod(&pod(serde_json::json!({
            "metadata": { "name": "x\u{1b}]0;pwned\u{7}\u{202e}gnp", "namespace": "n".repeat(5000) },
            "spec": { "containers": [{ "name": "c\u{1b}[2J" }], "nodeName": "node\u{202e}" },
            "status": { "phase": "Pending", "containerStatuses": [{ "name": "c\u{1b}[2J", "ready": false, "restartCount": 0, "image": "i", "imageID": "", "state": { "waiting": { "reason": "ErrImagePull\u{1b}[31m" } } }] },
        })));
        let texts = [&hostile.name, &hostile.namespace, &hostile.containers[0]]
            .into_iter()
            .chain(hostile.node.as_ref())
            .chain(hostile.reason.as_ref());
        for t in texts {
            assert!(
                !t.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{t:?}"
            );
        }
        assert!(
            hostile
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("\\x1b[31m")),
            "{:?}",
            hostile.reason
        );
        assert!(
            hostile.name.starts_with("x\\x1b]0;pwned"),
            "{}",
            hostile.name
        );
        assert!(hostile.namespace.len() < 400, "{}", hostile.namespace.len());
        assert_eq!(hostile.containers, ["c\\x1b[2J"]);
        // Only the single podIP (an older API server): that one.
        let single = PodSummary::from_pod(&pod(serde_json::json!({
            "metadata": { "name": "s" }, "status": { "podIP": "10.9.9.9" },
        })));
        assert_eq!(single.ips, ["10.9.9.9"]);
        // A Pending pod says why, as kubectl's STATUS column would.
        let pending = PodSummary::from_pod(&pod(serde_json::json!({
            "metadata": { "name": "p", "namespace": "demo" },
            "spec": { "containers": [{ "name": "app" }] },
            "status": { "phase": "Pending", "containerStatuses": [
                { "name": "app", "ready": false, "restartCount": 0, "image": "i", "imageID": "",
                  "state": { "waiting": { "reason": "ImagePullBackOff" } } },
            ] },
        })));
        assert_eq!(pending.reason.as_deref(), Some("Pending: ImagePullBackOff"));
        let running = PodSummary::from_pod(&pod(serde_json::json!({
            "metadata": { "name": "r", "namespace": "demo" },
            "spec": { "containers": [{ "name": "app" }] },
            "status": { "phase": "Running", "conditions": [{ "type": "Ready", "status": "True" }] },
        })));
        assert_eq!(running.reason, None);
        let bare = PodSummary::from_pod(&pod(serde_json::json!({ "metadata": { "name": "x" } })));
        assert_eq!(bare.phase, "Unknown");
        assert_eq!(bare.ready, "0/0");
        assert_eq!(bare.default_container, "");
        assert_eq!(bare.created_at, "");
        assert_eq!((bare.node, bare.ips), (None, Vec::<String>::new()));
    }

    #[test]
    fn the_owner_is_the_controller_reference() {
        let owned = |refs: serde_json::Value| {
            PodSummary::from_pod(&pod(serde_json::json!({
                "metadata": { "name": "web-abc-1", "ownerReferences": refs },
            })))
            .owner
        };
        let r = |kind: &str, name: &str, controller: Option<bool>| {
            let mut v = serde_json::json!({
                "apiVersion": "apps/v1", "kind": kind, "name": name, "uid": "u",
            });
            if let Some(c) = controller {
                v["controller"] = serde_json::json!(c);
            }
            v
        };
        // A Deployment's pod names its ReplicaSet, not the Deployment.
        assert_eq!(
            owned(serde_json::json!([r("ReplicaSet", "web-abc", Some(true))])),
            Some(PodOwner {
                kind: "ReplicaSet".into(),
                name: "web-abc".into()
            })
        );
        assert_eq!(
            owned(serde_json::json!([
                r("DaemonSet", "not-the-controller", None),
                r("StatefulSet", "db", Some(true)),
            ])),
            Some(PodOwner {
                kind: "StatefulSet".into(),
                name: "db".into()
            })
        );
        assert_eq!(
            owned(serde_json::json!([r("ReplicaSet", "x", Some(false))])),
            None,
            "only a controller reference counts"
        );
        assert_eq!(owned(serde_json::json!([])), None);
        assert_eq!(web("bare", 0).metadata.owner_references, None);
        assert_eq!(PodSummary::from_pod(&web("bare", 0)).owner, None);
    }

    #[test]
    fn summaries_and_changes_keep_the_app_s_json_shape() {
        let mut s = PodSummary::from_pod(&web("a", 2));
        s.owner = Some(PodOwner {
            kind: "ReplicaSet".into(),
            name: "a-1".into(),
        });
        let change = PodChange {
            kind: ChangeKind::Modified,
            pod: s,
        };
        let json = serde_json::to_value(&change).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "type": "Modified",
                "pod": {
                    "name": "a", "namespace": "demo", "phase": "Running", "ready": "1/1",
                    "restarts": 2, "createdAt": "2026-01-02T03:04:05Z", "containers": ["web"], "ephemeralContainers": [],
                    "defaultContainer": "web", "terminating": false,
                    "owner": { "kind": "ReplicaSet", "name": "a-1" }, "reason": null,
                    "node": null, "ips": [], "ports": [],
                },
            })
        );
        assert_eq!(
            serde_json::from_value::<PodChange>(json).expect("back"),
            change
        );
        let bare = serde_json::to_value(PodSummary::from_pod(&web("b", 0))).expect("json");
        assert_eq!(bare["owner"], serde_json::Value::Null);
    }

    #[test]
    fn relist_reports_vanished_pods_and_skips_unchanged_ones() {
        let mut l = PodList::new();
        let kinds = |c: Vec<PodChange>| -> Vec<(ChangeKind, String)> {
            c.into_iter().map(|c| (c.kind, c.pod.name)).collect()
        };
        assert!(l.apply(watcher::Event::Init).is_empty());
        // A list is told once it is read whole.
        assert!(l.apply(watcher::Event::InitApply(web("b", 0))).is_empty());
        assert!(l.apply(watcher::Event::InitApply(web("a", 0))).is_empty());
        assert_eq!(
            kinds(l.apply(watcher::Event::InitDone)),
            [
                (ChangeKind::Added, "a".into()),
                (ChangeKind::Added, "b".into())
            ]
        );
        assert_eq!(
            kinds(l.apply(watcher::Event::Apply(web("a", 1)))),
            [(ChangeKind::Modified, "a".into())]
        );
        assert!(
            l.apply(watcher::Event::Apply(web("a", 1))).is_empty(),
            "an unchanged pod is not repeated"
        );
        // The watch broke; the re-list no longer has b, and c is new.
        assert!(l.apply(watcher::Event::Init).is_empty());
        assert!(l.apply(watcher::Event::InitApply(web("a", 1))).is_empty());
        assert!(l.apply(watcher::Event::InitApply(web("c", 0))).is_empty());
        assert_eq!(
            kinds(l.apply(watcher::Event::InitDone)),
            [
                (ChangeKind::Deleted, "b".into()),
                (ChangeKind::Added, "c".into())
            ]
        );
        assert_eq!(
            kinds(l.apply(watcher::Event::Delete(web("c", 0)))),
            [(ChangeKind::Deleted, "c".into())]
        );
    }
}
