//! The SQLite store's own tests: snapshots, the read paths, files, migrations, scopes.

use super::*;

#[test]
fn a_reader_sees_the_last_commit_while_a_write_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let mut w = store.write().unwrap();
    assert!(w.platform().unwrap().is_none());
    // A read while the write transaction is open neither blocks nor sees it.
    let mut r = store.read().unwrap();
    assert!(r.platform().unwrap().is_none());
    drop(r);
    drop(w);
}

#[test]
fn a_store_reading_through_its_writer_waits_for_the_open_write_and_sees_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open_with(&dir.path().join("hub.db"), 1, Reads::ThroughWriter).unwrap(),
    );
    let all = crate::authz::authenticating();
    let org = platform();
    let mut w = store.write().unwrap();
    w.insert_org(&all, &org).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            let got = store.read().unwrap().platform().unwrap();
            tx.send(got).unwrap();
        })
    };
    // The baseline's read queues behind the write lock…
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(300))
            .is_err()
    );
    w.commit().unwrap();
    // … and reads what the write committed.
    let got = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(got.map(|o| o.id), Some(org.id));
    reader.join().unwrap();
    // Dropping a read undoes nothing of what was committed.
    assert!(store.read().unwrap().platform().unwrap().is_some());
}

#[test]
fn the_database_file_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    drop(SqliteStore::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

fn platform() -> crate::model::Org {
    let id = uuid::Uuid::now_v7();
    crate::model::Org {
        id,
        kind: crate::model::OrgKind::Platform,
        name: "Operator".into(),
        parent_id: None,
        path: format!("/{id}/"),
        country: None,
        org_type: None,
        created_at: chrono::Utc::now(),
    }
}

#[test]
fn migrations_run_once_and_data_survives_a_reopen_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let org = platform();
    let all = crate::authz::authenticating();
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
        let mut tx = store.write().unwrap();
        tx.insert_org(&all, &org).unwrap();
        tx.commit().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(store.read().unwrap().org(&all, org.id).unwrap(), Some(org));
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_dropped_transaction_leaves_nothing_behind_and_an_event_is_processed_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let all = crate::authz::authenticating();
    let (event, gw) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    {
        let mut tx = store.write().unwrap();
        tx.insert_org(&all, &platform()).unwrap();
        assert!(tx.mark_processed(event, gw, chrono::Utc::now()).unwrap());
    }
    assert_eq!(store.read().unwrap().platform().unwrap(), None);
    let mut tx = store.write().unwrap();
    assert!(tx.mark_processed(event, gw, chrono::Utc::now()).unwrap());
    tx.commit().unwrap();
    let mut tx = store.write().unwrap();
    assert!(!tx.mark_processed(event, gw, chrono::Utc::now()).unwrap());
}

#[test]
fn a_row_outside_the_scope_is_not_found_and_not_written() {
    use crate::model::*;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let all = crate::authz::authenticating();
    let p = platform();
    let tenant = |name: &str| {
        let id = uuid::Uuid::now_v7();
        Org {
            id,
            kind: OrgKind::Tenant,
            name: name.into(),
            parent_id: Some(p.id),
            path: format!("{}{id}/", p.path),
            country: None,
            org_type: None,
            created_at: chrono::Utc::now(),
        }
    };
    let (a, b) = (tenant("a"), tenant("b"));
    let contact = Contact {
        id: uuid::Uuid::now_v7(),
        org_id: b.id,
        number: "+33611111111".into(),
        name: "x".into(),
        business: String::new(),
        email: String::new(),
        notes: String::new(),
        created_at: chrono::Utc::now(),
    };
    let mut tx = store.write().unwrap();
    tx.insert_org(&all, &p).unwrap();
    tx.insert_org(&all, &a).unwrap();
    tx.insert_org(&all, &b).unwrap();
    tx.insert_contact(&all, &contact).unwrap();
    // A scope over tenant A, as the authorizer would make it for A's admin.
    let admin = crate::authz::Actor::new(
        crate::authz::Principal::User(uuid::Uuid::now_v7()),
        a.clone(),
        Role::TenantAdmin,
    );
    let scope_a = crate::authz::scope(&admin, crate::authz::Action::ManageContact).unwrap();
    assert_eq!(tx.contact(&scope_a, contact.id).unwrap(), None);
    let mut evil = contact.clone();
    evil.name = "evil".into();
    tx.update_contact(&scope_a, &evil).unwrap();
    tx.delete_contact(&scope_a, contact.id).unwrap();
    assert!(
        tx.insert_contact(
            &scope_a,
            &Contact {
                id: uuid::Uuid::now_v7(),
                ..contact.clone()
            }
        )
        .is_err()
    );
    assert_eq!(tx.contact(&all, contact.id).unwrap().unwrap().name, "x");
}

#[test]
fn a_duplicate_login_is_a_named_conflict() {
    use crate::model::{Role, User, UserState};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let all = crate::authz::authenticating();
    let org = platform();
    let user = |id| User {
        id,
        org_id: org.id,
        login: "same".into(),
        name: "x".into(),
        role: Role::PlatformAdmin,
        state: UserState::Active,
        password_hash: "$argon2id$x".into(),
        created_at: chrono::Utc::now(),
    };
    let mut tx = store.write().unwrap();
    tx.insert_org(&all, &org).unwrap();
    tx.insert_user(&all, &user(uuid::Uuid::now_v7())).unwrap();
    let err = tx
        .insert_user(&all, &user(uuid::Uuid::now_v7()))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("a user with this login")),
        "{err:?}"
    );
    assert_eq!(
        tx.user_by_login("same").unwrap().unwrap().password_hash,
        "$argon2id$x"
    );
}

#[test]
fn a_like_pattern_takes_wildcards_literally() {
    assert_eq!(like(" 50%_off "), "%50\\%\\_off%");
}

#[test]
fn a_timestamp_is_written_as_rusqlite_writes_it() {
    // `ts` keeps its format parsed once; it must match what rusqlite stores for a
    // `DateTime<Utc>`, which queries compare it with.
    use rusqlite::types::{ToSql, ToSqlOutput, Value};
    let at = chrono::Utc::now();
    let Ok(ToSqlOutput::Owned(Value::Text(stored))) = at.to_sql() else {
        panic!("rusqlite writes a timestamp as text");
    };
    assert_eq!(super::read::ts(at), stored);
    assert_eq!(super::read::ts(at), at.format("%F %T%.f%:z").to_string());
}
