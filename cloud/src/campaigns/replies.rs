//! Replies to campaigns: a conversation a contact opens (or continues) by answering a campaign
//! message names that campaign, so the inbox shows which campaign it answered (the seed's
//! "SMS campaign name" at the top of an interaction).
//!
//! The campaign answered is the latest of the tenant's campaign messages handed to that number
//! through the channel the reply came in on — one known sent first, else one still queued
//! (a message whose outcome is unknown stays queued, and the reply says it arrived). A later
//! campaign to the same number takes over the live conversation; a failed or never-sent
//! recipient names nothing. The name is kept current by the store when the campaign is
//! renamed (migration 9 indexes the conversations by campaign).

use crate::authz::Scope;
use crate::hub::HubError;
use crate::model::Interaction;
use crate::store::WriteTx;

/// Names on `interaction` (in the tenant's `scope`, just written for an inbound message) the
/// campaign it answers and stores the change; `true` when it changed.
pub(crate) fn name_answered_campaign(
    tx: &mut dyn WriteTx,
    scope: &Scope,
    interaction: &mut Interaction,
) -> Result<bool, HubError> {
    let answered = tx.campaigns().answered_campaign(
        scope,
        interaction.org_id,
        interaction.channel_id,
        &interaction.contact_number,
    )?;
    let Some(answered) = answered else {
        return Ok(false);
    };
    if interaction.campaign.as_ref() == Some(&answered) {
        return Ok(false);
    }
    interaction.campaign = Some(answered);
    tx.update_interaction(scope, interaction)?;
    Ok(true)
}
