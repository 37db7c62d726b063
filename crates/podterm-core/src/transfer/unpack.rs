//! A pod's tar stream unpacked under a local destination, as kubectl's `untarAll` places it
//! (each name with the source's prefix stripped, directories made 0755, files made as
//! `os.Create` makes them: 0666 less the umask when new, their mode kept when overwritten), with
//! what kubectl lets through refused: absolute names, `..`, names not under the source, hard
//! links to files outside the destination, device files and fifos; symlinks are skipped with
//! kubectl's warning, wherever they point. Nothing is ever written outside the destination. A destination not there yet is written as a temporary directory beside it,
//! renamed when the stream ended cleanly; into a directory that is there, the tree is written
//! under a temporary directory inside it and moved into place once the stream ended cleanly
//! ([`Landing`]). Either way a stopped transfer changes nothing under the destination's names.
//! Runs on a blocking thread.

use super::{Meter, Refusal, TransferError};
use crate::exec::Chunk;
use crate::text;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// What the pump hands the unpacker.
pub enum Feed {
    Data(Chunk),
    /// Bytes made here (a decoded piece), holding no read-ahead credit.
    Raw(bytes::Bytes),
    /// The stream ended with the command's success: a clean end of input.
    End,
}

/// The stream stopped before its end (cancelled, broken, or the command failed).
#[derive(Debug)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the transfer stopped before the end of the stream")
    }
}

impl std::error::Error for Stopped {}

/// Blocking reads over the feed.
pub struct FeedReader {
    rx: mpsc::Receiver<Feed>,
    cur: Option<bytes::Bytes>,
    /// The chunk `cur` came from: its credit is held until it is read.
    _held: Option<Chunk>,
    pos: usize,
    ended: bool,
}

impl FeedReader {
    pub fn new(rx: mpsc::Receiver<Feed>) -> FeedReader {
        FeedReader {
            rx,
            cur: None,
            _held: None,
            pos: 0,
            ended: false,
        }
    }
}

impl Read for FeedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(c) = &self.cur {
                if self.pos < c.len() {
                    let n = (c.len() - self.pos).min(buf.len());
                    buf[..n].copy_from_slice(&c[self.pos..self.pos + n]);
                    self.pos += n;
                    return Ok(n);
                }
                self.cur = None;
                self._held = None;
            }
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Feed::Data(c)) => {
                    self.cur = Some(c.data.clone());
                    self._held = Some(c);
                    self.pos = 0;
                }
                Some(Feed::Raw(b)) => {
                    self.cur = Some(b);
                    self.pos = 0;
                }
                Some(Feed::End) => self.ended = true,
                None => return Err(std::io::Error::other(Stopped)),
            }
        }
    }
}

/// What an unpack did besides writing files.
#[derive(Debug, Default)]
pub struct Unpacked {
    pub files: u64,
    /// Warnings in kubectl's words (symlinks skipped), escaped for showing.
    pub warnings: Vec<String>,
}

/// Where an entry named `name` goes: `None` for the destination itself.
fn place(name: &[u8], prefix: &[u8], dest: &Path) -> Result<PathBuf, Refusal> {
    if name.starts_with(b"/") {
        return Err(Refusal::Absolute);
    }
    let rest = name.strip_prefix(prefix).ok_or(Refusal::NotUnderSource)?;
    if !prefix.is_empty() && !rest.is_empty() && !rest.starts_with(b"/") {
        return Err(Refusal::NotUnderSource);
    }
    let mut out = dest.to_path_buf();
    for part in rest.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(Refusal::Traversal),
            p => out.push(OsStr::from_bytes(p)),
        }
    }
    Ok(out)
}

fn refuse(name: &[u8], why: Refusal) -> TransferError {
    TransferError::Refused {
        entry: text::shown_bytes(name),
        why,
    }
}

/// Where the entries land. Everything is written under a fresh temporary directory
/// (`.podterm-cp-XXXX.part`) and put in place once the stream ended cleanly, so a stopped copy
/// (cancelled, broken, refused half-way) changes nothing under the destination's names, and
/// each file costs a create and a write instead of a temporary file, a rename and three
/// lookups. A destination not there yet is staged beside it and the staging directory renamed
/// to it. A directory that is there (a copy merged into it, kubectl's way) is staged inside it
/// and merged at the end ([`merge_into`]): what is new moves in with one rename (a whole new
/// directory at once), a file that is there is replaced keeping its mode (as `os.Create`
/// does). Conflicts (a file where a directory is, or the reverse) are found before anything
/// moves. An existing file as the destination is written under a temporary name beside it and
/// renamed over it. Nothing in the staging directory is a symlink (they are skipped, as
/// kubectl does), so writing there never follows a link.
struct Landing<'a> {
    dest: &'a Path,
    /// Written under a staging directory: the destination was not there, or is a directory.
    staged: bool,
    /// The destination is a directory that was there at the start: staged inside it.
    merge: bool,
    /// The staging directory, once something needs it.
    stage: Option<tempfile::TempDir>,
    /// Directories known to exist (real paths), so each is made once.
    made: HashSet<PathBuf>,
    buf: Vec<u8>,
}

