//! `podterm logs`, as `kubectl logs`: same flags, output and messages. A follow resumes after a
//! dropped connection (podterm_core::logs).

use crate::conn::{connect, go_duration, Conn};
use crate::failure::Failure;
use clap::Args;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use podterm_core::cluster::{within, ApiError};
use podterm_core::follow;
use podterm_core::logs::{self, LogOptions, LogSource, LogsError, Output};
use podterm_core::pods::{self, PodError, PodTarget};
use std::sync::Arc;

#[derive(Args)]
pub struct LogsArgs {
    /// Container name (default: the default-container annotation, else the first).
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Every container of the pod(s): init, then the others, then ephemeral ones.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub all_containers: bool,
    /// Keep streaming as the container writes; resumes after a dropped connection.
    #[arg(short = 'f', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub follow: bool,
    /// The container's previous run (before its last restart).
    #[arg(short = 'p', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub previous: bool,
    /// Only lines newer than this (5s, 2m, 3h).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Only lines after this time (RFC3339).
    #[arg(long, value_name = "TIME")]
    pub since_time: Option<String>,
    /// The last N lines (-1: all; 10 with a selector).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub tail: i64,
    /// Start each line with its timestamp (RFC3339 with nanoseconds).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub timestamps: bool,
    /// At most this many bytes of each log (0: no limit).
    #[arg(long, default_value_t = 0)]
    pub limit_bytes: i64,
    /// Logs of every pod matching this label selector.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Start each line with [pod/NAME/CONTAINER].
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub prefix: bool,
    /// How many logs may be followed at once.
    #[arg(long, default_value_t = 5)]
    pub max_log_requests: usize,
    /// Following several logs, a failing one does not stop the others.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub ignore_errors: bool,
    /// Every pod of the workload, not one; each line prefixed (sets --prefix).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub all_pods: bool,
    /// How long to wait for a workload that has no pods to have one (a Go duration: 20s, 2m);
    /// default: no wait.
    #[arg(long, value_name = "DURATION", value_parser = crate::exec::pod_running_timeout)]
    pub pod_running_timeout: Option<std::time::Duration>,
    /// POD, pod/POD, deploy/NAME, sts/NAME, ds/NAME, rs/NAME or svc/NAME.
    pub target: Option<String>,
    /// The container, as kubectl's older `logs POD CONTAINER` form names it (same as -c).
    #[arg(value_name = "CONTAINER")]
    pub inline_container: Option<String>,
}

fn options(a: &LogsArgs) -> Result<LogOptions, Failure> {
    // kubectl's own checks, in its words, before the server is asked.
    if let (true, Some(c)) = (a.all_containers, &a.container) {
        return Err(Failure::new(format!(
            "--all-containers=true should not be specified with container name {}",
            podterm_core::text::shown(c)
        )));
    }
    if a.tail < -1 {
        return Err(Failure::new("--tail must be greater than or equal to -1"));
    }
    if a.limit_bytes < 0 {
        return Err(Failure::new("--limit-bytes must be greater than 0"));
    }
    if a.since.is_some() && a.since_time.is_some() {
        return Err(Failure::new(
            "at most one of `sinceTime` or `sinceSeconds` may be specified",
        ));
    }
    let since_seconds = match &a.since {
        None => None,
        Some(text) => {
            let d = go_duration(text).ok_or_else(|| {
                Failure::new(format!(
                    "invalid argument {:?} for \"--since\" flag: use a duration such as 5s, 2m or 3h",
                    podterm_core::text::shown(text)
                ))
            })?;
            // Up to whole seconds (kubectl sends under a second as 0, which the API server
            // refuses: `sinceSeconds: Invalid value`); 0 is no limit.
            let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
            (secs > 0).then_some(secs as i64)
        }
    };
    let since_time = match &a.since_time {
        None => None,
        // The parser's own words ("failed to parse four digit integer as year") say nothing to
        // a user: what was given and what is wanted.
        Some(text) => Some(text.parse::<jiff::Timestamp>().map_err(|_| {
            Failure::new(format!(
                "--since-time {}: not an RFC3339 time; give one such as 2026-01-02T15:04:05Z (with its Z or offset)",
                podterm_core::text::shown(text)
            ))
        })?),
    };
    let tail = if a.tail < 0 && a.selector.is_some() {
        10
    } else {
        a.tail
    };
    Ok(LogOptions {
        follow: a.follow,
        previous: a.previous,
        timestamps: a.timestamps,
        since_seconds,
        since_time,
        tail_lines: (tail >= 0).then_some(tail),
        limit_bytes: (a.limit_bytes > 0).then_some(a.limit_bytes),
        // kubectl ends a follow whose connection broke; podterm resumes it, and says so when
        // that takes more than one try (else it would sit silent for up to a minute).
        on_resume: logs::OnResume::new(|r| {
            match r {
            logs::Resume::Retrying { what, error } => eprintln!(
                "podterm: the log of {what} broke and cannot be resumed yet: {}; trying again for up to a minute",
                podterm_core::text::message(&error.to_string())
            ),
            logs::Resume::Back { what } => eprintln!("podterm: resumed the log of {what}"),
        }
        }),
    })
}

