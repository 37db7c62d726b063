//! The global shortcut (`tauri-plugin-global-shortcut`; on X11 a key grab on the root window):
//! off by default, turned on in the app's settings. Pressed in any application, it brings
//! Podterm forward with the quick-open box focused ([`crate::desktop::quick_open`]). Only Rust
//! uses the plugin: the webview is given none of its commands.

use crate::error::{Error, Result};
use podterm_core::settings::GLOBAL_SHORTCUT;
use tauri::{AppHandle, Runtime};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

/// The plugin, its handler calling quick open on a press.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _shortcut, event| {
            if event.state() == ShortcutState::Pressed {
                crate::desktop::quick_open(app);
            }
        })
        .build()
}

/// Takes the shortcut from the desktop (`on`) or gives it back.
pub fn apply<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<()> {
    let gs = app.global_shortcut();
    let registered = gs.is_registered(GLOBAL_SHORTCUT);
    let done = match (on, registered) {
        (true, false) => gs.register(GLOBAL_SHORTCUT),
        (false, true) => gs.unregister(GLOBAL_SHORTCUT),
        _ => Ok(()),
    };
    done.map_err(|e| Error::Shortcut {
        keys: GLOBAL_SHORTCUT.to_string(),
        reason: e.to_string(),
    })
}
