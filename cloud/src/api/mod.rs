//! REST API (axum): `/api/v1/…`, plus `/health` and `/metrics`.
//!
//! - [`router`] is the one place routes are composed: each domain module of [`handlers`]
//!   returns its own `Router`; a front end (the portal's static assets) is added with
//!   [`router_with_fallback`].
//! - Authentication: `Authorization: Bearer sgs_…` (session token from `POST /auth/login`) or
//!   `Bearer sgk_…` (tenant API key), scheme in any case, or the `smsgate_session` cookie.
//! - Every handler gets an [`Authed`] actor and calls one `Hub` method (on the blocking pool:
//!   SQLite, argon2), which authorizes through the chokepoint.
//! - Errors: one shape, [`error::ErrorBody`], produced in one place ([`error::ApiError`]).
//! - Lists: cursor pages ([`extract::Paging`] → [`extract::PageOf`]).

pub mod error;
pub mod extract;
pub mod handlers;
pub mod openapi;

use axum::Router;

pub use error::{ApiError, ErrorBody};
pub use extract::{Authed, Body, Id, credential};

use crate::hub::{Hub, HubError};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "smsgate_session";

/// The API router (state applied).
pub fn router(hub: Hub) -> Router {
    use handlers::*;
    Router::new()
        .merge(ops::routes())
        .merge(auth::routes())
        .merge(orgs::routes())
        .merge(users::routes())
        .merge(gateways::routes())
        .merge(channels::routes())
        .merge(queues::routes())
        .merge(contacts::routes())
        .merge(lists::routes())
        .merge(interactions::routes())
        .merge(messages::routes())
        .merge(opt_outs::routes())
        .merge(api_keys::routes())
        .merge(events::routes())
        .merge(floor::routes())
        .merge(notifications::routes())
        .merge(annotations::routes())
        .merge(reports::routes())
        .merge(campaigns::routes())
        .merge(webhooks::routes())
        .route("/api/v1/openapi.json", axum::routing::get(openapi::serve))
        .layer(axum::middleware::from_fn_with_state(
            hub.clone(),
            count_requests,
        ))
        .with_state(hub)
}

/// Counts every API request by method and answer status
/// (`smsgate_hub_http_requests_total{method,status}` on `/metrics`).
async fn count_requests(
    axum::extract::State(hub): axum::extract::State<Hub>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    hub.metrics().record_request(&method, res.status().as_u16());
    res
}

/// [`router`] with a fallback for everything else (e.g. the portal's embedded assets). Unknown
/// `/api/…` paths still answer the API's 404.
pub fn router_with_fallback(hub: Hub, fallback: Router) -> Router {
    router(hub).fallback_service(fallback)
}

/// Runs a hub call on the blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, HubError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Hub)
}
