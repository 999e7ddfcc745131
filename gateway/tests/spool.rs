//! Spool behaviour on real SQLite files in temp dirs.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::spool::*;
use std::path::Path;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap()
}

fn open(path: &Path) -> (SpoolDb, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0()));
    (SpoolDb::open(path, clock.clone()).unwrap(), clock)
}

fn msg(to: &str) -> NewMessage {
    NewMessage::new(to, "hello", "bulk")
}

#[test]
fn a_new_spool_uses_wal_full_sync_and_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.sqlite");
    drop(open(&path));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, migrations::MIGRATIONS.len());
    // synchronous is per connection: ask the spool's own connection.
    let (db, _) = open(&path);
    assert_eq!(
        db.durability().unwrap(),
        ("wal".to_string(), 2),
        "WAL + synchronous=FULL"
    );
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SpoolDb::open(&path, Arc::new(ManualClock::new(t0())))
        .err()
        .unwrap();
    assert!(
        matches!(err, SpoolError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn an_accepted_message_survives_a_reopen_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.sqlite");
    let id = {
        let (mut db, _) = open(&path);
        let mut m = msg("+15551234567");
        m.text = "héllo 👋 wörld".into();
        m.campaign = Some("camp".into());
        m.priority = 9999;
        db.submit(m).unwrap().id
    };
    let (mut db, _) = open(&path);
    let m = db.get(id).unwrap().unwrap();
    assert_eq!(m.state, MessageState::Queued);
    assert_eq!(m.text, "héllo 👋 wörld");
    assert_eq!(m.campaign.as_deref(), Some("camp"));
    assert_eq!(m.priority, 9999);
    assert_eq!(m.created_at, t0());
    assert!(db.get(id + 1).unwrap().is_none());
}

#[test]
fn the_queue_serves_higher_priority_first_and_fifo_within_a_priority() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let mut ids = Vec::new();
    for (to, prio) in [
        ("1001", 0),
        ("1002", 5),
        ("1003", 0),
        ("1004", 5),
        ("1005", -1),
    ] {
        let mut m = msg(to);
        m.priority = prio;
        ids.push(db.submit(m).unwrap().id);
    }
    let order: Vec<String> = std::iter::from_fn(|| db.claim_next("bulk", 0).unwrap())
        .map(|c| c.to)
        .collect();
    assert_eq!(order, ["1002", "1004", "1001", "1003", "1005"]);
}

#[test]
fn a_claim_only_takes_messages_of_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    db.submit(NewMessage::new("1", "x", "other")).unwrap();
    assert!(db.claim_next("bulk", 0).unwrap().is_none());
    assert!(db.claim_next("other", 0).unwrap().is_some());
}

#[test]
fn a_message_pinned_to_a_port_is_only_claimed_by_that_port() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let mut m = msg("1");
    m.port = Some(3);
    let id = db.submit(m).unwrap().id;
    assert!(db.claim_next("bulk", 0).unwrap().is_none());
    assert!(db.claim(id, 1).unwrap().is_none());
    let c = db.claim_next("bulk", 3).unwrap().unwrap();
    assert_eq!((c.id, c.port, c.attempts), (id, 3, 1));
    assert_eq!(db.get(id).unwrap().unwrap().state, MessageState::Sending);
}

#[test]
fn two_workers_on_separate_connections_never_claim_the_same_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let (mut db, _) = open(&path);
    let batch: Vec<NewMessage> = (0..200).map(|i| msg(&format!("1{i:04}"))).collect();
    let all: Vec<i64> = db
        .submit_many(batch)
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    drop(db);
    let workers: Vec<_> = (0..2u16)
        .map(|port| {
            let path = path.clone();
            std::thread::spawn(move || {
                let (mut db, _) = open(&path);
                let mut got = Vec::new();
                while let Some(c) = db.claim_next("bulk", port).unwrap() {
                    got.push(c.id);
                }
                got
            })
        })
        .collect();
    let mut seen: Vec<i64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, all, "every message claimed exactly once");
}

