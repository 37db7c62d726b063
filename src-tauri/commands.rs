//! The IPC commands: each parses, calls the app state, and gives errors as text the user can
//! act on. The names and arguments are the UI's contract (see ui/src/ipc/generated/).
//!
//! Commands that only hand something to a running session or watch are synchronous: Tauri runs
//! them one after another in the order the webview sent them, so keystrokes never overtake
//! each other.

use crate::app::App;
use crate::desktop::Desktop;
use crate::ipc::{
    AppRequest, FavouriteSummary, OpenSessionRequest, PodEvent, ProfileDetails, ProfileInput,
    ProfileSummary, ResolvedFavourite, SessionState, WatchStatus,
};
use crate::tray;
use bytes::Bytes;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::{AppHandle, State};

type Res<T> = Result<T, String>;

#[tauri::command]
pub async fn list_profiles(app: State<'_, App>) -> Res<Vec<ProfileSummary>> {
    app.list_profiles()
}

#[tauri::command]
pub async fn import_kubeconfig(
    app: State<'_, App>,
    path: Option<String>,
    context: Option<String>,
    all: bool,
) -> Res<Vec<ProfileSummary>> {
    app.import_kubeconfig(path, context, all).await
}

#[tauri::command]
pub fn profile_details(app: State<'_, App>, name: String) -> Res<ProfileDetails> {
    app.profile_details(&name)
}

#[tauri::command]
pub async fn save_profile(app: State<'_, App>, input: ProfileInput) -> Res<ProfileSummary> {
    app.save_profile(input).await
}

/// The native file dialog for a kubeconfig to import; `None` when the user cancels.
#[tauri::command]
pub async fn pick_kubeconfig(handle: AppHandle) -> Res<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    // The dialog waits for the user: not on a worker of the runtime that runs the sessions.
    let picked = tauri::async_runtime::spawn_blocking(move || {
        handle
            .dialog()
            .file()
            .set_title("Import a kubeconfig")
            .blocking_pick_file()
    })
    .await
    .map_err(|e| format!("the file dialog failed: {e}"))?;
    match picked.map(|p| p.into_path()) {
        None => Ok(None),
        Some(Ok(path)) => Ok(Some(path.display().to_string())),
        Some(Err(e)) => Err(format!("the chosen file has no local path: {e}")),
    }
}

#[tauri::command]
pub async fn delete_profile(app: State<'_, App>, name: String) -> Res<()> {
    app.delete_profile(&name).await
}

#[tauri::command]
pub async fn demo_profile(app: State<'_, App>) -> Res<ProfileSummary> {
    app.demo_profile().await
}

#[tauri::command]
pub async fn list_namespaces(app: State<'_, App>, profile: String) -> Res<Vec<String>> {
    app.list_namespaces(&profile).await
}

#[tauri::command]
pub async fn watch_pods(
    app: State<'_, App>,
    profile: String,
    namespace: String,
    on_event: Channel<PodEvent>,
    on_status: Channel<WatchStatus>,
) -> Res<u32> {
    app.watch_pods(
        &profile,
        &namespace,
        move |e| on_event.send(e).is_ok(),
        move |s| {
            let _ = on_status.send(s);
        },
    )
    .await
}

#[tauri::command]
pub fn stop_watch(app: State<'_, App>, id: u32) {
    app.stop_watch(id)
}

/// Output goes out as raw bytes (`InvokeResponseBody::Raw`: an `ArrayBuffer` in the webview,
/// never a JSON array of numbers).
#[tauri::command]
pub fn open_session(
    app: State<'_, App>,
    req: OpenSessionRequest,
    on_output: Channel<InvokeResponseBody>,
    on_state: Channel<SessionState>,
) -> u32 {
    app.open_session(
        req,
        move |bytes| {
            on_output
                .send(InvokeResponseBody::Raw(Vec::from(bytes)))
                .is_ok()
        },
        move |s| {
            let _ = on_state.send(s);
        },
    )
}

#[tauri::command]
pub fn send_input(app: State<'_, App>, id: u32, data: String) -> Res<()> {
    app.send_input(id, Bytes::from(data))
}

#[tauri::command]
pub fn resize(app: State<'_, App>, id: u32, cols: u16, rows: u16) -> Res<()> {
    app.resize(id, cols, rows)
}

#[tauri::command]
pub fn ack(app: State<'_, App>, id: u32, bytes: usize) {
    app.ack(id, bytes)
}

#[tauri::command]
pub fn close_session(app: State<'_, App>, id: u32) {
    app.close_session(id)
}

#[tauri::command]
pub fn list_favourites(app: State<'_, App>) -> Res<Vec<FavouriteSummary>> {
    app.list_favourites()
}

/// Stars a pod: favourites the workload that owns it.
#[tauri::command]
pub async fn add_favourite(
    handle: AppHandle,
    app: State<'_, App>,
    profile: String,
    namespace: String,
    pod: String,
    container: Option<String>,
) -> Res<FavouriteSummary> {
    let f = app
        .add_favourite(&profile, &namespace, &pod, container)
        .await?;
    tray::refresh(&handle);
    Ok(f)
}

#[tauri::command]
pub fn rename_favourite(
    handle: AppHandle,
    app: State<'_, App>,
    name: String,
    new_name: String,
) -> Res<()> {
    app.rename_favourite(&name, &new_name)?;
    tray::refresh(&handle);
    Ok(())
}

#[tauri::command]
pub fn delete_favourite(handle: AppHandle, app: State<'_, App>, name: String) -> Res<()> {
    app.delete_favourite(&name)?;
    tray::refresh(&handle);
    Ok(())
}

#[tauri::command]
pub fn reorder_favourites(handle: AppHandle, app: State<'_, App>, names: Vec<String>) -> Res<()> {
    app.reorder_favourites(&names)?;
    tray::refresh(&handle);
    Ok(())
}

#[tauri::command]
pub async fn resolve_favourite(app: State<'_, App>, name: String) -> Res<ResolvedFavourite> {
    app.resolve_favourite(&name).await
}

/// A link the user Ctrl+clicked in a terminal: http(s) only, into the default browser.
#[tauri::command]
pub fn open_url(url: String) -> Res<()> {
    crate::links::open(&url)
}

/// Requests from the tray, a second launch or a link arrive on this channel (held ones first).
#[tauri::command]
pub fn watch_requests(desktop: State<'_, Desktop>, on_request: Channel<AppRequest>) {
    desktop.requests.listen(move |r| on_request.send(r).is_ok());
}
