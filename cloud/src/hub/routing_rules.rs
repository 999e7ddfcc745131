//! Queue strategies and opening hours applied: a queue's routing settings (strategy, maximum
//! active per agent, opening hours with the out-of-hours reply), a channel's opening hours,
//! the assignment of an arriving conversation ([`after_inbound`], inside the ingest
//! transaction) and of conversations waiting in a queue when capacity frees up
//! ([`Hub::dispatch_tenant`], run by [`Hub::run_dispatcher`]). The decisions are
//! `floor::assign`'s; this module only gathers their inputs and writes their outcome.
//!
//! **An out-of-hours reply goes out at most once per conversation** (`auto_replies` is keyed
//! by the conversation and written in the same transaction as the reply).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::system_send::queue_system_message;
use super::{Hub, HubEvent, Inner, audit};
use crate::authz::{self, Action, Actor, Scope};
use crate::floor::assign::{self, AgentSlot, ChosenStatus, Strategy};
use crate::floor::hours::OpeningHours;
use crate::floor::records::QueueRouting;
use crate::model::*;
use crate::store::floor::SYSTEM_AUTO_REPLY;
use crate::store::{PageRequest, ReadTx, TextFilter, WriteTx};

fn online(inner: &Inner, user: Uuid) -> bool {
    inner
        .streams
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&user)
        .is_some_and(|n| *n > 0)
}

/// The strategy's view of a queue's agents (member order).
fn slots(
    inner: &Inner,
    tx: &mut dyn ReadTx,
    scope: &Scope,
    queue: &Queue,
) -> Result<Vec<AgentSlot>, HubError> {
    let statuses: HashMap<Uuid, ChosenStatus> = tx
        .floor()
        .agent_statuses(scope, queue.org_id)?
        .into_iter()
        .map(|s| (s.user_id, s.status))
        .collect();
    let active = tx.floor().active_counts(scope, queue.org_id)?;
    Ok(queue
        .members
        .iter()
        .filter(|m| m.role == QueueRole::Agent)
        .map(|m| AgentSlot {
            id: m.user_id,
            online: online(inner, m.user_id),
            status: statuses.get(&m.user_id).copied().unwrap_or_default(),
            active: active.get(&m.user_id).copied().unwrap_or(0),
            last_served: None,
        })
        .collect())
}

/// After an inbound message was stored in `interaction` (in the ingest transaction): assigns
/// it by its queue's strategy when nobody has it, and answers out of hours once. Returns the
/// events to publish and the gateway to wake (when a reply was queued).
pub(crate) fn after_inbound(
    inner: &Inner,
    tx: &mut dyn WriteTx,
    tenant: &Scope,
    org: &Org,
    channel: &Channel,
    interaction: &mut Interaction,
    now: DateTime<Utc>,
) -> Result<(Vec<HubEvent>, Option<String>), HubError> {
    let mut events = Vec::new();
    let mut gateway = None;
    let routing = match interaction.queue_id {
        Some(q) => tx.floor().queue_routing(tenant, q)?,
        None => None,
    };
    if let (Some(q), Some(r), None) = (interaction.queue_id, &routing, interaction.assignee_id)
        && r.strategy != Strategy::Manual
        && let Some(queue) = tx.queue(tenant, q)?
    {
        let agents = slots(inner, &mut *tx, tenant, &queue)?;
        let last = tx.floor().rr_last(tenant, q)?;
        if let Some(agent) = assign::choose(r.strategy, &agents, r.max_active, last) {
            interaction.assignee_id = Some(agent);
            interaction.updated_at = now;
            tx.update_interaction(tenant, interaction)?;
            tx.floor_mut().set_rr_last(tenant, q, agent)?;
        }
    }
    let hours = match tx.floor().channel_hours(tenant, channel.id)? {
        Some(h) => Some(h),
        None => routing.and_then(|r| r.hours),
    };
    if let Some(h) = hours
        && !h.is_open(now)
        && !tx.floor().auto_replied(tenant, interaction.id)?
    {
        let sent = queue_system_message(
            &mut *tx,
            tenant,
            org,
            channel,
            interaction,
            &h.reply,
            SYSTEM_AUTO_REPLY,
            now,
        )?;
        tx.floor_mut()
            .insert_auto_reply(tenant, org.id, interaction.id, sent.message.id, now)?;
        events.extend(sent.events);
        gateway = Some(sent.gateway);
    }
    Ok((events, gateway))
}

impl Hub {
    /// A queue's routing settings (defaults when never set: manual, no limit, always open).
    pub fn queue_routing(&self, actor: &Actor, queue_id: Uuid) -> Result<QueueRouting, HubError> {
        let scope = authz::scope(actor, Action::ViewQueue)?;
        let mut tx = self.read()?;
        found(tx.queue(&scope, queue_id)?)?;
        Ok(tx
            .floor()
            .queue_routing(&scope, queue_id)?
            .unwrap_or_default())
    }

