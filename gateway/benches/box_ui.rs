//! The box UI's cost on the edge (a bench binary: one run per scenario):
//! - the bytes the UI embeds in the binary (`smsgate_web_box::assets()`, stored gzipped);
//! - the gateway's memory with 32 simulated ports and the UI open (a logged-in browser's
//!   requests: every UI file, the live port stream held open, the dashboard, port table and
//!   spool list polled each second) while 640 messages are sent, side by side with the same
//!   run without the UI.
//!
//! `cargo bench -p smsgate-gateway --bench box_ui` (`SMSGATE_BENCH_SECS`: how long the UI
//! polls, default 20; `SMSGATE_BENCH_GATEWAY`: another `smsgate-gateway` binary to measure,
//! such as the shipped edge build or an older build, default this build's). The browser logs
//! in four times over the run (every `secs / 4`), as technicians and sessions come and go.
//! Scenarios: the baseline (no UI client), the UI open, the UI open with its first four logins
//! sent at once (they are hashed one at a time), and the UI open with a 200,000-line dialer
//! file uploaded a quarter into the run (to a group whose one port has no modem, so the
//! messages stay queued). `SMSGATE_BENCH_BEFORE`: a second binary (an older build) run through
//! every scenario beside the first, in the same run.
//! Memory is sampled every 100 ms (peak and its anonymous / file-backed split) and where the
//! RSS sits at the end is read from `/proc/<pid>/smaps`. The size added to the stripped
//! binary is measured by comparing two builds (see docs/benchmarks.md).

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

const LOGINS: u64 = 4;

fn status_kib(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// One memory sample: RSS and its anonymous and file-backed parts (KiB).
#[derive(Clone, Copy, Default)]
struct Sample {
    rss: f64,
    anon: f64,
    file: f64,
}

fn sample(pid: u32) -> Sample {
    Sample {
        rss: status_kib(pid, "VmRSS:"),
        anon: status_kib(pid, "RssAnon:"),
        file: status_kib(pid, "RssFile:"),
    }
}

/// Where the RSS sits (KiB), from `/proc/<pid>/smaps`: the gateway binary's code, its other
/// file pages (read-only data, unwind tables, relocation table), its data relocated at start
/// (private copies), shared libraries, and the rest (malloc heaps, thread stacks).
#[derive(Default)]
struct Breakdown {
    code: u64,
    rodata: u64,
    relocated: u64,
    libraries: u64,
    heap_and_stacks: u64,
}

fn breakdown(pid: u32, exe: &str) -> Breakdown {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut b = Breakdown::default();
    let (mut path, mut perms, mut rss) = (String::new(), String::new(), 0u64);
    let kib = |l: &str| -> u64 {
        l.split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    for line in smaps.lines() {
        let head: Vec<&str> = line.split_whitespace().collect();
        if head.len() >= 5 && head[0].contains('-') && !head[0].ends_with(':') {
            perms = head[1].to_owned();
            path = head.get(5).map(|p| (*p).to_owned()).unwrap_or_default();
        } else if line.starts_with("Rss:") {
            rss = kib(line);
        } else if line.starts_with("Anonymous:") {
            let anon = kib(line);
            if path == exe {
                b.relocated += anon;
                if perms.contains('x') {
                    b.code += rss - anon;
                } else {
                    b.rodata += rss - anon;
                }
            } else if path.contains(".so") {
                b.libraries += rss;
            } else {
                b.heap_and_stacks += rss;
            }
        }
    }
    b
}

/// The same-origin files an HTML page names in `src="/…"` and `href="/…"`.
fn linked_files(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"/", "href=\"/"] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len() - 1..];
            let end = rest.find('"').unwrap_or(rest.len());
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

/// What the gateway is asked to do beside sending the 640 messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// Nothing more.
    Baseline,
    /// A logged-in browser polling the UI, four logins over the run.
    UiOpen,
    /// The same, the first four logins sent at once.
    ParallelLogins,
    /// The UI open, and a 200,000-line dialer file uploaded a quarter into the run.
    Upload,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "32 ports, 640 messages, no UI client (baseline)",
            Scenario::UiOpen => "32 ports, 640 messages, box UI open",
            Scenario::ParallelLogins => "box UI open, 4 parallel logins",
            Scenario::Upload => "box UI open + 200k-line dialer upload",
        }
    }
}

/// Lines of the upload scenario's dialer file.
const UPLOAD_LINES: usize = 200_000;

struct Row {
    binary: String,
    name: &'static str,
    peak: Sample,
    end: Sample,
    at_end: Breakdown,
    logins: u64,
    ui_requests: usize,
    ui_bytes: usize,
    upload_ms: Option<u128>,
}

