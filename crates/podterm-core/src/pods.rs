//! Finding where to run: a pod by name, or the newest Ready pod of a workload or selector; the
//! container as kubectl picks it; kubectl's refusal of completed pods.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ContainerStatus, Namespace, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{Api, ListParams, WatchParams};

use crate::cluster::ApiError;

/// Why no pod or container could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum PodError {
    /// The API server refused, failed or could not be reached (kubectl's words for each).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The pod has finished (`Succeeded` or `Failed`); kubectl refuses it in these words.
    #[error("cannot exec into a container in a completed pod; current phase is {0}")]
    Completed(String),
    /// The same, for an attach (kubectl's words for it).
    #[error("cannot attach a container in a completed pod; current phase is {0}")]
    CompletedAttach(String),
    /// As kubectl words it (1.33 and later check before asking the server).
    #[error("container {container} is not valid for pod {pod} out of: {containers}")]
    NoSuchContainer {
        container: String,
        pod: String,
        /// The pod's containers, comma-separated.
        containers: String,
    },
    /// The pod's spec lists no containers.
    #[error("pod {0} has no containers")]
    NoContainers(String),
    /// A workload or selector matched pods, none of them Ready.
    #[error("no Ready pod for {target} in namespace {namespace}: {detail}")]
    NoneReady {
        target: String,
        namespace: String,
        /// Each pod and why it is not Ready.
        detail: String,
        /// One of them crashes as it starts: a copy of it can be debugged (`debug --copy-to`).
        /// Boxed: errors that carry this one stay small.
        crashing: Option<Box<Crashing>>,
    },
    /// The target text cannot be used (not `TYPE/NAME`, a kind that has no pods, no selector).
    #[error("{0}")]
    BadTarget(String),
    /// A Service with no selector finds no pods: kubectl's words for exec, attach and
    /// port-forward (`logs` says `cannot get the logs from *v1.Service: …`).
    #[error("cannot attach to *v1.Service: invalid service '{0}': Service is defined without a selector")]
    ServiceWithoutSelector(String),
}

impl PodError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        matches!(self, PodError::Api(e) if e.credentials_refused())
    }
}

impl From<kube::Error> for PodError {
    fn from(e: kube::Error) -> Self {
        PodError::Api(e.into())
    }
}

/// What the user named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodTarget {
    Pod(String),
    Workload { kind: WorkloadKind, name: String },
    Selector(String),
}

/// What runs pods, and what kubectl takes wherever it takes one: a Service is no workload,
/// but `kubectl exec`, `logs` and `port-forward` take `svc/NAME` for a pod its selector finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Service,
    /// batch/v1: `kubectl logs job/NAME` reads its pod, `exec job/NAME` runs in it.
    Job,
}

impl WorkloadKind {
    /// Every kind, in the order kubectl's help lists them.
    pub const ALL: [WorkloadKind; 6] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::ReplicaSet,
        WorkloadKind::Service,
        WorkloadKind::Job,
    ];

    /// The lower-case resource name kubectl prints (`deployment`, `statefulset`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSet => "daemonset",
            WorkloadKind::ReplicaSet => "replicaset",
            WorkloadKind::Service => "service",
            WorkloadKind::Job => "job",
        }
    }

    /// The object kind as in `ownerReferences` (`Deployment`, `StatefulSet`, ...).
    pub fn kind(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::Service => "Service",
            WorkloadKind::Job => "Job",
        }
    }

    /// The kind named by an owner reference of group `apps` (`kind` as in [`WorkloadKind::kind`]);
    /// a Service owns no pod, and a Job's pod is a pod of its own (it ends with its work: the
    /// next run is another Job's, not the same workload's).
    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| !matches!(k, WorkloadKind::Service | WorkloadKind::Job) && k.kind() == kind)
    }
}

impl std::fmt::Display for PodTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PodTarget::Pod(n) => write!(f, "pod/{n}"),
            PodTarget::Workload { kind, name } => write!(f, "{}/{name}", kind.as_str()),
            PodTarget::Selector(s) => write!(f, "pods with labels {s}"),
        }
    }
}

impl PodTarget {
    /// Parses `NAME`, `pod/NAME`, `deploy/NAME`, `sts/NAME`, `ds/NAME`, `rs/NAME`, `svc/NAME` (and
    /// the long and plural forms kubectl accepts).
    pub fn parse(text: &str) -> Result<Self, PodError> {
        let Some((kind, name)) = text.split_once('/') else {
            return if text.is_empty() {
                Err(PodError::BadTarget("a pod name is required".into()))
            } else {
                Ok(PodTarget::Pod(text.to_string()))
            };
        };
        if name.is_empty() || name.contains('/') {
            return Err(PodError::BadTarget(format!(
                "invalid target {text:?}: use TYPE/NAME"
            )));
        }
        // kubectl's forms: RESOURCE, RESOURCE.GROUP, RESOURCE.VERSION.GROUP (`deployment.apps`,
        // `deployments.v1.apps`, `pods.v1.`: the core group is empty).
        let lower = kind.to_ascii_lowercase();
        let mut parts = lower.splitn(3, '.');
        let resource = parts.next().unwrap_or_default();
        let group = match (parts.next(), parts.next()) {
            (None, _) => None,
            (Some(group), None) | (Some(_), Some(group)) => Some(group),
        };
        let kind = match (resource, group) {
            ("po" | "pod" | "pods", None | Some("")) => {
                return Ok(PodTarget::Pod(name.to_string()))
            }
            ("deploy" | "deployment" | "deployments", None | Some("apps")) => {
                WorkloadKind::Deployment
            }
            ("sts" | "statefulset" | "statefulsets", None | Some("apps")) => {
                WorkloadKind::StatefulSet
            }
            ("ds" | "daemonset" | "daemonsets", None | Some("apps")) => WorkloadKind::DaemonSet,
            ("rs" | "replicaset" | "replicasets", None | Some("apps")) => WorkloadKind::ReplicaSet,
            ("svc" | "service" | "services", None | Some("")) => WorkloadKind::Service,
            ("job" | "jobs", None | Some("batch")) => WorkloadKind::Job,
            // Said for exec, logs, debug and a favourite alike: not "exec into".
            _ => {
                let other = kind;
                return Err(PodError::BadTarget(format!(
                "{}/{}: {} is neither a pod nor a workload that runs pods: name a pod, deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME or svc/NAME",
                crate::text::shown(other),
                crate::text::shown(name),
                crate::text::shown(other)
            )));
            }
        };
        Ok(PodTarget::Workload {
            kind,
            name: name.to_string(),
        })
    }
}

