//! The hub side of the link: subscribes to every gateway's `up/+` and `state`, hands each
//! message to an [`UpSink`], publishes commands from a [`DownSource`], and tracks which
//! gateways are online from their retained state.
//!
//! Receipts (contract version 2): once [`UpSink::ingest`] returned `Ok` (the message is stored
//! durably, or was already) the link publishes a `down/ack` `applied` naming the message id,
//! then PUBACKs the message (without waiting for the receipt's own PUBACK: a lost receipt is
//! made up for by the gateway publishing again); a `Rejected` message gets a `rejected` ack
//! the same way. The gateway removes the event from its outbox on the receipt,
//! so an event the broker accepted but never delivered (broker or hub stopped) is published
//! again rather than lost. A gateway whose retained `state` announces only version 1 gets no
//! receipt for stored messages (only refusals, as in version 1); one whose state is not known
//! yet gets receipts ([`smsgate_wire::wants_receipts`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::Publish;
use smsgate_wire::topic::TopicKind;
use smsgate_wire::{
    Ack, AckOutcome, Down, DownKind, GatewayId, SUPPORTED_VERSIONS, State, Topic, Up,
};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::core::{
    self, Confirm, CoreParts, Disposition, Handler, LinkCounters, LinkStatus, Queue, QueueError,
    QueueItem,
};
use crate::options::{Backoff, LinkOptions, OptionsError};

/// Why the hub could not take an up message.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    /// Temporary (storage down): the link retries with backoff and does not PUBACK meanwhile.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Permanent: the link PUBACKs it and tells the gateway with a `rejected` ack.
    #[error("rejected: {0}")]
    Rejected(String),
}

/// Where the hub stores what gateways send (de-duplicating by message id).
pub trait UpSink: Send + Sync + 'static {
    fn ingest(
        &self,
        gateway: &GatewayId,
        message: Up,
    ) -> impl Future<Output = Result<(), IngestError>> + Send;

    /// Ingests several up messages of one gateway that arrived together, in order, in one
    /// transaction where the store allows it: one result per message. `Err(Unavailable)`:
    /// nothing may be taken as stored (the link retries the whole batch; ingestion is
    /// idempotent by message id); `Err(Rejected)`: the batch as a whole was refused (the link
    /// then ingests its messages one by one to find which). By default one at a time.
    fn ingest_batch(
        &self,
        gateway: &GatewayId,
        messages: Vec<Up>,
    ) -> impl Future<Output = Result<Vec<Result<(), IngestError>>, IngestError>> + Send {
        async move {
            let mut out = Vec::with_capacity(messages.len());
            for m in messages {
                match self.ingest(gateway, m).await {
                    Err(IngestError::Unavailable(why)) => {
                        return Err(IngestError::Unavailable(why));
                    }
                    other => out.push(other),
                }
            }
            Ok(out)
        }
    }

    /// A gateway's retained presence changed.
    fn presence(
        &self,
        gateway: &GatewayId,
        state: State,
    ) -> impl Future<Output = Result<(), IngestError>> + Send;
}

/// One command waiting to be published.
#[derive(Debug, Clone, PartialEq)]
pub struct DownEvent {
    /// Monotonically increasing queue id.
    pub id: u64,
    pub gateway: GatewayId,
    pub command: Down,
}

/// The hub's queue of commands for gateways.
pub trait DownSource: Send + Sync + 'static {
    /// Up to `limit` unpublished commands with an id greater than `after`, oldest first.
    fn peek(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DownEvent>, QueueError>> + Send;

    /// The broker PUBACKed command `id` (called in increasing id order). Whether the gateway
    /// applied it arrives later as an `up/ack` through [`UpSink::ingest`].
    fn published(&self, id: u64) -> impl Future<Output = Result<(), QueueError>> + Send;
}

struct DownQueue<D>(D);

impl<D: DownSource> Queue for DownQueue<D> {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<QueueItem>, QueueError> {
        Ok(self
            .0
            .peek(after, limit)
            .await?
            .into_iter()
            .map(|e| QueueItem {
                seq: e.id,
                key: e.command.id(),
                topic: e.command.topic(&e.gateway).to_string(),
                payload: e.command.encode(),
            })
            .collect())
    }

