//! Request handlers: read input, call one `Hub` method (which authorizes), shape the output.

use std::convert::Infallible;

use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{ApiError, Authed, Body, Id, SESSION_COOKIE, blocking, credential};
use crate::hub::{
    BulkRequest, BulkResult, Hub, HubError, ImportReport, NewUser, ProvisionedGateway, SendRequest,
    TransferTo, UserUpdate,
};
use crate::model::*;

type ApiResult<T> = Result<T, ApiError>;

// ------------------------------------------------------------------------- auth

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Session token: send it as `Authorization: Bearer …` (also set as a cookie).
    pub token: String,
    pub user: User,
}

/// Logs in; returns a session token and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = super::ErrorBody)))]
pub async fn login(State(hub): State<Hub>, Body(req): Body<LoginRequest>) -> ApiResult<Response> {
    let secure = if hub.settings().cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let (token, user) = blocking(move || hub.login(&req.login, &req.password)).await?;
    let cookie =
        format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/api/v1{secure}");
    let mut resp = Json(LoginResponse { token, user }).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(State(hub): State<Hub>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = credential(&headers) {
        blocking(move || hub.logout(&token)).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "smsgate_session=; HttpOnly; SameSite=Strict; Path=/api/v1; Max-Age=0",
        ),
    );
    Ok(resp)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub org: Org,
    pub role: Role,
    /// Absent for API keys.
    pub user: Option<User>,
}

/// The caller: organisation, role, user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse)), security(("bearer" = [])))]
pub async fn me(State(hub): State<Hub>, Authed(actor): Authed) -> ApiResult<Json<MeResponse>> {
    let org = actor.org().clone();
    let role = actor.role();
    let user = blocking(move || hub.me(&actor)).await?;
    Ok(Json(MeResponse { org, role, user }))
}

// ------------------------------------------------------------------------- organisations

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrgRequest {
    /// Parent organisation (default: the caller's).
    pub parent: Option<Uuid>,
    pub name: String,
}

/// Resellers in the caller's subtree.
#[utoipa::path(get, path = "/api/v1/resellers", tag = "organisations",
    responses((status = 200, body = [Org])), security(("bearer" = [])))]
pub async fn list_resellers(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<Org>>> {
    let mut orgs = blocking(move || {
        let mut l1 = hub.orgs(&actor, Some(OrgKind::ResellerL1))?;
        l1.extend(hub.orgs(&actor, Some(OrgKind::ResellerL2))?);
        Ok(l1)
    })
    .await?;
    orgs.sort_by_key(|o| o.created_at);
    Ok(Json(orgs))
}

/// Creates a reseller: L1 under the platform, L2 under an L1 reseller.
#[utoipa::path(post, path = "/api/v1/resellers", tag = "organisations", request_body = NewOrgRequest,
    responses((status = 201, body = Org), (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)),
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
                return Err(HubError::Invalid {
                    field: "parent",
                    reason: "resellers go under the platform or an L1 reseller".into(),
                });
            }
        };
        hub.create_org(&actor, Some(parent.id), kind, &req.name)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(org)))
}

fn org_of_kind(org: Org, kinds: &[OrgKind]) -> Result<Org, HubError> {
    if kinds.contains(&org.kind) {
        Ok(org)
    } else {
        Err(HubError::NotFound)
    }
}

/// One reseller.
#[utoipa::path(get, path = "/api/v1/resellers/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Org), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_reseller(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Org>> {
    let org = blocking(move || {
        org_of_kind(
            hub.org(&actor, id)?,
            &[OrgKind::ResellerL1, OrgKind::ResellerL2],
        )
    })
    .await?;
    Ok(Json(org))
}

/// Tenants in the caller's subtree (a tenant user sees its own tenant).
#[utoipa::path(get, path = "/api/v1/tenants", tag = "organisations",
    responses((status = 200, body = [Org])), security(("bearer" = [])))]
