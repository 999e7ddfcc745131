//! End-to-end benchmark (a bench binary, not criterion: each scenario is one long run):
//! the real `smsgate-gateway` binary as a child process against zero-latency simulated modems
//! on real ptys (the lab runs in this process), then `gammu-smsd` (files backend) on one
//! simulated modem, side by side. Prints one table.
//!
//! `cargo bench -p smsgate-gateway --bench e2e` (needs `gammu-smsd`: apt-get install gammu-smsd;
//! without it that row says so).
//!
//! Columns: messages per second from submission to the last SMSC receipt; CPU time (user+sys)
//! of the gateway process per message; pacing error (gap between consecutive sends of a port,
//! from the simulator's receipt times, minus the interval) p50/p99; peak RSS of the process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::{Lab, LabConfig};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "bench-token-0123456789";
/// Linux clock ticks per second for /proc/<pid>/stat (USER_HZ is 100 on every Linux ABI).
const TICKS: f64 = 100.0;

struct Row {
    name: String,
    messages: usize,
    rate: f64,
    cpu_ms_per_msg: f64,
    pacing: Option<(f64, f64)>,
    rss_mb: f64,
}

fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / TICKS // utime, stime (fields 14 and 15)
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn start_lab(dir: &Path, modems: usize) -> (Lab, CancellationToken) {
    let cancel = CancellationToken::new();
    let cfg = LabConfig::for_tests(dir.join("dev"), modems);
    let lab = Lab::start(cfg, Arc::new(SystemClock), cancel.clone()).unwrap();
    (lab, cancel)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn total_received(lab: &Lab) -> usize {
    lab.handsets().values().map(Vec::len).sum()
}

async fn wait_received(lab: &Lab, n: usize, limit: Duration) -> Instant {
    let deadline = Instant::now() + limit;
    loop {
        if total_received(lab) >= n {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} received",
            total_received(lab)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn kill(child: &mut Child, sig: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        sig,
    );
    let _ = child.wait();
}

async fn ours(ports: usize, messages: usize, interval_ms: u64) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = start_lab(dir.path(), ports);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = GatewayConfig::default();
    c.storage.path = dir.path().join("spool.sqlite");
    c.api.listen = format!("127.0.0.1:{port}").parse().unwrap();
    c.api.token = Some(TOKEN.into());
    c.inbound.sweep_interval_ms = 60_000;
    c.supervision.poll_interval_ms = 60_000;
    for i in 0..ports {
        c.ports.push(PortConfig::new(
            u16::try_from(i).unwrap(),
            Device::Serial(lab.modem_path(i).unwrap().to_path_buf()),
        ));
    }
    let mut g = GroupConfig::new(
        "bench",
        smsgate_config::parse_port_spec(&format!("0-{}", ports - 1)).unwrap(),
    );
    g.interval_ms = interval_ms;
    c.groups.push(g);
    let cfg_path = dir.path().join("gateway.toml");
    std::fs::write(&cfg_path, toml::to_string(&c).unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsgate-gateway"))
        .arg("--config")
        .arg(&cfg_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    // Up and every port registered.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = match client
            .get(format!("{base}/api/v1/ports"))
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
                        .map(|a| a.iter().all(|p| p["state"] == "registered"))
                })
                .unwrap_or(false),
            Err(_) => false,
        };
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "gateway did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut csv = String::new();
    for i in 0..messages {
        csv.push_str(&format!(
            "bench;+4479900{:05};bench message {i};0\n",
            i % 50
        ));
    }
    let cpu0 = cpu_secs(child.id());
    let t0 = Instant::now();
    let r = client
        .post(format!("{base}/api/v1/bulk/messages?group=bench"))
        .bearer_auth(TOKEN)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let done = wait_received(&lab, messages, Duration::from_secs(600)).await;
    let cpu = cpu_secs(child.id()) - cpu0;
    let rss = peak_rss_mb(child.id());
    kill(&mut child, nix::sys::signal::Signal::SIGTERM);

    let pacing = (interval_ms > 0).then(|| {
        let mut errors = Vec::new();
        let mut per: std::collections::BTreeMap<usize, Vec<_>> = Default::default();
        for m in lab.handsets().into_values().flatten() {
            per.entry(m.from_modem).or_default().push(m);
        }
        for msgs in per.values_mut() {
            msgs.sort_by_key(|m| m.first_part_at);
            for w in msgs.windows(2) {
                let gap = (w[1].first_part_at - w[0].completed_at)
                    .num_microseconds()
                    .unwrap_or(0);
                errors.push(gap as f64 / 1000.0 - interval_ms as f64);
            }
        }
        errors.sort_by(f64::total_cmp);
        (percentile(&errors, 0.5), percentile(&errors, 0.99))
    });
    cancel.cancel();
    let secs = (done - t0).as_secs_f64();
    Row {
        name: format!("smsgate-gateway, {ports} port(s), interval {interval_ms} ms"),
        messages,
        rate: messages as f64 / secs,
        cpu_ms_per_msg: cpu * 1000.0 / messages as f64,
        pacing,
        rss_mb: rss,
    }
}

