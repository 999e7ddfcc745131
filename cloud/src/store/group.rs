//! Group commit, the rule without I/O: write transactions that queue for the one writer
//! connection share one durable commit.
//!
//! Every write transaction is a *member*: it arrives ([`GroupCommit::arrive`]), gets the
//! writer connection ([`GroupCommit::acquire`]: begin a group or join the open one), runs its
//! work inside a savepoint, and then either releases the savepoint into the group
//! ([`GroupCommit::released`]) or rolls it back ([`GroupCommit::abandoned`]), which undoes
//! only its own work. When it gives the connection up, the group commits if nobody else is
//! queued for the connection or the group is full (`limit` members); otherwise the next
//! queued member joins and the one that released *hands off*: it waits, without the
//! connection, for the group's outcome ([`GroupCommit::outcome`]). So a caller is answered
//! only after the commit that holds its effect is durable, and one fsync serves every member
//! that was queued meanwhile. Under no contention each transaction commits alone, as before.
//!
//! The backend ([`super::sqlite`]) does the SQL (`BEGIN IMMEDIATE`, `SAVEPOINT`, `RELEASE`,
//! `ROLLBACK TO`, `COMMIT`) as told by the [`Start`] and [`After`] this returns.

use std::collections::BTreeMap;

/// Group number (increasing).
pub type GroupId = u64;

/// What a member that got the connection does first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// No group is open: begin the transaction of group `id`, then the member's savepoint.
    Begin(GroupId),
    /// Group `id` is open (earlier members released into it): only the savepoint.
    Join(GroupId),
}

/// What the member holding the connection does when it is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Commit group `id` now and report the outcome with [`GroupCommit::finished`].
    Commit(GroupId),
    /// Give the connection to the next queued member and wait for group `id`'s outcome.
    HandOff(GroupId),
    /// The group holds nothing and nobody is queued: end the empty transaction.
    Close,
    /// The member leaves nothing in the group and others are queued: give the connection
    /// up; the group stays open for them.
    Leave,
}

/// How group `id` ended, as told to the members that handed off.
pub type Outcome = Result<(), String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Open {
    id: GroupId,
    /// Members whose work was released into the group.
    members: usize,
    /// Members waiting for the outcome (they handed off).
    followers: usize,
}

/// The group commit state of one writer connection.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    limit: usize,
    /// Members that arrived and wait for the connection.
    waiting: usize,
    open: Option<Open>,
    next: GroupId,
    /// Outcomes not yet read by every follower: the outcome and how many still read it.
    done: BTreeMap<GroupId, (Outcome, usize)>,
}

