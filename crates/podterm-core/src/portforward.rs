//! Port forwarding, as `kubectl port-forward` does it: local listeners, and each connection
//! accepted on them carried to a port of the pod through the API server.
//!
//! - The port specs and listen addresses are kubectl's (`8080:80`, `:80`, `80`, `8080:http`;
//!   `--address localhost` listening on `127.0.0.1` and `::1`, the same port on both).
//! - Each local connection is one WebSocket, `pods/{name}/portforward?ports=P` on
//!   `v4.channel.k8s.io` (the kubelet's own protocol, which every API server passes on):
//!   channel 0 carries the bytes, channel 1 the node's words when it cannot reach the port, and
//!   the server's first message on each names the port (2 bytes, little-endian).
//! - The two directions are independent (a client that writes everything before it reads never
//!   stalls itself), each bounded: a slow side pauses the other end's socket, nothing queues.
//! - The protocol has no half-close: when the local client ends its side, the pod's answer is
//!   still passed on until the pod ends its side or has said nothing for [`LINGER`].
//! - Liveness as for exec: a ping when the link is quiet, a dead-link deadline.

use crate::cluster::ApiError;
use crate::exec::{Break, Tuning};
use crate::pods::{PodError, PodTarget, Runs};
use crate::text;
use futures_util::{SinkExt, StreamExt};
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// What one read from a local connection carries at most.
pub const READ: usize = 64 << 10;

/// After the local client has ended its side, how long the pod's side may stay quiet before the
/// connection is let go (the protocol cannot tell the pod that the client is done).
pub const LINGER: Duration = Duration::from_secs(5);

/// The node's words when it cannot reach the port are kept up to this many bytes.
const MAX_ERROR: usize = 4 << 10;

/// Why a port forward, or one of its connections, failed.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The API server refused (403, 404 ...), refused the credentials, or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The node refused the upgrade in its own words (a pod whose sandbox is gone).
    #[error("unable to upgrade connection: {message}")]
    UpgradeRefused { code: u16, message: String },
    /// The node could not reach the port in the pod: its words (nothing listens there, say).
    #[error("{message}")]
    Unreachable { port: u16, message: String },
    /// The WebSocket broke while the connection was carried.
    #[error("{}", crate::exec::break_words(*.cause))]
    Transport {
        cause: Break,
        #[source]
        source: tokio_tungstenite::tungstenite::Error,
    },
    /// Nothing at all from the API server, not even an answer to a ping, for this many seconds.
    #[error("no data from the API server for {0} s, not even an answer to a keepalive ping: the connection seems dead (check the network, then retry)")]
    Deadline(u64),
    /// The server spoke the protocol wrong.
    #[error("the API server broke the port-forward protocol: {0}")]
    Protocol(&'static str),
    /// The local connection failed (reset by the local client).
    #[error("the local connection failed: {0}")]
    Local(#[source] std::io::Error),
    /// The pod is not running, so nothing in it listens (kubectl's words).
    #[error("unable to forward port because pod is not running. Current status={0}")]
    NotRunning(String),
    /// A port spec names a port the pod's containers do not declare.
    #[error("Pod '{pod}' does not have a named port '{name}'")]
    NoNamedPort { pod: String, name: String },
    /// A forward to a Service names a port the Service does not have by that name (kubectl's
    /// words).
    #[error("Service '{service}' does not have a named port '{name}'")]
    NoServiceNamedPort { service: String, name: String },
    /// A forward to a Service gives a port number the Service does not serve (kubectl's words).
    #[error("Service {service} does not have a service port {port}")]
    NoServicePort { service: String, port: u16 },
    /// A forward to a Service names a port it serves over UDP (kubectl's words: port-forward
    /// carries TCP only).
    #[error("UDP protocol is not supported for {0}")]
    Udp(String),
    /// The pod could not be read (not found, the API server refused or failed).
    #[error(transparent)]
    Pod(#[from] PodError),
    /// A port spec or an address that cannot be used.
    #[error("{0}")]
    BadSpec(String),
    /// A listener could not be opened (the address and the OS's reason).
    #[error("unable to create listener: {0}")]
    Listen(String),
    /// The pod's port may not be forwarded: RBAC refuses `create` on `pods/portforward`.
    #[error("pods \"{pod}\" is forbidden: you may not create resource \"pods/portforward\" in API group \"\" in the namespace \"{namespace}\" (nor get it: a self access review said so)")]
    Forbidden { pod: String, namespace: String },
}

impl ForwardError {
    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        match self {
            ForwardError::Api(e) => e.credentials_refused(),
            ForwardError::Pod(e) => e.credentials_refused(),
            _ => false,
        }
    }
}

/// A forwarded port: where it listens locally and the pod's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// 0: any free port, the same on every address.
    pub local: u16,
    pub remote: RemotePort,
    /// One port named for both sides (`5432`, `http`): the local port is the pod's number.
    pub same: bool,
}

/// The pod's port, by number or by the name a container declares for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemotePort {
    Number(u16),
    Name(String),
}

fn port_number(text: &str, which: &str) -> Result<u16, ForwardError> {
    match text.parse::<u16>() {
        Ok(n) if n > 0 || which == "local" => Ok(n),
        _ => Err(ForwardError::BadSpec(format!(
            "error parsing {which} port '{}': a port is a number from 1 to 65535",
            text::shown(text)
        ))),
    }
}

impl PortSpec {
    /// kubectl's forms: `LOCAL:REMOTE`, `:REMOTE` (any free local port), `PORT` (the same on
    /// both sides); REMOTE a number or a container port's name.
    pub fn parse(spec: &str) -> Result<PortSpec, ForwardError> {
        let (local, remote) = match spec.split_once(':') {
            Some((l, r)) => (Some(l), r),
            None => (None, spec),
        };
        if remote.contains(':') || remote.is_empty() {
            return Err(ForwardError::BadSpec(format!(
                "invalid port spec '{}': use LOCAL:REMOTE, :REMOTE or PORT",
                text::shown(spec)
            )));
        }
        let remote = if remote.bytes().all(|b| b.is_ascii_digit()) {
            RemotePort::Number(port_number(remote, "remote")?)
        } else {
            RemotePort::Name(remote.to_string())
        };
        let (local, same) = match (local, &remote) {
            (Some(""), _) => (0, false),
            (Some(l), _) => (port_number(l, "local")?, false),
            (None, RemotePort::Number(n)) => (*n, true),
            // kubectl: the container port's number on both sides.
            (None, RemotePort::Name(_)) => (0, true),
        };
        Ok(PortSpec {
            local,
            remote,
            same,
        })
    }

    /// The local port once the pod's port is known (`remote`).
    pub fn local_for(&self, remote: u16) -> u16 {
        if self.same {
            remote
        } else {
            self.local
        }
    }

    /// The pod's port number: a name looked up among its containers' declared ports.
    pub fn remote_in(&self, pod: &Pod) -> Result<u16, ForwardError> {
        match &self.remote {
            RemotePort::Number(n) => Ok(*n),
            RemotePort::Name(n) => named_port(pod, n),
        }
    }
}

/// The number of the port a container of `pod` declares as `name` (kubectl's words when none).
fn named_port(pod: &Pod, name: &str) -> Result<u16, ForwardError> {
    pod.spec
        .iter()
        .flat_map(|s| &s.containers)
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(name))
        .and_then(|p| u16::try_from(p.container_port).ok())
        .ok_or_else(|| ForwardError::NoNamedPort {
            pod: pod.metadata.name.clone().unwrap_or_default(),
            name: text::shown(name),
        })
}

