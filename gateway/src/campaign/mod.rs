//! Campaigns executed on the gateway (contract version 4): the hub hands over slices of a
//! campaign's recipients for a port (`down/campaign`); the gateway holds them in its spool
//! ([`crate::spool::campaigns`]) and releases them into the port's queue inside the
//! campaign's windows at its pace — with or without the link — until the hub halts the
//! campaign (`down/campaign_halt`). What becomes of each recipient goes up as the ordinary
//! status and delivery reports of its hub message id, from the outbox, once per event.
//!
//! - [`plan`]: the pure rule (halted, windows, validity, interval, in flight → release,
//!   expire, wait).
//! - [`step`]: one pass over the spool's slices doing what the rule says;
//!   [`run`]: the task calling it every [`TICK`] (and sooner when a slice is due sooner).

pub mod plan;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::spool::{Spool, SpoolDb, SpoolError};
use plan::Step;

/// The longest the runner waits between two looks (a release leaving the queue is noticed
/// within it).
pub const TICK: Duration = Duration::from_millis(200);

/// What one pass did, and the earliest moment a slice asked to be looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pass {
    pub released: usize,
    pub expired: usize,
    pub next_due: Option<DateTime<Utc>>,
}

/// One pass over every active slice at `now`.
pub fn step(db: &mut SpoolDb, now: DateTime<Utc>) -> Result<Pass, SpoolError> {
    let mut pass = Pass::default();
    for slice in db.campaign_slices()? {
        match plan::next(&slice.pace, slice.progress, now) {
            Step::Release(n) => pass.released += db.campaign_release(slice.key, n)?,
            Step::Expire => {
                let n = db.campaign_expire(slice.key)?;
                tracing::info!(campaign = %slice.key.campaign, port = slice.key.port, n,
                    name = %slice.name, "campaign recipients expired on the gateway");
                pass.expired += n;
            }
            Step::WaitUntil(t) => {
                pass.next_due = Some(pass.next_due.map_or(t, |d| d.min(t)));
            }
            Step::Idle => {}
        }
    }
    Ok(pass)
}

/// The runner task: [`step`] on the spool thread, then sleep until the next due moment or
/// [`TICK`], whichever is sooner.
pub async fn run(spool: Spool, clock: Arc<dyn Clock>, shutdown: CancellationToken) {
    loop {
        let now = clock.now();
        let wait = match spool.call(move |db| step(db, now)).await {
            Ok(pass) => pass
                .next_due
                .and_then(|t| (t - now).to_std().ok())
                .map_or(TICK, |d| d.min(TICK)),
            Err(e) => {
                tracing::warn!(error = %e, "campaigns: a pass failed; retrying");
                TICK
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
