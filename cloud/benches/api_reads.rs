//! API reads per second under concurrent writes: a real hub (`smsgate_cloud::start`: SQLite
//! file in WAL mode with `synchronous=FULL`, embedded broker, REST API on 127.0.0.1) seeded
//! over HTTP; `R` reader tasks loop over `GET /me`, `GET /interactions/{id}`,
//! `GET /interactions/{id}/messages` and `GET /contacts?limit=100` (100 contacts) while `W`
//! writer tasks loop over `POST /messages` (each a durable commit: interaction, message and a
//! gateway command). Each scenario runs for a fixed time and reports reads/s and writes/s.
//!
//! `cargo bench -p smsgate-cloud --bench api_reads` (`SMSGATE_BENCH_SECS` changes the 5 s per
//! scenario). Each scenario runs on two hubs started side by side: the baseline with its reads
//! through the writer connection (`Reads::ThroughWriter`, every read behind the write lock as
//! before issue 9) and the hub's reader pool (`Reads::Pool`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::store::sqlite::Reads;
use smsgate_cloud::{HubSettings, RunOptions};
use smsgate_config::hub::HubConfig;
use tokio_util::sync::CancellationToken;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PW: &str = "bench-password";

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, BoxError> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn login(&self, login: &str) -> Result<String, BoxError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"login": login, "password": PW}))
            .send()
            .await?;
        let v: Value = resp.json().await?;
        Ok(v["token"].as_str().ok_or("no token")?.to_owned())
    }
}

fn id(v: &Value) -> Result<String, BoxError> {
    Ok(v["id"]
        .as_str()
        .ok_or_else(|| format!("no id in {v}"))?
        .to_owned())
}

struct Seeded {
    admin: String,
    interaction: String,
}

async fn seed(api: &Api) -> Result<Seeded, BoxError> {
    use reqwest::Method;
    let root = api.login("admin").await?;
    let tenant = api
        .call(
            &root,
            Method::POST,
            "/api/v1/tenants",
            Some(json!({"name": "bench"})),
        )
        .await?;
    let tenant = id(&tenant)?;
    api.call(
        &root,
        Method::POST,
        "/api/v1/users",
        Some(json!({"org": tenant, "login": "ta", "name": "ta", "role": "tenant_admin", "password": PW})),
    )
    .await?;
    let gw = api
        .call(
            &root,
            Method::POST,
            "/api/v1/gateways",
            Some(json!({"name": "bench"})),
        )
        .await?;
    let gw = gw["gateway"]["id"]
        .as_str()
        .ok_or("no gateway id")?
        .to_owned();
    let ch = api
        .call(
            &root,
            Method::POST,
            "/api/v1/channels",
            Some(json!({"gateway": gw, "port": "0", "sim_number": "+33700000001"})),
        )
        .await?;
    let ch = id(&ch)?;
    api.call(
        &root,
        Method::POST,
        &format!("/api/v1/channels/{ch}/distribute"),
        Some(json!({"org": tenant})),
    )
    .await?;
    let admin = api.login("ta").await?;
    for n in 0..100 {
        api.call(
            &admin,
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"number": format!("+3361000{n:04}"), "name": format!("Contact {n}")})),
        )
        .await?;
    }
    let m = api
        .call(
            &admin,
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": "+33612345678", "text": "hello"})),
        )
        .await?;
    let interaction = m["interaction_id"]
        .as_str()
        .ok_or("no interaction id")?
        .to_owned();
    Ok(Seeded { admin, interaction })
}

/// What one scenario measured on one hub.
struct Measured {
    reads_per_s: f64,
    writes_per_s: f64,
    /// Read latency percentiles (p50, p99), milliseconds.
    read_ms: (f64, f64),
}

/// The `q`-quantile of sorted durations in microseconds, as milliseconds.
fn quantile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}