/// The Service a forward to `svc/NAME` goes through (for [`service_specs`]).
pub async fn service(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Service, ForwardError> {
    match kube::Api::<Service>::namespaced(client.clone(), namespace)
        .get(name)
        .await
    {
        Ok(svc) => Ok(svc),
        Err(e) => Err(ForwardError::Api(
            crate::pods::namespace_or(client, namespace, e).await,
        )),
    }
}

/// kubectl's translation of the port specs of a forward to a Service (`svc/NAME`), once its pod
/// is chosen: each remote port is one of the Service's, by number or by name, and becomes the
/// pod's port it targets (`targetPort`: a number, the same number when there is none, or a name
/// a container of `pod` declares; a headless Service's port as it is). A port given alone
/// (`80`, `http`) listens on the Service's port number.
pub fn service_specs(
    svc: &Service,
    pod: &Pod,
    specs: &[PortSpec],
) -> Result<Vec<PortSpec>, ForwardError> {
    let name = svc.metadata.name.as_deref().unwrap_or_default();
    let spec = svc.spec.as_ref();
    let ports = spec.and_then(|s| s.ports.as_deref()).unwrap_or_default();
    let headless = spec.and_then(|s| s.cluster_ip.as_deref()) == Some("None");
    // kubectl's first pass, over every spec: each port given by name is looked up, and one the
    // Service serves over UDP is refused.
    let numbers = specs
        .iter()
        .map(|s| {
            let (number, given) = match &s.remote {
                RemotePort::Number(n) => (*n, n.to_string()),
                RemotePort::Name(wanted) => (
                    ports
                        .iter()
                        .find(|p| p.name.as_deref() == Some(wanted.as_str()))
                        .and_then(|p| u16::try_from(p.port).ok())
                        .ok_or_else(|| ForwardError::NoServiceNamedPort {
                            service: text::shown(name),
                            name: text::shown(wanted),
                        })?,
                    wanted.clone(),
                ),
            };
            // kubectl's `checkUDPPortInService`: refused only when no TCP port has the number
            // (kube-dns serves 53 over both).
            let served = |protocol: &str| {
                ports.iter().any(|p| {
                    p.port == i32::from(number)
                        && p.protocol.as_deref().unwrap_or("TCP") == protocol
                })
            };
            if served("UDP") && !served("TCP") {
                return Err(ForwardError::Udp(text::shown(&given)));
            }
            Ok(number)
        })
        .collect::<Result<Vec<u16>, ForwardError>>()?;
    specs
        .iter()
        .zip(numbers)
        .map(|(s, number)| {
            let port = ports
                .iter()
                .find(|p| p.port == i32::from(number))
                .ok_or_else(|| ForwardError::NoServicePort {
                    service: text::shown(name),
                    port: number,
                })?;
            let target = match &port.target_port {
                _ if headless => number,
                None | Some(IntOrString::Int(0)) => number,
                Some(IntOrString::Int(t)) => u16::try_from(*t).unwrap_or(number),
                Some(IntOrString::String(named)) => named_port(pod, named)?,
            };
            Ok(PortSpec {
                local: if s.same { number } else { s.local },
                remote: RemotePort::Number(target),
                same: false,
            })
        })
        .collect()
}

/// What a forward through `svc` keeps of it for its life: what [`service_specs`] and
/// [`ForwardPort::refreshed`] read (its name, ports and cluster IP), not the rest of the object
/// (annotations, managed fields, status: as large as the server makes them).
fn kept(svc: Service) -> Box<Service> {
    use k8s_openapi::api::core::v1::ServiceSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    let spec = svc.spec.map(|s| ServiceSpec {
        ports: s.ports,
        cluster_ip: s.cluster_ip,
        ..ServiceSpec::default()
    });
    Box::new(Service {
        metadata: ObjectMeta {
            name: svc.metadata.name,
            ..ObjectMeta::default()
        },
        spec,
        status: None,
    })
}

/// A forward's port in whichever pod it reaches: the pod's port as asked, or a Service's port,
/// translated for each pod ([`service_specs`]: a named target may have another number in the
/// next pod the forward follows).
#[derive(Debug, Clone)]
pub enum ForwardPort {
    Pod(PortSpec),
    Service {
        service: Box<Service>,
        /// The Service's port as asked (a number or a name), given alone.
        asked: PortSpec,
    },
}

impl ForwardPort {
    /// The port's number in `pod`.
    pub fn remote_in(&self, pod: &Pod) -> Result<u16, ForwardError> {
        match self {
            ForwardPort::Pod(spec) => spec.remote_in(pod),
            ForwardPort::Service { service, asked } => {
                match service_specs(service, pod, std::slice::from_ref(asked))?.first() {
                    Some(spec) => spec.remote_in(pod),
                    None => Err(ForwardError::BadSpec("no port was asked".into())),
                }
            }
        }
    }

    /// The Service read again (its ports or targets may have changed since the forward began),
    /// before the forward moves to another pod; kept as it was when it cannot be read now, and
    /// then why, in words.
    pub async fn refreshed(
        self,
        client: &kube::Client,
        namespace: &str,
        tuning: Tuning,
    ) -> (Self, Option<String>) {
        let ForwardPort::Service {
            service: old,
            asked,
        } = self
        else {
            return (self, None);
        };
        let name = old.metadata.name.clone().unwrap_or_default();
        match crate::cluster::within(tuning.request_timeout, service(client, namespace, &name))
            .await
        {
            Ok(now) => (
                ForwardPort::Service {
                    service: kept(now),
                    asked,
                },
                None,
            ),
            Err(e) => (
                ForwardPort::Service {
                    service: old,
                    asked,
                },
                Some(e.to_string()),
            ),
        }
    }

    /// The Service's port number a forward through it asked for (by number or name); none for a
    /// pod's port.
    pub fn service_port(&self) -> Option<u16> {
        match self {
            ForwardPort::Pod(_) => None,
            ForwardPort::Service { service, asked } => {
                let ports = service.spec.as_ref().and_then(|s| s.ports.as_deref());
                let found = ports
                    .unwrap_or_default()
                    .iter()
                    .find(|p| match &asked.remote {
                        RemotePort::Number(n) => p.port == i32::from(*n),
                        RemotePort::Name(n) => p.name.as_deref() == Some(n.as_str()),
                    });
                found.and_then(|p| u16::try_from(p.port).ok())
            }
        }
    }
}

/// Where to listen, as kubectl's `--address` says it: `localhost` is `127.0.0.1` and `::1`
/// (enough if either opens), any other entry an IP address that must open.
pub fn addresses(list: &[String]) -> Result<Vec<(IpAddr, bool)>, ForwardError> {
    let mut out = Vec::new();
    for a in list.iter().flat_map(|a| a.split(',')).map(str::trim) {
        if a == "localhost" {
            out.push((IpAddr::from([127, 0, 0, 1]), false));
            out.push((IpAddr::from(std::net::Ipv6Addr::LOCALHOST), false));
            continue;
        }
        match a.parse::<IpAddr>() {
            Ok(ip) => out.push((ip, true)),
            Err(_) => {
                return Err(ForwardError::BadSpec(format!(
                    "{} is not a valid IP",
                    text::shown(a)
                )))
            }
        }
    }
    // One listener an address: an address named twice (`localhost,127.0.0.1`) must open if
    // any entry says so; in kubectl's order, IPv4 first.
    let mut merged: Vec<(IpAddr, bool)> = Vec::new();
    for (ip, required) in out {
        match merged.iter_mut().find(|(m, _)| *m == ip) {
            Some(m) => m.1 |= required,
            None => merged.push((ip, required)),
        }
    }
    merged.sort_by_key(|(ip, _)| ip.is_ipv6());
    let out = merged;
    if out.is_empty() {
        return Err(ForwardError::BadSpec("no address to listen on".into()));
    }
    Ok(out)
}

/// The listeners of one port: every address on the same local port (a `0` becomes the port
/// the first one got). `Err` when a required address fails, or none opened.
pub async fn listen(
    addresses: &[(IpAddr, bool)],
    local: u16,
) -> Result<Vec<TcpListener>, ForwardError> {
    let mut port = local;
    let mut open = Vec::new();
    let mut failed = Vec::new();
    for &(ip, required) in addresses {
        match bind_one(SocketAddr::new(ip, port)) {
            Ok(l) => {
                if port == 0 {
                    port = l.local_addr().map(|a| a.port()).unwrap_or(0);
                }
                open.push(l);
            }
            Err(e) => {
                let why = format!("{}: {e}", SocketAddr::new(ip, port));
                if required {
                    return Err(ForwardError::Listen(why));
                }
                failed.push(why);
            }
        }
    }
    if open.is_empty() {
        return Err(ForwardError::Listen(failed.join("; ")));
    }
    Ok(open)
}

/// A listener on `at`; an IPv6 one is IPv6 only (`::` does not take IPv4's connections too,
/// as Go's `tcp6` does not).
fn bind_one(at: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(at), Type::STREAM, Some(Protocol::TCP))?;
    if at.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&at.into())?;
    socket.listen(128)?;
    TcpListener::from_std(socket.into())
}

