//! The campaign runner against a real SQLite hub and its gateway ingest (the MQTT link's
//! entry points): recipients handed over as `send` commands exactly once, paced, inside the
//! schedule only; statuses, reports and refusals move each recipient; a STOP mid-campaign
//! stops that number before the next hand-over; pause takes back what the gateway holds.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::campaigns::*;
use common::*;
use smsgate_cloud::campaigns::ops::{CampaignAction, CampaignInput};
use smsgate_cloud::campaigns::runner::Pacing;
use smsgate_cloud::campaigns::schedule::Schedule;
use smsgate_cloud::campaigns::{CampaignOptions, CampaignState, RecipientState};
use smsgate_wire as wire;
use uuid::Uuid;

fn campaign(w: &World, interval_ms: u64, schedule: Schedule) -> Uuid {
    w.f.hub
        .create_campaign(
            &w.a.admin,
            CampaignInput {
                org: None,
                name: "Promo".into(),
                channels: vec![w.a.channel.id],
                dial_string: None,
                template: "Hi {{name}}".into(),
                schedule,
                interval_ms,
                priority: 0,
                options: CampaignOptions::default(),
            },
        )
        .unwrap()
        .campaign
        .id
}

/// The `send` commands waiting for the gateway, acknowledged as the gateway would.
fn take_sends(w: &World) -> Vec<wire::Send> {
    let ingest = w.f.hub.gateway_ingest();
    let mut out = Vec::new();
    for d in ingest.pending_commands(&w.gw).unwrap() {
        let id = d.id();
        if let wire::Down::Send(s) = d {
            out.push(s);
        }
        ingest
            .ingest(
                &w.gw,
                wire::Up::Ack(wire::Ack::new(id, 2, wire::AckOutcome::Applied, None)),
            )
            .unwrap();
    }
    out
}

fn status(w: &World, message_id: Uuid, state: wire::SendState) {
    w.f.hub
        .gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Status(wire::Status {
                id: Uuid::now_v7(),
                v: 2,
                message_id,
                state,
                reference: None,
                evidence: None,
                refused: None,
                error: (state == wire::SendState::Failed)
                    .then(|| "CMS 38: network out of order".into()),
                at: Utc::now(),
            }),
        )
        .unwrap();
}

fn states(w: &World, id: Uuid) -> Vec<(String, RecipientState)> {
    w.f.hub
        .campaign_recipients(&w.a.admin, id, None, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|r| (r.number, r.state))
        .collect()
}

#[test]
fn each_recipient_is_handed_over_once_with_its_text_and_its_reports_move_it() {
    let w = world();
    let id = campaign(&w, 0, Schedule::default());
    upload(
        &w,
        id,
        "number,name\n0600000001,Zoé\n0600000002,Luc\n0600000003,Ana\n0600000001,Dup\n",
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    let tick = w.f.hub.campaign_tick(&mut pacing).unwrap();
    assert_eq!(tick.handed, 3);
    let sends = take_sends(&w);
    let got: Vec<(&str, &str, &str)> = sends
        .iter()
        .map(|s| (s.to.as_str(), s.text.as_str(), s.port.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("+33600000001", "Hi Zoé", "usb0"),
            ("+33600000002", "Hi Luc", "usb0"),
            ("+33600000003", "Hi Ana", "usb0")
        ]
    );
    // Another tick hands nothing again.
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    assert!(take_sends(&w).is_empty());
    status(&w, sends[0].message_id, wire::SendState::Sent);
    w.f.hub
        .gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Dlr(wire::Delivery {
                id: Uuid::now_v7(),
                v: 2,
                message_id: sends[0].message_id,
                state: wire::DeliveryState::Delivered,
                at: Utc::now(),
                evidence: None,
            }),
        )
        .unwrap();
    status(&w, sends[1].message_id, wire::SendState::Sent);
    status(&w, sends[2].message_id, wire::SendState::Failed);
    // A late "sent" never reopens a failed recipient.
    status(&w, sends[2].message_id, wire::SendState::Sent);
    assert_eq!(
        states(&w, id)
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        vec![
            RecipientState::Delivered,
            RecipientState::Sent,
            RecipientState::Failed,
            RecipientState::Duplicate
        ]
    );
    let failed =
        w.f.hub
            .campaign_recipients(&w.a.admin, id, Some(RecipientState::Failed), 0, 10)
            .unwrap();
    assert_eq!(
        failed[0].reason.as_deref(),
        Some("CMS 38: network out of order")
    );
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    let v = w.f.hub.campaign_get(&w.a.admin, id).unwrap();
    assert_eq!(v.campaign.state, CampaignState::Completed);
    assert_eq!(
        (v.counters.delivered, v.counters.sent, v.counters.failed),
        (1, 1, 1)
    );
}

