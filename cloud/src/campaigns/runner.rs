//! Execution: the hub hands recipients to the gateways of a campaign's channels and follows
//! what becomes of them.
//!
//! - [`Hub::run_campaigns`] ticks every [`TICK_MS`] ms (and when woken): for each scheduled or
//!   running campaign it applies the schedule (window open → `running`, closed → `scheduled`,
//!   end date or validity passed → the waiting recipients `expired` and the campaign
//!   `completed`), then, inside the window, hands each live channel the next recipients
//!   (priority, then upload order; **each live channel its share of what waits**, so all the
//!   campaign's ports send; a retired channel gets nothing and counts in no share; a dial
//!   string keeps the channels on its ports, in its order) as `send` commands in the
//!   gateway's command outbox — **in the same transaction as the recipients' move to
//!   `queued`**, so each recipient is handed over once;
//!   the outbox republishes until the gateway acknowledges, and the gateway spools each
//!   command once (its idempotency key), so a hub or link outage loses and doubles nothing.
//! - Pacing: with an interval, one recipient per channel per interval (to a gateway before
//!   version 4, which paces nothing of the campaign itself, the interval also runs from the
//!   last send it reported, so a hand-over held in a port's queue never shortens a gap); at
//!   interval 0, up to
//!   [`WINDOW_FAST`] in flight per channel (the gateway's own pacing, caps and sending hours
//!   then apply on the port).
//! - **An opt-out is checked again as each recipient is handed over**, so a STOP that arrives
//!   mid-campaign stops that number before the next batch.
//! - Pause and stop take back what the gateways hold and have not sent (one
//!   `campaign_halt` per version-4 gateway, else `cancel` commands: a cancelled recipient is
//!   `to_process` again); what a port already took is reported as it ends. **The gateways
//!   are woken only after the transaction that queued the halt commits** ([`Hub::take_back`]
//!   returns them; the link reads an outbox when woken, then forgets it).
//! - A running campaign left with no live channel (all deleted) fails what waits with the
//!   reason ([`super::channels`]); a forced delete of a channel first takes back what its
//!   gateway holds, so that goes to the other channels.
//! - [`super::reports`]: what a gateway reports moves each recipient.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use smsgate_wire as wire;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::machine::{self, Command};
use super::model::*;
use super::template;
use crate::authz::{self, Scope};
use crate::hub::gateways::{enqueue, version_for};
use crate::hub::{Hub, HubError};
use crate::model::ChannelState;
use crate::store::WriteTx;
use crate::store::campaigns::RecipientChange;

/// How often the runner looks at the campaigns.
pub const TICK_MS: u64 = 200;
/// Recipients in flight per channel at interval 0.
pub const WINDOW_FAST: u64 = 32;
/// Recipients a version-4 gateway holds per channel ahead of sending (what it keeps sending
/// through a hub outage).
pub const AHEAD: u64 = 2000;
/// Most recipients in one `down/campaign` batch.
pub const BATCH_MAX: usize = 500;
/// Payload budget of one batch (the broker's packet limit is 256 KiB).
pub const BATCH_BYTES: usize = 160 * 1024;
/// How far ahead a batch carries the schedule's windows.
pub const WINDOW_HORIZON_DAYS: i64 = 7;

const WAITING: &[RecipientState] = &[RecipientState::ToProcess];

/// When each (campaign, channel) may be given its next recipient.
pub type Pacing = HashMap<(Uuid, Uuid), DateTime<Utc>>;

/// One channel's part of a hand-over to a version-4 gateway.
#[derive(Clone, Copy)]
struct Slice<'a> {
    channel: &'a crate::model::Channel,
    gateway: &'a crate::model::Gateway,
    /// The contract version the gateway speaks.
    v: u32,
    /// Recipients of the campaign the gateway holds for this channel.
    in_flight: u64,
    /// This channel's share of the waiting recipients.
    share: u64,
}

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    pub handed: u64,
    pub state_changes: u64,
}

