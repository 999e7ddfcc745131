//! The spool's read side: a second connection, `query_only`, on its own thread.
//!
//! WAL lets a reader work beside the writer without waiting for it: a read sees the last commit
//! before it began. `/health` and `/metrics` read here, so they answer while the spool thread
//! is busy with a long write (a 200,000-line bulk import is one transaction). Nothing here can
//! change the spool (`PRAGMA query_only`).

use super::SpoolError;
use super::lifecycle::MessageState;
use super::store::state_of;
use rusqlite::Connection;
use std::path::Path;

/// Read-only access to the spool (the connection of the read thread).
pub struct ReadDb {
    conn: Connection,
}

impl ReadDb {
    /// Opens a `query_only` connection to the spool at `path` (after the writer created and
    /// migrated it).
    pub fn open(path: &Path) -> Result<Self, SpoolError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(super::STATEMENT_CACHE);
        Ok(Self { conn })
    }

    /// A read that costs the same whatever the spool holds (`/health`): the schema version
    /// from the file header.
    pub fn ping(&self) -> Result<i64, SpoolError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Queued messages per group.
    pub fn queue_depth(&self) -> Result<Vec<(String, u64)>, SpoolError> {
        queue_depth(&self.conn)
    }

    /// Messages per state.
    pub fn state_counts(&self) -> Result<Vec<(MessageState, u64)>, SpoolError> {
        state_counts(&self.conn)
    }
}

/// Queued messages per group (both connections share the query).
pub(super) fn queue_depth(conn: &Connection) -> Result<Vec<(String, u64)>, SpoolError> {
    let mut st = conn.prepare_cached(
        "SELECT grp, COUNT(*) FROM messages WHERE state = 'queued' GROUP BY grp ORDER BY grp",
    )?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Messages per state (both connections share the query).
pub(super) fn state_counts(conn: &Connection) -> Result<Vec<(MessageState, u64)>, SpoolError> {
    let mut st =
        conn.prepare_cached("SELECT state, COUNT(*) FROM messages GROUP BY state ORDER BY state")?;
    let rows: Vec<(String, u64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(s, n)| Ok((state_of(&s)?, n)))
        .collect()
}
