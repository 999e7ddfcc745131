//! [`WriteTx`] over SQLite. An update or delete names the row by id *and* its scope: outside
//! the scope it changes nothing.

use std::sync::MutexGuard;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::docs::{StoredGateway, StoredUser, outbox_row};
use super::read::ts;
use super::{Args, SqliteTx, backend, run, scope_args, to_doc};
use crate::authz::Scope;
use crate::model::*;
use crate::store::*;

fn s(id: Uuid) -> String {
    id.to_string()
}

/// The row's organisation is in the scope (for `WHERE` clauses on org-owned tables).
const IN_ORG_SCOPE: &str =
    "org_id IN (SELECT id FROM orgs WHERE substr(path, 1, length(:path)) = :path) AND :gw IS NULL";

impl SqliteTx<MutexGuard<'_, Connection>> {
    /// Refuses a write whose organisation lies outside the scope (inserts name their org).
    fn org_in_scope(&mut self, scope: &Scope, org_id: Uuid) -> Result<(), StoreError> {
        let ok = self
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

    fn write_members(&mut self, q: &Queue) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM queue_members WHERE queue_id = :q",
            Args::default().with("q", s(q.id)),
        )?;
        for m in &q.members {
            let role = match m.role {
                QueueRole::Agent => "agent",
                QueueRole::Manager => "manager",
            };
            self.exec(
                "INSERT INTO queue_members (queue_id, user_id, role) VALUES (:q, :u, :r)",
                Args::default()
                    .with("q", s(q.id))
                    .with("u", s(m.user_id))
                    .with("r", role.to_owned()),
            )?;
        }
        Ok(())
    }

    /// Whether `number` is on a list the edge blocks for `org_id` (its opt-outs or its
    /// do-not-contact list): the edge's list is their union, so a change is logged only when a
    /// number enters or leaves the union.
    pub(super) fn edge_blocked(&mut self, org_id: Uuid, number: &str) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                "SELECT EXISTS(SELECT 1 FROM opt_outs WHERE org_id = :o AND number = :n)
                     OR EXISTS(SELECT 1 FROM campaign_dnc WHERE org_id = :o AND number = :n)",
                Args::default()
                    .with("o", s(org_id))
                    .with("n", number.to_owned()),
            )?
            .unwrap_or(false))
    }

    /// Whether `number` is on `org_id`'s do-not-contact list.
    fn dnc_holds(&mut self, org_id: Uuid, number: &str) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                "SELECT EXISTS(SELECT 1 FROM campaign_dnc WHERE org_id = :o AND number = :n)",
                Args::default()
                    .with("o", s(org_id))
                    .with("n", number.to_owned()),
            )?
            .unwrap_or(false))
    }

    /// Logs a change of the tenant's edge list (opt-outs and do-not-contact entries, one
    /// versioned log the gateways replay: [`crate::hub::edge_sync`]).
    pub(super) fn log_opt_out(
        &mut self,
        org_id: Uuid,
        number: &str,
        added: bool,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO opt_out_changes (org_id, version, number, added, at)
             VALUES (:o, (SELECT COALESCE(MAX(version), 0) + 1 FROM opt_out_changes WHERE org_id = :o), :n, :a, :at)",
            Args::default()
                .with("o", s(org_id))
                .with("n", number.to_owned())
                .with("a", i64::from(added))
                .with("at", ts(at)),
        )?;
        Ok(())
    }
}

