//! Campaign slices on a real spool file (`down/campaign`, contract version 4): held, released
//! into the port queue inside their windows at their pace with no link at all, each recipient
//! spooled once even when the batch is replayed, withdrawn by a halt, expired after their
//! validity, and reported up as the hub's message ids.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsgate_gateway::campaign;
use smsgate_gateway::clock::{Clock, ManualClock};
use smsgate_gateway::cloud::translate;
use smsgate_gateway::spool::*;
use smsgate_wire as wire;
use std::sync::Arc;
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()
}

struct Gw {
    db: SpoolDb,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn open() -> Gw {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let db = SpoolDb::open(&dir.path().join("spool.sqlite"), clock.clone()).unwrap();
    Gw {
        db,
        clock,
        _dir: dir,
    }
}

fn batch(campaign: Uuid, interval_ms: u64, n: usize) -> wire::CampaignBatch {
    wire::CampaignBatch {
        id: Uuid::now_v7(),
        v: 4,
        campaign,
        name: "Spring".into(),
        port: "0".into(),
        interval_ms,
        priority: 0,
        windows: vec![wire::Window {
            from: t0(),
            until: t0() + Duration::hours(1),
        }],
        expires_at: Some(t0() + Duration::hours(5)),
        items: (0..n)
            .map(|i| wire::CampaignItem {
                message_id: Uuid::now_v7(),
                to: format!("+3361234{i:04}"),
                text: format!("Hi {i}"),
            })
            .collect(),
    }
}

/// Sends everything queued on port 0 as a port worker would, returning the recipients.
fn send_queued(b: &mut Gw) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(c) = b.db.claim_next("g", 0).unwrap() {
        b.db.mark_sent(
            c.id,
            &[SentPart {
                seq: 1,
                port: 0,
                reference: 1,
            }],
        )
        .unwrap();
        out.push(c.to);
    }
    out
}

fn step(b: &mut Gw) -> campaign::Pass {
    let now = b.clock.now();
    campaign::step(&mut b.db, now).unwrap()
}

/// The statuses the outbox would send up: (hub message id, state).
fn reports(b: &mut Gw) -> Vec<(Uuid, wire::SendState)> {
    let gw = wire::GatewayId::new("gw").unwrap();
    let events = b.db.peek_events(100_000).unwrap();
    let mut out = Vec::new();
    for e in &events {
        if let Some(wire::Up::Status(s)) = translate(&mut b.db, &gw, e).unwrap() {
            out.push((s.message_id, s.state));
        }
    }
    if let Some(last) = events.last() {
        b.db.ack_events(last.id).unwrap();
    }
    out
}

#[test]
fn at_interval_zero_the_slice_is_released_in_queue_sized_steps_and_each_recipient_sent_once() {
    let mut b = open();
    let c = Uuid::now_v7();
    let bt = batch(c, 0, 40);
    let taken = b.db.campaign_take(&bt, 0, "g").unwrap();
    assert_eq!((taken.added, taken.known), (40, 0));
    assert_eq!(step(&mut b).released, 32, "the fast window");
    assert_eq!(step(&mut b).released, 0, "the queue is full");
    let first = send_queued(&mut b);
    assert_eq!(first.len(), 32);
    assert_eq!(step(&mut b).released, 8);
    let second = send_queued(&mut b);
    let mut all: Vec<String> = first.into_iter().chain(second).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 40, "every recipient exactly once");
    assert_eq!(step(&mut b).released, 0);
    // Their reports carry the hub's message ids.
    let sent: Vec<Uuid> = reports(&mut b)
        .into_iter()
        .filter(|(_, s)| *s == wire::SendState::Sent)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(sent.len(), 40);
    assert!(bt.items.iter().all(|i| sent.contains(&i.message_id)));
}

