//! Containers' output as a container runtime keeps it: each incarnation of a container (the
//! current one and the one before the last restart) holds its main process's stdout and stderr,
//! merged in arrival order, as timestamped records, bounded like a runtime's log rotation. The
//! `pods/{name}/log` reader renders them as the kubelet does (`tailLines`, `sinceTime`,
//! `timestamps`, `limitBytes`, `follow`).

use bytes::{Bytes, BytesMut};
use jiff::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Bytes of output one incarnation keeps; older records are dropped first, as a runtime rotates
/// its log files (the kubelet's default `containerLogMaxSize` is 10 MiB; the Demo cluster runs
/// inside the app, so less here). The previous incarnation keeps as much again.
pub const LOG_CAP: usize = 4 * 1024 * 1024;
/// The longest record: a longer line is kept as several pieces (CRI's partial lines), the
/// timestamp on its first.
const RECORD_MAX: usize = 16 * 1024;
/// The most bytes of records a reader renders at once (at least one record).
const BATCH_BYTES: usize = 64 * 1024;

/// One piece of output: a whole line, or part of one.
#[derive(Debug, Clone)]
struct Record {
    seq: u64,
    at: Timestamp,
    data: Bytes,
    /// The first piece of a line (a timestamp is written before it).
    starts_line: bool,
}

/// One run of a container's main process.
#[derive(Debug)]
struct Incarnation {
    id: u64,
    records: VecDeque<Record>,
    bytes: usize,
    next_seq: u64,
    /// Whether the last record ended its line.
    at_line_start: bool,
    ended: bool,
}

impl Incarnation {
    fn new(id: u64) -> Self {
        Incarnation {
            id,
            records: VecDeque::new(),
            bytes: 0,
            next_seq: 0,
            at_line_start: true,
            ended: false,
        }
    }

    fn push(&mut self, at: Timestamp, data: Bytes, cap: usize) {
        let mut rest = data;
        while !rest.is_empty() {
            let cut = rest
                .iter()
                .take(RECORD_MAX)
                .position(|b| *b == b'\n')
                .map(|i| i + 1)
                .unwrap_or_else(|| rest.len().min(RECORD_MAX));
            let piece = rest.split_to(cut);
            let ends = piece.last() == Some(&b'\n');
            self.bytes += piece.len();
            self.records.push_back(Record {
                seq: self.next_seq,
                at,
                data: piece,
                starts_line: self.at_line_start,
            });
            self.next_seq += 1;
            self.at_line_start = ends;
        }
        while self.bytes > cap {
            match self.records.pop_front() {
                Some(r) => self.bytes -= r.data.len(),
                None => break,
            }
        }
    }
}

#[derive(Debug)]
struct State {
    current: Incarnation,
    previous: Option<Incarnation>,
    next_id: u64,
}

/// One container's logs.
#[derive(Debug)]
pub struct ContainerLog {
    state: Mutex<State>,
    /// Bytes each incarnation keeps.
    cap: usize,
    /// Bumped on every change, so followers wake.
    changed: watch::Sender<u64>,
}

impl Default for ContainerLog {
    fn default() -> Self {
        ContainerLog::with_cap(LOG_CAP)
    }
}

impl ContainerLog {
    /// A log whose incarnations keep `cap` bytes each.
    pub fn with_cap(cap: usize) -> Self {
        ContainerLog {
            cap,
            state: Mutex::new(State {
                current: Incarnation::new(0),
                previous: None,
                next_id: 1,
            }),
            changed: watch::channel(0).0,
        }
    }
}

impl ContainerLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A new incarnation starts (the container restarted): the current one becomes previous.
    pub fn restart(&self) {
        {
            let mut g = self.lock();
            let id = g.next_id;
            g.next_id += 1;
            let mut old = std::mem::replace(&mut g.current, Incarnation::new(id));
            old.ended = true;
            g.previous = Some(old);
        }
        self.bump();
    }

    /// Output of the current incarnation.
    pub fn append(&self, data: Bytes) {
        let cap = self.cap;
        self.lock().current.push(Timestamp::now(), data, cap);
        self.bump();
    }

    /// The current incarnation's process ended (a restart may follow).
    pub fn end(&self) {
        self.lock().current.ended = true;
        self.bump();
    }
}

/// Logs by (pod uid, container), each keeping `cap` bytes an incarnation.
pub struct Logs {
    map: Mutex<HashMap<(String, String), Arc<ContainerLog>>>,
    cap: usize,
}

impl Default for Logs {
    fn default() -> Self {
        Logs::with_cap(LOG_CAP)
    }
}

impl Logs {
    pub fn with_cap(cap: usize) -> Self {
        Logs {
            map: Mutex::new(HashMap::new()),
            cap,
        }
    }

