//! Who a conversation can be transferred to (read-only; used by the portal's transfer dialog).
//!
//! Agents may transfer but may not list users or queues; this answers exactly what a transfer
//! needs — the active team members and the queues of the conversation's tenant, names and
//! roles only — to whoever may transfer that conversation.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::found;
use super::{Hub, HubError};
use crate::authz::{self, Action, Actor};
use crate::model::{Role, UserState};
use crate::store::{PageRequest, TextFilter, UserFilter};

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
        let scope = authz::scope(actor, Action::Transfer)?;
        let mut tx = self.read()?;
        let i = found(tx.interaction(&scope, id)?)?;
        let users = tx.users(
            &scope,
            &UserFilter {
                org: Some(i.org_id),
                state: Some(UserState::Active),
                ..UserFilter::default()
            },
            &PageRequest::all(),
        )?;
        let mut users: Vec<TeamMember> = users
            .items
            .into_iter()
            .map(|u| TeamMember {
                id: u.id,
                name: u.name,
                role: u.role,
            })
            .collect();
        users.sort_by(|a, b| a.name.cmp(&b.name));
        let queues = tx.queues(
            &scope,
            &TextFilter {
                org: Some(i.org_id),
                q: None,
            },
            &PageRequest::all(),
        )?;
        let mut queues: Vec<QueueRef> = queues
            .items
            .into_iter()
            .map(|q| QueueRef {
                id: q.id,
                name: q.name,
            })
            .collect();
        queues.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(TransferTargets { users, queues })
    }
}
