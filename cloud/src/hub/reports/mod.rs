//! Reports over a date range (or the quick choices: today, yesterday, last 7 / 30 days, this
//! month): messages received and sent per day, channel, queue and agent; first-response and
//! resolution times (median, p90); conversations waiting unseen longer than the notification
//! delay; delivery rate and failure reasons; opt-outs. Exports in [`export`] (CSV per table,
//! XLSX with one sheet per table); each export is recorded in the audit log.
//!
//! Definitions (what the numbers mean):
//! - *received*: inbound messages created in the range; *sent*: outbound messages created in
//!   the range (automatic replies and SMS notifications included);
//! - *delivery rate*: delivered ÷ (delivered + failed + expired) among the range's outbound
//!   messages — messages still on their way are not counted either way;
//! - *first response*: for conversations created in the range, from the first inbound message
//!   to the first later outbound message written by someone (not the hub's automatic ones);
//!   per agent, attributed to that message's author;
//! - *resolution*: from the conversation's creation to its first close;
//! - *waited too long*: unseen stretches that started in the range and lasted (or last) more
//!   than the tenant's notification delay;
//! - *time away* per agent: the time their chosen presence was `away` (in total and by
//!   reason) within the range, up to now — from the status log, so a status set before the
//!   range counts from its start; *time signed off*: likewise for a chosen `offline`
//!   (`floor::presence::time_in_status`).

pub mod export;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Hub;
use super::error::{HubError, invalid};
use crate::authz::{self, Action, Actor};
use crate::floor::presence::{AwayReason, time_in_status};
use crate::floor::stats::{median, percentile};
use crate::model::*;
use crate::store::floor::ReportRows;
use crate::store::{ChannelFilter, PageRequest, TextFilter, UserFilter};

/// The quick choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuickRange {
    Today,
    Yesterday,
    Last7Days,
    Last30Days,
    ThisMonth,
}

/// `[from, to)` in UTC for dates (inclusive `from`..=`to` days) or a quick choice, in `tz`.
pub fn resolve_range(
    tz: Tz,
    now: DateTime<Utc>,
    quick: Option<QuickRange>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), HubError> {
    let today = now.with_timezone(&tz).date_naive();
    let (a, b) = match (quick, from, to) {
        (Some(q), None, None) => match q {
            QuickRange::Today => (today, today),
            QuickRange::Yesterday => (today - Duration::days(1), today - Duration::days(1)),
            QuickRange::Last7Days => (today - Duration::days(6), today),
            QuickRange::Last30Days => (today - Duration::days(29), today),
            QuickRange::ThisMonth => (today.with_day(1).unwrap_or(today), today),
        },
        (None, Some(f), Some(t)) => (f, t),
        (None, Some(f), None) => (f, today),
        (Some(_), _, _) => return Err(invalid("range", "give a quick range or dates, not both")),
        (None, None, _) => return Err(invalid("from", "give from (and to) or a quick range")),
    };
    if b < a {
        return Err(invalid("to", "must not be before from"));
    }
    if (b - a).num_days() > 366 {
        return Err(invalid("to", "at most 367 days per report"));
    }
    Ok((midnight(tz, a), midnight(tz, b + Duration::days(1))))
}

/// The instant a local day starts (a DST gap at midnight moves it to the first valid minute).
fn midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let mut t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..180 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += Duration::minutes(1);
    }
    Utc.from_utc_datetime(&t)
}

/// Median and 90th percentile of a duration, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct DurationStat {
    pub count: usize,
    pub median_s: Option<i64>,
    pub p90_s: Option<i64>,
}

