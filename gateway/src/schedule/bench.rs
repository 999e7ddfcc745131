//! Port availability (pure): a failing port is benched — skipped by its groups — for a time
//! proportional to what failed, and comes back when a health check passes, never by trying a
//! customer's message on it.
//!
//! **The bench rule.** What failed decides how long the port rests ([`BenchCause`]):
//!
//! | cause | examples | benched | first bench | growth |
//! |---|---|---|---|---|
//! | network | `+CMS ERROR` 38, 41, 42, 47, 331, 332 (the network said "later") | at once | `transient_bench_ms` | ×2 per bench, up to `transient_bench_max_ms` |
//! | unresponsive | no `>` prompt, command timeout, outcome unknown | at once | `transient_bench_ms` | same |
//! | refused | plain `ERROR`, `+CMS ERROR: 500`, unknown codes (maybe this message) | after `failures_before_bench` in a row | `transient_bench_ms` | same |
//! | modem | SIM missing or busy, not registered, modem restarted | at once | `bench_backoff_ms` | ×2, up to `bench_backoff_max_ms` |
//!
//! When the bench time is over the port is not available yet: its worker runs a health probe
//! (the modem answers, the SIM is ready, the network registration holds) and only a passing
//! probe ends the bench ([`PortHealth::probe_passed`]); a failing probe benches it again, longer.
//! After a bench the port is on probation: its next failure, whatever the cause, benches it
//! again (longer); its next accepted message clears everything.
//!
//! [`PortHealth::new`] keeps the older time-only rule for workers that cannot probe (the
//! Dinstar HTTP ports): `failures_before_bench` failures, then a bench of `bench_backoff_ms`
//! doubling, ending by itself.

use smsgate_config::gateway::SupervisionConfig;
use std::time::Duration;
use tokio::time::Instant;

/// Whether a port may be given work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// It may.
    Available,
    /// Skipped until `until` (for a probed port: at least until then, then until a probe passes).
    Benched {
        /// End of the bench time.
        until: Instant,
    },
}

/// What made a port fail (see the module docs for the bench each one gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BenchCause {
    /// The network refused for now.
    Network,
    /// The modem did not answer in time.
    Unresponsive,
    /// The modem refused without saying why (may be the message, not the port).
    Refused,
    /// The modem or its SIM is not fit to send.
    Modem,
}

impl BenchCause {
    /// All causes (exhaustive tests).
    pub const ALL: [BenchCause; 4] = [
        BenchCause::Network,
        BenchCause::Unresponsive,
        BenchCause::Refused,
        BenchCause::Modem,
    ];

    /// How an operator reads it.
    pub fn words(self) -> &'static str {
        match self {
            BenchCause::Network => "the network refused messages",
            BenchCause::Unresponsive => "the modem did not answer in time",
            BenchCause::Refused => "the modem refused messages",
            BenchCause::Modem => "the modem or SIM was not ready",
        }
    }
}

/// A bench in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bench {
    /// What failed.
    pub cause: BenchCause,
    /// The failure, as the modem or network said it.
    pub reason: String,
    /// Benched at.
    pub since: Instant,
    /// End of the bench time (then a probe decides, for probed ports).
    pub until: Instant,
    /// Probes that failed during this bench.
    pub failed_probes: u32,
}

