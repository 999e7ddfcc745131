//! Power cuts of the running platform (sim + hub + gateway as real processes, the spool and the
//! hub store on power-cut FUSE disks): after every cut nothing acknowledged is lost, nothing
//! left a SIM without reaching the spool, nothing went out twice, and the hub holds every event
//! the gateway had a receipt for, once. See `smsgate_e2e::cuts` for the invariants.
//!
//! The default suite runs 24 cuts; `scripts/powercut-long` runs the ignored long mode
//! (`SMSGATE_POWERCUT_CUTS`, default 200; `SMSGATE_POWERCUT_SEED` to replay a seed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_smsgate"))
}

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(cuts: u32, seed: u64) {
    let (tally, violations) = smsgate_e2e::cuts::run_cuts(bin(), cuts, seed)
        .await
        .unwrap();
    println!("power cuts (seed {seed}): {tally:?}");
    assert!(tally.box_cuts + tally.hub_cuts >= cuts, "{tally:?}");
    assert!(
        tally.local_acked > 0 && tally.hub_acked > 0 && tally.injected > 0,
        "{tally:?}"
    );
    // Sends cut mid-way end `unknown`; the simulator's status reports then settle those that
    // fit one message alone (spool::evidence). Two dozen cuts under traffic always leave some.
    assert!(
        tally.settled_by_evidence > 0,
        "no unknown message was settled by a status report: {tally:?}"
    );
    assert!(
        violations.is_empty(),
        "{} invariant violations (seed {seed}):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_loses_nothing_acknowledged_over_two_dozen_power_cuts() {
    run(24, env_u64("SMSGATE_POWERCUT_SEED", 17)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long mode: scripts/powercut-long"]
async fn long_mode_hundreds_of_power_cuts() {
    let cuts = u32::try_from(env_u64("SMSGATE_POWERCUT_CUTS", 200)).unwrap();
    run(cuts, env_u64("SMSGATE_POWERCUT_SEED", 1717)).await;
}
