//! core/v1 Events about pods, as the scheduler and the kubelet record them (Scheduled, Pulled,
//! Created, Started, Killing, BackOff): a repeated event is counted on the first, and the history
//! is bounded like the pod watch history (`store.rs`, `HISTORY`): the oldest go first.

use crate::selector::Selector;
use crate::store::{ts, EventType};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Events kept. An API server keeps them for an hour; the Demo cluster runs for days inside
/// the app, so a count instead (docs/architecture.md, "Memory over long sessions").
pub const KEPT: usize = 1024;

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Involved {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `spec.containers{NAME}` for a container's events.
    pub field_path: Option<String>,
}

#[derive(Debug, Clone)]
struct Event {
    name: String,
    uid: String,
    rv: u64,
    involved: Involved,
    reason: String,
    message: String,
    warning: bool,
    component: &'static str,
    count: u64,
    first: Timestamp,
    last: Timestamp,
}

/// A change to an event, for watches.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: EventType,
    pub rv: u64,
    pub namespace: String,
    pub fields: BTreeMap<String, String>,
    pub object: Value,
}

struct Inner {
    rv: u64,
    items: VecDeque<Event>,
    /// The newest resource version that was dropped from `items`.
    dropped: u64,
}

/// Every event, behind one lock.
pub struct Events {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Change>,
}

/// A watch that starts before the oldest event kept: 410 Gone.
#[derive(Debug)]
pub struct TooOld;

/// Field selector keys events answer to (the API server's, for core/v1 events).
pub const FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
];

impl Default for Events {
    fn default() -> Self {
        Events {
            inner: Mutex::new(Inner {
                rv: 1,
                items: VecDeque::new(),
                dropped: 0,
            }),
            tx: broadcast::channel(KEPT).0,
        }
    }
}

impl Events {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a Normal event from `component` (`kubelet`, `default-scheduler`).
    pub fn normal(&self, component: &'static str, about: Involved, reason: &str, message: &str) {
        self.record(component, about, reason, message, false)
    }

    /// Records a Warning event.
    pub fn warning(&self, component: &'static str, about: Involved, reason: &str, message: &str) {
        self.record(component, about, reason, message, true)
    }

    fn record(
        &self,
        component: &'static str,
        about: Involved,
        reason: &str,
        message: &str,
        warning: bool,
    ) {
        let now = Timestamp::now();
        let mut g = self.lock();
        g.rv += 1;
        let rv = g.rv;
        let same = g.items.iter().position(|e| {
            e.involved == about
                && e.reason == reason
                && e.message == message
                && e.component == component
        });
        let change = match same {
            Some(i) => {
                let Some(mut e) = g.items.remove(i) else {
                    return;
                };
                e.count += 1;
                e.last = now;
                e.rv = rv;
                let c = change(EventType::Modified, &e);
                g.items.push_back(e);
                c
            }
            None => {
                let e = Event {
                    name: format!("{}.{:x}", about.name, now.as_nanosecond()),
                    uid: format!("{:032x}", rand::random::<u128>()),
                    rv,
                    involved: about,
                    reason: reason.to_string(),
                    message: message.to_string(),
                    warning,
                    component,
                    count: 1,
                    first: now,
                    last: now,
                };
                let c = change(EventType::Added, &e);
                g.items.push_back(e);
                while g.items.len() > KEPT {
                    if let Some(old) = g.items.pop_front() {
                        g.dropped = g.dropped.max(old.rv);
                    }
                }
                c
            }
        };
        let _ = self.tx.send(change);
    }

    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// Events in `ns` (all when `None`) passing `fields`, sorted by name as etcd lists them.
    pub fn list(&self, ns: Option<&str>, fields: &Selector) -> Vec<Value> {
        let g = self.lock();
        let mut items: Vec<&Event> = g
            .items
            .iter()
            .filter(|e| ns.is_none_or(|n| n == e.involved.namespace))
            .filter(|e| fields.matches(&event_fields(e)))
            .collect();
        items.sort_by(|a, b| a.name.cmp(&b.name));
        items.into_iter().map(event_json).collect()
    }

