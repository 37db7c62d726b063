//! The payloads that cross between the webview and Rust (camelCase JSON), and the mapping from
//! the engine's types and outcomes to them. Their TypeScript twins are generated from these
//! types (ts-rs, see the `typescript` tests) into `ui/src/ipc/generated/`.
//!
//! Secrets never appear here: a profile crosses as name, server and auth *kind*.

pub use podterm_core::browse::{ChangeKind, DeclaredPort, PodChange, PodOwner, PodSummary};
pub use podterm_core::debug::DebugPlan;
use podterm_core::favourites::{Favourite, Target};
pub use podterm_core::logview::LogsRequest;
pub use podterm_core::madecopies::MadeCopy;
pub use podterm_core::manual::ManualProfile;
pub use podterm_core::podcopy::{CopyPlan, Deleted};
pub use podterm_core::podinfo::{ContainerInfo, PodCondition, PodDetails, PodEvent};
pub use podterm_core::profiles::ProfileColour;
use podterm_core::profiles::{Auth, Ca, CertSource, KeySource, Profile};
use podterm_core::protocol::Outcome;
pub use podterm_core::recent::RecentSession;
pub use podterm_core::services::{ServiceList, ServicePortSummary, ServiceSummary};
pub use podterm_core::terminal::{CopyRequest, DebugRequest, TerminalRequest};
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
    /// The colour chosen for its tabs; `None`: one derived from the name.
    pub colour: Option<ProfileColour>,
    /// A production cluster: its tabs and panes are marked.
    pub production: bool,
    /// Tabs reconnect on their own when their session is lost (the profile's setting).
    pub reconnect: bool,
    /// Every session of this profile is recorded (its tabs show the marker from the start).
    pub record_sessions: bool,
    /// The user it acts as (impersonation), shown beside its credentials; `None`: itself.
    pub acts_as: Option<String>,
}

impl From<&Profile> for ProfileSummary {
    fn from(p: &Profile) -> Self {
        ProfileSummary {
            name: p.name.clone(),
            server: p.server.clone(),
            auth_kind: p.auth.kind_name().to_string(),
            insecure: p.insecure,
            namespace: p.namespace.clone(),
            colour: p.colour,
            production: p.production,
            reconnect: p.reconnect,
            record_sessions: p.record_sessions,
            acts_as: p
                .impersonate
                .as_ref()
                .map(|i| podterm_core::text::shown(&i.user)),
        }
    }
}

/// The app settings the UI uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// Lines of scrollback each terminal tab keeps.
    pub scrollback_lines: u32,
    /// The image of the debug containers the app adds to pods (a container without a shell).
    pub debug_image: String,
    /// Reopen the last run's tabs at start.
    pub restore_tabs: bool,
    /// Lines each Logs view keeps (the oldest go first).
    pub log_lines: u32,
    /// A tray icon is shown (its menu: favourites, recent sessions, quick open).
    pub tray: bool,
    /// Where the launcher entry with one action per favourite was written, if it was
    /// (quick-connect from the desktop's launcher, with or without a tray).
    pub launcher_entry: Option<String>,
    /// The global shortcut brings Podterm forward with quick open (off by default).
    pub global_shortcut: bool,
    /// Its keys (`Ctrl+Alt+K`).
    pub global_shortcut_keys: String,
    /// Why the shortcut, on, could not be taken at start (another application holds its
    /// keys); none once the setting is changed.
    pub global_shortcut_error: Option<String>,
    /// New terminal sessions draw every byte of a flood (off: what a tab cannot show is
    /// skipped while it is behind; its screen and scrollback end the same).
    pub draw_every_byte: bool,
}

