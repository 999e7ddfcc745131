//! Command parser throughput: a 50-message `+CMGL` listing (parse + PDU decode), registration
//! lines, and USSD decoding (Huawei packed hex and UCS2).

// Bench code: fixtures are known-good.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgate_modem::commands::network::parse_registration;
use smsgate_modem::commands::sms::parse_cmgl_pdu;
use smsgate_modem::commands::ussd::{UssdEncoding, parse_cusd};

const PDU: &str = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";

fn listing() -> Vec<String> {
    let mut lines = Vec::new();
    for i in 0..50 {
        lines.push(format!("+CMGL: {i},1,,24"));
        lines.push(PDU.to_owned());
    }
    lines
}

fn bench(c: &mut Criterion) {
    let owned = listing();
    let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
    let bytes: usize = owned.iter().map(|l| l.len() + 2).sum();
    let mut g = c.benchmark_group("cmgl");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse_50", |b| {
        b.iter(|| parse_cmgl_pdu(black_box(&lines)).unwrap())
    });
    g.bench_function("parse_and_decode_50", |b| {
        b.iter(|| {
            for p in parse_cmgl_pdu(black_box(&lines)).unwrap() {
                black_box(smsgate_pdu::decode_hex(&p.hex).unwrap());
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("lines");
    g.throughput(Throughput::Elements(1));
    g.bench_function("creg", |b| {
        b.iter(|| {
            parse_registration(black_box("+CREG: 2,5,\"2AF5\",\"0B88E350\",2"), true).unwrap()
        })
    });
    let packed = "+CUSD: 0,\"49B41C74ACD3D16171D90D32FBE52072BA0C72CA5DB45CAC76C3CD6CB41B2D060389CB74F9FE4C07D55C371CA85897BF1B\",15";
    g.bench_function("cusd_huawei_packed", |b| {
        b.iter(|| parse_cusd(black_box(packed), UssdEncoding::PackedGsm7Hex, false).unwrap())
    });
    let ucs2 = "+CUSD: 0,\"0414043B044F00200441043F044004300432043A04380020043E002004310430043B0430043D044104350020043D04300431043504400438044204350020002A0031003000350023002E\",72";
    g.bench_function("cusd_ucs2", |b| {
        b.iter(|| parse_cusd(black_box(ucs2), UssdEncoding::Text, false).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