#[test]
fn a_retried_submission_with_the_same_idempotency_key_returns_the_first_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let (mut db, _) = open(&path);
    let mut m = msg("1");
    m.idempotency_key = Some("abc".into());
    let first = db.submit(m.clone()).unwrap();
    assert!(!first.duplicate);
    drop(db);
    let (mut db, _) = open(&path);
    let again = db.submit(m).unwrap();
    assert_eq!((again.id, again.duplicate), (first.id, true));
    assert!(db.claim_next("bulk", 0).unwrap().is_some());
    assert!(
        db.claim_next("bulk", 0).unwrap().is_none(),
        "only one message stored"
    );
}

#[test]
fn a_number_on_the_blocklist_is_stored_blocked_and_never_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let added = db
        .block_numbers(&[
            BlockEntry {
                number: "111".into(),
                campaign: None,
            },
            BlockEntry {
                number: "222".into(),
                campaign: Some("promo".into()),
            },
            BlockEntry {
                number: "111".into(),
                campaign: None,
            },
        ])
        .unwrap();
    assert_eq!(added, 2);
    let everywhere = db.submit(msg("111")).unwrap();
    assert_eq!(everywhere.state, MessageState::Blocked);
    let mut promo = msg("222");
    promo.campaign = Some("promo".into());
    assert_eq!(db.submit(promo).unwrap().state, MessageState::Blocked);
    let mut other = msg("222");
    other.campaign = Some("news".into());
    let other = db.submit(other).unwrap();
    assert_eq!(other.state, MessageState::Queued);
    assert_eq!(db.claim_next("bulk", 0).unwrap().unwrap().id, other.id);
    assert!(db.claim_next("bulk", 0).unwrap().is_none());
    assert!(db.is_blocked("222", Some("promo")).unwrap());
    assert!(!db.is_blocked("222", None).unwrap());
}

#[test]
fn a_message_whose_validity_ran_out_is_not_claimed_and_becomes_expired() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, clock) = open(&dir.path().join("s.sqlite"));
    let mut m = msg("1");
    m.expires_at = Some(t0() + Duration::minutes(5));
    let id = db.submit(m).unwrap().id;
    clock.advance(Duration::minutes(5));
    assert!(db.claim_next("bulk", 0).unwrap().is_none());
    assert_eq!(db.expire_due().unwrap(), 1);
    assert_eq!(db.get(id).unwrap().unwrap().state, MessageState::Expired);
    assert_eq!(db.expire_due().unwrap(), 0);
}

#[test]
fn a_retryable_failure_puts_the_message_back_after_its_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, clock) = open(&dir.path().join("s.sqlite"));
    let id = db.submit(msg("1")).unwrap().id;
    db.claim_next("bulk", 0).unwrap().unwrap();
    db.retry_later(id, "+CMS ERROR: 500", t0() + Duration::seconds(30))
        .unwrap();
    let m = db.get(id).unwrap().unwrap();
    assert_eq!(
        (m.state, m.error.as_deref(), m.port),
        (MessageState::Queued, Some("+CMS ERROR: 500"), None)
    );
    assert!(db.claim_next("bulk", 1).unwrap().is_none());
    clock.advance(Duration::seconds(30));
    let c = db.claim_next("bulk", 1).unwrap().unwrap();
    assert_eq!((c.id, c.attempts), (id, 2));
}

#[test]
fn requeue_is_refused_for_a_message_that_is_not_unknown_or_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let id = db.submit(msg("1")).unwrap().id;
    let err = db.requeue(id).unwrap_err();
    assert!(
        matches!(err, SpoolError::Transition { id: i, .. } if i == id),
        "{err}"
    );
    db.claim_next("bulk", 0).unwrap();
    db.mark_failed(id, "+CMS ERROR: 38").unwrap();
    assert_eq!(db.requeue(id).unwrap(), MessageState::Queued);
    assert!(matches!(db.requeue(999), Err(SpoolError::NotFound(999))));
}

