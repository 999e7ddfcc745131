//! Per-port pacing, applied to every SMS submission (each `AT+CMGS` of a multipart message,
//! each Dinstar HTTP send): `interval_ms` is the minimum gap from the END of one submission
//! (its answer) to the START of the next on the same port, whatever group or campaign either
//! came from, plus an optional random jitter in `0..=jitter_ms` drawn from an injected source
//! after each submission.
//!
//! A port in several groups paces with the LARGEST interval (and the largest jitter) of the
//! groups that include it ([`port_rules`]): a SIM is never submitted to faster than any of its
//! groups asks.
//!
//! The deadline of the next submission is an absolute instant (`end + interval + jitter`);
//! the caller waits for it with `sleep_until`, so the time the gateway spends between two
//! submissions (spool writes, the next claim) never adds to the gap. [`Pacer::takes_work`]
//! opens [`HANDOFF_LEAD`] before the deadline so the next message is claimed while the port
//! still waits, and the wait ends right at the deadline.

use smsgate_config::gateway::GroupConfig;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// How long before its deadline a waiting port takes its next message (claim it, then wait
/// out the rest of the interval): the claim's spool write happens inside the gap, not after.
/// 45 ms: at 50 ms on 32 ports the spool's writer, busy with every port's bookkeeping, gets
/// almost the whole gap to hand over the next message (25 ms left a p99 of 18 ms,
/// docs/benchmarks.md); a message waits on a port at most this long while another could take it.
pub const HANDOFF_LEAD: Duration = Duration::from_millis(45);

/// The pacing of one port: minimum gap and maximum jitter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaceRule {
    /// Minimum gap between two submissions, in ms.
    pub interval_ms: u64,
    /// Random extra gap, `0..=jitter_ms`.
    pub jitter_ms: u64,
}

impl PaceRule {
    /// The stricter of two rules, field by field.
    pub fn strictest(self, other: PaceRule) -> PaceRule {
        PaceRule {
            interval_ms: self.interval_ms.max(other.interval_ms),
            jitter_ms: self.jitter_ms.max(other.jitter_ms),
        }
    }
}

/// The rule of every port named by `groups`: the largest interval and jitter among the groups
/// that include it.
pub fn port_rules<'a>(
    groups: impl IntoIterator<Item = &'a GroupConfig>,
) -> BTreeMap<u16, PaceRule> {
    let mut rules: BTreeMap<u16, PaceRule> = BTreeMap::new();
    for g in groups {
        let rule = PaceRule {
            interval_ms: g.interval_ms,
            jitter_ms: g.jitter_ms,
        };
        for &p in g.ports.ports() {
            let r = rules.entry(p).or_default();
            *r = r.strictest(rule);
        }
    }
    rules
}

/// Source of jitter (injected so tests are deterministic).
pub trait JitterSource: Send {
    /// A value in `0..=max_ms`.
    fn jitter_ms(&mut self, max_ms: u64) -> u64;
}

/// Jitter from a `rand` generator.
#[derive(Debug)]
pub struct RandJitter<R>(pub R);

impl<R: rand::Rng + Send> JitterSource for RandJitter<R> {
    fn jitter_ms(&mut self, max_ms: u64) -> u64 {
        self.0.random_range(0..=max_ms)
    }
}

/// Scripted jitter for tests; records every `max_ms` asked for.
#[derive(Debug, Default)]
pub struct ScriptedJitter {
    values: std::collections::VecDeque<u64>,
    /// Every `max_ms` requested, in order.
    pub requests: Vec<u64>,
}

impl ScriptedJitter {
    /// Returns `values` in order (clamped to the requested maximum), then 0.
    pub fn new(values: impl IntoIterator<Item = u64>) -> Self {
        Self {
            values: values.into_iter().collect(),
            requests: Vec::new(),
        }
    }
}

impl JitterSource for ScriptedJitter {
    fn jitter_ms(&mut self, max_ms: u64) -> u64 {
        self.requests.push(max_ms);
        self.values.pop_front().unwrap_or(0).min(max_ms)
    }
}

/// Why a submission may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaceError {
    /// The interval since the last submission has not passed.
    #[error("the port may send again in {0:?}")]
    TooEarly(Duration),
    /// A submission is already in progress on this port.
    #[error("a send is already in progress on this port")]
    Busy,
}

