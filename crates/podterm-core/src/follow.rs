//! A workload's logs followed across rollouts, as stern does: the pods of a label selector are
//! watched, and each container of each pod is followed ([`crate::logs::stream`]) from the
//! moment it has started, so the pods a rollout brings are picked up and the ones it removes
//! end. Every line is prefixed `[pod/NAME/CONTAINER] `. It runs until cancelled (or the pod
//! watch is refused), never ending by itself when the pods of the moment end.

use crate::browse::BrowseError;
use crate::logs::{self, LogOptions, LogSource, LogsError, Output};
use futures_util::StreamExt as _;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::api::Api;
use kube::runtime::watcher;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// How long the watch waits before it tries again after a break (once it has listed the pods).
const REWATCH: Duration = Duration::from_secs(1);

/// Why a workload could not be followed.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The pods could not be listed (the API server's words).
    #[error(transparent)]
    Pods(#[from] BrowseError),
}

/// Which pods and containers to follow.
#[derive(Debug, Clone)]
pub struct Workload {
    pub namespace: String,
    /// The pods' label selector (`app=web`; a workload's own selector).
    pub selector: String,
    /// `-c`: this container of every pod (a pod without it is skipped); `None`: each pod's
    /// default container (annotation, else the first).
    pub container: Option<String>,
    /// `--all-containers`: every container (init, main, ephemeral).
    pub all_containers: bool,
    /// For the pods there at the start (`--tail`, `--since` …). Pods that come later, and the
    /// later runs of a restarted container, are read from their beginning.
    pub opts: LogOptions,
    /// The most containers followed at once (`--max-log-requests`): a pod's container beyond it
    /// is not followed and `on_error` says so ([`LogsError::Capped`]), however many pods a
    /// rollout (or a server) brings. A deleted pod's make room; a container's next run is the
    /// same one.
    pub max_streams: usize,
}

/// The most containers a Logs view of a workload follows at once (a rollout of a large
/// Deployment, briefly twice its replicas, fits).
pub const VIEW_MAX_STREAMS: usize = 64;

/// The containers of `pod` to follow, as `-c`, `--all-containers` or the default choose them.
fn containers(w: &Workload, pod: &Pod) -> Vec<String> {
    if w.all_containers {
        return logs::all_containers(pod);
    }
    match &w.container {
        Some(c) => {
            let has = logs::all_containers(pod).iter().any(|n| n == c);
            if has {
                vec![c.clone()]
            } else {
                vec![]
            }
        }
        None => crate::pods::choose_container(pod, None)
            .map(|(c, _)| vec![c])
            .unwrap_or_default(),
    }
}

/// A container's status, whichever list it is in.
fn status<'a>(pod: &'a Pod, name: &str) -> Option<&'a ContainerStatus> {
    let s = pod.status.as_ref()?;
    [
        &s.init_container_statuses,
        &s.container_statuses,
        &s.ephemeral_container_statuses,
    ]
    .into_iter()
    .flatten()
    .flatten()
    .find(|c| c.name == name)
}

/// The run of a container that has a log now (it runs, or ran and ended): its restart count.
/// `None` while it waits to start.
pub fn started_run(pod: &Pod, container: &str) -> Option<i32> {
    let c = status(pod, container)?;
    let state = c.state.as_ref()?;
    (state.running.is_some() || state.terminated.is_some()).then_some(c.restart_count)
}

