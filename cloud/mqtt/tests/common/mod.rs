//! Shared test parts: in-memory outbox, recording sinks, broker and client helpers.
#![allow(dead_code)]
// Test support code: failing loudly is the point.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, Incoming, MqttOptions, QoS};
use smsgate_mqtt::{
    BrokerConfig, BrokerUrl, CommandSink, DownEvent, DownSource, EmbeddedBroker, HashCost,
    IngestError, LinkOptions, MemoryCredentials, Outbox, OutboxEvent, QueueError, UpSink,
};
use smsgate_wire::{Ack, AckOutcome, Down, GatewayId, Heartbeat, Send, State, Up};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const HUB_USER: &str = "hub";
pub const HUB_PASS: &str = "hub-secret";

pub fn gw(id: &str) -> GatewayId {
    GatewayId::new(id).unwrap()
}

pub fn pass_of(gateway: &str) -> String {
    format!("pw-{gateway}")
}

pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Credentials for gateways `a`, `b` (password `pw-{id}`) and the hub.
pub fn credentials(gateways: &[&str]) -> MemoryCredentials {
    let mut c = MemoryCredentials::new();
    for g in gateways {
        c.add_gateway(&gw(g), &pass_of(g), HashCost::TESTING)
            .unwrap();
    }
    c.add_hub(HUB_USER, HUB_PASS, HashCost::TESTING).unwrap();
    c
}

pub async fn embedded(gateways: &[&str], cancel: &CancellationToken) -> EmbeddedBroker {
    EmbeddedBroker::start(
        &BrokerConfig::new("127.0.0.1:0".parse().unwrap()),
        credentials(gateways),
        cancel.clone(),
    )
    .await
    .unwrap()
}

pub fn link_options(addr: SocketAddr, user: &str, pass: &str) -> LinkOptions {
    let mut o = LinkOptions::new(
        BrokerUrl {
            host: addr.ip().to_string(),
            port: addr.port(),
            tls: false,
        },
        user,
        user,
        pass,
    );
    o.backoff = smsgate_mqtt::Backoff::new(Duration::from_millis(50), Duration::from_millis(400));
    o.poll_interval = Some(Duration::from_millis(100));
    o
}

/// A raw rumqttc client, polled until its CONNACK (or refusal).
pub struct Raw {
    pub client: AsyncClient,
    pub eventloop: EventLoop,
    /// Messages that arrived while waiting for something else.
    pub inbox: std::collections::VecDeque<(String, Vec<u8>)>,
}

pub fn raw_options(addr: SocketAddr, client_id: &str, user: &str, pass: &str) -> MqttOptions {
    let mut o = MqttOptions::new(client_id, addr.ip().to_string(), addr.port());
    o.set_credentials(user, pass);
    o.set_keep_alive(Duration::from_secs(5));
    o
}

pub async fn raw_connect(options: MqttOptions) -> Result<Raw, ConnectionError> {
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    loop {
        match eventloop.poll().await? {
            Event::Incoming(Incoming::ConnAck(_)) => {
                return Ok(Raw {
                    client,
                    eventloop,
                    inbox: Default::default(),
                });
            }
            _ => continue,
        }
    }
}

impl Raw {
    /// Polls until `pred` accepts an incoming packet; returns it. Messages it passes over
    /// are kept in `inbox`. Errors end the wait.
    pub async fn until<T>(
        &mut self,
        mut pred: impl FnMut(&Incoming) -> Option<T>,
    ) -> Result<T, ConnectionError> {
        loop {
            if let Event::Incoming(i) = self.eventloop.poll().await? {
                if let Some(t) = pred(&i) {
                    return Ok(t);
                }
                if let Incoming::Publish(p) = i {
                    self.inbox.push_back((p.topic.clone(), p.payload.to_vec()));
                }
            }
        }
    }

    /// Publishes with QoS 1 and waits for the broker's PUBACK.
    pub async fn publish_acked(&mut self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, qos1(), false, payload.into())
            .await
            .unwrap();
        self.until(|i| matches!(i, Incoming::PubAck(_)).then_some(()))
            .await
            .unwrap();
    }

    /// The next message received (from `inbox` first).
    pub async fn next_message(&mut self) -> (String, Vec<u8>) {
        if let Some(m) = self.inbox.pop_front() {
            return m;
        }
        let wait = self.until(|i| match i {
            Incoming::Publish(p) => Some((p.topic.clone(), p.payload.to_vec())),
            _ => None,
        });
        // A guard against hanging forever, not a speed assertion.
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .expect("no message arrived")
            .unwrap()
    }
}

pub fn heartbeat(n: u64) -> Up {
    Up::Heartbeat(Heartbeat {
        id: Uuid::now_v7(),
        v: 1,
        versions: vec![1],
        uptime_s: n,
        software: None,
        at: Utc::now(),
    })
}

pub fn send_command(to: &str) -> Down {
    Down::Send(Send {
        id: Uuid::now_v7(),
        v: 1,
        message_id: Uuid::now_v7(),
        port: "usb0".into(),
        to: to.into(),
        text: "hello".into(),
        request_dlr: true,
        conversation: false,
    })
}

/// The gateway spool's outbox, in memory; records acks.
#[derive(Clone, Default)]
pub struct MemOutbox {
    pub inner: Arc<Mutex<OutboxState>>,
}

