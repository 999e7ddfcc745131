//! A campaign at scale on the edge (issue 12): `SMSGATE_BENCH_RECIPIENTS` recipients (default
//! 20,000; the figure is 100,000) of one campaign at interval 0 over 32 zero-latency
//! simulated modems on real ptys (the lab runs in this process), sent by the real
//! `smsgate-gateway` binary as a child process.
//!
//! The recipients enter the gateway's spool through `SpoolDb::campaign_take`, the function the
//! gateway's `down/campaign` command handler calls (one batch per port, the hub's shape: 32
//! slices, the campaign's window open, interval 0), before the gateway starts; the gateway's
//! campaign runner then releases them into the ports' queues at its own pace (at most
//! `WINDOW_FAST` per slice in the queue). No hub and no MQTT link: this measures the gateway
//! side alone.
//!
//! Baseline in the same run: the same number of plain messages, spooled before the gateway
//! starts with `SpoolDb::submit_many`, each pinned to a port as a campaign slice pins its
//! recipients — the spool's and ports' own rate, without the campaign's release step.
//!
//! Rate: messages the simulated handsets received, from the first to the last (the gateway's
//! start and the ports' initialisation are not counted); CPU time of the gateway process per
//! message; its peak RSS.
//!
//! `cargo bench -p smsgate-gateway --bench campaign_sends` (`SMSGATE_BENCH_RECIPIENTS=100000`
//! for the count; `SMSGATE_BENCH_GATEWAY`: another `smsgate-gateway` binary to run, such as the
//! shipped edge build).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_gateway::spool::{NewMessage, SpoolDb};
use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::{Lab, LabConfig};
use smsgate_wire::{CampaignBatch, CampaignItem, Window};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const PORTS: usize = 32;
/// Linux clock ticks per second for /proc/<pid>/stat.
const TICKS: f64 = 100.0;

fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / TICKS
}

fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[derive(Clone, Copy)]
enum Load {
    Campaign,
    Plain,
}

struct Row {
    name: String,
    messages: usize,
    secs: f64,
    cpu_ms_per_msg: f64,
    rss_mb: f64,
}

fn number(i: usize) -> String {
    format!("+447400{i:06}")
}

/// Fills the spool at `path` before the gateway starts.
fn preload(path: &Path, load: Load, n: usize) {
    let mut db = SpoolDb::open(path, Arc::new(smsgate_gateway::clock::SystemClock)).unwrap();
    match load {
        Load::Campaign => {
            let campaign = Uuid::now_v7();
            let now = chrono::Utc::now();
            let window = Window {
                from: now - chrono::Duration::hours(1),
                until: now + chrono::Duration::hours(6),
            };
            for port in 0..PORTS {
                let items = (port..n)
                    .step_by(PORTS)
                    .map(|i| CampaignItem {
                        message_id: Uuid::now_v7(),
                        to: number(i),
                        text: format!("campaign message {i}"),
                    })
                    .collect();
                let b = CampaignBatch {
                    id: Uuid::now_v7(),
                    v: 4,
                    campaign,
                    name: "Scale".into(),
                    port: port.to_string(),
                    interval_ms: 0,
                    priority: 0,
                    windows: vec![window],
                    expires_at: None,
                    items,
                };
                let t = db
                    .campaign_take(&b, u16::try_from(port).unwrap(), "bench")
                    .unwrap();
                assert_eq!(t.added, b.items.len());
            }
        }
        Load::Plain => {
            let msg = |i: usize| NewMessage {
                to: number(i),
                text: format!("plain message {i}"),
                group: "bench".into(),
                port: Some(u16::try_from(i % PORTS).unwrap()),
                priority: 0,
                campaign: None,
                idempotency_key: None,
                expires_at: None,
                conversation: false,
            };
            for start in (0..n).step_by(5_000) {
                db.submit_many((start..n.min(start + 5_000)).map(msg).collect())
                    .unwrap();
            }
        }
    }
}

fn kill(child: &mut Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
}

async fn run(load: Load, n: usize) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let cancel = CancellationToken::new();
    let lab = Lab::start(
        LabConfig::for_tests(dir.path().join("dev"), PORTS),
        Arc::new(SystemClock),
        cancel.clone(),
    )
    .unwrap();
    let mut c = GatewayConfig::default();
    c.storage.path = dir.path().join("spool.sqlite");
    c.inbound.sweep_interval_ms = 60_000;
    c.supervision.poll_interval_ms = 60_000;
    for i in 0..PORTS {
        c.ports.push(PortConfig::new(
            u16::try_from(i).unwrap(),
            Device::Serial(lab.modem_path(i).unwrap().to_path_buf()),
        ));
    }
    let mut g = GroupConfig::new(
        "bench",
        smsgate_config::parse_port_spec(&format!("0-{}", PORTS - 1)).unwrap(),
    );
    g.interval_ms = 0;
    c.groups.push(g);
    let cfg_path = dir.path().join("gateway.toml");
    std::fs::write(&cfg_path, toml::to_string(&c).unwrap()).unwrap();
    preload(&c.storage.path, load, n);

    let bin = std::env::var_os("SMSGATE_BENCH_GATEWAY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_smsgate-gateway").into());
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&cfg_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1_800);
    let mut cpu0 = None;
    // The lab keeps only the last submissions; the handsets keep every message.
    let received = loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let got: Vec<_> = lab.handsets().into_values().flatten().collect();
        if cpu0.is_none() && !got.is_empty() {
            cpu0 = Some(cpu_secs(child.id()));
        }
        if got.len() >= n {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} reached the handsets",
            got.len()
        );
    };
    let cpu = cpu_secs(child.id()) - cpu0.unwrap_or(0.0);
    let rss = peak_rss_mb(child.id());
    kill(&mut child);
    cancel.cancel();
    let first = received.iter().map(|m| m.first_part_at).min().unwrap();
    let last = received.iter().map(|m| m.completed_at).max().unwrap();
    let ports_used = received
        .iter()
        .map(|m| m.from_modem)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert_eq!(ports_used, PORTS, "every port sent");
    Row {
        name: match load {
            Load::Campaign => "campaign: held recipients released by the gateway's runner".into(),
            Load::Plain => "baseline: plain messages spooled, pinned to ports".into(),
        },
        messages: n,
        secs: (last - first).num_milliseconds() as f64 / 1000.0,
        cpu_ms_per_msg: cpu * 1000.0 / n as f64,
        rss_mb: rss,
    }
}

fn main() {
    let n: usize = std::env::var("SMSGATE_BENCH_RECIPIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let rows = [run(Load::Plain, n).await, run(Load::Campaign, n).await];
        println!(
            "\n| case ({PORTS} ports, interval 0) | messages | first → last received | sends/s | CPU ms/msg | peak RSS (MB) |"
        );
        println!("|---|---:|---:|---:|---:|---:|");
        for r in rows {
            println!(
                "| {} | {} | {:.1} s | {:.0} | {:.3} | {:.1} |",
                r.name,
                r.messages,
                r.secs,
                r.messages as f64 / r.secs,
                r.cpu_ms_per_msg,
                r.rss_mb
            );
        }
    });
}
