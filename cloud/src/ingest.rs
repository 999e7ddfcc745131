//! [`GatewayIngest`]: the gateway side of the hub, a handle separate from the tenant-facing
//! [`Hub`](crate::Hub). The MQTT link passes every received message to
//! [`GatewayIngest::receive`] (or batches with [`GatewayIngest::ingest_batch`]), publishes the
//! `down/ack` that returns, and publishes [`GatewayIngest::pending_commands`] whenever
//! [`GatewayIngest::subscribe_outbox`] names a gateway.
//!
//! Every read and write is in the gateway's own scope ([`authz::gateway`]): its gateway record,
//! its channels, the messages on them, its commands. An inbound message is routed in the scope
//! of the tenant holding the channel ([`authz::channel_holder`]), like any tenant write.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::authz::{self, Scope};
use crate::hub::error::{found, invalid};
use crate::hub::{Hub, HubError, HubEvent, Inner};
use crate::model::*;
use crate::phone;
use crate::routing::{self, OptKeyword};
use crate::secrets;
use crate::store::{StoreError, WriteTx};

/// Result of ingesting one up message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Applied,
    /// Already processed (same id): nothing changed.
    Duplicate,
    /// Recorded as processed but not routed (e.g. no channel on that port).
    Unrouted(String),
    /// Refused (the link acks it `rejected` with this detail).
    Rejected(String),
}

/// The gateway side of the hub. Cheap to clone.
#[derive(Clone)]
pub struct GatewayIngest {
    inner: Arc<Inner>,
}

