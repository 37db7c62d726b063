//! Profiles: the saved ones (profiles.json, secrets in the OS keyring) and the in-memory Demo
//! ones, and a client per profile, made on first use and reused.

use super::lock;
use crate::demo::Demo;
use crate::error::{Error, Result};
use crate::ipc::{DebugPlan, ProfileDetails, ProfileSummary};
use podterm_core::browse;
use podterm_core::cluster::{self, Cluster};
use podterm_core::debug;
use podterm_core::import::{self, ImportOptions};
use podterm_core::manual::{self, ManualProfile};
use podterm_core::profiles::{Profile, ProfileError, ProfileStore};
use podterm_core::vault::Vault;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use tokio::sync::watch;

/// Where the app keeps things; from the environment in the real app, explicit in tests.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The profile store's directory; `None`: `PODTERM_CONFIG_DIR`, else the OS config dir.
    pub profiles_dir: Option<PathBuf>,
    /// Open the Demo cluster's fault-control port here (loopback; for end-to-end tests). Only
    /// with the `test-fixtures` feature: a release app has no fault controls.
    #[cfg(feature = "test-fixtures")]
    pub demo_admin: Option<std::net::SocketAddr>,
    /// How long a caller waits for a connect under way before another is begun; `None`:
    /// [`CONNECT_WAIT`] (tests shorten it).
    pub connect_wait: Option<std::time::Duration>,
}

/// Environment variable: the Demo cluster's admin port (`127.0.0.1:PORT`), for e2e tests.
#[cfg(feature = "test-fixtures")]
pub const DEMO_ADMIN_ENV: &str = "PODTERM_DEMO_ADMIN";

/// The profiles' clients, made once and reused.
#[derive(Default)]
struct Clients {
    made: HashMap<String, Cluster>,
    /// How many times each profile's client was forgotten (the profile edited, imported again or
    /// deleted): a connect under way as it was is not kept.
    forgotten: HashMap<String, u64>,
}

/// How long a caller waits for a connect under way to the same profile before it starts another
/// (which the later callers share): long enough for a credential plugin's browser login, short
/// enough that a connect that hangs (an identity provider that never answers) holds up the later
/// calls only so long.
pub const CONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// How a connect ended: its client, or its failure, given to every caller that waited for it.
type Outcome = std::result::Result<Cluster, Arc<Error>>;

/// A connect to a profile under way in a task of its own (a caller that goes away, a removed
/// forward, does not stop it), and its outcome once it has one.
type Attempt = watch::Receiver<Option<Outcome>>;

/// What a caller of [`Profiles::cluster`] found.
enum Joined {
    /// The profile's client, made already.
    Made(Cluster),
    /// The connect under way to wait for (begun by this caller or another).
    Waits(Attempt),
}

/// The outcome of `attempt`; `None`: its task ended without one (the runtime shutting down).
async fn outcome(mut attempt: Attempt) -> Option<Outcome> {
    let ended = attempt.wait_for(Option::is_some).await.ok()?;
    ended.clone()
}

/// The outcome of `attempt`, waited for at most `wait`; `None`: it took longer, or it has none.
async fn outcome_within(attempt: Attempt, wait: std::time::Duration) -> Option<Outcome> {
    tokio::time::timeout(wait, outcome(attempt))
        .await
        .ok()
        .flatten()
}