/// Where a port stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchStatus<'a> {
    /// Not benched.
    Available,
    /// Benched; the bench time is not over.
    Resting(&'a Bench),
    /// The bench time is over: run a health probe ([`PortHealth::probe_passed`]/[`PortHealth::probe_failed`]).
    ProbeDue(&'a Bench),
}

/// Failure/bench state of one port.
#[derive(Debug, Clone)]
pub struct PortHealth {
    failures_before_bench: u32,
    modem_base: Duration,
    modem_max: Duration,
    transient_base: Duration,
    transient_max: Duration,
    probed: bool,
    consecutive_failures: u32,
    benches: u32,
    bench: Option<Bench>,
}

impl PortHealth {
    /// The time-only rule (a bench ends by itself): `failures_before_bench` failures, then
    /// `bench_backoff_ms` doubling up to `bench_backoff_max_ms`.
    pub fn new(cfg: &SupervisionConfig) -> Self {
        Self {
            failures_before_bench: cfg.failures_before_bench.max(1),
            modem_base: Duration::from_millis(cfg.bench_backoff_ms),
            modem_max: Duration::from_millis(cfg.bench_backoff_max_ms),
            transient_base: Duration::from_millis(cfg.transient_bench_ms),
            transient_max: Duration::from_millis(cfg.transient_bench_max_ms),
            probed: false,
            consecutive_failures: 0,
            benches: 0,
            bench: None,
        }
    }

    /// The bench rule of the module docs: a bench ends only when a probe passes.
    pub fn probed(cfg: &SupervisionConfig) -> Self {
        Self {
            probed: true,
            ..Self::new(cfg)
        }
    }

    /// Availability at `now` (dispatchers and the time-only workers use this).
    pub fn availability(&self, now: Instant) -> Availability {
        match self.status(now) {
            BenchStatus::Available => Availability::Available,
            BenchStatus::Resting(b) | BenchStatus::ProbeDue(b) => {
                Availability::Benched { until: b.until }
            }
        }
    }

    /// Where the port stands at `now`.
    pub fn status(&self, now: Instant) -> BenchStatus<'_> {
        match &self.bench {
            None => BenchStatus::Available,
            Some(b) if now < b.until => BenchStatus::Resting(b),
            Some(_) if !self.probed => BenchStatus::Available,
            Some(b) => BenchStatus::ProbeDue(b),
        }
    }

    /// The bench in force (`None` when not benched, or when a time-only bench is over at `now`).
    pub fn bench(&self, now: Instant) -> Option<&Bench> {
        match self.status(now) {
            BenchStatus::Available => None,
            BenchStatus::Resting(b) | BenchStatus::ProbeDue(b) => Some(b),
        }
    }

    /// When the next probe is due (`None`: no bench, or a time-only bench).
    pub fn probe_at(&self) -> Option<Instant> {
        self.bench.as_ref().filter(|_| self.probed).map(|b| b.until)
    }

    /// A message was accepted: everything is cleared (probation ends).
    pub fn record_success(&mut self) {
        self.consecutive_failures = 0;
        self.benches = 0;
        self.bench = None;
    }

    fn backoff(&self, cause: BenchCause) -> Duration {
        let (base, max) = match cause {
            BenchCause::Modem => (self.modem_base, self.modem_max),
            _ => (self.transient_base, self.transient_max),
        };
        let factor = 2u32.saturating_pow(self.benches.min(20));
        base.saturating_mul(factor).min(max)
    }

    fn bench_now(&mut self, now: Instant, cause: BenchCause, reason: String) {
        let until = now + self.backoff(cause);
        self.benches += 1;
        self.consecutive_failures = 0;
        self.bench = Some(Bench {
            cause,
            reason,
            since: now,
            until,
            failed_probes: 0,
        });
    }

    /// A failure of `cause` at `now` (the bench rule); returns the bench if the port is benched.
    pub fn record(&mut self, now: Instant, cause: BenchCause, reason: &str) -> Option<&Bench> {
        self.consecutive_failures += 1;
        let on_probation = self.benches > 0;
        let at_once = !matches!(cause, BenchCause::Refused);
        if on_probation || at_once || self.consecutive_failures >= self.failures_before_bench {
            self.bench_now(now, cause, reason.to_owned());
        }
        self.bench(now)
    }

    /// A failure at `now` under the time-only rule (cause unknown: counted towards
    /// `failures_before_bench`, benched for `bench_backoff_ms` doubling).
    pub fn record_failure(&mut self, now: Instant) -> Availability {
        self.consecutive_failures += 1;
        let on_probation = self.benches > 0;
        if on_probation || self.consecutive_failures >= self.failures_before_bench {
            self.bench_now(now, BenchCause::Modem, "repeated send failures".into());
        }
        self.availability(now)
    }

    /// The health probe passed (or the modem was initialised from scratch): the bench ends,
    /// probation goes on until a message is accepted.
    pub fn probe_passed(&mut self) {
        self.bench = None;
        self.consecutive_failures = 0;
    }

    /// The health probe failed at `now`: benched again, longer, with `reason`.
    pub fn probe_failed(&mut self, now: Instant, reason: &str) {
        let (cause, failed) = self
            .bench
            .as_ref()
            .map_or((BenchCause::Modem, 0), |b| (b.cause, b.failed_probes));
        self.bench_now(now, cause, format!("health check failed: {reason}"));
        if let Some(b) = &mut self.bench {
            b.failed_probes = failed + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn cfg() -> SupervisionConfig {
        SupervisionConfig {
            failures_before_bench: 3,
            bench_backoff_ms: 1000,
            bench_backoff_max_ms: 5000,
            transient_bench_ms: 200,
            transient_bench_max_ms: 1000,
            ..SupervisionConfig::default()
        }
    }

    fn length(h: &PortHealth, now: Instant) -> Duration {
        h.bench(now).map(|b| b.until - b.since).unwrap_or_default()
    }

    #[test]
    fn a_port_is_benched_only_after_the_configured_number_of_consecutive_failures() {
        let t = Instant::now();
        let mut h = PortHealth::new(&cfg());
        assert_eq!(h.record_failure(t), Availability::Available);
        assert_eq!(h.record_failure(t), Availability::Available);
        assert_eq!(h.record_failure(t), Availability::Benched { until: t + S });
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let t = Instant::now();
        let mut h = PortHealth::new(&cfg());
        h.record_failure(t);
        h.record_failure(t);
        h.record_success();
        assert_eq!(h.record_failure(t), Availability::Available);
    }

    #[test]
    fn a_time_only_bench_ends_by_itself_and_doubles_up_to_the_maximum() {
        let mut t = Instant::now();
        let mut h = PortHealth::new(&cfg());
        for _ in 0..3 {
            h.record_failure(t);
        }
        let mut benches = Vec::new();
        for _ in 0..5 {
            let Availability::Benched { until } = h.availability(t) else {
                panic!("should be benched");
            };
            benches.push((until - t).as_millis());
            t = until;
            assert_eq!(h.availability(t), Availability::Available, "over by itself");
            assert_eq!(h.probe_at(), None, "no probe for a time-only port");
            h.record_failure(t); // probation: one failure benches again
        }
        assert_eq!(benches, [1000, 2000, 4000, 5000, 5000]);
    }

    #[test]
    fn every_cause_gets_its_bench_length_and_only_unexplained_refusals_wait_for_a_series() {
        for cause in BenchCause::ALL {
            let t = Instant::now();
            let mut h = PortHealth::probed(&cfg());
            let first = h.record(t, cause, "x").is_some();
            match cause {
                BenchCause::Refused => {
                    assert!(!first, "one refusal may be the message");
                    assert!(h.record(t, cause, "x").is_none());
                    assert!(
                        h.record(t, cause, "x").is_some(),
                        "the third in a row benches"
                    );
                }
                _ => assert!(first, "{cause:?} benches at once"),
            }
            let expected = match cause {
                BenchCause::Modem => S,
                _ => Duration::from_millis(200),
            };
            assert_eq!(length(&h, t), expected, "{cause:?}");
        }
    }

    #[test]
    fn a_probed_bench_is_not_over_when_its_time_is_up_but_when_a_probe_passes() {
        let t = Instant::now();
        let mut h = PortHealth::probed(&cfg());
        h.record(t, BenchCause::Network, "+CMS ERROR: 38");
        assert!(matches!(h.status(t), BenchStatus::Resting(_)));
        let later = t + 10 * S;
        assert!(matches!(h.status(later), BenchStatus::ProbeDue(_)));
        assert!(matches!(
            h.availability(later),
            Availability::Benched { .. }
        ));
        assert_eq!(h.probe_at(), Some(t + Duration::from_millis(200)));
        h.probe_passed();
        assert_eq!(h.status(later), BenchStatus::Available);
        assert_eq!(h.probe_at(), None);
    }

    #[test]
    fn a_failed_probe_benches_again_longer_and_keeps_the_cause() {
        let t = Instant::now();
        let mut h = PortHealth::probed(&cfg());
        h.record(t, BenchCause::Network, "+CMS ERROR: 38");
        let t2 = t + S;
        h.probe_failed(t2, "not registered");
        let b = h.bench(t2).unwrap();
        assert_eq!(b.cause, BenchCause::Network);
        assert_eq!(b.failed_probes, 1);
        assert_eq!(b.until - b.since, Duration::from_millis(400));
        assert!(b.reason.contains("not registered"));
    }

    #[test]
    fn probation_after_a_probe_benches_on_the_next_failure_longer_until_a_message_is_accepted() {
        let mut t = Instant::now();
        let mut h = PortHealth::probed(&cfg());
        let mut lengths = Vec::new();
        for round in 0..5 {
            let refusals = if round == 0 { 3 } else { 1 };
            for _ in 0..refusals {
                h.record(t, BenchCause::Refused, "ERROR");
            }
            lengths.push(length(&h, t).as_millis());
            t += 10 * S;
            h.probe_passed();
        }
        // First after three refusals, then each single refusal on probation.
        assert_eq!(lengths, [200, 400, 800, 1000, 1000]);
        h.record_success();
        assert!(
            h.record(t, BenchCause::Refused, "ERROR").is_none(),
            "probation over"
        );
    }

    #[test]
    fn five_network_errors_in_a_row_keep_the_last_bench_well_under_thirty_seconds() {
        let d = SupervisionConfig::default();
        let mut t = Instant::now();
        let mut h = PortHealth::probed(&d);
        let mut lengths = Vec::new();
        for _ in 0..5 {
            h.record(t, BenchCause::Network, "+CMS ERROR: 38");
            let l = length(&h, t);
            lengths.push(l.as_secs());
            t += l;
            h.probe_passed();
        }
        assert_eq!(lengths, [2, 4, 8, 16, 16]);
    }

    #[tokio::test(start_paused = true)]
    async fn under_paused_time_a_time_only_bench_comes_back_by_itself() {
        let mut h = PortHealth::new(&cfg());
        for _ in 0..3 {
            h.record_failure(Instant::now());
        }
        let Availability::Benched { until } = h.availability(Instant::now()) else {
            panic!("benched");
        };
        tokio::time::sleep_until(until).await;
        assert_eq!(h.availability(Instant::now()), Availability::Available);
    }
}
