//! The hub (`smsgate_cloud::start`: SQLite store, embedded broker, hub link, REST API) and the
//! gateway's cloud link (`smsgate_gateway::cloud::spawn` over a real spool file) in one process,
//! talking over real MQTT on loopback. The spool is driven directly (no modems): this proves the
//! glue on both sides — commands become spooled messages once, spool events become hub state
//! once, even when the link restarts and republishes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use smsgate_cloud::authz::Actor;
use smsgate_cloud::hub::{NewUser, SendRequest};
use smsgate_cloud::model::{Destination, MessageState, OrgKind, Role};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::{Hub, HubSettings, RunOptions};
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_config::hub::HubConfig;
use smsgate_e2e::wait_until;
use smsgate_gateway::cloud::LinkSettings;
use smsgate_gateway::ports::{Board, PortState, PortsHandle, Supervisor};
use smsgate_gateway::spool::{NewInbound, SentPart, Spool};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const PW: &str = "glue-password";

fn settings() -> HubSettings {
    HubSettings {
        password_cost: PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..HubSettings::default()
    }
}

fn actor(hub: &Hub, login: &str) -> Actor {
    let (t, _) = hub.login(login, PW).unwrap();
    hub.authenticate(&t).unwrap()
}

struct Seed {
    gateway: smsgate_cloud::model::Gateway,
    tenant_admin: Actor,
    gateway_id: String,
    gateway_password: String,
    sim: String,
}

fn seed(hub: &Hub) -> Seed {
    let root = actor(hub, "admin");
    let tenant = hub
        .create_org(&root, None, OrgKind::Tenant, "Glue Tenant")
        .unwrap();
    hub.create_user(
        &root,
        NewUser {
            org_id: Some(tenant.id),
            login: "ta".into(),
            name: "ta".into(),
            role: Role::TenantAdmin,
            password: PW.into(),
        },
    )
    .unwrap();
    let tenant_admin = actor(hub, "ta");
    let gw = hub.create_gateway(&root, "glue").unwrap();
    let sim = "+15550000001".to_owned();
    let c = hub.create_channel(&root, gw.gateway.id, "0", &sim).unwrap();
    let c = hub
        .distribute_channel(&root, c.id, tenant.id, false)
        .unwrap();
    hub.set_destination(&tenant_admin, c.id, Destination::Tenant)
        .unwrap();
    Seed {
        gateway: gw.gateway.clone(),
        tenant_admin,
        gateway_id: gw.mqtt_username,
        gateway_password: gw.mqtt_password,
        sim,
    }
}

fn gateway_config() -> GatewayConfig {
    let mut c = GatewayConfig::default();
    c.ports
        .push(PortConfig::new(0, Device::Serial("/dev/ttyUSB0".into())));
    c.groups.push(GroupConfig::new(
        "main",
        smsgate_config::parse_port_spec("0").unwrap(),
    ));
    c
}

