//! `podterm port-forward`, as `kubectl port-forward`: the same target forms, port specs,
//! `--address`, lines on stdout (`Forwarding from 127.0.0.1:8080 -> 80`, `Handling connection
//! for 8080`), and Ctrl-C ends it with 0. Past kubectl:
//!
//! - a connection the pod refuses (nothing listens on that port yet) is said on stderr and the
//!   forward goes on: kubectl ends the whole forward on the first one;
//! - a workload's forward (`deploy/NAME`, `sts/NAME` …) follows its pods: once its pod is gone
//!   (deleted, being deleted, replaced, not running: looked at when a connection fails), the
//!   next connection goes to the newest Ready pod of the workload then, said on stderr. A pod
//!   named by name ends the forward when it goes, as kubectl does (`lost connection to pod`).

use crate::conn::{connect, Conn};
use crate::exec::{check_wait, find_pod_to_run, pod_running_timeout};
use crate::failure::Failure;
use clap::Args;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use podterm_core::cluster::ApiError;
use podterm_core::exec::Tuning;
use podterm_core::pods::{PodTarget, WorkloadKind};
use podterm_core::portforward::{self, ForwardError, PortSpec};
use podterm_core::text;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

#[derive(Args)]
pub struct PortForwardArgs {
    /// Addresses to listen on (comma-separated): `localhost` (127.0.0.1 and ::1), or IP
    /// addresses; all of them must open but localhost's.
    #[arg(long, value_delimiter = ',', default_value = "localhost")]
    pub address: Vec<String>,
    /// How long to wait for a workload to have a Ready pod when it has none (a Go duration:
    /// 30s, 2m); default: no wait.
    #[arg(long, value_name = "DURATION", value_parser = pod_running_timeout)]
    pub pod_running_timeout: Option<std::time::Duration>,
    /// POD, pod/POD, deploy/NAME, sts/NAME, ds/NAME, rs/NAME or svc/NAME.
    pub target: String,
    /// `[LOCAL:]REMOTE`, one or more: `8080:80`, `:80` (any free local port), `5432` (the same
    /// port), `8080:http` (a port a container names).
    #[arg(value_name = "PORT")]
    pub ports: Vec<String>,
}

/// The pod connections go to now, and the remote port of each spec in it.
struct Current {
    pod: String,
    uid: String,
    remotes: Vec<u16>,
}

/// What the forward's tasks tell the main loop.
enum Event {
    /// The named pod went: the forward ends (kubectl's exit).
    Lost(String),
}

fn upgrade_failure(e: ForwardError) -> Failure {
    match e {
        // kubectl: `error upgrading connection: <the server's words>`.
        ForwardError::Api(ApiError::Refused { message, .. }) => {
            Failure::new(format!("error upgrading connection: {message}"))
        }
        ForwardError::Api(e) => e.into(),
        other => Failure::new(other.to_string()),
    }
}

