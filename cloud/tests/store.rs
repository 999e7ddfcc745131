//! The SQLite store on real files: migrations, persistence, transactions, dedup.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use chrono::Utc;
use smsgate_cloud::model::{Org, OrgKind};
use smsgate_cloud::store::Store;
use smsgate_cloud::store::sqlite::SqliteStore;
use uuid::Uuid;

fn platform() -> Org {
    let id = Uuid::now_v7();
    Org {
        id,
        kind: OrgKind::Platform,
        name: "Operator".into(),
        parent_id: None,
        path: format!("/{id}/"),
        created_at: Utc::now(),
    }
}

#[test]
fn migrations_run_once_and_data_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let org = platform();
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 1);
        let mut tx = store.begin().unwrap();
        tx.insert_org(&org).unwrap();
        tx.commit().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 1);
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.org(org.id).unwrap(), Some(org));
}

#[test]
fn the_database_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_dropped_transaction_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let org = platform();
    {
        let mut tx = store.begin().unwrap();
        tx.insert_org(&org).unwrap();
        assert!(
            tx.mark_processed(Uuid::now_v7(), Uuid::now_v7(), Utc::now())
                .unwrap()
        );
    }
    let mut tx = store.begin().unwrap();
    assert_eq!(tx.org(org.id).unwrap(), None);
    assert_eq!(tx.platform().unwrap(), None);
}

#[test]
fn an_event_id_is_processed_only_once_across_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let (event, gw) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = store.begin().unwrap();
    assert!(tx.mark_processed(event, gw, Utc::now()).unwrap());
    tx.commit().unwrap();
    let mut tx = store.begin().unwrap();
    assert!(!tx.mark_processed(event, gw, Utc::now()).unwrap());
}

#[test]
fn a_duplicate_login_is_a_named_conflict() {
    use smsgate_cloud::model::{Role, User, UserState};
    use smsgate_cloud::store::StoreError;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let org = platform();
    let user = |id| User {
        id,
        org_id: org.id,
        login: "same".into(),
        name: "x".into(),
        role: Role::PlatformAdmin,
        state: UserState::Active,
        password_hash: "$argon2id$x".into(),
        created_at: Utc::now(),
    };
    let mut tx = store.begin().unwrap();
    tx.insert_org(&org).unwrap();
    tx.insert_user(&user(Uuid::now_v7())).unwrap();
    let err = tx.insert_user(&user(Uuid::now_v7())).unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("a user with this login")),
        "{err:?}"
    );
    // The password hash is stored even though the API form never shows it.
    let again = tx.user_by_login("same").unwrap().unwrap();
    assert_eq!(again.password_hash, "$argon2id$x");
}
