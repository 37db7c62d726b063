//! Kubeconfig contexts into profiles, the kubectl way.
//!
//! Which files: `--kubeconfig FILE` alone (a missing one is an error); else every file in
//! `KUBECONFIG` (missing ones skipped), merged as kubectl does: the first file to define a
//! cluster, user or context name wins, and the first file that sets `current-context` wins; else
//! `~/.kube/config`. Relative paths resolve against the directory of the file that holds them.
//!
//! Each context becomes a profile named after it. Secrets (inline tokens, client key data,
//! passwords, OIDC tokens and client secrets, exec-plugin env values whose name looks secret) go
//! to the [`Vault`]; the profile keeps only the vault field names. Public material (CA and client
//! certificates) stays inline as PEM, and file references stay references.
//!
//! Vault fields: `token`, `client-key` (PEM text), `password`, the OIDC config key itself
//! (`id-token`, `refresh-token`, `client-secret`), `env-<NAME>` for an exec-plugin variable.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Deserializer};

use crate::profiles::{
    has_placeholder, new_id, placeholder, split_userinfo, Auth, Ca, CertSource, ExecEnv, KeySource,
    Profile, ProfileError, ProfileStore, PROXY_CREDENTIALS_FIELD,
};
use crate::vault::{Secret, Vault, VaultError};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--kubeconfig FILE`: only this file. Else `KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context NAME`: only this context.
    pub context: Option<String>,
    /// `--all`: every context. Neither `context` nor `all`: the current context.
    pub all: bool,
}

/// Why an import failed. Nothing is written unless every selected context converts.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An explicitly named kubeconfig does not exist.
    #[error("kubeconfig {} does not exist", path.display())]
    Missing { path: PathBuf },
    /// None of the searched kubeconfig files exists.
    #[error(
        "no kubeconfig found (looked for {searched}): pass --kubeconfig FILE or set KUBECONFIG"
    )]
    NoKubeconfig { searched: String },
    /// No home directory to find `~/.kube/config` in.
    #[error("cannot find the home directory to look for ~/.kube/config: pass --kubeconfig FILE or set KUBECONFIG")]
    NoHome,
    /// A kubeconfig could not be read.
    #[error("cannot read kubeconfig {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A kubeconfig is not valid YAML, or a field has the wrong type.
    #[error("{}{}: invalid kubeconfig: {message}", path.display(), fmt_location(*line, *column))]
    Yaml {
        path: PathBuf,
        /// 1-based, when known.
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// A file defines the same name twice (kubectl refuses it too).
    #[error("{}: {what} \"{name}\" is defined twice", path.display())]
    Duplicate {
        path: PathBuf,
        what: &'static str,
        name: String,
    },
    /// The kubeconfig has no contexts at all.
    #[error("the kubeconfig ({files}) has no contexts")]
    NoContexts { files: String },
    /// Neither `--context` nor `--all`, and no `current-context`.
    #[error("the kubeconfig ({files}) sets no current-context: pass --context NAME or --all (available contexts: {available})")]
    NoCurrentContext { files: String, available: String },
    /// The context asked for (or the current-context) is not defined.
    #[error(
        "context \"{name}\" is not in the kubeconfig ({files}); available contexts: {available}"
    )]
    UnknownContext {
        name: String,
        files: String,
        available: String,
    },
    /// A context names a cluster that is not defined.
    #[error("context \"{context}\" uses cluster \"{cluster}\", which is not defined in the kubeconfig ({files})")]
    MissingCluster {
        context: String,
        cluster: String,
        files: String,
    },
    /// A context names a user that is not defined.
    #[error("context \"{context}\" uses user \"{user}\", which is not defined in the kubeconfig ({files})")]
    MissingUser {
        context: String,
        user: String,
        files: String,
    },
    /// A cluster without a server URL.
    #[error("cluster \"{cluster}\" (used by context \"{context}\") has no server: add `server: https://HOST:PORT` to it in {}", path.display())]
    NoServer {
        context: String,
        cluster: String,
        path: PathBuf,
    },
    /// A `*-data` field that is not base64 of PEM text, or an incomplete setting.
    #[error("context \"{context}\": {what} in {}: {reason}", path.display())]
    BadData {
        context: String,
        what: String,
        path: PathBuf,
        reason: String,
    },
    /// A setting Podterm profiles cannot represent.
    #[error("context \"{context}\" cannot be imported: {reason}")]
    Unsupported { context: String, reason: String },
    /// `--context` and `--all` together.
    #[error("pass either --context NAME or --all, not both")]
    ContextAndAll,
    /// The OS keyring failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The profile store failed.
    #[error(transparent)]
    Store(#[from] ProfileError),
}

