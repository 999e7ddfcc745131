//! Benchmarks of the embedded broker path.
//!
//! - `gateway_to_hub_qos1/<n>`: time for `n` outbox events to travel outbox → GatewayLink →
//!   authorizing proxy → rumqttd → HubLink → UpSink, QoS 1 both hops, each event acked to the
//!   outbox after the hub's receipt came back the same way (throughput = n / time). With
//!   receipts the throughput is bounded by window / round trip: `SMSGATE_BENCH_WINDOW` sets
//!   `LinkOptions::window` (default 100).
//! - After the criterion group: resident memory of the embedded broker (proxy + rumqttd) with
//!   `SMSGATE_BENCH_IDLE` (default 1000) idle gateway connections, measured as the growth of
//!   this process's RSS; the clients are bare TCP sockets that sent CONNECT, so their own
//!   user-space memory is negligible.
//!
//! Run: `cargo bench -p smsgate-mqtt --bench link`

// A benchmark fails loudly on any setup error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use chrono::Utc;
use criterion::{Criterion, Throughput};
use rumqttc::mqttbytes::v4::{Connect, Login};
use smsgate_mqtt::{
    BrokerConfig, BrokerUrl, CommandSink, DownEvent, DownSource, EmbeddedBroker, GatewayLink,
    HashCost, HubLink, IngestError, LinkOptions, LinkStatus, MemoryCredentials, Outbox,
    OutboxEvent, QueueError, UpSink,
};
use smsgate_wire::{Ack, AckOutcome, Down, GatewayId, Heartbeat, State, Up};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

#[derive(Clone, Default)]
struct BenchOutbox(Arc<Mutex<(BTreeMap<u64, Up>, u64)>>);

impl Outbox for BenchOutbox {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<OutboxEvent>, QueueError> {
        let s = self.0.lock().unwrap();
        Ok(s.0
            .range(after.map_or(0, |a| a + 1)..)
            .take(limit)
            .map(|(id, m)| OutboxEvent {
                id: *id,
                message: m.clone(),
            })
            .collect())
    }
    async fn ack(&self, id: u64) -> Result<(), QueueError> {
        self.0.lock().unwrap().0.retain(|k, _| *k > id);
        Ok(())
    }
}

struct NoCommands;
impl CommandSink for NoCommands {
    async fn apply(&self, command: Down) -> Ack {
        Ack {
            id: Uuid::now_v7(),
            v: 1,
            ack_of: command.id(),
            outcome: AckOutcome::Rejected,
            detail: None,
        }
    }
}

struct NoDowns;
impl DownSource for NoDowns {
    async fn peek(&self, _: Option<u64>, _: usize) -> Result<Vec<DownEvent>, QueueError> {
        Ok(Vec::new())
    }
    async fn published(&self, _: u64) -> Result<(), QueueError> {
        Ok(())
    }
}

#[derive(Clone, Default)]
struct Counting {
    count: Arc<AtomicUsize>,
    changed: Arc<Notify>,
}

impl UpSink for Counting {
    async fn ingest(&self, _: &GatewayId, _: Up) -> Result<(), IngestError> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        Ok(())
    }
    async fn presence(&self, _: &GatewayId, _: State) -> Result<(), IngestError> {
        Ok(())
    }
}

fn options(addr: SocketAddr, user: &str, pass: &str) -> LinkOptions {
    let mut o = LinkOptions::new(
        BrokerUrl {
            host: addr.ip().to_string(),
            port: addr.port(),
            tls: false,
        },
        user,
        user,
        pass,
    );
    if let Some(w) = std::env::var("SMSGATE_BENCH_WINDOW")
        .ok()
        .and_then(|w| w.parse().ok())
    {
        o.window = w;
    }
    o
}

fn heartbeat(n: u64) -> Up {
    Up::Heartbeat(Heartbeat {
        id: Uuid::now_v7(),
        v: 1,
        versions: vec![1],
        uptime_s: n,
        software: None,
        at: Utc::now(),
    })
}

