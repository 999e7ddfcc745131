//! `Idempotency-Key` of sends and bulk sends: a key is remembered per tenant for
//! [`HubSettings::idempotency_ttl`](super::HubSettings) (`[api] idempotency_ttl_hours`, 24 h by
//! default) from its first request. Within it a retry returns the first result; once it has
//! expired the key is free and the same key makes a new send. Expired keys are deleted by
//! [`Hub::run_idempotency_sweep`], which sleeps on the hub's clock until the oldest key
//! expires (or, with none stored, until a send stores one) — never a poll.

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::Hub;
use super::error::HubError;
use super::validate::{MAX_LABEL, bounded};
use crate::authz::{self, Scope};
use crate::store::{IdempotencyRecord, ReadTx, WriteTx};

/// What the sweep did: how many keys it deleted and when the next one expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub deleted: usize,
    pub next_expiry: Option<DateTime<Utc>>,
}

/// The key as the caller gave it (trimmed; empty = none), bounded like other names.
pub(crate) fn key(key: Option<&str>) -> Result<Option<String>, HubError> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => Ok(Some(bounded("Idempotency-Key", k, MAX_LABEL)?)),
    }
}

impl Hub {
    /// The first request's record for `key` in tenant `org_id`, unless it has expired.
    pub(crate) fn replayable(
        &self,
        tx: &mut dyn ReadTx,
        scope: &Scope,
        org_id: Uuid,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, HubError> {
        let ttl = self.inner.settings.idempotency_ttl;
        Ok(tx
            .idempotency(scope, org_id, key)?
            .filter(|r| r.created_at + ttl > self.now()))
    }

    /// Remembers `key` for what this request created (replacing an expired record of it).
    /// Call [`Hub::idempotency_stored`] after the commit.
    pub(crate) fn remember(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        org_id: Uuid,
        key: String,
        operation: &str,
        response: String,
    ) -> Result<(), HubError> {
        tx.insert_idempotency(
            scope,
            &IdempotencyRecord {
                org_id,
                key,
                operation: operation.into(),
                response,
                created_at: self.now(),
            },
        )?;
        Ok(())
    }

    /// A key was committed: a sweep with nothing to wait for starts waiting for it.
    pub(crate) fn idempotency_stored(&self) {
        self.inner.idempotency_wake.notify_one();
    }

    /// Deletes every key that has expired on the hub's clock (all tenants).
    pub fn sweep_idempotency_keys(&self) -> Result<Swept, HubError> {
        let ttl = self.inner.settings.idempotency_ttl;
        let all = authz::authenticating();
        let mut tx = self.write()?;
        let deleted = tx.delete_idempotency_before(&all, self.now() - ttl)?;
        let next_expiry = tx.oldest_idempotency(&all)?.map(|made| made + ttl);
        tx.commit()?;
        Ok(Swept {
            deleted,
            next_expiry,
        })
    }

    /// The sweep task: deletes expired keys, then sleeps on the clock until the next one
    /// expires, or — with no key stored — until a send stores one.
    pub async fn run_idempotency_sweep(self, shutdown: CancellationToken) {
        let wake = self.inner.idempotency_wake.clone();
        loop {
            let hub = self.clone();
            let next = match tokio::task::spawn_blocking(move || hub.sweep_idempotency_keys()).await
            {
                Ok(Ok(s)) => {
                    if s.deleted > 0 {
                        tracing::debug!(deleted = s.deleted, "expired idempotency keys deleted");
                    }
                    s.next_expiry
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "idempotency keys: sweep failed; retrying in a minute");
                    Some(self.now() + chrono::Duration::minutes(1))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "idempotency sweep task failed");
                    Some(self.now() + chrono::Duration::minutes(1))
                }
            };
            match next {
                // A key stored meanwhile expires after this one: no need to wake for it.
                Some(at) => tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.inner.clock.sleep_until(at) => {}
                },
                None => tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = wake.notified() => {}
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration as StdDuration;

    use chrono::Duration;

    use super::*;
    use crate::hub::testkit::*;
    use crate::hub::{BulkRequest, Clock, ManualClock};
    use crate::model::BulkOutcome;

    fn bulk(to: &str) -> BulkRequest {
        BulkRequest {
            channel: None,
            to: vec![to.into()],
            lists: vec![],
            text: "promo".into(),
            campaign: "c".into(),
        }
    }

    fn manual() -> (ManualClock, World) {
        let clock = ManualClock::new(Utc::now());
        let w = world_with_clock(Arc::new(clock.clone()));
        (clock, w)
    }

    fn keys_stored(w: &World) -> Option<DateTime<Utc>> {
        w.hub
            .read()
            .unwrap()
            .oldest_idempotency(&authz::authenticating())
            .unwrap()
    }

    #[test]
    fn a_retry_within_the_ttl_returns_the_first_message() {
        let (clock, w) = manual();
        let (first, _) = w
            .hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("order-1"))
            .unwrap();
        clock.advance(Duration::hours(24) - Duration::seconds(1));
        let (again, replay) = w
            .hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("order-1"))
            .unwrap();
        assert!(replay);
        assert_eq!(again.id, first.id);
    }

    #[test]
    fn after_the_ttl_the_same_key_makes_a_new_message_and_is_kept_again_from_then() {
        let (clock, w) = manual();
        let (first, _) = w
            .hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("order-1"))
            .unwrap();
        clock.advance(Duration::hours(24));
        let (second, replay) = w
            .hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("order-1"))
            .unwrap();
        assert!(!replay);
        assert_ne!(second.id, first.id);
        // The key now stands for the second message, for another full TTL.
        clock.advance(Duration::hours(23));
        let (third, replay) = w
            .hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("order-1"))
            .unwrap();
        assert!(replay);
        assert_eq!(third.id, second.id);
        assert_eq!(
            w.hub
                .gateway_ingest()
                .pending_commands(&w.gw)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn an_expired_bulk_key_sends_the_bulk_again() {
        let (clock, w) = manual();
        let first = w
            .hub
            .send_bulk_idempotent(&w.admin, bulk("+447400123456"), Some("b1"))
            .unwrap();
        let replay = w
            .hub
            .send_bulk_idempotent(&w.admin, bulk("+447400123456"), Some("b1"))
            .unwrap();
        assert!(replay.replay);
        assert_eq!(replay.results, first.results);
        clock.advance(Duration::hours(25));
        let again = w
            .hub
            .send_bulk_idempotent(&w.admin, bulk("+447400123456"), Some("b1"))
            .unwrap();
        assert!(!again.replay);
        let id = |b: &crate::hub::BulkSent| match &b.results[0].outcome {
            BulkOutcome::Queued { message_id } => *message_id,
            o => panic!("{o:?}"),
        };
        assert_ne!(id(&again), id(&first));
    }

    #[test]
    fn the_sweep_deletes_expired_keys_only_and_says_when_the_next_expires() {
        let (clock, w) = manual();
        let start = clock.now();
        w.hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("old"))
            .unwrap();
        clock.advance(Duration::hours(10));
        w.hub
            .send_idempotent(&w.admin, hi("+447400123457"), Some("new"))
            .unwrap();
        let s = w.hub.sweep_idempotency_keys().unwrap();
        assert_eq!(s.deleted, 0);
        assert_eq!(s.next_expiry, Some(start + Duration::hours(24)));
        clock.advance(Duration::hours(14));
        let s = w.hub.sweep_idempotency_keys().unwrap();
        assert_eq!(s.deleted, 1);
        assert_eq!(s.next_expiry, Some(start + Duration::hours(34)));
        clock.advance(Duration::hours(10));
        let s = w.hub.sweep_idempotency_keys().unwrap();
        assert_eq!(s.deleted, 1);
        assert_eq!(s.next_expiry, None);
        assert_eq!(keys_stored(&w), None);
    }

    async fn until(what: &str, mut f: impl FnMut() -> bool) {
        for _ in 0..500 {
            if f() {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
        panic!("timed out waiting until {what}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sweep_task_wakes_when_the_clock_passes_the_oldest_key() {
        let (clock, w) = manual();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(w.hub.clone().run_idempotency_sweep(shutdown.clone()));
        // Nothing stored: the task waits for a key, then for its expiry.
        let hub = w.hub.clone();
        let admin = w.admin.clone();
        tokio::task::spawn_blocking(move || {
            hub.send_idempotent(&admin, hi("+447400123456"), Some("k"))
                .unwrap()
        })
        .await
        .unwrap();
        assert!(keys_stored(&w).is_some());
        clock.advance(Duration::hours(23));
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        assert!(keys_stored(&w).is_some(), "deleted before its expiry");
        clock.advance(Duration::hours(1));
        until("the expired key is deleted", || keys_stored(&w).is_none()).await;
        shutdown.cancel();
        task.await.unwrap();
    }
}
