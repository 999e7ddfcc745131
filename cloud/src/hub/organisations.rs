//! Resellers (L1 under the platform, L2 under an L1) and tenants: create, view, list, edit
//! (name unique among siblings, type, country), delete.

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{bounded, non_empty, optional_country};
use super::{Hub, ListKind, Revocation};
use crate::authz::{self, Action, Actor, Target};
use crate::model::*;
use crate::store::{ChannelFilter, LiveBy, OrgFilter, Page, PageRequest};

/// Input of [`Hub::create_org_with`].
#[derive(Debug, Clone, Default)]
pub struct NewOrg {
    pub parent: Option<Uuid>,
    pub name: String,
    pub country: Option<String>,
    pub org_type: Option<String>,
}

/// Input of [`Hub::update_org`]: only the given fields change (an empty string clears
/// `country` / `type`).
#[derive(Debug, Clone, Default)]
pub struct OrgUpdate {
    pub name: Option<String>,
    pub country: Option<String>,
    pub org_type: Option<String>,
}

/// The path of the organisation above the one at `path` (`/p/r1/t/` → `/p/r1/`).
fn parent_path(path: &str) -> &str {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    trimmed.rfind('/').map_or(path, |i| &path[..=i])
}

impl Hub {
    /// Creates a reseller or a tenant under `parent` (default: the caller's organisation).
    pub fn create_org(
        &self,
        actor: &Actor,
        parent: Option<Uuid>,
        kind: OrgKind,
        name: &str,
    ) -> Result<Org, HubError> {
        self.create_org_with(
            actor,
            kind,
            NewOrg {
                parent,
                name: name.to_owned(),
                ..NewOrg::default()
            },
        )
    }

