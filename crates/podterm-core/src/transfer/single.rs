//! One file copied without tar, through what the image has (issue 16, "Without tar").
//!
//! The methods, probed in a fixed order: a download reads with `cat`, else `dd if=`, else
//! `base64` (decoded here); an upload writes with `cat > FILE` (through `sh`), else
//! `dd of=FILE` (no shell needed), else `base64 -d > FILE` (through `sh`). Paths travel as exec
//! arguments of their own (never spliced into a shell line: `sh -c '… "$1"' sh PATH`), so
//! spaces, quotes, newlines and a leading `-` (after `--`) are safe. With a shell, one probe
//! lists the tools and checks the path; without one, each tool is tried as `TOOL --version`,
//! a tool being absent when the exec did not start (a `Failure` status, or exit 126/127 from a
//! runtime that reports it so), never judged by words.
//!
//! Integrity: a download is checked against the container's `sha256sum` (else `wc -c`) before
//! it is renamed from its temporary name, so a short or altered copy never lands; an upload is
//! checked the same way after it is written. Without either tool the copy is said unchecked.
//!
//! A container with none of these (distroless, scratch) is reached, with the user's consent,
//! through a debug container beside it (`crate::debug::ensure`, the app's one per pod and
//! image), whose shell sees the target's files under `/proc/PID/root` (`/proc/PID/cwd` for a
//! relative path), PID being the target's entrypoint: the lowest process it sees but its own
//! (with `targetContainerName` it shares the target's process namespace). On testcluster every
//! process has the one file system of the host, so that root is the target's too.

use super::unpack::{self, Feed, FeedReader};
use super::{exec_once, failed, Cancel, Meter, Report, Target, TransferError};
use crate::debug::{self, DebugSpec};
use crate::exec::Tuning;
use crate::protocol::Outcome;
use crate::stdin::{Frame, Piece};
use crate::text;
use base64::Engine as _;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use tokio::sync::mpsc;

/// How one file's bytes travel without tar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Cat,
    Dd,
    Base64,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Cat => "cat",
            Method::Dd => "dd",
            Method::Base64 => "base64",
        }
    }
}

/// What the user allowed when the image has nothing to copy with.
#[derive(Debug, Clone, Default)]
pub struct Fallback {
    /// Copy through a debug container of this image beside the target (it stays in the pod:
    /// ephemeral containers cannot be removed). `None`: refuse, saying how to allow it.
    pub debug_image: Option<String>,
}

/// The tools a container has, as far as a copy cares.
#[derive(Debug, Default, Clone, Copy)]
struct Tools {
    sh: bool,
    cat: bool,
    dd: bool,
    base64: bool,
    sha256sum: bool,
    wc: bool,
    test: bool,
    /// For resuming a download from a byte (`tail -c +N`).
    tail: bool,
}

const TOOLS: [&str; 6] = ["cat", "dd", "base64", "sha256sum", "wc", "tail"];

impl Tools {
    fn from_list(line: &str) -> Tools {
        let has = |t: &str| line.split_whitespace().any(|w| w == t);
        Tools {
            sh: true,
            cat: has("cat"),
            dd: has("dd"),
            base64: has("base64"),
            sha256sum: has("sha256sum"),
            wc: has("wc"),
            test: true,
            tail: has("tail"),
        }
    }

    fn download(&self) -> Option<Method> {
        [
            (self.cat, Method::Cat),
            (self.dd, Method::Dd),
            (self.base64, Method::Base64),
        ]
        .into_iter()
        .find_map(|(has, m)| has.then_some(m))
    }

    fn upload(&self) -> Option<Method> {
        [
            (self.sh && self.cat, Method::Cat),
            (self.dd, Method::Dd),
            (self.sh && self.base64, Method::Base64),
        ]
        .into_iter()
        .find_map(|(has, m)| has.then_some(m))
    }
}

/// The shell probes: the tools on the first line, then the path's facts as exit codes.
const PROBE_DOWN: &str = r#"for t in cat dd base64 sha256sum wc tail; do command -v "$t" >/dev/null 2>&1 && printf '%s ' "$t"; done
echo
[ -e "$1" ] || [ -L "$1" ] || exit 11
[ -r "$1" ] || exit 12
[ -d "$1" ] && exit 13
exit 0"#;

