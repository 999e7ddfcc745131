//! [`WebhookRead`] / [`WebhookWrite`] over SQLite, and migration 11. Endpoints are org data
//! (the scope's subtree, never a gateway scope); the secret has its own column and never
//! enters the record's `doc`. Queue times are integer milliseconds (compared and ordered).

use std::ops::DerefMut;
use std::sync::MutexGuard;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use uuid::Uuid;

use super::{Args, SqliteTx, backend, parse_uuid, scope_args, to_doc};
use crate::authz::Scope;
use crate::store::webhooks::*;
use crate::store::{Cursor, MAX_PAGE, Page, PageRequest, StoreError};
use crate::webhooks::{Attempt, Delivery, DeliveryState, DueDelivery, Endpoint, EventType, Secret};

/// Migration 11: webhook endpoints, their delivery queue and log, conversation marks.
pub const V11: &str = r#"
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints(org_id);
CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
    interaction_id TEXT, order_key TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, next_ms INTEGER,
    last_status INTEGER, last_error TEXT, last_latency_ms INTEGER);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, seq);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries(endpoint_id, order_key, seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_ms) WHERE state = 'pending';
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL, at_ms INTEGER NOT NULL, status INTEGER, latency_ms INTEGER NOT NULL,
    error TEXT, PRIMARY KEY (delivery_id, attempt)) WITHOUT ROWID;
