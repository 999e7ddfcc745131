//! kill -9 of the real `smsgate-gateway` binary at random moments during a run, then restart,
//! against a simulated lab in this test process: no acknowledged message is lost, none reaches
//! a handset twice (receipts counted per text), messages in flight at the kill end `unknown`
//! (never resent), and no inbound SMS is lost (injected ones wait on the SIM while the
//! gateway is down and are committed after the restart).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use rand::{Rng, SeedableRng};
use run_support::*;
use smsgate_hardware::Inbound;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(config: &std::path::Path, log: &std::path::Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_smsgate-gateway"))
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

async fn wait_up(api: &Api, child: &mut Child, log: &std::path::Path) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while api.try_get("/api/v1/ports").await.is_none() {
        let exited = child.try_wait().unwrap();
        if exited.is_some() || tokio::time::Instant::now() >= deadline {
            panic!(
                "gateway never came up ({exited:?}):\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_nothing_acknowledged_and_sends_nothing_twice() {
    let seed: u64 = rand::rng().random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let t = lab(4, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let mut cfg = config(&t, &spool, "0-3", 20);
    let port = free_port();
    cfg.api.listen = format!("127.0.0.1:{port}").parse().unwrap();
    let cfg_path = t.dir.path().join("gateway.toml");
    std::fs::write(&cfg_path, toml::to_string(&cfg).unwrap()).unwrap();
    let log = t.dir.path().join("gateway.log");
    let api = Api::new(format!("http://127.0.0.1:{port}"));

    let mut acked: BTreeMap<i64, String> = BTreeMap::new();
    let mut injected: Vec<String> = Vec::new();
    let mut n = 0usize;
    for round in 0..4 {
        let mut child = spawn(&cfg_path, &log);
        wait_up(&api, &mut child, &log).await;
        let mut csv = String::new();
        let mut texts = Vec::new();
        for _ in 0..80 {
            let text = format!("r{round} n{n} crash test");
            csv.push_str(&format!("crash;+4479200{:05};{text};0\n", n % 7));
            texts.push(text);
            n += 1;
        }
        let ids = api.bulk(csv).await;
        acked.extend(ids.into_iter().zip(texts));
        for k in 0..2 {
            let text = if k == 0 {
                format!("inbound r{round}: {}", "multipart inbound text ".repeat(10))
            } else {
                format!("inbound r{round} short")
            };
            t.lab
                .inject(&Inbound {
                    from: format!("+3361000{round}{k}"),
                    to: format!("#{}", (round + k) % 4),
                    text: text.clone(),
                    encoding: None,
                    out_of_order: k == 0,
                    drop_part: None,
                })
                .unwrap();
            injected.push(text);
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..1500))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Inbound while the gateway is down waits on the SIM.
        let text = format!("while down {round}");
        t.lab
            .inject(&Inbound {
                from: "+33699999999".into(),
                to: format!("#{}", round % 4),
                text: text.clone(),
                encoding: None,
                out_of_order: false,
                drop_part: None,
            })
            .unwrap();
        injected.push(text);
    }

    let mut child = spawn(&cfg_path, &log);
    wait_up(&api, &mut child, &log).await;
    api.wait_states("the queue drained", |c| {
        c.get("queued").copied().unwrap_or(1) == 0 && c.get("sending").copied().unwrap_or(1) == 0
    })
    .await;

    // Every acknowledged message is in the spool; receipts match its state.
    let mut receipts: BTreeMap<String, usize> = BTreeMap::new();
    for m in t.lab.handsets().values().flatten() {
        *receipts.entry(m.text.clone()).or_default() += 1;
    }
    let mut unknown = 0;
    for (id, text) in &acked {
        let state = api.state(*id).await;
        let got = receipts.get(text).copied().unwrap_or(0);
        match state.as_str() {
            "sent" | "delivered" => {
                assert_eq!(got, 1, "message {id} ({state}) received {got} times")
            }
            "unknown" => {
                unknown += 1;
                assert!(got <= 1, "unknown message {id} received {got} times");
            }
            other => panic!("message {id} ended {other}"),
        }
    }
    assert!(
        receipts.values().all(|n| *n == 1),
        "something was sent twice: {receipts:?}"
    );
    println!(
        "{} acknowledged, {unknown} unknown after the kills",
        acked.len()
    );

    // No inbound lost (at least once: a kill between commit and SIM delete re-reads it).
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got: Vec<String> = api
            .inbound()
            .await
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_string())
            .collect();
        let missing: Vec<&String> = injected.iter().filter(|t| !got.contains(t)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "inbound lost: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "clean stop on SIGTERM: {status:?}");
}
