//! Session recordings in asciicast v2, the format `asciinema` plays
//! (<https://docs.asciinema.org/manual/asciicast/v2/>): a header line, then one JSON array per
//! event, `[seconds, "o", data]` for output, `[seconds, "r", "COLSxROWS"]` for a resize and
//! `[seconds, "i", data]` for input.
//!
//! - Written while the session runs, by a thread of its own beside the output pump: the session
//!   hands it events (cheap clones of the output's bytes) through a queue bounded in bytes, and
//!   the thread encodes and writes them. The file is written at least every [`FLUSH_EVERY`] and
//!   whenever [`BUFFER`] bytes are waiting, so a crash of the process loses at most that.
//! - Cheap beside a flood: the thread is woken for a first event or a [`BUFFER`]'s worth, not per
//!   chunk; JSON escaping copies runs of plain bytes whole (eight bytes checked at a time); output
//!   chunks within [`COALESCE`] of each other become one event; one write per [`BUFFER`].
//! - Handing an event over never blocks ([`Recorder::output`], for async callers): a recording
//!   that falls [`QUEUE_LIMIT`] behind ends with one notice. A thread of its own may use
//!   [`Recorder::output_paced`] instead, which waits for the disk (up to [`QUEUE_PATIENCE`]) so
//!   a flood is recorded whole.
//! - Input is recorded only when asked ([`RecordingSpec::input`], off by default): what a user
//!   types includes passwords.
//! - asciicast's data is a JSON string: an incomplete UTF-8 sequence at the end of a chunk waits
//!   for the next chunk of the same stream; invalid bytes become U+FFFD, as asciinema's own
//!   recorder decodes them.
//! - The file is created mode 0600 and an existing file is never replaced unless asked
//!   ([`RecordingSpec::overwrite`]).
//! - A write that fails (a full disk, an I/O error) or a disk that cannot keep up ends the
//!   recording, never the session: the error is handed to the notice callback once and returned
//!   by [`Recorder::finish`]; later events are dropped.

use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The longest an event waits in memory before it is written to the file.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Bytes encoded before the file is written regardless of [`FLUSH_EVERY`] (and bytes queued
/// before the writer thread is woken for them): one write per this much of a flood.
pub const BUFFER: usize = 256 * 1024;
/// Bytes of events queued for the writer thread. Past it, [`Recorder::output`] ends the
/// recording (the disk does not keep up) and [`Recorder::output_paced`] waits for room.
pub const QUEUE_LIMIT: usize = 8 * 1024 * 1024;
/// Paced output ([`Recorder::output_paced`]) waits once the queue holds this much less than
/// [`QUEUE_LIMIT`]: the room left is for the events that never wait (a resize, a keystroke, a
/// chunk from another stream), so they never find the queue full while a flood is paced.
pub const PACED_HEADROOM: usize = 1024 * 1024;
/// How long [`Recorder::output_paced`] waits for a full queue before the recording gives up:
/// the recording ends, the session goes on.
pub const QUEUE_PATIENCE: Duration = Duration::from_secs(5);
/// Output events this close to the first of a run of them are written as one `"o"` event with
/// that first one's time: fewer, larger events for a flood, times still true to a few ms.
pub const COALESCE: Duration = Duration::from_millis(5);

/// Why a recording could not start, or stopped before the session ended.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file is there already and replacing it was not asked for.
    #[error("the recording file {} already exists", .path.display())]
    Exists {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file could not be created (no such directory, permission denied ...).
    #[error("could not create the recording file {}: {source}", .path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The disk holding the file is full.
    #[error("the disk holding {} is full: the recording stopped there (the session goes on); free some space and record again", .path.display())]
    DiskFull {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing failed for another reason.
    #[error("writing the recording {} failed: {source}; the recording stopped there (the session goes on)", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The recording fell [`QUEUE_LIMIT`] bytes behind the session (and, for
    /// [`Recorder::output_paced`], no room came within [`QUEUE_PATIENCE`]).
    #[error("the disk holding {} did not keep up with the session's output (more than {} MiB waited to be written): the recording stopped there (the session goes on)", .path.display(), QUEUE_LIMIT >> 20)]
    TooSlow { path: PathBuf },
    /// Reading a recording back failed.
    #[error("could not read the recording {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line of the file is not asciicast v2 (or is longer than [`MAX_LINE`]). `line` is 0 when
    /// not known (a page read from an offset).
    #[error("{} is not an asciicast v2 recording (line {line}: {why})", .path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        why: String,
    },
}

/// The longest line read back: a larger event is refused rather than held.
pub const MAX_LINE: usize = 64 * 1024 * 1024;

/// A recording as a list shows it: its header, size and length.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingInfo {
    pub header: Header,
    pub bytes: u64,
    /// The last event's time.
    pub duration: Duration,
    pub events: usize,
}

/// One event read back: seconds from the start, `o`/`i`/`r` (others as written), its data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Played {
    pub time: f64,
    pub code: String,
    pub data: String,
}

/// Events read from `offset`; `next` is where the following page starts (`None`: the end).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page {
    pub events: Vec<Played>,
    pub next: Option<u64>,
}

#[derive(serde::Deserialize)]
struct HeaderLine {
    version: u32,
    width: u16,
    height: u16,
    #[serde(default)]
    timestamp: i64,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    title: Option<String>,
}

fn read_error(path: &Path, source: std::io::Error) -> RecordingError {
    RecordingError::Read {
        path: path.to_path_buf(),
        source,
    }
}