fn fmt_location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(", line {l}, column {c}"),
        (Some(l), None) => format!(", line {l}"),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The kubeconfig as written on disk. Unknown fields are ignored, as kubectl does (serde ignores
// them unless `deny_unknown_fields`). No `#[serde(flatten)]`: it would cost type errors their
// line numbers.

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .map(Secret::new))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "Config")]
struct RawConfig {
    #[serde(default, deserialize_with = "null_as_default")]
    clusters: Vec<RawNamedCluster>,
    #[serde(default, deserialize_with = "null_as_default")]
    users: Vec<RawNamedUser>,
    #[serde(default, deserialize_with = "null_as_default")]
    contexts: Vec<RawNamedContext>,
    #[serde(rename = "current-context", default)]
    current_context: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "NamedCluster")]
struct RawNamedCluster {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    cluster: RawCluster,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename = "Cluster")]
struct RawCluster {
    #[serde(default)]
    server: Option<String>,
    #[serde(rename = "insecure-skip-tls-verify", default)]
    insecure_skip_tls_verify: Option<bool>,
    #[serde(rename = "certificate-authority", default)]
    certificate_authority: Option<String>,
    #[serde(rename = "certificate-authority-data", default)]
    certificate_authority_data: Option<String>,
    #[serde(rename = "proxy-url", default)]
    proxy_url: Option<String>,
    #[serde(rename = "tls-server-name", default)]
    tls_server_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "NamedAuthInfo")]
struct RawNamedUser {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    user: RawUser,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename = "AuthInfo")]
struct RawUser {
    #[serde(default)]
    username: Option<String>,
    #[serde(default, deserialize_with = "opt_secret")]
    password: Option<Secret>,
    #[serde(default, deserialize_with = "opt_secret")]
    token: Option<Secret>,
    #[serde(rename = "tokenFile", default)]
    token_file: Option<String>,
    #[serde(rename = "client-certificate", default)]
    client_certificate: Option<String>,
    #[serde(rename = "client-certificate-data", default)]
    client_certificate_data: Option<String>,
    #[serde(rename = "client-key", default)]
    client_key: Option<String>,
    #[serde(rename = "client-key-data", default, deserialize_with = "opt_secret")]
    client_key_data: Option<Secret>,
    #[serde(rename = "as", default)]
    impersonate: Option<String>,
    #[serde(rename = "as-uid", default)]
    impersonate_uid: Option<String>,
    #[serde(rename = "as-groups", default, deserialize_with = "null_as_default")]
    impersonate_groups: Vec<String>,
    #[serde(
        rename = "as-user-extra",
        default,
        deserialize_with = "null_as_default"
    )]
    impersonate_user_extra: BTreeMap<String, Vec<String>>,
    #[serde(rename = "auth-provider", default)]
    auth_provider: Option<RawAuthProvider>,
    #[serde(default)]
    exec: Option<RawExec>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename = "AuthProviderConfig")]
struct RawAuthProvider {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    config: BTreeMap<String, String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename = "ExecConfig")]
struct RawExec {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    args: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    env: Vec<RawEnv>,
    #[serde(rename = "installHint", default)]
    install_hint: Option<String>,
    #[serde(rename = "provideClusterInfo", default)]
    provide_cluster_info: Option<bool>,
    #[serde(rename = "interactiveMode", default)]
    interactive_mode: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename = "ExecEnvVar")]
struct RawEnv {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "NamedContext")]
struct RawNamedContext {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    context: RawContext,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename = "Context")]
struct RawContext {
    #[serde(default)]
    cluster: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
}

/// `Some(s)` when `s` is set and not empty (Go's kubeconfig treats "" as unset).
fn set(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Finding and merging files.

/// Where the kubeconfig comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KubeconfigSource {
    /// `--kubeconfig FILE`: this file alone; missing is an error.
    Explicit(PathBuf),
    /// `KUBECONFIG` or `~/.kube/config`: merged in order, missing files skipped.
    Search(Vec<PathBuf>),
}

