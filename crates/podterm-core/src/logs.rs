//! Container logs as `kubectl logs` reads them (`pods/{name}/log`), streamed in bounded chunks
//! whatever the server sends (a line is never buffered whole), with an optional
//! `[pod/NAME/CONTAINER] ` prefix per line. A follow survives a dropped connection: it asks
//! for timestamps itself, remembers where it was (the last line's timestamp, how many lines
//! carried it, how many bytes of the last one were written) and resumes from there without
//! writing a line twice or losing one; the timestamps are stripped again unless asked for.

use crate::cluster::ApiError;
use futures_util::io::AsyncReadExt as _;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tokio::sync::Mutex;

/// How much is read from the server at once: the memory a stream holds, whatever the length of
/// its lines.
pub const READ_CHUNK: usize = 64 * 1024;
/// The longest timestamp a line may start with (RFC 3339 with nanoseconds and an offset is 35).
const MAX_STAMP: usize = 64;
/// How often a follow tries to resume after its connection broke, and the longest wait between
/// two tries (the waits double from 250 ms).
pub const RESUME_ATTEMPTS: u32 = 30;
const RESUME_MAX_WAIT: Duration = Duration::from_secs(2);

/// Why a log could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// The API server refused (kubectl's words) or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The stream broke (not following: the log is incomplete).
    #[error("the log of {what} broke off: {source} (the output above is incomplete)")]
    Broken {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A follow's connection broke and could not be resumed.
    #[error("lost the log of {what} and could not resume it after {attempts} attempts: {last}")]
    GaveUp {
        what: String,
        attempts: u32,
        #[source]
        last: ApiError,
    },
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("cannot write the log: {0}")]
    Write(#[source] std::io::Error),
    /// A workload's follow has `max` logs followed already: this one is not (see
    /// `follow::Workload::max_streams`).
    #[error("not followed: {max} logs are followed at once already, the most one follow takes")]
    Capped { max: usize },
}

/// Where to start and what to show, as `kubectl logs`' flags.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub previous: bool,
    /// Show each line's timestamp (`--timestamps`).
    pub timestamps: bool,
    pub since_seconds: Option<i64>,
    pub since_time: Option<Timestamp>,
    pub tail_lines: Option<i64>,
    pub limit_bytes: Option<i64>,
    /// Told when a followed log that broke could not be resumed at once, and when it is back.
    pub on_resume: OnResume,
}

/// Where a followed log that broke stands, for a follower that says so.
#[derive(Debug)]
pub enum Resume<'a> {
    /// The first try to resume it failed: it is tried again, for up to about a minute
    /// ([`RESUME_ATTEMPTS`]). `what`: `pod/NAME/CONTAINER`, escaped.
    Retrying { what: &'a str, error: &'a ApiError },
    /// Resumed after [`Resume::Retrying`].
    Back { what: &'a str },
}

/// Who hears of a follow's [`Resume`]s: a break resumed at the first try is not told (the
/// connection dropped and came back), one the API server does not answer is: without a word a
/// follow would sit silent for the minute it keeps trying.
#[derive(Clone, Default)]
pub struct OnResume(Option<Arc<ResumeFn>>);

type ResumeFn = dyn Fn(&Resume<'_>) + Send + Sync;

impl OnResume {
    pub fn new(f: impl Fn(&Resume<'_>) + Send + Sync + 'static) -> OnResume {
        OnResume(Some(Arc::new(f)))
    }

    fn tell(&self, r: Resume<'_>) {
        if let Some(f) = &self.0 {
            f(&r);
        }
    }
}

impl std::fmt::Debug for OnResume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "OnResume(told)"
        } else {
            "OnResume(none)"
        })
    }
}

/// One container's log.
#[derive(Debug, Clone)]
pub struct LogSource {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// Written before every line (`[pod/NAME/CONTAINER] ` for `--prefix`).
    pub prefix: Option<String>,
}

