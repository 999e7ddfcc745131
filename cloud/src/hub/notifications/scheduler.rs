//! The notification scheduler: plans with `floor::plan` for every tenant with notifications
//! enabled, sends what is due, and sleeps on the hub's [`crate::Clock`] until the next moment
//! something falls due — or until a conversation or the settings change (notify, don't poll).
//!
//! Invariants:
//! - **an episode is notified at most once per level** — the marks are committed, with the log
//!   entries and the SMS, *before* any e-mail leaves; a crash between the two leaves the e-mail
//!   `pending` in the log rather than sending it twice;
//! - a recipient without an e-mail address gets the SMS only, with no error (and the other way
//!   round);
//! - the count is the number of the tenant's conversations waiting unseen longer than that
//!   level's delay (for a queue's managers: in their queue).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::mailer::{Mail, MailOutcome, Mailer};
use crate::authz;
use crate::floor::plan::{self, Episode, Rules};
use crate::floor::records::*;
use crate::hub::Hub;
use crate::hub::error::HubError;
use crate::hub::system_send::send_to_number;
use crate::model::*;
use crate::store::floor::SYSTEM_NOTIFICATION;
use crate::store::{PageRequest, TextFilter, UserFilter};

/// One person to tell, at one level, about `count` conversations.
#[derive(Debug, Clone)]
struct Target {
    level: usize,
    name: String,
    email: Option<String>,
    number: Option<String>,
    count: usize,
}

fn text_for(s: &NotificationSettings, count: usize) -> String {
    if s.include_count {
        let noun = if count == 1 {
            "interaction"
        } else {
            "interactions"
        };
        format!("{} ({count} {noun} waiting)", s.text)
    } else {
        s.text.clone()
    }
}

impl Hub {
    /// Who to tell for one due level of a tenant.
    fn targets(
        &self,
        tx: &mut dyn crate::store::ReadTx,
        org: &Org,
        s: &NotificationSettings,
        due: &plan::Due,
    ) -> Result<Vec<Target>, HubError> {
        let scope = authz::tenant_system(org);
        if due.level == 0 {
            return Ok(s
                .recipients
                .iter()
                .map(|r| Target {
                    level: 0,
                    name: r.name.clone(),
                    email: r.email.clone(),
                    number: r.number.clone(),
                    count: due.overdue.len(),
                })
                .collect());
        }
        let Some(esc) = s.escalations.get(due.level - 1) else {
            return Ok(Vec::new());
        };
        let contacts: HashMap<Uuid, NotifyContact> = tx
            .floor()
            .notify_contacts(&scope, org.id)?
            .into_iter()
            .map(|c| (c.user_id, c))
            .collect();
        let users: HashMap<Uuid, User> = tx
            .users(
                &scope,
                &UserFilter {
                    org: Some(org.id),
                    state: Some(UserState::Active),
                    ..UserFilter::default()
                },
                &PageRequest::all(),
            )?
            .items
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        // user → conversations counted for them
        let mut counts: BTreeMap<Uuid, usize> = BTreeMap::new();
        match esc.audience {
            Audience::TenantAdmins => {
                for u in users.values().filter(|u| u.role == Role::TenantAdmin) {
                    counts.insert(u.id, due.overdue.len());
                }
            }
            Audience::QueueManagers => {
                let queues = tx
                    .queues(
                        &scope,
                        &TextFilter {
                            org: Some(org.id),
                            q: None,
                        },
                        &PageRequest::all(),
                    )?
                    .items;
                let fresh_queues: HashSet<Option<Uuid>> =
                    due.fresh.iter().map(|e| e.queue_id).collect();
                for q in queues.iter().filter(|q| fresh_queues.contains(&Some(q.id))) {
                    let n = due
                        .overdue
                        .iter()
                        .filter(|e| e.queue_id == Some(q.id))
                        .count();
                    for m in q.members.iter().filter(|m| m.role == QueueRole::Manager) {
                        *counts.entry(m.user_id).or_insert(0) += n;
                    }
                }
            }
        }
        Ok(counts
            .into_iter()
            .filter_map(|(u, count)| {
                let user = users.get(&u)?;
                let c = contacts.get(&u);
                Some(Target {
                    level: due.level,
                    name: user.name.clone(),
                    email: c.and_then(|c| c.email.clone()),
                    number: c.and_then(|c| c.mobile.clone()),
                    count,
                })
            })
            .collect())
    }

