//! The topic tree.
//!
//! ```text
//! smsgate/v1/gw/{gateway_id}/state                      retained online/offline (+ last will)
//! smsgate/v1/gw/{gateway_id}/up/{inbound|status|dlr|ports|heartbeat|ack}    gateway → hub
//! smsgate/v1/gw/{gateway_id}/down/{send|cancel|config|reset|ussd|opt_outs|ack}  hub → gateway
//! ```
//!
//! All topics are published with QoS 1. A gateway id is one topic level: never empty and never
//! containing `/`, `#` or `+` (so a gateway can neither escape its subtree nor subscribe with a
//! wildcard).

use std::fmt;

/// Prefix shared by every topic of this contract's topic layout.
pub const PREFIX: &str = "smsgate/v1/gw";

/// Errors building or parsing a topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("gateway id is empty")]
    EmptyGatewayId,
    #[error(
        "gateway id {0:?} contains a forbidden character ('/', '#', '+' or a control character)"
    )]
    ForbiddenCharacter(String),
    #[error("gateway id {0:?} is longer than 64 bytes")]
    TooLong(String),
    #[error("topic {0:?} is not under {PREFIX}/")]
    ForeignTopic(String),
    #[error(
        "topic {0:?} has an unexpected shape (want {PREFIX}/{{id}}/state|up/{{kind}}|down/{{kind}})"
    )]
    BadShape(String),
}

/// A validated gateway id (one MQTT topic level).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GatewayId(String);

impl GatewayId {
    /// Validates `raw`: non-empty, at most 64 bytes, no `/`, `#`, `+` or control characters.
    pub fn new(raw: impl Into<String>) -> Result<Self, TopicError> {
        let raw = raw.into();
        if raw.is_empty() {
            return Err(TopicError::EmptyGatewayId);
        }
        if raw.len() > 64 {
            return Err(TopicError::TooLong(raw));
        }
        if raw
            .chars()
            .any(|c| matches!(c, '/' | '#' | '+') || c.is_control())
        {
            return Err(TopicError::ForbiddenCharacter(raw));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GatewayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Gateway → hub message kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UpKind {
    Inbound,
    Status,
    Dlr,
    Ports,
    Heartbeat,
    Ack,
    /// A kind this build does not know (a newer gateway); acknowledge it as unsupported.
    Unknown(String),
}

/// Hub → gateway command kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DownKind {
    Send,
    Cancel,
    Config,
    Reset,
    Ussd,
    /// A tenant's opt-outs (contract version 3).
    OptOuts,
    /// A slice of a campaign's recipients (contract version 4).
    Campaign,
    /// Withdraw a campaign's unsent recipients (contract version 4).
    CampaignHalt,
    Ack,
    /// A kind this build does not know (a newer hub); acknowledge it as unsupported.
    Unknown(String),
}

macro_rules! kind_names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The topic level naming this kind.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $name,)*
                    Self::Unknown(s) => s,
                }
            }
            /// The kind named by a topic level (unknown names give `Unknown`).
            pub fn from_level(s: &str) -> Self {
                match s {
                    $($name => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
            /// Every known kind.
            pub fn all() -> Vec<Self> {
                vec![$(Self::$variant),*]
            }
        }
    };
}
kind_names!(UpKind { Inbound => "inbound", Status => "status", Dlr => "dlr", Ports => "ports", Heartbeat => "heartbeat", Ack => "ack" });
kind_names!(DownKind { Send => "send", Cancel => "cancel", Config => "config", Reset => "reset", Ussd => "ussd", OptOuts => "opt_outs", Campaign => "campaign", CampaignHalt => "campaign_halt", Ack => "ack" });

/// What a topic carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TopicKind {
    State,
    Up(UpKind),
    Down(DownKind),
}

/// A parsed topic: which gateway, which message kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Topic {
    pub gateway: GatewayId,
    pub kind: TopicKind,
}

/// Publish or subscribe, for access rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Publish,
    Subscribe,
}

impl Topic {
    pub fn state(gateway: &GatewayId) -> Self {
        Self {
            gateway: gateway.clone(),
            kind: TopicKind::State,
        }
    }
    pub fn up(gateway: &GatewayId, kind: UpKind) -> Self {
        Self {
            gateway: gateway.clone(),
            kind: TopicKind::Up(kind),
        }
    }
    pub fn down(gateway: &GatewayId, kind: DownKind) -> Self {
        Self {
            gateway: gateway.clone(),
            kind: TopicKind::Down(kind),
        }
    }

    /// Parses a concrete topic (no wildcards). Unknown kinds parse as `Unknown(..)` so the
    /// receiver can acknowledge them as unsupported.
    pub fn parse(topic: &str) -> Result<Self, TopicError> {
        let rest = topic
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| TopicError::ForeignTopic(topic.to_owned()))?;
        let levels: Vec<&str> = rest.split('/').collect();
        let bad = || TopicError::BadShape(topic.to_owned());
        let gateway = GatewayId::new(*levels.first().ok_or_else(bad)?)?;
        let kind = match levels.as_slice() {
            [_, "state"] => TopicKind::State,
            [_, "up", k] if valid_kind_level(k) => TopicKind::Up(UpKind::from_level(k)),
            [_, "down", k] if valid_kind_level(k) => TopicKind::Down(DownKind::from_level(k)),
            _ => return Err(bad()),
        };
        Ok(Self { gateway, kind })
    }

    /// The hub's subscriptions: every gateway's up messages and state.
    pub fn hub_filters() -> [String; 2] {
        [format!("{PREFIX}/+/up/+"), format!("{PREFIX}/+/state")]
    }

    /// A gateway's subscription: its own down commands.
    pub fn gateway_filter(gateway: &GatewayId) -> String {
        format!("{PREFIX}/{gateway}/down/+")
    }
}

