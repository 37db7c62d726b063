//! Output for a UI terminal: chunks coalesced (flush at `max_delay` or `max_batch` bytes) and
//! acknowledgement-based flow control with high and low watermarks (VS Code's scheme).
//!
//! The UI acknowledges bytes once its terminal has rendered them. While more than `high` bytes
//! are unacknowledged the pump stops taking output from the session; the session's read-ahead
//! then fills and its read loop pauses, and TCP carries the pause back to the process. Memory is
//! bounded by the read-ahead plus `high` plus one batch, however fast the process writes.

use crate::exec::Chunk;
use crate::tail::{self, Tail};
use bytes::{Bytes, BytesMut};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// Unacknowledged bytes at which output pauses, at most. VS Code uses 100 KB for a local PTY;
/// measured in the real window (make bench), 100 KB held a tab at ~8 MB/s behind each
/// write-to-ack round trip through the webview. A terminal's window is sized from its tab's
/// drain rate ([`DRAIN_WINDOW`]) between [`MIN_WINDOW`] and this; other streams (logs) use it
/// as a fixed window.
pub const HIGH_WATER: usize = 1024 * 1024;
/// Output resumes below this (a fixed window's low watermark; an adaptive one resumes below
/// half its window).
pub const LOW_WATER: usize = 256 * 1024;
/// Largest batch in one IPC message (fewer, larger messages cost less per byte). An adaptive
/// window's batches are at most a quarter of the window, so several are in flight at once and
/// a slow tab's page never parses one message for longer than a few frames.
pub const MAX_BATCH: usize = 256 * 1024;
/// A terminal keeps in flight what its tab drew in this long: a keystroke's echo waits behind
/// at most about this much of our own queued output (make bench: keystroke echo during a
/// flood). It must be longer than the write-to-ack round trip through the webview (~10 ms on
/// an idle machine, 25-60 ms measured on two cores shared with four builds), so that a window
/// limited by it (not by the tab) measures a rate that makes it grow.
pub const DRAIN_WINDOW: Duration = Duration::from_millis(50);
/// The smallest adaptive window: four of its batches (a quarter of the window each), each
/// acknowledged once drawn ([`ACK_MESSAGE`]). An adaptive window resumes below three quarters
/// of itself, so an ack or two always resumes a paused session while the tab still has
/// batches to draw: at two steps (measured), the tab drew everything before each resume and a
/// `yes` flood crawled at the window per round trip. Small, because the window is what a
/// keystroke's echo or a Ctrl-C waits behind when the drain rate alone would size it smaller:
/// at 256 KiB (four [`ACK_SIZE`] steps, before acks came per message), `yes`, which a tab
/// draws at 1–1.5 MB/s, held 170–250 ms of drawing in the page.
pub const MIN_WINDOW: usize = 64 * 1024;
/// A terminal's window until its tab's drain rate is first measured: the floor. Started at
/// [`HIGH_WATER`], a new tab's first flood put a whole window into the page before the first
/// sample sized it (a sample needs a quarter-window batch drawn, and 256 KiB of `yes` is 0.2 s
/// of drawing): a Ctrl-C into a new tab's first `yes` waited 0.6–0.8 s behind 0.9–1 MB in the
/// page (make bench, skipping: a new tab's first `yes`). A window too small for its tab grows
/// about twofold each [`DRAIN_SAMPLE`], so a flood that a tab draws fast reaches the most
/// within about a tenth of a second.
pub const FIRST_WINDOW: usize = MIN_WINDOW;
/// The drain rate is sampled over at least this long while the tab has a backlog (shorter
/// intervals between acks are too noisy to size a window from).
pub const DRAIN_SAMPLE: Duration = Duration::from_millis(25);
/// The UI acknowledges written output in steps of this many bytes (one `ack` per step, not per
/// message). VS Code's rule: at most the low watermark, or the pump could wait for room that
/// acknowledgements held back by the UI never bring.
pub const ACK_SIZE: usize = 64 * 1024;
/// ...and acknowledges whatever is left once output has been quiet this long, so a prompt's
/// few bytes never wait for a full step.
pub const ACK_IDLE: Duration = Duration::from_millis(15);
/// ...and acknowledges a message of at least this many bytes as soon as its last byte is
/// drawn: a small window's batches ([`MIN_WINDOW`] / 4) are smaller than an [`ACK_SIZE`] step,
/// and each must come back as soon as it is drawn or the window stalls for [`ACK_IDLE`] each
/// round trip. Smaller messages (an echo, a prompt, a paced batch of `yes`) wait for the idle ack, so a
/// trickle of output does not cost one ack each.
pub const ACK_MESSAGE: usize = MIN_WINDOW / 8;
/// Output waits up to `max_delay` for more to join its batch only while at least this many
/// bytes are unacknowledged; below it, each piece goes at once. Small output is acknowledged
/// only after [`ACK_IDLE`] of quiet, so "anything in flight" (Nagle's rule) also held back
/// output that followed a drawn echo within it: a command's output split across two reads after
/// its Enter, or a key typed within 15 ms of another, waited a whole `max_delay` (16 ms; seen in
/// the real window, 2 of 12 `echo hi`). What is unacknowledged below this is an echo, a prompt
/// or a screen of a command's output; above it output comes faster than anyone reads, and
/// joining saves the page its per-message cost.
pub const JOIN_AFTER: usize = ACK_MESSAGE;
/// While a flood is skipped (the tail is dropping output the tab cannot show), the tab gets at
/// most one batch per this interval (a display frame): output it cannot read is not drawn at
/// full speed, the page's thread stays mostly idle, and the engine, not the tab, keeps up
/// with the server (issue 13, item 4; docs/architecture.md, "A flood is skipped, not queued").
pub const PACE_FRAME: Duration = Duration::from_millis(16);
/// ...each batch what the tab draws in this long at its draw rate ([`Credit::draw_rate`]; its
/// drain rate until the page has reported drawing time): a quarter of a frame, so the page's
/// thread spends at most about a quarter of its time on a skipped flood.
pub const PACE_DRAW: Duration = Duration::from_millis(4);
/// ...and at least this many bytes once a rate is measured: a screen of long lines (24 rows
/// of 80 columns), so the screen still moves every frame. Measured (make bench, 2 cores
/// shared with the server and `yes`): xterm parsed `yes` at ~1.4 MB per second of parsing,
/// so 8 KiB took ~6 ms of each 16 ms frame, and a quarter of a frame was ~5.6 KB.
pub const PACE_FLOOR: usize = 2 * 1024;
/// ...and this many while no rate is measured yet (the first frames of a flood): a screen's
/// worth of long lines on a tall screen.
pub const PACE_MIN_BATCH: usize = 8 * 1024;
/// The tab's draw rate (what sizes a paced batch) is sampled once the page has reported at
/// least this much time spent drawing: the page's clock is coarse (WebKit rounds
/// `performance.now()`), and one paced batch of `yes` is a few milliseconds.
pub const DRAW_SAMPLE: Duration = Duration::from_millis(8);
/// Acks of fewer bytes than this do not measure the draw rate: a prompt's or an echo's few
/// bytes parse in microseconds, under the page's clock's step, so the time reported for them
/// is mostly rounding (one step read for a few bytes would be a very slow tab). At most the
/// smallest paced batch, so paced batches always measure it. A larger batch reported as
/// parsed in no time still counts its bytes: read with a coarse clock, some batches show one
/// step and others none, which evens out over a sample.
pub const DRAW_MIN_ACK: usize = PACE_FLOOR / 2;
/// A skipped flood is over once no output came for this long (about a frame): the rest of the
/// tail then goes at the full window, so the final screen and scrollback arrive at once.
pub const PACE_QUIET: Duration = PACE_FRAME;
/// Pacing also ends when output still comes but nothing was dropped for this long: the tab
/// keeps up again (a flood that slowed down), and its output is drawn as it comes.
pub const PACE_HOLD: Duration = Duration::from_millis(250);
/// A paced batch goes only while at most this many batches of its size are unacknowledged:
/// a page that stalls (its thread waiting for a core, a collection) then holds a few
/// milliseconds of drawing, not a batch for every frame it missed up to the window (on 2
/// cores with one busy loop beside, 240 KB of `yes` sat in the page at the 99th percentile, a
/// quarter of a second that a Ctrl-C or an echo waited for). Two, because the page acks a
/// drawn batch up to [`ACK_IDLE`] after drawing it, close to a frame: with one, a page that
/// keeps up would get a batch every other frame.
pub const PACE_AHEAD: usize = 2;
const _: () = assert!(
    DRAW_MIN_ACK <= PACE_FLOOR
        && PACE_FLOOR <= PACE_MIN_BATCH
        && ACK_SIZE <= LOW_WATER
        && LOW_WATER < HIGH_WATER
        && MAX_BATCH <= HIGH_WATER
        && ACK_MESSAGE <= MIN_WINDOW / 4
        && PACE_MIN_BATCH <= MIN_WINDOW / 4
        && MIN_WINDOW <= FIRST_WINDOW
        && FIRST_WINDOW <= HIGH_WATER
);

