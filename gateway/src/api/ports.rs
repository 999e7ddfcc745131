//! Port endpoints:
//! - `GET /api/v1/ports?after=<port id>&limit=<n>` → `{"ports":[{port,state,reason,signal_dbm,
//!   operator,sim,counters,benched,balance}],"next":<port id>|null}` in port order, 100 a page
//!   by default (`next` is the `after` of the next page; `null` on the last one)
//! - `POST /api/v1/ports/{id}/reset` → `200 {"port","reset":true}` once the modem is re-initialised
//! - `POST /api/v1/ports/{id}/power-cycle` → `200 {"port","power_cycled":true}` once the modem's
//!   power was cut and restored (its power control); the port then opens it again (its state
//!   shows it coming back); 409 when no power control is wired for the port
//! - `POST /api/v1/ports/{id}/ussd` JSON `{"code"?}` (default `[ussd] balance_code`) →
//!   `200 {"port","code","text","status"}`

use super::ApiState;
use super::error::ApiError;
use crate::ports::PortCommandError;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

/// Longest a USSD or reset request may take before the API gives up waiting.
pub const PORT_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

impl From<PortCommandError> for ApiError {
    fn from(e: PortCommandError) -> Self {
        match e {
            PortCommandError::NoPort(_) => ApiError::NotFound(e.to_string()),
            PortCommandError::NoPowerControl { .. } => ApiError::NoPowerControl(e.to_string()),
            PortCommandError::Stopped(_) | PortCommandError::Failed { .. } => {
                ApiError::Conflict(e.to_string())
            }
        }
    }
}

/// `GET /api/v1/ports` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PortsQuery {
    /// Ports after this id (the `next` of the previous page).
    pub after: Option<u16>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Every port's state, a page at a time (by port id).
#[utoipa::path(get, path = "/api/v1/ports", tag = "ports", params(PortsQuery), responses((status = 200, body = PortList)))]
pub async fn list(
    State(st): State<ApiState>,
    q: Result<Query<PortsQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = q?;
    let limit = super::page_limit(q.limit)?;
    let mut ports: Vec<_> = st
        .port_control
        .statuses()
        .into_iter()
        .filter(|p| q.after.is_none_or(|a| p.port > a))
        .take(limit + 1)
        .collect();
    let next = if ports.len() > limit {
        ports.truncate(limit);
        ports.last().map(|p| p.port)
    } else {
        None
    };
    Ok(Json(PortList { ports, next }))
}

/// Every port's state.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PortList {
    /// By id.
    #[schema(value_type = Vec<crate::ports::supervision::SupervisorJson>)]
    pub ports: Vec<crate::ports::Supervisor>,
    /// The `after` of the next page (none on the last page).
    pub next: Option<u16>,
}

/// A USSD answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UssdReply {
    /// Port.
    pub port: u16,
    /// The code run.
    pub code: String,
    /// The network's text.
    pub text: Option<String>,
    /// `<m>` status as the modem gave it.
    pub status: String,
}

/// A reset done.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ResetDone {
    /// Port.
    pub port: u16,
    /// Always true.
    pub reset: bool,
}

/// Resets a modem and waits until it is re-initialised.
#[utoipa::path(post, path = "/api/v1/ports/{id}/reset", tag = "ports", params(("id" = u16, Path)),
    responses((status = 200, body = ResetDone), (status = 404), (status = 409, description = "the modem failed or is stopping")))]
pub async fn reset(
    State(st): State<ApiState>,
    Path(id): Path<u16>,
) -> Result<impl IntoResponse, ApiError> {
    tokio::time::timeout(PORT_COMMAND_TIMEOUT, st.port_control.reset(id))
        .await
        .map_err(|_| {
            ApiError::Conflict(format!("port {id}: the reset did not finish in time"))
        })??;
    Ok(Json(ResetDone {
        port: id,
        reset: true,
    }))
}

/// A power cycle done.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PowerCycleDone {
    /// Port.
    pub port: u16,
    /// Always true.
    pub power_cycled: bool,
}

/// Turns the modem off and on through its power control; the port then opens it again.
#[utoipa::path(post, path = "/api/v1/ports/{id}/power-cycle", tag = "ports", params(("id" = u16, Path)),
    responses((status = 200, body = PowerCycleDone), (status = 404), (status = 409, description = "code `no_power_control`: none is wired for the port; code `conflict`: it failed or did not finish in time")))]
pub async fn power_cycle(
    State(st): State<ApiState>,
    Path(id): Path<u16>,
) -> Result<impl IntoResponse, ApiError> {
    tokio::time::timeout(PORT_COMMAND_TIMEOUT, st.port_control.power_cycle(id))
        .await
        .map_err(|_| {
            ApiError::Conflict(format!("port {id}: the power cycle did not finish in time"))
        })??;
    Ok(Json(PowerCycleDone {
        port: id,
        power_cycled: true,
    }))
}

/// `POST /api/v1/ports/{id}/ussd` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UssdRequest {
    /// USSD code; default: `[ussd] balance_code`.
    pub code: Option<String>,
}

/// Runs a USSD code (default `[ussd] balance_code`) and answers with the network's text.
#[utoipa::path(post, path = "/api/v1/ports/{id}/ussd", tag = "ports", params(("id" = u16, Path)),
    request_body(content = Option<UssdRequest>),
    responses((status = 200, body = UssdReply), (status = 422, description = "names `code`"), (status = 409)))]
pub async fn ussd(
    State(st): State<ApiState>,
    Path(id): Path<u16>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: UssdRequest = if body.iter().all(u8::is_ascii_whitespace) {
        UssdRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("body: {e}")))?
    };
    let code = req
        .code
        .or_else(|| st.balance_code.as_deref().map(str::to_string))
        .ok_or_else(|| {
            ApiError::invalid(
                "code",
                "no code given and no [ussd] balance_code configured",
            )
        })?;
    let valid = !code.is_empty()
        && code.len() <= 160
        && code
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'));
    if !valid {
        return Err(ApiError::invalid(
            "code",
            "a USSD code is digits, '*', '#' and '+' (like *100#)",
        ));
    }
    let answer = tokio::time::timeout(PORT_COMMAND_TIMEOUT, st.port_control.ussd(id, &code))
        .await
        .map_err(|_| ApiError::Conflict(format!("port {id}: no USSD answer in time")))??;
    Ok(Json(UssdReply {
        port: id,
        code,
        text: answer.text,
        status: answer.status,
    }))
}
