//! Replies to campaign messages, against a real SQLite hub, its gateway ingest and the REST API
//! on a real listener: the conversation a reply opens names the campaign it answered (kept
//! current when the campaign is renamed, kept and marked deleted when it is deleted); a reply
//! to nothing, or to a message that failed, names none; a later campaign to the same number
//! takes over the live conversation.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::campaigns::upload;
use common::*;
use reqwest::Client;
use serde_json::Value;
use smsgate_cloud::campaigns::CampaignOptions;
use smsgate_cloud::campaigns::ops::{CampaignAction, CampaignEdit, CampaignInput};
use smsgate_cloud::campaigns::runner::Pacing;
use smsgate_cloud::campaigns::schedule::Schedule;
use smsgate_cloud::model::{CampaignRef, Interaction};
use smsgate_cloud::router;
use smsgate_wire as wire;
use uuid::Uuid;

/// A running campaign of tenant A on its channel, its recipients handed over and reported as
/// `numbers` says. Returns its id.
fn sent_campaign(w: &World, name: &str, numbers: &[(&str, wire::SendState)]) -> Uuid {
    let id =
        w.f.hub
            .create_campaign(
                &w.a.admin,
                CampaignInput {
                    org: None,
                    name: name.into(),
                    channels: vec![w.a.channel.id],
                    dial_string: None,
                    template: "Hello".into(),
                    schedule: Schedule::default(),
                    interval_ms: 0,
                    priority: 0,
                    options: CampaignOptions::default(),
                },
            )
            .unwrap()
            .campaign
            .id;
    let mut csv = String::from("number\n");
    for (n, _) in numbers {
        csv.push_str(n);
        csv.push('\n');
    }
    upload(w, id, &csv);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let handed = w.f.hub.campaign_tick(&mut Pacing::new()).unwrap().handed;
    assert_eq!(handed, numbers.len() as u64);
    let ingest = w.f.hub.gateway_ingest();
    for d in ingest.pending_commands(&w.gw).unwrap() {
        let ack = wire::Up::Ack(wire::Ack::new(d.id(), 2, wire::AckOutcome::Applied, None));
        ingest.ingest(&w.gw, ack).unwrap();
        if let wire::Down::Send(s) = d {
            let state = numbers
                .iter()
                .find(|(n, _)| s.to.ends_with(&n[1..]))
                .map(|(_, st)| *st)
                .unwrap();
            ingest
                .ingest(
                    &w.gw,
                    wire::Up::Status(wire::Status {
                        id: Uuid::now_v7(),
                        v: 2,
                        message_id: s.message_id,
                        state,
                        reference: None,
                        evidence: None,
                        refused: None,
                        error: (state == wire::SendState::Failed).then(|| "CMS 38".into()),
                        at: Utc::now(),
                    }),
                )
                .unwrap();
        }
    }
    id
}

fn reply(w: &World, from: &str, text: &str) {
    w.f.hub
        .gateway_ingest()
        .ingest(&w.gw, inbound("usb0", from, text))
        .unwrap();
}

fn conversation(w: &World, number: &str) -> Interaction {
    w.f.hub
        .interactions(&w.a.admin, None)
        .unwrap()
        .into_iter()
        .find(|i| i.contact_number == number)
        .unwrap()
}

#[test]
fn a_reply_to_a_campaign_message_names_the_campaign_and_a_rename_follows() {
    let w = world();
    let id = sent_campaign(
        &w,
        "Winter sale",
        &[
            ("0600000001", wire::SendState::Sent),
            ("0600000002", wire::SendState::Failed),
        ],
    );
    reply(&w, "+33600000001", "Is the blue one in stock?");
    reply(&w, "+33600000002", "Hello?");
    reply(&w, "+33600000009", "Unrelated question");
    let named = conversation(&w, "+33600000001");
    assert_eq!(
        named.campaign,
        Some(CampaignRef {
            id,
            name: "Winter sale".into(),
            deleted: false,
        })
    );
    assert_eq!(
        conversation(&w, "+33600000002").campaign,
        None,
        "a message that failed was never answered"
    );
    assert_eq!(conversation(&w, "+33600000009").campaign, None);
    // A second reply keeps the same conversation and campaign.
    reply(&w, "+33600000001", "And in red?");
    assert_eq!(conversation(&w, "+33600000001").campaign, named.campaign);

    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Pause)
        .unwrap();
    w.f.hub
        .edit_campaign(
            &w.a.admin,
            id,
            CampaignEdit {
                name: Some("Winter sale 2026".into()),
                channels: None,
                dial_string: None,
                template: None,
                schedule: None,
                interval_ms: None,
                priority: None,
                options: None,
            },
        )
        .unwrap();
    let got = w.f.hub.interaction(&w.a.admin, named.id).unwrap();
    assert_eq!(got.campaign.unwrap().name, "Winter sale 2026");
    // Another tenant never sees it.
    assert!(w.f.hub.interaction(&w.b.admin, named.id).is_err());
}

