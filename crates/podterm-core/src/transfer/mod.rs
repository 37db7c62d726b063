//! Copying files and directories to and from a container, as `kubectl cp` does and
//! interoperating with it: the same commands in the pod (`tar -xmf - -C DIR` fed by stdin for an
//! upload, `tar cf - PATH` read from stdout for a download; `tar cf - PATH | tail -c+N` to resume
//! a broken download where it stopped, with `--retries`), the same tar layout
//! ([`pack`]) and the same placement of what comes back ([`unpack`]), with what kubectl lets
//! through refused: a pod's stream never writes outside the destination.
//!
//! Before the copy one `sh` probe in the container asks what kubectl learns only from a failed
//! tar: is there a tar, does the path exist, is the destination a directory (kubectl's
//! `test -d`), how big is the source (for progress). A container without `sh` skips the probe
//! and gets kubectl's exact commands. Bytes never cross into a UI: progress is a [`Meter`] of
//! counters, and a [`Cancel`] stops a transfer cleanly.

pub mod headers;
pub mod pack;
pub mod paths;
pub mod ranges;
pub mod rate;
pub mod single;
pub mod unpack;

use crate::cluster::ApiError;
use crate::debug::DebugError;
use crate::exec::{Chunk, ExecError, ExecSpec, Session, Tuning};
use crate::protocol::Outcome;
use crate::stdin::Frame;
use crate::text;
pub use paths::FileSpec;
pub use single::{Fallback, Method};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, Notify};
use unpack::Feed;

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// An argument is not `[[NAMESPACE/]POD:]PATH` (kubectl's words).
    #[error("filespec must match the canonical format: [[namespace/]pod:]file/path")]
    SpecFormat,
    /// Both sides name a pod (kubectl's words).
    #[error("one of src or dest must be a local file specification")]
    BothRemote,
    /// Neither side names a pod (kubectl's words).
    #[error("one of src or dest must be a remote file specification")]
    NeitherRemote,
    /// A side's path is empty (kubectl's words).
    #[error("filepath can not be empty")]
    EmptyPath,
    /// The local source is not there (kubectl's words).
    #[error("{} doesn't exist in local filesystem", text::shown(&.0.to_string_lossy()))]
    LocalMissing(PathBuf),
    /// The local source holds a device file, socket or fifo, which tar would not copy as data.
    #[error("{}: not a regular file, directory or symlink: copy it some other way", text::shown(&.0.to_string_lossy()))]
    SpecialLocal(PathBuf),
    /// A local file could not be read or written (permission, disk full ...).
    #[error("{}: {}", text::shown(&path.to_string_lossy()), io_words(source))]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A download would overwrite a local directory with a file.
    #[error("{}: is a directory: name a file there (for example {}/NAME) or another path", text::shown(&.0.to_string_lossy()), text::shown(&.0.to_string_lossy()))]
    IsDirectory(PathBuf),
    /// A download would make a directory where a local file is.
    #[error("{}: is a file, and a directory is copied there: name a directory, or a path that is not there yet", text::shown(&.0.to_string_lossy()))]
    IsFile(PathBuf),
    /// The container has no `tar`, and a directory was to be copied: without tar only a
    /// single file can go.
    #[error("there is no tar in container \"{container}\" of pod \"{pod}\": a directory needs tar in the image (a single file is copied without it)")]
    NoTar { pod: String, container: String },
    /// No tar, and none of the tools a single file can go through either (`debug`: not in
    /// the debug container beside it either). The words say the situation only: what to do
    /// depends on the front end (the CLI's `--debug`, the app's debug tab), which adds it.
    /// `no_shell`: an upload into a container without `sh` (only `dd` writes a file without
    /// one; a download reads with `cat` alone).
    #[error("there is no tar in container \"{container}\" of pod \"{pod}\", and no fallback: {}", no_fallback_words(*.debug, *.no_shell))]
    NoFallback {
        pod: String,
        container: String,
        debug: bool,
        no_shell: bool,
    },
    /// The debug container could not find the target container's processes (its files are
    /// reached through them).
    #[error("the debug container beside container \"{container}\" of pod \"{pod}\" cannot see its processes, so not its files either: the cluster's runtime does not share the target's process namespace")]
    TargetUnseen { pod: String, container: String },
    /// A file copied without tar is not what the container has (its sha256 or size differs);
    /// a download was not kept.
    #[error("{path}: the copy differs from the container's file ({why}); try again")]
    Mismatch { path: String, why: String },
    /// The debug container a copy goes through could not be added or did not start.
    #[error(transparent)]
    Debug(#[from] DebugError),
    /// The source path is not in the container.
    #[error("\"{path}\": no such file or directory in container \"{container}\" of pod \"{pod}\"")]
    NoSuchPath {
        path: String,
        pod: String,
        container: String,
    },
    /// An upload's destination directory is not in the container (a copy creates no
    /// directories, as kubectl's does not).
    #[error("\"{dir}\": no such directory in container \"{container}\" of pod \"{pod}\" to copy into; create it first (mkdir -p), or copy into a directory that is there")]
    NoSuchDirectory {
        dir: String,
        pod: String,
        container: String,
    },
    /// The container's user may not read the source or write the destination directory.
    #[error("\"{path}\": permission denied in container \"{container}\" of pod \"{pod}\"")]
    PermissionDenied {
        path: String,
        pod: String,
        container: String,
    },
    /// The container's file system filled up during an upload (`df` there says less room
    /// than the copy needs).
    #[error("\"{path}\": no space left in container \"{container}\" of pod \"{pod}\" (its file system is full): free some space there and retry")]
    NoSpace {
        path: String,
        pod: String,
        container: String,
    },
    /// The command in the container failed; its own words (escaped, cut) follow.
    #[error("{command} in container \"{container}\" failed with exit code {code}{}", stderr_words(.stderr))]
    Remote {
        command: &'static str,
        container: String,
        code: i32,
        stderr: String,
    },
    /// The command did not run in the container (the server's words).
    #[error("cannot run {command} in container \"{container}\": {message}")]
    NotRun {
        command: &'static str,
        container: String,
        message: String,
    },
    /// The pod's stream named something that would land outside the destination, or a kind of
    /// file that is never written: nothing of it was written.
    #[error("refused \"{entry}\" from the pod's tar stream: {why}; nothing was written outside the destination")]
    Refused { entry: String, why: Refusal },
    /// The pod's stream is not a valid tar stream.
    #[error("the pod's tar stream is corrupt: {0}")]
    Corrupt(#[source] std::io::Error),
    /// The exec session failed (connecting, or the connection broke with no retries left).
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The copy was cancelled (Ctrl-C); no partial file was left under a final name.
    #[error("cancelled; no partial file was left under its final name")]
    Cancelled,
    /// A drop's destination is not a directory in the container ([`upload_into`]).
    #[error("\"{path}\" is not a directory in container \"{container}\" of pod \"{pod}\": create it first, or pick another")]
    NotADirectory {
        path: String,
        pod: String,
        container: String,
    },
}

/// What in a pod's stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("an absolute path")]
    Absolute,
    #[error("a path with \"..\" in it")]
    Traversal,
    #[error("not under the source path")]
    NotUnderSource,
    #[error("a link to \"{0}\", outside the destination")]
    LinkOutside(String),
    #[error("a device file or fifo")]
    Device,
    #[error("an entry of tar type {0:#04x}")]
    Unsupported(u8),
    /// Hard links that this filesystem cannot make, copied instead, would write more than
    /// [`unpack::LINK_COPY_SLACK`] beyond the bytes the stream brought.
    #[error("a hard link whose copies would write {0} bytes more than the copy received (the destination's filesystem does not take hard links): copy onto one that does")]
    LinkCopies(u64),
}

