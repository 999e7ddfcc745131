//! The spool's events outbox as the link's [`Outbox`]: spool events → wire messages.

use chrono::{DateTime, Utc};
use smsgate_mqtt::{Outbox, OutboxEvent as LinkEvent, QueueError};
use smsgate_wire::{
    Delivery, DeliveryState, GatewayId, Inbound, Refusal, SUPPORTED_VERSIONS, SendState, Status, Up,
};
use uuid::Uuid;

use super::HUB_KEY_PREFIX;
use crate::spool::{
    CampaignItemState, MessageState, OutboxEvent, Spool, SpoolDb, SpoolError, SpoolEvent,
};

pub(super) fn version() -> u32 {
    SUPPORTED_VERSIONS.iter().copied().max().unwrap_or(1)
}

fn queue_error(e: SpoolError) -> QueueError {
    QueueError(e.to_string())
}

/// The wire id of spool event `event_id` written at `created_at` on `gateway`: a UUID v7 whose
/// time is the event's and whose other bits are the event id and a hash of the gateway id. The
/// same event always gets the same id; events of another spool file (other times) or another
/// gateway get other ids.
pub fn event_uuid(gateway: &GatewayId, event_id: i64, created_at: DateTime<Utc>) -> Uuid {
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&event_id.to_be_bytes());
    let h = gateway
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    bytes[8..].copy_from_slice(&h.to_be_bytes()[..2]);
    let ms = u64::try_from(created_at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
}

/// The hub message id of a spooled message, from its idempotency key.
pub fn hub_message_id(idempotency_key: Option<&str>) -> Option<Uuid> {
    let rest = idempotency_key?.strip_prefix(HUB_KEY_PREFIX)?;
    let (_command, message) = rest.split_once(':')?;
    Uuid::parse_str(message).ok()
}

pub(super) fn hub_key(command: Uuid, message: Uuid) -> String {
    format!("{HUB_KEY_PREFIX}{command}:{message}")
}

/// The wire message for one spool event, or `None` when the hub has no use for it. `db` is
/// read to find which hub message a spooled message is (and its TP-MR).
pub fn translate(
    db: &mut SpoolDb,
    gateway: &GatewayId,
    event: &OutboxEvent,
) -> Result<Option<Up>, SpoolError> {
    let id = event_uuid(gateway, event.id, event.created_at);
    let v = version();
    match &event.event {
        SpoolEvent::InboundReceived {
            from,
            text,
            port,
            received_at,
            ..
        } => Ok(Some(Up::Inbound(Inbound {
            id,
            v,
            port: port.to_string(),
            sim_number: None,
            from: from.clone(),
            text: text.clone(),
            received_at: *received_at,
        }))),
        SpoolEvent::MessageAccepted {
            id: msg_id,
            state,
            error,
            refused,
            ..
        } => message_status(
            db,
            id,
            event,
            *msg_id,
            *state,
            error.clone(),
            Accepted::Yes(*refused),
        ),
        SpoolEvent::MessageState {
            id: msg_id,
            state,
            error,
            ..
        } => message_status(db, id, event, *msg_id, *state, error.clone(), Accepted::No),
        // A campaign recipient the gateway held and never spooled: withdrawn by a halt
        // (`cancelled`: the hub hands it over again) or past the campaign's validity.
        SpoolEvent::CampaignItem {
            message_id,
            state,
            error,
        } => {
            let Ok(message_id) = Uuid::parse_str(message_id) else {
                return Ok(None);
            };
            Ok(Some(Up::Status(Status {
                id,
                v,
                message_id,
                state: match state {
                    CampaignItemState::Cancelled => SendState::Cancelled,
                    CampaignItemState::Failed => SendState::Failed,
                },
                reference: None,
                error: error.clone(),
                evidence: None,
                refused: None,
                at: event.created_at,
            })))
        }
        SpoolEvent::DeliveryReport { .. } => Ok(None),
    }
}

/// Which of a message's events is being translated.
#[derive(Debug, Clone, Copy)]
enum Accepted {
    /// Its first (`message.accepted`), with the list that refused it when it was blocked.
    Yes(Option<Refusal>),
    /// A later state change (`message.state`).
    No,
}

