//! Byte-level engine + Modem scenarios over `tokio::io::duplex` against the fake modem:
//! multipart sends, per-part failures, status reports, Huawei USSD, PIN entry, registration
//! waits with URCs, text-mode fallback, routed messages and stored-message indications.

// Test code: unwrap on fixtures is the point (clippy.toml allows it in #[test] fns only).
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use chrono::DateTime;
use smsgate_at::{AtError, CmsError};
use smsgate_modem::commands::info::SimState;
use smsgate_modem::commands::network::RegStatus;
use smsgate_modem::commands::sms::{MessageStatus, TextEntry};
use smsgate_modem::commands::ussd::{UssdEncoding, pack_gsm7_hex};
use smsgate_modem::{InitOptions, ModemError, ModemEvent, Profile, StoredContent, Vendor};
use smsgate_pdu::{Pdu, StatusReportOptions, SubmitOptions};
use support::{FakeConfig, modem_with};

fn ts(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn submit(hex: &str) -> smsgate_pdu::Submit {
    match smsgate_pdu::decode_hex(hex).unwrap() {
        Pdu::Submit(s) => s,
        other => panic!("not a SUBMIT: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn multipart_send_returns_every_parts_reference() {
    let (mut modem, fake) = modem_with(FakeConfig::generic(), Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let text = "ж".repeat(150); // UCS2: 67 per part → 3 parts
    let refs = modem
        .send_sms("+33612345678", &text, &SubmitOptions::default())
        .await
        .unwrap();
    assert_eq!(refs, [Some(16), Some(17), Some(18)]);
    let payloads = fake.payload_texts();
    assert_eq!(payloads.len(), 3);
    let cmgs: Vec<String> = fake
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("AT+CMGS="))
        .collect();
    let mut joined = String::new();
    for (i, (hex, cmd)) in payloads.iter().zip(&cmgs).enumerate() {
        // The length is the TPDU without the SMSC octets ("00" = use AT+CSCA).
        assert_eq!(cmd, &format!("AT+CMGS={}", hex.len() / 2 - 1));
        let s = submit(hex);
        let c = s.user_data.concat.unwrap();
        assert_eq!((c.total, usize::from(c.seq)), (3, i + 1));
        joined.push_str(&s.user_data.text);
    }
    assert_eq!(joined, text);
    let refs: Vec<u16> = payloads
        .iter()
        .map(|h| submit(h).user_data.concat.unwrap().reference)
        .collect();
    assert!(
        refs.windows(2).all(|w| w[0] == w[1]),
        "one concat reference for all parts"
    );
}

#[tokio::test(start_paused = true)]
async fn cms_error_on_part_two_names_the_part_and_says_it_did_not_go_out() {
    let mut cfg = FakeConfig::generic();
    cfg.send_errors.insert(2, "+CMS ERROR: 38".into());
    let (mut modem, fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let err = modem
        .send_sms("+33612345678", &"a".repeat(400), &SubmitOptions::default())
        .await
        .unwrap_err();
    assert_eq!((err.part, err.parts), (2, 3));
    assert_eq!(err.references, [Some(16)]);
    assert!(!err.may_have_been_sent);
    let at = err.source.at().unwrap();
    assert!(
        matches!(at, AtError::Cms(CmsError::NetworkOutOfOrder)),
        "{at:?}"
    );
    assert!(err.source.is_retryable(), "CMS 38 is transient");
    assert_eq!(fake.payload_texts().len(), 2, "part 3 was never attempted");
}

#[tokio::test(start_paused = true)]
async fn a_send_that_times_out_after_the_pdu_may_have_gone_out() {
    let mut cfg = FakeConfig::generic();
    cfg.send_silent.push(1);
    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let err = modem
        .send_sms("+33612345678", "hello", &SubmitOptions::default())
        .await
        .unwrap_err();
    assert_eq!((err.part, err.parts), (1, 1));
    assert!(err.may_have_been_sent, "{err}");
    assert!(err.to_string().contains("may have gone out"));
}

#[tokio::test(start_paused = true)]
async fn a_routed_status_report_matches_the_reference_of_the_send() {
    let (mut modem, fake) = modem_with(FakeConfig::generic(), Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let opts = SubmitOptions {
        status_report: true,
        ..SubmitOptions::default()
    };
    let refs = modem
        .send_sms("+33612345678", "report me", &opts)
        .await
        .unwrap();
    assert!(submit(&fake.payload_texts()[0]).status_report_request);
    let mr = refs[0].unwrap();
    let report = smsgate_pdu::encode_status_report(&StatusReportOptions {
        smsc: Some("+31624000000".into()),
        message_ref: mr,
        recipient: "+33612345678".into(),
        sc_timestamp: ts("2026-11-21T10:00:00+01:00"),
        discharge_time: ts("2026-11-21T10:00:05+01:00"),
        status: 0,
    })
    .unwrap();
    fake.urc(&format!("+CDS: {}\r\n{}", report.tpdu_len, report.hex()));
    let ev = modem.next_event().await.unwrap();
    let ModemEvent::StatusReport(r) = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (r.message_ref, r.recipient.display().as_str()),
        (mr, "+33612345678")
    );
    assert_eq!(r.status_class(), smsgate_pdu::StatusClass::Delivered);
}

#[tokio::test(start_paused = true)]
async fn huawei_ussd_is_sent_and_read_as_packed_gsm7_hex() {
    let mut cfg = FakeConfig::generic();
    cfg.ussd_reply = Some(format!(
        "+CUSD: 0,\"{}\",15",
        pack_gsm7_hex("Ihr Guthaben: 5.78 Euro").unwrap()
    ));
    let (mut modem, fake) = modem_with(cfg, Vendor::Huawei.profile());
    modem.init(&InitOptions::default()).await.unwrap();
    assert_eq!(modem.ussd_encoding(), UssdEncoding::PackedGsm7Hex);
    let u = modem.ussd("*100#").await.unwrap();
    assert_eq!(u.text.as_deref(), Some("Ihr Guthaben: 5.78 Euro"));
    assert!(
        fake.commands()
            .contains(&"AT+CUSD=1,\"AA180C3602\",15".to_owned())
    );
    assert!(fake.commands().contains(&"AT^CURC=0".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn huawei_firmware_that_refuses_packed_hex_gets_ussd_in_text() {
    let mut cfg = FakeConfig::generic();
    cfg.overrides.insert(
        "AT+CUSD=1,\"AA180C3602\",15".into(),
        vec!["+CME ERROR: 50".into()],
    );
    cfg.ussd_reply = Some("+CUSD: 0,\"Balance 5\",15".into());
    let (mut modem, fake) = modem_with(cfg, Vendor::Huawei.profile());
    modem.init(&InitOptions::default()).await.unwrap();
    assert_eq!(
        modem.ussd("*100#").await.unwrap().text.as_deref(),
        Some("Balance 5")
    );
    assert_eq!(modem.ussd_encoding(), UssdEncoding::Text);
    let cusd: Vec<String> = fake
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("AT+CUSD"))
        .collect();
    assert_eq!(
        cusd,
        ["AT+CUSD=1,\"AA180C3602\",15", "AT+CUSD=1,\"*100#\",15"]
    );
}

#[tokio::test(start_paused = true)]
async fn ussd_without_an_answer_times_out_and_keeps_other_urcs() {
    let mut cfg = FakeConfig::generic();
    cfg.urcs_after
        .push(("AT+CUSD=1".into(), vec!["+CMTI: \"SM\",4".into()]));
    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let err = modem.ussd("*100#").await.unwrap_err();
    assert!(matches!(err, ModemError::UssdTimeout(_)), "{err}");
    let ev = modem.next_event().await.unwrap();
    assert_eq!(
        ev,
        ModemEvent::NewMessage {
            storage: "SM".into(),
            index: 4
        }
    );
}

#[tokio::test(start_paused = true)]
async fn pin_is_entered_when_the_sim_asks_and_refused_without_one() {
    let mut cfg = FakeConfig::generic();
    cfg.pin = Some("1234".into());
    let (mut modem, fake) = modem_with(cfg.clone(), Profile::generic());
    let err = modem.init(&InitOptions::default()).await.unwrap_err();
    assert!(
        matches!(err, ModemError::SimNotReady(SimState::SimPin)),
        "{err}"
    );
    assert!(!fake.commands().iter().any(|c| c.starts_with("AT+CPIN=")));

    let (mut modem, fake) = modem_with(cfg.clone(), Profile::generic());
    let opts = InitOptions {
        pin: Some("1234".into()),
        ..InitOptions::default()
    };
    modem.init(&opts).await.unwrap();
    assert!(fake.commands().contains(&"AT+CPIN=\"1234\"".to_owned()));
    assert_eq!(modem.sim_state().await.unwrap(), SimState::Ready);

    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    let opts = InitOptions {
        pin: Some("0000".into()),
        ..InitOptions::default()
    };
    let err = modem.init(&opts).await.unwrap_err();
    assert!(
        matches!(err.at(), Some(AtError::Cme(_))),
        "wrong PIN is a CME error: {err}"
    );
}

#[tokio::test(start_paused = true)]
async fn registration_wait_returns_on_the_registration_urc() {
    let mut cfg = FakeConfig::generic();
    cfg.creg = ["+CREG: 2,2".to_owned()].into();
    cfg.urcs_after.push((
        "AT+CEREG?".into(),
        vec!["+CREG: 5,\"00AB\",\"1234\"".into()],
    ));
    let (mut modem, fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let r = modem
        .wait_registered(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.lac, r.cell_id),
        (RegStatus::Roaming, Some(0xAB), Some(0x1234))
    );
    assert_eq!(
        fake.commands().iter().filter(|c| *c == "AT+CREG?").count(),
        1,
        "answered by the URC, not a poll"
    );
}

#[tokio::test(start_paused = true)]
async fn registration_wait_polls_until_registered_and_times_out_with_the_last_state() {
    let mut cfg = FakeConfig::generic();
    cfg.creg = ["+CREG: 2,2", "+CREG: 2,2", "+CREG: 2,1,\"1A\",\"2B\""]
        .map(String::from)
        .into();
    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    modem.set_registration_poll(Duration::from_secs(2));
    let r = modem
        .wait_registered(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(r.status, RegStatus::Home);

    let mut cfg = FakeConfig::generic();
    cfg.creg = ["+CREG: 2,2".to_owned()].into();
    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    let err = modem
        .wait_registered(Duration::from_secs(20))
        .await
        .unwrap_err();
    let ModemError::NotRegistered { last, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(last.unwrap().status, RegStatus::Searching);

    let mut cfg = FakeConfig::generic();
    cfg.creg = ["+CREG: 0,3".to_owned()].into();
    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    let err = modem
        .wait_registered(Duration::from_secs(20))
        .await
        .unwrap_err();
    assert!(matches!(err, ModemError::RegistrationDenied), "{err}");
}

#[tokio::test(start_paused = true)]
async fn text_mode_fallback_sends_and_lists_in_text_mode() {
    let mut cfg = FakeConfig::generic();
    cfg.no_pdu_mode = true;
    cfg.overrides.insert(
        "AT+CMGL=\"ALL\"".into(),
        vec![
            "+CMGL: 1,\"REC UNREAD\",\"+31625044454\",,\"07/07/05,09:56:03+08\"".into(),
            "OK".into(),
            "+CMGL: 2,\"REC READ\",\"+31625044455\",,\"07/07/05,09:57:03+08\"".into(),
            "Fine, and".into(),
            "you?".into(),
            "OK".into(),
        ],
    );
    let (mut modem, fake) = modem_with(cfg, Profile::generic());
    let report = modem.init(&InitOptions::default()).await.unwrap();
    assert!(!report.pdu_mode);
    assert!(fake.commands().contains(&"AT+CMGF=1".to_owned()));
    let refs = modem
        .send_sms("+33612345678", "Hello", &SubmitOptions::default())
        .await
        .unwrap();
    assert_eq!(refs, [Some(16)]);
    assert!(
        fake.commands()
            .contains(&"AT+CMGS=\"+33612345678\",145".to_owned())
    );
    assert!(fake.commands().contains(&"AT+CSMP=17,167,0,0".to_owned()));
    assert_eq!(fake.payload_texts(), ["Hello"]);

    let list = modem.list_messages(MessageStatus::All).await.unwrap();
    assert_eq!(list.len(), 2);
    let StoredContent::Text {
        entry: TextEntry::Message(m),
    } = &list[0].content
    else {
        panic!("{list:?}")
    };
    assert_eq!((list[0].index, m.number.as_str()), (1, "+31625044454"));
    assert_eq!(
        m.body, "OK",
        "a body reading OK is the body, not the final result"
    );
    assert_eq!(list[0].status, Some(MessageStatus::ReceivedUnread));
    let StoredContent::Text {
        entry: TextEntry::Message(m),
    } = &list[1].content
    else {
        panic!("{list:?}")
    };
    assert_eq!(m.body, "Fine, and\nyou?");
}

#[tokio::test(start_paused = true)]
async fn text_mode_refuses_texts_outside_the_gsm_alphabet_before_sending() {
    let mut cfg = FakeConfig::generic();
    cfg.no_pdu_mode = true;
    let (mut modem, fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let err = modem
        .send_sms("+33612345678", "Привет", &SubmitOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err.source, ModemError::TextMode(_)), "{err}");
    assert!(fake.payload_texts().is_empty());
}

#[tokio::test(start_paused = true)]
async fn routed_message_is_decoded_and_acknowledged_when_the_profile_needs_it() {
    let mut profile = Profile::generic();
    profile.quirks.needs_cnma = true;
    let (mut modem, fake) = modem_with(FakeConfig::generic(), profile);
    modem.init(&InitOptions::default()).await.unwrap();
    // gammu smsd-incoming-cmt style: "+CMT: ,<len>" then the PDU.
    let pdu = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";
    fake.urc(&format!("+CMT: ,24\r\n{pdu}"));
    let ev = modem.next_event().await.unwrap();
    let ModemEvent::Message(d) = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(d.sender.display(), "+31641600986");
    assert_eq!(d.user_data.text, "How are you?");
    assert_eq!(fake.commands().last().map(String::as_str), Some("AT+CNMA"));
}

#[tokio::test(start_paused = true)]
async fn cmti_leads_to_read_then_delete_and_cdsi_reads_from_the_sr_memory() {
    let mut cfg = FakeConfig::generic();
    let report = smsgate_pdu::encode_status_report(&StatusReportOptions {
        smsc: None,
        message_ref: 42,
        recipient: "+33612345678".into(),
        sc_timestamp: ts("2026-11-21T10:00:00+01:00"),
        discharge_time: ts("2026-11-21T10:00:05+01:00"),
        status: 0x46,
    })
    .unwrap();
    cfg.stored.insert(0, (0, report.hex()));
    let (mut modem, fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    fake.urc("+CDSI: \"SR\",0");
    let ev = modem.next_event().await.unwrap();
    let ModemEvent::StoredStatusReport { storage, index } = ev else {
        panic!("{ev:?}")
    };
    let m = modem.read_from(&storage, index).await.unwrap().unwrap();
    let StoredContent::Pdu { pdu } = &m.content else {
        panic!("{m:?}")
    };
    let Pdu::StatusReport(r) = pdu.as_ref() else {
        panic!("{pdu:?}")
    };
    assert_eq!(
        (r.message_ref, r.status_class()),
        (42, smsgate_pdu::StatusClass::PermanentFailure)
    );
    let cmds = fake.commands();
    let n = cmds.len();
    assert_eq!(
        &cmds[n - 3..],
        ["AT+CPMS=\"SR\"", "AT+CMGR=0", "AT+CPMS=\"SM\""]
    );
    modem.delete_message(0).await.unwrap();
    assert_eq!(
        fake.commands().last().map(String::as_str),
        Some("AT+CMGD=0")
    );
}

#[tokio::test(start_paused = true)]
async fn stored_pdu_that_does_not_decode_is_listed_with_its_reason() {
    let mut cfg = FakeConfig::generic();
    cfg.stored.insert(1, (1, "FFFFFFFFFFFFFFFFFFFFFFFF".into()));
    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    let list = modem.list_messages(MessageStatus::All).await.unwrap();
    assert!(
        matches!(&list[0].content, StoredContent::Undecodable { reason, .. } if !reason.is_empty()),
        "{list:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn signal_operator_and_smsc_are_read_and_set() {
    let mut cfg = FakeConfig::generic();
    cfg.overrides.insert(
        "AT+COPS?".into(),
        vec!["+COPS: 0,0,\"Orange F\",7".into(), "OK".into()],
    );
    let (mut modem, fake) = modem_with(cfg, Profile::generic());
    let s = modem.signal().await.unwrap();
    assert_eq!((s.dbm(), s.bars()), (Some(-79), Some(3)));
    assert_eq!(
        modem.operator().await.unwrap().name.as_deref(),
        Some("Orange F")
    );
    modem.set_smsc("+33695000695").await.unwrap();
    assert!(
        fake.commands()
            .contains(&"AT+CSCA=\"+33695000695\",145".to_owned())
    );
    assert_eq!(modem.smsc().await.unwrap().number, "+33695000695");
    let err = modem.set_smsc("not a number").await.unwrap_err();
    assert!(err.to_string().contains("smsc"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn reset_restarts_with_the_profile_command_and_reinitialises() {
    let (mut modem, fake) = modem_with(FakeConfig::generic(), Vendor::Zte.profile());
    let opts = InitOptions {
        smsc: Some("+33695000695".into()),
        ..InitOptions::default()
    };
    modem.init(&opts).await.unwrap();
    let before = fake.commands().len();
    let report = modem.reset(Duration::from_secs(30)).await.unwrap();
    assert_eq!(report.vendor, Vendor::Zte);
    let after: Vec<String> = fake.commands()[before..].to_vec();
    assert_eq!(after[0], "AT+CFUN=1,1");
    for cmd in [
        "ATE0",
        "AT+ZCDRUN=8",
        "AT+CMGF=0",
        "AT+CSCA=\"+33695000695\",145",
    ] {
        assert!(
            after.iter().any(|c| c == cmd),
            "{cmd} not re-sent after reset: {after:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn events_seen_during_a_call_are_kept_in_order_for_next_event() {
    let mut cfg = FakeConfig::generic();
    cfg.urcs_after.push((
        "AT+CUSD=1".into(),
        vec![
            "+CMTI: \"SM\",1".into(),
            "^RSSI: 12".into(),
            "+CUSD: 0,\"ok\",15".into(),
            "RING".into(),
        ],
    ));
    let (mut modem, _fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    assert_eq!(modem.ussd("*1#").await.unwrap().text.as_deref(), Some("ok"));
    assert_eq!(
        modem.next_event().await.unwrap(),
        ModemEvent::NewMessage {
            storage: "SM".into(),
            index: 1
        }
    );
    assert!(matches!(modem.next_event().await.unwrap(), ModemEvent::Signal(s) if s.rssi == 12));
    assert_eq!(modem.next_event().await.unwrap(), ModemEvent::Ring);
}

#[tokio::test(start_paused = true)]
async fn a_modem_stuck_in_ucs2_gets_its_smsc_and_ussd_in_ucs2_hex() {
    let mut cfg = FakeConfig::generic();
    cfg.overrides
        .insert("AT+CSCS=\"GSM\"".into(), vec!["ERROR".into()]);
    cfg.overrides.insert(
        "AT+CSCS?".into(),
        vec!["+CSCS: \"UCS2\"".into(), "OK".into()],
    );
    cfg.ussd_reply = Some("+CUSD: 0,\"00420061006C0020003500200E3F\",15".into());
    let (mut modem, fake) = modem_with(cfg, Profile::generic());
    modem.init(&InitOptions::default()).await.unwrap();
    modem.set_smsc("+33695").await.unwrap();
    assert!(
        fake.commands()
            .contains(&"AT+CSCA=\"002B00330033003600390035\",145".to_owned())
    );
    let u = modem.ussd("*100#").await.unwrap();
    assert!(
        fake.commands()
            .contains(&"AT+CUSD=1,\"002A0031003000300023\",15".to_owned())
    );
    assert_eq!(u.text.as_deref(), Some("Bal 5 ฿"));
}

#[tokio::test(start_paused = true)]
async fn a_rejected_vendor_init_command_is_skipped_and_reported() {
    let mut cfg = FakeConfig::generic();
    cfg.overrides
        .insert("AT+ZOPRT=5".into(), vec!["ERROR".into()]);
    let (mut modem, fake) = modem_with(cfg, Vendor::Zte.profile());
    let report = modem.init(&InitOptions::default()).await.unwrap();
    assert_eq!(report.skipped, ["AT+ZOPRT=5"]);
    assert!(fake.commands().contains(&"AT+ZCDRUN=8".to_owned()));
    assert!(report.pdu_mode && report.storage.as_deref() == Some("SM"));
}