impl<'a> Landing<'a> {
    /// `new_only`: the destination was free when the copy was asked for, and whatever was saved
    /// under its name since is neither merged into nor replaced.
    fn new(dest: &'a Path, new_only: bool) -> Landing<'a> {
        let there = !new_only && std::fs::symlink_metadata(dest).is_ok();
        let merge = there && std::fs::metadata(dest).is_ok_and(|m| m.is_dir());
        Landing {
            dest,
            staged: !there || merge,
            merge,
            stage: None,
            made: HashSet::new(),
            buf: Vec::new(),
        }
    }

    /// A single file copied to a new name: written beside it under a temporary name.
    fn lone_file(&self, to: &Path) -> bool {
        self.staged && !self.merge && to == self.dest && self.stage.is_none()
    }

    /// Where `to` (a path under the destination) is written now.
    fn real(&mut self, to: &Path) -> Result<PathBuf, TransferError> {
        if !self.staged {
            return Ok(to.to_path_buf());
        }
        let stage = match &self.stage {
            Some(s) => s.path().to_path_buf(),
            None => {
                use std::os::unix::fs::PermissionsExt as _;
                let parent = match self.dest.parent() {
                    _ if self.merge => self.dest,
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                std::fs::create_dir_all(parent).map_err(|e| TransferError::local(parent, e))?;
                // 0777 less the umask: the directory kubectl would make.
                let made = tempfile::Builder::new()
                    .prefix(".podterm-cp-")
                    .suffix(".part")
                    .permissions(std::fs::Permissions::from_mode(0o777))
                    .tempdir_in(parent)
                    .map_err(|e| TransferError::local(parent, e))?;
                let path = made.path().to_path_buf();
                self.made.insert(path.clone());
                self.stage = Some(made);
                path
            }
        };
        let rel = to.strip_prefix(self.dest).unwrap_or(Path::new(""));
        Ok(if rel.as_os_str().is_empty() {
            stage
        } else {
            stage.join(rel)
        })
    }

    fn dir(&mut self, to: &Path) -> Result<(), TransferError> {
        let real = self.real(to)?;
        if !self.made.contains(&real) {
            if let Err(e) = std::fs::create_dir_all(&real) {
                // A file where the directory goes (the destination itself, or one in it).
                let file = std::fs::metadata(&real).is_ok_and(|m| !m.is_dir());
                return Err(if file {
                    TransferError::IsFile(to.to_path_buf())
                } else {
                    TransferError::local(&real, e)
                });
            }
            self.made.insert(real);
        }
        Ok(())
    }

    fn file(&mut self, to: &Path, from: &mut impl Read) -> Result<(), TransferError> {
        if self.lone_file(to) {
            // Its name was free at the start: taken meanwhile, it is not replaced.
            return write_onto(to, from, Onto::Free);
        }
        let real = self.real(to)?;
        if let Some(parent) = real.parent() {
            if !self.made.contains(parent) {
                std::fs::create_dir_all(parent).map_err(|e| TransferError::local(parent, e))?;
                self.made.insert(parent.to_path_buf());
            }
        }
        if !self.staged {
            return write_file(to, from);
        }
        if self.made.contains(&real) {
            return Err(TransferError::IsDirectory(to.to_path_buf()));
        }
        // Only this copy writes in the staging directory: no temporary name per file. A name
        // given twice is made anew: it may be a hard link, whose other names keep their bytes.
        let _ = std::fs::remove_file(&real);
        let mut f = std::fs::File::create(&real).map_err(|e| TransferError::local(to, e))?;
        copy(from, &mut f, &mut self.buf, to)
    }

    /// `to` made a hard link to `from` (written before), as in the pod: in the staging
    /// directory, where both names are. `false` when it cannot be (no staging directory, a
    /// filesystem without hard links): the caller copies.
    fn link(&mut self, to: &Path, from: &Path) -> Result<bool, TransferError> {
        if to == from {
            // A name linked to itself: there already.
            return Ok(true);
        }
        // Merged into a directory that is there, each name keeps its existing file's mode
        // (`merge_into`): linked names would share one, so they are copies there.
        if !self.staged || self.merge || self.lone_file(to) || self.lone_file(from) {
            return Ok(false);
        }
        let (real_from, real) = (self.real(from)?, self.real(to)?);
        if self.made.contains(&real) {
            return Err(TransferError::IsDirectory(to.to_path_buf()));
        }
        if let Some(parent) = real.parent() {
            if !self.made.contains(parent) {
                std::fs::create_dir_all(parent).map_err(|e| TransferError::local(parent, e))?;
                self.made.insert(parent.to_path_buf());
            }
        }
        let _ = std::fs::remove_file(&real);
        Ok(std::fs::hard_link(&real_from, &real).is_ok())
    }

    /// Opens what was written at `to`.
    fn open(&mut self, to: &Path) -> Result<std::fs::File, TransferError> {
        let real = if self.lone_file(to) {
            to.to_path_buf()
        } else {
            self.real(to)?
        };
        std::fs::File::open(&real).map_err(|e| TransferError::local(to, e))
    }

    /// The stream ended cleanly: the staging directory becomes the destination.
    fn finish(self) -> Result<(), TransferError> {
        let Some(stage) = self.stage else {
            return Ok(());
        };
        if self.merge {
            // Nothing moves when something would not fit; the stage goes with its drop.
            conflicts(stage.path(), self.dest)?;
            if let Err(e) = merge_into(stage.path(), self.dest) {
                // A move failed part-way (another filesystem under a linked directory, a
                // read-only one): what had not moved yet is kept, not removed with the stage.
                let kept = stage.keep();
                return Err(match e {
                    TransferError::Local { path, source } => TransferError::Local {
                        path,
                        // Its words kept whole (the kind's short words would drop the rest).
                        source: std::io::Error::other(format!(
                            "{}; what was not moved yet is kept in {}",
                            super::io_words(&source),
                            crate::text::shown(&kept.display().to_string())
                        )),
                    },
                    other => other,
                });
            }
            return stage
                .close()
                .map_err(|e| TransferError::local(self.dest, e));
        }
        if let Err(e) = rename_new(stage.path(), self.dest) {
            // Something took the name meanwhile: the copy is kept, not removed with the stage.
            let kept = stage.keep();
            return Err(kept_beside(self.dest, &e, &kept));
        }
        // Renamed: nothing is left to remove.
        let _ = stage.keep();
        Ok(())
    }
}

/// Renames `from` to `to`, which was not there when the copy started and must not be now: a
/// file or folder saved under that name while the copy ran is never replaced. Where the system
/// or filesystem cannot rename that way (`EINVAL`; not Linux), the name is checked free just
/// before a plain rename.
fn rename_new(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
            other => return other.map_err(std::io::Error::from),
        }
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists));
    }
    std::fs::rename(from, to)
}

