//! SQLite backend. WAL mode with `synchronous=FULL` (a committed event survives a power cut,
//! which at-least-once delivery relies on).
//!
//! **Reads never take the write lock:** one writer connection behind a mutex runs
//! `BEGIN IMMEDIATE` … `COMMIT`; a small pool of reader connections (`query_only`) runs
//! deferred `BEGIN` … snapshot reads, which WAL serves while a write is in progress.
//!
//! Each table keeps the columns the hub looks things up by, plus `doc`, the record as JSON
//! (the model structs' serde form). Every tenant-data query joins the owning organisation and
//! filters by the [`Scope`] ([`scope_sql`]). The file is created `0600` (it holds password and
//! key hashes); migrations are append-only and a database newer than the code is refused.

mod bulk;
mod campaigns_read;
mod campaigns_schema;
mod campaigns_write;
mod docs;
mod floor_read;
mod floor_reports;
mod floor_schema;
mod floor_write;
mod memo;
mod migrations;
mod read;
mod unrouted;
mod webhooks;
mod write;
mod writer;

use std::ops::DerefMut;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rusqlite::Connection;
use rusqlite::types::Value;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Cursor, Page, PageRequest, ReadTx, Store, StoreCounters, StoreError, WriteTx};
use crate::authz::Scope;

pub use migrations::LATEST_VERSION;
pub use writer::DEFAULT_GROUP_LIMIT;

/// Reader connections in the pool.
const READERS: usize = 4;

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 512;

/// Where read transactions run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reads {
    /// On a pool of [`READERS`] `query_only` connections (WAL snapshots): reads never wait for
    /// a write. The hub's way.
    #[default]
    Pool,
    /// On the writer connection, as a member of a write group (`BEGIN IMMEDIATE`), so every
    /// read queues behind the write lock and its fsync, and may see a group's writes before
    /// they are durable: the design before issue 9, kept only as the benchmarks' baseline
    /// (`cargo bench -p smsgate-cloud --bench api_reads`).
    ThroughWriter,
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
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
            "orgs.parent_id",
            "an organisation with this name under the same parent",
        ),
        (
            "interactions.channel_id",
            "a live interaction for this channel and contact",
        ),
        ("idempotency_keys", "a request with this Idempotency-Key"),
        ("outbox.id", "a command with this id"),
    ] {
        if msg.contains(needle) {
            return rule;
        }
    }
    "a record with this key"
}

/// Runs one statement through the connection's statement cache (prepared once per
/// connection, not per call).
pub(crate) fn run<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// Runs a statement without parameters or rows (`BEGIN`, `SAVEPOINT`, `COMMIT`, …) through
/// the statement cache.
pub(crate) fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(|_| ())
}

pub(crate) fn to_doc<T: Serialize>(what: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

pub(crate) fn parse<T: DeserializeOwned>(what: &'static str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

/// The default store.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    group: Arc<writer::Shared>,
    readers: Mutex<Vec<Connection>>,
    returned: Condvar,
    reads: Reads,
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(backend)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(backend)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(backend)?;
    // Savepoint journals (one per write transaction of a group) stay in memory and are
    // emptied at each release, instead of growing a temporary file for the whole group.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(backend)?;
    // Every statement the hub runs stays prepared (the default keeps 16).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

impl SqliteStore {
    /// Opens (or creates, mode 0600) the database file, enables WAL, applies pending
    /// migrations (refusing a database from a newer build) and opens the reader pool.
    /// Concurrent writes share commits in groups of up to [`DEFAULT_GROUP_LIMIT`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_group_limit(path, DEFAULT_GROUP_LIMIT)
    }

    /// [`SqliteStore::open`] with at most `limit` write transactions per commit (1: each
    /// commits alone, no group commit).
    pub fn open_with_group_limit(path: &Path, limit: usize) -> Result<Self, StoreError> {
        Self::open_with(path, limit, Reads::Pool)
    }

    /// [`SqliteStore::open_with_group_limit`] with reads on `reads`.
    pub fn open_with(path: &Path, limit: usize, reads: Reads) -> Result<Self, StoreError> {
        create_private(path)?;
        let mut writer = Connection::open(path).map_err(backend)?;
        configure(&writer)?;
        migrations::apply(&mut writer)?;
        writer.execute_batch(memo::SCHEMA).map_err(backend)?;
        let pooled = match reads {
            Reads::Pool => READERS,
            Reads::ThroughWriter => 0,
        };
        let mut readers = Vec::with_capacity(pooled);
        for _ in 0..pooled {
            let r = Connection::open(path).map_err(backend)?;
            configure(&r)?;
            r.pragma_update(None, "query_only", "ON").map_err(backend)?;
            readers.push(r);
        }
        Ok(Self {
            writer: Mutex::new(writer),
            group: writer::Shared::new(limit),
            readers: Mutex::new(readers),
            returned: Condvar::new(),
            reads,
        })
    }

    /// The schema version after migrations.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::version(&self.lock_writer())
    }

    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-transaction; that
        // transaction never committed (it is rolled back below before the next BEGIN).
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take_reader(&self) -> Pooled<'_> {
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = pool.pop() {
                return Pooled {
                    store: self,
                    conn: Some(conn),
                };
            }
            pool = self.returned.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Creates the database file readable by its owner only (it holds credential hashes).
fn create_private(path: &Path) -> Result<(), StoreError> {
    if path.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(path = %path.display(), "the hub database is readable by other users; chmod 600 it");
            }
        }
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Backend(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// A reader connection lent by the pool (returned on drop).
pub(crate) struct Pooled<'a> {
    store: &'a SqliteStore,
    conn: Option<Connection>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut pool = self.store.readers.lock().unwrap_or_else(|p| p.into_inner());
            pool.push(conn);
            self.store.returned.notify_one();
        }
    }
}

