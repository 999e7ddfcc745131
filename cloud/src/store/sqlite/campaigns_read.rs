//! [`CampaignRead`] over SQLite: campaigns are org data (the scope's subtree, never a
//! gateway scope); recipients are reached through their campaign.

use std::collections::HashSet;
use std::ops::DerefMut;

use rusqlite::Connection;
use uuid::Uuid;

use super::floor_read::parse_ts;
use super::{Args, SqliteTx, backend, parse, parse_uuid, scope_args};
use crate::authz::Scope;
use crate::campaigns::model::{
    Campaign, CampaignCounters, CampaignState, Recipient, RecipientState,
};
use crate::store::StoreError;
use crate::store::campaigns::*;

pub(super) const CAMPAIGN_IN_SCOPE: &str =
    "EXISTS (SELECT 1 FROM campaigns c JOIN orgs o ON o.id = c.org_id
     WHERE c.id = :c AND substr(o.path, 1, length(:path)) = :path AND :gw IS NULL)";

const ORG_IN_SCOPE: &str = "EXISTS (SELECT 1 FROM orgs o WHERE o.id = :o
     AND substr(o.path, 1, length(:path)) = :path AND :gw IS NULL)";

const SELECT: &str = "SELECT t.doc FROM campaigns t JOIN orgs o ON o.id = t.org_id
     WHERE substr(o.path, 1, length(:path)) = :path AND :gw IS NULL";

const RECIPIENT_COLS: &str =
    "seq, line, number, text, vars, priority, state, reason, message_id, updated_at, channel_id";

fn time(row: &rusqlite::Row<'_>, i: usize) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    parse_ts("campaign time", &row.get::<_, String>(i).map_err(backend)?)
}

fn recipient(row: &rusqlite::Row<'_>) -> Result<Recipient, StoreError> {
    let vars: String = row.get(4).map_err(backend)?;
    let state: String = row.get(6).map_err(backend)?;
    let message: Option<String> = row.get(8).map_err(backend)?;
    Ok(Recipient {
        seq: row.get(0).map_err(backend)?,
        line: row.get(1).map_err(backend)?,
        number: row.get(2).map_err(backend)?,
        text: row.get(3).map_err(backend)?,
        vars: parse("recipient vars", &vars)?,
        priority: row.get(5).map_err(backend)?,
        state: RecipientState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            what: "recipient state",
            detail: state.clone(),
        })?,
        reason: row.get(7).map_err(backend)?,
        message_id: message.map(|m| parse_uuid("message id", &m)).transpose()?,
        updated_at: time(row, 9)?,
        channel_id: row
            .get::<_, Option<String>>(10)
            .map_err(backend)?
            .map(|c| parse_uuid("channel id", &c))
            .transpose()?,
    })
}

impl<C: DerefMut<Target = Connection>> SqliteTx<C> {
    fn recipients_where(&mut self, cond: &str, args: Args) -> Result<Vec<Recipient>, StoreError> {
        let sql = format!("SELECT {RECIPIENT_COLS} FROM campaign_recipients WHERE {cond}");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            out.push(recipient(row)?);
        }
        Ok(out)
    }

    fn number_set(&mut self, sql: &str, args: Args) -> Result<HashSet<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = HashSet::new();
        while let Some(row) = rows.next().map_err(backend)? {
            out.insert(row.get::<_, String>(0).map_err(backend)?);
        }
        Ok(out)
    }
}

