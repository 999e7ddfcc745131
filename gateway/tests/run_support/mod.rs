//! Shared fixtures of the `run_*` tests: a simulated GSM lab on real ptys, a gateway config
//! pointing at it, the gateway running in-process, and a small API client.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_gateway::clock::Clock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::runtime::{RunDeps, run_with};
use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::{Lab, LabConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Upper bound of any wait in these tests (a broken path fails instead of hanging).
pub const WAIT: Duration = Duration::from_secs(120);
/// API token used by every test gateway.
pub const TOKEN: &str = "test-token-0123456789";

/// A running lab in a temporary directory (stopped on drop).
pub struct TestLab {
    pub lab: Lab,
    pub dir: tempfile::TempDir,
    cancel: CancellationToken,
}

impl Drop for TestLab {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Starts a lab with `modems` zero-latency modems.
pub fn lab(modems: usize, tweak: impl FnOnce(&mut LabConfig)) -> TestLab {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = LabConfig::for_tests(dir.path().join("dev"), modems);
    tweak(&mut cfg);
    let cancel = CancellationToken::new();
    let lab = Lab::start(cfg, Arc::new(SystemClock), cancel.clone()).unwrap();
    TestLab { lab, dir, cancel }
}

/// A config with one port per lab modem and one group `bulk` over all of them.
pub fn config(t: &TestLab, spool: &Path, ports: &str, interval_ms: u64) -> GatewayConfig {
    let mut c = GatewayConfig::default();
    c.storage.path = spool.to_path_buf();
    c.api.listen = "127.0.0.1:0".parse().unwrap();
    c.api.token = Some(TOKEN.into());
    c.supervision.command_timeout_ms = 1500;
    c.supervision.send_timeout_ms = 5000;
    c.supervision.poll_interval_ms = 500;
    c.supervision.bench_backoff_ms = 500;
    c.supervision.bench_backoff_max_ms = 2000;
    c.inbound.sweep_interval_ms = 1000;
    c.inbound.reassembly_timeout_s = 30;
    c.ussd.timeout_ms = 5000;
    c.ussd.balance_code = Some(t.lab.config().balance_code.clone());
    for i in 0..t.lab.specs().len() {
        let path: PathBuf = t.lab.modem_path(i).unwrap().to_path_buf();
        c.ports.push(PortConfig::new(
            u16::try_from(i).unwrap(),
            Device::Serial(path),
        ));
    }
    let mut g = GroupConfig::new("bulk", smsgate_config::parse_port_spec(ports).unwrap());
    g.interval_ms = interval_ms;
    c.groups.push(g);
    c
}

/// A gateway running in-process.
pub struct Running {
    pub api: Api,
    pub shutdown: CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), smsgate_gateway::GatewayError>>,
}

impl Running {
    /// Cancels and waits for a clean stop.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("gateway stops in time")
            .unwrap()
            .unwrap();
    }
}

/// Starts the gateway with `clock` (spool rows, caps, sending hours).
pub async fn start(config: GatewayConfig, clock: Arc<dyn Clock>) -> Running {
    start_with_power(config, clock, BTreeMap::new()).await
}

/// Starts the gateway with power control for some ports.
pub async fn start_with_power(
    config: GatewayConfig,
    clock: Arc<dyn Clock>,
    power: BTreeMap<u16, Box<dyn smsgate_gateway::ports::PowerCycle>>,
) -> Running {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let deps = RunDeps {
        opener: Arc::new(smsgate_at::SystemOpener::default()),
        clock,
        power,
        metrics: GatewayMetrics::new(),
        on_listen: Some(Box::new(move |addr| {
            let _ = tx.send(addr);
        })),
        logs: None,
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_with(config, deps, shutdown.clone()));
    let addr = tokio::time::timeout(WAIT, rx).await.unwrap().unwrap();
    Running {
        api: Api::new(format!("http://{addr}")),
        shutdown,
        task,
    }
}

/// A tiny client of the local API.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Self {
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn try_get(&self, path: &str) -> Option<Value> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Submits one message; returns its id.
    pub async fn submit(&self, to: &str, text: &str) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/messages",
                serde_json::json!({"to": to, "text": text}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// Uploads a dialer CSV to group `bulk`; returns the ids.
    pub async fn bulk(&self, csv: String) -> Vec<i64> {
        let r = self
            .client
            .post(format!("{}/api/v1/bulk/messages?group=bulk", self.base))
            .bearer_auth(TOKEN)
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let v: Value = r.json().await.unwrap();
        v["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_i64().unwrap())
            .collect()
    }

    /// The message's state.
    pub async fn state(&self, id: i64) -> String {
        self.get(&format!("/api/v1/messages/{id}")).await["state"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Counts per state from `/metrics` (`smsgate_messages{state="…"} n`).
    pub async fn state_counts(&self) -> BTreeMap<String, u64> {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("smsgate_messages{state=\"")?;
                let (state, n) = rest.split_once("\"} ")?;
                Some((state.to_string(), n.trim().parse::<f64>().ok()? as u64))
            })
            .collect()
    }

    /// Waits until `f(counts)` holds (or panics after [`WAIT`]).
    pub async fn wait_states(&self, what: &str, f: impl Fn(&BTreeMap<String, u64>) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let c = self.state_counts().await;
            if f(&c) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; states {c:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every inbound message (following the cursor).
    pub async fn inbound(&self) -> Vec<Value> {
        let mut all = Vec::new();
        let mut since = 0;
        loop {
            let page = self.get(&format!("/api/v1/inbound?since={since}")).await;
            let msgs = page["messages"].as_array().unwrap().clone();
            if msgs.is_empty() {
                return all;
            }
            since = page["next"].as_i64().unwrap();
            all.extend(msgs);
        }
    }

    /// `GET /api/v1/ports`.
    pub async fn ports(&self) -> Vec<Value> {
        self.get("/api/v1/ports").await["ports"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Waits until every port reports `registered`.
    pub async fn wait_registered(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ports = self.ports().await;
            if ports.len() == n && ports.iter().all(|p| p["state"] == "registered") {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "ports never all registered: {ports:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