pub use podterm_core::opentabs::{RestoredTab, RestoredTabs, SavedTab, SavedTabs, TabView};

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
    /// The CA certificate's file when the profile refers to one (an imported
    /// `certificate-authority`); the form sends it back to keep it.
    pub ca_file: Option<String>,
    pub insecure: bool,
    pub auth_kind: String,
    /// The profile authenticates with a stored bearer token.
    pub has_token: bool,
    /// The keepalive interval in seconds; `None`: the default.
    pub keepalive_secs: Option<u32>,
    /// The dead-link deadline in seconds; `None`: the default.
    pub dead_link_secs: Option<u32>,
    pub colour: Option<ProfileColour>,
    pub production: bool,
    /// A client certificate profile's certificate: its PEM, or its file's path (public).
    pub client_cert: Option<String>,
    /// The client key is in the keyring (never sent: the form says "stored").
    pub has_client_key: bool,
    /// The client key's file, when the profile refers to one.
    pub client_key_file: Option<String>,
    /// An exec plugin's command and arguments, secret parts as `***` (read-only in the form).
    pub exec_command: Option<String>,
    /// An OIDC profile's issuer and client id (read-only in the form).
    pub oidc: Option<String>,
    /// Reconnect a lost session automatically.
    pub reconnect: bool,
    /// Record every session of the profile.
    pub record_sessions: bool,
    /// The recordings' folder; `None`: the app's recordings folder.
    pub record_folder: Option<String>,
    /// The recordings hold what is typed too.
    pub record_input: bool,
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
            ca_file: match &p.ca {
                Some(Ca::File(f)) => Some(f.to_string_lossy().into_owned()),
                _ => None,
            },
            insecure: p.insecure,
            auth_kind: p.auth.kind_name().to_string(),
            has_token: matches!(p.auth, Auth::Token { .. }),
            keepalive_secs: p.keepalive_secs,
            dead_link_secs: p.dead_link_secs,
            colour: p.colour,
            production: p.production,
            client_cert: match &p.auth {
                Auth::ClientCertificate { cert, .. } => Some(match cert {
                    CertSource::Pem(pem) => pem.clone(),
                    CertSource::File(f) => f.to_string_lossy().into_owned(),
                }),
                _ => None,
            },
            has_client_key: matches!(
                p.auth,
                Auth::ClientCertificate {
                    key: KeySource::Vault { .. },
                    ..
                }
            ),
            client_key_file: match &p.auth {
                Auth::ClientCertificate {
                    key: KeySource::File(f),
                    ..
                } => Some(f.to_string_lossy().into_owned()),
                _ => None,
            },
            exec_command: match &p.auth {
                Auth::ExecPlugin { command, args, .. } => Some(
                    std::iter::once(command.clone())
                        .chain(args.iter().map(|a| podterm_core::profiles::mask_arg(a)))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                _ => None,
            },
            oidc: match &p.auth {
                Auth::Oidc { config, .. } => Some(
                    ["idp-issuer-url", "client-id"]
                        .iter()
                        .filter_map(|k| config.get(*k).map(|v| format!("{k}: {v}")))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                _ => None,
            },
            reconnect: p.reconnect,
            record_sessions: p.record_sessions,
            record_folder: p
                .record_folder
                .as_ref()
                .map(|f| f.to_string_lossy().into_owned()),
            record_input: p.record_input,
        }
    }
}

/// Whether a pod list is live (sent on `watch_pods`' status channel): `broken` when its watch
/// broke (the list may be stale; it retries by itself), `live` once it is back; `capped` (once)
/// when it holds `limit` pods and leaves out the ones that come after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum WatchStatus {
    Broken {
        reason: String,
    },
    Live,
    /// The list holds `limit` pods and leaves out the ones that come after.
    Capped {
        limit: u32,
    },
}

