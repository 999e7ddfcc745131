//! Issue 13, the supervisor's hand on the floor, on a real SQLite hub with the clock moved by
//! hand: logging an agent out (who may, whom, what ends, what is audited), the order of the
//! customers waiting, and which opening hours answer (the channel's before the queue's).
#![allow(clippy::unwrap_used)]

mod floor_support;

use chrono::Duration;
use floor_support::*;
use smsgate_cloud::floor::hours::{Day, Interval, OpeningHours};
use smsgate_cloud::floor::records::QueueRouting;
use smsgate_cloud::hub::events::StreamItem;
use smsgate_cloud::store::PageRequest;

#[tokio::test]
async fn a_manager_logs_an_agent_out_of_every_session_and_stream_but_not_a_colleague_nor_themselves_and_it_is_audited()
 {
    let f = floor();
    // Alice has the portal open on two devices.
    let (laptop, _) = f.hub.login("agent1", PW).unwrap();
    let (phone, _) = f.hub.login("agent1", PW).unwrap();
    let alice = f.hub.authenticate(&laptop).unwrap();
    let mut stream = f.hub.events(&alice).unwrap();
    let alice_id = alice.user_id().unwrap();

    // An agent may not log a colleague out; a manager may not log out a tenant admin or
    // themselves.
    assert!(f.hub.log_agent_out(&f.agent2, alice_id).is_err());
    let admin_id = f.admin.user_id().unwrap();
    let err = f.hub.log_agent_out(&f.manager, admin_id).unwrap_err();
    assert!(err.to_string().starts_with("user:"), "{err}");
    let err = f
        .hub
        .log_agent_out(&f.manager, f.manager.user_id().unwrap())
        .unwrap_err();
    assert!(err.to_string().starts_with("user:"), "{err}");
    assert!(
        f.hub.authenticate(&laptop).is_ok(),
        "refusals change nothing"
    );

    f.hub.log_agent_out(&f.manager, alice_id).unwrap();
    assert!(
        f.hub.authenticate(&laptop).is_err(),
        "the laptop's session ended"
    );
    assert!(
        f.hub.authenticate(&phone).is_err(),
        "the phone's session ended"
    );
    // Her open stream ends at once: whatever was queued may come, then nothing.
    f.inbound("+33613000001", "after the logout");
    while let Some(item) = stream.next().await {
        if let StreamItem::Event(e) = item {
            assert_ne!(
                e.name(),
                "message_created",
                "nothing after the logout: {e:?}"
            );
        }
    }
    assert!(stream.is_ended());
    // Bob, not logged out, still works.
    assert!(f.hub.interactions(&f.agent2, None).is_ok());
    // She may log in again.
    assert!(f.hub.login("agent1", PW).is_ok());

    let audit = f
        .hub
        .audit_log(&f.admin, &Default::default(), &PageRequest::default())
        .unwrap();
    let entry = audit
        .items
        .iter()
        .find(|e| e.action == "logged_out" && e.target == "user")
        .expect("the logout is audited");
    assert_eq!(entry.target_id, Some(alice_id.to_string()));
    assert_eq!(entry.actor_id, f.manager.user_id());
    assert_eq!(
        audit
            .items
            .iter()
            .filter(|e| e.action == "logged_out")
            .count(),
        1,
        "the refused attempts left no entry"
    );
}

#[tokio::test]
async fn the_customers_waiting_are_listed_longest_waiting_first() {
    let f = floor();
    let c1 = f.inbound("+33614000001", "first");
    f.clock.advance(Duration::minutes(3));
    let c2 = f.inbound("+33614000002", "second");
    f.clock.advance(Duration::minutes(2));
    let c3 = f.inbound("+33614000003", "third");
    // The second customer writes again: still waiting since their first message.
    f.clock.advance(Duration::minutes(1));
    f.inbound("+33614000002", "hello?");
    let view = f.hub.floor_view(&f.manager, None, None).unwrap();
    let order: Vec<_> = view.waiting.iter().map(|w| w.interaction_id).collect();
    assert_eq!(order, vec![c1.id, c2.id, c3.id]);
    // Answered, the first leaves the list.
    f.hub.reply(&f.agent1, c1.id, "On it.").unwrap();
    let view = f.hub.floor_view(&f.manager, None, None).unwrap();
    let order: Vec<_> = view.waiting.iter().map(|w| w.interaction_id).collect();
    assert_eq!(order, vec![c2.id, c3.id]);
}

fn closed(reply: &str) -> OpeningHours {
    OpeningHours {
        timezone: "Europe/Paris".into(),
        // Sundays only: the test's Monday is outside.
        intervals: vec![Interval {
            day: Day::Sun,
            open: "09:00".into(),
            close: "12:00".into(),
        }],
        reply: reply.into(),
    }
}

#[tokio::test]
async fn a_queue_answers_out_of_hours_with_its_own_reply_when_its_channel_has_none_and_the_channels_hours_come_first()
 {
    let f = floor();
    f.hub
        .set_queue_routing(
            &f.admin,
            f.queue.id,
            QueueRouting {
                hours: Some(closed("The support team is closed.")),
                ..QueueRouting::default()
            },
        )
        .unwrap();
    f.inbound("+33615000001", "hello");
    f.inbound("+33615000001", "again");
    let to = |n: &str| -> Vec<String> {
        f.sends()
            .into_iter()
            .filter(|(to, _)| to == n)
            .map(|(_, t)| t)
            .collect()
    };
    assert_eq!(to("+33615000001"), vec!["The support team is closed."]);
    // The channel's own hours answer before the queue's.
    f.hub
        .set_channel_hours(
            &f.admin,
            f.channel.id,
            Some(closed("This number is closed.")),
        )
        .unwrap();
    f.inbound("+33615000002", "hello");
    assert_eq!(to("+33615000002"), vec!["This number is closed."]);
    // Removed, the queue's answer again.
    f.hub
        .set_channel_hours(&f.admin, f.channel.id, None)
        .unwrap();
    f.inbound("+33615000003", "hello");
    assert_eq!(to("+33615000003"), vec!["The support team is closed."]);
}
