//! Who gets a conversation: the queue strategies as a pure state machine (no I/O, no clock).
//!
//! Input: the queue's [`Strategy`], its agents as [`AgentSlot`]s (presence, chosen status,
//! active interactions, limit) and the round-robin pointer; output: the agent, or nobody (the
//! conversation waits in the queue). [`dispatch`] hands out a list of waiting conversations,
//! oldest first, updating the slots as it goes, so "the rest wait" falls out of the limits.
//!
//! Rules:
//! - `manual` (the seed's default) never assigns: a manager or tenant admin takes or assigns;
//! - an agent is *eligible* when online (the portal open), `available` (not on a break) and
//!   below the limit (`max_active`, when the queue sets one);
//! - `round_robin`: the first eligible agent after the last one served, in member order;
//! - `least_busy`: the eligible agent with the fewest active interactions; ties go to the one
//!   served longest ago (then member order).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// How a queue hands out its conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// A manager or tenant admin takes over or assigns (nothing automatic).
    #[default]
    Manual,
    /// Each available agent in turn.
    RoundRobin,
    /// The available agent with the fewest active interactions.
    LeastBusy,
}

/// An agent's own choice (the header's presence menu).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChosenStatus {
    #[default]
    Available,
    /// Away (a break, lunch, training…): gets nothing new, keeps what is open.
    Away,
    /// Signed off (the portal may still be open): gets nothing new, keeps what is open.
    Offline,
}

/// One agent of the queue as the strategy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSlot {
    pub id: Uuid,
    /// The portal is open (an event stream is connected).
    pub online: bool,
    pub status: ChosenStatus,
    /// Live interactions assigned (waiting or open).
    pub active: u32,
    /// When the agent last got a conversation from this queue, as an ordinal (higher = later);
    /// `None` never.
    pub last_served: Option<u64>,
}

impl AgentSlot {
    fn eligible(&self, max_active: Option<u32>) -> bool {
        self.online
            && self.status == ChosenStatus::Available
            && max_active.is_none_or(|m| self.active < m)
    }
}

/// Picks the agent for one conversation (`agents` in member order).
pub fn choose(
    strategy: Strategy,
    agents: &[AgentSlot],
    max_active: Option<u32>,
    rr_last: Option<Uuid>,
) -> Option<Uuid> {
    match strategy {
        Strategy::Manual => None,
        Strategy::RoundRobin => {
            let start = rr_last
                .and_then(|last| agents.iter().position(|a| a.id == last))
                .map_or(0, |i| i + 1);
            (0..agents.len())
                .map(|k| &agents[(start + k) % agents.len()])
                .find(|a| a.eligible(max_active))
                .map(|a| a.id)
        }
        Strategy::LeastBusy => agents
            .iter()
            .enumerate()
            .filter(|(_, a)| a.eligible(max_active))
            .min_by_key(|(i, a)| (a.active, a.last_served.map_or(0, |s| s + 1), *i))
            .map(|(_, a)| a.id),
    }
}

