//! From the bus to the queue. [`observe`] runs inside the hub's `publish` (after the change
//! committed) and only hands the relevant events to an unbounded channel: it never touches the
//! store, never blocks, costs nothing until the worker runs, and skips (without copying) the
//! events of tenants known to have no enabled endpoint. The enqueuer drains the
//! channel in batches and writes each batch's deliveries in one transaction of its own, for
//! the tenants that have an enabled endpoint (an in-memory set, reloaded after any endpoint
//! change): a tenant without webhooks costs no write at all.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::model::{DeliveryState, Endpoint, EventType, WebhookEvent};
use crate::hub::{EventKind, Hub, HubError, HubEvent, ListKind};
use crate::model::{Interaction, InteractionStatus, Message, MessageDirection};
use crate::store::WriteTx;
use crate::store::webhooks::{ConversationMark, NewDelivery};

/// Most events written in one enqueue transaction.
const BATCH: usize = 256;
/// Most opt-out changes one `opt_out.changed` event lists (`more`: read the rest from
/// `GET /api/v1/opt-outs/changes`).
const MAX_OPT_OUT_CHANGES: usize = 100;
const MARK_MESSAGE: &str = "message_state";
pub(crate) const MARK_OPT_OUTS: &str = "opt_out_version";

/// Something that may become webhook events.
#[derive(Debug, Clone)]
pub(crate) enum Raised {
    Message {
        message: Box<Message>,
        created: bool,
    },
    Interaction(Box<Interaction>),
    OptOuts {
        tenant: Uuid,
    },
    CampaignFinished {
        tenant: Uuid,
        campaign_id: Uuid,
        name: String,
        state: String,
    },
}

impl Raised {
    fn tenant(&self) -> Uuid {
        match self {
            Raised::Message { message, .. } => message.org_id,
            Raised::Interaction(i) => i.org_id,
            Raised::OptOuts { tenant } | Raised::CampaignFinished { tenant, .. } => *tenant,
        }
    }
}

/// The hub's side of the feed (in [`crate::hub::Inner`]).
#[derive(Default)]
pub(crate) struct Feed {
    tx: Mutex<Option<mpsc::UnboundedSender<Raised>>>,
    /// Wakes the delivery worker (deliveries queued, an endpoint changed, an attempt ended).
    pub(crate) wake: Arc<Notify>,
    /// Tenants with an enabled endpoint; `None`: to be reloaded.
    tenants: Mutex<Option<HashSet<Uuid>>>,
    /// Bumped by every endpoint change: a reload that started before one is not kept.
    generation: std::sync::atomic::AtomicU64,
}

impl Feed {
    pub(crate) fn raise(&self, r: Raised) {
        if let Some(tx) = &*self.tx.lock().unwrap_or_else(|p| p.into_inner()) {
            // A closed channel (worker stopped) drops it.
            let _ = tx.send(r);
        }
    }

    pub(crate) fn start(&self) -> mpsc::UnboundedReceiver<Raised> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.tx.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        rx
    }

    /// An endpoint was created, changed or deleted.
    pub(crate) fn endpoints_changed(&self) {
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *tenants = None;
        drop(tenants);
        self.wake.notify_one();
    }
}

/// The tenant an organisation path ends with (`/…/{id}/`).
fn tenant_of(path: &str) -> Option<Uuid> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// Hands the events webhooks may care about to the enqueuer (called by `publish`).
pub(crate) fn observe(feed: &Feed, events: &[HubEvent]) {
    if feed.tx.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
        return;
    }
    for e in events {
        // A tenant known to have no enabled endpoint: nothing to copy (unknown: the enqueuer
        // decides).
        let tenant = match &e.kind {
            EventKind::MessageCreated { message } | EventKind::MessageUpdated { message } => {
                Some(message.org_id)
            }
            EventKind::InteractionUpdated { interaction } => Some(interaction.org_id),
            _ => tenant_of(&e.org_path),
        };
        if let (Some(t), Some(known)) = (
            tenant,
            &*feed.tenants.lock().unwrap_or_else(|p| p.into_inner()),
        ) && !known.contains(&t)
        {
            continue;
        }
        let r = match &e.kind {
            EventKind::MessageCreated { message }
                if message.direction == MessageDirection::Inbound =>
            {
                Raised::Message {
                    message: Box::new(message.clone()),
                    created: true,
                }
            }
            EventKind::MessageUpdated { message } => Raised::Message {
                message: Box::new(message.clone()),
                created: false,
            },
            EventKind::InteractionUpdated { interaction } => {
                Raised::Interaction(Box::new(interaction.clone()))
            }
            EventKind::ListChanged {
                list: ListKind::OptOuts,
            } => match tenant_of(&e.org_path) {
                Some(tenant) => Raised::OptOuts { tenant },
                None => continue,
            },
            _ => continue,
        };
        feed.raise(r);
    }
}