#[test]
fn a_stop_reply_mid_campaign_stops_that_number_before_the_next_hand_over() {
    let w = world();
    let id = campaign(&w, 1000, Schedule::default());
    upload(&w, id, "number,name\n0600000001,A\n0600000002,B\n");
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    assert_eq!(
        w.f.hub.campaign_tick(&mut pacing).unwrap().handed,
        1,
        "one per interval"
    );
    let first = take_sends(&w);
    status(&w, first[0].message_id, wire::SendState::Sent);
    assert_eq!(
        w.f.hub.campaign_tick(&mut pacing).unwrap().handed,
        0,
        "the interval has not passed"
    );
    w.f.hub
        .gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33600000002", "STOP"))
        .unwrap();
    w.f.clock.advance(Duration::milliseconds(1000));
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    assert!(take_sends(&w).is_empty());
    assert_eq!(states(&w, id)[1].1, RecipientState::OptedOut);
}

#[test]
fn to_a_gateway_before_version_four_the_interval_runs_from_the_send_not_the_hand_over() {
    let w = world();
    let id = campaign(&w, 1000, Schedule::default());
    upload(&w, id, "number,name\n0600000001,A\n0600000002,B\n");
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 1);
    let first = take_sends(&w);
    // The port's queue holds the first one back for 900 ms before it goes out.
    w.f.clock.advance(Duration::milliseconds(900));
    status(&w, first[0].message_id, wire::SendState::Sent);
    w.f.clock.advance(Duration::milliseconds(200));
    assert_eq!(
        w.f.hub.campaign_tick(&mut pacing).unwrap().handed,
        0,
        "1.1 s after the hand-over but only 200 ms after the send"
    );
    w.f.clock.advance(Duration::milliseconds(799));
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    w.f.clock.advance(Duration::milliseconds(1));
    assert_eq!(
        w.f.hub.campaign_tick(&mut pacing).unwrap().handed,
        1,
        "a whole interval after the send"
    );
}

#[test]
fn nothing_is_handed_over_outside_the_schedule_window() {
    let w = world();
    // The clock reads Saturday 2026-11-21 14:00 UTC; the window is weekdays 09:00–18:00 Paris.
    let s = Schedule {
        timezone: "Europe/Paris".into(),
        days: vec![
            smsgate_cloud::floor::hours::Day::Mon,
            smsgate_cloud::floor::hours::Day::Tue,
        ],
        from: "09:00".into(),
        to: "18:00".into(),
        ..Schedule::default()
    };
    let id = campaign(&w, 0, s);
    upload(&w, id, "number,name\n0600000001,A\n");
    let v =
        w.f.hub
            .campaign_command(&w.a.admin, id, CampaignAction::Start)
            .unwrap();
    assert_eq!(v.campaign.state, CampaignState::Scheduled);
    let mut pacing = Pacing::new();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    // Monday 08:59 Paris: still closed; 09:00: open.
    let monday = Utc.with_ymd_and_hms(2026, 11, 23, 7, 59, 0).unwrap();
    w.f.clock.advance(monday - w.f.hub.now_public());
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    w.f.clock.advance(Duration::minutes(1));
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 1);
    assert_eq!(
        w.f.hub.campaign_get(&w.a.admin, id).unwrap().campaign.state,
        CampaignState::Running
    );
    // Tuesday 18:00 Paris the window closes: running → scheduled until Monday next.
    w.f.clock.advance(Duration::hours(33));
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    assert_eq!(
        w.f.hub.campaign_get(&w.a.admin, id).unwrap().campaign.state,
        CampaignState::Scheduled
    );
}

