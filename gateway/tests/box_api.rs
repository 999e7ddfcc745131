//! The box UI's endpoints through the gateway's router over a real spool file and real
//! account/override files: login, sessions, throttling, group changes, the support bundle.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod box_support;
use box_support::*;

#[tokio::test]
async fn the_right_password_opens_a_session_that_reads_the_box_and_logout_ends_it() {
    let f = fixture();
    let (s, h, _) = send(&f.app, json_req("GET", "/api/v1/box/dashboard", None, None)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{h:?}");
    let (s, cookie, body) = login(&f.app, "tech", PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let cookie = cookie.unwrap();
    assert!(cookie.starts_with("smsgate_box_session="));
    let (s, _, b) = send(
        &f.app,
        json_req("GET", "/api/v1/auth/me", Some(&cookie), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&b).unwrap()["login"],
        "tech"
    );
    let (s, _, b) = send(
        &f.app,
        json_req("GET", "/api/v1/box/dashboard", Some(&cookie), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let d: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(d["ports_total"], 0, "no workers in this fixture");
    assert_eq!(d["cloud"]["gateway_id"], "gw-1");
    let (s, h, _) = send(
        &f.app,
        json_req("POST", "/api/v1/auth/logout", Some(&cookie), None),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(
        h[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (s, _, _) = send(
        &f.app,
        json_req("GET", "/api/v1/box/dashboard", Some(&cookie), None),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes() {
    let f = fixture();
    let (_, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    let cookie = cookie.unwrap();
    f.clock
        .set(f.clock.now_utc() + chrono::Duration::minutes(31));
    let (s, _, _) = send(
        &f.app,
        json_req("GET", "/api/v1/auth/me", Some(&cookie), None),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_after_five_the_login_is_throttled_even_with_the_right_one()
{
    let f = fixture();
    for _ in 0..5 {
        let (s, cookie, body) = login(&f.app, "tech", "not the password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(cookie.is_none());
        assert_eq!(body["error"]["message"], "wrong login or password");
    }
    let (s, h, b) = send(
        &f.app,
        json_req(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "tech", "password": PASSWORD})),
        ),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert_eq!(h[header::RETRY_AFTER], "1");
    // The block ends; the right password then works and clears the count.
    f.clock
        .set(f.clock.now_utc() + chrono::Duration::seconds(2));
    let (s, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    assert!(cookie.is_some());
    // An unknown login is refused the same way.
    let (s, _, body) = login(&f.app, "nobody", PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "wrong login or password");
}

#[tokio::test]
async fn a_cross_origin_change_with_the_session_cookie_is_refused() {
    let f = fixture();
    let (_, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    let mut req = json_req(
        "PATCH",
        "/api/v1/box/groups/default",
        cookie.as_deref(),
        Some(json!({"interval_ms": 5})),
    );
    req.headers_mut()
        .insert(header::HOST, "10.0.0.2:8080".parse().unwrap());
    req.headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    let (s, _, _) = send(&f.app, req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(f.ui.groups.as_ref().unwrap().borrow()[0].interval_ms, 1000);
}

#[tokio::test]
async fn a_group_change_is_applied_live_and_written_to_the_override_file_and_a_bad_one_changes_nothing()
 {
    let f = fixture();
    let (_, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    let cookie = cookie.unwrap();
    let (s, _, b) = send(
        &f.app,
        json_req(
            "PATCH",
            "/api/v1/box/groups/default",
            Some(&cookie),
            Some(json!({"interval_ms": 3000, "max_per_hour": 0, "timezone": "Mars/Olympus"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = serde_json::from_slice(&b).unwrap();
    let details = e["error"]["details"].as_array().unwrap();
    assert!(
        details.iter().any(|d| d["field"] == "timezone"
            && d["message"].as_str().unwrap().contains("unknown time zone")),
        "{e}"
    );
    let path = overrides::path_for(&f.dir.path().join("spool.sqlite"));
    assert!(!path.exists(), "nothing written");
    assert_eq!(f.ui.groups.as_ref().unwrap().borrow()[0].interval_ms, 1000);

    let (s, _, b) = send(
        &f.app,
        json_req(
            "PATCH",
            "/api/v1/box/groups/default",
            Some(&cookie),
            Some(json!({"max_per_hour": 0})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(e["error"]["field"], "max_per_hour");
    assert_eq!(
        e["error"]["details"][0]["message"], "0 would never send; leave the key out for no cap",
        "the words of `config check`"
    );

    let (s, _, b) = send(
        &f.app,
        json_req(
            "PATCH",
            "/api/v1/box/groups/default",
            Some(&cookie),
            Some(json!({"interval_ms": 3000, "ports": "0", "sending_hours": "08:00-20:00"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let g: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(g["groups"][0]["interval_ms"], 3000);
    assert_eq!(g["groups"][0]["pending_restart"], json!(["ports"]));
    assert_eq!(
        f.ui.groups.as_ref().unwrap().borrow()[0].interval_ms,
        3000,
        "live"
    );
    // The next start reads it back over gateway.toml.
    let started = overrides::start_groups(&config(f.dir.path()), &path).unwrap();
    assert_eq!(started[0].interval_ms, 3000);
    assert_eq!(started[0].ports.ports(), &[0]);
}

#[tokio::test]
async fn the_support_bundle_has_the_config_and_ports_but_no_secret() {
    let f = fixture();
    let (_, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    let (s, h, b) = send(
        &f.app,
        json_req("GET", "/api/v1/box/support-bundle", cookie.as_deref(), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"smsgate-support-")
    );
    let text = String::from_utf8(b).unwrap();
    for secret in [
        TOKEN,
        "4321",
        "dinstar-at-secret",
        "mqtt-secret-password",
        PASSWORD,
        "argon2",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the bundle");
    }
    for kept in [
        "/dev/ttyUSB0",
        "tcp://10.0.0.7:56011",
        "gw-1",
        "\"default\"",
    ] {
        assert!(text.contains(kept), "{kept} missing from the bundle");
    }
}

#[tokio::test]
async fn the_api_token_still_works_and_the_openapi_document_is_public() {
    let f = fixture();
    let mut req = json_req("GET", "/api/v1/box/groups", None, None);
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {TOKEN}").parse().unwrap(),
    );
    let (s, _, _) = send(&f.app, req).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = send(&f.app, json_req("GET", "/api/v1/openapi.json", None, None)).await;
    assert_eq!(s, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&b).unwrap();
    assert!(doc["paths"]["/api/v1/box/dashboard"].is_object());
}

#[tokio::test]
async fn the_password_change_asks_the_current_one_and_ends_every_other_session() {
    let f = fixture();
    let (_, a, _) = login(&f.app, "tech", PASSWORD).await;
    let (_, b, _) = login(&f.app, "tech", PASSWORD).await;
    let (s, _, body) = send(
        &f.app,
        json_req(
            "POST",
            "/api/v1/auth/password",
            a.as_deref(),
            Some(json!({"current": "wrong one", "new": "another long one"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"]["field"],
        "current"
    );
    let (s, h, _) = send(
        &f.app,
        json_req(
            "POST",
            "/api/v1/auth/password",
            a.as_deref(),
            Some(json!({"current": PASSWORD, "new": "another long one"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(h.get(header::SET_COOKIE).is_some());
    let (s, _, _) = send(
        &f.app,
        json_req("GET", "/api/v1/auth/me", b.as_deref(), None),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the other session ended");
    let (s, _, _) = login(&f.app, "tech", "another long one").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn the_dashboard_gives_the_spool_disks_free_and_total_space_and_the_gateways_memory() {
    let f = fixture();
    let (_, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    let (s, _, b) = send(
        &f.app,
        json_req("GET", "/api/v1/box/dashboard", cookie.as_deref(), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let d: Value = serde_json::from_slice(&b).unwrap();
    let free = d["disk_free_bytes"].as_u64().expect("free space is known");
    let total = d["disk_total_bytes"]
        .as_u64()
        .expect("total space is known");
    // The same numbers the operating system gives for the spool's directory.
    let fs = nix::sys::statvfs::statvfs(f.dir.path()).unwrap();
    #[allow(clippy::useless_conversion)]
    let want_total = u64::from(fs.blocks()) * u64::from(fs.fragment_size());
    assert_eq!(total, want_total);
    assert!(free > 0 && free <= total, "{free} of {total}");
    let rss = d["rss_bytes"].as_u64().expect("Linux gives the RSS");
    assert!(rss > 1024 * 1024 && rss < 4 * 1024 * 1024 * 1024, "{rss}");
    assert!(
        d["spool_bytes"].as_u64().unwrap() > 0,
        "the spool file exists"
    );
    assert_eq!(d["cloud"]["last_receipt_at"], Value::Null, "no hub yet");
    assert_eq!(d["cloud"]["outbox_backlog"], 0);
}
