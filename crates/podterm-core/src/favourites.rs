//! Favourites: a shell one click (or one `podterm connect NAME`) away.
//!
//! A favourite names a profile, a namespace, a *target* — a workload (Deployment, StatefulSet,
//! DaemonSet or ReplicaSet) or, for a bare pod, the pod itself — a container and a command. Pod
//! names change on every rollout, so a workload favourite is resolved when connecting: its
//! `spec.selector` is read and the newest Ready, non-terminating pod matching it wins, exactly as
//! `podterm exec deploy/NAME` picks ([`crate::pods::resolve`]).
//!
//! They are kept beside the profiles, in `favourites.json` in the same config directory
//! ([`crate::store::default_dir`]), in the order the user gave them: a
//! [`crate::store::VersionedFile`] (atomic writes under the lock `favourites.lock`, a newer or
//! unreadable file never written over, unknown fields kept).

use std::fmt;
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::Api;
use serde::{Deserialize, Serialize};

use crate::pods::{self, PodError, PodTarget, WorkloadKind};
use crate::store::{self, Extra, FileSpec, StoreError, VersionedFile};

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
                format!("unknown target kind {:?}: expected pod, deployment, statefulset, daemonset or replicaset", r.kind)
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

/// The favourites file's document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct FavouritesDoc {
    #[serde(default)]
    favourites: Vec<Favourite>,
    #[serde(flatten)]
    extra: Extra,
}

/// The favourites file of one config directory.
#[derive(Debug, Clone)]
pub struct FavouriteStore {
    file: VersionedFile<FavouritesDoc>,
}

impl FavouriteStore {
    /// The store in `dir` (created on first write; a missing file is an empty store).
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        FavouriteStore {
            file: VersionedFile::new(dir, SPEC),
        }
    }

    /// The store in the profiles' directory ([`crate::store::default_dir`]).
    pub fn open_default() -> Result<Self, FavouriteError> {
        Ok(Self::open(store::default_dir()?))
    }

    /// The config directory.
    pub fn dir(&self) -> &Path {
        self.file.dir()
    }

    /// The favourites file.
    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    /// All favourites, in the user's order.
    pub fn list(&self) -> Result<Vec<Favourite>, FavouriteError> {
        // Writers replace the file by rename, so a reader sees the old or the new file whole.
        self.read()
    }

    /// The favourite called `name`; [`FavouriteError::NotFound`] (listing the names there are)
    /// when there is none.
    pub fn get(&self, name: &str) -> Result<Favourite, FavouriteError> {
        let all = self.read()?;
        find(&all, name)
            .map(|i| all[i].clone())
            .ok_or_else(|| not_found(name, &all))
    }

    /// Adds `fav` at the end; [`FavouriteError::Duplicate`] when the name is taken.
    pub fn add(&self, fav: Favourite) -> Result<(), FavouriteError> {
        fav.check()?;
        self.update(|all| {
            if find(all, &fav.name).is_some() {
                return Err(FavouriteError::Duplicate(fav.name));
            }
            all.push(fav);
            Ok(())
        })
    }

    /// Replaces the favourite of the same name (its profile, target, container, command),
    /// keeping its place; returns the old one.
    pub fn replace(&self, fav: Favourite) -> Result<Favourite, FavouriteError> {
        fav.check()?;
        self.update(|all| match find(all, &fav.name) {
            Some(i) => Ok(std::mem::replace(&mut all[i], fav)),
            None => Err(not_found(&fav.name, all)),
        })
    }

    /// Renames `old` to `new`, keeping its place.
    pub fn rename(&self, old: &str, new: &str) -> Result<(), FavouriteError> {
        self.update(|all| {
            let i = find(all, old).ok_or_else(|| not_found(old, all))?;
            if old == new {
                return Ok(());
            }
            if find(all, new).is_some() {
                return Err(FavouriteError::Duplicate(new.to_string()));
            }
            all[i].name = new.to_string();
            all[i].check()
        })
    }

    /// Removes the favourite called `name` and returns it.
    pub fn remove(&self, name: &str) -> Result<Favourite, FavouriteError> {
        self.update(|all| {
            let i = find(all, name).ok_or_else(|| not_found(name, all))?;
            Ok(all.remove(i))
        })
    }

    /// Moves `name` to position `index` (0 = first); an index past the end moves it last.
    pub fn move_to(&self, name: &str, index: usize) -> Result<(), FavouriteError> {
        self.update(|all| {
            let i = find(all, name).ok_or_else(|| not_found(name, all))?;
            let fav = all.remove(i);
            let at = index.min(all.len());
            all.insert(at, fav);
            Ok(())
        })
    }

    /// Puts the favourites in the order `names` gives, which must name each of them once
    /// (else [`FavouriteError::BadOrder`] says what is missing, unknown or repeated).
    pub fn set_order<S: AsRef<str>>(&self, names: &[S]) -> Result<(), FavouriteError> {
        self.update(|all| {
            let wanted: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
            let mut problems = Vec::new();
            let missing: Vec<&str> = all
                .iter()
                .map(|f| f.name.as_str())
                .filter(|n| !wanted.contains(n))
                .collect();
            if !missing.is_empty() {
                problems.push(format!("missing {}", missing.join(", ")));
            }
            let unknown: Vec<&str> = wanted
                .iter()
                .copied()
                .filter(|n| find(all, n).is_none())
                .collect();
            if !unknown.is_empty() {
                problems.push(format!("no favourite named {}", unknown.join(", ")));
            }
            let mut twice: Vec<&str> = wanted
                .iter()
                .enumerate()
                .filter(|(i, n)| wanted[..*i].contains(n))
                .map(|(_, n)| *n)
                .collect();
            twice.dedup();
            if !twice.is_empty() {
                problems.push(format!("named more than once: {}", twice.join(", ")));
            }
            if !problems.is_empty() {
                return Err(FavouriteError::BadOrder(problems.join("; ")));
            }
            let mut old = std::mem::take(all);
            for n in wanted {
                if let Some(i) = find(&old, n) {
                    all.push(old.remove(i));
                }
            }
            Ok(())
        })
    }

    /// Read-modify-write under the lock. The file is rewritten only when `f` succeeded and
    /// changed something; names stay unique.
    fn update<R>(
        &self,
        f: impl FnOnce(&mut Vec<Favourite>) -> Result<R, FavouriteError>,
    ) -> Result<R, FavouriteError> {
        self.file.update(|doc| {
            let before = doc.favourites.clone();
            let all = &mut doc.favourites;
            let out = f(all)?;
            if *all != before {
                for (i, fav) in all.iter().enumerate() {
                    fav.check()?;
                    if all[..i].iter().any(|other| other.name == fav.name) {
                        return Err(FavouriteError::Duplicate(fav.name.clone()));
                    }
                }
            }
            Ok(out)
        })
    }

    fn read(&self) -> Result<Vec<Favourite>, FavouriteError> {
        Ok(self.file.read()?.favourites)
    }
}

