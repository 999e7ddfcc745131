//! A small raw AT client over the real pty of a simulated modem: what a TE sees, byte for byte.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{AtClient, start};
use smsgate_hardware::sim::config::{RateLimit, Registration};
use smsgate_hardware::sim::profile::ProfileId;
use smsgate_hardware::{Fault, Inbound};
use smsgate_pdu::{Pdu, SubmitOptions};

fn inbound(to: &str, from: &str, text: &str) -> Inbound {
    Inbound {
        from: from.into(),
        to: to.into(),
        text: text.into(),
        encoding: None,
        out_of_order: false,
        drop_part: None,
    }
}

/// Sends one SMS in PDU mode and returns the final answer.
async fn send_pdu(c: &mut AtClient, to: &str, text: &str, report: bool) -> String {
    let opts = SubmitOptions {
        status_report: report,
        ..Default::default()
    };
    let parts = smsgate_pdu::encode_submit(to, text, &opts).unwrap();
    let mut last = String::new();
    for p in parts {
        let prompt = c.cmd(&format!("AT+CMGS={}", p.tpdu_len)).await;
        assert!(prompt.ends_with("\r\n> "), "{prompt:?}");
        c.write(format!("{}\x1a", p.hex()).as_bytes()).await;
        last = c
            .read_until(|s| s.ends_with("OK\r\n") || s.contains("ERROR"))
            .await;
    }
    last
}

fn pdus_in(answer: &str) -> Vec<Pdu> {
    answer
        .split("\r\n")
        .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|l| smsgate_pdu::decode_hex(l).unwrap())
        .collect()
}

#[tokio::test]
async fn echo_is_on_until_ate0_and_the_answer_follows_the_echoed_cr() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    assert_eq!(c.cmd("AT").await, "AT\r\r\nOK\r\n");
    assert_eq!(c.cmd("ATE0").await, "ATE0\r\r\nOK\r\n");
    assert_eq!(c.cmd("AT").await, "\r\nOK\r\n");
    assert_eq!(
        c.cmd("AT+CGMI;+CGMM").await,
        "\r\nSMSGATE\r\nSIMULATED-GSM\r\n\r\nOK\r\n"
    );
}

#[tokio::test]
async fn cmee_levels_0_1_2_change_how_errors_look() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    assert_eq!(c.cmd("AT+CPIN=\"1234\"").await, "\r\nERROR\r\n");
    c.cmd("AT+CMEE=1").await;
    assert_eq!(c.cmd("AT+CPIN=\"1234\"").await, "\r\n+CME ERROR: 3\r\n");
    c.cmd("AT+CMEE=2").await;
    assert_eq!(
        c.cmd("AT+CPIN=\"1234\"").await,
        "\r\n+CME ERROR: operation not allowed\r\n"
    );
    assert_eq!(c.cmd("AT+CMEE=?").await, "\r\n+CMEE: (0-2)\r\n\r\nOK\r\n");
}