pub async fn port_forward(a: PortForwardArgs, conn: &Conn) -> Result<i32, Failure> {
    check_wait(a.pod_running_timeout)?;
    if a.ports.is_empty() {
        // kubectl's words, then (past kubectl) the ports the pod declares, when it can be
        // found at once.
        let mut words = "TYPE/NAME and list of ports are required for port-forward\nSee 'podterm port-forward -h' for help and examples".to_string();
        if let Some(hint) = declared_hint(&a.target, conn).await {
            words.push('\n');
            words.push_str(&hint);
        }
        return Err(Failure::new(words));
    }
    let specs = a
        .ports
        .iter()
        .map(|p| PortSpec::parse(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(e.to_string()))?;
    let addresses = portforward::addresses(&a.address).map_err(|e| Failure::new(e.to_string()))?;
    let target = PodTarget::parse(&a.target)?;
    let cluster = connect(conn).await?;
    let limit = conn.request_timeout();
    // A workload with no Ready pod: one that runs, as kubectl takes it (a readiness probe that
    // fails is often what one forwards a port to find out about), with a note; any Running pod,
    // whatever its containers do (a sidecar's port may be the one asked for).
    let pod = find_pod_to_run(
        &cluster,
        &target,
        podterm_core::pods::Runs::Pod,
        a.pod_running_timeout,
        limit,
        false,
        &conn.again(),
    )
    .await?;
    // A Service's ports are its own: each becomes the pod's port it targets, as kubectl
    // translates them (again for each pod the forward moves to: a named target may differ).
    let (specs, service) = match &target {
        PodTarget::Workload {
            kind: WorkloadKind::Service,
            name,
        } => {
            let svc = podterm_core::cluster::within(
                limit,
                portforward::service(&cluster.client, &cluster.namespace, name),
            )
            .await
            .map_err(|e| match e {
                ForwardError::Api(e) => Failure::from(e),
                other => Failure::new(other.to_string()),
            })?;
            let translated = portforward::service_specs(&svc, &pod, &specs)
                .map_err(|e| Failure::new(e.to_string()))?;
            (translated, Some((svc, specs)))
        }
        _ => (specs, None),
    };
    let name = pod.metadata.name.clone().unwrap_or_default();
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let tuning = crate::session::tuning_from_env(cluster.liveness);
    let tuning = Tuning {
        request_timeout: limit,
        ..tuning
    };
    // Before it listens, as kubectl (which upgrades first): a forward RBAC refuses fails here,
    // not at the first connection.
    let remotes = portforward::check(&cluster.client, &cluster.namespace, &pod, &specs, tuning)
        .await
        .map_err(upgrade_failure)?;
    let current = Arc::new(Mutex::new(Current {
        pod: name.clone(),
        uid: uid.clone(),
        remotes,
    }));
    let mut listening = Vec::new();
    let mut failed = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let remote = current
            .lock()
            .map(|c| c.remotes.get(i).copied().unwrap_or(0))
            .unwrap_or(0);
        match portforward::listen(&addresses, spec.local_for(remote)).await {
            Ok(ls) => {
                for l in ls {
                    if let Ok(addr) = l.local_addr() {
                        say(format_args!("Forwarding from {addr} -> {remote}"));
                    }
                    listening.push((i, l));
                }
            }
            Err(e) => {
                let local = spec.local_for(remote);
                warn(format_args!("Unable to listen on port {local}: {e}"));
                failed.push(format!("{local}:{remote}"));
            }
        }
    }
    if listening.is_empty() {
        return Err(Failure::new(format!(
            "unable to listen on any of the requested ports: {}",
            failed.join(", ")
        )));
    }
    let (tx, mut events) = mpsc::channel::<Event>(4);
    let shared = Arc::new(Forward {
        client: cluster.client.clone(),
        namespace: cluster.namespace.clone(),
        target,
        specs,
        service,
        current,
        tuning,
        limit,
        unready_ok: !podterm_core::pods::is_ready(&pod),
    });
    for (i, l) in listening {
        tokio::spawn(accept(shared.clone(), i, l));
    }
    if matches!(shared.target, PodTarget::Pod(_)) {
        let client = cluster.client.clone();
        let namespace = cluster.namespace.clone();
        tokio::spawn(async move {
            let why = portforward::until_gone(&client, &namespace, &name, &uid).await;
            let _ = tx.send(Event::Lost(why)).await;
        });
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(0),
        e = events.recv() => match e {
            Some(Event::Lost(why)) => Err(Failure::new(format!("lost connection to pod: {why}"))),
            None => Ok(0),
        },
    }
}

