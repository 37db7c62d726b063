//! The Demo cluster: testcluster's demo topology, started inside the app on loopback on
//! request, once. Its profiles live in memory only, their secrets in an in-memory vault: never
//! in the keyring, never in the user's profiles.json.
//!
//! "Demo cluster" is the `demo-admin` user (may do anything); "Demo cluster (viewer)" is the
//! `viewer` user (may only get, list and watch pods: its exec is refused with a 403).

use podterm_core::import::{self, ImportOptions, KubeconfigSource};
use podterm_core::profiles::{Profile, ProfileStore};
use podterm_core::vault::Vault;
use std::sync::{Mutex, MutexGuard};
use testcluster::{Options, TestCluster};

pub const DEMO_NAME: &str = "Demo cluster";
pub const DEMO_VIEWER_NAME: &str = "Demo cluster (viewer)";

struct Running {
    cluster: TestCluster,
    /// Both profiles, as made at start (for a Demo profile deleted and asked for again).
    made: Vec<Profile>,
}

pub struct Demo {
    /// The fault-control port to open (the `test-fixtures` feature only).
    #[cfg(feature = "test-fixtures")]
    admin: Option<std::net::SocketAddr>,
    vault: Vault,
    running: tokio::sync::Mutex<Option<Running>>,
    /// The Demo profiles shown now.
    profiles: Mutex<Vec<Profile>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Default for Demo {
    fn default() -> Self {
        Self::new()
    }
}

impl Demo {
    pub fn new() -> Self {
        Demo {
            #[cfg(feature = "test-fixtures")]
            admin: None,
            vault: Vault::memory(),
            running: tokio::sync::Mutex::new(None),
            profiles: Mutex::new(Vec::new()),
        }
    }

    /// Opens the cluster's fault-control port at `admin` when it starts (end-to-end tests).
    #[cfg(feature = "test-fixtures")]
    pub fn with_admin(self, admin: Option<std::net::SocketAddr>) -> Self {
        Demo { admin, ..self }
    }

    pub fn profiles(&self) -> Vec<Profile> {
        lock(&self.profiles).clone()
    }

    pub fn profile(&self, name: &str) -> Option<(Profile, Vault)> {
        lock(&self.profiles)
            .iter()
            .find(|p| p.name == name)
            .map(|p| (p.clone(), self.vault.clone()))
    }

    /// Removes a Demo profile from the list; false when `name` is not one.
    pub fn forget(&self, name: &str) -> bool {
        let mut ps = lock(&self.profiles);
        let before = ps.len();
        ps.retain(|p| p.name != name);
        ps.len() != before
    }

    /// Starts the cluster unless it runs; (re-)lists both profiles; returns "Demo cluster".
    pub async fn start(&self) -> Result<Profile, String> {
        let mut running = self.running.lock().await;
        if running.is_none() {
            *running = Some(self.launch().await?);
        }
        let made = running.as_ref().map(|r| r.made.clone()).unwrap_or_default();
        let mut shown = lock(&self.profiles);
        for p in &made {
            if !shown.iter().any(|s| s.name == p.name) {
                shown.push(p.clone());
            }
        }
        shown.sort_by_key(|p| p.name != DEMO_NAME);
        made.into_iter()
            .find(|p| p.name == DEMO_NAME)
            .ok_or_else(|| "the Demo cluster has no admin profile".to_string())
    }

    async fn launch(&self) -> Result<Running, String> {
        let fail = |e: String| format!("cannot start the Demo cluster: {e}");
        let opts = Options {
            #[cfg(feature = "test-fixtures")]
            admin: self.admin,
            ..Options::demo()
        };
        let cluster = TestCluster::start(opts)
            .await
            .map_err(|e| fail(e.to_string()))?;
        // Its kubeconfig through the engine's importer; the store is a scratch one that lives
        // for this call only (it holds no secret: those go to the in-memory vault).
        let scratch = tempfile::Builder::new()
            .prefix("podterm-demo-")
            .tempdir()
            .map_err(|e| fail(e.to_string()))?;
        let store = ProfileStore::open(scratch.path());
        let kubeconfig = KubeconfigSource::Explicit(cluster.kubeconfig().to_path_buf())
            .load()
            .map_err(|e| fail(e.to_string()))?;
        let opts = ImportOptions {
            kubeconfig: None,
            context: None,
            all: true,
        };
        let imported = import::import_from(&kubeconfig, &opts, &store, &self.vault)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut made = Vec::new();
        for mut p in imported {
            p.name = match p.name.as_str() {
                "demo-admin" => DEMO_NAME.to_string(),
                "viewer" => DEMO_VIEWER_NAME.to_string(),
                _ => continue,
            };
            p.source = Some(format!("built-in demo ({})", cluster.url()));
            made.push(p);
        }
        tracing::info!(url = %cluster.url(), "Demo cluster started");
        #[cfg(feature = "test-fixtures")]
        tracing::info!(admin = ?cluster.admin_url(), "Demo cluster fault controls");
        Ok(Running { cluster, made })
    }

    pub async fn with_cluster<R>(&self, f: impl FnOnce(&TestCluster) -> R) -> Option<R> {
        self.running.lock().await.as_ref().map(|r| f(&r.cluster))
    }

    /// Stops the cluster and its processes (at exit).
    pub fn stop(&self) {
        if let Ok(mut r) = self.running.try_lock() {
            drop(r.take());
        }
        lock(&self.profiles).clear();
    }
}
