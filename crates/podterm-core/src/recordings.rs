//! The app's recordings of terminal sessions, around [`crate::recording`]'s writer: a session's
//! [`Tap`] (the recording a tab has now, started by a profile's "record every session" before
//! the first byte or by the user mid-way), the files' names, and the recordings folders as a
//! list the UI may read only through ids ([`resolve`]), never paths.
//!
//! The tap sees the session's output where it leaves the exec session, before the flow pump, so
//! a recording holds every byte even when a lagging tab is shown less.

use crate::recording::{Header, Recorder, RecordingError, RecordingInfo, RecordingSpec};
use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// A recording file's extension (asciinema's).
pub const EXTENSION: &str = "cast";
/// The recordings folder under the app's data directory.
pub const FOLDER_NAME: &str = "recordings";
/// Longest part (cluster, namespace, pod, container) of a file name.
const PART_MAX: usize = 48;
/// Files of the same name tried (`-2`, `-3` ...) before giving up: never one overwritten.
const NAME_TRIES: u32 = 1000;
/// Files larger than this are listed without reading them through for their length.
pub const INFO_LIMIT: u64 = 256 * 1024 * 1024;

/// Why a tab's recording could not start, or a recording could not be found.
#[derive(Debug, thiserror::Error)]
pub enum RecordingsError {
    /// The session has not started yet (its pod and container are not known).
    #[error("the session has not started yet: record once it is connected")]
    NotStarted,
    /// The recordings folder could not be made.
    #[error("could not create the recordings folder {}: {source}", .path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The recording file could not be started.
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// An id that names no recording in a recordings folder.
    #[error("no such recording: it may have been deleted or moved; reload the list")]
    NoSuchRecording,
    /// A recording could not be deleted.
    #[error("could not delete {}: {source}", .path.display())]
    Delete {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where a session runs, for a recording's name and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The profile's name.
    pub cluster: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// A profile's "record every session": where, and whether input is recorded too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoRecord {
    pub folder: PathBuf,
    /// Record what is typed too (off by default: input holds passwords).
    pub input: bool,
}

/// What a tap tells its session's UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapEvent {
    /// A recording started into this file.
    Started { path: PathBuf },
    /// The recording into this file ended: asked (`reason` `None`), or on its own (a full
    /// disk, a write error; the session goes on), or it could not start.
    Stopped {
        path: PathBuf,
        reason: Option<String>,
    },
}

type Notify = Box<dyn Fn(TapEvent) + Send + Sync>;

/// A session's recording, if it has one. Cheap to clone; every clone is the same tap.
#[derive(Clone)]
pub struct Tap {
    inner: Arc<Inner>,
}

struct Inner {
    cluster: String,
    notify: Notify,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Record as the session begins (its profile records every session, or
    /// [`Tap::arm`] said so before it began).
    auto: Option<AutoRecord>,
    place: Option<Place>,
    size: (u16, u16),
    recorder: Option<Recorder>,
    /// The session ended: nothing starts any more.
    ended: bool,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap")
            .field("cluster", &self.inner.cluster)
            .field("auto", &self.state().auto)
            .finish()
    }
}

impl Tap {
    /// A tap for a session of profile `cluster`; `auto`: the profile records every session.
    pub fn new(
        cluster: impl Into<String>,
        auto: Option<AutoRecord>,
        notify: impl Fn(TapEvent) + Send + Sync + 'static,
    ) -> Tap {
        Tap {
            inner: Arc::new(Inner {
                cluster: cluster.into(),
                notify: Box::new(notify),
                state: Mutex::new(State {
                    auto,
                    ..State::default()
                }),
            }),
        }
    }

