//! Storage of campaigns (issue 12): campaigns, their recipients (one row each, with its
//! state), per-state counts kept with every change, the tenant's do-not-contact list, and the
//! batches handed to gateways.
//!
//! Reached through [`super::ReadTx::campaigns`] / [`super::WriteTx::campaigns_mut`]. Every
//! method takes a [`Scope`]: a campaign outside it is not found, and its recipients with it.
//! **The counts are written in the same transaction as the rows they count** (the store's
//! own methods keep them), so the dashboard reads a handful of rows, never a million.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::authz::Scope;
use crate::campaigns::import::Classified;
use crate::campaigns::model::{Campaign, CampaignCounters, Recipient, RecipientState};

/// A do-not-contact entry of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DncEntry {
    pub number: String,
    pub created_at: DateTime<Utc>,
}

/// A recipient handed to a gateway in a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    pub seq: i64,
    pub number: String,
    pub text: String,
}

/// A batch: recipients of one campaign given to one gateway, kept until it acknowledges.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchRecord {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub gateway_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub acked_at: Option<DateTime<Utc>>,
    /// The wire payload (JSON), republished as is until acknowledged.
    pub payload: String,
}

pub trait CampaignRead {
    fn campaign(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Campaign>, StoreError>;
    /// Campaigns in scope, newest first.
    fn campaigns(&mut self, scope: &Scope) -> Result<Vec<Campaign>, StoreError>;
    /// Campaigns in a state, across the scope (the scheduler's view).
    fn campaigns_in(
        &mut self,
        scope: &Scope,
        states: &[crate::campaigns::CampaignState],
    ) -> Result<Vec<Campaign>, StoreError>;
    fn campaign_counters(
        &mut self,
        scope: &Scope,
        id: Uuid,
    ) -> Result<CampaignCounters, StoreError>;
    /// Recipients by upload order after `after_seq`, optionally in one state.
    fn recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        state: Option<RecipientState>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Recipient>, StoreError>;
    /// The highest `seq` so far (0 when none).
    fn max_seq(&mut self, scope: &Scope, id: Uuid) -> Result<i64, StoreError>;
    /// Every valid number already in the campaign (for duplicates across uploads).
    fn campaign_numbers(&mut self, scope: &Scope, id: Uuid) -> Result<HashSet<String>, StoreError>;
    /// Lines of waiting recipients without their own text whose `vars` lack a value for one of
    /// `placeholders` (at most `limit`): what an edited text could not be rendered for.
    fn recipients_missing(
        &mut self,
        scope: &Scope,
        id: Uuid,
        placeholders: &[String],
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError>;
    fn opt_out_numbers(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<HashSet<String>, StoreError>;
    fn dnc_numbers(&mut self, scope: &Scope, org_id: Uuid) -> Result<HashSet<String>, StoreError>;
    fn dnc_list(&mut self, scope: &Scope, org_id: Uuid) -> Result<Vec<DncEntry>, StoreError>;
    /// Waiting recipients in sending order (priority, then upload order).
    fn next_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        limit: usize,
    ) -> Result<Vec<Recipient>, StoreError>;
    /// Batches not yet acknowledged by `gateway_id`, oldest first.
    fn pending_batches(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
    ) -> Result<Vec<BatchRecord>, StoreError>;
    /// The campaign and recipient a gateway message id belongs to.
    fn recipient_by_message(
        &mut self,
        scope: &Scope,
        message_id: Uuid,
    ) -> Result<Option<(Uuid, i64)>, StoreError>;
    /// Recipients handed to `channel` and not yet sent.
    fn queued_on(&mut self, scope: &Scope, id: Uuid, channel: Uuid) -> Result<u64, StoreError>;
    /// When the hub last heard that `channel` sent one of the campaign's recipients.
    fn last_sent_on(
        &mut self,
        scope: &Scope,
        id: Uuid,
        channel: Uuid,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError>;
    /// Whether `number` is on the tenant's opt-out list now.
    fn number_opted_out(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<bool, StoreError>;
    /// Recipients sent per minute since `since` (`YYYY-MM-DD HH:MM` UTC, count), oldest first.
    fn sends_per_minute(
        &mut self,
        scope: &Scope,
        id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, u64)>, StoreError>;
    /// The campaign whose message a reply from `number` on `channel` answers: of tenant
    /// `org_id`'s campaign messages handed to that number through that channel, the latest
    /// known sent (`sent`, `delivered`), else the latest still `queued` (its outcome may not be
    /// known yet). Failed and never-sent recipients do not count.
    fn answered_campaign(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        channel: Uuid,
        number: &str,
    ) -> Result<Option<crate::model::CampaignRef>, StoreError>;
    /// The campaigns that sent to `number` in the tenant, newest first.
    fn campaigns_for_number(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<Vec<Uuid>, StoreError>;
}

pub trait CampaignWrite {
    fn insert_campaign(&mut self, scope: &Scope, c: &Campaign) -> Result<(), StoreError>;
    /// Replaces the campaign's record; `false` when it is not in scope.
    fn update_campaign(&mut self, scope: &Scope, c: &Campaign) -> Result<bool, StoreError>;
    /// Deletes the campaign, its recipients, counts and batches; conversations that answered
    /// it keep its name, marked deleted.
    fn delete_campaign(&mut self, scope: &Scope, id: Uuid) -> Result<bool, StoreError>;
    /// Adds rows (seq from `first_seq`) of upload `import_id`, and their counts.
    fn insert_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        import_id: Uuid,
        first_seq: i64,
        rows: &[Classified],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Removes at most `limit` rows of an upload (an upload refused or interrupted); returns
    /// how many went. Counts are recomputed when none is left.
    fn delete_import(
        &mut self,
        scope: &Scope,
        id: Uuid,
        import_id: Uuid,
        limit: usize,
    ) -> Result<usize, StoreError>;
    /// Deletes every recipient still `to_process`; returns how many.
    fn delete_unprocessed(&mut self, scope: &Scope, id: Uuid) -> Result<u64, StoreError>;
    /// Moves recipients `from` one state to another (`seqs`: those rows only), with a reason
    /// and the message id given to each; keeps the counts. Returns how many moved.
    fn set_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        changes: &[RecipientChange],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError>;
    /// Moves every waiting recipient to `to` (`expired`, or `failed` when no channel is left)
    /// with `reason`; returns how many.
    fn end_waiting(
        &mut self,
        scope: &Scope,
        id: Uuid,
        to: RecipientState,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    fn add_dnc(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        numbers: &[String],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError>;
    /// Removes a number; `false` when it was not on the list.
    fn remove_dnc(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    fn insert_batch(&mut self, scope: &Scope, b: &BatchRecord) -> Result<(), StoreError>;
    /// Marks a batch acknowledged; `false` when unknown or already acknowledged.
    fn ack_batch(
        &mut self,
        scope: &Scope,
        batch_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// One recipient's move.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientChange {
    pub seq: i64,
    /// Only rows currently in one of these states move (a late report never reopens one).
    pub from: &'static [RecipientState],
    pub to: RecipientState,
    pub reason: Option<String>,
    /// Set with the move (`None` keeps it; a move back to `to_process` clears it).
    pub message_id: Option<Uuid>,
    /// The channel and gateway it is handed to (set with `message_id`).
    pub channel: Option<(Uuid, Uuid)>,
}