fn malformed(path: &Path, line: usize, why: impl Into<String>) -> RecordingError {
    RecordingError::Malformed {
        path: path.to_path_buf(),
        line,
        why: why.into(),
    }
}

/// The next line (without its newline), at most [`MAX_LINE`]; `None` at the end.
fn next_line(
    r: &mut impl std::io::BufRead,
    path: &Path,
    n: usize,
) -> Result<Option<(Vec<u8>, u64)>, RecordingError> {
    use std::io::{BufRead as _, Read as _};
    let mut buf = Vec::new();
    let got = r
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|e| read_error(path, e))?;
    if got == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE {
        return Err(malformed(path, n, format!("longer than {MAX_LINE} bytes")));
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    Ok(Some((buf, got as u64)))
}

fn parse_event(line: &[u8], path: &Path, n: usize) -> Result<Played, RecordingError> {
    let (time, code, data): (f64, String, String) =
        serde_json::from_slice(line).map_err(|e| malformed(path, n, e.to_string()))?;
    if !time.is_finite() || time < 0.0 {
        return Err(malformed(path, n, "a negative or infinite time"));
    }
    Ok(Played { time, code, data })
}

/// Reads the header line; the reader is left at the first event.
fn read_header(
    r: &mut impl std::io::BufRead,
    path: &Path,
) -> Result<(Header, u64), RecordingError> {
    let (line, len) = next_line(r, path, 1)?.ok_or_else(|| malformed(path, 1, "empty file"))?;
    let h: HeaderLine =
        serde_json::from_slice(&line).map_err(|e| malformed(path, 1, e.to_string()))?;
    if h.version != 2 {
        return Err(malformed(path, 1, format!("version {}, not 2", h.version)));
    }
    Ok((
        Header {
            width: h.width,
            height: h.height,
            timestamp: h.timestamp,
            env: h.env,
            title: h.title,
        },
        len,
    ))
}

fn open_reader(path: &Path) -> Result<std::io::BufReader<File>, RecordingError> {
    File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| read_error(path, e))
}

/// A recording's header, size, length and event count (the whole file is read, one line at a
/// time).
pub fn info(path: &Path) -> Result<RecordingInfo, RecordingError> {
    let mut r = open_reader(path)?;
    let (header, mut bytes) = read_header(&mut r, path)?;
    let (mut events, mut duration) = (0usize, 0.0f64);
    let mut n = 1;
    while let Some((line, len)) = next_line(&mut r, path, n + 1)? {
        n += 1;
        bytes += len;
        if line.is_empty() {
            continue;
        }
        let e = parse_event(&line, path, n)?;
        events += 1;
        duration = duration.max(e.time);
    }
    Ok(RecordingInfo {
        header,
        bytes,
        duration: Duration::from_secs_f64(duration),
        events,
    })
}

/// Events from byte `offset` (0: the first event), at most `max_events` and about `max_bytes`
/// of data (at least one event), for a player that pages through a file of any size.
pub fn read_page(
    path: &Path,
    offset: u64,
    max_events: usize,
    max_bytes: usize,
) -> Result<Page, RecordingError> {
    use std::io::{Seek as _, SeekFrom};
    let mut r = open_reader(path)?;
    let (_, header_len) = read_header(&mut r, path)?;
    let start = offset.max(header_len);
    r.seek(SeekFrom::Start(start))
        .map_err(|e| read_error(path, e))?;
    let mut at = start;
    let mut events = Vec::new();
    let mut size = 0usize;
    while events.len() < max_events.max(1) && (events.is_empty() || size < max_bytes) {
        let Some((line, len)) = next_line(&mut r, path, 0)? else {
            return Ok(Page { events, next: None });
        };
        at += len;
        if line.is_empty() {
            continue;
        }
        let e = parse_event(&line, path, 0)?;
        size += e.data.len();
        events.push(e);
    }
    Ok(Page {
        events,
        next: Some(at),
    })
}

/// The header's fields (asciicast v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub width: u16,
    pub height: u16,
    /// Unix seconds when the recording started.
    pub timestamp: i64,
    /// `TERM`, `SHELL` when known.
    pub env: BTreeMap<String, String>,
    pub title: Option<String>,
}

impl Header {
    /// A header for a `width`×`height` terminal starting now, with no env and no title.
    pub fn now(width: u16, height: u16) -> Header {
        Header {
            width: width.max(1),
            height: height.max(1),
            timestamp: jiff::Timestamp::now().as_second(),
            env: BTreeMap::new(),
            title: None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        let mut h = serde_json::json!({
            "version": 2,
            "width": self.width,
            "height": self.height,
            "timestamp": self.timestamp,
        });
        if !self.env.is_empty() {
            h["env"] = serde_json::json!(self.env);
        }
        if let Some(t) = &self.title {
            h["title"] = serde_json::json!(t);
        }
        h
    }
}

/// What to record, and where.
#[derive(Debug, Clone)]
pub struct RecordingSpec {
    pub path: PathBuf,
    /// Replace an existing file (else an existing file is an error).
    pub overwrite: bool,
    /// Record what is typed too (`"i"` events). Off by default: input holds passwords.
    pub input: bool,
    pub header: Header,
}

/// What a finished recording holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Bytes written to the file.
    pub bytes: u64,
    /// The last event's time.
    pub duration: Duration,
}

#[derive(Debug)]
enum Kind {
    Output(Bytes),
    Input(Bytes),
    Resize(u16, u16),
}

#[derive(Debug)]
struct Event {
    at: Instant,
    kind: Kind,
}