/// A favourite as the sidebar and the tray list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FavouriteSummary {
    pub name: String,
    pub profile: String,
    pub namespace: String,
    /// `deployment`, `statefulset`, `daemonset`, `replicaset`, `service`, `job` or `pod`.
    pub kind: String,
    /// The workload's (or the fixed pod's) name.
    pub target: String,
    /// `null`: the pod's default container.
    pub container: Option<String>,
    /// Empty: the shell fallback.
    pub command: Vec<String>,
    /// Opened in a debug container beside the container (its image has no shell).
    pub debug: bool,
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
            debug: f.debug,
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
    /// The newest Ready pod of the workload at this moment (or the fixed pod); with none Ready,
    /// the newest whose containers all run (`unready` says so).
    pub pod: String,
    pub container: String,
    /// `null`: the shell fallback.
    pub command: Option<Vec<String>>,
    /// Open it in a debug container beside `container` (with the debug image setting).
    pub debug: bool,
    /// No pod of the workload was Ready, so `pod` runs but is not Ready: the note to show
    /// (escaped), `No Ready pod for deployment/web; using web-abc (not Ready: …)`.
    pub unready: Option<String>,
}

/// Something asked from outside the window (the tray, a second launch with `--connect`, a
/// `podterm://connect/NAME` link), sent on `watch_requests`' channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AppRequest {
    /// Open a tab connected to this favourite.
    OpenFavourite { name: String },
    /// Open a tab in this place again (the tray's "Recent").
    OpenSession { target: RecentSession },
    /// Show the quick-open box, focused (the tray's "Quick open…").
    QuickOpen,
    /// The favourites changed (re-read the list).
    FavouritesChanged,
    /// The window's close button was pressed while `sessions` exec sessions are open or
    /// `transfers` file copies run (and the window does not just hide to the tray): ask the
    /// user, then call `close_window` to close. With `quit`, the tray's Quit asked (the window
    /// is shown for the question): call `quit_app` instead.
    ConfirmClose {
        sessions: u32,
        transfers: u32,
        quit: bool,
    },
    /// Files or folders were dropped on the window (the native drop: absolute local paths),
    /// at `x`, `y` in CSS pixels of the page: the UI uploads them into the tab there.
    FilesDropped { paths: Vec<String>, x: i32, y: i32 },
}

/// What `open_session` is asked to open: a TTY exec session with a profile's client.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS, Serialize))]
#[serde(rename_all = "camelCase")]
pub struct OpenSessionRequest {
    /// A profile name (as `list_profiles` gives it).
    pub profile: String,
    /// Where and what: namespace, pod, container, command, size.
    #[serde(flatten)]
    #[cfg_attr(test, ts(flatten))]
    pub terminal: TerminalRequest,
    /// The page socket (`page_socket`'s address) for this session's output, opened by the
    /// page before or while the session opens (what comes first waits for the connection);
    /// without one, output comes on the `Channel`.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub socket: Option<String>,
}

/// A session's state (sent on `open_session`'s state channel): `connecting`, then `connected`,
/// then `exited` (the command's exit code; 137 when the pod was deleted) or `lost` (no exit
/// code: refused at open, connection broken or dead, stream ended without a status; `reason`
/// says why in words the user can act on). A final state counts the output bytes sent before
/// it (`outputBytes`): the UI shows it once its terminal has written that many, so the state
/// never overtakes the last output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum SessionState {
    Connecting,
    Connected,
    Exited {
        code: i32,
        #[serde(rename = "outputBytes")]
        #[cfg_attr(test, ts(type = "number"))]
        output_bytes: u64,
    },
    Lost {
        reason: String,
        #[serde(rename = "outputBytes")]
        #[cfg_attr(test, ts(type = "number"))]
        output_bytes: u64,
        /// Set when the session could not start because this container (its name) crashes as
        /// it starts, has ended for good beside a sidecar, or its pod has completed: a copy of
        /// the pod can be debugged instead (`plan_copy`).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        crashing: Option<String>,
        /// The container runtime could not find the command's program (`exec: "sh":
        /// executable file not found`): in the command's own status, never a connection's or a
        /// local file's error, whose words may read alike. A tab of the shell fallback then
        /// says the container has no shell.
        #[serde(
            rename = "noExecutable",
            default,
            skip_serializing_if = "std::ops::Not::not"
        )]
        #[cfg_attr(test, ts(as = "Option<bool>", optional))]
        no_executable: bool,
    },
    /// The session is being recorded into `file` (its name, escaped; `path` whole, escaped, for
    /// a tooltip). A profile that records every session sends it before `connected`.
    Recording {
        file: String,
        path: String,
    },
    /// The recording into `file` ended: asked (`reason` null) or on its own (a full disk, a
    /// write error: `reason` says; the session goes on).
    RecordingStopped {
        file: String,
        reason: Option<String>,
    },
    /// The API server warned while the session was opened (a debug container, a pod copy or a
    /// node's pod that Pod Security in warn mode would refuse; an admission webhook): its text,
    /// escaped and cut, each once. Sent as it comes, before the session's first output (and
    /// before `lost` when it never connects); the tab writes it under the session's marker, as
    /// kubectl prints `Warning: TEXT`.
    Warning {
        text: String,
    },
}