/// The pods to read, as kubectl chooses them.
async fn pods_of(
    client: &kube::Client,
    namespace: &str,
    a: &LogsArgs,
    limit: Option<std::time::Duration>,
) -> Result<Vec<Pod>, Failure> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let target = match (&a.selector, &a.target) {
        (Some(sel), None) => PodTarget::Selector(sel.clone()),
        (None, Some(t)) => PodTarget::parse(t)?,
        (Some(_), Some(_)) => {
            return Err(Failure::new(
                "only one of a selector or a pod or workload may be given",
            ))
        }
        (None, None) => {
            return Err(Failure::new(
                "a pod name, TYPE/NAME or -l SELECTOR is required",
            ))
        }
    };
    let list = |selector: String| {
        let api = api.clone();
        async move {
            let lp = ListParams::default().labels(&selector);
            Ok::<_, ApiError>(api.list(&lp).await.map_err(ApiError::from)?.items)
        }
    };
    match target {
        PodTarget::Pod(name) => {
            match within(limit, pods::get_pod(client, namespace, &name)).await {
                Ok(pod) => Ok(vec![pod]),
                Err(PodError::Api(e)) => Err(not_found_in(e, namespace)),
                Err(e) => Err(e.into()),
            }
        }
        PodTarget::Selector(sel) => {
            let pods = within(limit, list(sel)).await?;
            if pods.is_empty() {
                eprintln!(
                    "No resources found in {} namespace.",
                    podterm_core::text::shown(namespace)
                );
            }
            Ok(pods)
        }
        PodTarget::Workload { kind, name } => {
            let sel = match within(
                limit,
                pods::workload_selector(client, namespace, kind, &name),
            )
            .await
            {
                Ok(sel) => sel,
                Err(PodError::Api(e)) => return Err(not_found_in(e, namespace)),
                // kubectl's words for logs.
                Err(PodError::ServiceWithoutSelector(svc)) => {
                    return Err(Failure::new(format!(
                        "cannot get the logs from *v1.Service: invalid service '{svc}': Service is defined without a selector"
                    )))
                }
                Err(e) => return Err(e.into()),
            };
            let (found, waited) = match a.pod_running_timeout {
                None => (within(limit, list(sel)).await?, String::new()),
                // Until it has a pod, or the time is up.
                Some(wait) => {
                    let said = |_: &str| {
                        eprintln!(
                            "Waiting up to {} for a pod of {}/{}",
                            podterm_core::cluster::duration_words(wait),
                            kind.as_str(),
                            podterm_core::text::shown(&name)
                        )
                    };
                    let some = |pods: Vec<Pod>| {
                        if pods.is_empty() {
                            Err(String::new())
                        } else {
                            Ok(pods)
                        }
                    };
                    let waiting = pods::watch_until(client, namespace, &sel, wait, some, said);
                    match within(limit.map(|l| l + wait), waiting).await? {
                        Ok(pods) => (pods, String::new()),
                        Err(_) => (
                            vec![],
                            format!(" (waited {})", podterm_core::cluster::duration_words(wait)),
                        ),
                    }
                }
            };
            let none = || {
                Failure::new(format!(
                    "{}/{} has no pods in namespace {}{waited}",
                    kind.as_str(),
                    podterm_core::text::shown(&name),
                    podterm_core::text::shown(namespace)
                ))
            };
            let n = found.len();
            if a.all_pods && n > 0 {
                let mut all = found;
                all.sort_by(|x, y| x.metadata.name.cmp(&y.metadata.name));
                return Ok(all);
            }
            let Some(pod) = logs::pick_for_logs(found) else {
                return Err(none());
            };
            if n > 1 {
                eprintln!(
                    "Found {n} pods, using pod/{}",
                    podterm_core::text::shown(pod.metadata.name.as_deref().unwrap_or(""))
                );
            }
            Ok(vec![pod])
        }
    }
}

