//! Deleting a channel (platform operator) by retiring it: the record stays for the
//! interactions and messages that point at it; live interactions and unsent messages refuse
//! the delete unless it is forced, which closes the ones and cancels the others.

use uuid::Uuid;

use crate::authz::{self, Action, Actor};
use crate::hub::error::{HubError, found};
use crate::hub::{Hub, Revocation};
use crate::model::*;
use crate::store::{LiveBy, UnsentTo};

impl Hub {
    /// Deletes a channel (platform operator) by retiring it: the record stays for the
    /// interactions and messages that point at it, but it sends nothing, routes no inbound
    /// message (one that arrives is kept unrouted, with its text), leaves the lists and frees
    /// its port and SIM number. Refused while it has live interactions, outbound messages not
    /// sent yet or campaign recipients queued on it unless `force`, which closes the
    /// interactions and cancels the messages on their gateway (the seed's "Force Operation")
    /// and takes the campaign recipients back for the campaigns' other channels
    /// ([`crate::campaigns::channels`]); streams of the holder's people end (they lost the
    /// channel).
    pub fn retire_channel(
        &self,
        actor: &Actor,
        id: Uuid,
        force: bool,
    ) -> Result<Channel, HubError> {
        if actor.org().kind != OrgKind::Platform {
            return Err(HubError::NotFound);
        }
        let scope = authz::scope(actor, Action::CreateChannel)?;
        if !scope.covers_platform() {
            return Err(HubError::NotFound);
        }
        let mut tx = self.write()?;
        let mut channel = found(tx.channel(&scope, id)?)?;
        if channel.state == ChannelState::Retired {
            return Err(HubError::NotFound);
        }
        let holder = found(tx.org(&scope, channel.holder_id)?)?;
        let live = tx.live_interactions(&scope, LiveBy::Channel(id))?;
        let unsent = tx.unsent_outbound(&scope, UnsentTo::Channel(id))?;
        let held = crate::campaigns::channels::held_on(&mut *tx, &holder, id)?;
        let now = self.now();
        let mut events = Vec::new();
        let in_use = !live.is_empty() || !unsent.is_empty() || !held.is_empty();
        if in_use && !force {
            let mut what = Vec::new();
            if !live.is_empty() {
                what.push(format!("{} live interaction(s)", live.len()));
            }
            if !unsent.is_empty() {
                what.push(format!("{} outbound message(s) not sent yet", unsent.len()));
            }
            if !held.is_empty() {
                let queued: u64 = held.iter().map(|h| h.queued).sum();
                let names: Vec<&str> = held.iter().map(|h| h.campaign.name.as_str()).collect();
                what.push(format!(
                    "{queued} campaign recipient(s) queued on its gateway (campaign {})",
                    names.join(", ")
                ));
            }
            return Err(HubError::Conflict(format!(
                "channel {} has {} in {}; end them first or delete with force (which closes the interactions, cancels the unsent messages and gives the campaign recipients back to their campaign's other channels)",
                channel.sim_number,
                what.join(" and "),
                holder.name
            )));
        }
        // Forced: what still waits to go out through it is cancelled on its gateway.
        let withdrawn = crate::hub::unsent::withdraw(
            &mut *tx,
            &scope,
            UnsentTo::Channel(id),
            &format!(
                "cancelled: channel {} was deleted before it was sent",
                channel.sim_number
            ),
            now,
        )?;
        events.extend(withdrawn.events);
        // Its campaign recipients are taken back on the gateway; once given back (`cancelled`)
        // they wait again, for the campaign's other channels.
        let campaign_gateway =
            crate::campaigns::channels::take_back_from(&mut *tx, &holder, &channel, &held, now)?;
        {
            for mut i in live {
                i.status = InteractionStatus::Closed;
                i.updated_at = now;
                tx.update_interaction(&scope, &i)?;
                events.push(Hub::interaction_event(&holder, &i));
            }
        }
        let old_user = match channel.destination {
            Destination::User(u) => Some(u),
            _ => None,
        };
        channel.state = ChannelState::Retired;
        channel.retired_at = Some(now);
        tx.retire_channel(&scope, &channel)?;
        crate::hub::audit::record(
            &mut *tx,
            actor,
            crate::hub::audit::Audit::new(holder.id, "retired", "channel")
                .id(channel.id)
                .detail(channel.sim_number.clone()),
            now,
        )?;
        tx.commit()?;
        self.publish(events);
        self.lists_changed_at(&holder.path, &[crate::hub::ListKind::Channels]);
        for gw in withdrawn.gateways.into_iter().chain(campaign_gateway) {
            self.notify_outbox(gw);
        }
        if holder.kind != OrgKind::Platform {
            self.revoke(Revocation::Channel {
                org_path: holder.path,
                // A path nobody's starts with: every stream of the holder's subtree ends.
                new_path: "\u{0}".into(),
                user: old_user,
            });
        }
        Ok(channel)
    }
}

