//! Favourites: a shell one click (or one `podterm connect NAME`) away.
//!
//! A favourite names a profile, a namespace, a *target* — a workload (Deployment, StatefulSet,
//! DaemonSet or ReplicaSet) or, for a bare pod, the pod itself — a container and a command. Pod
//! names change on every rollout, so a workload favourite is resolved when connecting: its
//! `spec.selector` is read and the newest Ready, non-terminating pod matching it wins, exactly as
//! `podterm exec deploy/NAME` picks ([`crate::pods::resolve`]).
//!
//! Storage (`store.rs`: the favourites file, [`FavouriteStore`]) is apart from resolution
//! (`resolve.rs`: where a favourite leads now, [`resolve()`], and what to favourite for a pod,
//! [`favourite_for_pod`]).
//!
//! They are kept beside the profiles, in `favourites.json` in the same config directory
//! ([`crate::store::default_dir`]), in the order the user gave them: a
//! [`crate::store::VersionedFile`] (atomic writes under the lock `favourites.lock`, a newer or
//! unreadable file never written over, unknown fields kept).

mod resolve;
mod store;

pub use resolve::{favourite_for_pod, resolve, target_for_pod, Resolved};
pub use store::FavouriteStore;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::pods::{self, PodError, PodTarget, WorkloadKind};
use crate::store::{Extra, FileSpec, StoreError};

/// The format version this Podterm writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The favourites file's name inside the config directory.
pub const FILE_NAME: &str = "favourites.json";
/// The lock file's name inside the config directory.
pub const LOCK_NAME: &str = "favourites.lock";
/// The favourites file, for [`VersionedFile`].
pub const SPEC: FileSpec = FileSpec {
    file_name: FILE_NAME,
    lock_name: LOCK_NAME,
    version: FORMAT_VERSION,
    noun: "favourites",
    fresh: "start with no favourites",
};

/// Why a favourite could not be stored, found or resolved to a pod.
#[derive(Debug, thiserror::Error)]
pub enum FavouriteError {
    /// The file could not be read or written (unreadable, newer, no config directory ...).
    /// Nothing is written over a file that cannot be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A favourite that cannot be saved (empty name, empty namespace, ...).
    #[error("invalid favourite {name:?}: {reason}")]
    Invalid { name: String, reason: String },
    /// A favourite of that name exists already.
    #[error("a favourite named \"{0}\" already exists: pick another name, or remove it first")]
    Duplicate(String),
    /// No favourite of that name; `known` lists the names there are.
    #[error("no favourite named \"{name}\"; {}", known_list(known))]
    NotFound { name: String, known: Vec<String> },
    /// A new order that is not the current favourites, each once.
    #[error("the new order must name every favourite exactly once: {0}")]
    BadOrder(String),
    /// Finding the pod failed: the API server's refusal, no such workload or pod, no Ready pod
    /// (naming the pods there are and why each is not Ready), a completed pod, no such container.
    #[error(transparent)]
    Pod(#[from] PodError),
}

impl FavouriteError {
    /// The API server refused the credentials (401) while finding the pod.
    pub fn credentials_refused(&self) -> bool {
        matches!(self, FavouriteError::Pod(e) if e.credentials_refused())
    }
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "there are no favourites yet".into()
    } else {
        format!("the favourites are: {}", known.join(", "))
    }
}

impl From<kube::Error> for FavouriteError {
    fn from(e: kube::Error) -> Self {
        FavouriteError::Pod(PodError::from(e))
    }
}

/// What a favourite connects to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TargetRepr", into = "TargetRepr")]
pub enum Target {
    /// A workload, resolved through its `spec.selector` when connecting.
    Workload { kind: WorkloadKind, name: String },
    /// A fixed pod (a bare pod, with no workload to follow).
    Pod(String),
}

/// The stored form: `{"kind": "deployment", "name": "web"}`, `{"kind": "pod", "name": "shell"}`.
#[derive(Serialize, Deserialize)]
struct TargetRepr {
    kind: String,
    name: String,
}

impl From<Target> for TargetRepr {
    fn from(t: Target) -> Self {
        match t {
            Target::Workload { kind, name } => TargetRepr {
                kind: kind.as_str().into(),
                name,
            },
            Target::Pod(name) => TargetRepr {
                kind: "pod".into(),
                name,
            },
        }
    }
}

impl TryFrom<TargetRepr> for Target {
    type Error = String;

    fn try_from(r: TargetRepr) -> Result<Self, String> {
        if r.kind == "pod" {
            return Ok(Target::Pod(r.name));
        }
        WorkloadKind::ALL
            .into_iter()
            .find(|k| k.as_str() == r.kind)
            .map(|kind| Target::Workload { kind, name: r.name })
            .ok_or_else(|| {
                format!("unknown target kind {:?}: expected pod, deployment, statefulset, daemonset, replicaset, service or job", r.kind)
            })
    }
}

