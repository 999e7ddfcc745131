//! The events outbox table: what the cloud link reads and acknowledges. Events are written
//! by the spool's own transactions (see [`super::events`]); this module reads them in id
//! order and removes acknowledged prefixes.

use super::ExecCached;
use super::SpoolError;
use super::store::{SpoolDb, from_ms};
use super::types::OutboxEvent;
use rusqlite::OptionalExtension;

/// Passed events are deleted once this many have gathered (or with the next acknowledgement):
/// a box whose own traffic the hub never hears of pays one durable write per this many events
/// instead of one per event.
pub const PASS_BATCH: i64 = 256;

impl SpoolDb {
    /// The id of the newest outbox event not yet acknowledged, if any (one read of the rowid
    /// index's last entry).
    pub fn newest_event_id(&self) -> Result<Option<i64>, SpoolError> {
        Ok(self
            .conn
            .prepare_cached("SELECT max(id) FROM events")?
            .query_row([], |r| r.get(0))?)
    }

    /// The oldest `limit` unacknowledged outbox events (passed ones count as acknowledged).
    pub fn peek_events(&mut self, limit: u32) -> Result<Vec<OutboxEvent>, SpoolError> {
        self.peek_events_after(self.events_passed, limit)
    }

    /// The oldest `limit` unacknowledged outbox events with an id above `after`: a reader
    /// with events in flight starts after them (a range read of the rowid index) instead of
    /// reading them again.
    pub fn peek_events_after(
        &mut self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, SpoolError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, kind, payload, created_at FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = st
            .query_map(rusqlite::params![after, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, kind, payload, at)| {
                Ok(OutboxEvent {
                    id,
                    event: super::events::decode(id, &kind, &payload)?,
                    created_at: from_ms(at),
                })
            })
            .collect()
    }

    /// Removes every event with id ≤ `up_to`; returns how many. Ids never repeat (AUTOINCREMENT).
    pub fn ack_events(&mut self, up_to: i64) -> Result<usize, SpoolError> {
        // Passed events below a later acknowledgement go with it.
        let up_to = up_to.max(self.events_passed);
        let n = self
            .conn
            .exec_cached("DELETE FROM events WHERE id <= ?1", [up_to])?;
        self.events_deleted = self.events_deleted.max(up_to);
        Ok(n)
    }

    /// Every pending event up to `up_to` means nothing to the reader (the cloud link found none
    /// of them is for the hub): readers start after them from now on ([`SpoolDb::events_passed`])
    /// and the backlog no longer counts them. They are deleted with the next acknowledgement or
    /// once [`PASS_BATCH`] have gathered; after a restart they are read (and passed) once more.
    pub fn pass_events(&mut self, up_to: i64) -> Result<(), SpoolError> {
        self.events_passed = self.events_passed.max(up_to);
        if self.events_passed.saturating_sub(self.events_deleted) >= PASS_BATCH {
            self.ack_events(self.events_passed)?;
        }
        Ok(())
    }

    /// The oldest pending event not passed, if any.
    pub fn oldest_unpassed_event_id(&self) -> Result<Option<i64>, SpoolError> {
        Ok(self
            .conn
            .prepare_cached("SELECT min(id) FROM events WHERE id > ?1")?
            .query_row([self.events_passed], |r| r.get(0))?)
    }

    /// The last event passed (see [`SpoolDb::pass_events`]); `i64::MIN` when none.
    pub fn events_passed(&self) -> i64 {
        self.events_passed
    }

    /// The idempotency key of message `id` (`None`: none, or no such message): one indexed
    /// read, so the outbox can pass over messages the hub never sent without loading them.
    pub fn idempotency_key(&self, id: i64) -> Result<Option<String>, SpoolError> {
        Ok(self
            .conn
            .prepare_cached("SELECT idempotency_key FROM messages WHERE id = ?1")?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }
}
