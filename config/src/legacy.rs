//! `[legacy]`: how the seed's `SendSMS` web service (`/Integra/resources/SMS/SendSMS`) is let in
//! without the local API's bearer header.
//!
//! The seed's clients post form fields only (`destination`, `message`, `campaign`, `agent`) and
//! cannot add an `Authorization` header. Two ways in, both off by default:
//! - `allow`: the caller's address is in one of these networks (`"192.168.1.20"`,
//!   `"10.0.0.0/24"`, `"fd00::/8"`); nothing else is asked;
//! - `token`: the request carries the form (or path) field `token=<this secret>`.
//!
//! The bearer header keeps working whatever is set here.

use crate::Validate;
use crate::error::Violations;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// Shortest accepted `legacy.token`.
pub const MIN_LEGACY_TOKEN_LEN: usize = 16;

/// `[legacy]`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LegacyConfig {
    /// Callers allowed without any token (addresses or networks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<AllowedNet>,
    /// Secret accepted in the form field `token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl fmt::Debug for LegacyConfig {
    // The token stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyConfig")
            .field("allow", &self.allow)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl LegacyConfig {
    /// Whether a caller at `peer` may use `SendSMS` without a token. IPv4 callers reaching an
    /// IPv6 listener (`::ffff:a.b.c.d`) match their IPv4 networks.
    pub fn allows(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.allow.iter().any(|n| n.0.contains(&peer))
    }
}

/// One `legacy.allow` entry: an address (`10.0.0.5`, a network of one) or a network in CIDR
/// notation (`10.0.0.0/24`).
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AllowedNet(pub ipnet::IpNet);

impl fmt::Debug for AllowedNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<AllowedNet> for String {
    fn from(n: AllowedNet) -> String {
        n.0.to_string()
    }
}

impl TryFrom<String> for AllowedNet {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let t = s.trim();
        if t.contains('/') {
            let net: ipnet::IpNet = t.parse().map_err(|_| {
                format!("{s:?} is not a network (use CIDR notation like \"10.0.0.0/24\")")
            })?;
            if net.network() != net.addr() {
                return Err(format!(
                    "{s:?} has host bits set: the network is \"{}\"",
                    net.trunc()
                ));
            }
            Ok(AllowedNet(net))
        } else {
            let addr: IpAddr = t.parse().map_err(|_| {
                format!("{s:?} is not an IP address or network (\"192.168.1.20\", \"10.0.0.0/24\")")
            })?;
            Ok(AllowedNet(ipnet::IpNet::from(addr)))
        }
    }
}

impl Validate for LegacyConfig {
    fn validate(&self, v: &mut Violations) {
        if let Some(token) = &self.token
            && token.chars().count() < MIN_LEGACY_TOKEN_LEN
        {
            v.push(
                "legacy.token",
                format!(
                    "must be at least {MIN_LEGACY_TOKEN_LEN} characters (or left out: no token field is accepted)"
                ),
            );
        }
        for (i, n) in self.allow.iter().enumerate() {
            if n.0.prefix_len() == 0 {
                v.push(
                    format!("legacy.allow[{i}]"),
                    format!(
                        "{} lets every address in without a token; list the senders' own addresses or networks",
                        n.0
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Result<AllowedNet, String> {
        AllowedNet::try_from(s.to_string())
    }

    #[test]
    fn an_address_is_a_network_of_one_and_a_network_holds_its_addresses() {
        let cfg = LegacyConfig {
            allow: vec![net("192.168.1.20").unwrap(), net("10.0.0.0/24").unwrap()],
            token: None,
        };
        for yes in ["192.168.1.20", "10.0.0.1", "10.0.0.255", "::ffff:10.0.0.9"] {
            assert!(cfg.allows(yes.parse().unwrap()), "{yes}");
        }
        for no in ["192.168.1.21", "10.0.1.1", "127.0.0.1", "::1"] {
            assert!(!cfg.allows(no.parse().unwrap()), "{no}");
        }
        assert!(!LegacyConfig::default().allows("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn bad_allow_entries_say_what_to_write() {
        assert!(net("10.0.0.0/33").unwrap_err().contains("CIDR"));
        assert!(net("ten").unwrap_err().contains("not an IP address"));
        assert!(net("10.0.0.7/24").unwrap_err().contains("\"10.0.0.0/24\""));
    }
}
