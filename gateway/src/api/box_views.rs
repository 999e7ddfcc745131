//! The box UI's views (all behind the API's authentication):
//! - `GET /api/v1/box/dashboard`: the box at a glance.
//! - `GET /api/v1/box/events`: Server-Sent Events; `ports` (every port's state) at once and on
//!   every change (looked at each second and on every board change), keep-alive every 15 s.
//! - `GET /api/v1/box/messages?state=a,b&q=&before=&limit=`: spool search, newest first.
//! - `GET /api/v1/box/inbound/latest`: the latest received SMS of each port.
//! - the ports' settings and AT logs: [`super::box_ports`].
//! - `GET /api/v1/box/groups`, `PATCH /api/v1/box/groups/{name}`: group settings; a change is
//!   validated with the config file's rules (the words of `config check`), written to the
//!   override file, then applied live — whole or not at all.
//! - the support bundle and recent logs: [`super::box_diag`].

use super::ApiState;
use super::error::ApiError;
use crate::spool::browse::{Activity, MessageFilter, MessageRow};
use crate::spool::{InboundMessage, MessageState};
use crate::ui::{Ui, bundle, overrides};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use smsgate_config::gateway::GroupConfig;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// The gateway's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub(super) fn ui(st: &ApiState) -> Result<&Arc<Ui>, ApiError> {
    st.ui
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("the box UI is not enabled on this gateway".into()))
}

/// Messages in one state.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateCount {
    /// State.
    pub state: MessageState,
    /// Messages.
    pub count: u64,
}

/// The cloud link as the dashboard shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloudView {
    /// A `[cloud]` section is configured.
    pub configured: bool,
    /// `off`, `connecting`, `connected`, `disconnected` or `stopped`.
    pub state: String,
    /// Why it is disconnected (the link's words).
    pub detail: Option<String>,
    /// Connections since start.
    pub connections: u64,
    /// Events waiting for the hub's receipt.
    pub outbox_backlog: u64,
    /// When the hub last receipted outbox events (since start).
    pub last_receipt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The hub's MQTT URL (credentials masked).
    pub url: Option<String>,
    /// The gateway id at the hub.
    pub gateway_id: Option<String>,
}

/// `GET /api/v1/box/dashboard`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    /// Gateway version.
    pub version: String,
    /// Seconds since start.
    pub uptime_s: u64,
    /// Start time.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Messages per state (every state).
    pub states: Vec<StateCount>,
    /// The last hour.
    pub last_hour: Activity,
    /// Ports configured.
    pub ports_total: u32,
    /// Ports that can send now.
    pub ports_ready: u32,
    /// The cloud link.
    pub cloud: CloudView,
    /// Size of the spool files (database + WAL), bytes.
    pub spool_bytes: u64,
    /// Free space on the spool's file system, bytes (`statvfs`: what the gateway may still
    /// write).
    pub disk_free_bytes: Option<u64>,
    /// Size of the spool's file system, bytes.
    pub disk_total_bytes: Option<u64>,
    /// Resident memory of the gateway process, bytes (Linux).
    pub rss_bytes: Option<u64>,
}

