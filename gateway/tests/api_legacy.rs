//! The seed's legacy `SendSMS` without the bearer header: `[legacy] allow` (caller address) and
//! `[legacy] token` (form field), both off by default. Real spool file, real 127.0.0.1
//! listener served with the peer address, as the gateway serves it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use serde_json::Value;
use smsgate_config::GatewayConfig;
use smsgate_gateway::api::{ApiState, router};
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::metrics::GatewayMetrics;
use smsgate_gateway::spool::Spool;
use std::sync::Arc;

const TOKEN: &str = "test-token-0123456789";
const LEGACY_TOKEN: &str = "legacy-secret-0123456789";

struct Gateway {
    _dir: tempfile::TempDir,
    spool: Spool,
    base: String,
}

async fn gateway(legacy: &str) -> Gateway {
    let text = format!(
        "[api]\ntoken = \"{TOKEN}\"\n{legacy}\n[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n[[groups]]\nname = \"all\"\nports = \"0\"\n"
    );
    let config = GatewayConfig::from_toml_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SystemClock);
    let spool = Spool::open_with_clock(&dir.path().join("spool.sqlite"), clock.clone()).unwrap();
    let app = router(ApiState::new(
        spool.clone(),
        &config,
        TOKEN,
        GatewayMetrics::new(),
        clock,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    Gateway {
        _dir: dir,
        spool,
        base: format!("http://{addr}"),
    }
}

/// Posts the seed's form (plus `extra` fields) without any header.
async fn post_form(g: &Gateway, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![
        ("destination", "099635199"),
        ("message", "Mensaje de prueba"),
        ("campaign", "camp"),
        ("agent", "ana"),
    ];
    form.extend_from_slice(extra);
    let resp = reqwest::Client::new()
        .post(format!("{}/Integra/resources/SMS/SendSMS", g.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// The seed's path form without any header.
async fn get_path(g: &Gateway, params: &str) -> (u16, Value) {
    let resp = reqwest::get(format!("{}/Integra/resources/SMS/SendSMS/{params}", g.base))
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn spooled_text(g: &Gateway, body: &Value) -> String {
    let id = body["id"].as_i64().unwrap();
    let m = g.spool.call(move |db| db.get(id)).await.unwrap().unwrap();
    m.text
}

#[tokio::test]
async fn by_default_send_sms_without_the_bearer_header_is_refused_even_with_a_token_field() {
    let g = gateway("").await;
    let (status, body) = post_form(&g, &[]).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = post_form(&g, &[("token", TOKEN)]).await;
    assert_eq!(status, 401, "the API token is not a form field");
    let (status, _) = get_path(&g, "destination=099635199&message=hi").await;
    assert_eq!(status, 401);
    let n = g.spool.call(|db| db.state_counts()).await.unwrap();
    assert!(n.iter().all(|(_, c)| *c == 0), "nothing spooled: {n:?}");
}

#[tokio::test]
async fn a_caller_in_the_allow_list_sends_the_seed_form_without_any_header() {
    let g = gateway("[legacy]\nallow = [\"10.1.2.3\", \"127.0.0.0/8\"]").await;
    let (status, body) = post_form(&g, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(spooled_text(&g, &body).await, "Mensaje de prueba");
    let (status, body) =
        get_path(&g, "destination=099635199&message=Mensaje%20dos&api=dongle").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(spooled_text(&g, &body).await, "Mensaje dos");
    // Access granted, the form is still checked field by field.
    let resp = reqwest::Client::new()
        .post(format!("{}/Integra/resources/SMS/SendSMS", g.base))
        .form(&[("destination", "nope"), ("message", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["field"], "destination");
}

#[tokio::test]
async fn a_caller_outside_the_allow_list_is_refused() {
    let g = gateway("[legacy]\nallow = [\"10.0.0.0/8\", \"192.168.1.20\"]").await;
    let (status, body) = post_form(&g, &[]).await;
    assert_eq!(status, 401, "127.0.0.1 is not in 10.0.0.0/8: {body}");
    let (status, _) = get_path(&g, "destination=099635199&message=hi").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_token_form_field_lets_the_seed_form_in_and_a_wrong_one_does_not() {
    let g = gateway(&format!("[legacy]\ntoken = \"{LEGACY_TOKEN}\"")).await;
    let (status, body) = post_form(&g, &[("token", LEGACY_TOKEN)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(spooled_text(&g, &body).await, "Mensaje de prueba");
    let (status, body) = get_path(
        &g,
        &format!("destination=099635199&message=por%20ruta&token={LEGACY_TOKEN}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(spooled_text(&g, &body).await, "por ruta");
    for wrong in ["legacy-secret-012345678", "", TOKEN] {
        let (status, _) = post_form(&g, &[("token", wrong)]).await;
        assert_eq!(status, 401, "{wrong:?}");
    }
    let (status, _) = post_form(&g, &[]).await;
    assert_eq!(status, 401, "no token field");
    // The bearer header still works alongside.
    let resp = reqwest::Client::new()
        .post(format!("{}/Integra/resources/SMS/SendSMS", g.base))
        .bearer_auth(TOKEN)
        .form(&[("destination", "099635199"), ("message", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[test]
fn bad_legacy_settings_are_refused_naming_the_key() {
    let base = "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n";
    let e = GatewayConfig::from_toml_str(&format!(
        "[legacy]\nallow = [\"10.0.0.1\", \"10.0.0.0/33\"]\n{base}"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("legacy.allow") && e.contains("10.0.0.0/33"),
        "{e}"
    );
    let e = GatewayConfig::from_toml_str(&format!("[legacy]\ntoken = \"short\"\n{base}"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("legacy.token"), "{e}");
    let e = GatewayConfig::from_toml_str(&format!("[legacy]\nallow = [\"0.0.0.0/0\"]\n{base}"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("legacy.allow[0]"), "{e}");
    let t = GatewayConfig::template().unwrap();
    assert!(t.contains("[legacy]") && t.contains("# allow = ["), "{t}");
    let parsed = GatewayConfig::from_toml_str(&t).unwrap();
    assert!(parsed.legacy.allow.is_empty() && parsed.legacy.token.is_none());
}
