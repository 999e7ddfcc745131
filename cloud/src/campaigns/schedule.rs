//! The schedule rule of a campaign (pure: the caller gives the instant).
//!
//! A campaign may send on the days between `start_date` and `end_date` (inclusive, local to
//! `timezone`; either may be left open), on the listed weekdays (none listed: every day),
//! between `from` and `to` local time. `to` may be `24:00` (end of the day); a `to` before
//! `from` wraps midnight (`22:00`–`06:00`), and the part after midnight belongs to the day
//! the window opened (a Friday-only night window runs Friday 22:00 to Saturday 06:00).
//! Times are read on the wall clock of the instant, so daylight-saving changes need no
//! special case.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::floor::hours::{Day, clock_minutes as minutes, zone};

/// When a campaign may send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Schedule {
    /// IANA time zone (`Europe/Paris`).
    pub timezone: String,
    /// First day (`YYYY-MM-DD`, local), inclusive.
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<NaiveDate>,
    /// Last day (`YYYY-MM-DD`, local), inclusive; after it the campaign completes.
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<NaiveDate>,
    /// Weekdays it may send on; empty = every day.
    pub days: Vec<Day>,
    /// `HH:MM`, local.
    pub from: String,
    /// `HH:MM` or `24:00`, local; before `from` wraps midnight.
    pub to: String,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            start_date: None,
            end_date: None,
            days: Vec::new(),
            from: "00:00".into(),
            to: "24:00".into(),
        }
    }
}

/// A schedule field that does not read, named as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ScheduleError {
    pub field: String,
    pub reason: String,
}

