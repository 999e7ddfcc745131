//! The OpenAPI 3 document (utoipa), served at `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "smsgate hub API", description = "Multi-tenant SMS hub: organisations, users, gateways, channels, queues, contacts, interactions, messages, opt-outs."),
    paths(
        handlers::login, handlers::logout, handlers::me,
        handlers::list_resellers, handlers::create_reseller, handlers::get_reseller,
        handlers::list_tenants, handlers::create_tenant, handlers::get_tenant,
        handlers::list_users, handlers::create_user, handlers::get_user, handlers::update_user, handlers::disconnect_user, handlers::set_user_state,
        handlers::list_gateways, handlers::create_gateway, handlers::get_gateway,
        handlers::list_channels, handlers::create_channel, handlers::get_channel,
        handlers::distribute_channel, handlers::set_destination,
        handlers::list_queues, handlers::create_queue, handlers::get_queue, handlers::set_queue_members,
        handlers::list_contacts, handlers::create_contact, handlers::import_contacts, handlers::get_contact, handlers::update_contact, handlers::delete_contact,
        handlers::list_interactions, handlers::get_interaction, handlers::list_interaction_messages,
        handlers::reply, handlers::set_interaction_status, handlers::mark_read, handlers::transfer, handlers::transfer_targets,
        handlers::send_message, handlers::send_bulk, handlers::get_message, handlers::cancel_message,
        handlers::list_opt_outs, handlers::create_opt_out, handlers::delete_opt_out,
        handlers::list_api_keys, handlers::create_api_key,
        handlers::events,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token (`sgs_…`, from POST /api/v1/auth/login) or a tenant API key (`sgk_…`).",
                    ))
                    .build(),
            ),
        );
    }
}

/// `GET /api/v1/openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
