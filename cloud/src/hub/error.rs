//! Errors of hub operations (mapped to HTTP in one place, `api::error`).

use crate::authz::Denied;
use crate::secrets::SecretError;
use crate::store::StoreError;

/// One problem of an uploaded file, by line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LineProblem {
    /// 1-based line of the file.
    pub line: usize,
    /// The column as the file names it (`SMS_NUMBER`, `EMAIL`…).
    pub field: String,
    pub message: String,
}

/// Errors of hub operations.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("authentication required")]
    Unauthenticated,
    /// A field as the client sent it (`to`, `members[2].user_id`), and why.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A file refused whole, with every bad line (the API answers the first
    /// [`crate::api::error::MAX_LINE_DETAILS`] and the total in the message).
    #[error("{field}: nothing imported: {}", describe(problems))]
    InvalidFile {
        field: String,
        problems: Vec<LineProblem>,
    },
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts (login throttling) or too busy (password hashing): retry later.
    #[error("{reason}; retry in {retry_after_s} s")]
    TooManyRequests { retry_after_s: u64, reason: String },
    #[error("unknown gateway {0:?}")]
    UnknownGateway(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<Denied> for HubError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotFound => HubError::NotFound,
            Denied::Forbidden(why) => HubError::Forbidden(why),
        }
    }
}

pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> HubError {
    HubError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

pub(crate) fn found<T>(x: Option<T>) -> Result<T, HubError> {
    x.ok_or(HubError::NotFound)
}

/// Problems named in the message; the API's `details` list holds up to
/// [`crate::api::error::MAX_LINE_DETAILS`].
const IN_MESSAGE: usize = 3;

fn describe(problems: &[LineProblem]) -> String {
    let mut text = problems
        .iter()
        .take(IN_MESSAGE)
        .map(|p| format!("line {} ({}): {}", p.line, p.field, p.message))
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > IN_MESSAGE {
        text.push_str(&format!(
            "; and {} more ({} bad lines in all)",
            problems.len() - IN_MESSAGE,
            problems.len()
        ));
    }
    text
}
