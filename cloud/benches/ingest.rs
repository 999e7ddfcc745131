//! Hub ingest throughput on a real SQLite file (WAL, synchronous=FULL): one inbound SMS per
//! iteration, each a fresh event id routed to a tenant queue (durable: committed before
//! `ingest` returns); the same in batches of 50 (`ingest_batch`, one commit per batch); and
//! the cost of a duplicate (already processed) event.
//!
//! Then issue 16's group commit, side by side in one run: `SMSGATE_BENCH_WRITERS` (64)
//! threads each ingest one event at a time and wait for its durable commit (as concurrent
//! link lanes and API requests do), on a store with group commit and on one with a group
//! limit of 1 (every event its own commit); and the raw baseline: the rows one inbound event
//! writes (processed id, message, interaction update), inserted with plain SQL on a file with
//! the same pragmas (WAL, `synchronous=FULL`), committed in transactions as large as the
//! group commit run's average group; and the same rows again with plain SQL on the hub's own
//! schema (its indexes and triggers). The group commit run and the raw ones take turns
//! (`SMSGATE_BENCH_ROUNDS`, 3) so they share the machine's load.
//!
//! `cargo bench -p smsgate-cloud --no-default-features --bench ingest`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
    setup_with(smsgate_cloud::store::sqlite::DEFAULT_GROUP_LIMIT)
}

fn setup_with(group_limit: usize) -> Result<Bench, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open_with_group_limit(&dir.path().join("hub.db"), group_limit)?;
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
    // `SMSGATE_BENCH_GROUP_ONLY=1`: only the group commit table.
    if std::env::var_os("SMSGATE_BENCH_GROUP_ONLY").is_some() {
        return;
    }
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

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `events` inbound events ingested by `writers` threads, one at a time each; the time taken
/// and the commits it cost.
fn concurrent(b: &Bench, writers: usize, events: u64, base: u64) -> (Duration, u64) {
    let next = AtomicU64::new(0);
    let before = b.hub.store_counters();
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..writers {
            s.spawn(|| {
                let ingest = b.hub.gateway_ingest();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= events {
                        return;
                    }
                    let out = ingest.ingest(&b.gw, inbound(base + n));
                    assert!(matches!(out, Ok(smsgate_cloud::IngestOutcome::Applied)));
                }
            });
        }
    });
    let took = start.elapsed();
    (took, b.hub.store_counters().commits - before.commits)
}

