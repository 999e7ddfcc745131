//! The recorded python-gsmmodem modem profiles drive the real engine + Modem through probe,
//! init, send, read and USSD over `tokio::io::duplex`.

// Test code: unwrap on fixtures is the point (clippy.toml allows it in #[test] fns only).
#![allow(clippy::unwrap_used)]

mod support;

use smsgate_modem::commands::ussd::pack_gsm7_hex;
use smsgate_modem::{InitOptions, Modem, ModemError, StoredContent, Vendor};
use smsgate_pdu::{DeliverOptions, Pdu, SubmitOptions};
use support::{FakeConfig, engine_with, recorded, recorded_names};

const BALANCE: &str = "Balance: 12.50 EUR";

fn deliver_hex(from: &str, text: &str) -> String {
    let opts = DeliverOptions {
        smsc: Some("+31624000000".into()),
        timestamp: chrono::DateTime::parse_from_rfc3339("2026-11-21T10:00:00+01:00").unwrap(),
        concat_ref: 0,
        concat_16bit: false,
        encoding: None,
        status_report_indication: false,
        national_language: None,
    };
    smsgate_pdu::encode_deliver(from, text, &opts).unwrap()[0].hex()
}

/// The first line the recording answers to `cmd`, trimmed (what probe must report).
fn recorded_value(name: &str, cmd: &str) -> String {
    recorded(name)
        .responses
        .get(cmd)
        .and_then(|l| l.first())
        .filter(|l| !l.starts_with("OK") && !l.starts_with("ERROR"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default()
}

async fn probe(
    name: &str,
    vendor_reply_packed: bool,
) -> (Modem, support::FakeHandle, smsgate_modem::DeviceInfo) {
    let mut cfg = FakeConfig::new(recorded(name));
    cfg.stored
        .insert(3, (0, deliver_hex("+33612345678", "Hello from the fake")));
    cfg.ussd_reply = Some(if vendor_reply_packed {
        format!("+CUSD: 0,\"{}\",15", pack_gsm7_hex(BALANCE).unwrap())
    } else {
        format!("+CUSD: 0,\"{BALANCE}\",15")
    });
    let (at, urcs, fake) = engine_with(cfg);
    let (modem, info) = Modem::probe(at, urcs, None)
        .await
        .unwrap_or_else(|e| panic!("{name}: probe: {e}"));
    (modem, fake, info)
}

/// Probe, init, send (single and multipart), list/read/delete and USSD against one recording.
async fn drive(name: &str, vendor: Vendor) {
    let packed = vendor == Vendor::Huawei;
    let (mut modem, fake, info) = probe(name, packed).await;
    assert_eq!(modem.profile().vendor, vendor, "{name}");
    assert_eq!(info.manufacturer, recorded_value(name, "AT+CGMI"), "{name}");
    assert_eq!(info.model, recorded_value(name, "AT+CGMM"), "{name}");
    let imei = recorded_value(name, "AT+CGSN");
    assert_eq!(info.imei.unwrap_or_default(), imei, "{name}");

    let report = modem
        .init(&InitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{name}: init: {e}"));
    assert!(report.pdu_mode, "{name}");
    assert!(report.cnmi.is_some(), "{name}");
    let commands = fake.commands();
    assert!(commands.contains(&"ATE0".to_owned()), "{name}");
    assert!(commands.contains(&"AT+CMGF=0".to_owned()), "{name}");
    for line in &modem.profile().init {
        assert!(
            commands.contains(line),
            "{name}: vendor init {line} not sent"
        );
    }

    // Single-part send: the modem's reference comes back and the PDU it got is ours.
    let refs = modem
        .send_sms("+31612345678", "Hello", &SubmitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{name}: send: {e}"));
    assert_eq!(refs, [Some(16)], "{name}");
    let sent = fake.payload_texts();
    let Pdu::Submit(s) = smsgate_pdu::decode_hex(&sent[0]).unwrap() else {
        panic!("{name}: not a SUBMIT")
    };
    assert_eq!(
        (s.recipient.display().as_str(), s.user_data.text.as_str()),
        ("+31612345678", "Hello")
    );

    // Multipart: one CMGS per part, every reference returned.
    let long = "x".repeat(200);
    let refs = modem
        .send_sms("+31612345678", &long, &SubmitOptions::default())
        .await
        .unwrap();
    assert_eq!(refs, [Some(17), Some(18)], "{name}");

    // Read: list, read one, delete.
    let list = modem
        .list_messages(smsgate_modem::commands::sms::MessageStatus::All)
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "{name}");
    let StoredContent::Pdu { pdu } = &list[0].content else {
        panic!("{name}: {:?}", list[0])
    };
    let Pdu::Deliver(d) = pdu.as_ref() else {
        panic!("{name}: not a DELIVER")
    };
    assert_eq!(
        (d.sender.display().as_str(), d.user_data.text.as_str()),
        ("+33612345678", "Hello from the fake")
    );
    assert_eq!(list[0].index, 3);
    let one = modem.read_message(3).await.unwrap().unwrap();
    assert_eq!(one.content, list[0].content);
    modem.delete_message(3).await.unwrap();
    assert_eq!(
        modem.read_message(3).await.unwrap(),
        None,
        "{name}: slot must be empty after delete"
    );

    // USSD balance check.
    let u = modem
        .ussd("*100#")
        .await
        .unwrap_or_else(|e| panic!("{name}: ussd: {e}"));
    assert_eq!(u.text.as_deref(), Some(BALANCE), "{name}");
    let expected_request = if packed {
        format!("AT+CUSD=1,\"{}\",15", pack_gsm7_hex("*100#").unwrap())
    } else {
        "AT+CUSD=1,\"*100#\",15".to_owned()
    };
    assert!(
        fake.commands().contains(&expected_request),
        "{name}: {:?}",
        fake.commands()
    );
}

#[tokio::test(start_paused = true)]
async fn huawei_e1752_recording_drives_probe_init_send_read_and_packed_ussd() {
    drive("HuaweiE1752", Vendor::Huawei).await;
}

#[tokio::test(start_paused = true)]
async fn huawei_k3715_recording_drives_probe_init_send_read_and_packed_ussd() {
    drive("HuaweiK3715", Vendor::Huawei).await;
}

#[tokio::test(start_paused = true)]
async fn zte_k3565z_recording_drives_probe_init_send_read_and_ussd() {
    drive("ZteK3565Z", Vendor::Zte).await;
}

#[tokio::test(start_paused = true)]
async fn qualcomm_m6280_recording_drives_probe_init_send_read_and_ussd() {
    drive("QualcommM6280", Vendor::Generic).await;
}

#[tokio::test(start_paused = true)]
async fn wavecom_recording_with_cpin_without_ok_and_two_storage_roles_works() {
    drive("WavecomMultiband900E1800", Vendor::Wavecom).await;
}

#[tokio::test(start_paused = true)]
async fn generic_test_modem_recording_drives_the_generic_profile() {
    drive("GenericTestModem", Vendor::Generic).await;
}

#[tokio::test(start_paused = true)]
async fn wavecom_storage_is_set_with_two_memories() {
    let (mut modem, fake, _) = probe("WavecomMultiband900E1800", false).await;
    let report = modem.init(&InitOptions::default()).await.unwrap();
    assert_eq!(report.storage.as_deref(), Some("SM"));
    assert!(
        fake.commands()
            .contains(&"AT+CPMS=\"SM\",\"SM\"".to_owned()),
        "{:?}",
        fake.commands()
    );
    assert!(
        !fake
            .commands()
            .contains(&"AT+CPMS=\"SM\",\"SM\",\"SM\"".to_owned())
    );
}

#[tokio::test(start_paused = true)]
async fn nokia_n79_without_sms_storage_is_reported_as_no_sms() {
    let (mut modem, _fake, info) = probe("NokiaN79", false).await;
    assert_eq!(info.model, "Nokia N79");
    assert_eq!(
        info.revision.as_deref(),
        Some("V ICPR72_08w44.1 24-11-08 RM-348 (c) Nokia 11.049")
    );
    let err = modem.init(&InitOptions::default()).await.unwrap_err();
    assert!(matches!(err, ModemError::NoSms(_)), "{err}");
}

#[tokio::test(start_paused = true)]
async fn qualcomm_sim_busy_on_csca_is_retried() {
    let (mut modem, fake, _) = probe("QualcommM6280", false).await;
    let smsc = modem.smsc().await.unwrap();
    assert_eq!(smsc.number, "+31624000000");
    let asked = fake.commands().iter().filter(|c| *c == "AT+CSCA?").count();
    assert_eq!(asked, 2, "first answer was SIM busy, second the number");
}

#[tokio::test(start_paused = true)]
async fn a_configured_vendor_overrides_detection() {
    let (at, urcs, _fake) = engine_with(FakeConfig::new(recorded("ZteK3565Z")));
    let (modem, info) = Modem::probe(at, urcs, Some(Vendor::Quectel)).await.unwrap();
    assert_eq!(info.manufacturer, "ZTE INCORPORATED");
    assert_eq!(modem.profile().vendor, Vendor::Quectel);
}

#[test]
fn every_recorded_profile_is_covered() {
    let names = recorded_names();
    assert_eq!(
        names,
        [
            "GenericTestModem",
            "HuaweiE1752",
            "HuaweiK3715",
            "NokiaN79",
            "QualcommM6280",
            "WavecomMultiband900E1800",
            "ZteK3565Z"
        ]
    );
}
