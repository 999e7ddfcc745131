//! The events outbox's rows, typed: what the spool tells the world about its messages, inbound
//! SMS, delivery reports and held campaign recipients, in the order it happened.
//!
//! One enum ([`SpoolEvent`]), one writer ([`push`]: the only `INSERT INTO events`), one reader
//! ([`decode`]). A row stores the event's kind (`message.state`, …) and its body as JSON, so
//! the rows written by earlier builds (the same field names) read back as the same variants.
//! The wire messages the hub receives are built from these in `cloud::outbox`; the wire contract
//! (`smsgate-wire`) stays the contract.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::SpoolError;
use super::lifecycle::MessageState;
use super::types::{DeliveryStatus, Evidence, Keyword};
use smsgate_wire::Refusal;

/// One outbox event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum SpoolEvent {
    /// A submission was stored (`queued`, or `blocked` with the reason).
    #[serde(rename = "message.accepted")]
    MessageAccepted {
        /// Spool message id.
        id: i64,
        /// Recipient.
        to: String,
        /// Group it was submitted to.
        group: String,
        /// Campaign tag, if any.
        #[serde(default)]
        campaign: Option<String>,
        /// Initial state.
        state: MessageState,
        /// Why it was blocked.
        #[serde(default)]
        error: Option<String>,
        /// Which list refused it, when blocked (contract version 5, `Status::refused`; absent in
        /// events written before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refused: Option<Refusal>,
    },
    /// A message changed state.
    #[serde(rename = "message.state")]
    MessageState {
        /// Spool message id.
        id: i64,
        /// The new state.
        state: MessageState,
        /// Why (failures, expiry, unknown outcomes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// The port that claimed it (`sending`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// How many parts went out (`sent`, `unknown`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parts: Option<usize>,
        /// The delivery report that settled an `unknown` message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<Evidence>,
    },
    /// An SMS was received and stored.
    #[serde(rename = "inbound.received")]
    InboundReceived {
        /// Spool inbound id.
        id: i64,
        /// Sender.
        from: String,
        /// Gateway port it arrived on.
        port: u16,
        /// SIM number, when known.
        #[serde(default)]
        sim: Option<String>,
        /// Text.
        text: String,
        /// Opt-out/opt-in keyword recognised in the text.
        #[serde(default)]
        keyword: Option<Keyword>,
        /// When the gateway read it.
        received_at: DateTime<Utc>,
    },
    /// A delivery report was recorded (matched to `message_id`, or ambiguous between
    /// `candidates`).
    #[serde(rename = "delivery.report")]
    DeliveryReport {
        /// Port it arrived on.
        port: u16,
        /// TP-MR it names.
        reference: u8,
        /// Recipient it names.
        recipient: String,
        /// Outcome.
        status: DeliveryStatus,
        /// The message it settled, if one.
        #[serde(default)]
        message_id: Option<i64>,
        /// Messages it could be about, when ambiguous.
        #[serde(default)]
        candidates: Vec<i64>,
    },
    /// A campaign recipient the gateway held and never spooled was dropped: withdrawn by a halt
    /// (`cancelled`) or past the campaign's validity (`failed`).
    #[serde(rename = "campaign.item")]
    CampaignItem {
        /// The hub message id of the recipient.
        message_id: String,
        /// What the hub is told.
        state: CampaignItemState,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

/// What a dropped campaign recipient reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignItemState {
    /// Withdrawn: the hub hands it over again.
    Cancelled,
    /// Not sent within the campaign's validity.
    Failed,
}

impl SpoolEvent {
    /// A state change with no details.
    pub fn state(id: i64, state: MessageState) -> Self {
        SpoolEvent::MessageState {
            id,
            state,
            error: None,
            port: None,
            parts: None,
            evidence: None,
        }
    }

    /// A state change with a reason.
    pub fn state_because(id: i64, state: MessageState, error: Option<String>) -> Self {
        SpoolEvent::MessageState {
            id,
            state,
            error,
            port: None,
            parts: None,
            evidence: None,
        }
    }

