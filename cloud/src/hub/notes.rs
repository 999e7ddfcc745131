//! Internal notes and labels on conversations. **A note is never sent to the customer:** it
//! has no path to a gateway (it is a row of `notes`, never a message). Labels are free words
//! (at most 10 per conversation, 32 characters each), compared case-insensitively, usable as
//! a filter of `GET /interactions?label=`.

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{MAX_NOTE, bounded, non_empty};
use super::{EventKind, Hub, HubEvent};
use crate::authz::{self, Action, Actor, Principal};
use crate::floor::records::{LabelCount, Note};

/// Most labels on one conversation.
pub const MAX_LABELS: usize = 10;
/// Longest label.
pub const MAX_LABEL_LEN: usize = 32;

impl Hub {
    /// The notes of a conversation the caller sees, oldest first.
    pub fn notes(&self, actor: &Actor, interaction_id: Uuid) -> Result<Vec<Note>, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        let mut tx = self.read()?;
        found(tx.interaction(&scope, interaction_id)?)?;
        Ok(tx.floor().notes(&scope, interaction_id)?)
    }

    /// Adds an internal note (anyone who may reply in the conversation).
    pub fn add_note(
        &self,
        actor: &Actor,
        interaction_id: Uuid,
        text: &str,
    ) -> Result<Note, HubError> {
        let text = non_empty("text", text)?;
        let text = bounded("text", &text, MAX_NOTE)?;
        let scope = authz::scope(actor, Action::Reply)?;
        let mut tx = self.write()?;
        let i = found(tx.interaction(&scope, interaction_id)?)?;
        let org = found(tx.org(&scope, i.org_id)?)?;
        let all = authz::authenticating();
        let author_name = match actor.principal() {
            Principal::User(u) => tx.user(&all, u)?.map_or_else(|| u.to_string(), |u| u.name),
            Principal::ApiKey(k) => tx
                .api_key(&all, k)?
                .map_or_else(|| "API key".into(), |k| format!("API key {}", k.name)),
        };
        let note = Note {
            id: Uuid::now_v7(),
            org_id: org.id,
            interaction_id,
            author_id: actor.user_id(),
            author_name,
            text,
            created_at: self.now(),
        };
        tx.floor_mut().insert_note(&scope, &note)?;
        tx.commit()?;
        self.publish(vec![HubEvent {
            org_path: org.path.clone(),
            queue_id: i.queue_id,
            assignee_id: i.assignee_id,
            kind: EventKind::NoteCreated { note: note.clone() },
        }]);
        Ok(note)
    }

    pub fn labels_of(&self, actor: &Actor, interaction_id: Uuid) -> Result<Vec<String>, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        let mut tx = self.read()?;
        found(tx.interaction(&scope, interaction_id)?)?;
        Ok(tx.floor().labels_of(&scope, interaction_id)?)
    }

    /// Replaces a conversation's labels (trimmed, duplicates folded case-insensitively).
    pub fn set_labels(
        &self,
        actor: &Actor,
        interaction_id: Uuid,
        labels: Vec<String>,
    ) -> Result<Vec<String>, HubError> {
        let mut clean: Vec<String> = Vec::new();
        for (i, l) in labels.iter().enumerate() {
            let l = l.trim();
            let field = format!("labels[{i}]");
            if l.is_empty() {
                return Err(invalid(field, "must not be empty"));
            }
            if l.chars().count() > MAX_LABEL_LEN {
                return Err(invalid(
                    field,
                    format!("at most {MAX_LABEL_LEN} characters"),
                ));
            }
            if l.chars().any(char::is_control) {
                return Err(invalid(field, "no control characters"));
            }
            if !clean.iter().any(|c| c.to_lowercase() == l.to_lowercase()) {
                clean.push(l.to_owned());
            }
        }
        if clean.len() > MAX_LABELS {
            return Err(invalid("labels", format!("at most {MAX_LABELS} labels")));
        }
        let scope = authz::scope(actor, Action::ChangeInteraction)?;
        let mut tx = self.write()?;
        let i = found(tx.interaction(&scope, interaction_id)?)?;
        let org = found(tx.org(&scope, i.org_id)?)?;
        tx.floor_mut()
            .set_labels(&scope, org.id, interaction_id, &clean)?;
        let stored = tx.floor().labels_of(&scope, interaction_id)?;
        tx.commit()?;
        self.publish(vec![HubEvent {
            org_path: org.path.clone(),
            queue_id: i.queue_id,
            assignee_id: i.assignee_id,
            kind: EventKind::LabelsChanged {
                interaction_id,
                labels: stored.clone(),
            },
        }]);
        Ok(stored)
    }

    /// The labels used in the caller's tenant (or `org`), with how many conversations (that the
    /// caller sees) carry each.
    pub fn labels(&self, actor: &Actor, org: Option<Uuid>) -> Result<Vec<LabelCount>, HubError> {
        let scope = authz::scope(actor, Action::ViewInteraction)?;
        let mut tx = self.read()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "labels")?;
        Ok(tx.floor().labels(&scope, tenant.id)?)
    }
}
