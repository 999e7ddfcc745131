//! Port availability: a port that keeps failing is benched (skipped by its groups) and tried
//! again after a backoff that doubles with each bench, up to a maximum. After a bench the port
//! is on probation: one failure benches it again; one success clears everything.

use smsgate_config::gateway::SupervisionConfig;
use std::time::Duration;
use tokio::time::Instant;

/// Whether a port may be given work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// It may.
    Available,
    /// Skipped until `until`.
    Benched {
        /// End of the bench.
        until: Instant,
    },
}

/// Failure/bench state of one port.
#[derive(Debug, Clone)]
pub struct PortHealth {
    failures_before_bench: u32,
    base: Duration,
    max: Duration,
    consecutive_failures: u32,
    benches: u32,
    benched_until: Option<Instant>,
}

impl PortHealth {
    /// Uses `[supervision] failures_before_bench`, `bench_backoff_ms`, `bench_backoff_max_ms`.
    pub fn new(cfg: &SupervisionConfig) -> Self {
        Self {
            failures_before_bench: cfg.failures_before_bench.max(1),
            base: Duration::from_millis(cfg.bench_backoff_ms),
            max: Duration::from_millis(cfg.bench_backoff_max_ms),
            consecutive_failures: 0,
            benches: 0,
            benched_until: None,
        }
    }

    /// Availability at `now`.
    pub fn availability(&self, now: Instant) -> Availability {
        match self.benched_until {
            Some(until) if now < until => Availability::Benched { until },
            _ => Availability::Available,
        }
    }

    /// A send or command succeeded.
    pub fn record_success(&mut self) {
        self.consecutive_failures = 0;
        self.benches = 0;
        self.benched_until = None;
    }

    /// A send or command failed at `now`; returns the resulting availability.
    pub fn record_failure(&mut self, now: Instant) -> Availability {
        self.consecutive_failures += 1;
        let on_probation = self.benches > 0;
        if on_probation || self.consecutive_failures >= self.failures_before_bench {
            let factor = 2u32.saturating_pow(self.benches.min(20));
            let backoff = self.base.saturating_mul(factor).min(self.max);
            self.benches += 1;
            self.consecutive_failures = 0;
            self.benched_until = Some(now + backoff);
        }
        self.availability(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SupervisionConfig {
        SupervisionConfig {
            failures_before_bench: 3,
            bench_backoff_ms: 1000,
            bench_backoff_max_ms: 5000,
            ..SupervisionConfig::default()
        }
    }

    #[test]
    fn a_port_is_benched_only_after_the_configured_number_of_consecutive_failures() {
        let t = Instant::now();
        let mut h = PortHealth::new(&cfg());
        assert_eq!(h.record_failure(t), Availability::Available);
        assert_eq!(h.record_failure(t), Availability::Available);
        assert_eq!(
            h.record_failure(t),
            Availability::Benched {
                until: t + Duration::from_secs(1)
            }
        );
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
    fn a_benched_port_is_retried_after_its_backoff_which_doubles_up_to_the_maximum() {
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
            assert_eq!(
                h.availability(t),
                Availability::Available,
                "retried after the bench"
            );
            h.record_failure(t); // probation: one failure benches again
        }
        assert_eq!(benches, [1000, 2000, 4000, 5000, 5000]);
    }

    #[test]
    fn a_success_on_probation_clears_the_backoff() {
        let t = Instant::now();
        let mut h = PortHealth::new(&cfg());
        for _ in 0..3 {
            h.record_failure(t);
        }
        h.record_success();
        assert_eq!(h.availability(t), Availability::Available);
        assert_eq!(
            h.record_failure(t),
            Availability::Available,
            "probation ended"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn under_paused_time_a_benched_port_comes_back_by_itself() {
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
