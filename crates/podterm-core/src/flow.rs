//! Output for a UI terminal: chunks coalesced (flush at `max_delay` or `max_batch` bytes) and
//! acknowledgement-based flow control with high and low watermarks (VS Code's scheme).
//!
//! The UI acknowledges bytes once its terminal has rendered them. While more than `high` bytes
//! are unacknowledged the pump stops taking output from the session; the session's read-ahead
//! then fills and its read loop pauses, and TCP carries the pause back to the process. Memory is
//! bounded by the read-ahead plus `high` plus one batch, however fast the process writes.

use crate::exec::Chunk;
use bytes::{Bytes, BytesMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// Unacknowledged bytes at which output pauses. VS Code uses 100 KB for a local PTY; measured in
/// the real window (make bench), 100 KB held a tab at ~8 MB/s behind each write-to-ack round trip
/// through the webview, and a flood's backlog then took seconds to drain before a Ctrl-C showed.
/// 1 MiB with 256 KiB batches: ~13 MB/s (the webview's IPC and xterm.js share one thread), and
/// at most ~20 ms of xterm's drawing queued ahead of a keystroke's echo.
pub const HIGH_WATER: usize = 1024 * 1024;
/// Output resumes below this: xterm still has ~256 KiB to draw while the next batch travels.
pub const LOW_WATER: usize = 256 * 1024;
/// Largest batch in one IPC message (fewer, larger messages cost less per byte).
pub const MAX_BATCH: usize = 256 * 1024;
/// The UI acknowledges written output in steps of this many bytes (one `ack` per step, not per
/// message). VS Code's rule: at most the low watermark, or the pump could wait for room that
/// acknowledgements held back by the UI never bring.
pub const ACK_SIZE: usize = 64 * 1024;
/// ...and acknowledges whatever is left once output has been quiet this long, so a prompt's
/// few bytes never wait for a full step.
pub const ACK_IDLE: Duration = Duration::from_millis(15);
const _: () = assert!(ACK_SIZE <= LOW_WATER && LOW_WATER < HIGH_WATER && MAX_BATCH <= HIGH_WATER);

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
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_batch: MAX_BATCH,
            max_delay: Duration::from_millis(16),
            high: HIGH_WATER,
            low: LOW_WATER,
        }
    }
}

#[derive(Debug)]
struct CreditState {
    unacked: usize,
    paused: bool,
}

/// Unacknowledged bytes between the pump and the UI. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Credit {
    state: Arc<Mutex<CreditState>>,
    room: Arc<Notify>,
    high: usize,
    low: usize,
}

impl Credit {
    pub fn new(cfg: &FlowConfig) -> Self {
        Credit {
            state: Arc::new(Mutex::new(CreditState {
                unacked: 0,
                paused: false,
            })),
            room: Arc::new(Notify::new()),
            high: cfg.high,
            low: cfg.low.min(cfg.high),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CreditState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The UI has rendered `n` more bytes.
    pub fn ack(&self, n: usize) {
        let mut s = self.lock();
        s.unacked = s.unacked.saturating_sub(n);
        if s.paused && s.unacked < self.low {
            s.paused = false;
            self.room.notify_waiters();
        }
    }

    /// Bytes sent and not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.lock().unacked
    }

    fn sent(&self, n: usize) {
        let mut s = self.lock();
        s.unacked += n;
        if s.unacked > self.high {
            s.paused = true;
        }
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

/// Why [`pump`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PumpEnd {
    /// Both streams ended and every byte was handed on.
    Drained,
    /// `emit` refused a batch: nobody takes the output any more.
    UiGone,
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
    loop {
        credit.room().await;
        // The first chunk of a batch: wait as long as it takes.
        let first = match carry.take() {
            Some(c) => c,
            None => tokio::select! {
                c = stdout.recv(), if out_open => match c { Some(c) => c, None => { out_open = false; continue; } },
                c = stderr.recv(), if err_open => match c { Some(c) => c, None => { err_open = false; continue; } },
                else => return PumpEnd::Drained,
            },
        };
        let deadline = tokio::time::Instant::now() + cfg.max_delay;
        let mut batch: Option<BytesMut> = None;
        let mut single = Some(first);
        let mut size = single.as_ref().map_or(0, |c| c.len());
        // Join whatever arrives before the deadline, up to the batch size.
        while size < cfg.max_batch {
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
            if size + next.len() > cfg.max_batch {
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
        credit.sent(bytes.len());
        if !emit(bytes) {
            return PumpEnd::UiGone;
        }
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
}