/// A local file error in lower-case words, as kubectl (Go) says them, with what to do where it helps.
pub fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull => "disk full (no space left on device): free some space and retry".into(),
        K::PermissionDenied => "permission denied".into(),
        K::NotFound => "no such file or directory".into(),
        K::ReadOnlyFilesystem => "read-only file system".into(),
        _ => e.to_string(),
    }
}

fn no_fallback_words(debug: bool, no_shell: bool) -> &'static str {
    match (debug, no_shell) {
        (true, _) => "the debug container beside it has none of cat, dd or base64 either",
        // It may well have cat: without a shell nothing can send cat's output into a file.
        (false, true) => {
            "it has no dd, and no shell to write a file with cat or base64 (as in distroless images)"
        }
        (false, false) => "it has none of cat, dd or base64 to copy a single file through",
    }
}

fn stderr_words(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

impl TransferError {
    fn local(path: &Path, source: std::io::Error) -> TransferError {
        TransferError::Local {
            path: path.to_path_buf(),
            source,
        }
    }

    /// An error reading the pod's stream: stopped under the reader, or not tar.
    fn stream(e: std::io::Error) -> TransferError {
        let stopped = e
            .get_ref()
            .is_some_and(|i| i.downcast_ref::<unpack::Stopped>().is_some());
        if stopped {
            TransferError::Cancelled
        } else if let Some(m) = e
            .get_ref()
            .and_then(|i| i.downcast_ref::<single::Mismatch>())
        {
            TransferError::Mismatch {
                path: String::new(),
                why: m.0.clone(),
            }
        } else {
            TransferError::Corrupt(e)
        }
    }

    /// The API server refused the credentials (401).
    pub fn credentials_refused(&self) -> bool {
        matches!(self, TransferError::Exec(e) if e.credentials_refused())
    }

    /// The API server's final answer to connecting again: 401, or a 4xx refusal (the pod was
    /// deleted, access withdrawn), or the OIDC provider's refusal of the login. A retry would
    /// get the same (and send a dead refresh token again); a 5xx or a broken connection may
    /// pass.
    fn final_answer(&self) -> bool {
        match self {
            TransferError::Exec(ExecError::Api(ApiError::Unauthorized)) => true,
            TransferError::Exec(ExecError::Api(e)) if e.login_refused() => true,
            TransferError::Exec(ExecError::Api(ApiError::Refused { code, .. })) => {
                (400..500).contains(code)
            }
            _ => false,
        }
    }
}

/// "retry 2/5", or "retry 2" when retries are unlimited (a negative `--retries`).
fn retry_words(tries: i32, retries: i32) -> String {
    if retries < 0 {
        format!("retry {tries}")
    } else {
        format!("retry {tries}/{retries}")
    }
}

/// How often a transfer started in the app resumes a broken download where it stopped
/// (`tail -c+N` for tar, [`single`]'s ways without it) before it fails.
pub const APP_RETRIES: i32 = 5;

impl Options {
    /// A transfer started in the app: the container's tar keeps modes, a broken download
    /// resumes [`APP_RETRIES`] times.
    pub fn for_app(tuning: Tuning) -> Options {
        Options {
            no_preserve: false,
            retries: APP_RETRIES,
            tuning,
            new_only: false,
        }
    }
}

/// Uploads `src` into directory `dir` of the container, which must be one there (checked
/// first, when the image can say): into any other path each file of a drop would land *as*
/// that path, the last one winning. Otherwise as [`upload_with`] (`fallback`: what the user
/// allowed for a container with nothing to copy with, a debug tab's image).
#[allow(clippy::too_many_arguments)]
pub async fn upload_into(
    client: &kube::Client,
    t: &Target,
    src: &Path,
    dir: &str,
    opts: &Options,
    fallback: &Fallback,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    let checked = tokio::select! {
        d = crate::podfs::is_dir(client, t, dir, opts.tuning) => d,
        _ = cancel.cancelled() => return Err(TransferError::Cancelled),
    };
    let is_dir = checked.map_err(|e| match e {
        crate::podfs::PodFsError::Exec(e) => TransferError::Exec(e),
        crate::podfs::PodFsError::Failed {
            command,
            container,
            stderr,
        } => TransferError::NotRun {
            command,
            container,
            message: stderr,
        },
        crate::podfs::PodFsError::Api(e) => e.into(),
        // `is_dir` runs no debug container and reports a missing shell as "cannot say".
        e @ (crate::podfs::PodFsError::Missing { .. }
        | crate::podfs::PodFsError::TargetUnseen { .. }) => TransferError::NotRun {
            command: "sh",
            container: text::shown(&t.container),
            message: e.to_string(),
        },
    })?;
    if is_dir == Some(false) {
        return Err(TransferError::NotADirectory {
            path: text::shown(dir),
            pod: text::shown(&t.pod),
            container: text::shown(&t.container),
        });
    }
    upload_with(client, t, src, dir, opts, fallback, meter, cancel).await
}

/// Where in the cluster: the pod and container, already chosen.
#[derive(Debug, Clone)]
pub struct Target {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// kubectl cp's options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `--no-preserve`: the container's tar does not keep owners and permissions.
    pub no_preserve: bool,
    /// `--retries`: how often a broken download resumes (negative: for ever).
    pub retries: i32,
    pub tuning: Tuning,
    /// A download whose destination was free when the user asked for it (the app's, which
    /// refuses a name taken): whatever is saved under that name since is neither written over
    /// nor merged into; the copy is then kept beside it, and the error says where. Off (the
    /// command line), a download writes over and merges into what is there, as kubectl's does.
    pub new_only: bool,
}

/// Progress: bytes moved, and the expected total (0 when unknown), in one unit: a download
/// counts the files' bytes written (the probe's size), an upload the tar stream it sends (the
/// size [`pack::stream_size`] computes).
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<(AtomicU64, AtomicU64)>);

