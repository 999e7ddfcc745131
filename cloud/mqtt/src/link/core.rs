//! The engine shared by the gateway and hub links.
//!
//! Two tasks per link:
//! - the **event-loop task** owns rumqttc's `EventLoop`, forwards what matters as [`Ev`] and,
//!   after a connection error, waits for the control task's go-ahead before reconnecting. Before
//!   reconnecting it drops everything rumqttc kept for retransmission (`clean()` then
//!   `pending.clear()`): the queue (outbox) is the source of truth and is republished in order.
//! - the **control task** owns the bookkeeping. It publishes queue items through the client,
//!   remembering for each QoS 1 publish request a [`Tag`] in FIFO order; rumqttc handles requests
//!   in channel order, so the n-th `Outgoing::Publish(pkid)` of a connection is the n-th tag,
//!   which maps packet ids to queue ids. A queue item is *confirmed* according to the link's
//!   [`Confirm`] rule — by its PUBACK (hub → gateway commands) or by the far end's receipt
//!   naming its message id (gateway → hub events) — and acked to the queue only in queue order
//!   (the longest confirmed prefix). At most `window` items are published and unconfirmed.
//!   Incoming messages go to a worker task (so slow handlers never stall keep-alives); what is
//!   owed for them — PUBACKs in arrival order, replies kept until their receipts — is decided
//!   by the I/O-free [`Inbound`] state machine (`incoming.rs`): **a PUBACK never waits for
//!   anything the link publishes**, only for the messages that arrived before it.
//!
//! Every connection is an *epoch*: bookkeeping from an older epoch is discarded, never applied
//! to the new one; the unconfirmed window is published again from the oldest queue item. With
//! receipts, a window that sees no receipt for the receipt timeout is published again too
//! (the timeout doubles on each such round, up to its maximum, and resets on a receipt). A
//! receipt is valid whenever it arrives — it names a message the far end has stored — so it
//! confirms the item in the current window whatever connection carried the original.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, Incoming, Outgoing as MqttOutgoing, Publish, QoS};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::incoming::{Action, Inbound, Ticket};
use crate::options::{Backoff, LinkOptions};

/// Connection state of a link, as seen by its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStatus {
    /// Never connected yet, or reconnecting.
    Connecting,
    /// Connected and every subscription confirmed; the number counts connections since start
    /// (1 = first).
    Connected(u64),
    /// Last attempt failed; the text says why (e.g. a refused login).
    Disconnected(String),
    /// Stopped after cancellation.
    Stopped,
}

/// A failure of the queue (outbox / down source) the link publishes from.
#[derive(Debug, Clone, thiserror::Error)]
#[error("queue: {0}")]
pub struct QueueError(pub String);

/// One message to publish.
#[derive(Debug, Clone)]
pub(crate) struct QueueItem {
    pub seq: u64,
    /// The message id a receipt names.
    pub key: Uuid,
    pub topic: String,
    pub payload: Vec<u8>,
}

/// The internal shape of an outbox.
pub(crate) trait Queue: Send + Sync + 'static {
    fn peek(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<QueueItem>, QueueError>> + Send;
    fn ack(&self, seq: u64) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// What to do with an incoming message once handled.
#[derive(Debug)]
pub(crate) enum Disposition {
    /// PUBACK it now.
    Ack,
    /// PUBACK the incoming message (in arrival order) and publish this reply, keeping it until
    /// the far end's receipt names `key` (published again after every reconnection and on a
    /// receipt timeout). The reply is tied to its message by that receipt, never by delaying
    /// the PUBACK (which would send PUBACKs out of arrival order, MQTT 3.1.1 §4.6).
    Reply {
        key: Uuid,
        topic: String,
        payload: Vec<u8>,
    },
    /// Request this publish (not kept), then PUBACK the incoming message in arrival order. For
    /// end-to-end receipts: a receipt lost on the way is made up
    /// for by the sender publishing again, so holding the incoming message hostage to it buys
    /// nothing — and would make the broker's deliveries to this client wait on its deliveries
    /// to the other side. (Only the hub's side answers this way.)
    #[cfg_attr(not(feature = "hub"), allow(dead_code))]
    Notify { topic: String, payload: Vec<u8> },
    /// Do not PUBACK (the broker redelivers after reconnecting; nothing after it on this
    /// connection is PUBACKed either).
    Leave,
    /// A receipt: the far end stored (or refused for good) the queue item with message id
    /// `key`. Confirm it, then PUBACK the receipt.
    Receipt { key: Uuid },
}

/// When a published queue item counts as delivered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Confirm {
    /// On the broker's PUBACK.
    OnPubAck,
    /// On a [`Disposition::Receipt`] naming its key; a window without receipts for
    /// `timeout.next_delay(1.0)` is published again.
    OnReceipt { timeout: Backoff },
}

