//! kubectl's connection flags over a kubeconfig: `--context`, `--cluster`, `--user`,
//! `--server`, `--token`, `--certificate-authority`, `--client-certificate`, `--client-key`,
//! `--insecure-skip-tls-verify`, `--tls-server-name` and `--namespace`, with kubectl's
//! (client-go's `DirectClientConfig`) precedence: a flag beats what the kubeconfig says;
//! `--cluster` and `--user` pick other entries of the kubeconfig than the context's.
//!
//! [`resolve`] turns a kubeconfig and the flags into a kubeconfig of one context, whose cluster
//! and user are the merged result; `kube` then loads it as it loads any other.

use crate::vault::Secret;
use kube::config::{Context, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
use std::path::PathBuf;

/// The flags, as given (`None`/`false`: not given).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--cluster`: the kubeconfig cluster entry to use instead of the context's.
    pub cluster: Option<String>,
    /// `--user`: the kubeconfig user entry to use instead of the context's.
    pub user: Option<String>,
    /// `--server`/`-s`: the API server's address.
    pub server: Option<String>,
    /// `--token`: a bearer token.
    pub token: Option<Secret>,
    /// `--certificate-authority`: a CA file.
    pub certificate_authority: Option<PathBuf>,
    /// `--client-certificate`: a client certificate file.
    pub client_certificate: Option<PathBuf>,
    /// `--client-key`: a client key file.
    pub client_key: Option<PathBuf>,
    /// `--insecure-skip-tls-verify`.
    pub insecure_skip_tls_verify: bool,
    /// `--tls-server-name`: the name the server's certificate is checked against.
    pub tls_server_name: Option<String>,
    /// `--as`: the user to act as (impersonation; the API server checks that we may).
    pub impersonate: Option<String>,
    /// `--as-group`: the groups to act as (with `--as`).
    pub impersonate_groups: Vec<String>,
    /// `--as-uid`: the UID to act as (with `--as`).
    pub impersonate_uid: Option<String>,
}

impl Overrides {
    /// Whether a flag names the API server (then no kubeconfig file is needed at all).
    pub fn names_a_server(&self) -> bool {
        self.server.is_some()
    }
}

/// A flag named a kubeconfig entry that is not there; kubectl's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// `--context NAME`, and no such context.
    #[error("context was not found for specified context: {0}")]
    NoContext(String),
    /// `--cluster NAME`, and no such cluster (kubectl says so even with `--server`).
    #[error("no server found for cluster \"{0}\"")]
    NoCluster(String),
    /// `--user NAME`, and no such user.
    #[error("auth info \"{0}\" does not exist")]
    NoUser(String),
    /// `--as-group` or `--as-uid` (or the kubeconfig's `as-groups`, `as-uid`, `as-user-extra`)
    /// without a user to act as, for this kubeconfig user.
    #[error("requesting uid, groups or user-extra for {0} without impersonating a user")]
    ImpersonationWithoutUser(String),
}

/// The name of the one context [`resolve`] returns when neither flags nor kubeconfig name one.
const UNNAMED: &str = "podterm";

