//! The app as a desktop citizen: its one window (shown, or made again), requests from outside
//! it (tray, second launch, links) and the app settings (close to tray, scrollback lines).

use crate::ipc::AppRequest;
use crate::launch;
use crate::requests::Requests;
use podterm_core::launcher;
use podterm_core::opentabs;
use podterm_core::recent::{Recent, RecentSession};
use podterm_core::settings::{self, Settings, SettingsError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use tauri::{AppHandle, Manager, Runtime, WebviewWindowBuilder};

pub const MAIN_WINDOW: &str = "main";

/// Desktop state beside the registries of [`crate::state`].
pub struct Desktop {
    pub requests: Requests,
    /// Where settings.json lives (`None`: no config directory; the setting is not saved).
    settings_dir: Option<PathBuf>,
    close_to_tray: AtomicBool,
    /// Lines of scrollback each terminal tab keeps.
    scrollback_lines: AtomicU32,
    /// Lines each Logs view keeps.
    log_lines: AtomicU32,
    /// Reopen the last run's tabs at start (they are saved in tabs.json only while this is on).
    restore_tabs: AtomicBool,
    /// The image of the debug containers the app adds.
    debug_image: Mutex<String>,
    /// Why the last settings change was refused (see [`Desktop::set_close_to_tray`]).
    settings_error: Mutex<Option<String>>,
    tray: AtomicBool,
    /// The user confirmed closing the window with sessions open (`close_window`): the next
    /// close request goes through.
    close_confirmed: AtomicBool,
    /// The sessions opened in this run, newest first (the tray's "Recent").
    recent: Mutex<Recent>,
    /// The global shortcut is on (the setting).
    global_shortcut: AtomicBool,
    /// Why the shortcut, on in the settings, could not be taken at start (another application
    /// holds its keys); cleared once the setting is changed.
    shortcut_error: Mutex<Option<String>>,
    /// New terminal sessions draw every byte of a flood (the setting; off: skip what a tab
    /// cannot show).
    draw_every_byte: AtomicBool,
    /// Where the launcher entry with the favourites' actions was last written.
    launcher_entry: Mutex<Option<PathBuf>>,
    /// The window's page ended and was left blank (`pagecrash`): showing the window loads it.
    page_left_blank: AtomicBool,
    /// Podterm is on its way out: a page that ends now is not loaded again.
    exiting: AtomicBool,
}

impl Desktop {
    pub fn new(settings_dir: Option<PathBuf>) -> Self {
        let s = match &settings_dir {
            Some(d) => settings::load(d).unwrap_or_else(|e| {
                tracing::warn!("{e}; using the default settings");
                Settings::default()
            }),
            None => Settings::default(),
        };
        Desktop {
            requests: Requests::default(),
            settings_dir,
            close_to_tray: AtomicBool::new(s.close_to_tray),
            scrollback_lines: AtomicU32::new(settings::bound_scrollback(s.scrollback_lines)),
            log_lines: AtomicU32::new(settings::bound_log_lines(s.log_lines)),
            restore_tabs: AtomicBool::new(s.restore_tabs),
            debug_image: Mutex::new(settings::debug_image_or_default(&s.debug_image)),
            settings_error: Mutex::new(None),
            tray: AtomicBool::new(false),
            close_confirmed: AtomicBool::new(false),
            recent: Mutex::new(Recent::default()),
            launcher_entry: Mutex::new(None),
            global_shortcut: AtomicBool::new(s.global_shortcut),
            shortcut_error: Mutex::new(None),
            draw_every_byte: AtomicBool::new(s.draw_every_byte),
            page_left_blank: AtomicBool::new(false),
            exiting: AtomicBool::new(false),
        }
    }

    /// The window's page ended and is left blank: [`show_window`] loads it again.
    pub fn page_left_blank(&self) {
        self.page_left_blank.store(true, Ordering::SeqCst);
    }

    /// Podterm exits (a signal, the last window closed, Quit).
    pub fn set_exiting(&self) {
        self.exiting.store(true, Ordering::SeqCst);
    }

    pub fn exiting(&self) -> bool {
        self.exiting.load(Ordering::SeqCst)
    }

    pub fn close_to_tray(&self) -> bool {
        self.close_to_tray.load(Ordering::SeqCst)
    }

    /// Changes the setting and saves it. A settings.json that cannot be read (corrupt, or of a
    /// newer Podterm) is never written over: the error names the file and what to do, and the
    /// setting stays as it was, so what the tray shows is what is saved.
    pub fn set_close_to_tray(&self, on: bool) -> Result<(), SettingsError> {
        self.change(|s| s.close_to_tray = on)?;
        self.close_to_tray.store(on, Ordering::SeqCst);
        Ok(())
    }

    pub fn scrollback_lines(&self) -> u32 {
        self.scrollback_lines.load(Ordering::SeqCst)
    }

    /// Changes how many lines of scrollback each tab keeps (cut to
    /// [`settings::MAX_SCROLLBACK_LINES`]) and saves it; returns the value saved. Refused like
    /// [`Desktop::set_close_to_tray`]: nothing written over, the setting as it was.
    pub fn set_scrollback_lines(&self, lines: u32) -> Result<u32, SettingsError> {
        let lines = settings::bound_scrollback(lines);
        self.change(|s| s.scrollback_lines = lines)?;
        self.scrollback_lines.store(lines, Ordering::SeqCst);
        Ok(lines)
    }

    pub fn log_lines(&self) -> u32 {
        self.log_lines.load(Ordering::SeqCst)
    }

    /// Changes how many lines each Logs view keeps (brought within
    /// [`settings::MIN_LOG_LINES`]..=[`settings::MAX_LOG_LINES`]) and saves it; returns the value
    /// saved. Refused like [`Desktop::set_close_to_tray`].
    pub fn set_log_lines(&self, lines: u32) -> Result<u32, SettingsError> {
        let lines = settings::bound_log_lines(lines);
        self.change(|s| s.log_lines = lines)?;
        self.log_lines.store(lines, Ordering::SeqCst);
        Ok(lines)
    }

    pub fn debug_image(&self) -> String {
        crate::state::lock(&self.debug_image).clone()
    }

    /// Changes the debug containers' image (blank: the default) and saves it; returns the
    /// image saved. Refused like [`Desktop::set_close_to_tray`].
    pub fn set_debug_image(&self, image: &str) -> Result<String, SettingsError> {
        let image = settings::debug_image_or_default(image);
        self.change(|s| s.debug_image = image.clone())?;
        *crate::state::lock(&self.debug_image) = image.clone();
        Ok(image)
    }

    pub fn draw_every_byte(&self) -> bool {
        self.draw_every_byte.load(Ordering::SeqCst)
    }

    /// Whether new sessions draw every byte of a flood (saved). Refused like
    /// [`Desktop::set_close_to_tray`].
    pub fn set_draw_every_byte(&self, on: bool) -> Result<(), SettingsError> {
        self.change(|s| s.draw_every_byte = on)?;
        self.draw_every_byte.store(on, Ordering::SeqCst);
        Ok(())
    }

    pub fn restore_tabs(&self) -> bool {
        self.restore_tabs.load(Ordering::SeqCst)
    }

    /// Turns reopening the tabs at start on or off (saved); off also forgets the saved tabs.
    pub fn set_restore_tabs(&self, on: bool) -> Result<(), SettingsError> {
        self.change(|s| s.restore_tabs = on)?;
        self.restore_tabs.store(on, Ordering::SeqCst);
        if !on {
            self.save_tabs(&opentabs::SavedTabs::default())?;
        }
        Ok(())
    }

    /// Saves the open tabs (while reopening them is on; no config directory: nothing).
    pub fn save_tabs(&self, tabs: &opentabs::SavedTabs) -> Result<(), SettingsError> {
        match &self.settings_dir {
            Some(dir) if self.restore_tabs() || tabs.tabs.is_empty() => opentabs::save(dir, tabs),
            _ => Ok(()),
        }
    }

    /// The tabs saved by the last run (none when reopening them is off).
    pub fn saved_tabs(&self) -> Result<opentabs::SavedTabs, SettingsError> {
        match &self.settings_dir {
            Some(dir) if self.restore_tabs() => opentabs::load(dir),
            _ => Ok(opentabs::SavedTabs::default()),
        }
    }

    /// Saves one change of the settings (every other field as the file has it) and records
    /// whether it was refused.
    fn change(&self, f: impl FnOnce(&mut Settings)) -> Result<(), SettingsError> {
        let saved = match &self.settings_dir {
            Some(dir) => settings::update(dir, f).map(drop),
            None => Ok(()),
        };
        let mut last = self
            .settings_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match saved {
            Ok(()) => {
                *last = None;
                Ok(())
            }
            Err(e) => {
                tracing::warn!("the setting was not changed: {e}");
                *last = Some(format!("Setting not changed: {e}"));
                Err(e)
            }
        }
    }

    /// Why the last change of a setting was refused (shown in the tray menu), if it was.
    pub fn settings_error(&self) -> Option<String> {
        self.settings_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A session was opened here (the tray lists it under "Recent").
    pub fn opened(&self, s: RecentSession) {
        crate::state::lock(&self.recent).push(s);
    }

    /// The recent sessions, newest first, each with its key (see [`Recent`]).
    pub fn recent(&self) -> Vec<(u64, RecentSession)> {
        crate::state::lock(&self.recent).list().to_vec()
    }

    /// Where the launcher entry with the favourites' actions is (none written: `None`).
    pub fn launcher_entry(&self) -> Option<PathBuf> {
        crate::state::lock(&self.launcher_entry).clone()
    }

    pub fn global_shortcut(&self) -> bool {
        self.global_shortcut.load(Ordering::SeqCst)
    }

    /// Turns the global shortcut setting on or off (saved); refused like
    /// [`Desktop::set_close_to_tray`].
    pub fn set_global_shortcut(&self, on: bool) -> Result<(), SettingsError> {
        self.change(|s| s.global_shortcut = on)?;
        self.global_shortcut.store(on, Ordering::SeqCst);
        // Taken (or given back) as the user asked: what failed at start no longer holds.
        *crate::state::lock(&self.shortcut_error) = None;
        Ok(())
    }

    /// The shortcut, on in the settings, could not be taken at start: why, for the settings
    /// to show (the setting stays on: the keys may be free at the next start).
    pub fn shortcut_failed(&self, why: String) {
        *crate::state::lock(&self.shortcut_error) = Some(why);
    }

    /// Why the shortcut that is on does not work, if it does not (see
    /// [`Desktop::shortcut_failed`]).
    pub fn shortcut_error(&self) -> Option<String> {
        crate::state::lock(&self.shortcut_error).clone()
    }

    /// A tray icon is shown.
    pub fn has_tray(&self) -> bool {
        self.tray.load(Ordering::SeqCst)
    }

    pub fn set_tray(&self, present: bool) {
        self.tray.store(present, Ordering::SeqCst);
    }

    /// The page asked the user, who chose to close the window with its sessions.
    pub fn confirm_close(&self) {
        self.close_confirmed.store(true, Ordering::SeqCst);
    }

    /// What a press of the window's close button does: hide it (to the tray), ask the page
    /// first (sessions are open and the page listens), or close it. A confirmation counts once.
    pub fn on_close_request(&self, open_sessions: usize, running_transfers: usize) -> CloseAction {
        if self.hides_on_close() {
            return CloseAction::Hide;
        }
        if (open_sessions == 0 && running_transfers == 0)
            || self.close_confirmed.swap(false, Ordering::SeqCst)
        {
            return CloseAction::Close;
        }
        let sessions = u32::try_from(open_sessions).unwrap_or(u32::MAX);
        // A copy whose tab was closed runs on: closing cancels it, so it is asked about too.
        let transfers = u32::try_from(running_transfers).unwrap_or(u32::MAX);
        // A page that does not listen (broken, loading) cannot ask: the window closes.
        if self.requests.send_now(AppRequest::ConfirmClose {
            sessions,
            transfers,
            quit: false,
        }) {
            CloseAction::Ask
        } else {
            CloseAction::Close
        }
    }

    /// What the tray's Quit does: quit at once when nothing runs, else ask the page (which
    /// calls `quit_app` if the user agrees; the caller shows the window for the question).
    /// Quitting ends what runs even when the window only hides on close, so it always asks.
    /// A page that does not listen cannot ask: Podterm quits, as Quit was chosen.
    pub fn on_quit_request(&self, open_sessions: usize, running_transfers: usize) -> QuitAction {
        if open_sessions == 0 && running_transfers == 0 {
            return QuitAction::Quit;
        }
        if self.requests.send_now(AppRequest::ConfirmClose {
            sessions: u32::try_from(open_sessions).unwrap_or(u32::MAX),
            transfers: u32::try_from(running_transfers).unwrap_or(u32::MAX),
            quit: true,
        }) {
            QuitAction::Ask
        } else {
            QuitAction::Quit
        }
    }

    /// Closing the window hides it: a tray icon exists to bring it back, and the user wants that.
    pub fn hides_on_close(&self) -> bool {
        self.tray.load(Ordering::SeqCst) && self.close_to_tray()
    }
}

/// What the window's close button does (see [`Desktop::on_close_request`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Hide it: Podterm keeps running in the tray, tabs and all.
    Hide,
    /// The page asks the user first; it calls `close_window` if they agree.
    Ask,
    /// Close it (its sessions end).
    Close,
}

/// What the tray's Quit does (see [`Desktop::on_quit_request`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitAction {
    /// Quit now: nothing runs, or no page can ask.
    Quit,
    /// The page asks the user first; it calls `quit_app` if they agree.
    Ask,
}