/// The copy could not take its name `to` (taken meanwhile, or another failure `e`): it is kept
/// at `kept`, and the error says where.
fn kept_beside(to: &Path, e: &std::io::Error, kept: &Path) -> TransferError {
    let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
        "something was saved under this name while the copy ran, and is left as it is".to_string()
    } else {
        super::io_words(e)
    };
    // Its words kept whole (a kind's short words would drop where the copy is).
    let kept = crate::text::shown(&kept.display().to_string());
    TransferError::local(
        to,
        std::io::Error::other(format!("{why}; the copy is kept in {kept}")),
    )
}

/// The first entry of the staged tree `from` that cannot take its place under `into`: a file
/// where a directory is, or a directory where something else is.
fn conflicts(from: &Path, into: &Path) -> Result<(), TransferError> {
    for e in std::fs::read_dir(from).map_err(|e| TransferError::local(from, e))? {
        let e = e.map_err(|e| TransferError::local(from, e))?;
        let to = into.join(e.file_name());
        if std::fs::symlink_metadata(&to).is_err() {
            continue;
        }
        // As the per-file way did: an existing path is followed (the user's own links).
        let there_dir = std::fs::metadata(&to).is_ok_and(|m| m.is_dir());
        let staged_dir = e.file_type().is_ok_and(|t| t.is_dir());
        match (staged_dir, there_dir) {
            (true, true) => conflicts(&e.path(), &to)?,
            (false, true) => return Err(TransferError::IsDirectory(to)),
            (true, false) => {
                return Err(TransferError::local(
                    &to,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "a file is there where the copy has a directory",
                    ),
                ))
            }
            (false, false) => {}
        }
    }
    Ok(())
}

/// Moves the staged tree `from` into `into` (checked by [`conflicts`]): each new name with one
/// rename, an existing file replaced keeping its mode, an existing directory merged into.
fn merge_into(from: &Path, into: &Path) -> Result<(), TransferError> {
    for e in std::fs::read_dir(from).map_err(|e| TransferError::local(from, e))? {
        let e = e.map_err(|e| TransferError::local(from, e))?;
        let (src, to) = (e.path(), into.join(e.file_name()));
        if std::fs::symlink_metadata(&to).is_ok() {
            if let Ok(m) = std::fs::metadata(&to) {
                if m.is_dir() {
                    merge_into(&src, &to)?;
                    continue;
                }
                // os.Create truncates an existing file and keeps its mode.
                std::fs::set_permissions(&src, m.permissions())
                    .map_err(|e| TransferError::local(&to, e))?;
            }
        }
        std::fs::rename(&src, &to).map_err(|e| TransferError::local(&to, e))?;
    }
    Ok(())
}

fn copy(
    from: &mut impl Read,
    to: &mut std::fs::File,
    buf: &mut Vec<u8>,
    path: &Path,
) -> Result<(), TransferError> {
    if buf.is_empty() {
        buf.resize(256 * 1024, 0);
    }
    loop {
        let n = match from.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(TransferError::stream(e)),
        };
        std::io::Write::write_all(to, &buf[..n]).map_err(|e| TransferError::local(path, e))?;
    }
}

/// A file's bytes as they are read out of the archive, counted: progress is the files' bytes,
/// the unit of the probed size it is shown against, not the tar stream's (headers and padding
/// made a 3-byte file's download read "1.5 KiB / 3 B").
struct Counted<'a, R> {
    inner: R,
    meter: &'a Meter,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
}

/// What hard links copied where the filesystem cannot make them may write beyond the files'
/// bytes the stream brought ([`Refusal::LinkCopies`]).
pub const LINK_COPY_SLACK: u64 = 1 << 30;

/// Unpacks the stream under `dest`. `src` is the remote source as typed (for kubectl's symlink
/// warning), `prefix` what every name starts with ([`super::paths::download_prefix`]); the
/// bytes of the files written are added to `meter`.
pub fn unpack(
    reader: impl Read,
    prefix: &str,
    dest: &Path,
    exec_hint: &str,
    meter: &Meter,
) -> Result<Unpacked, TransferError> {
    unpack_within(
        reader,
        prefix,
        dest,
        exec_hint,
        meter,
        LINK_COPY_SLACK,
        false,
    )
}

/// [`unpack`], into a destination that must stay new (see [`Landing::new`]).
pub fn unpack_new(
    reader: impl Read,
    prefix: &str,
    dest: &Path,
    exec_hint: &str,
    meter: &Meter,
) -> Result<Unpacked, TransferError> {
    unpack_within(
        reader,
        prefix,
        dest,
        exec_hint,
        meter,
        LINK_COPY_SLACK,
        true,
    )
}

