//! Bulk upload benchmark (a bench binary, not criterion: each row is one long run).
//!
//! `cargo bench -p smsgate-gateway --bench bulk`
//!
//! 1. Reading a dialer file of 12.5k … 200k lines (`bulk::parse_dialer`: CSV, validation, line
//!    numbers), side by side with the former line numbering, which recounted the newlines from
//!    the start of the file for every record (baseline: the same CSV pass plus that recount,
//!    without validation, so a lower bound of the former cost; run up to 100k lines).
//! 2. A 200k-line `POST /api/v1/bulk/messages` over a real 127.0.0.1 listener into a real
//!    spool file (one transaction, WAL, synchronous=FULL), the API on a runtime with ONE worker
//!    thread, probing `/health` every 20 ms meanwhile: upload time and worst `/health` latency.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, bulk, router};
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::spool::Spool;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token-0123456789";

fn dialer_file(lines: usize) -> String {
    let mut f = String::with_capacity(lines * 40);
    f.push_str("campaign;destiny;message;priority\n");
    for i in 0..lines - 1 {
        writeln!(f, "promo;+4477009{i:05};Hello number {i};1").unwrap();
    }
    f
}

/// The former numbering: every record's line counted from the start of the file.
fn baseline_recount(data: &[u8]) -> u64 {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut last = 0;
    for rec in rdr.byte_records() {
        let r = rec.unwrap();
        let byte = usize::try_from(r.position().unwrap().byte()).unwrap();
        last = 1 + data[..byte].iter().filter(|b| **b == b'\n').count() as u64;
    }
    last
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn main() {
    println!("| lines | parse_dialer (linear) | former recount (baseline) |");
    println!("|---:|---:|---:|");
    for lines in [12_500, 50_000, 100_000, 200_000] {
        let file = dialer_file(lines);
        let (rows, linear) = time(|| bulk::parse_dialer(file.as_bytes()).unwrap().len());
        assert_eq!(rows, lines - 1);
        let baseline = if lines <= 100_000 {
            let (last, t) = time(|| baseline_recount(file.as_bytes()));
            assert_eq!(last, lines as u64);
            format!("{:.2} s", t.as_secs_f64())
        } else {
            "not run (minutes)".into()
        };
        println!("| {lines} | {:.3} s | {baseline} |", linear.as_secs_f64());
    }

    let dir = tempfile::tempdir().unwrap();
    let cfg = GatewayConfig::from_toml_str(&format!(
        "[api]\ntoken = \"{TOKEN}\"\n[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n\
         [[groups]]\nname = \"bulk\"\nports = \"0\"\n"
    ))
    .unwrap();
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let state = ApiState::new(
        spool,
        &cfg,
        TOKEN,
        GatewayMetrics::new(),
        Arc::new(SystemClock),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    server.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, router(state)).await.unwrap()
    });
    let client = tokio::runtime::Runtime::new().unwrap();
    client.block_on(async {
        let file = dialer_file(200_000);
        let http = reqwest::Client::new();
        let started = Instant::now();
        let upload = {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                http.post(format!("{base}/api/v1/bulk/messages"))
                    .bearer_auth(TOKEN)
                    .body(file)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        };
        let (mut worst, mut probes) = (Duration::ZERO, 0);
        while !upload.is_finished() {
            let t = Instant::now();
            http.get(format!("{base}/health")).send().await.unwrap();
            worst = worst.max(t.elapsed());
            probes += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let status = upload.await.unwrap();
        let took = started.elapsed();
        assert_eq!(status.as_u16(), 202);
        println!();
        println!("| 200k-line upload over HTTP into the spool | /health worst (probes) |");
        println!("|---:|---:|");
        println!(
            "| {:.2} s | {:.1} ms ({probes}) |",
            took.as_secs_f64(),
            worst.as_secs_f64() * 1000.0
        );
    });
    server.shutdown_background();
}
