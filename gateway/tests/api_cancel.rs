//! `POST /api/v1/messages/{id}/cancel` over a real spool file, through the router.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::spool::{MessageState, Spool};
use std::sync::Arc;
use tower::ServiceExt;

const TOKEN: &str = "test-token-0123456789";

const CONFIG: &str = r#"
[api]
token = "test-token-0123456789"
[[ports]]
id = 0
device = "/dev/ttyUSB0"
[[groups]]
name = "bulk"
ports = "0"
"#;

async fn call(app: &axum::Router, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_queued_message_is_cancelled_and_one_a_port_took_is_a_conflict_naming_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap(),
    ));
    let spool = Spool::open_with_clock(&dir.path().join("spool.sqlite"), clock.clone()).unwrap();
    let config = GatewayConfig::from_toml_str(CONFIG).unwrap();
    let app = router(ApiState::new(
        spool.clone(),
        &config,
        TOKEN,
        GatewayMetrics::new(),
        clock,
    ));
    let submit = || {
        call(
            &app,
            "/api/v1/messages",
            Some(json!({"to": "1234", "text": "x"})),
        )
    };

    let (_, v) = submit().await;
    let queued = v["id"].as_i64().unwrap();
    let (status, v) = call(&app, &format!("/api/v1/messages/{queued}/cancel"), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "cancelled");
    let m = spool.call(move |db| db.get(queued)).await.unwrap().unwrap();
    assert_eq!(m.state, MessageState::Cancelled);
    assert!(
        spool
            .call(|db| db.claim_next("bulk", 0))
            .await
            .unwrap()
            .is_none(),
        "a cancelled message is never claimed"
    );

    let (_, v) = submit().await;
    let taken = v["id"].as_i64().unwrap();
    spool
        .call(|db| db.claim_next("bulk", 0))
        .await
        .unwrap()
        .unwrap();
    let (status, v) = call(&app, &format!("/api/v1/messages/{taken}/cancel"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        v["error"]["message"],
        format!(
            "message {taken} is sending; only a message no port has taken (queued) can be cancelled"
        )
    );
    let m = spool.call(move |db| db.get(taken)).await.unwrap().unwrap();
    assert_eq!(m.state, MessageState::Sending, "nothing changed");

    let (status, _) = call(&app, "/api/v1/messages/999/cancel", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
