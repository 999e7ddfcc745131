//! The cloud screen's endpoints (behind the API's authentication). The technician pastes the
//! `[cloud]` snippet the hub gives (`POST /api/v1/gateways` at the hub):
//! - `GET /api/v1/box/cloud`: the section the link runs with (never the password: only
//!   `password_set`), whether it comes from the override file, and the link's state.
//! - `POST /api/v1/box/cloud/test` `{snippet}`: the snippet read and checked (422, every
//!   problem with its field and line), then one trial connection with it — DNS, TCP, TLS, MQTT
//!   login — that leaves the running link alone; the answer names the step that failed.
//! - `PUT /api/v1/box/cloud` `{snippet}`: checked the same way (and its TLS files read), written
//!   to the override file (`cloud.{field}` keys), then the link is restarted with it.
//!
//! A secret is never echoed: no answer carries the password, and a problem with the password's
//! value does not quote it.

use super::ApiState;
use super::box_views::{CloudView, cloud_view, ui};
use super::error::ApiError;
use crate::ui::bundle::is_secret_key;
use crate::ui::cloud_overrides::{self, SnippetProblem};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use smsgate_config::gateway::CloudConfig;
use smsgate_mqtt::{ProbeDepth, probe};
use std::time::Duration;
use utoipa::ToSchema;

/// How long each step of a trial connection may take.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The `[cloud]` section, without its password.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloudSettings {
    /// Broker URL.
    pub url: Option<String>,
    /// Gateway id at the hub.
    pub gateway_id: Option<String>,
    /// MQTT username (the gateway id when not set).
    pub username: Option<String>,
    /// A password is set (it is never shown).
    pub password_set: bool,
    /// CA file (`mqtts://`).
    pub ca_file: Option<String>,
    /// Client certificate (mutual TLS).
    pub client_cert: Option<String>,
    /// MQTT keep-alive, s.
    pub keepalive_s: u64,
    /// Heartbeat period, s.
    pub heartbeat_s: u64,
}

impl From<&CloudConfig> for CloudSettings {
    fn from(c: &CloudConfig) -> Self {
        Self {
            url: c.url.clone(),
            gateway_id: c.gateway_id.clone(),
            username: c.username.clone(),
            password_set: c.password.as_deref().is_some_and(|p| !p.is_empty()),
            ca_file: c.ca_file.as_ref().map(|p| p.display().to_string()),
            client_cert: c.client_cert.as_ref().map(|p| p.display().to_string()),
            keepalive_s: c.keepalive_s,
            heartbeat_s: c.heartbeat_s,
        }
    }
}

/// `GET /api/v1/box/cloud`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloudScreen {
    /// The section the link runs with.
    pub settings: CloudSettings,
    /// It was set from this screen (kept in the override file), not by gateway.toml.
    pub from_override: bool,
    /// The section can be changed here (the running gateway lets the link be replaced).
    pub changeable: bool,
    /// The link.
    pub link: CloudView,
}

/// A pasted snippet.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SnippetBody {
    /// The `[cloud]` TOML the hub gave.
    pub snippet: String,
}

/// The result of a trial connection.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloudTest {
    /// Every step passed.
    pub ok: bool,
    /// The failed step: `settings`, `dns`, `refused`, `unreachable`, `timeout`, `tls`,
    /// `credentials`, `unavailable` or `protocol`; none when `ok`.
    pub step: Option<String>,
    /// What was found, in the gateway's words.
    pub message: String,
    /// The MQTT login was tried (not when the running link is connected as this gateway at
    /// this broker: a second login would take its session over).
    pub login_tried: bool,
    /// The address connected to.
    pub addr: Option<String>,
}

async fn screen(st: &ApiState) -> Result<CloudScreen, ApiError> {
    let ui = ui(st)?.clone();
    let backlog = st.spool.call(|db| db.outbox_backlog()).await?;
    let cloud = ui.current_cloud();
    Ok(CloudScreen {
        settings: CloudSettings::from(&cloud),
        from_override: cloud != ui.file_config.cloud,
        changeable: ui.cloud.get().is_some(),
        link: cloud_view(&ui, backlog),
    })
}

/// The cloud section and the link's state.
#[utoipa::path(get, path = "/api/v1/box/cloud", tag = "box", responses((status = 200, body = CloudScreen)))]
pub async fn get_cloud(State(st): State<ApiState>) -> Result<Json<CloudScreen>, ApiError> {
    Ok(Json(screen(&st).await?))
}

fn refused(problems: Vec<SnippetProblem>) -> Response {
    let first = problems.first().map(|p| p.field.clone());
    let words = problems
        .iter()
        .map(|p| match p.line {
            Some(n) => format!("line {n}: {}: {}", p.field, p.message),
            None => format!("{}: {}", p.field, p.message),
        })
        .collect::<Vec<_>>()
        .join("; ");
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": {"code": "invalid_field", "message": format!("nothing changed: {words}"), "field": first, "details": problems}})),
    )
        .into_response()
}