/// Pacing state of one port (one SIM): every submission goes through [`Pacer::start`] and
/// [`Pacer::finish`].
#[derive(Debug, Clone)]
pub struct Pacer {
    rule: PaceRule,
    sending: bool,
    /// End of the last submission and the jitter drawn after it.
    last: Option<(Instant, u64)>,
}

impl Pacer {
    /// A pacer for `interval_ms` (+ `0..=jitter_ms`); a new port may send at once.
    pub fn new(interval_ms: u64, jitter_ms: u64) -> Self {
        Self {
            rule: PaceRule {
                interval_ms,
                jitter_ms,
            },
            sending: false,
            last: None,
        }
    }

    /// The rule in force.
    pub fn rule(&self) -> PaceRule {
        self.rule
    }

    /// Takes a new rule; the gap after the last submission is measured with it (a change never
    /// lets the port send at once, nor forgets when it last sent). Jitter already drawn stays,
    /// clamped to the new maximum.
    pub fn set_rule(&mut self, rule: PaceRule) {
        self.rule = rule;
        if let Some((_, j)) = &mut self.last {
            *j = (*j).min(rule.jitter_ms);
        }
    }

    /// Earliest start of the next submission (`None`: now, unless one is in progress).
    pub fn ready_at(&self) -> Option<Instant> {
        self.last
            .map(|(end, j)| end + Duration::from_millis(self.rule.interval_ms.saturating_add(j)))
    }

    /// Whether a submission is in progress.
    pub fn is_sending(&self) -> bool {
        self.sending
    }

    /// Whether a submission may start at `now`.
    pub fn is_ready(&self, now: Instant) -> bool {
        !self.sending && self.ready_at().is_none_or(|t| now >= t)
    }

    /// Whether the port should be given its next message at `now`: nothing in progress and the
    /// deadline at most [`HANDOFF_LEAD`] away (the message is claimed while the port waits).
    pub fn takes_work(&self, now: Instant) -> bool {
        !self.sending && self.ready_at().is_none_or(|t| now + HANDOFF_LEAD >= t)
    }

    /// When [`Pacer::takes_work`] becomes true (`None`: it is already, or a submission is in
    /// progress and its end decides).
    pub fn takes_work_at(&self, now: Instant) -> Option<Instant> {
        if self.sending {
            return None;
        }
        let t = self.ready_at()?.checked_sub(HANDOFF_LEAD)?;
        (t > now).then_some(t)
    }

    /// A submission starts at `now`.
    pub fn start(&mut self, now: Instant) -> Result<(), PaceError> {
        if self.sending {
            return Err(PaceError::Busy);
        }
        if let Some(t) = self.ready_at()
            && now < t
        {
            return Err(PaceError::TooEarly(t - now));
        }
        self.sending = true;
        Ok(())
    }

