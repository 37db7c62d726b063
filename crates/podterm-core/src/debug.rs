//! Debug containers: an ephemeral container added to a running pod (`kubectl debug`'s
//! ephemeral-container form), waited for until it runs, and found again to reuse it.
//!
//! - The container is added with a strategic merge patch on `pods/{name}/ephemeralcontainers`
//!   (as kubectl sends it), with kubectl's debug profiles applied to its security context.
//! - Ours carry the environment variable [`MARKER_ENV`], so a later session can find and reuse
//!   a running one (ephemeral containers cannot be removed: each one added stays in the pod).
//! - Waiting follows the pod with a watch; an image that cannot be pulled ends the wait with the
//!   kubelet's reason instead of waiting for ever, as does a pod that has finished.

use crate::cluster::ApiError;
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ContainerStatus, EphemeralContainer, Pod};
use kube::api::{Api, Patch, PatchParams, WatchEvent, WatchParams};
use serde_json::json;

/// In the environment of every debug container Podterm adds (value `1`): how it tells its own
/// from others' when reusing one.
pub const MARKER_ENV: &str = "PODTERM_DEBUG";

/// kubectl's prefix for debug container names (`debugger-` and five characters).
pub const NAME_PREFIX: &str = "debugger-";

/// Waiting reasons after which the container will not start without a change elsewhere.
const PULL_FAILURES: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
];

/// Why a debug container could not be added or reached.
#[derive(Debug, thiserror::Error)]
pub enum DebugError {
    /// The API server refused, failed or could not be reached (kubectl's words for each).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The cluster does not serve `pods/{name}/ephemeralcontainers` (404): the feature is off
    /// or the cluster is older than Kubernetes 1.23. kubectl's words.
    #[error("ephemeral containers are disabled for this cluster (error from server: {message:?})")]
    Disabled {
        /// The API server's message.
        message: String,
    },
    /// RBAC refused the change (403): the user lacks `verb` on `pods/ephemeralcontainers`.
    /// Printed as the API server words it, which names the verb and the subresource.
    #[error(transparent)]
    Forbidden(ApiError),
    /// The pod has finished: the kubelet would never start a container in it.
    #[error("pod {pod} is not running (phase {phase}): a debug container would never start in it; debug a running pod of the same workload instead")]
    NotRunning {
        /// The pod's name.
        pod: String,
        /// Its phase (`Succeeded`, `Failed`).
        phase: String,
    },
    /// The image cannot be pulled: the container waits with one of the kubelet's pull reasons.
    #[error("debug container {container} cannot start: image {image:?} cannot be pulled ({reason}: {message}); check the image name and that the cluster may pull it (the container stays in the pod, waiting)")]
    ImagePull {
        container: String,
        image: String,
        /// `ErrImagePull`, `ImagePullBackOff`, ...
        reason: String,
        /// The kubelet's message.
        message: String,
    },
    /// The container ended before it could be attached to.
    #[error("debug container {container} ended before it could be attached to ({reason}, exit code {code}){}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Ended {
        container: String,
        reason: String,
        code: i32,
        message: Option<String>,
    },
    /// A pod copy's container keeps exiting as it starts (`CrashLoopBackOff`): waiting would
    /// never end. Most often its command is not in its image.
    #[error("debug container {container} exits as soon as it starts (exit code {code}{}, restarted {restarts} times), so there is nothing to attach to{}", why.as_ref().map(|w| format!(": {w}")).unwrap_or_default(), crash_advice(*code))]
    Crashing {
        container: String,
        code: i32,
        restarts: i32,
        /// The runtime's or the kubelet's words for its last end, escaped.
        why: Option<String>,
    },
    /// The pod was deleted while waiting for the container.
    #[error("pod {0} was deleted while waiting for the debug container")]
    PodDeleted(String),
    /// The target container could not be chosen (kubectl's words: no such container ...).
    #[error(transparent)]
    Target(#[from] crate::pods::PodError),
}

/// What a crash-looping container's exit code suggests: 126, 127 and 128 are a command that
/// cannot run or is not there (a shell in an image without one).
fn crash_advice(code: i32) -> &'static str {
    match code {
        126..=128 => "; its command may not be in its image (a copy of a container without a shell needs --image=busybox to run sh)",
        _ => "; its log may say why",
    }
}

impl DebugError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        match self {
            DebugError::Api(e) => e.credentials_refused(),
            DebugError::Target(e) => e.credentials_refused(),
            _ => false,
        }
    }
}

impl From<kube::Error> for DebugError {
    fn from(e: kube::Error) -> Self {
        DebugError::Api(e.into())
    }
}

/// kubectl debug's profiles, as they shape an ephemeral container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DebugProfile {
    /// Adds `SYS_PTRACE` (kubectl's default since 1.31).
    #[default]
    General,
    /// No extra privileges.
    Baseline,
    /// Non-root, every capability dropped, no privilege escalation, the runtime's seccomp.
    Restricted,
    /// Adds `NET_ADMIN` and `NET_RAW`.
    Netadmin,
    /// Privileged.
    Sysadmin,
    /// kubectl's old default (before 1.31, deprecated): nothing added to an ephemeral container.
    Legacy,
}

