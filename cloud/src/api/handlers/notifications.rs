//! Notifications: `GET/PUT /notifications/settings`, `GET /notifications/log`,
//! `GET /notifications/contacts`, `PUT /notifications/contacts/{user}`.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ApiResult;
use crate::api::extract::{PageOf, Paging, Query};
use crate::api::{Authed, Body, ErrorBody, Id, blocking};
use crate::floor::records::{NotificationLogEntry, NotificationSettings, NotifyContact};
use crate::hub::Hub;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route(
            "/api/v1/notifications/settings",
            get(get_settings).put(put_settings),
        )
        .route("/api/v1/notifications/log", get(log))
        .route("/api/v1/notifications/contacts", get(contacts))
        .route("/api/v1/notifications/contacts/{id}", put(put_contact))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantParam {
    /// A tenant (resellers); default: the caller's.
    pub org: Option<Uuid>,
}

/// The tenant's notification settings.
#[utoipa::path(get, path = "/api/v1/notifications/settings", tag = "notifications", params(TenantParam),
    responses((status = 200, body = NotificationSettings), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_settings(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(t): Query<TenantParam>,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(
        blocking(move || hub.notification_settings(&actor, t.org)).await?,
    ))
}

/// Saves the settings whole (a bad field is named: `recipients[1].email`, `delay_minutes` …).
#[utoipa::path(put, path = "/api/v1/notifications/settings", tag = "notifications", params(TenantParam), request_body = NotificationSettings,
    responses((status = 200, body = NotificationSettings), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_settings(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(t): Query<TenantParam>,
    Body(s): Body<NotificationSettings>,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(
        blocking(move || hub.set_notification_settings(&actor, t.org, s)).await?,
    ))
}

/// Notifications sent, newest first, with their delivery status (e-mail accepted / refused
/// with the server's answer / failed; SMS queued / sent / delivered / failed).
#[utoipa::path(get, path = "/api/v1/notifications/log", tag = "notifications", params(Paging, TenantParam),
    responses((status = 200, body = PageOf<NotificationLogEntry>)), security(("bearer" = [])))]
pub async fn log(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(p): Query<Paging>,
    Query(t): Query<TenantParam>,
) -> ApiResult<Json<PageOf<NotificationLogEntry>>> {
    let page = p.request()?;
    Ok(Json(
        blocking(move || hub.notification_log(&actor, t.org, &page))
            .await?
            .into(),
    ))
}

/// Escalation contacts of the tenant's managers and admins.
#[utoipa::path(get, path = "/api/v1/notifications/contacts", tag = "notifications", params(TenantParam),
    responses((status = 200, body = [NotifyContact])), security(("bearer" = [])))]
pub async fn contacts(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Query(t): Query<TenantParam>,
) -> ApiResult<Json<Vec<NotifyContact>>> {
    Ok(Json(
        blocking(move || hub.notify_contacts(&actor, t.org)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactBody {
    pub email: Option<String>,
    pub mobile: Option<String>,
}

/// Sets where a manager or tenant admin is reached by escalations.
#[utoipa::path(put, path = "/api/v1/notifications/contacts/{id}", tag = "notifications", params(("id" = Uuid, Path)), request_body = ContactBody,
    responses((status = 200, body = NotifyContact), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_contact(
    State(hub): State<Hub>,
    Authed(actor): Authed,
    Id(id): Id,
    Body(b): Body<ContactBody>,
) -> ApiResult<Json<NotifyContact>> {
    Ok(Json(
        blocking(move || hub.set_notify_contact(&actor, id, b.email, b.mobile)).await?,
    ))
}
