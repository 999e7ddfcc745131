//! Queues of a tenant: create with agents and managers, view, list, rename, replace members
//! (removed members' event streams end), delete.

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{MAX_NOTE, bounded, non_empty};
use super::{Hub, ListKind, Revocation};
use crate::authz::{self, Action, Actor, Scope, Target};
use crate::model::*;
use crate::store::{ChannelFilter, LiveBy, Page, PageRequest, ReadTx, TextFilter};

impl Hub {
    fn check_members(
        &self,
        tx: &mut dyn ReadTx,
        scope: &Scope,
        org: &Org,
        members: &[QueueMember],
    ) -> Result<(), HubError> {
        for (i, m) in members.iter().enumerate() {
            let ok = tx.user(scope, m.user_id)?.is_some_and(|u| {
                u.org_id == org.id
                    && matches!(
                        (m.role, u.role),
                        (
                            QueueRole::Agent,
                            Role::Agent | Role::Manager | Role::TenantAdmin
                        ) | (QueueRole::Manager, Role::Manager | Role::TenantAdmin)
                    )
            });
            if !ok {
                return Err(invalid(
                    format!("members[{i}].user_id"),
                    format!("user {} is not a suitable member of this tenant", m.user_id),
                ));
            }
        }
        Ok(())
    }

