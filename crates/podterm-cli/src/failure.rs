//! How a subcommand fails: the message printed as kubectl prints it, and the exit code. Errors
//! are told apart by their variants (the API server's own refusal, a refused credential), never
//! by their text.

use podterm_core::browse::BrowseError;
use podterm_core::cluster::{ApiError, ClusterError, ProfileConnectError};
use podterm_core::debug::DebugError;
use podterm_core::exec::ExecError;
use podterm_core::fanout::FanoutError;
use podterm_core::favourites::FavouriteError;
use podterm_core::follow::FollowError;
use podterm_core::import::ImportError;
use podterm_core::logs::LogsError;
use podterm_core::overrides::OverrideError;
use podterm_core::podcopy::CopyError;
use podterm_core::pods::PodError;
use podterm_core::profiles::ProfileError;
use podterm_core::text;
use podterm_core::transfer::TransferError;
use podterm_core::vault::VaultError;

/// An error to print as kubectl would; the process then exits with 1.
#[derive(Debug)]
pub struct Failure {
    message: String,
    /// The API server's own words (`Error from server (...): ...`), or kubectl's own words
    /// that it prints bare (`Error in configuration: ...`): printed without `error: `.
    from_server: bool,
    /// The API server refused the credentials (401).
    credentials_refused: bool,
    /// The API server's `Status` message alone, without kubectl's `Error from server (...): `
    /// (what kubectl's Go error says when it quotes one inside its own line).
    status_message: Option<String>,
    /// The node found no running container to exec or attach in (`unable to upgrade
    /// connection: …`).
    no_running_container: bool,
}

impl Failure {
    /// A failure in Podterm's own words.
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            from_server: false,
            credentials_refused: false,
            status_message: None,
            no_running_container: false,
        }
    }

    /// Whether the node found no running container to exec or attach in.
    pub fn no_running_container(&self) -> bool {
        self.no_running_container
    }

    /// The same failure, with what to do about it after its words.
    pub fn and_then_say(self, more: &str) -> Self {
        Failure {
            message: format!("{}. {more}", self.message),
            ..self
        }
    }

    /// The failure quoted inside another line (`warning: couldn't attach …: WORDS`): the API
    /// server's message alone when it was the server's refusal, else the whole message.
    pub fn quoted(&self) -> &str {
        self.status_message.as_deref().unwrap_or(&self.message)
    }

    /// Adds what to do about refused credentials of the saved profile `profile`.
    pub fn with_profile_hint(self, profile: Option<&str>) -> Self {
        match profile {
            Some(name) if self.credentials_refused => Failure {
                message: format!(
                    "{}: the cluster refused the credentials of profile \"{name}\" (401); the token may be revoked or expired: re-enter it (podterm profile import) and try again",
                    self.message
                ),
                ..self
            },
            _ => self,
        }
    }

    /// Prints the failure to stderr (restoring the terminal first) and returns the exit code.
    /// Outside text in it was escaped and cut where it entered; [`text::message`] is the belt
    /// that keeps anything which slipped through from reaching the user's terminal raw.
    pub fn report(self) -> i32 {
        crate::term::restore();
        let message = text::message(&self.message);
        if self.from_server {
            eprintln!("{message}");
        } else {
            eprintln!("error: {message}");
        }
        1
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let message = match &e {
            // kubectl words a refused object by its kind and name (`The Pod "x" is invalid:
            // spec…`), which the server's message starts with.
            ApiError::Refused {
                code: 422,
                reason,
                message,
            } if reason == "Invalid" => format!("The {message}"),
            e => e.to_string(),
        };
        Failure {
            from_server: matches!(e, ApiError::Refused { .. }),
            credentials_refused: e.credentials_refused(),
            status_message: match &e {
                ApiError::Refused { message, .. } => Some(message.clone()),
                _ => None,
            },
            message,
            no_running_container: false,
        }
    }
}

impl From<PodError> for Failure {
    fn from(e: PodError) -> Self {
        match e {
            PodError::Api(e) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<ExecError> for Failure {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Api(e) => e.into(),
            e @ ExecError::UpgradeRefused { .. } => Failure {
                no_running_container: true,
                ..Failure::new(e.to_string())
            },
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<DebugError> for Failure {
    fn from(e: DebugError) -> Self {
        match e {
            DebugError::Api(e) | DebugError::Forbidden(e) => e.into(),
            DebugError::Target(e) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<CopyError> for Failure {
    fn from(e: CopyError) -> Self {
        match e {
            CopyError::Api(e) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<LogsError> for Failure {
    fn from(e: LogsError) -> Self {
        match e {
            LogsError::Api(e) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<TransferError> for Failure {
    fn from(e: TransferError) -> Self {
        match e {
            TransferError::Exec(e) => e.into(),
            TransferError::Debug(e) => e.into(),
            // The engine says the situation; what to do on the command line is `--debug`.
            TransferError::NoFallback { debug: false, .. } => Failure::new(format!(
                "{e}. Add --debug to copy through an ephemeral debug container beside it (it sees the container's files; it stays in the pod until the pod is deleted)"
            )),
            TransferError::NoFallback { debug: true, .. } => Failure::new(format!(
                "{e}: choose another image with --debug=IMAGE (one with cat, dd or base64)"
            )),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<FollowError> for Failure {
    fn from(e: FollowError) -> Self {
        match e {
            FollowError::Pods(BrowseError::Api(e)) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<FanoutError> for Failure {
    fn from(e: FanoutError) -> Self {
        match e {
            FanoutError::Pods(e) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<FavouriteError> for Failure {
    fn from(e: FavouriteError) -> Self {
        match e {
            FavouriteError::Pod(e) => e.into(),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<ProfileConnectError> for Failure {
    fn from(e: ProfileConnectError) -> Self {
        Failure {
            credentials_refused: e.credentials_refused(),
            ..Failure::new(e.to_string())
        }
    }
}

/// Errors that are never the API server's words: printed after `error: `.
macro_rules! in_our_words {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Self {
                Failure::new(e.to_string())
            }
        }
    )*};
}

impl From<ClusterError> for Failure {
    fn from(e: ClusterError) -> Self {
        match e {
            // kubectl's words, without `error: `.
            ClusterError::Flags(e @ OverrideError::NoContext(_)) => Failure {
                from_server: true,
                ..Failure::new(format!("Error in configuration: {e}"))
            },
            other => Failure::new(other.to_string()),
        }
    }
}

in_our_words!(ProfileError, ImportError, VaultError, std::io::Error,);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_fallback_says_what_to_do_on_the_command_line() {
        let e = |debug| TransferError::NoFallback {
            pod: "bare".into(),
            container: "main".into(),
            debug,
            no_shell: false,
        };
        let words = Failure::from(e(false)).message;
        assert!(
            words.starts_with("there is no tar in container \"main\" of pod \"bare\", and no fallback: it has none of cat, dd or base64 to copy a single file through. Add --debug"),
            "{words}"
        );
        let words = Failure::from(e(true)).message;
        assert!(words.contains("--debug=IMAGE"), "{words}");
    }
}
