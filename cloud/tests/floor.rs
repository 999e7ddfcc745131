//! Issue 13 on a real SQLite hub with the clock moved by hand: queue strategies applied,
//! out-of-hours replies, notifications (recording mailer), notes and labels, reports against a
//! seeded history whose answers are computed here, the XLSX read back with calamine and the
//! transcript read back with pdftotext.
#![allow(clippy::unwrap_used)]

mod floor_support;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::Duration;
use floor_support::*;
use smsgate_cloud::floor::assign::{ChosenStatus, Strategy};
use smsgate_cloud::floor::hours::OpeningHours;
use smsgate_cloud::floor::records::*;
use smsgate_cloud::hub::TransferTo;
use smsgate_cloud::hub::notifications::mailer::RecordingMailer;
use smsgate_cloud::hub::reports::export;
use smsgate_cloud::model::*;
use smsgate_cloud::store::{InteractionFilter, PageRequest};
use smsgate_wire as wire;
use uuid::Uuid;

#[tokio::test]
async fn round_robin_hands_out_to_online_agents_up_to_their_limit_and_the_rest_wait() {
    let f = floor();
    f.hub
        .set_queue_routing(
            &f.admin,
            f.queue.id,
            QueueRouting {
                strategy: Strategy::RoundRobin,
                max_active: Some(1),
                hours: None,
            },
        )
        .unwrap();
    let a1 = f.agent1.user_id().unwrap();
    let a2 = f.agent2.user_id().unwrap();
    // Both agents have the portal open.
    let _s1 = f.hub.events(&f.agent1).unwrap();
    let _s2 = f.hub.events(&f.agent2).unwrap();
    let c1 = f.inbound("+33611000001", "one");
    let c2 = f.inbound("+33611000002", "two");
    let c3 = f.inbound("+33611000003", "three");
    assert_eq!(c1.assignee_id, Some(a1));
    assert_eq!(c2.assignee_id, Some(a2));
    assert_eq!(
        c3.assignee_id, None,
        "both at their limit: it waits in the queue"
    );
    // The floor shows both busy and the customer waiting.
    let view = f.hub.floor_view(&f.manager, None, None).unwrap();
    let state = |u| {
        view.agents
            .iter()
            .find(|a| a.floor.user_id == u)
            .unwrap()
            .floor
            .state
    };
    assert_eq!(state(a1), smsgate_cloud::floor::agents::AgentState::Busy);
    assert_eq!(view.waiting.len(), 3);
    assert_eq!(view.waiting[0].interaction_id, c1.id, "longest first");
    // Alice closes hers: the waiting one goes to her.
    f.hub
        .set_interaction_status(&f.agent1, c1.id, InteractionStatus::Closed)
        .unwrap();
    assert_eq!(f.hub.dispatch_tenant(f.tenant.id).unwrap(), 1);
    assert_eq!(
        f.hub.interaction(&f.admin, c3.id).unwrap().assignee_id,
        Some(a1)
    );
    // Bob takes a break: nothing more for him even when free.
    f.hub
        .set_my_status(&f.agent2, ChosenStatus::Away, None)
        .unwrap();
    f.hub
        .set_interaction_status(&f.agent2, c2.id, InteractionStatus::Closed)
        .unwrap();
    let c4 = f.inbound("+33611000004", "four");
    assert_eq!(c4.assignee_id, None);
    let view = f.hub.floor_view(&f.manager, None, None).unwrap();
    let bob = view.agents.iter().find(|a| a.floor.user_id == a2).unwrap();
    assert_eq!(
        bob.floor.state,
        smsgate_cloud::floor::agents::AgentState::Away
    );
    assert_eq!(bob.floor.completed_today, 1);
    // The supervisor takes it over; an agent may not.
    assert!(f.hub.take_over(&f.agent1, c4.id).is_err());
    let taken = f.hub.take_over(&f.manager, c4.id).unwrap();
    assert_eq!(taken.assignee_id, f.manager.user_id());
    let audit = f
        .hub
        .audit_log(&f.admin, &Default::default(), &PageRequest::default())
        .unwrap();
    assert!(
        audit.items.iter().any(|e| e.action == "took_over"),
        "{:?}",
        audit.items
    );
    assert!(
        audit
            .items
            .iter()
            .any(|e| e.action == "changed" && e.target == "queue_routing")
    );
}

