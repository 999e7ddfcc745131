//! [`FloorRead`] over SQLite (see `store::floor`). Org-owned rows join their organisation and
//! filter by the scope; conversation data (notes, labels, episodes) also obeys personal scopes.

use std::collections::{HashMap, HashSet};
use std::ops::DerefMut;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use uuid::Uuid;

use super::read::ts;
use super::scope_sql::CONVERSATION;
use super::{Args, SqliteTx, backend, like, parse, parse_uuid, scope_args};
use crate::authz::Scope;
use crate::floor::assign::ChosenStatus;
use crate::floor::hours::OpeningHours;
use crate::floor::plan::Episode;
use crate::floor::presence::{AwayReason, Chosen};
use crate::floor::records::*;
use crate::model::{Interaction, Message, MessageState, Org};
use crate::store::floor::*;
use crate::store::{Cursor, Page, PageRequest, StoreError};

pub(crate) const ORG_DATA: &str =
    "JOIN orgs o ON o.id = t.org_id WHERE substr(o.path, 1, length(:path)) = :path AND :gw IS NULL";

fn s(id: Uuid) -> String {
    id.to_string()
}

pub(crate) fn chosen(s: &str) -> ChosenStatus {
    ChosenStatus::parse(s)
}

pub(crate) fn reason(s: Option<String>) -> Option<AwayReason> {
    s.as_deref().and_then(AwayReason::parse)
}

pub(crate) fn parse_ts(what: &'static str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_str(s, "%F %T%.f%:z")
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            what,
            detail: format!("{s:?}: {e}"),
        })
}

impl<C: DerefMut<Target = Connection>> SqliteTx<C> {
    /// Rows mapped by `f` (columns read by index).
    pub(crate) fn rows<T>(
        &mut self,
        sql: &str,
        args: Args,
        mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        super::bind(&mut stmt, &args)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(backend)? {
            out.push(f(r)?);
        }
        Ok(out)
    }

    /// A newest-first page by `seq` (`select` yields `t.seq, t.doc`).
    fn seq_page<T: serde::de::DeserializeOwned>(
        &mut self,
        what: &'static str,
        select: &str,
        args: Args,
        page: &PageRequest,
        mut fix: impl FnMut(&mut T, &rusqlite::Row<'_>) -> Result<(), StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let mut sql = select.to_owned();
        let mut args = args;
        if let Some(c) = &page.after {
            sql.push_str(" AND t.seq < :cseq");
            args = args.with("cseq", c.key.parse::<i64>().unwrap_or(i64::MAX));
        }
        let limit = page.limit.clamp(1, crate::store::MAX_PAGE);
        sql.push_str(&format!(" ORDER BY t.seq DESC LIMIT {}", limit + 1));
        let mut items = Vec::new();
        let mut last = None;
        let mut more = false;
        let rows = self.rows(&sql, args, |r| {
            let seq: i64 = r.get(0).map_err(backend)?;
            let doc: String = r.get(1).map_err(backend)?;
            let mut v: T = parse(what, &doc)?;
            fix(&mut v, r)?;
            Ok((seq, v))
        })?;
        for (seq, v) in rows {
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(v);
            last = Some(seq);
        }
        Ok(Page {
            items,
            next: if more {
                last.map(|seq| Cursor {
                    key: seq.to_string(),
                    id: String::new(),
                })
            } else {
                None
            },
        })
    }
}

impl<C: DerefMut<Target = Connection>> FloorRead for SqliteTx<C> {
    fn queue_routing(
        &mut self,
        scope: &Scope,
        queue_id: Uuid,
    ) -> Result<Option<QueueRouting>, StoreError> {
        self.one(
            "queue routing",
            &format!("SELECT t.doc FROM queue_routing t {ORG_DATA} AND t.queue_id = :q"),
            scope_args(scope).with("q", s(queue_id)),
        )
    }

    fn rr_last(&mut self, scope: &Scope, queue_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let v: Option<Option<String>> = self.scalar(
            &format!("SELECT t.rr_last FROM queue_routing t {ORG_DATA} AND t.queue_id = :q"),
            scope_args(scope).with("q", s(queue_id)),
        )?;
        v.flatten()
            .map(|u| parse_uuid("queue routing", &u))
            .transpose()
    }

