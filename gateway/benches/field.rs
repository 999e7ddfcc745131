//! The box in the field (issue 14), a bench binary (each scenario is one long run): the real
//! `smsgate-gateway` binary as a child process against zero-latency simulated modems on real
//! ptys (the lab runs in this process), side by side with a BASELINE binary in the same run
//! (`SMSGATE_BENCH_BASELINE=/path/to/smsgate-gateway`, e.g. a build of the previous commit with
//! the per-message pacer; without it the baseline rows say so). `SMSGATE_BENCH_GATEWAY`: the
//! binary measured as "this build" (default: this build's own), such as the shipped edge build.
//!
//! `cargo bench -p smsgate-gateway --bench field` (`--profile dev` to measure the debug build
//! the suite builds anyway). `SMSGATE_BENCH_ONLY=pacing|idle` runs one section.
//!
//! - **Pacing error**: 32 ports in one group at `interval_ms = 50`, 40 one-part messages per
//!   port; the error is the gap between two consecutive SMSC receipts of a modem (the
//!   simulator's clock, every part) minus the interval; p50/p99/max and the smallest gap. A
//!   second row sends two-part messages: the smallest gap shows whether parts are paced.
//! - **Idle CPU**: 32 ports registered, supervision at its defaults, nothing to send; the
//!   process's utime+stime from /proc/<pid>/stat over `SMSGATE_BENCH_IDLE_S` (20) seconds
//!   after a 5 s settle, as % of one core; beside it the same binary with the supervision all
//!   but off (no health checks, polls and sweeps hourly).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::{Lab, LabConfig};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "bench-token-0123456789";
/// Linux clock ticks per second for /proc/<pid>/stat (USER_HZ is 100 on every Linux ABI).
const TICKS: f64 = 100.0;
const PORTS: usize = 32;
const INTERVAL_MS: u64 = 50;

fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / TICKS // utime, stime (fields 14 and 15)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// A lab, a gateway child on it, its API.
struct Box_ {
    lab: Lab,
    cancel: CancellationToken,
    child: Child,
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
    _spool_dir: Option<tempfile::TempDir>,
}

impl Drop for Box_ {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap()),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
        self.cancel.cancel();
    }
}

