//! Routed (`+CMT`) multipart messages against the simulated lab (issue 14): a modem that offers
//! only routed delivery hands each part to the gateway and stores nothing, so the gateway
//! holds the parts in the spool until the message is whole. The first part arrives, the
//! gateway stops, a new run starts on the same spool file, the second part arrives: the
//! message is stored whole, once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use smsgate_gateway::clock::SystemClock;
use std::sync::Arc;
use std::time::Duration;

const FROM: &str = "+33612345678";

fn long_text() -> String {
    format!(
        "routed {}",
        "the quick brown fox jumps over the lazy dog ".repeat(5)
    )
}

/// The parts of `text` as the network would deliver them (one concatenation reference).
fn parts(text: &str) -> Vec<Vec<u8>> {
    let opts = smsgate_pdu::DeliverOptions {
        smsc: Some("+33609001390".into()),
        timestamp: chrono::Utc::now().fixed_offset(),
        concat_ref: 77,
        concat_16bit: false,
        encoding: None,
        status_report_indication: false,
        national_language: None,
    };
    smsgate_pdu::encode_deliver(FROM, text, &opts)
        .unwrap()
        .into_iter()
        .map(|p| p.bytes)
        .collect()
}

async fn texts(api: &Api) -> Vec<String> {
    api.inbound()
        .await
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routed_multipart_message_survives_a_restart_between_its_parts() {
    let t = lab(1, |c| c.routed_only = vec![0]);
    let spool = t.dir.path().join("spool.sqlite");
    let text = long_text();
    let parts = parts(&text);
    assert_eq!(parts.len(), 2);

    let gw = start(config(&t, &spool, "0", 0), Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    t.lab.deliver_pdu(0, parts[0].clone()).unwrap();
    // The part is held in the spool (nothing is on the SIM: the modem routed it).
    let held = tokio::time::timeout(WAIT, async {
        loop {
            let n: i64 = rusqlite::Connection::open(&spool)
                .unwrap()
                .query_row("SELECT count(*) FROM routed_parts", [], |r| r.get(0))
                .unwrap_or(0);
            if n > 0 {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the first part reaches the spool");
    assert_eq!(held, 1);
    assert!(texts(&gw.api).await.is_empty(), "nothing stored yet");
    gw.stop().await;

    let gw = start(config(&t, &spool, "0", 0), Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    t.lab.deliver_pdu(0, parts[1].clone()).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let got = texts(&gw.api).await;
            if !got.is_empty() {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the message is stored once its second part arrives");
    assert_eq!(got, std::slice::from_ref(&text), "stored whole");
    // Nothing left waiting, and nothing stored twice afterwards.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(texts(&gw.api).await, [text]);
    let left: i64 = rusqlite::Connection::open(&spool)
        .unwrap()
        .query_row("SELECT count(*) FROM routed_parts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "the held part went with the message");
    gw.stop().await;
}
