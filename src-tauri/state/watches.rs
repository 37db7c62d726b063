//! Live pod lists by id: each a task following podterm_core::browse's watch.

use super::{lock, next_id, Profiles};
use crate::error::{credentials_refused_hint, Error, Result};
use crate::ipc::{PodChange, WatchStatus};
use futures_util::StreamExt;
use podterm_core::browse::{self, WatchEvent};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::task::AbortHandle;

/// The watch registry. Cheap to clone.
#[derive(Clone, Default)]
pub struct Watches {
    open: Arc<Mutex<HashMap<u32, AbortHandle>>>,
}

impl Watches {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a live pod list; the first list's failure is the error. `sink` gets every change,
    /// the first list's together (see [`WatchEvent::Changes`]), and returns false once nobody
    /// listens; `status` hears when the watch breaks and heals.
    pub async fn watch_pods(
        &self,
        profiles: &Profiles,
        profile: &str,
        namespace: &str,
        sink: impl FnMut(Vec<PodChange>) -> bool + Send + 'static,
        status: impl Fn(WatchStatus) + Send + 'static,
    ) -> Result<u32> {
        let c = profiles.cluster(profile).await?;
        let ns = c.namespace_or(namespace);
        let changes = browse::watch_pods(&c.client, ns, c.liveness)
            .await
            .map_err(|e| Error::from_call(profile, e))?;
        Ok(self.follow(profiles, profile, changes, sink, status))
    }

    /// [`Watches::watch_pods`] across every namespace of the cluster.
    pub async fn watch_all_pods(
        &self,
        profiles: &Profiles,
        profile: &str,
        sink: impl FnMut(Vec<PodChange>) -> bool + Send + 'static,
        status: impl Fn(WatchStatus) + Send + 'static,
    ) -> Result<u32> {
        let c = profiles.cluster(profile).await?;
        let changes = browse::watch_all_pods(&c.client, c.liveness)
            .await
            .map_err(|e| Error::from_call(profile, e))?;
        Ok(self.follow(profiles, profile, changes, sink, status))
    }

    /// A task that hands a watch's changes to `sink` and its breaks to `status`; its id.
    fn follow(
        &self,
        profiles: &Profiles,
        profile: &str,
        changes: impl futures_util::Stream<Item = WatchEvent> + Send + 'static,
        mut sink: impl FnMut(Vec<PodChange>) -> bool + Send + 'static,
        status: impl Fn(WatchStatus) + Send + 'static,
    ) -> u32 {
        let id = next_id();
        let registry = self.clone();
        let profile = profile.to_string();
        let mut open = lock(&self.open);
        let task = profiles.runtime().spawn(async move {
            let mut changes = std::pin::pin!(changes);
            while let Some(event) = changes.next().await {
                match event {
                    WatchEvent::Changes(changes) => {
                        if !sink(changes) {
                            break;
                        }
                    }
                    WatchEvent::Broken {
                        reason,
                        credentials_refused,
                    } => status(WatchStatus::Broken {
                        // Often the server's words: escaped and capped on the way out.
                        reason: podterm_core::text::message(&if credentials_refused {
                            format!("{reason}: {}", credentials_refused_hint(&profile))
                        } else {
                            reason
                        }),
                    }),
                    WatchEvent::Resumed => status(WatchStatus::Live),
                    WatchEvent::Capped { limit } => status(WatchStatus::Capped {
                        limit: u32::try_from(limit).unwrap_or(u32::MAX),
                    }),
                }
            }
            lock(&registry.open).remove(&id);
        });
        open.insert(id, task.abort_handle());
        id
    }

    pub fn stop(&self, id: u32) {
        if let Some(t) = lock(&self.open).remove(&id) {
            t.abort();
        }
    }

    /// Ends every watch (the page was reloaded: nobody holds their ids any more).
    pub fn close_all(&self) {
        let open: Vec<AbortHandle> = lock(&self.open).drain().map(|(_, w)| w).collect();
        for w in open {
            w.abort();
        }
    }
}
