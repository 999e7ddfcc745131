//! The port inventory the link publishes (latest wins).

use std::time::Duration;

use smsgate_wire::PortInfo;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::ports::{PortState, PortsHandle, Supervisor};

/// One port as the hub sees it: the numeric port id, registration, operator, IMSI and the
/// signal as a `+CSQ` value (0..=31, from dBm: `(dBm + 113) / 2`).
pub fn port_info(s: &Supervisor) -> PortInfo {
    PortInfo {
        port: s.port.to_string(),
        sim_number: None,
        imsi: s.sim.imsi.clone(),
        operator: s.operator.clone(),
        signal: s
            .signal_dbm
            .map(|dbm| ((i32::from(dbm) + 113) / 2).clamp(0, 31))
            // Invariant: clamped to 0..=31 just above.
            .and_then(|csq| u8::try_from(csq).ok()),
        registered: matches!(s.state, PortState::Registered | PortState::Roaming),
    }
}

pub(super) fn inventory(ports: &PortsHandle) -> Vec<PortInfo> {
    ports.statuses().iter().map(port_info).collect()
}

/// Keeps `out` at the current inventory: sampled on every board change and every `every`
/// (the link publishes it when it changed).
pub(super) async fn run_inventory(
    ports: PortsHandle,
    mut changes: watch::Receiver<u64>,
    out: watch::Sender<Vec<PortInfo>>,
    every: Duration,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut board_open = true;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = changes.changed(), if board_open => board_open = changed.is_ok(),
            _ = tick.tick() => {}
        }
        let now = inventory(&ports);
        out.send_if_modified(|current| {
            let changed = *current != now;
            if changed {
                *current = now;
            }
            changed
        });
        if out.is_closed() {
            return;
        }
    }
}