impl Store for SqliteStore {
    fn read(&self) -> Result<Box<dyn ReadTx + '_>, StoreError> {
        if self.reads == Reads::ThroughWriter {
            // Dropped without a commit: its savepoint is undone, the group's others stay.
            return Ok(Box::new(self.group.begin(&self.writer)?));
        }
        let conn = self.take_reader();
        if !conn.is_autocommit() {
            control(&conn, "ROLLBACK").map_err(backend)?;
        }
        control(&conn, "BEGIN").map_err(backend)?;
        Ok(Box::new(SqliteTx {
            conn,
            done: false,
            member: None,
        }))
    }

    fn write(&self) -> Result<Box<dyn WriteTx + '_>, StoreError> {
        Ok(Box::new(self.group.begin(&self.writer)?))
    }

    fn counters(&self) -> StoreCounters {
        self.group.counters()
    }
}

/// One transaction over a connection: a pooled reader's snapshot, or a member of the
/// writer's current group ([`writer`]).
pub(crate) struct SqliteTx<C: DerefMut<Target = Connection>> {
    pub(crate) conn: C,
    pub(crate) done: bool,
    /// The write transaction's group (`None`: a read).
    pub(crate) member: Option<writer::Member>,
}

impl<C: DerefMut<Target = Connection>> Drop for SqliteTx<C> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        match self.member.take() {
            // Undoes this write's savepoint only (the group's others stay).
            Some(member) => member.abandon(&mut self.conn),
            // Ends a read snapshot. A failure leaves the transaction open, and the next
            // `read` rolls it back before starting.
            None => {
                let _ = control(&self.conn, "ROLLBACK");
            }
        }
    }
}