fn file_size(p: &std::path::Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Resident memory of the gateway process (see [`crate::ui::host::rss_bytes`]).
pub fn rss_bytes() -> Option<u64> {
    crate::ui::host::rss_bytes()
}

pub(super) fn cloud_view(ui: &Ui, backlog: u64) -> CloudView {
    let c = ui.current_cloud();
    let configured = c.url.is_some();
    let control = ui.cloud.get();
    let status = control.and_then(|c| c.status());
    let (state, detail, connections) = match status {
        None if configured && control.is_none() => ("connecting".to_owned(), None, 0),
        None if configured => ("stopped".to_owned(), None, 0),
        None => ("off".to_owned(), None, 0),
        Some(smsgate_mqtt::LinkStatus::Connecting) => ("connecting".into(), None, 0),
        Some(smsgate_mqtt::LinkStatus::Connected(n)) => ("connected".into(), None, n),
        Some(smsgate_mqtt::LinkStatus::Disconnected(why)) => ("disconnected".into(), Some(why), 0),
        Some(smsgate_mqtt::LinkStatus::Stopped) => ("stopped".into(), None, 0),
    };
    CloudView {
        configured,
        state,
        detail,
        connections,
        outbox_backlog: backlog,
        last_receipt_at: control.and_then(|c| c.activity().last_receipt()),
        url: c.url.as_deref().map(bundle::mask_url_password),
        gateway_id: c.gateway_id.clone(),
    }
}

/// Messages per state, the last hour's activity, the outbox backlog.
pub(super) type SpoolSummary = (Vec<(MessageState, u64)>, Activity, u64);

/// The spool at a glance for the dashboard and the support bundle, in one spool call: messages
/// per state, sends and failures in the hour before `now`, and the outbox backlog.
pub(super) async fn spool_summary(
    st: &ApiState,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SpoolSummary, ApiError> {
    let hour_ago = now - chrono::Duration::hours(1);
    Ok(st
        .spool
        .call(move |db| {
            Ok((
                db.state_counts()?,
                db.activity_since(hour_ago)?,
                db.outbox_backlog()?,
            ))
        })
        .await?)
}

/// The box at a glance.
#[utoipa::path(get, path = "/api/v1/box/dashboard", tag = "box", responses((status = 200, body = Dashboard)))]
pub async fn dashboard(State(st): State<ApiState>) -> Result<Json<Dashboard>, ApiError> {
    let ui = ui(&st)?.clone();
    let (counts, last_hour, backlog) = spool_summary(&st, st.clock.now()).await?;
    let states = MessageState::ALL
        .iter()
        .map(|s| StateCount {
            state: *s,
            count: counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n),
        })
        .collect();
    let ports = st.port_control.statuses();
    let ready = ports
        .iter()
        .filter(|p| p.state.can_send() && !p.benched)
        .count();
    let wal = {
        let mut s = ui.spool_path.clone().into_os_string();
        s.push("-wal");
        std::path::PathBuf::from(s)
    };
    let spool_path = ui.spool_path.clone();
    let disk = tokio::task::spawn_blocking(move || crate::ui::host::disk_space(&spool_path))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(Dashboard {
        version: VERSION.into(),
        uptime_s: ui.uptime().as_secs(),
        started_at: ui.started_at,
        states,
        last_hour,
        ports_total: u32::try_from(ports.len()).unwrap_or(u32::MAX),
        ports_ready: u32::try_from(ready).unwrap_or(u32::MAX),
        cloud: cloud_view(&ui, backlog),
        spool_bytes: file_size(&ui.spool_path) + file_size(&wal),
        disk_free_bytes: disk.map(|d| d.free),
        disk_total_bytes: disk.map(|d| d.total),
        rss_bytes: rss_bytes(),
    }))
}

/// Live port states (Server-Sent Events, event `ports`, data `{"ports":[…]}`).
#[utoipa::path(get, path = "/api/v1/box/events", tag = "box",
    responses((status = 200, description = "text/event-stream: `ports` events", content_type = "text/event-stream")))]
pub async fn events(State(st): State<ApiState>) -> Result<Response, ApiError> {
    ui(&st)?;
    let ports = st.port_control.clone();
    let changes = ports.subscribe();
    let state = (ports, changes, String::new(), true);
    let stream =
        futures_util::stream::unfold(state, |(ports, mut changes, last, first)| async move {
            let mut last = last;
            let mut first = first;
            loop {
                let now = serde_json::to_string(&json!({ "ports": ports.statuses() }))
                    .unwrap_or_default();
                if first || now != last {
                    first = false;
                    last = now.clone();
                    let ev = Event::default().event("ports").data(now);
                    return Some((
                        Ok::<_, std::convert::Infallible>(ev),
                        (ports, changes, last, first),
                    ));
                }
                match changes.as_mut() {
                    Some(rx) => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), rx.changed()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
        });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// `GET /api/v1/box/messages` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Comma-separated states (`queued,unknown`); default all.
    pub state: Option<String>,
    /// Text in the number, the text or the campaign, or `#id`.
    pub q: Option<String>,
    /// Ids below this (the `next` of the previous page).
    pub before: Option<i64>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<u32>,
}

/// A page of messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    /// Newest first.
    pub messages: Vec<MessageRow>,
    /// `before` of the next page, when there may be one.
    pub next: Option<i64>,
}

/// Searches the spool.
#[utoipa::path(get, path = "/api/v1/box/messages", tag = "box", params(MessagesQuery),
    responses((status = 200, body = MessagePage), (status = 422, description = "names the field")))]