#[tokio::test]
async fn unknown_commands_answer_error_and_huawei_says_command_not_support() {
    let t = start(2, |cfg| {
        cfg.sims = vec![
            Default::default(),
            smsgate_hardware::sim::config::SimConfig {
                profile: Some(ProfileId::HuaweiE1752),
                ..Default::default()
            },
        ];
    });
    let mut g = AtClient::open(t.lab.modem_path(0).unwrap());
    g.cmd("ATE0").await;
    assert_eq!(g.cmd("AT+WIND?").await, "\r\nERROR\r\n");
    let mut h = AtClient::open(t.lab.modem_path(1).unwrap());
    h.cmd("ATE0").await;
    h.cmd("AT+CMEE=1").await;
    assert_eq!(h.cmd("AT+WIND?").await, "\r\nCOMMAND NOT SUPPORT\r\n");
    assert_eq!(h.cmd("AT+CGMI").await, "\r\nhuawei\r\n\r\nOK\r\n");
    // Huawei: locations start at 0 and an empty slot reads as a bare OK.
    assert_eq!(h.cmd("AT+CMGR=0").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn pdu_send_shows_a_bare_prompt_then_cmgs_with_a_modem_assigned_reference() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CMGF=0").await;
    assert_eq!(
        send_pdu(&mut c, "+447700900001", "first", false).await,
        "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    );
    assert_eq!(
        send_pdu(&mut c, "+447700900001", "second", false).await,
        "\r\n+CMGS: 1\r\n\r\nOK\r\n"
    );
    let got = t.lab.wait_handset("+447700900001", 2).await;
    assert_eq!(got[0].text, "first");
    assert_eq!(got[1].message_refs, vec![1]);
}

#[tokio::test]
async fn a_wrong_pdu_length_is_cms_304_and_esc_aborts_the_send() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    // Error codes on, as every driver sets them (the generic modem answers plain ERROR otherwise).
    c.cmd("AT+CMEE=1").await;
    let p =
        &smsgate_pdu::encode_submit("+447700900002", "x", &SubmitOptions::default()).unwrap()[0];
    c.cmd(&format!("AT+CMGS={}", p.tpdu_len + 1)).await;
    c.write(format!("{}\x1a", p.hex()).as_bytes()).await;
    assert_eq!(
        c.read_until(|s| s.ends_with("\r\n") && s.len() > 2).await,
        "\r\n+CMS ERROR: 304\r\n"
    );
    c.cmd(&format!("AT+CMGS={}", p.tpdu_len)).await;
    c.write(b"0011\x1b").await;
    assert_eq!(c.read_until(|s| s.ends_with("OK\r\n")).await, "\r\nOK\r\n");
    assert!(t.lab.handset("+447700900002").is_empty());
}

#[tokio::test]
async fn status_reports_arrive_as_cds_or_cdsi_and_failing_numbers_report_failure() {
    let t = start(1, |cfg| cfg.failing_numbers = vec!["+447700900666".into()]);
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CNMI=2,1,0,1,0").await;
    let ans = send_pdu(&mut c, "+447700900003", "report me", true).await;
    assert!(ans.contains("+CMGS: 0"), "{ans}");
    let urc = c
        .read_until(|s| {
            s.contains("+CDS: ") && s.ends_with("\r\n") && s.matches("\r\n").count() >= 3
        })
        .await;
    let Pdu::StatusReport(r) = &pdus_in(&urc)[0] else {
        panic!("{urc}")
    };
    assert_eq!(
        (r.message_ref, r.status, r.recipient.display().as_str()),
        (0, 0, "+447700900003")
    );

    c.cmd("AT+CNMI=2,1,0,2,0").await;
    send_pdu(&mut c, "+447700900666", "will fail", true).await;
    let urc = c.read_until(|s| s.contains("+CDSI: ")).await;
    assert!(urc.contains("+CDSI: \"SR\",1"), "{urc}");
    c.cmd("AT+CPMS=\"SR\"").await;
    let rd = c.cmd("AT+CMGR=1").await;
    let Pdu::StatusReport(r) = &pdus_in(&rd)[0] else {
        panic!("{rd}")
    };
    assert_eq!((r.message_ref, r.status), (1, 0x41));
}

#[tokio::test]
async fn inbound_sms_is_stored_announced_read_listed_and_deleted_with_flags() {
    let t = start(1, |_| {});
    let me = t.lab.specs()[0].msisdn.clone();
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    // Error codes on, as every driver sets them (the generic modem answers plain ERROR otherwise).
    c.cmd("AT+CMEE=1").await;
    c.cmd("AT+CNMI=2,1,0,0,0").await;
    t.lab.inject(&inbound(&me, "+33612345678", "un")).unwrap();
    assert_eq!(
        c.read_until(|s| s.ends_with("\r\n") && s.len() > 4).await,
        "\r\n+CMTI: \"SM\",1\r\n"
    );
    t.lab.inject(&inbound(&me, "0612345678", "deux")).unwrap();
    c.read_until(|s| s.contains("+CMTI: \"SM\",2\r\n")).await;
    t.lab
        .inject(&inbound(&me, "ACME Bank", "trois 😀"))
        .unwrap();
    c.read_until(|s| s.contains("+CMTI: \"SM\",3\r\n")).await;

    let rd = c.cmd("AT+CMGR=1").await;
    assert!(rd.starts_with("\r\n+CMGR: 0,,"), "{rd}");
    let Pdu::Deliver(d) = &pdus_in(&rd)[0] else {
        panic!()
    };
    assert_eq!(
        (d.sender.display().as_str(), d.user_data.text.as_str()),
        ("+33612345678", "un")
    );

    let unread = c.cmd("AT+CMGL=0").await;
    let texts: Vec<String> = pdus_in(&unread)
        .into_iter()
        .map(|p| p.user_data().unwrap().text.clone())
        .collect();
    assert_eq!(texts, vec!["deux", "trois 😀"]);
    let Pdu::Deliver(d) = &pdus_in(&unread)[1] else {
        panic!()
    };
    assert_eq!(d.sender.display(), "ACME Bank");

    assert!(
        c.cmd("AT+CPMS?")
            .await
            .contains("+CPMS: \"SM\",3,30,\"SM\",3,30,\"SM\",3,30")
    );
    c.cmd("AT+CMGD=2").await;
    assert!(c.cmd("AT+CPMS?").await.contains("\"SM\",2,30"));
    c.cmd("AT+CMGD=1,4").await;
    assert!(c.cmd("AT+CPMS?").await.contains("\"SM\",0,30"));
    assert_eq!(c.cmd("AT+CMGR=1").await, "\r\n+CMS ERROR: 321\r\n");
}

#[tokio::test]
async fn cnmi_mt_2_routes_inbound_directly_as_cmt() {
    let t = start(1, |_| {});
    let me = t.lab.specs()[0].msisdn.clone();
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CNMI=2,2,0,0,0").await;
    t.lab
        .inject(&inbound(&me, "+33612345678", "routed"))
        .unwrap();
    let urc = c.read_until(|s| s.matches("\r\n").count() >= 3).await;
    assert!(urc.starts_with("\r\n+CMT: ,"), "{urc}");
    assert_eq!(pdus_in(&urc)[0].user_data().unwrap().text, "routed");
    assert!(c.cmd("AT+CPMS?").await.contains("\"SM\",0,30"));
}

#[tokio::test]
async fn a_long_inbound_text_arrives_in_parts_out_of_order_with_one_missing() {
    let t = start(1, |_| {});
    let me = t.lab.specs()[0].msisdn.clone();
    let text: String = std::iter::repeat_n("0123456789", 40).collect();
    let mut msg = inbound(&me, "+33612345678", &text);
    msg.out_of_order = true;
    msg.drop_part = Some(2);
    assert_eq!(t.lab.inject(&msg).unwrap(), 2);
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    let list = c.cmd("AT+CMGL=4").await;
    let seqs: Vec<(u8, u8)> = pdus_in(&list)
        .iter()
        .map(|p| {
            let cc = p.user_data().unwrap().concat.unwrap();
            (cc.seq, cc.total)
        })
        .collect();
    assert_eq!(seqs, vec![(3, 3), (1, 3)]);
}

#[tokio::test]
async fn full_storage_gives_cms_322_and_holds_inbound_until_space_frees() {
    let t = start(1, |_| {});
    let me = t.lab.specs()[0].msisdn.clone();
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    // Error codes on, as every driver sets them (the generic modem answers plain ERROR otherwise).
    c.cmd("AT+CMEE=1").await;
    c.cmd("AT+CNMI=2,1,0,0,0").await;
    t.lab.inject(&inbound(&me, "+33612345678", "kept")).unwrap();
    c.read_until(|s| s.contains("+CMTI")).await;
    t.lab
        .fault(
            0,
            Fault::StorageFull {
                full: true,
                memory: None,
            },
        )
        .await
        .unwrap();
    assert!(c.cmd("AT+CPMS?").await.contains("\"SM\",30,30"));
    t.lab
        .inject(&inbound(&me, "+33612345678", "waits"))
        .unwrap();
    let p =
        &smsgate_pdu::encode_submit("+447700900004", "x", &SubmitOptions::default()).unwrap()[0];
    c.cmd(&format!("AT+CMGW={}", p.tpdu_len)).await;
    c.write(format!("{}\x1a", p.hex()).as_bytes()).await;
    // No +CMTI came for "waits": the first thing on the line is the CMGW answer.
    assert_eq!(
        c.read_until(|s| s.ends_with("\r\n") && s.len() > 2).await,
        "\r\n+CMS ERROR: 322\r\n"
    );
    assert_eq!(t.lab.modems().await.unwrap()[0].state.pending_inbound, 1);
    t.lab
        .fault(
            0,
            Fault::StorageFull {
                full: false,
                memory: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.read_until(|s| s.contains("+CMTI")).await,
        "\r\n+CMTI: \"SM\",2\r\n"
    );
}

#[tokio::test]
async fn text_mode_sends_in_gsm_and_ucs2_charsets() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CMGF=1").await;
    c.cmd("AT+CSCS=\"GSM\"").await;
    assert!(c.cmd("AT+CMGS=\"+447700900005\"").await.ends_with("\r\n> "));
    c.write(b"plain text\x1a").await;
    assert!(
        c.read_until(|s| s.ends_with("OK\r\n"))
            .await
            .contains("+CMGS: 0")
    );
    c.cmd("AT+CSCS=\"UCS2\"").await;
    c.cmd("AT+CSMP=17,167,0,8").await;
    let da: String = "+447700900005"
        .encode_utf16()
        .map(|u| format!("{u:04X}"))
        .collect();
    c.cmd(&format!("AT+CMGS=\"{da}\"")).await;
    let body: String = "Ωmega ✓"
        .encode_utf16()
        .map(|u| format!("{u:04X}"))
        .collect();
    c.write(format!("{body}\x1a").as_bytes()).await;
    assert!(
        c.read_until(|s| s.ends_with("OK\r\n"))
            .await
            .contains("+CMGS: 1")
    );
    let got = t.lab.wait_handset("+447700900005", 2).await;
    assert_eq!(got[0].text, "plain text");
    assert_eq!(got[1].text, "Ωmega ✓");
    assert_eq!(got[1].encoding, smsgate_pdu::Encoding::Ucs2);
}

#[tokio::test]
async fn sms_between_two_sims_arrives_as_inbound_on_the_other_modem() {
    let t = start(2, |_| {});
    let specs = t.lab.specs();
    let mut a = AtClient::open(t.lab.modem_path(0).unwrap());
    let mut b = AtClient::open(t.lab.modem_path(1).unwrap());
    a.cmd("ATE0").await;
    b.cmd("ATE0").await;
    b.cmd("AT+CNMI=2,1,0,0,0").await;
    send_pdu(&mut a, &specs[1].msisdn, "hi neighbour", false).await;
    b.read_until(|s| s.contains("+CMTI: \"SM\",1")).await;
    let rd = b.cmd("AT+CMGR=1").await;
    let Pdu::Deliver(d) = &pdus_in(&rd)[0] else {
        panic!()
    };
    assert_eq!(d.sender.display(), specs[0].msisdn);
    assert_eq!(d.user_data.text, "hi neighbour");
    assert!(t.lab.handsets().is_empty());
}

#[tokio::test]
async fn ussd_balance_comes_back_as_a_cusd_urc_after_ok() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    assert_eq!(c.cmd("AT+CUSD=1,\"*100#\",15").await, "\r\nOK\r\n");
    let urc = c.read_until(|s| s.ends_with("\r\n") && s.len() > 4).await;
    assert_eq!(urc, "\r\n+CUSD: 0,\"Your balance is 10.00 USD\",15\r\n");
    assert_eq!(c.cmd("AT+CUSD=1,\"*999#\",15").await, "\r\nOK\r\n");
    assert_eq!(
        c.read_until(|s| s.ends_with("\r\n") && s.len() > 4).await,
        "\r\n+CUSD: 4\r\n"
    );
}

