//! The MQTT link's glue over [`GatewayIngest`]: broker logins ([`HubCredentials`]), up
//! messages ([`HubSink`]) and the command outbox ([`HubDowns`]). See the parent module.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use smsgate_mqtt::{
    CredentialStore, DownEvent, DownSource, IngestError, LinkCounters, LinkStatus, Principal,
    QueueError, StoreError as CredentialError, UpSink,
};
use smsgate_wire::{Down, GatewayId, State, Up};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::HUB_MQTT_USERNAME;
use crate::hub::HubError;
use crate::ingest::{GatewayIngest, IngestOutcome};
use crate::metrics::HubMetrics;
use crate::store::StoreError;

// ------------------------------------------------------------------------ broker logins

/// Logins of the embedded broker: the hub itself (a per-start random secret) and every
/// registered gateway (checked against the hub database).
#[derive(Clone)]
pub struct HubCredentials {
    hub: GatewayIngest,
    hub_password: String,
}

impl HubCredentials {
    pub fn new(hub: GatewayIngest, hub_password: String) -> Self {
        Self { hub, hub_password }
    }
}

impl CredentialStore for HubCredentials {
    async fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Principal>, CredentialError> {
        if username == HUB_MQTT_USERNAME {
            let ok: bool = password
                .as_bytes()
                .ct_eq(self.hub_password.as_bytes())
                .into();
            return Ok(ok.then_some(Principal::Hub));
        }
        let Ok(gateway) = GatewayId::new(username) else {
            return Ok(None);
        };
        let hub = self.hub.clone();
        let (user, pass) = (username.to_owned(), password.to_owned());
        let ok = tokio::task::spawn_blocking(move || hub.check_gateway_credentials(&user, &pass))
            .await
            .map_err(|e| CredentialError(e.to_string()))?
            .map_err(|e| CredentialError(e.to_string()))?;
        Ok(ok.then_some(Principal::Gateway(gateway)))
    }
}

// ------------------------------------------------------------------------ metrics

/// Keeps `smsgate_hub_link_connection_drops_total` at the hub link's count: read on every
/// status change (a drop always changes it to `Disconnected`).
pub(crate) async fn count_drops(
    mut status: tokio::sync::watch::Receiver<LinkStatus>,
    counters: Arc<LinkCounters>,
    metrics: HubMetrics,
    cancel: tokio_util::sync::CancellationToken,
) {
    loop {
        let n = counters.connection_drops();
        metrics.with(|| metrics::counter!("smsgate_hub_link_connection_drops_total").absolute(n));
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = status.changed() => if changed.is_err() { return },
        }
    }
}

// ------------------------------------------------------------------------ up: link → hub

/// [`UpSink`] over [`GatewayIngest::ingest`] and [`GatewayIngest::gateway_state`].
#[derive(Clone)]
pub struct HubSink {
    hub: GatewayIngest,
    downs: HubDowns,
    /// Messages handled so far (the shutdown drain watches it).
    pub(crate) ingested: Arc<AtomicU64>,
}

impl HubSink {
    pub fn new(hub: GatewayIngest, downs: HubDowns) -> Self {
        Self {
            hub,
            downs,
            ingested: Arc::new(AtomicU64::new(0)),
        }
    }
}

fn ingest_error(e: HubError) -> IngestError {
    match e {
        HubError::Store(StoreError::Backend(why)) => IngestError::Unavailable(why),
        other => IngestError::Rejected(other.to_string()),
    }
}

impl UpSink for HubSink {
    async fn ingest(&self, gateway: &GatewayId, message: Up) -> Result<(), IngestError> {
        let hub = self.hub.clone();
        let gw = gateway.clone();
        self.ingested.fetch_add(1, Ordering::SeqCst);
        let outcome = tokio::task::spawn_blocking(move || hub.ingest(&gw, message))
            .await
            .map_err(|e| IngestError::Unavailable(e.to_string()))?
            .map_err(ingest_error)?;
        match outcome {
            IngestOutcome::Applied | IngestOutcome::Duplicate => Ok(()),
            IngestOutcome::Unrouted(why) => {
                tracing::info!(%gateway, reason = %why, "up message recorded but not routed");
                Ok(())
            }
            IngestOutcome::Rejected(why) => Err(IngestError::Rejected(why)),
        }
    }