impl LogSource {
    /// `[pod/NAME/CONTAINER] `, as kubectl's `--prefix` writes it.
    pub fn kubectl_prefix(&self) -> String {
        format!("[pod/{}/{}] ", self.pod, self.container)
    }

    fn what(&self) -> String {
        crate::text::shown(&format!("pod/{}/{}", self.pod, self.container))
    }
}

/// Where a follow stands: enough to resume it without a line twice or one lost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// The timestamp of the last line begun.
    pub last: Option<Timestamp>,
    /// How many lines began with exactly that timestamp.
    pub lines_at_last: u64,
    /// Bytes of the last line already taken (its newline included once it ended).
    pub taken: u64,
}

/// What to do with the line being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Show,
    /// Already written before a resume.
    Drop,
    /// Written in part before a resume: drop this many bytes more, then show.
    DropBytes(u64),
}

/// Turns a log's bytes into output, line by line but never holding a line: at most one chunk
/// of input and its prefixes are held.
#[derive(Debug)]
pub struct Lines {
    /// Lines start with a timestamp that is read (to resume), shown only if `show_stamps`.
    parse_stamps: bool,
    show_stamps: bool,
    prefix: Vec<u8>,
    at_line_start: bool,
    stamp: Option<Vec<u8>>,
    fate: Fate,
    /// Where the output stands.
    pub position: Position,
    /// A resume in progress: lines up to this position are dropped.
    resume: Option<(Position, u64)>,
    /// Bytes of output still allowed (`--limit-bytes` when the server cannot count them).
    left: Option<u64>,
}

impl Lines {
    pub fn new(parse_stamps: bool, show_stamps: bool, prefix: Option<&str>) -> Self {
        Lines {
            parse_stamps,
            show_stamps,
            prefix: prefix.unwrap_or("").as_bytes().to_vec(),
            at_line_start: true,
            stamp: None,
            fate: Fate::Show,
            position: Position::default(),
            resume: None,
            left: None,
        }
    }

    /// Limits the output to `n` bytes (prefixes not counted, as kubectl counts on the server).
    pub fn limit(mut self, n: Option<u64>) -> Self {
        self.left = n;
        self
    }

    /// Whether the limit is reached.
    pub fn done(&self) -> bool {
        self.left == Some(0)
    }

    /// A new connection starts from the beginning of a line at or before `position`; what was
    /// already written is dropped.
    pub fn resume(&mut self) {
        self.at_line_start = true;
        self.stamp = None;
        self.fate = Fate::Show;
        if self.position.last.is_some() {
            self.resume = Some((self.position.clone(), 0));
        }
    }

    fn emit(&mut self, out: &mut Vec<u8>, data: &[u8], counted: bool) {
        let n = match (counted, self.left) {
            (true, Some(left)) => (data.len() as u64).min(left) as usize,
            _ => data.len(),
        };
        out.extend_from_slice(&data[..n]);
        if counted {
            if let Some(left) = self.left.as_mut() {
                *left -= n as u64;
            }
        }
    }

    /// A line's timestamp was read: decide its fate, write its head.
    /// `spaced`: a space followed the timestamp (and was taken with it).
    fn line_begins(&mut self, stamp: &[u8], spaced: bool, out: &mut Vec<u8>) {
        let parsed = std::str::from_utf8(stamp)
            .ok()
            .and_then(|s| s.parse::<Timestamp>().ok());
        let Some(ts) = parsed else {
            // Not a timestamp after all: the line as it came.
            self.fate = Fate::Show;
            self.emit_head(out, None);
            self.emit(out, stamp, true);
            if spaced {
                self.emit(out, b" ", true);
            }
            return;
        };
        self.fate = Fate::Show;
        if let Some((at, seen)) = self.resume.take() {
            let last = at.last.unwrap_or(ts);
            if ts < last {
                self.fate = Fate::Drop;
                self.resume = Some((at, seen));
            } else if ts == last && seen + 1 < at.lines_at_last {
                self.fate = Fate::Drop;
                self.resume = Some((at, seen + 1));
            } else if ts == last && seen + 1 == at.lines_at_last {
                // The line written last: its head is out, and `taken` bytes of it.
                self.fate = Fate::DropBytes(at.taken);
                self.position = Position {
                    last: Some(ts),
                    lines_at_last: at.lines_at_last,
                    taken: 0,
                };
                return;
            }
        }
        if self.position.last == Some(ts) {
            self.position.lines_at_last += 1;
        } else {
            self.position.last = Some(ts);
            self.position.lines_at_last = 1;
        }
        self.position.taken = 0;
        self.emit_head(out, Some(stamp));
    }

