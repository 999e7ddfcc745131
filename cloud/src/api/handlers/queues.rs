//! Queues: `GET/POST /queues`, `GET/PATCH/DELETE /queues/{id}`, `PUT /queues/{id}/members`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{ApiResult, ForceParam};
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::hub::Hub;
use crate::model::*;
use crate::store::TextFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/queues", get(list_queues).post(create_queue))
        .route(
            "/api/v1/queues/{id}",
            get(get_queue).patch(update_queue).delete(delete_queue),
        )
        .route("/api/v1/queues/{id}/members", put(set_queue_members))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewQueueRequest {
    pub org: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub members: Vec<QueueMember>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateQueueRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgParam {
    /// Only this tenant's.
    pub org: Option<Uuid>,
}

/// Queues in the caller's subtree. `q` searches name and description.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues", params(Paging, OrgParam),
    responses((status = 200, body = PageOf<Queue>)), security(("bearer" = [])))]
pub async fn list_queues(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(o): Query<OrgParam>,
) -> ApiResult<Json<PageOf<Queue>>> {
    let page = p.request()?;
    let filter = TextFilter {
        org: o.org,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_queues(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Creates a queue with its agents and managers.
#[utoipa::path(post, path = "/api/v1/queues", tag = "queues", request_body = NewQueueRequest,
    responses((status = 201, body = Queue), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_queue(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewQueueRequest>,
) -> ApiResult<(StatusCode, Json<Queue>)> {
    let q = blocking(move || {
        hub.create_queue(&actor, req.org, &req.name, &req.description, req.members)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(q)))
}

/// One queue.
#[utoipa::path(get, path = "/api/v1/queues/{id}", tag = "queues", params(("id" = Uuid, Path)),
    responses((status = 200, body = Queue), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_queue(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Queue>> {
    Ok(Json(blocking(move || hub.queue(&actor, id)).await?))
}

/// Renames a queue or changes its description.
#[utoipa::path(patch, path = "/api/v1/queues/{id}", tag = "queues", params(("id" = Uuid, Path)), request_body = UpdateQueueRequest,
    responses((status = 200, body = Queue), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_queue(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UpdateQueueRequest>,
) -> ApiResult<Json<Queue>> {
    Ok(Json(
        blocking(move || {
            hub.update_queue(&actor, id, req.name.as_deref(), req.description.as_deref())
        })
        .await?,
    ))
}

/// Deletes a queue: 409 while it has live interactions, unless `force=true` moves them to the
/// tenant's inbox. Channels pointing at it point at the tenant again.
#[utoipa::path(delete, path = "/api/v1/queues/{id}", tag = "queues", params(("id" = Uuid, Path), ForceParam),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_queue(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(f): Query<ForceParam>,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_queue(&actor, id, f.force)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces a queue's members (removed members' event streams end).
#[utoipa::path(put, path = "/api/v1/queues/{id}/members", tag = "queues", params(("id" = Uuid, Path)),
    request_body = [QueueMember], responses((status = 200, body = Queue), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_queue_members(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(members): Body<Vec<QueueMember>>,
) -> ApiResult<Json<Queue>> {
    Ok(Json(
        blocking(move || hub.set_queue_members(&actor, id, members)).await?,
    ))
}
