//! End-to-end receipts on the gateway → hub direction: an event leaves the gateway's outbox only
//! once the hub has stored it, so the embedded broker dying together with the hub (events it
//! PUBACKed but never delivered) loses nothing; a hub that never sends receipts drains
//! nothing; a gateway that speaks only contract version 1 gets no receipts.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use smsgate_mqtt::{
    Backoff, BrokerConfig, EmbeddedBroker, GatewayLink, HubLink, LinkStatus, Outbox, OutboxEvent,
    QueueError,
};
use smsgate_wire::{AckOutcome, Down, DownKind, State, Topic, Up, UpKind};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

/// The in-memory outbox, watched: remembers the highest id handed to the link, and every ack
/// of an event the hub had not stored at that moment.
#[derive(Clone)]
struct WatchedOutbox {
    outbox: MemOutbox,
    stored: RecordingUpSink,
    highest_peeked: Arc<Mutex<u64>>,
    premature: Arc<Mutex<Vec<u64>>>,
}

impl WatchedOutbox {
    fn highest_peeked(&self) -> u64 {
        *self.highest_peeked.lock().unwrap()
    }
}

impl Outbox for WatchedOutbox {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<OutboxEvent>, QueueError> {
        let events = self.outbox.peek(after, limit).await?;
        if let Some(last) = events.last() {
            let mut h = self.highest_peeked.lock().unwrap();
            *h = (*h).max(last.id);
        }
        Ok(events)
    }

    async fn ack(&self, id: u64) -> Result<(), QueueError> {
        // Every event of the acked prefix must be stored at the hub already.
        let prefix: Vec<(u64, Uuid)> = self
            .outbox
            .inner
            .lock()
            .unwrap()
            .pending
            .range(..=id)
            .map(|(n, up)| (*n, up.id()))
            .collect();
        let stored = self.stored.ids();
        for (n, key) in prefix {
            if !stored.contains(&key) {
                self.premature.lock().unwrap().push(n);
            }
        }
        self.outbox.ack(id).await
    }
}

fn distinct_in_order(ids: Vec<Uuid>) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

#[tokio::test]
async fn a_hub_dying_with_its_embedded_broker_under_traffic_loses_nothing() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();

    // The hub's durable store outlives the hub process; the link and broker do not.
    let stored = RecordingUpSink::default();
    let hub_cancel = cancel.child_token();
    let hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        stored.clone(),
        MemDowns::default(),
        hub_cancel.clone(),
        &tracker,
    )
    .unwrap();
    hub.status()
        .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
        .await
        .unwrap();

    let outbox = WatchedOutbox {
        outbox: MemOutbox::default(),
        stored: stored.clone(),
        highest_peeked: Arc::default(),
        premature: Arc::default(),
    };
    // Enough that the hub cannot store them all (it stores in batches) before it dies.
    let expected = outbox.outbox.push_heartbeats(2000);
    let link = GatewayLink::spawn(
        gw("a"),
        link_options(addr, "a", &pass_of("a")),
        None,
        outbox.clone(),
        RecordingSink::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();

    eventually(30, "a first part stored", || stored.ids().len() >= 100).await;
    // The hub process dies: its link first...
    hub_cancel.cancel();
    hub.status()
        .wait_for(|s| *s == LinkStatus::Stopped)
        .await
        .unwrap();
    let stored_before = distinct_in_order(stored.ids()).len() as u64;
    // ...while the gateway goes on publishing: the broker PUBACKs and queues for the hub's
    // session events that exist nowhere else but in its memory and the gateway's outbox.
    eventually(30, "events the dead hub never got were published", || {
        outbox.highest_peeked() >= stored_before + 50
    })
    .await;
    assert!(
        outbox.outbox.pending() >= 50,
        "the events held only by the broker are still in the outbox"
    );
    // ...then the embedded broker goes with it (its memory is gone for good).
    drop(broker.stop_listener().await);

    // A new hub process: a fresh embedded broker on the same address and a new link.
    let broker = EmbeddedBroker::start(
        &BrokerConfig::new(addr),
        credentials(&["a"]),
        cancel.child_token(),
    )
    .await
    .unwrap();
    assert_eq!(broker.local_addr(), addr);
    let _hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        stored.clone(),
        MemDowns::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    link.status()
        .wait_for(|s| matches!(s, LinkStatus::Connected(n) if *n >= 2))
        .await
        .unwrap();

    eventually(60, "every event stored", || {
        let got: HashSet<_> = stored.ids().into_iter().collect();
        expected.iter().all(|id| got.contains(id))
    })
    .await;
    eventually(30, "outbox drained", || outbox.outbox.pending() == 0).await;

    let got: HashSet<Uuid> = stored.ids().into_iter().collect();
    assert_eq!(got, expected.iter().copied().collect::<HashSet<_>>());
    assert_eq!(
        distinct_in_order(stored.ids()),
        expected,
        "first arrivals are in outbox order"
    );
    assert_eq!(outbox.outbox.acked(), (1..=2000).collect::<Vec<u64>>());
    assert!(
        outbox.premature.lock().unwrap().is_empty(),
        "events acked before the hub stored them: {:?}",
        outbox.premature.lock().unwrap()
    );
    cancel.cancel();
    tracker.close();
}