impl DebugProfile {
    /// The profile named as on kubectl's command line.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "general" => DebugProfile::General,
            "baseline" => DebugProfile::Baseline,
            "restricted" => DebugProfile::Restricted,
            "netadmin" => DebugProfile::Netadmin,
            "sysadmin" => DebugProfile::Sysadmin,
            "legacy" => DebugProfile::Legacy,
            _ => return None,
        })
    }

    /// Shapes the debug container's `securityContext` as the profile does in kubectl, on top of
    /// what it has (an ephemeral container has nothing; a pod copy's container may have its own):
    /// capabilities are added to its list, `baseline` and `restricted` start from none.
    pub fn shape(self, container: &mut serde_json::Value) {
        let Some(c) = container.as_object_mut() else {
            return;
        };
        let add = |c: &mut serde_json::Map<String, serde_json::Value>, cap: &str| {
            let list =
                &mut c.entry("securityContext").or_insert_with(|| json!({}))["capabilities"]["add"];
            match list.as_array_mut() {
                Some(a) => a.push(json!(cap)),
                None => *list = json!([cap]),
            }
        };
        match self {
            DebugProfile::General => add(c, "SYS_PTRACE"),
            DebugProfile::Legacy => {}
            DebugProfile::Baseline => {
                c.remove("securityContext");
            }
            DebugProfile::Restricted => {
                c.insert(
                    "securityContext".into(),
                    json!({
                        "runAsNonRoot": true,
                        "capabilities": { "drop": ["ALL"] },
                        "allowPrivilegeEscalation": false,
                        "seccompProfile": { "type": "RuntimeDefault" },
                    }),
                );
            }
            DebugProfile::Netadmin => {
                add(c, "NET_ADMIN");
                add(c, "NET_RAW");
            }
            DebugProfile::Sysadmin => {
                c.entry("securityContext").or_insert_with(|| json!({}))["privileged"] = json!(true);
            }
        }
    }
}

/// Whether `image` is an image reference as kubectl checks one (the grammar of
/// `distribution/reference`'s `ReferenceRegexp`: `[domain[:port]/]path[:tag][@digest]`).
pub fn valid_image(image: &str) -> bool {
    let alnum = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    // alpha-numeric (separator alpha-numeric)*, separator: `.`, `_`, `__` or dashes.
    let path_component = |s: &str| {
        let mut rest = s;
        loop {
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
                .unwrap_or(rest.len());
            if !alnum(&rest[..end]) {
                return false;
            }
            rest = &rest[end..];
            if rest.is_empty() {
                return true;
            }
            let sep = if rest.starts_with("__") {
                2
            } else if rest.starts_with('.') || rest.starts_with('_') {
                1
            } else {
                rest.len() - rest.trim_start_matches('-').len()
            };
            if sep == 0 {
                return false;
            }
            rest = &rest[sep..];
        }
    };
    let domain_component = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    let domain = |s: &str| {
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) if !s.ends_with(']') => (h, Some(p)),
            _ => (s, None),
        };
        let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            !v6.is_empty() && v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
        } else {
            host.split('.').all(domain_component)
        };
        host_ok && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let Some((algorithm, hex)) = d.split_once(':') else {
            return false;
        };
        let algorithm_ok = algorithm.split(['+', '.', '-', '_']).all(|c| {
            c.starts_with(|x: char| x.is_ascii_alphabetic())
                && c.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !algorithm_ok || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if !ok {
            return false;
        }
    }
    let parts: Vec<&str> = name.split('/').collect();
    match parts.split_first() {
        Some((first, more)) if !more.is_empty() => {
            (path_component(first) || domain(first)) && more.iter().all(|p| path_component(p))
        }
        Some((only, _)) => path_component(only),
        None => false,
    }
}

/// When the kubelet pulls the debug container's image (`imagePullPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    /// The policy as named in a pod spec (and on kubectl's command line).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "Always" => PullPolicy::Always,
            "IfNotPresent" => PullPolicy::IfNotPresent,
            "Never" => PullPolicy::Never,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

/// A partial container spec laid over the debug container after its profile (kubectl debug's
/// `--custom`): a security context, environment, working directory, mounts and the like. It may
/// not name the container or set its command, image, lifecycle or volume devices.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomProfile(pub(crate) serde_json::Map<String, serde_json::Value>);

/// Why a custom profile was refused.
#[derive(Debug, thiserror::Error)]
pub enum CustomError {
    /// Neither JSON nor YAML, or not of a container spec's shape (the parser's words).
    #[error("{0}")]
    Invalid(String),
    /// It sets a field the debug container's own flags own (kubectl's words).
    #[error(
        "name, command, image, lifecycle and volume devices are not modifiable via custom profile"
    )]
    NotModifiable,
}

impl CustomProfile {
    /// Reads a custom profile from a file's text: JSON, else YAML (as kubectl tries them). Fields
    /// a container spec does not have are dropped, as kubectl's typed reading drops them; a
    /// field of the wrong type is refused. An empty document changes nothing.
    pub fn parse(text: &str) -> Result<Self, CustomError> {
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => {
                serde_yaml::from_str(text).map_err(|e| CustomError::Invalid(e.to_string()))?
            }
        };
        let mut map = match value {
            serde_json::Value::Null => return Ok(CustomProfile::default()),
            serde_json::Value::Object(m) => m,
            other => {
                return Err(CustomError::Invalid(format!(
                    "a container spec is an object, not {}",
                    json_kind(&other)
                )))
            }
        };
        // A container needs a name to be read as one; the placeholder is taken out again.
        let named = map
            .get("name")
            .and_then(|n| n.as_str())
            .is_some_and(|n| !n.is_empty());
        map.entry("name").or_insert_with(|| json!(""));
        let container: k8s_openapi::api::core::v1::Container =
            serde_json::from_value(serde_json::Value::Object(map))
                .map_err(|e| CustomError::Invalid(e.to_string()))?;
        if named
            || container.command.as_ref().is_some_and(|c| !c.is_empty())
            || container.image.as_ref().is_some_and(|i| !i.is_empty())
            || container.lifecycle.is_some()
            || container
                .volume_devices
                .as_ref()
                .is_some_and(|v| !v.is_empty())
        {
            return Err(CustomError::NotModifiable);
        }
        let serde_json::Value::Object(mut typed) =
            serde_json::to_value(&container).map_err(|e| CustomError::Invalid(e.to_string()))?
        else {
            return Err(CustomError::Invalid("not a container spec".into()));
        };
        typed.remove("name");
        Ok(CustomProfile(typed))
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Lists of a container that a strategic merge merges item by item, by this key.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "env" => Some("name"),
        "ports" => Some("containerPort"),
        "volumeMounts" => Some("mountPath"),
        "resizePolicy" => Some("resourceName"),
        _ => None,
    }
}