/// The `spec.selector` of a workload as a label selector string (`matchLabels` and
/// `matchExpressions`), to list its pods by.
pub async fn workload_selector(
    client: &kube::Client,
    namespace: &str,
    kind: WorkloadKind,
    name: &str,
) -> Result<String, PodError> {
    async fn get<K>(
        client: &kube::Client,
        namespace: &str,
        name: &str,
        selector: impl FnOnce(K) -> Option<LabelSelector>,
    ) -> Result<Option<LabelSelector>, PodError>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
        K::DynamicType: Default,
    {
        match Api::<K>::namespaced(client.clone(), namespace)
            .get(name)
            .await
        {
            Ok(object) => Ok(selector(object)),
            Err(e) => Err(namespace_or(client, namespace, e).await.into()),
        }
    }
    let selector = match kind {
        WorkloadKind::Deployment => {
            get::<Deployment>(client, namespace, name, |o| o.spec.map(|s| s.selector)).await?
        }
        WorkloadKind::StatefulSet => {
            get::<StatefulSet>(client, namespace, name, |o| o.spec.map(|s| s.selector)).await?
        }
        WorkloadKind::DaemonSet => {
            get::<DaemonSet>(client, namespace, name, |o| o.spec.map(|s| s.selector)).await?
        }
        WorkloadKind::ReplicaSet => {
            get::<ReplicaSet>(client, namespace, name, |o| o.spec.map(|s| s.selector)).await?
        }
        WorkloadKind::Job => {
            get::<Job>(client, namespace, name, |o| o.spec.and_then(|s| s.selector)).await?
        }
        WorkloadKind::Service => {
            // A plain map of labels, not a LabelSelector; none is kubectl's refusal.
            let labels = get::<Service>(client, namespace, name, |o| {
                let labels = o.spec.and_then(|s| s.selector).filter(|m| !m.is_empty())?;
                Some(LabelSelector {
                    match_labels: Some(labels),
                    ..Default::default()
                })
            })
            .await?;
            if labels.is_none() {
                return Err(PodError::ServiceWithoutSelector(crate::text::shown(name)));
            }
            labels
        }
    };
    let target = PodTarget::Workload {
        kind,
        name: name.to_string(),
    };
    let text = match selector.map(kube::core::Selector::try_from) {
        Some(Ok(s)) => s.to_string(),
        Some(Err(e)) => {
            return Err(PodError::BadTarget(format!(
                "{target} has a selector podterm cannot read: {e}"
            )))
        }
        None => String::new(),
    };
    if text.is_empty() {
        return Err(PodError::BadTarget(format!(
            "{target} has no selector to find its pods by"
        )));
    }
    Ok(text)
}

/// A pod by name; one not found in a namespace that is not there either is the namespace's
/// answer ([`namespace_or`]).
pub async fn get_pod(client: &kube::Client, namespace: &str, name: &str) -> Result<Pod, PodError> {
    match Api::<Pod>::namespaced(client.clone(), namespace)
        .get(name)
        .await
    {
        Ok(pod) => Ok(pod),
        Err(e) => Err(namespace_or(client, namespace, e).await.into()),
    }
}

/// kubectl's second look when a named object is not found: a namespace that is not there is
/// the answer (`namespaces "X" not found`), not the object in it. Any other answer about the
/// namespace (there, or not to be read: a 403) leaves the object's own 404, as kubectl does;
/// so does a 404 that is not the API server's `Status` (a proxy's page, another service).
pub async fn namespace_or(client: &kube::Client, namespace: &str, e: kube::Error) -> ApiError {
    let not_found = |e: &kube::Error| matches!(e, kube::Error::Api(s) if s.code == 404 && s.reason == "NotFound");
    if !not_found(&e) {
        return e.into();
    }
    match Api::<Namespace>::all(client.clone()).get(namespace).await {
        Err(ns) if not_found(&ns) => ns.into(),
        _ => e.into(),
    }
}

/// The workload to look in for the next pod of one owned by `owner`: a ReplicaSet's Deployment
/// (the ReplicaSet is read; a rollout replaces it, not the Deployment), else the owner itself;
/// `None` for an owner that is no workload (a Node) or a ReplicaSet that is gone.
pub async fn workload_of(
    client: &kube::Client,
    namespace: &str,
    owner: &crate::browse::PodOwner,
) -> Result<Option<PodTarget>, PodError> {
    let Some(kind) = WorkloadKind::from_kind(&owner.kind) else {
        return Ok(None);
    };
    if kind != WorkloadKind::ReplicaSet {
        return Ok(Some(PodTarget::Workload {
            kind,
            name: owner.name.clone(),
        }));
    }
    let rs = match Api::<ReplicaSet>::namespaced(client.clone(), namespace)
        .get_opt(&owner.name)
        .await
    {
        Ok(Some(rs)) => rs,
        Ok(None) => return Ok(None),
        Err(e) => return Err(PodError::Api(e.into())),
    };
    let deployment = rs
        .metadata
        .owner_references
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.controller == Some(true) && r.kind == "Deployment");
    Ok(Some(PodTarget::Workload {
        kind: deployment
            .as_ref()
            .map_or(WorkloadKind::ReplicaSet, |_| WorkloadKind::Deployment),
        name: deployment.map_or(owner.name.clone(), |d| d.name),
    }))
}

/// Finds the pod a target means now.
pub async fn resolve(
    client: &kube::Client,
    namespace: &str,
    target: &PodTarget,
) -> Result<Pod, PodError> {
    if let PodTarget::Pod(name) = target {
        return get_pod(client, namespace, name).await;
    }
    let pods = matching(client, namespace, target).await?;
    resolve_picked(target, namespace, pods)
}

/// The pod to run a command in or attach to ([`resolve_to_run`]).
#[derive(Debug, Clone)]
pub struct ToRun {
    pub pod: Pod,
    /// Set when no pod of the workload or selector was Ready and this one, whose containers all
    /// run, was taken instead (as kubectl takes it): a line saying so, to show as a note
    /// (escaped, [`unready_note`]).
    pub unready: Option<String>,
}