    async fn ack(&self, seq: u64) -> Result<(), QueueError> {
        self.0.published(seq).await
    }
}

/// Online/offline of every gateway seen on the broker.
pub type Presence = BTreeMap<GatewayId, State>;

struct UpHandler<U> {
    sink: U,
    presence: watch::Sender<Presence>,
    cancel: CancellationToken,
}

fn our_version() -> u32 {
    SUPPORTED_VERSIONS.iter().copied().max().unwrap_or(1)
}

/// Publish `ack` on the gateway's `down/ack` (a receipt or a refusal), then PUBACK the up
/// message without waiting for the ack's own PUBACK: if the ack is lost, the gateway publishes
/// the message again (after reconnecting, or after its receipt timeout) and gets a new one.
fn down_ack(gateway: &GatewayId, ack: Ack) -> Disposition {
    Disposition::Notify {
        topic: Topic::down(gateway, DownKind::Ack).to_string(),
        payload: Down::Ack(ack).encode(),
    }
}

impl<U: UpSink> UpHandler<U> {
    /// Whether `gateway` waits for receipts, judged by the versions in its retained state.
    fn wants_receipts(&self, gateway: &GatewayId) -> bool {
        self.presence
            .borrow()
            .get(gateway)
            .is_none_or(|s| smsgate_wire::wants_receipts(&s.versions))
    }

