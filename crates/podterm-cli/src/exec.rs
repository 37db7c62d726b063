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
use podterm_core::pods::{self, PodError, PodTarget};

#[derive(Args)]
pub struct ExecArgs {
    /// Container name (default: the default-container annotation, else the first).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Pass stdin to the container.
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub stdin: bool,
    /// Stdin is a TTY.
    #[arg(short = 't', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub tty: bool,
    /// Only print output from the remote session.
    #[arg(short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub quiet: bool,
    /// Pick the newest Ready pod matching this label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Run in every Ready pod of the selector or workload, each line prefixed with its pod.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub all: bool,
    /// With --all: how many pods run the command at once (default: 10).
    #[arg(long)]
    pub max_concurrency: Option<usize>,
    /// How long to wait for a workload or selector to have a Ready pod when it has none (a
    /// Go duration: 30s, 2m); default: no wait. Not with --all.
    #[arg(long, value_name = "DURATION", value_parser = pod_running_timeout)]
    pub pod_running_timeout: Option<std::time::Duration>,
    /// POD, pod/POD, deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME or svc/NAME.
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
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub stdin: bool,
    /// Stdin is a TTY.
    #[arg(short = 't', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub tty: bool,
    /// Only print output from the remote session.
    #[arg(short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub quiet: bool,
    /// How long to wait for a workload to have a Ready pod when it has none (a Go duration:
    /// 30s, 2m); default: no wait.
    #[arg(long, value_name = "DURATION", value_parser = pod_running_timeout)]
    pub pod_running_timeout: Option<std::time::Duration>,
    /// POD, pod/POD, deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME or svc/NAME.
    pub target: String,
}

/// `--pod-running-timeout` as kubectl reads it: a Go duration (zero is refused later, in
/// kubectl's words for it).
pub(crate) fn pod_running_timeout(text: &str) -> Result<std::time::Duration, String> {
    match crate::conn::go_duration(text) {
        Some(d) => Ok(d),
        None if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            Err(format!("time: missing unit in duration {text:?}"))
        }
        None => Err(format!("time: invalid duration {text:?}")),
    }
}

/// kubectl's check of `--pod-running-timeout`, before anything is asked of the cluster.
pub(crate) fn check_wait(wait: Option<std::time::Duration>) -> Result<(), Failure> {
    match wait {
        Some(d) if d.is_zero() => Err(Failure::new(
            "--pod-running-timeout must be higher than zero",
        )),
        _ => Ok(()),
    }
}

/// The pod to exec in, attach to or forward to: a workload's or selector's newest Ready one
/// (with `--pod-running-timeout`, waited for, said on stderr unless quiet); with none Ready
/// (when the wait, if any, is over), one that runs what `needs` names, as kubectl takes a pod
/// that is not Ready (`pods::resolve_to_run`), with a note on stderr unless quiet.
pub(crate) async fn find_pod_to_run(
    cluster: &podterm_core::cluster::Cluster,
    target: &PodTarget,
    needs: pods::Runs<'_>,
    wait: Option<std::time::Duration>,
    limit: Option<std::time::Duration>,
    quiet: bool,
    again: &str,
) -> Result<k8s_openapi::api::core::v1::Pod, Failure> {
    let (client, namespace) = (&cluster.client, cluster.namespace.as_str());
    let found = match wait {
        None => {
            within(
                limit,
                pods::resolve_to_run(client, namespace, target, needs),
            )
            .await
        }
        Some(wait) => {
            let said = said(target, wait, quiet);
            let waiting =
                pods::resolve_waiting_to_run(client, namespace, target, needs, wait, said);
            within(limit.map(|l| l + wait), waiting).await
        }
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return Err(none_ready(e, cluster, again).await),
    };
    if let (Some(note), false) = (&found.unready, quiet) {
        eprintln!("{note}");
    }
    Ok(found.pod)
}

/// What is said on stderr (unless quiet) when a wait for a Ready pod starts.
fn said(target: &PodTarget, wait: std::time::Duration, quiet: bool) -> impl FnOnce(&str) + '_ {
    move |now: &str| {
        if !quiet {
            eprintln!(
                "Waiting up to {} for a Ready pod of {target}: {now}",
                podterm_core::cluster::duration_words(wait)
            );
        }
    }
}

