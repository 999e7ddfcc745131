//! PDU encode/decode throughput: single-part GSM-7, single-part UCS2 and a 3-part GSM-7 message.
//! Run: `cargo bench -p smsgate-pdu --bench codec -- --quick`

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgate_pdu::{SubmitOptions, decode, encode_submit};

fn cases() -> Vec<(&'static str, String)> {
    vec![
        (
            "gsm7-1part",
            "Your parcel 4711 arrives today between 10:00 and 12:00. Reply STOP to opt out."
                .to_string(),
        ),
        ("ucs2-1part", "Привет! Ваш код: 4711 — 你好 😀".to_string()),
        (
            "gsm7-3part",
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(7),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let opts = SubmitOptions::default();
    let mut group = c.benchmark_group("pdu");
    for (name, text) in cases() {
        let parts = match encode_submit("+33612345678", &text, &opts) {
            Ok(p) => p,
            Err(e) => panic!("bench input {name} does not encode: {e}"),
        };
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| encode_submit(black_box("+33612345678"), black_box(&text), &opts))
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                for p in &parts {
                    let _ = black_box(decode(black_box(&p.bytes)));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
