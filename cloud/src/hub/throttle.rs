//! Login throttling as a pure state machine (time passed in): failures are counted per source
//! address (over all accounts) and per account *from* that source; past a free allowance each
//! further failure doubles the wait, up to a ceiling. A caller inside a wait is refused before
//! any password is checked (429 with `Retry-After`). Counting per account and source means an
//! attacker cannot lock a user out from elsewhere; a per-account count over all sources (with
//! a larger allowance) slows a distributed guess at one account. The table is bounded: the
//! oldest entries go first when it is full.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Failures per account and source before waits start.
    pub free_per_account: u32,
    /// Failures per source (all accounts) before waits start.
    pub free_per_source: u32,
    /// Failures per account over all sources before waits start.
    pub free_per_account_anywhere: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// Entries kept at most.
    pub capacity: usize,
    /// Login attempts in progress at once per source; more are refused at once (so a burst
    /// arriving when a wait ends cannot slip through before its failures are counted). Below
    /// the number of hashing permits, so one source can never hold all of them.
    pub max_in_flight_per_source: u32,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            free_per_account: 5,
            free_per_source: 20,
            free_per_account_anywhere: 50,
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(15 * 60),
            capacity: 100_000,
            max_in_flight_per_source: 2,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    blocked_until: Option<DateTime<Utc>>,
    last: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Source(IpAddr),
    AccountFrom(String, IpAddr),
    Account(String),
}

/// How many free failures a key has.
type Allowance = fn(&ThrottleSettings) -> u32;

/// The throttle table.
#[derive(Debug)]
pub struct Throttle {
    settings: ThrottleSettings,
    entries: HashMap<Key, Entry>,
    in_flight: HashMap<IpAddr, u32>,
}

impl Throttle {
    pub fn new(settings: ThrottleSettings) -> Self {
        Self {
            settings,
            entries: HashMap::new(),
            in_flight: HashMap::new(),
        }
    }

    /// Starts an attempt from `source` (call [`Throttle::end`] after): `Err(wait)` when it must
    /// be refused now (a wait is running, or too many attempts are in progress).
    pub fn begin(
        &mut self,
        login: &str,
        source: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<(), Duration> {
        if let Some(wait) = self.check(login, source, now) {
            return Err(wait);
        }
        let n = self.in_flight.entry(source).or_insert(0);
        if *n >= self.settings.max_in_flight_per_source {
            return Err(Duration::from_secs(1));
        }
        *n += 1;
        Ok(())
    }

    /// Ends an attempt started with [`Throttle::begin`].
    pub fn end(&mut self, source: IpAddr) {
        if let Some(n) = self.in_flight.get_mut(&source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.in_flight.remove(&source);
            }
        }
    }

    fn keys(login: &str, source: IpAddr) -> [(Key, Allowance); 3] {
        let login = login.trim().to_lowercase();
        [
            (Key::Source(source), |s| s.free_per_source),
            (Key::AccountFrom(login.clone(), source), |s| {
                s.free_per_account
            }),
            (Key::Account(login), |s| s.free_per_account_anywhere),
        ]
    }

    /// `Some(wait)` when a login attempt for `login` from `source` must be refused now.
    pub fn check(&self, login: &str, source: IpAddr, now: DateTime<Utc>) -> Option<Duration> {
        Self::keys(login, source)
            .iter()
            .filter_map(|(k, _)| self.entries.get(k)?.blocked_until)
            .filter(|until| *until > now)
            .max()
            .map(|until| (until - now).to_std().unwrap_or(Duration::from_secs(1)))
    }

