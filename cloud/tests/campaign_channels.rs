//! A campaign over several channels, against a real SQLite hub and its gateway ingest: each
//! live channel gets its share of the waiting recipients; a retired channel gets none and
//! counts in no share.
#![allow(clippy::unwrap_used)]

mod common;

use common::campaigns::*;
use common::*;
use smsgate_cloud::campaigns::CampaignOptions;
use smsgate_cloud::campaigns::ops::{CampaignAction, CampaignInput};
use smsgate_cloud::campaigns::runner::Pacing;
use smsgate_cloud::campaigns::schedule::Schedule;

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
