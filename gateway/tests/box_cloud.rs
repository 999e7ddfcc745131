//! The cloud screen's endpoints through the gateway's router, against the hub's real embedded
//! broker (rumqttd behind the authorizing proxy), over a real spool and override file: a
//! pasted snippet is checked line by line, a trial connection names what fails without
//! touching the running link, and an applied snippet is saved and the link restarted with it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::cloud::{CloudControl, CloudDeps};
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::ports::PortsHandle;
use smsgate_gateway::spool::Spool;
use smsgate_gateway::ui::{Ui, overrides};
use smsgate_mqtt::{BrokerConfig, EmbeddedBroker, HashCost, MemoryCredentials};
use smsgate_wire::GatewayId;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

const TOKEN: &str = "cloud-test-token-0123456789";
const GW: &str = "gw-shop-7";
const GW_PASSWORD: &str = "hub-given-secret-9f2c";

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    ui: Arc<Ui>,
    broker: std::net::SocketAddr,
    _broker: EmbeddedBroker,
    _cancel: tokio_util::sync::DropGuard,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let c = GatewayConfig::from_toml_str(&format!(
        "[storage]\npath = {:?}\n[api]\ntoken = \"{TOKEN}\"\n",
        dir.path().join("spool.sqlite")
    ))
    .unwrap();
    let cancel = CancellationToken::new();
    let mut creds = MemoryCredentials::new();
    creds
        .add_gateway(&GatewayId::new(GW).unwrap(), GW_PASSWORD, HashCost::TESTING)
        .unwrap();
    let broker = EmbeddedBroker::start(
        &BrokerConfig::new("127.0.0.1:0".parse().unwrap()),
        creds,
        cancel.clone(),
    )
    .await
    .unwrap();
    let addr = broker.local_addr();
    let spool = Spool::open(&c.storage.path).unwrap();
    let (groups, _) = tokio::sync::watch::channel(c.groups.clone());
    let control = CloudControl::start(CloudDeps {
        config: c.clone(),
        spool: spool.clone(),
        ports: PortsHandle::default(),
        groups: groups.clone(),
        metrics: GatewayMetrics::new(),
        clock: Arc::new(SystemClock),
        shutdown: cancel.clone(),
    })
    .await
    .unwrap();
    let ui = Ui::new(c.clone(), chrono::Utc::now()).with_groups(groups);
    ui.cloud.set(control).unwrap();
    let ui = Arc::new(ui);
    let state = ApiState::new(
        spool,
        &c,
        TOKEN,
        GatewayMetrics::new(),
        Arc::new(SystemClock),
    )
    .with_ui(ui.clone());
    Fixture {
        _dir: dir,
        app: router(state),
        ui,
        broker: addr,
        _broker: broker,
        _cancel: cancel.drop_guard(),
    }
}

