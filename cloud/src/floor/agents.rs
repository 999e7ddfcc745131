//! Agents' states on the floor, derived and timed (pure: the caller passes `now`).
//!
//! The state of an agent is a function of three inputs ([`state_of`]): presence (the portal
//! open), the agent's chosen status (available / away) and their active interactions (live,
//! assigned to them, waiting or open). [`Book`] keeps those inputs per user from the hub's own
//! events and records *when* the derived state last changed, so the monitor shows the time in
//! state; [`Book::observe`] returns the users whose state changed (the hub then publishes an
//! `agent_state_changed` event for each).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::assign::ChosenStatus;
use super::presence::{AwayReason, Chosen};
use crate::model::{Interaction, InteractionStatus};

/// What the monitor shows for an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// The portal is not open.
    Offline,
    /// Open, ready, no active interaction.
    Available,
    /// Open, ready, handling at least one interaction.
    Busy,
    /// On a break, at lunch, in training… (chosen status `away`).
    Away,
}

/// The rule.
pub fn state_of(online: bool, chosen: ChosenStatus, active: usize) -> AgentState {
    match (online, chosen, active) {
        (false, _, _) => AgentState::Offline,
        (true, ChosenStatus::Offline, _) => AgentState::Offline,
        (true, ChosenStatus::Away, _) => AgentState::Away,
        (true, ChosenStatus::Available, 0) => AgentState::Available,
        (true, ChosenStatus::Available, _) => AgentState::Busy,
    }
}

/// An interaction counts as active for its assignee while live and waiting or open.
pub fn is_active(i: &Interaction) -> bool {
    matches!(
        i.status,
        InteractionStatus::Waiting | InteractionStatus::Open
    )
}

/// One agent's timed state.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgentFloor {
    pub user_id: Uuid,
    pub state: AgentState,
    /// When the state last changed (or the hub started).
    pub since: DateTime<Utc>,
    pub active: usize,
    pub completed_today: usize,
    pub status: ChosenStatus,
    /// Why away, when the agent said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<AwayReason>,
}

#[derive(Debug, Clone)]
struct Entry {
    org_path: String,
    online: bool,
    chosen: ChosenStatus,
    reason: Option<AwayReason>,
    active: HashSet<Uuid>,
    completed: Vec<DateTime<Utc>>,
    state: AgentState,
    since: DateTime<Utc>,
}

/// What changed, as the book is told.
#[derive(Debug, Clone)]
pub enum Observation<'a> {
    Interaction {
        org_path: &'a str,
        interaction: &'a Interaction,
    },
    Presence {
        org_path: &'a str,
        user: Uuid,
        online: bool,
    },
    Status {
        org_path: &'a str,
        user: Uuid,
        chosen: Chosen,
    },
}

/// Every known user's inputs and timed state.
#[derive(Debug, Clone, Default)]
pub struct Book {
    entries: HashMap<Uuid, Entry>,
    /// Live active interaction → its assignee.
    assigned: HashMap<Uuid, Uuid>,
}

impl Book {
    /// A book started at `now` from the stored facts: active assignments, today's closes, the
    /// chosen statuses (everyone offline: no stream is open yet).
    pub fn load(
        now: DateTime<Utc>,
        active: impl IntoIterator<Item = (String, Interaction)>,
        completed: impl IntoIterator<Item = (String, Uuid, DateTime<Utc>)>,
        statuses: impl IntoIterator<Item = (String, Uuid, Chosen)>,
    ) -> Self {
        let mut b = Book::default();
        for (path, user, c) in statuses {
            let e = b.entry(&path, user, now);
            e.chosen = c.status;
            e.reason = c.reason;
        }
        for (path, i) in active {
            if let Some(u) = i
                .assignee_id
                .filter(|_| i.status.is_live() && is_active(&i))
            {
                b.entry(&path, u, now).active.insert(i.id);
                b.assigned.insert(i.id, u);
            }
        }
        for (path, user, at) in completed {
            b.entry(&path, user, now).completed.push(at);
        }
        for e in b.entries.values_mut() {
            e.state = state_of(e.online, e.chosen, e.active.len());
        }
        b
    }

    fn entry(&mut self, org_path: &str, user: Uuid, now: DateTime<Utc>) -> &mut Entry {
        self.entries.entry(user).or_insert_with(|| Entry {
            org_path: org_path.to_owned(),
            online: false,
            chosen: ChosenStatus::Available,
            reason: None,
            active: HashSet::new(),
            completed: Vec::new(),
            state: AgentState::Offline,
            since: now,
        })
    }

