//! An OIDC login as a client holds it for as long as it runs: every request to the API server
//! (reads, watches, the upgrades that start a shell or a forward) carries the id-token, refreshed
//! first when it is within [`SKEW`] of its expiry ([`crate::oidc::refresh`]).
//!
//! For a saved profile the new tokens go back to the keyring at once, so the next run starts from
//! them: providers that rotate refresh tokens (Dex does by default) refuse the old one after a
//! refresh, and a token kept only in memory would lose the login when the app quits. Before it
//! refreshes, a login looks in the keyring first: another client of the same profile (a second
//! window's, the command line's) may have refreshed already, with a refresh token that replaced
//! this one's.

use crate::oidc::OidcError;
use crate::vault::{Secret, Vault, VaultError};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long before its `exp` an id-token is refreshed: a request sent with it must still be
/// accepted when it reaches the API server, and a slow upgrade or proxy takes seconds.
pub const SKEW: Duration = Duration::from_secs(30);

const ID_TOKEN: &str = "id-token";
const REFRESH_TOKEN: &str = "refresh-token";

/// How long after a failed save (a locked keyring, an unwritable kubeconfig) the next is
/// tried: not on every request, which would each wait on the keyring.
const SAVE_RETRY: Duration = Duration::from_secs(60);

/// After the provider refused a refresh token, how often and how many times what is kept is
/// looked at for the one that replaced it (another client's refresh, saved a moment after the
/// provider answered it): 2 s in all, only on the way to failing.
const KEPT_LOOK_EVERY: Duration = Duration::from_millis(200);
const KEPT_LOOKS: u32 = 10;

/// Where a login's refreshed tokens are kept.
pub enum Kept {
    /// A saved profile's vault entries; `fields` maps an auth-provider config key to its field.
    Vault {
        vault: Vault,
        profile_id: String,
        fields: BTreeMap<String, String>,
    },
    /// The kubeconfig file that defines the user `user`, written back as kubectl writes it
    /// (its `auth-provider` config's `id-token` and `refresh-token`).
    Kubeconfig { path: PathBuf, user: String },
}

/// Why refreshed tokens could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("the refreshed OIDC tokens could not be written to the kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
}

