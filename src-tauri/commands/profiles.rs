//! Profiles: list, import, edit by hand, delete, the Demo cluster, the kubeconfig file dialog.

use super::Ctx;
use crate::error::{Error, Result};
use crate::ipc::{ManualProfile, ProfileDetails, ProfileSummary};

pub async fn list_profiles(ctx: &Ctx<'_>) -> Result<Vec<ProfileSummary>> {
    ctx.profiles.list()
}

pub async fn import_kubeconfig(
    ctx: &Ctx<'_>,
    path: Option<String>,
    context: Option<String>,
    all: bool,
) -> Result<Vec<ProfileSummary>> {
    ctx.profiles.import(path, context, all).await
}

pub fn profile_details(ctx: &Ctx<'_>, name: String) -> Result<ProfileDetails> {
    ctx.profiles.details(&name)
}

/// Saves a profile typed by hand; a rename takes its favourites and forwards along.
pub async fn save_profile(ctx: &Ctx<'_>, input: ManualProfile) -> Result<ProfileSummary> {
    crate::state::save_profile(
        &ctx.profiles,
        &ctx.forwards,
        &ctx.sessions,
        &ctx.recordings,
        input,
    )
    .await
}

pub async fn delete_profile(ctx: &Ctx<'_>, name: String) -> Result<()> {
    ctx.profiles.delete(&name).await
}

pub async fn demo_profile(ctx: &Ctx<'_>) -> Result<ProfileSummary> {
    ctx.profiles.demo().await
}

/// The native file dialog for a kubeconfig to import; `None` when the user cancels.
pub async fn pick_kubeconfig(ctx: &Ctx<'_>) -> Result<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    let handle = ctx.handle.clone();
    // The dialog waits for the user: not on a worker of the runtime that runs the sessions.
    let picked = tauri::async_runtime::spawn_blocking(move || {
        handle
            .dialog()
            .file()
            .set_title("Import a kubeconfig")
            .blocking_pick_file()
    })
    .await
    .map_err(|e| Error::Dialog(e.to_string()))?;
    match picked.map(|p| p.into_path()) {
        None => Ok(None),
        Some(Ok(path)) => Ok(Some(path.display().to_string())),
        Some(Err(e)) => Err(Error::Dialog(format!(
            "the chosen file has no local path: {e}"
        ))),
    }
}
