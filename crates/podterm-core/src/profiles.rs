//! Saved cluster profiles: a versioned JSON file (`profiles.json`) in Podterm's config directory.
//!
//! A profile holds how to reach a cluster and *references* to its secrets; the secrets themselves
//! live in the [`vault`](crate::vault) under `<profile id>/<field>`. The file is a
//! [`VersionedFile`]: written atomically, every read-modify-write under the lock
//! `profiles.lock`, a newer or unreadable file never written over, unknown fields kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::store::{default_dir, CONFIG_DIR_ENV};
use crate::store::{Extra, FileSpec, StoreError, VersionedFile};

/// The format version this Podterm writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The profile file's name inside the config directory.
pub const FILE_NAME: &str = "profiles.json";
/// The lock file's name inside the config directory.
pub const LOCK_NAME: &str = "profiles.lock";
/// The profile file, for [`VersionedFile`].
pub const SPEC: FileSpec = FileSpec {
    file_name: FILE_NAME,
    lock_name: LOCK_NAME,
    version: FORMAT_VERSION,
    noun: "profile",
    fresh: "start with no profiles",
};

/// The cluster's CA certificate. A CA certificate is public: it is kept inline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ca {
    /// PEM text.
    Pem(String),
    /// A PEM file, read at connect time.
    File(PathBuf),
}

/// A client certificate (public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertSource {
    /// PEM text.
    Pem(String),
    /// A PEM file, read at connect time.
    File(PathBuf),
}

/// A client private key (secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// PEM text in the vault, under this field.
    Vault { field: String },
    /// A PEM file, read at connect time.
    File(PathBuf),
}

/// One environment variable of an exec credential plugin. Exactly one of `value` and
/// `secret_field` is set: a secret-looking variable's value lives in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecEnv {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_field: Option<String>,
}

/// How a profile authenticates. Secret values are vault field names, never the secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Auth {
    /// No credentials (an anonymous or proxy-authenticated cluster).
    None,
    /// A bearer token in the vault, under field `secret` (normally `"token"`).
    Token { secret: String },
    /// A bearer token read from a file at connect time.
    TokenFile { path: PathBuf },
    /// A TLS client certificate and its key.
    ClientCertificate { cert: CertSource, key: KeySource },
    /// HTTP basic auth; the password is in the vault under `password_field`.
    Basic {
        username: String,
        password_field: String,
    },
    /// An exec credential plugin (`client.authentication.k8s.io`), as in kubeconfig.
    ExecPlugin {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        api_version: Option<String>,
        command: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: Vec<ExecEnv>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        install_hint: Option<String>,
        #[serde(default)]
        provide_cluster_info: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interactive_mode: Option<String>,
    },
    /// The `oidc` auth-provider.
    Oidc {
        /// Non-secret auth-provider config: `client-id`, `idp-issuer-url`, `extra-scopes`, ...
        #[serde(default)]
        config: BTreeMap<String, String>,
        /// Config key (`id-token`, `refresh-token`, `client-secret`) → vault field.
        #[serde(default)]
        secret_fields: BTreeMap<String, String>,
    },
}

impl Auth {
    /// The kind as shown to the user.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Token { .. } => "token",
            Auth::TokenFile { .. } => "token file",
            Auth::ClientCertificate { .. } => "client certificate",
            Auth::Basic { .. } => "basic",
            Auth::ExecPlugin { .. } => "exec plugin",
            Auth::Oidc { .. } => "OIDC",
        }
    }

    /// Every vault field this auth refers to.
    pub fn secret_fields(&self) -> Vec<String> {
        let mut out: Vec<String> = match self {
            Auth::None | Auth::TokenFile { .. } => Vec::new(),
            Auth::Token { secret } => vec![secret.clone()],
            Auth::ClientCertificate { key, .. } => match key {
                KeySource::Vault { field } => vec![field.clone()],
                KeySource::File(_) => Vec::new(),
            },
            Auth::Basic { password_field, .. } => vec![password_field.clone()],
            Auth::ExecPlugin { env, args, .. } => env
                .iter()
                .filter_map(|e| e.secret_field.clone())
                .chain(
                    args.iter()
                        .flat_map(|a| placeholder_fields(a))
                        .map(str::to_owned),
                )
                .collect(),
            // A refresh may write the tokens under their own names even when the import had
            // none (see cluster::connect_profile): count those too.
            Auth::Oidc { secret_fields, .. } => secret_fields
                .values()
                .cloned()
                .chain(["id-token".to_string(), "refresh-token".to_string()])
                .collect(),
        };
        out.sort();
        out.dedup();
        out
    }
}