async fn start_hub(dir: &tempfile::TempDir) -> (smsgate_cloud::Started, CancellationToken) {
    let mut config = HubConfig::default();
    config.storage.path = dir.path().join("hub.sqlite");
    config.api.listen = "127.0.0.1:0".parse().unwrap();
    config.mqtt.listen = "127.0.0.1:0".parse().unwrap();
    config.bootstrap.admin_password = Some(PW.into());
    let hub_token = CancellationToken::new();
    let started = smsgate_cloud::start(
        config,
        RunOptions {
            settings: Some(settings()),
            ..RunOptions::default()
        },
        hub_token.clone(),
    )
    .await
    .unwrap();
    (started, hub_token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_events_cross_the_link_exactly_once_even_across_a_link_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (started, hub_token) = start_hub(&dir).await;
    let hub = started.hub.clone();
    let s = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || seed(&hub))
            .await
            .unwrap()
    };
    let broker = started.broker_addr.unwrap();

    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let link_settings = LinkSettings {
        url: format!("mqtt://127.0.0.1:{}", broker.port()),
        gateway_id: s.gateway_id.clone(),
        username: s.gateway_id.clone(),
        password: s.gateway_password.clone(),
        ca_file: None,
        client_cert: None,
        keep_alive: Duration::from_secs(5),
        heartbeat: Duration::from_secs(60),
    };
    let start_link = |spool: Spool| {
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        smsgate_gateway::cloud::spawn(
            &link_settings,
            &gateway_config(),
            spool,
            None,
            None,
            token.clone(),
            &tracker,
        )
        .unwrap();
        tracker.close();
        (token, tracker)
    };
    let (link_token, link_tracker) = start_link(spool.clone());

    // Hub → gateway: a send becomes one queued message pinned to port 0.
    let message = {
        let hub = hub.clone();
        let a = s.tenant_admin.clone();
        tokio::task::spawn_blocking(move || {
            hub.send(
                &a,
                SendRequest {
                    to: "+447700900123".into(),
                    text: "over the link".into(),
                    ..SendRequest::default()
                },
            )
        })
        .await
        .unwrap()
        .unwrap()
    };
    let queued = wait_until("the spooled message", Duration::from_secs(30), || {
        let spool = spool.clone();
        async move {
            let q = spool.call(|db| db.peek_queued("main", 10)).await.unwrap();
            (!q.is_empty()).then_some(q)
        }
    })
    .await
    .unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].port, queued[0].text.as_str()),
        (0, "over the link")
    );

    // The gateway's ack reaches the hub: the message is accepted.
    let state_of = |id| {
        let hub = hub.clone();
        let a = s.tenant_admin.clone();
        async move {
            tokio::task::spawn_blocking(move || hub.message(&a, id).unwrap().state)
                .await
                .unwrap()
        }
    };
    wait_until("accepted", Duration::from_secs(30), || async {
        (state_of(message.id).await == MessageState::Accepted).then_some(())
    })
    .await
    .unwrap();

    // Restart the link: everything not yet acked is published again (same ids), nothing is
    // applied twice on either side.
    link_token.cancel();
    link_tracker.wait().await;
    let id = queued[0].id;
    spool
        .call(move |db| {
            db.claim(id, 0)?;
            db.mark_sent(
                id,
                &[SentPart {
                    seq: 1,
                    port: 0,
                    reference: 9,
                }],
            )
        })
        .await
        .unwrap();
    let at = chrono::Utc::now();
    spool
        .call(move |db| {
            db.store_inbound(&NewInbound {
                from: "+33611111111".into(),
                port: 0,
                sim: None,
                text: "hello hub".into(),
                sent_at: None,
                received_at: at,
            })
        })
        .await
        .unwrap();
    let (link_token, link_tracker) = start_link(spool.clone());
    wait_until("sent", Duration::from_secs(30), || async {
        (state_of(message.id).await == MessageState::Sent).then_some(())
    })
    .await
    .unwrap();
    let interactions = wait_until("the inbound interaction", Duration::from_secs(30), || {
        let hub = hub.clone();
        let a = s.tenant_admin.clone();
        async move {
            let list = tokio::task::spawn_blocking(move || hub.interactions(&a, None).unwrap())
                .await
                .unwrap();
            list.iter()
                .any(|i| i.contact_number == "+33611111111")
                .then_some(list)
        }
    })
    .await
    .unwrap();
    let inbound = interactions
        .iter()
        .find(|i| i.contact_number == "+33611111111")
        .unwrap();
    let msgs = {
        let hub = hub.clone();
        let a = s.tenant_admin.clone();
        let id = inbound.id;
        tokio::task::spawn_blocking(move || hub.interaction_messages(&a, id).unwrap())
            .await
            .unwrap()
    };
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        (msgs[0].text.as_str(), msgs[0].to.as_str()),
        ("hello hub", s.sim.as_str())
    );

    // The outbox drains once everything is acked.
    wait_until("an empty outbox", Duration::from_secs(30), || {
        let spool = spool.clone();
        async move {
            let left = spool.call(|db| db.peek_events(10)).await.unwrap();
            left.is_empty().then_some(())
        }
    })
    .await
    .unwrap();
    let queued = spool.call(|db| db.peek_queued("main", 10)).await.unwrap();
    assert!(
        queued.is_empty(),
        "the send was not spooled twice: {queued:?}"
    );

    link_token.cancel();
    link_tracker.wait().await;
    hub_token.cancel();
    started.wait().await;
}

fn link_settings(s: &Seed, broker: std::net::SocketAddr, heartbeat: Duration) -> LinkSettings {
    LinkSettings {
        url: format!("mqtt://127.0.0.1:{}", broker.port()),
        gateway_id: s.gateway_id.clone(),
        username: s.gateway_id.clone(),
        password: s.gateway_password.clone(),
        ca_file: None,
        client_cert: None,
        keep_alive: Duration::from_secs(5),
        heartbeat,
    }
}

