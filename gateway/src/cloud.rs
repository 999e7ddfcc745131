//! The gateway's side of the cloud link: the spool seen through smsgate-mqtt's traits, and
//! [`spawn`] which starts a [`GatewayLink`] on them.
//!
//! - [`SpoolOutbox`] implements [`Outbox`] over the spool's events table
//!   ([`SpoolDb::peek_events`] / [`SpoolDb::ack_events`]): each spool event becomes the wire
//!   message the hub understands ([`translate`]), with an id derived from the event itself
//!   ([`event_uuid`]) so a republished event carries the same id and the hub applies it once.
//!   Events the hub has no use for (messages submitted locally, `sending`, requeues, raw delivery
//!   reports — the message state that follows them is sent instead) are skipped; they leave
//!   the outbox with the next acknowledged event.
//! - [`SpoolCommands`] implements [`CommandSink`]: a `send` becomes a spooled message pinned to
//!   the named port, with the idempotency key `hub:{command id}:{message id}` — the command id
//!   makes a redelivered command (even after a restart) return the first message, and the
//!   message id lets the status events of that message name the hub's message. `reset` and
//!   `ussd` go to the port workers when the runtime gave a [`PortsHandle`]; `cancel` cancels
//!   the spooled message if no port has taken it (else it is refused with the message's state);
//!   `config` patches the live group settings (pacing, caps, sending hours) whole or not at
//!   all when the runtime gave a [`GroupSettings`], else it is refused.
//! - With a [`PortsHandle`], the link also publishes the port inventory ([`port_info`] of every
//!   port, sent when it changes — sampled on every board change and every
//!   [`INVENTORY_INTERVAL`], at most once per interval — and after every reconnect) and a
//!   heartbeat every `[cloud] heartbeat_s` (smsgate-mqtt's `LiveState`: latest wins, not
//!   outboxed).
//!
//! Port names on the wire are the gateway's numeric port ids (`"0"`, `"1"`, …).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use smsgate_config::{ConfigError, GatewayConfig, Violations};
use smsgate_mqtt::{
    BrokerUrl, ClientTls, CommandSink, GatewayLink, LinkOptions, OptionsError, Outbox,
    OutboxEvent as LinkEvent, QueueError, link::gateway::LiveState,
};
use smsgate_wire::{
    Ack, AckOutcome, Delivery, DeliveryState, Down, GatewayId, Inbound, PortInfo,
    SUPPORTED_VERSIONS, SendState, Status, TopicError, Up,
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::dispatch::live::{GroupSettings, patch_groups};
use crate::ports::{PortState, PortsHandle, Supervisor};
use crate::spool::{
    CancelOutcome, MessageState, NewMessage, OutboxEvent, Spool, SpoolDb, SpoolError,
};

/// How often the link looks for new spool events.
pub const OUTBOX_POLL: Duration = Duration::from_millis(50);

/// Least time between two port inventory publishes, and how often the inventory is sampled
/// for changes the board does not signal (signal strength, operator).
pub const INVENTORY_INTERVAL: Duration = Duration::from_secs(5);

/// Prefix of the idempotency keys of messages the hub asked for.
pub use crate::spool::opt_outs::HUB_KEY_PREFIX;

/// How the gateway reaches the hub's broker.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSettings {
    /// `mqtt://host:port` or `mqtts://host:port`.
    pub url: String,
    /// The gateway id (topic level and MQTT client id).
    pub gateway_id: String,
    /// MQTT username (the hub's provisioning gives the gateway id).
    pub username: String,
    /// MQTT password.
    pub password: String,
    /// CA certificate(s) that signed the broker's certificate (`mqtts://`).
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key for brokers requiring mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// Time between heartbeats (`[cloud] heartbeat_s`).
    pub heartbeat: Duration,
}

