//! What the gateways report about campaign messages (issue 12): a status, delivery report or
//! refusal moves the message's recipient (`queued → sent → delivered`, or `failed` with the
//! reason; `cancelled`: back to `to_process`, to be handed over again), and a batch the
//! gateway refused fails its recipients.

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use uuid::Uuid;

use super::model::RecipientState;
use crate::authz::{self, Scope};
use crate::hub::HubError;
use crate::ingest::IngestOutcome;
use crate::model::MessageState;
use crate::store::WriteTx;
use crate::store::campaigns::RecipientChange;

const QUEUED: &[RecipientState] = &[RecipientState::Queued];
const HELD: &[RecipientState] = &[RecipientState::Queued, RecipientState::Sent];

/// Moves the recipient of campaign message `message_id` (reported by the gateway of `scope`)
/// to what the gateway says; `None` when the message is no campaign's. A failure the gateway
/// refused itself (contract version 5) books the recipient as the list says.
pub(crate) fn recipient_status(
    tx: &mut dyn WriteTx,
    gateway_scope: &Scope,
    message_id: Uuid,
    state: MessageState,
    (error, refused): (Option<String>, Option<wire::Refusal>),
    now: DateTime<Utc>,
) -> Result<Option<IngestOutcome>, HubError> {
    let Some((campaign_id, seq)) = tx
        .campaigns()
        .recipient_by_message(gateway_scope, message_id)?
    else {
        return Ok(None);
    };
    let all = authz::authenticating();
    let Some(c) = tx.campaigns().campaign(&all, campaign_id)? else {
        return Ok(None);
    };
    let Some(org) = tx.org(&all, c.org_id)? else {
        return Ok(None);
    };
    let scope = authz::tenant_system(&org);
    let (from, to, reason) = match state {
        MessageState::Sent => (QUEUED, RecipientState::Sent, None),
        MessageState::Delivered => (HELD, RecipientState::Delivered, None),
        MessageState::Failed if refused.is_some() => (
            QUEUED,
            refused_state(refused),
            Some(error.unwrap_or_else(|| "refused by the gateway".into())),
        ),
        MessageState::Failed | MessageState::Expired => (
            HELD,
            RecipientState::Failed,
            Some(error.unwrap_or_else(|| "the gateway could not send it".into())),
        ),
        // Taken back before a port took it: to be handed over again.
        MessageState::Cancelled => (QUEUED, RecipientState::ToProcess, None),
        // `unknown`: it may have gone out; it stays held, never handed over again.
        MessageState::Received
        | MessageState::Queued
        | MessageState::Accepted
        | MessageState::Unknown => {
            return Ok(Some(IngestOutcome::Applied));
        }
    };
    tx.campaigns_mut().set_recipients(
        &scope,
        campaign_id,
        &[RecipientChange {
            seq,
            from,
            to,
            reason,
            message_id: None,
            channel: None,
        }],
        now,
    )?;
    Ok(Some(IngestOutcome::Applied))
}

/// The recipient state of a recipient the gateway refused at submission.
fn refused_state(refused: Option<wire::Refusal>) -> RecipientState {
    match refused {
        Some(wire::Refusal::OptedOut) => RecipientState::OptedOut,
        Some(wire::Refusal::DoNotContact) => RecipientState::Blocked,
        None => RecipientState::Failed,
    }
}

/// A gateway refused batch `payload` (a port it does not have, a full disk): every recipient
/// in it fails with the gateway's words (they were never sent).
pub(crate) fn batch_refused(
    tx: &mut dyn WriteTx,
    gateway_scope: &Scope,
    payload: &[u8],
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), HubError> {
    let Ok(wire::Down::Campaign(b)) = wire::Down::decode(&wire::DownKind::Campaign, payload) else {
        return Ok(());
    };
    for item in b.items {
        recipient_status(
            tx,
            gateway_scope,
            item.message_id,
            MessageState::Failed,
            (Some(format!("the gateway refused the batch: {why}")), None),
            now,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_refusal_books_the_recipient_as_the_list_that_refused_it() {
        assert_eq!(
            refused_state(Some(wire::Refusal::OptedOut)),
            RecipientState::OptedOut
        );
        assert_eq!(
            refused_state(Some(wire::Refusal::DoNotContact)),
            RecipientState::Blocked
        );
        assert_eq!(refused_state(None), RecipientState::Failed);
    }
}
