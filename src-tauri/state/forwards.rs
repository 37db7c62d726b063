//! Port forwards by id: each a task serving a loopback listener (podterm_core::portforward), and
//! what the UI lists of it. Changes go out to one listener (the page's forwards list) as
//! connections open and end, as a forward follows its pod's workload to the next pod (waiting,
//! moved), and when it ends. A forward listens on 127.0.0.1 only: nothing off this machine
//! reaches a pod through the app.

use super::{lock, next_id, Profiles};
use crate::error::{Error, Result};
use crate::ipc::{ForwardInfo, ForwardRequest, ForwardState};
use podterm_core::browse::PodOwner;
use podterm_core::cluster::within;
use podterm_core::exec::Tuning;
use podterm_core::portforward::{self, ForwardError, Moved, PortSpec, Served};
use podterm_core::text;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::task::AbortHandle;

type Sink = Box<dyn Fn(ForwardInfo) -> bool + Send + Sync>;

struct Item {
    info: ForwardInfo,
    task: Option<AbortHandle>,
}

#[derive(Default)]
struct Inner {
    items: BTreeMap<u32, Item>,
    sink: Option<Sink>,
}

/// The forward registry. Cheap to clone.
#[derive(Clone, Default)]
pub struct Forwards {
    inner: Arc<Mutex<Inner>>,
}

