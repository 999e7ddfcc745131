//! Shared fixtures: a hub on a real SQLite file in a temp dir, with cheap argon2 settings
//! (through `HubSettings`, not a global), and a seeded world of two tenants.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsgate_cloud::authz::Actor;
use smsgate_cloud::hub::{NewUser, ProvisionedGateway};
use smsgate_cloud::model::*;
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::store::sqlite::SqliteStore;
use smsgate_cloud::{Clock, Hub, HubSettings};
use smsgate_wire as wire;
use uuid::Uuid;

pub const PASSWORD: &str = "s3cret-passw0rd";

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap(),
        )))
    }
    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub fn settings() -> HubSettings {
    HubSettings {
        password_cost: PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..HubSettings::default()
    }
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub hub: Hub,
    pub clock: ManualClock,
}

pub fn hub() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.db")).unwrap();
    let clock = ManualClock::new();
    let hub = Hub::new(Box::new(store), Arc::new(clock.clone()), settings()).unwrap();
    hub.bootstrap("Operator", "root", PASSWORD).unwrap();
    Fixture { dir, hub, clock }
}

pub fn actor(hub: &Hub, login: &str) -> Actor {
    let (token, _) = hub.login(login, PASSWORD).unwrap();
    hub.authenticate(&token).unwrap()
}

/// One tenant's fixture ids.
pub struct TenantWorld {
    pub org: Org,
    pub admin: Actor,
    pub manager: Actor,
    pub agent: Actor,
    pub user: Actor,
    pub agent_id: Uuid,
    pub user_id: Uuid,
    pub channel: Channel,
    pub queue: Queue,
    pub contact: Contact,
    pub api_key: String,
}

pub struct World {
    pub f: Fixture,
    pub root: Actor,
    pub l1: Org,
    pub l1_admin: Actor,
    pub l2: Org,
    pub l2_admin: Actor,
    pub gateway: ProvisionedGateway,
    pub gw: wire::GatewayId,
    pub a: TenantWorld,
    pub b: TenantWorld,
}

fn user(hub: &Hub, by: &Actor, org: Uuid, login: &str, role: Role) -> Uuid {
    hub.create_user(
        by,
        NewUser {
            org_id: Some(org),
            login: login.into(),
            name: login.into(),
            role,
            password: PASSWORD.into(),
        },
    )
    .unwrap()
    .id
}

fn tenant(
    hub: &Hub,
    root: &Actor,
    parent_admin: &Actor,
    gateway: Uuid,
    name: &str,
    port: &str,
    sim: &str,
) -> TenantWorld {
    let org = hub
        .create_org(parent_admin, None, OrgKind::Tenant, name)
        .unwrap();
    let admin_login = format!("{name}-admin");
    user(hub, parent_admin, org.id, &admin_login, Role::TenantAdmin);
    let admin = actor(hub, &admin_login);
    user(
        hub,
        &admin,
        org.id,
        &format!("{name}-manager"),
        Role::Manager,
    );
    let agent_id = user(hub, &admin, org.id, &format!("{name}-agent"), Role::Agent);
    let user_id = user(hub, &admin, org.id, &format!("{name}-user"), Role::User);
    let manager = actor(hub, &format!("{name}-manager"));
    let agent = actor(hub, &format!("{name}-agent"));
    let user = actor(hub, &format!("{name}-user"));
    let channel = hub.create_channel(root, gateway, port, sim).unwrap();
    let channel = hub
        .distribute_channel(root, channel.id, org.id, false)
        .unwrap();
    let queue = hub
        .create_queue(
            &admin,
            None,
            "Support",
            "first line",
            vec![QueueMember {
                user_id: agent_id,
                role: QueueRole::Agent,
            }],
        )
        .unwrap();
    let channel = hub
        .set_destination(&admin, channel.id, Destination::Queue(queue.id))
        .unwrap();
    let contact = hub
        .create_contact(
            &admin,
            None,
            smsgate_cloud::hub::contacts::ContactInput {
                number: "+33611111111".into(),
                name: "Alice".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let (_, api_key) = hub.create_api_key(&admin, None, "crm").unwrap();
    TenantWorld {
        org,
        admin,
        manager,
        agent,
        user,
        agent_id,
        user_id,
        channel,
        queue,
        contact,
        api_key,
    }
}

/// Platform → L1 reseller → L2 reseller; tenant A under L1, tenant B under L2; one gateway
/// with a channel for each tenant (destination: the tenant's queue).
pub fn world() -> World {
    let f = hub();
    let hub = f.hub.clone();
    let root = actor(&hub, "root");
    let l1 = hub
        .create_org(&root, None, OrgKind::ResellerL1, "Reseller One")
        .unwrap();
    user(&hub, &root, l1.id, "l1-admin", Role::ResellerAdmin);
    let l1_admin = actor(&hub, "l1-admin");
    let l2 = hub
        .create_org(&l1_admin, None, OrgKind::ResellerL2, "Reseller Two")
        .unwrap();
    user(&hub, &l1_admin, l2.id, "l2-admin", Role::ResellerAdmin);
    let l2_admin = actor(&hub, "l2-admin");
    let gateway = hub.create_gateway(&root, "lab").unwrap();
    let gw = wire::GatewayId::new(gateway.mqtt_username.clone()).unwrap();
    // Channels go platform → reseller → tenant.
    let a = tenant(
        &hub,
        &root,
        &l1_admin,
        gateway.gateway.id,
        "a",
        "usb0",
        "+33700000001",
    );
    let b = tenant(
        &hub,
        &root,
        &l2_admin,
        gateway.gateway.id,
        "b",
        "usb1",
        "+33700000002",
    );
    World {
        f,
        root,
        l1,
        l1_admin,
        l2,
        l2_admin,
        gateway,
        gw,
        a,
        b,
    }
}

pub mod campaigns;

pub fn inbound(port: &str, from: &str, text: &str) -> wire::Up {
    wire::Up::Inbound(wire::Inbound {
        id: Uuid::now_v7(),
        v: 1,
        port: port.into(),
        sim_number: None,
        from: from.into(),
        text: text.into(),
        received_at: Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 1).unwrap(),
    })
}