impl Meter {
    pub fn done(&self) -> u64 {
        self.0 .0.load(Ordering::Relaxed)
    }
    pub fn total(&self) -> u64 {
        self.0 .1.load(Ordering::Relaxed)
    }
    fn add(&self, n: u64) {
        self.0 .0.fetch_add(n, Ordering::Relaxed);
    }
    /// Bytes counted for an attempt that is made again (an upload's range sent anew).
    fn take_back(&self, n: u64) {
        let _ = self
            .0
             .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                Some(d.saturating_sub(n))
            });
    }
    fn set_total(&self, n: u64) {
        self.0 .1.store(n, Ordering::Relaxed);
    }
}

/// Stops a transfer: the session ends, the file being written is removed.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<(AtomicBool, Notify)>);

impl Cancel {
    pub fn cancel(&self) {
        self.0 .0.store(true, Ordering::SeqCst);
        self.0 .1.notify_waiters();
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0 .0.load(Ordering::SeqCst)
    }

    async fn cancelled(&self) {
        loop {
            let n = self.0 .1.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if self.0 .0.load(Ordering::SeqCst) {
                return;
            }
            n.await;
        }
    }
}

/// What a copy did.
#[derive(Debug, Default)]
pub struct Report {
    /// Bytes of the tar stream moved.
    pub bytes: u64,
    /// Files written (downloads).
    pub files: u64,
    /// Warnings to show (kubectl's, for skipped symlinks), escaped.
    pub warnings: Vec<String>,
    /// Notes to show as they happened ("Resuming copy at N bytes"), escaped.
    pub notes: Vec<String>,
}

