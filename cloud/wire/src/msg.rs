//! JSON payloads. The topic names the kind; the payload is the kind's struct as a JSON object.
//!
//! Every payload has `id` (UUID v7, unique per message; the receiver de-duplicates by it) and
//! `v` (the contract version the sender wrote it in). Fields added after version 1 are optional
//! (`#[serde(default)]`) and unknown fields are ignored, so an old gateway's payload and a newer
//! gateway's payload both decode.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::campaign::{CampaignBatch, CampaignHalt};
use crate::topic::{DownKind, GatewayId, Topic, UpKind};

/// Errors decoding a payload.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The kind is not known to this build. `id` is the message id when the payload had one,
    /// so the receiver can answer with an `unsupported` ack.
    #[error("message kind {kind:?} is not supported by this build")]
    UnsupportedKind { kind: String, id: Option<Uuid> },
    #[error("invalid {kind} payload: {source}")]
    Json {
        kind: String,
        #[source]
        source: serde_json::Error,
    },
}

impl DecodeError {
    /// The ack to send back for an unsupported kind (None for malformed payloads without id).
    pub fn unsupported_ack(&self, v: u32) -> Option<Ack> {
        match self {
            Self::UnsupportedKind { kind, id: Some(id) } => Some(Ack {
                id: Uuid::now_v7(),
                v,
                ack_of: *id,
                outcome: AckOutcome::Unsupported,
                detail: Some(format!("unsupported message kind {kind:?}")),
            }),
            _ => None,
        }
    }
}

fn sniff_id(payload: &[u8]) -> Option<Uuid> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Uuid,
    }
    serde_json::from_slice::<IdOnly>(payload).ok().map(|x| x.id)
}

/// An SMS received by a modem on a gateway port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    pub id: Uuid,
    pub v: u32,
    /// Gateway port name (as in the gateway config, e.g. `"usb0"` or `"dinstar-3"`).
    pub port: String,
    /// The SIM's own number when the gateway knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_number: Option<String>,
    /// Sender (E.164 or alphanumeric).
    pub from: String,
    pub text: String,
    pub received_at: DateTime<Utc>,
}

/// Progress of an outbound message on the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// Spooled on the gateway.
    Queued,
    /// Accepted by the network (a TP-MR reference was returned).
    Sent,
    /// Gave up (after retries) or refused.
    Failed,
    /// Cancelled on request before it was sent.
    Cancelled,
    /// The send was interrupted after the message may have left (a timeout or lost answer
    /// after the payload was handed over): it is never resent automatically. `evidence` says
    /// what the gateway knows. Contract version 3; a later `sent`/`failed` status or a
    /// delivery report settles it.
    Unknown,
}

/// Status of a message the hub asked the gateway to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: Uuid,
    pub v: u32,
    /// The hub's message id from the [`Send`] command.
    pub message_id: Uuid,
    pub state: SendState,
    /// TP-MR message reference given by the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the gateway knows about an `unknown` send (version 3): the last exchange with the
    /// modem or device, the parts it recorded, a report that could not be matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// With state `failed`: the gateway refused the recipient itself, nothing was sent
    /// (version 5). A hub before version 5 ignores the field and sees a plain failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    pub at: DateTime<Utc>,
}

/// Why a gateway refused to send to a recipient (contract version 5, in [`Status::refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The recipient opted out (a list the hub pushed with `down/opt_outs`).
    OptedOut,
    /// The recipient is on the gateway's do-not-contact list.
    DoNotContact,
}

/// Final outcome from a delivery report (SMS-STATUS-REPORT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Delivered,
    Failed,
    Expired,
}

/// A delivery report for a message the hub asked the gateway to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: Uuid,
    pub v: u32,
    pub message_id: Uuid,
    pub state: DeliveryState,
    /// Discharge time from the report (SMSC clock).
    pub at: DateTime<Utc>,
    /// Contract version 6: when this report settled a message whose outcome was `unknown`, what
    /// the gateway recorded (the same line as [`Status::evidence`], now naming the report that
    /// settled it). Optional: older hubs ignore it, older gateways never send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// One port of a gateway as the gateway sees it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortInfo {
    pub port: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Signal quality 0..=31 (`AT+CSQ`), absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<u8>,
    pub registered: bool,
}