    /// A tap that records nothing unless asked, and tells nobody.
    pub fn idle() -> Tap {
        Tap::new("", None, |_| {})
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session is up in `namespace/pod/container` at `cols`×`rows`, before its first byte
    /// is handed on: a profile that records every session starts its recording here. A
    /// recording that cannot start is told (a `Stopped` with its reason); the session goes on.
    pub fn begin(&self, namespace: &str, pod: &str, container: &str, cols: u16, rows: u16) {
        let auto = {
            let mut s = self.state();
            s.place = Some(Place {
                cluster: self.inner.cluster.clone(),
                namespace: namespace.into(),
                pod: pod.into(),
                container: container.into(),
            });
            s.size = (cols, rows);
            s.auto.clone()
        };
        if let Some(auto) = auto {
            self.start_or_tell(&auto);
        }
    }

    /// Records the session as `auto` says (its profile's "record every session" was just
    /// ticked): now when it is up and not recording, else from its first byte as it begins. A
    /// recording that cannot start is told as [`Tap::begin`] tells it.
    pub fn arm(&self, auto: AutoRecord) {
        {
            let mut s = self.state();
            if s.ended {
                return;
            }
            if s.place.is_none() {
                s.auto = Some(auto);
                return;
            }
        }
        if self.recording().is_none() {
            self.start_or_tell(&auto);
        }
    }

    /// "Record every session" unticked: a session not begun yet no longer starts recording as
    /// it begins. A recording running goes on (its tab's menu stops it).
    pub fn disarm(&self) {
        let mut s = self.state();
        if s.place.is_none() {
            s.auto = None;
        }
    }

    fn start_or_tell(&self, auto: &AutoRecord) {
        if let Err(e) = self.start(&auto.folder, auto.input) {
            // The session ended meanwhile (its tab closing as it was armed): nothing to tell.
            if matches!(e, RecordingsError::NotStarted) && self.state().ended {
                return;
            }
            (self.inner.notify)(TapEvent::Stopped {
                path: auto.folder.clone(),
                reason: Some(e.to_string()),
            });
        }
    }

    /// Starts recording into a new file in `folder` (made if missing), named from the place and
    /// the time; the file being written already when one is running.
    pub fn start(&self, folder: &Path, input: bool) -> Result<PathBuf, RecordingsError> {
        let mut s = self.state();
        if let Some(r) = &s.recorder {
            if r.is_recording() {
                return Ok(r.path().to_path_buf());
            }
        }
        let place = match (&s.place, s.ended) {
            (Some(p), false) => p.clone(),
            _ => return Err(RecordingsError::NotStarted),
        };
        make_folder(folder)?;
        let now = jiff::Timestamp::now();
        let mut header = Header::now(s.size.0, s.size.1);
        header.title = Some(format!(
            "{}: {}/{}/{}",
            place.cluster, place.namespace, place.pod, place.container
        ));
        header.env.insert("TERM".into(), "xterm-256color".into());
        let base = file_stem(&place, now);
        let weak = Arc::downgrade(&self.inner);
        let mut n = 1;
        let recorder = loop {
            let name = if n == 1 {
                format!("{base}.{EXTENSION}")
            } else {
                format!("{base}-{n}.{EXTENSION}")
            };
            let path = folder.join(&name);
            let w = weak.clone();
            let spec = RecordingSpec {
                path: path.clone(),
                overwrite: false,
                input,
                header: header.clone(),
            };
            match Recorder::start(spec, move |e| stopped_on_its_own(&w, &path, e)) {
                Ok(r) => break r,
                Err(RecordingError::Exists { .. }) if n < NAME_TRIES => n += 1,
                Err(e) => return Err(e.into()),
            }
        };
        let path = recorder.path().to_path_buf();
        s.recorder = Some(recorder);
        drop(s);
        (self.inner.notify)(TapEvent::Started { path: path.clone() });
        Ok(path)
    }

    /// Ends the recording (what is queued is written and flushed) and tells the UI; `None` when
    /// there was none.
    pub fn stop(&self) -> Option<PathBuf> {
        let r = self.state().recorder.take()?;
        let path = r.path().to_path_buf();
        let running = r.is_recording();
        let ended = r.finish();
        // One that had stopped on its own was told already.
        if running {
            (self.inner.notify)(TapEvent::Stopped {
                path: path.clone(),
                reason: ended.err().map(|e| e.to_string()),
            });
        }
        Some(path)
    }

    /// The session ended: the recording is finished and nothing starts any more.
    pub fn end(&self) {
        self.state().ended = true;
        self.stop();
    }

    /// The file being written, if a recording runs.
    pub fn recording(&self) -> Option<PathBuf> {
        let s = self.state();
        s.recorder
            .as_ref()
            .filter(|r| r.is_recording())
            .map(|r| r.path().to_path_buf())
    }

    fn recorder(&self) -> Option<Recorder> {
        self.state().recorder.clone()
    }

    /// Output of the session, as it left the exec session.
    pub fn output(&self, data: &Bytes) {
        if let Some(r) = self.recorder() {
            r.output(data);
        }
    }

    /// [`Tap::output`] for the session's own output task: while the recording is behind, waits
    /// for the disk on a blocking thread (never the task's worker), so output read faster than
    /// the disk writes (a flood a skipping tab does not draw) is recorded whole and the session
    /// slows to the disk's pace meanwhile (its chunk's read-ahead is held).
    pub async fn output_paced(&self, data: &Bytes) {
        if let Some(r) = self.recorder() {
            let data = data.clone();
            // A join error is a panic in the recorder's push: the recording's, not the session's.
            let _ = tokio::task::spawn_blocking(move || r.output_paced(&data)).await;
        }
    }

    /// What was typed (recorded only when the recording was started with input).
    pub fn input(&self, data: &Bytes) {
        if let Some(r) = self.recorder() {
            r.input(data);
        }
    }

    /// The terminal's new size.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.state().size = (cols, rows);
        if let Some(r) = self.recorder() {
            r.resize(cols, rows);
        }
    }
}