impl Config {
    pub fn from_env() -> Self {
        Config {
            profiles_dir: None,
            #[cfg(feature = "test-fixtures")]
            demo_admin: demo_admin_from_env(),
            connect_wait: None,
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

/// The profile registry. Cheap to clone.
#[derive(Clone)]
pub struct Profiles {
    inner: Arc<Inner>,
}

struct Inner {
    rt: Handle,
    store: std::result::Result<ProfileStore, Arc<ProfileError>>,
    /// The OS keyring, opened on first need (a later call retries after a failure).
    keyring: Mutex<Option<Vault>>,
    demo: Demo,
    clients: Mutex<Clients>,
    /// The connect under way per profile: callers meanwhile wait for it (up to [`CONNECT_WAIT`])
    /// and share its outcome (the last run's forwards and tabs start together: an exec plugin,
    /// a keyring read or its unlock prompt runs once, not once a caller, and so does its
    /// failure). A caller that comes after it ended connects again.
    connecting: Mutex<HashMap<String, Attempt>>,
    /// [`Config::connect_wait`], or [`CONNECT_WAIT`].
    connect_wait: std::time::Duration,
}

impl Profiles {
    /// `rt` runs what must not block the caller (credential plugins, OIDC refresh).
    pub fn new(rt: Handle, config: Config) -> Self {
        let store = match &config.profiles_dir {
            Some(dir) => Ok(ProfileStore::open(dir.clone())),
            None => ProfileStore::open_default().map_err(Arc::new),
        };
        let demo = Demo::new();
        #[cfg(feature = "test-fixtures")]
        let demo = demo.with_admin(config.demo_admin);
        Profiles {
            inner: Arc::new(Inner {
                rt,
                store,
                keyring: Mutex::new(None),
                demo,
                clients: Mutex::new(Clients::default()),
                connecting: Mutex::new(HashMap::new()),
                connect_wait: config.connect_wait.unwrap_or(CONNECT_WAIT),
            }),
        }
    }

    /// The runtime sessions and watches run on.
    pub fn runtime(&self) -> &Handle {
        &self.inner.rt
    }

    /// The config directory (profiles, favourites, settings), if there is one.
    pub fn config_dir(&self) -> Option<PathBuf> {
        self.store().ok().map(|s| s.dir().to_path_buf())
    }

    pub(crate) fn store(&self) -> Result<&ProfileStore> {
        match &self.inner.store {
            Ok(s) => Ok(s),
            Err(e) => Err(Error::NoConfigDir(e.clone())),
        }
    }

    fn keyring(&self) -> Result<Vault> {
        let mut k = lock(&self.inner.keyring);
        if let Some(v) = &*k {
            return Ok(v.clone());
        }
        let v = Vault::os()?;
        *k = Some(v.clone());
        Ok(v)
    }

    /// After the profile changed (edited, imported again, deleted): its client is made again on
    /// next use, and a connect under way with the old settings is neither kept nor shared with
    /// the callers that come now.
    fn forget_client(&self, name: &str) {
        {
            let mut clients = lock(&self.inner.clients);
            clients.made.remove(name);
            *clients.forgotten.entry(name.to_string()).or_default() += 1;
        }
        lock(&self.inner.connecting).remove(name);
    }

    /// The Demo profiles (once started), then the saved ones.
    pub fn list(&self) -> Result<Vec<ProfileSummary>> {
        let mut out: Vec<ProfileSummary> = self
            .inner
            .demo
            .profiles()
            .iter()
            .map(ProfileSummary::from)
            .collect();
        let saved = self.store()?.list()?;
        out.extend(saved.iter().map(ProfileSummary::from));
        Ok(out)
    }

    /// Imports kubeconfig contexts (the file given, else `KUBECONFIG`, else `~/.kube/config`;
    /// the context given, every one, or the current one); secrets go to the OS keyring.
    pub async fn import(
        &self,
        path: Option<String>,
        context: Option<String>,
        all: bool,
    ) -> Result<Vec<ProfileSummary>> {
        let opts = ImportOptions {
            kubeconfig: path.filter(|p| !p.is_empty()).map(PathBuf::from),
            context: context.filter(|c| !c.is_empty()),
            all,
        };
        let store = self.store()?;
        let vault = self.keyring()?;
        let saved = import::import(&opts, store, &vault).await?;
        for p in &saved {
            self.forget_client(&p.name);
        }
        Ok(saved.iter().map(ProfileSummary::from).collect())
    }

    /// The saved profiles (never the Demo ones), as stored; none when they cannot be read.
    pub fn saved(&self) -> Vec<Profile> {
        self.store()
            .ok()
            .and_then(|s| s.list().ok())
            .unwrap_or_default()
    }

    /// A saved profile's settings for the edit form (no secret).
    pub fn details(&self, name: &str) -> Result<ProfileDetails> {
        match self.store()?.get(name)? {
            Some(p) => Ok(ProfileDetails::from(&p)),
            None if self.inner.demo.profile(name).is_some() => {
                Err(Error::DemoReadOnly(name.to_string()))
            }
            None => Err(Error::NoProfile(name.to_string())),
        }
    }

    /// Adds or edits a profile typed by hand; a token goes to the OS keyring.
    pub async fn save(&self, manual: ManualProfile) -> Result<ProfileSummary> {
        if self.inner.demo.profile(manual.name.trim()).is_some() {
            return Err(Error::DemoName(manual.name.trim().to_string()));
        }
        let store = self.store()?;
        let vault = if manual.token.is_some() {
            self.keyring()?
        } else {
            Vault::memory()
        };
        let saved = manual::save(&manual, store, &vault).await?;
        if let Some(o) = &manual.original {
            self.forget_client(o);
        }
        self.forget_client(&saved.name);
        Ok(ProfileSummary::from(&saved))
    }

    /// Deletes a profile and its keyring entries (a Demo profile is only forgotten).
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.forget_client(name);
        if self.inner.demo.forget(name) {
            return Ok(());
        }
        let store = self.store()?;
        let Some(p) = store.get(name)? else {
            return Err(Error::NoProfile(name.to_string()));
        };
        let fields = p.secret_fields();
        if !fields.is_empty() {
            let vault = self.keyring()?;
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            vault.delete_profile(&p.id, &fields).await?;
        }
        store.remove(name)?;
        // A connect begun while its secrets were being deleted read the profile still saved.
        self.forget_client(name);
        Ok(())
    }

    /// Starts the Demo cluster (once) and returns its profile.
    pub async fn demo(&self) -> Result<ProfileSummary> {
        let p = self.inner.demo.start().await.map_err(Error::Demo)?;
        Ok(ProfileSummary::from(&p))
    }

    /// The Demo cluster, when it runs (tests use its fault controls).
    pub async fn with_demo_cluster<R>(
        &self,
        f: impl FnOnce(&testcluster::TestCluster) -> R,
    ) -> Option<R> {
        self.inner.demo.with_cluster(f).await
    }

    /// A client for a profile (made once, then reused; callers at once share one connect, and
    /// its failure: [`Error::Shared`]).
    ///
    /// A caller waits for the connect under way [`CONNECT_WAIT`] at a time. When its first wait
    /// runs out, the first of its waiters to notice begins one more, which the others join;
    /// after that each keeps waiting for the connect under way, whichever it is then (a profile
    /// edited meanwhile begins a new one), and begins none (a connect that hangs is not begun
    /// again and again).
    pub(crate) async fn cluster(&self, name: &str) -> Result<Cluster> {
        let mut slow: Option<Attempt> = None;
        let mut waits = 0;
        loop {
            let attempt = match self.attempt(name, slow.as_ref(), waits == 1) {
                Joined::Made(c) => return Ok(c),
                Joined::Waits(a) => a,
            };
            if let Some(o) = outcome_within(attempt.clone(), self.inner.connect_wait).await {
                return o.map_err(Error::Shared);
            }
            // Ended as the wait did.
            let ended = attempt.borrow().clone();
            if let Some(o) = ended {
                return o.map_err(Error::Shared);
            }
            if attempt.has_changed().is_err() {
                // Its task ended without an outcome (the runtime shutting down): this caller
                // connects itself, rather than begin tasks that end the same way.
                let forgotten = lock(&self.inner.clients).forgotten.get(name).copied();
                return self.connect(name, forgotten).await;
            }
            slow = Some(attempt);
            waits += 1;
        }
    }

    /// The client of `name` if one was made, else the connect under way to join, else a new one
    /// begun in a task of its own. `slow`: the connect this caller waited for too long, which
    /// another replaces (when `may_begin_again`), unless another caller replaced it already.
    fn attempt(&self, name: &str, slow: Option<&Attempt>, may_begin_again: bool) -> Joined {
        let mut connecting = lock(&self.inner.connecting);
        let forgotten = {
            let clients = lock(&self.inner.clients);
            if let Some(c) = clients.made.get(name) {
                return Joined::Made(c.clone());
            }
            clients.forgotten.get(name).copied()
        };
        if let Some(a) = connecting.get(name) {
            let alive = a.has_changed().is_ok();
            let too_slow = may_begin_again && slow.is_some_and(|s| s.same_channel(a));
            if alive && !too_slow {
                return Joined::Waits(a.clone());
            }
        }
        let (tx, attempt) = watch::channel(None);
        connecting.insert(name.to_string(), attempt.clone());
        let (me, name, mine) = (self.clone(), name.to_string(), attempt.clone());
        self.inner.rt.spawn(async move {
            let outcome = me.connect(&name, forgotten).await.map_err(Arc::new);
            let mut connecting = lock(&me.inner.connecting);
            if connecting.get(&name).is_some_and(|a| a.same_channel(&mine)) {
                connecting.remove(&name);
            }
            tx.send_replace(Some(outcome));
        });
        Joined::Waits(attempt)
    }

    /// Makes `name`'s client, and keeps it unless the profile changed since its forget count
    /// was `forgotten`.
    async fn connect(&self, name: &str, forgotten: Option<u64>) -> Result<Cluster> {
        // A favourite of the Demo cluster, opened after a restart: the Demo starts on request.
        if (name == crate::demo::DEMO_NAME || name == crate::demo::DEMO_VIEWER_NAME)
            && self.inner.demo.profile(name).is_none()
        {
            self.inner.demo.start().await.map_err(Error::Demo)?;
        }
        let (profile, vault) = self.profile(name)?;
        let c = cluster::connect_saved(&profile, &vault).await?;
        let mut clients = lock(&self.inner.clients);
        // Kept unless the profile was edited or deleted meanwhile: this client has its old
        // settings (it serves the calls asked before; the next makes a client again).
        if clients.forgotten.get(name).copied() == forgotten {
            clients.made.insert(name.to_string(), c.clone());
        }
        Ok(c)
    }

    /// A profile by name and the vault holding its secrets.
    fn profile(&self, name: &str) -> Result<(Profile, Vault)> {
        if let Some(found) = self.inner.demo.profile(name) {
            return Ok(found);
        }
        let Some(p) = self.store()?.get(name)? else {
            return Err(Error::NoProfile(name.to_string()));
        };
        // A profile without stored secrets (token file, key file) needs no keyring.
        let vault = if p.secret_fields().is_empty() {
            Vault::memory()
        } else {
            self.keyring()?
        };
        Ok((p, vault))
    }

    /// The namespaces (the profile's own alone when it may not list them).
    pub async fn namespaces(&self, profile: &str) -> Result<Vec<String>> {
        let c = self.cluster(profile).await?;
        browse::namespaces(&c.client, &c.namespace)
            .await
            .map_err(|e| Error::from_call(profile, e))
    }

    /// What debugging `container` (empty: the default) of `pod` with `image` would do (see
    /// [`podterm_core::debug::plan`]); `namespace` empty: the profile's.
    pub async fn plan_debug(
        &self,
        profile: &str,
        namespace: &str,
        pod: &str,
        container: &str,
        image: &str,
    ) -> Result<DebugPlan> {
        let c = self.cluster(profile).await?;
        let ns = c.namespace_or(namespace);
        debug::plan(&c.client, ns, pod, container, image)
            .await
            .map_err(|e| Error::from_call(profile, e))
    }

    /// Forgets the Demo profiles and stops the Demo cluster with its processes (at exit).
    pub fn shutdown(&self) {
        self.inner.demo.stop();
    }
}

#[cfg(test)]
mod gate_tests {
    use super::{outcome_within, Error};
    use std::sync::Arc;
    use std::time::Duration;

    /// A caller waits for the connect under way, but not past its limit: a connect that hangs
    /// holds up the others only so long; an ended one's outcome is taken at once, and a task
    /// gone without one is not waited for.
    #[tokio::test]
    async fn a_connect_that_hangs_holds_up_the_others_only_so_long() {
        let (tx, attempt) = tokio::sync::watch::channel(None);
        let waited = tokio::time::timeout(
            Duration::from_secs(10),
            outcome_within(attempt.clone(), Duration::from_millis(50)),
        )
        .await
        .expect("the waiter never gave up");
        assert!(waited.is_none(), "an outcome before the connect ended");
        tx.send_replace(Some(Err(Arc::new(Error::NoProfile("p".into())))));
        let ended = outcome_within(attempt.clone(), Duration::from_millis(50)).await;
        assert!(
            matches!(ended, Some(Err(e)) if matches!(*e, Error::NoProfile(_))),
            "the connect's failure was not given"
        );
        let (tx, attempt) = tokio::sync::watch::channel(None);
        drop(tx);
        let gone = tokio::time::timeout(
            Duration::from_secs(10),
            outcome_within(attempt, Duration::from_secs(3600)),
        )
        .await
        .expect("waited for a task that has gone");
        assert!(gone.is_none(), "an outcome from a task gone without one");
    }
}
