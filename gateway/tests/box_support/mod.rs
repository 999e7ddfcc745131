//! What the box UI's endpoint tests share: a router over a real spool file and real
//! account/override files, and request helpers.

#![allow(clippy::unwrap_used, dead_code, unused_imports)] // test helpers; each test binary uses some of them

pub use axum::body::Body;
pub use axum::http::{Request, StatusCode, header};
pub use chrono::{TimeZone, Utc};
pub use serde_json::{Value, json};
pub use smsgate_config::GatewayConfig;
pub use smsgate_gateway::api::{ApiState, router};
pub use smsgate_gateway::clock::ManualClock;
pub use smsgate_gateway::logs::LogRing;
pub use smsgate_gateway::metrics::GatewayMetrics;
pub use smsgate_gateway::spool::Spool;
pub use smsgate_gateway::ui::{Ui, account, overrides};
pub use std::sync::Arc;
pub use tower::ServiceExt;

pub const TOKEN: &str = "box-test-token-0123456789";
pub const PASSWORD: &str = "field tech password";

pub fn config(dir: &std::path::Path) -> GatewayConfig {
    GatewayConfig::from_toml_str(&format!(
        r#"
[storage]
path = {spool:?}
[api]
token = "{TOKEN}"
[[ports]]
id = 0
device = "/dev/ttyUSB0"
pin = "4321"
[[ports]]
id = 1
device = "tcp://10.0.0.7:56011"
password = "dinstar-at-secret"
[[groups]]
name = "default"
ports = "0-1"
interval_ms = 1000
[cloud]
url = "mqtt://127.0.0.1:1883"
gateway_id = "gw-1"
password = "mqtt-secret-password"
"#,
        spool = dir.join("spool.sqlite")
    ))
    .unwrap()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub app: axum::Router,
    pub ui: Arc<Ui>,
    pub clock: Arc<ManualClock>,
    pub logs: LogRing,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap(),
    ));
    let c = config(dir.path());
    let spool = Spool::open_with_clock(&c.storage.path, clock.clone()).unwrap();
    account::set(&account::path_for(&c.storage.path), "tech", PASSWORD).unwrap();
    let (groups, _) = tokio::sync::watch::channel(c.groups.clone());
    let logs = LogRing::new(500, clock.clone());
    let ui = Arc::new(
        Ui::new(c.clone(), clock.now_utc())
            .with_groups(groups)
            .with_logs(logs.clone()),
    );
    let state =
        ApiState::new(spool, &c, TOKEN, GatewayMetrics::new(), clock.clone()).with_ui(ui.clone());
    Fixture {
        dir,
        app: router(state),
        ui,
        clock,
        logs,
    }
}

pub trait NowUtc {
    fn now_utc(&self) -> chrono::DateTime<Utc>;
}
impl NowUtc for ManualClock {
    fn now_utc(&self) -> chrono::DateTime<Utc> {
        smsgate_gateway::clock::Clock::now(self)
    }
}

pub async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

pub fn json_req(
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

pub async fn login(
    app: &axum::Router,
    user: &str,
    pw: &str,
) -> (StatusCode, Option<String>, Value) {
    let (s, h, b) = send(
        app,
        json_req(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"login": user, "password": pw})),
        ),
    )
    .await;
    let cookie = h
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (s, cookie, serde_json::from_slice(&b).unwrap_or(Value::Null))
}
