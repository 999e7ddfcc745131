//! The writer keeps the gateway, channel and tenant records the ingest path reads for every
//! event (the store's memo); a change of any of them made through the hub is seen by the
//! very next event.
//!
//! `cargo test -p smsgate-cloud --test ingest_memo`

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::sync::Arc;

use chrono::Utc;
use smsgate_cloud::authz::Actor;
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::{Channel, Gateway, Org, OrgKind, Role};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::store::sqlite::SqliteStore;
use smsgate_cloud::{Hub, HubSettings, IngestOutcome, SystemClock};
use smsgate_wire as wire;
use uuid::Uuid;

const PW: &str = "memo-test-password";

struct World {
    _dir: tempfile::TempDir,
    hub: Hub,
    root: Actor,
    channel: Channel,
    gateway: Gateway,
    gw: wire::GatewayId,
    /// Two tenants and their admins.
    a: (Org, Actor),
    b: (Org, Actor),
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let settings = HubSettings {
        password_cost: PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..HubSettings::default()
    };
    let hub = Hub::new(Box::new(store), Arc::new(SystemClock), settings).unwrap();
    hub.bootstrap("Operator", "root", PW).unwrap();
    let login = |l: &str| hub.authenticate(&hub.login(l, PW).unwrap().0).unwrap();
    let root = login("root");
    let tenant = |name: &str| {
        let org = hub.create_org(&root, None, OrgKind::Tenant, name).unwrap();
        hub.create_user(
            &root,
            NewUser {
                org_id: Some(org.id),
                login: format!("{name}-admin"),
                name: name.into(),
                role: Role::TenantAdmin,
                password: PW.into(),
            },
        )
        .unwrap();
        let admin = login(&format!("{name}-admin"));
        (org, admin)
    };
    let (a, b) = (tenant("a"), tenant("b"));
    let created = hub.create_gateway(&root, "g").unwrap();
    let channel = hub
        .create_channel(&root, created.gateway.id, "usb0", "+33700000001")
        .unwrap();
    let channel = hub
        .distribute_channel(&root, channel.id, a.0.id, false)
        .unwrap();
    World {
        _dir: dir,
        gw: wire::GatewayId::new(created.mqtt_username).unwrap(),
        gateway: created.gateway,
        hub,
        root,
        channel,
        a,
        b,
    }
}

impl World {
    fn up(&self, up: wire::Up) -> IngestOutcome {
        self.hub.gateway_ingest().ingest(&self.gw, up).unwrap()
    }

    fn inbound(&self, from: &str) -> IngestOutcome {
        self.up(wire::Up::Inbound(wire::Inbound {
            id: Uuid::now_v7(),
            v: 1,
            port: "usb0".into(),
            sim_number: None,
            from: from.into(),
            text: "hello".into(),
            received_at: Utc::now(),
        }))
    }

    fn numbers_of(&self, admin: &Actor) -> Vec<String> {
        let mut n: Vec<String> = self
            .hub
            .interactions(admin, None)
            .unwrap()
            .into_iter()
            .map(|i| i.contact_number)
            .collect();
        n.sort();
        n
    }
}

#[test]
fn a_channel_handed_to_another_tenant_routes_the_very_next_message_there() {
    let w = world();
    assert_eq!(w.inbound("+33611111111"), IngestOutcome::Applied);
    assert_eq!(w.inbound("+33611111111"), IngestOutcome::Applied);
    assert_eq!(w.numbers_of(&w.a.1), vec!["+33611111111"]);
    w.hub
        .distribute_channel(&w.root, w.channel.id, w.b.0.id, true)
        .unwrap();
    assert_eq!(w.inbound("+33622222222"), IngestOutcome::Applied);
    assert_eq!(w.numbers_of(&w.b.1), vec!["+33622222222"]);
    assert_eq!(w.numbers_of(&w.a.1), vec!["+33611111111"]);
}

#[test]
fn a_channel_country_set_between_two_messages_reads_the_second_sender_in_it() {
    let w = world();
    // National numbers are read in the SIM number's country (France) at first…
    w.inbound("0611111111");
    assert_eq!(w.numbers_of(&w.a.1), vec!["+33611111111"]);
    // … and in the channel's own country once it has one.
    w.hub
        .set_channel_country(&w.a.1, w.channel.id, "GB")
        .unwrap();
    w.inbound("07911123456");
    assert_eq!(w.numbers_of(&w.a.1), vec!["+33611111111", "+447911123456"]);
}

#[test]
fn a_retired_channel_keeps_the_next_message_unrouted() {
    let w = world();
    assert_eq!(w.inbound("+33611111111"), IngestOutcome::Applied);
    w.hub.retire_channel(&w.root, w.channel.id, true).unwrap();
    assert!(matches!(
        w.inbound("+33611111111"),
        IngestOutcome::Unrouted(_)
    ));
}

#[test]
fn a_heartbeat_right_after_a_port_report_keeps_the_reported_ports() {
    // Each event reads the gateway record and writes it back whole: a stale record would
    // put the ports of before the report back.
    let w = world();
    let ports = |sim: &str| {
        wire::Up::Ports(wire::Ports {
            id: Uuid::now_v7(),
            v: 1,
            ports: vec![wire::PortInfo {
                port: "usb0".into(),
                sim_number: Some(sim.into()),
                imsi: None,
                operator: Some("op".into()),
                signal: Some(20),
                registered: true,
            }],
        })
    };
    let heartbeat = || {
        wire::Up::Heartbeat(wire::Heartbeat {
            id: Uuid::now_v7(),
            v: 1,
            versions: vec![1, 2],
            uptime_s: 5,
            software: None,
            at: Utc::now(),
        })
    };
    assert_eq!(w.up(ports("+33700000001")), IngestOutcome::Applied);
    assert_eq!(w.up(heartbeat()), IngestOutcome::Applied);
    assert_eq!(w.up(ports("+33700000009")), IngestOutcome::Applied);
    assert_eq!(w.up(heartbeat()), IngestOutcome::Applied);
    let g = w.hub.gateway(&w.root, w.gateway.id).unwrap();
    assert_eq!(g.versions, vec![1, 2]);
    assert!(g.online);
    assert_eq!(
        g.ports
            .iter()
            .map(|p| p.sim_number.clone())
            .collect::<Vec<_>>(),
        vec![Some("+33700000009".to_owned())]
    );
}