impl KubeconfigSource {
    /// kubectl's choice, from `--kubeconfig`, the `KUBECONFIG` variable and the home directory.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, ImportError> {
        Self::resolve_with(
            explicit,
            std::env::var_os("KUBECONFIG").as_deref(),
            dirs::home_dir().as_deref(),
        )
    }

    /// As [`resolve`](Self::resolve), with the environment given (for tests).
    pub fn resolve_with(
        explicit: Option<&Path>,
        kubeconfig_env: Option<&OsStr>,
        home: Option<&Path>,
    ) -> Result<Self, ImportError> {
        if let Some(p) = explicit {
            return Ok(KubeconfigSource::Explicit(p.to_path_buf()));
        }
        if let Some(env) = kubeconfig_env {
            let mut seen = HashSet::new();
            let paths: Vec<PathBuf> = std::env::split_paths(env)
                .filter(|p| !p.as_os_str().is_empty())
                .filter(|p| seen.insert(p.clone()))
                .collect();
            if !paths.is_empty() {
                return Ok(KubeconfigSource::Search(paths));
            }
        }
        let home = home.ok_or(ImportError::NoHome)?;
        Ok(KubeconfigSource::Search(vec![home
            .join(".kube")
            .join("config")]))
    }

    /// Reads and merges the files.
    pub fn load(&self) -> Result<Kubeconfig, ImportError> {
        let mut merged = Kubeconfig::default();
        match self {
            KubeconfigSource::Explicit(path) => match std::fs::read(path) {
                Ok(bytes) => merged.merge(Kubeconfig::parse(path, &bytes)?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(ImportError::Missing { path: path.clone() })
                }
                Err(source) => {
                    return Err(ImportError::Read {
                        path: path.clone(),
                        source,
                    })
                }
            },
            KubeconfigSource::Search(paths) => {
                for path in paths {
                    match std::fs::read(path) {
                        Ok(bytes) => merged.merge(Kubeconfig::parse(path, &bytes)?),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(source) => {
                            return Err(ImportError::Read {
                                path: path.clone(),
                                source,
                            })
                        }
                    }
                }
                if merged.files.is_empty() {
                    return Err(ImportError::NoKubeconfig {
                        searched: join_paths(paths),
                    });
                }
            }
        }
        Ok(merged)
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone)]
struct Entry<T> {
    name: String,
    value: T,
    /// Index into `Kubeconfig::files`.
    file: usize,
}

/// One or more kubeconfig files, merged, with relative paths already resolved.
#[derive(Debug, Clone, Default)]
pub struct Kubeconfig {
    files: Vec<PathBuf>,
    current_context: Option<String>,
    clusters: Vec<Entry<RawCluster>>,
    users: Vec<Entry<RawUser>>,
    contexts: Vec<Entry<RawContext>>,
}

impl Kubeconfig {
    /// Parses one file's contents; `path` names it in errors and anchors its relative paths.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, ImportError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let raw: RawConfig = if is_blank_yaml(bytes) {
            // kubectl reads an empty file as an empty config.
            RawConfig::default()
        } else {
            serde_yaml::from_slice::<Option<RawConfig>>(bytes)
                .map_err(|e| yaml_error(&path, &e))?
                .unwrap_or_default()
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut out = Kubeconfig {
            files: vec![path.clone()],
            current_context: raw.current_context.filter(|c| !c.is_empty()),
            ..Kubeconfig::default()
        };
        let mut seen = HashSet::new();
        for c in raw.clusters {
            if !seen.insert(c.name.clone()) {
                return Err(dup(&path, "cluster", c.name));
            }
            let mut value = c.cluster;
            resolve(&base, &mut value.certificate_authority);
            out.clusters.push(Entry {
                name: c.name,
                value,
                file: 0,
            });
        }
        seen.clear();
        for u in raw.users {
            if !seen.insert(u.name.clone()) {
                return Err(dup(&path, "user", u.name));
            }
            let mut value = u.user;
            resolve(&base, &mut value.token_file);
            resolve(&base, &mut value.client_certificate);
            resolve(&base, &mut value.client_key);
            if let Some(exec) = &mut value.exec {
                // Only a command given as a path is resolved; a bare name is looked up in PATH.
                if exec
                    .command
                    .as_deref()
                    .is_some_and(|c| c.contains('/') || c.contains(std::path::MAIN_SEPARATOR))
                {
                    resolve(&base, &mut exec.command);
                }
            }
            out.users.push(Entry {
                name: u.name,
                value,
                file: 0,
            });
        }
        seen.clear();
        for c in raw.contexts {
            if !seen.insert(c.name.clone()) {
                return Err(dup(&path, "context", c.name));
            }
            out.contexts.push(Entry {
                name: c.name,
                value: c.context,
                file: 0,
            });
        }
        Ok(out)
    }

    /// Adds a later file: names already defined keep their first definition, and the first
    /// `current-context` set stays.
    fn merge(&mut self, other: Kubeconfig) {
        let offset = self.files.len();
        self.files.extend(other.files);
        if self.current_context.is_none() {
            self.current_context = other.current_context;
        }
        fn add<T>(into: &mut Vec<Entry<T>>, from: Vec<Entry<T>>, offset: usize) {
            for mut e in from {
                if !into.iter().any(|x| x.name == e.name) {
                    e.file += offset;
                    into.push(e);
                }
            }
        }
        add(&mut self.clusters, other.clusters, offset);
        add(&mut self.users, other.users, offset);
        add(&mut self.contexts, other.contexts, offset);
    }

    /// The files read, in merge order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The merged `current-context`.
    pub fn current_context(&self) -> Option<&str> {
        self.current_context.as_deref()
    }

    /// Every context name, in merge order.
    pub fn context_names(&self) -> Vec<&str> {
        self.contexts.iter().map(|c| c.name.as_str()).collect()
    }

    fn files_list(&self) -> String {
        join_paths(&self.files)
    }

    fn available(&self) -> String {
        if self.contexts.is_empty() {
            "(none)".into()
        } else {
            self.context_names().join(", ")
        }
    }

    fn file(&self, i: usize) -> PathBuf {
        self.files.get(i).cloned().unwrap_or_default()
    }

    fn selected(&self, opts: &ImportOptions) -> Result<Vec<&Entry<RawContext>>, ImportError> {
        let find = |name: &str| {
            self.contexts
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| ImportError::UnknownContext {
                    name: name.to_owned(),
                    files: self.files_list(),
                    available: self.available(),
                })
        };
        match (&opts.context, opts.all) {
            (Some(_), true) => Err(ImportError::ContextAndAll),
            (Some(name), false) => Ok(vec![find(name)?]),
            (None, true) if self.contexts.is_empty() => Err(ImportError::NoContexts {
                files: self.files_list(),
            }),
            (None, true) => Ok(self.contexts.iter().collect()),
            (None, false) => match &self.current_context {
                Some(name) => Ok(vec![find(name)?]),
                None if self.contexts.is_empty() => Err(ImportError::NoContexts {
                    files: self.files_list(),
                }),
                None => Err(ImportError::NoCurrentContext {
                    files: self.files_list(),
                    available: self.available(),
                }),
            },
        }
    }
}

