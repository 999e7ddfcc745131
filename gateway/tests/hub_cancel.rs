//! The hub's `cancel` of a message a Dinstar HTTP port already holds (`sending`) reaches the
//! worker holding it (`InFlight` → `stop_sms`), and the ack says what the device answered.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_gateway::cloud::SpoolCommands;
use smsgate_gateway::dinstar_http::{CancelAnswer, InFlight};
use smsgate_gateway::ports::PortsHandle;
use smsgate_gateway::spool::{MessageState, Spool};
use smsgate_mqtt::CommandSink;
use smsgate_wire::{AckOutcome, Cancel, Down, Send};
use uuid::Uuid;

fn config() -> GatewayConfig {
    let mut c = GatewayConfig::default();
    c.ports
        .push(PortConfig::new(0, Device::Serial("/dev/ttyUSB0".into())));
    c.groups.push(GroupConfig::new(
        "main",
        smsgate_config::parse_port_spec("0").unwrap(),
    ));
    c
}

/// A hub send spooled and taken by port 0 (`sending`), a Dinstar worker holding it that
/// answers a cancel with `answer`; returns the cancel's ack.
async fn cancel_while_held(answer: CancelAnswer) -> (smsgate_wire::Ack, MessageState) {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let inflight = InFlight::default();
    let sink = SpoolCommands::new(
        spool.clone(),
        &config(),
        Some(PortsHandle::default().with_dinstar(inflight.clone())),
    );
    let message_id = Uuid::now_v7();
    let ack = sink
        .apply(Down::Send(Send {
            id: Uuid::now_v7(),
            v: 3,
            message_id,
            port: "0".into(),
            to: "+33612345678".into(),
            text: "hello".into(),
            request_dlr: true,
            conversation: false,
        }))
        .await;
    assert_eq!(ack.outcome, AckOutcome::Applied);
    let claimed = spool
        .call(|db| db.claim_next("main", 0))
        .await
        .unwrap()
        .unwrap();
    let (held, mut cancels) = inflight.hold(claimed.id);
    let worker = tokio::spawn(async move {
        let reply = cancels.recv().await.unwrap();
        reply.send(answer).unwrap();
        drop(held);
    });
    let ack = sink
        .apply(Down::Cancel(Cancel {
            id: Uuid::now_v7(),
            v: 3,
            message_id,
        }))
        .await;
    worker.await.unwrap();
    let state = spool
        .call(move |db| db.get(claimed.id))
        .await
        .unwrap()
        .unwrap()
        .state;
    (ack, state)
}

#[tokio::test]
async fn a_hub_cancel_of_a_message_a_dinstar_holds_is_applied_when_stop_sms_stopped_it() {
    let (ack, _) = cancel_while_held(CancelAnswer::Stopped(
        "cancelled on request: stop_sms task 9".into(),
    ))
    .await;
    assert_eq!(ack.outcome, AckOutcome::Applied);
    assert_eq!(
        ack.detail.as_deref(),
        Some("stopped on the Dinstar: cancelled on request: stop_sms task 9")
    );
}

#[tokio::test]
async fn a_hub_cancel_the_dinstar_could_not_stop_is_refused_naming_why() {
    let (ack, state) = cancel_while_held(CancelAnswer::TooLate("was already sent".into())).await;
    assert_eq!(ack.outcome, AckOutcome::Rejected);
    assert!(
        ack.detail
            .as_deref()
            .unwrap()
            .starts_with("too late to cancel"),
        "{ack:?}"
    );
    assert_eq!(
        state,
        MessageState::Sending,
        "the message is left to its send"
    );
}

#[tokio::test]
async fn without_a_dinstar_holding_it_a_sending_message_is_too_late_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let sink = SpoolCommands::new(spool.clone(), &config(), Some(PortsHandle::default()));
    let message_id = Uuid::now_v7();
    sink.apply(Down::Send(Send {
        id: Uuid::now_v7(),
        v: 3,
        message_id,
        port: "0".into(),
        to: "+33612345678".into(),
        text: "hello".into(),
        request_dlr: true,
        conversation: false,
    }))
    .await;
    spool.call(|db| db.claim_next("main", 0)).await.unwrap();
    let ack = sink
        .apply(Down::Cancel(Cancel {
            id: Uuid::now_v7(),
            v: 3,
            message_id,
        }))
        .await;
    assert_eq!(ack.outcome, AckOutcome::Rejected);
    assert_eq!(
        ack.detail.as_deref(),
        Some("too late to cancel: the message is sending")
    );
}