/// The colour a profile's tabs and sidebar entry wear, from a small palette (the UI picks the
/// shade for each). Stored by name in `profiles.json`; a name this Podterm does not know (one a
/// newer Podterm wrote) reads as no colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ProfileColour {
    Red,
    Orange,
    Yellow,
    Green,
    Teal,
    Blue,
    Purple,
    Pink,
}

/// Reads a stored colour leniently: an unknown name or type is no colour, never a broken file.
fn lenient_colour<'de, D>(d: D) -> Result<Option<ProfileColour>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

/// Whom a profile acts as (kubeconfig's `as`, `as-groups`, `as-uid`, `as-user-extra`): the API
/// server checks that its credentials may impersonate them, then answers as them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Impersonation {
    pub user: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

/// A saved cluster: server, TLS settings, default namespace and how to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Stable, generated; the vault key prefix. Never shown as a name.
    pub id: String,
    /// Unique, user-facing (the kubeconfig context name on import).
    pub name: String,
    /// The API server URL.
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<Ca>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_server_name: Option<String>,
    /// The proxy URL without credentials: a `user:password@` of the kubeconfig's `proxy-url` is
    /// in the vault (see `proxy_credentials`) and put back only when connecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    /// The vault field holding the proxy URL's `user:password` ([`PROXY_CREDENTIALS_FIELD`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_credentials: Option<String>,
    /// Skip TLS verification (shown as a warning).
    #[serde(default)]
    pub insecure: bool,
    /// Default namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub auth: Auth,
    /// Whom it acts as, if anyone (impersonation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonate: Option<Impersonation>,
    /// Where the profile came from, e.g. `/home/u/.kube/config#kind-dev`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Seconds a session's link may be quiet before a keepalive ping; absent: the default
    /// ([`crate::exec::KEEPALIVE`]). Below a load balancer's idle timeout keeps idle sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive_secs: Option<u32>,
    /// Seconds without any data or ping answer after which a link is declared dead; absent: the
    /// default ([`crate::exec::DEAD_LINK`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_link_secs: Option<u32>,
    /// The colour of its tabs and sidebar entry; absent: one derived from the name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_colour"
    )]
    pub colour: Option<ProfileColour>,
    /// A production cluster: its tabs and panes carry an unmistakable marker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub production: bool,
    /// The app reopens a tab whose session was lost (a dead link, a dropped connection, a
    /// laptop waking up) on its own, with a backoff, once the cluster answers again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconnect: bool,
    /// Every terminal session of this profile is recorded (asciicast v2), from its first byte,
    /// into `record_folder` (see [`crate::recordings`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_sessions: bool,
    /// Where its recordings go; absent: the app's recordings folder
    /// ([`crate::recordings::default_folder`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_folder: Option<PathBuf>,
    /// Its recordings hold what is typed too. Off by default, and a second, explicit choice:
    /// input holds passwords.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_input: bool,
    /// Fields a newer Podterm wrote, kept on rewrite.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Profile {
    /// A profile with a fresh id and nothing else set.
    pub fn new(name: impl Into<String>, server: impl Into<String>, auth: Auth) -> Self {
        Profile {
            id: new_id(),
            name: name.into(),
            server: server.into(),
            ca: None,
            tls_server_name: None,
            proxy_url: None,
            proxy_credentials: None,
            insecure: false,
            namespace: None,
            auth,
            impersonate: None,
            source: None,
            keepalive_secs: None,
            dead_link_secs: None,
            colour: None,
            production: false,
            reconnect: false,
            record_sessions: false,
            record_folder: None,
            record_input: false,
            extra: Extra::new(),
        }
    }

    /// Every vault field this profile refers to (what `rm` must delete).
    pub fn secret_fields(&self) -> Vec<String> {
        let mut out = self.auth.secret_fields();
        out.extend(self.proxy_credentials.iter().cloned());
        out.sort();
        out.dedup();
        out
    }

    /// The proxy URL as shown to the user: `http://***@proxy:3128` when it has credentials.
    pub fn proxy_url_masked(&self) -> Option<String> {
        let url = self.proxy_url.as_deref()?;
        Some(match &self.proxy_credentials {
            Some(_) => with_userinfo(url, MASK),
            None => url.to_owned(),
        })
    }
}

