//! The pure rule of a campaign slice on one port: given what the gateway holds and what is in
//! flight, when it may release the next recipient into the spool queue. No I/O; the runner
//! ([`super::run`]) reads the facts, asks [`next`] and does what it says.
//!
//! - Nothing is released while the slice is halted, outside every window, or after
//!   `expires_at` (then what is held expires).
//! - With an interval, one recipient at a time: the next one only when the previous one has
//!   left the queue (sent, failed, blocked) and `interval_ms` has passed since it left (the
//!   spool keeps `last_release` at that moment, [`crate::spool::SpoolDb::campaign_pass`]),
//!   so the interval holds between the sends themselves even when a message waited in the
//!   port's queue behind live traffic or the port's own pace.
//! - At interval 0, up to [`WINDOW_FAST`] in the queue at once (the port's own pacing, caps
//!   and sending hours still apply when it sends them).
//! - A release never starts at or after the end of the window it falls in.
//!
//! Campaigns sharing a port ([`steps`]): **the higher priority goes first** — while a slice of
//! a higher priority contends for the port (it holds recipients, inside a window, not
//! expired), a lower one releases nothing (its messages already in the queue stay there,
//! below the higher ones in the spool's order); **equal priorities share fairly** — their
//! interval-paced slices keep their own pace, and those at interval 0 share one fast window
//! of [`WINDOW_FAST`] per port and priority (everything of that priority in the queue
//! counts), each free place going to the slice with the fewest in the queue (ties: the one
//! that released least recently), so they take turns.

use chrono::{DateTime, Duration, Utc};
use smsgate_wire::Window;

/// Recipients of one slice in the spool queue at once at interval 0.
pub const WINDOW_FAST: u64 = 32;

/// How a slice is to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pace {
    pub interval_ms: u64,
    /// Among the campaigns on one port: higher first.
    pub priority: i32,
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
    /// When the last recipient was released; at an interval, when the last released one left
    /// the queue, if that was later.
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

/// One slice as the port rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct OnPort<'a> {
    pub port: u16,
    pub pace: &'a Pace,
    pub progress: Progress,
}

/// Whether a slice contends for its port at `now`: it holds recipients, inside a window,
/// neither halted nor expired (whatever its interval or queue lets it do this instant).
fn contends(s: &OnPort<'_>, now: DateTime<Utc>) -> bool {
    !s.pace.halted
        && s.progress.held > 0
        && s.pace.expires_at.is_none_or(|e| now < e)
        && s.pace.windows.iter().any(|w| w.contains(now))
}

