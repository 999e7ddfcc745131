//! Unsent outbound messages taken back: when a number opts out (STOP, a manual opt-out or a
//! do-not-contact entry) while hub messages to it are still `queued` or `accepted`, and when a
//! channel is retired by force with messages still waiting on it.
//!
//! Each one goes through the ordinary cancel path: a `down/cancel` is queued for its gateway
//! in the same transaction as the change that made it unwanted, after the `send` it takes back
//! (the outbox keeps their order, so the gateway spools the send, then cancels it before a
//! port takes it). The message keeps its state until the gateway answers — `applied`: it is
//! `cancelled`; `rejected` (a port had started sending it): it keeps its state and the refusal
//! is its error — and says why at once in its `error` (`blocked: … opted out …`).

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use uuid::Uuid;

use super::error::{HubError, found};
use super::gateways::{enqueue, version_for};
use super::{Hub, HubEvent};
use crate::authz::{self, Scope};
use crate::model::*;
use crate::store::{UnsentTo, WriteTx};

/// What [`withdraw`] did: the messages (with their new `error`), their events, and the
/// gateways to wake.
#[derive(Debug, Default)]
pub(crate) struct Withdrawn {
    pub messages: Vec<Message>,
    pub events: Vec<HubEvent>,
    pub gateways: Vec<String>,
}

impl Withdrawn {
    /// Adds what another [`withdraw`] did (one transaction taking back several numbers).
    pub(crate) fn absorb(&mut self, other: Withdrawn) {
        self.messages.extend(other.messages);
        self.events.extend(other.events);
        for g in other.gateways {
            if !self.gateways.contains(&g) {
                self.gateways.push(g);
            }
        }
    }
}

/// The reason given to messages blocked by an opt-out of `number`.
pub(crate) fn opted_out_reason(number: &str, how: &str) -> String {
    format!("blocked: {number} opted out ({how}) before it was sent; cancelled on the gateway")
}

/// The reason given to messages blocked by `number` joining the do-not-contact list.
pub(crate) fn do_not_contact_reason(number: &str) -> String {
    format!(
        "blocked: {number} was put on the do-not-contact list before it was sent; cancelled on the gateway"
    )
}

/// Whether `error` says the message was already taken back (one of the reasons above, or a
/// retired channel's `cancelled: …`): its cancel is on its way, and a second one would only
/// come back refused ("the message is cancelled") and overwrite the first reason.
fn already_withdrawn(error: Option<&str>) -> bool {
    error.is_some_and(|e| e.starts_with("blocked: ") || e.starts_with("cancelled: "))
}

