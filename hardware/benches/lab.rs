//! Benchmarks of the simulated lab: the pure AT interpreter, and one SMS end to end over a real pty
//! (latency set to zero). Run: `cargo bench -p smsgate-hardware --bench lab`.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use smsgate_hardware::sim::at::{Event, ModemCore, NetworkInfo};
use smsgate_hardware::{Lab, LabConfig};

fn core() -> ModemCore {
    let cfg = LabConfig::default();
    let spec = cfg.resolve().unwrap().remove(0);
    let net = NetworkInfo {
        smsc: cfg.smsc.clone(),
        operator: cfg.operator.clone(),
        operator_numeric: cfg.operator_numeric.clone(),
        balance_code: cfg.balance_code.clone(),
    };
    let mut m = ModemCore::new(spec, &net);
    m.feed(b"ATE0\r");
    m
}

fn interpreter(c: &mut Criterion) {
    let mut m = core();
    c.bench_function("interpreter/AT+CSQ", |b| b.iter(|| m.feed(b"AT+CSQ\r")));
    let p = smsgate_pdu::encode_submit("+447700900999", "benchmark text", &Default::default())
        .unwrap()
        .remove(0);
    let cmd = format!("AT+CMGS={}\r", p.tpdu_len);
    let body = format!("{}\x1a", p.hex());
    c.bench_function("interpreter/CMGS PDU send", |b| {
        b.iter(|| {
            m.feed(cmd.as_bytes());
            let out = m.feed(body.as_bytes());
            let Some(Event::Submit { mr, .. }) = out.events.first() else {
                panic!()
            };
            m.submit_done(*mr, Ok(()))
        })
    });
}

fn end_to_end(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let lab = rt
        .block_on(async {
            Lab::start(
                LabConfig::for_tests(dir.path().join("dev"), 1),
                Arc::new(smsgate_hardware::clock::SystemClock),
                cancel.clone(),
            )
        })
        .unwrap();
    let mut port = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(lab.modem_path(0).unwrap())
        .unwrap();
    let mut roundtrip = |line: &[u8], until: &[u8]| {
        port.write_all(line).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        while !got.ends_with(until) {
            let n = port.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
    };
    roundtrip(b"ATE0\r", b"OK\r\n");
    c.bench_function("pty/AT round trip", |b| {
        b.iter(|| roundtrip(b"AT\r", b"OK\r\n"))
    });
    let p = smsgate_pdu::encode_submit("+447700900998", "benchmark text", &Default::default())
        .unwrap()
        .remove(0);
    let cmd = format!("AT+CMGS={}\r", p.tpdu_len);
    let body = format!("{}\x1a", p.hex());
    c.bench_function("pty/SMS send to external handset (latency 0)", |b| {
        b.iter(|| {
            roundtrip(cmd.as_bytes(), b"> ");
            roundtrip(body.as_bytes(), b"OK\r\n");
        })
    });
    cancel.cancel();
}

criterion_group!(benches, interpreter, end_to_end);
criterion_main!(benches);