impl Kept {
    fn field(fields: &BTreeMap<String, String>, key: &str) -> String {
        fields.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// The tokens kept now (id-token, refresh token); one that cannot be read is none.
    async fn read(&self) -> (Option<String>, Option<String>) {
        match self {
            Kept::Vault {
                vault,
                profile_id,
                fields,
            } => {
                let get = |key: &str| {
                    let field = Kept::field(fields, key);
                    async move {
                        let got = vault.get(profile_id, &field).await.ok().flatten();
                        got.map(|s| s.expose().to_string())
                    }
                };
                (get(ID_TOKEN).await, get(REFRESH_TOKEN).await)
            }
            Kept::Kubeconfig { path, user } => {
                let (path, user) = (path.clone(), user.clone());
                let read = tokio::task::spawn_blocking(move || {
                    let doc = kubeconfig::read(&path).ok()?;
                    let config = kubeconfig::provider_config(&doc, &user)?;
                    let get =
                        |key: &str| config.get(key).and_then(|v| v.as_str()).map(str::to_owned);
                    Some((get(ID_TOKEN), get(REFRESH_TOKEN)))
                });
                read.await.ok().flatten().unwrap_or_default()
            }
        }
    }

    /// Writes the tokens, the refresh token first (a fresh id-token beside a spent refresh token
    /// is the worse half to lose). `Ok(false)`: there is nothing to keep them in any more (the
    /// profile was removed, the kubeconfig's user entry is gone).
    async fn write(&self, id: &str, refresh: Option<&str>) -> Result<bool, KeepError> {
        match self {
            Kept::Vault {
                vault,
                profile_id,
                fields,
            } => {
                let refresh_field = Kept::field(fields, REFRESH_TOKEN);
                if vault.get(profile_id, &refresh_field).await?.is_none() {
                    return Ok(false);
                }
                if let Some(r) = refresh {
                    vault
                        .update(profile_id, &refresh_field, &Secret::new(r))
                        .await?;
                }
                let id_field = Kept::field(fields, ID_TOKEN);
                vault
                    .update(profile_id, &id_field, &Secret::new(id))
                    .await?;
                Ok(true)
            }
            Kept::Kubeconfig { path, user } => {
                let (at, user) = (path.clone(), user.clone());
                let (id, refresh) = (id.to_string(), refresh.map(str::to_owned));
                let written = tokio::task::spawn_blocking(move || {
                    kubeconfig::write_tokens(&at, &user, &id, refresh.as_deref())
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
                written.map_err(|message| KeepError::Kubeconfig {
                    path: crate::text::shown(&path.to_string_lossy()),
                    message: crate::text::shown(&message),
                })
            }
        }
    }
}

/// One client's OIDC login: the auth-provider's config (its secrets included), and where a
/// refresh is kept (`None`: in memory only).
pub struct Login {
    config: BTreeMap<String, String>,
    kept: Option<Kept>,
    /// Tokens refreshed and not yet kept.
    unsaved: bool,
    /// When the last save failed ([`SAVE_RETRY`]).
    save_failed: Option<Instant>,
}

impl Login {
    pub fn new(config: BTreeMap<String, String>, kept: Option<Kept>) -> Login {
        Login {
            config,
            kept,
            unsaved: false,
            save_failed: None,
        }
    }

    fn fresh(&self) -> Option<String> {
        self.config
            .get(ID_TOKEN)
            .filter(|t| !crate::oidc::expired(t, SKEW))
            .cloned()
    }

    /// The id-token to send: this login's own while it is fresh; else the kept one, if another
    /// client refreshed meanwhile; else a new one from the provider, with the kept refresh
    /// token when it is not this login's (another client's rotation, a re-import), held here
    /// until [`Login::save`] keeps it. A refresh token refused is looked for again in what is
    /// kept: another client may have spent it just now.
    pub async fn id_token(&mut self) -> Result<String, OidcError> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        self.take_kept().await;
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        let sent = self.config.get(REFRESH_TOKEN).cloned();
        let tokens = match crate::oidc::refresh_with(&self.config).await {
            // Another client may have spent it just now: its save comes a moment after.
            Err(OidcError::Refused(why)) if self.kept.is_some() && !self.unsaved => {
                let mut looks = 0;
                loop {
                    self.take_kept().await;
                    if let Some(t) = self.fresh() {
                        return Ok(t);
                    }
                    if self.config.get(REFRESH_TOKEN) != sent.as_ref() {
                        break;
                    }
                    looks += 1;
                    if looks > KEPT_LOOKS {
                        return Err(OidcError::Refused(why));
                    }
                    tokio::time::sleep(KEPT_LOOK_EVERY).await;
                }
                crate::oidc::refresh_with(&self.config).await?
            }
            other => other?,
        };
        self.config.insert(ID_TOKEN.into(), tokens.id_token.clone());
        if let Some(r) = tokens.refresh_token {
            self.config.insert(REFRESH_TOKEN.into(), r);
        }
        self.unsaved = self.kept.is_some();
        Ok(tokens.id_token)
    }

    /// Takes the kept tokens when they are newer than this login's: a fresh id-token, or
    /// another refresh token. Not while this login holds a refresh it has not kept yet.
    async fn take_kept(&mut self) {
        let Some(kept) = self.kept.as_ref().filter(|_| !self.unsaved) else {
            return;
        };
        let (id, refresh) = kept.read().await;
        let fresh_id = id
            .as_deref()
            .is_some_and(|t| !crate::oidc::expired(t, SKEW));
        let other_refresh = refresh.is_some() && refresh.as_ref() != self.config.get(REFRESH_TOKEN);
        if !fresh_id && !other_refresh {
            return;
        }
        for (key, value) in [(ID_TOKEN, id), (REFRESH_TOKEN, refresh)] {
            if let Some(v) = value {
                self.config.insert(key.into(), v);
            }
        }
    }

    /// Keeps tokens refreshed since the last save (in the vault where each is kept: the
    /// keyring, or this run's memory if the user chose not to remember it; or in the
    /// kubeconfig). With nothing left to keep them in, they stay in memory from now on.
    pub async fn save(&mut self) -> Result<(), KeepError> {
        let Some(kept) = self.kept.as_ref().filter(|_| self.unsaved) else {
            return Ok(());
        };
        let id = self.config.get(ID_TOKEN).cloned().unwrap_or_default();
        let refresh = self.config.get(REFRESH_TOKEN).cloned();
        match kept.write(&id, refresh.as_deref()).await {
            Ok(written) => {
                if !written {
                    self.kept = None;
                }
                self.unsaved = false;
                self.save_failed = None;
                Ok(())
            }
            Err(e) => {
                self.save_failed = Some(Instant::now());
                Err(e)
            }
        }
    }

    /// [`Login::save`], unless the last one failed less than [`SAVE_RETRY`] ago.
    async fn save_when_due(&mut self) -> Result<(), KeepError> {
        if self.save_failed.is_some_and(|t| t.elapsed() < SAVE_RETRY) {
            return Ok(());
        }
        self.save().await
    }
}

/// The kubeconfig file a user's tokens are written back to, as kubectl's oidc provider does:
/// the whole file read as YAML, the two keys set, written in place of it (atomically, with its
/// permissions; through a symlink to its target). Comments are not kept (kubectl's rewrite
/// drops them too).
mod kubeconfig {
    use std::path::Path;

    pub(super) fn read(path: &Path) -> Result<serde_yaml::Value, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        serde_yaml::from_str(&text).map_err(|e| e.to_string())
    }

    fn user_entry<'a>(doc: &'a serde_yaml::Value, user: &str) -> Option<&'a serde_yaml::Value> {
        doc.get("users")?
            .as_sequence()?
            .iter()
            .find(|u| u.get("name").and_then(|n| n.as_str()) == Some(user))
    }

    /// The `auth-provider` config of `user` when it is an oidc one.
    pub(super) fn provider_config<'a>(
        doc: &'a serde_yaml::Value,
        user: &str,
    ) -> Option<&'a serde_yaml::Mapping> {
        let provider = user_entry(doc, user)?.get("user")?.get("auth-provider")?;
        if provider.get("name").and_then(|n| n.as_str()) != Some("oidc") {
            return None;
        }
        provider.get("config")?.as_mapping()
    }

    /// Whether `doc` has an oidc user `user` (the file to write back to).
    pub(super) fn defines(doc: &serde_yaml::Value, user: &str) -> bool {
        provider_config(doc, user).is_some()
    }

    /// Sets `user`'s tokens in the file at `path`, as client-go's persister does: under
    /// `PATH.lock` (created, then removed; one that exists means another program is writing, and
    /// nothing is written), the file written in place (its owner, mode and links kept).
    /// `Ok(false)` when it no longer has that oidc user.
    pub(super) fn write_tokens(
        path: &Path,
        user: &str,
        id: &str,
        refresh: Option<&str>,
    ) -> Result<bool, String> {
        let mut lock_name = path.as_os_str().to_owned();
        lock_name.push(".lock");
        let lock = std::path::PathBuf::from(lock_name);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
            .map_err(|e| format!("cannot take its lock {} ({e})", lock.display()))?;
        let written = write_locked(path, user, id, refresh);
        let _ = std::fs::remove_file(&lock);
        written
    }

    fn write_locked(
        path: &Path,
        user: &str,
        id: &str,
        refresh: Option<&str>,
    ) -> Result<bool, String> {
        let mut doc = read(path)?;
        let Some(config) = doc
            .get_mut("users")
            .and_then(|u| u.as_sequence_mut())
            .and_then(|users| {
                users
                    .iter_mut()
                    .find(|u| u.get("name").and_then(|n| n.as_str()) == Some(user))
            })
            .and_then(|u| u.get_mut("user"))
            .and_then(|u| u.get_mut("auth-provider"))
            .filter(|p| p.get("name").and_then(|n| n.as_str()) == Some("oidc"))
            .and_then(|p| p.get_mut("config"))
            .and_then(|c| c.as_mapping_mut())
        else {
            return Ok(false);
        };
        config.insert("id-token".into(), id.into());
        if let Some(r) = refresh {
            config.insert("refresh-token".into(), r.into());
        }
        std::fs::write(path, emit(&doc)).map_err(|e| e.to_string())?;
        Ok(true)
    }

    /// `doc` as YAML that kubectl reads back as it was: every string value double-quoted
    /// (serde_yaml leaves `no`, `on`, `y`, `1_000` or `1:20` bare, which kubectl's YAML 1.1
    /// reader takes for a boolean or a number, and then refuses the whole file), keys bare when
    /// they are plain words. A document with a tag (none in a kubeconfig) is written as JSON,
    /// which is YAML too.
    pub(super) fn emit(doc: &serde_yaml::Value) -> String {
        let mut out = Vec::new();
        match block(doc, &mut out) {
            Some(()) if !out.is_empty() => out.join("\n") + "\n",
            Some(()) => format!("{}\n", scalar(doc).unwrap_or_default()),
            None => serde_json::to_string_pretty(doc).unwrap_or_default() + "\n",
        }
    }

    /// A scalar (or an empty collection) on one line; `None` for a block or a tag.
    fn scalar(v: &serde_yaml::Value) -> Option<String> {
        use serde_yaml::Value as V;
        Some(match v {
            V::Null => "null".into(),
            V::Bool(b) => b.to_string(),
            V::Number(n) => n.to_string(),
            V::String(s) => quoted(s),
            V::Sequence(q) if q.is_empty() => "[]".into(),
            V::Mapping(m) if m.is_empty() => "{}".into(),
            V::Sequence(_) | V::Mapping(_) | V::Tagged(_) => return None,
        })
    }

    /// A JSON string literal: a YAML double-quoted scalar with the same escapes.
    fn quoted(s: &str) -> String {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }

    fn key(k: &serde_yaml::Value) -> Option<String> {
        match k {
            serde_yaml::Value::String(s)
                if !s.is_empty()
                    && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                    && !matches!(
                        s.to_ascii_lowercase().as_str(),
                        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
                    ) =>
            {
                Some(s.clone())
            }
            other => scalar(other).filter(|_| !matches!(other, serde_yaml::Value::Mapping(_))),
        }
    }

    /// The lines of a mapping or sequence (children two spaces in; a sequence under a key at
    /// the key's own indent, as kubectl writes it); `None` on a tag.
    fn block(v: &serde_yaml::Value, out: &mut Vec<String>) -> Option<()> {
        use serde_yaml::Value as V;
        match v {
            V::Mapping(m) if !m.is_empty() => {
                for (k, v) in m {
                    let k = key(k)?;
                    match scalar(v) {
                        Some(s) => out.push(format!("{k}: {s}")),
                        None => {
                            out.push(format!("{k}:"));
                            let mut inner = Vec::new();
                            block(v, &mut inner)?;
                            let indent = if matches!(v, V::Sequence(_)) {
                                ""
                            } else {
                                "  "
                            };
                            out.extend(inner.into_iter().map(|l| format!("{indent}{l}")));
                        }
                    }
                }
                Some(())
            }
            V::Sequence(q) if !q.is_empty() => {
                for item in q {
                    match scalar(item) {
                        Some(s) => out.push(format!("- {s}")),
                        None => {
                            let mut inner = Vec::new();
                            block(item, &mut inner)?;
                            for (i, l) in inner.into_iter().enumerate() {
                                out.push(if i == 0 {
                                    format!("- {l}")
                                } else {
                                    format!("  {l}")
                                });
                            }
                        }
                    }
                }
                Some(())
            }
            V::Tagged(_) => None,
            _ => Some(()),
        }
    }
}

