//! Campaign fixtures shared by the campaign test files: uploads, the gateway's contract version
//! and commands, more channels.

use smsgate_cloud::campaigns::import::Format;
use smsgate_cloud::campaigns::upload::{FileKind, UploadSpec};
use smsgate_wire as wire;
use uuid::Uuid;

use super::World;

pub fn upload(w: &World, id: Uuid, csv: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.csv");
    std::fs::write(&path, csv).unwrap();
    let spec = UploadSpec {
        kind: FileKind::Csv,
        format: Format::Auto,
        number_column: "number".into(),
    };
    w.f.hub
        .import_campaign_file(&w.a.admin, id, &path, &spec)
        .unwrap();
}

/// The gateway announces contract version 4: campaigns go to it as batches.
pub fn speaks_campaigns(w: &World) {
    w.f.hub
        .gateway_ingest()
        .gateway_state(&w.gw, &wire::State::online(Some("test".into())))
        .unwrap();
}

/// The commands waiting for the gateway, acknowledged `applied` as the gateway would.
pub fn take_commands(w: &World) -> Vec<wire::Down> {
    let ingest = w.f.hub.gateway_ingest();
    let out = ingest.pending_commands(&w.gw).unwrap();
    for d in &out {
        ingest
            .ingest(
                &w.gw,
                wire::Up::Ack(wire::Ack::new(d.id(), 4, wire::AckOutcome::Applied, None)),
            )
            .unwrap();
    }
    out
}

pub fn batches(downs: &[wire::Down]) -> Vec<wire::CampaignBatch> {
    downs
        .iter()
        .filter_map(|d| match d {
            wire::Down::Campaign(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

/// A second channel of tenant A on the same gateway.
pub fn second_channel(w: &World, port: &str, sim: &str) -> smsgate_cloud::model::Channel {
    let ch =
        w.f.hub
            .create_channel(&w.root, w.gateway.gateway.id, port, sim)
            .unwrap();
    w.f.hub
        .distribute_channel(&w.root, ch.id, w.a.org.id, false)
        .unwrap()
}

/// The gateway reports `state` for campaign message `message_id` (`up/status`).
pub fn report(w: &World, message_id: Uuid, state: wire::SendState) {
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
