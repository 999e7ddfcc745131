//! [`ReadTx`] over SQLite: every tenant query filters by the scope ([`scope_sql`]).

use std::ops::DerefMut;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::docs::{StoredGateway, StoredUser, outbox_row};
use super::memo::Deps;
use super::scope_sql::{CONVERSATION, NOT_GATEWAY, SUBTREE};
use super::{Args, Order, SqliteTx, backend, like, parse_uuid, scope_args, to_doc};
use crate::authz::Scope;
use crate::model::*;
use crate::store::*;

fn s(id: Uuid) -> String {
    id.to_string()
}

/// Database form of a timestamp (what rusqlite writes for `DateTime<Utc>`).
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    // The format parsed once, not at every call (this runs for every timestamp written).
    static ITEMS: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
        std::sync::LazyLock::new(|| {
            chrono::format::StrftimeItems::new("%F %T%.f%:z")
                .parse_to_owned()
                .unwrap_or_default()
        });
    at.format_with_items(ITEMS.iter()).to_string()
}

/// A channel lookup reads the channel and its holder's organisation.
const CHANNEL_DEPS: Deps = Deps::CHANNELS.and(Deps::ORGS);

const ORG_DATA: &str =
    "JOIN orgs o ON o.id = t.org_id WHERE substr(o.path, 1, length(:path)) = :path AND :gw IS NULL";

impl<C: DerefMut<Target = Connection>> SqliteTx<C> {
    /// A row of an org-owned table by id, in scope.
    fn owned<T: serde::de::DeserializeOwned>(
        &mut self,
        what: &'static str,
        table: &str,
        scope: &Scope,
        id: Uuid,
    ) -> Result<Option<T>, StoreError> {
        self.one(
            what,
            &format!("SELECT t.doc FROM {table} t {ORG_DATA} AND t.id = :id"),
            scope_args(scope).with("id", s(id)),
        )
    }

    fn owned_page<T: serde::de::DeserializeOwned>(
        &mut self,
        what: &'static str,
        table: &str,
        scope: &Scope,
        filter: &TextFilter,
        search: &[&str],
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let mut sql =
            format!("SELECT t.doc FROM {table} t {ORG_DATA} AND (:org IS NULL OR t.org_id = :org)");
        if !search.is_empty() {
            let cond: Vec<String> = search
                .iter()
                .map(|f| format!("{f} LIKE :q ESCAPE '\\'"))
                .collect();
            sql.push_str(&format!(" AND (:q IS NULL OR {})", cond.join(" OR ")));
        }
        let args = scope_args(scope).opt("org", filter.org.map(s)).opt(
            "q",
            filter
                .q
                .as_deref()
                .filter(|q| !q.trim().is_empty())
                .map(like),
        );
        self.page(what, &sql, args, Order::Created, page)
    }
}

fn q(q: &Option<String>) -> Option<String> {
    q.as_deref().filter(|q| !q.trim().is_empty()).map(like)
}

impl<C: DerefMut<Target = Connection>> ReadTx for SqliteTx<C> {
    fn platform(&mut self) -> Result<Option<Org>, StoreError> {
        self.one(
            "org",
            "SELECT doc FROM orgs WHERE parent_id IS NULL",
            Args::default(),
        )
    }

    fn user_by_login(&mut self, login: &str) -> Result<Option<User>, StoreError> {
        let u: Option<StoredUser> = self.one(
            "user",
            "SELECT doc FROM users WHERE login = :login",
            Args::default().with("login", login.to_owned()),
        )?;
        Ok(u.map(|u| u.0))
    }

    fn session(&mut self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row: Option<(String, DateTime<Utc>)> = self
            .conn
            .query_row(
                "SELECT user_id, expires_at FROM sessions WHERE token_hash = ?1",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend)?;
        row.map(|(u, expires_at)| {
            Ok(Session {
                user_id: parse_uuid("session", &u)?,
                expires_at,
            })
        })
        .transpose()
    }

    fn api_key_by_hash(&mut self, key_hash: &str) -> Result<Option<ApiKey>, StoreError> {
        self.one(
            "api key",
            "SELECT doc FROM api_keys WHERE key_hash = :h",
            Args::default().with("h", key_hash.to_owned()),
        )
    }

