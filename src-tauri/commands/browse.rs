//! Browsing a cluster: namespaces and live pod lists.

use super::Ctx;
use crate::error::Result;
use crate::ipc::{PodChange, WatchStatus};
use tauri::ipc::Channel;

pub async fn list_namespaces(ctx: &Ctx<'_>, profile: String) -> Result<Vec<String>> {
    ctx.profiles.namespaces(&profile).await
}

pub async fn watch_pods(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    on_event: Channel<Vec<PodChange>>,
    on_status: Channel<WatchStatus>,
) -> Result<u32> {
    ctx.watches
        .watch_pods(
            &ctx.profiles,
            &profile,
            &namespace,
            move |e| on_event.send(e).is_ok(),
            move |s| {
                let _ = on_status.send(s);
            },
        )
        .await
}

pub async fn watch_all_pods(
    ctx: &Ctx<'_>,
    profile: String,
    on_event: Channel<Vec<PodChange>>,
    on_status: Channel<WatchStatus>,
) -> Result<u32> {
    ctx.watches
        .watch_all_pods(
            &ctx.profiles,
            &profile,
            move |e| on_event.send(e).is_ok(),
            move |s| {
                let _ = on_status.send(s);
            },
        )
        .await
}

pub fn stop_watch(ctx: &Ctx<'_>, id: u32) -> Result<()> {
    ctx.watches.stop(id);
    Ok(())
}