/// `GET /api/v1/gateways/{id}` as the platform admin (the REST view of the gateway).
async fn gateway_view(api: std::net::SocketAddr, token: &str, id: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("http://{api}/api/v1/gateways/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_inventory_reaches_the_hub_on_connect_on_change_and_after_a_reconnect_and_heartbeats_refresh_last_seen()
 {
    let dir = tempfile::tempdir().unwrap();
    let (started, hub_token) = start_hub(&dir).await;
    let hub = started.hub.clone();
    let s = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || seed(&hub))
            .await
            .unwrap()
    };
    let (token, _) = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || hub.login("admin", PW).unwrap())
            .await
            .unwrap()
    };
    let api = started.api_addr;
    let gw_id = s.gateway.id.to_string();
    let settings = link_settings(&s, started.broker_addr.unwrap(), Duration::from_secs(1));
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let board = Board::new([0]);
    let start_link = || {
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        smsgate_gateway::cloud::spawn(
            &settings,
            &gateway_config(),
            spool.clone(),
            Some(PortsHandle::new(board.clone(), BTreeMap::new())),
            None,
            token.clone(),
            &tracker,
        )
        .unwrap();
        tracker.close();
        (token, tracker)
    };
    let ports_as = |view: &serde_json::Value| view["ports"].clone();

    // On connect: the port as it is (not opened yet, unregistered).
    let (link_token, link_tracker) = start_link();
    let first = wait_until("the first inventory", Duration::from_secs(30), || async {
        let v = gateway_view(api, &token, &gw_id).await;
        (ports_as(&v).as_array().is_some_and(|p| p.len() == 1)).then_some(v)
    })
    .await
    .unwrap();
    assert_eq!(first["ports"][0]["port"], "0");
    assert_eq!(first["ports"][0]["registered"], false);

    // A port state change is published.
    let mut sup = Supervisor::new(0);
    sup.state = PortState::Registered;
    sup.reason = None;
    sup.operator = Some("Lab Telecom".into());
    sup.signal_dbm = Some(-73);
    sup.sim.imsi = Some("208150000000001".into());
    board.publish(0, true, true, &sup);
    let changed = wait_until("the changed inventory", Duration::from_secs(30), || async {
        let v = gateway_view(api, &token, &gw_id).await;
        (v["ports"][0]["registered"] == true).then_some(v)
    })
    .await
    .unwrap();
    assert_eq!(changed["ports"][0]["operator"], "Lab Telecom");
    assert_eq!(changed["ports"][0]["signal"], 20);

    // Heartbeats alone move last-seen forward (the inventory no longer changes).
    let seen = changed["last_seen"].as_str().unwrap().to_owned();
    wait_until("a later last-seen", Duration::from_secs(30), || async {
        let v = gateway_view(api, &token, &gw_id).await;
        let now = v["last_seen"].as_str().unwrap().to_owned();
        let later = chrono::DateTime::parse_from_rfc3339(&now).unwrap()
            > chrono::DateTime::parse_from_rfc3339(&seen).unwrap();
        later.then_some(())
    })
    .await
    .unwrap();

    // A change made while the link is down arrives once it is back.
    link_token.cancel();
    link_tracker.wait().await;
    sup.state = PortState::Searching;
    sup.operator = None;
    board.publish(0, false, false, &sup);
    let (link_token, link_tracker) = start_link();
    let back = wait_until(
        "the inventory after reconnecting",
        Duration::from_secs(30),
        || async {
            let v = gateway_view(api, &token, &gw_id).await;
            (v["ports"][0]["registered"] == false).then_some(v)
        },
    )
    .await
    .unwrap();
    assert!(
        back["ports"][0]
            .get("operator")
            .is_none_or(serde_json::Value::is_null)
    );

    link_token.cancel();
    link_tracker.wait().await;
    hub_token.cancel();
    started.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_through_the_hub_cancels_a_queued_message_on_both_sides_and_is_refused_once_sending()
 {
    let dir = tempfile::tempdir().unwrap();
    let (started, hub_token) = start_hub(&dir).await;
    let hub = started.hub.clone();
    let s = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || seed(&hub))
            .await
            .unwrap()
    };
    let settings = link_settings(&s, started.broker_addr.unwrap(), Duration::from_secs(60));
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let link_token = CancellationToken::new();
    let link_tracker = TaskTracker::new();
    smsgate_gateway::cloud::spawn(
        &settings,
        &gateway_config(),
        spool.clone(),
        None,
        None,
        link_token.clone(),
        &link_tracker,
    )
    .unwrap();
    link_tracker.close();

    let send = |text: &'static str| {
        let hub = hub.clone();
        let a = s.tenant_admin.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                hub.send(
                    &a,
                    SendRequest {
                        to: "+447700900123".into(),
                        text: text.into(),
                        ..SendRequest::default()
                    },
                )
                .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let cancel = |id| {
        let hub = hub.clone();
        let a = s.tenant_admin.clone();
        async move {
            tokio::task::spawn_blocking(move || hub.cancel_message(&a, id))
                .await
                .unwrap()
        }
    };
    let message_of = |id| {
        let hub = hub.clone();
        let a = s.tenant_admin.clone();
        async move {
            tokio::task::spawn_blocking(move || hub.message(&a, id).unwrap())
                .await
                .unwrap()
        }
    };
    let spooled = |text: &'static str| {
        let spool = spool.clone();
        async move {
            let q = spool.call(|db| db.peek_queued("main", 10)).await.unwrap();
            q.into_iter().find(|m| m.text == text)
        }
    };

    // Queued on the gateway: cancelled there, and the hub follows.
    let first = send("cancel me").await;
    let queued = wait_until("the first spooled message", Duration::from_secs(30), || {
        spooled("cancel me")
    })
    .await
    .unwrap();
    cancel(first.id).await.unwrap();
    wait_until("cancelled on the hub", Duration::from_secs(30), || async {
        (message_of(first.id).await.state == MessageState::Cancelled).then_some(())
    })
    .await
    .unwrap();
    let id = queued.id;
    let on_gateway = spool.call(move |db| db.get(id)).await.unwrap().unwrap();
    assert_eq!(
        on_gateway.state,
        smsgate_gateway::spool::MessageState::Cancelled
    );

    // Already sending on the gateway (the hub does not know yet): the gateway refuses, the
    // message keeps its state and the refusal is recorded.
    let second = send("too late").await;
    let queued = wait_until(
        "the second spooled message",
        Duration::from_secs(30),
        || spooled("too late"),
    )
    .await
    .unwrap();
    let id = queued.id;
    spool
        .call(move |db| db.claim(id, 0))
        .await
        .unwrap()
        .unwrap();
    cancel(second.id).await.unwrap();
    let refused = wait_until(
        "the refusal on the hub",
        Duration::from_secs(30),
        || async {
            let m = message_of(second.id).await;
            m.error.is_some().then_some(m)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        refused.error.as_deref(),
        Some("cancel refused: too late to cancel: the message is sending")
    );
    assert_ne!(refused.state, MessageState::Cancelled);
    let on_gateway = spool.call(move |db| db.get(id)).await.unwrap().unwrap();
    assert_eq!(
        on_gateway.state,
        smsgate_gateway::spool::MessageState::Sending
    );

    // Sent: the hub refuses at once.
    spool
        .call(move |db| {
            db.mark_sent(
                id,
                &[SentPart {
                    seq: 1,
                    port: 0,
                    reference: 7,
                }],
            )
        })
        .await
        .unwrap();
    wait_until("sent on the hub", Duration::from_secs(30), || async {
        (message_of(second.id).await.state == MessageState::Sent).then_some(())
    })
    .await
    .unwrap();
    let err = cancel(second.id).await.unwrap_err();
    assert!(err.to_string().contains("too late to cancel"), "{err}");

    link_token.cancel();
    link_tracker.wait().await;
    hub_token.cancel();
    started.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_patch_from_the_hub_changes_a_groups_interval_and_a_bad_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (started, hub_token) = start_hub(&dir).await;
    let hub = started.hub.clone();
    let s = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || seed(&hub))
            .await
            .unwrap()
    };
    let root = {
        let hub = hub.clone();
        tokio::task::spawn_blocking(move || actor(&hub, "admin"))
            .await
            .unwrap()
    };
    let settings = link_settings(&s, started.broker_addr.unwrap(), Duration::from_secs(60));
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let config = gateway_config();
    let (groups, live) = tokio::sync::watch::channel(config.groups.clone());
    let link_token = CancellationToken::new();
    let link_tracker = TaskTracker::new();
    smsgate_gateway::cloud::spawn(
        &settings,
        &config,
        spool,
        None,
        Some(groups),
        link_token.clone(),
        &link_tracker,
    )
    .unwrap();
    link_tracker.close();

    let configure = |patch: serde_json::Value| {
        let hub = hub.clone();
        let root = root.clone();
        let gw = s.gateway.id;
        async move {
            tokio::task::spawn_blocking(move || {
                hub.configure_gateway(&root, gw, patch.as_object().unwrap().clone())
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    configure(serde_json::json!({"groups.main.interval_ms": 2500})).await;
    wait_until("the new interval", Duration::from_secs(30), || async {
        (live.borrow()[0].interval_ms == 2500).then_some(())
    })
    .await
    .unwrap();

    // One bad key: the whole patch is refused, nothing of it applied. Commands are applied in
    // order, so once the next (good) patch shows, the bad one was handled.
    configure(serde_json::json!({
        "groups.main.interval_ms": 4000,
        "groups.main.max_per_day": 0,
    }))
    .await;
    configure(serde_json::json!({"groups.main.jitter_ms": 100})).await;
    wait_until(
        "the patch after the bad one",
        Duration::from_secs(30),
        || async { (live.borrow()[0].jitter_ms == 100).then_some(()) },
    )
    .await
    .unwrap();
    assert_eq!(live.borrow()[0].interval_ms, 2500);
    assert_eq!(live.borrow()[0].max_per_day, None);

    link_token.cancel();
    link_tracker.wait().await;
    hub_token.cancel();
    started.wait().await;
}
