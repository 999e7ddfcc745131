//! Importing a campaign list at scale (issue 12): a seeded dialer CSV of
//! `SMSGATE_BENCH_ROWS` rows (default 1,000,000) — UK mobile numbers written as `+44…`,
//! `44…`, `0044…`, `+44 7… …` and `07…`, about 5 % of them repeating an earlier number in
//! another form, about 1 % invalid — uploaded to a real hub (`smsgate_cloud::start`: SQLite
//! file in WAL mode, `synchronous=FULL`, embedded broker, REST API on 127.0.0.1) through
//! `POST /api/v1/campaigns/{id}/recipients/import`, the request body streamed from the file.
//! The tenant has 1,000 opted-out and 10,000 do-not-contact numbers, seeded over the API
//! first, and every counter of the answer is checked against what the generator wrote.
//!
//! Side by side in the same run, on the same file (the floors the import cannot beat):
//! - **csv parse**: the `csv` crate reading every record, no store;
//! - **read + classify**: the hub's own reader and classifier (`read_csv`, `Classifier`:
//!   normalise with `rlibphonenumber`, dedup, do-not-contact and opt-out filters), no store.
//!
//! Each row reports wall time, rows/s and the process's peak RSS during that phase
//! (`VmHWM`, reset to the current RSS before each phase through `/proc/self/clear_refs`; the
//! hub runs in this process, so the import's figure is the hub's plus this bench's HTTP
//! client, which streams the file in 64 KiB chunks).
//!
//! `cargo bench -p smsgate-cloud --bench campaign_import` (`SMSGATE_BENCH_ROWS` for another
//! row count).

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use smsgate_cloud::campaigns::CampaignOptions;
use smsgate_cloud::campaigns::import::{Classifier, Format, read_csv};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::{HubSettings, RunOptions};
use smsgate_config::hub::HubConfig;
use tokio_util::sync::CancellationToken;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const PW: &str = "bench-password";
const OPT_OUTS: u64 = 1_000;
const DNC: u64 = 10_000;
const TEMPLATE: &str = "Hello from the bench campaign";

/// The national significant number of unique number `u` (UK mobiles 7400 000000 upwards).
fn national(u: u64) -> String {
    format!("{}", 7_400_000_000 + u)
}

fn written(n: &str, form: u32) -> String {
    match form {
        0 => format!("+44{n}"),
        1 => format!("44{n}"),
        2 => format!("0044{n}"),
        3 => format!("+44 {} {}", &n[..4], &n[4..]),
        _ => format!("0{n}"),
    }
}

/// What the generator wrote, per state the hub should give.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Expected {
    rows: u64,
    to_process: u64,
    duplicate: u64,
    blocked: u64,
    opted_out: u64,
    invalid: u64,
}

/// Which unique numbers are opted out / on the do-not-contact list: spread over the range
/// the file's first occurrences use.
fn opted_out(u: u64, stride: u64) -> bool {
    u % stride == 1 && u / stride < OPT_OUTS
}
fn on_dnc(u: u64, stride: u64) -> bool {
    u % stride == 2 && u / stride < DNC
}

