//! Local HTTP API (axum) over the spool.
//!
//! Routes (all but `/health` and `/metrics` need `Authorization: Bearer <token>`, the scheme in
//! any case, the token compared in constant time):
//! - `POST /api/v1/messages` → `202 {"id","state","duplicate"}`
//! - `GET /api/v1/messages/{id}` → state, parts, timestamps, error
//! - `POST /api/v1/messages/{id}/requeue` (unknown/failed only, else 409)
//! - `POST /api/v1/messages/{id}/cancel` (before a port took it: queued or waiting to retry;
//!   a message a Dinstar holds is stopped there with `stop_sms` when it can be; else 409
//!   naming the state)
//! - `GET /api/v1/inbound?since=<cursor>&limit=<n>` → `{"messages":[…],"next":<cursor>}`
//! - `POST /api/v1/bulk/messages?group=<name>` (dialer CSV: the raw body or the `file` field of a
//!   `multipart/form-data` form, [`upload`]) → `202 {"imported","blocked","ids"}`
//! - `POST /api/v1/bulk/blocklist` (do-not-contact CSV, raw or multipart) → `200 {"imported","added"}`
//! - `GET /api/v1/opt-outs` → `{"lists":[{"tenant","version","ports","country","numbers"}]}`:
//!   the tenants' opt-out lists the hub pushed (`spool::opt_outs`), honoured offline too
//! - `POST /Integra/resources/SMS/SendSMS` (form `destination`,`message`,`campaign`,`agent`),
//!   and the seed's path form `GET|POST /Integra/resources/SMS/SendSMS/destination=…&message=…`
//!   ([`legacy`]: the bearer header, or as `[legacy]` allows, an allowed address or a `token`)
//! - `GET /api/v1/ports`, `POST /api/v1/ports/{id}/reset`, `POST /api/v1/ports/{id}/power-cycle`,
//!   `POST /api/v1/ports/{id}/ussd` ([`ports`])
//! - `GET /health`, `GET /metrics`
//! - the box UI's endpoints: `/api/v1/auth/*` ([`box_auth`]), `/api/v1/box/*` ([`box_views`],
//!   the ports' settings and AT logs in [`box_ports`]),
//!   `GET /api/v1/openapi.json` ([`openapi`]), and (feature `ui`) the app itself at `/`.
//!
//! Authentication: the bearer token (machine clients) or a box UI session cookie
//! ([`box_auth`]); the public routes are `/health`, `/metrics`, `/api/v1/openapi.json`,
//! `/api/v1/auth/state`, `/api/v1/auth/login` and the UI's files.
//!
//! Errors are turned into HTTP in one place: [`error::ApiError`].

pub mod auth;
pub mod box_auth;
pub mod box_cloud;
pub mod box_diag;
pub mod box_ports;
pub mod box_views;
pub mod bulk;
pub mod error;
pub mod legacy;
pub mod openapi;
pub mod ports;
pub mod upload;
pub mod validate;

use crate::clock::Clock;
use crate::metrics::GatewayMetrics;
use crate::spool::{CancelOutcome, MessageState, NewMessage, Spool, Submitted};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use error::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use smsgate_config::GatewayConfig;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Longest accepted `validity`, in seconds (the longest SMS validity period, 63 weeks).
pub const MAX_VALIDITY_S: u64 = 63 * 7 * 24 * 3600;

#[derive(Debug, Clone)]
struct GroupInfo {
    name: String,
    ports: Vec<u16>,
}

/// Everything the handlers need; cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    spool: Spool,
    token: Arc<[u8]>,
    groups: Arc<[GroupInfo]>,
    ports: Arc<[u16]>,
    metrics: GatewayMetrics,
    clock: Arc<dyn Clock>,
    port_control: crate::ports::PortsHandle,
    balance_code: Option<Arc<str>>,
    dinstar: crate::dinstar_http::InFlight,
    bulk_limits: bulk::Limits,
    /// Where uploads are stored while they are read (the spool's directory).
    upload_dir: Arc<std::path::Path>,
    ui: Option<Arc<crate::ui::Ui>>,
    running_groups: Arc<[smsgate_config::gateway::GroupConfig]>,
    legacy: Arc<smsgate_config::legacy::LegacyConfig>,
}