    /// Subscribes after `rv`: the events changed since, then a live stream.
    pub fn watch_from(
        &self,
        rv: u64,
    ) -> Result<(Vec<Change>, broadcast::Receiver<Change>), TooOld> {
        let g = self.lock();
        let rx = self.tx.subscribe();
        if rv < g.dropped {
            return Err(TooOld);
        }
        let mut missed: Vec<Change> = g
            .items
            .iter()
            .filter(|e| e.rv > rv)
            .map(|e| change(EventType::Added, e))
            .collect();
        missed.sort_by_key(|c| c.rv);
        Ok((missed, rx))
    }
}

fn change(kind: EventType, e: &Event) -> Change {
    Change {
        kind,
        rv: e.rv,
        namespace: e.involved.namespace.clone(),
        fields: event_fields(e),
        object: event_json(e),
    }
}

fn event_fields(e: &Event) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("metadata.name".to_string(), e.name.clone()),
        (
            "metadata.namespace".to_string(),
            e.involved.namespace.clone(),
        ),
        ("involvedObject.kind".to_string(), "Pod".to_string()),
        (
            "involvedObject.namespace".to_string(),
            e.involved.namespace.clone(),
        ),
        ("involvedObject.name".to_string(), e.involved.name.clone()),
        ("involvedObject.uid".to_string(), e.involved.uid.clone()),
        ("involvedObject.apiVersion".to_string(), "v1".to_string()),
        ("involvedObject.resourceVersion".to_string(), String::new()),
        (
            "involvedObject.fieldPath".to_string(),
            e.involved.field_path.clone().unwrap_or_default(),
        ),
        ("reason".to_string(), e.reason.clone()),
        ("reportingComponent".to_string(), e.component.to_string()),
        ("source".to_string(), e.component.to_string()),
        (
            "type".to_string(),
            if e.warning { "Warning" } else { "Normal" }.to_string(),
        ),
    ])
}

fn event_json(e: &Event) -> Value {
    let mut involved = json!({
        "kind": "Pod",
        "namespace": e.involved.namespace,
        "name": e.involved.name,
        "uid": e.involved.uid,
        "apiVersion": "v1",
    });
    if let Some(p) = &e.involved.field_path {
        involved["fieldPath"] = json!(p);
    }
    let mut source = json!({ "component": e.component });
    if e.component == "kubelet" {
        source["host"] = json!("testnode");
    }
    json!({
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {
            "name": e.name,
            "namespace": e.involved.namespace,
            "uid": e.uid,
            "resourceVersion": e.rv.to_string(),
            "creationTimestamp": ts(e.first),
        },
        "involvedObject": involved,
        "reason": e.reason,
        "message": e.message,
        "source": source,
        "firstTimestamp": ts(e.first),
        "lastTimestamp": ts(e.last),
        "count": e.count,
        "type": if e.warning { "Warning" } else { "Normal" },
        "eventTime": null,
        "reportingComponent": e.component,
        "reportingInstance": if e.component == "kubelet" { "testnode" } else { "" },
    })
}

/// The table row `kubectl get events` prints, from an event's JSON.
pub fn table_cells(v: &Value) -> Value {
    let when = |k: &str| {
        v[k].as_str()
            .and_then(|s| s.parse::<Timestamp>().ok())
            .unwrap_or_else(Timestamp::now)
    };
    let (first, last) = (when("firstTimestamp"), when("lastTimestamp"));
    let count = v["count"].as_u64().unwrap_or(1);
    let seen = if count > 1 {
        format!(
            "{} (x{count} over {})",
            crate::store::human_age(last),
            crate::store::human_age(first)
        )
    } else {
        crate::store::human_age(last)
    };
    let source = match v["source"]["host"].as_str() {
        Some(h) => format!("{}, {h}", v["source"]["component"].as_str().unwrap_or("")),
        None => v["source"]["component"].as_str().unwrap_or("").to_string(),
    };
    json!([
        seen,
        v["type"],
        v["reason"],
        format!(
            "pod/{}",
            v["involvedObject"]["name"].as_str().unwrap_or_default()
        ),
        v["involvedObject"]["fieldPath"].as_str().unwrap_or(""),
        source,
        v["message"],
        crate::store::human_age(first),
        count.to_string(),
        v["metadata"]["name"],
    ])
}