    /// Applies one change; returns the users whose derived state changed (their `since` is
    /// now `now`).
    pub fn observe(&mut self, o: Observation<'_>, now: DateTime<Utc>) -> Vec<Uuid> {
        let mut touched = Vec::new();
        match o {
            Observation::Interaction {
                org_path,
                interaction: i,
            } => {
                let before = self.assigned.get(&i.id).copied();
                let after = i.assignee_id.filter(|_| i.status.is_live() && is_active(i));
                if let Some(b) = before
                    && Some(b) != after
                {
                    self.assigned.remove(&i.id);
                    self.entry(org_path, b, now).active.remove(&i.id);
                    touched.push(b);
                }
                if let Some(a) = after {
                    self.assigned.insert(i.id, a);
                    self.entry(org_path, a, now).active.insert(i.id);
                    touched.push(a);
                }
                if i.status == InteractionStatus::Closed
                    && let Some(who) = i.assignee_id.or(before)
                {
                    self.entry(org_path, who, now).completed.push(now);
                    touched.push(who);
                }
            }
            Observation::Presence {
                org_path,
                user,
                online,
            } => {
                self.entry(org_path, user, now).online = online;
                touched.push(user);
            }
            Observation::Status {
                org_path,
                user,
                chosen,
            } => {
                let e = self.entry(org_path, user, now);
                // A new reason while away restarts the time in state too.
                let reason_changed = e.state == AgentState::Away
                    && chosen.status == ChosenStatus::Away
                    && e.reason != chosen.reason;
                e.chosen = chosen.status;
                e.reason = chosen.reason;
                if reason_changed {
                    e.since = now;
                    return vec![user];
                }
                touched.push(user);
            }
        }
        touched.sort();
        touched.dedup();
        touched
            .into_iter()
            .filter(|u| {
                let Some(e) = self.entries.get_mut(u) else {
                    return false;
                };
                let s = state_of(e.online, e.chosen, e.active.len());
                if s == e.state {
                    false
                } else {
                    e.state = s;
                    e.since = now;
                    true
                }
            })
            .collect()
    }

    /// A user's timed state (`today` = the start of the day in the viewer's zone).
    pub fn view(&self, user: Uuid, today: DateTime<Utc>, now: DateTime<Utc>) -> AgentFloor {
        match self.entries.get(&user) {
            Some(e) => AgentFloor {
                user_id: user,
                state: e.state,
                since: e.since,
                active: e.active.len(),
                completed_today: e.completed.iter().filter(|t| **t >= today).count(),
                status: e.chosen,
                reason: e.reason,
            },
            None => AgentFloor {
                user_id: user,
                state: AgentState::Offline,
                since: now,
                active: 0,
                completed_today: 0,
                status: ChosenStatus::Available,
                reason: None,
            },
        }
    }

