//! The node side: containers' environments, their main processes (what `attach` joins, started
//! with the pod and restarted when they exit), and pod deletion ending everything a pod runs.

use crate::ephemeral::Toolset;
use crate::events::Involved;
use crate::exec::ExecParams;
use crate::process::{self, Input, ProcSpec, Resizer, SpawnError};
use crate::store::{EphemeralState, Pod};
use crate::Shared;
use bytes::Bytes;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc};

static SESSIONS: AtomicU64 = AtomicU64::new(0);

/// Why a container process could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    #[error("{0}")]
    Workdir(std::io::Error),
}

/// Binaries a shell-less ("distroless") image offers: no shell among them.
const NO_SHELL_TOOLS: &[&str] = &[
    "cat",
    "echo",
    "env",
    "false",
    "head",
    "ls",
    "printf",
    "sha256sum",
    "sleep",
    "true",
    "wc",
    "yes",
];

/// Builds the directory of tools for shell-less images and returns its path.
pub fn make_noshell_bin(root: &std::path::Path) -> std::io::Result<PathBuf> {
    let dir = root.join("noshell-bin");
    std::fs::create_dir_all(&dir)?;
    for tool in NO_SHELL_TOOLS {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(tool))
            .find(|p| p.exists());
        if let Some(src) = found {
            let dst = dir.join(tool);
            if !dst.exists() {
                std::os::unix::fs::symlink(src, dst)?;
            }
        }
    }
    Ok(dir)
}

/// Builds the directory put first on a shell container's PATH: `hostname`, answering the pod's
/// name as it does in a real pod (its own UTS namespace) rather than this computer's. Returns the
/// directory's path.
pub fn make_pod_bin(root: &std::path::Path) -> std::io::Result<PathBuf> {
    let dir = root.join("pod-bin");
    std::fs::create_dir_all(&dir)?;
    let tool = dir.join("hostname");
    crate::process::write_executable(&tool, "#!/bin/sh\nprintf '%s\\n' \"$HOSTNAME\"\n")?;
    Ok(dir)
}

/// A container's working directory: its own `workingDir`, or a directory per container.
fn container_dir(shared: &Shared, pod: &Pod, name: &str) -> PathBuf {
    let own = pod
        .spec
        .containers
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.workdir.clone());
    own.unwrap_or_else(|| {
        shared
            .root
            .join(&pod.spec.namespace)
            .join(&pod.spec.name)
            .join(name)
    })
}

