//! Outbound messages: send (a reply when the contact has a live conversation on the channel,
//! else a new conversation), bulk sends (campaigns: duplicates ignored, opted-out numbers
//! skipped, contact lists as recipients), replies, cancel, message lookup.
//!
//! Numbers are normalised in the channel's context country ([`crate::phone`]), so `0044…`,
//! `44…` and `+44…` are one number for duplicates, opt-outs and conversations. A new
//! conversation started by a send is placed like an inbound one (the channel's destination:
//! its queue or user) and also assigned to the user who wrote, so the customer's reply reaches
//! people who can see it. `Idempotency-Key`: a retried send or bulk with the same key (per
//! tenant) returns what the first one created, and sends nothing again, for
//! `[api] idempotency_ttl_hours` ([`super::idempotency`]).

use std::collections::HashSet;

use serde::Deserialize;
use smsgate_wire as wire;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::gateways::{enqueue, version_for};
use super::validate::{MAX_LABEL, bounded, non_empty, valid_text};
use super::{EventKind, Hub, HubEvent};
use crate::authz::{self, Action, Actor, Scope, Target};
use crate::model::*;
use crate::phone;
use crate::routing;
use crate::store::{ChannelFilter, PageRequest, ReadTx, WriteTx};

/// Most numbers in one bulk request.
pub const MAX_BULK: usize = 10_000;
/// Maximum text length of one message (the portal's limit).
pub const MAX_TEXT: usize = 900;

/// Input of [`Hub::send_bulk`].
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BulkRequest {
    /// Channel to send from (default: the caller's channel, or the tenant's first).
    pub channel: Option<Uuid>,
    /// Numbers (any written form: national in the channel's country, `+…`, `00…`).
    #[serde(default)]
    pub to: Vec<String>,
    /// Contact lists whose members are added to the recipients.
    #[serde(default)]
    pub lists: Vec<Uuid>,
    pub text: String,
    /// Campaign name (required: bulk sends are campaigns, subject to opt-outs).
    pub campaign: String,
}

/// What [`Hub::send_bulk_idempotent`] did.
#[derive(Debug, Clone)]
pub struct BulkSent {
    /// The bulk history entry (none for a replay).
    pub id: Option<Uuid>,
    pub results: Vec<BulkResult>,
    /// The first request's result, returned again for its `Idempotency-Key`.
    pub replay: bool,
}

/// Input of [`Hub::send`].
#[derive(Debug, Clone, Default)]
pub struct SendRequest {
    pub channel: Option<Uuid>,
    pub to: String,
    pub text: String,
    /// Marks a campaign (bulk) send: opted-out numbers are refused.
    pub campaign: Option<String>,
    /// Login of a user of the tenant to assign the conversation to.
    pub agent: Option<String>,
}

struct Queued {
    events: Vec<HubEvent>,
    message: Message,
    gateway: String,
}

impl Hub {
    /// Sends a message (see the module documentation).
    pub fn send(&self, actor: &Actor, req: SendRequest) -> Result<Message, HubError> {
        self.send_idempotent(actor, req, None).map(|(m, _)| m)
    }