#[tokio::test]
async fn rate_limited_sims_get_the_configured_cms_error() {
    let t = start(1, |cfg| {
        cfg.rate_limit = Some(RateLimit {
            max: 1,
            per_seconds: 3600,
            cms_error: 42,
        })
    });
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    // Error codes on, as every driver sets them (the generic modem answers plain ERROR otherwise).
    c.cmd("AT+CMEE=1").await;
    assert!(
        send_pdu(&mut c, "+447700900006", "one", false)
            .await
            .contains("+CMGS: 0")
    );
    assert_eq!(
        send_pdu(&mut c, "+447700900006", "two", false).await,
        "\r\n+CMS ERROR: 42\r\n"
    );
}

// ------------------------------------------------------------------ faults

#[tokio::test]
async fn hang_swallows_the_next_commands_then_the_modem_answers_again() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    t.lab.fault(0, Fault::Hang { commands: 2 }).await.unwrap();
    c.write(b"AT\r").await;
    c.write(b"AT+CSQ\r").await;
    // The reply to the next command is the first thing on the line: nothing came for the two hung ones.
    assert_eq!(c.cmd("AT+CGMM").await, "\r\nSIMULATED-GSM\r\n\r\nOK\r\n");
}

#[tokio::test]
async fn cms_error_fault_fails_the_next_sends_only() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CMEE=1").await;
    t.lab
        .fault(
            0,
            Fault::CmsError {
                code: 500,
                sends: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        send_pdu(&mut c, "+447700900007", "a", false).await,
        "\r\n+CMS ERROR: 500\r\n"
    );
    // The refused submission used a message reference, as on a real network.
    assert!(
        send_pdu(&mut c, "+447700900007", "b", false)
            .await
            .contains("+CMGS: 1")
    );
    let seen: Vec<(String, Option<u16>)> = t
        .lab
        .submissions()
        .into_iter()
        .map(|s| (s.text, s.refused))
        .collect();
    assert_eq!(seen, [("a".into(), Some(500)), ("b".into(), None)]);
}

