//! Dinstar gateways driven through their HTTP API (reference §4.1) as port sources: each
//! configured Dinstar port becomes gateway port `first_id + dinstar_port`, with a worker that
//! publishes to the same [`crate::ports::Board`], takes the same [`crate::ports::Job`]s from
//! the group dispatchers, and keeps the same pacing, caps and spool durability rules as the AT
//! port workers; one device task per Dinstar does what concerns all its ports.
//!
//! - [`api`]: the API as a trait ([`api::DinstarApi`]), its wire types and errors (sources
//!   cited there); [`fake`]: the recording fake [`fake::RecordingDinstar`].
//! - [`auth`]: Digest (RFC 7616/2617, `digest_auth`) or Basic as the device asks, with a
//!   back-off after a refused login; [`client`]: the real client [`client::HttpDinstar`].
//! - [`logic`], [`cursor`]: pure pieces (send outcomes, caller ids, device-local times, port
//!   information as observations, USSD placeholders, the delivery-report cursor).
//! - [`device`]: the per-device task [`device::DinstarDevice`] (inbound, reports, port
//!   information, pushes, reconciling `unknown` sends); [`worker`]: the per-port worker
//!   [`worker::DinstarPortWorker`] (sends, cancel through `stop_sms`, USSD sessions);
//!   [`link`]: what they tell each other, and [`link::InFlight`] for cancels.
//! - [`push`]: the authenticated receiver of the device's pushes (its own listener).
//! - here: [`prepare`] (clients and push listeners, before anything starts) and
//!   [`Prepared::start`].

pub mod api;
pub mod auth;
pub mod client;
pub mod cursor;
pub mod device;
pub mod fake;
pub mod link;
pub mod logic;
pub mod push;
pub mod worker;

pub use api::{DinstarApi, DinstarError};
pub use client::HttpDinstar;
pub use device::{DeviceDeps, DeviceSettings, DinstarDevice, PushBatch, Pushed};
pub use fake::RecordingDinstar;
pub use link::{CancelAnswer, DeviceNote, InFlight, PortNews};
pub use worker::{DinstarDeps, DinstarPortWorker, DinstarSettings};

use crate::clock::Clock;
use crate::metrics::GatewayMetrics;
use crate::ports::{Board, PortCommand};
use crate::schedule::pacing::RandJitter;
use crate::spool::Spool;
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::DinstarHttpConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A Dinstar could not be set up (the message names the key).
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct StartError {
    /// Config key (`dinstar_http[i].url`, `dinstar_http[i].push_listen`).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Clients and bound push listeners, made before anything starts.
pub struct Prepared {
    devices: Vec<(usize, DinstarHttpConfig, Arc<HttpDinstar>)>,
    listeners: Vec<(SocketAddr, tokio::net::TcpListener)>,
}

/// What [`Prepared::start`] needs.
pub struct StartContext<'a> {
    /// The whole (validated) config.
    pub config: &'a GatewayConfig,
    /// The spool.
    pub spool: &'a Spool,
    /// The port table.
    pub board: &'a Board,
    /// Metrics.
    pub metrics: &'a GatewayMetrics,
    /// Wall clock.
    pub clock: &'a Arc<dyn Clock>,
    /// Stops the workers and device tasks (last).
    pub ports_token: &'a CancellationToken,
    /// Tracks them.
    pub ports_tracker: &'a TaskTracker,
    /// Stops the push receivers (with the API).
    pub shutdown: &'a CancellationToken,
    /// Tracks them.
    pub front: &'a TaskTracker,
}

/// The running Dinstar ports.
pub struct Started {
    /// Command senders by gateway port id.
    pub senders: BTreeMap<u16, mpsc::Sender<PortCommand>>,
    /// Sends the devices hold (for cancels).
    pub inflight: InFlight,
    /// Where pushes are received (`(push_listen as bound, key)`).
    pub push_addrs: Vec<(SocketAddr, String)>,
}

