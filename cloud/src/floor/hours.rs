//! Opening hours and quiet hours in a time zone (pure: the caller gives the instant).
//!
//! Opening hours list intervals per weekday (`09:00`–`17:30`; several per day allowed; a day
//! without one is closed). Quiet hours are one daily interval that may wrap midnight
//! (`22:00`–`07:00`). Times are local to the IANA zone; daylight-saving gaps and overlaps are
//! handled by reading the wall clock of the instant, so nothing needs resolving.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Day of the week (`mon` … `sun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub(crate) fn of(w: Weekday) -> Day {
        match w {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }
}

/// One opening interval of a weekday, local time, `open` < `close` (`"24:00"` allowed as close).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Interval {
    pub day: Day,
    /// `HH:MM`
    pub open: String,
    /// `HH:MM` (`24:00` = end of the day)
    pub close: String,
}

/// Opening hours of a queue or a channel, and the reply sent outside them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OpeningHours {
    /// IANA time zone (`Europe/Paris`).
    pub timezone: String,
    /// When it is open; an empty list means always closed.
    pub intervals: Vec<Interval>,
    /// Sent once per conversation when a message arrives outside the hours.
    pub reply: String,
}

/// A daily quiet period during which no notification goes out (deferred to its end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuietHours {
    pub timezone: String,
    /// `HH:MM`, local.
    pub start: String,
    /// `HH:MM`, local; before `start` means the period wraps midnight.
    pub end: String,
}