    pub fn create_org_with(
        &self,
        actor: &Actor,
        kind: OrgKind,
        new: NewOrg,
    ) -> Result<Org, HubError> {
        let action = match kind {
            OrgKind::Tenant => Action::CreateTenant,
            OrgKind::ResellerL1 | OrgKind::ResellerL2 => Action::CreateReseller,
            OrgKind::Platform => return Err(invalid("kind", "there is only one platform")),
        };
        let scope = authz::scope(actor, Action::ViewOrg)?;
        let name = non_empty("name", &new.name)?;
        let country = optional_country("country", new.country.as_deref())?;
        let org_type = new
            .org_type
            .as_deref()
            .map(|t| bounded("type", t, 50))
            .transpose()?
            .filter(|t| !t.is_empty());
        let mut tx = self.write()?;
        let parent = self.org_or_own(&mut *tx, &scope, actor, new.parent)?;
        let scope = authz::authorize(actor, action, Target::Org(&parent))?;
        if !parent.kind.may_parent(kind) {
            return Err(invalid(
                "parent",
                format!(
                    "a {} cannot be created under a {}",
                    kind.as_str(),
                    parent.kind.as_str()
                ),
            ));
        }
        if tx.org_name_taken(parent.id, &name, None)? {
            return Err(HubError::Conflict(format!(
                "{} already has an organisation named {name:?}",
                parent.name
            )));
        }
        let id = Uuid::now_v7();
        let org = Org {
            id,
            kind,
            name,
            parent_id: Some(parent.id),
            path: format!("{}{id}/", parent.path),
            country,
            org_type,
            created_at: self.now(),
        };
        tx.insert_org(&scope, &org)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(org.id, "created", org.kind.as_str())
                .id(org.id)
                .detail(org.name.clone()),
            self.now(),
        )?;
        tx.commit()?;
        // The list of the parent's children changed.
        self.lists_changed_at(&parent.path, &[ListKind::Organisations]);
        Ok(org)
    }

    pub fn org(&self, actor: &Actor, id: Uuid) -> Result<Org, HubError> {
        let scope = authz::scope(actor, Action::ViewOrg)?;
        found(self.read()?.org(&scope, id)?)
    }

    /// Every organisation of a kind in the caller's subtree (bounded to one large page).
    pub fn orgs(&self, actor: &Actor, kind: Option<OrgKind>) -> Result<Vec<Org>, HubError> {
        let filter = OrgFilter {
            kinds: kind.into_iter().collect(),
            ..OrgFilter::default()
        };
        Ok(self.list_orgs(actor, &filter, &PageRequest::all())?.items)
    }

    pub fn list_orgs(
        &self,
        actor: &Actor,
        filter: &OrgFilter,
        page: &PageRequest,
    ) -> Result<Page<Org>, HubError> {
        let scope = authz::scope(actor, Action::ViewOrg)?;
        Ok(self.read()?.orgs(&scope, filter, page)?)
    }

    /// Renames, retypes or sets the country of a reseller or tenant below the caller.
    pub fn update_org(&self, actor: &Actor, id: Uuid, update: OrgUpdate) -> Result<Org, HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let mut org = found(tx.org(&view, id)?)?;
        let scope = authz::authorize(actor, Action::ManageOrg, Target::Org(&org))?;
        if org.kind == OrgKind::Platform {
            return Err(HubError::Forbidden("the platform is not edited here"));
        }
        if let Some(name) = &update.name {
            let name = non_empty("name", name)?;
            if let Some(parent) = org.parent_id
                && tx.org_name_taken(parent, &name, Some(org.id))?
            {
                return Err(HubError::Conflict(format!(
                    "an organisation named {name:?} already exists under the same parent"
                )));
            }
            org.name = name;
        }
        if let Some(c) = &update.country {
            org.country = optional_country("country", Some(c))?;
        }
        if let Some(t) = &update.org_type {
            org.org_type = Some(bounded("type", t, 50)?).filter(|t| !t.is_empty());
        }
        tx.update_org(&scope, &org)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(org.id, "changed", org.kind.as_str())
                .id(org.id)
                .detail(org.name.clone()),
            self.now(),
        )?;
        tx.commit()?;
        // It is in its parent's list of children.
        self.lists_changed_at(parent_path(&org.path), &[ListKind::Organisations]);
        Ok(org)
    }

    /// Deletes a reseller or tenant below the caller with everything it holds; its channels go
    /// back to its parent. Refused while it has organisations under it, and while it has live
    /// interactions unless `force` (which ends them, as the portal's "Force Operation").
    pub fn delete_org(&self, actor: &Actor, id: Uuid, force: bool) -> Result<(), HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = found(tx.org(&view, id)?)?;
        let scope = authz::authorize(actor, Action::ManageOrg, Target::Org(&org))?;
        if org.kind == OrgKind::Platform || org.id == actor.org().id {
            return Err(HubError::Forbidden(
                "you cannot delete your own organisation",
            ));
        }
        if tx.child_orgs(&scope, id)? > 0 {
            return Err(HubError::Conflict(format!(
                "{} has organisations under it: delete or move them first",
                org.name
            )));
        }
        let live = tx.live_interactions(&scope, LiveBy::Org(id))?;
        if !live.is_empty() && !force {
            return Err(HubError::Conflict(format!(
                "{} has {} live interaction(s); use force to end them",
                org.name,
                live.len()
            )));
        }
        let parent_id = org
            .parent_id
            .ok_or(HubError::Forbidden("the platform stays"))?;
        let parent = found(tx.org(&view, parent_id)?)?;
        let channels = tx.channels(
            &scope,
            &ChannelFilter {
                holder: Some(id),
                ..ChannelFilter::default()
            },
            &PageRequest::all(),
        )?;
        for mut c in channels.items {
            c.holder_id = parent.id;
            c.destination = Destination::Tenant;
            tx.update_channel(&scope, &c)?;
        }
        tx.delete_org(&scope, id)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(parent.id, "deleted", org.kind.as_str())
                .id(org.id)
                .detail(org.name.clone()),
            self.now(),
        )?;
        tx.commit()?;
        // Everything it held leaves its ancestors' lists; its channels join its parent's.
        self.lists_changed_at(&parent.path, &ListKind::ALL);
        self.revoke(Revocation::Channel {
            org_path: org.path.clone(),
            new_path: parent.path,
            user: None,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[test]
    fn sibling_names_are_unique_and_a_tenant_is_edited_and_deleted_with_its_data() {
        let w = world();
        let err = w
            .hub
            .create_org(&w.root, None, OrgKind::Tenant, "T")
            .unwrap_err();
        assert!(matches!(err, HubError::Conflict(_)), "{err:?}");
        let t2 = w
            .hub
            .create_org(&w.root, None, OrgKind::Tenant, "t2")
            .unwrap();
        let edited = w
            .hub
            .update_org(
                &w.root,
                t2.id,
                OrgUpdate {
                    name: Some("Acme".into()),
                    country: Some("fr".into()),
                    org_type: Some("business".into()),
                },
            )
            .unwrap();
        assert_eq!(
            (edited.country.as_deref(), edited.org_type.as_deref()),
            (Some("FR"), Some("business"))
        );
        // The first tenant has a live interaction: refused without force.
        w.inbound("+33611111111", "hello");
        assert!(matches!(
            w.hub.delete_org(&w.root, w.tenant.id, false),
            Err(HubError::Conflict(_))
        ));
        w.hub.delete_org(&w.root, w.tenant.id, true).unwrap();
        assert!(matches!(
            w.hub.org(&w.root, w.tenant.id),
            Err(HubError::NotFound)
        ));
        let c = w.hub.channel(&w.root, w.channel.id).unwrap();
        assert_ne!(
            c.holder_id, w.tenant.id,
            "the channel went back to the parent"
        );
    }
}