    pub fn create_queue(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        name: &str,
        description: &str,
        members: Vec<QueueMember>,
    ) -> Result<Queue, HubError> {
        let name = non_empty("name", name)?;
        let description = bounded("description", description, MAX_NOTE)?;
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.org_or_own(&mut *tx, &view, actor, org_id)?;
        let scope = authz::authorize(actor, Action::ManageQueue, Target::Org(&org))?;
        if org.kind != OrgKind::Tenant {
            return Err(invalid("org", "queues belong to tenants"));
        }
        self.check_members(&mut *tx, &scope, &org, &members)?;
        let queue = Queue {
            id: Uuid::now_v7(),
            org_id: org.id,
            name,
            description,
            members,
            created_at: self.now(),
        };
        tx.insert_queue(&scope, &queue)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(org.id, "created", "queue")
                .id(queue.id)
                .detail(queue.name.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.lists_changed_at(&org.path, &[ListKind::Queues]);
        Ok(queue)
    }

    pub fn queue(&self, actor: &Actor, id: Uuid) -> Result<Queue, HubError> {
        let scope = authz::scope(actor, Action::ViewQueue)?;
        found(self.read()?.queue(&scope, id)?)
    }

    pub fn queues(&self, actor: &Actor) -> Result<Vec<Queue>, HubError> {
        Ok(self
            .list_queues(actor, &TextFilter::default(), &PageRequest::all())?
            .items)
    }

    pub fn list_queues(
        &self,
        actor: &Actor,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<Queue>, HubError> {
        let scope = authz::scope(actor, Action::ViewQueue)?;
        Ok(self.read()?.queues(&scope, filter, page)?)
    }

    /// Renames a queue or changes its description.
    pub fn update_queue(
        &self,
        actor: &Actor,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<Queue, HubError> {
        let scope = authz::scope(actor, Action::ManageQueue)?;
        let mut tx = self.write()?;
        let mut q = found(tx.queue(&scope, id)?)?;
        if let Some(n) = name {
            q.name = non_empty("name", n)?;
        }
        if let Some(d) = description {
            q.description = bounded("description", d, MAX_NOTE)?;
        }
        tx.update_queue(&scope, &q)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(q.org_id, "changed", "queue")
                .id(q.id)
                .detail(q.name.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.list_changed(q.org_id, ListKind::Queues);
        Ok(q)
    }

    /// Replaces a queue's members; the event streams of those removed end at once.
    pub fn set_queue_members(
        &self,
        actor: &Actor,
        id: Uuid,
        members: Vec<QueueMember>,
    ) -> Result<Queue, HubError> {
        let scope = authz::scope(actor, Action::ManageQueue)?;
        let mut tx = self.write()?;
        let mut queue = found(tx.queue(&scope, id)?)?;
        let org = found(tx.org(&scope, queue.org_id)?)?;
        self.check_members(&mut *tx, &scope, &org, &members)?;
        let removed: Vec<Uuid> = queue
            .members
            .iter()
            .map(|m| m.user_id)
            .filter(|u| !members.iter().any(|m| m.user_id == *u))
            .collect();
        queue.members = members;
        tx.update_queue(&scope, &queue)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(queue.org_id, "changed", "queue_members")
                .id(queue.id)
                .detail(format!("{}: {} member(s)", queue.name, queue.members.len())),
            self.now(),
        )?;
        tx.commit()?;
        self.lists_changed_at(&org.path, &[ListKind::Queues]);
        if !removed.is_empty() {
            self.revoke(Revocation::Queue {
                queue_id: id,
                users: removed,
            });
        }
        Ok(queue)
    }

    /// Deletes a queue. Refused while it has live interactions, unless `force`: they go back
    /// to the tenant's shared inbox. Channels pointing at it point at the tenant again.
    pub fn delete_queue(&self, actor: &Actor, id: Uuid, force: bool) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageQueue)?;
        let mut tx = self.write()?;
        let queue = found(tx.queue(&scope, id)?)?;
        let org = found(tx.org(&scope, queue.org_id)?)?;
        let live = tx.live_interactions(&scope, LiveBy::Queue(id))?;
        if !live.is_empty() && !force {
            return Err(HubError::Conflict(format!(
                "the queue has {} live interaction(s); use force to move them to the tenant's inbox",
                live.len()
            )));
        }
        let now = self.now();
        let mut events = Vec::new();
        for mut i in live {
            i.queue_id = None;
            i.updated_at = now;
            tx.update_interaction(&scope, &i)?;
            events.push(Hub::interaction_event(&org, &i));
        }
        let channels = tx.channels(
            &scope,
            &ChannelFilter {
                holder: Some(org.id),
                ..ChannelFilter::default()
            },
            &PageRequest::all(),
        )?;
        let mut repointed = false;
        for mut c in channels.items {
            if c.destination == Destination::Queue(id) {
                c.destination = Destination::Tenant;
                tx.update_channel(&scope, &c)?;
                repointed = true;
            }
        }
        tx.delete_queue(&scope, id)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(queue.org_id, "deleted", "queue")
                .id(id)
                .detail(queue.name.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.publish(events);
        self.lists_changed_at(&org.path, &[ListKind::Queues]);
        if repointed {
            self.lists_changed_at(&org.path, &[ListKind::Channels]);
        }
        self.revoke(Revocation::Queue {
            queue_id: id,
            users: queue.members.iter().map(|m| m.user_id).collect(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[test]
    fn a_bad_member_is_named_by_its_index_and_a_queue_with_live_work_needs_force() {
        let w = world();
        let err = w
            .hub
            .set_queue_members(
                &w.admin,
                w.queue,
                vec![QueueMember {
                    user_id: Uuid::now_v7(),
                    role: QueueRole::Agent,
                }],
            )
            .unwrap_err();
        assert!(
            matches!(err, HubError::Invalid { ref field, .. } if field == "members[0].user_id"),
            "{err:?}"
        );
        w.inbound("+33611111111", "hello");
        assert!(matches!(
            w.hub.delete_queue(&w.admin, w.queue, false),
            Err(HubError::Conflict(_))
        ));
        w.hub.delete_queue(&w.admin, w.queue, true).unwrap();
        let c = w.hub.channel(&w.admin, w.channel.id).unwrap();
        assert_eq!(c.destination, Destination::Tenant);
        let i = w.hub.interactions(&w.admin, None).unwrap();
        assert_eq!(i[0].queue_id, None);
    }
}
