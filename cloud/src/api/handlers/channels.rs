//! Channels: `GET/POST /channels`, `GET/PATCH/DELETE /channels/{id}`, `POST /channels/{id}/distribute`,
//! `PUT /channels/{id}/destination`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::hub::{ChannelDeclaration, Hub};
use crate::model::*;
use crate::store::ChannelFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/channels", get(list_channels).post(create_channel))
        .route(
            "/api/v1/channels/{id}",
            get(get_channel)
                .patch(update_channel)
                .delete(delete_channel),
        )
        .route("/api/v1/channels/{id}/distribute", post(distribute_channel))
        .route("/api/v1/channels/{id}/destination", put(set_destination))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewChannelRequest {
    pub gateway: Uuid,
    pub port: String,
    /// The SIM's number, international (`+33 7 00 00 00 01` is fine).
    pub sim_number: String,
    /// ISO 3166 alpha-2 country for numbers written without a prefix (absent or `""`: the SIM number's); a bad one refuses the declaration.
    #[serde(default)]
    pub country: Option<String>,
    /// What people call the channel ("Support line"; absent or `""`: shown by its number).
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateChannelRequest {
    /// ISO 3166 alpha-2 country for numbers written without a prefix (`""`: the SIM number's).
    pub country: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DistributeRequest {
    /// The organisation that receives the channel (a reseller or tenant of your subtree, or
    /// your own organisation to take it back).
    pub org: Uuid,
    /// End live interactions if any (otherwise the move is refused while they exist).
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelListParams {
    /// Only channels held by this organisation.
    pub holder: Option<Uuid>,
    pub gateway: Option<Uuid>,
    /// Also list retired (deleted) channels, kept for history and reports.
    #[serde(default)]
    pub retired: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteChannelParams {
    /// End the channel's live conversations and cancel its unsent messages (otherwise deleting
    /// is refused while either exists).
    #[serde(default)]
    pub force: bool,
}

/// Channels held in the caller's subtree. `q` searches the SIM number, port and name.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels", params(Paging, ChannelListParams),
    responses((status = 200, body = PageOf<Channel>)), security(("bearer" = [])))]
pub async fn list_channels(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(f): Query<ChannelListParams>,
) -> ApiResult<Json<PageOf<Channel>>> {
    let page = p.request()?;
    let filter = ChannelFilter {
        holder: f.holder,
        gateway: f.gateway,
        q: p.q(),
        include_retired: f.retired,
    };
    Ok(Json(
        blocking(move || hub.list_channels(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Declares a channel: a SIM number on a gateway port (platform operator).
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = NewChannelRequest,
    responses((status = 201, body = Channel), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewChannelRequest>,
) -> ApiResult<(StatusCode, Json<Channel>)> {
    let c = blocking(move || {
        hub.declare_channel(
            &actor,
            ChannelDeclaration {
                country: req.country.as_deref(),
                name: req.name.as_deref(),
                ..ChannelDeclaration::new(req.gateway, &req.port, &req.sim_number)
            },
        )
    })
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Channel>> {
    Ok(Json(blocking(move || hub.channel(&actor, id)).await?))
}

/// Edits a channel's options (its country).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = Uuid, Path)), request_body = UpdateChannelRequest,
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UpdateChannelRequest>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        blocking(move || match req.country {
            Some(c) => hub.set_channel_country(&actor, id, &c),
            None => hub.channel(&actor, id),
        })
        .await?,
    ))
}

/// Deletes a channel (platform operator): it is retired, kept for its history. Refused (409,
/// naming the live conversations, the outbound messages not sent yet and the campaign
/// recipients queued on it) while it has any, unless `force`, which ends the conversations and
/// cancels the unsent messages on their gateway (each says why in its `error`) and takes the
/// campaign recipients back: they wait again for the campaign's other channels, or fail with
/// the reason when it has none left. An SMS arriving later on its port is kept unrouted with
/// its text (`GET /api/v1/unrouted-messages`).
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = Uuid, Path), DeleteChannelParams),
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(p): Query<DeleteChannelParams>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        blocking(move || hub.retire_channel(&actor, id, p.force)).await?,
    ))
}

/// Hands a channel down the hierarchy (or takes it back).
#[utoipa::path(post, path = "/api/v1/channels/{id}/distribute", tag = "channels", params(("id" = Uuid, Path)),
    request_body = DistributeRequest,
    responses((status = 200, body = Channel), (status = 409, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn distribute_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<DistributeRequest>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        blocking(move || hub.distribute_channel(&actor, id, req.org, req.force)).await?,
    ))
}

/// Sets where the channel's inbound messages go: the tenant, a queue or a user.
#[utoipa::path(put, path = "/api/v1/channels/{id}/destination", tag = "channels", params(("id" = Uuid, Path)),
    request_body = Destination, responses((status = 200, body = Channel), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_destination(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(dest): Body<Destination>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        blocking(move || hub.set_destination(&actor, id, dest)).await?,
    ))
}
