//! Stopping and pausing a campaign on a version-4 gateway, against a real SQLite hub and its
//! gateway ingest read the way the MQTT link reads it: the link reads a gateway's outbox when
//! the hub says it has news (`subscribe_outbox`) and then forgets the gateway until the next
//! news, so **the halt must be readable when the news arrives**, or it stays unpublished and
//! the gateway goes on sending what it holds. (Issue 12: in CI a campaign stopped half-way
//! still delivered all its recipients.)
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::mpsc;
use std::time::Duration as StdDuration;

use common::campaigns::*;
use common::*;
use smsgate_cloud::campaigns::ops::{CampaignAction, CampaignInput};
use smsgate_cloud::campaigns::runner::Pacing;
use smsgate_cloud::campaigns::schedule::Schedule;
use smsgate_cloud::campaigns::{CampaignOptions, CampaignState, RecipientState};
use smsgate_wire as wire;
use uuid::Uuid;

fn campaign(w: &World, interval_ms: u64) -> Uuid {
    w.f.hub
        .create_campaign(
            &w.a.admin,
            CampaignInput {
                org: None,
                name: "Halt".into(),
                channels: vec![w.a.channel.id],
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

fn status(w: &World, message_id: Uuid, state: wire::SendState) {
    w.f.hub
        .gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Status(wire::Status {
                id: Uuid::now_v7(),
                v: 4,
                message_id,
                state,
                reference: None,
                evidence: None,
                refused: None,
                error: None,
                at: chrono::Utc::now(),
            }),
        )
        .unwrap();
}

fn halts(downs: &[wire::Down]) -> Vec<wire::CampaignHalt> {
    downs
        .iter()
        .filter_map(|d| match d {
            wire::Down::CampaignHalt(h) => Some(h.clone()),
            _ => None,
        })
        .collect()
}

/// Reads the gateway's outbox the moment the hub says it has news, as the link does, and
/// reports the halts each read found.
fn link_reader(w: &World) -> mpsc::Receiver<Vec<wire::CampaignHalt>> {
    let ingest = w.f.hub.gateway_ingest();
    let mut news = ingest.subscribe_outbox();
    let gw = w.gw.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(name) = news.blocking_recv() {
            if name != gw.as_str() {
                continue;
            }
            let downs = ingest.pending_commands(&gw).unwrap_or_default();
            if tx.send(halts(&downs)).is_err() {
                return;
            }
        }
    });
    rx
}

/// A six-recipient campaign at 4 s handed to the gateway, the first one sent.
fn running(w: &World, interval_ms: u64) -> (Uuid, wire::CampaignBatch) {
    speaks_campaigns(w);
    let id = campaign(w, interval_ms);
    let mut csv = String::from("number,name\n");
    for i in 1..=6 {
        csv.push_str(&format!("060000000{i},N{i}\n"));
    }
    upload(w, id, &csv);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 6);
    let b = batches(&take_commands(w)).remove(0);
    assert_eq!(
        b.items.len(),
        6,
        "the gateway holds the whole slice and paces it"
    );
    status(w, b.items[0].message_id, wire::SendState::Sent);
    (id, b)
}

fn halt_read_on_news(w: &World, id: Uuid, action: CampaignAction, reason: wire::HaltReason) {
    let reads = link_reader(w);
    w.f.hub.campaign_command(&w.a.admin, id, action).unwrap();
    let mut seen = Vec::new();
    while let Ok(h) = reads.recv_timeout(StdDuration::from_secs(2)) {
        seen.push(h);
        if seen.last().is_some_and(|h| !h.is_empty()) {
            break;
        }
    }
    let got: Vec<(Uuid, wire::HaltReason)> = seen
        .iter()
        .flatten()
        .map(|h| (h.campaign, h.reason))
        .collect();
    assert_eq!(
        got,
        vec![(id, reason)],
        "the reads the hub's news caused ({} of them) must find the one halt",
        seen.len()
    );
}

#[test]
fn a_stop_wakes_the_gateways_outbox_only_once_the_halt_can_be_read() {
    for _ in 0..5 {
        let w = world();
        let (id, _) = running(&w, 4000);
        halt_read_on_news(&w, id, CampaignAction::Stop, wire::HaltReason::Stopped);
    }
}

#[test]
fn a_pause_wakes_the_gateways_outbox_only_once_the_halt_can_be_read() {
    for _ in 0..5 {
        let w = world();
        let (id, _) = running(&w, 0);
        halt_read_on_news(&w, id, CampaignAction::Pause, wire::HaltReason::Paused);
    }
}

#[test]
fn after_a_stop_half_way_nothing_more_is_handed_over_and_what_the_gateway_gave_back_stays_unsent() {
    let w = world();
    let (id, b) = running(&w, 4000);
    status(&w, b.items[1].message_id, wire::SendState::Sent);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Stop)
        .unwrap();
    let downs = take_commands(&w);
    assert_eq!(halts(&downs).len(), 1, "{downs:?}");
    // The gateway withdrew the four it held and reports them cancelled.
    for item in &b.items[2..] {
        status(&w, item.message_id, wire::SendState::Cancelled);
    }
    let mut pacing = Pacing::new();
    for _ in 0..3 {
        w.f.clock.advance(chrono::Duration::seconds(5));
        assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    }
    assert!(batches(&take_commands(&w)).is_empty());
    let v = w.f.hub.campaign_get(&w.a.admin, id).unwrap();
    assert_eq!(v.campaign.state, CampaignState::Stopped);
    let states: Vec<RecipientState> =
        w.f.hub
            .campaign_recipients(&w.a.admin, id, None, 0, 100)
            .unwrap()
            .into_iter()
            .map(|r| r.state)
            .collect();
    assert_eq!(&states[..2], &[RecipientState::Sent, RecipientState::Sent]);
    assert!(
        states[2..]
            .iter()
            .all(|s| !matches!(s, RecipientState::Sent | RecipientState::Delivered)),
        "{states:?}"
    );
}