pub async fn list_tenants(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<Org>>> {
    Ok(Json(
        blocking(move || hub.orgs(&actor, Some(OrgKind::Tenant))).await?,
    ))
}

/// Creates a tenant under the platform or a reseller.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "organisations", request_body = NewOrgRequest,
    responses((status = 201, body = Org), (status = 403, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create_tenant(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewOrgRequest>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    let org =
        blocking(move || hub.create_org(&actor, req.parent, OrgKind::Tenant, &req.name)).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// One tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "organisations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Org), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_tenant(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Org>> {
    Ok(Json(
        blocking(move || org_of_kind(hub.org(&actor, id)?, &[OrgKind::Tenant])).await?,
    ))
}

// ------------------------------------------------------------------------- users

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Organisation of the user (default: the caller's).
    pub org: Option<Uuid>,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// Users in the caller's subtree.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = [User])), security(("bearer" = [])))]
pub async fn list_users(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(blocking(move || hub.users(&actor)).await?))
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = User), (status = 422, body = super::ErrorBody)), security(("bearer" = [])))]
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

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_user(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<User>> {
    Ok(Json(blocking(move || hub.user(&actor, id)).await?))
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
    request_body = UpdateUserRequest, responses((status = 200, body = User), (status = 404, body = super::ErrorBody)),
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

/// Disconnects a user: ends all their sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/disconnect", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
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
    request_body = UserStateRequest, responses((status = 200, body = User), (status = 404, body = super::ErrorBody)),
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

// ------------------------------------------------------------------------- gateways

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGatewayRequest {
    pub name: String,
}

/// Registered gateways (platform operator).
#[utoipa::path(get, path = "/api/v1/gateways", tag = "gateways",
    responses((status = 200, body = [Gateway])), security(("bearer" = [])))]