#[tokio::test]
async fn an_out_of_hours_reply_is_sent_once_per_conversation() {
    let f = floor();
    f.hub
        .set_channel_hours(
            &f.admin,
            f.channel.id,
            Some(OpeningHours {
                timezone: "Europe/Paris".into(),
                // Monday 09:00–10:30 Paris = 08:00–09:30 UTC: the test's 10:00 UTC is after.
                intervals: vec![smsgate_cloud::floor::hours::Interval {
                    day: smsgate_cloud::floor::hours::Day::Mon,
                    open: "09:00".into(),
                    close: "10:30".into(),
                }],
                reply: "We are closed; we answer from 9:00.".into(),
            }),
        )
        .unwrap();
    f.inbound("+33612000001", "hello?");
    f.inbound("+33612000001", "anyone?");
    let replies: Vec<_> = f
        .sends()
        .into_iter()
        .filter(|(to, _)| to == "+33612000001")
        .collect();
    assert_eq!(
        replies,
        vec![(
            "+33612000001".to_owned(),
            "We are closed; we answer from 9:00.".to_owned()
        )]
    );
    // Another conversation gets its own, once.
    f.inbound("+33612000002", "hi");
    assert_eq!(f.sends().len(), 2);
    // The reply is not a response: the conversation still waits.
    let i = f.hub.interactions(&f.admin, None).unwrap();
    assert!(i.iter().all(|i| i.status == InteractionStatus::Waiting));
    // A bad hours field is named.
    let err = f
        .hub
        .set_channel_hours(
            &f.admin,
            f.channel.id,
            Some(OpeningHours {
                timezone: "Nowhere/City".into(),
                intervals: vec![],
                reply: "x".into(),
            }),
        )
        .unwrap_err();
    assert!(err.to_string().starts_with("hours.timezone:"), "{err}");
}

fn settings(f: &Floor) -> NotificationSettings {
    NotificationSettings {
        enabled: true,
        sms: true,
        email: true,
        include_count: true,
        delay_minutes: 10,
        text: "Customers are waiting".into(),
        recipients: vec![
            Recipient {
                name: "Nadia".into(),
                number: Some("+33 6 11 11 00 00".into()),
                email: Some("nadia@example.com".into()),
            },
            Recipient {
                name: "Sam".into(),
                number: Some("+33622220000".into()),
                email: None,
            },
        ],
        channel_id: Some(f.notify_channel.id),
        escalations: vec![Escalation {
            after_minutes: 30,
            audience: Audience::TenantAdmins,
        }],
        quiet_hours: None,
    }
}

