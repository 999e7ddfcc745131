//! MQTT wire contract between gateways and the hub: topics, versioned JSON payloads, acks.
//!
//! No I/O lives here: both sides (the gateway's MQTT client and the hub's broker link) depend on
//! this crate and only move bytes; meaning is decided here.
//!
//! Layout:
//! - [`topic`]: the topic tree `smsgate/v1/gw/{gateway_id}/…`, building and parsing topics,
//!   subscription filters and the per-gateway access rule ([`topic::gateway_may`]).
//! - [`msg`]: the JSON payloads. Gateway → hub messages are [`Up`] (inbound, status, dlr, ports,
//!   heartbeat, ack); hub → gateway commands are [`Down`] (send, cancel, config, reset, ussd,
//!   opt_outs, campaign, campaign_halt, ack);
//! - [`campaign`]: campaign slices a gateway executes on its own (contract version 4).
//!   the retained presence message is [`State`]. Every payload carries a unique `id` (UUID v7)
//!   and the contract version `v` it was written in.
//! - [`number`]: the one number rule (E.164 via `phonenumber`) both sides compare numbers by.
//! - [`version`]: the versions this build speaks and the negotiation rule.
//! - [`examples`]: one example of every topic and payload; `docs/mqtt.md` shows exactly these
//!   and a test checks that the document and the code agree.
//!
//! Delivery rule (contract version 2): the hub answers every up message with a receipt on
//! `down/ack` ([`Ack`] with `ack_of` = the message id) after storing it durably; the gateway
//! removes an event from its outbox only on that receipt. See [`version`].
//!
//! Compatibility rules: unknown JSON fields are ignored, new fields are always optional, a
//! message kind one side does not know is acknowledged with [`AckOutcome::Unsupported`].

pub mod campaign;
pub mod examples;
pub mod msg;
pub mod number;
pub mod topic;
pub mod version;

pub use campaign::{CampaignBatch, CampaignHalt, CampaignItem, HaltReason, Window};
pub use msg::{
    Ack, AckOutcome, Cancel, ConfigPatch, DecodeError, Delivery, DeliveryState, Down, Heartbeat,
    Inbound, OptOutChange, OptOutSync, PortInfo, Ports, Refusal, Reset, Send, SendState, State,
    Status, Up, Ussd,
};
pub use topic::{Direction, DownKind, GatewayId, Topic, TopicError, TopicKind, UpKind};
pub use version::{
    CAMPAIGNS_SINCE, CONVERSATIONS_SINCE, OPT_OUTS_SINCE, RECEIPTS_SINCE, REFUSALS_SINCE,
    SUPPORTED_VERSIONS, UNKNOWN_STATE_SINCE, negotiate, speaks, wants_receipts,
};