/// The gateway's port inventory (sent at start and on every change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ports {
    pub id: Uuid,
    pub v: u32,
    pub ports: Vec<PortInfo>,
}

/// Periodic liveness message; re-announces the versions the gateway speaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub id: Uuid,
    pub v: u32,
    pub versions: Vec<u32>,
    pub uptime_s: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    pub at: DateTime<Utc>,
}

/// How the receiver handled a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckOutcome {
    /// Applied now (in a hub receipt: durably stored, possibly earlier under the same id).
    Applied,
    /// Already applied earlier (same id seen again); nothing changed.
    Duplicate,
    /// Understood but refused (`detail` says why).
    Rejected,
    /// The kind is unknown to the receiver.
    Unsupported,
}

/// Acknowledgement of one message by id. Gateways ack every down command on `up/ack`. The hub
/// acks every up message on `down/ack` (contract version 2, see [`crate::version`]): `applied`
/// once it is durably stored (a duplicate included), `rejected` or `unsupported` when it cannot
/// take it. Each of these is final: the gateway drops the event from its outbox on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub id: Uuid,
    pub v: u32,
    pub ack_of: Uuid,
    pub outcome: AckOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Ack {
    /// Whether the receiver refused the message (`rejected` or `unsupported`): it will never
    /// be taken, retrying is pointless.
    pub fn is_refusal(&self) -> bool {
        matches!(self.outcome, AckOutcome::Rejected | AckOutcome::Unsupported)
    }

    /// An ack of message `ack_of`, written in version `v`, with a fresh id.
    pub fn new(ack_of: Uuid, v: u32, outcome: AckOutcome, detail: Option<String>) -> Self {
        Self {
            id: Uuid::now_v7(),
            v,
            ack_of,
            outcome,
            detail,
        }
    }
}

/// Send an SMS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Send {
    pub id: Uuid,
    pub v: u32,
    /// The hub's message id; status and delivery reports refer to it.
    pub message_id: Uuid,
    pub port: String,
    pub to: String,
    pub text: String,
    /// Ask the network for a delivery report.
    #[serde(default = "yes")]
    pub request_dlr: bool,
    /// Part of a conversation (contract version 7, [`CONVERSATIONS_SINCE`](crate::CONVERSATIONS_SINCE)):
    /// a live reply, a single message without a campaign or the hub's own automatic reply,
    /// which an opt-out does not stop (STOP stops bulk messages; the hub decided this one may
    /// go). The gateway then does not check the pushed lists ([`OptOutSync`]) for it. `false`,
    /// the default and what a version-6 hub means, is a bulk message that honours them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub conversation: bool,
}

fn yes() -> bool {
    true
}

/// Cancel a message not yet sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancel {
    pub id: Uuid,
    pub v: u32,
    pub message_id: Uuid,
}

/// Change gateway settings at run time (keys as in the gateway config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigPatch {
    pub id: Uuid,
    pub v: u32,
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// Power-cycle / re-initialise a port (or every port when `port` is absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reset {
    pub id: Uuid,
    pub v: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
}

/// Run a USSD code on a port (the answer comes back as an `up/ack` detail).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ussd {
    pub id: Uuid,
    pub v: u32,
    pub port: String,
    pub code: String,
}

/// One change of a tenant's opt-out list: `number` (E.164, or an alphanumeric / short code as
/// the hub stores it) was added (`true`) or removed (`false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOutChange {
    pub number: String,
    pub added: bool,
}