/// The note said when a pod that is not Ready was taken: `No Ready pod for deployment/web;
/// using web-abc (not Ready: container web not ready)`. The pod's name and reason are the
/// server's words: shown escaped and cut.
pub fn unready_note(target: &PodTarget, pod: &Pod) -> String {
    crate::text::shown(&format!(
        "No Ready pod for {target}; using {} ({})",
        pod.metadata.name.as_deref().unwrap_or("?"),
        not_ready_reason(pod)
    ))
}

/// What a pod that is not Ready must run to be taken ([`resolve_to_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs<'a> {
    /// The container a command runs in (`None`: the pod's default one): exec and attach.
    Container(Option<&'a str>),
    /// The pod (`Running`) with any container running: a port-forward, which reaches a port of
    /// any of them, as kubectl's takes a Running pod (forwarding to a sidecar's port while the
    /// main container crashes is one way to look into it). One with none running is not taken
    /// (kubectl's would be refused at each connection): the error names the crash, and the
    /// copy that gets a shell.
    Pod,
}

/// Finds the pod to exec in or attach to (or forward to) now: as [`resolve`], but when a
/// workload or selector has no Ready pod, one that [`Runs`] what is needed ([`runs_unready`])
/// is taken, with a note: the one restarted least, the newest of those. A readiness probe that
/// fails is what one execs in to find out why; kubectl's exec and attach take a pod that is not
/// Ready too (not always the same one: kubectl takes the oldest of those restarted least).
/// Nothing running (pending, crashing, terminating, finished) is still
/// [`PodError::NoneReady`], naming each pod and why.
pub async fn resolve_to_run(
    client: &kube::Client,
    namespace: &str,
    target: &PodTarget,
    needs: Runs<'_>,
) -> Result<ToRun, PodError> {
    if let PodTarget::Pod(name) = target {
        let pod = get_pod(client, namespace, name).await?;
        return Ok(ToRun { pod, unready: None });
    }
    let pods = matching(client, namespace, target).await?;
    let fallback = best_running_unready(&pods, needs);
    match (resolve_picked(target, namespace, pods), fallback) {
        (Ok(pod), _) => Ok(ToRun { pod, unready: None }),
        (Err(_), Some(pod)) => Ok(unready_to_run(target, pod)),
        (Err(e), None) => Err(e),
    }
}

/// The newest Ready pod of `pods`, else [`PodError::NoneReady`] for `target`.
fn resolve_picked(target: &PodTarget, namespace: &str, pods: Vec<Pod>) -> Result<Pod, PodError> {
    let crashing = crashing(&pods);
    pick_newest_ready(pods).map_err(|detail| PodError::NoneReady {
        target: target.to_string(),
        namespace: namespace.to_string(),
        // Pod names and the reasons their statuses give: the server's words.
        detail: crate::text::shown(&detail),
        crashing,
    })
}

/// `pod`, not Ready, taken for `target`, with the note that says so.
fn unready_to_run(target: &PodTarget, pod: Pod) -> ToRun {
    ToRun {
        unready: Some(unready_note(target, &pod)),
        pod,
    }
}

/// Whether a pod that is not Ready still runs what `needs` names: the pod not terminating and
/// `Running`, and for [`Runs::Container`] that container (else the pod's default,
/// [`choose_container`]) in the state `running`. A readiness probe that fails, or has not passed
/// yet, or a sidecar that crashes beside it; not a container waiting (crashing, being created),
/// ended, or with no status.
pub fn runs_unready(p: &Pod, needs: Runs<'_>) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && !is_ready(p)
        && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
        && match needs {
            Runs::Container(container) => status_of(p, container).is_some_and(running),
            Runs::Pod => p
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_deref())
                .is_some_and(|all| all.iter().any(running)),
        }
}

fn running(c: &ContainerStatus) -> bool {
    c.state.as_ref().is_some_and(|s| s.running.is_some())
}

/// The status of `container` (else the pod's default container).
fn status_of<'a>(p: &'a Pod, container: Option<&str>) -> Option<&'a ContainerStatus> {
    let (name, _) = choose_container(p, container).ok()?;
    p.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == name)
}

/// Of `pods` that [`runs_unready`], the one whose container has restarted least (one that
/// crashes but was caught running ends soon), the newest of those. For [`Runs::Pod`]: the one
/// with most containers running, then fewest restarts of all of them.
pub(crate) fn best_running_unready(pods: &[Pod], needs: Runs<'_>) -> Option<Pod> {
    let rank = |p: &Pod| -> (std::cmp::Reverse<usize>, i64) {
        match needs {
            Runs::Container(container) => (
                std::cmp::Reverse(0),
                status_of(p, container).map_or(0, |c| i64::from(c.restart_count)),
            ),
            Runs::Pod => {
                let all = p
                    .status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_deref())
                    .unwrap_or_default();
                (
                    std::cmp::Reverse(all.iter().filter(|c| running(c)).count()),
                    all.iter().map(|c| i64::from(c.restart_count)).sum(),
                )
            }
        }
    };
    pods.iter()
        .filter(|p| runs_unready(p, needs))
        .min_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| newest_first(a, b)))
        .cloned()
}

/// As [`resolve`], waiting up to `wait` for a workload or selector to have a Ready pod when it
/// has none now (after a rollout, a scale from zero). `on_wait` is told once, with what there
/// is now, when the wait starts. A pod named by name is not waited for (kubectl's
/// `--pod-running-timeout` neither).
pub async fn resolve_waiting(
    client: &kube::Client,
    namespace: &str,
    target: &PodTarget,
    wait: std::time::Duration,
    on_wait: impl FnOnce(&str),
) -> Result<Pod, PodError> {
    let found = waiting(client, namespace, target, wait, on_wait, None).await?;
    Ok(found.pod)
}

/// As [`resolve_waiting`] for exec and attach: when the time is up with no pod Ready, one whose
/// `container` runs is taken, with a note ([`resolve_to_run`]). A pod that runs but is not yet
/// Ready (just rolled out) is waited for first.
pub async fn resolve_waiting_to_run(
    client: &kube::Client,
    namespace: &str,
    target: &PodTarget,
    needs: Runs<'_>,
    wait: std::time::Duration,
    on_wait: impl FnOnce(&str),
) -> Result<ToRun, PodError> {
    waiting(client, namespace, target, wait, on_wait, Some(needs)).await
}