/// Starts `bin` on `PORTS` simulated modems; `tune` edits the config. Waits until every port
/// is registered.
async fn start(bin: &Path, tune: impl FnOnce(&mut GatewayConfig)) -> Box_ {
    let dir = tempfile::tempdir().unwrap();
    let cancel = CancellationToken::new();
    let lab = Lab::start(
        LabConfig::for_tests(dir.path().join("dev"), PORTS),
        Arc::new(SystemClock),
        cancel.clone(),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = GatewayConfig::default();
    // `SMSGATE_BENCH_SPOOL_DIR=/dev/shm` takes the disk's fsyncs out of the measurement.
    let spool_dir =
        std::env::var_os("SMSGATE_BENCH_SPOOL_DIR").map(|d| tempfile::tempdir_in(d).unwrap());
    c.storage.path = spool_dir.as_ref().map_or_else(
        || dir.path().join("spool.sqlite"),
        |d| d.path().join("spool.sqlite"),
    );
    c.api.listen = format!("127.0.0.1:{port}").parse().unwrap();
    c.api.token = Some(TOKEN.into());
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
    g.interval_ms = INTERVAL_MS;
    c.groups.push(g);
    tune(&mut c);
    let cfg_path = dir.path().join("gateway.toml");
    std::fs::write(&cfg_path, toml::to_string(&c).unwrap()).unwrap();
    let child = Command::new(bin)
        .arg("--config")
        .arg(&cfg_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let b = Box_ {
        lab,
        cancel,
        child,
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        _dir: dir,
        _spool_dir: spool_dir,
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ok = match b
            .client
            .get(format!("{}/api/v1/ports", b.base))
            .bearer_auth(TOKEN)
            .send()
            .await
        {
            Ok(r) => r
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| {
                    v["ports"]
                        .as_array()
                        .map(|a| a.len() == PORTS && a.iter().all(|p| p["state"] == "registered"))
                })
                .unwrap_or(false),
            Err(_) => false,
        };
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "gateway did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b
}

struct Pacing {
    gaps: usize,
    p50: f64,
    p99: f64,
    max: f64,
    min_gap: f64,
    below: usize,
}

/// Sends `per_port` messages per port (`parts` parts each) and measures every gap between two
/// consecutive SMSC receipts of a modem.
async fn pacing(bin: &Path, per_port: usize, parts: usize) -> Pacing {
    let b = start(bin, |_| {}).await;
    let messages = PORTS * per_port;
    let text = |i: usize| match parts {
        1 => format!("bench message {i}"),
        _ => format!("bench message {i} {}", "x".repeat(153 * (parts - 1))),
    };
    let mut csv = String::new();
    for i in 0..messages {
        csv.push_str(&format!("bench;+4479900{:05};{};0\n", i % 50, text(i)));
    }
    let r = b
        .client
        .post(format!("{}/api/v1/bulk/messages?group=bench", b.base))
        .bearer_auth(TOKEN)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let want = messages * parts;
    let deadline = Instant::now() + Duration::from_secs(600);
    while b.lab.submissions().len() < want {
        assert!(Instant::now() < deadline, "not every part was submitted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = gaps(&b.lab);
    if parts > 1 {
        let p = gaps_between_parts(&b.lab);
        println!(
            "  (of which before a later part of a message: {} gaps, error p50 / p99 / max {:.2} / {:.2} / {:.2} ms)",
            p.gaps, p.p50, p.p99, p.max
        );
    }
    all
}

/// The baseline of the timer design: in this process, one task per simulated modem (its own
/// AT engine and `Modem`, no spool, no dispatcher) that sends one part, then `sleep`s the
/// interval RELATIVELY (from after the answer), `per_port` times; gaps as in [`pacing`].
async fn sleep_loop(per_port: usize) -> Pacing {
    let dir = tempfile::tempdir().unwrap();
    let cancel = CancellationToken::new();
    let lab = Lab::start(
        LabConfig::for_tests(dir.path().join("dev"), PORTS),
        Arc::new(SystemClock),
        cancel.clone(),
    )
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..PORTS {
        let path = lab.modem_path(i).unwrap().display().to_string();
        let cancel = cancel.clone();
        tasks.push(tokio::spawn(async move {
            use smsgate_at::Opener;
            let stream = smsgate_at::SystemOpener::default()
                .open(&smsgate_at::Endpoint::Serial(smsgate_at::SerialConfig {
                    path,
                    baud: 115_200,
                    flow: smsgate_at::FlowControl::None,
                }))
                .await
                .unwrap();
            let (at, urcs) = smsgate_at::Engine::spawn(
                stream,
                smsgate_at::EngineConfig {
                    label: format!("baseline{i}"),
                    cancel,
                    ..smsgate_at::EngineConfig::default()
                },
            );
            let (mut modem, _) = smsgate_modem::Modem::probe(at, urcs, None).await.unwrap();
            modem.init(&Default::default()).await.unwrap();
            for n in 0..per_port {
                modem
                    .send_sms(
                        &format!("+4479900{:05}", n % 50),
                        &format!("bench message {n}"),
                        &Default::default(),
                    )
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(INTERVAL_MS)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let p = gaps(&lab);
    cancel.cancel();
    p
}

/// Every gap between two consecutive SMSC receipts of a modem, minus the interval.
fn gaps(lab: &Lab) -> Pacing {
    gaps_where(lab, |_| true)
}

/// The gaps before a later part of a message (its text does not start the message): what the
/// timer alone decides, the next part being at hand.
fn gaps_between_parts(lab: &Lab) -> Pacing {
    gaps_where(lab, |next| !next.text.starts_with("bench message"))
}

fn gaps_where(lab: &Lab, keep: impl Fn(&smsgate_hardware::Submission) -> bool) -> Pacing {
    let mut per: std::collections::BTreeMap<usize, Vec<_>> = Default::default();
    for s in lab.submissions() {
        per.entry(s.modem).or_default().push(s);
    }
    let mut errors = Vec::new();
    let mut min_gap = f64::INFINITY;
    for subs in per.values_mut() {
        subs.sort_by_key(|s| s.at);
        for w in subs.windows(2) {
            let gap = (w[1].at - w[0].at).num_microseconds().unwrap_or(0) as f64 / 1000.0;
            min_gap = min_gap.min(gap);
            if keep(&w[1]) {
                errors.push(gap - INTERVAL_MS as f64);
            }
        }
    }
    errors.sort_by(f64::total_cmp);
    Pacing {
        gaps: errors.len(),
        p50: percentile(&errors, 0.5),
        p99: percentile(&errors, 0.99),
        max: errors.last().copied().unwrap_or(f64::NAN),
        min_gap,
        below: errors.iter().filter(|e| **e < 0.0).count(),
    }
}

/// CPU % of one core of an idle 32-port box over `secs` seconds; `quiet`: the baseline with
/// the port supervision (health checks, polls, sweeps) all but off.
async fn idle(bin: &Path, secs: u64, quiet: bool) -> f64 {
    let b = start(bin, |c| {
        c.supervision = Default::default();
        c.inbound = Default::default();
        if quiet {
            c.supervision.check_interval_ms = 0;
            c.supervision.poll_interval_ms = 3_600_000;
            c.inbound.sweep_interval_ms = 3_600_000;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await; // settle: start-up work done
    let (cpu0, t0) = (cpu_secs(b.child.id()), Instant::now());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let cpu = cpu_secs(b.child.id()) - cpu0;
    100.0 * cpu / t0.elapsed().as_secs_f64()
}

fn main() {
    let ours = std::env::var_os("SMSGATE_BENCH_GATEWAY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_smsgate-gateway")),
        PathBuf::from,
    );
    let baseline = std::env::var_os("SMSGATE_BENCH_BASELINE").map(PathBuf::from);
    let only = std::env::var("SMSGATE_BENCH_ONLY").unwrap_or_default();
    let idle_s: u64 = std::env::var("SMSGATE_BENCH_IDLE_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut bins = vec![("this build", ours)];
    match baseline {
        Some(b) => bins.push(("baseline", b)),
        None => println!("no SMSGATE_BENCH_BASELINE: baseline rows skipped"),
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if only.is_empty() || only == "pacing" {
            println!(
                "\n| binary | messages | gaps | error p50 / p99 / max (ms) | smallest gap (ms) | gaps < {INTERVAL_MS} ms |"
            );
            println!("|---|---|---:|---:|---:|---:|");
            let p = sleep_loop(40).await;
            println!(
                "| baseline: bare tokio sleep loop (relative sleeps, no spool), in process | {} × 1 part, {PORTS} ports, interval {INTERVAL_MS} ms | {} | {:.2} / {:.2} / {:.2} | {:.2} | {} |",
                PORTS * 40,
                p.gaps,
                p.p50,
                p.p99,
                p.max,
                p.min_gap,
                p.below
            );
            for parts in [1, 2] {
                for (name, bin) in &bins {
                    let p = pacing(bin, 40, parts).await;
                    println!(
                        "| {name} | {} × {parts} part(s), {PORTS} ports, interval {INTERVAL_MS} ms | {} | {:.2} / {:.2} / {:.2} | {:.2} | {} |",
                        PORTS * 40,
                        p.gaps,
                        p.p50,
                        p.p99,
                        p.max,
                        p.min_gap,
                        p.below
                    );
                }
            }
        }
        if only.is_empty() || only == "idle" {
            println!("\n| binary | idle CPU, {PORTS} ports, {idle_s} s (% of one core) |");
            println!("|---|---:|");
            for (name, bin) in &bins {
                println!("| {name}, supervision at its defaults | {:.2} |", idle(bin, idle_s, false).await);
                println!("| {name}, supervision off (baseline: what the rest costs) | {:.2} |", idle(bin, idle_s, true).await);
            }
        }
    });
}
