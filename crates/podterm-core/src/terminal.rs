//! An interactive terminal as a UI runs it: find the pod and container the kubectl way, start a
//! TTY exec, hand its output to the UI through [`crate::flow`], and forward keystrokes and
//! resizes in the order they were sent. The UI shell only wires channels to it.

use crate::cluster::Cluster;
use crate::debug::{self, DebugError, DebugSpec};
use crate::exec::{ExecError, ExecSpec, Session, Tuning};
use crate::flow::{self, Credit, FlowConfig, PumpEnd};
use crate::nodedebug;
use crate::podcopy::{self, CopyError};
use crate::pods::{self, PodError, PodTarget};
use crate::protocol::Outcome;
use crate::recordings::Tap;
use bytes::Bytes;
use tokio::sync::mpsc;

/// Output held for a slow UI before the socket pauses: small, so a keystroke's echo or a Ctrl-C
/// does not wait behind megabytes of a flood. (A log view's; a terminal holds less, below.)
pub const UI_READ_AHEAD: usize = 256 * 1024;
/// A terminal's read-ahead: one batch of a slow tab's window. The socket's own receive buffer
/// ([`crate::cluster::RECV_BUFFER`]) already holds more than that while the pump waits, so a
/// fast tab loses nothing, and a `yes` flood's echo waits behind ~15 ms less of it.
pub const TERMINAL_READ_AHEAD: usize = 64 * 1024;

/// Which shell to open. JSON (camelCase): `{namespace, pod, container, command, cols, rows}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TerminalRequest {
    /// Empty: the cluster's default namespace.
    pub namespace: String,
    pub pod: String,
    /// Empty: the default container (annotation, else the first).
    pub container: String,
    /// `None`: the shell fallback.
    pub command: Option<Vec<String>>,
    pub cols: u16,
    pub rows: u16,
    /// Set: the shell runs in a debug container of ours beside `container` (the target),
    /// added first when the pod has no running one for this image and target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub debug: Option<DebugRequest>,
    /// Set: the shell runs in a copy of the pod whose `container` runs a shell instead of its
    /// command (made first when there is no such copy of ours), for a container that crashes as
    /// it starts. With `pod` `node/NAME`: in a debugging pod of ours on that node (`kubectl
    /// debug node/NAME`). Either stays until deleted ([`crate::podcopy::delete_shell_copy`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub copy: Option<CopyRequest>,
}

/// A terminal in a copy of the pod (see [`crate::podcopy::ensure_shell_copy`]). JSON: `{name}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CopyRequest {
    /// The copy's name (a [`crate::podcopy::CopyPlan`]'s).
    pub name: String,
    /// For a shell on a node (the request's `pod` is `node/NAME`): the image of the debugging
    /// pod made there ([`crate::nodedebug::ensure_node_shell`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub image: Option<String>,
}

/// A terminal in a debug container (an ephemeral container that cannot be removed): see
/// [`crate::debug::ensure_named`]. JSON: `{image, name}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DebugRequest {
    pub image: String,
    /// The name to add it under (the one shown to the user); a running one of ours with the
    /// same image and target is reused whatever its name.
    pub name: String,
}

/// What the UI sends while the terminal runs.
#[derive(Debug)]
pub enum Control {
    Input(Bytes),
    Resize(u16, u16),
}

/// How a terminal ended.
#[derive(Debug)]
pub enum TerminalEnd {
    /// The session ran; its outcome, or why there is none.
    Ended(Result<Outcome, ExecError>),
    /// It could not start (no such pod, a completed pod, 403, 401 ...).
    NotStarted(StartError),
    /// The session ended because its pod went away (deleted, being deleted, or replaced by a
    /// new pod of the same name); the words say which, and how the session itself ended.
    PodGone(String),
    /// The UI stopped taking output.
    UiGone,
}

