//! Channels (SIM numbers on gateway ports): declare (platform operator), view, list,
//! distribute down the hierarchy, set the destination, set the country. Deleting one (it is
//! retired, kept for its history) is [`retire`].

mod retire;

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{MAX_NAME, bounded, non_empty, optional_country};
use super::{Hub, ListKind, Revocation};
use crate::authz::{self, Action, Actor, Target};
use crate::model::*;
use crate::phone;
use crate::store::{ChannelFilter, LiveBy, Page, PageRequest};

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
        self.lists_changed_at(&platform.path, &[ListKind::Channels]);
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
        self.list_changed(c.holder_id, ListKind::Channels);
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
        // It leaves the former holder's list and joins the new one's.
        self.lists_changed_at(&holder.path, &[ListKind::Channels]);
        if holder.id != to.id {
            self.lists_changed_at(&to.path, &[ListKind::Channels]);
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
        self.lists_changed_at(&holder.path, &[ListKind::Channels]);
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
}