/// The events one raised change makes, with the conversation each belongs to.
fn events_of(
    tx: &mut dyn WriteTx,
    r: Raised,
) -> Result<Vec<(EventType, Option<Uuid>, serde_json::Value)>, HubError> {
    let scope = crate::authz::authenticating();
    Ok(match r {
        Raised::Message { message, created } => {
            // A message's state as last told: an update leaving it alone is no status change.
            let key = message.id.to_string();
            let state = serde_json::to_value(message.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let before = tx.webhooks().mark(&scope, MARK_MESSAGE, &key)?;
            if before.as_deref() == Some(state.as_str()) {
                return Ok(Vec::new());
            }
            tx.webhooks_mut()
                .set_mark(&scope, MARK_MESSAGE, &key, &state)?;
            let t = if created {
                EventType::MessageReceived
            } else {
                EventType::MessageStatusChanged
            };
            let conv = Some(message.interaction_id);
            vec![(t, conv, serde_json::json!({ "message": message }))]
        }
        Raised::Interaction(i) => {
            let before = tx.webhooks().conversation_mark(&scope, i.id)?;
            let now = ConversationMark {
                assignee_id: i.assignee_id,
                closed: i.status == InteractionStatus::Closed,
            };
            let mut out = Vec::new();
            let prev_assignee = before.and_then(|b| b.assignee_id);
            let data = serde_json::json!({ "interaction": i });
            if now.assignee_id.is_some() && now.assignee_id != prev_assignee {
                out.push((EventType::ConversationAssigned, Some(i.id), data.clone()));
            }
            if now.closed && !before.is_some_and(|b| b.closed) {
                out.push((EventType::ConversationClosed, Some(i.id), data));
            }
            if before != Some(now) {
                tx.webhooks_mut().set_conversation_mark(&scope, i.id, now)?;
            }
            out
        }
        Raised::OptOuts { tenant } => {
            // The changes since the version last told (marked when the tenant's first endpoint
            // was made; without a mark, the latest one alone).
            let key = tenant.to_string();
            let latest = tx.opt_out_version(&scope, tenant)?;
            let told: i64 = tx
                .webhooks()
                .mark(&scope, MARK_OPT_OUTS, &key)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(latest - 1);
            if latest <= told {
                return Ok(Vec::new());
            }
            let changes = tx.opt_out_changes(&scope, tenant, told, MAX_OPT_OUT_CHANGES + 1)?;
            let more = changes.len() > MAX_OPT_OUT_CHANGES;
            let changes: Vec<_> = changes
                .into_iter()
                .take(MAX_OPT_OUT_CHANGES)
                .map(|c| {
                    serde_json::json!({
                        "version": c.version, "number": c.number, "added": c.added, "at": c.at,
                    })
                })
                .collect();
            tx.webhooks_mut()
                .set_mark(&scope, MARK_OPT_OUTS, &key, &latest.to_string())?;
            vec![(
                EventType::OptOutChanged,
                None,
                serde_json::json!({ "version": latest, "changes": changes, "more": more }),
            )]
        }
        Raised::CampaignFinished {
            campaign_id,
            name,
            state,
            ..
        } => vec![(
            EventType::CampaignFinished,
            None,
            serde_json::json!({ "campaign_id": campaign_id, "name": name, "state": state }),
        )],
    })
}

impl Hub {
    /// Tenants with an enabled endpoint (cached until an endpoint changes).
    fn webhook_tenants(&self) -> Result<HashSet<Uuid>, HubError> {
        let feed = &self.inner.webhooks;
        if let Some(t) = &*feed.tenants.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(t.clone());
        }
        let generation = feed.generation.load(std::sync::atomic::Ordering::SeqCst);
        let set: HashSet<Uuid> = self
            .read()?
            .webhooks()
            .tenants_with_endpoints(&crate::authz::authenticating())?
            .into_iter()
            .collect();
        let mut cached = feed.tenants.lock().unwrap_or_else(|p| p.into_inner());
        // An endpoint changed while this read ran: use what was read now, keep nothing.
        if feed.generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
            *cached = Some(set.clone());
        }
        Ok(set)
    }

    /// Writes the deliveries of `batch` in one transaction; returns how many were queued.
    pub(crate) fn enqueue_webhooks(&self, mut batch: Vec<Raised>) -> Result<usize, HubError> {
        let tenants = self.webhook_tenants()?;
        batch.retain(|r| tenants.contains(&r.tenant()));
        if batch.is_empty() {
            return Ok(0);
        }
        let scope = crate::authz::authenticating();
        let now = self.now();
        let mut tx = self.write()?;
        let mut endpoints: HashMap<Uuid, Vec<Endpoint>> = HashMap::new();
        let mut queued = 0;
        for r in batch {
            let tenant = r.tenant();
            if let std::collections::hash_map::Entry::Vacant(slot) = endpoints.entry(tenant) {
                slot.insert(tx.webhooks().endpoints(&scope, Some(tenant))?);
            }
            for (t, conv, data) in events_of(&mut *tx, r)? {
                let targets: Vec<Uuid> = endpoints[&tenant]
                    .iter()
                    .filter(|e| e.wants(t))
                    .map(|e| e.id)
                    .collect();
                if targets.is_empty() {
                    continue;
                }
                let event = WebhookEvent {
                    id: Uuid::now_v7(),
                    event_type: t,
                    occurred_at: now,
                    tenant,
                    data,
                };
                let body = serde_json::to_string(&event)
                    .map_err(|e| HubError::Conflict(format!("webhook event: {e}")))?;
                for endpoint_id in targets {
                    tx.webhooks_mut().enqueue_delivery(
                        &scope,
                        &NewDelivery {
                            id: Uuid::now_v7(),
                            endpoint_id,
                            org_id: tenant,
                            event_id: event.id,
                            event_type: t,
                            interaction_id: conv,
                            order_key: match (conv, t) {
                                (Some(i), _) => Some(i.to_string()),
                                (None, EventType::OptOutChanged) => {
                                    Some(format!("opt_outs:{tenant}"))
                                }
                                (None, _) => None,
                            },
                            body: body.clone(),
                            created_at: now,
                        },
                        DeliveryState::Pending,
                    )?;
                    queued += 1;
                }
            }
        }
        tx.commit()?;
        Ok(queued)
    }

    /// Drains the feed until `shutdown`, queueing deliveries and waking the worker.
    pub(crate) async fn run_enqueuer(
        self,
        mut rx: mpsc::UnboundedReceiver<Raised>,
        shutdown: CancellationToken,
    ) {
        loop {
            let first = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = rx.recv() => match r { Some(r) => r, None => break },
            };
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            let hub = self.clone();
            match tokio::task::spawn_blocking(move || hub.enqueue_webhooks(batch)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(_)) => self.inner.webhooks.wake.notify_one(),
                Ok(Err(e)) => tracing::error!(error = %e, "webhooks: events could not be queued"),
                Err(e) => tracing::error!(error = %e, "webhooks: the enqueuer failed"),
            }
        }
    }

    /// A campaign completed (the runner calls this after its commit).
    pub(crate) fn webhook_campaign_finished(
        &self,
        tenant: Uuid,
        campaign_id: Uuid,
        name: &str,
        state: &str,
    ) {
        self.inner.webhooks.raise(Raised::CampaignFinished {
            tenant,
            campaign_id,
            name: name.to_owned(),
            state: state.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::world;
    use crate::hub::webhooks::NewEndpoint;
    use crate::model::MessageState;

    fn queued(w: &crate::hub::testkit::World, id: Uuid) -> usize {
        w.hub
            .webhook_deliveries(&w.admin, id, &crate::store::PageRequest::all())
            .unwrap()
            .items
            .len()
    }

    #[test]
    fn an_update_that_leaves_a_messages_state_alone_is_no_status_change() {
        let w = world();
        let (e, _) = w
            .hub
            .create_webhook(
                &w.admin,
                NewEndpoint {
                    org_id: None,
                    url: "https://crm.example/h".into(),
                    description: String::new(),
                    enabled: true,
                    events: vec![EventType::MessageStatusChanged],
                },
            )
            .unwrap();
        w.hub
            .gateway_ingest()
            .ingest(
                &w.gw,
                smsgate_wire::Up::Inbound(smsgate_wire::Inbound {
                    id: Uuid::now_v7(),
                    v: 1,
                    port: w.channel.port.clone(),
                    sim_number: None,
                    from: "+33611111111".into(),
                    text: "hello".into(),
                    received_at: w.hub.now_public(),
                }),
            )
            .unwrap();
        let i = w.hub.interactions(&w.admin, None).unwrap().remove(0);
        let mut m = w
            .hub
            .interaction_messages(&w.admin, i.id)
            .unwrap()
            .remove(0);
        let update = |m: &Message| Raised::Message {
            message: Box::new(m.clone()),
            created: false,
        };
        m.state = MessageState::Sent;
        assert_eq!(w.hub.enqueue_webhooks(vec![update(&m)]).unwrap(), 1);
        m.error = Some("a refused cancel, noted".into());
        assert_eq!(w.hub.enqueue_webhooks(vec![update(&m)]).unwrap(), 0);
        m.state = MessageState::Delivered;
        assert_eq!(
            w.hub
                .enqueue_webhooks(vec![update(&m), update(&m)])
                .unwrap(),
            1
        );
        assert_eq!(queued(&w, e.id), 2);
    }

    #[test]
    fn the_tenant_is_the_last_segment_of_its_path() {
        let t = Uuid::now_v7();
        let r = Uuid::now_v7();
        assert_eq!(tenant_of(&format!("/{r}/{t}/")), Some(t));
        assert_eq!(tenant_of("/"), None);
    }
}