/// How a process in `container` of `pod` starts: env, PATH, working directory. An ephemeral
/// container with a target starts in the target's working directory and so sees its files.
pub fn proc_spec(
    shared: &Shared,
    pod: &Pod,
    container: &str,
    p: &ExecParams,
) -> Result<ProcSpec, StartError> {
    let mut own_path = None;
    let (cwd, extra_env, shell) = match pod.spec.containers.iter().find(|c| c.name == container) {
        Some(c) => {
            own_path = c.path.clone();
            (
                container_dir(shared, pod, &c.name),
                c.env
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>(),
                c.shell,
            )
        }
        None => {
            let e = pod
                .ephemeral
                .iter()
                .find(|e| e.name == container)
                .ok_or_else(|| StartError::Spawn(SpawnError::NotFound(container.to_string())))?;
            let cwd = match e.spec["targetContainerName"].as_str() {
                Some(t) if !t.is_empty() => container_dir(shared, pod, t),
                _ => container_dir(shared, pod, &e.name),
            };
            let env = e.spec["env"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| {
                            Some((
                                v["name"].as_str()?.to_string(),
                                v["value"].as_str().unwrap_or("").to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let image = e.spec["image"].as_str().unwrap_or("");
            let shell = crate::ephemeral::toolset(image) == Toolset::Shell;
            (cwd, env, shell)
        }
    };
    std::fs::create_dir_all(&cwd).map_err(StartError::Workdir)?;
    // A pod in the node's network namespace has the node's host name, as on a real node.
    let host_network = pod
        .posted
        .as_ref()
        .is_some_and(|s| s["hostNetwork"].as_bool() == Some(true));
    let hostname = if host_network {
        crate::nodes::NODE.to_string()
    } else {
        pod.spec.name.clone()
    };
    let mut env = vec![
        ("HOSTNAME".to_string(), hostname),
        ("HOME".to_string(), cwd.display().to_string()),
        (
            "KUBERNETES_SERVICE_HOST".to_string(),
            "127.0.0.1".to_string(),
        ),
        (
            "KUBERNETES_SERVICE_PORT".to_string(),
            shared.port().to_string(),
        ),
        (process::CLUSTER_ENV.to_string(), shared.id.clone()),
    ];
    env.extend(extra_env);
    let path = match own_path {
        Some(p) => p,
        None if shell => shared.host_path.clone(),
        None => shared.noshell_path.clone(),
    };
    let n = SESSIONS.fetch_add(1, Ordering::Relaxed);
    Ok(ProcSpec {
        argv: p.command.clone(),
        env,
        cwd,
        path,
        shell,
        tty: p.tty,
        stdin: p.stdin,
        stdout: p.stdout,
        stderr: p.stderr || p.tty,
        size: (80, 24),
        marker: format!("{}/{}", shared.id, n),
    })
}

/// A container's main process: its output fans out to attached clients; input and resizes go
/// to the current incarnation.
pub struct MainProc {
    pub command: Vec<String>,
    pub output: broadcast::Sender<Bytes>,
    pub exits: broadcast::Sender<i32>,
    input: Mutex<Option<mpsc::Sender<Input>>>,
    resizer: Mutex<Option<Resizer>>,
    /// Cancelled when the kubelet kills the container (an ephemeral container of a pod that
    /// has finished): its process is killed.
    stop: crate::store::tokio_util_lite::CancelToken,
}

impl MainProc {
    fn new(command: Vec<String>) -> Self {
        let (output, _) = broadcast::channel(256);
        let (exits, _) = broadcast::channel(4);
        MainProc {
            command,
            output,
            exits,
            input: Mutex::new(None),
            resizer: Mutex::new(None),
            stop: crate::store::tokio_util_lite::CancelToken::new(),
        }
    }

    pub fn input(&self) -> Option<mpsc::Sender<Input>> {
        self.input.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        if let Some(r) = self
            .resizer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            r.resize(cols, rows);
        }
    }
}

/// Main processes by (pod uid, container).
#[derive(Default)]
pub struct Mains(Mutex<HashMap<(String, String), Arc<MainProc>>>);

impl Mains {
    pub fn get(&self, pod: &Pod, container: &str) -> Option<Arc<MainProc>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(pod.uid.clone(), container.to_string()))
            .cloned()
    }

    fn insert(&self, pod: &Pod, container: &str, m: Arc<MainProc>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((pod.uid.clone(), container.to_string()), m);
    }

    fn remove_pod(&self, uid: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(u, _), _| u != uid);
    }
}

/// What a pod's events are about: the pod, or one of its containers.
fn involved(pod: &Pod, container: Option<&str>) -> Involved {
    Involved {
        namespace: pod.spec.namespace.clone(),
        name: pod.spec.name.clone(),
        uid: pod.uid.clone(),
        field_path: container.map(|c| format!("spec.containers{{{c}}}")),
    }
}

/// The kubelet's events for a container that starts: its image, created, started.
fn container_started(shared: &Shared, pod: &Pod, container: &str) {
    let Some(c) = pod.spec.containers.iter().find(|c| c.name == container) else {
        return;
    };
    // A created pod's container is running from now (started, or back from a back-off: a
    // MODIFIED event).
    let changes = shared
        .store
        .pod(&pod.spec.namespace, &pod.spec.name)
        .is_some_and(|p| {
            p.uid == pod.uid
                && p.posted.is_some()
                && (!p.started.iter().any(|s| s == container)
                    || p.backoff.iter().any(|s| s == container))
        });
    if changes {
        shared
            .store
            .update_pod(&pod.spec.namespace, &pod.spec.name, |p| {
                if p.uid == pod.uid {
                    if !p.started.iter().any(|s| s == container) {
                        p.started.push(container.to_string());
                    }
                    p.backoff.retain(|s| s != container);
                }
            });
    }
    let about = involved(pod, Some(container));
    let ev = &shared.events;
    ev.normal(
        "kubelet",
        about.clone(),
        "Pulled",
        &format!("Container image {:?} already present on machine", c.image),
    );
    ev.normal(
        "kubelet",
        about.clone(),
        "Created",
        &format!("Created container: {container}"),
    );
    ev.normal(
        "kubelet",
        about,
        "Started",
        &format!("Started container {container}"),
    );
}

