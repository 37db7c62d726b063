//! The app on the desktop: requests from outside the window, links into the browser.

use super::Ctx;
use crate::error::{Error, Result};
use crate::ipc::{AppRequest, AppSettings, RestoredTabs, SavedTabs};
use podterm_core::opentabs;
use tauri::ipc::Channel;
use tauri::Manager;

/// Requests from the tray, a second launch or a link arrive on this channel (held ones first).
pub fn watch_requests(ctx: &Ctx<'_>, on_request: Channel<AppRequest>) -> Result<()> {
    ctx.desktop
        .requests
        .listen(move |r| on_request.send(r).is_ok());
    Ok(())
}

/// A link the user Ctrl+clicked in a terminal: http(s) only, into the default browser.
pub fn open_url(_ctx: &Ctx<'_>, url: String) -> Result<()> {
    crate::links::open(&url)
}

pub fn config_dir(ctx: &Ctx<'_>) -> Result<Option<String>> {
    Ok(ctx.profiles.config_dir().map(|d| d.display().to_string()))
}

pub fn app_settings(ctx: &Ctx<'_>) -> Result<AppSettings> {
    Ok(AppSettings {
        scrollback_lines: ctx.desktop.scrollback_lines(),
        debug_image: ctx.desktop.debug_image(),
        restore_tabs: ctx.desktop.restore_tabs(),
        log_lines: ctx.desktop.log_lines(),
        tray: ctx.desktop.has_tray(),
        launcher_entry: ctx
            .desktop
            .launcher_entry()
            .map(|p| p.display().to_string()),
        global_shortcut: ctx.desktop.global_shortcut(),
        global_shortcut_keys: podterm_core::settings::GLOBAL_SHORTCUT.to_string(),
        global_shortcut_error: ctx.desktop.shortcut_error(),
        draw_every_byte: ctx.desktop.draw_every_byte(),
    })
}

pub fn set_global_shortcut(ctx: &Ctx<'_>, on: bool) -> Result<()> {
    // Taken first: a shortcut another application holds is refused before it is saved as on.
    crate::shortcut::apply(ctx.handle, on)?;
    if let Err(e) = ctx.desktop.set_global_shortcut(on) {
        let _ = crate::shortcut::apply(ctx.handle, !on);
        return Err(e.into());
    }
    Ok(())
}

pub fn set_draw_every_byte(ctx: &Ctx<'_>, on: bool) -> Result<()> {
    Ok(ctx.desktop.set_draw_every_byte(on)?)
}

pub fn set_restore_tabs(ctx: &Ctx<'_>, on: bool) -> Result<()> {
    ctx.desktop.set_restore_tabs(on)?;
    // The same setting keeps the port forwards for the next start.
    ctx.forwards.set_keeping(on);
    Ok(())
}

pub fn save_open_tabs(ctx: &Ctx<'_>, tabs: SavedTabs) -> Result<()> {
    Ok(ctx.desktop.save_tabs(&tabs)?)
}

/// The last run's tabs, each pod looked for again (a pod replaced by a rollout: its workload's
/// newest Ready pod; `opentabs::restore`). A cluster that cannot be asked leaves the tab as
/// saved: opening it says why.
pub async fn restore_tabs(ctx: &Ctx<'_>) -> Result<RestoredTabs> {
    let saved = ctx.desktop.saved_tabs()?;
    Ok(opentabs::restore(saved, |tab| async move {
        let cluster = ctx.profiles.cluster(&tab.profile).await?;
        let found = opentabs::relocate(
            &cluster.client,
            &tab.namespace,
            &tab.pod,
            Some(tab.container.as_str()).filter(|c| !c.is_empty()),
            tab.owner.as_ref(),
        )
        .await?;
        Ok::<_, LookFor>(found)
    })
    .await)
}

/// Why a saved tab's pod could not be looked for (logged; the tab reopens as saved).
#[derive(Debug, thiserror::Error)]
enum LookFor {
    /// The profile is gone, or its cluster could not be reached.
    #[error(transparent)]
    Profile(#[from] crate::error::Error),
    /// The cluster's answer about the pod or its owner.
    #[error(transparent)]
    Pod(#[from] podterm_core::pods::PodError),
}

pub fn set_scrollback_lines(ctx: &Ctx<'_>, lines: u32) -> Result<u32> {
    let lines = ctx.desktop.set_scrollback_lines(lines)?;
    // Open tabs take the new scrollback at once (ui/src/terminal/view.ts), so do their
    // sessions' tails.
    ctx.sessions.set_scrollback(lines as usize);
    Ok(lines)
}

pub fn set_log_lines(ctx: &Ctx<'_>, lines: u32) -> Result<u32> {
    Ok(ctx.desktop.set_log_lines(lines)?)
}

pub fn set_debug_image(ctx: &Ctx<'_>, image: String) -> Result<String> {
    Ok(ctx.desktop.set_debug_image(&image)?)
}

/// The user agreed to close the window with its sessions (after `AppRequest::ConfirmClose`).
pub fn close_window(ctx: &Ctx<'_>) -> Result<()> {
    ctx.desktop.confirm_close();
    if let Some(w) = ctx.handle.get_webview_window(crate::desktop::MAIN_WINDOW) {
        let _ = w.close();
    }
    Ok(())
}

/// The user agreed to quit with its sessions (after `AppRequest::ConfirmClose` with `quit`).
pub fn quit_app(ctx: &Ctx<'_>) -> Result<()> {
    ctx.handle.exit(0);
    Ok(())
}

/// The native folder dialog titled `title`: the chosen folder, `None` when cancelled. A
/// test-fixtures build takes the folder from `PODTERM_TEST_PICK_FOLDER` when it is set:
/// WebDriver cannot drive a native dialog, so the app e2e presets the answer. A release build
/// has no such hook.
pub(super) async fn native_folder(ctx: &Ctx<'_>, title: &'static str) -> Result<Option<String>> {
    #[cfg(feature = "test-fixtures")]
    if let Some(preset) = std::env::var_os("PODTERM_TEST_PICK_FOLDER") {
        return Ok(Some(preset.to_string_lossy().into_owned()));
    }
    use tauri_plugin_dialog::DialogExt;
    let handle = ctx.handle.clone();
    // The dialog waits for the user: not on a worker of the runtime that runs the transfers.
    let picked = tauri::async_runtime::spawn_blocking(move || {
        handle
            .dialog()
            .file()
            .set_title(title)
            .blocking_pick_folder()
    })
    .await
    .map_err(|e| Error::Dialog(e.to_string()))?;
    match picked.map(|p| p.into_path()) {
        None => Ok(None),
        Some(Ok(path)) => Ok(Some(path.to_string_lossy().into_owned())),
        Some(Err(e)) => Err(Error::Dialog(format!(
            "the chosen folder has no local path: {e}"
        ))),
    }
}