pub async fn list_gateways(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<Gateway>>> {
    Ok(Json(blocking(move || hub.gateways(&actor)).await?))
}

/// Registers a gateway: returns its id, MQTT credentials (password shown once) and a
/// ready gateway config snippet.
#[utoipa::path(post, path = "/api/v1/gateways", tag = "gateways", request_body = NewGatewayRequest,
    responses((status = 201, body = ProvisionedGateway), (status = 403, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_gateway(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewGatewayRequest>,
) -> ApiResult<(StatusCode, Json<ProvisionedGateway>)> {
    let g = blocking(move || hub.create_gateway(&actor, &req.name)).await?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// One gateway.
#[utoipa::path(get, path = "/api/v1/gateways/{id}", tag = "gateways", params(("id" = Uuid, Path)),
    responses((status = 200, body = Gateway), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_gateway(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Gateway>> {
    Ok(Json(blocking(move || hub.gateway(&actor, id)).await?))
}

// ------------------------------------------------------------------------- channels

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewChannelRequest {
    pub gateway: Uuid,
    pub port: String,
    pub sim_number: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DistributeRequest {
    /// The organisation that receives the channel (a reseller or tenant of your subtree, or
    /// your own organisation to take it back).
    pub org: Uuid,
    /// End live interactions if any (otherwise the move is refused while they exist).
    #[serde(default)]
    pub force: bool,
}

/// Channels held in the caller's subtree.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = [Channel])), security(("bearer" = [])))]
pub async fn list_channels(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(blocking(move || hub.channels(&actor)).await?))
}

/// Declares a channel: a SIM number on a gateway port (platform operator).
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = NewChannelRequest,
    responses((status = 201, body = Channel), (status = 403, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewChannelRequest>,
) -> ApiResult<(StatusCode, Json<Channel>)> {
    let c = blocking(move || hub.create_channel(&actor, req.gateway, &req.port, &req.sim_number))
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = Uuid, Path)),
    responses((status = 200, body = Channel), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Channel>> {
    Ok(Json(blocking(move || hub.channel(&actor, id)).await?))
}

/// Hands a channel down the hierarchy (or takes it back).
#[utoipa::path(post, path = "/api/v1/channels/{id}/distribute", tag = "channels", params(("id" = Uuid, Path)),
    request_body = DistributeRequest,
    responses((status = 200, body = Channel), (status = 409, body = super::ErrorBody), (status = 404, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn distribute_channel(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<DistributeRequest>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        blocking(move || hub.distribute_channel(&actor, id, req.org, req.force)).await?,
    ))
}

/// Sets where the channel's inbound messages go: the tenant, a queue or a user.
#[utoipa::path(put, path = "/api/v1/channels/{id}/destination", tag = "channels", params(("id" = Uuid, Path)),
    request_body = Destination, responses((status = 200, body = Channel), (status = 422, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_destination(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(dest): Body<Destination>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        blocking(move || hub.set_destination(&actor, id, dest)).await?,
    ))
}

// ------------------------------------------------------------------------- queues

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewQueueRequest {
    pub org: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub members: Vec<QueueMember>,
}

/// Queues in the caller's subtree.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues",
    responses((status = 200, body = [Queue])), security(("bearer" = [])))]
pub async fn list_queues(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<Queue>>> {
    Ok(Json(blocking(move || hub.queues(&actor)).await?))
}

/// Creates a queue with its agents and managers.
#[utoipa::path(post, path = "/api/v1/queues", tag = "queues", request_body = NewQueueRequest,
    responses((status = 201, body = Queue), (status = 422, body = super::ErrorBody)), security(("bearer" = [])))]
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
    responses((status = 200, body = Queue), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_queue(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Queue>> {
    Ok(Json(blocking(move || hub.queue(&actor, id)).await?))
}

/// Replaces a queue's members.
#[utoipa::path(put, path = "/api/v1/queues/{id}/members", tag = "queues", params(("id" = Uuid, Path)),
    request_body = [QueueMember], responses((status = 200, body = Queue), (status = 422, body = super::ErrorBody)),
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

// ------------------------------------------------------------------------- contacts

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewContactRequest {
    pub org: Option<Uuid>,
    pub number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub business: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub notes: String,
}

impl NewContactRequest {
    fn into_contact(self) -> Contact {
        Contact {
            // Id, tenant and creation time are set by the hub.
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            number: self.number,
            name: self.name,
            business: self.business,
            email: self.email,
            notes: self.notes,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }
}

/// Contacts in the caller's subtree.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts",
    responses((status = 200, body = [Contact])), security(("bearer" = [])))]
pub async fn list_contacts(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<Contact>>> {
    Ok(Json(blocking(move || hub.contacts(&actor)).await?))
}

/// Adds a contact.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = NewContactRequest,
    responses((status = 201, body = Contact), (status = 409, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn create_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewContactRequest>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    let org = req.org;
    let contact = req.into_contact();
    let c = blocking(move || hub.create_contact(&actor, org, contact)).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Edits a contact.
#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    request_body = NewContactRequest, responses((status = 200, body = Contact), (status = 404, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(req): Body<NewContactRequest>,
) -> ApiResult<Json<Contact>> {
    let contact = req.into_contact();
    Ok(Json(
        blocking(move || hub.update_contact(&actor, id, contact)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportParams {
    /// Tenant to import into (default: the caller's).
    pub org: Option<Uuid>,
}

/// Imports contacts from a CSV body (`SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES`; the
/// header line is ignored). All or nothing; a bad line is named in the error.
#[utoipa::path(post, path = "/api/v1/contacts/import", tag = "contacts", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 422, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_contacts(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(q): Query<ImportParams>,
    body: String,
) -> ApiResult<Json<ImportReport>> {
    Ok(Json(
        blocking(move || hub.import_contacts(&actor, q.org, &body)).await?,
    ))
}

/// One contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Contact), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Contact>> {
    Ok(Json(blocking(move || hub.contact(&actor, id)).await?))
}

/// Deletes a contact.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.delete_contact(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------------- interactions

#[derive(Debug, Deserialize, IntoParams)]
pub struct InteractionFilter {
    /// Only interactions in this status.
    pub status: Option<InteractionStatus>,
}

/// Interactions visible to the caller, most recent first (agents and users: their own).
#[utoipa::path(get, path = "/api/v1/interactions", tag = "interactions", params(InteractionFilter),
    responses((status = 200, body = [Interaction])), security(("bearer" = [])))]
pub async fn list_interactions(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(f): Query<InteractionFilter>,
) -> ApiResult<Json<Vec<Interaction>>> {
    Ok(Json(
        blocking(move || hub.interactions(&actor, f.status)).await?,
    ))
}

/// One interaction.
#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = Interaction), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_interaction(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Interaction>> {
    Ok(Json(blocking(move || hub.interaction(&actor, id)).await?))
}

/// Messages of an interaction, oldest first.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/messages", tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Message]), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn list_interaction_messages(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Vec<Message>>> {
    Ok(Json(
        blocking(move || hub.interaction_messages(&actor, id)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReplyRequest {
    pub text: String,
}

/// Replies in an interaction (sets it `open`).
#[utoipa::path(post, path = "/api/v1/interactions/{id}/messages", tag = "interactions", params(("id" = Uuid, Path)),
    request_body = ReplyRequest, responses((status = 201, body = Message), (status = 404, body = super::ErrorBody)),
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
    request_body = StatusRequest, responses((status = 200, body = Interaction), (status = 404, body = super::ErrorBody)),
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
    request_body = ReadRequest, responses((status = 200, body = Interaction), (status = 404, body = super::ErrorBody)),
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
    request_body = TransferRequest, responses((status = 200, body = Interaction), (status = 422, body = super::ErrorBody)),
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
        _ => {
            return Err(ApiError::BadInput {
                field: "user".into(),
                reason: "give exactly one of user or queue".into(),
            });
        }
    };
    Ok(Json(blocking(move || hub.transfer(&actor, id, to)).await?))
}

/// Who the conversation can be transferred to: the active team members and the queues of its
/// tenant (names and roles only), for anyone who may transfer it.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/transfer-targets", tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = crate::hub::TransferTargets), (status = 404, body = super::ErrorBody)),
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

// ------------------------------------------------------------------------- messages

/// `POST /api/v1/messages` body: `{"channel"?, "to", "text"}`, or the SendSMS form shape
/// `destination`, `message`, `campaign`, `agent` (JSON or `application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendMessageRequest {
    /// Channel to send from (default: the caller's channel, or the tenant's first).
    pub channel: Option<Uuid>,
    /// Recipient number (`destination` in the SendSMS form).
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

/// Sends an SMS through a tenant channel.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages",
    request_body(content(
        (SendMessageRequest = "application/json"),
        (SendMessageRequest = "application/x-www-form-urlencoded")
    )),
    responses((status = 201, body = Message), (status = 403, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody), (status = 422, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_message(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    req: Request,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body: SendMessageRequest = if is_form {
        Form::<SendMessageRequest>::from_request(req, &())
            .await
            .map_err(|e| ApiError::BadInput {
                field: "body".into(),
                reason: e.body_text(),
            })?
            .0
    } else {
        Body::<SendMessageRequest>::from_request(req, &()).await?.0
    };
    let m = blocking(move || {
        hub.send(
            &actor,
            SendRequest {
                channel: body.channel,
                to: body.to,
                text: body.text,
                campaign: body.campaign.filter(|c| !c.is_empty()),
                agent: body.agent.filter(|a| !a.is_empty()),
            },
        )
    })
    .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// Sends one text to many numbers (a campaign): duplicates are ignored, opted-out numbers
/// skipped; the result lists what happened to each number.
#[utoipa::path(post, path = "/api/v1/bulk-messages", tag = "messages", request_body = BulkRequest,
    responses((status = 200, body = [BulkResult]), (status = 403, body = super::ErrorBody),
        (status = 422, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_bulk(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<BulkRequest>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    Ok(Json(blocking(move || hub.send_bulk(&actor, req)).await?))
}

/// One message (with its delivery state).
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages", params(("id" = Uuid, Path)),
    responses((status = 200, body = Message), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn get_message(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<Json<Message>> {
    Ok(Json(blocking(move || hub.message(&actor, id)).await?))
}

/// Asks the message's gateway to cancel it before it is sent: `202` with the message as it
/// is now (it becomes `cancelled` when the gateway applies the cancel; a gateway already
/// sending it refuses, recorded as the message's `error`); `409` when it is already sent.
#[utoipa::path(post, path = "/api/v1/messages/{id}/cancel", tag = "messages", params(("id" = Uuid, Path)),
    responses((status = 202, body = Message), (status = 404, body = super::ErrorBody),
        (status = 409, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn cancel_message(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let m = blocking(move || hub.cancel_message(&actor, id)).await?;
    Ok((StatusCode::ACCEPTED, Json(m)))
}

// ------------------------------------------------------------------------- opt-outs

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOptOutRequest {
    pub org: Option<Uuid>,
    pub number: String,
    pub channel: Option<Uuid>,
}

/// Numbers opted out of bulk messages.
#[utoipa::path(get, path = "/api/v1/opt-outs", tag = "opt-outs",
    responses((status = 200, body = [OptOut])), security(("bearer" = [])))]
pub async fn list_opt_outs(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<OptOut>>> {
    Ok(Json(blocking(move || hub.opt_outs(&actor)).await?))
}

/// Adds a number to the opt-out list by hand.
#[utoipa::path(post, path = "/api/v1/opt-outs", tag = "opt-outs", request_body = NewOptOutRequest,
    responses((status = 201, body = OptOut), (status = 409, body = super::ErrorBody)), security(("bearer" = [])))]
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
    responses((status = 204), (status = 404, body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn delete_opt_out(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    blocking(move || hub.remove_opt_out(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------------- API keys

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKeyRequest {
    pub org: Option<Uuid>,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKeyResponse {
    pub key: ApiKey,
    /// The secret (`sgk_…`), shown once: send it as `Authorization: Bearer …`.
    pub secret: String,
}

/// API keys of the tenants in scope.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    responses((status = 200, body = [ApiKey])), security(("bearer" = [])))]
pub async fn list_api_keys(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Json<Vec<ApiKey>>> {
    Ok(Json(blocking(move || hub.api_keys(&actor)).await?))
}

/// Creates a tenant API key.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = NewApiKeyRequest,
    responses((status = 201, body = NewApiKeyResponse), (status = 403, body = super::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_api_key(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Body(req): Body<NewApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<NewApiKeyResponse>)> {
    let (key, secret) = blocking(move || hub.create_api_key(&actor, req.org, &req.name)).await?;
    Ok((StatusCode::CREATED, Json(NewApiKeyResponse { key, secret })))
}

// ------------------------------------------------------------------------- events

/// Server-sent events: `message_created`, `message_updated`, `interaction_updated` (data:
/// JSON `EventKind`), for what the caller may see; `lagged` when the stream fell behind.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", body = crate::hub::EventKind)),
    security(("bearer" = [])))]
pub async fn events(
    State(hub): State<Hub>,
    Authed(actor): Authed,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let rx = hub.subscribe_events();
    let filter = blocking(move || hub.event_filter(&actor)).await?;
    let stream = futures::stream::unfold((rx, filter), |(mut rx, filter)| async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    if !filter.admits(&e) {
                        continue;
                    }
                    let name = match &e.kind {
                        crate::hub::EventKind::MessageCreated { .. } => "message_created",
                        crate::hub::EventKind::MessageUpdated { .. } => "message_updated",
                        crate::hub::EventKind::InteractionUpdated { .. } => "interaction_updated",
                    };
                    let data = serde_json::to_string(&e.kind).unwrap_or_default();
                    return Some((Ok(Event::default().event(name).data(data)), (rx, filter)));
                }
                Err(RecvError::Lagged(n)) => {
                    return Some((
                        Ok(Event::default().event("lagged").data(n.to_string())),
                        (rx, filter),
                    ));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
