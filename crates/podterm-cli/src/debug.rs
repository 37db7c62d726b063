//! `podterm debug`, as `kubectl debug`'s ephemeral-container, pod-copy (`--copy-to`) and node
//! (`node/NAME`) forms:
//! same flags, messages and exit codes; plus `--reuse` (attach to a running debug container of
//! ours instead of adding one) and words, not an endless wait, for an image that cannot be
//! pulled or a finished pod.

use crate::conn::{connect, Conn};
use crate::failure::Failure;
use crate::session::{decide_tty, run};
use crate::term;
use clap::Args;
use podterm_core::cluster::{within, Cluster};
use podterm_core::debug::{
    self, CustomError, CustomProfile, DebugProfile, DebugSpec, PullPolicy, Ready,
};
use podterm_core::exec::ExecSpec;
use podterm_core::logs::{self, LogOptions, LogSource, LogsError, Output};
use podterm_core::nodedebug::{self, NodeSpec};
use podterm_core::podcopy::{self, CopySpec, Keep};
use podterm_core::pods::{self, PodTarget};
use podterm_core::text::shown;
use std::sync::Arc;

/// kubectl debug's flags. The connection flags are the global ones (before or after `debug`),
/// except that `--profile` is kubectl debug's (the security profile) in either position: a
/// saved cluster profile is `--cluster-profile NAME` here.
#[derive(Args)]
pub struct DebugArgs {
    /// A saved cluster profile (see `podterm profile`) instead of a kubeconfig: `--profile` is
    /// kubectl debug's security profile here, before or after `debug`, as in kubectl.
    #[arg(long)]
    pub cluster_profile: Option<String>,
    /// Container image to use for the debug container (with --copy-to and -c naming one of the
    /// pod's containers: that container's new image).
    #[arg(long)]
    pub image: Option<String>,
    /// Target processes (and, on testcluster, files) of this container.
    #[arg(long = "target", value_name = "CONTAINER")]
    pub target_container: Option<String>,
    /// Container name to use for the debug container (default: debugger-xxxxx); with --copy-to,
    /// one of the pod's containers names the container of the copy to change.
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// general, baseline, restricted, netadmin or sysadmin (or legacy, deprecated).
    #[arg(long, default_value = "general")]
    pub profile: String,
    /// Keep stdin open on the container and attach to it.
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub stdin: bool,
    /// Allocate a TTY for the debug container.
    #[arg(short = 't', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub tty: bool,
    /// Suppress informational messages.
    #[arg(short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub quiet: bool,
    /// Attach to a running debug container of ours with the same image, target, command,
    /// environment and profiles (and name, with -c) in the pod instead of adding another;
    /// ephemeral containers cannot be removed.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub reuse: bool,
    /// Environment variables to set in the container: KEY=VALUE, the flag repeated or pairs
    /// separated by commas.
    #[arg(long, value_name = "KEY=VALUE", value_parser = env_pairs)]
    pub env: Vec<Vec<(String, String)>>,
    /// Always, IfNotPresent or Never (default: the server's).
    #[arg(long, value_name = "POLICY")]
    pub image_pull_policy: Option<String>,
    /// Pass everything after -- to the image's entrypoint as its arguments instead of as the
    /// command.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub arguments_only: bool,
    /// Wait for the container to run, then attach to it (to its output alone without -i).
    /// Default: true with -i, else false.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, value_name = "BOOL")]
    pub attach: Option<bool>,
    /// A JSON or YAML file with a partial container spec (security context, environment, mounts
    /// and the like) laid over the profile's.
    #[arg(long, value_name = "FILE")]
    pub custom: Option<std::path::PathBuf>,
    /// Debug a copy of the pod with this name instead of the pod itself: a crashing pod's copy
    /// with a shell (`-c CONTAINER -- sh`), a copy with a debug container added (`--image`), or
    /// with other images (`--set-image`).
    #[arg(long, value_name = "NAME")]
    pub copy_to: Option<String>,
    /// With --copy-to: delete the original pod.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub replace: bool,
    /// With --copy-to: run the copy on the original's node.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub same_node: bool,
    /// With --copy-to: CONTAINER=IMAGE pairs changing the copy's images (`*` for every
    /// container).
    #[arg(long, value_name = "CONTAINER=IMAGE", value_parser = env_pairs)]
    pub set_image: Vec<Vec<(String, String)>>,
    /// With --copy-to: the copy's containers share one process namespace (default: true).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, value_name = "BOOL")]
    pub share_processes: Option<bool>,
    /// With --copy-to: keep the pod's labels (left out by default, so the copy is behind no
    /// Service and under no controller; with --set-image alone, which only changes images, the
    /// copy keeps them and its annotations and probes, as kubectl's does).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub keep_labels: bool,
    /// With --copy-to: keep the pod's annotations.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub keep_annotations: bool,
    /// With --copy-to: keep the liveness probes (left out by default: they would restart the
    /// container being debugged).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub keep_liveness: bool,
    /// With --copy-to: keep the readiness probes.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub keep_readiness: bool,
    /// With --copy-to: keep the startup probes.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub keep_startup: bool,
    /// With --copy-to: run the init containers.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "true", hide_default_value = true, value_name = "BOOL")]
    pub keep_init_containers: bool,
    /// The pod (POD or pod/POD), or a node (node/NAME).
    pub pod: Option<String>,
    /// The command and its arguments (after `--`); default: the image's entrypoint.
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// One `--env` value as kubectl reads it: `K=V` (commas and all in V), or several pairs
/// separated by commas (quoted as CSV) when it holds more than one `=`.
fn env_pairs(v: &str) -> Result<Vec<(String, String)>, String> {
    let items: Vec<String> = match v.matches('=').count() {
        0 => return Err(format!("{v} must be formatted as key=value")),
        1 => vec![v.trim_matches('"').to_string()],
        _ => csv_fields(v)?,
    };
    items
        .into_iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(format!("{pair} must be formatted as key=value")),
        })
        .collect()
}

