//! Campaign execution on the gateway (contract version 4): the hub hands a gateway a slice of a
//! campaign's recipients for one of its ports ([`CampaignBatch`], topic `down/campaign`), and
//! the gateway keeps sending them inside the campaign's windows at its pace — also while the
//! link is down — until the hub halts it ([`CampaignHalt`], topic `down/campaign_halt`).
//!
//! - Every recipient ([`CampaignItem`]) carries the hub's message id: the gateway stores each
//!   id once (a replayed batch adds nothing) and reports what becomes of it with the ordinary
//!   `up/status` and `up/dlr` messages of that id, from its outbox, so progress made during an
//!   outage reaches the hub when the link is back, each report applied once.
//! - The schedule travels as open [`Window`]s in UTC that the hub computes from the
//!   campaign's dates, weekdays, hours and time zone, so the gateway needs no time-zone rules;
//!   every batch carries the windows from now on and replaces the ones held before.
//! - `expires_at`: a recipient not sent by then is reported `failed` (validity or end date).
//! - A halt (pause or stop) withdraws everything of the campaign the gateway holds and no port
//!   has taken: each is reported `cancelled`, which gives it back to the hub.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One open stretch of a campaign's schedule, `[from, until)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Window {
    /// Whether `at` is inside the window.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.until
    }
}

/// One recipient of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignItem {
    /// The hub's message id (status and delivery reports refer to it).
    pub message_id: Uuid,
    /// E.164 (the hub normalised it).
    pub to: String,
    /// The personalised text.
    pub text: String,
}

/// A slice of a campaign's recipients for one port of this gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignBatch {
    pub id: Uuid,
    pub v: u32,
    /// The hub's campaign id.
    pub campaign: Uuid,
    /// The campaign's name (shown on the gateway's messages).
    pub name: String,
    pub port: String,
    /// Time between two messages of this campaign on this port (0: as fast as the port goes).
    #[serde(default)]
    pub interval_ms: u64,
    /// The campaign's priority among campaigns (higher first); campaign messages always come
    /// after live traffic on the port.
    #[serde(default)]
    pub priority: i32,
    /// Where sending is allowed, ascending; nothing is sent outside them.
    pub windows: Vec<Window>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub items: Vec<CampaignItem>,
}

/// Why a campaign is halted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HaltReason {
    Paused,
    Stopped,
}

/// Withdraw every unsent recipient of a campaign this gateway holds (acked `applied` with the
/// count in `detail`; the recipients come back as `cancelled` statuses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignHalt {
    pub id: Uuid,
    pub v: u32,
    pub campaign: Uuid,
    pub reason: HaltReason,
}