/// Whether the API server lets this user forward the pod's ports (`create` on
/// `pods/portforward`), asked as `kubectl auth can-i` asks: `None` when it cannot tell (no
/// such API, or the review itself refused), and the forward is tried anyway.
pub async fn may_forward(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    verb: &str,
    tuning: Tuning,
) -> Option<bool> {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(namespace.to_string()),
                verb: Some(verb.into()),
                group: Some(String::new()),
                resource: Some("pods".into()),
                subresource: Some("portforward".into()),
                name: Some(pod.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: kube::Api<SelfSubjectAccessReview> = kube::Api::all(client.clone());
    let asked = crate::cluster::within(tuning.request_timeout, async {
        api.create(&Default::default(), &review)
            .await
            .map_err(ApiError::from)
    })
    .await;
    asked.ok().and_then(|r| r.status).map(|s| s.allowed)
}

/// Refuses a forward the API server would refuse (RBAC), asked without opening anything to
/// the pod: kubectl asks by upgrading a SPDY session, which reaches no port; an upgrade here
/// would connect to the pod's port once for nothing (a server that takes one connection, such
/// as `nc -l`, would be used up). The WebSocket's upgrade is a GET, which API servers before
/// 1.35 authorize as `get` on `pods/portforward` and later ones as `get` and `create`; kubectl's
/// SPDY POST needs `create`. Refused here only when neither is allowed (no version lets it
/// through); otherwise a refusal, if any, comes with the first connection, in the server's words.
pub async fn check_allowed(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    tuning: Tuning,
) -> Result<(), ForwardError> {
    if may_forward(client, namespace, pod, "create", tuning).await != Some(false) {
        return Ok(());
    }
    match may_forward(client, namespace, pod, "get", tuning).await {
        Some(false) => Err(ForwardError::Forbidden {
            pod: text::shown(pod),
            namespace: text::shown(namespace),
        }),
        _ => Ok(()),
    }
}

/// Whether a pod can take forwarded connections (kubectl checks the phase only).
pub fn check_running(pod: &Pod) -> Result<(), ForwardError> {
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    if phase == "Running" {
        Ok(())
    } else {
        Err(ForwardError::NotRunning(text::shown(&phase)))
    }
}

/// Checks `pod` before anything listens, as kubectl checks it (running, each named port
/// declared), and whether RBAC lets this user forward it (a self access review, which reaches
/// nothing in the pod): a forward that cannot work is refused here rather than at its first
/// connection. Returns each spec's port in the pod.
pub async fn check(
    client: &kube::Client,
    namespace: &str,
    pod: &Pod,
    specs: &[PortSpec],
    tuning: Tuning,
) -> Result<Vec<u16>, ForwardError> {
    check_running(pod)?;
    let remotes = specs
        .iter()
        .map(|s| s.remote_in(pod))
        .collect::<Result<Vec<_>, _>>()?;
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    check_allowed(client, namespace, name, tuning).await?;
    Ok(remotes)
}

/// The address a browser opens for a forward listening on 127.0.0.1:`local` to the pod's port
/// `remote` (asked by `name`, when by name): `https://` when the port says TLS (its name starts
/// or ends with `https`; 443 or 8443), else `http://`.
pub fn browser_url(local: u16, remote: u16, name: Option<&str>) -> String {
    let named_tls = name.is_some_and(|n| n.starts_with("https") || n.ends_with("https"));
    let scheme = if named_tls || matches!(remote, 443 | 8443) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://127.0.0.1:{local}/")
}

/// A forward to a pod named by name, or through a Service, checked ([`check`]) and ready to
/// listen.
#[derive(Debug)]
pub struct Prepared {
    pub pod: Pod,
    /// The spec's port in the pod.
    pub remote: u16,
    /// The port in each pod the forward reaches (for [`run`]).
    pub port: ForwardPort,
    /// The workload whose next pod the forward follows when this one goes (its Deployment,
    /// StatefulSet …): none when nothing owns the pod, or its owner cannot be read (its
    /// ReplicaSet unreadable), and the forward ends with the pod.
    pub workload: Option<PodTarget>,
    /// Why the pod asked for was passed over for another (through a Service: it no longer
    /// selects it, say), in words; none when it is the pod asked for.
    pub passed_over: Option<String>,
    /// Said when the Service had no Ready pod and one that runs was taken, as kubectl's
    /// port-forward takes it ([`crate::pods::unready_note`]'s words).
    pub unready: Option<String>,
}

/// Fetches the pod `name` and checks it ([`check`]) for a forward of `spec`, each request within
/// the request timeout, and finds the workload it follows.
pub async fn prepare(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    spec: &PortSpec,
    tuning: Tuning,
) -> Result<Prepared, ForwardError> {
    let limit = tuning.request_timeout;
    let pod = crate::cluster::within(limit, crate::pods::get_pod(client, namespace, name)).await?;
    let remotes = check(client, namespace, &pod, std::slice::from_ref(spec), tuning).await?;
    let remote = remotes.first().copied().unwrap_or(0);
    let workload = match crate::browse::PodOwner::of(&pod) {
        Some(owner) => {
            crate::cluster::within(limit, crate::pods::workload_of(client, namespace, &owner))
                .await
                .ok()
                .flatten()
        }
        None => None,
    };
    Ok(Prepared {
        pod,
        remote,
        port: ForwardPort::Pod(spec.clone()),
        workload,
        passed_over: None,
        unready: None,
    })
}

/// How [`prepare_service`] picks a pod when the Service selects none that is Ready.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServicePick {
    /// How long to wait for one to be (zero: not waited for).
    pub ready_wait: Duration,
    /// Then take one that runs though not Ready, as kubectl does (with a note).
    pub unready_ok: bool,
}

/// A forward to Service `service`'s port `asked` (its number or name, given alone), as
/// `kubectl port-forward svc/NAME PORT` makes it: through `pod` when given (a restored
/// forward's pod) and the Service still selects it, else the pod the Service's selector finds
/// (its newest Ready one; with none Ready and [`ServicePick::unready_ok`], one that runs, as
/// kubectl takes it, with a note: a forward the user starts, not one restored, which waits for a
/// Ready pod); the port
/// translated to the one it targets in that pod, and checked as [`prepare`] checks a pod's. The
/// forward follows the Service's pods. With a [`ServicePick::ready_wait`], a selector with no
/// Ready pod now is waited on that long for one (a restored forward's Service switched to pods
/// still starting); zero: not waited for.
pub async fn prepare_service(
    client: &kube::Client,
    namespace: &str,
    service_name: &str,
    pod: Option<&str>,
    asked: &PortSpec,
    tuning: Tuning,
    pick: ServicePick,
) -> Result<Prepared, ForwardError> {
    let ServicePick {
        ready_wait,
        unready_ok,
    } = pick;
    let limit = tuning.request_timeout;
    let svc = crate::cluster::within(limit, service(client, namespace, service_name)).await?;
    let target = PodTarget::Workload {
        kind: crate::pods::WorkloadKind::Service,
        name: service_name.to_string(),
    };
    let selector = svc
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default();
    if selector.is_empty() {
        return Err(PodError::ServiceWithoutSelector(text::shown(service_name)).into());
    }
    // The pod given (a restored forward's) only while it runs and the Service still selects
    // it: its selector may have moved on (blue to green) with the old pods still running.
    let (given, passed_over) = match pod {
        Some(name) => {
            match crate::cluster::within(limit, crate::pods::get_pod(client, namespace, name)).await
            {
                Ok(p) => match passed_over_because(&p, &selector, service_name) {
                    None => (Some(p), None),
                    Some(why) => (None, Some(why)),
                },
                Err(e) => (None, Some(format!("it could not be read: {e}"))),
            }
        }
        None => (None, None),
    };
    // A pod that runs but is not Ready (its readiness probe failing, often why one forwards to
    // it) is taken when none is Ready, as kubectl's port-forward takes it.
    let (pod, unready) = match given {
        Some(p) => (p, None),
        // Ready only: a restored forward's first look, whose "no Ready pod" makes it wait.
        None if !unready_ok && ready_wait.is_zero() => {
            let found = crate::pods::resolve(client, namespace, &target);
            (crate::cluster::within(limit, found).await?, None)
        }
        None if !unready_ok => {
            let waited =
                crate::pods::resolve_waiting(client, namespace, &target, ready_wait, |_| {});
            (
                crate::cluster::within(limit.map(|t| t + ready_wait), waited).await?,
                None,
            )
        }
        None if ready_wait.is_zero() => {
            let found = crate::pods::resolve_to_run(client, namespace, &target, Runs::Pod);
            let found = crate::cluster::within(limit, found).await?;
            (found.pod, found.unready)
        }
        None => {
            let waited = crate::pods::resolve_waiting_to_run(
                client,
                namespace,
                &target,
                Runs::Pod,
                ready_wait,
                |_| {},
            );
            let found = crate::cluster::within(limit.map(|t| t + ready_wait), waited).await?;
            (found.pod, found.unready)
        }
    };
    let specs = service_specs(&svc, &pod, std::slice::from_ref(asked))?;
    let remotes = check(client, namespace, &pod, &specs, tuning).await?;
    Ok(Prepared {
        pod,
        remote: remotes.first().copied().unwrap_or(0),
        port: ForwardPort::Service {
            service: kept(svc),
            asked: asked.clone(),
        },
        workload: Some(target),
        passed_over,
        unready,
    })
}

