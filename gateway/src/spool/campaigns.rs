//! Campaign slices the hub handed over (`down/campaign`, contract version 4), in the spool
//! (migration 6). The rule of when to release is pure ([`crate::campaign::plan`]); this is
//! the storage it reads and the moves it makes, each one transaction:
//!
//! - [`SpoolDb::campaign_take`]: a batch is stored whole; a recipient (hub message id) already
//!   held is never stored again, so a replayed batch adds nothing. A new batch replaces the
//!   slice's pace and windows and lifts a halt.
//! - [`SpoolDb::campaign_pass`], the runner's whole pass in one transaction: the next held
//!   recipients of each slice become spooled messages (pinned
//!   to the slice's port, below live traffic, keyed by the hub's message id) **in the same
//!   transaction as their move to `released`**, so each is submitted exactly once; the spool's
//!   submission rules (do-not-contact, the hub's opt-out lists) apply at that moment. In the
//!   same pass, held recipients past the slice's validity are reported `failed`.
//! - [`SpoolDb::campaign_halt`]: held recipients are withdrawn and released ones no port has
//!   taken are cancelled; each is reported `cancelled` through the outbox.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use smsgate_wire::{CampaignBatch, Window};
use uuid::Uuid;

use super::ExecCached;
use super::store::{from_ms, insert_message_tx, ms, push_event};
use super::{CampaignItemState, CancelOutcome, NewMessage, SpoolDb, SpoolError, SpoolEvent};
use crate::campaign::plan::{Pace, Progress, Step, WINDOW_FAST};
use crate::spool::opt_outs::HUB_KEY_PREFIX;

/// Why an expired recipient failed.
const EXPIRED: &str = "not sent within the campaign's validity";

/// The spool priority of a campaign message: the campaign's priority among campaigns
/// (clamped to ±99), always below live traffic (priority 0 and up).
pub fn spool_priority(campaign_priority: i32) -> i32 {
    campaign_priority.clamp(-99, 99) - 100
}

/// One campaign on one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SliceKey {
    pub campaign: Uuid,
    pub port: u16,
}

/// A slice with its pace and what the spool holds of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub key: SliceKey,
    pub name: String,
    pub pace: Pace,
    pub progress: Progress,
}

/// What a batch added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// Recipients stored now.
    pub added: usize,
    /// Recipients this gateway already had (a replayed batch).
    pub known: usize,
}

/// What a halt withdrew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Halted {
    /// Held recipients withdrawn.
    pub withdrawn: usize,
    /// Released recipients cancelled before a port took them.
    pub cancelled: usize,
}

/// Recipients of a campaign on this gateway per item state (`held`, `released`, `done`,
/// `withdrawn`, `expired`).
pub type ItemCounts = Vec<(String, u64)>;

/// How far a pass counts a slice's held recipients: no step releases more than
/// [`WINDOW_FAST`] at once, so counting further changes no decision of the rule (it only
/// cost index reads on every pass: 32 slices × 1,024 entries before).
const HELD_LOOKAHEAD: i64 = WINDOW_FAST as i64;

/// `(campaign, port, name, interval_ms, windows, expires_at, last_release, priority)` as
/// stored.
type SliceRow = (
    String,
    u16,
    String,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    i32,
);

fn corrupt(what: impl std::fmt::Display) -> SpoolError {
    SpoolError::Corrupt(what.to_string())
}

fn parse_uuid(s: &str) -> Result<Uuid, SpoolError> {
    Uuid::parse_str(s).map_err(|e| corrupt(format!("campaign id {s:?}: {e}")))
}

