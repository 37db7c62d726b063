//! App settings that are not cluster profiles: `settings.json` beside the profiles, a
//! [`VersionedFile`] (atomic writes under the lock `settings.lock`, a newer or unreadable file
//! never written over, unknown fields kept). A missing file means the defaults.

use crate::store::{Extra, FileSpec, StoreError, VersionedFile};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The version this Podterm writes.
pub const FORMAT_VERSION: u32 = 1;
/// The settings file's name inside the config directory.
pub const FILE_NAME: &str = "settings.json";
/// The lock file's name inside the config directory.
pub const LOCK_NAME: &str = "settings.lock";
/// The settings file, for [`VersionedFile`].
pub const SPEC: FileSpec = FileSpec {
    file_name: FILE_NAME,
    lock_name: LOCK_NAME,
    version: FORMAT_VERSION,
    noun: "settings",
    fresh: "use the defaults",
};

/// Why the settings could not be read or saved: the settings have no errors of their own.
pub type SettingsError = StoreError;

/// Lines of scrollback a terminal tab keeps unless the user chose otherwise.
pub const DEFAULT_SCROLLBACK_LINES: u32 = 10_000;
/// The most scrollback lines a tab may keep: at about 2.5 KB a line in the web process
/// (docs/architecture.md, "Memory over long sessions") that is about 250 MB a tab.
pub const MAX_SCROLLBACK_LINES: u32 = 100_000;

/// Lines a Logs view keeps unless the user chose otherwise (the oldest go first).
pub const DEFAULT_LOG_LINES: u32 = 10_000;
/// The fewest lines a Logs view may keep.
pub const MIN_LOG_LINES: u32 = 100;
/// The most lines a Logs view may keep: its memory in the web process (the lines and their
/// DOM rows) is bounded by this, however long the follow.
pub const MAX_LOG_LINES: u32 = 100_000;

/// `lines` within `MIN_LOG_LINES..=MAX_LOG_LINES`.
pub fn bound_log_lines(lines: u32) -> u32 {
    lines.clamp(MIN_LOG_LINES, MAX_LOG_LINES)
}

/// The image of the app's debug containers unless the user chose another: a small public
/// image with a shell and the usual tools.
pub const DEFAULT_DEBUG_IMAGE: &str = "busybox:1.36";

/// `lines` within `0..=MAX_SCROLLBACK_LINES`: more is cut to the maximum.
pub fn bound_scrollback(lines: u32) -> u32 {
    lines.min(MAX_SCROLLBACK_LINES)
}

/// The keys of the global shortcut (the `globalShortcut` setting), as the desktop's shortcut
/// service takes them.
pub const GLOBAL_SHORTCUT: &str = "Ctrl+Alt+K";

/// The settings. Missing fields take their defaults; unknown ones are kept on save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Closing the window keeps Podterm running in the tray (where a tray exists).
    pub close_to_tray: bool,
    /// Lines of scrollback each terminal tab keeps, within `0..=MAX_SCROLLBACK_LINES`: a value
    /// out of range in the file (negative, too large, a fraction) is brought into it on load and
    /// on save rather than refusing the whole file.
    #[serde(deserialize_with = "scrollback_in_range")]
    pub scrollback_lines: u32,
    /// Reopen the last run's tabs at start (`tabs.json`, see [`crate::opentabs`]).
    pub restore_tabs: bool,
    /// The image of the debug containers the app adds to pods whose container has no shell;
    /// blank in the file means the default.
    #[serde(deserialize_with = "image_or_default")]
    pub debug_image: String,
    /// Lines each Logs view keeps, within `MIN_LOG_LINES..=MAX_LOG_LINES` (out of range in the
    /// file: brought into it, as the scrollback is).
    #[serde(deserialize_with = "log_lines_in_range")]
    pub log_lines: u32,
    /// [`GLOBAL_SHORTCUT`] brings Podterm forward with quick open from any application (off
    /// unless the user turns it on: it takes the keys from every other application).
    pub global_shortcut: bool,
    /// A terminal tab draws every byte of a flood, in order, however far behind it falls. Off
    /// (the default): output the tab could no longer show is skipped while it is behind, and
    /// its screen and scrollback end as if it had drawn everything ([`crate::tail`]).
    pub draw_every_byte: bool,
    /// Fields a newer Podterm wrote, kept on save.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            close_to_tray: true,
            scrollback_lines: DEFAULT_SCROLLBACK_LINES,
            restore_tabs: true,
            debug_image: DEFAULT_DEBUG_IMAGE.to_string(),
            log_lines: DEFAULT_LOG_LINES,
            global_shortcut: false,
            draw_every_byte: false,
            extra: Extra::new(),
        }
    }
}

