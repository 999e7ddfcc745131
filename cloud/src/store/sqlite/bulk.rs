//! Migration 5 and [`BulkRead`] / [`BulkWrite`] over SQLite (see `store::bulk`). Rows of a
//! deleted tenant go with it (trigger on `orgs`, like the floor tables).

use std::collections::HashMap;
use std::ops::DerefMut;
use std::sync::MutexGuard;

use rusqlite::Connection;
use uuid::Uuid;

use super::{Args, Order, SqliteTx, backend, like, parse, parse_uuid, scope_args, to_doc};
use crate::authz::Scope;
use crate::model::{BulkOutcome, BulkRecipientView, BulkResult, BulkSend, MessageState};
use crate::store::bulk::{BulkRead, BulkWrite};
use crate::store::{Page, PageRequest, StoreError, TextFilter};

pub const V5: &str = r#"
CREATE TABLE bulk_sends (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, author_id TEXT, created_at TEXT NOT NULL,
    campaign TEXT NOT NULL, text TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX bulk_sends_org ON bulk_sends(org_id, created_at);
CREATE TABLE bulk_recipients (
    bulk_id TEXT NOT NULL, seq INTEGER NOT NULL, number TEXT NOT NULL, outcome TEXT NOT NULL,
    message_id TEXT, PRIMARY KEY (bulk_id, seq));
CREATE TRIGGER orgs_bulk_delete AFTER DELETE ON orgs BEGIN
    DELETE FROM bulk_recipients WHERE bulk_id IN (SELECT id FROM bulk_sends WHERE org_id = OLD.id);
    DELETE FROM bulk_sends WHERE org_id = OLD.id;
END;
"#;

/// Bulk sends in the scope (`t`), personal scopes limited to their own.
const IN_SCOPE: &str =
    "JOIN orgs o ON o.id = t.org_id WHERE substr(o.path, 1, length(:path)) = :path
    AND :gw IS NULL AND (:me IS NULL OR t.author_id = :me)";

fn outcome_name(o: &BulkOutcome) -> &'static str {
    match o {
        BulkOutcome::Queued { .. } => "queued",
        BulkOutcome::Duplicate => "duplicate",
        BulkOutcome::OptedOut => "opted_out",
    }
}

fn state_of(what: &'static str, s: &str) -> Result<MessageState, StoreError> {
    parse(what, &format!("\"{s}\""))
}

