//! The chaos run (ignored; `scripts/chaos MINUTES [SEED]`): the whole platform under random
//! faults with traffic both ways, invariants checked after every fault. See
//! `smsgate_e2e::cuts::run_chaos`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "chaos run: scripts/chaos"]
async fn chaos_run_keeps_every_invariant_under_random_faults() {
    let minutes: u64 = std::env::var("SMSGATE_CHAOS_MINUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("SMSGATE_CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(17);
    let started = Instant::now();
    let mut last = Instant::now();
    // SMSGATE_BIN: a copy of the binary, so a rebuild during a long run does not swap it.
    let bin = std::env::var("SMSGATE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_smsgate").into());
    let (tally, violations) = smsgate_e2e::cuts::run_chaos(
        Path::new(&bin),
        Duration::from_secs(minutes * 60),
        seed,
        |t, v| {
            if last.elapsed() > Duration::from_secs(60) {
                last = Instant::now();
                println!(
                    "[{:>5.1} min] box cuts {} hub cuts {} faults {:?} violations {v}",
                    started.elapsed().as_secs_f64() / 60.0,
                    t.box_cuts,
                    t.hub_cuts,
                    t.faults
                );
            }
        },
    )
    .await
    .unwrap();
    println!(
        "chaos run (seed {seed}): {:.1} min, {tally:?}, {} violations",
        started.elapsed().as_secs_f64() / 60.0,
        violations.len()
    );
    assert!(
        violations.is_empty(),
        "{} invariant violations (seed {seed}):\n{}",
        violations.len(),
        violations.join("\n")
    );
}