CREATE TABLE webhook_conversations (
    interaction_id TEXT PRIMARY KEY, assignee_id TEXT, closed INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE webhook_marks (
    kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;
"#;

const ORG_SCOPE: &str = "substr(o.path, 1, length(:path)) = :path AND :gw IS NULL";

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn corrupt(what: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: detail.into(),
    }
}

const DELIVERY_COLS: &str = "d.seq, d.id, d.endpoint_id, d.event_id, d.event_type, d.interaction_id, d.state, d.attempts, d.created_ms, d.next_ms, d.last_status, d.last_error, d.last_latency_ms";

fn delivery_row(row: &rusqlite::Row<'_>) -> Result<(i64, Delivery), StoreError> {
    let g = |i| -> Result<String, StoreError> { row.get(i).map_err(backend) };
    let t = g(4)?;
    let st = g(6)?;
    let interaction: Option<String> = row.get(5).map_err(backend)?;
    Ok((
        row.get(0).map_err(backend)?,
        Delivery {
            id: parse_uuid("delivery id", &g(1)?)?,
            endpoint_id: parse_uuid("endpoint id", &g(2)?)?,
            event_id: parse_uuid("event id", &g(3)?)?,
            event_type: EventType::parse(&t).ok_or_else(|| corrupt("event type", t.clone()))?,
            interaction_id: interaction
                .map(|i| parse_uuid("interaction id", &i))
                .transpose()?,
            state: DeliveryState::parse(&st)
                .ok_or_else(|| corrupt("delivery state", st.clone()))?,
            attempts: row.get(7).map_err(backend)?,
            created_at: from_ms(row.get(8).map_err(backend)?),
            next_attempt_at: row.get::<_, Option<i64>>(9).map_err(backend)?.map(from_ms),
            last_status: row.get(10).map_err(backend)?,
            last_error: row.get(11).map_err(backend)?,
            last_latency_ms: row.get(12).map_err(backend)?,
            log: Vec::new(),
        },
    ))
}

impl<C: DerefMut<Target = Connection>> SqliteTx<C> {
    fn deliveries_where(
        &mut self,
        cond: &str,
        args: Args,
    ) -> Result<Vec<(i64, Delivery)>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
             JOIN orgs o ON o.id = e.org_id WHERE {ORG_SCOPE} AND {cond}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            out.push(delivery_row(row)?);
        }
        drop(rows);
        drop(stmt);
        for (_, d) in &mut out {
            d.log = self.attempts_of(d.id)?;
        }
        Ok(out)
    }

    fn attempts_of(&mut self, id: Uuid) -> Result<Vec<Attempt>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT attempt, at_ms, status, latency_ms, error FROM webhook_attempts
                 WHERE delivery_id = ?1 ORDER BY attempt",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([id.to_string()], |r| {
                Ok(Attempt {
                    attempt: r.get(0)?,
                    at: from_ms(r.get(1)?),
                    status: r.get(2)?,
                    latency_ms: r.get(3)?,
                    error: r.get(4)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}

impl<C: DerefMut<Target = Connection>> WebhookRead for SqliteTx<C> {
    fn endpoints(&mut self, scope: &Scope, org: Option<Uuid>) -> Result<Vec<Endpoint>, StoreError> {
        self.many(
            "webhook endpoint",
            &format!(
                "SELECT t.doc FROM webhook_endpoints t JOIN orgs o ON o.id = t.org_id
                 WHERE {ORG_SCOPE} AND (:org IS NULL OR t.org_id = :org) ORDER BY t.created_at, t.id"
            ),
            scope_args(scope).opt("org", org.map(|o| o.to_string())),
        )
    }

    fn endpoint(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
        self.one(
            "webhook endpoint",
            &format!(
                "SELECT t.doc FROM webhook_endpoints t JOIN orgs o ON o.id = t.org_id
                 WHERE {ORG_SCOPE} AND t.id = :id"
            ),
            scope_args(scope).with("id", id.to_string()),
        )
    }

    fn endpoint_secret(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Secret>, StoreError> {
        Ok(self
            .scalar::<String>(
                &format!(
                    "SELECT t.secret FROM webhook_endpoints t JOIN orgs o ON o.id = t.org_id
                     WHERE {ORG_SCOPE} AND t.id = :id"
                ),
                scope_args(scope).with("id", id.to_string()),
            )?
            .map(Secret::from_stored))
    }

    fn tenants_with_endpoints(&mut self, scope: &Scope) -> Result<Vec<Uuid>, StoreError> {
        let ids: Vec<String> = self.column(
            &format!(
                "SELECT DISTINCT t.org_id FROM webhook_endpoints t JOIN orgs o ON o.id = t.org_id
                 WHERE {ORG_SCOPE} AND t.enabled = 1"
            ),
            scope_args(scope),
        )?;
        ids.iter().map(|i| parse_uuid("org id", i)).collect()
    }

    fn deliveries(
        &mut self,
        scope: &Scope,
        endpoint_id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, StoreError> {
        let limit = page.limit.clamp(1, MAX_PAGE);
        let after: i64 = match &page.after {
            Some(c) => c
                .key
                .parse()
                .map_err(|_| corrupt("cursor", c.key.clone()))?,
            None => i64::MAX,
        };
        let mut rows = self.deliveries_where(
            &format!(
                "d.endpoint_id = :e AND d.seq < :after ORDER BY d.seq DESC LIMIT {}",
                limit + 1
            ),
            scope_args(scope)
                .with("e", endpoint_id.to_string())
                .with("after", after),
        )?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(|(seq, d)| Cursor {
                key: seq.to_string(),
                id: d.id.to_string(),
            })
        } else {
            None
        };
        Ok(Page {
            items: rows.into_iter().map(|(_, d)| d).collect(),
            next,
        })
    }

    fn delivery(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Delivery>, StoreError> {
        Ok(self
            .deliveries_where("d.id = :id", scope_args(scope).with("id", id.to_string()))?
            .pop()
            .map(|(_, d)| d))
    }

    fn due_deliveries(
        &mut self,
        scope: &Scope,
        now: DateTime<Utc>,
        per_endpoint: usize,
        limit: usize,
    ) -> Result<DueList, StoreError> {
        // Heads of their conversation's queue on enabled endpoints.
        let heads = format!(
            "FROM webhook_deliveries d
             JOIN (SELECT id, json_extract(doc, '$.url') AS url_col, secret, org_id, enabled FROM webhook_endpoints) e
               ON e.id = d.endpoint_id
             JOIN orgs o ON o.id = e.org_id
             WHERE {ORG_SCOPE} AND d.state = 'pending' AND e.enabled = 1
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
                   AND p.order_key = d.order_key AND p.state = 'pending' AND p.seq < d.seq)"
        );
        // The due ones, at most `per_endpoint` of each endpoint (one endpoint's backlog never
        // hides another's), earliest first.
        let sql = format!(
            "SELECT id, endpoint_id, url_col, secret, event_id, body, attempts, created_ms FROM (
                SELECT d.id, d.endpoint_id, e.url_col, e.secret, d.event_id, d.body, d.attempts,
                       d.created_ms, d.next_ms, d.seq,
                       ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_ms, d.seq) AS rn
                {heads} AND d.next_ms <= :now)
             WHERE rn <= :per ORDER BY next_ms, seq LIMIT :limit"
        );
        let args = || {
            scope_args(scope)
                .with("now", ms(now))
                .with("per", per_endpoint.max(1) as i64)
                .with("limit", limit.max(1) as i64)
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        super::bind(&mut stmt, &args())?;
        let mut rows = stmt.raw_query();
        let mut out = DueList::default();
        while let Some(row) = rows.next().map_err(backend)? {
            let g = |i| -> Result<String, StoreError> { row.get(i).map_err(backend) };
            out.due.push(DueDelivery {
                id: parse_uuid("delivery id", &g(0)?)?,
                endpoint_id: parse_uuid("endpoint id", &g(1)?)?,
                url: g(2)?,
                secret: Secret::from_stored(g(3)?),
                event_id: parse_uuid("event id", &g(4)?)?,
                body: g(5)?,
                attempts: row.get(6).map_err(backend)?,
                created_at: from_ms(row.get(7).map_err(backend)?),
            });
        }
        drop(rows);
        drop(stmt);
        out.next_at = self
            .scalar::<Option<i64>>(
                &format!("SELECT MIN(d.next_ms) {heads} AND d.next_ms > :now"),
                scope_args(scope).with("now", ms(now)),
            )?
            .flatten()
            .map(from_ms);
        Ok(out)
    }

    fn mark(
        &mut self,
        _scope: &Scope,
        kind: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        self.scalar(
            "SELECT value FROM webhook_marks WHERE kind = :k AND key = :key",
            Args::default()
                .with("k", kind.to_owned())
                .with("key", key.to_owned()),
        )
    }

    fn conversation_mark(
        &mut self,
        _scope: &Scope,
        interaction_id: Uuid,
    ) -> Result<Option<ConversationMark>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT assignee_id, closed FROM webhook_conversations WHERE interaction_id = ?1",
            )
            .map_err(backend)?;
        let mut rows = stmt.query([interaction_id.to_string()]).map_err(backend)?;
        let Some(row) = rows.next().map_err(backend)? else {
            return Ok(None);
        };
        let assignee: Option<String> = row.get(0).map_err(backend)?;
        Ok(Some(ConversationMark {
            assignee_id: assignee.map(|a| parse_uuid("assignee", &a)).transpose()?,
            closed: row.get(1).map_err(backend)?,
        }))
    }
}

