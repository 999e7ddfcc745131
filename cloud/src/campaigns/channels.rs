//! A campaign's channel deleted under it (issue 12): its recipients are not lost.
//!
//! - [`held_on`]: the campaigns with recipients `queued` on a channel (what a delete without
//!   force names, and what a forced delete takes back).
//! - [`take_back_from`]: a forced delete asks the channel's gateway to give back what it holds
//!   of those campaigns and has not sent, in the delete's transaction. A gateway that speaks
//!   campaigns (contract version 4) gets one `campaign_halt` per campaign, which withdraws
//!   the campaign's slices on **every** port of that gateway (the contract has no per-port
//!   halt; a new batch for a port lifts the halt there); an older gateway gets a `cancel` per
//!   message. What the gateway gives back is reported `cancelled`, and a cancelled recipient
//!   is `to_process` again, so the runner hands it to the campaign's remaining channels.
//!   What a port already took is reported as it ends (sent or failed), never handed twice;
//!   what a gateway that never answers holds stays `queued` (it may have been sent).
//! - [`why_no_channel`]: a running campaign left with no live channel fails what waits with
//!   this reason, naming the channels that went, so it completes instead of waiting for ever
//!   (the runner does it, [`super::runner`]).

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use uuid::Uuid;

use super::model::{Campaign, RecipientState};
use crate::authz::{self, Scope};
use crate::hub::HubError;
use crate::hub::gateways::{enqueue, version_for};
use crate::model::{Channel, ChannelState, Org};
use crate::store::WriteTx;

/// A campaign with recipients queued on a channel.
#[derive(Debug, Clone)]
pub(crate) struct HeldOn {
    pub campaign: Campaign,
    /// Its recipients handed to the channel and not sent yet.
    pub queued: u64,
}

/// The campaigns of `holder` (the channel's holder) with recipients queued on `channel`.
pub(crate) fn held_on(
    tx: &mut dyn WriteTx,
    holder: &Org,
    channel: Uuid,
) -> Result<Vec<HeldOn>, HubError> {
    let scope = authz::tenant_system(holder);
    let mut out = Vec::new();
    for c in tx.campaigns().campaigns(&scope)? {
        if !c.channels.contains(&channel) {
            continue;
        }
        let queued = tx.campaigns().queued_on(&scope, c.id, channel)?;
        if queued > 0 {
            out.push(HeldOn {
                campaign: c,
                queued,
            });
        }
    }
    Ok(out)
}

/// Queues, for `channel`'s gateway, what takes back the recipients of `held` (see the module
/// rule). Returns the gateway's login to wake when something was queued.
pub(crate) fn take_back_from(
    tx: &mut dyn WriteTx,
    holder: &Org,
    channel: &Channel,
    held: &[HeldOn],
    now: DateTime<Utc>,
) -> Result<Option<String>, HubError> {
    if held.is_empty() {
        return Ok(None);
    }
    let scope = authz::tenant_system(holder);
    let gw_scope = authz::channel_gateway(channel);
    let Some(gateway) = tx.gateway(&gw_scope, channel.gateway_id)? else {
        return Ok(None);
    };
    let v = version_for(&gateway)?;
    for h in held {
        if v >= wire::CAMPAIGNS_SINCE {
            let down = wire::Down::CampaignHalt(wire::CampaignHalt {
                id: Uuid::now_v7(),
                v,
                campaign: h.campaign.id,
                // Not stopped: the campaign goes on through its other channels.
                reason: wire::HaltReason::Paused,
            });
            enqueue(tx, &gw_scope, &gateway, &down, None, now)?;
            continue;
        }
        let mut after = 0;
        loop {
            let queued = tx.campaigns().recipients(
                &scope,
                h.campaign.id,
                Some(RecipientState::Queued),
                after,
                1000,
            )?;
            let Some(last) = queued.last() else { break };
            after = last.seq;
            for r in queued {
                let Some(message_id) = r.message_id.filter(|_| r.channel_id == Some(channel.id))
                else {
                    continue;
                };
                let down = wire::Down::Cancel(wire::Cancel {
                    id: Uuid::now_v7(),
                    v,
                    message_id,
                });
                enqueue(tx, &gw_scope, &gateway, &down, Some(message_id), now)?;
            }
        }
    }
    Ok(Some(gateway.mqtt_username))
}

/// Why campaign `c` (read in the tenant's `scope`) has no live channel, naming the ones that
/// went: `channel +33… was deleted`, `… is no longer the tenant's`.
pub(crate) fn why_no_channel(
    tx: &mut dyn WriteTx,
    scope: &Scope,
    c: &Campaign,
) -> Result<String, HubError> {
    // Across tenants, to name a channel the tenant no longer holds.
    let all = authz::authenticating();
    let mut gone = Vec::new();
    for id in &c.channels {
        match tx.channel(&all, *id)? {
            Some(ch) if ch.state == ChannelState::Retired => {
                gone.push(format!("channel {} was deleted", ch.sim_number));
            }
            Some(ch) if tx.channel(scope, *id)?.is_none() => {
                gone.push(format!(
                    "channel {} is no longer the tenant's",
                    ch.sim_number
                ));
            }
            Some(_) => {}
            None => gone.push("a channel was removed".into()),
        }
    }
    if gone.is_empty() {
        gone.push("none of its channels is on the dial string's ports".into());
    }
    Ok(format!(
        "no channel of the campaign is left to send it: {}",
        gone.join("; ")
    ))
}
