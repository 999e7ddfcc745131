//! The receiver of Dinstar pushes: `POST /dinstar/push/{push_token}` on `push_listen`.
//!
//! The vendor document ("Receive SMS", "Query USSD Reply") shows that the device can push
//! incoming SMS (`{"sn":…,"sms":[…]}`) and USSD replies (`{"sn":…,"ussd":[…]}`) to a configured
//! URL; moucester/Dinstar-UC-API `dinstar/server.py` also receives `sms_result` and
//! `sms_deliver_status`. With pushes on, `poll_interval_ms = 0` turns the polling off.
//!
//! Its own listener (not a route of the local API): the device sits on the LAN while the local
//! API is meant for loopback and a bearer token the device cannot send, and only this one
//! endpoint should be reachable from the LAN.
//!
//! Authentication: the secret `push_token` in the URL path (compared in constant time), or the
//! same secret as the password of HTTP Basic credentials or a bearer token for devices that
//! send them to `POST /dinstar/push`; when `sn` is configured a push from another serial number
//! is refused (403). The device hears `200` only once every record is committed (`500` asks it
//! to push again); a body that is not a push answers `400` naming the problem.

use super::device::{PushBatch, Pushed};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

/// How long a push waits for its records to be committed.
pub const PUSH_COMMIT_TIMEOUT: Duration = Duration::from_secs(15);

/// One device's push route.
#[derive(Debug, Clone)]
pub struct PushRoute {
    /// Config key (`dinstar_http[i]`).
    pub key: String,
    /// The secret.
    pub token: String,
    /// Expected serial number.
    pub sn: Option<String>,
    /// The device task.
    pub tx: mpsc::Sender<Pushed>,
}

#[derive(Clone)]
struct Routes(Arc<[PushRoute]>);

/// The push router for the devices sharing one listener.
pub fn router(routes: Vec<PushRoute>) -> Router {
    Router::new()
        .route("/dinstar/push/{token}", post(push_with_token))
        .route("/dinstar/push", post(push_with_credentials))
        .with_state(Routes(routes.into()))
}

fn answer(status: StatusCode, message: &str) -> Response {
    let code = status.as_u16();
    (
        status,
        Json(json!({"error_code": code, "message": message})),
    )
        .into_response()
}

impl Routes {
    fn find(&self, presented: &str) -> Option<&PushRoute> {
        // Every route is compared, so the time taken does not tell which one matched.
        let mut found = None;
        for r in self.0.iter() {
            if bool::from(presented.as_bytes().ct_eq(r.token.as_bytes())) {
                found = Some(r);
            }
        }
        found
    }
}

/// The secret from `Authorization: Basic user:<token>` or `Bearer <token>` (schemes in any case).
fn secret_from(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if let Some(t) = crate::api::auth::credentials(v, "Bearer") {
        return Some(t.to_owned());
    }
    let b64 = crate::api::auth::credentials(v, "Basic")?;
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    text.split_once(':').map(|(_, p)| p.to_owned())
}

async fn push_with_token(
    State(routes): State<Routes>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    match routes.find(&token) {
        Some(r) => deliver(r, &body).await,
        None => answer(StatusCode::UNAUTHORIZED, "unknown push token"),
    }
}

async fn push_with_credentials(
    State(routes): State<Routes>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match secret_from(&headers)
        .as_deref()
        .and_then(|s| routes.find(s))
    {
        Some(r) => deliver(r, &body).await,
        None => {
            let mut resp = answer(
                StatusCode::UNAUTHORIZED,
                "push to /dinstar/push/<push_token>, or send the token as the password",
            );
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"smsgate dinstar push\""),
            );
            resp
        }
    }
}

