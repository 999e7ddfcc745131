//! Storage behind traits. [`Store::read`] opens a read-only transaction ([`ReadTx`]: a
//! consistent snapshot that never takes the write lock), [`Store::write`] a read-write one
//! ([`WriteTx`], which can do every read too). Everything the hub changes for one request or one
//! ingested event happens in one write transaction, committed with [`WriteTx::commit`]
//! (dropping it rolls back).
//!
//! **Every read or write of tenant data takes a [`Scope`]**, which only the authorizer
//! ([`crate::authz`]) can build: a single-row getter answers `None` for a row outside the
//! scope, a listing returns only rows inside it, an update outside it changes nothing. The
//! only reads without a scope are authentication's lookups by secret (session token hash, API
//! key hash, login name), which exist to *find* who is calling, plus the platform root.
//!
//! The traits speak only the model: ids are UUIDs chosen by the caller, timestamps are
//! `DateTime<Utc>` passed in by the caller (the hub's clock), lists are cursor pages
//! ([`PageRequest`] → [`Page`]). Nothing here is SQLite-specific: a PostgreSQL backend
//! implements the same traits (`BEGIN READ ONLY` on a pooled connection for [`ReadTx`],
//! `BEGIN` on the primary for [`WriteTx`]). The hub calls the store from the blocking pool, so
//! a backend with an async driver bridges each call with `tokio::runtime::Handle::block_on`
//! on that blocking thread (or runs its own connection task); see ARCHITECTURE.md.

pub mod bulk;
pub mod campaigns;
pub mod floor;
pub mod group;
pub mod sqlite;
pub mod webhooks;

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
    /// The database was written by a newer build (its schema is ahead of this code).
    #[error(
        "the database has schema version {found}, newer than this build's {supported}: run the newer smsgate, or restore a backup"
    )]
    TooNew { found: u32, supported: u32 },
}

/// Most rows one page may hold.
pub const MAX_PAGE: usize = 500;
/// Rows per page when the caller gives no limit.
pub const DEFAULT_PAGE: usize = 50;

/// Where a page starts: the sort key and id of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: String,
}

impl Cursor {
    /// The opaque form given to API clients (URL-safe).
    pub fn encode(&self) -> String {
        hex::encode(format!("{}\u{1f}{}", self.key, self.id))
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let bytes = hex::decode(s).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (key, id) = text.split_once('\u{1f}')?;
        Some(Cursor {
            key: key.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// Which page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=[`MAX_PAGE`].
    pub limit: usize,
    pub after: Option<Cursor>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_PAGE,
            after: None,
        }
    }
}

impl PageRequest {
    /// The largest page from the start (internal callers that want "all", bounded).
    pub fn all() -> Self {
        Self {
            limit: MAX_PAGE,
            after: None,
        }
    }
}

/// One page of a list and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// Search filters of the organisation list.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Only these kinds (empty: all).
    pub kinds: Vec<OrgKind>,
    pub parent: Option<Uuid>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub org: Option<Uuid>,
    pub role: Option<Role>,
    pub state: Option<UserState>,
    /// Substring of the login or name.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ChannelFilter {
    pub holder: Option<Uuid>,
    pub gateway: Option<Uuid>,
    /// Substring of the SIM number, port or name.
    pub q: Option<String>,
    /// Also list retired (deleted) channels (history and report pickers).
    pub include_retired: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub org: Option<Uuid>,
    /// Only members of this list.
    pub list: Option<Uuid>,
    /// Substring of the number, name, business or e-mail.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct InteractionFilter {
    pub status: Option<InteractionStatus>,
    /// `Some(true)`: only live conversations (status other than closed); `Some(false)`: only
    /// closed ones.
    pub live: Option<bool>,
    /// Carries this label (case-insensitive).
    pub label: Option<String>,
    pub queue: Option<Uuid>,
    pub assignee: Option<Uuid>,
    pub channel: Option<Uuid>,
    /// The contact's number (E.164).
    pub contact: Option<String>,
    /// Substring of any message text of the interaction.
    pub text: Option<String>,
    /// Last activity at or after.
    pub since: Option<DateTime<Utc>>,
    /// Last activity before.
    pub until: Option<DateTime<Utc>>,
}