impl Hub {
    /// The runner task (see the module rule).
    pub async fn run_campaigns(self, shutdown: CancellationToken) {
        let mut pacing = Pacing::new();
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(TICK_MS));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let hub = self.clone();
            let mut p = std::mem::take(&mut pacing);
            let res = tokio::task::spawn_blocking(move || {
                let r = hub.campaign_tick(&mut p);
                (p, r)
            })
            .await;
            match res {
                Ok((p, Ok(_))) => pacing = p,
                Ok((p, Err(e))) => {
                    pacing = p;
                    tracing::warn!(error = %e, "campaigns: a tick failed; retrying");
                }
                Err(e) => tracing::error!(error = %e, "campaigns: the tick panicked"),
            }
        }
    }

    /// One pass over every scheduled and running campaign.
    pub fn campaign_tick(&self, pacing: &mut Pacing) -> Result<Tick, HubError> {
        let all = authz::authenticating();
        let active = self
            .read()?
            .campaigns()
            .campaigns_in(&all, &[CampaignState::Scheduled, CampaignState::Running])?;
        let mut out = Tick::default();
        let mut gateways = HashSet::new();
        for c in active {
            let org = match self.read()?.org(&all, c.org_id)? {
                Some(o) => o,
                None => continue,
            };
            let scope = authz::tenant_system(&org);
            let (handed, changed) = self.campaign_step(&scope, c.id, pacing, &mut gateways)?;
            out.handed += handed;
            out.state_changes += u64::from(changed);
        }
        for g in gateways {
            self.notify_outbox(g);
        }
        Ok(out)
    }

    fn campaign_step(
        &self,
        scope: &Scope,
        id: Uuid,
        pacing: &mut Pacing,
        gateways: &mut HashSet<String>,
    ) -> Result<(u64, bool), HubError> {
        let now = self.now();
        let mut tx = self.write()?;
        let Some(mut c) = tx.campaigns().campaign(scope, id)? else {
            return Ok((0, false));
        };
        if !matches!(c.state, CampaignState::Scheduled | CampaignState::Running) {
            return Ok((0, false));
        }
        let before = c.state;
        let expired_by_validity = c
            .options
            .validity_minutes
            .zip(c.started_at)
            .is_some_and(|(m, s)| now >= s + Duration::minutes(i64::from(m)));
        if c.schedule.is_over(now) || expired_by_validity {
            let why = if expired_by_validity {
                "not sent within the campaign's validity"
            } else {
                "not sent before the schedule's end date"
            };
            tx.campaigns_mut()
                .end_waiting(scope, id, RecipientState::Expired, why, now)?;
        }
        let open = c.schedule.is_open(now);
        let facts = self.campaign_facts(&mut *tx, scope, &c)?;
        c.state = machine::apply(c.state, Command::Window(open), facts).unwrap_or(c.state);
        let mut handed = 0;
        if c.state == CampaignState::Running {
            handed = self.hand_over(&mut *tx, scope, &c, now, pacing, gateways)?;
        }
        let counters = tx.campaigns().campaign_counters(scope, id)?;
        if counters.unprocessed() == 0 {
            c.state = machine::apply(c.state, Command::Finished, facts).unwrap_or(c.state);
            c.finished_at = Some(now);
        }
        let changed = c.state != before;
        if changed {
            c.updated_at = now;
            tx.campaigns_mut().update_campaign(scope, &c)?;
        }
        tx.commit()?;
        if changed && c.state == CampaignState::Completed {
            self.webhook_campaign_finished(c.org_id, c.id, &c.name, c.state.as_str());
        }
        Ok((handed, changed))
    }

    fn hand_over(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        c: &Campaign,
        now: DateTime<Utc>,
        pacing: &mut Pacing,
        gateways: &mut HashSet<String>,
    ) -> Result<u64, HubError> {
        let window = if c.interval_ms == 0 { WINDOW_FAST } else { 1 };
        let mut handed = 0;
        // The waiting recipients are shared among the live channels (a retired one, or one
        // the tenant no longer holds, sends nothing and takes no share): each takes its part
        // of what is left (rounded up), so every port of the campaign sends, not the first one
        // alone.
        let mut live = Vec::with_capacity(c.channels.len());
        for ch_id in &c.channels {
            if let Some(channel) = tx.channel(scope, *ch_id)?
                && channel.state != ChannelState::Retired
            {
                live.push(channel);
            }
        }
        if let Some(text) = &c.dial_string {
            // Only the channels on the listed ports, in the listed order (checked when set).
            let spec = smsgate_config::parse_port_spec(text)
                .map_err(|e| crate::hub::error::invalid("dial_string", e.to_string()))?;
            live = spec
                .ports()
                .iter()
                .filter_map(|p| {
                    live.iter()
                        .find(|ch| ch.port.parse::<u16>() == Ok(*p))
                        .cloned()
                })
                .collect();
        }
        if live.is_empty() {
            // Every channel went (deleted, or no longer the tenant's): what waits fails with
            // the reason instead of waiting for ever; what gateways give back follows.
            let why = super::channels::why_no_channel(tx, scope, c)?;
            tx.campaigns_mut()
                .end_waiting(scope, c.id, RecipientState::Failed, &why, now)?;
            return Ok(0);
        }
        let mut waiting = tx.campaigns().campaign_counters(scope, c.id)?.to_process;
        let mut channels_left = live.len() as u64;
        for channel in live {
            let share = waiting.div_ceil(channels_left.max(1));
            channels_left = channels_left.saturating_sub(1);
            if pacing.get(&(c.id, channel.id)).is_some_and(|t| *t > now) {
                continue;
            }
            let in_flight = tx.campaigns().queued_on(scope, c.id, channel.id)?;
            if in_flight >= window.max(AHEAD) {
                continue;
            }
            let gw_scope = authz::channel_gateway(&channel);
            let Some(gateway) = tx.gateway(&gw_scope, channel.gateway_id)? else {
                continue;
            };
            let v = version_for(&gateway)?;
            if v >= wire::CAMPAIGNS_SINCE {
                let slice = Slice {
                    channel: &channel,
                    gateway: &gateway,
                    v,
                    in_flight,
                    share,
                };
                let (n, taken) = self.hand_batch(tx, scope, c, slice, now)?;
                if n > 0 {
                    gateways.insert(gateway.mqtt_username.clone());
                }
                handed += n;
                waiting = waiting.saturating_sub(taken);
                continue;
            }
            if in_flight >= window {
                continue;
            }
            // A gateway before version 4 does not know the campaign's pace: the gap is kept
            // from the last send the hub heard of (never earlier than the send itself), not
            // from the hand-over, which a busy port's queue can hold back.
            if c.interval_ms > 0
                && let Some(last) = tx.campaigns().last_sent_on(scope, c.id, channel.id)?
                && last + Duration::milliseconds(c.interval_ms as i64) > now
            {
                continue;
            }
            let room = usize::try_from((window - in_flight).min(share)).unwrap_or(usize::MAX);
            let next = tx.campaigns().next_recipients(scope, c.id, room)?;
            if next.is_empty() {
                break;
            }
            waiting = waiting.saturating_sub(next.len() as u64);
            let mut changes = Vec::with_capacity(next.len());
            for r in next {
                let text = match prepare(tx, scope, c, &r)? {
                    Ok(text) => text,
                    Err(refused) => {
                        changes.push(refused);
                        continue;
                    }
                };
                let message_id = Uuid::now_v7();
                let down = wire::Down::Send(wire::Send {
                    id: Uuid::now_v7(),
                    v,
                    message_id,
                    port: channel.port.clone(),
                    to: r.number.clone(),
                    text,
                    request_dlr: true,
                    // A campaign message honours the lists on the gateway too.
                    conversation: false,
                });
                enqueue(tx, &gw_scope, &gateway, &down, Some(message_id), now)?;
                changes.push(RecipientChange {
                    seq: r.seq,
                    from: WAITING,
                    to: RecipientState::Queued,
                    reason: None,
                    message_id: Some(message_id),
                    channel: Some((channel.id, gateway.id)),
                });
                handed += 1;
            }
            tx.campaigns_mut()
                .set_recipients(scope, c.id, &changes, now)?;
            gateways.insert(gateway.mqtt_username.clone());
            pacing.insert(
                (c.id, channel.id),
                now + Duration::milliseconds(c.interval_ms as i64),
            );
        }
        Ok(handed)
    }

    /// Hands a version-4 gateway the next slice of `c` for its channel as one `down/campaign`
    /// batch (its windows, pace and validity with it), in the same transaction as the
    /// recipients' move to `queued`. The gateway then paces and schedules them itself, also
    /// through a hub outage. A batch goes when there is room for one (the gateway holds at
    /// most [`AHEAD`] of the channel) or when the channel's share of what is left fits.
    /// Returns (recipients handed over, recipients taken from the waiting ones: handed or
    /// refused).
    fn hand_batch(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        c: &Campaign,
        slice: Slice<'_>,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64), HubError> {
        let Slice {
            channel,
            gateway,
            v,
            in_flight,
            share,
        } = slice;
        let room = usize::try_from(AHEAD.saturating_sub(in_flight))
            .unwrap_or(BATCH_MAX)
            .min(BATCH_MAX);
        let share = usize::try_from(share).unwrap_or(usize::MAX);
        if room == 0 || share == 0 {
            return Ok((0, 0));
        }
        if share > room && room < BATCH_MAX && in_flight > 0 {
            // A small top-up while the gateway holds plenty: wait for room for a full batch
            // (fewer, larger commands). What is left and fits goes at once.
            return Ok((0, 0));
        }
        let next = tx
            .campaigns()
            .next_recipients(scope, c.id, room.min(share))?;
        if next.is_empty() {
            return Ok((0, 0));
        }
        let gw_scope = authz::channel_gateway(channel);
        let mut changes = Vec::with_capacity(next.len());
        let mut items = Vec::with_capacity(next.len());
        let mut bytes = 0;
        for r in next {
            if bytes >= BATCH_BYTES {
                break;
            }
            let text = match prepare(tx, scope, c, &r)? {
                Ok(text) => text,
                Err(refused) => {
                    changes.push(refused);
                    continue;
                }
            };
            let message_id = Uuid::now_v7();
            bytes += 96 + r.number.len() + 2 * text.len();
            items.push(wire::CampaignItem {
                message_id,
                to: r.number.clone(),
                text,
            });
            changes.push(RecipientChange {
                seq: r.seq,
                from: WAITING,
                to: RecipientState::Queued,
                reason: None,
                message_id: Some(message_id),
                channel: Some((channel.id, gateway.id)),
            });
        }
        let handed = items.len() as u64;
        if !items.is_empty() {
            let down = wire::Down::Campaign(wire::CampaignBatch {
                id: Uuid::now_v7(),
                v,
                campaign: c.id,
                name: c.name.clone(),
                port: channel.port.clone(),
                interval_ms: c.interval_ms,
                priority: c.priority,
                windows: c
                    .schedule
                    .windows(now, Duration::days(WINDOW_HORIZON_DAYS))
                    .into_iter()
                    .map(|(from, until)| wire::Window { from, until })
                    .collect(),
                expires_at: expires_at(c),
                items,
            });
            enqueue(tx, &gw_scope, gateway, &down, None, now)?;
        }
        tx.campaigns_mut()
            .set_recipients(scope, c.id, &changes, now)?;
        Ok((handed, changes.len() as u64))
    }

    /// Asks the gateways to give back what they hold of campaign `c` and have not sent, in
    /// the caller's transaction. Returns the logins of the gateways whose outbox got a
    /// command: **the caller wakes them with [`Hub::notify_outbox`] after its commit**. (A
    /// wake-up before the commit let the link read the outbox while the halt was not yet
    /// visible and then forget the gateway: the halt stayed unpublished until something else
    /// woke that gateway's outbox, so a stopped campaign kept sending.)
    pub(crate) fn take_back(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        c: &Campaign,
    ) -> Result<HashSet<String>, HubError> {
        let now = self.now();
        let mut after = 0;
        let mut gateways = HashSet::new();
        let mut halted = HashSet::new();
        let reason = if c.state == CampaignState::Stopped {
            wire::HaltReason::Stopped
        } else {
            wire::HaltReason::Paused
        };
        loop {
            let queued = tx.campaigns().recipients(
                scope,
                c.id,
                Some(RecipientState::Queued),
                after,
                1000,
            )?;
            let Some(last) = queued.last() else { break };
            after = last.seq;
            for r in queued {
                let (Some(message_id), Some(ch)) = (r.message_id, r.channel_id) else {
                    continue;
                };
                let Some(channel) = tx.channel(scope, ch)? else {
                    continue;
                };
                let gw_scope = authz::channel_gateway(&channel);
                let Some(gateway) = tx.gateway(&gw_scope, channel.gateway_id)? else {
                    continue;
                };
                let v = version_for(&gateway)?;
                if v >= wire::CAMPAIGNS_SINCE {
                    // One halt per gateway withdraws everything it holds of the campaign.
                    if halted.insert(gateway.id) {
                        let down = wire::Down::CampaignHalt(wire::CampaignHalt {
                            id: Uuid::now_v7(),
                            v,
                            campaign: c.id,
                            reason,
                        });
                        enqueue(tx, &gw_scope, &gateway, &down, None, now)?;
                        gateways.insert(gateway.mqtt_username);
                    }
                    continue;
                }
                let down = wire::Down::Cancel(wire::Cancel {
                    id: Uuid::now_v7(),
                    v,
                    message_id,
                });
                enqueue(tx, &gw_scope, &gateway, &down, Some(message_id), now)?;
                gateways.insert(gateway.mqtt_username);
            }
        }
        Ok(gateways)
    }
}

