//! Dinstar gateways driven through their HTTP API (reference §4.1) as port sources: each
//! configured Dinstar port becomes gateway port `first_id + dinstar_port`, with a worker that
//! publishes to the same [`crate::ports::Board`], takes the same [`crate::ports::Job`]s from
//! the group dispatchers, and keeps the same pacing, caps and spool durability rules as the AT
//! port workers.
//!
//! - [`api`]: the API as a trait ([`api::DinstarApi`]), its wire types and errors, and the
//!   recording fake [`api::RecordingDinstar`].
//! - [`client`]: the real client [`client::HttpDinstar`] (reqwest, HTTP Basic auth).
//! - [`logic`]: pure pieces: send answers/results → [`crate::ports::outcome::SendOutcome`],
//!   caller ids, encodings, time stamps, the delivery-status cursor.
//! - [`worker`]: the per-port worker [`worker::DinstarPortWorker`].

pub mod api;
pub mod client;
pub mod logic;
pub mod worker;

pub use api::{DinstarApi, DinstarError, RecordingDinstar};
pub use client::HttpDinstar;
pub use worker::{DinstarDeps, DinstarPortWorker, DinstarSettings};
