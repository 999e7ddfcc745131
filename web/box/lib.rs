//! The box UI (the TypeScript app in `src/`), embedded at compile time; served by the edge
//! gateway (feature `ui` of `smsgate-gateway`, on by default).
//!
//! `router()` serves it: merge it into the gateway's router, which keeps every `/api/…` route.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

pub use smsgate_web_embed::Asset;

/// Every built file of the box UI.
pub fn assets() -> &'static [Asset] {
    generated::ASSETS
}

/// The box UI at `/` (client routes fall back to `index.html`; unknown `/api/…` paths stay a
/// JSON 404).
pub fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    smsgate_web_embed::router(generated::ASSETS)
}