impl GroupCommit {
    /// At most `limit` members per commit (1: every transaction commits alone).
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            waiting: 0,
            open: None,
            next: 1,
            done: BTreeMap::new(),
        }
    }

    /// A member queues for the connection.
    pub fn arrive(&mut self) {
        self.waiting += 1;
    }

    /// The member got the connection.
    pub fn acquire(&mut self) -> Start {
        self.waiting = self.waiting.saturating_sub(1);
        match self.open {
            Some(o) => Start::Join(o.id),
            None => {
                let id = self.next;
                self.next += 1;
                self.open = Some(Open {
                    id,
                    members: 0,
                    followers: 0,
                });
                Start::Begin(id)
            }
        }
    }

    /// The group's transaction could not begin: nothing is open.
    pub fn begin_failed(&mut self) {
        self.open = None;
    }

    /// Whether members are queued for the connection.
    pub fn queued(&self) -> usize {
        self.waiting
    }

    /// The holder released its savepoint into the group.
    pub fn released(&mut self) -> After {
        let Some(o) = self.open.as_mut() else {
            // Unreachable by construction (a member always holds an open group); committing
            // at once (group 0, which nobody waits for) never leaves work uncommitted.
            return After::Commit(0);
        };
        o.members += 1;
        if self.waiting == 0 || o.members >= self.limit {
            After::Commit(o.id)
        } else {
            o.followers += 1;
            After::HandOff(o.id)
        }
    }

    /// The holder rolled its savepoint back (its own work only).
    pub fn abandoned(&mut self) -> After {
        let Some(o) = self.open else {
            return After::Close;
        };
        match (o.members, self.waiting) {
            (0, 0) => {
                self.open = None;
                After::Close
            }
            (_, 0) => After::Commit(o.id),
            _ => After::Leave,
        }
    }

    /// Group `id` committed (`Ok`) or failed (its transaction is gone: every member's work
    /// with it). Its followers read the outcome with [`GroupCommit::outcome`].
    pub fn finished(&mut self, id: GroupId, outcome: Outcome) {
        if let Some(o) = self.open.filter(|o| o.id == id) {
            self.open = None;
            if o.followers > 0 {
                self.done.insert(id, (outcome, o.followers));
            }
        }
    }

    /// A follower of group `id` asks how it ended: `None` while it is still open.
    pub fn outcome(&mut self, id: GroupId) -> Option<Outcome> {
        let (outcome, left) = self.done.get_mut(&id)?;
        *left -= 1;
        let outcome = outcome.clone();
        if *left == 0 {
            self.done.remove(&id);
        }
        Some(outcome)
    }

    /// The open group and how many members it holds (for tests and metrics).
    pub fn open(&self) -> Option<(GroupId, usize)> {
        self.open.map(|o| (o.id, o.members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` members queued behind one that holds the connection.
    fn holder_with_queue(limit: usize, queued: usize) -> (GroupCommit, GroupId) {
        let mut g = GroupCommit::new(limit);
        g.arrive();
        let Start::Begin(id) = g.acquire() else {
            panic!("the first member begins")
        };
        for _ in 0..queued {
            g.arrive();
        }
        (g, id)
    }

    #[test]
    fn a_lone_transaction_commits_at_once() {
        let (mut g, id) = holder_with_queue(64, 0);
        assert_eq!(g.released(), After::Commit(id));
        g.finished(id, Ok(()));
        assert_eq!(g.open(), None);
    }

    #[test]
    fn a_member_with_others_queued_hands_off_and_the_last_one_commits_for_all() {
        let (mut g, id) = holder_with_queue(64, 2);
        assert_eq!(g.released(), After::HandOff(id));
        assert_eq!(g.acquire(), Start::Join(id));
        assert_eq!(g.released(), After::HandOff(id));
        assert_eq!(g.acquire(), Start::Join(id));
        assert_eq!(g.released(), After::Commit(id));
        assert_eq!(g.outcome(id), None, "nothing is told before the commit");
        g.finished(id, Ok(()));
        assert_eq!(g.outcome(id), Some(Ok(())));
        assert_eq!(g.outcome(id), Some(Ok(())));
        assert_eq!(g.outcome(id), None, "each follower reads it once");
    }

    #[test]
    fn a_full_group_commits_even_with_members_queued() {
        let (mut g, id) = holder_with_queue(2, 5);
        assert_eq!(g.released(), After::HandOff(id));
        assert_eq!(g.acquire(), Start::Join(id));
        assert_eq!(g.released(), After::Commit(id));
        g.finished(id, Ok(()));
        assert!(matches!(g.acquire(), Start::Begin(next) if next > id));
    }

    #[test]
    fn a_limit_of_one_commits_every_transaction_alone() {
        let (mut g, id) = holder_with_queue(1, 3);
        assert_eq!(g.released(), After::Commit(id));
        g.finished(id, Ok(()));
        assert_eq!(g.outcome(id), None, "nobody waits for it");
        assert!(matches!(g.acquire(), Start::Begin(_)));
    }

    #[test]
    fn a_member_that_rolls_back_leaves_the_group_open_for_the_queue() {
        let (mut g, id) = holder_with_queue(64, 1);
        assert_eq!(g.released(), After::HandOff(id));
        g.acquire();
        g.arrive();
        assert_eq!(g.abandoned(), After::Leave);
        assert_eq!(g.acquire(), Start::Join(id));
        assert_eq!(g.released(), After::Commit(id));
    }

    #[test]
    fn the_last_member_rolling_back_commits_what_the_others_released() {
        let (mut g, id) = holder_with_queue(64, 1);
        assert_eq!(g.released(), After::HandOff(id));
        g.acquire();
        assert_eq!(g.abandoned(), After::Commit(id));
        g.finished(id, Ok(()));
        assert_eq!(g.outcome(id), Some(Ok(())));
    }

    #[test]
    fn a_lone_member_rolling_back_closes_the_empty_transaction() {
        let (mut g, _) = holder_with_queue(64, 0);
        assert_eq!(g.abandoned(), After::Close);
        assert_eq!(g.open(), None);
        assert!(matches!(g.acquire(), Start::Begin(_)));
    }

    #[test]
    fn an_empty_group_stays_open_while_members_are_queued() {
        let (mut g, id) = holder_with_queue(64, 1);
        assert_eq!(g.abandoned(), After::Leave);
        assert_eq!(g.acquire(), Start::Join(id));
        assert_eq!(g.abandoned(), After::Close);
    }

    #[test]
    fn a_failed_commit_is_told_to_every_follower() {
        let (mut g, id) = holder_with_queue(64, 1);
        assert_eq!(g.released(), After::HandOff(id));
        g.acquire();
        assert_eq!(g.released(), After::Commit(id));
        g.finished(id, Err("disk I/O error".into()));
        assert_eq!(g.outcome(id), Some(Err("disk I/O error".into())));
        assert_eq!(g.open(), None, "the next member begins afresh");
    }

    #[test]
    fn a_failed_begin_leaves_no_group_open() {
        let mut g = GroupCommit::new(8);
        g.arrive();
        assert!(matches!(g.acquire(), Start::Begin(_)));
        g.begin_failed();
        g.arrive();
        assert!(matches!(g.acquire(), Start::Begin(_)));
    }

    #[test]
    fn outcomes_of_groups_are_kept_apart() {
        let (mut g, first) = holder_with_queue(64, 1);
        assert_eq!(g.released(), After::HandOff(first));
        g.acquire();
        assert_eq!(g.released(), After::Commit(first));
        g.finished(first, Err("full".into()));
        g.arrive();
        let Start::Begin(second) = g.acquire() else {
            panic!()
        };
        g.arrive();
        assert_eq!(g.released(), After::HandOff(second));
        g.acquire();
        assert_eq!(g.released(), After::Commit(second));
        g.finished(second, Ok(()));
        assert_eq!(g.outcome(second), Some(Ok(())));
        assert_eq!(g.outcome(first), Some(Err("full".into())));
    }

    #[test]
    fn every_member_is_answered_whatever_the_order_of_releases_and_rollbacks() {
        // Exhaustive over short sequences: each member either releases or rolls back, with
        // 0..=2 more arriving while it holds the connection. Every member that released is
        // answered exactly once, and no group stays open at the end.
        for limit in 1..=3 {
            for plan in 0..(6u32.pow(4)) {
                let mut g = GroupCommit::new(limit);
                let mut answered_by_commit = 0usize;
                let mut followers: Vec<GroupId> = Vec::new();
                let mut released = 0usize;
                let mut p = plan;
                let mut steps = 0;
                g.arrive();
                loop {
                    let _ = g.acquire();
                    let choice = p % 6;
                    p /= 6;
                    steps += 1;
                    let more = if steps < 4 { (choice / 2) as usize } else { 0 };
                    for _ in 0..more {
                        g.arrive();
                    }
                    let after = if choice % 2 == 0 {
                        released += 1;
                        g.released()
                    } else {
                        g.abandoned()
                    };
                    match after {
                        After::Commit(id) => {
                            if choice % 2 == 0 {
                                answered_by_commit += 1;
                            }
                            g.finished(id, Ok(()));
                            while let Some(f) = followers.iter().position(|f| *f == id) {
                                assert_eq!(g.outcome(followers.remove(f)), Some(Ok(())));
                                answered_by_commit += 1;
                            }
                        }
                        After::HandOff(id) => followers.push(id),
                        After::Close | After::Leave => {}
                    }
                    if g.queued() == 0 {
                        break;
                    }
                }
                assert!(
                    followers.is_empty(),
                    "limit {limit} plan {plan}: {followers:?}"
                );
                assert_eq!(answered_by_commit, released, "limit {limit} plan {plan}");
                assert_eq!(g.open(), None, "limit {limit} plan {plan}");
            }
        }
    }
}
