//! A real `smsgate hub` process (default argon2id cost: 19 MiB per hash) under a login storm:
//! 64 parallel failed logins from 127.0.0.1 for a few seconds. The hub's resident memory stays
//! bounded (bounded concurrent hashes), 429s with `Retry-After` appear (throttling), and the
//! legitimate user logging in from another source address (127.0.0.2) still gets in.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::net::{IpAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "storm-test-password";

struct Hub(Child);

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn client(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_storm_keeps_memory_bounded_gets_429s_and_lets_the_real_user_in() {
    let dir = tempfile::tempdir().unwrap();
    let api = free_port();
    let config = dir.path().join("hub.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = {:?}\n[api]\nlisten = \"127.0.0.1:{api}\"\n[mqtt]\nlisten = \"127.0.0.1:0\"\n[bootstrap]\nadmin_login = \"admin\"\nadmin_password = \"{PASSWORD}\"\n",
            dir.path().join("hub.sqlite")
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .args(["hub", "--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let hub = Hub(child);
    let base = format!("http://127.0.0.1:{api}");
    let http = client("127.0.0.1");
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the hub did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let baseline = rss_kib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let (throttled, failed, peak) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(baseline)),
    );
    let mut attackers = Vec::new();
    for i in 0..64 {
        let (http, base, stop, throttled, failed) = (
            http.clone(),
            base.clone(),
            stop.clone(),
            throttled.clone(),
            failed.clone(),
        );
        attackers.push(tokio::spawn(async move {
            // Bounded: at most 200 attempts per attacker.
            for _ in 0..200 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let login = if i % 2 == 0 {
                    "admin".to_owned()
                } else {
                    format!("nobody{i}")
                };
                let resp = http
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&serde_json::json!({"login": login, "password": "wrong-password"}))
                    .send()
                    .await;
                match resp.map(|r| (r.status().as_u16(), r.headers().contains_key("retry-after"))) {
                    Ok((429, true)) => throttled.fetch_add(1, Ordering::Relaxed),
                    Ok((401, _)) => failed.fetch_add(1, Ordering::Relaxed),
                    other => panic!("unexpected answer {other:?}"),
                };
            }
        }));
    }
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The real user, from elsewhere, in the middle of the storm.
    let started = Instant::now();
    let legit = client("127.0.0.2")
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let legit_took = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.await.unwrap();
    }
    sampler.await.unwrap();
    let grown_mib = peak.load(Ordering::Relaxed).saturating_sub(baseline) / 1024;
    eprintln!(
        "storm: {} throttled, {} failed, RSS {} MiB → peak +{grown_mib} MiB, legit login {legit_took:?}",
        throttled.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        baseline / 1024
    );
    assert_eq!(
        legit.status(),
        200,
        "the real user gets in during the storm"
    );
    assert!(throttled.load(Ordering::Relaxed) > 0, "429s appear");
    // 4 concurrent hashes × 19 MiB plus allocator slack; unbounded, 64 × 19 MiB ≈ 1.2 GiB.
    assert!(grown_mib < 200, "RSS grew by {grown_mib} MiB");
    drop(hub);
}
