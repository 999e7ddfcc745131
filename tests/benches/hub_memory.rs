//! Resident memory of a running hub (`smsgate_cloud::start`: SQLite store, embedded broker with
//! the authorizing proxy checking logins against the hub database, hub link, REST API) with
//! `SMSGATE_BENCH_GATEWAYS` (default 1000) registered gateways connected over MQTT.
//!
//! The gateways are bare TCP sockets that sent a CONNECT with their provisioned credentials and
//! a SUBSCRIBE to their own down topics (what a real gateway keeps open), so their own
//! user-space memory in this process is negligible; the growth of this process's RSS is the
//! hub's cost of the connections.
//!
//! Run: `cargo bench -p smsgate-e2e --bench hub_memory`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on setup errors

use std::time::{Duration, Instant};

use bytes::BytesMut;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{Connect, Login, Subscribe};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::{HubSettings, RunOptions};
use smsgate_config::hub::HubConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

const PW: &str = "bench-password";

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("SMSGATE_BENCH_GATEWAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let mut config = HubConfig::default();
        config.storage.path = dir.path().join("hub.sqlite");
        config.api.listen = "127.0.0.1:0".parse().unwrap();
        config.mqtt.listen = "127.0.0.1:0".parse().unwrap();
        config.bootstrap.admin_password = Some(PW.into());
        let token = CancellationToken::new();
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
            token.clone(),
        )
        .await
        .unwrap();
        let hub = started.hub.clone();
        let creds = tokio::task::spawn_blocking(move || {
            let (t, _) = hub.login("admin", PW).unwrap();
            let root = hub.authenticate(&t).unwrap();
            (0..n)
                .map(|i| {
                    let g = hub.create_gateway(&root, &format!("gw {i}")).unwrap();
                    (g.mqtt_username, g.mqtt_password)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
        let addr = started.broker_addr.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = rss_kib();
        let t0 = Instant::now();
        let mut sockets = Vec::with_capacity(n);
        for (user, pass) in &creds {
            let mut connect = Connect::new(user.as_str());
            connect.keep_alive = 600;
            connect.clean_session = false;
            connect.login = Some(Login::new(user.as_str(), pass.as_str()));
            let mut buf = BytesMut::new();
            connect.write(&mut buf).unwrap();
            let filter = format!("smsgate/v1/gw/{user}/down/+");
            Subscribe::new(filter, QoS::AtLeastOnce)
                .write(&mut buf)
                .unwrap();
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(&buf).await.unwrap();
            let mut connack = [0u8; 4];
            s.read_exact(&mut connack).await.unwrap();
            assert_eq!(connack[3], 0, "CONNACK refused for {user}");
            sockets.push(s);
        }
        let connect_time = t0.elapsed();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = rss_kib();
        let grown = after.saturating_sub(before);
        println!(
            "hub with {n} connected gateways: RSS {before} KiB -> {after} KiB (+{grown} KiB, \
             {:.1} KiB per gateway); {n} logins checked against the hub database in {connect_time:?}",
            grown as f64 / n as f64
        );
        drop(sockets);
        token.cancel();
        started.wait().await;
    });
}
