//! Local HTTP API over a real spool file: a few tests through a real 127.0.0.1 listener with
//! reqwest, the rest through the router directly.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::spool::{DeliveryReport, DeliveryStatus, NewInbound, SentPart, Spool};
use std::sync::Arc;
use tower::ServiceExt;

const TOKEN: &str = "test-token-0123456789";

const CONFIG: &str = r#"
[api]
token = "test-token-0123456789"
[[ports]]
id = 0
device = "/dev/ttyUSB0"
[[ports]]
id = 1
device = "/dev/ttyUSB1"
[[ports]]
id = 2
device = "/dev/ttyUSB2"
[[groups]]
name = "bulk"
ports = "0-1"
[[groups]]
name = "vip"
ports = "2"
"#;

struct Fixture {
    _dir: tempfile::TempDir,
    spool: Spool,
    app: axum::Router,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap(),
    ));
    let spool = Spool::open_with_clock(&dir.path().join("spool.sqlite"), clock.clone()).unwrap();
    let config = GatewayConfig::from_toml_str(CONFIG).unwrap();
    let state = ApiState::new(spool.clone(), &config, TOKEN, GatewayMetrics::new(), clock);
    Fixture {
        _dir: dir,
        spool,
        app: router(state),
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    raw(app, req.body(body).unwrap()).await
}

async fn raw(app: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}