/// How much of a command's stdout (when not fed on) and stderr is kept.
const KEEP: usize = 64 * 1024;

struct Ran {
    outcome: Result<Outcome, ExecError>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Stdout bytes handed to the feed.
    fed: u64,
}

/// Runs one command: stdin from `stdin`, stdout to `feed` (else kept), stderr kept.
async fn exec_once(
    client: &kube::Client,
    t: &Target,
    command: Vec<String>,
    tuning: Tuning,
    stdin: Option<mpsc::Receiver<Frame>>,
    feed: Option<&mpsc::Sender<Feed>>,
    cancel: &Cancel,
) -> Result<Ran, TransferError> {
    let spec = ExecSpec {
        namespace: t.namespace.clone(),
        pod: t.pod.clone(),
        container: t.container.clone(),
        command,
        stdin: stdin.is_some(),
        stdout: true,
        stderr: true,
        tty: false,
        size: None,
        attach: false,
    };
    let session = tokio::select! {
        s = Session::start(client, &spec, tuning) => s?,
        _ = cancel.cancelled() => return Err(TransferError::Cancelled),
    };
    let parts = session.into_parts();
    let (mut out, mut err, input, end) = (parts.stdout, parts.stderr, parts.input, parts.end);
    let forward = stdin.map(|mut rx| {
        tokio::spawn(async move {
            while let Some(f) = rx.recv().await {
                if !input.send_frame(f).await {
                    return;
                }
            }
            input.close_stdin().await;
        })
    });
    let mut ran = Ran {
        outcome: Ok(Outcome::Success),
        stdout: Vec::new(),
        stderr: Vec::new(),
        fed: 0,
    };
    let mut feed = feed;
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        tokio::select! {
            c = out.recv(), if out_open => match c {
                Some(c) => take_stdout(&mut ran, &mut feed, c).await,
                None => out_open = false,
            },
            c = err.recv(), if err_open => match c {
                Some(c) => keep(&mut ran.stderr, &c),
                None => err_open = false,
            },
            _ = cancel.cancelled() => {
                if let Some(f) = forward { f.abort(); }
                return Err(TransferError::Cancelled);
            }
        }
    }
    ran.outcome = end.wait().await;
    if let Some(f) = forward {
        f.abort();
    }
    Ok(ran)
}

async fn take_stdout(ran: &mut Ran, feed: &mut Option<&mpsc::Sender<Feed>>, c: Chunk) {
    match feed {
        Some(f) => {
            let n = c.len() as u64;
            if f.send(Feed::Data(c)).await.is_ok() {
                ran.fed += n;
            } else {
                // The unpacker is done (the archive ended) or failed: the rest is discarded.
                *feed = None;
            }
        }
        None => keep(&mut ran.stdout, &c),
    }
}

fn keep(into: &mut Vec<u8>, c: &[u8]) {
    let room = KEEP.saturating_sub(into.len());
    into.extend_from_slice(&c[..room.min(c.len())]);
}

fn shown_stderr(b: &[u8]) -> String {
    text::shown_bytes(String::from_utf8_lossy(b).trim_end().as_bytes())
}

