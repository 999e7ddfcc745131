//! Is the hub's campaign dashboard live while a big campaign runs? Issue 12: "a 100,000-recipient
//! campaign over 32 simulated ports at interval 0: the gateway side sustains ≥ 1,000 sends/s and
//! the hub keeps the dashboard live."
//!
//! Everything real and in one process, as in `e2e_latency`: the simulated lab (32 modems on ptys,
//! no latency, immediate delivery reports), the gateway (`smsgate_gateway::run`, its `[cloud]`
//! link), the hub (`smsgate_cloud::start`: embedded broker, SQLite, REST API). A tenant's campaign
//! of `SMSGATE_BENCH_RECIPIENTS` (default 20,000) over the 32 channels at interval 0 is uploaded as
//! a CSV and started. Every 500 ms the bench asks the dashboard's two calls as the portal does
//! (`GET /api/v1/campaigns/{id}` and `/stats`, as the tenant admin) and reads the truth beside it:
//! how many SMS the simulated network has seen.
//!
//! Printed: the dashboard's answer time (p50/p99/max) with the hub idle before the start (the
//! baseline, same hub, same run) and during the campaign; how far its "processed" counter trails
//! the network (messages, and seconds: the age of the oldest SMS it does not show yet);
//! the send rate; and how long after the last SMS the dashboard shows them all.
//!
//! Run: `cargo bench -p smsgate-e2e --bench campaign_live` (`SMSGATE_BENCH_RECIPIENTS=100000` for
//! the figure).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on setup errors

use std::sync::Arc;
use std::time::{Duration, Instant};

use smsgate_cloud::campaigns::CampaignOptions;
use smsgate_cloud::campaigns::import::Format;
use smsgate_cloud::campaigns::ops::{CampaignAction, CampaignInput};
use smsgate_cloud::campaigns::schedule::Schedule;
use smsgate_cloud::campaigns::upload::{FileKind, UploadSpec};
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::{OrgKind, Role};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::{HubSettings, RunOptions};
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_config::hub::HubConfig;
use smsgate_hardware::{Lab, LabConfig};
use tokio_util::sync::CancellationToken;

const PW: &str = "bench-password";
const PORTS: usize = 32;
const SAMPLE: Duration = Duration::from_millis(500);

/// One look at the dashboard beside the network.
struct Sample {
    at: Duration,
    answer: Duration,
    shown: u64,
    network: u64,
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn spread(mut d: Vec<Duration>) -> String {
    d.sort();
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} looks)",
        pct(&d, 0.50).as_secs_f64() * 1e3,
        pct(&d, 0.99).as_secs_f64() * 1e3,
        d[d.len() - 1].as_secs_f64() * 1e3,
        d.len()
    )
}

/// The dashboard's two calls; returns (answer time, recipients processed as it shows them).
async fn look(http: &reqwest::Client, base: &str, session: &str) -> (Duration, u64) {
    let t0 = Instant::now();
    let (view, stats) = tokio::join!(
        http.get(base).bearer_auth(session).send(),
        http.get(format!("{base}/stats"))
            .bearer_auth(session)
            .send(),
    );
    let view: serde_json::Value = view
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    stats
        .unwrap()
        .error_for_status()
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let answer = t0.elapsed();
    let n = |k: &str| view["counters"][k].as_u64().unwrap_or(0);
    (answer, n("sent") + n("delivered") + n("failed"))
}