/// A field that does not read, named as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct HoursError {
    pub field: String,
    pub reason: String,
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> HoursError {
    HoursError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Minutes since midnight of `HH:MM` (`24:00` = 1440 when `end_of_day`); `None` if not a time.
pub(crate) fn clock_minutes(s: &str, end_of_day: bool) -> Option<u32> {
    if end_of_day && s == "24:00" {
        return Some(24 * 60);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .ok()
        .map(|t| t.hour() * 60 + t.minute())
}

/// [`clock_minutes`], or the error naming `field`.
fn minutes(field: &str, s: &str, end_of_day: bool) -> Result<u32, HoursError> {
    clock_minutes(s, end_of_day).ok_or_else(|| {
        err(
            field,
            format!("{s:?} is not a time (HH:MM, 00:00 to 23:59)"),
        )
    })
}

/// The zone, or an error naming `field`.
pub fn zone(field: &str, tz: &str) -> Result<Tz, HoursError> {
    tz.parse::<Tz>().map_err(|_| {
        err(
            field,
            format!("{tz:?} is not an IANA time zone (e.g. Europe/Paris)"),
        )
    })
}

fn local_minutes(tz: Tz, at: DateTime<Utc>) -> (Day, u32) {
    let l = tz.from_utc_datetime(&at.naive_utc());
    (Day::of(l.weekday()), l.hour() * 60 + l.minute())
}

impl OpeningHours {
    /// Checks every field (`prefix` names the object, e.g. `hours`).
    pub fn validate(&self, prefix: &str) -> Result<(), HoursError> {
        zone(&format!("{prefix}.timezone"), &self.timezone)?;
        for (i, iv) in self.intervals.iter().enumerate() {
            let f = |k: &str| format!("{prefix}.intervals[{i}].{k}");
            let open = minutes(&f("open"), &iv.open, false)?;
            let close = minutes(&f("close"), &iv.close, true)?;
            if close <= open {
                return Err(err(f("close"), "must be after open"));
            }
        }
        if self.reply.trim().is_empty() {
            return Err(err(format!("{prefix}.reply"), "must not be empty"));
        }
        Ok(())
    }

    /// Whether `at` falls inside the hours (an invalid entry counts as closed).
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let Ok(tz) = self.timezone.parse::<Tz>() else {
            return false;
        };
        let (day, m) = local_minutes(tz, at);
        self.intervals.iter().any(|iv| {
            iv.day == day
                && matches!(
                    (minutes("", &iv.open, false), minutes("", &iv.close, true)),
                    (Ok(o), Ok(c)) if o <= m && m < c
                )
        })
    }
}

impl QuietHours {
    pub fn validate(&self, prefix: &str) -> Result<(), HoursError> {
        zone(&format!("{prefix}.timezone"), &self.timezone)?;
        let s = minutes(&format!("{prefix}.start"), &self.start, false)?;
        let e = minutes(&format!("{prefix}.end"), &self.end, false)?;
        if s == e {
            return Err(err(format!("{prefix}.end"), "must differ from start"));
        }
        Ok(())
    }

    /// When the quiet period containing `at` ends, or `None` when `at` is not in one.
    pub fn ends_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tz = self.timezone.parse::<Tz>().ok()?;
        let s = minutes("", &self.start, false).ok()?;
        let e = minutes("", &self.end, false).ok()?;
        let (_, m) = local_minutes(tz, at);
        let quiet = if s < e {
            s <= m && m < e
        } else {
            m >= s || m < e
        };
        if !quiet {
            return None;
        }
        // The local day the period ends on, its `end` read in the zone: across a DST change
        // that night the wall clock and the elapsed time differ by the shift (counting
        // minutes on the wall clock would end an hour late in spring, early in autumn).
        let local = tz.from_utc_datetime(&at.naive_utc());
        let day = if m < e {
            local.date_naive()
        } else {
            local.date_naive().succ_opt()?
        };
        let end = day.and_hms_opt(e / 60, e % 60, 0)?;
        match tz.from_local_datetime(&end) {
            chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            // The wall clock reads `end` twice (autumn): the first time.
            chrono::LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
            // `end` is skipped (spring, e.g. 02:30 in Paris): the first minute after the gap.
            chrono::LocalResult::None => (1..=24 * 60).find_map(|k| {
                tz.from_local_datetime(&(end + Duration::minutes(k)))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn weekdays_9_to_17() -> OpeningHours {
        OpeningHours {
            timezone: "Europe/Paris".into(),
            intervals: [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]
                .into_iter()
                .map(|day| Interval {
                    day,
                    open: "09:00".into(),
                    close: "17:00".into(),
                })
                .collect(),
            reply: "We are closed".into(),
        }
    }

    #[test]
    fn opening_hours_are_read_in_their_own_time_zone() {
        let h = weekdays_9_to_17();
        // 2026-11-23 is a Monday; Paris is UTC+1 in November.
        assert!(!h.is_open(at("2026-11-23T07:59:00Z")), "08:59 in Paris");
        assert!(h.is_open(at("2026-11-23T08:00:00Z")), "09:00 in Paris");
        assert!(h.is_open(at("2026-11-23T15:59:00Z")), "16:59 in Paris");
        assert!(!h.is_open(at("2026-11-23T16:00:00Z")), "17:00 closes");
        assert!(!h.is_open(at("2026-11-22T10:00:00Z")), "Sunday");
        // Summer time: UTC+2.
        assert!(
            h.is_open(at("2026-06-01T07:00:00Z")),
            "09:00 CEST on a Monday"
        );
    }

    #[test]
    fn a_bad_time_or_zone_is_named_by_its_field() {
        let mut h = weekdays_9_to_17();
        h.intervals[2].close = "25:00".into();
        assert_eq!(
            h.validate("hours").unwrap_err().field,
            "hours.intervals[2].close"
        );
        let mut h = weekdays_9_to_17();
        h.intervals[0].close = "08:00".into();
        assert_eq!(
            h.validate("hours").unwrap_err().reason,
            "must be after open"
        );
        let mut h = weekdays_9_to_17();
        h.timezone = "Mars/Olympus".into();
        assert_eq!(h.validate("hours").unwrap_err().field, "hours.timezone");
        let mut h = weekdays_9_to_17();
        h.intervals[0].close = "24:00".into();
        assert!(h.validate("hours").is_ok());
    }

    #[test]
    fn quiet_hours_wrapping_midnight_end_the_next_morning() {
        let q = QuietHours {
            timezone: "UTC".into(),
            start: "22:00".into(),
            end: "07:00".into(),
        };
        assert_eq!(q.ends_after(at("2026-11-23T21:59:00Z")), None);
        assert_eq!(
            q.ends_after(at("2026-11-23T22:00:00Z")),
            Some(at("2026-11-24T07:00:00Z"))
        );
        assert_eq!(
            q.ends_after(at("2026-11-24T03:30:20Z")),
            Some(at("2026-11-24T07:00:00Z"))
        );
        assert_eq!(q.ends_after(at("2026-11-24T07:00:00Z")), None);
        let day = QuietHours {
            timezone: "UTC".into(),
            start: "12:00".into(),
            end: "13:00".into(),
        };
        assert_eq!(
            day.ends_after(at("2026-11-24T12:10:00Z")),
            Some(at("2026-11-24T13:00:00Z"))
        );
    }

    /// Quiet hours in Paris over ordinary nights and both DST changes of 2026 (29 March: 02:00
    /// becomes 03:00; 25 October: 03:00 becomes 02:00), each answer worked out by hand in UTC.
    #[test]
    fn quiet_hours_end_at_their_local_time_even_across_a_daylight_saving_change() {
        let q = |start: &str, end: &str| QuietHours {
            timezone: "Europe/Paris".into(),
            start: start.into(),
            end: end.into(),
        };
        let table: &[(&str, &str, &str, Option<&str>)] = &[
            // (start, end, now (UTC), when it ends (UTC); None = not quiet)
            ("22:00", "07:00", "2026-11-23T20:59:00Z", None), // 21:59 CET
            (
                "22:00",
                "07:00",
                "2026-11-23T21:00:00Z",
                Some("2026-11-24T06:00:00Z"),
            ),
            (
                "22:00",
                "07:00",
                "2026-11-24T05:59:59Z",
                Some("2026-11-24T06:00:00Z"),
            ),
            ("22:00", "07:00", "2026-11-24T06:00:00Z", None), // 07:00 CET: over
            (
                "22:00",
                "07:00",
                "2026-06-01T20:00:00Z",
                Some("2026-06-02T05:00:00Z"),
            ), // CEST
            // Spring: 23:00 CET on the 28th; 07:00 CEST on the 29th is 05:00Z (7 h later).
            (
                "22:00",
                "07:00",
                "2026-03-28T22:00:00Z",
                Some("2026-03-29T05:00:00Z"),
            ),
            // After the change, still quiet at 03:30 CEST.
            (
                "22:00",
                "07:00",
                "2026-03-29T01:30:00Z",
                Some("2026-03-29T05:00:00Z"),
            ),
            // Autumn: 23:00 CEST on the 24th; 07:00 CET on the 25th is 06:00Z (9 h later).
            (
                "22:00",
                "07:00",
                "2026-10-24T21:00:00Z",
                Some("2026-10-25T06:00:00Z"),
            ),
            // 06:30 CET after the change: not yet over.
            (
                "22:00",
                "07:00",
                "2026-10-25T05:30:00Z",
                Some("2026-10-25T06:00:00Z"),
            ),
            // An end inside the spring gap (02:30 never happens): the first minute after it.
            (
                "01:00",
                "02:30",
                "2026-03-29T00:30:00Z",
                Some("2026-03-29T01:00:00Z"),
            ),
            // An end read twice in autumn (02:30 CEST, then 02:30 CET): the first one.
            (
                "01:00",
                "02:30",
                "2026-10-24T23:30:00Z",
                Some("2026-10-25T00:30:00Z"),
            ),
            // A daytime period.
            ("12:00", "14:00", "2026-11-24T10:59:00Z", None),
            (
                "12:00",
                "14:00",
                "2026-11-24T11:00:00Z",
                Some("2026-11-24T13:00:00Z"),
            ),
            ("12:00", "14:00", "2026-11-24T13:00:00Z", None),
        ];
        for (start, end, now, want) in table {
            assert_eq!(
                q(start, end).ends_after(at(now)),
                want.map(at),
                "{start}-{end} at {now}"
            );
        }
    }
}