fn dup(path: &Path, what: &'static str, name: String) -> ImportError {
    ImportError::Duplicate {
        path: path.to_path_buf(),
        what,
        name,
    }
}

fn resolve(base: &Path, p: &mut Option<String>) {
    if let Some(s) = p.as_deref().filter(|s| !s.is_empty()) {
        let path = Path::new(s);
        if path.is_relative() {
            *p = Some(base.join(path).to_string_lossy().into_owned());
        }
    }
}

/// Only whitespace and comments: YAML's empty document.
fn is_blank_yaml(bytes: &[u8]) -> bool {
    bytes.split(|b| *b == b'\n').all(|line| {
        let t = line.trim_ascii();
        t.is_empty() || t.starts_with(b"#")
    })
}

fn yaml_error(path: &Path, e: &serde_yaml::Error) -> ImportError {
    let mut message = e.to_string();
    let (line, column) = match e.location() {
        Some(loc) => {
            // serde_yaml appends " at line L column C"; the location is shown up front instead.
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_owned();
            }
            (Some(loc.line()), Some(loc.column()))
        }
        None => (None, None),
    };
    ImportError::Yaml {
        path: path.to_path_buf(),
        line,
        column,
        message: redact_values(&message),
    }
}

/// serde quotes the value it did not expect (`invalid type: string "…", expected …`,
/// `invalid type: integer `…``, `invalid value: …`); that value may be a token or password pasted
/// in the wrong place (a numeric one reads as an integer), so only its kind is kept: "invalid
/// type: a string, expected …". The path (`users[0].user`) and the expectation stay.
pub(crate) fn redact_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        let Some(start) = message.find(prefix) else {
            continue;
        };
        let value_at = start + prefix.len();
        let end = message[value_at..]
            .rfind(", expected")
            .map_or(message.len(), |i| value_at + i);
        let value = &message[value_at..end];
        // The kind is the text before the quoted value: `string`, `integer`, `floating point`,
        // `boolean`, `unit value`, `sequence`, `map`, ...
        let kind = value
            .find(['"', '`', '\''])
            .map_or(value, |i| &value[..i])
            .trim();
        let kind = if kind.is_empty() { "value" } else { kind };
        let article = if kind.starts_with(['a', 'e', 'i', 'o']) {
            "an"
        } else {
            "a"
        };
        return format!(
            "{}{prefix}{article} {kind}{}",
            &message[..start],
            &message[end..]
        );
    }
    message.to_owned()
}

// ---------------------------------------------------------------------------------------------
// Contexts into profiles.

/// A profile before it is saved, and the secrets it refers to.
struct Planned {
    profile: Profile,
    secrets: Vec<(String, Secret)>,
}

/// Name parts that mark a secret wherever they appear in a name (`GITHUB_TOKEN`, `MYTOKEN`,
/// `--client-secret`, `db_password`).
const SECRET_SUBSTRINGS: [&str; 9] = [
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "PRIVATE",
    "APIKEY",
    "COOKIE",
];

/// Words (between `_`, `-` and `.`) that mark a secret only as a whole word: `VAULT_AUTH`,
/// `--api-key`, `SESSION`, but not `idp-certificate-authority` or `KEYRING_BACKEND`.
const SECRET_WORDS: [&str; 5] = ["KEY", "AUTH", "SESSION", "PASS", "PIN"];

/// A last word that makes a name a *reference* to a secret, not one: `--token-file`,
/// `AWS_SHARED_CREDENTIALS_FILE`, `KEY_PATH`.
const REFERENCE_WORDS: [&str; 4] = ["FILE", "FILENAME", "PATH", "DIR"];

