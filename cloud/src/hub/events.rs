//! Live events, filtered at their source per actor ([`Hub::events`] is the only way in), and
//! the stream's end: one bus carries changes and revocations in order, so a stream ends at
//! once — before any later change — when its session logs out, its user is disconnected,
//! deactivated, archived, changes role or password, loses a queue (removed from it, or it is
//! deleted) or a channel (moved out of the caller's organisation, or its destination no longer
//! the caller), its API key is revoked, or its session expires. A stream that falls behind the
//! bus is told `lagged` and ended too (it may have missed a revocation); the client reconnects.
//!
//! Presence comes from here: a user with an open stream is `online`; with only a live
//! session `away`; otherwise `offline`.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::HubError;
use super::live_lists::ListKind;
use super::{Hub, Inner};
use crate::authz::{self, Action, Actor, Principal, Scope};
use crate::model::*;

/// What changed, for live subscribers (SSE).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    MessageCreated {
        message: Message,
    },
    MessageUpdated {
        message: Message,
    },
    InteractionUpdated {
        interaction: Interaction,
    },
    PresenceChanged {
        user_id: Uuid,
        presence: Presence,
    },
    /// An agent's state on the floor changed (supervisors only).
    AgentStateChanged {
        agent: crate::floor::agents::AgentFloor,
    },
    /// An internal note was added to a conversation.
    NoteCreated {
        note: crate::floor::records::Note,
    },
    /// A conversation's labels changed.
    LabelsChanged {
        interaction_id: Uuid,
        labels: Vec<String>,
    },
    /// An administration list of the event's organisation changed (a record added, edited or
    /// removed, by anyone or by a handset's STOP): screens showing it reload it
    /// ([`super::live_lists`]).
    ListChanged {
        list: ListKind,
    },
    /// A conversation was handed on (transferred, taken over) out of the receiver's sight:
    /// screens drop it. Sent only to personal streams that saw it before and not after.
    InteractionLeft {
        interaction_id: Uuid,
        /// Where it went (the filter's, never sent).
        #[serde(skip)]
        #[schema(ignore)]
        now_queue: Option<Uuid>,
        #[serde(skip)]
        #[schema(ignore)]
        now_assignee: Option<Uuid>,
    },
}

impl EventKind {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::MessageCreated { .. } => "message_created",
            EventKind::MessageUpdated { .. } => "message_updated",
            EventKind::InteractionUpdated { .. } => "interaction_updated",
            EventKind::PresenceChanged { .. } => "presence_changed",
            EventKind::AgentStateChanged { .. } => "agent_state_changed",
            EventKind::NoteCreated { .. } => "note_created",
            EventKind::LabelsChanged { .. } => "labels_changed",
            EventKind::ListChanged { .. } => "list_changed",
            EventKind::InteractionLeft { .. } => "interaction_left",
        }
    }
}

/// An event on the bus, with what the filter needs.
#[derive(Debug, Clone)]
pub struct HubEvent {
    pub org_path: String,
    pub queue_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub kind: EventKind,
}

/// Why streams must end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// One session ended (logout).
    Session(String),
    /// Every stream of a user (disconnect, deactivate, archive, role or password change).
    User(Uuid),
    /// Users removed from a queue (or all members of a deleted queue).
    Queue {
        queue_id: Uuid,
        users: Vec<Uuid>,
    },
    /// A channel left `org_path`'s subtree or stopped being `user`'s.
    Channel {
        org_path: String,
        new_path: String,
        user: Option<Uuid>,
    },
    ApiKey(Uuid),
}

#[derive(Debug, Clone)]
pub(crate) enum Bus {
    Event(Box<HubEvent>),
    Revoke(Revocation),
}

/// One item of a stream.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum StreamItem {
    Event(EventKind),
    /// The stream fell behind by this many bus messages and ends after this item.
    Lagged(u64),
}

/// A live, filtered event stream for one actor.
pub struct EventStream {
    rx: broadcast::Receiver<Bus>,
    scope: Scope,
    queues: Vec<Uuid>,
    /// The administration lists this actor may view (the `list_changed` it is told of).
    lists: Vec<ListKind>,
    actor: Actor,
    expires: Option<tokio::time::Instant>,
    ended: bool,
    _presence: Option<PresenceGuard>,
}

