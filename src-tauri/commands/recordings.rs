//! Recordings: a tab's recording started and stopped, the recordings folders listed, a
//! recording read back in pages for the player, deleted, or its folder opened. The webview
//! names a recording by the id the list gave, never by a path.

use super::Ctx;
use crate::error::{Error, Result};
use crate::ipc::{RecordingEntry, RecordingPage};
use podterm_core::text::shown;

/// Starts recording a running session (into its profile's folder); the file's name.
pub fn start_recording(ctx: &Ctx<'_>, id: u32) -> Result<String> {
    let profile = ctx.sessions.profile_of(id).ok_or(Error::SessionEnded(id))?;
    let (folder, input) = ctx.recordings.target(&ctx.profiles, &profile)?;
    let path = ctx.sessions.start_recording(id, &folder, input)?;
    Ok(shown(
        &path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    ))
}

pub fn stop_recording(ctx: &Ctx<'_>, id: u32) -> Result<()> {
    ctx.sessions.stop_recording(id)
}

pub async fn list_recordings(ctx: &Ctx<'_>) -> Result<Vec<RecordingEntry>> {
    let (recordings, profiles) = (ctx.recordings.inner().clone(), ctx.profiles.inner().clone());
    tauri::async_runtime::spawn_blocking(move || recordings.list(&profiles))
        .await
        .map_err(|e| Error::RecordingsInterrupted(e.to_string()))
}

pub async fn read_recording(ctx: &Ctx<'_>, id: String, offset: u64) -> Result<RecordingPage> {
    let (recordings, profiles) = (ctx.recordings.inner().clone(), ctx.profiles.inner().clone());
    tauri::async_runtime::spawn_blocking(move || recordings.read(&profiles, &id, offset))
        .await
        .map_err(|e| Error::RecordingsInterrupted(e.to_string()))?
}

pub fn delete_recording(ctx: &Ctx<'_>, id: String) -> Result<()> {
    ctx.recordings.delete(&ctx.profiles, &id)
}

/// Opens the folder holding a recording in the desktop's file manager.
pub fn open_recordings_folder(ctx: &Ctx<'_>, id: String) -> Result<()> {
    let path = ctx.recordings.resolve(&ctx.profiles, &id)?;
    let folder = path.parent().unwrap_or(&path).to_path_buf();
    open::that_detached(&folder).map_err(|e| {
        Error::Browser(format!(
            "could not open the folder {}: {e}",
            shown(&folder.display().to_string())
        ))
    })
}

/// The native folder dialog for a profile's recordings folder; `null` when cancelled.
pub async fn pick_recordings_folder(ctx: &Ctx<'_>) -> Result<Option<String>> {
    super::desktop::native_folder(ctx, "Recordings folder").await
}