/// The kubeconfig `kc` as seen through the flags: one context (`context`, else the current
/// one), its cluster and user entries (or `--cluster`/`--user`'s) with the flags laid over
/// them, and the namespace (`namespace`, else the context's). The result is `kc` with its
/// `current-context` and chosen entries replaced, the other entries dropped.
pub fn resolve(
    kc: Kubeconfig,
    context: Option<&str>,
    namespace: Option<&str>,
    o: &Overrides,
) -> Result<Kubeconfig, OverrideError> {
    let ctx_name = context
        .map(str::to_owned)
        .or_else(|| kc.current_context.clone().filter(|c| !c.is_empty()));
    let found_ctx = ctx_name
        .as_deref()
        .and_then(|n| kc.contexts.iter().find(|c| c.name == n))
        .and_then(|c| c.context.clone());
    // Named by `--context` or by the kubeconfig's `current-context` (one deleted, or a file
    // merged without it): kubectl refuses both alike.
    if let (Some(name), None) = (&ctx_name, &found_ctx) {
        return Err(OverrideError::NoContext(name.clone()));
    }
    let ctx = found_ctx.unwrap_or_default();

    // The cluster: the context's entry, or `--cluster`'s (which must exist), then the flags.
    let cluster_name = o.cluster.clone().unwrap_or_else(|| ctx.cluster.clone());
    let entry = kc
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.clone());
    if let (Some(name), None) = (&o.cluster, &entry) {
        return Err(OverrideError::NoCluster(name.clone()));
    }
    let mut cluster = entry.unwrap_or_default();
    if let Some(s) = &o.server {
        cluster.server = Some(s.clone());
    }
    // As client-go: `--insecure-skip-tls-verify` or `--certificate-authority` replace every
    // CA setting of the kubeconfig (else its CA data would win, or clash with "insecure").
    if o.insecure_skip_tls_verify || o.certificate_authority.is_some() {
        cluster.insecure_skip_tls_verify = Some(o.insecure_skip_tls_verify);
        cluster.certificate_authority = o
            .certificate_authority
            .as_ref()
            .map(|p| p.display().to_string());
        cluster.certificate_authority_data = None;
    }
    // As client-go: `--server` drops the kubeconfig's TLS server name (it belonged to the
    // kubeconfig's server), unless `--tls-server-name` gives one.
    if o.tls_server_name.is_some() || o.server.is_some() {
        cluster.tls_server_name = o.tls_server_name.clone();
    }

    // The user: the context's entry, or `--user`'s (which must exist), then the flags.
    let user_name = o.user.clone().or_else(|| ctx.user.clone());
    let entry = user_name
        .as_deref()
        .and_then(|n| kc.auth_infos.iter().find(|u| u.name == n))
        .and_then(|u| u.auth_info.clone());
    if let (Some(name), None) = (&o.user, &entry) {
        return Err(OverrideError::NoUser(name.clone()));
    }
    let mut user = entry.unwrap_or_default();
    if let Some(t) = &o.token {
        // `--token` is what kubectl authenticates with: no other token source of the
        // kubeconfig's user (a token file, an exec plugin, an auth provider, a password) is
        // asked (client-go skips the exec plugin when a token is given).
        user.token = Some(secrecy::SecretString::from(t.expose().to_owned()));
        user.token_file = None;
        user.exec = None;
        user.auth_provider = None;
        user.username = None;
        user.password = None;
    }
    if let Some(p) = &o.client_certificate {
        user.client_certificate = Some(p.display().to_string());
        user.client_certificate_data = None;
    }
    if let Some(p) = &o.client_key {
        user.client_key = Some(p.display().to_string());
        user.client_key_data = None;
    }
    // As client-go: each flag replaces its kubeconfig field (`as`, `as-groups`, `as-uid`); an
    // empty value is no value.
    if let Some(name) = o.impersonate.as_ref().filter(|n| !n.is_empty()) {
        user.impersonate = Some(name.clone());
    }
    let groups: Vec<String> = o
        .impersonate_groups
        .iter()
        .filter(|g| !g.is_empty())
        .cloned()
        .collect();
    if !groups.is_empty() {
        user.impersonate_groups = Some(groups);
    }
    if let Some(uid) = o.impersonate_uid.as_ref().filter(|u| !u.is_empty()) {
        user.impersonate_uid = Some(uid.clone());
    }

    let cluster_entry = if cluster_name.is_empty() {
        UNNAMED.to_owned()
    } else {
        cluster_name
    };
    let impersonates = user.impersonate.as_deref().is_some_and(|u| !u.is_empty());
    let asks_more = user
        .impersonate_groups
        .as_ref()
        .is_some_and(|g| !g.is_empty())
        || user
            .impersonate_uid
            .as_deref()
            .is_some_and(|u| !u.is_empty())
        || user
            .impersonate_user_extra
            .as_ref()
            .is_some_and(|e| !e.is_empty());
    if asks_more && !impersonates {
        return Err(OverrideError::ImpersonationWithoutUser(
            user_name.clone().unwrap_or_default(),
        ));
    }
    let user_entry = user_name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| UNNAMED.to_owned());
    let ctx_entry = ctx_name.unwrap_or_else(|| UNNAMED.to_owned());
    Ok(Kubeconfig {
        clusters: vec![NamedCluster {
            name: cluster_entry.clone(),
            cluster: Some(cluster),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: user_entry.clone(),
            auth_info: Some(user),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: ctx_entry.clone(),
            context: Some(Context {
                cluster: cluster_entry,
                user: Some(user_entry),
                namespace: namespace.map(str::to_owned).or(ctx.namespace),
                ..ctx
            }),
            ..NamedContext::default()
        }],
        current_context: Some(ctx_entry),
        ..kc
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::config::{AuthInfo, Cluster};
    use secrecy::ExposeSecret as _;

    const KC: &str = r#"
apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: main
  cluster:
    server: https://main:6443
    certificate-authority-data: Q0E=
    tls-server-name: main.internal
- name: other
  cluster:
    server: https://other:6443
contexts:
- name: admin
  context: {cluster: main, user: admin, namespace: web}
- name: viewer
  context: {cluster: main, user: viewer}
users:
- name: admin
  user:
    exec: {command: get-token, apiVersion: client.authentication.k8s.io/v1}
- name: viewer
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
"#;

    fn kc() -> Kubeconfig {
        Kubeconfig::from_yaml(KC).expect("kubeconfig")
    }

    fn parts(k: &Kubeconfig) -> (String, Cluster, AuthInfo, Context) {
        let ctx = k.contexts[0].context.clone().expect("context");
        (
            k.contexts[0].name.clone(),
            k.clusters[0].cluster.clone().expect("cluster"),
            k.auth_infos[0].auth_info.clone().expect("user"),
            ctx,
        )
    }

    #[test]
    fn no_flags_is_the_current_context() {
        let r = resolve(kc(), None, None, &Overrides::default()).expect("resolve");
        let (name, cluster, user, ctx) = parts(&r);
        assert_eq!(name, "admin");
        assert_eq!(r.current_context.as_deref(), Some("admin"));
        assert_eq!(cluster.server.as_deref(), Some("https://main:6443"));
        assert_eq!(cluster.tls_server_name.as_deref(), Some("main.internal"));
        assert!(user.exec.is_some());
        assert_eq!(ctx.namespace.as_deref(), Some("web"));
    }

    #[test]
    fn namespace_flag_beats_the_contexts() {
        let r = resolve(kc(), None, Some("db"), &Overrides::default()).expect("resolve");
        assert_eq!(parts(&r).3.namespace.as_deref(), Some("db"));
    }

    #[test]
    fn cluster_and_user_pick_other_entries() {
        let o = Overrides {
            cluster: Some("other".into()),
            user: Some("viewer".into()),
            ..Overrides::default()
        };
        let r = resolve(kc(), None, None, &o).expect("resolve");
        let (_, cluster, user, ctx) = parts(&r);
        assert_eq!(cluster.server.as_deref(), Some("https://other:6443"));
        assert!(user.exec.is_none());
        assert_eq!(user.client_certificate_data.as_deref(), Some("Q0VSVA=="));
        assert_eq!(ctx.namespace.as_deref(), Some("web"));
    }

    #[test]
    fn missing_entries_are_named_as_kubectl_names_them() {
        let err = |o: Overrides, ctx: Option<&str>| {
            resolve(kc(), ctx, None, &o)
                .expect_err("missing")
                .to_string()
        };
        assert_eq!(
            err(Overrides::default(), Some("nope")),
            "context was not found for specified context: nope"
        );
        let cluster = Overrides {
            cluster: Some("nope".into()),
            server: Some("https://x".into()),
            ..Overrides::default()
        };
        assert_eq!(err(cluster, None), "no server found for cluster \"nope\"");
        let user = Overrides {
            user: Some("nope".into()),
            ..Overrides::default()
        };
        assert_eq!(err(user, None), "auth info \"nope\" does not exist");
    }

    #[test]
    fn impersonation_flags_replace_the_kubeconfigs_and_need_a_user() {
        let o = Overrides {
            impersonate: Some("system:serviceaccount:demo:app".into()),
            impersonate_groups: vec!["devs".into(), "ops".into()],
            impersonate_uid: Some("42".into()),
            ..Overrides::default()
        };
        let resolved = resolve(kc(), None, None, &o).expect("resolved");
        let user = resolved.auth_infos[0].auth_info.clone().expect("user");
        assert_eq!(
            user.impersonate.as_deref(),
            Some("system:serviceaccount:demo:app")
        );
        assert_eq!(
            user.impersonate_groups,
            Some(vec!["devs".to_string(), "ops".to_string()])
        );
        assert_eq!(user.impersonate_uid.as_deref(), Some("42"));
        let groups_alone = Overrides {
            impersonate_groups: vec!["devs".into()],
            ..Overrides::default()
        };
        assert_eq!(
            resolve(kc(), None, None, &groups_alone).err(),
            Some(OverrideError::ImpersonationWithoutUser("admin".into()))
        );
        assert!(resolve(kc(), None, None, &Overrides::default()).is_ok());
    }

    #[test]
    fn server_keeps_the_ca_and_drops_the_tls_server_name() {
        let o = Overrides {
            server: Some("https://lb:443".into()),
            ..Overrides::default()
        };
        let (_, cluster, _, _) = parts(&resolve(kc(), None, None, &o).expect("resolve"));
        assert_eq!(cluster.server.as_deref(), Some("https://lb:443"));
        assert_eq!(cluster.certificate_authority_data.as_deref(), Some("Q0E="));
        assert_eq!(cluster.tls_server_name, None);
        let o = Overrides {
            tls_server_name: Some("api".into()),
            ..o
        };
        let (_, cluster, _, _) = parts(&resolve(kc(), None, None, &o).expect("resolve"));
        assert_eq!(cluster.tls_server_name.as_deref(), Some("api"));
    }

    #[test]
    fn a_ca_file_or_insecure_replaces_the_ca_data() {
        let o = Overrides {
            certificate_authority: Some("/etc/ca.pem".into()),
            ..Overrides::default()
        };
        let (_, cluster, _, _) = parts(&resolve(kc(), None, None, &o).expect("resolve"));
        assert_eq!(
            cluster.certificate_authority.as_deref(),
            Some("/etc/ca.pem")
        );
        assert_eq!(cluster.certificate_authority_data, None);
        assert_eq!(cluster.insecure_skip_tls_verify, Some(false));
        let o = Overrides {
            insecure_skip_tls_verify: true,
            ..Overrides::default()
        };
        let (_, cluster, _, _) = parts(&resolve(kc(), None, None, &o).expect("resolve"));
        assert_eq!(cluster.certificate_authority_data, None);
        assert_eq!(cluster.insecure_skip_tls_verify, Some(true));
    }

    #[test]
    fn token_replaces_every_other_token_source() {
        let o = Overrides {
            token: Some(Secret::new("t0k")),
            ..Overrides::default()
        };
        let (_, _, user, _) = parts(&resolve(kc(), None, None, &o).expect("resolve"));
        assert_eq!(user.token.as_ref().map(|t| t.expose_secret()), Some("t0k"));
        assert!(user.exec.is_none());
    }

    #[test]
    fn client_certificate_files_replace_the_data() {
        let o = Overrides {
            client_certificate: Some("/c.pem".into()),
            client_key: Some("/k.pem".into()),
            ..Overrides::default()
        };
        let (_, _, user, _) = parts(&resolve(kc(), Some("viewer"), None, &o).expect("resolve"));
        assert_eq!(user.client_certificate.as_deref(), Some("/c.pem"));
        assert_eq!(user.client_certificate_data, None);
        assert_eq!(user.client_key.as_deref(), Some("/k.pem"));
        assert!(user.client_key_data.is_none());
    }

    #[test]
    fn server_and_token_need_no_kubeconfig() {
        let o = Overrides {
            server: Some("https://x:6443".into()),
            token: Some(Secret::new("t")),
            ..Overrides::default()
        };
        let r = resolve(Kubeconfig::default(), None, Some("ns"), &o).expect("resolve");
        let (name, cluster, user, ctx) = parts(&r);
        assert_eq!(name, UNNAMED);
        assert_eq!(cluster.server.as_deref(), Some("https://x:6443"));
        assert!(user.token.is_some());
        assert_eq!(ctx.namespace.as_deref(), Some("ns"));
    }
}