    /// [`Hub::send`] with an `Idempotency-Key`: returns the message and whether it is the
    /// first request's (a replay).
    pub fn send_idempotent(
        &self,
        actor: &Actor,
        req: SendRequest,
        key: Option<&str>,
    ) -> Result<(Message, bool), HubError> {
        let text = valid_text(&req.text)?;
        let key = super::idempotency::key(key)?;
        let view = authz::scope(actor, Action::ViewChannel)?;
        let mut tx = self.write()?;
        let (channel, org, scope) = self.sending_channel(&mut *tx, &view, actor, req.channel)?;
        if let Some(k) = &key
            && let Some(first) = self.replayable(&mut *tx, &scope, org.id, k)?
        {
            let id: Uuid = serde_json::from_str(&first.response)
                .map_err(|e| HubError::Conflict(format!("stored idempotent response: {e}")))?;
            let m = found(tx.message(&scope, id)?)?;
            return Ok((m, true));
        }
        let to = phone::recipient(&req.to, context(&channel, &org))
            .map_err(|e| invalid("to", e.to_string()))?;
        let live = tx.live_interaction(&scope, channel.id, &to)?;
        let interaction = match live {
            Some(i) => {
                // A reply: the caller must see the conversation.
                let personal = authz::scope(actor, Action::Reply)?;
                if tx.interaction(&personal, i.id)?.is_none() {
                    return Err(HubError::Forbidden(
                        "the contact is in a colleague's conversation on this channel",
                    ));
                }
                Some(i)
            }
            None => {
                authz::authorize(actor, Action::StartConversation, Target::Org(&org))?;
                None
            }
        };
        let campaign = req
            .campaign
            .as_deref()
            .map(|c| bounded("campaign", c, MAX_LABEL))
            .transpose()?
            .filter(|c| !c.is_empty());
        if campaign.is_some() && tx.is_opted_out(&scope, org.id, &to)? {
            return Err(HubError::Conflict(format!(
                "{to} opted out of bulk messages (STOP); live replies remain possible"
            )));
        }
        let assignee = match &req.agent {
            Some(login) => Some(
                tx.user_by_login(&login.trim().to_lowercase())?
                    .filter(|u| u.org_id == org.id && u.state == UserState::Active)
                    .ok_or_else(|| invalid("agent", "no such active user in this tenant"))?
                    .id,
            ),
            None => None,
        };
        let q = self.queue_outbound(
            &mut *tx,
            &scope,
            actor,
            &org,
            &channel,
            interaction,
            &to,
            text,
            campaign,
            assignee,
        )?;
        let keyed = key.is_some();
        if let Some(k) = key {
            let response = serde_json::to_string(&q.message.id).unwrap_or_default();
            self.remember(&mut *tx, &scope, org.id, k, "send", response)?;
        }
        tx.commit()?;
        if keyed {
            self.idempotency_stored();
        }
        self.publish(q.events);
        self.notify_outbox(q.gateway);
        Ok((q.message, false))
    }

    /// A bulk send (see the module documentation); the input is checked whole first (a bad
    /// number is refused naming its index), then everything is queued in one transaction.
    pub fn send_bulk(&self, actor: &Actor, req: BulkRequest) -> Result<Vec<BulkResult>, HubError> {
        self.send_bulk_idempotent(actor, req, None)
            .map(|b| b.results)
    }

