//! testcluster: a Kubernetes API server stand-in that speaks the real wire protocol, for tests and
//! for Podterm's Demo profile. The real `kubectl` is its referee: everything here is checked by
//! running kubectl against it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), testcluster::Error> {
//! let cluster = testcluster::TestCluster::start(testcluster::Options::demo()).await?;
//! println!("KUBECONFIG={}", cluster.kubeconfig().display());
//! cluster.delete_pod("demo", "shell");
//! # Ok(()) }
//! ```

#[cfg(feature = "admin")]
mod admin;
mod api;
mod auth;
pub mod config;
mod create;
mod ephemeral;
mod events;
mod exec;
mod logapi;
mod logs;
mod nodes;
mod paging;
pub mod pki;
mod podproto;
mod podsecurity;
mod portforward;
pub mod process;
mod review;
mod runtime;
pub mod selector;
mod server;
mod services;
mod spdy;
mod store;

pub use config::{
    AuthKind, ClusterSpec, ContainerSpec, OwnerRef, Phase, PodSpec, WorkloadKind, WorkloadSpec,
};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Errors starting or restarting the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Pki(#[from] pki::PkiError),
    #[error(transparent)]
    Server(#[from] server::ServerError),
    #[error("cannot listen on {addr}: {source} (is another server using the port?)")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot prepare the state directory: {0}")]
    State(std::io::Error),
}

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct Options {
    pub spec: ClusterSpec,
    /// Where the API listens (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Where to write the kubeconfig; inside the state directory when `None`.
    pub kubeconfig: Option<PathBuf>,
    /// Where the plain-HTTP admin (fault control) port listens, if anywhere. Only with the
    /// `admin` feature (tests and `make demo-cluster`): a release app never carries it.
    #[cfg(feature = "admin")]
    pub admin: Option<SocketAddr>,
    /// How long an exec or attach asked for by kubectl waits before its process starts
    /// ([`KUBECTL_SETTLE`] by default; zero for a benchmark that times kubectl's start).
    pub kubectl_settle: Duration,
}

/// kubectl's WebSocket client (client-go's `remotecommand`) starts reading the connection
/// before it has registered its streams, and drops what arrives for a stream not yet
/// registered ("Unknown stream id 1, discarding message"). A real node takes tens of
/// milliseconds to start an exec's process, so kubectl is ready before the first byte comes;
/// this stand-in starts it within a millisecond, and a kubectl slowed by a busy machine lost
/// a short command's whole output. Waiting this long for kubectl alone keeps the referee
/// reliable and leaves every other client's timing as it was.
pub const KUBECTL_SETTLE: Duration = Duration::from_millis(100);

impl Options {
    /// The demo topology on a free loopback port, no admin port.
    pub fn demo() -> Self {
        Options {
            spec: ClusterSpec::demo(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            kubeconfig: None,
            #[cfg(feature = "admin")]
            admin: None,
            kubectl_settle: KUBECTL_SETTLE,
        }
    }
}

/// State every connection handler sees.
pub(crate) struct Shared {
    pub(crate) id: String,
    pub(crate) store: store::Store,
    pub(crate) users: std::sync::RwLock<Vec<auth::User>>,
    pub(crate) faults: Arc<server::Faults>,
    pub(crate) tasks: Arc<server::Tasks>,
    pub(crate) mains: runtime::Mains,
    pub(crate) logs: logs::Logs,
    pub(crate) events: events::Events,
    pub(crate) root: PathBuf,
    pub(crate) host_path: String,
    pub(crate) noshell_path: String,
    /// Whether `pods/{name}/ephemeralcontainers` is served.
    pub(crate) ephemeral_containers: bool,
    /// Namespaces whose Pod Security admission warns (`podsecurity`).
    pub(crate) pod_security_warn: Vec<String>,
    /// See [`Options::kubectl_settle`].
    pub(crate) kubectl_settle: Duration,
    /// Whether an ephemeral container's Running is reported
    /// ([`TestCluster::report_ephemeral_running`]).
    pub(crate) ephemeral_running_reported: std::sync::atomic::AtomicBool,
    port: AtomicU16,
    sessions: Arc<AtomicUsize>,
}

/// Counts a live exec/attach session until dropped.
pub(crate) struct SessionGuard(Arc<AtomicUsize>);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Shared {
    pub(crate) fn port(&self) -> u16 {
        self.port.load(Ordering::Relaxed)
    }

    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }

    pub(crate) fn session_started(&self) -> SessionGuard {
        self.sessions.fetch_add(1, Ordering::SeqCst);
        SessionGuard(self.sessions.clone())
    }
}

/// A running cluster. Dropping it stops the server and kills every process it started.
pub struct TestCluster {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    shared: Arc<Shared>,
    addr: SocketAddr,
    kubeconfig: PathBuf,
    ca_pem: String,
    tokens: Vec<(String, String)>,
    acceptor: tokio_rustls::TlsAcceptor,
    accept: Mutex<Option<tokio::task::JoinHandle<()>>>,
    #[cfg(feature = "admin")]
    admin: Mutex<Option<(SocketAddr, tokio::task::JoinHandle<()>)>>,
    _state: tempfile::TempDir,
}

impl TestCluster {
    /// Starts the server: certificates, kubeconfig, pods' main processes, listener.
    pub async fn start(opts: Options) -> Result<Self, Error> {
        opts.spec.validate()?;
        let state = tempfile::Builder::new()
            .prefix("testcluster-")
            .tempdir()
            .map_err(Error::State)?;
        let root = state.path().to_path_buf();
        let noshell = runtime::make_noshell_bin(&root).map_err(Error::State)?;
        let pod_bin = runtime::make_pod_bin(&root).map_err(Error::State)?;
        let pki = pki::Pki::generate()?;
        let id = format!("tc{:016x}", rand::random::<u64>());

        let mut users = Vec::new();
        let mut creds = Vec::new();
        let mut tokens = Vec::new();
        for u in &opts.spec.users {
            let token = match u.auth {
                AuthKind::Token => Some(
                    u.token
                        .clone()
                        .unwrap_or_else(|| format!("{}.{:032x}", u.name, rand::random::<u128>())),
                ),
                AuthKind::ClientCertificate => None,
            };
            let cred = match &token {
                Some(t) => {
                    tokens.push((u.name.clone(), t.clone()));
                    pki::Credential::Token(t.clone())
                }
                None => pki::Credential::Certificate(pki.client_cert(&u.name, &u.groups)?),
            };
            creds.push((u.name.clone(), cred));
            users.push(auth::User {
                name: u.name.clone(),
                kind: u.auth,
                token,
                rules: u.rules.clone(),
            });
        }

        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| Error::Listen {
                addr: opts.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Listen {
            addr: opts.listen,
            source,
        })?;
        let kubeconfig = opts
            .kubeconfig
            .clone()
            .unwrap_or_else(|| root.join("kubeconfig"));
        let url = format!("https://{addr}");
        pki::write_kubeconfig(
            &kubeconfig,
            &url,
            &pki.ca_pem,
            &opts.spec.default_namespace,
            &creds,
        )?;
        let acceptor = server::tls_acceptor(&pki)?;

        let shared = Arc::new(Shared {
            id,
            store: store::Store::new(&opts.spec),
            users: std::sync::RwLock::new(users),
            faults: Arc::new(server::Faults::default()),
            tasks: Arc::new(server::Tasks::default()),
            mains: runtime::Mains::default(),
            logs: logs::Logs::with_cap(opts.spec.log_cap_bytes.unwrap_or(logs::LOG_CAP)),
            events: events::Events::default(),
            root,
            host_path: format!(
                "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                pod_bin.display()
            ),
            noshell_path: noshell.display().to_string(),
            ephemeral_containers: opts.spec.ephemeral_containers,
            pod_security_warn: opts.spec.pod_security_warn.clone(),
            kubectl_settle: opts.kubectl_settle,
            ephemeral_running_reported: std::sync::atomic::AtomicBool::new(true),
            port: AtomicU16::new(addr.port()),
            sessions: Arc::new(AtomicUsize::new(0)),
        });
        for p in &opts.spec.pods {
            runtime::apply_pod(&shared, p.clone());
        }
        let accept = tokio::spawn(server::accept_loop(
            listener,
            shared.clone(),
            acceptor.clone(),
        ));
        let inner = Arc::new(Inner {
            shared,
            addr,
            kubeconfig,
            ca_pem: pki.ca_pem.clone(),
            tokens,
            acceptor,
            accept: Mutex::new(Some(accept)),
            #[cfg(feature = "admin")]
            admin: Mutex::new(None),
            _state: state,
        });
        #[cfg(feature = "admin")]
        if let Some(admin_addr) = opts.admin {
            let listener = tokio::net::TcpListener::bind(admin_addr)
                .await
                .map_err(|source| Error::Listen {
                    addr: admin_addr,
                    source,
                })?;
            let bound = listener.local_addr().map_err(|source| Error::Listen {
                addr: admin_addr,
                source,
            })?;
            let task = tokio::spawn(admin::serve(listener, Arc::downgrade(&inner)));
            *inner.admin.lock().unwrap_or_else(|p| p.into_inner()) = Some((bound, task));
        }
        Ok(TestCluster { inner })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.inner.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub fn kubeconfig(&self) -> &Path {
        &self.inner.kubeconfig
    }

    pub fn ca_pem(&self) -> &str {
        &self.inner.ca_pem
    }

    /// The value of `TESTCLUSTER_ID` in every process this cluster started.
    pub fn id(&self) -> &str {
        &self.inner.shared.id
    }

    /// A token user's bearer token, as written into the kubeconfig at start.
    pub fn token(&self, user: &str) -> Option<&str> {
        self.inner
            .tokens
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, t)| t.as_str())
    }

    /// Gives a token user a new token (`None`: no token works for it any more), as when a
    /// service-account token is revoked or rotated. False when there is no such token user.
    pub fn set_token(&self, user: &str, token: Option<&str>) -> bool {
        let mut users = self
            .inner
            .shared
            .users
            .write()
            .unwrap_or_else(|p| p.into_inner());
        match users
            .iter_mut()
            .find(|u| u.name == user && u.kind == AuthKind::Token)
        {
            Some(u) => {
                u.token = token.map(str::to_owned);
                true
            }
            None => false,
        }
    }

    /// `http://ADDR` of the admin port, when one was asked for.
    #[cfg(feature = "admin")]
    pub fn admin_url(&self) -> Option<String> {
        self.inner
            .admin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(a, _)| format!("http://{a}"))
    }

    /// Live processes started by this cluster (main processes and sessions).
    pub fn processes(&self) -> Vec<u32> {
        process::processes_with_env(process::CLUSTER_ENV, &self.inner.shared.id)
    }

    /// Exec and attach sessions open now.
    pub fn sessions(&self) -> usize {
        self.inner.shared.sessions.load(Ordering::SeqCst)
    }

    /// Adds a pod, or replaces the one of the same name (a rollout step).
    pub fn apply_pod(&self, spec: PodSpec) {
        self.inner.apply_pod(spec)
    }

    /// Adds a Service (its JSON, the namespace in its metadata), checked and defaulted as a
    /// `POST` would be; false when it is invalid or one of that name is there.
    pub fn apply_service(&self, svc: serde_json::Value) -> bool {
        services::stored(&self.inner.shared.store, svc).is_some()
    }

    /// Deletes a pod as a real cluster would: its sessions' processes are killed, their streams
    /// get a status and close, watchers see MODIFIED then DELETED. False when there is no such pod.
    pub fn delete_pod(&self, namespace: &str, name: &str) -> bool {
        self.inner.delete_pod(namespace, name)
    }

    /// Sets a pod's deletionTimestamp without removing it (a pod terminating during a rollout).
    pub fn mark_terminating(&self, namespace: &str, name: &str) -> bool {
        self.inner
            .shared
            .store
            .mark_terminating(namespace, name)
            .is_some()
    }

    /// Sets whether a pod is Ready.
    pub fn set_ready(&self, namespace: &str, name: &str, ready: bool) -> bool {
        self.inner.set_ready(namespace, name, ready)
    }

    /// Closes every open connection (API requests, watches, exec sessions).
    pub fn drop_connections(&self) {
        self.inner.drop_connections()
    }

    /// Stops (true) or resumes (false) reading and writing on every connection.
    pub fn set_stalled(&self, on: bool) {
        self.inner.shared.faults.set_stalled(on)
    }

    /// Lets the next `skip` requests through, then cuts `n`: each cut request's connection
    /// closes once the request is read, with no answer. `n` = 0 stops cutting.
    pub fn cut_requests(&self, skip: u64, n: u64) {
        self.inner.shared.faults.cut_requests(skip, n)
    }

    /// How many requests [`TestCluster::cut_requests`] has still to cut.
    pub fn cuts_left(&self) -> u64 {
        self.inner.shared.faults.cuts_left()
    }

    /// Holds (or lets go) every pod list's later pages (requests carrying `continue`): each
    /// waits, before it reads the store, until let go. A test changes the store between pages so.
    pub fn hold_later_pages(&self, on: bool) {
        self.inner.shared.faults.hold_pages(on)
    }

    /// Holds (or lets go) what every pod watch sends: its events wait, in order, until let go. A
    /// test changes pods so that a client's watch does not say it (a watch broken and not yet
    /// resumed, or a slow one).
    pub fn hold_pod_watches(&self, on: bool) {
        self.inner.shared.faults.hold_watches(on)
    }

    /// How many later pages [`TestCluster::hold_later_pages`] holds now.
    pub fn later_pages_held(&self) -> u64 {
        self.inner.shared.faults.pages_waiting()
    }

    /// Whether an ephemeral container started from now on reports Running (the default). Off, its
    /// status goes from waiting straight to Terminated, as a kubelet reports a command that
    /// ended between two of its status updates: a client finds it ended before it could attach,
    /// however slowly a loaded machine runs it.
    pub fn report_ephemeral_running(&self, on: bool) {
        self.inner
            .shared
            .ephemeral_running_reported
            .store(on, std::sync::atomic::Ordering::SeqCst)
    }

    /// Adds latency to every request and every exec output frame.
    pub fn set_latency(&self, d: Duration) {
        self.inner.shared.faults.set_latency(d)
    }

    /// Stops listening and drops every connection; pods keep running.
    pub async fn stop(&self) {
        self.inner.stop().await
    }

    /// Listens again on the same address, with the same certificates and tokens.
    pub async fn start_again(&self) -> Result<(), Error> {
        self.inner.start_again().await
    }

    /// `stop` then `start_again`.
    pub async fn restart(&self) -> Result<(), Error> {
        self.inner.stop().await;
        self.inner.start_again().await
    }
}

