//! One large regular file copied as [`STREAMS`] byte ranges at once, each its own exec session
//! (issue 16, item 4). One stream is bound by one core's worth of the API server and the pod's
//! `tar`; ranges in parallel spread that over the cores. Used for a single regular file of at
//! least [`RANGES_FROM`] bytes when one probe finds GNU `dd`'s byte offsets in the container
//! (`iflag=skip_bytes,count_bytes` to read a range, `oflag=seek_bytes conv=notrunc` to write one,
//! each tried on real bytes, never assumed: busybox's dd differs); otherwise the caller goes on
//! with the one tar stream, unchanged.
//!
//! - Download: each range is `dd if=FILE iflag=skip_bytes,count_bytes skip=OFF count=LEN`, its
//!   bytes written at their offsets (positioned writes) into a temporary file beside the
//!   destination (`.podterm-cp-*.part`, as [`super::unpack`] names it), renamed over the
//!   destination once every range arrived whole and the size is the container's. The file is
//!   made as kubectl's `os.Create` makes it: a new one 0666 less the umask, an existing one keeps
//!   its mode.
//! - Upload: `dd of=TMP oflag=seek_bytes seek=OFF conv=notrunc` per range, fed from the local
//!   file at that offset, into `.podterm-cp-*.part` beside the destination in the container;
//!   then one `sh` checks the size, gives the file the owner and mode kubectl's `tar -xmf -`
//!   would (as root: the local file's mode and numeric owner, as tar's `--same-owner
//!   --same-permissions`; else, or with `--no-preserve`, the mode less the container's umask),
//!   and renames it into place. The modification time is the copy's, as `tar -m` leaves it.
//!   A failure or a cancel removes the temporary file.
//!
//! Paths travel as exec arguments (`dd of=PATH`, `sh -c '… "$1"' sh PATH`), never spliced into
//! a shell line. With `--retries`, a broken range goes on by itself: a download from the byte
//! it reached, an upload from its range's start (the bytes the pod's dd had written are not
//! known; writing them again is harmless). Memory: each stream holds at most its session's
//! read-ahead (download) or [`PIECES`] pieces of [`PIECE`] bytes (upload).

