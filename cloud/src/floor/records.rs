//! Plain data of the floor domains (routing settings, agent status, notifications, notes,
//! labels, canned replies, the audit log), as stored and as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::assign::{ChosenStatus, Strategy};
use super::hours::{OpeningHours, QuietHours};
use super::presence::AwayReason;

/// How a queue hands out conversations (`GET/PUT /queues/{id}/routing`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct QueueRouting {
    pub strategy: Strategy,
    /// Most active interactions per agent (the rest wait in the queue); none = no limit.
    pub max_active: Option<u32>,
    /// Opening hours with the reply sent outside them (none = always open).
    pub hours: Option<OpeningHours>,
}

/// An agent's chosen status and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgentStatusRecord {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub status: ChosenStatus,
    /// Why away (only with `away`).
    pub reason: Option<AwayReason>,
    pub since: DateTime<Utc>,
}

/// Who an escalation level notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The managers of the conversation's queue.
    QueueManagers,
    /// The tenant's administrators.
    TenantAdmins,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Escalation {
    /// Minutes the conversation has waited unseen (more than the first delay).
    pub after_minutes: u32,
    pub audience: Audience,
}

/// One person on the tenant's notification list (no e-mail: SMS only, with no error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recipient {
    pub name: String,
    /// Mobile number (any written form; stored in E.164).
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A tenant's notification settings (the seed's "Notifications › Configuration").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NotificationSettings {
    pub enabled: bool,
    pub sms: bool,
    pub email: bool,
    /// Add the number of interactions waiting to the text.
    pub include_count: bool,
    /// Minutes (5–60) an interaction stays unseen before the first notification.
    pub delay_minutes: u32,
    pub text: String,
    pub recipients: Vec<Recipient>,
    /// The SMS channel that sends them.
    pub channel_id: Option<Uuid>,
    pub escalations: Vec<Escalation>,
    pub quiet_hours: Option<QuietHours>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            sms: true,
            email: true,
            include_count: true,
            delay_minutes: 10,
            text: "Customers are waiting for an answer.".into(),
            recipients: Vec::new(),
            channel_id: None,
            escalations: Vec::new(),
            quiet_hours: None,
        }
    }
}

/// How a notification went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Email,
    Sms,
}

/// Delivery status of a notification: e-mail `accepted` / `refused` (by the SMTP server, with
/// its answer) / `failed` (no answer: connection, TLS); SMS as its message's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Accepted,
    Refused,
    Failed,
    Queued,
    Sent,
    Delivered,
}

/// One notification sent (the seed's "Logs" tab).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationLogEntry {
    pub id: Uuid,
    pub org_id: Uuid,
    pub at: DateTime<Utc>,
    /// 0 = the recipient list; n = the n-th escalation.
    pub level: u32,
    pub medium: Medium,
    pub recipient: String,
    /// E-mail address or number.
    pub address: String,
    /// Interactions waiting when it was sent.
    pub count: u32,
    pub status: DeliveryStatus,
    /// The SMTP answer or the SMS error.
    pub detail: Option<String>,
    /// The SMS message, for SMS.
    pub message_id: Option<Uuid>,
}

/// Where a manager or admin is reached by escalations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotifyContact {
    pub user_id: Uuid,
    pub org_id: Uuid,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
}

/// An internal note on a conversation (never sent to the customer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Note {
    pub id: Uuid,
    pub org_id: Uuid,
    pub interaction_id: Uuid,
    pub author_id: Option<Uuid>,
    pub author_name: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A prepared answer, for the whole tenant or one queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CannedReply {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `None`: every queue of the tenant.
    pub queue_id: Option<Uuid>,
    pub title: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A label used in a tenant, with how many conversations carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LabelCount {
    pub label: String,
    pub conversations: u32,
}

/// One administrative action (who, what, when).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    /// The organisation the action was done in.
    pub org_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// The actor's name as it was (`Alice (alice)`, `API key crm`, `system`).
    pub actor: String,
    /// `created`, `changed`, `deleted`, `exported`, `logged_out` …
    pub action: String,
    /// What kind of thing: `user`, `queue`, `channel`, `report` …
    pub target: String,
    pub target_id: Option<String>,
    /// A short human description (`role manager → agent`).
    pub detail: String,
}
