//! The writer's memo answers what the database holds now: after an update by any path, a
//! rollback, a failed write, or another connection's commit.

use super::super::SqliteStore;
use crate::authz::authenticating;
use crate::model::{Org, OrgKind};
use crate::store::{Store, WriteTx};

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

fn store_with(o: &Org) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let mut tx = store.write().unwrap();
    tx.insert_org(&authenticating(), o).unwrap();
    tx.commit().unwrap();
    (dir, store)
}

/// The organisation's name as the writer reads it, in a transaction of its own.
fn name_on_writer(store: &SqliteStore, id: uuid::Uuid) -> Option<String> {
    let mut tx = store.write().unwrap();
    let name = tx.org(&authenticating(), id).unwrap().map(|o| o.name);
    tx.commit().unwrap();
    name
}

#[test]
fn a_lookup_repeated_on_the_writer_is_answered_from_the_memo() {
    let p = org(None, "platform");
    let (_dir, store) = store_with(&p);
    let (hits, _) = store.group.memo_counts();
    for _ in 0..3 {
        assert_eq!(name_on_writer(&store, p.id).as_deref(), Some("platform"));
    }
    let (after, _) = store.group.memo_counts();
    assert!(after >= hits + 2, "no lookup was answered from the memo");
}

#[test]
fn an_update_is_seen_by_the_next_lookup_in_the_same_and_the_next_transaction() {
    let p = org(None, "before");
    let (_dir, store) = store_with(&p);
    assert_eq!(name_on_writer(&store, p.id).as_deref(), Some("before"));
    let mut tx = store.write().unwrap();
    let renamed = Org {
        name: "after".into(),
        ..p.clone()
    };
    tx.update_org(&authenticating(), &renamed).unwrap();
    assert_eq!(
        tx.org(&authenticating(), p.id).unwrap().map(|o| o.name),
        Some("after".into())
    );
    tx.commit().unwrap();
    assert_eq!(name_on_writer(&store, p.id).as_deref(), Some("after"));
}

#[test]
fn a_rolled_back_update_is_not_answered_afterwards() {
    let p = org(None, "kept");
    let (_dir, store) = store_with(&p);
    let mut tx = store.write().unwrap();
    let renamed = Org {
        name: "undone".into(),
        ..p.clone()
    };
    tx.update_org(&authenticating(), &renamed).unwrap();
    // Read (and so memoised) inside the transaction that is then rolled back.
    assert_eq!(
        tx.org(&authenticating(), p.id).unwrap().map(|o| o.name),
        Some("undone".into())
    );
    drop(tx);
    assert_eq!(name_on_writer(&store, p.id).as_deref(), Some("kept"));
}

#[test]
fn a_change_made_by_plain_sql_on_the_writer_is_seen() {
    // Not through a store method that could forget to say so: the TEMP triggers see it.
    let p = org(None, "platform");
    let (_dir, store) = store_with(&p);
    let t = org(Some(&p), "tenant");
    let mut tx = store.write().unwrap();
    tx.insert_org(&authenticating(), &t).unwrap();
    tx.commit().unwrap();
    assert_eq!(name_on_writer(&store, t.id).as_deref(), Some("tenant"));
    let mut tx = store.group.begin(&store.writer).unwrap();
    tx.exec(
        "UPDATE orgs SET doc = json_set(doc, '$.name', 'patched') WHERE id = :id",
        super::Args::default().with("id", t.id.to_string()),
    )
    .unwrap();
    Box::new(tx).commit().unwrap();
    assert_eq!(name_on_writer(&store, t.id).as_deref(), Some("patched"));
    // Deleted (its children first): the memo answers that it is gone.
    let mut tx = store.write().unwrap();
    tx.delete_org(&authenticating(), t.id).unwrap();
    tx.commit().unwrap();
    assert_eq!(name_on_writer(&store, t.id), None);
}

#[test]
fn a_commit_by_another_connection_is_seen_by_the_next_group() {
    let p = org(None, "mine");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut tx = store.write().unwrap();
    tx.insert_org(&authenticating(), &p).unwrap();
    tx.commit().unwrap();
    assert_eq!(name_on_writer(&store, p.id).as_deref(), Some("mine"));
    // Another process on the same file (an operator's tool).
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute(
            "UPDATE orgs SET doc = json_set(doc, '$.name', 'theirs') WHERE id = ?1",
            [p.id.to_string()],
        )
        .unwrap();
    drop(other);
    assert_eq!(name_on_writer(&store, p.id).as_deref(), Some("theirs"));
}

#[test]
fn a_memo_full_of_entries_is_emptied_and_keeps_answering() {
    let p = org(None, "platform");
    let (_dir, store) = store_with(&p);
    let mut tx = store.write().unwrap();
    for _ in 0..super::CAPACITY + 10 {
        assert!(
            tx.org(&authenticating(), uuid::Uuid::now_v7())
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(
        tx.org(&authenticating(), p.id).unwrap().map(|o| o.name),
        Some("platform".into())
    );
    tx.commit().unwrap();
    assert!(store.group.memo().len <= super::CAPACITY);
}