use super::unpack::Feed;
use super::{exec_once, failed, out_of_space, paths, Cancel, Meter, Options, Report, Target};
use super::{no_space, TransferError};
use crate::exec::Tuning;
use crate::protocol::Outcome;
use crate::stdin::{Frame, Piece};
use crate::text;
use std::os::unix::fs::{FileExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// A single file of at least this many bytes goes as byte ranges. Below it the one tar stream
/// is near its own ceiling already and the ranges' set-up (a probe, [`STREAMS`] sessions, the
/// final check: a few round trips) would eat what they gain.
pub const RANGES_FROM: u64 = 64 << 20;

/// How many ranges (exec sessions) at once.
pub const STREAMS: u64 = 4;

/// An upload's pieces: how much of the local file is read at a time, and how many wait for
/// each session's stdin.
const PIECE: usize = 256 * 1024;
const PIECES: usize = 8;

/// Whether a copy of `size` bytes is worth ranges.
pub fn worth(size: u64) -> bool {
    size >= RANGES_FROM
}

/// `size` cut into [`STREAMS`] contiguous ranges (offset, length), in MiB-aligned pieces.
pub fn split(size: u64, n: u64) -> Vec<(u64, u64)> {
    let n = n.max(1);
    let each = size.div_ceil(n).div_ceil(1 << 20) * (1 << 20);
    let mut out = Vec::new();
    let mut off = 0;
    while off < size {
        let len = each.min(size - off);
        out.push((off, len));
        off += len;
    }
    out
}

/// Whether a remote path is one tar would name as typed (no `..` in it): others keep the tar
/// path and its refusals, unchanged.
fn plain(path: &str) -> bool {
    !path.split('/').any(|p| p == "..")
}

/// The download's probe: a regular file (not a link: tar would send the link, which kubectl
/// skips), dd that reads a byte range (tried on ten bytes), and the file's size.
const PROBE_DOWN: &str = r#"[ -f "$1" ] && [ ! -L "$1" ] || exit 1
[ "$(printf 0123456789 | dd bs=4 iflag=skip_bytes,count_bytes skip=3 count=5 2>/dev/null)" = 34567 ] || exit 2
n=$(wc -c < "$1") || exit 3
echo $n"#;

/// The upload's probe: the destination is not a directory or special file, the tools of the
/// final step are there, the temporary file `$2` is made (never over another) and dd writes
/// at a byte offset into it without truncating (tried, then emptied); prints `id -u` and the
/// umask.
const PROBE_UP: &str = r#"if [ -e "$1" ] || [ -L "$1" ]; then [ -f "$1" ] && [ ! -d "$1" ] || exit 1; fi
for c in chmod chown mv rm wc id; do command -v "$c" >/dev/null 2>&1 || exit 2; done
(set -C; : > "$2") 2>/dev/null || exit 3
printf xy | dd of="$2" bs=4 oflag=seek_bytes seek=3 conv=notrunc 2>/dev/null || { rm -f -- "$2"; exit 4; }
n=$(wc -c < "$2"); [ $n -eq 5 ] 2>/dev/null && : > "$2" || { rm -f -- "$2"; exit 4; }
id -u
umask"#;

/// The upload's last step: the size checked, owner and mode set, renamed into place; the
/// temporary file removed on any failure.
const FINISH_UP: &str = r#"n=$(wc -c < "$1") || { rm -f -- "$1"; exit 3; }
[ $n -eq "$3" ] 2>/dev/null || { rm -f -- "$1"; echo "$n"; exit 4; }
if [ -n "$5" ]; then chown -- "$5" "$1" || { rm -f -- "$1"; exit 5; }; fi
chmod -- "$4" "$1" || { rm -f -- "$1"; exit 5; }
mv -f -- "$1" "$2" || { rm -f -- "$1"; exit 6; }"#;

const SHORT: i32 = 4;

fn sh(script: &str, args: &[&str]) -> Vec<String> {
    let mut v = vec!["sh".to_string(), "-c".into(), script.into(), "sh".into()];
    v.extend(args.iter().map(|a| a.to_string()));
    v
}

/// What every stream of one copy shares.
struct Ctx {
    client: kube::Client,
    t: Target,
    /// The file in the container (the source, or the temporary file of an upload).
    path: String,
    tuning: Tuning,
    retries: i32,
    meter: Meter,
    /// Stops every stream: the user's cancel, or one stream's failure.
    stop: Cancel,
    notes: Mutex<Vec<String>>,
    ranges: usize,
}

impl Ctx {
    /// One copy of `size` bytes as ranges, through the file at `path` in the container: the
    /// shared state, and the ranges (offset, length).
    fn new(
        client: &kube::Client,
        t: &Target,
        path: String,
        size: u64,
        opts: &Options,
        meter: &Meter,
    ) -> (Arc<Ctx>, Vec<(u64, u64)>) {
        meter.set_total(size);
        let parts = split(size, STREAMS);
        let ctx = Arc::new(Ctx {
            client: client.clone(),
            t: t.clone(),
            path,
            tuning: opts.tuning,
            retries: opts.retries,
            meter: meter.clone(),
            stop: Cancel::default(),
            notes: Mutex::new(Vec::new()),
            ranges: parts.len(),
        });
        (ctx, parts)
    }

    /// One task a range (`go` with the range's index, offset and length), each stopping the
    /// others when it fails.
    fn spawn_each<F, Fut>(
        self: &Arc<Ctx>,
        parts: &[(u64, u64)],
        go: F,
    ) -> Vec<tokio::task::JoinHandle<Result<(), TransferError>>>
    where
        F: Fn(Arc<Ctx>, usize, u64, u64) -> Fut,
        Fut: std::future::Future<Output = Result<(), TransferError>> + Send + 'static,
    {
        parts
            .iter()
            .enumerate()
            .map(|(i, &(off, len))| {
                let ctx = self.clone();
                let range = go(self.clone(), i, off, len);
                tokio::spawn(async move {
                    let r = range.await;
                    ctx.stop_on(&r);
                    r
                })
            })
            .collect()
    }

    /// A range that failed stops the others at once.
    fn stop_on(&self, r: &Result<(), TransferError>) {
        if r.is_err() {
            self.stop.cancel();
        }
    }

    /// The notes for the report: the resumes, then the way the file went.
    fn notes(&self, shown: &str) -> Vec<String> {
        let mut notes = self.notes.lock().map(|n| n.clone()).unwrap_or_default();
        notes.push(format!(
            "Copied {} as {} byte ranges at once (dd in the container)",
            text::shown(shown),
            self.ranges
        ));
        notes
    }

    /// Whether a broken attempt goes again (`tries` counts this range's retries).
    fn again(&self, tries: &mut i32, i: usize, from: u64) -> bool {
        if self.retries >= 0 && *tries >= self.retries {
            return false;
        }
        *tries += 1;
        let note = format!(
            "Resuming copy at {} bytes, retry {}/{} (byte range {} of {} goes on from byte {from})",
            self.meter.done(),
            tries,
            self.retries,
            i + 1,
            self.ranges
        );
        if let Ok(mut n) = self.notes.lock() {
            n.push(note);
        }
        true
    }
}

/// Runs `streams` to their ends: the first failure stops the others. The user's cancel wins;
/// else the first error that is not the stop it caused.
async fn all(
    cancel: &Cancel,
    stop: &Cancel,
    streams: Vec<tokio::task::JoinHandle<Result<(), TransferError>>>,
) -> Result<(), TransferError> {
    let link = {
        let (c, s) = (cancel.clone(), stop.clone());
        tokio::spawn(async move {
            c.cancelled().await;
            s.cancel();
        })
    };
    let mut first: Option<TransferError> = None;
    for s in streams {
        let r = match s.await {
            Ok(r) => r,
            // A stream's task cannot panic on outside data; if it did, the copy is not whole.
            Err(_) => Err(TransferError::Cancelled),
        };
        if let Err(e) = r {
            stop.cancel();
            let keep = match (&first, &e) {
                (None, _) => true,
                (Some(TransferError::Cancelled), f) => !matches!(f, TransferError::Cancelled),
                _ => false,
            };
            if keep {
                first = Some(e);
            }
        }
    }
    link.abort();
    if cancel.is_cancelled() {
        return Err(TransferError::Cancelled);
    }
    match first {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The size of `src` when it can go as byte ranges from this container, else `None`.
pub(super) async fn probe_down(
    client: &kube::Client,
    t: &Target,
    src: &str,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<Option<u64>, TransferError> {
    if !plain(src) {
        return Ok(None);
    }
    let ran = exec_once(
        client,
        t,
        sh(PROBE_DOWN, &[src]),
        tuning,
        None,
        None,
        cancel,
    )
    .await?;
    Ok(match ran.outcome? {
        Outcome::Success => String::from_utf8_lossy(&ran.stdout)
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| worth(*n)),
        _ => None,
    })
}

/// Downloads `src` (`size` bytes, probed by [`probe_down`]) to local `dest`, a path that is not
/// a directory.
#[allow(clippy::too_many_arguments)]
pub(super) async fn download(
    client: &kube::Client,
    t: &Target,
    src: &str,
    dest: &Path,
    size: u64,
    opts: &Options,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    use std::os::unix::fs::PermissionsExt as _;
    let onto = super::unpack::Onto::at(dest, opts.new_only)?;
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".podterm-cp-")
        .suffix(".part")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| TransferError::local(dir, e))?;
    let file = Arc::new(
        tmp.as_file()
            .try_clone()
            .map_err(|e| TransferError::local(dest, e))?,
    );
    let (ctx, parts) = Ctx::new(client, t, src.to_string(), size, opts, meter);
    let streams = ctx.spawn_each(&parts, |ctx, i, off, len| {
        let (file, dest) = (file.clone(), dest.to_path_buf());
        async move { fetch(&ctx, i, off, len, file, dest).await }
    });
    all(cancel, &ctx.stop, streams).await?;
    drop(file);
    let got = tmp
        .as_file()
        .metadata()
        .map_err(|e| TransferError::local(dest, e))?
        .len();
    if got != size {
        return Err(TransferError::Mismatch {
            path: text::shown(src),
            why: format!("{got} bytes here, {size} in the container: the copy is incomplete"),
        });
    }
    super::unpack::persist(tmp, dest, onto)?;
    let notes = ctx.notes(src);
    Ok(Report {
        bytes: meter.done(),
        files: 1,
        notes,
        ..Report::default()
    })
}

/// One range of a download: `dd` from the byte reached, its output written at its offsets.
async fn fetch(
    ctx: &Ctx,
    i: usize,
    off: u64,
    len: u64,
    file: Arc<std::fs::File>,
    dest: PathBuf,
) -> Result<(), TransferError> {
    let (tx, mut rx) = mpsc::channel::<Feed>(16);
    let (meter, stop) = (ctx.meter.clone(), ctx.stop.clone());
    let path = text::shown(&ctx.path);
    let over = move |sent: u64| {
        TransferError::Mismatch {
        path: path.clone(),
        why: format!(
            "{sent} bytes from byte {off} where {len} were asked: the file in the container changed while it was copied"
        ),
    }
    };
    let over_here = over.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let over = over_here;
        let mut at = off;
        while let Some(f) = rx.blocking_recv() {
            let data = match &f {
                Feed::Data(c) => c.data.clone(),
                Feed::Raw(b) => b.clone(),
                Feed::End => continue,
            };
            // More than the range (a pod's `dd` is the pod's): never written over the next one.
            if at - off + data.len() as u64 > len {
                stop.cancel();
                return Err(over(at - off + data.len() as u64));
            }
            if let Err(e) = file.write_all_at(&data, at) {
                // The others stop too; this error says why.
                stop.cancel();
                return Err(TransferError::local(&dest, e));
            }
            at += data.len() as u64;
            meter.add(data.len() as u64);
        }
        Ok(())
    });
    let mut reached: u64 = 0;
    let mut tries: i32 = 0;
    let pumped = loop {
        let command = vec![
            "dd".to_string(),
            format!("if={}", ctx.path),
            "bs=1M".into(),
            "iflag=skip_bytes,count_bytes".into(),
            format!("skip={}", off + reached),
            format!("count={}", len - reached),
        ];
        let ran = exec_once(
            &ctx.client,
            &ctx.t,
            command,
            ctx.tuning,
            None,
            Some(&tx),
            &ctx.stop,
        )
        .await;
        let broken = match ran {
            Err(TransferError::Cancelled) => break Err(TransferError::Cancelled),
            // Connecting failed: again only once this copy moved something (as tar's resume).
            Err(e) if tries == 0 && ctx.meter.done() == 0 => break Err(e),
            Err(e) => e,
            Ok(ran) => {
                reached = reached.saturating_add(ran.fed);
                if reached > len {
                    break Err(over(reached));
                }
                match ran.outcome {
                    Ok(Outcome::Success) if reached == len => break Ok(()),
                    Ok(Outcome::Success) => {
                        break Err(TransferError::Mismatch {
                            path: text::shown(&ctx.path),
                            why: format!(
                                "{reached} of {len} bytes from byte {off}: the file in the container shrank"
                            ),
                        })
                    }
                    Ok(other) => break Err(failed("dd", &ctx.t, other, &ran.stderr)),
                    Err(e) => e.into(),
                }
            }
        };
        if !ctx.again(&mut tries, i, off + reached) {
            break Err(broken);
        }
    };
    drop(tx);
    let written = writer.await.map_err(|_| TransferError::Cancelled)?;
    match (pumped, written) {
        // The writer's failure stopped the stream: it says why.
        (Err(TransferError::Cancelled), Err(w)) => Err(w),
        (Err(e), _) => Err(e),
        (Ok(()), w) => w,
    }
}

