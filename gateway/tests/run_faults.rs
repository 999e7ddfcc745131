//! Faults from the simulator during a run — transient CMS errors, a hung modem, unplug/replug,
//! SIM removed/reinserted, storage full, garbage on the line — lead to failover and recovery,
//! never a stuck queue: every message leaves the queue and ends delivered (or `sent` when its
//! status report reached a modem that was unplugged, or `unknown` when a fault hit it
//! after its PDU went out), none reaches a handset twice, and every port comes back registered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use smsgate_gateway::clock::SystemClock;
use smsgate_hardware::Fault;
use smsgate_hardware::sim::config::Registration;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const MESSAGES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_faults_lead_to_failover_and_recovery_never_a_stuck_queue() {
    let t = lab(4, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let gw = start(config(&t, &spool, "0-3", 50), Arc::new(SystemClock)).await;
    gw.api.wait_registered(4).await;

    let mut csv = String::new();
    for i in 0..MESSAGES {
        csv.push_str(&format!("faults;+4479100{:05};f{i} under fire;0\n", i % 10));
    }
    let ids = gw.api.bulk(csv).await;
    assert_eq!(ids.len(), MESSAGES);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let lab = &t.lab;
    lab.fault(0, Fault::CmsError { code: 42, sends: 5 })
        .await
        .unwrap();
    lab.fault(1, Fault::Hang { commands: 4 }).await.unwrap();
    lab.fault(2, Fault::Unplug).await.unwrap();
    lab.fault(3, Fault::SimRemoved).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    lab.fault(0, Fault::Garbage { bytes: 64 }).await.unwrap();
    lab.fault(
        0,
        Fault::StorageFull {
            full: true,
            memory: None,
        },
    )
    .await
    .unwrap();
    lab.fault(2, Fault::Plug).await.unwrap();
    lab.fault(3, Fault::SimInserted).await.unwrap();
    lab.fault(
        1,
        Fault::Network {
            state: Registration::Searching,
        },
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    lab.fault(
        1,
        Fault::Network {
            state: Registration::Home,
        },
    )
    .await
    .unwrap();
    lab.fault(
        0,
        Fault::StorageFull {
            full: false,
            memory: None,
        },
    )
    .await
    .unwrap();

    gw.api
        .wait_states("the queue drained", |c| {
            let n = |s: &str| c.get(s).copied().unwrap_or(0);
            n("queued") == 0
                && n("delivered") + n("sent") + n("sending") + n("unknown") == MESSAGES as u64
        })
        .await;
    let counts = gw.api.state_counts().await;
    let maybe =
        counts.get("sending").copied().unwrap_or(0) + counts.get("unknown").copied().unwrap_or(0);
    assert!(
        maybe <= 2,
        "at most the in-flight sends of unplugged/hung ports are unknown: {counts:?}"
    );
    // A status report that reaches an unplugged or hung modem is lost: its message stays `sent`.
    assert!(counts.get("sent").copied().unwrap_or(0) <= 3, "{counts:?}");

    // None sent twice.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for m in lab.handsets().values().flatten() {
        *seen.entry(m.text.clone()).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    assert!(seen.len() >= MESSAGES - maybe as usize);

    // Every port recovers by itself.
    gw.api.wait_registered(4).await;
    let ports = gw.api.ports().await;
    assert!(
        ports[2]["counters"]["opens"].as_u64().unwrap() >= 2,
        "port 2 reopened: {:#}",
        ports[2]
    );
    // The hung modem is soft-reset once a command times out and a bare `AT` gets no answer.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let p1 = gw.api.ports().await.swap_remove(1);
        if p1["counters"]["resets"].as_u64().unwrap() >= 1 && p1["state"] == "registered" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "port 1 never reset: {p1:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        ports[0]["counters"]["failed"].as_u64().unwrap() >= 1,
        "port 0 saw CMS errors: {:#}",
        ports[0]
    );
    gw.stop().await;
}
