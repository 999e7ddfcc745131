//! HTTP/JSON control API of a running lab (axum, bound to localhost by the caller):
//!
//! | method | path | body / answer |
//! |---|---|---|
//! | GET | `/api/modems` | `[ModemStatus]` |
//! | POST | `/api/inject` | [`Inbound`] → `{"parts": n}` |
//! | GET | `/api/handsets` | `{number: [HandsetMessage]}` |
//! | GET | `/api/handsets/{number}` | `[HandsetMessage]` |
//! | POST | `/api/modems/{index}/fault` | [`Fault`] (e.g. `{"kind":"hang","commands":2}`) → `{}` |
//! | GET | `/api/submissions` | `[Submission]`: every SMS-SUBMIT part the network saw, accepted or refused |
//!
//! Errors answer 4xx with `{"error": "<field>: <what is wrong>"}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::lab::{Fault, Inbound, Lab, LabError};

struct ApiError(LabError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self.0 {
            LabError::NoModem(_) | LabError::NoSim(_) => StatusCode::NOT_FOUND,
            LabError::Encode { .. } | LabError::Config(_) => StatusCode::UNPROCESSABLE_ENTITY,
            LabError::Stopped | LabError::Io { .. } => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, Json(json!({ "error": self.0.to_string() }))).into_response()
    }
}

/// The control API router for `lab`.
pub fn router(lab: Lab) -> Router {
    Router::new()
        .route("/api/modems", get(modems))
        .route("/api/inject", post(inject))
        .route("/api/handsets", get(handsets))
        .route("/api/handsets/{number}", get(handset))
        .route("/api/modems/{index}/fault", post(fault))
        .route("/api/submissions", get(submissions))
        .with_state(lab)
}

/// Serves the control API on `listener` until the lab is cancelled.
pub async fn serve(lab: Lab, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let cancel = lab.cancel_token().clone();
    axum::serve(listener, router(lab))
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}

async fn modems(State(lab): State<Lab>) -> Result<Response, ApiError> {
    Ok(Json(lab.modems().await.map_err(ApiError)?).into_response())
}

async fn inject(State(lab): State<Lab>, Json(msg): Json<Inbound>) -> Result<Response, ApiError> {
    let parts = lab.inject(&msg).map_err(ApiError)?;
    Ok(Json(json!({ "parts": parts })).into_response())
}

async fn handsets(State(lab): State<Lab>) -> Response {
    Json(lab.handsets()).into_response()
}

async fn handset(State(lab): State<Lab>, Path(number): Path<String>) -> Response {
    Json(lab.handset(&number)).into_response()
}

async fn submissions(State(lab): State<Lab>) -> Response {
    Json(lab.submissions()).into_response()
}

async fn fault(
    State(lab): State<Lab>,
    Path(index): Path<usize>,
    Json(f): Json<Fault>,
) -> Result<Response, ApiError> {
    lab.fault(index, f).await.map_err(ApiError)?;
    Ok(Json(json!({})).into_response())
}
