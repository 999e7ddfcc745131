//! The notification scheduler's escalations and quiet hours on a real hub (SQLite file, the
//! library's `ManualClock`, the recording mailer): after X minutes each queue's managers hear
//! about their own queue only, after Y the tenant admins about everything; a manager with no
//! contact is skipped without error; quiet hours (in the tenant's zone) hold every level back
//! until they end, then each level goes out once.
#![allow(clippy::unwrap_used)]

mod floor_support;

use chrono::Duration;
use floor_support::*;
use smsgate_cloud::authz::Actor;
use smsgate_cloud::floor::hours::QuietHours;
use smsgate_cloud::floor::records::*;
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::hub::conversations::TransferTo;
use smsgate_cloud::hub::notifications::mailer::RecordingMailer;
use smsgate_cloud::model::*;

fn settings(f: &Floor) -> NotificationSettings {
    NotificationSettings {
        enabled: true,
        sms: true,
        email: true,
        include_count: true,
        delay_minutes: 5,
        text: "Customers are waiting".into(),
        recipients: vec![Recipient {
            name: "Nadia".into(),
            number: None,
            email: Some("nadia@example.com".into()),
        }],
        channel_id: Some(f.notify_channel.id),
        escalations: vec![
            Escalation {
                after_minutes: 15,
                audience: Audience::QueueManagers,
            },
            Escalation {
                after_minutes: 30,
                audience: Audience::TenantAdmins,
            },
        ],
        quiet_hours: None,
    }
}

/// (to, subject) of every mail so far.
fn sent(m: &RecordingMailer) -> Vec<(String, String)> {
    m.sent().into_iter().map(|m| (m.to, m.subject)).collect()
}

/// A second queue, Sales, with its own manager Mia (no member of Support).
fn sales(f: &Floor) -> (Queue, Actor) {
    let mia = f
        .hub
        .create_user(
            &f.admin,
            NewUser {
                org_id: Some(f.tenant.id),
                login: "mia".into(),
                name: "Mia Manager".into(),
                role: Role::Manager,
                password: PW.into(),
            },
        )
        .unwrap();
    let q = f
        .hub
        .create_queue(
            &f.admin,
            None,
            "Sales",
            "",
            vec![QueueMember {
                user_id: mia.id,
                role: QueueRole::Manager,
            }],
        )
        .unwrap();
    (q, login(&f.hub, "mia"))
}

#[tokio::test]
async fn each_queues_managers_hear_about_their_own_queue_then_the_admins_about_everything() {
    let f = floor();
    let (sales_q, mia) = sales(&f);
    let mailer = RecordingMailer::new();
    f.hub
        .set_notification_settings(&f.admin, None, settings(&f))
        .unwrap();
    let contact = |who: &Actor, email: &str, mobile: Option<&str>| {
        f.hub
            .set_notify_contact(
                &f.admin,
                who.user_id().unwrap(),
                Some(email.into()),
                mobile.map(str::to_owned),
            )
            .unwrap();
    };
    contact(&f.manager, "max@example.com", Some("+33633330000"));
    contact(&mia, "mia@example.com", None);
    contact(&f.admin, "ada@example.com", None);
    // Agents are not escalation contacts: refused, naming the field.
    let err = f
        .hub
        .set_notify_contact(
            &f.admin,
            f.agent1.user_id().unwrap(),
            Some("alice@example.com".into()),
            None,
        )
        .unwrap_err();
    assert!(err.to_string().starts_with("user:"), "{err}");

    // t0: two customers in Support, one moved to Sales.
    f.inbound("+33617000001", "one");
    f.inbound("+33617000002", "two");
    let s = f.inbound("+33617000003", "three");
    f.hub
        .transfer(&f.admin, s.id, TransferTo::Queue(sales_q.id))
        .unwrap();

    f.clock.advance(Duration::minutes(5));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert_eq!(
        sent(&mailer),
        vec![(
            "nadia@example.com".into(),
            "[Acme] 3 interactions waiting".into()
        )],
        "level 0: the recipient list"
    );

    // t0+15: each queue's managers, with their own queue's count.
    f.clock.advance(Duration::minutes(10));
    let next = f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    let mut level1 = sent(&mailer)[1..].to_vec();
    level1.sort();
    assert_eq!(
        level1,
        vec![
            (
                "max@example.com".into(),
                "[Acme] 2 interactions waiting".into()
            ),
            (
                "mia@example.com".into(),
                "[Acme] 1 interaction waiting".into()
            ),
        ]
    );
    assert_eq!(next, Some(start() + Duration::minutes(30)));
    // Max's mobile gets the SMS; Mia has none (no error); Ada is not told yet.
    let sms: Vec<_> = f
        .sends()
        .into_iter()
        .filter(|(to, _)| to == "+33633330000")
        .collect();
    assert_eq!(
        sms,
        vec![(
            "+33633330000".into(),
            "Customers are waiting (2 interactions waiting)".into()
        )]
    );

    // t0+16: a fourth customer in Support; at t0+21 the recipients hear of all four. At
    // t0+30 the admins hear about the three waiting longer than 30 minutes; the queue
    // managers hear nothing new.
    f.clock.advance(Duration::minutes(1));
    f.inbound("+33617000004", "four");
    f.clock.advance(Duration::minutes(5));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert_eq!(
        sent(&mailer)[3..].to_vec(),
        vec![(
            "nadia@example.com".into(),
            "[Acme] 4 interactions waiting".into()
        )]
    );
    f.clock.advance(Duration::minutes(9));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert_eq!(
        sent(&mailer)[4..].to_vec(),
        vec![(
            "ada@example.com".into(),
            "[Acme] 3 interactions waiting".into()
        )]
    );
    // t0+31: the fourth one passed 15 minutes: Support's managers again, counting all three of
    // theirs; Sales' manager has nothing new and hears nothing.
    f.clock.advance(Duration::minutes(1));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    let tail = sent(&mailer)[5..].to_vec();
    assert!(
        tail.contains(&(
            "max@example.com".into(),
            "[Acme] 3 interactions waiting".into()
        )),
        "{tail:?}"
    );
    assert!(
        tail.iter().all(|(to, _)| to != "mia@example.com"),
        "{tail:?}"
    );
    let log = f
        .hub
        .notification_log(&f.admin, None, &Default::default())
        .unwrap()
        .items;
    let levels: Vec<(u32, &str)> = log
        .iter()
        .filter(|e| e.medium == Medium::Email)
        .map(|e| (e.level, e.address.as_str()))
        .collect();
    for want in [
        (0, "nadia@example.com"),
        (1, "max@example.com"),
        (1, "mia@example.com"),
        (2, "ada@example.com"),
    ] {
        assert!(levels.contains(&want), "{want:?} not in {levels:?}");
    }
}

