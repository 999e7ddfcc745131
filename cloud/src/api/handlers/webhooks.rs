//! Webhook endpoints (issue 15): `GET/POST /webhooks`, `GET/PATCH/DELETE /webhooks/{id}`,
//! `POST /webhooks/{id}/rotate-secret`, `POST /webhooks/{id}/test`,
//! `GET /webhooks/{id}/deliveries`. Tenant admins (and the admins above them). The secret is
//! in the answers of create and rotate only. Signing and retries: docs/webhooks.md.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{ApiError, Authed, Body, ErrorBody, Id, blocking};
use crate::hub::Hub;
use crate::hub::webhooks::{EndpointUpdate, NewEndpoint};
use crate::webhooks::{Delivery, Endpoint, EventType};

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/api/v1/webhooks/{id}",
            get(get_webhook)
                .patch(update_webhook)
                .delete(delete_webhook),
        )
        .route(
            "/api/v1/webhooks/{id}/rotate-secret",
            post(rotate_webhook_secret),
        )
        .route("/api/v1/webhooks/{id}/test", post(test_webhook))
        .route("/api/v1/webhooks/{id}/deliveries", get(list_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewWebhookRequest {
    /// The tenant (default: the caller's own).
    pub org: Option<Uuid>,
    /// `http://` or `https://` URL the events are POSTed to.
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// At least one.
    pub events: Vec<EventType>,
}

impl std::fmt::Debug for WebhookWithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookWithSecret")
            .field("endpoint", &self.endpoint)
            .field("secret", &"<redacted>")
            .finish()
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateWebhookRequest {
    pub url: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub events: Option<Vec<EventType>>,
}

/// An endpoint and its secret (create and rotate only). Its `Debug` leaves the secret out.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    pub endpoint: Endpoint,
    /// The signing secret (`whsec_…`), shown this once: store it in the receiver.
    pub secret: String,
}

/// The webhook endpoints of the tenants in scope (`org`: of one).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(("org" = Option<Uuid>, Query)),
    responses((status = 200, body = [Endpoint]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_webhooks(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(q): Query<OrgParam>,
) -> ApiResult<Json<Vec<Endpoint>>> {
    Ok(Json(
        blocking(move || hub.list_webhooks(&actor, q.org)).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct OrgParam {
    pub org: Option<Uuid>,
}

/// Creates an endpoint; the answer holds its secret, the only time it is shown.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhookRequest,
    responses((status = 201, body = WebhookWithSecret), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_webhook(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewWebhookRequest>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    let (endpoint, secret) = blocking(move || {
        hub.create_webhook(
            &actor,
            NewEndpoint {
                org_id: req.org,
                url: req.url,
                description: req.description,
                enabled: req.enabled,
                events: req.events,
            },
        )
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecret {
            endpoint,
            secret: secret.expose().to_owned(),
        }),
    ))
}

/// One endpoint (never its secret).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Endpoint), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_webhook(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Endpoint>> {
    Ok(Json(blocking(move || hub.webhook(&actor, id)).await?))
}

/// Changes an endpoint's URL, description, events, or enables/disables it (a disabled
/// endpoint's queued deliveries wait until it is enabled again).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), request_body = UpdateWebhookRequest,
    responses((status = 200, body = Endpoint), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_webhook(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UpdateWebhookRequest>,
) -> ApiResult<Json<Endpoint>> {
    Ok(Json(
        blocking(move || {
            hub.update_webhook(
                &actor,
                id,
                EndpointUpdate {
                    url: req.url,
                    description: req.description,
                    enabled: req.enabled,
                    events: req.events,
                },
            )
        })
        .await?,
    ))
}

/// Deletes an endpoint, its queued deliveries and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_webhook(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_webhook(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the endpoint's secret; the answer holds the new one, the only time it is shown.
/// Every attempt from now on (queued ones included) is signed with it.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookWithSecret), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate_webhook_secret(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<WebhookWithSecret>> {
    let (endpoint, secret) = blocking(move || hub.rotate_webhook_secret(&actor, id)).await?;
    Ok(Json(WebhookWithSecret {
        endpoint,
        secret: secret.expose().to_owned(),
    }))
}

/// Sends a `webhook.test` event to the endpoint now, once (not retried), and answers its
/// delivery with the attempt's status, latency and error (also in the delivery log).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Delivery), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn test_webhook(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Delivery>> {
    Ok(Json(
        hub.test_webhook(&actor, id).await.map_err(ApiError::Hub)?,
    ))
}

/// The endpoint's delivery log, newest first: each delivery's state, attempts (status code,
/// latency, error) and next attempt.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = Uuid, Path), Paging),
    responses((status = 200, body = PageOf<Delivery>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_deliveries(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(p): Query<Paging>,
) -> ApiResult<Json<PageOf<Delivery>>> {
    let page = p.request()?;
    Ok(Json(
        blocking(move || hub.webhook_deliveries(&actor, id, &page))
            .await?
            .into(),
    ))
}
