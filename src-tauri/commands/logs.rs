//! The app's Logs view: a container's log streamed in acknowledged batches, and the pod's
//! details and events beside it.

use super::{Ctx, Raw};
use crate::error::{Error, Result};
use crate::ipc::{LogsState, OpenLogsRequest, PodDetails};
use tauri::ipc::Channel;

/// Output goes out as raw bytes (an `ArrayBuffer` in the webview).
pub fn open_logs(
    ctx: &Ctx<'_>,
    req: OpenLogsRequest,
    on_output: Channel<Raw>,
    on_state: Channel<LogsState>,
) -> Result<u32> {
    Ok(ctx.logs.open(
        &ctx.profiles,
        req,
        move |bytes| on_output.send(Raw::Raw(Vec::from(bytes))).is_ok(),
        move |s| {
            let _ = on_state.send(s);
        },
    ))
}

pub fn ack_logs(ctx: &Ctx<'_>, id: u32, bytes: u32) -> Result<()> {
    ctx.logs.ack(id, bytes as usize);
    Ok(())
}

pub fn close_logs(ctx: &Ctx<'_>, id: u32) -> Result<()> {
    ctx.logs.close(id);
    Ok(())
}

pub async fn pod_details(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    pod: String,
) -> Result<PodDetails> {
    crate::state::logs::pod_details(&ctx.profiles, &profile, &namespace, &pod).await
}

pub async fn save_log(ctx: &Ctx<'_>, file_name: String, text: String) -> Result<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    let handle = ctx.handle.clone();
    // The dialog waits for the user: not on a worker of the runtime that runs the sessions.
    let picked = tauri::async_runtime::spawn_blocking(move || {
        handle
            .dialog()
            .file()
            .set_title("Save the log")
            .set_file_name(file_name)
            .blocking_save_file()
    })
    .await
    .map_err(|e| Error::Dialog(e.to_string()))?;
    let path = match picked.map(|p| p.into_path()) {
        None => return Ok(None),
        Some(Ok(path)) => path,
        Some(Err(e)) => {
            return Err(Error::Dialog(format!(
                "the chosen file has no local path: {e}"
            )))
        }
    };
    let shown = path.display().to_string();
    let written = tauri::async_runtime::spawn_blocking(move || std::fs::write(&path, text))
        .await
        .map_err(|e| Error::Dialog(e.to_string()))?;
    written.map_err(|source| Error::WriteFile {
        path: shown.clone(),
        source,
    })?;
    Ok(Some(shown))
}
