//! Storage of webhooks (issue 15): endpoints (with their secret, kept apart from the record
//! the API returns), the durable delivery queue and every attempt (the delivery log), and the
//! last assignee and closed flag seen per conversation (to tell "assigned" and "closed" from
//! other updates), and the feed's other marks (a message's last state, so an update that
//! leaves it alone is no status change; a tenant's last opt-out version told).
//!
//! Reached through [`super::ReadTx::webhooks`] / [`super::WriteTx::webhooks_mut`]. Endpoint
//! reads and writes take a [`Scope`]; the queue's (the worker's) take the system scope.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Page, PageRequest, StoreError};
use crate::authz::Scope;
use crate::webhooks::{Attempt, Delivery, DeliveryState, DueDelivery, Endpoint, EventType, Secret};

/// A delivery to queue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub org_id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    pub interaction_id: Option<Uuid>,
    /// What it is delivered in order with (on its endpoint): its conversation, the tenant's
    /// opt-out list; `None`: nothing (itself alone).
    pub order_key: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// What the due-list query found: the deliveries that may go now (heads of their
/// conversation's queue, due), and when the next one falls due.
#[derive(Debug, Clone, Default)]
pub struct DueList {
    pub due: Vec<DueDelivery>,
    pub next_at: Option<DateTime<Utc>>,
}

/// The last state of a conversation the feed saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationMark {
    pub assignee_id: Option<Uuid>,
    pub closed: bool,
}

pub trait WebhookRead {
    /// Endpoints in scope (of one organisation when given), oldest first.
    fn endpoints(&mut self, scope: &Scope, org: Option<Uuid>) -> Result<Vec<Endpoint>, StoreError>;
    fn endpoint(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Endpoint>, StoreError>;
    fn endpoint_secret(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Secret>, StoreError>;
    /// Tenants with at least one enabled endpoint.
    fn tenants_with_endpoints(&mut self, scope: &Scope) -> Result<Vec<Uuid>, StoreError>;
    /// An endpoint's deliveries, newest first, with their attempts.
    fn deliveries(
        &mut self,
        scope: &Scope,
        endpoint_id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, StoreError>;
    fn delivery(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Delivery>, StoreError>;
    /// Pending deliveries of enabled endpoints that no earlier pending delivery of the same
    /// endpoint and conversation holds back: those due at `now` in `due`, earliest first, at
    /// most `per_endpoint` of each endpoint and `limit` in all; the first later due moment in
    /// `next_at`.
    fn due_deliveries(
        &mut self,
        scope: &Scope,
        now: DateTime<Utc>,
        per_endpoint: usize,
        limit: usize,
    ) -> Result<DueList, StoreError>;
    fn conversation_mark(
        &mut self,
        scope: &Scope,
        interaction_id: Uuid,
    ) -> Result<Option<ConversationMark>, StoreError>;
    /// The feed's mark of `kind` for `key` (a message's last state told, a tenant's last
    /// opt-out version told).
    fn mark(&mut self, scope: &Scope, kind: &str, key: &str) -> Result<Option<String>, StoreError>;
}

pub trait WebhookWrite {
    fn insert_endpoint(
        &mut self,
        scope: &Scope,
        e: &Endpoint,
        secret: &Secret,
    ) -> Result<(), StoreError>;
    /// Updates the record (never the secret). Returns whether a row in scope changed.
    fn update_endpoint(&mut self, scope: &Scope, e: &Endpoint) -> Result<bool, StoreError>;
    fn set_endpoint_secret(
        &mut self,
        scope: &Scope,
        id: Uuid,
        secret: &Secret,
    ) -> Result<bool, StoreError>;
    /// Deletes an endpoint with its queue and log. Returns whether it was there.
    fn delete_endpoint(&mut self, scope: &Scope, id: Uuid) -> Result<bool, StoreError>;
    /// Queues a delivery, due at once (or records a finished one, for test events, with
    /// `state` other than pending).
    fn enqueue_delivery(
        &mut self,
        scope: &Scope,
        d: &NewDelivery,
        state: DeliveryState,
    ) -> Result<(), StoreError>;
    /// Logs an attempt and moves the delivery to `state` (due again at `next_at` when pending).
    fn record_attempt(
        &mut self,
        scope: &Scope,
        delivery_id: Uuid,
        attempt: &Attempt,
        state: DeliveryState,
        next_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    fn set_conversation_mark(
        &mut self,
        scope: &Scope,
        interaction_id: Uuid,
        mark: ConversationMark,
    ) -> Result<(), StoreError>;
    fn set_mark(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError>;
}