/// Substring filter of simple lists (queues, opt-outs, API keys, gateways, contact lists).
#[derive(Debug, Clone, Default)]
pub struct TextFilter {
    pub org: Option<Uuid>,
    pub q: Option<String>,
}

/// What the hub last pushed of one tenant's opt-out list to one gateway (`down/opt_outs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOutSyncMark {
    pub tenant: Uuid,
    pub to_version: i64,
    /// It was the first command of a snapshot.
    pub replace: bool,
    /// The gateway's ack (`applied`, `duplicate`, `rejected`, `unsupported`); `None`: not
    /// acked yet.
    pub outcome: Option<String>,
}

/// One change of a tenant's opt-out list, in the order they happened (the log a gateway
/// replays to hold the list at the edge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOutChange {
    pub org_id: Uuid,
    /// Per tenant, increasing from 1.
    pub version: i64,
    pub number: String,
    /// `true`: added; `false`: removed.
    pub added: bool,
    pub at: DateTime<Utc>,
}

/// A stored `Idempotency-Key`: what the first request created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub org_id: Uuid,
    pub key: String,
    /// Which endpoint (`send`, `bulk`).
    pub operation: String,
    /// The first response, as JSON.
    pub response: String,
    pub created_at: DateTime<Utc>,
}

/// Write counters of a store since it was opened (`/metrics`: `smsgate_hub_store_*_total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounters {
    /// Write transactions begun.
    pub transactions: u64,
    /// Write transactions that called [`WriteTx::commit`] (their work applied).
    pub applied: u64,
    /// Durable commits (with group commit, one serves every transaction of its group).
    pub commits: u64,
}

/// A storage backend.
pub trait Store: Send + Sync + 'static {
    /// A read-only snapshot; never waits for writers.
    fn read(&self) -> Result<Box<dyn ReadTx + '_>, StoreError>;
    /// A read-write transaction. Transactions run one at a time; concurrent ones may share
    /// one durable commit (group commit, [`group`]): [`WriteTx::commit`] returns once the
    /// commit holding this transaction's work is durable, and dropping the transaction undoes
    /// its own work only.
    fn write(&self) -> Result<Box<dyn WriteTx + '_>, StoreError>;
    /// Write counters since the store was opened.
    fn counters(&self) -> StoreCounters {
        StoreCounters::default()
    }
}