/// An adaptive window's low watermark: three quarters of it, so the tab keeps most of its
/// window to draw while the output that an ack step lets go travels.
fn resume_below(window: usize) -> usize {
    window - window / 4
}

/// Coalescing and watermark settings.
#[derive(Debug, Clone, Copy)]
pub struct FlowConfig {
    /// Largest batch handed to the UI (a single larger chunk passes whole).
    pub max_batch: usize,
    /// Longest a byte waits for more to join its batch.
    pub max_delay: Duration,
    /// Stop taking output above this many unacknowledged bytes...
    pub high: usize,
    /// ...until acknowledgements bring it below this.
    pub low: usize,
    /// Set: the window follows the UI's measured drain rate (what it drew in this long), between
    /// [`MIN_WINDOW`] and `high`, starting at [`FIRST_WINDOW`]; `low` is then three quarters of
    /// it.
    pub drain_window: Option<Duration>,
    /// Set (a terminal that skips what its tab cannot show): while the window is full, output
    /// is still read and kept compacted in a [`Tail`] (docs/architecture.md, "A flood is
    /// skipped, not queued"); unset, output waits for the window (every byte drawn).
    pub skip: Option<Skip>,
}

/// What a terminal's tab can show besides its screen (its rows are [`Credit::set_rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skip {
    /// Lines of scrollback the tab keeps.
    pub scrollback: usize,
}

impl FlowConfig {
    /// A terminal's: the window sized from the tab's drain rate ([`DRAIN_WINDOW`]).
    pub fn terminal() -> Self {
        FlowConfig {
            drain_window: Some(DRAIN_WINDOW),
            ..FlowConfig::default()
        }
    }

    /// This config, skipping what a tab with `scrollback` lines of scrollback cannot show
    /// (`None`: every byte drawn).
    pub fn skipping(self, scrollback: Option<usize>) -> Self {
        FlowConfig {
            skip: scrollback.map(|scrollback| Skip { scrollback }),
            ..self
        }
    }
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_batch: MAX_BATCH,
            max_delay: Duration::from_millis(16),
            high: HIGH_WATER,
            low: LOW_WATER,
            drain_window: None,
            skip: None,
        }
    }
}

#[derive(Debug)]
struct CreditState {
    unacked: usize,
    paused: bool,
    /// The window now: pause above `high`, resume below `low`.
    high: usize,
    low: usize,
    drain: Drain,
    draw: Draw,
}

/// The tab's draw rate: bytes per second of the time its terminal spent parsing them, as the
/// page reports it with each ack ([`Credit::ack_drawn`]). Unlike the drain rate it is measured
/// whether or not the tab has a backlog, so it follows what the tab draws now: `yes`'s
/// two-byte lines parse ~10x slower per byte than long lines, and a paced flood never has a
/// backlog.
#[derive(Debug, Default)]
struct Draw {
    /// Bytes and drawing time reported since the last sample.
    bytes: usize,
    time: Duration,
    /// Bytes per second (moving average of the samples); 0 until the first sample.
    rate: f64,
}

/// The UI's drain rate, measured from acknowledgements that came while it had a backlog.
#[derive(Debug, Default)]
struct Drain {
    /// Start of the current sample: an ack that came with at least `low` unacknowledged.
    since: Option<Instant>,
    /// Bytes acknowledged since then.
    bytes: usize,
    /// Bytes per second (moving average of the samples); 0 until the first sample.
    rate: f64,
}

/// Unacknowledged bytes between the pump and the UI. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Credit {
    state: Arc<Mutex<CreditState>>,
    room: Arc<Notify>,
    /// Told of every ack: a paced batch waiting for the page to ack earlier ones
    /// ([`PACE_AHEAD`]) goes as soon as it does.
    acked: Arc<Notify>,
    drain_window: Option<Duration>,
    max_high: usize,
    /// The tab's rows (a terminal that skips keeps twice as many lines beside its scrollback).
    rows: Arc<AtomicUsize>,
    /// Output skipped so far: bytes and lines.
    skipped: Arc<(AtomicU64, AtomicU64)>,
    /// The tab's scrollback lines (a terminal that skips keeps them): from [`Skip`] at the
    /// start, then [`Credit::set_scrollback`].
    scrollback: Arc<AtomicUsize>,
}

