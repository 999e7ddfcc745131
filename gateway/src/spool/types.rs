//! Rows going into and coming out of the spool.

use super::lifecycle::MessageState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Recipient, already validated/normalised.
    pub to: String,
    /// Full text (any Unicode; split into parts when sent).
    pub text: String,
    /// Group that sends it.
    pub group: String,
    /// Port it must go out on, if pinned.
    pub port: Option<u16>,
    /// Higher first.
    pub priority: i32,
    /// Campaign name.
    pub campaign: Option<String>,
    /// Client key that makes a retried submission return the first id.
    pub idempotency_key: Option<String>,
    /// Not sent after this instant (becomes `expired`).
    pub expires_at: Option<DateTime<Utc>>,
    /// A hub message that is part of a conversation (contract version 7,
    /// `Send::conversation`): the hub let it reach a number that opted out of bulk messages,
    /// so the lists the hub pushed are not checked for it (the box's own do-not-contact list
    /// still is). Only a hub message (idempotency key `hub:…`) can be one.
    pub conversation: bool,
}

impl NewMessage {
    /// A message with default priority and no options.
    pub fn new(to: impl Into<String>, text: impl Into<String>, group: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            text: text.into(),
            group: group.into(),
            port: None,
            priority: 0,
            campaign: None,
            idempotency_key: None,
            expires_at: None,
            conversation: false,
        }
    }
}

/// Result of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Submitted {
    /// Message id.
    pub id: i64,
    /// State right after submission (`queued` or `blocked`; any state for a duplicate).
    pub state: MessageState,
    /// The idempotency key was seen before; `id` is the first submission's.
    pub duplicate: bool,
}

/// A message taken by a port worker (or peeked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Message id.
    pub id: i64,
    /// Recipient.
    pub to: String,
    /// Text.
    pub text: String,
    /// Group.
    pub group: String,
    /// Priority.
    pub priority: i32,
    /// Campaign.
    pub campaign: Option<String>,
    /// How many times it has been claimed (1 on the first try).
    pub attempts: u32,
    /// The claiming port (for a peek: the pinned port, or `u16::MAX` when not pinned).
    pub port: u16,
}

/// One part accepted by the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SentPart {
    /// 1-based part number.
    pub seq: u16,
    /// Port that sent it.
    pub port: u16,
    /// TP-MR message reference returned by +CMGS.
    pub reference: u8,
}

/// A stored part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Part {
    /// 1-based part number.
    pub seq: u16,
    /// Port that sent it.
    pub port: u16,
    /// Message reference.
    pub reference: Option<u8>,
    /// `sent`, `delivered` or `failed`.
    pub state: String,
    /// Failure reason.
    pub error: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Message {
    /// Id.
    pub id: i64,
    /// Recipient.
    pub to: String,
    /// Text.
    pub text: String,
    /// Group.
    pub group: String,
    /// Port it was pinned to by the client.
    pub pinned_port: Option<u16>,
    /// Priority.
    pub priority: i32,
    /// Campaign.
    pub campaign: Option<String>,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
    /// Lifecycle state.
    pub state: MessageState,
    /// Last error.
    pub error: Option<String>,
    /// Port that took it last.
    pub port: Option<u16>,
    /// Claims so far.
    pub attempts: u32,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Validity end.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the network accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it reached a final state.
    pub done_at: Option<DateTime<Utc>>,
    /// Parts (after sending).
    pub parts: Vec<Part>,
    /// The delivery report that settled this message after its outcome was `unknown`.
    pub evidence: Option<Evidence>,
    /// Reports that could be about this message but also about others: for the operator.
    pub ambiguous_reports: Vec<AmbiguousReport>,
}

impl Message {
    /// What the gateway knows about this message's outcome, for the hub (`up/status`
    /// `evidence` of an `unknown` send): the port and attempt, the parts recorded with their
    /// TP-MR, the report that settled it, the reports that could be about it.
    pub fn evidence_summary(&self) -> String {
        let mut out = vec![format!(
            "port {}, attempt {}",
            self.port
                .map_or_else(|| "none".to_owned(), |p| p.to_string()),
            self.attempts
        )];
        if self.parts.is_empty() {
            out.push("no part recorded as sent".into());
        }
        for p in &self.parts {
            out.push(format!(
                "part {} {} on port {}{}",
                p.seq,
                p.state,
                p.port,
                p.reference
                    .map_or_else(String::new, |r| format!(" (TP-MR {r})"))
            ));
        }
        if let Some(e) = &self.evidence {
            out.push(format!(
                "report {} {} on port {} (TP-MR {}) settled it",
                e.report_id, e.status, e.port, e.reference
            ));
        }
        for r in &self.ambiguous_reports {
            out.push(format!(
                "report {} {} on port {} (TP-MR {}) fits messages {:?}",
                r.report_id, r.status, r.port, r.reference, r.candidates
            ));
        }
        out.join("; ")
    }
}