/// Whether a name (an exec-plugin environment variable, an exec-plugin flag without its dashes,
/// an OIDC config key) says its value is secret: it contains one of [`SECRET_SUBSTRINGS`] or has
/// one of [`SECRET_WORDS`] as a word, and its last word is not one of [`REFERENCE_WORDS`].
/// `AWS_PROFILE`, `KUBECONFIG`, `HOME`, `PATH`, `AWS_REGION` are not secret.
pub fn looks_secret(name: &str) -> bool {
    let n = name.trim_start_matches('-').to_ascii_uppercase();
    let words: Vec<&str> = n.split(['_', '-', '.']).filter(|w| !w.is_empty()).collect();
    if words.last().is_some_and(|w| REFERENCE_WORDS.contains(w)) {
        return false;
    }
    SECRET_SUBSTRINGS.iter().any(|w| n.contains(w))
        || words.iter().any(|w| SECRET_WORDS.contains(w))
}

/// Whether a value looks like a credential whatever its name: a JWT (`eyJ….….…`), or a
/// 32+ character run of token characters (letters, digits, `+/=_-.~`) that is hex digits only
/// or mixes upper case, lower case and digits. Paths (`/…`, `./…`, `~/…`), URLs, ARNs and
/// other text with `:` or spaces are not.
pub fn looks_like_token(value: &str) -> bool {
    let v = value.trim();
    let b64url = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    };
    let parts: Vec<&str> = v.split('.').collect();
    if v.starts_with("eyJ") && v.len() >= 20 && parts.len() == 3 && parts.iter().all(|p| b64url(p))
    {
        return true;
    }
    if v.len() < 32
        || v.starts_with(['/', '.', '~'])
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-.~".contains(&b))
    {
        return false;
    }
    // A relative path has slashes but no base64 padding or '+'.
    if v.contains('/') && !v.contains('+') && !v.ends_with('=') {
        return false;
    }
    let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    let upper = v.bytes().any(|b| b.is_ascii_uppercase());
    let lower = v.bytes().any(|b| b.is_ascii_lowercase());
    let digit = v.bytes().any(|b| b.is_ascii_digit());
    hex || (upper && lower && digit)
}

/// Exec plugin arguments with their secrets moved out: the value of a flag whose name
/// [`looks_secret`] (`--client-secret VALUE`, `--client-secret=VALUE`) and any argument (or
/// `--flag=` value) that [`looks_like_token`] go to `secrets` under `arg-N` (N: the argument's
/// index); the stored argument holds a [`placeholder`] instead, put back when connecting.
fn vault_args(args: &[String], secrets: &mut Vec<(String, Secret)>) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut value_follows = false;
    for (i, arg) in args.iter().enumerate() {
        let field = format!("arg-{i}");
        if std::mem::take(&mut value_follows) && !arg.starts_with("--") && !arg.is_empty() {
            secrets.push((field.clone(), Secret::new(arg.clone())));
            out.push(placeholder(&field));
            continue;
        }
        if arg.starts_with('-') {
            let (flag, value) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v)),
                None => (arg.as_str(), None),
            };
            let secret_flag = looks_secret(flag);
            match value {
                Some(v) if !v.is_empty() && (secret_flag || looks_like_token(v)) => {
                    secrets.push((field.clone(), Secret::new(v)));
                    out.push(format!("{flag}={}", placeholder(&field)));
                }
                None if secret_flag => {
                    value_follows = true;
                    out.push(arg.clone());
                }
                _ => out.push(arg.clone()),
            }
            continue;
        }
        if looks_like_token(arg) {
            secrets.push((field.clone(), Secret::new(arg.clone())));
            out.push(placeholder(&field));
        } else {
            out.push(arg.clone());
        }
    }
    out
}

/// OIDC auth-provider config keys that are always secret.
const OIDC_SECRET_KEYS: [&str; 3] = ["id-token", "refresh-token", "client-secret"];

fn decode_data(
    data: &str,
    context: &str,
    what: impl FnOnce() -> String,
    path: &Path,
) -> Result<String, ImportError> {
    let bad = |reason: String, what: String| ImportError::BadData {
        context: context.to_owned(),
        what,
        path: path.to_path_buf(),
        reason,
    };
    let compact: Vec<u8> = data.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = match engine.decode(&compact) {
        Ok(b) => b,
        // Error text names only a position and byte value, never the data.
        Err(e) => return Err(bad(format!("not valid base64 ({e})"), what())),
    };
    String::from_utf8(bytes).map_err(|_| bad("does not decode to PEM text".into(), what()))
}