/// Why a forward through Service `service` (its `selector`) does not go to `pod`, in words; none
/// when it may.
fn passed_over_because(
    pod: &Pod,
    selector: &std::collections::BTreeMap<String, String>,
    service: &str,
) -> Option<String> {
    let labels = pod.metadata.labels.as_ref();
    if pod.metadata.deletion_timestamp.is_some() {
        Some("it is being deleted".into())
    } else if let Err(e) = check_running(pod) {
        Some(e.to_string())
    } else if !selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
    {
        Some(format!(
            "the Service {} no longer selects it",
            text::shown(service)
        ))
    } else {
        None
    }
}

/// What a carried connection moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Carried {
    /// From the local client to the pod.
    pub sent: u64,
    /// From the pod to the local client.
    pub received: u64,
}

fn refused(e: kube::Error) -> ForwardError {
    match crate::exec::upgrade_refused(e) {
        crate::exec::ExecError::UpgradeRefused { code, message } => {
            ForwardError::UpgradeRefused { code, message }
        }
        crate::exec::ExecError::Api(e) => ForwardError::Api(e),
        _ => ForwardError::Protocol("an upgrade refused in an unknown way"),
    }
}

/// An open WebSocket to a pod's port, not carrying anything yet.
pub struct Tunnel {
    ws: crate::exec::Ws,
    port: u16,
    tuning: Tuning,
}

/// Opens the way to `port` of the pod (the upgrade, bounded by the request timeout): a pod that
/// is gone or not running fails here, before a local connection is handed over.
pub async fn open(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    port: u16,
    tuning: Tuning,
) -> Result<Tunnel, ForwardError> {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}/portforward?ports={port}",
        enc(namespace),
        enc(pod)
    );
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| ApiError::from(kube::Error::HttpError(e)))?;
    let conn = crate::cluster::within(tuning.request_timeout, async {
        client.connect(req).await.map_err(refused)
    })
    .await?;
    Ok(Tunnel {
        ws: crate::exec::bounded(conn).await,
        port,
        tuning,
    })
}

impl Tunnel {
    /// Carries one local connection, both ways, until either side ends it.
    pub async fn carry(self, local: TcpStream) -> Result<Carried, ForwardError> {
        let _ = local.set_nodelay(true);
        pipe(self.ws, local, self.port, self.tuning).await
    }
}

/// A forwarded connection's life, as [`serve`] reports it.
#[derive(Debug)]
pub enum Served {
    /// A local connection was accepted.
    Opened,
    /// It ended: what it carried, or why it failed.
    Ended(Result<Carried, ForwardError>),
}

/// Where a forward's connections go: a pod (its name and uid) and its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub pod: String,
    /// Tells the pod from a successor of its name (empty: not known, never looked at).
    pub uid: String,
    pub remote: u16,
}

/// A connection found the pod it was for gone (looked at after it could not be opened there, or
/// could not reach its port), before the pod's watch said so: what [`serve`] tells its forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    pub uid: String,
    /// Why it takes no more connections, in words ([`gone_now`]'s).
    pub why: String,
}

/// Accepts connections on `listener` until dropped, carrying each in its own task to where `to`
/// says when it is accepted; `report` hears each one open and end. While `to` says nowhere (a
/// followed workload between pods), nothing is accepted: new connections wait in the listen
/// queue for the next pod instead of failing one API request each. A connection whose pod is
/// found gone is said on `lost` and goes where `to` says next ([`carry_to`]). Dropping the
/// future ends every connection it carries.
pub async fn serve(
    client: kube::Client,
    namespace: String,
    mut to: tokio::sync::watch::Receiver<Option<Destination>>,
    listener: TcpListener,
    tuning: Tuning,
    report: std::sync::Arc<dyn Fn(Served) + Send + Sync>,
    lost: tokio::sync::mpsc::Sender<Lost>,
) {
    let looks = std::sync::Arc::new(Looks {
        lost,
        last: tokio::sync::Mutex::new(None),
    });
    let mut carrying = tokio::task::JoinSet::new();
    loop {
        let somewhere = async {
            if to.wait_for(Option::is_some).await.is_err() {
                // The forward is over: nothing more is accepted.
                std::future::pending::<()>().await;
            }
            listener.accept().await
        };
        let accepted = tokio::select! {
            a = somewhere => a,
            // Finished connections leave the set as they end.
            Some(_) = carrying.join_next(), if !carrying.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of descriptors, say: a short pause rather than a busy loop.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(dest) = to.borrow().clone() else {
            // Its pod went as it was accepted: it waits for nothing (closed).
            continue;
        };
        report(Served::Opened);
        let (client, namespace, report) = (client.clone(), namespace.clone(), report.clone());
        let (next, looks) = (to.clone(), looks.clone());
        carrying.spawn(async move {
            let carried = carry_to(&client, &namespace, dest, next, tuning, &looks, stream).await;
            report(Served::Ended(carried));
        });
    }
}

/// What a forward's connections learn of its pod ([`carry_to`]): where to say it is gone, and
/// the last look at it after a connection failed. Connections that fail for another reason
/// (nothing listens in the pod yet, RBAC) look at the pod at most once per [`GONE_POLL`]
/// between them, however many fail.
struct Looks {
    lost: tokio::sync::mpsc::Sender<Lost>,
    /// The pod's uid, when it was looked at, and whether it was gone; held while a look is
    /// under way, so connections failing together wait for its verdict.
    last: tokio::sync::Mutex<Option<(String, Instant, bool)>>,
}

impl Looks {
    /// Whether `dest`'s pod is gone: the last look's verdict when that was at this pod within
    /// [`GONE_POLL`] (not a "still there" after `not_found`: the API server said it is not),
    /// else a look now ([`gone_now`]), said on `lost` when it is gone.
    async fn gone(
        &self,
        client: &kube::Client,
        namespace: &str,
        dest: &Destination,
        tuning: Tuning,
        not_found: bool,
    ) -> bool {
        if dest.uid.is_empty() {
            return false;
        }
        let mut last = self.last.lock().await;
        let recent = last
            .as_ref()
            .filter(|(uid, at, gone)| {
                *uid == dest.uid && at.elapsed() < GONE_POLL && (*gone || !not_found)
            })
            .map(|(_, _, gone)| *gone);
        if let Some(gone) = recent {
            return gone;
        }
        let why = gone_now(client, namespace, &dest.pod, &dest.uid, tuning).await;
        *last = Some((dest.uid.clone(), Instant::now(), why.is_some()));
        drop(last);
        let Some(why) = why else {
            return false;
        };
        // Full: the forward has not read the ones before (it reads them while it serves this
        // pod), which say the same.
        let _ = self.lost.try_send(Lost {
            uid: dest.uid.clone(),
            why,
        });
        true
    }
}

/// Carries `stream` to `dest`. When it cannot be opened there and `dest`'s pod is gone (looked
/// at then: a failure alone is no evidence), that is said on `lost` (the pod's watch may not
/// have said it yet: a watch broken and resumed, or slow) and the connection waits for where
/// `to` says next, and goes there: its client, which has had nothing yet, sees a slower start,
/// where kubectl's would see its connection closed. The forward ends it when there is no next
/// pod. A pod's port found unreachable is looked at too, for the next connections.
async fn carry_to(
    client: &kube::Client,
    namespace: &str,
    dest: Destination,
    mut to: tokio::sync::watch::Receiver<Option<Destination>>,
    tuning: Tuning,
    looks: &Looks,
    stream: TcpStream,
) -> Result<Carried, ForwardError> {
    let failed = match open(client, namespace, &dest.pod, dest.remote, tuning).await {
        Ok(t) => {
            let carried = t.carry(stream).await;
            if let Err(ForwardError::Unreachable { .. }) = carried {
                looks.gone(client, namespace, &dest, tuning, false).await;
            }
            return carried;
        }
        Err(e) => e,
    };
    let not_found = matches!(&failed, ForwardError::Api(e) if e.status_code() == Some(404));
    if !looks
        .gone(client, namespace, &dest, tuning, not_found)
        .await
    {
        return Err(failed);
    }
    let elsewhere = to.wait_for(|d| d.as_ref().is_some_and(|d| d.uid != dest.uid));
    let next = match elsewhere.await {
        Ok(next) => next.clone(),
        // The forward is over.
        Err(_) => None,
    };
    match next {
        Some(next) => {
            open(client, namespace, &next.pod, next.remote, tuning)
                .await?
                .carry(stream)
                .await
        }
        None => Err(failed),
    }
}

/// How long a forward that follows a workload waits for the workload's next Ready pod once its
/// pod went (a rollout's next pod still starting); then it ends, saying why.
pub const FOLLOW_WAIT: Duration = Duration::from_secs(300);

/// A forward's move to another pod, as [`run`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    /// Its pod went (why, in words) and no pod of the workload can take its place yet: it
    /// waits for one (new connections wait too).
    Waiting { why: String },
    /// Connections go to `to` from now on; `why` the pod before went. `unready`: no pod of the
    /// workload was Ready and `to`'s runs though it is not ([`crate::pods::unready_note`]'s
    /// words), until [`Moved::Ready`].
    To {
        to: Destination,
        why: String,
        unready: Option<String>,
    },
    /// The pod connections go to, not Ready when it was taken, is Ready now (its note that it is
    /// not no longer holds).
    Ready,
}

