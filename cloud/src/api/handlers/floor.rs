//! The floor: `GET/PUT /queues/{id}/routing`, `GET/PUT /channels/{id}/hours`,
//! `GET/PUT /floor/me` (own status), `GET /floor` (the monitor),
//! `POST /floor/interactions/{id}/take-over`, `POST /floor/agents/{id}/logout`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::Query;
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::floor::agents::AgentFloor;
use crate::floor::assign::ChosenStatus;
use crate::floor::hours::OpeningHours;
use crate::floor::presence::AwayReason;
use crate::floor::records::QueueRouting;
use crate::hub::Hub;
use crate::hub::floor::FloorView;
use crate::model::Interaction;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route(
            "/api/v1/queues/{id}/routing",
            get(get_queue_routing).put(put_queue_routing),
        )
        .route(
            "/api/v1/channels/{id}/hours",
            get(get_channel_hours).put(put_channel_hours),
        )
        .route("/api/v1/floor", get(floor))
        .route("/api/v1/floor/me", get(my_floor).put(set_my_status))
        .route("/api/v1/floor/interactions/{id}/take-over", post(take_over))
        .route("/api/v1/floor/agents/{id}/logout", post(log_agent_out))
}

/// A queue's routing: strategy (`manual`, `round_robin`, `least_busy`), `max_active` per agent,
/// opening `hours` with the out-of-hours `reply`.
#[utoipa::path(get, path = "/api/v1/queues/{id}/routing", tag = "floor", params(("id" = Uuid, Path)),
    responses((status = 200, body = QueueRouting), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_queue_routing(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<QueueRouting>> {
    Ok(Json(blocking(move || hub.queue_routing(&actor, id)).await?))
}

/// Replaces a queue's routing (waiting conversations are handed out at once when it assigns).
#[utoipa::path(put, path = "/api/v1/queues/{id}/routing", tag = "floor", params(("id" = Uuid, Path)), request_body = QueueRouting,
    responses((status = 200, body = QueueRouting), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_queue_routing(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(r): Body<QueueRouting>,
) -> ApiResult<Json<QueueRouting>> {
    Ok(Json(
        blocking(move || hub.set_queue_routing(&actor, id, r)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HoursBody {
    /// `null` removes the hours (always open).
    pub hours: Option<OpeningHours>,
}

/// A channel's opening hours (`{"hours": null}`: always open).
#[utoipa::path(get, path = "/api/v1/channels/{id}/hours", tag = "floor", params(("id" = Uuid, Path)),
    responses((status = 200, body = Option<OpeningHours>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_channel_hours(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Option<OpeningHours>>> {
    Ok(Json(blocking(move || hub.channel_hours(&actor, id)).await?))
}

/// Sets or removes a channel's opening hours and out-of-hours reply.
#[utoipa::path(put, path = "/api/v1/channels/{id}/hours", tag = "floor", params(("id" = Uuid, Path)), request_body = HoursBody,
    responses((status = 200, body = Option<OpeningHours>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_channel_hours(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(b): Body<HoursBody>,
) -> ApiResult<Json<Option<OpeningHours>>> {
    Ok(Json(
        blocking(move || hub.set_channel_hours(&actor, id, b.hours)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FloorParams {
    /// A tenant (resellers); default: the caller's.
    pub org: Option<Uuid>,
    /// Start of the viewer's day, for "completed today" (default: UTC midnight).
    pub today: Option<DateTime<Utc>>,
}

/// The live floor: agents with state and time in state, active and completed today; customers
/// waiting, longest first. Changes arrive as `agent_state_changed` / `interaction_updated`.
#[utoipa::path(get, path = "/api/v1/floor", tag = "floor", params(FloorParams),
    responses((status = 200, body = FloorView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn floor(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<FloorParams>,
) -> ApiResult<Json<FloorView>> {
    Ok(Json(
        blocking(move || hub.floor_view(&actor, p.org, p.today)).await?,
    ))
}

/// The caller's own floor state.
#[utoipa::path(get, path = "/api/v1/floor/me", tag = "floor",
    responses((status = 200, body = AgentFloor)), security(("bearer" = [])))]
pub async fn my_floor(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<AgentFloor>> {
    Ok(Json(blocking(move || hub.my_floor(&actor)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusBody {
    pub status: ChosenStatus,
    /// Why away (`break`, `lunch`, `training`, `meeting`); only with `away`.
    #[serde(default)]
    pub reason: Option<AwayReason>,
}

/// Sets the caller's presence: `available`, `away` (optionally with a `reason`) or `offline`.
/// Away and offline agents get no new conversation; their open ones stay theirs. Audited.
#[utoipa::path(put, path = "/api/v1/floor/me", tag = "floor", request_body = StatusBody,
    responses((status = 200, body = AgentFloor), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_my_status(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(b): Body<StatusBody>,
) -> ApiResult<Json<AgentFloor>> {
    Ok(Json(
        blocking(move || hub.set_my_status(&actor, b.status, b.reason)).await?,
    ))
}

/// Takes a conversation over: assigned to the caller (a supervisor).
#[utoipa::path(post, path = "/api/v1/floor/interactions/{id}/take-over", tag = "floor", params(("id" = Uuid, Path)),
    responses((status = 200, body = Interaction), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn take_over(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Interaction>> {
    Ok(Json(blocking(move || hub.take_over(&actor, id)).await?))
}

/// Logs an agent out (every session ends).
#[utoipa::path(post, path = "/api/v1/floor/agents/{id}/logout", tag = "floor", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn log_agent_out(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.log_agent_out(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
