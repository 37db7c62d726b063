//! The API server's warnings (`podterm_core::warnings`) on stderr, as kubectl prints them:
//! `Warning: TEXT`, each text once per run, `Warning:` in bold yellow on a terminal (kubectl's
//! rule). Printed with `-q` too, as kubectl's are. On a terminal a warning first clears the line
//! it lands on: `cp`'s progress line is redrawn below it, not run into.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// kubectl's colours for `Warning:` on a terminal.
const YELLOW: &str = "\x1b[33;1m";
const RESET: &str = "\x1b[0m";

/// The most texts remembered to print each once; past it, a text is printed again rather than
/// the memory growing with what a server sends.
const REMEMBERED: usize = 256;

/// Prints every warning of this run's requests.
pub fn install() {
    use std::io::IsTerminal as _;
    let terminal = std::io::stderr().is_terminal();
    let color = terminal && colour_allowed(|name| std::env::var_os(name));
    let seen = Mutex::new(BTreeSet::new());
    podterm_core::warnings::set_process_handler(Arc::new(move |text: &str| {
        if let Ok(mut seen) = seen.lock() {
            if seen.contains(text) {
                return;
            }
            if seen.len() < REMEMBERED {
                seen.insert(text.to_string());
            }
        }
        let clear = if terminal { "\r\x1b[K" } else { "" };
        print(&format!("{clear}{}", line(text, color)));
    }));
}

/// `Warning: TEXT` (its `Warning:` coloured), with its newline.
fn line(text: &str, color: bool) -> String {
    if color {
        format!("{YELLOW}Warning:{RESET} {text}\n")
    } else {
        format!("Warning: {text}\n")
    }
}

fn print(line: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// kubectl's rule (`term.AllowsColorOutput`) on a terminal: colour unless `TERM` is `dumb` or
/// `NO_COLOR` is set (to anything, empty too).
fn colour_allowed(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    env("TERM").is_none_or(|t| t != "dumb") && env("NO_COLOR").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_is_kubectls_line() {
        assert_eq!(line("careful", false), "Warning: careful\n");
        assert_eq!(line("careful", true), "\x1b[33;1mWarning:\x1b[0m careful\n");
    }

    #[test]
    fn colour_follows_kubectls_rule() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert!(colour_allowed(env(&[("TERM", "xterm-256color")])));
        assert!(colour_allowed(env(&[])), "no TERM is not a dumb terminal");
        assert!(!colour_allowed(env(&[("TERM", "dumb")])));
        assert!(!colour_allowed(env(&[("TERM", "xterm"), ("NO_COLOR", "")])));
    }
}