impl Forwards {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every change goes to `sink` from now on (replacing an earlier one; dropped once it
    /// returns false).
    pub fn listen(&self, sink: impl Fn(ForwardInfo) -> bool + Send + Sync + 'static) {
        lock(&self.inner).sink = Some(Box::new(sink));
    }

    /// Every forward of this run, oldest first.
    pub fn list(&self) -> Vec<ForwardInfo> {
        lock(&self.inner)
            .items
            .values()
            .map(|i| i.info.clone())
            .collect()
    }

    /// Stops a forward and forgets it (an ended one is only forgotten).
    pub fn stop(&self, id: u32) -> Result<()> {
        match lock(&self.inner).items.remove(&id) {
            Some(item) => {
                if let Some(t) = item.task {
                    t.abort();
                }
                Ok(())
            }
            None => Err(Error::NoForward(id)),
        }
    }

    /// Stops every forward (the app exits).
    pub fn stop_all(&self) {
        for (_, item) in std::mem::take(&mut lock(&self.inner).items) {
            if let Some(t) = item.task {
                t.abort();
            }
        }
    }

    /// Changes forward `id` and tells the listener.
    fn update(&self, id: u32, change: impl FnOnce(&mut ForwardInfo)) {
        let mut inner = lock(&self.inner);
        let Some(item) = inner.items.get_mut(&id) else {
            return;
        };
        change(&mut item.info);
        item.info.revision = item.info.revision.saturating_add(1);
        let info = item.info.clone();
        if let Some(sink) = &inner.sink {
            if !sink(info) {
                inner.sink = None;
            }
        }
    }

    /// Starts forwarding a loopback port to the pod's port: checked first as kubectl checks
    /// (the pod running, its named port, the right to forward: a self access review, which
    /// reaches nothing in the pod), so a forward that cannot work is refused here rather than
    /// at its first connection.
    pub async fn start(&self, profiles: &Profiles, req: ForwardRequest) -> Result<ForwardInfo> {
        let spec = PortSpec::parse(&format!("0:{}", req.remote.trim())).map_err(Error::Forward)?;
        let c = profiles.cluster(&req.profile).await?;
        let namespace = if req.namespace.is_empty() {
            c.namespace.clone()
        } else {
            req.namespace.clone()
        };
        let tuning = Tuning::with(c.liveness);
        let pod = within(
            tuning.request_timeout,
            podterm_core::pods::get_pod(&c.client, &namespace, &req.pod),
        )
        .await
        .map_err(|e| Error::from_call(&req.profile, e))?;
        portforward::check_running(&pod).map_err(Error::Forward)?;
        let remote = spec.remote_in(&pod).map_err(Error::Forward)?;
        portforward::check_allowed(&c.client, &namespace, &req.pod, tuning)
            .await
            .map_err(|e| Error::from_call(&req.profile, e))?;
        // The workload to follow when the pod goes. Not knowing it (its ReplicaSet unreadable)
        // leaves the forward to the pod alone, as one nothing owns.
        let workload = match PodOwner::of(&pod) {
            Some(owner) => within(
                tuning.request_timeout,
                podterm_core::pods::workload_of(&c.client, &namespace, &owner),
            )
            .await
            .ok()
            .flatten(),
            None => None,
        };
        let listener = bind(req.local, remote).await?;
        let local = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let id = next_id();
        let info = ForwardInfo {
            id,
            profile: req.profile.clone(),
            namespace: namespace.clone(),
            pod: text::shown(&req.pod),
            remote,
            local,
            connections: 0,
            open: 0,
            state: ForwardState::Listening,
            error: None,
            workload: workload.as_ref().map(|w| text::shown(&w.to_string())),
            note: None,
            revision: 0,
        };
        lock(&self.inner).items.insert(
            id,
            Item {
                info: info.clone(),
                task: None,
            },
        );
        let me = self.clone();
        let report: Arc<dyn Fn(Served) + Send + Sync> = Arc::new(move |s: Served| {
            me.update(id, |i| match s {
                Served::Opened => {
                    i.connections += 1;
                    i.open += 1;
                }
                Served::Ended(r) => {
                    i.open = i.open.saturating_sub(1);
                    i.error = r.err().map(|e| text::shown(&e.to_string()));
                }
            })
        });
        let me = self.clone();
        let moves = self.clone();
        let client = c.client.clone();
        let task = tokio::spawn(async move {
            let follows = workload.as_ref().map(|w| w.to_string()).unwrap_or_default();
            let moved = move |m: Moved| {
                moves.update(id, |i| match m {
                    Moved::Waiting { why } => {
                        i.note = Some(text::message(&format!(
                            "{}: waiting for a Ready pod of {}",
                            text::shown(&why),
                            text::shown(&follows)
                        )));
                    }
                    Moved::To { to, why } => {
                        // `i.pod` was shown when it was stored.
                        i.note = Some(text::message(&format!(
                            "moved from {}: {}",
                            i.pod,
                            text::shown(&why)
                        )));
                        i.pod = text::shown(&to.pod);
                        i.remote = to.remote;
                    }
                })
            };
            let why = portforward::run(
                client, namespace, &pod, &spec, workload, listener, tuning, report, moved,
            )
            .await;
            // The listener closed with the forward: nothing reaches the pod any more.
            me.update(id, |i| {
                i.state = ForwardState::Ended {
                    reason: text::shown(&why),
                };
                i.open = 0;
                // The reason says what became of the move, if any.
                i.note = None;
            });
        });
        match lock(&self.inner).items.get_mut(&id) {
            Some(item) => item.task = Some(task.abort_handle()),
            // Stopped before it was stored: nothing holds the task.
            None => task.abort(),
        }
        Ok(info)
    }
}

/// A loopback listener: on `local` when asked (taken is an error), else on the pod's port
/// number when it is free here, else on any free port.
async fn bind(local: Option<u16>, remote: u16) -> Result<TcpListener> {
    let at = |port: u16| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match local {
        Some(port) => TcpListener::bind(at(port)).await.map_err(|e| {
            Error::Forward(ForwardError::Listen(format!(
                "127.0.0.1:{port}: {e}: choose another local port, or leave it empty for a free one"
            )))
        }),
        None => {
            // The pod's number only when nothing here has it on IPv6 loopback either: a local
            // server on [::1]:P would share `localhost:P` with the pod.
            let v6_taken = std::net::TcpListener::bind(("::1", remote))
                .err()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::AddrInUse);
            let same = if v6_taken {
                None
            } else {
                TcpListener::bind(at(remote)).await.ok()
            };
            match same {
                Some(l) => Ok(l),
                None => TcpListener::bind(at(0))
                    .await
                    .map_err(|e| Error::Forward(ForwardError::Listen(format!("127.0.0.1: {e}")))),
            }
        }
    }
}