    /// The submission ended at `now` (answered, refused or timed out): the next may start at
    /// `now + interval + jitter`. Returns that instant.
    pub fn finish(&mut self, now: Instant, jitter: &mut dyn JitterSource) -> Instant {
        let extra = if self.rule.jitter_ms > 0 {
            jitter
                .jitter_ms(self.rule.jitter_ms)
                .min(self.rule.jitter_ms)
        } else {
            0
        };
        self.sending = false;
        self.last = Some((now, extra));
        now + Duration::from_millis(self.rule.interval_ms.saturating_add(extra))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn group(name: &str, ports: &str, interval_ms: u64, jitter_ms: u64) -> GroupConfig {
        let mut g = GroupConfig::new(name, smsgate_config::parse_port_spec(ports).unwrap());
        g.interval_ms = interval_ms;
        g.jitter_ms = jitter_ms;
        g
    }

    /// One submission `start..start+took`, returning its end.
    fn submit(p: &mut Pacer, start: Instant, took: u64) -> Instant {
        p.start(start).unwrap();
        let end = start + ms(took);
        p.finish(end, &mut ScriptedJitter::default());
        end
    }

    #[test]
    fn a_new_port_may_send_at_once_but_not_twice_at_the_same_time() {
        let now = Instant::now();
        let mut p = Pacer::new(50, 0);
        assert!(p.is_ready(now));
        assert!(p.takes_work(now));
        p.start(now).unwrap();
        assert!(p.is_sending());
        assert!(!p.is_ready(now));
        assert!(!p.takes_work(now));
        assert_eq!(p.start(now), Err(PaceError::Busy));
    }

    #[test]
    fn the_interval_runs_from_the_end_of_a_send_not_its_start() {
        let t = Instant::now();
        let mut p = Pacer::new(50, 0);
        p.start(t).unwrap();
        let end = t + ms(3000); // a real send takes seconds
        let ready = p.finish(end, &mut ScriptedJitter::default());
        assert_eq!(ready, end + ms(50));
        assert_eq!(p.ready_at(), Some(end + ms(50)));
        assert_eq!(p.start(end + ms(49)), Err(PaceError::TooEarly(ms(1))));
        assert!(p.start(end + ms(50)).is_ok());
    }

    #[test]
    fn every_part_of_a_multipart_message_is_a_submission_of_its_own() {
        // Three AT+CMGS of one message: each waits the full interval after the one before.
        let t = Instant::now();
        let mut p = Pacer::new(120, 0);
        let mut at = t;
        let mut ends = Vec::new();
        for _ in 0..3 {
            if let Some(r) = p.ready_at() {
                assert_eq!(p.start(r - ms(1)), Err(PaceError::TooEarly(ms(1))));
                at = r;
            }
            ends.push(submit(&mut p, at, 4));
        }
        assert_eq!(ends, [t + ms(4), t + ms(128), t + ms(252)]);
    }

    #[test]
    fn the_port_takes_its_next_message_a_handoff_lead_before_the_deadline_but_sends_only_at_it() {
        let t = Instant::now();
        let mut p = Pacer::new(100, 0);
        let end = submit(&mut p, t, 0);
        let deadline = end + ms(100);
        assert_eq!(p.takes_work_at(t), Some(deadline - HANDOFF_LEAD));
        assert!(!p.takes_work(deadline - HANDOFF_LEAD - ms(1)));
        assert!(p.takes_work(deadline - HANDOFF_LEAD));
        assert!(!p.is_ready(deadline - HANDOFF_LEAD));
        assert!(p.start(deadline - HANDOFF_LEAD).is_err());
        assert_eq!(p.takes_work_at(deadline - HANDOFF_LEAD), None);
        assert!(p.start(deadline).is_ok());
    }

    #[test]
    fn an_interval_shorter_than_the_handoff_lead_takes_work_at_once() {
        let t = Instant::now();
        let mut p = Pacer::new(10, 0);
        submit(&mut p, t, 0);
        assert!(p.takes_work(t));
        assert_eq!(p.takes_work_at(t), None);
        assert!(!p.is_ready(t + ms(9)));
    }

    #[test]
    fn a_port_in_the_middle_of_a_submission_takes_no_work_and_has_no_wake_time() {
        let t = Instant::now();
        let mut p = Pacer::new(100, 0);
        submit(&mut p, t, 0);
        p.start(t + ms(100)).unwrap();
        assert!(!p.takes_work(t + ms(500)));
        assert_eq!(p.takes_work_at(t + ms(100)), None);
    }

    #[test]
    fn a_new_rule_measures_the_gap_from_the_last_submission_it_does_not_reset_the_port() {
        let t = Instant::now();
        let mut p = Pacer::new(50, 0);
        let end = submit(&mut p, t, 0);
        p.set_rule(PaceRule {
            interval_ms: 200,
            jitter_ms: 0,
        });
        assert_eq!(p.ready_at(), Some(end + ms(200)));
        assert!(!p.is_ready(end + ms(50)));
        p.set_rule(PaceRule {
            interval_ms: 20,
            jitter_ms: 0,
        });
        assert!(p.is_ready(end + ms(20)));
        assert_eq!(p.rule().interval_ms, 20);
    }

    #[test]
    fn a_lower_jitter_maximum_clamps_the_jitter_already_drawn() {
        let t = Instant::now();
        let mut p = Pacer::new(100, 50);
        p.start(t).unwrap();
        p.finish(t, &mut ScriptedJitter::new([40]));
        assert_eq!(p.ready_at(), Some(t + ms(140)));
        p.set_rule(PaceRule {
            interval_ms: 100,
            jitter_ms: 10,
        });
        assert_eq!(p.ready_at(), Some(t + ms(110)));
    }

    #[test]
    fn jitter_is_drawn_once_per_send_up_to_its_maximum_and_added_to_the_interval() {
        let t = Instant::now();
        let mut p = Pacer::new(100, 20);
        let mut j = ScriptedJitter::new([7, 500]);
        p.start(t).unwrap();
        assert_eq!(p.finish(t, &mut j), t + ms(107));
        p.start(t + ms(107)).unwrap();
        let end = t + ms(200);
        assert_eq!(p.finish(end, &mut j), end + ms(120), "clamped to 20");
        assert_eq!(j.requests, [20, 20]);
    }

    #[test]
    fn a_jitter_source_that_overshoots_its_maximum_is_clamped_by_the_pacer() {
        struct Wild;
        impl JitterSource for Wild {
            fn jitter_ms(&mut self, _: u64) -> u64 {
                10_000
            }
        }
        let t = Instant::now();
        let mut p = Pacer::new(100, 5);
        p.start(t).unwrap();
        assert_eq!(p.finish(t, &mut Wild), t + ms(105));
    }

    #[test]
    fn without_jitter_the_source_is_never_asked() {
        let t = Instant::now();
        let mut p = Pacer::new(10, 0);
        let mut j = ScriptedJitter::new([5]);
        p.start(t).unwrap();
        p.finish(t, &mut j);
        assert!(j.requests.is_empty());
    }

    #[test]
    fn a_failed_submission_counts_like_a_sent_one() {
        // finish() is called whatever the answer: a refused part was still on the air.
        let t = Instant::now();
        let mut p = Pacer::new(80, 0);
        p.start(t).unwrap();
        p.finish(t + ms(30_000), &mut ScriptedJitter::default()); // timed out
        assert!(!p.is_ready(t + ms(30_079)));
        assert!(p.is_ready(t + ms(30_080)));
    }

    #[test]
    fn a_zero_interval_lets_the_next_submission_start_when_the_last_ends() {
        let t = Instant::now();
        let mut p = Pacer::new(0, 0);
        let end = submit(&mut p, t, 3);
        assert!(p.is_ready(end));
        assert!(!p.is_ready(end - ms(1)));
    }

    #[test]
    fn a_huge_interval_saturates_instead_of_overflowing() {
        let t = Instant::now();
        let mut p = Pacer::new(u64::MAX, u64::MAX);
        p.start(t).unwrap();
        p.finish(t, &mut ScriptedJitter::new([3]));
        assert!(!p.is_ready(t + ms(1_000_000)));
    }

    #[test]
    fn a_port_in_two_groups_paces_with_the_larger_interval_and_the_larger_jitter() {
        let groups = [group("fast", "0-1", 50, 30), group("slow", "1-2", 120, 10)];
        let rules = port_rules(&groups);
        let r = |interval_ms, jitter_ms| PaceRule {
            interval_ms,
            jitter_ms,
        };
        assert_eq!(rules[&0], r(50, 30));
        assert_eq!(rules[&1], r(120, 30));
        assert_eq!(rules[&2], r(120, 10));
        assert_eq!(rules.len(), 3);
    }

    #[test]
    fn the_group_order_does_not_change_a_shared_ports_rule() {
        let a = group("a", "0", 120, 0);
        let b = group("b", "0", 10, 5);
        assert_eq!(port_rules([&a, &b]), port_rules([&b, &a]));
    }

    #[test]
    fn ports_in_no_group_have_no_rule() {
        assert!(!port_rules(&[group("g", "3", 10, 0)]).contains_key(&0));
        assert!(port_rules(&[]).is_empty());
    }

    #[test]
    fn rand_jitter_stays_within_its_bounds() {
        use rand::SeedableRng;
        let mut j = RandJitter(rand::rngs::StdRng::seed_from_u64(7));
        assert!((0..1000).all(|_| j.jitter_ms(15) <= 15));
        assert_eq!(j.jitter_ms(0), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_loop_under_paused_time_keeps_every_gap_at_least_the_interval() {
        let mut p = Pacer::new(50, 10);
        let mut j = RandJitter(<rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1));
        let mut last_end: Option<Instant> = None;
        for i in 0..200u64 {
            if let Some(at) = p.ready_at() {
                tokio::time::sleep_until(at).await;
            }
            let start = Instant::now();
            if let Some(end) = last_end {
                let gap = start - end;
                assert!(gap >= ms(50) && gap <= ms(60), "gap {gap:?}");
            }
            p.start(start).unwrap();
            tokio::time::sleep(ms(i % 7)).await; // the "send"
            let end = Instant::now();
            p.finish(end, &mut j);
            last_end = Some(end);
        }
    }
}
