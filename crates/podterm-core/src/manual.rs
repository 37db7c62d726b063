//! Profiles added or edited by hand (no kubeconfig): a name, the API server, an optional CA
//! certificate and namespace, and a bearer token that goes to the vault. Editing keeps what is
//! not given again: the token, and the auth of a profile that was imported with another kind.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::profiles::{
    Auth, Ca, CertSource, KeySource, Profile, ProfileColour, ProfileError, ProfileStore,
};
use crate::vault::{Secret, Vault, VaultError};

/// The vault field of a hand-entered token (the same name an import uses).
const TOKEN_FIELD: &str = "token";
/// The vault field of a client key pasted into the form (the same name an import uses).
const CLIENT_KEY_FIELD: &str = "client-key";

/// What the user typed. JSON (camelCase) is the app's form: the token comes in as a plain string
/// (or `null`) and is never serialized back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ManualProfile {
    /// The profile being edited (it may be renamed); `None`: a new profile.
    pub original: Option<String>,
    pub name: String,
    pub server: String,
    pub namespace: Option<String>,
    /// PEM of the cluster's CA; `None` or empty (and no `ca_file`): the system's roots.
    pub ca_pem: Option<String>,
    /// The path of a PEM file holding the cluster's CA, read at connect time (an imported
    /// profile's `certificate-authority`); kept as a reference. Not with `ca_pem`.
    #[serde(default)]
    pub ca_file: Option<String>,
    pub insecure: bool,
    /// `None`: keep the stored token (editing), or no token (a new profile).
    #[serde(default, skip_serializing, with = "token_form")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub token: Option<Secret>,
    /// The keepalive interval in seconds; `None`: the default (see [`crate::exec::Liveness`]).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub keepalive_secs: Option<u32>,
    /// The dead-link deadline in seconds; `None`: the default.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub dead_link_secs: Option<u32>,
    /// The colour of the profile's tabs; `None`: one derived from its name.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub colour: Option<ProfileColour>,
    /// A production cluster (its tabs are marked).
    #[serde(default)]
    pub production: bool,
    /// A client certificate: PEM, or the absolute path of a PEM file. `None`: keep the stored
    /// one (or none). With it (or a new key) the profile signs in with a client certificate.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub client_cert: Option<String>,
    /// The client certificate's private key as PEM: it goes to the keyring and is never sent
    /// back. `None`: keep the stored key.
    #[serde(default, skip_serializing, with = "token_form")]
    #[cfg_attr(feature = "ts", ts(optional, type = "string | null"))]
    pub client_key: Option<Secret>,
    /// The private key's file (an absolute path, read at connect time) instead of `client_key`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub client_key_file: Option<String>,
    /// Reopen a lost session on its own (see [`Profile::reconnect`]).
    #[serde(default)]
    pub reconnect: bool,
    /// Record every session (see [`Profile::record_sessions`]).
    #[serde(default)]
    pub record_sessions: bool,
    /// An absolute folder for the recordings; `None` or blank: the app's recordings folder.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub record_folder: Option<String>,
    /// Record what is typed too (input holds passwords: off unless chosen).
    #[serde(default)]
    pub record_input: bool,
}

/// The recordings folder as typed or chosen: blank is the default; else an absolute path.
fn checked_record_folder(input: &ManualProfile) -> Result<Option<PathBuf>, ManualError> {
    match input.record_folder.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(f) if Path::new(f).is_absolute() => Ok(Some(PathBuf::from(f))),
        Some(f) => Err(invalid(format!(
            "the recordings folder must be an absolute path (\"{}\"): choose it with Choose…, or leave it empty for the default",
            crate::text::shown(f)
        ))),
    }
}

/// The keepalive interval the form takes, in seconds.
pub const KEEPALIVE_RANGE: std::ops::RangeInclusive<u32> = 1..=3600;
/// The dead-link deadline the form takes, in seconds.
pub const DEAD_LINK_RANGE: std::ops::RangeInclusive<u32> = 2..=86400;

