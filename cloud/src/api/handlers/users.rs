//! Users: `GET/POST /users`, `GET/PATCH /users/{id}`, `POST /users/{id}/disconnect`,
//! `POST /users/{id}/state`. Users come with their `presence`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::hub::{Hub, NewUser, UserUpdate};
use crate::model::*;
use crate::store::UserFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
        .route("/api/v1/users/{id}/disconnect", post(disconnect_user))
        .route("/api/v1/users/{id}/state", post(set_user_state))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Organisation of the user (default: the caller's).
    pub org: Option<Uuid>,
    /// Unique, no spaces, at most 100 characters (case-insensitive).
    pub login: String,
    pub name: String,
    pub role: Role,
    /// 8 to 256 characters.
    pub password: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    pub org: Option<Uuid>,
    pub role: Option<Role>,
    pub state: Option<UserState>,
}

/// Users in the caller's subtree, oldest first, with presence. `q` searches login and name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(Paging, UserListParams),
    responses((status = 200, body = PageOf<UserView>)), security(("bearer" = [])))]
pub async fn list_users(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(f): Query<UserListParams>,
) -> ApiResult<Json<PageOf<UserView>>> {
    let page = p.request()?;
    let filter = UserFilter {
        org: f.org,
        role: f.role,
        state: f.state,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_users(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_user(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = blocking(move || {
        hub.create_user(
            &actor,
            NewUser {
                org_id: req.org,
                login: req.login,
                name: req.name,
                role: req.role,
                password: req.password,
            },
        )
    })
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// One user, with presence (`online`: the portal is open; `away`: logged in; `offline`).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_user(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<UserView>> {
    Ok(Json(blocking(move || hub.user_view(&actor, id)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    pub name: Option<String>,
    /// New password (ends the user's sessions).
    pub password: Option<String>,
    /// New role (needs the right to manage users; never your own).
    pub role: Option<Role>,
}

/// Edits a user (anyone may change their own name and password).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest, responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_user(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    let update = UserUpdate {
        name: req.name,
        password: req.password,
        role: req.role,
    };
    Ok(Json(
        blocking(move || hub.update_user(&actor, id, update)).await?,
    ))
}

/// Disconnects a user: ends all their sessions and event streams.
#[utoipa::path(post, path = "/api/v1/users/{id}/disconnect", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn disconnect_user(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.disconnect_user(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserStateRequest {
    /// `deactivated`, `archived` (deleted, restorable) or `active` (restore).
    pub state: UserState,
}

/// Deactivates, archives or restores a user.
#[utoipa::path(post, path = "/api/v1/users/{id}/state", tag = "users", params(("id" = Uuid, Path)),
    request_body = UserStateRequest, responses((status = 200, body = User), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_user_state(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UserStateRequest>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        blocking(move || hub.set_user_state(&actor, id, req.state)).await?,
    ))
}