const PROBE_UP: &str = r#"for t in cat dd base64 sha256sum wc; do command -v "$t" >/dev/null 2>&1 && printf '%s ' "$t"; done
echo
if [ -d "$1" ]; then d=$1; else case $1 in */*) d=${1%/*}; d=${d:-/};; *) d=.;; esac; fi
[ -d "$d" ] || exit 11
[ -w "$d" ] || exit 12
[ -d "$1" ] && echo dir
exit 0"#;

const IS_DIR: i32 = 13;

/// Where the commands run and how the user's path reads there.
struct Place<'a> {
    /// The container the commands run in (the target, or our debug container beside it).
    at: Target,
    /// The path in that container.
    path: String,
    /// The user's target, for words.
    user: &'a Target,
    /// The user's path, for words.
    shown: &'a str,
}

/// Whether `tool` is in the container: it runs (whatever its exit code) or it does not start.
pub(super) async fn present(
    client: &kube::Client,
    t: &Target,
    tool: &str,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<bool, TransferError> {
    let ran = exec_once(
        client,
        t,
        vec![tool.to_string(), "--version".into()],
        tuning,
        None,
        None,
        cancel,
    )
    .await?;
    Ok(!did_not_start(&ran.outcome?))
}

/// The command did not start: the runtime found no such executable (or could not run it).
fn did_not_start(o: &Outcome) -> bool {
    matches!(o, Outcome::Failure { .. } | Outcome::Exit(126 | 127))
}

/// Runs a command with no stdin; its outcome and stdout.
async fn run(
    client: &kube::Client,
    t: &Target,
    command: Vec<String>,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<(Outcome, String), TransferError> {
    let ran = exec_once(client, t, command, tuning, None, None, cancel).await?;
    Ok((
        ran.outcome?,
        String::from_utf8_lossy(&ran.stdout).into_owned(),
    ))
}

/// The tools without a shell: each tried in turn.
async fn tools_without_sh(
    client: &kube::Client,
    t: &Target,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<Tools, TransferError> {
    let mut found = [false; 6];
    for (i, tool) in TOOLS.iter().enumerate() {
        found[i] = present(client, t, tool, tuning, cancel).await?;
    }
    Ok(Tools {
        sh: false,
        cat: found[0],
        dd: found[1],
        base64: found[2],
        sha256sum: found[3],
        wc: found[4],
        tail: found[5],
        test: present(client, t, "test", tuning, cancel).await?,
    })
}

/// `test FLAG PATH` succeeded.
async fn test(
    client: &kube::Client,
    p: &Place<'_>,
    flag: &str,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<bool, TransferError> {
    let (o, _) = run(
        client,
        &p.at,
        vec!["test".into(), flag.into(), p.path.clone()],
        tuning,
        cancel,
    )
    .await?;
    Ok(o == Outcome::Success)
}

fn no_such(p: &Place<'_>) -> TransferError {
    TransferError::NoSuchPath {
        path: text::shown(p.shown),
        pod: p.user.pod.clone(),
        container: p.user.container.clone(),
    }
}

fn denied(p: &Place<'_>) -> TransferError {
    TransferError::PermissionDenied {
        path: text::shown(p.shown),
        pod: p.user.pod.clone(),
        container: p.user.container.clone(),
    }
}

fn no_tar(p: &Place<'_>) -> TransferError {
    TransferError::NoTar {
        pod: p.user.pod.clone(),
        container: p.user.container.clone(),
    }
}

fn no_fallback(p: &Place<'_>, debug: bool, no_shell: bool) -> TransferError {
    TransferError::NoFallback {
        pod: p.user.pod.clone(),
        container: p.user.container.clone(),
        debug,
        no_shell,
    }
}

/// What the container says of a file: its sha256 (`sha256sum`) or else its size (`wc -c`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sum {
    Sha256(String),
    Size(u64),
    Unknown,
}

async fn remote_sum(
    client: &kube::Client,
    p: &Place<'_>,
    tools: &Tools,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<Sum, TransferError> {
    if tools.sha256sum {
        let (o, out) = run(
            client,
            &p.at,
            vec!["sha256sum".into(), "--".into(), p.path.clone()],
            tuning,
            cancel,
        )
        .await?;
        // GNU's sha256sum starts the line with `\` when the name needs escaping.
        let first = out.split_whitespace().next().unwrap_or("");
        let hex = first.trim_start_matches('\\');
        if o == Outcome::Success && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Sum::Sha256(hex.to_ascii_lowercase()));
        }
    }
    if tools.wc {
        let (o, out) = run(
            client,
            &p.at,
            vec!["wc".into(), "-c".into(), "--".into(), p.path.clone()],
            tuning,
            cancel,
        )
        .await?;
        if let (Outcome::Success, Some(n)) = (
            o,
            out.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok()),
        ) {
            return Ok(Sum::Size(n));
        }
    }
    Ok(Sum::Unknown)
}

/// The words for what was checked, for the report's note.
fn checked_words(sum: &Sum) -> &'static str {
    match sum {
        Sum::Sha256(_) => "sha256 checked",
        Sum::Size(_) => "size checked (no sha256sum in the container)",
        Sum::Unknown => "not checked: the container has neither sha256sum nor wc",
    }
}

/// A copied file's sha256 or size differs from the container's.
#[derive(Debug)]
pub(super) struct Mismatch(pub String);

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Mismatch {}

fn compare(want: &Sum, sha: &str, size: u64) -> Result<(), String> {
    match want {
        Sum::Sha256(h) if h != sha => Err(format!(
            "sha256 {sha} here, {h} in the container: the copy is not the file"
        )),
        Sum::Size(n) if *n != size => Err(format!(
            "{size} bytes here, {n} in the container: the copy is incomplete"
        )),
        _ => Ok(()),
    }
}

/// Reads through, hashing and counting; at the end compares with the container's sum, so a
/// file that differs fails before it is renamed to its final name.
struct Checked<R> {
    inner: R,
    hash: Sha256,
    size: u64,
    want: Sum,
    meter: Meter,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            let sha = format!("{:x}", self.hash.clone().finalize());
            if let Err(why) = compare(&self.want, &sha, self.size) {
                return Err(std::io::Error::other(Mismatch(why)));
            }
            return Ok(0);
        }
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        self.meter.add(n as u64);
        Ok(n)
    }
}

/// The command that reads the file from byte `at` on, the bytes of its output to drop before
/// that byte, and how it resumes (for the note). From the start: the method's own command.
/// Later: `tail -c +N` where the image has tail (through `sh` into `base64`), else `dd` from
/// the 64 KiB block holding the byte (the rest of that block dropped here), else the method's
/// command again with everything before the byte dropped here (an image with neither).
fn resume_command(
    method: Method,
    tools: &Tools,
    path: &str,
    at: u64,
) -> (Vec<String>, u64, &'static str) {
    const BLOCK: u64 = 64 * 1024;
    let from_start: Vec<String> = match method {
        Method::Cat => vec!["cat".into(), "--".into(), path.to_string()],
        Method::Dd => vec!["dd".into(), format!("if={path}"), "bs=65536".into()],
        Method::Base64 => vec!["base64".into(), "--".into(), path.to_string()],
    };
    if at == 0 {
        return (from_start, 0, "");
    }
    let from = format!("+{}", at + 1);
    match method {
        Method::Base64 if tools.sh && tools.tail => (
            vec![
                "sh".into(),
                "-c".into(),
                r#"tail -c "$2" -- "$1" | base64"#.into(),
                "sh".into(),
                path.to_string(),
                from,
            ],
            0,
            "tail -c",
        ),
        Method::Cat | Method::Dd if tools.tail => (
            vec![
                "tail".into(),
                "-c".into(),
                from,
                "--".into(),
                path.to_string(),
            ],
            0,
            "tail -c",
        ),
        Method::Cat | Method::Dd if tools.dd => (
            vec![
                "dd".into(),
                format!("if={path}"),
                "bs=65536".into(),
                format!("skip={}", at / BLOCK),
            ],
            at % BLOCK,
            "dd skip",
        ),
        _ => (
            from_start,
            at,
            "read again from the start: the image has neither tail nor dd",
        ),
    }
}

/// One attempt's output on its way to the writer: base64 decoded (whole quads only, so a
/// broken attempt hands on only bytes that are whole), the first `skip` bytes dropped, the rest
/// counted.
struct Relay {
    skip: u64,
    /// Base64 text waiting for a whole quad (the base64 method).
    base64: Option<Vec<u8>>,
    forwarded: u64,
}

fn not_base64(e: base64::DecodeError) -> TransferError {
    TransferError::Mismatch {
        path: String::new(),
        why: format!("the container's base64 output does not decode ({e})"),
    }
}

impl Relay {
    async fn run(
        &mut self,
        mut rx: mpsc::Receiver<Feed>,
        tx: &mpsc::Sender<Feed>,
    ) -> Result<(), TransferError> {
        while let Some(f) = rx.recv().await {
            let Feed::Data(c) = f else { continue };
            if self.base64.is_some() {
                let out = self.decode(&c, false)?;
                drop(c);
                self.pass(Feed::Raw(out), tx).await?;
            } else {
                self.pass(Feed::Data(c), tx).await?;
            }
        }
        Ok(())
    }

    /// The attempt ended with the command's success: the last base64 text (with its padding).
    async fn finish(&mut self, tx: &mpsc::Sender<Feed>) -> Result<(), TransferError> {
        if self.base64.is_some() {
            let out = self.decode(&[], true)?;
            self.pass(Feed::Raw(out), tx).await?;
        }
        Ok(())
    }

    fn decode(&mut self, text: &[u8], last: bool) -> Result<Bytes, TransferError> {
        let Some(pending) = &mut self.base64 else {
            return Ok(Bytes::new());
        };
        pending.extend(text.iter().filter(|b| !b.is_ascii_whitespace()));
        let whole = if last {
            pending.len()
        } else {
            pending.len() / 4 * 4
        };
        let mut out = Vec::with_capacity(whole / 4 * 3);
        base64::engine::general_purpose::STANDARD
            .decode_vec(&pending[..whole], &mut out)
            .map_err(not_base64)?;
        pending.drain(..whole);
        Ok(Bytes::from(out))
    }

    async fn pass(&mut self, f: Feed, tx: &mpsc::Sender<Feed>) -> Result<(), TransferError> {
        let len = match &f {
            Feed::Data(c) => c.len() as u64,
            Feed::Raw(b) => b.len() as u64,
            Feed::End => 0,
        };
        let drop_now = self.skip.min(len);
        self.skip -= drop_now;
        if drop_now == len {
            return Ok(());
        }
        let f = match f {
            Feed::Data(mut c) => {
                c.data = c.data.slice(drop_now as usize..);
                Feed::Data(c)
            }
            Feed::Raw(b) => Feed::Raw(b.slice(drop_now as usize..)),
            end => end,
        };
        let n = len - drop_now;
        // The writer is gone only when it failed: its error explains.
        if tx.send(f).await.is_err() {
            return Err(TransferError::Cancelled);
        }
        self.forwarded += n;
        Ok(())
    }
}

/// The debug container beside the target, and the target's path as its shell sees it.
async fn through_debug(
    client: &kube::Client,
    t: &Target,
    path: &str,
    image: &str,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<(Target, String), TransferError> {
    let spec = DebugSpec::shared_shell(image, &t.container);
    let ensured = tokio::select! {
        e = debug::ensure(client, &t.namespace, &t.pod, &spec) => e?,
        _ = cancel.cancelled() => return Err(TransferError::Cancelled),
    };
    let at = Target {
        namespace: t.namespace.clone(),
        pod: t.pod.clone(),
        container: ensured.name,
    };
    let (o, out) = run(
        client,
        &at,
        vec![
            "sh".into(),
            "-c".into(),
            format!("{TARGET_PID}\ntarget_pid || exit 1\necho \"$pid\""),
        ],
        tuning,
        cancel,
    )
    .await?;
    let pid = out.trim();
    if o != Outcome::Success || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TransferError::TargetUnseen {
            pod: t.pod.clone(),
            container: t.container.clone(),
        });
    }
    let seen = if path.starts_with('/') {
        format!("/proc/{pid}/root{path}")
    } else {
        format!("/proc/{pid}/cwd/{path}")
    };
    Ok((at, seen))
}

/// A shell function, `target_pid`, that sets `pid` to a process of the target as a debug
/// container beside it sees it (with `targetContainerName` it shares the target's process
/// namespace), or fails. First choice: the lowest PID whose environment is this pod's (our own
/// `HOSTNAME`, `KUBERNETES_SERVICE_HOST` and `_PORT`, which every container of a pod is given)
/// and not one of our debug containers' (no `PODTERM_DEBUG=1`); in a real pod that is the
/// target's entrypoint, PID 1. Else (environments unreadable) the lowest PID but ours and our
/// debug containers'. Either way a pod's `pause` process is skipped (a pod sharing one process
/// namespace among its containers) and its root must be readable.
pub(crate) const TARGET_PID: &str = r#"env_of() { tr '\0' '\n' 2>/dev/null < "/proc/$1/environ"; }
has() { [ -z "$3" ] && return 0; case "
$1
" in *"
$2=$3
"*) return 0;; esac; return 1; }
ours() { case "
$1
" in *"
PODTERM_DEBUG=1
"*) return 0;; esac; return 1; }
seen() { [ "$1" != "$$" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" != pause ] && [ -d "/proc/$1/root/" ]; }
target_pid() {
  for p in $(for f in $(grep -l -s -F "HOSTNAME=$HOSTNAME" /proc/[0-9]*/environ); do f=${f#/proc/}; echo "${f%/environ}"; done | sort -n); do
    e=$(env_of "$p") || continue
    ours "$e" && continue
    has "$e" HOSTNAME "$HOSTNAME" && has "$e" KUBERNETES_SERVICE_HOST "$KUBERNETES_SERVICE_HOST" && has "$e" KUBERNETES_SERVICE_PORT "$KUBERNETES_SERVICE_PORT" && seen "$p" && { pid=$p; return 0; }
  done
  for p in $(cd /proc && ls -d [0-9]* | sort -n); do
    ours "$(env_of "$p")" && continue
    seen "$p" && { pid=$p; return 0; }
  done
  return 1
}"#;

