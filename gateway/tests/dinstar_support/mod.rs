//! Fixtures of the Dinstar HTTP tests: a lab whose Dinstar (HTTP mode, Digest-only login unless a
//! test says otherwise) serves on a real socket, and gateway configs over its ports.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::run_support::*;
use serde_json::Value;
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{DinstarHttpConfig, GroupConfig};
use smsgate_hardware::sim::config::{DinstarConfig, DinstarMode};
use std::time::Duration;

/// Gateway port id of the Dinstar's port 0.
pub const FIRST_ID: u16 = 10;

/// A lab of `modems` modems; `ports` are the lab modems behind Dinstar ports 0, 1, … in HTTP
/// mode, served on a real socket. Returns the lab and the Dinstar's base URL.
pub async fn dinstar_lab(
    modems: usize,
    ports: &[usize],
    tweak: impl FnOnce(&mut smsgate_hardware::LabConfig),
) -> (TestLab, String) {
    let t = lab(modems, |c| {
        c.dinstar = Some(DinstarConfig {
            ports: ports.to_vec(),
            mode: DinstarMode::Http,
            ..DinstarConfig::default()
        });
        tweak(c);
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(smsgate_hardware::sim::dinstar::serve_http(
        t.lab.clone(),
        listener,
    ));
    (t, base)
}

/// The `[[dinstar_http]]` entry for the lab's Dinstar with `ports` (its own numbers).
pub fn dinstar_entry(base: &str, ports: &str) -> DinstarHttpConfig {
    let mut d = DinstarHttpConfig::new(
        base,
        "admin",
        "admin",
        smsgate_config::parse_port_spec(ports).unwrap(),
        FIRST_ID,
    );
    d.poll_interval_ms = 200;
    d
}

/// AT ports 0 and 1 (lab modems 0, 1), Dinstar ports 10 and 11, one group `bulk` over `group`.
pub fn mixed_config(t: &TestLab, base: &str, group: &str, interval_ms: u64) -> GatewayConfig {
    let spool = t.dir.path().join("spool.sqlite");
    let mut c = config(t, &spool, "0", interval_ms);
    c.ports.truncate(2);
    c.dinstar_http.push(dinstar_entry(base, "0-1"));
    let mut g = GroupConfig::new("bulk", smsgate_config::parse_port_spec(group).unwrap());
    g.interval_ms = interval_ms;
    c.groups = vec![g];
    c
}

/// Only the Dinstar: every lab modem behind it, Dinstar ports 0.. as gateway ports 10..,
/// group `bulk` over `group`, no pacing.
pub fn dinstar_only_config(t: &TestLab, base: &str, group: &str) -> GatewayConfig {
    let spool = t.dir.path().join("spool.sqlite");
    let mut c = config(t, &spool, "0", 0);
    c.ports.clear();
    let n = t.lab.dinstar_ports().len();
    c.dinstar_http
        .push(dinstar_entry(base, &format!("0-{}", n - 1)));
    let mut g = GroupConfig::new("bulk", smsgate_config::parse_port_spec(group).unwrap());
    g.interval_ms = 0;
    c.groups = vec![g];
    c
}

/// Waits until the inbound API lists at least `n` messages.
pub async fn wait_inbound(api: &Api, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = api.inbound().await;
        if got.len() >= n {
            return got;
        }
        assert!(tokio::time::Instant::now() < deadline, "inbound: {got:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `f(ports)` holds.
pub async fn wait_ports(api: &Api, f: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let ports = api.ports().await;
        if f(&ports) {
            return ports;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "ports never got there: {ports:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until message `id` is in `state`; returns it.
pub async fn wait_message(api: &Api, id: i64, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let m = api.get(&format!("/api/v1/messages/{id}")).await;
        if m["state"] == state {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "message {id} never {state}: {m}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