/// [`resolve_waiting`]; with `unready_too` (what a pod not Ready must run)
/// [`resolve_waiting_to_run`].
async fn waiting(
    client: &kube::Client,
    namespace: &str,
    target: &PodTarget,
    wait: std::time::Duration,
    on_wait: impl FnOnce(&str),
    unready_too: Option<Runs<'_>>,
) -> Result<ToRun, PodError> {
    let selector = match target {
        PodTarget::Pod(_) if unready_too.is_some() => {
            return resolve_to_run(client, namespace, target, Runs::Container(None)).await
        }
        PodTarget::Pod(_) => {
            let pod = resolve(client, namespace, target).await?;
            return Ok(ToRun { pod, unready: None });
        }
        PodTarget::Selector(s) => s.clone(),
        PodTarget::Workload { kind, name } => {
            workload_selector(client, namespace, *kind, name).await?
        }
    };
    let mut last_crashing = None;
    let mut last_unready = None;
    let pick = |pods: Vec<Pod>| {
        last_crashing = crashing(&pods);
        if let Some(needs) = unready_too {
            last_unready = best_running_unready(&pods, needs);
        }
        pick_newest_ready(pods).map_err(|detail| crate::text::shown(&detail))
    };
    let found = watch_until(client, namespace, &selector, wait, pick, on_wait).await?;
    match (found, last_unready) {
        (Ok(pod), _) => Ok(ToRun { pod, unready: None }),
        (Err(_), Some(pod)) => Ok(unready_to_run(target, pod)),
        (Err(detail), None) => Err(PodError::NoneReady {
            target: target.to_string(),
            namespace: namespace.to_string(),
            detail: format!("{detail} (waited {})", crate::cluster::duration_words(wait)),
            crashing: last_crashing,
        }),
    }
}

/// Looks at the pods of `selector` until `pick` takes them or `wait` is over (counted from the
/// first look), watching them between looks (a look whenever one changes). `on_wait` is told
/// once, with what `pick` said of the first look, when the wait starts. `Err` with what `pick`
/// said of the last look when the time is up.
pub async fn watch_until<T>(
    client: &kube::Client,
    namespace: &str,
    selector: &str,
    wait: std::time::Duration,
    mut pick: impl FnMut(Vec<Pod>) -> Result<T, String>,
    on_wait: impl FnOnce(&str),
) -> Result<Result<T, String>, PodError> {
    use futures_util::StreamExt as _;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut deadline = None;
    let mut on_wait = Some(on_wait);
    loop {
        let list = pods.list(&ListParams::default().labels(selector)).await?;
        let version = list.metadata.resource_version.clone().unwrap_or_default();
        let detail = match pick(list.items) {
            Ok(taken) => return Ok(Ok(taken)),
            Err(detail) => detail,
        };
        let deadline = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + wait);
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Ok(Err(detail));
        }
        if let Some(f) = on_wait.take() {
            f(&detail);
        }
        // Until one of those pods changes (or the time is up); then a fresh look. At most five
        // looks a second, should the server end each watch at once.
        let next_look = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
        let params = WatchParams::default()
            .labels(selector)
            .timeout(u32::try_from(left.as_secs().max(1)).unwrap_or(u32::MAX));
        let changed = async {
            if let Ok(events) = pods.watch(&params, &version).await {
                let mut events = events.boxed();
                let _ = events.next().await;
            }
        };
        let _ = tokio::time::timeout_at(deadline, changed).await;
        tokio::time::sleep_until(next_look.min(deadline)).await;
    }
}

/// Every pod a target names now, Ready or not: the pod itself, or the pods of a workload's
/// selector or of a label selector (`podterm exec --all` runs in each of them).
pub async fn matching(
    client: &kube::Client,
    namespace: &str,
    target: &PodTarget,
) -> Result<Vec<Pod>, PodError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = match target {
        PodTarget::Pod(name) => return Ok(vec![get_pod(client, namespace, name).await?]),
        PodTarget::Selector(s) => s.clone(),
        PodTarget::Workload { kind, name } => {
            workload_selector(client, namespace, *kind, name).await?
        }
    };
    Ok(pods
        .list(&ListParams::default().labels(&selector))
        .await?
        .items)
}

/// A pod whose container crashes as it starts (waiting in `CrashLoopBackOff`): there is
/// nothing running to exec into, but a copy of the pod running a shell instead can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crashing {
    pub pod: String,
    pub container: String,
}

/// The newest pod (of those a target matched, not terminating) with a container crashing as it
/// starts; only names a command line can take as they are (a pod name a copy's name can extend).
pub fn crashing(pods: &[Pod]) -> Option<Box<Crashing>> {
    let mut live: Vec<&Pod> = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect();
    live.sort_by(|a, b| newest_first(a, b));
    let found = live.into_iter().find_map(|p| {
        let c = p
            .status
            .as_ref()?
            .container_statuses
            .as_ref()?
            .iter()
            .find(|c| crash_looping(p, &c.name))?;
        Some(Box::new(Crashing {
            pod: p.metadata.name.clone()?,
            container: c.name.clone(),
        }))
    })?;
    suggestable(&found).then_some(found)
}

/// `container` of the pod, when it crashes as it starts ([`crash_looping`]) and its names can
/// be suggested on a command line as they are.
pub fn crashing_container(pod: &Pod, container: &str) -> Option<Box<Crashing>> {
    let found = Box::new(Crashing {
        pod: pod.metadata.name.clone()?,
        container: container.to_string(),
    });
    (crash_looping(pod, container) && suggestable(&found)).then_some(found)
}

/// `container` of the pod and how it ended, when it has ended for good in a pod that runs on
/// ([`ended_state`]) and its names can be suggested on a command line as they are.
pub fn ended_container(pod: &Pod, container: &str) -> Option<(Box<Crashing>, String)> {
    let state = ended_state(pod, container)?;
    let found = Box::new(Crashing {
        pod: pod.metadata.name.clone()?,
        container: container.to_string(),
    });
    suggestable(&found).then_some((found, state))
}

/// Names a command line takes as they are (DNS names), and a pod name a copy's name can extend.
fn suggestable(c: &Crashing) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    plain(&c.pod) && c.pod.len() <= 240 && plain(&c.container)
}

