//! Messages: `POST /messages` (JSON or the SendSMS form shape), `POST /bulk-messages`,
//! `GET /bulk-messages` (history), `GET /bulk-messages/{id}`, `GET /messages/{id}`, `POST /messages/{id}/cancel`. Sends take an `Idempotency-Key`
//! header: a retry with the same key returns the first result (200, `Idempotent-Replayed:
//! true`) and sends nothing again, for `[api] idempotency_ttl_hours` (24 h by default) from the
//! first request; after that the key is forgotten and the same key sends again.

use axum::extract::{Form, FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::IdempotencyKey;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{ApiError, Authed, Body, ErrorBody, Id, blocking};
use crate::hub::{BulkDetail, BulkRequest, BulkResult, BulkSummary, Hub, SendRequest};
use crate::model::*;
use crate::store::TextFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/messages", post(send_message))
        .route("/api/v1/bulk-messages", post(send_bulk).get(list_bulk))
        .route("/api/v1/bulk-messages/{id}", get(get_bulk))
        .route("/api/v1/messages/{id}", get(get_message))
        .route("/api/v1/messages/{id}/cancel", post(cancel_message))
}

/// `POST /api/v1/messages` body: `{"channel"?, "to", "text"}`, or the SendSMS form shape
/// `destination`, `message`, `campaign`, `agent` (JSON or `application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendMessageRequest {
    /// Channel to send from (default: the caller's channel, or the tenant's first).
    pub channel: Option<Uuid>,
    /// Recipient (`destination` in the SendSMS form): national in the channel's country,
    /// `+…` or `00…`; stored in E.164.
    #[serde(alias = "destination")]
    pub to: String,
    /// Text, at most 900 characters (`message` in the SendSMS form).
    #[serde(alias = "message")]
    pub text: String,
    /// Campaign name: marks a bulk send, refused for numbers that opted out (STOP).
    pub campaign: Option<String>,
    /// Login of the user to assign the conversation to.
    pub agent: Option<String>,
}

fn replayed(mut resp: Response, replay: bool) -> Response {
    if replay {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

/// Sends an SMS through a tenant channel. With `Idempotency-Key`, a retry returns the first
/// message (200) instead of sending again. The hub remembers a key for
/// `[api] idempotency_ttl_hours` (24 hours by default) from its first request; after that it is
/// forgotten and the same key sends a new message.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages",
    params(("Idempotency-Key" = Option<String>, Header, description = "At most 128 characters; a retry with the same key (per tenant) within the hub's idempotency_ttl_hours (24 h by default) returns the first message; after it the same key sends again")),
    request_body(content(
        (SendMessageRequest = "application/json"),
        (SendMessageRequest = "application/x-www-form-urlencoded")
    )),
    responses((status = 201, body = Message), (status = 200, body = Message, description = "replayed"), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_message(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    IdempotencyKey(key): IdempotencyKey,
    req: Request,
) -> ApiResult<Response> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body: SendMessageRequest = if is_form {
        Form::<SendMessageRequest>::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad("body", crate::api::error::humane(&e.body_text())))?
            .0
    } else {
        Body::<SendMessageRequest>::from_request(req, &()).await?.0
    };
    let (m, replay) = blocking(move || {
        hub.send_idempotent(
            &actor,
            SendRequest {
                channel: body.channel,
                to: body.to,
                text: body.text,
                campaign: body.campaign.filter(|c| !c.is_empty()),
                agent: body.agent.filter(|a| !a.is_empty()),
            },
            key.as_deref(),
        )
    })
    .await?;
    let status = if replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(replayed((status, Json(m)).into_response(), replay))
}

/// Sends one text to many numbers and contact lists (a campaign): duplicates are ignored,
/// opted-out numbers skipped; the result lists what happened to each number. Takes an
/// `Idempotency-Key` like `POST /messages`. `Location` names the history entry
/// (`GET /bulk-messages/{id}`; not on a replay).
#[utoipa::path(post, path = "/api/v1/bulk-messages", tag = "messages", request_body = BulkRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "At most 128 characters; a retry with the same key (per tenant) within the hub's idempotency_ttl_hours (24 h by default) returns the first result; after it the same key sends again")),
    responses((status = 200, body = [BulkResult], headers(("Location" = String, description = "The bulk send's history entry"))), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_bulk(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    IdempotencyKey(key): IdempotencyKey,
    Body(req): Body<BulkRequest>,
) -> ApiResult<Response> {
    let sent = blocking(move || hub.send_bulk_idempotent(&actor, req, key.as_deref())).await?;
    let mut response = Json(sent.results).into_response();
    if let Some(id) = sent.id
        && let Ok(v) = HeaderValue::from_str(&format!("/api/v1/bulk-messages/{id}"))
    {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(replayed(response, sent.replay))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkOrgParam {
    /// Only this tenant's bulk sends.
    pub org: Option<Uuid>,
}

/// Bulk sends, newest first, with their delivery counts now (`q` searches the campaign and
/// the text). A `user` sees the ones they sent.
#[utoipa::path(get, path = "/api/v1/bulk-messages", tag = "messages", params(Paging, BulkOrgParam),
    responses((status = 200, body = PageOf<BulkSummary>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_bulk(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(o): Query<BulkOrgParam>,
) -> ApiResult<Json<PageOf<BulkSummary>>> {
    let page = p.request()?;
    let filter = TextFilter {
        org: o.org,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_bulk_sends(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// One bulk send with every recipient in request order: queued numbers with their message's
/// state now (sent, delivered, failed with its reason), `duplicate` ("Ignored"), `opted_out`.
#[utoipa::path(get, path = "/api/v1/bulk-messages/{id}", tag = "messages", params(("id" = Uuid, Path)),
    responses((status = 200, body = BulkDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_bulk(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<BulkDetail>> {
    Ok(Json(
        blocking(move || hub.bulk_send_detail(&actor, id)).await?,
    ))
}

/// One message (with its delivery state).
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages", params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_message(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Message>> {
    Ok(Json(blocking(move || hub.message(&actor, id)).await?))
}

/// Asks the message's gateway to cancel it before it is sent: `202` with the message as it
/// is now; `409` when it is already sent.
#[utoipa::path(post, path = "/api/v1/messages/{id}/cancel", tag = "messages", params(("id" = Uuid, Path)),
    responses((status = 202, body = Message), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cancel_message(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let m = blocking(move || hub.cancel_message(&actor, id)).await?;
    Ok((StatusCode::ACCEPTED, Json(m)))
}
