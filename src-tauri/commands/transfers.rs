//! Files in the app: uploads (a drop on a tab), downloads (a tab's Download…), the transfers
//! list, and what the dialogs need (the container's working directory, a directory's entries,
//! a local folder). The bytes move in the engine; the webview names paths only.

use super::Ctx;
use crate::error::{Error, Result};
use crate::ipc::{TransferInfo, TransferTarget};
use crate::state::transfers::resolve_target;
use podterm_core::exec::Tuning;
use tauri::ipc::Channel;

pub async fn start_upload(
    ctx: &Ctx<'_>,
    target: TransferTarget,
    paths: Vec<String>,
    dir: String,
) -> Result<Vec<TransferInfo>> {
    ctx.transfers.upload(&ctx.profiles, target, paths, dir)
}

pub async fn start_download(
    ctx: &Ctx<'_>,
    target: TransferTarget,
    pod_path: String,
    folder: String,
) -> Result<TransferInfo> {
    ctx.transfers
        .download(&ctx.profiles, target, pod_path, folder)
}

pub fn cancel_transfer(ctx: &Ctx<'_>, id: u32) -> Result<()> {
    ctx.transfers.cancel(id)
}

pub fn list_transfers(ctx: &Ctx<'_>) -> Result<Vec<TransferInfo>> {
    Ok(ctx.transfers.list())
}

pub fn watch_transfers(ctx: &Ctx<'_>, on_change: Channel<TransferInfo>) -> Result<()> {
    ctx.transfers.listen(move |t| on_change.send(t).is_ok());
    Ok(())
}

pub fn clear_transfers(ctx: &Ctx<'_>) -> Result<()> {
    ctx.transfers.clear_finished();
    Ok(())
}

pub async fn transfer_sha256(ctx: &Ctx<'_>, id: u32) -> Result<String> {
    ctx.transfers.sha256(id).await
}

pub async fn pod_working_dir(ctx: &Ctx<'_>, target: TransferTarget) -> Result<String> {
    let (c, t) = resolve_target(&ctx.profiles, &target).await?;
    let debug = target.fallback().debug_image;
    podterm_core::podfs::working_dir_via(&c.client, &t, debug.as_deref(), Tuning::with(c.liveness))
        .await
        .map_err(|e| Error::from_call(&target.profile, e))
}

pub async fn list_pod_dir(
    ctx: &Ctx<'_>,
    target: TransferTarget,
    dir: String,
) -> Result<Vec<String>> {
    let (c, t) = resolve_target(&ctx.profiles, &target).await?;
    let debug = target.fallback().debug_image;
    podterm_core::podfs::list_dir_via(
        &c.client,
        &t,
        &dir,
        debug.as_deref(),
        Tuning::with(c.liveness),
    )
    .await
    .map_err(|e| Error::from_call(&target.profile, e))
}

/// The native folder dialog for a download's destination; `null` when cancelled.
pub async fn pick_folder(ctx: &Ctx<'_>) -> Result<Option<String>> {
    super::desktop::native_folder(ctx, "Download into folder").await
}