/// Rows a tab is taken to have until told.
const DEFAULT_ROWS: usize = 24;

impl Credit {
    pub fn new(cfg: &FlowConfig) -> Self {
        let (high, low) = match cfg.drain_window {
            Some(_) => {
                let high = FIRST_WINDOW.min(cfg.high);
                (high, resume_below(high))
            }
            None => (cfg.high, cfg.low.min(cfg.high)),
        };
        Credit {
            state: Arc::new(Mutex::new(CreditState {
                unacked: 0,
                paused: false,
                high,
                low,
                drain: Drain::default(),
                draw: Draw::default(),
            })),
            room: Arc::new(Notify::new()),
            acked: Arc::new(Notify::new()),
            drain_window: cfg.drain_window,
            max_high: cfg.high,
            rows: Arc::new(AtomicUsize::new(DEFAULT_ROWS)),
            skipped: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
            scrollback: Arc::new(AtomicUsize::new(cfg.skip.map_or(0, |s| s.scrollback))),
        }
    }

    /// The tab now keeps `lines` lines of scrollback (the setting changed while it is open:
    /// xterm applies it to open tabs at once, and the tail keeps as many from then on). Lines
    /// a flood already dropped do not come back: raised mid-flood, the larger scrollback holds
    /// the older part of the flood only from the change on.
    pub fn set_scrollback(&self, lines: usize) {
        self.scrollback.store(lines, Ordering::Relaxed);
    }

    /// The tab has `rows` rows (at the start and after each resize).
    pub fn set_rows(&self, rows: u16) {
        self.rows.store(usize::from(rows.max(1)), Ordering::Relaxed);
    }

    /// Output skipped so far (never drawn, as the tab could not have shown it): bytes, lines.
    pub fn skipped(&self) -> (u64, u64) {
        (
            self.skipped.0.load(Ordering::Relaxed),
            self.skipped.1.load(Ordering::Relaxed),
        )
    }

    /// The window is full: output waits (or, skipping, goes into the tail).
    fn paused(&self) -> bool {
        self.lock().paused
    }

    /// The window now (bytes that may be unacknowledged before output pauses).
    pub fn window(&self) -> usize {
        self.lock().high
    }

    /// The UI's measured drain rate in bytes per second (0 until measured, or for a fixed
    /// window).
    pub fn drain_rate(&self) -> f64 {
        self.lock().drain.rate
    }

    /// The tab's draw rate in bytes per second of parsing ([`Draw`]; 0 until the page has
    /// reported enough parsing time).
    pub fn draw_rate(&self) -> f64 {
        self.lock().draw.rate
    }

    /// What a paced batch is sized by: the draw rate once measured, else the drain rate.
    fn pace_rate(&self) -> f64 {
        let s = self.lock();
        if s.draw.rate > 0.0 {
            s.draw.rate
        } else {
            s.drain.rate
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CreditState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The UI has rendered `n` more bytes.
    pub fn ack(&self, n: usize) {
        self.ack_at(n, None, Instant::now());
    }

    /// The UI has rendered `n` more bytes, which its terminal took `draw` to parse.
    pub fn ack_drawn(&self, n: usize, draw: Duration) {
        self.ack_at(n, Some(draw), Instant::now());
    }

    fn measure_draw(d: &mut Draw, n: usize, draw: Duration) {
        if n < DRAW_MIN_ACK {
            return;
        }
        d.bytes += n;
        d.time += draw;
        if d.time < DRAW_SAMPLE {
            return;
        }
        let sample = d.bytes as f64 / d.time.as_secs_f64();
        // Half weight: what the tab draws changes at once (long lines, then `yes`), and a
        // sample is already several batches.
        d.rate = if d.rate == 0.0 {
            sample
        } else {
            0.5 * d.rate + 0.5 * sample
        };
        d.bytes = 0;
        d.time = Duration::ZERO;
    }

    fn ack_at(&self, n: usize, draw: Option<Duration>, now: Instant) {
        let mut s = self.lock();
        if let Some(draw) = draw {
            Self::measure_draw(&mut s.draw, n, draw);
        }
        if let Some(span) = self.drain_window {
            Self::measure(&mut s, n, now, span, self.max_high);
        }
        s.unacked = s.unacked.saturating_sub(n);
        if s.paused && s.unacked < s.low {
            s.paused = false;
            self.room.notify_waiters();
        }
        self.acked.notify_waiters();
    }

    /// Sizes the window from the drain rate. Only acks that come while the UI has a backlog (at
    /// least the low watermark unacknowledged) measure it: the time between them is time spent
    /// drawing, not waiting for output. A window too small for the tab still measures a rate
    /// above its size per `span` (the round trip is shorter than `span`), so it grows.
    fn measure(s: &mut CreditState, n: usize, now: Instant, span: Duration, max: usize) {
        if s.unacked < s.low {
            s.drain.since = None;
            return;
        }
        let Some(since) = s.drain.since else {
            s.drain.since = Some(now);
            s.drain.bytes = 0;
            return;
        };
        s.drain.bytes += n;
        let elapsed = now.saturating_duration_since(since);
        if elapsed < DRAIN_SAMPLE {
            return;
        }
        let sample = s.drain.bytes as f64 / elapsed.as_secs_f64();
        s.drain.rate = if s.drain.rate == 0.0 {
            sample
        } else {
            0.7 * s.drain.rate + 0.3 * sample
        };
        s.drain.since = Some(now);
        s.drain.bytes = 0;
        let window = (s.drain.rate * span.as_secs_f64()) as usize;
        s.high = window.clamp(MIN_WINDOW.min(max), max);
        s.low = resume_below(s.high);
    }

    /// Largest batch to send now: a quarter of an adaptive window (several in flight), else
    /// `max`.
    fn batch_limit(&self, max: usize) -> usize {
        match self.drain_window {
            Some(_) => (self.lock().high / 4).clamp(1, max),
            None => max,
        }
    }

    /// Bytes sent and not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.lock().unacked
    }

    fn sent(&self, n: usize) {
        let mut s = self.lock();
        s.unacked += n;
        if s.unacked > s.high {
            s.paused = true;
        }
    }

    /// Waits for the next ack.
    async fn acked(&self) {
        self.acked.notified().await;
    }

    /// Waits while paused (above the high watermark until below the low one).
    async fn room(&self) {
        loop {
            let notified = self.room.notified();
            if !self.lock().paused {
                return;
            }
            notified.await;
        }
    }
}

/// When a terminal's tab gets its next batch while a flood is skipped ([`PACE_FRAME`] and the
/// constants after it). Pure: the pump tells it what happened and when.
#[derive(Debug, Default)]
struct Pacer {
    /// The tail last dropped output.
    dropped: Option<Instant>,
    /// Output last came from the session.
    output: Option<Instant>,
    /// The last paced batch went.
    batch: Option<Instant>,
}

/// What the tab may be handed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pace {
    /// Not pacing: as much as the window allows.
    Full,
    /// One paced batch of at most this many bytes.
    Now(usize),
    /// Nothing before this (the next frame).
    At(Instant),
}