impl WriteTx for SqliteTx<MutexGuard<'_, Connection>> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        super::writer::commit(self)
    }

    fn floor_mut(&mut self) -> &mut dyn crate::store::floor::FloorWrite {
        self
    }

    fn bulk_mut(&mut self) -> &mut dyn crate::store::bulk::BulkWrite {
        self
    }

    fn campaigns_mut(&mut self) -> &mut dyn crate::store::campaigns::CampaignWrite {
        self
    }

    fn webhooks_mut(&mut self) -> &mut dyn crate::store::webhooks::WebhookWrite {
        self
    }

    fn mark_processed(
        &mut self,
        event_id: Uuid,
        gateway_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = run(
            &self.conn,
            "INSERT INTO processed_events (event_id, gateway_id, processed_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (event_id) DO NOTHING",
            params![event_id.to_string(), gateway_id.to_string(), at],
        )
        .map_err(backend)?;
        Ok(n == 1)
    }

    fn insert_org(&mut self, scope: &Scope, org: &Org) -> Result<(), StoreError> {
        if !scope.contains_path(&org.path) {
            return Err(StoreError::Backend(
                "organisation outside the caller's scope".into(),
            ));
        }
        run(&self.conn,
            "INSERT INTO orgs (id, parent_id, kind, path, name, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                org.id.to_string(),
                org.parent_id.map(|p| p.to_string()),
                to_doc("org", &org.kind)?,
                org.path,
                org.name,
                org.created_at,
                to_doc("org", org)?
            ],
        ).map_err(backend)?;
        Ok(())
    }

    fn update_org(&mut self, scope: &Scope, org: &Org) -> Result<(), StoreError> {
        self.exec(
            "UPDATE orgs SET name = :name, doc = :doc WHERE id = :id AND substr(path, 1, length(:path)) = :path",
            scope_args(scope)
                .with("id", s(org.id))
                .with("name", org.name.clone())
                .with("doc", to_doc("org", org)?),
        )?;
        Ok(())
    }

    fn delete_org(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        self.org_in_scope(scope, id)?;
        let o = Args::default().with("o", s(id));
        for sql in [
            "DELETE FROM contact_list_members WHERE list_id IN (SELECT id FROM contact_lists WHERE org_id = :o)
                OR contact_id IN (SELECT id FROM contacts WHERE org_id = :o)",
            "DELETE FROM contact_lists WHERE org_id = :o",
            "DELETE FROM messages WHERE org_id = :o",
            "DELETE FROM interactions WHERE org_id = :o",
            "DELETE FROM opt_out_changes WHERE org_id = :o",
            "DELETE FROM opt_outs WHERE org_id = :o",
            "DELETE FROM idempotency_keys WHERE org_id = :o",
            "DELETE FROM contacts WHERE org_id = :o",
            "DELETE FROM queue_members WHERE queue_id IN (SELECT id FROM queues WHERE org_id = :o)
                OR user_id IN (SELECT id FROM users WHERE org_id = :o)",
            "DELETE FROM queues WHERE org_id = :o",
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE org_id = :o)",
            "DELETE FROM api_keys WHERE org_id = :o",
            "DELETE FROM users WHERE org_id = :o",
            "DELETE FROM orgs WHERE id = :o",
        ] {
            self.exec(sql, Args(o.0.clone()))?;
        }
        Ok(())
    }

    fn insert_user(&mut self, scope: &Scope, user: &User) -> Result<(), StoreError> {
        self.org_in_scope(scope, user.org_id)?;
        run(
            &self.conn,
            "INSERT INTO users (id, org_id, login, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                user.id.to_string(),
                user.org_id.to_string(),
                user.login,
                user.created_at,
                to_doc("user", &StoredUser(user.clone()))?
            ],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn update_user(&mut self, scope: &Scope, user: &User) -> Result<(), StoreError> {
        self.exec(
            &format!(
                "UPDATE users SET login = :login, doc = :doc WHERE id = :id AND {IN_ORG_SCOPE}"
            ),
            scope_args(scope)
                .with("id", s(user.id))
                .with("login", user.login.clone())
                .with("doc", to_doc("user", &StoredUser(user.clone()))?),
        )?;
        Ok(())
    }

    fn insert_session(&mut self, token_hash: &str, session: &Session) -> Result<(), StoreError> {
        run(
            &self.conn,
            "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, session.user_id.to_string(), session.expires_at],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM sessions WHERE token_hash = :h",
            Args::default().with("h", token_hash.to_owned()),
        )?;
        Ok(())
    }

    fn delete_sessions_of(&mut self, scope: &Scope, user_id: Uuid) -> Result<(), StoreError> {
        self.exec(
            &format!("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE id = :u AND {IN_ORG_SCOPE})"),
            scope_args(scope).with("u", s(user_id)),
        )?;
        Ok(())
    }

    fn insert_api_key(
        &mut self,
        scope: &Scope,
        key: &ApiKey,
        key_hash: &str,
    ) -> Result<(), StoreError> {
        self.org_in_scope(scope, key.org_id)?;
        run(&self.conn,
            "INSERT INTO api_keys (id, org_id, key_hash, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key.id.to_string(), key.org_id.to_string(), key_hash, key.created_at, to_doc("api key", key)?],
        ).map_err(backend)?;
        Ok(())
    }

    fn update_api_key(&mut self, scope: &Scope, key: &ApiKey) -> Result<(), StoreError> {
        self.exec(
            &format!("UPDATE api_keys SET doc = :doc WHERE id = :id AND {IN_ORG_SCOPE}"),
            scope_args(scope)
                .with("id", s(key.id))
                .with("doc", to_doc("api key", key)?),
        )?;
        Ok(())
    }

    fn insert_gateway(&mut self, scope: &Scope, gateway: &Gateway) -> Result<(), StoreError> {
        if !scope.covers_platform() {
            return Err(StoreError::Backend("gateways are the platform's".into()));
        }
        run(
            &self.conn,
            "INSERT INTO gateways (id, mqtt_username, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
            params![
                gateway.id.to_string(),
                gateway.mqtt_username,
                gateway.created_at,
                to_doc("gateway", &StoredGateway(gateway.clone()))?
            ],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn update_gateway(&mut self, scope: &Scope, gateway: &Gateway) -> Result<(), StoreError> {
        self.exec(
            "UPDATE gateways SET doc = :doc WHERE id = :id AND (:root = 1 OR id = :gw)",
            scope_args(scope)
                .with("id", s(gateway.id))
                .with("doc", to_doc("gateway", &StoredGateway(gateway.clone()))?),
        )?;
        Ok(())
    }

    fn insert_channel(&mut self, scope: &Scope, c: &Channel) -> Result<(), StoreError> {
        self.org_in_scope(scope, c.holder_id)?;
        run(
            &self.conn,
            "INSERT INTO channels (id, gateway_id, port, sim_number, holder_id, created_at, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                c.id.to_string(),
                c.gateway_id.to_string(),
                c.port,
                c.sim_number,
                c.holder_id.to_string(),
                c.created_at,
                to_doc("channel", c)?
            ],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn update_channel(&mut self, scope: &Scope, c: &Channel) -> Result<(), StoreError> {
        // The scope must reach the channel where it is now (its new holder is checked by the hub).
        self.exec(
            "UPDATE channels SET holder_id = :holder, doc = :doc WHERE id = :id
             AND holder_id IN (SELECT id FROM orgs WHERE substr(path, 1, length(:path)) = :path)
             AND (:gw IS NULL OR gateway_id = :gw)",
            scope_args(scope)
                .with("id", s(c.id))
                .with("holder", s(c.holder_id))
                .with("doc", to_doc("channel", c)?),
        )?;
        Ok(())
    }

    fn retire_channel(&mut self, scope: &Scope, c: &Channel) -> Result<(), StoreError> {
        // The unique port and number columns get the id appended (the doc keeps the real ones),
        // so the SIM can be declared again and lookups by port or number no longer find it.
        self.exec(
            "UPDATE channels SET doc = :doc, port = port || '#retired:' || id,
                    sim_number = sim_number || '#retired:' || id
             WHERE id = :id AND instr(port, '#retired:') = 0
             AND holder_id IN (SELECT id FROM orgs WHERE substr(path, 1, length(:path)) = :path)
             AND (:gw IS NULL OR gateway_id = :gw)",
            scope_args(scope)
                .with("id", s(c.id))
                .with("doc", to_doc("channel", c)?),
        )?;
        Ok(())
    }

    fn insert_queue(&mut self, scope: &Scope, q: &Queue) -> Result<(), StoreError> {
        self.org_in_scope(scope, q.org_id)?;
        run(
            &self.conn,
            "INSERT INTO queues (id, org_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
            params![
                q.id.to_string(),
                q.org_id.to_string(),
                q.created_at,
                to_doc("queue", q)?
            ],
        )
        .map_err(backend)?;
        self.write_members(q)
    }

    fn update_queue(&mut self, scope: &Scope, q: &Queue) -> Result<(), StoreError> {
        let n = self.exec(
            &format!("UPDATE queues SET doc = :doc WHERE id = :id AND {IN_ORG_SCOPE}"),
            scope_args(scope)
                .with("id", s(q.id))
                .with("doc", to_doc("queue", q)?),
        )?;
        if n == 1 {
            self.write_members(q)
        } else {
            Ok(())
        }
    }

    fn delete_queue(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        let args = scope_args(scope).with("id", s(id));
        self.exec(
            &format!("DELETE FROM queue_members WHERE queue_id IN (SELECT id FROM queues WHERE id = :id AND {IN_ORG_SCOPE})"),
            Args(args.0.clone()),
        )?;
        self.exec(
            &format!("DELETE FROM queues WHERE id = :id AND {IN_ORG_SCOPE}"),
            args,
        )?;
        Ok(())
    }

    fn insert_contact(&mut self, scope: &Scope, c: &Contact) -> Result<(), StoreError> {
        self.org_in_scope(scope, c.org_id)?;
        run(&self.conn,
            "INSERT INTO contacts (id, org_id, number, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![c.id.to_string(), c.org_id.to_string(), c.number, c.created_at, to_doc("contact", c)?],
        ).map_err(backend)?;
        Ok(())
    }

    fn update_contact(&mut self, scope: &Scope, c: &Contact) -> Result<(), StoreError> {
        self.exec(
            &format!(
                "UPDATE contacts SET number = :n, doc = :doc WHERE id = :id AND {IN_ORG_SCOPE}"
            ),
            scope_args(scope)
                .with("id", s(c.id))
                .with("n", c.number.clone())
                .with("doc", to_doc("contact", c)?),
        )?;
        Ok(())
    }

    fn delete_contact(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        let args = scope_args(scope).with("id", s(id));
        self.exec(
            &format!("DELETE FROM contact_list_members WHERE contact_id IN (SELECT id FROM contacts WHERE id = :id AND {IN_ORG_SCOPE})"),
            Args(args.0.clone()),
        )?;
        self.exec(
            &format!("DELETE FROM contacts WHERE id = :id AND {IN_ORG_SCOPE}"),
            args,
        )?;
        Ok(())
    }

    fn insert_contact_list(&mut self, scope: &Scope, l: &ContactList) -> Result<(), StoreError> {
        self.org_in_scope(scope, l.org_id)?;
        run(
            &self.conn,
            "INSERT INTO contact_lists (id, org_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
            params![
                l.id.to_string(),
                l.org_id.to_string(),
                l.created_at,
                to_doc("contact list", l)?
            ],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn update_contact_list(&mut self, scope: &Scope, l: &ContactList) -> Result<(), StoreError> {
        self.exec(
            &format!("UPDATE contact_lists SET doc = :doc WHERE id = :id AND {IN_ORG_SCOPE}"),
            scope_args(scope)
                .with("id", s(l.id))
                .with("doc", to_doc("contact list", l)?),
        )?;
        Ok(())
    }

    fn delete_contact_list(&mut self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        let args = scope_args(scope).with("id", s(id));
        self.exec(
            &format!("DELETE FROM contact_list_members WHERE list_id IN (SELECT id FROM contact_lists WHERE id = :id AND {IN_ORG_SCOPE})"),
            Args(args.0.clone()),
        )?;
        self.exec(
            &format!("DELETE FROM contact_lists WHERE id = :id AND {IN_ORG_SCOPE}"),
            args,
        )?;
        Ok(())
    }

    fn add_list_member(
        &mut self,
        scope: &Scope,
        list_id: Uuid,
        contact_id: Uuid,
    ) -> Result<bool, StoreError> {
        let n = self.exec(
            &format!(
                "INSERT INTO contact_list_members (list_id, contact_id)
                 SELECT l.id, c.id FROM contact_lists l JOIN contacts c ON c.org_id = l.org_id
                 WHERE l.id = :l AND c.id = :c AND l.{IN_ORG_SCOPE}
                 ON CONFLICT DO NOTHING"
            ),
            scope_args(scope)
                .with("l", s(list_id))
                .with("c", s(contact_id)),
        )?;
        Ok(n == 1)
    }

    fn remove_list_member(
        &mut self,
        scope: &Scope,
        list_id: Uuid,
        contact_id: Uuid,
    ) -> Result<bool, StoreError> {
        let n = self.exec(
            &format!(
                "DELETE FROM contact_list_members WHERE contact_id = :c AND list_id IN
                 (SELECT id FROM contact_lists WHERE id = :l AND {IN_ORG_SCOPE})"
            ),
            scope_args(scope)
                .with("l", s(list_id))
                .with("c", s(contact_id)),
        )?;
        Ok(n == 1)
    }

    fn insert_interaction(&mut self, scope: &Scope, i: &Interaction) -> Result<(), StoreError> {
        self.org_in_scope(scope, i.org_id)?;
        run(&self.conn,
            "INSERT INTO interactions (id, org_id, channel_id, contact_number, status, live, queue_id,
             assignee_id, updated_at, doc, campaign_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                i.id.to_string(), i.org_id.to_string(), i.channel_id.to_string(), i.contact_number,
                i.status.as_str(), i.status.is_live(), i.queue_id.map(|q| q.to_string()),
                i.assignee_id.map(|a| a.to_string()), i.updated_at, to_doc("interaction", i)?,
                i.campaign.as_ref().map(|c| c.id.to_string())
            ],
        ).map_err(backend)?;
        Ok(())
    }

    fn update_interaction(&mut self, scope: &Scope, i: &Interaction) -> Result<(), StoreError> {
        self.exec(
            "UPDATE interactions SET status = :st, live = :live, queue_id = :q, assignee_id = :a,
                 updated_at = :at, doc = :doc, campaign_id = :camp WHERE id = :id AND EXISTS
                 (SELECT 1 FROM orgs o WHERE o.id = interactions.org_id AND substr(o.path, 1, length(:path)) = :path)
                 AND (:gw IS NULL OR channel_id IN (SELECT id FROM channels WHERE gateway_id = :gw))",
            scope_args(scope)
                .with("id", s(i.id))
                .with("st", i.status.as_str().to_owned())
                .with("live", i.status.is_live())
                .opt("q", i.queue_id.map(s))
                .opt("a", i.assignee_id.map(s))
                .with("at", ts(i.updated_at))
                .with("doc", to_doc("interaction", i)?)
                .opt("camp", i.campaign.as_ref().map(|c| s(c.id))),
        )?;
        Ok(())
    }

    fn insert_message(&mut self, scope: &Scope, m: &Message) -> Result<(), StoreError> {
        self.org_in_scope(scope, m.org_id)?;
        run(&self.conn,
            "INSERT INTO messages (id, org_id, interaction_id, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![m.id.to_string(), m.org_id.to_string(), m.interaction_id.to_string(), m.created_at,
                to_doc("message", m)?],
        ).map_err(backend)?;
        Ok(())
    }

    fn update_message(&mut self, scope: &Scope, m: &Message) -> Result<(), StoreError> {
        self.exec(
            "UPDATE messages SET doc = :doc WHERE id = :id AND org_id IN
             (SELECT id FROM orgs WHERE substr(path, 1, length(:path)) = :path)
             AND (:gw IS NULL OR interaction_id IN (SELECT i.id FROM interactions i JOIN channels c
                  ON c.id = i.channel_id WHERE c.gateway_id = :gw))",
            scope_args(scope)
                .with("id", s(m.id))
                .with("doc", to_doc("message", m)?),
        )?;
        Ok(())
    }

    fn insert_opt_out(&mut self, scope: &Scope, o: &OptOut) -> Result<bool, StoreError> {
        self.org_in_scope(scope, o.org_id)?;
        let n = run(
            &self.conn,
            "INSERT INTO opt_outs (id, org_id, number, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org_id, number) DO NOTHING",
            params![
                o.id.to_string(),
                o.org_id.to_string(),
                o.number,
                o.created_at,
                to_doc("opt-out", o)?
            ],
        )
        .map_err(backend)?;
        // Already on the do-not-contact list: the edge blocks it already.
        if n == 1 && !self.dnc_holds(o.org_id, &o.number)? {
            self.log_opt_out(o.org_id, &o.number, true, o.created_at)?;
        }
        Ok(n == 1)
    }

    fn delete_opt_out(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.org_in_scope(scope, org_id)?;
        let n = self.exec(
            "DELETE FROM opt_outs WHERE org_id = :o AND number = :n",
            Args::default()
                .with("o", s(org_id))
                .with("n", number.to_owned()),
        )?;
        // Still on the do-not-contact list: the edge keeps blocking it.
        if n == 1 && !self.edge_blocked(org_id, number)? {
            self.log_opt_out(org_id, number, false, at)?;
        }
        Ok(n == 1)
    }

    fn insert_idempotency(
        &mut self,
        scope: &Scope,
        r: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        self.org_in_scope(scope, r.org_id)?;
        run(&self.conn,
            "INSERT INTO idempotency_keys (org_id, key, operation, response, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (org_id, key) DO UPDATE SET operation = excluded.operation,
                 response = excluded.response, created_at = excluded.created_at",
            params![r.org_id.to_string(), r.key, r.operation, r.response, r.created_at],
        ).map_err(backend)?;
        Ok(())
    }

    fn delete_idempotency_before(
        &mut self,
        scope: &Scope,
        made_by: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.exec(
            &format!("DELETE FROM idempotency_keys WHERE created_at <= :by AND {IN_ORG_SCOPE}"),
            scope_args(scope).with("by", ts(made_by)),
        )
    }

    fn insert_unrouted(&mut self, scope: &Scope, m: &UnroutedInbound) -> Result<(), StoreError> {
        if !(scope.covers_platform() || scope.gateway_id() == Some(m.gateway_id)) {
            return Err(StoreError::Backend(
                "unrouted message of a gateway outside the scope".into(),
            ));
        }
        run(&self.conn,
                "INSERT INTO unrouted_inbound (id, gateway_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
                params![
                    m.id.to_string(),
                    m.gateway_id.to_string(),
                    m.created_at,
                    to_doc("unrouted inbound message", m)?
                ],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn enqueue_command(&mut self, scope: &Scope, e: &OutboxEntry) -> Result<(), StoreError> {
        if !(scope.covers_platform() || scope.gateway_id() == Some(e.gateway_id)) {
            return Err(StoreError::Backend(
                "command for a gateway outside the scope".into(),
            ));
        }
        run(
            &self.conn,
            "INSERT INTO outbox (id, gateway_id, kind, payload, message_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                e.id.to_string(),
                e.gateway_id.to_string(),
                e.kind,
                e.payload,
                e.message_id.map(|m| m.to_string()),
                e.created_at
            ],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn ack_command(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
        command_id: Uuid,
        outcome: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        if !(scope.covers_platform() || scope.gateway_id() == Some(gateway_id)) {
            return Ok(None);
        }
        let row = self
            .conn
            .prepare_cached(
                "SELECT id, gateway_id, kind, payload, message_id, created_at FROM outbox
                 WHERE id = ?1 AND gateway_id = ?2 AND acked_at IS NULL",
            )
            .map_err(backend)?
            .query_row(
                params![command_id.to_string(), gateway_id.to_string()],
                outbox_row,
            )
            .optional()
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        run(
            &self.conn,
            "UPDATE outbox SET acked_at = ?2, outcome = ?3 WHERE id = ?1",
            params![command_id.to_string(), at, outcome],
        )
        .map_err(backend)?;
        row.into_entry().map(Some)
    }
}
