//! The tray icon (libayatana-appindicator on Linux): favourites grouped by profile, the recent
//! sessions, the running port forwards (a click opens one in the browser), how many sessions are
//! live, "Quick open…", "Open Podterm", a setting to keep running
//! in the tray when the window closes, and "Quit". A favourite's item calls
//! [`crate::desktop::open_favourite`], the handler a second launch with `--connect` also uses.
//! On Linux the menu is exported on the session bus (`com.canonical.dbusmenu`); tests/app/tray.mjs
//! reads and clicks it there as a desktop's panel does. Where no tray host runs (no StatusNotifierWatcher on the session bus) there is no
//! icon: that is logged, and closing the window quits.

use crate::desktop::{self, Desktop};
use crate::ipc::{ForwardInfo, ForwardState};
use crate::state::{favourites, Forwards, Profiles, Sessions};
use podterm_core::favourites::Favourite;
use podterm_core::recent;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

const TRAY_ID: &str = "podterm";
const OPEN: &str = "open";
const QUIT: &str = "quit";
const CLOSE_TO_TRAY: &str = "close-to-tray";
const FAVOURITE: &str = "favourite:";
const RECENT: &str = "recent:";
const QUICK_OPEN: &str = "quick-open";
const FORWARD: &str = "forward:";

/// The running forwards' items (id, label), oldest first: `127.0.0.1:8080 → web-1:80 (http)`
/// (through a Service: `→ svc/web:80 (http)`) and the profile. Ended ones are not listed (the
/// window's list says why they ended). An item's id names the forward's local port, whose `url`
/// a click opens.
pub fn forward_items(list: &[ForwardInfo]) -> Vec<(String, String)> {
    list.iter()
        .filter(|f| matches!(f.state, ForwardState::Listening))
        .map(|f| {
            let (to, number) = match &f.service {
                Some(s) => (format!("svc/{}", s.name), s.port),
                None => (f.pod.clone(), f.remote),
            };
            let port = match &f.port_name {
                Some(name) => format!("{number} ({name})"),
                None => number.to_string(),
            };
            (
                format!("{FORWARD}{}", f.local),
                cut_label(&format!(
                    "127.0.0.1:{} \u{2192} {to}:{port}  ·  {}",
                    f.local,
                    podterm_core::text::shown(&f.profile)
                )),
            )
        })
        .collect()
}

/// One line of the menu, before it is made into Tauri menu items (kept apart to be tested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A profile's name above its favourites (not clickable).
    Heading(String),
    /// A favourite: its item id and label.
    Favourite { id: String, label: String },
    /// When there are none.
    Empty,
}

/// The favourite lines: grouped by profile (profiles in the order of their first favourite),
/// favourites in the user's order within each.
pub fn favourite_lines(favs: &[Favourite]) -> Vec<Line> {
    if favs.is_empty() {
        return vec![Line::Empty];
    }
    let mut profiles: Vec<&str> = Vec::new();
    for f in favs {
        if !profiles.contains(&f.profile.as_str()) {
            profiles.push(&f.profile);
        }
    }
    let mut lines = Vec::new();
    for p in profiles {
        lines.push(Line::Heading(cut_label(p)));
        for f in favs.iter().filter(|f| f.profile == p) {
            lines.push(Line::Favourite {
                id: format!("{FAVOURITE}{}", f.name),
                label: cut_label(&format!("{}  ·  {}/{}", f.name, f.namespace, f.target)),
            });
        }
    }
    lines
}