/// The writer stopped before it was asked (a full disk, a write error): forget the recorder
/// and tell the UI once. Runs on the writer's thread.
fn stopped_on_its_own(inner: &Weak<Inner>, path: &Path, e: &RecordingError) {
    let Some(inner) = inner.upgrade() else {
        return;
    };
    {
        let mut s = inner.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.recorder.as_ref().is_some_and(|r| r.path() == path) {
            s.recorder = None;
        }
    }
    (inner.notify)(TapEvent::Stopped {
        path: path.to_path_buf(),
        reason: Some(e.to_string()),
    });
}

/// Makes the folder (0700 when new).
fn make_folder(folder: &Path) -> Result<(), RecordingsError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(folder).map_err(|source| RecordingsError::Folder {
        path: folder.to_path_buf(),
        source,
    })
}

/// One part of a file name: letters, digits, `.` and `-` kept, anything else `-`, no leading
/// dot, at most [`PART_MAX`] characters, never empty.
pub fn safe_part(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(PART_MAX)
        .collect();
    if out.starts_with('.') {
        out.replace_range(0..1, "-");
    }
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// `CLUSTER_NAMESPACE_POD_CONTAINER_YYYYMMDDTHHMMSSZ` (UTC), each part [`safe_part`].
pub fn file_stem(place: &Place, at: jiff::Timestamp) -> String {
    format!(
        "{}_{}_{}_{}_{}",
        safe_part(&place.cluster),
        safe_part(&place.namespace),
        safe_part(&place.pod),
        safe_part(&place.container),
        at.strftime("%Y%m%dT%H%M%SZ")
    )
}

/// The default recordings folder: `$PODTERM_CONFIG_DIR/recordings` when that is set (one
/// place for everything, as the tests use it), else the OS data dir's `podterm/recordings`
/// (`~/.local/share/podterm/recordings` on Linux).
pub fn default_folder() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(crate::store::CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join(FOLDER_NAME));
    }
    dirs::data_dir().map(|d| d.join("podterm").join(FOLDER_NAME))
}

/// A recording file found in a folder.
#[derive(Debug)]
pub struct Listed {
    /// Its folder's index in the folders listed.
    pub folder: usize,
    /// Its file name (raw: escape it before showing).
    pub name: String,
    pub bytes: u64,
    /// Last written, Unix seconds.
    pub modified: Option<i64>,
    /// Its header and length; `None` for a file over [`INFO_LIMIT`]; an error for one that is
    /// not asciicast v2 (or still being written, its last line not complete yet).
    pub info: Option<Result<RecordingInfo, RecordingError>>,
}

/// Whether `name` may name a recording: a plain file name ending in `.cast`, no path in it.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.ends_with(&format!(".{EXTENSION}"))
}

