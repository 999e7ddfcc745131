//! A campaign over several channels, against a real SQLite hub and its gateway ingest: each
//! live channel gets its share of the waiting recipients; a retired channel gets none and
//! counts in no share; what a channel deleted by force held goes to the campaign's other
//! channels, or fails with the reason when none is left.
#![allow(clippy::unwrap_used)]

mod common;

use common::campaigns::*;
use common::*;
use smsgate_cloud::campaigns::ops::{CampaignAction, CampaignInput};
use smsgate_cloud::campaigns::runner::Pacing;
use smsgate_cloud::campaigns::schedule::Schedule;
use smsgate_cloud::campaigns::{CampaignOptions, CampaignState, RecipientState};
use smsgate_cloud::hub::HubError;
use smsgate_wire as wire;

#[test]
fn a_campaign_over_several_channels_gives_each_channel_its_share_not_the_first_one_all() {
    let w = world();
    speaks_campaigns(&w);
    let extra = second_channel(&w, "usb2", "+33700000003");
    let id =
        w.f.hub
            .create_campaign(
                &w.a.admin,
                CampaignInput {
                    org: None,
                    name: "Shared".into(),
                    channels: vec![w.a.channel.id, extra.id],
                    dial_string: None,
                    template: "Hi {{name}}".into(),
                    schedule: Schedule::default(),
                    interval_ms: 100,
                    priority: 0,
                    options: CampaignOptions::default(),
                },
            )
            .unwrap()
            .campaign
            .id;
    let mut csv = String::from("number,name\n");
    for i in 0..5 {
        csv.push_str(&format!("06000000{i:02},N{i}\n"));
    }
    upload(&w, id, &csv);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 5);
    let b = batches(&take_commands(&w));
    let per_port: Vec<(&str, usize)> = b.iter().map(|b| (b.port.as_str(), b.items.len())).collect();
    assert_eq!(per_port, vec![("usb0", 3), ("usb2", 2)]);
    let mut all: Vec<&str> = b
        .iter()
        .flat_map(|b| b.items.iter().map(|i| i.to.as_str()))
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 5, "each recipient on one channel only");
}

#[test]
fn a_retired_channel_is_given_nothing_and_the_live_channels_share_all_that_waits() {
    let w = world();
    speaks_campaigns(&w);
    let extra = second_channel(&w, "usb2", "+33700000003");
    let third = second_channel(&w, "usb3", "+33700000004");
    let id =
        w.f.hub
            .create_campaign(
                &w.a.admin,
                CampaignInput {
                    org: None,
                    name: "Shared".into(),
                    channels: vec![w.a.channel.id, extra.id, third.id],
                    dial_string: None,
                    template: "Hi {{name}}".into(),
                    schedule: Schedule::default(),
                    interval_ms: 100,
                    priority: 0,
                    options: CampaignOptions::default(),
                },
            )
            .unwrap()
            .campaign
            .id;
    let mut csv = String::from("number,name\n");
    for i in 0..6 {
        csv.push_str(&format!("06000000{i:02},N{i}\n"));
    }
    upload(&w, id, &csv);
    // The middle channel is deleted (retired) after the campaign was set up.
    w.f.hub.retire_channel(&w.root, extra.id, false).unwrap();
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 6);
    let b = batches(&take_commands(&w));
    let per_port: Vec<(&str, usize)> = b.iter().map(|b| (b.port.as_str(), b.items.len())).collect();
    assert_eq!(
        per_port,
        vec![("usb0", 3), ("usb3", 3)],
        "half each for the two live channels, nothing for the retired one"
    );
    let on_retired =
        w.f.hub
            .campaign_recipients(&w.a.admin, id, None, 0, 100)
            .unwrap()
            .into_iter()
            .filter(|r| r.channel_id == Some(extra.id))
            .count();
    assert_eq!(on_retired, 0);
}