impl Kubeconfig {
    fn plan(&self, ctx: &Entry<RawContext>) -> Result<Planned, ImportError> {
        let name = ctx.name.as_str();
        let unsupported = |reason: String| ImportError::Unsupported {
            context: name.to_owned(),
            reason,
        };
        if name.is_empty() {
            return Err(unsupported("a context has no name".into()));
        }
        if name.chars().any(char::is_control) {
            return Err(unsupported(
                "its name has control characters, which a profile name cannot have".into(),
            ));
        }
        let cluster_name = set(&ctx.value.cluster).unwrap_or("");
        let cluster = self
            .clusters
            .iter()
            .find(|c| c.name == cluster_name && !cluster_name.is_empty())
            .ok_or_else(|| ImportError::MissingCluster {
                context: name.to_owned(),
                cluster: cluster_name.to_owned(),
                files: self.files_list(),
            })?;
        let cpath = self.file(cluster.file);
        let c = &cluster.value;
        let server = set(&c.server).ok_or_else(|| ImportError::NoServer {
            context: name.to_owned(),
            cluster: cluster_name.to_owned(),
            path: cpath.clone(),
        })?;
        let ca = match (
            set(&c.certificate_authority_data),
            set(&c.certificate_authority),
        ) {
            (Some(data), _) => Some(Ca::Pem(decode_data(
                data,
                name,
                || format!("certificate-authority-data of cluster \"{cluster_name}\""),
                &cpath,
            )?)),
            (None, Some(file)) => Some(Ca::File(PathBuf::from(file))),
            (None, None) => None,
        };

        let (auth, mut secrets) = match set(&ctx.value.user) {
            None => (Auth::None, Vec::new()),
            Some(user_name) => {
                let user = self
                    .users
                    .iter()
                    .find(|u| u.name == user_name)
                    .ok_or_else(|| ImportError::MissingUser {
                        context: name.to_owned(),
                        user: user_name.to_owned(),
                        files: self.files_list(),
                    })?;
                user_auth(name, user_name, &user.value, &self.file(user.file))?
            }
        };

        let impersonate = match set(&ctx.value.user) {
            None => None,
            Some(user_name) => self
                .users
                .iter()
                .find(|u| u.name == user_name)
                .map(|u| impersonation(name, user_name, &u.value))
                .transpose()?
                .flatten(),
        };
        let source_file = self.file(ctx.file);
        let mut profile = Profile::new(name, server, auth);
        profile.impersonate = impersonate;
        profile.ca = ca;
        profile.tls_server_name = set(&c.tls_server_name).map(str::to_owned);
        if let Some(url) = set(&c.proxy_url) {
            if has_placeholder(url) {
                return Err(unsupported(format!(
                    "the proxy-url of cluster \"{cluster_name}\" contains \"${{podterm-secret:\", which Podterm uses for secrets it moved to the keyring"
                )));
            }
            // `http://user:password@proxy:3128`: the credentials go to the vault.
            let (without, userinfo) = split_userinfo(url);
            profile.proxy_url = Some(without);
            if let Some(userinfo) = userinfo {
                profile.proxy_credentials = Some(PROXY_CREDENTIALS_FIELD.into());
                secrets.push((PROXY_CREDENTIALS_FIELD.into(), Secret::new(userinfo)));
            }
        }
        profile.insecure = c.insecure_skip_tls_verify.unwrap_or(false);
        profile.namespace = set(&ctx.value.namespace).map(str::to_owned);
        profile.source = Some(format!("{}#{}", source_file.display(), name));
        Ok(Planned { profile, secrets })
    }
}

/// Whom the kubeconfig user acts as (`as` and the rest), as the profile keeps it. Groups, a UID
/// or extras without a user are refused, as kubectl refuses them.
fn impersonation(
    context: &str,
    user_name: &str,
    u: &RawUser,
) -> Result<Option<crate::profiles::Impersonation>, ImportError> {
    let uid = set(&u.impersonate_uid).map(str::to_owned);
    let Some(user) = set(&u.impersonate) else {
        if uid.is_some() || !u.impersonate_groups.is_empty() || !u.impersonate_user_extra.is_empty()
        {
            return Err(ImportError::Unsupported {
                context: context.to_owned(),
                reason: format!(
                    "requesting uid, groups or user-extra for {user_name} without impersonating a user"
                ),
            });
        }
        return Ok(None);
    };
    Ok(Some(crate::profiles::Impersonation {
        user: user.to_owned(),
        groups: u.impersonate_groups.clone(),
        uid,
        extra: u.impersonate_user_extra.clone(),
    }))
}