fn within(t: Option<Instant>, now: Instant, span: Duration) -> bool {
    t.is_some_and(|t| now.saturating_duration_since(t) < span)
}

impl Pacer {
    fn output(&mut self, now: Instant) {
        self.output = Some(now);
    }

    fn dropped(&mut self, now: Instant) {
        self.dropped = Some(now);
    }

    fn sent(&mut self, now: Instant) {
        self.batch = Some(now);
    }

    /// A flood is being skipped: output was dropped lately and is still coming.
    fn pacing(&self, now: Instant) -> bool {
        self.holding(now) && within(self.output, now, PACE_QUIET)
    }

    /// Output was dropped lately ([`PACE_HOLD`]): what comes next goes through the tail, so a
    /// pause in the flood longer than a frame (the pump or the server not scheduled on a busy
    /// machine) paces it again from its next chunk, rather than handing the tab a whole window
    /// at once (a `yes` the tab drew at 1 MB/s then held 256 KB in the page: a Ctrl-C waited
    /// for it).
    fn holding(&self, now: Instant) -> bool {
        within(self.dropped, now, PACE_HOLD)
    }

    /// When pacing ends by itself if nothing else happens (no more output, no more drops).
    fn ends(&self) -> Option<Instant> {
        let quiet = self.output.map(|t| t + PACE_QUIET)?;
        let hold = self.dropped.map(|t| t + PACE_HOLD)?;
        Some(quiet.min(hold))
    }

    /// What the tab may be handed now, for a tab that draws `rate` bytes a second (0: not
    /// measured yet), batches of at most `limit` and `unacked` bytes not yet acknowledged.
    fn next(&self, now: Instant, rate: f64, limit: usize, unacked: usize) -> Pace {
        let pacing = self.pacing(now);
        if !pacing && !self.holding(now) {
            return Pace::Full;
        }
        if let Some(t) = self.batch.filter(|_| pacing) {
            if now.saturating_duration_since(t) < PACE_FRAME {
                return Pace::At(t + PACE_FRAME);
            }
        }
        let size = if rate > 0.0 {
            ((rate * PACE_DRAW.as_secs_f64()) as usize).max(PACE_FLOOR)
        } else {
            PACE_MIN_BATCH
        };
        let size = size.min(limit.max(1));
        if unacked > PACE_AHEAD * size {
            // Asked again at the next ack or as output comes, at the latest a frame on.
            return Pace::At(now + PACE_FRAME);
        }
        if pacing {
            Pace::Now(size)
        } else {
            // Quiet for a frame, but dropped lately: the flood's end, or a pause in it (the
            // server or the pod not scheduled for a frame). Either way the rest of the tail
            // goes at once, once the page has drawn what it had: at the end the final screen
            // comes without waiting, and a pause does not stack a whole tail on batches the
            // page has not drawn yet.
            Pace::Full
        }
    }
}

/// Why [`pump`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PumpEnd {
    /// Both streams ended and every byte was handed on.
    Drained,
    /// `emit` refused a batch: nobody takes the output any more.
    UiGone,
}

/// Adds what the tail dropped between `before` and `after` (bytes, lines) to the session's
/// skipped count, and tells the pacer a flood is being dropped.
fn count_skipped(credit: &Credit, pacer: &mut Pacer, before: (u64, u64), after: (u64, u64)) {
    if after.0 > before.0 {
        pacer.dropped(Instant::now());
    }
    credit
        .skipped
        .0
        .fetch_add(after.0.saturating_sub(before.0), Ordering::Relaxed);
    credit
        .skipped
        .1
        .fetch_add(after.1.saturating_sub(before.1), Ordering::Relaxed);
}

