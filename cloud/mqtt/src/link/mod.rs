//! The link clients: [`gateway::GatewayLink`] on the edge, [`hub::HubLink`] in the cloud, both
//! built on the same engine ([`core`]).

pub(crate) mod core;
pub mod gateway;
#[cfg(feature = "hub")]
pub mod hub;
pub(crate) mod incoming;

pub use self::core::{LinkCounters, LinkStatus, QueueError};
