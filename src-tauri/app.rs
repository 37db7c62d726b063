//! The app's state behind the commands: profiles (saved ones and the in-memory Demo ones),
//! a client per profile, and the registries of open sessions and pod watches, keyed by id.
//!
//! Nothing here knows about Tauri: outputs go to plain closures, so tests drive the same code
//! the commands call, without a window. Nothing here speaks Kubernetes either: that is
//! podterm-core's (clients, pods, exec sessions, flow control, the pod watch).

use crate::demo::Demo;
use crate::ipc::{
    OpenSessionRequest, PodEvent, ProfileDetails, ProfileInput, ProfileSummary, SessionState,
    WatchStatus,
};
use bytes::Bytes;
use futures_util::StreamExt;
use podterm_core::browse::{self, WatchEvent};
use podterm_core::cluster::{self, Cluster};
use podterm_core::flow::{Credit, FlowConfig};
use podterm_core::import::{self, ImportOptions};
use podterm_core::manual::{self, ManualProfile};
use podterm_core::profiles::{Profile, ProfileStore};
use podterm_core::terminal::{self, Control, TerminalEnd, TerminalRequest};
use podterm_core::vault::Secret;
use podterm_core::vault::Vault;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Where the app keeps things; from the environment in the real app, explicit in tests.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The profile store's directory; `None`: `PODTERM_CONFIG_DIR`, else the OS config dir.
    pub profiles_dir: Option<PathBuf>,
    /// Open the Demo cluster's fault-control port here (loopback; for end-to-end tests). Only
    /// with the `test-fixtures` feature: a release app has no fault controls.
    #[cfg(feature = "test-fixtures")]
    pub demo_admin: Option<std::net::SocketAddr>,
}

/// Environment variable: the Demo cluster's admin port (`127.0.0.1:PORT`), for e2e tests.
#[cfg(feature = "test-fixtures")]
pub const DEMO_ADMIN_ENV: &str = "PODTERM_DEMO_ADMIN";

impl Config {
    pub fn from_env() -> Self {
        Config {
            profiles_dir: None,
            #[cfg(feature = "test-fixtures")]
            demo_admin: demo_admin_from_env(),
        }
    }
}

#[cfg(feature = "test-fixtures")]
fn demo_admin_from_env() -> Option<std::net::SocketAddr> {
    std::env::var(DEMO_ADMIN_ENV).ok().and_then(|v| {
        match v.parse::<std::net::SocketAddr>() {
            Ok(a) if a.ip().is_loopback() => Some(a),
            _ => {
                tracing::warn!("{DEMO_ADMIN_ENV}={v:?} ignored: give a loopback address such as 127.0.0.1:7443");
                None
            }
        }
    })
}

struct SessionEntry {
    control: mpsc::UnboundedSender<Control>,
    credit: Credit,
    task: Option<AbortHandle>,
}

/// The app state. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    rt: Handle,
    store: Result<ProfileStore, String>,
    /// The OS keyring, opened on first need (a later call retries after a failure).
    keyring: Mutex<Option<Vault>>,
    demo: Demo,
    clients: Mutex<HashMap<String, Cluster>>,
    sessions: Mutex<HashMap<u32, SessionEntry>>,
    watches: Mutex<HashMap<u32, AbortHandle>>,
    next_id: AtomicU32,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Adds what to do when a saved profile's credentials were refused.
pub fn explain(profile: &str, message: String) -> String {
    if message.starts_with("You must be logged in") {
        format!(
            "{message}: the cluster refused the credentials of profile \"{profile}\" (401); the token may be revoked or expired: import the profile again"
        )
    } else {
        message
    }
}

impl App {
    /// `rt` runs the sessions and watches (Tauri's runtime in the app).
    pub fn new(rt: Handle, config: Config) -> Self {
        let store = match &config.profiles_dir {
            Some(dir) => Ok(ProfileStore::open(dir.clone())),
            None => ProfileStore::open_default().map_err(|e| e.to_string()),
        };
        let demo = Demo::new();
        #[cfg(feature = "test-fixtures")]
        let demo = demo.with_admin(config.demo_admin);
        App {
            inner: Arc::new(Inner {
                rt,
                store,
                keyring: Mutex::new(None),
                demo,
                clients: Mutex::new(HashMap::new()),
                sessions: Mutex::new(HashMap::new()),
                watches: Mutex::new(HashMap::new()),
                next_id: AtomicU32::new(1),
            }),
        }
    }