fn find(all: &[Favourite], name: &str) -> Option<usize> {
    all.iter().position(|f| f.name == name)
}

fn not_found(name: &str, all: &[Favourite]) -> FavouriteError {
    FavouriteError::NotFound {
        name: name.to_string(),
        known: all.iter().map(|f| f.name.clone()).collect(),
    }
}

/// Where a favourite leads now: the pod, the container and the command to run.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub namespace: String,
    /// The pod's name.
    pub pod_name: String,
    /// The container: the favourite's, else the pod's default.
    pub container: String,
    /// kubectl's `Defaulted container "a" out of: a, b` note, when the first of several
    /// containers was taken.
    pub note: Option<String>,
    /// The favourite's command, else the shell fallback.
    pub command: Vec<String>,
    /// The pod as the API server returned it.
    pub pod: Pod,
}

/// Finds the pod a favourite means at this moment: for a workload, the newest Ready pod that is
/// not terminating among those its `spec.selector` matches now (so a rollout moves the favourite
/// to the new pods); for a fixed pod, that pod. Completed pods are refused, and the container is
/// checked as kubectl checks `-c`. When no pod is Ready the error names each pod and why it is
/// not: `no Ready pod for deployment/web in namespace demo: web-abc (Pending:
/// ContainerCreating), web-def (terminating)`.
pub async fn resolve(client: &kube::Client, fav: &Favourite) -> Result<Resolved, FavouriteError> {
    let pod = pods::resolve(client, &fav.namespace, &fav.target.pod_target()).await?;
    pods::check_running(&pod)?;
    let (container, note) = pods::choose_container(&pod, fav.container.as_deref())?;
    Ok(Resolved {
        namespace: fav.namespace.clone(),
        pod_name: pod.metadata.name.clone().unwrap_or_default(),
        container,
        note,
        command: fav.command_or_shell(),
        pod,
    })
}

/// The target to favourite for the pod `pod_name`: its owning workload, so the favourite
/// survives rollouts (what a star on a pod saves). See [`target_for_pod`].
pub async fn favourite_for_pod(
    client: &kube::Client,
    namespace: &str,
    pod_name: &str,
) -> Result<Target, FavouriteError> {
    let pod = Api::<Pod>::namespaced(client.clone(), namespace)
        .get(pod_name)
        .await?;
    target_for_pod(client, namespace, &pod).await
}

