//! The live floor: agents' timed states (the [`Book`], fed by the hub's own events in
//! [`observe`], called from the one place events are published), agents' chosen status, the
//! supervisor monitor (agents, waiting customers longest first), take over, reassign (the
//! transfer of `conversations`), log an agent out.
//!
//! Capacity freed on the floor (an agent opens the portal, comes back from a break, closes or
//! hands over a conversation) marks the tenant *dirty*; the dispatcher task
//! ([`Hub::run_dispatcher`]) then hands the queues' waiting conversations out
//! (`hub::routing_rules`).

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::{EventKind, Hub, HubEvent, Inner, Revocation, audit};
use crate::authz::{self, Action, Actor};
use crate::floor::agents::{AgentFloor, Book, Observation};
use crate::floor::assign::ChosenStatus;
use crate::floor::presence::{AwayReason, Chosen};
use crate::floor::records::AgentStatusRecord;
use crate::model::*;
use crate::store::{PageRequest, Store, UserFilter};

/// The supervisor's view of a tenant's floor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FloorView {
    pub org_id: Uuid,
    pub agents: Vec<AgentRow>,
    /// Customers waiting (live, waiting), longest first.
    pub waiting: Vec<WaitingRow>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentRow {
    pub name: String,
    pub login: String,
    pub role: Role,
    #[serde(flatten)]
    pub floor: AgentFloor,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitingRow {
    pub interaction_id: Uuid,
    pub contact_number: String,
    pub channel_id: Uuid,
    pub queue_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// Waiting since (the oldest unanswered message, else the conversation's last change).
    pub since: DateTime<Utc>,
    pub waiting_seconds: i64,
}

/// The book at start: assignments, today's closes, chosen statuses from the store.
pub(crate) fn load_book(store: &dyn Store, now: DateTime<Utc>) -> Result<Book, HubError> {
    let all = authz::authenticating();
    let mut tx = store.read()?;
    let f = tx.floor();
    let active = f.assigned_live(&all)?;
    let closes = f.closes_since(&all, now - Duration::days(1))?;
    let statuses = f.all_agent_statuses(&all)?;
    Ok(Book::load(now, active, closes, statuses))
}

/// The tenant id at the end of an organisation path (`/p/r/t/` → `t`).
fn tenant_of(path: &str) -> Option<Uuid> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|s| Uuid::parse_str(s).ok())
}

fn utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&now.date_naive().and_time(NaiveTime::MIN))
}

fn agent_event(path: &str, agent: AgentFloor) -> HubEvent {
    HubEvent {
        org_path: path.to_owned(),
        queue_id: None,
        assignee_id: None,
        kind: EventKind::AgentStateChanged { agent },
    }
}

/// Feeds published events to the book; returns the `agent_state_changed` events to add.
/// Marks tenants whose floor may have capacity for the dispatcher and wakes the notification
/// scheduler on conversation changes.
pub(crate) fn observe(inner: &Inner, events: &[HubEvent]) -> Vec<HubEvent> {
    let now = inner.clock.now();
    let mut out = Vec::new();
    let mut dirty = HashSet::new();
    let mut conversations_changed = false;
    {
        let mut book = inner.book.lock().unwrap_or_else(|p| p.into_inner());
        for e in events {
            let (changed, path) = match &e.kind {
                EventKind::InteractionUpdated { interaction } => {
                    conversations_changed = true;
                    let c = book.observe(
                        Observation::Interaction {
                            org_path: &e.org_path,
                            interaction,
                        },
                        now,
                    );
                    if interaction.queue_id.is_some() || !c.is_empty() {
                        dirty.insert(interaction.org_id);
                    }
                    (c, &e.org_path)
                }
                EventKind::PresenceChanged { user_id, presence } => {
                    let online = *presence == Presence::Online;
                    if online && let Some(t) = tenant_of(&e.org_path) {
                        dirty.insert(t);
                    }
                    let c = book.observe(
                        Observation::Presence {
                            org_path: &e.org_path,
                            user: *user_id,
                            online,
                        },
                        now,
                    );
                    (c, &e.org_path)
                }
                _ => continue,
            };
            for u in changed {
                out.push(agent_event(path, book.view(u, utc_midnight(now), now)));
            }
        }
    }
    if !dirty.is_empty() {
        inner
            .dirty_tenants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(dirty);
        inner.dispatch_wake.notify_one();
    }
    if conversations_changed {
        inner.notify_wake.notify_one();
    }
    out
}