/// What the probe learned. `None` when the container has no `sh` to probe with.
#[derive(Debug)]
struct Probe {
    code: i32,
    stdout: String,
}

async fn probe(
    client: &kube::Client,
    t: &Target,
    script: &str,
    args: &[&str],
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<Option<Probe>, TransferError> {
    let mut command = vec!["sh".to_string(), "-c".into(), script.into(), "sh".into()];
    command.extend(args.iter().map(|a| a.to_string()));
    let ran = exec_once(client, t, command, tuning, None, None, cancel).await?;
    match ran.outcome? {
        Outcome::Success => Ok(Some(Probe {
            code: 0,
            stdout: String::from_utf8_lossy(&ran.stdout).into_owned(),
        })),
        // 126/127: the shell itself is missing or unusable.
        Outcome::Exit(126 | 127) | Outcome::Failure { .. } => Ok(None),
        Outcome::Exit(code) => Ok(Some(Probe {
            code,
            stdout: String::from_utf8_lossy(&ran.stdout).into_owned(),
        })),
    }
}

const NO_TAR: i32 = 10;
const NO_PATH: i32 = 11;
const DENIED: i32 = 12;

/// A download's probe: tar there, the source there and readable; prints its size in bytes
/// (a directory's from `du -sk`, so about).
const PROBE_DOWNLOAD: &str = r#"command -v tar >/dev/null 2>&1 || exit 10
[ -e "$1" ] || [ -L "$1" ] || exit 11
[ -r "$1" ] || exit 12
if [ -d "$1" ]; then [ -x "$1" ] || exit 12; du -sk "$1" 2>/dev/null | { read k _; echo $((k * 1024)); }; else wc -c < "$1" 2>/dev/null; fi
exit 0"#;

/// An upload's probe: tar there; exit 0 when the destination is a directory (kubectl's
/// `test -d`), else 1; the directory the file lands in must exist and be writable.
const PROBE_UPLOAD: &str = r#"command -v tar >/dev/null 2>&1 || exit 10
if [ -d "$1" ]; then d=$1; else case $1 in */*) d=${1%/*}; d=${d:-/};; *) d=.;; esac; fi
[ -d "$d" ] || exit 11
[ -w "$d" ] || exit 12
[ -d "$1" ]"#;

fn probe_error(code: i32, t: &Target, path: &str) -> Option<TransferError> {
    let (pod, container, path) = (t.pod.clone(), t.container.clone(), text::shown(path));
    match code {
        NO_TAR => Some(TransferError::NoTar { pod, container }),
        NO_PATH => Some(TransferError::NoSuchPath {
            path,
            pod,
            container,
        }),
        DENIED => Some(TransferError::PermissionDenied {
            path,
            pod,
            container,
        }),
        _ => None,
    }
}

/// After an upload failed: whether the container's file system holding `dir` has less room
/// than `need` bytes (read from `df -Pk`, when the image has a shell and df).
async fn out_of_space(
    client: &kube::Client,
    t: &Target,
    dir: &str,
    need: u64,
    tuning: Tuning,
    cancel: &Cancel,
) -> bool {
    // A file system without blocks (sysfs, procfs) is not one that fills up.
    const DF: &str = r#"df -Pk "$1" 2>/dev/null | { read _; read _ blocks _ avail _; [ "$blocks" -gt 0 ] && echo "$avail"; }"#;
    let Ok(Some(p)) = probe(client, t, DF, &[dir], tuning, cancel).await else {
        return false;
    };
    p.code == 0
        && p.stdout
            .trim()
            .parse::<u64>()
            .is_ok_and(|kib| kib.saturating_mul(1024) < need)
}

fn no_space(t: &Target, path: &str) -> TransferError {
    TransferError::NoSpace {
        path: text::shown(path),
        pod: t.pod.clone(),
        container: t.container.clone(),
    }
}

fn failed(command: &'static str, t: &Target, outcome: Outcome, stderr: &[u8]) -> TransferError {
    match outcome {
        Outcome::Failure { message, .. } => TransferError::NotRun {
            command,
            container: t.container.clone(),
            message: text::shown(&message),
        },
        other => TransferError::Remote {
            command,
            container: t.container.clone(),
            code: other.exit_code(),
            stderr: shown_stderr(stderr),
        },
    }
}

/// Copies local `src` into `dest` in the container, as `kubectl cp SRC POD:DEST`: into `dest`
/// when it is a directory there, else as `dest`. A container without tar takes a single file
/// through what it has ([`single`]); one with nothing at all is refused (see [`upload_with`]).
pub async fn upload(
    client: &kube::Client,
    t: &Target,
    src: &Path,
    dest: &str,
    opts: &Options,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    upload_with(
        client,
        t,
        src,
        dest,
        opts,
        &Fallback::default(),
        meter,
        cancel,
    )
    .await
}

/// As [`upload`], with what the user allowed for a container that has nothing to copy with
/// (a debug container beside it).
#[allow(clippy::too_many_arguments)]
pub async fn upload_with(
    client: &kube::Client,
    t: &Target,
    src: &Path,
    dest: &str,
    opts: &Options,
    fallback: &Fallback,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    if std::fs::metadata(src).is_err() {
        return Err(TransferError::LocalMissing(src.to_path_buf()));
    }
    let src_clean: PathBuf = src.components().collect();
    // Whether the probe ran (a shell is there): byte ranges need one.
    let mut has_sh = true;
    let is_dir = match probe(client, t, PROBE_UPLOAD, &[dest], opts.tuning, cancel).await? {
        Some(p) if p.code == NO_TAR => {
            return single::upload(client, t, src, dest, true, fallback, opts, meter, cancel).await;
        }
        Some(p) if p.code == NO_PATH => {
            return Err(TransferError::NoSuchDirectory {
                dir: text::shown(&paths::dir(dest)),
                pod: t.pod.clone(),
                container: t.container.clone(),
            })
        }
        Some(p) => match probe_error(p.code, t, dest) {
            Some(e) => return Err(e),
            None => p.code == 0,
        },
        None => {
            has_sh = false;
            if !single::present(client, t, "tar", opts.tuning, cancel).await? {
                return single::upload(client, t, src, dest, false, fallback, opts, meter, cancel)
                    .await;
            }
            let ran = exec_once(
                client,
                t,
                vec!["test".into(), "-d".into(), dest.into()],
                opts.tuning,
                None,
                None,
                cancel,
            )
            .await?;
            matches!(ran.outcome, Ok(Outcome::Success))
        }
    };
    // Go's `filepath.Base` of the source as typed: `dir/.` is `.`, so its contents land in the
    // directory, as kubectl lands them (the cleaned path would say `dir`).
    let typed = src.to_string_lossy();
    let typed = typed.trim_end_matches('/');
    let base = if typed == "." || typed.ends_with("/.") {
        ".".to_string()
    } else {
        src_clean
            .file_name()
            .map(|b| b.to_string_lossy().into_owned())
            .unwrap_or_else(|| ".".into())
    };
    let target = if is_dir {
        paths::join(dest, &base)
    } else {
        dest.to_string()
    };
    // One large regular file: byte ranges in parallel when the container can.
    if has_sh {
        let ranged = ranges::upload(client, t, &src_clean, &target, opts, meter, cancel).await?;
        if let Some(report) = ranged {
            return Ok(report);
        }
    }
    let name = paths::base(&paths::clean(&target));
    let mut command: Vec<String> = if opts.no_preserve {
        [
            "tar",
            "--no-same-permissions",
            "--no-same-owner",
            "-xmf",
            "-",
        ]
        .map(String::from)
        .to_vec()
    } else {
        ["tar", "-xmf", "-"].map(String::from).to_vec()
    };
    let dir = paths::dir(&target);
    if !dir.is_empty() {
        command.extend(["-C".to_string(), dir.clone()]);
    }
    meter.set_total(pack::stream_size(&src_clean));
    let mut report = Report::default();
    let mut tries: i32 = 0;
    // A tar stream cannot go on from the middle (the container's tar keeps no place), so with
    // `--retries` an upload whose connection broke starts its stream over: `tar -x` writes
    // each file again from its start, over the part written before.
    let (ran, packed) = loop {
        let before = meter.done();
        let (tx, rx) = mpsc::channel::<Frame>(8);
        let pipe = pack::Pipe::new(tx, meter.clone());
        let from = src_clean.clone();
        let packed_name = name.clone();
        let packer = tokio::task::spawn_blocking(move || pack::pack(&from, &packed_name, pipe));
        let ran = exec_once(
            client,
            t,
            command.clone(),
            opts.tuning,
            Some(rx),
            None,
            cancel,
        )
        .await;
        let packed = packer.await;
        let broke = match &ran {
            Err(TransferError::Cancelled) => false,
            // Connecting again after a break: the first connection's failure is the error, and
            // so is the server's final answer (the pod gone, access withdrawn).
            Err(e) => tries > 0 && !e.final_answer(),
            Ok(r) => r.outcome.is_err(),
        };
        if broke && (opts.retries < 0 || tries < opts.retries) && !cancel.is_cancelled() {
            tries += 1;
            meter.take_back(meter.done().saturating_sub(before));
            report.notes.push(format!(
                "Starting the upload again after a broken connection, {}",
                retry_words(tries, opts.retries)
            ));
            continue;
        }
        break (ran, packed);
    };
    let ran = ran?;
    let outcome = ran.outcome?;
    if let Ok(Err(e)) = packed {
        // A local failure (unreadable file, special file) explains a tar that saw a short
        // stream; a broken pipe only means the container's tar stopped reading first.
        let broken_pipe = matches!(&e, TransferError::Local { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe);
        if !broken_pipe || outcome == Outcome::Success {
            return Err(e);
        }
    }
    match outcome {
        Outcome::Success => Ok(Report {
            bytes: meter.done(),
            ..report
        }),
        other => {
            let room = if dir.is_empty() { "." } else { dir.as_str() };
            if out_of_space(client, t, room, meter.total(), opts.tuning, cancel).await {
                return Err(no_space(t, dest));
            }
            Err(failed("tar", t, other, &ran.stderr))
        }
    }
}

/// Copies `src` from the container to local `dest`, as `kubectl cp POD:SRC DEST`. A
/// container without tar gives a single file through what it has ([`single`]); one with
/// nothing at all is refused (see [`download_with`]).
pub async fn download(
    client: &kube::Client,
    t: &Target,
    src: &str,
    dest: &Path,
    opts: &Options,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    download_with(
        client,
        t,
        src,
        dest,
        opts,
        &Fallback::default(),
        meter,
        cancel,
    )
    .await
}

/// As [`download`], with what the user allowed for a container that has nothing to copy
/// with (a debug container beside it).
#[allow(clippy::too_many_arguments)]
pub async fn download_with(
    client: &kube::Client,
    t: &Target,
    src: &str,
    dest: &Path,
    opts: &Options,
    fallback: &Fallback,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    // The source as Go's `path.Clean` has it (`./d`, `a//b`, `a/../b`, `d/`): the pod's tar
    // then names its entries as the prefix they are placed by expects.
    let cleaned = paths::clean(src);
    let src = cleaned.as_str();
    let mut probed_size = None;
    let without_tar = match probe(client, t, PROBE_DOWNLOAD, &[src], opts.tuning, cancel).await? {
        Some(p) if p.code == NO_TAR => Some(true),
        Some(p) => {
            if let Some(e) = probe_error(p.code, t, src) {
                return Err(e);
            }
            if let Ok(n) = p.stdout.trim().parse::<u64>() {
                meter.set_total(n);
                probed_size = Some(n);
            }
            None
        }
        None => (!single::present(client, t, "tar", opts.tuning, cancel).await?).then_some(false),
    };
    // The source is there: the destination's directories are made when missing, as kubectl
    // makes them (it makes each entry's directory); here once, for every way below.
    // (A parent that is there as a file is left to fail where it is written: "Not a directory".)
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        if std::fs::symlink_metadata(parent).is_err() {
            std::fs::create_dir_all(parent).map_err(|e| TransferError::local(parent, e))?;
        }
    }
    if let Some(has_sh) = without_tar {
        return single::download(client, t, src, dest, has_sh, fallback, opts, meter, cancel).await;
    }
    // One large regular file: byte ranges in parallel when the container can.
    if probed_size.is_some_and(ranges::worth) && !dest.is_dir() {
        if let Some(size) = ranges::probe_down(client, t, src, opts.tuning, cancel).await? {
            return ranges::download(client, t, src, dest, size, opts, meter, cancel).await;
        }
    }
    let prefix = paths::download_prefix(src);
    let hint = format!(
        "podterm exec -n \"{}\" \"{}\" -- tar cf - \"{}\" | tar xf -",
        text::shown(&t.namespace),
        text::shown(&t.pod),
        text::shown(src)
    );
    let (tx, rx) = mpsc::channel::<Feed>(16);
    let reader = unpack::FeedReader::new(rx);
    let (to, counter, new_only) = (dest.to_path_buf(), meter.clone(), opts.new_only);
    // The pod's tar is stopped when the user cancels, or when the unpacker refuses the stream
    // (a bad name, a corrupt header): not read to its end, which may never come.
    let stop = Cancel::default();
    let (user, stopped) = (cancel.clone(), stop.clone());
    let forward = tokio::spawn(async move {
        user.cancelled().await;
        stopped.cancel();
    });
    let refusing = stop.clone();
    let unpacker = tokio::task::spawn_blocking(move || {
        let r = if new_only {
            unpack::unpack_new(reader, &prefix, &to, &hint, &counter)
        } else {
            unpack::unpack(reader, &prefix, &to, &hint, &counter)
        };
        if r.is_err() {
            refusing.cancel();
        }
        r
    });
    let asked = cancel.clone();
    let user_cancelled = move || asked.is_cancelled();
    let cancel = &stop;
    let mut report = Report::default();
    let mut offset: u64 = 0;
    let mut tries: i32 = 0;
    let pumped = loop {
        let command = if opts.retries != 0 {
            vec![
                "sh".to_string(),
                "-c".into(),
                format!("tar cf - {} | tail -c+{}", paths::sh_quote(src), offset + 1),
            ]
        } else {
            vec!["tar".to_string(), "cf".into(), "-".into(), src.to_string()]
        };
        let ran = exec_once(client, t, command, opts.tuning, None, Some(&tx), cancel).await;
        let retry = |e: TransferError, tries: &mut i32, report: &mut Report, offset: u64| {
            if opts.retries < 0 || *tries < opts.retries {
                *tries += 1;
                report.notes.push(format!(
                    "Resuming copy at {offset} bytes, {}",
                    retry_words(*tries, opts.retries)
                ));
                Ok(())
            } else {
                Err(e)
            }
        };
        match ran {
            Err(TransferError::Cancelled) => break Err(TransferError::Cancelled),
            // Connecting again failed: retry while retries are left, unless the server's
            // answer is final (the pod gone, access withdrawn).
            Err(e) if (offset > 0 || tries > 0) && !e.final_answer() => {
                match retry(e, &mut tries, &mut report, offset) {
                    Ok(()) => continue,
                    Err(e) => break Err(e),
                }
            }
            Err(e) => break Err(e),
            Ok(ran) => {
                offset += ran.fed;
                match ran.outcome {
                    Ok(Outcome::Success) => break Ok(()),
                    Ok(other) => break Err(failed("tar", t, other, &ran.stderr)),
                    Err(e) => match retry(e.into(), &mut tries, &mut report, offset) {
                        Ok(()) => continue,
                        Err(e) => break Err(e),
                    },
                }
            }
        }
    };
    match pumped {
        Ok(()) => {
            forward.abort();
            let _ = tx.send(Feed::End).await;
            drop(tx);
            let done = unpacker.await.map_err(|_| TransferError::Cancelled)??;
            report.bytes = meter.done();
            report.files = done.files;
            report.warnings = done.warnings;
            Ok(report)
        }
        Err(e) => {
            // The unpacker sees the stream stop and removes the file it was writing.
            drop(tx);
            let unpacked = unpacker.await;
            forward.abort();
            // Its own refusal explains why the stream was cut short; so does its failure when
            // it stopped the stream (not the user).
            match unpacked {
                Ok(Err(refused @ TransferError::Refused { .. })) => Err(refused),
                Ok(Err(failed)) if matches!(e, TransferError::Cancelled) && !user_cancelled() => {
                    Err(failed)
                }
                _ => Err(e),
            }
        }
    }
}

impl From<ApiError> for TransferError {
    fn from(e: ApiError) -> Self {
        TransferError::Exec(ExecError::Api(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_s_transfers_resume_and_keep_modes() {
        let o = Options::for_app(Tuning::default());
        assert_eq!((o.retries, o.no_preserve), (5, false));
    }

    #[test]
    fn a_destination_that_is_not_a_directory_is_said_with_what_to_do() {
        let e = TransferError::NotADirectory {
            path: text::shown("/etc/hostname\u{1b}]0;x"),
            pod: "web".into(),
            container: "main".into(),
        };
        let words = e.to_string();
        assert!(
            words.starts_with("\"/etc/hostname\\x1b]0;x\" is not a directory in container \"main\" of pod \"web\""),
            "{words}"
        );
        assert!(words.ends_with("create it first, or pick another"));
        assert!(!e.credentials_refused());
    }

    #[test]
    fn a_final_answer_is_not_retried_and_unlimited_retries_are_counted() {
        let refused = |code| {
            TransferError::Exec(ExecError::Api(ApiError::Refused {
                code,
                reason: "NotFound".into(),
                message: "pods \"x\" not found".into(),
            }))
        };
        assert!(refused(404).final_answer());
        assert!(refused(403).final_answer());
        assert!(TransferError::Exec(ExecError::Api(ApiError::Unauthorized)).final_answer());
        assert!(!refused(503).final_answer());
        assert!(!TransferError::Cancelled.final_answer());
        assert_eq!(retry_words(3, -1), "retry 3");
        assert_eq!(retry_words(2, 5), "retry 2/5");
    }
}