/// What the upload's probe learned.
struct Landing {
    root: bool,
    umask: u32,
}

/// Uploads local `src` as `target` in the container (the path the file lands at, kubectl's
/// placement already applied) through byte ranges, when it is a regular file worth it and the
/// container can ([`PROBE_UP`]). `None`: not this way; nothing was done.
pub(super) async fn upload(
    client: &kube::Client,
    t: &Target,
    src: &Path,
    target: &str,
    opts: &Options,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Option<Report>, TransferError> {
    let Ok(md) = std::fs::symlink_metadata(src) else {
        return Ok(None);
    };
    if !md.is_file() || !worth(md.len()) || !plain(target) {
        return Ok(None);
    }
    let size = md.len();
    let file = Arc::new(std::fs::File::open(src).map_err(|e| TransferError::local(src, e))?);
    let dir = paths::dir(target);
    let name = format!(".podterm-cp-{:016x}.part", rand::random::<u64>());
    let mut tmp = paths::join(&dir, &name);
    if !tmp.starts_with('/') {
        tmp = format!("./{tmp}");
    }
    let ran = exec_once(
        client,
        t,
        sh(PROBE_UP, &[target, &tmp]),
        opts.tuning,
        None,
        None,
        cancel,
    )
    .await?;
    let landing = match ran.outcome? {
        Outcome::Success => {
            let out = String::from_utf8_lossy(&ran.stdout).into_owned();
            let mut lines = out.lines().map(str::trim);
            let uid = lines.next().and_then(|l| l.parse::<u32>().ok());
            let umask = lines.next().and_then(|l| u32::from_str_radix(l, 8).ok());
            match (uid, umask) {
                (Some(uid), Some(umask)) => Landing {
                    root: uid == 0,
                    umask,
                },
                // Made, but its words unreadable: removed, and tar's way.
                _ => {
                    remove(client, t, &tmp, opts.tuning).await;
                    return Ok(None);
                }
            }
        }
        _ => return Ok(None),
    };
    let (ctx, parts) = Ctx::new(client, t, tmp.clone(), size, opts, meter);
    let streams = ctx.spawn_each(&parts, |ctx, i, off, len| {
        let (file, src) = (file.clone(), src.to_path_buf());
        async move { send(&ctx, i, off, len, file, src).await }
    });
    if let Err(e) = all(cancel, &ctx.stop, streams).await {
        remove(client, t, &tmp, opts.tuning).await;
        if !matches!(e, TransferError::Cancelled | TransferError::Local { .. })
            && out_of_space(client, t, &dir, size, opts.tuning, &Cancel::default()).await
        {
            return Err(no_space(t, target));
        }
        return Err(e);
    }
    let mode = landed_mode(md.mode(), landing.root, landing.umask, opts.no_preserve);
    let owner = if landing.root && !opts.no_preserve {
        format!("{}:{}", md.uid(), md.gid())
    } else {
        String::new()
    };
    let ran = exec_once(
        client,
        t,
        sh(
            FINISH_UP,
            &[
                &tmp,
                target,
                &size.to_string(),
                &format!("{mode:o}"),
                &owner,
            ],
        ),
        opts.tuning,
        None,
        None,
        cancel,
    )
    .await;
    let ran = match ran {
        Ok(r) => r,
        Err(e) => {
            remove(client, t, &tmp, opts.tuning).await;
            return Err(e);
        }
    };
    match ran.outcome {
        Ok(Outcome::Success) => {}
        Ok(Outcome::Exit(SHORT)) => {
            let there = String::from_utf8_lossy(&ran.stdout).trim().to_string();
            return Err(TransferError::Mismatch {
                path: text::shown(target),
                why: format!(
                    "{} bytes in the container, {size} here: the copy is incomplete",
                    text::shown(&there)
                ),
            });
        }
        Ok(other) => return Err(failed("sh", t, other, &ran.stderr)),
        Err(e) => {
            remove(client, t, &tmp, opts.tuning).await;
            return Err(e.into());
        }
    }
    let notes = ctx.notes(target);
    Ok(Some(Report {
        bytes: meter.done(),
        files: 1,
        notes,
        ..Report::default()
    }))
}

/// The mode `tar -xmf -` leaves: as root the archive's (`--same-permissions`, root's
/// default), else (or with `--no-preserve`'s `--no-same-permissions`) less the umask.
fn landed_mode(mode: u32, root: bool, umask: u32, no_preserve: bool) -> u32 {
    let m = mode & 0o7777;
    if root && !no_preserve {
        m
    } else {
        m & !umask
    }
}

/// Removes the temporary file in the container (after a failure or a cancel: its own cancel,
/// since the user's has fired).
async fn remove(client: &kube::Client, t: &Target, tmp: &str, tuning: Tuning) {
    let rm = vec!["rm".to_string(), "-f".into(), "--".into(), tmp.to_string()];
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        exec_once(client, t, rm, tuning, None, None, &Cancel::default()),
    )
    .await;
}

