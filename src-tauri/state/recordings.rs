//! The recordings folders (the app's own and each profile's), listed and read for the
//! Recordings view. The webview names a recording by an id (`FOLDER/NAME`: the folder's index
//! in [`Recordings::folders`] and the file's name), never by a path: core's
//! [`recordings::resolve`] lets an id reach only a plain `.cast` file directly in one of them.

use super::Profiles;
use crate::error::Result;
use crate::ipc::{RecordingEntry, RecordingEvent, RecordingPage};
use podterm_core::recording;
use podterm_core::recordings::{self, AutoRecord, RecordingsError};
use podterm_core::text::shown;
use std::path::PathBuf;

/// Events in one page read back, at most.
pub const PAGE_EVENTS: usize = 4096;
/// Bytes of event data in one page read back, about (at least one event).
pub const PAGE_BYTES: usize = 512 * 1024;

/// Where recordings go. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Recordings {
    /// The app's recordings folder (`None`: no data directory).
    default: Option<PathBuf>,
}

impl Recordings {
    pub fn new(default: Option<PathBuf>) -> Self {
        Recordings { default }
    }

    /// The app's folder, then each saved profile's own (each once).
    pub fn folders(&self, profiles: &Profiles) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self.default.iter().cloned().collect();
        for p in profiles.saved() {
            if let Some(f) = p.record_folder {
                if !out.contains(&f) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// Where a profile's recordings go and whether they hold input.
    pub fn target(&self, profiles: &Profiles, profile: &str) -> Result<(PathBuf, bool)> {
        let p = profiles.saved().into_iter().find(|p| p.name == profile);
        let input = p.as_ref().is_some_and(|p| p.record_input);
        match p
            .and_then(|p| p.record_folder)
            .or_else(|| self.default.clone())
        {
            Some(f) => Ok((f, input)),
            None => Err(RecordingsError::Folder {
                path: PathBuf::from("(no data directory)"),
                source: std::io::Error::other("no data directory: set the profile's folder"),
            }
            .into()),
        }
    }

    /// A profile's "record every session", if set.
    pub fn auto_for(&self, profiles: &Profiles, profile: &str) -> Option<AutoRecord> {
        let p = profiles.saved().into_iter().find(|p| p.name == profile)?;
        if !p.record_sessions {
            return None;
        }
        let folder = p.record_folder.or_else(|| self.default.clone())?;
        Some(AutoRecord {
            folder,
            input: p.record_input,
        })
    }

    /// Every recording, newest first.
    pub fn list(&self, profiles: &Profiles) -> Vec<RecordingEntry> {
        let folders = self.folders(profiles);
        recordings::list(&folders)
            .into_iter()
            .map(|l| {
                let (duration, started, title, problem) = match &l.info {
                    Some(Ok(i)) => (
                        Some(i.duration.as_secs_f64()),
                        Some(i.header.timestamp).filter(|t| *t > 0).or(l.modified),
                        i.header.title.as_deref().map(shown),
                        None,
                    ),
                    Some(Err(e)) => (None, l.modified, None, Some(shown(&e.to_string()))),
                    None => (None, l.modified, None, None),
                };
                RecordingEntry {
                    id: format!("{}/{}", l.folder, l.name),
                    name: shown(&l.name),
                    folder: shown(&folders[l.folder].display().to_string()),
                    bytes: l.bytes,
                    duration,
                    started,
                    title,
                    problem,
                }
            })
            .collect()
    }

    /// The file an id names, checked.
    pub fn resolve(&self, profiles: &Profiles, id: &str) -> Result<PathBuf> {
        let folders = self.folders(profiles);
        let (folder, name) = id.split_once('/').ok_or(RecordingsError::NoSuchRecording)?;
        let folder: usize = folder
            .parse()
            .map_err(|_| RecordingsError::NoSuchRecording)?;
        Ok(recordings::resolve(&folders, folder, name)?)
    }

    /// A page of events from `offset` (0: the first), at most [`PAGE_EVENTS`] and about
    /// [`PAGE_BYTES`] of data.
    pub fn read(&self, profiles: &Profiles, id: &str, offset: u64) -> Result<RecordingPage> {
        self.read_within(profiles, id, offset, PAGE_EVENTS, PAGE_BYTES)
    }

    /// [`Recordings::read`] with other bounds.
    pub fn read_within(
        &self,
        profiles: &Profiles,
        id: &str,
        offset: u64,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<RecordingPage> {
        let path = self.resolve(profiles, id)?;
        let info = recording::read_header_of(&path)?;
        let page = recording::read_page(&path, offset, max_events, max_bytes)?;
        Ok(RecordingPage {
            width: info.width,
            height: info.height,
            events: page
                .events
                .into_iter()
                .map(|e| RecordingEvent {
                    time: e.time,
                    code: e.code,
                    data: e.data,
                })
                .collect(),
            next: page.next,
        })
    }

    /// Deletes a recording.
    pub fn delete(&self, profiles: &Profiles, id: &str) -> Result<()> {
        let path = self.resolve(profiles, id)?;
        std::fs::remove_file(&path)
            .map_err(|source| RecordingsError::Delete { path, source }.into())
    }
}