impl EventStream {
    /// Whether an event is for this stream's actor.
    pub fn admits(&self, e: &HubEvent) -> bool {
        if !self.scope.contains_path(&e.org_path) {
            return false;
        }
        match (&e.kind, self.scope.personal_user()) {
            // Personal streams (agents', plain users') manage no list.
            (EventKind::ListChanged { list }, personal) => {
                personal.is_none() && self.lists.contains(list)
            }
            // Out of sight of someone who saw it before (the event's audience is the old one)
            // and does not now; a tenant-wide stream sees it wherever it goes.
            (
                EventKind::InteractionLeft {
                    now_queue,
                    now_assignee,
                    ..
                },
                personal,
            ) => personal.is_some_and(|u| {
                let sees = |queue: Option<Uuid>, assignee: Option<Uuid>| {
                    assignee == Some(u) || queue.is_some_and(|q| self.queues.contains(&q))
                };
                sees(e.queue_id, e.assignee_id) && !sees(*now_queue, *now_assignee)
            }),
            (_, None) => true,
            (EventKind::PresenceChanged { .. }, Some(_)) => false,
            (EventKind::AgentStateChanged { .. }, Some(_)) => false,
            (_, Some(u)) => {
                e.assignee_id == Some(u) || e.queue_id.is_some_and(|q| self.queues.contains(&q))
            }
        }
    }

    fn revoked(&self, r: &Revocation) -> bool {
        let me = self.actor.user_id();
        match r {
            Revocation::Session(hash) => self.actor.session() == Some(hash.as_str()),
            Revocation::User(u) => me == Some(*u),
            Revocation::Queue { users, .. } => me.is_some_and(|m| users.contains(&m)),
            Revocation::Channel {
                org_path,
                new_path,
                user,
            } => {
                let mine = &self.actor.org().path;
                (me.is_some() && *user == me)
                    || (mine.starts_with(org_path.as_str()) && !mine.starts_with(new_path.as_str()))
            }
            Revocation::ApiKey(k) => self.actor.principal() == Principal::ApiKey(*k),
        }
    }

    /// The next item, or `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<StreamItem> {
        if self.ended {
            return None;
        }
        loop {
            let got = match self.expires {
                Some(at) => tokio::select! {
                    r = self.rx.recv() => r,
                    _ = tokio::time::sleep_until(at) => { self.ended = true; return None; }
                },
                None => self.rx.recv().await,
            };
            match got {
                Ok(Bus::Event(e)) => {
                    if self.admits(&e) {
                        return Some(StreamItem::Event(e.kind.clone()));
                    }
                }
                Ok(Bus::Revoke(r)) => {
                    if self.revoked(&r) {
                        self.ended = true;
                        return None;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    self.ended = true;
                    return Some(StreamItem::Lagged(n));
                }
                Err(RecvError::Closed) => {
                    self.ended = true;
                    return None;
                }
            }
        }
    }

    /// The next item if one is already there (tests).
    pub fn try_next(&mut self) -> Option<StreamItem> {
        loop {
            match self.rx.try_recv() {
                Ok(Bus::Event(e)) if self.admits(&e) => {
                    return Some(StreamItem::Event(e.kind.clone()));
                }
                Ok(Bus::Event(_)) => {}
                Ok(Bus::Revoke(r)) => {
                    if self.revoked(&r) {
                        self.ended = true;
                        return None;
                    }
                }
                Err(_) => return None,
            }
        }
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }
}

/// Counts a user's open streams while alive.
struct PresenceGuard {
    inner: std::sync::Arc<Inner>,
    user: Uuid,
    org_path: String,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        let now_zero = {
            let mut m = self.inner.streams.lock().unwrap_or_else(|p| p.into_inner());
            let n = m.entry(self.user).or_insert(1);
            *n = n.saturating_sub(1);
            let zero = *n == 0;
            if zero {
                m.remove(&self.user);
            }
            zero
        };
        if now_zero {
            super::publish(
                &self.inner,
                vec![presence_event(&self.org_path, self.user, Presence::Away)],
            );
        }
    }
}