/// [`unpack`], hard links copied at most `link_slack` beyond the bytes the stream brought.
fn unpack_within(
    reader: impl Read,
    prefix: &str,
    dest: &Path,
    exec_hint: &str,
    meter: &Meter,
    link_slack: u64,
    new_only: bool,
) -> Result<Unpacked, TransferError> {
    let mut done = Unpacked::default();
    let mut written: HashSet<PathBuf> = HashSet::new();
    // The files' bytes the stream brought, and those hard links copied (see `Landing::link`).
    let (mut received, mut link_copied) = (0u64, 0u64);
    let mut landing = Landing::new(dest, new_only);
    // Long names and PAX headers are held whole by the `tar` crate: bounded first.
    let mut ar = tar::Archive::new(super::headers::HeaderGuard::new(reader));
    let entries = ar.entries().map_err(TransferError::stream)?;
    for entry in entries {
        let mut e = entry.map_err(TransferError::stream)?;
        let name = e.path_bytes().into_owned();
        let kind = e.header().entry_type();
        if matches!(kind, tar::EntryType::XGlobalHeader) {
            continue;
        }
        let to = place(&name, prefix.as_bytes(), dest).map_err(|w| refuse(&name, w))?;
        match kind {
            tar::EntryType::Directory => landing.dir(&to)?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                received = received.saturating_add(e.size());
                landing.file(
                    &to,
                    &mut Counted {
                        inner: &mut e,
                        meter,
                    },
                )?;
                written.insert(to);
                done.files += 1;
            }
            tar::EntryType::Symlink => {
                let target = e
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                // kubectl skips symlinks, saying so (the first time with a way to copy them):
                // none is ever made here, so one pointing anywhere (`/etc/hostname`, `../..`,
                // common in real trees) is skipped like any other, and the copy goes on.
                let shown_to = text::shown(&to.to_string_lossy());
                let shown_target = text::shown_bytes(&target);
                let hint = if done.warnings.is_empty() {
                    format!(" (consider using \"{exec_hint}\")")
                } else {
                    String::new()
                };
                done.warnings.push(format!(
                    "warning: skipping symlink: \"{shown_to}\" -> \"{shown_target}\"{hint}"
                ));
            }
            tar::EntryType::Link => {
                let target = e
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let from = place(&target, prefix.as_bytes(), dest)
                    .map_err(|_| refuse(&name, Refusal::LinkOutside(text::shown_bytes(&target))))?;
                if !written.contains(&from) {
                    return Err(refuse(
                        &name,
                        Refusal::LinkOutside(text::shown_bytes(&target)),
                    ));
                }
                if !landing.link(&to, &from)? {
                    // Copied instead: at most what the stream brought, and some, so a few
                    // bytes of links to a large file cannot fill the disk.
                    let mut src = landing.open(&from)?;
                    let len = src.metadata().map_or(0, |m| m.len());
                    link_copied = link_copied.saturating_add(len);
                    if link_copied > received.saturating_add(link_slack) {
                        return Err(refuse(&name, Refusal::LinkCopies(link_copied - received)));
                    }
                    landing.file(&to, &mut src)?;
                }
                written.insert(to);
                done.files += 1;
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                return Err(refuse(&name, Refusal::Device));
            }
            other => {
                return Err(refuse(&name, Refusal::Unsupported(other.as_byte())));
            }
        }
    }
    landing.finish()?;
    Ok(done)
}

/// What a finished file does to its final name.
#[derive(Debug)]
pub(super) enum Onto {
    /// The name was free when the copy started: nothing saved there since is replaced.
    Free,
    /// Something is there (a file, or a link, dangling or not): replaced by the copy, keeping
    /// the file's mode when there is one. (A link is replaced itself: kubectl's `os.Create`
    /// writes through it to its target instead.)
    Replace(Option<std::fs::Metadata>),
}

impl Onto {
    /// What is at `to` now; a directory there is [`TransferError::IsDirectory`].
    pub(super) fn now(to: &Path) -> Result<Onto, TransferError> {
        match std::fs::metadata(to) {
            Ok(m) if m.is_dir() => Err(TransferError::IsDirectory(to.to_path_buf())),
            Ok(m) => Ok(Onto::Replace(Some(m))),
            // A dangling link is there too: it is replaced, not taken for a free name.
            Err(_) if std::fs::symlink_metadata(to).is_ok() => Ok(Onto::Replace(None)),
            Err(_) => Ok(Onto::Free),
        }
    }

    /// [`Onto::now`], or [`Onto::Free`] for a destination that must stay new (`new_only`: the
    /// app's downloads, whose name was free when the user asked).
    pub(super) fn at(to: &Path, new_only: bool) -> Result<Onto, TransferError> {
        if new_only {
            Ok(Onto::Free)
        } else {
            Onto::now(to)
        }
    }
}

/// Writes a file under a temporary name beside `to`, then renames it over `to` (an existing
/// file keeps its mode).
pub(super) fn write_file(to: &Path, from: &mut impl Read) -> Result<(), TransferError> {
    write_onto(to, from, Onto::now(to)?)
}

