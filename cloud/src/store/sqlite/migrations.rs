//! Migrations, applied in order; each runs once, recorded in `schema_migrations`. Append
//! only. A database whose recorded version is newer than [`LATEST_VERSION`] was written by a
//! newer build and is refused before anything is changed.

use chrono::Utc;
use rusqlite::{Connection, params};

use super::backend;
use crate::store::StoreError;

enum Step {
    Sql(&'static str),
    /// Data migrations that need code (number normalisation).
    Code(fn(&rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error>),
}

const MIGRATIONS: &[(u32, Step)] = &[
    (1, Step::Sql(V1)),
    (2, Step::Sql(V2)),
    (3, Step::Code(crate::store::sqlite::docs::normalise_numbers)),
    (4, Step::Sql(super::floor_schema::V4)),
    (5, Step::Sql(super::bulk::V5)),
    (6, Step::Sql(super::campaigns_schema::V6)),
    (7, Step::Sql(super::floor_schema::V7)),
    (8, Step::Sql(super::unrouted::V8)),
    (9, Step::Sql(super::campaigns_schema::V9)),
    (10, Step::Sql(super::campaigns_schema::V10)),
    (11, Step::Sql(super::webhooks::V11)),
];

/// The schema version this build writes.
pub const LATEST_VERSION: u32 = 11;

const V1: &str = r#"
CREATE TABLE orgs (
    id TEXT PRIMARY KEY, parent_id TEXT REFERENCES orgs(id), kind TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE users (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), login TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    expires_at TEXT NOT NULL);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE gateways (
    id TEXT PRIMARY KEY, mqtt_username TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE TABLE channels (
    id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL REFERENCES gateways(id), port TEXT NOT NULL,
    sim_number TEXT NOT NULL UNIQUE, holder_id TEXT NOT NULL REFERENCES orgs(id),
    created_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (gateway_id, port));
CREATE TABLE queues (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), created_at TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE TABLE queue_members (
    queue_id TEXT NOT NULL REFERENCES queues(id), user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL, PRIMARY KEY (queue_id, user_id));
CREATE TABLE contacts (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), number TEXT NOT NULL,
    created_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (org_id, number));
CREATE TABLE interactions (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),
    channel_id TEXT NOT NULL REFERENCES channels(id), contact_number TEXT NOT NULL,
    status TEXT NOT NULL, live INTEGER NOT NULL, queue_id TEXT, assignee_id TEXT,
    updated_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE UNIQUE INDEX interactions_one_live ON interactions(channel_id, contact_number) WHERE live = 1;
CREATE INDEX interactions_org ON interactions(org_id, updated_at);
CREATE TABLE messages (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),
    interaction_id TEXT NOT NULL REFERENCES interactions(id), created_at TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX messages_interaction ON messages(interaction_id, created_at);
CREATE TABLE opt_outs (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), number TEXT NOT NULL,
    created_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (org_id, number));
CREATE TABLE processed_events (
    event_id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, processed_at TEXT NOT NULL);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, gateway_id TEXT NOT NULL,
    kind TEXT NOT NULL, payload BLOB NOT NULL, message_id TEXT, created_at TEXT NOT NULL,
    acked_at TEXT, outcome TEXT);
CREATE INDEX outbox_pending ON outbox(gateway_id, seq) WHERE acked_at IS NULL;
"#;

/// Portal API: sibling names unique, contact lists, the opt-out change log (what gateways will
/// replay), idempotency keys, lookup indexes.
const V2: &str = r#"
ALTER TABLE orgs ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE orgs SET name = json_extract(doc, '$.name');
UPDATE orgs SET name = name || ' (' || substr(id, 1, 8) || ')',
                doc = json_set(doc, '$.name', name || ' (' || substr(id, 1, 8) || ')')
 WHERE EXISTS (SELECT 1 FROM orgs o2 WHERE o2.parent_id IS orgs.parent_id
               AND lower(o2.name) = lower(orgs.name)
               AND (o2.created_at < orgs.created_at OR (o2.created_at = orgs.created_at AND o2.id < orgs.id)));
CREATE UNIQUE INDEX orgs_sibling_name ON orgs(parent_id, name COLLATE NOCASE);
CREATE TABLE contact_lists (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), created_at TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE TABLE contact_list_members (
    list_id TEXT NOT NULL REFERENCES contact_lists(id), contact_id TEXT NOT NULL REFERENCES contacts(id),
    PRIMARY KEY (list_id, contact_id));
CREATE INDEX contact_list_members_contact ON contact_list_members(contact_id);
CREATE TABLE opt_out_changes (
    org_id TEXT NOT NULL, version INTEGER NOT NULL, number TEXT NOT NULL, added INTEGER NOT NULL,
    at TEXT NOT NULL, PRIMARY KEY (org_id, version));
INSERT INTO opt_out_changes (org_id, version, number, added, at)
    SELECT org_id, ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY created_at, id), number, 1, created_at
    FROM opt_outs;
CREATE TABLE idempotency_keys (
    org_id TEXT NOT NULL, key TEXT NOT NULL, operation TEXT NOT NULL, response TEXT NOT NULL,
    created_at TEXT NOT NULL, PRIMARY KEY (org_id, key));
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX queue_members_user ON queue_members(user_id);
CREATE INDEX interactions_channel ON interactions(channel_id, live);
"#;

pub(crate) fn version(conn: &Connection) -> Result<u32, StoreError> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
    .map_err(backend)
}

pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .map_err(backend)?;
    let found = version(conn)?;
    if found > LATEST_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: LATEST_VERSION,
        });
    }
    for (v, step) in MIGRATIONS {
        if *v <= found {
            continue;
        }
        let migration = |e: rusqlite::Error| StoreError::Migration {
            version: *v,
            detail: e.to_string(),
        };
        let tx = conn.transaction().map_err(migration)?;
        match step {
            Step::Sql(sql) => tx.execute_batch(sql).map_err(migration)?,
            Step::Code(f) => f(&tx).map_err(migration)?,
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![v, Utc::now()],
        )
        .map_err(migration)?;
        tx.commit().map_err(migration)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_from_a_newer_build_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        let mut conn = Connection::open(&path).unwrap();
        apply(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 'x')",
            [LATEST_VERSION + 1],
        )
        .unwrap();
        let err = apply(&mut conn).unwrap_err();
        assert!(
            matches!(err, StoreError::TooNew { found, .. } if found == LATEST_VERSION + 1),
            "{err}"
        );
        assert_eq!(version(&conn).unwrap(), LATEST_VERSION + 1);
    }
}
