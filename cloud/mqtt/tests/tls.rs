//! TLS on the embedded broker's public listener with a CA generated here (rcgen): a gateway
//! trusting that CA gets through, one trusting another CA does not.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use smsgate_mqtt::{
    BrokerConfig, ClientTls, EmbeddedBroker, GatewayLink, HubLink, LinkOptions, LinkStatus,
};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn write_pki(dir: &Path, name: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} CA"));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["gateway-a".to_owned()])
        .unwrap()
        .signed_by(&client_key, &ca)
        .unwrap();

    let p = |f: &str| dir.join(format!("{name}-{f}"));
    let pki = Pki {
        ca: p("ca.pem"),
        server_cert: p("server.pem"),
        server_key: p("server.key"),
        client_cert: p("client.pem"),
        client_key: p("client.key"),
    };
    std::fs::write(&pki.ca, ca.pem()).unwrap();
    std::fs::write(&pki.server_cert, server.pem()).unwrap();
    std::fs::write(&pki.server_key, server_key.serialize_pem()).unwrap();
    std::fs::write(&pki.client_cert, client.pem()).unwrap();
    std::fs::write(&pki.client_key, client_key.serialize_pem()).unwrap();
    pki
}

fn tls_options(addr: std::net::SocketAddr, user: &str, pass: &str, tls: ClientTls) -> LinkOptions {
    let mut o = link_options(addr, user, pass);
    o.url.tls = true;
    o.tls = tls;
    o
}

#[tokio::test]
async fn gateway_and_hub_talk_through_the_tls_listener_with_a_custom_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = write_pki(dir.path(), "good");
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap());
    config.tls = Some(Arc::new(
        smsgate_mqtt::tls::server_config(&pki.server_cert, &pki.server_key).unwrap(),
    ));
    let broker = EmbeddedBroker::start(&config, credentials(&["a"]), cancel.clone())
        .await
        .unwrap();
    let addr = broker.local_addr();

    let trust = ClientTls {
        ca_file: Some(pki.ca.clone()),
        client_cert: None,
    };
    let hub_sink = RecordingUpSink::default();
    let hub = HubLink::spawn(
        tls_options(addr, HUB_USER, HUB_PASS, trust.clone()),
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
    let event = heartbeat(7);
    outbox.push(event.clone());
    // The client certificate is offered too; this broker does not ask for one.
    let with_client_cert = ClientTls {
        ca_file: Some(pki.ca.clone()),
        client_cert: Some((pki.client_cert.clone(), pki.client_key.clone())),
    };
    let _gw = GatewayLink::spawn(
        gw("a"),
        tls_options(addr, "a", &pass_of("a"), with_client_cert),
        None,
        outbox.clone(),
        RecordingSink::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    eventually(30, "event ingested over TLS", || {
        hub_sink.ids().contains(&event.id())
    })
    .await;
    eventually(30, "outbox drained", || outbox.pending() == 0).await;
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}

#[tokio::test]
async fn a_gateway_that_does_not_trust_the_brokers_ca_never_connects() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_pki(dir.path(), "good");
    let other = write_pki(dir.path(), "other");
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap());
    config.tls = Some(Arc::new(
        smsgate_mqtt::tls::server_config(&good.server_cert, &good.server_key).unwrap(),
    ));
    let broker = EmbeddedBroker::start(&config, credentials(&["a"]), cancel.clone())
        .await
        .unwrap();
    let outbox = MemOutbox::default();
    outbox.push(heartbeat(1));
    let link = GatewayLink::spawn(
        gw("a"),
        tls_options(
            broker.local_addr(),
            "a",
            &pass_of("a"),
            ClientTls {
                ca_file: Some(other.ca.clone()),
                client_cert: None,
            },
        ),
        None,
        outbox.clone(),
        RecordingSink::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    let mut status = link.status();
    let status = status
        .wait_for(|s| matches!(s, LinkStatus::Disconnected(_)))
        .await
        .unwrap()
        .clone();
    let LinkStatus::Disconnected(why) = status else {
        unreachable!()
    };
    assert!(
        why.to_lowercase().contains("certificate") || why.contains("Tls"),
        "{why}"
    );
    assert_eq!(outbox.pending(), 1, "nothing left the outbox");
    cancel.cancel();
    tracker.close();
}
