//! Spool throughput on a real file (WAL, synchronous=FULL): every call is one durable commit.
//! Run: `cargo bench -p smsgate-gateway --bench spool`

#![allow(clippy::unwrap_used)] // benchmark setup

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::spool::{NewMessage, SentPart, SpoolDb};
use std::sync::Arc;

fn msg(i: u64) -> NewMessage {
    NewMessage::new(format!("0991{i:05}"), "Hello from the benchmark ✓", "bulk")
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = std::cell::RefCell::new(
        SpoolDb::open(&dir.path().join("bench.sqlite"), Arc::new(SystemClock)).unwrap(),
    );
    let mut i = 0u64;
    let mut g = c.benchmark_group("spool");
    g.sample_size(20);
    g.bench_function("submit_one_durable_commit", |b| {
        b.iter(|| {
            i += 1;
            db.borrow_mut().submit(msg(i)).unwrap()
        })
    });
    g.bench_function("submit_many_1000_one_commit", |b| {
        b.iter_batched(
            || (0..1000).map(msg).collect::<Vec<_>>(),
            |batch| db.borrow_mut().submit_many(batch).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("claim_then_mark_sent", |b| {
        b.iter_batched(
            || {
                i += 1;
                db.borrow_mut().submit(msg(i)).unwrap().id
            },
            |_| {
                let mut db = db.borrow_mut();
                let c = db.claim_next("bulk", 0).unwrap().unwrap();
                db.mark_sent(
                    c.id,
                    &[SentPart {
                        seq: 1,
                        port: 0,
                        reference: 1,
                    }],
                )
                .unwrap();
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(spool, benches);
criterion_main!(spool);