/// Why a terminal could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Finding the pod or container failed (kubectl's checks and words).
    #[error(transparent)]
    Pod(#[from] PodError),
    /// The exec session could not be opened.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The debug container could not be added or reached.
    #[error(transparent)]
    Debug(#[from] DebugError),
    /// The container crashes as it starts (`state`: `CrashLoopBackOff`, or how it last
    /// ended): nothing runs to open a shell in.
    #[error("container \"{container}\" of pod \"{pod}\" crashes as it starts ({state}), so there is nothing running to open a shell in")]
    Crashing {
        pod: String,
        container: String,
        state: String,
    },
    /// The pod has finished (`phase`: `Succeeded` or `Failed`; a Job's pod, say): nothing runs
    /// in it, nor ever will, to open a shell in (kubectl's words); a copy of it runs again.
    #[error("cannot exec into a container in a completed pod; current phase is {phase}")]
    Finished {
        pod: String,
        container: String,
        phase: String,
    },
    /// The container has ended for good (`state`: how) in a pod that runs on, a Job's beside
    /// a sidecar: nothing runs in it to open a shell in, nor will; a copy of the pod runs again.
    #[error("container \"{container}\" of pod \"{pod}\" has ended ({state}) and is never restarted, so there is nothing running to open a shell in")]
    Ended {
        pod: String,
        container: String,
        state: String,
    },
    /// The pod's copy could not be made or used.
    #[error(transparent)]
    Copy(#[from] CopyError),
}

impl StartError {
    /// The container a copy of the pod would run a shell in, when nothing runs in the pod to
    /// open one in (a crash loop, a container ended for good, a completed pod).
    pub fn copy_offered(&self) -> Option<&str> {
        match self {
            StartError::Crashing { container, .. }
            | StartError::Finished { container, .. }
            | StartError::Ended { container, .. } => Some(container),
            _ => None,
        }
    }

    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        match self {
            StartError::Pod(e) => e.credentials_refused(),
            StartError::Exec(e) => e.credentials_refused(),
            StartError::Debug(e) => e.credentials_refused(),
            StartError::Crashing { .. }
            | StartError::Finished { .. }
            | StartError::Ended { .. } => false,
            StartError::Copy(e) => e.credentials_refused(),
        }
    }
}

/// Runs a terminal to its end. `connected` is called once the session is up; `output` gets the
/// coalesced output while `credit` allows and returns false once nobody listens. `tap` records
/// the session when asked: it sees every byte of output before the flow pump, the resizes and
/// (when its recording takes input) the keystrokes.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    cluster: &Cluster,
    req: &TerminalRequest,
    mut control: mpsc::UnboundedReceiver<Control>,
    credit: Credit,
    cfg: FlowConfig,
    output: impl FnMut(Bytes) -> bool + Send,
    connected: impl FnOnce(),
    tap: &Tap,
) -> TerminalEnd {
    let namespace = if req.namespace.is_empty() {
        cluster.namespace.clone()
    } else {
        req.namespace.clone()
    };
    let tuning = Tuning {
        read_ahead: TERMINAL_READ_AHEAD,
        ..Tuning::with(cluster.liveness)
    };
    // A copy: the shell runs in the copy's container, made now when there is none of ours
    // (the wait for it to run is bounded by the image pull's failure, its crash, the user's
    // Cancel); a reconnect finds it there, whatever became of the original.
    let (mut container, uid, pod_name, crash_watch) = if let Some(c) = &req.copy {
        match copied(cluster, &namespace, req, &c.name, tuning.request_timeout).await {
            Ok((container, uid)) => (container, uid, c.name.clone(), false),
            Err(e) => return TerminalEnd::NotStarted(e),
        }
    } else {
        match looked_up(cluster, &namespace, req, tuning.request_timeout).await {
            Ok((container, uid)) => (container, uid, req.pod.clone(), req.debug.is_none()),
            Err(e) => return TerminalEnd::NotStarted(e),
        }
    };
    // A debug terminal: the shell runs in our debug container beside `container`, added now
    // when the pod has no running one (the wait for it is bounded by the image pull's failure,
    // the pod's end or the user's Cancel).
    if let Some(d) = &req.debug {
        let spec = DebugSpec::shared_shell(&d.image, &container);
        let name = Some(d.name.as_str()).filter(|n| !n.is_empty());
        match debug::ensure_named(&cluster.client, &namespace, &pod_name, &spec, name).await {
            Ok(ensured) => container = ensured.name,
            Err(e) => return TerminalEnd::NotStarted(e.into()),
        }
    }
    let spec = ExecSpec {
        namespace: namespace.clone(),
        pod: pod_name.clone(),
        container: container.clone(),
        command: req.command.clone().unwrap_or_else(pods::shell_command),
        stdin: true,
        stdout: true,
        stderr: true,
        tty: true,
        size: Some((req.cols.max(1), req.rows.max(1))),
        attach: false,
    };
    let session = match Session::start(&cluster.client, &spec, tuning).await {
        Ok(s) => s,
        // The node found no running container: it may have crashed since the look (it runs
        // for moments between back-offs), or the pod completed; a second look says so in a
        // typed way.
        Err(e @ ExecError::UpgradeRefused { .. }) if crash_watch => {
            let again = crate::cluster::within(
                tuning.request_timeout,
                pods::get_pod(&cluster.client, &namespace, &pod_name),
            )
            .await;
            let (pod, shown) = (
                crate::text::shown(&pod_name),
                crate::text::shown(&container),
            );
            return TerminalEnd::NotStarted(match again {
                Ok(p) => match (pods::check_running(&p), pods::crash_state(&p, &container)) {
                    (Err(PodError::Completed(phase)), _) => StartError::Finished {
                        pod,
                        container: shown,
                        phase,
                    },
                    (_, Some(state)) => StartError::Crashing {
                        pod,
                        container: shown,
                        state,
                    },
                    _ => match pods::ended_state(&p, &container) {
                        Some(state) => StartError::Ended {
                            pod,
                            container: shown,
                            state,
                        },
                        None => e.into(),
                    },
                },
                Err(_) => e.into(),
            });
        }
        Err(e) => return TerminalEnd::NotStarted(e.into()),
    };
    // Before the first byte is handed on: a profile recording every session starts here.
    tap.begin(
        &namespace,
        &pod_name,
        &container,
        req.cols.max(1),
        req.rows.max(1),
    );
    connected();
    let parts = session.into_parts();
    let input = parts.input;
    let stdout = tapped(parts.stdout, tap.clone());
    let stderr = tapped(parts.stderr, tap.clone());
    // A terminal that skips keeps lines for the tab's rows as they are now.
    credit.set_rows(req.rows.max(1));
    let rows = credit.clone();
    let pump = flow::pump(stdout, stderr, credit, cfg, output);
    // Input in the order it was sent, for as long as the session takes it.
    let keys = tap.clone();
    let forward = async move {
        while let Some(c) = control.recv().await {
            let open = match c {
                Control::Input(b) => {
                    keys.input(&b);
                    input.send(b).await
                }
                Control::Resize(cols, r) => {
                    keys.resize(cols, r);
                    rows.set_rows(r);
                    input.resize(cols, r).await
                }
            };
            if !open {
                break;
            }
        }
        std::future::pending::<()>().await
    };
    let finish = parts.end.wait();
    let mut pump = std::pin::pin!(pump);
    let mut finish = std::pin::pin!(finish);
    let work = async {
        tokio::select! {
            // Deliver what is left before saying how it ended.
            r = &mut finish => { (&mut pump).await; TerminalEnd::Ended(r) }
            end = &mut pump => match end {
                PumpEnd::UiGone => TerminalEnd::UiGone,
                PumpEnd::Drained => TerminalEnd::Ended(finish.await),
            },
        }
    };
    let mut forward = std::pin::pin!(forward);
    let end = tokio::select! {
        end = work => end,
        // `forward` never completes: it parks once the session stops taking input.
        () = &mut forward => TerminalEnd::UiGone,
    };
    match end {
        TerminalEnd::Ended(r) if ended_abnormally(&r) => {
            match pod_gone(cluster, &namespace, &pod_name, uid.as_deref()).await {
                Some(why) => TerminalEnd::PodGone(format!("{why} ({})", how_it_ended(&r))),
                None => TerminalEnd::Ended(r),
            }
        }
        other => other,
    }
}