fn presence_event(org_path: &str, user_id: Uuid, presence: Presence) -> HubEvent {
    HubEvent {
        org_path: org_path.to_owned(),
        queue_id: None,
        assignee_id: None,
        kind: EventKind::PresenceChanged { user_id, presence },
    }
}

impl Hub {
    /// A live stream of what `actor` may see, ending as the module documentation says.
    pub fn events(&self, actor: &Actor) -> Result<EventStream, HubError> {
        let scope = authz::scope(actor, Action::WatchEvents)?;
        // Subscribe before reading the filter's inputs, so no change slips between them.
        let rx = self.inner.bus.subscribe();
        let mut tx = self.read()?;
        let queues = match scope.personal_user() {
            Some(u) => tx.queues_of_user(&scope, u)?,
            None => Vec::new(),
        };
        let expires = match actor.session() {
            Some(hash) => {
                let s = tx.session(hash)?.ok_or(HubError::Unauthenticated)?;
                let left = (s.expires_at - self.now())
                    .to_std()
                    .unwrap_or(Duration::ZERO);
                Some(tokio::time::Instant::now() + left)
            }
            None => None,
        };
        drop(tx);
        let presence = actor.user_id().map(|user| {
            let first = {
                let mut m = self.inner.streams.lock().unwrap_or_else(|p| p.into_inner());
                let n = m.entry(user).or_insert(0);
                *n += 1;
                *n == 1
            };
            if first {
                self.publish(vec![presence_event(
                    &actor.org().path,
                    user,
                    Presence::Online,
                )]);
            }
            PresenceGuard {
                inner: self.inner.clone(),
                user,
                org_path: actor.org().path.clone(),
            }
        });
        Ok(EventStream {
            rx,
            scope,
            queues,
            lists: ListKind::viewable_by(actor),
            actor: actor.clone(),
            expires,
            ended: false,
            _presence: presence,
        })
    }

