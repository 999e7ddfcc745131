//! `POST /auth/login`, `POST /auth/logout`, `GET /me`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiResult;
use crate::api::extract::{ClientIp, credential};
use crate::api::{Authed, Body, ErrorBody, SESSION_COOKIE, blocking};
use crate::hub::Hub;
use crate::model::*;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    /// At most 256 characters.
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Session token: send it as `Authorization: Bearer …` (also set as a cookie).
    pub token: String,
    pub user: User,
}

/// Logs in; returns a session token and sets the session cookie. Failed logins are throttled
/// per account and source address (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(hub): State<Hub>,
    ClientIp(ip): ClientIp,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let secure = if hub.settings().cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let (token, user) = hub.login_guarded(ip, req.login, req.password).await?;
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}");
    let mut resp = Json(LoginResponse { token, user }).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// Ends the current session (its event streams end at once). With an API key: 422 — a key
/// is not a session; revoke it with `DELETE /api/v1/api-keys/{id}`.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = credential(&headers) {
        let h = hub.clone();
        let t = token.clone();
        // An unknown or expired session is already logged out.
        if let Ok(actor) = blocking(move || h.authenticate(&t)).await {
            blocking(move || hub.logout_actor(&actor, &token)).await?;
        }
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("smsgate_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub org: Org,
    pub role: Role,
    /// Absent for API keys.
    pub user: Option<User>,
}

/// The caller: organisation, role, user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(State(hub): State<Hub>, Authed(actor): Authed) -> ApiResult<Json<MeResponse>> {
    let org = actor.org().clone();
    let role = actor.role();
    let user = blocking(move || hub.me(&actor)).await?;
    Ok(Json(MeResponse { org, role, user }))
}