/// Of `files` (a kubeconfig's, in the order they are merged), the first that defines the oidc
/// user `user`: where its refreshed tokens are written back.
pub fn defining_file(files: &[PathBuf], user: &str) -> Option<PathBuf> {
    files.iter().find_map(|f| {
        let doc = kubeconfig::read(f).ok()?;
        kubeconfig::defines(&doc, user).then(|| f.clone())
    })
}

/// A login shared by every request of one client; one refresh at a time.
pub type Shared = Arc<tokio::sync::Mutex<Login>>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sets each request's `Authorization: Bearer` from the client's [`Login`], refreshing first
/// when the id-token is stale. A refresh that fails fails the request with the
/// [`OidcError`] (boxed), which [`crate::cluster::ApiError`] names; a save that fails is logged
/// and tried again on the next request, the request going on with the new token.
#[derive(Clone)]
pub(crate) struct Bearer<S> {
    inner: S,
    login: Shared,
}

impl<S> Bearer<S> {
    pub(crate) fn new(inner: S, login: Shared) -> Self {
        Bearer { inner, login }
    }
}

/// The header value of `token`, marked sensitive (never logged).
fn authorization(token: &str) -> Result<http::HeaderValue, OidcError> {
    let mut value =
        http::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| OidcError::Unusable)?;
    value.set_sensitive(true);
    Ok(value)
}