/// Opt-outs of one tenant pushed to a gateway carrying its channels (contract version 3).
///
/// The hub keeps a versioned change log per tenant. A command moves the gateway's copy of
/// that tenant's list from `from_version` to `to_version` by applying `changes` in order;
/// with `replace` the gateway first empties the tenant's list (the first command of a
/// snapshot; the rest of a large snapshot follows as commands with `from_version ==
/// to_version`). The gateway acks `applied` when its copy is at `to_version` afterwards
/// (also when it already was: `duplicate`), and `rejected` with `detail`
/// `"gap: holding version N"` when it holds a version older than `from_version`; the hub then
/// sends a snapshot. See `docs/mqtt.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptOutSync {
    pub id: Uuid,
    pub v: u32,
    /// The hub's id of the tenant the list belongs to.
    pub tenant: Uuid,
    #[serde(default)]
    pub replace: bool,
    pub from_version: i64,
    pub to_version: i64,
    /// The ports of this gateway carrying the tenant's channels: a message the hub sends on
    /// one of them honours this list; a message submitted on the gateway itself honours
    /// every tenant's list.
    #[serde(default)]
    pub ports: Vec<String>,
    /// ISO 3166 alpha-2 country the gateway reads recipients written without an international
    /// prefix in, when comparing them with this list (the tenant's channel or tenant country).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub changes: Vec<OptOutChange>,
}

/// Retained presence on `smsgate/v1/gw/{id}/state`. The gateway publishes `online: true` on
/// connect and registers `online: false` as its last will.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub id: Uuid,
    pub v: u32,
    pub online: bool,
    /// Contract versions the gateway speaks.
    #[serde(default)]
    pub versions: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
}

impl State {
    /// The retained presence a gateway publishes after connecting, announcing every
    /// version it speaks ([`crate::SUPPORTED_VERSIONS`] for this build).
    pub fn online(software: Option<String>) -> Self {
        Self {
            id: Uuid::now_v7(),
            v: crate::version::SUPPORTED_VERSIONS
                .last()
                .copied()
                .unwrap_or(1),
            online: true,
            versions: crate::version::SUPPORTED_VERSIONS.to_vec(),
            software,
        }
    }

    /// The last will registered at connect (published retained by the broker when the
    /// gateway vanishes).
    pub fn offline() -> Self {
        Self {
            online: false,
            ..Self::online(None)
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        encode_json(self)
    }
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        decode_json("state", payload)
    }
}

fn encode_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Invariant: these structs contain only strings, numbers, UUIDs, timestamps and JSON maps
    // with string keys, which serde_json always serialises.
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode_json<T: for<'de> Deserialize<'de>>(kind: &str, payload: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(payload).map_err(|source| DecodeError::Json {
        kind: kind.to_owned(),
        source,
    })
}

/// Gateway → hub messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Up {
    Inbound(Inbound),
    Status(Status),
    Dlr(Delivery),
    Ports(Ports),
    Heartbeat(Heartbeat),
    Ack(Ack),
}

impl Up {
    pub fn kind(&self) -> UpKind {
        match self {
            Self::Inbound(_) => UpKind::Inbound,
            Self::Status(_) => UpKind::Status,
            Self::Dlr(_) => UpKind::Dlr,
            Self::Ports(_) => UpKind::Ports,
            Self::Heartbeat(_) => UpKind::Heartbeat,
            Self::Ack(_) => UpKind::Ack,
        }
    }

    /// The message id (de-duplication key).
    pub fn id(&self) -> Uuid {
        match self {
            Self::Inbound(m) => m.id,
            Self::Status(m) => m.id,
            Self::Dlr(m) => m.id,
            Self::Ports(m) => m.id,
            Self::Heartbeat(m) => m.id,
            Self::Ack(m) => m.id,
        }
    }