#[tokio::test]
async fn an_answer_lost_fault_delivers_the_sms_says_nothing_and_reports_it_late() {
    // The lab's own reports come at once; the lost one after its own delay.
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CNMI=2,1,0,1,0").await;
    t.lab
        .fault(
            0,
            Fault::AnswerLost {
                sends: 1,
                report_delay_ms: Some(400),
            },
        )
        .await
        .unwrap();
    let p = &smsgate_pdu::encode_submit(
        "+447700900009",
        "lost answer",
        &SubmitOptions {
            status_report: true,
            ..Default::default()
        },
    )
    .unwrap()[0];
    assert!(
        c.cmd(&format!("AT+CMGS={}", p.tpdu_len))
            .await
            .ends_with("> ")
    );
    c.write(format!("{}\x1a", p.hex()).as_bytes()).await;
    let silent = c.drain(200).await;
    assert!(
        !silent.contains("+CMGS") && !silent.contains("OK"),
        "{silent:?}"
    );
    // The modem answers the next command; the handset has the text.
    assert_eq!(c.cmd("AT").await, "\r\nOK\r\n");
    let got = t.lab.handsets();
    assert_eq!(got["+447700900009"][0].text, "lost answer");
    let urc = c
        .read_until(|s| s.contains("+CDS: ") && s.matches("\r\n").count() >= 3)
        .await;
    let Pdu::StatusReport(r) = &pdus_in(&urc)[0] else {
        panic!("{urc}")
    };
    assert_eq!((r.message_ref, r.status), (0, 0));
    // Only the next send lost its answer.
    assert!(
        send_pdu(&mut c, "+447700900009", "answered", false)
            .await
            .contains("+CMGS: 1")
    );
}

