//! Webhooks (issue 15) on a real hub (SQLite file, the library's `ManualClock`) with a real
//! receiver on 127.0.0.1 that verifies every signature: events arrive signed, a failing
//! endpoint is retried with backoff as the clock moves and given up after a day, a failing
//! conversation holds only its own later events, a dead endpoint never holds up ingest, a
//! restart loses no queued delivery, a stop does not wait for a hanging endpoint; status
//! changes, assignments, closes and opt-out changes reach the endpoints that asked.
//! (Managing endpoints: `webhook_endpoints.rs`; campaigns: `webhook_campaigns.rs`.)
#![allow(clippy::unwrap_used)]

mod floor_support;
mod webhook_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Duration;
use floor_support::*;
use smsgate_cloud::hub::conversations::TransferTo;
use smsgate_cloud::model::*;
use smsgate_cloud::store::PageRequest;
use smsgate_cloud::store::sqlite::SqliteStore;
use smsgate_cloud::webhooks::{DeliveryState, Endpoint, EventType, WebhookSettings, sign};
use smsgate_cloud::{Clock, Hub, HubSettings};
use tokio_util::sync::CancellationToken;
use webhook_support::{Receiver, create_endpoint as create};

fn worker(hub: &Hub) -> CancellationToken {
    let stop = CancellationToken::new();
    tokio::spawn(
        hub.clone()
            .run_webhooks(WebhookSettings::default(), stop.clone()),
    );
    stop
}

fn deliveries(f: &Floor, e: &Endpoint) -> Vec<smsgate_cloud::webhooks::Delivery> {
    f.hub
        .webhook_deliveries(&f.admin, e.id, &PageRequest::all())
        .unwrap()
        .items
}