    /// Plans and sends what is due now; returns the next moment to look again (none: only a
    /// change can make something due).
    pub async fn send_due_notifications(
        &self,
        mailer: Option<&dyn Mailer>,
    ) -> Result<Option<DateTime<Utc>>, HubError> {
        let hub = self.clone();
        let mail_on = mailer.is_some();
        let (mails, next) = tokio::task::spawn_blocking(move || hub.queue_due(mail_on))
            .await
            .map_err(|e| HubError::Conflict(format!("notification task: {e}")))??;
        for (org, entry, mail) in mails {
            let outcome = match mailer {
                Some(m) => m.send(mail).await,
                None => MailOutcome::Failed("e-mail is off: set smtp.host in hub.toml".into()),
            };
            let (status, detail) = match outcome {
                MailOutcome::Accepted(d) => (DeliveryStatus::Accepted, d),
                MailOutcome::Refused(d) => (DeliveryStatus::Refused, d),
                MailOutcome::Failed(d) => (DeliveryStatus::Failed, d),
            };
            if status != DeliveryStatus::Accepted {
                tracing::warn!(tenant = %org.id, to = %entry.address, %detail, "notification e-mail not accepted");
            }
            let hub = self.clone();
            tokio::task::spawn_blocking(move || -> Result<(), HubError> {
                let mut tx = hub.write()?;
                tx.floor_mut().update_notification_status(
                    &authz::tenant_system(&org),
                    entry.id,
                    status,
                    Some(&detail),
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
            .map_err(|e| HubError::Conflict(format!("notification task: {e}")))??;
        }
        Ok(next)
    }

    /// The blocking half: marks, log entries and SMS in one transaction per tenant; returns
    /// the e-mails to send (with their log entries) and the next wake-up.
    #[allow(clippy::type_complexity)]
    fn queue_due(
        &self,
        mail_on: bool,
    ) -> Result<
        (
            Vec<(Org, NotificationLogEntry, Mail)>,
            Option<DateTime<Utc>>,
        ),
        HubError,
    > {
        let now = self.now();
        let tenants = self
            .read()?
            .floor()
            .notifying_tenants(&authz::authenticating())?;
        let mut next: Option<DateTime<Utc>> = None;
        let mut mails = Vec::new();
        for (org, s) in tenants {
            let scope = authz::tenant_system(&org);
            let mut tx = self.write()?;
            let episodes: Vec<Episode> = tx.floor().open_episodes(&scope, org.id)?;
            let sent = tx.floor().notified(&scope, org.id)?;
            let mut levels = vec![s.delay_minutes];
            levels.extend(s.escalations.iter().map(|e| e.after_minutes));
            let p = plan::plan(
                &Rules {
                    levels,
                    quiet: s.quiet_hours.clone(),
                },
                &episodes,
                &sent,
                now,
            );
            if let Some(n) = p.next_wake {
                next = Some(next.map_or(n, |x| x.min(n)));
            }
            if p.due.is_empty() {
                continue;
            }
            let channel = match s.channel_id {
                Some(c) => tx.channel(&scope, c)?.filter(|c| c.holder_id == org.id),
                None => None,
            };
            let mut events = Vec::new();
            let mut gateways = HashSet::new();
            for due in &p.due {
                for e in &due.fresh {
                    tx.floor_mut()
                        .mark_notified(&scope, org.id, e.id, due.level, now)?;
                }
                for t in self.targets(&mut *tx, &org, &s, due)? {
                    let text = text_for(&s, t.count);
                    let count = u32::try_from(t.count).unwrap_or(u32::MAX);
                    let level = u32::try_from(t.level).unwrap_or(u32::MAX);
                    if s.sms
                        && let Some(number) = &t.number
                    {
                        let mut entry = NotificationLogEntry {
                            id: Uuid::now_v7(),
                            org_id: org.id,
                            at: now,
                            level,
                            medium: Medium::Sms,
                            recipient: t.name.clone(),
                            address: number.clone(),
                            count,
                            status: DeliveryStatus::Queued,
                            detail: None,
                            message_id: None,
                        };
                        match &channel {
                            Some(c) => {
                                let sent = send_to_number(
                                    &mut *tx,
                                    &scope,
                                    &org,
                                    c,
                                    number,
                                    &text,
                                    SYSTEM_NOTIFICATION,
                                    now,
                                )?;
                                entry.message_id = Some(sent.message.id);
                                events.extend(sent.events);
                                gateways.insert(sent.gateway);
                            }
                            None => {
                                entry.status = DeliveryStatus::Failed;
                                entry.detail = Some(
                                    "no SMS channel is set for notifications (channel_id)".into(),
                                );
                            }
                        }
                        tx.floor_mut().insert_notification_log(&scope, &entry)?;
                    }
                    if s.email
                        && let Some(address) = &t.email
                    {
                        let entry = NotificationLogEntry {
                            id: Uuid::now_v7(),
                            org_id: org.id,
                            at: now,
                            level,
                            medium: Medium::Email,
                            recipient: t.name.clone(),
                            address: address.clone(),
                            count,
                            status: if mail_on {
                                DeliveryStatus::Pending
                            } else {
                                DeliveryStatus::Failed
                            },
                            detail: None,
                            message_id: None,
                        };
                        tx.floor_mut().insert_notification_log(&scope, &entry)?;
                        let noun = if t.count == 1 {
                            "interaction"
                        } else {
                            "interactions"
                        };
                        mails.push((
                            org.clone(),
                            entry,
                            Mail {
                                to: address.clone(),
                                to_name: t.name.clone(),
                                subject: format!("[{}] {} {noun} waiting", org.name, t.count),
                                body: format!(
                                    "{text}\n\n{} {noun} waiting for an answer in {} for more than {} minutes.\n",
                                    t.count,
                                    org.name,
                                    if t.level == 0 { s.delay_minutes } else { s.escalations[t.level - 1].after_minutes }
                                ),
                            },
                        ));
                    }
                }
            }
            tx.commit()?;
            self.publish(events);
            for g in gateways {
                self.notify_outbox(g);
            }
        }
        Ok((mails, next))
    }

    /// Runs until `shutdown`: sends what is due, then sleeps on the hub's clock until the next
    /// due moment or a change.
    pub async fn run_notifications(
        self,
        mailer: Option<Arc<dyn Mailer>>,
        shutdown: CancellationToken,
    ) {
        let wake = self.inner.notify_wake.clone();
        loop {
            let next = match self.send_due_notifications(mailer.as_deref()).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "notifications: planning failed; retrying in a minute");
                    Some(self.now() + chrono::Duration::minutes(1))
                }
            };
            let sleep = match next {
                Some(at) => self.inner.clock.sleep_until(at),
                None => Box::pin(std::future::pending()),
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = wake.notified() => {}
                _ = sleep => {}
            }
        }
    }
}
