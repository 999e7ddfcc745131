//! Storage of the floor domains: queue routing and opening hours, agents' chosen status,
//! out-of-hours replies, notifications (settings, unseen episodes, marks, log, contacts), notes,
//! labels, canned replies, the audit log and the rows reports are computed from.
//!
//! Reached through [`super::ReadTx::floor`] / [`super::WriteTx::floor_mut`], so the core
//! traits only gain two accessors. The same discipline holds: every method takes a
//! [`Scope`] and sees only rows inside it (conversation data also obeys personal scopes).
//!
//! Two tables are kept by the database itself from `interactions` (SQLite triggers, migration
//! 4; a PostgreSQL backend declares the same triggers): `unseen_episodes` (a row opens when a
//! live conversation becomes `waiting` and unread, and closes when it stops being so) and
//! `interaction_status_log` (every status change, with the assignee at that moment). No hub
//! code path can forget to maintain them. Likewise `agent_status_log` (migration 7): every
//! chosen status an agent sets, from `agent_status`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Page, PageRequest, StoreError};
use crate::authz::Scope;
use crate::floor::hours::OpeningHours;
use crate::floor::plan::Episode;
use crate::floor::presence::{Chosen, StatusLogEntry};
use crate::floor::records::*;
use crate::model::{Interaction, MessageDirection, MessageState, Org};

/// Kinds of messages the hub itself sends (left out of response times).
pub const SYSTEM_AUTO_REPLY: &str = "auto_reply";
pub const SYSTEM_NOTIFICATION: &str = "notification";

/// A message as reports see it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub interaction_id: Uuid,
    pub channel_id: Uuid,
    pub queue_id: Option<Uuid>,
    pub direction: MessageDirection,
    pub author_id: Option<Uuid>,
    pub state: MessageState,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Sent by the hub itself (auto-reply, notification).
    pub system: bool,
}

/// A status change of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub interaction_id: Uuid,
    pub to: String,
    pub assignee_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// An unseen stretch, for reports (open ones have no end).
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeSpan {
    pub interaction_id: Uuid,
    pub since: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// An opt-out change, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct OptOutEvent {
    pub added: bool,
    pub at: DateTime<Utc>,
}

/// Everything a report over `[from, to)` is computed from.
#[derive(Debug, Clone, Default)]
pub struct ReportRows {
    /// Messages created in the range.
    pub messages: Vec<MessageRow>,
    /// Every message (inbound and outbound, not system) of the conversations created in the
    /// range, for response times, keyed by conversation.
    pub threads: HashMap<Uuid, Vec<MessageRow>>,
    /// Conversations created in the range: id → created_at.
    pub created: HashMap<Uuid, DateTime<Utc>>,
    /// Status changes of the conversations created in the range (from `from` on), and every
    /// close in the range.
    pub changes: Vec<StatusChange>,
    /// Unseen stretches that started in the range.
    pub episodes: Vec<EpisodeSpan>,
    pub opt_outs: Vec<OptOutEvent>,
    /// The agents' status log: the last entry before the range per agent and every entry in
    /// it (the `agent_status_log` table, kept by the database from `agent_status`).
    pub statuses: Vec<StatusLogEntry>,
}

/// Audit log filters.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub org: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Substring of the actor, action, target or detail.
    pub q: Option<String>,
}