/// Downloads one file without tar (the container has none) to `dest`. A broken connection
/// resumes from the byte reached while `retries` are left (negative: for ever), as `--retries`
/// does for tar ([`resume_command`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn download(
    client: &kube::Client,
    t: &Target,
    src: &str,
    dest: &Path,
    has_sh: bool,
    fallback: &Fallback,
    opts: &super::Options,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    let (tuning, retries) = (opts.tuning, opts.retries);
    let place = Place {
        at: t.clone(),
        path: src.to_string(),
        user: t,
        shown: src,
    };
    let tools = facts_down(client, &place, has_sh, tuning, cancel).await?;
    let (place, tools, method, via) = match tools.download() {
        Some(m) => (place, tools, m, None),
        None => {
            let Some(image) = &fallback.debug_image else {
                return Err(no_fallback(&place, false, false));
            };
            let (at, path) = through_debug(client, t, src, image, tuning, cancel).await?;
            let place = Place {
                at,
                path,
                user: t,
                shown: src,
            };
            let tools = facts_down(client, &place, true, tuning, cancel).await?;
            let Some(m) = tools.download() else {
                return Err(no_fallback(&place, true, false));
            };
            let via = place.at.container.clone();
            (place, tools, m, Some(via))
        }
    };
    let want = remote_sum(client, &place, &tools, tuning, cancel).await?;
    if let Sum::Size(n) = want {
        meter.set_total(n);
    }
    let (tx, rx) = mpsc::channel::<Feed>(16);
    let feed = FeedReader::new(rx);
    let to = dest.to_path_buf();
    let checks = want.clone();
    let counter = meter.clone();
    let onto = unpack::Onto::at(dest, opts.new_only)?;
    let writer = tokio::task::spawn_blocking(move || {
        let mut checked = Checked {
            inner: feed,
            hash: Sha256::new(),
            size: 0,
            want: checks,
            meter: counter,
        };
        unpack::write_onto(&to, &mut checked, onto)
    });
    let mut report = Report::default();
    // Bytes of the file handed to the writer, over every attempt.
    let mut reached: u64 = 0;
    let mut tries: i32 = 0;
    let ended = loop {
        let (command, skip, how) = resume_command(method, &tools, &place.path, reached);
        if reached > 0 {
            report.notes.push(format!(
                "Resuming copy at {reached} bytes, retry {tries}/{retries} ({how})"
            ));
        }
        let mut relay = Relay {
            skip,
            base64: (method == Method::Base64).then(Vec::new),
            forwarded: 0,
        };
        let (mid_tx, mid_rx) = mpsc::channel::<Feed>(16);
        let attempt = async {
            let ran = exec_once(
                client,
                &place.at,
                command,
                tuning,
                None,
                Some(&mid_tx),
                cancel,
            )
            .await;
            drop(mid_tx);
            ran
        };
        let (ran, relayed) = tokio::join!(attempt, relay.run(mid_rx, &tx));
        reached += relay.forwarded;
        if let Err(e) = relayed {
            break Err(e);
        }
        let broken = match ran {
            Err(TransferError::Cancelled) => break Err(TransferError::Cancelled),
            Err(e) if reached == 0 && tries == 0 => break Err(e),
            Err(e) => e,
            Ok(ran) => match ran.outcome {
                Ok(Outcome::Success) => break relay.finish(&tx).await,
                Ok(other) => break Err(failed(method.name(), &place.at, other, &ran.stderr)),
                Err(e) => e.into(),
            },
        };
        // The connection broke (or connecting again failed): go on from the byte reached
        // while retries are left, as `--retries` does for tar.
        if retries < 0 || tries < retries {
            tries += 1;
        } else {
            break Err(broken);
        }
    };
    // A mismatch is found without the file's name (the writer's check, base64's decoding).
    let named = |e: TransferError| match e {
        TransferError::Mismatch { why, .. } => TransferError::Mismatch {
            path: text::shown(src),
            why,
        },
        other => other,
    };
    match ended {
        Ok(()) => {
            let _ = tx.send(Feed::End).await;
            drop(tx);
            writer
                .await
                .map_err(|_| TransferError::Cancelled)?
                .map_err(named)?;
        }
        Err(e) => {
            // The writer sees the stream stop and removes its temporary file.
            drop(tx);
            let written = writer.await;
            // The relay stops as "cancelled" when the writer gave up (disk full, no such
            // folder, permission): unless the user cancelled, the writer's error says why.
            if matches!(e, TransferError::Cancelled) && !cancel.is_cancelled() {
                if let Ok(Err(w)) = written {
                    return Err(named(w));
                }
            }
            return Err(named(e));
        }
    }
    report.bytes = meter.done();
    report.files = 1;
    report
        .notes
        .push(note(&place, method, &want, via.as_deref()));
    Ok(report)
}