#[tokio::test]
async fn quiet_hours_in_the_tenants_zone_hold_every_level_back_until_they_end() {
    let f = floor();
    let mailer = RecordingMailer::new();
    let mut s = settings(&f);
    // start() is 10:00 UTC on a Monday in November: 11:00 in Paris. Quiet 11:03 → 11:30
    // Paris, i.e. 10:03 → 10:30 UTC.
    s.quiet_hours = Some(QuietHours {
        timezone: "Europe/Paris".into(),
        start: "11:03".into(),
        end: "11:30".into(),
    });
    f.hub
        .set_notification_settings(&f.admin, None, s.clone())
        .unwrap();
    f.hub
        .set_notify_contact(
            &f.admin,
            f.manager.user_id().unwrap(),
            Some("max@example.com".into()),
            None,
        )
        .unwrap();
    f.inbound("+33618000001", "one");
    f.clock.advance(Duration::minutes(5));
    let next = f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert!(mailer.sent().is_empty(), "10:05 UTC: quiet");
    assert_eq!(
        next,
        Some(start() + Duration::minutes(30)),
        "wakes at 11:30 Paris"
    );
    f.clock.advance(Duration::minutes(20));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert!(
        mailer.sent().is_empty(),
        "10:25 UTC: still quiet, level 1 due too"
    );
    assert!(f.sends().is_empty());
    f.clock.advance(Duration::minutes(5));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    let mut got = sent(&mailer);
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "max@example.com".into(),
                "[Acme] 1 interaction waiting".into()
            ),
            (
                "nadia@example.com".into(),
                "[Acme] 1 interaction waiting".into()
            ),
        ],
        "at the end: the recipients and the queue managers, once each"
    );
    f.clock.advance(Duration::minutes(1));
    f.hub.send_due_notifications(Some(&mailer)).await.unwrap();
    assert_eq!(mailer.sent().len(), 2, "not again");

    // A bad quiet-hours field is named.
    s.quiet_hours = Some(QuietHours {
        timezone: "Europe/Paris".into(),
        start: "11:00".into(),
        end: "25:00".into(),
    });
    let err = f
        .hub
        .set_notification_settings(&f.admin, None, s.clone())
        .unwrap_err();
    assert!(err.to_string().starts_with("quiet_hours.end:"), "{err}");
    // Escalations must come after the delay and after each other.
    let mut bad = settings(&f);
    bad.escalations[1].after_minutes = 15;
    let err = f
        .hub
        .set_notification_settings(&f.admin, None, bad)
        .unwrap_err();
    assert!(
        err.to_string().starts_with("escalations[1].after_minutes:"),
        "{err}"
    );
}