/// Merges a session's stdout and stderr (in arrival order, as a terminal shows them), batches
/// them, and hands each batch to `emit` while credit allows. Returns when both streams end or
/// `emit` returns false (the UI is gone), saying which.
pub async fn pump(
    mut stdout: mpsc::UnboundedReceiver<Chunk>,
    mut stderr: mpsc::UnboundedReceiver<Chunk>,
    credit: Credit,
    cfg: FlowConfig,
    mut emit: impl FnMut(Bytes) -> bool,
) -> PumpEnd {
    let (mut out_open, mut err_open) = (true, true);
    // A chunk that would have overflowed the previous batch starts the next one.
    let mut carry: Option<Chunk> = None;
    let mut tail = cfg.skip.map(|_| Tail::new());
    let mut pacer = Pacer::default();
    loop {
        // Both streams ended and nothing is held: every byte was handed on. Nothing is left
        // to wait for room or acks for, so a tab that has not acknowledged the last batches
        // (hidden, or busy drawing) does not hold back the session's end.
        if !out_open && !err_open && carry.is_none() && tail.as_ref().is_none_or(Tail::is_empty) {
            return PumpEnd::Drained;
        }
        if let Some(t) = tail.as_mut() {
            // A terminal that skips: while the window is full, or a flood is being skipped,
            // output is still read, into the tail, which keeps what the tab can show (and stops
            // taking at its bound).
            let rows = credit.rows.load(Ordering::Relaxed);
            let keep = tail::lines_to_keep(credit.scrollback.load(Ordering::Relaxed), rows);
            let screen = 2 * rows;
            let now = Instant::now();
            // Structural output in the tail is never paced (vim, top): it goes at the window.
            let pacing = pacer.pacing(now) && !t.holds_raw();
            let paused = credit.paused();
            if !(paused || pacing || pacer.holding(now) || !t.is_empty()) {
                // Nothing held, no flood dropped lately: output goes to the tab directly
                // (below).
            } else {
                if let Some(c) = carry.take() {
                    let before = t.dropped();
                    t.push(&c, keep, screen);
                    pacer.output(now);
                    // Counted here: the take below may go on to the next turn.
                    count_skipped(&credit, &mut pacer, before, t.dropped());
                }
                let before = t.dropped();
                let mut wake = None;
                if !paused && !t.is_empty() {
                    let limit = credit.batch_limit(cfg.max_batch);
                    let n = match pacer.next(now, credit.pace_rate(), limit, credit.unacked()) {
                        _ if t.holds_raw() => Some(limit),
                        Pace::Full => Some(limit),
                        Pace::Now(n) => Some(n),
                        Pace::At(at) => {
                            wake = Some(at);
                            None
                        }
                    };
                    if let Some(bytes) = n.and_then(|n| t.take(n)) {
                        if pacing {
                            pacer.sent(now);
                        }
                        credit.sent(bytes.len());
                        if !emit(bytes) {
                            return PumpEnd::UiGone;
                        }
                        continue;
                    }
                } else if !paused && pacing {
                    // Nothing held: wait for output, or for the flood to be over.
                    wake = pacer.ends();
                }
                let accepts = t.accepts();
                let wake = wake.map(tokio::time::Instant::from_std);
                // Held output waits for the page's acks only while it has some to send.
                let ack_wakes = !paused && !t.is_empty() && credit.unacked() > 0;
                tokio::select! {
                    biased;
                    () = credit.room(), if paused => {}
                    () = credit.acked(), if ack_wakes => {}
                    () = sleep_until_some(wake), if wake.is_some() => {}
                    c = stdout.recv(), if out_open && accepts => match c {
                        Some(c) => {
                            t.push(&c, keep, screen);
                            pacer.output(Instant::now());
                        }
                        None => out_open = false,
                    },
                    c = stderr.recv(), if err_open && accepts => match c {
                        Some(c) => {
                            t.push(&c, keep, screen);
                            pacer.output(Instant::now());
                        }
                        None => err_open = false,
                    },
                    // Nothing to wait on (streams ended, or the tail full): go round again
                    // (the loop's first check ends the pump once nothing is held).
                    else => tokio::task::yield_now().await,
                }
                count_skipped(&credit, &mut pacer, before, t.dropped());
                continue;
            }
        } else {
            // Wait for room. Meanwhile a stream's end is noticed (then nothing may be left to
            // wait for: the check above); a chunk read meanwhile waits in `carry`, the one
            // chunk a paused pump holds.
            let room = tokio::select! {
                biased;
                () = credit.room() => true,
                c = stdout.recv(), if out_open && carry.is_none() => {
                    match c { Some(c) => carry = Some(c), None => out_open = false }
                    false
                }
                c = stderr.recv(), if err_open && carry.is_none() => {
                    match c { Some(c) => carry = Some(c), None => err_open = false }
                    false
                }
            };
            if !room {
                continue;
            }
        }
        // The first chunk of a batch: wait as long as it takes.
        let first = match carry.take() {
            Some(c) => c,
            None => tokio::select! {
                c = stdout.recv(), if out_open => match c { Some(c) => c, None => { out_open = false; continue; } },
                c = stderr.recv(), if err_open => match c { Some(c) => c, None => { err_open = false; continue; } },
                else => return PumpEnd::Drained,
            },
        };
        // Little in flight: the UI is idle and this is most likely a keystroke's echo, a
        // prompt or a command's first lines, so it goes at once with whatever is already here
        // (Nagle's rule, with the page's delayed ack in mind: [`JOIN_AFTER`]). With more in
        // flight, a byte waits up to `max_delay` for more to join its batch.
        let wait = if credit.unacked() < JOIN_AFTER {
            Duration::ZERO
        } else {
            cfg.max_delay
        };
        let deadline = tokio::time::Instant::now() + wait;
        let max_batch = credit.batch_limit(cfg.max_batch);
        let mut batch: Option<BytesMut> = None;
        let mut single = Some(first);
        let mut size = single.as_ref().map_or(0, |c| c.len());
        // Join whatever arrives before the deadline, up to the batch size.
        while size < max_batch {
            let next = tokio::select! {
                c = stdout.recv(), if out_open => c.or_else(|| { out_open = false; None }),
                c = stderr.recv(), if err_open => c.or_else(|| { err_open = false; None }),
                _ = tokio::time::sleep_until(deadline) => break,
                else => break,
            };
            let Some(next) = next else {
                if !out_open && !err_open {
                    break;
                }
                continue;
            };
            if size + next.len() > max_batch {
                carry = Some(next);
                break;
            }
            let buf = batch.get_or_insert_with(|| {
                // Sized for what is here; a flood grows it (a keystroke's echo stays small).
                let mut b = BytesMut::with_capacity(size + next.len());
                if let Some(s) = single.take() {
                    b.extend_from_slice(&s);
                }
                b
            });
            buf.extend_from_slice(&next);
            size = buf.len();
        }
        let bytes = match (batch, single) {
            (Some(b), _) => b.freeze(),
            (None, Some(c)) => c.data.clone(),
            (None, None) => continue,
        };
        // Output is still coming: a flood skipped until a moment ago (the pump was not
        // scheduled for a frame) is paced again from the next chunk on.
        pacer.output(Instant::now());
        if let Some(t) = tail.as_mut() {
            t.observe(&bytes);
        }
        credit.sent(bytes.len());
        if !emit(bytes) {
            return PumpEnd::UiGone;
        }
    }
}