impl Event {
    fn size(&self) -> usize {
        match &self.kind {
            Kind::Output(b) | Kind::Input(b) => b.len(),
            Kind::Resize(..) => 0,
        }
    }
}

#[derive(Default)]
struct Queue {
    events: VecDeque<Event>,
    bytes: usize,
    /// How the writer thread waits, so a push wakes it only when it must.
    writer: Waits,
    /// Callers of [`Recorder::output_paced`] waiting for room.
    pacers: usize,
    /// No more events: finish what is queued and stop.
    closed: bool,
    /// The writer stopped (an error, or finished): events are dropped.
    stopped: bool,
    /// The session waited [`QUEUE_PATIENCE`] for room and gave the recording up.
    gave_up: bool,
}

/// What the writer thread is doing, as a push needs to know it.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Waits {
    /// Encoding or writing: it looks at the queue again before it sleeps.
    #[default]
    Busy,
    /// Asleep until an event comes.
    ForAny,
    /// Asleep until its flush time or a [`BUFFER`]'s worth of events.
    ForBatch,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when an event is queued or the queue is closed.
    more: Condvar,
    /// Signalled when the writer took events or stopped.
    room: Condvar,
    input: bool,
    path: PathBuf,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

type Notice = Box<dyn FnOnce(&RecordingError) + Send>;

/// A recording in progress. Cheap to clone: every clone adds to the same file, in the order the
/// events are handed over.
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
    handle: Arc<Handle>,
}

type Joined = std::thread::JoinHandle<Result<Summary, RecordingError>>;

/// The writer thread, closed when the last clone of its [`Recorder`] goes (what is queued is
/// still written and flushed) if nobody called [`Recorder::finish`].
struct Handle {
    shared: Arc<Shared>,
    writer: Mutex<Option<Joined>>,
}

impl Shared {
    fn close(&self) {
        self.lock().closed = true;
        self.more.notify_all();
        self.room.notify_all();
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.shared.path)
            .field("input", &self.shared.input)
            .finish()
    }
}

/// Creates the file: mode 0600, new unless `overwrite`.
fn create_file(path: &Path, overwrite: bool) -> Result<File, RecordingError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if overwrite {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            RecordingError::Exists {
                path: path.to_path_buf(),
                source,
            }
        } else {
            RecordingError::Create {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    // A replaced regular file keeps its old mode: narrow it (never a device's, e.g. /dev/null).
    #[cfg(unix)]
    if overwrite {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = file.metadata() {
            if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(|source| RecordingError::Create {
                        path: path.to_path_buf(),
                        source,
                    })?;
            }
        }
    }
    Ok(file)
}

