//! Cloud hub core: the multi-tenant model, its storage, the single authorization chokepoint,
//! routing of inbound and outbound SMS, and the REST API (with OpenAPI and server-sent events).
//!
//! The MQTT link is a thin adapter on top of [`Hub`]: it passes every received message to
//! [`Hub::receive`] (or batches with [`Hub::ingest_batch`]), publishes the `down/ack` that
//! returns, and publishes [`Hub::pending_commands`] whenever [`Hub::subscribe_outbox`] names a
//! gateway. Hub methods are synchronous (SQLite, argon2): async callers use
//! `spawn_blocking`, as the API does.
//!
//! Layout:
//! - [`model`]: plain data (organisations, users, gateways, channels, queues, contacts,
//!   interactions, messages, opt-outs, API keys).
//! - [`authz`]: [`authz::Actor`], [`authz::authorize`] — the one chokepoint — and
//!   [`authz::Scope`], which only it can build and which every listing query takes.
//! - [`store`]: the [`store::Store`] / [`store::Tx`] traits and the SQLite backend.
//! - [`routing`]: pure routing rules (opt-out keywords, placement, state transitions).
//! - [`secrets`]: argon2id password hashing, random tokens, SHA-256 digests.
//! - [`hub`]: [`Hub`], every operation (authorized) and gateway ingest/outbox.
//! - [`run`]: the running hub ([`run::run`]): store, embedded broker or external broker, the
//!   MQTT link glue (`UpSink`/`DownSource` over [`Hub`]) and the HTTP server.
//! - [`api`]: the axum router under `/api/v1`, errors mapped to HTTP in one place, the
//!   OpenAPI document (utoipa) and the SSE stream.
//!
//! Invariants:
//! - every operation done for a caller goes through [`authz::authorize`]; a resource outside
//!   the caller's subtree answers "not found" (404), never "forbidden", so ids do not leak;
//! - every ingested gateway event is recorded by id in the same transaction as its effect
//!   (at-least-once in, exactly-once state);
//! - at most one live (not closed) interaction per channel and contact number (also a unique
//!   index in the database);
//! - a gateway may only report on messages sent through its own channels.

pub mod api;
pub mod authz;
pub mod hub;
pub mod model;
pub mod routing;
pub mod run;
pub mod secrets;
pub mod store;

pub use api::router;
pub use hub::{Clock, Hub, HubError, HubSettings, IngestOutcome, SystemClock};
pub use run::{RunError, RunOptions, Started, run, run_with, start};
