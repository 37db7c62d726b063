//! The `oidc` auth-provider's tokens: an expired id-token is refreshed with the refresh token
//! (OpenID discovery, then the token endpoint), as kubectl's oidc provider does, so that the new
//! tokens can be written back to the keyring. HTTPS goes through kube's own client stack.

use base64::Engine as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The most read of a provider's answer (its OpenID configuration, a token response): real
/// ones are a few kilobytes; an endless one must not fill memory.
const MAX_PROVIDER_ANSWER: usize = 1 << 20;

/// Why a refresh failed; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the OIDC id-token has expired and there is no refresh token: log in again (for a saved profile, then import it again: podterm profile import)")]
    NoRefreshToken,
    #[error("the OIDC provider setting {0} is missing from the profile")]
    Missing(&'static str),
    #[error("cannot reach the OIDC provider {url}: {message}")]
    Provider { url: String, message: String },
    /// The provider answered the refresh with an error (`detail`: the HTTP status and the
    /// OAuth `error` and `error_description`, escaped and cut).
    #[error(
        "the OIDC provider refused the refresh token ({0}): the refresh token has expired or was revoked; log in again with the tool that wrote the id-token and refresh-token (for a saved profile, then import it again: podterm profile import)"
    )]
    Refused(String),
    /// The issuer or its token endpoint is plain http to another machine: the refresh token
    /// and client secret would cross the network readable by anyone on the way.
    #[error("the OIDC {what} {url} is not https: Podterm sends the refresh token and client secret only over https (plain http only to this machine): fix the profile's idp-issuer-url, or the provider's configuration")]
    NotHttps { what: &'static str, url: String },
    /// The discovery document names a token endpoint on a host other than the issuer's, and
    /// the user did not allow that host.
    #[error("the OIDC provider {issuer_host} names a token endpoint on another host, {endpoint_host}: Podterm does not send the refresh token and client secret there unless told to; if {endpoint_host} is the provider's own, allow it with {TOKEN_HOSTS_ENV}={endpoint_host} (comma-separated hosts) and retry")]
    ForeignHost {
        issuer_host: String,
        endpoint_host: String,
    },
    /// The id-token holds bytes an HTTP header cannot carry (a control character, a line
    /// break): it is not a JWT.
    #[error("the OIDC id-token is not a JWT (it holds characters an HTTP header cannot carry): log in again (for a saved profile, then import it again: podterm profile import)")]
    Unusable,
}

/// Hosts (comma-separated) other than the issuer's that a token endpoint may be on: for
/// providers whose discovery names a token endpoint on a host of their own (Google's issuer
/// `accounts.google.com` names `oauth2.googleapis.com`).
pub const TOKEN_HOSTS_ENV: &str = "PODTERM_OIDC_TOKEN_HOSTS";

/// The host of `url` (lower-case, IPv6 without brackets), if it has one.
fn host_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    Some(host.to_ascii_lowercase())
}

/// `localhost` or a loopback address: plain http there never leaves this machine.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses `url` unless it is https, or http to this machine. `what`: "issuer", "token endpoint".
fn require_https(what: &'static str, url: &str) -> Result<(), OidcError> {
    let not_https = || OidcError::NotHttps {
        what,
        url: crate::text::shown(url),
    };
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    if lower.starts_with("http://") && host_of(url).is_some_and(|h| is_loopback(&h)) {
        return Ok(());
    }
    Err(not_https())
}

/// Refuses a token endpoint on a host other than the issuer's, unless `allowed` (the value of
/// [`TOKEN_HOSTS_ENV`]) names it.
fn require_issuer_host(
    issuer: &str,
    token_url: &str,
    allowed: Option<&str>,
) -> Result<(), OidcError> {
    let issuer_host = host_of(issuer).unwrap_or_default();
    let endpoint_host = host_of(token_url).unwrap_or_default();
    let allowed_here = allowed.is_some_and(|list| {
        list.split(',')
            .any(|h| !h.trim().is_empty() && h.trim().eq_ignore_ascii_case(&endpoint_host))
    });
    if endpoint_host == issuer_host || allowed_here {
        Ok(())
    } else {
        Err(OidcError::ForeignHost {
            issuer_host: crate::text::shown(&issuer_host),
            endpoint_host: crate::text::shown(&endpoint_host),
        })
    }
}

