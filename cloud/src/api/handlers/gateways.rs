//! Gateways (platform operator): `GET/POST /gateways`, `GET/PATCH/DELETE /gateways/{id}`,
//! `GET /unrouted-messages` (inbound messages no channel took, with their text).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::hub::{Hub, ProvisionedGateway};
use crate::model::*;
use crate::store::TextFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/gateways", get(list_gateways).post(create_gateway))
        .route("/api/v1/unrouted-messages", get(list_unrouted))
        .route(
            "/api/v1/gateways/{id}",
            get(get_gateway)
                .patch(update_gateway)
                .delete(delete_gateway),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGatewayRequest {
    pub name: String,
}

/// Registered gateways (platform operator). `q` searches the name and MQTT username.
#[utoipa::path(get, path = "/api/v1/gateways", tag = "gateways", params(Paging),
    responses((status = 200, body = PageOf<Gateway>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_gateways(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
) -> ApiResult<Json<PageOf<Gateway>>> {
    let page = p.request()?;
    let filter = TextFilter {
        org: None,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_gateways(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Inbound messages no channel took, newest first, kept with their text: sent to a port
/// with no channel (never declared, or a retired channel's) or to a channel held by no tenant
/// (platform operator). `q` searches the text and the sender.
#[utoipa::path(get, path = "/api/v1/unrouted-messages", tag = "gateways", params(Paging),
    responses((status = 200, body = PageOf<UnroutedInbound>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_unrouted(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
) -> ApiResult<Json<PageOf<UnroutedInbound>>> {
    let page = p.request()?;
    let filter = TextFilter {
        org: None,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.unrouted_messages(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Registers a gateway: returns its id, MQTT credentials (password shown once) and a
/// ready gateway config snippet.
#[utoipa::path(post, path = "/api/v1/gateways", tag = "gateways", request_body = NewGatewayRequest,
    responses((status = 201, body = ProvisionedGateway), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_gateway(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewGatewayRequest>,
) -> ApiResult<(StatusCode, Json<ProvisionedGateway>)> {
    let g = blocking(move || hub.create_gateway(&actor, &req.name)).await?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// One gateway.
#[utoipa::path(get, path = "/api/v1/gateways/{id}", tag = "gateways", params(("id" = Uuid, Path)),
    responses((status = 200, body = Gateway), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_gateway(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Gateway>> {
    Ok(Json(blocking(move || hub.gateway(&actor, id)).await?))
}

/// Renames a gateway.
#[utoipa::path(patch, path = "/api/v1/gateways/{id}", tag = "gateways", params(("id" = Uuid, Path)), request_body = NewGatewayRequest,
    responses((status = 200, body = Gateway), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_gateway(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<NewGatewayRequest>,
) -> ApiResult<Json<Gateway>> {
    Ok(Json(
        blocking(move || hub.rename_gateway(&actor, id, &req.name)).await?,
    ))
}

/// Deletes a gateway with no channels declared on it (409 otherwise); its login stops working.
#[utoipa::path(delete, path = "/api/v1/gateways/{id}", tag = "gateways", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_gateway(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_gateway(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