#[test]
fn two_campaigns_on_one_port_the_higher_priority_is_sent_first_and_equal_ones_take_turns() {
    let mut b = open();
    let mut low = batch(Uuid::now_v7(), 0, 10);
    low.priority = 1;
    let mut high = batch(Uuid::now_v7(), 0, 10);
    high.priority = 5;
    for (i, item) in high.items.iter_mut().enumerate() {
        item.to = format!("+3370000{i:04}");
    }
    b.db.campaign_take(&low, 0, "g").unwrap();
    b.db.campaign_take(&high, 0, "g").unwrap();
    assert_eq!(step(&mut b).released, 10, "only the higher campaign");
    let first = send_queued(&mut b);
    assert!(first.iter().all(|to| to.starts_with("+33700")), "{first:?}");
    assert_eq!(step(&mut b).released, 10, "then the lower one");
    assert!(
        send_queued(&mut b)
            .iter()
            .all(|to| to.starts_with("+33612"))
    );

    // Equal priorities share the port's fast window: half each.
    let mut c = open();
    let a = batch(Uuid::now_v7(), 0, 40);
    let mut d = batch(Uuid::now_v7(), 0, 40);
    for (i, item) in d.items.iter_mut().enumerate() {
        item.to = format!("+3370000{i:04}");
    }
    c.db.campaign_take(&a, 0, "g").unwrap();
    c.db.campaign_take(&d, 0, "g").unwrap();
    assert_eq!(step(&mut c).released, 32);
    let sent = send_queued(&mut c);
    let of_d = sent.iter().filter(|to| to.starts_with("+33700")).count();
    assert_eq!((sent.len() - of_d, of_d), (16, 16));
}

#[test]
fn a_replayed_batch_adds_nothing_and_nothing_is_sent_twice() {
    let mut b = open();
    let c = Uuid::now_v7();
    let bt = batch(c, 0, 5);
    b.db.campaign_take(&bt, 0, "g").unwrap();
    step(&mut b);
    assert_eq!(send_queued(&mut b).len(), 5);
    let again = b.db.campaign_take(&bt, 0, "g").unwrap();
    assert_eq!((again.added, again.known), (0, 5));
    assert_eq!(step(&mut b).released, 0);
    assert!(send_queued(&mut b).is_empty());
}

#[test]
fn with_an_interval_the_next_recipient_waits_for_the_previous_send_and_the_interval() {
    let mut b = open();
    let c = Uuid::now_v7();
    b.db.campaign_take(&batch(c, 2000, 3), 0, "g").unwrap();
    assert_eq!(step(&mut b).released, 1);
    assert_eq!(step(&mut b).released, 0, "the first is still queued");
    assert_eq!(send_queued(&mut b).len(), 1);
    let pass = step(&mut b);
    assert_eq!(pass.released, 0, "the interval has not passed");
    assert_eq!(pass.next_due, Some(t0() + Duration::milliseconds(2000)));
    b.clock.advance(Duration::milliseconds(2000));
    assert_eq!(step(&mut b).released, 1);
}

#[test]
fn nothing_is_released_outside_the_windows() {
    let mut b = open();
    let c = Uuid::now_v7();
    b.db.campaign_take(&batch(c, 0, 3), 0, "g").unwrap();
    b.clock.advance(Duration::hours(1));
    let pass = step(&mut b);
    assert_eq!(pass.released, 0, "the window ended");
    assert_eq!(pass.next_due, None);
    assert!(send_queued(&mut b).is_empty());
}

#[test]
fn a_halt_withdraws_what_is_held_and_cancels_what_no_port_took_reporting_each_cancelled() {
    let mut b = open();
    let c = Uuid::now_v7();
    let bt = batch(c, 0, 40);
    b.db.campaign_take(&bt, 0, "g").unwrap();
    step(&mut b);
    // One port takes one message and is sending it.
    let sending = b.db.claim_next("g", 0).unwrap().unwrap();
    reports(&mut b);
    let halted = b.db.campaign_halt(c).unwrap();
    assert_eq!((halted.withdrawn, halted.cancelled), (8, 31));
    assert_eq!(step(&mut b).released, 0, "halted");
    let r = reports(&mut b);
    assert_eq!(r.len(), 39);
    assert!(r.iter().all(|(_, s)| *s == wire::SendState::Cancelled));
    // The one being sent finishes normally.
    b.db.mark_sent(
        sending.id,
        &[SentPart {
            seq: 1,
            port: 0,
            reference: 2,
        }],
    )
    .unwrap();
    assert_eq!(reports(&mut b).len(), 1);
    // A new batch after a resume lifts the halt.
    b.db.campaign_take(&batch(c, 0, 2), 0, "g").unwrap();
    assert_eq!(step(&mut b).released, 2);
}

