//! How a link client reaches its broker: URL, login, TLS, timing.

use std::time::Duration;

use rumqttc::{MqttOptions, TlsConfiguration, Transport};

use crate::tls::{ClientTls, TlsError};

/// Errors in link settings; each names the offending field.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("broker url {url:?}: {detail}")]
    Url { url: String, detail: String },
    #[error("tls: {0}")]
    Tls(#[from] TlsError),
}

/// A broker address: `mqtt://host[:1883]` or `mqtts://host[:8883]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

impl BrokerUrl {
    pub fn parse(raw: &str) -> Result<Self, OptionsError> {
        let bad = |detail: &str| OptionsError::Url {
            url: raw.to_owned(),
            detail: detail.to_owned(),
        };
        let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
        let tls = match url.scheme() {
            "mqtt" | "tcp" => false,
            "mqtts" | "ssl" => true,
            _ => return Err(bad("scheme must be mqtt:// or mqtts://")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "put credentials in the username/password settings, not in the url",
            ));
        }
        if !(url.path().is_empty() || url.path() == "/") || url.query().is_some() {
            return Err(bad("no path or query allowed"));
        }
        let port = url.port().unwrap_or(if tls { 8883 } else { 1883 });
        Ok(Self { host, port, tls })
    }
}

/// Exponential backoff with jitter between reconnection attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            attempt: 0,
        }
    }

    /// The next delay: `min(max, initial * 2^attempt)` scaled by `jitter` (clamped to
    /// 0.5..=1.0, so consecutive gateways do not reconnect in lockstep).
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(20));
        self.attempt = self.attempt.saturating_add(1);
        let base = self.initial.saturating_mul(factor).min(self.max);
        base.mul_f64(jitter.clamp(0.5, 1.0))
    }

    /// Called after a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Everything a link client needs to connect.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    pub url: BrokerUrl,
    pub client_id: String,
    pub username: String,
    pub password: String,
    /// Used when `url.tls` is set.
    pub tls: ClientTls,
    pub keep_alive: Duration,
    pub backoff: Backoff,
    /// Most messages of the queue published and not yet confirmed: on the gateway, outbox
    /// events without the hub's receipt; on the hub, commands without the broker's PUBACK.
    pub window: usize,
    /// Gateway only: how long the unconfirmed window waits for a hub receipt before it is
    /// published again (`initial`), doubling on each consecutive round without a receipt up to
    /// `max`; a receipt resets it. Default 30 s up to 5 min.
    pub receipt_timeout: Backoff,
    /// How often the queue is read when nobody calls `notify`; `None`: only when notified
    /// (and on every connection, PUBACK and receipt), for a queue that notifies every write.
    pub poll_interval: Option<Duration>,
}

impl LinkOptions {
    pub fn new(url: BrokerUrl, client_id: &str, username: &str, password: &str) -> Self {
        Self {
            url,
            client_id: client_id.to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            tls: ClientTls::default(),
            keep_alive: Duration::from_secs(30),
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(30)),
            window: 100,
            receipt_timeout: Backoff::new(Duration::from_secs(30), Duration::from_secs(300)),
            poll_interval: Some(Duration::from_secs(1)),
        }
    }

    /// rumqttc options: persistent session, manual acks, generous packet sizes.
    pub(crate) fn mqtt_options(&self) -> Result<MqttOptions, OptionsError> {
        let mut o = MqttOptions::new(&self.client_id, &self.url.host, self.url.port);
        o.set_credentials(&self.username, &self.password);
        o.set_clean_session(false);
        o.set_manual_acks(true);
        o.set_keep_alive(self.keep_alive.max(Duration::from_secs(1)));
        o.set_max_packet_size(256 * 1024, 256 * 1024);
        // Packet ids cycle through 1..=inflight: keep it far above the window so ids of
        // unacknowledged publishes are never reused.
        o.set_inflight(u16::try_from(self.window.saturating_mul(4).max(200)).unwrap_or(u16::MAX));
        if self.url.tls {
            let config = self.tls.client_config()?;
            o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                std::sync::Arc::new(config),
            )));
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_and_tls_with_default_ports() {
        assert_eq!(
            BrokerUrl::parse("mqtt://broker.example").unwrap(),
            BrokerUrl {
                host: "broker.example".into(),
                port: 1883,
                tls: false
            }
        );
        assert_eq!(
            BrokerUrl::parse("mqtts://127.0.0.1:9000").unwrap(),
            BrokerUrl {
                host: "127.0.0.1".into(),
                port: 9000,
                tls: true
            }
        );
        assert_eq!(BrokerUrl::parse("mqtts://h").unwrap().port, 8883);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (raw, want) in [
            ("http://h", "scheme"),
            ("mqtt://u:p@h", "credentials"),
            ("mqtt://h/x", "path"),
            ("nonsense", "nonsense"),
        ] {
            let err = BrokerUrl::parse(raw).unwrap_err().to_string();
            assert!(err.contains(want), "{raw}: {err}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let seq: Vec<_> = (0..5).map(|_| b.next_delay(1.0).as_millis()).collect();
        assert_eq!(seq, [100, 200, 400, 500, 500]);
        b.reset();
        assert_eq!(b.next_delay(0.5).as_millis(), 50);
        assert_eq!(
            b.next_delay(0.0).as_millis(),
            100,
            "jitter is clamped to half"
        );
    }
}