    /// Retries `attempt` while it reports `Unavailable`; `None` when cancelled meanwhile.
    async fn with_retry<F, Fut>(&self, mut attempt: F) -> Option<Result<(), String>>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<(), IngestError>> + Send,
    {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        loop {
            match attempt().await {
                Ok(()) => return Some(Ok(())),
                Err(IngestError::Rejected(why)) => return Some(Err(why)),
                Err(IngestError::Unavailable(why)) => {
                    let delay = backoff.next_delay(rand::random_range(0.5..=1.0));
                    tracing::warn!(reason = %why, ?delay, "hub storage unavailable; retrying");
                    tokio::select! {
                        _ = self.cancel.cancelled() => return None,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
}

impl<U: UpSink> UpHandler<U> {
    /// The disposition of an up message `id` once the sink answered.
    fn after_ingest(
        &self,
        gateway: &GatewayId,
        id: Uuid,
        result: Result<(), String>,
    ) -> Disposition {
        match result {
            Ok(()) if self.wants_receipts(gateway) => down_ack(
                gateway,
                Ack::new(id, our_version(), AckOutcome::Applied, None),
            ),
            Ok(()) => Disposition::Ack,
            Err(why) => down_ack(
                gateway,
                Ack {
                    id: Uuid::now_v7(),
                    v: our_version(),
                    ack_of: id,
                    outcome: AckOutcome::Rejected,
                    detail: Some(why),
                },
            ),
        }
    }

    /// The longest prefix of `messages` that are well-formed up messages of one gateway.
    fn up_run(messages: &[Publish]) -> Option<(GatewayId, Vec<Up>)> {
        let mut gateway: Option<GatewayId> = None;
        let mut ups = Vec::new();
        for m in messages {
            let Ok(Topic {
                gateway: g,
                kind: TopicKind::Up(kind),
            }) = Topic::parse(&m.topic)
            else {
                break;
            };
            if gateway.as_ref().is_some_and(|first| *first != g) {
                break;
            }
            let Ok(up) = Up::decode(&kind, &m.payload) else {
                break;
            };
            gateway = Some(g);
            ups.push(up);
        }
        gateway.map(|g| (g, ups))
    }

    /// Stores a run of up messages of `gateway` with one [`UpSink::ingest_batch`], retrying
    /// while the store is unavailable; `None` when the batch as a whole was refused.
    async fn ingest_run(&self, gateway: &GatewayId, ups: Vec<Up>) -> Option<Vec<Disposition>> {
        let ids: Vec<Uuid> = ups.iter().map(Up::id).collect();
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        loop {
            match self.sink.ingest_batch(gateway, ups.clone()).await {
                Ok(results) if results.len() == ids.len() => {
                    return Some(
                        ids.iter()
                            .zip(results)
                            .map(|(id, r)| match r {
                                Ok(()) => self.after_ingest(gateway, *id, Ok(())),
                                Err(IngestError::Rejected(why)) => {
                                    self.after_ingest(gateway, *id, Err(why))
                                }
                                Err(IngestError::Unavailable(_)) => Disposition::Leave,
                            })
                            .collect(),
                    );
                }
                Ok(_) | Err(IngestError::Rejected(_)) => return None,
                Err(IngestError::Unavailable(why)) => {
                    let delay = backoff.next_delay(rand::random_range(0.5..=1.0));
                    tracing::warn!(reason = %why, ?delay, "hub storage unavailable; retrying");
                    tokio::select! {
                        _ = self.cancel.cancelled() => {
                            return Some(ids.iter().map(|_| Disposition::Leave).collect());
                        }
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
}

/// The messages of a batch split into lanes, one per gateway (by topic), each in arrival
/// order; a message whose topic names no gateway gets a lane of its own. Indexes into the
/// batch.
fn lanes<'a>(gateways: impl IntoIterator<Item = Option<&'a str>>) -> Vec<Vec<usize>> {
    let mut by: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
    for (i, g) in gateways.into_iter().enumerate() {
        match by.iter_mut().find(|(k, _)| g.is_some() && *k == g) {
            Some((_, lane)) => lane.push(i),
            None => by.push((g, vec![i])),
        }
    }
    by.into_iter().map(|(_, lane)| lane).collect()
}

/// The gateway a topic names (`smsgate/v1/gw/<gateway>/…`), without validating the rest.
fn topic_gateway(topic: &str) -> Option<&str> {
    topic
        .strip_prefix(smsgate_wire::topic::PREFIX)?
        .strip_prefix('/')?
        .split('/')
        .next()
        .filter(|g| !g.is_empty())
}

impl<U: UpSink> Handler for UpHandler<U> {
    /// The batch is split into one lane per gateway ([`lanes`]); lanes are handled
    /// concurrently, so their store writes share durable commits (the hub store's group
    /// commit), while each gateway's messages stay in their order.
    async fn handle_batch(&self, messages: &[Publish]) -> Vec<Disposition> {
        let lanes = lanes(messages.iter().map(|m| topic_gateway(&m.topic)));
        if lanes.len() == 1 {
            return self.handle_lane(messages).await;
        }
        let handled = futures::future::join_all(lanes.iter().map(|lane| async move {
            let own: Vec<Publish> = lane.iter().map(|&i| messages[i].clone()).collect();
            self.handle_lane(&own).await
        }))
        .await;
        let mut out: Vec<Option<Disposition>> = (0..messages.len()).map(|_| None).collect();
        for (lane, dispositions) in lanes.iter().zip(handled) {
            for (&i, d) in lane.iter().zip(dispositions) {
                out[i] = Some(d);
            }
        }
        // Dispositions in arrival order (so PUBACKs are too); one never given is left unacked.
        out.into_iter()
            .map(|d| d.unwrap_or(Disposition::Leave))
            .collect()
    }

    async fn handle(&self, message: &Publish) -> Disposition {
        self.handle_one(message).await
    }
}

impl<U: UpSink> UpHandler<U> {
    /// Runs of up messages of one gateway are stored with one [`UpSink::ingest_batch`] (one
    /// transaction, one disk sync); everything else one at a time. Dispositions stay in
    /// arrival order.
    async fn handle_lane(&self, messages: &[Publish]) -> Vec<Disposition> {
        let mut out = Vec::with_capacity(messages.len());
        let mut i = 0;
        while i < messages.len() {
            let rest = &messages[i..];
            if let Some((gateway, ups)) = Self::up_run(rest).filter(|(_, ups)| ups.len() > 1) {
                let n = ups.len();
                match self.ingest_run(&gateway, ups).await {
                    Some(dispositions) => out.extend(dispositions),
                    None => {
                        for m in &rest[..n] {
                            out.push(self.handle_one(m).await);
                        }
                    }
                }
                i += n;
            } else {
                out.push(self.handle_one(&rest[0]).await);
                i += 1;
            }
        }
        out
    }

    async fn handle_one(&self, message: &Publish) -> Disposition {
        let topic = match Topic::parse(&message.topic) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "message on an unexpected topic dropped");
                return Disposition::Ack;
            }
        };
        let gateway = topic.gateway.clone();
        match topic.kind {
            TopicKind::State => {
                if message.payload.is_empty() {
                    return Disposition::Ack;
                }
                let state = match State::decode(&message.payload) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, %gateway, "malformed state dropped");
                        return Disposition::Ack;
                    }
                };
                self.presence.send_modify(|p| {
                    p.insert(gateway.clone(), state.clone());
                });
                match self
                    .with_retry(|| self.sink.presence(&gateway, state.clone()))
                    .await
                {
                    None => Disposition::Leave,
                    Some(_) => Disposition::Ack,
                }
            }
            TopicKind::Up(kind) => match Up::decode(&kind, &message.payload) {
                Ok(up) => {
                    let id = up.id();
                    match self
                        .with_retry(|| self.sink.ingest(&gateway, up.clone()))
                        .await
                    {
                        None => Disposition::Leave,
                        Some(result) => self.after_ingest(&gateway, id, result),
                    }
                }
                Err(e) => match e.unsupported_ack(our_version()) {
                    Some(ack) => down_ack(&gateway, ack),
                    None => {
                        tracing::warn!(error = %e, %gateway, "malformed message dropped");
                        Disposition::Ack
                    }
                },
            },
            TopicKind::Down(_) => Disposition::Ack,
        }
    }
}

/// A running hub link.
pub struct HubLink {
    notify: Arc<Notify>,
    counters: Arc<LinkCounters>,
    status: watch::Receiver<LinkStatus>,
    presence: watch::Receiver<Presence>,
}

impl HubLink {
    /// Starts the link tasks on `tracker`; they stop when `cancel` fires.
    pub fn spawn<U: UpSink, D: DownSource>(
        options: LinkOptions,
        sink: U,
        downs: D,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) -> Result<Self, OptionsError> {
        let (presence_tx, presence_rx) = watch::channel(Presence::new());
        let parts = CoreParts {
            options,
            confirm: Confirm::OnPubAck,
            queue: DownQueue(downs),
            handler: UpHandler {
                sink,
                presence: presence_tx,
                cancel: cancel.clone(),
            },
            subscriptions: Topic::hub_filters().to_vec(),
            on_connect: Vec::new(),
            on_shutdown: None,
            last_will: None,
            live: None,
        };
        let running = core::spawn(parts, cancel, tracker)?;
        Ok(Self {
            notify: running.notify,
            counters: running.counters,
            status: running.status,
            presence: presence_rx,
        })
    }

    /// Tells the link that new commands are queued (it also polls on its own).
    pub fn notify_downs(&self) {
        self.notify.notify_one();
    }

    /// Connection status updates.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// Connection drops and refused requests so far.
    pub fn counters(&self) -> Arc<LinkCounters> {
        self.counters.clone()
    }

    /// The last retained state of every gateway.
    pub fn presence(&self) -> watch::Receiver<Presence> {
        self.presence.clone()
    }
}

#[cfg(test)]
mod lane_tests {
    use super::*;

    #[test]
    fn each_gateway_gets_one_lane_in_arrival_order() {
        let topics = [
            Some("a"),
            Some("b"),
            Some("a"),
            None,
            Some("b"),
            None,
            Some("c"),
        ];
        assert_eq!(
            lanes(topics),
            vec![vec![0, 2], vec![1, 4], vec![3], vec![5], vec![6]]
        );
    }

    #[test]
    fn one_gateway_is_one_lane() {
        assert_eq!(
            lanes([Some("a"), Some("a"), Some("a")]),
            vec![vec![0, 1, 2]]
        );
    }

    #[test]
    fn the_gateway_is_read_from_the_topic() {
        assert_eq!(topic_gateway("smsgate/v1/gw/gw-1/up/inbound"), Some("gw-1"));
        assert_eq!(topic_gateway("smsgate/v1/gw/gw-2/state"), Some("gw-2"));
        assert_eq!(topic_gateway("other/x"), None);
        assert_eq!(topic_gateway("smsgate/v1/gw/"), None);
    }
}
