//! Debugging a copy of a pod (`kubectl debug --copy-to`): a new pod made from the pod's spec,
//! with a debug container added or one of its containers changed (its command, image,
//! environment), and what a debugging copy should not carry left out (labels that would put it
//! behind a Service or under a controller, probes that would restart it, the node it ran on).
//!
//! This is the way into a pod that cannot be entered: one that crashes as it starts (its copy
//! runs a shell instead of the crashing command), a finished one, or any pod on a cluster
//! without ephemeral containers. The copy is made as kubectl makes it, profiles included, so the
//! same flags give the same pod.

use crate::cluster::ApiError;
use crate::debug::{overlay, CustomProfile, DebugProfile, PullPolicy};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, PostParams};
use serde_json::{json, Value};

/// Why a copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// No container of that name and no image to make a new one with (kubectl's words).
    #[error("you must specify image when creating new container")]
    NeedsImage,
    /// `--custom` names a container that is not one of the pod's regular containers (an init
    /// container). kubectl's words.
    #[error("unable to find the {container} container in the pod {pod}")]
    CustomTarget { container: String, pod: String },
    /// The API server refused or failed (the copy's name taken: `AlreadyExists`).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A pod of the copy's name exists and is not a copy Podterm made of this pod: it is
    /// neither used nor deleted.
    #[error(
        "pod \"{name}\" exists and is not a copy Podterm made of pod \"{of}\": it is left alone"
    )]
    NotOurs { name: String, of: String },
    /// A pod of the name planned for a shell on a node exists and is not Podterm's debugging
    /// pod on that node: it is neither used nor deleted.
    #[error("pod \"{name}\" exists and is not Podterm's pod for a shell on node \"{node}\": it is left alone")]
    NotOursOnNode { name: String, node: String },
    /// The container to copy could not be chosen (kubectl's words).
    #[error(transparent)]
    Target(#[from] crate::pods::PodError),
    /// The copy is being deleted (its tab was closed a moment ago).
    #[error("the copy \"{name}\" is being deleted: open it again once it is gone")]
    Terminating { name: String },
    /// Our copy has ended for good and the pod it was made from is gone: nothing to make it
    /// again from. The ended copy is left as it is.
    #[error("the copy \"{name}\" has ended, and the pod \"{of}\" it was made from is gone, so it cannot be made again; closing this tab deletes it")]
    OriginalGone { name: String, of: String },
}

impl CopyError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        match self {
            CopyError::Api(e) => e.credentials_refused(),
            CopyError::Target(e) => e.credentials_refused(),
            _ => false,
        }
    }
}

impl From<kube::Error> for CopyError {
    fn from(e: kube::Error) -> Self {
        CopyError::Api(e.into())
    }
}

/// What the copy keeps of the original that a debugging copy leaves out by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub labels: bool,
    pub annotations: bool,
    pub liveness: bool,
    pub readiness: bool,
    pub startup: bool,
    pub init_containers: bool,
}

impl Default for Keep {
    /// kubectl's defaults: only the init containers are kept.
    fn default() -> Self {
        Keep {
            labels: false,
            annotations: false,
            liveness: false,
            readiness: false,
            startup: false,
            init_containers: true,
        }
    }
}

/// The copy to make.
#[derive(Debug, Clone, Default)]
pub struct CopySpec {
    /// The copy's name.
    pub name: String,
    /// The container to change, or the new debug container's name; `None`: a new one, named
    /// by [`CopySpec::fresh_name`]'s caller.
    pub container: Option<String>,
    /// The new (or changed) container's image.
    pub image: Option<String>,
    /// `(container, image)` pairs; container `*` is every container.
    pub set_images: Vec<(String, String)>,
    /// `shareProcessNamespace` as asked (`None`: the profile's choice).
    pub share_processes: Option<bool>,
    /// Keep `nodeName`: the copy runs on the original's node.
    pub same_node: bool,
    pub keep: Keep,
    pub profile: DebugProfile,
    /// The container's command; empty: as it was (or the image's entrypoint).
    pub command: Vec<String>,
    /// `command` is the entrypoint's arguments.
    pub arguments_only: bool,
    /// Replaces the container's environment when not empty.
    pub env: Vec<(String, String)>,
    pub pull_policy: Option<PullPolicy>,
    pub stdin: bool,
    pub tty: bool,
    pub custom: Option<CustomProfile>,
}

