//! The seed's legacy `SendSMS` web service:
//! - `POST /Integra/resources/SMS/SendSMS` (form `destination`, `message`, `campaign`, `agent`);
//! - the seed's third-party form with the parameters in the path,
//!   `GET|POST /Integra/resources/SMS/SendSMS/destination=…&message=…&api=dongle`.
//!
//! Access: the local API's bearer header; or, as `[legacy]` allows (both off by default), a
//! caller whose address is in `legacy.allow` (the TCP peer's address, never a forwarded header:
//! the server is started with `into_make_service_with_connect_info::<SocketAddr>`) or a `token`
//! field (form or path) equal to `legacy.token`, compared in constant time. Access is decided
//! before the form is read, so a stranger learns nothing about its fields.

use super::error::ApiError;
use super::{ApiState, SubmitRequest, SubmitResponse, to_new_message, validate};
use axum::extract::{Query, Request, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// The legacy routes (not behind the API's bearer middleware: they decide their own access).
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/Integra/resources/SMS/SendSMS", post(send))
        .route(
            "/Integra/resources/SMS/SendSMS/{*params}",
            get(send_in_path).post(send_in_path),
        )
}

/// The seed's legacy web-service form.
#[derive(Deserialize)]
pub struct IntegraForm {
    /// Recipient.
    pub destination: String,
    /// Text.
    pub message: String,
    /// Campaign.
    pub campaign: Option<String>,
    /// Agent who sent it (logged).
    pub agent: Option<String>,
    /// `legacy.token`, for callers that cannot send the bearer header.
    pub token: Option<String>,
}

impl std::fmt::Debug for IntegraForm {
    // The token stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegraForm")
            .field("destination", &self.destination)
            .field("message", &self.message)
            .field("campaign", &self.campaign)
            .field("agent", &self.agent)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Who may use the legacy `SendSMS`: the bearer header; else, as `[legacy]` allows, a caller
/// address in `legacy.allow` or a `token` field equal to `legacy.token`.
fn authorized(
    st: &ApiState,
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::SocketAddr>,
    token: Option<&str>,
) -> Result<(), ApiError> {
    if super::bearer_ok(st, headers) {
        return Ok(());
    }
    if let Some(peer) = peer
        && st.legacy.allows(peer.ip())
    {
        return Ok(());
    }
    match (token, st.legacy.token.as_deref()) {
        (Some(given), Some(expected))
            if !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes())) =>
        {
            Ok(())
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// The TCP peer, when the server was started with connection info.
fn peer_of(req: &Request) -> Option<std::net::SocketAddr> {
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0)
}

/// The `token` field of URL-encoded parameters.
fn token_field(params: &[u8]) -> Option<String> {
    form_urlencoded::parse(params)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// Answers with the same body as `POST /api/v1/messages` (`200`, since legacy clients only
/// check for success) — the seed does not document the original response body.
async fn send(State(st): State<ApiState>, req: Request) -> Result<impl IntoResponse, ApiError> {
    let peer = peer_of(&req);
    let (parts, body) = req.into_parts();
    // The same bound as every request body of the API (413 naming it).
    let body = axum::body::to_bytes(body, super::error::MAX_JSON_BYTES)
        .await
        .map_err(|_| super::error::too_large_body())?;
    authorized(&st, &parts.headers, peer, token_field(&body).as_deref())?;
    let req = Request::from_parts(parts, axum::body::Body::from(body));
    let Form(f) = <Form<IntegraForm> as axum::extract::FromRequest<()>>::from_request(req, &())
        .await
        .map_err(ApiError::from)?;
    submit(&st, f).await
}

/// The seed's third-party form with the parameters in the path:
/// `/Integra/resources/SMS/SendSMS/destination=099635199&message=Mensaje%20de%20prueba2&api=dongle`
/// (`api` is ignored: the gateway decides the port).
async fn send_in_path(
    State(st): State<ApiState>,
    req: Request,
) -> Result<impl IntoResponse, ApiError> {
    let params = req
        .uri()
        .path()
        .split_once("/SendSMS/")
        .map_or("", |(_, p)| p)
        .to_string();
    authorized(
        &st,
        req.headers(),
        peer_of(&req),
        token_field(params.as_bytes()).as_deref(),
    )?;
    let as_query: axum::http::Uri = format!("/?{params}")
        .parse()
        .map_err(|_| ApiError::BadRequest("the SendSMS parameters are not URL-encoded".into()))?;
    let Query(f) = Query::<IntegraForm>::try_from_uri(&as_query)?;
    submit(&st, f).await
}

async fn submit(st: &ApiState, f: IntegraForm) -> Result<Json<SubmitResponse>, ApiError> {
    let agent = validate::label("agent", f.agent.as_deref())?;
    tracing::info!(
        agent = agent.as_deref().unwrap_or(""),
        "legacy SendSMS submission"
    );
    let req = SubmitRequest {
        to: f.destination,
        text: f.message,
        group: None,
        port: None,
        priority: None,
        idempotency_key: None,
        campaign: f.campaign,
        validity: None,
    };
    let m = to_new_message(st, req).map_err(|e| match e {
        ApiError::Invalid { field, message } => ApiError::Invalid {
            field: match field.as_str() {
                "to" => "destination".into(),
                "text" => "message".into(),
                _ => field,
            },
            message,
        },
        other => other,
    })?;
    let s = st.spool.call(move |db| db.submit(m)).await?;
    st.count(&[s]);
    Ok(Json(SubmitResponse {
        id: s.id,
        state: s.state,
        duplicate: s.duplicate,
    }))
}
