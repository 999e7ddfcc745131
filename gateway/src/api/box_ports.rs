//! The box UI's port endpoints (behind the API's authentication):
//! - `GET /api/v1/box/ports/settings`: every port's settings as they run (PIN shown only as set).
//! - `PATCH /api/v1/box/ports/{id}/settings`: change an AT port's device, baud, flow control,
//!   profile, PIN, SMSC or text mode — validated with the config file's rules (every refused
//!   field named, nothing changed), written to the override file, then applied: the port's
//!   worker restarts with them while the gateway runs on. The PIN is never given back.
//! - `GET /api/v1/box/ports/{id}/at-log?after=<seq>`: the port's recent AT traffic.
//! - `GET /api/v1/box/ports/{id}/at-log/events`: the same, live (Server-Sent Events `lines`).

use super::ApiState;
use super::box_views::{FieldProblem, refused, text_of, ui};
use super::error::ApiError;
use crate::ports::atlog::AtLine;
use crate::ui::{bundle, port_overrides};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use smsgate_config::gateway::{Device, PortConfig};
use std::time::Duration;
use utoipa::ToSchema;

/// A port's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortSettings {
    /// Port id.
    pub id: u16,
    /// `serial`, `tcp` (ser2net / Dinstar AT mode) or `dinstar_http`.
    pub kind: String,
    /// Device path or URL (passwords masked).
    pub device: String,
    /// Serial speed.
    pub baud: Option<u32>,
    /// Flow control.
    pub flow_control: Option<String>,
    /// Vendor profile.
    pub profile: Option<String>,
    /// A SIM PIN is configured (never shown).
    pub pin_set: bool,
    /// SMS centre override.
    pub smsc: Option<String>,
    /// Text mode.
    pub text_mode: bool,
    /// Groups the port is in.
    pub groups: Vec<String>,
    /// The settings can be changed here (AT ports; a Dinstar HTTP port's are its device's).
    pub editable: bool,
    /// Fields that differ from gateway.toml (kept in the override file).
    pub overridden: Vec<String>,
}

/// Every port's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortSettingsList {
    /// By id.
    pub ports: Vec<PortSettings>,
}

fn view(
    st: &ApiState,
    file: &[PortConfig],
    running: &[PortConfig],
    p: &PortConfig,
) -> PortSettings {
    PortSettings {
        id: p.id,
        kind: match p.device {
            Device::Serial(_) => "serial".into(),
            Device::Tcp { .. } => "tcp".into(),
        },
        device: bundle::mask_url_password(&String::from(p.device.clone())),
        baud: Some(p.baud),
        flow_control: text_of(&p.flow_control),
        profile: text_of(&p.profile),
        pin_set: p.pin.is_some(),
        smsc: p.smsc.clone(),
        text_mode: p.text_mode,
        groups: groups_of(st, p.id),
        editable: true,
        overridden: port_overrides::overridden(file, running, p.id),
    }
}

fn groups_of(st: &ApiState, id: u16) -> Vec<String> {
    st.groups
        .iter()
        .filter(|g| g.ports.contains(&id))
        .map(|g| g.name.clone())
        .collect()
}

/// Every port's settings, as they run.
#[utoipa::path(get, path = "/api/v1/box/ports/settings", tag = "box", responses((status = 200, body = PortSettingsList)))]
pub async fn port_settings(State(st): State<ApiState>) -> Result<Json<PortSettingsList>, ApiError> {
    let ui = ui(&st)?;
    let running = ui.current_ports();
    let file = &ui.file_config.ports;
    let mut ports: Vec<PortSettings> = running
        .iter()
        .map(|p| view(&st, file, &running, p))
        .collect();
    for d in &ui.file_config.dinstar_http {
        for (id, _) in d.gateway_ids() {
            ports.push(PortSettings {
                id,
                kind: "dinstar_http".into(),
                device: bundle::mask_url_password(&d.url),
                baud: None,
                flow_control: None,
                profile: None,
                pin_set: false,
                smsc: None,
                text_mode: false,
                groups: groups_of(&st, id),
                editable: false,
                overridden: Vec::new(),
            });
        }
    }
    ports.sort_by_key(|p| p.id);
    Ok(Json(PortSettingsList { ports }))
}

/// `PATCH /api/v1/box/ports/{id}/settings` body: the fields to change (`null` removes the PIN
/// or the SMSC override).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PortPatch {
    /// Serial device path (`/dev/ttyUSB0`) or `tcp://host:port`.
    pub device: Option<String>,
    /// Serial speed (1200 … 921600).
    pub baud: Option<u32>,
    /// `none`, `hardware` or `software`.
    pub flow_control: Option<String>,
    /// `generic`, `huawei`, `zte`, `quectel`, `simcom`, `sierra`, `wavecom` or `dinstar`.
    pub profile: Option<String>,
    /// SIM PIN, 4 to 8 digits (`null`: none). Never given back.
    pub pin: Option<String>,
    /// SMS centre number (`null`: the SIM's).
    pub smsc: Option<String>,
    /// Use SMS text mode.
    pub text_mode: Option<bool>,
}

/// Changes an AT port's settings: validated as `config check` would, saved, applied (the port
/// restarts with them).
#[utoipa::path(patch, path = "/api/v1/box/ports/{id}/settings", tag = "box", request_body = PortPatch,
    params(("id" = u16, Path, description = "port id")),
    responses((status = 200, body = PortSettings), (status = 404), (status = 409, description = "not an AT port"),
        (status = 422, description = "every refused field in `details`, nothing changed")))]
