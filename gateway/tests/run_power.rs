//! A modem that stays hung through its soft resets is power-cycled through the hardware
//! crate's `PowerControl` (here wired to the lab's simulated PWRKEY/RESET/STATUS pins), then
//! reopened, and the port recovers and sends again; a port without power control skips that
//! step and keeps retrying.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::ports::PowerCycle;
use smsgate_hardware::Fault;
use smsgate_hardware::power::{PowerControl, QUECTEL_EC25, SimBoard};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modem_hung_through_its_resets_is_power_cycled_and_recovers() {
    let t = lab(1, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let mut cfg = config(&t, &spool, "0", 20);
    cfg.supervision.command_timeout_ms = 1000;
    cfg.supervision.resets_before_power_cycle = 1;
    let board = SimBoard::new(t.lab.clone(), 0, QUECTEL_EC25);
    let power = PowerControl::new(
        board.pwrkey(),
        Some(board.reset()),
        Some(board.status()),
        board.delay(),
        QUECTEL_EC25,
    )
    .unwrap();
    let mut map: BTreeMap<u16, Box<dyn PowerCycle>> = BTreeMap::new();
    map.insert(0, Box::new(power));
    let gw = start_with_power(cfg, Arc::new(SystemClock), map).await;
    gw.api.wait_registered(1).await;

    t.lab
        .fault(0, Fault::Hang { commands: 10_000 })
        .await
        .unwrap();
    let id = gw
        .api
        .submit("+447940000001", "after the power cycle")
        .await;

    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let p = gw.api.ports().await.swap_remove(0);
        if p["counters"]["power_cycles"].as_u64().unwrap() >= 1 && p["state"] == "registered" {
            assert!(
                p["counters"]["resets"].as_u64().unwrap() >= 1,
                "a soft reset came first: {p:#}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never power-cycled: {p:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = tokio::time::timeout(WAIT, t.lab.wait_handset("+447940000001", 1))
        .await
        .unwrap();
    assert_eq!(got[0].text, "after the power cycle");
    assert_eq!(got.len(), 1);
    gw.api
        .wait_states("delivered", |c| c.get("delivered").copied() == Some(1))
        .await;
    assert_eq!(gw.api.state(id).await, "delivered");
    gw.stop().await;
}