#[tokio::test]
async fn against_a_hub_that_sends_no_receipts_the_gateway_keeps_and_republishes_every_event() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();

    // A version-1 hub: takes every message (the broker PUBACKs it), never sends a receipt.
    let mut hub = raw_connect(raw_options(addr, "old-hub", HUB_USER, HUB_PASS))
        .await
        .unwrap();
    hub.client
        .subscribe(Topic::hub_filters()[0].clone(), qos1())
        .await
        .unwrap();
    hub.until(|i| matches!(i, rumqttc::Incoming::SubAck(_)).then_some(()))
        .await
        .unwrap();

    let outbox = MemOutbox::default();
    let expected = outbox.push_heartbeats(5);
    let mut options = link_options(addr, "a", &pass_of("a"));
    options.receipt_timeout = Backoff::new(Duration::from_millis(200), Duration::from_millis(400));
    let _link = GatewayLink::spawn(
        gw("a"),
        options,
        None,
        outbox.clone(),
        RecordingSink::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();

    let mut received = Vec::new();
    while received.len() < 2 * expected.len() {
        let (topic, payload) = hub.next_message().await;
        assert_eq!(topic, "smsgate/v1/gw/a/up/heartbeat");
        received.push(Up::decode(&UpKind::Heartbeat, &payload).unwrap().id());
    }
    assert_eq!(
        received,
        [expected.clone(), expected.clone()].concat(),
        "without a receipt the whole window goes out again, in order"
    );
    assert!(outbox.acked().is_empty(), "PUBACKs alone ack nothing");
    assert_eq!(outbox.pending(), expected.len());
    cancel.cancel();
    tracker.close();
}

/// A raw MQTT gateway that announces `versions` in its retained state.
async fn raw_gateway(addr: std::net::SocketAddr, name: &str, versions: Vec<u32>) -> Raw {
    let mut raw = raw_connect(raw_options(addr, name, name, &pass_of(name)))
        .await
        .unwrap();
    raw.client
        .subscribe(Topic::gateway_filter(&gw(name)), qos1())
        .await
        .unwrap();
    raw.until(|i| matches!(i, rumqttc::Incoming::SubAck(_)).then_some(()))
        .await
        .unwrap();
    let state = State {
        versions,
        ..State::online(None)
    };
    raw.client
        .publish(
            Topic::state(&gw(name)).to_string(),
            qos1(),
            true,
            state.encode(),
        )
        .await
        .unwrap();
    raw.until(|i| matches!(i, rumqttc::Incoming::PubAck(_)).then_some(()))
        .await
        .unwrap();
    raw
}

fn down_ack(topic: &str, payload: &[u8]) -> smsgate_wire::Ack {
    assert!(topic.ends_with("/down/ack"), "{topic}");
    let Down::Ack(ack) = Down::decode(&DownKind::Ack, payload).unwrap() else {
        panic!("not an ack")
    };
    ack
}

#[tokio::test]
async fn the_hub_sends_receipts_to_version_two_gateways_and_only_refusals_to_version_one() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["old", "new"], &cancel).await;
    let addr = broker.local_addr();
    let stored = RecordingUpSink::default();
    let hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        stored.clone(),
        MemDowns::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    hub.status()
        .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
        .await
        .unwrap();
    let mut old = raw_gateway(addr, "old", vec![1]).await;
    let mut new = raw_gateway(addr, "new", vec![1, 2]).await;
    hub.presence().wait_for(|p| p.len() == 2).await.unwrap();

    let unknown_kind = r#"{"id":"01936d3c-1c6a-7d4e-8f00-0000000000aa","v":1}"#;
    for (raw, name) in [(&mut old, "old"), (&mut new, "new")] {
        let beat = heartbeat(1);
        raw.publish_acked(&beat.topic(&gw(name)).to_string(), beat.encode())
            .await;
        raw.publish_acked(&format!("smsgate/v1/gw/{name}/up/mms"), unknown_kind)
            .await;
        let (topic, payload) = raw.next_message().await;
        let first = down_ack(&topic, &payload);
        if name == "old" {
            // The stored heartbeat got no receipt: the first ack is the refusal.
            assert_eq!(
                first.ack_of.to_string(),
                "01936d3c-1c6a-7d4e-8f00-0000000000aa"
            );
            assert_eq!(first.outcome, AckOutcome::Unsupported);
        } else {
            assert_eq!(first.ack_of, beat.id());
            assert_eq!(first.outcome, AckOutcome::Applied);
            let (topic, payload) = raw.next_message().await;
            let second = down_ack(&topic, &payload);
            assert_eq!(second.outcome, AckOutcome::Unsupported);
        }
        assert!(stored.ids().contains(&beat.id()));
    }
    cancel.cancel();
    tracker.close();
}
