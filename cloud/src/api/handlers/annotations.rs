//! Notes, labels, canned replies, transcripts: `GET/POST /interactions/{id}/notes`,
//! `GET/PUT /interactions/{id}/labels`, `GET /labels`, `GET/POST /canned-replies`,
//! `PUT/DELETE /canned-replies/{id}`, `GET /interactions/{id}/transcript.pdf`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::Query;
use crate::api::{ApiError, Authed, Body, ErrorBody, Id, blocking};
use crate::floor::records::{CannedReply, LabelCount, Note};
use crate::hub::Hub;
use crate::hub::canned::CannedInput;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route(
            "/api/v1/interactions/{id}/notes",
            get(list_notes).post(add_note),
        )
        .route(
            "/api/v1/interactions/{id}/labels",
            get(get_labels).put(put_labels),
        )
        .route("/api/v1/interactions/{id}/transcript.pdf", get(transcript))
        .route("/api/v1/labels", get(labels))
        .route(
            "/api/v1/canned-replies",
            get(list_canned).post(create_canned),
        )
        .route(
            "/api/v1/canned-replies/{id}",
            put(update_canned).delete(delete_canned),
        )
}

/// Internal notes of a conversation, oldest first (never sent to the customer).
#[utoipa::path(get, path = "/api/v1/interactions/{id}/notes", tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Note]), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_notes(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Vec<Note>>> {
    Ok(Json(blocking(move || hub.notes(&actor, id)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteBody {
    pub text: String,
}

/// Adds an internal note.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/notes", tag = "interactions", params(("id" = Uuid, Path)), request_body = NoteBody,
    responses((status = 201, body = Note), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_note(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(b): Body<NoteBody>,
) -> ApiResult<(StatusCode, Json<Note>)> {
    let n = blocking(move || hub.add_note(&actor, id, &b.text)).await?;
    Ok((StatusCode::CREATED, Json(n)))
}

/// A conversation's labels.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/labels", tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = [String]), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_labels(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(blocking(move || hub.labels_of(&actor, id)).await?))
}

/// Replaces a conversation's labels (at most 10, 32 characters each).
#[utoipa::path(put, path = "/api/v1/interactions/{id}/labels", tag = "interactions", params(("id" = Uuid, Path)), request_body = [String],
    responses((status = 200, body = [String]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_labels(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(b): Body<Vec<String>>,
) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(blocking(move || hub.set_labels(&actor, id, b)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// A tenant (resellers); default: the caller's.
    pub org: Option<Uuid>,
}

/// Labels used in the tenant, with counts (filter conversations with `GET /interactions?label=`).
#[utoipa::path(get, path = "/api/v1/labels", tag = "interactions", params(OrgQuery),
    responses((status = 200, body = [LabelCount])), security(("bearer" = [])))]
pub async fn labels(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(o): Query<OrgQuery>,
) -> ApiResult<Json<Vec<LabelCount>>> {
    Ok(Json(blocking(move || hub.labels(&actor, o.org)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TranscriptParams {
    /// IANA zone the times are written in (default UTC).
    pub tz: Option<String>,
}

/// The conversation as PDF: tenant, channel, contact, every message with its time and delivery
/// state, internal notes marked as such.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/transcript.pdf", tag = "interactions", params(("id" = Uuid, Path), TranscriptParams),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn transcript(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(p): Query<TranscriptParams>,
) -> ApiResult<impl IntoResponse> {
    let tz = super::reports::zone(p.tz.as_deref())?;
    let pdf = blocking(move || hub.transcript_pdf(&actor, id, tz)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"transcript-{id}.pdf\""),
            ),
        ],
        pdf,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CannedParams {
    /// Only the replies that apply to this conversation (the tenant's and its queue's).
    pub interaction: Option<Uuid>,
    pub org: Option<Uuid>,
    /// Search title and text.
    pub q: Option<String>,
}

/// Canned replies (search with `q`; with `interaction`, those that apply to it).
#[utoipa::path(get, path = "/api/v1/canned-replies", tag = "canned replies", params(CannedParams),
    responses((status = 200, body = [CannedReply])), security(("bearer" = [])))]
pub async fn list_canned(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<CannedParams>,
) -> ApiResult<Json<Vec<CannedReply>>> {
    Ok(Json(
        blocking(move || hub.canned_replies(&actor, p.interaction, p.org, p.q.as_deref())).await?,
    ))
}

/// Creates a canned reply (tenant-wide, or for `queue_id`).
#[utoipa::path(post, path = "/api/v1/canned-replies", tag = "canned replies", request_body = CannedInput,
    responses((status = 201, body = CannedReply), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_canned(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(b): Body<CannedInput>,
) -> ApiResult<(StatusCode, Json<CannedReply>)> {
    let c = blocking(move || hub.create_canned_reply(&actor, b)).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Changes a canned reply.
#[utoipa::path(put, path = "/api/v1/canned-replies/{id}", tag = "canned replies", params(("id" = Uuid, Path)), request_body = CannedInput,
    responses((status = 200, body = CannedReply), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_canned(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(b): Body<CannedInput>,
) -> ApiResult<Json<CannedReply>> {
    Ok(Json(
        blocking(move || hub.update_canned_reply(&actor, id, b)).await?,
    ))
}

/// Deletes a canned reply.
#[utoipa::path(delete, path = "/api/v1/canned-replies/{id}", tag = "canned replies", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_canned(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_canned_reply(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[allow(dead_code)]
fn _assert_error(_: ApiError) {}