/// The `.cast` files directly in each folder (regular files, not links), newest first. A
/// folder that is not there lists nothing.
pub fn list(folders: &[PathBuf]) -> Vec<Listed> {
    let mut out = Vec::new();
    for (i, folder) in folders.iter().enumerate() {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            if !plain_name(&name) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            let info = (meta.len() <= INFO_LIMIT).then(|| crate::recording::info(&e.path()));
            out.push(Listed {
                folder: i,
                name,
                bytes: meta.len(),
                modified,
                info,
            });
        }
    }
    out.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.name.cmp(&b.name)));
    out
}

/// The path of recording `name` in `folders[folder]`, only if it is a plain `.cast` file
/// directly in that folder (no path, no link): an id from the page never reaches further.
pub fn resolve(folders: &[PathBuf], folder: usize, name: &str) -> Result<PathBuf, RecordingsError> {
    let dir = folders
        .get(folder)
        .ok_or(RecordingsError::NoSuchRecording)?;
    if !plain_name(name) {
        return Err(RecordingsError::NoSuchRecording);
    }
    let path = dir.join(name);
    if path.parent() != Some(dir.as_path()) {
        return Err(RecordingsError::NoSuchRecording);
    }
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => Ok(path),
        _ => Err(RecordingsError::NoSuchRecording),
    }
}