/// Why the link could not start.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// The gateway id is not one topic level.
    #[error("cloud.gateway_id: {0}")]
    GatewayId(#[from] TopicError),
    /// Bad URL or TLS material.
    #[error("cloud: {0}")]
    Options(#[from] OptionsError),
}

/// Starts the link on `tracker`; it stops when `cancel` fires. `ports` enables `reset`/`ussd`
/// and the port inventory; `groups` enables `config`.
pub fn spawn(
    settings: &LinkSettings,
    config: &GatewayConfig,
    spool: Spool,
    ports: Option<PortsHandle>,
    groups: Option<GroupSettings>,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> Result<GatewayLink, CloudError> {
    let gateway = GatewayId::new(settings.gateway_id.clone())?;
    let mut options = LinkOptions::new(
        BrokerUrl::parse(&settings.url)?,
        &settings.gateway_id,
        &settings.username,
        &settings.password,
    );
    options.tls = ClientTls {
        ca_file: settings.ca_file.clone(),
        client_cert: settings.client_cert.clone(),
    };
    options.keep_alive = settings.keep_alive;
    // Nothing notifies the link when a port worker writes an event: poll the outbox often
    // (one indexed read of a near-empty table on the spool thread; the link also reads it on
    // every broker PUBACK and hub receipt, so under traffic it does not wait for the poll).
    options.poll_interval = OUTBOX_POLL;
    let outbox = SpoolOutbox::new(spool.clone(), &gateway);
    let live = ports.as_ref().and_then(|p| {
        let changes = p.subscribe()?;
        let (tx, rx) = watch::channel(inventory(p));
        tracker.spawn(run_inventory(
            p.clone(),
            changes,
            tx,
            INVENTORY_INTERVAL,
            cancel.clone(),
        ));
        Some(LiveState {
            ports: rx,
            ports_interval: INVENTORY_INTERVAL,
            heartbeat: settings.heartbeat,
        })
    });
    let mut sink = SpoolCommands::new(spool, config, ports);
    if let Some(groups) = groups {
        sink = sink.with_group_settings(config.clone(), groups);
    }
    Ok(GatewayLink::spawn_live(
        gateway,
        options,
        Some(format!("smsgate-gateway {}", env!("CARGO_PKG_VERSION"))),
        outbox,
        sink,
        live,
        cancel,
        tracker,
    )?)
}

/// One port as the hub sees it: the numeric port id, registration, operator, IMSI and the
/// signal as a `+CSQ` value (0..=31, from dBm: `(dBm + 113) / 2`).
pub fn port_info(s: &Supervisor) -> PortInfo {
    PortInfo {
        port: s.port.to_string(),
        sim_number: None,
        imsi: s.sim.imsi.clone(),
        operator: s.operator.clone(),
        signal: s
            .signal_dbm
            .map(|dbm| ((i32::from(dbm) + 113) / 2).clamp(0, 31))
            // Invariant: clamped to 0..=31 just above.
            .and_then(|csq| u8::try_from(csq).ok()),
        registered: matches!(s.state, PortState::Registered | PortState::Roaming),
    }
}

fn inventory(ports: &PortsHandle) -> Vec<PortInfo> {
    ports.statuses().iter().map(port_info).collect()
}

/// Keeps `out` at the current inventory: sampled on every board change and every `every`
/// (the link publishes it when it changed).
async fn run_inventory(
    ports: PortsHandle,
    mut changes: watch::Receiver<u64>,
    out: watch::Sender<Vec<PortInfo>>,
    every: Duration,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut board_open = true;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = changes.changed(), if board_open => board_open = changed.is_ok(),
            _ = tick.tick() => {}
        }
        let now = inventory(&ports);
        out.send_if_modified(|current| {
            let changed = *current != now;
            if changed {
                *current = now;
            }
            changed
        });
        if out.is_closed() {
            return;
        }
    }
}

/// The link settings of `[cloud]`, or `None` when the section has no `url` (no link).
pub fn settings(config: &GatewayConfig) -> Option<LinkSettings> {
    let c = &config.cloud;
    let url = c.url.clone()?;
    let gateway_id = c.gateway_id.clone().unwrap_or_default();
    Some(LinkSettings {
        url,
        username: c.username.clone().unwrap_or_else(|| gateway_id.clone()),
        gateway_id,
        password: c.password.clone().unwrap_or_default(),
        ca_file: c.ca_file.clone(),
        client_cert: c.client_cert.clone().zip(c.client_key.clone()),
        keep_alive: Duration::from_secs(c.keepalive_s),
        heartbeat: Duration::from_secs(c.heartbeat_s),
    })
}

