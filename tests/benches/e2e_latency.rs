//! End-to-end latency of an inbound SMS: from the moment the simulated network delivers it to a
//! modem (the modem raises `+CMTI`) to the moment the tenant's server-sent-events stream of the
//! hub API (`GET /api/v1/events`) announces the new message. Everything real and in one process:
//! the simulated lab (1 modem on a pty, no latency), the gateway (`smsgate_gateway::run` with its
//! `[cloud]` link), the hub (`smsgate_cloud::start`: embedded broker, SQLite, REST API) and an HTTP
//! client reading the SSE stream. Prints p50/p99/max over `SMSGATE_BENCH_SMS` isolated messages
//! (default 100, one every ~350 ms; `SMSGATE_BENCH_VERBOSE=1` prints each).
//!
//! Run: `cargo bench -p smsgate-e2e --bench e2e_latency`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on setup errors

use std::sync::Arc;
use std::time::{Duration, Instant};

use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::{Destination, OrgKind, Role};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::{HubSettings, RunOptions};
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_config::hub::HubConfig;
use smsgate_hardware::{Inbound, Lab, LabConfig};
use tokio_util::sync::CancellationToken;

const PW: &str = "bench-password";

fn main() {
    let n: usize = std::env::var("SMSGATE_BENCH_SMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let token = CancellationToken::new();
        let lab = Lab::start(
            LabConfig {
                dir: dir.path().join("lab"),
                modems: 1,
                latency_ms: 0,
                jitter_ms: 0,
                periodic_urc_ms: 0,
                ..LabConfig::default()
            },
            Arc::new(smsgate_hardware::clock::SystemClock),
            token.child_token(),
        )
        .unwrap();
        let sim = lab.specs()[0].msisdn.clone();

        let mut config = HubConfig::default();
        config.storage.path = dir.path().join("hub.sqlite");
        config.api.listen = "127.0.0.1:0".parse().unwrap();
        config.mqtt.listen = "127.0.0.1:0".parse().unwrap();
        config.bootstrap.admin_password = Some(PW.into());
        let hub_token = token.child_token();
        let started = smsgate_cloud::start(
            config,
            RunOptions {
                settings: Some(HubSettings {
                    password_cost: PasswordCost {
                        memory_kib: 64,
                        iterations: 1,
                        parallelism: 1,
                    },
                    ..HubSettings::default()
                }),
                ..RunOptions::default()
            },
            hub_token,
        )
        .await
        .unwrap();
        let hub = started.hub.clone();
        let number = sim.clone();
        let (gw, session) = tokio::task::spawn_blocking(move || {
            let login = |l: &str| hub.authenticate(&hub.login(l, PW).unwrap().0).unwrap();
            let root = login("admin");
            let tenant = hub
                .create_org(&root, None, OrgKind::Tenant, "Bench")
                .unwrap();
            hub.create_user(
                &root,
                NewUser {
                    org_id: Some(tenant.id),
                    login: "ta".into(),
                    name: "ta".into(),
                    role: Role::TenantAdmin,
                    password: PW.into(),
                },
            )
            .unwrap();
            let ta = login("ta");
            let gw = hub.create_gateway(&root, "bench").unwrap();
            let c = hub
                .create_channel(&root, gw.gateway.id, "0", &number)
                .unwrap();
            let c = hub
                .distribute_channel(&root, c.id, tenant.id, false)
                .unwrap();
            hub.set_destination(&ta, c.id, Destination::Tenant).unwrap();
            // The tenant admin's session: sees every conversation of the tenant.
            let (session, _) = hub.login("ta", PW).unwrap();
            (gw, session)
        })
        .await
        .unwrap();

        let mut g = GatewayConfig::default();
        g.storage.path = dir.path().join("spool.sqlite");
        g.ports.push(PortConfig::new(
            0,
            Device::Serial(dir.path().join("lab").join("ttyUSB0")),
        ));
        g.groups.push(GroupConfig::new(
            "main",
            smsgate_config::parse_port_spec("0").unwrap(),
        ));
        g.cloud.url = Some(format!("mqtt://{}", started.broker_addr.unwrap()));
        g.cloud.gateway_id = Some(gw.mqtt_username.clone());
        g.cloud.password = Some(gw.mqtt_password.clone());
        let gw_token = token.child_token();
        let gateway = tokio::spawn(smsgate_gateway::run(g, gw_token.clone()));

        let http = reqwest::Client::new();
        let mut sse = http
            .get(format!("http://{}/api/v1/events", started.api_addr))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert!(sse.status().is_success());
        // Warm-up: the first message also waits for the modem to be initialised.
        let mut samples = Vec::with_capacity(n);
        let mut buffer = String::new();
        for i in 0..=n {
            // Isolated messages: a pause (varied, so the probes do not lock onto the link's
            // outbox poll) lets every acknowledgement of the previous one settle first.
            let pause = 300 + (i as u64 * 37) % 100;
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let text = format!("latency probe {i}");
            let t0 = Instant::now();
            lab.inject(&Inbound {
                from: "+33612345678".into(),
                to: sim.clone(),
                text: text.clone(),
                encoding: None,
                out_of_order: false,
                drop_part: None,
            })
            .unwrap();
            let limit = if i == 0 { 120 } else { 30 };
            let needle = format!("\"text\":\"{text}\"");
            loop {
                if let Some(pos) = buffer.find(&needle) {
                    buffer.drain(..pos + needle.len());
                    break;
                }
                let chunk = tokio::time::timeout(Duration::from_secs(limit), sse.chunk())
                    .await
                    .expect("the SSE event arrives")
                    .unwrap()
                    .expect("the SSE stream stays open");
                buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
            if i > 0 {
                samples.push(t0.elapsed());
                if std::env::var_os("SMSGATE_BENCH_VERBOSE").is_some() {
                    println!("probe {i}: {:?}", t0.elapsed());
                }
            }
        }
        samples.sort();
        let pct = |p: f64| {
            samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        println!(
            "inbound SMS, modem URC -> hub SSE event, {n} messages: p50 {:?}, p99 {:?}, max {:?}",
            pct(0.50),
            pct(0.99),
            samples[samples.len() - 1]
        );
        gw_token.cancel();
        let _ = gateway.await;
        token.cancel();
        started.wait().await;
    });
}