    pub fn topic(&self, gateway: &GatewayId) -> Topic {
        Topic::up(gateway, self.kind())
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Inbound(m) => encode_json(m),
            Self::Status(m) => encode_json(m),
            Self::Dlr(m) => encode_json(m),
            Self::Ports(m) => encode_json(m),
            Self::Heartbeat(m) => encode_json(m),
            Self::Ack(m) => encode_json(m),
        }
    }

    pub fn decode(kind: &UpKind, payload: &[u8]) -> Result<Self, DecodeError> {
        let k = kind.as_str();
        Ok(match kind {
            UpKind::Inbound => Self::Inbound(decode_json(k, payload)?),
            UpKind::Status => Self::Status(decode_json(k, payload)?),
            UpKind::Dlr => Self::Dlr(decode_json(k, payload)?),
            UpKind::Ports => Self::Ports(decode_json(k, payload)?),
            UpKind::Heartbeat => Self::Heartbeat(decode_json(k, payload)?),
            UpKind::Ack => Self::Ack(decode_json(k, payload)?),
            UpKind::Unknown(kind) => {
                return Err(DecodeError::UnsupportedKind {
                    kind: kind.clone(),
                    id: sniff_id(payload),
                });
            }
        })
    }
}

/// Hub → gateway commands.
#[derive(Debug, Clone, PartialEq)]
pub enum Down {
    Send(Send),
    Cancel(Cancel),
    Config(ConfigPatch),
    Reset(Reset),
    Ussd(Ussd),
    OptOuts(OptOutSync),
    /// A slice of a campaign for one port (contract version 4).
    Campaign(CampaignBatch),
    /// Withdraw a campaign's unsent recipients (contract version 4).
    CampaignHalt(CampaignHalt),
    Ack(Ack),
}

impl Down {
    pub fn kind(&self) -> DownKind {
        match self {
            Self::Send(_) => DownKind::Send,
            Self::Cancel(_) => DownKind::Cancel,
            Self::Config(_) => DownKind::Config,
            Self::Reset(_) => DownKind::Reset,
            Self::Ussd(_) => DownKind::Ussd,
            Self::OptOuts(_) => DownKind::OptOuts,
            Self::Campaign(_) => DownKind::Campaign,
            Self::CampaignHalt(_) => DownKind::CampaignHalt,
            Self::Ack(_) => DownKind::Ack,
        }
    }

    /// The command id (the gateway acks by it and applies each id once).
    pub fn id(&self) -> Uuid {
        match self {
            Self::Send(m) => m.id,
            Self::Cancel(m) => m.id,
            Self::Config(m) => m.id,
            Self::Reset(m) => m.id,
            Self::Ussd(m) => m.id,
            Self::OptOuts(m) => m.id,
            Self::Campaign(m) => m.id,
            Self::CampaignHalt(m) => m.id,
            Self::Ack(m) => m.id,
        }
    }