    /// The container's log, made when first asked for.
    pub fn container(&self, uid: &str, container: &str) -> Arc<ContainerLog> {
        let cap = self.cap;
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((uid.to_string(), container.to_string()))
            .or_insert_with(|| Arc::new(ContainerLog::with_cap(cap)))
            .clone()
    }

    /// A pod is gone: its logs go with it; followers end.
    pub fn remove_pod(&self, uid: &str) {
        let gone: Vec<Arc<ContainerLog>> = {
            let mut g = self.map.lock().unwrap_or_else(|p| p.into_inner());
            let keys: Vec<_> = g.keys().filter(|(u, _)| u == uid).cloned().collect();
            keys.into_iter().filter_map(|k| g.remove(&k)).collect()
        };
        for l in gone {
            l.end();
        }
    }
}

/// What a `pods/{name}/log` request asks for.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub previous: bool,
    pub follow: bool,
    pub timestamps: bool,
    /// Only lines from this time on.
    pub since: Option<Timestamp>,
    pub tail_lines: Option<u64>,
    pub limit_bytes: Option<u64>,
}

/// The kubelet's timestamp: RFC 3339 with nanoseconds, always nine digits.
pub fn timestamp(t: Timestamp) -> String {
    format!(
        "{}.{:09}Z",
        t.strftime("%Y-%m-%dT%H:%M:%S"),
        t.subsec_nanosecond()
    )
}

/// Reads one incarnation of a container's log, record by record, as the kubelet renders it.
pub struct Reader {
    log: Arc<ContainerLog>,
    incarnation: u64,
    next_seq: u64,
    q: LogQuery,
    /// Bytes still allowed by `limitBytes`.
    left: Option<u64>,
    /// Whether the line the next record belongs to was selected (by `sinceTime`).
    in_line: bool,
    /// The first record written: it starts a line, whatever came before it was dropped.
    first: bool,
    changes: watch::Receiver<u64>,
}

impl Reader {
    /// A reader of the current incarnation, or the previous one (`None`: there is none).
    pub fn new(log: Arc<ContainerLog>, q: LogQuery) -> Option<Reader> {
        let changes = log.changed.subscribe();
        let (incarnation, next_seq) = {
            let g = log.lock();
            let inc = if q.previous {
                g.previous.as_ref()?
            } else {
                &g.current
            };
            let start = match q.tail_lines {
                None => inc.records.front().map(|r| r.seq).unwrap_or(inc.next_seq),
                Some(n) => tail_start(inc, n),
            };
            (inc.id, start)
        };
        Some(Reader {
            left: q.limit_bytes,
            log,
            incarnation,
            next_seq,
            q,
            in_line: false,
            first: true,
            changes,
        })
    }

    /// The next bytes to send; `None` at the end (for a follow: once the incarnation ended).
    pub async fn next(&mut self) -> Option<Bytes> {
        loop {
            if self.left == Some(0) {
                return None;
            }
            self.changes.borrow_and_update();
            let (batch, ended) = {
                let g = self.log.lock();
                let inc = if g.current.id == self.incarnation {
                    &g.current
                } else {
                    match g.previous.as_ref().filter(|p| p.id == self.incarnation) {
                        Some(p) => p,
                        None => return None,
                    }
                };
                let from = inc.records.front().map(|r| r.seq).unwrap_or(inc.next_seq);
                let skip = self.next_seq.saturating_sub(from) as usize;
                // Up to 64 KiB a batch, so a log of short lines is not sent a few at a time.
                let mut size = 0;
                // `range` finds the first record at once, however long the log.
                let batch: Vec<Record> = inc
                    .records
                    .range(skip.min(inc.records.len())..)
                    .take_while(|r| {
                        let more = size < BATCH_BYTES;
                        size += r.data.len();
                        more
                    })
                    .cloned()
                    .collect();
                (batch, inc.ended)
            };
            if let Some(last) = batch.last() {
                self.next_seq = last.seq + 1;
                let out = self.render(&batch);
                if !out.is_empty() {
                    return Some(out);
                }
                continue;
            }
            if !self.q.follow || ended {
                return None;
            }
            if self.changes.changed().await.is_err() {
                return None;
            }
        }
    }

    fn render(&mut self, batch: &[Record]) -> Bytes {
        let mut out = BytesMut::new();
        for r in batch {
            let starts = r.starts_line || self.first;
            if starts {
                self.in_line = self.q.since.is_none_or(|s| r.at >= s);
            }
            if !self.in_line {
                continue;
            }
            self.first = false;
            if starts && self.q.timestamps {
                out.extend_from_slice(timestamp(r.at).as_bytes());
                out.extend_from_slice(b" ");
            }
            out.extend_from_slice(&r.data);
        }
        let mut out = out.freeze();
        if let Some(left) = self.left.as_mut() {
            let n = (out.len() as u64).min(*left);
            out.truncate(n as usize);
            *left -= n;
        }
        out
    }
}

