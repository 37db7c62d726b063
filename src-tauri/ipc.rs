//! The payloads that cross between the webview and Rust (camelCase JSON), and the mapping from
//! the engine's types and outcomes to them. Their TypeScript twins are generated from these
//! types (ts-rs, see the `typescript` tests) into `ui/src/ipc/generated/`.
//!
//! Secrets never appear here: a profile crosses as name, server and auth *kind*.

use podterm_core::browse::{self, ChangeKind, PodChange};
use podterm_core::exec::ExecError;
use podterm_core::favourites::{Favourite, Target};
use podterm_core::profiles::{Auth, Ca, Profile};
use podterm_core::protocol::Outcome;
use serde::{Deserialize, Serialize};

/// A profile as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    pub name: String,
    /// The API server URL.
    pub server: String,
    /// `token`, `client certificate`, `exec plugin`, `OIDC`, ... (never the credential).
    pub auth_kind: String,
    /// TLS certificates are not verified: show a warning.
    pub insecure: bool,
    /// The profile's default namespace, if it has one.
    pub namespace: Option<String>,
}

impl From<&Profile> for ProfileSummary {
    fn from(p: &Profile) -> Self {
        ProfileSummary {
            name: p.name.clone(),
            server: p.server.clone(),
            auth_kind: p.auth.kind_name().to_string(),
            insecure: p.insecure,
            namespace: p.namespace.clone(),
        }
    }
}

/// A profile's settings for the edit form: never a secret, only whether a token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProfileDetails {
    pub name: String,
    pub server: String,
    pub namespace: Option<String>,
    /// The CA certificate when the profile holds it as PEM (not a file reference).
    pub ca_pem: Option<String>,
    pub insecure: bool,
    pub auth_kind: String,
    /// The profile authenticates with a stored bearer token.
    pub has_token: bool,
}

impl From<&Profile> for ProfileDetails {
    fn from(p: &Profile) -> Self {
        ProfileDetails {
            name: p.name.clone(),
            server: p.server.clone(),
            namespace: p.namespace.clone(),
            ca_pem: match &p.ca {
                Some(Ca::Pem(pem)) => Some(pem.clone()),
                _ => None,
            },
            insecure: p.insecure,
            auth_kind: p.auth.kind_name().to_string(),
            has_token: matches!(p.auth, Auth::Token { .. }),
        }
    }
}

/// A profile typed by hand (`save_profile`). The token goes to the keyring and never back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS, Serialize))]
#[serde(rename_all = "camelCase")]
pub struct ProfileInput {
    /// The profile being edited (it may be renamed); `null`: a new one.
    pub original: Option<String>,
    pub name: String,
    /// `https://host:port`.
    pub server: String,
    pub namespace: Option<String>,
    pub ca_pem: Option<String>,
    pub insecure: bool,
    /// `null`: keep the stored token (editing), or none (new).
    pub token: Option<String>,
}

/// A pod as the pod list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PodSummary {
    pub name: String,
    pub namespace: String,
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    pub phase: String,
    /// Ready containers out of all: `"1/1"`.
    pub ready: String,
    pub restarts: u32,
    /// RFC 3339; empty when the server gave none.
    pub created_at: String,
    pub containers: Vec<String>,
    /// The container to preselect (annotation `kubectl.kubernetes.io/default-container`, else
    /// the first); empty for a pod without containers.
    pub default_container: String,
    /// Deletion has begun.
    pub terminating: bool,
}

