//! Dinstar HTTP-API port sources against the simulated lab's Dinstar (HTTP mode, real TCP socket,
//! Digest-only login by default, as the devices and the vendor document behave), driven by the
//! gateway in-process: paced sends that end `delivered` and a failing number `failed`, inbound
//! stored once (also after a restart), USSD through the ports API, a mixed AT + Dinstar group.
//! With the recording fake: a send whose answer was lost and never listed is `unknown` and never
//! resent, a gateway without a free port sends the message back to the queue, 486/503 USSD.
//! The rest of issue 18's proofs are in `run_dinstar_device.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dinstar_support;
mod run_support;

use dinstar_support::*;
use run_support::*;
use smsgate_config::GatewayConfig;
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::dinstar_http::api::{DinstarApi, PortInfo, SendSms};
use smsgate_gateway::dinstar_http::fake::Call;
use smsgate_gateway::dinstar_http::{
    DinstarDeps, DinstarError, DinstarPortWorker, DinstarSettings, HttpDinstar, InFlight, PortNews,
    RecordingDinstar,
};
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::ports::{Board, Job, PortCommand};
use smsgate_gateway::schedule::pacing::RandJitter;
use smsgate_gateway::spool::{MessageState, NewMessage, Spool};
use smsgate_hardware::Inbound;
use smsgate_hardware::sim::dinstar::control;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_only_dinstar_sends_paced_and_delivered_messages_and_a_failing_number_fails() {
    let failing = "+15559990000";
    let (t, base) = dinstar_lab(4, &[2, 3], |c| {
        c.failing_numbers = vec![failing.into()];
        // Nonces go stale during the test: each stale challenge is answered with the fresh one.
        c.dinstar.as_mut().unwrap().nonce_ttl_ms = 400;
    })
    .await;
    let gw = start(mixed_config(&t, &base, "10-11", 50), Arc::new(SystemClock)).await;
    gw.api.wait_registered(4).await;

    let long = format!("multipart {}", "over the Dinstar HTTP API. ".repeat(10));
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ids = Vec::new();
    for i in 0..16 {
        let to = format!("+1555777{:04}", i % 4);
        let text = match i {
            3 => long.clone(),
            5 => "UCS2 Привет 😀".to_string(),
            _ => format!("dinstar message {i}"),
        };
        ids.push(gw.api.submit(&to, &text).await);
        want.entry(to).or_default().push(text);
    }
    let failed_id = gw.api.submit(failing, "nobody home").await;
    gw.api
        .wait_states("16 delivered, 1 failed", |c| {
            c.get("delivered") == Some(&16) && c.get("failed") == Some(&1)
        })
        .await;

    let failed = gw.api.get(&format!("/api/v1/messages/{failed_id}")).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let mut per_port: BTreeMap<u64, usize> = BTreeMap::new();
    for id in &ids {
        let m = gw.api.get(&format!("/api/v1/messages/{id}")).await;
        assert_eq!(m["state"], "delivered", "{m}");
        let parts = m["parts"].as_array().unwrap();
        assert!(!parts.is_empty(), "{m}");
        let port = parts[0]["port"].as_u64().unwrap();
        assert!(
            parts
                .iter()
                .all(|p| p["port"] == port && p["state"] == "delivered"),
            "{m}"
        );
        *per_port.entry(port).or_default() += 1;
        if m["text"] == long.as_str() {
            assert!(parts.len() > 1, "the long text is multipart: {m}");
        }
    }
    assert_eq!(per_port.keys().copied().collect::<Vec<_>>(), [10, 11]);
    assert!(per_port.values().all(|n| *n >= 4), "{per_port:?}");

    let got = t.lab.handsets();
    for (number, texts) in &want {
        let mut received: Vec<String> = got[number].iter().map(|m| m.text.clone()).collect();
        let mut expected = texts.clone();
        received.sort();
        expected.sort();
        assert_eq!(received, expected, "handset {number}");
    }
    let mut per_modem: BTreeMap<usize, Vec<_>> = BTreeMap::new();
    for m in got.values().flatten() {
        per_modem.entry(m.from_modem).or_default().push(m.clone());
    }
    assert_eq!(
        per_modem.keys().copied().collect::<Vec<_>>(),
        [2, 3],
        "only the Dinstar's modems sent"
    );
    for (modem, msgs) in &mut per_modem {
        msgs.sort_by_key(|m| m.first_part_at);
        for w in msgs.windows(2) {
            let gap = w[1].first_part_at - w[0].completed_at;
            assert!(
                gap >= chrono::Duration::milliseconds(50),
                "modem {modem}: only {gap:?} between {:?} and {:?}",
                w[0].text,
                w[1].text
            );
        }
    }
    // Port information from get_port_info: SIM identity, IMEI and signal.
    let ports = gw.api.ports().await;
    let p10 = ports.iter().find(|p| p["port"] == 10).unwrap();
    let spec = &t.lab.specs()[2];
    assert_eq!(p10["sim"]["imsi"], spec.imsi, "{p10}");
    assert_eq!(p10["sim"]["iccid"], spec.iccid, "{p10}");
    assert_eq!(p10["sim"]["imei"], spec.imei, "{p10}");
    assert_eq!(p10["signal_dbm"], -73, "rssi 20: {p10}");

    // The device only ever let authenticated requests through, and no login failed although
    // its nonces went stale many times (each answered once with the fresh nonce).
    let dev = control(&t.lab);
    assert_eq!(dev.auth_failures(), 0);
    let reqs = dev.requests();
    let authorized = reqs.iter().filter(|r| r.authorized).count();
    let challenged = reqs.iter().filter(|r| !r.authorized).count();
    assert!(authorized > 20, "{authorized}");
    assert!(
        challenged >= 2,
        "stale nonces were challenged: {challenged}"
    );
    assert!(
        challenged * 3 < authorized,
        "a nonce serves many requests ({authorized} authorized, {challenged} challenged)"
    );
    assert!(
        reqs.iter()
            .filter(|r| r.path == "/api/query_incoming_sms")
            .all(|r| r.method == "GET" && r.query.contains("flag=all")),
        "query_incoming_sms is a GET with query parameters"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basic_only_dinstar_gets_basic_credentials() {
    let (t, base) = dinstar_lab(1, &[0], |c| {
        c.dinstar.as_mut().unwrap().auth = smsgate_hardware::sim::config::DinstarAuth::Basic;
    })
    .await;
    let gw = start(dinstar_only_config(&t, &base, "10"), Arc::new(SystemClock)).await;
    gw.api.wait_registered(1).await;
    let id = gw.api.submit("+15550005555", "basic login").await;
    wait_message(&gw.api, id, "delivered").await;
    assert_eq!(control(&t.lab).auth_failures(), 0);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_marks_the_ports_with_the_reason_and_backs_off_instead_of_retrying() {
    let (t, base) = dinstar_lab(2, &[0, 1], |c| {
        c.dinstar.as_mut().unwrap().http_password = "the-real-one".into();
    })
    .await;
    let mut cfg = dinstar_only_config(&t, &base, "10-11");
    cfg.dinstar_http[0].password = "wrong".into();
    let gw = start(cfg, Arc::new(SystemClock)).await;
    let id = gw.api.submit("+15550004444", "never sent").await;
    let ports = wait_ports(&gw.api, |ps| {
        ps.iter().all(|p| {
            p["state"] == "failed"
                && p["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("refused the login"))
        })
    })
    .await;
    let reason = ports[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("dinstar_http[0].user and .password"),
        "{reason}"
    );
    assert!(reason.contains("next login attempt in"), "{reason}");
    // Three seconds of a wrong password: the back-off (500 ms doubling to 2 s) allows a handful
    // of attempts, where the old client retried almost twice a second per port.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let failures = control(&t.lab).auth_failures();
    assert!((1..=5).contains(&failures), "{failures} failed logins");
    assert_eq!(gw.api.state(id).await, "queued");
    assert!(t.lab.handsets().is_empty());
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_at_a_dinstar_port_is_stored_once_and_ussd_runs_through_the_ports_api() {
    let (t, base) = dinstar_lab(4, &[2, 3], |_| {}).await;
    let cfg = mixed_config(&t, &base, "10-11", 0);
    let gw = start(cfg.clone(), Arc::new(SystemClock)).await;
    gw.api.wait_registered(4).await;

    let inject = |from: &str, to: &str, text: &str| {
        t.lab
            .inject(&Inbound {
                from: from.into(),
                to: to.into(),
                text: text.into(),
                encoding: None,
                out_of_order: true,
                drop_part: None,
            })
            .unwrap()
    };
    let long = format!("long {}", "reply through the gateway store. ".repeat(8));
    inject("+33600000001", "#2", "hello Dinstar Привет");
    inject("+33600000002", "#3", " STOP ");
    assert!(inject("+33600000003", "#3", &long) > 1);
    let got = wait_inbound(&gw.api, 3).await;
    let by = |from: &str| got.iter().find(|m| m["from"] == from).unwrap().clone();
    assert_eq!(by("+33600000001")["port"], 10);
    assert_eq!(by("+33600000001")["text"], "hello Dinstar Привет");
    assert_eq!(by("+33600000001")["sim"], t.lab.specs()[2].iccid);
    assert_eq!(by("+33600000002")["port"], 11);
    assert_eq!(by("+33600000002")["keyword"], "stop");
    assert_eq!(by("+33600000003")["text"], long.as_str());

    let code = t.lab.config().balance_code.clone();
    let (status, body) = gw
        .api
        .post("/api/v1/ports/11/ussd", serde_json::json!({"code": code}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["text"], t.lab.specs()[3].balance.as_str());
    let ports = gw.api.ports().await;
    let p11 = ports.iter().find(|p| p["port"] == 11).unwrap();
    assert_eq!(p11["balance"], t.lab.specs()[3].balance.as_str());
    gw.stop().await;

    // A restart reads the Dinstar's inbox from the start again: nothing is stored twice.
    let gw = start(cfg, Arc::new(SystemClock)).await;
    gw.api.wait_registered(4).await;
    inject("+33600000004", "#2", "after the restart");
    let got = wait_inbound(&gw.api, 4).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = gw.api.inbound().await;
    assert_eq!(
        again.len(),
        4,
        "each message once: {again:#?} (first look {got:#?})"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_group_of_at_and_dinstar_http_ports_spreads_the_load() {
    let (t, base) = dinstar_lab(4, &[2, 3], |_| {}).await;
    let gw = start(
        mixed_config(&t, &base, "0-1,10-11", 20),
        Arc::new(SystemClock),
    )
    .await;
    gw.api.wait_registered(4).await;
    let n = 40;
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            gw.api
                .submit(&format!("+1555888{:04}", i), &format!("mixed {i}"))
                .await,
        );
    }
    gw.api
        .wait_states("all delivered", |c| c.get("delivered") == Some(&n))
        .await;
    let mut per_port: BTreeMap<u64, usize> = BTreeMap::new();
    for id in ids {
        let m = gw.api.get(&format!("/api/v1/messages/{id}")).await;
        *per_port
            .entry(m["parts"][0]["port"].as_u64().unwrap())
            .or_default() += 1;
    }
    assert_eq!(
        per_port.keys().copied().collect::<Vec<_>>(),
        [0, 1, 10, 11],
        "{per_port:?}"
    );
    assert!(per_port.values().all(|c| *c >= 4), "{per_port:?}");
    let modems: std::collections::BTreeSet<usize> = t
        .lab
        .handsets()
        .values()
        .flatten()
        .map(|m| m.from_modem)
        .collect();
    assert_eq!(modems.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3]);
    gw.stop().await;
}

/// One Dinstar port worker (gateway port 10) on a real spool, driven by hand, its device task
/// played by the test (port information is handed in).
struct Harness {
    _dir: tempfile::TempDir,
    spool: Spool,
    fake: Arc<RecordingDinstar>,
    tx: tokio::sync::mpsc::Sender<PortCommand>,
    board: Board,
    cancel: CancellationToken,
    _news: tokio::sync::mpsc::Sender<PortNews>,
    _notes: tokio::sync::mpsc::Receiver<smsgate_gateway::dinstar_http::DeviceNote>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn harness(fake: RecordingDinstar) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("s.sqlite")).unwrap();
    let fake = Arc::new(fake);
    let board = Board::new([10]);
    let cancel = CancellationToken::new();
    let defaults = GatewayConfig::default();
    let mut supervision = defaults.supervision.clone();
    supervision.send_timeout_ms = 300;
    let (news_tx, news_rx) = tokio::sync::mpsc::channel(16);
    let (notes_tx, notes_rx) = tokio::sync::mpsc::channel(16);
    let (worker, tx) = DinstarPortWorker::new(
        DinstarSettings {
            id: 10,
            dinstar_port: 0,
            supervision,
            ussd: defaults.ussd.clone(),
            poll_results: true,
        },
        DinstarDeps {
            api: fake.clone(),
            spool: spool.clone(),
            board: board.clone(),
            metrics: GatewayMetrics::new(),
            clock: Arc::new(SystemClock),
            jitter: Box::new(RandJitter(
                <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1),
            )),
            shutdown: cancel.clone(),
            news: news_rx,
            device: notes_tx,
            inflight: InFlight::default(),
        },
    );
    tokio::spawn(worker.run());
    news_tx
        .send(PortNews::Info(Some(PortInfo {
            port: 0,
            reg: Some("REGISTER_OK".into()),
            ..PortInfo::default()
        })))
        .await
        .unwrap();
    Harness {
        _dir: dir,
        spool,
        fake,
        tx,
        board,
        cancel,
        _news: news_tx,
        _notes: notes_rx,
    }
}

impl Harness {
    async fn submit(&self) -> i64 {
        self.spool
            .call(|db| db.submit(NewMessage::new("+15550001", "hello", "g")))
            .await
            .unwrap()
            .id
    }

    async fn send(&self, id: i64) {
        let job = Job {
            id,
            group: "g".into(),
            tz: chrono_tz::UTC,
            interval_ms: 0,
            jitter_ms: 0,
        };
        self.tx.send(PortCommand::Send(job)).await.unwrap();
    }

    async fn wait_state(&self, id: i64, want: MessageState) -> smsgate_gateway::spool::Message {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let m = self
                .spool
                .call(move |db| db.get(id))
                .await
                .unwrap()
                .unwrap();
            if m.state == want {
                return m;
            }
            assert!(tokio::time::Instant::now() < deadline, "{m:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn wait_available(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.board.snapshot()[&10].available {
            assert!(tokio::time::Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn ussd(&self) -> Result<smsgate_gateway::ports::UssdAnswer, String> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(PortCommand::Ussd {
                code: "*100#".into(),
                reply,
            })
            .await
            .unwrap();
        rx.await.unwrap()
    }
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_and_never_listed_is_unknown_and_never_resent() {
    let fake = RecordingDinstar::new();
    fake.state().auto_status = None;
    fake.state()
        .send_answers
        .push_back(Err(DinstarError::NoAnswer {
            endpoint: "/api/send_sms",
            message: "connection reset".into(),
        }));
    let h = harness(fake).await;
    h.wait_available().await;
    let id = h.submit().await;
    h.send(id).await;
    let m = h.wait_state(id, MessageState::Unknown).await;
    let error = m.error.unwrap();
    assert!(
        error.contains("no answer") && error.contains("lists no result for user_id"),
        "{error}"
    );
    // It was looked up by its user id before giving up.
    assert!(h.fake.state().calls.iter().any(
        |c| matches!(c, Call::SmsResults(f) if f.user_id == [smsgate_gateway::dinstar_http::logic::user_id(id, 1)])
    ));
    // Handing it out again does nothing: it is no longer queued.
    h.send(id).await;
    h.fake.state().auto_status = Some("SENT_OK".into());
    let other = h.submit().await;
    h.send(other).await;
    h.wait_state(other, MessageState::Sent).await;
    let sends = h.fake.sends();
    assert_eq!(sends.len(), 2, "{sends:?}");
    assert_eq!(sends[0].user_id, sends[0].user_id / 256 * 256 + 1);
    assert_eq!(sends[1].text, "hello");
}

#[tokio::test]
async fn a_lost_answer_for_a_send_the_device_carried_out_is_settled_from_its_result() {
    let fake = RecordingDinstar::new();
    fake.state()
        .send_answers
        .push_back(Err(DinstarError::NoAnswer {
            endpoint: "/api/send_sms",
            message: "timed out".into(),
        }));
    let h = harness(fake).await;
    h.wait_available().await;
    let id = h.submit().await;
    h.send(id).await;
    let m = h.wait_state(id, MessageState::Sent).await;
    assert_eq!(m.parts.len(), 1);
    assert_eq!(h.fake.sends().len(), 1);
}

#[tokio::test]
async fn an_accepted_send_that_never_settles_is_unknown() {
    let fake = RecordingDinstar::new();
    fake.state().auto_status = Some("SENDING".into());
    let h = harness(fake).await;
    h.wait_available().await;
    let id = h.submit().await;
    h.send(id).await;
    let m = h.wait_state(id, MessageState::Unknown).await;
    assert!(m.error.unwrap().contains("no final result"));
    assert_eq!(h.fake.sends().len(), 1);
}

#[tokio::test]
async fn no_free_dinstar_port_sends_the_message_back_to_the_queue() {
    let fake = RecordingDinstar::new();
    fake.state()
        .send_answers
        .push_back(Err(DinstarError::Refused {
            endpoint: "/api/send_sms",
            code: 550,
        }));
    let h = harness(fake).await;
    h.wait_available().await;
    let id = h.submit().await;
    h.send(id).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let m = h.spool.call(move |db| db.get(id)).await.unwrap().unwrap();
        if m.state == MessageState::Queued
            && let Some(error) = &m.error
        {
            assert!(error.contains("550"), "{error}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{m:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(h.fake.sends().len(), 1);
}

#[tokio::test]
async fn busy_and_unregistered_ussd_ports_answer_486_and_503_as_such() {
    let fake = RecordingDinstar::new();
    fake.state().ussd_status.insert(0, 486);
    let h = harness(fake).await;
    h.wait_available().await;
    let e = h.ussd().await.unwrap_err();
    assert!(e.contains("busy (486)"), "{e}");
    h.fake.state().ussd_status.insert(0, 503);
    let e = h.ussd().await.unwrap_err();
    assert!(e.contains("not registered (503)"), "{e}");
}

#[tokio::test]
async fn the_http_client_tells_an_unreachable_gateway_from_a_refused_request() {
    let req = SendSms {
        text: "x".into(),
        number: "+15550001".into(),
        user_id: 1,
        port: 0,
        encoding: "gsm-7bit",
    };
    let backoff = (Duration::from_millis(500), Duration::from_secs(2));
    // Nobody listens: nothing was sent.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let api = HttpDinstar::new(
        &format!("http://{closed}"),
        "u",
        "p",
        Duration::from_secs(5),
        backoff,
    )
    .unwrap();
    let e = api.send_sms(&req).await.unwrap_err();
    assert!(matches!(e, DinstarError::Unreachable { .. }), "{e:?}");
    assert!(!e.may_have_been_processed());

    // The lab's (Digest-only) Dinstar refuses a port above 31 with error_code 400.
    let (_t, base) = dinstar_lab(2, &[0, 1], |_| {}).await;
    let api = HttpDinstar::new(&base, "admin", "admin", Duration::from_secs(5), backoff).unwrap();
    assert_eq!(api.auth_scheme(), "none");
    let e = api
        .send_sms(&SendSms {
            port: 40,
            ..req.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(
        e,
        DinstarError::Refused {
            endpoint: "/api/send_sms",
            code: 400
        }
    );
    assert_eq!(api.auth_scheme(), "digest");
    let ok = api.send_sms(&req).await.unwrap();
    assert!(ok.task_id > 0);
}
