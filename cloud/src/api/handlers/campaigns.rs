//! Campaigns (issue 12): `GET/POST /campaigns`, `GET/PATCH/DELETE /campaigns/{id}`,
//! `POST /campaigns/{id}/action`, recipients (`import`, `from-list`, list, `unprocessed`),
//! `preview`, and the do-not-contact list (`/do-not-contact`).
//!
//! An upload (`POST /campaigns/{id}/recipients/import`: the raw body, or the `file` field of a
//! multipart form) is streamed to a temporary file as it arrives — never held in memory —
//! then read row by row on the blocking pool.

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::Query;
use crate::api::{ApiError, Authed, Body, ErrorBody, Id, blocking};
use crate::campaigns::export::{CampaignStats, ExportFormat};
use crate::campaigns::import::Format;
use crate::campaigns::ops::{CampaignAction, CampaignEdit, CampaignInput, CampaignView};
use crate::campaigns::upload::{FileKind, PreviewRow, UploadReport, UploadSpec};
use crate::campaigns::{Recipient, RecipientState};
use crate::hub::Hub;
use crate::store::campaigns::DncEntry;

/// Largest upload (a million-row CSV is ~50 MiB).
pub const MAX_UPLOAD: usize = 512 * 1024 * 1024;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route(
            "/api/v1/campaigns",
            get(list_campaigns).post(create_campaign),
        )
        .route(
            "/api/v1/campaigns/{id}",
            get(get_campaign)
                .patch(edit_campaign)
                .delete(delete_campaign),
        )
        .route("/api/v1/campaigns/{id}/action", post(campaign_action))
        .route(
            "/api/v1/campaigns/{id}/recipients/import",
            post(import_recipients).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/api/v1/campaigns/{id}/recipients/from-list",
            post(recipients_from_list),
        )
        .route("/api/v1/campaigns/{id}/recipients", get(list_recipients))
        .route(
            "/api/v1/campaigns/{id}/recipients/unprocessed",
            axum::routing::delete(delete_unprocessed),
        )
        .route("/api/v1/campaigns/{id}/preview", get(preview))
        .route("/api/v1/campaigns/{id}/stats", get(stats))
        .route("/api/v1/campaigns/{id}/export", get(export))
        .route("/api/v1/do-not-contact", get(list_dnc).post(add_dnc))
        .route("/api/v1/do-not-contact/remove", post(remove_dnc))
}

