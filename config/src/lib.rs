//! Typed configuration for the gateway (and, in `hub`, the cloud hub): serde structs with
//! defaults, validation that names the key path, and commented templates rendered from the real
//! defaults.
//!
//! Module map:
//! - [`error`]: [`ConfigError`] and the [`Violations`] collector (every problem carries its TOML
//!   key path, e.g. `groups[1].ports: port 7 is not defined in [[ports]]`).
//! - [`ports_spec`]: the Dinstar dial-string port list parser (`"0-3"`, `"(0.3)"`, `"0,2,5"`).
//! - [`template`]: renders a commented TOML template from a config's `Default` + key docs.
//! - [`gateway`]: [`GatewayConfig`] (`[storage]`, `[api]`, `[[ports]]`, `[[dinstar_http]]`,
//!   `[[groups]]`, `[inbound]`, `[ussd]`, `[supervision]`).
//! - [`legacy`]: `[legacy]`, the seed's `SendSMS` let in by address or form token.
//! - [`hub`]: the cloud hub's `HubConfig` (owned by the hub engineer; same conventions).
//!
//! Conventions every section follows: structs are `#[serde(default, deny_unknown_fields)]` with
//! a `Default` holding the real defaults; required keys have no default; typed
//! values (port lists, time zones, hours) parse in `TryFrom<String>` so a bad value fails at
//! load with its key path; cross-key rules live in a [`Validate`] impl that pushes one
//! [`Violation`] per problem; [`load_str`] = parse + validate, so nothing starts on a bad config.

pub mod error;
pub mod gateway;
pub mod hub;
pub mod legacy;
pub mod ports_spec;
pub mod smtp;
pub mod template;

pub use error::{ConfigError, Violation, Violations};
pub use gateway::GatewayConfig;
pub use ports_spec::{PortSpec, PortSpecError, parse_port_spec};

use serde::de::DeserializeOwned;
use std::path::Path;

/// Cross-key validation of a parsed config.
pub trait Validate {
    /// Pushes one violation per problem; key paths are absolute (`groups[1].ports`).
    fn validate(&self, v: &mut Violations);
}

/// Parses TOML text into `T` (the error names the key path) and validates it.
pub fn load_str<T: DeserializeOwned + Validate>(text: &str) -> Result<T, ConfigError> {
    let de = toml::Deserializer::parse(text).map_err(|e| ConfigError::Parse {
        path: String::new(),
        message: e.to_string(),
    })?;
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| ConfigError::Parse {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    let mut v = Violations::default();
    value.validate(&mut v);
    v.into_result()?;
    Ok(value)
}

/// Reads a file and calls [`load_str`].
pub fn load_file<T: DeserializeOwned + Validate>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    })?;
    load_str(&text)
}
