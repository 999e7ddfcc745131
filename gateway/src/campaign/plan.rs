//! The pure rule of a campaign slice on one port: given what the gateway holds and what is in
//! flight, when it may release the next recipient into the spool queue. No I/O; the runner
//! ([`super::run`]) reads the facts, asks [`next`] and does what it says.
//!
//! - Nothing is released while the slice is halted, outside every window, or after
//!   `expires_at` (then what is held expires).
//! - With an interval, one recipient at a time: the next one only when the previous one has
//!   left the queue (sent, failed, blocked) and `interval_ms` has passed since it was released.
//! - At interval 0, up to [`WINDOW_FAST`] in the queue at once (the port's own pacing, caps
//!   and sending hours still apply when it sends them).
//! - A release never starts at or after the end of the window it falls in.

use chrono::{DateTime, Duration, Utc};
use smsgate_wire::Window;

/// Recipients of one slice in the spool queue at once at interval 0.
pub const WINDOW_FAST: u64 = 32;

/// How a slice is to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pace {
    pub interval_ms: u64,
    pub windows: Vec<Window>,
    pub expires_at: Option<DateTime<Utc>>,
    pub halted: bool,
}

/// What the spool holds of a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Recipients not yet released.
    pub held: u64,
    /// Released recipients still queued or being sent.
    pub in_flight: u64,
    /// When the last recipient was released.
    pub last_release: Option<DateTime<Utc>>,
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Release this many recipients now.
    Release(u64),
    /// Report every held recipient expired.
    Expire,
    /// Nothing before this instant (a window opens, the interval ends).
    WaitUntil(DateTime<Utc>),
    /// Nothing until something changes (a release leaves the queue, a batch or halt arrives).
    Idle,
}