/// The image of the pod's regular container `name` (empty when it has none).
pub fn container_image(pod: &Pod, name: &str) -> String {
    pod.spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .find(|c| c.name == name)
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

/// Whether `container` of the pod crashes as it starts: how its status says so. Waiting to be
/// started again (`CrashLoopBackOff`), or just ended again after it had been restarted before
/// (the kubelet's `Error`, briefly, before the back-off), in a pod that restarts it. Either way
/// there is no process to open a shell in until it runs again.
pub fn crash_state(pod: &Pod, container: &str) -> Option<String> {
    let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.clone());
    let status = pod
        .status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == container)?;
    let state = status.state.as_ref()?;
    if let Some(reason) = state.waiting.as_ref().and_then(|w| w.reason.as_deref()) {
        return (reason == "CrashLoopBackOff").then(|| reason.to_string());
    }
    let ended = state.terminated.as_ref()?;
    // Started again after this end: always, or (OnFailure) after a failure; never, never.
    let restarts = match policy.as_deref() {
        Some("Never") => false,
        Some("OnFailure") => ended.exit_code != 0,
        _ => true,
    };
    (restarts && status.restart_count > 0)
        .then(|| crate::text::shown(ended.reason.as_deref().unwrap_or("Terminated")))
}

/// Whether `container` of the pod has ended for good in a pod that runs on (a Job's container
/// beside a sidecar): terminated, and the pod's `restartPolicy` never starts it again (`Never`;
/// `OnFailure` after a 0). How it ended (`Completed, exit code 0`), escaped.
pub fn ended_state(pod: &Pod, container: &str) -> Option<String> {
    // A pod being deleted is going anyway: nothing to say of one container.
    if pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let ended = pod
        .status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == container)?
        .state
        .as_ref()?
        .terminated
        .as_ref()?;
    let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref());
    let for_good = match policy {
        Some("Never") => true,
        Some("OnFailure") => ended.exit_code == 0,
        _ => false,
    };
    for_good.then(|| {
        let reason = ended.reason.as_deref().unwrap_or("Terminated");
        crate::text::shown(&format!("{reason}, exit code {}", ended.exit_code))
    })
}

/// Whether `container` of the pod crashes as it starts ([`crash_state`]).
pub fn crash_looping(pod: &Pod, container: &str) -> bool {
    crash_state(pod, container).is_some()
}

/// Whether a pod is Ready and not terminating.
pub fn is_ready(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Why a pod is not Ready, in a few words: `terminating`, `Pending: ContainerCreating`,
/// `Failed: Error`, `not Ready: container web not ready`,
/// `not Ready: container web waiting: CrashLoopBackOff`.
pub fn not_ready_reason(p: &Pod) -> String {
    if p.metadata.deletion_timestamp.is_some() {
        return "terminating".into();
    }
    let status = p.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Unknown");
    let init = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or_default();
    let main = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    if phase != "Running" {
        // What kubectl's STATUS column would show: an init container's state first.
        return match init.iter().chain(main).find_map(state_reason) {
            Some(reason) => format!("{phase}: {reason}"),
            None => phase.to_string(),
        };
    }
    let why: Vec<String> = main
        .iter()
        .filter(|c| !c.ready)
        .map(|c| match state_reason(c) {
            Some(reason) => {
                let state = if c.state.as_ref().is_some_and(|s| s.waiting.is_some()) {
                    "waiting"
                } else {
                    "terminated"
                };
                format!("container {} {state}: {reason}", c.name)
            }
            None => format!("container {} not ready", c.name),
        })
        .collect();
    if why.is_empty() {
        "not Ready".into()
    } else {
        format!("not Ready: {}", why.join("; "))
    }
}

/// The reason of a container that is waiting or has terminated.
fn state_reason(c: &ContainerStatus) -> Option<String> {
    let state = c.state.as_ref()?;
    state
        .waiting
        .as_ref()
        .and_then(|w| w.reason.clone())
        .or_else(|| state.terminated.as_ref().and_then(|t| t.reason.clone()))
        .filter(|r| !r.is_empty())
}

/// Pods newest first (by creation), then by name.
fn newest_first(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
    created(b)
        .cmp(&created(a))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// The newest Ready, non-terminating pod; else a description of what exists and why not.
pub fn pick_newest_ready(mut pods: Vec<Pod>) -> Result<Pod, String> {
    if pods.is_empty() {
        return Err("no pods match".into());
    }
    pods.sort_by(newest_first);
    if let Some(i) = pods.iter().position(is_ready) {
        return Ok(pods.swap_remove(i));
    }
    Err(pods
        .iter()
        .map(|p| {
            format!(
                "{} ({})",
                p.metadata.name.as_deref().unwrap_or("?"),
                not_ready_reason(p)
            )
        })
        .collect::<Vec<_>>()
        .join(", "))
}

/// The container to use: the requested one if the pod has it, else the
/// `kubectl.kubernetes.io/default-container` annotation, else the first with kubectl's note.
/// Returns the name and the note to print, if any.
pub fn choose_container(
    pod: &Pod,
    requested: Option<&str>,
) -> Result<(String, Option<String>), PodError> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let containers: Vec<&str> = pod
        .spec
        .as_ref()
        .map(|s| s.containers.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    if let Some(c) = requested {
        // An ephemeral container (a debug container) may be named too, as kubectl allows.
        let ephemeral = pod
            .spec
            .as_ref()
            .and_then(|s| s.ephemeral_containers.as_ref())
            .is_some_and(|l| l.iter().any(|e| e.name == c));
        return if containers.contains(&c) || ephemeral {
            Ok((c.to_string(), None))
        } else {
            Err(PodError::NoSuchContainer {
                container: c.to_string(),
                pod: crate::text::shown(&name),
                containers: crate::text::shown(&containers.join(", ")),
            })
        };
    }
    if let Some(annotated) = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
    {
        if containers.contains(&annotated.as_str()) {
            return Ok((annotated.clone(), None));
        }
    }
    let first = containers
        .first()
        .ok_or_else(|| PodError::NoContainers(crate::text::shown(&name)))?
        .to_string();
    // kubectl's note, said once the pod has any container besides the one chosen (init and
    // ephemeral ones too, marked as kubectl marks them). The names are the server's words:
    // shown escaped and cut, like its messages.
    let all = all_container_names(pod);
    let note = (all.len() > 1).then(|| {
        crate::text::shown(&format!(
            "Defaulted container \"{first}\" out of: {}",
            all.join(", ")
        ))
    });
    Ok((first, note))
}

/// Every container of the pod as kubectl lists them in its note: init containers
/// (`NAME (init)`), the containers, then ephemeral ones (`NAME (ephem)`).
fn all_container_names(pod: &Pod) -> Vec<String> {
    every_container(pod)
        .into_iter()
        .map(|(kind, name)| match kind {
            ContainerKind::Init => format!("{name} (init)"),
            ContainerKind::Main => name,
            ContainerKind::Ephemeral => format!("{name} (ephem)"),
        })
        .collect()
}

/// Which list of the pod's spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContainerKind {
    Init,
    Main,
    Ephemeral,
}

/// Every container of a pod in kubectl's order: init containers, the containers, then
/// ephemeral ones.
pub(crate) fn every_container(pod: &Pod) -> Vec<(ContainerKind, String)> {
    let Some(spec) = pod.spec.as_ref() else {
        return vec![];
    };
    let init = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| (ContainerKind::Init, c.name.clone()));
    let main = spec
        .containers
        .iter()
        .map(|c| (ContainerKind::Main, c.name.clone()));
    let ephemeral = spec
        .ephemeral_containers
        .iter()
        .flatten()
        .map(|c| (ContainerKind::Ephemeral, c.name.clone()));
    init.chain(main).chain(ephemeral).collect()
}

