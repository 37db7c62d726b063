//! The API server's warnings (`podterm_core::warnings`) on stderr, as kubectl prints them:
//! `Warning: TEXT`, each text once per run, `Warning:` in bold yellow on a terminal. Printed with
//! `-q` too, as kubectl's are.

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
    let color = colored();
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
        print(&line(text, color));
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

/// kubectl's rule: colour when stderr is a terminal whose TERM is known and not `dumb`.
fn colored() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal()
        && std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_is_kubectls_line() {
        assert_eq!(line("careful", false), "Warning: careful\n");
        assert_eq!(line("careful", true), "\x1b[33;1mWarning:\x1b[0m careful\n");
    }
}
