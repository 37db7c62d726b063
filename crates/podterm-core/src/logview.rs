//! A container's log for a UI (the app's Logs view): [`crate::logs::stream`] followed, its
//! output held in a bounded read-ahead and handed on through [`crate::flow::pump`] in batches
//! that the UI acknowledges, as a terminal's output is (docs/architecture.md, "The byte
//! path"). Never one message per line; a UI that stops acknowledging pauses the stream.

use crate::cluster::{ApiError, Cluster};
use crate::exec::Chunk;
use crate::favourites::{FavouriteError, Target};
use crate::flow::{self, Credit, FlowConfig, PumpEnd};
use crate::follow::{self, FollowError};
use crate::logs::{self, LogOptions, LogSource, LogsError, OnResume, Output, READ_CHUNK};
use crate::pods::{self, PodError};
use bytes::Bytes;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use std::sync::Arc;
use tokio::io::AsyncReadExt as _;
use tokio::sync::{mpsc, Mutex, Semaphore};

/// Log output held for a slow UI before the log's connection is paused (as a terminal's).
pub const UI_READ_AHEAD: usize = crate::terminal::UI_READ_AHEAD;

/// Which log to show. JSON (camelCase).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LogsRequest {
    /// Empty: the cluster's default namespace.
    pub namespace: String,
    pub pod: String,
    /// Empty: the default container (annotation, else the first).
    pub container: String,
    /// The run before the last restart (not followed: it has ended).
    pub previous: bool,
    /// The last this many lines to start with (the view's line limit); `None`: all.
    pub tail_lines: Option<u32>,
    /// The logs of the workload that runs the pod (its Deployment, StatefulSet …), every pod
    /// of it followed across rollouts, each line prefixed `[pod/NAME/CONTAINER] `. A pod that
    /// no workload owns: its own log.
    #[serde(default)]
    pub workload: bool,
}