    /// A user's presence (see the module documentation).
    pub(crate) fn presence_of(
        &self,
        tx: &mut dyn crate::store::ReadTx,
        user: Uuid,
    ) -> Result<Presence, HubError> {
        let open = self
            .inner
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&user)
            .copied()
            .unwrap_or(0);
        if open > 0 {
            return Ok(Presence::Online);
        }
        Ok(if tx.has_live_session(user, self.now())? {
            Presence::Away
        } else {
            Presence::Offline
        })
    }

    /// The events of a conversation handed on from `before` (queue, assignee) to where `i`
    /// is now: its update for whoever sees it now, and, when it moved, `interaction_left` for
    /// those who saw it only before.
    pub(crate) fn moved_events(
        org: &Org,
        before: (Option<Uuid>, Option<Uuid>),
        i: &Interaction,
    ) -> Vec<HubEvent> {
        let mut events = vec![Hub::interaction_event(org, i)];
        if before != (i.queue_id, i.assignee_id) {
            events.push(HubEvent {
                org_path: org.path.clone(),
                queue_id: before.0,
                assignee_id: before.1,
                kind: EventKind::InteractionLeft {
                    interaction_id: i.id,
                    now_queue: i.queue_id,
                    now_assignee: i.assignee_id,
                },
            });
        }
        events
    }

    pub(crate) fn interaction_event(org: &Org, i: &Interaction) -> HubEvent {
        HubEvent {
            org_path: org.path.clone(),
            queue_id: i.queue_id,
            assignee_id: i.assignee_id,
            kind: EventKind::InteractionUpdated {
                interaction: i.clone(),
            },
        }
    }

    pub(crate) fn message_event(
        org: &Org,
        i: &Interaction,
        m: &Message,
        created: bool,
    ) -> HubEvent {
        HubEvent {
            org_path: org.path.clone(),
            queue_id: i.queue_id,
            assignee_id: i.assignee_id,
            kind: if created {
                EventKind::MessageCreated { message: m.clone() }
            } else {
                EventKind::MessageUpdated { message: m.clone() }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[tokio::test]
    async fn a_stream_ends_at_once_on_logout_and_on_removal_from_the_queue() {
        let w = world();
        let (token, _) = w.hub.login("agent", PW).unwrap();
        let agent = w.hub.authenticate(&token).unwrap();
        let mut stream = w.hub.events(&agent).unwrap();
        w.inbound("+33611111111", "one");
        assert!(matches!(stream.next().await, Some(StreamItem::Event(_))));
        w.hub.logout(&token).unwrap();
        w.inbound("+33611111111", "two");
        // Whatever was queued before the logout may still come; nothing after it.
        while let Some(item) = stream.next().await {
            if let StreamItem::Event(EventKind::MessageCreated { message }) = item {
                assert_ne!(message.text, "two");
            }
        }
        assert!(stream.is_ended());

        let agent = w.actor("agent");
        let mut stream = w.hub.events(&agent).unwrap();
        w.hub.set_queue_members(&w.admin, w.queue, vec![]).unwrap();
        w.inbound("+33622222222", "three");
        assert!(
            stream.next().await.is_none(),
            "removed from the queue: the stream ended"
        );
    }

    /// What `stream` has now, as (event name, interaction id) for the conversation events.
    fn drained(stream: &mut EventStream) -> Vec<(&'static str, Uuid)> {
        let mut got = Vec::new();
        while let Some(StreamItem::Event(e)) = stream.try_next() {
            let id = match &e {
                EventKind::InteractionUpdated { interaction } => interaction.id,
                EventKind::InteractionLeft { interaction_id, .. } => *interaction_id,
                _ => continue,
            };
            got.push((e.name(), id));
        }
        got
    }

    #[tokio::test]
    async fn a_conversation_handed_out_of_an_agents_sight_tells_their_stream_to_drop_it_and_only_then()
     {
        let w = world();
        w.inbound("+33611111111", "hello");
        let i = w.hub.interactions(&w.admin, None).unwrap().remove(0);
        let agent = w.actor("agent");
        let mut mine = w.hub.events(&agent).unwrap();
        let mut admins = w.hub.events(&w.admin).unwrap();
        // Handed to the admin inside the agent's queue: the agent still sees it.
        let admin_id = w.admin.user_id().unwrap();
        w.hub
            .transfer(&w.admin, i.id, super::super::TransferTo::User(admin_id))
            .unwrap();
        assert_eq!(drained(&mut mine), vec![("interaction_updated", i.id)]);
        // Moved to a queue the agent is not in: their stream is told it left.
        let other = w
            .hub
            .create_queue(&w.admin, None, "Billing", "", vec![])
            .unwrap();
        w.hub
            .transfer(&w.admin, i.id, super::super::TransferTo::Queue(other.id))
            .unwrap();
        assert_eq!(drained(&mut mine), vec![("interaction_left", i.id)]);
        // The tenant admin sees it wherever it goes, so is never told it left.
        assert_eq!(
            drained(&mut admins),
            vec![("interaction_updated", i.id), ("interaction_updated", i.id)]
        );
        // The filter's fields never reach the client.
        let left = EventKind::InteractionLeft {
            interaction_id: i.id,
            now_queue: Some(other.id),
            now_assignee: None,
        };
        let json = serde_json::to_value(&left).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "interaction_left", "interaction_id": i.id})
        );
    }

    #[tokio::test]
    async fn presence_is_online_with_a_stream_away_with_a_session_and_offline_after_logout() {
        let w = world();
        let (token, _) = w.hub.login("agent", PW).unwrap();
        let agent = w.hub.authenticate(&token).unwrap();
        let id = agent.user_id().unwrap();
        let presence = |w: &World| w.hub.user_view(&w.admin, id).unwrap().presence;
        assert_eq!(presence(&w), Presence::Away);
        let stream = w.hub.events(&agent).unwrap();
        assert_eq!(presence(&w), Presence::Online);
        drop(stream);
        assert_eq!(presence(&w), Presence::Away);
        w.hub.logout(&token).unwrap();
        assert_eq!(presence(&w), Presence::Offline);
    }
}