/// kubectl's checks and words before an exec: no such pod, a completed pod, no such container
/// (each request within `limit`); the container, and the pod's uid. A container that crashes as
/// it starts has nothing running to exec into (a real cluster refuses: "container not found"),
/// nor has one ended for good, nor a completed pod: each said in a typed way, so the UI can
/// offer a copy.
async fn looked_up(
    cluster: &Cluster,
    namespace: &str,
    req: &TerminalRequest,
    limit: Option<std::time::Duration>,
) -> Result<(String, Option<String>), StartError> {
    let target = PodTarget::Pod(req.pod.clone());
    let pod =
        crate::cluster::within(limit, pods::resolve(&cluster.client, namespace, &target)).await?;
    let wanted = Some(req.container.as_str()).filter(|s| !s.is_empty());
    if req.debug.is_some() {
        debug::check_running(&pod)?;
    } else if let Err(PodError::Completed(phase)) = pods::check_running(&pod) {
        // Said in a typed way, naming the container, so the UI can offer a copy; without such
        // a container, kubectl's words for the pod first, as kubectl checks.
        // (Only a regular container is copied to run a shell: not an ephemeral one.)
        let regular = |c: &String| {
            pod.spec
                .as_ref()
                .is_some_and(|s| s.containers.iter().any(|r| &r.name == c))
        };
        return Err(match pods::choose_container(&pod, wanted) {
            Ok((container, _)) if regular(&container) => StartError::Finished {
                pod: crate::text::shown(&req.pod),
                container: crate::text::shown(&container),
                phase,
            },
            _ => PodError::Completed(phase).into(),
        });
    }
    let (container, _) = pods::choose_container(&pod, wanted)?;
    if let Some(state) = pods::ended_state(&pod, &container).filter(|_| req.debug.is_none()) {
        return Err(StartError::Ended {
            pod: crate::text::shown(&req.pod),
            container: crate::text::shown(&container),
            state,
        });
    }
    if let Some(state) = pods::crash_state(&pod, &container).filter(|_| req.debug.is_none()) {
        return Err(StartError::Crashing {
            pod: crate::text::shown(&req.pod),
            container: crate::text::shown(&container),
            state,
        });
    }
    Ok((container, pod.metadata.uid.clone()))
}