impl SessionState {
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            SessionState::Exited { .. } | SessionState::Lost { .. }
        )
    }
}

/// What `open_logs` is asked to show: a container's log with a profile's client.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS, Serialize))]
#[serde(rename_all = "camelCase")]
pub struct OpenLogsRequest {
    /// A profile name (as `list_profiles` gives it).
    pub profile: String,
    /// Namespace, pod, container, previous run, tail.
    #[serde(flatten)]
    #[cfg_attr(test, ts(flatten))]
    pub logs: LogsRequest,
}

/// A Logs view's stream (sent on `open_logs`'s state channel): `streaming` (with the container
/// read; `resuming` while a follow that broke waits for the API server, then `streaming`
/// again), then `ended` (the container stopped, or the previous run was read whole) or `failed`
/// (`reason` in words the user can act on). A final state counts the output bytes sent before
/// it, so the UI shows it after the last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum LogsState {
    Streaming {
        container: String,
    },
    /// The follow broke and the API server does not answer yet: it is tried again for about a
    /// minute (`streaming` again once it is back, else `failed`). `reason`: why, escaped.
    Resuming {
        reason: String,
    },
    Ended {
        #[serde(rename = "outputBytes")]
        #[cfg_attr(test, ts(type = "number"))]
        output_bytes: u64,
    },
    Failed {
        reason: String,
        #[serde(rename = "outputBytes")]
        #[cfg_attr(test, ts(type = "number"))]
        output_bytes: u64,
    },
}

/// Where a transfer goes to or comes from: a tab's pod and container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TransferTarget {
    /// A profile name (as `list_profiles` gives it).
    pub profile: String,
    /// Empty: the profile's namespace.
    pub namespace: String,
    pub pod: String,
    /// Empty: the pod's default container.
    pub container: String,
    /// A debug tab's image (`null`: not a debug tab). When the container has nothing to copy
    /// a single file with (no tar, cat, dd or base64: distroless), the copy goes through our
    /// debug container of this image beside it, the tab's own (one is added, and stays in the
    /// pod, only when none of ours runs any more). Without it such a copy is refused in words.
    #[serde(default)]
    pub debug_image: Option<String>,
}

impl TransferTarget {
    /// What the engine may fall back to for this tab.
    pub fn fallback(&self) -> podterm_core::transfer::Fallback {
        podterm_core::transfer::Fallback {
            debug_image: self
                .debug_image
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(String::from),
        }
    }
}

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum TransferDirection {
    /// Local files into the container.
    Upload,
    /// A path of the container into a local folder.
    Download,
}

/// Where a transfer is: `running`, then `done`, `failed` (`reason` in words to act on) or
/// `cancelled` (no partial file was left under its final name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum TransferState {
    Running,
    Done,
    Failed { reason: String },
    Cancelled,
}

impl TransferState {
    pub fn is_final(&self) -> bool {
        !matches!(self, TransferState::Running)
    }
}

