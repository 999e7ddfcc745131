//! Resellers and tenants: `GET/POST /resellers`, `GET/PATCH/DELETE /resellers/{id}`, the same
//! for `/tenants`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{ApiResult, ForceParam};
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::hub::organisations::{NewOrg, OrgUpdate};
use crate::hub::{Hub, HubError};
use crate::model::*;
use crate::store::OrgFilter;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route(
            "/api/v1/resellers",
            get(list_resellers).post(create_reseller),
        )
        .route(
            "/api/v1/resellers/{id}",
            get(get_reseller)
                .patch(update_reseller)
                .delete(delete_reseller),
        )
        .route("/api/v1/tenants", get(list_tenants).post(create_tenant))
        .route(
            "/api/v1/tenants/{id}",
            get(get_tenant).patch(update_tenant).delete(delete_tenant),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrgRequest {
    /// Parent organisation (default: the caller's).
    pub parent: Option<Uuid>,
    /// Unique among the parent's organisations (case-insensitive), at most 200 characters.
    pub name: String,
    /// ISO 3166 alpha-2 country: national numbers of the tenant are read in it.
    pub country: Option<String>,
    /// The tenant's type (a label, at most 50 characters).
    #[serde(rename = "type")]
    pub org_type: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateOrgRequest {
    pub name: Option<String>,
    /// `""` clears it.
    pub country: Option<String>,
    /// `""` clears it.
    #[serde(rename = "type")]
    pub org_type: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgListParams {
    /// Only direct children of this organisation.
    pub parent: Option<Uuid>,
}

fn org_of_kind(org: Org, kinds: &[OrgKind]) -> Result<Org, HubError> {
    if kinds.contains(&org.kind) {
        Ok(org)
    } else {
        Err(HubError::NotFound)
    }
}

const RESELLERS: &[OrgKind] = &[OrgKind::ResellerL1, OrgKind::ResellerL2];
const TENANTS: &[OrgKind] = &[OrgKind::Tenant];

async fn list(
    hub: Hub,
    actor: crate::authz::Actor,
    kinds: &'static [OrgKind],
    p: Paging,
    f: OrgListParams,
) -> ApiResult<Json<PageOf<Org>>> {
    let page = p.request()?;
    let filter = OrgFilter {
        kinds: kinds.to_vec(),
        parent: f.parent,
        q: p.q(),
    };
    Ok(Json(
        blocking(move || hub.list_orgs(&actor, &filter, &page))
            .await?
            .into(),
    ))
}

/// Resellers in the caller's subtree, oldest first. `q` searches the name.
#[utoipa::path(get, path = "/api/v1/resellers", tag = "organisations", params(Paging, OrgListParams),
    responses((status = 200, body = PageOf<Org>)), security(("bearer" = [])))]
pub async fn list_resellers(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(f): Query<OrgListParams>,
) -> ApiResult<Json<PageOf<Org>>> {
    list(hub, actor, RESELLERS, p, f).await
}

/// Creates a reseller: L1 under the platform, L2 under an L1 reseller.
#[utoipa::path(post, path = "/api/v1/resellers", tag = "organisations", request_body = NewOrgRequest,
    responses((status = 201, body = Org), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_reseller(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewOrgRequest>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    let org = blocking(move || {
        let parent = match req.parent {
            Some(p) => hub.org(&actor, p)?,
            None => actor.org().clone(),
        };
        let kind = match parent.kind {
            OrgKind::Platform => OrgKind::ResellerL1,
            OrgKind::ResellerL1 => OrgKind::ResellerL2,
            _ => {
                return Err(crate::hub::error::invalid(
                    "parent",
                    "resellers go under the platform or an L1 reseller",
                ));
            }
        };
        hub.create_org_with(
            &actor,
            kind,
            NewOrg {
                parent: Some(parent.id),
                name: req.name,
                country: req.country,
                org_type: req.org_type,
            },
        )
    })
    .await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// One reseller.
#[utoipa::path(get, path = "/api/v1/resellers/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Org), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_reseller(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Org>> {
    Ok(Json(
        blocking(move || org_of_kind(hub.org(&actor, id)?, RESELLERS)).await?,
    ))
}

async fn update(
    hub: Hub,
    actor: crate::authz::Actor,
    id: Uuid,
    kinds: &'static [OrgKind],
    req: UpdateOrgRequest,
) -> ApiResult<Json<Org>> {
    Ok(Json(
        blocking(move || {
            org_of_kind(hub.org(&actor, id)?, kinds)?;
            hub.update_org(
                &actor,
                id,
                OrgUpdate {
                    name: req.name,
                    country: req.country,
                    org_type: req.org_type,
                },
            )
        })
        .await?,
    ))
}

async fn delete(
    hub: Hub,
    actor: crate::authz::Actor,
    id: Uuid,
    kinds: &'static [OrgKind],
    force: bool,
) -> ApiResult<StatusCode> {
    blocking(move || {
        org_of_kind(hub.org(&actor, id)?, kinds)?;
        hub.delete_org(&actor, id, force)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Renames a reseller (unique among its siblings).
#[utoipa::path(patch, path = "/api/v1/resellers/{id}", tag = "organisations", params(("id" = Uuid, Path)), request_body = UpdateOrgRequest,
    responses((status = 200, body = Org), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_reseller(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UpdateOrgRequest>,
) -> ApiResult<Json<Org>> {
    update(hub, actor, id, RESELLERS, req).await
}

/// Deletes a reseller without organisations under it; its channels go back to its parent.
#[utoipa::path(delete, path = "/api/v1/resellers/{id}", tag = "organisations", params(("id" = Uuid, Path), ForceParam),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_reseller(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(f): Query<ForceParam>,
) -> ApiResult<StatusCode> {
    delete(hub, actor, id, RESELLERS, f.force).await
}

/// Tenants in the caller's subtree (a tenant user sees its own tenant). `q` searches the name.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "organisations", params(Paging, OrgListParams),
    responses((status = 200, body = PageOf<Org>)), security(("bearer" = [])))]
pub async fn list_tenants(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(f): Query<OrgListParams>,
) -> ApiResult<Json<PageOf<Org>>> {
    list(hub, actor, TENANTS, p, f).await
}

/// Creates a tenant under the platform or a reseller.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "organisations", request_body = NewOrgRequest,
    responses((status = 201, body = Org), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_tenant(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewOrgRequest>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    let org = blocking(move || {
        hub.create_org_with(
            &actor,
            OrgKind::Tenant,
            NewOrg {
                parent: req.parent,
                name: req.name,
                country: req.country,
                org_type: req.org_type,
            },
        )
    })
    .await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// One tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Org), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_tenant(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Org>> {
    Ok(Json(
        blocking(move || org_of_kind(hub.org(&actor, id)?, TENANTS)).await?,
    ))
}

/// Edits a tenant: name (unique among its siblings), type, country.
#[utoipa::path(patch, path = "/api/v1/tenants/{id}", tag = "organisations", params(("id" = Uuid, Path)), request_body = UpdateOrgRequest,
    responses((status = 200, body = Org), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_tenant(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<UpdateOrgRequest>,
) -> ApiResult<Json<Org>> {
    update(hub, actor, id, TENANTS, req).await
}

/// Deletes a tenant and everything it holds; its channels go back to its parent. Refused
/// (409) while it has live interactions, unless `force=true` ends them.
#[utoipa::path(delete, path = "/api/v1/tenants/{id}", tag = "organisations", params(("id" = Uuid, Path), ForceParam),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_tenant(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Query(f): Query<ForceParam>,
) -> ApiResult<StatusCode> {
    delete(hub, actor, id, TENANTS, f.force).await
}