impl<S, B> tower::Service<http::Request<B>> for Bearer<S>
where
    S: tower::Service<http::Request<B>, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        // The service made ready is the one called; a fresh clone waits for the next call.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let login = self.login.clone();
        Box::pin(async move {
            // A task of its own: a request given up on (its timeout, a closed tab) must not drop
            // a refresh between the provider's answer and its save, the old refresh token spent.
            let refreshed = tokio::spawn(async move {
                let mut login = login.lock().await;
                let token = login.id_token().await?;
                if let Err(e) = login.save_when_due().await {
                    tracing::warn!("{e} (tried again in a minute)");
                }
                Ok::<_, OidcError>(token)
            });
            let token = refreshed.await.map_err(|e| Box::new(e) as BoxError)??;
            req.headers_mut()
                .insert(http::header::AUTHORIZATION, authorization(&token)?);
            inner.call(req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::testidp::{jwt_in, Idp};
    use tower::{Service as _, ServiceExt as _};

    const PROFILE: &str = "p1";

    /// A vault holding the profile's tokens (under fields of their own names, as the import
    /// files them), and a login read from it.
    async fn saved(idp: &Idp, id_token: &str, refresh: &str) -> (Vault, Login) {
        let vault = Vault::memory();
        let fields = seed(&vault, id_token, refresh).await;
        (vault.clone(), login_of(idp, &vault, &fields).await)
    }

    /// The profile's fields (`oidc-KEY`), its id-token and refresh token put in `vault`.
    async fn seed(vault: &Vault, id_token: &str, refresh: &str) -> BTreeMap<String, String> {
        let fields: BTreeMap<String, String> = [ID_TOKEN, REFRESH_TOKEN, "client-secret"]
            .iter()
            .map(|k| (k.to_string(), format!("oidc-{k}")))
            .collect();
        for (key, value) in [(ID_TOKEN, id_token), (REFRESH_TOKEN, refresh)] {
            vault
                .set(PROFILE, &fields[key], &Secret::new(value))
                .await
                .expect("set");
        }
        fields
    }

    async fn login_of(idp: &Idp, vault: &Vault, fields: &BTreeMap<String, String>) -> Login {
        let mut config: BTreeMap<String, String> = [
            ("idp-issuer-url", idp.url.clone()),
            ("client-id", "podterm-test".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (key, field) in fields {
            if let Some(s) = vault.get(PROFILE, field).await.expect("get") {
                config.insert(key.clone(), s.expose().to_string());
            }
        }
        Login::new(
            config,
            Some(Kept::Vault {
                vault: vault.clone(),
                profile_id: PROFILE.into(),
                fields: fields.clone(),
            }),
        )
    }

    /// Two clients of one profile (a window's and the command line's), one vault.
    async fn two_clients(idp: &Idp) -> (Login, Login) {
        let (vault, other) = saved(idp, &jwt_in(10), "R1").await;
        let Some(Kept::Vault { fields, .. }) = &other.kept else {
            panic!("kept in the vault");
        };
        let this = login_of(idp, &vault, &fields.clone()).await;
        (other, this)
    }

    async fn kept(vault: &Vault, key: &str) -> String {
        vault
            .get(PROFILE, &format!("oidc-{key}"))
            .await
            .expect("get")
            .map(|s| s.expose().to_string())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_stale_id_token_is_refreshed_once_and_kept_with_the_rotated_refresh_token() {
        let idp = Idp::rotating(3600).await;
        let (vault, mut login) = saved(&idp, &jwt_in(10), "R1").await;
        let first = login.id_token().await.expect("refreshed");
        assert_eq!(idp.refreshes(), vec!["R1"]);
        assert!(!crate::oidc::expired(&first, SKEW));
        // Held until saved; then in the vault, the refresh token rotated.
        assert_eq!(kept(&vault, REFRESH_TOKEN).await, "R1");
        login.save().await.expect("save");
        assert_eq!(kept(&vault, ID_TOKEN).await, first);
        assert_eq!(kept(&vault, REFRESH_TOKEN).await, "R2");
        // Fresh now: the provider is not asked again.
        assert_eq!(login.id_token().await.expect("same"), first);
        assert_eq!(idp.refreshes(), vec!["R1"]);
    }

    #[tokio::test]
    async fn a_refresh_another_client_kept_is_taken_instead_of_a_spent_refresh_token() {
        let idp = Idp::rotating(3600).await;
        let (mut other, mut this) = two_clients(&idp).await;
        let theirs = other.id_token().await.expect("refreshed");
        other.save().await.expect("save");
        // This login still holds R1, which the provider refuses now: it takes the kept tokens.
        assert_eq!(this.id_token().await.expect("adopted"), theirs);
        assert_eq!(idp.refreshes(), vec!["R1"]);
        assert_eq!(this.config[REFRESH_TOKEN], "R2");
    }

    #[tokio::test]
    async fn a_newer_refresh_token_kept_is_used_though_its_id_token_is_stale() {
        // Each id-token handed out is stale at once (10 s left, under the 30 s skew).
        let idp = Idp::rotating(10).await;
        let (mut other, mut this) = two_clients(&idp).await;
        other.id_token().await.expect("refreshed");
        other.save().await.expect("save");
        // R1 is spent; the kept R2 is used, though the kept id-token is stale too.
        this.id_token().await.expect("refreshed with the kept one");
        assert_eq!(idp.refreshes(), vec!["R1", "R2"]);
    }

    /// A provider that refuses R1 because another client has just spent it, that client's
    /// save of R2 landing `save_after` later, and takes R2.
    async fn spent_by_another(vault: &Vault, save_after: Duration) -> Idp {
        let shared = vault.clone();
        Idp::start(
            |base| format!("{base}/token"),
            move |body| {
                if body.contains("refresh_token=R1") {
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(save_after).await;
                        let r2 = Secret::new("R2");
                        shared
                            .set(PROFILE, "oidc-refresh-token", &r2)
                            .await
                            .expect("set");
                    });
                    (400, r#"{"error":"invalid_grant"}"#.into())
                } else if body.contains("refresh_token=R2") {
                    (200, format!(r#"{{"id_token":"{}"}}"#, jwt_in(3600)))
                } else {
                    (400, r#"{"error":"invalid_grant"}"#.into())
                }
            },
        )
        .await
    }

    #[tokio::test]
    async fn a_refresh_token_another_client_just_spent_is_looked_for_until_its_save_comes() {
        for save_after in [Duration::ZERO, Duration::from_millis(500)] {
            let vault = Vault::memory();
            let idp = spent_by_another(&vault, save_after).await;
            let fields = seed(&vault, &jwt_in(10), "R1").await;
            let mut login = login_of(&idp, &vault, &fields).await;
            let token = login.id_token().await.expect("refreshed with R2");
            assert!(!crate::oidc::expired(&token, SKEW), "{save_after:?}");
        }
        // Refused in the end when nothing newer is kept.
        let idp = Idp::rotating(3600).await;
        let (_, mut spent) = saved(&idp, &jwt_in(10), "R0").await;
        let e = spent.id_token().await.expect_err("refused");
        assert!(matches!(e, OidcError::Refused(_)), "{e}");
    }

    #[tokio::test]
    async fn a_removed_profile_gets_no_tokens_back_and_a_failed_save_waits() {
        let idp = Idp::rotating(3600).await;
        let (vault, mut login) = saved(&idp, &jwt_in(10), "R1").await;
        login.id_token().await.expect("refreshed");
        for key in [ID_TOKEN, REFRESH_TOKEN] {
            vault
                .delete(PROFILE, &format!("oidc-{key}"))
                .await
                .expect("delete");
        }
        login.save().await.expect("nothing to keep them in");
        assert_eq!(kept(&vault, ID_TOKEN).await, "");
        assert_eq!(kept(&vault, REFRESH_TOKEN).await, "");
        assert!(login.kept.is_none());

        // After a failed save, the next waits its turn.
        let (vault, mut login) = saved(&idp, &jwt_in(10), "R2").await;
        login.id_token().await.expect("refreshed");
        login.save_failed = Some(Instant::now());
        login.save_when_due().await.expect("not yet");
        assert_eq!(kept(&vault, REFRESH_TOKEN).await, "R2");
        login.save_failed = Some(Instant::now() - SAVE_RETRY);
        login.save_when_due().await.expect("saved");
        assert_eq!(kept(&vault, REFRESH_TOKEN).await, "R3");
    }

    #[tokio::test]
    async fn a_request_given_up_on_still_keeps_the_refresh_it_started() {
        let idp = Idp::rotating(3600).await;
        let (vault, login) = saved(&idp, &jwt_in(10), "R1").await;
        let mut svc = bearer(login);
        let mut call = svc.call(http::Request::new(()));
        // Polled once (the refresh under way), then dropped, as a timeout drops it.
        assert!(futures_util::FutureExt::now_or_never(&mut call).is_none());
        drop(call);
        let deadline = Instant::now() + Duration::from_secs(30);
        while kept(&vault, REFRESH_TOKEN).await != "R2" {
            assert!(Instant::now() < deadline, "the refresh was not kept");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(idp.refreshes(), vec!["R1"]);
    }

    #[tokio::test]
    async fn concurrent_requests_with_a_stale_id_token_refresh_once() {
        let idp = Idp::rotating(3600).await;
        let (_, login) = saved(&idp, &jwt_in(10), "R1").await;
        let svc = bearer(login);
        let sent = futures_util::future::join_all(
            (0..8).map(|_| svc.clone().oneshot(http::Request::new(()))),
        )
        .await;
        let sent: Vec<String> = sent.into_iter().map(|r| r.expect("sent")).collect();
        assert!(sent.iter().all(|h| *h == sent[0]), "{sent:?}");
        assert_eq!(idp.refreshes(), vec!["R1"]);
    }

    #[test]
    fn a_kubeconfig_gets_its_users_new_tokens_as_kubectl_writes_them() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("dir");
        let real = dir.path().join("real-config");
        let text = "# mine\napiVersion: v1\nkind: Config\nusers:\n- name: other\n  user: {token: t}\n- name: me\n  user:\n    auth-provider:\n      name: oidc\n      config: {client-id: c, id-token: old, refresh-token: R1, idp-issuer-url: 'https://i'}\ncurrent-context: x\n";
        std::fs::write(&real, text).expect("write");
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).expect("mode");
        let link = dir.path().join("config");
        std::os::unix::fs::symlink(&real, &link).expect("link");
        assert_eq!(
            defining_file(&[dir.path().join("none"), link.clone()], "me"),
            Some(link.clone())
        );
        assert_eq!(defining_file(std::slice::from_ref(&link), "other"), None);

        assert_eq!(
            kubeconfig::write_tokens(&link, "me", "new", Some("R2")),
            Ok(true)
        );
        assert!(!dir.path().join("config.lock").exists(), "the lock is left");
        // Through the link to its file, whose mode stays.
        assert!(std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink());
        let mode = std::fs::metadata(&real).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let doc = kubeconfig::read(&real).expect("yaml");
        let config = kubeconfig::provider_config(&doc, "me").expect("oidc");
        let get = |k: &str| config.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        assert_eq!(get("id-token").as_deref(), Some("new"));
        assert_eq!(get("refresh-token").as_deref(), Some("R2"));
        assert_eq!(get("client-id").as_deref(), Some("c"));
        // The rest as it was.
        let users = doc["users"].as_sequence().expect("users");
        assert_eq!(users[0]["user"]["token"].as_str(), Some("t"));
        assert_eq!(doc["current-context"].as_str(), Some("x"));
        // A user no longer there: nothing written.
        assert_eq!(
            kubeconfig::write_tokens(&link, "gone", "x", None),
            Ok(false)
        );
        // Another program's lock: nothing written, and its lock left as it was.
        std::fs::write(dir.path().join("config.lock"), "").expect("lock");
        let e = kubeconfig::write_tokens(&link, "me", "newer", None).expect_err("locked");
        assert!(e.starts_with("cannot take its lock"), "{e}");
        assert!(dir.path().join("config.lock").exists());
        let doc = kubeconfig::read(&real).expect("yaml");
        let config = kubeconfig::provider_config(&doc, "me").expect("oidc");
        assert_eq!(config.get("id-token").and_then(|v| v.as_str()), Some("new"));
    }

    /// Values a YAML 1.1 reader (kubectl's) takes for booleans, numbers or nulls when bare stay
    /// strings, and the document reads back the same.
    #[test]
    fn a_kubeconfig_is_written_so_kubectl_reads_back_each_value_as_it_was() {
        let text = "apiVersion: v1\nclusters: []\ncontexts:\n- name: \"on\"\n  context: {cluster: \"no\", namespace: \"y\", user: \"1_000\"}\nusers:\n- name: me\n  user:\n    exec:\n      args: [\"off\", \"1:20\", \"2001-12-14\", \"0123\", \"a\\nb\", \"é\"]\n      env: []\n      interactiveMode: Never\n    as-user-extra: {}\npreferences: {}\nport: 8080\nflag: true\nnothing: null\n";
        let doc: serde_yaml::Value = serde_yaml::from_str(text).expect("yaml");
        let written = kubeconfig::emit(&doc);
        for bare in ["no", "on", "off", "y", "1_000", "1:20", "2001-12-14"] {
            assert!(
                !written
                    .lines()
                    .any(|l| l.trim_end().ends_with(&format!(" {bare}"))),
                "{bare} bare in:\n{written}"
            );
        }
        assert!(written.contains("- name: \"on\"\n"), "{written}");
        assert!(
            written.contains("port: 8080\nflag: true\nnothing: null\n"),
            "{written}"
        );
        let back: serde_yaml::Value = serde_yaml::from_str(&written).expect("reads back");
        assert_eq!(back, doc, "{written}");
    }

    #[tokio::test]
    async fn a_kubeconfig_login_refreshes_in_memory_only() {
        let idp = Idp::rotating(3600).await;
        let (vault, mut login) = saved(&idp, &jwt_in(10), "R1").await;
        login.kept = None;
        login.id_token().await.expect("refreshed");
        login.save().await.expect("nothing to save");
        assert_eq!(kept(&vault, REFRESH_TOKEN).await, "R1");
        assert_eq!(login.config[REFRESH_TOKEN], "R2");
    }

    /// The layer over a service that answers with the Authorization header it was sent.
    fn bearer(
        login: Login,
    ) -> Bearer<tower::util::BoxCloneService<http::Request<()>, String, BoxError>> {
        let echo = tower::service_fn(|req: http::Request<()>| async move {
            Ok::<_, BoxError>(
                req.headers()
                    .get(http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_string(),
            )
        });
        Bearer::new(
            tower::util::BoxCloneService::new(echo),
            Arc::new(tokio::sync::Mutex::new(login)),
        )
    }

    #[tokio::test]
    async fn each_request_carries_a_fresh_id_token_and_a_refused_refresh_fails_it_in_words() {
        let idp = Idp::rotating(3600).await;
        let (vault, login) = saved(&idp, &jwt_in(10), "R1").await;
        let mut svc = bearer(login);
        let sent = svc
            .ready()
            .await
            .expect("ready")
            .call(http::Request::new(()))
            .await
            .expect("sent");
        assert_eq!(sent, format!("Bearer {}", kept(&vault, ID_TOKEN).await));
        assert_eq!(kept(&vault, REFRESH_TOKEN).await, "R2");

        // A refresh token the provider refuses: the request is not sent, and says why.
        let (_, login) = saved(&idp, &jwt_in(10), "R1").await;
        let e = bearer(login)
            .oneshot(http::Request::new(()))
            .await
            .expect_err("refused");
        assert!(
            matches!(e.downcast_ref::<OidcError>(), Some(OidcError::Refused(_))),
            "{e}"
        );
        // As kube hands it back: named, and counted as refused credentials.
        let api = crate::cluster::ApiError::from(kube::Error::Service(e));
        assert!(
            matches!(api, crate::cluster::ApiError::Login(OidcError::Refused(_))),
            "{api:?}"
        );
        assert!(api.login_refused() && !api.credentials_refused());
        assert!(
            api.to_string()
                .starts_with("the OIDC provider refused the refresh token"),
            "{api}"
        );
    }
}