/// How long the ports a pod declares are looked for when none were given: a hint, not worth
/// a wait.
const HINT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The ports `target`'s pod declares, as a line to add to the "ports are required" error:
/// `pod/web-1 declares 80 (http, container nginx); for example (any free local port): podterm
/// port-forward -n demo pod/web-1 :http`. `None` when the pod cannot be found within
/// [`HINT_WAIT`].
async fn declared_hint(target: &str, conn: &Conn) -> Option<String> {
    let parsed = PodTarget::parse(target).ok()?;
    if let PodTarget::Workload {
        kind: WorkloadKind::Service,
        name,
    } = &parsed
    {
        return service_hint(target, name, conn).await;
    }
    let found = async {
        let cluster = connect(conn).await.ok()?;
        let pod = podterm_core::cluster::within(
            Some(HINT_WAIT),
            podterm_core::pods::resolve(&cluster.client, &cluster.namespace, &parsed),
        )
        .await
        .ok()?;
        Some((pod, cluster.namespace))
    };
    let (pod, namespace) = tokio::time::timeout(HINT_WAIT, found).await.ok()??;
    let ports = podterm_core::browse::PodSummary::from_pod(&pod).ports;
    let shown = text::shown(target);
    let command = format!(
        "podterm port-forward -n {} {shown}",
        text::shown(&namespace)
    );
    let Some(first) = ports.first() else {
        return Some(format!(
            "{shown}'s containers declare no ports: name the one its server listens on, as in {command} 8080:80"
        ));
    };
    let list: Vec<String> = ports
        .iter()
        .map(|p| match &p.name {
            Some(name) => format!("{} ({name}, container {})", p.port, p.container),
            None => format!("{} (container {})", p.port, p.container),
        })
        .collect();
    let example = first.name.clone().unwrap_or_else(|| first.port.to_string());
    Some(format!(
        "{shown} declares {}; for example (any free local port): {command} :{example}",
        list.join(", ")
    ))
}

/// [`declared_hint`] for `svc/NAME`: the Service's ports (what a forward to it names), each
/// with the pod's port it targets.
async fn service_hint(target: &str, name: &str, conn: &Conn) -> Option<String> {
    let found = async {
        let cluster = connect(conn).await.ok()?;
        let svc = portforward::service(&cluster.client, &cluster.namespace, name)
            .await
            .ok()?;
        Some((svc, cluster.namespace))
    };
    let (svc, namespace) = tokio::time::timeout(HINT_WAIT, found).await.ok()??;
    let ports = svc.spec.and_then(|s| s.ports).unwrap_or_default();
    service_ports_hint(target, &namespace, &ports)
}

/// The words of [`service_hint`] for a Service's `ports`: each with the pod's port it targets; a
/// port that is not TCP marked as one a forward refuses, and the example a TCP one.
fn service_ports_hint(
    target: &str,
    namespace: &str,
    ports: &[k8s_openapi::api::core::v1::ServicePort],
) -> Option<String> {
    let shown = text::shown(target);
    let tcp = |p: &&k8s_openapi::api::core::v1::ServicePort| {
        p.protocol.as_deref().is_none_or(|proto| proto == "TCP")
    };
    ports.first()?;
    let list: Vec<String> = ports
        .iter()
        .take(podterm_core::browse::MAX_PORTS)
        .map(|p| {
            let to = match &p.target_port {
                Some(IntOrString::Int(t)) if *t != 0 && *t != p.port => format!(" → {t}"),
                Some(IntOrString::String(t)) => format!(" → {}", text::shown(t)),
                _ => String::new(),
            };
            let not_tcp = if tcp(&p) {
                String::new()
            } else {
                format!(
                    ", {}: not forwarded",
                    text::shown(p.protocol.as_deref().unwrap_or_default())
                )
            };
            match &p.name {
                Some(n) if !n.is_empty() => format!("{} ({}{to}{not_tcp})", p.port, text::shown(n)),
                _ if not_tcp.is_empty() => format!("{}{to}", p.port),
                _ => format!("{}{to} ({})", p.port, &not_tcp[2..]),
            }
        })
        .collect();
    let Some(first) = ports.iter().find(tcp) else {
        return Some(format!(
            "{shown} serves {}: port-forward carries TCP only, and none of these is TCP",
            list.join(", ")
        ));
    };
    let example = match &first.name {
        Some(n) if !n.is_empty() => text::shown(n),
        _ => first.port.to_string(),
    };
    Some(format!(
        "{shown} serves {}; for example (any free local port): podterm port-forward -n {} {shown} :{example}",
        list.join(", "),
        text::shown(namespace)
    ))
}