/// The raw baseline: the same rows per event with plain SQL, `per_commit` events per
/// transaction, same pragmas.
fn raw(events: u64, per_commit: u64) -> Result<Duration, rusqlite::Error> {
    let dir =
        tempfile::tempdir().map_err(|e| rusqlite::Error::InvalidPath(e.to_string().into()))?;
    let conn = rusqlite::Connection::open(dir.path().join("raw.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE processed_events (event_id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, processed_at TEXT NOT NULL);
         CREATE TABLE interactions (id TEXT PRIMARY KEY, updated_at TEXT NOT NULL, doc TEXT NOT NULL);
         CREATE TABLE messages (id TEXT PRIMARY KEY, interaction_id TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
         CREATE INDEX messages_interaction ON messages(interaction_id, created_at);",
    )?;
    let interactions: Vec<String> = (0..500).map(|_| Uuid::now_v7().to_string()).collect();
    for i in &interactions {
        conn.execute(
            "INSERT INTO interactions VALUES (?1, ?2, ?3)",
            rusqlite::params![i, Utc::now().to_rfc3339(), "{}"],
        )?;
    }
    // A message document of the size the hub stores.
    let doc = format!(
        "{{\"text\":\"Bonjour, je voudrais un rendez-vous\",\"pad\":\"{}\"}}",
        "x".repeat(420)
    );
    let start = Instant::now();
    let mut n = 0u64;
    while n < events {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for _ in 0..per_commit.min(events - n) {
            let i = &interactions[(n % 500) as usize];
            let now = Utc::now().to_rfc3339();
            conn.prepare_cached("INSERT INTO processed_events VALUES (?1, ?2, ?3)")?
                .execute(rusqlite::params![Uuid::now_v7().to_string(), "gw", now])?;
            conn.prepare_cached("INSERT INTO messages VALUES (?1, ?2, ?3, ?4)")?
                .execute(rusqlite::params![Uuid::now_v7().to_string(), i, now, doc])?;
            conn.prepare_cached("UPDATE interactions SET updated_at = ?2, doc = ?3 WHERE id = ?1")?
                .execute(rusqlite::params![i, now, doc])?;
            n += 1;
        }
        conn.execute_batch("COMMIT")?;
    }
    Ok(start.elapsed())
}

/// The raw baseline on the hub's own schema: a hub file where 500 conversations exist (made
/// by the hub itself), then per event the rows the hub writes for an inbound message that
/// joins one — processed id, message, interaction update, with the schema's indexes and
/// triggers — as plain prepared SQL on one connection, no savepoints and no reads,
/// `per_commit` events per transaction, same pragmas.
fn raw_hub_schema(events: u64, per_commit: u64) -> Result<Duration, Box<dyn std::error::Error>> {
    let b = setup()?;
    for n in 0..500 {
        b.hub.gateway_ingest().ingest(&b.gw, inbound(n))?;
    }
    let Bench { _dir: dir, hub, .. } = b;
    drop(hub);
    let conn = rusqlite::Connection::open(dir.path().join("hub.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let rows: Vec<(String, String, String)> = conn
        .prepare("SELECT id, org_id, doc FROM interactions ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let gateway: String = conn.query_row("SELECT id FROM gateways LIMIT 1", [], |r| r.get(0))?;
    let message: String = conn.query_row("SELECT doc FROM messages LIMIT 1", [], |r| r.get(0))?;
    let start = Instant::now();
    let mut n = 0u64;
    while n < events {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for _ in 0..per_commit.min(events - n) {
            let (i, org, doc) = &rows[(n % rows.len() as u64) as usize];
            let now = Utc::now();
            conn.prepare_cached(
                "INSERT INTO processed_events (event_id, gateway_id, processed_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (event_id) DO NOTHING",
            )?
            .execute(rusqlite::params![Uuid::now_v7().to_string(), gateway, now])?;
            conn.prepare_cached(
                "UPDATE interactions SET status = 'waiting', live = 1, updated_at = ?2, doc = ?3 WHERE id = ?1",
            )?
            .execute(rusqlite::params![i, now, doc])?;
            conn.prepare_cached(
                "INSERT INTO messages (id, org_id, interaction_id, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(rusqlite::params![Uuid::now_v7().to_string(), org, i, now, message])?;
            n += 1;
        }
        conn.execute_batch("COMMIT")?;
    }
    Ok(start.elapsed())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Group commit vs one by one vs raw, printed side by side (one table per run). The hub
/// group commit run and both raw baselines take turns, `SMSGATE_BENCH_ROUNDS` (3) times,
/// so they share the machine's load; the table gives each one's median.
fn group_commit(_c: &mut Criterion) {
    let writers = env("SMSGATE_BENCH_WRITERS", 64);
    let events = env("SMSGATE_BENCH_EVENTS", 5_000) as u64;
    let rounds = env("SMSGATE_BENCH_ROUNDS", 3).max(1);
    let rate = |d: Duration, n: u64| n as f64 / d.as_secs_f64();
    let (mut hub, mut simple, mut schema) = (Vec::new(), Vec::new(), Vec::new());
    let mut group_sizes = Vec::new();
    for round in 0..rounds as u64 {
        let grouped = match setup() {
            Ok(b) => b,
            Err(e) => panic!("bench setup failed: {e}"),
        };
        let (g_time, g_commits) = concurrent(&grouped, writers, events, 1_000_000 * (round + 1));
        drop(grouped);
        hub.push(rate(g_time, events));
        let per_commit = (events / g_commits.max(1)).max(1);
        group_sizes.push(per_commit as f64);
        match raw(events, per_commit) {
            Ok(t) => simple.push(rate(t, events)),
            Err(e) => panic!("raw baseline failed: {e}"),
        }
        match raw_hub_schema(events, per_commit) {
            Ok(t) => schema.push(rate(t, events)),
            Err(e) => panic!("raw baseline on the hub schema failed: {e}"),
        }
    }
    let alone = match setup_with(1) {
        Ok(b) => b,
        Err(e) => panic!("bench setup failed: {e}"),
    };
    // One by one is slow: a tenth of the events gives its rate.
    let few = (events / 10).max(100);
    let (a_time, a_commits) = concurrent(&alone, writers, few, 9_000_000);
    let per_commit = median(group_sizes);
    let (h, r1, r2) = (
        median(hub.clone()),
        median(simple.clone()),
        median(schema.clone()),
    );
    let all = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "\ngroup commit, {writers} writers, durable inbound events (WAL, synchronous=FULL), \
         median of {rounds} rounds taking turns:\n\
         | case | events | events per commit | events/s (median) | rounds | raw ÷ hub |\n\
         |---|---:|---:|---:|---|---:|\n\
         | hub ingest, group commit | {events} | {per_commit:.0} | {h:.0} | {} | |\n\
         | hub ingest, one commit each (group limit 1) | {few} | {:.0} | {:.0} | one | |\n\
         | raw SQL, same rows, bare tables | {events} | {per_commit:.0} | {r1:.0} | {} | {:.2}× |\n\
         | raw SQL, same rows, the hub's schema (indexes, triggers) | {events} | {per_commit:.0} | {r2:.0} | {} | {:.2}× |\n",
        all(&hub),
        few as f64 / a_commits.max(1) as f64,
        rate(a_time, few),
        all(&simple),
        r1 / h,
        all(&schema),
        r2 / h,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = ingest
}
criterion_group! {
    name = grouped;
    config = Criterion::default();
    targets = group_commit
}
criterion_main!(benches, grouped);