#[test]
fn pause_takes_back_what_the_gateway_holds_and_resume_hands_it_over_again() {
    let w = world();
    let id = campaign(&w, 0, Schedule::default());
    upload(&w, id, "number,name\n0600000001,A\n0600000002,B\n");
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    let sends = take_sends(&w);
    status(&w, sends[0].message_id, wire::SendState::Sent);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Pause)
        .unwrap();
    let ingest = w.f.hub.gateway_ingest();
    let cancels: Vec<wire::Cancel> = ingest
        .pending_commands(&w.gw)
        .unwrap()
        .into_iter()
        .filter_map(|d| match d {
            wire::Down::Cancel(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(cancels.len(), 1, "only the unsent one is taken back");
    assert_eq!(cancels[0].message_id, sends[1].message_id);
    ingest
        .ingest(
            &w.gw,
            wire::Up::Ack(wire::Ack::new(
                cancels[0].id,
                2,
                wire::AckOutcome::Applied,
                Some("cancelled".into()),
            )),
        )
        .unwrap();
    assert_eq!(states(&w, id)[1].1, RecipientState::ToProcess);
    assert_eq!(
        w.f.hub.campaign_tick(&mut pacing).unwrap().handed,
        0,
        "paused"
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Resume)
        .unwrap();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 1);
    let again = take_sends(&w);
    assert_eq!(again[0].to, "+33600000002");
    assert_ne!(again[0].message_id, sends[1].message_id);
}

#[test]
fn the_dashboard_counts_sends_per_minute_and_the_export_lists_every_recipient() {
    let w = world();
    let id = campaign(&w, 0, Schedule::default());
    upload(
        &w,
        id,
        "number,name\n0600000001,Zoé\n0600000002,Luc\nabc,X\n0600000004,Ana\n",
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    w.f.hub.campaign_tick(&mut Pacing::new()).unwrap();
    let sends = take_sends(&w);
    status(&w, sends[0].message_id, wire::SendState::Sent);
    w.f.clock.advance(Duration::minutes(1));
    status(&w, sends[1].message_id, wire::SendState::Sent);
    let st = w.f.hub.campaign_stats(&w.a.admin, id).unwrap();
    let last: Vec<u64> = st.per_minute.iter().rev().take(2).map(|m| m.sent).collect();
    assert_eq!(last, vec![1, 1]);
    assert_eq!(st.per_minute.len(), 60);
    assert!(
        (st.rate_per_minute - 0.4).abs() < 1e-9,
        "{}",
        st.rate_per_minute
    );
    // One left at 0.4 a minute: 150 s.
    assert_eq!(st.eta, Some(w.f.hub.now_public() + Duration::seconds(150)));
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("e.csv");
    let name =
        w.f.hub
            .export_campaign(
                &w.a.admin,
                id,
                smsgate_cloud::campaigns::export::ExportFormat::Csv,
                &csv_path,
            )
            .unwrap();
    assert_eq!(name, "campaign-Promo.csv");
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "line,number,state,reason,text,message_id,updated_at"
    );
    assert!(
        lines[1].starts_with("2,+33600000001,sent,,Hi Zoé,"),
        "{}",
        lines[1]
    );
    assert!(lines[3].starts_with("4,abc,invalid,"), "{}", lines[3]);
    let xlsx_path = dir.path().join("e.xlsx");
    w.f.hub
        .export_campaign(
            &w.a.admin,
            id,
            smsgate_cloud::campaigns::export::ExportFormat::Xlsx,
            &xlsx_path,
        )
        .unwrap();
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(&xlsx_path).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 5);
    assert_eq!(range.get_value((2, 1)).unwrap().to_string(), "+33600000002");
    assert_eq!(range.get_value((2, 4)).unwrap().to_string(), "Hi Luc");
}

