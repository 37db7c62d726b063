//! Where a favourite leads now: the newest Ready pod of its workload (else its newest pod that
//! runs, not Ready), or its fixed pod; and the workload to favourite for a pod.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::Api;

use super::{Favourite, FavouriteError, Target};
use crate::pods::{self, WorkloadKind};

/// Where a favourite leads now: the pod, the container and the command to run.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub namespace: String,
    /// The pod's name.
    pub pod_name: String,
    /// The container: the favourite's, else the pod's default.
    pub container: String,
    /// kubectl's `Defaulted container "a" out of: a, b` note, when the first of several
    /// containers was taken.
    pub note: Option<String>,
    /// No pod of the workload was Ready, and this one, whose containers all run, was taken:
    /// the note that says so ([`pods::unready_note`]).
    pub unready: Option<String>,
    /// The favourite's command, else the shell fallback.
    pub command: Vec<String>,
    /// The pod as the API server returned it.
    pub pod: Pod,
}

/// Finds the pod a favourite means at this moment: for a workload, the newest Ready pod that is
/// not terminating among those its `spec.selector` matches now (so a rollout moves the favourite
/// to the new pods); with none Ready, the newest whose containers all run, with a note
/// ([`pods::resolve_to_run`]); for a fixed pod, that pod. Completed pods are refused, and the
/// container is checked as kubectl checks `-c`. When nothing runs the error names each pod and
/// why it is not Ready: `no Ready pod for deployment/web in namespace demo: web-abc (Pending:
/// ContainerCreating), web-def (terminating)`.
pub async fn resolve(client: &kube::Client, fav: &Favourite) -> Result<Resolved, FavouriteError> {
    let pods::ToRun { pod, unready } = pods::resolve_to_run(
        client,
        &fav.namespace,
        &fav.target.pod_target(),
        pods::Runs::Container(fav.container.as_deref()),
    )
    .await?;
    pods::check_running(&pod)?;
    let (container, note) = pods::choose_container(&pod, fav.container.as_deref())?;
    Ok(Resolved {
        namespace: fav.namespace.clone(),
        pod_name: pod.metadata.name.clone().unwrap_or_default(),
        container,
        note,
        unready,
        command: fav.command_or_shell(),
        pod,
    })
}

/// The target to favourite for the pod `pod_name`: its owning workload, so the favourite
/// survives rollouts (what a star on a pod saves). See [`target_for_pod`].
pub async fn favourite_for_pod(
    client: &kube::Client,
    namespace: &str,
    pod_name: &str,
) -> Result<Target, FavouriteError> {
    let pod = Api::<Pod>::namespaced(client.clone(), namespace)
        .get(pod_name)
        .await?;
    target_for_pod(client, namespace, &pod).await
}

/// The workload that owns `pod`, from its controller `ownerReference`: a ReplicaSet's own
/// Deployment owner when it has one (the ReplicaSet is read), else the ReplicaSet; a StatefulSet;
/// a DaemonSet. A pod with no such owner (a bare pod, or one owned by a Job, a node or a custom
/// controller podterm cannot follow) is favourited as itself.
pub async fn target_for_pod(
    client: &kube::Client,
    namespace: &str,
    pod: &Pod,
) -> Result<Target, FavouriteError> {
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let Some((kind, name)) = workload_owner(pod.metadata.owner_references.as_deref()) else {
        return Ok(Target::Pod(pod_name));
    };
    if kind != WorkloadKind::ReplicaSet {
        return Ok(Target::Workload { kind, name });
    }
    let rs = Api::<ReplicaSet>::namespaced(client.clone(), namespace)
        .get(&name)
        .await?;
    Ok(
        match workload_owner(rs.metadata.owner_references.as_deref()) {
            Some((WorkloadKind::Deployment, deployment)) => Target::Workload {
                kind: WorkloadKind::Deployment,
                name: deployment,
            },
            _ => Target::Workload { kind, name },
        },
    )
}

/// The `apps/*` workload among owner references: the controller if there is one, else the first
/// workload named.
fn workload_owner(refs: Option<&[OwnerReference]>) -> Option<(WorkloadKind, String)> {
    let refs = refs.unwrap_or_default();
    let workload = |r: &OwnerReference| {
        let group = r.api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
        (group == "apps")
            .then(|| WorkloadKind::from_kind(&r.kind))
            .flatten()
            .map(|k| (k, r.name.clone()))
    };
    match refs.iter().find(|r| r.controller == Some(true)) {
        Some(controller) => workload(controller),
        None => refs.iter().find_map(workload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(
        api_version: &str,
        kind: &str,
        name: &str,
        controller: Option<bool>,
    ) -> OwnerReference {
        OwnerReference {
            api_version: api_version.into(),
            kind: kind.into(),
            name: name.into(),
            uid: "u".into(),
            controller,
            block_owner_deletion: None,
        }
    }

    #[test]
    fn owners_are_apps_workloads_controller_first() {
        assert_eq!(workload_owner(None), None);
        assert_eq!(
            workload_owner(Some(&[owner("apps/v1", "StatefulSet", "db", Some(true))])),
            Some((WorkloadKind::StatefulSet, "db".into()))
        );
        assert_eq!(
            workload_owner(Some(&[owner("batch/v1", "Job", "j", Some(true))])),
            None,
            "a Job's pod is favourited as itself"
        );
        assert_eq!(
            workload_owner(Some(&[owner("v1", "Node", "n1", Some(true))])),
            None
        );
        assert_eq!(
            workload_owner(Some(&[owner(
                "example.com/v1",
                "ReplicaSet",
                "x",
                Some(true)
            )])),
            None,
            "a look-alike kind of another group"
        );
        assert_eq!(
            workload_owner(Some(&[
                owner("apps/v1", "DaemonSet", "not-controller", None),
                owner("apps/v1", "ReplicaSet", "rs", Some(true)),
            ])),
            Some((WorkloadKind::ReplicaSet, "rs".into()))
        );
        assert_eq!(
            workload_owner(Some(&[
                owner("example.com/v1", "Thing", "t", None),
                owner("apps/v1", "DaemonSet", "agent", None),
            ])),
            Some((WorkloadKind::DaemonSet, "agent".into()))
        );
    }
}