    /// The config directory (profiles, favourites, settings), if there is one.
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.store().ok().map(|s| s.dir().to_path_buf())
    }

    pub(crate) fn store(&self) -> Result<&ProfileStore, String> {
        self.inner.store.as_ref().map_err(Clone::clone)
    }

    fn keyring(&self) -> Result<Vault, String> {
        let mut k = lock(&self.inner.keyring);
        if let Some(v) = &*k {
            return Ok(v.clone());
        }
        let v = Vault::os().map_err(|e| e.to_string())?;
        *k = Some(v.clone());
        Ok(v)
    }

    fn next_id(&self) -> u32 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn forget_client(&self, name: &str) {
        lock(&self.inner.clients).remove(name);
    }

    // --- profiles ------------------------------------------------------------------------

    /// The Demo profiles (once started), then the saved ones.
    pub fn list_profiles(&self) -> Result<Vec<ProfileSummary>, String> {
        let mut out: Vec<ProfileSummary> = self
            .inner
            .demo
            .profiles()
            .iter()
            .map(ProfileSummary::from)
            .collect();
        let saved = self.store()?.list().map_err(|e| e.to_string())?;
        out.extend(saved.iter().map(ProfileSummary::from));
        Ok(out)
    }

    /// Imports kubeconfig contexts (the file given, else `KUBECONFIG`, else `~/.kube/config`;
    /// the context given, every one, or the current one); secrets go to the OS keyring.
    pub async fn import_kubeconfig(
        &self,
        path: Option<String>,
        context: Option<String>,
        all: bool,
    ) -> Result<Vec<ProfileSummary>, String> {
        let opts = ImportOptions {
            kubeconfig: path.filter(|p| !p.is_empty()).map(PathBuf::from),
            context: context.filter(|c| !c.is_empty()),
            all,
        };
        let store = self.store()?;
        let vault = self.keyring()?;
        let saved = import::import(&opts, store, &vault)
            .await
            .map_err(|e| e.to_string())?;
        for p in &saved {
            self.forget_client(&p.name);
        }
        Ok(saved.iter().map(ProfileSummary::from).collect())
    }

    /// A saved profile's settings for the edit form (no secret).
    pub fn profile_details(&self, name: &str) -> Result<ProfileDetails, String> {
        match self.store()?.get(name).map_err(|e| e.to_string())? {
            Some(p) => Ok(ProfileDetails::from(&p)),
            None if self.inner.demo.profile(name).is_some() => Err(format!(
                "\"{name}\" is the built-in Demo cluster: it cannot be edited"
            )),
            None => Err(format!(
                "no profile named \"{name}\": it may have been deleted"
            )),
        }
    }

    /// Adds or edits a profile typed by hand; a token goes to the OS keyring.
    pub async fn save_profile(&self, input: ProfileInput) -> Result<ProfileSummary, String> {
        let manual = ManualProfile {
            original: input.original,
            name: input.name,
            server: input.server,
            namespace: input.namespace,
            ca_pem: input.ca_pem,
            insecure: input.insecure,
            token: input.token.map(Secret::new),
        };
        if self.inner.demo.profile(manual.name.trim()).is_some() {
            return Err(format!(
                "\"{}\" is the built-in Demo cluster's name: pick another",
                manual.name.trim()
            ));
        }
        let store = self.store()?;
        let vault = if manual.token.is_some() {
            self.keyring()?
        } else {
            Vault::memory()
        };
        let saved = manual::save(&manual, store, &vault)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(o) = &manual.original {
            self.forget_client(o);
        }
        self.forget_client(&saved.name);
        Ok(ProfileSummary::from(&saved))
    }

    /// Deletes a profile and its keyring entries (a Demo profile is only forgotten).
    pub async fn delete_profile(&self, name: &str) -> Result<(), String> {
        self.forget_client(name);
        if self.inner.demo.forget(name) {
            return Ok(());
        }
        let store = self.store()?;
        let Some(p) = store.get(name).map_err(|e| e.to_string())? else {
            return Err(format!("no profile named \"{name}\""));
        };
        let fields = p.secret_fields();
        if !fields.is_empty() {
            let vault = self.keyring()?;
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            vault
                .delete_profile(&p.id, &fields)
                .await
                .map_err(|e| e.to_string())?;
        }
        store.remove(name).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Starts the Demo cluster (once) and returns its profile.
    pub async fn demo_profile(&self) -> Result<ProfileSummary, String> {
        let p = self.inner.demo.start().await?;
        Ok(ProfileSummary::from(&p))
    }

    /// The Demo cluster, when it runs (tests use its fault controls).
    pub async fn with_demo_cluster<R>(
        &self,
        f: impl FnOnce(&testcluster::TestCluster) -> R,
    ) -> Option<R> {
        self.inner.demo.with_cluster(f).await
    }

    /// A client for a profile (made once, then reused).
    pub(crate) async fn cluster(&self, name: &str) -> Result<Cluster, String> {
        if let Some(c) = lock(&self.inner.clients).get(name) {
            return Ok(c.clone());
        }
        // A favourite of the Demo cluster, opened after a restart: the Demo starts on request.
        if (name == crate::demo::DEMO_NAME || name == crate::demo::DEMO_VIEWER_NAME)
            && self.inner.demo.profile(name).is_none()
        {
            self.inner.demo.start().await?;
        }
        let (profile, vault) = self.profile(name)?;
        // connect_profile's future is not Send (oidc::refresh keeps a form_urlencoded
        // Serializer across an await), so it runs to completion on a blocking thread.
        let rt = self.inner.rt.clone();
        let c = self
            .inner
            .rt
            .spawn_blocking(move || rt.block_on(cluster::connect_saved(&profile, &vault)))
            .await
            .map_err(|e| format!("connecting to the cluster failed: {e}"))?
            .map_err(|e| e.to_string())?;
        lock(&self.inner.clients).insert(name.to_string(), c.clone());
        Ok(c)
    }

    /// A profile by name and the vault holding its secrets.
    fn profile(&self, name: &str) -> Result<(Profile, Vault), String> {
        if let Some(found) = self.inner.demo.profile(name) {
            return Ok(found);
        }
        let store = self.store()?;
        let Some(p) = store.get(name).map_err(|e| e.to_string())? else {
            return Err(format!(
                "no profile named \"{name}\": it may have been deleted; pick another one or import it again"
            ));
        };
        // A profile without stored secrets (token file, key file) needs no keyring.
        let vault = if p.secret_fields().is_empty() {
            Vault::memory()
        } else {
            self.keyring()?
        };
        Ok((p, vault))
    }

    // --- browsing ------------------------------------------------------------------------

    /// The namespaces (the profile's own alone when it may not list them).
    pub async fn list_namespaces(&self, profile: &str) -> Result<Vec<String>, String> {
        let c = self.cluster(profile).await?;
        browse::namespaces(&c.client, &c.namespace)
            .await
            .map_err(|e| explain(profile, e.to_string()))
    }

    /// Starts a live pod list; the first list's failure is the error. `sink` gets every change
    /// and returns false once nobody listens.
    pub async fn watch_pods(
        &self,
        profile: &str,
        namespace: &str,
        mut sink: impl FnMut(PodEvent) -> bool + Send + 'static,
        status: impl Fn(WatchStatus) + Send + 'static,
    ) -> Result<u32, String> {
        let c = self.cluster(profile).await?;
        let ns = if namespace.is_empty() {
            c.namespace.as_str()
        } else {
            namespace
        };
        let changes = browse::watch_pods(&c.client, ns)
            .await
            .map_err(|e| explain(profile, e.to_string()))?;
        let id = self.next_id();
        let app = self.clone();
        let profile = profile.to_string();
        let mut watches = lock(&self.inner.watches);
        let task = self.inner.rt.spawn(async move {
            let mut changes = std::pin::pin!(changes);
            while let Some(event) = changes.next().await {
                match event {
                    WatchEvent::Change(change) => {
                        if !sink(change.into()) {
                            break;
                        }
                    }
                    WatchEvent::Broken(reason) => status(WatchStatus::Broken {
                        reason: explain(&profile, reason),
                    }),
                    WatchEvent::Resumed => status(WatchStatus::Live),
                }
            }
            lock(&app.inner.watches).remove(&id);
        });
        watches.insert(id, task.abort_handle());
        Ok(id)
    }

    pub fn stop_watch(&self, id: u32) {
        if let Some(t) = lock(&self.inner.watches).remove(&id) {
            t.abort();
        }
    }

    // --- sessions ------------------------------------------------------------------------

    /// Opens a TTY exec session and returns its id at once. `state` gets `connecting`,
    /// `connected`, then one final state; `output` gets the coalesced output while the UI's
    /// acknowledgements ([`App::ack`]) allow, and returns false once nobody listens.
    pub fn open_session(
        &self,
        req: OpenSessionRequest,
        output: impl FnMut(Bytes) -> bool + Send + 'static,
        state: impl Fn(SessionState) + Send + Sync + 'static,
    ) -> u32 {
        let id = self.next_id();
        let flow_cfg = FlowConfig::default();
        let credit = Credit::new(&flow_cfg);
        let (tx, rx) = mpsc::unbounded_channel();
        // Registered before the task starts, so it can always remove itself.
        let mut sessions = lock(&self.inner.sessions);
        sessions.insert(
            id,
            SessionEntry {
                control: tx,
                credit: credit.clone(),
                task: None,
            },
        );
        let app = self.clone();
        let task = self.inner.rt.spawn(async move {
            state(SessionState::Connecting);
            let end = app
                .run_session(req, rx, credit, flow_cfg, output, &state)
                .await;
            lock(&app.inner.sessions).remove(&id);
            state(end);
        });
        if let Some(e) = sessions.get_mut(&id) {
            e.task = Some(task.abort_handle());
        }
        id
    }

    async fn run_session(
        &self,
        req: OpenSessionRequest,
        control: mpsc::UnboundedReceiver<Control>,
        credit: Credit,
        flow_cfg: FlowConfig,
        output: impl FnMut(Bytes) -> bool + Send + 'static,
        state: &(impl Fn(SessionState) + Send + Sync),
    ) -> SessionState {
        let lost = |reason: String| SessionState::Lost {
            reason: explain(&req.profile, reason),
        };
        let c = match self.cluster(&req.profile).await {
            Ok(c) => c,
            Err(e) => return lost(e),
        };
        let terminal = TerminalRequest {
            namespace: req.namespace.clone(),
            pod: req.pod.clone(),
            container: req.container.clone(),
            command: req.command.clone(),
            cols: req.cols,
            rows: req.rows,
        };
        let connected = || state(SessionState::Connected);
        match terminal::run(&c, &terminal, control, credit, flow_cfg, output, connected).await {
            TerminalEnd::Ended(r) => match SessionState::ended(r) {
                SessionState::Lost { reason } => lost(reason),
                other => other,
            },
            TerminalEnd::NotStarted(reason) | TerminalEnd::PodGone(reason) => lost(reason),
            TerminalEnd::UiGone => lost("the terminal was closed".into()),
        }
    }

    /// Keystrokes (or pasted text) for a session.
    pub fn send_input(&self, id: u32, data: Bytes) -> Result<(), String> {
        self.control(id, Control::Input(data))
    }

    pub fn resize(&self, id: u32, cols: u16, rows: u16) -> Result<(), String> {
        self.control(id, Control::Resize(cols.max(1), rows.max(1)))
    }

    fn control(&self, id: u32, c: Control) -> Result<(), String> {
        let sessions = lock(&self.inner.sessions);
        let sent = sessions.get(&id).map(|s| s.control.send(c).is_ok());
        match sent {
            Some(true) => Ok(()),
            _ => Err(format!("session {id} has ended")),
        }
    }

    /// The UI has rendered `bytes` more bytes of a session's output.
    pub fn ack(&self, id: u32, bytes: usize) {
        if let Some(s) = lock(&self.inner.sessions).get(&id) {
            s.credit.ack(bytes);
        }
    }

    /// Ends a session (its connection closes; the process in the pod ends with it).
    pub fn close_session(&self, id: u32) {
        if let Some(s) = lock(&self.inner.sessions).remove(&id) {
            if let Some(t) = s.task {
                t.abort();
            }
        }
    }

    /// Sessions open now.
    pub fn session_count(&self) -> usize {
        lock(&self.inner.sessions).len()
    }

    /// Ends every session and watch (the page was reloaded: nobody holds their ids any more).
    pub fn close_all(&self) {
        let sessions: Vec<SessionEntry> =
            lock(&self.inner.sessions).drain().map(|(_, s)| s).collect();
        for t in sessions.into_iter().filter_map(|s| s.task) {
            t.abort();
        }
        let watches: Vec<AbortHandle> = lock(&self.inner.watches).drain().map(|(_, w)| w).collect();
        for w in watches {
            w.abort();
        }
    }

    /// At exit: sessions, watches, and the Demo cluster with its processes.
    pub fn shutdown(&self) {
        self.close_all();
        self.inner.demo.stop();
    }
}
