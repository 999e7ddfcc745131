//! The `smsgate-gateway` process gives back what a box UI login takes: the argon2id check
//! needs 7 MiB for a moment, and glibc's default of raising its mmap threshold after the first
//! large free kept every later login's 7 MiB in the heap for good (smsgate_gateway::memory).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smsgate-gateway");
const TOKEN: &str = "memory-test-token-0123456789";
const PASSWORD: &str = "memory test password";

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn repeated_box_logins_leave_the_gateway_no_bigger_than_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = {:?}\n\n[api]\nlisten = \"127.0.0.1:{port}\"\ntoken = \"{TOKEN}\"\n",
            dir.path().join("spool.sqlite").display().to_string()
        ),
    )
    .unwrap();
    let mut admin = Command::new(BIN)
        .args(["admin", "password", "--config"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(admin.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(admin.wait().unwrap().success());

    let gateway = Killed(
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = gateway.0.id();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{base}/health"))
        .send()
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(Instant::now() < deadline, "the gateway did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = || async {
        let r = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"login": "tech", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    };
    // The first login's 7 MiB is mapped on its own either way; what it leaves is the base.
    login().await;
    let after_first = rss_kib(pid);
    for _ in 0..5 {
        login().await;
    }
    let after_six = rss_kib(pid);
    assert!(
        after_six < after_first + 3 * 1024,
        "RSS {after_first} KiB after one login, {after_six} KiB after six"
    );
}