impl ApiState {
    /// State for a validated config; `token` is `config.api.token` (the API must not be
    /// started without one).
    pub fn new(
        spool: Spool,
        config: &GatewayConfig,
        token: &str,
        metrics: GatewayMetrics,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            upload_dir: spool.dir().into(),
            spool,
            token: token.as_bytes().into(),
            groups: config
                .groups
                .iter()
                .map(|g| GroupInfo {
                    name: g.name.clone(),
                    ports: g.ports.ports().to_vec(),
                })
                .collect(),
            ports: config.port_ids().keys().copied().collect(),
            metrics,
            clock,
            port_control: crate::ports::PortsHandle::default(),
            balance_code: config.ussd.balance_code.as_deref().map(Arc::from),
            dinstar: crate::dinstar_http::InFlight::default(),
            bulk_limits: bulk::Limits {
                max_lines: config.api.bulk_max_lines,
                max_bytes: usize::try_from(config.api.bulk_max_bytes).unwrap_or(usize::MAX),
            },
            ui: None,
            running_groups: config.groups.clone().into(),
            legacy: Arc::new(config.legacy.clone()),
        }
    }

    /// Serves the box UI's endpoints (login, sessions, views) with this state.
    pub fn with_ui(mut self, ui: Arc<crate::ui::Ui>) -> Self {
        self.ui = Some(ui);
        self
    }

    /// Gives the port endpoints access to the running port workers.
    pub fn with_ports(mut self, ports: crate::ports::PortsHandle) -> Self {
        self.port_control = ports;
        self
    }

    /// Lets a cancel reach a message a Dinstar is holding (`stop_sms`).
    pub fn with_dinstar(mut self, inflight: crate::dinstar_http::InFlight) -> Self {
        self.dinstar = inflight;
        self
    }

    /// The group a message goes to: `group` if given (must exist; `port`, if given, must be
    /// in it), else the first group containing `port`, else the first group.
    fn resolve_group(&self, group: Option<&str>, port: Option<u16>) -> Result<String, ApiError> {
        // Bounded before it is looked up or echoed in an error.
        let group = validate::label("group", group)?;
        let group = group.as_deref();
        if let Some(p) = port
            && !self.ports.contains(&p)
        {
            return Err(ApiError::invalid(
                "port",
                format!("port {p} is not configured"),
            ));
        }
        let g = match group {
            Some(name) => self.groups.iter().find(|g| g.name == name).ok_or_else(|| {
                ApiError::invalid("group", format!("group {name:?} is not configured"))
            })?,
            None => match port {
                Some(p) => self
                    .groups
                    .iter()
                    .find(|g| g.ports.contains(&p))
                    .ok_or_else(|| ApiError::invalid("port", format!("port {p} is in no group")))?,
                None => self
                    .groups
                    .first()
                    .ok_or_else(|| ApiError::invalid("group", "no [[groups]] are configured"))?,
            },
        };
        if let Some(p) = port
            && !g.ports.contains(&p)
        {
            return Err(ApiError::invalid(
                "port",
                format!("port {p} is not in group {:?}", g.name),
            ));
        }
        Ok(g.name.clone())
    }

    fn count(&self, subs: &[Submitted]) {
        for (label, n) in [
            ("duplicate", subs.iter().filter(|s| s.duplicate).count()),
            (
                "blocked",
                subs.iter()
                    .filter(|s| !s.duplicate && s.state == MessageState::Blocked)
                    .count(),
            ),
            (
                "queued",
                subs.iter()
                    .filter(|s| !s.duplicate && s.state == MessageState::Queued)
                    .count(),
            ),
        ] {
            if n > 0 {
                self.metrics.record_submission(label, n as u64);
            }
        }
    }
}