/// The vault field of a proxy URL's `user:password`.
pub const PROXY_CREDENTIALS_FIELD: &str = "proxy-credentials";

/// What a secret is shown as (`profile show`, the exec plugin's arguments).
pub const MASK: &str = "***";

const PLACEHOLDER_OPEN: &str = "${podterm-secret:";
const PLACEHOLDER_CLOSE: &str = "}";

/// The text stored in place of a secret inside a longer value (an exec plugin argument such as
/// `--client-secret=…`): `${podterm-secret:FIELD}`, replaced by the vault's `FIELD` when
/// connecting ([`restore_secrets`]).
pub fn placeholder(field: &str) -> String {
    format!("{PLACEHOLDER_OPEN}{field}{PLACEHOLDER_CLOSE}")
}

/// Whether `s` holds a secret placeholder (an import refuses such a kubeconfig value, so a
/// stored placeholder is always one Podterm wrote).
pub fn has_placeholder(s: &str) -> bool {
    s.contains(PLACEHOLDER_OPEN)
}

/// The vault fields named by placeholders in `s`, in order.
fn placeholder_fields(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(PLACEHOLDER_OPEN) {
        let after = &rest[i + PLACEHOLDER_OPEN.len()..];
        match after.find(PLACEHOLDER_CLOSE) {
            Some(j) => {
                out.push(&after[..j]);
                rest = &after[j + PLACEHOLDER_CLOSE.len()..];
            }
            None => break,
        }
    }
    out
}

/// `s` with every placeholder replaced by `value(field)`.
fn replace_placeholders(s: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(PLACEHOLDER_OPEN) {
        let after = &rest[i + PLACEHOLDER_OPEN.len()..];
        let Some(j) = after.find(PLACEHOLDER_CLOSE) else {
            break;
        };
        out.push_str(&rest[..i]);
        out.push_str(&value(&after[..j]));
        rest = &after[j + PLACEHOLDER_CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

/// An exec plugin argument as shown to the user: its secret part as [`MASK`].
pub fn mask_arg(arg: &str) -> String {
    replace_placeholders(arg, |_| MASK.to_owned())
}

/// Splits `scheme://user:password@host…` into the URL without its userinfo and the userinfo
/// (`None` when it has none). Only the authority is looked at: an `@` in the path stays.
pub fn split_userinfo(url: &str) -> (String, Option<String>) {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return (url.to_owned(), None);
    };
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => {
            let at = start + at;
            let userinfo = &url[start..at];
            let without = format!("{}{}", &url[..start], &url[at + 1..]);
            (without, (!userinfo.is_empty()).then(|| userinfo.to_owned()))
        }
        None => (url.to_owned(), None),
    }
}

/// `url` with `userinfo@` after its `scheme://`.
fn with_userinfo(url: &str, userinfo: &str) -> String {
    match url.find("://") {
        Some(i) => format!("{}{userinfo}@{}", &url[..i + 3], &url[i + 3..]),
        None => url.to_owned(),
    }
}

/// The program of a failed credential plugin, from kube's description of the command (Rust's
/// `Debug` of a `Command`: `cd "DIR" && NAME="VALUE" … "program" "arg" …`), without the
/// environment values and arguments, which may be secrets put back from the vault. `None` when
/// the text has no quoted program.
pub fn plugin_program(cmd: &str) -> Option<String> {
    let mut rest = cmd.trim_start();
    let mut skip_quoted = false;
    loop {
        if rest.starts_with("cd ") {
            // `cd "DIR"`: the directory is a quoted token too.
            skip_quoted = true;
        } else if let Some(after) = rest.strip_prefix('"').filter(|_| !skip_quoted) {
            // The first token that is only a quoted string is the program.
            let mut out = String::new();
            let mut chars = after.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.push(chars.next()?),
                    '"' => return Some(out),
                    c => out.push(c),
                }
            }
            return None;
        }
        // Skip one token (`cd`, `&&`, `env`, `-i`, or `NAME="VALUE"` with its quoted value).
        let mut in_quotes = false;
        let mut escaped = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_quotes => escaped = true,
                '"' => in_quotes = !in_quotes,
                ' ' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        if end >= rest.len() {
            return None;
        }
        if rest.starts_with('"') {
            skip_quoted = false;
        }
        rest = rest[end..].trim_start();
    }
}

