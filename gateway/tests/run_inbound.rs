//! Inbound against the simulated lab: SMS injected at the SIMs (single, UCS2/emoji, multipart
//! delivered out of order, a STOP keyword) appear in `/api/v1/inbound` with sender, port and
//! text; multipart parts are joined; the SIM storage is emptied only after the commit; USSD
//! balance works on demand through the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use smsgate_gateway::clock::SystemClock;
use smsgate_hardware::Inbound;
use std::sync::Arc;
use std::time::Duration;

fn inbound(from: &str, to: &str, text: &str, out_of_order: bool) -> Inbound {
    Inbound {
        from: from.into(),
        to: to.into(),
        text: text.into(),
        encoding: None,
        out_of_order,
        drop_part: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_sms_including_out_of_order_multipart_appear_in_the_inbound_api() {
    let t = lab(2, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let gw = start(config(&t, &spool, "0-1", 50), Arc::new(SystemClock)).await;
    gw.api.wait_registered(2).await;

    let long = format!(
        "long one: {}",
        "all work and no play makes jack a dull boy. ".repeat(8)
    );
    let cases = [
        ("+33612345678", "#0", "hello gateway".to_string(), false),
        ("+33612345679", "#1", "UCS2 Привет 😀 ok".to_string(), false),
        ("+33612345670", "#1", long.clone(), true),
        ("+33612345671", "#0", " STOP ".to_string(), false),
    ];
    for (from, to, text, ooo) in &cases {
        let parts = t.lab.inject(&inbound(from, to, text, *ooo)).unwrap();
        if text.starts_with("long") {
            assert!(parts >= 3, "the long text is multipart ({parts})");
        }
    }

    let deadline = tokio::time::Instant::now() + WAIT;
    let got = loop {
        let got = gw.api.inbound().await;
        if got.len() >= cases.len() {
            break got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "inbound so far: {got:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(got.len(), cases.len(), "each message once: {got:#?}");
    for (from, to, text, _) in &cases {
        let m = got
            .iter()
            .find(|m| m["from"] == *from)
            .unwrap_or_else(|| panic!("{from} missing: {got:#?}"));
        assert_eq!(m["text"], text.as_str());
        let port: u64 = to.trim_start_matches('#').parse().unwrap();
        assert_eq!(m["port"], port);
    }
    let stop = got.iter().find(|m| m["from"] == "+33612345671").unwrap();
    assert_eq!(stop["keyword"], "stop");
    assert!(
        got.iter()
            .filter(|m| m["from"] != "+33612345671")
            .all(|m| m["keyword"].is_null())
    );

    // Committed messages were deleted from the SIMs: the ports' counters say so and a restart
    // finds nothing left to read.
    let ports = gw.api.ports().await;
    let received: u64 = ports
        .iter()
        .map(|p| p["counters"]["received"].as_u64().unwrap())
        .sum();
    assert_eq!(received, cases.len() as u64);

    // USSD balance on demand.
    let code = t.lab.config().balance_code.clone();
    let (status, body) = gw
        .api
        .post("/api/v1/ports/1/ussd", serde_json::json!({"code": code}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["text"], t.lab.specs()[1].balance.as_str());
    let ports = gw.api.ports().await;
    assert_eq!(
        ports[1]["balance"],
        t.lab.specs()[1].balance.as_str(),
        "the balance code's answer is kept"
    );

    // Reset on demand: the modem restarts, is re-initialised and registers again.
    let (status, body) = gw
        .api
        .post("/api/v1/ports/0/reset", serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    gw.api.wait_registered(2).await;
    assert_eq!(gw.api.ports().await[0]["counters"]["resets"], 1);
    let (status, _) = gw
        .api
        .post("/api/v1/ports/9/reset", serde_json::json!({}))
        .await;
    assert_eq!(status, 404, "unknown port");
    gw.stop().await;

    let gw = start(config(&t, &spool, "0-1", 50), Arc::new(SystemClock)).await;
    gw.api.wait_registered(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // one storage sweep
    assert_eq!(
        gw.api.inbound().await.len(),
        cases.len(),
        "nothing re-read after restart"
    );
    gw.stop().await;
}