async fn scenario(
    api: Arc<Api>,
    seeded: &Seeded,
    readers: usize,
    writers: usize,
    secs: u64,
    next_number: Arc<AtomicU64>,
) -> Result<Measured, BoxError> {
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let writes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let mut read_tasks = Vec::new();
    let paths = [
        "/api/v1/me".to_owned(),
        format!("/api/v1/interactions/{}", seeded.interaction),
        format!("/api/v1/interactions/{}/messages", seeded.interaction),
        "/api/v1/contacts?limit=100".to_owned(),
    ];
    for r in 0..readers {
        let (api, stop, reads, token, paths) = (
            api.clone(),
            stop.clone(),
            reads.clone(),
            seeded.admin.clone(),
            paths.clone(),
        );
        read_tasks.push(tokio::spawn(async move {
            let mut i = r;
            let mut took = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                api.call(&token, reqwest::Method::GET, &paths[i % paths.len()], None)
                    .await?;
                took.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                reads.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            Ok::<_, BoxError>(took)
        }));
    }
    for _ in 0..writers {
        let (api, stop, writes, token, next) = (
            api.clone(),
            stop.clone(),
            writes.clone(),
            seeded.admin.clone(),
            next_number.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                api.call(
                    &token,
                    reqwest::Method::POST,
                    "/api/v1/messages",
                    Some(json!({"to": format!("+3362{n:07}"), "text": "bench write"})),
                )
                .await?;
                writes.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, BoxError>(())
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let mut took = Vec::new();
    for t in read_tasks {
        took.extend(t.await??);
    }
    for t in tasks {
        t.await??;
    }
    took.sort_unstable();
    Ok(Measured {
        reads_per_s: reads.load(Ordering::Relaxed) as f64 / elapsed,
        writes_per_s: writes.load(Ordering::Relaxed) as f64 / elapsed,
        read_ms: (quantile_ms(&took, 0.5), quantile_ms(&took, 0.99)),
    })
}

/// A started hub with its read path, seeded.
struct Subject {
    api: Arc<Api>,
    seeded: Seeded,
    started: smsgate_cloud::Started,
    _dir: tempfile::TempDir,
}

async fn subject(reads: Reads, shutdown: &CancellationToken) -> Result<Subject, BoxError> {
    let dir = tempfile::tempdir()?;
    let mut config = HubConfig::default();
    config.storage.path = dir.path().join("hub.sqlite");
    config.api.listen = "127.0.0.1:0".parse()?;
    config.mqtt.listen = "127.0.0.1:0".parse()?;
    let settings = HubSettings {
        password_cost: PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..HubSettings::default()
    };
    let started = smsgate_cloud::start(
        config,
        RunOptions {
            settings: Some(settings),
            bootstrap_password: Some(PW.into()),
            reads,
            ..RunOptions::default()
        },
        shutdown.child_token(),
    )
    .await?;
    let api = Arc::new(Api {
        base: format!("http://{}", started.api_addr),
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?,
    });
    let seeded = seed(&api).await?;
    Ok(Subject {
        api,
        seeded,
        started,
        _dir: dir,
    })
}

async fn bench() -> Result<(), BoxError> {
    let secs: u64 = std::env::var("SMSGATE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let shutdown = CancellationToken::new();
    // The baseline (reads through the writer, the design before issue 9) and the hub's reader
    // pool, both up for the whole run; each scenario runs on one, then the other, so the two
    // columns share the machine's load.
    let baseline = subject(Reads::ThroughWriter, &shutdown).await?;
    let pool = subject(Reads::Pool, &shutdown).await?;
    let next = Arc::new(AtomicU64::new(0));
    println!("api_reads: {secs} s per scenario and read path");
    println!(
        "| readers | writers | through the writer: reads/s | read p50 / p99 (ms) | writes/s | reader pool: reads/s | read p50 / p99 (ms) | writes/s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (readers, writers) in [(8, 0), (8, 1), (8, 4)] {
        let b = scenario(
            baseline.api.clone(),
            &baseline.seeded,
            readers,
            writers,
            secs,
            next.clone(),
        )
        .await?;
        let p = scenario(
            pool.api.clone(),
            &pool.seeded,
            readers,
            writers,
            secs,
            next.clone(),
        )
        .await?;
        println!(
            "| {readers} | {writers} | {:.0} | {:.1} / {:.1} | {:.0} | {:.0} | {:.1} / {:.1} | {:.0} |",
            b.reads_per_s,
            b.read_ms.0,
            b.read_ms.1,
            b.writes_per_s,
            p.reads_per_s,
            p.read_ms.0,
            p.read_ms.1,
            p.writes_per_s
        );
    }
    shutdown.cancel();
    baseline.started.wait().await;
    pool.started.wait().await;
    Ok(())
}

fn main() {
    // `cargo bench` passes `--bench`; filters are not used here.
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    if let Err(e) = rt.block_on(bench()) {
        panic!("api_reads bench failed: {e}");
    }
}