/// The delivery report that settled an `unknown` message (see `spool::evidence`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// Stored report id.
    pub report_id: i64,
    /// Port it arrived on.
    pub port: u16,
    /// TP-MR in the report.
    pub reference: u8,
    /// Recipient in the report.
    pub recipient: String,
    /// `delivered` or `failed`.
    pub status: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Which rule matched it.
    pub rule: super::evidence::MatchRule,
    /// When it settled the message.
    pub settled_at: DateTime<Utc>,
}

/// A report that fits several messages, listed on each of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AmbiguousReport {
    /// Stored report id.
    pub report_id: i64,
    /// Port it arrived on.
    pub port: u16,
    /// TP-MR in the report.
    pub reference: u8,
    /// Recipient in the report.
    pub recipient: String,
    /// `delivered`, `failed` or `pending`.
    pub status: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Every message it could be about (ids).
    pub candidates: Vec<i64>,
}

/// A received SMS (reassembled) to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInbound {
    /// Sender number.
    pub from: String,
    /// Receiving port.
    pub port: u16,
    /// SIM identity (ICCID) if known.
    pub sim: Option<String>,
    /// Text.
    pub text: String,
    /// SMSC time stamp.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the gateway read it.
    pub received_at: DateTime<Utc>,
}

/// Opt-out/opt-in keywords recognised in inbound texts (the cloud decides what they mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Keyword {
    /// STOP, UNSUBSCRIBE, … (the whole text, any case, surrounding spaces/punctuation ignored).
    Stop,
    /// START, UNSTOP, …
    Start,
}

impl Keyword {
    /// Recognises a keyword message (`"stop"`, `" STOP!"`, `"Unsubscribe"`).
    pub fn detect(text: &str) -> Option<Keyword> {
        let word = text
            .trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
            .to_uppercase();
        match word.as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "ARRET" | "ARRÊT" => {
                Some(Keyword::Stop)
            }
            "START" | "UNSTOP" | "SUBSCRIBE" | "YES" => Some(Keyword::Start),
            _ => None,
        }
    }

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Stop => "stop",
            Keyword::Start => "start",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Keyword> {
        match s {
            "stop" => Some(Keyword::Stop),
            "start" => Some(Keyword::Start),
            _ => None,
        }
    }
}

/// A stored inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InboundMessage {
    /// Id (also the cursor).
    pub id: i64,
    /// Sender.
    pub from: String,
    /// Receiving port.
    pub port: u16,
    /// SIM identity.
    pub sim: Option<String>,
    /// Text.
    pub text: String,
    /// Recognised keyword.
    pub keyword: Option<Keyword>,
    /// SMSC time stamp.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the gateway read it.
    pub received_at: DateTime<Utc>,
}

/// Delivery outcome in a status report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Delivered to the handset.
    Delivered,
    /// Permanently failed.
    Failed,
    /// Still trying (temporary).
    Pending,
}

impl DeliveryStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Pending => "pending",
        }
    }
}

/// A status report received on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Port it arrived on.
    pub port: u16,
    /// TP-MR of the reported part.
    pub reference: u8,
    /// Recipient address in the report.
    pub recipient: String,
    /// Outcome.
    pub status: DeliveryStatus,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// A do-not-contact entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEntry {
    /// Number.
    pub number: String,
    /// Campaign it applies to (`None` = all).
    pub campaign: Option<String>,
}

/// Counter window keys (computed by `schedule::caps` in the group's time zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowKeys {
    /// e.g. `h:2026-11-21T14`.
    pub hour: String,
    /// e.g. `d:2026-11-21`.
    pub day: String,
    /// e.g. `m:2026-11`.
    pub month: String,
}

/// Sends counted in the current windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    /// This hour.
    pub hour: u32,
    /// Today.
    pub day: u32,
    /// This month.
    pub month: u32,
}

/// An outbox row for the cloud link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEvent {
    /// Monotonically increasing id.
    pub id: i64,
    /// What happened.
    pub event: super::events::SpoolEvent,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// The last 8 digits of a number: the part national (`099 123 456`) and international
/// (`+598 99 123 456`) forms of one number share. Used to match delivery reports and to keep
/// sticky recipients on one SIM.
pub fn number_tail(n: &str) -> String {
    let digits: Vec<char> = n.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(8)..].iter().collect()
}

/// What [`SpoolDb::cancel`](super::SpoolDb::cancel) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The message was waiting (queued or waiting to retry) and is now `cancelled`.
    Cancelled,
    /// Too late (or already final): the message is in this state and stays in it.
    TooLate(MessageState),
}