/// The shell copy `name` of the requested pod made (or ours found: a finished or gone original
/// needs none), then waited for until its container runs; the container and the copy's uid.
async fn copied(
    cluster: &Cluster,
    namespace: &str,
    req: &TerminalRequest,
    name: &str,
    limit: Option<std::time::Duration>,
) -> Result<(String, Option<String>), StartError> {
    let client = &cluster.client;
    let made = match (req.pod.strip_prefix("node/"), &req.copy) {
        (Some(node), Some(c)) => {
            let image = c
                .image
                .as_deref()
                .unwrap_or(crate::settings::DEFAULT_DEBUG_IMAGE);
            let ensured = nodedebug::ensure_node_shell(client, namespace, node, name, image);
            crate::cluster::within(limit, ensured).await?
        }
        _ => {
            let ensured =
                podcopy::ensure_shell_copy(client, namespace, &req.pod, &req.container, name);
            crate::cluster::within(limit, ensured).await?
        }
    };
    let (container, image) = made;
    match debug::wait_running(client, namespace, name, &container, &image, |_| {}).await? {
        debug::Ready::Running(p) => Ok((container, p.metadata.uid)),
        // The shell ended at once: nothing to open a shell in.
        debug::Ready::Ended(_, e) => Err(e.into()),
    }
}

