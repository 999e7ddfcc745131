//! The same isolation and delivery guarantees on a real mosquitto broker, started here on a free
//! loopback port with the password, ACL and config files this crate generates.
//! Needs the `mosquitto` binary (Debian package `mosquitto`).

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use rumqttc::{ConnectReturnCode, ConnectionError, Incoming, SubscribeReasonCode};
use smsgate_mqtt::mosquitto::{MosquittoAuth, MosquittoConfig};
use smsgate_mqtt::{GatewayLink, HubLink, LinkStatus};
use smsgate_wire::{Topic, UpKind};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

struct Mosquitto {
    child: Child,
    conf: PathBuf,
    addr: SocketAddr,
}

impl Mosquitto {
    /// Writes the generated files into `dir` and starts mosquitto on a free port.
    async fn start(dir: &Path, gateways: &[&str]) -> Self {
        let mut auth = MosquittoAuth::new(HUB_USER, HUB_PASS).unwrap();
        for g in gateways {
            auth.add_gateway(&gw(g), &pass_of(g)).unwrap();
        }
        let passwords = dir.join("passwords");
        let acl = dir.join("acl");
        std::fs::write(&passwords, auth.password_file()).unwrap();
        std::fs::write(&acl, auth.acl_file()).unwrap();
        let persistence = dir.join("db");
        std::fs::create_dir_all(&persistence).unwrap();
        for _ in 0..5 {
            let addr = free_addr();
            let config = MosquittoConfig {
                listen: addr,
                password_file: passwords.clone(),
                acl_file: acl.clone(),
                persistence_dir: Some(persistence.clone()),
                tls: None,
            };
            // When the tests run as root, keep mosquitto from switching to its own user (it
            // could not read the temporary directory).
            let conf = dir.join("mosquitto.conf");
            std::fs::write(&conf, format!("{}user root\n", config.render())).unwrap();
            // A free port can be taken by a client socket of a parallel test: try another.
            if let Some(m) = Self::try_spawn(conf, addr).await {
                return m;
            }
        }
        panic!("mosquitto did not start");
    }

    async fn spawn(conf: PathBuf, addr: SocketAddr) -> Self {
        match Self::try_spawn(conf.clone(), addr).await {
            Some(m) => m,
            None => {
                let log = std::fs::read_to_string(conf.with_extension("log")).unwrap_or_default();
                panic!("mosquitto did not start on {addr}:\n{log}");
            }
        }
    }

    async fn try_spawn(conf: PathBuf, addr: SocketAddr) -> Option<Self> {
        let log = conf.with_extension("log");
        let mut child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("mosquitto must be installed (apt-get install mosquitto)");
        for _ in 0..250 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Some(Self { child, conf, addr });
            }
            if child.try_wait().ok().flatten().is_some() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = log;
        None
    }

    /// SIGTERM (mosquitto saves its persistence database) and wait for the exit.
    fn stop(mut self) -> (PathBuf, SocketAddr) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap();
        (self.conf.clone(), self.addr)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

async fn first_payload(raw: &mut Raw) -> (String, Vec<u8>) {
    raw.next_message().await
}