fn err(field: &str, reason: impl Into<String>) -> ScheduleError {
    ScheduleError {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

struct Rule {
    tz: Tz,
    from: u32,
    to: u32,
}

impl Schedule {
    /// Checks every field (`prefix` names the object, e.g. `schedule`).
    pub fn validate(&self, prefix: &str) -> Result<(), ScheduleError> {
        let f = |k: &str| format!("{prefix}.{k}");
        zone(&f("timezone"), &self.timezone).map_err(|e| err(&e.field, e.reason))?;
        let from = minutes(&self.from, false).ok_or_else(|| {
            err(
                &f("from"),
                format!("{:?} is not a time (HH:MM, 00:00 to 23:59)", self.from),
            )
        })?;
        let to = minutes(&self.to, true).ok_or_else(|| {
            err(
                &f("to"),
                format!("{:?} is not a time (HH:MM, 00:00 to 24:00)", self.to),
            )
        })?;
        if from == to {
            return Err(err(
                &f("to"),
                "must differ from `from` (use 00:00 to 24:00 for the whole day)",
            ));
        }
        if let (Some(s), Some(e)) = (self.start_date, self.end_date)
            && e < s
        {
            return Err(err(&f("end_date"), "must not be before start_date"));
        }
        Ok(())
    }

    fn rule(&self) -> Option<Rule> {
        Some(Rule {
            tz: self.timezone.parse().ok()?,
            from: minutes(&self.from, false)?,
            to: minutes(&self.to, true)?,
        })
    }

    fn day_allowed(&self, d: NaiveDate) -> bool {
        self.start_date.is_none_or(|s| d >= s)
            && self.end_date.is_none_or(|e| d <= e)
            && (self.days.is_empty() || self.days.contains(&Day::of(d.weekday())))
    }

    /// Whether the campaign may send at `at` (an invalid schedule is never open).
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let Some(r) = self.rule() else {
            return false;
        };
        let l = r.tz.from_utc_datetime(&at.naive_utc());
        let (d, m) = (l.date_naive(), l.hour() * 60 + l.minute());
        if r.from < r.to {
            self.day_allowed(d) && r.from <= m && m < r.to
        } else {
            (m >= r.from && self.day_allowed(d))
                || (m < r.to && d.pred_opt().is_some_and(|p| self.day_allowed(p)))
        }
    }

    /// Whether no window will ever open again after `at` (the end date is behind).
    pub fn is_over(&self, at: DateTime<Utc>) -> bool {
        let Some(r) = self.rule() else {
            return false;
        };
        let Some(end) = self.end_date else {
            return false;
        };
        let l = r.tz.from_utc_datetime(&at.naive_utc());
        let (d, m) = (l.date_naive(), l.hour() * 60 + l.minute());
        // The last window opens on `end`; a wrapping one runs into the next day.
        if r.from < r.to {
            d > end || (d == end && m >= r.to)
        } else {
            d > end.succ_opt().unwrap_or(end) || (d == end.succ_opt().unwrap_or(end) && m >= r.to)
        }
    }

    /// The first moment at or after `at` when the schedule is open (`None`: never again, or
    /// not within a year and a day).
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return Some(at);
        }
        let r = self.rule()?;
        let today = r.tz.from_utc_datetime(&at.naive_utc()).date_naive();
        let from = NaiveTime::from_hms_opt(r.from / 60, r.from % 60, 0)?;
        for offset in 0..=366 {
            let d = today + Duration::days(offset);
            if self.end_date.is_some_and(|e| d > e) {
                return None;
            }
            // Midnight (a window running since the day before, or from 00:00) and `from`.
            for t in [NaiveTime::MIN, from] {
                let Some(instant) = local_instant(r.tz, d.and_time(t)) else {
                    continue;
                };
                if instant >= at && self.is_open(instant) {
                    return Some(instant);
                }
            }
        }
        None
    }

    /// When the window open at `at` closes (`None` when closed at `at`).
    pub fn closes_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.is_open(at) {
            return None;
        }
        // Walk forward in minute steps from the next minute boundary; at most two days.
        let mut t = DateTime::from_timestamp(at.timestamp() - at.timestamp() % 60, 0)?
            + Duration::minutes(1);
        for _ in 0..(2 * 24 * 60) {
            if !self.is_open(t) {
                return Some(t);
            }
            t += Duration::minutes(1);
        }
        None
    }

    /// The instant the last window closes (`None` without an end date): from then on
    /// [`Schedule::is_over`] holds.
    pub fn windows_end(&self) -> Option<DateTime<Utc>> {
        let r = self.rule()?;
        let end = self.end_date?;
        let last = if r.from < r.to { end } else { end.succ_opt()? };
        let to = if r.to >= 24 * 60 {
            last.succ_opt()?.and_time(NaiveTime::MIN)
        } else {
            last.and_time(NaiveTime::from_hms_opt(r.to / 60, r.to % 60, 0)?)
        };
        local_instant(r.tz, to)
    }

    /// The open stretches `[from, until)` between `at` and `at + horizon`, in order, for a
    /// gateway that applies the schedule without knowing time zones (`down/campaign`). A
    /// stretch still open at the horizon ends there; one open longer than two days is given
    /// as adjacent stretches.
    pub fn windows(
        &self,
        at: DateTime<Utc>,
        horizon: Duration,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let end = at + horizon;
        let mut out = Vec::new();
        let mut t = at;
        while t < end {
            let Some(open) = self.next_open(t) else {
                break;
            };
            if open >= end {
                break;
            }
            let close = self
                .closes_after(open)
                .unwrap_or(open + Duration::days(2))
                .min(end);
            if close <= open {
                break;
            }
            out.push((open, close));
            t = close;
        }
        out
    }
}

