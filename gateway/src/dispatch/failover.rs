//! Failover (pure): which ports may take a message that already failed somewhere.
//!
//! **The failover rule.** A message whose send failed with an error that may pass (nothing went
//! out) goes back to the queue at once and is handed to another port of its group that has not
//! failed it; it waits for its retry delay only when every port of the group that could take it
//! has already failed it (a one-port group, a pinned message). A port that failed a message is
//! never given it again while another available port has not tried.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tokio::time::Instant;

/// Entries older than this are forgotten (the message settled long ago, or the gateway forgot).
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// The ports that failed one message, and when it may go back to one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedOn {
    /// Ports whose attempt failed (nothing went out).
    pub ports: BTreeSet<u16>,
    /// The last failure.
    pub at: Instant,
    /// How long after the last failure one of those ports may try again.
    pub retry_after: Duration,
}

impl FailedOn {
    /// When a port that failed it may take it again.
    pub fn retry_at(&self) -> Instant {
        self.at + self.retry_after
    }
}

/// May `port` take the message now? `others_available`: some available port of its group that
/// is not in `failed.ports` could take it.
pub fn may_take(
    failed: Option<&FailedOn>,
    port: u16,
    now: Instant,
    others_available: bool,
) -> bool {
    match failed {
        None => true,
        Some(f) if !f.ports.contains(&port) => true,
        Some(_) if others_available => false,
        Some(f) => now >= f.retry_at(),
    }
}

/// Failures per message, shared by the workers (who record) and the dispatchers (who read).
#[derive(Debug, Default)]
pub struct FailoverBook {
    entries: HashMap<i64, FailedOn>,
}

impl FailoverBook {
    /// Message `id` failed on `port` at `now`; it may go back to a port that failed it after
    /// `retry_after`.
    pub fn failed(&mut self, id: i64, port: u16, now: Instant, retry_after: Duration) {
        self.entries
            .retain(|_, f| now.saturating_duration_since(f.at) < FORGET_AFTER);
        let e = self.entries.entry(id).or_insert_with(|| FailedOn {
            ports: BTreeSet::new(),
            at: now,
            retry_after,
        });
        e.ports.insert(port);
        e.at = now;
        e.retry_after = retry_after;
    }

    /// Message `id` settled (sent, failed for good, unknown): forget it.
    pub fn settled(&mut self, id: i64) {
        self.entries.remove(&id);
    }

    /// The failures of message `id`.
    pub fn get(&self, id: i64) -> Option<&FailedOn> {
        self.entries.get(&id)
    }

    /// How many distinct ports failed message `id`.
    pub fn ports_failed(&self, id: i64) -> usize {
        self.entries.get(&id).map_or(0, |f| f.ports.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn failed_on(ports: &[u16], at: Instant) -> FailedOn {
        FailedOn {
            ports: ports.iter().copied().collect(),
            at,
            retry_after: 2 * S,
        }
    }

    #[test]
    fn a_message_that_never_failed_may_go_anywhere() {
        let t = Instant::now();
        for others in [false, true] {
            assert!(may_take(None, 1, t, others));
        }
    }

    #[test]
    fn a_port_that_did_not_fail_the_message_takes_it_at_once() {
        let t = Instant::now();
        let f = failed_on(&[1], t);
        assert!(may_take(Some(&f), 0, t, true));
        assert!(may_take(Some(&f), 0, t, false));
    }

    #[test]
    fn the_failing_port_never_gets_it_back_while_another_port_could_take_it() {
        let t = Instant::now();
        let f = failed_on(&[1], t);
        assert!(!may_take(Some(&f), 1, t, true));
        assert!(
            !may_take(Some(&f), 1, t + 100 * S, true),
            "not even after its delay"
        );
    }

    #[test]
    fn when_every_port_failed_it_the_retry_delay_applies() {
        let t = Instant::now();
        let f = failed_on(&[0, 1], t);
        assert!(!may_take(Some(&f), 1, t + S, false));
        assert!(may_take(Some(&f), 1, t + 2 * S, false));
        assert!(may_take(Some(&f), 0, t + 3 * S, false));
    }

    #[test]
    fn every_case_of_the_rule_in_one_table() {
        let t = Instant::now();
        let f = failed_on(&[1], t);
        // (failed before?, port in failed set?, others available?, delay over?) → may take
        for failed in [false, true] {
            for port in [0u16, 1] {
                for others in [false, true] {
                    for over in [false, true] {
                        let now = if over { t + 3 * S } else { t };
                        let got = may_take(failed.then_some(&f), port, now, others);
                        let expected = !failed || port == 0 || (!others && over);
                        assert_eq!(got, expected, "{failed} {port} {others} {over}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_book_collects_ports_and_forgets_settled_and_old_messages() {
        let t = Instant::now();
        let mut b = FailoverBook::default();
        b.failed(7, 1, t, S);
        b.failed(7, 2, t + S, 2 * S);
        assert_eq!(b.ports_failed(7), 2);
        assert_eq!(b.get(7).unwrap().retry_at(), t + 3 * S);
        b.settled(7);
        assert_eq!(b.ports_failed(7), 0);
        b.failed(8, 1, t, S);
        b.failed(9, 1, t + FORGET_AFTER + S, S);
        assert!(b.get(8).is_none(), "old entries are dropped");
        assert!(b.get(9).is_some());
    }
}