#[tokio::test]
async fn mosquitto_refuses_wrong_passwords_and_unknown_users() {
    let dir = tempfile::tempdir().unwrap();
    let m = Mosquitto::start(dir.path(), &["a"]).await;
    for (user, pass) in [("a", "wrong"), ("nobody", "pw-nobody"), ("a+", "pw-a")] {
        match raw_connect(raw_options(m.addr, "x", user, pass)).await {
            Err(ConnectionError::ConnectionRefused(code)) => assert!(
                matches!(
                    code,
                    ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized
                ),
                "{user}: {code:?}"
            ),
            Err(other) => panic!("{user}: {other:?}"),
            Ok(_) => panic!("{user}/{pass} must be refused"),
        }
    }
    assert!(
        raw_connect(raw_options(m.addr, "a", "a", &pass_of("a")))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn on_mosquitto_a_gateway_cannot_read_or_write_another_gateways_topics() {
    let dir = tempfile::tempdir().unwrap();
    let m = Mosquitto::start(dir.path(), &["a", "b"]).await;
    let (a_id, b_id) = (gw("a"), gw("b"));

    let mut hub = raw_connect(raw_options(m.addr, "hub", HUB_USER, HUB_PASS))
        .await
        .unwrap();
    assert_eq!(
        suback(&mut hub, "smsgate/v1/gw/+/up/+").await,
        [SubscribeReasonCode::Success(qos1())]
    );
    let mut b = raw_connect(raw_options(m.addr, "b", "b", &pass_of("b")))
        .await
        .unwrap();
    assert_eq!(
        suback(&mut b, &Topic::gateway_filter(&b_id)).await,
        [SubscribeReasonCode::Success(qos1())]
    );

    // mosquitto grants any SUBSCRIBE and filters each delivery against the ACL: a gateway may
    // subscribe to a foreign filter but never receives a message from it.
    let mut a = raw_connect(raw_options(m.addr, "a", "a", &pass_of("a")))
        .await
        .unwrap();
    for foreign in [
        "smsgate/v1/gw/b/down/+",
        "smsgate/v1/gw/+/down/+",
        "smsgate/v1/gw/b/up/+",
        "#",
    ] {
        suback(&mut a, foreign).await;
    }
    assert_eq!(
        suback(&mut a, &Topic::gateway_filter(&a_id)).await,
        [SubscribeReasonCode::Success(qos1())]
    );
    b.publish_acked(&Topic::up(&b_id, UpKind::Inbound).to_string(), "b-inbound")
        .await;
    hub.publish_acked("smsgate/v1/gw/b/down/send", "for-b")
        .await;
    hub.publish_acked("smsgate/v1/gw/a/down/send", "for-a")
        .await;
    assert_eq!(
        first_payload(&mut a).await,
        ("smsgate/v1/gw/a/down/send".to_owned(), b"for-a".to_vec()),
        "a reads nothing of b"
    );
    assert_eq!(first_payload(&mut hub).await.1, b"b-inbound");
    assert_eq!(first_payload(&mut b).await.1, b"for-b");

    // Forged messages are acknowledged by mosquitto but never routed.
    for forged in [
        Topic::up(&b_id, UpKind::Inbound).to_string(),
        "smsgate/v1/gw/b/down/send".into(),
    ] {
        a.publish_acked(&forged, "forged").await;
    }
    a.publish_acked(&Topic::up(&a_id, UpKind::Heartbeat).to_string(), "from-a")
        .await;
    hub.publish_acked("smsgate/v1/gw/b/down/send", "from-hub")
        .await;

    assert_eq!(
        first_payload(&mut hub).await,
        (
            "smsgate/v1/gw/a/up/heartbeat".to_owned(),
            b"from-a".to_vec()
        ),
        "the forged inbound of b never reached the hub"
    );
    assert_eq!(
        first_payload(&mut b).await.1,
        b"from-hub",
        "the forged command never reached b"
    );
}

#[tokio::test]
async fn on_mosquitto_a_wildcard_or_foreign_client_id_gives_no_extra_rights() {
    let dir = tempfile::tempdir().unwrap();
    let m = Mosquitto::start(dir.path(), &["a", "b"]).await;
    let mut b = raw_connect(raw_options(m.addr, "b", "b", &pass_of("b")))
        .await
        .unwrap();
    suback(&mut b, "smsgate/v1/gw/b/down/+").await;
    // The broker uses the username as client id: "#", "+" or "b" sent by gateway a all become
    // "a", which neither takes over b's session nor widens a's rights.
    let mut hub = raw_connect(raw_options(m.addr, "hub", HUB_USER, HUB_PASS))
        .await
        .unwrap();
    for id in ["#", "+", "b", "smsgate/v1/gw/+"] {
        let mut a = raw_connect(raw_options(m.addr, id, "a", &pass_of("a")))
            .await
            .unwrap();
        suback(&mut a, "smsgate/v1/gw/b/down/+").await;
        suback(&mut a, "smsgate/v1/gw/a/down/+").await;
        hub.publish_acked("smsgate/v1/gw/b/down/send", format!("b-{id}"))
            .await;
        hub.publish_acked("smsgate/v1/gw/a/down/send", format!("a-{id}"))
            .await;
        let got_a = first_payload(&mut a).await.1;
        assert_eq!(
            got_a,
            format!("a-{id}").into_bytes(),
            "client id {id:?} reads only a's topics"
        );
        assert_eq!(
            first_payload(&mut b).await.1,
            format!("b-{id}").into_bytes(),
            "b kept its session while {id:?} connected"
        );
    }
}

#[tokio::test]
async fn over_mosquitto_the_outbox_is_delivered_in_order_across_a_broker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let m = Mosquitto::start(dir.path(), &["a"]).await;
    let (cancel, tracker) = (CancellationToken::new(), TaskTracker::new());
    let hub_sink = RecordingUpSink::default();
    let hub = HubLink::spawn(
        link_options(m.addr, HUB_USER, HUB_PASS),
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
    for n in 0..300 {
        outbox.push(heartbeat(n));
    }
    let link = GatewayLink::spawn(
        gw("a"),
        link_options(m.addr, "a", &pass_of("a")),
        None,
        outbox.clone(),
        RecordingSink::default(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    eventually(30, "a first part ingested", || hub_sink.ids().len() >= 50).await;
    let (conf, addr) = m.stop();
    for n in 300..400 {
        outbox.push(heartbeat(n));
    }
    let expected: Vec<_> = {
        let s = outbox.inner.lock().unwrap();
        s.pending.values().map(|u| u.id()).collect()
    };
    let _m = Mosquitto::spawn(conf, addr).await;
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
    let mut seen = std::collections::HashSet::new();
    let firsts: Vec<_> = hub_sink
        .ids()
        .into_iter()
        .filter(|id| seen.insert(*id))
        .collect();
    assert_eq!(firsts.len(), 400);
    assert!(
        firsts.ends_with(&expected),
        "pending events arrive in outbox order"
    );
    assert_eq!(outbox.acked(), (1..=400).collect::<Vec<u64>>());
    cancel.cancel();
    tracker.close();
}
