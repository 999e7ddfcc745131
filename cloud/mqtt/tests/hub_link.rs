//! The hub link with a gateway link on the embedded broker: commands out, acks and events in,
//! storage outages retried without loss, refusals reported back to the gateway.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use smsgate_mqtt::{GatewayLink, HubLink, IngestError, LinkStatus, UpSink};
use smsgate_wire::{AckOutcome, Down, GatewayId, State, Up};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[tokio::test]
async fn commands_reach_the_gateway_sink_and_its_acks_reach_the_hub() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a", "b"], &cancel).await;
    let addr = broker.local_addr();
    let sinks = [RecordingSink::default(), RecordingSink::default()];
    let mut links = Vec::new();
    for (name, sink) in ["a", "b"].into_iter().zip(sinks.iter()) {
        let link = GatewayLink::spawn(
            gw(name),
            link_options(addr, name, &pass_of(name)),
            None,
            MemOutbox::default(),
            sink.clone(),
            cancel.clone(),
            &tracker,
        )
        .unwrap();
        link.status()
            .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
            .await
            .unwrap();
        links.push(link);
    }
    let hub_sink = RecordingUpSink::default();
    let downs = MemDowns::default();
    let hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        hub_sink.clone(),
        downs.clone(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    // Wait until both gateways are seen online (their subscriptions are in place by then).
    hub.presence()
        .wait_for(|p| p.len() == 2 && p.values().all(|s| s.online))
        .await
        .unwrap();

    let to_a = send_command("+33600000001");
    let to_b = send_command("+33600000002");
    downs.push(gw("a"), to_a.clone());
    downs.push(gw("b"), to_b.clone());
    hub.notify_downs();

    eventually(30, "both acks ingested", || {
        let acks: Vec<_> = hub_sink
            .ingested
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(g, u)| match u {
                Up::Ack(a) if a.outcome == AckOutcome::Applied => Some((g.clone(), a.ack_of)),
                _ => None,
            })
            .collect();
        acks.contains(&(gw("a"), to_a.id())) && acks.contains(&(gw("b"), to_b.id()))
    })
    .await;
    assert_eq!(
        *sinks[0].calls.lock().unwrap(),
        [to_a.id()],
        "a got only its command"
    );
    assert_eq!(
        *sinks[1].calls.lock().unwrap(),
        [to_b.id()],
        "b got only its command"
    );
    assert_eq!(downs.published(), [1, 2]);
    cancel.cancel();
    tracker.close();
}

#[tokio::test]
async fn an_unavailable_store_is_retried_and_nothing_is_lost_or_reordered() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();
    let hub_sink = RecordingUpSink::default();
    *hub_sink.fail_next.lock().unwrap() = 3;
    let hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        hub_sink.clone(),
        MemDowns::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    hub.status()
        .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
        .await
        .unwrap();
    let outbox = MemOutbox::default();
    let expected = outbox.push_heartbeats(20);
    let _gw = GatewayLink::spawn(
        gw("a"),
        link_options(addr, "a", &pass_of("a")),
        None,
        outbox.clone(),
        RecordingSink::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    eventually(30, "all ingested", || {
        hub_sink.ids().len() >= expected.len()
    })
    .await;
    assert_eq!(hub_sink.ids(), expected);
    assert_eq!(
        *hub_sink.attempts.lock().unwrap(),
        23,
        "3 failed attempts, then each once"
    );
    cancel.cancel();
    tracker.close();
}

/// Refuses every inbound message: the gateway must hear about it.
#[derive(Clone, Default)]
struct Refusing;

impl UpSink for Refusing {
    async fn ingest(&self, _gateway: &GatewayId, _message: Up) -> Result<(), IngestError> {
        Err(IngestError::Rejected("unknown port".into()))
    }
    async fn presence(&self, _gateway: &GatewayId, _state: State) -> Result<(), IngestError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_rejected_message_is_reported_to_its_gateway_and_still_leaves_the_outbox() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();
    let hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        Refusing,
        MemDowns::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    hub.status()
        .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
        .await
        .unwrap();

    let outbox = MemOutbox::default();
    let event = heartbeat(1);
    outbox.push(event.clone());
    let sink = RecordingSink::default();
    let _link = GatewayLink::spawn(
        gw("a"),
        link_options(addr, "a", &pass_of("a")),
        None,
        outbox.clone(),
        sink.clone(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    eventually(30, "the refusal reached the gateway's sink", || {
        !sink.commands.lock().unwrap().is_empty()
    })
    .await;
    let commands = sink.commands.lock().unwrap().clone();
    let [Down::Ack(ack)] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    assert_eq!(ack.ack_of, event.id());
    assert_eq!(ack.outcome, AckOutcome::Rejected);
    assert_eq!(ack.detail.as_deref(), Some("unknown port"));
    eventually(30, "outbox drained", || outbox.pending() == 0).await;
    cancel.cancel();
    tracker.close();
}
