//! Settings of the hub core and its clock.

use chrono::{DateTime, Duration, Utc};

use super::throttle::ThrottleSettings;
use crate::secrets::PasswordCost;

/// A future that resolves at a moment of a [`Clock`].
pub type Sleep = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// The hub's notion of time (injected so tests control it).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once this clock reads `at` or later (timers of the notification scheduler).
    /// The default sleeps on the runtime's timer for the difference.
    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        let left = (at - self.now())
            .to_std()
            .unwrap_or(std::time::Duration::ZERO);
        Box::pin(tokio::time::sleep(left))
    }
}

/// A clock moved by hand (tests, demos): [`ManualClock::advance`] wakes every
/// [`Clock::sleep_until`] whose moment has come.
#[derive(Clone)]
pub struct ManualClock {
    now: std::sync::Arc<tokio::sync::watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: std::sync::Arc::new(tokio::sync::watch::Sender::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|t| *t += by);
    }

    pub fn set(&self, to: DateTime<Utc>) {
        self.now.send_replace(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            let _ = rx.wait_for(|t| *t >= at).await;
        })
    }
}

/// Wall-clock time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Settings of the hub core (the `[api]`/`[passwords]`/`[mqtt]` parts of `hub.toml`).
#[derive(Debug, Clone)]
pub struct HubSettings {
    pub password_cost: PasswordCost,
    pub session_ttl: Duration,
    /// How long a send's `Idempotency-Key` is remembered (`api.idempotency_ttl_hours`).
    pub idempotency_ttl: Duration,
    /// Broker URL written into gateway config snippets (e.g. `mqtts://hub.example:8883`).
    pub mqtt_url: String,
    /// Capacity of the live event bus (a stream that falls further behind is closed).
    pub event_capacity: usize,
    /// Mark the session cookie `Secure`.
    pub cookie_secure: bool,
    /// Password hashes computed at once; more wait up to `hash_wait`, then get a 429.
    pub max_concurrent_hashes: usize,
    pub hash_wait: std::time::Duration,
    pub throttle: ThrottleSettings,
    /// The transcript PDF's TrueType font (`transcripts.font`).
    pub transcript_font: std::path::PathBuf,
}

impl HubSettings {
    /// The settings a `hub.toml` gives.
    pub fn from_config(c: &smsgate_config::hub::HubConfig) -> Self {
        Self {
            password_cost: PasswordCost {
                memory_kib: c.passwords.memory_kib,
                iterations: c.passwords.iterations,
                parallelism: c.passwords.parallelism,
            },
            session_ttl: Duration::hours(i64::from(c.api.session_ttl_hours)),
            idempotency_ttl: Duration::hours(i64::from(c.api.idempotency_ttl_hours)),
            mqtt_url: c.mqtt.advertised_url.clone(),
            cookie_secure: c.api.cookie_secure,
            transcript_font: c.transcripts.font.clone(),
            ..Self::default()
        }
    }
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            password_cost: PasswordCost::default(),
            session_ttl: Duration::hours(12),
            idempotency_ttl: Duration::hours(24),
            mqtt_url: "mqtt://127.0.0.1:1883".into(),
            event_capacity: 1024,
            cookie_secure: false,
            max_concurrent_hashes: 4,
            hash_wait: std::time::Duration::from_secs(2),
            throttle: ThrottleSettings::default(),
            transcript_font: smsgate_config::smtp::TranscriptsConfig::default().font,
        }
    }
}
