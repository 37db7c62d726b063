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
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// How long before its `exp` an id-token is refreshed: a request sent with it must still be
/// accepted when it reaches the API server, and a slow upgrade or proxy takes seconds.
pub const SKEW: Duration = Duration::from_secs(30);

const ID_TOKEN: &str = "id-token";
const REFRESH_TOKEN: &str = "refresh-token";

/// Where a saved profile keeps its tokens: the vault entries of its `id-token` and
/// `refresh-token` config keys.
pub struct Kept {
    pub vault: Vault,
    pub profile_id: String,
    /// The auth-provider config key → the vault field it is kept under.
    pub fields: BTreeMap<String, String>,
}

impl Kept {
    fn field(&self, key: &str) -> String {
        self.fields
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }
}

/// One client's OIDC login: the auth-provider's config (its secrets included), and where a
/// refresh is kept (`None`: a kubeconfig's user, refreshed in memory only).
pub struct Login {
    config: BTreeMap<String, String>,
    kept: Option<Kept>,
    /// Tokens refreshed and not yet written to the vault.
    unsaved: bool,
}

impl Login {
    pub fn new(config: BTreeMap<String, String>, kept: Option<Kept>) -> Login {
        Login {
            config,
            kept,
            unsaved: false,
        }
    }

    fn fresh(&self) -> Option<String> {
        self.config
            .get(ID_TOKEN)
            .filter(|t| !crate::oidc::expired(t, SKEW))
            .cloned()
    }

    /// The id-token to send: this login's own while it is fresh; else one another client of
    /// the profile kept in the vault meanwhile; else a new one from the provider (held here
    /// until [`Login::save`] writes it).
    pub async fn id_token(&mut self) -> Result<String, OidcError> {
        if let Some(t) = self.fresh() {
            return Ok(t);
        }
        if !self.unsaved {
            if let Some(t) = self.adopt_kept().await {
                return Ok(t);
            }
        }
        let tokens = crate::oidc::refresh_with(&self.config).await?;
        self.config.insert(ID_TOKEN.into(), tokens.id_token.clone());
        if let Some(r) = tokens.refresh_token {
            self.config.insert(REFRESH_TOKEN.into(), r);
        }
        self.unsaved = self.kept.is_some();
        Ok(tokens.id_token)
    }

    /// The vault's id-token (and its refresh token) when it is fresh. A vault that cannot be
    /// read now is passed over: the refresh below says what is wrong, if anything.
    async fn adopt_kept(&mut self) -> Option<String> {
        let kept = self.kept.as_ref()?;
        let get = |key: &str| {
            let field = kept.field(key);
            async move {
                kept.vault
                    .get(&kept.profile_id, &field)
                    .await
                    .ok()
                    .flatten()
            }
        };
        let id = get(ID_TOKEN).await?;
        if crate::oidc::expired(id.expose(), SKEW) {
            return None;
        }
        let refresh = get(REFRESH_TOKEN).await;
        self.config.insert(ID_TOKEN.into(), id.expose().to_string());
        if let Some(r) = refresh {
            self.config
                .insert(REFRESH_TOKEN.into(), r.expose().to_string());
        }
        Some(id.expose().to_string())
    }

    /// Writes tokens refreshed since the last save to the vault (where each is kept: the keyring,
    /// or this run's memory if the user chose not to remember it). A failed save is tried again
    /// by the next call.
    pub async fn save(&mut self) -> Result<(), VaultError> {
        let Some(kept) = self.kept.as_ref().filter(|_| self.unsaved) else {
            return Ok(());
        };
        for key in [ID_TOKEN, REFRESH_TOKEN] {
            if let Some(value) = self.config.get(key) {
                kept.vault
                    .update(
                        &kept.profile_id,
                        &kept.field(key),
                        &Secret::new(value.clone()),
                    )
                    .await?;
            }
        }
        self.unsaved = false;
        Ok(())
    }
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
            let token = {
                let mut login = login.lock().await;
                let token = login.id_token().await?;
                if let Err(e) = login.save().await {
                    tracing::warn!(
                        "the refreshed OIDC tokens could not be written to the keyring (tried again on the next request): {e}"
                    );
                }
                token
            };
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
        (vault.clone(), login_of(idp, &vault, &fields).await)
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
            Some(Kept {
                vault: vault.clone(),
                profile_id: PROFILE.into(),
                fields: fields.clone(),
            }),
        )
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
        let (vault, mut other) = saved(&idp, &jwt_in(10), "R1").await;
        let fields = other.kept.as_ref().expect("kept").fields.clone();
        let mut this = login_of(&idp, &vault, &fields).await;
        let theirs = other.id_token().await.expect("refreshed");
        other.save().await.expect("save");
        // This login still holds R1, which the provider refuses now: it takes the kept tokens.
        assert_eq!(this.id_token().await.expect("adopted"), theirs);
        assert_eq!(idp.refreshes(), vec!["R1"]);
        assert_eq!(this.config[REFRESH_TOKEN], "R2");
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
        assert!(api.credentials_refused());
        assert!(
            api.to_string()
                .starts_with("the OIDC provider refused the refresh token"),
            "{api}"
        );
    }
}