fn stat(v: &[i64]) -> DurationStat {
    DurationStat {
        count: v.len(),
        median_s: median(v),
        p90_s: percentile(v, 90),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Totals {
    pub received: usize,
    pub sent: usize,
    pub conversations: usize,
    pub delivered: usize,
    pub failed: usize,
    /// delivered ÷ (delivered + failed), none when nothing is final yet.
    pub delivery_rate: Option<f64>,
    pub first_response: DurationStat,
    pub resolution: DurationStat,
    pub waited_too_long: usize,
    pub opt_outs: usize,
    pub opt_ins: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DayRow {
    /// Local date, `YYYY-MM-DD`.
    pub day: String,
    pub received: usize,
    pub sent: usize,
}

/// A channel's or a queue's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupRow {
    pub id: Option<Uuid>,
    pub name: String,
    pub received: usize,
    pub sent: usize,
    pub delivered: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgentReportRow {
    pub id: Uuid,
    pub name: String,
    pub sent: usize,
    pub closed: usize,
    pub first_response: DurationStat,
    /// Seconds with the chosen presence `away` in the range.
    pub away_s: i64,
    /// The same by reason (`reason` null: none given), largest first.
    pub away_by_reason: Vec<AwayTime>,
    /// Seconds signed `offline` (by choice) in the range.
    pub offline_s: i64,
}

/// Time away for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AwayTime {
    pub reason: Option<AwayReason>,
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FailureRow {
    pub reason: String,
    pub count: usize,
}

/// A report of one tenant over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    pub org_id: Uuid,
    pub org_name: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub timezone: String,
    /// The delay "waited too long" is measured against (minutes).
    pub notification_delay_minutes: u32,
    pub totals: Totals,
    pub days: Vec<DayRow>,
    pub channels: Vec<GroupRow>,
    pub queues: Vec<GroupRow>,
    pub agents: Vec<AgentReportRow>,
    pub failures: Vec<FailureRow>,
}

/// Names for ids.
pub struct Names {
    pub channels: HashMap<Uuid, String>,
    pub queues: HashMap<Uuid, String>,
    pub users: HashMap<Uuid, String>,
}

fn is_failed(s: MessageState) -> bool {
    matches!(s, MessageState::Failed | MessageState::Expired)
}

/// Computes the report from its rows (pure).
#[allow(clippy::too_many_arguments)]
pub fn compute(
    org: &Org,
    rows: &ReportRows,
    names: &Names,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    delay_minutes: u32,
    now: DateTime<Utc>,
) -> Report {
    let mut t = Totals::default();
    let mut days: BTreeMap<NaiveDate, (usize, usize)> = BTreeMap::new();
    let mut d = from.with_timezone(&tz).date_naive();
    let last = (to - Duration::seconds(1)).with_timezone(&tz).date_naive();
    while d <= last {
        days.insert(d, (0, 0));
        d += Duration::days(1);
    }
    let mut by_channel: BTreeMap<Uuid, GroupRow> = BTreeMap::new();
    let mut by_queue: BTreeMap<Option<Uuid>, GroupRow> = BTreeMap::new();
    let mut agent_sent: HashMap<Uuid, usize> = HashMap::new();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for m in &rows.messages {
        let inbound = m.direction == MessageDirection::Inbound;
        let day = m.created_at.with_timezone(&tz).date_naive();
        let e = days.entry(day).or_insert((0, 0));
        let c = by_channel.entry(m.channel_id).or_insert_with(|| GroupRow {
            id: Some(m.channel_id),
            name: names
                .channels
                .get(&m.channel_id)
                .cloned()
                .unwrap_or_else(|| m.channel_id.to_string()),
            received: 0,
            sent: 0,
            delivered: 0,
            failed: 0,
        });
        let q = by_queue.entry(m.queue_id).or_insert_with(|| GroupRow {
            id: m.queue_id,
            name: m
                .queue_id
                .map(|q| {
                    names
                        .queues
                        .get(&q)
                        .cloned()
                        .unwrap_or_else(|| q.to_string())
                })
                .unwrap_or_else(|| "(no queue)".into()),
            received: 0,
            sent: 0,
            delivered: 0,
            failed: 0,
        });
        if inbound {
            t.received += 1;
            e.0 += 1;
            c.received += 1;
            q.received += 1;
        } else {
            t.sent += 1;
            e.1 += 1;
            c.sent += 1;
            q.sent += 1;
            if let Some(a) = m.author_id {
                *agent_sent.entry(a).or_insert(0) += 1;
            }
            if m.state == MessageState::Delivered {
                t.delivered += 1;
                c.delivered += 1;
                q.delivered += 1;
            } else if is_failed(m.state) {
                t.failed += 1;
                c.failed += 1;
                q.failed += 1;
                let reason = match (&m.error, m.state) {
                    (Some(e), _) if !e.trim().is_empty() => e.trim().to_owned(),
                    (_, MessageState::Expired) => "expired before delivery".to_owned(),
                    _ => "no reason given".to_owned(),
                };
                *failures.entry(reason).or_insert(0) += 1;
            }
        }
    }
    let finals = t.delivered + t.failed;
    t.delivery_rate = (finals > 0).then(|| t.delivered as f64 / finals as f64);
    t.conversations = rows.created.len();
    // Response and resolution times.
    let mut frt = Vec::new();
    let mut frt_by: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for (id, thread) in &rows.threads {
        let _ = id;
        let Some(first_in) = thread
            .iter()
            .find(|m| m.direction == MessageDirection::Inbound)
        else {
            continue;
        };
        if let Some(reply) = thread.iter().find(|m| {
            m.direction == MessageDirection::Outbound
                && !m.system
                && m.created_at >= first_in.created_at
        }) {
            let s = (reply.created_at - first_in.created_at).num_seconds();
            frt.push(s);
            if let Some(a) = reply.author_id {
                frt_by.entry(a).or_default().push(s);
            }
        }
    }
    let mut resolution = Vec::new();
    let mut closed_by: HashMap<Uuid, usize> = HashMap::new();
    let mut first_close: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for c in rows.changes.iter().filter(|c| c.to == "closed") {
        if let Some(a) = c.assignee_id
            && c.at >= from
            && c.at < to
        {
            *closed_by.entry(a).or_insert(0) += 1;
        }
        first_close.entry(c.interaction_id).or_insert(c.at);
    }
    for (id, at) in &first_close {
        if let Some(created) = rows.created.get(id) {
            resolution.push((*at - *created).num_seconds());
        }
    }
    t.first_response = stat(&frt);
    t.resolution = stat(&resolution);
    let limit = Duration::minutes(i64::from(delay_minutes));
    t.waited_too_long = rows
        .episodes
        .iter()
        .filter(|e| e.ended_at.unwrap_or(now) - e.since > limit)
        .count();
    t.opt_outs = rows.opt_outs.iter().filter(|o| o.added).count();
    t.opt_ins = rows.opt_outs.iter().filter(|o| !o.added).count();
    let presence = time_in_status(&rows.statuses, from, to, now);
    let mut agent_ids: Vec<Uuid> = agent_sent
        .keys()
        .chain(closed_by.keys())
        .chain(frt_by.keys())
        .chain(
            presence
                .iter()
                .filter(|(_, p)| p.away_s > 0 || p.offline_s > 0)
                .map(|(id, _)| id),
        )
        .copied()
        .collect();
    agent_ids.sort();
    agent_ids.dedup();
    let mut agents: Vec<AgentReportRow> = agent_ids
        .into_iter()
        .map(|id| {
            let p = presence.get(&id).cloned().unwrap_or_default();
            let mut away_by_reason: Vec<AwayTime> = p
                .away_by_reason
                .iter()
                .filter(|(_, s)| **s > 0)
                .map(|(reason, seconds)| AwayTime {
                    reason: *reason,
                    seconds: *seconds,
                })
                .collect();
            away_by_reason.sort_by(|a, b| b.seconds.cmp(&a.seconds).then(a.reason.cmp(&b.reason)));
            AgentReportRow {
                id,
                name: names
                    .users
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| id.to_string()),
                sent: agent_sent.get(&id).copied().unwrap_or(0),
                closed: closed_by.get(&id).copied().unwrap_or(0),
                first_response: stat(frt_by.get(&id).map_or(&[][..], Vec::as_slice)),
                away_s: p.away_s,
                away_by_reason,
                offline_s: p.offline_s,
            }
        })
        .collect();
    agents.sort_by_key(|a| a.name.to_lowercase());
    let mut channels: Vec<GroupRow> = by_channel.into_values().collect();
    channels.sort_by(|a, b| a.name.cmp(&b.name));
    let mut queues: Vec<GroupRow> = by_queue.into_values().collect();
    queues.sort_by(|a, b| (a.id.is_none(), &a.name).cmp(&(b.id.is_none(), &b.name)));
    let mut failures: Vec<FailureRow> = failures
        .into_iter()
        .map(|(reason, count)| FailureRow { reason, count })
        .collect();
    failures.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    Report {
        org_id: org.id,
        org_name: org.name.clone(),
        from,
        to,
        timezone: tz.name().to_owned(),
        notification_delay_minutes: delay_minutes,
        totals: t,
        days: days
            .into_iter()
            .map(|(d, (received, sent))| DayRow {
                day: d.format("%Y-%m-%d").to_string(),
                received,
                sent,
            })
            .collect(),
        channels,
        queues,
        agents,
        failures,
    }
}

impl Hub {
    /// The report of the caller's tenant (or `org`) over `[from, to)` read in `tz`.
    pub fn report(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        tz: Tz,
    ) -> Result<Report, HubError> {
        let scope = authz::scope(actor, Action::ViewReports)?;
        let mut tx = self.read()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "reports")?;
        let rows = tx.floor().report_rows(&scope, tenant.id, from, to)?;
        let delay = tx
            .floor()
            .notification_settings(&scope, tenant.id)?
            .unwrap_or_default()
            .delay_minutes;
        let names = Names {
            channels: tx
                .channels(&scope, &ChannelFilter::default(), &PageRequest::all())?
                .items
                .into_iter()
                .map(|c| (c.id, c.sim_number))
                .collect(),
            queues: tx
                .queues(
                    &scope,
                    &TextFilter {
                        org: Some(tenant.id),
                        q: None,
                    },
                    &PageRequest::all(),
                )?
                .items
                .into_iter()
                .map(|q| (q.id, q.name))
                .collect(),
            users: tx
                .users(
                    &scope,
                    &UserFilter {
                        org: Some(tenant.id),
                        ..UserFilter::default()
                    },
                    &PageRequest::all(),
                )?
                .items
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect(),
        };
        Ok(compute(
            &tenant,
            &rows,
            &names,
            tz,
            from,
            to,
            delay,
            self.now(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_ranges_are_whole_local_days() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        // 2026-11-23 00:30 in Paris = 2026-11-22 23:30 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap();
        let (f, t) = resolve_range(tz, now, Some(QuickRange::Today), None, None).unwrap();
        assert_eq!(f, Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap());
        assert_eq!(t - f, Duration::days(1));
        let (f, _) = resolve_range(tz, now, Some(QuickRange::ThisMonth), None, None).unwrap();
        assert_eq!(f, Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap());
        let (f, t) = resolve_range(tz, now, Some(QuickRange::Last7Days), None, None).unwrap();
        assert_eq!(t - f, Duration::days(7));
        let bad = resolve_range(
            tz,
            now,
            None,
            NaiveDate::from_ymd_opt(2026, 11, 5),
            NaiveDate::from_ymd_opt(2026, 11, 1),
        );
        assert!(matches!(bad, Err(HubError::Invalid { ref field, .. }) if field == "to"));
    }
}
