//! Diagnostics (behind the API's authentication):
//! - `GET /api/v1/box/logs?after=`: the gateway's recent log lines (secrets masked when kept,
//!   see [`crate::logs`]).
//! - `GET /api/v1/box/support-bundle`: one JSON file — the config and override file with every
//!   secret masked, port states, spool counts, the cloud link, disk and memory, the recent log
//!   lines.

use super::ApiState;
use super::box_views::{VERSION, cloud_view, rss_bytes, ui};
use super::error::ApiError;
use crate::logs::LogLine;
use crate::ui::{bundle, overrides};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// `GET /api/v1/box/logs` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// Only lines with a larger `seq` (the last one the client has).
    pub after: Option<u64>,
}

/// Recent log lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    /// Oldest first (at most the last 500 lines).
    pub lines: Vec<LogLine>,
    /// Whether this gateway keeps its log lines (the binary feeds the ring).
    pub kept: bool,
}

/// The gateway's recent log lines.
#[utoipa::path(get, path = "/api/v1/box/logs", tag = "box", params(LogsQuery),
    responses((status = 200, body = LogPage)))]
pub async fn logs(
    State(st): State<ApiState>,
    q: Result<Query<LogsQuery>, QueryRejection>,
) -> Result<Json<LogPage>, ApiError> {
    let Query(q) = q?;
    let ui = ui(&st)?;
    Ok(Json(LogPage {
        lines: ui
            .logs
            .as_ref()
            .map(|l| l.since(q.after.unwrap_or(0)))
            .unwrap_or_default(),
        kept: ui.logs.is_some(),
    }))
}

/// Downloads the support bundle.
#[utoipa::path(get, path = "/api/v1/box/support-bundle", tag = "box",
    responses((status = 200, description = "a JSON file (attachment): config with secrets masked, overrides, ports, spool counts, recent log lines")))]
pub async fn support_bundle(State(st): State<ApiState>) -> Result<Response, ApiError> {
    let ui = ui(&st)?.clone();
    let now = st.clock.now();
    let (counts, last_hour, backlog) = super::box_views::spool_summary(&st, now).await?;
    let config =
        serde_json::to_value(&*ui.file_config).map_err(|e| ApiError::Internal(e.to_string()))?;
    let overrides =
        overrides::load(&ui.overrides_path).map_err(|e| ApiError::Internal(e.to_string()))?;
    let states: Map<String, Value> = counts
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), Value::from(n)))
        .collect();
    let cloud = cloud_view(&ui, backlog);
    let doc = json!({
        "box": bundle::facts(VERSION, ui.uptime().as_secs(), now),
        "config": bundle::mask(&config),
        "overrides": bundle::mask(&Value::Object(overrides)),
        "ports": bundle::mask(&serde_json::to_value(st.port_control.statuses()).unwrap_or(Value::Null)),
        "spool": {"states": states, "last_hour": last_hour, "outbox_backlog": backlog},
        "cloud": bundle::mask(&serde_json::to_value(&cloud).unwrap_or(Value::Null)),
        "rss_bytes": rss_bytes(),
        "disk": crate::ui::host::disk_space(&ui.spool_path).map(|d| json!({"free_bytes": d.free, "total_bytes": d.total})),
        "logs": ui.logs.as_ref().map(|l| l.since(0)).unwrap_or_default(),
    });
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let name = format!("smsgate-support-{}.json", now.format("%Y%m%d-%H%M%S"));
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
