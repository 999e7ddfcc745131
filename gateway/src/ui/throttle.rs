//! Login throttling (pure): failures counted per account and per client address; after
//! [`FREE_FAILURES`] in a row a key is blocked for 1 s, doubling with each further failure up to
//! [`MAX_BLOCK`]. A success clears the account and the address. Checked before any hashing.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// Failures allowed before a key is blocked.
pub const FREE_FAILURES: u32 = 5;
/// Longest block.
pub const MAX_BLOCK: Duration = Duration::minutes(15);
/// Most keys remembered (the stalest are forgotten first).
pub const MAX_KEYS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    until: Option<DateTime<Utc>>,
    last: DateTime<Utc>,
}

/// Failure counts by key (`login:<name>`, `addr:<ip>`).
#[derive(Debug, Default)]
pub struct Throttle {
    keys: HashMap<String, Entry>,
}

impl Throttle {
    /// `Err(wait)` while any of `keys` is blocked.
    pub fn check(&self, keys: &[String], now: DateTime<Utc>) -> Result<(), Duration> {
        let wait = keys
            .iter()
            .filter_map(|k| self.keys.get(k)?.until)
            .filter(|u| *u > now)
            .map(|u| u - now)
            .max();
        match wait {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    /// A failed attempt.
    pub fn failure(&mut self, keys: &[String], now: DateTime<Utc>) {
        if self.keys.len() + keys.len() > MAX_KEYS {
            let mut by_age: Vec<(String, DateTime<Utc>)> =
                self.keys.iter().map(|(k, e)| (k.clone(), e.last)).collect();
            by_age.sort_by_key(|(_, t)| *t);
            for (k, _) in by_age.into_iter().take(MAX_KEYS / 4) {
                self.keys.remove(&k);
            }
        }
        for k in keys {
            let e = self.keys.entry(k.clone()).or_insert(Entry {
                failures: 0,
                until: None,
                last: now,
            });
            e.failures = e.failures.saturating_add(1);
            e.last = now;
            if e.failures >= FREE_FAILURES {
                let doublings = (e.failures - FREE_FAILURES).min(20);
                let block = (Duration::seconds(1) * 2i32.pow(doublings)).min(MAX_BLOCK);
                e.until = Some(now + block);
            }
        }
    }

    /// A successful login.
    pub fn success(&mut self, keys: &[String]) {
        for k in keys {
            self.keys.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn five_failures_block_for_a_second_then_each_more_doubles_up_to_fifteen_minutes() {
        let mut t = Throttle::default();
        let keys = vec!["login:tech".to_string(), "addr:10.0.0.9".to_string()];
        for _ in 0..4 {
            t.failure(&keys, t0());
            assert!(t.check(&keys, t0()).is_ok());
        }
        t.failure(&keys, t0());
        assert_eq!(t.check(&keys, t0()), Err(Duration::seconds(1)));
        assert!(t.check(&keys, t0() + Duration::seconds(1)).is_ok());
        t.failure(&keys, t0());
        assert_eq!(t.check(&keys, t0()), Err(Duration::seconds(2)));
        for _ in 0..30 {
            t.failure(&keys, t0());
        }
        assert_eq!(t.check(&keys, t0()), Err(MAX_BLOCK));
        // Another account from the same address is blocked too; another address for another
        // account is not.
        assert!(t.check(&["addr:10.0.0.9".into()], t0()).is_err());
        assert!(
            t.check(&["login:x".into(), "addr:10.0.0.8".into()], t0())
                .is_ok()
        );
        t.success(&keys);
        assert!(t.check(&keys, t0()).is_ok());
    }

    #[test]
    fn the_table_stays_bounded_under_a_spray_of_addresses() {
        let mut t = Throttle::default();
        for i in 0..(MAX_KEYS * 3) {
            t.failure(&[format!("addr:{i}")], t0() + Duration::seconds(i as i64));
        }
        assert!(t.keys.len() <= MAX_KEYS);
    }
}