#[tokio::test]
async fn sim_removed_and_pin_locked_look_like_a_real_sim_slot() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CMEE=1").await;
    t.lab.fault(0, Fault::SimRemoved).await.unwrap();
    assert_eq!(c.cmd("AT+CPIN?").await, "\r\n+CME ERROR: 10\r\n");
    assert_eq!(c.cmd("AT+CMGS=10").await, "\r\n+CMS ERROR: 310\r\n");
    assert_eq!(c.cmd("AT+CREG?").await, "\r\n+CREG: 0,0\r\n\r\nOK\r\n");
    t.lab.fault(0, Fault::SimInserted).await.unwrap();
    t.lab
        .fault(0, Fault::PinLocked { pin: "4321".into() })
        .await
        .unwrap();
    assert_eq!(c.cmd("AT+CPIN?").await, "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
    assert_eq!(c.cmd("AT+CIMI").await, "\r\n+CME ERROR: 11\r\n");
    assert_eq!(c.cmd("AT+CPIN=\"0000\"").await, "\r\n+CME ERROR: 16\r\n");
    assert_eq!(c.cmd("AT+CPIN=\"4321\"").await, "\r\nOK\r\n");
    assert_eq!(c.cmd("AT+CPIN?").await, "\r\n+CPIN: READY\r\n\r\nOK\r\n");
}