/// Reads. Every method sees one consistent snapshot (and, in a [`WriteTx`], its own writes).
pub trait ReadTx {
    // --- authentication (no scope: these find the caller)
    /// The root (platform) organisation, if created.
    fn platform(&mut self) -> Result<Option<Org>, StoreError>;
    fn user_by_login(&mut self, login: &str) -> Result<Option<User>, StoreError>;
    fn session(&mut self, token_hash: &str) -> Result<Option<Session>, StoreError>;
    fn api_key_by_hash(&mut self, key_hash: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Whether the user has a session that has not expired at `now`.
    fn has_live_session(&mut self, user_id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;

    // --- organisations
    fn org(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Org>, StoreError>;
    fn orgs(
        &mut self,
        scope: &Scope,
        filter: &OrgFilter,
        page: &PageRequest,
    ) -> Result<Page<Org>, StoreError>;
    /// Whether a sibling (same parent) already has this name (case-insensitive), other than `except`.
    fn org_name_taken(
        &mut self,
        parent: Uuid,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<bool, StoreError>;
    /// Direct children of an organisation.
    fn child_orgs(&mut self, scope: &Scope, id: Uuid) -> Result<usize, StoreError>;

    // --- users
    fn user(&mut self, scope: &Scope, id: Uuid) -> Result<Option<User>, StoreError>;
    fn users(
        &mut self,
        scope: &Scope,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError>;
    fn api_key(&mut self, scope: &Scope, id: Uuid) -> Result<Option<ApiKey>, StoreError>;
    fn api_keys(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<ApiKey>, StoreError>;

    // --- gateways (platform-owned: in scope only for a scope covering the platform, or the
    // gateway's own scope)
    fn gateway(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Gateway>, StoreError>;
    fn gateway_by_username(
        &mut self,
        scope: &Scope,
        username: &str,
    ) -> Result<Option<Gateway>, StoreError>;
    fn gateways(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<Gateway>, StoreError>;

    // --- channels
    fn channel(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Channel>, StoreError>;
    fn channel_by_port(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
        port: &str,
    ) -> Result<Option<Channel>, StoreError>;
    fn channel_by_number(
        &mut self,
        scope: &Scope,
        sim_number: &str,
    ) -> Result<Option<Channel>, StoreError>;
    fn channels(
        &mut self,
        scope: &Scope,
        filter: &ChannelFilter,
        page: &PageRequest,
    ) -> Result<Page<Channel>, StoreError>;

    // --- queues
    fn queue(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Queue>, StoreError>;
    fn queues(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<Queue>, StoreError>;
    /// Ids of the queues a user (in scope) belongs to.
    fn queues_of_user(&mut self, scope: &Scope, user_id: Uuid) -> Result<Vec<Uuid>, StoreError>;

    // --- contacts and lists
    fn contact(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Contact>, StoreError>;
    fn contact_by_number(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<Option<Contact>, StoreError>;
    fn contacts(
        &mut self,
        scope: &Scope,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<Contact>, StoreError>;
    fn contact_list(&mut self, scope: &Scope, id: Uuid) -> Result<Option<ContactList>, StoreError>;
    fn contact_lists(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactList>, StoreError>;
    /// Numbers of every member of a list (for a bulk send), at most `limit`.
    fn list_numbers(
        &mut self,
        scope: &Scope,
        list_id: Uuid,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    // --- interactions and messages
    fn interaction(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Interaction>, StoreError>;
    /// The live (not closed) interaction of a channel with a contact number.
    fn live_interaction(
        &mut self,
        scope: &Scope,
        channel_id: Uuid,
        contact_number: &str,
    ) -> Result<Option<Interaction>, StoreError>;
    fn live_interactions(
        &mut self,
        scope: &Scope,
        by: LiveBy,
    ) -> Result<Vec<Interaction>, StoreError>;
    /// Interactions in scope (personal scopes: assigned to the user or in their queues),
    /// most recently updated first.
    fn interactions(
        &mut self,
        scope: &Scope,
        filter: &InteractionFilter,
        page: &PageRequest,
    ) -> Result<Page<Interaction>, StoreError>;
    fn message(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Message>, StoreError>;
    /// Inbound messages no channel took, newest first (platform scopes; a gateway scope sees
    /// its own; other scopes nothing).
    /// `filter.q` searches the text and the sender.
    fn unrouted_inbound(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<UnroutedInbound>, StoreError>;
    /// Outbound messages not sent yet (`queued` on the hub, `accepted` by the gateway), oldest
    /// first.
    fn unsent_outbound(
        &mut self,
        scope: &Scope,
        to: UnsentTo<'_>,
    ) -> Result<Vec<Message>, StoreError>;
    /// Messages of an interaction, oldest first.
    fn messages_of(
        &mut self,
        scope: &Scope,
        interaction_id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError>;

    // --- opt-outs
    fn opt_out(&mut self, scope: &Scope, id: Uuid) -> Result<Option<OptOut>, StoreError>;
    fn opt_outs(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<OptOut>, StoreError>;
    fn is_opted_out(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<bool, StoreError>;
    /// Changes of a tenant's opt-out list after `since`, oldest first.
    fn opt_out_changes(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<Vec<OptOutChange>, StoreError>;

    /// The latest version of a tenant's opt-out change log (0: no change yet).
    fn opt_out_version(&mut self, scope: &Scope, org_id: Uuid) -> Result<i64, StoreError>;
    /// Per tenant, the latest `opt_outs` command queued for a gateway (gateway scope): what the
    /// hub last pushed of that tenant's list and how the gateway answered.
    fn opt_out_sync_marks(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
    ) -> Result<Vec<OptOutSyncMark>, StoreError>;

    // --- idempotency
    fn idempotency(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// When the oldest stored key in scope was made (the sweep's next moment).
    fn oldest_idempotency(&mut self, scope: &Scope) -> Result<Option<DateTime<Utc>>, StoreError>;

    // --- gateway command outbox (gateway scope)
    /// Commands not yet acked, oldest first.
    fn pending_commands(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
    ) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The floor domains' reads (routing, notifications, notes, labels, canned replies, audit,
    /// reports): [`floor::FloorRead`].
    fn floor(&mut self) -> &mut dyn floor::FloorRead;

    /// Bulk-send history: [`bulk::BulkRead`].
    fn bulk(&mut self) -> &mut dyn bulk::BulkRead;

    /// Campaigns and their recipients (issue 12): [`campaigns::CampaignRead`].
    fn campaigns(&mut self) -> &mut dyn campaigns::CampaignRead;

    /// Webhook endpoints, their queue and log (issue 15): [`webhooks::WebhookRead`].
    fn webhooks(&mut self) -> &mut dyn webhooks::WebhookRead;
}

/// Which live interactions.
#[derive(Debug, Clone, Copy)]
pub enum LiveBy {
    Channel(Uuid),
    Queue(Uuid),
    Org(Uuid),
}

/// Whose unsent outbound messages ([`ReadTx::unsent_outbound`]).
#[derive(Debug, Clone, Copy)]
pub enum UnsentTo<'a> {
    /// To one number (E.164) of a tenant, on any of its channels.
    Number { org_id: Uuid, number: &'a str },
    /// Through one channel.
    Channel(Uuid),
}

/// Writes (and every read, through [`ReadTx`]).
pub trait WriteTx: ReadTx {
    fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// The floor domains' writes: [`floor::FloorWrite`].
    fn floor_mut(&mut self) -> &mut dyn floor::FloorWrite;

    /// Bulk-send history: [`bulk::BulkWrite`].
    fn bulk_mut(&mut self) -> &mut dyn bulk::BulkWrite;

    /// Campaigns' writes: [`campaigns::CampaignWrite`].
    fn campaigns_mut(&mut self) -> &mut dyn campaigns::CampaignWrite;

    /// Webhooks' writes: [`webhooks::WebhookWrite`].
    fn webhooks_mut(&mut self) -> &mut dyn webhooks::WebhookWrite;

    /// Records an ingested event id. Returns `false` when it was already recorded: the caller
    /// then changes nothing (at-least-once delivery → exactly-once state).
    fn mark_processed(
        &mut self,
        event_id: Uuid,
        gateway_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    fn insert_org(&mut self, scope: &Scope, org: &Org) -> Result<(), StoreError>;
    fn update_org(&mut self, scope: &Scope, org: &Org) -> Result<(), StoreError>;
    /// Deletes an organisation with everything it holds (users, sessions, keys, queues,
    /// contacts, lists, interactions, messages, opt-outs). Its channels must have been moved.
    fn delete_org(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError>;

    fn insert_user(&mut self, scope: &Scope, user: &User) -> Result<(), StoreError>;
    fn update_user(&mut self, scope: &Scope, user: &User) -> Result<(), StoreError>;
    fn insert_session(&mut self, token_hash: &str, session: &Session) -> Result<(), StoreError>;
    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError>;
    fn delete_sessions_of(&mut self, scope: &Scope, user_id: Uuid) -> Result<(), StoreError>;
    fn insert_api_key(
        &mut self,
        scope: &Scope,
        key: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError>;
    fn update_api_key(&mut self, scope: &Scope, key: &ApiKey) -> Result<(), StoreError>;

    fn insert_gateway(&mut self, scope: &Scope, gateway: &Gateway) -> Result<(), StoreError>;
    fn update_gateway(&mut self, scope: &Scope, gateway: &Gateway) -> Result<(), StoreError>;

    fn insert_channel(&mut self, scope: &Scope, channel: &Channel) -> Result<(), StoreError>;
    fn update_channel(&mut self, scope: &Scope, channel: &Channel) -> Result<(), StoreError>;
    /// Stores a channel as retired: its record stays (history points at it) but its port and
    /// SIM number are freed for a new declaration and no longer find it.
    fn retire_channel(&mut self, scope: &Scope, channel: &Channel) -> Result<(), StoreError>;

    fn insert_queue(&mut self, scope: &Scope, queue: &Queue) -> Result<(), StoreError>;
    fn update_queue(&mut self, scope: &Scope, queue: &Queue) -> Result<(), StoreError>;
    fn delete_queue(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError>;

    fn insert_contact(&mut self, scope: &Scope, contact: &Contact) -> Result<(), StoreError>;
    fn update_contact(&mut self, scope: &Scope, contact: &Contact) -> Result<(), StoreError>;
    fn delete_contact(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError>;
    fn insert_contact_list(&mut self, scope: &Scope, list: &ContactList) -> Result<(), StoreError>;
    fn update_contact_list(&mut self, scope: &Scope, list: &ContactList) -> Result<(), StoreError>;
    fn delete_contact_list(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError>;
    /// Adds a contact to a list; returns whether it was not a member yet.
    fn add_list_member(
        &mut self,
        scope: &Scope,
        list_id: Uuid,
        contact_id: Uuid,
    ) -> Result<bool, StoreError>;
    /// Removes a contact from a list; returns whether it was a member.
    fn remove_list_member(
        &mut self,
        scope: &Scope,
        list_id: Uuid,
        contact_id: Uuid,
    ) -> Result<bool, StoreError>;

    fn insert_interaction(&mut self, scope: &Scope, i: &Interaction) -> Result<(), StoreError>;
    fn update_interaction(&mut self, scope: &Scope, i: &Interaction) -> Result<(), StoreError>;
    fn insert_message(&mut self, scope: &Scope, m: &Message) -> Result<(), StoreError>;
    fn update_message(&mut self, scope: &Scope, m: &Message) -> Result<(), StoreError>;

    /// Adds (or keeps) a number on a tenant's opt-out list (and logs the change); returns
    /// whether it was added.
    fn insert_opt_out(&mut self, scope: &Scope, o: &OptOut) -> Result<bool, StoreError>;
    /// Removes a number from a tenant's list (and logs the change); returns whether it was there.
    fn delete_opt_out(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Stores a key, replacing an expired record of the same key (the caller checked it).
    fn insert_idempotency(
        &mut self,
        scope: &Scope,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError>;
    /// Deletes the keys in scope made at or before `made_by`; returns how many.
    fn delete_idempotency_before(
        &mut self,
        scope: &Scope,
        made_by: DateTime<Utc>,
    ) -> Result<usize, StoreError>;

    /// Keeps an inbound message no channel took (platform or the receiving gateway's scope).
    fn insert_unrouted(&mut self, scope: &Scope, m: &UnroutedInbound) -> Result<(), StoreError>;
    fn enqueue_command(&mut self, scope: &Scope, entry: &OutboxEntry) -> Result<(), StoreError>;
    /// Marks a command acked; returns it if it was pending for this gateway.
    fn ack_command(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
        command_id: Uuid,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OutboxEntry>, StoreError>;
}