/// Starts a pod's main processes (for running pods with a main command).
pub fn start_pod(shared: &Arc<Shared>, pod: &Pod) {
    // A created pod waiting on an image that cannot be pulled is Pending; its other containers
    // start, as a kubelet starts them.
    let pulling = pod.posted.is_some() && !pod.unpullable.is_empty();
    if pod.spec.phase != crate::config::Phase::Running && !pulling {
        return;
    }
    for (i, c) in pod.spec.containers.iter().enumerate() {
        if pod.unpullable.contains(&c.name) {
            continue;
        }
        if c.command.is_empty() {
            // No main process to run: the container is up at once, with an empty log.
            container_started(shared, pod, &c.name);
            continue;
        }
        let main = Arc::new(MainProc::new(c.command.clone()));
        shared.mains.insert(pod, &c.name, main.clone());
        let params = ExecParams {
            namespace: pod.spec.namespace.clone(),
            pod: pod.spec.name.clone(),
            container: Some(c.name.clone()),
            command: c.command.clone(),
            stdin: true,
            stdout: true,
            stderr: true,
            tty: c.tty,
            attach: true,
        };
        let shared2 = shared.clone();
        let pod = pod.clone();
        let name = c.name.clone();
        // Not registered with the connection tasks: dropping connections must not kill pods.
        tokio::spawn(async move {
            run_main(shared2, pod, name, i, params, main).await;
        });
    }
}

async fn run_main(
    shared: Arc<Shared>,
    pod: Pod,
    container: String,
    index: usize,
    params: ExecParams,
    main: Arc<MainProc>,
) {
    let log = shared.logs.container(&pod.uid, &container);
    let mut first = true;
    loop {
        if pod.life.is_cancelled() {
            break;
        }
        if !first {
            log.restart();
        }
        first = false;
        let started = || container_started(&shared, &pod, &container);
        // Why it could not start, when it could not (the runtime's StartError).
        let mut why = None;
        let code = match run_once(
            &shared,
            &pod,
            &container,
            &params,
            &main,
            Some(&log),
            started,
        )
        .await
        {
            Ok(code) => code,
            // A created pod's container whose command is not in its image: the runtime's
            // StartError (exit code 128), then back-off and another try, as a kubelet does.
            Err(e) if pod.posted.is_some() => {
                tracing::debug!("{}/{}: cannot start: {e}", pod.spec.name, container);
                why = Some(format!("failed to create containerd task: failed to create shim task: OCI runtime create failed: {e}"));
                128
            }
            Err(e) => {
                tracing::warn!(
                    "{}/{}: main process cannot start: {e}",
                    pod.spec.name,
                    container
                );
                break;
            }
        };
        log.end();
        // A created pod's restartPolicy: Never, or OnFailure after a 0, ends the container for
        // good; once every container has ended, the pod is Succeeded or Failed. Said before
        // the exit is announced: an attach that subscribes after the announcement finds it.
        let policy = pod
            .posted
            .as_ref()
            .and_then(|s| s["restartPolicy"].as_str().map(str::to_owned));
        let for_good = !pod.life.is_cancelled()
            && matches!(
                (policy.as_deref(), code),
                (Some("Never"), _) | (Some("OnFailure"), 0)
            );
        if for_good {
            let mut ephemeral = Vec::new();
            shared
                .store
                .update_pod(&pod.spec.namespace, &pod.spec.name, |p| {
                    if p.uid != pod.uid {
                        return;
                    }
                    p.done.insert(container.clone(), (code, why.clone()));
                    let names: Vec<&String> = p.spec.containers.iter().map(|c| &c.name).collect();
                    if names.iter().all(|n| p.done.contains_key(*n)) {
                        let ok = p.done.values().all(|(c, _)| *c == 0);
                        p.spec.phase = if ok {
                            crate::config::Phase::Succeeded
                        } else {
                            crate::config::Phase::Failed
                        };
                        p.spec.ready = false;
                        ephemeral = p.ephemeral.iter().map(|e| e.name.clone()).collect();
                    }
                });
            // A finished pod runs nothing more: the kubelet kills its ephemeral containers.
            for name in ephemeral {
                if let Some(m) = shared.mains.get(&pod, &name) {
                    m.stop.cancel();
                }
            }
        }
        let _ = main.exits.send(code);
        if pod.life.is_cancelled() || for_good {
            break;
        }
        shared.events.warning(
            "kubelet",
            involved(&pod, Some(&container)),
            "BackOff",
            &format!(
                "Back-off restarting failed container {container} in pod {}_{}({})",
                pod.spec.name, pod.spec.namespace, pod.uid
            ),
        );
        shared
            .store
            .update_pod(&pod.spec.namespace, &pod.spec.name, |p| {
                // The same pod still (not one made again under its name).
                if p.uid != pod.uid {
                    return;
                }
                if let Some(r) = p.restarts.get_mut(index) {
                    *r += 1;
                }
                // A created pod's container waits out the back-off (CrashLoopBackOff), its
                // last exit kept, as the kubelet reports it.
                if p.posted.is_some() {
                    p.last_exit.insert(container.clone(), (code, why));
                    if !p.backoff.contains(&container) {
                        p.backoff.push(container.clone());
                    }
                }
            });
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            _ = pod.life.cancelled() => break,
        }
    }
    *main.input.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Runs one incarnation of a container's main process, its output fanned out to attached