/// Queues a `cancel` for every unsent outbound message `to` names (in `scope`), recording
/// `reason` as its error; one already taken back keeps its first reason and its one cancel.
pub(crate) fn withdraw(
    tx: &mut dyn WriteTx,
    scope: &Scope,
    to: UnsentTo<'_>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Withdrawn, HubError> {
    let mut out = Withdrawn::default();
    for mut m in tx.unsent_outbound(scope, to)? {
        if already_withdrawn(m.error.as_deref()) {
            continue;
        }
        let channel = found(tx.channel(scope, m.channel_id)?)?;
        let gw_scope = authz::channel_gateway(&channel);
        let gateway = found(tx.gateway(&gw_scope, channel.gateway_id)?)?;
        let down = wire::Down::Cancel(wire::Cancel {
            id: Uuid::now_v7(),
            v: version_for(&gateway)?,
            message_id: m.id,
        });
        enqueue(tx, &gw_scope, &gateway, &down, Some(m.id), now)?;
        m.error = Some(reason.to_owned());
        m.updated_at = now;
        tx.update_message(scope, &m)?;
        let i = found(tx.interaction(scope, m.interaction_id)?)?;
        let org = found(tx.org(scope, m.org_id)?)?;
        out.events.push(Hub::message_event(&org, &i, &m, false));
        if !out.gateways.contains(&gateway.mqtt_username) {
            out.gateways.push(gateway.mqtt_username);
        }
        out.messages.push(m);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use smsgate_wire as wire;

    use super::*;
    use crate::hub::SendRequest;
    use crate::hub::testkit::*;

    fn send(w: &World, to: &str, campaign: Option<&str>) -> Message {
        w.hub
            .send(
                &w.admin,
                SendRequest {
                    to: to.into(),
                    text: "your code".into(),
                    campaign: campaign.map(Into::into),
                    ..SendRequest::default()
                },
            )
            .unwrap()
    }

    /// The gateway answers every pending command: sends `applied` (the message is
    /// `accepted`), cancels as `cancel` says.
    fn gateway_answers(w: &World, cancel: wire::AckOutcome) -> Vec<wire::Down> {
        let ingest = w.hub.gateway_ingest();
        let mut seen = Vec::new();
        for down in ingest.pending_commands(&w.gw).unwrap() {
            let outcome = match down {
                wire::Down::Cancel(_) => cancel,
                _ => wire::AckOutcome::Applied,
            };
            ingest
                .ingest(
                    &w.gw,
                    wire::Up::Ack(wire::Ack::new(down.id(), 3, outcome, None)),
                )
                .unwrap();
            seen.push(down);
        }
        seen
    }

    fn cancels(downs: &[wire::Down]) -> Vec<Uuid> {
        downs
            .iter()
            .filter_map(|d| match d {
                wire::Down::Cancel(c) => Some(c.message_id),
                _ => None,
            })
            .collect()
    }

    fn state(w: &World, m: &Message) -> (MessageState, Option<String>) {
        let m = w.hub.message(&w.admin, m.id).unwrap();
        (m.state, m.error)
    }

    #[test]
    fn a_stop_cancels_the_unsent_messages_to_that_number_on_the_gateway() {
        let w = world();
        let queued = send(&w, "+447700900600", None);
        let accepted = send(&w, "+447700900600", Some("promo"));
        let other = send(&w, "+447700900601", None);
        // The gateway spooled the second one already; the first is still in the outbox.
        let ingest = w.hub.gateway_ingest();
        let pending = ingest.pending_commands(&w.gw).unwrap();
        let second = &pending[1];
        ingest
            .ingest(
                &w.gw,
                wire::Up::Ack(wire::Ack::new(
                    second.id(),
                    3,
                    wire::AckOutcome::Applied,
                    None,
                )),
            )
            .unwrap();
        assert_eq!(state(&w, &accepted).0, MessageState::Accepted);
        // The customer writes STOP in another written form of the same number.
        w.inbound("00447700900600", "STOP");
        for (m, kept) in [
            (&queued, MessageState::Queued),
            (&accepted, MessageState::Accepted),
        ] {
            let (s, error) = state(&w, m);
            assert_eq!(s, kept, "the state waits for the gateway's answer");
            assert!(
                error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("blocked: +447700900600 opted out (STOP)")),
                "{error:?}"
            );
        }
        let downs = gateway_answers(&w, wire::AckOutcome::Applied);
        assert_eq!(cancels(&downs), vec![queued.id, accepted.id]);
        for m in [&queued, &accepted] {
            let (s, error) = state(&w, m);
            assert_eq!(s, MessageState::Cancelled);
            assert!(error.is_some_and(|e| e.starts_with("blocked:")));
        }
        // Another number's message is left alone.
        assert_eq!(state(&w, &other), (MessageState::Accepted, None));
    }

    #[test]
    fn a_do_not_contact_entry_cancels_the_unsent_messages_to_that_number_once_however_it_is_written()
     {
        let w = world();
        let queued = send(&w, "+447700900600", None);
        let accepted = send(&w, "+447700900600", Some("promo"));
        let other = send(&w, "+447700900601", None);
        let ingest = w.hub.gateway_ingest();
        let second = ingest.pending_commands(&w.gw).unwrap()[1].id();
        ingest
            .ingest(
                &w.gw,
                wire::Up::Ack(wire::Ack::new(second, 3, wire::AckOutcome::Applied, None)),
            )
            .unwrap();
        // The same number twice, written two ways, in one addition.
        let numbers = ["+44 7700 900600".to_owned(), "+447700900600".to_owned()];
        assert_eq!(w.hub.dnc_add(&w.admin, None, &numbers).unwrap(), 1);
        for (m, kept) in [
            (&queued, MessageState::Queued),
            (&accepted, MessageState::Accepted),
        ] {
            let (s, error) = state(&w, m);
            assert_eq!(s, kept, "the state waits for the gateway's answer");
            assert_eq!(
                error.as_deref(),
                Some(
                    "blocked: +447700900600 was put on the do-not-contact list before it was sent; cancelled on the gateway"
                )
            );
        }
        let downs = gateway_answers(&w, wire::AckOutcome::Applied);
        assert_eq!(
            cancels(&downs),
            vec![queued.id, accepted.id],
            "one cancel each"
        );
        for m in [&queued, &accepted] {
            assert_eq!(state(&w, m).0, MessageState::Cancelled);
        }
        assert_eq!(state(&w, &other), (MessageState::Accepted, None));
    }

    #[test]
    fn a_number_taken_back_twice_before_the_gateway_answers_gets_one_cancel_and_keeps_the_first_reason()
     {
        let w = world();
        let queued = send(&w, "+447700900600", None);
        w.inbound("+447700900600", "STOP");
        let numbers = ["+447700900600".to_owned()];
        assert_eq!(w.hub.dnc_add(&w.admin, None, &numbers).unwrap(), 1);
        let downs = gateway_answers(&w, wire::AckOutcome::Applied);
        assert_eq!(cancels(&downs), vec![queued.id], "one cancel");
        let (s, error) = state(&w, &queued);
        assert_eq!(s, MessageState::Cancelled);
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.starts_with("blocked: +447700900600 opted out (STOP)")),
            "{error:?}"
        );
    }

    #[test]
    fn a_manual_opt_out_cancels_the_unsent_messages_and_spares_the_sent_ones() {
        let w = world();
        let sent = send(&w, "+33612345678", None);
        gateway_answers(&w, wire::AckOutcome::Applied);
        w.hub
            .gateway_ingest()
            .ingest(
                &w.gw,
                wire::Up::Status(wire::Status {
                    id: Uuid::now_v7(),
                    v: 3,
                    message_id: sent.id,
                    state: wire::SendState::Sent,
                    reference: None,
                    error: None,
                    evidence: None,
                    refused: None,
                    at: chrono::Utc::now(),
                }),
            )
            .unwrap();
        let waiting = send(&w, "+33612345678", None);
        // Written nationally: the tenant has no country, the channel's SIM is French.
        w.hub
            .add_opt_out(&w.admin, None, "+33 6 12 34 56 78", Some(w.channel.id))
            .unwrap();
        let downs = gateway_answers(&w, wire::AckOutcome::Applied);
        assert_eq!(cancels(&downs), vec![waiting.id]);
        assert_eq!(state(&w, &waiting).0, MessageState::Cancelled);
        assert_eq!(state(&w, &sent), (MessageState::Sent, None));
    }

    #[test]
    fn a_cancel_the_gateway_refuses_keeps_the_state_and_says_why() {
        let w = world();
        let m = send(&w, "+447700900600", None);
        gateway_answers(&w, wire::AckOutcome::Applied);
        w.inbound("+447700900600", "stop");
        w.hub
            .gateway_ingest()
            .pending_commands(&w.gw)
            .unwrap()
            .into_iter()
            .for_each(|d| {
                w.hub
                    .gateway_ingest()
                    .ingest(
                        &w.gw,
                        wire::Up::Ack(wire::Ack::new(
                            d.id(),
                            3,
                            wire::AckOutcome::Rejected,
                            Some("too late to cancel: message 7 is sending".into()),
                        )),
                    )
                    .unwrap();
            });
        let (s, error) = state(&w, &m);
        assert_eq!(s, MessageState::Accepted);
        assert!(error.is_some_and(|e| e.contains("too late to cancel")));
    }
}
