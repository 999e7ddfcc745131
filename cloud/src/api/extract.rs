//! Request extractors whose failures go through [`ApiError`]: the authenticated caller
//! ([`Authed`]; `Authorization: Bearer …` with the scheme in any case, else the session
//! cookie), JSON bodies naming the bad field ([`Body`]), path ids ([`Id`]), the
//! `Idempotency-Key` header, the client's address, list paging ([`Paging`]).

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::{ApiError, humane};
use super::{SESSION_COOKIE, blocking};
use crate::authz::Actor;
use crate::hub::{Hub, HubError};
use crate::store::{Cursor, DEFAULT_PAGE, MAX_PAGE, Page, PageRequest};

/// Largest JSON body.
pub const MAX_JSON: usize = 2 * 1024 * 1024;

/// The credential of a request: bearer token (scheme case-insensitive), else session cookie.
pub fn credential(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if let Some((scheme, token)) = v.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
        {
            return Some(token.trim().to_owned());
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// An authenticated caller (and the credential it came with).
pub struct Authed(pub Actor);

impl FromRequestParts<Hub> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let token = credential(&parts.headers).ok_or(HubError::Unauthenticated)?;
        let hub = hub.clone();
        blocking(move || hub.authenticate(&token)).await.map(Authed)
    }
}

/// A JSON body; a bad field is named by its path (`members[2].role`).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v.starts_with("application/json") || v.contains("+json"));
        if !json {
            return Err(ApiError::bad(
                "body",
                "send JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::TooLarge(format!(
                "the body is larger than {} MiB",
                MAX_JSON / (1024 * 1024)
            ))
        })?;
        parse_json(&bytes).map(Body)
    }
}

/// Parses JSON naming the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = humane(&inner.to_string());
        // "missing field `x`" is about the object itself: name `x`.
        let field = match msg.split('`').nth(1) {
            Some(f) if msg.starts_with("missing field") => {
                if path == "." {
                    f.to_owned()
                } else {
                    format!("{path}.{f}")
                }
            }
            _ if path == "." || path.is_empty() => "body".to_owned(),
            _ => path,
        };
        ApiError::bad(field, msg)
    })
}

/// A resource id from the path; a malformed id is simply not found.
pub struct Id(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<Uuid>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(Id(id)),
            Err(_) => Err(ApiError::Hub(HubError::NotFound)),
        }
    }
}

/// Two ids from the path (`/contact-lists/{id}/members/{contact}`).
pub struct Ids(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<(Uuid, Uuid)>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path((a, b))) => Ok(Ids(a, b)),
            Err(_) => Err(ApiError::Hub(HubError::NotFound)),
        }
    }
}

/// The `Idempotency-Key` header, if any.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => v
                .to_str()
                .map(|s| IdempotencyKey(Some(s.to_owned())))
                .map_err(|_| ApiError::bad("Idempotency-Key", "must be visible ASCII")),
        }
    }
}

/// The client's address (unspecified when the server runs without connection info).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()),
        ))
    }
}

/// A query string; a bad parameter is named (`limit: invalid digit…`).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let path = e.path().to_string();
                let msg = humane(&e.into_inner().to_string());
                let field = if path == "." || path.is_empty() {
                    msg.split('`').nth(1).unwrap_or("query").to_owned()
                } else {
                    path
                };
                ApiError::bad(field, msg)
            })
    }
}

/// Paging and search of every list endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Rows per page, 1–500 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Case-insensitive substring search (see each endpoint for the fields searched).
    pub q: Option<String>,
}

impl Paging {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::bad(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(
                Cursor::decode(c)
                    .ok_or_else(|| ApiError::bad("cursor", "not a cursor from this API"))?,
            ),
            None => None,
        };
        Ok(PageRequest { limit, after })
    }

    pub fn q(&self) -> Option<String> {
        self.q.clone().filter(|q| !q.trim().is_empty())
    }
}

/// One page of a list: `items`, and `next_cursor` to pass as `cursor` for the next page
/// (absent on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T: ToSchema> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> From<Page<T>> for PageOf<T> {
    fn from(p: Page<T>) -> Self {
        Self {
            items: p.items,
            next_cursor: p.next.map(|c| c.encode()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "bearer sgs_x".parse().unwrap());
        assert_eq!(credential(&h).as_deref(), Some("sgs_x"));
        h.insert(header::AUTHORIZATION, "BEARER  sgs_y ".parse().unwrap());
        assert_eq!(credential(&h).as_deref(), Some("sgs_y"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(credential(&h), None);
    }

    #[test]
    fn a_bad_field_is_named_by_its_path() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct M {
            role: crate::model::QueueRole,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct R {
            name: String,
            members: Vec<M>,
        }
        let e = parse_json::<R>(br#"{"name":"x","members":[{"role":"agent"},{"role":"boss"}]}"#)
            .unwrap_err();
        assert!(
            matches!(&e, ApiError::BadInput { field, reason } if field == "members[1].role" && reason.contains("`manager`")),
            "{e:?}"
        );
        let e = parse_json::<R>(br#"{"members":[]}"#).unwrap_err();
        assert!(
            matches!(&e, ApiError::BadInput { field, .. } if field == "name"),
            "{e:?}"
        );
    }
}
