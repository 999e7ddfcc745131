//! [`FloorWrite`] over SQLite. Inserts name their organisation and are refused outside the
//! scope; updates and deletes match the scope too.

use std::sync::MutexGuard;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use uuid::Uuid;

use super::read::ts;
use super::{Args, SqliteTx, scope_args, to_doc};
use crate::authz::Scope;
use crate::floor::hours::OpeningHours;
use crate::floor::records::*;
use crate::store::StoreError;
use crate::store::floor::*;

fn s(id: Uuid) -> String {
    id.to_string()
}

const IN_SCOPE: &str =
    "org_id IN (SELECT id FROM orgs WHERE substr(path, 1, length(:path)) = :path) AND :gw IS NULL";

type W<'a> = SqliteTx<MutexGuard<'a, Connection>>;

impl W<'_> {
    fn check_org(&mut self, scope: &Scope, org_id: Uuid) -> Result<(), StoreError> {
        let ok = scope.gateway_id().is_none()
            && self
                .scalar::<bool>(
                    "SELECT EXISTS(SELECT 1 FROM orgs WHERE id = :o AND substr(path, 1, length(:path)) = :path)",
                    scope_args(scope).with("o", s(org_id)),
                )?
                .unwrap_or(false);
        if ok {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "write outside the caller's scope (organisation {org_id})"
            )))
        }
    }
}