fn main() {
    let n: u64 = std::env::var("SMSGATE_BENCH_RECIPIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let token = CancellationToken::new();
        let lab = Lab::start(
            LabConfig::for_tests(dir.path().join("lab"), PORTS),
            Arc::new(smsgate_hardware::clock::SystemClock),
            token.child_token(),
        )
        .unwrap();
        let sims: Vec<String> = lab.specs().iter().map(|s| s.msisdn.clone()).collect();

        let mut config = HubConfig::default();
        config.storage.path = dir.path().join("hub.sqlite");
        config.api.listen = "127.0.0.1:0".parse().unwrap();
        config.mqtt.listen = "127.0.0.1:0".parse().unwrap();
        config.bootstrap.admin_password = Some(PW.into());
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
            token.child_token(),
        )
        .await
        .unwrap();
        let hub = started.hub.clone();
        let csv = dir.path().join("recipients.csv");
        let mut rows = String::with_capacity(n as usize * 24 + 16);
        rows.push_str("number,name\n");
        for i in 0..n {
            rows.push_str(&format!("+447400{i:06},R{i}\n"));
        }
        std::fs::write(&csv, rows).unwrap();
        let (gw, session, campaign) = tokio::task::spawn_blocking(move || {
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
            let gw = hub.create_gateway(&root, "bench").unwrap();
            let mut channels = Vec::new();
            for (port, sim) in sims.iter().enumerate() {
                let c = hub
                    .create_channel(&root, gw.gateway.id, &port.to_string(), sim)
                    .unwrap();
                channels.push(
                    hub.distribute_channel(&root, c.id, tenant.id, false)
                        .unwrap()
                        .id,
                );
            }
            let ta = login("ta");
            let campaign = hub
                .create_campaign(
                    &ta,
                    CampaignInput {
                        org: None,
                        name: "Live".into(),
                        channels,
                        dial_string: None,
                        template: "Hello {{name}}".into(),
                        schedule: Schedule::default(),
                        interval_ms: 0,
                        priority: 0,
                        options: CampaignOptions::default(),
                    },
                )
                .unwrap()
                .campaign
                .id;
            let spec = UploadSpec {
                kind: FileKind::Csv,
                format: Format::Auto,
                number_column: "number".into(),
            };
            let report = hub.import_campaign_file(&ta, campaign, &csv, &spec).unwrap();
            assert_eq!(report.counters.to_process, n, "every row is to be sent");
            let (session, _) = hub.login("ta", PW).unwrap();
            (gw, session, campaign)
        })
        .await
        .unwrap();

        let mut g = GatewayConfig::default();
        g.storage.path = dir.path().join("spool.sqlite");
        g.inbound.sweep_interval_ms = 60_000;
        g.supervision.poll_interval_ms = 60_000;
        for i in 0..PORTS {
            g.ports.push(PortConfig::new(
                u16::try_from(i).unwrap(),
                Device::Serial(lab.modem_path(i).unwrap().to_path_buf()),
            ));
        }
        let mut group = GroupConfig::new(
            "main",
            smsgate_config::parse_port_spec(&format!("0-{}", PORTS - 1)).unwrap(),
        );
        group.interval_ms = 0;
        g.groups.push(group);
        g.cloud.url = Some(format!("mqtt://{}", started.broker_addr.unwrap()));
        g.cloud.gateway_id = Some(gw.mqtt_username.clone());
        g.cloud.password = Some(gw.mqtt_password.clone());
        let gw_token = token.child_token();
        let gateway = tokio::spawn(smsgate_gateway::run(g, gw_token.clone()));

        let http = reqwest::Client::new();
        let base = format!("http://{}/api/v1/campaigns/{campaign}", started.api_addr);
        // Baseline: the same dashboard, the hub idle (gateway connected, campaign not started).
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut idle = Vec::new();
        for _ in 0..40 {
            idle.push(look(&http, &base, &session).await.0);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let hub = started.hub.clone();
        let s = session.clone();
        tokio::task::spawn_blocking(move || {
            let ta = hub.authenticate(&s).unwrap();
            hub.campaign_command(&ta, campaign, CampaignAction::Start)
                .unwrap();
        })
        .await
        .unwrap();
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(3_600);
        let mut samples: Vec<Sample> = Vec::new();
        let mut last_network: Option<Duration> = None;
        loop {
            let network = lab.submission_count();
            let at = t0.elapsed();
            let (answer, shown) = look(&http, &base, &session).await;
            samples.push(Sample {
                at,
                answer,
                shown,
                network,
            });
            if network >= n && last_network.is_none() {
                last_network = Some(at);
            }
            if shown >= n {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the dashboard shows {shown} of {n} processed after an hour (network: {network})"
            );
            tokio::time::sleep(SAMPLE.saturating_sub(answer)).await;
        }
        let done = t0.elapsed();
        let last_network = last_network.unwrap_or(done);
        let first_send = samples
            .iter()
            .find(|s| s.network > 0)
            .map_or(Duration::ZERO, |s| s.at);
        // How stale each look was: the age of the oldest SMS the network saw that it does not show.
        let stale: Vec<Duration> = samples
            .iter()
            .filter(|s| s.network > 0 && s.network < n)
            .map(|s| {
                let when = samples
                    .iter()
                    .find(|t| t.network > s.shown)
                    .map_or(s.at, |t| t.at);
                s.at.saturating_sub(when)
            })
            .collect();
        let trail: Vec<u64> = samples
            .iter()
            .filter(|s| s.network > 0 && s.network < n)
            .map(|s| s.network.saturating_sub(s.shown))
            .collect();
        let sending = last_network.saturating_sub(first_send).as_secs_f64();
        println!("\ncampaign of {n} recipients over {PORTS} simulated ports, interval 0, hub and gateway in one process");
        println!(
            "network: first SMS {:.1} s after the start, all {n} after {:.1} s: {:.0} sends/s",
            first_send.as_secs_f64(),
            last_network.as_secs_f64(),
            n as f64 / sending.max(0.001)
        );
        println!("dashboard answer, hub idle (baseline): {}", spread(idle));
        println!(
            "dashboard answer, during the campaign: {}",
            spread(samples.iter().map(|s| s.answer).collect())
        );
        if !stale.is_empty() {
            let mut t = trail.clone();
            t.sort_unstable();
            println!(
                "dashboard behind the network while sending: {}; messages behind: p50 {}, max {}",
                spread(stale),
                t[t.len() / 2],
                t[t.len() - 1]
            );
        }
        println!(
            "dashboard shows all {n} processed {:.1} s after the network saw the last one",
            done.saturating_sub(last_network).as_secs_f64()
        );
        gw_token.cancel();
        let _ = gateway.await;
        token.cancel();
        started.wait().await;
    });
}
