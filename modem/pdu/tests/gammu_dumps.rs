//! gammu's real `AT+CMGR` dumps (`$SMSGATE_SHARED/testdata/gammu/`): every `at-sms/` dump decodes
//! (whatever `+CMGR` length it declares), with the message type the reference's table lists;
//! every `at-sms-failing/` dump is rejected with an error, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::PathBuf;

use smsgate_pdu::{Encoding, Pdu, PduError, TypeOfNumber, decode_hex};

fn dir(name: &str) -> PathBuf {
    let shared =
        std::env::var("SMSGATE_SHARED").unwrap_or_else(|_| env!("SMSGATE_SHARED").to_string());
    PathBuf::from(shared).join("testdata/gammu").join(name)
}

fn dumps(name: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir(name))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "dump"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            // Dumps are not all UTF-8 clean; the PDU line is ASCII.
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (name, text)
        })
        .collect();
    out.sort();
    out
}

/// `+CMGR: …` header and the PDU line after it. The line may end in CR, LF or a stray `"`.
fn cmgr(dump: &str) -> (String, String) {
    let mut lines = dump
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '"'));
    let header = lines
        .by_ref()
        .find(|l| l.starts_with("+CMGR:"))
        .expect("a +CMGR: line")
        .to_string();
    let pdu = lines
        .find(|l| !l.is_empty())
        .expect("a PDU line")
        .to_string();
    (header, pdu)
}

/// Message types from the reference's classification of the corpus (§5.1).
fn expected_kind(file: &str) -> &'static str {
    match &file[..2] {
        "30" | "32" | "34" | "36" | "38" => "status-report",
        "02" | "05" | "14" | "15" | "16" | "19" | "20" | "24" | "28" | "29" | "31" | "41" => {
            "submit"
        }
        _ => "deliver",
    }
}

