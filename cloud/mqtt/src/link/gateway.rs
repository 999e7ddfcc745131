//! The gateway side of the link: publishes the spool's events outbox in order, applies the hub's
//! commands through a [`CommandSink`] and acknowledges them on `up/ack`.
//!
//! - The outbox is the source of truth: an event is acked to it only after the **hub's
//!   receipt** (a `down/ack` naming the event's message id, sent once the hub stored it — or
//!   refused it for good), in outbox order (the longest confirmed prefix). The broker's PUBACK
//!   does not remove anything: with an embedded broker, a PUBACKed event may still live only in
//!   the broker's memory. At most `LinkOptions::window` events are published and unconfirmed.
//!   After a reconnect or a restart, and after `LinkOptions::receipt_timeout` without a
//!   receipt, every unconfirmed event is published again from the oldest (at-least-once; the
//!   hub de-duplicates by message id, so its state is exactly-once). A hub that sends no
//!   receipts (contract version 1) therefore drains nothing: upgrade the hub first.
//! - A command is applied once per id while the link runs (a bounded memory of recent ids
//!   answers redeliveries with the ack given the first time, without calling the sink); the sink
//!   de-duplicates across restarts. The command is PUBACKed as soon as the sink applied it, in
//!   the order commands arrived (MQTT 3.1.1 §4.6), whatever their replies; its ack (`up/ack`)
//!   is kept until the hub's receipt names the ack's id, and published again after every
//!   reconnection and on the receipt timeout. A gateway that restarts before that receipt
//!   loses only the ack: the hub republishes every command it has no ack for when the
//!   gateway comes online, and the sink answers it `duplicate`.
//! - On connect the gateway publishes a retained `state` `online: true` with the contract
//!   versions it speaks; its last will (and a clean shutdown) publish `online: false`.
//! - The link runs as its own tasks: local sending never waits for it.
//! - Beside the outbox, a [`LiveState`] (optional, [`GatewayLink::spawn_live`]) feeds
//!   non-durable "latest wins" messages: the port inventory (`up/ports`) when it changes, at
//!   most once per `ports_interval`, and `up/heartbeat` every `heartbeat`; both are also sent
//!   right after every (re)connection. They are not outboxed nor receipted: one lost while the
//!   link is down is replaced by the next.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{LastWill, Publish, QoS};
use smsgate_wire::topic::TopicKind;
use smsgate_wire::{
    Ack, Down, GatewayId, Heartbeat, PortInfo, Ports, SUPPORTED_VERSIONS, State, Topic, Up, UpKind,
};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::core::{
    self, Announcement, Confirm, CoreParts, Disposition, Handler, LinkCounters, LinkStatus, Queue,
    QueueError, QueueItem,
};
use crate::options::{LinkOptions, OptionsError};

/// One pending event of the gateway's outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Monotonically increasing outbox id.
    pub id: u64,
    pub message: Up,
}

/// The gateway spool's events outbox, as the link needs it.
pub trait Outbox: Send + Sync + 'static {
    /// Up to `limit` pending events with an id greater than `after` (from the oldest pending
    /// one when `None`), in increasing id order.
    fn peek(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxEvent>, QueueError>> + Send;

    /// Removes every event up to and including `id`: the hub has receipted all of them (one
    /// call for a whole confirmed prefix). Called with increasing ids.
    fn ack(&self, id: u64) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// Where the hub's commands are applied (the gateway's spool).
pub trait CommandSink: Send + Sync + 'static {
    /// Applies `command` idempotently by `command.id()` and returns the ack to send back
    /// (`Duplicate` for an id already applied). Hub receipts ([`Down::Ack`]) are consumed by the
    /// link; only refusals (`rejected` / `unsupported`: the hub will never take that event,
    /// which leaves the outbox all the same) reach the sink, once per ack id, and the returned
    /// ack is not sent.
    fn apply(&self, command: Down) -> impl Future<Output = Ack> + Send;
}

/// Version this build writes.
fn our_version() -> u32 {
    SUPPORTED_VERSIONS.iter().copied().max().unwrap_or(1)
}

fn state(online: bool, software: &Option<String>) -> Vec<u8> {
    State {
        id: Uuid::now_v7(),
        v: our_version(),
        online,
        versions: SUPPORTED_VERSIONS.to_vec(),
        software: software.clone(),
    }
    .encode()
}

struct OutboxQueue<O> {
    gateway: GatewayId,
    outbox: O,
}

impl<O: Outbox> Queue for OutboxQueue<O> {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<QueueItem>, QueueError> {
        let events = self.outbox.peek(after, limit).await?;
        Ok(events
            .into_iter()
            .map(|e| QueueItem {
                seq: e.id,
                key: e.message.id(),
                topic: e.message.topic(&self.gateway).to_string(),
                payload: e.message.encode(),
            })
            .collect())
    }