    /// Records a failed attempt.
    pub fn failed(&mut self, login: &str, source: IpAddr, now: DateTime<Utc>) {
        if self.entries.len() >= self.settings.capacity {
            self.evict(now);
        }
        let settings = self.settings;
        for (key, free) in Self::keys(login, source) {
            let e = self.entries.entry(key).or_insert(Entry {
                failures: 0,
                blocked_until: None,
                last: now,
            });
            e.failures = e.failures.saturating_add(1);
            e.last = now;
            let free = free(&settings);
            if e.failures > free {
                let doublings = (e.failures - free - 1).min(30);
                let wait = settings
                    .first_wait
                    .saturating_mul(1u32 << doublings)
                    .min(settings.max_wait);
                e.blocked_until =
                    Some(now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX));
            }
        }
    }

    /// A successful login clears its account's counts from that source.
    pub fn succeeded(&mut self, login: &str, source: IpAddr) {
        let [_, (pair, _), _] = Self::keys(login, source);
        self.entries.remove(&pair);
    }

    /// Drops expired entries, then the oldest half if still full.
    fn evict(&mut self, now: DateTime<Utc>) {
        let max_wait = chrono::Duration::from_std(self.settings.max_wait).unwrap_or_default();
        self.entries
            .retain(|_, e| e.blocked_until.is_some_and(|u| u > now) || now - e.last < max_wait);
        if self.entries.len() >= self.settings.capacity {
            let mut by_age: Vec<(Key, DateTime<Utc>)> = self
                .entries
                .iter()
                .map(|(k, e)| (k.clone(), e.last))
                .collect();
            by_age.sort_by_key(|(_, at)| *at);
            for (k, _) in by_age.into_iter().take(self.settings.capacity / 2 + 1) {
                self.entries.remove(&k);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::UNIX_EPOCH
    }
    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn after_the_free_failures_each_failure_doubles_the_wait() {
        let mut t = Throttle::new(ThrottleSettings::default());
        for _ in 0..5 {
            assert_eq!(t.check("bob", A, t0()), None);
            t.failed("bob", A, t0());
        }
        assert_eq!(t.check("bob", A, t0()), None, "five free failures");
        t.failed("bob", A, t0());
        assert_eq!(t.check("bob", A, t0()), Some(Duration::from_secs(1)));
        t.failed("bob", A, t0());
        assert_eq!(t.check("bob", A, t0()), Some(Duration::from_secs(2)));
        t.failed("bob", A, t0());
        assert_eq!(t.check("bob", A, t0()), Some(Duration::from_secs(4)));
        let later = t0() + chrono::Duration::seconds(5);
        assert_eq!(t.check("bob", A, later), None, "the wait ends");
    }

    #[test]
    fn an_attack_from_one_source_does_not_lock_the_user_out_from_another() {
        let mut t = Throttle::new(ThrottleSettings::default());
        for _ in 0..20 {
            t.failed("bob", A, t0());
        }
        assert!(t.check("bob", A, t0()).is_some());
        assert_eq!(t.check("bob", B, t0()), None);
        assert!(
            t.check("alice", A, t0()).is_none(),
            "19 failures per source are free"
        );
        t.failed("bob", A, t0());
        assert!(
            t.check("alice", A, t0()).is_some(),
            "the source is now throttled for all"
        );
    }

    #[test]
    fn the_wait_is_capped_and_the_table_bounded() {
        let s = ThrottleSettings {
            capacity: 10,
            ..ThrottleSettings::default()
        };
        let mut t = Throttle::new(s);
        for _ in 0..200 {
            t.failed("bob", A, t0());
        }
        assert_eq!(t.check("bob", A, t0()), Some(s.max_wait));
        for i in 0..50 {
            t.failed(&format!("user{i}"), B, t0() + chrono::Duration::seconds(i));
        }
        assert!(t.len() <= 10, "{}", t.len());
    }

    #[test]
    fn a_burst_from_one_source_is_cut_to_a_few_attempts_in_flight() {
        let mut t = Throttle::new(ThrottleSettings::default());
        for _ in 0..2 {
            assert!(t.begin("bob", A, t0()).is_ok());
        }
        assert_eq!(t.begin("bob", A, t0()), Err(Duration::from_secs(1)));
        assert!(
            t.begin("bob", B, t0()).is_ok(),
            "another source is not affected"
        );
        t.end(A);
        assert!(t.begin("bob", A, t0()).is_ok());
    }

    #[test]
    fn success_clears_the_accounts_count_from_that_source() {
        let mut t = Throttle::new(ThrottleSettings::default());
        for _ in 0..5 {
            t.failed("bob", A, t0());
        }
        t.succeeded("bob", A);
        t.failed("bob", A, t0());
        assert_eq!(t.check("bob", A, t0()), None);
    }
}
