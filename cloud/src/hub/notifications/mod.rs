//! Notifications and escalation: a tenant's settings (the seed's "Notifications ›
//! Configuration": enable, SMS and/or e-mail, the count, the 5–60 minute delay, the text, the
//! recipients, the SMS channel; beyond it: escalation levels, quiet hours), the escalation
//! contacts of managers and admins, the log with delivery status, and the scheduler
//! ([`scheduler`]) that sends them. E-mail goes through [`mailer::Mailer`]; SMS through the
//! tenant's channel like any outbound message (`hub::system_send`).

pub mod mailer;
pub mod scheduler;

use uuid::Uuid;

use super::error::{HubError, found, invalid};
use super::validate::{MAX_NAME, bounded, non_empty, valid_text};
use super::{Hub, audit};
use crate::authz::{self, Action, Actor};
use crate::floor::records::*;
use crate::model::{OrgKind, Role};
use crate::phone;
use crate::store::{Page, PageRequest};

/// Shortest and longest first delay, minutes (the seed's range).
pub const DELAY_RANGE: std::ops::RangeInclusive<u32> = 5..=60;

fn valid_email(field: &str, e: &str) -> Result<String, HubError> {
    let e = e.trim();
    if e.parse::<email_address::EmailAddress>().is_err() {
        return Err(invalid(field, format!("{e:?} is not an e-mail address")));
    }
    Ok(e.to_owned())
}

impl Hub {
    /// A tenant's notification settings (defaults when never saved).
    pub fn notification_settings(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
    ) -> Result<NotificationSettings, HubError> {
        let scope = authz::scope(actor, Action::ManageNotifications)?;
        let mut tx = self.read()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "notifications")?;
        Ok(tx
            .floor()
            .notification_settings(&scope, tenant.id)?
            .unwrap_or_default())
    }

    /// Saves a tenant's settings whole, after checking every field (named as sent).
    pub fn set_notification_settings(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
        mut s: NotificationSettings,
    ) -> Result<NotificationSettings, HubError> {
        if !DELAY_RANGE.contains(&s.delay_minutes) {
            return Err(invalid("delay_minutes", "must be between 5 and 60 minutes"));
        }
        s.text = valid_text(&s.text).map_err(|e| match e {
            HubError::Invalid { reason, .. } => invalid("text", reason),
            e => e,
        })?;
        if s.enabled && !s.sms && !s.email {
            return Err(invalid(
                "sms",
                "enable SMS or e-mail notifications (or both)",
            ));
        }
        let mut last = s.delay_minutes;
        for (i, e) in s.escalations.iter().enumerate() {
            if e.after_minutes <= last || e.after_minutes > 24 * 60 {
                return Err(invalid(
                    format!("escalations[{i}].after_minutes"),
                    format!("must be after the previous level ({last} min) and at most 1440"),
                ));
            }
            last = e.after_minutes;
        }
        if let Some(q) = &s.quiet_hours {
            q.validate("quiet_hours")
                .map_err(|e| invalid(e.field, e.reason))?;
        }
        let scope = authz::scope(actor, Action::ManageNotifications)?;
        let mut tx = self.write()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "notifications")?;
        let channel = match s.channel_id {
            Some(c) => Some(
                tx.channel(&scope, c)?
                    .filter(|c| c.holder_id == tenant.id)
                    .ok_or_else(|| invalid("channel_id", "no such channel in this tenant"))?,
            ),
            None => None,
        };
        if s.enabled && s.sms && channel.is_none() {
            return Err(invalid(
                "channel_id",
                "choose the SMS channel that sends the notifications",
            ));
        }
        let ctx = phone::context_country(
            channel.as_ref().and_then(|c| c.country.as_deref()),
            channel.as_ref().map(|c| c.sim_number.as_str()),
            tenant.country.as_deref(),
        );
        for (i, r) in s.recipients.iter_mut().enumerate() {
            r.name = bounded(
                &format!("recipients[{i}].name"),
                &non_empty(&format!("recipients[{i}].name"), &r.name)?,
                MAX_NAME,
            )?;
            r.email = match r.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                Some(e) => Some(valid_email(&format!("recipients[{i}].email"), e)?),
                None => None,
            };
            r.number = match r.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => Some(
                    phone::recipient(n, ctx)
                        .map_err(|e| invalid(format!("recipients[{i}].number"), e.to_string()))?,
                ),
                None => None,
            };
            if r.email.is_none() && r.number.is_none() {
                return Err(invalid(
                    format!("recipients[{i}].number"),
                    "give a number or an e-mail address",
                ));
            }
        }
        tx.floor_mut()
            .put_notification_settings(&scope, tenant.id, &s)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(tenant.id, "changed", "notification_settings").detail(format!(
                "{}; delay {} min; {} recipient(s); {} escalation(s)",
                if s.enabled { "enabled" } else { "disabled" },
                s.delay_minutes,
                s.recipients.len(),
                s.escalations.len()
            )),
            self.now(),
        )?;
        tx.commit()?;
        self.inner.notify_wake.notify_one();
        Ok(s)
    }

    /// The log of notifications sent for a tenant, newest first, with their delivery status.
    pub fn notification_log(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
        page: &PageRequest,
    ) -> Result<Page<NotificationLogEntry>, HubError> {
        let scope = authz::scope(actor, Action::ManageNotifications)?;
        let mut tx = self.read()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "notifications")?;
        Ok(tx.floor().notification_log(&scope, tenant.id, page)?)
    }

    /// Escalation contacts (e-mail, mobile) of the tenant's managers and admins.
    pub fn notify_contacts(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
    ) -> Result<Vec<NotifyContact>, HubError> {
        let scope = authz::scope(actor, Action::ManageNotifications)?;
        let mut tx = self.read()?;
        let tenant = self.tenant_or_own(&mut *tx, &scope, actor, org, "notifications")?;
        Ok(tx.floor().notify_contacts(&scope, tenant.id)?)
    }

    /// Sets where a manager or tenant admin is reached by escalations.
    pub fn set_notify_contact(
        &self,
        actor: &Actor,
        user_id: Uuid,
        email: Option<String>,
        mobile: Option<String>,
    ) -> Result<NotifyContact, HubError> {
        let scope = authz::scope(actor, Action::ManageNotifications)?;
        let mut tx = self.write()?;
        let user = found(tx.user(&scope, user_id)?)?;
        let org = found(tx.org(&scope, user.org_id)?)?;
        if org.kind != OrgKind::Tenant || !matches!(user.role, Role::Manager | Role::TenantAdmin) {
            return Err(invalid(
                "user",
                "escalations reach a tenant's managers and admins",
            ));
        }
        let email = match email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(valid_email("email", e)?),
            None => None,
        };
        let mobile = match mobile.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => Some(
                phone::recipient(m, org.country.as_deref().and_then(phone::country))
                    .map_err(|e| invalid("mobile", e.to_string()))?,
            ),
            None => None,
        };
        let c = NotifyContact {
            user_id,
            org_id: org.id,
            email,
            mobile,
        };
        tx.floor_mut().put_notify_contact(&scope, &c)?;
        audit::record(
            &mut *tx,
            actor,
            audit::Audit::new(org.id, "changed", "notify_contact")
                .id(user_id)
                .detail(user.login),
            self.now(),
        )?;
        tx.commit()?;
        Ok(c)
    }
}
