//! The cluster's objects (namespaces, pods, workloads), their resource versions and the event
//! history that watches replay, and their JSON as the API server renders it.

use crate::config::{ClusterSpec, PodSpec, WorkloadKind, WorkloadSpec};
use crate::selector::Selector;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::broadcast;
use tokio_util_lite::CancelToken;

/// How many pod events a watch can replay from. Each holds its pod's JSON (~9 KB in memory), and
/// the in-app Demo cluster runs for days: with 10,000 here and 4,096 in the live channel, pod
/// churn grew testcluster to ~130 MB before the bounds held (docs/architecture.md, "Memory over
/// long sessions"). A watch older than this gets 410 Gone and lists again, as from an API server.
const HISTORY: usize = 1024;
/// Events kept for live watchers that fall behind (the broadcast channel holds this many, read
/// or not); one further behind gets 410 Expired and starts again.
const LIVE_BUFFER: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// A change to a pod, with the pod as it was after the change.
#[derive(Debug, Clone)]
pub struct PodEvent {
    pub kind: EventType,
    pub rv: u64,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub fields: BTreeMap<String, String>,
    pub object: Value,
}

/// A pod as the server keeps it.
#[derive(Debug, Clone)]
pub struct Pod {
    pub spec: PodSpec,
    pub uid: String,
    pub created: Timestamp,
    pub rv: u64,
    pub deleting: Option<Timestamp>,
    pub restarts: Vec<u32>,
    pub ip: String,
    /// Cancelled when the pod is deleted: its sessions and processes end.
    pub life: CancelToken,
    /// Ephemeral containers added through `pods/{name}/ephemeralcontainers`, in order.
    pub ephemeral: Vec<Ephemeral>,
    /// For a pod a request created (`POST pods`): its spec as stored, defaults applied, served
    /// as it is (probes, security contexts and all), where a configured pod's is made up.
    pub posted: Option<Value>,
    /// Containers whose image cannot be pulled: they wait (`ErrImagePull`) and never start.
    pub unpullable: Vec<String>,
    /// For a created pod: the containers whose process has started. Until then each waits
    /// (`ContainerCreating`), so a client that waits for `running` finds its process there.
    pub started: Vec<String>,
    /// For a created pod: containers waiting to restart after their process exited
    /// (`CrashLoopBackOff`), and each container's last exit code.
    pub backoff: Vec<String>,
    /// Exit code, and the runtime's words when it could not start (`StartError`).
    pub last_exit: BTreeMap<String, (i32, Option<String>)>,
    /// For a created pod: containers that ended for good (`restartPolicy: Never`, or
    /// `OnFailure` after a 0), with their exit. Once all have, the pod is Succeeded or Failed.
    pub done: BTreeMap<String, (i32, Option<String>)>,
}

/// An ephemeral container: its spec as the API server stores it (defaults applied) and the state
/// the kubelet reports for it.
#[derive(Debug, Clone)]
pub struct Ephemeral {
    pub name: String,
    pub spec: Value,
    pub state: EphemeralState,
}

/// What `status.ephemeralContainerStatuses[].state` says. Ephemeral containers never restart.
#[derive(Debug, Clone, PartialEq)]
pub enum EphemeralState {
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Running {
        started: Timestamp,
    },
    Terminated {
        code: i32,
        reason: String,
        message: Option<String>,
        started: Timestamp,
        finished: Timestamp,
    },
}

