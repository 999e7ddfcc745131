//! Per-SIM caps over hour/day/month windows. Windows are calendar windows in the group's time
//! zone; their keys name the persisted counters (`SpoolDb::count_send`), so caps hold across
//! restarts. A capped SIM's port is simply not usable until the window rolls over.

use crate::spool::{WindowCounts, WindowKeys};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use smsgate_config::gateway::GroupConfig;

/// Caps of a group (`None` = no cap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps {
    /// Per clock hour.
    pub hour: Option<u32>,
    /// Per day.
    pub day: Option<u32>,
    /// Per calendar month.
    pub month: Option<u32>,
}

impl From<&GroupConfig> for Caps {
    fn from(g: &GroupConfig) -> Self {
        Caps {
            hour: g.max_per_hour,
            day: g.max_per_day,
            month: g.max_per_month,
        }
    }
}

/// Which window is exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// This hour.
    Hour,
    /// Today.
    Day,
    /// This month.
    Month,
}

/// Outcome of a cap check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapDecision {
    /// The SIM may send one more.
    Allowed,
    /// A window is full; the SIM may send again at `until`.
    Exhausted {
        /// The longest exhausted window.
        window: Window,
        /// Start of the next window.
        until: DateTime<Utc>,
    },
}

/// The counter keys of the windows containing `now` in `tz`. The hour key carries the UTC
/// offset so the repeated hour at a DST fall-back is a separate window.
pub fn window_keys(now: DateTime<Utc>, tz: Tz) -> WindowKeys {
    let local = now.with_timezone(&tz);
    WindowKeys {
        hour: format!("h:{}", local.format("%Y-%m-%dT%H%z")),
        day: format!("d:{}", local.format("%Y-%m-%d")),
        month: format!("m:{}", local.format("%Y-%m")),
    }
}

/// Whether one more send fits under `caps`, given the counts of the current windows.
pub fn check(counts: WindowCounts, caps: Caps, now: DateTime<Utc>, tz: Tz) -> CapDecision {
    let full = |cap: Option<u32>, n: u32| cap.is_some_and(|c| n >= c);
    let window = if full(caps.month, counts.month) {
        Window::Month
    } else if full(caps.day, counts.day) {
        Window::Day
    } else if full(caps.hour, counts.hour) {
        Window::Hour
    } else {
        return CapDecision::Allowed;
    };
    CapDecision::Exhausted {
        window,
        until: next_window_start(window, now, tz),
    }
}

/// Start (UTC) of the window after the one containing `now`.
pub fn next_window_start(window: Window, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    match window {
        Window::Hour => {
            let into_hour = Duration::minutes(i64::from(local.minute()))
                + Duration::seconds(i64::from(local.second()))
                + Duration::nanoseconds(i64::from(local.nanosecond()));
            now - into_hour + Duration::hours(1)
        }
        Window::Day => {
            let next = local.date_naive().succ_opt().unwrap_or(local.date_naive());
            local_day_start(next, tz)
        }
        Window::Month => {
            let (y, m) = if local.month() == 12 {
                (local.year() + 1, 1)
            } else {
                (local.year(), local.month() + 1)
            };
            let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(local.date_naive());
            local_day_start(first, tz)
        }
    }
}

/// The first existing instant of a local day (midnight, or later when a DST jump skips it).
pub fn local_day_start(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_time(chrono::NaiveTime::MIN);
    for _ in 0..48 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    // No zone skips 24 hours; fall back to reading the local time as UTC.
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn window_keys_follow_the_local_calendar_of_the_group() {
        // 2026-11-21 03:30 UTC is 22:30 on the 20th in New York (EST, -05:00).
        let k = window_keys(utc(2026, 11, 21, 3, 30), New_York);
        assert_eq!(k.hour, "h:2026-11-20T22-0500");
        assert_eq!(k.day, "d:2026-11-20");
        assert_eq!(k.month, "m:2026-11");
    }

    #[test]
    fn the_repeated_hour_at_a_dst_fall_back_is_a_separate_window() {
        // 2026-11-01: 01:xx happens twice in New York (EDT then EST).
        let a = window_keys(utc(2026, 11, 1, 5, 30), New_York);
        let b = window_keys(utc(2026, 11, 1, 6, 30), New_York);
        assert_ne!(a.hour, b.hour);
        assert_eq!(a.day, b.day);
    }

    #[test]
    fn a_sim_under_every_cap_may_send() {
        let caps = Caps {
            hour: Some(10),
            day: Some(100),
            month: None,
        };
        let counts = WindowCounts {
            hour: 9,
            day: 99,
            month: 5000,
        };
        assert_eq!(
            check(counts, caps, utc(2026, 1, 1, 0, 0), Tz::UTC),
            CapDecision::Allowed
        );
        assert_eq!(
            check(counts, Caps::default(), utc(2026, 1, 1, 0, 0), Tz::UTC),
            CapDecision::Allowed
        );
    }

    #[test]
    fn a_full_hour_waits_for_the_next_clock_hour() {
        let caps = Caps {
            hour: Some(10),
            ..Caps::default()
        };
        let d = check(
            WindowCounts {
                hour: 10,
                day: 10,
                month: 10,
            },
            caps,
            utc(2026, 3, 5, 14, 25),
            New_York,
        );
        assert_eq!(
            d,
            CapDecision::Exhausted {
                window: Window::Hour,
                until: utc(2026, 3, 5, 15, 0)
            }
        );
    }

    #[test]
    fn a_full_day_waits_for_local_midnight() {
        let caps = Caps {
            hour: Some(10),
            day: Some(20),
            ..Caps::default()
        };
        // 2026-03-05 14:25 UTC = 09:25 EST; next local midnight = 2026-03-06 05:00 UTC.
        let d = check(
            WindowCounts {
                hour: 10,
                day: 20,
                month: 20,
            },
            caps,
            utc(2026, 3, 5, 14, 25),
            New_York,
        );
        assert_eq!(
            d,
            CapDecision::Exhausted {
                window: Window::Day,
                until: utc(2026, 3, 6, 5, 0)
            }
        );
    }

    #[test]
    fn a_full_month_waits_for_the_first_of_next_month_across_a_year_end() {
        let caps = Caps {
            month: Some(3),
            ..Caps::default()
        };
        let d = check(
            WindowCounts {
                hour: 0,
                day: 0,
                month: 3,
            },
            caps,
            utc(2026, 12, 15, 0, 0),
            Tz::UTC,
        );
        assert_eq!(
            d,
            CapDecision::Exhausted {
                window: Window::Month,
                until: utc(2027, 1, 1, 0, 0)
            }
        );
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_its_first_existing_instant() {
        // America/Santiago skipped 00:00-01:00 on 2026-09-06 (DST start at midnight).
        let start = local_day_start(
            NaiveDate::from_ymd_opt(2026, 9, 6).unwrap(),
            chrono_tz::America::Santiago,
        );
        let local = start.with_timezone(&chrono_tz::America::Santiago);
        assert_eq!(
            local.date_naive(),
            NaiveDate::from_ymd_opt(2026, 9, 6).unwrap()
        );
        assert!(local.hour() <= 1);
    }
}