/// clients (and kept in `log`, the container's log, when it has one), until it exits or the
/// pod goes. Returns its exit code.
async fn run_once(
    shared: &Shared,
    pod: &Pod,
    container: &str,
    params: &ExecParams,
    main: &MainProc,
    log: Option<&crate::logs::ContainerLog>,
    on_start: impl FnOnce(),
) -> Result<i32, StartError> {
    let spec = proc_spec(shared, pod, container, params)?;
    let mut proc = process::spawn(&spec)?;
    *main.input.lock().unwrap_or_else(|p| p.into_inner()) = proc.stdin.take();
    *main.resizer.lock().unwrap_or_else(|p| p.into_inner()) = proc.resizer.clone();
    on_start();
    let mut code = None;
    let mut killed = false;
    loop {
        tokio::select! {
            chunk = proc.output.recv() => match chunk {
                Some((_, data)) => {
                    if let Some(log) = log {
                        log.append(data.clone());
                    }
                    let _ = main.output.send(data);
                }
                None => break,
            },
            c = &mut proc.exit, if code.is_none() => {
                code = Some(c.unwrap_or(1));
                proc.killer.kill();
            }
            // Killed once: the output then closes.
            _ = pod.life.cancelled(), if !killed => {
                killed = true;
                proc.killer.kill();
            }
            _ = main.stop.cancelled(), if !killed => {
                killed = true;
                proc.killer.kill();
            }
        }
    }
    Ok(match code {
        Some(c) => c,
        None => (&mut proc.exit).await.unwrap_or(1),
    })
}

