//! Routing through the hub: inbound SMS → channel → destination → interaction; outbound →
//! gateway command → status and delivery reports; STOP/START; dedup; channel reassignment.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use smsgate_cloud::hub::{HubError, IngestOutcome, SendRequest, TransferTo};
use smsgate_cloud::model::*;
use smsgate_wire as wire;
use uuid::Uuid;

fn send_req(to: &str, text: &str) -> SendRequest {
    SendRequest {
        to: to.into(),
        text: text.into(),
        ..SendRequest::default()
    }
}

fn only_send(w: &World) -> wire::Send {
    let cmds = w.f.hub.gateway_ingest().pending_commands(&w.gw).unwrap();
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    match cmds.into_iter().next().unwrap() {
        wire::Down::Send(s) => s,
        other => panic!("expected a send, got {other:?}"),
    }
}

#[test]
fn an_inbound_sms_lands_waiting_in_the_queue_of_the_channel_tenant() {
    let w = world();
    let hub = &w.f.hub;
    let out = hub
        .gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33622222222", "Bonjour"))
        .unwrap();
    assert_eq!(out, IngestOutcome::Applied);
    let list = hub.interactions(&w.a.admin, None).unwrap();
    assert_eq!(list.len(), 1);
    let i = &list[0];
    assert_eq!(i.status, InteractionStatus::Waiting);
    assert_eq!(i.queue_id, Some(w.a.queue.id));
    assert_eq!(i.assignee_id, None);
    assert!(!i.read);
    assert!(hub.interactions(&w.b.admin, None).unwrap().is_empty());
    // The agent of the queue sees it; the plain user (not in the queue) does not.
    assert_eq!(hub.interactions(&w.a.agent, None).unwrap().len(), 1);
    assert!(hub.interactions(&w.a.user, None).unwrap().is_empty());
    let msgs = hub.interaction_messages(&w.a.agent, i.id).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].text, "Bonjour");
    assert_eq!(msgs[0].direction, MessageDirection::Inbound);
}