    async fn ack(&self, seq: u64) -> Result<(), QueueError> {
        self.outbox.ack(seq).await
    }
}

/// Remembers the ack given to recent command ids.
struct Recent {
    capacity: usize,
    acks: HashMap<Uuid, Option<Ack>>,
    order: VecDeque<Uuid>,
}

impl Recent {
    fn get(&self, id: &Uuid) -> Option<Option<Ack>> {
        self.acks.get(id).cloned()
    }

    fn insert(&mut self, id: Uuid, ack: Option<Ack>) {
        if self.acks.insert(id, ack).is_none() {
            self.order.push_back(id);
            if self.order.len() > self.capacity
                && let Some(old) = self.order.pop_front()
            {
                self.acks.remove(&old);
            }
        }
    }
}

struct CommandHandler<S> {
    gateway: GatewayId,
    sink: S,
    recent: Mutex<Recent>,
}

impl<S: CommandSink> CommandHandler<S> {
    fn reply(&self, ack: Ack) -> Disposition {
        Disposition::Reply {
            key: ack.id,
            topic: Topic::up(&self.gateway, UpKind::Ack).to_string(),
            payload: Up::Ack(ack).encode(),
        }
    }

    fn remembered(&self, id: &Uuid) -> Option<Option<Ack>> {
        match self.recent.lock() {
            Ok(r) => r.get(id),
            Err(poisoned) => poisoned.into_inner().get(id),
        }
    }

    fn remember(&self, id: Uuid, ack: Option<Ack>) {
        match self.recent.lock() {
            Ok(mut r) => r.insert(id, ack),
            Err(poisoned) => poisoned.into_inner().insert(id, ack),
        }
    }
}

impl<S: CommandSink> Handler for CommandHandler<S> {
    async fn handle(&self, message: &Publish) -> Disposition {
        let kind = match Topic::parse(&message.topic) {
            Ok(Topic {
                gateway,
                kind: TopicKind::Down(kind),
            }) if gateway == self.gateway => kind,
            _ => {
                tracing::warn!(topic = %message.topic, "message on an unexpected topic dropped");
                return Disposition::Ack;
            }
        };
        match Down::decode(&kind, &message.payload) {
            Ok(Down::Ack(receipt)) => {
                let key = receipt.ack_of;
                if receipt.is_refusal() && self.remembered(&receipt.id).is_none() {
                    self.remember(receipt.id, None);
                    self.sink.apply(Down::Ack(receipt)).await;
                }
                Disposition::Receipt { key }
            }
            Ok(command) => {
                let id = command.id();
                if let Some(earlier) = self.remembered(&id) {
                    return earlier.map_or(Disposition::Ack, |ack| self.reply(ack));
                }
                let ack = self.sink.apply(command).await;
                self.remember(id, Some(ack.clone()));
                self.reply(ack)
            }
            Err(e) => match e.unsupported_ack(our_version()) {
                Some(ack) => self.reply(ack),
                None => {
                    tracing::warn!(error = %e, topic = %message.topic, "malformed command dropped");
                    Disposition::Ack
                }
            },
        }
    }
}

/// The gateway's "latest state", published beside the outbox (see the module docs).
#[derive(Debug)]
pub struct LiveState {
    /// The current port inventory.
    pub ports: watch::Receiver<Vec<PortInfo>>,
    /// Least time between two inventory publishes caused by changes (debounce).
    pub ports_interval: Duration,
    /// Time between heartbeats.
    pub heartbeat: Duration,
}

fn live_announcement(topic: &str, up: &Up) -> Announcement {
    Announcement {
        topic: topic.to_owned(),
        payload: up.encode(),
        retain: false,
    }
}