    fn emit_head(&mut self, out: &mut Vec<u8>, stamp: Option<&[u8]>) {
        out.extend_from_slice(&self.prefix);
        if let (Some(s), true) = (stamp, self.show_stamps) {
            self.emit(out, s, true);
            self.emit(out, b" ", true);
        }
    }

    /// Feeds bytes from the server; returns what to write.
    pub fn feed(&mut self, mut data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 64);
        while !data.is_empty() && !self.done() {
            if self.at_line_start {
                if self.parse_stamps {
                    let stamp = self.stamp.get_or_insert_with(Vec::new);
                    let end = data.iter().position(|b| *b == b' ' || *b == b'\n');
                    match end {
                        Some(i) if stamp.len() + i <= MAX_STAMP => {
                            stamp.extend_from_slice(&data[..i]);
                            let newline = data[i] == b'\n';
                            // The space after a timestamp is part of the head, a newline is
                            // the line's content.
                            data = if newline { &data[i..] } else { &data[i + 1..] };
                            let stamp = self.stamp.take().unwrap_or_default();
                            self.line_begins(&stamp, !newline, &mut out);
                        }
                        None if stamp.len() + data.len() <= MAX_STAMP => {
                            stamp.extend_from_slice(data);
                            return out;
                        }
                        _ => {
                            // Too long to be a timestamp: the line as it came.
                            let stamp = self.stamp.take().unwrap_or_default();
                            self.fate = Fate::Show;
                            self.emit_head(&mut out, None);
                            self.emit(&mut out, &stamp, true);
                        }
                    }
                } else {
                    self.fate = Fate::Show;
                    self.emit_head(&mut out, None);
                }
                self.at_line_start = false;
                continue;
            }
            let (line, ends) = match data.iter().position(|b| *b == b'\n') {
                Some(i) => (&data[..=i], true),
                None => (data, false),
            };
            data = &data[line.len()..];
            match self.fate {
                Fate::Drop => {}
                Fate::DropBytes(n) => {
                    let skip = (line.len() as u64).min(n);
                    self.position.taken += skip;
                    let rest = &line[skip as usize..];
                    self.fate = if skip < n {
                        Fate::DropBytes(n - skip)
                    } else {
                        Fate::Show
                    };
                    self.position.taken += rest.len() as u64;
                    self.emit(&mut out, rest, true);
                }
                Fate::Show => {
                    self.position.taken += line.len() as u64;
                    self.emit(&mut out, line, true);
                }
            }
            if ends {
                self.at_line_start = true;
            }
        }
        out
    }
}

/// The output of one or more logs: a writer shared by the streams, each holding it for one
/// chunk at a time (a line cut across two chunks may have another stream's lines between).
pub type Output = Arc<Mutex<Box<dyn AsyncWrite + Send + Unpin>>>;

