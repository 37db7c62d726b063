//! A transfer's rate as a UI shows it: bytes a second over the last couple of seconds (a
//! sliding window, so a stall shows at once and a burst does not last), and the average over
//! the whole transfer once it ended.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The rate is measured over about this long.
pub const RATE_WINDOW: Duration = Duration::from_secs(2);

/// Samples of (time, bytes done) within [`RATE_WINDOW`] (and at least two).
#[derive(Debug, Clone)]
pub struct Rate {
    samples: VecDeque<(Instant, u64)>,
}

impl Rate {
    /// A transfer that started at `started` with nothing done.
    pub fn new(started: Instant) -> Rate {
        Rate {
            samples: VecDeque::from([(started, 0)]),
        }
    }

    /// `done` bytes at `now`: the rate in bytes a second over the window.
    pub fn sample(&mut self, now: Instant, done: u64) -> u64 {
        self.samples.push_back((now, done));
        while self.samples.len() > 2
            && now.saturating_duration_since(self.samples[0].0) > RATE_WINDOW
        {
            self.samples.pop_front();
        }
        let (t0, b0) = self.samples[0];
        per_second(done.saturating_sub(b0), now.saturating_duration_since(t0))
    }
}

/// The average rate of `bytes` over `elapsed` (a millisecond at least).
pub fn average(bytes: u64, elapsed: Duration) -> u64 {
    per_second(bytes, elapsed.max(Duration::from_millis(1)))
}

fn per_second(bytes: u64, over: Duration) -> u64 {
    let secs = over.as_secs_f64();
    if secs > 0.0 {
        (bytes as f64 / secs) as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_follows_the_last_two_seconds() {
        let t = Instant::now();
        let s = |ms: u64| t + Duration::from_millis(ms);
        let mut r = Rate::new(t);
        // 1 MB in the first second.
        assert_eq!(r.sample(s(1000), 1_000_000), 1_000_000);
        // Then a stall: the early burst leaves the window and the rate falls to nothing.
        r.sample(s(2000), 1_000_000);
        r.sample(s(3000), 1_000_000);
        assert_eq!(r.sample(s(4500), 1_000_000), 0);
        // Back at 2 MB/s: the window holds only the new pace (and its last stalled sample).
        r.sample(s(5000), 2_000_000);
        assert_eq!(r.sample(s(6000), 4_000_000), 2_000_000);
        // A sample at the same instant as the start says nothing rather than dividing by 0.
        assert_eq!(Rate::new(t).sample(t, 5), 0);
    }

    #[test]
    fn the_average_never_divides_by_zero() {
        assert_eq!(average(4_000, Duration::from_secs(2)), 2_000);
        assert_eq!(average(5, Duration::ZERO), 5_000);
    }
}
