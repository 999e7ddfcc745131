//! What a gateway reports about what the hub sent it: a message's send status and delivery
//! report (moving the message, or a campaign recipient, forward only), and its receipt
//! (`up/ack`) of a command in its outbox (accepted, refused, cancelled).

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use uuid::Uuid;

use super::{GatewayIngest, IngestOutcome};
use crate::authz::Scope;
use crate::hub::error::found;
use crate::hub::{Hub, HubError, HubEvent};
use crate::model::*;
use crate::routing;
use crate::store::WriteTx;

impl GatewayIngest {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn update_outbound(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        _gateway: &Gateway,
        message_id: Uuid,
        state: MessageState,
        (error, evidence, refused): (Option<String>, Option<String>, Option<wire::Refusal>),
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        // A campaign's message has a recipient, not a conversation (issue 12).
        if tx.message(scope, message_id)?.is_none()
            && let Some(outcome) = crate::campaigns::reports::recipient_status(
                tx,
                scope,
                message_id,
                state,
                (error.clone(), refused),
                now,
            )?
        {
            return Ok(outcome);
        }
        // The gateway scope only finds messages sent through its own channels.
        let Some(mut m) = tx
            .message(scope, message_id)?
            .filter(|m| m.direction == MessageDirection::Outbound)
        else {
            return Ok(IngestOutcome::Rejected(format!(
                "unknown message {message_id}"
            )));
        };
        if let Some(next) = routing::advance(m.state, state) {
            m.state = next;
            if error.is_some() {
                m.error = error;
            } else if next == MessageState::Delivered {
                // Delivered settles every doubt (an `unknown` outcome's "may have been sent").
                m.error = None;
            }
            if evidence.is_some() {
                m.evidence = evidence;
            }
            m.updated_at = now;
            tx.update_message(scope, &m)?;
            let i = found(tx.interaction(scope, m.interaction_id)?)?;
            let org = found(tx.org(scope, m.org_id)?)?;
            events.push(Hub::message_event(&org, &i, &m, false));
        }
        Ok(IngestOutcome::Applied)
    }

    #[allow(clippy::too_many_arguments)]
    fn note_outbound_error(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        message_id: Uuid,
        error: String,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<(), HubError> {
        let Some(mut m) = tx
            .message(scope, message_id)?
            .filter(|m| m.direction == MessageDirection::Outbound)
        else {
            return Ok(());
        };
        m.error = Some(error);
        m.updated_at = now;
        tx.update_message(scope, &m)?;
        let i = found(tx.interaction(scope, m.interaction_id)?)?;
        let org = found(tx.org(scope, m.org_id)?)?;
        events.push(Hub::message_event(&org, &i, &m, false));
        Ok(())
    }

    pub(super) fn ingest_ack(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        gateway: &Gateway,
        a: wire::Ack,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        let outcome = match a.outcome {
            wire::AckOutcome::Applied => "applied",
            wire::AckOutcome::Duplicate => "duplicate",
            wire::AckOutcome::Rejected => "rejected",
            wire::AckOutcome::Unsupported => "unsupported",
        };
        let Some(entry) = tx.ack_command(scope, gateway.id, a.ack_of, outcome, now)? else {
            // Acked before (or not ours): nothing to do.
            return Ok(IngestOutcome::Applied);
        };
        let refused = matches!(
            a.outcome,
            wire::AckOutcome::Rejected | wire::AckOutcome::Unsupported
        );
        let why = a
            .detail
            .unwrap_or_else(|| format!("gateway answered {outcome}"));
        match entry.message_id {
            Some(message_id) if entry.kind == wire::DownKind::Cancel.as_str() => {
                // Applied: cancelled. Refused: it keeps its state (being or already sent); the
                // refusal is recorded as its error.
                if refused {
                    self.note_outbound_error(
                        tx,
                        scope,
                        message_id,
                        format!("cancel refused: {why}"),
                        now,
                        events,
                    )?;
                } else {
                    self.update_outbound(
                        tx,
                        scope,
                        gateway,
                        message_id,
                        MessageState::Cancelled,
                        (None, None, None),
                        now,
                        events,
                    )?;
                }
            }
            Some(message_id) => {
                let (state, error) = if refused {
                    (MessageState::Failed, Some(why))
                } else {
                    (MessageState::Accepted, None)
                };
                self.update_outbound(
                    tx,
                    scope,
                    gateway,
                    message_id,
                    state,
                    (error, None, None),
                    now,
                    events,
                )?;
            }
            None if refused && entry.kind == wire::DownKind::Campaign.as_str() => {
                crate::campaigns::reports::batch_refused(tx, scope, &entry.payload, &why, now)?;
            }
            None => {}
        }
        Ok(IngestOutcome::Applied)
    }
}