/// Positional-free query parameters, bound by name where the SQL uses them.
#[derive(Default)]
pub(crate) struct Args(Vec<(&'static str, Value)>);

impl Args {
    pub(crate) fn with(mut self, name: &'static str, v: impl Into<Value>) -> Self {
        self.0.push((name, v.into()));
        self
    }
    pub(crate) fn opt<T: Into<Value>>(self, name: &'static str, v: Option<T>) -> Self {
        self.with(name, v.map_or(Value::Null, Into::into))
    }
}

/// The scope's parameters: `:path` (prefix of the owning organisation's path), `:me` (personal
/// scopes: the user), `:gw` (gateway scopes: the gateway), `:root` (platform records).
pub(crate) fn scope_args(scope: &Scope) -> Args {
    Args::default()
        .with("path", scope.path_prefix().to_owned())
        .opt("me", scope.personal_user().map(|u| u.to_string()))
        .opt("gw", scope.gateway_id().map(|g| g.to_string()))
        .with("root", i64::from(scope.covers_platform()))
}

/// SQL conditions of a scope over table alias `t` joined with its organisation `o`.
pub(crate) mod scope_sql {
    /// The owning organisation lies in the scope's subtree.
    pub const SUBTREE: &str = "substr(o.path, 1, length(:path)) = :path";
    /// Org-owned data other than conversations: not reachable from a gateway scope.
    pub const NOT_GATEWAY: &str = ":gw IS NULL";
    /// Conversations (`t` = interactions): personal scopes see theirs only; gateway scopes
    /// the ones on their channels.
    pub const CONVERSATION: &str = "(:me IS NULL OR t.assignee_id = :me OR t.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = :me))
         AND (:gw IS NULL OR t.channel_id IN (SELECT id FROM channels WHERE gateway_id = :gw))";
}

/// How a list is ordered (and so how its cursor compares).
#[derive(Clone, Copy)]
pub(crate) enum Order {
    /// `t.created_at`, then `t.id`, ascending.
    Created,
    /// `t.updated_at`, then `t.id`, descending (most recent first).
    UpdatedDesc,
    /// `t.created_at`, then `t.id`, descending (newest first).
    CreatedDesc,
}

impl<C: DerefMut<Target = Connection>> SqliteTx<C> {
    /// `fetch`'s answer, from the writer's memo when it holds one for the same query and
    /// arguments that is still valid ([`memo`]); pooled reads always fetch.
    pub(crate) fn memo<T: Clone + Send + Sync + 'static>(
        &mut self,
        deps: memo::Deps,
        tag: &'static str,
        args: Args,
        fetch: impl FnOnce(&mut Self, Args) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(shared) = self.member.as_ref().map(writer::Member::shared) else {
            return fetch(self, args);
        };
        let key = memo::key(tag, &args);
        let mut memo = shared.memo();
        if let Some(v) = memo.get::<T>(&self.conn, deps, &key)? {
            return Ok(v);
        }
        let v = fetch(self, args)?;
        memo.put(&self.conn, deps, key, v.clone())?;
        Ok(v)
    }

    pub(crate) fn exec(&mut self, sql: &str, args: Args) -> Result<usize, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        bind(&mut stmt, &args)?;
        stmt.raw_execute().map_err(backend)
    }

    pub(crate) fn scalar<T: rusqlite::types::FromSql>(
        &mut self,
        sql: &str,
        args: Args,
    ) -> Result<Option<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        match rows.next().map_err(backend)? {
            Some(row) => Ok(Some(row.get(0).map_err(backend)?)),
            None => Ok(None),
        }
    }

    pub(crate) fn column<T: rusqlite::types::FromSql>(
        &mut self,
        sql: &str,
        args: Args,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            out.push(row.get(0).map_err(backend)?);
        }
        Ok(out)
    }

    pub(crate) fn one<T: DeserializeOwned>(
        &mut self,
        what: &'static str,
        sql: &str,
        args: Args,
    ) -> Result<Option<T>, StoreError> {
        let doc: Option<String> = self.scalar(sql, args)?;
        doc.map(|d| parse(what, &d)).transpose()
    }

    pub(crate) fn many<T: DeserializeOwned>(
        &mut self,
        what: &'static str,
        sql: &str,
        args: Args,
    ) -> Result<Vec<T>, StoreError> {
        let docs: Vec<String> = self.column(sql, args)?;
        docs.iter().map(|d| parse(what, d)).collect()
    }

    /// One page of `SELECT t.doc FROM … WHERE …` (`select_where` ends with its conditions;
    /// this adds the cursor condition, the order and the limit).
    pub(crate) fn page<T: DeserializeOwned>(
        &mut self,
        what: &'static str,
        select_where: &str,
        args: Args,
        order: Order,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let (col, cmp, dir) = match order {
            Order::Created => ("t.created_at", ">", "ASC"),
            Order::UpdatedDesc => ("t.updated_at", "<", "DESC"),
            Order::CreatedDesc => ("t.created_at", "<", "DESC"),
        };
        let mut sql =
            select_where.replacen("SELECT t.doc", &format!("SELECT t.doc, {col}, t.id"), 1);
        let mut args = args;
        if let Some(c) = &page.after {
            sql.push_str(&format!(" AND ({col}, t.id) {cmp} (:ck, :cid)"));
            args = args.with("ck", c.key.clone()).with("cid", c.id.clone());
        }
        let limit = page.limit.clamp(1, super::MAX_PAGE);
        sql.push_str(&format!(
            " ORDER BY {col} {dir}, t.id {dir} LIMIT {}",
            limit + 1
        ));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut items = Vec::new();
        let mut last = None;
        let mut more = false;
        while let Some(row) = rows.next().map_err(backend)? {
            if items.len() == limit {
                more = true;
                break;
            }
            let doc: String = row.get(0).map_err(backend)?;
            let key: String = row.get(1).map_err(backend)?;
            let id: String = row.get(2).map_err(backend)?;
            items.push(parse(what, &doc)?);
            last = Some(Cursor { key, id });
        }
        Ok(Page {
            items,
            next: if more { last } else { None },
        })
    }
}

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &Args) -> Result<(), StoreError> {
    // `:name`, built in one buffer for all the arguments (this runs for every statement).
    let mut param = String::with_capacity(32);
    for (name, value) in &args.0 {
        param.clear();
        param.push(':');
        param.push_str(name);
        if let Some(i) = stmt.parameter_index(&param).map_err(backend)? {
            stmt.raw_bind_parameter(i, value).map_err(backend)?;
        }
    }
    Ok(())
}

/// `%text%` for a case-insensitive `LIKE` (wildcards in the input are taken literally).
pub(crate) fn like(q: &str) -> String {
    let escaped = q
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) fn parse_uuid(what: &'static str, s: &str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::parse_str(s).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
