//! Retention of finished spool rows (issue 14) on a real SQLite file with an injected clock:
//! finished messages older than `[storage] retention_days` go, in batches; queued ones and
//! recently finished ones stay; the background task does it by itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::spool::retention::{self, Pruned};
use smsgate_gateway::spool::*;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap()
}

const BLOCKED: &str = "+447700900999";

/// `n` messages to a blocked number: each is finished (`blocked`) at the clock's now.
async fn finished(spool: &Spool, n: usize) -> Vec<i64> {
    spool
        .call(move |db| {
            let v = db.submit_many(
                (0..n)
                    .map(|i| NewMessage::new(BLOCKED, format!("m{i}"), "bulk"))
                    .collect(),
            )?;
            Ok(v.into_iter().map(|s| s.id).collect())
        })
        .await
        .unwrap()
}

async fn exists(spool: &Spool, id: i64) -> bool {
    spool.call(move |db| db.get(id)).await.unwrap().is_some()
}

async fn setup() -> (tempfile::TempDir, Spool, Arc<ManualClock>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let spool = Spool::open_with_clock(&dir.path().join("s.sqlite"), clock.clone()).unwrap();
    spool
        .call(|db| {
            db.block_numbers(&[BlockEntry {
                number: BLOCKED.into(),
                campaign: None,
            }])
        })
        .await
        .unwrap();
    (dir, spool, clock)
}

#[tokio::test]
async fn finished_messages_past_the_retention_are_deleted_in_batches_and_the_rest_stays() {
    let (_dir, spool, clock) = setup().await;
    let old = finished(&spool, 1100).await;
    let queued = spool
        .call(|db| db.submit(NewMessage::new("+447700900100", "wait", "bulk")))
        .await
        .unwrap()
        .id;
    clock.advance(Duration::days(5));
    let recent = finished(&spool, 3).await;
    clock.advance(Duration::days(30)); // old ones 35 days, recent ones 30 days
    let p = retention::run_once(&spool, clock.as_ref(), 30, 500)
        .await
        .unwrap();
    assert_eq!(
        p,
        Pruned {
            messages: 1100,
            reports: 0,
            batches: 3
        }
    );
    assert!(!exists(&spool, old[0]).await);
    assert!(!exists(&spool, old[1099]).await);
    assert!(
        exists(&spool, queued).await,
        "a queued message is never pruned"
    );
    for id in &recent {
        assert!(
            exists(&spool, *id).await,
            "finished exactly 30 days ago: kept"
        );
    }
    // Nothing more to do: one batch that finds nothing.
    let again = retention::run_once(&spool, clock.as_ref(), 30, 500)
        .await
        .unwrap();
    assert_eq!((again.messages, again.batches), (0, 1));
}

#[tokio::test]
async fn a_longer_retention_keeps_what_a_shorter_one_deletes() {
    let (_dir, spool, clock) = setup().await;
    let ids = finished(&spool, 4).await;
    clock.advance(Duration::days(40));
    let p = retention::run_once(&spool, clock.as_ref(), 60, 500)
        .await
        .unwrap();
    assert_eq!(p.messages, 0);
    assert!(exists(&spool, ids[0]).await);
    let p = retention::run_once(&spool, clock.as_ref(), 39, 500)
        .await
        .unwrap();
    assert_eq!(p.messages, 4);
}

#[tokio::test]
async fn the_background_task_prunes_by_itself_when_the_clock_passes_the_retention() {
    let (_dir, spool, clock) = setup().await;
    let ids = finished(&spool, 10).await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(retention::run(
        spool.clone(),
        clock.clone(),
        30,
        std::time::Duration::from_millis(20),
        shutdown.clone(),
    ));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(exists(&spool, ids[0]).await, "not yet 30 days old");
    clock.advance(Duration::days(31));
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while exists(&spool, ids[9]).await {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the background task deleted them");
    shutdown.cancel();
    task.await.unwrap();
}

#[test]
fn the_cut_is_the_retention_before_now() {
    assert_eq!(retention::cut_at(t0(), 30), t0() - Duration::days(30));
}
