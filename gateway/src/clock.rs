//! Wall-clock boundary: the spool stamps rows with [`Clock::now`], timers wait for a moment of
//! the clock with [`Clock::sleep_until`]; tests inject [`ManualClock`].

use chrono::{DateTime, Utc};

/// A future that resolves at a moment of a [`Clock`].
pub type Sleep = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Source of the current UTC time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once this clock reads `at` or later (the campaign runner's schedule
    /// boundaries). The default sleeps on the runtime's timer for the difference.
    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        let left = (at - self.now())
            .to_std()
            .unwrap_or(std::time::Duration::ZERO);
        Box::pin(tokio::time::sleep(left))
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests); [`ManualClock::set`] and
/// [`ManualClock::advance`] wake every [`Clock::sleep_until`] whose moment has come.
#[derive(Debug)]
pub struct ManualClock(tokio::sync::watch::Sender<DateTime<Utc>>);

impl ManualClock {
    /// Starts at `t`.
    pub fn new(t: DateTime<Utc>) -> Self {
        Self(tokio::sync::watch::Sender::new(t))
    }

    /// Jumps to `t`.
    pub fn set(&self, t: DateTime<Utc>) {
        self.0.send_replace(t);
    }

    /// Moves forward by `d`.
    pub fn advance(&self, d: chrono::Duration) {
        self.0.send_modify(|t| *t += d);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        let mut rx = self.0.subscribe();
        Box::pin(async move {
            // The sender lives as long as the clock; a dropped clock never reaches `at`.
            if rx.wait_for(|t| *t >= at).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test]
    async fn a_manual_sleep_ends_when_the_clock_is_moved_to_its_moment_and_not_before() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
        let clock = ManualClock::new(t0);
        let mut sleep = clock.sleep_until(t0 + chrono::Duration::seconds(10));
        let short = std::time::Duration::from_millis(50);
        assert!(tokio::time::timeout(short, &mut sleep).await.is_err());
        clock.advance(chrono::Duration::seconds(9));
        assert!(tokio::time::timeout(short, &mut sleep).await.is_err());
        clock.advance(chrono::Duration::seconds(1));
        tokio::time::timeout(short, &mut sleep)
            .await
            .expect("the moment came");
    }
}