    /// [`Hub::send_bulk`] with an `Idempotency-Key`. The send is recorded in the bulk history
    /// (`BulkSent::id`; none for a replay, which sends and records nothing).
    pub fn send_bulk_idempotent(
        &self,
        actor: &Actor,
        req: BulkRequest,
        key: Option<&str>,
    ) -> Result<BulkSent, HubError> {
        let text = valid_text(&req.text)?;
        let key = super::idempotency::key(key)?;
        if req.to.is_empty() && req.lists.is_empty() {
            return Err(invalid("to", "give at least one number or list"));
        }
        if req.to.len() > MAX_BULK {
            return Err(invalid(
                "to",
                format!("at most {MAX_BULK} numbers per request"),
            ));
        }
        let campaign = non_empty("campaign", &req.campaign)?;
        let campaign = bounded("campaign", &campaign, MAX_LABEL)?;
        let view = authz::scope(actor, Action::ViewChannel)?;
        let mut tx = self.write()?;
        let (channel, org, scope) = self.sending_channel(&mut *tx, &view, actor, req.channel)?;
        authz::authorize(actor, Action::StartConversation, Target::Org(&org))?;
        if let Some(k) = &key
            && let Some(first) = self.replayable(&mut *tx, &scope, org.id, k)?
        {
            let results = serde_json::from_str(&first.response)
                .map_err(|e| HubError::Conflict(format!("stored idempotent response: {e}")))?;
            return Ok(BulkSent {
                id: None,
                results,
                replay: true,
            });
        }
        let ctx = context(&channel, &org);
        let mut numbers = Vec::with_capacity(req.to.len());
        for (i, n) in req.to.iter().enumerate() {
            numbers.push(
                phone::recipient(n, ctx).map_err(|e| invalid(format!("to[{i}]"), e.to_string()))?,
            );
        }
        for (i, l) in req.lists.iter().enumerate() {
            let list_numbers = self
                .list_numbers(&scope, &mut *tx, *l, MAX_BULK + 1)
                .map_err(|_| {
                    invalid(format!("lists[{i}]"), "no such contact list in this tenant")
                })?;
            numbers.extend(list_numbers);
        }
        if numbers.len() > MAX_BULK {
            return Err(invalid(
                "to",
                format!("at most {MAX_BULK} recipients per request"),
            ));
        }
        let mut seen = HashSet::new();
        let mut results = Vec::with_capacity(numbers.len());
        let mut events = Vec::new();
        let mut gateway = None;
        for to in numbers {
            let outcome = if !seen.insert(to.clone()) {
                BulkOutcome::Duplicate
            } else if tx.is_opted_out(&scope, org.id, &to)? {
                BulkOutcome::OptedOut
            } else {
                let live = tx.live_interaction(&scope, channel.id, &to)?;
                let q = self.queue_outbound(
                    &mut *tx,
                    &scope,
                    actor,
                    &org,
                    &channel,
                    live,
                    &to,
                    text.clone(),
                    Some(campaign.clone()),
                    None,
                )?;
                events.extend(q.events);
                gateway = Some(q.gateway);
                BulkOutcome::Queued {
                    message_id: q.message.id,
                }
            };
            results.push(BulkResult { to, outcome });
        }
        let count = |f: fn(&BulkOutcome) -> bool| {
            u32::try_from(results.iter().filter(|r| f(&r.outcome)).count()).unwrap_or(u32::MAX)
        };
        let record = BulkSend {
            id: Uuid::now_v7(),
            org_id: org.id,
            channel_id: channel.id,
            campaign: campaign.clone(),
            text: text.clone(),
            author_id: actor.user_id(),
            created_at: self.now(),
            recipients: u32::try_from(results.len()).unwrap_or(u32::MAX),
            queued: count(|o| matches!(o, BulkOutcome::Queued { .. })),
            duplicates: count(|o| *o == BulkOutcome::Duplicate),
            opted_out: count(|o| *o == BulkOutcome::OptedOut),
        };
        tx.bulk_mut().insert_bulk_send(&scope, &record, &results)?;
        let keyed = key.is_some();
        if let Some(k) = key {
            let response = serde_json::to_string(&results).unwrap_or_default();
            self.remember(&mut *tx, &scope, org.id, k, "bulk", response)?;
        }
        tx.commit()?;
        if keyed {
            self.idempotency_stored();
        }
        self.publish(events);
        if let Some(gw) = gateway {
            self.notify_outbox(gw);
        }
        Ok(BulkSent {
            id: Some(record.id),
            results,
            replay: false,
        })
    }

    /// Replies in a conversation.
    pub fn reply(
        &self,
        actor: &Actor,
        interaction_id: Uuid,
        text: &str,
    ) -> Result<Message, HubError> {
        let text = valid_text(text)?;
        let scope = authz::scope(actor, Action::Reply)?;
        let mut tx = self.write()?;
        let i = found(tx.interaction(&scope, interaction_id)?)?;
        if !i.status.is_live() {
            return Err(HubError::Conflict("the interaction is closed".into()));
        }
        let org = found(tx.org(&scope, i.org_id)?)?;
        let channel = tx
            .channel(&scope, i.channel_id)?
            .filter(|c| c.holder_id == org.id)
            .ok_or_else(|| {
                HubError::Conflict("the channel no longer belongs to this tenant".into())
            })?;
        let to = i.contact_number.clone();
        let q = self.queue_outbound(
            &mut *tx,
            &scope,
            actor,
            &org,
            &channel,
            Some(i),
            &to,
            text,
            None,
            None,
        )?;
        tx.commit()?;
        self.publish(q.events);
        self.notify_outbox(q.gateway);
        Ok(q.message)
    }

