//! Retention of finished spool rows (`[storage] retention_days`, default 30): messages that
//! reached a final state (`delivered`, `failed`, `expired`, `blocked`, `no_report`) longer ago
//! than the retention, with their parts, and delivery reports received before it, are deleted
//! in the background.
//!
//! The deletion runs in batches of [`BATCH`] messages (and as many reports), each its own short
//! transaction on the spool thread: between two batches the thread takes whatever else is
//! queued (claims, sends, receipts), so a large backlog never holds the spool for long. The
//! task looks every [`PERIOD`] and reads the time from the injected [`Clock`].

use super::ExecCached;
use super::store::{SpoolDb, ms};
use super::{Spool, SpoolError};
use crate::clock::Clock;
use chrono::{DateTime, Utc};
use rusqlite::{TransactionBehavior, params};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Messages (and reports) deleted per transaction.
pub const BATCH: usize = 500;
/// How often the retention looks for rows to delete.
pub const PERIOD: Duration = Duration::from_secs(3600);

const FINISHED: &str =
    "state IN ('delivered', 'failed', 'expired', 'blocked', 'no_report') AND updated_at < ?1";

/// What one [`run_once`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Messages (with their parts).
    pub messages: usize,
    /// Delivery reports.
    pub reports: usize,
    /// Transactions it took.
    pub batches: usize,
}

impl SpoolDb {
    /// Deletes at most `limit` finished messages older than `before` (with their parts and
    /// report candidates) and at most `limit` delivery reports received before it, in one
    /// transaction. Returns `(messages, reports)` deleted.
    pub fn prune_finished_batch(
        &mut self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<(usize, usize), SpoolError> {
        let (cut, limit) = (ms(before), i64::try_from(limit).unwrap_or(i64::MAX));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.exec_cached(
            "CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)",
            [],
        )?;
        tx.exec_cached("DELETE FROM prune_ids", [])?;
        tx.execute(
            &format!(
                "INSERT INTO prune_ids SELECT id FROM messages WHERE {FINISHED} ORDER BY id LIMIT ?2"
            ),
            params![cut, limit],
        )?;
        tx.exec_cached(
            "DELETE FROM parts WHERE message_id IN (SELECT id FROM prune_ids)",
            [],
        )?;
        tx.exec_cached(
            "DELETE FROM report_candidates WHERE message_id IN (SELECT id FROM prune_ids)",
            [],
        )?;
        let messages = tx.exec_cached(
            "DELETE FROM messages WHERE id IN (SELECT id FROM prune_ids)",
            [],
        )?;
        tx.exec_cached("DELETE FROM prune_ids", [])?;
        tx.exec_cached(
            "INSERT INTO prune_ids SELECT id FROM delivery_reports WHERE received_at < ?1 ORDER BY id LIMIT ?2",
            params![cut, limit],
        )?;
        tx.exec_cached(
            "DELETE FROM report_candidates WHERE report_id IN (SELECT id FROM prune_ids)",
            [],
        )?;
        let reports = tx.exec_cached(
            "DELETE FROM delivery_reports WHERE id IN (SELECT id FROM prune_ids)",
            [],
        )?;
        tx.exec_cached("DELETE FROM prune_ids", [])?;
        tx.commit()?;
        Ok((messages, reports))
    }
}

/// The cut for `retention_days` at `now`.
pub fn cut_at(now: DateTime<Utc>, retention_days: u32) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(retention_days))
}

/// Deletes everything older than the retention at the clock's `now`, batch after batch
/// ([`BATCH`] per transaction, yielding between them), until a batch finds less than a full
/// one.
pub async fn run_once(
    spool: &Spool,
    clock: &dyn Clock,
    retention_days: u32,
    batch: usize,
) -> Result<Pruned, SpoolError> {
    let before = cut_at(clock.now(), retention_days);
    let batch = batch.max(1);
    let mut total = Pruned::default();
    loop {
        let (m, r) = spool
            .call(move |db| db.prune_finished_batch(before, batch))
            .await?;
        total.messages += m;
        total.reports += r;
        total.batches += 1;
        if m < batch && r < batch {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// The background retention: a pass at start, then every `period`, until `shutdown`.
pub async fn run(
    spool: Spool,
    clock: Arc<dyn Clock>,
    retention_days: u32,
    period: Duration,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match run_once(&spool, clock.as_ref(), retention_days, BATCH).await {
            Ok(p) if p.messages + p.reports > 0 => tracing::info!(
                messages = p.messages,
                reports = p.reports,
                batches = p.batches,
                retention_days,
                "finished spool rows past their retention deleted"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "spool retention failed"),
        }
    }
}
