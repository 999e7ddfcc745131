//! Sustained sending over the hub–gateway link (issue 8): messages per second hub → gateway →
//! modems with the contract's receipts, and the time from the hub API's accept to `sent` on the
//! hub. Everything real and in one process: the simulated lab (4 × 8 modems on ptys, no
//! latency, no delivery reports), 4 gateways (`smsgate_gateway::run`, 8 ports each, no pacing,
//! their `[cloud]` links), the hub (`smsgate_cloud::start`: embedded broker, SQLite, REST API).
//!
//! Two phases on the same running platform, `SMSGATE_BENCH_MESSAGES` messages each (default
//! 2,000), `SMSGATE_BENCH_CONCURRENCY` requests in flight (default 32):
//! - **baseline**: the same messages to the gateways' own local APIs (the hub is not involved;
//!   the gateways keep their links, as a box in the field does): accept → the simulated SMSC
//!   accepting the submission;
//! - **link**: through the hub's `POST /api/v1/messages` (round robin over the 32 channels):
//!   accept → SMSC, and accept → the hub's `message_updated` event with state `sent` (the
//!   gateway's status event came back over the link and was stored).
//!
//! `SMSGATE_BENCH_PIN=1` pins each baseline message to a port, as the hub's channels pin theirs
//! (without it the group's round robin picks the port). `SMSGATE_BENCH_NO_LINK=1` runs the
//! baseline only, with gateways that have no `[cloud]` link: what the link costs a box's own
//! traffic.
//!
//! Run: `cargo bench -p smsgate-e2e --bench link_throughput`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on setup errors

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::{Destination, OrgKind, Role};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::{HubSettings, RunOptions};
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_config::hub::HubConfig;
use smsgate_hardware::{Lab, LabConfig};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

const PW: &str = "bench-password";
const GATEWAYS: usize = 4;
const PORTS: usize = 8;
const TOKEN: &str = "bench-local-api-token";
const CUSTOMER: &str = "+447700900123";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// p50, p99 and max of `samples` (sorted in place), in ms.
fn percentiles(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at =
        |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1];
    (at(0.50), at(0.99), samples[samples.len() - 1])
}

/// Waits until the lab's SMSC accepted every text in `texts`; returns, per text, when.
async fn smsc_times(
    lab: &Lab,
    texts: &HashMap<String, DateTime<Utc>>,
) -> HashMap<String, DateTime<Utc>> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let seen: HashMap<String, DateTime<Utc>> = lab
            .submissions()
            .into_iter()
            .filter(|s| s.refused.is_none() && texts.contains_key(&s.text))
            .map(|s| (s.text, s.at.with_timezone(&Utc)))
            .collect();
        if seen.len() == texts.len() {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} reached the SMSC",
            seen.len(),
            texts.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Latencies (ms) from each accept to `done`, and the rate (messages per second) from the
/// first accept to the last `done`.
fn report(
    what: &str,
    accepted: &HashMap<String, DateTime<Utc>>,
    done: &HashMap<String, DateTime<Utc>>,
) {
    let mut ms: Vec<f64> = accepted
        .iter()
        .map(|(k, t)| ((done[k] - *t).num_microseconds().unwrap_or(0) as f64 / 1000.0).max(0.0))
        .collect();
    let first = accepted.values().min().unwrap();
    let last = done.values().max().unwrap();
    let secs = (*last - *first).num_milliseconds() as f64 / 1000.0;
    let (p50, p99, max) = percentiles(&mut ms);
    let last_accept = accepted.values().max().unwrap();
    let accepting = (*last_accept - *first).num_milliseconds() as f64 / 1000.0;
    println!(
        "{what}: {} messages in {secs:.2} s = {:.0} msg/s (all accepted within {accepting:.2} s); p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms",
        accepted.len(),
        accepted.len() as f64 / secs
    );
}