fn generate(path: &Path, rows: u64, stride: u64) -> Result<Expected, BoxError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(path)?);
    writeln!(out, "campaign;destiny;message;priority")?;
    let mut e = Expected {
        rows,
        ..Expected::default()
    };
    let mut next_u = 0u64;
    let invalid = ["not a number", "+12", "123456789012345678", "07 abc"];
    for i in 0..rows {
        let r = rng.random_range(0..100u32);
        let number = if r == 0 {
            e.invalid += 1;
            invalid[(i % 4) as usize].to_owned()
        } else if r <= 5 && next_u > 0 {
            e.duplicate += 1;
            let u = rng.random_range(0..next_u);
            written(&national(u), rng.random_range(0..5))
        } else {
            let u = next_u;
            next_u += 1;
            if on_dnc(u, stride) {
                e.blocked += 1;
            } else if opted_out(u, stride) {
                e.opted_out += 1;
            } else {
                e.to_process += 1;
            }
            written(&national(u), rng.random_range(0..5))
        };
        // One row in ten carries its own text (the dialer format's override).
        if i % 10 == 0 {
            writeln!(out, "promo;{number};Row {i} has its own text;{}", i % 3)?;
        } else {
            writeln!(out, "promo;{number};;")?;
        }
    }
    out.flush()?;
    Ok(e)
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) of this process so far, in seconds (`/proc/self/stat`, 100 ticks
/// a second).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

/// Starts a phase: the peak RSS is reset to the current RSS (Linux ≥ 4.0).
fn phase_start() -> (Instant, f64) {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    (Instant::now(), cpu_secs())
}

struct Row {
    case: String,
    secs: f64,
    cpu: f64,
    rows: u64,
    peak_mb: f64,
}

fn phase_end(case: &str, (started, cpu): (Instant, f64), rows: u64) -> Row {
    Row {
        case: case.to_owned(),
        secs: started.elapsed().as_secs_f64(),
        cpu: cpu_secs() - cpu,
        rows,
        peak_mb: status_kib("VmHWM:") as f64 / 1024.0,
    }
}

fn csv_floor(path: &Path) -> Result<u64, BoxError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(b';')
        .from_path(path)?;
    let mut rec = csv::ByteRecord::new();
    let mut n = 0u64;
    while rdr.read_byte_record(&mut rec)? {
        n += u64::from(!rec.is_empty());
    }
    Ok(n)
}

fn classify_floor(path: &Path, stride: u64, rows: u64) -> Result<Expected, BoxError> {
    let set = |f: fn(u64, u64) -> bool| -> HashSet<String> {
        (0..rows)
            .filter(|u| f(*u, stride))
            .map(|u| format!("+44{}", national(u)))
            .collect()
    };
    let mut c = Classifier {
        context: smsgate_cloud::phone::country("GB"),
        options: CampaignOptions::default(),
        template: TEMPLATE.into(),
        seen: HashSet::new(),
        opt_outs: set(opted_out),
        dnc: set(on_dnc),
    };
    let mut e = Expected::default();
    let mut failed = None;
    read_csv(
        std::fs::File::open(path)?,
        Format::Auto,
        "number",
        &mut |row| {
            match row.and_then(|r| c.classify(r)) {
                Ok(r) => {
                    use smsgate_cloud::campaigns::RecipientState as S;
                    e.rows += 1;
                    match r.state {
                        S::ToProcess => e.to_process += 1,
                        S::Duplicate => e.duplicate += 1,
                        S::Blocked => e.blocked += 1,
                        S::OptedOut => e.opted_out += 1,
                        S::Invalid => e.invalid += 1,
                        _ => {}
                    }
                }
                Err(p) => failed = Some(p),
            }
            failed.is_none()
        },
    )
    .map_err(|p| format!("{p:?}"))?;
    if let Some(p) = failed {
        return Err(format!("line {}: {}", p.line, p.message).into());
    }
    Ok(e)
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(&self, token: &str, path: &str, body: Value) -> Result<Value, BoxError> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn login(&self, login: &str) -> Result<String, BoxError> {
        let v = self
            .call(
                "",
                "/api/v1/auth/login",
                json!({"login": login, "password": PW}),
            )
            .await?;
        Ok(v["token"].as_str().ok_or("no token")?.to_owned())
    }
}

fn id(v: &Value) -> Result<String, BoxError> {
    Ok(v["id"]
        .as_str()
        .ok_or_else(|| format!("no id in {v}"))?
        .to_owned())
}

/// A tenant with a UK channel, its opt-outs and do-not-contact list; returns the tenant
/// admin's token and a draft campaign's id.
async fn seed(api: &Api, stride: u64) -> Result<(String, String), BoxError> {
    let root = api.login("admin").await?;
    let tenant = id(&api
        .call(&root, "/api/v1/tenants", json!({"name": "bench"}))
        .await?)?;
    api.call(
        &root,
        "/api/v1/users",
        json!({"org": tenant, "login": "ta", "name": "ta", "role": "tenant_admin", "password": PW}),
    )
    .await?;
    let gw = api
        .call(&root, "/api/v1/gateways", json!({"name": "bench"}))
        .await?;
    let gw = gw["gateway"]["id"].as_str().ok_or("no gateway id")?;
    let ch = id(&api
        .call(
            &root,
            "/api/v1/channels",
            json!({"gateway": gw, "port": "0", "sim_number": "+447911123456"}),
        )
        .await?)?;
    api.call(
        &root,
        &format!("/api/v1/channels/{ch}/distribute"),
        json!({"org": tenant}),
    )
    .await?;
    let ta = api.login("ta").await?;
    let dnc: Vec<String> = (0..DNC)
        .map(|k| format!("+44{}", national(k * stride + 2)))
        .collect();
    for chunk in dnc.chunks(1_000) {
        api.call(&ta, "/api/v1/do-not-contact", json!({"numbers": chunk}))
            .await?;
    }
    for k in 0..OPT_OUTS {
        api.call(
            &ta,
            "/api/v1/opt-outs",
            json!({"number": format!("+44{}", national(k * stride + 1))}),
        )
        .await?;
    }
    let c = api
        .call(
            &ta,
            "/api/v1/campaigns",
            json!({"name": "Scale", "channels": [ch], "template": TEMPLATE}),
        )
        .await?;
    Ok((ta, c["campaign"]["id"].as_str().ok_or("no id")?.to_owned()))
}