impl EphemeralState {
    fn json(&self) -> Value {
        match self {
            EphemeralState::Waiting { reason, message } => {
                let mut w = json!({ "reason": reason });
                if let Some(m) = message {
                    w["message"] = json!(m);
                }
                json!({ "waiting": w })
            }
            EphemeralState::Running { started } => {
                json!({ "running": { "startedAt": ts(*started) } })
            }
            EphemeralState::Terminated {
                code,
                reason,
                message,
                started,
                finished,
            } => {
                let mut t = json!({
                    "exitCode": code,
                    "reason": reason,
                    "startedAt": ts(*started),
                    "finishedAt": ts(*finished),
                });
                if let Some(m) = message {
                    t["message"] = json!(m);
                }
                json!({ "terminated": t })
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Workload {
    spec: WorkloadSpec,
    uid: String,
    created: Timestamp,
    rv: u64,
}

#[derive(Debug, Clone)]
struct Namespace {
    uid: String,
    created: Timestamp,
    rv: u64,
}

struct Inner {
    rv: u64,
    next_ip: u32,
    namespaces: BTreeMap<String, Namespace>,
    pods: BTreeMap<(String, String), Pod>,
    workloads: BTreeMap<(WorkloadKind, String, String), Workload>,
    /// Services by (namespace, name): the object as served, and when it was made.
    services: BTreeMap<(String, String), (Value, Timestamp)>,
    history: VecDeque<PodEvent>,
}

/// Everything the API serves, behind one lock.
pub struct Store {
    inner: Mutex<Inner>,
    events: broadcast::Sender<PodEvent>,
}

/// A watch that starts too far back: the API server's 410 Gone.
#[derive(Debug)]
pub struct TooOld;

/// A deterministic UID from an object's identity.
fn uid_for(parts: &[&str]) -> String {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut a);
    let x = a.finish();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (x, "salt").hash(&mut b);
    let y = b.finish();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        y >> 52,
        y & 0xffff_ffff_ffff
    )
}

fn ago(secs: u64) -> Timestamp {
    let now = Timestamp::now();
    let secs = i64::try_from(secs).unwrap_or(0);
    now.checked_sub(jiff::SignedDuration::from_secs(secs))
        .unwrap_or(now)
}

/// RFC 3339 with seconds precision, as Kubernetes writes timestamps.
pub fn ts(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Store {
    pub fn new(spec: &ClusterSpec) -> Self {
        let (events, _) = broadcast::channel(LIVE_BUFFER);
        let store = Store {
            inner: Mutex::new(Inner {
                rv: 100,
                next_ip: 10,
                namespaces: BTreeMap::new(),
                pods: BTreeMap::new(),
                workloads: BTreeMap::new(),
                services: BTreeMap::new(),
                history: VecDeque::new(),
            }),
            events,
        };
        for ns in &spec.namespaces {
            store.ensure_namespace(ns);
        }
        for w in &spec.workloads {
            store.put_workload(w.clone());
        }
        store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn ensure_namespace(&self, name: &str) {
        let mut g = self.lock();
        if !g.namespaces.contains_key(name) {
            g.rv += 1;
            let rv = g.rv;
            g.namespaces.insert(
                name.to_string(),
                Namespace {
                    uid: uid_for(&["Namespace", name]),
                    created: ago(86_400),
                    rv,
                },
            );
        }
    }

    pub fn put_workload(&self, spec: WorkloadSpec) {
        self.ensure_namespace(&spec.namespace);
        let mut g = self.lock();
        g.rv += 1;
        let rv = g.rv;
        let key = (spec.kind, spec.namespace.clone(), spec.name.clone());
        let uid = uid_for(&[spec.kind.as_str(), &spec.namespace, &spec.name]);
        let created = ago(spec.age_seconds);
        g.workloads.insert(
            key,
            Workload {
                spec,
                uid,
                created,
                rv,
            },
        );
    }

    fn publish(&self, g: &mut Inner, kind: EventType, pod: &Pod) {
        let ev = PodEvent {
            kind,
            rv: pod.rv,
            namespace: pod.spec.namespace.clone(),
            labels: pod.spec.labels.clone(),
            fields: pod_fields(pod),
            object: pod_json(pod, g),
        };
        if g.history.len() >= HISTORY {
            g.history.pop_front();
        }
        g.history.push_back(ev.clone());
        let _ = self.events.send(ev);
    }

    /// Adds a pod, or replaces one of the same name (the old one is deleted first). Returns the
    /// new pod.
    pub fn add_pod(&self, spec: PodSpec) -> (Pod, Option<Pod>) {
        let replaced = self.remove_pod(&spec.namespace, &spec.name);
        self.ensure_namespace(&spec.namespace);
        let mut g = self.lock();
        let pod = Self::insert_pod(&mut g, spec, None, vec![]);
        self.publish(&mut g, EventType::Added, &pod);
        (pod, replaced)
    }

    /// Adds a pod a request created, with its spec as stored (`posted`) and the containers whose
    /// image cannot be pulled; `None` when a pod of that name exists (the API server's 409).
    pub fn create_pod(&self, spec: PodSpec, posted: Value, unpullable: Vec<String>) -> Option<Pod> {
        let mut g = self.lock();
        if g.pods
            .contains_key(&(spec.namespace.clone(), spec.name.clone()))
        {
            return None;
        }
        let pod = Self::insert_pod(&mut g, spec, Some(posted), unpullable);
        self.publish(&mut g, EventType::Added, &pod);
        Some(pod)
    }

    fn insert_pod(
        g: &mut Inner,
        spec: PodSpec,
        posted: Option<Value>,
        unpullable: Vec<String>,
    ) -> Pod {
        g.rv += 1;
        g.next_ip += 1;
        let n = g.next_ip;
        let generation = g.rv.to_string();
        let pod = Pod {
            uid: uid_for(&["Pod", &spec.namespace, &spec.name, &generation]),
            created: ago(spec.age_seconds),
            rv: g.rv,
            deleting: None,
            restarts: vec![0; spec.containers.len()],
            ip: format!("10.244.{}.{}", n / 250, n % 250 + 2),
            life: CancelToken::new(),
            ephemeral: Vec::new(),
            posted,
            unpullable,
            started: Vec::new(),
            backoff: Vec::new(),
            last_exit: BTreeMap::new(),
            done: BTreeMap::new(),
            spec,
        };
        g.pods.insert(
            (pod.spec.namespace.clone(), pod.spec.name.clone()),
            pod.clone(),
        );
        pod
    }

    /// Changes a pod in place (phase, readiness, labels...): a MODIFIED event.
    pub fn update_pod(&self, ns: &str, name: &str, f: impl FnOnce(&mut Pod)) -> Option<Pod> {
        let mut g = self.lock();
        g.rv += 1;
        let rv = g.rv;
        let pod = g.pods.get_mut(&(ns.to_string(), name.to_string()))?;
        f(pod);
        pod.rv = rv;
        let pod = pod.clone();
        self.publish(&mut g, EventType::Modified, &pod);
        Some(pod)
    }

    /// Marks a pod as terminating (deletionTimestamp set) without removing it.
    pub fn mark_terminating(&self, ns: &str, name: &str) -> Option<Pod> {
        self.update_pod(ns, name, |p| {
            if p.deleting.is_none() {
                p.deleting = Some(Timestamp::now());
            }
        })
    }

    /// Deletes a pod: its life ends (sessions and processes stop), then it is gone.
    pub fn remove_pod(&self, ns: &str, name: &str) -> Option<Pod> {
        let terminating = self.mark_terminating(ns, name)?;
        terminating.life.cancel();
        let mut g = self.lock();
        let mut pod = g.pods.remove(&(ns.to_string(), name.to_string()))?;
        g.rv += 1;
        pod.rv = g.rv;
        self.publish(&mut g, EventType::Deleted, &pod);
        Some(pod)
    }

    pub fn pod(&self, ns: &str, name: &str) -> Option<Pod> {
        self.lock()
            .pods
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    pub fn pods(&self) -> Vec<Pod> {
        self.lock().pods.values().cloned().collect()
    }

    /// Every pod and the resource version they are at, under one lock: a list's version must
    /// not count a change its items do not show, or a watch from it misses that change (a pod
    /// changed between the two reads was lost to `kubectl debug -i`'s list-then-watch, which
    /// then waited for ever for its container to run).
    pub fn pods_at(&self) -> (Vec<Pod>, u64) {
        let g = self.lock();
        (g.pods.values().cloned().collect(), g.rv)
    }

    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// Whether the pod events after `rv` are all still kept (a watch from `rv` would be
    /// replayed every one of them).
    pub fn changes_kept_since(&self, rv: u64) -> bool {
        kept_since(&self.lock().history, rv)
    }

    /// Subscribes to pod events after `rv`: the missed ones replayed, then a live stream.
    #[allow(clippy::type_complexity)]
    pub fn watch_from(
        &self,
        rv: u64,
    ) -> Result<(Vec<PodEvent>, broadcast::Receiver<PodEvent>), TooOld> {
        let g = self.lock();
        let rx = self.events.subscribe();
        if !kept_since(&g.history, rv) {
            return Err(TooOld);
        }
        let missed = g.history.iter().filter(|e| e.rv > rv).cloned().collect();
        Ok((missed, rx))
    }

    // ---- JSON ----

    pub fn pod_json(&self, pod: &Pod) -> Value {
        let g = self.lock();
        pod_json(pod, &g)
    }

    /// A PodList of `pods` at resource version `rv` (from [`Store::pods_at`]).
    pub fn pod_list_json(&self, pods: &[Pod], rv: u64) -> Value {
        let g = self.lock();
        json!({
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": { "resourceVersion": rv.to_string() },
            "items": pods.iter().map(|p| pod_json(p, &g)).collect::<Vec<_>>(),
        })
    }

    pub fn namespace_json(&self, name: &str) -> Option<Value> {
        let g = self.lock();
        g.namespaces.get(name).map(|n| namespace_json(name, n))
    }

    pub fn namespaces_json(&self) -> Vec<(String, Value, Timestamp)> {
        let g = self.lock();
        g.namespaces
            .iter()
            .map(|(name, n)| (name.clone(), namespace_json(name, n), n.created))
            .collect()
    }

    /// Stores a new Service (`crate::services` has checked it), with what the API server sets:
    /// its uid, resource version, creation time and a cluster IP unless it is headless. `None`
    /// when one of that name is there.
    pub fn create_service(&self, ns: &str, mut v: Value) -> Option<Value> {
        self.ensure_namespace(ns);
        let name = v["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut g = self.lock();
        let key = (ns.to_string(), name.clone());
        if g.services.contains_key(&key) {
            return None;
        }
        g.rv += 1;
        let rv = g.rv;
        let now = Timestamp::now();
        v["metadata"]["namespace"] = json!(ns);
        v["metadata"]["uid"] = json!(uid_for(&["Service", ns, &name, &rv.to_string()]));
        v["metadata"]["resourceVersion"] = json!(rv.to_string());
        v["metadata"]["creationTimestamp"] = json!(ts(now));
        if v["spec"]["clusterIP"].as_str().is_none() {
            let ip = format!("10.96.{}.{}", (rv >> 8) & 0xff, rv & 0xff);
            v["spec"]["clusterIP"] = json!(ip);
            v["spec"]["clusterIPs"] = json!([ip]);
        }
        g.services.insert(key, (v.clone(), now));
        Some(v)
    }

    pub fn service(&self, ns: &str, name: &str) -> Option<(Value, Timestamp)> {
        self.lock()
            .services
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// Services in `ns` (all namespaces when `None`): (name, json, created).
    pub fn services(&self, ns: Option<&str>) -> Vec<(String, Value, Timestamp)> {
        self.lock()
            .services
            .iter()
            .filter(|((n, _), _)| ns.is_none_or(|want| want == n))
            .map(|((_, name), (v, created))| (name.clone(), v.clone(), *created))
            .collect()
    }

    pub fn delete_service(&self, ns: &str, name: &str) -> Option<Value> {
        let mut g = self.lock();
        let gone = g.services.remove(&(ns.to_string(), name.to_string()));
        if gone.is_some() {
            g.rv += 1;
        }
        gone.map(|(v, _)| v)
    }

    /// Workloads of one kind in `ns` (all namespaces when `None`): (name, json, created).
    pub fn workloads_json(
        &self,
        kind: WorkloadKind,
        ns: Option<&str>,
    ) -> Vec<(String, Value, Timestamp)> {
        let g = self.lock();
        g.workloads
            .values()
            .filter(|w| w.spec.kind == kind && ns.is_none_or(|n| n == w.spec.namespace))
            .map(|w| (w.spec.name.clone(), workload_json(w, &g), w.created))
            .collect()
    }
}

fn namespace_json(name: &str, n: &Namespace) -> Value {
    json!({
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": n.uid,
            "resourceVersion": n.rv.to_string(),
            "creationTimestamp": ts(n.created),
            "labels": { "kubernetes.io/metadata.name": name },
        },
        "spec": { "finalizers": ["kubernetes"] },
        "status": { "phase": "Active" },
    })
}

/// Field values a field selector can ask for.
pub fn pod_fields(p: &Pod) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("metadata.name".to_string(), p.spec.name.clone()),
        ("metadata.namespace".to_string(), p.spec.namespace.clone()),
        (
            "status.phase".to_string(),
            p.spec.phase.as_str().to_string(),
        ),
        ("spec.nodeName".to_string(), "testnode".to_string()),
        ("spec.restartPolicy".to_string(), "Always".to_string()),
        ("status.podIP".to_string(), p.ip.clone()),
    ])
}

/// Whether a pod passes label and field selectors.
pub fn pod_selected(p: &Pod, labels: &Selector, fields: &Selector) -> bool {
    labels.matches(&p.spec.labels) && fields.matches(&pod_fields(p))
}

fn owner_refs(owner: &Option<crate::config::OwnerRef>, ns: &str, g: &Inner) -> Value {
    match owner {
        None => Value::Null,
        Some(o) => {
            let api_version = match o.kind.as_str() {
                "ReplicaSet" | "Deployment" | "StatefulSet" | "DaemonSet" => "apps/v1",
                "Job" => "batch/v1",
                _ => "v1",
            };
            let uid = g
                .workloads
                .values()
                .find(|w| {
                    w.spec.kind.as_str() == o.kind
                        && w.spec.name == o.name
                        && w.spec.namespace == ns
                })
                .map(|w| w.uid.clone())
                .unwrap_or_else(|| uid_for(&[&o.kind, ns, &o.name]));
            json!([{
                "apiVersion": api_version,
                "kind": o.kind,
                "name": o.name,
                "uid": uid,
                "controller": true,
                "blockOwnerDeletion": true,
            }])
        }
    }
}

/// How the runtime words a container's end: it could not start, it ended well, or not.
fn exit_reason(code: i32, why: Option<&str>) -> &'static str {
    match (code, why) {
        (_, Some(_)) => "StartError",
        (0, None) => "Completed",
        _ => "Error",
    }
}

/// Whether `history` still holds every pod event after `rv` (it keeps the last [`HISTORY`]).
fn kept_since(history: &VecDeque<PodEvent>, rv: u64) -> bool {
    history.len() < HISTORY || history.front().is_none_or(|e| rv.saturating_add(1) >= e.rv)
}

fn pod_json(p: &Pod, g: &Inner) -> Value {
    use crate::config::Phase;
    let s = &p.spec;
    let started = ts(p.created);
    let running = matches!(s.phase, Phase::Running);
    // A created pod is Ready once every container has started.
    let all_started = p.posted.is_none()
        || (p.backoff.is_empty()
            && p.done.is_empty()
            && s.containers.iter().all(|c| p.started.contains(&c.name)));
    let ready = running && s.ready && p.deleting.is_none() && all_started;
    let cond = |t: &str, ok: bool| json!({ "type": t, "status": if ok { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": started });
    let containers: Vec<Value> = s
        .containers
        .iter()
        .map(|c| {
            let mut v = json!({
                "name": c.name,
                "image": c.image,
                "imagePullPolicy": "IfNotPresent",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            });
            if !c.command.is_empty() {
                v["command"] = json!(c.command);
            }
            if c.tty {
                v["tty"] = json!(true);
                v["stdin"] = json!(true);
            }
            if !c.env.is_empty() {
                v["env"] = c
                    .env
                    .iter()
                    .map(|(k, val)| json!({ "name": k, "value": val }))
                    .collect();
            }
            if let Some(w) = &c.workdir {
                v["workingDir"] = json!(w.display().to_string());
            }
            v
        })
        .collect();
    let statuses: Vec<Value> = s
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let state = match s.phase {
                _ if p.done.contains_key(&c.name) => {
                    let (code, why) = &p.done[&c.name];
                    json!({ "terminated": {
                        "exitCode": code,
                        "reason": exit_reason(*code, why.as_deref()),
                        "startedAt": started,
                        "finishedAt": started,
                    } })
                }
                _ if p.unpullable.contains(&c.name) => json!({ "waiting": {
                    "reason": "ErrImagePull",
                    "message": crate::ephemeral::pull_error(&c.image),
                } }),
                _ if p.posted.is_some() && p.backoff.contains(&c.name) => json!({ "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": format!(
                        "back-off 500ms restarting failed container={} pod={}_{}({})",
                        c.name, s.name, s.namespace, p.uid
                    ),
                } }),
                _ if p.posted.is_some() && !p.started.contains(&c.name) => {
                    json!({ "waiting": { "reason": "ContainerCreating" } })
                }
                _ if p.posted.is_some() => json!({ "running": { "startedAt": started } }),
                Phase::Running => json!({ "running": { "startedAt": started } }),
                Phase::Pending => json!({ "waiting": { "reason": "ContainerCreating" } }),
                Phase::Succeeded => json!({ "terminated": { "exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": started } }),
                Phase::Failed => json!({ "terminated": { "exitCode": 1, "reason": "Error", "startedAt": started, "finishedAt": started } }),
            };
            let up = p.posted.is_none()
                || (p.started.contains(&c.name)
                    && !p.backoff.contains(&c.name)
                    && !p.done.contains_key(&c.name));
            let mut status = json!({
                "name": c.name,
                // Each container its own (one crash-looping leaves the others Ready).
                "ready": running && s.ready && p.deleting.is_none() && up,
                "started": running && up,
                "restartCount": p.restarts.get(i).copied().unwrap_or(0),
                "image": c.image,
                "imageID": format!("{}@sha256:{}", c.image, "0".repeat(64)),
                "containerID": format!("testcluster://{}-{}", &p.uid[..8], c.name),
                "state": state,
            });
            if let Some((code, why)) = p.last_exit.get(&c.name) {
                let reason = exit_reason(*code, why.as_deref());
                status["lastState"] = json!({ "terminated": {
                    "exitCode": code,
                    "reason": reason,
                    "startedAt": started,
                    "finishedAt": started,
                } });
                if let Some(w) = why {
                    status["lastState"]["terminated"]["message"] = json!(w);
                }
            }
            status
        })
        .collect();
    let ephemeral_statuses: Vec<Value> = p
        .ephemeral
        .iter()
        .map(|e| {
            let image = e.spec["image"].as_str().unwrap_or_default();
            let mut v = json!({
                "name": e.name,
                "ready": false,
                "restartCount": 0,
                "image": image,
                "imageID": "",
                "state": e.state.json(),
            });
            if !matches!(e.state, EphemeralState::Waiting { .. }) {
                v["imageID"] = json!(format!("{image}@sha256:{}", "0".repeat(64)));
                v["containerID"] = json!(format!("testcluster://{}-{}", &p.uid[..8], e.name));
            }
            v
        })
        .collect();
    let mut meta = json!({
        "name": s.name,
        "namespace": s.namespace,
        "uid": p.uid,
        "resourceVersion": p.rv.to_string(),
        "creationTimestamp": started,
    });
    if !s.labels.is_empty() {
        meta["labels"] = json!(s.labels);
    }
    if !s.annotations.is_empty() {
        meta["annotations"] = json!(s.annotations);
    }
    if let Some(o) = s.owner.as_ref() {
        meta["ownerReferences"] = owner_refs(&Some(o.clone()), &s.namespace, g);
        meta["generateName"] = json!(s.name.rsplit_once('-').map(|(a, _)| format!("{a}-")));
    }
    if let Some(d) = p.deleting {
        meta["deletionTimestamp"] = json!(ts(d));
        meta["deletionGracePeriodSeconds"] = json!(30);
    }
    let mut v = json!({
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": {
            "containers": containers,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": "testnode",
            "schedulerName": "default-scheduler",
            // Defaulted by the API server; kubectl debug 1.37 dereferences it.
            "securityContext": {},
        },
        "status": {
            "phase": s.phase.as_str(),
            "conditions": [
                cond("Initialized", true),
                cond("Ready", ready),
                cond("ContainersReady", ready),
                cond("PodScheduled", true),
            ],
            "hostIP": "127.0.0.1",
            "podIP": p.ip,
            "podIPs": [{ "ip": p.ip }],
            "startTime": started,
            "containerStatuses": statuses,
            "qosClass": "BestEffort",
        },
    });
    if let Some(posted) = &p.posted {
        // A created pod's spec as stored; the scheduler's choice and the defaults over it.
        let mut spec = posted.clone();
        for (k, default) in v["spec"].as_object().into_iter().flatten() {
            if k != "containers" && spec.get(k).is_none_or(Value::is_null) {
                spec[k] = default.clone();
            }
        }
        // The scheduler's choice, unless the request named a node.
        if spec["nodeName"].as_str().unwrap_or("").is_empty() {
            spec["nodeName"] = json!("testnode");
        }
        // In the node's network namespace: the node's address.
        if spec["hostNetwork"].as_bool() == Some(true) {
            v["status"]["podIP"] = json!("127.0.0.1");
            v["status"]["podIPs"] = json!([{ "ip": "127.0.0.1" }]);
        }
        v["spec"] = spec;
    }
    if !p.ephemeral.is_empty() {
        v["spec"]["ephemeralContainers"] =
            Value::Array(p.ephemeral.iter().map(|e| e.spec.clone()).collect());
        v["status"]["ephemeralContainerStatuses"] = Value::Array(ephemeral_statuses);
    }
    v
}

fn workload_json(w: &Workload, g: &Inner) -> Value {
    let s = &w.spec;
    let selector = Selector::parse(
        &s.selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    )
    .unwrap_or_default();
    let pods: Vec<&Pod> = g
        .pods
        .values()
        .filter(|p| p.spec.namespace == s.namespace && selector.matches(&p.spec.labels))
        .collect();
    let ready = pods
        .iter()
        .filter(|p| p.spec.ready && p.deleting.is_none())
        .count();
    let mut meta = json!({
        "name": s.name,
        "namespace": s.namespace,
        "uid": w.uid,
        "resourceVersion": w.rv.to_string(),
        "generation": 1,
        "creationTimestamp": ts(w.created),
        "labels": s.labels,
    });
    if s.owner.is_some() {
        meta["ownerReferences"] = owner_refs(&s.owner, &s.namespace, g);
    }
    let mut spec = json!({
        "selector": { "matchLabels": s.selector },
        "template": { "metadata": { "labels": s.selector }, "spec": { "containers": [] } },
    });
    if !matches!(s.kind, WorkloadKind::DaemonSet | WorkloadKind::Job) {
        spec["replicas"] = json!(s.replicas);
    }
    let status = match s.kind {
        WorkloadKind::Job => {
            use crate::config::Phase;
            let done = |phase| pods.iter().filter(|p| p.spec.phase == phase).count();
            json!({
                "active": pods.len() - done(Phase::Succeeded) - done(Phase::Failed),
                "succeeded": done(Phase::Succeeded), "failed": done(Phase::Failed),
                "ready": ready,
            })
        }
        WorkloadKind::DaemonSet => json!({
            "currentNumberScheduled": pods.len(), "desiredNumberScheduled": pods.len(),
            "numberReady": ready, "numberAvailable": ready, "updatedNumberScheduled": pods.len(),
            "numberMisscheduled": 0, "observedGeneration": 1,
        }),
        _ => json!({
            "replicas": pods.len(), "readyReplicas": ready, "availableReplicas": ready,
            "updatedReplicas": pods.len(), "observedGeneration": 1,
        }),
    };
    json!({
        "kind": s.kind.as_str(),
        "apiVersion": s.kind.api_version(),
        "metadata": meta,
        "spec": spec,
        "status": status,
    })
}

/// A Kubernetes-style age ("5m", "3h12m", "2d"), as `kubectl get` prints it.
pub fn human_age(since: Timestamp) -> String {
    let secs = Timestamp::now().duration_since(since).as_secs().max(0) as u64;
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86_400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        if secs % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", secs % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        format!("{}y", d / 365)
    }
}

