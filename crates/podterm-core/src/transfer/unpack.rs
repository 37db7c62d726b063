//! A pod's tar stream unpacked under a local destination, as kubectl's `untarAll` places it
//! (each name with the source's prefix stripped, directories made 0755, files made as
//! `os.Create` makes them: 0666 less the umask when new, their mode kept when overwritten), with
//! what kubectl lets through refused: absolute names, `..`, names not under the source, links
//! pointing outside the destination, device files and fifos. Nothing is ever written outside the
//! destination. Each file is written under a temporary name in its directory and renamed when
//! complete, so a stopped transfer leaves no partial file under a final name. Runs on a
//! blocking thread.

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

/// Blocking reads over the feed; counts what it reads.
pub struct FeedReader {
    rx: mpsc::Receiver<Feed>,
    cur: Option<Chunk>,
    pos: usize,
    ended: bool,
    meter: Meter,
}

impl FeedReader {
    pub fn new(rx: mpsc::Receiver<Feed>, meter: Meter) -> FeedReader {
        FeedReader {
            rx,
            cur: None,
            pos: 0,
            ended: false,
            meter,
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
                    self.meter.add(n as u64);
                    return Ok(n);
                }
                self.cur = None;
            }
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Feed::Data(c)) => {
                    self.cur = Some(c);
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

/// Whether a symlink at `at` (under `dest`) pointing at `target` stays under `dest`.
fn link_stays_inside(at: &Path, target: &[u8], dest: &Path) -> bool {
    if target.starts_with(b"/") {
        return false;
    }
    let Ok(rel) = at.strip_prefix(dest) else {
        return false;
    };
    // The link's directory, as a depth below the destination.
    let mut depth = rel.components().count() as i64 - 1;
    for part in target.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}

fn refuse(name: &[u8], why: Refusal) -> TransferError {
    TransferError::Refused {
        entry: text::shown_bytes(name),
        why,
    }
}

/// Unpacks the stream under `dest`. `src` is the remote source as typed (for kubectl's symlink
/// warning), `prefix` what every name starts with ([`super::paths::download_prefix`]).
pub fn unpack(
    reader: impl Read,
    prefix: &str,
    dest: &Path,
    exec_hint: &str,
) -> Result<Unpacked, TransferError> {
    let mut done = Unpacked::default();
    let mut written: HashSet<PathBuf> = HashSet::new();
    let mut ar = tar::Archive::new(reader);
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
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&to).map_err(|e| TransferError::local(&to, e))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                make_parent(&to)?;
                write_file(&to, &mut e)?;
                written.insert(to);
                done.files += 1;
            }
            tar::EntryType::Symlink => {
                let target = e
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                if !link_stays_inside(&to, &target, dest) {
                    return Err(refuse(
                        &name,
                        Refusal::LinkOutside(text::shown_bytes(&target)),
                    ));
                }
                // kubectl skips symlinks, saying so (the first time with a way to copy them).
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
                make_parent(&to)?;
                let mut src =
                    std::fs::File::open(&from).map_err(|e| TransferError::local(&from, e))?;
                write_file(&to, &mut src)?;
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
    Ok(done)
}

fn make_parent(to: &Path) -> Result<(), TransferError> {
    match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => {
            std::fs::create_dir_all(p).map_err(|e| TransferError::local(p, e))
        }
        _ => Ok(()),
    }
}

/// Writes a file under a temporary name beside `to`, then renames it over `to`.
pub(super) fn write_file(to: &Path, from: &mut impl Read) -> Result<(), TransferError> {
    use std::os::unix::fs::PermissionsExt as _;
    let existing = std::fs::metadata(to).ok();
    if existing.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(TransferError::IsDirectory(to.to_path_buf()));
    }
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
    if let Some(m) = existing {
        // os.Create truncates an existing file and keeps its mode.
        std::fs::set_permissions(tmp.path(), m.permissions())
            .map_err(|e| TransferError::local(to, e))?;
    }
    tmp.persist(to)
        .map_err(|e| TransferError::local(to, e.error))?;
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

    #[test]
    fn links_inside_stay_and_others_do_not() {
        let d = Path::new("/dest");
        assert!(link_stays_inside(&d.join("a/l"), b"../b", d));
        assert!(link_stays_inside(&d.join("a/l"), b"x/./y", d));
        assert!(!link_stays_inside(&d.join("a/l"), b"../../etc", d));
        assert!(!link_stays_inside(&d.join("l"), b"..", d));
        assert!(!link_stays_inside(&d.join("l"), b"/etc/passwd", d));
    }
}
