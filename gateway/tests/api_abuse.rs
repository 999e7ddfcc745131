//! The local API's safe defaults (issue 8): the auth scheme in any case, bounded free-text
//! fields, a default page size and a cursor on every list. Real spool file, real listener.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::ports::{Board, PortsHandle};
use smsgate_gateway::spool::Spool;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

const TOKEN: &str = "test-token-0123456789";

struct Fixture {
    _dir: tempfile::TempDir,
    base: String,
}

/// A gateway API with `ports` configured ports (ids 0..ports) in one group `g`.
async fn fixture(ports: u16) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap(),
    ));
    let spool = Spool::open_with_clock(&dir.path().join("spool.sqlite"), clock.clone()).unwrap();
    let mut toml = format!("[api]\ntoken = \"{TOKEN}\"\n");
    for i in 0..ports {
        writeln!(toml, "[[ports]]\nid = {i}\ndevice = \"/dev/ttyUSB{i}\"").unwrap();
    }
    writeln!(
        toml,
        "[[groups]]\nname = \"g\"\nports = \"0-{}\"",
        ports - 1
    )
    .unwrap();
    let config = GatewayConfig::from_toml_str(&toml).unwrap();
    let board = Board::new(0..ports);
    let state = ApiState::new(spool, &config, TOKEN, GatewayMetrics::new(), clock)
        .with_ports(PortsHandle::new(board, BTreeMap::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    Fixture { _dir: dir, base }
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn submit(base: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/messages"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let f = fixture(1).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let resp = reqwest::Client::new()
            .get(format!("{}/api/v1/ports", f.base))
            .header("Authorization", format!("{scheme} {TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{scheme}");
    }
    let wrong = reqwest::Client::new()
        .get(format!("{}/api/v1/ports", f.base))
        .header("Authorization", format!("bearer x{TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong.status().as_u16(),
        401,
        "the token itself still counts"
    );
}

#[tokio::test]
async fn oversized_free_text_fields_are_refused_naming_the_field_without_quoting_them_back() {
    let f = fixture(1).await;
    let huge = "g".repeat(100_000);
    for (field, body) in [
        (
            "group",
            json!({"to": "+447700900001", "text": "hi", "group": huge}),
        ),
        (
            "campaign",
            json!({"to": "+447700900001", "text": "hi", "campaign": huge}),
        ),
        (
            "idempotency_key",
            json!({"to": "+447700900001", "text": "hi", "idempotency_key": huge}),
        ),
        ("to", json!({"to": huge, "text": "hi"})),
    ] {
        let (status, body) = submit(&f.base, body).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["error"]["field"], field);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.len() < 200, "{field}: {} bytes", message.len());
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/Integra/resources/SMS/SendSMS", f.base))
        .bearer_auth(TOKEN)
        .form(&[
            ("destination", "+447700900001"),
            ("message", "hi"),
            ("agent", huge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["field"], "agent");
}

#[tokio::test]
async fn the_ports_list_is_paged_100_at_a_time_with_a_cursor() {
    let f = fixture(250).await;
    let (status, first) = get(&f.base, "/api/v1/ports").await;
    assert_eq!(status, 200, "{first}");
    let ids = |page: &Value| -> Vec<u64> {
        page["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["port"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ids(&first), (0..100).collect::<Vec<_>>());
    assert_eq!(first["next"], 99);
    let (_, second) = get(&f.base, "/api/v1/ports?after=99&limit=1000").await;
    assert_eq!(ids(&second), (100..250).collect::<Vec<_>>());
    assert_eq!(second["next"], Value::Null, "the last page");
    let (status, bad) = get(&f.base, "/api/v1/ports?limit=5000").await;
    assert_eq!(status, 422);
    assert_eq!(bad["error"]["field"], "limit");
}

#[tokio::test]
async fn the_inbound_list_has_a_default_page_size() {
    let f = fixture(1).await;
    let (status, page) = get(&f.base, "/api/v1/inbound").await;
    assert_eq!(status, 200);
    assert_eq!(page["messages"], json!([]));
    let (status, bad) = get(&f.base, "/api/v1/inbound?limit=0").await;
    assert_eq!(status, 422);
    assert_eq!(bad["error"]["field"], "limit");
}
