//! Exec sessions: open, keystrokes, resize, acknowledgements, close. All but `open_session`
//! only hand something to a running session; they are `sync` in the contract, so Tauri runs
//! them in the order the webview sent them and keystrokes never overtake each other.

use super::{Ctx, Raw};
use crate::error::Result;
use crate::ipc::{
    CopyPlan, DebugPlan, Deleted, MadeCopy, OpenSessionRequest, RecentSession, SessionState,
};
use crate::state::Sessions;
use bytes::Bytes;
use tauri::ipc::Channel;

/// Whether a session goes to the tray's "Recent": a plain shell only. A debug tab asks first;
/// a copy's or a node's shell runs in a pod of ours made for it (its entry would exec into the
/// crashing original, or into `node/NAME`, which is no pod), as the page's own Recent leaves
/// them out.
fn goes_to_recent(t: &podterm_core::terminal::TerminalRequest) -> bool {
    t.debug.is_none() && t.copy.is_none()
}

/// Output goes out as raw bytes (an `ArrayBuffer` in the webview).
pub fn open_session(
    ctx: &Ctx<'_>,
    req: OpenSessionRequest,
    on_output: Channel<Raw>,
    on_state: Channel<SessionState>,
) -> Result<u32> {
    if goes_to_recent(&req.terminal) {
        ctx.desktop.opened(RecentSession {
            profile: req.profile.clone(),
            namespace: req.terminal.namespace.clone(),
            pod: req.terminal.pod.clone(),
            container: req.terminal.container.clone(),
            command: req.terminal.command.clone(),
        });
    }
    // What a tab behind a flood can still show: its scrollback (and its rows, from the
    // request and each resize); `None`: every byte drawn.
    let skip = (!ctx.desktop.draw_every_byte()).then(|| ctx.desktop.scrollback_lines() as usize);
    let auto = ctx.recordings.auto_for(&ctx.profiles, &req.profile);
    // The page's socket when it opened one, else the `Channel`.
    let socket = req
        .socket
        .as_deref()
        .and_then(|url| ctx.page_sockets.take_url(url));
    if req.socket.is_some() && socket.is_none() {
        tracing::warn!(
            "a session's page socket was unknown, taken or past its time; its output takes the channel"
        );
    }
    Ok(ctx.sessions.open_recorded(
        &ctx.profiles,
        req,
        skip,
        auto,
        move |bytes| match &socket {
            Some(page) => page.send(bytes),
            None => on_output.send(Raw::Raw(Vec::from(bytes))).is_ok(),
        },
        move |s| {
            let _ = on_state.send(s);
        },
    ))
}

/// A one-time page socket's address (podterm_core::pagesocket).
pub async fn page_socket(ctx: &Ctx<'_>) -> Result<String> {
    Ok(ctx.page_sockets.ticket().await?.url)
}

/// What a debug tab would add (or reuse) in the pod, for the user to agree to first.
pub async fn plan_debug(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    pod: String,
    container: String,
    image: String,
) -> Result<DebugPlan> {
    ctx.profiles
        .plan_debug(&profile, &namespace, &pod, &container, &image)
        .await
}

pub async fn plan_copy(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    pod: String,
    container: String,
) -> Result<CopyPlan> {
    Sessions::plan_copy(&ctx.profiles, &profile, &namespace, &pod, &container).await
}

pub async fn plan_node_shell(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    node: String,
    image: String,
) -> Result<CopyPlan> {
    Sessions::plan_node_shell(&ctx.profiles, &profile, &namespace, &node, &image).await
}

pub async fn delete_copy(
    ctx: &Ctx<'_>,
    profile: String,
    namespace: String,
    name: String,
    of: String,
) -> Result<()> {
    ctx.sessions
        .delete_copy(&ctx.profiles, &profile, &namespace, &name, &of)
        .await
}

pub fn left_copies(ctx: &Ctx<'_>) -> Result<Vec<MadeCopy>> {
    Ok(ctx.sessions.left_copies())
}

pub async fn delete_left_copy(ctx: &Ctx<'_>, copy: MadeCopy) -> Result<Deleted> {
    ctx.sessions.delete_left_copy(&ctx.profiles, copy).await
}

pub async fn keep_left_copies(ctx: &Ctx<'_>) -> Result<()> {
    ctx.sessions.keep_left_copies().await
}

pub fn send_input(ctx: &Ctx<'_>, id: u32, data: String) -> Result<()> {
    ctx.sessions.send_input(id, Bytes::from(data))
}

pub fn resize(ctx: &Ctx<'_>, id: u32, cols: u16, rows: u16) -> Result<()> {
    ctx.sessions.resize(id, cols, rows)
}

pub fn ack(ctx: &Ctx<'_>, id: u32, bytes: u32, draw_us: u32) -> Result<()> {
    let draw = std::time::Duration::from_micros(u64::from(draw_us));
    ctx.sessions.ack(id, bytes as usize, draw);
    Ok(())
}

pub fn close_session(ctx: &Ctx<'_>, id: u32) -> Result<()> {
    ctx.sessions.close(id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::goes_to_recent;
    use podterm_core::terminal::{CopyRequest, DebugRequest, TerminalRequest};

    #[test]
    fn only_a_plain_shell_goes_to_recent() {
        let plain: TerminalRequest = serde_json::from_value(serde_json::json!({
            "namespace": "demo", "pod": "shell", "container": "main", "command": null,
            "cols": 80, "rows": 24,
        }))
        .expect("request");
        assert!(goes_to_recent(&plain));
        let node = TerminalRequest {
            pod: "node/testnode".into(),
            copy: Some(CopyRequest {
                name: "node-debugger-testnode".into(),
                image: Some("busybox:1.36".into()),
            }),
            ..plain.clone()
        };
        assert!(!goes_to_recent(&node));
        let debug = TerminalRequest {
            debug: Some(DebugRequest {
                image: "busybox:1.36".into(),
                name: String::new(),
            }),
            ..plain
        };
        assert!(!goes_to_recent(&debug));
    }
}