/// The annotation on a copy the app made to get a shell into a pod (its value: the original's
/// name). Only a pod carrying it is reused for a tab or deleted when the tab closes.
pub const COPY_OF: &str = "podterm.dev/debug-copy-of";

/// A shell copy's name: the pod's name, `-debug-` and five letters or digits (as
/// [`crate::debug::fresh_name`] draws them), the pod's part cut so the whole fits a pod name
/// (253 characters, and 63 for the hostname the kubelet derives from it).
pub fn shell_copy_name(pod: &str) -> String {
    let suffix = crate::debug::name_suffix();
    let mut base: String = pod.chars().take(63 - "-debug-".len() - 5).collect();
    // A cut may leave a dot or dash at the end: a DNS label may not end (or be followed) so.
    while base.ends_with(['.', '-']) {
        base.pop();
    }
    format!("{base}-debug-{suffix}")
}

/// What debugging a copy of a pod would do, for the app to show before it asks
/// ([`plan_shell_copy`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CopyPlan {
    pub namespace: String,
    /// The original pod.
    pub pod: String,
    /// Its container whose command the copy replaces with a shell.
    pub container: String,
    /// That container's image (the copy's shell comes from it).
    pub image: String,
    /// The copy's name.
    pub name: String,
}

/// What a shell copy of `container` (empty: the default one) of the pod would be. Changes
/// nothing; a terminal with a copy request then makes it ([`ensure_shell_copy`]).
pub async fn plan_shell_copy(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    container: &str,
) -> Result<CopyPlan, crate::pods::PodError> {
    let current = crate::pods::get_pod(client, namespace, pod).await?;
    let wanted = Some(container).filter(|c| !c.is_empty());
    let (container, _) = crate::pods::choose_container(&current, wanted)?;
    Ok(CopyPlan {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        image: crate::text::shown(&crate::pods::container_image(&current, &container)),
        name: shell_copy_name(pod),
        container: crate::text::shown(&container),
    })
}

/// The copy the app debugs: `container` runs a shell that waits on its TTY instead of its
/// command (so the pod stays up for the tab's shells), with kubectl's defaults for a copy
/// (labels that would put it behind a Service, annotations and probes left out, processes
/// shared, no node), under `name`, marked [`COPY_OF`] the original, `container` its default.
pub fn shell_copy(pod: &Value, container: &str, name: &str) -> Result<Value, CopyError> {
    let spec = CopySpec {
        name: name.to_string(),
        container: Some(container.to_string()),
        command: vec!["sh".into()],
        stdin: true,
        tty: true,
        ..CopySpec::default()
    };
    let (mut copy, _) = copy_of(pod, &spec, String::new)?;
    let of = pod["metadata"]["name"].as_str().unwrap_or_default();
    // The shell's container is the copy's default one: `kubectl exec` into the copy lands
    // there, and so does a tab that names no container.
    copy["metadata"]["annotations"] = json!({
        COPY_OF: of,
        "kubectl.kubernetes.io/default-container": container,
    });
    Ok(copy)
}

/// Whether `copy` (a pod) is a copy Podterm made of `of`.
fn is_ours(copy: &Pod, of: &str) -> bool {
    copy.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(COPY_OF))
        .is_some_and(|m| m == of)
}