    fn channel_hours(
        &mut self,
        scope: &Scope,
        channel_id: Uuid,
    ) -> Result<Option<OpeningHours>, StoreError> {
        self.one(
            "channel hours",
            &format!("SELECT t.doc FROM channel_hours t {ORG_DATA} AND t.channel_id = :c"),
            scope_args(scope).with("c", s(channel_id)),
        )
    }

    fn agent_statuses(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<Vec<AgentStatusRecord>, StoreError> {
        self.rows(
            &format!("SELECT t.user_id, t.status, t.since, t.reason FROM agent_status t {ORG_DATA} AND t.org_id = :org"),
            scope_args(scope).with("org", s(org_id)),
            |r| {
                Ok(AgentStatusRecord {
                    user_id: parse_uuid("agent status", &r.get::<_, String>(0).map_err(backend)?)?,
                    org_id,
                    status: chosen(&r.get::<_, String>(1).map_err(backend)?),
                    reason: reason(r.get(3).map_err(backend)?),
                    since: parse_ts("agent status", &r.get::<_, String>(2).map_err(backend)?)?,
                })
            },
        )
    }

    fn active_counts(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<HashMap<Uuid, u32>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT t.assignee_id, COUNT(*) FROM interactions t {ORG_DATA} AND t.org_id = :org
                 AND t.live = 1 AND t.status IN ('waiting', 'open') AND t.assignee_id IS NOT NULL
                 GROUP BY t.assignee_id"
            ),
            scope_args(scope).with("org", s(org_id)),
            |r| {
                let u: String = r.get(0).map_err(backend)?;
                let n: i64 = r.get(1).map_err(backend)?;
                Ok((
                    parse_uuid("interaction", &u)?,
                    u32::try_from(n).unwrap_or(u32::MAX),
                ))
            },
        )?;
        Ok(rows.into_iter().collect())
    }

    fn waiting_in_queue(
        &mut self,
        scope: &Scope,
        queue_id: Uuid,
    ) -> Result<Vec<Interaction>, StoreError> {
        self.many(
            "interaction",
            &format!(
                "SELECT t.doc FROM interactions t {ORG_DATA} AND t.queue_id = :q AND t.live = 1
                 AND t.status = 'waiting' AND t.assignee_id IS NULL
                 ORDER BY json_extract(t.doc, '$.created_at'), t.id"
            ),
            scope_args(scope).with("q", s(queue_id)),
        )
    }

    fn auto_replied(&mut self, scope: &Scope, interaction_id: Uuid) -> Result<bool, StoreError> {
        Ok(self
            .scalar::<bool>(
                &format!("SELECT EXISTS(SELECT 1 FROM auto_replies t {ORG_DATA} AND t.interaction_id = :i)"),
                scope_args(scope).with("i", s(interaction_id)),
            )?
            .unwrap_or(false))
    }

    fn assigned_live(&mut self, scope: &Scope) -> Result<Vec<(String, Interaction)>, StoreError> {
        self.rows(
            &format!(
                "SELECT o.path, t.doc FROM interactions t {ORG_DATA} AND t.live = 1 AND t.assignee_id IS NOT NULL"
            ),
            scope_args(scope),
            |r| {
                let doc: String = r.get(1).map_err(backend)?;
                Ok((r.get(0).map_err(backend)?, parse("interaction", &doc)?))
            },
        )
    }

    fn closes_since(
        &mut self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, Uuid, DateTime<Utc>)>, StoreError> {
        self.rows(
            &format!(
                "SELECT o.path, t.assignee_id, t.at FROM interaction_status_log t {ORG_DATA}
                 AND t.to_status = 'closed' AND t.assignee_id IS NOT NULL AND t.at >= :since"
            ),
            scope_args(scope).with("since", ts(since)),
            |r| {
                Ok((
                    r.get(0).map_err(backend)?,
                    parse_uuid("status log", &r.get::<_, String>(1).map_err(backend)?)?,
                    parse_ts("status log", &r.get::<_, String>(2).map_err(backend)?)?,
                ))
            },
        )
    }

    fn all_agent_statuses(
        &mut self,
        scope: &Scope,
    ) -> Result<Vec<(String, Uuid, Chosen)>, StoreError> {
        self.rows(
            &format!("SELECT o.path, t.user_id, t.status, t.reason FROM agent_status t {ORG_DATA}"),
            scope_args(scope),
            |r| {
                Ok((
                    r.get(0).map_err(backend)?,
                    parse_uuid("agent status", &r.get::<_, String>(1).map_err(backend)?)?,
                    Chosen {
                        status: chosen(&r.get::<_, String>(2).map_err(backend)?),
                        reason: reason(r.get(3).map_err(backend)?),
                    },
                ))
            },
        )
    }