/// The status or delivery report a hub message gets for its spooled message's state change,
/// or `None` when it is not a hub message or the change means nothing to the hub.
fn message_status(
    db: &mut SpoolDb,
    id: Uuid,
    event: &OutboxEvent,
    msg_id: i64,
    state: MessageState,
    error: Option<String>,
    accepted: Accepted,
) -> Result<Option<Up>, SpoolError> {
    let v = version();
    let refused = match accepted {
        Accepted::Yes(refused) => refused,
        Accepted::No => None,
    };
    // Most of a busy box's traffic can be its own (local API, bulk, campaigns): those messages
    // are passed over on their key alone, without loading them and their parts.
    let Some(message_id) = hub_message_id(db.idempotency_key(msg_id)?.as_deref()) else {
        return Ok(None);
    };
    let Some(message) = db.get(msg_id)? else {
        return Ok(None);
    };
    let status = |state: SendState, error: Option<String>, reference: Option<u8>| {
        Some(Up::Status(Status {
            id,
            v,
            message_id,
            state,
            reference,
            error,
            evidence: None,
            refused: refused.filter(|_| state == SendState::Failed),
            at: event.created_at,
        }))
    };
    // A report that settled an `unknown` outcome carries the record that shows how (version 6).
    let settled = message
        .evidence
        .is_some()
        .then(|| message.evidence_summary());
    let dlr = |state: DeliveryState| {
        Some(Up::Dlr(Delivery {
            id,
            v,
            message_id,
            state,
            at: event.created_at,
            evidence: settled.clone(),
        }))
    };
    Ok(match state {
        MessageState::Queued if matches!(accepted, Accepted::Yes(_)) => {
            status(SendState::Queued, None, None)
        }
        // The hub already has `sent`; "no report yet" changes nothing it shows.
        MessageState::Queued | MessageState::Sending | MessageState::NoReport => None,
        MessageState::Sent => status(
            SendState::Sent,
            None,
            message.parts.first().and_then(|part| part.reference),
        ),
        MessageState::Delivered => dlr(DeliveryState::Delivered),
        MessageState::Failed if message.sent_at.is_some() => dlr(DeliveryState::Failed),
        MessageState::Failed | MessageState::Blocked => status(SendState::Failed, error, None),
        MessageState::Cancelled => status(SendState::Cancelled, None, None),
        MessageState::Expired => status(
            SendState::Failed,
            Some(error.unwrap_or_else(|| "validity period ran out before sending".into())),
            None,
        ),
        MessageState::Unknown => Some(Up::Status(Status {
            id,
            v,
            message_id,
            state: SendState::Unknown,
            reference: message.parts.first().and_then(|part| part.reference),
            error: Some(format!(
                "outcome unknown (may have been sent): {}",
                error.as_deref().unwrap_or("send interrupted")
            )),
            evidence: Some(message.evidence_summary()),
            refused: None,
            at: event.created_at,
        })),
    })
}

/// [`Outbox`] over the spool's events (see the module docs).
#[derive(Clone)]
pub struct SpoolOutbox {
    spool: Spool,
    gateway: GatewayId,
    activity: Option<super::LinkActivity>,
}

impl SpoolOutbox {
    pub fn new(spool: Spool, gateway: &GatewayId) -> Self {
        Self {
            spool,
            gateway: gateway.clone(),
            activity: None,
        }
    }

    /// Notes each receipt's time in `activity` (the box dashboard's "last receipt").
    pub fn with_activity(mut self, activity: super::LinkActivity) -> Self {
        self.activity = Some(activity);
        self
    }
}

/// Reads pending events after `after` (a range read: events in flight are not read again)
/// and translates up to `limit` of them. When nothing of this link connection is in flight, a
/// prefix of events that translate to nothing is passed
/// ([`SpoolDb::pass_events`]), so it is not read again on every poll.
fn peek_translated(
    db: &mut SpoolDb,
    gateway: &GatewayId,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<LinkEvent>, SpoolError> {
    let after = after.map_or(i64::MIN, |a| i64::try_from(a).unwrap_or(i64::MAX));
    let page: u32 = u32::try_from(limit).unwrap_or(u32::MAX).saturating_add(128);
    // Nothing of this connection is in flight when every event up to its cursor is acknowledged
    // (a link keeps its cursor after the window empties): what is pending is then all new.
    let idle = db
        .oldest_unpassed_event_id()?
        .is_none_or(|oldest| oldest > after);
    // Events passed before (none of them is for the hub) are not read again.
    let mut from = after.max(db.events_passed());
    let mut out = Vec::new();
    let mut skipped_prefix = None;
    loop {
        // Page by page from where the last one ended: each event is read and translated once.
        let events = db.peek_events_after(from, page)?;
        let exhausted = events.len() < page as usize;
        for e in &events {
            from = e.id;
            match translate(db, gateway, e)? {
                Some(message) => {
                    out.push(LinkEvent {
                        id: u64::try_from(e.id).unwrap_or(0),
                        message,
                    });
                    if out.len() >= limit {
                        break;
                    }
                }
                None if out.is_empty() => skipped_prefix = Some(e.id),
                None => {}
            }
        }
        if out.len() >= limit || exhausted {
            if idle && let Some(up_to) = skipped_prefix {
                db.pass_events(up_to)?;
            }
            return Ok(out);
        }
    }
}

impl Outbox for SpoolOutbox {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<LinkEvent>, QueueError> {
        let gateway = self.gateway.clone();
        self.spool
            .call(move |db| peek_translated(db, &gateway, after, limit))
            .await
            .map_err(queue_error)
    }

    async fn ack(&self, id: u64) -> Result<(), QueueError> {
        let up_to = i64::try_from(id).map_err(|e| QueueError(e.to_string()))?;
        if let Some(a) = &self.activity {
            a.record_receipt();
        }
        self.spool
            .call(move |db| db.ack_events(up_to))
            .await
            .map(|_| ())
            .map_err(queue_error)
    }
}
