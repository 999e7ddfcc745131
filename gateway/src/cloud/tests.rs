use super::outbox::hub_key;
use super::*;
use crate::ports::{PortState, Supervisor};
use crate::spool::NewMessage;
use crate::spool::{NewInbound, SentPart};
use chrono::TimeZone;
use chrono::Utc;
use smsgate_config::{PortSpec, parse_port_spec};
use smsgate_mqtt::{CommandSink, Outbox};
use smsgate_wire::{AckOutcome, Down, PortInfo, SendState, Up};
use uuid::Uuid;

fn gw() -> GatewayId {
    GatewayId::new("gw-test").unwrap()
}

#[test]
fn a_registered_port_is_reported_with_its_operator_imsi_and_signal_as_csq() {
    let mut s = Supervisor::new(3);
    s.state = PortState::Roaming;
    s.operator = Some("Visited".into());
    s.sim.imsi = Some("208150000000001".into());
    s.signal_dbm = Some(-73);
    assert_eq!(
        port_info(&s),
        PortInfo {
            port: "3".into(),
            sim_number: None,
            imsi: Some("208150000000001".into()),
            operator: Some("Visited".into()),
            signal: Some(20),
            registered: true,
        }
    );
}

#[test]
fn signal_outside_the_csq_range_is_clamped_and_unregistered_states_say_so() {
    let mut s = Supervisor::new(0);
    for (dbm, csq) in [(-140, 0), (-113, 0), (-51, 31), (-20, 31)] {
        s.signal_dbm = Some(dbm);
        assert_eq!(port_info(&s).signal, Some(csq), "{dbm} dBm");
    }
    for state in PortState::ALL {
        s.state = state;
        let registered = matches!(state, PortState::Registered | PortState::Roaming);
        assert_eq!(port_info(&s).registered, registered, "{state:?}");
    }
}

fn config() -> GatewayConfig {
    let mut c = GatewayConfig::default();
    for id in 0..3 {
        c.ports.push(smsgate_config::gateway::PortConfig::new(
            id,
            smsgate_config::gateway::Device::Serial(format!("/dev/ttyUSB{id}").into()),
        ));
    }
    let spec: PortSpec = parse_port_spec("0-1").unwrap();
    c.groups
        .push(smsgate_config::gateway::GroupConfig::new("main", spec));
    c
}

struct World {
    _dir: tempfile::TempDir,
    spool: Spool,
    outbox: SpoolOutbox,
    sink: SpoolCommands,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    World {
        outbox: SpoolOutbox::new(spool.clone(), &gw()),
        sink: SpoolCommands::new(spool.clone(), &config(), None),
        spool,
        _dir: dir,
    }
}

fn send(port: &str) -> Down {
    Down::Send(smsgate_wire::Send {
        id: Uuid::now_v7(),
        v: 1,
        message_id: Uuid::now_v7(),
        port: port.into(),
        to: "+33612345678".into(),
        text: "hello".into(),
        request_dlr: true,
        conversation: false,
    })
}

async fn pending(w: &World) -> Vec<Up> {
    w.outbox
        .peek(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.message)
        .collect()
}

#[tokio::test]
async fn a_send_command_becomes_one_spooled_message_even_when_delivered_twice() {
    let w = world();
    let cmd = send("1");
    let first = w.sink.apply(cmd.clone()).await;
    let again = w.sink.apply(cmd.clone()).await;
    assert_eq!(first.outcome, AckOutcome::Applied);
    assert_eq!(again.outcome, AckOutcome::Duplicate);
    let queued = w.spool.call(|db| db.peek_queued("main", 10)).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].port, 1, "pinned to the port the hub named");
}

#[tokio::test]
async fn a_send_on_an_unknown_or_groupless_port_is_rejected_with_the_reason() {
    let w = world();
    let a = w.sink.apply(send("9")).await;
    assert_eq!(a.outcome, AckOutcome::Rejected);
    assert!(a.detail.unwrap().contains("\"9\" is not configured"));
    let b = w.sink.apply(send("2")).await;
    assert_eq!(b.outcome, AckOutcome::Rejected);
    assert!(b.detail.unwrap().contains("no [[groups]]"));
}