/// Starts an ephemeral container that was just added, as the kubelet does: only in a running
/// pod; an image that cannot be pulled stays waiting (`ErrImagePull`, then
/// `ImagePullBackOff`); otherwise Running until its process exits (Terminated, never
/// restarted). Its process is what `attach` joins.
pub fn start_ephemeral(shared: &Arc<Shared>, pod: &Pod, name: &str) {
    if pod.spec.phase != crate::config::Phase::Running || pod.deleting.is_some() {
        return;
    }
    let Some(e) = pod.ephemeral.iter().find(|e| e.name == name).cloned() else {
        return;
    };
    let image = e.spec["image"].as_str().unwrap_or_default().to_string();
    let (ns, pod_name) = (pod.spec.namespace.clone(), pod.spec.name.clone());
    let set = {
        let shared = shared.clone();
        let (ns, pod_name, name) = (ns.clone(), pod_name.clone(), name.to_string());
        move |state: EphemeralState| {
            shared.store.update_pod(&ns, &pod_name, |p| {
                if let Some(e) = p.ephemeral.iter_mut().find(|e| e.name == name) {
                    e.state = state;
                }
            })
        }
    };
    let toolset = crate::ephemeral::toolset(&image);
    if toolset == Toolset::Unpullable {
        let life = pod.life.clone();
        tokio::spawn(async move {
            set(EphemeralState::Waiting {
                reason: "ErrImagePull".into(),
                message: Some(crate::ephemeral::pull_error(&image)),
            });
            // The kubelet's first back-off.
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = life.cancelled() => return,
            }
            set(EphemeralState::Waiting {
                reason: "ImagePullBackOff".into(),
                message: Some(format!("Back-off pulling image {image:?}")),
            });
        });
        return;
    }
    let strings = crate::create::strings;
    let mut command = strings(&e.spec["command"]);
    if command.is_empty() {
        // The image's entrypoint (a shell, as busybox's), given `args` when they are set.
        command = vec!["sh".into()];
    }
    command.extend(strings(&e.spec["args"]));
    let tty = e.spec["tty"].as_bool().unwrap_or(false);
    let main = Arc::new(MainProc::new(command.clone()));
    shared.mains.insert(pod, name, main.clone());
    // The pod finished since it was looked at (its ephemeral containers were killed then, not
    // yet this one): killed at once, as a kubelet would not start it.
    let finished = shared
        .store
        .pod(&pod.spec.namespace, &pod.spec.name)
        .is_some_and(|p| {
            p.uid == pod.uid
                && matches!(
                    p.spec.phase,
                    crate::config::Phase::Succeeded | crate::config::Phase::Failed
                )
        });
    if finished {
        main.stop.cancel();
    }
    let params = ExecParams {
        namespace: ns,
        pod: pod_name,
        container: Some(name.to_string()),
        command,
        stdin: true,
        stdout: true,
        stderr: true,
        tty,
        attach: true,
    };
    let shared2 = shared.clone();
    let pod = pod.clone();
    let name = name.to_string();
    let report_running = shared
        .ephemeral_running_reported
        .load(std::sync::atomic::Ordering::SeqCst);
    tokio::spawn(async move {
        let started = jiff::Timestamp::now();
        // Its output is its log, as any container's (`kubectl debug` falls back to it when the
        // container ended before the attach).
        let log = shared2.logs.container(&pod.uid, &name);
        // Running once the process takes input, so an attach that follows the status reaches it.
        let outcome = run_once(&shared2, &pod, &name, &params, &main, Some(&log), || {
            if report_running {
                set(EphemeralState::Running { started });
            }
        })
        .await;
        log.end();
        let finished = jiff::Timestamp::now();
        let state = match &outcome {
            Ok(code) => EphemeralState::Terminated {
                code: *code,
                reason: if *code == 0 { "Completed" } else { "Error" }.into(),
                message: None,
                started,
                finished,
            },
            Err(e) => EphemeralState::Terminated {
                code: 128,
                reason: "StartError".into(),
                message: Some(format!(
                    "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: {e}: unknown"
                )),
                started,
                finished,
            },
        };
        *main.input.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if !pod.life.is_cancelled() {
            set(state);
        }
        let _ = main.exits.send(*outcome.as_ref().unwrap_or(&128));
    });
}

/// Adds (or replaces) a pod and starts its main processes.
pub fn apply_pod(shared: &Arc<Shared>, spec: crate::config::PodSpec) -> Pod {
    let (pod, replaced) = shared.store.add_pod(spec);
    if let Some(old) = replaced {
        pod_gone(shared, &old);
    }
    scheduled(shared, &pod);
    pod
}

/// A new pod is on the node: the scheduler says so and its main processes start.
pub fn scheduled(shared: &Arc<Shared>, pod: &Pod) {
    shared.events.normal(
        "default-scheduler",
        involved(pod, None),
        "Scheduled",
        &format!(
            "Successfully assigned {}/{} to testnode",
            pod.spec.namespace, pod.spec.name
        ),
    );
    start_pod(shared, pod);
}

/// Deletes a pod: sessions and processes end (they see the pod's life cancelled), then it goes.
pub fn delete_pod(shared: &Shared, ns: &str, name: &str) -> Option<Pod> {
    let pod = shared.store.remove_pod(ns, name)?;
    pod_gone(shared, &pod);
    Some(pod)
}

/// A pod was deleted or replaced: the kubelet stops its containers; their logs go.
fn pod_gone(shared: &Shared, pod: &Pod) {
    if pod.spec.phase == crate::config::Phase::Running {
        for c in &pod.spec.containers {
            shared.events.normal(
                "kubelet",
                involved(pod, Some(&c.name)),
                "Killing",
                &format!("Stopping container {}", c.name),
            );
        }
    }
    shared.mains.remove_pod(&pod.uid);
    shared.logs.remove_pod(&pod.uid);
}