/// The network settings as typed, checked: each within its range, and the deadline longer than
/// the keepalive interval (else a quiet healthy link would be declared dead before its ping).
fn checked_liveness(input: &ManualProfile) -> Result<(Option<u32>, Option<u32>), ManualError> {
    let d = crate::exec::Liveness::default();
    if let Some(k) = input.keepalive_secs {
        if !KEEPALIVE_RANGE.contains(&k) {
            return Err(invalid(format!(
                "the keepalive interval must be {} to {} seconds (empty: {})",
                KEEPALIVE_RANGE.start(),
                KEEPALIVE_RANGE.end(),
                d.keepalive.as_secs()
            )));
        }
    }
    if let Some(t) = input.dead_link_secs {
        if !DEAD_LINK_RANGE.contains(&t) {
            return Err(invalid(format!(
                "the dead-link deadline must be {} to {} seconds (empty: {})",
                DEAD_LINK_RANGE.start(),
                DEAD_LINK_RANGE.end(),
                d.dead_link.as_secs()
            )));
        }
    }
    let l = crate::exec::Liveness::from_secs(input.keepalive_secs, input.dead_link_secs);
    if l.dead_link <= l.keepalive {
        return Err(invalid(format!(
            "the dead-link deadline ({} s) must be longer than the keepalive interval ({} s): a quiet, healthy connection answers a ping only after it is sent",
            l.dead_link.as_secs(),
            l.keepalive.as_secs()
        )));
    }
    Ok((input.keepalive_secs, input.dead_link_secs))
}

/// The token as the form sends it: a string (kept as typed, even empty: [`save`] refuses an
/// empty one in words) or `null`. It is never serialized (the field is `skip_serializing`).
mod token_form {
    use super::Secret;
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::new))
    }
}

/// Why a hand-entered profile was not saved. Nothing is half-saved.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    /// A field the user can fix.
    #[error("{0}")]
    Invalid(String),
    /// Editing a profile that is gone.
    #[error("no profile named \"{0}\": it may have been deleted; add it again")]
    NotFound(String),
    /// The new name is another profile's.
    #[error("a profile named \"{0}\" already exists: pick another name")]
    Taken(String),
    #[error(transparent)]
    Store(#[from] ProfileError),
    /// The token could not be stored in the keyring.
    #[error("the token was not saved: {0}")]
    Vault(#[from] VaultError),
}

fn invalid(s: impl Into<String>) -> ManualError {
    ManualError::Invalid(s.into())
}

/// Checks and tidies what the user typed (the CA is checked by [`checked_ca`]).
fn checked(input: &ManualProfile) -> Result<(String, String, Option<String>), ManualError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(invalid("give the profile a name"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("the name has control characters in it"));
    }
    let rest = input
        .server
        .trim()
        .strip_prefix("https://")
        .ok_or_else(|| invalid("the server must be an https:// URL, e.g. https://10.0.0.1:6443"))?
        .trim_end_matches('/');
    let server = format!("https://{rest}");
    if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("the server URL names no host, or has spaces in it"));
    }
    let namespace = input
        .namespace
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    Ok((name.to_string(), server, namespace))
}

