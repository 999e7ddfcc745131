//! The gateway link against real brokers on 127.0.0.1: outbox order, events removed on the hub's
//! receipt only (never on the broker's PUBACK), outage recovery, commands applied once per id,
//! retained online/offline state.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::BytesMut;
use common::*;
use rumqttc::Incoming;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, SubAck, SubscribeReasonCode,
};
use smsgate_mqtt::{AuthProxy, BrokerConfig, GatewayLink, HubLink, LinkStatus};
use smsgate_wire::{Ack, AckOutcome, Down, State, Up, UpKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

fn uptime(up: &Up) -> u64 {
    match up {
        Up::Heartbeat(h) => h.uptime_s,
        other => panic!("unexpected {other:?}"),
    }
}

/// A scripted broker: answers CONNECT and SUBSCRIBE, records PUBLISHes, PUBACKs only on demand.
struct ScriptedBroker {
    stream: tokio::net::TcpStream,
    buf: BytesMut,
}

impl ScriptedBroker {
    async fn accept(listener: &TcpListener) -> Self {
        let (stream, _) = listener.accept().await.unwrap();
        Self {
            stream,
            buf: BytesMut::new(),
        }
    }
    async fn next(&mut self) -> Packet {
        loop {
            match Packet::read(&mut self.buf, 1 << 20) {
                Ok(p) => return p,
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {
                    assert!(
                        self.stream.read_buf(&mut self.buf).await.unwrap() > 0,
                        "client left"
                    );
                }
                Err(e) => panic!("codec: {e}"),
            }
        }
    }
    async fn send(&mut self, p: Packet) {
        let mut out = BytesMut::new();
        match p {
            Packet::ConnAck(x) => x.write(&mut out),
            Packet::SubAck(x) => x.write(&mut out),
            Packet::PubAck(x) => x.write(&mut out),
            Packet::Publish(x) => x.write(&mut out),
            _ => unreachable!(),
        }
        .unwrap();
        self.stream.write_all(&out).await.unwrap();
    }

    /// Publishes the hub's receipt of `up` (QoS 1, packet id `pkid`) and waits for the
    /// client's PUBACK of it: by then the link has handled the receipt.
    async fn receipt(&mut self, pkid: u16, up: &Up) {
        let ack = Down::Ack(Ack::new(up.id(), 2, AckOutcome::Applied, None));
        let mut p = rumqttc::mqttbytes::v4::Publish::new(
            ack.topic(&gw("a")).to_string(),
            qos1(),
            ack.encode(),
        );
        p.pkid = pkid;
        self.send(Packet::Publish(p)).await;
        loop {
            if let Packet::PubAck(a) = self.next().await
                && a.pkid == pkid
            {
                return;
            }
        }
    }
}

#[tokio::test]
async fn events_leave_the_outbox_only_on_the_hubs_receipt_and_in_outbox_order() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let outbox = MemOutbox::default();
    for n in 1..=3 {
        outbox.push(heartbeat(n));
    }
    let (cancel, tracker) = (CancellationToken::new(), TaskTracker::new());
    let _link = GatewayLink::spawn(
        gw("a"),
        link_options(addr, "a", "pw-a"),
        None,
        outbox.clone(),
        RecordingSink::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();

    let mut broker = ScriptedBroker::accept(&listener).await;
    let Packet::Connect(connect) = broker.next().await else {
        panic!("no CONNECT")
    };
    assert_eq!(connect.client_id, "a");
    assert!(!connect.clean_session, "the session must be persistent");
    let will = connect.last_will.expect("a last will");
    assert!(will.retain);
    assert!(!State::decode(&will.message).unwrap().online);
    broker
        .send(Packet::ConnAck(ConnAck::new(
            ConnectReturnCode::Success,
            false,
        )))
        .await;

    // SUBSCRIBE, retained online state, then the three events in order.
    let mut events = Vec::new();
    while events.len() < 3 {
        match broker.next().await {
            Packet::Subscribe(s) => {
                assert_eq!(s.filters[0].path, "smsgate/v1/gw/a/down/+");
                let codes = vec![SubscribeReasonCode::Success(qos1()); s.filters.len()];
                broker
                    .send(Packet::SubAck(SubAck::new(s.pkid, codes)))
                    .await;
            }
            Packet::Publish(p) if p.topic == "smsgate/v1/gw/a/state" => {
                assert!(p.retain);
                let state = State::decode(&p.payload).unwrap();
                assert!(state.online);
                assert_eq!(state.versions, smsgate_wire::SUPPORTED_VERSIONS);
            }
            Packet::Publish(p) => {
                assert_eq!(p.topic, "smsgate/v1/gw/a/up/heartbeat");
                let up = Up::decode(&UpKind::Heartbeat, &p.payload).unwrap();
                events.push((p.pkid, uptime(&up), up));
            }
            _ => {}
        }
    }
    assert_eq!(events.iter().map(|e| e.1).collect::<Vec<_>>(), [1, 2, 3]);

    // The broker PUBACKs all three: that alone removes nothing (the broker may hold them only
    // in memory). The receipt below is handled after these PUBACKs (same connection, in order).
    for (pkid, _, _) in &events {
        broker.send(Packet::PubAck(PubAck::new(*pkid))).await;
    }
    // The hub's receipt of the second event alone does not ack it: the first is unconfirmed.
    broker.receipt(1, &events[1].2).await;
    assert!(
        outbox.acked().is_empty(),
        "nothing is acked on PUBACK, and acks go to the outbox in order"
    );

    broker.receipt(2, &events[0].2).await;
    assert_eq!(outbox.acked(), [1, 2], "the confirmed prefix is acked");
    assert_eq!(outbox.pending(), 1);
    cancel.cancel();
    tracker.close();
}

#[tokio::test]
async fn everything_pending_is_delivered_in_order_across_a_broker_outage() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();

    let hub_sink = RecordingUpSink::default();
    let hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        hub_sink.clone(),
        MemDowns::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    let mut hub_status = hub.status();
    hub_status
        .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
        .await
        .unwrap();

    let outbox = MemOutbox::default();
    let mut ids = Vec::new();
    for n in 0..300 {
        ids.push(outbox.push(heartbeat(n)));
    }
    let expected: Vec<_> = {
        let s = outbox.inner.lock().unwrap();
        s.pending.values().map(|u| u.id()).collect()
    };
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

    eventually(30, "a first part ingested", || hub_sink.ids().len() >= 50).await;
    let inner = broker.stop_listener().await;
    // Local work goes on while the broker is away.
    let mut expected = expected;
    for n in 300..400 {
        outbox.push(heartbeat(n));
    }
    {
        let s = outbox.inner.lock().unwrap();
        expected.extend(s.pending.range(301..).map(|(_, u)| u.id()));
    }
    link.notify_outbox();
    let proxy = AuthProxy::start(
        &BrokerConfig::new(addr),
        inner,
        credentials(&["a"]),
        cancel.child_token(),
    )
    .await
    .unwrap();

    link.status()
        .wait_for(|s| matches!(s, LinkStatus::Connected(n) if *n >= 2))
        .await
        .unwrap();
    eventually(60, "every event ingested", || {
        let got = hub_sink.ids();
        expected.iter().all(|id| got.contains(id))
    })
    .await;
    eventually(30, "outbox drained", || outbox.pending() == 0).await;

    // At-least-once, per-gateway order preserved: first arrivals are exactly outbox order.
    let mut seen = std::collections::HashSet::new();
    let first_arrivals: Vec<_> = hub_sink
        .ids()
        .into_iter()
        .filter(|id| seen.insert(*id))
        .collect();
    assert_eq!(first_arrivals, expected);
    assert_eq!(outbox.acked(), (1..=400).collect::<Vec<u64>>());
    cancel.cancel();
    proxy.stop().await;
    tracker.close();
}