impl From<browse::PodSummary> for PodSummary {
    fn from(s: browse::PodSummary) -> Self {
        PodSummary {
            name: s.name,
            namespace: s.namespace,
            phase: s.phase,
            ready: s.ready,
            restarts: s.restarts,
            created_at: s.created_at,
            containers: s.containers,
            default_container: s.default_container,
            terminating: s.terminating,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum PodEventType {
    Added,
    Modified,
    Deleted,
}

/// One change to a watched pod list (sent on `watch_pods`' channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PodEvent {
    #[serde(rename = "type")]
    pub kind: PodEventType,
    pub pod: PodSummary,
}

impl From<PodChange> for PodEvent {
    fn from(c: PodChange) -> Self {
        PodEvent {
            kind: match c.kind {
                ChangeKind::Added => PodEventType::Added,
                ChangeKind::Modified => PodEventType::Modified,
                ChangeKind::Deleted => PodEventType::Deleted,
            },
            pod: c.pod.into(),
        }
    }
}

/// Whether a pod list is live (sent on `watch_pods`' status channel): `broken` when its watch
/// broke (the list may be stale; it retries by itself), `live` once it is back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum WatchStatus {
    Broken { reason: String },
    Live,
}

/// A favourite as the sidebar and the tray list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FavouriteSummary {
    pub name: String,
    pub profile: String,
    pub namespace: String,
    /// `deployment`, `statefulset`, `daemonset`, `replicaset` or `pod`.
    pub kind: String,
    /// The workload's (or the fixed pod's) name.
    pub target: String,
    /// `null`: the pod's default container.
    pub container: Option<String>,
    /// Empty: the shell fallback.
    pub command: Vec<String>,
}

impl From<&Favourite> for FavouriteSummary {
    fn from(f: &Favourite) -> Self {
        let kind = match &f.target {
            Target::Workload { kind, .. } => kind.as_str(),
            Target::Pod(_) => "pod",
        };
        FavouriteSummary {
            name: f.name.clone(),
            profile: f.profile.clone(),
            namespace: f.namespace.clone(),
            kind: kind.to_string(),
            target: f.target.name().to_string(),
            container: f.container.clone(),
            command: f.command.clone(),
        }
    }
}

/// Where a favourite leads now (`resolve_favourite`): open it with `open_session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ResolvedFavourite {
    /// The favourite's name.
    pub name: String,
    pub profile: String,
    pub namespace: String,
    /// The newest Ready pod of the workload at this moment (or the fixed pod).
    pub pod: String,
    pub container: String,
    /// `null`: the shell fallback.
    pub command: Option<Vec<String>>,
}

/// Something asked from outside the window (the tray, a second launch with `--connect`, a
/// `podterm://connect/NAME` link), sent on `watch_requests`' channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AppRequest {
    /// Open a tab connected to this favourite.
    OpenFavourite { name: String },
    /// The favourites changed (re-read the list).
    FavouritesChanged,
}

/// What `open_session` is asked to open: a TTY exec session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS, Serialize))]
#[serde(rename_all = "camelCase")]
pub struct OpenSessionRequest {
    /// A profile name (as `list_profiles` gives it).
    pub profile: String,
    /// Empty: the profile's default namespace.
    pub namespace: String,
    pub pod: String,
    /// Empty: the pod's default container, as kubectl picks it.
    pub container: String,
    /// `null`: the shell fallback (`bash` if the container has it, else `sh`).
    pub command: Option<Vec<String>>,
    pub cols: u16,
    pub rows: u16,
}

/// A session's state (sent on `open_session`'s state channel): `connecting`, then `connected`,
/// then `exited` (the command's exit code; 137 when the pod was deleted) or `lost` (no exit
/// code: refused at open, connection broken or dead, stream ended without a status; `reason`
/// says why in words the user can act on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum SessionState {
    Connecting,
    Connected,
    Exited { code: i32 },
    Lost { reason: String },
}