/// Streams one container's log to `out` until it ends (not following: the log so far;
/// following: until the container stops or the limit is reached).
pub async fn stream(
    client: &kube::Client,
    source: &LogSource,
    opts: &LogOptions,
    out: &Output,
) -> Result<(), LogsError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), &source.namespace);
    // Following, the timestamps are needed to resume, and `--limit-bytes` is then counted here
    // (the server would count the timestamps too).
    let parse = opts.follow;
    let limit = opts.limit_bytes.map(|n| n.max(0) as u64);
    let mut lines = Lines::new(parse, opts.timestamps, source.prefix.as_deref()).limit(if parse {
        limit
    } else {
        None
    });
    let mut failures = 0u32;
    // A Resume::Retrying was told, and its Back is owed.
    let mut told = false;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let resuming = failures > 0;
        let mut lp = LogParams {
            container: Some(source.container.clone()),
            follow: opts.follow,
            previous: opts.previous,
            timestamps: opts.timestamps || parse,
            ..LogParams::default()
        };
        match (resuming, lines.position.last) {
            (true, Some(last)) => {
                // From the second of the last line: the API server passes sinceTime on in
                // whole seconds; what was written already is dropped by `Lines`.
                lp.since_time = Timestamp::from_second(last.as_second()).ok();
            }
            _ => {
                lp.since_seconds = opts.since_seconds;
                lp.since_time = opts.since_time;
                lp.tail_lines = opts.tail_lines;
                lp.limit_bytes = if parse { None } else { opts.limit_bytes };
            }
        }
        lines.resume();
        let reader = match pods.log_stream(&source.pod, &lp).await {
            Ok(r) => {
                if std::mem::take(&mut told) {
                    opts.on_resume.tell(Resume::Back {
                        what: &source.what(),
                    });
                }
                r
            }
            Err(e) => {
                let e = ApiError::from(e);
                if !resuming || !e.transient() {
                    return Err(e.into());
                }
                if !told {
                    told = true;
                    opts.on_resume.tell(Resume::Retrying {
                        what: &source.what(),
                        error: &e,
                    });
                }
                if failures >= RESUME_ATTEMPTS {
                    return Err(LogsError::GaveUp {
                        what: source.what(),
                        attempts: failures,
                        last: e,
                    });
                }
                failures += 1;
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
        };
        let mut reader = Box::pin(reader);
        let broke = loop {
            match reader.read(&mut buf).await {
                Ok(0) => {
                    return Ok(());
                }
                Ok(n) => {
                    failures = 0;
                    let chunk = lines.feed(&buf[..n]);
                    if !chunk.is_empty() {
                        let mut w = out.lock().await;
                        w.write_all(&chunk).await.map_err(LogsError::Write)?;
                        w.flush().await.map_err(LogsError::Write)?;
                    }
                    if lines.done() {
                        return Ok(());
                    }
                }
                Err(e) => break e,
            }
        };
        if !opts.follow {
            return Err(LogsError::Broken {
                what: source.what(),
                source: broke,
            });
        }
        failures += 1;
        tracing::debug!("the log of {} broke ({broke}); resuming", source.what());
        tokio::time::sleep(backoff(failures)).await;
    }
}

fn backoff(failures: u32) -> Duration {
    let ms = 250u64.saturating_mul(1 << failures.saturating_sub(1).min(8));
    Duration::from_millis(ms).min(RESUME_MAX_WAIT)
}

/// The pod `kubectl logs TYPE/NAME` reads when the workload has several: kubectl's order for
/// logs (scheduled first; Running, then Unknown, then Pending; Ready first, Ready longest first;
/// the most restarts first; the oldest first). `None` when there are none.
pub fn pick_for_logs(mut pods: Vec<Pod>) -> Option<Pod> {
    use std::cmp::Ordering;
    fn ready_since(p: &Pod) -> Option<Timestamp> {
        p.status
            .as_ref()?
            .conditions
            .as_ref()?
            .iter()
            .find(|c| c.type_ == "Ready" && c.status == "True")?
            .last_transition_time
            .as_ref()
            .map(|t| t.0)
    }
    fn ready(p: &Pod) -> bool {
        p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
    }
    fn phase_rank(p: &Pod) -> u8 {
        match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
            Some("Unknown") => 1,
            Some("Pending") => 2,
            _ => 0,
        }
    }
    fn restarts(p: &Pod) -> i32 {
        p.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|cs| cs.iter().map(|c| c.restart_count).max())
            .unwrap_or(0)
    }
    fn scheduled(p: &Pod) -> bool {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty())
    }
    // Older first, a missing time last.
    fn older(a: Option<Timestamp>, b: Option<Timestamp>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    pods.sort_by(|a, b| {
        scheduled(b)
            .cmp(&scheduled(a))
            .then_with(|| phase_rank(a).cmp(&phase_rank(b)))
            .then_with(|| ready(b).cmp(&ready(a)))
            .then_with(|| {
                if ready(a) && ready(b) {
                    older(ready_since(a), ready_since(b))
                } else {
                    Ordering::Equal
                }
            })
            .then_with(|| restarts(b).cmp(&restarts(a)))
            .then_with(|| {
                older(
                    a.metadata.creation_timestamp.as_ref().map(|t| t.0),
                    b.metadata.creation_timestamp.as_ref().map(|t| t.0),
                )
            })
    });
    pods.into_iter().next()
}

