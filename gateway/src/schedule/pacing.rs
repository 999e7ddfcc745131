//! Per-port pacing: `interval_ms` is measured from the END of one send to the START of the
//! next send on the same port (a send's own duration never eats into the gap), plus an
//! optional random jitter in `0..=jitter_ms` drawn from an injected source after each send.

use std::time::Duration;
use tokio::time::Instant;

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

/// Why a send may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaceError {
    /// The interval since the last send has not passed.
    #[error("the port may send again in {0:?}")]
    TooEarly(Duration),
    /// A send is already in progress on this port.
    #[error("a send is already in progress on this port")]
    Busy,
}

/// Pacing state of one port.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    jitter_max_ms: u64,
    sending: bool,
    ready_at: Option<Instant>,
}

impl Pacer {
    /// A pacer for `interval_ms` (+ `0..=jitter_ms`); a new port may send at once.
    pub fn new(interval_ms: u64, jitter_ms: u64) -> Self {
        Self {
            interval: Duration::from_millis(interval_ms),
            jitter_max_ms: jitter_ms,
            sending: false,
            ready_at: None,
        }
    }

    /// Earliest start of the next send (`None`: now, unless a send is in progress).
    pub fn ready_at(&self) -> Option<Instant> {
        self.ready_at
    }

    /// Whether a send may start at `now`.
    pub fn is_ready(&self, now: Instant) -> bool {
        !self.sending && self.ready_at.is_none_or(|t| now >= t)
    }

    /// A send starts at `now`.
    pub fn start(&mut self, now: Instant) -> Result<(), PaceError> {
        if self.sending {
            return Err(PaceError::Busy);
        }
        if let Some(t) = self.ready_at
            && now < t
        {
            return Err(PaceError::TooEarly(t - now));
        }
        self.sending = true;
        Ok(())
    }

    /// The send ended at `now` (successfully or not): the next may start at
    /// `now + interval + jitter`. Returns that instant.
    pub fn finish(&mut self, now: Instant, jitter: &mut dyn JitterSource) -> Instant {
        let extra = if self.jitter_max_ms > 0 {
            jitter.jitter_ms(self.jitter_max_ms)
        } else {
            0
        };
        let at = now + self.interval + Duration::from_millis(extra);
        self.sending = false;
        self.ready_at = Some(at);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_port_may_send_at_once_but_not_twice_at_the_same_time() {
        let now = Instant::now();
        let mut p = Pacer::new(50, 0);
        assert!(p.is_ready(now));
        p.start(now).unwrap();
        assert!(!p.is_ready(now));
        assert_eq!(p.start(now), Err(PaceError::Busy));
    }

    #[test]
    fn the_interval_runs_from_the_end_of_a_send_not_its_start() {
        let t = Instant::now();
        let mut p = Pacer::new(50, 0);
        p.start(t).unwrap();
        let end = t + Duration::from_millis(3000); // a real send takes seconds
        let ready = p.finish(end, &mut ScriptedJitter::default());
        assert_eq!(ready, end + Duration::from_millis(50));
        assert_eq!(
            p.start(end + Duration::from_millis(49)),
            Err(PaceError::TooEarly(Duration::from_millis(1)))
        );
        assert!(p.start(end + Duration::from_millis(50)).is_ok());
    }

    #[test]
    fn jitter_is_drawn_once_per_send_up_to_its_maximum_and_added_to_the_interval() {
        let t = Instant::now();
        let mut p = Pacer::new(100, 20);
        let mut j = ScriptedJitter::new([7, 500]);
        p.start(t).unwrap();
        assert_eq!(p.finish(t, &mut j), t + Duration::from_millis(107));
        p.start(t + Duration::from_millis(107)).unwrap();
        let end = t + Duration::from_millis(200);
        assert_eq!(
            p.finish(end, &mut j),
            end + Duration::from_millis(120),
            "clamped to 20"
        );
        assert_eq!(j.requests, [20, 20]);
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
                assert!(
                    gap >= Duration::from_millis(50) && gap <= Duration::from_millis(60),
                    "gap {gap:?}"
                );
            }
            p.start(start).unwrap();
            tokio::time::sleep(Duration::from_millis(i % 7)).await; // the "send"
            let end = Instant::now();
            p.finish(end, &mut j);
            last_end = Some(end);
        }
    }
}
