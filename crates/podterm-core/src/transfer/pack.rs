//! The tar stream an upload sends, laid out as kubectl's `makeTar`/`recursiveTar`: entries
//! named from the destination's base name down, a header only for empty directories, symlinks
//! as links, USTAR headers with the file's mode (permissions and the set-id and sticky bits),
//! owner ids and modification time rounded to the second. Runs on a blocking thread.

use super::{Meter, TransferError};
use crate::stdin::{Frame, Piece};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// The size of each piece handed to the exec session's stdin.
const PIECE: usize = 256 * 1024;

/// Bytes for the session's stdin, in pieces written straight into their frames; counts what it
/// hands over.
pub struct Pipe {
    tx: mpsc::Sender<Frame>,
    buf: Piece,
    meter: Meter,
}

impl Pipe {
    pub fn new(tx: mpsc::Sender<Frame>, meter: Meter) -> Pipe {
        Pipe {
            tx,
            buf: Piece::with_capacity(PIECE),
            meter,
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buf, Piece::with_capacity(PIECE));
        let n = piece.len() as u64;
        self.tx
            .blocking_send(piece.finish())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        self.meter.add(n);
        Ok(())
    }
}

impl Write for Pipe {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = PIECE - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == PIECE {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// The bytes a tree will take in the stream (headers and padding included): the progress total.
pub fn stream_size(src: &Path) -> u64 {
    fn walk(p: &Path) -> u64 {
        let Ok(md) = std::fs::symlink_metadata(p) else {
            return 0;
        };
        if md.is_dir() {
            let Ok(rd) = std::fs::read_dir(p) else {
                return 0;
            };
            let kids: Vec<_> = rd.flatten().collect();
            if kids.is_empty() {
                return 512;
            }
            kids.iter().map(|k| walk(&k.path())).sum()
        } else if md.is_file() {
            512 + md.len().div_ceil(512) * 512
        } else {
            512
        }
    }
    walk(src) + 1024
}

/// Writes the tar stream of local `src` with its top entry named `name` (the destination's base
/// name, as kubectl names it), then the end-of-archive blocks.
pub fn pack(src: &Path, name: &str, out: Pipe) -> Result<(), TransferError> {
    let mut b = tar::Builder::new(out);
    walk(&mut b, src, PathBuf::from(name))?;
    let mut out = b.into_inner().map_err(|e| TransferError::local(src, e))?;
    out.flush().map_err(|e| TransferError::local(src, e))
}

fn header(md: &std::fs::Metadata, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(md.mode() & 0o7777);
    h.set_uid(u64::from(md.uid()));
    h.set_gid(u64::from(md.gid()));
    // Go's tar writer rounds the time to the nearest second.
    let secs = md.mtime().max(0) as u64 + u64::from(md.mtime_nsec() >= 500_000_000);
    h.set_mtime(secs);
    h.set_size(0);
    h
}

fn walk<W: Write>(
    b: &mut tar::Builder<W>,
    path: &Path,
    name: PathBuf,
) -> Result<(), TransferError> {
    let md = std::fs::symlink_metadata(path).map_err(|e| TransferError::local(path, e))?;
    let ft = md.file_type();
    if ft.is_dir() {
        let mut kids: Vec<OsString> = std::fs::read_dir(path)
            .map_err(|e| TransferError::local(path, e))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(|e| TransferError::local(path, e))?;
        // Go's os.ReadDir: sorted by name (OsString orders by bytes on Unix).
        kids.sort();
        if kids.is_empty() {
            let mut h = header(&md, tar::EntryType::Directory);
            b.append_data(&mut h, &name, std::io::empty())
                .map_err(|e| TransferError::local(path, e))?;
        }
        for k in kids {
            walk(b, &path.join(&k), name.join(&k))?;
        }
        Ok(())
    } else if ft.is_symlink() {
        let target = std::fs::read_link(path).map_err(|e| TransferError::local(path, e))?;
        let mut h = header(&md, tar::EntryType::Symlink);
        b.append_link(&mut h, &name, &target)
            .map_err(|e| TransferError::local(path, e))
    } else if ft.is_file() {
        let f = std::fs::File::open(path).map_err(|e| TransferError::local(path, e))?;
        let mut h = header(&md, tar::EntryType::Regular);
        h.set_size(md.len());
        b.append_data(&mut h, &name, std::io::BufReader::with_capacity(PIECE, f))
            .map_err(|e| TransferError::local(path, e))
    } else {
        Err(TransferError::SpecialLocal(path.to_path_buf()))
    }
}