impl Target {
    /// Parses `NAME` or `pod/NAME` (a fixed pod), `deploy/NAME`, `sts/NAME`, `ds/NAME`,
    /// `rs/NAME` (and the long forms), as `podterm exec` does.
    pub fn parse(text: &str) -> Result<Self, FavouriteError> {
        Ok(match PodTarget::parse(text)? {
            PodTarget::Pod(name) => Target::Pod(name),
            PodTarget::Workload { kind, name } => Target::Workload { kind, name },
            PodTarget::Selector(_) => {
                return Err(PodError::BadTarget(format!(
                    "cannot favourite {text:?}: name a pod or a workload"
                ))
                .into())
            }
        })
    }

    /// The workload's or pod's name.
    pub fn name(&self) -> &str {
        match self {
            Target::Workload { name, .. } | Target::Pod(name) => name,
        }
    }

    /// What [`crate::pods::resolve`] looks for.
    pub fn pod_target(&self) -> PodTarget {
        match self {
            Target::Workload { kind, name } => PodTarget::Workload {
                kind: *kind,
                name: name.clone(),
            },
            Target::Pod(name) => PodTarget::Pod(name.clone()),
        }
    }
}

impl fmt::Display for Target {
    /// `deployment/web`, `pod/shell`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pod_target().fmt(f)
    }
}

/// A saved quick-connect: where to open a shell (or run a command).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Favourite {
    /// Unique, user-facing.
    pub name: String,
    /// The name of the profile to connect through ([`crate::profiles::Profile::name`]).
    pub profile: String,
    pub namespace: String,
    pub target: Target,
    /// `None`: the pod's default container (annotation, else the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Empty: the shell fallback ([`crate::pods::shell_command`]).
    #[serde(default)]
    pub command: Vec<String>,
    /// Open it in a debug container beside the container (its image has no shell): our shared
    /// one for the settings' debug image, added when the pod has none running.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub debug: bool,
    /// Fields a newer Podterm wrote, kept on rewrite.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Favourite {
    /// A favourite with the default container and the shell.
    pub fn new(
        name: impl Into<String>,
        profile: impl Into<String>,
        namespace: impl Into<String>,
        target: Target,
    ) -> Self {
        Favourite {
            name: name.into(),
            profile: profile.into(),
            namespace: namespace.into(),
            target,
            container: None,
            command: Vec::new(),
            debug: false,
            extra: Extra::new(),
        }
    }

    /// The command to run: the favourite's, else the shell fallback.
    pub fn command_or_shell(&self) -> Vec<String> {
        if self.command.is_empty() {
            pods::shell_command()
        } else {
            self.command.clone()
        }
    }

    fn check(&self) -> Result<(), FavouriteError> {
        let reason = if self.name.trim().is_empty() {
            "a favourite needs a name"
        } else if self.name.chars().any(char::is_control) {
            "control characters are not allowed in its name"
        } else if self.profile.trim().is_empty() {
            "a favourite needs a profile"
        } else if self.namespace.trim().is_empty() {
            "a favourite needs a namespace"
        } else if self.target.name().trim().is_empty() {
            "a favourite needs a pod or workload name"
        } else if self
            .container
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            "the container name is empty (leave it out for the default container)"
        } else {
            return Ok(());
        };
        Err(FavouriteError::Invalid {
            name: self.name.clone(),
            reason: reason.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_print_and_store() {
        for (text, shown, stored) in [
            ("shell", "pod/shell", r#"{"kind":"pod","name":"shell"}"#),
            ("pod/shell", "pod/shell", r#"{"kind":"pod","name":"shell"}"#),
            (
                "deploy/web",
                "deployment/web",
                r#"{"kind":"deployment","name":"web"}"#,
            ),
            (
                "sts/db",
                "statefulset/db",
                r#"{"kind":"statefulset","name":"db"}"#,
            ),
            (
                "ds/agent",
                "daemonset/agent",
                r#"{"kind":"daemonset","name":"agent"}"#,
            ),
            (
                "rs/old",
                "replicaset/old",
                r#"{"kind":"replicaset","name":"old"}"#,
            ),
            (
                "svc/web",
                "service/web",
                r#"{"kind":"service","name":"web"}"#,
            ),
        ] {
            let t = Target::parse(text).expect("parses");
            assert_eq!(t.to_string(), shown);
            assert_eq!(serde_json::to_string(&t).expect("json"), stored);
            assert_eq!(
                serde_json::from_str::<Target>(stored).expect("back"),
                t,
                "{text}"
            );
            assert_eq!(Target::parse(shown).expect("shown parses"), t);
        }
        assert!(Target::parse("cm/web").is_err());
        assert!(Target::parse("").is_err());
        let err = serde_json::from_str::<Target>(r#"{"kind":"cronjob","name":"x"}"#)
            .expect_err("unknown kind");
        assert!(err.to_string().contains("unknown target kind"), "{err}");
    }
}
