//! The injected wall clock (timestamps of SMSC, handsets and status reports). Delays use `tokio::time`,
//! so `tokio::time::pause()` controls them in tests.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, Utc};

/// Source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// Current time with the network's offset.
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The system clock, in UTC.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Utc::now().fixed_offset()
    }
}

/// A clock that only moves when told to (for tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<FixedOffset>>);

impl ManualClock {
    /// Starts at `t`.
    pub fn new(t: DateTime<FixedOffset>) -> ManualClock {
        ManualClock(Mutex::new(t))
    }

    /// Sets the time.
    pub fn set(&self, t: DateTime<FixedOffset>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