fn throughput(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let gateway = GatewayId::new("bench-gw").unwrap();
    let (outbox, sink, link, _broker) = rt.block_on(async {
        let mut creds = MemoryCredentials::new();
        creds
            .add_gateway(&gateway, "pw", HashCost::TESTING)
            .unwrap();
        creds.add_hub("hub", "hub-pw", HashCost::TESTING).unwrap();
        let broker = EmbeddedBroker::start(
            &BrokerConfig::new("127.0.0.1:0".parse().unwrap()),
            creds,
            cancel.clone(),
        )
        .await
        .unwrap();
        let addr = broker.local_addr();
        let sink = Counting::default();
        let hub = HubLink::spawn(
            options(addr, "hub", "hub-pw"),
            sink.clone(),
            NoDowns,
            cancel.clone(),
            &tracker,
        )
        .unwrap();
        hub.status()
            .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
            .await
            .unwrap();
        let outbox = BenchOutbox::default();
        let link = GatewayLink::spawn(
            gateway.clone(),
            options(addr, "bench-gw", "pw"),
            None,
            outbox.clone(),
            NoCommands,
            cancel.clone(),
            &tracker,
        )
        .unwrap();
        link.status()
            .wait_for(|s| matches!(s, LinkStatus::Connected(_)))
            .await
            .unwrap();
        (outbox, sink, link, broker)
    });

    let n = 2_000u64;
    let mut group = c.benchmark_group("gateway_to_hub_qos1");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    group.bench_function(format!("{n}"), |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let target = sink.count.load(Ordering::SeqCst) + n as usize;
                    let start = Instant::now();
                    {
                        let mut s = outbox.0.lock().unwrap();
                        for _ in 0..n {
                            s.1 += 1;
                            let id = s.1;
                            s.0.insert(id, heartbeat(id));
                        }
                    }
                    link.notify_outbox();
                    while sink.count.load(Ordering::SeqCst) < target {
                        sink.changed.notified().await;
                    }
                    while !outbox.0.lock().unwrap().0.is_empty() {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    total += start.elapsed();
                }
                total
            })
        });
    });
    group.finish();
    cancel.cancel();
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn idle_memory(clients: usize) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cancel = CancellationToken::new();
        let mut creds = MemoryCredentials::new();
        let ids: Vec<GatewayId> = (0..clients)
            .map(|i| GatewayId::new(format!("gw-{i:05}")).unwrap())
            .collect();
        for id in &ids {
            creds.add_gateway(id, "pw", HashCost::TESTING).unwrap();
        }
        let broker = EmbeddedBroker::start(
            &BrokerConfig::new("127.0.0.1:0".parse().unwrap()),
            creds,
            cancel.clone(),
        )
        .await
        .unwrap();
        let addr = broker.local_addr();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = rss_kib();
        let mut sockets = Vec::with_capacity(clients);
        for id in &ids {
            let mut connect = Connect::new(id.as_str());
            connect.keep_alive = 600;
            connect.clean_session = false;
            connect.login = Some(Login::new(id.as_str(), "pw"));
            let mut buf = BytesMut::new();
            connect.write(&mut buf).unwrap();
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(&buf).await.unwrap();
            let mut connack = [0u8; 4];
            s.read_exact(&mut connack).await.unwrap();
            assert_eq!(connack[3], 0, "CONNACK refused for {id}");
            sockets.push(s);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss_kib();
        let grown = after.saturating_sub(before);
        println!(
            "embedded broker with {clients} idle gateway connections: RSS {before} KiB -> {after} KiB \
             (+{grown} KiB, {:.1} KiB per connection)",
            grown as f64 / clients as f64
        );
        cancel.cancel();
        drop(sockets);
    });
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    c.final_summary();
    let clients = std::env::var("SMSGATE_BENCH_IDLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    idle_memory(clients);
}
