//! The HTTP control API over a real TCP socket.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_api_lists_injects_faults_and_reports_errors_by_field() {
    let t = common::start(2, |_| {});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(smsgate_hardware::sim::control::serve(
        t.lab.clone(),
        listener,
    ));
    let http = reqwest::Client::new();

    let list: Value = http
        .get(format!("{base}/api/modems"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[1]["msisdn"], "+15550000002");
    assert_eq!(list[1]["state"]["sim"], "ready");

    let r = http
        .post(format!("{base}/api/inject"))
        .json(&json!({"from": "+33612345678", "to": "+15550000002", "text": "hello 😀"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["parts"], 1);
    let list: Value = http
        .get(format!("{base}/api/modems"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[1]["state"]["stored"][0], 1);

    let r = http
        .post(format!("{base}/api/inject"))
        .json(&json!({"from": "+33612345678", "to": "+19999", "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .starts_with("to:")
    );

    let r = http
        .post(format!("{base}/api/modems/0/fault"))
        .json(&json!({"kind": "sim-removed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = http
        .get(format!("{base}/api/modems"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["state"]["sim"], "removed");

    let r = http
        .post(format!("{base}/api/modems/7/fault"))
        .json(&json!({"kind": "reboot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let hs: Value = http
        .get(format!("{base}/api/handsets"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hs, json!({}));
}