impl FloorWrite for W<'_> {
    fn put_queue_routing(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        queue_id: Uuid,
        r: &QueueRouting,
    ) -> Result<(), StoreError> {
        self.check_org(scope, org_id)?;
        self.exec(
            "INSERT INTO queue_routing (queue_id, org_id, doc) VALUES (:q, :o, :doc)
             ON CONFLICT (queue_id) DO UPDATE SET doc = excluded.doc WHERE queue_routing.org_id = excluded.org_id",
            Args::default()
                .with("q", s(queue_id))
                .with("o", s(org_id))
                .with("doc", to_doc("queue routing", r)?),
        )?;
        Ok(())
    }

    fn set_rr_last(
        &mut self,
        scope: &Scope,
        queue_id: Uuid,
        agent: Uuid,
    ) -> Result<(), StoreError> {
        self.exec(
            &format!("UPDATE queue_routing SET rr_last = :a WHERE queue_id = :q AND {IN_SCOPE}"),
            scope_args(scope).with("q", s(queue_id)).with("a", s(agent)),
        )?;
        Ok(())
    }

    fn put_channel_hours(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        channel_id: Uuid,
        h: Option<&OpeningHours>,
    ) -> Result<(), StoreError> {
        self.check_org(scope, org_id)?;
        match h {
            Some(h) => self.exec(
                "INSERT INTO channel_hours (channel_id, org_id, doc) VALUES (:c, :o, :doc)
                 ON CONFLICT (channel_id) DO UPDATE SET org_id = excluded.org_id, doc = excluded.doc",
                Args::default()
                    .with("c", s(channel_id))
                    .with("o", s(org_id))
                    .with("doc", to_doc("channel hours", h)?),
            )?,
            None => self.exec(
                &format!("DELETE FROM channel_hours WHERE channel_id = :c AND {IN_SCOPE}"),
                scope_args(scope).with("c", s(channel_id)),
            )?,
        };
        Ok(())
    }

    fn put_agent_status(&mut self, scope: &Scope, a: &AgentStatusRecord) -> Result<(), StoreError> {
        self.check_org(scope, a.org_id)?;
        // The trigger of migration 7 logs every row written here in `agent_status_log`.
        self.exec(
            "INSERT INTO agent_status (user_id, org_id, status, reason, since) VALUES (:u, :o, :s, :r, :at)
             ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, reason = excluded.reason,
             since = excluded.since",
            Args::default()
                .with("u", s(a.user_id))
                .with("o", s(a.org_id))
                .with("s", a.status.as_str().to_owned())
                .opt("r", a.reason.map(|r| r.as_str().to_owned()))
                .with("at", ts(a.since)),
        )?;
        Ok(())
    }

    fn insert_auto_reply(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        interaction_id: Uuid,
        message_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.check_org(scope, org_id)?;
        let n = self.exec(
            "INSERT INTO auto_replies (interaction_id, org_id, message_id, at) VALUES (:i, :o, :m, :at)
             ON CONFLICT DO NOTHING",
            Args::default()
                .with("i", s(interaction_id))
                .with("o", s(org_id))
                .with("m", s(message_id))
                .with("at", ts(at)),
        )?;
        Ok(n == 1)
    }

    fn mark_system_message(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        message_id: Uuid,
        kind: &str,
    ) -> Result<(), StoreError> {
        self.check_org(scope, org_id)?;
        self.exec(
            "INSERT INTO system_messages (message_id, org_id, kind) VALUES (:m, :o, :k)",
            Args::default()
                .with("m", s(message_id))
                .with("o", s(org_id))
                .with("k", kind.to_owned()),
        )?;
        Ok(())
    }

    fn put_notification_settings(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        n: &NotificationSettings,
    ) -> Result<(), StoreError> {
        self.check_org(scope, org_id)?;
        self.exec(
            "INSERT INTO notification_settings (org_id, enabled, doc) VALUES (:o, :e, :doc)
             ON CONFLICT (org_id) DO UPDATE SET enabled = excluded.enabled, doc = excluded.doc",
            Args::default()
                .with("o", s(org_id))
                .with("e", n.enabled)
                .with("doc", to_doc("notification settings", n)?),
        )?;
        Ok(())
    }

    fn mark_notified(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        episode: i64,
        level: usize,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_org(scope, org_id)?;
        self.exec(
            "INSERT INTO notification_marks (episode_id, level, org_id, at) VALUES (:e, :l, :o, :at)
             ON CONFLICT DO NOTHING",
            Args::default()
                .with("e", episode)
                .with("l", i64::try_from(level).unwrap_or(i64::MAX))
                .with("o", s(org_id))
                .with("at", ts(at)),
        )?;
        Ok(())
    }

    fn insert_notification_log(
        &mut self,
        scope: &Scope,
        e: &NotificationLogEntry,
    ) -> Result<(), StoreError> {
        self.check_org(scope, e.org_id)?;
        self.exec(
            "INSERT INTO notification_log (id, org_id, at, message_id, doc) VALUES (:id, :o, :at, :m, :doc)",
            Args::default()
                .with("id", s(e.id))
                .with("o", s(e.org_id))
                .with("at", ts(e.at))
                .opt("m", e.message_id.map(s))
                .with("doc", to_doc("notification log", e)?),
        )?;
        Ok(())
    }

    fn update_notification_status(
        &mut self,
        scope: &Scope,
        id: Uuid,
        status: DeliveryStatus,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        self.exec(
            &format!(
                "UPDATE notification_log SET doc = json_set(doc, '$.status', :st, '$.detail', :d)
                 WHERE id = :id AND {IN_SCOPE}"
            ),
            scope_args(scope)
                .with("id", s(id))
                .with(
                    "st",
                    to_doc("status", &status)?.trim_matches('"').to_owned(),
                )
                .opt("d", detail.map(str::to_owned)),
        )?;
        Ok(())
    }

    fn put_notify_contact(&mut self, scope: &Scope, c: &NotifyContact) -> Result<(), StoreError> {
        self.check_org(scope, c.org_id)?;
        self.exec(
            "INSERT INTO notify_contacts (user_id, org_id, doc) VALUES (:u, :o, :doc)
             ON CONFLICT (user_id) DO UPDATE SET doc = excluded.doc",
            Args::default()
                .with("u", s(c.user_id))
                .with("o", s(c.org_id))
                .with("doc", to_doc("notify contact", c)?),
        )?;
        Ok(())
    }

    fn insert_note(&mut self, scope: &Scope, n: &Note) -> Result<(), StoreError> {
        self.check_org(scope, n.org_id)?;
        self.exec(
            "INSERT INTO notes (id, org_id, interaction_id, created_at, doc) VALUES (:id, :o, :i, :at, :doc)",
            Args::default()
                .with("id", s(n.id))
                .with("o", s(n.org_id))
                .with("i", s(n.interaction_id))
                .with("at", ts(n.created_at))
                .with("doc", to_doc("note", n)?),
        )?;
        Ok(())
    }

    fn set_labels(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        interaction_id: Uuid,
        labels: &[String],
    ) -> Result<(), StoreError> {
        self.check_org(scope, org_id)?;
        self.exec(
            "DELETE FROM interaction_labels WHERE interaction_id = :i AND org_id = :o",
            Args::default()
                .with("i", s(interaction_id))
                .with("o", s(org_id)),
        )?;
        for l in labels {
            self.exec(
                "INSERT INTO interaction_labels (interaction_id, org_id, label) VALUES (:i, :o, :l)
                 ON CONFLICT DO NOTHING",
                Args::default()
                    .with("i", s(interaction_id))
                    .with("o", s(org_id))
                    .with("l", l.clone()),
            )?;
        }
        Ok(())
    }

    fn insert_canned_reply(&mut self, scope: &Scope, c: &CannedReply) -> Result<(), StoreError> {
        self.check_org(scope, c.org_id)?;
        self.exec(
            "INSERT INTO canned_replies (id, org_id, queue_id, created_at, doc) VALUES (:id, :o, :q, :at, :doc)",
            Args::default()
                .with("id", s(c.id))
                .with("o", s(c.org_id))
                .opt("q", c.queue_id.map(s))
                .with("at", ts(c.created_at))
                .with("doc", to_doc("canned reply", c)?),
        )?;
        Ok(())
    }

    fn update_canned_reply(&mut self, scope: &Scope, c: &CannedReply) -> Result<(), StoreError> {
        self.exec(
            &format!(
                "UPDATE canned_replies SET queue_id = :q, doc = :doc WHERE id = :id AND {IN_SCOPE}"
            ),
            scope_args(scope)
                .with("id", s(c.id))
                .opt("q", c.queue_id.map(s))
                .with("doc", to_doc("canned reply", c)?),
        )?;
        Ok(())
    }

    fn delete_canned_reply(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        self.exec(
            &format!("DELETE FROM canned_replies WHERE id = :id AND {IN_SCOPE}"),
            scope_args(scope).with("id", s(id)),
        )?;
        Ok(())
    }

    fn insert_audit(&mut self, scope: &Scope, e: &AuditEntry) -> Result<(), StoreError> {
        self.check_org(scope, e.org_id)?;
        self.exec(
            "INSERT INTO audit_log (id, org_id, at, doc) VALUES (:id, :o, :at, :doc)",
            Args::default()
                .with("id", s(e.id))
                .with("o", s(e.org_id))
                .with("at", ts(e.at))
                .with("doc", to_doc("audit entry", e)?),
        )?;
        Ok(())
    }
}
