//! The rows a report is computed from (`FloorRead::report_rows`), read in one snapshot.

use std::collections::{HashMap, HashSet};
use std::ops::DerefMut;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use uuid::Uuid;

use super::floor_read::{ORG_DATA, parse_ts};
use super::read::ts;
use super::scope_sql::CONVERSATION;
use super::{SqliteTx, backend, parse, parse_uuid, scope_args};
use crate::authz::Scope;
use crate::floor::assign::ChosenStatus;
use crate::floor::presence::{AwayReason, Chosen, StatusLogEntry};
use crate::model::{Interaction, Message};
use crate::store::StoreError;
use crate::store::floor::*;

fn row(m: Message, queue: Option<String>, system: bool) -> Result<MessageRow, StoreError> {
    Ok(MessageRow {
        interaction_id: m.interaction_id,
        channel_id: m.channel_id,
        queue_id: queue.map(|q| parse_uuid("interaction", &q)).transpose()?,
        direction: m.direction,
        author_id: m.author_id,
        state: m.state,
        error: m.error,
        created_at: m.created_at,
        system,
    })
}

pub(crate) fn report_rows<C: DerefMut<Target = Connection>>(
    tx: &mut SqliteTx<C>,
    scope: &Scope,
    org_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ReportRows, StoreError> {
    let org = org_id.to_string();
    let in_scope = format!(
        "JOIN interactions t ON t.id = m.interaction_id JOIN orgs o ON o.id = t.org_id
         LEFT JOIN system_messages sm ON sm.message_id = m.id
         WHERE substr(o.path, 1, length(:path)) = :path AND {CONVERSATION} AND m.org_id = :org"
    );
    let messages = tx.rows(
        &format!(
            "SELECT m.doc, t.queue_id, sm.kind FROM messages m {in_scope}
             AND m.created_at >= :from AND m.created_at < :to ORDER BY m.created_at"
        ),
        scope_args(scope)
            .with("org", org.clone())
            .with("from", ts(from))
            .with("to", ts(to)),
        |r| {
            let doc: String = r.get(0).map_err(backend)?;
            let kind: Option<String> = r.get(2).map_err(backend)?;
            row(
                parse("message", &doc)?,
                r.get(1).map_err(backend)?,
                kind.is_some(),
            )
        },
    )?;
    // Conversations created in the range (their last activity is at or after creation).
    let candidates: Vec<Interaction> = tx.many(
        "interaction",
        &format!("SELECT t.doc FROM interactions t {ORG_DATA} AND t.org_id = :org AND t.updated_at >= :from"),
        scope_args(scope).with("org", org.clone()).with("from", ts(from)),
    )?;
    let created: HashMap<Uuid, DateTime<Utc>> = candidates
        .into_iter()
        .filter(|i| i.created_at >= from && i.created_at < to)
        .map(|i| (i.id, i.created_at))
        .collect();
    let mut threads: HashMap<Uuid, Vec<MessageRow>> = HashMap::new();
    if !created.is_empty() {
        let all = tx.rows(
            &format!(
                "SELECT m.doc, t.queue_id, sm.kind FROM messages m {in_scope}
                 AND m.created_at >= :from AND sm.kind IS NULL ORDER BY m.created_at"
            ),
            scope_args(scope)
                .with("org", org.clone())
                .with("from", ts(from)),
            |r| {
                let doc: String = r.get(0).map_err(backend)?;
                row(parse("message", &doc)?, r.get(1).map_err(backend)?, false)
            },
        )?;
        for m in all {
            if created.contains_key(&m.interaction_id) {
                threads.entry(m.interaction_id).or_default().push(m);
            }
        }
    }
    let ids: HashSet<Uuid> = created.keys().copied().collect();
    let changes = tx
        .rows(
            &format!(
                "SELECT t.interaction_id, t.to_status, t.assignee_id, t.at FROM interaction_status_log t
                 {ORG_DATA} AND t.org_id = :org AND t.at >= :from ORDER BY t.seq"
            ),
            scope_args(scope).with("org", org.clone()).with("from", ts(from)),
            |r| {
                let a: Option<String> = r.get(2).map_err(backend)?;
                Ok(StatusChange {
                    interaction_id: parse_uuid("status log", &r.get::<_, String>(0).map_err(backend)?)?,
                    to: r.get(1).map_err(backend)?,
                    assignee_id: a.map(|a| parse_uuid("status log", &a)).transpose()?,
                    at: parse_ts("status log", &r.get::<_, String>(3).map_err(backend)?)?,
                })
            },
        )?
        .into_iter()
        // The conversations created in the range (their resolution, whenever they closed),
        // and every close in the range (an agent's closes count whenever the conversation
        // began).
        .filter(|c| ids.contains(&c.interaction_id) || (c.to == "closed" && c.at < to))
        .collect();
    let episodes = tx.rows(
        &format!(
            "SELECT t.interaction_id, t.since, t.ended_at FROM unseen_episodes t {ORG_DATA}
             AND t.org_id = :org AND t.since >= :from AND t.since < :to"
        ),
        scope_args(scope)
            .with("org", org.clone())
            .with("from", ts(from))
            .with("to", ts(to)),
        |r| {
            let end: Option<String> = r.get(2).map_err(backend)?;
            Ok(EpisodeSpan {
                interaction_id: parse_uuid("episode", &r.get::<_, String>(0).map_err(backend)?)?,
                since: parse_ts("episode", &r.get::<_, String>(1).map_err(backend)?)?,
                ended_at: end.map(|e| parse_ts("episode", &e)).transpose()?,
            })
        },
    )?;
    let opt_outs = tx.rows(
        &format!(
            "SELECT t.added, t.at FROM opt_out_changes t {ORG_DATA} AND t.org_id = :org
             AND t.at >= :from AND t.at < :to"
        ),
        scope_args(scope)
            .with("org", org)
            .with("from", ts(from))
            .with("to", ts(to)),
        |r| {
            Ok(OptOutEvent {
                added: r.get(0).map_err(backend)?,
                at: parse_ts("opt-out change", &r.get::<_, String>(1).map_err(backend)?)?,
            })
        },
    )?;
    // The status in force when the range starts (each agent's last entry before it) and
    // every entry inside it.
    let statuses = tx.rows(
        &format!(
            "SELECT t.user_id, t.status, t.reason, t.at FROM agent_status_log t {ORG_DATA}
             AND t.org_id = :org AND t.at < :to
             AND (t.at >= :from OR t.seq IN (SELECT MAX(l.seq) FROM agent_status_log l
                  WHERE l.org_id = :org AND l.at < :from GROUP BY l.user_id))"
        ),
        scope_args(scope)
            .with("org", org_id.to_string())
            .with("from", ts(from))
            .with("to", ts(to)),
        |r| {
            Ok(StatusLogEntry {
                user_id: parse_uuid("status log", &r.get::<_, String>(0).map_err(backend)?)?,
                chosen: Chosen {
                    status: ChosenStatus::parse(&r.get::<_, String>(1).map_err(backend)?),
                    reason: r
                        .get::<_, Option<String>>(2)
                        .map_err(backend)?
                        .as_deref()
                        .and_then(AwayReason::parse),
                },
                at: parse_ts("status log", &r.get::<_, String>(3).map_err(backend)?)?,
            })
        },
    )?;
    Ok(ReportRows {
        messages,
        threads,
        created,
        changes,
        episodes,
        opt_outs,
        statuses,
    })
}