/// The instant of a local wall-clock time (a time in a DST gap: the hour after; an overlap:
/// the earlier).
fn local_instant(tz: Tz, naive: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|l| l.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn office() -> Schedule {
        Schedule {
            timezone: "Europe/Paris".into(),
            start_date: NaiveDate::from_ymd_opt(2026, 12, 1),
            end_date: NaiveDate::from_ymd_opt(2026, 12, 11),
            days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
            from: "09:00".into(),
            to: "18:00".into(),
        }
    }

    fn night() -> Schedule {
        Schedule {
            timezone: "Europe/Paris".into(),
            days: vec![Day::Fri],
            from: "22:00".into(),
            to: "06:00".into(),
            ..Schedule::default()
        }
    }

    #[test]
    fn a_schedule_is_open_only_inside_its_dates_days_and_hours() {
        // 2026-12-01 is a Tuesday; Paris is UTC+1 in December.
        let cases = [
            (
                office(),
                "2026-11-30T10:00:00+01:00",
                false,
                "the day before the start date",
            ),
            (
                office(),
                "2026-12-01T08:59:00+01:00",
                false,
                "a minute before the window",
            ),
            (
                office(),
                "2026-12-01T09:00:00+01:00",
                true,
                "the first minute",
            ),
            (
                office(),
                "2026-12-01T17:59:59+01:00",
                true,
                "the last second",
            ),
            (
                office(),
                "2026-12-01T18:00:00+01:00",
                false,
                "the window's end is excluded",
            ),
            (office(), "2026-12-05T10:00:00+01:00", false, "a Saturday"),
            (
                office(),
                "2026-12-11T10:00:00+01:00",
                true,
                "the end date is included",
            ),
            (
                office(),
                "2026-12-14T10:00:00+01:00",
                false,
                "after the end date",
            ),
            (
                office(),
                "2026-12-01T08:30:00Z",
                true,
                "read in the campaign's zone",
            ),
            (night(), "2026-12-04T23:00:00+01:00", true, "Friday night"),
            (
                night(),
                "2026-12-05T05:59:00+01:00",
                true,
                "after midnight belongs to Friday",
            ),
            (
                night(),
                "2026-12-05T06:00:00+01:00",
                false,
                "the night ends at 06:00",
            ),
            (
                night(),
                "2026-12-05T23:00:00+01:00",
                false,
                "Saturday night is not listed",
            ),
            (
                night(),
                "2026-12-04T05:00:00+01:00",
                false,
                "Friday early morning is Thursday's night",
            ),
            (
                Schedule::default(),
                "2026-12-04T05:00:00Z",
                true,
                "the default is always open",
            ),
        ];
        for (s, t, open, why) in cases {
            assert_eq!(s.is_open(at(t)), open, "{why}: {t}");
        }
    }

    #[test]
    fn the_next_window_is_found_across_nights_weekends_and_the_start_date() {
        let cases = [
            (
                office(),
                "2026-11-20T12:00:00+01:00",
                Some("2026-12-01T09:00:00+01:00"),
            ),
            (
                office(),
                "2026-12-01T10:00:00+01:00",
                Some("2026-12-01T10:00:00+01:00"),
            ),
            (
                office(),
                "2026-12-01T19:00:00+01:00",
                Some("2026-12-02T09:00:00+01:00"),
            ),
            (
                office(),
                "2026-12-04T19:00:00+01:00",
                Some("2026-12-07T09:00:00+01:00"),
            ),
            (office(), "2026-12-11T19:00:00+01:00", None),
            (
                night(),
                "2026-12-01T12:00:00+01:00",
                Some("2026-12-04T22:00:00+01:00"),
            ),
        ];
        for (s, t, next) in cases {
            assert_eq!(s.next_open(at(t)), next.map(at), "from {t}");
        }
    }

    #[test]
    fn a_window_across_a_daylight_saving_change_keeps_its_wall_clock_hours() {
        // Paris goes from UTC+1 to UTC+2 on 2027-03-28 at 02:00.
        let s = Schedule {
            timezone: "Europe/Paris".into(),
            ..office()
        };
        let s = Schedule {
            start_date: None,
            end_date: None,
            days: Vec::new(),
            ..s
        };
        assert!(s.is_open(at("2027-03-29T09:00:00+02:00")));
        assert!(!s.is_open(at("2027-03-29T08:30:00+02:00")));
        assert_eq!(
            s.next_open(at("2027-03-28T19:00:00+02:00")),
            Some(at("2027-03-29T09:00:00+02:00"))
        );
    }

    #[test]
    fn the_end_of_a_schedule_is_known_and_the_window_close_is_found() {
        assert!(!office().is_over(at("2026-12-11T17:00:00+01:00")));
        assert!(office().is_over(at("2026-12-11T18:00:00+01:00")));
        assert!(!night().is_over(at("2030-01-01T00:00:00Z")));
        assert_eq!(
            office().closes_after(at("2026-12-01T17:58:30+01:00")),
            Some(at("2026-12-01T18:00:00+01:00"))
        );
        assert_eq!(office().closes_after(at("2026-12-01T19:00:00+01:00")), None);
    }

    #[test]
    fn a_bad_schedule_names_its_field() {
        let cases = [
            (
                Schedule {
                    timezone: "Mars/Olympus".into(),
                    ..office()
                },
                "schedule.timezone",
            ),
            (
                Schedule {
                    from: "9h".into(),
                    ..office()
                },
                "schedule.from",
            ),
            (
                Schedule {
                    to: "24:01".into(),
                    ..office()
                },
                "schedule.to",
            ),
            (
                Schedule {
                    to: "09:00".into(),
                    ..office()
                },
                "schedule.to",
            ),
            (
                Schedule {
                    end_date: NaiveDate::from_ymd_opt(2026, 11, 1),
                    ..office()
                },
                "schedule.end_date",
            ),
        ];
        for (s, field) in cases {
            assert_eq!(s.validate("schedule").unwrap_err().field, field);
        }
        office().validate("schedule").unwrap();
    }

    #[test]
    fn the_last_window_closes_when_the_schedule_is_over() {
        let end = office().windows_end().unwrap();
        assert_eq!(end, at("2026-12-11T18:00:00+01:00"));
        assert!(office().is_over(end));
        assert!(!office().is_over(end - Duration::seconds(1)));
        assert_eq!(Schedule::default().windows_end(), None);
    }

    #[test]
    fn the_windows_a_gateway_gets_are_the_open_stretches_in_utc_up_to_the_horizon() {
        // Friday 2026-12-04 at noon in Paris: open until 18:00, then the weekend; the horizon
        // (Tuesday noon) ends the last stretch.
        let w = office().windows(at("2026-12-04T12:00:00+01:00"), Duration::days(4));
        assert_eq!(
            w,
            vec![
                (
                    at("2026-12-04T12:00:00+01:00"),
                    at("2026-12-04T18:00:00+01:00")
                ),
                (
                    at("2026-12-07T09:00:00+01:00"),
                    at("2026-12-07T18:00:00+01:00")
                ),
                (
                    at("2026-12-08T09:00:00+01:00"),
                    at("2026-12-08T12:00:00+01:00")
                ),
            ]
        );
        for (from, until) in &w[..2] {
            assert!(office().is_open(*from) && !office().is_open(*until));
        }
    }

    #[test]
    fn a_window_over_midnight_is_one_stretch_and_the_end_date_stops_the_list() {
        let w = night().windows(at("2026-12-04T12:00:00+01:00"), Duration::days(7));
        assert_eq!(
            w,
            vec![(
                at("2026-12-04T22:00:00+01:00"),
                at("2026-12-05T06:00:00+01:00")
            )]
        );
        let ended = office().windows(at("2026-12-11T17:00:00+01:00"), Duration::days(7));
        assert_eq!(
            ended,
            vec![(
                at("2026-12-11T17:00:00+01:00"),
                at("2026-12-11T18:00:00+01:00")
            )]
        );
    }

    #[test]
    fn an_always_open_schedule_is_covered_to_the_horizon_without_a_gap() {
        let start = at("2026-12-04T12:00:00Z");
        let w = Schedule::default().windows(start, Duration::days(5));
        assert_eq!(w.first().map(|x| x.0), Some(start));
        assert_eq!(w.last().map(|x| x.1), Some(start + Duration::days(5)));
        assert!(w.windows(2).all(|p| p[0].1 == p[1].0));
    }
}