/// Lays `patch` over `base` as a strategic merge patch of a container does: objects merged
/// field by field, keyed lists item by item, anything else replaced.
pub(crate) fn overlay(
    base: &mut serde_json::Value,
    patch: &serde_json::Map<String, serde_json::Value>,
) {
    if !base.is_object() {
        *base = json!({});
    }
    let Some(b) = base.as_object_mut() else {
        return;
    };
    for (k, v) in patch {
        match (b.get_mut(k), v, merge_key(k)) {
            (Some(serde_json::Value::Array(have)), serde_json::Value::Array(items), Some(key)) => {
                for item in items {
                    let at = have
                        .iter()
                        .position(|h| h.get(key).is_some() && h.get(key) == item.get(key));
                    match (at, item.as_object()) {
                        (Some(i), Some(fields)) => overlay(&mut have[i], fields),
                        _ => have.push(item.clone()),
                    }
                }
            }
            (Some(have @ serde_json::Value::Object(_)), serde_json::Value::Object(fields), _) => {
                overlay(have, fields)
            }
            _ => {
                b.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The debug container to add.
#[derive(Debug, Clone, Default)]
pub struct DebugSpec {
    pub image: String,
    /// The container whose processes (and, on testcluster, files) the debug container shares.
    pub target: Option<String>,
    pub profile: DebugProfile,
    /// Keep stdin open (for attaching).
    pub stdin: bool,
    pub tty: bool,
    /// The command; empty: the image's entrypoint.
    pub command: Vec<String>,
    /// `command` is the entrypoint's arguments (`args`), not a command (`--arguments-only`).
    pub arguments_only: bool,
    /// Environment variables besides [`MARKER_ENV`], in order.
    pub env: Vec<(String, String)>,
    /// The image pull policy; `None`: the server's default.
    pub pull_policy: Option<PullPolicy>,
    /// Laid over the container after its profile.
    pub custom: Option<CustomProfile>,
}

impl DebugSpec {
    /// The app's debug container: `image` beside `target`, kubectl's default profile, with
    /// stdin and a TTY kept open by its own shell, so that it keeps running while tabs exec
    /// shells into it (one per pod, image and target, shared by every tab).
    pub fn shared_shell(image: &str, target: &str) -> Self {
        DebugSpec {
            image: image.to_string(),
            target: Some(target.to_string()),
            profile: DebugProfile::General,
            stdin: true,
            tty: true,
            ..DebugSpec::default()
        }
    }
}

/// The ephemeral container a spec makes, under `name`.
pub fn ephemeral_container(spec: &DebugSpec, name: &str) -> serde_json::Value {
    let mut env = vec![json!({ "name": MARKER_ENV, "value": "1" })];
    env.extend(
        spec.env
            .iter()
            .map(|(k, v)| json!({ "name": k, "value": v })),
    );
    let mut c = json!({
        "name": name,
        "image": spec.image,
        "env": env,
        "resources": {},
        "terminationMessagePolicy": "File",
    });
    set_run(
        &mut c,
        &spec.command,
        spec.arguments_only,
        spec.pull_policy,
        spec.stdin,
        spec.tty,
    );
    if let Some(t) = spec.target.as_deref().filter(|t| !t.is_empty()) {
        c["targetContainerName"] = json!(t);
    }
    spec.profile.shape(&mut c);
    if let Some(custom) = &spec.custom {
        overlay(&mut c, &custom.0);
    }
    c
}

/// What a new debug container runs and how, as kubectl's flags set it: the command (or, with
/// `arguments_only`, the entrypoint's arguments), the pull policy, stdin and a TTY.
pub(crate) fn set_run(
    c: &mut serde_json::Value,
    command: &[String],
    arguments_only: bool,
    pull_policy: Option<PullPolicy>,
    stdin: bool,
    tty: bool,
) {
    if !command.is_empty() {
        let field = if arguments_only { "args" } else { "command" };
        c[field] = json!(command);
    }
    if let Some(p) = pull_policy {
        c["imagePullPolicy"] = json!(p.as_str());
    }
    if stdin {
        c["stdin"] = json!(true);
    }
    if tty {
        c["tty"] = json!(true);
    }
}

/// kubectl's warning case: the pod runs as a non-root user, and the debug container is given
/// privileges or capabilities without running as root itself, so they may not work.
pub fn privileges_may_not_work(pod: &Pod, container: &serde_json::Value) -> bool {
    let pod_user = pod
        .spec
        .as_ref()
        .and_then(|s| s.security_context.as_ref())
        .and_then(|s| s.run_as_user);
    if pod_user.unwrap_or(0) == 0 {
        return false;
    }
    let sc = &container["securityContext"];
    if !sc.is_object() || sc["runAsUser"].as_i64() == Some(0) {
        return false;
    }
    sc["privileged"].as_bool() == Some(true)
        || sc["capabilities"]["add"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
}

/// Every container name in the pod: containers, init containers and ephemeral containers.
fn names_in(pod: &Pod) -> Vec<String> {
    let Some(spec) = pod.spec.as_ref() else {
        return vec![];
    };
    let mut names: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
    names.extend(
        spec.init_containers
            .iter()
            .flatten()
            .map(|c| c.name.clone()),
    );
    names.extend(
        spec.ephemeral_containers
            .iter()
            .flatten()
            .map(|c| c.name.clone()),
    );
    names
}

/// Five letters or digits as kubectl draws a generated name's suffix (no vowels, no look-alikes).
pub fn name_suffix() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A fresh `debugger-xxxxx` name the pod does not use (kubectl's pattern).
pub fn fresh_name(pod: &Pod) -> String {
    let taken = names_in(pod);
    loop {
        let name = format!("{NAME_PREFIX}{}", name_suffix());
        if !taken.contains(&name) {
            return name;
        }
    }
}

/// The pod's phase, empty when it reports none.
fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

/// Refuses a pod that has finished: no container would ever start in it.
pub fn check_running(pod: &Pod) -> Result<(), DebugError> {
    let p = phase(pod);
    if p == "Succeeded" || p == "Failed" {
        return Err(DebugError::NotRunning {
            pod: crate::text::shown(pod.metadata.name.as_deref().unwrap_or("")),
            phase: crate::text::shown(p),
        });
    }
    Ok(())
}

/// The status of the container of that name: an ephemeral one, or (in a pod copy) a regular or
/// init container. Names are unique across the three in a pod.
fn status_of<'a>(pod: &'a Pod, name: &str) -> Option<&'a ContainerStatus> {
    let status = pod.status.as_ref()?;
    [
        &status.ephemeral_container_statuses,
        &status.container_statuses,
        &status.init_container_statuses,
    ]
    .into_iter()
    .flatten()
    .flatten()
    .find(|s| s.name == name)
}

fn is_ours(c: &EphemeralContainer) -> bool {
    c.env
        .iter()
        .flatten()
        .any(|e| e.name == MARKER_ENV && e.value.as_deref() == Some("1"))
}

/// A container's spec as compared for reuse: without what is compared on its own or what a
/// server fills in (`name`, `stdin`, `tty`, `command`, `args`, `targetContainerName`,
/// `resources`, `terminationMessage*`, and `imagePullPolicy` unless `keep_pull_policy`), and
/// without empty values (`""`, `[]`, `{}`), which an API server drops from what it returns.
fn comparable(container: &serde_json::Value, keep_pull_policy: bool) -> serde_json::Value {
    fn drop_empty(v: &serde_json::Value) -> Option<serde_json::Value> {
        use serde_json::Value;
        match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::Array(a) => {
                let items: Vec<Value> = a.iter().filter_map(drop_empty).collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Value::Object(m) => {
                let fields: serde_json::Map<String, Value> = m
                    .iter()
                    .filter_map(|(k, v)| drop_empty(v).map(|v| (k.clone(), v)))
                    .collect();
                (!fields.is_empty()).then_some(Value::Object(fields))
            }
            other => Some(other.clone()),
        }
    }
    let mut c = drop_empty(container).unwrap_or_else(|| json!({}));
    if let Some(m) = c.as_object_mut() {
        for field in [
            "name",
            "stdin",
            "stdinOnce",
            "tty",
            "command",
            "args",
            "targetContainerName",
            "resources",
            "terminationMessagePath",
            "terminationMessagePolicy",
        ] {
            m.remove(field);
        }
        if !keep_pull_policy {
            m.remove("imagePullPolicy");
        }
    }
    c
}

/// A running debug container of ours in the pod that a new session can attach to instead of
/// adding another: same image and target, stdin open, the same TTY choice, the same command,
/// and all else this spec would give a new one, no more (environment, pull policy when given,
/// the profile's security context, the custom profile's fields).
pub fn find_reusable(pod: &Pod, spec: &DebugSpec) -> Option<String> {
    let list = pod.spec.as_ref()?.ephemeral_containers.as_ref()?;
    let target = spec.target.as_deref().filter(|t| !t.is_empty());
    let (command, args): (&[String], &[String]) = if spec.arguments_only {
        (&[], &spec.command)
    } else {
        (&spec.command, &[])
    };
    // All else a new one would have (environment, security context, custom fields), neither
    // more nor less: a `baseline` session never lands in a privileged container.
    let want = comparable(&ephemeral_container(spec, ""), spec.pull_policy.is_some());
    list.iter()
        .filter(|c| is_ours(c))
        .filter(|c| c.image.as_deref() == Some(spec.image.as_str()))
        .filter(|c| c.target_container_name.as_deref().filter(|t| !t.is_empty()) == target)
        // Attached to (`-i`): one that takes stdin, with a terminal as asked. Not attached to:
        // any (`debug --reuse … -- sleep 1d` run twice adds one container, not two).
        .filter(|c| !spec.stdin || (c.stdin == Some(true) && c.tty.unwrap_or(false) == spec.tty))
        // Running what was asked for: `debug --reuse … -- top` never lands in a shell.
        .filter(|c| c.command.as_deref().unwrap_or_default() == command)
        .filter(|c| c.args.as_deref().unwrap_or_default() == args)
        .filter(|c| {
            serde_json::to_value(c)
                .is_ok_and(|have| comparable(&have, spec.pull_policy.is_some()) == want)
        })
        .filter(|c| {
            status_of(pod, &c.name)
                .and_then(|s| s.state.as_ref())
                .is_some_and(|s| s.running.is_some())
        })
        .map(|c| c.name.clone())
        .next_back()
}

/// Adds the debug container `name` to the pod; returns the pod as the API server answered.
pub async fn add(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    spec: &DebugSpec,
    name: &str,
) -> Result<Pod, DebugError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let patch = json!({ "spec": { "ephemeralContainers": [ephemeral_container(spec, name)] } });
    match pods
        .patch_ephemeral_containers(pod, &PatchParams::default(), &Patch::Strategic(patch))
        .await
    {
        Ok(p) => Ok(p),
        Err(e) => Err(match ApiError::from(e) {
            // The pod was there a moment ago: the subresource is what is missing.
            ApiError::Refused {
                code: 404, message, ..
            } => DebugError::Disabled { message },
            e @ ApiError::Refused { code: 403, .. } => DebugError::Forbidden(e),
            e => DebugError::Api(e),
        }),
    }
}

/// What the container's status says about waiting on.
enum Progress {
    Running,
    Terminated(DebugError),
    Failed(DebugError),
    Waiting(Option<String>),
}

fn progress(pod: &Pod, name: &str, image: &str) -> Progress {
    let Some(state) = status_of(pod, name).and_then(|s| s.state.as_ref()) else {
        return Progress::Waiting(None);
    };
    if state.running.is_some() {
        return Progress::Running;
    }
    if let Some(t) = &state.terminated {
        return Progress::Terminated(DebugError::Ended {
            container: name.to_string(),
            reason: crate::text::shown(t.reason.as_deref().unwrap_or("Terminated")),
            code: t.exit_code,
            message: t.message.as_deref().map(crate::text::shown),
        });
    }
    let waiting = state.waiting.as_ref();
    let reason = waiting.and_then(|w| w.reason.as_deref()).unwrap_or("");
    let message = waiting.and_then(|w| w.message.clone());
    if reason == "CrashLoopBackOff" {
        let status = status_of(pod, name);
        let last = status
            .and_then(|s| s.last_state.as_ref())
            .and_then(|s| s.terminated.as_ref());
        let code = last.map_or(0, |t| t.exit_code);
        if code == 0 {
            // A quick command that ended well (and will run again): ended, its log what there
            // is to see, as when it is seen terminated.
            return Progress::Terminated(DebugError::Ended {
                container: name.to_string(),
                reason: crate::text::shown(
                    last.and_then(|t| t.reason.as_deref())
                        .unwrap_or("Completed"),
                ),
                code,
                message: None,
            });
        }
        return Progress::Failed(DebugError::Crashing {
            container: name.to_string(),
            code,
            restarts: status.map_or(0, |s| s.restart_count),
            why: last
                .and_then(|t| t.message.as_deref())
                .filter(|m| !m.is_empty())
                .map(crate::text::shown),
        });
    }
    if PULL_FAILURES.contains(&reason) {
        return Progress::Failed(DebugError::ImagePull {
            container: name.to_string(),
            image: crate::text::shown(image),
            reason: crate::text::shown(reason),
            message: crate::text::shown(message.as_deref().unwrap_or("")),
        });
    }
    Progress::Waiting(message.map(|m| crate::text::shown(&m)))
}

/// How the wait ended when the container runs or has run.
#[derive(Debug)]
pub enum Ready {
    /// Running: attach to it.
    Running(Pod),
    /// It ran and ended (a short command): nothing to attach to.
    Ended(Pod, DebugError),
}

/// Waits until the debug container runs (or has ended), following the pod with a watch.
/// `on_waiting` gets each new waiting message (kubectl prints them as warnings). Ends with an
/// error for an image that cannot be pulled, a deleted pod, and a finished pod in which the
/// container has not run (one that ran and ended there is [`Ready::Ended`]).
pub async fn wait_running(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    name: &str,
    image: &str,
    mut on_waiting: impl FnMut(&str),
) -> Result<Ready, DebugError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = WatchParams::default()
        .fields(&format!("metadata.name={pod}"))
        .timeout(290);
    let mut last_message: Option<String> = None;
    let mut check = |p: Pod| -> Result<Option<Ready>, DebugError> {
        // A finished pod never starts an ephemeral container; a copy's container that ran
        // and ended (a Job's pod copied) is ended, its log what there is to see.
        let finished = check_running(&p);
        match progress(&p, name, image) {
            Progress::Terminated(e) => return Ok(Some(Ready::Ended(p, e))),
            _ => finished?,
        }
        match progress(&p, name, image) {
            Progress::Running => Ok(Some(Ready::Running(p))),
            Progress::Terminated(e) => Ok(Some(Ready::Ended(p, e))),
            Progress::Failed(e) => Err(e),
            Progress::Waiting(m) => {
                if let Some(m) = m {
                    if last_message.as_deref() != Some(m.as_str()) {
                        on_waiting(&m);
                        last_message = Some(m);
                    }
                }
                Ok(None)
            }
        }
    };
    loop {
        let current = match pods.get(pod).await {
            Ok(p) => p,
            Err(kube::Error::Api(s)) if s.code == 404 => {
                return Err(DebugError::PodDeleted(crate::text::shown(pod)))
            }
            Err(e) => return Err(e.into()),
        };
        let rv = current
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        if let Some(done) = check(current)? {
            return Ok(done);
        }
        let mut events = pods.watch(&params, &rv).await?.boxed();
        while let Some(ev) = events.try_next().await? {
            match ev {
                WatchEvent::Added(p) | WatchEvent::Modified(p) => {
                    if let Some(done) = check(p)? {
                        return Ok(done);
                    }
                }
                WatchEvent::Deleted(_) => {
                    return Err(DebugError::PodDeleted(crate::text::shown(pod)))
                }
                WatchEvent::Bookmark(_) => {}
                // Expired or any other watch error: look again and watch anew.
                WatchEvent::Error(_) => break,
            }
        }
    }
}

/// What debugging a container would do, for the app to show before it asks (`plan`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DebugPlan {
    pub namespace: String,
    pub pod: String,
    /// The container debugged (the requested one, else the pod's default).
    pub target: String,
    pub image: String,
    /// The debug container's name: the running one to reuse, or the one to add.
    pub name: String,
    /// A running debug container of ours is reused: nothing is added to the pod.
    pub reuse: bool,
}

/// What debugging `container` (empty: the default one) of the pod with `image` would do: reuse
/// a running debug container of ours with that image and target, or add one under a fresh
/// name. Refuses a pod that has finished and a container the pod lacks. Changes nothing.
pub async fn plan(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    container: &str,
    image: &str,
) -> Result<DebugPlan, DebugError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let current = pods.get(pod).await?;
    check_running(&current)?;
    let wanted = Some(container).filter(|c| !c.is_empty());
    let (target, _) = crate::pods::choose_container(&current, wanted)?;
    let spec = DebugSpec::shared_shell(image, &target);
    let (name, reuse) = match find_reusable(&current, &spec) {
        Some(name) => (name, true),
        None => (fresh_name(&current), false),
    };
    Ok(DebugPlan {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        target,
        image: image.to_string(),
        name,
        reuse,
    })
}

