//! Allowed sending hours in a time zone. Outside the window messages stay queued (they do not
//! fail); the dispatcher sleeps until the returned opening instant.

use super::caps::local_day_start;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use smsgate_config::gateway::SendingHours;

/// Outcome of an hours check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoursDecision {
    /// Sending is allowed now.
    Open,
    /// Wait; sending opens at this instant.
    ClosedUntil(DateTime<Utc>),
}

/// Whether `now` is inside `hours` (start inclusive, end exclusive; a window whose end is
/// before its start spans midnight). `None` = any hour.
pub fn check(hours: Option<SendingHours>, tz: Tz, now: DateTime<Utc>) -> HoursDecision {
    let Some(h) = hours else {
        return HoursDecision::Open;
    };
    let local = now.with_timezone(&tz);
    let t = local.time();
    let open = if h.start < h.end {
        h.start <= t && t < h.end
    } else {
        t >= h.start || t < h.end
    };
    if open {
        return HoursDecision::Open;
    }
    let today = local.date_naive();
    let day = if t < h.start {
        today
    } else {
        today.succ_opt().unwrap_or(today)
    };
    HoursDecision::ClosedUntil(local_instant(day, h.start, tz))
}

/// The instant a local wall time first happens (pushed forward through a DST gap).
fn local_instant(day: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut t = day.and_time(time);
    for _ in 0..8 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    local_day_start(day, tz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn hours(s: &str) -> Option<SendingHours> {
        Some(SendingHours::try_from(s.to_string()).unwrap())
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn without_sending_hours_every_instant_is_open() {
        assert_eq!(
            check(None, New_York, utc(2026, 1, 1, 3, 0)),
            HoursDecision::Open
        );
    }

    #[test]
    fn inside_the_local_window_sending_is_open_with_start_inclusive_and_end_exclusive() {
        // EST = UTC-5: 08:00 local = 13:00 UTC, 20:00 local = 01:00 UTC next day.
        let h = hours("08:00-20:00");
        assert_eq!(
            check(h, New_York, utc(2026, 1, 10, 13, 0)),
            HoursDecision::Open
        );
        assert_eq!(
            check(h, New_York, utc(2026, 1, 11, 0, 59)),
            HoursDecision::Open
        );
        assert_eq!(
            check(h, New_York, utc(2026, 1, 11, 1, 0)),
            HoursDecision::ClosedUntil(utc(2026, 1, 11, 13, 0))
        );
    }

    #[test]
    fn before_opening_the_message_waits_until_opening_the_same_day() {
        let h = hours("08:00-20:00");
        // 06:00 local
        assert_eq!(
            check(h, New_York, utc(2026, 1, 10, 11, 0)),
            HoursDecision::ClosedUntil(utc(2026, 1, 10, 13, 0))
        );
    }

    #[test]
    fn a_window_spanning_midnight_is_open_on_both_sides_of_it() {
        let h = hours("22:00-06:00");
        assert_eq!(
            check(h, Tz::UTC, utc(2026, 1, 10, 23, 0)),
            HoursDecision::Open
        );
        assert_eq!(
            check(h, Tz::UTC, utc(2026, 1, 10, 2, 0)),
            HoursDecision::Open
        );
        assert_eq!(
            check(h, Tz::UTC, utc(2026, 1, 10, 12, 0)),
            HoursDecision::ClosedUntil(utc(2026, 1, 10, 22, 0))
        );
    }

    #[test]
    fn an_opening_time_inside_a_dst_gap_opens_at_the_first_existing_instant() {
        // 2026-03-08 02:00-03:00 does not exist in New York.
        let h = hours("02:30-20:00");
        let d = check(h, New_York, utc(2026, 3, 8, 5, 0)); // 00:00 EST
        assert_eq!(d, HoursDecision::ClosedUntil(utc(2026, 3, 8, 7, 0))); // 03:00 EDT
    }

    #[test]
    fn after_closing_across_the_dst_change_the_next_opening_uses_the_new_offset() {
        let h = hours("08:00-20:00");
        // 2026-03-07 21:00 EST (02:00 UTC on the 8th) -> opens 08:00 EDT = 12:00 UTC.
        assert_eq!(
            check(h, New_York, utc(2026, 3, 8, 2, 0)),
            HoursDecision::ClosedUntil(utc(2026, 3, 8, 12, 0))
        );
    }
}