impl Inner {
    pub(crate) fn apply_pod(&self, spec: PodSpec) {
        runtime::apply_pod(&self.shared, spec);
    }

    pub(crate) fn delete_pod(&self, ns: &str, name: &str) -> bool {
        runtime::delete_pod(&self.shared, ns, name).is_some()
    }

    pub(crate) fn set_ready(&self, ns: &str, name: &str, ready: bool) -> bool {
        self.shared
            .store
            .update_pod(ns, name, |p| p.spec.ready = ready)
            .is_some()
    }

    pub(crate) fn drop_connections(&self) {
        self.shared.tasks.abort_all();
    }

    #[cfg(feature = "admin")]
    pub(crate) fn faults(&self) -> &server::Faults {
        &self.shared.faults
    }

    #[cfg(feature = "admin")]
    pub(crate) fn status_json(&self) -> serde_json::Value {
        serde_json::json!({
            "url": format!("https://{}", self.addr),
            "listening": self.accept.lock().unwrap_or_else(|p| p.into_inner()).is_some(),
            "sessions": self.shared.sessions.load(Ordering::SeqCst),
            "connections": self.shared.tasks.count(),
            "processes": process::processes_with_env(process::CLUSTER_ENV, &self.shared.id).len(),
            "stalled": self.shared.faults.stalled(),
            "latencyMs": self.shared.faults.latency().as_millis() as u64,
            "cutsLeft": self.shared.faults.cuts_left(),
        })
    }