/// The workload that owns `pod`, from its controller `ownerReference`: a ReplicaSet's own
/// Deployment owner when it has one (the ReplicaSet is read), else the ReplicaSet; a StatefulSet;
/// a DaemonSet. A pod with no such owner (a bare pod, or one owned by a Job, a node or a custom
/// controller podterm cannot follow) is favourited as itself.
pub async fn target_for_pod(
    client: &kube::Client,
    namespace: &str,
    pod: &Pod,
) -> Result<Target, FavouriteError> {
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let Some((kind, name)) = workload_owner(pod.metadata.owner_references.as_deref()) else {
        return Ok(Target::Pod(pod_name));
    };
    if kind != WorkloadKind::ReplicaSet {
        return Ok(Target::Workload { kind, name });
    }
    let rs = Api::<ReplicaSet>::namespaced(client.clone(), namespace)
        .get(&name)
        .await?;
    Ok(
        match workload_owner(rs.metadata.owner_references.as_deref()) {
            Some((WorkloadKind::Deployment, deployment)) => Target::Workload {
                kind: WorkloadKind::Deployment,
                name: deployment,
            },
            _ => Target::Workload { kind, name },
        },
    )
}

/// The `apps/*` workload among owner references: the controller if there is one, else the first
/// workload named.
fn workload_owner(refs: Option<&[OwnerReference]>) -> Option<(WorkloadKind, String)> {
    let refs = refs.unwrap_or_default();
    let workload = |r: &OwnerReference| {
        let group = r.api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
        (group == "apps")
            .then(|| WorkloadKind::from_kind(&r.kind))
            .flatten()
            .map(|k| (k, r.name.clone()))
    };
    match refs.iter().find(|r| r.controller == Some(true)) {
        Some(controller) => workload(controller),
        None => refs.iter().find_map(workload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(
        api_version: &str,
        kind: &str,
        name: &str,
        controller: Option<bool>,
    ) -> OwnerReference {
        OwnerReference {
            api_version: api_version.into(),
            kind: kind.into(),
            name: name.into(),
            uid: "u".into(),
            controller,
            block_owner_deletion: None,
        }
    }

    #[test]
    fn owners_are_apps_workloads_controller_first() {
        assert_eq!(workload_owner(None), None);
        assert_eq!(
            workload_owner(Some(&[owner("apps/v1", "StatefulSet", "db", Some(true))])),
            Some((WorkloadKind::StatefulSet, "db".into()))
        );
        assert_eq!(
            workload_owner(Some(&[owner("batch/v1", "Job", "j", Some(true))])),
            None,
            "a Job's pod is favourited as itself"
        );
        assert_eq!(
            workload_owner(Some(&[owner("v1", "Node", "n1", Some(true))])),
            None
        );
        assert_eq!(
            workload_owner(Some(&[owner(
                "example.com/v1",
                "ReplicaSet",
                "x",
                Some(true)
            )])),
            None,
            "a look-alike kind of another group"
        );
        assert_eq!(
            workload_owner(Some(&[
                owner("apps/v1", "DaemonSet", "not-controller", None),
                owner("apps/v1", "ReplicaSet", "rs", Some(true)),
            ])),
            Some((WorkloadKind::ReplicaSet, "rs".into()))
        );
        assert_eq!(
            workload_owner(Some(&[
                owner("example.com/v1", "Thing", "t", None),
                owner("apps/v1", "DaemonSet", "agent", None),
            ])),
            Some((WorkloadKind::DaemonSet, "agent".into()))
        );
    }

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
        assert!(Target::parse("svc/web").is_err());
        assert!(Target::parse("").is_err());
        let err = serde_json::from_str::<Target>(r#"{"kind":"job","name":"x"}"#)
            .expect_err("unknown kind");
        assert!(err.to_string().contains("unknown target kind"), "{err}");
    }

    #[test]
    fn not_found_lists_the_names() {
        assert_eq!(
            not_found("x", &[]).to_string(),
            "no favourite named \"x\"; there are no favourites yet"
        );
        let all = vec![
            Favourite::new("a", "p", "ns", Target::Pod("p".into())),
            Favourite::new("b", "p", "ns", Target::Pod("p".into())),
        ];
        assert_eq!(
            not_found("x", &all).to_string(),
            "no favourite named \"x\"; the favourites are: a, b"
        );
    }
}
