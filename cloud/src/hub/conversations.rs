//! Interactions (conversations): view, list and search, messages, status (pause, close,
//! reopen), read marks, transfer. Agents and plain users reach only their own: the store's
//! personal scope filters them, so a colleague's conversation is simply not found.

use uuid::Uuid;

use super::Hub;
use super::error::{HubError, found, invalid};
use crate::authz::{self, Action, Actor};
use crate::model::*;
use crate::store::{InteractionFilter, Page, PageRequest};

/// Where to transfer a conversation.
#[derive(Debug, Clone, Copy)]
pub enum TransferTo {
    User(Uuid),
    Queue(Uuid),
}

impl Hub {
    pub fn interaction(&self, actor: &Actor, id: Uuid) -> Result<Interaction, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        found(self.read()?.interaction(&scope, id)?)
    }

    /// Every interaction the caller sees, optionally in one status (one large page).
    pub fn interactions(
        &self,
        actor: &Actor,
        status: Option<InteractionStatus>,
    ) -> Result<Vec<Interaction>, HubError> {
        let filter = InteractionFilter {
            status,
            ..InteractionFilter::default()
        };
        Ok(self
            .list_interactions(actor, &filter, &PageRequest::all())?
            .items)
    }

    pub fn list_interactions(
        &self,
        actor: &Actor,
        filter: &InteractionFilter,
        page: &PageRequest,
    ) -> Result<Page<Interaction>, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        Ok(self.read()?.interactions(&scope, filter, page)?)
    }

    /// Every message of an interaction, oldest first (one large page).
    pub fn interaction_messages(&self, actor: &Actor, id: Uuid) -> Result<Vec<Message>, HubError> {
        Ok(self.list_messages(actor, id, &PageRequest::all())?.items)
    }

    pub fn list_messages(
        &self,
        actor: &Actor,
        id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<Message>, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        let mut tx = self.read()?;
        found(tx.interaction(&scope, id)?)?;
        Ok(tx.messages_of(&scope, id, page)?)
    }

    /// Pause, close or reopen (`open`/`waiting`) a conversation. A closed conversation cannot
    /// be reopened while the contact already has a newer live one on that channel.
    pub fn set_interaction_status(
        &self,
        actor: &Actor,
        id: Uuid,
        status: InteractionStatus,
    ) -> Result<Interaction, HubError> {
        let scope = authz::scope(actor, Action::ChangeInteraction)?;
        let mut tx = self.write()?;
        let mut i = found(tx.interaction(&scope, id)?)?;
        let org = found(tx.org(&scope, i.org_id)?)?;
        if !i.status.is_live()
            && status.is_live()
            && tx
                .live_interaction(&scope, i.channel_id, &i.contact_number)?
                .is_some()
        {
            return Err(HubError::Conflict(
                "the contact already has a live interaction on this channel".into(),
            ));
        }
        i.status = status;
        i.updated_at = self.now();
        tx.update_interaction(&scope, &i)?;
        tx.commit()?;
        self.publish(vec![Hub::interaction_event(&org, &i)]);
        Ok(i)
    }

    pub fn mark_read(&self, actor: &Actor, id: Uuid, read: bool) -> Result<Interaction, HubError> {
        let scope = authz::scope(actor, Action::ChangeInteraction)?;
        let mut tx = self.write()?;
        let mut i = found(tx.interaction(&scope, id)?)?;
        let org = found(tx.org(&scope, i.org_id)?)?;
        i.read = read;
        i.updated_at = self.now();
        tx.update_interaction(&scope, &i)?;
        tx.commit()?;
        self.publish(vec![Hub::interaction_event(&org, &i)]);
        Ok(i)
    }

    /// Transfers a conversation to a user of the same tenant or to one of its queues.
    pub fn transfer(
        &self,
        actor: &Actor,
        id: Uuid,
        to: TransferTo,
    ) -> Result<Interaction, HubError> {
        let scope = authz::scope(actor, Action::Transfer)?;
        let mut tx = self.write()?;
        let mut i = found(tx.interaction(&scope, id)?)?;
        let org = found(tx.org(&scope, i.org_id)?)?;
        // Colleagues and queues: user and queue lookups are not narrowed to personal views.
        let tenant = scope.clone();
        let before = (i.queue_id, i.assignee_id);
        match to {
            TransferTo::User(u) => {
                if tx
                    .user(&tenant, u)?
                    .is_none_or(|u| u.org_id != org.id || u.state != UserState::Active)
                {
                    return Err(invalid("user", "no such active user in this tenant"));
                }
                i.assignee_id = Some(u);
            }
            TransferTo::Queue(q) => {
                if tx.queue(&tenant, q)?.is_none_or(|q| q.org_id != org.id) {
                    return Err(invalid("queue", "no such queue in this tenant"));
                }
                i.queue_id = Some(q);
                i.assignee_id = None;
            }
        }
        i.read = false;
        i.updated_at = self.now();
        tx.update_interaction(&scope, &i)?;
        tx.commit()?;
        self.publish(Hub::moved_events(&org, before, &i));
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[test]
    fn interactions_are_searched_by_text_contact_and_status_and_paged() {
        let w = world();
        for n in 0..3 {
            w.inbound(&format!("+3361111111{n}"), &format!("hello {n}"));
        }
        w.inbound("+33611111110", "rendez-vous demain");
        let f = |text: &str| InteractionFilter {
            text: Some(text.into()),
            ..InteractionFilter::default()
        };
        let page = w
            .hub
            .list_interactions(&w.admin, &f("RENDEZ"), &PageRequest::default())
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].contact_number, "+33611111110");
        let first = w
            .hub
            .list_interactions(
                &w.admin,
                &InteractionFilter::default(),
                &PageRequest {
                    limit: 2,
                    after: None,
                },
            )
            .unwrap();
        assert_eq!(first.items.len(), 2);
        let rest = w
            .hub
            .list_interactions(
                &w.admin,
                &InteractionFilter::default(),
                &PageRequest {
                    limit: 2,
                    after: first.next.clone(),
                },
            )
            .unwrap();
        assert_eq!(rest.items.len(), 1);
        assert!(rest.next.is_none());
        // The agent (in the queue) transfers to a queue-less colleague: a bad target is named.
        let agent = w.actor("agent");
        let err = w
            .hub
            .transfer(&agent, first.items[0].id, TransferTo::User(Uuid::now_v7()))
            .unwrap_err();
        assert!(
            matches!(err, HubError::Invalid { ref field, .. } if field == "user"),
            "{err:?}"
        );
    }

    #[test]
    fn live_lists_only_conversations_not_closed_and_its_opposite_only_closed_ones() {
        let w = world();
        for n in 0..3 {
            w.inbound(&format!("+3361111112{n}"), &format!("hi {n}"));
        }
        let all = w
            .hub
            .list_interactions(
                &w.admin,
                &InteractionFilter::default(),
                &PageRequest::default(),
            )
            .unwrap();
        assert_eq!(all.items.len(), 3);
        let closed = all.items[1].id;
        w.hub
            .set_interaction_status(&w.admin, closed, InteractionStatus::Closed)
            .unwrap();
        let list = |live| {
            let f = InteractionFilter {
                live: Some(live),
                ..InteractionFilter::default()
            };
            let page = w
                .hub
                .list_interactions(&w.admin, &f, &PageRequest::default())
                .unwrap();
            page.items.into_iter().map(|i| i.id).collect::<Vec<_>>()
        };
        let live = list(true);
        assert_eq!(live.len(), 2);
        assert!(!live.contains(&closed));
        assert_eq!(list(false), vec![closed]);
    }
}