/// Starts the link when `[cloud]` is configured (the runtime's one call): `Ok(None)` without
/// `cloud.url`. A setting the link cannot use (URL, unreadable TLS files) is a configuration
/// error naming the `cloud` key, so the gateway does not start half-configured.
pub fn start(
    config: &GatewayConfig,
    spool: Spool,
    ports: PortsHandle,
    groups: GroupSettings,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> Result<Option<GatewayLink>, ConfigError> {
    let Some(s) = settings(config) else {
        return Ok(None);
    };
    tracing::info!(url = %s.url, gateway = %s.gateway_id, "cloud link starting");
    spawn(
        &s,
        config,
        spool,
        Some(ports),
        Some(groups),
        cancel,
        tracker,
    )
    .map(Some)
    .map_err(|e| {
        let mut v = Violations::default();
        match e {
            CloudError::GatewayId(e) => v.push("cloud.gateway_id", e.to_string()),
            CloudError::Options(e) => v.push("cloud", e.to_string()),
        }
        match v.into_result() {
            Err(e) => e,
            // Invariant: one violation was pushed just above.
            Ok(()) => ConfigError::Invalid(Vec::new()),
        }
    })
}

fn version() -> u32 {
    SUPPORTED_VERSIONS.iter().copied().max().unwrap_or(1)
}

fn queue_error(e: SpoolError) -> QueueError {
    QueueError(e.to_string())
}

/// The wire id of spool event `event_id` written at `created_at` on `gateway`: a UUID v7 whose
/// time is the event's and whose other bits are the event id and a hash of the gateway id. The
/// same event always gets the same id; events of another spool file (other times) or another
/// gateway get other ids.
pub fn event_uuid(gateway: &GatewayId, event_id: i64, created_at: DateTime<Utc>) -> Uuid {
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&event_id.to_be_bytes());
    let h = gateway
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    bytes[8..].copy_from_slice(&h.to_be_bytes()[..2]);
    let ms = u64::try_from(created_at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
}

/// The hub message id of a spooled message, from its idempotency key.
pub fn hub_message_id(idempotency_key: Option<&str>) -> Option<Uuid> {
    let rest = idempotency_key?.strip_prefix(HUB_KEY_PREFIX)?;
    let (_command, message) = rest.split_once(':')?;
    Uuid::parse_str(message).ok()
}

fn hub_key(command: Uuid, message: Uuid) -> String {
    format!("{HUB_KEY_PREFIX}{command}:{message}")
}

/// The wire message for one spool event, or `None` when the hub has no use for it. `db` is
/// read to find which hub message a spooled message is (and its TP-MR).
pub fn translate(
    db: &mut SpoolDb,
    gateway: &GatewayId,
    event: &OutboxEvent,
) -> Result<Option<Up>, SpoolError> {
    let id = event_uuid(gateway, event.id, event.created_at);
    let p = &event.payload;
    let v = version();
    match event.kind.as_str() {
        "inbound.received" => {
            let (Some(from), Some(text), Some(port)) =
                (p["from"].as_str(), p["text"].as_str(), p["port"].as_u64())
            else {
                return Err(SpoolError::Corrupt(format!(
                    "event {}: inbound without from/text/port",
                    event.id
                )));
            };
            let received_at = p["received_at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or(event.created_at, |t| t.with_timezone(&Utc));
            Ok(Some(Up::Inbound(Inbound {
                id,
                v,
                port: port.to_string(),
                sim_number: None,
                from: from.to_owned(),
                text: text.to_owned(),
                received_at,
            })))
        }
        "message.accepted" | "message.state" => {
            let Some(msg_id) = p["id"].as_i64() else {
                return Ok(None);
            };
            let Some(state) = p["state"].as_str().and_then(MessageState::parse) else {
                return Ok(None);
            };
            let Some(message) = db.get(msg_id)? else {
                return Ok(None);
            };
            let Some(message_id) = hub_message_id(message.idempotency_key.as_deref()) else {
                return Ok(None);
            };
            let error = p["error"].as_str().map(str::to_owned);
            let status = |state: SendState, error: Option<String>, reference: Option<u8>| {
                Some(Up::Status(Status {
                    id,
                    v,
                    message_id,
                    state,
                    reference,
                    error,
                    evidence: None,
                    at: event.created_at,
                }))
            };
            let dlr = |state: DeliveryState| {
                Some(Up::Dlr(Delivery {
                    id,
                    v,
                    message_id,
                    state,
                    at: event.created_at,
                }))
            };
            Ok(match state {
                MessageState::Queued if event.kind == "message.accepted" => {
                    status(SendState::Queued, None, None)
                }
                // The hub already has `sent`; "no report yet" changes nothing it shows.
                MessageState::Queued | MessageState::Sending | MessageState::NoReport => None,
                MessageState::Sent => status(
                    SendState::Sent,
                    None,
                    message.parts.first().and_then(|part| part.reference),
                ),
                MessageState::Delivered => dlr(DeliveryState::Delivered),
                MessageState::Failed if message.sent_at.is_some() => dlr(DeliveryState::Failed),
                MessageState::Failed | MessageState::Blocked => {
                    status(SendState::Failed, error, None)
                }
                MessageState::Cancelled => status(SendState::Cancelled, None, None),
                MessageState::Expired => status(
                    SendState::Failed,
                    Some(error.unwrap_or_else(|| "validity period ran out before sending".into())),
                    None,
                ),
                MessageState::Unknown => Some(Up::Status(Status {
                    id,
                    v,
                    message_id,
                    state: SendState::Unknown,
                    reference: message.parts.first().and_then(|part| part.reference),
                    error: Some(format!(
                        "outcome unknown (may have been sent): {}",
                        error.as_deref().unwrap_or("send interrupted")
                    )),
                    evidence: Some(message.evidence_summary()),
                    at: event.created_at,
                })),
            })
        }
        _ => Ok(None),
    }
}

/// [`Outbox`] over the spool's events (see the module docs).
#[derive(Clone)]
pub struct SpoolOutbox {
    spool: Spool,
    gateway: GatewayId,
}

impl SpoolOutbox {
    pub fn new(spool: Spool, gateway: &GatewayId) -> Self {
        Self {
            spool,
            gateway: gateway.clone(),
        }
    }
}

/// Reads pending events after `after` and translates up to `limit` of them. From the oldest
/// (`after = None`: nothing of this link connection is in flight) a prefix of events that
/// translate to nothing is acknowledged at once, so it is not read again on every poll.
fn peek_translated(
    db: &mut SpoolDb,
    gateway: &GatewayId,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<LinkEvent>, SpoolError> {
    let after = after.map_or(i64::MIN, |a| i64::try_from(a).unwrap_or(i64::MAX));
    let mut window: u32 = u32::try_from(limit).unwrap_or(u32::MAX).saturating_add(128);
    loop {
        let events = db.peek_events(window)?;
        let exhausted = events.len() < window as usize;
        let mut out = Vec::new();
        let mut skipped_prefix = None;
        let mut last_seen = None;
        for e in events.iter().filter(|e| e.id > after) {
            last_seen = Some(e.id);
            match translate(db, gateway, e)? {
                Some(message) => {
                    out.push(LinkEvent {
                        id: u64::try_from(e.id).unwrap_or(0),
                        message,
                    });
                    if out.len() >= limit {
                        break;
                    }
                }
                None if out.is_empty() => skipped_prefix = Some(e.id),
                None => {}
            }
        }
        if out.len() >= limit || exhausted || last_seen.is_none() {
            if after == i64::MIN
                && let Some(up_to) = skipped_prefix
            {
                db.ack_events(up_to)?;
            }
            return Ok(out);
        }
        window = window.saturating_mul(2);
    }
}

impl Outbox for SpoolOutbox {
    async fn peek(&self, after: Option<u64>, limit: usize) -> Result<Vec<LinkEvent>, QueueError> {
        let gateway = self.gateway.clone();
        self.spool
            .call(move |db| peek_translated(db, &gateway, after, limit))
            .await
            .map_err(queue_error)
    }

    async fn ack(&self, id: u64) -> Result<(), QueueError> {
        let up_to = i64::try_from(id).map_err(|e| QueueError(e.to_string()))?;
        self.spool
            .call(move |db| db.ack_events(up_to))
            .await
            .map(|_| ())
            .map_err(queue_error)
    }
}

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
                db.cancel(id).map(Some)
            })
            .await;
        match result {
            Ok(Some(CancelOutcome::Cancelled)) => {
                ack(c.id, AckOutcome::Applied, Some("cancelled".into()))
            }
            Ok(Some(CancelOutcome::TooLate(state))) => {
                rejected(c.id, format!("too late to cancel: the message is {state}"))
            }
            Ok(None) => rejected(
                c.id,
                format!("message {message} is not spooled on this gateway"),
            ),
            Err(e) => rejected(c.id, format!("spool: {e}")),
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
            Down::OptOuts(o) => crate::opt_out_sync::apply(&self.spool, o, version()).await,
            Down::Ack(a) => {
                tracing::warn!(ack_of = %a.ack_of, outcome = ?a.outcome, detail = ?a.detail,
                    "the hub refused one of our messages");
                ack(a.ack_of, AckOutcome::Applied, None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::{NewInbound, SentPart};
    use chrono::TimeZone;
    use smsgate_config::{PortSpec, parse_port_spec};

    fn gw() -> GatewayId {
        GatewayId::new("gw-test").unwrap()
    }

    #[test]
    fn a_registered_port_is_reported_with_its_operator_imsi_and_signal_as_csq() {
        let mut s = Supervisor::new(3);
        s.state = PortState::Roaming;
        s.operator = Some("Visited".into());
        s.sim.imsi = Some("208150000000001".into());
        s.signal_dbm = Some(-73);
        assert_eq!(
            port_info(&s),
            PortInfo {
                port: "3".into(),
                sim_number: None,
                imsi: Some("208150000000001".into()),
                operator: Some("Visited".into()),
                signal: Some(20),
                registered: true,
            }
        );
    }

    #[test]
    fn signal_outside_the_csq_range_is_clamped_and_unregistered_states_say_so() {
        let mut s = Supervisor::new(0);
        for (dbm, csq) in [(-140, 0), (-113, 0), (-51, 31), (-20, 31)] {
            s.signal_dbm = Some(dbm);
            assert_eq!(port_info(&s).signal, Some(csq), "{dbm} dBm");
        }
        for state in PortState::ALL {
            s.state = state;
            let registered = matches!(state, PortState::Registered | PortState::Roaming);
            assert_eq!(port_info(&s).registered, registered, "{state:?}");
        }
    }

    fn config() -> GatewayConfig {
        let mut c = GatewayConfig::default();
        for id in 0..3 {
            c.ports.push(smsgate_config::gateway::PortConfig::new(
                id,
                smsgate_config::gateway::Device::Serial(format!("/dev/ttyUSB{id}").into()),
            ));
        }
        let spec: PortSpec = parse_port_spec("0-1").unwrap();
        c.groups
            .push(smsgate_config::gateway::GroupConfig::new("main", spec));
        c
    }

    struct World {
        _dir: tempfile::TempDir,
        spool: Spool,
        outbox: SpoolOutbox,
        sink: SpoolCommands,
    }

    fn world() -> World {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
        World {
            outbox: SpoolOutbox::new(spool.clone(), &gw()),
            sink: SpoolCommands::new(spool.clone(), &config(), None),
            spool,
            _dir: dir,
        }
    }

    fn send(port: &str) -> Down {
        Down::Send(smsgate_wire::Send {
            id: Uuid::now_v7(),
            v: 1,
            message_id: Uuid::now_v7(),
            port: port.into(),
            to: "+33612345678".into(),
            text: "hello".into(),
            request_dlr: true,
        })
    }

    async fn pending(w: &World) -> Vec<Up> {
        w.outbox
            .peek(None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[tokio::test]
    async fn a_send_command_becomes_one_spooled_message_even_when_delivered_twice() {
        let w = world();
        let cmd = send("1");
        let first = w.sink.apply(cmd.clone()).await;
        let again = w.sink.apply(cmd.clone()).await;
        assert_eq!(first.outcome, AckOutcome::Applied);
        assert_eq!(again.outcome, AckOutcome::Duplicate);
        let queued = w.spool.call(|db| db.peek_queued("main", 10)).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].port, 1, "pinned to the port the hub named");
    }

    #[tokio::test]
    async fn a_send_on_an_unknown_or_groupless_port_is_rejected_with_the_reason() {
        let w = world();
        let a = w.sink.apply(send("9")).await;
        assert_eq!(a.outcome, AckOutcome::Rejected);
        assert!(a.detail.unwrap().contains("\"9\" is not configured"));
        let b = w.sink.apply(send("2")).await;
        assert_eq!(b.outcome, AckOutcome::Rejected);
        assert!(b.detail.unwrap().contains("no [[groups]]"));
    }

    fn cancel_of(message_id: Uuid) -> Down {
        Down::Cancel(smsgate_wire::Cancel {
            id: Uuid::now_v7(),
            v: 1,
            message_id,
        })
    }

    #[tokio::test]
    async fn a_cancel_before_any_port_took_the_message_cancels_it_and_the_hub_hears_cancelled() {
        let w = world();
        let Down::Send(s) = send("0") else { panic!() };
        w.sink.apply(Down::Send(s.clone())).await;
        let a = w.sink.apply(cancel_of(s.message_id)).await;
        assert_eq!(a.outcome, AckOutcome::Applied, "{:?}", a.detail);
        let queued = w.spool.call(|db| db.peek_queued("main", 10)).await.unwrap();
        assert!(queued.is_empty(), "nothing left to send: {queued:?}");
        assert!(
            w.spool
                .call(|db| db.claim_next("main", 0))
                .await
                .unwrap()
                .is_none()
        );
        let events = w.spool.call(|db| db.peek_events(100)).await.unwrap();
        let last = events.last().unwrap().clone();
        let up = w
            .spool
            .call(move |db| translate(db, &gw(), &last))
            .await
            .unwrap();
        match up {
            Some(Up::Status(st)) => {
                assert_eq!(
                    (st.message_id, st.state),
                    (s.message_id, SendState::Cancelled)
                );
            }
            other => panic!("want a cancelled status, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_cancel_after_a_port_took_the_message_is_refused_naming_its_state() {
        let w = world();
        let Down::Send(s) = send("0") else { panic!() };
        w.sink.apply(Down::Send(s.clone())).await;
        w.spool
            .call(|db| db.claim_next("main", 0))
            .await
            .unwrap()
            .unwrap();
        let a = w.sink.apply(cancel_of(s.message_id)).await;
        assert_eq!(a.outcome, AckOutcome::Rejected);
        assert_eq!(
            a.detail.as_deref(),
            Some("too late to cancel: the message is sending")
        );
        let unknown = w.sink.apply(cancel_of(Uuid::now_v7())).await;
        assert_eq!(unknown.outcome, AckOutcome::Rejected);
        assert!(
            unknown
                .detail
                .unwrap()
                .contains("is not spooled on this gateway")
        );
    }

    fn config_of(settings: serde_json::Value) -> Down {
        Down::Config(smsgate_wire::ConfigPatch {
            id: Uuid::now_v7(),
            v: 1,
            settings: settings.as_object().unwrap().clone(),
        })
    }

    #[tokio::test]
    async fn a_config_patch_changes_the_live_group_settings_whole_or_not_at_all() {
        let w = world();
        let c = config();
        let (groups, live) = watch::channel(c.groups.clone());
        let sink = w.sink.clone().with_group_settings(c.clone(), groups);

        let good = sink
            .apply(config_of(
                serde_json::json!({"groups.main.interval_ms": 2500}),
            ))
            .await;
        assert_eq!(good.outcome, AckOutcome::Applied, "{:?}", good.detail);
        assert_eq!(live.borrow()[0].interval_ms, 2500);

        let bad = sink
            .apply(config_of(serde_json::json!({
                "groups.main.jitter_ms": 50,
                "groups.main.ports": "0-3",
            })))
            .await;
        assert_eq!(bad.outcome, AckOutcome::Rejected);
        let detail = bad.detail.unwrap();
        assert!(
            detail.starts_with("nothing applied: groups.main.ports: cannot be changed at run time"),
            "{detail}"
        );
        assert_eq!(
            (live.borrow()[0].interval_ms, live.borrow()[0].jitter_ms),
            (2500, 0),
            "the good key of a bad patch is not applied either"
        );

        let without = w
            .sink
            .apply(config_of(serde_json::json!({"groups.main.interval_ms": 1})))
            .await;
        assert_eq!(without.outcome, AckOutcome::Rejected);
    }

    #[tokio::test]
    async fn port_commands_without_ports_are_refused_not_ignored() {
        let w = world();
        let reset = Down::Reset(smsgate_wire::Reset {
            id: Uuid::now_v7(),
            v: 1,
            port: None,
        });
        for c in [reset] {
            let id = c.id();
            let a = w.sink.apply(c).await;
            assert_eq!(a.ack_of, id);
            assert_eq!(a.outcome, AckOutcome::Rejected);
        }
    }

    #[tokio::test]
    async fn the_status_events_of_a_hub_message_name_the_hubs_message_id() {
        let w = world();
        let Down::Send(s) = send("0") else { panic!() };
        w.sink.apply(Down::Send(s.clone())).await;
        let claimed = w
            .spool
            .call(|db| db.claim_next("main", 0))
            .await
            .unwrap()
            .unwrap();
        let id = claimed.id;
        w.spool
            .call(move |db| {
                db.mark_sent(
                    id,
                    &[SentPart {
                        seq: 1,
                        port: 0,
                        reference: 42,
                    }],
                )
            })
            .await
            .unwrap();
        let ups = pending(&w).await;
        assert_eq!(
            ups.len(),
            2,
            "accepted + sent; `sending` is not reported: {ups:?}"
        );
        let Up::Status(q) = &ups[0] else { panic!() };
        assert_eq!((q.message_id, q.state), (s.message_id, SendState::Queued));
        let Up::Status(sent) = &ups[1] else { panic!() };
        assert_eq!(sent.state, SendState::Sent);
        assert_eq!(sent.reference, Some(42));
    }

    #[tokio::test]
    async fn a_republished_event_keeps_its_id_and_acked_events_are_gone() {
        let w = world();
        w.sink.apply(send("0")).await;
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap();
        w.spool
            .call(move |db| {
                db.store_inbound(&NewInbound {
                    from: "+33611111111".into(),
                    port: 1,
                    sim: None,
                    text: "hi".into(),
                    sent_at: None,
                    received_at: at,
                })
            })
            .await
            .unwrap();
        let first = w.outbox.peek(None, 100).await.unwrap();
        let again = w.outbox.peek(None, 100).await.unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(
            first.iter().map(|e| e.message.id()).collect::<Vec<_>>(),
            again.iter().map(|e| e.message.id()).collect::<Vec<_>>()
        );
        let Up::Inbound(i) = &first[1].message else {
            panic!()
        };
        assert_eq!((i.port.as_str(), i.text.as_str()), ("1", "hi"));
        assert_eq!(i.received_at, at);
        // After the first one: only the second.
        let rest = w.outbox.peek(Some(first[0].id), 100).await.unwrap();
        assert_eq!(rest.len(), 1);
        w.outbox.ack(first[1].id).await.unwrap();
        assert!(w.outbox.peek(None, 100).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn locally_submitted_messages_are_not_reported_and_leave_the_outbox() {
        let w = world();
        w.spool
            .call(|db| db.submit(NewMessage::new("+33600000000", "local", "main")))
            .await
            .unwrap();
        assert!(pending(&w).await.is_empty());
        let left = w.spool.call(|db| db.peek_events(10)).await.unwrap();
        assert!(
            left.is_empty(),
            "the skipped prefix was acknowledged: {left:?}"
        );
    }

    #[tokio::test]
    async fn peek_returns_at_most_limit_events_after_the_cursor_in_order() {
        let w = world();
        for _ in 0..5 {
            w.sink.apply(send("0")).await;
        }
        let two = w.outbox.peek(None, 2).await.unwrap();
        assert_eq!(two.len(), 2);
        let next = w.outbox.peek(Some(two[1].id), 10).await.unwrap();
        assert_eq!(next.len(), 3);
        assert!(next.windows(2).all(|p| p[0].id < p[1].id));
        assert!(next[0].id > two[1].id);
    }

    #[test]
    fn event_ids_depend_on_the_event_the_time_and_the_gateway() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap();
        let a = event_uuid(&gw(), 7, t);
        assert_eq!(a, event_uuid(&gw(), 7, t));
        assert_eq!(a.get_version_num(), 7);
        assert_ne!(a, event_uuid(&gw(), 8, t));
        assert_ne!(
            a,
            event_uuid(&gw(), 7, t + chrono::Duration::milliseconds(1))
        );
        assert_ne!(a, event_uuid(&GatewayId::new("other").unwrap(), 7, t));
    }

    fn problems(text: &str) -> Vec<String> {
        match GatewayConfig::from_toml_str(text) {
            Err(ConfigError::Invalid(v)) => v.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
            Ok(_) => vec![],
        }
    }

    #[test]
    fn without_a_cloud_url_there_is_no_link() {
        assert_eq!(settings(&GatewayConfig::default()), None);
    }

    #[test]
    fn the_username_defaults_to_the_gateway_id() {
        let c = GatewayConfig::from_toml_str(
            "[cloud]\nurl = \"mqtt://hub:1883\"\ngateway_id = \"gw-1\"\npassword = \"pw\"\n",
        )
        .unwrap();
        let s = settings(&c).unwrap();
        assert_eq!(
            (s.username.as_str(), s.gateway_id.as_str()),
            ("gw-1", "gw-1")
        );
        assert_eq!(s.keep_alive, Duration::from_secs(30));
    }

    #[test]
    fn an_incomplete_or_inconsistent_cloud_section_names_every_key() {
        let p = problems(
            "[cloud]\nurl = \"http://hub\"\nusername = \"a+b\"\nclient_cert = \"/c.pem\"\nkeepalive_s = 0\n",
        );
        for key in [
            "cloud.url:",
            "cloud.gateway_id:",
            "cloud.password:",
            "cloud.username:",
            "cloud.client_key:",
            "cloud.keepalive_s:",
        ] {
            assert!(
                p.iter().any(|l| l.starts_with(key)),
                "{key} missing from {p:?}"
            );
        }
        let p = problems("[cloud]\ngateway_id = \"gw-1\"\npassword = \"x\"\n");
        assert!(p.iter().any(|l| l.starts_with("cloud.url:")), "{p:?}");
        let p = problems(
            "[cloud]\nurl = \"mqtt://h\"\ngateway_id = \"g\"\npassword = \"x\"\nca_file = \"/ca.pem\"\n",
        );
        assert!(
            p.iter()
                .any(|l| l.starts_with("cloud.url:") && l.contains("mqtts://")),
            "{p:?}"
        );
    }

    #[tokio::test]
    async fn an_unreadable_ca_file_stops_the_start_with_a_config_error() {
        let w = world();
        let c = GatewayConfig::from_toml_str(
            "[cloud]\nurl = \"mqtts://hub:8883\"\ngateway_id = \"gw-1\"\npassword = \"pw\"\nca_file = \"/nonexistent/ca.pem\"\n",
        )
        .unwrap();
        let tracker = TaskTracker::new();
        let err = start(
            &c,
            w.spool.clone(),
            PortsHandle::default(),
            watch::channel(c.groups.clone()).0,
            CancellationToken::new(),
            &tracker,
        )
        .err()
        .unwrap();
        let text = err.to_string();
        assert!(
            text.contains("cloud") && text.contains("/nonexistent/ca.pem"),
            "{text}"
        );
    }

    #[test]
    fn only_hub_keys_name_a_hub_message() {
        let (c, m) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(hub_message_id(Some(&hub_key(c, m))), Some(m));
        assert_eq!(hub_message_id(Some("client-key-1")), None);
        assert_eq!(hub_message_id(None), None);
    }
}
