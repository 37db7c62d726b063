//! A shell on a node (`kubectl debug node/NAME`): a pod placed on that node, in its network,
//! process and IPC namespaces, with the node's root filesystem at `/host` (`chroot /host` runs
//! the node's own programs), made as kubectl makes it, each profile included, so the same flags
//! give the same pod.
//!
//! The command line makes kubectl's pod and leaves it, as kubectl does. The app makes one per
//! tab, marked [`crate::podcopy::COPY_OF`] `node/NAME`, and deletes it when the tab closes
//! (through the same registry as its pod copies: [`crate::podcopy::delete_shell_copy`]).

use crate::cluster::ApiError;
use crate::debug::{overlay, CustomProfile, DebugProfile, PullPolicy};
use crate::podcopy::{self, CopyError, CopyPlan, COPY_OF};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::Api;
use serde_json::{json, Value};

/// The debugging container's name when none is asked for (kubectl's).
pub const CONTAINER: &str = "debugger";

/// The label kubectl puts on the pods it makes to debug a node.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kubectl-debug");

/// The debugging pod to make on a node.
#[derive(Debug, Clone, Default)]
pub struct NodeSpec {
    pub image: String,
    /// The container's name; `None`: [`CONTAINER`].
    pub container: Option<String>,
    pub profile: DebugProfile,
    /// The command; empty: the image's entrypoint.
    pub command: Vec<String>,
    /// `command` is the entrypoint's arguments.
    pub arguments_only: bool,
    pub env: Vec<(String, String)>,
    pub pull_policy: Option<PullPolicy>,
    pub stdin: bool,
    pub tty: bool,
    /// Laid over the container after its profile.
    pub custom: Option<CustomProfile>,
}

/// A debugging pod's name for `node`: `node-debugger-NODE-` and five letters or digits, as
/// kubectl draws them.
pub fn pod_name(node: &str) -> String {
    format!("node-debugger-{node}-{}", crate::debug::name_suffix())
}

/// The pod kubectl makes to debug `node` (`name` its name): the container as `spec` asks, on
/// that node, never restarted, tolerating every taint, then the profile and `--custom`.
/// Returns it and its container's name.
pub fn node_pod(node: &str, name: &str, spec: &NodeSpec) -> (Value, String) {
    let container = spec
        .container
        .clone()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| CONTAINER.to_string());
    let mut c = json!({
        "name": container,
        "image": spec.image,
        "terminationMessagePolicy": "File",
        "resources": {},
    });
    if !spec.env.is_empty() {
        c["env"] = spec
            .env
            .iter()
            .map(|(k, v)| json!({ "name": k, "value": v }))
            .collect();
    }
    crate::debug::set_run(
        &mut c,
        &spec.command,
        spec.arguments_only,
        spec.pull_policy,
        spec.stdin,
        spec.tty,
    );
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "labels": { MANAGED_BY.0: MANAGED_BY.1 } },
        "spec": {
            "containers": [c],
            "nodeName": node,
            "restartPolicy": "Never",
            "tolerations": [{ "operator": "Exists" }],
        },
    });
    shape(spec.profile, &mut pod);
    if let Some(custom) = &spec.custom {
        if let Some(c) = pod["spec"]["containers"].get_mut(0) {
            overlay(c, &custom.0);
        }
    }
    (pod, container)
}

/// What each profile does to a node's debugging pod, as kubectl's: the node's namespaces, its
/// root filesystem at `/host`, and the container's privileges.
fn shape(profile: DebugProfile, pod: &mut Value) {
    let (host, root) = match profile {
        DebugProfile::General | DebugProfile::Legacy | DebugProfile::Sysadmin => (true, true),
        DebugProfile::Netadmin => (true, false),
        DebugProfile::Baseline | DebugProfile::Restricted => (false, false),
    };
    let s = &mut pod["spec"];
    if host {
        for field in ["hostNetwork", "hostPID", "hostIPC"] {
            s[field] = json!(true);
        }
    }
    if root {
        s["volumes"] = json!([{ "name": "host-root", "hostPath": { "path": "/" } }]);
        s["containers"][0]["volumeMounts"] = json!([{ "name": "host-root", "mountPath": "/host" }]);
    }
    let c = &mut s["containers"][0];
    match profile {
        // The container starts with no security context of its own: these add nothing.
        DebugProfile::General | DebugProfile::Legacy | DebugProfile::Baseline => {}
        DebugProfile::Restricted | DebugProfile::Netadmin | DebugProfile::Sysadmin => {
            profile.shape(c)
        }
    }
}

