//! Storage behind a trait. [`Store::begin`] opens a transaction ([`Tx`]); everything the hub
//! changes for one request or one ingested event happens in one transaction, committed with
//! [`Tx::commit`] (dropping a `Tx` rolls it back).
//!
//! The trait speaks only the model: ids are UUIDs chosen by the caller, timestamps are
//! `DateTime<Utc>` passed in by the caller (the hub's clock), listing queries take a
//! [`Scope`] from the authorization chokepoint. Nothing in it is SQLite-specific, so a
//! PostgreSQL backend implements the same trait (`BEGIN … COMMIT`, `uuid`, `timestamptz`,
//! `jsonb` for the documents). [`sqlite::SqliteStore`] is the default backend.

pub mod sqlite;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::authz::Scope;
use crate::model::*;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Backend(String),
    #[error("stored {what} is corrupt: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// A uniqueness rule was violated (names the rule).
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("database migration {version} failed: {detail}")]
    Migration { version: u32, detail: String },
}

/// A storage backend.
pub trait Store: Send + Sync + 'static {
    /// Starts a read-write transaction.
    fn begin(&self) -> Result<Box<dyn Tx + '_>, StoreError>;
}

/// One transaction. Every method sees the transaction's own earlier writes.
pub trait Tx {
    fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Records an ingested event id. Returns `false` when it was already recorded: the caller
    /// then changes nothing (at-least-once delivery → exactly-once state).
    fn mark_processed(
        &mut self,
        event_id: Uuid,
        gateway_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    // Organisations
    fn insert_org(&mut self, org: &Org) -> Result<(), StoreError>;
    fn org(&mut self, id: Uuid) -> Result<Option<Org>, StoreError>;
    /// Organisations in scope, optionally of one kind, by creation.
    fn orgs(&mut self, scope: &Scope, kind: Option<OrgKind>) -> Result<Vec<Org>, StoreError>;
    /// The root (platform) organisation, if created.
    fn platform(&mut self) -> Result<Option<Org>, StoreError>;

    // Users and credentials
    fn insert_user(&mut self, user: &User) -> Result<(), StoreError>;
    fn update_user(&mut self, user: &User) -> Result<(), StoreError>;
    fn user(&mut self, id: Uuid) -> Result<Option<User>, StoreError>;
    fn user_by_login(&mut self, login: &str) -> Result<Option<User>, StoreError>;
    fn users(&mut self, scope: &Scope) -> Result<Vec<User>, StoreError>;
    fn insert_session(&mut self, token_hash: &str, session: &Session) -> Result<(), StoreError>;
    fn session(&mut self, token_hash: &str) -> Result<Option<Session>, StoreError>;
    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError>;
    fn delete_sessions_of(&mut self, user_id: Uuid) -> Result<(), StoreError>;
    fn insert_api_key(&mut self, key: &ApiKey, key_hash: &str) -> Result<(), StoreError>;
    fn api_key_by_hash(&mut self, key_hash: &str) -> Result<Option<ApiKey>, StoreError>;
    fn api_keys(&mut self, scope: &Scope) -> Result<Vec<ApiKey>, StoreError>;

    // Gateways
    fn insert_gateway(&mut self, gateway: &Gateway) -> Result<(), StoreError>;
    fn update_gateway(&mut self, gateway: &Gateway) -> Result<(), StoreError>;
    fn gateway(&mut self, id: Uuid) -> Result<Option<Gateway>, StoreError>;
    fn gateway_by_username(&mut self, username: &str) -> Result<Option<Gateway>, StoreError>;
    fn gateways(&mut self) -> Result<Vec<Gateway>, StoreError>;

    // Channels
    fn insert_channel(&mut self, channel: &Channel) -> Result<(), StoreError>;
    fn update_channel(&mut self, channel: &Channel) -> Result<(), StoreError>;
    fn channel(&mut self, id: Uuid) -> Result<Option<Channel>, StoreError>;
    fn channel_by_port(
        &mut self,
        gateway_id: Uuid,
        port: &str,
    ) -> Result<Option<Channel>, StoreError>;
    fn channel_by_number(&mut self, sim_number: &str) -> Result<Option<Channel>, StoreError>;
    /// Channels held by an organisation in scope.
    fn channels(&mut self, scope: &Scope) -> Result<Vec<Channel>, StoreError>;

    // Queues
    fn insert_queue(&mut self, queue: &Queue) -> Result<(), StoreError>;
    fn update_queue(&mut self, queue: &Queue) -> Result<(), StoreError>;
    fn queue(&mut self, id: Uuid) -> Result<Option<Queue>, StoreError>;
    fn queues(&mut self, scope: &Scope) -> Result<Vec<Queue>, StoreError>;
    /// Ids of the queues a user belongs to (any role).
    fn queues_of_user(&mut self, user_id: Uuid) -> Result<Vec<Uuid>, StoreError>;

    // Contacts
    fn insert_contact(&mut self, contact: &Contact) -> Result<(), StoreError>;
    fn update_contact(&mut self, contact: &Contact) -> Result<(), StoreError>;
    fn contact(&mut self, id: Uuid) -> Result<Option<Contact>, StoreError>;
    fn contact_by_number(
        &mut self,
        org_id: Uuid,
        number: &str,
    ) -> Result<Option<Contact>, StoreError>;
    fn delete_contact(&mut self, id: Uuid) -> Result<(), StoreError>;
    fn contacts(&mut self, scope: &Scope) -> Result<Vec<Contact>, StoreError>;

    // Interactions and messages
    fn insert_interaction(&mut self, interaction: &Interaction) -> Result<(), StoreError>;
    fn update_interaction(&mut self, interaction: &Interaction) -> Result<(), StoreError>;
    fn interaction(&mut self, id: Uuid) -> Result<Option<Interaction>, StoreError>;
    /// The live (not closed) interaction of a channel with a contact number.
    fn live_interaction(
        &mut self,
        channel_id: Uuid,
        contact_number: &str,
    ) -> Result<Option<Interaction>, StoreError>;
    fn live_interactions_of_channel(
        &mut self,
        channel_id: Uuid,
    ) -> Result<Vec<Interaction>, StoreError>;
    /// Interactions in scope (personal scopes: assigned to the user or in their queues),
    /// most recently updated first.
    fn interactions(
        &mut self,
        scope: &Scope,
        status: Option<InteractionStatus>,
    ) -> Result<Vec<Interaction>, StoreError>;
    fn insert_message(&mut self, message: &Message) -> Result<(), StoreError>;
    fn update_message(&mut self, message: &Message) -> Result<(), StoreError>;
    fn message(&mut self, id: Uuid) -> Result<Option<Message>, StoreError>;
    fn messages_of(&mut self, interaction_id: Uuid) -> Result<Vec<Message>, StoreError>;

    // Opt-outs
    /// Adds (or keeps) a number on a tenant's opt-out list; returns whether it was added.
    fn insert_opt_out(&mut self, opt_out: &OptOut) -> Result<bool, StoreError>;
    /// Removes a number from a tenant's list; returns whether it was there.
    fn delete_opt_out(&mut self, org_id: Uuid, number: &str) -> Result<bool, StoreError>;
    fn opt_out(&mut self, id: Uuid) -> Result<Option<OptOut>, StoreError>;
    fn opt_outs(&mut self, scope: &Scope) -> Result<Vec<OptOut>, StoreError>;
    fn is_opted_out(&mut self, org_id: Uuid, number: &str) -> Result<bool, StoreError>;

    // Gateway command outbox
    fn enqueue_command(&mut self, entry: &OutboxEntry) -> Result<(), StoreError>;
    /// Commands not yet acked, oldest first.
    fn pending_commands(&mut self, gateway_id: Uuid) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Marks a command acked; returns it if it was pending for this gateway.
    fn ack_command(
        &mut self,
        gateway_id: Uuid,
        command_id: Uuid,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OutboxEntry>, StoreError>;
}