    /// The organisation path a user was seen in.
    pub fn org_path(&self, user: Uuid) -> Option<&str> {
        self.entries.get(&user).map(|e| e.org_path.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn conv(id: u128, assignee: Option<Uuid>, status: InteractionStatus) -> Interaction {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        Interaction {
            id: Uuid::from_u128(id),
            org_id: Uuid::nil(),
            channel_id: Uuid::nil(),
            contact_number: "+33600000000".into(),
            status,
            queue_id: None,
            assignee_id: assignee,
            read: false,
            campaign: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn the_state_table_follows_presence_status_and_work() {
        use AgentState::*;
        use ChosenStatus::{Available as A, Away as W, Offline as O};
        for (online, chosen, active, expected) in [
            (false, A, 0, Offline),
            (false, W, 3, Offline),
            (true, O, 0, Offline),
            (true, O, 2, Offline),
            (true, W, 0, Away),
            (true, W, 2, Away),
            (true, A, 0, Available),
            (true, A, 1, Busy),
        ] {
            assert_eq!(state_of(online, chosen, active), expected);
        }
    }

    #[test]
    fn the_book_times_each_state_and_counts_active_and_completed_work() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let agent = Uuid::from_u128(7);
        let mut b = Book::load(t0, [], [], []);
        let p = "/p/t/";
        let changed = b.observe(
            Observation::Presence {
                org_path: p,
                user: agent,
                online: true,
            },
            t0 + Duration::minutes(1),
        );
        assert_eq!(changed, vec![agent]);
        let v = b.view(agent, t0, t0);
        assert_eq!(
            (v.state, v.since),
            (AgentState::Available, t0 + Duration::minutes(1))
        );
        // Assigned: busy.
        let c = conv(1, Some(agent), InteractionStatus::Waiting);
        assert_eq!(
            b.observe(
                Observation::Interaction {
                    org_path: p,
                    interaction: &c
                },
                t0 + Duration::minutes(2)
            ),
            vec![agent]
        );
        assert_eq!(b.view(agent, t0, t0).state, AgentState::Busy);
        // A reply keeps it busy (no change, since kept).
        let open = conv(1, Some(agent), InteractionStatus::Open);
        assert!(
            b.observe(
                Observation::Interaction {
                    org_path: p,
                    interaction: &open
                },
                t0 + Duration::minutes(3)
            )
            .is_empty()
        );
        assert_eq!(b.view(agent, t0, t0).since, t0 + Duration::minutes(2));
        // Closed: available again, one completed today.
        let closed = conv(1, Some(agent), InteractionStatus::Closed);
        b.observe(
            Observation::Interaction {
                org_path: p,
                interaction: &closed,
            },
            t0 + Duration::minutes(4),
        );
        let v = b.view(agent, t0, t0);
        assert_eq!(
            (v.state, v.active, v.completed_today),
            (AgentState::Available, 0, 1)
        );
        // A break, then the portal closes.
        b.observe(
            Observation::Status {
                org_path: p,
                user: agent,
                chosen: Chosen {
                    status: ChosenStatus::Away,
                    reason: Some(AwayReason::Break),
                },
            },
            t0 + Duration::minutes(5),
        );
        let v = b.view(agent, t0, t0);
        assert_eq!(
            (v.state, v.reason),
            (AgentState::Away, Some(AwayReason::Break))
        );
        // From a break to lunch: still away, the time in state restarts with the reason.
        assert_eq!(
            b.observe(
                Observation::Status {
                    org_path: p,
                    user: agent,
                    chosen: Chosen {
                        status: ChosenStatus::Away,
                        reason: Some(AwayReason::Lunch),
                    },
                },
                t0 + Duration::minutes(5) + Duration::seconds(30),
            ),
            vec![agent]
        );
        let v = b.view(agent, t0, t0);
        assert_eq!(
            (v.state, v.reason, v.since),
            (
                AgentState::Away,
                Some(AwayReason::Lunch),
                t0 + Duration::minutes(5) + Duration::seconds(30)
            )
        );
        b.observe(
            Observation::Presence {
                org_path: p,
                user: agent,
                online: false,
            },
            t0 + Duration::minutes(6),
        );
        assert_eq!(b.view(agent, t0, t0).state, AgentState::Offline);
        // Completed yesterday does not count today.
        assert_eq!(b.view(agent, t0 + Duration::days(1), t0).completed_today, 0);
    }

    #[test]
    fn an_agent_who_signs_off_shows_offline_with_the_portal_open_and_keeps_their_work() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let agent = Uuid::from_u128(8);
        let mut b = Book::load(
            t0,
            [(
                "/p/".to_owned(),
                conv(3, Some(agent), InteractionStatus::Open),
            )],
            [],
            [],
        );
        b.observe(
            Observation::Presence {
                org_path: "/p/",
                user: agent,
                online: true,
            },
            t0,
        );
        assert_eq!(b.view(agent, t0, t0).state, AgentState::Busy);
        b.observe(
            Observation::Status {
                org_path: "/p/",
                user: agent,
                chosen: Chosen {
                    status: ChosenStatus::Offline,
                    reason: None,
                },
            },
            t0 + Duration::minutes(1),
        );
        let v = b.view(agent, t0, t0);
        assert_eq!((v.state, v.active), (AgentState::Offline, 1));
    }

    #[test]
    fn a_transfer_moves_the_work_from_one_agent_to_the_other() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let (a, b_) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut b = Book::load(
            t0,
            [("/p/".to_owned(), conv(9, Some(a), InteractionStatus::Open))],
            [],
            [],
        );
        assert_eq!(b.view(a, t0, t0).active, 1);
        let moved = conv(9, Some(b_), InteractionStatus::Open);
        b.observe(
            Observation::Interaction {
                org_path: "/p/",
                interaction: &moved,
            },
            t0,
        );
        assert_eq!(
            (b.view(a, t0, t0).active, b.view(b_, t0, t0).active),
            (0, 1)
        );
    }
}