/// Whether a tray host listens on the session bus.
pub fn host_present() -> bool {
    #[cfg(target_os = "linux")]
    {
        let has = || -> zbus::Result<bool> {
            let conn = zbus::blocking::Connection::session()?;
            let dbus = zbus::blocking::fdo::DBusProxy::new(&conn)?;
            Ok(dbus.name_has_owner("org.kde.StatusNotifierWatcher".try_into()?)?)
        };
        match has() {
            Ok(b) => b,
            Err(e) => {
                tracing::info!("no session bus to look for a tray host on: {e}");
                false
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    true
}

fn menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    let favs = match favourites::all(&app.state::<Profiles>()) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("the tray lists no favourites: {e}");
            Vec::new()
        }
    };
    for line in favourite_lines(&favs) {
        match line {
            Line::Heading(p) => menu.append(&MenuItem::new(app, p, false, None::<&str>)?)?,
            Line::Favourite { id, label } => {
                menu.append(&MenuItem::with_id(app, id, label, true, None::<&str>)?)?
            }
            Line::Empty => menu.append(&MenuItem::new(
                app,
                "No favourites yet: star a pod in Podterm",
                false,
                None::<&str>,
            )?)?,
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    let recent = app.state::<Desktop>().recent();
    if !recent.is_empty() {
        menu.append(&MenuItem::new(app, "Recent", false, None::<&str>)?)?;
        for (key, s) in &recent {
            menu.append(&MenuItem::with_id(
                app,
                format!("{RECENT}{key}"),
                cut_label(&s.label()),
                true,
                None::<&str>,
            )?)?;
        }
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    let forwards = forward_items(&app.state::<Forwards>().list());
    if !forwards.is_empty() {
        menu.append(&MenuItem::new(
            app,
            "Port forwards (open in the browser)",
            false,
            None::<&str>,
        )?)?;
        for (id, label) in forwards {
            menu.append(&MenuItem::with_id(app, id, label, true, None::<&str>)?)?;
        }
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    let live = recent::live_label(app.state::<Sessions>().count());
    menu.append(&MenuItem::new(app, live, false, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(
        app,
        QUICK_OPEN,
        "Quick open…",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        OPEN,
        "Open Podterm",
        true,
        None::<&str>,
    )?)?;
    let close_to_tray = app.state::<Desktop>().close_to_tray();
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&CheckMenuItem::with_id(
        app,
        CLOSE_TO_TRAY,
        "Keep running in the tray when the window closes",
        true,
        close_to_tray,
        None::<&str>,
    )?)?;
    if let Some(e) = app.state::<Desktop>().settings_error() {
        menu.append(&MenuItem::new(app, cut_label(&e), false, None::<&str>)?)?;
    }
    menu.append(&MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref();
    if let Some(name) = id.strip_prefix(FAVOURITE) {
        desktop::open_favourite(app, name);
    } else if let Some(i) = id.strip_prefix(RECENT).and_then(|i| i.parse().ok()) {
        desktop::open_recent(app, i);
    } else if let Some(local) = id.strip_prefix(FORWARD).and_then(|p| p.parse::<u16>().ok()) {
        // The page's Open does the same; a failure (no browser) is logged.
        let running = app
            .state::<Forwards>()
            .list()
            .into_iter()
            .find(|f| f.local == local && matches!(f.state, ForwardState::Listening));
        if let Some(f) = running {
            if let Err(e) = crate::links::open(&f.url) {
                tracing::warn!("the forward's address did not open: {e}");
            }
        }
    } else if id == QUICK_OPEN {
        desktop::quick_open(app);
    } else if id == OPEN {
        desktop::show_window(app);
    } else if id == QUIT {
        let open = app.state::<Sessions>().count();
        let copying = app.state::<crate::state::Transfers>().running();
        match app.state::<Desktop>().on_quit_request(open, copying) {
            desktop::QuitAction::Quit => app.exit(0),
            // The question is the page's: the window comes forward to ask it.
            desktop::QuitAction::Ask => desktop::show_window(app),
        }
    } else if id == CLOSE_TO_TRAY {
        let d = app.state::<Desktop>();
        // A refusal (an unreadable or newer settings.json) is logged and shown in the menu.
        let _ = d.set_close_to_tray(!d.close_to_tray());
        refresh(app);
    }
}

/// Creates the tray icon; false (logged) where there is no tray host or it failed.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> bool {
    if !host_present() {
        tracing::info!(
            "no system tray host on this desktop (no StatusNotifierWatcher): no tray icon; closing the window quits Podterm"
        );
        return false;
    }
    let built = menu(app).and_then(|m| {
        let mut b = TrayIconBuilder::with_id(TRAY_ID)
            .tooltip("Podterm")
            .menu(&m)
            .show_menu_on_left_click(true)
            .on_menu_event(on_menu);
        if let Some(icon) = app.default_window_icon() {
            b = b.icon(icon.clone());
        }
        b.build(app)
    });
    match built {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(
                "the tray icon could not be created ({e}); closing the window quits Podterm"
            );
            false
        }
    }
}

/// Rebuilds the menu (favourites or the setting changed).
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    match menu(app) {
        Ok(m) => {
            if let Err(e) = tray.set_menu(Some(m)) {
                tracing::warn!("the tray menu could not be updated: {e}");
            }
        }
        Err(e) => tracing::warn!("the tray menu could not be built: {e}"),
    }
}

/// A menu label from a message: one line, at most 200 characters, `&` shown as itself (the
/// menu takes a lone one for a mnemonic's mark).
fn cut_label(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cut = match one_line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    };
    cut.replace('&', "&&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use podterm_core::favourites::Target;

    fn fav(name: &str, profile: &str) -> Favourite {
        Favourite::new(name, profile, "demo", Target::Pod(name.into()))
    }

    #[test]
    fn grouped_by_profile_in_order() {
        let lines = favourite_lines(&[fav("a", "prod"), fav("b", "dev"), fav("c", "prod")]);
        let ids: Vec<String> = lines
            .iter()
            .map(|l| match l {
                Line::Heading(p) => format!("# {p}"),
                Line::Favourite { id, .. } => id.clone(),
                Line::Empty => "-".into(),
            })
            .collect();
        assert_eq!(
            ids,
            [
                "# prod",
                "favourite:a",
                "favourite:c",
                "# dev",
                "favourite:b"
            ]
        );
        assert_eq!(favourite_lines(&[]), vec![Line::Empty]);
        let Line::Favourite { label, .. } = &lines[1] else {
            panic!("not a favourite line: {:?}", lines[1]);
        };
        assert_eq!(label, "a  ·  demo/pod/a");
        // A menu label's `&` marks a mnemonic (the next letter underlined, the `&` gone):
        // names and profiles are shown as written.
        let lines = favourite_lines(&[fav("db&cache", "dev & ops")]);
        assert_eq!(lines[0], Line::Heading("dev && ops".into()));
        let Line::Favourite { id, label } = &lines[1] else {
            panic!("not a favourite line: {:?}", lines[1]);
        };
        assert_eq!(id, "favourite:db&cache");
        assert_eq!(label, "db&&cache  ·  demo/pod/db&&cache");
    }

    #[test]
    fn running_forwards_listed_by_local_port_ended_ones_not() {
        let f = |local: u16, port_name: Option<&str>, state: ForwardState| ForwardInfo {
            id: u32::from(local),
            profile: "ops".into(),
            namespace: "demo".into(),
            pod: "web-1".into(),
            remote: 80,
            port_name: port_name.map(str::to_string),
            local,
            url: format!("http://127.0.0.1:{local}/"),
            connections: 0,
            open: 0,
            state,
            error: None,
            workload: None,
            note: None,
            revision: 0,
            restartable: false,
            waiting: false,
            service: None,
        };
        let items = forward_items(&[
            f(8080, Some("http"), ForwardState::Listening),
            f(
                8081,
                None,
                ForwardState::Ended {
                    reason: "gone".into(),
                },
            ),
            f(9090, None, ForwardState::Listening),
        ]);
        assert_eq!(
            items,
            [
                (
                    "forward:8080".to_string(),
                    "127.0.0.1:8080 \u{2192} web-1:80 (http)  ·  ops".to_string()
                ),
                (
                    "forward:9090".to_string(),
                    "127.0.0.1:9090 \u{2192} web-1:80  ·  ops".to_string()
                ),
            ]
        );
        // A profile's name as itself: `&` not taken for a mnemonic's mark, a bidi override
        // escaped.
        let mut odd = f(7000, None, ForwardState::Listening);
        odd.profile = "dev&ops\u{202e}".into();
        let label = &forward_items(&[odd])[0].1;
        assert!(label.ends_with("·  dev&&ops\\u{202e}"), "{label}");
        // Through a Service: the Service's port, not the pod's it reaches now.
        let mut via = f(8443, Some("https"), ForwardState::Listening);
        via.remote = 8443;
        via.service = Some(crate::ipc::ForwardService {
            name: "web".into(),
            port: 443,
        });
        assert_eq!(
            forward_items(&[via])[0].1,
            "127.0.0.1:8443 \u{2192} svc/web:443 (https)  ·  ops"
        );
    }
}