/// The shell copy `name` of pod `of`, ready to be waited for: the one there is when it is ours
/// (a reconnect: the original may be gone by then), else made now from the pod as it is. An
/// ended copy of ours (a Job's pod never restarts its containers) is made again from the
/// original, when the original is still there.
/// `container` empty: the original's default one (the copy's first, for one there). Returns
/// the container and its image. A pod of that name that is not our copy of `of` is refused
/// ([`CopyError::NotOurs`]), one being deleted too; one made at the same moment by another tab
/// is taken.
pub async fn ensure_shell_copy(
    client: &kube::Client,
    namespace: &str,
    of: &str,
    container: &str,
    name: &str,
) -> Result<(String, String), CopyError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let wanted = Some(container).filter(|c| !c.is_empty());
    let there = pods.get_opt(name).await?;
    let ended = match &there {
        Some(there) => {
            let (container, image) = ours_to_use(there, of, name, wanted)?;
            if !ended_for_good(there, &container) {
                return Ok((container, image));
            }
            Some(there)
        }
        None => None,
    };
    let raw = match get_raw(client, namespace, of).await {
        Err(CopyError::Api(ApiError::Refused { code: 404, .. })) if ended.is_some() => {
            return Err(CopyError::OriginalGone {
                name: crate::text::shown(name),
                of: crate::text::shown(of),
            })
        }
        other => other?,
    };
    let typed: Pod = serde_json::from_value(raw.clone()).map_err(|e| {
        CopyError::Api(ApiError::Refused {
            code: 500,
            reason: "InternalError".into(),
            message: crate::text::shown(&format!("the pod could not be read: {e}")),
        })
    })?;
    let (container, _) = crate::pods::choose_container(&typed, wanted)?;
    let copy = shell_copy(&raw, &container, name)?;
    // Ours, and ended (its shell exited in a copy of a pod whose containers are never
    // restarted, a Job's say): made again under its name from the original, so the tab's
    // Reconnect works. Deleted only once the new copy is ready to be made: with the original
    // gone (or without that container), the ended copy stays.
    if let Some(there) = ended {
        remove_finished(&pods, there, name).await?;
    }
    match create(client, namespace, &copy, None).await {
        Ok(_) => {
            let image = crate::pods::container_image(&typed, &container);
            Ok((container, image))
        }
        // Made by another tab since the look: taken when it is ours.
        Err(CopyError::Api(ApiError::Refused { code: 409, .. })) => {
            let there = pods.get(name).await?;
            ours_to_use(&there, of, name, Some(&container))
        }
        Err(e) => Err(e),
    }
}

/// An existing pod of the copy's name, used when it is our copy of `of` and not being deleted:
/// the container and its image.
pub(crate) fn ours_to_use(
    there: &Pod,
    of: &str,
    name: &str,
    wanted: Option<&str>,
) -> Result<(String, String), CopyError> {
    if !is_ours(there, of) {
        return Err(CopyError::NotOurs {
            name: crate::text::shown(name),
            of: crate::text::shown(of),
        });
    }
    if there.metadata.deletion_timestamp.is_some() {
        return Err(CopyError::Terminating {
            name: crate::text::shown(name),
        });
    }
    let (container, _) = crate::pods::choose_container(there, wanted)?;
    let image = crate::pods::container_image(there, &container);
    Ok((container, image))
}

/// Whether the pod has ended for good (`Succeeded` or `Failed`): nothing in it runs, nor will.
pub(crate) fn finished(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    matches!(phase, Some("Succeeded" | "Failed"))
}

/// Whether `container` of the pod has ended for good: the pod has finished, or the container
/// has terminated and the pod's `restartPolicy` never starts it again (`Never`; `OnFailure`
/// after a 0), while another container (a sidecar) keeps the pod running.
fn ended_for_good(pod: &Pod, container: &str) -> bool {
    finished(pod) || crate::pods::ended_state(pod, container).is_some()
}

