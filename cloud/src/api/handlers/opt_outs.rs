//! Opt-outs: `GET/POST /opt-outs`, `DELETE /opt-outs/{id}`, `GET /opt-outs/changes`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::hub::Hub;
use crate::model::*;
use crate::store::TextFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/api/v1/opt-outs", get(list_opt_outs).post(create_opt_out))
        .route("/api/v1/opt-outs/changes", get(opt_out_changes))
        .route("/api/v1/opt-outs/{id}", delete(delete_opt_out))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOptOutRequest {
    pub org: Option<Uuid>,
    /// Any written form (read in the channel's country when given, else the tenant's).
    pub number: String,
    pub channel: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgParam {
    pub org: Option<Uuid>,
}

/// Numbers opted out of bulk messages. `q` searches the number.
#[utoipa::path(get, path = "/api/v1/opt-outs", tag = "opt-outs", params(Paging, OrgParam),
    responses((status = 200, body = PageOf<OptOut>)), security(("bearer" = [])))]
pub async fn list_opt_outs(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(o): Query<OrgParam>,
) -> ApiResult<Json<PageOf<OptOut>>> {
    let page = p.request()?;
    let filter = TextFilter {
        org: o.org,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_opt_outs(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Adds a number to the opt-out list by hand.
#[utoipa::path(post, path = "/api/v1/opt-outs", tag = "opt-outs", request_body = NewOptOutRequest,
    responses((status = 201, body = OptOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_opt_out(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewOptOutRequest>,
) -> ApiResult<(StatusCode, Json<OptOut>)> {
    let o = blocking(move || hub.add_opt_out(&actor, req.org, &req.number, req.channel)).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// Removes a number from the opt-out list.
#[utoipa::path(delete, path = "/api/v1/opt-outs/{id}", tag = "opt-outs", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_opt_out(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.remove_opt_out(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    pub org: Option<Uuid>,
    /// Changes after this version (default 0: from the start).
    #[serde(default)]
    pub since: i64,
    /// At most this many (default 500, at most 1000).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptOutChangeView {
    pub version: i64,
    pub number: String,
    /// `true` added, `false` removed.
    pub added: bool,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The tenant's opt-out change log, oldest first (what a gateway replays to hold the list).
#[utoipa::path(get, path = "/api/v1/opt-outs/changes", tag = "opt-outs", params(ChangesParams),
    responses((status = 200, body = [OptOutChangeView]), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn opt_out_changes(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(c): Query<ChangesParams>,
) -> ApiResult<Json<Vec<OptOutChangeView>>> {
    let log = blocking(move || hub.opt_out_changes(&actor, c.org, c.since, c.limit.unwrap_or(500)))
        .await?;
    Ok(Json(
        log.into_iter()
            .map(|c| OptOutChangeView {
                version: c.version,
                number: c.number,
                added: c.added,
                at: c.at,
            })
            .collect(),
    ))
}
