//! An inbound SMS from a gateway: found its channel (by port, else by SIM number) and its
//! tenant, applied STOP/START, joined or opened the conversation, stored the message, and
//! applied the queue strategy and out-of-hours reply. One no channel takes is kept unrouted
//! for the platform operator.

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use uuid::Uuid;

use super::{GatewayIngest, IngestOutcome};
use crate::authz::{self, Scope};
use crate::hub::error::found;
use crate::hub::{Hub, HubError, HubEvent};
use crate::model::*;
use crate::phone;
use crate::routing::{self, OptKeyword};
use crate::store::WriteTx;

impl GatewayIngest {
    pub(super) fn ingest_inbound(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        gateway: &Gateway,
        m: wire::Inbound,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        let channel = match tx.channel_by_port(scope, gateway.id, &m.port)? {
            Some(c) => Some(c),
            None => match &m.sim_number {
                Some(n) => tx.channel_by_number(scope, &phone::sender(n, None))?,
                None => None,
            },
        };
        let Some(channel) = channel else {
            // An undeclared port, or a retired channel's (it freed its port and number).
            let why = format!("no channel on port {:?}", m.port);
            return Self::keep_unrouted(tx, scope, gateway, m, why, now);
        };
        let org = found(tx.org(&authz::authenticating(), channel.holder_id)?)?;
        if org.kind != OrgKind::Tenant {
            let why = format!("channel {} is not assigned to a tenant", channel.sim_number);
            return Self::keep_unrouted(tx, scope, gateway, m, why, now);
        }
        let Some(tenant) = authz::channel_holder(scope, &channel, &org) else {
            return Ok(IngestOutcome::Rejected("channel of another gateway".into()));
        };
        let ctx = phone::context_country(
            channel.country.as_deref(),
            Some(&channel.sim_number),
            org.country.as_deref(),
        );
        let from = phone::sender(&m.from, ctx);
        match routing::opt_keyword(&m.text) {
            Some(OptKeyword::Stop) => {
                tx.insert_opt_out(
                    &tenant,
                    &OptOut {
                        id: Uuid::now_v7(),
                        org_id: org.id,
                        number: from.clone(),
                        channel_id: Some(channel.id),
                        source: "keyword".into(),
                        created_at: now,
                    },
                )?;
                // What is still waiting for this number is taken back (cancelled on its
                // gateway); the STOP's own gateways are woken after the commit.
                let w = crate::hub::unsent::withdraw(
                    tx,
                    &tenant,
                    crate::store::UnsentTo::Number {
                        org_id: org.id,
                        number: &from,
                    },
                    &crate::hub::unsent::opted_out_reason(&from, "STOP"),
                    now,
                )?;
                events.extend(w.events);
                events.push(Hub::list_event(&org.path, crate::hub::ListKind::OptOuts));
            }
            Some(OptKeyword::Start) => {
                tx.delete_opt_out(&tenant, org.id, &from, now)?;
                events.push(Hub::list_event(&org.path, crate::hub::ListKind::OptOuts));
            }
            None => {}
        }
        let mut interaction = match tx.live_interaction(&tenant, channel.id, &from)? {
            Some(mut i) => {
                i.status = routing::status_after_inbound(i.status);
                i.read = false;
                i.updated_at = now;
                if i.queue_id.is_none() && i.assignee_id.is_none() {
                    // A reply to a message nobody watches (sent before placement existed):
                    // it reaches the channel's destination like a new inbound one.
                    (i.queue_id, i.assignee_id) = routing::placement(channel.destination);
                }
                tx.update_interaction(&tenant, &i)?;
                i
            }
            None => {
                let (queue_id, assignee_id) = routing::placement(channel.destination);
                let i = Interaction {
                    id: Uuid::now_v7(),
                    org_id: org.id,
                    channel_id: channel.id,
                    contact_number: from.clone(),
                    status: InteractionStatus::Waiting,
                    queue_id,
                    assignee_id,
                    read: false,
                    campaign: None,
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_interaction(&tenant, &i)?;
                i
            }
        };
        crate::campaigns::replies::name_answered_campaign(tx, &tenant, &mut interaction)?;
        let message = Message {
            id: Uuid::now_v7(),
            org_id: org.id,
            interaction_id: interaction.id,
            channel_id: channel.id,
            direction: MessageDirection::Inbound,
            from,
            to: channel.sim_number.clone(),
            text: m.text,
            state: MessageState::Received,
            error: None,
            evidence: None,
            author_id: None,
            campaign: None,
            created_at: m.received_at,
            updated_at: now,
        };
        tx.insert_message(&tenant, &message)?;
        // Queue strategy and out-of-hours reply (issue 13).
        let (floor_events, _gateway) = crate::hub::routing_rules::after_inbound(
            &self.inner,
            tx,
            &tenant,
            &org,
            &channel,
            &mut interaction,
            now,
        )?;
        events.push(Hub::message_event(&org, &interaction, &message, true));
        events.push(Hub::interaction_event(&org, &interaction));
        events.extend(floor_events);
        Ok(IngestOutcome::Applied)
    }

    /// An inbound message no channel takes is kept with its text for the platform operator
    /// (`GET /api/v1/unrouted-messages`), in the same transaction as its event id.
    fn keep_unrouted(
        tx: &mut dyn WriteTx,
        scope: &Scope,
        gateway: &Gateway,
        m: wire::Inbound,
        why: String,
        now: DateTime<Utc>,
    ) -> Result<IngestOutcome, HubError> {
        tx.insert_unrouted(
            scope,
            &UnroutedInbound {
                id: Uuid::now_v7(),
                gateway_id: gateway.id,
                port: m.port,
                sim_number: m.sim_number,
                from: m.from,
                text: m.text,
                received_at: m.received_at,
                reason: why.clone(),
                created_at: now,
            },
        )?;
        Ok(IngestOutcome::Unrouted(why))
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {

    use crate::hub::testkit::*;

    #[test]
    fn a_national_sender_is_stored_in_e164_and_joins_the_same_conversation() {
        let w = world();
        w.inbound("0611111111", "one");
        w.inbound("+33 6 11 11 11 11", "two");
        let list = w.hub.interactions(&w.admin, None).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].contact_number, "+33611111111");
        w.inbound("ACME", "alphanumeric");
        assert!(
            w.hub
                .interactions(&w.admin, None)
                .unwrap()
                .iter()
                .any(|i| i.contact_number == "ACME")
        );
    }
}
