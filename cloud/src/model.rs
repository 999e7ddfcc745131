//! The multi-tenant model: organisations (platform, resellers L1/L2, tenants), users and roles,
//! gateways, channels, queues, contacts, interactions, messages, opt-outs, API keys.
//!
//! Plain data (serde + OpenAPI schemas); the rules live in `authz` (who may) and `routing`
//! (what happens).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Kind of organisation. The hierarchy is platform → L1 reseller → L2 reseller → tenant; a
/// tenant may hang under the platform or any reseller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Platform,
    ResellerL1,
    ResellerL2,
    Tenant,
}

impl OrgKind {
    /// The name as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Platform => "platform",
            OrgKind::ResellerL1 => "reseller_l1",
            OrgKind::ResellerL2 => "reseller_l2",
            OrgKind::Tenant => "tenant",
        }
    }

    /// Whether an organisation of kind `self` may have a direct child of kind `child`.
    pub fn may_parent(self, child: OrgKind) -> bool {
        matches!(
            (self, child),
            (OrgKind::Platform, OrgKind::ResellerL1)
                | (OrgKind::ResellerL1, OrgKind::ResellerL2)
                | (
                    OrgKind::Platform | OrgKind::ResellerL1 | OrgKind::ResellerL2,
                    OrgKind::Tenant
                )
        )
    }
}

/// An organisation. `path` lists the ids from the platform down to this org
/// (`/{platform}/{l1}/{tenant}/`), so "is in my subtree" is a prefix test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Org {
    pub id: Uuid,
    pub kind: OrgKind,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub path: String,
    /// ISO 3166 alpha-2 country (`FR`, `GB`…) in which numbers written without an
    /// international prefix are read (tenants; a channel's own country comes first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The tenant's type, as the operator labels it (`business`, `enterprise`…).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub org_type: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// User roles (the seed's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    ResellerAdmin,
    TenantAdmin,
    Manager,
    Agent,
    User,
}

impl Role {
    /// The name as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::ResellerAdmin => "reseller_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::User => "user",
        }
    }

    /// The organisation kinds a user with this role may belong to.
    pub fn fits(self, org: OrgKind) -> bool {
        match self {
            Role::PlatformAdmin => org == OrgKind::Platform,
            Role::ResellerAdmin => matches!(org, OrgKind::ResellerL1 | OrgKind::ResellerL2),
            Role::TenantAdmin | Role::Manager | Role::Agent | Role::User => org == OrgKind::Tenant,
        }
    }
}

/// Lifecycle of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    Active,
    /// Cannot log in; kept visible.
    Deactivated,
    /// "Deleted" in the portal; restorable from the archive.
    Archived,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub org_id: Uuid,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub state: UserState,
    #[serde(skip_serializing, default)]
    #[schema(ignore)]
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A registered gateway (owned by the platform operator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Gateway {
    pub id: Uuid,
    pub name: String,
    /// MQTT username; also the topic-level gateway id.
    pub mqtt_username: String,
    #[serde(skip_serializing, default)]
    #[schema(ignore)]
    pub mqtt_password_hash: String,
    pub online: bool,
    /// Contract versions the gateway announced.
    pub versions: Vec<u32>,
    pub last_seen: Option<DateTime<Utc>>,
    /// The port inventory last reported by the gateway (`up/ports`).
    #[serde(default)]
    pub ports: Vec<GatewayPort>,
    pub created_at: DateTime<Utc>,
}

/// One gateway port as last reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GatewayPort {
    pub port: String,
    pub sim_number: Option<String>,
    pub operator: Option<String>,
    /// Signal quality 0..=31, when known.
    pub signal: Option<u8>,
    pub registered: bool,
}

/// Where a channel's inbound messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Destination {
    /// The tenant's shared inbox.
    Tenant,
    Queue(Uuid),
    User(Uuid),
}

/// A SIM number on a gateway port, held by an organisation of the hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub id: Uuid,
    pub gateway_id: Uuid,
    pub port: String,
    pub sim_number: String,
    /// What people call it ("Support line"); absent: shown by its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The organisation that currently holds it (platform, a reseller or a tenant).
    pub holder_id: Uuid,
    pub destination: Destination,
    /// ISO 3166 alpha-2 country for numbers written without an international prefix
    /// (default: the country of the SIM number itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `retired`: deleted but kept for its history (no sends, no routing, out of the lists).
    #[serde(default)]
    pub state: ChannelState,
    /// When it was retired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Whether a channel is in service. A deleted channel is `retired`, never removed: its