/// Whether the container `name` of `pod` was started with a terminal (`tty: true` in its
/// spec): only such a container's main process has one to attach to.
pub fn allocates_tty(pod: &Pod, name: &str) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    let main = spec.containers.iter().map(|c| (&c.name, c.tty));
    let init = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| (&c.name, c.tty));
    let ephemeral = spec
        .ephemeral_containers
        .iter()
        .flatten()
        .map(|c| (&c.name, c.tty));
    main.chain(init)
        .chain(ephemeral)
        .any(|(n, tty)| n == name && tty == Some(true))
}

/// kubectl refuses to exec into pods that have finished.
pub fn check_running(pod: &Pod) -> Result<(), PodError> {
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("");
    if phase == "Succeeded" || phase == "Failed" {
        return Err(PodError::Completed(crate::text::shown(phase)));
    }
    Ok(())
}

/// [`check_running`] for an attach, in kubectl's words for it.
pub fn check_attachable(pod: &Pod) -> Result<(), PodError> {
    check_running(pod).map_err(|e| match e {
        PodError::Completed(phase) => PodError::CompletedAttach(phase),
        other => other,
    })
}

/// Whether a session of the [`shell_command`] fallback failed because the container has no
/// shell. The container runtime says so only in words (`exec: "sh": executable file not found
/// in $PATH`, or `no such file or directory`): there is no status reason or code to go by. The
/// app's page reads the same words (`noShellEnd` in ui/src/terminal/tabs.ts).
pub fn no_shell(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("executable file not found") || m.contains("no such file or directory")
}

