//! Issue 18's proofs against the simulated Dinstar behaving as documented (Digest-only login,
//! GET queries, placeholder USSD replies with a delay, reports out of order and stamped with
//! the send time, local-time stamps, a port losing its SIM, pushes), with the gateway
//! in-process: inbound once per device and on the record's own port; USSD sessions; a late
//! report; NO_SIM; time zones; `unknown` sends reconciled; cancel through `stop_sms`; push mode.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dinstar_support;
mod run_support;

use dinstar_support::*;
use run_support::*;
use smsgate_config::gateway::TimeZone;
use smsgate_gateway::clock::SystemClock;
use smsgate_hardware::sim::dinstar::control;
use smsgate_hardware::{Fault, Inbound};
use std::sync::Arc;
use std::time::Duration;

fn inject(t: &TestLab, from: &str, modem: usize, text: &str) {
    t.lab
        .inject(&Inbound {
            from: from.into(),
            to: format!("#{modem}"),
            text: text.into(),
            encoding: None,
            out_of_order: false,
            drop_part: None,
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_inbound_sms_on_five_ports_are_stored_once_each_on_their_own_port() {
    let (t, base) = dinstar_lab(5, &[0, 1, 2, 3, 4], |_| {}).await;
    let gw = start(
        dinstar_only_config(&t, &base, "10-14"),
        Arc::new(SystemClock),
    )
    .await;
    gw.api.wait_registered(5).await;
    let started = tokio::time::Instant::now();
    let logged_before = control(&t.lab).requests().len();
    for p in 0..5 {
        inject(
            &t,
            &format!("+3360000010{p}"),
            p,
            &format!("to Dinstar port {p}"),
        );
    }
    let got = wait_inbound(&gw.api, 5).await;
    // A few more polls: nothing comes twice.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got_again = gw.api.inbound().await;
    assert_eq!(got_again.len(), 5, "{got_again:#?} (first {got:#?})");
    for p in 0..5u64 {
        let m: Vec<_> = got_again
            .iter()
            .filter(|m| m["from"] == format!("+3360000010{p}"))
            .collect();
        assert_eq!(m.len(), 1, "{got_again:#?}");
        assert_eq!(m[0]["port"], 10 + p, "stored on its own port: {}", m[0]);
        assert_eq!(m[0]["text"], format!("to Dinstar port {p}"));
    }
    // Polled once per device (one GET for all five ports per poll), never as POST, and read
    // with flag=all so nothing is marked read for other clients.
    let elapsed = started.elapsed().as_millis() as usize;
    let reqs: Vec<_> = control(&t.lab)
        .requests()
        .into_iter()
        .skip(logged_before)
        .filter(|r| r.path == "/api/query_incoming_sms" && r.authorized)
        .collect();
    assert!(reqs.iter().all(|r| r.method == "GET"), "{reqs:?}");
    assert!(
        reqs.iter()
            .all(|r| r.query.contains("flag=all") && r.query.contains("port=0,1,2,3,4")),
        "{reqs:?}"
    );
    let polls_possible = elapsed / 200 + 4;
    assert!(
        reqs.len() <= polls_possible,
        "{} inbound queries in {elapsed} ms: polled per port?",
        reqs.len()
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ussd_balance_arriving_after_two_seconds_is_returned_twice_in_a_row_with_different_answers()
 {
    let (t, base) = dinstar_lab(2, &[0, 1], |c| {
        c.ussd_delay_ms = 2000;
        // The device keeps showing the previous session's reply until the new one arrives.
        c.dinstar.as_mut().unwrap().ussd_stale_reply = true;
    })
    .await;
    control(&t.lab).script_ussd(0, &["Your balance is 7.00 USD", "Your balance is 6.50 USD"]);
    let mut cfg = dinstar_only_config(&t, &base, "10-11");
    cfg.ussd.timeout_ms = 10_000;
    let gw = start(cfg, Arc::new(SystemClock)).await;
    gw.api.wait_registered(2).await;
    let code = t.lab.config().balance_code.clone();
    for want in ["Your balance is 7.00 USD", "Your balance is 6.50 USD"] {
        let began = tokio::time::Instant::now();
        let (status, body) = gw
            .api
            .post("/api/v1/ports/10/ussd", serde_json::json!({"code": code}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["text"], want, "never the earlier session's text");
        assert!(
            began.elapsed() >= Duration::from_millis(1900),
            "it waited for the reply"
        );
    }
    let ports = gw.api.ports().await;
    assert_eq!(ports[0]["balance"], "Your balance is 6.50 USD");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_report_for_an_earlier_message_still_updates_it() {
    let late = "+15557770001";
    let prompt = "+15557770002";
    let (t, base) = dinstar_lab(1, &[0], |c| {
        let d = c.dinstar.as_mut().unwrap();
        d.late_report_numbers = vec![late.into()];
        d.late_report_ms = 4000;
    })
    .await;
    let gw = start(dinstar_only_config(&t, &base, "10"), Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    let first = gw.api.submit(late, "report comes late").await;
    wait_message(&gw.api, first, "sent").await;
    // Second apart, so the later message's report carries a later time than the first's.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = gw.api.submit(prompt, "report comes at once").await;
    wait_message(&gw.api, second, "delivered").await;
    assert_eq!(
        gw.api.state(first).await,
        "sent",
        "the earlier message's report is still on its way"
    );
    let m = wait_message(&gw.api, first, "delivered").await;
    assert_eq!(m["parts"][0]["state"], "delivered", "{m}");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_loses_its_sim_shows_no_sim_and_is_not_used() {
    let (t, base) = dinstar_lab(2, &[0, 1], |_| {}).await;
    let gw = start(
        dinstar_only_config(&t, &base, "10-11"),
        Arc::new(SystemClock),
    )
    .await;
    gw.api.wait_registered(2).await;
    t.lab.fault(1, Fault::SimRemoved).await.unwrap();
    let ports = wait_ports(&gw.api, |ps| ps[1]["state"] == "failed").await;
    let p11 = &ports[1];
    assert!(p11["reason"].as_str().unwrap().contains("NO_SIM"), "{p11}");
    assert!(
        p11["sim"]["iccid"].is_null() && p11["sim"]["imsi"].is_null(),
        "{p11}"
    );
    assert_eq!(ports[0]["state"], "registered");
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            gw.api
                .submit(&format!("+1555666{i:04}"), "only port 10")
                .await,
        );
    }
    gw.api
        .wait_states("6 delivered", |c| c.get("delivered") == Some(&6))
        .await;
    for id in ids {
        let m = gw.api.get(&format!("/api/v1/messages/{id}")).await;
        assert_eq!(m["parts"][0]["port"], 10, "{m}");
    }
    // The SIM back: the port is used again.
    t.lab.fault(1, Fault::SimInserted).await.unwrap();
    wait_ports(&gw.api, |ps| ps[1]["state"] == "registered").await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_are_read_in_a_utc_plus_3_device_zone() {
    let (t, base) = dinstar_lab(1, &[0], |c| {
        c.dinstar.as_mut().unwrap().utc_offset_min = 180;
    })
    .await;
    let mut cfg = dinstar_only_config(&t, &base, "10");
    cfg.dinstar_http[0].timezone = TimeZone(chrono_tz::Europe::Moscow);
    let gw = start(cfg, Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    inject(&t, "+33600000200", 0, "what time is it in Moscow");
    let got = wait_inbound(&gw.api, 1).await;
    let after = chrono::Utc::now() + chrono::Duration::seconds(2);
    let sent_at: chrono::DateTime<chrono::Utc> =
        got[0]["sent_at"].as_str().unwrap().parse().unwrap();
    assert!(
        before <= sent_at && sent_at <= after,
        "{sent_at} is not now ({before} … {after}): the device's local time was read in the wrong zone"
    );
    let id = gw.api.submit("+15557770003", "and a report").await;
    wait_message(&gw.api, id, "delivered").await;
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_arrives_while_the_gateway_is_down_is_found_after_a_restart_in_a_utc_minus_5_zone()
 {
    // The restarted gateway starts its report cursor from the spool's unreported parts, whose
    // send times it must turn into the device's local time: read as UTC, the cursor would be
    // five hours ahead of the device's stamps and the report never fetched.
    let number = "+15557770004";
    let (t, base) = dinstar_lab(1, &[0], |c| {
        let d = c.dinstar.as_mut().unwrap();
        d.utc_offset_min = -300;
        d.late_report_numbers = vec![number.into()];
        d.late_report_ms = 2500;
    })
    .await;
    let mut cfg = dinstar_only_config(&t, &base, "10");
    cfg.dinstar_http[0].timezone = TimeZone(chrono_tz::America::Bogota);
    let gw = start(cfg.clone(), Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    let id = gw.api.submit(number, "west of Greenwich").await;
    wait_message(&gw.api, id, "sent").await;
    gw.stop().await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let gw = start(cfg, Arc::new(SystemClock)).await;
    let m = wait_message(&gw.api, id, "delivered").await;
    assert_eq!(m["parts"][0]["state"], "delivered", "{m}");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_send_is_reconciled_through_query_sms_result_by_its_user_id() {
    let (t, base) = dinstar_lab(1, &[0], |c| {
        // The device holds each message 4 s in its queue: longer than the send timeout below.
        c.dinstar.as_mut().unwrap().queue_delay_ms = 4000;
    })
    .await;
    let mut cfg = dinstar_only_config(&t, &base, "10");
    cfg.supervision.send_timeout_ms = 1000;
    let gw = start(cfg, Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    let id = gw.api.submit("+15557770005", "slow queue").await;
    let m = wait_message(&gw.api, id, "unknown").await;
    assert!(
        m["error"].as_str().unwrap().contains("no final result"),
        "{m}"
    );
    // The device sends it after all; the gateway learns it from query_sms_result.
    let m = wait_message(&gw.api, id, "delivered").await;
    assert_eq!(m["parts"].as_array().unwrap().len(), 1, "{m}");
    assert_eq!(t.lab.handset("+15557770005").len(), 1, "sent once");

    // A lost answer (the device answers after the client gave up) is settled the same way.
    control(&t.lab).slow_send_answers(1, 4000);
    let id = gw.api.submit("+15557770006", "answer lost").await;
    let m = wait_message(&gw.api, id, "delivered").await;
    assert!(m["parts"][0]["reference"].is_number(), "{m}");
    assert_eq!(t.lab.handset("+15557770006").len(), 1, "never resent");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_dinstar_still_queues_is_cancelled_with_stop_sms() {
    let (t, base) = dinstar_lab(1, &[0], |c| {
        c.dinstar.as_mut().unwrap().queue_delay_ms = 3000;
    })
    .await;
    let gw = start(dinstar_only_config(&t, &base, "10"), Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    let id = gw.api.submit("+15557770007", "never mind").await;
    wait_message(&gw.api, id, "sending").await;
    let (status, body) = gw
        .api
        .post(
            &format!("/api/v1/messages/{id}/cancel"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stopped_on_device"], true, "{body}");
    let m = wait_message(&gw.api, id, "failed").await;
    assert!(m["error"].as_str().unwrap().contains("stop_sms"), "{m}");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        t.lab.handset("+15557770007").is_empty(),
        "the device did not send it"
    );
    assert!(
        control(&t.lab)
            .requests()
            .iter()
            .any(|r| r.path == "/api/stop_sms" && r.query.starts_with("task_id="))
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_mode_delivers_inbound_results_reports_and_ussd_with_polling_off() {
    let token = "push-secret-0123456789";
    let port = free_port();
    let (t, base) = dinstar_lab(2, &[0, 1], |c| {
        c.ussd_delay_ms = 300;
        let d = c.dinstar.as_mut().unwrap();
        d.push_url = Some(format!("http://127.0.0.1:{port}/dinstar/push/{token}"));
    })
    .await;
    let mut cfg = dinstar_only_config(&t, &base, "10-11");
    let d = &mut cfg.dinstar_http[0];
    d.poll_interval_ms = 0;
    d.push_listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
    d.push_token = Some(token.into());
    d.sn = Some(t.lab.config().dinstar.as_ref().unwrap().sn.clone());
    let gw = start(cfg, Arc::new(SystemClock)).await;
    gw.api.wait_registered(2).await;

    let id = gw.api.submit("+15557770008", "pushed all the way").await;
    wait_message(&gw.api, id, "delivered").await;
    inject(&t, "+33600000300", 1, "pushed to the gateway");
    let got = wait_inbound(&gw.api, 1).await;
    assert_eq!(got[0]["port"], 11);
    assert_eq!(got[0]["text"], "pushed to the gateway");
    let code = t.lab.config().balance_code.clone();
    let (status, body) = gw
        .api
        .post("/api/v1/ports/11/ussd", serde_json::json!({"code": code}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["text"], t.lab.specs()[1].balance.as_str());

    let dev = control(&t.lab);
    let deadline = tokio::time::Instant::now() + WAIT;
    for key in ["sms", "sms_result", "sms_deliver_status", "ussd"] {
        // The USSD reply may have been polled before its push went out.
        while !dev
            .pushes()
            .iter()
            .any(|p| p.body.get(key).is_some() && p.status == 200)
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {key} push accepted: {:?}",
                dev.pushes()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Polling is off: no inbound or report queries at all.
    let reqs = dev.requests();
    assert!(
        !reqs
            .iter()
            .any(|r| r.path == "/api/query_incoming_sms"
                || r.path == "/api/query_sms_deliver_status"),
        "{reqs:?}"
    );
    // A push without the secret is refused and stores nothing.
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/dinstar/push/not-the-token-0000"))
        .json(&serde_json::json!({"sms": [{"incoming_sms_id": 9, "port": 0, "number": "+1", "text": "forged"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(gw.api.inbound().await.len(), 1);
    gw.stop().await;
}
