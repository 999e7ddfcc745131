//! The ONE place where API errors become HTTP: status + `{"error":{"code","message","field"?}}`
//! (CSV uploads add `"lines":[{"line","message"}]`).

use crate::spool::SpoolError;
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Most bad lines listed in an answer (`lines`).
pub const MAX_LINES: usize = 100;

/// A problem in one line of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// The bad lines of an uploaded file: the first [`MAX_LINES`] kept (what the answer lists),
/// every one counted, so a file with 200,000 bad lines never holds 200,000 messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadLines {
    /// The first [`MAX_LINES`], in file order.
    pub lines: Vec<LineError>,
    /// How many there are in all.
    pub total: usize,
}

impl BadLines {
    /// Counts `e`, keeping it if fewer than [`MAX_LINES`] are kept.
    pub fn push(&mut self, e: LineError) {
        self.total += 1;
        if self.lines.len() < MAX_LINES {
            self.lines.push(e);
        }
    }

    /// No bad line.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl From<Vec<LineError>> for BadLines {
    fn from(all: Vec<LineError>) -> Self {
        let mut b = BadLines::default();
        for e in all {
            b.push(e);
        }
        b
    }
}

/// Every error the API returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing or wrong bearer token.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// A refused login (box UI).
    #[error("wrong login or password")]
    BadCredentials,
    /// The body or query could not be read as the expected shape.
    #[error("{0}")]
    BadRequest(String),
    /// A field has a bad value.
    #[error("{field}: {message}")]
    Invalid {
        /// The field (JSON key / form param / CSV column).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An uploaded file has bad lines; nothing was imported. The answer lists the first
    /// [`MAX_LINES`]; the message gives the total.
    #[error("the file has {} bad line(s); nothing was imported{}", .0.total, if .0.total > MAX_LINES { format!(" (the first {MAX_LINES} are listed)") } else { String::new() })]
    BadFile(BadLines),
    /// The body (an upload, a JSON request) is over a configured bound; nothing was read.
    #[error("{message}")]
    TooLarge {
        /// What was too large (`file`, `body`).
        field: String,
        /// The bound and the config key that sets it.
        message: String,
    },
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// A power cycle was asked of a port with no power control (409, code `no_power_control`).
    #[error("{0}")]
    NoPowerControl(String),
    /// Anything else (details are logged, not returned).
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A field error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized | ApiError::BadCredentials => {
                (StatusCode::UNAUTHORIZED, "unauthorized")
            }
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            ApiError::BadFile(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_file"),
            ApiError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::NoPowerControl(_) => (StatusCode::CONFLICT, "no_power_control"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<&'a [LineError]>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "local API internal error");
        }
        let message = self.to_string();
        let (field, lines) = match &self {
            ApiError::Invalid { field, .. } | ApiError::TooLarge { field, .. } => {
                (Some(field.as_str()), None)
            }
            ApiError::BadFile(bad) => (None, Some(&bad.lines[..bad.lines.len().min(MAX_LINES)])),
            _ => (None, None),
        };
        let mut resp = (
            status,
            Json(Body {
                error: Inner {
                    code,
                    message,
                    field,
                    lines,
                },
            }),
        )
            .into_response();
        if matches!(self, ApiError::Unauthorized) {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<SpoolError> for ApiError {
    fn from(e: SpoolError) -> Self {
        match e {
            SpoolError::NotFound(id) => ApiError::NotFound(format!("message {id} not found")),
            SpoolError::Transition { id, source } => ApiError::Conflict(format!(
                "message {id} is {}; only unknown or failed messages can be requeued",
                source.from
            )),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Most bytes of a JSON (or form) request body.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

pub(crate) fn too_large_body() -> ApiError {
    ApiError::TooLarge {
        field: "body".into(),
        message: format!("the request body is larger than {MAX_JSON_BYTES} bytes"),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return too_large_body();
        }
        ApiError::BadRequest(r.body_text())
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return too_large_body();
        }
        ApiError::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_with_many_bad_lines_lists_the_first_hundred_and_counts_all() {
        let lines: Vec<LineError> = (1..=250)
            .map(|line| LineError {
                line,
                message: "not a phone number".into(),
            })
            .collect();
        let bad = BadLines::from(lines);
        assert_eq!(
            (bad.lines.len(), bad.total),
            (MAX_LINES, 250),
            "capped, all counted"
        );
        let resp = ApiError::BadFile(bad).into_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["lines"].as_array().unwrap().len(), MAX_LINES);
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("250 bad line(s)"), "{message}");
        assert!(message.contains("first 100"), "{message}");
    }
}