fn write_error(path: &Path, source: std::io::Error) -> RecordingError {
    if source.kind() == std::io::ErrorKind::StorageFull {
        RecordingError::DiskFull {
            path: path.to_path_buf(),
            source,
        }
    } else {
        RecordingError::Write {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl Recorder {
    /// Creates the file and starts writing to it. `notice` is called once, from the writer
    /// thread, if the recording stops before [`Recorder::finish`] (disk full, write error, a
    /// disk that does not keep up).
    pub fn start(
        spec: RecordingSpec,
        notice: impl FnOnce(&RecordingError) + Send + 'static,
    ) -> Result<Recorder, RecordingError> {
        let file = create_file(&spec.path, spec.overwrite)?;
        Self::with_writer(spec, file, Box::new(notice))
    }

    fn with_writer<W: Write + Send + 'static>(
        spec: RecordingSpec,
        sink: W,
        notice: Notice,
    ) -> Result<Recorder, RecordingError> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            more: Condvar::new(),
            room: Condvar::new(),
            input: spec.input,
            path: spec.path.clone(),
        });
        let writer = Writer::new(sink, Instant::now(), spec.path.clone());
        let header = spec.header.to_json().to_string();
        let thread_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("podterm-recording".into())
            .spawn(move || writer.run(&header, &thread_shared, notice))
            .map_err(|source| RecordingError::Create {
                path: spec.path.clone(),
                source,
            })?;
        Ok(Recorder {
            handle: Arc::new(Handle {
                shared: shared.clone(),
                writer: Mutex::new(Some(handle)),
            }),
            shared,
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Whether input is recorded.
    pub fn records_input(&self) -> bool {
        self.shared.input
    }

    /// Output the terminal received.
    pub fn output(&self, data: &Bytes) {
        if !data.is_empty() {
            self.push(Kind::Output(data.clone()));
        }
    }

    /// What was typed; dropped unless input recording was asked for.
    pub fn input(&self, data: &Bytes) {
        if self.shared.input && !data.is_empty() {
            self.push(Kind::Input(data.clone()));
        }
    }

    /// The terminal's new size.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.push(Kind::Resize(cols, rows));
    }

    /// [`Recorder::output`] from a thread of its own that can afford to wait (never an async
    /// task): when the recording is [`QUEUE_LIMIT`] behind, waits for the disk (up to
    /// [`QUEUE_PATIENCE`]) instead of ending the recording, so a flood is recorded whole and the
    /// session runs at the disk's pace meanwhile.
    pub fn output_paced(&self, data: &Bytes) {
        if !data.is_empty() {
            self.push_with(Kind::Output(data.clone()), true);
        }
    }

    /// Whether the recording is still being written (false once it stopped, gave up or
    /// finished).
    pub fn is_recording(&self) -> bool {
        let q = self.shared.lock();
        !q.stopped && !q.gave_up
    }

    fn push(&self, kind: Kind) {
        self.push_with(kind, false)
    }

    /// Queues an event. Bounded in bytes (one event always fits): past [`QUEUE_LIMIT`] the
    /// recording, not the session, gives up, at once or, when `pace`, after waiting
    /// [`QUEUE_PATIENCE`] for room.
    fn push_with(&self, kind: Kind, pace: bool) {
        let event = Event {
            at: Instant::now(),
            kind,
        };
        let size = event.size();
        let over = |q: &Queue, limit: usize| q.bytes > 0 && q.bytes + size > limit;
        let full = |q: &Queue| over(q, QUEUE_LIMIT);
        let paced_full = |q: &Queue| over(q, QUEUE_LIMIT - PACED_HEADROOM);
        let mut q = self.shared.lock();
        if pace && paced_full(&q) {
            let deadline = Instant::now() + QUEUE_PATIENCE;
            q.pacers += 1;
            while !q.stopped && !q.closed && !q.gave_up && paced_full(&q) {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                q = self
                    .shared
                    .room
                    .wait_timeout(q, deadline - now)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
            q.pacers -= 1;
        }
        if q.stopped || q.closed || q.gave_up {
            return;
        }
        if full(&q) {
            // Behind by more than the queue holds: the recording ends (the writer says so).
            q.gave_up = true;
            q.events.clear();
            q.bytes = 0;
            drop(q);
            self.shared.more.notify_all();
            return;
        }
        let was_empty = q.events.is_empty();
        q.bytes += size;
        q.events.push_back(event);
        // Wake the writer only when it waits for this: a first event, or a batch's worth.
        let wake = match q.writer {
            Waits::Busy => false,
            Waits::ForAny => was_empty,
            Waits::ForBatch => q.bytes >= BUFFER && q.bytes - size < BUFFER,
        };
        drop(q);
        if wake {
            self.shared.more.notify_one();
        }
    }

    /// Ends the recording: writes what is queued (and an incomplete UTF-8 tail as U+FFFD),
    /// flushes, and says how big and long it is, or why it stopped early. Events handed over
    /// afterwards (by other clones) are dropped. A second call says it already finished.
    pub fn finish(&self) -> Result<Summary, RecordingError> {
        self.shared.close();
        let handle = self
            .handle
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        match handle {
            Some(h) => h.join().unwrap_or_else(|_| {
                Err(RecordingError::Write {
                    path: self.shared.path.clone(),
                    source: std::io::Error::other("the recording's writer thread panicked"),
                })
            }),
            None => Err(RecordingError::Write {
                path: self.shared.path.clone(),
                source: std::io::Error::other("the recording was already finished"),
            }),
        }
    }
}

struct Writer<W: Write> {
    sink: W,
    /// Encoded events not yet written to `sink`, whole lines except an open output event.
    buf: Vec<u8>,
    /// Bytes written to `sink`.
    written: u64,
    /// When the oldest event in `buf` was handed over: it is written by then + [`FLUSH_EVERY`].
    buffered_since: Option<Instant>,
    /// The output event `buf` ends with, still open for more output: its time.
    open: Option<Duration>,
    started: Instant,
    /// The last event's time: events are written in queue order with times that never go back.
    last: Duration,
    /// An incomplete UTF-8 sequence at the end of the last output / input chunk.
    out_tail: Vec<u8>,
    in_tail: Vec<u8>,
    path: PathBuf,
}

impl<W: Write> Writer<W> {
    fn new(sink: W, started: Instant, path: PathBuf) -> Self {
        Writer {
            sink,
            buf: Vec::with_capacity(2 * BUFFER),
            written: 0,
            buffered_since: None,
            open: None,
            started,
            last: Duration::ZERO,
            out_tail: Vec::new(),
            in_tail: Vec::new(),
            path,
        }
    }

    fn run(
        mut self,
        header: &str,
        shared: &Shared,
        notice: Notice,
    ) -> Result<Summary, RecordingError> {
        let result = self.write_all(header, shared);
        let mut q = shared.lock();
        let was_closed = q.closed;
        q.stopped = true;
        q.writer = Waits::Busy;
        q.events.clear();
        q.bytes = 0;
        drop(q);
        shared.room.notify_all();
        match result {
            Ok(()) => Ok(Summary {
                bytes: self.written,
                duration: self.last,
            }),
            Err(e) => {
                if !was_closed {
                    notice(&e);
                }
                Err(e)
            }
        }
    }

    fn write_all(&mut self, header: &str, shared: &Shared) -> Result<(), RecordingError> {
        self.buf.extend_from_slice(header.as_bytes());
        self.buf.push(b'\n');
        self.write_out()?;
        let mut batch: Vec<Event> = Vec::new();
        loop {
            let mut q = shared.lock();
            // Sleep until a batch's worth is queued, the oldest event's flush time, or the end.
            loop {
                if q.closed || q.gave_up || q.bytes >= BUFFER {
                    break;
                }
                let oldest = match (self.buffered_since, q.events.front()) {
                    (Some(a), Some(e)) => Some(a.min(e.at)),
                    (a, e) => a.or(e.map(|e| e.at)),
                };
                match oldest.map(|t| t + FLUSH_EVERY) {
                    None => {
                        q.writer = Waits::ForAny;
                        q = shared.more.wait(q).unwrap_or_else(|p| p.into_inner());
                    }
                    Some(at) => {
                        let now = Instant::now();
                        if now >= at {
                            break;
                        }
                        q.writer = Waits::ForBatch;
                        q = shared
                            .more
                            .wait_timeout(q, at - now)
                            .map(|(g, _)| g)
                            .unwrap_or_else(|p| p.into_inner().0);
                    }
                }
                q.writer = Waits::Busy;
            }
            q.writer = Waits::Busy;
            if q.gave_up {
                // The session's output ran past the queue: the recording ends here.
                return Err(RecordingError::TooSlow {
                    path: self.path.clone(),
                });
            }
            batch.extend(q.events.drain(..));
            q.bytes = 0;
            let closing = q.closed;
            let pacers = q.pacers > 0;
            drop(q);
            if pacers {
                shared.room.notify_all();
            }
            for event in batch.drain(..) {
                self.buffered_since.get_or_insert(event.at);
                self.event(&event);
                if self.buf.len() >= BUFFER {
                    self.write_out()?;
                }
            }
            if closing {
                self.close_tails();
                return self.write_out();
            }
            if self
                .buffered_since
                .is_some_and(|t| Instant::now() >= t + FLUSH_EVERY)
            {
                self.write_out()?;
            }
        }
    }

    /// Ends the open event and writes everything encoded to the file.
    fn write_out(&mut self) -> Result<(), RecordingError> {
        self.close_open();
        self.buffered_since = None;
        if self.buf.is_empty() {
            return Ok(());
        }
        let r = self
            .sink
            .write_all(&self.buf)
            .and_then(|_| self.sink.flush());
        match r {
            Ok(()) => {
                self.written += self.buf.len() as u64;
                self.buf.clear();
                Ok(())
            }
            Err(e) => Err(write_error(&self.path, e)),
        }
    }

    fn close_open(&mut self) {
        if self.open.take().is_some() {
            self.buf.extend_from_slice(b"\"]\n");
        }
    }

    fn time(&mut self, at: Instant) -> Duration {
        let t = at.saturating_duration_since(self.started).max(self.last);
        self.last = t;
        t
    }

    fn event(&mut self, e: &Event) {
        let t = self.time(e.at);
        match &e.kind {
            Kind::Output(b) => {
                let text = decode(&mut self.out_tail, b);
                if text.is_empty() {
                    return;
                }
                match self.open {
                    // Within COALESCE of the open event's time: more of the same event.
                    Some(since) if t.saturating_sub(since) <= COALESCE => {}
                    _ => {
                        self.close_open();
                        self.begin(t, "o");
                        self.open = Some(t);
                    }
                }
                escape_into(&mut self.buf, &text);
            }
            Kind::Input(b) => {
                let text = decode(&mut self.in_tail, b);
                self.line(t, "i", &text);
            }
            Kind::Resize(c, r) => self.line(t, "r", &format!("{c}x{r}")),
        }
    }

    /// An incomplete sequence left at the end: U+FFFD, as a decoder's final call makes it.
    fn close_tails(&mut self) {
        let t = self.last;
        if !self.out_tail.is_empty() {
            self.out_tail.clear();
            self.line(t, "o", "\u{FFFD}");
        }
        if !self.in_tail.is_empty() {
            self.in_tail.clear();
            self.line(t, "i", "\u{FFFD}");
        }
    }

    /// `[TIME, "CODE", "` (the event's data follows).
    fn begin(&mut self, t: Duration, code: &str) {
        // Writing into a Vec cannot fail.
        let _ = write!(
            self.buf,
            "[{}.{:06}, \"{code}\", \"",
            t.as_secs(),
            t.subsec_micros()
        );
    }

    /// One whole event.
    fn line(&mut self, t: Duration, code: &str, text: &str) {
        if text.is_empty() {
            return;
        }
        self.close_open();
        self.begin(t, code);
        escape_into(&mut self.buf, text);
        self.buf.extend_from_slice(b"\"]\n");
    }
}

/// Appends `text` as the inside of a JSON string, escaped as serde_json escapes it (`"`, `\\`
/// and the control characters below U+0020; everything else as it is). Runs of bytes that need
/// no escape are copied whole, found eight bytes at a time.
fn escape_into(out: &mut Vec<u8>, text: &str) {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte of `w` below 0x20, equal to '"' or to '\\'. A byte above a
    // flagged one may be flagged wrongly (a borrow), never one below it: the lowest flag is the
    // first byte to escape.
    let flags = |w: u64| {
        let below = |n: u8| w.wrapping_sub(ONES * n as u64) & !w;
        let zero = |v: u64| v.wrapping_sub(ONES) & !v;
        (below(0x20) | zero(w ^ (ONES * b'"' as u64)) | zero(w ^ (ONES * b'\\' as u64))) & HIGH
    };
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            let f = flags(u64::from_le_bytes(w));
            if f == 0 {
                i += 8;
                continue;
            }
            i += (f.trailing_zeros() / 8) as usize;
        } else {
            let b = bytes[i];
            if b >= 0x20 && b != b'"' && b != b'\\' {
                i += 1;
                continue;
            }
        }
        let b = bytes[i];
        out.extend_from_slice(&bytes[run..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
        }
        i += 1;
        run = i;
    }
    out.extend_from_slice(&bytes[run..]);
}

/// `tail` + `chunk` as text: complete sequences decoded, invalid bytes as U+FFFD (each maximal
/// invalid subpart, as Python's and Rust's lossy decoders do), an incomplete sequence at the end
/// kept in `tail` for the next chunk.
fn decode<'a>(tail: &mut Vec<u8>, chunk: &'a [u8]) -> std::borrow::Cow<'a, str> {
    // The common case (a flood of text): the chunk as it is, not copied.
    if tail.is_empty() {
        if let Ok(s) = std::str::from_utf8(chunk) {
            return std::borrow::Cow::Borrowed(s);
        }
    }
    std::borrow::Cow::Owned(decode_owned(tail, chunk))
}