/// Waits (real time, bounded) until the delivery log satisfies `ok`.
async fn log_until(
    f: &Floor,
    e: &Endpoint,
    what: &str,
    ok: impl Fn(&[smsgate_cloud::webhooks::Delivery]) -> bool,
) -> Vec<smsgate_cloud::webhooks::Delivery> {
    for _ in 0..400 {
        let d = deliveries(f, e);
        if ok(&d) {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}: {:#?}", deliveries(f, e));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_message_arrives_signed_and_a_replay_of_it_is_refused() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    rx.set_secret(&secret);
    let _stop = worker(&f.hub);
    let i = f.inbound("+447700900001", "Hello");
    let got = rx.until("the event", |r| r.len() == 1).await;
    let r = &got[0];
    assert!(r.verified, "the signature checks out: {r:?}");
    assert_eq!(r.answered, 200);
    assert_eq!(r.event_type(), "message.received");
    assert_eq!(r.text(), "Hello");
    assert_eq!(r.event["tenant"], serde_json::json!(f.tenant.id));
    assert_eq!(
        r.event["data"]["message"]["interaction_id"],
        serde_json::json!(i.id)
    );
    assert_eq!(r.event["id"].as_str(), Some(r.id.as_str()));
    assert!(r.event["occurred_at"].is_string());
    assert_eq!(r.timestamp, f.clock.now().timestamp().to_string());
    // The documented check refuses the captured request ten minutes on, and a forged body.
    let later = f.clock.now().timestamp() + 600;
    assert_eq!(
        sign::verify(
            &secret,
            &r.timestamp,
            &r.signature,
            &r.body,
            later,
            sign::DEFAULT_TOLERANCE_SECS
        ),
        Err(sign::VerifyError::Stale)
    );
    assert_eq!(
        sign::verify(
            &secret,
            &r.timestamp,
            &r.signature,
            b"{\"forged\":1}",
            f.clock.now().timestamp(),
            300
        ),
        Err(sign::VerifyError::Mismatch)
    );
    let log = log_until(&f, &e, "delivered", |d| {
        d.len() == 1 && d[0].state == DeliveryState::Delivered
    })
    .await;
    assert_eq!(log[0].attempts, 1);
    assert_eq!(log[0].log[0].status, Some(200));
    assert_eq!(log[0].interaction_id, Some(i.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_is_retried_with_backoff_as_the_clock_moves() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    rx.set_secret(&secret);
    let failing = Arc::new(AtomicBool::new(true));
    let flag = failing.clone();
    rx.respond(move |_| {
        if flag.load(Ordering::SeqCst) {
            500
        } else {
            200
        }
    });
    let _stop = worker(&f.hub);
    f.inbound("+447700900001", "retry me");
    let log = log_until(&f, &e, "the first attempt", |d| {
        d.first().is_some_and(|d| d.attempts == 1)
    })
    .await;
    let d = &log[0];
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(d.log[0].status, Some(500));
    assert_eq!(d.log[0].error.as_deref(), Some("answered HTTP 500"));
    // The first retry waits between half and all of the 10 s base.
    let wait = d.next_attempt_at.unwrap() - f.clock.now();
    assert!(
        wait >= Duration::seconds(5) && wait <= Duration::seconds(10),
        "{wait}"
    );
    failing.store(false, Ordering::SeqCst);
    f.clock.advance(Duration::seconds(10));
    let got = rx.until("the retry", |r| r.len() == 2).await;
    assert!(got.iter().all(|r| r.verified));
    assert_eq!(got[0].id, got[1].id, "a retry carries the same event id");
    assert_eq!((got[0].answered, got[1].answered), (500, 200));
    let log = log_until(&f, &e, "delivered", |d| {
        d[0].state == DeliveryState::Delivered
    })
    .await;
    assert_eq!(log[0].attempts, 2);
    assert_eq!(
        log[0].log.iter().map(|a| a.status).collect::<Vec<_>>(),
        vec![Some(500), Some(200)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_retried_for_a_day_before_it_is_given_up() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    rx.set_secret(&secret);
    rx.respond(|_| 503);
    let _stop = worker(&f.hub);
    let queued_at = f.clock.now();
    f.inbound("+447700900001", "never");
    let mut seen = 0;
    // An hour at a time: the capped backoff is at most an hour.
    for hour in 1..=26 {
        log_until(&f, &e, "an attempt", |d| {
            d.first()
                .is_some_and(|d| d.attempts > seen || d.state != DeliveryState::Pending)
        })
        .await;
        let d = &deliveries(&f, &e)[0];
        seen = d.attempts;
        if hour <= 24 {
            assert_eq!(
                d.state,
                DeliveryState::Pending,
                "still retried after {hour} h"
            );
        }
        if d.state == DeliveryState::Failed {
            break;
        }
        f.clock.advance(Duration::hours(1));
    }
    let d = &deliveries(&f, &e)[0];
    assert_eq!(d.state, DeliveryState::Failed);
    assert!(d.next_attempt_at.is_none());
    let last = d.log.last().unwrap();
    assert!(
        last.at - queued_at >= Duration::hours(24),
        "gave up at {}",
        last.at
    );
    assert!(d.attempts >= 24, "{} attempts", d.attempts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_conversation_holds_only_its_own_later_events() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    rx.set_secret(&secret);
    let a_fails = Arc::new(AtomicBool::new(true));
    let flag = a_fails.clone();
    rx.respond(move |ev| {
        let text = ev["data"]["message"]["text"].as_str().unwrap_or("");
        if text.starts_with('A') && flag.load(Ordering::SeqCst) {
            500
        } else {
            200
        }
    });
    let _stop = worker(&f.hub);
    f.inbound("+447700900001", "A1");
    f.inbound("+447700900001", "A2");
    f.inbound("+447700900002", "B1");
    f.inbound("+447700900002", "B2");
    f.inbound("+447700900002", "B3");
    let got = rx
        .until("B's three events", |r| {
            r.iter().filter(|r| r.text().starts_with('B')).count() == 3
        })
        .await;
    let b: Vec<_> = got
        .iter()
        .filter(|r| r.text().starts_with('B'))
        .map(|r| r.text().to_owned())
        .collect();
    assert_eq!(b, ["B1", "B2", "B3"], "B flows, in order, while A fails");
    let a: Vec<_> = got
        .iter()
        .filter(|r| r.text().starts_with('A'))
        .map(|r| r.text().to_owned())
        .collect();
    assert!(a.iter().all(|t| t == "A1"), "A2 waits behind A1: {a:?}");
    assert!(!a.is_empty());
    a_fails.store(false, Ordering::SeqCst);
    f.clock.advance(Duration::minutes(5));
    rx.until("A's events", |r| r.iter().any(|r| r.text() == "A2"))
        .await;
    let accepted: Vec<_> = rx.accepted().iter().map(|r| r.text().to_owned()).collect();
    let a_order: Vec<_> = accepted
        .iter()
        .filter(|t| t.starts_with('A'))
        .cloned()
        .collect();
    assert_eq!(a_order, ["A1", "A2"]);
    assert!(rx.received().iter().all(|r| r.verified));
    let log = log_until(&f, &e, "all delivered", |d| {
        d.iter().all(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    assert_eq!(log.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_does_not_hold_up_ingest() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    rx.set_secret(&secret);
    rx.hold(true);
    let _stop = worker(&f.hub);
    f.inbound("+447700900001", "m0");
    // The endpoint has the first request and does not answer it.
    rx.until("the first request to hang", |_| rx.seen() >= 1)
        .await;
    for n in 1..20 {
        f.inbound(&format!("+4477009001{n:02}"), &format!("m{n}"));
    }
    // Every message is stored and routed while the endpoint still answered nothing.
    let convs = f.hub.interactions(&f.admin, None).unwrap();
    assert_eq!(convs.len(), 20);
    assert!(rx.received().is_empty(), "no request has been answered yet");
    rx.hold(false);
    let log = log_until(&f, &e, "all 20 delivered", |d| {
        d.len() == 20 && d.iter().all(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    assert_eq!(log.len(), 20);
    assert!(rx.received().iter().all(|r| r.verified));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_deliveries_survive_a_hub_restart_and_go_out_in_order() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    rx.set_secret(&secret);
    rx.respond(|_| 500);
    let stop = worker(&f.hub);
    for t in ["one", "two", "three"] {
        f.inbound("+447700900001", t);
    }
    log_until(&f, &e, "three queued, one tried", |d| {
        d.len() == 3 && d.iter().any(|d| d.attempts == 1)
    })
    .await;
    stop.cancel();
    let Floor {
        dir,
        hub,
        clock,
        admin,
        ..
    } = f;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    drop(hub);
    // A new hub on the same file.
    let store = SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap();
    let settings = HubSettings {
        password_cost: smsgate_cloud::secrets::PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..HubSettings::default()
    };
    let hub = Hub::new(Box::new(store), Arc::new(clock.clone()), settings).unwrap();
    let pending = hub
        .webhook_deliveries(&admin, e.id, &PageRequest::all())
        .unwrap()
        .items;
    assert_eq!(pending.len(), 3);
    assert!(pending.iter().all(|d| d.state == DeliveryState::Pending));
    rx.respond(|_| 200);
    let _stop = worker(&hub);
    clock.advance(Duration::minutes(1));
    rx.until("all three", |_| rx.accepted().len() == 3).await;
    let texts: Vec<_> = rx.accepted().iter().map(|r| r.text().to_owned()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    assert!(rx.received().iter().all(|r| r.verified));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignments_closes_and_status_changes_are_sent_to_the_endpoints_that_asked() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (_, secret) = create(
        &f.hub,
        &f.admin,
        &rx.url(),
        &[
            EventType::ConversationAssigned,
            EventType::ConversationClosed,
        ],
    );
    rx.set_secret(&secret);
    let _stop = worker(&f.hub);
    let i = f.inbound("+447700900001", "Hi");
    let agent = f.agent1.user_id().unwrap();
    f.hub
        .transfer(&f.admin, i.id, TransferTo::User(agent))
        .unwrap();
    f.hub
        .set_interaction_status(&f.admin, i.id, InteractionStatus::Closed)
        .unwrap();
    let got = rx.until("assigned and closed", |r| r.len() == 2).await;
    let types: Vec<_> = got.iter().map(|r| r.event_type().to_owned()).collect();
    assert_eq!(types, ["conversation.assigned", "conversation.closed"]);
    assert_eq!(
        got[0].event["data"]["interaction"]["assignee_id"],
        serde_json::json!(agent)
    );
    assert!(got.iter().all(|r| r.verified));
}

fn status(f: &Floor, message_id: uuid::Uuid, state: smsgate_wire::SendState) {
    f.hub
        .gateway_ingest()
        .ingest(
            &f.gw,
            smsgate_wire::Up::Status(smsgate_wire::Status {
                id: uuid::Uuid::now_v7(),
                v: 4,
                message_id,
                state,
                reference: None,
                evidence: None,
                refused: None,
                error: None,
                at: f.clock.now(),
            }),
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_and_opt_out_changes_reach_the_endpoint_with_what_changed() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (_, secret) = create(
        &f.hub,
        &f.admin,
        &rx.url(),
        &[EventType::MessageStatusChanged, EventType::OptOutChanged],
    );
    rx.set_secret(&secret);
    let _stop = worker(&f.hub);
    let m = f
        .hub
        .send(
            &f.admin,
            smsgate_cloud::hub::SendRequest {
                channel: Some(f.channel.id),
                to: "+447700900009".into(),
                text: "Your order shipped".into(),
                campaign: None,
                agent: None,
            },
        )
        .unwrap();
    status(&f, m.id, smsgate_wire::SendState::Sent);
    // The same state again (a repeated report) is no change.
    status(&f, m.id, smsgate_wire::SendState::Sent);
    f.hub
        .add_opt_out(&f.admin, None, "+447700900010", None)
        .unwrap();
    f.hub
        .add_opt_out(&f.admin, None, "+447700900011", None)
        .unwrap();
    let got = rx
        .until("the status and the two opt-outs", |r| {
            r.iter().any(|r| r.event_type() == "message.status_changed")
                && r.iter()
                    .filter(|r| r.event_type() == "opt_out.changed")
                    .map(|r| r.event["data"]["changes"].as_array().map_or(0, Vec::len))
                    .sum::<usize>()
                    >= 2
        })
        .await;
    let states: Vec<_> = got
        .iter()
        .filter(|r| r.event_type() == "message.status_changed")
        .map(|r| {
            r.event["data"]["message"]["state"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(!states.is_empty());
    let mut deduped = states.clone();
    deduped.dedup();
    assert_eq!(states, deduped, "each state told once: {states:?}");
    assert_eq!(states.last().map(String::as_str), Some("sent"));
    let numbers: Vec<_> = got
        .iter()
        .filter(|r| r.event_type() == "opt_out.changed")
        .flat_map(|r| r.event["data"]["changes"].as_array().unwrap().clone())
        .map(|c| {
            (
                c["number"].as_str().unwrap().to_owned(),
                c["added"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        numbers,
        [
            ("+447700900010".to_owned(), true),
            ("+447700900011".to_owned(), true)
        ],
        "each change told once, in order"
    );
    assert!(got.iter().all(|r| r.verified));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_does_not_wait_for_a_hanging_endpoint_and_the_delivery_goes_out_after_it() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    rx.set_secret(&secret);
    rx.hold(true);
    let stop = CancellationToken::new();
    let running = tokio::spawn(
        f.hub
            .clone()
            .run_webhooks(WebhookSettings::default(), stop.clone()),
    );
    f.inbound("+447700900001", "held");
    rx.until("the request to hang", |_| rx.seen() >= 1).await;
    stop.cancel();
    running.await.unwrap();
    // Stopped with the request unanswered: no attempt was logged (none timed out), it waits.
    let d = &deliveries(&f, &e)[0];
    assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 0));
    rx.hold(false);
    let _stop = worker(&f.hub);
    log_until(&f, &e, "delivered after the restart", |d| {
        d.first()
            .is_some_and(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    assert!(rx.accepted().iter().any(|r| r.text() == "held"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_with_a_backlog_holds_only_its_share_of_the_worker() {
    let f = floor();
    let dead = Receiver::start(f.clock.clone()).await;
    let live = Receiver::start(f.clock.clone()).await;
    let (_, s1) = create(&f.hub, &f.admin, &dead.url(), &[EventType::MessageReceived]);
    let (_, s2) = create(
        &f.hub,
        &f.admin,
        &live.url(),
        &[EventType::ConversationClosed],
    );
    dead.set_secret(&s1);
    live.set_secret(&s2);
    dead.hold(true);
    let stop = CancellationToken::new();
    let settings = WebhookSettings {
        concurrency: 4,
        per_endpoint: 2,
        ..WebhookSettings::default()
    };
    tokio::spawn(f.hub.clone().run_webhooks(settings, stop.clone()));
    // Ten conversations queue for the dead endpoint: more than the worker's four slots.
    let mut first = None;
    for n in 0..10 {
        let i = f.inbound(&format!("+4477009002{n:02}"), "hello");
        first.get_or_insert(i);
    }
    dead.until("the dead endpoint's share", |_| dead.seen() >= 2)
        .await;
    f.hub
        .set_interaction_status(&f.admin, first.unwrap().id, InteractionStatus::Closed)
        .unwrap();
    // The other endpoint gets its event while the dead one still holds its requests.
    let got = live.until("the close", |r| !r.is_empty()).await;
    assert_eq!(got[0].event_type(), "conversation.closed");
    assert!(got[0].verified);
    assert!(
        dead.received().is_empty(),
        "the dead endpoint answered nothing"
    );
    assert_eq!(dead.seen(), 2, "at most its share in flight");
    dead.hold(false);
    dead.until("the backlog", |_| dead.accepted().len() == 10)
        .await;
    stop.cancel();
}