pub(crate) trait Handler: Send + Sync + 'static {
    fn handle(&self, message: &Publish) -> impl Future<Output = Disposition> + Send;

    /// Handles messages that were waiting together, in arrival order: exactly one
    /// disposition per message, in the same order. By default one at a time; a handler whose
    /// storage commits cost a disk sync each stores a batch in one transaction.
    fn handle_batch(&self, messages: &[Publish]) -> impl Future<Output = Vec<Disposition>> + Send {
        async move {
            let mut out = Vec::with_capacity(messages.len());
            for m in messages {
                out.push(self.handle(m).await);
            }
            out
        }
    }
}

/// Most waiting messages handed to [`Handler::handle_batch`] at once.
const MAX_BATCH: usize = 128;

/// A retained message published on every connection (e.g. "online").
#[derive(Debug, Clone)]
pub(crate) struct Announcement {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

pub(crate) struct CoreParts<Q, H> {
    pub options: LinkOptions,
    pub confirm: Confirm,
    pub queue: Q,
    pub handler: H,
    pub subscriptions: Vec<String>,
    pub on_connect: Vec<Announcement>,
    pub on_shutdown: Option<Announcement>,
    pub last_will: Option<rumqttc::LastWill>,
    /// Non-durable publishes ("latest state"): sent while connected, dropped otherwise (the
    /// sender re-sends after a reconnect; it watches [`Running::status`]).
    pub live: Option<mpsc::Receiver<Announcement>>,
}

/// Handle to a running link.
pub(crate) struct Running {
    pub notify: Arc<Notify>,
    pub status: watch::Receiver<LinkStatus>,
    pub counters: Arc<LinkCounters>,
}

/// What a link counts while it runs (read by the owner's `/metrics`).
#[derive(Debug, Default)]
pub struct LinkCounters {
    drops: AtomicU64,
    refused_requests: AtomicU64,
}

impl LinkCounters {
    /// Established connections that were lost (not failed attempts, not a clean shutdown).
    pub fn connection_drops(&self) -> u64 {
        self.drops.load(Ordering::Relaxed)
    }

