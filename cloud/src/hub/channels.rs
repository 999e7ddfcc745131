//! Channels (SIM numbers on gateway ports): declare (platform operator), view, list,
//! distribute down the hierarchy, set the destination, set the country.

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{MAX_NAME, bounded, non_empty, optional_country};
use super::{Hub, Revocation};
use crate::authz::{self, Action, Actor, Target};
use crate::model::*;
use crate::phone;
use crate::store::{ChannelFilter, LiveBy, Page, PageRequest, UnsentTo};

/// What a platform operator declares: a SIM on a gateway port, and its options.
#[derive(Debug, Clone, Copy)]
pub struct ChannelDeclaration<'a> {
    pub gateway_id: Uuid,
    pub port: &'a str,
    /// International (`+33 7 00 00 00 01`); national numbers are refused (no country to read them in).
    pub sim_number: &'a str,
    /// ISO 3166 alpha-2 country national numbers are read in (`None` or `""`: the SIM number's).
    pub country: Option<&'a str>,
    /// What people call the channel (`None` or `""`: shown by its number).
    pub name: Option<&'a str>,
}

impl<'a> ChannelDeclaration<'a> {
    pub fn new(gateway_id: Uuid, port: &'a str, sim_number: &'a str) -> Self {
        Self {
            gateway_id,
            port,
            sim_number,
            country: None,
            name: None,
        }
    }
}

/// Refuses a retired channel for anything but history (sends, replies, moves, destinations).
pub(crate) fn in_service(channel: &Channel) -> Result<(), HubError> {
    match channel.state {
        ChannelState::Active => Ok(()),
        ChannelState::Retired => Err(HubError::Conflict(format!(
            "channel {} is retired (deleted): it sends and routes nothing",
            channel.sim_number
        ))),
    }
}

impl Hub {
    /// Declares a channel (a SIM number on a gateway port), held by the platform.
    pub fn create_channel(
        &self,
        actor: &Actor,
        gateway_id: Uuid,
        port: &str,
        sim_number: &str,
    ) -> Result<Channel, HubError> {
        self.declare_channel(actor, ChannelDeclaration::new(gateway_id, port, sim_number))
    }