async fn deliver(route: &PushRoute, body: &[u8]) -> Response {
    let batch: PushBatch = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(device = %route.key, error = %e, "a Dinstar push that is not JSON of the documented shape");
            return answer(StatusCode::BAD_REQUEST, &format!("body: {e}"));
        }
    };
    if let (Some(want), Some(got)) = (&route.sn, &batch.sn)
        && want != got
    {
        tracing::warn!(device = %route.key, sn = %got, "a push from another Dinstar serial number refused");
        return answer(
            StatusCode::FORBIDDEN,
            &format!("sn {got:?} is not this device's"),
        );
    }
    let (done, result) = oneshot::channel();
    if route.tx.send(Pushed { batch, done }).await.is_err() {
        return answer(StatusCode::SERVICE_UNAVAILABLE, "the gateway is stopping");
    }
    match tokio::time::timeout(PUSH_COMMIT_TIMEOUT, result).await {
        Ok(Ok(Ok(()))) => (StatusCode::OK, Json(json!({"error_code": 200}))).into_response(),
        Ok(Ok(Err(why))) => answer(StatusCode::INTERNAL_SERVER_ERROR, &why),
        Ok(Err(_)) => answer(StatusCode::SERVICE_UNAVAILABLE, "the gateway is stopping"),
        Err(_) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "the records were not committed in time; push again",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    fn route(tx: mpsc::Sender<Pushed>) -> Vec<PushRoute> {
        vec![PushRoute {
            key: "dinstar_http[0]".into(),
            token: "0123456789abcdef".into(),
            sn: Some("dbd2-0325-0044-0088".into()),
            tx,
        }]
    }

    async fn post(app: Router, uri: &str, auth: Option<&str>, body: &str) -> StatusCode {
        let mut req = Request::post(uri).header("content-type", "application/json");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        app.oneshot(req.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap()
            .status()
    }

    #[tokio::test]
    async fn a_push_is_answered_200_only_after_the_device_task_committed_it() {
        let (tx, mut rx) = mpsc::channel(4);
        let app = router(route(tx));
        let task = tokio::spawn(async move {
            let p: Pushed = rx.recv().await.unwrap();
            assert_eq!(p.batch.sms[0].port, 2);
            p.done.send(Ok(())).unwrap();
        });
        let body = r#"{"sn":"dbd2-0325-0044-0088","sms":[{"incoming_sms_id":1,"port":2,"number":"6717","smsc":"+8613800757511","timestamp":"2016-07-12 15:46:18","text":"test"}]}"#;
        assert_eq!(
            post(app, "/dinstar/push/0123456789abcdef", None, body).await,
            StatusCode::OK
        );
        task.await.unwrap();
    }

    #[tokio::test]
    async fn pushes_without_the_secret_or_from_another_serial_are_refused() {
        let (tx, _rx) = mpsc::channel(4);
        let app = router(route(tx));
        let body = r#"{"sn":"dbd2-0325-0044-0088","ussd":[{"port":1,"text":"Thank you!"}]}"#;
        assert_eq!(
            post(app.clone(), "/dinstar/push/wrong-token-000000", None, body).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            post(app.clone(), "/dinstar/push", None, body).await,
            StatusCode::UNAUTHORIZED
        );
        let other = r#"{"sn":"ffff-0000-0000-0000","ussd":[]}"#;
        assert_eq!(
            post(app.clone(), "/dinstar/push/0123456789abcdef", None, other).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            post(app, "/dinstar/push/0123456789abcdef", None, "{\"sms\": 5}").await,
            StatusCode::BAD_REQUEST
        );
    }

    #[tokio::test]
    async fn the_secret_may_come_as_basic_credentials_or_a_bearer_token() {
        let (tx, mut rx) = mpsc::channel(4);
        let app = router(route(tx));
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                let _ = p.done.send(Ok(()));
            }
        });
        // admin:0123456789abcdef
        let basic = "Basic YWRtaW46MDEyMzQ1Njc4OWFiY2RlZg==";
        assert_eq!(
            post(app.clone(), "/dinstar/push", Some(basic), "{}").await,
            StatusCode::OK
        );
        assert_eq!(
            post(app, "/dinstar/push", Some("Bearer 0123456789abcdef"), "{}").await,
            StatusCode::OK
        );
    }
}