    fn has_live_session(&mut self, user_id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                "SELECT EXISTS(SELECT 1 FROM sessions WHERE user_id = :u AND expires_at > :now)",
                Args::default().with("u", s(user_id)).with("now", ts(now)),
            )?
            .unwrap_or(false))
    }

    fn org(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Org>, StoreError> {
        self.memo(
            Deps::ORGS,
            "org",
            scope_args(scope).with("id", s(id)),
            |tx, args| {
                tx.one(
                    "org",
                    &format!("SELECT o.doc FROM orgs o WHERE {SUBTREE} AND o.id = :id"),
                    args,
                )
            },
        )
    }

    fn orgs(
        &mut self,
        scope: &Scope,
        filter: &OrgFilter,
        page: &PageRequest,
    ) -> Result<Page<Org>, StoreError> {
        let kinds: Vec<String> = filter
            .kinds
            .iter()
            .map(|k| to_doc("org", k))
            .collect::<Result<_, _>>()?;
        let kind_cond = if kinds.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = (0..kinds.len()).map(|i| format!(":k{i}")).collect();
            format!(" AND t.kind IN ({})", list.join(", "))
        };
        let sql = format!(
            "SELECT t.doc FROM orgs t JOIN orgs o ON o.id = t.id WHERE {SUBTREE} AND {NOT_GATEWAY}
             AND (:parent IS NULL OR t.parent_id = :parent) AND (:q IS NULL OR t.name LIKE :q ESCAPE '\\'){kind_cond}"
        );
        const NAMES: [&str; 4] = ["k0", "k1", "k2", "k3"];
        let mut args = scope_args(scope)
            .opt("parent", filter.parent.map(s))
            .opt("q", q(&filter.q));
        for (i, k) in kinds.into_iter().enumerate().take(NAMES.len()) {
            args = args.with(NAMES[i], k);
        }
        self.page("org", &sql, args, Order::Created, page)
    }

    fn org_name_taken(
        &mut self,
        parent: Uuid,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                "SELECT EXISTS(SELECT 1 FROM orgs WHERE parent_id = :p AND name = :n COLLATE NOCASE
                 AND (:x IS NULL OR id <> :x))",
                Args::default()
                    .with("p", s(parent))
                    .with("n", name.to_owned())
                    .opt("x", except.map(s)),
            )?
            .unwrap_or(false))
    }

    fn child_orgs(&mut self, scope: &Scope, id: Uuid) -> Result<usize, StoreError> {
        let n: i64 = self
            .scalar(
                &format!("SELECT COUNT(*) FROM orgs o WHERE {SUBTREE} AND o.parent_id = :id"),
                scope_args(scope).with("id", s(id)),
            )?
            .unwrap_or(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn user(&mut self, scope: &Scope, id: Uuid) -> Result<Option<User>, StoreError> {
        let u: Option<StoredUser> = self.owned("user", "users", scope, id)?;
        Ok(u.map(|u| u.0))
    }

    fn users(
        &mut self,
        scope: &Scope,
        filter: &UserFilter,
        page: &PageRequest,
    ) -> Result<Page<User>, StoreError> {
        let sql = format!(
            "SELECT t.doc FROM users t {ORG_DATA} AND (:org IS NULL OR t.org_id = :org)
             AND (:role IS NULL OR json_extract(t.doc, '$.role') = :role)
             AND (:state IS NULL OR json_extract(t.doc, '$.state') = :state)
             AND (:q IS NULL OR t.login LIKE :q ESCAPE '\\' OR json_extract(t.doc, '$.name') LIKE :q ESCAPE '\\')"
        );
        let args = scope_args(scope)
            .opt("org", filter.org.map(s))
            .opt("role", filter.role.map(|r| r.as_str().to_owned()))
            .opt("state", filter.state.map(|st| st.as_str().to_owned()))
            .opt("q", q(&filter.q));
        let p: Page<StoredUser> = self.page("user", &sql, args, Order::Created, page)?;
        Ok(Page {
            items: p.items.into_iter().map(|u| u.0).collect(),
            next: p.next,
        })
    }

    fn api_key(&mut self, scope: &Scope, id: Uuid) -> Result<Option<ApiKey>, StoreError> {
        self.owned("api key", "api_keys", scope, id)
    }

    fn api_keys(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<ApiKey>, StoreError> {
        self.owned_page(
            "api key",
            "api_keys",
            scope,
            filter,
            &[
                "json_extract(t.doc, '$.name')",
                "json_extract(t.doc, '$.prefix')",
            ],
            page,
        )
    }

    fn gateway(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Gateway>, StoreError> {
        self.memo(
            Deps::GATEWAYS,
            "gateway",
            scope_args(scope).with("id", s(id)),
            |tx, args| {
                let g: Option<StoredGateway> = tx.one(
                    "gateway",
                    "SELECT t.doc FROM gateways t WHERE (:root = 1 OR t.id = :gw) AND t.id = :id",
                    args,
                )?;
                Ok(g.map(|g| g.0))
            },
        )
    }

    fn gateway_by_username(
        &mut self,
        scope: &Scope,
        username: &str,
    ) -> Result<Option<Gateway>, StoreError> {
        self.memo(
            Deps::GATEWAYS,
            "gateway_by_username",
            scope_args(scope).with("u", username.to_owned()),
            |tx, args| {
                let g: Option<StoredGateway> = tx.one(
                    "gateway",
                    "SELECT t.doc FROM gateways t WHERE (:root = 1 OR t.id = :gw) AND t.mqtt_username = :u",
                    args,
                )?;
                Ok(g.map(|g| g.0))
            },
        )
    }

    fn gateways(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<Gateway>, StoreError> {
        let p: Page<StoredGateway> = self.page(
            "gateway",
            "SELECT t.doc FROM gateways t WHERE (:root = 1 OR t.id = :gw)
             AND json_extract(t.doc, '$.mqtt_password_hash') <> ''
             AND (:q IS NULL OR json_extract(t.doc, '$.name') LIKE :q ESCAPE '\\' OR t.mqtt_username LIKE :q ESCAPE '\\')",
            scope_args(scope).opt("q", q(&filter.q)),
            Order::Created,
            page,
        )?;
        Ok(Page {
            items: p.items.into_iter().map(|g| g.0).collect(),
            next: p.next,
        })
    }

    fn channel(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Channel>, StoreError> {
        self.memo(
            CHANNEL_DEPS,
            "channel",
            scope_args(scope).with("id", s(id)),
            |tx, args| {
                tx.one(
                    "channel",
                    &format!(
                        "SELECT t.doc FROM channels t JOIN orgs o ON o.id = t.holder_id WHERE {SUBTREE}
                         AND (:gw IS NULL OR t.gateway_id = :gw) AND t.id = :id"
                    ),
                    args,
                )
            },
        )
    }

    fn channel_by_port(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
        port: &str,
    ) -> Result<Option<Channel>, StoreError> {
        self.memo(
            CHANNEL_DEPS,
            "channel_by_port",
            scope_args(scope)
                .with("g", s(gateway_id))
                .with("port", port.to_owned()),
            |tx, args| {
                tx.one(
                    "channel",
                    &format!(
                        "SELECT t.doc FROM channels t JOIN orgs o ON o.id = t.holder_id WHERE {SUBTREE}
                         AND (:gw IS NULL OR t.gateway_id = :gw) AND t.gateway_id = :g AND t.port = :port"
                    ),
                    args,
                )
            },
        )
    }

    fn channel_by_number(
        &mut self,
        scope: &Scope,
        sim_number: &str,
    ) -> Result<Option<Channel>, StoreError> {
        self.memo(
            CHANNEL_DEPS,
            "channel_by_number",
            scope_args(scope).with("n", sim_number.to_owned()),
            |tx, args| {
                tx.one(
                    "channel",
                    &format!(
                        "SELECT t.doc FROM channels t JOIN orgs o ON o.id = t.holder_id WHERE {SUBTREE}
                         AND (:gw IS NULL OR t.gateway_id = :gw) AND t.sim_number = :n"
                    ),
                    args,
                )
            },
        )
    }

    fn channels(
        &mut self,
        scope: &Scope,
        filter: &ChannelFilter,
        page: &PageRequest,
    ) -> Result<Page<Channel>, StoreError> {
        let sql = format!(
            "SELECT t.doc FROM channels t JOIN orgs o ON o.id = t.holder_id WHERE {SUBTREE}
             AND (:gw IS NULL OR t.gateway_id = :gw)
             AND (:holder IS NULL OR t.holder_id = :holder) AND (:g IS NULL OR t.gateway_id = :g)
             AND (:retired = 1 OR json_extract(t.doc, '$.state') IS NOT 'retired')
             AND (:q IS NULL OR t.sim_number LIKE :q ESCAPE '\\' OR t.port LIKE :q ESCAPE '\\'
                  OR json_extract(t.doc, '$.name') LIKE :q ESCAPE '\\')"
        );
        let args = scope_args(scope)
            .opt("holder", filter.holder.map(s))
            .opt("g", filter.gateway.map(s))
            .opt("q", q(&filter.q))
            .with("retired", i64::from(filter.include_retired));
        self.page("channel", &sql, args, Order::Created, page)
    }

    fn queue(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Queue>, StoreError> {
        self.owned("queue", "queues", scope, id)
    }

    fn queues(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<Queue>, StoreError> {
        self.owned_page(
            "queue",
            "queues",
            scope,
            filter,
            &[
                "json_extract(t.doc, '$.name')",
                "json_extract(t.doc, '$.description')",
            ],
            page,
        )
    }

    fn queues_of_user(&mut self, scope: &Scope, user_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let ids: Vec<String> = self.column(
            &format!(
                "SELECT m.queue_id FROM queue_members m JOIN queues t ON t.id = m.queue_id {ORG_DATA}
                 AND m.user_id = :u"
            ),
            scope_args(scope).with("u", s(user_id)),
        )?;
        ids.iter().map(|i| parse_uuid("queue member", i)).collect()
    }

    fn contact(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Contact>, StoreError> {
        self.owned("contact", "contacts", scope, id)
    }

    fn contact_by_number(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<Option<Contact>, StoreError> {
        self.one(
            "contact",
            &format!(
                "SELECT t.doc FROM contacts t {ORG_DATA} AND t.org_id = :org AND t.number = :n"
            ),
            scope_args(scope)
                .with("org", s(org_id))
                .with("n", number.to_owned()),
        )
    }

    fn contacts(
        &mut self,
        scope: &Scope,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<Contact>, StoreError> {
        let sql = format!(
            "SELECT t.doc FROM contacts t {ORG_DATA} AND (:org IS NULL OR t.org_id = :org)
             AND (:list IS NULL OR t.id IN (SELECT contact_id FROM contact_list_members WHERE list_id = :list))
             AND (:q IS NULL OR t.number LIKE :q ESCAPE '\\' OR json_extract(t.doc, '$.name') LIKE :q ESCAPE '\\'
                  OR json_extract(t.doc, '$.business') LIKE :q ESCAPE '\\' OR json_extract(t.doc, '$.email') LIKE :q ESCAPE '\\')"
        );
        let args = scope_args(scope)
            .opt("org", filter.org.map(s))
            .opt("list", filter.list.map(s))
            .opt("q", q(&filter.q));
        self.page("contact", &sql, args, Order::Created, page)
    }

    fn contact_list(&mut self, scope: &Scope, id: Uuid) -> Result<Option<ContactList>, StoreError> {
        let list: Option<ContactList> = self.owned("contact list", "contact_lists", scope, id)?;
        list.map(|l| self.with_members(l)).transpose()
    }

    fn contact_lists(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactList>, StoreError> {
        let p: Page<ContactList> = self.owned_page(
            "contact list",
            "contact_lists",
            scope,
            filter,
            &[
                "json_extract(t.doc, '$.name')",
                "json_extract(t.doc, '$.description')",
            ],
            page,
        )?;
        let items = p
            .items
            .into_iter()
            .map(|l| self.with_members(l))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next: p.next,
        })
    }

    fn list_numbers(
        &mut self,
        scope: &Scope,
        list_id: Uuid,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.column(
            &format!(
                "SELECT t.number FROM contacts t JOIN contact_list_members m ON m.contact_id = t.id
                 {ORG_DATA} AND m.list_id = :list ORDER BY t.created_at, t.id LIMIT :limit"
            ),
            scope_args(scope)
                .with("list", s(list_id))
                .with("limit", i64::try_from(limit).unwrap_or(i64::MAX)),
        )
    }

    fn interaction(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Interaction>, StoreError> {
        self.one(
            "interaction",
            &format!(
                "SELECT t.doc FROM interactions t JOIN orgs o ON o.id = t.org_id WHERE {SUBTREE}
                 AND {CONVERSATION} AND t.id = :id"
            ),
            scope_args(scope).with("id", s(id)),
        )
    }

    fn live_interaction(
        &mut self,
        scope: &Scope,
        channel_id: Uuid,
        contact_number: &str,
    ) -> Result<Option<Interaction>, StoreError> {
        // Not limited to personal scopes: "is there already a conversation" must see a
        // colleague's (the caller is then refused to reply in it, or joins it).
        self.one(
            "interaction",
            &format!(
                "SELECT t.doc FROM interactions t JOIN orgs o ON o.id = t.org_id WHERE {SUBTREE}
                 AND (:gw IS NULL OR t.channel_id IN (SELECT id FROM channels WHERE gateway_id = :gw))
                 AND t.channel_id = :c AND t.contact_number = :n AND t.live = 1"
            ),
            scope_args(scope)
                .with("c", s(channel_id))
                .with("n", contact_number.to_owned()),
        )
    }

    fn live_interactions(
        &mut self,
        scope: &Scope,
        by: LiveBy,
    ) -> Result<Vec<Interaction>, StoreError> {
        let (cond, id) = match by {
            LiveBy::Channel(c) => ("t.channel_id = :x", c),
            LiveBy::Queue(q) => ("t.queue_id = :x", q),
            LiveBy::Org(o) => ("t.org_id = :x", o),
        };
        self.many(
            "interaction",
            &format!(
                "SELECT t.doc FROM interactions t JOIN orgs o ON o.id = t.org_id WHERE {SUBTREE}
                 AND {CONVERSATION} AND {cond} AND t.live = 1 ORDER BY t.updated_at"
            ),
            scope_args(scope).with("x", s(id)),
        )
    }

    fn interactions(
        &mut self,
        scope: &Scope,
        f: &InteractionFilter,
        page: &PageRequest,
    ) -> Result<Page<Interaction>, StoreError> {
        let sql = format!(
            "SELECT t.doc FROM interactions t JOIN orgs o ON o.id = t.org_id WHERE {SUBTREE}
             AND {CONVERSATION}
             AND (:status IS NULL OR t.status = :status)
             AND (:live IS NULL OR (t.status <> 'closed') = :live) AND (:queue IS NULL OR t.queue_id = :queue)
             AND (:assignee IS NULL OR t.assignee_id = :assignee) AND (:channel IS NULL OR t.channel_id = :channel)
             AND (:contact IS NULL OR t.contact_number = :contact)
             AND (:since IS NULL OR t.updated_at >= :since) AND (:until IS NULL OR t.updated_at < :until)
             AND (:text IS NULL OR EXISTS (SELECT 1 FROM messages m WHERE m.interaction_id = t.id
                  AND json_extract(m.doc, '$.text') LIKE :text ESCAPE '\\'))
             AND (:label IS NULL OR EXISTS (SELECT 1 FROM interaction_labels l WHERE l.interaction_id = t.id
                  AND l.label = :label))"
        );
        let args = scope_args(scope)
            .opt("status", f.status.map(|st| st.as_str().to_owned()))
            .opt("live", f.live)
            .opt("queue", f.queue.map(s))
            .opt("assignee", f.assignee.map(s))
            .opt("channel", f.channel.map(s))
            .opt("contact", f.contact.clone())
            .opt("since", f.since.map(ts))
            .opt("until", f.until.map(ts))
            .opt("text", q(&f.text))
            .opt("label", f.label.clone());
        self.page("interaction", &sql, args, Order::UpdatedDesc, page)
    }

    fn message(&mut self, scope: &Scope, id: Uuid) -> Result<Option<Message>, StoreError> {
        self.one(
            "message",
            &format!(
                "SELECT m.doc FROM messages m JOIN interactions t ON t.id = m.interaction_id
                 JOIN orgs o ON o.id = t.org_id WHERE {SUBTREE} AND {CONVERSATION} AND m.id = :id"
            ),
            scope_args(scope).with("id", s(id)),
        )
    }

    fn unrouted_inbound(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<UnroutedInbound>, StoreError> {
        self.page(
            "unrouted inbound message",
            "SELECT t.doc FROM unrouted_inbound t WHERE (:root = 1 OR t.gateway_id = :gw)
             AND (:q IS NULL OR json_extract(t.doc, '$.text') LIKE :q ESCAPE '\\'
                  OR json_extract(t.doc, '$.from') LIKE :q ESCAPE '\\')",
            scope_args(scope).opt("q", q(&filter.q)),
            Order::CreatedDesc,
            page,
        )
    }

    fn unsent_outbound(
        &mut self,
        scope: &Scope,
        to: UnsentTo<'_>,
    ) -> Result<Vec<Message>, StoreError> {
        let (cond, args) = match to {
            UnsentTo::Number { org_id, number } => (
                "t.org_id = :org AND t.contact_number = :n",
                scope_args(scope)
                    .with("org", s(org_id))
                    .with("n", number.to_owned()),
            ),
            UnsentTo::Channel(c) => ("t.channel_id = :c", scope_args(scope).with("c", s(c))),
        };
        self.many(
            "message",
            &format!(
                "SELECT m.doc FROM messages m JOIN interactions t ON t.id = m.interaction_id
                 JOIN orgs o ON o.id = t.org_id WHERE {SUBTREE} AND {CONVERSATION} AND {cond}
                 AND json_extract(m.doc, '$.direction') = 'outbound'
                 AND json_extract(m.doc, '$.state') IN ('queued', 'accepted')
                 ORDER BY m.created_at, m.id"
            ),
            args,
        )
    }

    fn messages_of(
        &mut self,
        scope: &Scope,
        interaction_id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        // `t` is the message here; its conversation `i` carries the scope.
        let sql = format!(
            "SELECT t.doc FROM messages t JOIN interactions i ON i.id = t.interaction_id
             JOIN orgs o ON o.id = i.org_id WHERE {SUBTREE} AND {} AND t.interaction_id = :i",
            CONVERSATION.replace("t.", "i.")
        );
        self.page(
            "message",
            &sql,
            scope_args(scope).with("i", s(interaction_id)),
            Order::Created,
            page,
        )
    }

    fn opt_out(&mut self, scope: &Scope, id: Uuid) -> Result<Option<OptOut>, StoreError> {
        self.owned("opt-out", "opt_outs", scope, id)
    }

    fn opt_outs(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<OptOut>, StoreError> {
        self.owned_page("opt-out", "opt_outs", scope, filter, &["t.number"], page)
    }

    fn is_opted_out(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        number: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                &format!(
                    "SELECT EXISTS(SELECT 1 FROM opt_outs t {ORG_DATA} AND t.org_id = :org AND t.number = :n)"
                ),
                scope_args(scope)
                    .with("org", s(org_id))
                    .with("n", number.to_owned()),
            )?
            .unwrap_or(false))
    }

    fn opt_out_changes(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        since: i64,
        limit: usize,
    ) -> Result<Vec<OptOutChange>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT t.version, t.number, t.added, t.at FROM opt_out_changes t {ORG_DATA}
                 AND t.org_id = :org AND t.version > :since ORDER BY t.version LIMIT :limit"
            ))
            .map_err(backend)?;
        let args = scope_args(scope)
            .with("org", s(org_id))
            .with("since", since)
            .with("limit", i64::try_from(limit).unwrap_or(i64::MAX));
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(backend)? {
            out.push(OptOutChange {
                org_id,
                version: r.get(0).map_err(backend)?,
                number: r.get(1).map_err(backend)?,
                added: r.get(2).map_err(backend)?,
                at: r.get(3).map_err(backend)?,
            });
        }
        Ok(out)
    }

    fn opt_out_version(&mut self, scope: &Scope, org_id: Uuid) -> Result<i64, StoreError> {
        Ok(self
            .scalar::<i64>(
                &format!(
                    "SELECT COALESCE(MAX(t.version), 0) FROM opt_out_changes t {ORG_DATA} AND t.org_id = :org"
                ),
                scope_args(scope).with("org", s(org_id)),
            )?
            .unwrap_or(0))
    }

    fn opt_out_sync_marks(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
    ) -> Result<Vec<OptOutSyncMark>, StoreError> {
        // The payload is the command's JSON (`wire::OptOutSync`); the newest per tenant wins.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT tenant, to_version, replace, outcome FROM (
                    SELECT json_extract(CAST(payload AS TEXT), '$.tenant') AS tenant,
                           json_extract(CAST(payload AS TEXT), '$.to_version') AS to_version,
                           COALESCE(json_extract(CAST(payload AS TEXT), '$.replace'), 0) AS replace,
                           outcome,
                           ROW_NUMBER() OVER (PARTITION BY json_extract(CAST(payload AS TEXT), '$.tenant')
                                              ORDER BY seq DESC) AS n
                    FROM outbox
                    WHERE (:root = 1 OR gateway_id = :gw) AND gateway_id = :g AND kind = 'opt_outs')
                 WHERE n = 1",
            )
            .map_err(backend)?;
        let args = scope_args(scope).with("g", s(gateway_id));
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(backend)? {
            let tenant: String = r.get(0).map_err(backend)?;
            out.push(OptOutSyncMark {
                tenant: parse_uuid("outbox", &tenant)?,
                to_version: r.get(1).map_err(backend)?,
                replace: r.get::<_, i64>(2).map_err(backend)? != 0,
                outcome: r.get(3).map_err(backend)?,
            });
        }
        Ok(out)
    }

    fn idempotency(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT t.operation, t.response, t.created_at FROM idempotency_keys t {ORG_DATA}
                 AND t.org_id = :org AND t.key = :key"
            ))
            .map_err(backend)?;
        let args = scope_args(scope)
            .with("org", s(org_id))
            .with("key", key.to_owned());
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        match rows.next().map_err(backend)? {
            Some(r) => Ok(Some(IdempotencyRecord {
                org_id,
                key: key.to_owned(),
                operation: r.get(0).map_err(backend)?,
                response: r.get(1).map_err(backend)?,
                created_at: r.get(2).map_err(backend)?,
            })),
            None => Ok(None),
        }
    }

    fn oldest_idempotency(&mut self, scope: &Scope) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.scalar(
            &format!("SELECT MIN(t.created_at) FROM idempotency_keys t {ORG_DATA}"),
            scope_args(scope),
        )
        .map(Option::flatten)
    }

    fn floor(&mut self) -> &mut dyn crate::store::floor::FloorRead {
        self
    }

    fn bulk(&mut self) -> &mut dyn crate::store::bulk::BulkRead {
        self
    }

    fn campaigns(&mut self) -> &mut dyn crate::store::campaigns::CampaignRead {
        self
    }

    fn webhooks(&mut self) -> &mut dyn crate::store::webhooks::WebhookRead {
        self
    }

    fn pending_commands(
        &mut self,
        scope: &Scope,
        gateway_id: Uuid,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, gateway_id, kind, payload, message_id, created_at FROM outbox
                 WHERE (:root = 1 OR gateway_id = :gw) AND gateway_id = :g AND acked_at IS NULL ORDER BY seq",
            )
            .map_err(backend)?;
        let args = scope_args(scope).with("g", s(gateway_id));
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(backend)? {
            out.push(outbox_row(r).map_err(backend)?.into_entry()?);
        }
        Ok(out)
    }
}

impl<C: DerefMut<Target = Connection>> SqliteTx<C> {
    fn with_members(&mut self, mut l: ContactList) -> Result<ContactList, StoreError> {
        let n: i64 = self
            .scalar(
                "SELECT COUNT(*) FROM contact_list_members WHERE list_id = :l",
                Args::default().with("l", s(l.id)),
            )?
            .unwrap_or(0);
        l.members = usize::try_from(n).unwrap_or(0);
        Ok(l)
    }
}