/// POSTs `bodies` (URL, bearer, JSON) with at most `concurrency` in flight; returns, per key,
/// when the answer (2xx) came, and the answers.
async fn offer(
    http: &reqwest::Client,
    bodies: Vec<(String, String, Value, String)>,
    concurrency: usize,
) -> (HashMap<String, DateTime<Utc>>, HashMap<String, Value>) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for (url, bearer, body, key) in bodies {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(&url)
                .bearer_auth(&bearer)
                .json(&body)
                .send()
                .await
                .unwrap();
            let at = Utc::now();
            let status = r.status();
            let answer: Value = r.json().await.unwrap_or_default();
            assert!(status.is_success(), "{url}: {status} {answer}");
            drop(permit);
            (key, at, answer)
        }));
    }
    let mut times = HashMap::new();
    let mut answers = HashMap::new();
    for t in tasks {
        let (key, at, answer) = t.await.unwrap();
        times.insert(key.clone(), at);
        answers.insert(key, answer);
    }
    (times, answers)
}

/// Reads the hub's event stream, noting when each message id was first seen `sent`.
fn watch_sent(mut sse: reqwest::Response, sent: Arc<Mutex<HashMap<String, DateTime<Utc>>>>) {
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = sse.chunk().await {
            let now = Utc::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find('\n') {
                let line: String = buffer.drain(..=end).collect();
                let Some(data) = line.trim_end().strip_prefix("data:") else {
                    continue;
                };
                let Ok(v) = serde_json::from_str::<Value>(data.trim()) else {
                    continue;
                };
                let m = if v.get("message").is_some() {
                    v["message"].clone()
                } else {
                    v.as_object()
                        .and_then(|o| o.values().next())
                        .map(|inner| inner["message"].clone())
                        .unwrap_or_default()
                };
                if m["state"] == "sent"
                    && let Some(id) = m["id"].as_str()
                {
                    sent.lock().unwrap().entry(id.to_owned()).or_insert(now);
                }
            }
        }
    });
}