#[test]
fn the_same_inbound_event_ingested_twice_changes_state_once() {
    let w = world();
    let hub = &w.f.hub;
    let up = inbound("usb0", "+33622222222", "once");
    assert_eq!(
        hub.gateway_ingest().ingest(&w.gw, up.clone()).unwrap(),
        IngestOutcome::Applied
    );
    assert_eq!(
        hub.gateway_ingest().ingest(&w.gw, up).unwrap(),
        IngestOutcome::Duplicate
    );
    let list = hub.interactions(&w.a.admin, None).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        hub.interaction_messages(&w.a.admin, list[0].id)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_second_message_from_the_same_contact_joins_the_live_interaction() {
    let w = world();
    let hub = &w.f.hub;
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33622222222", "one"))
        .unwrap();
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33622222222", "two"))
        .unwrap();
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33633333333", "other"))
        .unwrap();
    let list = hub.interactions(&w.a.admin, None).unwrap();
    assert_eq!(list.len(), 2);
    let first = list
        .iter()
        .find(|i| i.contact_number == "+33622222222")
        .unwrap();
    assert_eq!(
        hub.interaction_messages(&w.a.admin, first.id)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn an_inbound_sms_is_found_by_sim_number_when_the_port_is_unknown() {
    let w = world();
    let hub = &w.f.hub;
    let wire::Up::Inbound(mut m) = inbound("renamed-port", "+33622222222", "hi") else {
        unreachable!()
    };
    m.sim_number = Some("+33700000002".into());
    assert_eq!(
        hub.gateway_ingest()
            .ingest(&w.gw, wire::Up::Inbound(m))
            .unwrap(),
        IngestOutcome::Applied
    );
    assert_eq!(hub.interactions(&w.b.admin, None).unwrap().len(), 1);
}

#[test]
fn an_inbound_sms_on_an_unknown_port_is_recorded_but_unrouted() {
    let w = world();
    let hub = &w.f.hub;
    let up = inbound("usb9", "+33622222222", "hi");
    assert!(matches!(
        hub.gateway_ingest().ingest(&w.gw, up.clone()).unwrap(),
        IngestOutcome::Unrouted(_)
    ));
    assert_eq!(
        hub.gateway_ingest().ingest(&w.gw, up).unwrap(),
        IngestOutcome::Duplicate
    );
    // Kept once, with its text, for the platform operator.
    let kept = hub
        .unrouted_messages(
            &w.root,
            &smsgate_cloud::store::TextFilter::default(),
            &smsgate_cloud::store::PageRequest::all(),
        )
        .unwrap()
        .items;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        (kept[0].port.as_str(), kept[0].text.as_str()),
        ("usb9", "hi")
    );
}

#[test]
fn an_unknown_gateway_is_refused() {
    let w = world();
    let gw = wire::GatewayId::new("gw-nobody").unwrap();
    assert!(matches!(
        w.f.hub
            .gateway_ingest()
            .ingest(&gw, inbound("usb0", "+33622222222", "x")),
        Err(HubError::UnknownGateway(_))
    ));
}

#[test]
fn a_reply_opens_the_interaction_and_queues_a_send_command_for_the_gateway() {
    let w = world();
    let hub = &w.f.hub;
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33622222222", "Bonjour"))
        .unwrap();
    let i = hub.interactions(&w.a.agent, None).unwrap().remove(0);
    let m = hub
        .reply(&w.a.agent, i.id, "Bonjour, comment puis-je aider ?")
        .unwrap();
    assert_eq!(m.state, MessageState::Queued);
    assert_eq!(
        hub.interaction(&w.a.agent, i.id).unwrap().status,
        InteractionStatus::Open
    );
    let send = only_send(&w);
    assert_eq!(send.message_id, m.id);
    assert_eq!(send.port, "usb0");
    assert_eq!(send.to, "+33622222222");
    assert_eq!(send.v, 1);
}

#[test]
fn acks_status_and_delivery_reports_move_the_message_to_delivered() {
    let w = world();
    let hub = &w.f.hub;
    let m = hub
        .send(&w.a.user, send_req("+33644444444", "Rendez-vous demain"))
        .unwrap();
    let send = only_send(&w);
    let ack = wire::Up::Ack(wire::Ack {
        id: Uuid::now_v7(),
        v: 1,
        ack_of: send.id,
        outcome: wire::AckOutcome::Applied,
        detail: None,
    });
    hub.gateway_ingest().ingest(&w.gw, ack).unwrap();
    assert!(
        hub.gateway_ingest()
            .pending_commands(&w.gw)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        hub.message(&w.a.user, m.id).unwrap().state,
        MessageState::Accepted
    );
    let dlr = wire::Up::Dlr(wire::Delivery {
        id: Uuid::now_v7(),
        v: 1,
        message_id: m.id,
        state: wire::DeliveryState::Delivered,
        at: chrono::Utc::now(),
        evidence: None,
    });
    hub.gateway_ingest().ingest(&w.gw, dlr).unwrap();
    // A late "sent" status does not undo the delivery.
    let sent = wire::Up::Status(wire::Status {
        id: Uuid::now_v7(),
        v: 1,
        message_id: m.id,
        state: wire::SendState::Sent,
        reference: Some(7),
        error: None,
        evidence: None,
        refused: None,
        at: chrono::Utc::now(),
    });
    hub.gateway_ingest().ingest(&w.gw, sent).unwrap();
    assert_eq!(
        hub.message(&w.a.user, m.id).unwrap().state,
        MessageState::Delivered
    );
}

#[test]
fn an_unknown_send_is_shown_unknown_with_its_evidence_until_a_later_status_settles_it() {
    let w = world();
    let hub = &w.f.hub;
    let m = hub
        .send(&w.a.user, send_req("+33655555555", "Votre code"))
        .unwrap();
    let status = |state, error: Option<&str>, evidence: Option<&str>| {
        wire::Up::Status(wire::Status {
            id: Uuid::now_v7(),
            v: 3,
            message_id: m.id,
            state,
            reference: None,
            error: error.map(str::to_owned),
            evidence: evidence.map(str::to_owned),
            refused: None,
            at: chrono::Utc::now(),
        })
    };
    hub.gateway_ingest()
        .ingest(
            &w.gw,
            status(
                wire::SendState::Unknown,
                Some("outcome unknown (may have been sent): no answer to AT+CMGS"),
                Some("port 0, attempt 1; no part recorded as sent"),
            ),
        )
        .unwrap();
    let got = hub.message(&w.a.user, m.id).unwrap();
    assert_eq!(got.state, MessageState::Unknown);
    assert_eq!(
        got.evidence.as_deref(),
        Some("port 0, attempt 1; no part recorded as sent")
    );
    assert!(got.error.unwrap().contains("no answer to AT+CMGS"));
    // The API shows it the same way.
    let json = serde_json::to_value(hub.message(&w.a.user, m.id).unwrap()).unwrap();
    assert_eq!(json["state"], "unknown");
    assert_eq!(
        json["evidence"],
        "port 0, attempt 1; no part recorded as sent"
    );
    // A Dinstar's reconciliation says it went out.
    hub.gateway_ingest()
        .ingest(&w.gw, status(wire::SendState::Sent, None, None))
        .unwrap();
    let got = hub.message(&w.a.user, m.id).unwrap();
    assert_eq!(got.state, MessageState::Sent);
    assert_eq!(
        got.evidence.as_deref(),
        Some("port 0, attempt 1; no part recorded as sent"),
        "the evidence stays with the message"
    );
}

#[test]
fn a_report_that_settles_an_unknown_send_replaces_its_record_and_clears_the_doubt() {
    let w = world();
    let hub = &w.f.hub;
    let m = hub
        .send(&w.a.user, send_req("+33655555556", "Votre colis"))
        .unwrap();
    hub.gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Status(wire::Status {
                id: Uuid::now_v7(),
                v: 3,
                message_id: m.id,
                state: wire::SendState::Unknown,
                reference: None,
                error: Some("outcome unknown (may have been sent): no answer to AT+CMGS".into()),
                evidence: Some("port 0, attempt 1; no part recorded as sent".into()),
                refused: None,
                at: chrono::Utc::now(),
            }),
        )
        .unwrap();
    let settled = "port 0, attempt 1; part 1 delivered on port 0; report 4 delivered on port 0 (TP-MR 9) settled it";
    hub.gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Dlr(wire::Delivery {
                id: Uuid::now_v7(),
                v: 6,
                message_id: m.id,
                state: wire::DeliveryState::Delivered,
                at: chrono::Utc::now(),
                evidence: Some(settled.into()),
            }),
        )
        .unwrap();
    let got = hub.message(&w.a.user, m.id).unwrap();
    assert_eq!(got.state, MessageState::Delivered);
    assert_eq!(got.evidence.as_deref(), Some(settled));
    assert_eq!(got.error, None, "delivered: no more \"may have been sent\"");
}