/// The fields of one CSV record: commas separate, double quotes quote (`""` is one quote).
/// Errors in the words (and 1-based byte columns) of Go's `encoding/csv`, which kubectl uses.
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let error =
        |column: usize, what: &str| format!("parse error on line 1, column {column}: {what}");
    let mut fields = vec![];
    let mut field = String::new();
    let mut chars = line.char_indices().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some((i, c)) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => quoted = true,
            (true, '"') if chars.peek().map(|p| p.1) == Some('"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => {
                quoted = false;
                if chars.peek().is_some_and(|p| p.1 != ',') {
                    return Err(error(i + 1, "extraneous or missing \" in quoted-field"));
                }
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
                continue;
            }
            (false, '"') => return Err(error(i + 1, "bare \" in non-quoted-field")),
            (_, c) => field.push(c),
        }
        at_start = false;
    }
    if quoted {
        return Err(error(
            line.len() + 1,
            "extraneous or missing \" in quoted-field",
        ));
    }
    fields.push(field);
    Ok(fields)
}

/// Every `--env` pair in order; a name given again takes its last value, in its first place.
fn env_list(values: &[Vec<(String, String)>]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    for (k, v) in values.iter().flatten() {
        match out.iter_mut().find(|(n, _)| n == k) {
            Some(e) => e.1 = v.clone(),
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

impl DebugArgs {
    /// The connection: the global flags, with `--cluster-profile` as the saved profile.
    pub fn conn(&self, global: &Conn) -> Conn {
        Conn {
            profile: self.cluster_profile.clone(),
            ..global.clone()
        }
    }
}

/// kubectl's refusal of a debug profile it does not know; when the name is a saved cluster
/// profile's, what was surely meant (`--profile` is the debug profile here, in both positions).
fn unknown_profile(name: &str) -> String {
    let saved = podterm_core::profiles::ProfileStore::open_default()
        .ok()
        .and_then(|store| store.get(name).ok().flatten())
        .is_some();
    if saved {
        format!(
            "unknown profile: {name}; for debug, --profile is kubectl's debug profile (legacy, general, baseline, restricted, netadmin, sysadmin): connect through the saved profile {name} with --cluster-profile {name}"
        )
    } else {
        format!("unknown profile: {name}")
    }
}

pub async fn debug(a: DebugArgs, global: &Conn) -> Result<i32, Failure> {
    // kubectl's checks, in kubectl's order.
    let Some(profile) = DebugProfile::parse(&a.profile) else {
        return Err(Failure::new(unknown_profile(&a.profile)));
    };
    // Read (and a wrong shape refused) before anything else is checked, as kubectl does; a
    // field the flags own is refused after them.
    let custom = match &a.custom {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::new(format!(
                    "must pass a container spec json file for custom profile: open {}: {}",
                    path.display(),
                    podterm_core::transfer::io_words(&e)
                ))
            })?;
            match CustomProfile::parse(&text) {
                Err(CustomError::Invalid(why)) => {
                    return Err(Failure::new(format!(
                        "{} does not contain a valid container spec: {}",
                        path.display(),
                        podterm_core::text::shown(&why)
                    )))
                }
                parsed => Some(parsed),
            }
        }
    };
    let image = a.image.clone().filter(|i| !i.is_empty());
    // kubectl tells an empty value from none by its length.
    let copy_to = a.copy_to.clone().filter(|n| !n.is_empty());
    let container = a.container.clone().filter(|c| !c.is_empty());
    if a.attach == Some(true) && image.is_none() && container.is_none() {
        return Err(Failure::new("you must specify --container or create a new container using --image in order to attach."));
    }
    let set_images = env_list(&a.set_image);
    if copy_to.is_some() && a.reuse {
        return Err(Failure::new(
            "--reuse attaches to a debug container already in the pod; it cannot be used with --copy-to (attach to an earlier copy with podterm attach)",
        ));
    }
    if copy_to.is_some() {
        if image.is_none() && set_images.is_empty() && a.command.is_empty() {
            return Err(Failure::new(
                "you must specify --image, --set-image or command arguments.",
            ));
        }
        if !a.command.is_empty() && container.is_none() && image.is_none() {
            return Err(Failure::new(
                "you must specify an existing container or a new image when specifying args.",
            ));
        }
    } else if a.replace {
        return Err(Failure::new("--replace may only be used with --copy-to."));
    } else if a.same_node {
        return Err(Failure::new("--same-node may only be used with --copy-to."));
    } else if !set_images.is_empty() {
        return Err(Failure::new("--set-image may only be used with --copy-to."));
    } else if image.is_none() {
        return Err(Failure::new(
            "you must specify --image when not using --copy-to.",
        ));
    }
    if let Some(i) = image.as_deref().filter(|i| !debug::valid_image(i)) {
        return Err(Failure::new(format!(
            "invalid image name {:?}: invalid reference format",
            podterm_core::text::shown(i)
        )));
    }
    let Some(pod_name) = a.pod.clone() else {
        return Err(Failure::new("NAME or filename is required for debug"));
    };
    let pull_policy = match a.image_pull_policy.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(PullPolicy::parse(p).ok_or_else(|| {
            Failure::new(format!(
                "invalid image pull policy: {}",
                podterm_core::text::shown(p)
            ))
        })?),
    };
    if let Some((c, i)) = set_images.iter().find(|(_, i)| !debug::valid_image(i)) {
        return Err(Failure::new(format!(
            "invalid image name {:?} for container {:?}: invalid reference format",
            podterm_core::text::shown(i),
            podterm_core::text::shown(c)
        )));
    }
    if a.target_container.is_some() && copy_to.is_some() {
        return Err(Failure::new(
            "--target is incompatible with --copy-to. Use --share-processes instead.",
        ));
    }
    // A node refuses --target below: nothing is said of a target first.
    let on_node = node_target(&pod_name).is_some();
    if let (Some(t), false, false) = (&a.target_container, a.quiet, on_node) {
        println!("Targeting container {t:?}. If you don't see processes from this container it may be because the container runtime doesn't support this feature.");
    }
    if a.tty && !a.stdin {
        return Err(Failure::new(
            "-i/--stdin is required for containers with -t/--tty=true",
        ));
    }
    let custom = custom
        .transpose()
        .map_err(|e| Failure::new(e.to_string()))?;
    // kubectl's last check says it.
    if profile == DebugProfile::Legacy {
        eprintln!("--profile=legacy is deprecated and planned to be removed in v1.39. It is recommended to specify other profile, for example \"--profile=general\".");
    }
    let attach = a.attach.unwrap_or(a.stdin);
    if let Some(node) = node_target(&pod_name) {
        if node.contains('/') {
            return Err(Failure::new(
                "arguments in resource/name form may not have more than one slash",
            ));
        }
        let pod_only = [
            (copy_to.is_some(), "--copy-to"),
            (a.target_container.is_some(), "--target"),
            (a.reuse, "--reuse"),
            (a.share_processes.is_some(), "--share-processes"),
        ];
        if let Some((_, flag)) = pod_only.iter().find(|(given, _)| *given) {
            return Err(Failure::new(format!(
                "{flag} applies to a pod, not to a node: podterm debug node/NAME makes a new pod on that node"
            )));
        }
        let spec = NodeSpec {
            image: image.unwrap_or_default(),
            container,
            profile,
            command: a.command.clone(),
            arguments_only: a.arguments_only,
            env: env_list(&a.env),
            pull_policy,
            stdin: a.stdin,
            tty: a.tty,
            custom,
        };
        return debug_node(&a, global, node, &spec, attach).await;
    }
    // A workload is refused in debug's own words (it takes a pod or a node, nothing else).
    let pod_name = match PodTarget::parse(&pod_name) {
        Ok(PodTarget::Pod(name)) => name,
        Err(e) if pod_name.is_empty() => return Err(e.into()),
        _ => return Err(Failure::new(format!(
            "{}: podterm debug takes a pod (POD or pod/POD) or a node (node/NAME); debugging workloads is not supported",
            podterm_core::text::shown(&pod_name)
        ))),
    };
    let conn = a.conn(global);
    conn.check()?;
    let cluster = connect(&conn).await?;
    let limit = conn.request_timeout();
    let pod = within(
        limit,
        pods::resolve(
            &cluster.client,
            &cluster.namespace,
            &PodTarget::Pod(pod_name),
        ),
    )
    .await?;
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = cluster.namespace.clone();
    if let Some(copy_to) = copy_to {
        let spec = CopySpec {
            name: copy_to,
            container,
            image,
            set_images,
            share_processes: a.share_processes,
            same_node: a.same_node,
            keep: Keep {
                labels: a.keep_labels,
                annotations: a.keep_annotations,
                liveness: a.keep_liveness,
                readiness: a.keep_readiness,
                startup: a.keep_startup,
                init_containers: a.keep_init_containers,
            },
            profile,
            command: a.command.clone(),
            arguments_only: a.arguments_only,
            env: env_list(&a.env),
            pull_policy,
            stdin: a.stdin,
            tty: a.tty,
            custom,
        };
        return debug_copy(&a, &cluster, &pod, &spec, attach, limit).await;
    }
    let Some(image) = image else {
        return Err(Failure::new(
            "you must specify --image when not using --copy-to.",
        ));
    };
    if let Err(e) = debug::check_running(&pod) {
        // Nothing starts in a finished pod; its copy runs again.
        let container = a.target_container.as_deref();
        let again = conn.again();
        return Err(crate::exec::or_copy(e, &pod, container, &cluster, &again).await);
    }
    let spec = DebugSpec {
        image: image.clone(),
        target: a.target_container.clone(),
        profile,
        stdin: a.stdin,
        tty: a.tty,
        command: a.command.clone(),
        arguments_only: a.arguments_only,
        env: env_list(&a.env),
        pull_policy,
        custom,
    };
    let reused = if a.reuse {
        // One with the same image, target and command; with -c NAME, that one only.
        debug::find_reusable(&pod, &spec).filter(|n| container.as_ref().is_none_or(|c| c == n))
    } else {
        None
    };
    let name = match reused {
        Some(name) => {
            if !a.quiet {
                println!("Reusing debug container {}.", shown(&name));
            }
            name
        }
        None => {
            let name = match &container {
                Some(c) => c.clone(),
                None => {
                    let n = debug::fresh_name(&pod);
                    if !a.quiet {
                        println!("Defaulting debug container name to {n}.");
                    }
                    n
                }
            };
            if debug::privileges_may_not_work(&pod, &debug::ephemeral_container(&spec, &name)) {
                eprintln!("Warning: Non-root user is configured for the entire target Pod, and some capabilities granted by debug profile may not work. Please consider using \"--custom\" with a custom profile that specifies \"securityContext.runAsUser: 0\".");
            }
            within(
                limit,
                debug::add(&cluster.client, &namespace, &pod_name, &spec, &name),
            )
            .await?;
            name
        }
    };
    if !attach {
        return Ok(0);
    }
    attach_to(
        &a,
        &cluster,
        &pod_name,
        &name,
        &image,
        Attached {
            ephemeral: true,
            restarts: restarts(pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref())),
        },
        limit,
    )
    .await
}