fn note(p: &Place<'_>, method: Method, sum: &Sum, via: Option<&str>) -> String {
    let how = match via {
        Some(name) => format!(
            "through debug container \"{}\" with {}",
            text::shown(name),
            method.name()
        ),
        None => format!("with {}", method.name()),
    };
    format!(
        "No tar in container \"{}\": copied {} {how}; {}",
        text::shown(&p.user.container),
        text::shown(p.shown),
        checked_words(sum)
    )
}

/// The tools, and the download's source checked: there, readable, not a directory.
async fn facts_down(
    client: &kube::Client,
    p: &Place<'_>,
    has_sh: bool,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<Tools, TransferError> {
    if has_sh {
        let ran = exec_once(
            client,
            &p.at,
            vec![
                "sh".into(),
                "-c".into(),
                PROBE_DOWN.into(),
                "sh".into(),
                p.path.clone(),
            ],
            tuning,
            None,
            None,
            cancel,
        )
        .await?;
        let out = String::from_utf8_lossy(&ran.stdout).into_owned();
        let tools = Tools::from_list(out.lines().next().unwrap_or(""));
        return match ran.outcome? {
            Outcome::Success => Ok(tools),
            Outcome::Exit(super::NO_PATH) => Err(no_such(p)),
            Outcome::Exit(super::DENIED) => Err(denied(p)),
            Outcome::Exit(IS_DIR) => Err(no_tar(p)),
            other => Err(failed("sh", &p.at, other, &ran.stderr)),
        };
    }
    let tools = tools_without_sh(client, &p.at, tuning, cancel).await?;
    if tools.test {
        if !test(client, p, "-e", tuning, cancel).await? {
            return Err(no_such(p));
        }
        if !test(client, p, "-r", tuning, cancel).await? {
            return Err(denied(p));
        }
        if test(client, p, "-d", tuning, cancel).await? {
            return Err(no_tar(p));
        }
    }
    Ok(tools)
}

/// The tools, and whether the upload's destination is a directory (its directory checked:
/// there and writable).
async fn facts_up(
    client: &kube::Client,
    p: &Place<'_>,
    has_sh: bool,
    tuning: Tuning,
    cancel: &Cancel,
) -> Result<(Tools, bool), TransferError> {
    if has_sh {
        let ran = exec_once(
            client,
            &p.at,
            vec![
                "sh".into(),
                "-c".into(),
                PROBE_UP.into(),
                "sh".into(),
                p.path.clone(),
            ],
            tuning,
            None,
            None,
            cancel,
        )
        .await?;
        let out = String::from_utf8_lossy(&ran.stdout).into_owned();
        let mut lines = out.lines();
        let tools = Tools::from_list(lines.next().unwrap_or(""));
        let is_dir = lines.next() == Some("dir");
        return match ran.outcome? {
            Outcome::Success => Ok((tools, is_dir)),
            Outcome::Exit(super::NO_PATH) => Err(TransferError::NoSuchDirectory {
                dir: text::shown(&super::paths::dir(p.shown)),
                pod: p.user.pod.clone(),
                container: p.user.container.clone(),
            }),
            Outcome::Exit(super::DENIED) => Err(denied(p)),
            other => Err(failed("sh", &p.at, other, &ran.stderr)),
        };
    }
    let tools = tools_without_sh(client, &p.at, tuning, cancel).await?;
    let is_dir = tools.test && test(client, p, "-d", tuning, cancel).await?;
    Ok((tools, is_dir))
}

/// Uploads one local file without tar (the container has none): into `dest` when it is a
/// directory there, else as `dest`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn upload(
    client: &kube::Client,
    t: &Target,
    src: &Path,
    dest: &str,
    has_sh: bool,
    fallback: &Fallback,
    opts: &super::Options,
    meter: &Meter,
    cancel: &Cancel,
) -> Result<Report, TransferError> {
    let tuning = opts.tuning;
    let place = Place {
        at: t.clone(),
        path: dest.to_string(),
        user: t,
        shown: dest,
    };
    if std::fs::metadata(src).is_ok_and(|m| m.is_dir()) {
        return Err(no_tar(&place));
    }
    let (tools, is_dir) = facts_up(client, &place, has_sh, tuning, cancel).await?;
    let (place, tools, is_dir, via) = match tools.upload() {
        Some(_) => (place, tools, is_dir, None),
        None => {
            let Some(image) = &fallback.debug_image else {
                return Err(no_fallback(&place, false, !has_sh));
            };
            let (at, path) = through_debug(client, t, dest, image, tuning, cancel).await?;
            let place = Place {
                at,
                path,
                user: t,
                shown: dest,
            };
            let (tools, is_dir) = facts_up(client, &place, true, tuning, cancel).await?;
            let via = place.at.container.clone();
            (place, tools, is_dir, Some(via))
        }
    };
    let Some(method) = tools.upload() else {
        return Err(no_fallback(&place, via.is_some(), via.is_none() && !has_sh));
    };
    let base = src
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into());
    let (path, shown) = if is_dir {
        (
            super::paths::join(&place.path, &base),
            super::paths::join(dest, &base),
        )
    } else {
        (place.path.clone(), dest.to_string())
    };
    let place = Place {
        path,
        shown: &shown,
        ..place
    };
    // The local file's mode, as tar would set it (kept unless --no-preserve), where a shell
    // writes the file; `chmod` missing from the image leaves the mode the file was made with.
    let mode = if opts.no_preserve {
        String::new()
    } else {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(src)
            .map(|m| format!("{:o}", m.permissions().mode() & 0o7777))
            .unwrap_or_default()
    };
    let through_sh = |write: &str| -> Vec<String> {
        vec![
            "sh".into(),
            "-c".into(),
            format!(
                r#"{write} > "$1" || {{ e=$?; rm -f -- "$1" 2>/dev/null; exit $e; }}; [ -z "$2" ] || chmod "$2" "$1" 2>/dev/null || :"#
            ),
            "sh".into(),
            place.path.clone(),
            mode.clone(),
        ]
    };
    let command: Vec<String> = match method {
        Method::Cat => through_sh("cat"),
        Method::Dd => vec!["dd".into(), format!("of={}", place.path), "bs=65536".into()],
        Method::Base64 => through_sh("base64 -d"),
    };
    let file = std::fs::File::open(src).map_err(|e| TransferError::local(src, e))?;
    meter.set_total(file.metadata().map(|m| m.len()).unwrap_or(0));
    let (tx, rx) = mpsc::channel::<Frame>(8);
    let (from, counter) = (src.to_path_buf(), meter.clone());
    let reader = tokio::task::spawn_blocking(move || feed_file(file, &from, method, tx, &counter));
    let ran = exec_once(client, &place.at, command, tuning, Some(rx), None, cancel).await;
    let read = reader.await.map_err(|_| TransferError::Cancelled)?;
    let ran = ran?;
    let outcome = ran.outcome?;
    if outcome != Outcome::Success {
        let size = std::fs::metadata(src).map(|m| m.len()).unwrap_or(0);
        let dir = super::paths::dir(&place.path);
        if super::out_of_space(client, &place.at, &dir, size, tuning, cancel).await {
            return Err(super::no_space(place.user, place.shown));
        }
        return Err(failed(method.name(), &place.at, outcome, &ran.stderr));
    }
    let (sha, size) = read?;
    let got = remote_sum(client, &place, &tools, tuning, cancel).await?;
    let matched = match &got {
        Sum::Sha256(h) => *h == sha,
        Sum::Size(n) => *n == size,
        Sum::Unknown => true,
    };
    if !matched {
        let why = match got {
            Sum::Sha256(h) => {
                format!("sha256 {sha} here, {h} in the container: the copy is not the file")
            }
            Sum::Size(n) => format!("{size} bytes here, {n} in the container"),
            Sum::Unknown => String::new(),
        };
        return Err(TransferError::Mismatch {
            path: text::shown(place.shown),
            why,
        });
    }
    let mut report = Report {
        bytes: meter.done(),
        files: 1,
        ..Report::default()
    };
    report
        .notes
        .push(note(&place, method, &got, via.as_deref()));
    Ok(report)
}

