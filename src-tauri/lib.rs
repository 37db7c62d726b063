//! Podterm's desktop app: the Tauri shell over podterm-core. docs/architecture.md has the map.
//!
//! - `contract.rs`: every IPC command declared once; [`commands`] holds their handlers, one
//!   module per area, and the Tauri commands generated from the contract.
//! - [`error`]: the one error every command fails with (`{ kind, message, hint }`).
//! - [`ipc`]: the payloads (TypeScript twins generated into `ui/src/ipc/generated/`).
//! - [`state`]: the registries behind the commands: profiles, sessions, watches; favourites.
//! - [`demo`]: the in-app Demo cluster (testcluster on loopback).
//! - [`desktop`], [`tray`], [`requests`], [`launch`], [`links`]: one window shown or made
//!   again, the tray menu, requests from outside the window, `--connect NAME` and
//!   `podterm://connect/NAME`, links opened in the browser.
//!
//! No Kubernetes logic lives here: that is podterm-core's.

#[macro_use]
#[path = "contract.rs"]
mod contract;

pub mod commands;
pub mod demo;
pub mod desktop;
pub mod error;
pub mod ipc;
pub mod launch;
pub mod links;
#[cfg(target_os = "linux")]
mod pagecrash;
#[cfg(all(feature = "test-fixtures", target_os = "linux"))]
mod probe;
pub mod requests;
pub mod shortcut;
pub mod state;
pub mod tray;
#[cfg(test)]
mod typescript;

pub use commands::COMMANDS;

use tauri::webview::PageLoadEvent;
use tauri::{Manager, WindowEvent};