/// Deletes recording `name` of `folders[folder]` (see [`resolve`]).
pub fn delete(folders: &[PathBuf], folder: usize, name: &str) -> Result<(), RecordingsError> {
    let path = resolve(folders, folder, name)?;
    std::fs::remove_file(&path).map_err(|source| RecordingsError::Delete { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> Place {
        Place {
            cluster: "prod eu/1".into(),
            namespace: "demo".into(),
            pod: "web-7d9f".into(),
            container: ".hidden$(x)".into(),
        }
    }

    #[test]
    fn names_hold_safe_characters_only() {
        let at: jiff::Timestamp = "2026-11-30T16:45:07Z".parse().expect("time");
        let stem = file_stem(&place(), at);
        assert_eq!(stem, "prod-eu-1_demo_web-7d9f_-hidden--x-_20261130T164507Z");
        assert_eq!(safe_part(""), "-");
        assert_eq!(safe_part(&"a".repeat(300)).len(), PART_MAX);
        assert_eq!(safe_part("ünï"), "-n-");
    }

    #[test]
    fn a_recording_starts_at_begin_when_the_profile_records_every_session() {
        let dir = tempfile::tempdir().expect("tmp");
        let folder = dir.path().join("recs");
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        let auto = AutoRecord {
            folder: folder.clone(),
            input: false,
        };
        let tap = Tap::new("prod", Some(auto), move |e| {
            seen.lock().expect("lock").push(e)
        });
        assert!(matches!(
            tap.start(&folder, false),
            Err(RecordingsError::NotStarted)
        ));
        tap.output(&Bytes::from_static(b"before\r\n"));
        tap.begin("demo", "web", "main", 80, 24);
        let path = tap.recording().expect("recording");
        assert_eq!(path.parent(), Some(folder.as_path()));
        tap.output(&Bytes::from_static(b"REC-42\r\n"));
        tap.input(&Bytes::from_static(b"secret\r"));
        tap.end();
        assert!(tap.recording().is_none());
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("REC-42"), "{text}");
        assert!(!text.contains("before"), "{text}");
        assert!(!text.contains("secret"), "input is not recorded: {text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let seen = events.lock().expect("lock").clone();
        assert_eq!(
            seen,
            vec![
                TapEvent::Started { path: path.clone() },
                TapEvent::Stopped {
                    path: path.clone(),
                    reason: None
                }
            ]
        );
        // Ended: nothing starts again.
        assert!(matches!(
            tap.start(&folder, false),
            Err(RecordingsError::NotStarted)
        ));
    }

    /// "Record every session" ticked while sessions are open: one still connecting records
    /// from its first byte as it begins, one up records from now, one recording already keeps
    /// its file, one ended starts nothing; a folder that cannot be made is told.
    #[test]
    fn an_armed_tap_records_now_or_as_its_session_begins() {
        let dir = tempfile::tempdir().expect("tmp");
        let auto = AutoRecord {
            folder: dir.path().join("recs"),
            input: false,
        };
        let events = Arc::new(Mutex::new(Vec::new()));
        let tap = |events: &Arc<Mutex<Vec<TapEvent>>>| {
            let seen = events.clone();
            Tap::new("ops", None, move |e| seen.lock().expect("lock").push(e))
        };
        // Still connecting: nothing yet, then from its first byte.
        let connecting = tap(&events);
        connecting.arm(auto.clone());
        assert!(connecting.recording().is_none());
        connecting.begin("demo", "web", "main", 80, 24);
        let first = connecting.recording().expect("recording as it began");
        // Up: at once. Armed again while recording: the same file.
        let up = tap(&events);
        up.begin("demo", "web", "side", 80, 24);
        up.arm(auto.clone());
        let second = up.recording().expect("recording now");
        up.arm(auto.clone());
        assert_eq!(up.recording(), Some(second.clone()));
        assert_ne!(first, second);
        // Armed, then unticked before it began: nothing as it begins.
        let unticked = tap(&events);
        unticked.arm(auto.clone());
        unticked.disarm();
        unticked.begin("demo", "web", "main", 80, 24);
        assert!(unticked.recording().is_none());
        // Ended: nothing.
        let ended = tap(&events);
        ended.begin("demo", "web", "main", 80, 24);
        ended.end();
        ended.arm(auto.clone());
        assert!(ended.recording().is_none());
        // A folder that cannot be made (a file is there): told, as at begin.
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, b"x").expect("write");
        let told = Arc::new(Mutex::new(Vec::new()));
        let fails = tap(&told);
        fails.begin("demo", "web", "main", 80, 24);
        fails.arm(AutoRecord {
            folder: blocked.join("recs"),
            input: false,
        });
        assert!(fails.recording().is_none());
        assert!(
            matches!(
                told.lock().expect("lock").as_slice(),
                [TapEvent::Stopped {
                    reason: Some(_),
                    ..
                }]
            ),
            "{:?}",
            told.lock().expect("lock")
        );
        let started = events
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| matches!(e, TapEvent::Started { .. }))
            .count();
        assert_eq!(started, 2);
        connecting.end();
        up.end();
    }

    #[test]
    fn a_second_recording_of_the_same_second_gets_its_own_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let tap = Tap::idle();
        tap.begin("demo", "web", "main", 80, 24);
        let first = tap.start(dir.path(), false).expect("first");
        tap.stop();
        let second = tap.start(dir.path(), true).expect("second");
        tap.input(&Bytes::from_static(b"typed"));
        tap.stop();
        assert_ne!(first, second);
        let text = std::fs::read_to_string(&second).expect("read");
        assert!(
            text.lines()
                .any(|l| l.contains("\"i\"") && l.contains("typed")),
            "{text}"
        );
        let listed = list(&[dir.path().to_path_buf()]);
        assert_eq!(listed.len(), 2);
    }

    #[test]
    fn ids_reach_only_plain_files_in_a_recordings_folder() {
        let dir = tempfile::tempdir().expect("tmp");
        let folder = dir.path().join("recs");
        std::fs::create_dir(&folder).expect("mkdir");
        std::fs::write(
            folder.join("a.cast"),
            "{\"version\":2,\"width\":80,\"height\":24}\n[0.5,\"o\",\"hi\"]\n",
        )
        .expect("write");
        std::fs::write(dir.path().join("outside.cast"), "x").expect("write");
        std::fs::write(folder.join("notes.txt"), "x").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("outside.cast"), folder.join("link.cast"))
            .expect("symlink");
        let folders = vec![folder.clone()];
        assert_eq!(
            resolve(&folders, 0, "a.cast").expect("a"),
            folder.join("a.cast")
        );
        for bad in [
            "../outside.cast",
            "link.cast",
            "notes.txt",
            "",
            ".cast",
            "/etc/passwd",
        ] {
            assert!(
                matches!(
                    resolve(&folders, 0, bad),
                    Err(RecordingsError::NoSuchRecording)
                ),
                "{bad}"
            );
        }
        assert!(resolve(&folders, 1, "a.cast").is_err());
        let listed = list(&folders);
        assert_eq!(listed.len(), 1, "{listed:?}");
        let info = listed[0]
            .info
            .as_ref()
            .expect("read")
            .as_ref()
            .expect("info");
        assert_eq!(info.events, 1);
        delete(&folders, 0, "a.cast").expect("delete");
        assert!(list(&folders).is_empty());
    }
}