/// Serves `listener` (see [`serve`]) to `port` in `pod` until the forward ends, and
/// returns why, in words. When the pod goes (deleted, replaced, no longer running), a forward
/// that follows a `workload` waits for its next pod ([`next_pod`]) and moves there, `moved`
/// hearing each step; without a workload, or with no next pod, it ends. A forward that started
/// on a pod that was not Ready (its readiness probe failing, which is often why one forwards
/// to it) moves at once to one that runs when none is Ready, as it started; one that started
/// on a Ready pod waits for a Ready one (a rollout's next pod still starting). A connection that
/// finds the pod gone before its watch says so moves the forward at once ([`carry_to`]). A pod taken
/// though not Ready is told once when it becomes Ready ([`Moved::Ready`]). Dropping the
/// future ends every connection.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    client: kube::Client,
    namespace: String,
    pod: &Pod,
    port: ForwardPort,
    workload: Option<PodTarget>,
    listener: TcpListener,
    tuning: Tuning,
    report: std::sync::Arc<dyn Fn(Served) + Send + Sync>,
    moved: impl Fn(Moved),
) -> String {
    let mut name = pod.metadata.name.clone().unwrap_or_default();
    let mut uid = pod.metadata.uid.clone().unwrap_or_default();
    let unready_ok = !crate::pods::is_ready(pod);
    // Whether the pod connections go to was Ready, or has been told Ready since.
    let mut ready = !unready_ok;
    let mut port = port;
    let remote = match port.remote_in(pod) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    let (tx, rx) = tokio::sync::watch::channel(Some(Destination {
        pod: name.clone(),
        uid: uid.clone(),
        remote,
    }));
    let (lost, mut told_lost) = tokio::sync::mpsc::channel(LOST_QUEUE);
    let serving = serve(
        client.clone(),
        namespace.clone(),
        rx,
        listener,
        tuning,
        report,
        lost,
    );
    tokio::pin!(serving);
    loop {
        // `serve` only ends when dropped: each `select!` ends by the other branch.
        let became_ready = || {
            if !ready {
                ready = true;
                moved(Moved::Ready);
            }
        };
        let lost_now = async {
            loop {
                match told_lost.recv().await {
                    Some(l) if l.uid == uid => return l.why,
                    Some(_) => {}
                    // `serve` holds a sender while it runs.
                    None => std::future::pending::<()>().await,
                }
            }
        };
        let why = tokio::select! {
            () = &mut serving => return String::new(),
            why = watch_pod(&client, &namespace, &name, &uid, became_ready) => why,
            why = lost_now => why,
        };
        // A pod without a uid (no API server sends one) cannot be told from its successor.
        let Some(workload) = workload.as_ref().filter(|_| !uid.is_empty()) else {
            return why;
        };
        tx.send_replace(None);
        let waiting = || moved(Moved::Waiting { why: why.clone() });
        let next = tokio::select! {
            () = &mut serving => return String::new(),
            n = next_pod(&client, &namespace, workload, (&name, &uid), unready_ok, tuning, waiting) => n,
        };
        let next = match next {
            Ok(p) => p,
            Err(e) => return format!("{why}, and {e}"),
        };
        let next_name = next.metadata.name.clone().unwrap_or_default();
        let unready =
            (!crate::pods::is_ready(&next)).then(|| crate::pods::unready_note(workload, &next));
        let (now, unread) = port.refreshed(&client, &namespace, tuning).await;
        port = now;
        // Said with the move: a changed target may not be followed.
        let why = match unread {
            Some(e) => format!(
                "{why} (the Service could not be read again, its ports are as they were: {e})"
            ),
            None => why,
        };
        let remote = match port.remote_in(&next) {
            Ok(r) => r,
            Err(e) => return format!("{why}, and its next pod {next_name} cannot take it: {e}"),
        };
        uid = next.metadata.uid.clone().unwrap_or_default();
        let to = Destination {
            pod: next_name.clone(),
            uid: uid.clone(),
            remote,
        };
        tx.send_replace(Some(to.clone()));
        ready = unready.is_none();
        moved(Moved::To { to, why, unready });
        name = next_name;
    }
}

/// How many [`Lost`] a forward holds unread: one is enough to move it, and a connection that
/// finds the queue full drops its own.
const LOST_QUEUE: usize = 4;

