//! [`Hub`]: the tenant-facing core as a library type. It owns the store, the clock, the
//! password hasher and the event bus; every operation done for someone takes an [`Actor`] and
//! goes through the authorizer ([`authz::scope`] / [`authz::authorize`]), whose [`Scope`]
//! every store call needs. Gateway traffic is not here: it enters through
//! [`crate::ingest::GatewayIngest`] ([`Hub::gateway_ingest`]), a separate handle.
//!
//! One module per domain: [`auth`] (bootstrap, login, sessions), [`organisations`],
//! [`users`], [`gateways`], [`channels`], [`queues`], [`contacts`] (and lists),
//! [`conversations`] (interactions), [`outbound`] (send, bulk, reply, cancel), [`opt_outs`],
//! [`api_keys`], [`events`] (the filtered live stream and presence), [`live_lists`] (which
//! administration list changed, announced on that stream).

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod bulk_history;
pub mod canned;
pub mod channels;
pub mod contact_export;
pub mod contacts;
pub mod conversations;
pub(crate) mod edge_sync;
pub mod error;
pub mod events;
pub mod floor;
pub mod gateways;
pub mod idempotency;
pub mod live_lists;
pub mod notes;
pub mod notifications;
pub mod opt_outs;
pub mod organisations;
pub mod outbound;
pub mod queues;
pub mod reports;
pub mod routing_rules;
pub mod settings;
pub(crate) mod system_send;
pub mod team;
#[cfg(test)]
pub(crate) mod testkit;
pub mod throttle;
pub mod transcript;
pub(crate) mod unsent;
pub mod users;
pub mod validate;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, broadcast};
use uuid::Uuid;

pub use crate::ingest::IngestOutcome;
pub use crate::model::{BulkOutcome, BulkResult};
pub use bulk_history::{BulkDetail, BulkSummary};
pub use channels::ChannelDeclaration;
pub use contacts::ImportReport;
pub use conversations::TransferTo;
pub use error::HubError;
pub use events::{EventKind, EventStream, HubEvent, Revocation, StreamItem};
pub use gateways::ProvisionedGateway;
pub use live_lists::ListKind;
pub use outbound::{BulkRequest, BulkSent, MAX_BULK, MAX_TEXT, SendRequest};
pub use settings::{Clock, HubSettings, ManualClock, SystemClock};
pub use team::{QueueRef, TeamMember, TransferTargets};
pub use users::{NewUser, UserUpdate};

use crate::authz::{Actor, Scope};
use crate::metrics::HubMetrics;
use crate::model::*;
use crate::secrets::PasswordHasherId;
use crate::store::{ReadTx, Store, WriteTx};
use events::Bus;

pub(crate) struct Inner {
    pub(crate) store: Box<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) passwords: PasswordHasherId,
    /// Verified against for unknown login names, so they cost what a real one costs.
    pub(crate) dummy_hash: String,
    /// Bounds concurrent password hashes (memory stays flat under a login storm).
    pub(crate) hashes: Arc<Semaphore>,
    pub(crate) throttle: Mutex<throttle::Throttle>,
    pub(crate) settings: HubSettings,
    pub(crate) bus: broadcast::Sender<Bus>,
    pub(crate) outbox: broadcast::Sender<String>,
    /// Open event streams per user (presence).
    pub(crate) streams: Mutex<HashMap<Uuid, usize>>,
    pub(crate) metrics: HubMetrics,
    /// Agents' timed states (the floor), fed by [`publish`].
    pub(crate) book: Mutex<crate::floor::agents::Book>,
    /// Tenants whose queues may hand out waiting conversations, and the dispatcher's wake-up.
    pub(crate) dirty_tenants: Mutex<std::collections::HashSet<Uuid>>,
    pub(crate) dispatch_wake: Arc<tokio::sync::Notify>,
    /// Wakes the notification scheduler (conversations or settings changed).
    pub(crate) notify_wake: Arc<tokio::sync::Notify>,
    /// Wakes the idempotency-key sweep (a key was stored while none was).
    pub(crate) idempotency_wake: Arc<tokio::sync::Notify>,
    /// Webhooks (issue 15): what `publish` hands the enqueuer, the delivery worker's wake-up.
    pub(crate) webhooks: crate::webhooks::feed::Feed,
}

/// The hub core. Cheap to clone (shared handle).
#[derive(Clone)]
pub struct Hub {
    pub(crate) inner: Arc<Inner>,
}

impl Hub {
    pub fn new(
        store: Box<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: HubSettings,
    ) -> Result<Self, HubError> {
        Self::with_metrics(store, clock, settings, HubMetrics::new())
    }

