//! The Modem API against the simulated GSM lab (smsgate-hardware) over real pseudo-terminals,
//! for every simulated vendor profile, and against the simulated Dinstar gateway's TCP AT mode:
//! probe, init, registration, send (single and multipart), status report, receive, USSD.

// Test code: unwrap on fixtures is the point (clippy.toml allows it in #[test] fns only).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use smsgate_at::{Endpoint, Engine, EngineConfig, Opener, SystemOpener};
use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::sim::config::{DinstarConfig, SimConfig};
use smsgate_hardware::sim::profile::ProfileId;
use smsgate_hardware::{Inbound, Lab, LabConfig};
use smsgate_modem::commands::sms::MessageStatus;
use smsgate_modem::{InitOptions, Modem, ModemEvent, StoredContent, Vendor};
use smsgate_pdu::{Pdu, StatusClass, SubmitOptions};
use tokio_util::sync::CancellationToken;

/// Upper bound on any wait, so a broken path fails instead of hanging.
const WAIT: Duration = Duration::from_secs(30);

struct TestLab {
    lab: Lab,
    _dir: tempfile::TempDir,
    cancel: CancellationToken,
}

impl Drop for TestLab {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn start(profiles: &[ProfileId], tweak: impl FnOnce(&mut LabConfig)) -> TestLab {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = LabConfig::for_tests(dir.path().join("dev"), profiles.len());
    cfg.sims = profiles
        .iter()
        .map(|p| SimConfig {
            profile: Some(*p),
            ..SimConfig::default()
        })
        .collect();
    tweak(&mut cfg);
    let cancel = CancellationToken::new();
    let lab = Lab::start(cfg, Arc::new(SystemClock), cancel.clone()).unwrap();
    TestLab {
        lab,
        _dir: dir,
        cancel,
    }
}

async fn open(endpoint: &str, label: &str) -> Modem {
    let stream = SystemOpener::default()
        .open(&Endpoint::parse(endpoint).unwrap())
        .await
        .unwrap();
    let (at, urcs) = Engine::spawn(
        stream,
        EngineConfig {
            label: label.into(),
            ..Default::default()
        },
    );
    let (modem, _info) = Modem::probe(at, urcs, None).await.unwrap();
    modem
}

async fn next_event(modem: &mut Modem, what: &str) -> ModemEvent {
    tokio::time::timeout(WAIT, modem.next_event())
        .await
        .unwrap_or_else(|_| panic!("no event while waiting for {what}"))
        .unwrap_or_else(|| panic!("engine closed while waiting for {what}"))
}

/// Send, status report, receive and USSD through one modem of the lab.
async fn exercise(t: &TestLab, modem: &mut Modem, index: usize, name: &str) {
    let spec = t.lab.specs()[index].clone();
    let report = modem
        .init(&InitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{name}: init: {e}"));
    assert!(report.pdu_mode, "{name}");
    let reg = modem
        .wait_registered(WAIT)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(reg.status.is_registered(), "{name}");
    let signal = modem.signal().await.unwrap();
    assert!(signal.dbm().is_some(), "{name}");

    // Multipart send with a status report: every reference comes back and matches the SMSC's view.
    let handset = format!("+4479000{index:05}");
    let text = format!("{name}: {}", "long message ".repeat(20));
    let opts = SubmitOptions {
        status_report: true,
        ..SubmitOptions::default()
    };
    let refs = modem
        .send_sms(&handset, &text, &opts)
        .await
        .unwrap_or_else(|e| panic!("{name}: send: {e}"));
    assert_eq!(refs.len(), 2, "{name}");
    let got = tokio::time::timeout(WAIT, t.lab.wait_handset(&handset, 1))
        .await
        .unwrap();
    assert_eq!(got[0].text, text, "{name}");
    assert_eq!(
        got[0].message_refs,
        refs.iter().map(|r| r.unwrap()).collect::<Vec<_>>(),
        "{name}"
    );

    // The status reports of both parts arrive, routed (+CDS) or stored (+CDSI), per the CNMI chosen.
    let mut reported = Vec::new();
    while reported.len() < 2 {
        match next_event(modem, "status report").await {
            ModemEvent::StatusReport(r) => reported.push((r.message_ref, r.status_class())),
            ModemEvent::StoredStatusReport { storage, index } => {
                let m = modem.read_from(&storage, index).await.unwrap().unwrap();
                let StoredContent::Pdu { pdu } = m.content else {
                    panic!("{name}: {m:?}")
                };
                let Pdu::StatusReport(r) = *pdu else {
                    panic!("{name}: {pdu:?}")
                };
                reported.push((r.message_ref, r.status_class()));
                modem.delete_message_in(&storage, index).await.unwrap();
            }
            _ => {}
        }
    }
    reported.sort_by_key(|(mr, _)| *mr);
    let mut want: Vec<_> = refs
        .iter()
        .map(|r| (r.unwrap(), StatusClass::Delivered))
        .collect();
    want.sort_by_key(|(mr, _)| *mr);
    assert_eq!(reported, want, "{name}");

    // Receive: the lab injects a message; +CMTI → read → delete.
    let n = t
        .lab
        .inject(&Inbound {
            from: "+33612345678".into(),
            to: spec.msisdn.clone(),
            text: format!("hello {name} 😀"),
            encoding: None,
            out_of_order: false,
            drop_part: None,
        })
        .unwrap();
    assert_eq!(n, 1);
    let (storage, idx) = loop {
        match next_event(modem, "new message").await {
            ModemEvent::NewMessage { storage, index } => break (storage, index),
            ModemEvent::Message(d) => panic!("{name}: routed instead of stored: {d:?}"),
            _ => {}
        }
    };
    let m = modem.read_from(&storage, idx).await.unwrap().unwrap();
    let StoredContent::Pdu { pdu } = &m.content else {
        panic!("{name}: {m:?}")
    };
    let Pdu::Deliver(d) = pdu.as_ref() else {
        panic!("{name}: {pdu:?}")
    };
    assert_eq!(
        (d.sender.display().as_str(), d.user_data.text.as_str()),
        ("+33612345678", format!("hello {name} 😀").as_str())
    );
    modem.delete_message_in(&storage, idx).await.unwrap();
    assert!(
        modem
            .list_messages(MessageStatus::All)
            .await
            .unwrap()
            .is_empty(),
        "{name}"
    );

    // USSD balance.
    let code = t.lab.config().balance_code.clone();
    let u = modem
        .ussd(&code)
        .await
        .unwrap_or_else(|e| panic!("{name}: ussd: {e}"));
    assert_eq!(u.text.as_deref(), Some(spec.balance.as_str()), "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modem_api_works_against_every_simulated_profile_over_real_ptys() {
    let profiles = ProfileId::ALL;
    let t = start(&profiles, |_| {});
    let expected = [
        Vendor::Generic,
        Vendor::Huawei,
        Vendor::Quectel,
        Vendor::Simcom,
        Vendor::Dinstar,
    ];
    for (i, (p, vendor)) in profiles.iter().zip(expected).enumerate() {
        let path = t.lab.modem_path(i).unwrap().to_string_lossy().into_owned();
        let mut modem = open(&path, &format!("{p:?}")).await;
        assert_eq!(modem.profile().vendor, vendor, "{p:?}");
        exercise(&t, &mut modem, i, &format!("{p:?}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modem_api_works_against_the_dinstar_tcp_at_mode() {
    let t = start(&[ProfileId::Dinstar, ProfileId::Dinstar], |cfg| {
        cfg.dinstar = Some(DinstarConfig {
            password: "s3cret".into(),
            ..DinstarConfig::default()
        });
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(smsgate_hardware::sim::dinstar::serve_at(
        t.lab.clone(),
        listener,
    ));
    let port = 1;
    let mut modem = open(&format!("dinstar://s3cret@{addr}/{port}"), "dinstar").await;
    assert_eq!(modem.profile().vendor, Vendor::Dinstar);
    let index = t.lab.dinstar_ports()[port];
    exercise(&t, &mut modem, index, "dinstar-tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_recovers_a_modem_left_at_the_send_prompt_by_a_dead_process() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = start(&[ProfileId::Generic], |_| {});
    let path = t.lab.modem_path(0).unwrap().to_string_lossy().into_owned();
    // A previous process opens the port, starts a send and dies at the `> ` prompt.
    {
        let mut port = SystemOpener::default()
            .open(&Endpoint::parse(&path).unwrap())
            .await
            .unwrap();
        port.write_all(b"ATE0\r").await.unwrap();
        port.write_all(b"AT+CMGS=20\r").await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !seen.contains(&b'>') {
            let n = tokio::time::timeout(WAIT, port.read(&mut buf))
                .await
                .expect("no prompt")
                .unwrap();
            assert!(n > 0, "port closed before the prompt");
            seen.extend_from_slice(&buf[..n]);
        }
    }
    // A new process probes: its `AT` lands in the message body until ESC leaves the prompt.
    let mut modem = open(&path, "after-crash").await;
    exercise(&t, &mut modem, 0, "after-crash").await;
    // The abandoned send never reached anyone.
    assert!(
        t.lab
            .handsets()
            .iter()
            .all(|(_, msgs)| msgs.iter().all(|m| !m.text.contains("AT"))),
        "the abandoned prompt must not have sent our AT as a message"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_reboot_shows_as_drifted_settings_and_reinit_repairs_them() {
    let t = start(&[ProfileId::Generic], |_| {});
    let path = t.lab.modem_path(0).unwrap().display().to_string();
    let mut modem = open(&path, "reboot").await;
    modem.init(&InitOptions::default()).await.unwrap();
    let quick = Duration::from_secs(2);
    assert!(modem.expected_settings().echo_off);
    assert!(modem.check_settings(quick).await.unwrap().is_empty());
    assert!(!modem.echo_returned());

    t.lab
        .fault(0, smsgate_hardware::Fault::Reboot)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let drift = modem.check_settings(quick).await.unwrap();
    let words: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert_eq!(drift.len(), 4, "{words:?}");
    assert!(modem.echo_returned());

    modem.reinit().await.unwrap();
    assert!(!modem.echo_returned());
    assert!(modem.check_settings(quick).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_stored_in_sr_without_a_word_are_listed_from_the_status_report_memory() {
    let t = start(&[ProfileId::Generic], |c| c.delivery_report_delay_ms = 200);
    let path = t.lab.modem_path(0).unwrap().display().to_string();
    let mut modem = open(&path, "sr").await;
    modem.init(&InitOptions::default()).await.unwrap();
    assert_eq!(modem.status_report_storage(), Some("SR"));
    // Reports go to SR silently (`<ds>` 0), as after a reset.
    modem
        .engine()
        .raw("AT+CNMI=2,1,0,0,0", Duration::from_secs(2), &[])
        .await
        .unwrap();
    let opts = SubmitOptions {
        status_report: true,
        ..SubmitOptions::default()
    };
    let refs = modem
        .send_sms("+447700900010", "to SR", &opts)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let listed = loop {
        let l = modem
            .list_messages_in("SR", MessageStatus::All)
            .await
            .unwrap();
        if !l.is_empty() {
            break l;
        }
        assert!(tokio::time::Instant::now() < deadline, "no report in SR");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(listed[0].storage.as_deref(), Some("SR"));
    let StoredContent::Pdu { pdu } = &listed[0].content else {
        panic!("{listed:?}")
    };
    let Pdu::StatusReport(r) = &**pdu else {
        panic!("{pdu:?}")
    };
    assert_eq!(Some(r.message_ref), refs[0]);
    assert_eq!(r.status_class(), StatusClass::Delivered);
    // The message memory is left as it was.
    assert!(
        modem
            .list_messages(MessageStatus::All)
            .await
            .unwrap()
            .is_empty()
    );
    let usage = modem
        .storage_usage(Duration::from_secs(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(usage.roles.last().unwrap().0.as_deref(), Some("SM"));
}
