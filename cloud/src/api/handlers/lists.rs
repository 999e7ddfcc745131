//! Contact lists: `GET/POST /contact-lists`, `GET/PATCH/DELETE /contact-lists/{id}`,
//! `GET/POST /contact-lists/{id}/members`, `DELETE /contact-lists/{id}/members/{contact}`,
//! `POST /contact-lists/{id}/import`.

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::ApiResult;
use super::contacts::upload;
use crate::api::extract::{Ids, PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::csv_import::MAX_BYTES;
use crate::hub::{Hub, ImportReport};
use crate::model::*;
use crate::store::{ContactFilter, TextFilter};

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/contact-lists", get(list_lists).post(create_list))
        .route(
            "/api/v1/contact-lists/{id}",
            get(get_list).patch(update_list).delete(delete_list),
        )
        .route(
            "/api/v1/contact-lists/{id}/members",
            get(list_members).post(add_members),
        )
        .route(
            "/api/v1/contact-lists/{id}/members/{contact}",
            delete(remove_member),
        )
        .route(
            "/api/v1/contact-lists/{id}/import",
            post(import_list).layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewListRequest {
    pub org: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateListRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMembersRequest {
    /// Contact ids of the list's tenant.
    pub contacts: Vec<Uuid>,
}

/// Contact lists in the caller's subtree. `q` searches name and description.
#[utoipa::path(get, path = "/api/v1/contact-lists", tag = "contacts", params(Paging),
    responses((status = 200, body = PageOf<ContactList>)), security(("bearer" = [])))]
pub async fn list_lists(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
) -> ApiResult<Json<PageOf<ContactList>>> {
    let page = p.request()?;
    let filter = TextFilter {
        org: None,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_contact_lists(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Creates a contact list.
#[utoipa::path(post, path = "/api/v1/contact-lists", tag = "contacts", request_body = NewListRequest,
    responses((status = 201, body = ContactList), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_list(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewListRequest>,
) -> ApiResult<(StatusCode, Json<ContactList>)> {
    let l = blocking(move || hub.create_contact_list(&actor, req.org, &req.name, &req.description))
        .await?;
    Ok((StatusCode::CREATED, Json(l)))
}

/// One contact list (with its member count).
#[utoipa::path(get, path = "/api/v1/contact-lists/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = ContactList), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_list(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<ContactList>> {
    Ok(Json(blocking(move || hub.contact_list(&actor, id)).await?))
}

/// Renames a list or changes its description.
#[utoipa::path(patch, path = "/api/v1/contact-lists/{id}", tag = "contacts", params(("id" = Uuid, Path)), request_body = UpdateListRequest,
    responses((status = 200, body = ContactList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_list(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UpdateListRequest>,
) -> ApiResult<Json<ContactList>> {
    Ok(Json(
        blocking(move || {
            hub.update_contact_list(&actor, id, req.name.as_deref(), req.description.as_deref())
        })
        .await?,
    ))
}

/// Deletes a list (its contacts stay).
#[utoipa::path(delete, path = "/api/v1/contact-lists/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_list(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_contact_list(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Members of a list. `q` searches number, name, business and e-mail.
#[utoipa::path(get, path = "/api/v1/contact-lists/{id}/members", tag = "contacts", params(("id" = Uuid, Path), Paging),
    responses((status = 200, body = PageOf<Contact>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_members(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(p): Query<Paging>,
) -> ApiResult<Json<PageOf<Contact>>> {
    let page = p.request()?;
    let filter = ContactFilter {
        org: None,
        list: Some(id),
        q: p.q(),
    };
    Ok(Json(
        blocking(move || {
            hub.contact_list(&actor, id)?;
            hub.list_contacts(&actor, &filter, &page)
        })
        .await?
        .into(),
    ))
}

/// Adds contacts to a list.
#[utoipa::path(post, path = "/api/v1/contact-lists/{id}/members", tag = "contacts", params(("id" = Uuid, Path)), request_body = AddMembersRequest,
    responses((status = 200, body = ContactList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_members(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<AddMembersRequest>,
) -> ApiResult<Json<ContactList>> {
    Ok(Json(
        blocking(move || hub.add_list_members(&actor, id, &req.contacts)).await?,
    ))
}

/// Removes a contact from a list.
#[utoipa::path(delete, path = "/api/v1/contact-lists/{id}/members/{contact}", tag = "contacts",
    params(("id" = Uuid, Path), ("contact" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_member(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Ids(id, contact): Ids,
) -> ApiResult<StatusCode> {
    blocking(move || hub.remove_list_member(&actor, id, contact)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports a CSV into a list (raw body or multipart `file`): new contacts are created, every
/// contact of the file joins the list. All or nothing, like `POST /contacts/import`.
#[utoipa::path(post, path = "/api/v1/contact-lists/{id}/import", tag = "contacts", params(("id" = Uuid, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_list(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    req: Request,
) -> ApiResult<Json<ImportReport>> {
    let bytes = upload(req).await?;
    Ok(Json(
        blocking(move || hub.import_into(&actor, None, Some(id), &bytes)).await?,
    ))
}