    /// [`Hub::new`] recording into `metrics` (the registry `/metrics` renders).
    pub fn with_metrics(
        store: Box<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: HubSettings,
        metrics: HubMetrics,
    ) -> Result<Self, HubError> {
        let passwords = PasswordHasherId::with_pool(
            settings.password_cost,
            settings.max_concurrent_hashes.max(1),
        )?;
        let dummy_hash = passwords.hash(&crate::secrets::random_token(""))?;
        let (bus, _) = broadcast::channel(settings.event_capacity.max(16));
        let (outbox, _) = broadcast::channel(1024);
        let book = floor::load_book(&*store, clock.now())?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                passwords,
                dummy_hash,
                hashes: Arc::new(Semaphore::new(settings.max_concurrent_hashes.max(1))),
                throttle: Mutex::new(throttle::Throttle::new(settings.throttle)),
                settings,
                bus,
                outbox,
                streams: Mutex::new(HashMap::new()),
                metrics,
                book: Mutex::new(book),
                dirty_tenants: Mutex::new(Default::default()),
                dispatch_wake: Arc::new(tokio::sync::Notify::new()),
                notify_wake: Arc::new(tokio::sync::Notify::new()),
                idempotency_wake: Arc::new(tokio::sync::Notify::new()),
                webhooks: Default::default(),
            }),
        })
    }

    /// The gateway side of the hub (ingest, presence, command outbox) — a separate handle
    /// for the MQTT link; the REST API never holds one.
    pub fn gateway_ingest(&self) -> crate::ingest::GatewayIngest {
        crate::ingest::GatewayIngest::new(self.inner.clone())
    }

    pub fn settings(&self) -> &HubSettings {
        &self.inner.settings
    }

    /// The metrics registry (`/metrics`); other parts (the MQTT link) record into it too.
    pub fn metrics(&self) -> &HubMetrics {
        &self.inner.metrics
    }

    /// The store's write counters (transactions, durable commits) since it was opened.
    pub fn store_counters(&self) -> crate::store::StoreCounters {
        self.inner.store.counters()
    }

    /// `/metrics`: the registry with the store's write counters brought up to date.
    pub fn render_metrics(&self) -> String {
        self.inner.metrics.record_store(self.inner.store.counters());
        self.inner.metrics.render()
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The hub's clock reading (for callers outside the crate: reports' quick ranges, tests).
    pub fn now_public(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn read(&self) -> Result<Box<dyn ReadTx + '_>, HubError> {
        Ok(self.inner.store.read()?)
    }

    pub(crate) fn write(&self) -> Result<Box<dyn WriteTx + '_>, HubError> {
        Ok(self.inner.store.write()?)
    }

    /// Whether the store answers (for `/health`).
    pub fn healthy(&self) -> Result<(), HubError> {
        let mut tx = self.read()?;
        tx.platform()?;
        Ok(())
    }

    pub(crate) fn publish(&self, events: Vec<HubEvent>) {
        publish(&self.inner, events);
    }

    pub(crate) fn revoke(&self, r: Revocation) {
        let _ = self.inner.bus.send(Bus::Revoke(r));
    }

    pub(crate) fn notify_outbox(&self, gateway_username: String) {
        let _ = self.inner.outbox.send(gateway_username);
    }

    /// The organisation named by `id` in scope, or the caller's own.
    pub(crate) fn org_or_own(
        &self,
        tx: &mut dyn ReadTx,
        scope: &Scope,
        actor: &Actor,
        id: Option<Uuid>,
    ) -> Result<Org, HubError> {
        match id {
            Some(id) => error::found(tx.org(scope, id)?),
            None => Ok(actor.org().clone()),
        }
    }

    /// The tenant organisation named by `id` (or the caller's), refusing other kinds.
    pub(crate) fn tenant_or_own(
        &self,
        tx: &mut dyn ReadTx,
        scope: &Scope,
        actor: &Actor,
        id: Option<Uuid>,
        what: &str,
    ) -> Result<Org, HubError> {
        let org = self.org_or_own(tx, scope, actor, id)?;
        if org.kind != OrgKind::Tenant {
            return Err(error::invalid("org", format!("{what} belong to tenants")));
        }
        Ok(org)
    }
}

pub(crate) fn publish(inner: &Inner, mut events: Vec<HubEvent>) {
    // The floor watches every event (agents' states, capacity, unseen conversations).
    let floor = floor::observe(inner, &events);
    events.extend(floor);
    // Webhooks hear of it after commit, without waiting on anything.
    crate::webhooks::feed::observe(&inner.webhooks, &events);
    for e in events {
        // No subscriber is fine.
        let _ = inner.bus.send(Bus::Event(Box::new(e)));
    }
}