/// Any JSON number, brought into `0..=MAX_SCROLLBACK_LINES` (rounded).
fn scrollback_in_range<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = f64::deserialize(d)?;
    Ok(if n.is_nan() {
        DEFAULT_SCROLLBACK_LINES
    } else {
        // In range after the clamp, so the cast neither wraps nor saturates.
        n.round().clamp(0.0, f64::from(MAX_SCROLLBACK_LINES)) as u32
    })
}

/// Any JSON number, brought into `MIN_LOG_LINES..=MAX_LOG_LINES` (rounded).
fn log_lines_in_range<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = f64::deserialize(d)?;
    Ok(if n.is_nan() {
        DEFAULT_LOG_LINES
    } else {
        // In range after the clamp, so the cast neither wraps nor saturates.
        n.round()
            .clamp(f64::from(MIN_LOG_LINES), f64::from(MAX_LOG_LINES)) as u32
    })
}

/// A string, blank meaning [`DEFAULT_DEBUG_IMAGE`]; surrounding white space dropped.
fn image_or_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    Ok(debug_image_or_default(&s))
}

/// `image` trimmed, or [`DEFAULT_DEBUG_IMAGE`] when blank.
pub fn debug_image_or_default(image: &str) -> String {
    match image.trim() {
        "" => DEFAULT_DEBUG_IMAGE.to_string(),
        i => i.to_string(),
    }
}

fn file(dir: &Path) -> VersionedFile<Settings> {
    VersionedFile::new(dir, SPEC)
}

/// Reads `dir/settings.json`; the defaults when there is none.
pub fn load(dir: &Path) -> Result<Settings, StoreError> {
    file(dir).read()
}

/// Writes `settings` to `dir/settings.json` (creating `dir`). Fields of the file this Podterm
/// does not know are kept; a file that cannot be read is an error and stays as it is.
pub fn save(dir: &Path, settings: &Settings) -> Result<(), StoreError> {
    file(dir).update(|current| {
        let mut extra = std::mem::take(&mut current.extra);
        extra.extend(settings.extra.clone());
        *current = Settings {
            extra,
            scrollback_lines: bound_scrollback(settings.scrollback_lines),
            log_lines: bound_log_lines(settings.log_lines),
            ..settings.clone()
        };
        Ok(())
    })
}

