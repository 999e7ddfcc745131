//! The OpenAPI 3 document (utoipa), served at `/api/v1/openapi.json`. Every operation also
//! documents the error shape as its `default` response.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::handlers::*;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "smsgate hub API", description = "Multi-tenant SMS hub: organisations, users, gateways, channels, queues, contacts and lists, interactions, messages, opt-outs, API keys, live events.\n\nErrors: every failure answers `{\"error\": {\"code\", \"message\", \"field\"?, \"details\"?}}` (see `ErrorBody`). Lists: `limit` (1–500, default 50), `cursor` (the previous page's `next_cursor`), `q` (search)."),
    paths(
        ops::health, ops::metrics,
        auth::login, auth::logout, auth::me,
        orgs::list_resellers, orgs::create_reseller, orgs::get_reseller, orgs::update_reseller, orgs::delete_reseller,
        orgs::list_tenants, orgs::create_tenant, orgs::get_tenant, orgs::update_tenant, orgs::delete_tenant,
        users::list_users, users::create_user, users::get_user, users::update_user, users::disconnect_user, users::set_user_state,
        gateways::list_gateways, gateways::create_gateway, gateways::get_gateway, gateways::update_gateway, gateways::delete_gateway, gateways::list_unrouted,
        channels::list_channels, channels::create_channel, channels::get_channel, channels::update_channel,
        channels::delete_channel, channels::distribute_channel, channels::set_destination,
        queues::list_queues, queues::create_queue, queues::get_queue, queues::update_queue, queues::delete_queue, queues::set_queue_members,
        contacts::list_contacts, contacts::create_contact, contacts::import_contacts, contacts::export_contacts, contacts::get_contact, contacts::update_contact, contacts::delete_contact,
        lists::list_lists, lists::create_list, lists::get_list, lists::update_list, lists::delete_list,
        lists::list_members, lists::add_members, lists::remove_member, lists::import_list,
        interactions::list_interactions, interactions::get_interaction, interactions::list_interaction_messages,
        interactions::reply, interactions::set_interaction_status, interactions::mark_read, interactions::transfer, interactions::transfer_targets,
        messages::send_message, messages::send_bulk, messages::list_bulk, messages::get_bulk, messages::get_message, messages::cancel_message,
        opt_outs::list_opt_outs, opt_outs::create_opt_out, opt_outs::delete_opt_out, opt_outs::opt_out_changes,
        api_keys::list_api_keys, api_keys::create_api_key, api_keys::revoke_api_key,
        events::events,
        floor::get_queue_routing, floor::put_queue_routing, floor::get_channel_hours, floor::put_channel_hours,
        floor::floor, floor::my_floor, floor::set_my_status, floor::take_over, floor::log_agent_out,
        notifications::get_settings, notifications::put_settings, notifications::log, notifications::contacts, notifications::put_contact,
        annotations::list_notes, annotations::add_note, annotations::get_labels, annotations::put_labels, annotations::labels,
        annotations::transcript, annotations::list_canned, annotations::create_canned, annotations::update_canned, annotations::delete_canned,
        reports::report, reports::export_report, reports::audit,
        campaigns::list_campaigns, campaigns::create_campaign, campaigns::get_campaign, campaigns::edit_campaign,
        campaigns::delete_campaign, campaigns::campaign_action, campaigns::import_recipients, campaigns::recipients_from_list,
        campaigns::list_recipients, campaigns::delete_unprocessed, campaigns::preview, campaigns::stats, campaigns::export,
        campaigns::list_dnc, campaigns::add_dnc, campaigns::remove_dnc,
        webhooks::list_webhooks, webhooks::create_webhook, webhooks::get_webhook, webhooks::update_webhook,
        webhooks::delete_webhook, webhooks::rotate_webhook_secret, webhooks::test_webhook, webhooks::list_deliveries,
    ),
    components(schemas(super::error::ErrorBody, crate::hub::reports::QuickRange, crate::hub::reports::export::Table,
        crate::campaigns::import::Format, crate::campaigns::RecipientState, crate::webhooks::WebhookEvent)),
    modifiers(&BearerAuth, &ErrorResponses)
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
                        "A session token (`sgs_…`, from POST /api/v1/auth/login) or a tenant API key (`sgk_…`). The scheme is case-insensitive.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Adds the error shape as every operation's `default` response.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let response = ResponseBuilder::new()
            .description("Any error: `{\"error\": {\"code\", \"message\", \"field\"?, \"details\"?}}`; 429 carries `Retry-After`.")
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"))))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| RefOr::T(response.clone()));
            }
        }
    }
}

/// `GET /api/v1/openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
