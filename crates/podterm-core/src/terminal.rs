//! An interactive terminal as a UI runs it: find the pod and container the kubectl way, start a
//! TTY exec, hand its output to the UI through [`crate::flow`], and forward keystrokes and
//! resizes in the order they were sent. The UI shell only wires channels to it.

use crate::cluster::Cluster;
use crate::exec::{ExecError, ExecSpec, Session, Tuning};
use crate::flow::{self, Credit, FlowConfig};
use crate::pods::{self, PodTarget};
use crate::protocol::Outcome;
use bytes::Bytes;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Output held for a slow UI before the socket pauses: small, so a Ctrl-C does not wait behind
/// megabytes of a flood.
pub const UI_READ_AHEAD: usize = 1 << 20;

/// Which shell to open.
#[derive(Debug, Clone)]
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
    /// It could not start (no such pod, a completed pod, 403 ...), in words to show.
    NotStarted(String),
    /// The UI stopped taking output.
    UiGone,
}

/// Runs a terminal to its end. `connected` is called once the session is up; `output` gets the
/// coalesced output while `credit` allows and returns false once nobody listens.
pub async fn run(
    cluster: &Cluster,
    req: &TerminalRequest,
    mut control: mpsc::UnboundedReceiver<Control>,
    credit: Credit,
    cfg: FlowConfig,
    mut output: impl FnMut(Bytes) -> bool + Send,
    connected: impl FnOnce(),
) -> TerminalEnd {
    let namespace = if req.namespace.is_empty() {
        cluster.namespace.clone()
    } else {
        req.namespace.clone()
    };
    // kubectl's checks and words: no such pod, a completed pod, no such container.
    let container = async {
        let pod = pods::resolve(
            &cluster.client,
            &namespace,
            &PodTarget::Pod(req.pod.clone()),
        )
        .await?;
        pods::check_running(&pod)?;
        let wanted = Some(req.container.as_str()).filter(|s| !s.is_empty());
        pods::choose_container(&pod, wanted).map(|(c, _)| c)
    };
    let container = match container.await {
        Ok(name) => name,
        Err(e) => return TerminalEnd::NotStarted(e.to_string()),
    };
    let spec = ExecSpec {
        namespace,
        pod: req.pod.clone(),
        container,
        command: req.command.clone().unwrap_or_else(pods::shell_command),
        stdin: true,
        stdout: true,
        stderr: true,
        tty: true,
        size: Some((req.cols.max(1), req.rows.max(1))),
        attach: false,
    };
    let tuning = Tuning {
        read_ahead: UI_READ_AHEAD,
        ..Tuning::default()
    };
    let mut session = match Session::start(&cluster.client, &spec, tuning).await {
        Ok(s) => s,
        Err(e) => return TerminalEnd::NotStarted(e.to_string()),
    };
    connected();
    let stdout = std::mem::replace(&mut session.stdout, mpsc::unbounded_channel().1);
    let stderr = std::mem::replace(&mut session.stderr, mpsc::unbounded_channel().1);
    let input = session.input.clone();
    let ui_gone = Arc::new(AtomicBool::new(false));
    let gone = ui_gone.clone();
    let pump = flow::pump(stdout, stderr, credit, cfg, move |b| {
        let ok = output(b);
        if !ok {
            gone.store(true, Ordering::SeqCst);
        }
        ok
    });
    // Input in the order it was sent, for as long as the session takes it.
    let forward = async move {
        while let Some(c) = control.recv().await {
            let open = match c {
                Control::Input(b) => input.send(b).await,
                Control::Resize(cols, rows) => input.resize(cols, rows).await,
            };
            if !open {
                break;
            }
        }
        std::future::pending::<()>().await
    };
    let finish = session.finish();
    let mut pump = std::pin::pin!(pump);
    let mut finish = std::pin::pin!(finish);
    let work = async {
        tokio::select! {
            // Deliver what is left before saying how it ended.
            r = &mut finish => { (&mut pump).await; TerminalEnd::Ended(r) }
            () = &mut pump => {
                if ui_gone.load(Ordering::SeqCst) {
                    TerminalEnd::UiGone
                } else {
                    TerminalEnd::Ended(finish.await)
                }
            }
        }
    };
    let mut forward = std::pin::pin!(forward);
    tokio::select! {
        end = work => end,
        // `forward` never completes: it parks once the session stops taking input.
        () = &mut forward => TerminalEnd::UiGone,
    }
}
