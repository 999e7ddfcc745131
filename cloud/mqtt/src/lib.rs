//! MQTT transport of the gateway ↔ hub link.
//!
//! What goes over the wire (topics, payloads, versions) is decided by `smsgate-wire`; this crate
//! moves it:
//!
//! - [`broker`]: the hub's embedded broker — rumqttd on a loopback port behind an authorizing
//!   MQTT proxy ([`broker::AuthProxy`]) that enforces per-gateway topic rights, refuses
//!   wildcard client ids/usernames and checks logins against a [`auth::CredentialStore`].
//! - [`auth`]: principals (hub / one gateway), the access rules, argon2id password helpers and
//!   an in-memory credential store.
//! - [`mosquitto`]: password file (PBKDF2-SHA512), ACL file and `mosquitto.conf` for running
//!   on an external mosquitto broker instead.
//! - [`link`]: the clients. [`link::gateway::GatewayLink`] publishes the gateway's events
//!   outbox ([`link::gateway::Outbox`]), removing an event only on the hub's end-to-end receipt
//!   (never on the broker's PUBACK), and applies commands through a
//!   [`link::gateway::CommandSink`]; [`link::hub::HubLink`] feeds an [`link::hub::UpSink`],
//!   answers every stored up message with a receipt, and publishes from a
//!   [`link::hub::DownSource`]. Both: persistent session, QoS 1, manual acks,
//!   exponential backoff with jitter, re-subscribe on every connection.
//! - [`probe`]: one trial connection that names what fails (DNS, TCP, TLS, login).
//! - [`options`]: broker URL (`mqtt://` / `mqtts://`), login, backoff and window settings.
//! - [`tls`]: rustls client configuration (custom CA, optional client certificate) and the
//!   broker's server configuration.
//!
//! The hub's side ([`auth`], [`mosquitto`], [`link::hub`], [`tls::server_config`]) is behind
//! the `hub` feature and the broker behind `broker`; the gateway enables neither.
//!
//! Every task is spawned on a caller-provided `TaskTracker` and stops on a
//! `CancellationToken`.

#[cfg(feature = "hub")]
pub mod auth;
#[cfg(feature = "broker")]
pub mod broker;
pub mod link;
#[cfg(feature = "hub")]
pub mod mosquitto;
pub mod options;
pub mod probe;
pub mod tls;

#[cfg(feature = "hub")]
pub use auth::{CredentialStore, HashCost, MemoryCredentials, Principal, StoreError};
#[cfg(feature = "broker")]
pub use broker::{AuthProxy, BrokerConfig, BrokerError, EmbeddedBroker, InnerBroker};
pub use link::gateway::{CommandSink, GatewayLink, Outbox, OutboxEvent};
#[cfg(feature = "hub")]
pub use link::hub::{DownEvent, DownSource, HubLink, IngestError, Presence, UpSink};
pub use link::{LinkCounters, LinkStatus, QueueError};
pub use options::{Backoff, BrokerUrl, LinkOptions, OptionsError};
pub use probe::{ProbeDepth, ProbeError, ProbeOk, probe};
pub use tls::{ClientTls, TlsError};
