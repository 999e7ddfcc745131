//! Real modem answers from gammu's test suite (`$SMSGATE_SHARED/testdata/gammu/at-*`): the digester must split
//! each dump into the expected echo, information lines and final result, without garbage, however it is chunked.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod support;

use std::path::PathBuf;

use support::*;

fn gammu_dir(name: &str) -> PathBuf {
    let shared =
        std::env::var("SMSGATE_SHARED").unwrap_or_else(|_| env!("SMSGATE_SHARED").to_string());
    PathBuf::from(shared).join("testdata/gammu").join(name)
}

fn dumps(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(gammu_dir(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dump"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no dumps in {dir}");
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// The command echoed on the dump's first line, if the dump starts with one.
fn echoed_command(bytes: &[u8]) -> Option<String> {
    let first = bytes.split(|&b| b == b'\n' || b == b'\r').next()?;
    first.starts_with(b"AT").then(|| text(first))
}

/// Digests one dump with its command in flight; checks the shape common to all dumps and returns the info lines.
fn digest_dump(name: &str, bytes: &[u8], expects: &[&'static str]) -> Vec<String> {
    let command = echoed_command(bytes).unwrap_or_else(|| "AT".to_string());
    let items = digest_every_way(&cmd(&command, expects), bytes);
    let mut infos = Vec::new();
    let mut finals = 0;
    for item in &items {
        match item {
            Item::Echo(e) => assert_eq!(Some(e.clone()), echoed_command(bytes), "{name}"),
            Item::Info(line) => {
                assert_eq!(finals, 0, "{name}: information after the final result");
                infos.push(line.clone());
            }
            Item::Final(r) => {
                assert_eq!(*r, smsgate_at::FinalResult::Ok, "{name}");
                finals += 1;
            }
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
    assert_eq!(
        finals, 1,
        "{name}: exactly one final result expected in {items:?}"
    );
    infos
}

#[test]
fn every_cmgr_pdu_dump_yields_header_and_verbatim_pdu_then_ok() {
    let all = dumps("at-sms");
    assert_eq!(all.len(), 36);
    for (name, bytes) in all {
        let infos = digest_dump(&name, &bytes, &["+CMGR"]);
        assert_eq!(infos.len(), 2, "{name}: {infos:?}");
        assert!(infos[0].starts_with("+CMGR:"), "{name}");
        let pdu = infos[1].trim_end_matches('"');
        assert!(
            pdu.len() > 20 && pdu.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}: {pdu}"
        );
    }
}

#[test]
fn failing_cmgr_dumps_still_split_into_lines_without_panicking() {
    for (name, bytes) in dumps("at-sms-failing") {
        let command = echoed_command(&bytes).unwrap_or_else(|| "AT".into());
        let items = digest_every_way(&cmd(&command, &["+CMGR"]), &bytes);
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Item::Info(l) if l.starts_with("+CMGR"))),
            "{name}: {items:?}"
        );
    }
}

#[test]
fn text_mode_dumps_keep_every_body_line() {
    let expected_lines = [
        ("motorola-l7.dump", 2),
        ("motorola-long.dump", 5),
        ("timezone.dump", 2),
    ];
    for (name, bytes) in dumps("at-sms-txt") {
        let infos = digest_dump(&name, &bytes, &["+CMGR"]);
        let want = expected_lines
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .unwrap();
        assert_eq!(infos.len(), want, "{name}: {infos:?}");
        assert!(infos[0].starts_with("+CMGR:"));
    }
    for (name, bytes) in dumps("at-sms-txt-detail") {
        let infos = digest_dump(&name, &bytes, &["+CMGR"]);
        assert!(
            infos.len() >= 2 && infos[0].starts_with("+CMGR:"),
            "{name}: {infos:?}"
        );
    }
}

#[test]
fn motorola_body_keeps_its_trailing_space() {
    let (_, bytes) = dumps("at-sms-txt")
        .into_iter()
        .find(|(n, _)| n == "motorola-l7.dump")
        .unwrap();
    let infos = digest_dump("motorola-l7", &bytes, &["+CMGR"]);
    assert!(infos[1].ends_with("noytaj. "), "{:?}", infos[1]);
}

#[test]
fn ussd_dumps_are_answers_when_expected_and_urcs_otherwise() {
    for (name, bytes) in dumps("at-ussd") {
        let items = digest_every_way(&cmd("AT+CUSD=1,\"*100#\",15", &["+CUSD"]), &bytes);
        assert!(!items.is_empty(), "{name}");
        assert!(
            items
                .iter()
                .all(|i| matches!(i, Item::Info(l) if l.starts_with("+CUSD"))),
            "{name}: {items:?}"
        );
        let items = digest_every_way(&idle(), &bytes);
        assert!(
            items
                .iter()
                .all(|i| matches!(i, Item::Urc(l, None) if l.starts_with("+CUSD"))),
            "{name}: {items:?}"
        );
    }
}

#[test]
fn creg_dumps_including_corner_cases_parse() {
    for dir in ["at-creg", "at-creg-corner"] {
        for (name, bytes) in dumps(dir) {
            let infos = digest_dump(&name, &bytes, &["+CREG", "+CGREG"]);
            assert!(
                infos
                    .iter()
                    .all(|l| l.starts_with("+CREG") || l.starts_with("+CGREG")),
                "{name}: {infos:?}"
            );
            if name != "empty.dump" {
                assert!(!infos.is_empty(), "{name}");
            }
        }
    }
}

#[test]
fn cpms_cnmi_smsc_and_cscs_dumps_parse() {
    for (dir, prefix) in [
        ("at-cpms", "+CPMS"),
        ("at-cnmi", "+CNMI"),
        ("at-smsc", "+CSCA"),
        ("at-cscs-huawei", "+CSCS"),
    ] {
        for (name, bytes) in dumps(dir) {
            let infos = digest_dump(&name, &bytes, &[prefix]);
            assert!(!infos.is_empty(), "{dir}/{name}");
            assert!(
                infos.iter().all(|l| l.starts_with(prefix)),
                "{dir}/{name}: {infos:?}"
            );
        }
    }
}