/// WebKitGTK's compositing mode (GPU layers, even when rendering in software) costs the web
/// process ~90 MB PSS and a terminal of DOM rows gains nothing from it (make bench: idle app
/// 314 → 221 MB PSS). Off unless the user set the variable either way. Before any thread starts:
/// WebKit reads it when it spawns its web process.
///
/// JavaScriptCore lets its heap grow to twice what stayed live after a collection before it
/// collects again (`smallHeapGrowthFactor`, for any heap under a quarter of the RAM). A flood
/// passes hundreds of megabytes through the page as short-lived buffers, and the web process
/// kept the high-water mark of that garbage: 174–288 MB PSS after 200 MiB of output (three
/// runs), 165–171 MB with a factor of 1.25 (four runs; docs/architecture.md, "Memory over long
/// sessions"). JavaScriptCore reads its options from `JSC_*` variables and the web process
/// inherits ours. Each variable is set only if the user has not set it.
fn webkit_environment() {
    #[cfg(target_os = "linux")]
    for (name, value) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("JSC_smallHeapGrowthFactor", JSC_HEAP_GROWTH),
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// The web process's JavaScript heap may grow by this factor over its live size before the next
/// full collection (JavaScriptCore's default is 2). See [`webkit_environment`].
#[cfg(target_os = "linux")]
const JSC_HEAP_GROWTH: &str = "1.25";

/// How long one blink of a text caret takes, for this process's GTK settings: a day, which is a
/// caret that stays still. WebKitGTK repaints and re-sends the whole page to the window for each
/// blink of the caret of the focused text field, and while a terminal tab is open that field is
/// always there (xterm.js's hidden input). At GTK's default 1.2 s that costs ~0.5% of a core
/// with nothing happening (the web process, the app's VBlankMonitor and IPC threads); and with
/// blinking switched off (`gtk-cursor-blink=false`, GNOME's "cursor blink" off) WebKit 2.50
/// repaints on every frame instead: ~3.5%. Measured in docs/architecture.md ("Idle CPU").
/// Terminal cursors are xterm's own (their blink stops after ten seconds, view.ts).
#[cfg(target_os = "linux")]
const CARET_BLINK_MS: i32 = 24 * 60 * 60 * 1000;

/// This process's GTK settings, which WebKit forwards to its web process: a still caret (see
/// [`CARET_BLINK_MS`]). Application-set values win over the desktop's XSETTINGS. On the main
/// thread, with GTK initialised, and before the window exists: Tauri creates the configured
/// window, and WebKit starts its web process, before the setup hook runs, so from the hook the
/// web process's caret depended on WebKit passing the change on to a process already started.
fn steady_caret() {
    #[cfg(target_os = "linux")]
    if let Some(settings) = gtk::Settings::default() {
        use gtk::prelude::GtkSettingsExt;
        settings.set_gtk_cursor_blink(true);
        settings.set_gtk_cursor_blink_time(CARET_BLINK_MS);
    }
}

/// The app's compiled configuration; a test-fixtures build on Linux lets the page reach the
/// transport probe's scheme (`probe.rs`).
fn context() -> tauri::Context {
    #[allow(unused_mut)]
    let mut context = tauri::generate_context!();
    #[cfg(all(feature = "test-fixtures", target_os = "linux"))]
    if let Some(tauri::utils::config::Csp::Policy(csp)) = &mut context.config_mut().app.security.csp
    {
        *csp = csp.replace("connect-src ", &format!("connect-src {}: ", probe::SCHEME));
    }
    context
}

/// The origins of the app's own page, the only ones a page socket accepts: the embedded UI's
/// (`tauri://localhost` on Linux) and, in a debug build, the dev server's (`devUrl`).
fn page_origins() -> Vec<String> {
    let mut origins = vec!["tauri://localhost".to_string()];
    if cfg!(debug_assertions) {
        origins.push("http://localhost:5173".to_string());
    }
    origins
}

/// The page went (it reloads, or its web process ended): it holds no session or watch ids any
/// more, so what it had open ends, and requests for it are held until a page listens again.
pub(crate) fn page_gone(app: &tauri::AppHandle) {
    app.state::<state::Sessions>().close_all();
    app.state::<state::Watches>().close_all();
    app.state::<state::LogViews>().close_all();
    app.state::<desktop::Desktop>().requests.stop_listening();
}

/// Runs the app until its window closes.
pub fn run() {
    webkit_environment();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // The API server's warnings outside a session's opening (a transfer through a debug
    // container, a port forward): in the log, as nothing on screen asked for them.
    podterm_core::warnings::set_process_handler(std::sync::Arc::new(|text: &str| {
        tracing::info!("the API server warned: {text}");
    }));
    let tauri::async_runtime::RuntimeHandle::Tokio(rt) = tauri::async_runtime::handle();
    let profiles = state::Profiles::new(rt.clone(), state::Config::from_env());
    let sessions = state::Sessions::with_ledger(profiles.config_dir());
    let watches = state::Watches::new();
    let log_views = state::LogViews::new();
    let transfers = state::Transfers::new();
    let recordings = state::Recordings::new(podterm_core::recordings::default_folder());
    let desktop_state = desktop::Desktop::new(profiles.config_dir());
    let forwards = state::Forwards::saving_in(profiles.config_dir(), desktop_state.restore_tabs());
    // Credential plugins need the login shell's PATH: ask the shell once, now, not at the
    // first connect.
    rt.spawn(podterm_core::shellenv::plugin_path_once());
    let built = tauri::Builder::default()
        // First: a second launch hands its command line (`--connect NAME`, a podterm:// link)
        // to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            desktop::show_window(app);
            desktop::serve_args(app, &args);
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(shortcut::plugin());
    // A page whose web process ends is loaded again (each window's, also one made again).
    #[cfg(target_os = "linux")]
    let built = built.plugin(pagecrash::plugin());
    let built = built
        // Only for pick_kubeconfig's native file dialog (the webview is allowed none of its
        // own commands).
        .plugin(tauri_plugin_dialog::init())
        .manage(profiles.clone())
        .manage(sessions.clone())
        .manage(watches.clone())
        .manage(log_views.clone())
        .manage(transfers.clone())
        .manage(forwards.clone())
        .manage(recordings)
        .manage(desktop_state)
        .manage(podterm_core::pagesocket::PageSockets::new(page_origins()))
        .invoke_handler(commands::handler())
        .setup({
            let rt = rt.clone();
            move |app| {
                let handle = app.handle().clone();
                let tray = tray::create(&handle);
                app.state::<desktop::Desktop>().set_tray(tray);
                if tray {
                    // The menu's live count and "Recent" follow the sessions.
                    let h = handle.clone();
                    app.state::<state::Sessions>()
                        .on_change(move |_| tray::refresh(&h));
                    // Its port forwards follow the forwards (not their counts), rebuilt in
                    // order on the main thread, each reading the list when it runs.
                    let h = handle.clone();
                    app.state::<state::Forwards>().on_list_change(move || {
                        let on_main = h.clone();
                        if let Err(e) = h.run_on_main_thread(move || tray::refresh(&on_main)) {
                            tracing::warn!("the tray's port forwards not updated: {e}");
                        }
                    });
                }
                desktop::update_launcher(&handle);
                #[cfg(all(feature = "test-fixtures", target_os = "linux"))]
                if let Some(w) = app.get_webview_window(desktop::MAIN_WINDOW) {
                    if let Err(e) = w.with_webview(|v| probe::register(&v.inner())) {
                        tracing::warn!("transport probe: {e}");
                    }
                }
                if app.state::<desktop::Desktop>().global_shortcut() {
                    if let Err(e) = shortcut::apply(&handle, true) {
                        tracing::warn!("{e}");
                        // The settings say why the box that is ticked does nothing.
                        app.state::<desktop::Desktop>()
                            .shortcut_failed(e.to_string());
                    }
                }
                let args: Vec<String> = std::env::args().collect();
                desktop::serve_args(&handle, &args);
                if let Some(dir) = app.state::<state::Profiles>().config_dir() {
                    let file = dir.join(podterm_core::favourites::FILE_NAME);
                    rt.spawn(desktop::follow_favourites(handle.clone(), file));
                }
                // SIGTERM, SIGINT, SIGHUP: leave as the window's close does (the Demo cluster's
                // processes are ended on the way out).
                #[cfg(unix)]
                {
                    let handle = app.handle().clone();
                    rt.spawn(async move {
                        use tokio::signal::unix::{signal, SignalKind};
                        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
                            signal(SignalKind::terminate()),
                            signal(SignalKind::interrupt()),
                            signal(SignalKind::hangup()),
                        ) else {
                            return;
                        };
                        tokio::select! {
                            _ = term.recv() => {}
                            _ = int.recv() => {}
                            _ = hup.recv() => {}
                        }
                        handle.state::<desktop::Desktop>().set_exiting();
                        handle.exit(0);
                    });
                }
                #[cfg(not(unix))]
                let _ = (app, rt);
                Ok(())
            }
        })
        // A reloaded page holds no session or watch ids any more: end what it had open.
        .on_page_load(|webview, payload| {
            if payload.event() == PageLoadEvent::Started {
                page_gone(webview.app_handle());
            }
        })
        // Closing the window keeps Podterm in the tray when there is one and the user wants it
        // (its tabs keep running, hidden); else, with sessions open or copies running, the page
        // asks first.
        .on_window_event(|window, event| {
            // Files dropped on the window: their paths go to the page, which uploads them into
            // the tab under the drop (the webview never reads the files).
            if let WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, position }) = event {
                let at = position.to_logical::<f64>(window.scale_factor().unwrap_or(1.0));
                desktop::files_dropped(window.app_handle(), paths.clone(), Some((at.x, at.y)));
            }
            if let WindowEvent::CloseRequested { api, .. } = event {
                let open = window.state::<state::Sessions>().count();
                let copying = window.state::<state::Transfers>().running();
                match window
                    .state::<desktop::Desktop>()
                    .on_close_request(open, copying)
                {
                    desktop::CloseAction::Hide => {
                        api.prevent_close();
                        let _ = window.hide();
                    }
                    // Live sessions: the page asks first (and calls close_window).
                    desktop::CloseAction::Ask => api.prevent_close(),
                    desktop::CloseAction::Close => {}
                }
            }
        })
        .build(context());
    let tauri_app = match built {
        Ok(a) => a,
        Err(e) => {
            eprintln!("podterm-desktop: cannot start: {e}");
            std::process::exit(1);
        }
    };
    // GTK is up (the event loop is built); the window is not yet.
    steady_caret();
    tauri_app.run(move |app, event| {
        if let tauri::RunEvent::ExitRequested { .. } | tauri::RunEvent::Exit = event {
            app.state::<desktop::Desktop>().set_exiting();
        }
        if let tauri::RunEvent::Exit = event {
            // No tray menu rebuilt on the way out.
            sessions.stop_notifying();
            forwards.stop_notifying();
            sessions.close_all();
            watches.close_all();
            log_views.close_all();
            transfers.cancel_all();
            forwards.stop_all();
            // Before the Demo cluster stops: the copies made for tabs still open.
            sessions.delete_copies(&profiles);
            profiles.shutdown();
        }
    });
}
