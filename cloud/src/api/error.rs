//! The one error shape of the hub API, and the single place errors become HTTP responses:
//!
//! ```json
//! {"error": {"code": "invalid", "message": "to: \"abc\" is not a phone number…", "field": "to"}}
//! ```
//!
//! `code` is one of [`codes`]; `field` (when one input is at fault) is the name as the client
//! sent it (`to`, `members[2].user_id`, `Idempotency-Key`, `file`); `details` lists the bad
//! lines of a refused file. Messages use the API's spellings (role `tenant_admin`, kind
//! `reseller_l1`), never a Rust type name. A 429 carries `Retry-After`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::hub::HubError;
use crate::hub::error::LineProblem;
use crate::store::StoreError;

/// The error codes.
pub mod codes {
    /// 400/422: the request or a field is malformed or breaks a rule (`field` says which).
    pub const INVALID: &str = "invalid";
    /// 401: no credential, or not a valid one.
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// 403: your role may not do this.
    pub const FORBIDDEN: &str = "forbidden";
    /// 404: no such resource (or not yours: foreign ids look missing).
    pub const NOT_FOUND: &str = "not_found";
    /// 409: the resource's state forbids it (live interactions, duplicates, too late…).
    pub const CONFLICT: &str = "conflict";
    /// 413: the body is larger than the endpoint takes.
    pub const TOO_LARGE: &str = "too_large";
    /// 429: too many attempts or too busy; see `Retry-After`.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 500: our fault; logged.
    pub const INTERNAL: &str = "internal";
}

/// Body of every failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `invalid`, `unauthenticated`, `forbidden`, `not_found`, `conflict`, `too_large`,
    /// `rate_limited` or `internal`.
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The offending input, as the client named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Bad lines of an uploaded file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<LineProblem>,
}

/// Most bad lines listed in `details` (the message gives the total).
pub const MAX_LINE_DETAILS: usize = 100;

/// A failed request.
#[derive(Debug)]
pub enum ApiError {
    Hub(HubError),
    /// The request body, path or query could not be read.
    BadInput {
        field: String,
        reason: String,
    },
    TooLarge(String),
    Internal(String),
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        ApiError::Hub(e)
    }
}

impl ApiError {
    pub fn bad(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::BadInput {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

fn detail(code: &'static str, message: String, field: Option<String>) -> ErrorDetail {
    ErrorDetail {
        code,
        message,
        field,
        details: Vec::new(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let (status, body) = match self {
            ApiError::Hub(e) => match e {
                HubError::NotFound => (
                    StatusCode::NOT_FOUND,
                    detail(codes::NOT_FOUND, e.to_string(), None),
                ),
                HubError::Forbidden(_) => (
                    StatusCode::FORBIDDEN,
                    detail(codes::FORBIDDEN, e.to_string(), None),
                ),
                HubError::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    detail(codes::UNAUTHENTICATED, e.to_string(), None),
                ),
                HubError::Invalid { ref field, .. } => {
                    let field = field.clone();
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        detail(codes::INVALID, e.to_string(), Some(field)),
                    )
                }
                HubError::InvalidFile {
                    ref field,
                    ref problems,
                } => {
                    let mut d = detail(codes::INVALID, e.to_string(), Some(field.clone()));
                    d.details = problems.iter().take(MAX_LINE_DETAILS).cloned().collect();
                    (StatusCode::UNPROCESSABLE_ENTITY, d)
                }
                HubError::Conflict(_) => (
                    StatusCode::CONFLICT,
                    detail(codes::CONFLICT, e.to_string(), None),
                ),
                HubError::Store(StoreError::Conflict(what)) => (
                    StatusCode::CONFLICT,
                    detail(codes::CONFLICT, format!("{what} already exists"), None),
                ),
                HubError::TooManyRequests { retry_after_s, .. } => {
                    retry_after = Some(retry_after_s);
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        detail(codes::RATE_LIMITED, e.to_string(), None),
                    )
                }
                HubError::UnknownGateway(_) | HubError::Store(_) | HubError::Secret(_) => {
                    tracing::error!(error = %e, "request failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        detail(codes::INTERNAL, "internal error".into(), None),
                    )
                }
            },
            ApiError::BadInput { field, reason } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                detail(codes::INVALID, format!("{field}: {reason}"), Some(field)),
            ),
            ApiError::TooLarge(what) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                detail(codes::TOO_LARGE, what, None),
            ),
            ApiError::Internal(why) => {
                tracing::error!(%why, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    detail(codes::INTERNAL, "internal error".into(), None),
                )
            }
        };
        let mut resp = (status, Json(ErrorBody { error: body })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(s) = retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// A serde message made for people: no Rust type names (`struct NewUserRequest` → `an
/// object`), no axum prefix.
pub fn humane(serde_message: &str) -> String {
    let mut out = String::with_capacity(serde_message.len());
    let mut words = serde_message.split(' ').peekable();
    while let Some(w) = words.next() {
        match w {
            "struct" | "enum" | "tuple" if words.peek().is_some() => {
                let next = words.next().unwrap_or_default();
                let trail: String = next
                    .chars()
                    .skip_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push_str(if w == "enum" {
                    "one of the documented values"
                } else {
                    "an object"
                });
                out.push_str(&trail);
            }
            _ => out.push_str(w),
        }
        out.push(' ');
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_with_many_bad_lines_lists_the_first_hundred_and_counts_all() {
        let problems = (1..=250)
            .map(|line| LineProblem {
                line,
                field: "SMS_NUMBER".into(),
                message: "not a phone number".into(),
            })
            .collect();
        let resp = ApiError::Hub(HubError::InvalidFile {
            field: "file".into(),
            problems,
        })
        .into_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let e = &v["error"];
        assert_eq!(e["details"].as_array().unwrap().len(), MAX_LINE_DETAILS);
        assert_eq!(e["details"][0]["line"], 1);
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("250 bad lines in all"), "{message}");
        assert!(message.len() < 300, "{message}");
    }

    #[test]
    fn serde_messages_lose_rust_type_names() {
        assert_eq!(
            humane("invalid type: integer `1`, expected struct NewUserRequest at line 1 column 1"),
            "invalid type: integer `1`, expected an object at line 1 column 1"
        );
        assert_eq!(humane("missing field `name`"), "missing field `name`");
    }
}