impl SessionState {
    /// The state a session ends in, from the engine's result.
    pub fn ended(result: Result<Outcome, ExecError>) -> Self {
        match result {
            Ok(Outcome::Success) => SessionState::Exited { code: 0 },
            Ok(Outcome::Exit(code)) => SessionState::Exited { code },
            // The command did not run (or the server gave up on it): its words.
            Ok(Outcome::Failure { reason, message }) => SessionState::Lost {
                reason: if message.is_empty() {
                    format!("the command failed ({reason})")
                } else {
                    message
                },
            },
            Err(e) => SessionState::Lost {
                reason: e.to_string(),
            },
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(
            self,
            SessionState::Exited { .. } | SessionState::Lost { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_summary_from_pod_json_is_camel_case() {
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(json!({
            "metadata": {
                "name": "web-6b7f9c8d5-h2x4k", "namespace": "demo",
                "creationTimestamp": "2026-01-02T03:04:05Z",
            },
            "spec": { "containers": [{ "name": "web" }] },
            "status": { "phase": "Running", "containerStatuses": [
                { "name": "web", "ready": true, "restartCount": 4, "image": "i", "imageID": "" }
            ] },
        }))
        .expect("pod");
        let event = PodEvent::from(PodChange {
            kind: ChangeKind::Added,
            pod: browse::PodSummary::from_pod(&pod),
        });
        assert_eq!(
            serde_json::to_value(&event).expect("json"),
            json!({
                "type": "Added",
                "pod": {
                    "name": "web-6b7f9c8d5-h2x4k",
                    "namespace": "demo",
                    "phase": "Running",
                    "ready": "1/1",
                    "restarts": 4,
                    "createdAt": "2026-01-02T03:04:05Z",
                    "containers": ["web"],
                    "defaultContainer": "web",
                    "terminating": false,
                }
            })
        );
    }

    #[test]
    fn session_states_as_json() {
        let j = |s: SessionState| serde_json::to_value(s).expect("json");
        assert_eq!(j(SessionState::Connecting), json!({"state": "connecting"}));
        assert_eq!(j(SessionState::Connected), json!({"state": "connected"}));
        assert_eq!(
            j(SessionState::Exited { code: 3 }),
            json!({"state": "exited", "code": 3})
        );
        assert_eq!(
            j(SessionState::Lost { reason: "x".into() }),
            json!({"state": "lost", "reason": "x"})
        );
    }

    #[test]
    fn engine_outcomes_map_to_states() {
        use SessionState::*;
        assert_eq!(
            SessionState::ended(Ok(Outcome::Success)),
            Exited { code: 0 }
        );
        assert_eq!(
            SessionState::ended(Ok(Outcome::Exit(3))),
            Exited { code: 3 }
        );
        // The pod was deleted: the kubelet's status says 137.
        assert_eq!(
            SessionState::ended(Ok(Outcome::Exit(137))),
            Exited { code: 137 }
        );
        assert_eq!(
            SessionState::ended(Ok(Outcome::Failure {
                reason: "InternalError".into(),
                message: "exec: \"bash\": executable file not found in $PATH".into(),
            })),
            Lost {
                reason: "exec: \"bash\": executable file not found in $PATH".into()
            }
        );
        assert_eq!(
            SessionState::ended(Err(ExecError::NoStatus)),
            Lost {
                reason:
                    "the connection ended before the command's status: output may be incomplete"
                        .into()
            }
        );
        let Lost { reason } = SessionState::ended(Err(ExecError::Deadline(30))) else {
            panic!("a dead link is lost");
        };
        assert!(
            reason.starts_with("no data from the API server for 30 s"),
            "{reason}"
        );
        let forbidden = ExecError::Api(podterm_core::cluster::ApiError::Refused {
            code: 403,
            reason: "Forbidden".into(),
            message: "pods \"shell\" is forbidden: User \"viewer\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"demo\"".into(),
        });
        assert_eq!(
            SessionState::ended(Err(forbidden)),
            Lost {
                reason: "Error from server (Forbidden): pods \"shell\" is forbidden: User \"viewer\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"demo\"".into()
            }
        );
        assert!(!Connected.is_final() && Exited { code: 0 }.is_final());
    }

    #[test]
    fn open_session_request_from_the_ui() {
        let r: OpenSessionRequest = serde_json::from_value(json!({
            "profile": "Demo cluster", "namespace": "demo", "pod": "shell",
            "container": "main", "command": null, "cols": 120, "rows": 40,
        }))
        .expect("request");
        assert_eq!(r.command, None);
        assert_eq!((r.cols, r.rows), (120, 40));
    }

    #[test]
    fn profile_summary_carries_no_secret() {
        use podterm_core::profiles::Auth;
        let mut p = Profile::new(
            "prod",
            "https://k8s.example:6443",
            Auth::Token {
                secret: "token".into(),
            },
        );
        p.namespace = Some("apps".into());
        assert_eq!(
            serde_json::to_value(ProfileSummary::from(&p)).expect("json"),
            json!({
                "name": "prod", "server": "https://k8s.example:6443", "authKind": "token",
                "insecure": false, "namespace": "apps",
            })
        );
    }
}
