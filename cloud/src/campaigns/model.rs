//! Plain data of campaigns: the campaign, its schedule and options, its recipients and their
//! states (the seed's spool states generalised), the dashboard counters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::schedule::Schedule;

/// Where a campaign is in its life (see [`super::machine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Being prepared: recipients and text may change; nothing is sent.
    Draft,
    /// Started, waiting for its schedule to open.
    Scheduled,
    /// Handing recipients to gateways (inside its schedule) or waiting for the next window.
    Running,
    /// Stopped for now: no new sends anywhere; text and schedule may be edited.
    Paused,
    /// Every recipient processed (or the end date passed: the rest expired).
    Completed,
    /// Stopped for good by a person; what was not sent stays unsent.
    Stopped,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Draft => "draft",
            CampaignState::Scheduled => "scheduled",
            CampaignState::Running => "running",
            CampaignState::Paused => "paused",
            CampaignState::Completed => "completed",
            CampaignState::Stopped => "stopped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => CampaignState::Draft,
            "scheduled" => CampaignState::Scheduled,
            "running" => CampaignState::Running,
            "paused" => CampaignState::Paused,
            "completed" => CampaignState::Completed,
            "stopped" => CampaignState::Stopped,
            _ => return None,
        })
    }
    /// Completed or stopped: nothing more happens.
    pub fn is_final(self) -> bool {
        matches!(self, CampaignState::Completed | CampaignState::Stopped)
    }
}

/// Checks applied to every recipient at import (and again before each batch for opt-outs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct CampaignOptions {
    /// Numbers on the tenant's do-not-contact list are `blocked` (the seed's DNCR, state 3).
    pub dnc_check: bool,
    /// Numbers on the tenant's opt-out list are `opted_out`.
    pub opt_out_check: bool,
    /// A number this campaign already messaged (an earlier upload) is a `duplicate`.
    pub skip_already_messaged: bool,
    /// Minutes after the campaign starts during which a recipient may still be sent; what is
    /// not sent by then is `expired`. `None`: no limit (until the end date).
    pub validity_minutes: Option<u32>,
}

impl Default for CampaignOptions {
    fn default() -> Self {
        Self {
            dnc_check: true,
            opt_out_check: true,
            skip_already_messaged: true,
            validity_minutes: None,
        }
    }
}

/// A campaign of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Campaign {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    /// Channels (SIMs on gateway ports) it may send from; at least one.
    pub channels: Vec<Uuid>,
    /// The seed's dial string: only those of its channels on a gateway port listed here send,
    /// in this order (`(0.3)`: ports 0-1-2-3 in turn; `0-3,8`; `0,2,5`). None: every channel.
    #[serde(default)]
    pub dial_string: Option<String>,
    /// The text, with `{{column}}` placeholders filled from each recipient's row.
    pub template: String,
    pub schedule: Schedule,
    /// Time between two messages on one port, in milliseconds.
    pub interval_ms: u64,
    /// Against live traffic on the gateway (live replies always go first): higher first,
    /// 0 (the default) below every live message.
    pub priority: i32,
    pub options: CampaignOptions,
    pub state: CampaignState,
    /// The columns of the imported rows (placeholders the text may use).
    pub columns: Vec<String>,
    /// Set while an upload is being stored: the campaign cannot start until it ends.
    pub importing: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What became of one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    /// Waiting to be handed to a gateway.
    ToProcess,
    /// On the do-not-contact list (the seed's state 3).
    Blocked,
    OptedOut,
    /// The number appears earlier in this campaign (the seed's "Ignored").
    Duplicate,
    /// Not a number that can receive SMS.
    Invalid,
    /// Handed to a gateway, not sent yet.
    Queued,
    Sent,
    Delivered,
    Failed,
    /// Not sent in time (validity, end date).
    Expired,
}

impl RecipientState {
    pub const ALL: [RecipientState; 10] = [
        RecipientState::ToProcess,
        RecipientState::Blocked,
        RecipientState::OptedOut,
        RecipientState::Duplicate,
        RecipientState::Invalid,
        RecipientState::Queued,
        RecipientState::Sent,
        RecipientState::Delivered,
        RecipientState::Failed,
        RecipientState::Expired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientState::ToProcess => "to_process",
            RecipientState::Blocked => "blocked",
            RecipientState::OptedOut => "opted_out",
            RecipientState::Duplicate => "duplicate",
            RecipientState::Invalid => "invalid",
            RecipientState::Queued => "queued",
            RecipientState::Sent => "sent",
            RecipientState::Delivered => "delivered",
            RecipientState::Failed => "failed",
            RecipientState::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Processed: nothing more will be done for it (queued is not: the gateway still holds it).
    pub fn is_final(self) -> bool {
        !matches!(self, RecipientState::ToProcess | RecipientState::Queued)
    }
}

/// One recipient row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = CampaignRecipient)]
pub struct Recipient {
    /// Order within the campaign (upload order).
    pub seq: i64,
    /// Line of the uploaded file (the row number of a list or sheet).
    pub line: i64,
    /// E.164 when valid, else as written.
    pub number: String,
    /// Per-row text (dialer `message` column), else the template is rendered.
    pub text: Option<String>,
    /// Placeholder values (column → value).
    pub vars: std::collections::BTreeMap<String, String>,
    /// Higher first (dialer `priority` column).
    pub priority: i32,
    pub state: RecipientState,
    /// Why blocked / invalid / failed / expired.
    pub reason: Option<String>,
    /// The message id once handed to a gateway.
    pub message_id: Option<Uuid>,
    /// The channel it was handed to.
    pub channel_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

/// Counts per recipient state and the live figures of the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignCounters {
    pub total: u64,
    pub to_process: u64,
    pub blocked: u64,
    pub opted_out: u64,
    pub duplicate: u64,
    pub invalid: u64,
    pub queued: u64,
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    pub expired: u64,
}

impl CampaignCounters {
    pub fn add(&mut self, state: RecipientState, n: u64) {
        self.total += n;
        let slot = match state {
            RecipientState::ToProcess => &mut self.to_process,
            RecipientState::Blocked => &mut self.blocked,
            RecipientState::OptedOut => &mut self.opted_out,
            RecipientState::Duplicate => &mut self.duplicate,
            RecipientState::Invalid => &mut self.invalid,
            RecipientState::Queued => &mut self.queued,
            RecipientState::Sent => &mut self.sent,
            RecipientState::Delivered => &mut self.delivered,
            RecipientState::Failed => &mut self.failed,
            RecipientState::Expired => &mut self.expired,
        };
        *slot += n;
    }
    /// Not yet processed: waiting or held by a gateway.
    pub fn unprocessed(&self) -> u64 {
        self.to_process + self.queued
    }
}