/// The API router (the caller binds the listener and serves it).
pub fn router(state: ApiState) -> Router {
    let protected = Router::new()
        .route("/api/v1/messages", post(submit))
        .route("/api/v1/messages/{id}", get(get_message))
        .route("/api/v1/messages/{id}/requeue", post(requeue))
        .route("/api/v1/messages/{id}/cancel", post(cancel))
        .route("/api/v1/inbound", get(inbound))
        .route("/api/v1/ports", get(ports::list))
        .route("/api/v1/ports/{id}/reset", post(ports::reset))
        .route("/api/v1/ports/{id}/power-cycle", post(ports::power_cycle))
        .route("/api/v1/ports/{id}/ussd", post(ports::ussd))
        .route("/api/v1/opt-outs", get(hub_opt_outs))
        .route("/api/v1/auth/me", get(box_auth::me))
        .route("/api/v1/auth/logout", post(box_auth::logout))
        .route("/api/v1/auth/password", post(box_auth::password))
        .route("/api/v1/box/dashboard", get(box_views::dashboard))
        .route("/api/v1/box/events", get(box_views::events))
        .route("/api/v1/box/messages", get(box_views::messages))
        .route("/api/v1/box/inbound/latest", get(box_views::inbound_latest))
        .route("/api/v1/box/ports/settings", get(box_ports::port_settings))
        .route(
            "/api/v1/box/ports/{id}/settings",
            axum::routing::patch(box_ports::patch_port),
        )
        .route("/api/v1/box/ports/{id}/at-log", get(box_ports::at_log))
        .route(
            "/api/v1/box/ports/{id}/at-log/events",
            get(box_ports::at_log_events),
        )
        .route("/api/v1/box/groups", get(box_views::groups))
        .route(
            "/api/v1/box/groups/{name}",
            axum::routing::patch(box_views::patch_group),
        )
        .route("/api/v1/box/support-bundle", get(box_diag::support_bundle))
        .route("/api/v1/box/logs", get(box_diag::logs))
        .route(
            "/api/v1/box/cloud",
            get(box_cloud::get_cloud).put(box_cloud::put_cloud),
        )
        .route("/api/v1/box/cloud/test", post(box_cloud::test_cloud))
        .layer(DefaultBodyLimit::max(error::MAX_JSON_BYTES))
        .merge(
            Router::new()
                .route("/api/v1/bulk/messages", post(bulk_messages))
                .route("/api/v1/bulk/blocklist", post(bulk_blocklist))
                .layer(DefaultBodyLimit::max(
                    state
                        .bulk_limits
                        .max_bytes
                        .saturating_add(upload::FORM_OVERHEAD),
                )),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/auth/state", get(box_auth::state))
        .route("/api/v1/auth/login", post(box_auth::login))
        .merge(protected)
        // The legacy service decides its own access (bearer, allowed address or form token).
        .merge(legacy::routes())
        .with_state(state);
    // The box UI at `/` (its fallback never hides an API route; unknown /api/… stays JSON).
    #[cfg(feature = "ui")]
    let app = app.merge(smsgate_web_box::router());
    app
}

/// Whether the request carries the API token (`Bearer`, scheme in any case).
fn bearer_ok(st: &ApiState, headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| auth::credentials(v, "Bearer"))
        .is_some_and(|t| !st.token.is_empty() && bool::from(t.as_bytes().ct_eq(&st.token)))
}

async fn auth(State(st): State<ApiState>, mut req: Request, next: Next) -> Response {
    if bearer_ok(&st, req.headers()) {
        req.extensions_mut().insert(box_auth::Principal::Token);
        return next.run(req).await;
    }
    let session = st
        .ui
        .as_deref()
        .and_then(|ui| box_auth::session_of(ui, req.headers(), st.clock.now()));
    match session {
        Some(p) if box_auth::same_origin(req.method(), req.headers()) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        Some(_) => ApiError::BadRequest(
            "cross-origin request refused: use the box UI from its own address".into(),
        )
        .into_response(),
        None => ApiError::Unauthorized.into_response(),
    }
}