#[test]
fn what_is_held_past_the_validity_is_reported_failed_and_never_sent() {
    let mut b = open();
    let c = Uuid::now_v7();
    let mut bt = batch(c, 0, 3);
    bt.windows[0].until = t0() + Duration::hours(10);
    b.db.campaign_take(&bt, 0, "g").unwrap();
    b.clock.advance(Duration::hours(5));
    assert_eq!(step(&mut b).expired, 3);
    let r = reports(&mut b);
    assert_eq!(r.len(), 3);
    assert!(r.iter().all(|(_, s)| *s == wire::SendState::Failed));
    assert!(send_queued(&mut b).is_empty());
}

#[test]
fn campaign_messages_queue_behind_live_traffic_on_the_port() {
    let mut b = open();
    let c = Uuid::now_v7();
    b.db.campaign_take(&batch(c, 0, 2), 0, "g").unwrap();
    step(&mut b);
    let live =
        b.db.submit(NewMessage::new("+33699999999", "live reply", "g"))
            .unwrap();
    let first = b.db.claim_next("g", 0).unwrap().unwrap();
    assert_eq!(first.id, live.id, "the live reply goes first");
}

/// The statuses the outbox would send up with their refusal: (hub message id, state, refused).
fn refusals(b: &mut Gw) -> Vec<(Uuid, wire::SendState, Option<wire::Refusal>)> {
    let gw = wire::GatewayId::new("gw").unwrap();
    let events = b.db.peek_events(100_000).unwrap();
    let mut out = Vec::new();
    for e in &events {
        if let Some(wire::Up::Status(s)) = translate(&mut b.db, &gw, e).unwrap() {
            out.push((s.message_id, s.state, s.refused));
        }
    }
    out
}

#[test]
fn a_recipient_refused_at_release_is_reported_failed_with_the_list_that_refused_it() {
    let mut b = open();
    let c = Uuid::now_v7();
    let bt = batch(c, 0, 3);
    // Recipient 0 on the gateway's do-not-contact list, recipient 1 opted out at the hub.
    b.db.block_numbers(&[BlockEntry {
        number: bt.items[0].to.clone(),
        campaign: None,
    }])
    .unwrap();
    b.db.apply_opt_out_sync(&wire::OptOutSync {
        id: Uuid::now_v7(),
        v: 3,
        tenant: Uuid::now_v7(),
        replace: true,
        from_version: 0,
        to_version: 1,
        ports: vec!["0".into()],
        country: Some("FR".into()),
        changes: vec![wire::OptOutChange {
            number: bt.items[1].to.clone(),
            added: true,
        }],
    })
    .unwrap();
    b.db.campaign_take(&bt, 0, "g").unwrap();
    assert_eq!(step(&mut b).released, 3);
    assert_eq!(
        send_queued(&mut b),
        vec![bt.items[2].to.clone()],
        "only the third is sent"
    );
    let r = refusals(&mut b);
    let of = |i: usize| {
        r.iter()
            .filter(|(id, ..)| *id == bt.items[i].message_id)
            .map(|(_, s, why)| (*s, *why))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(0),
        vec![(wire::SendState::Failed, Some(wire::Refusal::DoNotContact))]
    );
    assert_eq!(
        of(1),
        vec![(wire::SendState::Failed, Some(wire::Refusal::OptedOut))]
    );
    assert_eq!(
        of(2),
        vec![
            (wire::SendState::Queued, None),
            (wire::SendState::Sent, None)
        ],
        "a recipient sent is never reported refused"
    );
}

/// The runner task over a real spool thread, woken by the spool's news and the injected clock.
struct Running {
    spool: Spool,
    clock: Arc<ManualClock>,
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn start_runner() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let spool = Spool::open_with_clock(&dir.path().join("spool.sqlite"), clock.clone()).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(campaign::run(spool.clone(), clock.clone(), stop.clone()));
    Running {
        spool,
        clock,
        stop,
        task,
        _dir: dir,
    }
}

