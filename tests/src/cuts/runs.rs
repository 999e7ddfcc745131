//! Whole runs: a number of random power cuts, or a chaos run for a duration.

use super::*;

/// Runs `cuts` random power cuts with traffic between them; returns the tally and every
/// violation (with the cut it was found after).
pub async fn run_cuts(smsgate: &Path, cuts: u32, seed: u64) -> Result<(Tally, Vec<String>)> {
    let mut w = World::new(smsgate, seed, 20)?;
    w.start().await?;
    let mut violations = Vec::new();
    for i in 0..cuts {
        let ms = w.rng.random_range(200..1500);
        w.traffic(Duration::from_millis(ms)).await?;
        let target = match w.rng.random_range(0..10) {
            0..=5 => Target::Box,
            6..=7 => Target::Hub,
            _ => Target::Both,
        };
        for v in w.cut_check_restart(target).await? {
            violations.push(format!("after cut {i} ({target:?}): {v}"));
        }
    }
    for v in w.settle_and_check().await? {
        violations.push(format!("after settling: {v}"));
    }
    w.stop();
    Ok((w.tally.clone(), violations))
}

/// Runs the platform for `duration` under random faults — power cuts of the box, the hub or
/// both, kill -9 of the gateway or the hub (with its embedded broker), modem hang, unplug,
/// SIM removal and URC storms — with traffic both ways, checking the invariants after every
/// fault that stops a process and after the final settle.
pub async fn run_chaos(
    smsgate: &Path,
    duration: Duration,
    seed: u64,
    mut progress: impl FnMut(&Tally, usize),
) -> Result<(Tally, Vec<String>)> {
    let mut w = World::new(smsgate, seed, 50)?;
    w.start().await?;
    let mut violations = Vec::new();
    let until = Instant::now() + duration;
    let mut n = 0u32;
    while Instant::now() < until {
        n += 1;
        let ms = w.rng.random_range(300..3000);
        w.traffic(Duration::from_millis(ms)).await?;
        let roll = w.rng.random_range(0..100);
        let found = match roll {
            0..=24 => {
                let t = [Target::Box, Target::Hub, Target::Both][w.rng.random_range(0..3)];
                w.fault_check_restart(t, true).await?
            }
            25..=44 => {
                let t = [Target::Box, Target::Hub][w.rng.random_range(0..2)];
                w.fault_check_restart(t, false).await?
            }
            _ => {
                let modem = w.rng.random_range(0..4);
                let (fault, undo) = match roll % 4 {
                    0 => (
                        json!({"kind": "hang", "commands": w.rng.random_range(1..6)}),
                        None,
                    ),
                    1 => (json!({"kind": "unplug"}), Some(json!({"kind": "plug"}))),
                    2 => (
                        json!({"kind": "sim-removed"}),
                        Some(json!({"kind": "sim-inserted"})),
                    ),
                    _ => (
                        json!({"kind": "urc-storm", "count": w.rng.random_range(50..500)}),
                        None,
                    ),
                };
                w.modem_fault(modem, fault).await?;
                let ms = w.rng.random_range(500..4000);
                w.traffic(Duration::from_millis(ms)).await?;
                if let Some(undo) = undo {
                    w.modem_fault(modem, undo).await?;
                }
                Vec::new()
            }
        };
        for v in found {
            violations.push(format!("after fault {n}: {v}"));
        }
        progress(&w.tally, violations.len());
    }
    for v in w.settle_and_check().await? {
        violations.push(format!("after settling: {v}"));
    }
    w.stop();
    Ok((w.tally.clone(), violations))
}
