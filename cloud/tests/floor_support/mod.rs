//! A small tenant for the floor tests: a hub on a real SQLite file with the library's
//! `ManualClock`, one gateway, two channels, a queue with two agents and a manager.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use smsgate_cloud::authz::Actor;
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::*;
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::store::sqlite::SqliteStore;
use smsgate_cloud::{Hub, HubSettings, ManualClock};
use smsgate_wire as wire;
use uuid::Uuid;

pub const PW: &str = "floor-test-password";

pub fn start() -> DateTime<Utc> {
    // A Monday, 10:00 UTC.
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

pub struct Floor {
    pub dir: tempfile::TempDir,
    pub hub: Hub,
    pub clock: ManualClock,
    pub root: Actor,
    pub admin: Actor,
    pub manager: Actor,
    pub agent1: Actor,
    pub agent2: Actor,
    pub tenant: Org,
    pub queue: Queue,
    pub channel: Channel,
    pub notify_channel: Channel,
    pub gw: wire::GatewayId,
}

pub fn login(hub: &Hub, l: &str) -> Actor {
    hub.authenticate(&hub.login(l, PW).unwrap().0).unwrap()
}

pub fn floor() -> Floor {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap();
    let clock = ManualClock::new(start());
    let settings = HubSettings {
        password_cost: PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..HubSettings::default()
    };
    let hub = Hub::new(Box::new(store), Arc::new(clock.clone()), settings).unwrap();
    hub.bootstrap("Operator", "root", PW).unwrap();
    let root = login(&hub, "root");
    let tenant = hub
        .create_org(&root, None, OrgKind::Tenant, "Acme")
        .unwrap();
    let user = |by: &Actor, login: &str, name: &str, role| {
        hub.create_user(
            by,
            NewUser {
                org_id: Some(tenant.id),
                login: login.into(),
                name: name.into(),
                role,
                password: PW.into(),
            },
        )
        .unwrap()
        .id
    };
    user(&root, "admin", "Ada Admin", Role::TenantAdmin);
    let admin = login(&hub, "admin");
    let m = user(&admin, "manager", "Max Manager", Role::Manager);
    let a1 = user(&admin, "agent1", "Alice Agent", Role::Agent);
    let a2 = user(&admin, "agent2", "Bob Agent", Role::Agent);
    let queue = hub
        .create_queue(
            &admin,
            None,
            "Support",
            "",
            vec![
                QueueMember {
                    user_id: a1,
                    role: QueueRole::Agent,
                },
                QueueMember {
                    user_id: a2,
                    role: QueueRole::Agent,
                },
                QueueMember {
                    user_id: m,
                    role: QueueRole::Manager,
                },
            ],
        )
        .unwrap();
    let g = hub.create_gateway(&root, "g").unwrap();
    let mk = |port: &str, sim: &str| {
        let c = hub.create_channel(&root, g.gateway.id, port, sim).unwrap();
        hub.distribute_channel(&root, c.id, tenant.id, false)
            .unwrap()
    };
    let channel = mk("0", "+33700000001");
    let channel = hub
        .set_destination(&admin, channel.id, Destination::Queue(queue.id))
        .unwrap();
    let notify_channel = mk("1", "+33700000002");
    Floor {
        gw: wire::GatewayId::new(g.mqtt_username).unwrap(),
        manager: login(&hub, "manager"),
        agent1: login(&hub, "agent1"),
        agent2: login(&hub, "agent2"),
        dir,
        hub,
        clock,
        root,
        admin,
        tenant,
        queue,
        channel,
        notify_channel,
    }
}

impl Floor {
    /// A customer writes to the queue's channel, now (the clock's time).
    pub fn inbound(&self, from: &str, text: &str) -> Interaction {
        self.hub
            .gateway_ingest()
            .ingest(
                &self.gw,
                wire::Up::Inbound(wire::Inbound {
                    id: Uuid::now_v7(),
                    v: 1,
                    port: "0".into(),
                    sim_number: None,
                    from: from.into(),
                    text: text.into(),
                    received_at: self.hub.now_public(),
                }),
            )
            .unwrap();
        self.hub
            .interactions(&self.admin, None)
            .unwrap()
            .into_iter()
            .find(|i| i.contact_number == from && i.status.is_live())
            .unwrap()
    }

    /// The gateway reports a message's outcome.
    pub fn report(&self, message: Uuid, up: impl FnOnce(Uuid) -> wire::Up) {
        let _ = message;
        self.hub
            .gateway_ingest()
            .ingest(&self.gw, up(Uuid::now_v7()))
            .unwrap();
    }

    /// The `send` commands waiting for the gateway: (to, text).
    pub fn sends(&self) -> Vec<(String, String)> {
        self.hub
            .gateway_ingest()
            .pending_commands(&self.gw)
            .unwrap()
            .into_iter()
            .filter_map(|d| match d {
                wire::Down::Send(s) => Some((s.to, s.text)),
                _ => None,
            })
            .collect()
    }
}