/// The snippet read and checked, or the 422 that names each problem (never quoting a secret).
fn read(
    body: Result<Json<SnippetBody>, JsonRejection>,
) -> Result<Result<CloudConfig, Response>, ApiError> {
    let Json(body) = body?;
    Ok(cloud_overrides::parse_snippet(&body.snippet).map_err(|problems| {
        refused(
            problems
                .into_iter()
                .map(|mut p| {
                    // A value the parser refused may be quoted in its words; "required" is not.
                    if is_secret_key(&p.field) && p.line.is_some() {
                        p.message = "must be the password in quotes, as the hub gives it (its value is not shown)".into();
                    }
                    p
                })
                .collect(),
        )
    }))
}

fn settings_problem(field: &str, message: String) -> Vec<SnippetProblem> {
    vec![SnippetProblem {
        field: field.to_owned(),
        line: None,
        message,
    }]
}

/// The link options of `cloud`, or what the link could not use (URL, TLS files).
fn options_of(
    cloud: &CloudConfig,
) -> Result<(crate::cloud::LinkSettings, smsgate_mqtt::LinkOptions), Vec<SnippetProblem>> {
    let c = smsgate_config::GatewayConfig {
        cloud: cloud.clone(),
        ..Default::default()
    };
    let s = crate::cloud::settings(&c)
        .ok_or_else(|| settings_problem("url", "required: the hub's broker address".into()))?;
    let o = crate::cloud::link_options(&s).map_err(|e| match e {
        crate::cloud::CloudError::GatewayId(e) => settings_problem("gateway_id", e.to_string()),
        crate::cloud::CloudError::Options(e) => settings_problem("url", e.to_string()),
    })?;
    if o.url.tls {
        o.tls
            .client_config()
            .map_err(|e| settings_problem("ca_file", e.to_string()))?;
    }
    Ok((s, o))
}

/// Tries the pasted snippet once, without touching the running link.
#[utoipa::path(post, path = "/api/v1/box/cloud/test", tag = "box", request_body = SnippetBody,
    responses((status = 200, body = CloudTest, description = "`ok`, or the failed step"),
        (status = 422, description = "the snippet's problems in `details` (field, line)")))]
pub async fn test_cloud(
    State(st): State<ApiState>,
    body: Result<Json<SnippetBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ui = ui(&st)?.clone();
    let cloud = match read(body)? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let (s, options) = match options_of(&cloud) {
        Ok(v) => v,
        Err(p) => return Ok(refused(p)),
    };
    let running = ui.current_cloud();
    let connected_as_this = running.url == cloud.url
        && running.gateway_id == cloud.gateway_id
        && matches!(
            ui.cloud.get().and_then(|c| c.status()),
            Some(smsgate_mqtt::LinkStatus::Connected(_))
        );
    let depth = if connected_as_this {
        ProbeDepth::Reach
    } else {
        ProbeDepth::Login
    };
    let result = probe(&options, depth, TEST_TIMEOUT).await;
    tracing::info!(url = %s.url, gateway = %s.gateway_id, ok = result.is_ok(), "box UI: cloud connection tested");
    let answer = match result {
        Ok(ok) => CloudTest {
            ok: true,
            step: None,
            message: if connected_as_this {
                format!(
                    "{} answers; the login was not tried: the running link is connected as {} at this broker already (a second login would take its session over)",
                    ok.addr, s.gateway_id
                )
            } else {
                format!(
                    "connected to {}{} and logged in as {}",
                    ok.addr,
                    if ok.tls { " over TLS" } else { "" },
                    s.gateway_id
                )
            },
            login_tried: !connected_as_this,
            addr: Some(ok.addr),
        },
        Err(e) => CloudTest {
            ok: false,
            step: Some(e.code().to_owned()),
            message: e.to_string(),
            login_tried: matches!(e.code(), "credentials" | "unavailable" | "protocol"),
            addr: None,
        },
    };
    Ok(Json(answer).into_response())
}

/// Saves the pasted snippet (override file) and restarts the link with it.
#[utoipa::path(put, path = "/api/v1/box/cloud", tag = "box", request_body = SnippetBody,
    responses((status = 200, body = CloudScreen),
        (status = 409, description = "the link cannot be replaced on this gateway"),
        (status = 422, description = "the snippet's problems in `details` (field, line); nothing changed")))]
pub async fn put_cloud(
    State(st): State<ApiState>,
    body: Result<Json<SnippetBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let ui = ui(&st)?.clone();
    let Some(control) = ui.cloud.get().cloned() else {
        return Err(ApiError::Conflict(
            "the cloud link cannot be changed on this gateway".into(),
        ));
    };
    let cloud = match read(body)? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    if let Err(p) = options_of(&cloud) {
        return Ok(refused(p));
    }
    let _edit = ui.edits.lock().await;
    let (path, file, next) = (
        ui.overrides_path.clone(),
        ui.file_config.clone(),
        ui.next_settings(None, None, Some(cloud.clone())),
    );
    tokio::task::spawn_blocking(move || next.save(&path, &file))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("{}: {e}", ui.overrides_path.display())))?;
    control
        .replace(cloud.clone())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(url = ?cloud.url, gateway = ?cloud.gateway_id, "box UI: cloud settings applied; link restarted");
    Ok(Json(screen(&st).await?).into_response())
}