/// When a recipient of `c` not sent is dropped: the schedule's end, or the validity after the
/// start, whichever comes first.
fn expires_at(c: &Campaign) -> Option<DateTime<Utc>> {
    let by_validity = c
        .options
        .validity_minutes
        .zip(c.started_at)
        .map(|(m, s)| s + Duration::minutes(i64::from(m)));
    let by_end = c.schedule.windows_end();
    match (by_validity, by_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The text of recipient `r`, or the change that refuses it: opted out since the import (when
/// the campaign checks), or a placeholder without a value.
fn prepare(
    tx: &mut dyn WriteTx,
    scope: &Scope,
    c: &Campaign,
    r: &Recipient,
) -> Result<Result<String, RecipientChange>, HubError> {
    let refuse = |to, reason: String| RecipientChange {
        seq: r.seq,
        from: WAITING,
        to,
        reason: Some(reason),
        message_id: None,
        channel: None,
    };
    if c.options.opt_out_check
        && tx
            .campaigns()
            .number_opted_out(scope, c.org_id, &r.number)?
    {
        return Ok(Err(refuse(
            RecipientState::OptedOut,
            "the number opted out during the campaign".into(),
        )));
    }
    Ok(match r.text.clone() {
        Some(t) => Ok(t),
        None => template::render(&c.template, &r.vars)
            .map_err(|p| refuse(RecipientState::Failed, format!("no value for {{{{{p}}}}}"))),
    })
}
