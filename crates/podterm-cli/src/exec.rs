//! `podterm exec` and `podterm attach`, as `kubectl exec` and `kubectl attach`: same flags,
//! messages and exit codes.

use crate::conn::{connect, Conn};
use crate::failure::Failure;
use crate::record::RecordArgs;
use crate::session::{decide_tty, run, run_recorded};
use crate::term;
use clap::Args;
use podterm_core::cluster::within;
use podterm_core::exec::ExecSpec;
use podterm_core::pods::{self, PodTarget};

#[derive(Args)]
pub struct ExecArgs {
    /// Container name (default: the default-container annotation, else the first).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Pass stdin to the container.
    #[arg(short = 'i', long)]
    pub stdin: bool,
    /// Stdin is a TTY.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Only print output from the remote session.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Pick the newest Ready pod matching this label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Run in every Ready pod of the selector or workload, each line prefixed with its pod.
    #[arg(long)]
    pub all: bool,
    /// With --all: how many pods run the command at once.
    #[arg(long, requires = "all", default_value_t = podterm_core::fanout::DEFAULT_CONCURRENCY)]
    pub max_concurrency: usize,
    /// POD, pod/POD, deploy/NAME, sts/NAME, ds/NAME or rs/NAME.
    pub target: Option<String>,
    /// The command and its arguments (after `--`).
    #[arg(last = true)]
    pub command: Vec<String>,
    #[command(flatten)]
    pub record: RecordArgs,
}

#[derive(Args)]
pub struct AttachArgs {
    /// Container name (default: the default-container annotation, else the first).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Pass stdin to the container's main process.
    #[arg(short = 'i', long)]
    pub stdin: bool,
    /// Stdin is a TTY.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Only print output from the remote session.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// POD, pod/POD, deploy/NAME, sts/NAME, ds/NAME or rs/NAME.
    pub target: String,
}

pub async fn exec(a: ExecArgs, conn: &Conn) -> Result<i32, Failure> {
    // No command means a shell, which needs stdin (`-i`): without it, kubectl's refusal rather
    // than a shell that ends at once and says nothing.
    if a.command.is_empty() && !a.stdin && !a.all {
        return Err(Failure::new(
            "you must specify at least one command for the container",
        ));
    }
    let cluster = connect(conn).await?;
    let pod_target = match (&a.selector, &a.target) {
        (Some(sel), None) => PodTarget::Selector(sel.clone()),
        (None, Some(t)) => PodTarget::parse(t)?,
        (Some(_), Some(_)) => return Err(Failure::new("name a pod or give -l SELECTOR, not both")),
        (None, None) => return Err(Failure::new("a pod name (or -l SELECTOR) is required")),
    };
    if a.all {
        return crate::fanout::exec_all(a, &cluster, &pod_target, conn.request_timeout()).await;
    }
    let limit = conn.request_timeout();
    let pod = within(
        limit,
        pods::resolve(&cluster.client, &cluster.namespace, &pod_target),
    )
    .await?;
    pods::check_running(&pod)?;
    let (container, note) = pods::choose_container(&pod, a.container.as_deref())?;
    if let (Some(n), false) = (note, a.quiet) {
        eprintln!("{n}");
    }
    let tty = decide_tty(a.tty, a.stdin, a.quiet);
    let command = if a.command.is_empty() {
        pods::shell_command()
    } else {
        a.command.clone()
    };
    let spec = ExecSpec {
        namespace: cluster.namespace.clone(),
        pod: pod.metadata.name.clone().unwrap_or_default(),
        container,
        command,
        stdin: a.stdin,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: false,
    };
    let recording = a.record.start(&spec)?;
    run_recorded(&cluster, spec, limit, recording, &conn.again()).await
}

pub async fn attach(a: AttachArgs, conn: &Conn) -> Result<i32, Failure> {
    let cluster = connect(conn).await?;
    let limit = conn.request_timeout();
    let target = PodTarget::parse(&a.target)?;
    let pod = within(
        limit,
        pods::resolve(&cluster.client, &cluster.namespace, &target),
    )
    .await?;
    pods::check_attachable(&pod)?;
    let (container, note) = pods::choose_container(&pod, a.container.as_deref())?;
    if let (Some(n), false) = (note, a.quiet) {
        eprintln!("{n}");
    }
    let mut tty = decide_tty(a.tty, a.stdin, a.quiet);
    // A container started without a terminal has none to attach to: kubectl's words, then the
    // session without one (typed text echoed here, Ctrl-C ends podterm).
    if tty && !pods::allocates_tty(&pod, &container) {
        tty = false;
        if !a.quiet {
            eprintln!(
                "error: Unable to use a TTY - container {} did not allocate one",
                podterm_core::text::shown(&container)
            );
        }
    }
    // kubectl says it whenever stdin goes to the process, terminal or not.
    if a.stdin && !a.quiet {
        eprintln!("If you don't see a command prompt, try pressing enter.");
    }
    let spec = ExecSpec {
        namespace: cluster.namespace.clone(),
        pod: pod.metadata.name.clone().unwrap_or_default(),
        container,
        command: vec![],
        stdin: a.stdin,
        stdout: true,
        stderr: true,
        tty,
        size: if tty { term::size() } else { None },
        attach: true,
    };
    let (pod_name, container, namespace) = (
        spec.pod.clone(),
        spec.container.clone(),
        spec.namespace.clone(),
    );
    let code = run(&cluster, spec, limit).await?;
    // kubectl's line after an interactive attach to a container that restarts, with the
    // namespace added (kubectl leaves it out).
    let restarts = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .is_none_or(|p| p == "Always");
    if a.stdin && tty && !a.quiet && restarts {
        println!(
            "Session ended, resume using 'podterm attach {} -c {} -n {} -i -t' command when the pod is running",
            podterm_core::text::shown(&pod_name),
            podterm_core::text::shown(&container),
            podterm_core::text::shown(&namespace)
        );
    }
    Ok(code)
}