fn user_auth(
    context: &str,
    user_name: &str,
    u: &RawUser,
    path: &Path,
) -> Result<(Auth, Vec<(String, Secret)>), ImportError> {
    let unsupported = |reason: String| ImportError::Unsupported {
        context: context.to_owned(),
        reason,
    };
    let has_token = u.token.is_some() || set(&u.token_file).is_some();
    let has_basic = set(&u.username).is_some() || u.password.is_some();
    let has_cert = set(&u.client_certificate).is_some()
        || set(&u.client_certificate_data).is_some()
        || set(&u.client_key).is_some()
        || u.client_key_data.is_some();
    let methods: Vec<&str> = [
        (has_token, "token"),
        (has_basic, "basic auth"),
        (has_cert, "client certificate"),
        (u.exec.is_some(), "exec plugin"),
        (u.auth_provider.is_some(), "auth-provider"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| *n)
    .collect();
    if methods.len() > 1 {
        return Err(unsupported(format!(
            "user \"{user_name}\" combines {}; a Podterm profile uses one way to authenticate",
            methods.join(" and ")
        )));
    }
    let bad = |what: &str, reason: &str| ImportError::BadData {
        context: context.to_owned(),
        what: format!("{what} of user \"{user_name}\""),
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };

    if let Some(token) = &u.token {
        // An inline token wins over tokenFile, as in kube-rs.
        return Ok((
            Auth::Token {
                secret: "token".into(),
            },
            vec![("token".into(), token.clone())],
        ));
    }
    if let Some(file) = set(&u.token_file) {
        return Ok((
            Auth::TokenFile {
                path: PathBuf::from(file),
            },
            Vec::new(),
        ));
    }
    if has_basic {
        let username =
            set(&u.username).ok_or_else(|| bad("password", "a password without a username"))?;
        let password = u.password.clone().unwrap_or_else(|| Secret::new(""));
        return Ok((
            Auth::Basic {
                username: username.to_owned(),
                password_field: "password".into(),
            },
            vec![("password".into(), password)],
        ));
    }
    if has_cert {
        let cert = match (set(&u.client_certificate_data), set(&u.client_certificate)) {
            (Some(data), _) => CertSource::Pem(decode_data(
                data,
                context,
                || format!("client-certificate-data of user \"{user_name}\""),
                path,
            )?),
            (None, Some(file)) => CertSource::File(PathBuf::from(file)),
            (None, None) => {
                return Err(bad(
                    "client key",
                    "a client key without a client certificate (client-certificate or client-certificate-data)",
                ))
            }
        };
        let mut secrets = Vec::new();
        let key = match (&u.client_key_data, set(&u.client_key)) {
            (Some(data), _) => {
                let pem = decode_data(
                    data.expose(),
                    context,
                    || format!("client-key-data of user \"{user_name}\""),
                    path,
                )?;
                secrets.push(("client-key".to_owned(), Secret::new(pem)));
                KeySource::Vault {
                    field: "client-key".into(),
                }
            }
            (None, Some(file)) => KeySource::File(PathBuf::from(file)),
            (None, None) => {
                return Err(bad(
                    "client certificate",
                    "a client certificate without a key (client-key or client-key-data)",
                ))
            }
        };
        return Ok((Auth::ClientCertificate { cert, key }, secrets));
    }
    if let Some(exec) = &u.exec {
        let command =
            set(&exec.command).ok_or_else(|| bad("exec plugin", "no command is given"))?;
        let api_version = set(&exec.api_version).ok_or_else(|| {
            bad(
                "exec plugin",
                "no apiVersion is given (kubectl requires one, e.g. client.authentication.k8s.io/v1)",
            )
        })?;
        if exec.args.iter().any(|a| has_placeholder(a)) {
            return Err(bad(
                "exec plugin args",
                "an argument contains \"${podterm-secret:\", which Podterm uses for secrets it moved to the keyring",
            ));
        }
        let mut secrets = Vec::new();
        let args = vault_args(&exec.args, &mut secrets);
        let mut env = Vec::new();
        for e in &exec.env {
            if e.name.is_empty() {
                return Err(bad("exec plugin env", "a variable has no name"));
            }
            let value = e.value.clone().unwrap_or_default();
            if !value.is_empty() && (looks_secret(&e.name) || looks_like_token(&value)) {
                let field = format!("env-{}", e.name);
                secrets.push((field.clone(), Secret::new(value)));
                env.push(ExecEnv {
                    name: e.name.clone(),
                    value: None,
                    secret_field: Some(field),
                });
            } else {
                env.push(ExecEnv {
                    name: e.name.clone(),
                    value: Some(value),
                    secret_field: None,
                });
            }
        }
        return Ok((
            Auth::ExecPlugin {
                api_version: Some(api_version.to_owned()),
                command: command.to_owned(),
                args,
                env,
                install_hint: set(&exec.install_hint).map(str::to_owned),
                provide_cluster_info: exec.provide_cluster_info.unwrap_or(false),
                interactive_mode: set(&exec.interactive_mode).map(str::to_owned),
            },
            secrets,
        ));
    }
    if let Some(provider) = &u.auth_provider {
        if provider.name != "oidc" {
            return Err(unsupported(format!(
                "user \"{user_name}\" uses the \"{}\" auth-provider, which kubectl dropped in 1.26 and Podterm does not support: switch it to the provider's exec plugin (gke-gcloud-auth-plugin, kubelogin)",
                provider.name
            )));
        }
        let mut config = BTreeMap::new();
        let mut secret_fields = BTreeMap::new();
        let mut secrets = Vec::new();
        for (k, v) in &provider.config {
            let public_data = k.ends_with("-data");
            if OIDC_SECRET_KEYS.contains(&k.as_str())
                || looks_secret(k)
                || (!public_data && looks_like_token(v))
            {
                if !v.is_empty() {
                    secret_fields.insert(k.clone(), k.clone());
                    secrets.push((k.clone(), Secret::new(v.clone())));
                }
            } else {
                config.insert(k.clone(), v.clone());
            }
        }
        return Ok((
            Auth::Oidc {
                config,
                secret_fields,
            },
            secrets,
        ));
    }
    Ok((Auth::None, Vec::new()))
}

// ---------------------------------------------------------------------------------------------
// The import itself.

/// Imports kubeconfig contexts as profiles (see the module docs). Returns the saved profiles.
pub async fn import(
    opts: &ImportOptions,
    store: &ProfileStore,
    vault: &Vault,
) -> Result<Vec<Profile>, ImportError> {
    let kubeconfig = KubeconfigSource::resolve(opts.kubeconfig.as_deref())?.load()?;
    import_from(&kubeconfig, opts, store, vault).await
}

/// Imports from an already loaded kubeconfig (`opts.kubeconfig` is not looked at).
///
/// Every selected context is converted before anything is written, so a bad context fails the
/// import without a partial result. Re-importing a name keeps its profile id, overwrites its
/// secrets and deletes the vault fields the new profile no longer uses. The secrets go to the
/// vault first, then the profile file is read, changed and written once, under its lock, however
/// many contexts there are.
pub async fn import_from(
    kubeconfig: &Kubeconfig,
    opts: &ImportOptions,
    store: &ProfileStore,
    vault: &Vault,
) -> Result<Vec<Profile>, ImportError> {
    let mut planned = kubeconfig
        .selected(opts)?
        .into_iter()
        .map(|ctx| kubeconfig.plan(ctx))
        .collect::<Result<Vec<_>, _>>()?;
    // A profile keeps its id across imports: its vault entries are filed under it.
    let ids: std::collections::HashMap<String, String> =
        store.list()?.into_iter().map(|p| (p.name, p.id)).collect();
    let mut new_ids = HashSet::new();
    for p in &mut planned {
        match ids.get(&p.profile.name) {
            Some(id) => p.profile.id = id.clone(),
            None => {
                p.profile.id = new_id();
                new_ids.insert(p.profile.id.clone());
            }
        }
    }
    // Leaves no orphaned vault entries behind for new profiles that were not saved.
    let clean_up = |upto: usize| {
        let planned = &planned;
        let new_ids = &new_ids;
        async move {
            for p in planned.iter().take(upto) {
                if !new_ids.contains(&p.profile.id) {
                    continue;
                }
                for (field, _) in &p.secrets {
                    if let Err(del) = vault.delete(&p.profile.id, field).await {
                        tracing::warn!(profile = %p.profile.name, %field, error = %del, "cannot clean up a vault entry");
                    }
                }
            }
        }
    };
    for (i, p) in planned.iter().enumerate() {
        for (field, secret) in &p.secrets {
            if let Err(e) = vault.set(&p.profile.id, field, secret).await {
                clean_up(i + 1).await;
                return Err(e.into());
            }
        }
    }
    let profiles: Vec<Profile> = planned.iter().map(|p| p.profile.clone()).collect();
    let incoming = profiles.clone();
    let replaced = store.update(move |list| {
        let mut at: std::collections::HashMap<String, usize> = list
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        let mut replaced = Vec::new();
        for profile in incoming {
            match at.get(&profile.name) {
                Some(&i) => replaced.push(std::mem::replace(&mut list[i], profile)),
                None => {
                    at.insert(profile.name.clone(), list.len());
                    list.push(profile);
                }
            }
        }
        replaced
    });
    let replaced = match replaced {
        Ok(r) => r,
        Err(e) => {
            clean_up(planned.len()).await;
            return Err(e.into());
        }
    };
    let by_name: std::collections::HashMap<&str, &Profile> =
        profiles.iter().map(|p| (p.name.as_str(), p)).collect();
    for old in replaced {
        // Another writer may have replaced the profile since it was read: then none of the old
        // entries is ours to keep.
        let keep: HashSet<String> = match by_name.get(old.name.as_str()) {
            Some(p) if p.id == old.id => p.secret_fields().into_iter().collect(),
            _ => HashSet::new(),
        };
        for field in old.secret_fields() {
            if !keep.contains(&field) {
                vault.delete(&old.id, &field).await?;
            }
        }
    }
    for p in &profiles {
        tracing::info!(profile = %p.name, auth = p.auth.kind_name(), "imported profile");
    }
    Ok(profiles)
}

impl fmt::Display for KubeconfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KubeconfigSource::Explicit(p) => write!(f, "{}", p.display()),
            KubeconfigSource::Search(ps) => f.write_str(&join_paths(ps)),
        }
    }
}
