//! The synchronous spool: one rusqlite connection and every operation as one transaction.

use super::ExecCached;
use super::SpoolError;
use super::events::SpoolEvent;
use super::lifecycle::{MessageEvent, MessageState, apply};
use super::migrations::migrate;
use super::types::*;
use crate::clock::Clock;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use smsgate_wire::Refusal;
use std::path::Path;
use std::sync::Arc;

/// The spool database (synchronous). Use [`super::Spool`] from async code.
pub struct SpoolDb {
    pub(super) conn: Connection,
    clock: Arc<dyn Clock>,
    recovered: Vec<i64>,
    /// Campaign batches and halts stored since open ([`SpoolDb::campaign_changes`]).
    pub(super) campaign_changes: u64,
    /// Outbox events up to here mean nothing to the cloud link; deleted lazily
    /// ([`SpoolDb::pass_events`]).
    pub(super) events_passed: i64,
    /// Outbox events up to here are deleted (as far as this connection knows).
    pub(super) events_deleted: i64,
}

/// `(port, reference, recipient, sent at)` of a part waiting for its delivery report.
pub type UnreportedPart = (u16, u8, String, DateTime<Utc>);

pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(super) fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or(DateTime::UNIX_EPOCH)
}

fn opt_from_ms(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_ms)
}

pub(super) fn state_of(s: &str) -> Result<MessageState, SpoolError> {
    MessageState::parse(s)
        .ok_or_else(|| SpoolError::Corrupt(format!("unknown message state {s:?}")))
}

pub(super) use super::events::push as push_event;

/// A conversation's message from the hub, which the pushed lists do not stop (see
/// [`NewMessage::conversation`]); a message submitted on the gateway never is one.
fn hub_conversation(m: &NewMessage) -> bool {
    m.conversation
        && m.idempotency_key
            .as_deref()
            .is_some_and(|k| k.starts_with(super::opt_outs::HUB_KEY_PREFIX))
}