/// The node `name`, as the API server has it (kubectl's words when it has none).
pub async fn get_node(client: &kube::Client, name: &str) -> Result<Node, ApiError> {
    let nodes: Api<Node> = Api::all(client.clone());
    Ok(nodes.get(name).await?)
}

/// The mark of a debugging pod the app made on `node` (its [`COPY_OF`] value).
pub fn mark(node: &str) -> String {
    format!("node/{node}")
}

/// What a shell on `node` would be, for the app to show before it asks: the node looked up
/// (an unknown one refused in the API server's words), a new debugging pod's name, `image` the
/// shell comes from. Changes nothing; a terminal with a copy request on `node/NODE` then makes
/// it ([`ensure_node_shell`]).
pub async fn plan_node_shell(
    client: &kube::Client,
    namespace: &str,
    node: &str,
    image: &str,
) -> Result<CopyPlan, CopyError> {
    let found = get_node(client, node).await?;
    let node = crate::text::shown(&found.metadata.name.unwrap_or_else(|| node.to_string()));
    Ok(CopyPlan {
        namespace: namespace.to_string(),
        pod: mark(&node),
        container: CONTAINER.to_string(),
        image: crate::text::shown(image),
        name: pod_name(&node),
    })
}

/// The app's pod on a node: kubectl's (its default profile: the node's namespaces and root
/// filesystem), a shell waiting on its own terminal so the pod stays up while tabs exec
/// shells into it, marked as ours.
pub fn shell_pod(node: &str, name: &str, image: &str) -> Value {
    let spec = NodeSpec {
        image: image.to_string(),
        command: vec!["sh".into()],
        stdin: true,
        tty: true,
        ..NodeSpec::default()
    };
    let (mut pod, container) = node_pod(node, name, &spec);
    pod["metadata"]["annotations"] = json!({
        COPY_OF: mark(node),
        "kubectl.kubernetes.io/default-container": container,
    });
    pod
}