impl GatewayIngest {
    pub(crate) fn new(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// Gateway ids (topic ids) whose outbox got new commands.
    pub fn subscribe_outbox(&self) -> broadcast::Receiver<String> {
        self.inner.outbox.subscribe()
    }

    fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    fn gateway(
        tx: &mut dyn crate::store::ReadTx,
        gw: &wire::GatewayId,
    ) -> Result<(Gateway, Scope), HubError> {
        let g = tx
            .gateway_by_username(&authz::authenticating(), gw.as_str())?
            .ok_or_else(|| HubError::UnknownGateway(gw.to_string()))?;
        let scope = authz::gateway(&g);
        Ok((g, scope))
    }

    /// Checks a gateway's MQTT credentials (for the broker's authentication hook).
    pub fn check_gateway_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<bool, HubError> {
        let mut tx = self.inner.store.read()?;
        Ok(tx
            .gateway_by_username(&authz::authenticating(), username)?
            .is_some_and(|g| {
                !g.mqtt_password_hash.is_empty()
                    && secrets::digest(password) == g.mqtt_password_hash
            }))
    }

    /// Applies a gateway's retained presence (not de-duplicated: it is idempotent).
    pub fn gateway_state(&self, gw: &wire::GatewayId, state: &wire::State) -> Result<(), HubError> {
        let mut tx = self.inner.store.write()?;
        let (mut g, scope) = Self::gateway(&mut *tx, gw)?;
        g.online = state.online;
        if !state.versions.is_empty() {
            g.versions = state.versions.clone();
        }
        g.last_seen = Some(self.now());
        tx.update_gateway(&scope, &g)?;
        tx.commit()?;
        Ok(())
    }

    /// Commands waiting for a gateway, oldest first (publish them; they stay until acked).
    pub fn pending_commands(&self, gw: &wire::GatewayId) -> Result<Vec<wire::Down>, HubError> {
        // What the gateway lacks of its tenants' opt-out lists joins its outbox first.
        crate::hub::edge_sync::sync_gateway(&self.inner, gw)?;
        let mut tx = self.inner.store.read()?;
        let (g, scope) = Self::gateway(&mut *tx, gw)?;
        tx.pending_commands(&scope, g.id)?
            .into_iter()
            .map(|e| {
                wire::Down::decode(&wire::DownKind::from_level(&e.kind), &e.payload).map_err(
                    |err| {
                        StoreError::Corrupt {
                            what: "outbox",
                            detail: err.to_string(),
                        }
                        .into()
                    },
                )
            })
            .collect()
    }

    /// The MQTT link's entry point: one message as received (the broker has already checked
    /// that the publishing gateway owns the topic). Returns the `down/ack` to publish back,
    /// if any: `unsupported` for a kind this hub does not know, `rejected` for a message it
    /// refused.
    pub fn receive(
        &self,
        topic: &str,
        payload: &[u8],
    ) -> Result<Option<(wire::Topic, wire::Down)>, HubError> {
        let topic = wire::Topic::parse(topic).map_err(|e| invalid("topic", e.to_string()))?;
        let v = wire::SUPPORTED_VERSIONS.first().copied().unwrap_or(1);
        let ack = |ack: wire::Ack| {
            let down = wire::Down::Ack(ack);
            Some((down.topic(&topic.gateway), down))
        };
        match &topic.kind {
            wire::TopicKind::State => {
                let state =
                    wire::State::decode(payload).map_err(|e| invalid("payload", e.to_string()))?;
                self.gateway_state(&topic.gateway, &state)?;
                Ok(None)
            }
            wire::TopicKind::Down(_) => Err(invalid("topic", "the hub does not take down topics")),
            wire::TopicKind::Up(kind) => match wire::Up::decode(kind, payload) {
                Err(e @ wire::DecodeError::UnsupportedKind { .. }) => {
                    Ok(e.unsupported_ack(v).and_then(ack))
                }
                Err(e) => Err(invalid("payload", e.to_string())),
                Ok(up) => {
                    let id = up.id();
                    match self.ingest(&topic.gateway, up)? {
                        IngestOutcome::Rejected(detail) => Ok(ack(wire::Ack {
                            id: Uuid::now_v7(),
                            v,
                            ack_of: id,
                            outcome: wire::AckOutcome::Rejected,
                            detail: Some(detail),
                        })),
                        _ => Ok(None),
                    }
                }
            },
        }
    }

    /// Ingests one up message, exactly once per message id: the id is recorded in the same
    /// transaction as the state change it causes.
    pub fn ingest(&self, gw: &wire::GatewayId, up: wire::Up) -> Result<IngestOutcome, HubError> {
        self.ingest_batch(gw, vec![up])?
            .into_iter()
            .next()
            .ok_or_else(|| HubError::Conflict("empty ingest batch".into()))
    }

    /// Ingests several up messages of one gateway in one transaction (one disk sync for the
    /// batch). All or nothing: on an error nothing of the batch is applied and the caller
    /// retries it whole; duplicates (also within the batch) come back as `Duplicate`.
    pub fn ingest_batch(
        &self,
        gw: &wire::GatewayId,
        ups: Vec<wire::Up>,
    ) -> Result<Vec<IngestOutcome>, HubError> {
        // A STOP/START changes a tenant's list (push it to its gateways); a refused ack may be
        // an opt-out command the gateway could not apply (it gets a snapshot).
        let opt_change = ups
            .iter()
            .any(|u| matches!(u, wire::Up::Inbound(m) if routing::opt_keyword(&m.text).is_some()));
        let refused_ack = ups
            .iter()
            .any(|u| matches!(u, wire::Up::Ack(a) if a.is_refusal()));
        let mut tx = self.inner.store.write()?;
        let now = self.now();
        let mut events = Vec::new();
        let mut outcomes = Vec::with_capacity(ups.len());
        for up in ups {
            // Re-read per event: heartbeats and port reports update the gateway record.
            let (gateway, scope) = Self::gateway(&mut *tx, gw)?;
            outcomes.push(self.ingest_one(&mut *tx, &scope, gateway, up, now, &mut events)?);
        }
        tx.commit()?;
        if opt_change {
            crate::hub::edge_sync::notify_tenants_of_gateway(&self.inner, gw)?;
        }
        if refused_ack {
            let _ = self.inner.outbox.send(gw.as_str().to_owned());
        }
        // An automatic reply queued while ingesting goes out through this same gateway.
        if events.iter().any(|e| {
            matches!(&e.kind, crate::hub::EventKind::MessageCreated { message }
                if message.direction == MessageDirection::Outbound)
        }) {
            let _ = self.inner.outbox.send(gw.as_str().to_owned());
        }
        for o in &outcomes {
            self.inner.metrics.record_ingest(match o {
                IngestOutcome::Applied => "applied",
                IngestOutcome::Duplicate => "duplicate",
                IngestOutcome::Unrouted(_) => "unrouted",
                IngestOutcome::Rejected(_) => "rejected",
            });
        }
        crate::hub::publish(&self.inner, events);
        Ok(outcomes)
    }

    fn ingest_one(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        gateway: Gateway,
        up: wire::Up,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        if !tx.mark_processed(up.id(), gateway.id, now)? {
            return Ok(IngestOutcome::Duplicate);
        }
        Ok(match up {
            wire::Up::Inbound(m) => self.ingest_inbound(tx, scope, &gateway, m, now, events)?,
            wire::Up::Status(s) => self.update_outbound(
                tx,
                scope,
                &gateway,
                s.message_id,
                routing::from_send_state(s.state),
                (s.error, s.evidence, s.refused),
                now,
                events,
            )?,
            wire::Up::Dlr(d) => self.update_outbound(
                tx,
                scope,
                &gateway,
                d.message_id,
                routing::from_delivery_state(d.state),
                (None, d.evidence, None),
                now,
                events,
            )?,
            wire::Up::Ack(a) => self.ingest_ack(tx, scope, &gateway, a, now, events)?,
            wire::Up::Heartbeat(h) => {
                let mut g = gateway;
                g.versions = h.versions;
                g.online = true;
                g.last_seen = Some(now);
                tx.update_gateway(scope, &g)?;
                IngestOutcome::Applied
            }
            wire::Up::Ports(p) => {
                let mut g = gateway;
                g.last_seen = Some(now);
                g.ports = p
                    .ports
                    .into_iter()
                    .map(|p| GatewayPort {
                        port: p.port,
                        sim_number: p.sim_number,
                        operator: p.operator,
                        signal: p.signal,
                        registered: p.registered,
                    })
                    .collect();
                tx.update_gateway(scope, &g)?;
                IngestOutcome::Applied
            }
        })
    }

    fn ingest_inbound(
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

    #[allow(clippy::too_many_arguments)]
    fn update_outbound(
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
            && let Some(outcome) = crate::campaigns::runner::recipient_status(
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

    fn ingest_ack(
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
                crate::campaigns::runner::batch_refused(tx, scope, &entry.payload, &why, now)?;
            }
            None => {}
        }
        Ok(IngestOutcome::Applied)
    }
}

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