/// The node a target names (`node/NAME`, `nodes/NAME`, `no/NAME`, as kubectl takes them).
fn node_target(target: &str) -> Option<&str> {
    let (kind, name) = target.split_once('/')?;
    matches!(kind, "node" | "nodes" | "no").then_some(name)
}

/// Debugs a node as kubectl does: looks it up, creates a pod on it in the namespace (its
/// profile's namespaces and mounts), then attaches to its container. The pod stays, as
/// kubectl's does.
async fn debug_node(
    a: &DebugArgs,
    global: &Conn,
    node: &str,
    spec: &NodeSpec,
    attach: bool,
) -> Result<i32, Failure> {
    let conn = a.conn(global);
    conn.check()?;
    let cluster = connect(&conn).await?;
    let limit = conn.request_timeout();
    let found = within(limit, nodedebug::get_node(&cluster.client, node)).await?;
    // The node's name as the server has it, shown only once made safe.
    let node = podterm_core::text::shown(&found.metadata.name.unwrap_or_else(|| node.to_string()));
    let name = nodedebug::pod_name(&node);
    let (pod, container) = nodedebug::node_pod(&node, &name, spec);
    if !a.quiet {
        println!("Creating debugging pod {name} with container {container} on node {node}.");
    }
    within(
        limit,
        podcopy::create(&cluster.client, &cluster.namespace, &pod, None),
    )
    .await?;
    if !attach {
        return Ok(0);
    }
    // The debugging pod's restartPolicy is Never (`nodedebug::node_pod`).
    attach_to(
        a,
        &cluster,
        &name,
        &container,
        &spec.image,
        Attached {
            ephemeral: false,
            restarts: restarts(pod["spec"]["restartPolicy"].as_str()),
        },
        limit,
    )
    .await
}

