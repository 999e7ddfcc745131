//! Per-SIM caps and sending hours hold across a restart (injected wall clock): a SIM capped at
//! 3 a day sends 3, keeps the rest queued through a restart, and sends them the next day; a
//! group whose hours are closed sends nothing, before or after a restart, until its window opens.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use chrono::{TimeZone, Utc};
use run_support::*;
use smsgate_config::gateway::{GroupConfig, SendingHours};
use smsgate_gateway::clock::ManualClock;
use std::sync::Arc;
use std::time::Duration;

fn sent_by(t: &TestLab, modem: usize) -> usize {
    t.lab
        .handsets()
        .values()
        .flatten()
        .filter(|m| m.from_modem == modem)
        .count()
}

async fn wait_sent(t: &TestLab, modem: usize, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while sent_by(t, modem) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "modem {modem} sent {} of {n}",
            sent_by(t, modem)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_sim_caps_and_sending_hours_hold_across_a_restart() {
    let t = lab(2, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap(),
    ));
    let mut cfg = config(&t, &spool, "0", 20);
    cfg.groups[0].max_per_day = Some(3);
    let mut night = GroupConfig::new("night", smsgate_config::parse_port_spec("1").unwrap());
    night.interval_ms = 20;
    night.sending_hours = Some(SendingHours::try_from("22:00-06:00".to_string()).unwrap());
    cfg.groups.push(night);

    let gw = start(cfg.clone(), clock.clone()).await;
    gw.api.wait_registered(2).await;
    for i in 0..5 {
        gw.api
            .submit(&format!("+447930000{i:02}"), &format!("capped {i}"))
            .await;
    }
    for i in 0..2 {
        let (status, body) = gw
            .api
            .post(
                "/api/v1/messages",
                serde_json::json!({"to": format!("+447931000{i:02}"), "text": format!("night {i}"), "group": "night"}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    wait_sent(&t, 0, 3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sent_by(&t, 0), 3, "the day cap holds");
    assert_eq!(sent_by(&t, 1), 0, "closed hours hold");
    gw.stop().await;

    let gw = start(cfg.clone(), clock.clone()).await;
    gw.api.wait_registered(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sent_by(&t, 0), 3, "the day cap holds across the restart");
    assert_eq!(sent_by(&t, 1), 0, "closed hours hold across the restart");
    assert_eq!(gw.api.state_counts().await["queued"], 4);

    clock.set(Utc.with_ymd_and_hms(2026, 11, 21, 23, 0, 0).unwrap());
    wait_sent(&t, 1, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sent_by(&t, 0), 3, "same day: still capped");

    clock.set(Utc.with_ymd_and_hms(2026, 11, 22, 0, 30, 0).unwrap());
    wait_sent(&t, 0, 5).await;
    gw.stop().await;
}