#[tokio::test]
async fn three_wrong_pins_lock_the_sim_until_the_puk() {
    let t = start(1, |cfg| {
        cfg.sims = vec![smsgate_hardware::sim::config::SimConfig {
            pin: Some("1111".into()),
            ..Default::default()
        }]
    });
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CMEE=1").await;
    for _ in 0..3 {
        assert_eq!(c.cmd("AT+CPIN=\"9999\"").await, "\r\n+CME ERROR: 16\r\n");
    }
    assert_eq!(c.cmd("AT+CPIN?").await, "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n");
    assert_eq!(c.cmd("AT+CPIN=\"12345678\",\"2222\"").await, "\r\nOK\r\n");
    assert_eq!(c.cmd("AT+CPIN?").await, "\r\n+CPIN: READY\r\n\r\nOK\r\n");
}

#[tokio::test]
async fn network_lost_denied_and_roaming_show_in_creg_urcs_and_sends() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    // Error codes on, as every driver sets them (the generic modem answers plain ERROR otherwise).
    c.cmd("AT+CMEE=1").await;
    c.cmd("AT+CREG=2").await;
    c.cmd("AT+CGREG=1").await;
    assert_eq!(
        c.cmd("AT+CREG?").await,
        "\r\n+CREG: 2,1,\"00A1\",\"0100\"\r\n\r\nOK\r\n"
    );
    t.lab
        .fault(
            0,
            Fault::Network {
                state: Registration::Searching,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.read_until(|s| s.contains("+CGREG")).await,
        "\r\n+CREG: 2\r\n\r\n+CGREG: 2\r\n"
    );
    assert_eq!(send_pdu_raw_cmd(&mut c).await, "\r\n+CMS ERROR: 331\r\n");
    t.lab
        .fault(
            0,
            Fault::Network {
                state: Registration::Denied,
            },
        )
        .await
        .unwrap();
    assert!(
        c.read_until(|s| s.contains("+CGREG"))
            .await
            .contains("+CREG: 3")
    );
    assert_eq!(c.cmd("AT+COPS?").await, "\r\n+COPS: 0\r\n\r\nOK\r\n");
    t.lab
        .fault(
            0,
            Fault::Network {
                state: Registration::Roaming,
            },
        )
        .await
        .unwrap();
    assert!(
        c.read_until(|s| s.contains("+CGREG"))
            .await
            .contains("+CREG: 5,\"00A1\",\"0100\"")
    );
    assert!(
        send_pdu(&mut c, "+447700900008", "roaming ok", false)
            .await
            .contains("+CMGS: 0")
    );
}