/// Changes the saved settings with `change` under the lock, keeping every field it does not
/// touch (a change of one setting never resets another). A file that cannot be read is an error
/// and stays as it is. Returns the settings as saved.
pub fn update(dir: &Path, change: impl FnOnce(&mut Settings)) -> Result<Settings, StoreError> {
    file(dir).update(|current| {
        change(current);
        current.scrollback_lines = bound_scrollback(current.scrollback_lines);
        current.debug_image = debug_image_or_default(&current.debug_image);
        current.log_lines = bound_log_lines(current.log_lines);
        Ok(current.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_bad_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(load(dir.path()).expect("defaults").close_to_tray);
        save(
            dir.path(),
            &Settings {
                close_to_tray: false,
                ..Settings::default()
            },
        )
        .expect("save");
        assert!(!load(dir.path()).expect("load").close_to_tray);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).expect("read");
        assert!(text.contains("\"version\": 1"), "{text}");
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").expect("write");
        let e = load(dir.path()).expect_err("bad file");
        assert!(
            e.to_string()
                .contains("is not a valid Podterm settings file"),
            "{e}"
        );
        assert!(
            e.to_string()
                .ends_with("fix it, or move it away to use the defaults"),
            "{e}"
        );
        // The bad file is left as it was, even by a save.
        assert!(save(dir.path(), &Settings::default()).is_err());
        assert_eq!(
            std::fs::read(dir.path().join(FILE_NAME)).expect("read"),
            b"{not json"
        );
        std::fs::write(dir.path().join(FILE_NAME), br#"{"version": 9}"#).expect("write");
        assert!(matches!(
            load(dir.path()),
            Err(SettingsError::NewerVersion { found: 9, .. })
        ));
    }

    #[test]
    fn the_debug_image_defaults_when_missing_or_blank_and_keeps_a_choice() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            load(dir.path()).expect("defaults").debug_image,
            DEFAULT_DEBUG_IMAGE
        );
        std::fs::write(
            dir.path().join(FILE_NAME),
            br#"{"version": 1, "debugImage": "   "}"#,
        )
        .expect("write");
        assert_eq!(
            load(dir.path()).expect("blank").debug_image,
            DEFAULT_DEBUG_IMAGE
        );
        let saved =
            update(dir.path(), |s| s.debug_image = " nicolaka/netshoot ".into()).expect("update");
        assert_eq!(saved.debug_image, "nicolaka/netshoot");
        assert_eq!(
            load(dir.path()).expect("load").debug_image,
            "nicolaka/netshoot"
        );
        let cleared = update(dir.path(), |s| s.debug_image = String::new()).expect("update");
        assert_eq!(cleared.debug_image, DEFAULT_DEBUG_IMAGE);
    }

    #[test]
    fn unknown_settings_survive_a_save() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(FILE_NAME),
            br#"{"version": 1, "closeToTray": true, "theme": "dark"}"#,
        )
        .expect("write");
        save(
            dir.path(),
            &Settings {
                close_to_tray: false,
                ..Settings::default()
            },
        )
        .expect("save");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(FILE_NAME)).expect("read"))
                .expect("json");
        assert_eq!(v["theme"], "dark", "{v}");
        assert_eq!(v["closeToTray"], false, "{v}");
        assert_eq!(v["scrollbackLines"], 10_000, "{v}");
    }

    #[test]
    fn scrollback_defaults_round_trips_and_is_bounded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        assert_eq!(
            load(dir.path()).expect("defaults").scrollback_lines,
            DEFAULT_SCROLLBACK_LINES
        );
        // A file of an older Podterm, without the field: the default.
        std::fs::write(&path, br#"{"version": 1, "closeToTray": false}"#).expect("write");
        assert_eq!(load(dir.path()).expect("load").scrollback_lines, 10_000);
        let saved = update(dir.path(), |s| s.scrollback_lines = 50_000).expect("update");
        assert_eq!(saved.scrollback_lines, 50_000);
        let back = load(dir.path()).expect("load");
        assert_eq!(back.scrollback_lines, 50_000);
        assert!(!back.close_to_tray, "the other setting is kept");
        // Out of range on save: cut to the maximum.
        update(dir.path(), |s| s.scrollback_lines = u32::MAX).expect("update");
        assert_eq!(
            load(dir.path()).expect("load").scrollback_lines,
            MAX_SCROLLBACK_LINES
        );
        save(
            dir.path(),
            &Settings {
                scrollback_lines: 1_000_000,
                ..Settings::default()
            },
        )
        .expect("save");
        assert_eq!(
            load(dir.path()).expect("load").scrollback_lines,
            MAX_SCROLLBACK_LINES
        );
        // Out of range in the file (edited by hand): brought into range, the file still read.
        for (text, lines) in [
            (
                r#"{"version": 1, "scrollbackLines": 5000000}"#,
                MAX_SCROLLBACK_LINES,
            ),
            (r#"{"version": 1, "scrollbackLines": -3}"#, 0),
            (r#"{"version": 1, "scrollbackLines": 1234.6}"#, 1235),
            (r#"{"version": 1, "scrollbackLines": 0}"#, 0),
        ] {
            std::fs::write(&path, text).expect("write");
            assert_eq!(
                load(dir.path()).expect(text).scrollback_lines,
                lines,
                "{text}"
            );
        }
        // Not a number at all: the file is not valid, and a change leaves it as it is.
        std::fs::write(&path, br#"{"version": 1, "scrollbackLines": "lots"}"#).expect("write");
        assert!(load(dir.path()).is_err());
        assert!(update(dir.path(), |s| s.scrollback_lines = 1_000).is_err());
        assert_eq!(
            std::fs::read(&path).expect("read"),
            br#"{"version": 1, "scrollbackLines": "lots"}"#
        );
    }

    #[test]
    fn log_lines_default_round_trip_and_are_bounded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        assert_eq!(
            load(dir.path()).expect("defaults").log_lines,
            DEFAULT_LOG_LINES
        );
        std::fs::write(&path, br#"{"version": 1, "scrollbackLines": 2000}"#).expect("write");
        assert_eq!(load(dir.path()).expect("load").log_lines, DEFAULT_LOG_LINES);
        let saved = update(dir.path(), |s| s.log_lines = 1_000).expect("update");
        assert_eq!(saved.log_lines, 1_000);
        let back = load(dir.path()).expect("load");
        assert_eq!(back.log_lines, 1_000);
        assert_eq!(back.scrollback_lines, 2_000, "the other setting is kept");
        update(dir.path(), |s| s.log_lines = u32::MAX).expect("update");
        assert_eq!(load(dir.path()).expect("load").log_lines, MAX_LOG_LINES);
        update(dir.path(), |s| s.log_lines = 0).expect("update");
        assert_eq!(load(dir.path()).expect("load").log_lines, MIN_LOG_LINES);
        for (text, lines) in [
            (r#"{"version": 1, "logLines": 9000000}"#, MAX_LOG_LINES),
            (r#"{"version": 1, "logLines": -3}"#, MIN_LOG_LINES),
            (r#"{"version": 1, "logLines": 5000.4}"#, 5_000),
        ] {
            std::fs::write(&path, text).expect("write");
            assert_eq!(load(dir.path()).expect(text).log_lines, lines, "{text}");
        }
        std::fs::write(&path, br#"{"version": 1, "logLines": "many"}"#).expect("write");
        assert!(load(dir.path()).is_err());
    }

    #[test]
    fn a_change_of_one_setting_keeps_the_others_and_unknown_fields() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(FILE_NAME),
            br#"{"version": 1, "scrollbackLines": 1000, "theme": "dark"}"#,
        )
        .expect("write");
        update(dir.path(), |s| s.close_to_tray = false).expect("update");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(FILE_NAME)).expect("read"))
                .expect("json");
        assert_eq!(v["scrollbackLines"], 1000, "{v}");
        assert_eq!(v["closeToTray"], false, "{v}");
        assert_eq!(v["theme"], "dark", "{v}");
    }

    #[test]
    fn the_global_shortcut_is_off_unless_turned_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(!Settings::default().global_shortcut);
        // A file from before the setting existed: off.
        std::fs::write(
            dir.path().join(FILE_NAME),
            r#"{"version": 1, "closeToTray": true}"#,
        )
        .expect("write");
        assert!(!load(dir.path()).expect("load").global_shortcut);
        update(dir.path(), |s| s.global_shortcut = true).expect("update");
        assert!(load(dir.path()).expect("load").global_shortcut);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).expect("read");
        assert!(text.contains("\"globalShortcut\": true"), "{text}");
    }

    #[test]
    fn drawing_every_byte_is_off_unless_chosen_and_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(!load(dir.path()).expect("defaults").draw_every_byte);
        let saved = update(dir.path(), |s| s.draw_every_byte = true).expect("update");
        assert!(saved.draw_every_byte);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).expect("read");
        assert!(text.contains("\"drawEveryByte\": true"), "{text}");
        update(dir.path(), |s| s.scrollback_lines = 2_000).expect("update");
        assert!(
            load(dir.path()).expect("load").draw_every_byte,
            "another change keeps it"
        );
    }
}