/// The CA the form asks for: PEM text, a file reference, or none. A file reference the profile
/// already has is kept as it is (it may live on another machine's path until used); a new one
/// must be an absolute path to a readable PEM certificate.
fn checked_ca(input: &ManualProfile, existing: Option<&Ca>) -> Result<Option<Ca>, ManualError> {
    let pem = input
        .ca_pem
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let file = input
        .ca_file
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (pem, file) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(invalid(
            "give the CA certificate either as PEM or as a file path, not both",
        )),
        (Some(pem), None) if pem.contains("-----BEGIN CERTIFICATE-----") => {
            Ok(Some(Ca::Pem(format!("{pem}\n"))))
        }
        (Some(_), None) => Err(invalid(
            "the CA certificate must be PEM (-----BEGIN CERTIFICATE----- …), as in a kubeconfig's certificate-authority-data decoded, or the path of a PEM file",
        )),
        (None, Some(file)) => {
            let path = std::path::PathBuf::from(file);
            if existing == Some(&Ca::File(path.clone())) {
                return Ok(Some(Ca::File(path)));
            }
            if file.chars().any(char::is_control) || !path.is_absolute() {
                return Err(invalid(
                    "the CA certificate file must be an absolute path, e.g. /etc/kubernetes/pki/ca.crt",
                ));
            }
            let text = std::fs::read(&path).map_err(|e| {
                invalid(format!(
                    "cannot read the CA certificate file {}: {e}",
                    path.display()
                ))
            })?;
            if !String::from_utf8_lossy(&text).contains("-----BEGIN CERTIFICATE-----") {
                return Err(invalid(format!(
                    "{} holds no PEM certificate (-----BEGIN CERTIFICATE----- …)",
                    path.display()
                )));
            }
            Ok(Some(Ca::File(path)))
        }
    }
}

/// A PEM text or an absolute path, as a certificate or key box takes it.
enum PemOrPath {
    Pem(String),
    Path(std::path::PathBuf),
}

fn pem_or_path(text: &str, what: &str, marker: &str) -> Result<PemOrPath, ManualError> {
    let t = text.trim();
    if t.contains("-----BEGIN") {
        if !t.contains(marker) {
            return Err(invalid(format!(
                "the {what} must be PEM with {marker} …, or the absolute path of such a file"
            )));
        }
        return Ok(PemOrPath::Pem(format!("{t}\n")));
    }
    let p = std::path::Path::new(t);
    if !p.is_absolute() {
        return Err(invalid(format!(
            "the {what} must be PEM ({marker} …) or an absolute path, e.g. /home/you/.kube/{}",
            if what.contains("key") {
                "client.key"
            } else {
                "client.crt"
            }
        )));
    }
    Ok(PemOrPath::Path(p.to_path_buf()))
}

/// The client certificate and key the form gives, over what the profile has: `None` when the
/// form gives neither (the credentials stay as they are). The third part is a key to store in
/// the vault.
#[allow(clippy::type_complexity)]
fn checked_certificate(
    input: &ManualProfile,
    current: &Auth,
) -> Result<Option<(CertSource, KeySource, Option<Secret>)>, ManualError> {
    let given = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let cert_text = given(&input.client_cert);
    let key_file = given(&input.client_key_file);
    let key_pem = input
        .client_key
        .as_ref()
        .filter(|k| !k.expose().trim().is_empty());
    if cert_text.is_none() && key_file.is_none() && key_pem.is_none() {
        return Ok(None);
    }
    if key_file.is_some() && key_pem.is_some() {
        return Err(invalid(
            "give the private key either as PEM or as a file path, not both",
        ));
    }
    let (old_cert, old_key) = match current {
        Auth::ClientCertificate { cert, key } => (Some(cert.clone()), Some(key.clone())),
        _ => (None, None),
    };
    let cert = match cert_text {
        Some(t) => match pem_or_path(&t, "client certificate", "-----BEGIN CERTIFICATE-----")? {
            PemOrPath::Pem(p) => CertSource::Pem(p),
            PemOrPath::Path(p) => CertSource::File(p),
        },
        None => old_cert.ok_or_else(|| {
            invalid(
                "a client key needs its certificate: paste the certificate (PEM) or give its file",
            )
        })?,
    };
    let mut to_vault = None;
    let key = if let Some(pem) = key_pem {
        if !(pem.expose().contains("-----BEGIN") && pem.expose().contains("PRIVATE KEY-----")) {
            return Err(invalid(
                "the private key must be PEM (-----BEGIN … PRIVATE KEY-----), or give its file's path instead",
            ));
        }
        to_vault = Some(pem.clone());
        KeySource::Vault {
            field: CLIENT_KEY_FIELD.into(),
        }
    } else if let Some(f) = key_file {
        match pem_or_path(&f, "client key file", "PRIVATE KEY-----")? {
            PemOrPath::Path(p) => KeySource::File(p),
            PemOrPath::Pem(_) => {
                return Err(invalid(
                    "the key file box takes a path: paste PEM into the private key box",
                ))
            }
        }
    } else {
        old_key.ok_or_else(|| {
            invalid(
                "a client certificate needs its private key: paste the key (PEM) or give its file",
            )
        })?
    };
    Ok(Some((cert, key, to_vault)))
}