impl Hub {
    /// Sets the caller's own presence: available, away (with an optional reason) or offline.
    /// Away and offline get no new conversation; open ones stay theirs. The change is logged
    /// (status log, for the report) and audited in the same transaction.
    pub fn set_my_status(
        &self,
        actor: &Actor,
        status: ChosenStatus,
        reason: Option<AwayReason>,
    ) -> Result<AgentFloor, HubError> {
        let user = actor
            .user_id()
            .ok_or(HubError::Forbidden("only people have a status"))?;
        let chosen = Chosen::new(status, reason).map_err(|m| invalid("reason", m))?;
        let scope = authz::scope(actor, Action::WatchEvents)?;
        let now = self.now();
        let mut tx = self.write()?;
        tx.floor_mut().put_agent_status(
            &scope,
            &AgentStatusRecord {
                user_id: user,
                org_id: actor.org().id,
                status,
                reason,
                since: now,
            },
        )?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(actor.org().id, "changed", "presence")
                .id(user)
                .detail(chosen.describe()),
            now,
        )?;
        tx.commit()?;
        let path = actor.org().path.clone();
        let (changed, view) = {
            let mut book = self.inner.book.lock().unwrap_or_else(|p| p.into_inner());
            let c = book.observe(
                Observation::Status {
                    org_path: &path,
                    user,
                    chosen,
                },
                now,
            );
            (c, book.view(user, utc_midnight(now), now))
        };
        if !changed.is_empty() {
            let _ = self
                .inner
                .bus
                .send(super::events::Bus::Event(Box::new(agent_event(
                    &path,
                    view.clone(),
                ))));
        }
        if status == ChosenStatus::Available {
            self.mark_dirty(actor.org().id);
        }
        Ok(view)
    }

    /// The caller's own floor state.
    pub fn my_floor(&self, actor: &Actor) -> Result<AgentFloor, HubError> {
        let user = actor
            .user_id()
            .ok_or(HubError::Forbidden("only people have a status"))?;
        authz::scope(actor, Action::WatchEvents)?;
        let now = self.now();
        let book = self.inner.book.lock().unwrap_or_else(|p| p.into_inner());
        Ok(book.view(user, utc_midnight(now), now))
    }

    pub(crate) fn mark_dirty(&self, tenant: Uuid) {
        self.inner
            .dirty_tenants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant);
        self.inner.dispatch_wake.notify_one();
    }

    /// The floor of a tenant (the caller's, or `org` for resellers): every agent (users who
    /// are agents, or agent members of a queue) with their timed state, and the customers
    /// waiting, longest first. `today` is the start of the caller's day (for "completed
    /// today"; default: UTC midnight).
    pub fn floor_view(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
        today: Option<DateTime<Utc>>,
    ) -> Result<FloorView, HubError> {
        let scope = authz::scope(actor, Action::Supervise)?;
        let mut tx = self.read()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "floors")?;
        let now = self.now();
        let today = today.unwrap_or_else(|| utc_midnight(now));
        let users = tx
            .users(
                &scope,
                &UserFilter {
                    org: Some(tenant.id),
                    state: Some(UserState::Active),
                    ..UserFilter::default()
                },
                &PageRequest::all(),
            )?
            .items;
        let queues = tx
            .queues(
                &scope,
                &crate::store::TextFilter {
                    org: Some(tenant.id),
                    q: None,
                },
                &PageRequest::all(),
            )?
            .items;
        let members: HashSet<Uuid> = queues
            .iter()
            .flat_map(|q| q.members.iter())
            .filter(|m| m.role == QueueRole::Agent)
            .map(|m| m.user_id)
            .collect();
        let book = self.inner.book.lock().unwrap_or_else(|p| p.into_inner());
        let mut agents: Vec<AgentRow> = users
            .into_iter()
            .filter(|u| u.role == Role::Agent || members.contains(&u.id))
            .map(|u| AgentRow {
                floor: book.view(u.id, today, now),
                name: u.name,
                login: u.login,
                role: u.role,
            })
            .collect();
        drop(book);
        agents.sort_by_key(|a| a.name.to_lowercase());
        let episodes = tx.floor().open_episodes(&scope, tenant.id)?;
        let since_of: std::collections::HashMap<Uuid, DateTime<Utc>> = episodes
            .into_iter()
            .map(|e| (e.interaction_id, e.since))
            .collect();
        let mut waiting: Vec<WaitingRow> = tx
            .live_interactions(&scope, crate::store::LiveBy::Org(tenant.id))?
            .into_iter()
            .filter(|i| i.status == InteractionStatus::Waiting)
            .map(|i| {
                let since = since_of.get(&i.id).copied().unwrap_or(i.updated_at);
                WaitingRow {
                    interaction_id: i.id,
                    contact_number: i.contact_number,
                    channel_id: i.channel_id,
                    queue_id: i.queue_id,
                    assignee_id: i.assignee_id,
                    since,
                    waiting_seconds: (now - since).num_seconds().max(0),
                }
            })
            .collect();
        waiting.sort_by_key(|w| (w.since, w.interaction_id));
        Ok(FloorView {
            org_id: tenant.id,
            agents,
            waiting,
            at: now,
        })
    }

    /// A supervisor takes a conversation over: assigned to them, read.
    pub fn take_over(&self, actor: &Actor, id: Uuid) -> Result<Interaction, HubError> {
        let me = actor
            .user_id()
            .ok_or(HubError::Forbidden("only people take conversations over"))?;
        let scope = authz::scope(actor, Action::Supervise)?;
        let mut tx = self.write()?;
        let mut i = found(tx.interaction(&scope, id)?)?;
        if !i.status.is_live() {
            return Err(HubError::Conflict("the interaction is closed".into()));
        }
        let org = found(tx.org(&scope, i.org_id)?)?;
        let before = i.assignee_id;
        i.assignee_id = Some(me);
        i.read = true;
        i.updated_at = self.now();
        tx.update_interaction(&scope, &i)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(org.id, "took_over", "interaction")
                .id(i.id)
                .detail(match before {
                    Some(b) => format!("{} (from {b})", i.contact_number),
                    None => i.contact_number.clone(),
                }),
            self.now(),
        )?;
        tx.commit()?;
        self.publish(Hub::moved_events(&org, (i.queue_id, before), &i));
        Ok(i)
    }

    /// A supervisor logs an agent out: every session ends, the portal closes.
    pub fn log_agent_out(&self, actor: &Actor, user_id: Uuid) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::Supervise)?;
        let mut tx = self.write()?;
        let u = found(tx.user(&scope, user_id)?)?;
        if u.role != Role::Agent && actor.role() == Role::Manager {
            return Err(invalid("user", "managers may log out agents only"));
        }
        if actor.user_id() == Some(user_id) {
            return Err(invalid("user", "log yourself out from the account menu"));
        }
        tx.delete_sessions_of(&scope, user_id)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(u.org_id, "logged_out", "user")
                .id(u.id)
                .detail(u.login.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.revoke(Revocation::User(user_id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_is_the_last_segment_of_its_path() {
        let t = Uuid::now_v7();
        assert_eq!(tenant_of(&format!("/{}/{t}/", Uuid::now_v7())), Some(t));
        assert_eq!(tenant_of("/"), None);
    }
}
