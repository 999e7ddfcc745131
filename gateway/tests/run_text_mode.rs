//! Text-mode ports (`text_mode = true`, `AT+CMGF=1`) against the simulated lab: inbound SMS in
//! GSM and in UCS2 (Cyrillic, emoji) appear in `/api/v1/inbound` with sender and text, a STOP
//! keyword is recognised, and each message is deleted from the SIM after its commit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use smsgate_gateway::clock::SystemClock;
use smsgate_hardware::Inbound;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_mode_inbound_in_gsm_and_ucs2_is_stored_and_removed_from_the_sim() {
    let t = lab(1, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let mut cfg = config(&t, &spool, "0", 0);
    cfg.ports[0].text_mode = true;
    let gw = start(cfg, Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    let modem = &t.lab.modems().await.unwrap()[0];
    assert_eq!(modem.state.cmgf, 1, "the port runs in text mode");

    let cases = [
        ("+33611111111", "plain text @ 5€ [ok]"),
        ("+33622222222", "UCS2 Привет 😀"),
        ("+33633333333", "STOP"),
    ];
    for (from, text) in cases {
        t.lab
            .inject(&Inbound {
                from: from.into(),
                to: "#0".into(),
                text: text.into(),
                encoding: None,
                out_of_order: false,
                drop_part: None,
            })
            .unwrap();
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    let got = loop {
        let got = gw.api.inbound().await;
        if got.len() >= cases.len() {
            break got;
        }
        assert!(tokio::time::Instant::now() < deadline, "inbound: {got:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(got.len(), cases.len(), "{got:#?}");
    for (from, text) in cases {
        let m = got
            .iter()
            .find(|m| m["from"] == from)
            .unwrap_or_else(|| panic!("{from} missing: {got:#?}"));
        assert_eq!(m["text"], text, "{m}");
        assert_eq!(m["port"], 0);
    }
    assert_eq!(
        got.iter().find(|m| m["from"] == "+33633333333").unwrap()["keyword"],
        "stop"
    );

    // Deleted from the SIM once stored.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let st = t.lab.modems().await.unwrap()[0].state.clone();
        if st.stored.iter().sum::<usize>() == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still on the SIM: {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The sweep finds nothing more to store.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(gw.api.inbound().await.len(), cases.len());
    gw.stop().await;
}