/// Feeds the link's live channel from `live` (the core drops what comes while disconnected).
async fn run_live(
    gateway: GatewayId,
    software: Option<String>,
    mut live: LiveState,
    mut status: watch::Receiver<LinkStatus>,
    out: mpsc::Sender<Announcement>,
    cancel: CancellationToken,
) {
    let started = Instant::now();
    let ports_topic = Topic::up(&gateway, UpKind::Ports).to_string();
    let heartbeat_topic = Topic::up(&gateway, UpKind::Heartbeat).to_string();
    let ports_msg = |ports: &mut watch::Receiver<Vec<PortInfo>>| {
        let up = Up::Ports(Ports {
            id: Uuid::now_v7(),
            v: our_version(),
            ports: ports.borrow_and_update().clone(),
        });
        live_announcement(&ports_topic, &up)
    };
    let heartbeat_msg = || {
        let up = Up::Heartbeat(Heartbeat {
            id: Uuid::now_v7(),
            v: our_version(),
            versions: SUPPORTED_VERSIONS.to_vec(),
            uptime_s: started.elapsed().as_secs(),
            software: software.clone(),
            at: chrono::Utc::now(),
        });
        live_announcement(&heartbeat_topic, &up)
    };
    let period = live.heartbeat.max(Duration::from_millis(1));
    let mut heartbeat = tokio::time::interval_at(started + period, period);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ports_open = true;
    let mut dirty = false;
    let mut last_ports: Option<Instant> = None;
    loop {
        let due = match (dirty, last_ports) {
            (false, _) => None,
            (true, None) => Some(Instant::now()),
            (true, Some(t)) => Some(t + live.ports_interval),
        };
        // Sending fails only when the link stopped; `try_send` drops under backlog (latest wins).
        let send = |a: Announcement| out.try_send(a).is_ok() || !out.is_closed();
        let keep_going = tokio::select! {
            _ = cancel.cancelled() => false,
            changed = status.changed() => {
                if changed.is_err() {
                    false
                } else if matches!(*status.borrow_and_update(), LinkStatus::Connected(_)) {
                    dirty = false;
                    last_ports = Some(Instant::now());
                    heartbeat.reset();
                    send(ports_msg(&mut live.ports)) && send(heartbeat_msg())
                } else {
                    true
                }
            }
            changed = live.ports.changed(), if ports_open => {
                match changed {
                    Ok(()) => dirty = true,
                    Err(_) => ports_open = false,
                }
                true
            }
            _ = core::sleep_until_some(due), if due.is_some() => {
                dirty = false;
                last_ports = Some(Instant::now());
                send(ports_msg(&mut live.ports))
            }
            _ = heartbeat.tick() => send(heartbeat_msg()),
        };
        if !keep_going {
            return;
        }
    }
}

/// A running gateway link.
pub struct GatewayLink {
    notify: Arc<Notify>,
    status: watch::Receiver<LinkStatus>,
    counters: Arc<LinkCounters>,
}

impl GatewayLink {
    /// Starts the link tasks on `tracker`; they stop when `cancel` fires (publishing a retained
    /// `online: false` first when connected). The MQTT client id is the gateway id.
    pub fn spawn<O: Outbox, S: CommandSink>(
        gateway: GatewayId,
        options: LinkOptions,
        software: Option<String>,
        outbox: O,
        sink: S,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) -> Result<Self, OptionsError> {
        Self::spawn_live(
            gateway, options, software, outbox, sink, None, cancel, tracker,
        )
    }

    /// [`GatewayLink::spawn`], also publishing `live` (port inventory and heartbeats) when
    /// given.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn_live<O: Outbox, S: CommandSink>(
        gateway: GatewayId,
        mut options: LinkOptions,
        software: Option<String>,
        outbox: O,
        sink: S,
        live: Option<LiveState>,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) -> Result<Self, OptionsError> {
        options.client_id = gateway.to_string();
        let state_topic = Topic::state(&gateway).to_string();
        let confirm = Confirm::OnReceipt {
            timeout: options.receipt_timeout,
        };
        let (live_tx, live_rx) = mpsc::channel(16);
        let live_software = software.clone();
        let parts = CoreParts {
            options,
            confirm,
            queue: OutboxQueue {
                gateway: gateway.clone(),
                outbox,
            },
            handler: CommandHandler {
                gateway: gateway.clone(),
                sink,
                recent: Mutex::new(Recent {
                    capacity: 4096,
                    acks: HashMap::new(),
                    order: VecDeque::new(),
                }),
            },
            subscriptions: vec![Topic::gateway_filter(&gateway)],
            on_connect: vec![Announcement {
                topic: state_topic.clone(),
                payload: state(true, &software),
                retain: true,
            }],
            on_shutdown: Some(Announcement {
                topic: state_topic.clone(),
                payload: state(false, &software),
                retain: true,
            }),
            last_will: Some(LastWill::new(
                state_topic,
                state(false, &software),
                QoS::AtLeastOnce,
                true,
            )),
            live: live.is_some().then_some(live_rx),
        };
        let running = core::spawn(parts, cancel.clone(), tracker)?;
        if let Some(live) = live {
            tracker.spawn(run_live(
                gateway,
                live_software,
                live,
                running.status.clone(),
                live_tx,
                cancel,
            ));
        }
        Ok(Self {
            notify: running.notify,
            status: running.status,
            counters: running.counters,
        })
    }

    /// Tells the link that the outbox has new events (it also polls on its own when
    /// `LinkOptions::poll_interval` is set).
    pub fn notify_outbox(&self) {
        self.notify.notify_one();
    }

    /// The notification [`GatewayLink::notify_outbox`] fires, for a task that forwards an
    /// outbox's own notifications to the link.
    pub fn waker(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    /// Connection status updates.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// Connection drops and refused requests so far.
    pub fn counters(&self) -> Arc<LinkCounters> {
        self.counters.clone()
    }
}