/// `POST /api/v1/messages` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Recipient.
    pub to: String,
    /// Text.
    pub text: String,
    /// Group name.
    pub group: Option<String>,
    /// Port to pin the message to.
    pub port: Option<u16>,
    /// Higher first (default 0).
    pub priority: Option<i32>,
    /// Makes a retried submission return the first id.
    pub idempotency_key: Option<String>,
    /// Campaign name.
    pub campaign: Option<String>,
    /// Seconds the message may wait before it expires.
    pub validity: Option<u64>,
}

/// `202` answer to a submission.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmitResponse {
    /// Message id.
    pub id: i64,
    /// `queued`, `blocked`, or (for a duplicate) the first submission's current state.
    pub state: MessageState,
    /// The idempotency key had been used before.
    pub duplicate: bool,
}

fn to_new_message(st: &ApiState, r: SubmitRequest) -> Result<NewMessage, ApiError> {
    let to = validate::phone_number("to", &r.to)?;
    let text = validate::text("text", &r.text)?;
    let group = st.resolve_group(r.group.as_deref(), r.port)?;
    let expires_at = match r.validity {
        None => None,
        Some(0) => return Err(ApiError::invalid("validity", "must be at least 1 second")),
        Some(s) if s > MAX_VALIDITY_S => {
            return Err(ApiError::invalid(
                "validity",
                format!("must be at most {MAX_VALIDITY_S} seconds"),
            ));
        }
        Some(s) => {
            Some(st.clock.now() + chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX)))
        }
    };
    Ok(NewMessage {
        to,
        text,
        group,
        port: r.port,
        priority: r.priority.unwrap_or(0),
        campaign: validate::label("campaign", r.campaign.as_deref())?,
        idempotency_key: validate::label("idempotency_key", r.idempotency_key.as_deref())?,
        expires_at,
        conversation: false,
    })
}

/// Submits one message.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages", request_body = SubmitRequest,
    responses((status = 202, body = SubmitResponse), (status = 422, description = "names the field")))]
pub async fn submit(
    State(st): State<ApiState>,
    body: Result<Json<SubmitRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(req) = body?;
    let m =
        to_new_message(&st, req).inspect_err(|_| st.metrics.record_submission("rejected", 1))?;
    let s = st.spool.call(move |db| db.submit(m)).await?;
    st.count(&[s]);
    Ok((
        StatusCode::ACCEPTED,
        Json(SubmitResponse {
            id: s.id,
            state: s.state,
            duplicate: s.duplicate,
        }),
    ))
}

/// One message with its parts and evidence.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages", params(("id" = i64, Path)),
    responses((status = 200, body = crate::spool::Message), (status = 404)))]
pub async fn get_message(
    State(st): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path(id) = id?;
    let m = st
        .spool
        .call(move |db| db.get(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("message {id} not found")))?;
    Ok(Json(m))
}

/// Cancels a message no port has taken.
#[utoipa::path(post, path = "/api/v1/messages/{id}/cancel", tag = "messages", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, description = "too late: names the state")))]
pub async fn cancel(
    State(st): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path(id) = id?;
    match st.spool.call(move |db| db.cancel(id)).await? {
        CancelOutcome::Cancelled => Ok(Json(json!({"id": id, "state": MessageState::Cancelled}))),
        // A Dinstar may still hold it in its queue: `stop_sms` (see dinstar_http::worker).
        CancelOutcome::TooLate(MessageState::Sending)
            if let Some(answer) = st.dinstar.cancel(id).await =>
        {
            use crate::dinstar_http::CancelAnswer;
            match answer {
                CancelAnswer::Stopped(reason) => Ok(Json(
                    json!({"id": id, "state": MessageState::Failed, "stopped_on_device": true, "error": reason}),
                )),
                CancelAnswer::TooLate(why) | CancelAnswer::Failed(why) => Err(ApiError::Conflict(
                    format!("message {id} is sending and could not be stopped: {why}"),
                )),
            }
        }
        CancelOutcome::TooLate(state) => Err(ApiError::Conflict(format!(
            "message {id} is {state}; only a message no port has taken (queued) can be cancelled"
        ))),
    }
}

