//! The notification planner: which notifications are due now and when to look again (pure).
//!
//! An *episode* is one stretch during which a conversation waits unseen (status `waiting`,
//! not read): it starts when the conversation becomes so and ends when someone reads it,
//! replies, pauses or closes it (the store keeps episodes; see `store::floor`). Level 0 is the
//! tenant's recipient list after `delay_minutes`; level *n* is the *n*-th escalation after its
//! own `after_minutes`.
//!
//! Invariants (tested below):
//! - an episode is notified at most once per level: a conversation that stays unseen is never
//!   notified again at the same level; a new episode (it was read, then the contact wrote
//!   again) may be;
//! - nothing is due during quiet hours; what falls due then is due when they end;
//! - the next wake-up is the earliest moment something becomes due (never in the past, never
//!   inside quiet hours), or none when nothing is pending.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::hours::QuietHours;

/// One unseen stretch of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub id: i64,
    pub interaction_id: Uuid,
    pub queue_id: Option<Uuid>,
    pub since: DateTime<Utc>,
}

/// What the planner needs of the settings.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Minutes after which level `i` is due (level 0 = the recipients' delay).
    pub levels: Vec<u32>,
    pub quiet: Option<QuietHours>,
}

/// One level's notification to send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub level: usize,
    /// Episodes due at this level for the first time (mark them sent).
    pub fresh: Vec<Episode>,
    /// Every episode waiting past this level's delay (the count shown), fresh included.
    pub overdue: Vec<Episode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub due: Vec<Due>,
    pub next_wake: Option<DateTime<Utc>>,
}