async fn run(scenario: Scenario, binary: (&str, &str)) -> Row {
    let with_ui = scenario != Scenario::Baseline;
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
    // The upload's group: one port with no modem behind it, so the uploaded messages stay
    // queued (the run measures storing them, not sending them).
    c.ports.push(PortConfig::new(
        u16::try_from(PORTS).unwrap(),
        Device::Serial(dir.path().join("dev/no-modem")),
    ));
    c.groups.push(GroupConfig::new(
        "upload",
        smsgate_config::parse_port_spec(&PORTS.to_string()).unwrap(),
    ));
    smsgate_gateway::ui::account::set(
        &smsgate_gateway::ui::account::path_for(&c.storage.path),
        "tech",
        PASSWORD,
    )
    .unwrap();
    let cfg_path = dir.path().join("gateway.toml");
    std::fs::write(&cfg_path, toml::to_string(&c).unwrap()).unwrap();
    let exe = std::fs::canonicalize(binary.1)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut child = Command::new(&exe)
        .arg("--config")
        .arg(&cfg_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stop_sampling = CancellationToken::new();
    let sampler = tokio::spawn({
        let stop = stop_sampling.clone();
        async move {
            let mut peak = Sample::default();
            while !stop.is_cancelled() {
                let s = sample(pid);
                if s.rss > peak.rss {
                    peak = s;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        }
    });
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
                    a.iter().filter(|p| p["state"] == "registered").count() == PORTS
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
    let login = || async {
        let r = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"login": "tech", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let mut logins = 0;
    let mut upload_ms = None;
    if with_ui {
        let mut cookie = if scenario == Scenario::ParallelLogins {
            let (first, _, _, _) = tokio::join!(login(), login(), login(), login());
            logins += LOGINS;
            first
        } else {
            logins += 1;
            login().await
        };
        // The page and the files it names, as a browser loads them (the measured binary's
        // own files, which may not be this build's).
        let page = client.get(format!("{base}/")).send().await.unwrap();
        assert!(page.status().is_success(), "/");
        let page = page.text().await.unwrap();
        bytes += page.len();
        requests += 1;
        for path in linked_files(&page) {
            let r = client
                .get(format!("{base}{path}"))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{path}");
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
        let start = Instant::now();
        let end = start + Duration::from_secs(secs);
        let mut upload = None;
        while Instant::now() < end {
            if scenario == Scenario::Upload
                && upload.is_none()
                && start.elapsed() >= Duration::from_secs(secs / 4)
            {
                let mut file = String::with_capacity(UPLOAD_LINES * 48);
                file.push_str("campaign;destiny;message;priority\n");
                for i in 0..UPLOAD_LINES {
                    file.push_str(&format!("upload;+4479{i:08};uploaded message {i};0\n"));
                }
                let (client, base, cookie) = (client.clone(), base.clone(), cookie.clone());
                upload = Some(tokio::spawn(async move {
                    let t = Instant::now();
                    let r = client
                        .post(format!("{base}/api/v1/bulk/messages?group=upload"))
                        .header("cookie", cookie)
                        .header("content-type", "text/csv")
                        .body(file)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 202);
                    let v: serde_json::Value = r.json().await.unwrap();
                    assert_eq!(v["imported"], UPLOAD_LINES);
                    t.elapsed().as_millis()
                }));
            }
            // Another login every quarter of the run (a new session each time).
            if logins < LOGINS && start.elapsed() >= Duration::from_secs(secs * logins / LOGINS) {
                cookie = login().await;
                logins += 1;
            }
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
        if let Some(u) = upload {
            upload_ms = Some(u.await.unwrap());
        }
        reader.abort();
    } else {
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
    stop_sampling.cancel();
    let mut peak = sampler.await.unwrap();
    // The kernel's high-water mark catches a peak between two samples.
    peak.rss = peak.rss.max(status_kib(pid, "VmHWM:"));
    let end = sample(pid);
    let at_end = breakdown(pid, &exe);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
    cancel.cancel();
    Row {
        binary: binary.0.to_owned(),
        name: scenario.name(),
        upload_ms,
        peak,
        end,
        at_end,
        logins,
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
    // This build, or `SMSGATE_BENCH_GATEWAY`; with `SMSGATE_BENCH_BEFORE`, that binary too,
    // each scenario run with one then the other.
    let after = std::env::var("SMSGATE_BENCH_GATEWAY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_smsgate-gateway").to_owned());
    let mut binaries = Vec::new();
    if let Ok(before) = std::env::var("SMSGATE_BENCH_BEFORE") {
        binaries.push(("before".to_owned(), before));
    }
    binaries.push(("after".to_owned(), after));
    rt.block_on(async {
        let mut rows = Vec::new();
        for scenario in [
            Scenario::Baseline,
            Scenario::UiOpen,
            Scenario::ParallelLogins,
            Scenario::Upload,
        ] {
            for (label, exe) in &binaries {
                rows.push(run(scenario, (label, exe)).await);
            }
        }
        let mib = |k: f64| k / 1024.0;
        println!(
            "\n| binary | scenario | peak RSS (MiB) | at the peak: anon / file | RSS at end (MiB) | logins | UI requests | UI bytes received | upload (ms) |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for r in &rows {
            println!(
                "| {} | {} | {:.1} | {:.1} / {:.1} | {:.1} | {} | {} | {} | {} |",
                r.binary,
                r.name,
                mib(r.peak.rss),
                mib(r.peak.anon),
                mib(r.peak.file),
                mib(r.end.rss),
                r.logins,
                r.ui_requests,
                r.ui_bytes,
                r.upload_ms.map_or("–".to_owned(), |ms| ms.to_string())
            );
        }
        println!(
            "\nRSS at end (MiB): | binary | scenario | binary code | binary read-only data | binary data relocated at start | shared libraries | heap, stacks, other |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|");
        for r in &rows {
            let b = &r.at_end;
            let m = |k: u64| k as f64 / 1024.0;
            println!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
                r.binary,
                r.name,
                m(b.code),
                m(b.rodata),
                m(b.relocated),
                m(b.libraries),
                m(b.heap_and_stacks)
            );
        }
    });
}