pub trait FloorRead {
    // --- routing
    fn queue_routing(
        &mut self,
        scope: &Scope,
        queue_id: Uuid,
    ) -> Result<Option<QueueRouting>, StoreError>;
    /// The queue's round-robin pointer (the last agent served).
    fn rr_last(&mut self, scope: &Scope, queue_id: Uuid) -> Result<Option<Uuid>, StoreError>;
    fn channel_hours(
        &mut self,
        scope: &Scope,
        channel_id: Uuid,
    ) -> Result<Option<OpeningHours>, StoreError>;
    fn agent_statuses(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<Vec<AgentStatusRecord>, StoreError>;
    /// Live interactions per assignee that count as active (waiting or open), for one tenant.
    fn active_counts(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<HashMap<Uuid, u32>, StoreError>;
    /// Live, unassigned, waiting conversations of a queue, oldest first.
    fn waiting_in_queue(
        &mut self,
        scope: &Scope,
        queue_id: Uuid,
    ) -> Result<Vec<Interaction>, StoreError>;
    fn auto_replied(&mut self, scope: &Scope, interaction_id: Uuid) -> Result<bool, StoreError>;

    // --- floor
    /// Every live conversation with an assignee (with its organisation path), for the book.
    fn assigned_live(&mut self, scope: &Scope) -> Result<Vec<(String, Interaction)>, StoreError>;
    /// Closes since `since` (path, assignee, at), for the book.
    fn closes_since(
        &mut self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, Uuid, DateTime<Utc>)>, StoreError>;
    /// Chosen statuses with their organisation paths, for the book.
    fn all_agent_statuses(
        &mut self,
        scope: &Scope,
    ) -> Result<Vec<(String, Uuid, Chosen)>, StoreError>;

    // --- notifications
    fn notification_settings(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<Option<NotificationSettings>, StoreError>;
    /// Tenants with notifications enabled.
    fn notifying_tenants(
        &mut self,
        scope: &Scope,
    ) -> Result<Vec<(Org, NotificationSettings)>, StoreError>;
    /// Open unseen episodes of a tenant's live conversations, oldest first.
    fn open_episodes(&mut self, scope: &Scope, org_id: Uuid) -> Result<Vec<Episode>, StoreError>;
    /// Which `(episode, level)` of a tenant were notified.
    fn notified(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<HashSet<(i64, usize)>, StoreError>;
    /// The log, newest first, with SMS entries' status read from their message.
    fn notification_log(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<NotificationLogEntry>, StoreError>;
    fn notify_contacts(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<Vec<NotifyContact>, StoreError>;

    // --- notes, labels, canned replies
    fn notes(&mut self, scope: &Scope, interaction_id: Uuid) -> Result<Vec<Note>, StoreError>;
    fn labels_of(&mut self, scope: &Scope, interaction_id: Uuid)
    -> Result<Vec<String>, StoreError>;
    fn labels(&mut self, scope: &Scope, org_id: Uuid) -> Result<Vec<LabelCount>, StoreError>;
    fn canned_reply(&mut self, scope: &Scope, id: Uuid) -> Result<Option<CannedReply>, StoreError>;
    /// A tenant's replies: tenant-wide ones and, with `queues`, those of these queues (`None`:
    /// all queues); `q` searches title and text.
    fn canned_replies(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        queues: Option<&[Uuid]>,
        q: Option<&str>,
    ) -> Result<Vec<CannedReply>, StoreError>;

    // --- audit, reports
    fn audit(
        &mut self,
        scope: &Scope,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError>;
    fn report_rows(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ReportRows, StoreError>;
}

pub trait FloorWrite: FloorRead {
    fn put_queue_routing(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        queue_id: Uuid,
        r: &QueueRouting,
    ) -> Result<(), StoreError>;
    fn set_rr_last(&mut self, scope: &Scope, queue_id: Uuid, agent: Uuid)
    -> Result<(), StoreError>;
    fn put_channel_hours(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        channel_id: Uuid,
        h: Option<&OpeningHours>,
    ) -> Result<(), StoreError>;
    fn put_agent_status(&mut self, scope: &Scope, s: &AgentStatusRecord) -> Result<(), StoreError>;
    fn insert_auto_reply(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        interaction_id: Uuid,
        message_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    fn mark_system_message(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        message_id: Uuid,
        kind: &str,
    ) -> Result<(), StoreError>;

    fn put_notification_settings(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        s: &NotificationSettings,
    ) -> Result<(), StoreError>;
    fn mark_notified(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        episode: i64,
        level: usize,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    fn insert_notification_log(
        &mut self,
        scope: &Scope,
        e: &NotificationLogEntry,
    ) -> Result<(), StoreError>;
    fn update_notification_status(
        &mut self,
        scope: &Scope,
        id: Uuid,
        status: DeliveryStatus,
        detail: Option<&str>,
    ) -> Result<(), StoreError>;
    fn put_notify_contact(&mut self, scope: &Scope, c: &NotifyContact) -> Result<(), StoreError>;

    fn insert_note(&mut self, scope: &Scope, n: &Note) -> Result<(), StoreError>;
    fn set_labels(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        interaction_id: Uuid,
        labels: &[String],
    ) -> Result<(), StoreError>;
    fn insert_canned_reply(&mut self, scope: &Scope, c: &CannedReply) -> Result<(), StoreError>;
    fn update_canned_reply(&mut self, scope: &Scope, c: &CannedReply) -> Result<(), StoreError>;
    fn delete_canned_reply(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError>;

    fn insert_audit(&mut self, scope: &Scope, e: &AuditEntry) -> Result<(), StoreError>;
}
