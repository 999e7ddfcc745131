//! The box UI's login endpoints and the session half of the API's authentication.
//!
//! - `GET /api/v1/auth/state` (public) → `{"account": bool}`: whether a local admin is set.
//! - `POST /api/v1/auth/login` `{"login","password"}` → `200 {"login"}` + session cookie;
//!   `401` wrong login or password; `429` + `Retry-After` while throttled.
//! - `GET /api/v1/auth/me` → who is calling (`session` or `token`).
//! - `POST /api/v1/auth/logout` → `204`, the cookie cleared.
//! - `POST /api/v1/auth/password` `{"current","new"}` → `204`: every session ends, this browser
//!   gets a new one.
//!
//! A request is authenticated by the bearer token (machine clients) or a live session cookie.
//! A cookie-authenticated request that changes something must come from the page's own origin
//! (`Origin`, when the browser sends it, must name the `Host`): with SameSite=Strict this keeps
//! other sites from acting with the technician's session.

use super::ApiState;
use super::error::ApiError;
use crate::ui::{Ui, account, session};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use utoipa::ToSchema;

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The API bearer token.
    Token,
    /// A browser session of this login.
    Session {
        /// Login.
        login: String,
        /// The session token (to end it).
        token: String,
    },
}

/// The session of a request with a session cookie, if it is live.
pub fn session_of(
    ui: &Ui,
    headers: &HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Principal> {
    let cookies = headers.get_all(header::COOKIE);
    for c in cookies {
        if let Some(token) = c.to_str().ok().and_then(session::token_in)
            && let Some(login) = ui.sessions.check(token, now)
        {
            return Some(Principal::Session {
                login,
                token: token.to_owned(),
            });
        }
    }
    None
}

/// Whether a cookie-authenticated request comes from the page's own origin.
pub fn same_origin(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on every cross-origin unsafe request; none = not cross-origin.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| !host.is_empty() && rest == host)
}

/// `429` with `Retry-After`, in the API's error shape.
pub fn rate_limited(wait: std::time::Duration) -> Response {
    too_many(wait, "too many failed logins")
}

/// `429` with `Retry-After` for a login that waited too long for the hashing permit.
fn busy(wait: std::time::Duration) -> Response {
    too_many(wait, "another login is being checked")
}

fn too_many(wait: std::time::Duration, why: &str) -> Response {
    let secs = wait.as_secs().max(1) + u64::from(wait.subsec_nanos() > 0 && wait.as_secs() > 0);
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({"error": {"code": "rate_limited", "message": format!("{why}: try again in {secs} s")}})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn ui(st: &ApiState) -> Result<&Arc<Ui>, ApiError> {
    st.ui
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("the box UI is not enabled on this gateway".into()))
}

/// `GET /api/v1/auth/state` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthState {
    /// A local admin account is set (else: `smsgate-gateway admin password`).
    pub account: bool,
}

/// Whether a local admin account is set.
#[utoipa::path(get, path = "/api/v1/auth/state", tag = "auth",
    responses((status = 200, body = AuthState)))]
pub async fn state(State(st): State<ApiState>) -> Result<Json<AuthState>, ApiError> {
    let ui = ui(&st)?.clone();
    let path = ui.account_path.clone();
    let account = tokio::task::spawn_blocking(move || account::load(&path))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .is_some();
    Ok(Json(AuthState { account }))
}

/// `POST /api/v1/auth/login` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
}

/// Who is logged in.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    /// Login name (`null` for the API token).
    pub login: Option<String>,
    /// `session` or `token`.
    pub via: String,
}

fn throttle_keys(login: &str, addr: Option<SocketAddr>) -> Vec<String> {
    let mut keys = vec![format!("login:{}", login.to_ascii_lowercase())];
    if let Some(a) = addr {
        keys.push(format!("addr:{}", a.ip()));
    }
    keys
}

fn wrong() -> ApiError {
    ApiError::BadCredentials
}

/// Logs in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = MeResponse), (status = 401, description = "wrong login or password"),
              (status = 429, description = "too many failures: wait Retry-After seconds")))]