    pub(crate) async fn stop(&self) {
        let task = self.accept.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = task {
            t.abort();
            let _ = t.await;
        }
        self.shared.tasks.abort_all();
    }

    pub(crate) async fn start_again(&self) -> Result<(), Error> {
        if self
            .accept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            return Ok(());
        }
        // The old socket may linger for a moment after the abort; retry briefly.
        let mut last = None;
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => {
                    let t = tokio::spawn(server::accept_loop(
                        l,
                        self.shared.clone(),
                        self.acceptor.clone(),
                    ));
                    *self.accept.lock().unwrap_or_else(|p| p.into_inner()) = Some(t);
                    return Ok(());
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        Err(Error::Listen {
            addr: self.addr,
            source: last.unwrap_or_else(|| std::io::Error::other("bind failed")),
        })
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(t) = self.accept.lock().unwrap_or_else(|p| p.into_inner()).take() {
            t.abort();
        }
        #[cfg(feature = "admin")]
        if let Some((_, t)) = self.admin.lock().unwrap_or_else(|p| p.into_inner()).take() {
            t.abort();
        }
        self.shared.tasks.abort_all();
        for pod in self.shared.store.pods() {
            pod.life.cancel();
        }
        process::sweep(process::CLUSTER_ENV, &self.shared.id);
    }
}
