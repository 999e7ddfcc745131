//! Read-only views of the spool for the box UI: message search, the last hour's activity, the
//! outbox backlog and the file's size.

use super::store::{from_ms, state_of};
use super::{MessageState, SpoolDb, SpoolError};
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use serde::Serialize;

/// Most rows one search returns.
pub const MAX_ROWS: u32 = 500;

/// One message in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MessageRow {
    /// Id.
    pub id: i64,
    /// Recipient.
    pub to: String,
    /// Text.
    pub text: String,
    /// Group.
    pub group: String,
    /// State.
    pub state: MessageState,
    /// Port that took it last.
    pub port: Option<u16>,
    /// Claims so far.
    pub attempts: u32,
    /// Last error.
    pub error: Option<String>,
    /// Campaign.
    pub campaign: Option<String>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Only these states (empty: all).
    pub states: Vec<MessageState>,
    /// Text found in the recipient, the text or the campaign, or an exact id.
    pub search: Option<String>,
    /// Only ids below this (paging, newest first).
    pub before: Option<i64>,
    /// Page size (1..=MAX_ROWS).
    pub limit: u32,
}

/// Sends and failures in a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Activity {
    /// Messages accepted by the network in the window.
    pub sent: u64,
    /// Messages that failed in the window.
    pub failed: u64,
    /// SMS received in the window.
    pub received: u64,
}

fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl SpoolDb {
    /// Messages matching `f`, newest first.
    pub fn list_messages(&mut self, f: &MessageFilter) -> Result<Vec<MessageRow>, SpoolError> {
        let mut sql = String::from(
            "SELECT id, recipient, text, grp, state, port, attempts, error, campaign, created_at, updated_at
             FROM messages WHERE 1 = 1",
        );
        let mut args: Vec<SqlValue> = Vec::new();
        if !f.states.is_empty() {
            sql.push_str(" AND state IN (");
            for (i, s) in f.states.iter().enumerate() {
                sql.push_str(if i == 0 { "?" } else { ", ?" });
                args.push(SqlValue::Text(s.as_str().to_owned()));
            }
            sql.push(')');
        }
        if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let id: Option<i64> = q.trim_start_matches('#').parse().ok();
            sql.push_str(
                " AND (recipient LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\' OR campaign LIKE ? ESCAPE '\\'",
            );
            let pat = like_escape(q);
            args.extend([pat.clone(), pat.clone(), pat].map(SqlValue::Text));
            if let Some(id) = id {
                sql.push_str(" OR id = ?");
                args.push(SqlValue::Integer(id));
            }
            sql.push(')');
        }
        if let Some(b) = f.before {
            sql.push_str(" AND id < ?");
            args.push(SqlValue::Integer(b));
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push(SqlValue::Integer(i64::from(f.limit.clamp(1, MAX_ROWS))));
        let mut st = self.conn.prepare(&sql)?;
        let rows: Vec<(MessageRow, String)> = st
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    MessageRow {
                        id: r.get(0)?,
                        to: r.get(1)?,
                        text: r.get(2)?,
                        group: r.get(3)?,
                        state: MessageState::Queued,
                        port: r.get(5)?,
                        attempts: r.get(6)?,
                        error: r.get(7)?,
                        campaign: r.get(8)?,
                        created_at: from_ms(r.get(9)?),
                        updated_at: from_ms(r.get(10)?),
                    },
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(mut m, s)| {
                m.state = state_of(&s)?;
                Ok(m)
            })
            .collect()
    }

    /// Sends, failures and receptions since `since`.
    pub fn activity_since(&mut self, since: DateTime<Utc>) -> Result<Activity, SpoolError> {
        let ms = since.timestamp_millis();
        let sent: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM messages WHERE sent_at >= ?1",
            [ms],
            |r| r.get(0),
        )?;
        let failed: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM messages WHERE state = 'failed' AND updated_at >= ?1",
            [ms],
            |r| r.get(0),
        )?;
        let received: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM inbound WHERE received_at >= ?1",
            [ms],
            |r| r.get(0),
        )?;
        Ok(Activity {
            sent,
            failed,
            received,
        })
    }

    /// Events waiting in the outbox for the hub's receipt.
    pub fn outbox_backlog(&mut self) -> Result<u64, SpoolError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE id > ?1",
            [self.events_passed],
            |r| r.get(0),
        )?)
    }

    /// The latest inbound SMS of each port (newest first).
    pub fn latest_inbound_per_port(
        &mut self,
        per_port: u32,
    ) -> Result<Vec<super::InboundMessage>, SpoolError> {
        let ids: Vec<i64> = {
            let mut st = self.conn.prepare_cached(
                "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY port ORDER BY id DESC) AS n FROM inbound)
                 WHERE n <= ?1 ORDER BY id DESC",
            )?;
            st.query_map([per_port], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.inbound_since(id - 1, 1)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::spool::NewMessage;
    use std::sync::Arc;

    fn msg(to: &str, text: &str) -> NewMessage {
        NewMessage {
            to: to.into(),
            text: text.into(),
            group: "default".into(),
            port: None,
            priority: 0,
            campaign: Some("spring".into()),
            idempotency_key: None,
            expires_at: None,
            conversation: false,
        }
    }

    #[test]
    fn a_search_finds_by_number_text_or_id_and_filters_by_state_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = SpoolDb::open(&dir.path().join("s.sqlite"), Arc::new(SystemClock)).unwrap();
        let a = db.submit(msg("+33600000001", "hello 50% off")).unwrap().id;
        let b = db.submit(msg("+33600000002", "bye")).unwrap().id;
        db.cancel(b).unwrap();
        let all = db
            .list_messages(&MessageFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b, a]);
        let mut q = |s: &str| {
            db_ids(
                &mut db,
                &MessageFilter {
                    search: Some(s.into()),
                    limit: 10,
                    ..Default::default()
                },
            )
        };
        assert_eq!(q("0002"), vec![b]);
        assert_eq!(q("50%"), vec![a]);
        assert_eq!(q("5_%"), Vec::<i64>::new(), "LIKE wildcards are literal");
        assert_eq!(q(&format!("#{a}")), vec![a]);
        let queued = db_ids(
            &mut db,
            &MessageFilter {
                states: vec![MessageState::Queued],
                limit: 10,
                ..Default::default()
            },
        );
        assert_eq!(queued, vec![a]);
    }

    fn db_ids(db: &mut SpoolDb, f: &MessageFilter) -> Vec<i64> {
        db.list_messages(f)
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect()
    }
}