/// Builds one client per `[[dinstar_http]]` and binds the push listeners.
pub async fn prepare(config: &GatewayConfig) -> Result<Prepared, StartError> {
    let mut devices = Vec::new();
    let timeout = Duration::from_millis(config.supervision.command_timeout_ms);
    let backoff = (
        Duration::from_millis(config.supervision.bench_backoff_ms),
        Duration::from_millis(config.supervision.bench_backoff_max_ms),
    );
    for (i, d) in config.dinstar_http.iter().enumerate() {
        let api =
            HttpDinstar::new(&d.url, &d.user, &d.password, timeout, backoff).map_err(|e| {
                StartError {
                    key: format!("dinstar_http[{i}].url"),
                    message: e.to_string(),
                }
            })?;
        devices.push((i, d.clone(), Arc::new(api)));
    }
    let mut listeners: Vec<(SocketAddr, tokio::net::TcpListener)> = Vec::new();
    for (i, d) in config.dinstar_http.iter().enumerate() {
        let Some(addr) = d.push_listen else { continue };
        if listeners.iter().any(|(a, _)| *a == addr) {
            continue;
        }
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| StartError {
                key: format!("dinstar_http[{i}].push_listen"),
                message: format!("cannot listen on {addr}: {e}"),
            })?;
        listeners.push((addr, l));
    }
    Ok(Prepared { devices, listeners })
}

impl Prepared {
    /// Starts a device task and one worker per port for every device, and the push receivers.
    pub fn start(self, cx: StartContext<'_>) -> Started {
        let mut senders = BTreeMap::new();
        let inflight = InFlight::default();
        let mut routes: BTreeMap<SocketAddr, Vec<push::PushRoute>> = BTreeMap::new();
        for (i, d, api) in self.devices {
            let key = format!("dinstar_http[{i}]");
            let (note_tx, note_rx) = mpsc::channel(256);
            let (push_tx, push_rx) = mpsc::channel(64);
            let mut news = BTreeMap::new();
            let ports: Vec<u16> = d.gateway_ids().map(|(_, p)| p).collect();
            for (id, dinstar_port) in d.gateway_ids() {
                let (news_tx, news_rx) = mpsc::channel(64);
                news.insert(dinstar_port, news_tx);
                let (worker, tx) = DinstarPortWorker::new(
                    DinstarSettings {
                        id,
                        dinstar_port,
                        supervision: cx.config.supervision.clone(),
                        ussd: cx.config.ussd.clone(),
                        poll_results: d.poll_interval_ms > 0,
                    },
                    DinstarDeps {
                        api: api.clone(),
                        spool: cx.spool.clone(),
                        board: cx.board.clone(),
                        metrics: cx.metrics.clone(),
                        clock: cx.clock.clone(),
                        jitter: Box::new(RandJitter(
                            <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(
                                u64::from(id) ^ 0xd1_5ea5,
                            ),
                        )),
                        shutdown: cx.ports_token.clone(),
                        news: news_rx,
                        device: note_tx.clone(),
                        inflight: inflight.clone(),
                    },
                );
                senders.insert(id, tx);
                cx.ports_tracker.spawn(worker.run());
            }
            let device = DinstarDevice::new(
                DeviceSettings {
                    key: key.clone(),
                    first_id: d.first_id,
                    ports,
                    tz: d.timezone.0,
                    poll: (d.poll_interval_ms > 0)
                        .then(|| Duration::from_millis(d.poll_interval_ms)),
                    info_every: Duration::from_millis(
                        cx.config.supervision.poll_interval_ms.max(100),
                    ),
                },
                DeviceDeps {
                    api,
                    spool: cx.spool.clone(),
                    clock: cx.clock.clone(),
                    shutdown: cx.ports_token.clone(),
                    ports: news,
                    notes: note_rx,
                    pushes: push_rx,
                    recovered: cx.spool.recovered_at_open().to_vec(),
                },
            );
            cx.ports_tracker.spawn(device.run());
            if let (Some(addr), Some(token)) = (d.push_listen, d.push_token.clone()) {
                routes.entry(addr).or_default().push(push::PushRoute {
                    key,
                    token,
                    sn: d.sn.clone(),
                    tx: push_tx,
                });
            }
        }
        let mut push_addrs = Vec::new();
        for (addr, listener) in self.listeners {
            let Some(r) = routes.remove(&addr) else {
                continue;
            };
            let bound = listener.local_addr().unwrap_or(addr);
            for route in &r {
                tracing::info!(device = %route.key, "Dinstar push receiver: set the device's push URL to http://<this box>:{}/dinstar/push/<push_token>", bound.port());
                push_addrs.push((bound, route.key.clone()));
            }
            let app = push::router(r);
            let token = cx.shutdown.clone();
            cx.front.spawn(async move {
                if let Err(e) = axum::serve(listener, app)
                    .with_graceful_shutdown(token.cancelled_owned())
                    .await
                {
                    tracing::error!(error = %e, "Dinstar push receiver failed");
                }
            });
        }
        Started {
            senders,
            inflight,
            push_addrs,
        }
    }
}