/// New tokens from a refresh.
#[derive(Debug)]
pub struct Tokens {
    pub id_token: String,
    /// Present when the provider rotated the refresh token.
    pub refresh_token: Option<String>,
}

/// Whether a JWT's `exp` is past (or within `skew`); a token that cannot be read counts as
/// expired.
pub fn expired(jwt: &str, skew: Duration) -> bool {
    let exp = jwt
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["exp"].as_u64());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match exp {
        Some(exp) => exp <= now + skew.as_secs(),
        None => true,
    }
}

/// Reads an environment variable (the process's, or a test's).
type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

fn client_for(
    url: &str,
    ca_pem: Option<&str>,
    env: Env<'_>,
) -> Result<(kube::Client, http::Uri), OidcError> {
    let provider = |message: String| OidcError::Provider {
        url: url.to_string(),
        message,
    };
    let uri: http::Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| provider(e.to_string()))?;
    let base: http::Uri = format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("https"),
        uri.authority().map(|a| a.as_str()).unwrap_or("")
    )
    .parse()
    .map_err(|e: http::uri::InvalidUri| provider(e.to_string()))?;
    let mut config = kube::Config::new(base);
    // kube retries a 503 or 429 up to 15 times with backoff (minutes): a refresh that the
    // provider cannot serve should say so now, not hang the connect.
    config.default_retry = false;
    if let Some(pem) = ca_pem {
        let ders: Vec<Vec<u8>> = pem
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .filter_map(|c| c.split("-----END CERTIFICATE-----").next())
            .filter_map(|b64| {
                let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD.decode(clean).ok()
            })
            .collect();
        if !ders.is_empty() {
            config.root_cert = Some(ders);
        }
    }
    // Through the proxy the environment names (HTTPS_PROXY, NO_PROXY), as kubectl's oidc
    // provider reaches it.
    crate::cluster::choose_proxy(&mut config, None, env).map_err(|e| provider(e.to_string()))?;
    let client = crate::cluster::build_client(config, None)
        .map_err(|e| provider(crate::cluster::describe(&e)))?;
    Ok((client, uri))
}

/// The provider's answer to `req`: its status and its body, read up to
/// [`MAX_PROVIDER_ANSWER`] bytes (more is an error, and the connection is dropped). Read by hand,
/// not with kube's `request_text`: an OAuth error body is not a `Status`, and kube reads a body
/// whole.
async fn answer(
    client: &kube::Client,
    req: http::Request<Vec<u8>>,
) -> Result<(http::StatusCode, Vec<u8>), String> {
    use hyper::body::Body as _;
    let res = client
        .send(req.map(kube::client::Body::from))
        .await
        .map_err(|e| crate::cluster::describe(&e))?;
    let status = res.status();
    let mut body = res.into_body();
    let mut bytes = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| crate::cluster::describe(&e))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_PROVIDER_ANSWER {
                return Err(format!(
                    "its answer is longer than {} KiB, which no OpenID provider sends: check the profile's idp-issuer-url",
                    MAX_PROVIDER_ANSWER >> 10
                ));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok((status, bytes))
}

fn path_and_query(uri: &http::Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into())
}

/// Refreshes with an `oidc` auth-provider's config (`idp-issuer-url`, `client-id`,
/// `client-secret`, `refresh-token`, and the provider's CA from `idp-certificate-authority-data`
/// or the file `idp-certificate-authority`).
pub async fn refresh_with(
    config: &std::collections::BTreeMap<String, String>,
) -> Result<Tokens, OidcError> {
    let refresh_token = config
        .get("refresh-token")
        .ok_or(OidcError::NoRefreshToken)?;
    let issuer = config
        .get("idp-issuer-url")
        .ok_or(OidcError::Missing("idp-issuer-url"))?;
    let client_id = config
        .get("client-id")
        .ok_or(OidcError::Missing("client-id"))?;
    let ca = match (
        config.get("idp-certificate-authority-data"),
        config.get("idp-certificate-authority"),
    ) {
        (Some(data), _) => base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok()),
        (None, Some(file)) => std::fs::read_to_string(file).ok(),
        (None, None) => None,
    };
    refresh(
        issuer,
        client_id,
        config.get("client-secret").map(String::as_str),
        refresh_token,
        ca.as_deref(),
    )
    .await
}