#[tokio::test]
async fn after_the_delay_recipients_are_told_once_with_the_count_and_a_conversation_read_in_time_is_left_out()
 {
    let f = floor();
    let mailer = RecordingMailer::new();
    f.hub
        .set_notification_settings(&f.admin, None, settings(&f))
        .unwrap();
    f.hub
        .set_notify_contact(
            &f.admin,
            f.admin.user_id().unwrap(),
            Some("ada@example.com".into()),
            None,
        )
        .unwrap();
    let t0 = start();
    f.inbound("+33613000001", "one");
    f.inbound("+33613000002", "two");
    let read = f.inbound("+33613000003", "three");
    f.clock.advance(Duration::minutes(5));
    f.hub.mark_read(&f.admin, read.id, true).unwrap();
    f.clock.advance(Duration::minutes(4));
    let next = f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert!(mailer.sent().is_empty(), "9 minutes: not yet");
    assert_eq!(
        next,
        Some(t0 + Duration::minutes(10)),
        "the scheduler wakes at the delay"
    );
    f.clock.advance(Duration::minutes(1));
    let next = f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    let mails = mailer.sent();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, "nadia@example.com");
    assert!(
        mails[0].subject.contains("2 interactions waiting"),
        "{}",
        mails[0].subject
    );
    let texts: Vec<_> = f
        .sends()
        .into_iter()
        .filter(|(to, _)| to.starts_with("+3361111") || to.starts_with("+3362222"))
        .collect();
    assert_eq!(
        texts.len(),
        2,
        "Nadia and Sam get the SMS (Sam has no e-mail: no error)"
    );
    assert!(
        texts
            .iter()
            .all(|(_, t)| t == "Customers are waiting (2 interactions waiting)"),
        "{texts:?}"
    );
    assert_eq!(
        next,
        Some(t0 + Duration::minutes(30)),
        "next: the escalation"
    );
    // Not again for the same conversations.
    f.clock.advance(Duration::minutes(5));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert_eq!(mailer.sent().len(), 1);
    // The escalation reaches the tenant admin's contact.
    f.clock.advance(Duration::minutes(15));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    let mails = mailer.sent();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].to, "ada@example.com");
    // A refused e-mail shows as refused in the log with the server's answer.
    mailer.refuse_with(Some("535 5.7.8 Authentication credentials invalid"));
    f.inbound("+33613000004", "four");
    f.clock.advance(Duration::minutes(10));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    let log = f
        .hub
        .notification_log(&f.admin, None, &PageRequest::default())
        .unwrap()
        .items;
    let refused = log
        .iter()
        .find(|e| e.medium == Medium::Email && e.status == DeliveryStatus::Refused)
        .unwrap();
    assert_eq!(
        refused.detail.as_deref(),
        Some("535 5.7.8 Authentication credentials invalid")
    );
    assert_eq!(
        refused.count, 3,
        "two old ones still waiting and the new one"
    );
    assert!(
        log.iter()
            .any(|e| e.medium == Medium::Sms && e.status == DeliveryStatus::Queued)
    );
    assert!(
        log.iter()
            .any(|e| e.medium == Medium::Email && e.status == DeliveryStatus::Accepted)
    );
    // A bad settings field is named.
    let mut bad = settings(&f);
    bad.recipients[1].email = Some("not-an-address".into());
    let err = f
        .hub
        .set_notification_settings(&f.admin, None, bad)
        .unwrap_err();
    assert!(err.to_string().starts_with("recipients[1].email:"), "{err}");
    let mut bad = settings(&f);
    bad.delay_minutes = 3;
    assert!(
        f.hub
            .set_notification_settings(&f.admin, None, bad)
            .unwrap_err()
            .to_string()
            .starts_with("delay_minutes:")
    );
}

#[tokio::test]
async fn nothing_is_sent_when_every_conversation_was_read_in_time() {
    let f = floor();
    let mailer = RecordingMailer::new();
    f.hub
        .set_notification_settings(&f.admin, None, settings(&f))
        .unwrap();
    let i = f.inbound("+33614000001", "hello");
    f.clock.advance(Duration::minutes(9));
    f.hub.mark_read(&f.agent1, i.id, true).unwrap();
    f.clock.advance(Duration::minutes(60));
    assert_eq!(
        f.hub.send_due_notifications(Some(&mailer)).await.unwrap(),
        None
    );
    assert!(mailer.sent().is_empty());
    assert!(f.sends().is_empty());
    // Read, then the customer writes again: a new episode, notified after its own delay.
    f.inbound("+33614000001", "still there?");
    f.clock.advance(Duration::minutes(10));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert_eq!(mailer.sent().len(), 1);
    assert!(mailer.sent()[0].subject.contains("1 interaction waiting"));
}

