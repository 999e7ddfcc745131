//! The single writer connection with group commit ([`crate::store::group`]): every
//! [`Store::write`](crate::store::Store::write) is a member of a group; its work runs inside
//! `SAVEPOINT member`, groups run inside one `BEGIN IMMEDIATE` … `COMMIT`, and
//! [`WriteTx::commit`](crate::store::WriteTx::commit) returns only after the `COMMIT` that holds
//! the member's work is on disk (`synchronous=FULL`). A member that rolls back undoes its own
//! savepoint only; a commit that fails is an error for every member of its group.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rusqlite::Connection;

use super::memo::Memo;
use super::{SqliteTx, backend, control};
use crate::store::group::{After, GroupCommit, GroupId, Start};
use crate::store::{StoreCounters, StoreError};

/// Members per commit unless configured: large enough that one fsync serves a burst of
/// link events and API writes, small enough that one commit stays short.
pub const DEFAULT_GROUP_LIMIT: usize = 256;

#[derive(Default)]
struct Counters {
    transactions: AtomicU64,
    applied: AtomicU64,
    commits: AtomicU64,
}

/// The group state shared by the writer's members.
pub(crate) struct Shared {
    state: Mutex<GroupCommit>,
    told: Condvar,
    counters: Counters,
    /// Answers of rarely-changing reads on the writer connection (used by its holder only).
    memo: Mutex<Memo>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means a holder panicked; its member's drop rolled its savepoint back.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(GroupCommit::new(limit)),
            told: Condvar::new(),
            counters: Counters::default(),
            memo: Mutex::new(Memo::default()),
        })
    }

    pub(crate) fn counters(&self) -> StoreCounters {
        StoreCounters {
            transactions: self.counters.transactions.load(Ordering::Relaxed),
            applied: self.counters.applied.load(Ordering::Relaxed),
            commits: self.counters.commits.load(Ordering::Relaxed),
        }
    }

    /// The writer's memo ([`super::memo`]).
    pub(crate) fn memo(&self) -> MutexGuard<'_, Memo> {
        lock(&self.memo)
    }

    /// The memo's hits and misses so far (tests).
    #[cfg(test)]
    pub(crate) fn memo_counts(&self) -> (u64, u64) {
        let m = self.memo();
        (m.hits, m.misses)
    }

    /// Begins a member: queues for the connection, then begins or joins the open group.
    pub(crate) fn begin<'a>(
        self: &Arc<Self>,
        writer: &'a Mutex<Connection>,
    ) -> Result<SqliteTx<MutexGuard<'a, Connection>>, StoreError> {
        lock(&self.state).arrive();
        let mut conn = lock(writer);
        let start = lock(&self.state).acquire();
        let group = match start {
            Start::Begin(id) => {
                if !conn.is_autocommit() {
                    // Left over from a failed rollback.
                    let _ = control(&conn, "ROLLBACK");
                }
                if let Err(e) = control(&conn, "BEGIN IMMEDIATE") {
                    lock(&self.state).begin_failed();
                    return Err(backend(e));
                }
                // Another connection may have committed since the last group.
                if let Err(e) = self.memo().begin_group(&conn) {
                    let _ = control(&conn, "ROLLBACK");
                    lock(&self.state).begin_failed();
                    return Err(e);
                }
                id
            }
            Start::Join(id) => id,
        };
        if let Err(e) = control(&conn, "SAVEPOINT member") {
            let after = lock(&self.state).abandoned();
            self.settle(&mut conn, after);
            return Err(backend(e));
        }
        self.counters.transactions.fetch_add(1, Ordering::Relaxed);
        let changes_at_begin = conn.total_changes();
        Ok(SqliteTx {
            conn,
            done: false,
            member: Some(Member {
                shared: self.clone(),
                group,
                changes_at_begin,
            }),
        })
    }

    /// Does what the group rule says once the holder is done; the commit's result for
    /// [`After::Commit`].
    fn settle(&self, conn: &mut Connection, after: After) -> Option<Result<(), StoreError>> {
        match after {
            After::Commit(id) => {
                let result = control(conn, "COMMIT");
                if result.is_err() && !conn.is_autocommit() {
                    let _ = control(conn, "ROLLBACK");
                }
                if result.is_ok() {
                    self.counters.commits.fetch_add(1, Ordering::Relaxed);
                } else {
                    // What the group's members read may never have been committed.
                    self.memo().clear();
                }
                let told = result.as_ref().map(|_| ()).map_err(|e| e.to_string());
                lock(&self.state).finished(id, told);
                self.told.notify_all();
                Some(result.map_err(backend))
            }
            After::Close => {
                if !conn.is_autocommit() {
                    let _ = control(conn, "ROLLBACK");
                }
                None
            }
            After::Leave | After::HandOff(_) => None,
        }
    }

    /// The database ended the group's transaction on its own (an I/O error, a full disk):
    /// every member's work is gone.
    fn lost(&self, id: GroupId, why: String) {
        self.memo().clear();
        lock(&self.state).finished(id, Err(why));
        self.told.notify_all();
    }

    fn wait(&self, id: GroupId) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        loop {
            if let Some(outcome) = state.outcome(id) {
                return outcome.map_err(StoreError::Backend);
            }
            state = self.told.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// A write transaction's place in its group.
pub(crate) struct Member {
    shared: Arc<Shared>,
    group: GroupId,
    /// The connection's `total_changes()` when the member began.
    changes_at_begin: u64,
}

impl Member {
    pub(crate) fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Rolls back this member's savepoint (only its own work) and gives the connection up.
    pub(crate) fn abandon(self, conn: &mut Connection) {
        // What it read after its own writes is undone with them (a member that wrote
        // nothing undoes nothing).
        if conn.total_changes() != self.changes_at_begin {
            self.shared.memo().clear();
        }
        let undone =
            control(conn, "ROLLBACK TO member").and_then(|()| control(conn, "RELEASE member"));
        if conn.is_autocommit() {
            let why = match undone {
                Err(e) => e.to_string(),
                Ok(()) => "the group's transaction ended".to_owned(),
            };
            self.shared.lost(self.group, why);
            return;
        }
        if let Err(e) = undone {
            // The savepoint cannot be undone alone: the whole group goes.
            let _ = control(conn, "ROLLBACK");
            self.shared.lost(self.group, e.to_string());
            return;
        }
        let after = lock(&self.shared.state).abandoned();
        self.shared.settle(conn, after);
    }
}

/// [`WriteTx::commit`](crate::store::WriteTx::commit) of a member: releases its savepoint into
/// the group, then commits the group or hands the connection to the next queued member and
/// waits for the group's commit.
pub(crate) fn commit(mut tx: Box<SqliteTx<MutexGuard<'_, Connection>>>) -> Result<(), StoreError> {
    let Some(member) = tx.member.take() else {
        control(&tx.conn, "COMMIT").map_err(backend)?;
        tx.done = true;
        return Ok(());
    };
    if let Err(e) = control(&tx.conn, "RELEASE member") {
        tx.done = true;
        member.abandon(&mut tx.conn);
        return Err(backend(e));
    }
    tx.done = true;
    member
        .shared
        .counters
        .applied
        .fetch_add(1, Ordering::Relaxed);
    let after = lock(&member.shared.state).released();
    match after {
        After::HandOff(id) => {
            // The connection goes to the next member; the answer waits for the commit.
            drop(tx);
            member.shared.wait(id)
        }
        other => member.shared.settle(&mut tx.conn, other).unwrap_or(Ok(())),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::SqliteStore;
    use crate::authz::authenticating;
    use crate::model::{Org, OrgKind};
    use crate::store::Store;

    fn org(parent: Option<&Org>, name: &str) -> Org {
        let id = uuid::Uuid::now_v7();
        Org {
            id,
            kind: if parent.is_some() {
                OrgKind::Tenant
            } else {
                OrgKind::Platform
            },
            name: name.into(),
            parent_id: parent.map(|p| p.id),
            path: format!("{}{id}/", parent.map_or("/", |p| p.path.as_str())),
            country: None,
            org_type: None,
            created_at: chrono::Utc::now(),
        }
    }

    fn store_with_platform(limit: usize) -> (tempfile::TempDir, SqliteStore, Org) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_with_group_limit(&dir.path().join("hub.db"), limit).unwrap();
        let p = org(None, "platform");
        let mut tx = store.write().unwrap();
        tx.insert_org(&authenticating(), &p).unwrap();
        tx.commit().unwrap();
        (dir, store, p)
    }

    /// Waits until `n` writers queue for the connection.
    fn until_queued(store: &SqliteStore, n: usize) {
        for _ in 0..2000 {
            if super::lock(&store.group.state).queued() >= n {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("{n} writers never queued");
    }

    #[test]
    fn concurrent_writes_share_commits_and_each_is_readable_once_its_commit_returns() {
        let (_dir, store, p) = store_with_platform(super::DEFAULT_GROUP_LIMIT);
        let before = store.counters();
        std::thread::scope(|s| {
            for t in 0..16 {
                let (store, p) = (&store, &p);
                s.spawn(move || {
                    for i in 0..25 {
                        let o = org(Some(p), &format!("t{t}-{i}"));
                        let mut tx = store.write().unwrap();
                        tx.insert_org(&authenticating(), &o).unwrap();
                        tx.commit().unwrap();
                        // Durable and visible to readers as soon as commit returned.
                        let mut r = store.read().unwrap();
                        assert_eq!(r.org(&authenticating(), o.id).unwrap(), Some(o));
                    }
                });
            }
        });
        let after = store.counters();
        assert_eq!(after.transactions - before.transactions, 400);
        assert_eq!(after.applied - before.applied, 400);
        assert!(
            after.commits - before.commits < 400,
            "16 concurrent writers shared no commit: {after:?}"
        );
    }

    #[test]
    fn a_write_rolled_back_inside_a_group_undoes_only_its_own_work() {
        let (_dir, store, p) = store_with_platform(super::DEFAULT_GROUP_LIMIT);
        let (kept, undone) = (org(Some(&p), "kept"), org(Some(&p), "undone"));
        let before = store.counters();
        let mut first = store.write().unwrap();
        first.insert_org(&authenticating(), &kept).unwrap();
        std::thread::scope(|s| {
            let second = s.spawn(|| {
                let mut tx = store.write().unwrap();
                tx.insert_org(&authenticating(), &undone).unwrap();
                // Sees the first member's work, which is not committed yet.
                assert!(tx.org(&authenticating(), kept.id).unwrap().is_some());
                drop(tx);
            });
            until_queued(&store, 1);
            // The second writer is queued: the first hands off and is answered by the
            // commit the second one's rollback makes.
            first.commit().unwrap();
            second.join().unwrap();
        });
        let mut r = store.read().unwrap();
        assert!(r.org(&authenticating(), kept.id).unwrap().is_some());
        assert!(r.org(&authenticating(), undone.id).unwrap().is_none());
        let after = store.counters();
        assert_eq!(after.transactions - before.transactions, 2);
        assert_eq!(
            after.commits - before.commits,
            1,
            "one commit for the group"
        );
    }

    #[test]
    fn a_failing_write_in_a_group_leaves_the_others_committed() {
        let (_dir, store, p) = store_with_platform(super::DEFAULT_GROUP_LIMIT);
        let (a, b) = (org(Some(&p), "a"), org(Some(&p), "b"));
        let mut first = store.write().unwrap();
        first.insert_org(&authenticating(), &a).unwrap();
        std::thread::scope(|s| {
            let second = s.spawn(|| {
                let mut tx = store.write().unwrap();
                tx.insert_org(&authenticating(), &b).unwrap();
                // The same id again: a constraint error, and the caller gives up.
                assert!(tx.insert_org(&authenticating(), &a).is_err());
            });
            until_queued(&store, 1);
            first.commit().unwrap();
            second.join().unwrap();
        });
        let mut r = store.read().unwrap();
        assert!(r.org(&authenticating(), a.id).unwrap().is_some());
        assert!(r.org(&authenticating(), b.id).unwrap().is_none());
    }

    #[test]
    fn a_group_limit_of_one_commits_every_write_alone() {
        let (_dir, store, p) = store_with_platform(1);
        let before = store.counters();
        std::thread::scope(|s| {
            for t in 0..4 {
                let (store, p) = (&store, &p);
                s.spawn(move || {
                    for i in 0..10 {
                        let mut tx = store.write().unwrap();
                        tx.insert_org(&authenticating(), &org(Some(p), &format!("{t}-{i}")))
                            .unwrap();
                        tx.commit().unwrap();
                    }
                });
            }
        });
        let after = store.counters();
        assert_eq!(after.commits - before.commits, 40);
    }

    #[test]
    fn an_event_is_processed_once_also_when_two_copies_land_in_one_group() {
        let (_dir, store, _) = store_with_platform(super::DEFAULT_GROUP_LIMIT);
        let (event, gw) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let mut first = store.write().unwrap();
        assert!(first.mark_processed(event, gw, chrono::Utc::now()).unwrap());
        let again = std::thread::scope(|s| {
            let second = s.spawn(|| {
                let mut tx = store.write().unwrap();
                let fresh = tx.mark_processed(event, gw, chrono::Utc::now()).unwrap();
                tx.commit().unwrap();
                fresh
            });
            until_queued(&store, 1);
            first.commit().unwrap();
            second.join().unwrap()
        });
        assert!(!again, "the copy in the same group is a duplicate");
    }
}