/// Refreshes: discovery at `issuer`, then `grant_type=refresh_token` at its token endpoint.
pub async fn refresh(
    issuer: &str,
    client_id: &str,
    client_secret: Option<&str>,
    refresh_token: &str,
    ca_pem: Option<&str>,
) -> Result<Tokens, OidcError> {
    let env = crate::cluster::process_env;
    refresh_in(
        issuer,
        client_id,
        client_secret,
        refresh_token,
        ca_pem,
        &env,
    )
    .await
}

/// [`refresh`] with the environment `env` (its proxy and [`TOKEN_HOSTS_ENV`]).
async fn refresh_in(
    issuer: &str,
    client_id: &str,
    client_secret: Option<&str>,
    refresh_token: &str,
    ca_pem: Option<&str>,
    env: Env<'_>,
) -> Result<Tokens, OidcError> {
    require_https("issuer", issuer)?;
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let (client, uri) = client_for(&discovery_url, ca_pem, env)?;
    let req = http::Request::get(path_and_query(&uri))
        .body(Vec::new())
        .map_err(|e| OidcError::Provider {
            url: discovery_url.clone(),
            message: e.to_string(),
        })?;
    let (status, text) = answer(&client, req)
        .await
        .map_err(|message| OidcError::Provider {
            url: discovery_url.clone(),
            message,
        })?;
    if !status.is_success() {
        let v = serde_json::from_slice(&text).unwrap_or(serde_json::Value::Null);
        return Err(OidcError::Provider {
            url: discovery_url.clone(),
            message: refusal(status, &v, &text),
        });
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| OidcError::Provider {
            url: discovery_url.clone(),
            message: format!("not an OpenID configuration: {e}"),
        })?;
    let token_url = doc["token_endpoint"]
        .as_str()
        .ok_or_else(|| OidcError::Provider {
            url: discovery_url.clone(),
            message: "no token_endpoint in the OpenID configuration".into(),
        })?
        .to_string();
    // The secrets go only over https, and only to the issuer's host (or one the user allowed).
    require_https("token endpoint", &token_url)?;
    require_issuer_host(issuer, &token_url, env(TOKEN_HOSTS_ENV).as_deref())?;
    let (client, uri) = client_for(&token_url, ca_pem, env)?;
    // Built and dropped before any await: the serializer is not Send.
    let body = {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh_token)
            .append_pair("client_id", client_id);
        if let Some(s) = client_secret {
            form.append_pair("client_secret", s);
        }
        form.finish()
    };
    let req = http::Request::post(path_and_query(&uri))
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body.into_bytes())
        .map_err(|e| OidcError::Provider {
            url: token_url.clone(),
            message: e.to_string(),
        })?;
    let provider = |message: String| OidcError::Provider {
        url: crate::text::shown(&token_url),
        message,
    };
    let (status, bytes) = answer(&client, req).await.map_err(provider)?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    // An OAuth error or a 4xx refuses the token; a 5xx is the provider failing, not a refusal.
    if status.is_client_error() || v.get("error").is_some() {
        return Err(OidcError::Refused(refusal(status, &v, &bytes)));
    }
    if !status.is_success() {
        return Err(provider(refusal(status, &v, &bytes)));
    }
    if v.is_null() {
        return Err(provider(format!(
            "not a token response: {}",
            crate::text::shown_bytes(&bytes)
        )));
    }
    let id_token = v["id_token"]
        .as_str()
        .ok_or_else(|| OidcError::Refused("the response has no id_token".into()))?
        .to_string();
    if !id_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(OidcError::Unusable);
    }
    Ok(Tokens {
        id_token,
        refresh_token: v["refresh_token"].as_str().map(str::to_owned),
    })
}