async fn send_pdu_raw_cmd(c: &mut AtClient) -> String {
    let p =
        &smsgate_pdu::encode_submit("+447700900008", "x", &SubmitOptions::default()).unwrap()[0];
    c.cmd(&format!("AT+CMGS={}", p.tpdu_len)).await;
    c.write(format!("{}\x1a", p.hex()).as_bytes()).await;
    c.read_until(|s| s.ends_with("\r\n") && s.len() > 2).await
}

#[tokio::test]
async fn unplug_closes_the_pty_and_removes_the_symlink_plug_brings_it_back() {
    let t = start(1, |cfg| cfg.profile = ProfileId::Sim800);
    let path = t.lab.modem_path(0).unwrap().to_owned();
    let mut c = AtClient::open(&path);
    c.cmd("ATE0").await;
    t.lab.fault(0, Fault::Unplug).await.unwrap();
    assert!(c.wait_closed().await, "the old pty must report EOF/EIO");
    assert!(
        std::fs::symlink_metadata(&path).is_err(),
        "symlink must be gone"
    );
    t.lab.fault(0, Fault::Plug).await.unwrap();
    let mut c = AtClient::open(&path);
    let boot = c.read_until(|s| s.contains("SMS Ready\r\n")).await;
    assert!(boot.contains("\r\nRDY\r\n"), "{boot}");
    // Settings are back to power-on defaults: echo is on again.
    assert_eq!(c.cmd("AT").await, "AT\r\r\nOK\r\n");
}

