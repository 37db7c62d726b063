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

/// The settings. Missing fields take their defaults; unknown ones are kept on save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Closing the window keeps Podterm running in the tray (where a tray exists).
    pub close_to_tray: bool,
    /// Fields a newer Podterm wrote, kept on save.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            close_to_tray: true,
            extra: Extra::new(),
        }
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
            ..settings.clone()
        };
        Ok(())
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
    }
}
