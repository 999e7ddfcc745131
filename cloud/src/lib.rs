//! Cloud hub core: the multi-tenant model, its storage, the authorizer, routing of inbound
//! and outbound SMS, and the REST API (with OpenAPI and server-sent events).
//!
//! Layout (one module per job; see ARCHITECTURE.md's code map):
//! - [`model`]: plain data. [`phone`]: the one number format (E.164).
//! - [`authz`]: [`authz::Actor`], [`authz::scope`]/[`authz::authorize`] and [`authz::Scope`],
//!   which only it can build and which every store read and write of tenant data takes.
//! - [`store`]: the [`store::Store`] / [`store::ReadTx`] / [`store::WriteTx`] traits and the
//!   SQLite backend (reads on a pool that never takes the write lock).
//! - [`hub`]: [`Hub`], the tenant-facing operations, one module per domain.
//! - [`ingest`]: [`ingest::GatewayIngest`], the gateway side (ingest, presence, command outbox).
//! - [`routing`]: pure routing rules. [`csv_import`]: contact CSV. [`snippet`]: gateway TOML.
//! - [`secrets`]: argon2id, random tokens, SHA-256. [`metrics`]: the Prometheus registry.
//! - [`run`]: the running hub; [`api`]: the axum router, errors, OpenAPI, SSE.
//!
//! Invariants:
//! - tenant data is reachable only through a [`authz::Scope`]; a resource outside the caller's
//!   subtree answers "not found" (404), never "forbidden", so ids do not leak;
//! - every ingested gateway event is recorded by id in the same transaction as its effect;
//! - at most one live (not closed) interaction per channel and contact number;
//! - numbers are stored and compared in E.164 (alphanumeric senders and short codes as written);
//! - a gateway may only report on messages sent through its own channels.

pub mod api;
pub mod authz;
pub mod campaigns;
pub mod csv_import;
pub mod floor;
pub mod hub;
pub mod ingest;
pub mod metrics;
pub mod model;
pub mod phone;
pub mod routing;
pub mod run;
pub mod secrets;
pub mod snippet;
pub mod store;
pub mod webhooks;

pub use api::router;
pub use hub::{Clock, Hub, HubError, HubSettings, ManualClock, SystemClock};
pub use ingest::{GatewayIngest, IngestOutcome};
pub use run::{RunError, RunOptions, Started, run, run_with, start};