#[derive(Default)]
pub struct OutboxState {
    pub pending: BTreeMap<u64, Up>,
    pub next: u64,
    pub acked: Vec<u64>,
}

impl MemOutbox {
    pub fn push(&self, up: Up) -> u64 {
        let mut s = self.inner.lock().unwrap();
        s.next += 1;
        let id = s.next;
        s.pending.insert(id, up);
        id
    }
    pub fn pending(&self) -> usize {
        self.inner.lock().unwrap().pending.len()
    }
    /// Queues heartbeats `0..n` and returns their message ids in outbox order.
    pub fn push_heartbeats(&self, n: u64) -> Vec<Uuid> {
        for i in 0..n {
            self.push(heartbeat(i));
        }
        self.inner
            .lock()
            .unwrap()
            .pending
            .values()
            .map(Up::id)
            .collect()
    }
    pub fn acked(&self) -> Vec<u64> {
        self.inner.lock().unwrap().acked.clone()
    }
}

impl Outbox for MemOutbox {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<OutboxEvent>, QueueError> {
        let s = self.inner.lock().unwrap();
        let from = after.map_or(0, |a| a + 1);
        Ok(s.pending
            .range(from..)
            .take(limit)
            .map(|(id, up)| OutboxEvent {
                id: *id,
                message: up.clone(),
            })
            .collect())
    }
    /// Removes every event up to `id`, recording each.
    async fn ack(&self, id: u64) -> Result<(), QueueError> {
        let mut s = self.inner.lock().unwrap();
        let done: Vec<u64> = s.pending.range(..=id).map(|(k, _)| *k).collect();
        for k in done {
            s.pending.remove(&k);
            s.acked.push(k);
        }
        Ok(())
    }
}

/// A command sink that de-duplicates by id, like the spool does, and records every call.
#[derive(Clone, Default)]
pub struct RecordingSink {
    pub calls: Arc<Mutex<Vec<Uuid>>>,
    pub commands: Arc<Mutex<Vec<Down>>>,
    pub applied: Arc<Mutex<HashSet<Uuid>>>,
    pub changed: Arc<Notify>,
}

impl CommandSink for RecordingSink {
    async fn apply(&self, command: Down) -> Ack {
        let id = command.id();
        self.calls.lock().unwrap().push(id);
        self.commands.lock().unwrap().push(command.clone());
        let fresh = self.applied.lock().unwrap().insert(id);
        self.changed.notify_waiters();
        Ack {
            id: Uuid::now_v7(),
            v: 1,
            ack_of: id,
            outcome: if fresh {
                AckOutcome::Applied
            } else {
                AckOutcome::Duplicate
            },
            detail: None,
        }
    }
}

/// A hub sink recording what it ingests; can be told to fail the first attempts.
#[derive(Clone, Default)]
pub struct RecordingUpSink {
    pub ingested: Arc<Mutex<Vec<(GatewayId, Up)>>>,
    pub presence: Arc<Mutex<Vec<(GatewayId, bool)>>>,
    pub fail_next: Arc<Mutex<u32>>,
    pub attempts: Arc<Mutex<u32>>,
}

impl RecordingUpSink {
    pub fn ids(&self) -> Vec<Uuid> {
        self.ingested
            .lock()
            .unwrap()
            .iter()
            .map(|(_, u)| u.id())
            .collect()
    }
}

impl UpSink for RecordingUpSink {
    async fn ingest(&self, gateway: &GatewayId, message: Up) -> Result<(), IngestError> {
        *self.attempts.lock().unwrap() += 1;
        {
            let mut f = self.fail_next.lock().unwrap();
            if *f > 0 {
                *f -= 1;
                return Err(IngestError::Unavailable("database locked".into()));
            }
        }
        self.ingested
            .lock()
            .unwrap()
            .push((gateway.clone(), message));
        Ok(())
    }
    async fn presence(&self, gateway: &GatewayId, state: State) -> Result<(), IngestError> {
        self.presence
            .lock()
            .unwrap()
            .push((gateway.clone(), state.online));
        Ok(())
    }
}

/// The hub's command queue, in memory.
#[derive(Clone, Default)]
pub struct MemDowns {
    pub inner: Arc<Mutex<DownsState>>,
}

/// Queued commands, last id, ids reported as published.
pub type DownsState = (BTreeMap<u64, DownEvent>, u64, Vec<u64>);

impl MemDowns {
    pub fn push(&self, gateway: GatewayId, command: Down) -> u64 {
        let mut s = self.inner.lock().unwrap();
        s.1 += 1;
        let id = s.1;
        s.0.insert(
            id,
            DownEvent {
                id,
                gateway,
                command,
            },
        );
        id
    }
    pub fn published(&self) -> Vec<u64> {
        self.inner.lock().unwrap().2.clone()
    }
}

impl DownSource for MemDowns {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<DownEvent>, QueueError> {
        let s = self.inner.lock().unwrap();
        let from = after.map_or(0, |a| a + 1);
        Ok(s.0
            .range(from..)
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect())
    }
    async fn published(&self, id: u64) -> Result<(), QueueError> {
        let mut s = self.inner.lock().unwrap();
        s.0.remove(&id);
        s.2.push(id);
        Ok(())
    }
}

/// Waits (polling every 20 ms, giving up after `secs`) until `cond` holds.
pub async fn eventually(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn qos1() -> QoS {
    QoS::AtLeastOnce
}