impl Running {
    async fn released(&self, c: Uuid) -> u64 {
        let counts = self
            .spool
            .call(move |db| db.campaign_item_counts(c))
            .await
            .unwrap();
        counts
            .iter()
            .filter(|(s, _)| s == "released" || s == "done")
            .map(|(_, n)| *n)
            .sum()
    }

    /// Waits (at most 5 s of real time) until `n` recipients of `c` were released.
    async fn until_released(&self, c: Uuid, n: u64) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let got = self.released(c).await;
            if got == n {
                return;
            }
            assert!(got < n, "released {got}, more than {n}");
            assert!(
                tokio::time::Instant::now() < deadline,
                "released {got}, not {n}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Stays at `n` released for a while (nothing should wake it meanwhile).
    async fn stays_released(&self, c: Uuid, n: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(self.released(c).await, n);
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

#[tokio::test]
async fn the_runner_releases_a_batch_as_soon_as_it_is_stored() {
    let r = start_runner();
    let c = Uuid::now_v7();
    let bt = batch(c, 0, 5);
    r.spool
        .call(move |db| db.campaign_take(&bt, 0, "g"))
        .await
        .unwrap();
    r.until_released(c, 5).await;
    r.stop().await;
}

#[tokio::test]
async fn the_runner_releases_the_next_recipient_when_a_released_one_leaves_the_queue() {
    let r = start_runner();
    let c = Uuid::now_v7();
    let bt = batch(c, 0, 40);
    r.spool
        .call(move |db| db.campaign_take(&bt, 0, "g"))
        .await
        .unwrap();
    r.until_released(c, 32).await;
    r.stays_released(c, 32).await;
    // A port sends one: the message leaves the queue, the runner tops the queue up.
    assert!(send_one(&r.spool).await);
    r.until_released(c, 33).await;
    r.stop().await;
}

#[tokio::test]
async fn the_runner_sleeps_on_the_injected_clock_until_the_window_opens() {
    let r = start_runner();
    let c = Uuid::now_v7();
    let mut bt = batch(c, 0, 3);
    bt.windows = vec![wire::Window {
        from: t0() + Duration::hours(2),
        until: t0() + Duration::hours(3),
    }];
    r.spool
        .call(move |db| db.campaign_take(&bt, 0, "g"))
        .await
        .unwrap();
    r.stays_released(c, 0).await;
    r.clock.advance(Duration::minutes(119));
    r.stays_released(c, 0).await;
    r.clock.advance(Duration::minutes(1));
    r.until_released(c, 3).await;
    r.stop().await;
}

#[tokio::test]
async fn with_an_interval_the_runner_waits_on_the_clock_for_the_interval_after_the_send() {
    let r = start_runner();
    let c = Uuid::now_v7();
    let bt = batch(c, 60_000, 2);
    r.spool
        .call(move |db| db.campaign_take(&bt, 0, "g"))
        .await
        .unwrap();
    r.until_released(c, 1).await;
    assert!(send_one(&r.spool).await);
    r.stays_released(c, 1).await;
    r.clock.advance(Duration::seconds(60));
    r.until_released(c, 2).await;
    r.stop().await;
}

async fn send_one(spool: &Spool) -> bool {
    spool
        .call(|db| {
            let Some(m) = db.claim_next("g", 0)? else {
                return Ok(false);
            };
            db.mark_sent(
                m.id,
                &[SentPart {
                    seq: 1,
                    port: 0,
                    reference: 1,
                }],
            )?;
            Ok(true)
        })
        .await
        .unwrap()
}

// --- the interval between sends, and halts half-way (issue 12: a campaign stopped half-way in
// CI still delivered everything)

#[test]
fn with_an_interval_the_next_recipient_waits_the_interval_after_the_previous_send_not_its_release()
{
    let mut b = open();
    let c = Uuid::now_v7();
    b.db.campaign_take(&batch(c, 4000, 3), 0, "g").unwrap();
    assert_eq!(step(&mut b).released, 1);
    // It waits 3.9 s in the port's queue (live traffic first, the port's own pace)…
    b.clock.advance(Duration::milliseconds(3900));
    assert_eq!(send_queued(&mut b).len(), 1);
    // …so 4 s after its release is only 0.1 s after its send: too early.
    b.clock.advance(Duration::milliseconds(100));
    let pass = step(&mut b);
    assert_eq!(pass.released, 0, "0.1 s after the previous send");
    assert_eq!(pass.next_due, Some(t0() + Duration::milliseconds(7900)));
    b.clock.advance(Duration::milliseconds(3899));
    assert_eq!(step(&mut b).released, 0);
    b.clock.advance(Duration::milliseconds(1));
    assert_eq!(step(&mut b).released, 1, "4 s after the previous send");
}

#[tokio::test]
async fn a_stop_half_way_through_an_interval_campaign_sends_nothing_more_once_the_halt_is_applied()
{
    let r = start_runner();
    let c = Uuid::now_v7();
    let bt = batch(c, 4000, 6);
    r.spool
        .call(move |db| db.campaign_take(&bt, 0, "g"))
        .await
        .unwrap();
    // Two sent 4 s apart, the third released into the queue and not yet on the air.
    for n in 1..=3 {
        r.until_released(c, n).await;
        if n < 3 {
            assert!(send_one(&r.spool).await);
            r.clock.advance(Duration::seconds(4));
        }
    }
    let halted = r.spool.call(move |db| db.campaign_halt(c)).await.unwrap();
    assert_eq!((halted.withdrawn, halted.cancelled), (3, 1));
    // However long the runner runs afterwards, no port finds anything of it to send.
    for _ in 0..5 {
        r.clock.advance(Duration::seconds(60));
        r.stays_released(c, 2).await;
        assert!(!send_one(&r.spool).await, "a message after the halt");
    }
    r.stop().await;
}

#[tokio::test]
async fn a_halt_leaves_a_message_on_the_air_to_finish_and_nothing_after_it() {
    let r = start_runner();
    let c = Uuid::now_v7();
    let bt = batch(c, 4000, 4);
    r.spool
        .call(move |db| db.campaign_take(&bt, 0, "g"))
        .await
        .unwrap();
    r.until_released(c, 1).await;
    // A port took it: it is being sent when the halt comes.
    let on_air = r
        .spool
        .call(|db| db.claim_next("g", 0))
        .await
        .unwrap()
        .unwrap();
    let halted = r.spool.call(move |db| db.campaign_halt(c)).await.unwrap();
    assert_eq!((halted.withdrawn, halted.cancelled), (3, 0));
    r.spool
        .call(move |db| {
            db.mark_sent(
                on_air.id,
                &[SentPart {
                    seq: 1,
                    port: 0,
                    reference: 9,
                }],
            )
        })
        .await
        .unwrap();
    r.clock.advance(Duration::seconds(60));
    r.stays_released(c, 1).await;
    assert!(!send_one(&r.spool).await);
    r.stop().await;
}

#[tokio::test]
async fn a_pause_at_interval_zero_empties_the_ports_queue_at_once_and_nothing_new_comes_within_a_second()
 {
    let r = start_runner();
    let c = Uuid::now_v7();
    let bt = batch(c, 0, 100);
    r.spool
        .call(move |db| db.campaign_take(&bt, 0, "g"))
        .await
        .unwrap();
    r.until_released(c, 32).await;
    assert!(send_one(&r.spool).await);
    r.until_released(c, 33).await;
    let halted = r.spool.call(move |db| db.campaign_halt(c)).await.unwrap();
    assert_eq!(halted.withdrawn + halted.cancelled, 99);
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(1) {
        assert!(!send_one(&r.spool).await, "a message after the pause");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let counts = r
        .spool
        .call(move |db| db.campaign_item_counts(c))
        .await
        .unwrap();
    assert_eq!(
        counts,
        vec![("done".to_owned(), 1), ("withdrawn".to_owned(), 99)]
    );
    r.stop().await;
}
