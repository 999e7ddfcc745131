//! API keys: `GET/POST /api-keys`, `DELETE /api-keys/{id}` (revoke).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::hub::Hub;
use crate::model::*;
use crate::store::TextFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api/v1/api-keys/{id}", delete(revoke_api_key))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKeyRequest {
    pub org: Option<Uuid>,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKeyResponse {
    pub key: ApiKey,
    /// The secret (`sgk_…`), shown once: send it as `Authorization: Bearer …`.
    pub secret: String,
}

/// API keys of the tenants in scope, with their last use (revoked ones included, marked).
/// `q` searches name and prefix.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(Paging),
    responses((status = 200, body = PageOf<ApiKey>)), security(("bearer" = [])))]
pub async fn list_api_keys(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
) -> ApiResult<Json<PageOf<ApiKey>>> {
    let page = p.request()?;
    let filter = TextFilter {
        org: None,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_api_keys(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Creates a tenant API key.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = NewApiKeyRequest,
    responses((status = 201, body = NewApiKeyResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_api_key(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<NewApiKeyResponse>)> {
    let (key, secret) = blocking(move || hub.create_api_key(&actor, req.org, &req.name)).await?;
    Ok((StatusCode::CREATED, Json(NewApiKeyResponse { key, secret })))
}

/// Revokes an API key: it stops authenticating at once (and its event streams end).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKey), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_api_key(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<ApiKey>> {
    Ok(Json(
        blocking(move || hub.revoke_api_key(&actor, id)).await?,
    ))
}