    pub fn topic(&self, gateway: &GatewayId) -> Topic {
        Topic::down(gateway, self.kind())
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Send(m) => encode_json(m),
            Self::Cancel(m) => encode_json(m),
            Self::Config(m) => encode_json(m),
            Self::Reset(m) => encode_json(m),
            Self::Ussd(m) => encode_json(m),
            Self::OptOuts(m) => encode_json(m),
            Self::Campaign(m) => encode_json(m),
            Self::CampaignHalt(m) => encode_json(m),
            Self::Ack(m) => encode_json(m),
        }
    }

    pub fn decode(kind: &DownKind, payload: &[u8]) -> Result<Self, DecodeError> {
        let k = kind.as_str();
        Ok(match kind {
            DownKind::Send => Self::Send(decode_json(k, payload)?),
            DownKind::Cancel => Self::Cancel(decode_json(k, payload)?),
            DownKind::Config => Self::Config(decode_json(k, payload)?),
            DownKind::Reset => Self::Reset(decode_json(k, payload)?),
            DownKind::Ussd => Self::Ussd(decode_json(k, payload)?),
            DownKind::OptOuts => Self::OptOuts(decode_json(k, payload)?),
            DownKind::Campaign => Self::Campaign(decode_json(k, payload)?),
            DownKind::CampaignHalt => Self::CampaignHalt(decode_json(k, payload)?),
            DownKind::Ack => Self::Ack(decode_json(k, payload)?),
            DownKind::Unknown(kind) => {
                return Err(DecodeError::UnsupportedKind {
                    kind: kind.clone(),
                    id: sniff_id(payload),
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_gateway_inbound_without_optional_fields_is_accepted() {
        let old = br#"{"id":"01936d3c-1c6a-7d4e-8f00-000000000001","v":1,"port":"usb0",
            "from":"+33612345678","text":"hello","received_at":"2026-11-21T14:00:00Z"}"#;
        let Up::Inbound(m) = Up::decode(&UpKind::Inbound, old).unwrap() else {
            panic!("wrong kind")
        };
        assert_eq!(m.sim_number, None);
        assert_eq!(m.text, "hello");
    }

    #[test]
    fn a_newer_gateway_payload_with_extra_fields_is_accepted() {
        let newer = br#"{"id":"01936d3c-1c6a-7d4e-8f00-000000000002","v":2,"port":"usb0",
            "sim_number":"+33700000000","from":"+33612345678","text":"hi",
            "received_at":"2026-11-21T14:00:00Z","udh":{"concat":[1,2]},"smsc":"+33609001390"}"#;
        let up = Up::decode(&UpKind::Inbound, newer).unwrap();
        assert_eq!(up.kind(), UpKind::Inbound);
        let Up::Inbound(m) = up else { panic!() };
        assert_eq!(m.v, 2);
    }

    #[test]
    fn an_unknown_up_kind_yields_an_unsupported_ack_for_its_id() {
        let payload = br#"{"id":"01936d3c-1c6a-7d4e-8f00-000000000003","v":3,"media":"x"}"#;
        let err = Up::decode(&UpKind::Unknown("mms".into()), payload).unwrap_err();
        let ack = err.unsupported_ack(1).unwrap();
        assert_eq!(ack.outcome, AckOutcome::Unsupported);
        assert_eq!(
            ack.ack_of.to_string(),
            "01936d3c-1c6a-7d4e-8f00-000000000003"
        );
    }

    #[test]
    fn an_unknown_down_kind_is_reported_as_unsupported_not_as_garbage() {
        let payload = br#"{"id":"01936d3c-1c6a-7d4e-8f00-000000000004","v":2}"#;
        let err = Down::decode(&DownKind::Unknown("reboot".into()), payload).unwrap_err();
        assert!(matches!(err, DecodeError::UnsupportedKind { .. }));
    }

    #[test]
    fn the_online_state_announces_every_supported_version_and_the_will_is_offline() {
        let on = State::online(Some("smsgate 0.1.0".into()));
        assert!(on.online);
        assert_eq!(on.versions, crate::SUPPORTED_VERSIONS);
        let off = State::offline();
        assert!(!off.online);
        assert_eq!(State::decode(&off.encode()).unwrap(), off);
    }

    #[test]
    fn only_rejected_and_unsupported_acks_are_refusals() {
        let of = Uuid::now_v7();
        let refusal = |outcome| Ack::new(of, 2, outcome, None).is_refusal();
        assert!(!refusal(AckOutcome::Applied));
        assert!(!refusal(AckOutcome::Duplicate));
        assert!(refusal(AckOutcome::Rejected));
        assert!(refusal(AckOutcome::Unsupported));
    }

    #[test]
    fn a_malformed_payload_names_its_kind() {
        let err = Up::decode(&UpKind::Status, b"{\"id\":1}").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid status payload"),
            "{err}"
        );
        assert!(err.unsupported_ack(1).is_none());
    }

    #[test]
    fn an_opt_out_sync_without_optional_fields_is_a_delta_for_every_port() {
        let p = br#"{"id":"01936d3c-1c6a-7d4e-8f00-000000000007","v":3,
            "tenant":"01936d3c-1c6a-7d4e-8f00-000000000008","from_version":1,"to_version":2,
            "changes":[{"number":"+33612345678","added":true}]}"#;
        let d = Down::decode(&DownKind::from_level("opt_outs"), p).unwrap();
        let Down::OptOuts(o) = d else {
            panic!("wrong kind")
        };
        assert!(!o.replace);
        assert!(o.ports.is_empty());
        assert_eq!(o.country, None);
        assert_eq!(o.changes.len(), 1);
    }

    #[test]
    fn a_version_two_status_has_no_evidence_and_unknown_is_a_state() {
        let p = br#"{"id":"01936d3c-1c6a-7d4e-8f00-000000000009","v":2,
            "message_id":"01936d3c-1c6a-7d4e-8f00-000000000006","state":"failed","at":"2026-11-21T14:00:00Z"}"#;
        let Up::Status(s) = Up::decode(&UpKind::Status, p).unwrap() else {
            panic!()
        };
        assert_eq!(s.evidence, None);
        let u = br#"{"id":"01936d3c-1c6a-7d4e-8f00-00000000000a","v":3,
            "message_id":"01936d3c-1c6a-7d4e-8f00-000000000006","state":"unknown",
            "evidence":"no answer","at":"2026-11-21T14:00:00Z"}"#;
        let Up::Status(s) = Up::decode(&UpKind::Status, u).unwrap() else {
            panic!()
        };
        assert_eq!(s.state, SendState::Unknown);
        assert_eq!(s.evidence.as_deref(), Some("no answer"));
    }

    #[test]
    fn a_refused_status_says_why_and_one_without_the_field_is_a_plain_failure() {
        let p = br#"{"id":"01936d3c-1c6a-7d4e-8f00-00000000000b","v":5,
            "message_id":"01936d3c-1c6a-7d4e-8f00-000000000006","state":"failed",
            "refused":"do_not_contact","at":"2026-11-21T14:00:00Z"}"#;
        let Up::Status(s) = Up::decode(&UpKind::Status, p).unwrap() else {
            panic!()
        };
        assert_eq!(
            (s.state, s.refused),
            (SendState::Failed, Some(Refusal::DoNotContact))
        );
        let plain = Status { refused: None, ..s };
        let json = String::from_utf8(Up::Status(plain.clone()).encode()).unwrap();
        assert!(
            !json.contains("refused"),
            "a status without a refusal is written as in version 4: {json}"
        );
        let Up::Status(back) = Up::decode(&UpKind::Status, json.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(back.refused, None);
    }

    #[test]
    fn a_send_command_without_request_dlr_asks_for_a_report() {
        let p = br#"{"id":"01936d3c-1c6a-7d4e-8f00-000000000005","v":1,
            "message_id":"01936d3c-1c6a-7d4e-8f00-000000000006","port":"usb0","to":"+331","text":"x"}"#;
        let Down::Send(s) = Down::decode(&DownKind::Send, p).unwrap() else {
            panic!()
        };
        assert!(s.request_dlr);
        assert!(
            !s.conversation,
            "a send from a version-6 hub is a bulk message that honours the pushed lists"
        );
    }

    #[test]
    fn a_bulk_send_is_written_as_in_version_6_and_a_conversation_says_so() {
        let mut s = Send {
            id: Uuid::nil(),
            v: 7,
            message_id: Uuid::nil(),
            port: "0".into(),
            to: "+33611111111".into(),
            text: "x".into(),
            request_dlr: true,
            conversation: false,
        };
        let bulk = String::from_utf8(Down::Send(s.clone()).encode()).unwrap();
        assert!(!bulk.contains("conversation"), "{bulk}");
        s.conversation = true;
        let reply = Down::Send(s.clone()).encode();
        assert!(String::from_utf8_lossy(&reply).contains(r#""conversation":true"#));
        assert_eq!(
            Down::decode(&DownKind::Send, &reply).unwrap(),
            Down::Send(s)
        );
    }

    #[test]
    fn encode_then_decode_is_identity_for_every_example() {
        for ex in crate::examples::all() {
            match ex.message {
                crate::examples::Message::Up(up) => {
                    assert_eq!(Up::decode(&up.kind(), &up.encode()).unwrap(), up)
                }
                crate::examples::Message::Down(d) => {
                    assert_eq!(Down::decode(&d.kind(), &d.encode()).unwrap(), d)
                }
                crate::examples::Message::State(s) => {
                    assert_eq!(State::decode(&s.encode()).unwrap(), s)
                }
            }
        }
    }
}
