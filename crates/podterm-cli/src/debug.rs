//! `podterm debug`, as `kubectl debug`'s ephemeral-container form: same flags, messages and exit
//! codes; plus `--reuse` (attach to a running debug container of ours instead of adding one)
//! and words, not an endless wait, for an image that cannot be pulled or a finished pod.

use crate::conn::{connect, Conn};
use crate::failure::Failure;
use crate::session::{decide_tty, run};
use crate::term;
use clap::Args;
use podterm_core::cluster::{within, Cluster};
use podterm_core::debug::{self, DebugProfile, DebugSpec, Ready};
use podterm_core::exec::ExecSpec;
use podterm_core::logs::{self, LogOptions, LogSource, LogsError, Output};
use podterm_core::pods::{self, PodTarget};
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
    /// Container image to use for the debug container.
    #[arg(long)]
    pub image: Option<String>,
    /// Target processes (and, on testcluster, files) of this container.
    #[arg(long = "target", value_name = "CONTAINER")]
    pub target_container: Option<String>,
    /// Container name to use for the debug container (default: debugger-xxxxx).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// general, baseline, restricted, netadmin or sysadmin.
    #[arg(long, default_value = "general")]
    pub profile: String,
    /// Keep stdin open on the container and attach to it.
    #[arg(short = 'i', long)]
    pub stdin: bool,
    /// Allocate a TTY for the debug container.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Suppress informational messages.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Attach to a running debug container of ours with the same image, target and command
    /// (and name, with -c) in the pod instead of adding another; ephemeral containers cannot
    /// be removed.
    #[arg(long)]
    pub reuse: bool,
    /// The pod (POD or pod/POD).
    pub pod: Option<String>,
    /// The command and its arguments (after `--`); default: the image's entrypoint.
    #[arg(last = true)]
    pub command: Vec<String>,
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

pub async fn debug(a: DebugArgs, global: &Conn) -> Result<i32, Failure> {
    // kubectl's checks, in kubectl's order.
    let Some(profile) = DebugProfile::parse(&a.profile) else {
        return Err(Failure::new(format!("unknown profile: {}", a.profile)));
    };
    let Some(image) = a.image.clone().filter(|i| !i.is_empty()) else {
        return Err(Failure::new(
            "you must specify --image when not using --copy-to.",
        ));
    };
    let Some(pod_name) = a.pod.clone() else {
        return Err(Failure::new("NAME or filename is required for debug"));
    };
    if let (Some(t), false) = (&a.target_container, a.quiet) {
        println!("Targeting container {t:?}. If you don't see processes from this container it may be because the container runtime doesn't support this feature.");
    }
    if a.tty && !a.stdin {
        return Err(Failure::new(
            "-i/--stdin is required for containers with -t/--tty=true",
        ));
    }
    // A node or a workload is refused in debug's own words (it takes a pod, nothing else).
    let pod_name = match PodTarget::parse(&pod_name) {
        Ok(PodTarget::Pod(name)) => name,
        Err(e) if pod_name.is_empty() => return Err(e.into()),
        _ => return Err(Failure::new(format!(
            "{}: podterm debug takes a pod (POD or pod/POD); debugging nodes and workloads is not supported",
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
    debug::check_running(&pod)?;
    let spec = DebugSpec {
        image: image.clone(),
        target: a.target_container.clone(),
        profile,
        stdin: a.stdin,
        tty: a.tty,
        command: a.command.clone(),
    };
    let reused = if a.reuse {
        // One with the same image, target and command; with -c NAME, that one only.
        debug::find_reusable(&pod, &spec).filter(|n| a.container.as_ref().is_none_or(|c| c == n))
    } else {
        None
    };
    let name = match reused {
        Some(name) => {
            if !a.quiet {
                println!("Reusing debug container {name}.");
            }
            name
        }
        None => {
            let name = match &a.container {
                Some(c) => c.clone(),
                None => {
                    let n = debug::fresh_name(&pod);
                    if !a.quiet {
                        println!("Defaulting debug container name to {n}.");
                    }
                    n
                }
            };
            within(
                limit,
                debug::add(&cluster.client, &namespace, &pod_name, &spec, &name),
            )
            .await?;
            name
        }
    };
    if !a.stdin {
        return Ok(0);
    }
    let quiet = a.quiet;
    let ready = debug::wait_running(
        &cluster.client,
        &namespace,
        &pod_name,
        &name,
        &image,
        |message| {
            if !quiet {
                eprintln!("Warning: container {name}: {message}");
            }
        },
    )
    .await?;
    // Ended already (a quick command): nothing to attach to; its log instead, as kubectl.
    if let Ready::Ended(..) = ready {
        return print_log(&cluster, &namespace, &pod_name, &name).await;
    }
    let tty = decide_tty(a.tty, a.stdin, a.quiet);
    if !a.quiet {
        eprintln!("All commands and output from this session will be recorded in container logs, including credentials and sensitive information passed through the command prompt.");
        eprintln!("If you don't see a command prompt, try pressing enter.");
    }
    let exec = ExecSpec {
        namespace: namespace.clone(),
        pod: pod_name.clone(),
        container: name.clone(),
        command: vec![],
        stdin: true,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: true,
    };
    // It ended between the wait and the attach (or the attach failed otherwise): its log, after
    // kubectl's warning.
    let code = match run(&cluster, exec, limit).await {
        Ok(code) => code,
        Err(f) => {
            eprintln!(
                "warning: couldn't attach to pod/{pod_name}, falling back to streaming logs: {}",
                podterm_core::text::message(f.quoted())
            );
            return print_log(&cluster, &namespace, &pod_name, &name).await;
        }
    };
    if tty && !a.quiet {
        println!("Session ended, the ephemeral container will not be restarted but may be reattached using 'podterm attach {pod_name} -c {name} -n {namespace} -i -t' if it is still running");
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
