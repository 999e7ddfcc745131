//! [`Throttle`]: log a repeated warning once per interval, with a count (pure, no I/O, no clock).
//!
//! A URC storm, a modem that answers every sweep with the same undecodable slot, a link that
//! flaps: each would write one warning per occurrence. A throttle turns them into one line
//! when the first one happens, then at most one line per interval saying how many more came,
//! and a last line (on [`Throttle::flush`]) when they stop.
//!
//! ```
//! use smsgate_at::Throttle;
//! use std::time::{Duration, Instant};
//! let t0 = Instant::now();
//! let mut t = Throttle::new(Duration::from_secs(30));
//! assert_eq!(t.hit(t0), Some(1)); // the first one is logged at once
//! for _ in 0..999 {
//!     assert_eq!(t.hit(t0), None); // then counted
//! }
//! assert_eq!(t.hit(t0 + Duration::from_secs(30)), Some(1000)); // one line per interval
//! assert_eq!(t.flush(), None); // nothing left over
//! ```

use std::time::{Duration, Instant};

/// Counts occurrences of one warning and says when to log (see the module docs).
#[derive(Debug, Clone)]
pub struct Throttle {
    interval: Duration,
    window_start: Option<Instant>,
    /// Occurrences since the last line that said so.
    unreported: u64,
    /// Occurrences ever.
    total: u64,
}

impl Throttle {
    /// A throttle that logs at most once per `interval`.
    pub fn new(interval: Duration) -> Self {
        Throttle {
            interval,
            window_start: None,
            unreported: 0,
            total: 0,
        }
    }

    /// One more occurrence at `now`. `Some(n)`: log now, saying `n` occurrences happened since
    /// the last line (this one included); `None`: counted, stay quiet.
    pub fn hit(&mut self, now: Instant) -> Option<u64> {
        self.total += 1;
        self.unreported += 1;
        let due = match self.window_start {
            None => true,
            Some(start) => now.saturating_duration_since(start) >= self.interval,
        };
        if due {
            self.window_start = Some(now);
            Some(std::mem::take(&mut self.unreported))
        } else {
            None
        }
    }

    /// The occurrences not logged yet (the storm ended): `Some(n)` once, then `None` until the
    /// next [`hit`](Self::hit). The next occurrence after a flush is logged at once.
    pub fn flush(&mut self) -> Option<u64> {
        self.window_start = None;
        let n = std::mem::take(&mut self.unreported);
        (n > 0).then_some(n)
    }

    /// Occurrences counted since the throttle was made.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_first_occurrence_is_logged_at_once_and_the_next_ones_are_counted() {
        let t0 = Instant::now();
        let mut t = Throttle::new(10 * S);
        assert_eq!(t.hit(t0), Some(1));
        assert_eq!(t.hit(t0 + S), None);
        assert_eq!(t.hit(t0 + 9 * S), None);
        assert_eq!(t.total(), 3);
    }

    #[test]
    fn a_storm_logs_one_line_per_interval_with_the_count_since_the_last_line() {
        let t0 = Instant::now();
        let mut t = Throttle::new(10 * S);
        let mut lines = Vec::new();
        for i in 0..50_000u32 {
            // 50,000 occurrences over 25 s.
            let now = t0 + Duration::from_micros(u64::from(i) * 500);
            if let Some(n) = t.hit(now) {
                lines.push(n);
            }
        }
        lines.extend(t.flush());
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines.iter().sum::<u64>(), 50_000);
    }

    #[test]
    fn a_flush_reports_what_was_left_over_once_and_the_next_occurrence_logs_at_once() {
        let t0 = Instant::now();
        let mut t = Throttle::new(10 * S);
        t.hit(t0);
        t.hit(t0 + S);
        t.hit(t0 + 2 * S);
        assert_eq!(t.flush(), Some(2));
        assert_eq!(t.flush(), None);
        assert_eq!(t.hit(t0 + 3 * S), Some(1));
    }

    #[test]
    fn a_clock_that_goes_backwards_never_panics_and_stays_quiet() {
        let t0 = Instant::now() + 100 * S;
        let mut t = Throttle::new(10 * S);
        assert_eq!(t.hit(t0), Some(1));
        assert_eq!(t.hit(t0 - 50 * S), None);
    }
}