/// A port to forward to a pod (the pod menu's "Forward a port…"), or through a Service (as
/// `kubectl port-forward svc/NAME`: "Forward a Service's port…").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ForwardRequest {
    pub profile: String,
    /// Empty: the profile's namespace.
    pub namespace: String,
    /// The pod; for a forward through a Service, empty: the pod its selector finds (its newest
    /// Ready one).
    pub pod: String,
    /// The port in the pod: a number, or the name a container declares for one (`http`); for
    /// a forward through a Service, the Service's port (its number or name).
    pub remote: String,
    /// The local port; `None`: the pod's port number (the Service's, through one) when it is
    /// free here, else any free one.
    pub local: Option<u16>,
    /// The Service the forward goes through (its name); `None`: to the pod.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub service: Option<String>,
}

/// The Service a forward goes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ForwardService {
    /// Its name, escaped.
    pub name: String,
    /// The Service's port the forward asked for (0: not known, for one that could not start);
    /// `ForwardInfo::remote` is the pod's port it targets.
    pub port: u16,
}

/// Where a forward is: `listening` until stopped, or `ended` (`reason`: its pod was deleted or
/// stopped running, so nothing more can reach it). `starting`: one of the last run's forwards
/// not listening yet, waiting for a Ready pod of its workload or Service (`note` says which);
/// it becomes `listening` (the same id) or `ended`, and Remove forgets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ForwardState {
    Starting,
    Listening,
    Ended { reason: String },
}

/// A port forward as the UI lists it (sent again on `watch_forwards` as connections open and
/// end, and when it ends). It listens on this machine's loopback only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ForwardInfo {
    pub id: u32,
    pub profile: String,
    pub namespace: String,
    pub pod: String,
    /// The pod's port (0: not known, for a forward by name that could not start).
    pub remote: u16,
    /// The name it was asked by (`http`), escaped; `None` when asked by number.
    pub port_name: Option<String>,
    /// The local port on 127.0.0.1.
    pub local: u16,
    /// What a browser opens for it (`https://` when the port says TLS).
    pub url: String,
    /// Connections carried so far, and of them still open.
    pub connections: u32,
    pub open: u32,
    pub state: ForwardState,
    /// The last connection's failure in words (nothing listens on the port in the pod, say),
    /// escaped; `None` once a later one went through.
    pub error: Option<String>,
    /// The workload whose pods the forward follows (`deployment/web`): when its pod goes, the
    /// workload's next Ready pod takes the connections. `None`: the pod alone (nothing owns it).
    pub workload: Option<String>,
    /// The forward's last move, in words (escaped): waiting for the workload's next pod, or the
    /// pod it moved to and why.
    pub note: Option<String>,
    /// Counts this forward's changes: the page keeps the state with the highest (the start's
    /// answer, the list and the events may reach it in any order).
    pub revision: u32,
    /// Ended because it could not start again at this run's start: it may be tried again
    /// (`start_forward_again`).
    pub restartable: bool,
    /// Its pod went and it waits for the next one (`note` says why): `pod` is the one gone.
    pub waiting: bool,
    /// The Service it goes through (`workload` is then `service/NAME`: its pods are the ones
    /// followed); `None`: a forward to a pod.
    pub service: Option<ForwardService>,
}

/// A transfer as the UI lists it (sent again on `watch_transfers` at most a few times a second
/// while it runs, and once when it ends). Bytes are the tar stream's, as `kubectl cp` moves them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TransferInfo {
    pub id: u32,
    pub direction: TransferDirection,
    /// The file or folder's name (escaped).
    pub name: String,
    pub target: TransferTarget,
    /// The container's side: the destination directory of an upload, the source of a download.
    pub pod_path: String,
    /// This machine's side: the source of an upload, the file or folder a download makes.
    pub local_path: String,
    /// Bytes moved so far.
    #[cfg_attr(test, ts(type = "number"))]
    pub bytes: u64,
    /// Bytes expected (0: unknown).
    #[cfg_attr(test, ts(type = "number"))]
    pub total: u64,
    /// Bytes a second lately (the average over the whole once it ended).
    #[cfg_attr(test, ts(type = "number"))]
    pub rate: u64,
    pub state: TransferState,
    /// What happened on the way ("Resuming copy at N bytes"), escaped.
    pub notes: Vec<String>,
}

