//! Hub ingest throughput on a real SQLite file (WAL, synchronous=FULL): one inbound SMS per
//! iteration, each a fresh event id routed to a tenant queue (durable: committed before
//! `ingest` returns); the same in batches of 50 (`ingest_batch`, one commit per batch); and
//! the cost of a duplicate (already processed) event.
//!
//! `cargo bench -p smsgate-cloud --bench ingest`

use std::sync::Arc;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::{OrgKind, Role};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::store::sqlite::SqliteStore;
use smsgate_cloud::{Hub, HubSettings, SystemClock};
use smsgate_wire as wire;
use uuid::Uuid;

struct Bench {
    _dir: tempfile::TempDir,
    hub: Hub,
    gw: wire::GatewayId,
}

fn setup() -> Result<Bench, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(&dir.path().join("hub.db"))?;
    let settings = HubSettings {
        password_cost: PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..HubSettings::default()
    };
    let hub = Hub::new(Box::new(store), Arc::new(SystemClock), settings)?;
    hub.bootstrap("Operator", "root", "bench-password")?;
    let (t, _) = hub.login("root", "bench-password")?;
    let root = hub.authenticate(&t)?;
    let tenant = hub.create_org(&root, None, OrgKind::Tenant, "bench")?;
    hub.create_user(
        &root,
        NewUser {
            org_id: Some(tenant.id),
            login: "admin".into(),
            name: "admin".into(),
            role: Role::TenantAdmin,
            password: "bench-password".into(),
        },
    )?;
    let gateway = hub.create_gateway(&root, "bench")?;
    let channel = hub.create_channel(&root, gateway.gateway.id, "usb0", "+33700000001")?;
    hub.distribute_channel(&root, channel.id, tenant.id, false)?;
    let gw = wire::GatewayId::new(gateway.mqtt_username)?;
    Ok(Bench { _dir: dir, hub, gw })
}

fn inbound(n: u64) -> wire::Up {
    wire::Up::Inbound(wire::Inbound {
        id: Uuid::now_v7(),
        v: 1,
        port: "usb0".into(),
        sim_number: None,
        // 500 contacts: most events join a live interaction, some open one.
        from: format!("+336{:08}", n % 500),
        text: "Bonjour, je voudrais un rendez-vous".into(),
        received_at: Utc::now(),
    })
}

fn ingest(c: &mut Criterion) {
    let b = match setup() {
        Ok(b) => b,
        Err(e) => panic!("bench setup failed: {e}"),
    };
    let mut g = c.benchmark_group("hub_ingest");
    g.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    g.bench_function("inbound_sms_durable", |bench| {
        bench.iter(|| {
            n += 1;
            let out = b.hub.gateway_ingest().ingest(&b.gw, inbound(n));
            assert!(matches!(out, Ok(smsgate_cloud::IngestOutcome::Applied)));
        })
    });
    g.throughput(Throughput::Elements(50));
    g.bench_function("inbound_sms_durable_batch_of_50", |bench| {
        bench.iter(|| {
            let batch: Vec<wire::Up> = (0..50)
                .map(|_| {
                    n += 1;
                    inbound(n)
                })
                .collect();
            let out = b.hub.gateway_ingest().ingest_batch(&b.gw, batch);
            assert!(matches!(out, Ok(o) if o.len() == 50));
        })
    });
    g.throughput(Throughput::Elements(1));
    let dup = inbound(0);
    let _ = b.hub.gateway_ingest().ingest(&b.gw, dup.clone());
    g.bench_function("duplicate_event", |bench| {
        bench.iter(|| {
            let out = b.hub.gateway_ingest().ingest(&b.gw, dup.clone());
            assert!(matches!(out, Ok(smsgate_cloud::IngestOutcome::Duplicate)));
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = ingest
}
criterion_main!(benches);