#[test]
fn a_message_sending_when_the_process_is_killed_becomes_unknown_and_is_not_resent() {
    const CHILD: &str = "SMSGATE_SPOOL_CRASH_CHILD";
    if let Ok(path) = std::env::var(CHILD) {
        // Child: accept three messages, take one, then die without any cleanup.
        let (mut db, _) = open(Path::new(&path));
        for to in ["1", "2", "3"] {
            db.submit(msg(to)).unwrap();
        }
        db.claim_next("bulk", 0).unwrap().unwrap();
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_message_sending_when_the_process_is_killed_becomes_unknown_and_is_not_resent",
            "--nocapture",
        ])
        .env(CHILD, &path)
        .status()
        .unwrap();
    assert!(!status.success(), "the child must have aborted");
    let (mut db, _) = open(&path);
    assert_eq!(db.recovered_at_open(), &[1]);
    let m = db.get(1).unwrap().unwrap();
    assert_eq!(m.state, MessageState::Unknown);
    let rest: Vec<i64> = std::iter::from_fn(|| db.claim_next("bulk", 0).unwrap())
        .map(|c| c.id)
        .collect();
    assert_eq!(rest, [2, 3], "the in-flight message is not claimed again");
    db.requeue(1).unwrap();
    assert_eq!(db.claim_next("bulk", 0).unwrap().unwrap().id, 1);
}

#[test]
fn a_connection_dropped_without_shutdown_keeps_every_committed_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let (mut db, _) = open(&path);
    let id = db.submit(msg("1")).unwrap().id;
    db.claim_next("bulk", 0).unwrap();
    std::mem::forget(db); // no close, no checkpoint: the WAL holds the data
    let (mut db, _) = open(&path);
    assert_eq!(db.get(id).unwrap().unwrap().state, MessageState::Unknown);
}

fn sent_message(db: &mut SpoolDb, to: &str, port: u16, refs: &[u8]) -> i64 {
    let id = db.submit(msg(to)).unwrap().id;
    let c = db.claim_next("bulk", port).unwrap().unwrap();
    assert_eq!(c.id, id);
    let parts: Vec<SentPart> = refs
        .iter()
        .enumerate()
        .map(|(i, r)| SentPart {
            seq: u16::try_from(i + 1).unwrap(),
            port,
            reference: *r,
        })
        .collect();
    db.mark_sent(id, &parts).unwrap();
    id
}

fn report(
    port: u16,
    reference: u8,
    to: &str,
    status: DeliveryStatus,
    at: DateTime<Utc>,
) -> DeliveryReport {
    DeliveryReport {
        port,
        reference,
        recipient: to.into(),
        status,
        received_at: at,
    }
}

#[test]
fn a_multipart_message_is_delivered_only_when_every_part_is() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let id = sent_message(&mut db, "0998344484", 2, &[10, 11]);
    let win = Duration::hours(1);
    let r = db
        .record_delivery_report(
            &report(2, 10, "+598998344484", DeliveryStatus::Delivered, t0()),
            win,
        )
        .unwrap();
    assert_eq!(r, Some((id, MessageState::Sent)));
    let r = db
        .record_delivery_report(
            &report(2, 11, "0998344484", DeliveryStatus::Delivered, t0()),
            win,
        )
        .unwrap();
    assert_eq!(r, Some((id, MessageState::Delivered)));
    let m = db.get(id).unwrap().unwrap();
    assert_eq!(m.parts.len(), 2);
    assert!(
        m.parts
            .iter()
            .all(|p| p.state == "delivered" && p.port == 2)
    );
}

#[test]
fn one_failed_part_fails_the_whole_message() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let id = sent_message(&mut db, "555", 0, &[1, 2]);
    let r = db
        .record_delivery_report(
            &report(0, 2, "555", DeliveryStatus::Failed, t0()),
            Duration::hours(1),
        )
        .unwrap();
    assert_eq!(r, Some((id, MessageState::Failed)));
}

#[test]
fn a_report_matches_only_the_same_port_reference_and_recipient_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, clock) = open(&dir.path().join("s.sqlite"));
    let old = sent_message(&mut db, "555", 0, &[7]);
    clock.advance(Duration::hours(2));
    // reference 7 wrapped around: a newer message on the same port reuses it
    let new = sent_message(&mut db, "666", 0, &[7]);
    let win = Duration::hours(1);
    let now = t0() + Duration::hours(2);
    assert_eq!(
        db.record_delivery_report(&report(1, 7, "666", DeliveryStatus::Delivered, now), win)
            .unwrap(),
        None,
        "other port"
    );
    assert_eq!(
        db.record_delivery_report(&report(0, 8, "666", DeliveryStatus::Delivered, now), win)
            .unwrap(),
        None,
        "other reference"
    );
    assert_eq!(
        db.record_delivery_report(&report(0, 7, "555", DeliveryStatus::Delivered, now), win)
            .unwrap(),
        None,
        "old part outside the window"
    );
    assert_eq!(
        db.record_delivery_report(&report(0, 7, "666", DeliveryStatus::Delivered, now), win)
            .unwrap(),
        Some((new, MessageState::Delivered))
    );
    assert_eq!(db.get(old).unwrap().unwrap().state, MessageState::Sent);
}