/// Requeues an `unknown` (it may have been sent) or `failed` message.
#[utoipa::path(post, path = "/api/v1/messages/{id}/requeue", tag = "messages", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, description = "names the state")))]
pub async fn requeue(
    State(st): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Path(id) = id?;
    let state = st.spool.call(move |db| db.requeue(id)).await?;
    Ok(Json(json!({"id": id, "state": state})))
}

/// `GET /api/v1/inbound` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboundQuery {
    /// Return messages after this cursor (the `next` of the previous page; 0 = from the start).
    pub since: Option<i64>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Inbound messages after a cursor.
#[utoipa::path(get, path = "/api/v1/inbound", tag = "messages", params(InboundQuery),
    responses((status = 200, body = InboundPage)))]
pub async fn inbound(
    State(st): State<ApiState>,
    q: Result<Query<InboundQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = q?;
    let since = q.since.unwrap_or(0);
    if since < 0 {
        return Err(ApiError::invalid("since", "must not be negative"));
    }
    let limit = u32::try_from(page_limit(q.limit)?).unwrap_or(MAX_PAGE);
    let messages = st
        .spool
        .call(move |db| db.inbound_since(since, limit))
        .await?;
    let next = messages.last().map_or(since, |m| m.id);
    Ok(Json(InboundPage { messages, next }))
}

/// A page of inbound messages.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InboundPage {
    /// Oldest first.
    pub messages: Vec<crate::spool::InboundMessage>,
    /// The cursor of the next page.
    pub next: i64,
}

/// `202` answer to a dialer upload.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkImported {
    /// Lines imported.
    pub imported: usize,
    /// Of which on the do-not-contact list.
    pub blocked: usize,
    /// Message ids, in file order.
    pub ids: Vec<i64>,
}

/// Answer to a do-not-contact upload.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlocklistImported {
    /// Lines read.
    pub imported: usize,
    /// Numbers that were new.
    pub added: usize,
}

/// Page size of a list without `limit`.
pub const DEFAULT_PAGE: u32 = 100;
/// Largest `limit` of a list.
pub const MAX_PAGE: u32 = 1000;

/// The page size of every list endpoint: `limit` (1 to [`MAX_PAGE`]) or [`DEFAULT_PAGE`].
fn page_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n as usize),
        _ => Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}

/// `POST /api/v1/bulk/messages` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkQuery {
    /// Group for every line (default: the first group).
    pub group: Option<String>,
}

/// Runs a file parser on the blocking pool, so a large upload never holds a runtime worker
/// (the API, `/health` and the dispatchers keep answering while it is read).
async fn off_runtime<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("bulk parser stopped: {e}")))?
}

/// Pass 1 of an upload, off the runtime: the line bound, then every line checked (nothing
/// kept but the bad lines). Gives the file back for pass 2.
async fn check_upload<T: 'static>(
    mut up: upload::UploadedFile,
    limits: bulk::Limits,
    kind: &'static bulk::Kind<T>,
) -> Result<upload::UploadedFile, ApiError> {
    up.lines.check(limits)?;
    off_runtime(move || {
        let checked = bulk::check(std::io::BufReader::new(up.rewind().map_err(reading)?), kind)
            .map_err(reading)?;
        checked.map_err(ApiError::BadFile)?;
        up.rewind().map_err(reading)?;
        Ok(up)
    })
    .await
}

fn reading(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("reading the uploaded file: {e}"))
}

// The file is stored as it arrives (`upload`), checked line by line (pass 1), and only then
// read again into ONE spool transaction (pass 2): never in memory whole, never half-imported.
/// Uploads a dialer CSV; every bad line is named and nothing is imported then.
#[utoipa::path(post, path = "/api/v1/bulk/messages", tag = "messages", params(BulkQuery),
    request_body(description = "the CSV as the raw body, or the `file` field of a multipart form", content(
        (String = "text/csv"), (upload::UploadForm = "multipart/form-data"))),
    responses((status = 202, body = BulkImported), (status = 413, description = "over `api.bulk_max_lines` or `api.bulk_max_bytes`"), (status = 422, description = "`lines`: every bad line")))]