/// What [`ensure`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured {
    /// The debug container's name.
    pub name: String,
    /// Whether it was added now (false: a running one of ours was reused).
    pub added: bool,
}

/// A running debug container of ours for `spec` in the pod: a running one reused, else one
/// added and waited for. For the app: one debug container per pod and image, shared by tabs.
pub async fn ensure(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    spec: &DebugSpec,
) -> Result<Ensured, DebugError> {
    ensure_named(client, namespace, pod, spec, None).await
}

/// As [`ensure`], adding the container as `name` (the one [`plan`] showed the user) when it is
/// still free, else under a fresh name.
pub async fn ensure_named(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    spec: &DebugSpec,
    name: Option<&str>,
) -> Result<Ensured, DebugError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let current = pods.get(pod).await?;
    check_running(&current)?;
    if let Some(name) = find_reusable(&current, spec) {
        return Ok(Ensured { name, added: false });
    }
    let name = match name.filter(|n| !n.is_empty() && !names_in(&current).iter().any(|t| t == n)) {
        Some(n) => n.to_string(),
        None => fresh_name(&current),
    };
    add(client, namespace, pod, spec, &name).await?;
    match wait_running(client, namespace, pod, &name, &spec.image, |_| {}).await? {
        Ready::Running(_) => Ok(Ensured { name, added: true }),
        Ready::Ended(_, e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DebugSpec {
        DebugSpec {
            image: "busybox".into(),
            target: Some("app".into()),
            profile: DebugProfile::General,
            stdin: true,
            tty: true,
            ..DebugSpec::default()
        }
    }

    fn pod_with(ephemeral: serde_json::Value, statuses: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": { "name": "distroless" },
            "spec": { "containers": [{ "name": "app" }], "ephemeralContainers": ephemeral },
            "status": { "phase": "Running", "ephemeralContainerStatuses": statuses },
        }))
        .expect("pod")
    }

    /// A pod copy's debug container is a regular (or init) container: its status is found
    /// there. One backing off after a crash ends the wait (kubectl would wait for ever).
    #[test]
    fn a_copys_container_is_followed_in_the_pods_statuses() {
        let pod = |state: serde_json::Value| -> Pod {
            serde_json::from_value(json!({
                "metadata": { "name": "copy" },
                "spec": { "containers": [{ "name": "app" }] },
                "status": { "phase": "Running", "containerStatuses": [{
                    "name": "app", "image": "busybox", "imageID": "", "ready": false,
                    "restartCount": 2, "state": state,
                    "lastState": { "terminated": { "exitCode": 3 } },
                }] },
            }))
            .expect("pod")
        };
        assert!(matches!(
            progress(&pod(json!({ "running": {} })), "app", "busybox"),
            Progress::Running
        ));
        assert!(matches!(
            progress(
                &pod(json!({ "waiting": { "reason": "ContainerCreating" } })),
                "app",
                "busybox"
            ),
            Progress::Waiting(None)
        ));
        // After a quick command that ended well: ended, not crashing.
        let mut well = pod(json!({ "waiting": { "reason": "CrashLoopBackOff" } }));
        if let Some(s) = well
            .status
            .as_mut()
            .and_then(|s| s.container_statuses.as_mut())
        {
            s[0].last_state = serde_json::from_value(
                json!({ "terminated": { "exitCode": 0, "reason": "Completed" } }),
            )
            .ok();
        }
        assert!(matches!(
            progress(&well, "app", "busybox"),
            Progress::Terminated(DebugError::Ended { code: 0, .. })
        ));
        let e = DebugError::Crashing {
            container: "app".into(),
            code: 128,
            restarts: 1,
            why: Some("exec: \"sh\": executable file not found in $PATH".into()),
        };
        assert!(
            e.to_string().contains(
                "(exit code 128: exec: \"sh\": executable file not found in $PATH, restarted 1 times)"
            ),
            "{e}"
        );
        assert!(e.to_string().contains("--image=busybox"), "{e}");
        // Backing off after a crash: it will crash again; waiting would never end.
        assert!(matches!(
            progress(
                &pod(
                    json!({ "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 10s" } })
                ),
                "app",
                "busybox"
            ),
            Progress::Failed(DebugError::Crashing {
                code: 3,
                restarts: 2,
                ..
            })
        ));
        assert!(matches!(
            progress(
                &pod(json!({ "terminated": { "exitCode": 0, "reason": "Completed" } })),
                "app",
                "busybox"
            ),
            Progress::Terminated(DebugError::Ended { code: 0, .. })
        ));
        assert!(matches!(
            progress(&pod(json!({})), "other", "busybox"),
            Progress::Waiting(None)
        ));
    }

    #[test]
    fn image_references_are_checked_as_kubectl_checks_them() {
        for ok in [
            "busybox",
            "busybox:1.36",
            "library/busybox:latest",
            "registry.example.com:5000/team/app:v1.2-rc_3",
            "localhost/app",
            "Registry.Example.com/app",
            "[::1]:5000/app",
            "[::1]/app",
            "a__b/c-d--e.f",
            "app@sha256:0123456789abcdef0123456789abcdef",
            "app:1@sha256:0123456789abcdef0123456789abcdef",
        ] {
            assert!(valid_image(ok), "{ok}");
        }
        for bad in [
            "",
            "UPPER",
            "app:",
            ":tag",
            "app:-tag",
            "a/",
            "a//b",
            "app@sha256:short",
            "app@sha256",
            "-app",
            "app-",
            "a/UPPER",
            "app name",
        ] {
            assert!(!valid_image(bad), "{bad}");
        }
    }

    #[test]
    fn profiles_shape_the_security_context_as_kubectl_does() {
        let c = ephemeral_container(&spec(), "debugger-abcde");
        assert_eq!(
            c["securityContext"]["capabilities"]["add"],
            json!(["SYS_PTRACE"])
        );
        assert_eq!(c["targetContainerName"], "app");
        assert_eq!(c["env"][0]["name"], MARKER_ENV);
        let r = ephemeral_container(
            &DebugSpec {
                profile: DebugProfile::Restricted,
                ..spec()
            },
            "x",
        );
        assert_eq!(r["securityContext"]["runAsNonRoot"], true);
        assert_eq!(r["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
        let b = ephemeral_container(
            &DebugSpec {
                profile: DebugProfile::Baseline,
                ..spec()
            },
            "x",
        );
        assert!(b.get("securityContext").is_none());
        assert_eq!(
            DebugProfile::parse("sysadmin"),
            Some(DebugProfile::Sysadmin)
        );
        assert_eq!(DebugProfile::parse("legacy"), Some(DebugProfile::Legacy));
        assert!(ephemeral_container(
            &DebugSpec {
                profile: DebugProfile::Legacy,
                ..spec()
            },
            "x"
        )
        .get("securityContext")
        .is_none());
        assert_eq!(DebugProfile::parse("Legacy"), None);
    }

    #[test]
    fn only_a_running_one_of_ours_with_the_same_image_is_reused() {
        let ours = ephemeral_container(&spec(), "debugger-aaaaa");
        let mut theirs = ours.clone();
        theirs["name"] = json!("debugger-bbbbb");
        theirs["env"] = json!([]);
        let running = |n: &str| json!({ "name": n, "image": "busybox", "imageID": "", "ready": false, "restartCount": 0, "state": { "running": {} } });
        let pod = pod_with(
            json!([ours, theirs]),
            json!([running("debugger-aaaaa"), running("debugger-bbbbb")]),
        );
        assert_eq!(
            find_reusable(&pod, &spec()).as_deref(),
            Some("debugger-aaaaa")
        );
        let other_image = DebugSpec {
            image: "alpine".into(),
            ..spec()
        };
        assert_eq!(find_reusable(&pod, &other_image), None);
        let other_command = DebugSpec {
            command: vec!["top".into()],
            ..spec()
        };
        assert_eq!(find_reusable(&pod, &other_command), None);
        let with_top = pod_with(
            json!([ephemeral_container(&other_command, "debugger-ccccc")]),
            json!([running("debugger-ccccc")]),
        );
        assert_eq!(
            find_reusable(&with_top, &other_command).as_deref(),
            Some("debugger-ccccc")
        );
        assert_eq!(find_reusable(&with_top, &spec()), None);
        let ended = pod_with(
            json!([ephemeral_container(&spec(), "debugger-aaaaa")]),
            json!([{ "name": "debugger-aaaaa", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0, "state": { "terminated": { "exitCode": 0 } } }]),
        );
        assert_eq!(find_reusable(&ended, &spec()), None);
    }

    #[test]
    fn env_args_and_pull_policy_shape_the_container_as_kubectls_flags_do() {
        let c = ephemeral_container(
            &DebugSpec {
                command: vec!["-c".into(), "id".into()],
                arguments_only: true,
                env: vec![("A".into(), "1".into()), ("B".into(), "x,y".into())],
                pull_policy: Some(PullPolicy::Never),
                ..spec()
            },
            "x",
        );
        assert_eq!(c["args"], json!(["-c", "id"]));
        assert!(c.get("command").is_none());
        assert_eq!(
            c["env"],
            json!([{ "name": MARKER_ENV, "value": "1" }, { "name": "A", "value": "1" }, { "name": "B", "value": "x,y" }])
        );
        assert_eq!(c["imagePullPolicy"], "Never");
        assert!(ephemeral_container(&spec(), "x")
            .get("imagePullPolicy")
            .is_none());
        assert_eq!(
            PullPolicy::parse("IfNotPresent"),
            Some(PullPolicy::IfNotPresent)
        );
        assert_eq!(PullPolicy::parse("always"), None);
    }

    #[test]
    fn a_custom_profile_is_laid_over_the_profile_as_a_strategic_merge() {
        let yaml = "securityContext:\n  runAsUser: 0\n  capabilities:\n    add: [NET_ADMIN]\nenv:\n- name: A\n  value: custom\n- name: C\n  value: \"3\"\nworkingDir: /tmp\nnotAField: 1\n";
        let custom = CustomProfile::parse(yaml).expect("yaml");
        let c = ephemeral_container(
            &DebugSpec {
                env: vec![("A".into(), "flag".into())],
                custom: Some(custom.clone()),
                ..spec()
            },
            "x",
        );
        // Objects merge field by field; a plain list (capabilities) is replaced.
        assert_eq!(c["securityContext"]["runAsUser"], 0);
        assert_eq!(
            c["securityContext"]["capabilities"]["add"],
            json!(["NET_ADMIN"])
        );
        // env merges by name: the marker kept, A replaced in place, C added.
        assert_eq!(
            c["env"],
            json!([{ "name": MARKER_ENV, "value": "1" }, { "name": "A", "value": "custom" }, { "name": "C", "value": "3" }])
        );
        assert_eq!(c["workingDir"], "/tmp");
        assert!(c.get("notAField").is_none(), "{c}");
        assert_eq!(c["name"], "x");
        assert_eq!(c["image"], "busybox");
        // JSON as well; an empty document changes nothing.
        let j = CustomProfile::parse(r#"{"workingDir": "/srv"}"#).expect("json");
        assert_eq!(
            ephemeral_container(
                &DebugSpec {
                    custom: Some(j),
                    ..spec()
                },
                "x"
            )["workingDir"],
            "/srv"
        );
        let empty = CustomProfile::parse("").expect("empty");
        assert_eq!(
            ephemeral_container(
                &DebugSpec {
                    custom: Some(empty),
                    ..spec()
                },
                "x"
            ),
            ephemeral_container(&spec(), "x")
        );
    }

    #[test]
    fn a_custom_profile_may_not_set_what_the_flags_own_nor_be_of_another_shape() {
        for owned in [
            "name: other",
            "command: [sh]",
            "image: alpine",
            "lifecycle: {preStop: {exec: {command: [x]}}}",
            "volumeDevices: [{name: d, devicePath: /dev/x}]",
        ] {
            assert!(
                matches!(CustomProfile::parse(owned), Err(CustomError::NotModifiable)),
                "{owned}"
            );
        }
        for bad in ["[1, 2]", "workingDir: [1]", "env: 3", "{: :"] {
            assert!(
                matches!(CustomProfile::parse(bad), Err(CustomError::Invalid(_))),
                "{bad}"
            );
        }
        // Empty values of those fields are allowed, as kubectl allows them.
        assert!(CustomProfile::parse("{\"command\": [], \"image\": \"\"}").is_ok());
    }

    #[test]
    fn a_reused_container_has_what_a_new_one_would_have() {
        let with = |s: &DebugSpec, n: &str| {
            let running = json!({ "name": n, "image": "busybox", "imageID": "", "ready": false, "restartCount": 0, "state": { "running": {} } });
            pod_with(json!([ephemeral_container(s, n)]), json!([running]))
        };
        let env = DebugSpec {
            env: vec![("A".into(), "1".into())],
            ..spec()
        };
        assert_eq!(find_reusable(&with(&env, "d"), &env).as_deref(), Some("d"));
        assert_eq!(find_reusable(&with(&env, "d"), &spec()), None);
        assert_eq!(find_reusable(&with(&spec(), "d"), &env), None);
        let sysadmin = DebugSpec {
            profile: DebugProfile::Sysadmin,
            ..spec()
        };
        assert_eq!(find_reusable(&with(&spec(), "d"), &sysadmin), None);
        let args = DebugSpec {
            command: vec!["top".into()],
            arguments_only: true,
            ..spec()
        };
        let command = DebugSpec {
            arguments_only: false,
            ..args.clone()
        };
        assert_eq!(
            find_reusable(&with(&args, "d"), &args).as_deref(),
            Some("d")
        );
        assert_eq!(find_reusable(&with(&args, "d"), &command), None);
        let custom = DebugSpec {
            custom: CustomProfile::parse("workingDir: /tmp").ok(),
            ..spec()
        };
        assert_eq!(
            find_reusable(&with(&custom, "d"), &custom).as_deref(),
            Some("d")
        );
        assert_eq!(find_reusable(&with(&spec(), "d"), &custom), None);
        // Never more than asked: a baseline (or legacy) session is not put in a privileged one,
        // a general one not in one a custom profile changed.
        for lesser in [DebugProfile::Baseline, DebugProfile::Legacy] {
            let asked = DebugSpec {
                profile: lesser,
                ..spec()
            };
            assert_eq!(find_reusable(&with(&sysadmin, "d"), &asked), None);
        }
        assert_eq!(find_reusable(&with(&custom, "d"), &spec()), None);
        // What a server drops (an empty value) or fills in still matches.
        let empty = DebugSpec {
            env: vec![("K".into(), String::new())],
            ..spec()
        };
        let mut echoed = ephemeral_container(&empty, "d");
        echoed["env"][1] = json!({ "name": "K" });
        echoed["terminationMessagePath"] = json!("/dev/termination-log");
        echoed["imagePullPolicy"] = json!("IfNotPresent");
        let running = json!({ "name": "d", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0, "state": { "running": {} } });
        let pod = pod_with(json!([echoed]), json!([running]));
        assert_eq!(find_reusable(&pod, &empty).as_deref(), Some("d"));
    }

    #[test]
    fn privileges_for_a_non_root_pod_get_kubectls_warning() {
        let pod = |user: Option<i64>| -> Pod {
            serde_json::from_value(json!({
                "metadata": { "name": "p" },
                "spec": { "containers": [{ "name": "app" }], "securityContext": { "runAsUser": user } },
            }))
            .expect("pod")
        };
        let general = ephemeral_container(&spec(), "x");
        assert!(privileges_may_not_work(&pod(Some(1000)), &general));
        assert!(!privileges_may_not_work(&pod(Some(0)), &general));
        assert!(!privileges_may_not_work(&pod(None), &general));
        let baseline = ephemeral_container(
            &DebugSpec {
                profile: DebugProfile::Baseline,
                ..spec()
            },
            "x",
        );
        assert!(!privileges_may_not_work(&pod(Some(1000)), &baseline));
        let as_root = ephemeral_container(
            &DebugSpec {
                custom: CustomProfile::parse("securityContext: {runAsUser: 0}").ok(),
                ..spec()
            },
            "x",
        );
        assert!(!privileges_may_not_work(&pod(Some(1000)), &as_root));
    }

    #[test]
    fn fresh_names_follow_kubectls_pattern_and_avoid_taken_ones() {
        let pod = pod_with(json!([]), json!([]));
        let n = fresh_name(&pod);
        assert!(
            n.starts_with(NAME_PREFIX) && n.len() == NAME_PREFIX.len() + 5,
            "{n}"
        );
    }

    #[test]
    fn pull_failures_end_the_wait_with_the_kubelets_words() {
        let pod = pod_with(
            json!([ephemeral_container(&spec(), "debugger-aaaaa")]),
            json!([{ "name": "debugger-aaaaa", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0,
                     "state": { "waiting": { "reason": "ImagePullBackOff", "message": "Back-off pulling image \"busybox\"" } } }]),
        );
        match progress(&pod, "debugger-aaaaa", "busybox") {
            Progress::Failed(e) => assert!(
                e.to_string()
                    .contains("(ImagePullBackOff: Back-off pulling image \"busybox\")"),
                "{e}"
            ),
            _ => panic!("not a failure"),
        }
    }
}