#[test]
fn a_version_four_gateway_gets_the_slice_as_one_batch_with_its_windows_pace_and_validity() {
    let w = world();
    speaks_campaigns(&w);
    // Weekdays 09:00–18:00 Paris; the clock reads Saturday 2026-11-21 14:00 UTC.
    let s = Schedule {
        timezone: "Europe/Paris".into(),
        end_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 27),
        days: vec![
            smsgate_cloud::floor::hours::Day::Mon,
            smsgate_cloud::floor::hours::Day::Tue,
        ],
        from: "09:00".into(),
        to: "18:00".into(),
        ..Schedule::default()
    };
    let id = campaign(&w, 1500, s);
    upload(
        &w,
        id,
        "number,name\n0600000001,Zoé\n0600000002,Luc\n0600000003,Ana\n",
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let monday = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    w.f.clock.advance(monday - w.f.hub.now_public());
    let mut pacing = Pacing::new();
    assert_eq!(
        w.f.hub.campaign_tick(&mut pacing).unwrap().handed,
        3,
        "the whole slice at once: the gateway paces it"
    );
    let b = batches(&take_commands(&w));
    assert_eq!(b.len(), 1, "one batch, no single sends");
    let b = &b[0];
    assert_eq!(
        (b.campaign, b.port.as_str(), b.name.as_str()),
        (id, "usb0", "Promo")
    );
    assert_eq!(b.interval_ms, 1500);
    let texts: Vec<(&str, &str)> = b
        .items
        .iter()
        .map(|i| (i.to.as_str(), i.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        vec![
            ("+33600000001", "Hi Zoé"),
            ("+33600000002", "Hi Luc"),
            ("+33600000003", "Hi Ana")
        ]
    );
    // Monday and Tuesday 09:00–18:00 Paris (UTC+1), in UTC; the end date bounds validity.
    let w0 = b.windows[0];
    assert_eq!(w0.from, monday);
    assert_eq!(
        w0.until,
        Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap()
    );
    assert_eq!(b.windows.len(), 2);
    assert_eq!(
        b.expires_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap())
    );
    // Nothing is handed twice; the gateway's reports move the recipients as for sends.
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 0);
    assert!(batches(&take_commands(&w)).is_empty());
    status(&w, b.items[0].message_id, wire::SendState::Sent);
    assert_eq!(states(&w, id)[0].1, RecipientState::Sent);
    assert_eq!(states(&w, id)[1].1, RecipientState::Queued);
}

#[test]
fn pause_sends_one_halt_and_the_withdrawn_recipients_come_back_to_be_handed_again() {
    let w = world();
    speaks_campaigns(&w);
    let id = campaign(&w, 0, Schedule::default());
    upload(
        &w,
        id,
        "number,name\n0600000001,A\n0600000002,B\n0600000003,C\n",
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    let mut pacing = Pacing::new();
    w.f.hub.campaign_tick(&mut pacing).unwrap();
    let b = batches(&take_commands(&w)).remove(0);
    status(&w, b.items[0].message_id, wire::SendState::Sent);
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Pause)
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
    assert_eq!(
        (halts[0].campaign, halts[0].reason),
        (id, wire::HaltReason::Paused)
    );
    assert!(
        !downs.iter().any(|d| matches!(d, wire::Down::Cancel(_))),
        "no per-message cancels"
    );
    // The gateway reports what it withdrew as cancelled.
    for item in &b.items[1..] {
        status(&w, item.message_id, wire::SendState::Cancelled);
    }
    let st: Vec<RecipientState> = states(&w, id).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        st,
        vec![
            RecipientState::Sent,
            RecipientState::ToProcess,
            RecipientState::ToProcess
        ]
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Resume)
        .unwrap();
    assert_eq!(w.f.hub.campaign_tick(&mut pacing).unwrap().handed, 2);
    let again = batches(&take_commands(&w)).remove(0);
    let to: Vec<&str> = again.items.iter().map(|i| i.to.as_str()).collect();
    assert_eq!(to, vec!["+33600000002", "+33600000003"]);
    assert!(
        again
            .items
            .iter()
            .all(|i| b.items.iter().all(|o| o.message_id != i.message_id))
    );
}