/// No pod to take: the error, and for a pod that crashes as it starts, the copy to debug.
async fn none_ready(e: PodError, cluster: &podterm_core::cluster::Cluster, again: &str) -> Failure {
    match &e {
        PodError::NoneReady {
            crashing: Some(c), ..
        } => {
            let way = CopyWay::find(cluster, again, &c.pod).await;
            Failure::new(format!("{e}. {}", copy_words(c, &way)))
        }
        _ => e.into(),
    }
}

/// How a hint gets a shell in a copy of a pod, on the cluster the command line reached.
pub struct CopyWay<'a> {
    pub namespace: &'a str,
    /// The connection flags to give again (`Conn::again`).
    pub again: &'a str,
    /// `POD-debug`, the copy the hint names, is there already (made before, by the same hint):
    /// `debug --copy-to` would meet kubectl's AlreadyExists, so the hint opens a shell in it.
    pub there: bool,
}

impl<'a> CopyWay<'a> {
    /// Looks whether the copy of `pod` is there already (a failed or slow look: not there).
    pub async fn find(
        cluster: &'a podterm_core::cluster::Cluster,
        again: &'a str,
        pod: &str,
    ) -> CopyWay<'a> {
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
            kube::Api::namespaced(cluster.client.clone(), &cluster.namespace);
        let name = format!("{pod}-debug");
        let look = pods.get_opt(&name);
        let there = matches!(
            tokio::time::timeout(podterm_core::exec::REQUEST_TIMEOUT, look).await,
            Ok(Ok(Some(_)))
        );
        CopyWay {
            namespace: &cluster.namespace,
            again,
            there,
        }
    }

    /// What to do, with the command: debug a copy whose container runs a shell, or open one in
    /// the copy made before.
    fn words(&self, pod: &str, container: &str) -> String {
        let command = copy_command(pod, container, self);
        if self.there {
            format!(
                "open a shell in {pod}-debug, the copy of the pod made before, whose container \
                 runs one instead ({command})"
            )
        } else {
            format!("debug a copy of the pod whose container runs a shell instead ({command})")
        }
    }
}

/// What to do about a pod whose container crashes as it starts: a command that debugs a copy of
/// it, the container running a shell instead of its command, on the same cluster.
pub fn copy_words(c: &pods::Crashing, way: &CopyWay<'_>) -> String {
    format!(
        "Pod {}'s container {} crashes as it starts, so there is nothing to run in: {}",
        c.pod,
        c.container,
        way.words(&c.pod, &c.container)
    )
}

/// What to do about a container that has ended for good in a pod that runs on (a Job's beside
/// a sidecar; `state`: how it ended): the command that debugs a copy of the pod, the container
/// running a shell instead of its command.
pub fn ended_words(c: &pods::Crashing, state: &str, way: &CopyWay<'_>) -> String {
    format!(
        "Container {} of pod {} has ended ({state}) and is never restarted, so there is nothing \
         to run in: {}",
        c.container,
        c.pod,
        way.words(&c.pod, &c.container)
    )
}

/// The way out when the session found no running container: a copy of the pod, said as why
/// nothing runs (a crash loop, a container ended for good).
async fn way_out(
    pod: &k8s_openapi::api::core::v1::Pod,
    container: &str,
    cluster: &podterm_core::cluster::Cluster,
    again: &str,
) -> Option<String> {
    if let Some(c) = pods::crashing_container(pod, container) {
        let way = CopyWay::find(cluster, again, &c.pod).await;
        return Some(copy_words(&c, &way));
    }
    let (c, state) = pods::ended_container(pod, container)?;
    let way = CopyWay::find(cluster, again, &c.pod).await;
    Some(ended_words(&c, &state, &way))
}

/// A finished pod runs nothing to exec, attach or debug in, and never will; a copy of it runs again:
/// `e` (kubectl's words), then the command that debugs a copy, its container (`container`, or
/// the pod's default one) running a shell, when there is a container to name and the copy's
/// name fits.
pub async fn or_copy<E>(
    e: E,
    pod: &k8s_openapi::api::core::v1::Pod,
    container: Option<&str>,
    cluster: &podterm_core::cluster::Cluster,
    again: &str,
) -> Failure
where
    E: std::fmt::Display + Into<Failure>,
{
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    // Only a regular container is copied to run a shell: not an ephemeral one.
    let regular = |c: &String| {
        pod.spec
            .as_ref()
            .is_some_and(|s| s.containers.iter().any(|r| &r.name == c))
    };
    match pods::choose_container(pod, container) {
        Ok((c, _)) if name.len() <= 240 && regular(&c) => {
            let way = CopyWay::find(cluster, again, name).await;
            let command = copy_command(name, &c, &way);
            Failure::new(if way.there {
                format!(
                    "{e}; or open a shell in {name}-debug, the copy of this one made before, \
                     whose container runs one instead of its command ({command})"
                )
            } else {
                format!(
                    "{e}; or debug a copy of this one, its container running a shell instead \
                     of its command ({command})"
                )
            })
        }
        _ => e.into(),
    }
}

