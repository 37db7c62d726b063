//! A Kubernetes client from kubeconfig, the kubectl way: `--kubeconfig FILE`, else every file in
//! `KUBECONFIG` merged, else `~/.kube/config`; `--context`; the context's namespace.

use std::path::PathBuf;

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kubeconfig could not be read or parsed.
    #[error("cannot load kubeconfig: {0}")]
    Kubeconfig(String),
    /// The context, cluster or user named is not in the kubeconfig.
    #[error("{0}")]
    Context(String),
    /// The client could not be built (TLS material, proxy, auth plugin).
    #[error("cannot set up a client for the cluster: {0}")]
    Client(String),
}

/// Which cluster to talk to.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
}

/// A client and the namespace to use by default.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    pub namespace: String,
    /// The API server URL, for messages.
    pub server: String,
}

impl Target {
    /// Reads the kubeconfig and builds a client.
    pub async fn connect(&self) -> Result<Cluster, ClusterError> {
        use kube::config::{Config, KubeConfigOptions, Kubeconfig};
        let kubeconfig = match &self.kubeconfig {
            Some(path) => Kubeconfig::read_from(path).map_err(|e| {
                ClusterError::Kubeconfig(format!("{}: {}", path.display(), describe(&e)))
            })?,
            None => Kubeconfig::read().map_err(|e| ClusterError::Kubeconfig(describe(&e)))?,
        };
        if let Some(ctx) = &self.context {
            if !kubeconfig.contexts.iter().any(|c| &c.name == ctx) {
                return Err(ClusterError::Context(format!(
                    "context \"{ctx}\" does not exist"
                )));
            }
        }
        let opts = KubeConfigOptions {
            context: self.context.clone(),
            cluster: None,
            user: None,
        };
        let config = Config::from_custom_kubeconfig(kubeconfig, &opts)
            .await
            .map_err(|e| ClusterError::Context(describe(&e)))?;
        let server = config.cluster_url.to_string();
        let namespace = self
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let client =
            kube::Client::try_from(config).map_err(|e| ClusterError::Client(describe(&e)))?;
        Ok(Cluster {
            client,
            namespace,
            server,
        })
    }
}

/// An error with its causes, on one line.
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(cause) = src {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        src = cause.source();
    }
    s
}
