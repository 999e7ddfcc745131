//! The box UI's API types are generated from `web/box/src/api/gateway-openapi.json` at build
//! time (openapi-typescript), so a changed endpoint breaks the box UI's type check, not a
//! technician. This test keeps that committed document identical to what the gateway serves.
//!
//! Regenerate after an API change:
//! `SMSGATE_UPDATE_OPENAPI=1 cargo test -p smsgate-gateway --no-default-features --test openapi_doc`
//! (without the `ui` feature: the document does not depend on the app, and the app's build
//! needs the document).

use std::path::PathBuf;

#[test]
fn the_box_openapi_document_is_what_the_gateway_generates() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/box/src/api/gateway-openapi.json");
    let generated = smsgate_gateway::api::openapi::document()
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
        "{} differs from the gateway's OpenAPI document; regenerate it with \
         SMSGATE_UPDATE_OPENAPI=1 cargo test -p smsgate-gateway --no-default-features --test openapi_doc \
         (then fix the box UI where its types no longer match)",
        path.display()
    );
}

#[test]
fn every_box_endpoint_is_in_the_document() {
    let doc = smsgate_gateway::api::openapi::document();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/box/dashboard",
        "/api/v1/box/groups/{name}",
        "/api/v1/box/messages",
        "/api/v1/ports/{id}/ussd",
        "/api/v1/bulk/messages",
    ] {
        assert!(doc.paths.paths.contains_key(p), "{p} is missing");
    }
}