    /// Replaces a queue's routing settings; conversations waiting in it are handed out at once
    /// when the new strategy assigns.
    pub fn set_queue_routing(
        &self,
        actor: &Actor,
        queue_id: Uuid,
        r: QueueRouting,
    ) -> Result<QueueRouting, HubError> {
        if let Some(h) = &r.hours {
            h.validate("hours")
                .map_err(|e| invalid(e.field, e.reason))?;
            super::validate::valid_text(&h.reply).map_err(|_| {
                invalid(
                    "hours.reply",
                    format!("at most {} characters", super::MAX_TEXT),
                )
            })?;
        }
        if r.max_active == Some(0) {
            return Err(invalid(
                "max_active",
                "must be at least 1 (or absent for no limit)",
            ));
        }
        let scope = authz::scope(actor, Action::ManageQueue)?;
        let mut tx = self.write()?;
        let queue = found(tx.queue(&scope, queue_id)?)?;
        tx.floor_mut()
            .put_queue_routing(&scope, queue.org_id, queue_id, &r)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(queue.org_id, "changed", "queue_routing")
                .id(queue_id)
                .detail(format!(
                    "{}: {:?}, max active {}, hours {}",
                    queue.name,
                    r.strategy,
                    r.max_active.map_or("none".into(), |m| m.to_string()),
                    if r.hours.is_some() { "set" } else { "none" }
                )),
            self.now(),
        )?;
        tx.commit()?;
        self.mark_dirty(queue.org_id);
        Ok(r)
    }

    /// A channel's opening hours (none: always open).
    pub fn channel_hours(
        &self,
        actor: &Actor,
        channel_id: Uuid,
    ) -> Result<Option<OpeningHours>, HubError> {
        let scope = authz::scope(actor, Action::ViewChannel)?;
        let mut tx = self.read()?;
        found(tx.channel(&scope, channel_id)?)?;
        Ok(tx.floor().channel_hours(&scope, channel_id)?)
    }

    /// Sets (or with `None` removes) a channel's opening hours; the channel must be a tenant's.
    pub fn set_channel_hours(
        &self,
        actor: &Actor,
        channel_id: Uuid,
        hours: Option<OpeningHours>,
    ) -> Result<Option<OpeningHours>, HubError> {
        if let Some(h) = &hours {
            h.validate("hours")
                .map_err(|e| invalid(e.field, e.reason))?;
        }
        let scope = authz::scope(actor, Action::ConfigureChannel)?;
        let mut tx = self.write()?;
        let channel = found(tx.channel(&scope, channel_id)?)?;
        let org = found(tx.org(&scope, channel.holder_id)?)?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid(
                "channel",
                "opening hours are set on a tenant's channel",
            ));
        }
        tx.floor_mut()
            .put_channel_hours(&scope, org.id, channel_id, hours.as_ref())?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(org.id, "changed", "channel_hours")
                .id(channel_id)
                .detail(format!(
                    "{}: {}",
                    channel.sim_number,
                    if hours.is_some() { "set" } else { "removed" }
                )),
            self.now(),
        )?;
        tx.commit()?;
        Ok(hours)
    }

    /// Hands the waiting conversations of a tenant's assigning queues out (oldest first, by
    /// each queue's strategy and limit). Returns how many were assigned.
    pub fn dispatch_tenant(&self, tenant_id: Uuid) -> Result<usize, HubError> {
        let mut tx = self.write()?;
        let Some(org) = tx.org(&authz::authenticating(), tenant_id)? else {
            return Ok(0);
        };
        let scope = authz::tenant_system(&org);
        let queues = tx
            .queues(
                &scope,
                &TextFilter {
                    org: Some(org.id),
                    q: None,
                },
                &PageRequest::all(),
            )?
            .items;
        let now = self.now();
        let mut events = Vec::new();
        for queue in queues {
            let Some(r) = tx.floor().queue_routing(&scope, queue.id)? else {
                continue;
            };
            if r.strategy == Strategy::Manual {
                continue;
            }
            let waiting = tx.floor().waiting_in_queue(&scope, queue.id)?;
            if waiting.is_empty() {
                continue;
            }
            let mut agents = slots(&self.inner, &mut *tx, &scope, &queue)?;
            let last = tx.floor().rr_last(&scope, queue.id)?;
            let ids: Vec<Uuid> = waiting.iter().map(|i| i.id).collect();
            let (given, last) = assign::dispatch(r.strategy, &mut agents, r.max_active, last, &ids);
            for (conversation, agent) in given {
                if let Some(mut i) = waiting.iter().find(|i| i.id == conversation).cloned() {
                    i.assignee_id = Some(agent);
                    i.updated_at = now;
                    tx.update_interaction(&scope, &i)?;
                    events.push(Hub::interaction_event(&org, &i));
                }
            }
            if let Some(l) = last {
                tx.floor_mut().set_rr_last(&scope, queue.id, l)?;
            }
        }
        tx.commit()?;
        let n = events.len();
        self.publish(events);
        Ok(n)
    }

    /// Runs until `shutdown`: whenever the floor gains capacity (see `hub::floor`), hands out
    /// the waiting conversations of the tenants concerned.
    pub async fn run_dispatcher(self, shutdown: CancellationToken) {
        let wake: Arc<tokio::sync::Notify> = self.inner.dispatch_wake.clone();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = wake.notified() => {}
            }
            let tenants: Vec<Uuid> = std::mem::take(
                &mut *self
                    .inner
                    .dirty_tenants
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()),
            )
            .into_iter()
            .collect();
            for t in tenants {
                let hub = self.clone();
                match tokio::task::spawn_blocking(move || hub.dispatch_tenant(t)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(tenant = %t, error = %e, "dispatching queued conversations failed")
                    }
                    Err(e) => tracing::warn!(error = %e, "dispatcher task failed"),
                }
            }
        }
    }
}
