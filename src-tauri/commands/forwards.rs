//! Port forwards in the app: start one on a loopback port (to a pod, or through one of the
//! Services listed), list and watch them, stop one, start the last run's again. The bytes move in the engine; the webview only sees counts and words.

use super::Ctx;
use crate::error::Result;
use crate::ipc::{ForwardInfo, ForwardRequest, ServiceList, ServiceSummary};
use tauri::ipc::Channel;

pub async fn start_forward(ctx: &Ctx<'_>, req: ForwardRequest) -> Result<ForwardInfo> {
    ctx.forwards.start(&ctx.profiles, req).await
}

pub fn stop_forward(ctx: &Ctx<'_>, id: u32) -> Result<()> {
    ctx.forwards.stop(id)
}

pub fn list_forwards(ctx: &Ctx<'_>) -> Result<Vec<ForwardInfo>> {
    Ok(ctx.forwards.list())
}

pub fn watch_forwards(ctx: &Ctx<'_>, on_change: Channel<ForwardInfo>) -> Result<()> {
    ctx.forwards.listen(move |f| on_change.send(f).is_ok());
    Ok(())
}

pub async fn restore_forwards(ctx: &Ctx<'_>) -> Result<Vec<ForwardInfo>> {
    Ok(ctx.forwards.restore(&ctx.profiles).await)
}

pub async fn start_forward_again(ctx: &Ctx<'_>, id: u32) -> Result<ForwardInfo> {
    ctx.forwards.start_again(&ctx.profiles, id).await
}

pub async fn list_services(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
) -> Result<ServiceList> {
    ctx.forwards
        .services(&ctx.profiles, &profile, &namespace)
        .await
}

pub async fn find_service(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    name: String,
) -> Result<Option<ServiceSummary>> {
    ctx.forwards
        .service(&ctx.profiles, &profile, &namespace, &name)
        .await
}