/// kubectl's logs word a pod or workload that is not found (or its namespace) with the
/// namespace after the server's message; other failures in their own words.
fn not_found_in(e: ApiError, namespace: &str) -> Failure {
    match e {
        ApiError::Refused {
            code: 404,
            reason,
            message,
        } => Failure::new(format!(
            "error from server ({reason}): {message} in namespace \"{}\"",
            podterm_core::text::shown(namespace)
        )),
        e => e.into(),
    }
}

/// `-f` with `-l` or a workload: the selector whose pods are followed as they come (stern-like).
async fn followed_selector(
    client: &kube::Client,
    namespace: &str,
    a: &LogsArgs,
    limit: Option<std::time::Duration>,
) -> Result<Option<String>, Failure> {
    if !a.follow {
        return Ok(None);
    }
    match (&a.selector, &a.target) {
        (Some(sel), None) => Ok(Some(sel.clone())),
        (None, Some(t)) => match PodTarget::parse(t)? {
            PodTarget::Workload { kind, name } => Ok(Some(
                within(
                    limit,
                    pods::workload_selector(client, namespace, kind, &name),
                )
                .await?,
            )),
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// Follows every pod of `selector`, those a rollout brings included, each line prefixed.
async fn follow_workload(
    client: &kube::Client,
    namespace: &str,
    selector: String,
    a: &LogsArgs,
    opts: LogOptions,
    limit: Option<std::time::Duration>,
) -> Result<i32, Failure> {
    // kubectl's refusal to follow more logs than --max-log-requests, for the pods of now.
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let lp = ListParams::default().labels(&selector);
    let now = within(limit, async { api.list(&lp).await.map_err(ApiError::from) }).await?;
    let streams: usize = now
        .items
        .iter()
        .map(|p| {
            if a.all_containers {
                logs::all_containers(p).len()
            } else {
                1
            }
        })
        .sum();
    if streams > a.max_log_requests {
        return Err(too_many(streams, a.max_log_requests));
    }
    let w = follow::Workload {
        namespace: namespace.to_string(),
        selector,
        container: a.container.clone(),
        all_containers: a.all_containers,
        opts,
        max_streams: a.max_log_requests,
    };
    let out: Output = Arc::new(tokio::sync::Mutex::new(Box::new(tokio::io::stdout())));
    let reader_gone = Arc::new(tokio::sync::Notify::new());
    let gone = reader_gone.clone();
    let on_error = move |s: &LogSource, e: LogsError| match e {
        LogsError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe => gone.notify_one(),
        e @ LogsError::Capped { .. } => eprintln!(
            "warning: {}: {e} (--max-log-requests)",
            podterm_core::text::shown(s.kubectl_prefix().trim_end()),
        ),
        e => eprintln!(
            "error: {}: {}",
            podterm_core::text::shown(s.kubectl_prefix().trim_end()),
            podterm_core::text::message(&e.to_string())
        ),
    };
    let run = follow::workload(client, &w, &out, on_error);
    // `podterm logs -f deploy/web | head`: the reader is gone, which ends the follow quietly.
    tokio::select! {
        r = run => r?,
        () = reader_gone.notified() => {}
        () = stdout_reader_gone() => {}
    }
    Ok(0)
}

/// Resolves when stdout is a pipe or a socket whose reader has gone (`podterm logs -f POD |
/// grep -m1 Started`: grep exits at its line). The write end says so at once (an error or a
/// hangup), so a follow of a quiet pod ends with its reader, not at the pod's next line, when a
/// write would find it gone (kubectl's only way). Never, for a terminal or a file.
async fn stdout_reader_gone() {
    use rustix::event::{poll, PollFd, PollFlags};
    use rustix::fs::FileType;
    use std::os::fd::AsFd as _;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let watcher = std::thread::Builder::new()
        .name("stdout-reader".into())
        .spawn(move || {
            let stdout = std::io::stdout();
            let fd = stdout.as_fd();
            let watched = rustix::fs::fstat(fd).is_ok_and(|st| {
                matches!(
                    FileType::from_raw_mode(st.st_mode),
                    FileType::Fifo | FileType::Socket
                )
            });
            if !watched {
                return;
            }
            loop {
                // No events asked for: an error and a hangup are always reported.
                let mut fds = [PollFd::new(&fd, PollFlags::empty())];
                match poll(&mut fds, None) {
                    Ok(_) if fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP) => {
                        let _ = tx.send(());
                        return;
                    }
                    Err(rustix::io::Errno::INTR) => {}
                    // Anything else (an invalid descriptor, a failing poll): stop watching.
                    _ => return,
                }
            }
        });
    if watcher.is_ok() && rx.await.is_ok() {
        return;
    }
    std::future::pending::<()>().await
}

fn too_many(n: usize, max: usize) -> Failure {
    Failure::new(format!(
        "you are attempting to follow {n} log streams, but maximum allowed concurrency is {max}, use --max-log-requests to increase the limit"
    ))
}

pub async fn logs(mut a: LogsArgs, conn: &Conn) -> Result<i32, Failure> {
    if let Some(c) = a.inline_container.take() {
        if a.container.is_some() {
            return Err(Failure::new(
                "only one of -c or an inline [CONTAINER] arg is allowed",
            ));
        }
        a.container = Some(c);
    }
    crate::exec::check_wait(a.pod_running_timeout)?;
    let opts = options(&a)?;
    let cluster = connect(conn).await?;
    let limit = conn.request_timeout();
    if let Some(sel) = followed_selector(&cluster.client, &cluster.namespace, &a, limit).await? {
        return follow_workload(&cluster.client, &cluster.namespace, sel, &a, opts, limit).await;
    }
    let pods = pods_of(&cluster.client, &cluster.namespace, &a, limit).await?;
    let mut sources = Vec::new();
    for pod in &pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let containers = if a.all_containers {
            logs::all_containers(pod)
        } else {
            let (c, note) = pods::choose_container(pod, a.container.as_deref())?;
            // Not said for each of --all-pods' pods, as kubectl does not.
            if let (Some(n), false) = (note, a.all_pods) {
                eprintln!("{n}");
            }
            vec![c]
        };
        for container in containers {
            let mut s = LogSource {
                namespace: cluster.namespace.clone(),
                pod: name.clone(),
                container,
                prefix: None,
            };
            if a.prefix || a.all_pods {
                s.prefix = Some(s.kubectl_prefix());
            }
            sources.push(s);
        }
    }
    if a.follow && sources.len() > a.max_log_requests {
        return Err(too_many(sources.len(), a.max_log_requests));
    }
    let out: Output = Arc::new(tokio::sync::Mutex::new(Box::new(tokio::io::stdout())));
    let report = |e: LogsError| -> Result<(), Failure> {
        match e {
            // `podterm logs | head`: the reader is gone, which is not a failure.
            LogsError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            // kubectl writes the errors it ignores into the output, where the log would be.
            // The server's refusal in its own words, without kubectl's `Error from server`.
            e if a.ignore_errors => {
                let text = match e {
                    LogsError::Api(ApiError::Refused { message, .. }) => message,
                    other => other.to_string(),
                };
                println!("error: {}", podterm_core::text::message(&text));
                Ok(())
            }
            e => Err(e.into()),
        }
    };
    if a.follow {
        let mut set = tokio::task::JoinSet::new();
        for s in sources {
            let client = cluster.client.clone();
            let opts = opts.clone();
            let out = out.clone();
            set.spawn(async move { logs::stream(&client, &s, &opts, &out).await });
        }
        let streams = async {
            while let Some(done) = set.join_next().await {
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => report(e)?,
                    Err(e) => return Err(Failure::new(format!("a log stream failed: {e}"))),
                }
            }
            Ok(())
        };
        // `podterm logs -f POD | grep -m1 …`: the reader gone ends the follow at once.
        tokio::select! {
            r = streams => r?,
            () = stdout_reader_gone() => {}
        }
    } else {
        for s in sources {
            if let Err(e) = logs::stream(&cluster.client, &s, &opts, &out).await {
                report(e)?;
            }
        }
    }
    Ok(0)
}