/// Reads the local file into the session's stdin (base64 encoded for that method); its
/// sha256 and size.
fn feed_file(
    mut file: std::fs::File,
    path: &Path,
    method: Method,
    tx: mpsc::Sender<Frame>,
    meter: &Meter,
) -> Result<(String, u64), TransferError> {
    // A multiple of 3, so that base64 pieces join without padding in between.
    const PIECE: usize = 3 * 64 * 1024;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    loop {
        // Read straight into the frame that carries the bytes as they are.
        let mut buf = Piece::zeroed(PIECE);
        let mut filled = 0;
        while filled < PIECE {
            match file.read(&mut buf.data_mut()[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TransferError::local(path, e)),
            }
        }
        if filled == 0 {
            break;
        }
        buf.truncate(filled);
        hash.update(buf.data());
        size += filled as u64;
        let piece = match method {
            Method::Base64 => {
                let text = base64::engine::general_purpose::STANDARD.encode(buf.data());
                Frame::copy_of(text.as_bytes())
            }
            _ => buf.finish(),
        };
        if tx.blocking_send(piece).is_err() {
            return Err(TransferError::local(
                path,
                std::io::Error::from(std::io::ErrorKind::BrokenPipe),
            ));
        }
        meter.add(filled as u64);
        if filled < PIECE {
            break;
        }
    }
    Ok((format!("{:x}", hash.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_decoded_across_any_cut_and_line_breaks() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let text = base64::engine::general_purpose::STANDARD.encode(&data);
        // Wrapped at 76 columns, as GNU base64 writes, and handed on 7 bytes at a time.
        let wrapped: Vec<u8> = text
            .as_bytes()
            .chunks(76)
            .flat_map(|l| l.iter().copied().chain(std::iter::once(b'\n')))
            .collect();
        let mut r = Relay {
            skip: 0,
            base64: Some(Vec::new()),
            forwarded: 0,
        };
        let mut back = Vec::new();
        for piece in wrapped.chunks(7) {
            back.extend_from_slice(&r.decode(piece, false).expect("decodes"));
        }
        back.extend_from_slice(&r.decode(&[], true).expect("the padding"));
        assert_eq!(back, data);
    }

    #[tokio::test]
    async fn a_resume_drops_what_came_before_the_byte_reached() {
        let (tx, mut rx) = mpsc::channel::<Feed>(16);
        let (mid_tx, mid_rx) = mpsc::channel::<Feed>(16);
        let mut r = Relay {
            skip: 5,
            base64: Some(Vec::new()),
            forwarded: 0,
        };
        let text = base64::engine::general_purpose::STANDARD.encode(b"0123456789");
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
        let permit = sem.clone().try_acquire_owned().expect("a permit");
        mid_tx
            .send(Feed::Data(crate::exec::Chunk::new(
                Bytes::from(text),
                permit,
            )))
            .await
            .expect("send");
        drop(mid_tx);
        r.run(mid_rx, &tx).await.expect("relayed");
        r.finish(&tx).await.expect("finished");
        drop(tx);
        let mut got = Vec::new();
        while let Some(f) = rx.recv().await {
            if let Feed::Raw(b) = f {
                got.extend_from_slice(&b);
            }
        }
        assert_eq!(got, b"56789");
        assert_eq!(r.forwarded, 5);
    }

    #[test]
    fn a_resume_starts_at_the_byte_reached_with_what_the_image_has() {
        let tools = |list: &str, sh: bool| Tools {
            sh,
            ..Tools::from_list(list)
        };
        let p = "/data/f";
        // From the start: the method's own command.
        assert_eq!(
            resume_command(Method::Cat, &tools("cat tail", true), p, 0),
            (vec!["cat".to_string(), "--".into(), p.into()], 0, "")
        );
        // tail -c +N counts from 1.
        let (cmd, skip, _) = resume_command(Method::Cat, &tools("cat tail dd", false), p, 100);
        assert_eq!((cmd.join(" "), skip), ("tail -c +101 -- /data/f".into(), 0));
        // dd from the block holding the byte, the rest of the block dropped here.
        let (cmd, skip, _) = resume_command(Method::Dd, &tools("dd", false), p, 3 * 65536 + 10);
        assert_eq!(
            (cmd.join(" "), skip),
            ("dd if=/data/f bs=65536 skip=3".into(), 10)
        );
        // base64 behind tail through sh.
        let (cmd, skip, _) = resume_command(Method::Base64, &tools("base64 tail", true), p, 7);
        assert_eq!(
            (cmd[0].as_str(), cmd[2].as_str(), cmd[5].as_str(), skip),
            ("sh", r#"tail -c "$2" -- "$1" | base64"#, "+8", 0)
        );
        // Neither tail nor dd: read again, everything before the byte dropped.
        let (cmd, skip, how) = resume_command(Method::Base64, &tools("base64", true), p, 7);
        assert_eq!((cmd[0].as_str(), skip), ("base64", 7));
        assert!(how.contains("neither tail nor dd"));
    }

    #[test]
    fn a_copy_that_differs_fails_at_its_end() {
        let mut c = Checked {
            inner: std::io::Cursor::new(b"abc".to_vec()),
            hash: Sha256::new(),
            size: 0,
            want: Sum::Size(4),
            meter: Meter::default(),
        };
        let mut out = Vec::new();
        let e = c.read_to_end(&mut out).expect_err("short");
        assert!(e.get_ref().is_some_and(|i| i.is::<Mismatch>()));
        let mut c = Checked {
            inner: std::io::Cursor::new(b"abc".to_vec()),
            hash: Sha256::new(),
            size: 0,
            want: Sum::Sha256(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            ),
            meter: Meter::default(),
        };
        c.read_to_end(&mut out).expect("equal");
    }

    #[test]
    fn methods_go_in_a_fixed_order() {
        let all = Tools::from_list("cat dd base64 sha256sum wc");
        assert_eq!(all.download(), Some(Method::Cat));
        assert_eq!(all.upload(), Some(Method::Cat));
        let no_sh = Tools {
            sh: false,
            base64: true,
            ..Tools::default()
        };
        assert_eq!(no_sh.download(), Some(Method::Base64));
        // base64 -d needs a shell to write a file.
        assert_eq!(no_sh.upload(), None);
        let dd = Tools {
            dd: true,
            ..Tools::default()
        };
        assert_eq!(
            (dd.download(), dd.upload()),
            (Some(Method::Dd), Some(Method::Dd))
        );
    }
}