/// The sequence number of the first record of the last `n` lines.
fn tail_start(inc: &Incarnation, n: u64) -> u64 {
    if n == 0 {
        return inc.next_seq;
    }
    let mut lines = 0;
    for r in inc.records.iter().rev() {
        if r.starts_line {
            lines += 1;
            if lines == n {
                return r.seq;
            }
        }
    }
    inc.records.front().map(|r| r.seq).unwrap_or(inc.next_seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(log: &Arc<ContainerLog>, q: LogQuery) -> Vec<u8> {
        let mut r = Reader::new(log.clone(), q).expect("reader");
        let mut out = Vec::new();
        while let Some(b) = r.next().await {
            out.extend_from_slice(&b);
        }
        out
    }

    #[tokio::test]
    async fn tail_timestamps_and_limit_read_like_the_kubelet() {
        let log = Arc::new(ContainerLog::default());
        log.append(Bytes::from_static(b"one\ntwo\nthr"));
        log.append(Bytes::from_static(b"ee\nfour\n"));
        let all = read_all(&log, LogQuery::default()).await;
        assert_eq!(all, b"one\ntwo\nthree\nfour\n");
        let tail = read_all(
            &log,
            LogQuery {
                tail_lines: Some(2),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(tail, b"three\nfour\n");
        let stamped = read_all(
            &log,
            LogQuery {
                timestamps: true,
                tail_lines: Some(2),
                ..Default::default()
            },
        )
        .await;
        let text = String::from_utf8(stamped).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        // The timestamp is on the line's first piece only: "thr" + "ee" is one line.
        assert!(lines[0].ends_with("Z three"), "{text}");
        assert_eq!(lines[0].find(' '), Some(30), "nine fraction digits: {text}");
        let limited = read_all(
            &log,
            LogQuery {
                limit_bytes: Some(6),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(limited, b"one\ntw");
    }

    #[tokio::test]
    async fn a_larger_cap_keeps_a_long_log_of_short_lines_whole_read_in_large_batches() {
        let log = Arc::new(ContainerLog::with_cap(3 * LOG_CAP));
        let line = b"a short line of the log\n";
        let lines = 2 * LOG_CAP / line.len();
        for _ in 0..lines / 1000 {
            log.append(Bytes::from(line.repeat(1000)));
        }
        log.end();
        let mut r = Reader::new(log.clone(), LogQuery::default()).expect("reader");
        let (mut total, mut reads, mut largest) = (0, 0, 0);
        while let Some(b) = r.next().await {
            total += b.len();
            reads += 1;
            largest = largest.max(b.len());
        }
        // All of it (twice the default cap), and not a few lines a read.
        assert_eq!(total, lines / 1000 * 1000 * line.len());
        assert!(
            (BATCH_BYTES..BATCH_BYTES + RECORD_MAX).contains(&largest),
            "{largest}"
        );
        assert!(
            reads <= total / BATCH_BYTES + 1,
            "{reads} reads for {total} bytes"
        );
    }

    #[tokio::test]
    async fn previous_is_the_incarnation_before_the_restart_and_memory_is_capped() {
        let log = Arc::new(ContainerLog::default());
        assert!(Reader::new(
            log.clone(),
            LogQuery {
                previous: true,
                ..Default::default()
            }
        )
        .is_none());
        log.append(Bytes::from_static(b"first run\n"));
        log.end();
        log.restart();
        log.append(Bytes::from(vec![b'x'; 3 * LOG_CAP]));
        let prev = read_all(
            &log,
            LogQuery {
                previous: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(prev, b"first run\n");
        let cur = read_all(&log, LogQuery::default()).await;
        assert!(
            cur.len() <= LOG_CAP && cur.len() > LOG_CAP / 2,
            "{}",
            cur.len()
        );
    }

    #[tokio::test]
    async fn a_follow_ends_when_its_incarnation_ends() {
        let log = Arc::new(ContainerLog::default());
        let mut r = Reader::new(
            log.clone(),
            LogQuery {
                follow: true,
                ..Default::default()
            },
        )
        .expect("reader");
        log.append(Bytes::from_static(b"a\n"));
        assert_eq!(r.next().await.as_deref(), Some(&b"a\n"[..]));
        let l2 = log.clone();
        let t = tokio::spawn(async move {
            l2.append(Bytes::from_static(b"b\n"));
            l2.end();
            l2.restart();
        });
        let mut rest = Vec::new();
        while let Some(b) = r.next().await {
            rest.extend_from_slice(&b);
        }
        t.await.expect("join");
        assert_eq!(rest, b"b\n");
    }
}