pub async fn messages(
    State(st): State<ApiState>,
    q: Result<Query<MessagesQuery>, QueryRejection>,
) -> Result<Json<MessagePage>, ApiError> {
    let Query(q) = q?;
    let mut states = Vec::new();
    for s in q
        .state
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        states.push(MessageState::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "state",
                format!(
                    "unknown state {s:?} (states: {})",
                    MessageState::ALL.map(MessageState::as_str).join(", ")
                ),
            )
        })?);
    }
    let limit = match q.limit {
        None => 100,
        Some(n @ 1..=crate::spool::browse::MAX_ROWS) => n,
        Some(_) => return Err(ApiError::invalid("limit", "must be between 1 and 500")),
    };
    if q.q.as_deref().is_some_and(|s| s.len() > 200) {
        return Err(ApiError::invalid("q", "must be at most 200 characters"));
    }
    let f = MessageFilter {
        states,
        search: q.q,
        before: q.before,
        limit,
    };
    let rows = st.spool.call(move |db| db.list_messages(&f)).await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|m| m.id))
        .flatten();
    Ok(Json(MessagePage {
        messages: rows,
        next,
    }))
}

/// The latest received SMS per port.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestInbound {
    /// Newest first, at most 5 per port.
    pub messages: Vec<InboundMessage>,
}

/// The latest received SMS of each port.
#[utoipa::path(get, path = "/api/v1/box/inbound/latest", tag = "box", responses((status = 200, body = LatestInbound)))]
pub async fn inbound_latest(State(st): State<ApiState>) -> Result<Json<LatestInbound>, ApiError> {
    let messages = st.spool.call(|db| db.latest_inbound_per_port(5)).await?;
    Ok(Json(LatestInbound { messages }))
}

/// A serialised enum's text (`"round-robin"`).
pub(super) fn text_of<T: Serialize>(v: &T) -> Option<String> {
    match serde_json::to_value(v).ok()? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A group's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    /// Name.
    pub name: String,
    /// Ports, dial-string style.
    pub ports: String,
    /// `round-robin`, `least-used` or `sticky`.
    pub strategy: String,
    /// Pacing, ms.
    pub interval_ms: u64,
    /// Random extra delay, ms.
    pub jitter_ms: u64,
    /// Per-SIM cap per hour.
    pub max_per_hour: Option<u32>,
    /// Per-SIM cap per day.
    pub max_per_day: Option<u32>,
    /// Per-SIM cap per month.
    pub max_per_month: Option<u32>,
    /// `08:00-20:00`, or none for any hour.
    pub sending_hours: Option<String>,
    /// IANA time zone.
    pub timezone: String,
    /// Fields that differ from gateway.toml (kept in the override file).
    pub overridden: Vec<String>,
    /// Fields changed that take effect at the next start.
    pub pending_restart: Vec<String>,
}

/// Every group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    /// In configuration order.
    pub groups: Vec<GroupView>,
}

fn group_views(ui: &Ui, groups: &[GroupConfig], running: &[GroupConfig]) -> Vec<GroupView> {
    let d = overrides::diff(&ui.file_config.groups, groups);
    let restart = overrides::diff(running, groups);
    groups
        .iter()
        .map(|g| {
            let prefix = format!("groups.{}.", g.name);
            let fields = |m: &Map<String, Value>| -> Vec<String> {
                m.keys()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .map(str::to_owned)
                    .collect()
            };
            GroupView {
                name: g.name.clone(),
                ports: text_of(&g.ports).unwrap_or_default(),
                strategy: text_of(&g.strategy).unwrap_or_default(),
                interval_ms: g.interval_ms,
                jitter_ms: g.jitter_ms,
                max_per_hour: g.max_per_hour,
                max_per_day: g.max_per_day,
                max_per_month: g.max_per_month,
                sending_hours: g.sending_hours.map(|h| h.to_string()),
                timezone: g.timezone.0.name().to_owned(),
                overridden: fields(&d),
                pending_restart: fields(&restart)
                    .into_iter()
                    .filter(|f| overrides::RESTART_FIELDS.contains(&f.as_str()))
                    .collect(),
            }
        })
        .collect()
}

fn current_groups(st: &ApiState, ui: &Ui) -> Vec<GroupConfig> {
    match &ui.groups {
        Some(g) => g.borrow().clone(),
        None => st.running_groups.to_vec(),
    }
}

