//! The audit log of administrative actions: one hook, [`record`], that every domain calls
//! inside the transaction of the change it records (so the entry and the change commit
//! together, or neither does), and the log's listing.
//!
//! ```ignore
//! audit::record(&mut *tx, actor, Audit::new(org.id, "created", "user").id(user.id).detail(&user.login), now)?;
//! ```

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Hub;
use super::error::HubError;
use crate::authz::{self, Action, Actor, Principal};
use crate::floor::records::AuditEntry;
use crate::store::floor::AuditFilter;
use crate::store::{Page, PageRequest, WriteTx};

/// What to record: the organisation it happened in, the verb (`created`, `changed`,
/// `deleted`, `exported`, `logged_out` …), the kind of thing, its id, and a short detail.
#[derive(Debug, Clone)]
pub struct Audit {
    org_id: Uuid,
    action: &'static str,
    target: &'static str,
    target_id: Option<String>,
    detail: String,
}

impl Audit {
    pub fn new(org_id: Uuid, action: &'static str, target: &'static str) -> Self {
        Self {
            org_id,
            action,
            target,
            target_id: None,
            detail: String::new(),
        }
    }

    pub fn id(mut self, id: impl std::fmt::Display) -> Self {
        self.target_id = Some(id.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// The actor as the log shows it: `Name (login)`, `API key name`.
fn actor_name(tx: &mut dyn WriteTx, actor: &Actor) -> Result<String, HubError> {
    let all = authz::authenticating();
    Ok(match actor.principal() {
        Principal::User(id) => match tx.user(&all, id)? {
            Some(u) => format!("{} ({})", u.name, u.login),
            None => id.to_string(),
        },
        Principal::ApiKey(id) => match tx.api_key(&all, id)? {
            Some(k) => format!("API key {}", k.name),
            None => format!("API key {id}"),
        },
    })
}

/// Records one administrative action by `actor` in the current transaction.
pub fn record(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    a: Audit,
    at: DateTime<Utc>,
) -> Result<(), HubError> {
    let scope = authz::scope(actor, Action::ViewOrg)?;
    let entry = AuditEntry {
        id: Uuid::now_v7(),
        org_id: a.org_id,
        at,
        actor_id: actor.user_id(),
        actor: actor_name(tx, actor)?,
        action: a.action.to_owned(),
        target: a.target.to_owned(),
        target_id: a.target_id,
        detail: a.detail,
    };
    tx.floor_mut().insert_audit(&scope, &entry)?;
    Ok(())
}

impl Hub {
    /// The audit log in the caller's subtree, newest first.
    pub fn audit_log(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, HubError> {
        let scope = authz::scope(actor, Action::ViewAudit)?;
        Ok(self.read()?.floor().audit(&scope, filter, page)?)
    }

    /// Records an action in its own transaction (for reads that are audited: exports).
    pub(crate) fn audit_now(&self, actor: &Actor, a: Audit) -> Result<(), HubError> {
        let mut tx = self.write()?;
        record(&mut *tx, actor, a, self.now())?;
        tx.commit()?;
        Ok(())
    }
}