    /// One transaction (one disk sync) for the whole batch ([`GatewayIngest::ingest_batch`]).
    async fn ingest_batch(
        &self,
        gateway: &GatewayId,
        messages: Vec<Up>,
    ) -> Result<Vec<Result<(), IngestError>>, IngestError> {
        let hub = self.hub.clone();
        let gw = gateway.clone();
        self.ingested
            .fetch_add(messages.len() as u64, Ordering::SeqCst);
        let outcomes = tokio::task::spawn_blocking(move || hub.ingest_batch(&gw, messages))
            .await
            .map_err(|e| IngestError::Unavailable(e.to_string()))?
            .map_err(ingest_error)?;
        Ok(outcomes
            .into_iter()
            .map(|o| match o {
                IngestOutcome::Applied | IngestOutcome::Duplicate => Ok(()),
                IngestOutcome::Unrouted(why) => {
                    tracing::info!(%gateway, reason = %why, "up message recorded but not routed");
                    Ok(())
                }
                IngestOutcome::Rejected(why) => Err(IngestError::Rejected(why)),
            })
            .collect())
    }

    async fn presence(&self, gateway: &GatewayId, state: State) -> Result<(), IngestError> {
        self.ingested.fetch_add(1, Ordering::SeqCst);
        let online = state.online;
        let hub = self.hub.clone();
        let gw = gateway.clone();
        tokio::task::spawn_blocking(move || hub.gateway_state(&gw, &state))
            .await
            .map_err(|e| IngestError::Unavailable(e.to_string()))?
            .map_err(ingest_error)?;
        if online {
            // A gateway (re)connected: republish whatever it has not acked yet.
            self.downs.gateway_online(gateway);
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------ down: hub → link

#[derive(Default)]
struct DownState {
    next: u64,
    /// Numbered, not yet PUBACKed commands.
    queued: BTreeMap<u64, (GatewayId, Down)>,
    /// Command ids numbered (queued or published) per gateway, until the hub drops them.
    seen: HashMap<GatewayId, BTreeSet<Uuid>>,
    /// Gateways whose outbox must be read again.
    dirty: BTreeSet<GatewayId>,
}

/// [`DownSource`] over the hub's per-gateway command outbox (see the module docs).
#[derive(Clone)]
pub struct HubDowns {
    hub: GatewayIngest,
    state: Arc<Mutex<DownState>>,
}

impl HubDowns {
    pub fn new(hub: GatewayIngest) -> Self {
        Self {
            hub,
            state: Arc::new(Mutex::new(DownState {
                next: 1,
                ..DownState::default()
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, DownState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The outbox of the gateway with this MQTT username got new commands.
    pub fn mark_dirty_username(&self, username: &str) {
        if let Ok(gw) = GatewayId::new(username) {
            self.lock().dirty.insert(gw);
        }
    }

    /// Read every known gateway's outbox again (after missed notifications).
    pub fn mark_all_dirty(&self) {
        let mut s = self.lock();
        let all: Vec<GatewayId> = s.seen.keys().cloned().collect();
        s.dirty.extend(all);
    }

    /// A gateway came online: its unacked commands are published again.
    pub fn gateway_online(&self, gateway: &GatewayId) {
        let mut s = self.lock();
        let queued: BTreeSet<Uuid> = s
            .queued
            .values()
            .filter(|(g, _)| g == gateway)
            .map(|(_, d)| d.id())
            .collect();
        // Keep what is still waiting to be published; forget what was published.
        s.seen.insert(gateway.clone(), queued);
        s.dirty.insert(gateway.clone());
    }

    async fn refresh(&self) -> Result<(), QueueError> {
        let dirty: Vec<GatewayId> = std::mem::take(&mut self.lock().dirty).into_iter().collect();
        for gw in dirty {
            let hub = self.hub.clone();
            let id = gw.clone();
            let pending = tokio::task::spawn_blocking(move || hub.pending_commands(&id))
                .await
                .map_err(|e| QueueError(e.to_string()))?;
            let pending = match pending {
                Ok(p) => p,
                Err(HubError::UnknownGateway(_)) => Vec::new(),
                Err(e) => {
                    self.lock().dirty.insert(gw);
                    return Err(QueueError(e.to_string()));
                }
            };
            let mut s = self.lock();
            let ids: BTreeSet<Uuid> = pending.iter().map(Down::id).collect();
            let seen = s.seen.entry(gw.clone()).or_default();
            // Commands the hub no longer holds (acked) are forgotten.
            seen.retain(|id| ids.contains(id));
            let fresh: Vec<Down> = pending
                .into_iter()
                .filter(|d| seen.insert(d.id()))
                .collect();
            for d in fresh {
                let n = s.next;
                s.next += 1;
                s.queued.insert(n, (gw.clone(), d));
            }
        }
        Ok(())
    }
}

impl DownSource for HubDowns {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<DownEvent>, QueueError> {
        self.refresh().await?;
        let s = self.lock();
        let from = after.map_or(0, |a| a.saturating_add(1));
        Ok(s.queued
            .range(from..)
            .take(limit)
            .map(|(id, (gateway, command))| DownEvent {
                id: *id,
                gateway: gateway.clone(),
                command: command.clone(),
            })
            .collect())
    }

    async fn published(&self, id: u64) -> Result<(), QueueError> {
        self.lock().queued.remove(&id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{Hub, HubSettings, NewUser, SendRequest, SystemClock};
    use crate::model::{Destination, OrgKind, Role};
    use crate::secrets::PasswordCost;
    use crate::store::sqlite::SqliteStore;

    const PW: &str = "unit-test-password";

    struct World {
        _dir: tempfile::TempDir,
        hub: Hub,
        gw: GatewayId,
        gw_password: String,
        send: Box<dyn Fn() + Send + Sync>,
    }

    fn world() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap();
        let settings = HubSettings {
            password_cost: PasswordCost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..HubSettings::default()
        };
        let hub = Hub::new(Box::new(store), Arc::new(SystemClock), settings).unwrap();
        hub.bootstrap("p", "admin", PW).unwrap();
        let login = |l: &str| hub.authenticate(&hub.login(l, PW).unwrap().0).unwrap();
        let root = login("admin");
        let tenant = hub.create_org(&root, None, OrgKind::Tenant, "t").unwrap();
        hub.create_user(
            &root,
            NewUser {
                org_id: Some(tenant.id),
                login: "ta".into(),
                name: "ta".into(),
                role: Role::TenantAdmin,
                password: PW.into(),
            },
        )
        .unwrap();
        let ta = login("ta");
        let g = hub.create_gateway(&root, "g").unwrap();
        let c = hub
            .create_channel(&root, g.gateway.id, "0", "+15550000001")
            .unwrap();
        let c = hub
            .distribute_channel(&root, c.id, tenant.id, false)
            .unwrap();
        hub.set_destination(&ta, c.id, Destination::Tenant).unwrap();
        let h = hub.clone();
        World {
            _dir: dir,
            gw: GatewayId::new(g.mqtt_username.clone()).unwrap(),
            gw_password: g.mqtt_password,
            send: Box::new(move || {
                h.send(
                    &ta,
                    SendRequest {
                        to: "+447700900123".into(),
                        text: "x".into(),
                        ..SendRequest::default()
                    },
                )
                .unwrap();
            }),
            hub,
        }
    }

    #[tokio::test]
    async fn a_pending_command_is_numbered_once_and_republished_only_after_its_gateway_reconnects()
    {
        let w = world();
        let downs = HubDowns::new(w.hub.gateway_ingest());
        (w.send)();
        assert!(
            downs.peek(None, 10).await.unwrap().is_empty(),
            "nothing is read before the gateway's outbox is named"
        );
        downs.mark_dirty_username(w.gw.as_str());
        let first = downs.peek(None, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].gateway, w.gw);
        // Read again (e.g. after a link reconnect) before the PUBACK: the same number.
        downs.mark_all_dirty();
        let again = downs.peek(None, 10).await.unwrap();
        assert_eq!(again, first);
        downs.published(first[0].id).await.unwrap();
        downs.mark_all_dirty();
        assert!(downs.peek(None, 10).await.unwrap().is_empty());
        // The gateway reconnects without having acked it: it is published again, newly numbered.
        downs.gateway_online(&w.gw);
        let republished = downs.peek(None, 10).await.unwrap();
        assert_eq!(republished.len(), 1);
        assert_eq!(republished[0].command, first[0].command);
        assert!(republished[0].id > first[0].id);
        // A second command comes after it; `after` skips what the link already has.
        (w.send)();
        downs.mark_dirty_username(w.gw.as_str());
        let next = downs.peek(Some(republished[0].id), 10).await.unwrap();
        assert_eq!(next.len(), 1);
        assert_ne!(next[0].command.id(), first[0].command.id());
    }

    #[tokio::test]
    async fn an_acked_command_is_not_published_again() {
        let w = world();
        let downs = HubDowns::new(w.hub.gateway_ingest());
        (w.send)();
        downs.mark_dirty_username(w.gw.as_str());
        let first = downs.peek(None, 10).await.unwrap();
        downs.published(first[0].id).await.unwrap();
        let ack = Up::Ack(smsgate_wire::Ack {
            id: Uuid::now_v7(),
            v: 1,
            ack_of: first[0].command.id(),
            outcome: smsgate_wire::AckOutcome::Applied,
            detail: None,
        });
        let sink = HubSink::new(w.hub.gateway_ingest(), downs.clone());
        sink.ingest(&w.gw, ack).await.unwrap();
        downs.gateway_online(&w.gw);
        assert!(downs.peek(None, 10).await.unwrap().is_empty());
    }

    /// Issue 8/16's accounting: what one message sent through the hub costs its store.
    #[tokio::test]
    async fn one_sent_message_is_five_write_transactions_the_send_and_four_gateway_events() {
        let w = world();
        let downs = HubDowns::new(w.hub.gateway_ingest());
        let sink = HubSink::new(w.hub.gateway_ingest(), downs.clone());
        let before = w.hub.inner.store.counters();
        (w.send)();
        downs.mark_dirty_username(w.gw.as_str());
        let command = downs.peek(None, 10).await.unwrap().remove(0);
        downs.published(command.id).await.unwrap();
        let message_id = match &command.command {
            smsgate_wire::Down::Send(s) => s.message_id,
            other => panic!("{other:?}"),
        };
        let now = chrono::Utc::now();
        let status = |state| {
            Up::Status(smsgate_wire::Status {
                id: Uuid::now_v7(),
                v: 1,
                message_id,
                state,
                reference: None,
                error: None,
                evidence: None,
                refused: None,
                at: now,
            })
        };
        // What a gateway publishes for one message: the command's ack, queued, sent, delivered.
        for up in [
            Up::Ack(smsgate_wire::Ack::new(
                command.command.id(),
                1,
                smsgate_wire::AckOutcome::Applied,
                None,
            )),
            status(smsgate_wire::SendState::Queued),
            status(smsgate_wire::SendState::Sent),
            Up::Dlr(smsgate_wire::Delivery {
                id: Uuid::now_v7(),
                v: 1,
                message_id,
                state: smsgate_wire::DeliveryState::Delivered,
                at: now,
                evidence: None,
            }),
        ] {
            sink.ingest(&w.gw, up).await.unwrap();
        }
        let after = w.hub.inner.store.counters();
        assert_eq!(after.transactions - before.transactions, 5);
        // One at a time, nothing to share: each is its own durable commit.
        assert_eq!(after.commits - before.commits, 5);
    }

    #[tokio::test]
    async fn a_report_on_an_unknown_message_is_rejected_not_retried() {
        let w = world();
        let sink = HubSink::new(
            w.hub.gateway_ingest(),
            HubDowns::new(w.hub.gateway_ingest()),
        );
        let dlr = Up::Dlr(smsgate_wire::Delivery {
            id: Uuid::now_v7(),
            v: 1,
            message_id: Uuid::now_v7(),
            state: smsgate_wire::DeliveryState::Delivered,
            at: chrono::Utc::now(),
            evidence: None,
        });
        assert!(matches!(
            sink.ingest(&w.gw, dlr).await,
            Err(IngestError::Rejected(_))
        ));
        let unknown = GatewayId::new("gw-nobody").unwrap();
        let hb = Up::Heartbeat(smsgate_wire::Heartbeat {
            id: Uuid::now_v7(),
            v: 1,
            versions: vec![1],
            uptime_s: 1,
            software: None,
            at: chrono::Utc::now(),
        });
        assert!(matches!(
            sink.ingest(&unknown, hb).await,
            Err(IngestError::Rejected(_))
        ));
    }

    #[tokio::test]
    async fn broker_logins_are_the_hub_secret_and_registered_gateways_only() {
        let w = world();
        let creds = HubCredentials::new(w.hub.gateway_ingest(), "hub-secret".into());
        assert_eq!(
            creds.verify(HUB_MQTT_USERNAME, "hub-secret").await.unwrap(),
            Some(Principal::Hub)
        );
        assert_eq!(creds.verify(HUB_MQTT_USERNAME, "nope").await.unwrap(), None);
        assert_eq!(
            creds.verify(w.gw.as_str(), &w.gw_password).await.unwrap(),
            Some(Principal::Gateway(w.gw.clone()))
        );
        assert_eq!(creds.verify(w.gw.as_str(), "wrong").await.unwrap(), None);
        assert_eq!(creds.verify("gw-+", &w.gw_password).await.unwrap(), None);
        assert_eq!(creds.verify("gw-unknown", "x").await.unwrap(), None);
    }
}
