//! [`CampaignWrite`] over SQLite. Inserts name their organisation and are refused outside the
//! scope; updates and deletes match the scope. Counts move with the rows they count.

use std::collections::HashMap;
use std::sync::MutexGuard;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use uuid::Uuid;

use super::campaigns_read::CAMPAIGN_IN_SCOPE;
use super::read::ts;
use super::{Args, SqliteTx, backend, scope_args, to_doc};
use crate::authz::Scope;
use crate::campaigns::import::Classified;
use crate::campaigns::model::{Campaign, RecipientState};
use crate::store::StoreError;
use crate::store::campaigns::*;

type W<'a> = SqliteTx<MutexGuard<'a, Connection>>;

fn outside(what: &str) -> StoreError {
    StoreError::Backend(format!("write outside the caller's scope ({what})"))
}

impl W<'_> {
    fn campaign_in_scope(&mut self, scope: &Scope, id: Uuid) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                &format!("SELECT {CAMPAIGN_IN_SCOPE}"),
                scope_args(scope).with("c", id.to_string()),
            )?
            .unwrap_or(false))
    }

    fn bump(&mut self, id: Uuid, state: RecipientState, n: i64) -> Result<(), StoreError> {
        if n == 0 {
            return Ok(());
        }
        self.exec(
            "INSERT INTO campaign_counts (campaign_id, state, n) VALUES (:c, :s, :n)
             ON CONFLICT (campaign_id, state) DO UPDATE SET n = n + excluded.n",
            Args::default()
                .with("c", id.to_string())
                .with("s", state.as_str().to_owned())
                .with("n", n),
        )?;
        Ok(())
    }

    fn recount(&mut self, id: Uuid) -> Result<(), StoreError> {
        let args = || Args::default().with("c", id.to_string());
        self.exec("DELETE FROM campaign_counts WHERE campaign_id = :c", args())?;
        self.exec(
            "INSERT INTO campaign_counts (campaign_id, state, n)
             SELECT campaign_id, state, COUNT(*) FROM campaign_recipients WHERE campaign_id = :c GROUP BY state",
            args(),
        )?;
        Ok(())
    }
}