async fn upload(app: &axum::Router, uri: &str, csv: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv.to_string()))
        .unwrap();
    raw(app, req).await
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_message_posted_over_real_http_is_accepted_and_readable() {
    let f = fixture();
    let base = serve(f.app.clone()).await;
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{base}/api/v1/messages"))
        .bearer_auth(TOKEN)
        .json(&json!({"to": "+598 98 344 484", "text": "Hola 👋", "priority": 5, "campaign": "c1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["state"], "queued");
    let id = body["id"].as_i64().unwrap();
    let m: Value = http
        .get(format!("{base}/api/v1/messages/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["to"], "+59898344484");
    assert_eq!(m["text"], "Hola 👋");
    assert_eq!(m["group"], "bulk", "the first group is the default");
    assert_eq!(m["priority"], 5);
    assert_eq!(m["state"], "queued");
    assert_eq!(m["created_at"], "2026-11-21T14:00:00Z");
}

#[tokio::test]
async fn requests_without_the_right_bearer_token_are_refused_over_real_http() {
    let f = fixture();
    let base = serve(f.app.clone()).await;
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1/messages/1");
    for auth in [
        None,
        Some("Bearer wrong-token-0123456789"),
        Some(TOKEN),
        Some("Basic dGVzdA=="),
    ] {
        let mut req = http.get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{auth:?}");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let ok = http.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(ok.status(), 404, "authorised, but no message 1 yet");
    let health = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "health needs no token");
}

#[tokio::test]
async fn the_legacy_send_sms_form_is_accepted_over_real_http() {
    let f = fixture();
    let base = serve(f.app.clone()).await;
    let resp = reqwest::Client::new()
        .post(format!("{base}/Integra/resources/SMS/SendSMS"))
        .bearer_auth(TOKEN)
        .form(&[
            ("destination", "099635199"),
            ("message", "Mensaje de prueba2"),
            ("campaign", "camp"),
            ("agent", "ana"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let id = body["id"].as_i64().unwrap();
    let m = f.spool.call(move |db| db.get(id)).await.unwrap().unwrap();
    assert_eq!(
        (m.to.as_str(), m.text.as_str(), m.campaign.as_deref()),
        ("099635199", "Mensaje de prueba2", Some("camp"))
    );
    let bad = reqwest::Client::new()
        .post(format!("{base}/Integra/resources/SMS/SendSMS"))
        .bearer_auth(TOKEN)
        .form(&[("destination", "nope"), ("message", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["field"], "destination");
}

#[tokio::test]
async fn each_invalid_submission_gets_a_422_naming_its_field() {
    let f = fixture();
    let cases = [
        (json!({"to": "abc", "text": "x"}), "to"),
        (json!({"to": "099123456", "text": "   "}), "text"),
        (
            json!({"to": "099123456", "text": "x", "group": "nope"}),
            "group",
        ),
        (json!({"to": "099123456", "text": "x", "port": 9}), "port"),
        (
            json!({"to": "099123456", "text": "x", "group": "vip", "port": 0}),
            "port",
        ),
        (
            json!({"to": "099123456", "text": "x", "validity": 0}),
            "validity",
        ),
        (
            json!({"to": "099123456", "text": "x", "campaign": "a\u{1}b"}),
            "campaign",
        ),
        (
            json!({"to": "099123456", "text": "x".repeat(17_086)}),
            "text",
        ),
    ];
    for (body, field) in cases {
        let (status, v) = call(&f.app, "POST", "/api/v1/messages", Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(v["error"]["code"], "invalid_field");
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
    }
    let depth = f.spool.call(|db| db.queue_depth()).await.unwrap();
    assert!(depth.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_malformed_body_is_a_400_with_the_json_error_shape() {
    let f = fixture();
    for body in [
        json!({"text": "x"}),
        json!({"to": "1234", "text": "x", "colour": "red"}),
        json!([1]),
    ] {
        let (status, v) = call(&f.app, "POST", "/api/v1/messages", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"]["code"], "bad_request");
        assert!(v["error"]["message"].as_str().unwrap().len() > 5);
    }
}

#[tokio::test]
async fn a_port_pins_the_message_and_selects_its_group() {
    let f = fixture();
    let (status, v) = call(
        &f.app,
        "POST",
        "/api/v1/messages",
        Some(json!({"to": "1234", "text": "x", "port": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, m) = call(
        &f.app,
        "GET",
        &format!("/api/v1/messages/{}", v["id"]),
        None,
    )
    .await;
    assert_eq!(
        (m["group"].as_str(), m["pinned_port"].as_u64()),
        (Some("vip"), Some(2))
    );
}

#[tokio::test]
async fn a_retried_submission_with_an_idempotency_key_returns_the_first_id() {
    let f = fixture();
    let body = json!({"to": "1234", "text": "x", "idempotency_key": "order-77"});
    let (_, a) = call(&f.app, "POST", "/api/v1/messages", Some(body.clone())).await;
    let (status, b) = call(&f.app, "POST", "/api/v1/messages", Some(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(
        (a["duplicate"].as_bool(), b["duplicate"].as_bool()),
        (Some(false), Some(true))
    );
}

#[tokio::test]
async fn a_blocklisted_number_is_accepted_as_blocked() {
    let f = fixture();
    let (status, v) = upload(
        &f.app,
        "/api/v1/bulk/blocklist",
        "123578408;marcadortest;\n555000111;;\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["imported"].as_u64(), v["added"].as_u64()),
        (Some(2), Some(2))
    );
    let (status, v) = call(
        &f.app,
        "POST",
        "/api/v1/messages",
        Some(json!({"to": "555000111", "text": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(v["state"], "blocked");
    let (_, v) = call(
        &f.app,
        "POST",
        "/api/v1/messages",
        Some(json!({"to": "123578408", "text": "x", "campaign": "other"})),
    )
    .await;
    assert_eq!(v["state"], "queued", "blocked only for marcadortest");
}

#[tokio::test]
async fn a_dialer_file_is_imported_whole_with_priorities_and_blocklist_applied() {
    let f = fixture();
    f.spool
        .call(|db| {
            db.block_numbers(&[smsgate_gateway::spool::BlockEntry {
                number: "098356484".into(),
                campaign: None,
            }])
        })
        .await
        .unwrap();
    let csv = "campign;destiny;menssage;priority\ncampsms;098344384;Hey World!;1;\ncampsms;098356484;Hey World!;9999;\ncampsms;098378984;Hey World!;9999;\n\n";
    let (status, v) = upload(&f.app, "/api/v1/bulk/messages?group=vip", csv).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        (v["imported"].as_u64(), v["blocked"].as_u64()),
        (Some(3), Some(1))
    );
    let first = f
        .spool
        .call(|db| db.claim_next("vip", 2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.to.as_str(), first.priority, first.campaign.as_deref()),
        ("098378984", 9999, Some("campsms"))
    );
}

#[tokio::test]
async fn a_dialer_file_with_a_bad_line_imports_nothing_and_lists_every_bad_line() {
    let f = fixture();
    let csv = "c;098344384;ok;1\nc;bad;x;1\nc;098344385;;1\nc;098344386;ok;1\n";
    let (status, v) = upload(&f.app, "/api/v1/bulk/messages", csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["code"], "invalid_file");
    let lines: Vec<u64> = v["error"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3]);
    assert!(
        f.spool
            .call(|db| db.queue_depth())
            .await
            .unwrap()
            .is_empty(),
        "nothing imported"
    );
}

#[tokio::test]
async fn requeue_works_for_unknown_or_failed_and_is_a_conflict_otherwise() {
    let f = fixture();
    let (_, v) = call(
        &f.app,
        "POST",
        "/api/v1/messages",
        Some(json!({"to": "1234", "text": "x"})),
    )
    .await;
    let id = v["id"].as_i64().unwrap();
    let (status, v) = call(
        &f.app,
        "POST",
        &format!("/api/v1/messages/{id}/requeue"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        v["error"]["message"],
        format!("message {id} is queued; only unknown or failed messages can be requeued")
    );
    f.spool
        .call(move |db| {
            db.claim_next("bulk", 0)?;
            db.mark_failed(id, "+CMS ERROR: 38")
        })
        .await
        .unwrap();
    let (status, v) = call(
        &f.app,
        "POST",
        &format!("/api/v1/messages/{id}/requeue"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["state"], "queued");
    let (status, _) = call(&f.app, "POST", "/api/v1/messages/999/requeue", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_sent_message_shows_its_parts_with_port_reference_and_state() {
    let f = fixture();
    let (_, v) = call(
        &f.app,
        "POST",
        "/api/v1/messages",
        Some(json!({"to": "099111222", "text": "long"})),
    )
    .await;
    let id = v["id"].as_i64().unwrap();
    f.spool
        .call(move |db| {
            db.claim_next("bulk", 1)?;
            db.mark_sent(
                id,
                &[
                    SentPart {
                        seq: 1,
                        port: 1,
                        reference: 200,
                    },
                    SentPart {
                        seq: 2,
                        port: 1,
                        reference: 201,
                    },
                ],
            )?;
            db.record_delivery_report(
                &DeliveryReport {
                    port: 1,
                    reference: 200,
                    recipient: "+59899111222".into(),
                    status: DeliveryStatus::Delivered,
                    received_at: Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 5).unwrap(),
                },
                chrono::Duration::hours(1),
            )
        })
        .await
        .unwrap();
    let (_, m) = call(&f.app, "GET", &format!("/api/v1/messages/{id}"), None).await;
    assert_eq!(m["state"], "sent");
    assert_eq!(m["parts"][0]["state"], "delivered");
    assert_eq!(m["parts"][1]["reference"], 201);
    assert_eq!(m["parts"][1]["port"], 1);
    assert_eq!(m["sent_at"], "2026-11-21T14:00:00Z");
}

#[tokio::test]
async fn inbound_messages_are_paged_with_a_cursor() {
    let f = fixture();
    f.spool
        .call(|db| {
            for i in 0..3 {
                db.store_inbound(&NewInbound {
                    from: format!("+1555000{i}"),
                    port: 1,
                    sim: None,
                    text: format!("msg {i} ✓"),
                    sent_at: None,
                    received_at: Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, i).unwrap(),
                })?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let (status, page) = call(&f.app, "GET", "/api/v1/inbound?limit=2", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
    assert_eq!(page["messages"][0]["from"], "+15550000");
    assert_eq!(page["messages"][0]["text"], "msg 0 ✓");
    let (_, page2) = call(
        &f.app,
        "GET",
        &format!("/api/v1/inbound?since={}", page["next"]),
        None,
    )
    .await;
    assert_eq!(page2["messages"].as_array().unwrap().len(), 1);
    let (_, page3) = call(
        &f.app,
        "GET",
        &format!("/api/v1/inbound?since={}", page2["next"]),
        None,
    )
    .await;
    assert_eq!(page3["messages"].as_array().unwrap().len(), 0);
    assert_eq!(
        page3["next"], page2["next"],
        "an empty page keeps the cursor"
    );
    let (status, v) = call(&f.app, "GET", "/api/v1/inbound?limit=0", None).await;
    assert_eq!(
        (status, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let (status, _) = call(&f.app, "GET", "/api/v1/inbound?since=abc", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metrics_show_queue_depth_per_group_and_states() {
    let f = fixture();
    for _ in 0..3 {
        call(
            &f.app,
            "POST",
            "/api/v1/messages",
            Some(json!({"to": "1234", "text": "x"})),
        )
        .await;
    }
    let (status, body) = raw(
        &f.app,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(
        text.contains("smsgate_queue_depth{group=\"bulk\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("smsgate_queue_depth{group=\"vip\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("smsgate_messages{state=\"queued\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("smsgate_api_submissions_total{result=\"queued\"} 3"),
        "{text}"
    );
}

#[test]
fn per_port_send_failure_and_signal_series_are_exported() {
    let m = GatewayMetrics::new();
    m.record_send(3);
    m.record_send(3);
    m.record_failure(3, "cms_error");
    m.set_signal(3, -71.0);
    let text = m.render();
    assert!(text.contains("smsgate_sends_total{port=\"3\"} 2"), "{text}");
    assert!(
        text.contains("smsgate_send_failures_total{port=\"3\",reason=\"cms_error\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("smsgate_signal_dbm{port=\"3\"} -71"),
        "{text}"
    );
}

#[tokio::test]
async fn the_seed_send_sms_url_with_parameters_in_the_path_is_accepted() {
    let f = fixture();
    let (status, v) = call(
        &f.app,
        "GET",
        "/Integra/resources/SMS/SendSMS/destination=099635199&message=Mensaje%20de%20prueba2&api=dongle",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let id = v["id"].as_i64().unwrap();
    let m = f.spool.call(move |db| db.get(id)).await.unwrap().unwrap();
    assert_eq!(
        (m.to.as_str(), m.text.as_str()),
        ("099635199", "Mensaje de prueba2")
    );
    let (status, v) = call(
        &f.app,
        "GET",
        "/Integra/resources/SMS/SendSMS/message=hi",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn a_non_numeric_message_id_gets_the_json_error_shape() {
    let f = fixture();
    for (method, uri) in [
        ("GET", "/api/v1/messages/abc"),
        ("POST", "/api/v1/messages/abc/requeue"),
    ] {
        let (status, v) = call(&f.app, method, uri, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(v["error"]["code"], "bad_request", "{uri}: {v}");
    }
}