#[test]
fn a_dial_string_limits_the_campaign_to_the_channels_on_its_ports_in_its_order() {
    let w = world();
    speaks_campaigns(&w);
    let p5 = second_channel(&w, "5", "+33700000015");
    let p3 = second_channel(&w, "3", "+33700000013");
    let p0 = second_channel(&w, "0", "+33700000010");
    let p1 = second_channel(&w, "1", "+33700000011");
    let input = |dial: &str| CampaignInput {
        org: None,
        name: "Dialer".into(),
        channels: vec![p5.id, p3.id, p0.id, p1.id],
        dial_string: Some(dial.into()),
        template: "Hi {{name}}".into(),
        schedule: Schedule::default(),
        interval_ms: 100,
        priority: 0,
        options: CampaignOptions::default(),
    };
    let refused = |dial: &str| match w.f.hub.create_campaign(&w.a.admin, input(dial)) {
        Err(smsgate_cloud::hub::HubError::Invalid { field, reason }) => (field, reason),
        other => panic!("{dial}: {other:?}"),
    };
    let (field, message) = refused("(3.0)");
    assert_eq!(field, "dial_string");
    assert!(message.contains("goes backwards"), "{message}");
    let (field, message) = refused("7-9");
    assert_eq!(field, "dial_string");
    assert!(message.contains("5, 3, 0, 1"), "{message}");

    let id =
        w.f.hub
            .create_campaign(&w.a.admin, input(" (0.3) "))
            .unwrap();
    assert_eq!(id.campaign.dial_string.as_deref(), Some("(0.3)"));
    let id = id.campaign.id;
    let mut csv = String::from("number,name\n");
    for i in 0..6 {
        csv.push_str(&format!("06000000{i:02},N{i}\n"));
    }
    upload(&w, id, &csv);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    assert_eq!(w.f.hub.campaign_tick(&mut Pacing::new()).unwrap().handed, 6);
    let b = batches(&take_commands(&w));
    let per_port: Vec<(&str, usize)> = b.iter().map(|b| (b.port.as_str(), b.items.len())).collect();
    assert_eq!(
        per_port,
        vec![("0", 2), ("1", 2), ("3", 2)],
        "ports 0-1-(2)-3 in turn; port 5 is outside the dial string"
    );
}

fn shared_campaign(
    w: &World,
    name: &str,
    channels: Vec<uuid::Uuid>,
    interval_ms: u64,
) -> uuid::Uuid {
    w.f.hub
        .create_campaign(
            &w.a.admin,
            CampaignInput {
                org: None,
                name: name.into(),
                channels,
                dial_string: None,
                template: "Hi {{name}}".into(),
                schedule: Schedule::default(),
                interval_ms,
                priority: 0,
                options: CampaignOptions::default(),
            },
        )
        .unwrap()
        .campaign
        .id
}

fn started_with(w: &World, id: uuid::Uuid, n: usize) {
    let mut csv = String::from("number,name\n");
    for i in 0..n {
        csv.push_str(&format!("06000000{i:02},N{i}\n"));
    }
    upload(w, id, &csv);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
}

fn recipients(w: &World, id: uuid::Uuid) -> Vec<smsgate_cloud::campaigns::Recipient> {
    w.f.hub
        .campaign_recipients(&w.a.admin, id, None, 0, 100)
        .unwrap()
}

fn count(w: &World, id: uuid::Uuid, state: RecipientState) -> usize {
    recipients(w, id)
        .iter()
        .filter(|r| r.state == state)
        .count()
}

