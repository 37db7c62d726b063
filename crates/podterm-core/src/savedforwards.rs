//! The app's port forwards, kept so that they start again after a restart: `forwards.json`
//! beside the profiles, a [`VersionedFile`] (atomic writes under `forwards.lock`, a newer or
//! unreadable file never written over, unknown fields kept). A forward is where it went (profile,
//! namespace, pod, the port as given, the local port) and the workload it followed; never a
//! secret.
//!
//! At start a pod that is gone, or no longer running, is looked for again through that workload
//! ([`locate`]): a forward to a Deployment's pod replaced since comes back on its newest Ready
//! pod, on the same local port.

use crate::pods::{PodError, PodTarget, WorkloadKind};
use crate::store::{Extra, FileSpec, StoreError, VersionedFile};
use k8s_openapi::api::core::v1::Pod;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version this Podterm writes.
pub const FORMAT_VERSION: u32 = 1;
/// The file's name inside the config directory.
pub const FILE_NAME: &str = "forwards.json";
/// The lock file's name inside the config directory.
pub const LOCK_NAME: &str = "forwards.lock";
/// The forwards file, for [`VersionedFile`].
pub const SPEC: FileSpec = FileSpec {
    file_name: FILE_NAME,
    lock_name: LOCK_NAME,
    version: FORMAT_VERSION,
    noun: "port forwards",
    fresh: "start with no port forwards",
};
/// The most forwards kept (more are not saved: a runaway loop must not grow the file).
pub const MAX_FORWARDS: usize = 50;

/// One running forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedForward {
    pub profile: String,
    pub namespace: String,
    /// The pod it went to last.
    pub pod: String,
    /// The pod's port as the user gave it: a number or a declared name (through a Service,
    /// the Service's port).
    pub remote: String,
    /// The local port on 127.0.0.1 (taken again at start).
    pub local: u16,
    /// The workload it followed (`deployment/web`, `service/web`), if any: where the next pod
    /// is looked for.
    #[serde(default)]
    pub workload: Option<String>,
    /// The Service it went through (its name), translating `remote` for each pod; none: the
    /// pod's own port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Fields a newer Podterm wrote, kept on save.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The saved forwards, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SavedForwards {
    pub forwards: Vec<SavedForward>,
    /// Fields a newer Podterm wrote, kept on save.
    #[serde(flatten)]
    pub extra: Extra,
}

fn file(dir: &Path) -> VersionedFile<SavedForwards> {
    VersionedFile::new(dir, SPEC)
}

/// Reads `dir/forwards.json`; none when there is no file.
pub fn load(dir: &Path) -> Result<SavedForwards, StoreError> {
    file(dir).read()
}

/// Writes `forwards` (the first [`MAX_FORWARDS`]) to `dir/forwards.json`, keeping fields of the
/// file this Podterm does not know; a file that cannot be read is an error and stays as it is.
pub fn save(dir: &Path, forwards: &[SavedForward]) -> Result<(), StoreError> {
    let keep: Vec<SavedForward> = forwards.iter().take(MAX_FORWARDS).cloned().collect();
    file(dir).update(|current| {
        current.forwards = keep;
        Ok::<(), StoreError>(())
    })
}

/// The pod a saved forward goes to now: its pod while that runs, else its workload's newest
/// Ready pod (a StatefulSet's: only its own, made again), waiting up to `ready_wait` for one
/// when the workload has none Ready now (zero: not waiting; then, with `unready_ok`, one that
/// runs though not Ready is taken, with its note). Errors are the cluster's words (the pod gone
/// and nothing to follow, no Ready pod, unreachable).
pub async fn locate(
    client: &kube::Client,
    saved: &SavedForward,
    ready_wait: std::time::Duration,
    unready_ok: bool,
) -> Result<crate::pods::ToRun, PodError> {
    let found = |pod: Pod| crate::pods::ToRun { pod, unready: None };
    let api: kube::Api<Pod> = kube::Api::namespaced(client.clone(), &saved.namespace);
    let now = api
        .get_opt(&saved.pod)
        .await
        .map_err(|e| PodError::Api(e.into()))?;
    let running = now.as_ref().is_some_and(|p| {
        p.metadata.deletion_timestamp.is_none() && crate::portforward::check_running(p).is_ok()
    });
    match (now, &saved.workload) {
        (Some(p), _) if running => Ok(found(p)),
        (_, Some(w)) => match PodTarget::parse(w)? {
            // A StatefulSet's pods are not interchangeable (db-0 may be the primary): its own.
            PodTarget::Workload {
                kind: WorkloadKind::StatefulSet,
                ..
            } => crate::pods::get_pod(client, &saved.namespace, &saved.pod)
                .await
                .map(found),
            // The user's Start again: a pod that runs though not Ready, as kubectl takes it.
            target if ready_wait.is_zero() && unready_ok => {
                crate::pods::resolve_to_run(
                    client,
                    &saved.namespace,
                    &target,
                    crate::pods::Runs::Pod,
                )
                .await
            }
            target if ready_wait.is_zero() => {
                crate::pods::resolve(client, &saved.namespace, &target)
                    .await
                    .map(found)
            }
            target => {
                crate::pods::resolve_waiting(client, &saved.namespace, &target, ready_wait, |_| {})
                    .await
                    .map(found)
            }
        },
        (Some(p), None) => Ok(found(p)),
        (None, None) => crate::pods::get_pod(client, &saved.namespace, &saved.pod)
            .await
            .map(found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(pod: &str, local: u16) -> SavedForward {
        SavedForward {
            profile: "p".into(),
            namespace: "demo".into(),
            pod: pod.into(),
            remote: "http".into(),
            local,
            workload: Some("deployment/web".into()),
            service: None,
            extra: Extra::new(),
        }
    }

    #[test]
    fn forwards_round_trip_a_missing_file_is_none_and_newer_fields_stay() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(load(dir.path()).expect("none"), SavedForwards::default());
        let list = vec![forward("web-1", 8080), forward("db-0", 5432)];
        save(dir.path(), &list).expect("save");
        assert_eq!(load(dir.path()).expect("read").forwards, list);
        // A newer Podterm's fields, on the file and on a forward, survive a save by this one.
        let path = dir.path().join(FILE_NAME);
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("file")).expect("json");
        doc["future"] = serde_json::json!(1);
        doc["forwards"][0]["colour"] = serde_json::json!("red");
        std::fs::write(&path, doc.to_string()).expect("write");
        let read = load(dir.path()).expect("read");
        assert_eq!(read.forwards[0].extra["colour"], "red");
        save(dir.path(), &read.forwards).expect("save");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("file")).expect("json");
        assert_eq!(
            (doc["future"].clone(), doc["forwards"][0]["colour"].clone()),
            (1.into(), "red".into())
        );
    }

    #[test]
    fn at_most_max_forwards_are_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let many: Vec<SavedForward> = (0..(MAX_FORWARDS as u16 + 5))
            .map(|i| forward(&format!("p{i}"), 20000 + i))
            .collect();
        save(dir.path(), &many).expect("save");
        let read = load(dir.path()).expect("read").forwards;
        assert_eq!(read.len(), MAX_FORWARDS);
        assert_eq!(read[0].pod, "p0");
    }
}