    /// Publish or PUBACK requests the MQTT client refused (its request queue was full).
    pub fn refused_requests(&self) -> u64 {
        self.refused_requests.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
enum Ev {
    Connected,
    Sent(u16),
    PubAck(u16),
    Message(Publish),
    SubAck(Vec<rumqttc::SubscribeReasonCode>),
    Down(String),
    Closed,
}

#[derive(Debug)]
enum Tag {
    Queue(u64),
    Plain,
    Farewell,
}

pub(crate) fn spawn<Q: Queue, H: Handler>(
    parts: CoreParts<Q, H>,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> Result<Running, crate::options::OptionsError> {
    let mut mqtt = parts.options.mqtt_options()?;
    if let Some(will) = parts.last_will.clone() {
        mqtt.set_last_will(will);
    }
    let cap = parts.options.window.saturating_mul(4).max(1024);
    let (client, eventloop) = AsyncClient::new(mqtt, cap);
    let (ev_tx, ev_rx) = mpsc::channel(1024);
    let (go_tx, go_rx) = mpsc::channel(1);
    let stop = CancellationToken::new();
    tracker.spawn(run_eventloop(eventloop, ev_tx, go_rx, stop.clone()));

    let handler = Arc::new(parts.handler);
    // Unbounded, yet bounded in fact: the broker sends at most its in-flight window of
    // messages without PUBACKs, and none is PUBACKed before it went through both channels.
    // (Bounded channels here could deadlock the control task and the worker on each other,
    // which would stall the event loop and its keep-alives.)
    let (job_tx, job_rx) = mpsc::unbounded_channel::<(Ticket, Publish)>();
    let (done_tx, done_rx) = mpsc::unbounded_channel::<(Ticket, Disposition)>();
    tracker.spawn(run_worker(handler, job_rx, done_tx));

    let notify = Arc::new(Notify::new());
    let (status_tx, status_rx) = watch::channel(LinkStatus::Connecting);
    let counters = Arc::new(LinkCounters::default());
    let control = Control {
        inbound: Inbound::default(),
        counters: counters.clone(),
        client,
        queue: parts.queue,
        window: parts.options.window.max(1),
        poll_interval: parts.options.poll_interval,
        backoff: parts.options.backoff,
        subscriptions: parts.subscriptions,
        on_connect: parts.on_connect,
        on_shutdown: parts.on_shutdown,
        confirm: parts.confirm,
        receipt_wait: None,
        epoch: 0,
        connected: false,
        fifo: VecDeque::new(),
        inflight: HashMap::new(),
        sent: VecDeque::new(),
        keys: HashMap::new(),
        acked: BTreeSet::new(),
        cursor: None,
        status: status_tx,
        connections: 0,
        draining: false,
        awaited_subacks: 0,
    };
    let live = parts.live;
    tracker.spawn(control.run(
        ev_rx,
        go_tx,
        job_tx,
        done_rx,
        notify.clone(),
        live,
        cancel,
        stop,
    ));
    Ok(Running {
        notify,
        status: status_rx,
        counters,
    })
}

async fn run_eventloop(
    mut eventloop: EventLoop,
    events: mpsc::Sender<Ev>,
    mut go: mpsc::Receiver<()>,
    stop: CancellationToken,
) {
    loop {
        let polled = tokio::select! {
            _ = stop.cancelled() => return,
            p = eventloop.poll() => p,
        };
        let ev = match polled {
            Ok(Event::Incoming(Incoming::ConnAck(_))) => Ev::Connected,
            Ok(Event::Incoming(Incoming::Publish(p))) => Ev::Message(p),
            Ok(Event::Incoming(Incoming::PubAck(a))) => Ev::PubAck(a.pkid),
            Ok(Event::Incoming(Incoming::SubAck(s))) => Ev::SubAck(s.return_codes),
            Ok(Event::Outgoing(MqttOutgoing::Publish(pkid))) => Ev::Sent(pkid),
            Ok(Event::Outgoing(MqttOutgoing::Disconnect)) => {
                let _ = events.send(Ev::Closed).await;
                return;
            }
            Ok(_) => continue,
            Err(e) => {
                if events.send(Ev::Down(e.to_string())).await.is_err() {
                    return;
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    g = go.recv() => if g.is_none() { return },
                }
                // Requests sent between the failure and the go-ahead belong to the dead
                // connection: drop them with what rumqttc kept for retransmission.
                eventloop.clean();
                eventloop.pending.clear();
                continue;
            }
        };
        if events.send(ev).await.is_err() {
            return;
        }
    }
}

async fn run_worker<H: Handler>(
    handler: Arc<H>,
    mut jobs: mpsc::UnboundedReceiver<(Ticket, Publish)>,
    done: mpsc::UnboundedSender<(Ticket, Disposition)>,
) {
    while let Some(first) = jobs.recv().await {
        let mut tickets = vec![first.0];
        let mut messages = vec![first.1];
        while messages.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok((t, m)) => {
                    tickets.push(t);
                    messages.push(m);
                }
                Err(_) => break,
            }
        }
        let mut dispositions = handler.handle_batch(&messages).await.into_iter();
        for ticket in tickets {
            // A handler that answered too few leaves the rest unacknowledged (redelivered
            // after the next connection) rather than acknowledging what it never handled.
            let d = dispositions.next().unwrap_or_else(|| {
                tracing::error!("handler gave too few dispositions; message left unacked");
                Disposition::Leave
            });
            if done.send((ticket, d)).is_err() {
                return;
            }
        }
    }
}

struct Control<Q> {
    client: AsyncClient,
    /// PUBACKs owed and replies waiting for receipts (pure).
    inbound: Inbound<Publish>,
    counters: Arc<LinkCounters>,
    queue: Q,
    window: usize,
    poll_interval: Option<Duration>,
    backoff: Backoff,
    subscriptions: Vec<String>,
    on_connect: Vec<Announcement>,
    on_shutdown: Option<Announcement>,
    confirm: Confirm,
    /// With receipts: when the current wait for a receipt ends (set while the window is
    /// non-empty; pushed back by every receipt).
    receipt_wait: Option<Instant>,
    epoch: u64,
    connected: bool,
    /// Tags of publish requests not yet seen as `Outgoing::Publish`, in request order.
    fifo: VecDeque<Tag>,
    /// Packet id → what it carries, until its PUBACK.
    inflight: HashMap<u16, Tag>,
    /// The window: queue ids published in this round and not yet acked to the queue, in order.
    sent: VecDeque<u64>,
    /// Message id → queue id, for the window's items (receipts name message ids).
    keys: HashMap<Uuid, u64>,
    /// Confirmed queue ids waiting for an earlier one.
    acked: BTreeSet<u64>,
    /// Last queue id published in this epoch.
    cursor: Option<u64>,
    status: watch::Sender<LinkStatus>,
    connections: u64,
    /// Shutting down: publish nothing new from the queue.
    draining: bool,
    /// SUBACKs still expected on this connection.
    awaited_subacks: usize,
}

impl<Q: Queue> Control<Q> {
    #[allow(clippy::too_many_arguments)]
    async fn run(
        mut self,
        mut events: mpsc::Receiver<Ev>,
        go: mpsc::Sender<()>,
        jobs: mpsc::UnboundedSender<(Ticket, Publish)>,
        mut done: mpsc::UnboundedReceiver<(Ticket, Disposition)>,
        notify: Arc<Notify>,
        mut live: Option<mpsc::Receiver<Announcement>>,
        cancel: CancellationToken,
        stop: CancellationToken,
    ) {
        let mut tick = self.poll_interval.map(|every| {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick
        });
        loop {
            let receipt_wait = self.receipt_wait;
            tokio::select! {
                _ = cancel.cancelled() => break,
                ev = events.recv() => {
                    let Some(ev) = ev else { break };
                    match ev {
                        Ev::Connected => self.on_connected().await,
                        Ev::Sent(pkid) => {
                            if let Some(tag) = self.fifo.pop_front() {
                                self.inflight.insert(pkid, tag);
                            }
                        }
                        Ev::PubAck(pkid) => self.on_puback(pkid).await,
                        Ev::SubAck(codes) => self.on_suback(&codes),
                        Ev::Message(p) => {
                            let ticket = self.inbound.arrive(p.clone());
                            if jobs.send((ticket, p)).is_err() {
                                break;
                            }
                        }
                        Ev::Down(why) => {
                            self.on_down(why);
                            let delay = self.backoff.next_delay(rand::random_range(0.5..=1.0));
                            tokio::select! {
                                _ = cancel.cancelled() => break,
                                _ = tokio::time::sleep(delay) => {}
                            }
                            let _ = self.status.send(LinkStatus::Connecting);
                            if go.send(()).await.is_err() {
                                break;
                            }
                        }
                        Ev::Closed => break,
                    }
                }
                d = done.recv() => {
                    let Some((ticket, disposition)) = d else { break };
                    let actions = self.inbound.handled(ticket, disposition);
                    self.execute(actions).await;
                }
                a = recv_live(&mut live) => match a {
                    Some(a) if self.connected && !self.draining => {
                        self.publish(a.topic, a.payload, a.retain, Tag::Plain);
                    }
                    Some(_) => {}
                    None => live = None,
                },
                _ = notify.notified() => self.refill().await,
                _ = tick_some(&mut tick), if tick.is_some() => self.refill().await,
                _ = sleep_until_some(receipt_wait), if receipt_wait.is_some() => {
                    self.on_receipt_timeout().await;
                }
            }
        }
        self.shutdown(&mut events).await;
        stop.cancel();
        let _ = self.status.send(LinkStatus::Stopped);
    }