fn decode_owned(tail: &mut Vec<u8>, chunk: &[u8]) -> String {
    let joined;
    let mut rest: &[u8] = if tail.is_empty() {
        chunk
    } else {
        let mut j = std::mem::take(tail);
        j.extend_from_slice(chunk);
        joined = j;
        &joined
    };
    let mut text = String::with_capacity(rest.len());
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                text.push_str(s);
                return text;
            }
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                // Checked by from_utf8 just now.
                text.push_str(std::str::from_utf8(good).unwrap_or_default());
                match e.error_len() {
                    Some(n) => {
                        text.push('\u{FFFD}');
                        rest = &after[n..];
                    }
                    None => {
                        tail.extend_from_slice(after);
                        return text;
                    }
                }
            }
        }
    }
}

/// A recording's header alone (a player needs the terminal's size before the first page).
pub fn read_header_of(path: &Path) -> Result<Header, RecordingError> {
    read_header(&mut open_reader(path)?, path).map(|(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &Path, input: bool) -> RecordingSpec {
        RecordingSpec {
            path: path.to_path_buf(),
            overwrite: false,
            input,
            header: Header {
                width: 80,
                height: 24,
                timestamp: 1_700_000_000,
                env: BTreeMap::from([("TERM".into(), "xterm-256color".into())]),
                title: Some("demo/shell".into()),
            },
        }
    }

    fn lines(path: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .expect("recording")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    fn b(s: &'static [u8]) -> Bytes {
        Bytes::from_static(s)
    }

    #[test]
    fn header_output_and_resize_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.cast");
        let rec = Recorder::start(spec(&path, false), |_| {}).expect("start");
        rec.output(&b(b"\x1b[31mred\x1b[0m\r\n"));
        rec.resize(100, 30);
        rec.output(&b(b"done"));
        let sum = rec.finish().expect("finish");
        let l = lines(&path);
        assert_eq!(
            l[0],
            serde_json::json!({"version": 2, "width": 80, "height": 24, "timestamp": 1_700_000_000,
                "env": {"TERM": "xterm-256color"}, "title": "demo/shell"})
        );
        assert_eq!(l[1][1], "o");
        assert_eq!(l[1][2], "\u{1b}[31mred\u{1b}[0m\r\n");
        assert_eq!(l[2][1], "r");
        assert_eq!(l[2][2], "100x30");
        assert_eq!(l[3][2], "done");
        assert_eq!(l.len(), 4);
        let times: Vec<f64> = l[1..].iter().map(|e| e[0].as_f64().expect("t")).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert_eq!(
            sum.bytes,
            std::fs::metadata(&path).expect("meta").len(),
            "the summary counts what is in the file"
        );
    }

    #[test]
    fn a_multibyte_character_split_across_chunks_is_kept_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.cast");
        let rec = Recorder::start(spec(&path, false), |_| {}).expect("start");
        // "é" is C3 A9, "€" E2 82 AC: split after the first byte and in the middle.
        rec.output(&b(b"caf\xc3"));
        rec.output(&b(b"\xa9 \xe2\x82"));
        rec.output(&b(b"\xac!"));
        // Invalid bytes become U+FFFD (one per maximal invalid subpart), as asciinema does.
        rec.output(&b(b"x\xffy\xe2\x82z"));
        // An incomplete sequence left at the end becomes U+FFFD.
        rec.output(&b(b"end\xf0\x9f"));
        rec.finish().expect("finish");
        let text: String = lines(&path)[1..]
            .iter()
            .map(|e| e[2].as_str().expect("data").to_owned())
            .collect();
        assert_eq!(text, "café €!x\u{FFFD}y\u{FFFD}zend\u{FFFD}");
        assert_eq!(
            text,
            String::from_utf8_lossy(b"caf\xc3\xa9 \xe2\x82\xac!x\xffy\xe2\x82zend\xf0\x9f")
        );
    }

    #[test]
    fn input_is_not_recorded_unless_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let off = dir.path().join("off.cast");
        let rec = Recorder::start(spec(&off, false), |_| {}).expect("start");
        assert!(!rec.records_input());
        rec.input(&b(b"hunter2\r"));
        rec.output(&b(b"$ "));
        rec.finish().expect("finish");
        let l = lines(&off);
        assert!(l[1..].iter().all(|e| e[1] == "o"), "{l:?}");
        assert!(!std::fs::read_to_string(&off)
            .expect("file")
            .contains("hunter2"));

        let on = dir.path().join("on.cast");
        let rec = Recorder::start(spec(&on, true), |_| {}).expect("start");
        rec.input(&b(b"ls\r"));
        rec.finish().expect("finish");
        let l = lines(&on);
        assert_eq!(l[1][1], "i");
        assert_eq!(l[1][2], "ls\r");
    }

    #[test]
    fn events_reach_the_file_while_the_session_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.cast");
        let rec = Recorder::start(spec(&path, false), |_| {}).expect("start");
        rec.output(&b(b"first"));
        // Not finished: the writer flushes within FLUSH_EVERY by itself.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&path).expect("file");
            if text.contains("first") {
                break;
            }
            assert!(Instant::now() < deadline, "never flushed: {text:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
        // A flood's bytes beyond the buffer are written without waiting for the timer either.
        let big = Bytes::from(vec![b'y'; 4 * BUFFER]);
        rec.output(&big);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&path).expect("meta").len() < 4 * BUFFER as u64 {
            assert!(Instant::now() < deadline, "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
        rec.finish().expect("finish");
    }

    #[test]
    fn an_existing_file_is_kept_unless_overwrite_is_asked_and_files_are_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.cast");
        std::fs::write(&path, "keep me").expect("write");
        let err = Recorder::start(spec(&path, false), |_| {}).expect_err("exists");
        assert!(matches!(err, RecordingError::Exists { .. }), "{err:?}");
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("file"), "keep me");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        let rec = Recorder::start(
            RecordingSpec {
                overwrite: true,
                ..spec(&path, false)
            },
            |_| {},
        )
        .expect("overwrite");
        rec.finish().expect("finish");
        assert_eq!(lines(&path).len(), 1, "replaced by a header alone");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let new = dir.path().join("new.cast");
            Recorder::start(spec(&new, false), |_| {})
                .expect("start")
                .finish()
                .expect("finish");
            let mode = std::fs::metadata(&new).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let missing = dir.path().join("no/such/dir/a.cast");
        let err = Recorder::start(spec(&missing, false), |_| {}).expect_err("no dir");
        assert!(matches!(err, RecordingError::Create { .. }), "{err:?}");
    }

    /// Takes `room` bytes, then says the disk is full.
    struct Filling {
        room: usize,
    }

    impl Write for Filling {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_ends_the_recording_with_a_notice_and_nothing_else() {
        let (tx, rx) = std::sync::mpsc::channel();
        let rec = Recorder::with_writer(
            spec(Path::new("/rec/a.cast"), false),
            Filling { room: 1000 },
            Box::new(move |e: &RecordingError| {
                let _ = tx.send(matches!(e, RecordingError::DiskFull { .. }));
            }),
        )
        .expect("start");
        let chunk = Bytes::from(vec![b'x'; 4 * BUFFER]);
        rec.output(&chunk);
        let full = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a notice when the disk filled up");
        assert!(full, "the notice says the disk is full");
        // The recording stopped; handing it more never blocks or fails the caller.
        let deadline = Instant::now() + Duration::from_secs(30);
        while rec.is_recording() {
            assert!(Instant::now() < deadline, "still recording");
            std::thread::yield_now();
        }
        for _ in 0..100 {
            rec.output(&chunk);
        }
        let err = rec.finish().expect_err("stopped early");
        assert!(matches!(err, RecordingError::DiskFull { .. }), "{err:?}");
        assert!(err.to_string().contains("the session goes on"), "{err}");
        assert!(rx.try_recv().is_err(), "one notice");
    }

    #[test]
    fn a_recording_reads_back_in_pages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.cast");
        // Ten output events far enough apart not to be one, then a resize.
        let t0 = Instant::now();
        let file = create_file(&path, false).expect("file");
        let mut w = Writer::new(file, t0, path.clone());
        w.buf
            .extend_from_slice(spec(&path, false).header.to_json().to_string().as_bytes());
        w.buf.push(b'\n');
        for i in 0..10u64 {
            let at = t0 + COALESCE * 2 * (i as u32 + 1);
            let kind = Kind::Output(Bytes::from(format!("line {i}\r\n")));
            w.event(&Event { at, kind });
        }
        w.event(&Event {
            at: t0 + COALESCE * 30,
            kind: Kind::Resize(120, 40),
        });
        w.write_out().expect("written");
        let got = info(&path).expect("info");
        assert_eq!(got.header, spec(&path, false).header);
        assert_eq!(got.events, 11);
        assert_eq!(got.bytes, std::fs::metadata(&path).expect("meta").len());
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let page = read_page(&path, offset, 4, 1 << 20).expect("page");
            assert!(page.events.len() <= 4);
            all.extend(page.events);
            match page.next {
                Some(n) => offset = n,
                None => break,
            }
        }
        assert_eq!(all.len(), 11);
        assert_eq!(all[3].data, "line 3\r\n");
        assert_eq!(
            (all[10].code.as_str(), all[10].data.as_str()),
            ("r", "120x40")
        );
        // A small byte budget still gives one event per page.
        let page = read_page(&path, 0, 100, 1).expect("page");
        assert_eq!(page.events.len(), 1);
        // Not a recording: said, with the line.
        let bad = dir.path().join("bad.cast");
        std::fs::write(&bad, "{\"version\": 1, \"width\": 80, \"height\": 24}\n").expect("write");
        let err = info(&bad).expect_err("version 1");
        assert!(
            matches!(err, RecordingError::Malformed { line: 1, .. }),
            "{err:?}"
        );
        std::fs::write(
            &bad,
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\"]\n",
        )
        .expect("write");
        assert!(matches!(
            info(&bad),
            Err(RecordingError::Malformed { line: 2, .. })
        ));
    }

    #[test]
    fn escaping_matches_serde_json() {
        let mut samples: Vec<String> = vec![
            String::new(),
            "plain text, no escapes at all, longer than a word".into(),
            "0123456789abcdefghijklmnopqrstuvwxyz\n".repeat(7),
            "\u{1b}[31mred\u{1b}[0m\r\n\t\"quoted\" back\\slash\u{7f}\u{8}\u{c}".into(),
            "café € 🎉 ünïcödé\u{0}\u{1f}".into(),
            (0u8..=0x7f).map(char::from).collect(),
        ];
        // Every escape at every offset of a word, and runs ending at every length.
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}', ' ', '~', 'é'] {
            for at in 0..17 {
                let mut t = "x".repeat(at);
                t.push(special);
                t.push_str(&"y".repeat(17 - at));
                samples.push(t);
            }
        }
        for text in samples {
            let mut got = vec![b'"'];
            escape_into(&mut got, &text);
            got.push(b'"');
            let want = serde_json::to_string(&text).expect("json");
            assert_eq!(String::from_utf8(got).expect("utf-8"), want, "{text:?}");
        }
    }

    #[test]
    fn output_close_in_time_is_one_event_and_other_events_split_it() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut w = Writer::new(Vec::new(), t0, PathBuf::from("a.cast"));
        let events = [
            (0, Kind::Output(b(b"one "))),
            (1, Kind::Output(b(b"two\r\n"))),
            (5, Kind::Output(b(b"three "))),
            (20, Kind::Output(b(b"four"))),
            (21, Kind::Resize(90, 30)),
            (22, Kind::Output(b(b"five"))),
        ];
        for (at, kind) in events {
            w.event(&Event { at: ms(at), kind });
        }
        w.write_out().expect("written");
        let text = String::from_utf8(w.sink).expect("utf-8");
        let l: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(
            l,
            vec![
                serde_json::json!([0.0, "o", "one two\r\nthree "]),
                serde_json::json!([0.02, "o", "four"]),
                serde_json::json!([0.021, "r", "90x30"]),
                serde_json::json!([0.022, "o", "five"]),
            ],
            "{text}"
        );
    }

    /// A disk that takes nothing until it is opened.
    #[derive(Clone, Default)]
    struct Gate(Arc<(Mutex<bool>, Condvar)>);

    impl Gate {
        fn open(&self) {
            *self.0 .0.lock().expect("gate") = true;
            self.0 .1.notify_all();
        }
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut open = self.0 .0.lock().expect("gate");
            while !*open {
                open = self.0 .1.wait(open).expect("gate");
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn handing_output_over_never_waits_for_a_stalled_disk() {
        let gate = Gate::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let rec = Recorder::with_writer(
            spec(Path::new("/rec/a.cast"), false),
            gate.clone(),
            Box::new(move |e: &RecordingError| {
                let _ = tx.send(matches!(e, RecordingError::TooSlow { .. }));
            }),
        )
        .expect("start");
        // Three times what the queue holds while the disk takes nothing: the caller (an async
        // task, say) goes on, and the recording has ended before the disk moved at all.
        let chunk = Bytes::from(vec![b'x'; 1 << 20]);
        for _ in 0..3 * (QUEUE_LIMIT >> 20) {
            rec.output(&chunk);
        }
        assert!(!rec.is_recording(), "the recording fell behind and ended");
        gate.open();
        let slow = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a notice when the recording fell behind");
        assert!(slow, "the notice says the disk did not keep up");
        let err = rec.finish().expect_err("stopped early");
        assert!(matches!(err, RecordingError::TooSlow { .. }), "{err:?}");
        assert!(err.to_string().contains("the session goes on"), "{err}");
        assert!(rx.try_recv().is_err(), "one notice");
    }

    #[test]
    fn paced_output_waits_for_the_disk_and_records_everything() {
        let gate = Gate::default();
        let rec = Recorder::with_writer(
            spec(Path::new("/rec/a.cast"), false),
            gate.clone(),
            Box::new(|_: &RecordingError| {}),
        )
        .expect("start");
        let chunks = 3 * (QUEUE_LIMIT >> 20);
        let pusher = {
            let rec = rec.clone();
            std::thread::spawn(move || {
                let chunk = Bytes::from(vec![b'x'; 1 << 20]);
                for _ in 0..chunks {
                    rec.output_paced(&chunk);
                }
            })
        };
        // The pusher waits for room while the disk is stalled ...
        let deadline = Instant::now() + Duration::from_secs(30);
        while rec.shared.lock().pacers == 0 {
            assert!(
                Instant::now() < deadline,
                "the pusher never waited for room"
            );
            std::thread::yield_now();
        }
        assert!(rec.is_recording(), "waiting is not giving up");
        // A resize and a keystroke's echo from elsewhere meanwhile find room (the paced
        // flood leaves PACED_HEADROOM for them): the recording goes on.
        rec.resize(120, 40);
        rec.output(&Bytes::from_static(b"echo"));
        assert!(
            rec.is_recording(),
            "an event that never waits ended the paced recording"
        );
        // ... and goes on when it moves; nothing is lost.
        gate.open();
        pusher.join().expect("pusher");
        let sum = rec.finish().expect("finished whole");
        assert!(
            sum.bytes >= (chunks << 20) as u64,
            "{} bytes written for {chunks} MiB",
            sum.bytes
        );
    }

    #[test]
    fn a_dev_full_file_fails_with_disk_full() {
        let path = Path::new("/dev/full");
        assert!(
            path.exists(),
            "/dev/full is missing: this test needs Linux's full device"
        );
        let (tx, rx) = std::sync::mpsc::channel();
        let rec = Recorder::start(
            RecordingSpec {
                overwrite: true,
                ..spec(path, false)
            },
            move |e| {
                let _ = tx.send(e.to_string());
            },
        )
        .expect("opened");
        let words = rx.recv_timeout(Duration::from_secs(30)).expect("a notice");
        assert!(words.contains("/dev/full is full"), "{words}");
        rec.output(&b(b"lost"));
        assert!(matches!(rec.finish(), Err(RecordingError::DiskFull { .. })));
    }
}