/// Debugs a copy of the pod: makes it, creates it (deleting the original with `--replace`),
/// then attaches to its debug container as kubectl does.
async fn debug_copy(
    a: &DebugArgs,
    cluster: &Cluster,
    pod: &k8s_openapi::api::core::v1::Pod,
    spec: &CopySpec,
    attach: bool,
    limit: Option<std::time::Duration>,
) -> Result<i32, Failure> {
    let original = pod.metadata.name.clone().unwrap_or_default();
    let raw = within(
        limit,
        podcopy::get_raw(&cluster.client, &cluster.namespace, &original),
    )
    .await?;
    let (copy, container) = podcopy::copy_of(&raw, spec, || {
        let n = debug::fresh_name(pod);
        if !a.quiet {
            println!("Defaulting debug container name to {n}.");
        }
        n
    })?;
    if let Some(name) = &container {
        let made = copy["spec"]["containers"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["name"] == name.as_str()));
        if made.is_some_and(|c| debug::privileges_may_not_work(pod, c)) {
            eprintln!("Warning: Non-root user is configured for the entire target Pod, and some capabilities granted by debug profile may not work. Please consider using \"--custom\" with a custom profile that specifies \"securityContext.runAsUser: 0\".");
        }
    }
    within(
        limit,
        podcopy::create(
            &cluster.client,
            &cluster.namespace,
            &copy,
            a.replace.then_some(original.as_str()),
        ),
    )
    .await?;
    match container {
        Some(name) if attach => {
            let image = copy["spec"]["containers"]
                .as_array()
                .and_then(|l| l.iter().find(|c| c["name"] == name.as_str()))
                .and_then(|c| c["image"].as_str())
                .unwrap_or_default()
                .to_string();
            let attached = Attached {
                ephemeral: false,
                restarts: restarts(copy["spec"]["restartPolicy"].as_str()),
            };
            attach_to(a, cluster, &spec.name, &name, &image, attached, limit).await
        }
        _ => Ok(0),
    }
}