#[cfg(test)]
mod tests {
    use crate::hub::HubError;
    use crate::hub::testkit::*;
    use crate::model::*;
    use crate::store::{ChannelFilter, PageRequest, TextFilter};

    #[test]
    fn a_channel_with_a_live_conversation_is_not_deleted_without_force_and_the_refusal_names_it() {
        let w = world();
        w.inbound("+33611111111", "hello");
        let err = w
            .hub
            .retire_channel(&w.root, w.channel.id, false)
            .unwrap_err();
        assert!(
            matches!(err, HubError::Conflict(ref m) if m.contains("1 live interaction") && m.contains("+33700000001") && m.contains("force")),
            "{err:?}"
        );
        let c = w.hub.channel(&w.root, w.channel.id).unwrap();
        assert_eq!(c.state, ChannelState::Active);
        assert!(
            w.hub.interactions(&w.admin, None).unwrap()[0]
                .status
                .is_live()
        );
    }

    #[test]
    fn a_forced_delete_closes_the_live_conversations_and_retires_the_channel_kept_for_history() {
        let w = world();
        w.inbound("+33611111111", "hello");
        let c = w.hub.retire_channel(&w.root, w.channel.id, true).unwrap();
        assert_eq!(c.state, ChannelState::Retired);
        assert!(c.retired_at.is_some());
        let interactions = w.hub.interactions(&w.admin, None).unwrap();
        assert_eq!(interactions.len(), 1, "the history stays");
        assert_eq!(interactions[0].status, InteractionStatus::Closed);
        assert_eq!(interactions[0].channel_id, c.id);
        // Kept for history: found by id, out of the lists unless asked for.
        assert_eq!(
            w.hub.channel(&w.admin, c.id).unwrap().state,
            ChannelState::Retired
        );
        assert!(w.hub.channels(&w.admin).unwrap().is_empty());
        let all = w
            .hub
            .list_channels(
                &w.admin,
                &ChannelFilter {
                    include_retired: true,
                    ..ChannelFilter::default()
                },
                &PageRequest::all(),
            )
            .unwrap()
            .items;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].sim_number, "+33700000001", "the real number is kept");
        assert_eq!(all[0].port, "0");
        // Deleting it again finds nothing to delete.
        assert!(matches!(
            w.hub.retire_channel(&w.root, c.id, true),
            Err(HubError::NotFound)
        ));
    }

    #[test]
    fn a_retired_channel_sends_nothing_routes_nothing_and_frees_its_port_and_number() {
        let w = world();
        w.hub.retire_channel(&w.root, w.channel.id, false).unwrap();
        let err = w
            .hub
            .send(
                &w.admin,
                crate::hub::SendRequest {
                    channel: Some(w.channel.id),
                    to: "+33622222222".into(),
                    text: "hi".into(),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(
            matches!(err, HubError::Conflict(ref m) if m.contains("retired")),
            "{err:?}"
        );
        assert!(matches!(
            w.hub
                .set_destination(&w.admin, w.channel.id, Destination::Tenant),
            Err(HubError::Conflict(_))
        ));
        w.inbound("+33611111111", "anyone there?");
        assert!(
            w.hub.interactions(&w.admin, None).unwrap().is_empty(),
            "inbound on a retired channel is not routed to the tenant"
        );
        let again = w
            .hub
            .create_channel(&w.root, w.channel.gateway_id, "0", "+33700000001")
            .unwrap();
        assert_eq!(again.state, ChannelState::Active);
        assert_ne!(again.id, w.channel.id);
    }

    #[test]
    fn an_sms_on_a_retired_channels_port_is_kept_unrouted_with_its_text() {
        let w = world();
        w.hub.retire_channel(&w.root, w.channel.id, false).unwrap();
        w.inbound("+33611111111", "is this still the support line?");
        let kept = w
            .hub
            .unrouted_messages(&w.root, &TextFilter::default(), &PageRequest::all())
            .unwrap()
            .items;
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].text, "is this still the support line?");
        assert_eq!(kept[0].from, "+33611111111");
        assert_eq!(kept[0].port, "0");
        assert_eq!(kept[0].gateway_id, w.channel.gateway_id);
        assert!(kept[0].reason.contains("no channel on port"), "{kept:?}");
        // Searched by its text; a tenant does not see the platform's records.
        let found = w
            .hub
            .unrouted_messages(
                &w.root,
                &TextFilter {
                    org: None,
                    q: Some("support line".into()),
                },
                &PageRequest::all(),
            )
            .unwrap();
        assert_eq!(found.items.len(), 1);
        assert!(matches!(
            w.hub
                .unrouted_messages(&w.admin, &TextFilter::default(), &PageRequest::all()),
            Err(HubError::NotFound)
        ));
    }

    fn send(w: &World, to: &str) -> Message {
        w.hub
            .send(
                &w.admin,
                crate::hub::SendRequest {
                    to: to.into(),
                    text: "your parcel".into(),
                    ..Default::default()
                },
            )
            .unwrap()
    }

    #[test]
    fn a_delete_without_force_names_the_unsent_messages_even_with_no_live_conversation() {
        let w = world();
        let m = send(&w, "+33622222222");
        w.hub
            .set_interaction_status(&w.admin, m.interaction_id, InteractionStatus::Closed)
            .unwrap();
        let err = w
            .hub
            .retire_channel(&w.root, w.channel.id, false)
            .unwrap_err();
        assert!(
            matches!(err, HubError::Conflict(ref e) if e.contains("1 outbound message(s) not sent yet") && !e.contains("live interaction") && e.contains("force")),
            "{err:?}"
        );
        assert_eq!(
            w.hub.channel(&w.root, w.channel.id).unwrap().state,
            ChannelState::Active
        );
        // With a live conversation too, both are named.
        send(&w, "+33633333333");
        let err = w
            .hub
            .retire_channel(&w.root, w.channel.id, false)
            .unwrap_err();
        assert!(
            matches!(err, HubError::Conflict(ref e) if e.contains("1 live interaction(s) and 2 outbound message(s) not sent yet")),
            "{err:?}"
        );
    }

    #[test]
    fn a_forced_delete_cancels_the_unsent_messages_on_the_gateway_with_the_reason() {
        let w = world();
        let m = send(&w, "+33622222222");
        w.hub.retire_channel(&w.root, w.channel.id, true).unwrap();
        let m = w.hub.message(&w.admin, m.id).unwrap();
        assert_eq!(
            m.error.as_deref(),
            Some("cancelled: channel +33700000001 was deleted before it was sent")
        );
        let ingest = w.hub.gateway_ingest();
        let downs = ingest.pending_commands(&w.gw).unwrap();
        let cancel = downs
            .iter()
            .find_map(|d| match d {
                smsgate_wire::Down::Cancel(c) => Some(c.clone()),
                _ => None,
            })
            .expect("a cancel for the unsent message");
        assert_eq!(cancel.message_id, m.id);
        for d in downs {
            ingest
                .ingest(
                    &w.gw,
                    smsgate_wire::Up::Ack(smsgate_wire::Ack::new(
                        d.id(),
                        3,
                        smsgate_wire::AckOutcome::Applied,
                        None,
                    )),
                )
                .unwrap();
        }
        assert_eq!(
            w.hub.message(&w.admin, m.id).unwrap().state,
            MessageState::Cancelled
        );
    }

    #[test]
    fn only_the_platform_operator_deletes_a_channel() {
        let w = world();
        assert!(matches!(
            w.hub.retire_channel(&w.admin, w.channel.id, true),
            Err(HubError::NotFound)
        ));
        assert_eq!(
            w.hub.channel(&w.admin, w.channel.id).unwrap().state,
            ChannelState::Active
        );
    }
}