/// Why a log view could not start or ended early.
#[derive(Debug, thiserror::Error)]
pub enum LogViewError {
    /// The pod or container is not there (kubectl's words).
    #[error(transparent)]
    Pod(#[from] PodError),
    /// The log could not be read (the API server's refusal, a follow that gave up).
    #[error(transparent)]
    Logs(#[from] LogsError),
    /// The pod's workload could not be found.
    #[error(transparent)]
    Workload(#[from] FavouriteError),
    /// The workload's pods could not be watched.
    #[error(transparent)]
    Follow(#[from] FollowError),
}

impl LogViewError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        match self {
            LogViewError::Pod(e) => e.credentials_refused(),
            LogViewError::Logs(LogsError::Api(e)) => e.credentials_refused(),
            LogViewError::Logs(_) => false,
            LogViewError::Workload(e) => e.credentials_refused(),
            LogViewError::Follow(FollowError::Pods(e)) => e.credentials_refused(),
        }
    }
}

impl From<ApiError> for LogViewError {
    fn from(e: ApiError) -> Self {
        LogViewError::Pod(PodError::Api(e))
    }
}

/// How a log view's stream ended.
#[derive(Debug)]
pub enum LogViewEnd {
    /// The log ended (the container stopped, or the previous run was read whole).
    Ended,
    /// It failed; what came before was delivered.
    Failed(LogViewError),
    /// The UI stopped taking output.
    UiGone,
}

/// Streams the log of `req` with timestamps (the UI shows or hides them) to `output` in
/// batches while `credit` allows; `started` is called with the container once the pod is
/// found, `on_resume` when a follow that broke cannot be resumed at once and when it is back.
/// Returns when the log ends, fails or nobody listens.
pub async fn run(
    cluster: &Cluster,
    req: &LogsRequest,
    credit: Credit,
    cfg: FlowConfig,
    output: impl FnMut(Bytes) -> bool + Send,
    started: impl FnOnce(&str),
    on_resume: OnResume,
) -> LogViewEnd {
    let namespace = if req.namespace.is_empty() {
        cluster.namespace.clone()
    } else {
        req.namespace.clone()
    };
    if req.workload {
        match workload_of(&cluster.client, &namespace, &req.pod).await {
            Ok(Some((what, selector))) => {
                started(&what);
                let w = follow::Workload {
                    namespace,
                    selector,
                    container: None,
                    all_containers: false,
                    opts: LogOptions {
                        follow: true,
                        timestamps: true,
                        tail_lines: req.tail_lines.map(i64::from),
                        on_resume,
                        ..LogOptions::default()
                    },
                    max_streams: follow::VIEW_MAX_STREAMS,
                };
                let client = cluster.client.clone();
                // A pod's log that fails is said in the output, where its lines would be.
                return pipe(credit, cfg, output, move |out| async move {
                    let errors = out.clone();
                    let on_error = move |s: &LogSource, e: LogsError| {
                        let line = format!(
                            "{}{}\n",
                            s.kubectl_prefix(),
                            crate::text::message(&format!("error: {e}"))
                        );
                        let errors = errors.clone();
                        tokio::spawn(async move {
                            use tokio::io::AsyncWriteExt as _;
                            let _ = errors.lock().await.write_all(line.as_bytes()).await;
                        });
                    };
                    follow::workload(&client, &w, &out, on_error)
                        .await
                        .map_err(LogViewError::from)
                })
                .await;
            }
            Ok(None) => {}
            Err(e) => return LogViewEnd::Failed(e),
        }
    }
    let container = match container_of(&cluster.client, &namespace, req).await {
        Ok(c) => c,
        Err(e) => return LogViewEnd::Failed(e.into()),
    };
    started(&container);
    let source = LogSource {
        namespace,
        pod: req.pod.clone(),
        container,
        prefix: None,
    };
    let opts = LogOptions {
        follow: !req.previous,
        previous: req.previous,
        timestamps: true,
        tail_lines: req.tail_lines.map(i64::from),
        on_resume,
        ..LogOptions::default()
    };
    let client = cluster.client.clone();
    pipe(credit, cfg, output, move |out| async move {
        logs::stream(&client, &source, &opts, &out)
            .await
            .map_err(LogViewError::from)
    })
    .await
}

/// Runs `produce` writing into a small pipe whose other end is cut into chunks that each hold
/// their bytes of the read-ahead until the pump has handed them on to `output`.
async fn pipe<F, Fut>(
    credit: Credit,
    cfg: FlowConfig,
    output: impl FnMut(Bytes) -> bool + Send,
    produce: F,
) -> LogViewEnd
where
    F: FnOnce(Output) -> Fut,
    Fut: std::future::Future<Output = Result<(), LogViewError>>,
{
    let (writer, mut reader) = tokio::io::duplex(READ_CHUNK);
    let out: Output = Arc::new(Mutex::new(Box::new(writer)));
    let (tx, rx) = mpsc::unbounded_channel::<Chunk>();
    let (_no_stderr, stderr) = mpsc::unbounded_channel::<Chunk>();
    drop(_no_stderr);
    let budget = Arc::new(Semaphore::new(UI_READ_AHEAD));
    let streaming = async move {
        let mine = out.clone();
        let r = produce(mine).await;
        // The pipe's writer goes with the last reference: the reader then sees its end.
        drop(out);
        r
    };
    let cutting = async move {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let Ok(permit) = budget.clone().acquire_many_owned(n as u32).await else {
                break;
            };
            if tx
                .send(Chunk::new(Bytes::copy_from_slice(&buf[..n]), permit))
                .is_err()
            {
                break;
            }
        }
    };
    let pump = flow::pump(rx, stderr, credit, cfg, output);
    let work = async move { tokio::join!(cutting, pump).1 };
    let mut streaming = std::pin::pin!(streaming);
    let mut work = std::pin::pin!(work);
    // A UI that leaves ends the view at once, even while the log is quiet.
    let (result, end) = tokio::select! {
        r = &mut streaming => (r, work.await),
        end = &mut work => match end {
            PumpEnd::UiGone => return LogViewEnd::UiGone,
            // Drained: the pipe ended, so the stream has returned.
            PumpEnd::Drained => (streaming.await, end),
        },
    };
    match (end, result) {
        (PumpEnd::UiGone, _) => LogViewEnd::UiGone,
        (PumpEnd::Drained, Ok(())) => LogViewEnd::Ended,
        (PumpEnd::Drained, Err(e)) => LogViewEnd::Failed(e),
    }
}

/// The selector of the workload that runs `pod` and its name (`deployment/web`); `None` for a
/// pod that no workload owns.
async fn workload_of(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
) -> Result<Option<(String, String)>, LogViewError> {
    let target = crate::cluster::within(Some(crate::exec::REQUEST_TIMEOUT), async {
        crate::favourites::favourite_for_pod(client, namespace, pod)
            .await
            .map_err(LogViewError::from)
    })
    .await?;
    match target {
        Target::Pod(_) => Ok(None),
        Target::Workload { kind, name } => {
            let selector = crate::cluster::within(
                Some(crate::exec::REQUEST_TIMEOUT),
                pods::workload_selector(client, namespace, kind, &name),
            )
            .await
            .map_err(FavouriteError::from)?;
            Ok(Some((format!("{}/{}", kind.as_str(), name), selector)))
        }
    }
}

/// The container the view reads: the one asked for, else the pod's default (kubectl's rule).
async fn container_of(
    client: &kube::Client,
    namespace: &str,
    req: &LogsRequest,
) -> Result<String, PodError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = crate::cluster::within(Some(crate::exec::REQUEST_TIMEOUT), async {
        api.get(&req.pod).await.map_err(ApiError::from)
    })
    .await?;
    let wanted = Some(req.container.as_str()).filter(|s| !s.is_empty());
    pods::choose_container(&pod, wanted).map(|(c, _)| c)
}
