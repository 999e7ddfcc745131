//! The hub's commands applied to the spool and the port workers ([`CommandSink`]).

use std::collections::BTreeMap;

use smsgate_config::GatewayConfig;
use smsgate_mqtt::CommandSink;
use smsgate_wire::{Ack, AckOutcome, Down};
use uuid::Uuid;

use super::outbox::{hub_key, hub_message_id, version};
use crate::dispatch::live::{GroupSettings, patch_groups};
use crate::ports::PortsHandle;
use crate::spool::{CancelOutcome, NewMessage, Spool};

/// [`CommandSink`] over the spool and the port workers (see the module docs).
#[derive(Clone)]
pub struct SpoolCommands {
    spool: Spool,
    /// Configured port id → the group that sends through it (the first group naming it).
    port_groups: BTreeMap<u16, Option<String>>,
    ports: Option<PortsHandle>,
    /// The running configuration and the live group settings (`config` commands).
    groups: Option<(GatewayConfig, GroupSettings)>,
}

fn ack(of: Uuid, outcome: AckOutcome, detail: Option<String>) -> Ack {
    Ack {
        id: Uuid::now_v7(),
        v: version(),
        ack_of: of,
        outcome,
        detail,
    }
}

fn rejected(of: Uuid, why: impl Into<String>) -> Ack {
    ack(of, AckOutcome::Rejected, Some(why.into()))
}

impl SpoolCommands {
    pub fn new(spool: Spool, config: &GatewayConfig, ports: Option<PortsHandle>) -> Self {
        let port_groups = config
            .port_ids()
            .into_keys()
            .map(|id| {
                let group = config
                    .groups
                    .iter()
                    .find(|g| g.ports.contains(id))
                    .map(|g| g.name.clone());
                (id, group)
            })
            .collect();
        Self {
            spool,
            port_groups,
            ports,
            groups: None,
        }
    }

    /// Applies `config` commands to `groups` (validated against `config`, the running
    /// configuration); without it they are refused.
    pub fn with_group_settings(mut self, config: GatewayConfig, groups: GroupSettings) -> Self {
        self.groups = Some((config, groups));
        self
    }