/// The profile as connecting needs it: the proxy URL with its `user:password` and the exec
/// plugin's arguments with their secrets, read from `vault`. The result holds secrets in plain
/// strings: hand it to the client being built and drop it; never store or show it.
pub async fn restore_secrets(
    profile: &Profile,
    vault: &crate::vault::Vault,
) -> Result<Profile, crate::cluster::ProfileConnectError> {
    use crate::cluster::ProfileConnectError;
    let get = |field: String| async move {
        match vault.get(&profile.id, &field).await? {
            Some(s) => Ok(s),
            None => Err(ProfileConnectError::MissingSecret {
                profile: profile.name.clone(),
                field,
            }),
        }
    };
    let mut out = profile.clone();
    if let (Some(url), Some(field)) = (&profile.proxy_url, &profile.proxy_credentials) {
        let userinfo = get(field.clone()).await?;
        out.proxy_url = Some(with_userinfo(url, userinfo.expose()));
    }
    if let Auth::ExecPlugin { args, .. } = &mut out.auth {
        for arg in args.iter_mut() {
            let fields: Vec<String> = placeholder_fields(arg)
                .into_iter()
                .map(str::to_owned)
                .collect();
            if fields.is_empty() {
                continue;
            }
            let mut values = BTreeMap::new();
            for field in fields {
                let secret = get(field.clone()).await?;
                values.insert(field, secret);
            }
            *arg = replace_placeholders(arg, |f| {
                values
                    .get(f)
                    .map(|s| s.expose().to_owned())
                    .unwrap_or_default()
            });
        }
    }
    Ok(out)
}

/// A new profile id: 16 random hex digits.
pub fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Why the profile store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read or written (unreadable, newer, no config directory ...).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A profile name that cannot be saved.
    #[error("invalid profile name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// Two profiles would share a name or an id.
    #[error("cannot save {}: two profiles would have the same {what} {value:?}", path.display())]
    Duplicate {
        path: PathBuf,
        what: &'static str,
        value: String,
    },
}

/// The profile file's document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct ProfilesDoc {
    #[serde(default)]
    profiles: Vec<Profile>,
    #[serde(flatten)]
    extra: Extra,
}

/// The profile file of one config directory.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    file: VersionedFile<ProfilesDoc>,
}