/// The command that debugs a copy of `pod` with `container` running a shell, on the cluster
/// `way` reaches; when that copy is there already, the command that opens a shell in it.
pub fn copy_command(pod: &str, container: &str, way: &CopyWay<'_>) -> String {
    let q = crate::conn::shell_quote;
    let copy = q(&format!("{pod}-debug"));
    let (again, namespace, container) = (way.again, q(way.namespace), q(container));
    if way.there {
        format!("podterm exec -it{again} -n {namespace} {copy} -c {container} -- sh; delete the copy when done")
    } else {
        format!(
            "podterm debug -it{again} -n {namespace} {} --copy-to={copy} -c {container} -- sh; \
             delete the copy when done",
            q(pod)
        )
    }
}

pub async fn exec(a: ExecArgs, conn: &Conn) -> Result<i32, Failure> {
    // No command means a shell, which needs stdin (`-i`): without it, kubectl's refusal rather
    // than a shell that ends at once and says nothing.
    check_wait(a.pod_running_timeout)?;
    // Checked on the values, not by the parser: `--all=false` is --all not given.
    if a.all && a.pod_running_timeout.is_some() {
        return Err(Failure::new(
            "--pod-running-timeout cannot be used with --all: --all runs in the pods that are Ready now",
        ));
    }
    if a.max_concurrency.is_some() && !a.all {
        return Err(Failure::new(
            "--max-concurrency is for --all (how many pods run at once): add --all, or leave it out",
        ));
    }
    // What is missing first, as kubectl checks it: where, then what to run.
    if a.selector.is_none() && a.target.is_none() {
        return Err(Failure::new("a pod name (or -l SELECTOR) is required"));
    }
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
    let pod = find_pod_to_run(
        &cluster,
        &pod_target,
        pods::Runs::Container(a.container.as_deref()),
        a.pod_running_timeout,
        limit,
        a.quiet,
        &conn.again(),
    )
    .await?;
    if let Err(e) = pods::check_running(&pod) {
        let again = conn.again();
        return Err(or_copy(e, &pod, a.container.as_deref(), &cluster, &again).await);
    }
    let (container, note) = pods::choose_container(&pod, a.container.as_deref())?;
    if let (Some(n), false) = (note, a.quiet) {
        eprintln!("{n}");
    }
    // Nothing runs in it to exec into (a crash loop, ended for good); the session is still
    // asked for, as kubectl does (it may have just started again), and a refusal points at the
    // copy that gets a shell.
    let way_out = way_out(&pod, &container, &cluster, &conn.again()).await;
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
    let ended = run_recorded(&cluster, spec, limit, recording, &conn.again()).await;
    match (ended, way_out) {
        (Err(f), Some(words)) if f.no_running_container() => Err(f.and_then_say(&words)),
        (ended, _) => ended,
    }
}

pub async fn attach(a: AttachArgs, conn: &Conn) -> Result<i32, Failure> {
    check_wait(a.pod_running_timeout)?;
    let cluster = connect(conn).await?;
    let limit = conn.request_timeout();
    let target = PodTarget::parse(&a.target)?;
    let pod = find_pod_to_run(
        &cluster,
        &target,
        pods::Runs::Container(a.container.as_deref()),
        a.pod_running_timeout,
        limit,
        a.quiet,
        &conn.again(),
    )
    .await?;
    if let Err(e) = pods::check_attachable(&pod) {
        let again = conn.again();
        return Err(or_copy(e, &pod, a.container.as_deref(), &cluster, &again).await);
    }
    let (container, note) = pods::choose_container(&pod, a.container.as_deref())?;
    if let (Some(n), false) = (note, a.quiet) {
        eprintln!("{n}");
    }
    let way_out = way_out(&pod, &container, &cluster, &conn.again()).await;
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
    // Said when stdin goes to the process, terminal or not. (kubectl says it without -i too,
    // where pressing enter reaches nothing.)
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
    let code = match (run(&cluster, spec, limit).await, way_out) {
        (Err(f), Some(words)) if f.no_running_container() => return Err(f.and_then_say(&words)),
        (ended, _) => ended?,
    };
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