/// Saves a hand-entered profile: the token (if given) to `vault` first, then the profile.
pub async fn save(
    input: &ManualProfile,
    store: &ProfileStore,
    vault: &Vault,
) -> Result<Profile, ManualError> {
    let (name, server, namespace) = checked(input)?;
    let existing = match &input.original {
        Some(orig) => Some(
            store
                .get(orig)?
                .ok_or_else(|| ManualError::NotFound(orig.clone()))?,
        ),
        None => None,
    };
    let ca = checked_ca(input, existing.as_ref().and_then(|e| e.ca.as_ref()))?;
    let (keepalive_secs, dead_link_secs) = checked_liveness(input)?;
    let renamed = existing.as_ref().is_none_or(|e| e.name != name);
    if renamed && store.get(&name)?.is_some() {
        return Err(ManualError::Taken(name));
    }
    let mut profile = existing
        .clone()
        .unwrap_or_else(|| Profile::new(name.clone(), server.clone(), Auth::None));
    profile.name = name;
    profile.server = server;
    profile.namespace = namespace;
    profile.ca = ca;
    profile.insecure = input.insecure;
    profile.keepalive_secs = keepalive_secs;
    profile.dead_link_secs = dead_link_secs;
    profile.colour = input.colour;
    profile.production = input.production;
    profile.reconnect = input.reconnect;
    profile.record_folder = checked_record_folder(input)?;
    profile.record_sessions = input.record_sessions;
    profile.record_input = input.record_input;
    let mut stale = Vec::new();
    let certificate = checked_certificate(input, &profile.auth)?;
    if certificate.is_some() && input.token.is_some() {
        return Err(invalid(
            "give either a bearer token or a client certificate and key, not both",
        ));
    }
    if let Some((cert, key, key_pem)) = certificate {
        if let Some(pem) = key_pem {
            vault.set(&profile.id, CLIENT_KEY_FIELD, &pem).await?;
        }
        let keep = match &key {
            KeySource::Vault { field } => Some(field.clone()),
            KeySource::File(_) => None,
        };
        stale = profile
            .auth
            .secret_fields()
            .into_iter()
            .filter(|f| Some(f) != keep.as_ref())
            .collect();
        profile.auth = Auth::ClientCertificate { cert, key };
    }
    if let Some(token) = &input.token {
        if token.expose().trim().is_empty() {
            return Err(invalid(
                "the token is empty: leave the field blank to keep the current one",
            ));
        }
        vault.set(&profile.id, TOKEN_FIELD, token).await?;
        // The old credentials' entries go once the profile no longer names them.
        stale = profile
            .auth
            .secret_fields()
            .into_iter()
            .filter(|f| f != TOKEN_FIELD)
            .collect();
        profile.auth = Auth::Token {
            secret: TOKEN_FIELD.into(),
        };
    }
    let original = input.original.clone();
    let saved = profile.clone();
    store.update(|list| {
        match original
            .as_deref()
            .and_then(|o| list.iter().position(|p| p.name == o))
        {
            Some(i) => list[i] = saved,
            None => list.push(saved),
        }
    })?;
    for field in stale {
        if let Err(e) = vault.delete(&profile.id, &field).await {
            tracing::warn!(
                "an old keyring entry of profile {} stays: {e}",
                profile.name
            );
        }
    }
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, server: &str) -> ManualProfile {
        ManualProfile {
            name: name.into(),
            server: server.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_form_s_json_brings_a_token_in_and_never_takes_it_out() {
        let m: ManualProfile = serde_json::from_value(serde_json::json!({
            "original": null, "name": "prod", "server": "https://a:1", "namespace": "web",
            "caPem": null, "insecure": true, "token": "s3cret",
        }))
        .expect("form");
        assert_eq!(m.token.as_ref().map(Secret::expose), Some("s3cret"));
        assert_eq!(m.namespace.as_deref(), Some("web"));
        assert!(m.insecure);
        let out = serde_json::to_value(&m).expect("json");
        assert_eq!(
            out,
            serde_json::json!({
                "original": null, "name": "prod", "server": "https://a:1", "namespace": "web",
                "caPem": null, "caFile": null, "insecure": true,
                "keepaliveSecs": null, "deadLinkSecs": null, "reconnect": false,
                "recordSessions": false, "recordFolder": null, "recordInput": false,
                "colour": null, "production": false,
                "clientCert": null, "clientKeyFile": null,
            })
        );
        let kept: ManualProfile = serde_json::from_value(serde_json::json!({
            "original": "prod", "name": "prod", "server": "https://a:1", "namespace": null,
            "caPem": null, "insecure": false, "token": null,
        }))
        .expect("form");
        assert!(kept.token.is_none());
        let missing: ManualProfile =
            serde_json::from_value(out).expect("no token field: keep the stored one");
        assert!(missing.token.is_none());
    }

    #[tokio::test]
    async fn the_network_settings_are_saved_on_the_profile_and_cleared_by_empty_boxes() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        let mut new = input("lb", "https://10.0.0.1:6443");
        new.keepalive_secs = Some(4);
        new.dead_link_secs = Some(20);
        let p = save(&new, &store, &vault).await.expect("add");
        assert_eq!((p.keepalive_secs, p.dead_link_secs), (Some(4), Some(20)));
        let on_disk = std::fs::read_to_string(store.path()).expect("read");
        assert!(on_disk.contains("\"keepalive_secs\": 4"), "{on_disk}");
        let mut edit = input("lb", "https://10.0.0.1:6443");
        edit.original = Some("lb".into());
        let p = save(&edit, &store, &vault).await.expect("edit");
        assert_eq!((p.keepalive_secs, p.dead_link_secs), (None, None));
    }

    #[tokio::test]
    async fn colour_and_production_are_saved_and_changed_by_the_form() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        let new: ManualProfile = serde_json::from_value(serde_json::json!({
            "original": null, "name": "prod", "server": "https://10.0.0.1:6443",
            "namespace": null, "caPem": null, "insecure": false,
            "colour": "red", "production": true,
        }))
        .expect("form");
        let p = save(&new, &store, &vault).await.expect("add");
        assert_eq!((p.colour, p.production), (Some(ProfileColour::Red), true));
        assert_eq!(store.get("prod").expect("read"), Some(p));
        // A form without the fields (an older UI) clears them, as every other box.
        let mut edit = input("prod", "https://10.0.0.1:6443");
        edit.original = Some("prod".into());
        let p = save(&edit, &store, &vault).await.expect("edit");
        assert_eq!((p.colour, p.production), (None, false));
    }

    #[tokio::test]
    async fn a_client_certificate_and_key_are_set_in_the_form_the_key_in_the_keyring() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
        let key = "-----BEGIN EC PRIVATE KEY-----\nS3CR3T\n-----END EC PRIVATE KEY-----";
        let mut new = input("certs", "https://10.0.0.1:6443");
        new.token = Some(Secret::new("t0k"));
        let p = save(&new, &store, &vault).await.expect("a token profile");
        // The edit the "missing key" advice asks for: a certificate and its key replace the token.
        let mut edit = input("certs", "https://10.0.0.1:6443");
        edit.original = Some("certs".into());
        edit.client_cert = Some(cert.into());
        edit.client_key = Some(Secret::new(key));
        let p2 = save(&edit, &store, &vault).await.expect("certificate");
        assert_eq!(
            p2.auth,
            Auth::ClientCertificate {
                cert: CertSource::Pem(format!("{cert}\n")),
                key: KeySource::Vault {
                    field: CLIENT_KEY_FIELD.into()
                },
            }
        );
        assert_eq!(
            vault
                .get(&p.id, CLIENT_KEY_FIELD)
                .await
                .expect("vault")
                .expect("key stored")
                .expose(),
            key
        );
        assert!(
            vault
                .get(&p.id, TOKEN_FIELD)
                .await
                .expect("vault")
                .is_none(),
            "the old token stays in the keyring"
        );
        let on_disk = std::fs::read_to_string(store.path()).expect("read");
        assert!(!on_disk.contains("S3CR3T"), "{on_disk}");
        // Only a new certificate file: the stored key is kept.
        let mut only_cert = edit.clone();
        only_cert.client_key = None;
        only_cert.client_cert = Some("/etc/k8s/client.crt".into());
        let p3 = save(&only_cert, &store, &vault).await.expect("cert file");
        assert!(matches!(
            p3.auth,
            Auth::ClientCertificate {
                cert: CertSource::File(_),
                key: KeySource::Vault { .. }
            }
        ));
        // Mistakes are explained; nothing changes.
        for (cert, key, key_file, token, want) in [
            (Some("relative.crt"), None, None, None, "absolute path"),
            (Some(cert), Some("not a key"), None, None, "PRIVATE KEY"),
            (Some(cert), Some(key), Some("/k.pem"), None, "not both"),
            (Some(cert), None, None, Some("t"), "not both"),
        ] {
            let mut bad = input("certs", "https://10.0.0.1:6443");
            bad.original = Some("certs".into());
            bad.client_cert = cert.map(str::to_owned);
            bad.client_key = key.map(Secret::new);
            bad.client_key_file = key_file.map(str::to_owned);
            bad.token = token.map(Secret::new);
            let err = save(&bad, &store, &vault).await.expect_err("refused");
            assert!(err.to_string().contains(want), "{err}");
        }
        assert_eq!(store.get("certs").expect("read"), Some(p3));
        // A certificate on a profile without one needs its key.
        let mut half = input("fresh", "https://10.0.0.1:6443");
        half.client_cert = Some(cert.into());
        let err = save(&half, &store, &vault).await.expect_err("no key");
        assert!(err.to_string().contains("needs its private key"), "{err}");
    }

    #[tokio::test]
    async fn recording_every_session_is_saved_with_its_folder_and_input_off_unless_chosen() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        let mut new = input("prod", "https://10.0.0.1:6443");
        new.record_sessions = true;
        new.record_folder = Some("/srv/recordings".into());
        let saved = save(&new, &store, &vault).await.expect("add");
        assert!(saved.record_sessions && !saved.record_input);
        assert_eq!(saved.record_folder, Some(PathBuf::from("/srv/recordings")));
        let on_disk = std::fs::read_to_string(store.path()).expect("read");
        assert!(on_disk.contains("\"record_sessions\": true"), "{on_disk}");
        assert!(!on_disk.contains("record_input"), "{on_disk}");
        let mut relative = input("other", "https://10.0.0.1:6443");
        relative.record_folder = Some("recs".into());
        let e = save(&relative, &store, &vault).await.expect_err("relative");
        assert!(e.to_string().contains("absolute path"), "{e}");
        let mut blank = input("prod", "https://10.0.0.1:6443");
        blank.original = Some("prod".into());
        blank.record_folder = Some("  ".into());
        let edited = save(&blank, &store, &vault).await.expect("edit");
        assert!(!edited.record_sessions && edited.record_folder.is_none());
    }

    #[tokio::test]
    async fn reconnect_automatically_is_saved_on_the_profile_and_cleared_when_unticked() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        let mut new = input("laptop", "https://10.0.0.1:6443");
        new.reconnect = true;
        assert!(save(&new, &store, &vault).await.expect("add").reconnect);
        let on_disk = std::fs::read_to_string(store.path()).expect("read");
        assert!(on_disk.contains("\"reconnect\": true"), "{on_disk}");
        assert!(store.get("laptop").expect("get").expect("saved").reconnect);
        let mut edit = input("laptop", "https://10.0.0.1:6443");
        edit.original = Some("laptop".into());
        assert!(!save(&edit, &store, &vault).await.expect("edit").reconnect);
        let on_disk = std::fs::read_to_string(store.path()).expect("read");
        assert!(
            !on_disk.contains("reconnect"),
            "off is the default, not written: {on_disk}"
        );
    }

    #[tokio::test]
    async fn add_then_edit_keeps_what_is_not_given_again() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        let mut new = input(" prod ", " https://10.0.0.1:6443/ ");
        new.namespace = Some(" web ".into());
        new.token = Some(Secret::new("s3cret"));
        let p = save(&new, &store, &vault).await.expect("add");
        assert_eq!(
            (p.name.as_str(), p.server.as_str()),
            ("prod", "https://10.0.0.1:6443")
        );
        assert_eq!(p.namespace.as_deref(), Some("web"));
        assert_eq!(
            p.auth,
            Auth::Token {
                secret: "token".into()
            }
        );
        let got = vault
            .get(&p.id, "token")
            .await
            .expect("get")
            .expect("stored");
        assert_eq!(got.expose(), "s3cret");
        let on_disk = std::fs::read_to_string(store.path()).expect("read");
        assert!(!on_disk.contains("s3cret"), "{on_disk}");

        // Rename, drop the namespace, keep the token.
        let mut edit = input("production", "https://10.0.0.2:6443");
        edit.original = Some("prod".into());
        let e = save(&edit, &store, &vault).await.expect("edit");
        assert_eq!(e.id, p.id);
        assert_eq!(e.namespace, None);
        assert_eq!(
            e.auth,
            Auth::Token {
                secret: "token".into()
            }
        );
        let names: Vec<String> = store
            .list()
            .expect("list")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["production"]);
        assert_eq!(
            vault
                .get(&p.id, "token")
                .await
                .expect("get")
                .expect("kept")
                .expose(),
            "s3cret"
        );
    }

    #[tokio::test]
    async fn bad_input_is_refused_in_words_and_nothing_is_saved() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        for (i, want) in [
            (input("", "https://a:1"), "give the profile a name"),
            (input("a", "http://a:1"), "must be an https:// URL"),
            (input("a", "https://"), "names no host"),
            (
                ManualProfile {
                    ca_pem: Some("not a cert".into()),
                    ..input("a", "https://a:1")
                },
                "must be PEM",
            ),
            (
                ManualProfile {
                    token: Some(Secret::new("  ")),
                    ..input("a", "https://a:1")
                },
                "the token is empty",
            ),
            (
                ManualProfile {
                    keepalive_secs: Some(0),
                    ..input("a", "https://a:1")
                },
                "the keepalive interval must be 1 to 3600 seconds",
            ),
            (
                ManualProfile {
                    keepalive_secs: Some(40),
                    ..input("a", "https://a:1")
                },
                "the dead-link deadline (30 s) must be longer than the keepalive interval (40 s)",
            ),
            (
                ManualProfile {
                    dead_link_secs: Some(100_000),
                    ..input("a", "https://a:1")
                },
                "the dead-link deadline must be 2 to 86400 seconds",
            ),
            (
                ManualProfile {
                    original: Some("gone".into()),
                    ..input("a", "https://a:1")
                },
                "no profile named \"gone\"",
            ),
        ] {
            let e = save(&i, &store, &vault).await.expect_err(want);
            assert!(e.to_string().contains(want), "{e}");
        }
        assert!(store.list().expect("list").is_empty());
        save(&input("a", "https://a:1"), &store, &vault)
            .await
            .expect("a");
        let e = save(&input("a", "https://b:1"), &store, &vault)
            .await
            .expect_err("taken");
        assert_eq!(
            e.to_string(),
            "a profile named \"a\" already exists: pick another name"
        );
    }

    #[tokio::test]
    async fn a_file_reference_ca_is_kept_on_edit_and_can_be_replaced_by_a_file_or_pem() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path().join("cfg"));
        let vault = Vault::memory();
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
        // An imported profile whose CA is a file that is not on this machine (yet).
        let gone = dir.path().join("elsewhere/ca.crt");
        let mut imported = Profile::new("imported", "https://10.0.0.1:6443", Auth::None);
        imported.ca = Some(Ca::File(gone.clone()));
        store.upsert(imported).expect("upsert");

        // The form sends back the path it was shown and changes only the namespace.
        let mut edit = input("imported", "https://10.0.0.1:6443");
        edit.original = Some("imported".into());
        edit.namespace = Some("apps".into());
        edit.ca_file = Some(gone.display().to_string());
        let p = save(&edit, &store, &vault).await.expect("edit");
        assert_eq!(p.ca, Some(Ca::File(gone.clone())), "the reference is kept");
        assert_eq!(p.namespace.as_deref(), Some("apps"));

        // Another file: it must exist and hold a certificate.
        let other = dir.path().join("other-ca.crt");
        edit.ca_file = Some(other.display().to_string());
        let e = save(&edit, &store, &vault).await.expect_err("missing file");
        assert!(
            e.to_string()
                .contains("cannot read the CA certificate file"),
            "{e}"
        );
        std::fs::write(&other, "not a cert").expect("write");
        let e = save(&edit, &store, &vault).await.expect_err("not PEM");
        assert!(e.to_string().contains("holds no PEM certificate"), "{e}");
        std::fs::write(&other, pem).expect("write");
        let p = save(&edit, &store, &vault).await.expect("another file");
        assert_eq!(p.ca, Some(Ca::File(other.clone())));
        edit.ca_file = Some("relative/ca.crt".into());
        let e = save(&edit, &store, &vault).await.expect_err("relative");
        assert!(e.to_string().contains("absolute path"), "{e}");

        // Both at once is refused; PEM alone replaces the file.
        edit.ca_file = Some(other.display().to_string());
        edit.ca_pem = Some(pem.into());
        let e = save(&edit, &store, &vault).await.expect_err("both");
        assert!(e.to_string().contains("not both"), "{e}");
        edit.ca_file = None;
        let p = save(&edit, &store, &vault).await.expect("pem");
        assert_eq!(p.ca, Some(Ca::Pem(format!("{pem}\n"))));
        assert_eq!(store.get("imported").expect("get").expect("there").ca, p.ca);

        // Neither: the system's roots.
        edit.ca_pem = None;
        let p = save(&edit, &store, &vault).await.expect("none");
        assert_eq!(p.ca, None);
    }

    #[tokio::test]
    async fn a_new_token_keeps_the_proxy_credentials() {
        let dir = tempfile::tempdir().expect("dir");
        let store = ProfileStore::open(dir.path());
        let vault = Vault::memory();
        let mut p = Profile::new("p", "https://a:1", Auth::None);
        p.proxy_url = Some("http://proxy:3128".into());
        p.proxy_credentials = Some(crate::profiles::PROXY_CREDENTIALS_FIELD.into());
        vault
            .set(
                &p.id,
                crate::profiles::PROXY_CREDENTIALS_FIELD,
                &Secret::new("u:pw"),
            )
            .await
            .expect("set");
        store.upsert(p.clone()).expect("upsert");
        let mut edit = input("p", "https://a:1");
        edit.original = Some("p".into());
        edit.token = Some(Secret::new("t0k"));
        let saved = save(&edit, &store, &vault).await.expect("edit");
        assert_eq!(saved.proxy_credentials, p.proxy_credentials);
        let kept = vault
            .get(&p.id, crate::profiles::PROXY_CREDENTIALS_FIELD)
            .await
            .expect("get");
        assert_eq!(kept.as_ref().map(Secret::expose), Some("u:pw"));
    }
}