/// The shell fallback when the user gave no command.
pub fn shell_command() -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        "command -v bash >/dev/null && exec bash || exec sh".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn pod(name: &str, containers: &[&str], annotation: Option<&str>) -> Pod {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": name },
            "spec": { "containers": containers.iter().map(|c| serde_json::json!({"name": c})).collect::<Vec<_>>() },
        }))
        .expect("pod");
        if let Some(a) = annotation {
            p.metadata.annotations = Some(BTreeMap::from([(
                "kubectl.kubernetes.io/default-container".to_string(),
                a.to_string(),
            )]));
        }
        p
    }

    #[test]
    fn a_container_that_crashes_as_it_starts_is_told_by_its_status() {
        let with = |policy: &str, restarts: i32, state: serde_json::Value| -> Pod {
            serde_json::from_value(serde_json::json!({
                "metadata": { "name": "crashy" },
                "spec": { "restartPolicy": policy, "containers": [{ "name": "app" }] },
                "status": { "containerStatuses": [{
                    "name": "app", "image": "i", "imageID": "", "ready": false,
                    "restartCount": restarts, "state": state,
                }] },
            }))
            .expect("pod")
        };
        let backoff = serde_json::json!({ "waiting": { "reason": "CrashLoopBackOff" } });
        let ended = serde_json::json!({ "terminated": { "exitCode": 3, "reason": "Error" } });
        assert_eq!(
            crash_state(&with("Always", 4, backoff.clone()), "app").as_deref(),
            Some("CrashLoopBackOff")
        );
        // Just ended again, before the back-off: the kubelet's words for the end.
        assert_eq!(
            crash_state(&with("OnFailure", 1, ended.clone()), "app").as_deref(),
            Some("Error")
        );
        // Not (yet) a crash loop: its first end, a pod that never restarts it, another state,
        // another container.
        assert_eq!(crash_state(&with("Always", 0, ended.clone()), "app"), None);
        assert_eq!(crash_state(&with("Never", 2, ended), "app"), None);
        // OnFailure after a failure, then done: exit 0 is its end, not a crash.
        let completed =
            serde_json::json!({ "terminated": { "exitCode": 0, "reason": "Completed" } });
        assert_eq!(
            crash_state(&with("OnFailure", 1, completed.clone()), "app"),
            None
        );
        assert_eq!(
            crash_state(&with("Always", 1, completed), "app").as_deref(),
            Some("Completed")
        );
        let creating = serde_json::json!({ "waiting": { "reason": "ContainerCreating" } });
        assert_eq!(crash_state(&with("Always", 0, creating), "app"), None);
        let running = serde_json::json!({ "running": {} });
        assert_eq!(crash_state(&with("Always", 5, running), "app"), None);
        assert_eq!(crash_state(&with("Always", 4, backoff), "side"), None);
    }

    #[test]
    fn containers_chosen_as_kubectl_does() {
        assert_eq!(
            choose_container(&pod("p", &["a", "b"], Some("b")), None).expect("ok"),
            ("b".into(), None)
        );
        assert_eq!(
            choose_container(&pod("p", &["one", "two"], None), None).expect("ok"),
            (
                "one".into(),
                Some("Defaulted container \"one\" out of: one, two".into())
            )
        );
        assert_eq!(
            choose_container(&pod("p", &["only"], None), None).expect("ok"),
            ("only".into(), None)
        );
        // Init and ephemeral containers count, marked as kubectl marks them.
        let mut busy = pod("p", &["app"], None);
        let spec = busy.spec.as_mut().expect("spec");
        spec.init_containers = Some(vec![k8s_openapi::api::core::v1::Container {
            name: "setup".into(),
            ..Default::default()
        }]);
        spec.ephemeral_containers = Some(vec![k8s_openapi::api::core::v1::EphemeralContainer {
            name: "debugger-x".into(),
            ..Default::default()
        }]);
        assert_eq!(
            choose_container(&busy, None).expect("ok").1.as_deref(),
            Some("Defaulted container \"app\" out of: setup (init), app, debugger-x (ephem)")
        );
        assert_eq!(
            choose_container(&pod("p", &["a", "b"], Some("gone")), None)
                .expect("ok")
                .0,
            "a"
        );
        assert_eq!(
            choose_container(&pod("p", &["a"], None), Some("a"))
                .expect("ok")
                .0,
            "a"
        );
        let err = choose_container(&pod("p", &["a", "b"], None), Some("x")).expect_err("no x");
        assert_eq!(
            err.to_string(),
            "container x is not valid for pod p out of: a, b"
        );
    }

    #[test]
    fn targets_parse_like_kubectl() {
        assert_eq!(
            PodTarget::parse("web").expect("pod"),
            PodTarget::Pod("web".into())
        );
        assert_eq!(
            PodTarget::parse("pod/web").expect("pod"),
            PodTarget::Pod("web".into())
        );
        assert_eq!(
            PodTarget::parse("deploy/web").expect("deploy"),
            PodTarget::Workload {
                kind: WorkloadKind::Deployment,
                name: "web".into()
            }
        );
        assert_eq!(
            PodTarget::parse("sts/db").expect("sts"),
            PodTarget::Workload {
                kind: WorkloadKind::StatefulSet,
                name: "db".into()
            }
        );
        for (text, kind) in [
            ("deployment.apps/web", WorkloadKind::Deployment),
            ("deployments.v1.apps/web", WorkloadKind::Deployment),
            ("StatefulSet.apps/web", WorkloadKind::StatefulSet),
            ("ds.v1.apps/web", WorkloadKind::DaemonSet),
        ] {
            assert_eq!(
                PodTarget::parse(text).expect(text),
                PodTarget::Workload {
                    kind,
                    name: "web".into()
                }
            );
        }
        assert_eq!(
            PodTarget::parse("pods.v1./web").expect("core group"),
            PodTarget::Pod("web".into())
        );
        assert!(PodTarget::parse("deployment.batch/web").is_err());
        assert!(PodTarget::parse("pods.apps/web").is_err());
        assert!(PodTarget::parse("cronjob/web").is_err());
        assert!(PodTarget::parse("jobs.apps/web").is_err());
        for text in ["job/web", "jobs/web", "job.batch/web", "jobs.v1.batch/web"] {
            assert_eq!(
                PodTarget::parse(text).expect(text),
                PodTarget::Workload {
                    kind: WorkloadKind::Job,
                    name: "web".into()
                }
            );
        }
        assert!(PodTarget::parse("deploy/").is_err());
        assert!(PodTarget::parse("").is_err());
    }

    fn timed(name: &str, created: &str, ready: bool, deleting: bool) -> Pod {
        let mut v = serde_json::json!({
            "metadata": { "name": name, "creationTimestamp": created },
            "spec": { "containers": [{"name": "c"}] },
            "status": { "phase": "Running", "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}] },
        });
        if deleting {
            v["metadata"]["deletionTimestamp"] = serde_json::json!("2026-01-01T00:00:00Z");
        }
        serde_json::from_value(v).expect("pod")
    }

    #[test]
    fn newest_ready_non_terminating_pod_wins() {
        let pods = vec![
            timed("old", "2026-01-01T00:00:00Z", true, false),
            timed("newest-terminating", "2026-01-03T00:00:00Z", true, true),
            timed("new", "2026-01-02T00:00:00Z", true, false),
            timed("newest-unready", "2026-01-04T00:00:00Z", false, false),
        ];
        assert_eq!(
            pick_newest_ready(pods)
                .expect("pick")
                .metadata
                .name
                .as_deref(),
            Some("new")
        );
        let err = pick_newest_ready(vec![timed("a", "2026-01-01T00:00:00Z", false, false)])
            .expect_err("none");
        assert_eq!(err, "a (not Ready)");
    }

    #[test]
    fn with_none_ready_a_pod_whose_container_runs_is_taken_the_least_restarted_then_newest() {
        // `states`: each container's state and restart count; the spec lists c0, c1.
        let at =
            |name: &str, created: &str, phase: &str, states: &[(&str, i32)], deleting: bool| {
                let statuses: Vec<serde_json::Value> = states
                    .iter()
                    .enumerate()
                    .map(|(i, (st, restarts))| {
                        let state = match *st {
                            "running" => serde_json::json!({"running": {}}),
                            w => serde_json::json!({"waiting": {"reason": w}}),
                        };
                        serde_json::json!({"name": format!("c{i}"), "ready": false,
                        "restartCount": restarts, "image": "i", "imageID": "", "state": state})
                    })
                    .collect();
                let mut v = serde_json::json!({
                    "metadata": { "name": name, "creationTimestamp": created },
                    "spec": { "containers": [{"name": "c0"}, {"name": "c1"}] },
                    "status": { "phase": phase, "containerStatuses": statuses,
                        "conditions": [{"type": "Ready", "status": "False"}] },
                });
                if deleting {
                    v["metadata"]["deletionTimestamp"] = serde_json::json!("2026-01-09T00:00:00Z");
                }
                serde_json::from_value::<Pod>(v).expect("pod")
            };
        let run = ("running", 0);
        let old = at("old", "2026-01-01T00:00:00Z", "Running", &[run, run], false);
        let newer = at(
            "newer",
            "2026-01-02T00:00:00Z",
            "Running",
            &[run, run],
            false,
        );
        // Its sidecar crashes: c0 runs, so it can be exec'd in; c1 cannot.
        let sidecar = at(
            "sidecar",
            "2026-01-03T00:00:00Z",
            "Running",
            &[run, ("CrashLoopBackOff", 9)],
            false,
        );
        // Caught running between crashes: restarted more than the others.
        let flapping = at(
            "flapping",
            "2026-01-04T00:00:00Z",
            "Running",
            &[("running", 7), run],
            false,
        );
        let not_taken = [
            at(
                "pending",
                "2026-01-05T00:00:00Z",
                "Pending",
                &[("ContainerCreating", 0)],
                false,
            ),
            at(
                "crashing",
                "2026-01-05T00:00:00Z",
                "Running",
                &[("CrashLoopBackOff", 3), run],
                false,
            ),
            at(
                "going",
                "2026-01-05T00:00:00Z",
                "Running",
                &[run, run],
                true,
            ),
            // c0 has no status (not started yet).
            at("no-status", "2026-01-05T00:00:00Z", "Running", &[], false),
        ];
        for p in &not_taken {
            assert!(
                !runs_unready(p, Runs::Container(None)),
                "{:?}",
                p.metadata.name
            );
        }
        assert!(
            runs_unready(&sidecar, Runs::Container(None))
                && runs_unready(&sidecar, Runs::Container(Some("c0")))
        );
        assert!(!runs_unready(&sidecar, Runs::Container(Some("c1"))));
        // A container the pod does not have: nothing to run in.
        assert!(!runs_unready(&old, Runs::Container(Some("nope"))));
        let name = |p: Option<Pod>| p.and_then(|p| p.metadata.name);
        let mut pods = not_taken.to_vec();
        pods.extend([old.clone(), newer.clone(), flapping.clone()]);
        assert_eq!(
            name(best_running_unready(&pods, Runs::Container(None))).as_deref(),
            Some("newer")
        );
        pods.push(sidecar.clone());
        assert_eq!(
            name(best_running_unready(&pods, Runs::Container(None))).as_deref(),
            Some("sidecar")
        );
        // In c1: not the sidecar pod (its c1 crashes), but "crashing", whose c0 crashes and c1 runs.
        assert_eq!(
            name(best_running_unready(&pods, Runs::Container(Some("c1")))).as_deref(),
            Some("crashing")
        );
        assert_eq!(
            name(best_running_unready(
                std::slice::from_ref(&flapping),
                Runs::Container(None)
            ))
            .as_deref(),
            Some("flapping")
        );
        assert_eq!(
            best_running_unready(&not_taken, Runs::Container(None)),
            None
        );
        // A forward needs the pod Running with a container running, whichever: "crashing" (its
        // default c0 crashes) is taken too, not "no-status"; one with more running first.
        let needs_pod: Vec<&str> = not_taken
            .iter()
            .filter(|p| runs_unready(p, Runs::Pod))
            .filter_map(|p| p.metadata.name.as_deref())
            .collect();
        assert_eq!(needs_pod, ["crashing"]);
        assert_eq!(
            name(best_running_unready(&not_taken, Runs::Pod)).as_deref(),
            Some("crashing")
        );
        assert_eq!(
            name(best_running_unready(&pods, Runs::Pod)).as_deref(),
            Some("newer")
        );
        // A Ready pod is not "unready".
        let ready = timed("ready", "2026-01-01T00:00:00Z", true, false);
        assert!(!runs_unready(&ready, Runs::Container(None)));
        let target = PodTarget::Workload {
            kind: WorkloadKind::Deployment,
            name: "web".into(),
        };
        assert_eq!(
            unready_note(&target, &sidecar),
            "No Ready pod for deployment/web; using sidecar (not Ready: container c0 not ready; \
             container c1 waiting: CrashLoopBackOff)"
        );
        // The server's words are escaped.
        let hostile = at(
            "a\u{1b}[2Jb",
            "2026-01-01T00:00:00Z",
            "Running",
            &[run],
            false,
        );
        assert!(!unready_note(&target, &hostile).contains('\u{1b}'));
    }

    fn with_status(name: &str, status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": { "name": name },
            "spec": { "containers": [{"name": "app"}, {"name": "side"}] },
            "status": status,
        }))
        .expect("pod")
    }

    #[test]
    fn not_ready_reasons_say_what_kubectl_shows() {
        let creating = with_status(
            "a",
            serde_json::json!({"phase": "Pending", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 0, "image": "i", "imageID": "",
                 "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        );
        assert_eq!(not_ready_reason(&creating), "Pending: ContainerCreating");
        let init = with_status(
            "b",
            serde_json::json!({"phase": "Pending",
                "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                    "image": "i", "imageID": "", "state": {"waiting": {"reason": "PodInitializing"}}}],
                "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                    "image": "i", "imageID": "", "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        );
        assert_eq!(not_ready_reason(&init), "Pending: PodInitializing");
        assert_eq!(
            not_ready_reason(&with_status("c", serde_json::json!({"phase": "Pending"}))),
            "Pending"
        );
        let crashing = with_status(
            "d",
            serde_json::json!({"phase": "Running", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 3, "image": "i", "imageID": "",
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
                {"name": "side", "ready": false, "restartCount": 0, "image": "i", "imageID": "",
                 "state": {"running": {}}}]}),
        );
        assert_eq!(
            not_ready_reason(&crashing),
            "not Ready: container app waiting: CrashLoopBackOff; container side not ready"
        );
        assert_eq!(
            super::crashing(&[creating.clone(), crashing.clone()]),
            Some(Box::new(Crashing {
                pod: "d".into(),
                container: "app".into()
            }))
        );
        assert_eq!(super::crashing(std::slice::from_ref(&creating)), None);
        let failed = with_status(
            "e",
            serde_json::json!({"phase": "Failed", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 0, "image": "i", "imageID": "",
                 "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
        );
        assert_eq!(not_ready_reason(&failed), "Failed: Error");
        let mut terminating = crashing.clone();
        terminating.metadata.deletion_timestamp = timed("x", "2026-01-01T00:00:00Z", true, true)
            .metadata
            .deletion_timestamp;
        assert_eq!(not_ready_reason(&terminating), "terminating");
    }

    #[test]
    fn workload_kinds_name_themselves() {
        for k in WorkloadKind::ALL {
            let owner = (!matches!(k, WorkloadKind::Service | WorkloadKind::Job)).then_some(k);
            assert_eq!(WorkloadKind::from_kind(k.kind()), owner);
            assert_eq!(
                PodTarget::parse(&format!("{}/x", k.as_str())).expect("parse"),
                PodTarget::Workload {
                    kind: k,
                    name: "x".into()
                }
            );
        }
        assert_eq!(WorkloadKind::from_kind("Job"), None);
        // kubectl's names for a Service, in the core group only.
        for t in [
            "svc/web",
            "service/web",
            "services/web",
            "services.v1./web",
            "SVC/web",
        ] {
            assert_eq!(
                PodTarget::parse(t).expect(t),
                PodTarget::Workload {
                    kind: WorkloadKind::Service,
                    name: "web".into()
                },
                "{t}"
            );
        }
        assert!(PodTarget::parse("services.apps/web").is_err());
    }
}
