//! Who may connect, and what each principal may publish and subscribe to.
//!
//! Everything here is pure (no I/O): the authorizing proxy in [`crate::broker`] and the mosquitto
//! ACL generator in [`crate::mosquitto`] both apply these rules.
//!
//! - A **gateway** logs in with its gateway id as username and must use that same id as MQTT
//!   client id (so it can neither take over another gateway's session nor hide behind a
//!   wildcard). It may publish only its own `up/*` and `state`, and subscribe only to its own
//!   `down/*` ([`smsgate_wire::topic::gateway_may`]).
//! - The **hub** may publish any concrete topic of the contract and subscribe to any filter
//!   under `smsgate/v1/gw/`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use smsgate_wire::topic::{Direction, PREFIX, gateway_may};
use smsgate_wire::{GatewayId, Topic};

/// An authenticated identity on the broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// The hub: sees every gateway's topics.
    Hub,
    /// One gateway: only its own subtree.
    Gateway(GatewayId),
}

/// The credential store failed (not "wrong password": that is `Ok(None)`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("credential store unavailable: {0}")]
pub struct StoreError(pub String);

/// Where the broker checks logins. The hub's database implements this (passwords stored
/// hashed; [`hash_password`] / [`verify_password`] are the argon2id helpers to use).
pub trait CredentialStore: Send + Sync + 'static {
    /// `Ok(Some(p))` when `username`/`password` are valid, `Ok(None)` when they are not.
    fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> impl Future<Output = Result<Option<Principal>, StoreError>> + Send;
}

impl<T: CredentialStore> CredentialStore for Arc<T> {
    fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> impl Future<Output = Result<Option<Principal>, StoreError>> + Send {
        (**self).verify(username, password)
    }
}

/// Errors hashing a password.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl HashCost {
    /// OWASP's argon2id recommendation (19 MiB, 2 passes).
    pub const RECOMMENDED: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
    };
    /// The cheapest valid parameters: for tests and benchmarks only.
    pub const TESTING: Self = Self {
        memory_kib: 8,
        iterations: 1,
    };
}

/// Hashes `password` into an argon2id PHC string (`$argon2id$v=19$...`).
pub fn hash_password(password: &str, cost: HashCost) -> Result<String, HashError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
        .map_err(|e| HashError::Params(e.to_string()))?;
    // 16 random bytes from the OS-seeded thread RNG (argon2's own OsRng needs a rand_core
    // feature this workspace does not enable).
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| HashError::Hash(e.to_string()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

/// Checks `password` against an argon2 PHC string; a malformed hash never verifies.
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// An in-memory [`CredentialStore`] holding argon2id hashes (tests, demos, benchmarks).
#[derive(Debug, Default, Clone)]
pub struct MemoryCredentials {
    users: HashMap<String, (String, Principal)>,
}

impl MemoryCredentials {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a gateway login (username = gateway id).
    pub fn add_gateway(
        &mut self,
        gateway: &GatewayId,
        password: &str,
        cost: HashCost,
    ) -> Result<(), HashError> {
        let phc = hash_password(password, cost)?;
        self.users.insert(
            gateway.as_str().to_owned(),
            (phc, Principal::Gateway(gateway.clone())),
        );
        Ok(())
    }

    /// Adds the hub login.
    pub fn add_hub(
        &mut self,
        username: &str,
        password: &str,
        cost: HashCost,
    ) -> Result<(), HashError> {
        let phc = hash_password(password, cost)?;
        self.users
            .insert(username.to_owned(), (phc, Principal::Hub));
        Ok(())
    }
}

impl CredentialStore for MemoryCredentials {
    fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> impl Future<Output = Result<Option<Principal>, StoreError>> + Send {
        let entry = self.users.get(username).cloned();
        let password = password.to_owned();
        async move {
            let Some((phc, principal)) = entry else {
                return Ok(None);
            };
            // argon2 is CPU-bound: keep it off the async workers.
            let ok = tokio::task::spawn_blocking(move || verify_password(&phc, &password))
                .await
                .map_err(|e| StoreError(e.to_string()))?;
            Ok(ok.then_some(principal))
        }
    }
}

/// Why a CONNECT, PUBLISH or SUBSCRIBE is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("client id {0:?} is empty or contains '/', '#', '+' or a control character")]
    BadClientId(String),
    #[error("username {0:?} is empty or contains '/', '#', '+' or a control character")]
    BadUsername(String),
    #[error("no username/password given")]
    NoCredentials,
    #[error("only MQTT 3.1.1 clients are accepted")]
    UnsupportedProtocol,
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("gateway {gateway} must connect with client id {gateway}, not {client_id:?}")]
    ClientIdMismatch { gateway: String, client_id: String },
    #[error("{principal} may not publish on {topic:?}")]
    Publish { principal: String, topic: String },
    #[error("{principal} may not subscribe to {filter:?}")]
    Subscribe { principal: String, filter: String },
}

/// A client id or username is one plain token: non-empty, no `/`, `#`, `+` or control chars.
pub fn is_plain_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s
            .chars()
            .any(|c| matches!(c, '/' | '#' | '+') || c.is_control())
}