#[tokio::test]
async fn garbage_and_urc_storms_reach_the_line_and_the_modem_keeps_answering() {
    let t = start(1, |_| {});
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    t.lab.fault(0, Fault::Garbage { bytes: 64 }).await.unwrap();
    c.read_until(|_| true).await;
    let mut got = 0;
    while got < 64 {
        got += c.read_until(|s| !s.is_empty()).await.len();
    }
    t.lab.fault(0, Fault::UrcStorm { count: 50 }).await.unwrap();
    let storm = c
        .read_until(|s| s.matches("+CREG: 1\r\n").count() == 50)
        .await;
    assert_eq!(storm.matches("+CREG").count(), 50);
    assert_eq!(c.cmd("AT").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn cfun_reset_reboots_with_boot_urcs_and_default_settings() {
    let t = start(1, |cfg| cfg.profile = ProfileId::QuectelEc25);
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CMGF=1").await;
    assert_eq!(c.cmd("AT+CFUN=1,1").await, "\r\nOK\r\n");
    let boot = c.read_until(|s| s.contains("+QIND: PB DONE\r\n")).await;
    assert!(boot.starts_with("\r\nRDY\r\n"), "{boot}");
    assert_eq!(
        c.cmd("AT+CMGF?").await,
        "AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n"
    );
}

#[tokio::test]
async fn reboot_fault_relocks_a_pin_sim() {
    let t = start(1, |cfg| cfg.profile = ProfileId::Sim800);
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    t.lab
        .fault(0, Fault::PinLocked { pin: "1234".into() })
        .await
        .unwrap();
    assert_eq!(c.cmd("AT+CPIN=\"1234\"").await, "\r\nOK\r\n");
    t.lab.fault(0, Fault::Reboot).await.unwrap();
    c.read_until(|s| s.contains("SMS Ready\r\n")).await;
    assert_eq!(
        c.cmd("AT+CPIN?").await,
        "AT+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    );
}

#[tokio::test]
async fn huawei_sends_periodic_rssi_urcs_and_packed_ussd() {
    let t = start(1, |cfg| {
        cfg.profile = ProfileId::HuaweiE1752;
        cfg.periodic_urc_ms = 20;
    });
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.read_until(|s| s.contains("^RSSI:20\r\n")).await;
    c.cmd("ATE0").await;
    c.cmd("AT^CURC=0").await;
    c.drain(0).await;
    // "*100#" as GSM 7-bit packed hex, the form Huawei sticks expect.
    assert_eq!(c.cmd("AT+CUSD=1,\"AA180C3602\",15").await, "\r\nOK\r\n");
    let urc = c
        .read_until(|s| s.contains("+CUSD:") && s.ends_with("\r\n"))
        .await;
    assert!(
        urc.ends_with("\r\n+CUSD: 0,\"D9775D0E1287D961F7B80C4ACF4131980B060355A744\",15\r\n"),
        "{urc}"
    );
}

#[tokio::test]
async fn text_mode_reads_show_sender_timestamp_and_text_with_csdh_details() {
    let t = start(1, |_| {});
    let me = t.lab.specs()[0].msisdn.clone();
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CMGF=1").await;
    c.cmd("AT+CNMI=2,1,0,0,0").await;
    t.lab
        .inject(&inbound(&me, "+33612345678", "Salut @ toi"))
        .unwrap();
    c.read_until(|s| s.contains("+CMTI: \"SM\",1\r\n")).await;
    let rd = c.cmd("AT+CMGR=1").await;
    assert!(
        rd.starts_with("\r\n+CMGR: \"REC UNREAD\",\"+33612345678\",,\""),
        "{rd}"
    );
    assert!(
        rd.contains("\"\r\nSalut \u{0} toi\r\n\r\nOK\r\n"),
        "GSM charset shows '@' as code 0: {rd:?}"
    );
    c.cmd("AT+CSCS=\"IRA\"").await;
    c.cmd("AT+CSDH=1").await;
    let list = c.cmd("AT+CMGL=\"ALL\"").await;
    assert!(
        list.starts_with("\r\n+CMGL: 1,\"REC READ\",\"+33612345678\",,\""),
        "{list}"
    );
    assert!(list.contains("\",145,11\r\nSalut @ toi\r\n"), "{list}");
    let rd = c.cmd("AT+CMGR=1").await;
    assert!(
        rd.contains("\",145,4,0,0,\"+15559999999\",145,11\r\n"),
        "{rd}"
    );
    c.cmd("AT+CNMI=2,2,0,0,0").await;
    t.lab.inject(&inbound(&me, "ACME", "routed")).unwrap();
    let urc = c.read_until(|s| s.ends_with("routed\r\n")).await;
    assert!(urc.starts_with("\r\n+CMT: \"ACME\",,\""), "{urc}");
}

/// Real time, lower bounds only: a sleep never ends early, so this cannot flake (no speed is asserted).
#[tokio::test]
async fn send_latency_and_report_delay_are_never_shorter_than_configured() {
    let t = start(1, |cfg| {
        cfg.latency_ms = 200;
        cfg.jitter_ms = 0;
        cfg.delivery_report_delay_ms = 300;
    });
    let mut c = AtClient::open(t.lab.modem_path(0).unwrap());
    c.cmd("ATE0").await;
    c.cmd("AT+CNMI=2,1,0,1,0").await;
    let t0 = std::time::Instant::now();
    assert!(
        send_pdu(&mut c, "+447700900009", "slow network", true)
            .await
            .contains("+CMGS: 0")
    );
    assert!(t0.elapsed() >= std::time::Duration::from_millis(200));
    c.read_until(|s| s.contains("+CDS: ") && s.matches("\r\n").count() >= 3)
        .await;
    assert!(t0.elapsed() >= std::time::Duration::from_millis(500));
}
