//! Bulk uploads read as a stream: the body goes to an unnamed temporary file in the spool's
//! directory (never whole in memory), pass 1 checks every line, pass 2 stores every row in ONE
//! spool transaction. A bad line anywhere — the last of 200,000 — imports nothing; every bad
//! line is named with its field; the temporary file is gone afterwards either way. Real spool
//! file, the gateway's router.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::spool::{MessageState, Spool};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

const TOKEN: &str = "test-token-0123456789";

struct Fixture {
    dir: tempfile::TempDir,
    app: axum::Router,
    spool: Spool,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let spool_path = dir.path().join("spool.sqlite");
    let c = GatewayConfig::from_toml_str(&format!(
        "[storage]\npath = {spool_path:?}\n[api]\ntoken = \"{TOKEN}\"\n\
         [[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n\
         [[groups]]\nname = \"bulk\"\nports = \"0\"\n"
    ))
    .unwrap();
    let spool = Spool::open(&spool_path).unwrap();
    let state = ApiState::new(
        spool.clone(),
        &c,
        TOKEN,
        GatewayMetrics::new(),
        Arc::new(SystemClock),
    );
    Fixture {
        dir,
        app: router(state),
        spool,
    }
}

async fn post(app: &axum::Router, path: &str, body: String) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(body))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let b = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Files this process holds open in `dir` that have no name any more (the upload's).
fn unnamed_open_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|p| p.starts_with(dir) && p.to_string_lossy().ends_with(" (deleted)"))
        .collect()
}

fn dialer(lines: usize) -> String {
    let mut f = String::with_capacity(lines * 40);
    for i in 0..lines {
        writeln!(f, "promo;+4477{i:08};Hello number {i};1").unwrap();
    }
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200k_line_upload_with_a_bad_last_line_imports_nothing_and_without_it_everything() {
    let f = fixture();
    let before = names(f.dir.path());
    let mut bad = dialer(199_999);
    bad.push_str("promo;+4477x;the last line;1\n");
    let (s, v) = post(&f.app, "/api/v1/bulk/messages", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "invalid_file");
    assert_eq!(
        v["error"]["lines"],
        serde_json::json!([{"line": 200_000, "message": "destiny: \"+4477x\" is not a phone number (optional '+' then 3 to 20 digits)"}])
    );
    assert!(
        f.spool
            .call(|db| db.state_counts())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(names(f.dir.path()), before, "no file left behind");
    assert!(unnamed_open_files(f.dir.path()).is_empty());

    let (s, v) = post(&f.app, "/api/v1/bulk/messages", dialer(200_000)).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(v["imported"], 200_000);
    let ids = v["ids"].as_array().unwrap();
    assert_eq!(ids.len(), 200_000);
    assert!(
        ids.windows(2).all(|w| w[0].as_i64() < w[1].as_i64()),
        "file order"
    );
    assert_eq!(
        f.spool.call(|db| db.state_counts()).await.unwrap(),
        [(MessageState::Queued, 200_000)]
    );
    assert_eq!(names(f.dir.path()), before, "no file left behind");
    assert!(unnamed_open_files(f.dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_waits_in_an_unnamed_file_in_the_spools_directory_that_is_gone_afterwards() {
    let f = fixture();
    let dir = std::fs::canonicalize(f.dir.path()).unwrap();
    let before = names(&dir);
    // Hold the spool's writer so the upload stops between its two passes.
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (held, holding) = tokio::sync::oneshot::channel();
    let spool = f.spool.clone();
    let blocker = tokio::spawn(async move {
        spool
            .call(move |_| {
                let _ = held.send(());
                let _ = wait.recv();
                Ok(())
            })
            .await
    });
    holding.await.unwrap();
    let upload = tokio::spawn({
        let app = f.app.clone();
        async move {
            post(
                &app,
                "/api/v1/bulk/blocklist",
                "+447700900001;\n555000111;;\n".into(),
            )
            .await
        }
    });
    let mut seen = Vec::new();
    for _ in 0..2000 {
        seen = unnamed_open_files(&dir);
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        seen.len(),
        1,
        "the upload's file, open in {}",
        dir.display()
    );
    release.send(()).unwrap();
    blocker.await.unwrap().unwrap();
    let (s, v) = upload.await.unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["imported"].as_u64(), v["added"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(unnamed_open_files(&dir).is_empty(), "closed and gone");
    assert_eq!(names(&dir), before, "no file left behind");
}

#[tokio::test]
async fn every_bad_line_is_named_with_its_field_and_a_long_list_is_capped_but_counted() {
    let f = fixture();
    let file = "campaign;destiny;message;priority\n\
                ok;099000001;fine;1\n\
                ok;09900000x;bad number;1\n\
                ok;099000002;;1\n\
                ok;099000003;prio;high\n";
    let (s, v) = post(&f.app, "/api/v1/bulk/messages", file.into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let lines: Vec<String> = v["error"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{}: {}", l["line"], l["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            "3: destiny: \"09900000x\" is not a phone number (optional '+' then 3 to 20 digits)",
            "4: message: must not be empty",
            "5: priority: \"high\" is not a whole number",
        ]
    );
    assert_eq!(
        v["error"]["message"],
        "the file has 3 bad line(s); nothing was imported"
    );
    let many: String = (0..5000).map(|i| format!("nope{i};x;\n")).collect();
    let (s, v) = post(&f.app, "/api/v1/bulk/blocklist", many).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["lines"].as_array().unwrap().len(), 100);
    assert_eq!(v["error"]["lines"][99]["line"], 100);
    assert_eq!(
        v["error"]["message"],
        "the file has 5000 bad line(s); nothing was imported (the first 100 are listed)"
    );
    assert!(
        f.spool
            .call(|db| db.state_counts())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !f.spool
            .call(|db| db.is_blocked("099000001", None))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_store_that_fails_at_its_last_row_rolls_back_every_row_before_it() {
    let f = fixture();
    let msgs = |fail_last: bool| {
        (0..200_000).map(move |i| {
            if fail_last && i == 199_999 {
                Err(smsgate_gateway::spool::SpoolError::Corrupt(
                    "the file changed".into(),
                ))
            } else {
                Ok(smsgate_gateway::spool::NewMessage::new(
                    format!("+4477{i:08}"),
                    "hello",
                    "bulk",
                ))
            }
        })
    };
    let r = f
        .spool
        .call(move |db| Ok(db.submit_iter(msgs(true))))
        .await
        .unwrap();
    assert!(r.is_err());
    assert!(
        f.spool
            .call(|db| db.state_counts())
            .await
            .unwrap()
            .is_empty(),
        "nothing half-applied"
    );
    let subs = f
        .spool
        .call(move |db| db.submit_iter(msgs(false)))
        .await
        .unwrap();
    assert_eq!(subs.len(), 200_000);
    assert_eq!(
        f.spool.call(|db| db.state_counts()).await.unwrap(),
        [(MessageState::Queued, 200_000)]
    );
}
