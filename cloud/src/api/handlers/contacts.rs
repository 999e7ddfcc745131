//! Contacts: `GET/POST /contacts`, `POST /contacts/import`, `GET/PUT/DELETE /contacts/{id}`.
//! Imports take the CSV as the raw body (`text/csv`) or as the `file` field of a
//! `multipart/form-data` upload (`curl -F file=@contacts.csv`).

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{ApiError, Authed, Body, ErrorBody, Id, blocking};
use crate::csv_import::MAX_BYTES;
use crate::hub::contacts::ContactInput;
use crate::hub::{Hub, ImportReport};
use crate::model::*;
use crate::store::ContactFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/contacts", get(list_contacts).post(create_contact))
        .route("/api/v1/contacts/export", get(export_contacts))
        .route(
            "/api/v1/contacts/import",
            post(import_contacts).layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)),
        )
        .route(
            "/api/v1/contacts/{id}",
            get(get_contact).put(update_contact).delete(delete_contact),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewContactRequest {
    pub org: Option<Uuid>,
    /// Any written form; national numbers are read in the tenant's country. Stored in E.164.
    pub number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub business: String,
    /// Checked as an e-mail address when given.
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub notes: String,
}

impl NewContactRequest {
    fn input(self) -> (Option<Uuid>, ContactInput) {
        (
            self.org,
            ContactInput {
                number: self.number,
                name: self.name,
                business: self.business,
                email: self.email,
                notes: self.notes,
            },
        )
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactListParams {
    pub org: Option<Uuid>,
    /// Only members of this contact list.
    pub list: Option<Uuid>,
}

/// Contacts in the caller's subtree. `q` searches number, name, business and e-mail.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(Paging, ContactListParams),
    responses((status = 200, body = PageOf<Contact>)), security(("bearer" = [])))]
pub async fn list_contacts(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(f): Query<ContactListParams>,
) -> ApiResult<Json<PageOf<Contact>>> {
    let page = p.request()?;
    let filter = ContactFilter {
        org: f.org,
        list: f.list,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_contacts(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Adds a contact.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = NewContactRequest,
    responses((status = 201, body = Contact), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewContactRequest>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    let (org, input) = req.input();
    let c = blocking(move || hub.create_contact(&actor, org, input)).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Edits a contact.
#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    request_body = NewContactRequest, responses((status = 200, body = Contact), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<NewContactRequest>,
) -> ApiResult<Json<Contact>> {
    let (_, input) = req.input();
    Ok(Json(
        blocking(move || hub.update_contact(&actor, id, input)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Tenant to import into (default: the caller's).
    pub org: Option<Uuid>,
}

/// The bytes of an upload: the `file` field of a multipart form, else the raw body.
pub async fn upload(req: Request) -> Result<Vec<u8>, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let too_large = || {
        ApiError::TooLarge(format!(
            "the file is larger than {} MiB",
            MAX_BYTES / (1024 * 1024)
        ))
    };
    if !multipart {
        let bytes = axum::body::Bytes::from_request(req, &())
            .await
            .map_err(|_| too_large())?;
        return Ok(bytes.to_vec());
    }
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::bad("file", e.body_text()))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad("file", e.body_text()))?
    {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            return Ok(bytes.to_vec());
        }
    }
    Err(ApiError::bad("file", "the form has no `file` field"))
}

/// Imports contacts from CSV (`SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES`; header optional;
/// commas or semicolons; quoted fields) sent as the raw body or a multipart `file` field. All
/// or nothing: every bad line (number, e-mail, shape) is listed in `error.details`.
#[utoipa::path(post, path = "/api/v1/contacts/import", tag = "contacts", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_contacts(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(q): Query<ImportParams>,
    req: Request,
) -> ApiResult<Json<ImportReport>> {
    let bytes = upload(req).await?;
    Ok(Json(
        blocking(move || hub.import_contacts(&actor, q.org, &bytes)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Tenant to export (default: the caller's).
    pub org: Option<Uuid>,
    /// Only the members of this contact list.
    pub list: Option<Uuid>,
}

/// The tenant's contacts (or one list's) as CSV in the import's columns
/// (`SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES`); recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/contacts/export", tag = "contacts", params(ExportParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export_contacts(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(q): Query<ExportParams>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let (name, bytes) = blocking(move || hub.export_contacts(&actor, q.org, q.list)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    ))
}

/// One contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Contact>> {
    Ok(Json(blocking(move || hub.contact(&actor, id)).await?))
}

/// Deletes a contact.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_contact(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
