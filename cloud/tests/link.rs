//! The MQTT link's entry point `Hub::receive(topic, payload)`: raw bytes as a gateway
//! publishes them, old and new payload versions, unknown kinds, presence, port inventory.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use smsgate_cloud::hub::HubError;
use smsgate_wire as wire;

fn topic(w: &World, rest: &str) -> String {
    format!("smsgate/v1/gw/{}/{rest}", w.gw)
}

#[test]
fn an_old_gateway_payload_without_optional_fields_is_routed() {
    let w = world();
    let payload = br#"{"id":"01936d3c-1c6a-7d4e-8f00-0000000000aa","v":1,"port":"usb0",
        "from":"+33612345678","text":"old","received_at":"2026-11-21T14:00:00Z"}"#;
    assert!(
        w.f.hub
            .gateway_ingest()
            .receive(&topic(&w, "up/inbound"), payload)
            .unwrap()
            .is_none()
    );
    assert_eq!(w.f.hub.interactions(&w.a.admin, None).unwrap().len(), 1);
}

#[test]
fn a_newer_gateway_payload_with_extra_fields_is_routed() {
    let w = world();
    let payload = br#"{"id":"01936d3c-1c6a-7d4e-8f00-0000000000ab","v":2,"port":"usb1",
        "from":"+33612345678","text":"new","received_at":"2026-11-21T14:00:00Z",
        "udh":{"ref":7,"parts":2},"smsc":"+33609001390"}"#;
    assert!(
        w.f.hub
            .gateway_ingest()
            .receive(&topic(&w, "up/inbound"), payload)
            .unwrap()
            .is_none()
    );
    assert_eq!(w.f.hub.interactions(&w.b.admin, None).unwrap().len(), 1);
}

#[test]
fn an_unknown_up_kind_is_acked_as_unsupported_on_the_gateways_down_ack_topic() {
    let w = world();
    let payload = br#"{"id":"01936d3c-1c6a-7d4e-8f00-0000000000ac","v":3,"media":"x.jpg"}"#;
    let (t, down) =
        w.f.hub
            .gateway_ingest()
            .receive(&topic(&w, "up/mms"), payload)
            .unwrap()
            .unwrap();
    assert_eq!(t.to_string(), topic(&w, "down/ack"));
    let wire::Down::Ack(ack) = down else { panic!() };
    assert_eq!(ack.outcome, wire::AckOutcome::Unsupported);
    assert_eq!(
        ack.ack_of.to_string(),
        "01936d3c-1c6a-7d4e-8f00-0000000000ac"
    );
}

#[test]
fn a_report_on_an_unknown_message_is_acked_as_rejected() {
    let w = world();
    let payload = br#"{"id":"01936d3c-1c6a-7d4e-8f00-0000000000ad","v":1,
        "message_id":"01936d3c-1c6a-7d4e-8f00-0000000000ff","state":"delivered","at":"2026-11-21T14:00:00Z"}"#;
    let (_, down) =
        w.f.hub
            .gateway_ingest()
            .receive(&topic(&w, "up/dlr"), payload)
            .unwrap()
            .unwrap();
    let wire::Down::Ack(ack) = down else { panic!() };
    assert_eq!(ack.outcome, wire::AckOutcome::Rejected);
}

#[test]
fn malformed_payloads_and_foreign_topics_are_errors_naming_the_part() {
    let w = world();
    let err =
        w.f.hub
            .gateway_ingest()
            .receive(&topic(&w, "up/inbound"), b"{}")
            .unwrap_err();
    assert!(
        matches!(
            err,
            HubError::Invalid { ref field, .. } if field == "payload"
        ),
        "{err:?}"
    );
    let err =
        w.f.hub
            .gateway_ingest()
            .receive("smsgate/v1/gw/+/up/inbound", b"{}")
            .unwrap_err();
    assert!(
        matches!(err, HubError::Invalid { ref field, .. } if field == "topic"),
        "{err:?}"
    );
    let err =
        w.f.hub
            .gateway_ingest()
            .receive(&topic(&w, "down/send"), b"{}")
            .unwrap_err();
    assert!(
        matches!(err, HubError::Invalid { ref field, .. } if field == "topic"),
        "{err:?}"
    );
}

#[test]
fn the_retained_state_and_the_last_will_set_presence() {
    let w = world();
    let hub = &w.f.hub;
    let online =
        br#"{"id":"01936d3c-1c6a-7d4e-8f00-0000000000b0","v":1,"online":true,"versions":[1]}"#;
    let will = br#"{"id":"01936d3c-1c6a-7d4e-8f00-0000000000b1","v":1,"online":false}"#;
    hub.gateway_ingest()
        .receive(&topic(&w, "state"), online)
        .unwrap();
    assert!(hub.gateway(&w.root, w.gateway.gateway.id).unwrap().online);
    hub.gateway_ingest()
        .receive(&topic(&w, "state"), will)
        .unwrap();
    let g = hub.gateway(&w.root, w.gateway.gateway.id).unwrap();
    assert!(!g.online);
    assert_eq!(
        g.versions,
        vec![1],
        "a will without versions keeps the known ones"
    );
    // The same will again (same id) still applies: presence is not de-duplicated.
    hub.gateway_ingest()
        .receive(&topic(&w, "state"), online)
        .unwrap();
    hub.gateway_ingest()
        .receive(&topic(&w, "state"), will)
        .unwrap();
    assert!(!hub.gateway(&w.root, w.gateway.gateway.id).unwrap().online);
}

#[test]
fn the_port_inventory_is_kept_on_the_gateway() {
    let w = world();
    let ex = wire::examples::all()
        .into_iter()
        .find(|e| e.title == "Port inventory")
        .unwrap();
    let wire::examples::Message::Up(up) = ex.message else {
        panic!()
    };
    w.f.hub
        .gateway_ingest()
        .receive(&topic(&w, "up/ports"), &up.encode())
        .unwrap();
    let g = w.f.hub.gateway(&w.root, w.gateway.gateway.id).unwrap();
    assert_eq!(g.ports.len(), 1);
    assert_eq!(g.ports[0].signal, Some(21));
}

#[test]
fn every_documented_up_example_is_taken_by_the_hub() {
    // The contract's examples (docs/mqtt.md) decode and ingest without error on a real hub.
    let w = world();
    for ex in wire::examples::all() {
        let payload = match &ex.message {
            wire::examples::Message::Up(up) => up.encode(),
            wire::examples::Message::State(s) => s.encode(),
            wire::examples::Message::Down(_) => continue,
        };
        let t = ex.topic.to_string().replace("gw-7f3a", w.gw.as_str());
        w.f.hub.gateway_ingest().receive(&t, &payload).unwrap();
    }
}
