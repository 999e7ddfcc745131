//! Serves a single-page app whose built files are embedded in the binary.
//!
//! Each app crate (`web/portal` → `smsgate-web-portal`, `web/box` → `smsgate-web-box`) builds
//! its front end in its build script with [`build`] (feature `build`), which writes a table of
//! [`Asset`]s into `OUT_DIR`; the crate passes that table to [`router`]. The binary that links
//! an app crate serves it; a binary that does not (the edge gateway and the portal) carries none
//! of its bytes.
//!
//! What [`router`] answers:
//! - an embedded file, gzip-compressed when the client accepts it (compressible files are stored
//!   compressed only; the rare client without gzip gets them inflated on the fly);
//! - `Cache-Control: public, max-age=31536000, immutable` for content-hashed files (Vite's
//!   `assets/` directory), `no-cache` for everything else (`index.html`, the manifest, the
//!   service worker), with a strong `ETag` and `304 Not Modified` on `If-None-Match`;
//! - `index.html` for any other `GET` (the app's client-side routes) — except under the API
//!   prefixes, where an unknown path stays a JSON `404`, and except a missing hashed file, which is
//!   a plain `404` rather than HTML served as a script;
//! - a strict Content-Security-Policy ([`CSP`]: no inline script, no foreign origin, API calls to
//!   the same origin only) and the usual hardening headers on every answer.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[cfg(feature = "build")]
pub mod build;

/// How an embedded body is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// As built.
    Identity,
    /// Gzip-compressed at build time.
    Gzip,
}

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// URL path, starting with `/`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// Strong entity tag, quotes included.
    pub etag: &'static str,
    pub stored: Stored,
    pub body: &'static [u8],
    /// Content-hashed file: cache forever.
    pub immutable: bool,
}

/// The Content-Security-Policy of every answer.
///
/// `style-src 'self'` without `'unsafe-inline'`: styles come from the bundled CSS files; the apps
/// set element styles only through the CSSOM (which CSP does not govern), never `style=""`.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Cache-Control` of content-hashed files.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else: always revalidate (cheap with the ETag).
pub const REVALIDATE: &str = "no-cache";

/// Options of [`router_with`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Paths under these prefixes are never the app: an unknown one is a JSON 404.
    pub api_prefixes: Vec<&'static str>,
    /// The file served for client-side routes.
    pub index: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api_prefixes: vec!["/api/"],
            index: "/index.html",
        }
    }
}

struct Spa {
    files: HashMap<&'static str, &'static Asset>,
    index: Option<&'static Asset>,
    options: Options,
}

/// The app's router with the default [`Options`]: merge it into the server's router (it only
/// sets a fallback, so it never hides a route).
pub fn router<S: Clone + Send + Sync + 'static>(assets: &'static [Asset]) -> Router<S> {
    router_with(assets, Options::default())
}

/// The app's router.
pub fn router_with<S: Clone + Send + Sync + 'static>(
    assets: &'static [Asset],
    options: Options,
) -> Router<S> {
    let files: HashMap<&'static str, &'static Asset> = assets.iter().map(|a| (a.path, a)).collect();
    let index = files.get(options.index).copied();
    let spa = Arc::new(Spa {
        files,
        index,
        options,
    });
    Router::new().fallback(serve).with_state(spa)
}

fn is_hashed_path(path: &str) -> bool {
    path.starts_with("/assets/")
}

async fn serve(
    State(spa): State<Arc<Spa>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if spa
        .options
        .api_prefixes
        .iter()
        .any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
    {
        return api_not_found(path);
    }
    if method != Method::GET && method != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return harden(r);
    }
    let asset = match spa.files.get(path) {
        Some(a) => Some(*a),
        None if path == "/" => spa.index,
        // A missing hashed file is a stale reference, not a route: HTML would fail as a script.
        None if is_hashed_path(path) => None,
        None => spa.index,
    };
    let Some(asset) = asset else {
        return harden((StatusCode::NOT_FOUND, "not found\n").into_response());
    };
    respond(asset, &method, &headers)
}

fn api_not_found(path: &str) -> Response {
    let body = format!(
        "{{\"error\":{{\"code\":\"not_found\",\"message\":\"no such API endpoint: {}\"}}}}",
        json_escape(path)
    );
    let mut r = (StatusCode::NOT_FOUND, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    harden(r)
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.trim().split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        })
}

fn respond(asset: &'static Asset, method: &Method, headers: &HeaderMap) -> Response {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if asset.immutable {
            IMMUTABLE
        } else {
            REVALIDATE
        }),
    );
    if asset.stored == Stored::Gzip {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if etag_matches(headers, asset.etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().extend(h);
        r.headers_mut().remove(header::CONTENT_TYPE);
        return harden(r);
    }
    let body: Body = match asset.stored {
        Stored::Identity => Body::from(asset.body),
        Stored::Gzip if accepts_gzip(headers) => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            Body::from(asset.body)
        }
        Stored::Gzip => {
            let mut out = Vec::new();
            if flate2::read::GzDecoder::new(asset.body)
                .read_to_end(&mut out)
                .is_err()
            {
                return harden(
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "corrupt embedded asset\n",
                    )
                        .into_response(),
                );
            }
            Body::from(out)
        }
    };
    let mut r = if method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(body)
    };
    r.headers_mut().extend(h);
    harden(r)
}

fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    r
}