/// A minimal cancellation token (one-way flag with async waiting), so the store needs no extra
/// crate.
pub mod tokio_util_lite {
    use std::sync::Arc;
    use tokio::sync::watch;

    #[derive(Debug, Clone)]
    pub struct CancelToken {
        tx: Arc<watch::Sender<bool>>,
    }

    impl Default for CancelToken {
        fn default() -> Self {
            Self::new()
        }
    }

    impl CancelToken {
        pub fn new() -> Self {
            let (tx, _) = watch::channel(false);
            CancelToken { tx: Arc::new(tx) }
        }
        pub fn cancel(&self) {
            self.tx.send_replace(true);
        }
        pub fn is_cancelled(&self) -> bool {
            *self.tx.borrow()
        }
        /// Resolves once cancelled (at once if already).
        pub async fn cancelled(&self) {
            let mut rx = self.tx.subscribe();
            let _ = rx.wait_for(|c| *c).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let now = Timestamp::now();
        let back = |s: i64| {
            now.checked_sub(jiff::SignedDuration::from_secs(s))
                .expect("ts")
        };
        assert_eq!(human_age(back(30)), "30s");
        assert_eq!(human_age(back(5 * 60 + 7)), "5m7s");
        assert_eq!(human_age(back(60 * 60)), "60m");
        assert_eq!(human_age(back(5 * 3600)), "5h");
        assert_eq!(human_age(back(3 * 86_400)), "3d");
    }

    #[test]
    fn watch_replays_what_came_after_a_version() {
        let store = Store::new(&ClusterSpec::demo());
        for p in ClusterSpec::demo().pods {
            store.add_pod(p);
        }
        let rv = store.resource_version();
        store.remove_pod("demo", "shell").expect("deleted");
        let (missed, _) = store.watch_from(rv).expect("watch");
        let kinds: Vec<_> = missed.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventType::Modified, EventType::Deleted]);
        assert!(missed[0].object["metadata"]["deletionTimestamp"].is_string());
    }

    #[test]
    fn pods_carry_owner_uids_of_their_workloads() {
        let store = Store::new(&ClusterSpec::demo());
        let spec = ClusterSpec::demo()
            .pods
            .into_iter()
            .find(|p| p.name.starts_with("web-"))
            .expect("web pod");
        let (pod, _) = store.add_pod(spec);
        let j = store.pod_json(&pod);
        let owner_uid = j["metadata"]["ownerReferences"][0]["uid"].clone();
        let rs = store.workloads_json(WorkloadKind::ReplicaSet, Some("demo"));
        assert_eq!(rs[0].1["metadata"]["uid"], owner_uid);
        assert_eq!(rs[0].1["status"]["readyReplicas"], 1);
    }
}