fn main() {
    let n = env("SMSGATE_BENCH_MESSAGES", 2000);
    let concurrency = env("SMSGATE_BENCH_CONCURRENCY", 32);
    let no_link = std::env::var_os("SMSGATE_BENCH_NO_LINK").is_some();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let token = CancellationToken::new();
        let mut lab_config = LabConfig::for_tests(dir.path().join("lab"), GATEWAYS * PORTS);
        // No delivery reports: a message stays `sent`, so the hub's events are only the ones
        // measured.
        lab_config.delivery_report_delay_ms = 86_400_000;
        let lab = Lab::start(
            lab_config,
            Arc::new(smsgate_hardware::clock::SystemClock),
            token.child_token(),
        )
        .unwrap();
        let numbers: Vec<String> = lab.specs().iter().map(|s| s.msisdn.clone()).collect();

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
                    event_capacity: 1 << 16,
                    ..HubSettings::default()
                }),
                ..RunOptions::default()
            },
            token.child_token(),
        )
        .await
        .unwrap();
        let hub = started.hub.clone();
        let lab_numbers = numbers.clone();
        let (gateways, channels, session) = tokio::task::spawn_blocking(move || {
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
            let mut gateways = Vec::new();
            let mut channels = Vec::new();
            for g in 0..GATEWAYS {
                let gw = hub.create_gateway(&root, &format!("bench-{g}")).unwrap();
                for p in 0..PORTS {
                    let number = &lab_numbers[g * PORTS + p];
                    let c = hub
                        .create_channel(&root, gw.gateway.id, &p.to_string(), number)
                        .unwrap();
                    let c = hub
                        .distribute_channel(&root, c.id, tenant.id, false)
                        .unwrap();
                    hub.set_destination(&ta, c.id, Destination::Tenant).unwrap();
                    channels.push(c.id);
                }
                gateways.push(gw);
            }
            let (session, _) = hub.login("ta", PW).unwrap();
            (gateways, channels, session)
        })
        .await
        .unwrap();

        let mut local_apis = Vec::new();
        let mut running = Vec::new();
        for (g, gw) in gateways.iter().enumerate() {
            let mut c = GatewayConfig::default();
            c.storage.path = dir.path().join(format!("spool-{g}.sqlite"));
            let api_port = free_port();
            c.api.listen = format!("127.0.0.1:{api_port}").parse().unwrap();
            c.api.token = Some(TOKEN.into());
            for p in 0..PORTS {
                let tty = dir
                    .path()
                    .join("lab")
                    .join(format!("ttyUSB{}", g * PORTS + p));
                c.ports.push(PortConfig::new(
                    u16::try_from(p).unwrap(),
                    Device::Serial(tty),
                ));
            }
            let mut group = GroupConfig::new(
                "main",
                smsgate_config::parse_port_spec(&format!("0-{}", PORTS - 1)).unwrap(),
            );
            group.interval_ms = 0;
            c.groups.push(group);
            if !no_link {
                c.cloud.url = Some(format!("mqtt://{}", started.broker_addr.unwrap()));
                c.cloud.gateway_id = Some(gw.mqtt_username.clone());
                c.cloud.password = Some(gw.mqtt_password.clone());
            }
            running.push(tokio::spawn(smsgate_gateway::run(c, token.child_token())));
            local_apis.push(format!("http://127.0.0.1:{api_port}"));
        }

        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()
            .unwrap();
        // Wait for every gateway to answer and every port to be ready: one message per port
        // through the hub (also warms every path), until all 32 reached the SMSC.
        let hub_api = format!("http://{}", started.api_addr);
        for api in &local_apis {
            let url = format!("{api}/health");
            let deadline = Instant::now() + Duration::from_secs(60);
            while http.get(&url).send().await.is_err() {
                assert!(Instant::now() < deadline, "{url} never answered");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let warm: Vec<_> = channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let text = format!("warm-up {i}");
                if no_link {
                    (
                        format!("{}/api/v1/messages", local_apis[i / PORTS]),
                        TOKEN.to_owned(),
                        json!({"to": CUSTOMER, "text": text, "group": "main", "port": i % PORTS}),
                        text,
                    )
                } else {
                    (
                        format!("{hub_api}/api/v1/messages"),
                        session.clone(),
                        json!({"channel": c, "to": CUSTOMER, "text": text}),
                        text,
                    )
                }
            })
            .collect();
        let (warm_times, _) = offer(&http, warm, concurrency).await;
        smsc_times(&lab, &warm_times).await;

        // Baseline: the gateways' local APIs.
        let bodies: Vec<_> = (0..n)
            .map(|i| {
                let text = format!("baseline {i}");
                (
                    format!("{}/api/v1/messages", local_apis[i % GATEWAYS]),
                    TOKEN.to_owned(),
                    if std::env::var_os("SMSGATE_BENCH_PIN").is_some() {
                        json!({"to": CUSTOMER, "text": text, "group": "main", "port": (i / GATEWAYS) % PORTS})
                    } else {
                        json!({"to": CUSTOMER, "text": text, "group": "main"})
                    },
                    text,
                )
            })
            .collect();
        let (accepted, _) = offer(&http, bodies, concurrency).await;
        let smsc = smsc_times(&lab, &accepted).await;
        report(
            if no_link {
                "baseline, gateway local APIs → SMSC (gateways without a link)"
            } else {
                "baseline, gateway local APIs → SMSC (links connected, idle)"
            },
            &accepted,
            &smsc,
        );

        if no_link {
            token.cancel();
            for r in running {
                let _ = r.await;
            }
            started.wait().await;
            return;
        }
        // Through the hub and the link.
        let sent = Arc::new(Mutex::new(HashMap::new()));
        let sse = http
            .get(format!("{hub_api}/api/v1/events"))
            .bearer_auth(&session)
            .send()
            .await
            .unwrap();
        assert!(sse.status().is_success());
        watch_sent(sse, sent.clone());
        let bodies: Vec<_> = (0..n)
            .map(|i| {
                let text = format!("link {i}");
                (
                    format!("{hub_api}/api/v1/messages"),
                    session.clone(),
                    json!({"channel": channels[i % channels.len()], "to": CUSTOMER, "text": text}),
                    text,
                )
            })
            .collect();
        let (accepted, answers) = offer(&http, bodies, concurrency).await;
        let smsc = smsc_times(&lab, &accepted).await;
        report("link, hub API → gateway → SMSC", &accepted, &smsc);
        let ids: HashMap<String, String> = answers
            .iter()
            .map(|(text, a)| (a["id"].as_str().unwrap().to_owned(), text.clone()))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(600);
        let on_hub = loop {
            let got: HashMap<String, DateTime<Utc>> = sent
                .lock()
                .unwrap()
                .iter()
                .filter_map(|(id, t)| ids.get(id).map(|text| (text.clone(), *t)))
                .collect();
            if got.len() == n {
                break got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} shown sent on the hub",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        report(
            "link, hub API accept → `sent` on the hub (receipted)",
            &accepted,
            &on_hub,
        );

        token.cancel();
        for r in running {
            let _ = r.await;
        }
        started.wait().await;
    });
}