#[test]
fn inbound_messages_are_listed_after_a_cursor_with_keywords_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let texts = ["hello", " Stop! ", "start", "stop sending me these"];
    let ids: Vec<i64> = texts
        .iter()
        .map(|t| {
            db.store_inbound(&NewInbound {
                from: "+15550001".into(),
                port: 1,
                sim: Some("8901".into()),
                text: (*t).into(),
                sent_at: None,
                received_at: t0(),
            })
            .unwrap()
        })
        .collect();
    let first = db.inbound_since(0, 2).unwrap();
    assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(first[1].keyword, Some(Keyword::Stop));
    let rest = db.inbound_since(first[1].id, 10).unwrap();
    assert_eq!(
        rest.iter().map(|m| m.keyword).collect::<Vec<_>>(),
        [Some(Keyword::Start), None]
    );
    assert!(db.inbound_since(ids[3], 10).unwrap().is_empty());
}

#[test]
fn outbox_events_have_increasing_ids_and_acked_ids_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let (mut db, _) = open(&path);
    let id = db.submit(msg("1")).unwrap().id;
    db.claim_next("bulk", 0).unwrap();
    let events = db.peek_events(10).unwrap();
    assert_eq!(
        events.iter().map(|e| e.event.kind()).collect::<Vec<_>>(),
        ["message.accepted", "message.state"]
    );
    assert!(events[0].id < events[1].id);
    assert!(
        matches!(events[1].event, SpoolEvent::MessageState { id: i, state: MessageState::Sending, port: Some(0), .. } if i == id),
        "{:?}",
        events[1].event
    );
    assert_eq!(db.ack_events(events[1].id).unwrap(), 2);
    drop(db);
    let (mut db, _) = open(&path);
    let after = db.peek_events(10).unwrap();
    assert_eq!(after.len(), 1, "crash recovery wrote one event");
    assert!(after[0].id > events[1].id);
    assert!(
        matches!(
            after[0].event,
            SpoolEvent::MessageState {
                state: MessageState::Unknown,
                ..
            }
        ),
        "{:?}",
        after[0].event
    );
}

#[test]
fn per_sim_counters_persist_across_a_reopen_and_reset_with_their_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let keys = |h: &str| WindowKeys {
        hour: format!("h:{h}"),
        day: "d:2026-11-21".into(),
        month: "m:2026-11".into(),
    };
    {
        let (mut db, _) = open(&path);
        db.count_send("8901", &keys("14")).unwrap();
        db.count_send("8901", &keys("14")).unwrap();
        db.count_send("8902", &keys("14")).unwrap();
    }
    let (mut db, _) = open(&path);
    assert_eq!(
        db.sim_counts("8901", &keys("14")).unwrap(),
        WindowCounts {
            hour: 2,
            day: 2,
            month: 2
        }
    );
    let c = db.count_send("8901", &keys("15")).unwrap();
    assert_eq!(
        c,
        WindowCounts {
            hour: 1,
            day: 3,
            month: 3
        }
    );
    assert_eq!(db.sim_counts("8902", &keys("14")).unwrap().hour, 1);
}

#[tokio::test]
async fn the_async_handle_runs_calls_on_the_spool_thread_and_reports_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let spool = Spool::open_with_clock(&path, Arc::new(ManualClock::new(t0()))).unwrap();
    assert!(spool.recovered_at_open().is_empty());
    let s = spool.call(|db| db.submit(msg("1"))).await.unwrap();
    let claimed = spool
        .call(|db| db.claim_next("bulk", 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, s.id);
    let depth = spool.call(|db| db.queue_depth()).await.unwrap();
    assert!(depth.is_empty());
    let counts = spool.call(|db| db.state_counts()).await.unwrap();
    assert_eq!(counts, [(MessageState::Sending, 1)]);
}

