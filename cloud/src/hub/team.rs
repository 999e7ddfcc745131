//! Who a conversation can be transferred to (read-only; used by the portal's transfer dialog).
//!
//! Agents may transfer but may not list users or queues; this answers exactly what a transfer
//! needs — the active team members and the queues of the conversation's tenant, names and
//! roles only — to whoever may transfer that conversation.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Hub, HubError};
use crate::authz::{self, Action, Actor, Target};
use crate::model::{Role, UserState};

/// A team member a conversation can go to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TeamMember {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

/// A queue a conversation can go to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QueueRef {
    pub id: Uuid,
    pub name: String,
}

/// The possible destinations of a transfer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TransferTargets {
    pub users: Vec<TeamMember>,
    pub queues: Vec<QueueRef>,
}

impl Hub {
    /// The active users and the queues of the conversation's tenant, for someone who may
    /// transfer it (a conversation they may not see is not found).
    pub fn transfer_targets(&self, actor: &Actor, id: Uuid) -> Result<TransferTargets, HubError> {
        let mut tx = self.begin()?;
        let (_, org) = self.authorized_interaction(&mut *tx, actor, Action::Transfer, id)?;
        let scope = authz::authorize(actor, Action::Transfer, Target::Org(&org))?;
        let mut users: Vec<TeamMember> = tx
            .users(&scope)?
            .into_iter()
            .filter(|u| u.org_id == org.id && u.state == UserState::Active)
            .map(|u| TeamMember {
                id: u.id,
                name: u.name,
                role: u.role,
            })
            .collect();
        users.sort_by(|a, b| a.name.cmp(&b.name));
        let mut queues: Vec<QueueRef> = tx
            .queues(&scope)?
            .into_iter()
            .filter(|q| q.org_id == org.id)
            .map(|q| QueueRef {
                id: q.id,
                name: q.name,
            })
            .collect();
        queues.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(TransferTargets { users, queues })
    }
}