/// Shows and focuses the window, making it again if it is gone, and loading its page again if
/// that was left blank (it ended twice in a row: `pagecrash`).
pub fn show_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(MAIN_WINDOW) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        if app
            .state::<Desktop>()
            .page_left_blank
            .swap(false, Ordering::SeqCst)
        {
            tracing::warn!("the window's page, left blank, is loaded again");
            if let Err(e) = w.reload() {
                tracing::error!("the window's page could not be loaded again: {e}");
            }
        }
        return;
    }
    let Some(cfg) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW)
    else {
        tracing::error!("tauri.conf.json has no \"{MAIN_WINDOW}\" window");
        return;
    };
    match WebviewWindowBuilder::from_config(app, cfg).and_then(|b| b.build()) {
        Ok(w) => {
            let _ = w.set_focus();
        }
        Err(e) => tracing::error!("the window could not be made again: {e}"),
    }
}

/// Brings up the window and asks it to open a tab connected to favourite `name` (what a tray
/// item, `--connect NAME` and `podterm://connect/NAME` do).
pub fn open_favourite<R: Runtime>(app: &AppHandle<R>, name: &str) {
    show_window(app);
    app.state::<Desktop>()
        .requests
        .push(AppRequest::OpenFavourite {
            name: name.to_string(),
        });
}