/// One range of an upload: the local file from `off`, `len` bytes, into `dd` at that offset.
async fn send(
    ctx: &Ctx,
    i: usize,
    off: u64,
    len: u64,
    file: Arc<std::fs::File>,
    src: PathBuf,
) -> Result<(), TransferError> {
    let mut tries: i32 = 0;
    loop {
        let (tx, rx) = mpsc::channel::<Frame>(PIECES);
        let (reader_file, reader_src, meter) = (file.clone(), src.clone(), ctx.meter.clone());
        let reader = tokio::task::spawn_blocking(move || {
            read_range(&reader_file, &reader_src, off, len, &tx, &meter)
        });
        let command = vec![
            "dd".to_string(),
            format!("of={}", ctx.path),
            "bs=1M".into(),
            "oflag=seek_bytes".into(),
            "conv=notrunc".into(),
            format!("seek={off}"),
        ];
        let ran = exec_once(
            &ctx.client,
            &ctx.t,
            command,
            ctx.tuning,
            Some(rx),
            None,
            &ctx.stop,
        )
        .await;
        let read = reader.await.map_err(|_| TransferError::Cancelled)?;
        let sent = match &read {
            Ok(n) | Err((n, _)) => *n,
        };
        let broken = match ran {
            Err(TransferError::Cancelled) => return Err(TransferError::Cancelled),
            Err(e) if tries == 0 && ctx.meter.done() == 0 => return Err(e),
            Err(e) => e,
            Ok(ran) => match ran.outcome {
                Ok(Outcome::Success) => {
                    return match read {
                        Ok(n) if n == len => Ok(()),
                        Ok(n) => Err(TransferError::local(
                            &src,
                            std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                format!("{n} of {len} bytes from byte {off}: the file shrank"),
                            ),
                        )),
                        Err((_, e)) => Err(e),
                    }
                }
                Ok(other) => {
                    // A local read failure explains a dd that saw a short stream.
                    if let Err((_, e)) = read {
                        return Err(e);
                    }
                    return Err(failed("dd", &ctx.t, other, &ran.stderr));
                }
                Err(e) => e.into(),
            },
        };
        // What this attempt counted is sent again from the range's start.
        ctx.meter.take_back(sent);
        if !ctx.again(&mut tries, i, off) {
            return Err(broken);
        }
    }
}