#[test]
fn a_forced_delete_gives_the_recipients_its_gateway_held_back_to_the_campaigns_other_channel() {
    let w = world();
    speaks_campaigns(&w);
    let other = second_channel(&w, "usb2", "+33700000003");
    let id = shared_campaign(&w, "Shared", vec![w.a.channel.id, other.id], 100);
    started_with(&w, id, 6);
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 6);
    let first = batches(&take_commands(&w));
    let (on_usb0, on_usb2): (Vec<_>, Vec<_>) = first.iter().partition(|b| b.port == "usb0");
    assert_eq!((on_usb0[0].items.len(), on_usb2[0].items.len()), (3, 3));
    // A port already took one of usb0's.
    report(&w, on_usb0[0].items[0].message_id, wire::SendState::Sent);

    // Without force, the delete names what the campaign has queued on it.
    let err =
        w.f.hub
            .retire_channel(&w.root, w.a.channel.id, false)
            .unwrap_err();
    assert!(
        matches!(err, HubError::Conflict(ref m) if m.contains("2 campaign recipient(s) queued on its gateway (campaign Shared)") && m.contains("force")),
        "{err:?}"
    );
    // Deleted by force: one halt of the campaign for its gateway.
    w.f.hub
        .retire_channel(&w.root, w.a.channel.id, true)
        .unwrap();
    let downs = take_commands(&w);
    let halts: Vec<&wire::CampaignHalt> = downs
        .iter()
        .filter_map(|d| match d {
            wire::Down::CampaignHalt(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(halts.len(), 1, "{downs:?}");
    assert_eq!(halts[0].campaign, id);
    // Until the gateway answers, nothing is handed again (it may still send them).
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    assert_eq!(count(&w, id, RecipientState::Queued), 5);
    // The halt withdraws the campaign on every port of that gateway: it reports all it held.
    for item in on_usb0[0].items[1..].iter().chain(&on_usb2[0].items) {
        report(&w, item.message_id, wire::SendState::Cancelled);
    }
    assert_eq!(count(&w, id, RecipientState::ToProcess), 5);
    assert_eq!(count(&w, id, RecipientState::Sent), 1);

    pacing.clear();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 5);
    let again = batches(&take_commands(&w));
    let ports: Vec<(&str, usize)> = again
        .iter()
        .map(|b| (b.port.as_str(), b.items.len()))
        .collect();
    assert_eq!(ports, vec![("usb2", 5)], "all to the channel left");
    let old: Vec<uuid::Uuid> = first
        .iter()
        .flat_map(|b| b.items.iter().map(|i| i.message_id))
        .collect();
    assert!(
        again[0].items.iter().all(|i| !old.contains(&i.message_id)),
        "handed again as new messages"
    );
    assert!(
        !again[0]
            .items
            .iter()
            .any(|i| i.to == on_usb0[0].items[0].to),
        "the one already sent is not sent again"
    );
    for item in &again[0].items {
        report(&w, item.message_id, wire::SendState::Sent);
    }
    assert_eq!(count(&w, id, RecipientState::Sent), 6);
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    assert_eq!(
        w.f.hub.campaign_get(&w.a.admin, id).unwrap().campaign.state,
        CampaignState::Completed
    );
}

#[test]
fn a_campaign_whose_only_channel_is_deleted_fails_what_it_held_with_the_reason_and_completes() {
    let w = world();
    speaks_campaigns(&w);
    let id = shared_campaign(&w, "Alone", vec![w.a.channel.id], 100);
    started_with(&w, id, 3);
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 3);
    let b = batches(&take_commands(&w)).remove(0);
    report(&w, b.items[0].message_id, wire::SendState::Sent);
    w.f.hub
        .retire_channel(&w.root, w.a.channel.id, true)
        .unwrap();
    assert!(
        take_commands(&w)
            .iter()
            .any(|d| matches!(d, wire::Down::CampaignHalt(h) if h.campaign == id))
    );
    // Held by the gateway until it answers: neither failed nor lost.
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    assert_eq!(count(&w, id, RecipientState::Queued), 2);
    for item in &b.items[1..] {
        report(&w, item.message_id, wire::SendState::Cancelled);
    }
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    let rs = recipients(&w, id);
    let got: Vec<(RecipientState, Option<&str>)> =
        rs.iter().map(|r| (r.state, r.reason.as_deref())).collect();
    let why = "no channel of the campaign is left to send it: channel +33700000001 was deleted";
    assert_eq!(
        got,
        vec![
            (RecipientState::Sent, None),
            (RecipientState::Failed, Some(why)),
            (RecipientState::Failed, Some(why)),
        ]
    );
    let view = w.f.hub.campaign_get(&w.a.admin, id).unwrap();
    assert_eq!(view.campaign.state, CampaignState::Completed);
    assert_eq!((view.counters.failed, view.counters.unprocessed()), (2, 0));
    assert!(
        batches(&take_commands(&w)).is_empty(),
        "nothing handed to the deleted channel"
    );
}