impl SpoolDb {
    /// Stores batch `b` for configured `port` of group `group` (see the module rule).
    pub fn campaign_take(
        &mut self,
        b: &CampaignBatch,
        port: u16,
        group: &str,
    ) -> Result<Taken, SpoolError> {
        let now = self.now();
        let windows = serde_json::to_string(&b.windows).map_err(corrupt)?;
        let campaign = b.campaign.to_string();
        let command = b.id.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.exec_cached(
            "INSERT INTO campaign_slices (campaign, port, name, grp, interval_ms, priority, windows, expires_at, halted, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9)
             ON CONFLICT (campaign, port) DO UPDATE SET name = ?3, grp = ?4, interval_ms = ?5,
               priority = ?6, windows = ?7, expires_at = ?8, halted = 0, updated_at = ?9",
            params![
                campaign,
                port,
                b.name,
                group,
                i64::try_from(b.interval_ms).unwrap_or(i64::MAX),
                b.priority,
                windows,
                b.expires_at.map(ms),
                now
            ],
        )?;
        let mut taken = Taken { added: 0, known: 0 };
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO campaign_items (message_id, campaign, port, command, recipient, text, state, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'held', ?7) ON CONFLICT (message_id) DO NOTHING",
            )?;
            for item in &b.items {
                let n = insert.execute(params![
                    item.message_id.to_string(),
                    campaign,
                    port,
                    command,
                    item.to,
                    item.text,
                    now
                ])?;
                if n == 1 {
                    taken.added += 1;
                } else {
                    taken.known += 1;
                }
            }
        }
        tx.commit()?;
        self.campaign_changes += 1;
        Ok(taken)
    }

    /// One pass of the campaign runner in **one transaction** (one commit, where each slice
    /// took one of its own before): the active slices ([`slices_in`]), what `decide` (the pure
    /// rule) says to do with each, and its releases and expiries. All or nothing: on an error nothing of the pass is stored. Returns each slice
    /// with its step and how many recipients that step moved.
    pub fn campaign_pass(
        &mut self,
        decide: impl FnOnce(&[Slice]) -> Vec<Step>,
    ) -> Result<Vec<(Slice, Step, usize)>, SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let slices = slices_in(&tx, now)?;
        let steps = decide(&slices);
        let mut done = Vec::with_capacity(slices.len());
        for (slice, step) in slices.into_iter().zip(steps) {
            let moved = match step {
                Step::Release(n) => release_in(&tx, slice.key, n, now)?,
                Step::Expire => expire_in(&tx, slice.key, now)?,
                Step::WaitUntil(_) | Step::Idle => 0,
            };
            done.push((slice, step, moved));
        }
        tx.commit()?;
        Ok(done)
    }

    /// Halts every slice of `campaign` on this gateway (see the module rule).
    pub fn campaign_halt(&mut self, campaign: Uuid) -> Result<Halted, SpoolError> {
        let id = campaign.to_string();
        let now = self.now();
        self.conn.exec_cached(
            "UPDATE campaign_slices SET halted = 1, updated_at = ?2 WHERE campaign = ?1",
            params![id, now],
        )?;
        self.campaign_changes += 1;
        let withdrawn =
            self.campaign_drop_held(&id, None, "withdrawn", CampaignItemState::Cancelled, None)?;
        let released: Vec<(String, i64)> = {
            let mut st = self.conn.prepare(
                "SELECT message_id, spool_id FROM campaign_items WHERE campaign = ?1 AND state = 'released'",
            )?;
            st.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut cancelled = 0;
        for (message_id, spool_id) in released {
            // Its `cancelled` status goes up through the spool's own event.
            if self.cancel(spool_id)? == CancelOutcome::Cancelled {
                self.conn.exec_cached(
                    "UPDATE campaign_items SET state = 'withdrawn', updated_at = ?2 WHERE message_id = ?1",
                    params![message_id, self.now()],
                )?;
                cancelled += 1;
            }
        }
        Ok(Halted {
            withdrawn,
            cancelled,
        })
    }

    fn campaign_drop_held(
        &mut self,
        campaign: &str,
        port: Option<u16>,
        to: &str,
        state: CampaignItemState,
        error: Option<&str>,
    ) -> Result<usize, SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = drop_held_in(&tx, campaign, port, to, state, error, now)?;
        tx.commit()?;
        Ok(n)
    }

    /// How many campaign batches and halts this connection stored since it opened (the
    /// spool thread publishes it in [`crate::spool::SpoolNews`], waking the runner).
    pub fn campaign_changes(&self) -> u64 {
        self.campaign_changes
    }

    /// The recipients of `campaign` on this gateway per state.
    pub fn campaign_item_counts(&mut self, campaign: Uuid) -> Result<ItemCounts, SpoolError> {
        let mut st = self.conn.prepare(
            "SELECT state, count(*) FROM campaign_items WHERE campaign = ?1 GROUP BY state ORDER BY state",
        )?;
        let rows = st
            .query_map([campaign.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?
            .map(|r| r.map(|(s, n)| (s, u64::try_from(n).unwrap_or(0))))
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

/// Every slice that is not halted and still holds or sends something, after marking the
/// released recipients whose message left the queue as `done` (at an interval, the
/// slice's `last_release` then becomes the moment the last one left the queue, so the
/// interval counts from the end of the previous send).
fn slices_in(tx: &rusqlite::Transaction<'_>, now: i64) -> Result<Vec<Slice>, SpoolError> {
    // At an interval, the pace counts from the moment the previous message left the
    // queue (its send ended), not from its release: one that waited in the queue (live
    // traffic first, the port's own pace) must not let the next follow it at once.
    tx.prepare_cached(
        "UPDATE campaign_slices SET last_release = max(coalesce(last_release, 0), (
           SELECT max(coalesce(m.sent_at, m.done_at, m.updated_at)) FROM campaign_items i
           JOIN messages m ON m.id = i.spool_id
           WHERE i.campaign = campaign_slices.campaign AND i.port = campaign_slices.port
             AND i.state = 'released' AND m.state NOT IN ('queued', 'sending')))
         WHERE interval_ms > 0 AND EXISTS (SELECT 1 FROM campaign_items i
           JOIN messages m ON m.id = i.spool_id
           WHERE i.campaign = campaign_slices.campaign AND i.port = campaign_slices.port
             AND i.state = 'released' AND m.state NOT IN ('queued', 'sending'))",
    )?
    .execute([])?;
    tx.prepare_cached(
        "UPDATE campaign_items SET state = 'done', updated_at = ?1 WHERE state = 'released'
         AND (SELECT m.state FROM messages m WHERE m.id = spool_id) NOT IN ('queued', 'sending')",
    )?
    .execute([now])?;
    let rows: Vec<SliceRow> = {
        let mut st = tx.prepare_cached(
            "SELECT campaign, port, name, interval_ms, windows, expires_at, last_release, priority
             FROM campaign_slices WHERE halted = 0 ORDER BY campaign, port",
        )?;
        st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for (campaign, port, name, interval_ms, windows, expires_at, last_release, priority) in rows {
        let held: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM (SELECT 1 FROM campaign_items
                 WHERE campaign = ?1 AND port = ?2 AND state = 'held' LIMIT ?3)",
            )?
            .query_row(params![campaign, port, HELD_LOOKAHEAD], |r| r.get(0))?;
        let in_flight: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM campaign_items WHERE campaign = ?1 AND port = ?2 AND state = 'released'",
            )?
            .query_row(params![campaign, port], |r| r.get(0))?;
        if held == 0 && in_flight == 0 {
            continue;
        }
        let windows: Vec<Window> = serde_json::from_str(&windows)
            .map_err(|e| corrupt(format!("campaign {campaign} windows: {e}")))?;
        out.push(Slice {
            key: SliceKey {
                campaign: parse_uuid(&campaign)?,
                port,
            },
            name,
            pace: Pace {
                interval_ms: u64::try_from(interval_ms).unwrap_or(0),
                priority,
                windows,
                expires_at: expires_at.map(from_ms),
                halted: false,
            },
            progress: Progress {
                held: u64::try_from(held).unwrap_or(0),
                in_flight: u64::try_from(in_flight).unwrap_or(0),
                last_release: last_release.map(from_ms),
            },
        });
    }
    Ok(out)
}