/// The step for `pace` and `progress` at `now` (see the module rule).
pub fn next(pace: &Pace, progress: Progress, now: DateTime<Utc>) -> Step {
    if pace.halted || progress.held == 0 {
        return Step::Idle;
    }
    if pace.expires_at.is_some_and(|e| now >= e) {
        return Step::Expire;
    }
    if !pace.windows.iter().any(|w| w.contains(now)) {
        return match pace
            .windows
            .iter()
            .map(|w| w.from)
            .filter(|f| *f > now)
            .min()
        {
            Some(t) => Step::WaitUntil(t),
            None => Step::Idle,
        };
    }
    if pace.interval_ms == 0 {
        let room = WINDOW_FAST.saturating_sub(progress.in_flight);
        return if room == 0 {
            Step::Idle
        } else {
            Step::Release(room.min(progress.held))
        };
    }
    if progress.in_flight > 0 {
        return Step::Idle;
    }
    let interval = Duration::milliseconds(i64::try_from(pace.interval_ms).unwrap_or(i64::MAX));
    match progress.last_release.map(|t| t + interval) {
        Some(due) if due > now => Step::WaitUntil(due),
        _ => Step::Release(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, s).unwrap()
    }

    fn pace(interval_ms: u64) -> Pace {
        Pace {
            interval_ms,
            windows: vec![
                Window {
                    from: t(9, 0, 0),
                    until: t(12, 0, 0),
                },
                Window {
                    from: t(14, 0, 0),
                    until: t(18, 0, 0),
                },
            ],
            expires_at: Some(t(20, 0, 0)),
            halted: false,
        }
    }

    fn held(n: u64) -> Progress {
        Progress {
            held: n,
            ..Progress::default()
        }
    }

    #[test]
    fn a_halted_slice_releases_nothing_whatever_it_holds() {
        let p = Pace {
            halted: true,
            ..pace(0)
        };
        assert_eq!(next(&p, held(100), t(10, 0, 0)), Step::Idle);
    }

    #[test]
    fn an_empty_slice_has_nothing_to_do() {
        assert_eq!(next(&pace(0), held(0), t(10, 0, 0)), Step::Idle);
    }

    #[test]
    fn before_the_first_window_it_waits_for_the_window_to_open() {
        assert_eq!(
            next(&pace(0), held(5), t(8, 0, 0)),
            Step::WaitUntil(t(9, 0, 0))
        );
    }

    #[test]
    fn between_two_windows_it_waits_for_the_next_one() {
        assert_eq!(
            next(&pace(1000), held(5), t(12, 0, 0)),
            Step::WaitUntil(t(14, 0, 0)),
            "the end of a window is outside it"
        );
    }

    #[test]
    fn after_the_last_window_it_waits_for_the_hub_to_send_more_windows() {
        let p = Pace {
            expires_at: None,
            ..pace(0)
        };
        assert_eq!(next(&p, held(5), t(19, 0, 0)), Step::Idle);
    }

    #[test]
    fn past_its_validity_what_is_held_expires_even_inside_a_window() {
        let p = Pace {
            expires_at: Some(t(10, 0, 0)),
            ..pace(0)
        };
        assert_eq!(next(&p, held(5), t(10, 0, 0)), Step::Expire);
        assert_eq!(next(&p, held(5), t(9, 59, 59)), Step::Release(5));
    }

    #[test]
    fn at_interval_zero_it_fills_the_queue_up_to_the_fast_window() {
        assert_eq!(
            next(&pace(0), held(1000), t(10, 0, 0)),
            Step::Release(WINDOW_FAST)
        );
        let p = Progress {
            held: 1000,
            in_flight: 30,
            last_release: Some(t(10, 0, 0)),
        };
        assert_eq!(next(&pace(0), p, t(10, 0, 0)), Step::Release(2));
    }

    #[test]
    fn at_interval_zero_a_full_queue_waits_for_a_send_to_finish() {
        let p = Progress {
            held: 10,
            in_flight: WINDOW_FAST,
            last_release: None,
        };
        assert_eq!(next(&pace(0), p, t(10, 0, 0)), Step::Idle);
    }

    #[test]
    fn at_interval_zero_it_never_releases_more_than_it_holds() {
        assert_eq!(next(&pace(0), held(3), t(10, 0, 0)), Step::Release(3));
    }

    #[test]
    fn with_an_interval_the_first_recipient_goes_at_once() {
        assert_eq!(next(&pace(5000), held(3), t(10, 0, 0)), Step::Release(1));
    }

    #[test]
    fn with_an_interval_the_next_waits_while_the_previous_is_in_the_queue() {
        let p = Progress {
            held: 3,
            in_flight: 1,
            last_release: Some(t(9, 0, 0)),
        };
        assert_eq!(next(&pace(5000), p, t(10, 0, 0)), Step::Idle);
    }

    #[test]
    fn with_an_interval_the_next_waits_for_the_interval_after_the_last_release() {
        let p = Progress {
            held: 3,
            in_flight: 0,
            last_release: Some(t(10, 0, 0)),
        };
        assert_eq!(
            next(&pace(5000), p, t(10, 0, 2)),
            Step::WaitUntil(t(10, 0, 5))
        );
        assert_eq!(next(&pace(5000), p, t(10, 0, 5)), Step::Release(1));
    }

    #[test]
    fn every_combination_releases_only_inside_a_window_and_never_when_halted() {
        let times: Vec<DateTime<Utc>> = (0..24).map(|h| t(h, 30, 0)).collect();
        for interval in [0, 1000] {
            for halted in [false, true] {
                for h in [0, 1, 50] {
                    for in_flight in [0, 1, WINDOW_FAST] {
                        for now in &times {
                            let p = Pace {
                                halted,
                                ..pace(interval)
                            };
                            let pr = Progress {
                                held: h,
                                in_flight,
                                last_release: None,
                            };
                            if let Step::Release(n) = next(&p, pr, *now) {
                                assert!(!halted && n >= 1 && n <= h);
                                assert!(p.windows.iter().any(|w| w.contains(*now)));
                                assert!(p.expires_at.is_none_or(|e| *now < e));
                                let cap = if interval == 0 { WINDOW_FAST } else { 1 };
                                assert!(in_flight + n <= cap);
                            }
                        }
                    }
                }
            }
        }
    }
}