/// Brings up the window and asks it to open a tab in the recent session's place listed under
/// `key` (the tray's "Recent"); a key gone meanwhile only shows the window.
pub fn open_recent<R: Runtime>(app: &AppHandle<R>, key: u64) {
    show_window(app);
    let d = app.state::<Desktop>();
    let Some(target) = crate::state::lock(&d.recent).get(key).cloned() else {
        // A menu built before the list changed: its place was dropped since.
        tracing::info!("recent session {key} is no longer listed");
        return;
    };
    d.requests.push(AppRequest::OpenSession { target });
}

/// Brings up the window with the quick-open box focused (the tray's "Quick open…").
pub fn quick_open<R: Runtime>(app: &AppHandle<R>) {
    show_window(app);
    app.state::<Desktop>().requests.push(AppRequest::QuickOpen);
}

/// The favourites changed (here or in another process): the tray's menu and the launcher
/// entry's actions follow.
pub fn favourites_changed<R: Runtime>(app: &AppHandle<R>) {
    crate::tray::refresh(app);
    update_launcher(app);
}

/// Writes the desktop entry with one action per favourite to the user's applications folder
/// (quick-connect where there is no tray; see [`podterm_core::launcher`]). Failures are logged:
/// the launcher is a convenience, the app works without it.
pub fn update_launcher<R: Runtime>(app: &AppHandle<R>) {
    let favs = match crate::state::favourites::all(&app.state::<crate::state::Profiles>()) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("the launcher's actions are not updated: {e}");
            return;
        }
    };
    let Some(dir) = launcher::applications_dir(
        std::env::var_os("XDG_DATA_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    ) else {
        tracing::info!("{}", launcher::LauncherError::NoFolder);
        return;
    };
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("the launcher's actions are not updated: this program's path: {e}");
            return;
        }
    };
    let written = match launcher::update(&dir, &exe, &favs) {
        Ok(launcher::Updated::Written { path, .. }) => Some(path),
        Ok(launcher::Updated::Removed { .. }) => None,
        Err(e) => {
            tracing::warn!("{e}");
            None
        }
    };
    *crate::state::lock(&app.state::<Desktop>().launcher_entry) = written;
}

