//! Canned replies: prepared answers for a whole tenant or one queue, searchable from the reply
//! box. Managers and tenant admins manage them; whoever may reply reads the ones that apply to
//! a conversation (the tenant's plus its queue's).

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{MAX_LABEL, bounded, non_empty, valid_text};
use super::{Hub, audit};
use crate::authz::{self, Action, Actor};
use crate::floor::records::CannedReply;

/// Input of [`Hub::create_canned_reply`] / [`Hub::update_canned_reply`].
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CannedInput {
    /// Tenant (default: the caller's).
    #[serde(default)]
    pub org: Option<Uuid>,
    /// A queue of the tenant, or none for every queue.
    #[serde(default)]
    pub queue_id: Option<Uuid>,
    pub title: String,
    pub text: String,
}

impl Hub {
    /// Replies that apply to a conversation (tenant-wide and its queue's), or, without one, every
    /// reply of the tenant; `q` searches title and text.
    pub fn canned_replies(
        &self,
        actor: &Actor,
        interaction: Option<Uuid>,
        org: Option<Uuid>,
        q: Option<&str>,
    ) -> Result<Vec<CannedReply>, HubError> {
        let view = authz::scope(actor, Action::ViewInteraction)?;
        let mut tx = self.read()?;
        match interaction {
            Some(id) => {
                let i = found(tx.interaction(&view, id)?)?;
                let queues: Vec<Uuid> = i.queue_id.into_iter().collect();
                Ok(tx
                    .floor()
                    .canned_replies(&view, i.org_id, Some(&queues), q)?)
            }
            None => {
                let tenant = self.tenant_or_own(&mut *tx, &view, actor, org, "canned replies")?;
                // Agents see the tenant's and their own queues'; managers and admins all.
                let queues = match view.personal_user() {
                    Some(u) => Some(tx.queues_of_user(&view, u)?),
                    None => None,
                };
                Ok(tx
                    .floor()
                    .canned_replies(&view, tenant.id, queues.as_deref(), q)?)
            }
        }
    }

    fn check_canned(&self, input: &CannedInput) -> Result<(String, String), HubError> {
        let title = non_empty("title", &input.title)?;
        let title = bounded("title", &title, MAX_LABEL)?;
        let text = valid_text(&input.text)?;
        Ok((title, text))
    }

    pub fn create_canned_reply(
        &self,
        actor: &Actor,
        input: CannedInput,
    ) -> Result<CannedReply, HubError> {
        let (title, text) = self.check_canned(&input)?;
        let scope = authz::scope(actor, Action::ManageCanned)?;
        let mut tx = self.write()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, input.org, "canned replies")?;
        if let Some(q) = input.queue_id
            && tx.queue(&scope, q)?.is_none_or(|q| q.org_id != tenant.id)
        {
            return Err(invalid("queue_id", "no such queue in this tenant"));
        }
        let c = CannedReply {
            id: Uuid::now_v7(),
            org_id: tenant.id,
            queue_id: input.queue_id,
            title,
            text,
            created_at: self.now(),
        };
        tx.floor_mut().insert_canned_reply(&scope, &c)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(tenant.id, "created", "canned_reply")
                .id(c.id)
                .detail(c.title.clone()),
            self.now(),
        )?;
        tx.commit()?;
        Ok(c)
    }

    pub fn update_canned_reply(
        &self,
        actor: &Actor,
        id: Uuid,
        input: CannedInput,
    ) -> Result<CannedReply, HubError> {
        let (title, text) = self.check_canned(&input)?;
        let scope = authz::scope(actor, Action::ManageCanned)?;
        let mut tx = self.write()?;
        let mut c = found(tx.floor().canned_reply(&scope, id)?)?;
        if let Some(q) = input.queue_id
            && tx.queue(&scope, q)?.is_none_or(|q| q.org_id != c.org_id)
        {
            return Err(invalid("queue_id", "no such queue in this tenant"));
        }
        c.title = title;
        c.text = text;
        c.queue_id = input.queue_id;
        tx.floor_mut().update_canned_reply(&scope, &c)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(c.org_id, "changed", "canned_reply")
                .id(c.id)
                .detail(c.title.clone()),
            self.now(),
        )?;
        tx.commit()?;
        Ok(c)
    }

    pub fn delete_canned_reply(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageCanned)?;
        let mut tx = self.write()?;
        let c = found(tx.floor().canned_reply(&scope, id)?)?;
        tx.floor_mut().delete_canned_reply(&scope, id)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(c.org_id, "deleted", "canned_reply")
                .id(c.id)
                .detail(c.title),
            self.now(),
        )?;
        tx.commit()?;
        Ok(())
    }
}