#[test]
fn a_rejected_send_command_marks_the_message_failed_with_the_reason() {
    let w = world();
    let hub = &w.f.hub;
    let m = hub.send(&w.a.admin, send_req("+33644444444", "x")).unwrap();
    let send = only_send(&w);
    hub.gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Ack(wire::Ack {
                id: Uuid::now_v7(),
                v: 1,
                ack_of: send.id,
                outcome: wire::AckOutcome::Rejected,
                detail: Some("port usb0 has no SIM".into()),
            }),
        )
        .unwrap();
    let m = hub.message(&w.a.admin, m.id).unwrap();
    assert_eq!(m.state, MessageState::Failed);
    assert_eq!(m.error.as_deref(), Some("port usb0 has no SIM"));
}

#[test]
fn a_gateway_cannot_report_on_another_gateways_message() {
    let w = world();
    let hub = &w.f.hub;
    let m = hub.send(&w.a.admin, send_req("+33644444444", "x")).unwrap();
    let other = hub.create_gateway(&w.root, "other").unwrap();
    let other_gw = wire::GatewayId::new(other.mqtt_username).unwrap();
    let out = hub
        .gateway_ingest()
        .ingest(
            &other_gw,
            wire::Up::Dlr(wire::Delivery {
                id: Uuid::now_v7(),
                v: 1,
                message_id: m.id,
                state: wire::DeliveryState::Failed,
                at: chrono::Utc::now(),
                evidence: None,
            }),
        )
        .unwrap();
    assert!(matches!(out, IngestOutcome::Rejected(_)));
    assert_eq!(
        hub.message(&w.a.admin, m.id).unwrap().state,
        MessageState::Queued
    );
}

#[test]
fn agents_and_managers_cannot_start_conversations_but_can_reply_and_transfer() {
    let w = world();
    let hub = &w.f.hub;
    for who in [&w.a.agent, &w.a.manager] {
        assert!(matches!(
            hub.send(who, send_req("+33655555555", "hello")),
            Err(HubError::Forbidden(_))
        ));
    }
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33655555555", "hi"))
        .unwrap();
    let i = hub.interactions(&w.a.manager, None).unwrap().remove(0);
    // Replying through POST /messages to a live conversation is a reply.
    hub.send(&w.a.manager, send_req("+33655555555", "hello"))
        .unwrap();
    let i = hub
        .transfer(&w.a.manager, i.id, TransferTo::User(w.a.agent_id))
        .unwrap();
    assert_eq!(i.assignee_id, Some(w.a.agent_id));
    hub.reply(&w.a.agent, i.id, "je m'en occupe").unwrap();
}