/// Serves a launch's command line (this one's, or a second launch's handed over).
pub fn serve_args<R: Runtime>(app: &AppHandle<R>, args: &[String]) {
    // A test-fixtures build only: `--test-drop PATH...` is served as the window's native drop of
    // those paths at the window's centre would be (WebDriver cannot make a native drop). A
    // release build has no such argument.
    #[cfg(feature = "test-fixtures")]
    if let Some(i) = args.iter().position(|a| a == "--test-drop") {
        let paths = args[i + 1..].iter().map(PathBuf::from).collect();
        files_dropped(app, paths, None);
        return;
    }
    let (names, errors) = launch::connect_requests(args);
    for e in errors {
        tracing::warn!("ignored on the command line: {e}");
    }
    for n in names {
        open_favourite(app, &n);
    }
}

/// Files or folders dropped on the window at `at` (CSS pixels; `None`: the window's centre)
/// go to the page as [`AppRequest::FilesDropped`], only while it listens (a drop is not held
/// for a page that is not there to show it).
pub fn files_dropped<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>, at: Option<(f64, f64)>) {
    if paths.is_empty() {
        return;
    }
    let (x, y) = at.unwrap_or_else(|| {
        app.get_webview_window(MAIN_WINDOW)
            .and_then(|w| {
                let scale = w.scale_factor().ok()?;
                let size = w.inner_size().ok()?.to_logical::<f64>(scale);
                Some((size.width / 2.0, size.height / 2.0))
            })
            .unwrap_or((0.0, 0.0))
    });
    let paths = paths
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let sent = app
        .state::<Desktop>()
        .requests
        .send_now(AppRequest::FilesDropped {
            paths,
            x: x.round() as i32,
            y: y.round() as i32,
        });
    if !sent {
        tracing::warn!("files dropped while no page listens: ignored");
    }
}

