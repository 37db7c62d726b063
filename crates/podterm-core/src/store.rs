//! One store for every versioned file Podterm keeps in its config directory (profiles,
//! favourites, settings): [`VersionedFile`].
//!
//! - A file is a JSON object with a `version` and the document's own fields. A missing file is
//!   the document's default.
//! - A file of a newer format is refused ([`StoreError::NewerVersion`]: "upgrade Podterm"), one
//!   that cannot be read is refused ([`StoreError::Invalid`]), and neither is ever written over.
//! - Writes replace the file atomically (a temp file in the same directory, mode 0600, fsync,
//!   rename, fsync the directory), so a reader sees the old or the new file whole.
//! - Every read-modify-write ([`VersionedFile::update`]) holds an exclusive lock on the file's
//!   lock file beside it, so two running instances never lose each other's changes.
//! - Fields this Podterm does not know (written by a newer Podterm of the same format version)
//!   survive a rewrite when the document keeps them: a `#[serde(flatten)] extra:`
//!   [`Extra`] field on the document and on its entries.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Overrides the config directory (tests, portable installs).
pub const CONFIG_DIR_ENV: &str = "PODTERM_CONFIG_DIR";

/// Fields of a stored object that this Podterm does not know, kept so that a rewrite does not
/// drop them: `#[serde(flatten)] pub extra: Extra`.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// What a kind of versioned file is called in messages, and where it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// The file's name inside the config directory (`profiles.json`).
    pub file_name: &'static str,
    /// The lock file's name beside it (`profiles.lock`).
    pub lock_name: &'static str,
    /// The format version this Podterm writes and the newest it reads.
    pub version: u32,
    /// The kind of file in messages: "not a valid Podterm {noun} file", "{noun} format version".
    pub noun: &'static str,
    /// What moving an unreadable file away gives: "move it away to {fresh}".
    pub fresh: &'static str,
}

/// Why a versioned file could not be read or written. Nothing unreadable is written over.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed (`action`: what was being done, e.g. "read", "lock").
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not JSON of the expected shape, or has no `version` (not ours). It is left
    /// as it is.
    #[error("{} is not a valid Podterm {} file ({source}): fix it, or move it away to {}", path.display(), spec.noun, spec.fresh)]
    Invalid {
        path: PathBuf,
        spec: FileSpec,
        #[source]
        source: serde_json::Error,
    },
    /// The file was written by a newer Podterm (format version `found`). It is left as it is.
    #[error("{} was written by a newer Podterm ({} format version {found}; this Podterm reads version {} at most): upgrade Podterm", path.display(), spec.noun, spec.version)]
    NewerVersion {
        path: PathBuf,
        spec: FileSpec,
        found: u64,
    },
    /// The config directory is writable by other users: anyone on the machine could change a
    /// profile's server, CA or credential plugin there. Refused, as ssh refuses such a `~/.ssh`.
    #[error("{} is writable by other users (mode {mode:03o}): anyone on this machine could change your profiles there; fix it with `chmod go-w {}`, or set {CONFIG_DIR_ENV} to a directory of your own", path.display(), path.display())]
    UnsafeDir { path: PathBuf, mode: u32 },
    /// No config directory could be determined.
    #[error("cannot find the OS config directory (no home directory?): set {CONFIG_DIR_ENV} to a directory for Podterm's settings")]
    NoConfigDir,
}

/// The default config directory: `$PODTERM_CONFIG_DIR`, else the OS config dir + `podterm`
/// (`~/.config/podterm` on Linux, `~/Library/Application Support/podterm` on macOS,
/// `%APPDATA%\podterm` on Windows).
/// An existing directory writable by other users is refused ([`StoreError::UnsafeDir`]).
pub fn default_dir() -> Result<PathBuf, StoreError> {
    let dir = dir_from(std::env::var_os(CONFIG_DIR_ENV), dirs::config_dir())
        .ok_or(StoreError::NoConfigDir)?;
    check_private(&dir)?;
    Ok(dir)
}