type W<'a> = SqliteTx<MutexGuard<'a, Connection>>;

impl W<'_> {
    fn endpoint_org_in_scope(&mut self, scope: &Scope, org: Uuid) -> Result<(), StoreError> {
        let ok = self
            .scalar::<bool>(
                &format!("SELECT EXISTS(SELECT 1 FROM orgs o WHERE o.id = :o AND {ORG_SCOPE})"),
                scope_args(scope).with("o", org.to_string()),
            )?
            .unwrap_or(false);
        if ok {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "write outside the caller's scope (organisation {org})"
            )))
        }
    }
}

const ENDPOINT_IN_SCOPE: &str = "org_id IN (SELECT o.id FROM orgs o WHERE substr(o.path, 1, length(:path)) = :path) AND :gw IS NULL";

impl WebhookWrite for W<'_> {
    fn insert_endpoint(
        &mut self,
        scope: &Scope,
        e: &Endpoint,
        secret: &Secret,
    ) -> Result<(), StoreError> {
        self.endpoint_org_in_scope(scope, e.org_id)?;
        self.exec(
            "INSERT INTO webhook_endpoints (id, org_id, enabled, secret, created_at, doc)
             VALUES (:id, :org, :en, :secret, :at, :doc)",
            Args::default()
                .with("id", e.id.to_string())
                .with("org", e.org_id.to_string())
                .with("en", i64::from(e.enabled))
                .with("secret", secret.expose().to_owned())
                .with("at", super::read::ts(e.created_at))
                .with("doc", to_doc("webhook endpoint", e)?),
        )?;
        Ok(())
    }

    fn update_endpoint(&mut self, scope: &Scope, e: &Endpoint) -> Result<bool, StoreError> {
        Ok(self.exec(
            &format!(
                "UPDATE webhook_endpoints SET enabled = :en, doc = :doc WHERE id = :id AND {ENDPOINT_IN_SCOPE}"
            ),
            scope_args(scope)
                .with("id", e.id.to_string())
                .with("en", i64::from(e.enabled))
                .with("doc", to_doc("webhook endpoint", e)?),
        )? == 1)
    }

    fn set_endpoint_secret(
        &mut self,
        scope: &Scope,
        id: Uuid,
        secret: &Secret,
    ) -> Result<bool, StoreError> {
        Ok(self.exec(
            &format!(
                "UPDATE webhook_endpoints SET secret = :secret WHERE id = :id AND {ENDPOINT_IN_SCOPE}"
            ),
            scope_args(scope)
                .with("id", id.to_string())
                .with("secret", secret.expose().to_owned()),
        )? == 1)
    }

    fn delete_endpoint(&mut self, scope: &Scope, id: Uuid) -> Result<bool, StoreError> {
        let args = || scope_args(scope).with("id", id.to_string());
        self.exec(
            &format!(
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries
                 WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE id = :id AND {ENDPOINT_IN_SCOPE}))"
            ),
            args(),
        )?;
        self.exec(
            &format!(
                "DELETE FROM webhook_deliveries WHERE endpoint_id IN
                 (SELECT id FROM webhook_endpoints WHERE id = :id AND {ENDPOINT_IN_SCOPE})"
            ),
            args(),
        )?;
        Ok(self.exec(
            &format!("DELETE FROM webhook_endpoints WHERE id = :id AND {ENDPOINT_IN_SCOPE}"),
            args(),
        )? == 1)
    }

    fn enqueue_delivery(
        &mut self,
        scope: &Scope,
        d: &NewDelivery,
        state: DeliveryState,
    ) -> Result<(), StoreError> {
        self.endpoint_org_in_scope(scope, d.org_id)?;
        let pending = state == DeliveryState::Pending;
        self.exec(
            "INSERT INTO webhook_deliveries (id, endpoint_id, org_id, event_id, event_type,
                 interaction_id, order_key, body, state, created_ms, next_ms)
             VALUES (:id, :e, :org, :ev, :t, :i, :k, :body, :st, :at, :next)",
            Args::default()
                .with("id", d.id.to_string())
                .with("e", d.endpoint_id.to_string())
                .with("org", d.org_id.to_string())
                .with("ev", d.event_id.to_string())
                .with("t", d.event_type.as_str().to_owned())
                .opt("i", d.interaction_id.map(|i| i.to_string()))
                .with("k", d.order_key.clone().unwrap_or_else(|| d.id.to_string()))
                .with("body", d.body.clone())
                .with("st", state.as_str().to_owned())
                .with("at", ms(d.created_at))
                .opt("next", pending.then(|| ms(d.created_at))),
        )?;
        Ok(())
    }

    fn record_attempt(
        &mut self,
        scope: &Scope,
        delivery_id: Uuid,
        a: &Attempt,
        state: DeliveryState,
        next_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let changed = self.exec(
            &format!(
                "UPDATE webhook_deliveries SET state = :st, attempts = :n, next_ms = :next,
                    last_status = :status, last_error = :err, last_latency_ms = :lat
                 WHERE id = :id AND {ENDPOINT_IN_SCOPE}"
            ),
            scope_args(scope)
                .with("id", delivery_id.to_string())
                .with("st", state.as_str().to_owned())
                .with("n", a.attempt)
                .opt(
                    "next",
                    next_at.filter(|_| state == DeliveryState::Pending).map(ms),
                )
                .opt("status", a.status)
                .opt("err", a.error.clone())
                .with("lat", a.latency_ms as i64),
        )?;
        if changed == 0 {
            // Deleted with its endpoint meanwhile: nothing to log.
            return Ok(());
        }
        self.exec(
            "INSERT OR REPLACE INTO webhook_attempts (delivery_id, attempt, at_ms, status, latency_ms, error)
             VALUES (:id, :n, :at, :status, :lat, :err)",
            Args::default()
                .with("id", delivery_id.to_string())
                .with("n", a.attempt)
                .with("at", ms(a.at))
                .opt("status", a.status)
                .with("lat", a.latency_ms as i64)
                .opt("err", a.error.clone()),
        )?;
        Ok(())
    }

    fn set_mark(
        &mut self,
        _scope: &Scope,
        kind: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO webhook_marks (kind, key, value) VALUES (:k, :key, :v)
             ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            Args::default()
                .with("k", kind.to_owned())
                .with("key", key.to_owned())
                .with("v", value.to_owned()),
        )?;
        Ok(())
    }

    fn set_conversation_mark(
        &mut self,
        _scope: &Scope,
        interaction_id: Uuid,
        mark: ConversationMark,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO webhook_conversations (interaction_id, assignee_id, closed) VALUES (:i, :a, :c)
             ON CONFLICT (interaction_id) DO UPDATE SET assignee_id = excluded.assignee_id, closed = excluded.closed",
            Args::default()
                .with("i", interaction_id.to_string())
                .opt("a", mark.assignee_id.map(|a| a.to_string()))
                .with("c", mark.closed),
        )?;
        Ok(())
    }
}