#[test]
fn stop_opts_the_contact_out_of_bulk_sends_only_and_start_opts_back_in() {
    let w = world();
    let hub = &w.f.hub;
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33666666666", "Arrêt"))
        .unwrap();
    let opt = hub.opt_outs(&w.a.admin).unwrap();
    assert_eq!(opt.len(), 1);
    assert_eq!(opt[0].number, "+33666666666");
    assert_eq!(opt[0].source, "keyword");
    assert!(hub.opt_outs(&w.b.admin).unwrap().is_empty());
    let bulk = SendRequest {
        campaign: Some("promo".into()),
        ..send_req("+33666666666", "-20% today")
    };
    assert!(matches!(
        hub.send(&w.a.admin, bulk.clone()),
        Err(HubError::Conflict(_))
    ));
    // A live reply is still possible, and tells the gateway it is part of a conversation, so
    // the opt-out list pushed there does not block it (contract version 7).
    let i = hub.interactions(&w.a.admin, None).unwrap().remove(0);
    let reply = hub.reply(&w.a.admin, i.id, "C'est noté").unwrap();
    let sends = |w: &World| -> Vec<wire::Send> {
        let cmds = w.f.hub.gateway_ingest().pending_commands(&w.gw).unwrap();
        cmds.into_iter()
            .filter_map(|d| match d {
                wire::Down::Send(s) => Some(s),
                _ => None,
            })
            .collect()
    };
    let queued = sends(&w);
    let r = queued.iter().find(|s| s.message_id == reply.id).unwrap();
    assert!(r.conversation, "{r:?}");
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33666666666", "START"))
        .unwrap();
    assert!(hub.opt_outs(&w.a.admin).unwrap().is_empty());
    let promo = hub.send(&w.a.admin, bulk).unwrap();
    let queued = sends(&w);
    let p = queued.iter().find(|s| s.message_id == promo.id).unwrap();
    assert!(
        !p.conversation,
        "a campaign message honours the lists: {p:?}"
    );
}

#[test]
fn reassigning_a_channel_with_live_interactions_needs_force_which_closes_them() {
    let w = world();
    let hub = &w.f.hub;
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33677777777", "hi"))
        .unwrap();
    let err = hub
        .distribute_channel(&w.l1_admin, w.a.channel.id, w.l1.id, false)
        .unwrap_err();
    assert!(matches!(err, HubError::Conflict(_)), "{err:?}");
    let c = hub
        .distribute_channel(&w.l1_admin, w.a.channel.id, w.l1.id, true)
        .unwrap();
    assert_eq!(c.holder_id, w.l1.id);
    assert_eq!(c.destination, Destination::Tenant);
    let list = hub.interactions(&w.a.admin, None).unwrap();
    assert_eq!(list[0].status, InteractionStatus::Closed);
    // The tenant no longer sees the channel.
    assert!(matches!(
        hub.channel(&w.a.admin, c.id),
        Err(HubError::NotFound)
    ));
    // While held by a reseller, inbound messages are not routed to any tenant.
    assert!(matches!(
        hub.gateway_ingest()
            .ingest(&w.gw, inbound("usb0", "+33677777777", "again"))
            .unwrap(),
        IngestOutcome::Unrouted(_)
    ));
}

#[test]
fn a_reseller_cannot_hand_a_channel_to_a_tenant_outside_its_subtree() {
    let w = world();
    let hub = &w.f.hub;
    // L2's tenant B channel: L1 (its ancestor) may take it back; L2 may not give it to A.
    let err = hub
        .distribute_channel(&w.l2_admin, w.b.channel.id, w.a.org.id, false)
        .unwrap_err();
    assert!(matches!(err, HubError::NotFound), "{err:?}");
    hub.distribute_channel(&w.l1_admin, w.b.channel.id, w.l2.id, false)
        .unwrap();
}

#[test]
fn an_l2_reseller_may_create_tenants_but_not_resellers() {
    let w = world();
    let hub = &w.f.hub;
    hub.create_org(&w.l2_admin, None, OrgKind::Tenant, "c")
        .unwrap();
    assert!(matches!(
        hub.create_org(&w.l2_admin, None, OrgKind::ResellerL2, "x"),
        Err(HubError::Forbidden(_))
    ));
    assert!(matches!(
        hub.create_org(&w.a.admin, None, OrgKind::Tenant, "x"),
        Err(HubError::Forbidden(_))
    ));
}