impl CampaignWrite for W<'_> {
    fn insert_campaign(&mut self, scope: &Scope, c: &Campaign) -> Result<(), StoreError> {
        let n = self.exec(
            "INSERT INTO campaigns (id, org_id, state, created_at, updated_at, doc)
             SELECT :id, :o, :st, :at, :up, :doc WHERE EXISTS (SELECT 1 FROM orgs o WHERE o.id = :o
               AND substr(o.path, 1, length(:path)) = :path AND :gw IS NULL)",
            scope_args(scope)
                .with("id", c.id.to_string())
                .with("o", c.org_id.to_string())
                .with("st", c.state.as_str().to_owned())
                .with("at", ts(c.created_at))
                .with("up", ts(c.updated_at))
                .with("doc", to_doc("campaign", c)?),
        )?;
        if n == 0 {
            return Err(outside("campaign"));
        }
        Ok(())
    }

    fn update_campaign(&mut self, scope: &Scope, c: &Campaign) -> Result<bool, StoreError> {
        let n = self.exec(
            &format!(
                "UPDATE campaigns SET state = :st, updated_at = :up, doc = :doc WHERE id = :c AND {CAMPAIGN_IN_SCOPE}"
            ),
            scope_args(scope)
                .with("c", c.id.to_string())
                .with("st", c.state.as_str().to_owned())
                .with("up", ts(c.updated_at))
                .with("doc", to_doc("campaign", c)?),
        )?;
        if n > 0 {
            // Conversations that answered it show its current name.
            self.exec(
                "UPDATE interactions SET doc = json_set(doc, '$.campaign.name', :n)
                 WHERE campaign_id = :c AND json_extract(doc, '$.campaign.name') IS NOT :n",
                Args::default()
                    .with("c", c.id.to_string())
                    .with("n", c.name.clone()),
            )?;
        }
        Ok(n > 0)
    }

    fn delete_campaign(&mut self, scope: &Scope, id: Uuid) -> Result<bool, StoreError> {
        if !self.campaign_in_scope(scope, id)? {
            return Ok(false);
        }
        let args = || Args::default().with("c", id.to_string());
        self.exec(
            "DELETE FROM campaign_recipients WHERE campaign_id = :c",
            args(),
        )?;
        self.exec("DELETE FROM campaign_counts WHERE campaign_id = :c", args())?;
        self.exec(
            "DELETE FROM campaign_batches WHERE campaign_id = :c",
            args(),
        )?;
        self.exec("DELETE FROM campaigns WHERE id = :c", args())?;
        // Conversations that answered it keep its name and say it is gone.
        self.exec(
            "UPDATE interactions SET doc = json_set(doc, '$.campaign.deleted', json('true'))
             WHERE campaign_id = :c",
            args(),
        )?;
        Ok(true)
    }

    fn insert_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        import_id: Uuid,
        first_seq: i64,
        rows: &[Classified],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !self.campaign_in_scope(scope, id)? {
            return Err(outside("campaign recipients"));
        }
        let (cid, iid, at) = (id.to_string(), import_id.to_string(), ts(at));
        let mut counts: HashMap<RecipientState, i64> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "INSERT INTO campaign_recipients
                     (campaign_id, seq, line, number, text, vars, priority, state, reason, import_id, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(backend)?;
            for (i, r) in rows.iter().enumerate() {
                let vars = to_doc("recipient vars", &r.vars)?;
                stmt.execute(rusqlite::params![
                    cid,
                    first_seq + i as i64,
                    r.line,
                    r.number,
                    r.text,
                    vars,
                    r.priority,
                    r.state.as_str(),
                    r.reason,
                    iid,
                    at
                ])
                .map_err(backend)?;
                *counts.entry(r.state).or_default() += 1;
            }
        }
        for (state, n) in counts {
            self.bump(id, state, n)?;
        }
        Ok(())
    }

    fn delete_import(
        &mut self,
        scope: &Scope,
        id: Uuid,
        import_id: Uuid,
        limit: usize,
    ) -> Result<usize, StoreError> {
        if !self.campaign_in_scope(scope, id)? {
            return Ok(0);
        }
        let n = self.exec(
            &format!(
                "DELETE FROM campaign_recipients WHERE campaign_id = :c AND seq IN
                 (SELECT seq FROM campaign_recipients WHERE campaign_id = :c AND import_id = :i LIMIT {})",
                limit.max(1)
            ),
            Args::default()
                .with("c", id.to_string())
                .with("i", import_id.to_string()),
        )?;
        if n < limit.max(1) {
            self.recount(id)?;
        }
        Ok(n)
    }

    fn delete_unprocessed(&mut self, scope: &Scope, id: Uuid) -> Result<u64, StoreError> {
        if !self.campaign_in_scope(scope, id)? {
            return Ok(0);
        }
        let n = self.exec(
            "DELETE FROM campaign_recipients WHERE campaign_id = :c AND state = 'to_process'",
            Args::default().with("c", id.to_string()),
        )?;
        self.exec(
            "DELETE FROM campaign_counts WHERE campaign_id = :c AND state = 'to_process'",
            Args::default().with("c", id.to_string()),
        )?;
        Ok(n as u64)
    }

    fn set_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
        changes: &[RecipientChange],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if !self.campaign_in_scope(scope, id)? {
            return Ok(0);
        }
        let (cid, at) = (id.to_string(), ts(at));
        let mut moved = 0;
        let mut deltas: HashMap<RecipientState, i64> = HashMap::new();
        for ch in changes {
            let old: Option<String> = self.scalar(
                "SELECT state FROM campaign_recipients WHERE campaign_id = :c AND seq = :s",
                Args::default().with("c", cid.clone()).with("s", ch.seq),
            )?;
            let Some(old) = old.and_then(|o| RecipientState::parse(&o)) else {
                continue;
            };
            if !ch.from.contains(&old) || old == ch.to {
                continue;
            }
            self.exec(
                "UPDATE campaign_recipients SET state = :st, reason = :r,
                   message_id = CASE WHEN :st = 'to_process' THEN NULL ELSE COALESCE(:m, message_id) END,
                   channel_id = CASE WHEN :st = 'to_process' THEN NULL ELSE COALESCE(:ch, channel_id) END,
                   gateway_id = CASE WHEN :st = 'to_process' THEN NULL ELSE COALESCE(:g, gateway_id) END,
                   sent_at = CASE WHEN :st IN ('sent', 'delivered') THEN COALESCE(sent_at, :at) ELSE sent_at END,
                   updated_at = :at
                 WHERE campaign_id = :c AND seq = :s",
                Args::default()
                    .with("c", cid.clone())
                    .with("s", ch.seq)
                    .with("st", ch.to.as_str().to_owned())
                    .opt("r", ch.reason.clone())
                    .opt("m", ch.message_id.map(|m| m.to_string()))
                    .opt("ch", ch.channel.map(|(c, _)| c.to_string()))
                    .opt("g", ch.channel.map(|(_, g)| g.to_string()))
                    .with("at", at.clone()),
            )?;
            *deltas.entry(old).or_default() -= 1;
            *deltas.entry(ch.to).or_default() += 1;
            moved += 1;
        }
        for (state, n) in deltas {
            self.bump(id, state, n)?;
        }
        Ok(moved)
    }

    fn end_waiting(
        &mut self,
        scope: &Scope,
        id: Uuid,
        to: RecipientState,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if !self.campaign_in_scope(scope, id)? || to == RecipientState::ToProcess {
            return Ok(0);
        }
        let n = self.exec(
            "UPDATE campaign_recipients SET state = :st, reason = :r, updated_at = :at
             WHERE campaign_id = :c AND state = 'to_process'",
            Args::default()
                .with("c", id.to_string())
                .with("st", to.as_str().to_owned())
                .with("r", reason.to_owned())
                .with("at", ts(at)),
        )? as i64;
        self.bump(id, RecipientState::ToProcess, -n)?;
        self.bump(id, to, n)?;
        Ok(n as u64)
    }

    fn add_dnc(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        numbers: &[String],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let ok = self
            .scalar::<bool>(
                "SELECT EXISTS(SELECT 1 FROM orgs o WHERE o.id = :o AND substr(o.path, 1, length(:path)) = :path AND :gw IS NULL)",
                scope_args(scope).with("o", org_id.to_string()),
            )?
            .unwrap_or(false);
        if !ok {
            return Err(outside("do-not-contact list"));
        }
        let mut added = 0;
        for n in numbers {
            // Entering the edge's list (not opted out already): logged for the gateways.
            let logged = !self.edge_blocked(org_id, n)?;
            let new = self.exec(
                "INSERT OR IGNORE INTO campaign_dnc (org_id, number, created_at) VALUES (:o, :n, :at)",
                Args::default()
                    .with("o", org_id.to_string())
                    .with("n", n.clone())
                    .with("at", ts(at)),
            )?;
            if new > 0 && logged {
                self.log_opt_out(org_id, n, true, at)?;
            }
            added += new;
        }
        Ok(added)
    }

    fn remove_dnc(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.exec(
            "DELETE FROM campaign_dnc WHERE org_id = :o AND number = :n AND EXISTS (SELECT 1 FROM orgs o
               WHERE o.id = :o AND substr(o.path, 1, length(:path)) = :path AND :gw IS NULL)",
            scope_args(scope)
                .with("o", org_id.to_string())
                .with("n", number.to_owned()),
        )?;
        // Leaving the edge's list (not opted out either): logged for the gateways.
        if n > 0 && !self.edge_blocked(org_id, number)? {
            self.log_opt_out(org_id, number, false, at)?;
        }
        Ok(n > 0)
    }

    fn insert_batch(&mut self, scope: &Scope, b: &BatchRecord) -> Result<(), StoreError> {
        if !self.campaign_in_scope(scope, b.campaign_id)? {
            return Err(outside("campaign batch"));
        }
        self.exec(
            "INSERT INTO campaign_batches (id, campaign_id, gateway_id, created_at, payload)
             VALUES (:id, :c, :g, :at, :p)",
            Args::default()
                .with("id", b.id.to_string())
                .with("c", b.campaign_id.to_string())
                .with("g", b.gateway_id.to_string())
                .with("at", ts(b.created_at))
                .with("p", b.payload.clone()),
        )?;
        Ok(())
    }

    fn ack_batch(
        &mut self,
        scope: &Scope,
        batch_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE campaign_batches SET acked_at = :at WHERE id = :b AND acked_at IS NULL
             AND (:gw IS NULL OR gateway_id = :gw)",
            scope_args(scope)
                .with("b", batch_id.to_string())
                .with("at", ts(at)),
        )?;
        Ok(n > 0)
    }
}
