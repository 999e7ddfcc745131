//! Bulk uploads as a browser form or `curl -F file=@list.csv` sends them: the `file` field of a
//! `multipart/form-data` body is read exactly as the raw body is — same per-line errors, same
//! `[api] bulk_max_bytes` bound on the file (the form's own headers do not count), nothing
//! imported on any error. Real spool file, the gateway's router.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::spool::Spool;
use std::sync::Arc;
use tower::ServiceExt;

const TOKEN: &str = "test-token-0123456789";
const BOUNDARY: &str = "------------------------a1b2c3d4e5f6";

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    spool: Spool,
}

fn fixture(extra_api: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let c = GatewayConfig::from_toml_str(&format!(
        "[api]\ntoken = \"{TOKEN}\"\n{extra_api}\n[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n\
         [[groups]]\nname = \"bulk\"\nports = \"0\"\n"
    ))
    .unwrap();
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let state = ApiState::new(
        spool.clone(),
        &c,
        TOKEN,
        GatewayMetrics::new(),
        Arc::new(SystemClock),
    );
    Fixture {
        _dir: dir,
        app: router(state),
        spool,
    }
}

/// The body curl sends for `-F note=… -F file=@name` (a text field first, then the file).
fn form(file_name: &str, file: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nfrom the field\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    )
}

async fn post(
    app: &axum::Router,
    path: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let b = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn multipart() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

#[tokio::test]
async fn a_dialer_csv_and_a_blocklist_in_a_form_file_field_are_imported_like_raw_bodies() {
    let f = fixture("");
    let csv = "campaign;destiny;message;priority\npromo;+447700900001;Hello;1\npromo;+447700900002;Hi;2\n";
    let (s, v) = post(
        &f.app,
        "/api/v1/bulk/messages?group=bulk",
        &multipart(),
        form("dialer.csv", csv),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["imported"], 2);
    let (s, v) = post(
        &f.app,
        "/api/v1/bulk/blocklist",
        &multipart(),
        form("dnc.csv", "+447700900002;\n555000111;;\n"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["imported"].as_u64(), v["added"].as_u64()),
        (Some(2), Some(2))
    );
    let depth = f.spool.call(|db| db.queue_depth()).await.unwrap();
    assert_eq!(depth, [("bulk".to_owned(), 2)]);
}

#[tokio::test]
async fn a_form_file_with_bad_lines_gets_the_same_per_line_errors_as_the_raw_body_and_imports_nothing()
 {
    let f = fixture("");
    let csv = "c;098344384;ok;1\nc;bad;x;1\nc;098344385;;1\nc;098344386;ok;1\n";
    let (s1, raw) = post(&f.app, "/api/v1/bulk/messages", "text/csv", csv.to_owned()).await;
    let (s2, formed) = post(
        &f.app,
        "/api/v1/bulk/messages",
        &multipart(),
        form("bad.csv", csv),
    )
    .await;
    assert_eq!(
        (s1, s2),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY
        )
    );
    assert_eq!(formed, raw, "the same answer");
    let lines: Vec<u64> = formed["error"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3]);
    let (s, v) = post(
        &f.app,
        "/api/v1/bulk/blocklist",
        &multipart(),
        form("dnc.csv", "123;\nabc;\n"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        f.spool
            .call(|db| db.queue_depth())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_byte_bound_counts_the_file_not_the_form_and_a_larger_file_is_refused_naming_the_key() {
    let f = fixture("bulk_max_bytes = 1000");
    // 60 lines of 16 bytes: 960 bytes of file in a body well over 1000 bytes.
    let file: String = (0..60).map(|i| format!("+4477009{i:05};x\n")).collect();
    assert!(file.len() <= 1000 && form("dnc.csv", &file).len() > 1000);
    let (s, v) = post(
        &f.app,
        "/api/v1/bulk/blocklist",
        &multipart(),
        form("dnc.csv", &file),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let big: String = (0..70).map(|i| format!("+4477009{i:05};x\n")).collect();
    for ct in [multipart(), "text/csv".to_owned()] {
        let body = if ct == "text/csv" {
            big.clone()
        } else {
            form("dnc.csv", &big)
        };
        let (s, v) = post(&f.app, "/api/v1/bulk/blocklist", &ct, body).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{ct}: {v}");
        assert_eq!(v["error"]["field"], "file");
        assert_eq!(
            v["error"]["message"],
            "the file is larger than 1000 bytes (api.bulk_max_bytes)"
        );
    }
}

#[tokio::test]
async fn a_form_without_a_file_field_is_refused_naming_the_field() {
    let f = fixture("");
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\n123;\r\n--{BOUNDARY}--\r\n"
    );
    let (s, v) = post(&f.app, "/api/v1/bulk/blocklist", &multipart(), body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "file");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("curl -F file=@"),
        "{v}"
    );
}