/// Releases up to `n` held recipients of `key` into the spool queue (see the module rule),
/// inside the caller's transaction; returns how many were released.
fn release_in(
    tx: &rusqlite::Transaction<'_>,
    key: SliceKey,
    n: u64,
    now: i64,
) -> Result<usize, SpoolError> {
    let campaign = key.campaign.to_string();
    let slice: Option<(String, String, i32, Option<i64>, bool)> = tx
        .prepare_cached(
            "SELECT name, grp, priority, expires_at, halted FROM campaign_slices
             WHERE campaign = ?1 AND port = ?2",
        )?
        .query_row(params![campaign, key.port], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((name, group, priority, expires_at, false)) = slice else {
        return Ok(0);
    };
    let items: Vec<(String, String, String, String)> = {
        let mut st = tx.prepare_cached(
            "SELECT message_id, command, recipient, text FROM campaign_items
             WHERE campaign = ?1 AND port = ?2 AND state = 'held' ORDER BY rowid LIMIT ?3",
        )?;
        st.query_map(
            params![campaign, key.port, i64::try_from(n).unwrap_or(i64::MAX)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .collect::<Result<_, _>>()?
    };
    for (message_id, command, to, text) in &items {
        let m = NewMessage {
            to: to.clone(),
            text: text.clone(),
            group: group.clone(),
            port: Some(key.port),
            priority: spool_priority(priority),
            campaign: Some(name.clone()),
            idempotency_key: Some(format!("{HUB_KEY_PREFIX}{command}:{message_id}")),
            expires_at: expires_at.map(from_ms),
            conversation: false,
        };
        let sub = insert_message_tx(tx, &m, now)?;
        tx.prepare_cached(
            "UPDATE campaign_items SET state = 'released', spool_id = ?2, updated_at = ?3 WHERE message_id = ?1",
        )?
        .execute(params![message_id, sub.id, now])?;
    }
    if !items.is_empty() {
        tx.prepare_cached(
            "UPDATE campaign_slices SET last_release = ?3 WHERE campaign = ?1 AND port = ?2",
        )?
        .execute(params![campaign, key.port, now])?;
    }
    Ok(items.len())
}

/// [`SpoolDb::campaign_drop_held`] inside the caller's transaction.
fn drop_held_in(
    tx: &rusqlite::Transaction<'_>,
    campaign: &str,
    port: Option<u16>,
    to: &str,
    state: CampaignItemState,
    error: Option<&str>,
    now: i64,
) -> Result<usize, SpoolError> {
    let ids: Vec<String> = {
        let mut st = tx.prepare_cached(
            "SELECT message_id FROM campaign_items WHERE campaign = ?1 AND state = 'held'
             AND (?2 IS NULL OR port = ?2) ORDER BY rowid",
        )?;
        st.query_map(params![campaign, port], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for id in &ids {
        tx.prepare_cached(
            "UPDATE campaign_items SET state = ?2, updated_at = ?3 WHERE message_id = ?1",
        )?
        .execute(params![id, to, now])?;
        let event = SpoolEvent::CampaignItem {
            message_id: id.clone(),
            state,
            error: error.map(str::to_owned),
        };
        push_event(tx, &event, now)?;
    }
    Ok(ids.len())
}

/// Reports every held recipient of `key` failed (not sent within the campaign's validity),
/// inside the caller's transaction.
fn expire_in(tx: &rusqlite::Transaction<'_>, key: SliceKey, now: i64) -> Result<usize, SpoolError> {
    drop_held_in(
        tx,
        &key.campaign.to_string(),
        Some(key.port),
        "expired",
        CampaignItemState::Failed,
        Some(EXPIRED),
        now,
    )
}