/// The session's output as it left the exec session, each chunk handed to `tap` on its way to
/// the flow pump (which may skip output a lagging tab cannot show; the recording never does).
fn tapped(
    mut from: mpsc::UnboundedReceiver<crate::exec::Chunk>,
    tap: Tap,
) -> mpsc::UnboundedReceiver<crate::exec::Chunk> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(chunk) = from.recv().await {
            tap.output_paced(&chunk.data).await;
            if tx.send(chunk).is_err() {
                break;
            }
        }
    });
    rx
}

/// Killed by a signal (exit code above 128), refused mid-way, or cut off: worth asking whether
/// the pod is still there. A plain exit (0..=128) is the command's own doing.
fn ended_abnormally(r: &Result<Outcome, ExecError>) -> bool {
    match r {
        Ok(Outcome::Success) => false,
        Ok(Outcome::Exit(code)) => *code > 128,
        Ok(Outcome::Failure { .. }) | Err(_) => true,
    }
}

fn how_it_ended(r: &Result<Outcome, ExecError>) -> String {
    match r {
        Ok(Outcome::Success) => "the shell exited".into(),
        Ok(Outcome::Exit(code)) if *code > 128 => {
            format!("the shell was killed, exit code {code}")
        }
        Ok(Outcome::Exit(code)) => format!("exit code {code}"),
        Ok(Outcome::Failure { message, .. }) => message.clone(),
        Err(e) => e.to_string(),
    }
}

/// Why the pod is no longer the one the session ran in, if it is not: deleted, being deleted,
/// or replaced. `None` when it is still there or the server cannot say (within two seconds).
async fn pod_gone(
    cluster: &Cluster,
    namespace: &str,
    pod: &str,
    uid: Option<&str>,
) -> Option<String> {
    let api: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(cluster.client.clone(), namespace);
    let looked = tokio::time::timeout(std::time::Duration::from_secs(2), api.get_opt(pod)).await;
    match looked {
        Ok(Ok(None)) => Some(format!("the pod {namespace}/{pod} was deleted")),
        Ok(Ok(Some(p))) => {
            if p.metadata.deletion_timestamp.is_some() {
                Some(format!("the pod {namespace}/{pod} is being deleted"))
            } else if uid.is_some() && p.metadata.uid.as_deref() != uid {
                Some(format!(
                    "the pod {namespace}/{pod} was deleted and a new pod of that name replaced it"
                ))
            } else {
                None
            }
        }
        Ok(Err(_)) | Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_the_app_s_json() {
        let json = serde_json::json!({
            "namespace": "demo", "pod": "shell", "container": "", "command": null,
            "cols": 120, "rows": 40,
        });
        let req: TerminalRequest = serde_json::from_value(json.clone()).expect("request");
        assert_eq!(
            req,
            TerminalRequest {
                namespace: "demo".into(),
                pod: "shell".into(),
                container: String::new(),
                command: None,
                cols: 120,
                rows: 40,
                debug: None,
                copy: None,
            }
        );
        assert_eq!(serde_json::to_value(&req).expect("json"), json);
        let mut with = json.clone();
        with["debug"] = serde_json::json!({ "image": "busybox:1.36", "name": "debugger-abcde" });
        let req: TerminalRequest = serde_json::from_value(with).expect("debug request");
        assert_eq!(
            req.debug,
            Some(DebugRequest {
                image: "busybox:1.36".into(),
                name: "debugger-abcde".into()
            })
        );
        let mut with = json.clone();
        with["copy"] = serde_json::json!({ "name": "shell-debug-b2c4d" });
        let req: TerminalRequest = serde_json::from_value(with).expect("copy request");
        assert_eq!(
            req.copy,
            Some(CopyRequest {
                name: "shell-debug-b2c4d".into(),
                image: None,
            })
        );
    }
}
