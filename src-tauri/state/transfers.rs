//! File transfers by id: each a task running podterm_core::transfer (an upload of one local
//! file or folder, or a download of one container path), its cancel token, and what the UI
//! lists of it. Progress goes out to one listener (the page's transfers panel and its tabs'
//! strips), at most [`TICKS_PER_SECOND`] times a second a transfer while it runs, and once
//! when it ends. The webview never carries file bytes: it names local paths, checked here.

use super::{lock, next_id, Profiles};
use crate::error::{Error, Result};
use crate::ipc::{TransferDirection, TransferInfo, TransferState, TransferTarget};
use podterm_core::cluster::{within, Cluster};
use podterm_core::exec::Tuning;
use podterm_core::pods::{self, PodTarget};
use podterm_core::transfer::rate::{self, Rate};
use podterm_core::transfer::{self, Cancel, Meter, Options, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Progress updates a second, per running transfer.
pub const TICKS_PER_SECOND: u32 = 5;

type Sink = Box<dyn Fn(TransferInfo) -> bool + Send + Sync>;

struct Item {
    info: TransferInfo,
    cancel: Cancel,
}

#[derive(Default)]
struct Inner {
    items: BTreeMap<u32, Item>,
    sink: Option<Sink>,
}

/// The transfer registry. Cheap to clone.
#[derive(Clone, Default)]
pub struct Transfers {
    inner: Arc<Mutex<Inner>>,
}

impl Transfers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every change goes to `sink` from now on (replacing an earlier one; dropped once it
    /// returns false).
    pub fn listen(&self, sink: impl Fn(TransferInfo) -> bool + Send + Sync + 'static) {
        lock(&self.inner).sink = Some(Box::new(sink));
    }

    /// Every transfer of this run, oldest first.
    pub fn list(&self) -> Vec<TransferInfo> {
        lock(&self.inner)
            .items
            .values()
            .map(|i| i.info.clone())
            .collect()
    }

    /// One transfer as it is now.
    pub fn get(&self, id: u32) -> Option<TransferInfo> {
        lock(&self.inner).items.get(&id).map(|i| i.info.clone())
    }

    /// Stops a running transfer (a finished one stays as it is).
    pub fn cancel(&self, id: u32) -> Result<()> {
        match lock(&self.inner).items.get(&id) {
            Some(i) => {
                i.cancel.cancel();
                Ok(())
            }
            None => Err(Error::NoTransfer(id)),
        }
    }

    /// How many transfers are running (closing the window would cancel them).
    pub fn running(&self) -> usize {
        lock(&self.inner)
            .items
            .values()
            .filter(|i| !i.info.state.is_final())
            .count()
    }

    /// Forgets finished transfers.
    pub fn clear_finished(&self) {
        lock(&self.inner)
            .items
            .retain(|_, i| !i.info.state.is_final());
    }

    /// Cancels every running transfer (the app exits).
    pub fn cancel_all(&self) {
        for i in lock(&self.inner).items.values() {
            i.cancel.cancel();
        }
    }

    /// Uploads each of `paths` (absolute, existing local files or folders) into directory
    /// `dir` of the target's container, one transfer each, started at once. Nothing starts
    /// when one path is unusable.
    pub fn upload(
        &self,
        profiles: &Profiles,
        target: TransferTarget,
        paths: Vec<String>,
        dir: String,
    ) -> Result<Vec<TransferInfo>> {
        if paths.is_empty() {
            return Err(Error::LocalPath {
                path: String::new(),
                why: "nothing to upload",
            });
        }
        let dir = pod_dir(&dir)?;
        let locals = paths
            .iter()
            .map(|p| local_source(p))
            .collect::<Result<Vec<_>>>()?;
        Ok(locals
            .into_iter()
            .map(|local| {
                let name = local
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| local.to_string_lossy().into_owned());
                let info = self.register(
                    TransferDirection::Upload,
                    &name,
                    &target,
                    &dir,
                    &local.to_string_lossy(),
                );
                let id = info.id;
                let dest = dir.clone();
                let fallback = target.fallback();
                self.spawn(profiles, id, target.clone(), move |c, t, meter, cancel| {
                    Box::pin(async move {
                        let opts = options(&c);
                        transfer::upload_into(
                            &c.client, &t, &local, &dest, &opts, &fallback, &meter, &cancel,
                        )
                        .await
                        .map(|r| r.notes)
                        .map_err(Failure::Transfer)
                    })
                });
                info
            })
            .collect())
    }

    /// Downloads `pod_path` of the target's container into `folder` (absolute, an existing
    /// directory), under the path's own name, which must not be taken there yet.
    pub fn download(
        &self,
        profiles: &Profiles,
        target: TransferTarget,
        pod_path: String,
        folder: String,
    ) -> Result<TransferInfo> {
        let src = pod_path.trim().to_string();
        let cleaned = transfer::paths::clean(&src);
        let name = transfer::paths::base(&cleaned);
        if src.is_empty() || name.is_empty() || name == "/" || name == "." || name == ".." {
            return Err(Error::LocalPath {
                path: podterm_core::text::shown(&pod_path),
                why: "name a file or folder in the container (not its root)",
            });
        }
        let dest = local_folder(&folder)?.join(&name);
        if std::fs::symlink_metadata(&dest).is_ok() {
            return Err(Error::LocalPath {
                path: dest.to_string_lossy().into_owned(),
                why: "already exists: move it away or pick another folder",
            });
        }
        let info = self.register(
            TransferDirection::Download,
            &name,
            &target,
            &src,
            &dest.to_string_lossy(),
        );
        let fallback = target.fallback();
        self.spawn(profiles, info.id, target, move |c, t, meter, cancel| {
            Box::pin(async move {
                // The name was free just now: nothing saved there meanwhile is written over.
                let opts = transfer::Options {
                    new_only: true,
                    ..options(&c)
                };
                transfer::download_with(
                    &c.client, &t, &src, &dest, &opts, &fallback, &meter, &cancel,
                )
                .await
                .map(|r| r.notes.into_iter().chain(r.warnings).collect())
                .map_err(Failure::Transfer)
            })
        });
        Ok(info)
    }

    /// The sha256 of a finished transfer's local file: the file an upload read or a download
    /// wrote. Reads the file off the async runtime.
    pub async fn sha256(&self, id: u32) -> Result<String> {
        let info = self.get(id).ok_or(Error::NoTransfer(id))?;
        if info.state != TransferState::Done {
            return Err(Error::LocalPath {
                path: info.local_path,
                why: "the transfer has not finished",
            });
        }
        let path = PathBuf::from(&info.local_path);
        if path.is_dir() {
            return Err(Error::LocalPath {
                path: info.local_path,
                why: "a folder has no one checksum: check its files",
            });
        }
        let shown = info.local_path.clone();
        tokio::task::spawn_blocking(move || podterm_core::podfs::sha256_file(&path))
            .await
            .map_err(|e| Error::ReadFile {
                path: shown.clone(),
                source: std::io::Error::other(e.to_string()),
            })?
            .map_err(|source| Error::ReadFile {
                path: shown,
                source,
            })
    }

    fn register(
        &self,
        direction: TransferDirection,
        name: &str,
        target: &TransferTarget,
        pod_path: &str,
        local_path: &str,
    ) -> TransferInfo {
        let info = TransferInfo {
            id: next_id(),
            direction,
            name: podterm_core::text::shown(name),
            target: target.clone(),
            pod_path: podterm_core::text::shown(pod_path),
            local_path: local_path.to_string(),
            bytes: 0,
            total: 0,
            rate: 0,
            state: TransferState::Running,
            notes: Vec::new(),
        };
        lock(&self.inner).items.insert(
            info.id,
            Item {
                info: info.clone(),
                cancel: Cancel::default(),
            },
        );
        self.send(info.clone());
        info
    }

    /// Runs one transfer on the profiles' runtime: the pod and container found, `work` run,
    /// its progress ticked out, its end recorded.
    fn spawn<F>(&self, profiles: &Profiles, id: u32, target: TransferTarget, work: F)
    where
        F: FnOnce(Cluster, Target, Meter, Cancel) -> Work + Send + 'static,
    {
        let Some(cancel) = lock(&self.inner).items.get(&id).map(|i| i.cancel.clone()) else {
            return;
        };
        let registry = self.clone();
        let profiles = profiles.clone();
        profiles.runtime().clone().spawn(async move {
            let meter = Meter::default();
            let started = Instant::now();
            let ticker = tokio::spawn(registry.clone().tick(id, meter.clone(), started));
            let profile = target.profile.clone();
            let result = match resolve(&profiles, &target).await {
                Err(words) => Err(Failure::Said(words)),
                Ok((c, t)) => work(c, t, meter.clone(), cancel).await,
            };
            ticker.abort();
            let elapsed = started.elapsed();
            let (state, notes) = match result {
                Ok(notes) => (TransferState::Done, notes),
                Err(Failure::Transfer(transfer::TransferError::Cancelled)) => {
                    (TransferState::Cancelled, Vec::new())
                }
                Err(Failure::Transfer(e)) => (
                    TransferState::Failed {
                        reason: Error::from_call(&profile, e).sentence(),
                    },
                    Vec::new(),
                ),
                Err(Failure::Said(reason)) => (TransferState::Failed { reason }, Vec::new()),
            };
            registry.update(id, |info| {
                info.bytes = meter.done();
                info.total = meter.total();
                info.rate = rate::average(meter.done(), elapsed);
                info.notes.extend(notes);
                info.state = state;
            });
        });
    }

    /// Sends a running transfer's progress while it changes.
    async fn tick(self, id: u32, meter: Meter, started: Instant) {
        let mut every = tokio::time::interval(Duration::from_secs(1) / TICKS_PER_SECOND.max(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut window = Rate::new(started);
        let mut last = (u64::MAX, u64::MAX);
        loop {
            every.tick().await;
            let (done, total) = (meter.done(), meter.total());
            let rate = window.sample(Instant::now(), done);
            if (done, total) != last {
                last = (done, total);
                self.update(id, |info| {
                    info.bytes = done;
                    info.total = total;
                    info.rate = rate;
                });
            }
        }
    }

    fn update(&self, id: u32, change: impl FnOnce(&mut TransferInfo)) {
        let info = {
            let mut inner = lock(&self.inner);
            let Some(item) = inner.items.get_mut(&id) else {
                return;
            };
            if item.info.state.is_final() {
                return;
            }
            change(&mut item.info);
            item.info.clone()
        };
        self.send(info);
    }

    fn send(&self, info: TransferInfo) {
        let mut inner = lock(&self.inner);
        if let Some(sink) = &inner.sink {
            if !sink(info) {
                inner.sink = None;
            }
        }
    }
}

/// Why a transfer failed: the engine's error, or words already said (no profile, no pod).
enum Failure {
    Transfer(transfer::TransferError),
    Said(String),
}

/// A transfer's work: the engine's report's notes, or why it failed.
type Work = std::pin::Pin<
    Box<dyn std::future::Future<Output = std::result::Result<Vec<String>, Failure>> + Send>,
>;

fn options(c: &Cluster) -> Options {
    Options::for_app(Tuning::with(c.liveness))
}

/// The profile's client and the engine's target: the namespace (empty: the profile's), the
/// pod (running) and the container (empty: the pod's default one), as a terminal finds them.
/// Fails with the sentence to show.
async fn resolve(
    profiles: &Profiles,
    target: &TransferTarget,
) -> std::result::Result<(Cluster, Target), String> {
    let (c, t) = resolve_target(profiles, target)
        .await
        .map_err(|e| e.sentence())?;
    Ok((c, t))
}

/// [`resolve`], failing with the shell's error (for the commands that answer at once).
pub async fn resolve_target(
    profiles: &Profiles,
    target: &TransferTarget,
) -> Result<(Cluster, Target)> {
    let c = profiles.cluster(&target.profile).await?;
    let found = resolve_in(&c, target)
        .await
        .map_err(|e| Error::from_call(&target.profile, e))?;
    Ok((c, found))
}

/// The engine's target in cluster `c`.
pub async fn resolve_in(
    c: &Cluster,
    target: &TransferTarget,
) -> std::result::Result<Target, pods::PodError> {
    let namespace = if target.namespace.is_empty() {
        c.namespace.clone()
    } else {
        target.namespace.clone()
    };
    let pod = within(
        Tuning::with(c.liveness).request_timeout,
        pods::resolve(&c.client, &namespace, &PodTarget::Pod(target.pod.clone())),
    )
    .await?;
    pods::check_running(&pod)?;
    let wanted = Some(target.container.as_str()).filter(|s| !s.is_empty());
    let (container, _) = pods::choose_container(&pod, wanted)?;
    Ok(Target {
        namespace,
        pod: target.pod.clone(),
        container,
    })
}

/// A local path from the webview to read: absolute, and there.
fn local_source(p: &str) -> Result<PathBuf> {
    let path = PathBuf::from(p);
    if !path.is_absolute() {
        return Err(Error::LocalPath {
            path: podterm_core::text::shown(p),
            why: "not an absolute path",
        });
    }
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Error::LocalPath {
            path: podterm_core::text::shown(p),
            why: "no such file or folder",
        });
    }
    Ok(path)
}

