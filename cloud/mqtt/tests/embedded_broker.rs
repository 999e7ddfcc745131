//! The embedded broker (rumqttd behind the authorizing proxy) on a real 127.0.0.1 port, driven
//! by real rumqttc clients: logins, client ids and per-gateway topic rights.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use rumqttc::{ConnectReturnCode, ConnectionError, Incoming, LastWill, SubscribeReasonCode};
use smsgate_wire::{Topic, UpKind};
use tokio_util::sync::CancellationToken;

fn refusal(result: Result<Raw, ConnectionError>) -> ConnectReturnCode {
    match result {
        Err(ConnectionError::ConnectionRefused(code)) => code,
        Err(other) => panic!("expected a refusing CONNACK, got {other:?}"),
        Ok(_) => panic!("expected a refusing CONNACK, got a connection"),
    }
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_is_refused() {
    let cancel = CancellationToken::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();
    assert_eq!(
        refusal(raw_connect(raw_options(addr, "a", "a", "wrong")).await),
        ConnectReturnCode::BadUserNamePassword
    );
    assert_eq!(
        refusal(raw_connect(raw_options(addr, "zz", "zz", "pw-zz")).await),
        ConnectReturnCode::BadUserNamePassword
    );
    assert!(
        raw_connect(raw_options(addr, "a", "a", &pass_of("a")))
            .await
            .is_ok()
    );
    cancel.cancel();
}

#[tokio::test]
async fn wildcard_client_ids_and_usernames_are_refused_even_with_valid_credentials() {
    let cancel = CancellationToken::new();
    let broker = embedded(&["a"], &cancel).await;
    let addr = broker.local_addr();
    for id in ["a+", "#", "+", "a/#", "smsgate/v1/gw/+"] {
        assert_eq!(
            refusal(raw_connect(raw_options(addr, id, "a", &pass_of("a"))).await),
            ConnectReturnCode::BadClientId,
            "gateway client id {id:?}"
        );
        assert_eq!(
            refusal(raw_connect(raw_options(addr, id, HUB_USER, HUB_PASS)).await),
            ConnectReturnCode::BadClientId,
            "hub client id {id:?}"
        );
    }
    for user in ["a+", "#", "a/b"] {
        assert_eq!(
            refusal(raw_connect(raw_options(addr, "x", user, &pass_of("a"))).await),
            ConnectReturnCode::BadUserNamePassword,
            "username {user:?}"
        );
    }
    cancel.cancel();
}

#[tokio::test]
async fn a_gateway_cannot_take_another_gateways_client_id_or_last_will() {
    let cancel = CancellationToken::new();
    let broker = embedded(&["a", "b"], &cancel).await;
    let addr = broker.local_addr();
    assert_eq!(
        refusal(raw_connect(raw_options(addr, "b", "a", &pass_of("a"))).await),
        ConnectReturnCode::BadClientId
    );
    let mut o = raw_options(addr, "a", "a", &pass_of("a"));
    o.set_last_will(LastWill::new(
        Topic::state(&gw("b")).to_string(),
        "{}",
        qos1(),
        true,
    ));
    assert_eq!(
        refusal(raw_connect(o).await),
        ConnectReturnCode::NotAuthorized
    );
    cancel.cancel();
}

async fn suback(raw: &mut Raw, filter: &str) -> Vec<SubscribeReasonCode> {
    raw.client.subscribe(filter, qos1()).await.unwrap();
    raw.until(|i| match i {
        Incoming::SubAck(s) => Some(s.return_codes.clone()),
        _ => None,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_gateway_may_subscribe_to_its_own_commands_only() {
    let cancel = CancellationToken::new();
    let broker = embedded(&["a", "b"], &cancel).await;
    let mut a = raw_connect(raw_options(broker.local_addr(), "a", "a", &pass_of("a")))
        .await
        .unwrap();
    assert_eq!(
        suback(&mut a, "smsgate/v1/gw/a/down/+").await,
        [SubscribeReasonCode::Success(qos1())]
    );
    for foreign in [
        "smsgate/v1/gw/b/down/+",
        "smsgate/v1/gw/+/down/+",
        "smsgate/v1/gw/b/up/+",
        "smsgate/v1/gw/#",
        "#",
    ] {
        assert_eq!(
            suback(&mut a, foreign).await,
            [SubscribeReasonCode::Failure],
            "{foreign}"
        );
    }
    cancel.cancel();
}

#[tokio::test]
async fn a_gateway_publishing_on_another_gateways_topic_is_cut_off_and_nobody_receives_it() {
    let cancel = CancellationToken::new();
    let broker = embedded(&["a", "b"], &cancel).await;
    let addr = broker.local_addr();
    let (a_id, b_id) = (gw("a"), gw("b"));

    let mut hub = raw_connect(raw_options(addr, "hub-1", HUB_USER, HUB_PASS))
        .await
        .unwrap();
    for f in Topic::hub_filters() {
        hub.client.subscribe(f, qos1()).await.unwrap();
        hub.until(|i| matches!(i, Incoming::SubAck(_)).then_some(()))
            .await
            .unwrap();
    }
    let mut b = raw_connect(raw_options(addr, "b", "b", &pass_of("b")))
        .await
        .unwrap();
    assert_eq!(
        suback(&mut b, &Topic::gateway_filter(&b_id)).await,
        [SubscribeReasonCode::Success(qos1())]
    );

    // A forges an inbound message of B, then a command to B: the proxy drops A each time.
    for forged in [
        Topic::up(&b_id, UpKind::Inbound).to_string(),
        "smsgate/v1/gw/b/down/send".to_owned(),
    ] {
        let mut a = raw_connect(raw_options(addr, "a", "a", &pass_of("a")))
            .await
            .unwrap();
        a.client
            .publish(forged.clone(), qos1(), false, "forged")
            .await
            .unwrap();
        let outcome = a
            .until(|i| matches!(i, Incoming::PubAck(_)).then_some(()))
            .await;
        assert!(
            outcome.is_err(),
            "A must be disconnected after publishing on {forged}"
        );
    }

    // Legitimate traffic afterwards arrives first: the forged messages were never routed.
    let mut a = raw_connect(raw_options(addr, "a", "a", &pass_of("a")))
        .await
        .unwrap();
    a.client
        .publish(
            Topic::up(&a_id, UpKind::Heartbeat).to_string(),
            qos1(),
            false,
            "from-a",
        )
        .await
        .unwrap();
    a.until(|i| matches!(i, Incoming::PubAck(_)).then_some(()))
        .await
        .unwrap();
    hub.client
        .publish("smsgate/v1/gw/b/down/send", qos1(), false, "from-hub")
        .await
        .unwrap();

    let first_at_hub = hub
        .until(|i| match i {
            Incoming::Publish(p) => Some((p.topic.clone(), p.payload.clone())),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(
        first_at_hub.0, "smsgate/v1/gw/a/up/heartbeat",
        "the hub sees every gateway"
    );
    assert_eq!(&first_at_hub.1[..], b"from-a");

    let first_at_b = b
        .until(|i| match i {
            Incoming::Publish(p) => Some(p.payload.clone()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(&first_at_b[..], b"from-hub");
    cancel.cancel();
}

#[tokio::test]
async fn the_hub_may_not_subscribe_outside_the_contract_tree() {
    let cancel = CancellationToken::new();
    let broker = embedded(&["a"], &cancel).await;
    let mut hub = raw_connect(raw_options(
        broker.local_addr(),
        "hub-1",
        HUB_USER,
        HUB_PASS,
    ))
    .await
    .unwrap();
    assert_eq!(suback(&mut hub, "#").await, [SubscribeReasonCode::Failure]);
    assert_eq!(
        suback(&mut hub, "smsgate/v1/gw/#").await,
        [SubscribeReasonCode::Success(qos1())]
    );
    cancel.cancel();
}