/// How a session ended, before its output is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The command's status arrived.
    Finished(Outcome),
    /// No exit code: why, in words the user can act on.
    Lost(String),
    /// It could not start because `container` crashes as it starts, has ended for good, or its
    /// pod has completed (a copy of it runs again): why, in words.
    Crashing { reason: String, container: String },
}

impl SessionEnd {
    /// The final state, after `output_bytes` bytes of output. A `lost` reason leaves escaped
    /// and capped ([`podterm_core::text::message`]): it is often the server's own words.
    pub fn into_state(self, output_bytes: u64) -> SessionState {
        match self {
            SessionEnd::Finished(Outcome::Success) => SessionState::Exited {
                code: 0,
                output_bytes,
            },
            SessionEnd::Finished(Outcome::Exit(code)) => {
                SessionState::Exited { code, output_bytes }
            }
            // The command did not run (or the server gave up on it): its words.
            SessionEnd::Finished(Outcome::Failure { reason, message }) => SessionState::Lost {
                no_executable: podterm_core::pods::no_shell(&message),
                reason: podterm_core::text::message(&if message.is_empty() {
                    format!("the command failed ({reason})")
                } else {
                    message
                }),
                output_bytes,
                crashing: None,
            },
            SessionEnd::Lost(reason) => SessionState::Lost {
                reason: podterm_core::text::message(&reason),
                output_bytes,
                crashing: None,
                no_executable: false,
            },
            SessionEnd::Crashing { reason, container } => SessionState::Lost {
                reason: podterm_core::text::message(&reason),
                output_bytes,
                // Escaped by the engine (`StartError::Crashing`).
                crashing: Some(container),
                no_executable: false,
            },
        }
    }
}

/// A recording in the recordings folders, as the Recordings view lists it. Every text is
/// escaped and cut (a file name or a header's title is outside text).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RecordingEntry {
    /// What `read_recording` and `delete_recording` take: never a path.
    pub id: String,
    /// The file's name.
    pub name: String,
    /// The folder it is in.
    pub folder: String,
    #[cfg_attr(test, ts(type = "number"))]
    pub bytes: u64,
    /// Seconds from the first to the last event; `null` when not read (a very large file, or
    /// one that is not a recording).
    pub duration: Option<f64>,
    /// When it started (Unix seconds, from its header; else the file's time).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub started: Option<i64>,
    /// The header's title (`cluster: namespace/pod/container` for the app's own).
    pub title: Option<String>,
    /// Why it cannot be played, when it cannot.
    pub problem: Option<String>,
}

/// One event of a recording: seconds from the start, `o` (output), `i` (input), `r` (resize,
/// `COLSxROWS`), and its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RecordingEvent {
    pub time: f64,
    pub code: String,
    pub data: String,
}