#[test]
fn a_send_whose_outcome_is_unknown_is_kept_with_its_sent_parts_and_never_claimed_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let id = db.submit(msg("555")).unwrap().id;
    db.claim_next("bulk", 4).unwrap().unwrap();
    db.mark_unknown(
        id,
        "timeout after part 2 was sent",
        &[SentPart {
            seq: 1,
            port: 4,
            reference: 9,
        }],
    )
    .unwrap();
    let m = db.get(id).unwrap().unwrap();
    assert_eq!(
        (m.state, m.error.as_deref()),
        (MessageState::Unknown, Some("timeout after part 2 was sent"))
    );
    assert_eq!(m.parts.len(), 1);
    assert!(db.claim_next("bulk", 4).unwrap().is_none());
    assert!(matches!(
        db.mark_unknown(id, "again", &[]),
        Err(SpoolError::Transition { .. })
    ));
}

#[test]
fn an_inbound_sms_read_again_after_a_crash_is_not_stored_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    let m = NewInbound {
        from: "+15550001".into(),
        port: 2,
        sim: None,
        text: "hello".into(),
        sent_at: Some(t0() - Duration::seconds(3)),
        received_at: t0(),
    };
    let first = db.store_inbound(&m).unwrap();
    assert_eq!(db.store_inbound(&m).unwrap(), first);
    let other_text = NewInbound {
        text: "hello!".into(),
        ..m.clone()
    };
    assert_ne!(db.store_inbound(&other_text).unwrap(), first);
    let no_timestamp = NewInbound {
        sent_at: None,
        ..m.clone()
    };
    let a = db.store_inbound(&no_timestamp).unwrap();
    assert_ne!(
        db.store_inbound(&no_timestamp).unwrap(),
        a,
        "without a time stamp nothing is deduplicated"
    );
    assert_eq!(db.inbound_since(0, 100).unwrap().len(), 4);
    let kinds = db.peek_events(100).unwrap();
    assert_eq!(
        kinds
            .iter()
            .filter(|e| matches!(e.event, SpoolEvent::InboundReceived { .. }))
            .count(),
        4
    );
}

#[test]
fn a_database_at_an_older_schema_is_upgraded_in_place_keeping_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(migrations::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO messages (recipient, text, grp, state, created_at, updated_at) VALUES ('1', 'old', 'bulk', 'queued', 0, 0)",
            [],
        )
        .unwrap();
    }
    let (mut db, _) = open(&path);
    assert_eq!(db.get(1).unwrap().unwrap().text, "old");
    drop(db);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, migrations::MIGRATIONS.len());
    assert!(migrations::MIGRATIONS.len() >= 2);
}

#[test]
fn pruning_removes_only_finished_messages_older_than_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, clock) = open(&dir.path().join("s.sqlite"));
    db.block_numbers(&[BlockEntry {
        number: "999".into(),
        campaign: None,
    }])
    .unwrap();
    let blocked = db.submit(msg("999")).unwrap().id;
    let failed = db.submit(msg("1")).unwrap().id;
    db.claim_next("bulk", 0).unwrap();
    db.mark_failed(failed, "+CMS ERROR: 21").unwrap();
    let delivered = sent_message(&mut db, "2", 0, &[5]);
    db.record_delivery_report(
        &report(0, 5, "2", DeliveryStatus::Delivered, t0()),
        Duration::hours(1),
    )
    .unwrap();
    let queued = db.submit(msg("3")).unwrap().id;
    clock.advance(Duration::days(2));
    let recent = db.submit(msg("999")).unwrap().id; // blocked, but newer than the cut
    let (messages, reports) = db.prune_finished(t0() + Duration::days(1)).unwrap();
    assert_eq!((messages, reports), (3, 1));
    for gone in [blocked, failed, delivered] {
        assert!(db.get(gone).unwrap().is_none());
    }
    assert!(db.get(queued).unwrap().is_some());
    assert!(db.get(recent).unwrap().is_some());
}