#[test]
fn a_batch_the_gateway_refuses_fails_its_recipients_with_the_gateways_words() {
    let w = world();
    speaks_campaigns(&w);
    let id = campaign(&w, 0, Schedule::default());
    upload(&w, id, "number,name\n0600000001,A\n");
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    w.f.hub.campaign_tick(&mut Pacing::new()).unwrap();
    let ingest = w.f.hub.gateway_ingest();
    let pending = ingest.pending_commands(&w.gw).unwrap();
    let batch = pending
        .iter()
        .find(|d| matches!(d, wire::Down::Campaign(_)))
        .unwrap();
    ingest
        .ingest(
            &w.gw,
            wire::Up::Ack(wire::Ack::new(
                batch.id(),
                4,
                wire::AckOutcome::Rejected,
                Some("port \"usb0\" is not configured on this gateway".into()),
            )),
        )
        .unwrap();
    let failed =
        w.f.hub
            .campaign_recipients(&w.a.admin, id, Some(RecipientState::Failed), 0, 10)
            .unwrap();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("not configured"),
        "{:?}",
        failed[0].reason
    );
}

fn refused(w: &World, message_id: Uuid, why: wire::Refusal, error: &str) {
    w.f.hub
        .gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Status(wire::Status {
                id: Uuid::now_v7(),
                v: 5,
                message_id,
                state: wire::SendState::Failed,
                reference: None,
                error: Some(error.into()),
                evidence: None,
                refused: Some(why),
                at: Utc::now(),
            }),
        )
        .unwrap();
}

#[test]
fn recipients_the_gateway_refuses_at_release_are_counted_opted_out_and_blocked_not_failed() {
    let w = world();
    speaks_campaigns(&w);
    let id = campaign(&w, 0, Schedule::default());
    upload(
        &w,
        id,
        "number,name\n0600000001,A\n0600000002,B\n0600000003,C\n",
    );
    w.f.hub
        .campaign_command(&w.a.admin, id, CampaignAction::Start)
        .unwrap();
    w.f.hub.campaign_tick(&mut Pacing::new()).unwrap();
    let b = batches(&take_commands(&w)).remove(0);
    refused(
        &w,
        b.items[0].message_id,
        wire::Refusal::OptedOut,
        "recipient opted out (list pushed by the hub)",
    );
    refused(
        &w,
        b.items[1].message_id,
        wire::Refusal::DoNotContact,
        "recipient is on the do-not-contact list",
    );
    // A version-4 gateway's plain failure stays a failure.
    status(&w, b.items[2].message_id, wire::SendState::Failed);
    assert_eq!(
        states(&w, id)
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>(),
        vec![
            RecipientState::OptedOut,
            RecipientState::Blocked,
            RecipientState::Failed
        ]
    );
    let c = w.f.hub.campaign_get(&w.a.admin, id).unwrap().counters;
    assert_eq!(
        (c.opted_out, c.blocked, c.failed, c.queued),
        (1, 1, 1, 0),
        "the dashboard counts them where they belong"
    );
    let r =
        w.f.hub
            .campaign_recipients(&w.a.admin, id, Some(RecipientState::Blocked), 0, 10)
            .unwrap();
    assert_eq!(
        r[0].reason.as_deref(),
        Some("recipient is on the do-not-contact list")
    );
}