#[test]
fn an_archived_user_cannot_log_in_until_restored() {
    let w = world();
    let hub = &w.f.hub;
    let agent = hub
        .users(&w.a.admin)
        .unwrap()
        .into_iter()
        .find(|u| u.login == "a-agent")
        .unwrap();
    hub.set_user_state(&w.a.admin, agent.id, UserState::Archived)
        .unwrap();
    assert!(matches!(
        hub.login("a-agent", PASSWORD),
        Err(HubError::Unauthenticated)
    ));
    hub.set_user_state(&w.a.admin, agent.id, UserState::Active)
        .unwrap();
    hub.login("a-agent", PASSWORD).unwrap();
}

#[test]
fn a_session_expires_after_its_lifetime() {
    let f = hub();
    let (token, _) = f.hub.login("root", PASSWORD).unwrap();
    f.hub.authenticate(&token).unwrap();
    f.clock.advance(chrono::Duration::hours(13));
    assert!(matches!(
        f.hub.authenticate(&token),
        Err(HubError::Unauthenticated)
    ));
}

#[test]
fn closing_then_a_new_inbound_starts_a_new_interaction() {
    let w = world();
    let hub = &w.f.hub;
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33688888888", "one"))
        .unwrap();
    let i = hub.interactions(&w.a.admin, None).unwrap().remove(0);
    hub.set_interaction_status(&w.a.admin, i.id, InteractionStatus::Closed)
        .unwrap();
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33688888888", "two"))
        .unwrap();
    let live = hub
        .interactions(&w.a.admin, Some(InteractionStatus::Waiting))
        .unwrap();
    assert_eq!(live.len(), 1);
    assert_ne!(live[0].id, i.id);
    // The old one cannot be reopened while a newer one is live.
    assert!(matches!(
        hub.set_interaction_status(&w.a.admin, i.id, InteractionStatus::Open),
        Err(HubError::Conflict(_))
    ));
}

#[test]
fn the_gateway_state_records_presence_and_versions() {
    let w = world();
    let hub = &w.f.hub;
    hub.gateway_ingest()
        .gateway_state(
            &w.gw,
            &wire::State {
                id: Uuid::now_v7(),
                v: 1,
                online: true,
                versions: vec![1, 2],
                software: None,
            },
        )
        .unwrap();
    let g = hub.gateway(&w.root, w.gateway.gateway.id).unwrap();
    assert!(g.online);
    assert_eq!(g.versions, vec![1, 2]);
    // A gateway speaking only a future version gets no commands.
    hub.gateway_ingest()
        .gateway_state(
            &w.gw,
            &wire::State {
                id: Uuid::now_v7(),
                v: 9,
                online: true,
                versions: vec![9],
                software: None,
            },
        )
        .unwrap();
    assert!(matches!(
        hub.send(&w.a.admin, send_req("+33644444444", "x")),
        Err(HubError::Conflict(_))
    ));
}

#[test]
fn gateway_credentials_check_against_the_stored_hash() {
    let w = world();
    let hub = &w.f.hub;
    assert!(
        hub.gateway_ingest()
            .check_gateway_credentials(&w.gateway.mqtt_username, &w.gateway.mqtt_password)
            .unwrap()
    );
    assert!(
        !hub.gateway_ingest()
            .check_gateway_credentials(&w.gateway.mqtt_username, "wrong")
            .unwrap()
    );
    assert!(w.gateway.config_snippet.contains(&w.gateway.mqtt_username));
    let snippet: toml::Table = w.gateway.config_snippet.parse().unwrap();
    let hub_section = snippet["cloud"].as_table().unwrap();
    assert_eq!(
        hub_section["password"].as_str(),
        Some(w.gateway.mqtt_password.as_str())
    );
    assert_eq!(hub_section["gateway_id"].as_str(), Some(w.gw.as_str()));
    assert_eq!(hub_section["url"].as_str(), Some("mqtt://127.0.0.1:1883"));
    // Pasted into a gateway.toml, the snippet is a valid [cloud] section.
    let gateway = smsgate_config::gateway::GatewayConfig::from_toml_str(&format!(
        "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n\n{}",
        w.gateway.config_snippet
    ))
    .unwrap_or_else(|e| panic!("{e}\n{}", w.gateway.config_snippet));
    assert_eq!(gateway.cloud.gateway_id.as_deref(), Some(w.gw.as_str()));
    assert_eq!(
        gateway.cloud.password.as_deref(),
        Some(w.gateway.mqtt_password.as_str())
    );
}