/// What every connection's task shares.
struct Forward {
    client: kube::Client,
    namespace: String,
    target: PodTarget,
    specs: Vec<PortSpec>,
    /// For `svc/NAME`: the Service and the specs as given, translated again for each pod.
    service: Option<(k8s_openapi::api::core::v1::Service, Vec<PortSpec>)>,
    current: Arc<Mutex<Current>>,
    tuning: Tuning,
    limit: Option<std::time::Duration>,
    /// It started on a pod that was not Ready: it moves to one that runs when none is Ready.
    unready_ok: bool,
}

async fn accept(f: Arc<Forward>, spec: usize, listener: TcpListener) {
    let local = f.specs.get(spec).map(|s| s.local).unwrap_or(0);
    let local = listener.local_addr().map(|a| a.port()).unwrap_or(local);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: a short pause rather than a busy loop.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        say(format_args!("Handling connection for {local}"));
        let f = f.clone();
        tokio::spawn(async move {
            let (pod, uid, remote) = f.now(spec);
            let tunnel =
                match portforward::open(&f.client, &f.namespace, &pod, remote, f.tuning).await {
                    Ok(t) => Ok((t, remote)),
                    Err(e) => f.after_failure(spec, &pod, &uid, e).await,
                };
            let result = match tunnel {
                Ok((t, remote)) => match t.carry(stream).await {
                    Ok(_) => Ok(()),
                    Err(e @ ForwardError::Unreachable { .. }) => {
                        // Nothing listens there, or the pod is on its way out: the next
                        // connection goes to the workload's next pod if so.
                        let _ = f.switch(spec, &pod, &uid).await;
                        Err((remote, e))
                    }
                    Err(e) => Err((remote, e)),
                },
                Err((remote, e)) => Err((remote, e)),
            };
            if let Err((remote, e)) = result {
                warn(format_args!(
                    "error: forwarding {local} -> {remote}: {}",
                    text::message(&e.to_string())
                ));
            }
        });
    }
}

impl Forward {
    /// The pod now (name, uid) and the remote port of spec `i` in it.
    fn now(&self, i: usize) -> (String, String, u16) {
        self.current
            .lock()
            .map(|c| {
                (
                    c.pod.clone(),
                    c.uid.clone(),
                    c.remotes.get(i).copied().unwrap_or(0),
                )
            })
            .unwrap_or_default()
    }

    /// A connection to `pod` failed with `e`: when the workload's pod is gone, its next pod
    /// takes this connection ([`Forward::switch`]); otherwise `e` stands.
    #[allow(clippy::type_complexity)]
    async fn after_failure(
        &self,
        spec: usize,
        pod: &str,
        uid: &str,
        e: ForwardError,
    ) -> Result<(portforward::Tunnel, u16), (u16, ForwardError)> {
        let Some((name, remote)) = self.switch(spec, pod, uid).await else {
            return Err((self.now(spec).2, e));
        };
        portforward::open(&self.client, &self.namespace, &name, remote, self.tuning)
            .await
            .map(|t| (t, remote))
            .map_err(|e| (remote, e))
    }