pub async fn login(
    State(st): State<ApiState>,
    addr: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ui = ui(&st)?.clone();
    let Json(req) = body?;
    let addr = addr.map(|Extension(ConnectInfo(a))| a);
    let keys = throttle_keys(&req.login, addr);
    let now = st.clock.now();
    if let Err(wait) = ui.throttle().check(&keys, now) {
        return Ok(rate_limited(wait.to_std().unwrap_or_default()));
    }
    if req.password.len() > account::MAX_PASSWORD || req.login.len() > 64 {
        ui.throttle().failure(&keys, now);
        return Err(wrong());
    }
    // One hash at a time: wait for the permit (at most HASH_WAIT), then look at the throttle
    // again — failures recorded while this login waited count before it is hashed.
    let Ok(permit) = ui.hashing.permit(Some(crate::ui::HASH_WAIT)).await else {
        return Ok(busy(crate::ui::HASH_WAIT));
    };
    if let Err(wait) = ui.throttle().check(&keys, st.clock.now()) {
        return Ok(rate_limited(wait.to_std().unwrap_or_default()));
    }
    let (ui2, clock) = (ui.clone(), st.clock.clone());
    let (login, password) = (req.login.clone(), req.password);
    let outcome = ui
        .hashing
        .run_with(permit, move || {
            let outcome = account::verify_and_upgrade(&ui2.account_path, &login, &password, || {
                ui2.dummy_hash()
            });
            // Counted before the permit goes to the next login (and even if this request
            // was dropped meanwhile).
            match &outcome {
                Ok(account::Login::Refused) => ui2.throttle().failure(&keys, clock.now()),
                Ok(_) => ui2.throttle().success(&keys),
                Err(_) => {}
            }
            outcome
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if outcome == account::Login::Upgraded {
        tracing::info!(login = %req.login, "box UI: the admin password's hash was rehashed with the current argon2id parameters");
    }
    let now = st.clock.now();
    if outcome == account::Login::Refused {
        tracing::warn!(login = %req.login, addr = ?addr.map(|a| a.ip()), "box UI: refused login");
        return Err(wrong());
    }
    let token = ui.sessions.create(&req.login, now);
    tracing::info!(login = %req.login, addr = ?addr.map(|a| a.ip()), "box UI: login");
    let mut r = Json(MeResponse {
        login: Some(req.login),
        via: "session".into(),
    })
    .into_response();
    set_cookie(&mut r, &session::set_cookie(&token));
    Ok(r)
}

fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Who is calling.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, description = "not logged in")))]
pub async fn me(Extension(who): Extension<Principal>) -> Json<MeResponse> {
    Json(match who {
        Principal::Token => MeResponse {
            login: None,
            via: "token".into(),
        },
        Principal::Session { login, .. } => MeResponse {
            login: Some(login),
            via: "session".into(),
        },
    })
}

/// Ends this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "logged out")))]
pub async fn logout(
    State(st): State<ApiState>,
    Extension(who): Extension<Principal>,
) -> Result<Response, ApiError> {
    let ui = ui(&st)?;
    if let Principal::Session { token, .. } = who {
        ui.sessions.end(&token);
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut r, &session::clear_cookie());
    Ok(r)
}

/// `POST /api/v1/auth/password` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// The current password.
    pub current: String,
    /// The new password (8 to 256 characters).
    pub new: String,
}

/// Changes the admin password (the current one is asked again); every session ends and this
/// browser gets a new one.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordRequest,
    responses((status = 204, description = "changed"), (status = 422, description = "names the field")))]
pub async fn password(
    State(st): State<ApiState>,
    Extension(who): Extension<Principal>,
    body: Result<Json<PasswordRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ui = ui(&st)?.clone();
    let Json(req) = body?;
    let Principal::Session { login, .. } = who else {
        return Err(ApiError::invalid(
            "current",
            "log in with the admin account to change its password",
        ));
    };
    account::check_password("new", &req.new).map_err(|e| match e {
        account::AccountError::Invalid { field, message } => ApiError::invalid(field, message),
        other => ApiError::Internal(other.to_string()),
    })?;
    let keys = throttle_keys(&login, None);
    let now = st.clock.now();
    if let Err(wait) = ui.throttle().check(&keys, now) {
        return Ok(rate_limited(wait.to_std().unwrap_or_default()));
    }
    let ui2 = ui.clone();
    let login2 = login.clone();
    let outcome = ui
        .hashing
        .run(None, move || -> Result<bool, account::AccountError> {
            let Some(a) = account::load(&ui2.account_path)? else {
                return Ok(false);
            };
            if a.login != login2 || !account::verify_password(&a.hash, &req.current) {
                return Ok(false);
            }
            account::set(&ui2.account_path, &login2, &req.new)?;
            Ok(true)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !outcome {
        ui.throttle().failure(&keys, now);
        return Err(ApiError::invalid(
            "current",
            "this is not the current password",
        ));
    }
    ui.sessions.end_all();
    let token = ui.sessions.create(&login, st.clock.now());
    tracing::info!(login = %login, "box UI: admin password changed; every session ended");
    let mut r = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut r, &session::set_cookie(&token));
    Ok(r)
}
