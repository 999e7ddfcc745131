//! The portal's API types are generated from `web/portal/src/api/hub-openapi.json` at build time
//! (openapi-typescript), so a changed endpoint breaks the portal's type check, not a user. This
//! test keeps that committed document identical to what the hub serves.
//!
//! Regenerate after an API change:
//! `SMSGATE_UPDATE_OPENAPI=1 cargo test -p smsgate-cloud --test openapi_doc`

use std::path::PathBuf;

use smsgate_cloud::api::openapi::ApiDoc;
use utoipa::OpenApi;

#[test]
fn the_portal_openapi_document_is_what_the_hub_generates() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/portal/src/api/hub-openapi.json");
    let generated = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
        + "\n";
    if std::env::var_os("SMSGATE_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("writing the OpenAPI document");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from the hub's OpenAPI document; regenerate it with \
         SMSGATE_UPDATE_OPENAPI=1 cargo test -p smsgate-cloud --test openapi_doc \
         (then fix the portal where its types no longer match)",
        path.display()
    );
}