impl Principal {
    fn label(&self) -> String {
        match self {
            Self::Hub => "the hub".to_owned(),
            Self::Gateway(g) => format!("gateway {g}"),
        }
    }

    /// Checks the client id a principal connects with.
    pub fn check_client_id(&self, client_id: &str) -> Result<(), Refusal> {
        if !is_plain_identifier(client_id) {
            return Err(Refusal::BadClientId(client_id.to_owned()));
        }
        match self {
            Self::Gateway(g) if g.as_str() != client_id => Err(Refusal::ClientIdMismatch {
                gateway: g.to_string(),
                client_id: client_id.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// May this principal publish on `topic` (also used for the last will)?
    pub fn check_publish(&self, topic: &str) -> Result<(), Refusal> {
        let ok = match self {
            Self::Hub => Topic::parse(topic).is_ok(),
            Self::Gateway(g) => gateway_may(g, Direction::Publish, topic),
        };
        if ok {
            Ok(())
        } else {
            Err(Refusal::Publish {
                principal: self.label(),
                topic: topic.to_owned(),
            })
        }
    }

    /// May this principal subscribe to `filter`?
    pub fn check_subscribe(&self, filter: &str) -> Result<(), Refusal> {
        let ok = match self {
            Self::Hub => filter
                .strip_prefix(PREFIX)
                .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1),
            Self::Gateway(g) => gateway_may(g, Direction::Subscribe, filter),
        };
        if ok {
            Ok(())
        } else {
            Err(Refusal::Subscribe {
                principal: self.label(),
                filter: filter.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gw(s: &str) -> Principal {
        Principal::Gateway(GatewayId::new(s).unwrap())
    }

    #[test]
    fn a_gateway_must_use_its_own_id_as_client_id() {
        assert_eq!(gw("a").check_client_id("a"), Ok(()));
        assert!(matches!(
            gw("a").check_client_id("b"),
            Err(Refusal::ClientIdMismatch { .. })
        ));
    }

    #[test]
    fn wildcard_and_slash_client_ids_are_refused_for_everyone() {
        for bad in ["", "a+", "#", "a/b", "x\ny"] {
            assert!(
                matches!(
                    Principal::Hub.check_client_id(bad),
                    Err(Refusal::BadClientId(_))
                ),
                "{bad:?}"
            );
        }
        assert!(is_plain_identifier("hub-1"));
    }

    #[test]
    fn a_gateway_publishes_only_its_own_up_and_state_topics() {
        let a = gw("a");
        assert!(a.check_publish("smsgate/v1/gw/a/up/inbound").is_ok());
        assert!(a.check_publish("smsgate/v1/gw/a/state").is_ok());
        assert!(a.check_publish("smsgate/v1/gw/b/up/inbound").is_err());
        assert!(a.check_publish("smsgate/v1/gw/a/down/send").is_err());
        assert!(a.check_publish("elsewhere").is_err());
    }

    #[test]
    fn a_gateway_subscribes_only_to_its_own_down_topics() {
        let a = gw("a");
        assert!(a.check_subscribe("smsgate/v1/gw/a/down/+").is_ok());
        assert!(a.check_subscribe("smsgate/v1/gw/b/down/+").is_err());
        assert!(a.check_subscribe("smsgate/v1/gw/+/down/+").is_err());
        assert!(a.check_subscribe("#").is_err());
    }

    #[test]
    fn the_hub_subscribes_to_every_gateway_but_nothing_outside_the_contract() {
        let [up, state] = Topic::hub_filters();
        assert!(Principal::Hub.check_subscribe(&up).is_ok());
        assert!(Principal::Hub.check_subscribe(&state).is_ok());
        assert!(Principal::Hub.check_subscribe("smsgate/v1/gw/#").is_ok());
        assert!(Principal::Hub.check_subscribe("#").is_err());
        assert!(Principal::Hub.check_subscribe("smsgate/v1/gw").is_err());
        assert!(Principal::Hub.check_subscribe("$SYS/#").is_err());
        assert!(
            Principal::Hub
                .check_publish("smsgate/v1/gw/a/down/send")
                .is_ok()
        );
        assert!(
            Principal::Hub
                .check_publish("smsgate/v1/gw/+/down/send")
                .is_err()
        );
    }

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let phc = hash_password("s3cret", HashCost::TESTING).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password(&phc, "s3cret"));
        assert!(!verify_password(&phc, "s3cret "));
        assert!(!verify_password("not a hash", "s3cret"));
    }

    #[tokio::test]
    async fn the_memory_store_maps_logins_to_principals() {
        let mut store = MemoryCredentials::new();
        let a = GatewayId::new("a").unwrap();
        store.add_gateway(&a, "pa", HashCost::TESTING).unwrap();
        store.add_hub("hub", "ph", HashCost::TESTING).unwrap();
        assert_eq!(
            store.verify("a", "pa").await.unwrap(),
            Some(Principal::Gateway(a))
        );
        assert_eq!(
            store.verify("hub", "ph").await.unwrap(),
            Some(Principal::Hub)
        );
        assert_eq!(store.verify("a", "ph").await.unwrap(), None);
        assert_eq!(store.verify("nobody", "pa").await.unwrap(), None);
    }
}
