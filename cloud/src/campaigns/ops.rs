//! Hub operations on campaigns: create, edit, the state commands, delete, the dashboard view,
//! the do-not-contact list. Uploads are in [`super::upload`].
//!
//! Every operation authorizes through the chokepoint (`ViewCampaign` / `ManageCampaign`) and
//! reads and writes through the scope it returns; a change and its audit entry commit together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::machine::{self, Command, Facts};
use super::model::*;
use super::schedule::Schedule;
use super::template;
use crate::authz::{self, Action, Actor, Scope, Target};
use crate::hub::audit::{self, Audit};
use crate::hub::error::{HubError, found, invalid};
use crate::hub::unsent;
use crate::hub::validate::{MAX_NAME, bounded, non_empty};
use crate::hub::{Hub, MAX_TEXT};
use crate::model::Org;
use crate::phone;
use crate::store::{UnsentTo, WriteTx};

/// Longest time between two messages on a port (one hour).
pub const MAX_INTERVAL_MS: u64 = 3_600_000;

/// What a client gives to create or replace a campaign's settings.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// Tenant (default: the caller's).
    #[serde(default)]
    pub org: Option<Uuid>,
    pub name: String,
    pub channels: Vec<Uuid>,
    /// Limits the campaign to the channels on these gateway ports, in this order (Dinstar
    /// dial-string style: `(0.3)`, `0-3,8`); absent or empty: every channel.
    #[serde(default)]
    pub dial_string: Option<String>,
    pub template: String,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub interval_ms: u64,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub options: CampaignOptions,
}

/// What may change on a draft or paused campaign (absent fields stay).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignEdit {
    pub name: Option<String>,
    pub channels: Option<Vec<Uuid>>,
    /// A new dial string; empty: every channel again.
    pub dial_string: Option<String>,
    pub template: Option<String>,
    pub schedule: Option<Schedule>,
    pub interval_ms: Option<u64>,
    pub priority: Option<i32>,
    pub options: Option<CampaignOptions>,
}

/// A campaign with its dashboard figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignView {
    pub campaign: Campaign,
    pub counters: CampaignCounters,
    /// The schedule is open now.
    pub in_window: bool,
    /// When it next opens (`null`: open now, or never again).
    pub next_window: Option<DateTime<Utc>>,
}

/// The state commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignAction {
    Start,
    Pause,
    Resume,
    Stop,
}

fn refused(e: machine::Refused) -> HubError {
    HubError::Conflict(e.0)
}

impl Hub {
    /// The campaign in the caller's scope for `action`.
    pub(crate) fn campaign_scoped(
        &self,
        tx: &mut dyn crate::store::ReadTx,
        actor: &Actor,
        action: Action,
        id: Uuid,
    ) -> Result<(Campaign, Org, Scope), HubError> {
        let view = authz::scope(actor, Action::ViewCampaign)?;
        let c = found(tx.campaigns().campaign(&view, id)?)?;
        let org = found(tx.org(&view, c.org_id)?)?;
        let scope = authz::authorize(actor, action, Target::Org(&org))?;
        Ok((c, org, scope))
    }

    fn checked_channels(
        tx: &mut dyn crate::store::ReadTx,
        scope: &Scope,
        org: &Org,
        channels: &[Uuid],
    ) -> Result<Vec<Uuid>, HubError> {
        if channels.is_empty() {
            return Err(invalid("channels", "choose at least one channel"));
        }
        let mut out = Vec::new();
        for (i, id) in channels.iter().enumerate() {
            let held = tx
                .channel(scope, *id)?
                .is_some_and(|c| c.holder_id == org.id);
            if !held {
                return Err(invalid(
                    format!("channels[{i}]"),
                    "no such channel in this tenant",
                ));
            }
            if !out.contains(id) {
                out.push(*id);
            }
        }
        Ok(out)
    }

