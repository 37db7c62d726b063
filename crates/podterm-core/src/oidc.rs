//! The `oidc` auth-provider's tokens: an expired id-token is refreshed with the refresh token
//! (OpenID discovery, then the token endpoint), as kubectl's oidc provider does, so that the new
//! tokens can be written back to the keyring. HTTPS goes through kube's own client stack.

use base64::Engine as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why a refresh failed; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the OIDC id-token has expired and there is no refresh token: log in again and re-import the profile")]
    NoRefreshToken,
    #[error("the OIDC provider setting {0} is missing from the profile")]
    Missing(&'static str),
    #[error("cannot reach the OIDC provider {url}: {message}")]
    Provider { url: String, message: String },
    #[error(
        "the OIDC provider refused the refresh token ({0}): log in again and re-import the profile"
    )]
    Refused(String),
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

fn client_for(url: &str, ca_pem: Option<&str>) -> Result<(kube::Client, http::Uri), OidcError> {
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
    let client =
        kube::Client::try_from(config).map_err(|e| provider(crate::cluster::describe(&e)))?;
    Ok((client, uri))
}

fn path_and_query(uri: &http::Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into())
}

/// Refreshes: discovery at `issuer`, then `grant_type=refresh_token` at its token endpoint.
pub async fn refresh(
    issuer: &str,
    client_id: &str,
    client_secret: Option<&str>,
    refresh_token: &str,
    ca_pem: Option<&str>,
) -> Result<Tokens, OidcError> {
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let (client, uri) = client_for(&discovery_url, ca_pem)?;
    let req = http::Request::get(path_and_query(&uri))
        .body(Vec::new())
        .map_err(|e| OidcError::Provider {
            url: discovery_url.clone(),
            message: e.to_string(),
        })?;
    let text = client
        .request_text(req)
        .await
        .map_err(|e| OidcError::Provider {
            url: discovery_url.clone(),
            message: crate::cluster::describe(&e),
        })?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| OidcError::Provider {
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
    let (client, uri) = client_for(&token_url, ca_pem)?;
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
    let text = client.request_text(req).await.map_err(|e| match e {
        kube::Error::Api(s) => OidcError::Refused(format!("{} {}", s.code, s.message)),
        other => OidcError::Provider {
            url: token_url.clone(),
            message: crate::cluster::describe(&other),
        },
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| OidcError::Provider {
        url: token_url.clone(),
        message: format!("not a token response: {e}"),
    })?;
    if let Some(err) = v["error"].as_str() {
        return Err(OidcError::Refused(err.to_string()));
    }
    let id_token = v["id_token"]
        .as_str()
        .ok_or_else(|| OidcError::Refused("the response has no id_token".into()))?
        .to_string();
    Ok(Tokens {
        id_token,
        refresh_token: v["refresh_token"].as_str().map(str::to_owned),
    })
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
}