#[test]
fn every_at_sms_dump_decodes_with_the_listed_message_type() {
    let all = dumps("at-sms");
    assert_eq!(all.len(), 36, "gammu at-sms has 36 dumps");
    let mut failures = Vec::new();
    let mut declared_length_wrong = 0;
    for (file, text) in &all {
        let (header, hex) = cmgr(text);
        match decode_hex(&hex) {
            Ok(pdu) => {
                if pdu.kind() != expected_kind(file) {
                    failures.push(format!("{file}: decoded as {}", pdu.kind()));
                }
                let declared: usize = header
                    .rsplit(',')
                    .next()
                    .unwrap()
                    .trim_start_matches("+CMGR:")
                    .trim()
                    .parse()
                    .unwrap();
                let bytes = hex::decode(&hex).unwrap();
                if declared != bytes.len() - usize::from(bytes[0]) - 1 {
                    declared_length_wrong += 1;
                }
            }
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus is a robustness test because many headers lie about the length.
    assert_eq!(
        declared_length_wrong, 23,
        "the reference counts 23 wrong +CMGR lengths"
    );
}

#[test]
fn every_at_sms_failing_dump_is_rejected_cleanly() {
    let all = dumps("at-sms-failing");
    assert_eq!(all.len(), 10);
    for (file, text) in &all {
        let (_, hex) = cmgr(text);
        let result = std::panic::catch_unwind(|| decode_hex(&hex));
        match result {
            Ok(Err(e)) => assert!(!e.to_string().is_empty(), "{file}"),
            Ok(Ok(pdu)) => panic!("{file}: accepted as {pdu:?}"),
            Err(_) => panic!("{file}: decoder panicked"),
        }
    }
}

#[test]
fn mms_notification_in_dump_40_carries_the_sender_and_location_gammu_expects() {
    let (_, hex) = cmgr(&std::fs::read_to_string(dir("at-sms/40.dump")).unwrap());
    let Pdu::Deliver(d) = decode_hex(&hex).unwrap() else {
        panic!("40.dump is a DELIVER")
    };
    assert_eq!(d.user_data.encoding, Encoding::Eight);
    assert_eq!(d.user_data.ports(), Some((2948, 9200)));
    let body = String::from_utf8_lossy(&d.user_data.data);
    assert!(body.contains("+33333493211/TYPE=PLMN"), "{body}");
    assert!(body.contains("http://mts/?id=81460494"), "{body}");
}

#[test]
fn alphanumeric_sender_in_dump_04_decodes_as_text() {
    let (_, hex) = cmgr(&std::fs::read_to_string(dir("at-sms/04.dump")).unwrap());
    let pdu = decode_hex(&hex).unwrap();
    assert_eq!(pdu.number().ton, TypeOfNumber::Alphanumeric);
    // Six semi-octets: "O2" and the three bits left over in the last octet.
    assert!(pdu.number().number.starts_with("O2"), "{:?}", pdu.number());
}

#[test]
fn status_reports_in_the_corpus_carry_the_listed_message_references() {
    for (file, mr) in [("30", 232), ("32", 171), ("34", 6), ("36", 1), ("38", 180)] {
        let (_, hex) = cmgr(&std::fs::read_to_string(dir(&format!("at-sms/{file}.dump"))).unwrap());
        let Pdu::StatusReport(r) = decode_hex(&hex).unwrap() else {
            panic!("{file}.dump is a status report")
        };
        assert_eq!(r.message_ref, mr, "{file}.dump");
    }
}

#[test]
fn odd_length_and_non_hex_lines_name_the_problem() {
    assert_eq!(
        decode_hex("0791"),
        Err(PduError::Truncated {
            field: "SMSC address",
            offset: 1,
            needed: 7,
            available: 1
        })
    );
    assert!(matches!(
        decode_hex("079"),
        Err(PduError::OddHexLength { digits: 3 })
    ));
    assert!(matches!(
        decode_hex("07p1"),
        Err(PduError::InvalidHex {
            position: 2,
            found: 'p'
        })
    ));
}

#[test]
fn reading_with_the_declared_length_gives_every_dump_the_same_meaning_as_before() {
    for (file, text) in dumps("at-sms") {
        let (header, hex) = cmgr(&text);
        let declared: Option<usize> = header
            .rsplit(',')
            .next()
            .and_then(|l| l.trim_start_matches("+CMGR:").trim().parse().ok());
        let stored = smsgate_pdu::decode_stored_hex(&hex, declared)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(stored, decode_hex(&hex).unwrap(), "{file}");
    }
    for (file, text) in dumps("at-sms-failing") {
        let (header, hex) = cmgr(&text);
        let declared: Option<usize> = header
            .rsplit(',')
            .next()
            .and_then(|l| l.trim().parse().ok());
        assert!(
            smsgate_pdu::decode_stored_hex(&hex, declared).is_err(),
            "{file} must still fail"
        );
    }
}

#[test]
fn a_status_report_listed_without_its_smsc_prefix_decodes_when_its_length_is_the_whole_pdu() {
    // Dump 30's status report without its SMSC part, as some modems list the SR memory.
    let (_, hex) = cmgr(&std::fs::read_to_string(dir("at-sms/30.dump")).unwrap());
    let bytes = hex::decode(&hex).unwrap();
    let bare = &bytes[1 + usize::from(bytes[0])..];
    assert!(
        decode_hex(&hex::encode(bare)).is_err(),
        "read as if it had an SMSC, it does not decode"
    );
    let Pdu::StatusReport(r) = smsgate_pdu::decode_stored(bare, Some(bare.len())).unwrap() else {
        panic!("a status report")
    };
    assert_eq!(r.message_ref, 232);
    assert_eq!(r.smsc, None);
    // The same PDU with its prefix and a correct declared length reads as before.
    let Pdu::StatusReport(full) = smsgate_pdu::decode_stored(&bytes, Some(bare.len())).unwrap()
    else {
        panic!("a status report")
    };
    assert_eq!(full.message_ref, 232);
    assert!(full.smsc.is_some());
}