/// The pod that takes a followed forward's connections once its pod `gone` (name, uid) went:
/// the newest Ready pod of `workload`, for a StatefulSet the one of the same name (its pods are
/// not interchangeable: `db-0` may be the primary, `db-1` a replica); with `unready_ok` and none
/// Ready, one that runs ([`pick_next`]). Waits up to [`FOLLOW_WAIT`], `on_wait` told when the
/// wait starts; a look the API server fails (unreachable, no answer, a 5xx) is tried again
/// within that time. `Err`: why there is none, in words.
async fn next_pod(
    client: &kube::Client,
    namespace: &str,
    workload: &PodTarget,
    gone: (&str, &str),
    unready_ok: bool,
    tuning: Tuning,
    on_wait: impl FnOnce(),
) -> Result<Pod, String> {
    let (name, uid) = gone;
    let stateful = matches!(
        workload,
        PodTarget::Workload {
            kind: crate::pods::WorkloadKind::StatefulSet,
            ..
        }
    );
    let deadline = tokio::time::Instant::now() + FOLLOW_WAIT;
    let mut on_wait = Some(on_wait);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let look = async {
            let selector = match workload {
                PodTarget::Workload { kind, name } => {
                    crate::pods::workload_selector(client, namespace, *kind, name).await?
                }
                PodTarget::Selector(s) => s.clone(),
                PodTarget::Pod(p) => return Err(PodError::BadTarget(format!("pod/{p}"))),
            };
            let pick = |pods: Vec<Pod>| pick_next(pods, stateful.then_some(name), uid, unready_ok);
            let told = |_: &str| {
                if let Some(f) = on_wait.take() {
                    f();
                }
            };
            crate::pods::watch_until(client, namespace, &selector, left, pick, told).await
        };
        // A look that hangs is cut (each request's own limit past the wait).
        let limit = left + tuning.request_timeout.unwrap_or(Duration::from_secs(30));
        let failed = match tokio::time::timeout(limit, look).await {
            Ok(Ok(Ok(pod))) => return Ok(pod),
            Ok(Ok(Err(detail))) => {
                return Err(format!(
                    "no pod of {workload} was Ready within {}: {detail}",
                    crate::cluster::duration_words(FOLLOW_WAIT)
                ))
            }
            Ok(Err(PodError::Api(e))) if e.transient() => e.to_string(),
            Ok(Err(e)) => return Err(format!("{workload} cannot be followed: {e}")),
            Err(_) => "the API server did not answer".to_string(),
        };
        if tokio::time::Instant::now() + RETRY >= deadline {
            return Err(format!("{workload} could not be looked at: {failed}"));
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// How long a followed forward waits before looking at its workload again after the API
/// server failed a look.
const RETRY: Duration = Duration::from_secs(2);

/// The pod to move to among a workload's pods: not the one that went (`uid`), the one named
/// `same_name` when given (a StatefulSet's), the newest Ready of those; with `unready_ok` and
/// none Ready, the best that runs ([`crate::pods::Runs::Pod`]); else what there is and why none
/// will do.
fn pick_next(
    pods: Vec<Pod>,
    same_name: Option<&str>,
    uid: &str,
    unready_ok: bool,
) -> Result<Pod, String> {
    let pods: Vec<Pod> = pods
        .into_iter()
        .filter(|p| p.metadata.uid.as_deref() != Some(uid))
        .filter(|p| same_name.is_none_or(|n| p.metadata.name.as_deref() == Some(n)))
        .collect();
    if pods.is_empty() {
        return Err(match same_name {
            Some(n) => format!("no pod {n} yet"),
            None => "no other pod".into(),
        });
    }
    let running = unready_ok
        .then(|| crate::pods::best_running_unready(&pods, Runs::Pod))
        .flatten();
    match (crate::pods::pick_newest_ready(pods), running) {
        (Ok(pod), _) => Ok(pod),
        (Err(_), Some(pod)) => Ok(pod),
        (Err(detail), None) => Err(text::shown(&detail)),
    }
}

/// Why the pod `name` with `uid` takes no more connections, looked at now: gone (404), another
/// of its name, being deleted, or not running. `None`: it still can, or the API server could not
/// say (a refusal or a timeout is no evidence that it went).
pub async fn gone_now(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    uid: &str,
    tuning: Tuning,
) -> Option<String> {
    look(client, namespace, name, uid, tuning)
        .await
        .and_then(Result::err)
}

/// What a look at the pod `name` with `uid` says now: `Err` why it takes no more connections,
/// or `Ok` whether it is Ready; `None` when the API server could not say.
async fn look(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    uid: &str,
    tuning: Tuning,
) -> Option<Result<bool, String>> {
    let api: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
    let got = crate::cluster::within(tuning.request_timeout, async {
        api.get_opt(name).await.map_err(ApiError::from)
    })
    .await;
    match got {
        Ok(None) => Some(Err(format!("the pod {name} was deleted"))),
        Ok(Some(p)) => Some(takes(&p, name, uid)),
        Err(_) => None,
    }
}

/// Whether `p` (the pod `name` as the API server has it) is still the pod with `uid` and takes
/// connections: `Ok` whether it is Ready, or `Err` why not (another has its name, it is being
/// deleted, it no longer runs).
fn takes(p: &Pod, name: &str, uid: &str) -> Result<bool, String> {
    if p.metadata.uid.as_deref() != Some(uid) {
        return Err(format!(
            "the pod {name} was deleted (another has its name now)"
        ));
    }
    if p.metadata.deletion_timestamp.is_some() {
        return Err(format!("the pod {name} is being deleted"));
    }
    match check_running(p) {
        Ok(()) => Ok(crate::pods::is_ready(p)),
        Err(_) => Err(format!("the pod {name} is no longer running")),
    }
}

/// How often the pod is looked at when the user may not watch pods (see [`until_gone`]).
const GONE_POLL: Duration = Duration::from_secs(2);

/// Resolves once the pod `name` with `uid` can take no more connections: deleted (or replaced
/// by another of the same name), or no longer running. Says which, in words. A watch broken on
/// the way is resumed. A user whose role may `get` the pod but not `list` or `watch` pods (all
/// kubectl's port-forward needs) has it looked at every [`GONE_POLL`] instead: the watcher
/// would retry the refusal for ever, and the pod's going would never be noticed.
pub async fn until_gone(client: &kube::Client, namespace: &str, name: &str, uid: &str) -> String {
    watch_pod(client, namespace, name, uid, || {}).await
}

/// [`until_gone`], calling `ready` whenever the pod is seen Ready meanwhile.
async fn watch_pod(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    uid: &str,
    mut ready: impl FnMut(),
) -> String {
    use kube::runtime::{watcher, WatchStreamExt};
    let forbidden = |e: &watcher::Error| match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => s.is_forbidden(),
        watcher::Error::WatchError(s) => s.is_forbidden(),
        _ => false,
    };
    let api: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher(api, config).default_backoff().boxed();
    let mut seen = false;
    // The first verdict of a (re)list, kept until the list is whole: nothing else is held.
    let mut init: Option<Result<bool, String>> = None;
    while let Some(e) = events.next().await {
        match e {
            Ok(watcher::Event::Apply(p)) => match takes(&p, name, uid) {
                Err(why) => return why,
                Ok(true) => ready(),
                Ok(false) => {}
            },
            Ok(watcher::Event::Delete(p)) if p.metadata.uid.as_deref() == Some(uid) => {
                return format!("the pod {name} was deleted");
            }
            Ok(watcher::Event::Init) => {
                init = None;
                seen = false;
            }
            Ok(watcher::Event::InitApply(p)) => {
                seen = true;
                if !matches!(init, Some(Err(_))) {
                    init = Some(takes(&p, name, uid));
                }
            }
            Ok(watcher::Event::InitDone) => {
                if !seen {
                    return format!("the pod {name} was deleted");
                }
                match init.take() {
                    Some(Err(why)) => return why,
                    Some(Ok(true)) => ready(),
                    Some(Ok(false)) | None => {}
                }
            }
            Err(e) if forbidden(&e) => {
                tracing::debug!(
                    "pods may not be listed or watched here: the pod is looked at instead"
                );
                return until_gone_polled(client, namespace, name, uid, ready).await;
            }
            Ok(_) | Err(_) => {}
        }
    }
    format!("the watch of the pod {name} ended")
}

/// [`watch_pod`] by a `get` of the pod every [`GONE_POLL`] ([`gone_now`]'s verdict).
async fn until_gone_polled(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    uid: &str,
    mut ready: impl FnMut(),
) -> String {
    loop {
        match look(client, namespace, name, uid, Tuning::default()).await {
            Some(Err(why)) => return why,
            Some(Ok(true)) => ready(),
            Some(Ok(false)) | None => {}
        }
        tokio::time::sleep(GONE_POLL).await;
    }
}

/// How the pod's direction ended.
enum Down {
    /// The server closed the WebSocket (the pod's side ended, or the node's error was said).
    Closed,
    /// The local client is gone: writing to it failed.
    LocalGone,
}

async fn pipe<S>(
    ws: S,
    local: TcpStream,
    port: u16,
    tuning: Tuning,
) -> Result<Carried, ForwardError>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
        + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let (mut rd, mut wr) = local.into_split();
    let started = Instant::now();
    let since_start = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // When a frame last came in (ms since `started`): pings and the linger read it.
    let last_in = AtomicU64::new(0);
    let quiet = |last: &AtomicU64| {
        Duration::from_millis(since_start().saturating_sub(last.load(Ordering::Relaxed)))
    };
    let mut error = Vec::new();
    let mut carried = Carried::default();
    let result = {
        let received = &mut carried.received;
        let error = &mut error;
        let last_in = &last_in;
        let down = async move {
            // The first message of each channel names the port.
            let mut named = [false; 2];
            loop {
                let next = match tokio::time::timeout(tuning.read_deadline, stream.next()).await {
                    Ok(n) => n,
                    Err(_) => return Err(ForwardError::Deadline(tuning.read_deadline.as_secs())),
                };
                last_in.store(since_start(), Ordering::Relaxed);
                let data = match next {
                    None | Some(Ok(Message::Close(_))) => return Ok(Down::Closed),
                    Some(Err(e)) => {
                        return Err(ForwardError::Transport {
                            cause: Break::of(&e),
                            source: e,
                        })
                    }
                    Some(Ok(Message::Binary(d))) => d,
                    Some(Ok(_)) => continue,
                };
                let Some((&channel, mut rest)) = data.split_first() else {
                    continue;
                };
                let Some(seen) = named.get_mut(usize::from(channel)) else {
                    continue;
                };
                if !*seen {
                    if rest.len() < 2 {
                        return Err(ForwardError::Protocol(
                            "a channel's first message does not name its port",
                        ));
                    }
                    if u16::from_le_bytes([rest[0], rest[1]]) != port {
                        return Err(ForwardError::Protocol(
                            "a channel names another port than the one asked for",
                        ));
                    }
                    *seen = true;
                    rest = &rest[2..];
                }
                if rest.is_empty() {
                    continue;
                }
                if channel == 0 {
                    if wr.write_all(rest).await.is_err() {
                        return Ok(Down::LocalGone);
                    }
                    *received += rest.len() as u64;
                } else {
                    let room = MAX_ERROR.saturating_sub(error.len());
                    error.extend_from_slice(&rest[..rest.len().min(room)]);
                }
            }
        };
        let sent = &mut carried.sent;
        let up = async move {
            let mut buf = vec![0u8; READ];
            let mut ticker =
                tokio::time::interval(tuning.ping_every.max(Duration::from_millis(100)));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    r = rd.read(&mut buf[1..]) => match r {
                        Ok(0) => return Ok(sink),
                        Err(e) => return Err(ForwardError::Local(e)),
                        Ok(n) => {
                            let frame = bytes::Bytes::copy_from_slice(&buf[..=n]);
                            if let Err(e) = sink.send(Message::Binary(frame)).await {
                                return Err(ForwardError::Transport { cause: Break::of(&e), source: e });
                            }
                            *sent += n as u64;
                        }
                    },
                    _ = ticker.tick() => {
                        if quiet(last_in) >= tuning.ping_every {
                            if let Err(e) = sink.send(Message::Ping(Default::default())).await {
                                return Err(ForwardError::Transport { cause: Break::of(&e), source: e });
                            }
                        }
                    }
                }
            }
        };
        tokio::pin!(down, up);
        tokio::select! {
            d = &mut down => d.map(|_| ()),
            u = &mut up => match u {
                Err(e) => Err(e),
                Ok(mut sink) => {
                    // The local client is done sending: the pod's answer still comes through,
                    // until the pod ends its side or stays quiet for LINGER from now.
                    last_in.store(since_start(), Ordering::Relaxed);
                    let linger = loop {
                        tokio::select! {
                            d = &mut down => break d.map(|_| ()),
                            _ = tokio::time::sleep(LINGER / 5) => {
                                if quiet(last_in) >= LINGER {
                                    break Ok(());
                                }
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
                    linger
                }
            }
        }
    };
    if !error.is_empty() {
        return Err(ForwardError::Unreachable {
            port,
            message: text::shown(String::from_utf8_lossy(&error).trim()),
        });
    }
    result.map(|()| carried)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_services_ports_become_its_pods_as_kubectl_translates_them() {
        let svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "web" },
            "spec": { "selector": { "app": "web" }, "ports": [
                { "name": "http", "port": 80, "targetPort": "web" },
                { "name": "metrics", "port": 9100, "targetPort": 9101 },
                { "name": "plain", "port": 7000 },
            ] },
        }))
        .expect("service");
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "web-1" },
            "spec": { "containers": [{ "name": "c", "ports": [{ "name": "web", "containerPort": 8080 }] }] },
        }))
        .expect("pod");
        let specs = |list: &[&str]| {
            list.iter()
                .map(|p| PortSpec::parse(p).expect("spec"))
                .collect::<Vec<_>>()
        };
        let out = |s: PortSpec| (s.local_for(0), s.remote);
        let got: Vec<_> = service_specs(
            &svc,
            &pod,
            &specs(&["80", "http", "5000:metrics", ":9100", "7000"]),
        )
        .expect("translated")
        .into_iter()
        .map(out)
        .collect();
        assert_eq!(
            got,
            vec![
                // A port alone listens on the Service's port; the pod's is its target.
                (80, RemotePort::Number(8080)),
                (80, RemotePort::Number(8080)),
                (5000, RemotePort::Number(9101)),
                (0, RemotePort::Number(9101)),
                // No targetPort: the same number.
                (7000, RemotePort::Number(7000)),
            ]
        );
        let e = |list: &[&str]| {
            service_specs(&svc, &pod, &specs(list))
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            e(&["8080:81"]),
            "Service web does not have a service port 81"
        );
        // Names are looked up for every spec before any number is: kubectl's order.
        assert_eq!(
            e(&["1:81", "1:grpc"]),
            "Service 'web' does not have a named port 'grpc'"
        );
        let mut udp = svc.clone();
        if let Some(p) = udp.spec.as_mut().and_then(|s| s.ports.as_mut()) {
            p[1].protocol = Some("UDP".into());
        }
        assert_eq!(
            service_specs(&udp, &pod, &specs(&["metrics"]))
                .expect_err("udp")
                .to_string(),
            "UDP protocol is not supported for metrics"
        );
        // kube-dns serves 53 over UDP and TCP: kubectl refuses only a number no TCP port has,
        // whichever of the two names is asked.
        let dns: Service = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "kube-dns" },
            "spec": { "selector": { "k8s-app": "kube-dns" }, "ports": [
                { "name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53 },
                { "name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53 },
                { "name": "only-udp", "port": 5353, "protocol": "UDP" },
            ] },
        }))
        .expect("service");
        for asked in ["dns-tcp", "dns", "53"] {
            let got = service_specs(&dns, &pod, &specs(&[asked])).expect(asked);
            assert_eq!(got[0].remote, RemotePort::Number(53), "{asked}");
        }
        assert_eq!(
            service_specs(&dns, &pod, &specs(&["only-udp"]))
                .expect_err("udp only")
                .to_string(),
            "UDP protocol is not supported for only-udp"
        );
        assert_eq!(
            e(&["grpc"]),
            "Service 'web' does not have a named port 'grpc'"
        );
        // A target the pod does not declare: the pod's words.
        let bare: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "web-2" }, "spec": { "containers": [{ "name": "c" }] },
        }))
        .expect("pod");
        assert_eq!(
            service_specs(&svc, &bare, &specs(&["80"]))
                .expect_err("no such port")
                .to_string(),
            "Pod 'web-2' does not have a named port 'web'"
        );
        // Headless: the port as it is, whatever the target says.
        let mut headless = svc.clone();
        if let Some(s) = headless.spec.as_mut() {
            s.cluster_ip = Some("None".into());
        }
        let got = service_specs(&headless, &bare, &specs(&["80"])).expect("headless");
        assert_eq!(got[0].remote, RemotePort::Number(80));
    }

    /// A forward keeps of its Service what translating its port needs, not what a server
    /// piles on it; translated the same.
    #[test]
    fn a_forward_keeps_only_its_services_name_and_ports() {
        let svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": "web",
                "annotations": { "big": "x".repeat(200_000) },
                "managedFields": [{ "manager": "kubectl", "operation": "Apply" }],
            },
            "spec": { "selector": { "app": "web" }, "clusterIP": "None", "ports": [
                { "name": "http", "port": 80, "targetPort": "web" },
            ] },
            "status": { "loadBalancer": {} },
        }))
        .expect("service");
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "web-1" },
            "spec": { "containers": [{ "name": "c", "ports": [{ "name": "web", "containerPort": 8080 }] }] },
        }))
        .expect("pod");
        let asked = [PortSpec::parse("http").expect("spec")];
        let before = service_specs(&svc, &pod, &asked).expect("translated");
        let small = kept(svc);
        let size = serde_json::to_vec(&*small).expect("json").len();
        assert!(size < 300, "kept {size} bytes of the Service");
        assert!(small.metadata.annotations.is_none() && small.metadata.managed_fields.is_none());
        assert!(small.status.is_none());
        assert_eq!(small.metadata.name.as_deref(), Some("web"));
        assert_eq!(
            service_specs(&small, &pod, &asked).expect("translated"),
            before
        );
    }

    #[test]
    fn a_browser_opens_a_forward_over_tls_when_its_port_says_so() {
        assert_eq!(browser_url(8080, 80, None), "http://127.0.0.1:8080/");
        assert_eq!(
            browser_url(8080, 80, Some("http")),
            "http://127.0.0.1:8080/"
        );
        for (remote, name) in [
            (443, None),
            (8443, None),
            (9000, Some("https")),
            (9000, Some("https-admin")),
            (9000, Some("web-https")),
        ] {
            assert_eq!(
                browser_url(40000, remote, name),
                "https://127.0.0.1:40000/",
                "{remote} {name:?}"
            );
        }
    }

    /// A pod of a workload: `ready`, created `age` seconds before a fixed time, `deleting`.
    fn member(name: &str, uid: &str, age: i64, ready: bool, deleting: bool) -> Pod {
        let t = 3599 - age;
        let created = format!("2026-01-01T00:{:02}:{:02}Z", t / 60, t % 60);
        let mut meta = serde_json::json!({
            "name": name, "uid": uid, "creationTimestamp": created,
        });
        if deleting {
            meta["deletionTimestamp"] = serde_json::json!(created);
        }
        serde_json::from_value(serde_json::json!({
            "metadata": meta,
            "spec": { "containers": [{ "name": "app" }] },
            "status": {
                "phase": "Running",
                "conditions": [{ "type": "Ready", "status": if ready { "True" } else { "False" } }],
                "containerStatuses": [{
                    "name": "app", "ready": ready, "restartCount": 0, "image": "i", "imageID": "",
                    "state": { "running": {} },
                }],
            },
        }))
        .expect("pod")
    }

    #[test]
    fn a_followed_forward_moves_to_the_newest_ready_pod_and_a_statefulset_to_its_namesake() {
        let name = |r: Result<Pod, String>| r.map(|p| p.metadata.name.unwrap_or_default());
        // A Deployment's rollout: the newest Ready pod, never the one that went, nor one
        // terminating or not Ready.
        let pods = vec![
            member("web-old", "u1", 10, true, true),
            member("web-a", "u2", 300, true, false),
            member("web-b", "u3", 60, true, false),
            member("web-c", "u4", 5, false, false),
        ];
        assert_eq!(name(pick_next(pods, None, "u1", false)), Ok("web-b".into()));
        let gone_only = vec![member("web-old", "u1", 10, true, false)];
        assert_eq!(
            name(pick_next(gone_only, None, "u1", false)),
            Err("no other pod".into())
        );
        // A StatefulSet's db-0 made again: the new db-0 once Ready, never db-1 (newer or not).
        let pods = vec![
            member("db-1", "u5", 1, true, false),
            member("db-0", "u6", 2, false, false),
        ];
        let waiting = pick_next(pods, Some("db-0"), "u0", false).expect_err("not Ready yet");
        assert!(waiting.starts_with("db-0 ("), "{waiting}");
        let pods = vec![
            member("db-1", "u5", 1, true, false),
            member("db-0", "u0", 100, true, false),
        ];
        assert_eq!(
            name(pick_next(pods, Some("db-0"), "u0", false)),
            Err("no pod db-0 yet".into())
        );
        let pods = vec![
            member("db-1", "u5", 1, true, false),
            member("db-0", "u6", 2, true, false),
        ];
        assert_eq!(
            name(pick_next(pods, Some("db-0"), "u0", false)),
            Ok("db-0".into())
        );
        // A forward that started on a pod not Ready: with none Ready, one that runs at once
        // (never one terminating, nor the one that went); one that started Ready waits.
        let pods = vec![
            member("web-old", "u1", 10, false, false),
            member("web-going", "u2", 20, false, true),
            member("web-d", "u3", 30, false, false),
        ];
        assert!(pick_next(pods.clone(), None, "u1", false).is_err());
        assert_eq!(name(pick_next(pods, None, "u1", true)), Ok("web-d".into()));
        // A Ready one still first.
        let pods = vec![
            member("web-d", "u3", 30, false, false),
            member("web-e", "u4", 300, true, false),
        ];
        assert_eq!(name(pick_next(pods, None, "u1", true)), Ok("web-e".into()));
    }

    #[test]
    fn port_specs_read_as_kubectl_reads_them() {
        let n = |l, r, same| PortSpec {
            local: l,
            remote: RemotePort::Number(r),
            same,
        };
        assert_eq!(PortSpec::parse("8080:80").ok(), Some(n(8080, 80, false)));
        assert_eq!(PortSpec::parse(":80").ok(), Some(n(0, 80, false)));
        assert_eq!(PortSpec::parse("5432").ok(), Some(n(5432, 5432, true)));
        assert_eq!(
            PortSpec::parse("8080:http").ok(),
            Some(PortSpec {
                local: 8080,
                remote: RemotePort::Name("http".into()),
                same: false,
            })
        );
        // A name alone: the container port's number on both sides, as kubectl does it.
        let alone = PortSpec::parse("http").expect("a name alone");
        assert_eq!((alone.same, alone.local_for(8080)), (true, 8080));
        assert_eq!(
            PortSpec::parse(":http").map(|s| s.local_for(8080)).ok(),
            Some(0)
        );
        for bad in ["", "x:80", "8080:0", "70000:80", "1:2:3", "8080:"] {
            let e = PortSpec::parse(bad).expect_err(bad);
            assert!(matches!(e, ForwardError::BadSpec(_)), "{bad}: {e}");
        }
        assert_eq!(
            PortSpec::parse("x:80")
                .map_err(|e| e.to_string())
                .err()
                .as_deref(),
            Some("error parsing local port 'x': a port is a number from 1 to 65535")
        );
    }

    #[test]
    fn addresses_read_as_kubectl_reads_them() {
        let a = addresses(&["localhost".into()]).expect("localhost");
        assert_eq!(
            a,
            vec![
                (IpAddr::from([127, 0, 0, 1]), false),
                (IpAddr::from(std::net::Ipv6Addr::LOCALHOST), false)
            ]
        );
        let a = addresses(&["127.0.0.1,0.0.0.0".into()]).expect("list");
        assert_eq!(a.len(), 2);
        assert!(a.iter().all(|(_, required)| *required));
        // Named twice: one listener, required; IPv4 before IPv6.
        let a = addresses(&["::1,localhost,127.0.0.1".into()]).expect("merged");
        assert_eq!(
            a,
            vec![
                (IpAddr::from([127, 0, 0, 1]), true),
                (IpAddr::from(std::net::Ipv6Addr::LOCALHOST), true)
            ]
        );
        assert!(matches!(
            addresses(&["example.com".into()]),
            Err(ForwardError::BadSpec(_))
        ));
    }

    #[tokio::test]
    async fn one_free_port_is_the_same_on_every_address() {
        let ls = listen(&addresses(&["localhost".into()]).expect("a"), 0)
            .await
            .expect("listen");
        let ports: Vec<u16> = ls
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .map(|a| a.port())
            .collect();
        assert!(!ports.is_empty());
        assert!(ports.iter().all(|p| *p == ports[0] && *p != 0), "{ports:?}");
        // A taken port on a required address is refused with the OS's reason.
        let taken = ports[0];
        let e = listen(&[(IpAddr::from([127, 0, 0, 1]), true)], taken)
            .await
            .expect_err("taken");
        assert!(matches!(e, ForwardError::Listen(_)), "{e}");
    }

    #[test]
    fn named_ports_are_found_in_the_containers() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "web-1" },
            "spec": { "containers": [
                { "name": "a", "ports": [{ "name": "metrics", "containerPort": 9090 }] },
                { "name": "b", "ports": [{ "name": "http", "containerPort": 8080 }] },
            ]},
        }))
        .expect("pod");
        let spec = PortSpec::parse("1234:http").expect("spec");
        assert_eq!(spec.remote_in(&pod).ok(), Some(8080));
        let e = PortSpec::parse("1234:grpc")
            .expect("spec")
            .remote_in(&pod)
            .expect_err("no grpc");
        assert_eq!(
            e.to_string(),
            "Pod 'web-1' does not have a named port 'grpc'"
        );
    }
}
