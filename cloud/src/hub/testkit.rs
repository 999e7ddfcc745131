//! A small seeded hub for the domain modules' unit tests: platform, one tenant (admin, agent
//! in a queue), one gateway with a channel whose destination is the queue.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use uuid::Uuid;

use super::{Clock, Hub, HubSettings, NewUser, SystemClock};
use crate::authz::Actor;
use crate::model::*;
use crate::secrets::PasswordCost;
use crate::store::sqlite::SqliteStore;
use smsgate_wire as wire;

pub const PW: &str = "unit-test-password";

pub struct World {
    _dir: tempfile::TempDir,
    pub hub: Hub,
    pub root: Actor,
    pub admin: Actor,
    pub tenant: Org,
    pub queue: Uuid,
    pub channel: Channel,
    pub gw: wire::GatewayId,
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

pub fn world() -> World {
    world_with_clock(Arc::new(SystemClock))
}

/// [`world`] on a given clock (a [`super::ManualClock`] to move time by hand).
pub fn world_with_clock(clock: Arc<dyn Clock>) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap();
    let hub = Hub::new(Box::new(store), clock, settings()).unwrap();
    hub.bootstrap("p", "root", PW).unwrap();
    let login = |l: &str| hub.authenticate(&hub.login(l, PW).unwrap().0).unwrap();
    let root = login("root");
    let tenant = hub.create_org(&root, None, OrgKind::Tenant, "t").unwrap();
    let user = |login: &str, role| {
        hub.create_user(
            &root,
            NewUser {
                org_id: Some(tenant.id),
                login: login.into(),
                name: login.into(),
                role,
                password: PW.into(),
            },
        )
        .unwrap()
        .id
    };
    user("admin", Role::TenantAdmin);
    let agent = user("agent", Role::Agent);
    let admin = login("admin");
    let queue = hub
        .create_queue(
            &admin,
            None,
            "Support",
            "",
            vec![QueueMember {
                user_id: agent,
                role: QueueRole::Agent,
            }],
        )
        .unwrap()
        .id;
    let g = hub.create_gateway(&root, "g").unwrap();
    let c = hub
        .create_channel(&root, g.gateway.id, "0", "+33700000001")
        .unwrap();
    hub.distribute_channel(&root, c.id, tenant.id, false)
        .unwrap();
    let channel = hub
        .set_destination(&admin, c.id, Destination::Queue(queue))
        .unwrap();
    World {
        _dir: dir,
        gw: wire::GatewayId::new(g.mqtt_username).unwrap(),
        hub,
        root,
        admin,
        tenant,
        queue,
        channel,
    }
}

impl World {
    pub fn actor(&self, login: &str) -> Actor {
        self.hub
            .authenticate(&self.hub.login(login, PW).unwrap().0)
            .unwrap()
    }

    pub fn inbound(&self, from: &str, text: &str) {
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
                    received_at: chrono::Utc::now(),
                }),
            )
            .unwrap();
    }
}

/// A send of "hi" to `to` with every other field at its default.
pub fn hi(to: &str) -> super::SendRequest {
    super::SendRequest {
        to: to.into(),
        text: "hi".into(),
        ..super::SendRequest::default()
    }
}