/// How long an ended pod of ours may take to go before it is made again (inside a terminal's
/// request timeout, 30 s by default, so that this wait's own words are the ones said).
const GONE_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Deletes our ended pod `there` at once (its shell has ended: whatever else runs in it, a
/// sidecar or a debug container, goes with it), then waits until it is gone; past
/// [`GONE_WAIT`] it is said to be still going.
pub(crate) async fn remove_finished(
    pods: &Api<Pod>,
    there: &Pod,
    name: &str,
) -> Result<(), CopyError> {
    let uid = there.metadata.uid.clone();
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: uid.clone().map(|uid| kube::api::Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match pods.delete(name, &params).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
        Err(e) => return Err(e.into()),
    }
    let deadline = tokio::time::Instant::now() + GONE_WAIT;
    loop {
        match pods.get_opt(name).await? {
            Some(p) if p.metadata.uid == uid => {}
            _ => return Ok(()),
        }
        if tokio::time::Instant::now() > deadline {
            return Err(CopyError::Terminating {
                name: crate::text::shown(name),
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What [`delete_shell_copy`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Deleted {
    /// It was our copy: deleted.
    Deleted,
    /// No pod of that name (deleted already, or its creation has not landed yet).
    Gone,
    /// A pod of that name that is not our copy of the original: left alone.
    NotOurs,
}

/// Deletes the shell copy `name` of pod `of` (as `kubectl delete --now`: a second's grace), only
/// when it is our copy of `of` (its [`COPY_OF`] annotation); any other pod is left alone.
pub async fn delete_shell_copy(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    of: &str,
) -> Result<Deleted, CopyError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let Some(there) = pods.get_opt(name).await? else {
        return Ok(Deleted::Gone);
    };
    if !is_ours(&there, of) {
        return Ok(Deleted::NotOurs);
    }
    let params = DeleteParams {
        grace_period_seconds: Some(1),
        // The pod looked at, not another made under its name since.
        preconditions: there
            .metadata
            .uid
            .clone()
            .map(|uid| kube::api::Preconditions {
                uid: Some(uid),
                resource_version: None,
            }),
        ..DeleteParams::default()
    };
    match pods.delete(name, &params).await {
        Ok(_) => Ok(Deleted::Deleted),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Deleted::Gone),
        Err(e) => Err(e.into()),
    }
}

/// The pod as the API server sends it, every field kept (a typed `Pod` would drop the fields
/// of Kubernetes versions newer than k8s-openapi's, and the copy would lack them).
pub async fn get_raw(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Value, CopyError> {
    let pods: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &ApiResource::erase::<Pod>(&()));
    let pod = pods.get(name).await?;
    serde_json::to_value(pod).map_err(|e| {
        CopyError::Api(ApiError::Refused {
            code: 500,
            reason: "InternalError".into(),
            message: format!("the pod could not be read: {e}"),
        })
    })
}

/// The copy of `pod` (as [`get_raw`] reads it) that `spec` asks for, and the container to
/// attach to (`None`: only images were changed). `fresh_name` names a new debug container when
/// `spec.container` does not.
pub fn copy_of(
    pod: &Value,
    spec: &CopySpec,
    fresh_name: impl FnOnce() -> String,
) -> Result<(Value, Option<String>), CopyError> {
    let meta = &pod["metadata"];
    let mut copy = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": spec.name,
            "namespace": meta["namespace"],
            "labels": meta["labels"],
            "annotations": meta["annotations"],
        },
        "spec": pod["spec"],
    });
    if !copy["spec"].is_object() {
        copy["spec"] = json!({});
    }
    let s = &mut copy["spec"];
    if let Some(m) = s.as_object_mut() {
        m.remove("ephemeralContainers");
        if !spec.same_node {
            m.remove("nodeName");
        }
        if let Some(share) = spec.share_processes {
            m.insert("shareProcessNamespace".into(), json!(share));
        }
    }
    let every = spec.set_images.iter().rev().find(|(n, _)| n == "*");
    for c in s["containers"].as_array_mut().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default().to_string();
        let image = spec
            .set_images
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .or(every)
            .map(|(_, i)| i.clone());
        if let Some(i) = image.filter(|i| !i.is_empty()) {
            c["image"] = json!(i);
        }
    }
    let wanted = spec.container.clone().unwrap_or_default();
    let exists = ["containers", "initContainers"].iter().any(|list| {
        s[*list]
            .as_array()
            .is_some_and(|a| a.iter().any(|c| c["name"] == wanted.as_str()))
    });
    let name = if exists {
        wanted
    } else {
        if spec.image.as_deref().unwrap_or_default().is_empty() {
            if !spec.set_images.is_empty() {
                return Ok((copy, None));
            }
            return Err(CopyError::NeedsImage);
        }
        let name = spec.container.clone().unwrap_or_else(fresh_name);
        let new = json!({ "name": name, "terminationMessagePolicy": "File" });
        match s["containers"].as_array_mut() {
            Some(a) => a.push(new),
            None => s["containers"] = json!([new]),
        }
        name
    };
    for list in ["containers", "initContainers"] {
        for c in s[list].as_array_mut().into_iter().flatten() {
            if c["name"] == name.as_str() {
                change(c, spec);
            }
        }
    }
    shape_pod(&mut copy, spec);
    if let Some(custom) = &spec.custom {
        let found = copy["spec"]["containers"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name.as_str());
        match found {
            Some(c) => overlay(c, &custom.0),
            None => {
                return Err(CopyError::CustomTarget {
                    container: crate::text::shown(&name),
                    pod: crate::text::shown(&spec.name),
                })
            }
        }
    }
    Ok((copy, Some(name)))
}

/// The container's command, environment, image, stdin and TTY as asked, then its profile.
fn change(c: &mut Value, spec: &CopySpec) {
    let Some(m) = c.as_object_mut() else {
        return;
    };
    if !spec.command.is_empty() {
        if spec.arguments_only {
            m.insert("args".into(), json!(spec.command));
        } else {
            m.insert("command".into(), json!(spec.command));
            m.remove("args");
        }
    }
    if !spec.env.is_empty() {
        let env: Vec<Value> = spec
            .env
            .iter()
            .map(|(k, v)| json!({ "name": k, "value": v }))
            .collect();
        m.insert("env".into(), json!(env));
    }
    if let Some(i) = spec.image.as_deref().filter(|i| !i.is_empty()) {
        m.insert("image".into(), json!(i));
    }
    if let Some(p) = spec.pull_policy {
        m.insert("imagePullPolicy".into(), json!(p.as_str()));
    }
    for (field, on) in [("stdin", spec.stdin), ("tty", spec.tty)] {
        if on {
            m.insert(field.into(), json!(true));
        } else {
            m.remove(field);
        }
    }
    spec.profile.shape(c);
}

/// What the profile does to the rest of a pod copy: labels, annotations, probes and init
/// containers left out unless kept, processes shared unless asked otherwise.
fn shape_pod(copy: &mut Value, spec: &CopySpec) {
    if spec.profile == DebugProfile::Legacy {
        // kubectl's legacy profile drops the labels, whatever --keep-labels says, and nothing
        // else.
        if let Some(m) = copy["metadata"].as_object_mut() {
            m.remove("labels");
        }
        return;
    }
    let keep = spec.keep;
    if let Some(m) = copy["metadata"].as_object_mut() {
        if !keep.labels {
            m.remove("labels");
        }
        if !keep.annotations {
            m.remove("annotations");
        }
    }
    let s = &mut copy["spec"];
    for c in s["containers"].as_array_mut().into_iter().flatten() {
        if let Some(m) = c.as_object_mut() {
            for (probe, kept) in [
                ("livenessProbe", keep.liveness),
                ("readinessProbe", keep.readiness),
                ("startupProbe", keep.startup),
            ] {
                if !kept {
                    m.remove(probe);
                }
            }
        }
    }
    if let Some(m) = s.as_object_mut() {
        if !keep.init_containers {
            m.remove("initContainers");
        }
        if m.get("shareProcessNamespace").is_none_or(Value::is_null) {
            m.insert("shareProcessNamespace".into(), json!(true));
        }
    }
}

/// Creates the copy; with `replace`, then deletes the original at once (grace period 0), as
/// kubectl does.
pub async fn create(
    client: &kube::Client,
    namespace: &str,
    copy: &Value,
    replace: Option<&str>,
) -> Result<DynamicObject, CopyError> {
    let pods: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &ApiResource::erase::<Pod>(&()));
    let object: DynamicObject = serde_json::from_value(copy.clone()).map_err(|e| {
        CopyError::Api(ApiError::Refused {
            code: 422,
            reason: "Invalid".into(),
            message: format!("the copy is not a pod: {e}"),
        })
    })?;
    let created = pods.create(&PostParams::default(), &object).await?;
    if let Some(original) = replace {
        pods.delete(original, &DeleteParams::default().grace_period(0))
            .await?;
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn original() -> Value {
        json!({
            "metadata": {
                "name": "crashy", "namespace": "demo",
                "labels": { "app": "crashy" }, "annotations": { "note": "x" },
            },
            "spec": {
                "nodeName": "node-1",
                "initContainers": [{ "name": "init", "image": "busybox", "command": ["true"] }],
                "containers": [
                    { "name": "app", "image": "app:1", "command": ["serve"], "args": ["--port", "80"],
                      "livenessProbe": { "exec": { "command": ["true"] } },
                      "readinessProbe": { "exec": { "command": ["true"] } },
                      "securityContext": { "runAsUser": 1000, "capabilities": { "add": ["CHOWN"] } } },
                    { "name": "side", "image": "side:1" },
                ],
                "ephemeralContainers": [{ "name": "debugger-aaaaa", "image": "busybox" }],
                // A field newer than k8s-openapi's types: kept in the copy.
                "hostnameOverride": "h",
            },
        })
    }

    fn spec() -> CopySpec {
        CopySpec {
            name: "crashy-debug".into(),
            stdin: true,
            tty: true,
            ..CopySpec::default()
        }
    }

    #[test]
    fn a_container_changed_in_place_runs_the_command_and_keeps_its_rights() {
        let s = CopySpec {
            container: Some("app".into()),
            command: vec!["sh".into()],
            ..spec()
        };
        let (copy, name) = copy_of(&original(), &s, || unreachable!()).expect("copy");
        assert_eq!(name.as_deref(), Some("app"));
        let app = &copy["spec"]["containers"][0];
        assert_eq!(app["command"], json!(["sh"]));
        assert!(app.get("args").is_none(), "the old args would follow sh");
        assert_eq!(
            (app["stdin"].clone(), app["tty"].clone()),
            (json!(true), json!(true))
        );
        // general: SYS_PTRACE added to what it had; its user kept.
        assert_eq!(
            app["securityContext"]["capabilities"]["add"],
            json!(["CHOWN", "SYS_PTRACE"])
        );
        assert_eq!(app["securityContext"]["runAsUser"], 1000);
        // What a debugging copy leaves out: labels, annotations, probes, the node, ephemeral
        // containers; init containers kept; processes shared.
        assert!(copy["metadata"].get("labels").is_none());
        assert!(copy["metadata"].get("annotations").is_none());
        assert!(app.get("livenessProbe").is_none() && app.get("readinessProbe").is_none());
        assert!(copy["spec"].get("nodeName").is_none());
        assert!(copy["spec"].get("ephemeralContainers").is_none());
        assert_eq!(copy["spec"]["initContainers"][0]["name"], "init");
        assert_eq!(copy["spec"]["shareProcessNamespace"], true);
        assert_eq!(copy["metadata"]["namespace"], "demo");
        assert_eq!(copy["spec"]["hostnameOverride"], "h");
    }

    #[test]
    fn a_new_container_needs_an_image_and_takes_a_fresh_name() {
        assert!(matches!(
            copy_of(&original(), &spec(), || unreachable!()),
            Err(CopyError::NeedsImage)
        ));
        let s = CopySpec {
            image: Some("busybox".into()),
            profile: DebugProfile::Restricted,
            keep: Keep {
                labels: true,
                liveness: true,
                init_containers: false,
                ..Keep::default()
            },
            share_processes: Some(false),
            same_node: true,
            ..spec()
        };
        let (copy, name) = copy_of(&original(), &s, || "debugger-xyzzy".into()).expect("copy");
        assert_eq!(name.as_deref(), Some("debugger-xyzzy"));
        let new = &copy["spec"]["containers"][2];
        assert_eq!(new["image"], "busybox");
        assert_eq!(new["terminationMessagePolicy"], "File");
        assert_eq!(
            new["securityContext"]["capabilities"]["drop"],
            json!(["ALL"])
        );
        assert_eq!(copy["metadata"]["labels"]["app"], "crashy");
        let app = &copy["spec"]["containers"][0];
        assert!(app.get("livenessProbe").is_some() && app.get("readinessProbe").is_none());
        assert!(copy["spec"].get("initContainers").is_none());
        assert_eq!(copy["spec"]["shareProcessNamespace"], false);
        assert_eq!(copy["spec"]["nodeName"], "node-1");
        // The others' stdin and rights untouched.
        assert_eq!(
            app["securityContext"]["capabilities"]["add"],
            json!(["CHOWN"])
        );
    }

    #[test]
    fn images_alone_change_every_or_one_container() {
        let s = CopySpec {
            set_images: vec![("*".into(), "x:2".into()), ("side".into(), "side:2".into())],
            stdin: false,
            tty: false,
            ..spec()
        };
        let (copy, name) = copy_of(&original(), &s, || unreachable!()).expect("copy");
        assert_eq!(name, None);
        assert_eq!(copy["spec"]["containers"][0]["image"], "x:2");
        assert_eq!(copy["spec"]["containers"][1]["image"], "side:2");
        // Only images: the profile is not applied (nothing is debugged).
        assert_eq!(copy["metadata"]["labels"]["app"], "crashy");
    }

    #[test]
    fn legacy_drops_only_the_labels() {
        let s = CopySpec {
            container: Some("app".into()),
            command: vec!["sh".into()],
            profile: DebugProfile::Legacy,
            keep: Keep {
                labels: true,
                ..Keep::default()
            },
            ..spec()
        };
        let (copy, _) = copy_of(&original(), &s, || unreachable!()).expect("copy");
        assert!(copy["metadata"].get("labels").is_none());
        assert_eq!(copy["metadata"]["annotations"]["note"], "x");
        assert!(copy["spec"]["containers"][0].get("livenessProbe").is_some());
        assert!(copy["spec"].get("shareProcessNamespace").is_none());
    }

    #[test]
    fn the_apps_copy_runs_a_waiting_shell_and_is_marked_ours() {
        let copy = shell_copy(&original(), "app", "crashy-debug-b2c4d").expect("copy");
        assert_eq!(copy["metadata"]["name"], "crashy-debug-b2c4d");
        assert_eq!(copy["metadata"]["namespace"], "demo");
        // Marked, and nothing else of the original's annotations or labels (a Service's
        // selector would send traffic to it).
        assert_eq!(
            copy["metadata"]["annotations"],
            json!({ COPY_OF: "crashy", "kubectl.kubernetes.io/default-container": "app" })
        );
        assert!(copy["metadata"].get("labels").is_none());
        let app = &copy["spec"]["containers"][0];
        assert_eq!(app["command"], json!(["sh"]));
        assert!(app.get("args").is_none());
        assert_eq!(
            (app["stdin"].clone(), app["tty"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(app["image"], "app:1");
        assert!(app.get("livenessProbe").is_none() && app.get("readinessProbe").is_none());
        // The other container runs as it did; no node, no ephemeral containers.
        assert_eq!(copy["spec"]["containers"][1]["image"], "side:1");
        assert!(copy["spec"].get("nodeName").is_none());
        assert!(copy["spec"].get("ephemeralContainers").is_none());
        // An init container's command can be the one replaced.
        let init = shell_copy(&original(), "init", "c").expect("copy");
        assert_eq!(init["spec"]["initContainers"][0]["command"], json!(["sh"]));
    }

    #[test]
    fn a_copys_name_fits_a_hostname_and_differs_each_time() {
        let a = shell_copy_name("crashy");
        assert!(
            a.starts_with("crashy-debug-") && a.len() == "crashy-debug-".len() + 5,
            "{a}"
        );
        assert!(a["crashy-debug-".len()..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let names: std::collections::HashSet<String> =
            (0..20).map(|_| shell_copy_name("crashy")).collect();
        assert!(names.len() > 1, "always {names:?}");
        // A long name is cut to 63 characters, never ending its part in a dash or dot.
        let long = format!("{}-{}", "a".repeat(50), "b".repeat(40));
        let n = shell_copy_name(&long);
        assert!(n.starts_with(&format!("{}-debug-", "a".repeat(50))), "{n}");
        assert_eq!(n.len(), 62, "{n}");
        let n = shell_copy_name(&"c".repeat(80));
        assert_eq!(n.len(), 63, "{n}");
    }

    #[test]
    fn a_copys_shell_has_ended_for_good_when_nothing_starts_it_again() {
        let pod = |policy: &str, phase: &str, state: Value| -> Pod {
            serde_json::from_value(json!({
                "metadata": { "name": "c" },
                "spec": { "restartPolicy": policy, "containers": [{ "name": "work" }, { "name": "side" }] },
                "status": { "phase": phase, "containerStatuses": [
                    { "name": "work", "state": state, "ready": false, "restartCount": 0, "image": "", "imageID": "" },
                    { "name": "side", "state": { "running": {} }, "ready": true, "restartCount": 0, "image": "", "imageID": "" },
                ] },
            }))
            .expect("pod")
        };
        let failed = json!({ "terminated": { "exitCode": 2 } });
        let clean = json!({ "terminated": { "exitCode": 0 } });
        let running = json!({ "running": {} });
        // A sidecar keeps the pod running; the shell's container is over all the same.
        assert!(ended_for_good(
            &pod("Never", "Running", failed.clone()),
            "work"
        ));
        assert_eq!(
            crate::pods::ended_state(&pod("Never", "Running", failed.clone()), "work").as_deref(),
            Some("Terminated, exit code 2")
        );
        assert!(ended_for_good(
            &pod("OnFailure", "Running", clean.clone()),
            "work"
        ));
        // Started again: not ended.
        assert!(!ended_for_good(
            &pod("OnFailure", "Running", failed.clone()),
            "work"
        ));
        assert!(!ended_for_good(&pod("Always", "Running", clean), "work"));
        assert!(!ended_for_good(
            &pod("Never", "Running", running.clone()),
            "work"
        ));
        // Another container's end is not this one's; a finished pod is over for each.
        assert!(!ended_for_good(&pod("Never", "Running", failed), "side"));
        assert!(ended_for_good(&pod("Always", "Succeeded", running), "side"));
    }
}