/// Where a debug session's container is, for kubectl's line after it (how to attach again):
/// said only when the pod restarts its containers (restartPolicy Always), as kubectl says it.
#[derive(Clone, Copy, PartialEq)]
struct Attached {
    /// An ephemeral container (never restarted: attached again only while it runs), else a
    /// container of a pod made for the session (a copy, a node's debugging pod).
    ephemeral: bool,
    /// The pod's restartPolicy is Always. A node's debugging pod (Never) or a Job's pod: once
    /// ended, nothing to attach to.
    restarts: bool,
}

/// Whether a pod with this `spec.restartPolicy` (the API server's default: Always) restarts
/// its containers.
fn restarts(policy: Option<&str>) -> bool {
    policy.is_none_or(|p| p == "Always")
}

/// Waits for the debug container `name` of `pod_name` to run, then attaches to it; its log
/// instead when it has ended. `attached`: kubectl's words after the session differ.
async fn attach_to(
    a: &DebugArgs,
    cluster: &Cluster,
    pod_name: &str,
    name: &str,
    image: &str,
    attached: Attached,
    limit: Option<std::time::Duration>,
) -> Result<i32, Failure> {
    let ephemeral = attached.ephemeral;
    let namespace = cluster.namespace.clone();
    let quiet = a.quiet;
    let waited = debug::wait_running(
        &cluster.client,
        &namespace,
        pod_name,
        name,
        image,
        |message| {
            if !quiet {
                eprintln!("Warning: container {name}: {message}");
            }
        },
    )
    .await;
    let ready = match waited {
        // It exits as it starts: what it said is in its log, shown before the why.
        Err(e @ debug::DebugError::Crashing { .. }) => {
            let _ = print_log(cluster, &namespace, pod_name, name).await;
            if ephemeral {
                return Err(e.into());
            }
            // The copy stays, crash-looping, and holds its name.
            return Err(Failure::new(format!(
                "{e}. The copy {pod_name} stays in the cluster: delete it (kubectl delete pod -n {} \
                 {}) before making another of that name",
                crate::conn::shell_quote(&namespace),
                crate::conn::shell_quote(pod_name)
            )));
        }
        other => other?,
    };
    // Ended already (a quick command): nothing to attach to; its log instead, as kubectl.
    if let Ready::Ended(..) = ready {
        return print_log(cluster, &namespace, pod_name, name).await;
    }
    let tty = decide_tty(a.tty, a.stdin, a.quiet);
    // Printed with or without -i, as kubectl prints them.
    if !a.quiet {
        eprintln!("All commands and output from this session will be recorded in container logs, including credentials and sensitive information passed through the command prompt.");
        eprintln!("If you don't see a command prompt, try pressing enter.");
    }
    let exec = ExecSpec {
        namespace: namespace.clone(),
        pod: pod_name.to_string(),
        container: name.to_string(),
        command: vec![],
        stdin: a.stdin,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: true,
    };
    // It ended between the wait and the attach (or the attach failed otherwise): its log, after
    // kubectl's warning.
    let code = match run(cluster, exec, limit).await {
        Ok(code) => code,
        Err(f) => {
            eprintln!(
                "warning: couldn't attach to pod/{}, falling back to streaming logs: {}",
                shown(pod_name),
                podterm_core::text::message(f.quoted())
            );
            return print_log(cluster, &namespace, pod_name, name).await;
        }
    };
    if tty && a.stdin && !a.quiet {
        match attached {
            // kubectl says nothing either: the pod will not run it again.
            Attached {
                restarts: false, ..
            } => {}
            Attached { ephemeral, .. } => {
                // Names the server gave: escaped, as every line quoting one.
                let (pod_name, name, namespace) = (shown(pod_name), shown(name), shown(&namespace));
                if ephemeral {
                    println!("Session ended, the ephemeral container will not be restarted but may be reattached using 'podterm attach {pod_name} -c {name} -n {namespace} -i -t' if it is still running");
                } else {
                    println!("Session ended, resume using 'podterm attach {pod_name} -c {name} -n {namespace} -i -t' command when the pod is running");
                }
            }
        }
    }
    Ok(code)
}

