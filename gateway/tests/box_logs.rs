//! The box's recent logs through the gateway's router: secrets masked in the ring and the support
//! bundle. Its own test binary: the test installs a thread-local tracing subscriber, and a
//! callsite other tests hit at the same time on their threads could otherwise have its interest
//! cached without it (and the handler's line would be missed).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod box_support;
use box_support::*;

#[tokio::test]
async fn a_logged_secret_is_masked_in_the_recent_logs_and_the_support_bundle() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let f = fixture();
    // The subscriber the binary builds: the ring's layer beside the others.
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(f.logs.layer()));
    let (_, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    tracing::warn!(
        password = "logged-secret-1",
        user = "tech",
        "cloud login refused"
    );
    tracing::info!(
        "retrying mqtt://gw-1:logged-secret-2@hub.example:1883 with token=logged-secret-3"
    );
    tracing::info!(command = "AT+CPIN=9753", "modem asked for its PIN");
    // A handler's own log line (the group change) reaches the ring too.
    let (s, _, _) = send(
        &f.app,
        json_req(
            "PATCH",
            "/api/v1/box/groups/default",
            cookie.as_deref(),
            Some(json!({"interval_ms": 250})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = send(
        &f.app,
        json_req("GET", "/api/v1/box/logs", cookie.as_deref(), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let page: Value = serde_json::from_slice(&b).unwrap();
    let texts: Vec<&str> = page["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("cloud login refused") && t.contains("user=tech")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("group settings changed")),
        "{texts:?}"
    );
    let last = page["lines"].as_array().unwrap().last().unwrap()["seq"]
        .as_u64()
        .unwrap();
    let (_, _, b) = send(
        &f.app,
        json_req(
            "GET",
            &format!("/api/v1/box/logs?after={last}"),
            cookie.as_deref(),
            None,
        ),
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&b).unwrap()["lines"],
        json!([])
    );
    let (s, _, b) = send(
        &f.app,
        json_req("GET", "/api/v1/box/support-bundle", cookie.as_deref(), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    assert!(
        text.contains("cloud login refused"),
        "the bundle has the logs"
    );
    assert!(text.contains("modem asked for its PIN"));
    for secret in [
        "logged-secret-1",
        "logged-secret-2",
        "logged-secret-3",
        "9753",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the bundle");
        assert!(
            !texts.iter().any(|t| t.contains(secret)),
            "{secret} in the logs"
        );
    }
}