/// The app's debugging pod `name` on `node`, ready to be waited for: the one there is when it
/// is ours (a reconnect; one that has ended is deleted and made again), else made now from
/// `image`. A pod of that name that is not ours, or
/// one being deleted, is refused; one made at the same moment by another tab is taken.
/// Returns the container and its image.
pub async fn ensure_node_shell(
    client: &kube::Client,
    namespace: &str,
    node: &str,
    name: &str,
    image: &str,
) -> Result<(String, String), CopyError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let of = mark(node);
    // Another pod of that name is said as the node's, not as a pod copy's.
    let ours = |there: &Pod| match podcopy::ours_to_use(there, &of, name, Some(CONTAINER)) {
        Err(CopyError::NotOurs { name, .. }) => Err(CopyError::NotOursOnNode {
            name,
            node: crate::text::shown(node),
        }),
        other => other,
    };
    if let Some(there) = pods.get_opt(name).await? {
        if !podcopy::finished(&there) {
            return ours(&there);
        }
        // Ours, and ended (its shell exited, and it is never restarted): made again under its
        // name, so the tab's Reconnect works.
        ours(&there)?;
        podcopy::remove_finished(&pods, &there, name).await?;
    }
    get_node(client, node).await?;
    let pod = shell_pod(node, name, image);
    match podcopy::create(client, namespace, &pod, None).await {
        Ok(_) => Ok((CONTAINER.to_string(), image.to_string())),
        Err(CopyError::Api(ApiError::Refused { code: 409, .. })) => ours(&pods.get(name).await?),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(profile: DebugProfile) -> NodeSpec {
        NodeSpec {
            image: "busybox".into(),
            profile,
            stdin: true,
            tty: true,
            ..NodeSpec::default()
        }
    }

    #[test]
    fn the_general_profile_shares_the_nodes_namespaces_and_mounts_its_root() {
        let (pod, c) = node_pod("n1", "node-debugger-n1-abcde", &spec(DebugProfile::General));
        assert_eq!(c, "debugger");
        let s = &pod["spec"];
        assert_eq!(s["nodeName"], "n1");
        assert_eq!(s["restartPolicy"], "Never");
        assert_eq!(s["tolerations"], json!([{ "operator": "Exists" }]));
        for f in ["hostNetwork", "hostPID", "hostIPC"] {
            assert_eq!(s[f], true, "{f}");
        }
        assert_eq!(s["volumes"][0]["hostPath"]["path"], "/");
        assert_eq!(
            s["containers"][0]["volumeMounts"],
            json!([{ "name": "host-root", "mountPath": "/host" }])
        );
        // A node's general profile grants no capability (a pod's adds SYS_PTRACE).
        assert!(s["containers"][0].get("securityContext").is_none());
        assert_eq!(pod["metadata"]["labels"][MANAGED_BY.0], MANAGED_BY.1);
        assert_eq!(s["containers"][0]["stdin"], true);
        assert!(s["containers"][0].get("command").is_none());
    }

    #[test]
    fn each_profile_does_what_kubectls_does_to_a_node_pod() {
        let (p, _) = node_pod("n", "x", &spec(DebugProfile::Baseline));
        assert!(p["spec"].get("hostPID").is_none() && p["spec"].get("volumes").is_none());
        let (p, _) = node_pod("n", "x", &spec(DebugProfile::Netadmin));
        assert_eq!(p["spec"]["hostNetwork"], true);
        assert!(p["spec"].get("volumes").is_none());
        assert_eq!(
            p["spec"]["containers"][0]["securityContext"]["capabilities"]["add"],
            json!(["NET_ADMIN", "NET_RAW"])
        );
        let (p, _) = node_pod("n", "x", &spec(DebugProfile::Sysadmin));
        assert_eq!(
            p["spec"]["containers"][0]["securityContext"]["privileged"],
            true
        );
        assert_eq!(p["spec"]["hostPID"], true);
        assert_eq!(p["spec"]["volumes"][0]["name"], "host-root");
        let (p, _) = node_pod("n", "x", &spec(DebugProfile::Restricted));
        assert!(p["spec"].get("hostPID").is_none());
        assert_eq!(
            p["spec"]["containers"][0]["securityContext"]["runAsNonRoot"],
            true
        );
        let (p, _) = node_pod("n", "x", &spec(DebugProfile::Legacy));
        assert_eq!(p["spec"]["hostIPC"], true);
        assert!(p["spec"]["containers"][0].get("securityContext").is_none());
    }

    #[test]
    fn flags_shape_the_container() {
        let s = NodeSpec {
            container: Some("dbg".into()),
            command: vec!["sleep".into(), "9".into()],
            arguments_only: true,
            env: vec![("A".into(), "1".into())],
            pull_policy: Some(PullPolicy::Never),
            custom: Some(CustomProfile::parse("{\"workingDir\": \"/host\"}").expect("custom")),
            ..spec(DebugProfile::General)
        };
        let (p, c) = node_pod("n", "x", &s);
        assert_eq!(c, "dbg");
        let c = &p["spec"]["containers"][0];
        assert_eq!(c["name"], "dbg");
        assert_eq!(c["args"], json!(["sleep", "9"]));
        assert_eq!(c["env"], json!([{ "name": "A", "value": "1" }]));
        assert_eq!(c["imagePullPolicy"], "Never");
        assert_eq!(c["workingDir"], "/host");
    }

    #[test]
    fn the_apps_pod_is_marked_with_its_node_and_runs_a_waiting_shell() {
        let p = shell_pod("n1", "node-debugger-n1-abcde", "busybox:1.36");
        assert_eq!(p["metadata"]["annotations"][COPY_OF], "node/n1");
        assert_eq!(
            p["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"],
            "debugger"
        );
        let c = &p["spec"]["containers"][0];
        assert_eq!(c["command"], json!(["sh"]));
        assert_eq!(
            (c["stdin"].clone(), c["tty"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(c["image"], "busybox:1.36");
        let name = pod_name("n1");
        assert!(
            name.starts_with("node-debugger-n1-") && name.len() == "node-debugger-n1-".len() + 5
        );
    }
}