#[test]
fn a_later_campaign_to_the_same_number_takes_over_the_live_conversation() {
    let w = world();
    let first = sent_campaign(&w, "First", &[("0600000001", wire::SendState::Sent)]);
    reply(&w, "+33600000001", "ok");
    assert_eq!(
        conversation(&w, "+33600000001").campaign.map(|c| c.id),
        Some(first)
    );
    let second = sent_campaign(&w, "Second", &[("0600000001", wire::SendState::Sent)]);
    reply(&w, "+33600000001", "and this one?");
    let list = w.f.hub.interactions(&w.a.admin, None).unwrap();
    assert_eq!(list.len(), 1, "the same live conversation");
    assert_eq!(list[0].campaign.as_ref().map(|c| c.id), Some(second));
}

#[tokio::test]
async fn the_api_lists_and_shows_the_campaign_a_conversation_answered() {
    let w = tokio::task::spawn_blocking(|| {
        let w = world();
        let id = sent_campaign(&w, "Promo", &[("0600000001", wire::SendState::Sent)]);
        reply(&w, "+33600000001", "yes please");
        (w, id)
    })
    .await
    .unwrap();
    let (w, id) = w;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(w.f.hub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = Client::new();
    let get = |path: String| {
        let http = http.clone();
        let key = w.a.api_key.clone();
        async move {
            let resp = http
                .get(format!("http://{addr}{path}"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{path}: {}", resp.status());
            resp.json::<Value>().await.unwrap()
        }
    };
    let page = get("/api/v1/interactions".into()).await;
    let item = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["contact_number"] == "+33600000001")
        .unwrap()
        .clone();
    assert_eq!(item["campaign"]["id"], id.to_string());
    assert_eq!(item["campaign"]["name"], "Promo");
    let one = get(format!(
        "/api/v1/interactions/{}",
        item["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(one["campaign"]["name"], "Promo");
    assert_eq!(one["campaign"]["deleted"], false);
}

#[tokio::test]
async fn a_deleted_campaign_stays_named_on_its_conversations_marked_deleted() {
    let (w, conv) = tokio::task::spawn_blocking(|| {
        let w = world();
        let id = sent_campaign(&w, "Spring sale", &[("0600000001", wire::SendState::Sent)]);
        reply(&w, "+33600000001", "still on?");
        let conv = conversation(&w, "+33600000001").id;
        w.f.hub
            .campaign_command(&w.a.admin, id, CampaignAction::Stop)
            .unwrap();
        w.f.hub.delete_campaign(&w.a.admin, id).unwrap();
        assert!(
            w.f.hub.campaign_get(&w.a.admin, id).is_err(),
            "the campaign is gone"
        );
        assert_eq!(
            w.f.hub.interaction(&w.a.admin, conv).unwrap().campaign,
            Some(CampaignRef {
                id,
                name: "Spring sale".into(),
                deleted: true,
            })
        );
        // A later reply keeps the conversation and what it answered.
        reply(&w, "+33600000001", "hello?");
        let again = conversation(&w, "+33600000001");
        assert_eq!(again.id, conv);
        assert!(
            again
                .campaign
                .is_some_and(|c| c.deleted && c.name == "Spring sale")
        );
        (w, conv)
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(w.f.hub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let one: Value = Client::new()
        .get(format!("http://{addr}/api/v1/interactions/{conv}"))
        .bearer_auth(&w.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["campaign"]["name"], "Spring sale");
    assert_eq!(one["campaign"]["deleted"], true);
}
