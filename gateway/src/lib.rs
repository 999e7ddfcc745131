//! Edge gateway: SQLite spool, pure scheduling, port workers and dispatchers, the local HTTP API, and [`run`].
//!
//! Module map:
//! - [`clock`]: the wall-clock boundary ([`clock::Clock`], system and manual clocks).
//! - [`spool`]: durable store; [`spool::Spool`] (async handle) over [`spool::SpoolDb`]
//!   (synchronous rusqlite, WAL + `synchronous=FULL`, versioned migrations), the pure message
//!   lifecycle ([`spool::lifecycle::apply`]), outbox events for the cloud link.
//! - [`schedule`]: I/O-free state machines the port workers use: port choice per group
//!   strategy, per-port pacing with jitter, per-SIM caps, sending hours, port benching.
//! - [`api`]: the axum router ([`api::router`]) with bearer auth, JSON errors, bulk CSV
//!   upload, the legacy `SendSMS` web service, `/metrics` and `/health`.
//! - [`metrics`]: Prometheus metrics held in a handle (no global recorder).
//! - [`ports`]: one worker per modem port (open/reopen, probe/init, supervision state machine,
//!   send with pacing and failover, inbound with reassembly and storage sweep, delivery
//!   reports, USSD, reset and power cycle), the [`ports::Board`] they publish to, and
//!   [`ports::PortsHandle`] for the API.
//! - [`dinstar_http`]: Dinstar gateways driven through their HTTP API as port sources: one
//!   worker per Dinstar port on the same board, dispatchers, pacing, caps and spool rules.
//! - [`dispatch`]: one dispatcher per group: strategy, sending hours and per-SIM caps choose the
//!   port for each queued message; the port's worker claims it atomically.
//! - [`cloud`]: the link to the hub: the spool as smsgate-mqtt's `Outbox` (events → wire
//!   messages) and `CommandSink` (hub commands → spooled messages, port resets, USSD).
//! - [`campaign`]: campaign slices the hub handed over (`down/campaign`), released into the
//!   port queues inside their windows at their pace, also while the link is down.
//! - [`opt_out_sync`]: the hub's `down/opt_outs` applied to the spool's per-tenant lists
//!   ([`spool::opt_outs`]); [`hub_cancel`]: the hub's `cancel` reaching a Dinstar's `stop_sms`.
//! - [`ui`]: the box UI's server side: admin account (argon2id), sessions, login throttle,
//!   the group override file, the support bundle (the app: `smsgate-web-box`, feature `ui`).
//! - [`runtime`]: [`run`] / [`run_logged`] / [`runtime::run_with`]: the whole gateway with ordered shutdown.
//! - [`logs`]: the recent log lines (a ring fed by a tracing layer, secrets masked) for the box UI.
//! - [`doctor`]: `smsgate-gateway doctor`: config, spool and device permissions, modems
//!   answering `AT`, Dinstar and broker reachability, each problem with its fix.
//! - [`install`]: `smsgate-gateway config init`: the first-install config (template + a fresh
//!   API token, mode 0640, never overwriting), as the Debian package's postinst writes it.

pub mod api;
pub mod campaign;
pub mod clock;
pub mod cloud;
pub mod dinstar_http;
pub mod dispatch;
pub mod doctor;
pub mod hub_cancel;
pub mod install;
pub mod logs;
pub mod memory;
pub mod metrics;
pub mod opt_out_sync;
pub mod ports;
pub mod runtime;
pub mod schedule;
pub mod spool;
pub mod ui;

pub use runtime::{GatewayError, run, run_logged};