impl<C: DerefMut<Target = Connection>> CampaignRead for SqliteTx<C> {
    fn campaign(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Campaign>, StoreError> {
        self.one(
            "campaign",
            &format!("{SELECT} AND t.id = :id"),
            scope_args(scope).with("id", id.to_string()),
        )
    }

    fn campaigns(&mut self, scope: &Scope) -> Result<Vec<Campaign>, StoreError> {
        self.many(
            "campaign",
            &format!("{SELECT} ORDER BY t.created_at DESC, t.id DESC"),
            scope_args(scope),
        )
    }

    fn campaigns_in(
        &mut self,
        scope: &Scope,
        states: &[CampaignState],
    ) -> Result<Vec<Campaign>, StoreError> {
        let mut out = Vec::new();
        for st in states {
            out.extend(self.many::<Campaign>(
                "campaign",
                &format!("{SELECT} AND t.state = :st ORDER BY t.created_at"),
                scope_args(scope).with("st", st.as_str().to_owned()),
            )?);
        }
        Ok(out)
    }

    fn campaign_counters(
        &mut self,
        scope: &Scope,
        id: Uuid,
    ) -> Result<CampaignCounters, StoreError> {
        let sql = format!(
            "SELECT state, n FROM campaign_counts WHERE campaign_id = :c AND {CAMPAIGN_IN_SCOPE}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        super::bind(&mut stmt, &scope_args(scope).with("c", id.to_string()))?;
        let mut rows = stmt.raw_query();
        let mut out = CampaignCounters::default();
        while let Some(row) = rows.next().map_err(backend)? {
            let state: String = row.get(0).map_err(backend)?;
            let n: i64 = row.get(1).map_err(backend)?;
            if let Some(s) = RecipientState::parse(&state) {
                out.add(s, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(out)
    }

    fn recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        state: Option<RecipientState>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Recipient>, StoreError> {
        self.recipients_where(
            &format!(
                "campaign_id = :c AND seq > :after AND (:st IS NULL OR state = :st) AND {CAMPAIGN_IN_SCOPE}
                 ORDER BY seq LIMIT {}",
                limit.clamp(1, 10_000)
            ),
            scope_args(scope)
                .with("c", id.to_string())
                .with("after", after_seq)
                .opt("st", state.map(|s| s.as_str().to_owned())),
        )
    }

    fn max_seq(&mut self, scope: &Scope, id: Uuid) -> Result<i64, StoreError> {
        Ok(self
            .scalar::<i64>(
                &format!(
                    "SELECT COALESCE(MAX(seq), 0) FROM campaign_recipients WHERE campaign_id = :c AND {CAMPAIGN_IN_SCOPE}"
                ),
                scope_args(scope).with("c", id.to_string()),
            )?
            .unwrap_or(0))
    }

    fn campaign_numbers(&mut self, scope: &Scope, id: Uuid) -> Result<HashSet<String>, StoreError> {
        self.number_set(
            &format!(
                "SELECT number FROM campaign_recipients WHERE campaign_id = :c AND state <> 'invalid' AND {CAMPAIGN_IN_SCOPE}"
            ),
            scope_args(scope).with("c", id.to_string()),
        )
    }

    fn recipients_missing(
        &mut self,
        scope: &Scope,
        id: Uuid,
        placeholders: &[String],
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut out = Vec::new();
        for p in placeholders {
            let path = format!("$.\"{}\"", p.replace('"', ""));
            let lines: Vec<i64> = self.column(
                &format!(
                    "SELECT line FROM campaign_recipients WHERE campaign_id = :c AND state = 'to_process'
                     AND text IS NULL AND trim(COALESCE(json_extract(vars, :p), '')) = '' AND {CAMPAIGN_IN_SCOPE}
                     ORDER BY seq LIMIT {}",
                    limit.clamp(1, 1000)
                ),
                scope_args(scope).with("c", id.to_string()).with("p", path),
            )?;
            out.extend(lines.into_iter().map(|l| (l, p.clone())));
            if out.len() >= limit {
                out.truncate(limit);
                break;
            }
        }
        Ok(out)
    }

    fn opt_out_numbers(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<HashSet<String>, StoreError> {
        self.number_set(
            &format!("SELECT number FROM opt_outs WHERE org_id = :o AND {ORG_IN_SCOPE}"),
            scope_args(scope).with("o", org_id.to_string()),
        )
    }

    fn dnc_numbers(&mut self, scope: &Scope, org_id: Uuid) -> Result<HashSet<String>, StoreError> {
        self.number_set(
            &format!("SELECT number FROM campaign_dnc WHERE org_id = :o AND {ORG_IN_SCOPE}"),
            scope_args(scope).with("o", org_id.to_string()),
        )
    }

    fn dnc_list(&mut self, scope: &Scope, org_id: Uuid) -> Result<Vec<DncEntry>, StoreError> {
        let sql = format!(
            "SELECT number, created_at FROM campaign_dnc WHERE org_id = :o AND {ORG_IN_SCOPE} ORDER BY number"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        super::bind(&mut stmt, &scope_args(scope).with("o", org_id.to_string()))?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            out.push(DncEntry {
                number: row.get(0).map_err(backend)?,
                created_at: time(row, 1)?,
            });
        }
        Ok(out)
    }

    fn next_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        limit: usize,
    ) -> Result<Vec<Recipient>, StoreError> {
        self.recipients_where(
            &format!(
                "campaign_id = :c AND state = 'to_process' AND {CAMPAIGN_IN_SCOPE}
                 ORDER BY priority DESC, seq LIMIT {}",
                limit.clamp(1, 10_000)
            ),
            scope_args(scope).with("c", id.to_string()),
        )
    }

    fn pending_batches(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
    ) -> Result<Vec<BatchRecord>, StoreError> {
        let sql = "SELECT b.id, b.campaign_id, b.gateway_id, b.created_at, b.acked_at, b.payload
             FROM campaign_batches b JOIN campaigns t ON t.id = b.campaign_id JOIN orgs o ON o.id = t.org_id
             WHERE b.gateway_id = :g AND b.acked_at IS NULL
             AND substr(o.path, 1, length(:path)) = :path AND (:gw IS NULL OR :gw = b.gateway_id)
             ORDER BY b.created_at, b.id";
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        super::bind(
            &mut stmt,
            &scope_args(scope).with("g", gateway_id.to_string()),
        )?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            let id: String = row.get(0).map_err(backend)?;
            let c: String = row.get(1).map_err(backend)?;
            let g: String = row.get(2).map_err(backend)?;
            out.push(BatchRecord {
                id: parse_uuid("batch id", &id)?,
                campaign_id: parse_uuid("campaign id", &c)?,
                gateway_id: parse_uuid("gateway id", &g)?,
                created_at: time(row, 3)?,
                acked_at: row
                    .get::<_, Option<String>>(4)
                    .map_err(backend)?
                    .map(|a| parse_ts("batch ack", &a))
                    .transpose()?,
                payload: row.get(5).map_err(backend)?,
            });
        }
        Ok(out)
    }

    fn recipient_by_message(
        &mut self,
        scope: &Scope,
        message_id: Uuid,
    ) -> Result<Option<(Uuid, i64)>, StoreError> {
        let sql = "SELECT r.campaign_id, r.seq FROM campaign_recipients r
             JOIN campaigns t ON t.id = r.campaign_id JOIN orgs o ON o.id = t.org_id
             WHERE r.message_id = :m AND substr(o.path, 1, length(:path)) = :path
             AND (:gw IS NULL OR r.gateway_id = :gw)";
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        super::bind(
            &mut stmt,
            &scope_args(scope).with("m", message_id.to_string()),
        )?;
        let mut rows = stmt.raw_query();
        match rows.next().map_err(backend)? {
            Some(row) => {
                let c: String = row.get(0).map_err(backend)?;
                Ok(Some((
                    parse_uuid("campaign id", &c)?,
                    row.get(1).map_err(backend)?,
                )))
            }
            None => Ok(None),
        }
    }

    fn queued_on(&mut self, scope: &Scope, id: Uuid, channel: Uuid) -> Result<u64, StoreError> {
        Ok(self
            .scalar::<i64>(
                &format!(
                    "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = :c AND channel_id = :ch
                     AND state = 'queued' AND {CAMPAIGN_IN_SCOPE}"
                ),
                scope_args(scope)
                    .with("c", id.to_string())
                    .with("ch", channel.to_string()),
            )?
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    fn last_sent_on(
        &mut self,
        scope: &Scope,
        id: Uuid,
        channel: Uuid,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        // The stored times sort as text ('+' < '.' < digits, whatever the fraction's length).
        self.scalar::<Option<String>>(
            &format!(
                "SELECT MAX(sent_at) FROM campaign_recipients WHERE campaign_id = :c AND channel_id = :ch
                 AND sent_at IS NOT NULL AND {CAMPAIGN_IN_SCOPE}"
            ),
            scope_args(scope)
                .with("c", id.to_string())
                .with("ch", channel.to_string()),
        )?
        .flatten()
        .map(|at| parse_ts("campaign send", &at))
        .transpose()
    }

    fn number_opted_out(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                &format!("SELECT EXISTS (SELECT 1 FROM opt_outs WHERE org_id = :o AND number = :n) AND {ORG_IN_SCOPE}"),
                scope_args(scope)
                    .with("o", org_id.to_string())
                    .with("n", number.to_owned()),
            )?
            .unwrap_or(false))
    }

    fn sends_per_minute(
        &mut self,
        scope: &Scope,
        id: Uuid,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let sql = format!(
            "SELECT substr(sent_at, 1, 16) AS m, COUNT(*) FROM campaign_recipients
             WHERE campaign_id = :c AND sent_at IS NOT NULL AND sent_at >= :since AND {CAMPAIGN_IN_SCOPE}
             GROUP BY m ORDER BY m"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        super::bind(
            &mut stmt,
            &scope_args(scope)
                .with("c", id.to_string())
                .with("since", super::read::ts(since)),
        )?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            let m: String = row.get(0).map_err(backend)?;
            let n: i64 = row.get(1).map_err(backend)?;
            out.push((m, u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    fn answered_campaign(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        channel: Uuid,
        number: &str,
    ) -> Result<Option<crate::model::CampaignRef>, StoreError> {
        // Message ids are UUIDv7, given at hand-over: their order is the hand-over order.
        let sql = "SELECT t.id, json_extract(t.doc, '$.name') FROM campaign_recipients r
             JOIN campaigns t ON t.id = r.campaign_id JOIN orgs o ON o.id = t.org_id
             WHERE r.number = :n AND r.message_id IS NOT NULL AND r.channel_id = :ch
             AND r.state IN ('queued', 'sent', 'delivered') AND t.org_id = :o
             AND substr(o.path, 1, length(:path)) = :path AND :gw IS NULL
             ORDER BY r.state = 'queued', r.message_id DESC LIMIT 1";
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        super::bind(
            &mut stmt,
            &scope_args(scope)
                .with("n", number.to_owned())
                .with("ch", channel.to_string())
                .with("o", org_id.to_string()),
        )?;
        let mut rows = stmt.raw_query();
        match rows.next().map_err(backend)? {
            Some(row) => {
                let id: String = row.get(0).map_err(backend)?;
                Ok(Some(crate::model::CampaignRef {
                    id: parse_uuid("campaign id", &id)?,
                    name: row.get(1).map_err(backend)?,
                    deleted: false,
                }))
            }
            None => Ok(None),
        }
    }

    fn campaigns_for_number(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        let ids: Vec<String> = self.column(
            "SELECT t.id FROM campaigns t JOIN orgs o ON o.id = t.org_id
             WHERE t.org_id = :o AND substr(o.path, 1, length(:path)) = :path AND :gw IS NULL
             AND EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = t.id AND r.number = :n
                         AND r.state IN ('queued', 'sent', 'delivered', 'failed'))
             ORDER BY t.created_at DESC",
            scope_args(scope)
                .with("o", org_id.to_string())
                .with("n", number.to_owned()),
        )?;
        ids.iter().map(|i| parse_uuid("campaign id", i)).collect()
    }
}