async fn gammu_smsd(messages: usize) -> Result<Row, String> {
    if Command::new("gammu-smsd")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("gammu-smsd not installed (apt-get install gammu-smsd)".into());
    }
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = start_lab(dir.path(), 1);
    let d = dir.path();
    for sub in ["inbox", "outbox", "sent", "error"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    let rc = d.join("smsdrc");
    std::fs::write(
        &rc,
        format!(
            "[gammu]\ndevice = {}\nconnection = at\n\n[smsd]\nservice = files\nlogfile = {}\ndebuglevel = 0\n\
             inboxpath = {}/\noutboxpath = {}/\nsentsmspath = {}/\nerrorsmspath = {}/\n\
             checksecurity = 0\ncheckbattery = 0\ncheckSignal = 0\nhangupcalls = 0\nloopsleep = 1\n",
            lab.modem_path(0).unwrap().display(),
            d.join("smsd.log").display(),
            d.join("inbox").display(),
            d.join("outbox").display(),
            d.join("sent").display(),
            d.join("error").display()
        ),
    )
    .unwrap();
    let mut child = Command::new("gammu-smsd")
        .arg("-c")
        .arg(&rc)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_secs(2)).await; // connect + init
    let cpu0 = cpu_secs(child.id());
    let t0 = Instant::now();
    for i in 0..messages {
        std::fs::write(
            d.join("outbox")
                .join(format!("OUTC_+4479800{:05}_{i:05}.txt", i % 50)),
            format!("gammu message {i}"),
        )
        .unwrap();
    }
    let done = wait_received(&lab, messages, Duration::from_secs(600)).await;
    let cpu = cpu_secs(child.id()) - cpu0;
    let rss = peak_rss_mb(child.id());
    kill(&mut child, nix::sys::signal::Signal::SIGTERM);
    cancel.cancel();
    Ok(Row {
        name: "gammu-smsd (files backend), 1 port".into(),
        messages,
        rate: messages as f64 / (done - t0).as_secs_f64(),
        cpu_ms_per_msg: cpu * 1000.0 / messages as f64,
        pacing: None,
        rss_mb: rss,
    })
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut rows = vec![
            ours(1, 300, 0).await,
            ours(32, 2000, 0).await,
            ours(32, 640, 50).await,
        ];
        let gammu = gammu_smsd(100).await;
        match gammu {
            Ok(r) => rows.push(r),
            Err(e) => println!("gammu-smsd: skipped: {e}"),
        }
        println!(
            "\n| scenario | messages | msg/s | CPU ms/msg | pacing error p50 / p99 (ms) | peak RSS (MB) |"
        );
        println!("|---|---:|---:|---:|---:|---:|");
        for r in rows {
            let pacing = r
                .pacing
                .map_or("–".to_string(), |(p50, p99)| format!("{p50:.2} / {p99:.2}"));
            println!(
                "| {} | {} | {:.1} | {:.3} | {} | {:.1} |",
                r.name, r.messages, r.rate, r.cpu_ms_per_msg, pacing, r.rss_mb
            );
        }
    });
}