    /// Applies a configuration patch whole or not at all (see [`crate::dispatch::live`]).
    fn config(&self, c: &smsgate_wire::ConfigPatch) -> Ack {
        let Some((config, groups)) = &self.groups else {
            return rejected(
                c.id,
                "run-time configuration changes are not available on this gateway",
            );
        };
        let current = groups.borrow().clone();
        match patch_groups(config, &current, &c.settings) {
            Ok(next) => {
                groups.send_replace(next);
                let keys: Vec<&str> = c.settings.keys().map(String::as_str).collect();
                ack(
                    c.id,
                    AckOutcome::Applied,
                    Some(format!("applied {}", keys.join(", "))),
                )
            }
            Err(errors) => rejected(
                c.id,
                format!(
                    "nothing applied: {}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
        }
    }

    fn port(&self, name: &str) -> Result<u16, String> {
        name.parse::<u16>()
            .ok()
            .filter(|p| self.port_groups.contains_key(p))
            .ok_or_else(|| format!("port {name:?} is not configured on this gateway"))
    }

    async fn send(&self, s: smsgate_wire::Send) -> Ack {
        let port = match self.port(&s.port) {
            Ok(p) => p,
            Err(why) => return rejected(s.id, why),
        };
        let Some(Some(group)) = self.port_groups.get(&port).cloned() else {
            return rejected(
                s.id,
                format!("port {port} belongs to no [[groups]] entry: nothing would send it"),
            );
        };
        let mut m = NewMessage::new(s.to, s.text, group);
        m.port = Some(port);
        m.idempotency_key = Some(hub_key(s.id, s.message_id));
        m.conversation = s.conversation;
        match self.spool.call(move |db| db.submit(m)).await {
            Ok(sub) if sub.duplicate => ack(s.id, AckOutcome::Duplicate, None),
            Ok(_) => ack(s.id, AckOutcome::Applied, None),
            Err(e) => rejected(s.id, format!("spool: {e}")),
        }
    }

    /// Cancels the spooled message of hub message `c.message_id` if no port has taken it:
    /// `applied` (its `cancelled` status follows through the outbox), else `rejected` naming
    /// the state it is in (or that the gateway never received it).
    async fn cancel(&self, c: smsgate_wire::Cancel) -> Ack {
        let message = c.message_id;
        let suffix = format!(":{message}");
        let result = self
            .spool
            .call(move |db| {
                let Some(id) = db.find_by_key_suffix(&suffix)? else {
                    return Ok(None);
                };
                let ours = db
                    .get(id)?
                    .is_some_and(|m| hub_message_id(m.idempotency_key.as_deref()) == Some(message));
                if !ours {
                    return Ok(None);
                }
                db.cancel(id).map(|o| Some((id, o)))
            })
            .await;
        match result {
            Ok(Some((_, CancelOutcome::Cancelled))) => {
                ack(c.id, AckOutcome::Applied, Some("cancelled".into()))
            }
            // A Dinstar may still hold it in its queue: `stop_sms` (issue 18).
            Ok(Some((id, CancelOutcome::TooLate(crate::spool::MessageState::Sending))))
                if let Some(answer) = match &self.ports {
                    Some(p) => p.dinstar().cancel(id).await,
                    None => None,
                } =>
            {
                crate::hub_cancel::answer(c.id, id, answer, version())
            }
            Ok(Some((_, CancelOutcome::TooLate(state)))) => {
                rejected(c.id, format!("too late to cancel: the message is {state}"))
            }
            Ok(None) => rejected(
                c.id,
                format!("message {message} is not spooled on this gateway"),
            ),
            Err(e) => rejected(c.id, format!("spool: {e}")),
        }
    }

    /// Holds a campaign slice for one of our ports (see [`crate::campaign`]): `applied` with
    /// how many recipients were new, `duplicate` when every one was known already.
    async fn campaign(&self, b: smsgate_wire::CampaignBatch) -> Ack {
        let port = match self.port(&b.port) {
            Ok(p) => p,
            Err(why) => return rejected(b.id, why),
        };
        let Some(Some(group)) = self.port_groups.get(&port).cloned() else {
            return rejected(
                b.id,
                format!("port {port} belongs to no [[groups]] entry: nothing would send it"),
            );
        };
        let id = b.id;
        match self
            .spool
            .call(move |db| db.campaign_take(&b, port, &group))
            .await
        {
            Ok(t) if t.added == 0 && t.known > 0 => ack(id, AckOutcome::Duplicate, None),
            Ok(t) => ack(
                id,
                AckOutcome::Applied,
                Some(format!("{} recipients held", t.added)),
            ),
            Err(e) => rejected(id, format!("spool: {e}")),
        }
    }

    /// Withdraws what this gateway holds of a campaign and no port has taken.
    async fn campaign_halt(&self, h: smsgate_wire::CampaignHalt) -> Ack {
        let campaign = h.campaign;
        match self.spool.call(move |db| db.campaign_halt(campaign)).await {
            Ok(done) => ack(
                h.id,
                AckOutcome::Applied,
                Some(format!(
                    "{} withdrawn, {} cancelled",
                    done.withdrawn, done.cancelled
                )),
            ),
            Err(e) => rejected(h.id, format!("spool: {e}")),
        }
    }

    async fn reset(&self, r: smsgate_wire::Reset) -> Ack {
        let Some(ports) = &self.ports else {
            return rejected(r.id, "port control is not available on this gateway");
        };
        let targets: Vec<u16> = match &r.port {
            Some(name) => match self.port(name) {
                Ok(p) => vec![p],
                Err(why) => return rejected(r.id, why),
            },
            None => self.port_groups.keys().copied().collect(),
        };
        let mut failures = Vec::new();
        for p in targets {
            if let Err(e) = ports.reset(p).await {
                failures.push(e.to_string());
            }
        }
        if failures.is_empty() {
            ack(r.id, AckOutcome::Applied, None)
        } else {
            rejected(r.id, failures.join("; "))
        }
    }

    async fn ussd(&self, u: smsgate_wire::Ussd) -> Ack {
        let Some(ports) = &self.ports else {
            return rejected(u.id, "port control is not available on this gateway");
        };
        let port = match self.port(&u.port) {
            Ok(p) => p,
            Err(why) => return rejected(u.id, why),
        };
        match ports.ussd(port, &u.code).await {
            Ok(answer) => ack(
                u.id,
                AckOutcome::Applied,
                Some(answer.text.unwrap_or(answer.status)),
            ),
            Err(e) => rejected(u.id, e.to_string()),
        }
    }
}

impl CommandSink for SpoolCommands {
    async fn apply(&self, command: Down) -> Ack {
        match command {
            Down::Send(s) => self.send(s).await,
            Down::Reset(r) => self.reset(r).await,
            Down::Ussd(u) => self.ussd(u).await,
            Down::Cancel(c) => self.cancel(c).await,
            Down::Config(c) => self.config(&c),
            Down::Campaign(b) => self.campaign(b).await,
            Down::CampaignHalt(h) => self.campaign_halt(h).await,
            Down::OptOuts(o) => crate::opt_out_sync::apply(&self.spool, o, version()).await,
            Down::Ack(a) => {
                tracing::warn!(ack_of = %a.ack_of, outcome = ?a.outcome, detail = ?a.detail,
                    "the hub refused one of our messages");
                ack(a.ack_of, AckOutcome::Applied, None)
            }
        }
    }
}
