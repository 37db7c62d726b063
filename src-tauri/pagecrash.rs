//! The page's web process ended under the window (WebKitGTK's `web-process-terminated`: a
//! crash, its memory limit, killed by the system). The window would stay blank for good, its
//! tabs' sessions running for nobody, and the tray's Quit and the close button would ask a page
//! that is not there. The page is loaded again instead: it reopens the saved tabs as a start
//! does, and what the old page had open is ended as for any reload ([`crate::page_gone`]).
//! Not while Podterm exits (a signal to its process group ends the web process too).

use std::cell::Cell;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Manager};
use webkit2gtk::{WebProcessTerminationReason, WebViewExt};

/// Watches each webview as it is made ([`watch`]).
pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri::plugin::Builder::new("pagecrash")
        .on_webview_ready(|webview| {
            let app = webview.app_handle().clone();
            if let Err(e) = webview.with_webview(move |v| watch(&v.inner(), app)) {
                tracing::warn!("a page whose web process ends will not be loaded again: {e}");
            }
        })
        .build()
}

/// A page that ends again this soon after it was loaded again is left ended, or one that ends
/// at each load would be loaded for ever: the window stays blank (Quit and the close button
/// work: nothing is left to ask about) until it is shown again ([`crate::desktop::show_window`]:
/// the tray's item, a second start), which loads it.
const AGAIN_AFTER: Duration = Duration::from_secs(30);

/// Loads `view`'s page again whenever its web process ends, unless it ended within
/// [`AGAIN_AFTER`] of the last time.
pub fn watch(view: &webkit2gtk::WebView, app: AppHandle) {
    let last: Cell<Option<Instant>> = Cell::new(None);
    view.connect_web_process_terminated(move |view, reason| {
        let why = match reason {
            WebProcessTerminationReason::Crashed => "it crashed",
            WebProcessTerminationReason::ExceededMemoryLimit => "it used more memory than allowed",
            // Only a call to end it says so (Podterm makes none): not a page that died.
            WebProcessTerminationReason::TerminatedByApi => return,
            _ => "for an unknown reason",
        };
        let desktop = app.state::<crate::desktop::Desktop>();
        if desktop.exiting() {
            return;
        }
        crate::page_gone(&app);
        if last.get().is_some_and(|t| t.elapsed() < AGAIN_AFTER) {
            tracing::error!(
                "the window's page ended again ({why}): it is left blank until the window is shown again (the tray's item, or starting Podterm again)"
            );
            desktop.page_left_blank();
            return;
        }
        tracing::warn!("the window's page ended ({why}): loading it again");
        last.set(Some(Instant::now()));
        view.reload();
    });
}
