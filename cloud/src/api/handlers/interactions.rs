//! Interactions: `GET /interactions` (search), `GET /interactions/{id}`,
//! `GET/POST /interactions/{id}/messages`, `POST /interactions/{id}/status|read|transfer`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{ApiError, Authed, Body, ErrorBody, Id, blocking};
use crate::hub::{Hub, TransferTo};
use crate::model::*;
use crate::store::InteractionFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
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
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InteractionParams {
    pub status: Option<InteractionStatus>,
    /// `true`: only live conversations (any status but closed); `false`: only closed ones.
    pub live: Option<bool>,
    pub queue: Option<Uuid>,
    /// The assigned user.
    pub assignee: Option<Uuid>,
    pub channel: Option<Uuid>,
    /// The contact's number (any written form) …
    pub contact: Option<String>,
    /// … or a contact's id.
    pub contact_id: Option<Uuid>,
    /// Last activity at or after (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Last activity before (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Carries this label (case-insensitive).
    pub label: Option<String>,
}

/// Interactions the caller sees (agents and users: their own), most recent first. Filters
/// combine; `q` searches the text of the messages.
#[utoipa::path(get, path = "/api/v1/interactions", tag = "interactions", params(Paging, InteractionParams),
    responses((status = 200, body = PageOf<Interaction>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_interactions(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(f): Query<InteractionParams>,
) -> ApiResult<Json<PageOf<Interaction>>> {
    let page = p.request()?;
    let text = p.q();
    Ok(Json(
        blocking(move || {
            let contact = match (f.contact_id, f.contact) {
                (Some(id), _) => Some(hub.contact(&actor, id)?.number),
                (None, Some(n)) => Some(crate::phone::sender(
                    &n,
                    actor
                        .org()
                        .country
                        .as_deref()
                        .and_then(crate::phone::country),
                )),
                (None, None) => None,
            };
            let filter = InteractionFilter {
                status: f.status,
                live: f.live,
                queue: f.queue,
                assignee: f.assignee,
                channel: f.channel,
                contact,
                text,
                since: f.since,
                until: f.until,
                label: f.label.filter(|l| !l.trim().is_empty()),
            };
            hub.list_interactions(&actor, &filter, &page)
        })
        .await?
        .into(),
    ))
}

/// One interaction.
#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = Interaction), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_interaction(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Interaction>> {
    Ok(Json(blocking(move || hub.interaction(&actor, id)).await?))
}

/// Messages of an interaction, oldest first.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/messages", tag = "interactions", params(("id" = Uuid, Path), Paging),
    responses((status = 200, body = PageOf<Message>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_interaction_messages(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(p): Query<Paging>,
) -> ApiResult<Json<PageOf<Message>>> {
    let page = p.request()?;
    Ok(Json(
        blocking(move || hub.list_messages(&actor, id, &page))
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReplyRequest {
    pub text: String,
}

/// Replies in an interaction (sets it `open`).
#[utoipa::path(post, path = "/api/v1/interactions/{id}/messages", tag = "interactions", params(("id" = Uuid, Path)),
    request_body = ReplyRequest, responses((status = 201, body = Message), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reply(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<ReplyRequest>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let m = blocking(move || hub.reply(&actor, id, &req.text)).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusRequest {
    pub status: InteractionStatus,
}

/// Pauses, closes or reopens an interaction.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/status", tag = "interactions", params(("id" = Uuid, Path)),
    request_body = StatusRequest, responses((status = 200, body = Interaction), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_interaction_status(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<StatusRequest>,
) -> ApiResult<Json<Interaction>> {
    Ok(Json(
        blocking(move || hub.set_interaction_status(&actor, id, req.status)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadRequest {
    pub read: bool,
}

/// Marks an interaction read (or unread).
#[utoipa::path(post, path = "/api/v1/interactions/{id}/read", tag = "interactions", params(("id" = Uuid, Path)),
    request_body = ReadRequest, responses((status = 200, body = Interaction), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn mark_read(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<ReadRequest>,
) -> ApiResult<Json<Interaction>> {
    Ok(Json(
        blocking(move || hub.mark_read(&actor, id, req.read)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferRequest {
    /// A user of the tenant (exclusive with `queue`).
    pub user: Option<Uuid>,
    /// A queue of the tenant (exclusive with `user`).
    pub queue: Option<Uuid>,
}

/// Transfers an interaction to a team member or a queue.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/transfer", tag = "interactions", params(("id" = Uuid, Path)),
    request_body = TransferRequest, responses((status = 200, body = Interaction), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn transfer(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<TransferRequest>,
) -> ApiResult<Json<Interaction>> {
    let to = match (req.user, req.queue) {
        (Some(u), None) => TransferTo::User(u),
        (None, Some(q)) => TransferTo::Queue(q),
        _ => return Err(ApiError::bad("user", "give exactly one of user or queue")),
    };
    Ok(Json(blocking(move || hub.transfer(&actor, id, to)).await?))
}

/// Who the conversation can be transferred to: the active team members and the queues of its
/// tenant (names and roles only), for anyone who may transfer it.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/transfer-targets", tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = crate::hub::TransferTargets), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn transfer_targets(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<crate::hub::TransferTargets>> {
    Ok(Json(
        blocking(move || hub.transfer_targets(&actor, id)).await?,
    ))
}