async fn bench() -> Result<(), BoxError> {
    let rows: u64 = std::env::var("SMSGATE_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    // Opt-outs and do-not-contact numbers spread over the first occurrences (≈ 94 % of rows).
    let stride = (rows * 9 / 10 / DNC).max(3);
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("campaign.csv");
    let t = Instant::now();
    let expected = generate(&file, rows, stride)?;
    let size = std::fs::metadata(&file)?.len();
    println!(
        "campaign_import: {rows} rows, {:.1} MB, generated in {:.1} s; expected {expected:?}",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // The number metadata loads on first use: not part of any phase.
    smsgate_cloud::phone::recipient("+447400000000", None)?;
    let mut table = Vec::new();
    let t = phase_start();
    let n = csv_floor(&file)?;
    table.push(phase_end("floor: `csv` crate parse, no store", t, n));

    let t = phase_start();
    let got = classify_floor(&file, stride, rows)?;
    table.push(phase_end(
        "floor: hub reader + classifier (normalise, dedup, DNC, opt-out), no store",
        t,
        got.rows,
    ));
    if got != expected {
        return Err(format!("classifier gave {got:?}, expected {expected:?}").into());
    }

    let shutdown = CancellationToken::new();
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
            ..RunOptions::default()
        },
        shutdown.child_token(),
    )
    .await?;
    let api = Api {
        base: format!("http://{}", started.api_addr),
        http: reqwest::Client::new(),
    };
    let (token, campaign) = seed(&api, stride).await?;

    let t = phase_start();
    let body = reqwest::Body::from(tokio::fs::File::open(&file).await?);
    let resp = api
        .http
        .post(format!(
            "{}/api/v1/campaigns/{campaign}/recipients/import",
            api.base
        ))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await?;
    let status = resp.status();
    let text = resp.text().await?;
    let row = phase_end(
        "hub: HTTP upload → stored recipients (SQLite, synchronous=FULL)",
        t,
        rows,
    );
    if !status.is_success() {
        return Err(format!("import: {status} {text}").into());
    }
    let v: Value = serde_json::from_str(&text)?;
    let c = &v["counters"];
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    let stored = Expected {
        rows: v["rows"].as_u64().unwrap_or(0),
        to_process: n("to_process"),
        duplicate: n("duplicate"),
        blocked: n("blocked"),
        opted_out: n("opted_out"),
        invalid: n("invalid"),
    };
    if stored != expected {
        return Err(format!("the hub stored {stored:?}, expected {expected:?}").into());
    }
    table.push(row);
    let db = std::fs::metadata(dir.path().join("hub.sqlite"))?.len();

    println!("| case | rows | time | CPU | rows/s | peak RSS (MB) |");
    println!("|---|---|---|---|---|---|");
    for r in &table {
        println!(
            "| {} | {} | {:.2} s | {:.2} s | {:.0} | {:.0} |",
            r.case,
            r.rows,
            r.secs,
            r.cpu,
            r.rows as f64 / r.secs,
            r.peak_mb
        );
    }
    println!(
        "hub database after the import: {:.0} MB; every counter matched the generator",
        db as f64 / 1e6
    );
    shutdown.cancel();
    started.wait().await;
    Ok(())
}

fn main() {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    if let Err(e) = rt.block_on(bench()) {
        panic!("campaign_import bench failed: {e}");
    }
}