#[test]
fn on_a_gateway_without_campaign_batches_a_forced_delete_cancels_each_message_of_that_channel() {
    // Contract version 3: recipients go as `send` commands, taken back one `cancel` each.
    let w = world();
    let other = second_channel(&w, "usb2", "+33700000003");
    let id = shared_campaign(&w, "Older", vec![w.a.channel.id, other.id], 0);
    started_with(&w, id, 4);
    assert_eq!(w.f.hub.campaign_tick(&mut Pacing::new()).unwrap().handed, 4);
    let sends: Vec<wire::Send> = take_commands(&w)
        .into_iter()
        .filter_map(|d| match d {
            wire::Down::Send(s) => Some(s),
            _ => None,
        })
        .collect();
    let on_usb0: Vec<uuid::Uuid> = sends
        .iter()
        .filter(|s| s.port == "usb0")
        .map(|s| s.message_id)
        .collect();
    assert_eq!((on_usb0.len(), sends.len()), (2, 4));
    w.f.hub
        .retire_channel(&w.root, w.a.channel.id, true)
        .unwrap();
    // Acknowledged `applied` (cancelled) as the gateway would.
    let downs = take_commands(&w);
    let mut cancelled: Vec<uuid::Uuid> = downs
        .iter()
        .filter_map(|d| match d {
            wire::Down::Cancel(c) => Some(c.message_id),
            _ => None,
        })
        .collect();
    cancelled.sort_unstable();
    let mut expected = on_usb0.clone();
    expected.sort_unstable();
    assert_eq!(
        cancelled, expected,
        "only the deleted channel's, one cancel each"
    );
    assert!(
        !downs
            .iter()
            .any(|d| matches!(d, wire::Down::CampaignHalt(_)))
    );
    assert_eq!(count(&w, id, RecipientState::ToProcess), 2);
    assert_eq!(w.f.hub.campaign_tick(&mut Pacing::new()).unwrap().handed, 2);
    let again: Vec<String> = take_commands(&w)
        .into_iter()
        .filter_map(|d| match d {
            wire::Down::Send(s) => Some(s.port),
            _ => None,
        })
        .collect();
    assert_eq!(again, vec!["usb2".to_owned(), "usb2".to_owned()]);
}

#[test]
fn a_paused_campaigns_dial_string_is_edited_with_the_checks_of_creation_and_cleared_when_empty() {
    use smsgate_cloud::campaigns::ops::CampaignEdit;
    let w = world();
    speaks_campaigns(&w);
    let p0 = second_channel(&w, "0", "+33700000010");
    let p3 = second_channel(&w, "3", "+33700000013");
    let id = shared_campaign(&w, "Dialer", vec![p0.id, p3.id], 100);
    started_with(&w, id, 2);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Pause)
        .unwrap();
    let edit = |dial: &str| {
        w.f.hub.edit_campaign(
            &w.a.admin,
            id,
            CampaignEdit {
                dial_string: Some(dial.into()),
                ..CampaignEdit::default()
            },
        )
    };
    for (dial, says) in [("(3.0)", "goes backwards"), ("7-9", "0, 3")] {
        match edit(dial) {
            Err(HubError::Invalid { field, reason }) => {
                assert_eq!(field, "dial_string");
                assert!(reason.contains(says), "{dial}: {reason}");
            }
            other => panic!("{dial}: {other:?}"),
        }
    }
    let view = w.f.hub.campaign_get(&w.a.admin, id).unwrap();
    assert_eq!(
        view.campaign.dial_string, None,
        "a refused edit changes nothing"
    );
    assert_eq!(
        edit(" 3 ").unwrap().campaign.dial_string.as_deref(),
        Some("3")
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Resume)
        .unwrap();
    assert_eq!(w.f.hub.campaign_tick(&mut Pacing::new()).unwrap().handed, 2);
    let ports: Vec<String> = batches(&take_commands(&w))
        .into_iter()
        .map(|b| b.port)
        .collect();
    assert_eq!(ports, vec!["3".to_owned()], "only port 3 after the edit");
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Pause)
        .unwrap();
    assert_eq!(
        edit("").unwrap().campaign.dial_string,
        None,
        "empty: every channel"
    );
}