impl ProfileStore {
    /// The store in `dir` (created on first write; a missing file is an empty store).
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        ProfileStore {
            file: VersionedFile::new(dir, SPEC),
        }
    }

    /// The store in [`default_dir`].
    pub fn open_default() -> Result<Self, ProfileError> {
        Ok(Self::open(default_dir()?))
    }

    /// The config directory.
    pub fn dir(&self) -> &Path {
        self.file.dir()
    }

    /// The profile file.
    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    /// How many times this store (and its clones) wrote the file.
    pub fn writes(&self) -> u64 {
        self.file.writes()
    }

    /// All profiles, in file order.
    pub fn list(&self) -> Result<Vec<Profile>, ProfileError> {
        // Writers replace the file by rename, so a reader sees the old or the new file whole.
        self.read()
    }

    /// The profile called `name`.
    pub fn get(&self, name: &str) -> Result<Option<Profile>, ProfileError> {
        Ok(self.read()?.into_iter().find(|p| p.name == name))
    }

    /// Saves `profile`, replacing the one with the same name (returned).
    pub fn upsert(&self, profile: Profile) -> Result<Option<Profile>, ProfileError> {
        check_name(&profile.name)?;
        self.update(
            move |profiles| match profiles.iter_mut().find(|p| p.name == profile.name) {
                Some(slot) => Some(std::mem::replace(slot, profile)),
                None => {
                    profiles.push(profile);
                    None
                }
            },
        )
    }

    /// Removes the profile called `name` and returns it. Its vault entries are the caller's to
    /// delete ([`Profile::secret_fields`]).
    pub fn remove(&self, name: &str) -> Result<Option<Profile>, ProfileError> {
        self.update(|profiles| {
            let i = profiles.iter().position(|p| p.name == name)?;
            Some(profiles.remove(i))
        })
    }

    /// Read-modify-write under the lock. The file is rewritten only when `f` changed something;
    /// names and ids must stay unique and names valid.
    pub fn update<R>(&self, f: impl FnOnce(&mut Vec<Profile>) -> R) -> Result<R, ProfileError> {
        self.file.update(|doc| {
            let before = doc.profiles.clone();
            let out = f(&mut doc.profiles);
            if doc.profiles != before {
                self.validate(&doc.profiles)?;
            }
            Ok(out)
        })
    }

    fn validate(&self, profiles: &[Profile]) -> Result<(), ProfileError> {
        let mut names = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        for p in profiles {
            check_name(&p.name)?;
            if !names.insert(p.name.as_str()) {
                return Err(ProfileError::Duplicate {
                    path: self.path(),
                    what: "name",
                    value: p.name.clone(),
                });
            }
            if !ids.insert(p.id.as_str()) {
                return Err(ProfileError::Duplicate {
                    path: self.path(),
                    what: "id",
                    value: p.id.clone(),
                });
            }
        }
        Ok(())
    }

    fn read(&self) -> Result<Vec<Profile>, ProfileError> {
        Ok(self.file.read()?.profiles)
    }
}

