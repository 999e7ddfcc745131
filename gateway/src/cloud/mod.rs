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

mod commands;
pub mod control;
mod inventory;
mod outbox;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use smsgate_config::GatewayConfig;
use smsgate_mqtt::{
    BrokerUrl, ClientTls, GatewayLink, LinkOptions, OptionsError, link::gateway::LiveState,
};
use smsgate_wire::{GatewayId, TopicError};
use std::sync::Arc;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::commands::SpoolCommands;
pub use self::control::{CloudControl, CloudDeps, LinkActivity};
pub use self::inventory::port_info;
use self::inventory::{inventory, run_inventory};
pub use self::outbox::{SpoolOutbox, event_uuid, hub_message_id, translate};
use crate::dispatch::live::GroupSettings;
use crate::ports::PortsHandle;
use crate::spool::{Spool, SpoolNews};

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
    spawn_with(
        settings, config, spool, ports, groups, None, cancel, tracker,
    )
}

/// [`spawn`], noting the hub's receipts in `activity`.
#[allow(clippy::too_many_arguments)]
pub fn spawn_with(
    settings: &LinkSettings,
    config: &GatewayConfig,
    spool: Spool,
    ports: Option<PortsHandle>,
    groups: Option<GroupSettings>,
    activity: Option<LinkActivity>,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> Result<GatewayLink, CloudError> {
    let gateway = GatewayId::new(settings.gateway_id.clone())?;
    let mut options = link_options(settings)?;
    // The spool wakes the link after every call that committed an event (and the link reads
    // the outbox on every connection, PUBACK and receipt): no polling.
    options.poll_interval = None;
    let news = spool.news();
    let mut outbox = SpoolOutbox::new(spool.clone(), &gateway);
    if let Some(a) = activity {
        outbox = outbox.with_activity(a);
    }
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
    let link = GatewayLink::spawn_live(
        gateway,
        options,
        Some(format!("smsgate-gateway {}", env!("CARGO_PKG_VERSION"))),
        outbox,
        sink,
        live,
        cancel.clone(),
        tracker,
    )?;
    tracker.spawn(forward_wakes(news, link.waker(), cancel));
    Ok(link)
}

/// The MQTT options of `settings` (URL and TLS material checked).
pub fn link_options(settings: &LinkSettings) -> Result<LinkOptions, CloudError> {
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
    Ok(options)
}

/// Wakes the link each time the spool committed outbox events (its newest event moved), until
/// `cancel`. Other news of the spool (campaign batches) is not the link's.
async fn forward_wakes(
    mut news: watch::Receiver<SpoolNews>,
    link: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut newest = news.borrow_and_update().newest_event;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            r = news.changed() => if r.is_err() { return },
        }
        let now = news.borrow_and_update().newest_event;
        if now != newest && now.is_some() {
            link.notify_one();
        }
        newest = now;
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