    /// The channel to send from (given, or the caller's default) with its tenant, and the
    /// scope to write in.
    fn sending_channel(
        &self,
        tx: &mut dyn ReadTx,
        view: &Scope,
        actor: &Actor,
        id: Option<Uuid>,
    ) -> Result<(Channel, Org, Scope), HubError> {
        let channel = match id {
            Some(id) => found(tx.channel(view, id)?)?,
            None => {
                if actor.org().kind != OrgKind::Tenant {
                    return Err(invalid("channel", "required for callers above a tenant"));
                }
                let channels = tx
                    .channels(view, &ChannelFilter::default(), &PageRequest::all())?
                    .items;
                let mine = actor.user_id().and_then(|u| {
                    channels
                        .iter()
                        .find(|c| c.destination == Destination::User(u))
                });
                mine.or(channels.first())
                    .cloned()
                    .ok_or_else(|| invalid("channel", "the tenant has no channel"))?
            }
        };
        super::channels::in_service(&channel)?;
        let org = found(tx.org(view, channel.holder_id)?)?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid(
                "channel",
                "the channel is not assigned to a tenant",
            ));
        }
        let scope = authz::scope(actor, Action::ViewChannel)?;
        Ok((channel, org, scope))
    }

    #[allow(clippy::too_many_arguments)]
    fn queue_outbound(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        actor: &Actor,
        org: &Org,
        channel: &Channel,
        interaction: Option<Interaction>,
        to: &str,
        text: String,
        campaign: Option<String>,
        assignee: Option<Uuid>,
    ) -> Result<Queued, HubError> {
        // Every outbound message is made here, so a retired channel is refused here (the
        // senders also check early, before their own validation).
        super::channels::in_service(channel)?;
        let gw_scope = authz::channel_gateway(channel);
        let gateway = found(tx.gateway(&gw_scope, channel.gateway_id)?)?;
        let v = version_for(&gateway)?;
        let now = self.now();
        let mut interaction = match interaction {
            Some(i) => i,
            None => {
                let (queue_id, placed) = routing::placement(channel.destination);
                let i = Interaction {
                    id: Uuid::now_v7(),
                    org_id: org.id,
                    channel_id: channel.id,
                    contact_number: to.to_owned(),
                    status: InteractionStatus::Open,
                    queue_id,
                    assignee_id: actor.user_id().or(placed),
                    read: true,
                    campaign: None,
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_interaction(scope, &i)?;
                i
            }
        };
        interaction.status = routing::status_after_outbound(interaction.status);
        interaction.read = true;
        if assignee.is_some() {
            interaction.assignee_id = assignee;
        }
        interaction.updated_at = now;
        tx.update_interaction(scope, &interaction)?;
        let message = Message {
            id: Uuid::now_v7(),
            org_id: org.id,
            interaction_id: interaction.id,
            channel_id: channel.id,
            direction: MessageDirection::Outbound,
            from: channel.sim_number.clone(),
            to: to.to_owned(),
            text: text.clone(),
            state: MessageState::Queued,
            error: None,
            evidence: None,
            author_id: actor.user_id(),
            campaign,
            created_at: now,
            updated_at: now,
        };
        tx.insert_message(scope, &message)?;
        // Without a campaign it is part of a conversation, which STOP does not stop (the
        // senders refuse a campaign message to a number that opted out, never this one).
        let conversation = message.campaign.is_none();
        let down = wire::Down::Send(wire::Send {
            id: Uuid::now_v7(),
            v,
            message_id: message.id,
            port: channel.port.clone(),
            to: to.to_owned(),
            text,
            request_dlr: true,
            conversation,
        });
        enqueue(tx, &gw_scope, &gateway, &down, Some(message.id), now)?;
        let events = vec![
            Hub::message_event(org, &interaction, &message, true),
            HubEvent {
                org_path: org.path.clone(),
                queue_id: interaction.queue_id,
                assignee_id: interaction.assignee_id,
                kind: EventKind::InteractionUpdated { interaction },
            },
        ];
        Ok(Queued {
            events,
            message,
            gateway: gateway.mqtt_username,
        })
    }

    /// Asks the message's gateway to cancel outbound message `id` (anyone who may reply in its
    /// conversation may): queues `Down::Cancel`; the message becomes `cancelled` when the
    /// gateway applies it. A message already sent or final is refused here; one the gateway
    /// has started sending is refused by the gateway (recorded as the message's `error`).
    pub fn cancel_message(&self, actor: &Actor, id: Uuid) -> Result<Message, HubError> {
        let scope = authz::scope(actor, Action::Reply)?;
        let mut tx = self.write()?;
        let m = found(tx.message(&scope, id)?)?;
        if m.direction != MessageDirection::Outbound {
            return Err(HubError::Conflict(format!(
                "message {id} is inbound; only outbound messages can be cancelled"
            )));
        }
        if !matches!(m.state, MessageState::Queued | MessageState::Accepted) {
            let state = serde_json::to_value(m.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(HubError::Conflict(format!(
                "too late to cancel: message {id} is {state}"
            )));
        }
        let channel = found(tx.channel(&scope, m.channel_id)?)?;
        let gw_scope = authz::channel_gateway(&channel);
        let gateway = found(tx.gateway(&gw_scope, channel.gateway_id)?)?;
        let down = wire::Down::Cancel(wire::Cancel {
            id: Uuid::now_v7(),
            v: version_for(&gateway)?,
            message_id: m.id,
        });
        enqueue(&mut *tx, &gw_scope, &gateway, &down, Some(m.id), self.now())?;
        tx.commit()?;
        self.notify_outbox(gateway.mqtt_username);
        Ok(m)
    }

    pub fn message(&self, actor: &Actor, id: Uuid) -> Result<Message, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        found(self.read()?.message(&scope, id)?)
    }
}

