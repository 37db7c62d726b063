//! The shell's one error: every IPC command fails with it. In the webview it is
//! `{ kind, message, hint }`: the UI branches on `kind` and shows `message` (and `hint`, what to
//! do), never parsing the text. Engine errors are kept whole as sources.

use podterm_core::browse::BrowseError;
use podterm_core::cluster::ProfileConnectError;
use podterm_core::cluster::{ApiError, ClusterError};
use podterm_core::debug::DebugError;
use podterm_core::exec::ExecError;
use podterm_core::favourites::FavouriteError;
use podterm_core::follow::FollowError;
use podterm_core::import::ImportError;
use podterm_core::logs::LogsError;
use podterm_core::logview::LogViewError;
use podterm_core::manual::ManualError;
use podterm_core::oidc::OidcError;
use podterm_core::podcopy::CopyError;
use podterm_core::podfs::PodFsError;
use podterm_core::podinfo::PodInfoError;
use podterm_core::pods::PodError;
use podterm_core::portforward::ForwardError;
use podterm_core::profiles::ProfileError;
use podterm_core::recordings::RecordingsError;
use podterm_core::settings::SettingsError;
use podterm_core::terminal::StartError;
use podterm_core::transfer::TransferError;
use podterm_core::vault::VaultError;
use serde::ser::SerializeStruct;
use serde::Serialize;