#[tokio::test]
async fn a_redelivered_command_is_applied_once_and_acked_each_time() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();
    let sink = RecordingSink::default();
    let link = GatewayLink::spawn(
        gw("a"),
        link_options(addr, "a", &pass_of("a")),
        Some("smsgate-test".into()),
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

    let mut hub = raw_connect(raw_options(addr, "hub-1", HUB_USER, HUB_PASS))
        .await
        .unwrap();
    hub.client
        .subscribe("smsgate/v1/gw/a/up/ack", qos1())
        .await
        .unwrap();
    hub.until(|i| matches!(i, Incoming::SubAck(_)).then_some(()))
        .await
        .unwrap();

    let command = send_command("+33600000001");
    let topic = command.topic(&gw("a")).to_string();
    for _ in 0..2 {
        hub.client
            .publish(topic.clone(), qos1(), false, command.encode())
            .await
            .unwrap();
    }
    hub.client
        .publish(
            "smsgate/v1/gw/a/down/reboot_modem",
            qos1(),
            false,
            r#"{"id":"01936d3c-1c6a-7d4e-8f00-00000000000a","v":2}"#,
        )
        .await
        .unwrap();

    let mut acks: Vec<Ack> = Vec::new();
    while acks.len() < 3 {
        let ack = hub
            .until(|i| match i {
                Incoming::Publish(p) => Some(p.payload.clone()),
                _ => None,
            })
            .await
            .unwrap();
        let Up::Ack(ack) = Up::decode(&UpKind::Ack, &ack).unwrap() else {
            panic!()
        };
        acks.push(ack);
    }
    assert_eq!(acks[0].ack_of, command.id());
    assert_eq!(acks[0].outcome, AckOutcome::Applied);
    assert_eq!(acks[1], acks[0], "a redelivery gets the first ack again");
    assert_eq!(acks[2].outcome, AckOutcome::Unsupported);
    assert_eq!(
        acks[2].ack_of.to_string(),
        "01936d3c-1c6a-7d4e-8f00-00000000000a"
    );
    assert_eq!(
        *sink.calls.lock().unwrap(),
        [command.id()],
        "the sink saw the id once"
    );
    cancel.cancel();
    tracker.close();
}

#[tokio::test]
async fn the_retained_state_is_online_while_connected_and_offline_after_shutdown() {
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();
    let link_cancel = cancel.child_token();
    let link = GatewayLink::spawn(
        gw("a"),
        link_options(addr, "a", &pass_of("a")),
        None,
        MemOutbox::default(),
        RecordingSink::default(),
        link_cancel.clone(),
        &tracker,
    )
    .unwrap();
    let hub_sink = RecordingUpSink::default();
    let hub = HubLink::spawn(
        link_options(addr, HUB_USER, HUB_PASS),
        hub_sink.clone(),
        MemDowns::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    let mut presence = hub.presence();
    presence
        .wait_for(|p| p.get(&gw("a")).is_some_and(|s| s.online))
        .await
        .unwrap();
    link_cancel.cancel();
    let mut status = link.status();
    status
        .wait_for(|s| *s == LinkStatus::Stopped)
        .await
        .unwrap();
    presence
        .wait_for(|p| p.get(&gw("a")).is_some_and(|s| !s.online))
        .await
        .unwrap();
    assert_eq!(
        *hub_sink.presence.lock().unwrap(),
        [(gw("a"), true), (gw("a"), false)]
    );
    cancel.cancel();
    tracker.close();
}