#[test]
fn a_batch_is_applied_in_one_go_and_duplicates_inside_it_count_once() {
    let w = world();
    let hub = &w.f.hub;
    let a = inbound("usb0", "+33610101010", "one");
    let b = inbound("usb1", "+33610101010", "two");
    let out = hub
        .gateway_ingest()
        .ingest_batch(&w.gw, vec![a.clone(), b, a.clone()])
        .unwrap();
    assert_eq!(
        out,
        vec![
            IngestOutcome::Applied,
            IngestOutcome::Applied,
            IngestOutcome::Duplicate
        ]
    );
    assert_eq!(
        hub.gateway_ingest().ingest(&w.gw, a).unwrap(),
        IngestOutcome::Duplicate
    );
    assert_eq!(hub.interactions(&w.a.admin, None).unwrap().len(), 1);
    assert_eq!(hub.interactions(&w.b.admin, None).unwrap().len(), 1);
}

#[tokio::test]
async fn live_events_reach_only_those_who_may_see_the_conversation() {
    let w = world();
    let hub = &w.f.hub;
    let who = [
        (&w.a.admin, 2, "the tenant admin"),
        (&w.a.agent, 2, "the agent belongs to the queue"),
        (&w.a.user, 0, "a plain user outside the queue"),
        (&w.b.admin, 0, "another tenant"),
        (&w.l2_admin, 0, "a reseller of another subtree"),
        (&w.l1_admin, 2, "the tenant's reseller"),
    ];
    let mut streams: Vec<_> = who.iter().map(|(a, _, _)| hub.events(a).unwrap()).collect();
    hub.gateway_ingest()
        .ingest(&w.gw, inbound("usb0", "+33613131313", "queue message"))
        .unwrap();
    for ((_, want, why), s) in who.iter().zip(streams.iter_mut()) {
        let mut n = 0;
        while let Some(item) = s.try_next() {
            if let smsgate_cloud::hub::StreamItem::Event(
                smsgate_cloud::hub::EventKind::MessageCreated { .. }
                | smsgate_cloud::hub::EventKind::InteractionUpdated { .. },
            ) = item
            {
                n += 1;
            }
        }
        assert_eq!(n, *want, "{why}");
    }
}

#[tokio::test]
async fn a_delivery_report_is_announced_as_a_message_update() {
    let w = world();
    let hub = &w.f.hub;
    let m = hub
        .send(&w.a.user, send_req("+33614141414", "hello"))
        .unwrap();
    let mut stream = hub.events(&w.a.user).unwrap();
    hub.gateway_ingest()
        .ingest(
            &w.gw,
            wire::Up::Dlr(wire::Delivery {
                id: Uuid::now_v7(),
                v: 1,
                message_id: m.id,
                state: wire::DeliveryState::Delivered,
                at: chrono::Utc::now(),
                evidence: None,
            }),
        )
        .unwrap();
    match stream.try_next() {
        Some(smsgate_cloud::hub::StreamItem::Event(
            smsgate_cloud::hub::EventKind::MessageUpdated { message },
        )) => {
            assert_eq!(message.id, m.id);
            assert_eq!(message.state, MessageState::Delivered);
        }
        other => panic!("expected a message update, got {other:?}"),
    }
}

#[test]
fn a_reply_to_an_api_sent_message_lands_in_the_channels_queue_for_its_agents() {
    let w = world();
    let hub = &w.f.hub;
    let key = hub.authenticate(&w.a.api_key).unwrap();
    let m = hub
        .send(&key, send_req("0612345678", "Votre commande est prête"))
        .unwrap();
    assert_eq!(m.to, "+33612345678", "read in the channel's country");
    hub.gateway_ingest()
        .ingest(
            &w.gw,
            inbound("usb0", "+33612345678", "Merci, je passe demain"),
        )
        .unwrap();
    let seen = hub.interactions(&w.a.agent, None).unwrap();
    assert_eq!(
        seen.len(),
        1,
        "the agent of the channel's queue sees the reply"
    );
    assert_eq!(seen[0].id, m.interaction_id);
    assert_eq!(seen[0].queue_id, Some(w.a.queue.id));
    assert_eq!(seen[0].status, InteractionStatus::Waiting);
    let msgs = hub.interaction_messages(&w.a.agent, seen[0].id).unwrap();
    assert_eq!(msgs.len(), 2);
}
