//! The opt-outs the hub pushes (`down/opt_outs`) in the spool: versions, gaps, snapshots, and
//! every way a message is submitted honouring them, on real SQLite files.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use chrono::{TimeZone, Utc};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::spool::opt_outs::SyncOutcome;
use smsgate_gateway::spool::*;
use smsgate_wire::{OptOutChange, OptOutSync};
use std::sync::Arc;
use uuid::Uuid;

fn open(dir: &tempfile::TempDir) -> SpoolDb {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap(),
    ));
    SpoolDb::open(&dir.path().join("spool.sqlite"), clock).unwrap()
}

fn tenant(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn sync(t: Uuid, replace: bool, from: i64, to: i64, changes: &[(&str, bool)]) -> OptOutSync {
    OptOutSync {
        id: Uuid::now_v7(),
        v: 3,
        tenant: t,
        replace,
        from_version: from,
        to_version: to,
        ports: vec!["0".into()],
        country: Some("GB".into()),
        changes: changes
            .iter()
            .map(|(n, a)| OptOutChange {
                number: (*n).into(),
                added: *a,
            })
            .collect(),
    }
}

fn state_of(db: &mut SpoolDb, to: &str) -> MessageState {
    db.submit(NewMessage::new(to, "promo", "bulk"))
        .unwrap()
        .state
}

#[test]
fn a_pushed_opt_out_blocks_the_number_in_every_written_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(&dir);
    let got = db
        .apply_opt_out_sync(&sync(tenant(1), true, 0, 1, &[("+447700900600", true)]))
        .unwrap();
    assert_eq!(got, SyncOutcome::Applied(1));
    for form in [
        "+447700900600",
        "00447700900600",
        "+44 7700 900600",
        "07700 900600",
        "447700900600",
    ] {
        assert_eq!(state_of(&mut db, form), MessageState::Blocked, "{form}");
    }
    assert_eq!(state_of(&mut db, "+447700900601"), MessageState::Queued);
    let m = db
        .submit(NewMessage::new("0044 7700 900600", "x", "bulk"))
        .unwrap();
    let stored = db.get(m.id).unwrap().unwrap();
    assert_eq!(
        stored.error.as_deref(),
        Some("recipient opted out (list pushed by the hub)")
    );
}

#[test]
fn a_delta_moves_the_list_a_repeat_changes_nothing_and_a_gap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(&dir);
    let t = tenant(2);
    db.apply_opt_out_sync(&sync(t, true, 0, 1, &[("+33611111111", true)]))
        .unwrap();
    let delta = sync(
        t,
        false,
        1,
        3,
        &[("+33622222222", true), ("+33611111111", false)],
    );
    assert_eq!(
        db.apply_opt_out_sync(&delta).unwrap(),
        SyncOutcome::Applied(3)
    );
    assert_eq!(
        db.apply_opt_out_sync(&delta).unwrap(),
        SyncOutcome::AlreadyHeld(3),
        "the same command twice"
    );
    assert_eq!(state_of(&mut db, "+33611111111"), MessageState::Queued);
    assert_eq!(state_of(&mut db, "+33622222222"), MessageState::Blocked);
    let gap = sync(t, false, 5, 6, &[("+33633333333", true)]);
    assert_eq!(db.apply_opt_out_sync(&gap).unwrap(), SyncOutcome::Gap(3));
    assert_eq!(
        state_of(&mut db, "+33633333333"),
        MessageState::Queued,
        "nothing of a refused command is applied"
    );
    let lists = db.hub_opt_out_lists().unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!((lists[0].version, lists[0].numbers), (3, 1));
}

#[test]
fn a_snapshot_replaces_the_list_and_its_continuations_add_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(&dir);
    let t = tenant(3);
    db.apply_opt_out_sync(&sync(t, true, 0, 2, &[("+33611111111", true)]))
        .unwrap();
    db.apply_opt_out_sync(&sync(t, true, 0, 9, &[("+33622222222", true)]))
        .unwrap();
    assert_eq!(
        db.apply_opt_out_sync(&sync(t, false, 9, 9, &[("+33633333333", true)]))
            .unwrap(),
        SyncOutcome::Applied(9)
    );
    assert_eq!(state_of(&mut db, "+33611111111"), MessageState::Queued);
    assert_eq!(state_of(&mut db, "+33622222222"), MessageState::Blocked);
    assert_eq!(state_of(&mut db, "+33633333333"), MessageState::Blocked);
}

#[test]
fn a_hub_message_honours_only_the_lists_of_the_tenants_on_its_port() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(&dir);
    // Tenant 4's channels are on port 0; the number opted out of tenant 4 only.
    db.apply_opt_out_sync(&sync(tenant(4), true, 0, 1, &[("+33611111111", true)]))
        .unwrap();
    let hub = |port: u16, key: &str| {
        let mut m = NewMessage::new("+33611111111", "x", "bulk");
        m.port = Some(port);
        m.idempotency_key = Some(key.into());
        m
    };
    let other_tenant = db.submit(hub(1, "hub:a:b")).unwrap();
    assert_eq!(
        other_tenant.state,
        MessageState::Queued,
        "another tenant's port"
    );
    let same_tenant = db.submit(hub(0, "hub:c:d")).unwrap();
    assert_eq!(same_tenant.state, MessageState::Blocked);
    let local = db.submit(hub(1, "local-key")).unwrap();
    assert_eq!(
        local.state,
        MessageState::Blocked,
        "a message submitted on the gateway honours every list"
    );
}

#[test]
fn a_command_with_a_bad_number_is_refused_naming_it_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(&dir);
    let bad = sync(
        tenant(5),
        true,
        0,
        2,
        &[("+33611111111", true), ("+33 6 12", true)],
    );
    let err = db.apply_opt_out_sync(&bad).unwrap_err().to_string();
    assert!(err.starts_with("changes[1].number:"), "{err}");
    assert!(db.hub_opt_out_lists().unwrap().is_empty());
    assert_eq!(state_of(&mut db, "+33611111111"), MessageState::Queued);
}

#[test]
fn a_conversation_from_the_hub_passes_the_pushed_lists_and_a_bulk_message_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(&dir);
    db.apply_opt_out_sync(&sync(tenant(6), true, 0, 1, &[("+33611111111", true)]))
        .unwrap();
    let hub = |key: &str, conversation: bool| {
        let mut m = NewMessage::new("0033 6 11 11 11 11", "x", "bulk");
        m.port = Some(0);
        m.idempotency_key = Some(key.into());
        m.conversation = conversation;
        m
    };
    assert_eq!(
        db.submit(hub("hub:a:1", true)).unwrap().state,
        MessageState::Queued,
        "an agent's reply after a STOP leaves"
    );
    assert_eq!(
        db.submit(hub("hub:a:2", false)).unwrap().state,
        MessageState::Blocked,
        "a bulk message from the hub is blocked"
    );
    assert_eq!(
        db.submit(hub("local-key", true)).unwrap().state,
        MessageState::Blocked,
        "a message submitted on the gateway cannot claim to be a conversation"
    );
}