#[test]
fn a_blocked_national_number_also_blocks_its_international_form() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = open(&dir.path().join("s.sqlite"));
    db.block_numbers(&[BlockEntry {
        number: "098344484".into(),
        campaign: None,
    }])
    .unwrap();
    assert_eq!(
        db.submit(msg("+59898344484")).unwrap().state,
        MessageState::Blocked
    );
    assert_eq!(
        db.submit(msg("098344485")).unwrap().state,
        MessageState::Queued
    );
}

#[test]
fn blocklist_entries_from_before_the_tail_column_are_backfilled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(migrations::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO blocklist (number, campaign, added_at) VALUES ('+59898344484', '', 0)",
            [],
        )
        .unwrap();
    }
    let (mut db, _) = open(&path);
    assert!(db.is_blocked("098344484", None).unwrap());
}

#[test]
fn the_spool_file_and_its_wal_are_created_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.sqlite");
    let mut db = SpoolDb::open(&path, Arc::new(ManualClock::new(t0()))).unwrap();
    db.submit(msg("+447700900001")).unwrap();
    for name in ["spool.sqlite", "spool.sqlite-wal"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
}

/// Waits (at most `within`) until the spool's news changed; `true` when it did.
async fn news_within(
    news: &mut tokio::sync::watch::Receiver<SpoolNews>,
    within: std::time::Duration,
) -> bool {
    tokio::time::timeout(within, news.changed()).await.is_ok()
}

#[tokio::test]
async fn a_call_that_commits_an_event_wakes_every_news_waiter_and_one_that_does_not_stays_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("s.sqlite")).unwrap();
    // Two consumers (the cloud link and the campaign runner) each see every change.
    let mut link = spool.news();
    let mut runner = spool.news();
    let quiet = std::time::Duration::from_millis(300);
    let soon = std::time::Duration::from_secs(5);
    // A read writes no event: no news.
    spool.call(|db| db.peek_events(10)).await.unwrap();
    assert!(
        !news_within(&mut link, quiet).await,
        "a call without events woke the link"
    );
    // A submission commits `message.accepted`: both wake, also when they look only after the
    // call (the change is kept until seen).
    spool.call(|db| db.submit(msg("1"))).await.unwrap();
    assert!(
        news_within(&mut link, soon).await,
        "a committed event did not wake the link"
    );
    assert!(
        news_within(&mut runner, soon).await,
        "nor the second waiter"
    );
    let first = link.borrow().newest_event;
    assert!(first.is_some());
    // Acknowledging every event empties the outbox: news (the newest event is gone), but no
    // event to read.
    spool
        .call(|db| {
            let last = db.peek_events(10)?.last().map_or(0, |e| e.id);
            db.ack_events(last)
        })
        .await
        .unwrap();
    assert!(news_within(&mut link, soon).await);
    assert_eq!(link.borrow_and_update().newest_event, None);
    spool.call(|db| db.submit(msg("2"))).await.unwrap();
    assert!(
        news_within(&mut link, soon).await,
        "an event after an empty outbox did not wake the link"
    );
    assert!(link.borrow().newest_event > first);
}

#[tokio::test]
async fn a_stored_campaign_batch_or_halt_is_news_for_the_campaign_runner() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("s.sqlite")).unwrap();
    let mut news = spool.news();
    let campaign = uuid::Uuid::now_v7();
    let batch = smsgate_wire::CampaignBatch {
        id: uuid::Uuid::now_v7(),
        v: 4,
        campaign,
        name: "Spring".into(),
        port: "0".into(),
        interval_ms: 0,
        priority: 0,
        windows: vec![],
        expires_at: None,
        items: vec![smsgate_wire::CampaignItem {
            message_id: uuid::Uuid::now_v7(),
            to: "+33612340000".into(),
            text: "Hi".into(),
        }],
    };
    let soon = std::time::Duration::from_secs(5);
    spool
        .call(move |db| db.campaign_take(&batch, 0, "g"))
        .await
        .unwrap();
    assert!(
        news_within(&mut news, soon).await,
        "a batch did not wake the runner"
    );
    assert_eq!(news.borrow_and_update().campaigns, 1);
    spool
        .call(move |db| db.campaign_halt(campaign))
        .await
        .unwrap();
    assert!(
        news_within(&mut news, soon).await,
        "a halt did not wake the runner"
    );
    assert_eq!(news.borrow_and_update().campaigns, 2);
}