/// Follows favourites.json for changes made elsewhere (`podterm favourite add` in a terminal, a
/// second Podterm): the tray menu and the launcher's actions are rebuilt and the UI told to
/// re-read its list. A cheap check
/// of the file's modification time every two seconds.
pub async fn follow_favourites<R: Runtime>(app: AppHandle<R>, file: PathBuf) {
    let stamp = |f: &PathBuf| std::fs::metadata(f).and_then(|m| m.modified()).ok();
    let mut last = stamp(&file);
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let now = stamp(&file);
        if now != last {
            last = now;
            favourites_changed(&app);
            app.state::<Desktop>()
                .requests
                .push(AppRequest::FavouritesChanged);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_with_live_sessions_asks_the_page_first_once() {
        let d = Desktop::new(None);
        // Nothing open: it closes.
        assert_eq!(d.on_close_request(0, 0), CloseAction::Close);
        // Open sessions but no page listening (loading, broken): it closes rather than hang.
        assert_eq!(d.on_close_request(3, 0), CloseAction::Close);
        let asked = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = asked.clone();
        d.requests.listen(move |r| {
            sink.lock().expect("lock").push(r);
            true
        });
        assert_eq!(d.on_close_request(3, 0), CloseAction::Ask);
        // A copy running with no tab open is asked about too: closing cancels it.
        assert_eq!(d.on_close_request(0, 1), CloseAction::Ask);
        assert_eq!(
            *asked.lock().expect("lock"),
            vec![
                AppRequest::ConfirmClose {
                    sessions: 3,
                    transfers: 0,
                    quit: false
                },
                AppRequest::ConfirmClose {
                    sessions: 0,
                    transfers: 1,
                    quit: false
                }
            ]
        );
        // The user agreed (close_window): that close goes through, the next one asks again.
        d.confirm_close();
        assert_eq!(d.on_close_request(3, 0), CloseAction::Close);
        assert_eq!(d.on_close_request(3, 0), CloseAction::Ask);
        // With a tray and the setting on, it hides; nothing ends, nothing to ask.
        d.set_tray(true);
        d.close_to_tray.store(true, Ordering::SeqCst);
        assert_eq!(d.on_close_request(3, 1), CloseAction::Hide);
        assert_eq!(asked.lock().expect("lock").len(), 3);
    }

    #[test]
    fn a_shortcut_not_taken_at_start_is_said_until_the_setting_changes() {
        let dir = tempfile::tempdir().expect("dir");
        let d = Desktop::new(Some(dir.path().to_path_buf()));
        assert_eq!(d.shortcut_error(), None);
        d.shortcut_failed("Ctrl+Alt+K: another application holds it".into());
        assert_eq!(
            d.shortcut_error().as_deref(),
            Some("Ctrl+Alt+K: another application holds it")
        );
        // Turned off (or on again, taken this time): nothing is wrong any more.
        d.set_global_shortcut(false).expect("saved");
        assert_eq!(d.shortcut_error(), None);
    }

    #[test]
    fn the_trays_quit_asks_while_something_runs_even_when_closing_only_hides() {
        let d = Desktop::new(None);
        d.set_tray(true);
        d.close_to_tray.store(true, Ordering::SeqCst);
        // Nothing runs: it quits.
        assert_eq!(d.on_quit_request(0, 0), QuitAction::Quit);
        // No page to ask: Quit was chosen, it quits.
        assert_eq!(d.on_quit_request(2, 0), QuitAction::Quit);
        let asked = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = asked.clone();
        d.requests.listen(move |r| {
            sink.lock().expect("lock").push(r);
            true
        });
        // The window's close only hides (nothing ends), but Quit ends what runs: it asks.
        assert_eq!(d.on_close_request(2, 1), CloseAction::Hide);
        assert_eq!(d.on_quit_request(2, 1), QuitAction::Ask);
        assert_eq!(d.on_quit_request(0, 1), QuitAction::Ask);
        assert_eq!(
            *asked.lock().expect("lock"),
            vec![
                AppRequest::ConfirmClose {
                    sessions: 2,
                    transfers: 1,
                    quit: true
                },
                AppRequest::ConfirmClose {
                    sessions: 0,
                    transfers: 1,
                    quit: true
                }
            ]
        );
    }

    #[test]
    fn toggling_close_to_tray_never_writes_over_an_unreadable_or_newer_settings_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(settings::FILE_NAME);
        for (bad, newer) in [
            (&b"{not json"[..], false),
            (&br#"{"version": 9, "closeToTray": true}"#[..], true),
        ] {
            std::fs::write(&path, bad).expect("write");
            let d = Desktop::new(Some(dir.path().to_path_buf()));
            let before = d.close_to_tray();
            let e = d.set_close_to_tray(!before).expect_err("refused");
            assert_eq!(
                matches!(e, SettingsError::NewerVersion { .. }),
                newer,
                "{e:?}"
            );
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(
                msg.contains("upgrade Podterm") || msg.contains("fix it, or move it away"),
                "{msg}"
            );
            assert_eq!(std::fs::read(&path).expect("read"), bad, "left as it was");
            assert_eq!(d.close_to_tray(), before, "the setting did not change");
            let shown = d.settings_error().expect("shown in the tray menu");
            assert!(shown.contains(&path.display().to_string()), "{shown}");
        }
        // A good file: the change is saved, and the notice goes.
        std::fs::remove_file(&path).expect("rm");
        let d = Desktop::new(Some(dir.path().to_path_buf()));
        d.set_close_to_tray(false).expect("saved");
        assert!(!d.close_to_tray());
        assert!(!settings::load(dir.path()).expect("load").close_to_tray);
        assert_eq!(d.settings_error(), None);
    }

    #[test]
    fn open_tabs_are_saved_while_reopening_is_on_and_forgotten_when_it_is_turned_off() {
        use podterm_core::opentabs::{SavedTab, SavedTabs};
        let dir = tempfile::tempdir().expect("temp dir");
        let d = Desktop::new(Some(dir.path().to_path_buf()));
        assert!(d.restore_tabs(), "on by default");
        let tabs = SavedTabs {
            tabs: vec![SavedTab {
                profile: "p".into(),
                namespace: "n".into(),
                pod: "x".into(),
                container: "c".into(),
                command: None,
                favourite: None,
                owner: None,
                view: podterm_core::opentabs::TabView::Logs,
                debug: None,
                ephemeral: false,
            }],
            active: Some(0),
            ..SavedTabs::default()
        };
        d.save_tabs(&tabs).expect("saved");
        assert_eq!(
            Desktop::new(Some(dir.path().to_path_buf()))
                .saved_tabs()
                .expect("read"),
            tabs
        );
        d.set_restore_tabs(false).expect("off");
        let again = Desktop::new(Some(dir.path().to_path_buf()));
        assert!(!again.restore_tabs(), "off is remembered");
        assert_eq!(again.saved_tabs().expect("read"), SavedTabs::default());
        // While off, nothing is written.
        again.save_tabs(&tabs).expect("nothing to do");
        assert_eq!(
            podterm_core::opentabs::load(dir.path()).expect("read"),
            SavedTabs::default()
        );
    }

    #[test]
    fn scrollback_lines_are_saved_bounded_and_never_write_over_a_newer_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(settings::FILE_NAME);
        let d = Desktop::new(Some(dir.path().to_path_buf()));
        assert_eq!(d.scrollback_lines(), settings::DEFAULT_SCROLLBACK_LINES);
        assert_eq!(d.set_scrollback_lines(50_000).expect("saved"), 50_000);
        assert_eq!(d.scrollback_lines(), 50_000);
        // Toggling close-to-tray keeps the scrollback (it used to save the defaults beside it).
        d.set_close_to_tray(false).expect("saved");
        let saved = settings::load(dir.path()).expect("load");
        assert_eq!(
            (saved.scrollback_lines, saved.close_to_tray),
            (50_000, false)
        );
        assert_eq!(
            Desktop::new(Some(dir.path().to_path_buf())).scrollback_lines(),
            50_000
        );
        assert_eq!(
            d.set_scrollback_lines(u32::MAX).expect("saved"),
            settings::MAX_SCROLLBACK_LINES
        );
        let newer = br#"{"version": 9, "scrollbackLines": 7}"#;
        std::fs::write(&path, newer).expect("write");
        let e = d.set_scrollback_lines(1_000).expect_err("refused");
        assert!(matches!(e, SettingsError::NewerVersion { .. }), "{e:?}");
        // The webview gets it as a `store` error naming the file (set_scrollback_lines).
        let shown = crate::error::Error::from(e);
        assert_eq!(shown.kind(), crate::error::ErrorKind::Store);
        assert!(shown.sentence().contains("newer Podterm"), "{shown}");
        assert_eq!(std::fs::read(&path).expect("read"), newer, "left as it was");
        assert_eq!(d.scrollback_lines(), settings::MAX_SCROLLBACK_LINES);
        assert!(d.settings_error().is_some());
        // No config directory: the setting holds for this run.
        let d = Desktop::new(None);
        assert_eq!(d.set_scrollback_lines(1_000).expect("kept"), 1_000);
        assert_eq!(d.scrollback_lines(), 1_000);
    }
}
