//! Opt-outs of a tenant (STOP / START, and numbers added by hand): list, add, remove, and the
//! per-tenant change log. Every change is logged with a per-tenant version in the same
//! transaction, so pushing the list to gateways is replaying the log from the version a
//! gateway last acknowledged ([`super::edge_sync`]; every change wakes the gateways carrying
//! the tenant's channels).

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::{Hub, ListKind};
use crate::authz::{self, Action, Actor, Target};
use crate::model::*;
use crate::phone;
use crate::store::{OptOutChange, Page, PageRequest, TextFilter, UnsentTo};

impl Hub {
    pub fn opt_outs(&self, actor: &Actor) -> Result<Vec<OptOut>, HubError> {
        Ok(self
            .list_opt_outs(actor, &TextFilter::default(), &PageRequest::all())?
            .items)
    }

    pub fn list_opt_outs(
        &self,
        actor: &Actor,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<OptOut>, HubError> {
        let scope = authz::scope(actor, Action::ViewOptOut)?;
        Ok(self.read()?.opt_outs(&scope, filter, page)?)
    }

    /// Adds a number by hand (read in the channel's country when given, else the tenant's).
    pub fn add_opt_out(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        number: &str,
        channel: Option<Uuid>,
    ) -> Result<OptOut, HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, org_id, "opt-out lists")?;
        let scope = authz::authorize(actor, Action::ManageOptOut, Target::Org(&org))?;
        let ch = match channel {
            Some(c) => Some(
                tx.channel(&scope, c)?
                    .filter(|c| c.holder_id == org.id)
                    .ok_or_else(|| invalid("channel", "no such channel in this tenant"))?,
            ),
            None => None,
        };
        let ctx = phone::context_country(
            ch.as_ref().and_then(|c| c.country.as_deref()),
            ch.as_ref().map(|c| c.sim_number.as_str()),
            org.country.as_deref(),
        );
        let number = phone::recipient(number, ctx).map_err(|e| invalid("number", e.to_string()))?;
        let o = OptOut {
            id: Uuid::now_v7(),
            org_id: org.id,
            number: number.clone(),
            channel_id: channel,
            source: "manual".into(),
            created_at: self.now(),
        };
        if !tx.insert_opt_out(&scope, &o)? {
            return Err(HubError::Conflict(format!("{number} is already opted out")));
        }
        // Messages still waiting for this number are taken back (cancelled on their gateway).
        let withdrawn = super::unsent::withdraw(
            &mut *tx,
            &scope,
            UnsentTo::Number {
                org_id: org.id,
                number: &number,
            },
            &super::unsent::opted_out_reason(&number, "added to the opt-out list"),
            self.now(),
        )?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(org.id, "created", "opt_out")
                .id(o.id)
                .detail(number.clone()),
            self.now(),
        )?;
        tx.commit()?;
        let mut events = withdrawn.events;
        events.push(Hub::list_event(&org.path, ListKind::OptOuts));
        self.publish(events);
        for gw in withdrawn.gateways {
            self.notify_outbox(gw);
        }
        super::edge_sync::notify_tenant(&self.inner, org.id)?;
        Ok(o)
    }

    pub fn remove_opt_out(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageOptOut)?;
        let mut tx = self.write()?;
        let o = found(tx.opt_out(&scope, id)?)?;
        tx.delete_opt_out(&scope, o.org_id, &o.number, self.now())?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(o.org_id, "deleted", "opt_out")
                .id(o.id)
                .detail(o.number.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.list_changed(o.org_id, ListKind::OptOuts);
        super::edge_sync::notify_tenant(&self.inner, o.org_id)?;
        Ok(())
    }

    /// Changes of a tenant's list after `since` (oldest first, at most `limit`).
    pub fn opt_out_changes(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        since: i64,
        limit: usize,
    ) -> Result<Vec<OptOutChange>, HubError> {
        let scope = authz::scope(actor, Action::ViewOptOut)?;
        let mut tx = self.read()?;
        let org = self.tenant_or_own(&mut *tx, &scope, actor, org_id, "opt-out lists")?;
        Ok(tx.opt_out_changes(&scope, org.id, since, limit.clamp(1, 1000))?)
    }
}

#[cfg(test)]
mod tests {

    use crate::hub::testkit::*;

    #[test]
    fn every_change_is_logged_with_a_per_tenant_version() {
        let w = world();
        let o = w
            .hub
            .add_opt_out(&w.admin, None, "0033611111111", None)
            .unwrap();
        assert_eq!(o.number, "+33611111111");
        w.hub.remove_opt_out(&w.admin, o.id).unwrap();
        w.inbound("+33622222222", "STOP");
        let log = w.hub.opt_out_changes(&w.admin, None, 0, 100).unwrap();
        let seen: Vec<_> = log
            .iter()
            .map(|c| (c.version, c.number.as_str(), c.added))
            .collect();
        assert_eq!(
            seen,
            vec![
                (1, "+33611111111", true),
                (2, "+33611111111", false),
                (3, "+33622222222", true)
            ]
        );
        assert_eq!(
            w.hub.opt_out_changes(&w.admin, None, 2, 100).unwrap().len(),
            1
        );
    }
}
