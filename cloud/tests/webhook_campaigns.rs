//! `campaign.finished` (issue 15): a campaign that completes tells the tenant's endpoint once,
//! signed, with its id, name and state; the other tenant's endpoint hears nothing.
#![allow(clippy::unwrap_used)]

mod common;
mod webhook_support;

use common::campaigns::*;
use common::*;
use smsgate_cloud::campaigns::CampaignState;
use smsgate_cloud::campaigns::ops::{CampaignAction, CampaignInput};
use smsgate_cloud::campaigns::runner::Pacing;
use smsgate_cloud::campaigns::schedule::Schedule;
use smsgate_cloud::hub::webhooks::NewEndpoint;
use smsgate_cloud::webhooks::{EventType, WebhookSettings};
use smsgate_wire as wire;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use webhook_support::Receiver;

fn endpoint(w: &World, who: &smsgate_cloud::authz::Actor, url: &str) -> String {
    w.f.hub
        .create_webhook(
            who,
            NewEndpoint {
                org_id: None,
                url: url.into(),
                description: String::new(),
                enabled: true,
                events: vec![EventType::CampaignFinished],
            },
        )
        .unwrap()
        .1
        .expose()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_campaign_tells_its_tenants_endpoint_once() {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    let rx = Receiver::start(w.f.clock.clone()).await;
    let other = Receiver::start(w.f.clock.clone()).await;
    rx.set_secret(&endpoint(&w, &w.a.admin, &rx.url()));
    other.set_secret(&endpoint(&w, &w.b.admin, &other.url()));
    let stop = CancellationToken::new();
    tokio::spawn(
        w.f.hub
            .clone()
            .run_webhooks(WebhookSettings::default(), stop.clone()),
    );
    let id =
        w.f.hub
            .create_campaign(
                &w.a.admin,
                CampaignInput {
                    org: None,
                    name: "Winter promo".into(),
                    channels: vec![w.a.channel.id],
                    dial_string: None,
                    template: "Hi {{name}}".into(),
                    schedule: Schedule::default(),
                    interval_ms: 0,
                    priority: 0,
                    options: Default::default(),
                },
            )
            .unwrap()
            .campaign
            .id;
    upload(&w, id, "number,name\n0600000001,Zoé\n0600000002,Luc\n");
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 2);
    let ingest = w.f.hub.gateway_ingest();
    for d in ingest.pending_commands(&w.gw).unwrap() {
        let cmd = d.id();
        if let wire::Down::Send(s) = d {
            ingest
                .ingest(
                    &w.gw,
                    wire::Up::Status(wire::Status {
                        id: Uuid::now_v7(),
                        v: 2,
                        message_id: s.message_id,
                        state: wire::SendState::Sent,
                        reference: None,
                        evidence: None,
                        refused: None,
                        error: None,
                        at: chrono::Utc::now(),
                    }),
                )
                .unwrap();
        }
        ingest
            .ingest(
                &w.gw,
                wire::Up::Ack(wire::Ack::new(cmd, 2, wire::AckOutcome::Applied, None)),
            )
            .unwrap();
    }
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    assert_eq!(
        w.f.hub.campaign_get(&w.a.admin, id).unwrap().campaign.state,
        CampaignState::Completed
    );
    // Another pass changes nothing and tells nothing again.
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    let got = rx.until("campaign.finished", |r| !r.is_empty()).await;
    assert_eq!(got.len(), 1);
    let e = &got[0];
    assert!(e.verified);
    assert_eq!(e.event_type(), "campaign.finished");
    assert_eq!(e.event["tenant"], serde_json::json!(w.a.org.id));
    assert_eq!(e.event["data"]["campaign_id"], serde_json::json!(id));
    assert_eq!(e.event["data"]["name"], "Winter promo");
    assert_eq!(e.event["data"]["state"], "completed");
    // A test event to the other tenant's endpoint arrives; the campaign never did.
    let b_hooks = w.f.hub.list_webhooks(&w.b.admin, None).unwrap();
    w.f.hub
        .test_webhook(&w.b.admin, b_hooks[0].id)
        .await
        .unwrap();
    let theirs: Vec<_> = other
        .received()
        .iter()
        .map(|r| r.event_type().to_owned())
        .collect();
    assert_eq!(theirs, ["webhook.test"]);
    assert_eq!(rx.received().len(), 1);
    stop.cancel();
}
