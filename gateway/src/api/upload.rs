//! The file of a bulk upload (`POST /api/v1/bulk/messages`, `/bulk/blocklist`): the raw body
//! (`curl --data-binary @list.csv`) or the `file` field of a `multipart/form-data` form
//! (`curl -F file=@list.csv`, a browser's file input). Either way the file is bounded by
//! `[api] bulk_max_bytes` (413 naming the key, nothing read past it); the route's body limit
//! leaves room for the form's own headers on top.

use super::ApiState;
use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};

/// Room for a form's boundaries and part headers above the file's own bound.
pub const FORM_OVERHEAD: usize = 64 * 1024;

/// The name of the form field that carries the file.
pub const FIELD: &str = "file";

/// The uploaded file's bytes.
#[derive(Debug)]
pub struct Upload(pub Bytes);

/// The multipart form the OpenAPI document describes.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The CSV file.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

fn too_large(max: usize) -> ApiError {
    ApiError::TooLarge {
        field: FIELD.into(),
        message: format!("the file is larger than {max} bytes (api.bulk_max_bytes)"),
    }
}

fn form_error(e: &MultipartError, max: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(max)
    } else {
        ApiError::invalid(
            FIELD,
            format!("unreadable multipart form: {}", e.body_text()),
        )
    }
}

impl FromRequest<ApiState> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &ApiState) -> Result<Self, ApiError> {
        let max = st.bulk_limits.max_bytes;
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
        if !multipart {
            let body = Bytes::from_request(req, st).await.map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large(max)
                } else {
                    ApiError::BadRequest(r.body_text())
                }
            })?;
            if body.len() > max {
                return Err(too_large(max));
            }
            return Ok(Self(body));
        }
        let mut form = Multipart::from_request(req, st)
            .await
            .map_err(|e| ApiError::invalid(FIELD, e.body_text()))?;
        while let Some(mut field) = form.next_field().await.map_err(|e| form_error(&e, max))? {
            if field.name() != Some(FIELD) {
                continue;
            }
            let mut file = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| form_error(&e, max))? {
                if file.len() + chunk.len() > max {
                    return Err(too_large(max));
                }
                file.extend_from_slice(&chunk);
            }
            return Ok(Self(Bytes::from(file)));
        }
        Err(ApiError::invalid(
            FIELD,
            "the form has no `file` field (curl -F file=@list.csv)",
        ))
    }
}