/// A page of a recording's events (`read_recording`): the terminal's size from the header,
/// and where the next page starts (`null`: the end).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RecordingPage {
    pub width: u16,
    pub height: u16,
    pub events: Vec<RecordingEvent>,
    #[cfg_attr(test, ts(type = "number | null"))]
    pub next: Option<u64>,
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
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-6b7f9c8d5",
                    "uid": "u1", "controller": true,
                }],
            },
            "spec": { "containers": [{ "name": "web", "ports": [{ "name": "http", "containerPort": 80 }] }] },
            "status": { "phase": "Running", "containerStatuses": [
                { "name": "web", "ready": true, "restartCount": 4, "image": "i", "imageID": "" }
            ] },
        }))
        .expect("pod");
        let event = PodChange {
            kind: ChangeKind::Added,
            pod: PodSummary::from_pod(&pod),
        };
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
                    "ephemeralContainers": [],
                    "defaultContainer": "web",
                    "terminating": false,
                    "owner": { "kind": "ReplicaSet", "name": "web-6b7f9c8d5" },
                    "reason": null,
                    "node": null,
                    "ips": [],
                    "ports": [{ "container": "web", "name": "http", "port": 80 }],
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
            j(SessionState::Exited {
                code: 3,
                output_bytes: 12
            }),
            json!({"state": "exited", "code": 3, "outputBytes": 12})
        );
        assert_eq!(
            j(SessionState::Lost {
                reason: "x".into(),
                output_bytes: 0,
                crashing: None,
                no_executable: false,
            }),
            json!({"state": "lost", "reason": "x", "outputBytes": 0})
        );
        assert_eq!(
            j(SessionState::Lost {
                reason: "x".into(),
                output_bytes: 0,
                crashing: None,
                no_executable: true,
            }),
            json!({"state": "lost", "reason": "x", "outputBytes": 0, "noExecutable": true})
        );
        assert_eq!(
            j(SessionEnd::Crashing {
                reason: "y".into(),
                container: "app".into()
            }
            .into_state(0)),
            json!({"state": "lost", "reason": "y", "outputBytes": 0, "crashing": "app"})
        );
        assert_eq!(
            j(SessionState::RecordingStopped {
                file: "a.cast".into(),
                reason: None
            }),
            json!({"state": "recordingStopped", "file": "a.cast", "reason": null})
        );
    }

    #[test]
    fn engine_outcomes_map_to_states() {
        use SessionState::*;
        let end = |o: Outcome| SessionEnd::Finished(o).into_state(5);
        assert_eq!(
            end(Outcome::Success),
            Exited {
                code: 0,
                output_bytes: 5
            }
        );
        // The pod was deleted: the kubelet's status says 137.
        assert_eq!(
            end(Outcome::Exit(137)),
            Exited {
                code: 137,
                output_bytes: 5
            }
        );
        assert_eq!(
            end(Outcome::Failure {
                reason: "InternalError".into(),
                message: "exec: \"bash\": executable file not found in $PATH".into(),
            }),
            Lost {
                reason: "exec: \"bash\": executable file not found in $PATH".into(),
                output_bytes: 5,
                crashing: None,
                no_executable: true,
            }
        );
        // A local file's error reads alike (a moved CA file), but is no program the runtime
        // could not find.
        assert_eq!(
            SessionEnd::Lost(
                "failed to read file '/home/u/ca.crt': No such file or directory (os error 2)"
                    .into()
            )
            .into_state(0),
            Lost {
                reason:
                    "failed to read file '/home/u/ca.crt': No such file or directory (os error 2)"
                        .into(),
                output_bytes: 0,
                crashing: None,
                no_executable: false,
            }
        );
        assert_eq!(
            end(Outcome::Failure {
                reason: "InternalError".into(),
                message: String::new(),
            }),
            Lost {
                reason: "the command failed (InternalError)".into(),
                output_bytes: 5,
                crashing: None,
                no_executable: false,
            }
        );
        assert!(!Connected.is_final() && end(Outcome::Success).is_final());
    }

    #[test]
    fn open_session_request_from_the_ui() {
        let r: OpenSessionRequest = serde_json::from_value(json!({
            "profile": "Demo cluster", "namespace": "demo", "pod": "shell",
            "container": "main", "command": null, "cols": 120, "rows": 40,
        }))
        .expect("request");
        assert_eq!(r.profile, "Demo cluster");
        assert_eq!(r.terminal.command, None);
        assert_eq!((r.terminal.cols, r.terminal.rows), (120, 40));
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
        p.impersonate = Some(podterm_core::profiles::Impersonation {
            user: "viewer".into(),
            groups: vec!["readers".into()],
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_value(ProfileSummary::from(&p)).expect("json"),
            json!({
                "name": "prod", "server": "https://k8s.example:6443", "authKind": "token",
                "insecure": false, "namespace": "apps", "colour": null, "production": false,
                "reconnect": false, "recordSessions": false, "actsAs": "viewer",
            })
        );
    }
}
