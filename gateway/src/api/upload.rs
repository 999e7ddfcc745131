//! The file of a bulk upload (`POST /api/v1/bulk/messages`, `/bulk/blocklist`): the raw body
//! (`curl --data-binary @list.csv`) or the `file` field of a `multipart/form-data` form
//! (`curl -F file=@list.csv`, a browser's file input). Either way the file is bounded by
//! `[api] bulk_max_bytes` (413 naming the key, nothing read past it); the route's body limit
//! leaves room for the form's own headers on top.
//!
//! The file is never held in memory: its chunks are written, as they arrive, to an unnamed
//! temporary file in the spool's directory (on the box's disk, not a RAM-backed `/tmp`; with
//! no name, it is gone when the request ends, on an error, a dropped connection or a crash),
//! and its lines are counted on the way for `[api] bulk_max_lines`. The handlers then read it
//! twice (`api::bulk`): once to check every line, once to store the rows.

use super::ApiState;
use super::bulk::LineCount;
use super::error::ApiError;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use futures_util::StreamExt as _;
use std::io::{Seek as _, SeekFrom};
use std::path::Path;
use tokio::io::AsyncWriteExt as _;

/// Room for a form's boundaries and part headers above the file's own bound.
pub const FORM_OVERHEAD: usize = 64 * 1024;

/// The name of the form field that carries the file.
pub const FIELD: &str = "file";

/// The uploaded file, stored.
#[derive(Debug)]
pub struct Upload(pub UploadedFile);

/// An uploaded file in its temporary file.
#[derive(Debug)]
pub struct UploadedFile {
    /// The temporary file (unnamed: removed when dropped), at its start.
    pub file: std::fs::File,
    /// Its size.
    pub bytes: u64,
    /// Its lines.
    pub lines: LineCount,
}

impl UploadedFile {
    /// The file again from its start (for the second pass).
    pub fn rewind(&mut self) -> std::io::Result<&mut std::fs::File> {
        self.file.seek(SeekFrom::Start(0))?;
        Ok(&mut self.file)
    }
}

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

fn disk(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("storing the uploaded file: {e}"))
}

/// Where the chunks go, counted and bounded.
struct Spill {
    file: tokio::fs::File,
    bytes: u64,
    lines: LineCount,
    max: usize,
}

impl Spill {
    async fn create(dir: &Path, max: usize) -> Result<Self, ApiError> {
        let dir = dir.to_owned();
        let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(&dir))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(disk)?;
        Ok(Self {
            file: tokio::fs::File::from_std(file),
            bytes: 0,
            lines: LineCount::default(),
            max,
        })
    }

    async fn write(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        if self.bytes.saturating_add(len) > u64::try_from(self.max).unwrap_or(u64::MAX) {
            return Err(too_large(self.max));
        }
        self.bytes += len;
        self.lines.feed(chunk);
        self.file.write_all(chunk).await.map_err(disk)
    }

    async fn finish(mut self) -> Result<UploadedFile, ApiError> {
        self.file.flush().await.map_err(disk)?;
        let mut file = self.file.into_std().await;
        file.seek(SeekFrom::Start(0)).map_err(disk)?;
        Ok(UploadedFile {
            file,
            bytes: self.bytes,
            lines: self.lines,
        })
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
            // A declared length over the bound is refused before anything is read.
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
                return Err(too_large(max));
            }
            let mut spill = Spill::create(&st.upload_dir, max).await?;
            let mut body = req.into_body().into_data_stream();
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::BadRequest(format!("the upload could not be read: {e}"))
                })?;
                spill.write(&chunk).await?;
            }
            return Ok(Self(spill.finish().await?));
        }
        let mut form = Multipart::from_request(req, st)
            .await
            .map_err(|e| ApiError::invalid(FIELD, e.body_text()))?;
        while let Some(mut field) = form.next_field().await.map_err(|e| form_error(&e, max))? {
            if field.name() != Some(FIELD) {
                continue;
            }
            let mut spill = Spill::create(&st.upload_dir, max).await?;
            while let Some(chunk) = field.chunk().await.map_err(|e| form_error(&e, max))? {
                spill.write(&chunk).await?;
            }
            return Ok(Self(spill.finish().await?));
        }
        Err(ApiError::invalid(
            FIELD,
            "the form has no `file` field (curl -F file=@list.csv)",
        ))
    }
}
