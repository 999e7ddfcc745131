//! Delivery reports in the spool: matching (by [`super::evidence::match_report`]), settling
//! `unknown` messages by evidence, keeping ambiguous reports with their candidates, and the
//! report window after which a `sent` message with no report becomes `no_report`.

use super::ExecCached;
use super::SpoolError;
use super::events::SpoolEvent;
use super::evidence::{Candidate, MatchRule, Matched, ReportKey, match_report};
use super::lifecycle::{MessageEvent, MessageState, apply};
use super::store::{SpoolDb, from_ms, ms, push_event, state_of};
use super::types::{AmbiguousReport, DeliveryReport, DeliveryStatus, Evidence};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

/// How many SMS parts `text` is sent as (the same split the modem driver makes).
pub fn part_count(text: &str) -> u16 {
    let (_, n) = smsgate_pdu::encode::count_segments(text, &smsgate_pdu::SubmitOptions::default());
    u16::try_from(n.max(1)).unwrap_or(u16::MAX)
}

impl SpoolDb {
    /// Records a delivery report and matches it (see [`super::evidence`]): a report on a part
    /// of a `sent` (or `no_report`) message updates it as before — every part delivered makes
    /// the message `delivered`, a failed part fails it; a report that matches an `unknown`
    /// message without ambiguity settles it (`delivered` or `failed`) and is recorded on it as
    /// its [`Evidence`]; an ambiguous report is kept with its candidate messages, which list it
    /// in [`super::Message::ambiguous_reports`]. Returns the matched message id and its state.
    pub fn record_delivery_report(
        &mut self,
        report: &DeliveryReport,
        window: chrono::Duration,
    ) -> Result<Option<(i64, MessageState)>, SpoolError> {
        let now = self.now();
        let since = ms(report.received_at - window);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut candidates: Vec<Candidate> = Vec::new();
        {
            let mut st = tx.prepare_cached(
                "SELECT p.message_id, p.seq, p.reference, m.recipient, p.updated_at, m.state, m.text
                 FROM parts p JOIN messages m ON m.id = p.message_id
                 WHERE p.port = ?1 AND p.state = 'sent' AND p.updated_at >= ?2
                 AND m.state IN ('sent', 'no_report', 'unknown')",
            )?;
            let rows = st.query_map(params![report.port, since], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u16>(1)?,
                    r.get::<_, Option<u8>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?;
            for row in rows {
                let (message_id, seq, reference, recipient, at, state, text) = row?;
                candidates.push(Candidate {
                    message_id,
                    seq,
                    port: report.port,
                    reference,
                    recipient,
                    at: from_ms(at),
                    unknown: state == MessageState::Unknown.as_str(),
                    parts: part_count(&text),
                });
            }
            // Unknown messages with no part recorded (the send was cut before `+CMGS: <mr>`).
            let mut st = tx.prepare_cached(
                "SELECT m.id, m.recipient, m.updated_at, m.text FROM messages m
                 WHERE m.state = 'unknown' AND m.port = ?1 AND m.updated_at >= ?2
                 AND NOT EXISTS (SELECT 1 FROM parts p WHERE p.message_id = m.id)",
            )?;
            let rows = st.query_map(params![report.port, since], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (message_id, recipient, at, text) = row?;
                candidates.push(Candidate {
                    message_id,
                    seq: 1,
                    port: report.port,
                    reference: None,
                    recipient,
                    at: from_ms(at),
                    unknown: true,
                    parts: part_count(&text),
                });
            }
        }
        let key = ReportKey {
            port: report.port,
            reference: report.reference,
            recipient: &report.recipient,
            received_at: report.received_at,
        };
        let matched = match_report(&key, &candidates, window);
        let (message_id, part_seq) = match &matched {
            Matched::One {
                message_id, seq, ..
            } => (Some(*message_id), Some(*seq)),
            _ => (None, None),
        };
        tx.exec_cached(
            "INSERT INTO delivery_reports (port, reference, recipient, status, message_id, part_seq, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![report.port, report.reference, report.recipient, report.status.as_str(), message_id, part_seq, ms(report.received_at)],
        )?;
        let report_id = tx.last_insert_rowid();
        let mut result = None;
        let mut candidate_ids = Vec::new();
        match matched {
            Matched::One {
                message_id,
                seq,
                rule,
            } => {
                let state = settle(
                    &tx,
                    report,
                    report_id,
                    message_id,
                    seq,
                    rule,
                    &candidates,
                    now,
                )?;
                result = Some((message_id, state));
            }
            Matched::Ambiguous(ids) => {
                let mut ins = tx.prepare_cached(
                    "INSERT OR IGNORE INTO report_candidates (report_id, message_id) VALUES (?1, ?2)",
                )?;
                for id in &ids {
                    ins.execute(params![report_id, id])?;
                }
                tracing::warn!(
                    port = report.port,
                    reference = report.reference,
                    candidates = ?ids,
                    "a delivery report could be about several messages; left for the operator"
                );
                candidate_ids = ids;
            }
            Matched::Nothing => {}
        }
        push_event(
            &tx,
            &SpoolEvent::DeliveryReport {
                port: report.port,
                reference: report.reference,
                recipient: report.recipient.clone(),
                status: report.status,
                message_id: result.map(|r| r.0),
                candidates: candidate_ids,
            },
            now,
        )?;
        tx.commit()?;
        Ok(result)
    }

    /// Every `sent` message whose report window ran out (sent before `now - window`) becomes
    /// `no_report`; returns how many.
    pub fn mark_no_report_due(&mut self, window: chrono::Duration) -> Result<usize, SpoolError> {
        let now = self.now();
        let next = apply(MessageState::Sent, MessageEvent::ReportWindowElapsed)?;
        let cut = now - window.num_milliseconds();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = {
            let mut st = tx.prepare(
                "UPDATE messages SET state = ?1, error = 'no delivery report within the report window', updated_at = ?2
                 WHERE state = 'sent' AND sent_at IS NOT NULL AND sent_at <= ?3 RETURNING id",
            )?;
            st.query_map(params![next.as_str(), now, cut], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for id in &ids {
            push_event(
                &tx,
                &SpoolEvent::state_because(
                    *id,
                    next,
                    Some("no delivery report within the report window".into()),
                ),
                now,
            )?;
        }
        tx.commit()?;
        Ok(ids.len())
    }

    /// The evidence that settled message `id`, if any, and the ambiguous reports that list it
    /// as a candidate.
    pub(super) fn evidence_of(
        &mut self,
        id: i64,
    ) -> Result<(Option<Evidence>, Vec<AmbiguousReport>), SpoolError> {
        let evidence: Option<String> = self
            .conn
            .query_row("SELECT evidence FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        let evidence = evidence
            .map(|e| {
                serde_json::from_str::<Evidence>(&e)
                    .map_err(|err| SpoolError::Corrupt(format!("message {id} evidence: {err}")))
            })
            .transpose()?;
        let mut st = self.conn.prepare_cached(
            "SELECT r.id, r.port, r.reference, r.recipient, r.status, r.received_at,
                    (SELECT group_concat(c2.message_id) FROM report_candidates c2 WHERE c2.report_id = r.id)
             FROM report_candidates c JOIN delivery_reports r ON r.id = c.report_id
             WHERE c.message_id = ?1 ORDER BY r.id",
        )?;
        let reports = st
            .query_map([id], |r| {
                let ids: Option<String> = r.get(6)?;
                Ok(AmbiguousReport {
                    report_id: r.get(0)?,
                    port: r.get(1)?,
                    reference: r.get(2)?,
                    recipient: r.get(3)?,
                    status: r.get(4)?,
                    received_at: from_ms(r.get(5)?),
                    candidates: ids
                        .unwrap_or_default()
                        .split(',')
                        .filter_map(|s| s.parse().ok())
                        .collect(),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok((evidence, reports))
    }
}

/// Applies a matched report to its part and message; returns the message's state after it.
#[allow(clippy::too_many_arguments)]
fn settle(
    tx: &rusqlite::Transaction<'_>,
    report: &DeliveryReport,
    report_id: i64,
    id: i64,
    seq: u16,
    rule: MatchRule,
    candidates: &[Candidate],
    now: i64,
) -> Result<MessageState, SpoolError> {
    let state: String = tx.query_row("SELECT state FROM messages WHERE id = ?1", [id], |r| {
        r.get(0)
    })?;
    let state = state_of(&state)?;
    let part_state = match report.status {
        DeliveryStatus::Delivered => Some("delivered"),
        DeliveryStatus::Failed => Some("failed"),
        DeliveryStatus::Pending => None,
    };
    let Some(ps) = part_state else {
        return Ok(state);
    };
    // A part the network reports on went out: record it (an unknown message's part may have
    // no row yet) with the reference the report names.
    tx.exec_cached(
        "INSERT INTO parts (message_id, seq, port, reference, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (message_id, seq) DO UPDATE SET state = ?5, reference = COALESCE(reference, ?4), updated_at = ?6",
        params![id, seq, report.port, report.reference, ps, now],
    )?;
    let (recorded, delivered, failed): (i64, i64, i64) = tx.query_row(
        "SELECT COUNT(*), COALESCE(SUM(state = 'delivered'), 0), COALESCE(SUM(state = 'failed'), 0) FROM parts WHERE message_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let unknown = state == MessageState::Unknown;
    // An unknown message is delivered only when every part it has was reported delivered.
    let total = if unknown {
        candidates
            .iter()
            .find(|c| c.message_id == id)
            .map_or(recorded, |c| i64::from(c.parts))
    } else {
        recorded
    };
    let event = match (failed > 0, delivered == total, unknown) {
        (true, _, false) => Some(MessageEvent::DeliveryFailed),
        (true, _, true) => Some(MessageEvent::EvidenceFailed),
        (false, true, false) => Some(MessageEvent::Delivered),
        (false, true, true) => Some(MessageEvent::EvidenceDelivered),
        (false, false, _) => None,
    };
    let Some(ev) = event else {
        return Ok(state);
    };
    let Ok(next) = apply(state, ev) else {
        return Ok(state);
    };
    let evidence = unknown.then(|| Evidence {
        report_id,
        port: report.port,
        reference: report.reference,
        recipient: report.recipient.clone(),
        status: report.status.as_str().to_owned(),
        received_at: report.received_at,
        rule,
        settled_at: from_ms(now),
    });
    let error = match (ev, &evidence) {
        (MessageEvent::DeliveryFailed, _) => Some("delivery report: failed".to_owned()),
        (MessageEvent::EvidenceFailed, _) => Some(
            "outcome was unknown; a matching delivery report says it went out and failed"
                .to_owned(),
        ),
        _ => None,
    };
    let evidence_json = evidence
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| SpoolError::Corrupt(format!("evidence: {e}")))?;
    tx.exec_cached(
        "UPDATE messages SET state = ?2, error = ?3, updated_at = ?4, done_at = ?4,
         evidence = COALESCE(?5, evidence) WHERE id = ?1",
        params![id, next.as_str(), error, now, evidence_json],
    )?;
    if unknown {
        tracing::info!(id, state = %next, report_id, ?rule, "unknown message settled by a delivery report");
    }
    push_event(
        tx,
        &SpoolEvent::MessageState {
            id,
            state: next,
            error,
            port: None,
            parts: None,
            evidence,
        },
        now,
    )?;
    Ok(next)
}
