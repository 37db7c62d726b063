//! Open Logs views by id: each a task running podterm_core::logview, and its flow-control
//! credit (the view acknowledges what it has shown, as a terminal does).

use super::{lock, next_id, Profiles};
use crate::error::Error;
use crate::ipc::{LogsState, OpenLogsRequest, PodDetails};
use bytes::Bytes;
use podterm_core::flow::{Credit, FlowConfig};
use podterm_core::logs;
use podterm_core::logview::{self, LogViewEnd};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::task::AbortHandle;

struct Entry {
    credit: Credit,
    task: Option<AbortHandle>,
}

/// The Logs view registry. Cheap to clone.
#[derive(Clone, Default)]
pub struct LogViews {
    open: Arc<Mutex<HashMap<u32, Entry>>>,
}

impl LogViews {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts streaming a log and returns its id at once. `state` gets `streaming` once the
    /// pod and container are found, then one final state that counts the output bytes sent
    /// before it; `output` gets batches while acknowledgements ([`LogViews::ack`]) allow, and
    /// returns false once nobody listens.
    pub fn open(
        &self,
        profiles: &Profiles,
        req: OpenLogsRequest,
        mut output: impl FnMut(Bytes) -> bool + Send + 'static,
        state: impl Fn(LogsState) + Send + Sync + 'static,
    ) -> u32 {
        let id = next_id();
        let cfg = FlowConfig::default();
        let credit = Credit::new(&cfg);
        let mut open = lock(&self.open);
        open.insert(
            id,
            Entry {
                credit: credit.clone(),
                task: None,
            },
        );
        let registry = self.clone();
        let rt = profiles.runtime().clone();
        let profiles = profiles.clone();
        let state = Arc::new(state);
        let task = rt.spawn(async move {
            let sent = Arc::new(AtomicU64::new(0));
            let counter = sent.clone();
            let output = move |b: Bytes| {
                let n = b.len() as u64;
                let ok = output(b);
                if ok {
                    counter.fetch_add(n, Ordering::SeqCst);
                }
                ok
            };
            let failed = |reason: String| LogsState::Failed {
                reason: podterm_core::text::message(&reason),
                output_bytes: sent.load(Ordering::SeqCst),
            };
            let end = match profiles.cluster(&req.profile).await {
                Err(e) => failed(e.sentence()),
                Ok(c) => {
                    let shown = Arc::new(std::sync::Mutex::new(String::new()));
                    let started = |container: &str| {
                        let container = podterm_core::text::shown(container);
                        *lock(&shown) = container.clone();
                        state(LogsState::Streaming { container })
                    };
                    let (resumed, named) = (state.clone(), shown.clone());
                    let on_resume = logs::OnResume::new(move |r| {
                        resumed(match r {
                            logs::Resume::Retrying { error, .. } => LogsState::Resuming {
                                reason: podterm_core::text::message(&error.to_string()),
                            },
                            logs::Resume::Back { .. } => LogsState::Streaming {
                                container: lock(&named).clone(),
                            },
                        })
                    });
                    match logview::run(&c, &req.logs, credit, cfg, output, started, on_resume).await
                    {
                        LogViewEnd::Ended | LogViewEnd::UiGone => LogsState::Ended {
                            output_bytes: sent.load(Ordering::SeqCst),
                        },
                        LogViewEnd::Failed(e) => {
                            failed(Error::from_call(&req.profile, e).sentence())
                        }
                    }
                }
            };
            lock(&registry.open).remove(&id);
            state(end);
        });
        if let Some(e) = open.get_mut(&id) {
            e.task = Some(task.abort_handle());
        }
        id
    }

    /// The view has shown `bytes` more bytes of a log.
    pub fn ack(&self, id: u32, bytes: usize) {
        if let Some(s) = lock(&self.open).get(&id) {
            s.credit.ack(bytes);
        }
    }

    /// Stops a log's stream (the view closed, paused for good, or asks for another run).
    pub fn close(&self, id: u32) {
        if let Some(s) = lock(&self.open).remove(&id) {
            if let Some(t) = s.task {
                t.abort();
            }
        }
    }

    /// Streams open now.
    pub fn count(&self) -> usize {
        lock(&self.open).len()
    }

    /// Stops every stream (the page was reloaded, or the app exits).
    pub fn close_all(&self) {
        let open: Vec<Entry> = lock(&self.open).drain().map(|(_, s)| s).collect();
        for t in open.into_iter().filter_map(|s| s.task) {
            t.abort();
        }
    }
}

/// A pod's status details and events with `profile`'s client (`namespace` empty: the
/// profile's own).
pub async fn pod_details(
    profiles: &Profiles,
    profile: &str,
    namespace: &str,
    pod: &str,
) -> Result<PodDetails, Error> {
    let c = profiles.cluster(profile).await?;
    let ns = c.namespace_or(namespace);
    podterm_core::podinfo::details(&c.client, ns, pod)
        .await
        .map_err(|e| Error::from_call(profile, e))
}
