//! Fault timings (a bench binary, not criterion: each fault is one run): the gateway in-process
//! with the default `[supervision]` timings against simulated modems on real ptys, each fault
//! from the simulator's control API, times read from the gateway's API and the simulated
//! network's log of submissions. Side by side, the same fault with the idle health check off
//! (`check_interval_ms = 0`: detection left to the 30 s poll and the 60 s sweep, as before).
//!
//! `cargo bench -p smsgate-gateway --bench faults` (about five minutes; prints one table).
//!
//! - detection: from the fault to the port showing it (state, counter) or acting on it;
//! - failover: from the first failed attempt of a message to its acceptance on another port;
//! - recovery: from the fault (or its end) to the port carrying traffic / the data arriving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::runtime::{RunDeps, run_with};
use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::{Fault, Inbound, Lab, LabConfig};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "bench-token-0123456789";
const LIMIT: Duration = Duration::from_secs(120);

struct Gw {
    base: String,
    http: reqwest::Client,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), smsgate_gateway::GatewayError>>,
}

impl Gw {
    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn port(&self, i: usize) -> Value {
        self.get("/api/v1/ports").await["ports"][i].clone()
    }

    async fn submit(&self, body: Value) -> i64 {
        let v: Value = self
            .http
            .post(format!("{}/api/v1/messages", self.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["id"].as_i64().unwrap()
    }

    async fn state(&self, id: i64) -> String {
        self.get(&format!("/api/v1/messages/{id}")).await["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn inbound_texts(&self) -> Vec<String> {
        self.get("/api/v1/inbound?since=0").await["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until `f` holds; the time it took (`None`: not within [`LIMIT`]).
    async fn until<F, Fut>(&self, from: Instant, f: F) -> Option<Duration>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        loop {
            if f().await {
                return Some(from.elapsed());
            }
            if from.elapsed() > LIMIT {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

fn lab(dir: &Path, modems: usize, tweak: impl FnOnce(&mut LabConfig)) -> (Lab, CancellationToken) {
    let cancel = CancellationToken::new();
    let mut cfg = LabConfig::for_tests(dir.join("dev"), modems);
    tweak(&mut cfg);
    (
        Lab::start(cfg, Arc::new(SystemClock), cancel.clone()).unwrap(),
        cancel,
    )
}

async fn gateway(dir: &Path, lab: &Lab, ports: &str, check: bool) -> Gw {
    let mut c = GatewayConfig::default();
    c.storage.path = dir.join("spool.sqlite");
    c.api.listen = "127.0.0.1:0".parse().unwrap();
    c.api.token = Some(TOKEN.into());
    if !check {
        c.supervision.check_interval_ms = 0;
    }
    for i in 0..lab.specs().len() {
        c.ports.push(PortConfig::new(
            u16::try_from(i).unwrap(),
            Device::Serial(lab.modem_path(i).unwrap().to_path_buf()),
        ));
    }
    let mut g = GroupConfig::new("bulk", smsgate_config::parse_port_spec(ports).unwrap());
    g.interval_ms = 200;
    c.groups.push(g);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let deps = RunDeps {
        opener: Arc::new(smsgate_at::SystemOpener::default()),
        clock: Arc::new(smsgate_gateway::clock::SystemClock),
        power: BTreeMap::new(),
        metrics: GatewayMetrics::new(),
        on_listen: Some(Box::new(move |addr| {
            let _ = tx.send(addr);
        })),
        logs: None,
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_with(c, deps, shutdown.clone()));
    let addr = rx.await.unwrap();
    let gw = Gw {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        shutdown,
        task,
    };
    let n = lab.specs().len();
    gw.until(Instant::now(), || async {
        let v = gw.get("/api/v1/ports").await;
        v["ports"]
            .as_array()
            .is_some_and(|p| p.len() == n && p.iter().all(|p| p["state"] == "registered"))
    })
    .await
    .expect("ports registered");
    gw
}

fn inbound(to: &str, text: &str) -> Inbound {
    Inbound {
        from: "+33612345678".into(),
        to: to.into(),
        text: text.into(),
        encoding: None,
        out_of_order: false,
        drop_part: None,
    }
}

#[derive(Default)]
struct Row {
    fault: &'static str,
    failover: Option<Duration>,
    detection: Option<Duration>,
    recovery: Option<Duration>,
    baseline_detection: Option<Duration>,
    baseline_recovery: Option<Duration>,
    note: String,
}

fn cell(d: Option<Duration>) -> String {
    match d {
        Some(d) if d < Duration::from_secs(1) => format!("{} ms", d.as_millis()),
        Some(d) => format!("{:.1} s", d.as_secs_f64()),
        None => "—".into(),
    }
}

/// Silent reboot of an idle generic modem: detection = the reset counted, recovery = an SMS
/// injected right after the reboot reaches the spool.
async fn silent_reboot(check: bool) -> (Option<Duration>, Option<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = lab(dir.path(), 1, |_| {});
    let gw = gateway(dir.path(), &lab, "0", check).await;
    let me = lab.specs()[0].msisdn.clone();
    let t0 = Instant::now();
    lab.fault(0, Fault::Reboot).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    lab.inject(&inbound(&me, "after reboot")).unwrap();
    let detection = gw
        .until(t0, || async {
            gw.port(0).await["counters"]["resets"].as_u64().unwrap_or(0) >= 1
        })
        .await;
    let recovery = gw
        .until(t0, || async {
            gw.inbound_texts().await.iter().any(|t| t == "after reboot")
        })
        .await;
    gw.stop().await;
    cancel.cancel();
    (detection, recovery)
}

/// Hang of an idle modem that comes back after a few lines: detection = declared hung,
/// recovery = registered again.
async fn hang(check: bool) -> (Option<Duration>, Option<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = lab(dir.path(), 1, |_| {});
    let gw = gateway(dir.path(), &lab, "0", check).await;
    let t0 = Instant::now();
    lab.fault(0, Fault::Hang { commands: 6 }).await.unwrap();
    let detection = gw
        .until(t0, || async {
            gw.port(0).await["counters"]["hangs"].as_u64().unwrap_or(0) >= 1
        })
        .await;
    let recovery = gw
        .until(t0, || async {
            let p = gw.port(0).await;
            p["counters"]["hangs"].as_u64().unwrap_or(0) >= 1 && p["state"] == "registered"
        })
        .await;
    gw.stop().await;
    cancel.cancel();
    (detection, recovery)
}

/// Storage full with one SMS waiting at the network: detection = found full, recovery = the
/// waiting SMS reaches the spool.
async fn storage_full(check: bool) -> (Option<Duration>, Option<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = lab(dir.path(), 1, |_| {});
    let gw = gateway(dir.path(), &lab, "0", check).await;
    let me = lab.specs()[0].msisdn.clone();
    let t0 = Instant::now();
    lab.fault(
        0,
        Fault::StorageFull {
            full: true,
            memory: None,
        },
    )
    .await
    .unwrap();
    lab.inject(&inbound(&me, "into a full SIM")).unwrap();
    let detection = gw
        .until(t0, || async {
            let p = gw.port(0).await;
            p["counters"]["storage_full"].as_u64().unwrap_or(0) >= 1
                || gw.inbound_texts().await.len() > 1
        })
        .await;
    let recovery = gw
        .until(t0, || async {
            gw.inbound_texts()
                .await
                .iter()
                .any(|t| t == "into a full SIM")
        })
        .await;
    gw.stop().await;
    cancel.cancel();
    (detection, recovery)
}

/// Five refusals of `code` on port 1 of four under a stream: failover = first refusal to that
/// message's acceptance elsewhere; detection = first refusal to the port benched; recovery =
/// last refusal to port 1 accepting again.
async fn transient(code: u16) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = lab(dir.path(), 4, |_| {});
    let gw = gateway(dir.path(), &lab, "0-3", true).await;
    lab.fault(1, Fault::CmsError { code, sends: 5 })
        .await
        .unwrap();
    let t0 = Instant::now();
    let mut benched_at = None;
    let mut first_refusal_at = None;
    let mut n = 0;
    let row = loop {
        gw.submit(json!({"to": format!("+4479100{:05}", n % 7), "text": format!("f{code} {n}")}))
            .await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let subs = lab.submissions();
        let refused: Vec<_> = subs
            .iter()
            .filter(|s| s.modem == 1 && s.refused.is_some())
            .collect();
        if first_refusal_at.is_none() && !refused.is_empty() {
            first_refusal_at = Some(Instant::now());
        }
        if benched_at.is_none() && gw.port(1).await["benched"] == true {
            benched_at = first_refusal_at.map(|t| t.elapsed());
        }
        if let Some(last) = refused.get(4).map(|s| s.at)
            && let Some(back) = subs
                .iter()
                .find(|s| s.modem == 1 && s.refused.is_none() && s.at > last)
        {
            let first = refused[0];
            let moved = subs
                .iter()
                .find(|s| s.text == first.text && s.refused.is_none())
                .map(|s| (s.at - first.at).to_std().unwrap_or_default());
            break Row {
                fault: if code == 38 {
                    "5 × CMS 38 (network out of order), 1 port of 4"
                } else {
                    "5 × CMS 500 (unknown error), 1 port of 4"
                },
                failover: moved,
                detection: benched_at,
                recovery: (back.at - last).to_std().ok(),
                note: "recovery: last error → the port's next accepted message".into(),
                ..Row::default()
            };
        }
        if t0.elapsed() > LIMIT {
            break Row {
                fault: "transient",
                note: "did not come back".into(),
                ..Row::default()
            };
        }
    };
    gw.stop().await;
    cancel.cancel();
    row
}

/// A send given to a modem that just hung: failover = submission to delivery on the other port.
async fn hang_mid_send() -> Row {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = lab(dir.path(), 2, |_| {});
    let gw = gateway(dir.path(), &lab, "0-1", true).await;
    lab.fault(1, Fault::Hang { commands: 10_000 })
        .await
        .unwrap();
    let t0 = Instant::now();
    let ids = [
        gw.submit(json!({"to": "+447700900020", "text": "a"})).await,
        gw.submit(json!({"to": "+447700900021", "text": "b"})).await,
    ];
    let failover = gw
        .until(t0, || async {
            let mut all = true;
            for id in ids {
                all &= gw.state(id).await == "delivered";
            }
            all
        })
        .await;
    let detection = gw
        .until(t0, || async {
            gw.port(1).await["counters"]["hangs"].as_u64().unwrap_or(0) >= 1
        })
        .await;
    gw.stop().await;
    cancel.cancel();
    Row {
        fault: "hang while a send is given to the port",
        failover,
        detection,
        note: "failover: submission → both delivered (one via the other port)".into(),
        ..Row::default()
    }
}

/// A report reaching the network while the modem is unplugged: recovery = replug → delivered.
async fn unplug_with_report() -> Row {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = lab(dir.path(), 1, |c| c.delivery_report_delay_ms = 1500);
    let gw = gateway(dir.path(), &lab, "0", true).await;
    let id = gw.submit(json!({"to": "+447700900022", "text": "r"})).await;
    gw.until(Instant::now(), || async { gw.state(id).await == "sent" })
        .await;
    let t0 = Instant::now();
    lab.fault(0, Fault::Unplug).await.unwrap();
    let detection = gw
        .until(t0, || async { gw.port(0).await["state"] == "absent" })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t1 = Instant::now();
    lab.fault(0, Fault::Plug).await.unwrap();
    let recovery = gw
        .until(t1, || async { gw.state(id).await == "delivered" })
        .await;
    gw.stop().await;
    cancel.cancel();
    Row {
        fault: "unplug, report stored in SR meanwhile, replug",
        detection,
        recovery,
        note: "recovery: replug → message delivered (report read from SR)".into(),
        ..Row::default()
    }
}

/// SIM removed then put back (30 s poll): detection and recovery on registration notices.
async fn sim_out_and_back() -> Row {
    let dir = tempfile::tempdir().unwrap();
    let (lab, cancel) = lab(dir.path(), 1, |_| {});
    let gw = gateway(dir.path(), &lab, "0", true).await;
    let t0 = Instant::now();
    lab.fault(0, Fault::SimRemoved).await.unwrap();
    let detection = gw
        .until(t0, || async { gw.port(0).await["state"] == "failed" })
        .await;
    let t1 = Instant::now();
    lab.fault(0, Fault::SimInserted).await.unwrap();
    let recovery = gw
        .until(t1, || async { gw.port(0).await["state"] == "registered" })
        .await;
    gw.stop().await;
    cancel.cancel();
    Row {
        fault: "SIM removed, then put back",
        detection,
        recovery,
        note: "recovery: SIM in → registered (poll every 30 s)".into(),
        ..Row::default()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("error"))
        .try_init();
    let mut rows = Vec::new();
    let (d, r) = silent_reboot(true).await;
    let (bd, br) = silent_reboot(false).await;
    rows.push(Row {
        fault: "silent reboot (generic profile), idle port",
        detection: d,
        recovery: r,
        baseline_detection: bd,
        baseline_recovery: br,
        note: "recovery: reboot → an SMS sent right after reaches the spool".into(),
        ..Row::default()
    });
    let (d, r) = hang(true).await;
    let (bd, br) = hang(false).await;
    rows.push(Row {
        fault: "hang (6 lines unanswered), idle port",
        detection: d,
        recovery: r,
        baseline_detection: bd,
        baseline_recovery: br,
        note: "detection: declared hung; recovery: registered again".into(),
        ..Row::default()
    });
    rows.push(hang_mid_send().await);
    let (d, r) = storage_full(true).await;
    let (bd, br) = storage_full(false).await;
    rows.push(Row {
        fault: "storage full (30/30), one SMS waiting at the network",
        detection: d,
        recovery: r,
        baseline_detection: bd,
        baseline_recovery: br,
        note: "recovery: the waiting SMS reaches the spool".into(),
        ..Row::default()
    });
    rows.push(transient(38).await);
    rows.push(transient(500).await);
    rows.push(unplug_with_report().await);
    rows.push(sim_out_and_back().await);

    println!(
        "| fault | failover | detection | recovery | detection, check off | recovery, check off | measured as |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.fault,
            cell(r.failover),
            cell(r.detection),
            cell(r.recovery),
            cell(r.baseline_detection),
            cell(r.baseline_recovery),
            r.note
        );
    }
}
