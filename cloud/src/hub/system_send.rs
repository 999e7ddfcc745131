//! Messages the hub sends by itself (out-of-hours replies, SMS notifications): queued through
//! the channel's gateway like any outbound message, authored by nobody, and marked as system
//! messages so response times leave them out.

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use uuid::Uuid;

use super::error::{HubError, found};
use super::gateways::{enqueue, version_for};
use super::{Hub, HubEvent};
use crate::authz::{self, Scope};
use crate::model::*;
use crate::store::WriteTx;

/// What a system send produced.
pub(crate) struct SystemSent {
    pub message: Message,
    pub events: Vec<HubEvent>,
    pub gateway: String,
}

/// Queues `text` to `interaction`'s contact through `channel`, in `tenant` scope. The
/// conversation's status is left as it is (an automatic answer is not a reply).
#[allow(clippy::too_many_arguments)]
pub(crate) fn queue_system_message(
    tx: &mut dyn WriteTx,
    tenant: &Scope,
    org: &Org,
    channel: &Channel,
    interaction: &Interaction,
    text: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<SystemSent, HubError> {
    let gw_scope = authz::channel_gateway(channel);
    let gateway = found(tx.gateway(&gw_scope, channel.gateway_id)?)?;
    let v = version_for(&gateway)?;
    let message = Message {
        id: Uuid::now_v7(),
        org_id: org.id,
        interaction_id: interaction.id,
        channel_id: channel.id,
        direction: MessageDirection::Outbound,
        from: channel.sim_number.clone(),
        to: interaction.contact_number.clone(),
        text: text.to_owned(),
        state: MessageState::Queued,
        error: None,
        evidence: None,
        author_id: None,
        campaign: None,
        created_at: now,
        updated_at: now,
    };
    tx.insert_message(tenant, &message)?;
    tx.floor_mut()
        .mark_system_message(tenant, org.id, message.id, kind)?;
    let down = wire::Down::Send(wire::Send {
        id: Uuid::now_v7(),
        v,
        message_id: message.id,
        port: channel.port.clone(),
        to: interaction.contact_number.clone(),
        text: text.to_owned(),
        request_dlr: true,
        // The hub's own reply in a conversation (out of hours, notification): not bulk.
        conversation: true,
    });
    enqueue(tx, &gw_scope, &gateway, &down, Some(message.id), now)?;
    Ok(SystemSent {
        events: vec![Hub::message_event(org, interaction, &message, true)],
        message,
        gateway: gateway.mqtt_username,
    })
}

/// Sends `text` to `number` through `channel` as a record of its own: a new closed
/// conversation (notifications to staff do not open work in the inbox; a reply from the
/// recipient starts a new conversation as usual).
#[allow(clippy::too_many_arguments)]
pub(crate) fn send_to_number(
    tx: &mut dyn WriteTx,
    tenant: &Scope,
    org: &Org,
    channel: &Channel,
    number: &str,
    text: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<SystemSent, HubError> {
    let i = Interaction {
        id: Uuid::now_v7(),
        org_id: org.id,
        channel_id: channel.id,
        contact_number: number.to_owned(),
        status: InteractionStatus::Closed,
        queue_id: None,
        assignee_id: None,
        read: true,
        campaign: None,
        created_at: now,
        updated_at: now,
    };
    tx.insert_interaction(tenant, &i)?;
    queue_system_message(tx, tenant, org, channel, &i, text, kind, now)
}