fn check_name(name: &str) -> Result<(), ProfileError> {
    let reason = if name.trim().is_empty() {
        "a profile needs a name"
    } else if name.chars().any(char::is_control) {
        "control characters are not allowed"
    } else {
        return Ok(());
    };
    Err(ProfileError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::fs;

    fn sample(name: &str) -> Profile {
        let mut p = Profile::new(
            name,
            "https://127.0.0.1:6443",
            Auth::ClientCertificate {
                cert: CertSource::Pem(
                    "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".into(),
                ),
                key: KeySource::Vault {
                    field: "client-key".into(),
                },
            },
        );
        p.ca = Some(Ca::File("/etc/ca.pem".into()));
        p.namespace = Some("dev".into());
        p.source = Some(format!("/tmp/kubeconfig#{name}"));
        p
    }

    fn all_auths() -> Vec<Auth> {
        vec![
            Auth::None,
            Auth::Token {
                secret: "token".into(),
            },
            Auth::TokenFile {
                path: "/var/run/token".into(),
            },
            Auth::ClientCertificate {
                cert: CertSource::File("c.pem".into()),
                key: KeySource::File("k.pem".into()),
            },
            Auth::Basic {
                username: "admin".into(),
                password_field: "password".into(),
            },
            Auth::ExecPlugin {
                api_version: Some("client.authentication.k8s.io/v1".into()),
                command: "aws".into(),
                args: vec!["eks".into(), "get-token".into()],
                env: vec![
                    ExecEnv {
                        name: "AWS_PROFILE".into(),
                        value: Some("dev".into()),
                        secret_field: None,
                    },
                    ExecEnv {
                        name: "AWS_SECRET_ACCESS_KEY".into(),
                        value: None,
                        secret_field: Some("env-AWS_SECRET_ACCESS_KEY".into()),
                    },
                ],
                install_hint: Some("install aws".into()),
                provide_cluster_info: true,
                interactive_mode: Some("Never".into()),
            },
            Auth::Oidc {
                config: [("client-id".to_string(), "podterm".to_string())].into(),
                secret_fields: [
                    ("id-token".to_string(), "id-token".to_string()),
                    ("refresh-token".to_string(), "refresh-token".to_string()),
                ]
                .into(),
            },
        ]
    }

    use crate::store::tests::entries;

    #[test]
    fn profiles_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(tmp.path().join("cfg"));
        assert!(
            store.list().unwrap().is_empty(),
            "a missing file is an empty store"
        );
        let mut saved = Vec::new();
        for (i, auth) in all_auths().into_iter().enumerate() {
            let mut p = sample(&format!("p{i}"));
            p.auth = auth;
            p.insecure = i % 2 == 0;
            p.tls_server_name = Some("kubernetes".into());
            p.proxy_url = Some("socks5://127.0.0.1:1080".into());
            assert_eq!(store.upsert(p.clone()).unwrap(), None);
            saved.push(p);
        }
        assert_eq!(store.list().unwrap(), saved);
        assert_eq!(store.get("p3").unwrap().as_ref(), Some(&saved[3]));
        assert_eq!(store.get("nope").unwrap(), None);

        // Replace by name keeps the position.
        let mut p1 = saved[1].clone();
        p1.server = "https://other:443".into();
        assert_eq!(store.upsert(p1.clone()).unwrap(), Some(saved[1].clone()));
        saved[1] = p1;
        assert_eq!(store.list().unwrap(), saved);

        assert_eq!(store.remove("p2").unwrap(), Some(saved.remove(2)));
        assert_eq!(store.remove("p2").unwrap(), None);
        assert_eq!(ProfileStore::open(store.dir()).list().unwrap(), saved);

        let text = fs::read_to_string(store.path()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["profiles"][0]["auth"]["kind"], "none");
    }

    #[test]
    fn profiles_colour_and_production_default_and_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(tmp.path());
        // A file from before the setting: no colour, not production.
        fs::write(
            store.path(),
            r#"{"version":1,"profiles":[
                {"id":"a1","name":"old","server":"https://a","auth":{"kind":"none"}},
                {"id":"a2","name":"newer","server":"https://b","auth":{"kind":"none"},"colour":"ultraviolet","production":true},
                {"id":"a3","name":"odd","server":"https://c","auth":{"kind":"none"},"colour":7}
            ]}"#,
        )
        .unwrap();
        let got = store.list().unwrap();
        assert_eq!((got[0].colour, got[0].production), (None, false));
        // A colour a newer Podterm knows is no colour here, and the file still reads.
        assert_eq!((got[1].colour, got[1].production), (None, true));
        assert_eq!(got[2].colour, None);

        let mut p = sample("prod");
        p.colour = Some(ProfileColour::Purple);
        p.production = true;
        store.upsert(p.clone()).unwrap();
        assert_eq!(store.get("prod").unwrap(), Some(p));
        let v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(store.path()).unwrap()).unwrap();
        assert_eq!(v["profiles"][3]["colour"], "purple");
        assert_eq!(v["profiles"][3]["production"], true);
        // Unset ones are not written at all (an older Podterm's file stays as it was).
        assert!(v["profiles"][0].get("colour").is_none());
        assert!(v["profiles"][0].get("production").is_none());
    }

    #[test]
    fn profiles_secret_fields_and_kinds() {
        let kinds: Vec<_> = all_auths().iter().map(Auth::kind_name).collect();
        assert_eq!(
            kinds,
            [
                "none",
                "token",
                "token file",
                "client certificate",
                "basic",
                "exec plugin",
                "OIDC"
            ]
        );
        let fields: Vec<_> = all_auths().iter().map(Auth::secret_fields).collect();
        assert_eq!(fields[0], Vec::<String>::new());
        assert_eq!(fields[1], ["token"]);
        assert_eq!(fields[2], Vec::<String>::new());
        assert_eq!(fields[3], Vec::<String>::new());
        assert_eq!(fields[4], ["password"]);
        assert_eq!(fields[5], ["env-AWS_SECRET_ACCESS_KEY"]);
        assert_eq!(fields[6], ["id-token", "refresh-token"]);
        assert_eq!(sample("x").secret_fields(), ["client-key"]);
        let id = new_id();
        assert_eq!(id.len(), 16);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_id(), new_id());
    }

    #[test]
    fn profiles_writes_are_atomic_and_private() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(tmp.path());
        for i in 0..10 {
            store.upsert(sample(&format!("p{i}"))).unwrap();
        }
        store.remove("p0").unwrap();
        assert_eq!(
            entries(tmp.path()),
            [FILE_NAME, LOCK_NAME],
            "no temp file left"
        );
        // A temp file left by a crash is ignored and does not disturb the next write.
        fs::write(tmp.path().join(".profiles.crash.tmp"), b"{garbage").unwrap();
        assert_eq!(store.list().unwrap().len(), 9);
        store.upsert(sample("again")).unwrap();
        assert_eq!(store.list().unwrap().len(), 10);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn profiles_concurrent_writers_lose_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cfg");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    // Each thread has its own store handle, as two app instances would.
                    let store = ProfileStore::open(dir);
                    for i in 0..20 {
                        store.upsert(sample(&format!("t{t}-{i}"))).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let store = ProfileStore::open(&dir);
        let names: std::collections::HashSet<String> =
            store.list().unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names.len(), 160);
        for t in 0..8 {
            for i in 0..20 {
                assert!(names.contains(&format!("t{t}-{i}")));
            }
        }
        assert_eq!(entries(&dir), [FILE_NAME, LOCK_NAME]);
    }

    #[test]
    fn profiles_newer_version_says_upgrade() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(tmp.path());
        fs::write(
            store.path(),
            br#"{"version": 2, "profiles": [{"future": true}]}"#,
        )
        .unwrap();
        let err = store.list().unwrap_err();
        assert!(
            matches!(
                err,
                ProfileError::Store(StoreError::NewerVersion { found: 2, .. })
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("upgrade Podterm"), "{msg}");
        assert!(msg.contains(&store.path().display().to_string()), "{msg}");
        // A write does not clobber a file it cannot read.
        assert!(store.upsert(sample("x")).is_err());
        assert!(fs::read_to_string(store.path()).unwrap().contains("future"));
    }

    #[test]
    fn profiles_bad_file_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(tmp.path());
        fs::write(store.path(), b"{not json").unwrap();
        let msg = store.list().unwrap_err().to_string();
        assert!(msg.contains(&store.path().display().to_string()), "{msg}");
        fs::write(store.path(), br#"{"profiles": []}"#).unwrap();
        assert!(
            store.list().is_err(),
            "a file without a version is not ours"
        );
        // Unknown fields from a same-version writer are tolerated.
        fs::write(
            store.path(),
            br#"{"version": 1, "extra": 1, "profiles": [{"id": "0123456789abcdef", "name": "a",
                "server": "https://x", "auth": {"kind": "token", "secret": "token"}, "color": "red"}]}"#,
        )
        .unwrap();
        assert_eq!(store.list().unwrap()[0].auth.kind_name(), "token");
        // ... and kept when the file is rewritten.
        store.upsert(sample("b")).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(store.path()).unwrap()).unwrap();
        assert_eq!(v["extra"], 1, "{v}");
        assert_eq!(v["profiles"][0]["color"], "red", "{v}");
        assert_eq!(v["profiles"][1]["name"], "b", "{v}");
    }

    #[test]
    fn profiles_names_and_ids_stay_unique() {
        let tmp = tempfile::tempdir().unwrap();
        let store = ProfileStore::open(tmp.path());
        assert!(matches!(
            store.upsert(sample(" ")),
            Err(ProfileError::InvalidName { .. })
        ));
        let a = sample("a");
        store.upsert(a.clone()).unwrap();
        let mut b = sample("b");
        b.id = a.id.clone();
        assert!(matches!(
            store.upsert(b),
            Err(ProfileError::Duplicate { what: "id", .. })
        ));
        let r = store.update(|ps| {
            let dup = ps[0].clone();
            ps.push(Profile {
                id: new_id(),
                ..dup
            });
        });
        assert!(matches!(
            r,
            Err(ProfileError::Duplicate { what: "name", .. })
        ));
        assert_eq!(store.list().unwrap(), [a]);
    }

    #[test]
    fn proxy_userinfo_is_split_off_and_masked() {
        for (url, without, userinfo) in [
            ("http://u:p@proxy:3128", "http://proxy:3128", Some("u:p")),
            (
                "http://u:p%40x@proxy:3128/a@b",
                "http://proxy:3128/a@b",
                Some("u:p%40x"),
            ),
            (
                "socks5://user@127.0.0.1:1080",
                "socks5://127.0.0.1:1080",
                Some("user"),
            ),
            ("http://@proxy", "http://proxy", None),
            ("http://proxy:3128/path@x", "http://proxy:3128/path@x", None),
            ("http://proxy:3128?q=a@b", "http://proxy:3128?q=a@b", None),
            ("proxy:3128", "proxy:3128", None),
        ] {
            let (w, u) = split_userinfo(url);
            assert_eq!((w.as_str(), u.as_deref()), (without, userinfo), "{url}");
        }
        let mut p = sample("x");
        p.proxy_url = Some("http://proxy:3128".into());
        assert_eq!(p.proxy_url_masked().as_deref(), Some("http://proxy:3128"));
        p.proxy_credentials = Some(PROXY_CREDENTIALS_FIELD.into());
        assert_eq!(
            p.proxy_url_masked().as_deref(),
            Some("http://***@proxy:3128")
        );
        assert_eq!(p.secret_fields(), ["client-key", PROXY_CREDENTIALS_FIELD]);
    }

    #[test]
    fn placeholders_are_found_masked_and_replaced() {
        let arg = format!("--a={}-{}", placeholder("arg-1"), placeholder("arg-2"));
        assert_eq!(placeholder_fields(&arg), ["arg-1", "arg-2"]);
        assert_eq!(mask_arg(&arg), "--a=***-***");
        assert_eq!(
            replace_placeholders(&arg, |f| f.to_uppercase()),
            "--a=ARG-1-ARG-2"
        );
        assert!(has_placeholder(&arg) && !has_placeholder("--a=${other}"));
        // An unterminated placeholder is left as it is.
        assert_eq!(mask_arg("${podterm-secret:x"), "${podterm-secret:x");
        assert!(placeholder_fields("${podterm-secret:x").is_empty());
    }

    #[tokio::test]
    async fn restore_secrets_puts_back_proxy_credentials_and_arguments() {
        let vault = crate::vault::Vault::memory();
        let mut p = Profile::new(
            "p",
            "https://x",
            Auth::ExecPlugin {
                api_version: None,
                command: "plugin".into(),
                args: vec!["--secret".into(), placeholder("arg-1"), "plain".into()],
                env: Vec::new(),
                install_hint: None,
                provide_cluster_info: false,
                interactive_mode: None,
            },
        );
        p.proxy_url = Some("http://proxy:3128".into());
        p.proxy_credentials = Some(PROXY_CREDENTIALS_FIELD.into());
        let missing = restore_secrets(&p, &vault).await.unwrap_err();
        assert!(
            matches!(
                &missing,
                crate::cluster::ProfileConnectError::MissingSecret { field, .. } if field == PROXY_CREDENTIALS_FIELD
            ),
            "{missing:?}"
        );
        use crate::vault::Secret;
        vault
            .set(&p.id, PROXY_CREDENTIALS_FIELD, &Secret::new("u:p"))
            .await
            .unwrap();
        vault.set(&p.id, "arg-1", &Secret::new("s3")).await.unwrap();
        let r = restore_secrets(&p, &vault).await.unwrap();
        assert_eq!(r.proxy_url.as_deref(), Some("http://u:p@proxy:3128"));
        let Auth::ExecPlugin { args, .. } = &r.auth else {
            panic!("not a plugin")
        };
        assert_eq!(args, &["--secret", "s3", "plain"]);
        assert_eq!(p.secret_fields(), ["arg-1", PROXY_CREDENTIALS_FIELD]);
    }

    #[test]
    fn a_plugin_command_is_shown_without_its_environment_and_arguments() {
        for (cmd, want) in [
            (
                r#"VAULT_AUTH="s3 \"x\"" "aws" "--client-secret" "s3""#,
                Some("aws"),
            ),
            (
                r#""/opt/bin/get token" "--token=abc""#,
                Some("/opt/bin/get token"),
            ),
            (r#"cd "/tmp" && A="1" B="2" "plugin""#, Some("plugin")),
            ("no quotes at all", None),
            (r#"A="unterminated"#, None),
        ] {
            assert_eq!(plugin_program(cmd).as_deref(), want, "{cmd}");
        }
    }
}
