//! [`GatewayIngest`]: the gateway side of the hub, a handle separate from the tenant-facing
//! [`Hub`](crate::Hub). The MQTT link passes every received message to
//! [`GatewayIngest::receive`] (or batches with [`GatewayIngest::ingest_batch`]), publishes the
//! `down/ack` that returns, and publishes [`GatewayIngest::pending_commands`] whenever
//! [`GatewayIngest::subscribe_outbox`] names a gateway.
//!
//! Every read and write is in the gateway's own scope ([`authz::gateway`]): its gateway record,
//! its channels, the messages on them, its commands. An inbound message is routed in the scope
//! of the tenant holding the channel ([`authz::channel_holder`]), like any tenant write.
//!
//! By domain: [`inbound`] (an SMS received: routing, STOP/START, the conversation),
//! [`receipts`] (send status, delivery reports and command acks of what the hub sent) and
//! [`presence`] (credentials, presence, heartbeats, ports, the outbox).

mod inbound;
mod presence;
mod receipts;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::authz::{self, Scope};
use crate::hub::error::invalid;
use crate::hub::{HubError, HubEvent, Inner};
use crate::model::*;
use crate::routing;
use crate::store::WriteTx;

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
            wire::Up::Heartbeat(h) => Self::heartbeat(tx, scope, gateway, h, now, events)?,
            wire::Up::Ports(p) => Self::ports(tx, scope, gateway, p, now, events)?,
        })
    }
}
