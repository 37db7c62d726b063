//! `--record FILE` on `podterm exec` and `podterm connect`: the session written to an asciicast v2
//! file as it runs ([`podterm_core::recording`]); `--record-input` adds what is typed.

use crate::failure::Failure;
use clap::Args;
use podterm_core::exec::ExecSpec;
use podterm_core::recording::{Header, Recorder, RecordingError, RecordingSpec};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Args, Default)]
pub struct RecordArgs {
    /// Record the session to FILE (asciicast v2: `asciinema play FILE`). Output and resizes only,
    /// unless --record-input.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Also record what is typed. Off by default: input holds passwords.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub record_input: bool,
    /// Replace FILE if it exists (by default an existing file is kept and the command refused).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = crate::go_bool, default_value = "false", hide_default_value = true, value_name = "BOOL")]
    pub record_overwrite: bool,
}

/// A recording in progress and whether its stop was already said.
pub struct Recording {
    pub recorder: Recorder,
    told: Arc<AtomicBool>,
}

/// Whether `command` (a path or a name) is a shell's: what a recording's `SHELL` may name.
fn is_shell(command: &str) -> bool {
    const SHELLS: &[&str] = &[
        "sh", "bash", "zsh", "ash", "dash", "ksh", "mksh", "fish", "tcsh", "csh", "yash", "nu",
    ];
    let name = command.rsplit('/').next().unwrap_or(command);
    SHELLS.contains(&name)
}

impl RecordArgs {
    /// Creates the file (before the session, so an existing file refuses the command at once).
    /// The flags that only mean something with --record, given without it. Checked on the
    /// values, not by the parser: `--record-input=false` is the flag not given.
    pub fn check(&self) -> Result<(), Failure> {
        if self.record.is_some() {
            return Ok(());
        }
        let flag = match (self.record_input, self.record_overwrite) {
            (true, _) => "--record-input",
            (_, true) => "--record-overwrite",
            _ => return Ok(()),
        };
        Err(Failure::new(format!(
            "{flag} goes with --record FILE: add --record FILE, or leave {flag} out"
        )))
    }

    pub fn start(&self, spec: &ExecSpec) -> Result<Option<Recording>, Failure> {
        self.check()?;
        let Some(path) = &self.record else {
            return Ok(None);
        };
        let (cols, rows) = spec.size.or_else(crate::term::size).unwrap_or((80, 24));
        let mut header = Header::now(cols, rows);
        if let Ok(term) = std::env::var("TERM") {
            header.env.insert("TERM".into(), term);
        }
        // A shell named alone (`-- /bin/bash`) is the SHELL; another command (`-- hostname`) is
        // not one, and neither is the fallback chain (which shell it finds is the pod's).
        if let [shell] = spec.command.as_slice() {
            if is_shell(shell) {
                header.env.insert("SHELL".into(), shell.clone());
            }
        }
        header.title = Some(format!(
            "{}/{}/{}",
            spec.namespace, spec.pod, spec.container
        ));
        let told = Arc::new(AtomicBool::new(false));
        let tty = spec.tty;
        let flag = told.clone();
        let recorder = Recorder::start(
            RecordingSpec {
                path: path.clone(),
                overwrite: self.record_overwrite,
                input: self.record_input,
                header,
            },
            move |e| {
                flag.store(true, Ordering::SeqCst);
                say(tty, &e.to_string());
            },
        )
        .map_err(|e| match e {
            RecordingError::Exists { .. } => Failure::new(format!(
                "{e}: give another file, or add --record-overwrite to replace it"
            )),
            e => Failure::new(e.to_string()),
        })?;
        Ok(Some(Recording { recorder, told }))
    }
}

impl Recording {
    /// Ends the file; says why if it stopped early and that was not said yet. Never fails the
    /// command: the session's exit code stands.
    pub fn finish(self) {
        if let Err(e) = self.recorder.finish() {
            if !self.told.swap(true, Ordering::SeqCst) {
                say(false, &e.to_string());
            }
        }
    }
}

/// A notice on stderr, on its own line even in raw mode.
fn say(raw: bool, words: &str) {
    use std::io::Write as _;
    let words = podterm_core::text::message(words);
    let line = if raw {
        format!("\r\npodterm: {words}\r\n")
    } else {
        format!("podterm: {words}\n")
    };
    let _ = std::io::stderr().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::is_shell;

    /// A recording names a shell as its `SHELL`, never another one-word command.
    #[test]
    fn only_a_shell_is_a_recordings_shell() {
        for shell in ["sh", "/bin/bash", "/usr/bin/zsh", "ash", "fish"] {
            assert!(is_shell(shell), "{shell}");
        }
        for other in ["hostname", "/usr/bin/top", "python3", "shell", ""] {
            assert!(!is_shell(other), "{other}");
        }
    }
}
