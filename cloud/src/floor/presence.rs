//! An agent's own presence (issue 13), pure: the chosen status with its optional away reason
//! ([`Chosen`]), and the time spent in each chosen status over a range, from the status log
//! ([`time_in_status`], for the agent report).
//!
//! The status is the agent's word: `available` (gets new conversations), `away` with an
//! optional reason (a break, lunch, training, a meeting: gets nothing new, keeps what is
//! open), `offline` (signed off while the portal may still be open: gets nothing new either).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::assign::ChosenStatus;

/// Why an agent is away (shown on the monitor and counted in the report).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AwayReason {
    Break,
    Lunch,
    Training,
    Meeting,
}

impl AwayReason {
    pub fn as_str(self) -> &'static str {
        match self {
            AwayReason::Break => "break",
            AwayReason::Lunch => "lunch",
            AwayReason::Training => "training",
            AwayReason::Meeting => "meeting",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Break, Self::Lunch, Self::Training, Self::Meeting]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

impl ChosenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChosenStatus::Available => "available",
            ChosenStatus::Away => "away",
            ChosenStatus::Offline => "offline",
        }
    }

    /// The stored word; anything unknown reads as `available` (the default).
    pub fn parse(s: &str) -> Self {
        match s {
            "away" => ChosenStatus::Away,
            "offline" => ChosenStatus::Offline,
            _ => ChosenStatus::Available,
        }
    }
}

/// A chosen status with its reason: a reason only goes with `away`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chosen {
    pub status: ChosenStatus,
    pub reason: Option<AwayReason>,
}

impl Chosen {
    /// Refuses a reason on any status but `away` (the message names the rule).
    pub fn new(status: ChosenStatus, reason: Option<AwayReason>) -> Result<Self, &'static str> {
        if reason.is_some() && status != ChosenStatus::Away {
            return Err("a reason goes only with status away");
        }
        Ok(Chosen { status, reason })
    }

    /// How the audit log words it: `away (lunch)`, `available`.
    pub fn describe(self) -> String {
        match self.reason {
            Some(r) => format!("{} ({})", self.status.as_str(), r.as_str()),
            None => self.status.as_str().to_owned(),
        }
    }
}

/// One line of the status log: `user` chose `chosen` at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLogEntry {
    pub user_id: Uuid,
    pub chosen: Chosen,
    pub at: DateTime<Utc>,
}

/// Time an agent spent in chosen statuses within a range, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusTimes {
    pub away_s: i64,
    /// Away time by reason (`None`: no reason given).
    pub away_by_reason: BTreeMap<Option<AwayReason>, i64>,
    pub offline_s: i64,
}