/// Campaigns in the caller's scope, newest first, with their counters.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<CampaignView>)), security(("bearer" = [])))]
pub async fn list_campaigns(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<CampaignView>>> {
    Ok(Json(blocking(move || hub.campaigns_list(&actor)).await?))
}

/// Creates a draft campaign.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignInput,
    responses((status = 201, body = CampaignView), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_campaign(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<CampaignInput>,
) -> ApiResult<(StatusCode, Json<CampaignView>)> {
    let c = blocking(move || hub.create_campaign(&actor, req)).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// One campaign with its dashboard figures.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_campaign(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<CampaignView>> {
    Ok(Json(blocking(move || hub.campaign_get(&actor, id)).await?))
}

/// Edits a draft or paused campaign (absent fields stay).
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = CampaignEdit,
    responses((status = 200, body = CampaignView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_campaign(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<CampaignEdit>,
) -> ApiResult<Json<CampaignView>> {
    Ok(Json(
        blocking(move || hub.edit_campaign(&actor, id, req)).await?,
    ))
}

/// Deletes a draft, completed or stopped campaign with its recipients.
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_campaign(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_campaign(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: CampaignAction,
}

/// Start, pause, resume or stop (`409` names why a state refuses it).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/action", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = ActionRequest,
    responses((status = 200, body = CampaignView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn campaign_action(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<ActionRequest>,
) -> ApiResult<Json<CampaignView>> {
    Ok(Json(
        blocking(move || hub.campaign_command(&actor, id, req.action)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `auto` (default), `dialer` (`campaign;destiny;message;priority`) or `mapped`.
    pub format: Option<Format>,
    /// The column of phone numbers in a mapped file (default `number`).
    pub number_column: Option<String>,
}

/// Streams the upload (raw body or multipart `file`) to a temporary file; `true` when it is
/// a spreadsheet (by content type, file name or its ZIP/OLE signature).
async fn spool_upload(req: Request, into: &std::path::Path) -> Result<bool, ApiError> {
    let too_large = || {
        ApiError::TooLarge(format!(
            "the file is larger than {} MiB",
            MAX_UPLOAD / (1024 * 1024)
        ))
    };
    let io = |e: std::io::Error| ApiError::Internal(format!("storing the upload: {e}"));
    let mut out = tokio::fs::File::create(into).await.map_err(io)?;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut sheet = ctype.contains("spreadsheet") || ctype.contains("excel");
    let mut first: Option<Vec<u8>> = None;
    if ctype.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad("file", e.body_text()))?;
        let mut found = false;
        while let Some(mut field) = form
            .next_field()
            .await
            .map_err(|e| ApiError::bad("file", e.body_text()))?
        {
            if field.name() != Some("file") {
                continue;
            }
            found = true;
            let fname = field.file_name().unwrap_or("").to_ascii_lowercase();
            sheet |= fname.ends_with(".xlsx") || fname.ends_with(".xls") || fname.ends_with(".ods");
            sheet |= field
                .content_type()
                .is_some_and(|c| c.contains("spreadsheet") || c.contains("excel"));
            while let Some(chunk) = field.chunk().await.map_err(|_| too_large())? {
                first.get_or_insert_with(|| chunk.iter().take(8).copied().collect());
                out.write_all(&chunk).await.map_err(io)?;
            }
            break;
        }
        if !found {
            return Err(ApiError::bad("file", "the form has no `file` field"));
        }
    } else {
        let mut stream = req.into_body().into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| too_large())?;
            first.get_or_insert_with(|| chunk.iter().take(8).copied().collect());
            out.write_all(&chunk).await.map_err(io)?;
        }
    }
    out.flush().await.map_err(io)?;
    let magic = first.unwrap_or_default();
    sheet |= magic.starts_with(b"PK\x03\x04") || magic.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    Ok(sheet)
}

/// Adds recipients from a CSV (dialer `campaign;destiny;message;priority`, or a header with a
/// `number` column and placeholder columns) or an XLSX sheet. All or nothing: every bad line
/// is listed in `error.details` (`line`, `field`, `message`).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/recipients/import", tag = "campaigns",
    params(("id" = Uuid, Path), ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = UploadReport), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_recipients(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(q): Query<ImportParams>,
    req: Request,
) -> ApiResult<Json<UploadReport>> {
    let file = tempfile::NamedTempFile::new()
        .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
    let sheet = spool_upload(req, file.path()).await?;
    let spec = UploadSpec {
        kind: if sheet { FileKind::Xlsx } else { FileKind::Csv },
        format: q.format.unwrap_or_default(),
        number_column: q.number_column.unwrap_or_else(|| "number".into()),
    };
    Ok(Json(
        blocking(move || {
            let r = hub.import_campaign_file(&actor, id, file.path(), &spec);
            drop(file);
            r
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromListRequest {
    pub list_id: Uuid,
}

/// Adds the members of a contact list (placeholders `number`, `name`, `business`, `email`,
/// `notes`).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/recipients/from-list", tag = "campaigns",
    params(("id" = Uuid, Path)), request_body = FromListRequest,
    responses((status = 200, body = UploadReport), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn recipients_from_list(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<FromListRequest>,
) -> ApiResult<Json<UploadReport>> {
    Ok(Json(
        blocking(move || hub.import_campaign_list(&actor, id, req.list_id)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecipientParams {
    pub state: Option<RecipientState>,
    /// The last `seq` of the previous page.
    pub after: Option<i64>,
    /// 1–1000 (default 100).
    pub limit: Option<usize>,
}

/// Recipients in upload order, optionally in one state.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/recipients", tag = "campaigns",
    params(("id" = Uuid, Path), RecipientParams),
    responses((status = 200, body = Vec<Recipient>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_recipients(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(q): Query<RecipientParams>,
) -> ApiResult<Json<Vec<Recipient>>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        blocking(move || hub.campaign_recipients(&actor, id, q.state, q.after.unwrap_or(0), limit))
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

/// Deletes every recipient not yet processed (not in a running campaign: pause it first).
#[utoipa::path(delete, path = "/api/v1/campaigns/{id}/recipients/unprocessed", tag = "campaigns",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Deleted), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_unprocessed(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Deleted>> {
    let deleted = blocking(move || hub.delete_unprocessed(&actor, id)).await?;
    Ok(Json(Deleted { deleted }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewParams {
    /// 1–100 (default 10).
    pub limit: Option<usize>,
}

/// The first rows as their recipients will get them.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/preview", tag = "campaigns",
    params(("id" = Uuid, Path), PreviewParams),
    responses((status = 200, body = Vec<PreviewRow>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn preview(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(q): Query<PreviewParams>,
) -> ApiResult<Json<Vec<PreviewRow>>> {
    Ok(Json(
        blocking(move || hub.campaign_preview(&actor, id, q.limit.unwrap_or(10))).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DncParams {
    pub org: Option<Uuid>,
}

/// The tenant's do-not-contact list.
#[utoipa::path(get, path = "/api/v1/do-not-contact", tag = "campaigns", params(DncParams),
    responses((status = 200, body = Vec<DncEntry>)), security(("bearer" = [])))]
pub async fn list_dnc(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(q): Query<DncParams>,
) -> ApiResult<Json<Vec<DncEntry>>> {
    Ok(Json(blocking(move || hub.dnc_list(&actor, q.org)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DncRequest {
    pub org: Option<Uuid>,
    pub numbers: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    pub added: usize,
}

/// Adds numbers to the do-not-contact list (a bad one is named `numbers[i]`).
#[utoipa::path(post, path = "/api/v1/do-not-contact", tag = "campaigns", request_body = DncRequest,
    responses((status = 200, body = Added), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_dnc(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<DncRequest>,
) -> ApiResult<Json<Added>> {
    let added = blocking(move || hub.dnc_add(&actor, req.org, &req.numbers)).await?;
    Ok(Json(Added { added }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DncRemoveRequest {
    pub org: Option<Uuid>,
    pub number: String,
}

/// Removes a number from the do-not-contact list.
#[utoipa::path(post, path = "/api/v1/do-not-contact/remove", tag = "campaigns", request_body = DncRemoveRequest,
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_dnc(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<DncRemoveRequest>,
) -> ApiResult<StatusCode> {
    blocking(move || hub.dnc_remove(&actor, req.org, &req.number)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Live figures: sends per minute over the last hour, the current rate, the estimated end.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = CampaignStats), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn stats(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<CampaignStats>> {
    Ok(Json(
        blocking(move || hub.campaign_stats(&actor, id)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// Every recipient with its state, reason and text, as CSV or XLSX (a download).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export", tag = "campaigns", params(("id" = Uuid, Path), ExportParams),
    responses((status = 200, description = "the file", content_type = "text/csv"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(q): Query<ExportParams>,
) -> ApiResult<axum::response::Response> {
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => ExportFormat::Csv,
        "xlsx" => ExportFormat::Xlsx,
        other => {
            return Err(ApiError::bad(
                "format",
                format!("{other:?} is not csv or xlsx"),
            ));
        }
    };
    let file = tempfile::NamedTempFile::new()
        .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
    let (file, name) = blocking(move || {
        let name = hub.export_campaign(&actor, id, format, file.path())?;
        Ok((file, name))
    })
    .await?;
    // Reopen the written file and stream it; the temporary path is removed at once (the open
    // descriptor keeps the data until the body is sent).
    let reader = tokio::fs::File::open(file.path())
        .await
        .map_err(|e| ApiError::Internal(format!("reading the export: {e}")))?;
    drop(file);
    let mime = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    axum::response::Response::builder()
        .header(header::CONTENT_TYPE, mime)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(body)
        .map_err(|e| ApiError::Internal(e.to_string()))
}
