//! The SPA router: caching, compression, fallback, CSP, API 404s.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use smsgate_web_embed::{Asset, CSP, IMMUTABLE, REVALIDATE, Stored, router};
use tower::ServiceExt;

fn gz(bytes: &[u8]) -> &'static [u8] {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    Box::leak(e.finish().expect("gzip").into_boxed_slice())
}

fn assets() -> &'static [Asset] {
    let list = vec![
        Asset {
            path: "/index.html",
            content_type: "text/html; charset=utf-8",
            etag: "\"idx\"",
            stored: Stored::Gzip,
            body: gz(b"<!doctype html><title>app</title>"),
            immutable: false,
        },
        Asset {
            path: "/assets/app-abc123.js",
            content_type: "text/javascript; charset=utf-8",
            etag: "\"js\"",
            stored: Stored::Identity,
            body: b"console.log(1)",
            immutable: true,
        },
    ];
    Box::leak(list.into_boxed_slice())
}

async fn get(uri: &str, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router::<()>(assets())
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = resp.status();
    let h = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, h, body)
}

#[tokio::test]
async fn hashed_files_are_cached_forever_and_the_index_is_revalidated() {
    let (s, h, body) = get("/assets/app-abc123.js", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CACHE_CONTROL], IMMUTABLE);
    assert_eq!(body, b"console.log(1)");
    let (s, h, _) = get("/", &[("accept-encoding", "gzip")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CACHE_CONTROL], REVALIDATE);
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP);
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn a_client_without_gzip_gets_the_file_inflated() {
    let (s, h, body) = get("/index.html", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(body, b"<!doctype html><title>app</title>");
}

#[tokio::test]
async fn client_routes_fall_back_to_the_index() {
    let (s, h, body) = get("/inbox/1234", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(String::from_utf8_lossy(&body).contains("<title>app</title>"));
}

#[tokio::test]
async fn unknown_api_paths_stay_a_json_404() {
    let (s, h, body) = get("/api/v1/nope", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_missing_hashed_file_is_not_answered_with_html() {
    let (s, _, _) = get("/assets/gone-xyz.js", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_matching_etag_answers_not_modified() {
    let (s, h, body) = get("/assets/app-abc123.js", &[("if-none-match", "\"js\"")]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert_eq!(h[header::ETAG], "\"js\"");
    assert!(body.is_empty());
}

#[tokio::test]
async fn gzip_refused_with_q_zero_is_respected() {
    let (_, h, _) = get("/index.html", &[("accept-encoding", "gzip;q=0, br")]).await;
    assert!(h.get(header::CONTENT_ENCODING).is_none());
}