fn valid_kind_level(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TopicKind::State => write!(f, "{PREFIX}/{}/state", self.gateway),
            TopicKind::Up(k) => write!(f, "{PREFIX}/{}/up/{}", self.gateway, k.as_str()),
            TopicKind::Down(k) => write!(f, "{PREFIX}/{}/down/{}", self.gateway, k.as_str()),
        }
    }
}

/// The access rule a broker (or the hub in front of it) enforces for a gateway's credentials:
/// a gateway publishes only its own `up/*` and `state`, and subscribes only to its own
/// `down/+` (or one concrete `down/{kind}`). Anything else, any other gateway's subtree and any
/// wildcard outside that one filter is refused.
pub fn gateway_may(gateway: &GatewayId, direction: Direction, topic_or_filter: &str) -> bool {
    match direction {
        Direction::Publish => match Topic::parse(topic_or_filter) {
            Ok(t) => &t.gateway == gateway && matches!(t.kind, TopicKind::Up(_) | TopicKind::State),
            Err(_) => false,
        },
        Direction::Subscribe => {
            if topic_or_filter == Topic::gateway_filter(gateway) {
                return true;
            }
            match Topic::parse(topic_or_filter) {
                Ok(t) => &t.gateway == gateway && matches!(t.kind, TopicKind::Down(_)),
                Err(_) => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gw(s: &str) -> GatewayId {
        GatewayId::new(s).unwrap()
    }

    #[test]
    fn every_known_topic_round_trips_through_display_and_parse() {
        let g = gw("gw-01");
        let mut topics = vec![Topic::state(&g)];
        topics.extend(UpKind::all().into_iter().map(|k| Topic::up(&g, k)));
        topics.extend(DownKind::all().into_iter().map(|k| Topic::down(&g, k)));
        for t in topics {
            assert_eq!(Topic::parse(&t.to_string()).unwrap(), t);
        }
    }

    #[test]
    fn the_inbound_topic_has_the_documented_shape() {
        assert_eq!(
            Topic::up(&gw("abc"), UpKind::Inbound).to_string(),
            "smsgate/v1/gw/abc/up/inbound"
        );
    }

    #[test]
    fn gateway_ids_with_slash_hash_plus_or_nothing_are_rejected() {
        assert_eq!(GatewayId::new(""), Err(TopicError::EmptyGatewayId));
        for bad in ["a/b", "#", "a+", "x#y", "tab\there"] {
            assert!(
                matches!(GatewayId::new(bad), Err(TopicError::ForbiddenCharacter(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            GatewayId::new("x".repeat(65)),
            Err(TopicError::TooLong(_))
        ));
    }

    #[test]
    fn parsing_rejects_wildcards_foreign_prefixes_and_odd_shapes() {
        for bad in [
            "smsgate/v1/gw/+/up/inbound",
            "smsgate/v1/gw/#",
            "smsgate/v2/gw/a/up/inbound",
            "other/a/up/inbound",
            "smsgate/v1/gw/a/up",
            "smsgate/v1/gw/a/sideways/send",
            "smsgate/v1/gw/a/up/inbound/extra",
            "smsgate/v1/gw//state",
            "smsgate/v1/gw/a/up/+",
        ] {
            assert!(Topic::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unknown_kind_parses_so_that_it_can_be_acked_as_unsupported() {
        let t = Topic::parse("smsgate/v1/gw/a/up/mms").unwrap();
        assert_eq!(t.kind, TopicKind::Up(UpKind::Unknown("mms".into())));
        let t = Topic::parse("smsgate/v1/gw/a/down/reboot_modem").unwrap();
        assert_eq!(
            t.kind,
            TopicKind::Down(DownKind::Unknown("reboot_modem".into()))
        );
    }

    #[test]
    fn a_gateway_may_publish_only_its_own_up_and_state_topics() {
        let g = gw("a");
        assert!(gateway_may(
            &g,
            Direction::Publish,
            "smsgate/v1/gw/a/up/inbound"
        ));
        assert!(gateway_may(&g, Direction::Publish, "smsgate/v1/gw/a/state"));
        assert!(!gateway_may(
            &g,
            Direction::Publish,
            "smsgate/v1/gw/b/up/inbound"
        ));
        assert!(!gateway_may(
            &g,
            Direction::Publish,
            "smsgate/v1/gw/a/down/send"
        ));
        assert!(!gateway_may(
            &g,
            Direction::Publish,
            "smsgate/v1/gw/+/up/inbound"
        ));
    }

    #[test]
    fn a_gateway_may_subscribe_only_to_its_own_down_commands() {
        let g = gw("a");
        assert!(gateway_may(
            &g,
            Direction::Subscribe,
            "smsgate/v1/gw/a/down/+"
        ));
        assert!(gateway_may(
            &g,
            Direction::Subscribe,
            "smsgate/v1/gw/a/down/send"
        ));
        assert!(!gateway_may(
            &g,
            Direction::Subscribe,
            "smsgate/v1/gw/b/down/+"
        ));
        assert!(!gateway_may(
            &g,
            Direction::Subscribe,
            "smsgate/v1/gw/+/down/+"
        ));
        assert!(!gateway_may(&g, Direction::Subscribe, "smsgate/v1/gw/#"));
        assert!(!gateway_may(&g, Direction::Subscribe, "#"));
        assert!(!gateway_may(
            &g,
            Direction::Subscribe,
            "smsgate/v1/gw/a/up/+"
        ));
    }
}