/// The debug container's log so far, where kubectl's `debug` shows it: the container ended
/// before (or while) it could be attached to. Exits 0, as kubectl does.
async fn print_log(
    cluster: &Cluster,
    namespace: &str,
    pod: &str,
    container: &str,
) -> Result<i32, Failure> {
    let source = LogSource {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: container.to_string(),
        prefix: None,
    };
    let out: Output = Arc::new(tokio::sync::Mutex::new(Box::new(tokio::io::stdout())));
    match logs::stream(&cluster.client, &source, &LogOptions::default(), &out).await {
        Ok(()) => Ok(0),
        // `| head` had what it wanted.
        Err(LogsError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// `--env` as pflag's string-to-string reads it (kubectl's flag type).
    #[test]
    fn env_values_are_read_as_kubectl_reads_them() {
        // One `=`: the rest is the value, commas and all; outer quotes trimmed.
        assert_eq!(env_pairs("A=x,y"), Ok(pairs(&[("A", "x,y")])));
        assert_eq!(env_pairs("\"A=1\""), Ok(pairs(&[("A", "1")])));
        assert_eq!(env_pairs("A="), Ok(pairs(&[("A", "")])));
        // More: CSV pairs, quotes keeping commas.
        assert_eq!(env_pairs("A=1,B=2"), Ok(pairs(&[("A", "1"), ("B", "2")])));
        assert_eq!(
            env_pairs("A=1,\"B=x,y\",C=\"\"q\"\"="),
            Err("parse error on line 1, column 15: bare \" in non-quoted-field".into())
        );
        assert_eq!(
            env_pairs("A=1,\"B=x,\"\"y\"\"\""),
            Ok(pairs(&[("A", "1"), ("B", "x,\"y\"")]))
        );
        assert_eq!(
            env_pairs("foo"),
            Err("foo must be formatted as key=value".into())
        );
        assert_eq!(
            env_pairs("a=1,b=2,c"),
            Err("c must be formatted as key=value".into())
        );
        assert_eq!(
            env_pairs("a=1,\"b=2"),
            Err("parse error on line 1, column 9: extraneous or missing \" in quoted-field".into())
        );
        assert_eq!(
            env_pairs("\"a=1,b=2\"x,c=3"),
            Err("parse error on line 1, column 9: extraneous or missing \" in quoted-field".into())
        );
        // Repeated names: the last value, in the first place.
        assert_eq!(
            env_list(&[pairs(&[("A", "1"), ("B", "2")]), pairs(&[("A", "3")])]),
            pairs(&[("A", "3"), ("B", "2")])
        );
    }
}