    /// The row's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            SpoolEvent::MessageAccepted { .. } => "message.accepted",
            SpoolEvent::MessageState { .. } => "message.state",
            SpoolEvent::InboundReceived { .. } => "inbound.received",
            SpoolEvent::DeliveryReport { .. } => "delivery.report",
            SpoolEvent::CampaignItem { .. } => "campaign.item",
        }
    }
}

/// The `(kind, payload)` columns of `event`.
fn encode(event: &SpoolEvent) -> Result<(&'static str, String), SpoolError> {
    let mut v = serde_json::to_value(event)
        .map_err(|e| SpoolError::Corrupt(format!("cannot encode a {} event: {e}", event.kind())))?;
    let payload = v
        .get_mut("payload")
        .map(serde_json::Value::take)
        .unwrap_or_default();
    Ok((event.kind(), payload.to_string()))
}

/// The event stored as `kind` and `payload` in row `id`.
pub(super) fn decode(id: i64, kind: &str, payload: &str) -> Result<SpoolEvent, SpoolError> {
    let payload: serde_json::Value = serde_json::from_str(payload)
        .map_err(|e| SpoolError::Corrupt(format!("event {id} payload: {e}")))?;
    serde_json::from_value(serde_json::json!({"kind": kind, "payload": payload}))
        .map_err(|e| SpoolError::Corrupt(format!("event {id} ({kind}): {e}")))
}

/// Appends `event` to the outbox inside `tx` (the only writer of the events table).
pub(super) fn push(
    tx: &rusqlite::Transaction<'_>,
    event: &SpoolEvent,
    now: i64,
) -> Result<(), SpoolError> {
    let (kind, payload) = encode(event)?;
    tx.prepare_cached("INSERT INTO events (kind, payload, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![kind, payload, now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(e: SpoolEvent) {
        let (kind, payload) = encode(&e).unwrap();
        assert_eq!(decode(1, kind, &payload).unwrap(), e);
    }

    #[test]
    fn every_kind_of_event_reads_back_as_it_was_written() {
        round_trip(SpoolEvent::MessageAccepted {
            id: 1,
            to: "+33600000001".into(),
            group: "main".into(),
            campaign: None,
            state: MessageState::Blocked,
            error: Some("opted out".into()),
            refused: Some(Refusal::OptedOut),
        });
        round_trip(SpoolEvent::state(2, MessageState::Sent));
        round_trip(SpoolEvent::MessageState {
            id: 3,
            state: MessageState::Sending,
            error: None,
            port: Some(4),
            parts: Some(2),
            evidence: None,
        });
        round_trip(SpoolEvent::InboundReceived {
            id: 4,
            from: "+33600000002".into(),
            port: 1,
            sim: None,
            text: "STOP".into(),
            keyword: Some(Keyword::Stop),
            received_at: DateTime::from_timestamp_millis(1_700_000_000_000).unwrap(),
        });
        round_trip(SpoolEvent::DeliveryReport {
            port: 0,
            reference: 41,
            recipient: "+33600000003".into(),
            status: DeliveryStatus::Delivered,
            message_id: Some(7),
            candidates: vec![7, 8],
        });
        round_trip(SpoolEvent::CampaignItem {
            message_id: "0190c0de-0000-7000-8000-000000000000".into(),
            state: CampaignItemState::Cancelled,
            error: None,
        });
    }

    #[test]
    fn a_row_written_as_untyped_json_by_an_earlier_build_reads_as_its_variant() {
        let e = decode(
            9,
            "message.state",
            r#"{"id": 5, "state": "failed", "error": "gateway stopped while sending"}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            SpoolEvent::state_because(
                5,
                MessageState::Failed,
                Some("gateway stopped while sending".into())
            )
        );
        let accepted = decode(
            10,
            "message.accepted",
            r#"{"id": 6, "to": "+1", "group": "g", "campaign": null, "state": "queued", "error": null}"#,
        )
        .unwrap();
        assert_eq!(accepted.kind(), "message.accepted");
    }

    #[test]
    fn a_row_of_an_unknown_kind_is_reported_corrupt_with_its_id() {
        let err = decode(11, "modem.exploded", "{}").unwrap_err();
        assert!(err.to_string().contains("event 11"), "{err}");
    }
}