pub async fn patch_port(
    State(st): State<ApiState>,
    Path(id): Path<u16>,
    body: Result<Json<Map<String, Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ui = ui(&st)?.clone();
    let Json(body) = body?;
    let Some(live) = ui.ports.clone() else {
        return Err(ApiError::Conflict(
            "port settings cannot change on this gateway".into(),
        ));
    };
    let _edit = ui.edits.lock().await;
    let current = live.borrow().clone();
    if !current.iter().any(|p| p.id == id) {
        return Err(
            if ui
                .file_config
                .dinstar_http
                .iter()
                .any(|d| d.gateway_ids().any(|(g, _)| g == id))
            {
                ApiError::Conflict(format!(
                    "port {id} is a Dinstar HTTP port: its settings are the device's ([[dinstar_http]])"
                ))
            } else {
                ApiError::NotFound(format!("port {id} is not configured"))
            },
        );
    }
    let mut problems = Vec::new();
    let mut patch = Map::new();
    for (field, v) in body {
        if port_overrides::PORT_FIELDS.contains(&field.as_str()) {
            patch.insert(format!("ports.{id}.{field}"), v);
        } else {
            problems.push(FieldProblem {
                message: format!(
                    "cannot be changed here (fields: {})",
                    port_overrides::PORT_FIELDS.join(", ")
                ),
                field,
            });
        }
    }
    if patch.is_empty() && problems.is_empty() {
        problems.push(FieldProblem {
            field: "body".into(),
            message: "nothing to change".into(),
        });
    }
    if !problems.is_empty() {
        return Ok(refused(problems));
    }
    let next = match port_overrides::apply(&ui.file_config, &current, &patch) {
        Ok(next) => next,
        Err(errors) => {
            let prefix = format!("ports.{id}.");
            return Ok(refused(
                errors
                    .into_iter()
                    .map(|e| FieldProblem {
                        field: e.key.strip_prefix(&prefix).unwrap_or(&e.key).to_owned(),
                        message: e.reason,
                    })
                    .collect(),
            ));
        }
    };
    let groups = ui
        .groups
        .as_ref()
        .map_or_else(|| st.running_groups.to_vec(), |g| g.borrow().clone());
    let (path, file, to_save) = (
        ui.overrides_path.clone(),
        ui.file_config.clone(),
        ui.next_settings(Some(groups), Some(next.clone()), None),
    );
    tokio::task::spawn_blocking(move || to_save.save(&path, &file))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("{}: {e}", ui.overrides_path.display())))?;
    live.send_replace(next.clone());
    // Field names only: a PIN never reaches the log.
    let fields: Vec<&str> = patch
        .keys()
        .filter_map(|k| k.rsplit_once('.').map(|(_, f)| f))
        .collect();
    tracing::info!(
        port = id,
        ?fields,
        "box UI: port settings changed; the port restarts"
    );
    let p = next
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::Internal(format!("port {id} vanished")))?;
    Ok(Json(view(&st, &ui.file_config.ports, &next, p)).into_response())
}

/// `GET /api/v1/box/ports/{id}/at-log` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AtLogQuery {
    /// Only lines after this sequence number (the last `seq` you have).
    pub after: Option<u64>,
}

/// A port's recent AT traffic.
#[derive(Debug, Serialize, ToSchema)]
pub struct AtLogPage {
    /// Port.
    pub port: u16,
    /// Oldest first (at most the last 200 lines), PINs and passwords masked.
    pub lines: Vec<AtLine>,
}

fn at_log_of(st: &ApiState, id: u16) -> Result<crate::ports::atlog::AtLog, ApiError> {
    st.port_control.at_log(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "port {id} has no AT log (not an AT port of this gateway)"
        ))
    })
}

/// The last AT commands, answers and URCs of a port.
#[utoipa::path(get, path = "/api/v1/box/ports/{id}/at-log", tag = "box", params(("id" = u16, Path), AtLogQuery),
    responses((status = 200, body = AtLogPage), (status = 404, description = "not an AT port")))]
pub async fn at_log(
    State(st): State<ApiState>,
    Path(id): Path<u16>,
    q: Result<Query<AtLogQuery>, QueryRejection>,
) -> Result<Json<AtLogPage>, ApiError> {
    let Query(q) = q?;
    let log = at_log_of(&st, id)?;
    Ok(Json(AtLogPage {
        port: id,
        lines: log.since(q.after),
    }))
}

/// The AT log, live (Server-Sent Events `lines`, data `{"port","lines":[…]}`: every kept line
/// at once, then the new ones as they come).
#[utoipa::path(get, path = "/api/v1/box/ports/{id}/at-log/events", tag = "box", params(("id" = u16, Path)),
    responses((status = 200, description = "text/event-stream: `lines` events", content_type = "text/event-stream"), (status = 404)))]
pub async fn at_log_events(
    State(st): State<ApiState>,
    Path(id): Path<u16>,
) -> Result<Response, ApiError> {
    let log = at_log_of(&st, id)?;
    let changes = log.subscribe();
    let stream = futures_util::stream::unfold(
        (log, changes, None::<u64>, true),
        move |(log, mut changes, last, first)| async move {
            loop {
                let lines = log.since(last);
                if first || !lines.is_empty() {
                    let last = lines.last().map(|l| l.seq).or(last);
                    let data =
                        serde_json::to_string(&AtLogPage { port: id, lines }).unwrap_or_default();
                    let ev = Event::default().event("lines").data(data);
                    return Some((
                        Ok::<_, std::convert::Infallible>(ev),
                        (log, changes, last, false),
                    ));
                }
                if changes.changed().await.is_err() {
                    return None;
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
