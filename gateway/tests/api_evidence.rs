//! The message view of the local API shows the evidence that settled an `unknown` message and
//! the ambiguous reports left for the operator (field names the box UI reads).

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, header};
use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::spool::{DeliveryReport, DeliveryStatus, NewMessage, Spool};
use std::sync::Arc;
use tower::ServiceExt;

const TOKEN: &str = "test-token-0123456789";
const CONFIG: &str = "[api]\ntoken = \"test-token-0123456789\"\n[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n[[groups]]\nname = \"g\"\nports = \"0\"\n";

async fn get(app: &axum::Router, id: i64) -> Value {
    let req = Request::builder()
        .uri(format!("/api/v1/messages/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn the_message_view_shows_the_evidence_and_the_ambiguous_reports_with_their_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let path = dir.path().join("spool.sqlite");
    let spool = Spool::open_with_clock(&path, clock.clone()).unwrap();
    // Three messages claimed on port 0 and cut while sending: one to A, two to B.
    let ids: Vec<i64> = spool
        .call(|db| {
            let mut ids = Vec::new();
            for to in ["+447700900001", "+447700900002", "+447700900002"] {
                let id = db.submit(NewMessage::new(to, "hi", "g"))?.id;
                db.claim(id, 0)?;
                ids.push(id);
            }
            Ok(ids)
        })
        .await
        .unwrap();
    drop(spool);
    let spool = Spool::open_with_clock(&path, clock.clone()).unwrap();
    assert_eq!(spool.recovered_at_open(), ids.as_slice());
    let report = |to: &str, reference| DeliveryReport {
        port: 0,
        reference,
        recipient: to.into(),
        status: DeliveryStatus::Delivered,
        received_at: t0 + Duration::minutes(1),
    };
    let (a, b) = (report("+447700900001", 3), report("+447700900002", 4));
    spool
        .call(move |db| {
            db.record_delivery_report(&a, Duration::hours(72))?;
            db.record_delivery_report(&b, Duration::hours(72))
        })
        .await
        .unwrap();
    let config = GatewayConfig::from_toml_str(CONFIG).unwrap();
    let app = router(ApiState::new(
        spool,
        &config,
        TOKEN,
        GatewayMetrics::new(),
        clock,
    ));

    let settled = get(&app, ids[0]).await;
    assert_eq!(settled["state"], "delivered");
    assert_eq!(settled["evidence"]["status"], "delivered");
    assert_eq!(settled["evidence"]["reference"], 3);
    assert_eq!(settled["evidence"]["port"], 0);
    assert_eq!(settled["evidence"]["rule"], "only_candidate");
    assert!(settled["evidence"]["settled_at"].is_string());
    assert_eq!(settled["ambiguous_reports"], Value::Array(vec![]));

    for id in &ids[1..] {
        let m = get(&app, *id).await;
        assert_eq!(m["state"], "unknown");
        assert_eq!(m["evidence"], Value::Null);
        assert_eq!(m["ambiguous_reports"][0]["reference"], 4);
        assert_eq!(
            m["ambiguous_reports"][0]["candidates"],
            serde_json::json!([ids[1], ids[2]])
        );
    }
}