/// Follows every pod of `w.selector` as it comes, writing to `out`; `on_error` gets each
/// container's log that failed (the others go on). Returns only when the first listing of the
/// pods fails (403, no such namespace); later breaks of the watch are resumed.
pub async fn workload(
    client: &kube::Client,
    w: &Workload,
    out: &Output,
    on_error: impl Fn(&LogSource, LogsError) + Send + Sync + Clone + 'static,
) -> Result<(), FollowError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), &w.namespace);
    let config = watcher::Config::default().labels(&w.selector);
    // (pod uid, container) followed, and the latest run followed.
    let mut followed: HashMap<(String, String), i32> = HashMap::new();
    // Those not followed for `max_streams`, said once.
    let mut capped: HashSet<(String, String)> = HashSet::new();
    let mut listed = false;
    let mut streams = tokio::task::JoinSet::new();
    let mut events = watcher(api, config).boxed();
    loop {
        let event = tokio::select! {
            e = events.next() => e,
            // Reap finished streams as they end, so the set holds only live ones.
            Some(_) = streams.join_next(), if !streams.is_empty() => continue,
        };
        let Some(event) = event else {
            return Ok(());
        };
        let pod = match event {
            Ok(watcher::Event::InitApply(p)) => (p, false),
            Ok(watcher::Event::Apply(p)) => (p, true),
            Ok(watcher::Event::InitDone) => {
                listed = true;
                continue;
            }
            Ok(watcher::Event::Init) => continue,
            Ok(watcher::Event::Delete(p)) => {
                let uid = p.metadata.uid.clone().unwrap_or_default();
                followed.retain(|(u, _), _| *u != uid);
                capped.retain(|(u, _)| *u != uid);
                continue;
            }
            Err(e) => {
                if !listed {
                    return Err(FollowError::Pods(e.into()));
                }
                // In Podterm's words: kube's may hold a credential plugin's secrets.
                tracing::debug!(
                    "the pod watch of {} broke ({}); resuming",
                    w.selector,
                    crate::cluster::describe(&e)
                );
                tokio::time::sleep(REWATCH).await;
                continue;
            }
        };
        let (pod, later) = pod;
        let (Some(uid), Some(name)) = (pod.metadata.uid.clone(), pod.metadata.name.clone()) else {
            continue;
        };
        for container in containers(w, &pod) {
            let Some(run) = started_run(&pod, &container) else {
                continue;
            };
            let key = (uid.clone(), container.clone());
            let first_run = match followed.get(&key) {
                None => true,
                // A run followed already (or an older one, in an event that came late).
                Some(r) if *r >= run => continue,
                Some(_) => false,
            };
            if first_run && followed.len() >= w.max_streams {
                // Said once; followed at a later event of it when another pod made room.
                if !capped.insert(key) {
                    continue;
                }
                let source = LogSource {
                    namespace: w.namespace.clone(),
                    pod: name.clone(),
                    container,
                    prefix: None,
                };
                on_error(&source, LogsError::Capped { max: w.max_streams });
                continue;
            }
            capped.remove(&key);
            followed.insert(key, run);
            // Pods there at the start take the options; a new pod or a new run starts at
            // its beginning.
            let opts = if later || !first_run {
                LogOptions {
                    follow: true,
                    timestamps: w.opts.timestamps,
                    on_resume: w.opts.on_resume.clone(),
                    ..LogOptions::default()
                }
            } else {
                LogOptions {
                    follow: true,
                    ..w.opts.clone()
                }
            };
            let mut source = LogSource {
                namespace: w.namespace.clone(),
                pod: name.clone(),
                container,
                prefix: None,
            };
            source.prefix = Some(source.kubectl_prefix());
            let (client, out, on_error) = (client.clone(), out.clone(), on_error.clone());
            streams.spawn(async move {
                if let Err(e) = logs::stream(&client, &source, &opts, &out).await {
                    on_error(&source, e);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ContainerState, ContainerStateRunning, PodStatus};

    fn pod(state: Option<ContainerState>, restarts: i32) -> Pod {
        Pod {
            status: Some(PodStatus {
                container_statuses: Some(vec![ContainerStatus {
                    name: "main".into(),
                    state,
                    restart_count: restarts,
                    ..ContainerStatus::default()
                }]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn a_container_is_followed_once_it_has_started() {
        assert_eq!(started_run(&pod(None, 0), "main"), None);
        let waiting = ContainerState::default();
        assert_eq!(started_run(&pod(Some(waiting), 0), "main"), None);
        let running = ContainerState {
            running: Some(ContainerStateRunning::default()),
            ..ContainerState::default()
        };
        assert_eq!(started_run(&pod(Some(running), 2), "main"), Some(2));
        assert_eq!(started_run(&pod(None, 0), "other"), None);
    }
}