/// Refuses `dir` if it exists and others may write to it (world-writable). A missing
/// directory is fine: Podterm creates it with mode 0700.
pub fn check_private(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::metadata(dir) {
            Ok(m) if m.permissions().mode() & 0o002 != 0 => Err(StoreError::UnsafeDir {
                path: dir.to_path_buf(),
                mode: m.permissions().mode() & 0o7777,
            }),
            _ => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod private_dir_tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_world_writable_config_dir_is_refused_with_the_fix() {
        let d = tempfile::tempdir().expect("tempdir");
        check_private(d.path()).expect("0700 is fine");
        check_private(&d.path().join("missing")).expect("missing is fine");
        fs::set_permissions(d.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = check_private(d.path()).expect_err("world-writable");
        assert!(
            matches!(e, StoreError::UnsafeDir { mode: 0o777, .. }),
            "{e:?}"
        );
        assert!(
            e.to_string().contains(&format!(
                "is writable by other users (mode 777): anyone on this machine could change your profiles there; fix it with `chmod go-w {}`",
                d.path().display()
            )),
            "{e}"
        );
    }
}

fn dir_from(env: Option<std::ffi::OsString>, os_config: Option<PathBuf>) -> Option<PathBuf> {
    match env {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => os_config.map(|d| d.join("podterm")),
    }
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

#[derive(Deserialize)]
struct Header {
    version: u64,
}

/// A file as read: the `version` is taken here, so that it never lands in the document's
/// [`Extra`] (and is then written twice).
#[derive(Deserialize)]
struct DocIn<T> {
    #[serde(rename = "version")]
    _version: serde::de::IgnoredAny,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize)]
struct DocOut<'a, T> {
    version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// One versioned file of type `T` (the document without its `version`) in a directory.
#[derive(Debug)]
pub struct VersionedFile<T> {
    dir: PathBuf,
    spec: FileSpec,
    /// Files written through this handle and its clones ([`VersionedFile::writes`]).
    writes: Arc<AtomicU64>,
    _doc: PhantomData<fn() -> T>,
}

impl<T> Clone for VersionedFile<T> {
    fn clone(&self) -> Self {
        VersionedFile {
            dir: self.dir.clone(),
            spec: self.spec,
            writes: Arc::clone(&self.writes),
            _doc: PhantomData,
        }
    }
}

impl<T> VersionedFile<T>
where
    T: Serialize + DeserializeOwned + Default + Clone + PartialEq,
{
    /// The file `spec.file_name` in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>, spec: FileSpec) -> Self {
        VersionedFile {
            dir: dir.into(),
            spec,
            writes: Arc::default(),
            _doc: PhantomData,
        }
    }

    /// How many times this handle (and its clones) replaced the file: a batch that must write
    /// once can be checked without timing it.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// The directory it lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(self.spec.file_name)
    }

    /// What the file is called in messages, its version and names.
    pub fn spec(&self) -> FileSpec {
        self.spec
    }

    /// The document; its default when there is no file. Needs no lock: writers replace the file
    /// by rename, so a reader sees the old or the new file whole.
    pub fn read(&self) -> Result<T, StoreError> {
        Ok(self.read_opt()?.unwrap_or_default())
    }

    /// The document; `None` when there is no file.
    pub fn read_opt(&self) -> Result<Option<T>, StoreError> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io_err("read", &path)(source)),
        };
        let invalid = |source| StoreError::Invalid {
            path: path.clone(),
            spec: self.spec,
            source,
        };
        let found = serde_json::from_slice::<Header>(&bytes)
            .map_err(invalid)?
            .version;
        if found > u64::from(self.spec.version) {
            return Err(StoreError::NewerVersion {
                path: path.clone(),
                spec: self.spec,
                found,
            });
        }
        serde_json::from_slice::<DocIn<T>>(&bytes)
            .map(|d| Some(d.body))
            .map_err(invalid)
    }

    /// Read-modify-write under the lock: `f` changes the document (a missing file is the
    /// default); the file is rewritten only when `f` succeeded and changed something. A file
    /// that cannot be read is an error and stays as it is.
    pub fn update<R, E>(&self, f: impl FnOnce(&mut T) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let _lock = self.lock()?;
        let before = self.read()?;
        let mut doc = before.clone();
        let out = f(&mut doc)?;
        if doc != before {
            self.write_locked(&doc)?;
        }
        Ok(out)
        // `_lock` is dropped here: closing the file releases the lock.
    }

    /// Replaces the document (under the lock). A file that cannot be read is an error and stays
    /// as it is.
    pub fn write(&self, doc: &T) -> Result<(), StoreError> {
        self.update(|current| {
            current.clone_from(doc);
            Ok::<(), StoreError>(())
        })
    }

    /// Takes the exclusive lock (creating the directory); held until the file is dropped.
    fn lock(&self) -> Result<File, StoreError> {
        ensure_dir(&self.dir)?;
        let path = self.dir.join(self.spec.lock_name);
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts
            .open(&path)
            .map_err(io_err("open the lock file", &path))?;
        fs4::FileExt::lock(&file).map_err(io_err("lock", &path))?;
        Ok(file)
    }

    /// Atomic replace: temp file in the same directory (mode 0600), fsync, rename, fsync the
    /// directory. The caller holds the lock.
    fn write_locked(&self, doc: &T) -> Result<(), StoreError> {
        let path = self.path();
        let mut data = serde_json::to_vec_pretty(&DocOut {
            version: self.spec.version,
            body: doc,
        })
        .map_err(|source| StoreError::Invalid {
            path: path.clone(),
            spec: self.spec,
            source,
        })?;
        data.push(b'\n');
        let dir = &self.dir;
        let name = self.spec.file_name;
        let stem = name.split('.').next().unwrap_or(name);
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{stem}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(io_err("create a temporary file in", dir))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(io_err("set permissions of", tmp.path()))?;
        }
        tmp.write_all(&data).map_err(io_err("write", tmp.path()))?;
        tmp.as_file()
            .sync_all()
            .map_err(io_err("sync", tmp.path()))?;
        // On failure the temp file is removed when `PersistError` drops it.
        tmp.persist(&path)
            .map_err(|e| io_err("replace", &path)(e.error))?;
        #[cfg(unix)]
        {
            // Make the rename itself durable.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io_err("sync", dir))?;
        }
        self.writes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Creates `dir` (mode 0700) if needed.
fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(io_err("create the config directory", dir))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    const SPEC: FileSpec = FileSpec {
        file_name: "things.json",
        lock_name: "things.lock",
        version: 1,
        noun: "things",
        fresh: "start with no things",
    };

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Thing {
        name: String,
        #[serde(flatten)]
        extra: Extra,
    }

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Things {
        #[serde(default)]
        things: Vec<Thing>,
        #[serde(flatten)]
        extra: Extra,
    }

    fn file(dir: &Path) -> VersionedFile<Things> {
        VersionedFile::new(dir, SPEC)
    }

    fn add(f: &VersionedFile<Things>, name: &str) {
        f.update(|d| {
            d.things.push(Thing {
                name: name.into(),
                extra: Extra::new(),
            });
            Ok::<_, StoreError>(())
        })
        .unwrap();
    }

    /// The names in `dir`, sorted: what a write left behind (tests of every store use it).
    pub(crate) fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn missing_file_is_the_default_and_a_write_is_versioned_and_private() {
        let tmp = tempfile::tempdir().unwrap();
        let f = file(&tmp.path().join("cfg"));
        assert_eq!(f.read_opt().unwrap(), None);
        assert_eq!(f.read().unwrap(), Things::default());
        add(&f, "a");
        let v: serde_json::Value = serde_json::from_slice(&fs::read(f.path()).unwrap()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["things"][0]["name"], "a");
        assert_eq!(entries(f.dir()), ["things.json", "things.lock"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(f.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn unknown_fields_survive_a_write() {
        let tmp = tempfile::tempdir().unwrap();
        let f = file(tmp.path());
        fs::write(
            f.path(),
            br#"{"version": 1, "colour": "red", "things": [{"name": "a", "pinned": true}]}"#,
        )
        .unwrap();
        add(&f, "b");
        let v: serde_json::Value = serde_json::from_slice(&fs::read(f.path()).unwrap()).unwrap();
        assert_eq!(v["colour"], "red", "{v}");
        assert_eq!(v["things"][0]["pinned"], true, "{v}");
        assert_eq!(v["things"][1]["name"], "b", "{v}");
        assert!(v["things"][1].get("pinned").is_none(), "{v}");
        assert_eq!(v.as_object().unwrap().len(), 3, "no field twice: {v}");
    }

    #[test]
    fn a_newer_version_is_refused_and_left_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let f = file(tmp.path());
        let newer = br#"{"version": 2, "things": [{"future": true}]}"#;
        fs::write(f.path(), newer).unwrap();
        let err = f.read().unwrap_err();
        assert!(
            matches!(err, StoreError::NewerVersion { found: 2, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{} was written by a newer Podterm (things format version 2; this Podterm reads version 1 at most): upgrade Podterm",
                f.path().display()
            )
        );
        let err = f
            .update(|d| {
                d.things.clear();
                Ok::<_, StoreError>(())
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::NewerVersion { .. }), "{err:?}");
        assert!(f.write(&Things::default()).is_err());
        assert_eq!(fs::read(f.path()).unwrap(), newer);
    }

    #[test]
    fn a_corrupt_file_is_refused_and_left_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let f = file(tmp.path());
        for bad in [
            &b"{not json"[..],
            br#"{"things": []}"#,
            br#"{"version": 1, "things": 3}"#,
        ] {
            fs::write(f.path(), bad).unwrap();
            let err = f.read().unwrap_err();
            assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!(
                    "{} is not a valid Podterm things file (",
                    f.path().display()
                )) && msg.ends_with("): fix it, or move it away to start with no things"),
                "{msg}"
            );
            assert!(f.write(&Things::default()).is_err());
            assert_eq!(fs::read(f.path()).unwrap(), bad);
        }
    }

    #[derive(Debug)]
    enum Refused {
        Store(#[allow(dead_code)] StoreError),
        No,
    }

    impl From<StoreError> for Refused {
        fn from(e: StoreError) -> Self {
            Refused::Store(e)
        }
    }

    #[test]
    fn unchanged_documents_are_not_rewritten_and_failed_updates_write_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let f = file(tmp.path());
        add(&f, "a");
        // Same content, other formatting: an update that changes nothing keeps it byte for byte.
        let compact = br#"{"version":1,"things":[{"name":"a"}]}"#;
        fs::write(f.path(), compact).unwrap();
        f.update(|_| Ok::<_, StoreError>(())).unwrap();
        assert_eq!(fs::read(f.path()).unwrap(), compact);
        let r = f.update(|d| {
            d.things.clear();
            Err::<(), _>(Refused::No)
        });
        assert!(matches!(r, Err(Refused::No)), "{r:?}");
        assert_eq!(fs::read(f.path()).unwrap(), compact);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cfg");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    // Each thread has its own handle, as two app instances would.
                    let f = file(&dir);
                    for i in 0..20 {
                        add(&f, &format!("t{t}-{i}"));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let names: std::collections::HashSet<String> = file(&dir)
            .read()
            .unwrap()
            .things
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names.len(), 160);
        assert_eq!(
            entries(&dir),
            ["things.json", "things.lock"],
            "no temp file left"
        );
    }

    #[test]
    fn default_dir_prefers_the_environment() {
        assert_eq!(
            dir_from(Some("/x/y".into()), Some("/home/u/.config".into())).unwrap(),
            PathBuf::from("/x/y")
        );
        assert_eq!(
            dir_from(Some("".into()), Some("/home/u/.config".into())).unwrap(),
            PathBuf::from("/home/u/.config/podterm")
        );
        assert_eq!(dir_from(None, None), None);
    }
}