pub async fn bulk_messages(
    State(st): State<ApiState>,
    q: Result<Query<BulkQuery>, QueryRejection>,
    upload::Upload(up): upload::Upload,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = q?;
    let group = st.resolve_group(q.group.as_deref(), None)?;
    let up = check_upload(up, st.bulk_limits, &bulk::DIALER).await?;
    let subs = st
        .spool
        .call(move |db| {
            let file = std::io::BufReader::new(up.file);
            Ok(match bulk::rows(file, &bulk::DIALER) {
                Ok(rows) => db.submit_iter(rows.map(|r| {
                    r.map(|r| NewMessage {
                        to: r.to,
                        text: r.text,
                        group: group.clone(),
                        port: None,
                        priority: r.priority,
                        campaign: Some(r.campaign),
                        idempotency_key: None,
                        expires_at: None,
                        conversation: false,
                    })
                    .map_err(ApiError::from)
                })),
                Err(e) => Err(reading(e)),
            })
        })
        .await??;
    st.count(&subs);
    // 200,000 ids are megabytes of JSON: written off the runtime too.
    let body = off_runtime(move || {
        let answer = BulkImported {
            imported: subs.len(),
            blocked: subs
                .iter()
                .filter(|s| s.state == MessageState::Blocked)
                .count(),
            ids: subs.iter().map(|s| s.id).collect(),
        };
        serde_json::to_vec(&answer).map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    ))
}

// Read in two passes like the dialer upload.
/// Uploads a do-not-contact CSV; every bad line is named and nothing is imported then.
#[utoipa::path(post, path = "/api/v1/bulk/blocklist", tag = "messages",
    request_body(description = "the CSV as the raw body, or the `file` field of a multipart form", content(
        (String = "text/csv"), (upload::UploadForm = "multipart/form-data"))),
    responses((status = 200, body = BlocklistImported), (status = 413, description = "over `api.bulk_max_lines` or `api.bulk_max_bytes`"), (status = 422, description = "`lines`: every bad line")))]
pub async fn bulk_blocklist(
    State(st): State<ApiState>,
    upload::Upload(up): upload::Upload,
) -> Result<impl IntoResponse, ApiError> {
    let up = check_upload(up, st.bulk_limits, &bulk::BLOCKLIST).await?;
    let (imported, added) = st
        .spool
        .call(move |db| {
            let file = std::io::BufReader::new(up.file);
            Ok(match bulk::rows(file, &bulk::BLOCKLIST) {
                Ok(rows) => db.block_iter(rows.map(|r| r.map_err(ApiError::from))),
                Err(e) => Err(reading(e)),
            })
        })
        .await??;
    Ok(Json(BlocklistImported { imported, added }))
}

/// The opt-out lists the hub pushed, per tenant (version held, ports, how many numbers).
async fn hub_opt_outs(State(st): State<ApiState>) -> Result<impl IntoResponse, ApiError> {
    let lists = st.spool.call(|db| db.hub_opt_out_lists()).await?;
    Ok(Json(json!({ "lists": lists })))
}

async fn health(State(st): State<ApiState>) -> Response {
    // O(1) whatever the spool holds (the queue depth is in /metrics): a liveness probe must
    // not slow down as the queue grows.
    match st.spool.read(|db| db.ping()).await {
        Ok(_) => Json(json!({"status": "ok"})).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "error", "error": e.to_string()})),
        )
            .into_response(),
    }
}

async fn metrics(State(st): State<ApiState>) -> Result<Response, ApiError> {
    let (depth, states) = st
        .spool
        .read(|db| Ok((db.queue_depth()?, db.state_counts()?)))
        .await?;
    for g in st.groups.iter() {
        let n = depth
            .iter()
            .find(|(name, _)| *name == g.name)
            .map_or(0, |(_, n)| *n);
        st.metrics.set_queue_depth(&g.name, n);
    }
    for s in MessageState::ALL {
        let n = states
            .iter()
            .find(|(st, _)| *st == s)
            .map_or(0, |(_, n)| *n);
        st.metrics.set_state_count(s.as_str(), n);
    }
    if let Some(ui) = &st.ui {
        st.metrics.set_login_hashes(ui.hashing.stats());
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response())
}