fn cancel_of(message_id: Uuid) -> Down {
    Down::Cancel(smsgate_wire::Cancel {
        id: Uuid::now_v7(),
        v: 1,
        message_id,
    })
}

#[tokio::test]
async fn a_cancel_before_any_port_took_the_message_cancels_it_and_the_hub_hears_cancelled() {
    let w = world();
    let Down::Send(s) = send("0") else { panic!() };
    w.sink.apply(Down::Send(s.clone())).await;
    let a = w.sink.apply(cancel_of(s.message_id)).await;
    assert_eq!(a.outcome, AckOutcome::Applied, "{:?}", a.detail);
    let queued = w.spool.call(|db| db.peek_queued("main", 10)).await.unwrap();
    assert!(queued.is_empty(), "nothing left to send: {queued:?}");
    assert!(
        w.spool
            .call(|db| db.claim_next("main", 0))
            .await
            .unwrap()
            .is_none()
    );
    let events = w.spool.call(|db| db.peek_events(100)).await.unwrap();
    let last = events.last().unwrap().clone();
    let up = w
        .spool
        .call(move |db| translate(db, &gw(), &last))
        .await
        .unwrap();
    match up {
        Some(Up::Status(st)) => {
            assert_eq!(
                (st.message_id, st.state),
                (s.message_id, SendState::Cancelled)
            );
        }
        other => panic!("want a cancelled status, got {other:?}"),
    }
}

#[tokio::test]
async fn a_cancel_after_a_port_took_the_message_is_refused_naming_its_state() {
    let w = world();
    let Down::Send(s) = send("0") else { panic!() };
    w.sink.apply(Down::Send(s.clone())).await;
    w.spool
        .call(|db| db.claim_next("main", 0))
        .await
        .unwrap()
        .unwrap();
    let a = w.sink.apply(cancel_of(s.message_id)).await;
    assert_eq!(a.outcome, AckOutcome::Rejected);
    assert_eq!(
        a.detail.as_deref(),
        Some("too late to cancel: the message is sending")
    );
    let unknown = w.sink.apply(cancel_of(Uuid::now_v7())).await;
    assert_eq!(unknown.outcome, AckOutcome::Rejected);
    assert!(
        unknown
            .detail
            .unwrap()
            .contains("is not spooled on this gateway")
    );
}

fn config_of(settings: serde_json::Value) -> Down {
    Down::Config(smsgate_wire::ConfigPatch {
        id: Uuid::now_v7(),
        v: 1,
        settings: settings.as_object().unwrap().clone(),
    })
}

#[tokio::test]
async fn a_config_patch_changes_the_live_group_settings_whole_or_not_at_all() {
    let w = world();
    let c = config();
    let (groups, live) = watch::channel(c.groups.clone());
    let sink = w.sink.clone().with_group_settings(c.clone(), groups);

    let good = sink
        .apply(config_of(
            serde_json::json!({"groups.main.interval_ms": 2500}),
        ))
        .await;
    assert_eq!(good.outcome, AckOutcome::Applied, "{:?}", good.detail);
    assert_eq!(live.borrow()[0].interval_ms, 2500);

    let bad = sink
        .apply(config_of(serde_json::json!({
            "groups.main.jitter_ms": 50,
            "groups.main.ports": "0-3",
        })))
        .await;
    assert_eq!(bad.outcome, AckOutcome::Rejected);
    let detail = bad.detail.unwrap();
    assert!(
        detail.starts_with("nothing applied: groups.main.ports: cannot be changed at run time"),
        "{detail}"
    );
    assert_eq!(
        (live.borrow()[0].interval_ms, live.borrow()[0].jitter_ms),
        (2500, 0),
        "the good key of a bad patch is not applied either"
    );

    let without = w
        .sink
        .apply(config_of(serde_json::json!({"groups.main.interval_ms": 1})))
        .await;
    assert_eq!(without.outcome, AckOutcome::Rejected);
}

