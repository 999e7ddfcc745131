//! The box UI's cost on the edge (a bench binary: one run per scenario):
//! - the bytes the UI embeds in the binary (`smsgate_web_box::assets()`, stored gzipped);
//! - the gateway's memory with 32 simulated ports and the UI open (a logged-in browser's
//!   requests: every UI file, the live port stream held open, the dashboard, port table and
//!   spool list polled each second) while 640 messages are sent, side by side with the same
//!   run without the UI.
//!
//! `cargo bench -p smsgate-gateway --bench box_ui` (`SMSGATE_BENCH_SECS`: how long the UI
//! polls, default 20). The size added to the stripped binary is measured by comparing two
//! release builds (see docs/benchmarks.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::{Lab, LabConfig};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "bench-token-0123456789";
const PASSWORD: &str = "bench admin password";
const PORTS: usize = 32;
const MESSAGES: usize = 640;

fn status_kib(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

struct Row {
    name: &'static str,
    peak_mib: f64,
    end_mib: f64,
    ui_requests: usize,
    ui_bytes: usize,
}

async fn run(with_ui: bool) -> Row {
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
    c.storage.path = dir.path().join("spool.sqlite");
    c.api.listen = format!("127.0.0.1:{port}").parse().unwrap();
    c.api.token = Some(TOKEN.into());
    for i in 0..PORTS {
        c.ports.push(PortConfig::new(
            u16::try_from(i).unwrap(),
            Device::Serial(lab.modem_path(i).unwrap().to_path_buf()),
        ));
    }
    let mut g = GroupConfig::new("bench", smsgate_config::parse_port_spec("0-31").unwrap());
    g.interval_ms = 50;
    c.groups.push(g);
    smsgate_gateway::ui::account::set(
        &smsgate_gateway::ui::account::path_for(&c.storage.path),
        "tech",
        PASSWORD,
    )
    .unwrap();
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
    let pid = child.id();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let up = match client
            .get(format!("{base}/api/v1/ports"))
            .bearer_auth(TOKEN)
            .send()
            .await
        {
            Ok(r) => r.json::<serde_json::Value>().await.ok().is_some_and(|v| {
                v["ports"].as_array().is_some_and(|a| {
                    a.len() == PORTS && a.iter().all(|p| p["state"] == "registered")
                })
            }),
            Err(_) => false,
        };
        if up {
            break;
        }
        assert!(Instant::now() < deadline, "gateway did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut csv = String::new();
    for i in 0..MESSAGES {
        csv.push_str(&format!(
            "bench;+4479900{:05};bench message {i};0\n",
            i % 50
        ));
    }
    let r = client
        .post(format!("{base}/api/v1/bulk/messages?group=bench"))
        .bearer_auth(TOKEN)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);

    let secs: u64 = std::env::var("SMSGATE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let (mut requests, mut bytes) = (0usize, 0usize);
    if with_ui {
        let r = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"login": "tech", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        for a in smsgate_web_box::assets() {
            let r = client
                .get(format!("{base}{}", a.path))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", a.path);
            bytes += r.bytes().await.unwrap().len();
            requests += 1;
        }
        // The live stream, held open and read for the whole run.
        let mut stream = client
            .get(format!("{base}/api/v1/box/events"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let reader = tokio::spawn(async move {
            let mut n = 0usize;
            while let Ok(Some(c)) = stream.chunk().await {
                n += c.len();
            }
            n
        });
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            for path in [
                "/api/v1/box/dashboard",
                "/api/v1/ports",
                "/api/v1/box/messages?limit=100",
                "/api/v1/box/groups",
            ] {
                let r = client
                    .get(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{path}");
                bytes += r.bytes().await.unwrap().len();
                requests += 1;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        reader.abort();
    } else {
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
    let (peak, end) = (
        status_kib(pid, "VmHWM:") / 1024.0,
        status_kib(pid, "VmRSS:") / 1024.0,
    );
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
    cancel.cancel();
    Row {
        name: if with_ui {
            "32 ports, 640 messages, box UI open"
        } else {
            "32 ports, 640 messages, no UI client (baseline)"
        },
        peak_mib: peak,
        end_mib: end,
        ui_requests: requests,
        ui_bytes: bytes,
    }
}

fn main() {
    let assets = smsgate_web_box::assets();
    let stored: usize = assets.iter().map(|a| a.body.len()).sum();
    println!(
        "box UI: {} files, {stored} bytes embedded (compressible files stored gzipped)",
        assets.len()
    );
    for a in assets {
        println!("  {:>7}  {}", a.body.len(), a.path);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let rows = [run(false).await, run(true).await];
        println!(
            "\n| scenario | peak RSS (MiB) | RSS at end (MiB) | UI requests | UI bytes received |"
        );
        println!("|---|---:|---:|---:|---:|");
        for r in rows {
            println!(
                "| {} | {:.1} | {:.1} | {} | {} |",
                r.name, r.peak_mib, r.end_mib, r.ui_requests, r.ui_bytes
            );
        }
    });
}
