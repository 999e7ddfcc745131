//! REST API under `/api/v1` (axum).
//!
//! - [`router`] builds the routes over a [`Hub`].
//! - Authentication: `Authorization: Bearer sgs_…` (session token from `POST /auth/login`) or
//!   `Bearer sgk_…` (tenant API key), or the `smsgate_session` cookie set at login.
//! - Every handler gets an [`Authed`] actor and calls a `Hub` method, which authorizes through
//!   the chokepoint. Hub calls run on the blocking pool (SQLite, argon2).
//! - Errors map to HTTP in one place: [`ApiError`]'s `IntoResponse`.
//! - [`openapi`] holds the OpenAPI 3 document (served at `/api/v1/openapi.json`).

pub mod handlers;
pub mod openapi;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::authz::Actor;
use crate::hub::{Hub, HubError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "smsgate_session";

/// The API router (state already applied).
pub fn router(hub: Hub) -> Router {
    use handlers::*;
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/resellers",
            get(list_resellers).post(create_reseller),
        )
        .route("/api/v1/resellers/{id}", get(get_reseller))
        .route("/api/v1/tenants", get(list_tenants).post(create_tenant))
        .route("/api/v1/tenants/{id}", get(get_tenant))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
        .route("/api/v1/users/{id}/disconnect", post(disconnect_user))
        .route("/api/v1/users/{id}/state", post(set_user_state))
        .route("/api/v1/gateways", get(list_gateways).post(create_gateway))
        .route("/api/v1/gateways/{id}", get(get_gateway))
        .route("/api/v1/channels", get(list_channels).post(create_channel))
        .route("/api/v1/channels/{id}", get(get_channel))
        .route("/api/v1/channels/{id}/distribute", post(distribute_channel))
        .route("/api/v1/channels/{id}/destination", put(set_destination))
        .route("/api/v1/queues", get(list_queues).post(create_queue))
        .route("/api/v1/queues/{id}", get(get_queue))
        .route("/api/v1/queues/{id}/members", put(set_queue_members))
        .route("/api/v1/contacts", get(list_contacts).post(create_contact))
        .route("/api/v1/contacts/import", post(import_contacts))
        .route(
            "/api/v1/contacts/{id}",
            get(get_contact).put(update_contact).delete(delete_contact),
        )
        .route("/api/v1/interactions", get(list_interactions))
        .route("/api/v1/interactions/{id}", get(get_interaction))
        .route(
            "/api/v1/interactions/{id}/messages",
            get(list_interaction_messages).post(reply),
        )
        .route(
            "/api/v1/interactions/{id}/status",
            post(set_interaction_status),
        )
        .route("/api/v1/interactions/{id}/read", post(mark_read))
        .route("/api/v1/interactions/{id}/transfer", post(transfer))
        .route(
            "/api/v1/interactions/{id}/transfer-targets",
            get(transfer_targets),
        )
        .route("/api/v1/messages", post(send_message))
        .route("/api/v1/bulk-messages", post(send_bulk))
        .route("/api/v1/messages/{id}", get(get_message))
        .route("/api/v1/messages/{id}/cancel", post(cancel_message))
        .route("/api/v1/opt-outs", get(list_opt_outs).post(create_opt_out))
        .route(
            "/api/v1/opt-outs/{id}",
            axum::routing::delete(delete_opt_out),
        )
        .route("/api/v1/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api/v1/events", get(events))
        .with_state(hub)
}

/// Error body of every failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    /// The offending input field, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A failed request. The single place where errors become HTTP responses.
#[derive(Debug)]
pub enum ApiError {
    Hub(HubError),
    /// The request body or path could not be read.
    BadInput {
        field: String,
        reason: String,
    },
    Internal(String),
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        ApiError::Hub(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, field) = match self {
            ApiError::Hub(e) => match e {
                HubError::NotFound => (StatusCode::NOT_FOUND, e.to_string(), None),
                HubError::Forbidden(_) => (StatusCode::FORBIDDEN, e.to_string(), None),
                HubError::Unauthenticated => (StatusCode::UNAUTHORIZED, e.to_string(), None),
                HubError::Invalid { field, .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    e.to_string(),
                    Some(field.to_owned()),
                ),
                HubError::Conflict(_) => (StatusCode::CONFLICT, e.to_string(), None),
                HubError::Store(crate::store::StoreError::Conflict(what)) => {
                    (StatusCode::CONFLICT, format!("{what} already exists"), None)
                }
                HubError::UnknownGateway(_) | HubError::Store(_) | HubError::Secret(_) => {
                    tracing::error!(error = %e, "request failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error".to_owned(),
                        None,
                    )
                }
            },
            ApiError::BadInput { field, reason } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid {field}: {reason}"),
                Some(field),
            ),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_owned(),
                    None,
                )
            }
        };
        let mut resp = (status, Json(ErrorBody { error, field })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

/// Runs a hub call on the blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, HubError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Hub)
}

/// The credential of a request: bearer token, else session cookie.
pub fn credential(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = v.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// An authenticated caller.
pub struct Authed(pub Actor);

impl FromRequestParts<Hub> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let token = credential(&parts.headers).ok_or(HubError::Unauthenticated)?;
        let hub = hub.clone();
        blocking(move || hub.authenticate(&token)).await.map(Authed)
    }
}

/// A JSON body whose rejection goes through [`ApiError`].
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(json_rejection(e)),
        }
    }
}

fn json_rejection(e: JsonRejection) -> ApiError {
    ApiError::BadInput {
        field: "body".into(),
        reason: e.body_text(),
    }
}

/// A resource id from the path; a malformed id is simply not found.
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<Uuid>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(Id(id)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(ApiError::Hub(HubError::NotFound))
            }
            Err(e) => Err(ApiError::Internal(e.body_text())),
        }
    }
}
