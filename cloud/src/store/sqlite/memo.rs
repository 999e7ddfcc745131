//! The writer's memo of rarely-changing records (gateways, channels, organisations): the
//! ingest path reads the same gateway, channel and tenant for every event, so the writer
//! connection keeps what those reads answered and answers them again without SQL.
//!
//! **A memo answer is exactly what the query would answer now.** An entry is keyed by its
//! query and every parameter (the scope's included), and dropped as soon as a table it read
//! may have changed:
//! - every row change of `orgs`, `gateways` or `channels` made on the writer connection, by
//!   any statement or trigger, bumps that table's counter in `temp.memo_epoch` (TEMP
//!   triggers, created on the writer connection only: no migration, nothing in the file); a
//!   lookup re-reads the counters whenever the connection changed rows since it last did
//!   (`total_changes`), and drops the entries that depend on a table whose counter moved;
//! - a member that rolls back, or a group whose commit fails, drops everything (what was
//!   read inside it may never have been committed);
//! - another connection's commit (another process on the same file) drops everything at the
//!   next group's `BEGIN` (`PRAGMA data_version`).
//!
//! Only the writer's members use it; pooled readers always run their SQL.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::{Args, backend};
use crate::store::StoreError;

/// Tables whose changes drop entries (a bit each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deps(u8);

impl Deps {
    pub(crate) const ORGS: Deps = Deps(1);
    pub(crate) const GATEWAYS: Deps = Deps(2);
    pub(crate) const CHANNELS: Deps = Deps(4);

    pub(crate) const fn and(self, other: Deps) -> Deps {
        Deps(self.0 | other.0)
    }
}

/// Entries at most (all dropped when full: a bound on memory, never on correctness).
const CAPACITY: usize = 16_384;

/// The TEMP table and triggers that count row changes per table.
pub(crate) const SCHEMA: &str = "
CREATE TEMP TABLE IF NOT EXISTS memo_epoch (orgs INTEGER NOT NULL, gateways INTEGER NOT NULL, channels INTEGER NOT NULL);
DELETE FROM temp.memo_epoch;
INSERT INTO temp.memo_epoch VALUES (0, 0, 0);
CREATE TEMP TRIGGER IF NOT EXISTS memo_orgs_insert AFTER INSERT ON main.orgs BEGIN UPDATE memo_epoch SET orgs = orgs + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_orgs_update AFTER UPDATE ON main.orgs BEGIN UPDATE memo_epoch SET orgs = orgs + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_orgs_delete AFTER DELETE ON main.orgs BEGIN UPDATE memo_epoch SET orgs = orgs + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_gateways_insert AFTER INSERT ON main.gateways BEGIN UPDATE memo_epoch SET gateways = gateways + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_gateways_update AFTER UPDATE ON main.gateways BEGIN UPDATE memo_epoch SET gateways = gateways + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_gateways_delete AFTER DELETE ON main.gateways BEGIN UPDATE memo_epoch SET gateways = gateways + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_channels_insert AFTER INSERT ON main.channels BEGIN UPDATE memo_epoch SET channels = channels + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_channels_update AFTER UPDATE ON main.channels BEGIN UPDATE memo_epoch SET channels = channels + 1; END;
CREATE TEMP TRIGGER IF NOT EXISTS memo_channels_delete AFTER DELETE ON main.channels BEGIN UPDATE memo_epoch SET channels = channels + 1; END;
";

type Entry = Arc<dyn Any + Send + Sync>;

/// The writer connection's memo.
#[derive(Default)]
pub(crate) struct Memo {
    /// Entries by the tables they depend on (bit set), then by key.
    entries: HashMap<u8, HashMap<String, Entry>>,
    len: usize,
    /// `total_changes()` when the counters were last read.
    changes_seen: Option<u64>,
    epochs: [i64; 3],
    data_version: Option<i64>,
    /// Lookups answered from the memo, and those that ran their SQL (tests, metrics).
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl Memo {
    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.len = 0;
        self.changes_seen = None;
    }

    /// At a group's `BEGIN`: drops everything when another connection committed since.
    pub(crate) fn begin_group(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let v: i64 = conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(backend)?;
        if self.data_version != Some(v) {
            self.clear();
            self.data_version = Some(v);
        }
        Ok(())
    }

    /// Brings the memo up to date with the connection's own changes.
    fn sync(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let changes = conn.total_changes();
        if self.changes_seen == Some(changes) {
            return Ok(());
        }
        let now: [i64; 3] = conn
            .prepare_cached("SELECT orgs, gateways, channels FROM temp.memo_epoch")
            .and_then(|mut s| s.query_row([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?])))
            .map_err(backend)?;
        let mut moved = 0u8;
        for (bit, (was, is)) in self.epochs.iter().zip(now).enumerate() {
            if *was != is {
                moved |= 1 << bit;
            }
        }
        if moved != 0 {
            let len = &mut self.len;
            self.entries.retain(|deps, map| {
                let keep = deps & moved == 0;
                if !keep {
                    *len -= map.len();
                }
                keep
            });
        }
        self.epochs = now;
        self.changes_seen = Some(changes);
        Ok(())
    }

    /// The answer kept for `key`, if still valid.
    pub(crate) fn get<T: Clone + Send + Sync + 'static>(
        &mut self,
        conn: &Connection,
        deps: Deps,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        self.sync(conn)?;
        let found = self
            .entries
            .get(&deps.0)
            .and_then(|m| m.get(key))
            .and_then(|e| e.downcast_ref::<T>())
            .cloned();
        if found.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        Ok(found)
    }

    /// Keeps `value` as the answer for `key` (read on `conn` just now).
    pub(crate) fn put<T: Send + Sync + 'static>(
        &mut self,
        conn: &Connection,
        deps: Deps,
        key: String,
        value: T,
    ) -> Result<(), StoreError> {
        // The read itself changed nothing, but a caller may have written in between.
        self.sync(conn)?;
        if self.len >= CAPACITY {
            self.entries.clear();
            self.len = 0;
        }
        if self
            .entries
            .entry(deps.0)
            .or_default()
            .insert(key, Arc::new(value))
            .is_none()
        {
            self.len += 1;
        }
        Ok(())
    }
}

/// The memo key of a query: its tag and every parameter's value.
pub(crate) fn key(tag: &'static str, args: &Args) -> String {
    use std::fmt::Write;
    let mut k = String::with_capacity(128);
    k.push_str(tag);
    for (name, v) in &args.0 {
        k.push('\u{1f}');
        k.push_str(name);
        k.push('=');
        match v {
            Value::Null => k.push('\u{0}'),
            Value::Integer(i) => {
                let _ = write!(k, "i{i}");
            }
            Value::Real(r) => {
                let _ = write!(k, "r{r}");
            }
            Value::Text(t) => {
                k.push('t');
                k.push_str(t);
            }
            Value::Blob(b) => {
                k.push('b');
                for byte in b {
                    let _ = write!(k, "{byte:02x}");
                }
            }
        }
    }
    k
}

#[cfg(test)]
#[path = "memo_tests.rs"]
mod tests;