    /// For a workload whose pod `pod` is gone (looked at now: a refusal or a timeout alone is no
    /// evidence), its newest Ready pod takes the next connections, said on stderr (one that runs
    /// when none is Ready, for a forward that started on a pod not Ready, as it started). Returns
    /// that pod and spec `spec`'s remote port in it; `None` when nothing changes.
    async fn switch(&self, spec: usize, pod: &str, uid: &str) -> Option<(String, u16)> {
        if matches!(self.target, PodTarget::Pod(_)) {
            return None;
        }
        let why =
            portforward::gone_now(&self.client, &self.namespace, pod, uid, self.tuning).await?;
        let (next, unready) = if self.unready_ok {
            let needs = podterm_core::pods::Runs::Pod;
            let found = podterm_core::pods::resolve_to_run(
                &self.client,
                &self.namespace,
                &self.target,
                needs,
            );
            let found = podterm_core::cluster::within(self.limit, found)
                .await
                .ok()?;
            (found.pod, found.unready)
        } else {
            let found = podterm_core::pods::resolve(&self.client, &self.namespace, &self.target);
            let pod = podterm_core::cluster::within(self.limit, found)
                .await
                .ok()?;
            (pod, None)
        };
        let name = next.metadata.name.clone().unwrap_or_default();
        let next_uid = next.metadata.uid.clone().unwrap_or_default();
        if next_uid == uid {
            return None;
        }
        let specs = match &self.service {
            // The Service as it is now (its targets may have changed since the forward began;
            // as it was when it cannot be read).
            Some((svc, asked)) => {
                let name = svc.metadata.name.clone().unwrap_or_default();
                let now = podterm_core::cluster::within(
                    self.limit,
                    portforward::service(&self.client, &self.namespace, &name),
                )
                .await
                .ok();
                portforward::service_specs(now.as_ref().unwrap_or(svc), &next, asked).ok()?
            }
            None => self.specs.clone(),
        };
        let remotes = specs
            .iter()
            .map(|s| s.remote_in(&next))
            .collect::<Result<Vec<u16>, _>>()
            .ok()?;
        let remote = remotes.get(spec).copied()?;
        if let Ok(mut c) = self.current.lock() {
            if c.pod == pod {
                warn(format_args!(
                    "Forwarding to pod {} of {} now: {}",
                    text::shown(&name),
                    self.target,
                    text::shown(&why)
                ));
                // Its words were escaped where they were made.
                if let Some(note) = &unready {
                    warn(format_args!("{note}"));
                }
                c.pod = name.clone();
                c.uid = next_uid;
                c.remotes = remotes;
            }
        }
        Some((name, remote))
    }
}

/// A line on stdout. A stdout that cannot be written (its reader gone: `| head -1`, a script
/// that read the first line) is no reason to stop forwarding: `println!` panicked there, which
/// closed the port in the accept loop and left the process waiting for Ctrl-C.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// A line on stderr, as [`say`].
fn warn(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::service_ports_hint;
    use k8s_openapi::api::core::v1::ServicePort;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn port(port: i32, name: &str, protocol: Option<&str>, to: Option<&str>) -> ServicePort {
        ServicePort {
            port,
            name: (!name.is_empty()).then(|| name.to_string()),
            protocol: protocol.map(str::to_string),
            target_port: to.map(|t| IntOrString::String(t.to_string())),
            ..Default::default()
        }
    }

    /// A Service's UDP port is listed as one a forward refuses, and never given as the example.
    #[test]
    fn a_udp_port_is_marked_and_never_the_example() {
        let ports = [
            port(53, "dns", Some("UDP"), None),
            port(80, "web", Some("TCP"), Some("http")),
            port(5353, "", Some("UDP"), None),
        ];
        assert_eq!(
            service_ports_hint("svc/srv", "demo", &ports).as_deref(),
            Some("svc/srv serves 53 (dns, UDP: not forwarded), 80 (web → http), 5353 (UDP: not forwarded); for example (any free local port): podterm port-forward -n demo svc/srv :web")
        );
        assert_eq!(
            service_ports_hint("svc/dns", "demo", &ports[..1]).as_deref(),
            Some("svc/dns serves 53 (dns, UDP: not forwarded): port-forward carries TCP only, and none of these is TCP")
        );
        // No protocol is TCP, the API server's default.
        assert_eq!(
            service_ports_hint("svc/x", "demo", &[port(8080, "", None, None)]).as_deref(),
            Some("svc/x serves 8080; for example (any free local port): podterm port-forward -n demo svc/x :8080")
        );
        assert_eq!(service_ports_hint("svc/x", "demo", &[]), None);
    }
}