#[tokio::test]
async fn port_commands_without_ports_are_refused_not_ignored() {
    let w = world();
    let reset = Down::Reset(smsgate_wire::Reset {
        id: Uuid::now_v7(),
        v: 1,
        port: None,
    });
    for c in [reset] {
        let id = c.id();
        let a = w.sink.apply(c).await;
        assert_eq!(a.ack_of, id);
        assert_eq!(a.outcome, AckOutcome::Rejected);
    }
}

#[tokio::test]
async fn the_status_events_of_a_hub_message_name_the_hubs_message_id() {
    let w = world();
    let Down::Send(s) = send("0") else { panic!() };
    w.sink.apply(Down::Send(s.clone())).await;
    let claimed = w
        .spool
        .call(|db| db.claim_next("main", 0))
        .await
        .unwrap()
        .unwrap();
    let id = claimed.id;
    w.spool
        .call(move |db| {
            db.mark_sent(
                id,
                &[SentPart {
                    seq: 1,
                    port: 0,
                    reference: 42,
                }],
            )
        })
        .await
        .unwrap();
    let ups = pending(&w).await;
    assert_eq!(
        ups.len(),
        2,
        "accepted + sent; `sending` is not reported: {ups:?}"
    );
    let Up::Status(q) = &ups[0] else { panic!() };
    assert_eq!((q.message_id, q.state), (s.message_id, SendState::Queued));
    let Up::Status(sent) = &ups[1] else { panic!() };
    assert_eq!(sent.state, SendState::Sent);
    assert_eq!(sent.reference, Some(42));
}