#[tokio::test]
async fn notes_are_never_sent_and_labels_filter_conversations() {
    let f = floor();
    let i = f.inbound("+33615000001", "my parcel");
    let before = f.sends().len();
    let note = f
        .hub
        .add_note(&f.agent1, i.id, "Customer is a VIP, call back")
        .unwrap();
    assert_eq!(f.sends().len(), before, "a note never reaches the gateway");
    assert_eq!(f.hub.notes(&f.manager, i.id).unwrap(), vec![note]);
    assert!(
        f.hub
            .interaction_messages(&f.admin, i.id)
            .unwrap()
            .iter()
            .all(|m| !m.text.contains("VIP"))
    );
    let labels = f
        .hub
        .set_labels(
            &f.agent1,
            i.id,
            vec!["vip".into(), " VIP ".into(), "parcel".into()],
        )
        .unwrap();
    assert_eq!(labels, vec!["parcel".to_owned(), "vip".to_owned()]);
    f.inbound("+33615000002", "other");
    let page = f
        .hub
        .list_interactions(
            &f.admin,
            &InteractionFilter {
                label: Some("VIP".into()),
                ..Default::default()
            },
            &PageRequest::default(),
        )
        .unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|i| i.contact_number.as_str())
            .collect::<Vec<_>>(),
        vec!["+33615000001"]
    );
    let counts = f.hub.labels(&f.admin, None).unwrap();
    assert_eq!(counts.len(), 2);
    let err = f
        .hub
        .set_labels(&f.agent1, i.id, vec!["x".repeat(40)])
        .unwrap_err();
    assert!(err.to_string().starts_with("labels[0]:"), "{err}");
    // Canned replies: the tenant's and the queue's apply to the conversation.
    f.hub
        .create_canned_reply(
            &f.manager,
            smsgate_cloud::hub::canned::CannedInput {
                org: None,
                queue_id: None,
                title: "Hello".into(),
                text: "Hello, how can we help?".into(),
            },
        )
        .unwrap();
    f.hub
        .create_canned_reply(
            &f.admin,
            smsgate_cloud::hub::canned::CannedInput {
                org: None,
                queue_id: Some(f.queue.id),
                title: "Parcel delay".into(),
                text: "Your parcel ships today.".into(),
            },
        )
        .unwrap();
    assert_eq!(
        f.hub
            .canned_replies(&f.agent1, Some(i.id), None, None)
            .unwrap()
            .len(),
        2
    );
    let found = f
        .hub
        .canned_replies(&f.agent1, Some(i.id), None, Some("ships"))
        .unwrap();
    assert_eq!(
        found.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        vec!["Parcel delay"]
    );
    assert!(
        f.hub
            .create_canned_reply(
                &f.agent1,
                smsgate_cloud::hub::canned::CannedInput {
                    org: None,
                    queue_id: None,
                    title: "x".into(),
                    text: "y".into()
                }
            )
            .is_err(),
        "agents do not manage them"
    );
}