    /// Declares a channel with its options; every field is checked before anything is written.
    pub fn declare_channel(
        &self,
        actor: &Actor,
        d: ChannelDeclaration<'_>,
    ) -> Result<Channel, HubError> {
        let ChannelDeclaration {
            gateway_id,
            port,
            sim_number,
            country,
            name,
        } = d;
        if actor.org().kind != OrgKind::Platform {
            return Err(HubError::NotFound);
        }
        let scope = authz::scope(actor, Action::CreateChannel)?;
        if !scope.covers_platform() {
            return Err(HubError::NotFound);
        }
        let sim_number = match phone::normalise(sim_number, None) {
            Ok((n, phone::Kind::E164)) => n,
            Ok(_) => {
                return Err(invalid(
                    "sim_number",
                    "a SIM number is +<country code><number>",
                ));
            }
            Err(e) => return Err(invalid("sim_number", e.to_string())),
        };
        let port = non_empty("port", port)?;
        let country = optional_country("country", country)?;
        let name = match name.map(|n| bounded("name", n, MAX_NAME)).transpose()? {
            Some(n) if !n.is_empty() => Some(n),
            _ => None,
        };
        let mut tx = self.write()?;
        if tx.gateway(&scope, gateway_id)?.is_none() {
            return Err(invalid("gateway", "no such gateway"));
        }
        let platform = tx
            .platform()?
            .ok_or_else(|| HubError::Conflict("the hub is not bootstrapped".into()))?;
        let channel = Channel {
            id: Uuid::now_v7(),
            gateway_id,
            port,
            sim_number,
            name,
            holder_id: platform.id,
            destination: Destination::Tenant,
            country,
            state: ChannelState::Active,
            retired_at: None,
            created_at: self.now(),
        };
        tx.insert_channel(&scope, &channel)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(platform.id, "created", "channel")
                .id(channel.id)
                .detail(channel.sim_number.clone()),
            self.now(),
        )?;
        tx.commit()?;
        Ok(channel)
    }

    pub fn channel(&self, actor: &Actor, id: Uuid) -> Result<Channel, HubError> {
        let scope = authz::scope(actor, Action::ViewChannel)?;
        found(self.read()?.channel(&scope, id)?)
    }

    pub fn channels(&self, actor: &Actor) -> Result<Vec<Channel>, HubError> {
        Ok(self
            .list_channels(actor, &ChannelFilter::default(), &PageRequest::all())?
            .items)
    }

    pub fn list_channels(
        &self,
        actor: &Actor,
        filter: &ChannelFilter,
        page: &PageRequest,
    ) -> Result<Page<Channel>, HubError> {
        let scope = authz::scope(actor, Action::ViewChannel)?;
        Ok(self.read()?.channels(&scope, filter, page)?)
    }

    /// Deletes a channel (platform operator) by retiring it: the record stays for the
    /// interactions and messages that point at it, but it sends nothing, routes no inbound
    /// message (one that arrives is kept unrouted, with its text), leaves the lists and frees
    /// its port and SIM number. Refused while it has live interactions or outbound messages not
    /// sent yet unless `force`, which closes the interactions and cancels the messages on their
    /// gateway (the seed's "Force Operation"); streams of the holder's people end (they lost the
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
        let now = self.now();
        let mut events = Vec::new();
        if !force && !(live.is_empty() && unsent.is_empty()) {
            let mut what = Vec::new();
            if !live.is_empty() {
                what.push(format!("{} live interaction(s)", live.len()));
            }
            if !unsent.is_empty() {
                what.push(format!("{} outbound message(s) not sent yet", unsent.len()));
            }
            return Err(HubError::Conflict(format!(
                "channel {} has {} in {}; end them first or delete with force (which closes the interactions and cancels the unsent messages)",
                channel.sim_number,
                what.join(" and "),
                holder.name
            )));
        }
        // Forced: what still waits to go out through it is cancelled on its gateway.
        let withdrawn = super::unsent::withdraw(
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
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(holder.id, "retired", "channel")
                .id(channel.id)
                .detail(channel.sim_number.clone()),
            now,
        )?;
        tx.commit()?;
        self.publish(events);
        for gw in withdrawn.gateways {
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

    /// Sets (or clears, with `""`) the country numbers without a prefix are read in.
    pub fn set_channel_country(
        &self,
        actor: &Actor,
        id: Uuid,
        country: &str,
    ) -> Result<Channel, HubError> {
        let scope = authz::scope(actor, Action::ConfigureChannel)?;
        let country = optional_country("country", Some(country))?;
        let mut tx = self.write()?;
        let mut c = found(tx.channel(&scope, id)?)?;
        c.country = country;
        tx.update_channel(&scope, &c)?;
        tx.commit()?;
        Ok(c)
    }

    /// Hands a channel to another organisation of the caller's subtree (down to a reseller or
    /// tenant, or back up to the caller). Refused while the channel has live interactions
    /// unless `force`, which closes them. The destination resets to the new holder's inbox;
    /// streams of the former holder's people end (they lost the channel).
    pub fn distribute_channel(
        &self,
        actor: &Actor,
        id: Uuid,
        to_org: Uuid,
        force: bool,
    ) -> Result<Channel, HubError> {
        let scope = authz::scope(actor, Action::DistributeChannel)?;
        let mut tx = self.write()?;
        let mut channel = found(tx.channel(&scope, id)?)?;
        in_service(&channel)?;
        let holder = found(tx.org(&scope, channel.holder_id)?)?;
        let to = found(tx.org(&scope, to_org)?)?;
        authz::authorize(actor, Action::DistributeChannel, Target::Org(&to))?;
        let live = tx.live_interactions(&scope, LiveBy::Channel(id))?;
        let now = self.now();
        let mut events = Vec::new();
        if !live.is_empty() {
            if !force {
                return Err(HubError::Conflict(format!(
                    "the channel has {} live interaction(s); use force to end them",
                    live.len()
                )));
            }
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
        channel.holder_id = to.id;
        channel.destination = Destination::Tenant;
        tx.update_channel(&scope, &channel)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(to.id, "distributed", "channel")
                .id(channel.id)
                .detail(format!("{} to {}", channel.sim_number, to.name)),
            self.now(),
        )?;
        tx.commit()?;
        self.publish(events);
        if holder.id != to.id {
            self.revoke(Revocation::Channel {
                org_path: holder.path,
                new_path: to.path,
                user: old_user,
            });
        }
        Ok(channel)
    }

    /// Sets where a tenant channel's inbound messages go.
    pub fn set_destination(
        &self,
        actor: &Actor,
        id: Uuid,
        destination: Destination,
    ) -> Result<Channel, HubError> {
        let scope = authz::scope(actor, Action::ConfigureChannel)?;
        let mut tx = self.write()?;
        let mut channel = found(tx.channel(&scope, id)?)?;
        in_service(&channel)?;
        let holder = found(tx.org(&scope, channel.holder_id)?)?;
        if holder.kind != OrgKind::Tenant {
            return Err(invalid(
                "destination",
                "assign the channel to a tenant before choosing its destination",
            ));
        }
        match destination {
            Destination::Tenant => {}
            Destination::Queue(q) => {
                if tx.queue(&scope, q)?.is_none_or(|q| q.org_id != holder.id) {
                    return Err(invalid(
                        "destination",
                        "no such queue in the channel's tenant",
                    ));
                }
            }
            Destination::User(u) => {
                if tx
                    .user(&scope, u)?
                    .is_none_or(|u| u.org_id != holder.id || u.state != UserState::Active)
                {
                    return Err(invalid(
                        "destination",
                        "no such active user in the channel's tenant",
                    ));
                }
            }
        }
        let old_user = match channel.destination {
            Destination::User(u) if destination != Destination::User(u) => Some(u),
            _ => None,
        };
        channel.destination = destination;
        tx.update_channel(&scope, &channel)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(channel.holder_id, "changed", "channel_destination")
                .id(channel.id)
                .detail(channel.sim_number.clone()),
            self.now(),
        )?;
        tx.commit()?;
        if old_user.is_some() {
            self.revoke(Revocation::Channel {
                org_path: "/\u{0}".into(),
                new_path: "/".into(),
                user: old_user,
            });
        }
        Ok(channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;
    use crate::store::TextFilter;

    #[test]
    fn a_sim_number_is_stored_in_e164_and_a_national_one_is_refused() {
        let w = world();
        let g = w.channel.gateway_id;
        let c = w
            .hub
            .create_channel(&w.root, g, "1", "+33 7 00 00 00 02")
            .unwrap();
        assert_eq!(c.sim_number, "+33700000002");
        let err = w
            .hub
            .create_channel(&w.root, g, "2", "0700000003")
            .unwrap_err();
        assert!(
            matches!(err, HubError::Invalid { ref field, .. } if field == "sim_number"),
            "{err:?}"
        );
        let c = w.hub.set_channel_country(&w.root, c.id, "fr").unwrap();
        assert_eq!(c.country.as_deref(), Some("FR"));
    }

    #[test]
    fn a_channel_declared_with_a_country_keeps_it_and_a_bad_country_declares_nothing() {
        let w = world();
        let g = w.channel.gateway_id;
        let err = w
            .hub
            .declare_channel(
                &w.root,
                ChannelDeclaration {
                    country: Some("ZZ"),
                    ..ChannelDeclaration::new(g, "3", "+447700900001")
                },
            )
            .unwrap_err();
        assert!(
            matches!(err, HubError::Invalid { ref field, .. } if field == "country"),
            "{err:?}"
        );
        assert!(
            w.hub
                .channels(&w.root)
                .unwrap()
                .iter()
                .all(|c| c.sim_number != "+447700900001"),
            "a refused declaration wrote a channel"
        );
        let c = w
            .hub
            .declare_channel(
                &w.root,
                ChannelDeclaration {
                    country: Some("gb"),
                    ..ChannelDeclaration::new(g, "3", "+447700900001")
                },
            )
            .unwrap();
        assert_eq!(c.country.as_deref(), Some("GB"));
        assert_eq!(
            w.hub.channel(&w.root, c.id).unwrap().country.as_deref(),
            Some("GB")
        );
    }

    #[test]
    fn a_channel_declared_with_a_name_keeps_it_trimmed_and_a_blank_name_is_no_name() {
        let w = world();
        let g = w.channel.gateway_id;
        let named = w
            .hub
            .declare_channel(
                &w.root,
                ChannelDeclaration {
                    name: Some("  Support line "),
                    ..ChannelDeclaration::new(g, "4", "+447700900004")
                },
            )
            .unwrap();
        assert_eq!(named.name.as_deref(), Some("Support line"));
        assert_eq!(
            w.hub.channel(&w.root, named.id).unwrap().name.as_deref(),
            Some("Support line")
        );
        let blank = w
            .hub
            .declare_channel(
                &w.root,
                ChannelDeclaration {
                    name: Some("   "),
                    ..ChannelDeclaration::new(g, "5", "+447700900005")
                },
            )
            .unwrap();
        assert_eq!(blank.name, None);
    }

    #[test]
    fn a_channel_name_too_long_is_named_and_declares_nothing() {
        let w = world();
        let g = w.channel.gateway_id;
        let long = "x".repeat(MAX_NAME + 1);
        let err = w
            .hub
            .declare_channel(
                &w.root,
                ChannelDeclaration {
                    name: Some(&long),
                    ..ChannelDeclaration::new(g, "6", "+447700900006")
                },
            )
            .unwrap_err();
        assert!(
            matches!(err, HubError::Invalid { ref field, .. } if field == "name"),
            "{err:?}"
        );
        assert!(
            w.hub
                .channels(&w.root)
                .unwrap()
                .iter()
                .all(|c| c.sim_number != "+447700900006")
        );
    }

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