/// Every group's settings.
#[utoipa::path(get, path = "/api/v1/box/groups", tag = "box", responses((status = 200, body = GroupList)))]
pub async fn groups(State(st): State<ApiState>) -> Result<Json<GroupList>, ApiError> {
    let ui = ui(&st)?;
    let groups = current_groups(&st, ui);
    Ok(Json(GroupList {
        groups: group_views(ui, &groups, &st.running_groups),
    }))
}

/// `PATCH /api/v1/box/groups/{name}` body: the fields to change (`null` removes a cap or the
/// sending hours). `ports` and `strategy` take effect at the next start.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct GroupPatch {
    /// Dial string (`0-3`, `(0.3)`, `0,2,5`).
    pub ports: Option<String>,
    /// `round-robin`, `least-used` or `sticky`.
    pub strategy: Option<String>,
    /// Pacing, ms.
    pub interval_ms: Option<u64>,
    /// Random extra delay, ms.
    pub jitter_ms: Option<u64>,
    /// Per-SIM cap per hour (`null`: none).
    pub max_per_hour: Option<u32>,
    /// Per-SIM cap per day (`null`: none).
    pub max_per_day: Option<u32>,
    /// Per-SIM cap per month (`null`: none).
    pub max_per_month: Option<u32>,
    /// `08:00-20:00` (`null`: any hour).
    pub sending_hours: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
}

/// One refused field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field (as in the request).
    pub field: String,
    /// The config file's words.
    pub message: String,
}

fn field_of(key: &str) -> String {
    key.rsplit_once('.').map_or(key, |(_, f)| f).to_owned()
}

pub(super) fn refused(problems: Vec<FieldProblem>) -> Response {
    let first = problems.first().map(|p| p.field.clone());
    let message = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ");
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": {"code": "invalid_field", "message": format!("nothing changed: {message}"), "field": first, "details": problems}})),
    )
        .into_response()
}

/// Changes a group: validated as `config check` would, saved to the override file, applied.
#[utoipa::path(patch, path = "/api/v1/box/groups/{name}", tag = "box", request_body = GroupPatch,
    params(("name" = String, Path, description = "group name")),
    responses((status = 200, body = GroupList), (status = 422, description = "every refused field in `details`, nothing changed")))]
pub async fn patch_group(
    State(st): State<ApiState>,
    Path(name): Path<String>,
    body: Result<Json<Map<String, Value>>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ui = ui(&st)?.clone();
    let Json(body) = body?;
    let Some(settings) = ui.groups.clone() else {
        return Err(ApiError::Conflict(
            "group settings cannot change on this gateway".into(),
        ));
    };
    let _edit = ui.edits.lock().await;
    let current = settings.borrow().clone();
    if !current.iter().any(|g| g.name == name) {
        return Err(ApiError::NotFound(format!("no group named {name:?}")));
    }
    let allowed: Vec<&str> = crate::dispatch::live::LIVE_FIELDS
        .iter()
        .chain(overrides::RESTART_FIELDS.iter())
        .copied()
        .collect();
    let mut problems = Vec::new();
    let mut patch = Map::new();
    for (field, v) in body {
        if allowed.contains(&field.as_str()) {
            patch.insert(format!("groups.{name}.{field}"), v);
        } else {
            problems.push(FieldProblem {
                field: field.clone(),
                message: format!("cannot be changed here (fields: {})", allowed.join(", ")),
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
    let next = match overrides::apply(&ui.file_config, &current, &patch) {
        Ok((_, next)) => next,
        Err(errors) => {
            return Ok(refused(
                errors
                    .into_iter()
                    .map(|e| FieldProblem {
                        field: field_of(&e.key),
                        message: e.reason,
                    })
                    .collect(),
            ));
        }
    };
    let (path, file, to_save) = (
        ui.overrides_path.clone(),
        ui.file_config.clone(),
        ui.next_settings(Some(next.clone()), None, None),
    );
    tokio::task::spawn_blocking(move || to_save.save(&path, &file))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("{}: {e}", ui.overrides_path.display())))?;
    settings.send_replace(next.clone());
    tracing::info!(group = %name, keys = ?patch.keys().collect::<Vec<_>>(), "box UI: group settings changed");
    Ok(Json(GroupList {
        groups: group_views(&ui, &next, &st.running_groups),
    })
    .into_response())
}