/// The context country of a send: the channel's, its SIM number's, else the tenant's.
fn context(channel: &Channel, org: &Org) -> Option<smsgate_wire::number::Country> {
    phone::context_country(
        channel.country.as_deref(),
        Some(&channel.sim_number),
        org.country.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[test]
    fn a_retried_send_with_the_same_key_is_not_sent_twice() {
        let w = world();
        let (first, replay) = w
            .hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("k1"))
            .unwrap();
        assert!(!replay);
        let (again, replay) = w
            .hub
            .send_idempotent(&w.admin, hi("+447400123456"), Some("k1"))
            .unwrap();
        assert!(replay);
        assert_eq!(again.id, first.id);
        assert_eq!(
            w.hub
                .gateway_ingest()
                .pending_commands(&w.gw)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn the_three_number_bypasses_are_refused() {
        let w = world();
        w.hub
            .add_opt_out(&w.admin, None, "+447700900600", None)
            .unwrap();
        for n in ["447700900600", "00447700900600", "+44 7700 900600"] {
            let r = w.hub.send(
                &w.admin,
                SendRequest {
                    campaign: Some("c".into()),
                    ..hi(n)
                },
            );
            assert!(matches!(r, Err(HubError::Conflict(_))), "{n}: {r:?}");
        }
        let bulk = w
            .hub
            .send_bulk(
                &w.admin,
                BulkRequest {
                    channel: None,
                    to: vec![
                        "+447700900322".into(),
                        "447700900322".into(),
                        "00447700900600".into(),
                    ],
                    lists: vec![],
                    text: "promo".into(),
                    campaign: "c".into(),
                },
            )
            .unwrap();
        let outcomes: Vec<_> = bulk.iter().map(|r| r.outcome.clone()).collect();
        assert!(matches!(outcomes[0], BulkOutcome::Queued { .. }));
        assert_eq!(outcomes[1], BulkOutcome::Duplicate);
        assert_eq!(outcomes[2], BulkOutcome::OptedOut);
    }

    #[test]
    fn a_conversation_started_by_an_api_key_is_placed_in_the_channels_queue() {
        let w = world();
        let (_, secret) = w.hub.create_api_key(&w.admin, None, "crm").unwrap();
        let key = w.hub.authenticate(&secret).unwrap();
        let m = w.hub.send(&key, hi("+33612345678")).unwrap();
        let i = w.hub.interaction(&w.admin, m.interaction_id).unwrap();
        assert_eq!(i.queue_id, Some(w.queue));
    }
}