/// What kind of failure it is: what the UI may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The cluster refused a saved profile's credentials (401).
    CredentialsRefused,
    /// The API server answered with a refusal of its own (403, 404, ...).
    Refused,
    /// The API server or a credential plugin could not be reached or failed.
    Unreachable,
    /// A profile, favourite or pod named in the request does not exist (any more).
    NotFound,
    /// The request itself is wrong (a bad URL, name, kubeconfig or order).
    InvalidInput,
    /// The built-in Demo cluster's profiles cannot be edited or shadowed.
    DemoReadOnly,
    /// The OS keyring is missing, locked or failed.
    Keyring,
    /// A Podterm file (profiles, favourites, settings) cannot be read or written.
    Store,
    /// The session was closed or has ended.
    SessionEnded,
    /// Something on this machine failed (the file dialog, the browser, the Demo cluster).
    Local,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster refused the credentials of a saved profile (401).
    #[error("{source}")]
    CredentialsRefused {
        profile: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No profile of this name (saved or Demo).
    #[error("no profile named \"{0}\": it may have been deleted")]
    NoProfile(String),
    /// A Demo profile cannot be edited.
    #[error("\"{0}\" is the built-in Demo cluster: it cannot be edited")]
    DemoReadOnly(String),
    /// A profile typed by hand may not take a Demo profile's name.
    #[error("\"{0}\" is the built-in Demo cluster's name: pick another")]
    DemoName(String),
    /// The session is not open (closed, or ended).
    #[error("session {0} has ended")]
    SessionEnded(u32),
    /// The in-app Demo cluster could not start.
    #[error("{0}")]
    Demo(String),
    /// A link that is not opened (only http and https are).
    #[error("{0}")]
    Link(String),
    /// The desktop's browser could not be started for a link.
    #[error("{0}")]
    Browser(String),
    /// The global shortcut could not be taken (another application holds it, or the desktop
    /// offers no global shortcuts).
    #[error("{keys} could not be taken as a global shortcut ({reason}): another application may hold it")]
    Shortcut { keys: String, reason: String },
    /// The native file dialog failed.
    #[error("the file dialog failed: {0}")]
    Dialog(String),
    /// A file the user chose could not be written (a saved log).
    #[error("could not write {path}: {source}")]
    WriteFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// No config directory, so no saved profiles or favourites.
    #[error(transparent)]
    NoConfigDir(std::sync::Arc<ProfileError>),
    #[error(transparent)]
    Profiles(#[from] ProfileError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Manual(#[from] ManualError),
    #[error(transparent)]
    Keyring(#[from] VaultError),
    #[error(transparent)]
    Connect(#[from] ProfileConnectError),
    #[error(transparent)]
    Browse(#[from] BrowseError),
    #[error(transparent)]
    Favourites(#[from] FavouriteError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error(transparent)]
    Start(#[from] StartError),
    /// A debug container could not be planned, added or reached.
    #[error(transparent)]
    Debug(#[from] DebugError),
    /// A pod's copy could not be made or deleted.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// settings.json could not be read or written (nothing was written over).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A Logs view's log could not be read.
    #[error(transparent)]
    LogView(#[from] LogViewError),
    /// A pod's details or events could not be read.
    #[error(transparent)]
    PodInfo(#[from] PodInfoError),
    /// The pod or container of a transfer could not be found or used.
    #[error(transparent)]
    Pod(#[from] PodError),
    /// A copy to or from a container failed.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// A container's working directory or a directory's listing could not be read.
    #[error(transparent)]
    PodFs(#[from] PodFsError),
    /// A local path from the webview that a transfer cannot use (relative, missing, taken).
    #[error("{path}: {why}")]
    LocalPath { path: String, why: &'static str },
    /// A port forward could not be started (its pod not running, a port it does not declare,
    /// the right to forward refused, no free local port).
    #[error(transparent)]
    Forward(#[from] ForwardError),
    /// The local port asked for could not be opened (another program listens on it, or the
    /// OS refuses it). `saved`: one of the last run's forwards, whose row offers Start again;
    /// else a port typed in the forward's dialog.
    #[error("unable to create listener: 127.0.0.1:{port}: {source}: {}", local_port_advice(*saved, source.kind()))]
    LocalPort {
        port: u16,
        #[source]
        source: std::io::Error,
        saved: bool,
    },
    /// No port forward of this id (stopped already).
    #[error("port forward {0} is not listed any more")]
    NoForward(u32),
    /// A port forward that runs, or ended while it ran: only one that could not start again at
    /// this run's start is tried again.
    #[error("port forward {0} is not one that could not start again: start a new one from its pod's menu")]
    ForwardNotRestartable(u32),
    /// A saved forward did not start again within this long (the cluster reached, its pod
    /// found, its port opened).
    #[error("the cluster did not answer within {}", podterm_core::cluster::duration_words(*.0))]
    ForwardStartSlow(std::time::Duration),
    /// No transfer of this id (the list was cleared, or the app restarted).
    #[error("transfer {0} is not listed any more")]
    NoTransfer(u32),
    /// A local file could not be read (a checksum asked for).
    #[error("could not read {path}: {source}")]
    ReadFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A recording could not be started, found, read or deleted.
    #[error(transparent)]
    Recordings(#[from] RecordingsError),
    /// A recording could not be read back.
    #[error(transparent)]
    Recording(#[from] podterm_core::recording::RecordingError),
    /// Reading the recordings folders stopped before it finished (the app is on its way out).
    #[error("reading the recordings was interrupted: {0}; try again")]
    RecordingsInterrupted(String),
    /// No page socket could be given (the output then takes the channel).
    #[error(transparent)]
    PageSocket(#[from] podterm_core::pagesocket::PageSocketError),
    /// A failure given to several callers: a connect to a profile that each of them waited for
    /// (its kind, message and hint are the failure's own; [`Error::root`] is the failure).
    #[error(transparent)]
    Shared(std::sync::Arc<Error>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Engine errors that may say the cluster refused the credentials.
pub trait RefusesCredentials: std::error::Error + Send + Sync + 'static {
    fn credentials_refused(&self) -> bool;
}

macro_rules! refuses_credentials {
    ($($t:ty),*) => {
        $(impl RefusesCredentials for $t {
            fn credentials_refused(&self) -> bool {
                <$t>::credentials_refused(self)
            }
        })*
    };
}

refuses_credentials!(
    BrowseError,
    PodError,
    FavouriteError,
    ExecError,
    StartError,
    LogViewError,
    PodInfoError,
    DebugError,
    TransferError,
    PodFsError,
    CopyError,
    ForwardError
);

impl Error {
    /// An engine error from a call made with `profile`'s credentials: a refusal of the
    /// credentials becomes [`Error::CredentialsRefused`].
    pub fn from_call<E>(profile: &str, e: E) -> Error
    where
        E: RefusesCredentials,
        Error: From<E>,
    {
        if e.credentials_refused() {
            Error::CredentialsRefused {
                profile: profile.to_string(),
                source: Box::new(e),
            }
        } else {
            Error::from(e)
        }
    }

    /// The failure itself, under any sharing ([`Error::Shared`]).
    pub fn root(&self) -> &Error {
        match self {
            Error::Shared(e) => e.root(),
            e => e,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        use ErrorKind as K;
        match self {
            Error::Shared(e) => e.kind(),
            Error::CredentialsRefused { .. } => K::CredentialsRefused,
            Error::NoProfile(_) => K::NotFound,
            Error::DemoReadOnly(_) | Error::DemoName(_) => K::DemoReadOnly,
            Error::SessionEnded(_) => K::SessionEnded,
            Error::Demo(_)
            | Error::Dialog(_)
            | Error::Browser(_)
            | Error::WriteFile { .. }
            | Error::Shortcut { .. } => K::Local,
            Error::NoConfigDir(_) => K::Store,
            Error::Link(_) => K::InvalidInput,
            Error::Profiles(e) => profile_kind(e),
            Error::Import(e) => match e {
                ImportError::Vault(_) => K::Keyring,
                ImportError::Store(e) => profile_kind(e),
                _ => K::InvalidInput,
            },
            Error::Manual(e) => match e {
                ManualError::Invalid(_) | ManualError::Taken(_) => K::InvalidInput,
                ManualError::NotFound(_) => K::NotFound,
                ManualError::Store(e) => profile_kind(e),
                ManualError::Vault(_) => K::Keyring,
            },
            Error::Keyring(_) => K::Keyring,
            Error::Connect(e) => match e {
                ProfileConnectError::MissingSecret { .. } | ProfileConnectError::Vault(_) => {
                    K::Keyring
                }
                ProfileConnectError::PluginMissing { .. } => K::Unreachable,
                ProfileConnectError::Cluster(c) => match c {
                    ClusterError::Kubeconfig { .. }
                    | ClusterError::Profile { .. }
                    | ClusterError::Flags(_)
                    | ClusterError::Context { .. }
                    | ClusterError::ProxyUrl { .. } => K::InvalidInput,
                    ClusterError::Client { .. }
                    | ClusterError::Plugin(_)
                    | ClusterError::Interrupted { .. } => K::Unreachable,
                },
                ProfileConnectError::Oidc(o) => oidc_kind(o),
                ProfileConnectError::Keep(_) => K::Keyring,
            },
            Error::Browse(e) => browse_kind(e),
            Error::Favourites(e) => favourite_kind(e),
            Error::Exec(e) => exec_kind(e),
            Error::Start(StartError::Pod(e)) => pod_kind(e),
            Error::Start(StartError::Exec(e)) => exec_kind(e),
            Error::Start(StartError::Debug(e)) | Error::Debug(e) => debug_kind(e),
            Error::Start(
                StartError::Crashing { .. }
                | StartError::Finished { .. }
                | StartError::Ended { .. },
            ) => K::Refused,
            Error::Start(StartError::Copy(e)) | Error::Copy(e) => copy_kind(e),
            Error::Settings(_) => K::Store,
            Error::LogView(LogViewError::Pod(e)) => pod_kind(e),
            Error::LogView(LogViewError::Logs(LogsError::Api(e))) => api_kind(e),
            Error::LogView(LogViewError::Logs(_)) => K::Unreachable,
            Error::LogView(LogViewError::Workload(e)) => favourite_kind(e),
            Error::LogView(LogViewError::Follow(FollowError::Pods(e))) => browse_kind(e),
            Error::PodInfo(PodInfoError::Api(e)) => api_kind(e),
            Error::Pod(e) => pod_kind(e),
            Error::Transfer(e) => transfer_kind(e),
            Error::PodFs(PodFsError::Exec(e)) => exec_kind(e),
            Error::PodFs(PodFsError::Api(e)) => api_kind(e),
            Error::PodFs(
                PodFsError::Failed { .. }
                | PodFsError::Missing { .. }
                | PodFsError::TargetUnseen { .. },
            ) => K::Refused,
            Error::LocalPath { .. } => K::InvalidInput,
            Error::NoTransfer(_) | Error::NoForward(_) => K::NotFound,
            Error::ForwardNotRestartable(_) => K::InvalidInput,
            Error::LocalPort { .. } => K::Local,
            Error::ForwardStartSlow(_) => K::Unreachable,
            Error::Forward(e) => match e {
                ForwardError::Api(e) => api_kind(e),
                ForwardError::Pod(e) => pod_kind(e),
                ForwardError::UpgradeRefused { .. }
                | ForwardError::Unreachable { .. }
                | ForwardError::NotRunning(_)
                | ForwardError::Forbidden { .. } => K::Refused,
                ForwardError::Transport { .. }
                | ForwardError::Deadline(_)
                | ForwardError::Protocol(_) => K::Unreachable,
                ForwardError::NoNamedPort { .. }
                | ForwardError::NoServiceNamedPort { .. }
                | ForwardError::NoServicePort { .. } => K::NotFound,
                ForwardError::Udp(_) => K::InvalidInput,
                ForwardError::BadSpec(_) => K::InvalidInput,
                ForwardError::Local(_) | ForwardError::Listen(_) => K::Local,
            },
            Error::ReadFile { .. } => K::Local,
            Error::Recordings(e) => match e {
                RecordingsError::NotStarted => K::SessionEnded,
                RecordingsError::NoSuchRecording => K::NotFound,
                RecordingsError::Recording(_)
                | RecordingsError::Folder { .. }
                | RecordingsError::Delete { .. } => K::Local,
            },
            Error::Recording(_) | Error::RecordingsInterrupted(_) | Error::PageSocket(_) => {
                K::Local
            }
        }
    }

    /// The pod whose container crashes as it starts, when that is why nothing could be opened
    /// (a workload, favourite or selector whose pods are none Ready, one crash-looping): the
    /// page offers a copy of it. Only names a command line takes as they are.
    pub fn crashing(&self) -> Option<CrashingPod> {
        match self {
            Error::Shared(e) => e.crashing(),
            Error::Pod(e)
            | Error::Start(StartError::Pod(e))
            | Error::Favourites(FavouriteError::Pod(e)) => match e {
                PodError::NoneReady {
                    namespace,
                    crashing: Some(c),
                    ..
                } if plain_namespace(namespace) => Some(CrashingPod {
                    namespace: namespace.clone(),
                    pod: c.pod.clone(),
                    container: c.container.clone(),
                }),
                _ => None,
            },
            _ => None,
        }
    }

    /// What the user can do about it, when the message does not say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Shared(e) => e.hint(),
            Error::CredentialsRefused { profile, .. } => Some(credentials_refused_hint(profile)),
            Error::NoProfile(_) => Some("pick another one, or import it again".into()),
            // The engine says the situation; what to do is the app's (never the CLI's --debug).
            Error::Transfer(TransferError::NoFallback { debug: false, .. }) => Some(
                "open a debug tab on the pod (Debug with an ephemeral container…, on this container's tab) and drop the file on that tab, or use its Download…: it copies through a debug container beside this one, which sees its files".into(),
            ),
            Error::Transfer(TransferError::NoFallback { debug: true, .. }) => Some(
                "set a Debug image that has cat, dd or base64 (busybox:1.36, for example) under the pods, then open a new debug tab on the pod and copy from there".into(),
            ),
            Error::Pod(e)
            | Error::Start(StartError::Pod(e))
            | Error::Favourites(FavouriteError::Pod(e)) => crashing_hint(e),
            // The tab offers the copy (its banner's button): the hint says what it does.
            Error::Start(
                StartError::Crashing { .. } | StartError::Finished { .. } | StartError::Ended { .. },
            ) => Some(
                "Debug a copy of the pod… (on this tab) makes a copy of it whose container runs a shell instead of its command, and deletes the copy when the tab closes".into(),
            ),
            _ => None,
        }
    }

    /// The message and the hint, for places that show one line (a tab's "lost" reason);
    /// escaped and capped like [`Error`]'s serialized message.
    pub fn sentence(&self) -> String {
        podterm_core::text::message(&match self.hint() {
            Some(h) => format!("{self}: {h}"),
            None => self.to_string(),
        })
    }
}

/// What to do about a local port that could not be opened: in the dialog, change it; for one
/// of the last run's forwards (Start again takes the same port), free it when another program
/// has it, else let the forward go (a port the OS refuses here stays refused).
fn local_port_advice(saved: bool, why: std::io::ErrorKind) -> &'static str {
    match (saved, why) {
        (false, _) => "choose another local port, or leave it empty for a free one",
        (true, std::io::ErrorKind::AddrInUse) => {
            "close the program on that port and press Start again, or Remove this forward"
        }
        (true, _) => "Remove this forward and forward the pod's port again on another local port",
    }
}

fn profile_kind(e: &ProfileError) -> ErrorKind {
    match e {
        ProfileError::InvalidName { .. } | ProfileError::Duplicate { .. } => {
            ErrorKind::InvalidInput
        }
        _ => ErrorKind::Store,
    }
}

/// A workload whose pod crashes as it starts has nothing to open a shell in; a copy of the pod
/// running a shell instead has, and the favourite's tab offers it ([`Error::crashing`]).
fn crashing_hint(e: &PodError) -> Option<String> {
    let PodError::NoneReady {
        namespace,
        crashing: Some(c),
        ..
    } = e
    else {
        return None;
    };
    plain_namespace(namespace).then(|| format!(
        "pod {pod}'s container {container} crashes as it starts, so there is nothing to open a shell in: Debug a copy of the pod… (on this tab) makes a copy of {pod} whose container runs a shell instead, deleted when the tab closes",
        pod = c.pod,
        container = c.container,
    ))
}

/// A namespace a command line takes as it is (the engine checked the pod's and container's
/// names the same way before naming a crashing pod).
fn plain_namespace(namespace: &str) -> bool {
    namespace
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What to do when the cluster refused a saved profile's credentials.
pub fn credentials_refused_hint(profile: &str) -> String {
    format!(
        "the cluster refused the credentials of profile \"{profile}\" (401); the token may be revoked or expired: import the profile again"
    )
}

fn favourite_kind(e: &FavouriteError) -> ErrorKind {
    match e {
        FavouriteError::NotFound { .. } => ErrorKind::NotFound,
        FavouriteError::Invalid { .. }
        | FavouriteError::Duplicate(_)
        | FavouriteError::BadOrder(_) => ErrorKind::InvalidInput,
        FavouriteError::Pod(p) => pod_kind(p),
        FavouriteError::Store(_) => ErrorKind::Store,
    }
}

fn browse_kind(e: &BrowseError) -> ErrorKind {
    match e {
        BrowseError::Api(e) => api_kind(e),
        BrowseError::Watch { .. } | BrowseError::Ended => ErrorKind::Unreachable,
    }
}

fn oidc_kind(e: &OidcError) -> ErrorKind {
    match e {
        // Only a new login helps: the credentials are refused, in effect.
        OidcError::NoRefreshToken | OidcError::Refused(_) | OidcError::Unusable => {
            ErrorKind::CredentialsRefused
        }
        OidcError::Missing(_) => ErrorKind::InvalidInput,
        OidcError::Provider { .. } => ErrorKind::Unreachable,
        // The profile (or the provider's configuration) must change.
        OidcError::NotHttps { .. } | OidcError::ForeignHost { .. } => ErrorKind::InvalidInput,
    }
}

fn api_kind(e: &ApiError) -> ErrorKind {
    match e {
        ApiError::Unauthorized => ErrorKind::CredentialsRefused,
        ApiError::Login(e) => oidc_kind(e),
        ApiError::Refused { code: 404, .. } => ErrorKind::NotFound,
        ApiError::Refused { .. } => ErrorKind::Refused,
        ApiError::Plugin { .. }
        | ApiError::PluginOutput { .. }
        | ApiError::Garbled { .. }
        | ApiError::Timeout(_)
        | ApiError::Proxy { .. }
        | ApiError::Transport { .. } => ErrorKind::Unreachable,
    }
}

fn exec_kind(e: &ExecError) -> ErrorKind {
    match e {
        ExecError::Api(e) => api_kind(e),
        ExecError::UpgradeRefused { .. } => ErrorKind::Refused,
        ExecError::NoStatus
        | ExecError::Transport { .. }
        | ExecError::OutputClosed
        | ExecError::Deadline(_) => ErrorKind::Unreachable,
    }
}

fn copy_kind(e: &CopyError) -> ErrorKind {
    match e {
        CopyError::Api(e) => api_kind(e),
        CopyError::NeedsImage | CopyError::CustomTarget { .. } => ErrorKind::InvalidInput,
        CopyError::Target(e) => pod_kind(e),
        CopyError::NotOurs { .. }
        | CopyError::NotOursOnNode { .. }
        | CopyError::Terminating { .. } => ErrorKind::Refused,
        CopyError::OriginalGone { .. } => ErrorKind::NotFound,
    }
}

fn debug_kind(e: &DebugError) -> ErrorKind {
    match e {
        DebugError::Api(e) => api_kind(e),
        DebugError::Target(e) => pod_kind(e),
        // The cluster, RBAC, the image or the pod's phase refuse it: words to act on.
        DebugError::Disabled { .. }
        | DebugError::Forbidden(_)
        | DebugError::NotRunning { .. }
        | DebugError::ImagePull { .. }
        | DebugError::Crashing { .. }
        | DebugError::Ended { .. } => ErrorKind::Refused,
        DebugError::PodDeleted(_) => ErrorKind::NotFound,
    }
}

fn transfer_kind(e: &TransferError) -> ErrorKind {
    use TransferError as T;
    match e {
        T::SpecFormat
        | T::BothRemote
        | T::NeitherRemote
        | T::EmptyPath
        | T::LocalMissing(_)
        | T::SpecialLocal(_)
        | T::IsDirectory(_)
        | T::IsFile(_) => ErrorKind::InvalidInput,
        T::Local { .. } | T::Cancelled => ErrorKind::Local,
        T::NoSuchPath { .. } | T::NoSuchDirectory { .. } => ErrorKind::NotFound,
        T::Exec(e) => exec_kind(e),
        // The container refused or failed it (no tar, permission denied, a hostile or corrupt
        // stream): words to act on.
        _ => ErrorKind::Refused,
    }
}

fn pod_kind(e: &PodError) -> ErrorKind {
    match e {
        PodError::Api(e) => api_kind(e),
        PodError::NoSuchContainer { .. } => ErrorKind::NotFound,
        PodError::Completed(_)
        | PodError::CompletedAttach(_)
        | PodError::NoContainers(_)
        | PodError::NoneReady { .. } => ErrorKind::Refused,
        PodError::BadTarget(_) | PodError::ServiceWithoutSelector(_) => ErrorKind::InvalidInput,
    }
}

/// `{ kind, message, hint }`, as the webview receives it. The message is passed through
/// [`podterm_core::text::message`] on its way out: a belt behind the escaping and cutting done
/// where a server's words enter the engine's errors.
impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Error", 4)?;
        st.serialize_field("kind", &self.kind())?;
        st.serialize_field("message", &podterm_core::text::message(&self.to_string()))?;
        st.serialize_field("hint", &self.hint())?;
        st.serialize_field("crashing", &self.crashing())?;
        st.end()
    }
}

/// A pod whose container crashes as it starts, named by an error ([`Error::crashing`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CrashingPod {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// The TypeScript form of [`Error`] (what a rejected command's promise carries).
#[cfg(test)]
#[derive(ts_rs::TS)]
#[ts(rename = "CommandError")]
#[allow(dead_code)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    /// The pod a copy of which gets a shell in ([`Error::crashing`]).
    pub crashing: Option<CrashingPod>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_crashing_workload_hints_at_a_copy() {
        let none_ready = |crashing| PodError::NoneReady {
            target: "deployment/api".into(),
            namespace: "prod".into(),
            detail: "api-1 (not Ready: container app waiting: CrashLoopBackOff)".into(),
            crashing,
        };
        let crashing = Some(Box::new(podterm_core::pods::Crashing {
            pod: "api-1".into(),
            container: "app".into(),
        }));
        let e = Error::Favourites(FavouriteError::Pod(none_ready(crashing.clone())));
        let hint = e.hint().expect("a hint");
        // The tab's button, not a terminal's command: the page offers the copy itself.
        assert_eq!(
            hint,
            "pod api-1's container app crashes as it starts, so there is nothing to open a shell in: Debug a copy of the pod… (on this tab) makes a copy of api-1 whose container runs a shell instead, deleted when the tab closes"
        );
        // The page is told the pod in a typed way, to offer its copy.
        let j = serde_json::to_value(&e).expect("json");
        assert_eq!(
            j["crashing"],
            json!({ "namespace": "prod", "pod": "api-1", "container": "app" })
        );
        assert!(Error::Start(StartError::Pod(none_ready(crashing)))
            .hint()
            .is_some());
        assert_eq!(Error::Pod(none_ready(None)).hint(), None);
        let none = serde_json::to_value(Error::Pod(none_ready(None))).expect("json");
        assert_eq!(none["crashing"], json!(null));
    }

    #[test]
    fn a_local_port_not_opened_says_what_to_do_where_it_is_asked() {
        let e = |kind, saved| {
            Error::LocalPort {
                port: 8080,
                source: std::io::Error::from(kind),
                saved,
            }
            .to_string()
        };
        use std::io::ErrorKind::{AddrInUse, PermissionDenied};
        // The dialog: another port, whatever the reason.
        for kind in [AddrInUse, PermissionDenied] {
            let m = e(kind, false);
            assert!(
                m.starts_with("unable to create listener: 127.0.0.1:8080: "),
                "{m}"
            );
            assert!(
                m.ends_with(": choose another local port, or leave it empty for a free one"),
                "{m}"
            );
        }
        // A restored forward's row: Start again takes the same port, so only when it can be freed.
        assert!(e(AddrInUse, true).ends_with(
            ": close the program on that port and press Start again, or Remove this forward"
        ));
        assert!(e(PermissionDenied, true).ends_with(
            ": Remove this forward and forward the pod's port again on another local port"
        ));
        let taken = Error::LocalPort {
            port: 8080,
            source: std::io::Error::from(AddrInUse),
            saved: true,
        };
        assert_eq!(taken.kind(), ErrorKind::Local);
    }

    #[test]
    fn a_refused_credential_is_its_own_kind_with_a_hint() {
        let e = Error::from_call("prod", BrowseError::Api(ApiError::Unauthorized));
        assert_eq!(e.kind(), ErrorKind::CredentialsRefused);
        let j = serde_json::to_value(&e).expect("json");
        assert_eq!(j["kind"], json!("credentialsRefused"));
        assert_eq!(
            j["message"],
            json!("You must be logged in to the server (the server has asked for the client to provide credentials)")
        );
        let hint = j["hint"].as_str().expect("a hint");
        assert!(hint.contains("profile \"prod\" (401)"), "{hint}");
        // The engine's error is kept as the source.
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn no_fallback_says_what_to_do_in_the_app_not_on_the_command_line() {
        let e = |debug| {
            Error::from_call(
                "prod",
                TransferError::NoFallback {
                    pod: "bare".into(),
                    container: "main".into(),
                    debug,
                    no_shell: false,
                },
            )
        };
        let plain = e(false).sentence();
        assert!(
            plain.starts_with("there is no tar in container \"main\" of pod \"bare\", and no fallback: it has none of cat, dd or base64"),
            "{plain}"
        );
        assert!(plain.contains("open a debug tab on the pod"), "{plain}");
        let through = e(true).sentence();
        assert!(through.contains("set a Debug image"), "{through}");
        for words in [plain, through] {
            assert!(!words.contains("--debug"), "CLI advice in the app: {words}");
        }
        assert_eq!(e(false).kind(), ErrorKind::Refused);
        // What a listing through a debug tab can say: the app's kinds.
        assert_eq!(
            Error::from(PodFsError::Missing {
                command: "sh",
                container: "main".into()
            })
            .kind(),
            ErrorKind::Refused
        );
    }

    #[test]
    fn other_errors_keep_their_words_and_kinds() {
        let e = Error::from_call(
            "prod",
            BrowseError::Api(ApiError::Refused {
                code: 403,
                reason: "Forbidden".into(),
                message: "pods is forbidden".into(),
            }),
        );
        assert_eq!(e.kind(), ErrorKind::Refused);
        assert_eq!(
            serde_json::to_value(&e).expect("json"),
            json!({"kind": "refused", "message": "Error from server (Forbidden): pods is forbidden", "hint": null, "crashing": null})
        );
        assert_eq!(Error::SessionEnded(4).kind(), ErrorKind::SessionEnded);
        // Connecting: only a new login helps a refused refresh; a broken profile is input.
        let oidc = |e| Error::Connect(ProfileConnectError::Oidc(e)).kind();
        assert_eq!(
            oidc(OidcError::Refused("400 invalid_grant".into())),
            ErrorKind::CredentialsRefused
        );
        assert_eq!(
            oidc(OidcError::Missing("client-id")),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            Error::Connect(ProfileConnectError::Cluster(ClusterError::Flags(
                podterm_core::overrides::OverrideError::NoContext("x".into())
            )))
            .kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            Error::Link("not opened".into()).kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(Error::Browser("no browser".into()).kind(), ErrorKind::Local);
        // A session's end in words: the engine's, with nothing added.
        let dead = Error::from_call("prod", ExecError::Deadline(30));
        assert_eq!(dead.kind(), ErrorKind::Unreachable);
        assert!(
            dead.sentence()
                .starts_with("no data from the API server for 30 s"),
            "{dead}"
        );
        let forbidden = Error::from_call(
            "viewer",
            StartError::Exec(ExecError::Api(ApiError::Refused {
                code: 403,
                reason: "Forbidden".into(),
                message: "pods \"shell\" is forbidden".into(),
            })),
        );
        assert_eq!(forbidden.kind(), ErrorKind::Refused);
        assert_eq!(
            forbidden.sentence(),
            "Error from server (Forbidden): pods \"shell\" is forbidden"
        );
        let refused = Error::from_call(
            "prod",
            StartError::Pod(PodError::Api(ApiError::Unauthorized)),
        );
        assert_eq!(refused.kind(), ErrorKind::CredentialsRefused);
        assert!(
            refused.sentence().ends_with("import the profile again"),
            "{}",
            refused.sentence()
        );
        assert_eq!(Error::NoProfile("x".into()).kind(), ErrorKind::NotFound);
    }
}