/// Sleeps until `at` (forever when `None`; the caller only polls it when set).
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn watermarks_pause_and_resume() {
        let cfg = FlowConfig {
            high: 100,
            low: 10,
            ..FlowConfig::default()
        };
        let credit = Credit::new(&cfg);
        credit.sent(150);
        assert!(credit.lock().paused);
        credit.ack(100);
        assert!(
            credit.lock().paused,
            "50 left is still above the low watermark"
        );
        let waiter = {
            let c = credit.clone();
            tokio::spawn(async move { c.room().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        credit.ack(45);
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("resumed below the low watermark")
            .expect("task");
        assert_eq!(credit.unacked(), 5);
    }

    /// A UI drawing `rate` bytes/s with a backlog: acks of `step` bytes, each after the time
    /// that drawing them takes, while the pump keeps the window full. Synthetic clock.
    fn drain(credit: &Credit, rate: f64, step: usize, acks: usize, start: Instant) -> Instant {
        let mut now = start;
        for _ in 0..acks {
            let room = credit.window().saturating_sub(credit.unacked());
            credit.sent(room.max(step));
            now += Duration::from_secs_f64(step as f64 / rate);
            credit.ack_at(step, None, now);
        }
        now
    }

    #[test]
    fn a_slow_tab_gets_a_window_of_what_it_draws_in_the_drain_window() {
        let credit = Credit::new(&FlowConfig::terminal());
        assert_eq!(credit.window(), FIRST_WINDOW, "starts at the floor");
        // 8 MB/s: DRAIN_WINDOW (50 ms) of it is 400 KB.
        drain(&credit, 8e6, 16 * 1024, 400, Instant::now());
        let want = 8e6 * DRAIN_WINDOW.as_secs_f64();
        let w = credit.window() as f64;
        assert!(
            (w - want).abs() < want * 0.05,
            "window {w} for an 8 MB/s tab, want ~{want}"
        );
        let low = credit.lock().low;
        assert_eq!(low, credit.window() - credit.window() / 4);
        assert!(credit.batch_limit(MAX_BATCH) <= credit.window() / 4);
    }

    #[test]
    fn a_very_slow_tab_keeps_the_floor_and_a_fast_one_the_most() {
        let slow = Credit::new(&FlowConfig::terminal());
        drain(&slow, 200e3, 16 * 1024, 100, Instant::now());
        assert_eq!(slow.window(), MIN_WINDOW);
        assert!(
            slow.batch_limit(MAX_BATCH) >= ACK_MESSAGE,
            "the page acknowledges each of the smallest window's batches once drawn"
        );
        let low = slow.lock().low;
        assert!(
            low >= slow.batch_limit(MAX_BATCH),
            "a batch's ack always fits below the low watermark"
        );
        let fast = Credit::new(&FlowConfig::terminal());
        drain(&fast, 500e6, 64 * 1024, 1000, Instant::now());
        assert_eq!(fast.window(), HIGH_WATER);
    }

    #[test]
    fn a_window_too_small_for_its_tab_grows() {
        // Limited by the window: each window's worth comes back one round trip (10 ms, shorter
        // than DRAIN_WINDOW) after it was sent, however fast the tab could draw.
        let credit = Credit::new(&FlowConfig::terminal());
        let mut now = drain(&credit, 200e3, 16 * 1024, 100, Instant::now());
        assert_eq!(credit.window(), MIN_WINDOW);
        for _ in 0..400 {
            // A quarter of the window acknowledged every quarter round trip, refilled at once.
            let w = credit.window();
            credit.sent(w.saturating_sub(credit.unacked()));
            now += Duration::from_micros(2500);
            credit.ack_at(w / 4, None, now);
        }
        assert_eq!(credit.window(), HIGH_WATER, "grown back to the most");
    }

    #[test]
    fn a_new_window_starts_at_the_floor_and_a_fast_tab_grows_it_at_once() {
        // A new tab's first flood, drawn faster than any window allows: each quarter of the
        // window comes back a quarter of a 10 ms round trip after it went (synthetic clock).
        let credit = Credit::new(&FlowConfig::terminal());
        assert_eq!(credit.window(), FIRST_WINDOW);
        let start = Instant::now();
        let mut now = start;
        while credit.window() < HIGH_WATER {
            assert!(
                now - start < Duration::from_millis(150),
                "window {} after {:?}: a fast tab's first flood is held back",
                credit.window(),
                now - start
            );
            let w = credit.window();
            credit.sent(w.saturating_sub(credit.unacked()));
            now += Duration::from_micros(2500);
            credit.ack_at(w / 4, None, now);
        }
    }

    #[test]
    fn idle_time_is_not_drain_time() {
        // Acks that come with less than the low watermark outstanding (the tab had nothing to
        // draw) never size the window, however long the gaps between them.
        let credit = Credit::new(&FlowConfig::terminal());
        let mut now = Instant::now();
        for _ in 0..50 {
            credit.sent(100);
            now += Duration::from_secs(1);
            credit.ack_at(100, None, now);
        }
        assert_eq!(credit.window(), FIRST_WINDOW);
        assert_eq!(credit.drain_rate(), 0.0);
    }

    #[test]
    fn a_fixed_window_stays_fixed() {
        let credit = Credit::new(&FlowConfig::default());
        drain(&credit, 200e3, 16 * 1024, 100, Instant::now());
        assert_eq!(credit.window(), HIGH_WATER);
        assert_eq!(credit.lock().low, LOW_WATER);
        assert_eq!(credit.batch_limit(MAX_BATCH), MAX_BATCH);
    }

    #[test]
    fn the_draw_rate_is_what_the_page_reports_for_real_batches() {
        let credit = Credit::new(&FlowConfig::terminal());
        // An echo's few bytes, read as one step of a coarse clock: not measured (it would
        // read as a tab drawing 1.5 KB/s).
        for _ in 0..100 {
            credit.sent(3);
            credit.ack_drawn(3, Duration::from_millis(1));
        }
        assert_eq!(credit.draw_rate(), 0.0);
        // Until measured, a paced batch is sized by the drain rate (0 here: unmeasured).
        assert_eq!(credit.pace_rate(), 0.0);
        // Batches under the clock's step (no time) count their bytes; 16 KiB in 3 ms is below
        // DRAW_SAMPLE, no sample yet; the next ack makes one.
        credit.sent(4 * 16 * 1024);
        credit.ack_drawn(16 * 1024, Duration::ZERO);
        credit.ack_drawn(16 * 1024, Duration::ZERO);
        credit.ack_drawn(16 * 1024, Duration::from_millis(3));
        assert_eq!(credit.draw_rate(), 0.0);
        credit.ack_drawn(16 * 1024, Duration::from_millis(5));
        let want = (4 * 16 * 1024) as f64 / 0.008;
        assert!((credit.draw_rate() - want).abs() < 1.0);
        assert_eq!(credit.pace_rate(), credit.draw_rate());
        assert_eq!(credit.unacked(), 0, "acks still count as acks");
    }

    #[test]
    fn a_tab_is_paced_only_while_a_flood_is_dropped() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut p = Pacer::default();
        p.output(t0);
        assert_eq!(
            p.next(t0, 0.0, MAX_BATCH, 0),
            Pace::Full,
            "no drop: not a flood"
        );
        p.dropped(t0);
        // No rate measured yet: PACE_MIN_BATCH.
        assert_eq!(p.next(t0, 0.0, MAX_BATCH, 0), Pace::Now(PACE_MIN_BATCH));
        // 1.5 MB/s (`yes` in a tab on a busy machine): PACE_DRAW of it, 6 KB; 0.2 MB/s: the
        // floor, a screen of long lines.
        assert_eq!(p.next(t0, 1.5e6, MAX_BATCH, 0), Pace::Now(6_000));
        assert_eq!(p.next(t0, 0.2e6, MAX_BATCH, 0), Pace::Now(PACE_FLOOR));
        p.sent(t0);
        // One batch per frame, however fast the acks come.
        for n in [0, 1, 8, 15] {
            p.output(ms(n));
            p.dropped(ms(n));
            assert_eq!(
                p.next(ms(n), 2e6, MAX_BATCH, 0),
                Pace::At(ms(16)),
                "at {n} ms"
            );
        }
        // A frame later, the next: 40 MB/s (long lines) gets 4 ms of it, within the limit.
        assert_eq!(p.next(ms(16), 40e6, MAX_BATCH, 0), Pace::Now(160_000));
        assert_eq!(p.next(ms(16), 40e6, 64 * 1024, 0), Pace::Now(64 * 1024));
        assert_eq!(
            p.next(ms(16), 0.0, 100, 0),
            Pace::Now(100),
            "never above the limit"
        );
        p.sent(ms(16));
        // Output quiet for a frame: the flood is over, the rest at the full window.
        assert_eq!(p.ends(), Some(ms(15) + PACE_QUIET));
        assert_eq!(p.next(ms(15) + PACE_QUIET, 2e6, MAX_BATCH, 0), Pace::Full);
        // Output still coming but nothing dropped for PACE_HOLD: the tab keeps up again.
        let mut p = Pacer::default();
        p.dropped(t0);
        let mut now = t0;
        while now < t0 + PACE_HOLD {
            p.output(now);
            assert!(p.pacing(now));
            now += Duration::from_millis(5);
        }
        p.output(now);
        assert!(!p.pacing(now));
        assert_eq!(p.next(now, 2e6, MAX_BATCH, 0), Pace::Full);
    }

    #[test]
    fn a_pause_in_a_dropped_flood_holds_it_in_the_tail() {
        // A flood dropped at t0 whose output stops for two frames (the pump was not
        // scheduled): no longer pacing, but still holding, so its next chunk goes into the
        // tail and is paced again rather than straight to the tab as a whole window.
        let t0 = Instant::now();
        let later = t0 + 2 * PACE_FRAME;
        let mut p = Pacer::default();
        p.output(t0);
        p.dropped(t0);
        assert!(p.pacing(t0) && p.holding(t0));
        assert!(!p.pacing(later), "quiet for a frame: not pacing");
        assert!(p.holding(later), "dropped lately: still holding");
        p.output(later);
        assert!(p.pacing(later), "the next chunk is paced again");
        // Nothing dropped for PACE_HOLD: the tab keeps up, output goes straight to it.
        assert!(!p.holding(t0 + PACE_HOLD));
        assert!(!Pacer::default().holding(t0), "no flood: never holding");
    }

    #[test]
    fn a_paced_batch_waits_while_the_page_holds_earlier_ones() {
        // 1.5 MB/s: a paced batch is 6,000 bytes. Up to PACE_AHEAD of them unacknowledged
        // (the page acks a drawn batch up to ACK_IDLE later), the next goes; beyond that, a
        // stalled page gets nothing more until it acks, asked again at the latest a frame on.
        let t0 = Instant::now();
        let mut p = Pacer::default();
        p.output(t0);
        p.dropped(t0);
        let batch = 6_000;
        assert_eq!(p.next(t0, 1.5e6, MAX_BATCH, 0), Pace::Now(batch));
        assert_eq!(
            p.next(t0, 1.5e6, MAX_BATCH, PACE_AHEAD * batch),
            Pace::Now(batch)
        );
        assert_eq!(
            p.next(t0, 1.5e6, MAX_BATCH, PACE_AHEAD * batch + 1),
            Pace::At(t0 + PACE_FRAME)
        );
        // Quiet for a frame after a drop (the flood's end, or a pause in it): the whole
        // tail, but only once the page has drawn what it had.
        let quiet = t0 + 2 * PACE_FRAME;
        assert_eq!(p.next(quiet, 1.5e6, MAX_BATCH, 0), Pace::Full);
        assert_eq!(
            p.next(quiet, 1.5e6, MAX_BATCH, PACE_AHEAD * batch + 1),
            Pace::At(quiet + PACE_FRAME)
        );
        // Not pacing (no flood dropped): the window alone bounds what is in flight.
        let idle = Pacer::default();
        assert_eq!(idle.next(t0, 1.5e6, MAX_BATCH, 1 << 20), Pace::Full);
        assert_eq!(
            p.next(t0 + PACE_HOLD, 1.5e6, MAX_BATCH, 1 << 20),
            Pace::Full
        );
    }

    fn chunk(data: &'static [u8]) -> Chunk {
        let permits = Arc::new(tokio::sync::Semaphore::new(1));
        let permit = permits.try_acquire_owned().expect("a permit");
        Chunk::new(Bytes::from_static(data), permit)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scrollback_changed_while_open_is_what_the_tail_keeps() {
        // Opened with 1,000 lines of scrollback, then set to 10 (xterm applies a new setting
        // to open tabs): the tail keeps 10 + 2 × rows lines, not 1,000 more (before, the
        // scrollback was fixed when the session opened).
        let cfg = FlowConfig {
            high: 1024,
            ..FlowConfig::terminal()
        }
        .skipping(Some(1_000));
        let credit = Credit::new(&cfg);
        credit.set_rows(2);
        credit.set_scrollback(10);
        let (out, out_rx) = mpsc::unbounded_channel();
        let (err, err_rx) = mpsc::unbounded_channel();
        let lines = Bytes::from(b"y\r\n".repeat(100));
        let permits = Arc::new(tokio::sync::Semaphore::new(100));
        for _ in 0..100 {
            let p = permits.clone().try_acquire_owned().expect("a permit");
            out.send(Chunk::new(lines.clone(), p)).expect("pump");
        }
        drop((out, err));
        let (ui, mut shown) = mpsc::unbounded_channel();
        let pump = tokio::spawn(pump(out_rx, err_rx, credit.clone(), cfg, move |b| {
            ui.send(b).is_ok()
        }));
        // Stalled until the whole flood was read (every chunk's permit back).
        let deadline = Instant::now() + Duration::from_secs(60);
        while permits.available_permits() < 100 {
            assert!(Instant::now() < deadline, "the flood was read");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let mut got = Vec::new();
        let end = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                credit.ack(credit.unacked());
                tokio::select! {
                    b = shown.recv() => match b {
                        Some(b) => got.extend_from_slice(&b),
                        None => break,
                    },
                    () = tokio::time::sleep(Duration::from_millis(2)) => {}
                }
            }
        })
        .await;
        assert!(end.is_ok(), "the pump ended");
        assert_eq!(pump.await.expect("pump"), PumpEnd::Drained);
        let keep = 10 + 2 * 2;
        assert_eq!(credit.skipped().1 as usize + got.len() / 3, 10_000);
        assert!(
            credit.skipped().1 as usize >= 10_000 - keep - 1024 / 3 - 100,
            "skipped {:?}",
            credit.skipped()
        );
    }

    /// A pump whose streams ended ends once it has handed on every byte, even with its last
    /// batches unacknowledged and the window full (with or without skipping): the session's
    /// end is not held back by a tab that has not drawn them yet.
    #[tokio::test]
    async fn the_pump_ends_when_all_is_handed_on_though_unacknowledged() {
        for skip in [None, Some(1_000)] {
            let cfg = FlowConfig {
                high: 100,
                low: 10,
                ..FlowConfig::terminal()
            }
            .skipping(skip);
            let credit = Credit::new(&cfg);
            credit.set_rows(24);
            let (out, out_rx) = mpsc::unbounded_channel();
            let (err, err_rx) = mpsc::unbounded_channel();
            let permits = Arc::new(tokio::sync::Semaphore::new(1));
            let p = permits.clone().try_acquire_owned().expect("a permit");
            out.send(Chunk::new(Bytes::from(vec![b'x'; 150]), p))
                .expect("pump");
            drop((out, err));
            let (ui, mut shown) = mpsc::unbounded_channel();
            let pump = tokio::spawn(pump(out_rx, err_rx, credit.clone(), cfg, move |b| {
                ui.send(b).is_ok()
            }));
            let end = tokio::time::timeout(Duration::from_secs(10), pump)
                .await
                .unwrap_or_else(|_| panic!("the pump ended without acks (skip {skip:?})"))
                .expect("pump");
            assert_eq!(end, PumpEnd::Drained);
            assert!(credit.paused(), "the window is full: nothing was acked");
            let mut got = Vec::new();
            while let Ok(b) = shown.try_recv() {
                got.extend_from_slice(&b);
            }
            assert_eq!(got, vec![b'x'; 150], "every byte handed on (skip {skip:?})");
        }
    }

    /// A terminal's pump whose batch delay no test would wait out (an hour), its stdout's
    /// sender and what it hands the UI: output that goes before the delay went at once.
    fn unhurried_pump() -> (
        Credit,
        mpsc::UnboundedSender<Chunk>,
        mpsc::UnboundedReceiver<Bytes>,
        tokio::task::JoinHandle<PumpEnd>,
    ) {
        let cfg = FlowConfig {
            max_delay: Duration::from_secs(3600),
            ..FlowConfig::terminal()
        };
        let credit = Credit::new(&cfg);
        let (out, out_rx) = mpsc::unbounded_channel();
        let (_err, err_rx) = mpsc::unbounded_channel();
        let (ui, shown) = mpsc::unbounded_channel();
        let pump = tokio::spawn(pump(out_rx, err_rx, credit.clone(), cfg, move |b| {
            ui.send(b).is_ok()
        }));
        (credit, out, shown, pump)
    }

    /// Sends `piece` to an [`unhurried_pump`] and returns what the UI got next: it fails if
    /// the piece waits for a batch.
    async fn handed_on_at_once(
        out: &mpsc::UnboundedSender<Chunk>,
        shown: &mut mpsc::UnboundedReceiver<Bytes>,
        piece: &'static [u8],
    ) -> Bytes {
        out.send(chunk(piece)).expect("pump");
        tokio::time::timeout(Duration::from_secs(30), shown.recv())
            .await
            .expect("the piece went without waiting for a batch")
            .expect("pump")
    }

    #[tokio::test]
    async fn an_idle_tab_gets_an_echo_at_once() {
        // A batch delay no test would wait out: an echo that arrives with nothing in flight
        // must not wait for it (before: every echo waited `max_delay`, 16 ms).
        let (credit, out, mut shown, pump) = unhurried_pump();
        for key in [&b"a"[..], b"b"] {
            let got = handed_on_at_once(&out, &mut shown, key).await;
            assert_eq!(&got[..], key);
            credit.ack(got.len());
        }
        pump.abort();
    }

    #[tokio::test]
    async fn output_after_an_echo_not_yet_acknowledged_goes_at_once() {
        // The page acknowledges an echo only after `ACK_IDLE` of quiet: output that follows it
        // sooner (the rest of a command's output, the next key) must not wait for a batch.
        let (credit, out, mut shown, pump) = unhurried_pump();
        let mut sent = 0;
        for piece in [&b"\r\n"[..], b"hi\r\n", b"$ ", b"l"] {
            let got = handed_on_at_once(&out, &mut shown, piece).await;
            assert_eq!(&got[..], piece);
            sent += got.len();
            assert_eq!(credit.unacked(), sent, "nothing acknowledged in between");
        }
        pump.abort();
    }

    #[tokio::test]
    async fn output_behind_a_window_of_unacknowledged_bytes_joins_a_batch() {
        // With `JOIN_AFTER` bytes in flight, a piece waits for more to join it: here until the
        // batch is full, as the delay is longer than any test would wait.
        static IN_FLIGHT: [u8; JOIN_AFTER] = [b'y'; JOIN_AFTER];
        let (credit, out, mut shown, pump) = unhurried_pump();
        let limit = credit.batch_limit(MAX_BATCH);
        out.send(chunk(&IN_FLIGHT)).expect("pump");
        assert_eq!(shown.recv().await.expect("pump").len(), JOIN_AFTER);
        let rest: &'static [u8] = Box::leak(vec![b'z'; limit - 2].into_boxed_slice());
        for piece in [&b"a"[..], b"b", rest] {
            out.send(chunk(piece)).expect("pump");
        }
        let got = tokio::time::timeout(Duration::from_secs(30), shown.recv())
            .await
            .expect("a full batch goes at once")
            .expect("pump");
        assert_eq!(got.len(), limit);
        assert_eq!(&got[..2], b"ab");
        pump.abort();
    }
}