/// The step of each slice in `slices` (same order) at `now`: [`next`] for each, then the
/// port rule of the module (priority first, equal priorities sharing the fast window).
pub fn steps(slices: &[OnPort<'_>], now: DateTime<Utc>) -> Vec<Step> {
    let mut out: Vec<Step> = slices
        .iter()
        .map(|s| next(s.pace, s.progress, now))
        .collect();
    let mut ports: Vec<u16> = slices.iter().map(|s| s.port).collect();
    ports.sort_unstable();
    ports.dedup();
    for port in ports {
        let contending: Vec<usize> = (0..slices.len())
            .filter(|&i| slices[i].port == port && contends(&slices[i], now))
            .collect();
        let Some(top) = contending.iter().map(|&i| slices[i].pace.priority).max() else {
            continue;
        };
        let (first, below): (Vec<usize>, Vec<usize>) = contending
            .into_iter()
            .partition(|&i| slices[i].pace.priority == top);
        for i in below {
            // Woken again when the higher slice's sends end or its window closes.
            out[i] = Step::Idle;
        }
        let fast: Vec<usize> = first
            .iter()
            .copied()
            .filter(|&i| slices[i].pace.interval_ms == 0)
            .collect();
        if fast.is_empty() {
            continue;
        }
        // Everything of this priority in the port's queue counts, also of slices that hold
        // nothing more.
        let queued: u64 = (0..slices.len())
            .filter(|&i| slices[i].port == port && slices[i].pace.priority == top)
            .map(|i| slices[i].progress.in_flight)
            .sum();
        let mut given = vec![0u64; fast.len()];
        for _ in 0..WINDOW_FAST.saturating_sub(queued) {
            let pick = (0..fast.len())
                .filter(|&k| given[k] < slices[fast[k]].progress.held)
                .min_by_key(|&k| {
                    let s = &slices[fast[k]];
                    (s.progress.in_flight + given[k], s.progress.last_release, k)
                });
            let Some(k) = pick else { break };
            given[k] += 1;
        }
        for (k, &i) in fast.iter().enumerate() {
            out[i] = if given[k] > 0 {
                Step::Release(given[k])
            } else {
                Step::Idle
            };
        }
    }
    out
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
            priority: 0,
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

    // --- campaigns sharing a port

    fn slice(port: u16, priority: i32, interval_ms: u64) -> (u16, Pace) {
        (
            port,
            Pace {
                priority,
                ..pace(interval_ms)
            },
        )
    }

    fn progress(held: u64, in_flight: u64, last: Option<DateTime<Utc>>) -> Progress {
        Progress {
            held,
            in_flight,
            last_release: last,
        }
    }

    /// A slice of a table: `(port, pace)` and its progress.
    type Row = ((u16, Pace), Progress);

    /// The steps of the slices at `now`.
    fn on_port(table: &[Row], now: DateTime<Utc>) -> Vec<Step> {
        let v: Vec<OnPort<'_>> = table
            .iter()
            .map(|((port, pace), progress)| OnPort {
                port: *port,
                pace,
                progress: *progress,
            })
            .collect();
        steps(&v, now)
    }

    #[test]
    fn on_a_shared_port_the_higher_priority_goes_first_and_the_lower_waits() {
        use Step::*;
        let now = t(10, 0, 0);
        let table: Vec<(Vec<Row>, Vec<Step>, &str)> = vec![
            (
                vec![(slice(0, 1, 0), held(100)), (slice(0, 5, 0), held(100))],
                vec![Idle, Release(WINDOW_FAST)],
                "interval 0: only the higher fills the queue",
            ),
            (
                vec![
                    (slice(0, 5, 5000), progress(10, 0, Some(t(9, 59, 58)))),
                    (slice(0, 1, 0), held(100)),
                ],
                vec![WaitUntil(t(10, 0, 3)), Idle],
                "the higher waiting for its interval still goes first",
            ),
            (
                vec![
                    (slice(0, 5, 0), progress(10, WINDOW_FAST, None)),
                    (slice(0, 1, 0), held(100)),
                ],
                vec![Idle, Idle],
                "the higher's full queue keeps the lower waiting",
            ),
            (
                vec![
                    (slice(0, 5, 0), progress(0, 7, None)),
                    (slice(0, 1, 0), held(100)),
                ],
                vec![Idle, Release(WINDOW_FAST)],
                "a higher that holds nothing more lets the lower go",
            ),
            (
                vec![(slice(0, 5, 0), held(100)), (slice(1, 1, 0), held(100))],
                vec![Release(WINDOW_FAST), Release(WINDOW_FAST)],
                "campaigns on different ports do not wait for each other",
            ),
            (
                vec![(slice(0, -3, 1000), held(5)), (slice(0, -7, 1000), held(5))],
                vec![Release(1), Idle],
                "negative priorities order the same way",
            ),
        ];
        for (slices, want, why) in table {
            assert_eq!(on_port(&slices, now), want, "{why}");
        }
    }

    #[test]
    fn a_higher_campaign_outside_its_window_or_past_its_validity_leaves_the_port_to_the_lower() {
        let now = t(13, 0, 0);
        let mut closed = slice(0, 9, 0);
        closed.1.windows = vec![Window {
            from: t(9, 0, 0),
            until: t(12, 0, 0),
        }];
        let mut all_day = slice(0, 1, 0);
        all_day.1.windows = vec![Window {
            from: t(0, 0, 0),
            until: t(23, 0, 0),
        }];
        assert_eq!(
            on_port(&[(closed, held(50)), (all_day.clone(), held(50))], now),
            vec![Step::Idle, Step::Release(WINDOW_FAST)]
        );
        let mut expired = slice(0, 9, 0);
        expired.1.windows = all_day.1.windows.clone();
        expired.1.expires_at = Some(t(12, 0, 0));
        assert_eq!(
            on_port(&[(expired, held(50)), (all_day, held(50))], now),
            vec![Step::Expire, Step::Release(WINDOW_FAST)]
        );
    }

    #[test]
    fn equal_priorities_at_interval_zero_share_the_ports_fast_window_fairly() {
        use Step::*;
        let now = t(10, 0, 0);
        let half = WINDOW_FAST / 2;
        let table: Vec<(Vec<Progress>, Vec<Step>, &str)> = vec![
            (
                vec![held(100), held(100)],
                vec![Release(half), Release(half)],
                "half each from an empty queue",
            ),
            (
                vec![progress(100, 20, None), held(100)],
                vec![Idle, Release(WINDOW_FAST - 20)],
                "the free places go to the one with fewer in the queue",
            ),
            (
                vec![progress(100, 10, None), held(100)],
                vec![Release(6), Release(16)],
                "it catches up, then they alternate",
            ),
            (
                vec![held(3), held(100)],
                vec![Release(3), Release(WINDOW_FAST - 3)],
                "what one cannot use goes to the other",
            ),
            (
                vec![
                    progress(100, 10, Some(t(9, 59, 59))),
                    progress(100, 10, Some(t(9, 59, 50))),
                    progress(100, 11, Some(t(9, 59, 40))),
                ],
                vec![Idle, Release(1), Idle],
                "a tie goes to the one that released least recently",
            ),
            (
                vec![progress(100, 16, None), progress(100, 16, None)],
                vec![Idle, Idle],
                "a full shared window waits for a send to finish",
            ),
        ];
        for (progress, want, why) in table {
            let slices: Vec<Row> = progress.into_iter().map(|p| (slice(0, 4, 0), p)).collect();
            assert_eq!(on_port(&slices, now), want, "{why}");
        }
    }

    #[test]
    fn equal_priorities_with_an_interval_keep_their_own_pace_side_by_side() {
        let now = t(10, 0, 0);
        let slices = [
            (slice(0, 2, 1000), held(5)),
            (slice(0, 2, 3000), progress(5, 0, Some(t(9, 59, 59)))),
        ];
        assert_eq!(
            on_port(&slices, now),
            vec![Step::Release(1), Step::WaitUntil(t(10, 0, 2))]
        );
    }

    #[test]
    fn two_equal_campaigns_take_turns_as_the_port_sends_one_at_a_time() {
        // The port sends the oldest queued message (the spool's order within one priority);
        // each pass refills the shared window.
        let now = t(10, 0, 0);
        let mut left = [200u64, 200];
        let mut queue: std::collections::VecDeque<usize> = Default::default();
        let mut sent = Vec::new();
        for _ in 0..100 {
            let in_flight = |c: usize| queue.iter().filter(|&&q| q == c).count() as u64;
            let slices = [
                (slice(0, 0, 0), progress(left[0], in_flight(0), None)),
                (slice(0, 0, 0), progress(left[1], in_flight(1), None)),
            ];
            for (c, step) in on_port(&slices, now).into_iter().enumerate() {
                if let Step::Release(n) = step {
                    left[c] -= n;
                    queue.extend(std::iter::repeat_n(c, n as usize));
                }
            }
            assert!(queue.len() as u64 <= WINDOW_FAST);
            sent.extend(queue.pop_front());
        }
        let longest_run = sent
            .chunk_by(|a, b| a == b)
            .map(|run| run.len() as u64)
            .max();
        assert_eq!(
            longest_run,
            Some(WINDOW_FAST / 2),
            "turns of half the window"
        );
        let first = sent.iter().filter(|&&c| c == 0).count() as u64;
        assert!(
            first.abs_diff(100 - first) <= WINDOW_FAST / 2,
            "{first} of 100"
        );
    }

    #[test]
    fn every_combination_on_a_port_releases_nothing_below_the_top_priority_and_caps_the_fast_window()
     {
        let now = t(10, 0, 0);
        for pa in [0, 1] {
            for pb in [0, 1] {
                for fa in [0, 1, 20, WINDOW_FAST] {
                    for fb in [0, 1, 20] {
                        for (ha, hb) in [(0, 5), (5, 0), (50, 50), (1, 100)] {
                            let slices = [
                                (slice(0, pa, 0), progress(ha, fa, None)),
                                (slice(0, pb, 0), progress(hb, fb, None)),
                            ];
                            let got = on_port(&slices, now);
                            let n = |s: &Step| if let Step::Release(n) = s { *n } else { 0 };
                            let top = [(pa, ha), (pb, hb)]
                                .iter()
                                .filter(|(_, h)| *h > 0)
                                .map(|(p, _)| *p)
                                .max();
                            for (k, (p, h)) in [(pa, ha), (pb, hb)].into_iter().enumerate() {
                                assert!(n(&got[k]) <= h);
                                if Some(p) != top {
                                    assert_eq!(n(&got[k]), 0, "{pa} {pb} {fa} {fb} {ha} {hb}");
                                }
                            }
                            if pa == pb {
                                assert!(
                                    n(&got[0]) + n(&got[1]) + fa + fb <= WINDOW_FAST.max(fa + fb)
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