/// Stores one submission inside `tx` (the rules of [`SpoolDb::submit_many`]): an idempotency
/// key already stored returns its first id with `duplicate`; a blocked or opted-out recipient
/// is stored `blocked`.
pub(super) fn insert_message_tx(
    tx: &rusqlite::Transaction<'_>,
    m: &NewMessage,
    now: i64,
) -> Result<Submitted, SpoolError> {
    if let Some(key) = &m.idempotency_key {
        let existing = tx
            .prepare_cached("SELECT id, state FROM messages WHERE idempotency_key = ?1")?
            .query_row([key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .optional()?;
        if let Some((id, state)) = existing {
            return Ok(Submitted {
                id,
                state: state_of(&state)?,
                duplicate: true,
            });
        }
    }
    // `refused` names the list for the hub (contract version 5, `Status::refused`).
    let (why, refused) = if is_blocked_tx(tx, &m.to, m.campaign.as_deref())? {
        (
            Some("recipient is on the do-not-contact list"),
            Some(Refusal::DoNotContact),
        )
    } else if !hub_conversation(m)
        && super::opt_outs::opted_out_tx(tx, &m.to, m.port, m.idempotency_key.as_deref())?.is_some()
    {
        (
            Some("recipient opted out (list pushed by the hub)"),
            Some(Refusal::OptedOut),
        )
    } else {
        (None, None)
    };
    let blocked = why.is_some();
    let state = MessageState::initial(blocked);
    tx.prepare_cached(
            "INSERT INTO messages (recipient, text, grp, pinned_port, priority, campaign, idempotency_key, state, error, created_at, updated_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
        )?
        .execute(params![
                m.to,
                m.text,
                m.group,
                m.port,
                m.priority,
                m.campaign,
                m.idempotency_key,
                state.as_str(),
                why,
                now,
                m.expires_at.map(ms),
            ],
        )?;
    let id = tx.last_insert_rowid();
    push_event(
        tx,
        &SpoolEvent::MessageAccepted {
            id,
            to: m.to.clone(),
            group: m.group.clone(),
            campaign: m.campaign.clone(),
            state,
            error: why.map(|w| w.to_string()),
            refused,
        },
        now,
    )?;
    Ok(Submitted {
        id,
        state,
        duplicate: false,
    })
}

/// Records the parts the network accepted as `sent` (port, message reference), so their
/// delivery reports match. One prepared statement serves every part.
fn record_sent_parts(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    parts: &[SentPart],
    now: i64,
) -> Result<(), SpoolError> {
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO parts (message_id, seq, port, reference, state, updated_at) VALUES (?1, ?2, ?3, ?4, 'sent', ?5)",
    )?;
    for p in parts {
        insert.execute(params![id, p.seq, p.port, p.reference, now])?;
    }
    Ok(())
}

impl SpoolDb {
    /// Opens (creating if needed) the database at `path`: WAL journal, `synchronous=FULL`,
    /// migrations applied, then crash recovery: every message still `sending` becomes `unknown`.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, SpoolError> {
        create_private(path)?;
        let mut conn = Connection::open(path)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SpoolError::Corrupt(format!(
                "cannot enable WAL journal (got {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(super::STATEMENT_CACHE);
        migrate(&mut conn)?;
        let mut db = SpoolDb {
            conn,
            clock,
            recovered: Vec::new(),
            campaign_changes: 0,
            events_passed: i64::MIN,
            // Event ids start at 1: after a restart, the first pass deletes what is left.
            events_deleted: 0,
        };
        db.recovered = db.recover_in_flight()?;
        Ok(db)
    }

    /// The connection's `(journal_mode, synchronous)` pragmas (`("wal", 2)` = WAL + FULL).
    pub fn durability(&self) -> Result<(String, i64), SpoolError> {
        let mode: String = self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        let sync: i64 = self
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))?;
        Ok((mode, sync))
    }

    /// Ids turned from `sending` into `unknown` when this database was opened.
    pub fn recovered_at_open(&self) -> &[i64] {
        &self.recovered
    }

    pub(super) fn now(&self) -> i64 {
        ms(self.clock.now())
    }

    fn recover_in_flight(&mut self) -> Result<Vec<i64>, SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = {
            let mut st =
                tx.prepare("SELECT id FROM messages WHERE state = 'sending' ORDER BY id")?;
            st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        let next = apply(MessageState::Sending, MessageEvent::CrashRecovered)?;
        for id in &ids {
            tx.exec_cached(
                "UPDATE messages SET state = ?2, error = 'gateway stopped while sending', updated_at = ?3 WHERE id = ?1",
                params![id, next.as_str(), now],
            )?;
            push_event(
                &tx,
                &SpoolEvent::state_because(*id, next, Some("gateway stopped while sending".into())),
                now,
            )?;
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Stores one submission (see [`SpoolDb::submit_many`]).
    pub fn submit(&mut self, m: NewMessage) -> Result<Submitted, SpoolError> {
        let mut v = self.submit_many(vec![m])?;
        v.pop()
            .ok_or_else(|| SpoolError::Corrupt("submission vanished".into()))
    }

    /// Stores submissions in ONE transaction (all or nothing). A message whose idempotency key
    /// is already stored is not stored again: its first id is returned with `duplicate = true`.
    /// A recipient on the blocklist (globally or for the message's campaign), or opted out in
    /// a list the hub pushed (`spool::opt_outs`), is stored as `blocked`. Returns after the commit: an `Ok` means the messages are durable.
    pub fn submit_many(&mut self, msgs: Vec<NewMessage>) -> Result<Vec<Submitted>, SpoolError> {
        self.submit_iter(msgs.into_iter().map(Ok::<_, SpoolError>))
    }

    /// [`SpoolDb::submit_many`] for submissions made one at a time as they are stored (an
    /// upload read from its file), so they are never all in memory: ONE transaction, all or
    /// nothing — the first `Err` from `msgs` rolls back every message before it and is
    /// returned.
    pub fn submit_iter<E: From<SpoolError>>(
        &mut self,
        msgs: impl IntoIterator<Item = Result<NewMessage, E>>,
    ) -> Result<Vec<Submitted>, E> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(SpoolError::from)?;
        let mut out = Vec::new();
        for m in msgs {
            out.push(insert_message_tx(&tx, &m?, now)?);
        }
        tx.commit().map_err(SpoolError::from)?;
        Ok(out)
    }

    /// Atomically takes the next message of `group` for `port`: highest priority first, FIFO
    /// within a priority, skipping messages pinned to another port, expired ones, and ones
    /// waiting for a retry time. The `UPDATE … RETURNING` runs in one immediate transaction,
    /// so two workers (even in two processes) never take the same message.
    pub fn claim_next(&mut self, group: &str, port: u16) -> Result<Option<Claimed>, SpoolError> {
        self.claim_where(
            "state = 'queued' AND grp = ?1 AND (pinned_port IS NULL OR pinned_port = ?2)
             AND (expires_at IS NULL OR expires_at > ?3) AND (not_before IS NULL OR not_before <= ?3)
             ORDER BY priority DESC, id LIMIT 1",
            params![group, port, self.now()],
            port,
        )
    }

    /// Atomically takes message `id` for `port` if it is still queued and claimable (used by
    /// strategies that choose the message before the port, e.g. sticky).
    pub fn claim(&mut self, id: i64, port: u16) -> Result<Option<Claimed>, SpoolError> {
        self.claim_where(
            "state = 'queued' AND id = ?1 AND (pinned_port IS NULL OR pinned_port = ?2)
             AND (expires_at IS NULL OR expires_at > ?3) AND (not_before IS NULL OR not_before <= ?3)",
            params![id, port, self.now()],
            port,
        )
    }

    fn claim_where(
        &mut self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
        port: u16,
    ) -> Result<Option<Claimed>, SpoolError> {
        let now = self.now();
        let next = apply(MessageState::Queued, MessageEvent::Claim)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sql = format!(
            "UPDATE messages SET state = '{}', port = {port}, attempts = attempts + 1, updated_at = {now}
             WHERE id = (SELECT id FROM messages WHERE {filter})
             RETURNING id, recipient, text, grp, priority, campaign, attempts",
            next.as_str()
        );
        let claimed = tx
            .query_row(&sql, args, |r| {
                Ok(Claimed {
                    id: r.get(0)?,
                    to: r.get(1)?,
                    text: r.get(2)?,
                    group: r.get(3)?,
                    priority: r.get(4)?,
                    campaign: r.get(5)?,
                    attempts: r.get(6)?,
                    port,
                })
            })
            .optional()?;
        if let Some(c) = &claimed {
            push_event(
                &tx,
                &SpoolEvent::MessageState {
                    id: c.id,
                    state: next,
                    error: None,
                    port: Some(port),
                    parts: None,
                    evidence: None,
                },
                now,
            )?;
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// Up to `limit` claimable messages of `group`, in claim order, without taking them.
    pub fn peek_queued(&mut self, group: &str, limit: u32) -> Result<Vec<Claimed>, SpoolError> {
        let now = self.now();
        let mut st = self.conn.prepare_cached(
            "SELECT id, recipient, text, grp, priority, campaign, attempts, pinned_port FROM messages
             WHERE state = 'queued' AND grp = ?1 AND (expires_at IS NULL OR expires_at > ?2)
             AND (not_before IS NULL OR not_before <= ?2) ORDER BY priority DESC, id LIMIT ?3",
        )?;
        let rows = st
            .query_map(params![group, now, limit], |r| {
                Ok(Claimed {
                    id: r.get(0)?,
                    to: r.get(1)?,
                    text: r.get(2)?,
                    group: r.get(3)?,
                    priority: r.get(4)?,
                    campaign: r.get(5)?,
                    attempts: r.get(6)?,
                    port: r.get::<_, Option<u16>>(7)?.unwrap_or(u16::MAX),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub(super) fn transition(
        tx: &rusqlite::Transaction<'_>,
        id: i64,
        event: MessageEvent,
    ) -> Result<MessageState, SpoolError> {
        let state: String = tx
            .query_row("SELECT state FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(SpoolError::NotFound(id))?;
        let from = state_of(&state)?;
        apply(from, event).map_err(|source| SpoolError::Transition { id, source })
    }

    /// The network accepted every part: the message becomes `sent` and its parts are recorded
    /// (port, message reference) for delivery-report matching.
    pub fn mark_sent(&mut self, id: i64, parts: &[SentPart]) -> Result<(), SpoolError> {
        self.mark_sent_counting(id, parts, None)
    }

    /// [`SpoolDb::mark_sent`] and, in the same transaction, [`SpoolDb::count_send`] for the
    /// SIM it went out from (`count`: the SIM and its windows): one durable write per send.
    pub fn mark_sent_counting(
        &mut self,
        id: i64,
        parts: &[SentPart],
        count: Option<(&str, &WindowKeys)>,
    ) -> Result<(), SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((sim, windows)) = count {
            count_send_in(&tx, sim, windows)?;
        }
        let next = Self::transition(&tx, id, MessageEvent::SendSucceeded)?;
        record_sent_parts(&tx, id, parts, now)?;
        tx.exec_cached(
            "UPDATE messages SET state = ?2, error = NULL, sent_at = ?3, updated_at = ?3 WHERE id = ?1",
            params![id, next.as_str(), now],
        )?;
        push_event(
            &tx,
            &SpoolEvent::MessageState {
                id,
                state: next,
                error: None,
                port: None,
                parts: Some(parts.len()),
                evidence: None,
            },
            now,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The send may or may not have reached the network (a timeout or failure after a PDU
    /// went out): the message becomes `unknown` with `reason` and is never resent
    /// automatically (an operator may requeue it). `parts` are the parts known to have been
    /// accepted (recorded as `sent`, so their delivery reports still match).
    pub fn mark_unknown(
        &mut self,
        id: i64,
        reason: &str,
        parts: &[SentPart],
    ) -> Result<(), SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let next = Self::transition(&tx, id, MessageEvent::OutcomeUnknown)?;
        record_sent_parts(&tx, id, parts, now)?;
        tx.exec_cached(
            "UPDATE messages SET state = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, next.as_str(), reason, now],
        )?;
        push_event(
            &tx,
            &SpoolEvent::MessageState {
                id,
                state: next,
                error: Some(reason.to_string()),
                port: None,
                parts: Some(parts.len()),
                evidence: None,
            },
            now,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A permanent error: the message becomes `failed` with `reason`.
    pub fn mark_failed(&mut self, id: i64, reason: &str) -> Result<(), SpoolError> {
        self.simple_transition(id, MessageEvent::SendFailed, Some(reason), None)
    }

    /// A retryable error before anything was transmitted: back to `queued`, not claimable
    /// before `not_before` (failover to another port of the group with backoff).
    pub fn retry_later(
        &mut self,
        id: i64,
        reason: &str,
        not_before: DateTime<Utc>,
    ) -> Result<(), SpoolError> {
        self.simple_transition(id, MessageEvent::RetryLater, Some(reason), Some(not_before))
    }

    /// Operator action for `unknown`/`failed` messages: back to `queued` (parts forgotten).
    pub fn requeue(&mut self, id: i64) -> Result<MessageState, SpoolError> {
        self.simple_transition(id, MessageEvent::Requeue, None, None)?;
        Ok(MessageState::Queued)
    }

    /// Cancels a message no port has taken yet (queued, waiting or retrying): it becomes
    /// `cancelled` and is never sent. A message already sending, sent or final is left as it
    /// is and its state is returned ([`CancelOutcome::TooLate`]); the check and the change are
    /// one transaction, so a port cannot claim it in between.
    pub fn cancel(&mut self, id: i64) -> Result<CancelOutcome, SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let next = match Self::transition(&tx, id, MessageEvent::Cancel) {
            Ok(next) => next,
            Err(SpoolError::Transition { source, .. }) => {
                return Ok(CancelOutcome::TooLate(source.from));
            }
            Err(e) => return Err(e),
        };
        tx.exec_cached(
            "UPDATE messages SET state = ?2, error = NULL, not_before = NULL, updated_at = ?3,
             done_at = ?3 WHERE id = ?1",
            params![id, next.as_str(), now],
        )?;
        push_event(&tx, &SpoolEvent::state(id, next), now)?;
        tx.commit()?;
        Ok(CancelOutcome::Cancelled)
    }

    /// The message whose idempotency key ends with `suffix`, if any.
    pub fn find_by_key_suffix(&mut self, suffix: &str) -> Result<Option<i64>, SpoolError> {
        let len = i64::try_from(suffix.chars().count()).unwrap_or(i64::MAX);
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM messages WHERE idempotency_key IS NOT NULL
                 AND length(idempotency_key) >= ?2 AND substr(idempotency_key, -?2) = ?1
                 ORDER BY id LIMIT 1",
                params![suffix, len],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn simple_transition(
        &mut self,
        id: i64,
        event: MessageEvent,
        error: Option<&str>,
        not_before: Option<DateTime<Utc>>,
    ) -> Result<(), SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let next = Self::transition(&tx, id, event)?;
        let done = matches!(
            next,
            MessageState::Failed | MessageState::Expired | MessageState::Delivered
        );
        if event == MessageEvent::Requeue {
            tx.exec_cached("DELETE FROM parts WHERE message_id = ?1", [id])?;
        }
        tx.exec_cached(
            "UPDATE messages SET state = ?2, error = ?3, not_before = ?4, updated_at = ?5,
             done_at = CASE WHEN ?6 THEN ?5 ELSE NULL END,
             port = CASE WHEN ?2 = 'queued' THEN NULL ELSE port END WHERE id = ?1",
            params![id, next.as_str(), error, not_before.map(ms), now, done],
        )?;
        push_event(
            &tx,
            &SpoolEvent::state_because(id, next, error.map(str::to_owned)),
            now,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Marks every queued message whose validity has run out as `expired`; returns how many.
    pub fn expire_due(&mut self) -> Result<usize, SpoolError> {
        let now = self.now();
        let next = apply(MessageState::Queued, MessageEvent::Expire)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = {
            let mut st = tx.prepare(
                "UPDATE messages SET state = ?1, error = 'validity period ran out before sending', updated_at = ?2, done_at = ?2
                 WHERE state = 'queued' AND expires_at IS NOT NULL AND expires_at <= ?2 RETURNING id",
            )?;
            st.query_map(params![next.as_str(), now], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for id in &ids {
            push_event(&tx, &SpoolEvent::state(*id, next), now)?;
        }
        tx.commit()?;
        Ok(ids.len())
    }

    /// Parts sent on `ports` since `since` that still wait for a final delivery report, as
    /// `(port, reference, recipient, sent at)` (a Dinstar's report cursor starts from them).
    pub fn unreported_parts(
        &mut self,
        ports: &[u16],
        since: DateTime<Utc>,
    ) -> Result<Vec<UnreportedPart>, SpoolError> {
        let mut st = self.conn.prepare_cached(
            "SELECT p.port, p.reference, m.recipient, p.updated_at FROM parts p JOIN messages m ON m.id = p.message_id
             WHERE p.state = 'sent' AND p.reference IS NOT NULL AND p.updated_at >= ?1",
        )?;
        let rows = st
            .query_map([ms(since)], |r| {
                Ok((
                    r.get::<_, u16>(0)?,
                    r.get::<_, u8>(1)?,
                    r.get::<_, String>(2)?,
                    from_ms(r.get(3)?),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().filter(|r| ports.contains(&r.0)).collect())
    }

    /// A message with its parts.
    pub fn get(&mut self, id: i64) -> Result<Option<Message>, SpoolError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, recipient, text, grp, pinned_port, priority, campaign, state, error, port, attempts,
                        created_at, updated_at, expires_at, sent_at, done_at, idempotency_key
                 FROM messages WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        Message {
                            id: r.get(0)?,
                            to: r.get(1)?,
                            text: r.get(2)?,
                            group: r.get(3)?,
                            pinned_port: r.get(4)?,
                            priority: r.get(5)?,
                            campaign: r.get(6)?,
                            state: MessageState::Queued,
                            error: r.get(8)?,
                            port: r.get(9)?,
                            attempts: r.get(10)?,
                            created_at: from_ms(r.get(11)?),
                            updated_at: from_ms(r.get(12)?),
                            expires_at: opt_from_ms(r.get(13)?),
                            sent_at: opt_from_ms(r.get(14)?),
                            done_at: opt_from_ms(r.get(15)?),
                            idempotency_key: r.get(16)?,
                            parts: Vec::new(),
                            evidence: None,
                            ambiguous_reports: Vec::new(),
                        },
                        r.get::<_, String>(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((mut m, state)) = row else {
            return Ok(None);
        };
        m.state = state_of(&state)?;
        let mut st = self.conn.prepare_cached(
            "SELECT seq, port, reference, state, error, updated_at FROM parts WHERE message_id = ?1 ORDER BY seq",
        )?;
        m.parts = st
            .query_map([id], |r| {
                Ok(Part {
                    seq: r.get(0)?,
                    port: r.get(1)?,
                    reference: r.get(2)?,
                    state: r.get(3)?,
                    error: r.get(4)?,
                    updated_at: from_ms(r.get(5)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        drop(st);
        (m.evidence, m.ambiguous_reports) = self.evidence_of(id)?;
        Ok(Some(m))
    }

    /// Stores a received (reassembled) SMS. Delete it from the SIM only after this returns.
    /// The same message read again (same port, sender, SMSC time stamp and text — e.g. after a
    /// crash between this commit and the deletion from the SIM) is not stored twice: the first
    /// id is returned and no event is written.
    pub fn store_inbound(&mut self, m: &NewInbound) -> Result<i64, SpoolError> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = store_inbound_in(&tx, m, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// Inbound messages with id > `cursor`, oldest first, at most `limit`.
    pub fn inbound_since(
        &mut self,
        cursor: i64,
        limit: u32,
    ) -> Result<Vec<InboundMessage>, SpoolError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, sender, port, sim, text, keyword, sent_at, received_at FROM inbound WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![cursor, limit], |r| {
                Ok(InboundMessage {
                    id: r.get(0)?,
                    from: r.get(1)?,
                    port: r.get(2)?,
                    sim: r.get(3)?,
                    text: r.get(4)?,
                    keyword: r
                        .get::<_, Option<String>>(5)?
                        .as_deref()
                        .and_then(Keyword::parse),
                    sent_at: opt_from_ms(r.get(6)?),
                    received_at: from_ms(r.get(7)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Adds do-not-contact entries in one transaction (`campaign = None`: every campaign).
    /// Returns how many were new.
    pub fn block_numbers(&mut self, entries: &[BlockEntry]) -> Result<usize, SpoolError> {
        let (_, added) = self.block_iter(entries.iter().cloned().map(Ok::<_, SpoolError>))?;
        Ok(added)
    }

    /// [`SpoolDb::block_numbers`] for entries made one at a time as they are stored: ONE
    /// transaction, all or nothing (the first `Err` from `entries` rolls back and is
    /// returned). Returns how many entries were read and how many were new.
    pub fn block_iter<E: From<SpoolError>>(
        &mut self,
        entries: impl IntoIterator<Item = Result<BlockEntry, E>>,
    ) -> Result<(usize, usize), E> {
        let now = self.now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(SpoolError::from)?;
        let (mut read, mut added) = (0, 0);
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO blocklist (number, campaign, added_at, tail) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(SpoolError::from)?;
            for e in entries {
                let e = e?;
                read += 1;
                added += insert
                    .execute(params![
                        e.number,
                        e.campaign.as_deref().unwrap_or(""),
                        now,
                        super::types::number_tail(&e.number)
                    ])
                    .map_err(SpoolError::from)?;
            }
        }
        tx.commit().map_err(SpoolError::from)?;
        Ok((read, added))
    }

    /// Whether `number` must not be contacted (globally or for `campaign`). Numbers match when
    /// equal or when their last 8 digits agree (national and international forms of one
    /// number); this errs on the side of not contacting.
    pub fn is_blocked(&mut self, number: &str, campaign: Option<&str>) -> Result<bool, SpoolError> {
        let tx = self.conn.transaction()?;
        let b = is_blocked_tx(&tx, number, campaign)?;
        tx.commit()?;
        Ok(b)
    }

    /// Sends counted for `sim` in each of the given windows.
    pub fn sim_counts(
        &mut self,
        sim: &str,
        windows: &WindowKeys,
    ) -> Result<WindowCounts, SpoolError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT count FROM sim_counters WHERE sim = ?1 AND window = ?2")?;
        let mut get = |w: &str| -> Result<u32, SpoolError> {
            Ok(st
                .query_row(params![sim, w], |r| r.get(0))
                .optional()?
                .unwrap_or(0))
        };
        Ok(WindowCounts {
            hour: get(&windows.hour)?,
            day: get(&windows.day)?,
            month: get(&windows.month)?,
        })
    }

    /// Counts one send for `sim` in each window (older windows of that SIM are dropped).
    pub fn count_send(
        &mut self,
        sim: &str,
        windows: &WindowKeys,
    ) -> Result<WindowCounts, SpoolError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        count_send_in(&tx, sim, windows)?;
        tx.commit()?;
        self.sim_counts(sim, windows)
    }

    /// Deletes messages that reached a final state (`delivered`, `failed`, `expired`,
    /// `blocked`) before `before`, with their parts, and delivery reports received before it.
    /// Their idempotency keys are forgotten with them. Returns `(messages, reports)` deleted.
    pub fn prune_finished(&mut self, before: DateTime<Utc>) -> Result<(usize, usize), SpoolError> {
        let cut = ms(before);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let finished = "state IN ('delivered', 'failed', 'expired', 'blocked', 'no_report') AND updated_at < ?1";
        tx.execute(
            &format!(
                "DELETE FROM parts WHERE message_id IN (SELECT id FROM messages WHERE {finished})"
            ),
            [cut],
        )?;
        let messages = tx.execute(&format!("DELETE FROM messages WHERE {finished}"), [cut])?;
        tx.exec_cached(
            "DELETE FROM report_candidates WHERE report_id IN (SELECT id FROM delivery_reports WHERE received_at < ?1)
             OR message_id NOT IN (SELECT id FROM messages)",
            [cut],
        )?;
        let reports =
            tx.exec_cached("DELETE FROM delivery_reports WHERE received_at < ?1", [cut])?;
        tx.commit()?;
        Ok((messages, reports))
    }

    /// Queued messages per group (for metrics).
    pub fn queue_depth(&mut self) -> Result<Vec<(String, u64)>, SpoolError> {
        super::read::queue_depth(&self.conn)
    }

    /// Messages per state (for metrics).
    pub fn state_counts(&mut self) -> Result<Vec<(MessageState, u64)>, SpoolError> {
        super::read::state_counts(&self.conn)
    }
}

/// Creates the spool file readable by its owner only (0600: it holds people's messages); the
/// WAL and shared-memory files SQLite adds take the same mode. An existing file is left as is.
fn create_private(path: &Path) -> Result<(), SpoolError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(SpoolError::Create {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn is_blocked_tx(
    tx: &rusqlite::Transaction<'_>,
    number: &str,
    campaign: Option<&str>,
) -> Result<bool, SpoolError> {
    let n: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM blocklist WHERE (number = ?1 OR tail = ?3) AND (campaign = '' OR campaign = ?2)",
        )?
        .query_row(
            params![number, campaign.unwrap_or(""), super::types::number_tail(number)],
            |r| r.get(0),
        )?;
    Ok(n > 0)
}

/// Counts one send for `sim` in each window inside `tx` (older windows of that SIM dropped).
fn count_send_in(
    tx: &rusqlite::Transaction<'_>,
    sim: &str,
    windows: &WindowKeys,
) -> Result<(), SpoolError> {
    tx.exec_cached(
        "DELETE FROM sim_counters WHERE sim = ?1 AND window NOT IN (?2, ?3, ?4)",
        params![sim, windows.hour, windows.day, windows.month],
    )?;
    for w in [&windows.hour, &windows.day, &windows.month] {
        tx.exec_cached(
            "INSERT INTO sim_counters (sim, window, count) VALUES (?1, ?2, 1)
             ON CONFLICT (sim, window) DO UPDATE SET count = count + 1",
            params![sim, w],
        )?;
    }
    Ok(())
}

/// Stores an inbound message inside `tx` (the caller commits): one that is already stored
/// (same port, sender, sending time and text) keeps its id.
pub(super) fn store_inbound_in(
    tx: &rusqlite::Transaction<'_>,
    m: &NewInbound,
    now: i64,
) -> Result<i64, SpoolError> {
    let keyword = Keyword::detect(&m.text);
    if let Some(sent) = m.sent_at {
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM inbound WHERE port = ?1 AND sender = ?2 AND sent_at = ?3 AND text = ?4",
                params![m.port, m.from, ms(sent), m.text],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
    }
    tx.exec_cached(
        "INSERT INTO inbound (sender, port, sim, text, keyword, sent_at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![m.from, m.port, m.sim, m.text, keyword.map(Keyword::as_str), m.sent_at.map(ms), ms(m.received_at)],
    )?;
    let id = tx.last_insert_rowid();
    push_event(
        tx,
        &SpoolEvent::InboundReceived {
            id,
            from: m.from.clone(),
            port: m.port,
            sim: m.sim.clone(),
            text: m.text.clone(),
            keyword,
            received_at: m.received_at,
        },
        now,
    )?;
    Ok(id)
}
