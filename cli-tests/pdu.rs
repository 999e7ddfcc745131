//! Tests of `smsgate pdu` through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::process::{Command, Output};

use serde_json::Value;

fn smsgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run smsgate")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}, stderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn vector(id: &str) -> Value {
    let shared =
        std::env::var("SMSGATE_SHARED").unwrap_or_else(|_| env!("SMSGATE_SHARED").to_string());
    let path = format!("{shared}/testdata/pdu-vectors/vectors.json");
    let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all.into_iter().find(|v| v["id"] == id).unwrap()
}

fn decode_json(hex: &str) -> Value {
    let out = stdout(&smsgate(&["pdu", "decode", hex]));
    assert_eq!(out.lines().count(), 1, "one JSON line: {out}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn encode_reproduces_the_modemmanager_submit_with_smsc_and_validity() {
    let v = vector("mm-22");
    let p = &v["encode_params"];
    let out = stdout(&smsgate(&[
        "pdu",
        "encode",
        "--to",
        p["to"].as_str().unwrap(),
        "--smsc",
        p["smsc"].as_str().unwrap(),
        "--validity",
        "5m",
        "--text",
        p["text"].as_str().unwrap(),
    ]));
    let hex = v["pdu"].as_str().unwrap();
    // TPDU length = all octets minus the 8-octet SMSC prefix.
    assert_eq!(out, format!("{} {hex}\n", hex.len() / 2 - 8));
}

#[test]
fn encode_reproduces_the_python_gsmmodem_ucs2_submit_with_status_report() {
    let v = vector("gm-29");
    let out = stdout(&smsgate(&[
        "pdu",
        "encode",
        "--to",
        "+0123456789",
        "--text",
        v["encode_params"]["text"].as_str().unwrap(),
        "--mr",
        "141",
        "--status-report",
    ]));
    assert_eq!(out, format!("36 {}\n", v["pdu"].as_str().unwrap()));
}

#[test]
fn national_flag_writes_local_numbers_as_national_like_python_gsmmodem() {
    let v = vector("gm-15");
    let out = stdout(&smsgate(&[
        "pdu",
        "encode",
        "--to",
        "0126541234",
        "--smsc",
        "12345",
        "--text",
        v["encode_params"]["text"].as_str().unwrap(),
        "--mr",
        "13",
        "--validity",
        "3d",
        "--status-report",
        "--national",
    ]));
    let pdu = v["pdu"].as_str().unwrap();
    // The TPDU length excludes the 4-octet SMSC prefix (04 A1 21 43 F5 is 5 octets incl. its length).
    let tpdu_len = pdu.len() / 2 - 5;
    assert_eq!(out, format!("{tpdu_len} {pdu}\n"));
}

#[test]
fn long_text_prints_one_line_per_segment_with_its_tpdu_length() {
    let text = "x".repeat(200);
    let out = stdout(&smsgate(&[
        "pdu",
        "encode",
        "--to",
        "+33612345678",
        "--text",
        &text,
        "--ref",
        "7",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    for (i, line) in lines.iter().enumerate() {
        let (len, hex) = line.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), hex.len() / 2 - 1, "{line}");
        assert!(hex.starts_with("00"), "no SMSC given: prefix 00");
        let json = decode_json(hex);
        assert_eq!(json["concat"]["ref"], 7);
        assert_eq!(json["concat"]["seq"], i + 1);
        assert_eq!(json["concat"]["total"], 2);
    }
}

#[test]
fn validity_accepts_minutes_hours_days_and_weeks() {
    for (validity, vp) in [("30m", 5), ("12h", 143), ("1d", 167), ("1w", 173)] {
        let out = stdout(&smsgate(&[
            "pdu",
            "encode",
            "--to",
            "+1555",
            "--text",
            "hi",
            "--validity",
            validity,
        ]));
        let hex = out.split_whitespace().nth(1).unwrap();
        let json = decode_json(hex);
        let secs = json["validity"]["relative_seconds"].as_u64().unwrap();
        let expected = match vp {
            5 => 30 * 60,
            143 => 12 * 3600,
            167 => 24 * 3600,
            _ => 7 * 86400,
        };
        assert_eq!(secs, expected, "{validity}");
    }
}

#[test]
fn encoding_language_and_16bit_reference_options_take_effect() {
    let out = stdout(&smsgate(&[
        "pdu",
        "encode",
        "--to",
        "+1555",
        "--text",
        "hello",
        "--encoding",
        "ucs2",
    ]));
    let json = decode_json(out.split_whitespace().nth(1).unwrap());
    assert_eq!(json["encoding"], "ucs2");
    assert_eq!(json["text"], "hello");

    let text = "ş".repeat(150);
    let out = stdout(&smsgate(&[
        "pdu",
        "encode",
        "--to",
        "+1555",
        "--text",
        &text,
        "--language",
        "turkish",
    ]));
    assert_eq!(
        out.lines().count(),
        1,
        "Turkish tables keep 150 letters in one part"
    );
    let json = decode_json(out.split_whitespace().nth(1).unwrap());
    assert_eq!(json["encoding"], "gsm7");
    assert_eq!(json["text"], text);

    let out = stdout(&smsgate(&[
        "pdu",
        "encode",
        "--to",
        "+1555",
        "--text",
        &"y".repeat(170),
        "--ref",
        "4660",
        "--16bit-ref",
        "--reject-duplicates",
    ]));
    let json = decode_json(
        out.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap(),
    );
    assert_eq!(json["concat"]["ref"], 4660);
    assert_eq!(json["reject_duplicates"], true);
}

#[test]
fn decode_prints_the_fields_of_a_deliver() {
    let json = decode_json(
        "07912104442961F4040B916171957291F800001120821105050A6AC8B2BC7C9A83C220F6DB7D2ECB41EDF27C1E3E97411BDE06754FD3D1A0F9BB5D0695F1F4B29B5C2683C6E8B03C3CA697E5F34D6AE303D1D1F2F7DD0D4ABB59A0797D8C0685E7A00028EC26832A960B28EC2683BE6050780EBA97D96C17",
    );
    assert_eq!(json["type"], "deliver");
    assert_eq!(json["number"], "+16175927198");
    assert_eq!(json["smsc"], "+12404492164");
    assert_eq!(json["encoding"], "gsm7");
    assert_eq!(json["timestamp"], "2011-02-28T11:50:50-05:00");
    assert_eq!(json["concat"], Value::Null);
    assert_eq!(
        json["text"],
        "Here's a longer message [{with some extended characters}] thrown in, such as £ and ΩΠΨ and §¿ as well."
    );
}

#[test]
fn decode_prints_the_fields_of_a_status_report() {
    let json = decode_json("07917248014000F506B70AA18092020000317071518590803170715185418000");
    assert_eq!(json["type"], "status-report");
    assert_eq!(json["number"], "0829200000");
    assert_eq!(json["mr"], 183);
    assert_eq!(json["status"], 0);
    assert_eq!(json["status_class"], "delivered");
    assert_eq!(json["timestamp"], "2013-07-17T15:58:09+02:00");
    assert_eq!(json["discharge_time"], "2013-07-17T15:58:14+02:00");
}

#[test]
fn decode_of_a_concatenated_lowercase_part_reports_its_concat_info() {
    let json = decode_json(vector("mm-26")["pdu"].as_str().unwrap());
    assert_eq!(
        json["concat"],
        serde_json::json!({"ref": 196, "total": 2, "seq": 2})
    );
    assert_eq!(json["timestamp"], "2025-04-17T13:40:37-07:00");
}

#[test]
fn malformed_pdus_exit_non_zero_with_one_line_and_no_panic() {
    for bad in [
        "0011zz",
        "07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37",
        "079",
        "00FFFF",
        "",
    ] {
        let o = smsgate(&["pdu", "decode", bad]);
        assert!(!o.status.success(), "{bad:?} was accepted");
        assert!(o.stdout.is_empty(), "{bad:?} printed to stdout");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{bad:?}: {err}");
        assert!(err.starts_with("error: malformed PDU"), "{bad:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
    }
}

#[test]
fn bad_encode_input_exits_non_zero_and_names_the_field() {
    let o = smsgate(&["pdu", "encode", "--to", "+12ab", "--text", "x"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("to:"), "{err}");
    let o = smsgate(&[
        "pdu",
        "encode",
        "--to",
        "+1",
        "--text",
        "x",
        "--validity",
        "soon",
    ]);
    assert!(!o.status.success());
}
