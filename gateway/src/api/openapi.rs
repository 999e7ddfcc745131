//! The local API's OpenAPI document (utoipa, generated from the handlers' types), served at
//! `GET /api/v1/openapi.json`. A copy is committed at `web/box/src/api/gateway-openapi.json`
//! (the box UI's types are generated from it); `gateway/tests/openapi_doc.rs` fails when they
//! differ (regenerate: `SMSGATE_UPDATE_OPENAPI=1 cargo test -p smsgate-gateway --test openapi_doc`).

use axum::Json;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "smsgate gateway local API", description = "The edge gateway's local API and the box UI's endpoints. \
        Authenticate with `Authorization: Bearer <api.token>` (machine clients) or the box UI's session cookie \
        (`smsgate_box_session`, set by `POST /api/v1/auth/login`; the admin password is stored as an argon2id hash). \
        Errors: `{\"error\":{\"code\",\"message\",\"field\"?}}`."),
    paths(
        super::submit, super::get_message, super::cancel, super::requeue, super::inbound,
        super::bulk_messages, super::bulk_blocklist,
        super::ports::list, super::ports::reset, super::ports::power_cycle, super::ports::ussd,
        super::box_auth::state, super::box_auth::login, super::box_auth::me, super::box_auth::logout,
        super::box_auth::password,
        super::box_views::dashboard, super::box_views::events, super::box_views::messages,
        super::box_views::inbound_latest, super::box_views::groups,
        super::box_views::patch_group, super::box_diag::support_bundle, super::box_diag::logs,
        super::box_cloud::get_cloud, super::box_cloud::test_cloud, super::box_cloud::put_cloud,
        super::box_ports::port_settings, super::box_ports::patch_port, super::box_ports::at_log,
        super::box_ports::at_log_events,
    ),
    components(schemas(crate::ports::supervision::SupervisorJson, crate::spool::MessageState,
        super::box_views::FieldProblem)),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::ui::session::COOKIE))),
        );
    }
}

/// The document as JSON (version fixed so the committed copy does not change with releases).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut d = ApiDoc::openapi();
    d.info.version = "1".into();
    d
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> impl IntoResponse {
    Json(document())
}
