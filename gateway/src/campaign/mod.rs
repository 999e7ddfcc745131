//! Campaigns executed on the gateway (contract version 4): the hub hands over slices of a
//! campaign's recipients for a port (`down/campaign`); the gateway holds them in its spool
//! ([`crate::spool::campaigns`]) and releases them into the port's queue inside the
//! campaign's windows at its pace — with or without the link — until the hub halts the
//! campaign (`down/campaign_halt`). What becomes of each recipient goes up as the ordinary
//! status and delivery reports of its hub message id, from the outbox, once per event.
//!
//! - [`plan`]: the pure rule (halted, windows, validity, interval, in flight → release,
//!   expire, wait; campaigns sharing a port: higher priority first, equal ones in turn).
//! - [`step`]: one pass over the spool's slices doing what the rule says;
//!   [`run`]: the task calling it when something it waits for happens — never on a fixed
//!   period. It is woken by the spool's news ([`crate::spool::SpoolNews`]: a message changed
//!   state, so a released one may have left the queue; a batch or halt arrived) and by the
//!   earliest moment a slice asked for (a window opens, an interval ends), slept on the
//!   injected clock ([`Clock::sleep_until`]).

pub mod plan;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::spool::{Spool, SpoolDb, SpoolError};
use plan::Step;

/// How long the runner waits before trying again after a pass failed (the spool said no).
pub const RETRY: Duration = Duration::from_secs(1);

/// What one pass did, and the earliest moment a slice asked to be looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pass {
    pub released: usize,
    pub expired: usize,
    pub next_due: Option<DateTime<Utc>>,
}

/// One pass over every active slice at `now`, in one spool transaction
/// ([`SpoolDb::campaign_pass`]): one commit per pass, however many slices release.
pub fn step(db: &mut SpoolDb, now: DateTime<Utc>) -> Result<Pass, SpoolError> {
    let done = db.campaign_pass(|slices| {
        let on_ports: Vec<plan::OnPort<'_>> = slices
            .iter()
            .map(|s| plan::OnPort {
                port: s.key.port,
                pace: &s.pace,
                progress: s.progress,
            })
            .collect();
        plan::steps(&on_ports, now)
    })?;
    let mut pass = Pass::default();
    for (slice, step, moved) in done {
        match step {
            Step::Release(_) => pass.released += moved,
            Step::Expire => {
                tracing::info!(campaign = %slice.key.campaign, port = slice.key.port, n = moved,
                    name = %slice.name, "campaign recipients expired on the gateway");
                pass.expired += moved;
            }
            Step::WaitUntil(t) => {
                pass.next_due = Some(pass.next_due.map_or(t, |d| d.min(t)));
            }
            Step::Idle => {}
        }
    }
    Ok(pass)
}

/// The runner task: [`step`] on the spool thread, then wait for the spool's next news or the
/// next due moment of the clock, whichever comes first (see the module rule).
pub async fn run(spool: Spool, clock: Arc<dyn Clock>, shutdown: CancellationToken) {
    let mut news = spool.news();
    loop {
        // Marked seen before the pass reads the spool: news that arrives during the pass
        // wakes the next one.
        news.borrow_and_update();
        let now = clock.now();
        let due = match spool.call(move |db| step(db, now)).await {
            Ok(pass) => Wake::News(pass.next_due),
            Err(e) => {
                tracing::warn!(error = %e, "campaigns: a pass failed; retrying");
                Wake::Retry
            }
        };
        let sleep = async {
            match due {
                Wake::News(Some(t)) => clock.sleep_until(t).await,
                Wake::News(None) => std::future::pending().await,
                Wake::Retry => tokio::time::sleep(RETRY).await,
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            r = news.changed() => if r.is_err() { return },
            _ = sleep => {}
        }
    }
}

/// What ends the runner's wait besides the spool's news.
#[derive(Debug, Clone, Copy)]
enum Wake {
    /// The earliest moment a slice asked for, if any.
    News(Option<DateTime<Utc>>),
    /// A pass failed: try again after [`RETRY`].
    Retry,
}
