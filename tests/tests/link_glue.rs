//! The hub (`smsgate_cloud::start`: SQLite store, embedded broker, hub link, REST API) and the
//! gateway's cloud link (`smsgate_gateway::cloud::spawn` over a real spool file) in one process,
//! talking over real MQTT on loopback. The spool is driven directly (no modems): this proves the
//! glue on both sides — commands become spooled messages once, spool events become hub state
//! once, even when the link restarts and republishes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_events_cross_the_link_exactly_once_even_across_a_link_restart() {
    let dir = tempfile::tempdir().unwrap();
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
    };
    let start_link = |spool: Spool| {
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        smsgate_gateway::cloud::spawn(
            &link_settings,
            &gateway_config(),
            spool,
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