/// Every container of a pod in the order `--all-containers` reads them: init containers, then
/// containers, then ephemeral containers.
pub fn all_containers(pod: &Pod) -> Vec<String> {
    crate::pods::every_container(pod)
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "2026-01-01T00:00:01.000000001Z";
    const T2: &str = "2026-01-01T00:00:01.000000002Z";

    fn feed_all(l: &mut Lines, parts: &[&[u8]]) -> Vec<u8> {
        parts.iter().flat_map(|p| l.feed(p)).collect()
    }

    #[test]
    fn timestamps_are_read_and_stripped_in_any_cut() {
        let input = format!("{T1} one\n{T2} two\n{T2} three");
        for cut in 0..input.len() {
            let mut l = Lines::new(true, false, Some("[p] "));
            let (a, b) = input.as_bytes().split_at(cut);
            let out = feed_all(&mut l, &[a, b]);
            assert_eq!(out, b"[p] one\n[p] two\n[p] three", "cut at {cut}");
            assert_eq!(l.position.lines_at_last, 2);
            assert_eq!(l.position.taken, 5);
        }
        let mut shown = Lines::new(true, true, None);
        assert_eq!(
            shown.feed(format!("{T1} x\n").as_bytes()),
            format!("{T1} x\n").as_bytes()
        );
    }

    #[test]
    fn a_resume_writes_nothing_twice_and_loses_nothing() {
        let full = format!("{T1} a\n{T2} b\n{T2} cc\n{T2} dd\n");
        // Broken after any byte, resumed from the start of T1's second (what the server resends).
        for cut in 1..full.len() {
            let mut l = Lines::new(true, false, None);
            let mut out = l.feed(&full.as_bytes()[..cut]);
            l.resume();
            out.extend(l.feed(full.as_bytes()));
            assert_eq!(out, b"a\nb\ncc\ndd\n", "cut at {cut}");
        }
    }

    #[test]
    fn the_limit_counts_what_is_shown() {
        let mut l = Lines::new(true, false, Some("[p] ")).limit(Some(3));
        let out = l.feed(format!("{T1} ab\n{T2} cd\n").as_bytes());
        assert_eq!(out, b"[p] ab\n");
        assert!(l.done());
    }

    #[test]
    fn a_huge_line_is_never_held() {
        let mut l = Lines::new(true, false, None);
        let head = l.feed(format!("{T1} ").as_bytes());
        assert!(head.is_empty());
        let chunk = vec![b'x'; READ_CHUNK];
        for _ in 0..64 {
            assert_eq!(l.feed(&chunk).len(), READ_CHUNK);
        }
        assert_eq!(l.position.taken, 64 * READ_CHUNK as u64);
    }

    #[test]
    fn lines_without_a_timestamp_pass_as_they_came() {
        let mut l = Lines::new(true, false, None);
        assert_eq!(l.feed(b"plain words\n"), b"plain words\n");
        let long = vec![b'y'; 200];
        let mut out = l.feed(&long);
        out.extend(l.feed(b"\n"));
        assert_eq!(out.len(), 201);
    }
}