/// Hands out `waiting` (oldest first) one by one; returns `(conversation, agent)` pairs and the
/// new round-robin pointer. Stops at the first conversation nobody can take (they all wait).
pub fn dispatch(
    strategy: Strategy,
    agents: &mut [AgentSlot],
    max_active: Option<u32>,
    mut rr_last: Option<Uuid>,
    waiting: &[Uuid],
) -> (Vec<(Uuid, Uuid)>, Option<Uuid>) {
    let mut out = Vec::new();
    let mut tick = agents
        .iter()
        .filter_map(|a| a.last_served)
        .max()
        .map_or(0, |m| m + 1);
    for conversation in waiting {
        let Some(agent) = choose(strategy, agents, max_active, rr_last) else {
            break;
        };
        if let Some(slot) = agents.iter_mut().find(|a| a.id == agent) {
            slot.active += 1;
            slot.last_served = Some(tick);
            tick += 1;
        }
        rr_last = Some(agent);
        out.push((*conversation, agent));
    }
    (out, rr_last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    /// `(name, online, status, active)`.
    fn slots(spec: &[(u8, bool, ChosenStatus, u32)]) -> Vec<AgentSlot> {
        spec.iter()
            .map(|&(n, online, status, active)| AgentSlot {
                id: id(n),
                online,
                status,
                active,
                last_served: None,
            })
            .collect()
    }

    use ChosenStatus::{Available as A, Away as W, Offline as O};

    #[test]
    fn an_away_agent_is_skipped() {
        // Round robin: the away agent is next in turn, the one after gets it.
        let a = slots(&[(1, true, A, 0), (2, true, W, 0), (3, true, A, 0)]);
        assert_eq!(
            choose(Strategy::RoundRobin, &a, None, Some(id(1))),
            Some(id(3))
        );
        // Least busy: the away agent is the idlest, the busier available one gets it.
        let a = slots(&[(1, true, W, 0), (2, true, A, 5)]);
        assert_eq!(choose(Strategy::LeastBusy, &a, None, None), Some(id(2)));
    }

    #[test]
    fn an_agent_signed_offline_is_skipped_even_with_the_portal_open() {
        let a = slots(&[(1, true, O, 0), (2, true, A, 3)]);
        assert_eq!(choose(Strategy::LeastBusy, &a, None, None), Some(id(2)));
        assert_eq!(choose(Strategy::RoundRobin, &a, None, None), Some(id(2)));
    }

    #[test]
    fn when_every_agent_is_away_the_conversations_wait_in_the_queue() {
        let mut a = slots(&[(1, true, W, 0), (2, true, O, 0)]);
        let conv = [id(10), id(11)];
        for strategy in [Strategy::RoundRobin, Strategy::LeastBusy] {
            let (given, last) = dispatch(strategy, &mut a, None, None, &conv);
            assert!(given.is_empty(), "{strategy:?} assigned to an away agent");
            assert_eq!(last, None);
        }
    }

    #[test]
    fn an_agent_back_from_a_break_gets_the_next_conversation() {
        let mut a = slots(&[(1, true, W, 0), (2, true, A, 1)]);
        assert_eq!(choose(Strategy::LeastBusy, &a, None, None), Some(id(2)));
        a[0].status = A;
        assert_eq!(choose(Strategy::LeastBusy, &a, None, None), Some(id(1)));
    }

    #[test]
    fn the_strategy_table_picks_the_expected_agent() {
        // (case, strategy, agents (id, online, status, active), max_active, rr_last, expected)
        type Row = (
            &'static str,
            Strategy,
            Vec<(u8, bool, ChosenStatus, u32)>,
            Option<u32>,
            Option<u8>,
            Option<u8>,
        );
        let table: Vec<Row> = vec![
            (
                "manual never assigns",
                Strategy::Manual,
                vec![(1, true, A, 0)],
                None,
                None,
                None,
            ),
            (
                "round robin starts with the first member",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, true, A, 0)],
                None,
                None,
                Some(1),
            ),
            (
                "round robin moves past the last served",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, true, A, 0), (3, true, A, 0)],
                None,
                Some(1),
                Some(2),
            ),
            (
                "round robin wraps around",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, true, A, 0)],
                None,
                Some(2),
                Some(1),
            ),
            (
                "round robin skips an offline agent",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, false, A, 0), (3, true, A, 0)],
                None,
                Some(1),
                Some(3),
            ),
            (
                "round robin skips an agent on a break",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, true, W, 0), (3, true, A, 0)],
                None,
                Some(1),
                Some(3),
            ),
            (
                "round robin skips an agent at the limit",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, true, A, 2), (3, true, A, 1)],
                Some(2),
                Some(1),
                Some(3),
            ),
            (
                "round robin comes back to the same agent when alone",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, false, A, 0)],
                None,
                Some(1),
                Some(1),
            ),
            (
                "round robin with a departed last agent starts over",
                Strategy::RoundRobin,
                vec![(1, true, A, 0), (2, true, A, 0)],
                None,
                Some(9),
                Some(1),
            ),
            (
                "least busy takes the fewest active",
                Strategy::LeastBusy,
                vec![(1, true, A, 3), (2, true, A, 1), (3, true, A, 2)],
                None,
                None,
                Some(2),
            ),
            (
                "least busy ignores an idle agent on a break",
                Strategy::LeastBusy,
                vec![(1, true, A, 3), (2, true, W, 0)],
                None,
                None,
                Some(1),
            ),
            (
                "least busy ignores an idle offline agent",
                Strategy::LeastBusy,
                vec![(1, false, A, 0), (2, true, A, 4)],
                None,
                None,
                Some(2),
            ),
            (
                "least busy ties go to member order",
                Strategy::LeastBusy,
                vec![(1, true, A, 1), (2, true, A, 1)],
                None,
                None,
                Some(1),
            ),
            (
                "everyone at the limit: it waits",
                Strategy::LeastBusy,
                vec![(1, true, A, 2), (2, true, A, 2)],
                Some(2),
                None,
                None,
            ),
            (
                "nobody online: it waits",
                Strategy::RoundRobin,
                vec![(1, false, A, 0), (2, false, A, 0)],
                None,
                None,
                None,
            ),
            (
                "everyone away: it waits",
                Strategy::LeastBusy,
                vec![(1, true, W, 0)],
                None,
                None,
                None,
            ),
            (
                "a limit of zero blocks everyone",
                Strategy::RoundRobin,
                vec![(1, true, A, 0)],
                Some(0),
                None,
                None,
            ),
            (
                "no agents: it waits",
                Strategy::RoundRobin,
                vec![],
                None,
                None,
                None,
            ),
        ];
        for (case, strategy, agents, max, rr, expected) in table {
            let got = choose(strategy, &slots(&agents), max, rr.map(id));
            assert_eq!(got, expected.map(id), "{case}");
        }
    }

    #[test]
    fn least_busy_breaks_a_tie_in_favour_of_the_agent_served_longest_ago() {
        let mut a = slots(&[(1, true, A, 1), (2, true, A, 1)]);
        a[0].last_served = Some(5);
        a[1].last_served = Some(2);
        assert_eq!(choose(Strategy::LeastBusy, &a, None, None), Some(id(2)));
        a[1].last_served = None;
        assert_eq!(
            choose(Strategy::LeastBusy, &a, None, None),
            Some(id(2)),
            "never served comes first"
        );
    }

    #[test]
    fn dispatch_hands_out_in_turn_until_the_limits_are_reached_and_the_rest_wait() {
        let conv: Vec<Uuid> = (10..16).map(id).collect();
        // Two agents, at most 2 each: four assigned, two wait.
        let mut a = slots(&[(1, true, A, 0), (2, true, A, 0)]);
        let (given, last) = dispatch(Strategy::RoundRobin, &mut a, Some(2), None, &conv);
        let who: Vec<Uuid> = given.iter().map(|(_, g)| *g).collect();
        assert_eq!(who, vec![id(1), id(2), id(1), id(2)]);
        assert_eq!(given[0].0, id(10), "oldest first");
        assert_eq!(last, Some(id(2)));
        assert_eq!(a.iter().map(|s| s.active).collect::<Vec<_>>(), vec![2, 2]);
        // Least busy fills the idle agent first, then alternates.
        let mut a = slots(&[(1, true, A, 2), (2, true, A, 0)]);
        let (given, _) = dispatch(Strategy::LeastBusy, &mut a, Some(3), None, &conv);
        let who: Vec<Uuid> = given.iter().map(|(_, g)| *g).collect();
        assert_eq!(who, vec![id(2), id(2), id(1), id(2)]);
        // Manual hands out nothing.
        let mut a = slots(&[(1, true, A, 0)]);
        assert!(
            dispatch(Strategy::Manual, &mut a, None, None, &conv)
                .0
                .is_empty()
        );
    }

    #[test]
    fn every_combination_of_agent_states_and_limits_obeys_the_eligibility_rule() {
        // Exhaustive over 3 agents × (online, status incl. away and offline, active 0..=2) ×
        // limit {None, 1, 2}.
        let states: Vec<(bool, ChosenStatus, u32)> = [true, false]
            .iter()
            .flat_map(|&o| {
                [A, W, O]
                    .into_iter()
                    .flat_map(move |s| (0..=2).map(move |n| (o, s, n)))
            })
            .collect();
        for limit in [None, Some(1), Some(2)] {
            for x in &states {
                for y in &states {
                    for z in &states {
                        let agents =
                            slots(&[(1, x.0, x.1, x.2), (2, y.0, y.1, y.2), (3, z.0, z.1, z.2)]);
                        let ok = |a: &AgentSlot| {
                            a.online && a.status == A && limit.is_none_or(|m| a.active < m)
                        };
                        for strategy in [Strategy::RoundRobin, Strategy::LeastBusy] {
                            let got = choose(strategy, &agents, limit, None);
                            match got {
                                Some(g) => {
                                    let slot = agents.iter().find(|a| a.id == g).unwrap();
                                    assert!(ok(slot), "{strategy:?} picked an ineligible agent");
                                    if strategy == Strategy::LeastBusy {
                                        let min =
                                            agents.iter().filter(|a| ok(a)).map(|a| a.active).min();
                                        assert_eq!(Some(slot.active), min);
                                    }
                                }
                                None => assert!(
                                    !agents.iter().any(ok),
                                    "{strategy:?} left an eligible agent idle"
                                ),
                            }
                        }
                    }
                }
            }
        }
    }
}
