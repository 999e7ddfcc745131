//! The web front ends count SMS parts while the user types (`web/shared/src/sms/segments.ts`).
//! Their Vitest suite checks that counter against `web/shared/src/sms/segments.vectors.json`;
//! this test checks that the committed vectors are exactly what this encoder produces, so the two
//! cannot drift apart.
//!
//! Regenerate after an encoder change:
//! `SMSGATE_UPDATE_VECTORS=1 cargo test -p smsgate-pdu --test web_segment_vectors`

use std::path::PathBuf;

use serde_json::{Value, json};
use smsgate_pdu::{Pdu, SubmitOptions, decode_hex, encode_submit};

fn texts() -> Vec<String> {
    let mut t: Vec<String> = [
        "",
        "Hello",
        "Bonjour, votre rendez-vous est confirmé à 14h.",
        "Price: 10€ [promo] {code} ~ ^ | \\",
        "€",
        "Café crème ? ça va ! où ? à bientôt",
        "Ça coûte 5 €.",
        "Olá, está tudo bem? Não esqueça.",
        "Привет, как дела?",
        "你好，世界",
        "Bonjour 😀",
        "😀",
        "line one\nline two\r\nline three",
        "tab\tis not GSM",
        "Ω Δ Φ Γ Λ Π Ψ Σ Θ Ξ",
        "emoji 👍🏽 with skin tone and 👨‍👩‍👧 family",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Boundaries: single part, first concatenated lengths, escapes at part edges.
    for n in [159, 160, 161, 152, 153, 154, 306, 307, 459, 460, 900] {
        t.push("a".repeat(n));
    }
    for n in [79, 80, 81, 76, 77, 153] {
        t.push("€".repeat(n));
    }
    for n in [152, 153] {
        t.push(format!("{}€", "a".repeat(n)));
        t.push(format!("{}€b", "a".repeat(n)));
    }
    for n in [69, 70, 71, 66, 67, 68, 134, 135, 900] {
        t.push("é".repeat(n / 2) + &"ж".repeat(n - n / 2));
    }
    for n in [34, 35, 36, 33] {
        t.push("😀".repeat(n));
    }
    t.push(format!("{}😀", "ж".repeat(66)));
    t.push(format!("{}😀x", "ж".repeat(65)));
    t.push(format!("{}ж", "a".repeat(200)));
    t
}

fn vectors() -> Value {
    let list: Vec<Value> = texts()
        .into_iter()
        .map(|text| {
            let pdus = encode_submit("+15550000001", &text, &SubmitOptions::default())
                .expect("every test text encodes");
            let mut encoding = String::new();
            let parts: Vec<String> = pdus
                .iter()
                .map(
                    |p| match decode_hex(&p.hex()).expect("our own PDU decodes") {
                        Pdu::Submit(s) => {
                            let ud = s.user_data;
                            encoding = ud.encoding.as_str().to_owned();
                            ud.text
                        }
                        other => panic!("expected a SUBMIT, got {}", other.kind()),
                    },
                )
                .collect();
            json!({ "text": text, "encoding": encoding, "parts": parts })
        })
        .collect();
    json!({
        "generated_by": "SMSGATE_UPDATE_VECTORS=1 cargo test -p smsgate-pdu --test web_segment_vectors",
        "vectors": list,
    })
}

#[test]
fn the_web_segment_counter_vectors_are_what_the_encoder_produces() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/shared/src/sms/segments.vectors.json");
    let expected = serde_json::to_string_pretty(&vectors()).expect("json") + "\n";
    if std::env::var_os("SMSGATE_UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &expected).expect("writing the vectors");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} differs from what the encoder produces; regenerate it with \
         SMSGATE_UPDATE_VECTORS=1 cargo test -p smsgate-pdu --test web_segment_vectors",
        path.display()
    );
}