fn snippet(url: &str, password: &str) -> String {
    format!(
        "# smsgate gateway configuration for \"shop 7\": paste into gateway.toml\n[cloud]\n\
         url = \"{url}\"\ngateway_id = \"{GW}\"\nusername = \"{GW}\"\npassword = \"{password}\"\n\
         keepalive_s = 30\nheartbeat_s = 60\n"
    )
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn link_state(app: &axum::Router) -> Value {
    let (_, b) = call(app, "GET", "/api/v1/box/cloud", None).await;
    serde_json::from_str::<Value>(&b).unwrap()["link"].clone()
}

async fn wait_for_state(app: &axum::Router, want: &str) -> Value {
    for _ in 0..100 {
        let l = link_state(app).await;
        if l["state"] == want {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the link never became {want}: {}", link_state(app).await);
}

#[tokio::test]
async fn a_pasted_snippet_with_a_bad_line_is_refused_naming_its_field_and_line_and_nothing_changes()
{
    let f = fixture().await;
    let bad = snippet(&format!("mqtt://{}", f.broker), GW_PASSWORD)
        .replace("keepalive_s = 30", "keepalive_s = thirty");
    for (method, uri) in [
        ("POST", "/api/v1/box/cloud/test"),
        ("PUT", "/api/v1/box/cloud"),
    ] {
        let (s, b) = call(&f.app, method, uri, Some(json!({ "snippet": bad }))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let v: Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["error"]["details"][0]["line"], 7, "{b}");
        assert_eq!(v["error"]["field"], "keepalive_s", "{b}");
        assert!(!b.contains(GW_PASSWORD), "the password is echoed: {b}");
    }
    // A password of the wrong type is named, never quoted.
    let bad = snippet(&format!("mqtt://{}", f.broker), "x")
        .replace("password = \"x\"", "password = 98765432");
    let (s, b) = call(
        &f.app,
        "PUT",
        "/api/v1/box/cloud",
        Some(json!({ "snippet": bad })),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        b.contains("\"field\":\"password\"") && !b.contains("98765432"),
        "{b}"
    );
    assert!(!f.ui.overrides_path.exists(), "nothing was saved");
    assert_eq!(link_state(&f.app).await["state"], "off");
}

#[tokio::test]
async fn a_trial_connection_names_a_closed_port_and_a_refused_login_and_passes_with_the_hubs_snippet()
 {
    let f = fixture().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let test = |s: String| {
        let app = f.app.clone();
        async move {
            let (status, b) = call(
                &app,
                "POST",
                "/api/v1/box/cloud/test",
                Some(json!({ "snippet": s })),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{b}");
            assert!(!b.contains(GW_PASSWORD), "the password is echoed: {b}");
            serde_json::from_str::<Value>(&b).unwrap()
        }
    };
    let t = test(snippet(&format!("mqtt://{closed}"), GW_PASSWORD)).await;
    assert_eq!(
        (t["ok"].clone(), t["step"].clone()),
        (json!(false), json!("refused")),
        "{t}"
    );
    let t = test(snippet(&format!("mqtt://{}", f.broker), "not-the-password")).await;
    assert_eq!(t["step"], "credentials", "{t}");
    assert_eq!(t["login_tried"], true);
    let t = test(snippet(&format!("mqtt://{}", f.broker), GW_PASSWORD)).await;
    assert_eq!(t["ok"], true, "{t}");
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("logged in as gw-shop-7"),
        "{t}"
    );
    // The running link was left as it was: none.
    assert_eq!(link_state(&f.app).await["state"], "off");
    assert!(!f.ui.overrides_path.exists());
}

#[tokio::test]
async fn an_applied_snippet_is_saved_the_link_restarts_with_it_and_connects_and_the_next_start_has_it()
 {
    let f = fixture().await;
    let good = snippet(&format!("mqtt://{}", f.broker), GW_PASSWORD);
    let (s, b) = call(
        &f.app,
        "PUT",
        "/api/v1/box/cloud",
        Some(json!({ "snippet": good })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(!b.contains(GW_PASSWORD), "the password is echoed: {b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["settings"]["gateway_id"], GW);
    assert_eq!(v["settings"]["password_set"], true);
    assert_eq!(v["from_override"], true);
    let link = wait_for_state(&f.app, "connected").await;
    assert_eq!(link["gateway_id"], GW);
    // Kept for the next start, over gateway.toml's (empty) section.
    let started = overrides::start_cloud(&f.ui.file_config, &f.ui.overrides_path).unwrap();
    assert_eq!(started.gateway_id.as_deref(), Some(GW));
    assert_eq!(started.password.as_deref(), Some(GW_PASSWORD));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&f.ui.overrides_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the file holds the MQTT password");
    }
    // A snippet with a wrong password is applied too (the technician asked), and the link says
    // why it cannot connect.
    let wrong = snippet(&format!("mqtt://{}", f.broker), "stale-password");
    let (s, _) = call(
        &f.app,
        "PUT",
        "/api/v1/box/cloud",
        Some(json!({ "snippet": wrong })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let link = wait_for_state(&f.app, "disconnected").await;
    assert!(
        link["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{link}"
    );
}