    fn notification_settings(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<Option<NotificationSettings>, StoreError> {
        self.one(
            "notification settings",
            &format!("SELECT t.doc FROM notification_settings t {ORG_DATA} AND t.org_id = :org"),
            scope_args(scope).with("org", s(org_id)),
        )
    }

    fn notifying_tenants(
        &mut self,
        scope: &Scope,
    ) -> Result<Vec<(Org, NotificationSettings)>, StoreError> {
        self.rows(
            &format!(
                "SELECT o.doc, t.doc FROM notification_settings t {ORG_DATA} AND t.enabled = 1"
            ),
            scope_args(scope),
            |r| {
                let org: String = r.get(0).map_err(backend)?;
                let doc: String = r.get(1).map_err(backend)?;
                Ok((parse("org", &org)?, parse("notification settings", &doc)?))
            },
        )
    }

    fn open_episodes(&mut self, scope: &Scope, org_id: Uuid) -> Result<Vec<Episode>, StoreError> {
        self.rows(
            &format!(
                "SELECT e.id, e.interaction_id, t.queue_id, e.since FROM unseen_episodes e
                 JOIN interactions t ON t.id = e.interaction_id
                 JOIN orgs o ON o.id = t.org_id WHERE substr(o.path, 1, length(:path)) = :path
                 AND {CONVERSATION} AND e.org_id = :org AND e.ended_at IS NULL ORDER BY e.since, e.id"
            ),
            scope_args(scope).with("org", s(org_id)),
            |r| {
                let q: Option<String> = r.get(2).map_err(backend)?;
                Ok(Episode {
                    id: r.get(0).map_err(backend)?,
                    interaction_id: parse_uuid("episode", &r.get::<_, String>(1).map_err(backend)?)?,
                    queue_id: q.map(|q| parse_uuid("episode", &q)).transpose()?,
                    since: parse_ts("episode", &r.get::<_, String>(3).map_err(backend)?)?,
                })
            },
        )
    }

    fn notified(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<HashSet<(i64, usize)>, StoreError> {
        let rows = self.rows(
            &format!(
                "SELECT t.episode_id, t.level FROM notification_marks t {ORG_DATA} AND t.org_id = :org
                 AND t.episode_id IN (SELECT id FROM unseen_episodes WHERE org_id = :org AND ended_at IS NULL)"
            ),
            scope_args(scope).with("org", s(org_id)),
            |r| {
                let level: i64 = r.get(1).map_err(backend)?;
                Ok((r.get::<_, i64>(0).map_err(backend)?, usize::try_from(level).unwrap_or(0)))
            },
        )?;
        Ok(rows.into_iter().collect())
    }

    fn notification_log(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<NotificationLogEntry>, StoreError> {
        self.seq_page(
            "notification log",
            &format!(
                "SELECT t.seq, t.doc, m.doc FROM notification_log t LEFT JOIN messages m ON m.id = t.message_id
                 {ORG_DATA} AND t.org_id = :org"
            ),
            scope_args(scope).with("org", s(org_id)),
            page,
            |e: &mut NotificationLogEntry, r| {
                let m: Option<String> = r.get(2).map_err(backend)?;
                if let Some(m) = m {
                    let m: Message = parse("message", &m)?;
                    e.status = match m.state {
                        MessageState::Delivered => DeliveryStatus::Delivered,
                        MessageState::Sent => DeliveryStatus::Sent,
                        MessageState::Failed | MessageState::Expired | MessageState::Cancelled => DeliveryStatus::Failed,
                        _ => DeliveryStatus::Queued,
                    };
                    if m.error.is_some() {
                        e.detail = m.error;
                    }
                }
                Ok(())
            },
        )
    }

    fn notify_contacts(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
    ) -> Result<Vec<NotifyContact>, StoreError> {
        self.many(
            "notify contact",
            &format!("SELECT t.doc FROM notify_contacts t {ORG_DATA} AND t.org_id = :org"),
            scope_args(scope).with("org", s(org_id)),
        )
    }

    fn notes(&mut self, scope: &Scope, interaction_id: Uuid) -> Result<Vec<Note>, StoreError> {
        self.many(
            "note",
            &format!(
                "SELECT n.doc FROM notes n JOIN interactions t ON t.id = n.interaction_id
                 JOIN orgs o ON o.id = t.org_id WHERE substr(o.path, 1, length(:path)) = :path
                 AND {CONVERSATION} AND n.interaction_id = :i ORDER BY n.created_at, n.id"
            ),
            scope_args(scope).with("i", s(interaction_id)),
        )
    }

    fn labels_of(
        &mut self,
        scope: &Scope,
        interaction_id: Uuid,
    ) -> Result<Vec<String>, StoreError> {
        self.column(
            &format!(
                "SELECT l.label FROM interaction_labels l JOIN interactions t ON t.id = l.interaction_id
                 JOIN orgs o ON o.id = t.org_id WHERE substr(o.path, 1, length(:path)) = :path
                 AND {CONVERSATION} AND l.interaction_id = :i ORDER BY l.label"
            ),
            scope_args(scope).with("i", s(interaction_id)),
        )
    }

    fn labels(&mut self, scope: &Scope, org_id: Uuid) -> Result<Vec<LabelCount>, StoreError> {
        self.rows(
            &format!(
                "SELECT l.label, COUNT(*) FROM interaction_labels l JOIN interactions t ON t.id = l.interaction_id
                 JOIN orgs o ON o.id = t.org_id WHERE substr(o.path, 1, length(:path)) = :path
                 AND {CONVERSATION} AND l.org_id = :org GROUP BY l.label ORDER BY l.label"
            ),
            scope_args(scope).with("org", s(org_id)),
            |r| {
                Ok(LabelCount {
                    label: r.get(0).map_err(backend)?,
                    conversations: u32::try_from(r.get::<_, i64>(1).map_err(backend)?).unwrap_or(0),
                })
            },
        )
    }

    fn canned_reply(&mut self, scope: &Scope, id: Uuid) -> Result<Option<CannedReply>, StoreError> {
        self.one(
            "canned reply",
            &format!("SELECT t.doc FROM canned_replies t {ORG_DATA} AND t.id = :id"),
            scope_args(scope).with("id", s(id)),
        )
    }

    fn canned_replies(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        queues: Option<&[Uuid]>,
        q: Option<&str>,
    ) -> Result<Vec<CannedReply>, StoreError> {
        let queue_cond = match queues {
            None => String::new(),
            Some(list) => {
                let ids: Vec<String> = list.iter().map(|u| format!("'{u}'")).collect();
                format!(
                    " AND (t.queue_id IS NULL OR t.queue_id IN ({}))",
                    ids.join(", ")
                )
            }
        };
        self.many(
            "canned reply",
            &format!(
                "SELECT t.doc FROM canned_replies t {ORG_DATA} AND t.org_id = :org{queue_cond}
                 AND (:q IS NULL OR json_extract(t.doc, '$.title') LIKE :q ESCAPE '\\'
                      OR json_extract(t.doc, '$.text') LIKE :q ESCAPE '\\')
                 ORDER BY json_extract(t.doc, '$.title') COLLATE NOCASE, t.id"
            ),
            scope_args(scope)
                .with("org", s(org_id))
                .opt("q", q.filter(|q| !q.trim().is_empty()).map(like)),
        )
    }

    fn audit(
        &mut self,
        scope: &Scope,
        f: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        self.seq_page(
            "audit entry",
            &format!(
                "SELECT t.seq, t.doc FROM audit_log t {ORG_DATA} AND (:org IS NULL OR t.org_id = :org)
                 AND (:since IS NULL OR t.at >= :since) AND (:until IS NULL OR t.at < :until)
                 AND (:q IS NULL OR json_extract(t.doc, '$.actor') LIKE :q ESCAPE '\\'
                      OR json_extract(t.doc, '$.action') LIKE :q ESCAPE '\\'
                      OR json_extract(t.doc, '$.target') LIKE :q ESCAPE '\\'
                      OR json_extract(t.doc, '$.detail') LIKE :q ESCAPE '\\')"
            ),
            scope_args(scope)
                .opt("org", f.org.map(s))
                .opt("since", f.since.map(ts))
                .opt("until", f.until.map(ts))
                .opt("q", f.q.as_deref().filter(|q| !q.trim().is_empty()).map(like)),
            page,
            |_: &mut AuditEntry, _| Ok(()),
        )
    }

    fn report_rows(
        &mut self,
        scope: &Scope,
        org_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ReportRows, StoreError> {
        super::floor_reports::report_rows(self, scope, org_id, from, to)
    }
}