impl<C: DerefMut<Target = Connection>> BulkRead for SqliteTx<C> {
    fn bulk_sends(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<BulkSend>, StoreError> {
        let sql = format!(
            "SELECT t.doc FROM bulk_sends t {IN_SCOPE} AND (:org IS NULL OR t.org_id = :org)
             AND (:q IS NULL OR t.campaign LIKE :q ESCAPE '\\' OR t.text LIKE :q ESCAPE '\\')"
        );
        let args = scope_args(scope)
            .opt("org", filter.org.map(|o| o.to_string()))
            .opt(
                "q",
                filter
                    .q
                    .as_deref()
                    .filter(|q| !q.trim().is_empty())
                    .map(like),
            );
        self.page("bulk send", &sql, args, Order::CreatedDesc, page)
    }

    fn bulk_send(&mut self, scope: &Scope, id: Uuid) -> Result<Option<BulkSend>, StoreError> {
        self.one(
            "bulk send",
            &format!("SELECT t.doc FROM bulk_sends t {IN_SCOPE} AND t.id = :id"),
            scope_args(scope).with("id", id.to_string()),
        )
    }

    fn bulk_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
    ) -> Result<Vec<BulkRecipientView>, StoreError> {
        let sql = "SELECT r.number, r.outcome, r.message_id, json_extract(m.doc, '$.state'),
                    json_extract(m.doc, '$.error')
             FROM bulk_recipients r JOIN bulk_sends t ON t.id = r.bulk_id
             JOIN orgs o ON o.id = t.org_id LEFT JOIN messages m ON m.id = r.message_id
             WHERE substr(o.path, 1, length(:path)) = :path AND :gw IS NULL
             AND (:me IS NULL OR t.author_id = :me) AND r.bulk_id = :id ORDER BY r.seq";
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        let args = scope_args(scope).with("id", id.to_string());
        bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            let to: String = row.get(0).map_err(backend)?;
            let outcome: String = row.get(1).map_err(backend)?;
            let message_id: Option<String> = row.get(2).map_err(backend)?;
            let state: Option<String> = row.get(3).map_err(backend)?;
            let error: Option<String> = row.get(4).map_err(backend)?;
            out.push(BulkRecipientView {
                to,
                outcome: match outcome.as_str() {
                    "duplicate" => BulkOutcome::Duplicate,
                    "opted_out" => BulkOutcome::OptedOut,
                    _ => BulkOutcome::Queued {
                        message_id: parse_uuid(
                            "bulk recipient",
                            message_id.as_deref().unwrap_or_default(),
                        )?,
                    },
                },
                state: state.map(|s| state_of("bulk recipient", &s)).transpose()?,
                error,
            });
        }
        Ok(out)
    }

    fn bulk_states(
        &mut self,
        scope: &Scope,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<(MessageState, u64)>>, StoreError> {
        let mut out: HashMap<Uuid, Vec<(MessageState, u64)>> = HashMap::new();
        let sql = "SELECT json_extract(m.doc, '$.state'), COUNT(*)
             FROM bulk_recipients r JOIN bulk_sends t ON t.id = r.bulk_id
             JOIN orgs o ON o.id = t.org_id JOIN messages m ON m.id = r.message_id
             WHERE substr(o.path, 1, length(:path)) = :path AND :gw IS NULL
             AND (:me IS NULL OR t.author_id = :me) AND r.bulk_id = :id
             GROUP BY 1";
        for id in ids {
            let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
            bind(&mut stmt, &scope_args(scope).with("id", id.to_string()))?;
            let mut rows = stmt.raw_query();
            let entry = out.entry(*id).or_default();
            while let Some(row) = rows.next().map_err(backend)? {
                let state: Option<String> = row.get(0).map_err(backend)?;
                let n: i64 = row.get(1).map_err(backend)?;
                if let Some(s) = state {
                    entry.push((state_of("bulk send", &s)?, u64::try_from(n).unwrap_or(0)));
                }
            }
        }
        Ok(out)
    }
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &Args) -> Result<(), StoreError> {
    for (name, value) in &args.0 {
        if let Some(i) = stmt.parameter_index(&format!(":{name}")).map_err(backend)? {
            stmt.raw_bind_parameter(i, value).map_err(backend)?;
        }
    }
    Ok(())
}

impl BulkWrite for SqliteTx<MutexGuard<'_, Connection>> {
    fn insert_bulk_send(
        &mut self,
        scope: &Scope,
        send: &BulkSend,
        recipients: &[BulkResult],
    ) -> Result<(), StoreError> {
        let in_scope = self
            .scalar::<bool>(
                "SELECT EXISTS(SELECT 1 FROM orgs WHERE id = :o AND substr(path, 1, length(:path)) = :path)",
                scope_args(scope).with("o", send.org_id.to_string()),
            )?
            .unwrap_or(false);
        if !in_scope {
            return Err(StoreError::Backend(format!(
                "write outside the caller's scope (organisation {})",
                send.org_id
            )));
        }
        self.exec(
            "INSERT INTO bulk_sends (id, org_id, author_id, created_at, campaign, text, doc)
             VALUES (:id, :org, :author, :at, :campaign, :text, :doc)",
            Args::default()
                .with("id", send.id.to_string())
                .with("org", send.org_id.to_string())
                .opt("author", send.author_id.map(|a| a.to_string()))
                .with("at", super::read::ts(send.created_at))
                .with("campaign", send.campaign.clone())
                .with("text", send.text.clone())
                .with("doc", to_doc("bulk send", send)?),
        )?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO bulk_recipients (bulk_id, seq, number, outcome, message_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(backend)?;
        for (seq, r) in recipients.iter().enumerate() {
            let message = match &r.outcome {
                BulkOutcome::Queued { message_id } => Some(message_id.to_string()),
                _ => None,
            };
            stmt.execute(rusqlite::params![
                send.id.to_string(),
                i64::try_from(seq).unwrap_or(i64::MAX),
                r.to,
                outcome_name(&r.outcome),
                message
            ])
            .map_err(backend)?;
        }
        Ok(())
    }
}