    async fn on_connected(&mut self) {
        self.epoch += 1;
        self.connections += 1;
        self.connected = true;
        self.backoff.reset();
        self.reset_bookkeeping();
        self.awaited_subacks = self.subscriptions.len();
        if self.awaited_subacks == 0 {
            let _ = self.status.send(LinkStatus::Connected(self.connections));
        }
        // Re-subscribe on every connection: a broker that lost the session (or a first
        // connection) has no subscriptions; a resumed session ignores the duplicate.
        for filter in &self.subscriptions {
            if let Err(e) = self.client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                tracing::warn!(error = %e, %filter, "subscribe request failed");
            }
        }
        for a in self.on_connect.clone() {
            self.publish(a.topic, a.payload, a.retain, Tag::Plain);
        }
        let replies = self.inbound.connected();
        self.execute(replies).await;
        self.refill().await;
    }

    /// `Connected` is announced once every subscription is confirmed.
    fn on_suback(&mut self, codes: &[rumqttc::SubscribeReasonCode]) {
        if codes
            .iter()
            .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure))
        {
            tracing::error!("the broker refused a subscription: check this login's ACL");
        }
        if self.awaited_subacks > 0 {
            self.awaited_subacks -= 1;
            if self.awaited_subacks == 0 {
                let _ = self.status.send(LinkStatus::Connected(self.connections));
            }
        }
    }

    fn on_down(&mut self, why: String) {
        self.inbound.disconnected();
        if self.connected {
            self.counters.drops.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(reason = %why, "mqtt connection lost");
        } else {
            tracing::debug!(reason = %why, "mqtt connection attempt failed");
        }
        self.connected = false;
        self.epoch += 1;
        self.reset_bookkeeping();
        let _ = self.status.send(LinkStatus::Disconnected(why));
    }

    fn reset_bookkeeping(&mut self) {
        self.fifo.clear();
        self.inflight.clear();
        self.reset_window();
    }

    /// Forgets the window: the next refill publishes again from the oldest queue item.
    fn reset_window(&mut self) {
        self.sent.clear();
        self.keys.clear();
        self.acked.clear();
        self.cursor = None;
        self.receipt_wait = None;
    }

    /// The current receipt timeout (the backoff's delay without consuming a step).
    fn receipt_timeout(&self) -> Option<Duration> {
        match self.confirm {
            Confirm::OnPubAck => None,
            Confirm::OnReceipt { timeout } => {
                let mut peek = timeout;
                Some(peek.next_delay(1.0))
            }
        }
    }

    /// No receipt for a whole timeout: publish the unconfirmed window again, in order (the far
    /// end de-duplicates by message id), and wait longer next time.
    async fn on_receipt_timeout(&mut self) {
        self.receipt_wait = None;
        if self.inbound.pending_replies() > 0 && self.connected {
            tracing::warn!(
                replies = self.inbound.pending_replies(),
                "no receipt from the far end; publishing the unconfirmed replies again"
            );
            let again = self.inbound.republish();
            self.execute(again).await;
            self.arm_receipt_wait();
        }
        if self.sent.is_empty() {
            return;
        }
        if let Confirm::OnReceipt { timeout } = &mut self.confirm {
            let waited = timeout.next_delay(1.0);
            tracing::warn!(
                unconfirmed = self.sent.len(),
                ?waited,
                "no receipt from the hub; publishing the unconfirmed events again"
            );
        }
        // Packet ids already in flight keep their tags (their PUBACKs still arrive), but they
        // no longer count for the window.
        self.reset_window();
        self.refill().await;
    }

    fn publish(&mut self, topic: String, payload: Vec<u8>, retain: bool, tag: Tag) -> bool {
        match self
            .client
            .try_publish(topic, QoS::AtLeastOnce, retain, payload)
        {
            Ok(()) => {
                self.fifo.push_back(tag);
                true
            }
            Err(e) => {
                self.counters
                    .refused_requests
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "publish request refused");
                false
            }
        }
    }

    /// Starts waiting for a receipt unless a wait is already running.
    fn arm_receipt_wait(&mut self) {
        if self.receipt_wait.is_none() {
            self.receipt_wait = self.receipt_timeout().map(|t| Instant::now() + t);
        }
    }

    /// Carries out what [`Inbound`] decided, in order.
    async fn execute(&mut self, actions: Vec<Action<Publish>>) {
        for action in actions {
            match action {
                Action::PubAck(message) => {
                    if let Err(e) = self.client.try_ack(&message) {
                        // The broker gets no PUBACK for it (nor, in order, for anything after
                        // it) and redelivers after the next connection.
                        self.counters
                            .refused_requests
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(error = %e, "puback request refused");
                    }
                }
                Action::Publish { topic, payload } => {
                    if self.connected && self.publish(topic, payload, false, Tag::Plain) {
                        self.arm_receipt_wait();
                    }
                }
                Action::Confirm(key) => self.on_receipt(key).await,
            }
        }
    }

    async fn refill(&mut self) {
        while self.connected && !self.draining && self.sent.len() < self.window {
            let want = self.window - self.sent.len();
            let batch = match self.queue.peek(self.cursor, want).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the outbox");
                    return;
                }
            };
            if batch.is_empty() {
                return;
            }
            for item in batch {
                if self.cursor.is_some_and(|c| item.seq <= c) {
                    tracing::warn!(
                        seq = item.seq,
                        "outbox returned an id out of order; skipped"
                    );
                    continue;
                }
                if !self.publish(item.topic, item.payload, false, Tag::Queue(item.seq)) {
                    return;
                }
                if self.sent.is_empty() && self.receipt_wait.is_none() {
                    self.receipt_wait = self.receipt_timeout().map(|t| Instant::now() + t);
                }
                self.sent.push_back(item.seq);
                if matches!(self.confirm, Confirm::OnReceipt { .. }) {
                    self.keys.insert(item.key, item.seq);
                }
                self.cursor = Some(item.seq);
            }
        }
    }

    /// Queue item `seq` of the window is delivered: ack the longest confirmed prefix to the
    /// queue and publish more.
    async fn confirm(&mut self, seq: u64) {
        if !self.sent.contains(&seq) {
            return;
        }
        self.acked.insert(seq);
        let mut prefix = Vec::new();
        while let Some(&front) = self.sent.front() {
            if !self.acked.remove(&front) {
                break;
            }
            self.sent.pop_front();
            prefix.push(front);
        }
        // With receipts the queue is the gateway's outbox, where acking `n` removes every
        // event up to `n`: one write for the whole confirmed prefix. The hub's command queue
        // is told of each command.
        let acks = match (self.confirm, prefix.last()) {
            (Confirm::OnReceipt { .. }, Some(&last)) => vec![last],
            _ => prefix,
        };
        for front in acks {
            if let Err(e) = self.queue.ack(front).await {
                // It stays in the queue and goes out again after the next reconnect.
                tracing::warn!(error = %e, seq = front, "cannot ack the outbox");
            }
        }
        self.refill().await;
    }

    async fn on_receipt(&mut self, key: Uuid) {
        let Some(seq) = self.keys.remove(&key) else {
            // Not in the window: already confirmed, or a receipt of a reply (settled by
            // [`Inbound`]), or of an item not yet published again this round.
            if self.sent.is_empty() && self.inbound.pending_replies() == 0 {
                self.receipt_wait = None;
            }
            return;
        };
        if let Confirm::OnReceipt { timeout } = &mut self.confirm {
            timeout.reset();
        }
        self.receipt_wait = self.receipt_timeout().map(|t| Instant::now() + t);
        self.confirm(seq).await;
        if self.sent.is_empty() && self.inbound.pending_replies() == 0 {
            self.receipt_wait = None;
        }
    }

    async fn on_puback(&mut self, pkid: u16) {
        match self.inflight.remove(&pkid) {
            Some(Tag::Queue(seq)) => {
                if self.confirm == Confirm::OnPubAck {
                    self.confirm(seq).await;
                }
            }
            Some(Tag::Plain) | Some(Tag::Farewell) | None => {}
        }
    }

    async fn shutdown(&mut self, events: &mut mpsc::Receiver<Ev>) {
        if !self.connected {
            return;
        }
        self.draining = true;
        let farewell = self.on_shutdown.clone();
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            if let Some(a) = farewell
                && self.publish(a.topic, a.payload, a.retain, Tag::Farewell)
            {
                while let Some(ev) = events.recv().await {
                    match ev {
                        Ev::Sent(pkid) => {
                            if let Some(tag) = self.fifo.pop_front() {
                                self.inflight.insert(pkid, tag);
                            }
                        }
                        Ev::PubAck(pkid) => {
                            if matches!(self.inflight.get(&pkid), Some(Tag::Farewell)) {
                                break;
                            }
                            self.on_puback(pkid).await;
                        }
                        Ev::Down(_) | Ev::Closed => return,
                        Ev::Connected | Ev::Message(_) | Ev::SubAck(_) => {}
                    }
                }
            }
            let _ = self.client.try_disconnect();
            while let Some(ev) = events.recv().await {
                if matches!(ev, Ev::Closed | Ev::Down(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// Sleeps until `at` (never returns when `None`; the caller guards the branch).
/// The next live publish; pending forever without a source.
async fn recv_live(live: &mut Option<mpsc::Receiver<Announcement>>) -> Option<Announcement> {
    match live {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn tick_some(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(tick) => {
            tick.tick().await;
        }
        None => std::future::pending().await,
    }
}

pub(crate) async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
