//! Issue 13, an agent's own presence on a real SQLite hub with the clock moved by hand:
//! away (with a reason) and offline agents get nothing new while their open conversations
//! stay theirs, the monitor shows the reason and the time in state, every change is in the
//! audit log, and the agent report adds up the time away by reason.
#![allow(clippy::unwrap_used)]

mod floor_support;

use chrono::Duration;
use floor_support::*;
use smsgate_cloud::floor::agents::AgentState;
use smsgate_cloud::floor::assign::{ChosenStatus, Strategy};
use smsgate_cloud::floor::presence::AwayReason;
use smsgate_cloud::floor::records::*;
use smsgate_cloud::hub::HubError;
use smsgate_cloud::model::*;
use smsgate_cloud::store::PageRequest;

fn round_robin(f: &Floor) {
    f.hub
        .set_queue_routing(
            &f.admin,
            f.queue.id,
            QueueRouting {
                strategy: Strategy::RoundRobin,
                max_active: None,
                hours: None,
            },
        )
        .unwrap();
}

#[tokio::test]
async fn an_away_agent_gets_nothing_new_and_keeps_the_conversations_already_theirs() {
    let f = floor();
    round_robin(&f);
    let (a1, a2) = (f.agent1.user_id().unwrap(), f.agent2.user_id().unwrap());
    let _s1 = f.hub.events(&f.agent1).unwrap();
    let _s2 = f.hub.events(&f.agent2).unwrap();
    let mine = f.inbound("+33613000001", "first");
    assert_eq!(mine.assignee_id, Some(a1));
    // Alice goes to lunch: the next two go to Bob, hers stays hers.
    let me = f
        .hub
        .set_my_status(&f.agent1, ChosenStatus::Away, Some(AwayReason::Lunch))
        .unwrap();
    assert_eq!(
        (me.state, me.reason),
        (AgentState::Away, Some(AwayReason::Lunch))
    );
    let c2 = f.inbound("+33613000002", "second");
    let c3 = f.inbound("+33613000003", "third");
    assert_eq!((c2.assignee_id, c3.assignee_id), (Some(a2), Some(a2)));
    assert_eq!(
        f.hub.interaction(&f.admin, mine.id).unwrap().assignee_id,
        Some(a1),
        "an away agent's open conversation stays theirs"
    );
    // She can still answer it.
    f.hub.reply(&f.agent1, mine.id, "back in a bit").unwrap();
    // Bob signs off with the portal open: nobody takes new work, it waits.
    f.hub
        .set_my_status(&f.agent2, ChosenStatus::Offline, None)
        .unwrap();
    let c4 = f.inbound("+33613000004", "fourth");
    assert_eq!(c4.assignee_id, None, "it waits in the queue");
    let view = f.hub.floor_view(&f.manager, None, None).unwrap();
    let row = |u| view.agents.iter().find(|a| a.floor.user_id == u).unwrap();
    assert_eq!(row(a1).floor.state, AgentState::Away);
    assert_eq!(row(a1).floor.reason, Some(AwayReason::Lunch));
    assert_eq!(row(a2).floor.state, AgentState::Offline);
    assert_eq!(row(a2).floor.active, 2, "Bob keeps his two");
    // Alice is back: the waiting one is hers.
    f.hub
        .set_my_status(&f.agent1, ChosenStatus::Available, None)
        .unwrap();
    assert_eq!(f.hub.dispatch_tenant(f.tenant.id).unwrap(), 1);
    assert_eq!(
        f.hub.interaction(&f.admin, c4.id).unwrap().assignee_id,
        Some(a1)
    );
}

#[tokio::test]
async fn a_reason_without_away_is_refused_naming_the_field() {
    let f = floor();
    let err = f
        .hub
        .set_my_status(&f.agent1, ChosenStatus::Available, Some(AwayReason::Break))
        .unwrap_err();
    assert!(
        matches!(err, HubError::Invalid { ref field, .. } if field == "reason"),
        "{err:?}"
    );
    // Nothing half-applied: no audit entry, still available.
    let audit = f
        .hub
        .audit_log(&f.admin, &Default::default(), &PageRequest::default())
        .unwrap();
    assert!(!audit.items.iter().any(|e| e.target == "presence"));
}

