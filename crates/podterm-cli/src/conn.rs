//! Which cluster a subcommand talks to: `--profile NAME` (a saved profile, secrets from the OS
//! keyring) or kubeconfig (`--kubeconfig`, `--context`), and `-n`.

use crate::failure::Failure;
use clap::Args;
use podterm_core::cluster::{self, Cluster, Target};
use podterm_core::profiles::{Profile, ProfileStore};
use podterm_core::vault::Vault;
use std::path::PathBuf;

#[derive(Args)]
pub struct Conn {
    /// Namespace (default: the context's).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Kubeconfig context.
    #[arg(long)]
    pub context: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, conflicts_with = "profile")]
    pub kubeconfig: Option<PathBuf>,
    /// A saved profile (see `podterm profile`) instead of a kubeconfig.
    #[arg(long, conflicts_with = "context")]
    pub profile: Option<String>,
}

/// A client from `--profile`, else from kubeconfig.
pub async fn connect(conn: &Conn) -> Result<Cluster, Failure> {
    let Some(name) = &conn.profile else {
        let target = Target {
            kubeconfig: conn.kubeconfig.clone(),
            context: conn.context.clone(),
            namespace: conn.namespace.clone(),
        };
        return Ok(target.connect().await?);
    };
    let store = ProfileStore::open_default()?;
    let Some(profile) = store.get(name)? else {
        return Err(no_profile(&store, name, None));
    };
    connect_profile(&profile, conn.namespace.as_deref()).await
}

/// The profile `name` does not exist: say which do, and how to add one.
pub fn no_profile(store: &ProfileStore, name: &str, favourite: Option<&str>) -> Failure {
    let names: Vec<String> = match store.list() {
        Ok(list) => list.into_iter().map(|p| p.name).collect(),
        Err(e) => return e.into(),
    };
    let known = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    Failure::new(match favourite {
        None => format!(
            "no profile named \"{name}\" (profiles: {known}); import one with `podterm profile import`"
        ),
        Some(fav) => format!(
            "favourite \"{fav}\" connects through profile \"{name}\", which does not exist (profiles: {known}): import it with `podterm profile import`, or remove the favourite (`podterm favourite rm {fav}`) and add it again with another profile"
        ),
    })
}

/// A client for a saved profile; its secrets come from the OS keyring (only when it has any).
pub async fn connect_profile(
    profile: &Profile,
    namespace: Option<&str>,
) -> Result<Cluster, Failure> {
    let vault = Vault::for_profile(profile)?;
    let mut cluster = cluster::connect_saved(profile, &vault).await?;
    if let Some(ns) = namespace {
        cluster.namespace = ns.to_string();
    }
    Ok(cluster)
}
