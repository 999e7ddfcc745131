//! The link under load on the embedded broker and on mosquitto: a burst of commands (each answered with an
//! `up/ack`) meeting a burst of outbox events (each answered with a `down/ack` receipt) on one
//! gateway connection. Before the fix the gateway PUBACKed a receipt at once but a command only
//! after its reply's PUBACK, so its PUBACKs left out of arrival order and rumqttd dropped the
//! connection ("out of order ack") over and over.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use smsgate_mqtt::mosquitto::{MosquittoAuth, MosquittoConfig};
use smsgate_mqtt::{GatewayLink, HubLink, LinkStatus};
use smsgate_wire::Up;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Counts the connections a link made (1 = never dropped).
fn watch_connections(link: &GatewayLink) -> Arc<Mutex<u64>> {
    let seen = Arc::new(Mutex::new(0));
    let mut status = link.status();
    let out = seen.clone();
    tokio::spawn(async move {
        loop {
            if let LinkStatus::Connected(n) = *status.borrow_and_update() {
                *out.lock().unwrap() = n;
            }
            if status.changed().await.is_err() {
                return;
            }
        }
    });
    seen
}

/// 400 commands for gateway `a` and 400 events from it, all at once, through the broker at
/// `addr`: every command applied once and acked, every event receipted, no connection lost.
async fn burst(addr: SocketAddr, cancel: CancellationToken) {
    const N: usize = 400;
    let tracker = TaskTracker::new();
    let sink = RecordingSink::default();
    let outbox = MemOutbox::default();
    let link = GatewayLink::spawn(
        gw("a"),
        link_options(addr, "a", &pass_of("a")),
        None,
        outbox.clone(),
        sink.clone(),
        cancel.clone(),
        &tracker,
    )
    .unwrap();
    link.status()
        .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
        .await
        .unwrap();
    let connections = watch_connections(&link);
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
    hub.presence()
        .wait_for(|p| p.values().any(|s| s.online))
        .await
        .unwrap();

    let mut commands = Vec::new();
    for i in 0..N {
        let c = send_command(&format!("+336{i:08}"));
        commands.push(c.id());
        downs.push(gw("a"), c);
        outbox.push(heartbeat(i as u64));
        if i % 50 == 0 {
            hub.notify_downs();
            link.notify_outbox();
            tokio::task::yield_now().await;
        }
    }
    hub.notify_downs();
    link.notify_outbox();

    let acked_commands = || {
        hub_sink
            .ingested
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, u)| match u {
                Up::Ack(a) => Some(a.ack_of),
                _ => None,
            })
            .collect::<std::collections::HashSet<_>>()
    };
    eventually(
        60,
        "every command applied and acked, every event receipted",
        || {
            let acked = acked_commands();
            commands.iter().all(|c| acked.contains(c)) && outbox.pending() == 0
        },
    )
    .await;
    let calls = sink.calls.lock().unwrap().clone();
    let distinct: std::collections::HashSet<_> = calls.iter().collect();
    assert_eq!(distinct.len(), N, "every command reached the sink");
    assert_eq!(
        *connections.lock().unwrap(),
        1,
        "the gateway's connection was dropped under load"
    );
    assert_eq!(
        hub.status().borrow().clone(),
        LinkStatus::Connected(1),
        "the hub's connection was dropped under load"
    );
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_commands_and_events_in_both_directions_never_drops_the_connection() {
    let cancel = CancellationToken::new();
    let broker = embedded(&["a"], &cancel).await;
    burst(broker.local_addr(), cancel).await;
}

/// mosquitto on a free port with this crate's generated files (killed on drop).
struct Mosquitto(Child);

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn mosquitto(dir: &std::path::Path) -> (Mosquitto, SocketAddr) {
    let mut auth = MosquittoAuth::new(HUB_USER, HUB_PASS).unwrap();
    auth.add_gateway(&gw("a"), &pass_of("a")).unwrap();
    std::fs::write(dir.join("passwords"), auth.password_file()).unwrap();
    std::fs::write(dir.join("acl"), auth.acl_file()).unwrap();
    for _ in 0..5 {
        let addr = free_addr();
        let config = MosquittoConfig {
            listen: addr,
            password_file: dir.join("passwords"),
            acl_file: dir.join("acl"),
            persistence_dir: None,
            tls: None,
        };
        let conf = dir.join("mosquitto.conf");
        // As root, keep mosquitto from switching to a user that cannot read the temp dir.
        std::fs::write(&conf, format!("{}user root\n", config.render())).unwrap();
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto must be installed (apt-get install mosquitto)");
        let mut m = Mosquitto(child);
        for _ in 0..250 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return (m, addr);
            }
            if m.0.try_wait().ok().flatten().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    panic!("mosquitto did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_burst_through_mosquitto_never_drops_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (_broker, addr) = mosquitto(dir.path()).await;
    burst(addr, CancellationToken::new()).await;
}