#[tokio::test]
async fn presence_changes_are_audited_and_the_report_adds_up_the_time_away_by_reason() {
    let f = floor();
    let t0 = start();
    let at = |m: i64| f.clock.set(t0 + Duration::minutes(m));
    let a1 = f.agent1.user_id().unwrap();
    let _s1 = f.hub.events(&f.agent1).unwrap();
    // 10:00 break, 10:15 back, 12:00 lunch, 12:45 training, 13:30 back, 17:00 signs off.
    at(0);
    f.hub
        .set_my_status(&f.agent1, ChosenStatus::Away, Some(AwayReason::Break))
        .unwrap();
    at(15);
    f.hub
        .set_my_status(&f.agent1, ChosenStatus::Available, None)
        .unwrap();
    at(120);
    f.hub
        .set_my_status(&f.agent1, ChosenStatus::Away, Some(AwayReason::Lunch))
        .unwrap();
    at(165);
    // The monitor's time in state restarts when the reason changes.
    let before = f.hub.floor_view(&f.manager, None, None).unwrap();
    let since = |v: &smsgate_cloud::hub::floor::FloorView| {
        v.agents
            .iter()
            .find(|a| a.floor.user_id == a1)
            .unwrap()
            .floor
            .since
    };
    assert_eq!(since(&before), t0 + Duration::minutes(120));
    f.hub
        .set_my_status(&f.agent1, ChosenStatus::Away, Some(AwayReason::Training))
        .unwrap();
    let after = f.hub.floor_view(&f.manager, None, None).unwrap();
    assert_eq!(since(&after), t0 + Duration::minutes(165));
    at(210);
    f.hub
        .set_my_status(&f.agent1, ChosenStatus::Available, None)
        .unwrap();
    at(420);
    f.hub
        .set_my_status(&f.agent1, ChosenStatus::Offline, None)
        .unwrap();
    at(480);
    // Audited, newest first, with the reason in words.
    let audit = f
        .hub
        .audit_log(&f.admin, &Default::default(), &PageRequest::default())
        .unwrap();
    let details: Vec<&str> = audit
        .items
        .iter()
        .filter(|e| e.target == "presence" && e.action == "changed")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(
        details,
        vec![
            "offline",
            "available",
            "away (training)",
            "away (lunch)",
            "available",
            "away (break)"
        ]
    );
    assert!(
        audit
            .items
            .iter()
            .filter(|e| e.target == "presence")
            .all(|e| e.actor_id == Some(a1) && e.target_id == Some(a1.to_string()))
    );
    // The report of the day: break 15 min, lunch 45, training 45 → 105 min away; signed
    // off 17:00 → 18:00 (now).
    let tz: chrono_tz::Tz = "UTC".parse().unwrap();
    let from = t0 - Duration::hours(10);
    let to = t0 + Duration::hours(14);
    let r = f.hub.report(&f.manager, None, from, to, tz).unwrap();
    let alice = r.agents.iter().find(|a| a.id == a1).unwrap();
    assert_eq!(alice.away_s, 105 * 60);
    let by: Vec<(Option<AwayReason>, i64)> = alice
        .away_by_reason
        .iter()
        .map(|x| (x.reason, x.seconds))
        .collect();
    assert_eq!(
        by,
        vec![
            (Some(AwayReason::Lunch), 45 * 60),
            (Some(AwayReason::Training), 45 * 60),
            (Some(AwayReason::Break), 15 * 60),
        ]
    );
    assert_eq!(alice.offline_s, 60 * 60);
    // A range that starts during lunch counts from its start.
    let r = f
        .hub
        .report(
            &f.manager,
            None,
            t0 + Duration::minutes(150),
            t0 + Duration::minutes(180),
            tz,
        )
        .unwrap();
    let alice = r.agents.iter().find(|a| a.id == a1).unwrap();
    assert_eq!(alice.away_s, 30 * 60, "15 of lunch + 15 of training");
    // The export carries the columns.
    let csv = smsgate_cloud::hub::reports::export::csv(
        &f.hub.report(&f.manager, None, from, to, tz).unwrap(),
        smsgate_cloud::hub::reports::export::Table::Agents,
    )
    .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.lines().next().unwrap().contains("away_lunch_s"),
        "{text}"
    );
    let _ = InteractionStatus::Open;
}
