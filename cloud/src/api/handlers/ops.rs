//! `/health` (the store answers) and `/metrics` (Prometheus text).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::blocking;
use crate::hub::Hub;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the store does not answer.
    pub status: &'static str,
}

/// Liveness: 200 when the store answers, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(hub): State<Hub>) -> impl IntoResponse {
    match blocking(move || hub.healthy()).await {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok" })),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
            }),
        ),
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(State(hub): State<Hub>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        hub.render_metrics(),
    )
}
