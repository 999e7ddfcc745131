//! Request handlers, one module per domain: read input, call one `Hub` method (which
//! authorizes), shape the output. Each module's `routes()` is merged in [`super::router`].

pub mod annotations;
pub mod api_keys;
pub mod auth;
pub mod campaigns;
pub mod channels;
pub mod contacts;
pub mod events;
pub mod floor;
pub mod gateways;
pub mod interactions;
pub mod lists;
pub mod messages;
pub mod notifications;
pub mod ops;
pub mod opt_outs;
pub mod orgs;
pub mod queues;
pub mod reports;
pub mod users;
pub mod webhooks;

pub(crate) type ApiResult<T> = Result<T, super::ApiError>;

/// `{"force": true}` style flags in the query string.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForceParam {
    /// End live interactions instead of refusing (the portal's "Force Operation").
    #[serde(default)]
    pub force: bool,
}