/// Plans at `now`. `sent` holds `(episode, level)` pairs already notified.
pub fn plan(
    rules: &Rules,
    episodes: &[Episode],
    sent: &HashSet<(i64, usize)>,
    now: DateTime<Utc>,
) -> Plan {
    let quiet_end = rules.quiet.as_ref().and_then(|q| q.ends_after(now));
    let mut out = Plan::default();
    let mut next: Option<DateTime<Utc>> = None;
    for (level, minutes) in rules.levels.iter().enumerate() {
        let delay = Duration::minutes(i64::from(*minutes));
        let mut fresh = Vec::new();
        let mut overdue = Vec::new();
        for e in episodes {
            let due_at = e.since + delay;
            if due_at <= now {
                overdue.push(e.clone());
                if !sent.contains(&(e.id, level)) {
                    fresh.push(e.clone());
                }
            } else {
                next = Some(next.map_or(due_at, |n| n.min(due_at)));
            }
        }
        if !fresh.is_empty() {
            match quiet_end {
                Some(end) => next = Some(next.map_or(end, |n| n.min(end))),
                None => out.due.push(Due {
                    level,
                    fresh,
                    overdue,
                }),
            }
        }
    }
    // Never wake inside quiet hours.
    out.next_wake = next.map(|n| match &rules.quiet {
        Some(q) => q.ends_after(n).unwrap_or(n),
        None => n,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    fn ep(id: i64, since: DateTime<Utc>) -> Episode {
        Episode {
            id,
            interaction_id: Uuid::from_u128(id as u128),
            queue_id: None,
            since,
        }
    }

    fn rules(levels: &[u32]) -> Rules {
        Rules {
            levels: levels.to_vec(),
            quiet: None,
        }
    }

    #[test]
    fn nothing_is_due_before_the_delay_and_the_wake_up_is_the_delay() {
        let p = plan(&rules(&[10]), &[ep(1, t(9, 0))], &HashSet::new(), t(9, 9));
        assert!(p.due.is_empty());
        assert_eq!(p.next_wake, Some(t(9, 10)));
    }

    #[test]
    fn after_the_delay_it_is_due_once_with_the_count_of_all_overdue() {
        let eps = [ep(1, t(9, 0)), ep(2, t(9, 2)), ep(3, t(9, 30))];
        let p = plan(&rules(&[10]), &eps, &HashSet::new(), t(9, 15));
        assert_eq!(p.due.len(), 1);
        assert_eq!(p.due[0].fresh.len(), 2);
        assert_eq!(p.due[0].overdue.len(), 2);
        assert_eq!(p.next_wake, Some(t(9, 40)), "the third one's turn");
        // Marked sent: not again, even much later.
        let sent: HashSet<_> = [(1, 0), (2, 0)].into_iter().collect();
        let p = plan(&rules(&[10]), &eps[..2], &sent, t(12, 0));
        assert!(p.due.is_empty());
        assert_eq!(p.next_wake, None, "nothing pending");
        // A new episode of the same conversation (read, then a new message) is due again.
        let again = [ep(7, t(12, 0))];
        let p = plan(&rules(&[10]), &again, &sent, t(12, 10));
        assert_eq!(p.due[0].fresh[0].interaction_id, again[0].interaction_id);
    }

    #[test]
    fn escalation_levels_fall_due_one_after_the_other() {
        let eps = [ep(1, t(9, 0))];
        let r = rules(&[5, 15, 30]);
        let p = plan(&r, &eps, &HashSet::new(), t(9, 16));
        assert_eq!(
            p.due.iter().map(|d| d.level).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(p.next_wake, Some(t(9, 30)));
        let sent: HashSet<_> = [(1, 0), (1, 1)].into_iter().collect();
        let p = plan(&r, &eps, &sent, t(9, 30));
        assert_eq!(p.due.iter().map(|d| d.level).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn quiet_hours_defer_what_falls_due_to_their_end() {
        let mut r = rules(&[10]);
        r.quiet = Some(QuietHours {
            timezone: "UTC".into(),
            start: "22:00".into(),
            end: "07:00".into(),
        });
        let eps = [ep(1, t(21, 55))];
        let p = plan(&r, &eps, &HashSet::new(), t(21, 58));
        assert!(p.due.is_empty());
        let morning = Utc.with_ymd_and_hms(2026, 11, 24, 7, 0, 0).unwrap();
        assert_eq!(
            p.next_wake,
            Some(morning),
            "due at 22:05, deferred to 07:00"
        );
        let p = plan(&r, &eps, &HashSet::new(), t(23, 0));
        assert!(p.due.is_empty(), "still quiet");
        assert_eq!(p.next_wake, Some(morning));
        let p = plan(&r, &eps, &HashSet::new(), morning);
        assert_eq!(p.due.len(), 1, "sent when the quiet hours end");
    }

    /// (levels, quiet, episodes (id, since), sent (id, level), now) → (due per level: (level,
    /// fresh ids, overdue count), next wake-up), each row worked out by hand.
    #[test]
    fn escalation_levels_and_quiet_hours_as_a_table() {
        type Row = (
            &'static str,
            &'static [u32],
            bool,
            &'static [(i64, (u32, u32))],
            &'static [(i64, usize)],
            (u32, u32),
            &'static [(usize, &'static [i64], usize)],
            Option<(u32, u32)>,
        );
        let quiet = QuietHours {
            timezone: "UTC".into(),
            start: "12:00".into(),
            end: "13:00".into(),
        };
        let table: &[Row] = &[
            (
                "one waiting 16 min: level 0 and the queue managers' level at once",
                &[5, 15, 30],
                false,
                &[(1, (9, 0))],
                &[],
                (9, 16),
                &[(0, &[1], 1), (1, &[1], 1)],
                Some((9, 30)),
            ),
            (
                "the admins' level counts every episode past 30 min, only the new one is fresh",
                &[5, 15, 30],
                false,
                &[(1, (9, 0)), (2, (9, 1)), (3, (9, 28))],
                &[(1, 0), (1, 1), (1, 2), (2, 0), (2, 1)],
                (9, 31),
                &[(2, &[2], 2)],
                Some((9, 33)),
            ),
            (
                "everything sent: no wake-up until a change",
                &[5, 15],
                false,
                &[(1, (9, 0))],
                &[(1, 0), (1, 1)],
                (10, 0),
                &[],
                None,
            ),
            (
                "no escalation configured: level 0 only",
                &[10],
                false,
                &[(1, (9, 0))],
                &[(1, 0)],
                (11, 0),
                &[],
                None,
            ),
            (
                "levels falling due during quiet hours all wait for their end",
                &[5, 15, 30],
                true,
                &[(1, (11, 50)), (2, (11, 58))],
                &[],
                (12, 40),
                &[],
                Some((13, 0)),
            ),
            (
                "at the end of the quiet hours each level is sent once, with its own count",
                &[5, 15, 30],
                true,
                &[(1, (11, 50)), (2, (11, 58))],
                &[],
                (13, 0),
                &[(0, &[1, 2], 2), (1, &[1, 2], 2), (2, &[1, 2], 2)],
                None,
            ),
            (
                "a level that falls due inside the quiet hours wakes at their end, not before",
                &[5, 15],
                true,
                &[(1, (11, 50))],
                &[(1, 0)],
                (11, 58),
                &[],
                Some((13, 0)),
            ),
            (
                "outside the quiet hours the next level wakes at its own moment",
                &[5, 90],
                true,
                &[(1, (13, 10))],
                &[(1, 0)],
                (13, 20),
                &[],
                Some((14, 40)),
            ),
        ];
        for (name, levels, with_quiet, eps, sent, now, due, wake) in table {
            let r = Rules {
                levels: levels.to_vec(),
                quiet: with_quiet.then(|| quiet.clone()),
            };
            let eps: Vec<Episode> = eps.iter().map(|(id, (h, m))| ep(*id, t(*h, *m))).collect();
            let sent: HashSet<_> = sent.iter().copied().collect();
            let p = plan(&r, &eps, &sent, t(now.0, now.1));
            let got: Vec<(usize, Vec<i64>, usize)> = p
                .due
                .iter()
                .map(|d| {
                    (
                        d.level,
                        d.fresh.iter().map(|e| e.id).collect(),
                        d.overdue.len(),
                    )
                })
                .collect();
            let want: Vec<(usize, Vec<i64>, usize)> =
                due.iter().map(|(l, f, n)| (*l, f.to_vec(), *n)).collect();
            assert_eq!(got, want, "{name}");
            assert_eq!(p.next_wake, wake.map(|(h, m)| t(h, m)), "{name}");
        }
    }
}