/// What a refusal said: the HTTP status and the OAuth `error` (`error_description`), else the
/// body; the provider's words escaped and cut.
fn refusal(status: http::StatusCode, v: &serde_json::Value, body: &[u8]) -> String {
    let code = match status.canonical_reason() {
        Some(r) => format!("HTTP {} {r}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    let said = match (v["error"].as_str(), v["error_description"].as_str()) {
        (Some(e), Some(d)) if !d.is_empty() => format!("{e}: {d}"),
        (Some(e), _) => e.to_string(),
        _ if body.iter().all(u8::is_ascii_whitespace) => return format!("{code}, no details"),
        _ => return format!("{code}: {}", crate::text::shown_bytes(body)),
    };
    format!("{code}, {}", crate::text::shown(&said))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(exp: u64) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.sig",
            enc(r#"{"alg":"none"}"#),
            enc(&format!(r#"{{"exp":{exp}}}"#))
        )
    }

    #[test]
    fn expiry_is_read_from_the_token() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        assert!(expired(&jwt(now - 10), Duration::ZERO));
        assert!(!expired(&jwt(now + 3600), Duration::from_secs(30)));
        assert!(expired(&jwt(now + 10), Duration::from_secs(30)));
        assert!(expired("not-a-jwt", Duration::ZERO));
    }

    use testidp::Idp as FakeIdp;

    async fn fake_idp(
        token_endpoint: impl Fn(&str) -> String + Send + Sync + 'static,
        token: (u16, &'static str),
    ) -> FakeIdp {
        FakeIdp::start(token_endpoint, move |_| (token.0, token.1.to_string())).await
    }

    const SECRET: &str = "client-s3cret-value";
    const REFRESH: &str = "refresh-R1-value";

    async fn refresh_at(idp: &FakeIdp) -> Result<Tokens, OidcError> {
        refresh(&idp.url, "podterm-test", Some(SECRET), REFRESH, None).await
    }

    #[tokio::test]
    async fn a_refresh_goes_to_the_issuer_s_token_endpoint() {
        let idp = fake_idp(
            |base| format!("{base}/token"),
            (200, r#"{"id_token":"new-id","refresh_token":"R2"}"#),
        )
        .await;
        let t = refresh_at(&idp).await.expect("refreshed");
        assert_eq!(
            (t.id_token.as_str(), t.refresh_token.as_deref()),
            ("new-id", Some("R2"))
        );
        assert!(idp.requests().contains(REFRESH), "the refresh was sent");
    }

    /// A server on 127.0.0.1 whose every answer is a 200 with a body that never ends; the
    /// count of bytes it wrote before the client stopped reading.
    async fn endless_answers() -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let count = sent.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    let mut head = [0u8; 4096];
                    let _ = s.read(&mut head).await;
                    let start = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"x\":\"";
                    if s.write_all(start.as_bytes()).await.is_err() {
                        return;
                    }
                    let piece = vec![b'a'; 64 << 10];
                    while s.write_all(&piece).await.is_ok() {
                        count.fetch_add(piece.len() as u64, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        (url, sent)
    }

    /// An issuer, or a token endpoint, whose answer never ends is read up to 1 MiB, then the
    /// refresh fails in words: kube's `request_text` and `collect_bytes` read it whole.
    #[tokio::test]
    async fn an_endless_provider_answer_is_cut_and_refused() {
        let guard = Duration::from_secs(120);
        let (endless, sent) = endless_answers().await;
        let e = tokio::time::timeout(
            guard,
            refresh(&endless, "podterm-test", Some(SECRET), REFRESH, None),
        )
        .await
        .expect("the refresh ended")
        .expect_err("refused");
        let words = e.to_string();
        assert!(matches!(e, OidcError::Provider { .. }), "{words}");
        assert!(words.contains("longer than 1024 KiB"), "{words}");
        // The server wrote at most what the client read, plus what sockets hold.
        let written = sent.load(std::sync::atomic::Ordering::SeqCst);
        assert!(written < 64 << 20, "{written} bytes were sent");

        // Its token endpoint: discovery answers, the token response never ends.
        let idp = fake_idp(
            {
                let endless = endless.clone();
                move |_| format!("{endless}/token")
            },
            (200, "{}"),
        )
        .await;
        let e = tokio::time::timeout(guard, refresh_at(&idp))
            .await
            .expect("the refresh ended")
            .expect_err("refused");
        let words = e.to_string();
        assert!(matches!(e, OidcError::Provider { .. }), "{words}");
        assert!(words.contains("longer than 1024 KiB"), "{words}");
        assert!(words.contains("/token"), "{words}");
    }

    #[tokio::test]
    async fn a_plain_http_token_endpoint_elsewhere_is_refused_before_sending() {
        let idp = fake_idp(
            |_| "http://idp.example.com/token".into(),
            (200, r#"{"id_token":"x"}"#),
        )
        .await;
        let e = refresh_at(&idp).await.expect_err("refused");
        assert!(
            matches!(
                e,
                OidcError::NotHttps {
                    what: "token endpoint",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "the OIDC token endpoint http://idp.example.com/token is not https: Podterm sends the refresh token and client secret only over https (plain http only to this machine): fix the profile's idp-issuer-url, or the provider's configuration"
        );
        let seen = idp.requests();
        assert!(!seen.contains(SECRET) && !seen.contains(REFRESH), "{seen}");
        // And an http issuer elsewhere is refused before discovery.
        let e = refresh("http://idp.example.com", "c", Some(SECRET), REFRESH, None)
            .await
            .expect_err("refused");
        assert!(
            matches!(e, OidcError::NotHttps { what: "issuer", .. }),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_token_endpoint_on_another_host_is_refused_naming_both() {
        // The same fake server under another name: had the secrets been sent, it would have
        // recorded them.
        let idp = fake_idp(
            |base| format!("{}/token", base.replace("127.0.0.1", "localhost")),
            (200, r#"{"id_token":"x"}"#),
        )
        .await;
        let e = refresh_at(&idp).await.expect_err("refused");
        assert_eq!(
            e.to_string(),
            "the OIDC provider 127.0.0.1 names a token endpoint on another host, localhost: Podterm does not send the refresh token and client secret there unless told to; if localhost is the provider's own, allow it with PODTERM_OIDC_TOKEN_HOSTS=localhost (comma-separated hosts) and retry"
        );
        let seen = idp.requests();
        assert!(!seen.contains(SECRET) && !seen.contains(REFRESH), "{seen}");
        assert!(!seen.contains("POST"), "{seen}");
        // Allowed by the user, it is used.
        require_issuer_host(
            &idp.url,
            "https://localhost/token",
            Some("a.example, localhost"),
        )
        .expect("allowed");
    }

    /// The provider is reached through the proxy the environment names, as kubectl's oidc
    /// provider reaches it: here one that refuses connections, which the failure names.
    #[tokio::test]
    async fn the_provider_is_reached_through_the_environment_s_proxy() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy = format!("http://{}", closed.local_addr().expect("addr"));
        drop(closed);
        let env = |k: &str| (k == "HTTPS_PROXY").then(|| proxy.clone());
        let e = refresh_in("https://idp.invalid", "c", None, REFRESH, None, &env)
            .await
            .expect_err("no proxy there");
        assert!(
            matches!(&e, OidcError::Provider { message, .. } if message.contains(&proxy)),
            "{e}"
        );
        // Without it, the name itself is what fails.
        let none = |_: &str| None;
        let e = refresh_in("https://idp.invalid", "c", None, REFRESH, None, &none)
            .await
            .expect_err("no such host");
        assert!(!e.to_string().contains(&proxy), "{e}");
    }

    #[tokio::test]
    async fn a_refused_refresh_says_what_the_provider_said_and_what_to_do() {
        let idp = fake_idp(
            |base| format!("{base}/token"),
            (
                400,
                r#"{"error":"invalid_grant","error_description":"Token is not active\u001b[2J"}"#,
            ),
        )
        .await;
        let e = refresh_at(&idp).await.expect_err("refused");
        assert_eq!(
            e.to_string(),
            "the OIDC provider refused the refresh token (HTTP 400 Bad Request, invalid_grant: Token is not active\\x1b[2J): the refresh token has expired or was revoked; log in again with the tool that wrote the id-token and refresh-token (for a saved profile, then import it again: podterm profile import)"
        );
        let idp = fake_idp(|base| format!("{base}/token"), (503, "down")).await;
        let e = refresh_at(&idp).await.expect_err("failed");
        assert!(
            matches!(&e, OidcError::Provider { message, .. } if message == "HTTP 503 Service Unavailable: down"),
            "{e:?}"
        );
        let idp = fake_idp(|base| format!("{base}/token"), (401, "")).await;
        let e = refresh_at(&idp).await.expect_err("refused");
        assert!(
            e.to_string().starts_with(
                "the OIDC provider refused the refresh token (HTTP 401 Unauthorized, no details): "
            ),
            "{e}"
        );
    }
}

/// A fake OpenID provider on 127.0.0.1, for the tests here and in [`crate::oidclogin`].
#[cfg(test)]
pub(crate) mod testidp {
    use std::sync::{Arc, Mutex};

    /// A provider that records every request (head and body).
    pub(crate) struct Idp {
        pub url: String,
        seen: Arc<Mutex<Vec<String>>>,
        refreshes: Arc<Mutex<Vec<String>>>,
    }

    /// An unsigned JWT whose `exp` is `secs` from now.
    pub(crate) fn jwt_in(secs: i64) -> String {
        use base64::Engine as _;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.sig",
            enc(r#"{"alg":"none"}"#),
            enc(&format!(r#"{{"exp":{}}}"#, now + secs))
        )
    }

    impl Idp {
        /// Answers discovery with `token_endpoint(base)`, and the token endpoint with
        /// `token(request body)`: a status and a body.
        pub(crate) async fn start(
            token_endpoint: impl Fn(&str) -> String + Send + Sync + 'static,
            token: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
        ) -> Idp {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("addr"));
            let seen = Arc::new(Mutex::new(Vec::new()));
            let (base, record) = (url.clone(), seen.clone());
            let token_endpoint = Arc::new(token_endpoint);
            let token = Arc::new(token);
            tokio::spawn(async move {
                while let Ok((mut s, _)) = listener.accept().await {
                    let (base, record, token_endpoint, token) = (
                        base.clone(),
                        record.clone(),
                        token_endpoint.clone(),
                        token.clone(),
                    );
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 4096];
                        let (text, end) = loop {
                            let n = s.read(&mut chunk).await.unwrap_or(0);
                            if n == 0 {
                                return;
                            }
                            buf.extend_from_slice(&chunk[..n]);
                            let text = String::from_utf8_lossy(&buf).to_string();
                            let Some(end) = text.find("\r\n\r\n") else {
                                continue;
                            };
                            let len: usize = text[..end]
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .and_then(|v| v.trim().parse().ok())
                                })
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                break (text, end);
                            }
                        };
                        record.lock().expect("lock").push(text.clone());
                        let (code, body) =
                            if text.starts_with("GET /.well-known/openid-configuration") {
                                (
                                    200,
                                    format!(
                                        r#"{{"issuer":"{base}","token_endpoint":"{}"}}"#,
                                        token_endpoint(&base)
                                    ),
                                )
                            } else {
                                token(&text[end + 4..])
                            };
                        let resp = format!(
                            "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = s.write_all(resp.as_bytes()).await;
                    });
                }
            });
            Idp {
                url,
                seen,
                refreshes: Arc::default(),
            }
        }

        /// A provider that rotates refresh tokens as Dex does: it takes only the latest one
        /// (`R1` first), and answers each refresh with an id-token valid for `lifetime` seconds
        /// and the next refresh token.
        pub(crate) async fn rotating(lifetime: i64) -> Idp {
            let refreshes: Arc<Mutex<Vec<String>>> = Arc::default();
            let record = refreshes.clone();
            let mut idp = Idp::start(
                |base| format!("{base}/token"),
                move |body| {
                    let sent = form_urlencoded::parse(body.as_bytes())
                        .find(|(k, _)| k == "refresh_token")
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    let mut taken = record.lock().expect("lock");
                    if sent != format!("R{}", taken.len() + 1) {
                        return (400, r#"{"error":"invalid_grant"}"#.into());
                    }
                    taken.push(sent);
                    (
                        200,
                        format!(
                            r#"{{"id_token":"{}","refresh_token":"R{}"}}"#,
                            jwt_in(lifetime),
                            taken.len() + 1
                        ),
                    )
                },
            )
            .await;
            idp.refreshes = refreshes;
            idp
        }

        /// Every request so far, joined: where a secret would show if it had been sent.
        pub(crate) fn requests(&self) -> String {
            self.seen.lock().expect("lock").join("\n")
        }

        /// The refresh tokens a [`Idp::rotating`] provider took, in order.
        pub(crate) fn refreshes(&self) -> Vec<String> {
            self.refreshes.lock().expect("lock").clone()
        }
    }
}