/// Seconds each user spent `away` (and signed `offline`) within `[from, min(to, now))`.
///
/// `log` holds every entry before `to` that matters: the last one before `from` (the status in
/// force when the range starts) and those inside it, in any order. A status lasts until the
/// user's next entry; the last one until the end of the range (or `now`, for a range that
/// has not ended).
pub fn time_in_status(
    log: &[StatusLogEntry],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> HashMap<Uuid, StatusTimes> {
    let end = to.min(now);
    let mut by_user: HashMap<Uuid, Vec<&StatusLogEntry>> = HashMap::new();
    for e in log.iter().filter(|e| e.at < end) {
        by_user.entry(e.user_id).or_default().push(e);
    }
    let mut out = HashMap::new();
    for (user, mut entries) in by_user {
        entries.sort_by_key(|e| e.at);
        let mut t = StatusTimes::default();
        for (i, e) in entries.iter().enumerate() {
            let until = entries.get(i + 1).map_or(end, |n| n.at.min(end));
            let start = e.at.max(from);
            if until <= start {
                continue;
            }
            let s = (until - start).num_seconds();
            match e.chosen.status {
                ChosenStatus::Away => {
                    t.away_s += s;
                    *t.away_by_reason.entry(e.chosen.reason).or_insert(0) += s;
                }
                ChosenStatus::Offline => t.offline_s += s,
                ChosenStatus::Available => {}
            }
        }
        out.insert(user, t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0).unwrap()
    }

    fn entry(
        user: u128,
        status: ChosenStatus,
        reason: Option<AwayReason>,
        at: DateTime<Utc>,
    ) -> StatusLogEntry {
        StatusLogEntry {
            user_id: Uuid::from_u128(user),
            chosen: Chosen { status, reason },
            at,
        }
    }

    #[test]
    fn a_reason_goes_only_with_away() {
        assert!(Chosen::new(ChosenStatus::Away, Some(AwayReason::Lunch)).is_ok());
        assert!(Chosen::new(ChosenStatus::Away, None).is_ok());
        assert!(Chosen::new(ChosenStatus::Available, Some(AwayReason::Break)).is_err());
        assert!(Chosen::new(ChosenStatus::Offline, Some(AwayReason::Training)).is_err());
        assert_eq!(
            Chosen::new(ChosenStatus::Away, Some(AwayReason::Lunch))
                .unwrap()
                .describe(),
            "away (lunch)"
        );
    }

    #[test]
    fn stored_words_read_back_as_the_same_status_and_reason() {
        for s in [
            ChosenStatus::Available,
            ChosenStatus::Away,
            ChosenStatus::Offline,
        ] {
            assert_eq!(ChosenStatus::parse(s.as_str()), s);
        }
        for r in [
            AwayReason::Break,
            AwayReason::Lunch,
            AwayReason::Training,
            AwayReason::Meeting,
        ] {
            assert_eq!(AwayReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(AwayReason::parse("nap"), None);
    }

    #[test]
    fn time_away_adds_each_stretch_by_reason_until_the_next_choice() {
        use AwayReason::*;
        use ChosenStatus::*;
        let log = [
            entry(1, Available, None, t(9, 0)),
            entry(1, Away, Some(Break), t(10, 0)),
            entry(1, Available, None, t(10, 15)),
            entry(1, Away, Some(Lunch), t(12, 0)),
            entry(1, Available, None, t(13, 0)),
            entry(1, Offline, None, t(17, 0)),
        ];
        let got = time_in_status(&log, t(0, 0), t(18, 0), t(23, 0));
        let a = &got[&Uuid::from_u128(1)];
        assert_eq!(a.away_s, 75 * 60);
        assert_eq!(a.away_by_reason[&Some(Break)], 15 * 60);
        assert_eq!(a.away_by_reason[&Some(Lunch)], 60 * 60);
        assert_eq!(
            a.offline_s,
            60 * 60,
            "offline from 17:00 to the end of the range"
        );
    }

    #[test]
    fn a_stretch_is_clipped_to_the_range_and_to_now() {
        use ChosenStatus::*;
        // Away since before the range, still away: counted from `from` to `now`.
        let log = [entry(2, Away, None, t(8, 0))];
        let got = time_in_status(&log, t(9, 0), t(18, 0), t(9, 30));
        assert_eq!(got[&Uuid::from_u128(2)].away_s, 30 * 60);
        // A range that ended: counted to its end.
        let got = time_in_status(&log, t(9, 0), t(10, 0), t(12, 0));
        assert_eq!(got[&Uuid::from_u128(2)].away_s, 60 * 60);
        // Entries after the end do not count; unordered input is fine.
        let log = [
            entry(3, Available, None, t(9, 40)),
            entry(3, Away, None, t(9, 10)),
            entry(3, Away, None, t(11, 0)),
        ];
        let got = time_in_status(&log, t(9, 0), t(10, 0), t(12, 0));
        assert_eq!(got[&Uuid::from_u128(3)].away_s, 30 * 60);
        assert_eq!(
            got[&Uuid::from_u128(3)].away_by_reason.get(&None).copied(),
            Some(30 * 60)
        );
        assert!(time_in_status(&[], t(9, 0), t(10, 0), t(12, 0)).is_empty());
    }
}