    /// A dial string parses and lists the port of at least one of the campaign's channels;
    /// an empty one is none.
    fn checked_dial_string(
        tx: &mut dyn crate::store::ReadTx,
        scope: &Scope,
        c: &mut Campaign,
    ) -> Result<(), HubError> {
        c.dial_string = c
            .dial_string
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        let Some(text) = c.dial_string.clone() else {
            return Ok(());
        };
        let spec = smsgate_config::parse_port_spec(&text)
            .map_err(|e| invalid("dial_string", e.to_string()))?;
        let mut ports = Vec::new();
        for id in &c.channels {
            if let Some(ch) = tx.channel(scope, *id)? {
                ports.push(ch.port);
            }
        }
        if !ports
            .iter()
            .any(|p| p.parse::<u16>().is_ok_and(|p| spec.contains(p)))
        {
            return Err(invalid(
                "dial_string",
                format!(
                    "{text} lists none of the ports of the campaign's channels (their ports: {})",
                    ports.join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn checked_settings(c: &mut Campaign) -> Result<(), HubError> {
        c.name = bounded("name", &non_empty("name", &c.name)?, MAX_NAME)?;
        let t = c.template.trim();
        if t.is_empty() {
            return Err(invalid("template", "must not be empty"));
        }
        if t.chars().count() > MAX_TEXT {
            return Err(invalid(
                "template",
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        c.template = t.to_owned();
        c.schedule
            .validate("schedule")
            .map_err(|e| invalid(e.field, e.reason))?;
        if c.interval_ms > MAX_INTERVAL_MS {
            return Err(invalid(
                "interval_ms",
                format!("must be at most {MAX_INTERVAL_MS} (one hour)"),
            ));
        }
        if c.options.validity_minutes == Some(0) {
            return Err(invalid(
                "options.validity_minutes",
                "must be at least 1 (or left out)",
            ));
        }
        Ok(())
    }

    fn campaign_view(
        &self,
        tx: &mut dyn crate::store::ReadTx,
        scope: &Scope,
        c: Campaign,
    ) -> Result<CampaignView, HubError> {
        let counters = tx.campaigns().campaign_counters(scope, c.id)?;
        let now = self.now();
        let in_window = c.schedule.is_open(now);
        let next_window = if in_window {
            None
        } else {
            c.schedule.next_open(now)
        };
        Ok(CampaignView {
            campaign: c,
            counters,
            in_window,
            next_window,
        })
    }

    pub fn create_campaign(
        &self,
        actor: &Actor,
        input: CampaignInput,
    ) -> Result<CampaignView, HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, input.org, "campaigns")?;
        let scope = authz::authorize(actor, Action::ManageCampaign, Target::Org(&org))?;
        let channels = Self::checked_channels(&mut *tx, &scope, &org, &input.channels)?;
        let now = self.now();
        let mut c = Campaign {
            id: Uuid::now_v7(),
            org_id: org.id,
            name: input.name,
            channels,
            dial_string: input.dial_string,
            template: input.template,
            schedule: input.schedule,
            interval_ms: input.interval_ms,
            priority: input.priority,
            options: input.options,
            state: CampaignState::Draft,
            columns: Vec::new(),
            importing: None,
            created_at: now,
            updated_at: now,
            started_at: None,
            finished_at: None,
        };
        Self::checked_settings(&mut c)?;
        Self::checked_dial_string(&mut *tx, &scope, &mut c)?;
        tx.campaigns_mut().insert_campaign(&scope, &c)?;
        audit::record(
            &mut *tx,
            actor,
            Audit::new(org.id, "created", "campaign")
                .id(c.id)
                .detail(c.name.clone()),
            now,
        )?;
        let v = self.campaign_view(&mut *tx, &scope, c)?;
        tx.commit()?;
        Ok(v)
    }

    pub fn campaigns_list(&self, actor: &Actor) -> Result<Vec<CampaignView>, HubError> {
        let scope = authz::scope(actor, Action::ViewCampaign)?;
        let mut tx = self.read()?;
        let all = tx.campaigns().campaigns(&scope)?;
        all.into_iter()
            .map(|c| self.campaign_view(&mut *tx, &scope, c))
            .collect()
    }

    pub fn campaign_get(&self, actor: &Actor, id: Uuid) -> Result<CampaignView, HubError> {
        let mut tx = self.read()?;
        let (c, _, scope) = self.campaign_scoped(&mut *tx, actor, Action::ViewCampaign, id)?;
        self.campaign_view(&mut *tx, &scope, c)
    }

    pub fn edit_campaign(
        &self,
        actor: &Actor,
        id: Uuid,
        edit: CampaignEdit,
    ) -> Result<CampaignView, HubError> {
        let mut tx = self.write()?;
        let (mut c, org, scope) =
            self.campaign_scoped(&mut *tx, actor, Action::ManageCampaign, id)?;
        let facts = self.campaign_facts(&mut *tx, &scope, &c)?;
        machine::apply(c.state, Command::Edit, facts).map_err(refused)?;
        if let Some(n) = edit.name {
            c.name = n;
        }
        if let Some(ch) = edit.channels {
            c.channels = Self::checked_channels(&mut *tx, &scope, &org, &ch)?;
        }
        if let Some(d) = edit.dial_string {
            c.dial_string = Some(d);
        }
        if let Some(t) = edit.template {
            c.template = t;
        }
        if let Some(s) = edit.schedule {
            c.schedule = s;
        }
        if let Some(i) = edit.interval_ms {
            c.interval_ms = i;
        }
        if let Some(p) = edit.priority {
            c.priority = p;
        }
        if let Some(o) = edit.options {
            c.options = o;
        }
        Self::checked_settings(&mut c)?;
        Self::checked_dial_string(&mut *tx, &scope, &mut c)?;
        // An edited text must still render for every waiting recipient.
        let used = template::placeholders(&c.template);
        if !c.columns.is_empty() || facts.to_process > 0 {
            if let Some(p) = used.iter().find(|p| !c.columns.contains(p)) {
                return Err(invalid(
                    "template",
                    format!(
                        "uses {{{{{p}}}}}, which is not a column of the recipients (columns: {})",
                        c.columns.join(", ")
                    ),
                ));
            }
            let missing = tx.campaigns().recipients_missing(&scope, c.id, &used, 5)?;
            if !missing.is_empty() {
                let lines: Vec<String> = missing
                    .iter()
                    .map(|(l, p)| format!("line {l} has no value for {{{{{p}}}}}"))
                    .collect();
                return Err(invalid("template", lines.join("; ")));
            }
        }
        c.updated_at = self.now();
        tx.campaigns_mut().update_campaign(&scope, &c)?;
        audit::record(
            &mut *tx,
            actor,
            Audit::new(c.org_id, "changed", "campaign").id(c.id),
            self.now(),
        )?;
        let v = self.campaign_view(&mut *tx, &scope, c)?;
        tx.commit()?;
        Ok(v)
    }

    pub(crate) fn campaign_facts(
        &self,
        tx: &mut dyn crate::store::ReadTx,
        scope: &Scope,
        c: &Campaign,
    ) -> Result<Facts, HubError> {
        let counters = tx.campaigns().campaign_counters(scope, c.id)?;
        Ok(Facts {
            to_process: counters.to_process,
            importing: c.importing.is_some(),
            open: c.schedule.is_open(self.now()),
        })
    }

    /// Start, pause, resume or stop.
    pub fn campaign_command(
        &self,
        actor: &Actor,
        id: Uuid,
        action: CampaignAction,
    ) -> Result<CampaignView, HubError> {
        let mut tx = self.write()?;
        let (mut c, _, scope) =
            self.campaign_scoped(&mut *tx, actor, Action::ManageCampaign, id)?;
        let facts = self.campaign_facts(&mut *tx, &scope, &c)?;
        let cmd = match action {
            CampaignAction::Start => Command::Start,
            CampaignAction::Pause => Command::Pause,
            CampaignAction::Resume => Command::Resume,
            CampaignAction::Stop => Command::Stop,
        };
        let next = machine::apply(c.state, cmd, facts).map_err(refused)?;
        let now = self.now();
        if action == CampaignAction::Start {
            c.started_at = Some(now);
        }
        if next.is_final() {
            c.finished_at = Some(now);
        }
        c.state = next;
        c.updated_at = now;
        tx.campaigns_mut().update_campaign(&scope, &c)?;
        let verb = match action {
            CampaignAction::Start => "started",
            CampaignAction::Pause => "paused",
            CampaignAction::Resume => "resumed",
            CampaignAction::Stop => "stopped",
        };
        audit::record(
            &mut *tx,
            actor,
            Audit::new(c.org_id, verb, "campaign").id(c.id),
            now,
        )?;
        let wake = self.campaign_changed(&mut *tx, &scope, &c)?;
        let v = self.campaign_view(&mut *tx, &scope, c)?;
        tx.commit()?;
        // Only now can the link read what was queued (see `take_back`).
        for g in wake {
            self.notify_outbox(g);
        }
        Ok(v)
    }

    /// Deletes every recipient not yet processed (the seed's action); returns how many.
    pub fn delete_unprocessed(&self, actor: &Actor, id: Uuid) -> Result<u64, HubError> {
        let mut tx = self.write()?;
        let (c, _, scope) = self.campaign_scoped(&mut *tx, actor, Action::ManageCampaign, id)?;
        let facts = self.campaign_facts(&mut *tx, &scope, &c)?;
        machine::apply(c.state, Command::DeleteUnprocessed, facts).map_err(refused)?;
        let n = tx.campaigns_mut().delete_unprocessed(&scope, id)?;
        audit::record(
            &mut *tx,
            actor,
            Audit::new(c.org_id, "deleted_unprocessed", "campaign")
                .id(c.id)
                .detail(n.to_string()),
            self.now(),
        )?;
        tx.commit()?;
        Ok(n)
    }

    pub fn delete_campaign(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let mut tx = self.write()?;
        let (c, _, scope) = self.campaign_scoped(&mut *tx, actor, Action::ManageCampaign, id)?;
        let facts = self.campaign_facts(&mut *tx, &scope, &c)?;
        machine::apply(c.state, Command::Delete, facts).map_err(refused)?;
        tx.campaigns_mut().delete_campaign(&scope, id)?;
        audit::record(
            &mut *tx,
            actor,
            Audit::new(c.org_id, "deleted", "campaign")
                .id(c.id)
                .detail(c.name),
            self.now(),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Recipients by upload order (`after`: the last `seq` of the previous page).
    pub fn campaign_recipients(
        &self,
        actor: &Actor,
        id: Uuid,
        state: Option<RecipientState>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Recipient>, HubError> {
        let mut tx = self.read()?;
        let (_, _, scope) = self.campaign_scoped(&mut *tx, actor, Action::ViewCampaign, id)?;
        Ok(tx.campaigns().recipients(&scope, id, state, after, limit)?)
    }

    /// After a state change: a paused or stopped campaign takes back what gateways hold.
    /// Returns the gateways to wake once the caller has committed.
    pub(crate) fn campaign_changed(
        &self,
        tx: &mut dyn WriteTx,
        scope: &Scope,
        c: &Campaign,
    ) -> Result<std::collections::HashSet<String>, HubError> {
        if matches!(c.state, CampaignState::Paused | CampaignState::Stopped) {
            return self.take_back(tx, scope, c);
        }
        Ok(Default::default())
    }

    // --- do-not-contact list

    pub fn dnc_list(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
    ) -> Result<Vec<crate::store::campaigns::DncEntry>, HubError> {
        let scope = authz::scope(actor, Action::ViewCampaign)?;
        let mut tx = self.read()?;
        let org = self.tenant_or_own(&mut *tx, &scope, actor, org_id, "do-not-contact lists")?;
        Ok(tx.campaigns().dnc_list(&scope, org.id)?)
    }

    /// Adds numbers (read in the tenant's country); every bad one is named by its index.
    /// Hub messages still waiting for one of them are taken back (cancelled on their gateway),
    /// as an opt-out does ([`crate::hub::unsent`]).
    pub fn dnc_add(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        numbers: &[String],
    ) -> Result<usize, HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, org_id, "do-not-contact lists")?;
        let scope = authz::authorize(actor, Action::ManageCampaign, Target::Org(&org))?;
        if numbers.is_empty() {
            return Err(invalid("numbers", "give at least one number"));
        }
        let ctx = org.country.as_deref().and_then(phone::country);
        let mut clean = Vec::with_capacity(numbers.len());
        for (i, n) in numbers.iter().enumerate() {
            clean.push(
                phone::recipient(n, ctx)
                    .map_err(|e| invalid(format!("numbers[{i}]"), e.to_string()))?,
            );
        }
        let added = tx
            .campaigns_mut()
            .add_dnc(&scope, org.id, &clean, self.now())?;
        let mut withdrawn = unsent::Withdrawn::default();
        let mut seen = std::collections::HashSet::new();
        // Once per number, however often it was given (one cancel per message).
        for number in clean.iter().filter(|n| seen.insert(n.as_str())) {
            withdrawn.absorb(unsent::withdraw(
                &mut *tx,
                &scope,
                UnsentTo::Number {
                    org_id: org.id,
                    number,
                },
                &unsent::do_not_contact_reason(number),
                self.now(),
            )?);
        }
        audit::record(
            &mut *tx,
            actor,
            Audit::new(org.id, "created", "do_not_contact").detail(format!("{added} numbers")),
            self.now(),
        )?;
        tx.commit()?;
        self.publish(withdrawn.events);
        for gw in withdrawn.gateways {
            self.notify_outbox(gw);
        }
        // The edge blocks the tenant's do-not-contact numbers with its opt-outs.
        crate::hub::edge_sync::notify_tenant(&self.inner, org.id)?;
        Ok(added)
    }

    pub fn dnc_remove(
        &self,
        actor: &Actor,
        org_id: Option<Uuid>,
        number: &str,
    ) -> Result<(), HubError> {
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, org_id, "do-not-contact lists")?;
        let scope = authz::authorize(actor, Action::ManageCampaign, Target::Org(&org))?;
        let ctx = org.country.as_deref().and_then(phone::country);
        let n = phone::recipient(number, ctx).map_err(|e| invalid("number", e.to_string()))?;
        if !tx
            .campaigns_mut()
            .remove_dnc(&scope, org.id, &n, self.now())?
        {
            return Err(HubError::NotFound);
        }
        audit::record(
            &mut *tx,
            actor,
            Audit::new(org.id, "deleted", "do_not_contact").detail(n),
            self.now(),
        )?;
        tx.commit()?;
        crate::hub::edge_sync::notify_tenant(&self.inner, org.id)?;
        Ok(())
    }
}
