//! gammu's real modem answers ($SMSGATE_SHARED/testdata/gammu) go through our command parsers
//! to the right values.

// Test code: unwrap on fixtures is the point (clippy.toml allows it in #[test] fns only).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use smsgate_modem::commands::info::{parse_csca, parse_cscs};
use smsgate_modem::commands::network::{RegDomain, RegStatus, parse_registration_reply};
use smsgate_modem::commands::sms::{MessageStatus, TextEntry, parse_cmgr_pdu, parse_cmgr_text};
use smsgate_modem::commands::storage::{CnmiSetting, parse_cnmi_support, parse_cpms_support};
use smsgate_modem::commands::ussd::{UssdEncoding, UssdStatus, parse_cusd};

fn gammu(path: &str) -> PathBuf {
    let shared = std::env::var("SMSGATE_SHARED").unwrap_or_else(|_| env!("SMSGATE_SHARED").into());
    PathBuf::from(shared).join("testdata/gammu").join(path)
}

/// The answer lines of a dump: without the echoed command, blank lines and the final `OK`.
fn answer(path: &str) -> Vec<String> {
    let bytes = std::fs::read(gammu(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<String> = text
        .split(['\n', '\r'])
        .map(str::to_owned)
        .filter(|l| !l.trim().is_empty() && !l.starts_with("AT"))
        .collect();
    if lines.last().is_some_and(|l| l.trim() == "OK") {
        lines.pop();
    }
    lines
}

fn with_lines<T>(path: &str, f: impl FnOnce(&[&str]) -> T) -> T {
    let owned = answer(path);
    let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
    f(&lines)
}

fn creg(path: &str) -> Option<smsgate_modem::commands::network::Registration> {
    with_lines(path, |l| parse_registration_reply(l, RegDomain::Cs))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn creg_dumps_give_status_and_location() {
    assert_eq!(creg("at-creg/empty.dump"), None);
    let r = creg("at-creg/none.dump").unwrap();
    assert_eq!((r.mode, r.status), (Some(0), RegStatus::NotRegistered));
    let r = creg("at-creg/huawei.dump").unwrap();
    assert_eq!(
        (r.status, r.lac, r.cell_id),
        (RegStatus::Home, Some(0x4CA), Some(0x81DE445))
    );
    let r = creg("at-creg/siemens.dump").unwrap();
    assert_eq!(
        (r.status, r.lac, r.cell_id, r.act),
        (RegStatus::Home, Some(0x5E25), Some(0x605F), None)
    );
    let r = creg("at-creg/sierra312u.dump").unwrap();
    assert_eq!(
        (r.status, r.lac, r.cell_id, r.act),
        (RegStatus::Roaming, Some(0x2AF5), Some(0x0B88E350), Some(2))
    );
    let r = creg("at-creg/telit.dump").unwrap();
    assert_eq!((r.status, r.act), (RegStatus::Home, Some(2)));
}

#[test]
fn creg_corner_cases_keep_what_is_readable() {
    let r = creg("at-creg-corner/empty-lac.dump").unwrap();
    assert_eq!(
        (r.status, r.lac, r.cell_id),
        (RegStatus::Home, None, Some(0x605F))
    );
    let r = creg("at-creg-corner/mismatched-quotes.dump").unwrap();
    assert_eq!(
        (r.status, r.lac, r.cell_id, r.act),
        (RegStatus::Home, Some(0x0B), Some(0x0100701), Some(7))
    );
    let r = creg("at-creg-corner/single-quote.dump").unwrap();
    assert_eq!(
        (r.status, r.lac, r.cell_id),
        (RegStatus::Home, Some(0x5E25), None)
    );
}

#[test]
fn cpms_dumps_offer_sm_and_me_but_no_status_report_memory() {
    for f in ["alcatel-s320", "brovi-e3372-325", "generic", "samsung-j700"] {
        let path = format!("at-cpms/{f}.dump");
        let s = with_lines(&path, parse_cpms_support).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(s.can_read("SM") && s.can_read("ME"), "{path}: {s:?}");
        assert!(!s.can_read("SR"), "{path}: {s:?}");
        assert_eq!(s.assumed, f == "samsung-j700", "{path}");
        assert_eq!(s.choose(&["SM"]).as_deref(), Some("SM"));
    }
    let s = with_lines("at-cpms/alcatel-s320.dump", parse_cpms_support).unwrap();
    assert_eq!(s.read, ["SM", "ME", "SM_P", "ME_P", "MT"]);
}

#[test]
fn cnmi_dumps_choose_a_supported_setting_with_status_reports() {
    let preferred = CnmiSetting {
        mode: 2,
        mt: 1,
        bm: 0,
        ds: 2,
        bfr: 0,
    };
    for (f, want) in [
        ("01", "2,1,0,1,0"),
        ("02", "2,1,0,1,0"),
        ("03", "2,1,0,1,0"),
    ] {
        let path = format!("at-cnmi/{f}.dump");
        let s = with_lines(&path, parse_cnmi_support).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            s.choose(preferred).map(|c| c.args()).as_deref(),
            Some(want),
            "{path}"
        );
    }
    let s = with_lines("at-cnmi/01.dump", parse_cnmi_support).unwrap();
    assert_eq!(s.params[1], [0, 1, 3]);
}

#[test]
fn smsc_dumps_plain_and_ucs2_hex_give_the_number() {
    for (f, want) in [
        ("01", "+97254120032"),
        ("02", "+79168999100"),
        ("03", "+6281100000"),
        ("05", "+447802092035"),
    ] {
        let path = format!("at-smsc/{f}.dump");
        let s = with_lines(&path, parse_csca).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(s.number, want, "{path}");
        assert_eq!(s.toa, Some(145));
    }
}

#[test]
fn cscs_huawei_dump_reads_gsm() {
    assert_eq!(
        with_lines("at-cscs-huawei/huawei-e1752.dump", parse_cscs).unwrap(),
        "GSM"
    );
}

fn cusd(
    path: &str,
    encoding: UssdEncoding,
    ucs2: bool,
) -> smsgate_modem::commands::ussd::UssdResponse {
    let lines = answer(path);
    let line = lines
        .iter()
        .find(|l| l.starts_with("+CUSD"))
        .unwrap_or_else(|| panic!("{path}: no +CUSD"));
    parse_cusd(line, encoding, ucs2).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn ussd_huawei_packed_hex_is_unpacked_through_the_gsm_alphabet() {
    let r = cusd("at-ussd/02-E160.dump", UssdEncoding::PackedGsm7Hex, false);
    assert_eq!(
        r.text.as_deref(),
        Some("Ihr Guthaben für die Nr.4915783647410 beträgt 5.78 Euro")
    );
    assert_eq!((r.status, r.dcs), (UssdStatus::Done, Some(15)));
    // The unquoted form without DCS from the same stick.
    let r = cusd("at-ussd/01-E160.dump", UssdEncoding::PackedGsm7Hex, false);
    let text = r.text.unwrap();
    assert!(
        text.starts_with("Ihr Guthaben") && text.ends_with("Euro"),
        "{text:?}"
    );
}

#[test]
fn ussd_plain_text_answers_are_kept() {
    let r = cusd("at-ussd/03-unknown.dump", UssdEncoding::Text, false);
    assert_eq!(r.status, UssdStatus::ActionRequired);
    assert!(r.text.unwrap().starts_with("Kontostand: 3.00 EUR"));
    let r = cusd("at-ussd/04-unknown.dump", UssdEncoding::Text, false);
    assert_eq!((r.status, r.dcs), (UssdStatus::Terminated, Some(0)));
    assert!(r.text.unwrap().starts_with("Maaf, permintaan"));
    let r = cusd("at-ussd/issue178-dell.dump", UssdEncoding::Text, false);
    assert!(r.text.unwrap().starts_with("On DATA Pack u have 3Gb"));
}

#[test]
fn ussd_ucs2_answers_are_decoded_per_dcs_or_charset() {
    // DCS 72 (0x48): UCS2.
    let r = cusd("at-ussd/issue109-E3276.dump", UssdEncoding::Text, false);
    assert_eq!(
        r.text.as_deref(),
        Some("Для справки о балансе наберите *105#. Услуга бесплатна.")
    );
    // DCS 15 but AT+CSCS="UCS2" in effect (the U prefix of gammu's file name).
    let r = cusd(
        "at-ussd/Uissue358-Quectel_M35.dump",
        UssdEncoding::Text,
        true,
    );
    let t = r.text.unwrap();
    assert!(t.starts_with("Havi keret: 0Ft."), "{t:?}");
    assert!(t.ends_with("*111#"), "{t:?}");
    // DCS 17: language "ar" then UCS2 text, padded with NUL and garbage.
    let r = cusd("at-ussd/issue377-HE910-D.dump", UssdEncoding::Text, false);
    let t = r.text.unwrap();
    assert!(t.starts_with("رصيدك 107.93"), "{t:?}");
    assert!(!t.contains('\0'));
}

#[test]
fn text_mode_reads_give_sender_time_and_whole_body() {
    let read = |path: &str| match with_lines(path, parse_cmgr_text)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
    {
        Some(TextEntry::Message(m)) => m,
        other => panic!("{path}: {other:?}"),
    };
    let m = read("at-sms-txt/motorola-l7.dump");
    assert_eq!(
        (m.status, m.number.as_str()),
        (Some(MessageStatus::ReceivedRead), "+4123456789132")
    );
    assert_eq!(
        m.timestamp.unwrap().time.to_rfc3339(),
        "2009-08-18T19:11:45+00:00"
    );
    assert!(m.body.starts_with("Hoewfliepl") && m.body.ends_with("noytaj. "));
    let m = read("at-sms-txt/motorola-long.dump");
    assert_eq!(m.body.lines().count(), 4);
    assert!(m.body.ends_with("Noytaj. "));
    let m = read("at-sms-txt/timezone.dump");
    assert_eq!(
        m.timestamp.unwrap().time.to_rfc3339(),
        "2007-07-05T09:56:03+02:00"
    );
    assert_eq!(m.body, "Test message 2");
}

#[test]
fn text_mode_detail_headers_give_dcs_and_zone() {
    let read = |path: &str| match with_lines(path, parse_cmgr_text)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
    {
        Some(TextEntry::Message(m)) => m,
        other => panic!("{path}: {other:?}"),
    };
    let m = read("at-sms-txt-detail/m2m.dump");
    assert_eq!(
        (m.number.as_str(), m.dcs, m.body.as_str()),
        ("3473065111", Some(18), "hello.")
    );
    assert_eq!(
        m.timestamp.unwrap().time.to_rfc3339(),
        "2006-05-28T18:15:41+20:00"
    );
    let m = read("at-sms-txt-detail/sample.dump");
    assert_eq!((m.number.as_str(), m.dcs), ("+393488535999", Some(0)));
    let m = read("at-sms-txt-detail/sample2.dump");
    assert_eq!(
        m.timestamp.unwrap().time.to_rfc3339(),
        "2007-02-18T00:05:10+08:00"
    );
    assert_eq!(m.body, "It is easy to read text messages via AT commands.");
    let m = read("at-sms-txt-detail/unsent.dump");
    assert_eq!(
        (m.status, m.number.as_str()),
        (Some(MessageStatus::StoredUnsent), "+10011")
    );
    assert_eq!(
        (m.timestamp, m.dcs, m.body.as_str()),
        (None, Some(0), "Hello World")
    );
}

#[test]
fn every_pdu_mode_cmgr_dump_decodes_and_every_failing_one_fails_cleanly() {
    let dir = gammu("at-sms");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "dump") {
            continue;
        }
        let rel = format!("at-sms/{}", path.file_name().unwrap().to_string_lossy());
        let p = with_lines(&rel, parse_cmgr_pdu)
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .unwrap();
        smsgate_pdu::decode_hex(&p.hex).unwrap_or_else(|e| panic!("{rel}: {e}"));
        n += 1;
    }
    assert_eq!(n, 36);
    let mut failing = 0;
    for entry in std::fs::read_dir(gammu("at-sms-failing")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "dump") {
            continue;
        }
        let rel = format!(
            "at-sms-failing/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let decoded =
            with_lines(&rel, parse_cmgr_pdu).map(|p| p.map(|p| smsgate_pdu::decode_hex(&p.hex)));
        assert!(
            !matches!(decoded, Ok(Some(Ok(_)))),
            "{rel} decoded but must fail"
        );
        failing += 1;
    }
    assert_eq!(failing, 10);
}