/// A local folder from the webview to write into: absolute, an existing directory.
fn local_folder(p: &str) -> Result<PathBuf> {
    let path = Path::new(p);
    if !path.is_absolute() {
        return Err(Error::LocalPath {
            path: podterm_core::text::shown(p),
            why: "not an absolute path",
        });
    }
    if !path.is_dir() {
        return Err(Error::LocalPath {
            path: podterm_core::text::shown(p),
            why: "not an existing folder",
        });
    }
    Ok(path.to_path_buf())
}

/// An upload's destination directory in the container: an absolute path.
fn pod_dir(d: &str) -> Result<String> {
    let d = d.trim();
    if !d.starts_with('/') {
        return Err(Error::LocalPath {
            path: podterm_core::text::shown(d),
            why: "the destination in the container must be an absolute path (starting with /)",
        });
    }
    Ok(d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_absolute_and_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").expect("write");
        assert!(local_source(&file.to_string_lossy()).is_ok());
        let kind = |r: Result<PathBuf>| r.map(|_| ()).map_err(|e| e.kind());
        use crate::error::ErrorKind::InvalidInput;
        assert_eq!(kind(local_source("f")), Err(InvalidInput));
        assert_eq!(
            kind(local_source(&dir.path().join("missing").to_string_lossy())),
            Err(InvalidInput)
        );
        assert!(local_folder(&dir.path().to_string_lossy()).is_ok());
        assert_eq!(
            kind(local_folder(&file.to_string_lossy())),
            Err(InvalidInput)
        );
        assert_eq!(kind(local_folder("tmp")), Err(InvalidInput));
        assert!(pod_dir(" /tmp ").is_ok_and(|d| d == "/tmp"));
        assert!(pod_dir("tmp").is_err());
    }
}