/// [`write_file`], `onto` saying what the final name takes (see [`persist`]).
pub(super) fn write_onto(to: &Path, from: &mut impl Read, onto: Onto) -> Result<(), TransferError> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".podterm-cp-")
        .suffix(".part")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| TransferError::local(dir, e))?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(TransferError::stream(e)),
        };
        std::io::Write::write_all(tmp.as_file_mut(), &buf[..n])
            .map_err(|e| TransferError::local(to, e))?;
    }
    persist(tmp, to, onto)
}

/// Gives the finished temporary file `tmp` its name `to`. What is there is replaced
/// ([`Onto::Replace`]: its mode kept, as `os.Create` truncates it). A name free at the start
/// ([`Onto::Free`]) is never taken from what was saved there while the copy ran: the copy is
/// then kept under its temporary name, and the error says where. A finished copy is never
/// removed by a failure here: kept, the error names it.
pub(super) fn persist(
    tmp: tempfile::NamedTempFile,
    to: &Path,
    onto: Onto,
) -> Result<(), TransferError> {
    let replace = match onto {
        Onto::Free => None,
        Onto::Replace(m) => Some(m),
    };
    let Some(mode) = replace else {
        let e = match tmp.persist_noclobber(to) {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let kept = match e.file.keep() {
            Ok((_, kept)) => kept,
            Err(k) => return Err(TransferError::local(to, k.error)),
        };
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            return Err(kept_beside(to, &e.error, &kept));
        }
        // A filesystem with neither a rename that refuses to replace nor hard links (some
        // FUSE and shared folders): a plain rename, the name checked free just before.
        return rename_new(&kept, to).map_err(|r| kept_beside(to, &r, &kept));
    };
    if let Some(m) = mode {
        if let Err(e) = std::fs::set_permissions(tmp.path(), m.permissions()) {
            return Err(match tmp.keep() {
                Ok((_, kept)) => kept_beside(to, &e, &kept),
                Err(k) => TransferError::local(to, k.error),
            });
        }
    }
    if let Err(e) = tmp.persist(to) {
        return Err(match e.file.keep() {
            Ok((_, kept)) => kept_beside(to, &e.error, &kept),
            Err(k) => TransferError::local(to, k.error),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_placed_under_the_destination_or_refused() {
        let d = Path::new("/dest");
        assert_eq!(place(b"tmp/foo", b"tmp/foo", d).expect("valid"), d);
        assert_eq!(
            place(b"tmp/foo/a/b", b"tmp/foo", d).expect("valid"),
            d.join("a/b")
        );
        assert_eq!(place(b"x/y/", b"", d).expect("valid"), d.join("x/y"));
        assert!(matches!(place(b"/etc/x", b"", d), Err(Refusal::Absolute)));
        assert!(matches!(
            place(b"tmp/foo/../../etc", b"tmp/foo", d),
            Err(Refusal::Traversal)
        ));
        assert!(matches!(
            place(b"tmp/foobar", b"tmp/foo", d),
            Err(Refusal::NotUnderSource)
        ));
        assert!(matches!(
            place(b"etc/passwd", b"tmp/foo", d),
            Err(Refusal::NotUnderSource)
        ));
    }

    /// A tar stream of `files` (name, bytes) under `src/`, with its directories.
    fn stream(files: &[(&str, &[u8])], then: Option<(&str, tar::EntryType)>) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_mode(0o755);
        dir.set_size(0);
        b.append_data(&mut dir, "src/", std::io::empty())
            .expect("dir");
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            b.append_data(&mut h, format!("src/{name}"), *data)
                .expect("file");
        }
        if let Some((name, kind)) = then {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_size(0);
            b.append_data(&mut h, format!("src/{name}"), std::io::empty())
                .expect("entry");
        }
        b.into_inner().expect("tar")
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_destination_appears_whole_or_not_at_all() {
        let work = tempfile::tempdir().expect("tmp");
        let dest = work.path().join("new");
        let files: [(&str, &[u8]); 3] = [("a", b"1"), ("d/b", b"22"), ("d/e/c", b"333")];
        // Refused half-way (a fifo after two files): nothing under the final name, and no
        // staging directory left beside it. The per-file way left `a` and `d/b` there.
        let bad = stream(&files, Some(("pipe", tar::EntryType::Fifo)));
        let e = unpack(&bad[..], "src", &dest, "hint", &Meter::default()).expect_err("refused");
        assert!(matches!(e, TransferError::Refused { .. }), "{e}");
        assert!(names(work.path()).is_empty(), "{:?}", names(work.path()));
        // Whole: the tree under the final name, directories as kubectl makes them.
        let meter = Meter::default();
        meter.set_total(6);
        let whole = stream(&files, None);
        let done = unpack(&whole[..], "src", &dest, "hint", &meter).expect("unpacked");
        assert_eq!(done.files, 3);
        // Progress counts the files' bytes (the probe's unit), not the stream's headers.
        assert!(whole.len() > 2048, "{}", whole.len());
        assert_eq!((meter.done(), meter.total()), (6, 6));
        assert_eq!(names(work.path()), ["new"]);
        assert_eq!(std::fs::read(dest.join("d/e/c")).expect("c"), b"333");
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        let umask_dir = {
            let probe = work.path().join("probe");
            std::fs::create_dir(&probe).expect("mkdir");
            let m = mode(&probe);
            std::fs::remove_dir(&probe).expect("rmdir");
            m
        };
        assert_eq!(mode(&dest), umask_dir, "the destination's mode");
        // Into a destination that is there: merged, each file renamed into place.
        std::fs::write(dest.join("keep"), b"k").expect("write");
        unpack(
            &stream(&[("a", b"new")], None)[..],
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect("merged");
        assert_eq!(std::fs::read(dest.join("a")).expect("a"), b"new");
        assert_eq!(names(&dest), ["a", "d", "keep"]);
    }

    /// A stream that, once its reading started, runs `meanwhile` (something saved by the user
    /// while the copy ran).
    struct Then<'a, F: FnMut()> {
        bytes: &'a [u8],
        meanwhile: Option<F>,
    }
    impl<F: FnMut()> Read for Then<'_, F> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if let Some(mut f) = self.meanwhile.take() {
                f();
            }
            self.bytes.read(buf)
        }
    }

    /// A name free when the copy started and taken before it ended (a download saved while the
    /// user saved something there) is never replaced: the copy is kept beside it and the error
    /// says where. A plain rename replaced the file, and an empty folder.
    #[test]
    fn a_name_taken_while_the_copy_ran_is_left_as_it_is() {
        let work = tempfile::tempdir().expect("tmp");
        // A folder copy, and an empty folder made under its name meanwhile.
        let dest = work.path().join("new");
        let tree = stream(&[("a", b"copied")], None);
        let made = dest.clone();
        let e = unpack(
            Then {
                bytes: &tree[..],
                meanwhile: Some(|| std::fs::create_dir(&made).expect("mkdir")),
            },
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect_err("the name was taken");
        assert!(names(&dest).is_empty(), "{:?}", names(&dest));
        let words = e.to_string();
        assert!(
            words.contains("saved under this name while the copy ran"),
            "{words}"
        );
        let kept: Vec<String> = names(work.path())
            .into_iter()
            .filter(|n| n.starts_with(".podterm-cp-"))
            .collect();
        assert_eq!(kept.len(), 1, "{:?}", names(work.path()));
        assert!(words.contains(&kept[0]), "{words}");
        let copied = work.path().join(&kept[0]).join("a");
        assert_eq!(std::fs::read(copied).expect("kept"), b"copied");

        // One file, and a file saved under its name meanwhile.
        let work = tempfile::tempdir().expect("tmp");
        let dest = work.path().join("report.txt");
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(6);
        b.append_data(&mut h, "src", &b"copied"[..]).expect("file");
        let one = b.into_inner().expect("tar");
        let made = dest.clone();
        let e = unpack(
            Then {
                bytes: &one[..],
                meanwhile: Some(|| std::fs::write(&made, b"mine").expect("write")),
            },
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect_err("the name was taken");
        assert_eq!(std::fs::read(&dest).expect("mine"), b"mine");
        let words = e.to_string();
        let kept: Vec<String> = names(work.path())
            .into_iter()
            .filter(|n| n != "report.txt")
            .collect();
        assert_eq!(kept.len(), 1, "{:?}", names(work.path()));
        assert!(words.contains(&kept[0]), "{words}");
        assert_eq!(
            std::fs::read(work.path().join(&kept[0])).expect("kept"),
            b"copied"
        );
        // Free at the end as at the start: the copy takes the name.
        std::fs::remove_file(&dest).expect("rm");
        unpack(&one[..], "src", &dest, "hint", &Meter::default()).expect("copied");
        assert_eq!(std::fs::read(&dest).expect("copied"), b"copied");
    }

    /// A download that must stay new (the app's: its name was free when asked for) neither
    /// merges into a folder saved under its name since nor replaces a file; the command line's
    /// writes over a link there, dangling or not, as kubectl's `os.Create` does. A finished
    /// copy that cannot take its name is kept, never removed.
    #[test]
    fn a_new_only_download_never_lands_on_what_is_there_and_nothing_finished_is_lost() {
        let work = tempfile::tempdir().expect("tmp");
        let dest = work.path().join("new");
        std::fs::create_dir(&dest).expect("mkdir");
        std::fs::write(dest.join("mine"), b"mine").expect("write");
        let tree = stream(&[("a", b"copied")], None);
        let e = unpack_new(&tree[..], "src", &dest, "hint", &Meter::default())
            .expect_err("saved there meanwhile");
        assert!(e.to_string().contains("the copy is kept in"), "{e}");
        assert_eq!(names(&dest), ["mine"], "merged into");
        // The command line's merges, as kubectl's does.
        unpack(&tree[..], "src", &dest, "hint", &Meter::default()).expect("merged");
        assert_eq!(names(&dest), ["a", "mine"]);

        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(6);
        b.append_data(&mut h, "src", &b"copied"[..]).expect("file");
        let one = b.into_inner().expect("tar");
        let file = work.path().join("report.txt");
        std::fs::write(&file, b"mine").expect("write");
        unpack_new(&one[..], "src", &file, "hint", &Meter::default()).expect_err("taken");
        assert_eq!(std::fs::read(&file).expect("mine"), b"mine");
        // A dangling link: the command line writes over it (it is no free name, and no
        // "saved meanwhile" either).
        let link = work.path().join("link.txt");
        std::os::unix::fs::symlink(work.path().join("nowhere"), &link).expect("symlink");
        unpack(&one[..], "src", &link, "hint", &Meter::default()).expect("over the link");
        let m = std::fs::symlink_metadata(&link).expect("stat");
        assert!(m.is_file(), "{m:?}");
        assert_eq!(std::fs::read(&link).expect("copied"), b"copied");

        // A rename that fails for another reason (its folder gone meanwhile): the finished copy
        // stays, named in the error.
        let work = tempfile::tempdir().expect("tmp");
        let gone = work.path().join("gone");
        std::fs::create_dir(&gone).expect("mkdir");
        let mut tmp = tempfile::Builder::new()
            .prefix(".podterm-cp-")
            .tempfile_in(work.path())
            .expect("tmp");
        std::io::Write::write_all(tmp.as_file_mut(), b"finished").expect("write");
        std::fs::remove_dir(&gone).expect("rmdir");
        let e = persist(tmp, &gone.join("x"), Onto::Free).expect_err("no folder");
        let words = e.to_string();
        let kept: Vec<String> = names(work.path())
            .into_iter()
            .filter(|n| n.starts_with(".podterm-cp-"))
            .collect();
        assert_eq!(kept.len(), 1, "{:?}", names(work.path()));
        assert!(words.contains(&kept[0]), "{words}");
        assert_eq!(
            std::fs::read(work.path().join(&kept[0])).expect("kept"),
            b"finished"
        );
    }

    /// A stream of a file and hard links to it.
    fn linked(prefix: &str, file: &str, data: &[u8], links: &[&str]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, format!("{prefix}{file}"), data)
            .expect("file");
        for l in links {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Link);
            h.set_size(0);
            b.append_link(&mut h, format!("{prefix}{l}"), format!("{prefix}{file}"))
                .expect("link");
        }
        b.into_inner().expect("tar")
    }

    /// A hard link lands as one, as in the pod (GNU tar makes them so): a thousand links to a
    /// file take no more room than the file. The copy they used to be made a few bytes of
    /// stream write a gigabyte a link. A name linked to itself is left as it is.
    #[test]
    fn hard_links_land_as_hard_links() {
        use std::os::unix::fs::MetadataExt as _;
        let work = tempfile::tempdir().expect("tmp");
        let names: Vec<String> = (0..1000).map(|i| format!("l{i}")).collect();
        let mut links: Vec<&str> = names.iter().map(String::as_str).collect();
        links.push("f");
        let data = vec![5u8; 1 << 20];
        let dest = work.path().join("new");
        let done = unpack(
            &linked("src/", "f", &data, &links)[..],
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect("unpacked");
        assert_eq!(done.files, 1002);
        let f = std::fs::metadata(dest.join("f")).expect("f");
        assert_eq!(f.nlink(), 1001);
        let l = std::fs::metadata(dest.join("l999")).expect("link");
        assert_eq!((l.ino(), l.len()), (f.ino(), 1 << 20));
        // A name given again as a file is made anew: its link's other names keep their bytes.
        let dest = work.path().join("again");
        let mut s = linked("src/", "f", b"first", &["g"]);
        s.truncate(s.len() - 1024);
        // After its directory's header block.
        s.extend(stream(&[("g", b"second")], None).split_off(512));
        unpack(&s[..], "src", &dest, "hint", &Meter::default()).expect("unpacked");
        assert_eq!(std::fs::read(dest.join("f")).expect("f"), b"first");
        assert_eq!(std::fs::read(dest.join("g")).expect("g"), b"second");
    }

    /// Into a directory that is there, each name keeps its existing file's mode: linked names
    /// would share one (a private file made world-readable by its link's mode), so there they
    /// are copies.
    #[test]
    fn hard_links_merged_into_existing_files_keep_each_file_s_mode() {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let work = tempfile::tempdir().expect("tmp");
        let dest = work.path().join("there");
        std::fs::create_dir(&dest).expect("mkdir");
        for (name, mode) in [("f", 0o600), ("g", 0o755)] {
            std::fs::write(dest.join(name), b"old").expect("write");
            std::fs::set_permissions(dest.join(name), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
        unpack(
            &linked("src/", "f", b"new", &["g"])[..],
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect("merged");
        let mode = |n: &str| std::fs::metadata(dest.join(n)).expect("stat").mode() & 0o777;
        assert_eq!((mode("f"), mode("g")), (0o600, 0o755));
        assert_eq!(std::fs::read(dest.join("g")).expect("g"), b"new");
    }

    /// Where a hard link cannot be made it is copied, and links that would copy more than the
    /// stream brought, and some, are refused.
    #[test]
    fn hard_links_copied_instead_are_bounded() {
        let work = tempfile::tempdir().expect("tmp");
        let data = vec![1u8; 1 << 20];
        let few: Vec<String> = (0..3).map(|i| format!("l{i}")).collect();
        let few: Vec<&str> = few.iter().map(String::as_str).collect();
        let many: Vec<String> = (0..40).map(|i| format!("l{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        // Into a directory that is there: copies (see above), within 4 MiB beyond the stream.
        let within = |links: &[&str], dest: &Path| {
            std::fs::create_dir_all(dest).expect("mkdir");
            unpack_within(
                &linked("src/", "f", &data, links)[..],
                "src",
                dest,
                "hint",
                &Meter::default(),
                4 << 20,
                false,
            )
        };
        within(&few, &work.path().join("a")).expect("a few copies");
        assert_eq!(
            std::fs::read(work.path().join("a/l2")).expect("l2").len(),
            1 << 20
        );
        let e = within(&many, &work.path().join("b")).expect_err("too many copies");
        assert!(
            matches!(
                e,
                TransferError::Refused {
                    why: Refusal::LinkCopies(_),
                    ..
                }
            ),
            "{e}"
        );
    }

    /// A pod's `tar` declaring a 100 GiB long name after a file, its bytes never ending: the
    /// copy is refused as a corrupt stream at that header (the `tar` crate would read it all
    /// into memory), and nothing lands.
    #[test]
    fn a_huge_long_name_is_refused_before_it_is_read() {
        let work = tempfile::tempdir().expect("tmp");
        let dest = work.path().join("new");
        let mut head = stream(&[("a", b"1")], None);
        // Without its end-of-archive blocks.
        head.truncate(head.len() - 1024);
        let mut h = tar::Header::new_gnu();
        h.set_path("././@LongLink").expect("name");
        h.set_size(100 << 30);
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_cksum();
        head.extend_from_slice(h.as_bytes());
        let endless = std::io::Read::chain(&head[..], std::io::repeat(b'n'));
        let e = unpack(endless, "src", &dest, "hint", &Meter::default()).expect_err("refused");
        assert!(matches!(e, TransferError::Corrupt(_)), "{e}");
        assert!(
            e.to_string().contains("long name of 107374182400 bytes"),
            "{e}"
        );
        assert!(names(work.path()).is_empty(), "{:?}", names(work.path()));
    }

    /// Into a directory that is there: a copy stopped half-way changes nothing in it (the
    /// per-file way had replaced `a` and added `d/b` before the fifo stopped it); a whole one
    /// merges in, an existing file keeping its mode; a conflict moves nothing.
    #[test]
    fn a_merge_into_an_existing_directory_lands_whole_or_not_at_all() {
        use std::os::unix::fs::PermissionsExt as _;
        let work = tempfile::tempdir().expect("tmp");
        let dest = work.path().join("there");
        std::fs::create_dir_all(dest.join("d/old")).expect("mkdir");
        std::fs::write(dest.join("a"), b"old").expect("write");
        std::fs::set_permissions(dest.join("a"), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        std::fs::write(dest.join("keep"), b"k").expect("write");
        let files: [(&str, &[u8]); 4] = [
            ("a", b"new"),
            ("d/b", b"22"),
            ("d/old/c", b"333"),
            ("e/f", b"4"),
        ];
        let bad = stream(&files, Some(("pipe", tar::EntryType::Fifo)));
        let e = unpack(&bad[..], "src", &dest, "hint", &Meter::default()).expect_err("refused");
        assert!(matches!(e, TransferError::Refused { .. }), "{e}");
        assert_eq!(names(&dest), ["a", "d", "keep"]);
        assert_eq!(std::fs::read(dest.join("a")).expect("a"), b"old");
        assert_eq!(names(&dest.join("d")), ["old"]);
        assert!(names(&dest.join("d/old")).is_empty());

        let done = unpack(
            &stream(&files, None)[..],
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect("merged");
        assert_eq!(done.files, 4);
        assert_eq!(names(&dest), ["a", "d", "e", "keep"]);
        assert_eq!(std::fs::read(dest.join("a")).expect("a"), b"new");
        let mode = std::fs::metadata(dest.join("a"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "an existing file keeps its mode");
        assert_eq!(names(&dest.join("d")), ["b", "old"]);
        assert_eq!(std::fs::read(dest.join("d/old/c")).expect("c"), b"333");
        assert_eq!(std::fs::read(dest.join("e/f")).expect("f"), b"4");

        // A file of the copy where a directory is: refused, nothing moved, no stage left.
        let clash: [(&str, &[u8]); 2] = [("z", b"zz"), ("d", b"file")];
        let e = unpack(
            &stream(&clash, None)[..],
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect_err("clash");
        assert!(matches!(e, TransferError::IsDirectory(_)), "{e}");
        assert_eq!(names(&dest), ["a", "d", "e", "keep"]);

        // A move that fails part-way (here: a linked directory on another filesystem, where a
        // rename cannot go) keeps what had not moved, and says where.
        let elsewhere = tempfile::tempdir_in(other_filesystem(work.path())).expect("tmp");
        std::os::unix::fs::symlink(elsewhere.path(), dest.join("linked")).expect("symlink");
        let across: [(&str, &[u8]); 1] = [("linked/x", b"xx")];
        let e = unpack(
            &stream(&across, None)[..],
            "src",
            &dest,
            "hint",
            &Meter::default(),
        )
        .expect_err("EXDEV");
        let words = e.to_string();
        let kept = words
            .split("is kept in ")
            .nth(1)
            .map(|p| Path::new(p.trim()).to_path_buf())
            .unwrap_or_else(|| panic!("no kept stage named: {words}"));
        assert_eq!(
            std::fs::read(kept.join("linked/x")).expect("kept"),
            b"xx",
            "{words}"
        );
        std::fs::remove_dir_all(&kept).expect("rm kept");
    }

    /// A directory on another filesystem than `here` (/dev/shm is a tmpfs on Linux).
    fn other_filesystem(here: &Path) -> &'static Path {
        use std::os::unix::fs::MetadataExt as _;
        let shm = Path::new("/dev/shm");
        let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).expect("stat");
        assert_ne!(
            dev(shm),
            dev(here),
            "this test needs /dev/shm on another filesystem than the temporary directory"
        );
        shm
    }

    #[test]
    fn a_single_file_lands_under_its_name() {
        let work = tempfile::tempdir().expect("tmp");
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(3);
        b.append_data(&mut h, "src/f.txt", &b"abc"[..])
            .expect("file");
        let data = b.into_inner().expect("tar");
        let dest = work.path().join("g.txt");
        unpack(&data[..], "src/f.txt", &dest, "hint", &Meter::default()).expect("unpacked");
        assert_eq!(std::fs::read(&dest).expect("g"), b"abc");
        assert_eq!(names(work.path()), ["g.txt"]);
    }
}
