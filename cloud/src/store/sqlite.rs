//! SQLite backend: one connection in WAL mode (synchronous=FULL: a committed event survives a
//! power cut, which at-least-once delivery relies on) behind a mutex; versioned migrations.
//!
//! Each table keeps the columns the hub looks things up by, plus `doc`, the record as JSON
//! (the model structs' serde form). A `Tx` holds the connection lock for its lifetime and runs
//! `BEGIN IMMEDIATE` … `COMMIT`; dropping it uncommitted rolls back.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Params, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{Store, StoreError, Tx};
use crate::authz::Scope;
use crate::model::*;

/// Migrations, applied in order; each runs once, recorded in `schema_migrations`.
const MIGRATIONS: &[(u32, &str)] = &[(
    1,
    r#"
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
"#,
)];

fn backend(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
        && msg.contains("UNIQUE")
    {
        return StoreError::Conflict(unique_rule(msg));
    }
    StoreError::Backend(e.to_string())
}

fn unique_rule(msg: &str) -> &'static str {
    for (needle, rule) in [
        ("users.login", "a user with this login"),
        ("gateways.mqtt_username", "a gateway with this name"),
        ("channels.sim_number", "a channel with this SIM number"),
        ("channels.gateway_id", "a channel on this gateway port"),
        ("contacts.org_id", "a contact with this number"),
        (
            "interactions.channel_id",
            "a live interaction for this channel and contact",
        ),
        ("outbox.id", "a command with this id"),
    ] {
        if msg.contains(needle) {
            return rule;
        }
    }
    "a record with this key"
}

fn to_doc<T: Serialize>(what: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

/// The default store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (or creates) the database file, enables WAL and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        Self::init(conn)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .map_err(backend)?;
        for (version, sql) in MIGRATIONS {
            let done: bool = conn
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = ?1)",
                    [version],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if done {
                continue;
            }
            let migration = |e: rusqlite::Error| StoreError::Migration {
                version: *version,
                detail: e.to_string(),
            };
            let tx = conn.transaction().map_err(migration)?;
            tx.execute_batch(sql).map_err(migration)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, Utc::now()],
            )
            .map_err(migration)?;
            tx.commit().map_err(migration)?;
        }
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The schema version after migrations.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(backend)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-transaction; that
        // transaction never committed (SQLite rolls it back on the next BEGIN failure path),
        // so the connection itself is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn begin(&self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let conn = self.lock();
        if !conn.is_autocommit() {
            // Left over from a panicked transaction.
            conn.execute_batch("ROLLBACK").map_err(backend)?;
        }
        conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
        Ok(Box::new(SqliteTx { conn, done: false }))
    }
}

struct SqliteTx<'a> {
    conn: MutexGuard<'a, Connection>,
    done: bool,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Best effort: a failed rollback leaves the transaction open, and the next
            // `begin` rolls it back before starting.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl SqliteTx<'_> {
    fn exec<P: Params>(&mut self, sql: &str, p: P) -> Result<usize, StoreError> {
        self.conn.execute(sql, p).map_err(backend)
    }

    fn one<T: DeserializeOwned, P: Params>(
        &mut self,
        what: &'static str,
        sql: &str,
        p: P,
    ) -> Result<Option<T>, StoreError> {
        let doc: Option<String> = self
            .conn
            .query_row(sql, p, |r| r.get(0))
            .optional()
            .map_err(backend)?;
        doc.map(|d| parse(what, &d)).transpose()
    }

    /// Every row of `table` whose organisation (column `org_column`) lies in `scope`, oldest
    /// first (ties by id).
    fn in_scope<T: DeserializeOwned>(
        &mut self,
        what: &'static str,
        table: &str,
        org_column: &str,
        scope: &Scope,
    ) -> Result<Vec<T>, StoreError> {
        self.many(
            what,
            &format!(
                "SELECT t.doc FROM {table} t JOIN orgs o ON o.id = t.{org_column} WHERE {IN_SCOPE} ORDER BY t.created_at, t.id"
            ),
            [scope.path_prefix()],
        )
    }

    fn many<T: DeserializeOwned, P: Params>(
        &mut self,
        what: &'static str,
        sql: &str,
        p: P,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        let docs = stmt
            .query_map(p, |r| r.get::<_, String>(0))
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        docs.iter().map(|d| parse(what, d)).collect()
    }
}