/// Reads `len` bytes of `file` from `off` into the session's stdin; how many were handed over
/// (also with the error).
fn read_range(
    file: &std::fs::File,
    path: &Path,
    off: u64,
    len: u64,
    tx: &mpsc::Sender<Frame>,
    meter: &Meter,
) -> Result<u64, (u64, TransferError)> {
    let mut done: u64 = 0;
    while done < len {
        let want = (len - done).min(PIECE as u64) as usize;
        // Read straight into the frame that carries it.
        let mut piece = Piece::zeroed(want);
        let mut filled = 0;
        while filled < want {
            match file.read_at(&mut piece.data_mut()[filled..], off + done + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err((done, TransferError::local(path, e))),
            }
        }
        if filled == 0 {
            break;
        }
        piece.truncate(filled);
        if tx.blocking_send(piece.finish()).is_err() {
            // The session ended (dd stopped reading, the link broke, a cancel): its outcome says.
            break;
        }
        done += filled as u64;
        meter.add(filled as u64);
        if filled < want {
            break;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_file_once_in_order() {
        let size = (200 << 20) + 12345;
        let r = split(size, 4);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0], (0, 51 << 20));
        let mut next = 0;
        for (off, len) in &r {
            assert_eq!(*off, next);
            assert!(*len > 0);
            next += len;
        }
        assert_eq!(next, size);
        // Small ones: fewer ranges, never an empty one.
        assert_eq!(
            split(3 << 20, 4),
            [(0, 1 << 20), (1 << 20, 1 << 20), (2 << 20, 1 << 20)]
        );
        assert!(split(0, 4).is_empty());
    }

    #[test]
    fn the_mode_is_the_one_tar_xmf_leaves() {
        // Root keeps the archive's mode (set-id bits too), unless --no-preserve.
        assert_eq!(landed_mode(0o104755, true, 0o022, false), 0o4755);
        assert_eq!(landed_mode(0o100664, true, 0o022, true), 0o644);
        // Anyone else: less the umask.
        assert_eq!(landed_mode(0o100666, false, 0o027, false), 0o640);
    }

    #[test]
    fn only_large_plain_paths_go_as_ranges() {
        assert!(!worth(RANGES_FROM - 1));
        assert!(worth(RANGES_FROM));
        assert!(plain("/data/a b/f.bin"));
        assert!(!plain("/data/../etc/f"));
    }
}