/// interactions and messages keep pointing at it (history, reports), while it sends nothing,
/// routes no inbound message, leaves the lists and pickers, and frees its port and number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelState {
    #[default]
    Active,
    Retired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueRole {
    Agent,
    Manager,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueMember {
    pub user_id: Uuid,
    pub role: QueueRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Queue {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub description: String,
    pub members: Vec<QueueMember>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub org_id: Uuid,
    pub number: String,
    pub name: String,
    pub business: String,
    pub email: String,
    pub notes: String,
    pub created_at: DateTime<Utc>,
}

/// Interaction (conversation) status, as in the seed: waiting for a reply, open (replied),
/// paused, closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionStatus {
    Waiting,
    Open,
    Paused,
    Closed,
}

impl InteractionStatus {
    /// Live interactions are all but closed ones; at most one per channel and contact.
    pub fn is_live(self) -> bool {
        self != InteractionStatus::Closed
    }
}

/// One conversation between a channel and a contact number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Interaction {
    pub id: Uuid,
    pub org_id: Uuid,
    pub channel_id: Uuid,
    pub contact_number: String,
    pub status: InteractionStatus,
    pub queue_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub read: bool,
    /// The campaign whose message the contact answered, when this conversation is a reply to
    /// one (with the campaign's current name).
    #[serde(default)]
    pub campaign: Option<CampaignRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A campaign named on a conversation that answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CampaignRef {
    pub id: Uuid,
    /// Its current name; the last one it had once deleted.
    pub name: String,
    /// The campaign was deleted since: the name stays, there is nothing to open.
    #[serde(default)]
    pub deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageDirection {
    Inbound,
    Outbound,
}

/// Outbound progress: queued (command waiting for the gateway), accepted (gateway acked the
/// command), sent (network took it), delivered / failed / expired / cancelled (final).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Received,
    Queued,
    Accepted,
    Sent,
    Delivered,
    Failed,
    Expired,
    Cancelled,
    /// The gateway cannot tell whether it left (a send interrupted after the payload was
    /// handed to the modem or device): never resent; `evidence` says what the gateway knows.
    /// A later status or delivery report settles it.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: Uuid,
    pub org_id: Uuid,
    pub interaction_id: Uuid,
    pub channel_id: Uuid,
    pub direction: MessageDirection,
    pub from: String,
    pub to: String,
    pub text: String,
    pub state: MessageState,
    pub error: Option<String>,
    /// What the gateway reported about an `unknown` outcome (the interrupted exchange, the
    /// parts it recorded, reports it could not match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The user who wrote it (outbound from the portal), if any.
    pub author_id: Option<Uuid>,
    pub campaign: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A number that asked not to receive bulk messages from a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptOut {
    pub id: Uuid,
    pub org_id: Uuid,
    pub number: String,
    pub channel_id: Option<Uuid>,
    /// `keyword` (the contact sent STOP) or `manual`.
    pub source: String,
    pub created_at: DateTime<Utc>,
}

/// A tenant API key (the secret is shown once at creation; only its SHA-256 is stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// First characters of the key, to recognise it in lists.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// Last successful use (recorded at most once a minute).
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set when revoked: the key no longer authenticates.
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A named list of a tenant's contacts (for bulk sends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContactList {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub description: String,
    /// Number of members (computed).
    #[serde(default)]
    pub members: usize,
    pub created_at: DateTime<Utc>,
}

/// Whether a user is here: `online` with an open event stream (the portal is open), `away`
/// with a live session but no stream, `offline` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Away,
    Offline,
}

/// A user as the API shows it: the record and its presence.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub presence: Presence,
}

/// A login session (the token is given to the client; only its SHA-256 is stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

impl InteractionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionStatus::Waiting => "waiting",
            InteractionStatus::Open => "open",
            InteractionStatus::Paused => "paused",
            InteractionStatus::Closed => "closed",
        }
    }
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Active => "active",
            UserState::Deactivated => "deactivated",
            UserState::Archived => "archived",
        }
    }
}

/// An inbound SMS no channel took (its port and SIM number match no channel in service — an
/// undeclared port or a retired channel's — or the channel is held by no tenant), kept with
/// its text for the platform operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnroutedInbound {
    pub id: Uuid,
    pub gateway_id: Uuid,
    pub port: String,
    /// The receiving SIM's number as the gateway reported it, if it did.
    pub sim_number: Option<String>,
    pub from: String,
    pub text: String,
    pub received_at: DateTime<Utc>,
    /// Why it was not routed.
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// A down command waiting in a gateway's outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub gateway_id: Uuid,
    pub kind: String,
    /// The encoded `wire::Down` payload.
    pub payload: Vec<u8>,
    /// The outbound message this command is about (send/cancel), if any.
    pub message_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// What happened to one number of a bulk send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BulkOutcome {
    Queued {
        message_id: Uuid,
    },
    /// The number appeared earlier in the same request ("Ignored").
    Duplicate,
    /// The number sent STOP (or was added by hand) to this tenant.
    OptedOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkResult {
    /// The number in E.164.
    pub to: String,
    #[serde(flatten)]
    pub outcome: BulkOutcome,
}

/// A bulk send as its history shows it (the recipients are listed separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkSend {
    pub id: Uuid,
    pub org_id: Uuid,
    pub channel_id: Uuid,
    pub campaign: String,
    pub text: String,
    /// The user who sent it (none for an API key).
    pub author_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Numbers of the request, lists expanded, duplicates included.
    pub recipients: u32,
    pub queued: u32,
    /// Numbers given more than once ("Ignored").
    pub duplicates: u32,
    pub opted_out: u32,
}

/// One recipient of a bulk send, with its message's current delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkRecipientView {
    /// The number in E.164.
    pub to: String,
    #[serde(flatten)]
    pub outcome: BulkOutcome,
    /// The message's state (queued ones only).
    pub state: Option<MessageState>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}