/// The seeded history and its answers, computed by hand below.
#[tokio::test]
async fn report_figures_match_a_seeded_history_and_export_as_xlsx_csv_and_pdf() {
    let f = floor();
    let t0 = start();
    let at = |m: i64| f.clock.set(t0 + Duration::minutes(m));
    let ingest = |up: wire::Up| {
        f.hub.gateway_ingest().ingest(&f.gw, up).unwrap();
    };
    // c1: 10:00 in, 10:02 Alice answers (delivered), 10:20 Alice (assigned) closes.
    let c1 = f.inbound("+33600000001", "where is my order");
    f.hub
        .transfer(
            &f.admin,
            c1.id,
            TransferTo::User(f.agent1.user_id().unwrap()),
        )
        .unwrap();
    at(2);
    let r1 = f.hub.reply(&f.agent1, c1.id, "It ships today").unwrap();
    ingest(wire::Up::Dlr(wire::Delivery {
        id: Uuid::now_v7(),
        v: 1,
        message_id: r1.id,
        state: wire::DeliveryState::Delivered,
        at: f.hub.now_public(),
        evidence: None,
    }));
    at(20);
    f.hub
        .set_interaction_status(&f.agent1, c1.id, InteractionStatus::Closed)
        .unwrap();
    // c2: 10:05 in, transferred to Bob at 10:06, 10:15 Bob answers (fails), 11:05 Bob closes.
    at(5);
    let c2 = f.inbound("+33600000002", "refund please");
    at(6);
    f.hub
        .transfer(
            &f.admin,
            c2.id,
            TransferTo::User(f.agent2.user_id().unwrap()),
        )
        .unwrap();
    at(15);
    let r2 = f.hub.reply(&f.agent2, c2.id, "Refund on its way").unwrap();
    ingest(wire::Up::Status(wire::Status {
        id: Uuid::now_v7(),
        v: 1,
        message_id: r2.id,
        state: wire::SendState::Failed,
        reference: None,
        error: Some("CMS ERROR 38: network out of order".into()),
        evidence: None,
        refused: None,
        at: f.hub.now_public(),
    }));
    f.hub
        .add_note(&f.agent2, c2.id, "Refund approved by Max")
        .unwrap();
    at(65);
    f.hub
        .set_interaction_status(&f.agent2, c2.id, InteractionStatus::Closed)
        .unwrap();
    // c3: 10:30 in, never answered (still waiting at 11:30). c4: 10:40 STOP.
    at(30);
    f.inbound("+33600000003", "hello?");
    at(40);
    f.inbound("+33600000004", "STOP");
    at(90);

    // The answers, by hand.
    let received = 4;
    let sent = 2;
    let frts = [2 * 60, (15 - 5) * 60]; // c1: 10:00→10:02; c2: 10:05→10:15
    let resolutions = [20 * 60, (65 - 5) * 60]; // c1: 10:00→10:20; c2: 10:05→11:05
    // Unseen longer than 10 minutes: c3 (10:30→now 11:30) and c4 (10:40→11:30); c1 2 min and
    // c2 (10:05→10:15, the answer) stay under.
    let waited_too_long = 2;

    let tz: chrono_tz::Tz = "UTC".parse().unwrap();
    let (from, to) = smsgate_cloud::hub::reports::resolve_range(
        tz,
        f.hub.now_public(),
        Some(smsgate_cloud::hub::reports::QuickRange::Today),
        None,
        None,
    )
    .unwrap();
    let r = f.hub.report(&f.manager, None, from, to, tz).unwrap();
    let t = &r.totals;
    assert_eq!((t.received, t.sent, t.conversations), (received, sent, 4));
    assert_eq!((t.delivered, t.failed), (1, 1));
    assert_eq!(t.delivery_rate, Some(0.5));
    assert_eq!(
        (t.first_response.median_s, t.first_response.p90_s),
        (Some(frts[0]), Some(frts[1]))
    );
    assert_eq!(
        (t.resolution.median_s, t.resolution.p90_s),
        (Some(resolutions[0]), Some(resolutions[1]))
    );
    assert_eq!(t.waited_too_long, waited_too_long);
    assert_eq!((t.opt_outs, t.opt_ins), (1, 0));
    assert_eq!(r.days.len(), 1);
    assert_eq!((r.days[0].received, r.days[0].sent), (4, 2));
    assert_eq!(r.queues[0].name, "Support");
    assert_eq!((r.queues[0].received, r.queues[0].sent), (4, 2));
    let alice = r.agents.iter().find(|a| a.name == "Alice Agent").unwrap();
    assert_eq!(
        (alice.sent, alice.closed, alice.first_response.median_s),
        (1, 1, Some(120))
    );
    let bob = r.agents.iter().find(|a| a.name == "Bob Agent").unwrap();
    assert_eq!(
        (bob.sent, bob.closed, bob.first_response.median_s),
        (1, 1, Some(600))
    );
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].reason, "CMS ERROR 38: network out of order");
    // Agents may not read reports.
    assert!(f.hub.report(&f.agent1, None, from, to, tz).is_err());

    // XLSX read back with calamine.
    let bytes = export::xlsx(&r).unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "summary", "days", "channels", "queues", "agents", "failures"
        ]
    );
    let summary = book.worksheet_range("summary").unwrap();
    let value = |name: &str| {
        summary
            .rows()
            .find(|row| matches!(row.first(), Some(Data::String(s)) if s == name))
            .and_then(|row| row.get(1).cloned())
    };
    assert_eq!(value("received"), Some(Data::Float(4.0)));
    assert_eq!(value("delivery_rate"), Some(Data::Float(0.5)));
    assert_eq!(value("first_response_p90_s"), Some(Data::Float(600.0)));
    assert_eq!(value("waited_over_10_min"), Some(Data::Float(2.0)));
    let agents = book.worksheet_range("agents").unwrap();
    assert_eq!(
        agents.get((1, 0)).map(|c| c.to_string()),
        Some("Alice Agent".into())
    );
    // CSV of one table.
    let csv = String::from_utf8(export::csv(&r, export::Table::Days).unwrap()).unwrap();
    assert_eq!(csv, format!("day,received,sent\n{},4,2\n", r.days[0].day));

    // The transcript, read back as text by an independent program.
    let pdf = f
        .hub
        .transcript_pdf(&f.manager, c2.id, "Europe/Paris".parse().unwrap())
        .unwrap();
    let path = f.dir.path().join("t.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (Debian poppler-utils; scripts/test-all installs it)");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Conversation transcript",
        "Tenant: Acme",
        "Channel: +33700000001",
        "+33600000002",
        "refund please",
        "Refund on its way",
        "failed",
        "CMS ERROR 38",
        "INTERNAL NOTE by Bob Agent",
        "Refund approved by Max",
        "CET",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}
