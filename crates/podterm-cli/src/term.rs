//! The local terminal: raw mode that is always restored (on drop, on panic, on signals), its
//! size, and whether stdin is a terminal.

use rustix::termios::{self, OptionalActions, Termios};
use std::sync::Mutex;

/// The settings to put back, shared with the panic hook and signal handlers.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

pub fn stdin_is_terminal() -> bool {
    termios::isatty(std::io::stdin())
}

/// Whether stdout is a terminal.
pub fn stdout_is_terminal() -> bool {
    termios::isatty(std::io::stdout())
}

/// Whether stderr is a terminal (progress is shown there, and only there).
pub fn stderr_is_terminal() -> bool {
    termios::isatty(std::io::stderr())
}

/// The size of the terminal on stdout (or stdin), as (columns, rows).
pub fn size() -> Option<(u16, u16)> {
    termios::tcgetwinsize(std::io::stdout())
        .or_else(|_| termios::tcgetwinsize(std::io::stdin()))
        .ok()
        .filter(|w| w.ws_col > 0 && w.ws_row > 0)
        .map(|w| (w.ws_col, w.ws_row))
}

/// Puts the saved settings back, if any were saved. Safe to call more than once.
pub fn restore() {
    let saved = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(t) = saved {
        let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &t);
    }
}

/// Raw mode on stdin until dropped.
pub struct RawMode;

impl RawMode {
    pub fn enable() -> std::io::Result<RawMode> {
        let stdin = std::io::stdin();
        let original = termios::tcgetattr(&stdin)?;
        let mut raw = original.clone();
        raw.make_raw();
        *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(original);
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            prev(info);
        }));
        termios::tcsetattr(&stdin, OptionalActions::Now, &raw)?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}
