//! App settings that are not cluster profiles: `settings.json` beside the profiles, versioned,
//! replaced atomically. A missing file means the defaults.

use crate::profiles::{self, write_atomic, IoFailure, ReadFailure};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version this Podterm writes.
pub const FORMAT_VERSION: u32 = 1;
/// The settings file's name inside the config directory.
pub const FILE_NAME: &str = "settings.json";

/// Why the settings could not be read or saved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A file operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a settings file Podterm can read; nothing is written over it.
    #[error("{} is not a valid Podterm settings file ({source}): fix it, or move it away to use the defaults", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Written by a newer Podterm.
    #[error("{} was written by a newer Podterm (settings format version {found}; this Podterm reads version {FORMAT_VERSION} at most): upgrade Podterm", path.display())]
    NewerVersion { path: PathBuf, found: u64 },
}

impl From<IoFailure> for SettingsError {
    fn from(f: IoFailure) -> Self {
        SettingsError::Io {
            action: f.action,
            path: f.path,
            source: f.source,
        }
    }
}

/// The settings. Unknown fields in the file are ignored; missing ones take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Closing the window keeps Podterm running in the tray (where a tray exists).
    pub close_to_tray: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            close_to_tray: true,
        }
    }
}

#[derive(Serialize)]
struct FileOut<'a> {
    version: u32,
    #[serde(flatten)]
    settings: &'a Settings,
}

/// Reads `dir/settings.json`; the defaults when there is none.
pub fn load(dir: &Path) -> Result<Settings, SettingsError> {
    let path = dir.join(FILE_NAME);
    match profiles::read_versioned::<Settings>(&path, FORMAT_VERSION) {
        Ok(s) => Ok(s.unwrap_or_default()),
        Err(ReadFailure::Io(f)) => Err(f.into()),
        Err(ReadFailure::Parse(source)) => Err(SettingsError::Parse { path, source }),
        Err(ReadFailure::Newer(found)) => Err(SettingsError::NewerVersion { path, found }),
    }
}

/// Writes `settings` to `dir/settings.json` (creating `dir`).
pub fn save(dir: &Path, settings: &Settings) -> Result<(), SettingsError> {
    profiles::ensure_dir(dir)?;
    let data = serde_json::to_vec_pretty(&FileOut {
        version: FORMAT_VERSION,
        settings,
    })
    .map_err(|source| SettingsError::Parse {
        path: dir.join(FILE_NAME),
        source,
    })?;
    write_atomic(dir, FILE_NAME, &data)?;
    Ok(())
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
        // The bad file is left as it was.
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
}