#[tokio::test]
async fn a_republished_event_keeps_its_id_and_acked_events_are_gone() {
    let w = world();
    w.sink.apply(send("0")).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap();
    w.spool
        .call(move |db| {
            db.store_inbound(&NewInbound {
                from: "+33611111111".into(),
                port: 1,
                sim: None,
                text: "hi".into(),
                sent_at: None,
                received_at: at,
            })
        })
        .await
        .unwrap();
    let first = w.outbox.peek(None, 100).await.unwrap();
    let again = w.outbox.peek(None, 100).await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(
        first.iter().map(|e| e.message.id()).collect::<Vec<_>>(),
        again.iter().map(|e| e.message.id()).collect::<Vec<_>>()
    );
    let Up::Inbound(i) = &first[1].message else {
        panic!()
    };
    assert_eq!((i.port.as_str(), i.text.as_str()), ("1", "hi"));
    assert_eq!(i.received_at, at);
    // After the first one: only the second.
    let rest = w.outbox.peek(Some(first[0].id), 100).await.unwrap();
    assert_eq!(rest.len(), 1);
    w.outbox.ack(first[1].id).await.unwrap();
    assert!(w.outbox.peek(None, 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn locally_submitted_messages_are_not_reported_and_leave_the_outbox() {
    let w = world();
    w.spool
        .call(|db| db.submit(NewMessage::new("+33600000000", "local", "main")))
        .await
        .unwrap();
    assert!(pending(&w).await.is_empty());
    let left = w.spool.call(|db| db.peek_events(10)).await.unwrap();
    assert!(left.is_empty(), "the skipped prefix was passed: {left:?}");
}

async fn submit_local(w: &World, n: usize) {
    w.spool
        .call(move |db| {
            for i in 0..n {
                db.submit(NewMessage::new(
                    "+33600000000",
                    format!("local {i}"),
                    "main",
                ))?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// `(events passed, newest event, backlog, rows left in the table)`.
async fn outbox_marks(w: &World) -> (i64, Option<i64>, u64, usize) {
    w.spool
        .call(|db| {
            Ok((
                db.events_passed(),
                db.newest_event_id()?,
                db.outbox_backlog()?,
                db.peek_events_after(i64::MIN, 100_000)?.len(),
            ))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_link_whose_window_emptied_passes_the_boxs_own_traffic_instead_of_reading_it_again() {
    let w = world();
    w.sink.apply(send("0")).await;
    let hub = w.outbox.peek(None, 100).await.unwrap();
    assert_eq!(hub.len(), 1);
    w.outbox.ack(hub[0].id).await.unwrap();
    // The link keeps its cursor on the hub message it published; then the box's own traffic.
    submit_local(&w, 10).await;
    assert!(
        w.outbox
            .peek(Some(hub[0].id), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let (passed, newest, backlog, _) = outbox_marks(&w).await;
    assert_eq!(Some(passed), newest, "every local event was passed");
    assert_eq!(
        backlog, 0,
        "the box's own traffic is no backlog for the hub"
    );
    // The next peek starts after them: a hub event that follows is found at once.
    w.sink.apply(send("1")).await;
    let next = w.outbox.peek(Some(hub[0].id), 100).await.unwrap();
    assert_eq!(next.len(), 1);
    assert!(i64::try_from(next[0].id).unwrap() > passed);
}

#[tokio::test]
async fn events_in_flight_are_never_passed_and_come_again_after_a_reconnect() {
    let w = world();
    w.sink.apply(send("0")).await;
    let in_flight = w.outbox.peek(None, 100).await.unwrap();
    assert_eq!(in_flight.len(), 1);
    submit_local(&w, 5).await;
    assert!(
        w.outbox
            .peek(Some(in_flight[0].id), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let (passed, _, backlog, _) = outbox_marks(&w).await;
    assert!(
        passed < i64::try_from(in_flight[0].id).unwrap(),
        "nothing passed over an event in flight"
    );
    assert_eq!(backlog, 6);
    // A new connection reads from the oldest: the unreceipted hub event goes out again.
    let again = w.outbox.peek(None, 100).await.unwrap();
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        [in_flight[0].id]
    );
}

#[tokio::test]
async fn passed_events_are_deleted_in_batches_not_one_write_each() {
    let w = world();
    let batch = usize::try_from(crate::spool::outbox::PASS_BATCH).unwrap();
    submit_local(&w, batch - 1).await;
    assert!(pending(&w).await.is_empty());
    let (_, _, backlog, rows) = outbox_marks(&w).await;
    assert_eq!((backlog, rows), (0, batch - 1), "passed, not yet deleted");
    submit_local(&w, 1).await;
    assert!(pending(&w).await.is_empty());
    let (_, _, backlog, rows) = outbox_marks(&w).await;
    assert_eq!((backlog, rows), (0, 0), "the batch is deleted in one write");
    // The next acknowledgement takes passed events below it too.
    submit_local(&w, 3).await;
    assert!(pending(&w).await.is_empty());
    w.sink.apply(send("0")).await;
    let hub = w.outbox.peek(None, 100).await.unwrap();
    w.outbox.ack(hub[0].id).await.unwrap();
    assert_eq!(outbox_marks(&w).await.3, 0);
}

#[tokio::test]
async fn peek_returns_at_most_limit_events_after_the_cursor_in_order() {
    let w = world();
    for _ in 0..5 {
        w.sink.apply(send("0")).await;
    }
    let two = w.outbox.peek(None, 2).await.unwrap();
    assert_eq!(two.len(), 2);
    let next = w.outbox.peek(Some(two[1].id), 10).await.unwrap();
    assert_eq!(next.len(), 3);
    assert!(next.windows(2).all(|p| p[0].id < p[1].id));
    assert!(next[0].id > two[1].id);
}

#[test]
fn event_ids_depend_on_the_event_the_time_and_the_gateway() {
    let t = Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap();
    let a = event_uuid(&gw(), 7, t);
    assert_eq!(a, event_uuid(&gw(), 7, t));
    assert_eq!(a.get_version_num(), 7);
    assert_ne!(a, event_uuid(&gw(), 8, t));
    assert_ne!(
        a,
        event_uuid(&gw(), 7, t + chrono::Duration::milliseconds(1))
    );
    assert_ne!(a, event_uuid(&GatewayId::new("other").unwrap(), 7, t));
}

fn problems(text: &str) -> Vec<String> {
    match GatewayConfig::from_toml_str(text) {
        Err(smsgate_config::ConfigError::Invalid(v)) => v.iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
        Ok(_) => vec![],
    }
}

#[test]
fn without_a_cloud_url_there_is_no_link() {
    assert_eq!(settings(&GatewayConfig::default()), None);
}

#[test]
fn the_username_defaults_to_the_gateway_id() {
    let c = GatewayConfig::from_toml_str(
        "[cloud]\nurl = \"mqtt://hub:1883\"\ngateway_id = \"gw-1\"\npassword = \"pw\"\n",
    )
    .unwrap();
    let s = settings(&c).unwrap();
    assert_eq!(
        (s.username.as_str(), s.gateway_id.as_str()),
        ("gw-1", "gw-1")
    );
    assert_eq!(s.keep_alive, Duration::from_secs(30));
}

#[test]
fn an_incomplete_or_inconsistent_cloud_section_names_every_key() {
    let p = problems(
        "[cloud]\nurl = \"http://hub\"\nusername = \"a+b\"\nclient_cert = \"/c.pem\"\nkeepalive_s = 0\n",
    );
    for key in [
        "cloud.url:",
        "cloud.gateway_id:",
        "cloud.password:",
        "cloud.username:",
        "cloud.client_key:",
        "cloud.keepalive_s:",
    ] {
        assert!(
            p.iter().any(|l| l.starts_with(key)),
            "{key} missing from {p:?}"
        );
    }
    let p = problems("[cloud]\ngateway_id = \"gw-1\"\npassword = \"x\"\n");
    assert!(p.iter().any(|l| l.starts_with("cloud.url:")), "{p:?}");
    let p = problems(
        "[cloud]\nurl = \"mqtt://h\"\ngateway_id = \"g\"\npassword = \"x\"\nca_file = \"/ca.pem\"\n",
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("cloud.url:") && l.contains("mqtts://")),
        "{p:?}"
    );
}

#[tokio::test]
async fn an_unreadable_ca_file_stops_the_start_with_a_config_error() {
    let w = world();
    let c = GatewayConfig::from_toml_str(
        "[cloud]\nurl = \"mqtts://hub:8883\"\ngateway_id = \"gw-1\"\npassword = \"pw\"\nca_file = \"/nonexistent/ca.pem\"\n",
    )
    .unwrap();
    let err = CloudControl::start(CloudDeps {
        config: c.clone(),
        spool: w.spool.clone(),
        ports: PortsHandle::default(),
        groups: watch::channel(c.groups.clone()).0,
        metrics: crate::metrics::GatewayMetrics::new(),
        clock: Arc::new(crate::clock::SystemClock),
        shutdown: CancellationToken::new(),
    })
    .await
    .err()
    .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("cloud") && text.contains("/nonexistent/ca.pem"),
        "{text}"
    );
}

#[test]
fn only_hub_keys_name_a_hub_message() {
    let (c, m) = (Uuid::now_v7(), Uuid::now_v7());
    assert_eq!(hub_message_id(Some(&hub_key(c, m))), Some(m));
    assert_eq!(hub_message_id(Some("client-key-1")), None);
    assert_eq!(hub_message_id(None), None);
}

#[tokio::test]
async fn the_hubs_receipt_is_noted_with_its_time_and_no_receipt_leaves_it_unknown() {
    let w = world();
    let clock = Arc::new(crate::clock::ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap(),
    ));
    let activity = super::LinkActivity::new(clock.clone());
    let outbox = SpoolOutbox::new(w.spool.clone(), &gw()).with_activity(activity.clone());
    w.sink.apply(send("0")).await;
    let events = outbox.peek(None, 100).await.unwrap();
    assert!(!events.is_empty());
    assert_eq!(activity.last_receipt(), None, "nothing receipted yet");
    clock.set(Utc.with_ymd_and_hms(2026, 12, 2, 9, 5, 0).unwrap());
    outbox.ack(events[0].id).await.unwrap();
    assert_eq!(
        activity.last_receipt(),
        Some(Utc.with_ymd_and_hms(2026, 12, 2, 9, 5, 0).unwrap())
    );
}