fn parse<T: DeserializeOwned>(what: &'static str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

fn status_str(s: InteractionStatus) -> &'static str {
    match s {
        InteractionStatus::Waiting => "waiting",
        InteractionStatus::Open => "open",
        InteractionStatus::Paused => "paused",
        InteractionStatus::Closed => "closed",
    }
}

const IN_SCOPE: &str = "substr(o.path, 1, length(?1)) = ?1";

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").map_err(backend)?;
        self.done = true;
        Ok(())
    }

    fn mark_processed(
        &mut self,
        event_id: Uuid,
        gateway_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.exec(
            "INSERT INTO processed_events (event_id, gateway_id, processed_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (event_id) DO NOTHING",
            params![event_id.to_string(), gateway_id.to_string(), at],
        )?;
        Ok(n == 1)
    }

    fn insert_org(&mut self, org: &Org) -> Result<(), StoreError> {
        let doc = to_doc("org", org)?;
        let kind = to_doc("org", &org.kind)?;
        self.exec(
            "INSERT INTO orgs (id, parent_id, kind, path, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                org.id.to_string(),
                org.parent_id.map(|p| p.to_string()),
                kind,
                org.path,
                org.created_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn org(&mut self, id: Uuid) -> Result<Option<Org>, StoreError> {
        self.one(
            "org",
            "SELECT doc FROM orgs WHERE id = ?1",
            [id.to_string()],
        )
    }

    fn orgs(&mut self, scope: &Scope, kind: Option<OrgKind>) -> Result<Vec<Org>, StoreError> {
        let kind = kind.map(|k| to_doc("org", &k)).transpose()?;
        self.many(
            "org",
            &format!(
                "SELECT o.doc FROM orgs o WHERE {IN_SCOPE} AND (?2 IS NULL OR o.kind = ?2) ORDER BY o.created_at, o.id"
            ),
            params![scope.path_prefix(), kind],
        )
    }

    fn platform(&mut self) -> Result<Option<Org>, StoreError> {
        self.one("org", "SELECT doc FROM orgs WHERE parent_id IS NULL", [])
    }

    fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
        let doc = to_doc("user", &StoredUser(user.clone()))?;
        self.exec(
            "INSERT INTO users (id, org_id, login, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                user.id.to_string(),
                user.org_id.to_string(),
                user.login,
                user.created_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn update_user(&mut self, user: &User) -> Result<(), StoreError> {
        let doc = to_doc("user", &StoredUser(user.clone()))?;
        self.exec(
            "UPDATE users SET login = ?2, doc = ?3 WHERE id = ?1",
            params![user.id.to_string(), user.login, doc],
        )?;
        Ok(())
    }

    fn user(&mut self, id: Uuid) -> Result<Option<User>, StoreError> {
        let u: Option<StoredUser> = self.one(
            "user",
            "SELECT doc FROM users WHERE id = ?1",
            [id.to_string()],
        )?;
        Ok(u.map(|u| u.0))
    }

    fn user_by_login(&mut self, login: &str) -> Result<Option<User>, StoreError> {
        let u: Option<StoredUser> =
            self.one("user", "SELECT doc FROM users WHERE login = ?1", [login])?;
        Ok(u.map(|u| u.0))
    }

    fn users(&mut self, scope: &Scope) -> Result<Vec<User>, StoreError> {
        let users: Vec<StoredUser> = self.in_scope("user", "users", "org_id", scope)?;
        Ok(users.into_iter().map(|u| u.0).collect())
    }

    fn insert_session(&mut self, token_hash: &str, session: &Session) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, session.user_id.to_string(), session.expires_at],
        )?;
        Ok(())
    }

    fn session(&mut self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row: Option<(String, DateTime<Utc>)> = self
            .conn
            .query_row(
                "SELECT user_id, expires_at FROM sessions WHERE token_hash = ?1",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend)?;
        row.map(|(u, expires_at)| {
            Ok(Session {
                user_id: parse_uuid("session", &u)?,
                expires_at,
            })
        })
        .transpose()
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        self.exec("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    fn delete_sessions_of(&mut self, user_id: Uuid) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM sessions WHERE user_id = ?1",
            [user_id.to_string()],
        )?;
        Ok(())
    }

    fn insert_api_key(&mut self, key: &ApiKey, key_hash: &str) -> Result<(), StoreError> {
        let doc = to_doc("api key", key)?;
        self.exec(
            "INSERT INTO api_keys (id, org_id, key_hash, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                key.id.to_string(),
                key.org_id.to_string(),
                key_hash,
                key.created_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn api_key_by_hash(&mut self, key_hash: &str) -> Result<Option<ApiKey>, StoreError> {
        self.one(
            "api key",
            "SELECT doc FROM api_keys WHERE key_hash = ?1",
            [key_hash],
        )
    }

    fn api_keys(&mut self, scope: &Scope) -> Result<Vec<ApiKey>, StoreError> {
        self.in_scope("api key", "api_keys", "org_id", scope)
    }

    fn insert_gateway(&mut self, gateway: &Gateway) -> Result<(), StoreError> {
        let doc = to_doc("gateway", &StoredGateway(gateway.clone()))?;
        self.exec(
            "INSERT INTO gateways (id, mqtt_username, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
            params![
                gateway.id.to_string(),
                gateway.mqtt_username,
                gateway.created_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn update_gateway(&mut self, gateway: &Gateway) -> Result<(), StoreError> {
        let doc = to_doc("gateway", &StoredGateway(gateway.clone()))?;
        self.exec(
            "UPDATE gateways SET doc = ?2 WHERE id = ?1",
            params![gateway.id.to_string(), doc],
        )?;
        Ok(())
    }

    fn gateway(&mut self, id: Uuid) -> Result<Option<Gateway>, StoreError> {
        let g: Option<StoredGateway> = self.one(
            "gateway",
            "SELECT doc FROM gateways WHERE id = ?1",
            [id.to_string()],
        )?;
        Ok(g.map(|g| g.0))
    }

    fn gateway_by_username(&mut self, username: &str) -> Result<Option<Gateway>, StoreError> {
        let g: Option<StoredGateway> = self.one(
            "gateway",
            "SELECT doc FROM gateways WHERE mqtt_username = ?1",
            [username],
        )?;
        Ok(g.map(|g| g.0))
    }

    fn gateways(&mut self) -> Result<Vec<Gateway>, StoreError> {
        let g: Vec<StoredGateway> = self.many(
            "gateway",
            "SELECT doc FROM gateways ORDER BY created_at, id",
            [],
        )?;
        Ok(g.into_iter().map(|g| g.0).collect())
    }

    fn insert_channel(&mut self, c: &Channel) -> Result<(), StoreError> {
        let doc = to_doc("channel", c)?;
        self.exec(
            "INSERT INTO channels (id, gateway_id, port, sim_number, holder_id, created_at, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                c.id.to_string(),
                c.gateway_id.to_string(),
                c.port,
                c.sim_number,
                c.holder_id.to_string(),
                c.created_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn update_channel(&mut self, c: &Channel) -> Result<(), StoreError> {
        let doc = to_doc("channel", c)?;
        self.exec(
            "UPDATE channels SET holder_id = ?2, doc = ?3 WHERE id = ?1",
            params![c.id.to_string(), c.holder_id.to_string(), doc],
        )?;
        Ok(())
    }

    fn channel(&mut self, id: Uuid) -> Result<Option<Channel>, StoreError> {
        self.one(
            "channel",
            "SELECT doc FROM channels WHERE id = ?1",
            [id.to_string()],
        )
    }

    fn channel_by_port(
        &mut self,
        gateway_id: Uuid,
        port: &str,
    ) -> Result<Option<Channel>, StoreError> {
        self.one(
            "channel",
            "SELECT doc FROM channels WHERE gateway_id = ?1 AND port = ?2",
            params![gateway_id.to_string(), port],
        )
    }

    fn channel_by_number(&mut self, sim_number: &str) -> Result<Option<Channel>, StoreError> {
        self.one(
            "channel",
            "SELECT doc FROM channels WHERE sim_number = ?1",
            [sim_number],
        )
    }

    fn channels(&mut self, scope: &Scope) -> Result<Vec<Channel>, StoreError> {
        self.in_scope("channel", "channels", "holder_id", scope)
    }

    fn insert_queue(&mut self, q: &Queue) -> Result<(), StoreError> {
        let doc = to_doc("queue", q)?;
        self.exec(
            "INSERT INTO queues (id, org_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
            params![q.id.to_string(), q.org_id.to_string(), q.created_at, doc],
        )?;
        self.write_members(q)
    }

    fn update_queue(&mut self, q: &Queue) -> Result<(), StoreError> {
        let doc = to_doc("queue", q)?;
        self.exec(
            "UPDATE queues SET doc = ?2 WHERE id = ?1",
            params![q.id.to_string(), doc],
        )?;
        self.write_members(q)
    }

    fn queue(&mut self, id: Uuid) -> Result<Option<Queue>, StoreError> {
        self.one(
            "queue",
            "SELECT doc FROM queues WHERE id = ?1",
            [id.to_string()],
        )
    }

    fn queues(&mut self, scope: &Scope) -> Result<Vec<Queue>, StoreError> {
        self.in_scope("queue", "queues", "org_id", scope)
    }

    fn queues_of_user(&mut self, user_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT queue_id FROM queue_members WHERE user_id = ?1")
            .map_err(backend)?;
        let ids = stmt
            .query_map([user_id.to_string()], |r| r.get::<_, String>(0))
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        ids.iter().map(|s| parse_uuid("queue member", s)).collect()
    }

    fn insert_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        let doc = to_doc("contact", c)?;
        self.exec(
            "INSERT INTO contacts (id, org_id, number, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                c.id.to_string(),
                c.org_id.to_string(),
                c.number,
                c.created_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn update_contact(&mut self, c: &Contact) -> Result<(), StoreError> {
        let doc = to_doc("contact", c)?;
        self.exec(
            "UPDATE contacts SET number = ?2, doc = ?3 WHERE id = ?1",
            params![c.id.to_string(), c.number, doc],
        )?;
        Ok(())
    }

    fn contact(&mut self, id: Uuid) -> Result<Option<Contact>, StoreError> {
        self.one(
            "contact",
            "SELECT doc FROM contacts WHERE id = ?1",
            [id.to_string()],
        )
    }

    fn contact_by_number(
        &mut self,
        org_id: Uuid,
        number: &str,
    ) -> Result<Option<Contact>, StoreError> {
        self.one(
            "contact",
            "SELECT doc FROM contacts WHERE org_id = ?1 AND number = ?2",
            params![org_id.to_string(), number],
        )
    }

    fn delete_contact(&mut self, id: Uuid) -> Result<(), StoreError> {
        self.exec("DELETE FROM contacts WHERE id = ?1", [id.to_string()])?;
        Ok(())
    }

    fn contacts(&mut self, scope: &Scope) -> Result<Vec<Contact>, StoreError> {
        self.in_scope("contact", "contacts", "org_id", scope)
    }

    fn insert_interaction(&mut self, i: &Interaction) -> Result<(), StoreError> {
        let doc = to_doc("interaction", i)?;
        self.exec(
            "INSERT INTO interactions (id, org_id, channel_id, contact_number, status, live, queue_id,
             assignee_id, updated_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                i.id.to_string(),
                i.org_id.to_string(),
                i.channel_id.to_string(),
                i.contact_number,
                status_str(i.status),
                i.status.is_live(),
                i.queue_id.map(|q| q.to_string()),
                i.assignee_id.map(|a| a.to_string()),
                i.updated_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn update_interaction(&mut self, i: &Interaction) -> Result<(), StoreError> {
        let doc = to_doc("interaction", i)?;
        self.exec(
            "UPDATE interactions SET status = ?2, live = ?3, queue_id = ?4, assignee_id = ?5,
             updated_at = ?6, doc = ?7 WHERE id = ?1",
            params![
                i.id.to_string(),
                status_str(i.status),
                i.status.is_live(),
                i.queue_id.map(|q| q.to_string()),
                i.assignee_id.map(|a| a.to_string()),
                i.updated_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn interaction(&mut self, id: Uuid) -> Result<Option<Interaction>, StoreError> {
        self.one(
            "interaction",
            "SELECT doc FROM interactions WHERE id = ?1",
            [id.to_string()],
        )
    }

    fn live_interaction(
        &mut self,
        channel_id: Uuid,
        contact_number: &str,
    ) -> Result<Option<Interaction>, StoreError> {
        self.one(
            "interaction",
            "SELECT doc FROM interactions WHERE channel_id = ?1 AND contact_number = ?2 AND live = 1",
            params![channel_id.to_string(), contact_number],
        )
    }

    fn live_interactions_of_channel(
        &mut self,
        channel_id: Uuid,
    ) -> Result<Vec<Interaction>, StoreError> {
        self.many(
            "interaction",
            "SELECT doc FROM interactions WHERE channel_id = ?1 AND live = 1 ORDER BY updated_at",
            [channel_id.to_string()],
        )
    }

    fn interactions(
        &mut self,
        scope: &Scope,
        status: Option<InteractionStatus>,
    ) -> Result<Vec<Interaction>, StoreError> {
        self.many(
            "interaction",
            &format!(
                "SELECT t.doc FROM interactions t JOIN orgs o ON o.id = t.org_id
                 WHERE {IN_SCOPE} AND (?2 IS NULL OR t.status = ?2)
                   AND (?3 IS NULL OR t.assignee_id = ?3 OR t.queue_id IN
                        (SELECT queue_id FROM queue_members WHERE user_id = ?3))
                 ORDER BY t.updated_at DESC, t.id"
            ),
            params![
                scope.path_prefix(),
                status.map(status_str),
                scope.personal_user().map(|u| u.to_string())
            ],
        )
    }

    fn insert_message(&mut self, m: &Message) -> Result<(), StoreError> {
        let doc = to_doc("message", m)?;
        self.exec(
            "INSERT INTO messages (id, org_id, interaction_id, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                m.id.to_string(),
                m.org_id.to_string(),
                m.interaction_id.to_string(),
                m.created_at,
                doc
            ],
        )?;
        Ok(())
    }

    fn update_message(&mut self, m: &Message) -> Result<(), StoreError> {
        let doc = to_doc("message", m)?;
        self.exec(
            "UPDATE messages SET doc = ?2 WHERE id = ?1",
            params![m.id.to_string(), doc],
        )?;
        Ok(())
    }

    fn message(&mut self, id: Uuid) -> Result<Option<Message>, StoreError> {
        self.one(
            "message",
            "SELECT doc FROM messages WHERE id = ?1",
            [id.to_string()],
        )
    }

    fn messages_of(&mut self, interaction_id: Uuid) -> Result<Vec<Message>, StoreError> {
        self.many(
            "message",
            "SELECT doc FROM messages WHERE interaction_id = ?1 ORDER BY created_at, id",
            [interaction_id.to_string()],
        )
    }

    fn insert_opt_out(&mut self, o: &OptOut) -> Result<bool, StoreError> {
        let doc = to_doc("opt-out", o)?;
        let n = self.exec(
            "INSERT INTO opt_outs (id, org_id, number, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org_id, number) DO NOTHING",
            params![
                o.id.to_string(),
                o.org_id.to_string(),
                o.number,
                o.created_at,
                doc
            ],
        )?;
        Ok(n == 1)
    }

    fn delete_opt_out(&mut self, org_id: Uuid, number: &str) -> Result<bool, StoreError> {
        let n = self.exec(
            "DELETE FROM opt_outs WHERE org_id = ?1 AND number = ?2",
            params![org_id.to_string(), number],
        )?;
        Ok(n == 1)
    }

    fn opt_out(&mut self, id: Uuid) -> Result<Option<OptOut>, StoreError> {
        self.one(
            "opt-out",
            "SELECT doc FROM opt_outs WHERE id = ?1",
            [id.to_string()],
        )
    }

    fn opt_outs(&mut self, scope: &Scope) -> Result<Vec<OptOut>, StoreError> {
        self.in_scope("opt-out", "opt_outs", "org_id", scope)
    }

    fn is_opted_out(&mut self, org_id: Uuid, number: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM opt_outs WHERE org_id = ?1 AND number = ?2)",
                params![org_id.to_string(), number],
                |r| r.get(0),
            )
            .map_err(backend)
    }

    fn enqueue_command(&mut self, e: &OutboxEntry) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO outbox (id, gateway_id, kind, payload, message_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                e.id.to_string(),
                e.gateway_id.to_string(),
                e.kind,
                e.payload,
                e.message_id.map(|m| m.to_string()),
                e.created_at
            ],
        )?;
        Ok(())
    }

    fn pending_commands(&mut self, gateway_id: Uuid) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, gateway_id, kind, payload, message_id, created_at FROM outbox
                 WHERE gateway_id = ?1 AND acked_at IS NULL ORDER BY seq",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([gateway_id.to_string()], outbox_row)
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        rows.into_iter().map(OutboxRow::into_entry).collect()
    }

    fn ack_command(
        &mut self,
        gateway_id: Uuid,
        command_id: Uuid,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, gateway_id, kind, payload, message_id, created_at FROM outbox
                 WHERE id = ?1 AND gateway_id = ?2 AND acked_at IS NULL",
                params![command_id.to_string(), gateway_id.to_string()],
                outbox_row,
            )
            .optional()
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        self.exec(
            "UPDATE outbox SET acked_at = ?2, outcome = ?3 WHERE id = ?1",
            params![command_id.to_string(), at, outcome],
        )?;
        row.into_entry().map(Some)
    }
}

impl SqliteTx<'_> {
    fn write_members(&mut self, q: &Queue) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM queue_members WHERE queue_id = ?1",
            [q.id.to_string()],
        )?;
        for m in &q.members {
            let role = match m.role {
                QueueRole::Agent => "agent",
                QueueRole::Manager => "manager",
            };
            self.exec(
                "INSERT INTO queue_members (queue_id, user_id, role) VALUES (?1, ?2, ?3)",
                params![q.id.to_string(), m.user_id.to_string(), role],
            )?;
        }
        Ok(())
    }
}

struct OutboxRow(
    String,
    String,
    String,
    Vec<u8>,
    Option<String>,
    DateTime<Utc>,
);

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

impl OutboxRow {
    fn into_entry(self) -> Result<OutboxEntry, StoreError> {
        Ok(OutboxEntry {
            id: parse_uuid("outbox", &self.0)?,
            gateway_id: parse_uuid("outbox", &self.1)?,
            kind: self.2,
            payload: self.3,
            message_id: self
                .4
                .as_deref()
                .map(|m| parse_uuid("outbox", m))
                .transpose()?,
            created_at: self.5,
        })
    }
}

fn parse_uuid(what: &'static str, s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

/// Users are stored with their password hash, which the API form never serialises.
#[derive(Serialize, serde::Deserialize)]
struct StoredUser(#[serde(with = "user_with_secret")] User);

/// Gateways are stored with their MQTT password hash.
#[derive(Serialize, serde::Deserialize)]
struct StoredGateway(#[serde(with = "gateway_with_secret")] Gateway);

mod user_with_secret {
    use super::*;
    #[derive(Serialize, serde::Deserialize)]
    struct Doc {
        #[serde(flatten)]
        user: User,
        password_hash: String,
    }
    pub fn serialize<S: serde::Serializer>(u: &User, s: S) -> Result<S::Ok, S::Error> {
        Doc {
            user: u.clone(),
            password_hash: u.password_hash.clone(),
        }
        .serialize(s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<User, D::Error> {
        let doc = <Doc as serde::Deserialize>::deserialize(d)?;
        Ok(User {
            password_hash: doc.password_hash,
            ..doc.user
        })
    }
}

mod gateway_with_secret {
    use super::*;
    #[derive(Serialize, serde::Deserialize)]
    struct Doc {
        #[serde(flatten)]
        gateway: Gateway,
        mqtt_password_hash: String,
    }
    pub fn serialize<S: serde::Serializer>(g: &Gateway, s: S) -> Result<S::Ok, S::Error> {
        Doc {
            gateway: g.clone(),
            mqtt_password_hash: g.mqtt_password_hash.clone(),
        }
        .serialize(s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Gateway, D::Error> {
        let doc = <Doc as serde::Deserialize>::deserialize(d)?;
        Ok(Gateway {
            mqtt_password_hash: doc.mqtt_password_hash,
            ..doc.gateway
        })
    }
}
