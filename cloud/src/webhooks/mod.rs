//! Outbound webhooks (issue 15): per-tenant endpoints, events raised from the hub's change
//! feed, a durable delivery queue in the hub store, a background worker that signs and sends
//! each delivery, retried with exponential backoff and jitter for at least 24 hours, in order
//! per conversation and endpoint.
//!
//! - [`model`]: endpoints, event types, deliveries and attempts (the delivery log); the
//!   endpoint secret is a [`model::Secret`], redacted in `Debug` and never serialised.
//! - [`sign`]: the signature scheme (`docs/webhooks.md`): HMAC-SHA256 over
//!   `timestamp.body`, and the receiver's check with its replay window.
//! - [`feed`]: the bus events ([`crate::hub::HubEvent`]) a tenant's endpoints hear of, handed
//!   after commit to the enqueuer, which writes deliveries in its own transaction.
//! - [`worker`]: the delivery worker (woken by notification and the hub's clock, never by
//!   polling).
//!
//! Why after commit (ARCHITECTURE.md says it too): every change that raises an event already
//! announces itself on the bus right after its commit, from every path (ingest, API, floor,
//! campaigns), so one hook covers them all, and the transaction of an inbound message never
//! grows by the webhook rows nor waits on them. The price is a window of a few milliseconds
//! between a commit and the enqueue in which a crash loses that event's webhook; queued
//! deliveries are durable.

pub mod feed;
pub mod model;
pub mod sign;
pub mod worker;

pub use model::*;

/// How deliveries are retried and bounded.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Longest wait for one request (connect to last byte).
    pub timeout: std::time::Duration,
    /// First retry delay; each next one doubles, up to `max_delay`; each is jittered to
    /// between half and all of it.
    pub base_delay: chrono::Duration,
    pub max_delay: chrono::Duration,
    /// A delivery still failing this long after it was queued is given up (at least 24 hours).
    pub give_up_after: chrono::Duration,
    /// Requests in flight at once, over all endpoints.
    pub concurrency: usize,
    /// Requests in flight at once to one endpoint (so a dead one holds at most these).
    pub per_endpoint: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout: std::time::Duration::from_secs(10),
            base_delay: chrono::Duration::seconds(10),
            max_delay: chrono::Duration::hours(1),
            give_up_after: chrono::Duration::hours(25),
            concurrency: 64,
            per_endpoint: 4,
        }
    }
}

impl WebhookSettings {
    /// The wait before attempt `attempt + 1` after `attempt` failed (1-based), jittered with
    /// `unit` in 0..=1: between half and all of `base × 2^(attempt-1)` capped at `max_delay`.
    pub fn backoff(&self, attempt: u32, unit: f64) -> chrono::Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let full = self
            .base_delay
            .checked_mul(1 << exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let ms = full.num_milliseconds() as f64;
        chrono::Duration::milliseconds((ms / 2.0 + ms / 2.0 * unit.clamp(0.0, 1.0)) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_is_capped_and_jittered_within_half_to_all() {
        let s = WebhookSettings::default();
        assert_eq!(s.backoff(1, 1.0), chrono::Duration::seconds(10));
        assert_eq!(s.backoff(1, 0.0), chrono::Duration::seconds(5));
        assert_eq!(s.backoff(2, 1.0), chrono::Duration::seconds(20));
        assert_eq!(s.backoff(4, 1.0), chrono::Duration::seconds(80));
        assert_eq!(s.backoff(20, 1.0), chrono::Duration::hours(1));
        assert_eq!(s.backoff(40, 0.0), chrono::Duration::minutes(30));
    }

    #[test]
    fn retries_go_on_for_at_least_a_day() {
        assert!(WebhookSettings::default().give_up_after >= chrono::Duration::hours(24));
    }
}
