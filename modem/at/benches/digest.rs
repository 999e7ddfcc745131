//! Digester throughput over a realistic mixed stream: echoed commands, information lines, URCs (one- and
//! two-line), a send with prompt, and a `+CMGL` listing of 50 PDUs.
//!
//! Run: `cargo bench -p smsgate-at --bench digest`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgate_at::{Digested, Digester};

const PDU: &str = "0791447758100650040C914497716247010000909010711423400A2050EC468B81C4733A0791447758100650040C91449771624701000090901071142340";

/// One session and the command in flight for each part of it.
fn session() -> Vec<(&'static str, Vec<&'static str>, bool, Vec<u8>)> {
    let mut listing = b"AT+CMGL=4\r\r\n".to_vec();
    for i in 0..50 {
        listing.extend_from_slice(
            format!("+CMGL: {i},1,,{}\r\n{PDU}\r\n", PDU.len() / 2 - 8).as_bytes(),
        );
        if i % 10 == 3 {
            listing.extend_from_slice(b"^RSSI: 17\r\n");
        }
    }
    listing.extend_from_slice(b"\r\nOK\r\n");
    vec![
        (
            "AT+CSQ",
            vec!["+CSQ"],
            false,
            b"AT+CSQ\r\r\n+CSQ: 21,99\r\n\r\nOK\r\n".to_vec(),
        ),
        (
            "AT+CREG?",
            vec!["+CREG"],
            false,
            b"+CMTI: \"SM\",3\r\nAT+CREG?\r\r\n+CREG: 2,1,\"2AF5\",\"0B88E350\",2\r\n\r\nOK\r\n"
                .to_vec(),
        ),
        (
            "AT+CMGS=23",
            vec!["+CMGS"],
            true,
            format!("AT+CMGS=23\r\r\n+ZPASR: \"UMTS\"\r\n> {PDU}\x1a\r\n+CMGS: 7\r\n\r\nOK\r\n")
                .into_bytes(),
        ),
        ("AT+CMGL=4", vec!["+CMGL"], false, listing),
        (
            "",
            vec![],
            false,
            format!("\r\n+CMT: ,23\r\n{PDU}\r\n\r\n+CDS: 25\r\n{PDU}\r\nRING\r\n^MODE: 5,4\r\n")
                .into_bytes(),
        ),
    ]
}

fn digest_all(parts: &[(&'static str, Vec<&'static str>, bool, Vec<u8>)], chunk: usize) -> usize {
    let mut d = Digester::new();
    let mut items = 0;
    for (command, expects, prompt, bytes) in parts {
        if command.is_empty() {
            d.end();
        } else {
            d.begin(command.as_bytes(), expects, *prompt);
        }
        for piece in bytes.chunks(chunk) {
            let mut input = piece;
            loop {
                let (item, used) = d.feed(input);
                input = &input[used..];
                let Some(item) = item else { break };
                items += 1;
                let is_final = matches!(item, Digested::Final(_));
                black_box(item);
                if is_final {
                    d.end();
                }
            }
        }
    }
    items
}

fn bench(c: &mut Criterion) {
    let parts = session();
    let total: usize = parts.iter().map(|p| p.3.len()).sum();
    let mut group = c.benchmark_group("digest");
    group.throughput(Throughput::Bytes(total as u64));
    for chunk in [64usize, 1024] {
        group.bench_function(format!("mixed_session_{total}B_chunks_of_{chunk}"), |b| {
            b.iter(|| digest_all(black_box(&parts), chunk))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
