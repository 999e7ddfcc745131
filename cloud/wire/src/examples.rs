//! One example of every topic and payload. `docs/mqtt.md` embeds [`markdown`] verbatim between
//! `<!-- examples:begin -->` and `<!-- examples:end -->`; the crate's `docs_examples` test
//! checks the document against this code and decodes every JSON block in it.

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::msg::*;
use crate::topic::{GatewayId, Topic};

/// A documented message.
#[derive(Debug, Clone)]
pub enum Message {
    Up(Up),
    Down(Down),
    State(State),
}

/// An example: its title, topic and payload.
#[derive(Debug, Clone)]
pub struct Example {
    pub title: &'static str,
    pub topic: Topic,
    pub message: Message,
}

fn id(n: u16) -> Uuid {
    Uuid::from_u128(0x0193_6d3c_1c6a_7d4e_8f00_0000_0000_0000 | u128::from(n))
}

fn at(sec: u32) -> DateTime<Utc> {
    // Invariant: a fixed, valid calendar date.
    Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, sec)
        .single()
        .unwrap_or_default()
}

/// The gateway id used in the examples.
pub fn gateway() -> GatewayId {
    // Invariant: a literal without forbidden characters.
    GatewayId::new("gw-7f3a").unwrap_or_else(|_| unreachable!())
}

/// Every example, in documentation order.
pub fn all() -> Vec<Example> {
    let g = gateway();
    let up = |title, m: Up| Example {
        title,
        topic: m.topic(&g),
        message: Message::Up(m),
    };
    let down = |title, m: Down| Example {
        title,
        topic: m.topic(&g),
        message: Message::Down(m),
    };
    let mut settings = serde_json::Map::new();
    settings.insert("spool.retry_max".into(), serde_json::Value::from(5));
    vec![
        Example {
            title: "Presence (retained; the last will carries `\"online\": false`)",
            topic: Topic::state(&g),
            message: Message::State(State {
                id: id(1),
                v: 2,
                online: true,
                versions: vec![1, 2],
                software: Some("smsgate 0.1.0".into()),
            }),
        },
        up(
            "Inbound SMS",
            Up::Inbound(Inbound {
                id: id(2),
                v: 1,
                port: "usb0".into(),
                sim_number: Some("+33700000001".into()),
                from: "+33612345678".into(),
                text: "Bonjour, je voudrais un rendez-vous".into(),
                received_at: at(5),
            }),
        ),
        up(
            "Send status",
            Up::Status(Status {
                id: id(3),
                v: 1,
                message_id: id(100),
                state: SendState::Sent,
                reference: Some(42),
                error: None,
                evidence: None,
                refused: None,
                at: at(10),
            }),
        ),
        up(
            "Send status: outcome unknown (version 3; never resent, settled by a later status or report)",
            Up::Status(Status {
                id: id(8),
                v: 3,
                message_id: id(101),
                state: SendState::Unknown,
                reference: None,
                error: Some("no answer to AT+CMGS within 60 s after the PDU was written".into()),
                evidence: Some(
                    "AT+CMGS=23 → > → PDU sent, then no final result within 60000 ms; part 1/1"
                        .into(),
                ),
                refused: None,
                at: at(11),
            }),
        ),
        up(
            "Send status: refused by the gateway, the recipient opted out (version 5; `do_not_contact` for its own list)",
            Up::Status(Status {
                id: id(10),
                v: 5,
                message_id: id(311),
                state: SendState::Failed,
                reference: None,
                error: Some("recipient opted out (list pushed by the hub)".into()),
                evidence: None,
                refused: Some(Refusal::OptedOut),
                at: at(12),
            }),
        ),
        up(
            "Delivery report",
            Up::Dlr(Delivery {
                id: id(4),
                v: 1,
                message_id: id(100),
                state: DeliveryState::Delivered,
                at: at(12),
                evidence: None,
            }),
        ),
        up(
            "Delivery report that settled an `unknown` outcome (version 6), with the gateway's record",
            Up::Dlr(Delivery {
                id: id(13),
                v: 6,
                message_id: id(101),
                state: DeliveryState::Delivered,
                at: at(13),
                evidence: Some(
                    "port 0, attempt 1; part 1 delivered on port 0 (TP-MR 7); report 3 delivered on port 0 (TP-MR 7) settled it"
                        .into(),
                ),
            }),
        ),
        up(
            "Port inventory",
            Up::Ports(Ports {
                id: id(5),
                v: 1,
                ports: vec![PortInfo {
                    port: "usb0".into(),
                    sim_number: Some("+33700000001".into()),
                    imsi: Some("208150000000001".into()),
                    operator: Some("Free".into()),
                    signal: Some(21),
                    registered: true,
                }],
            }),
        ),
        up(
            "Heartbeat",
            Up::Heartbeat(Heartbeat {
                id: id(6),
                v: 1,
                versions: vec![1],
                uptime_s: 3600,
                software: Some("smsgate 0.1.0".into()),
                at: at(30),
            }),
        ),
        up(
            "Ack of a down command",
            Up::Ack(Ack {
                id: id(7),
                v: 1,
                ack_of: id(200),
                outcome: AckOutcome::Applied,
                detail: None,
            }),
        ),
        down(
            "Send an SMS",
            Down::Send(Send {
                id: id(200),
                v: 1,
                message_id: id(100),
                port: "usb0".into(),
                to: "+33612345678".into(),
                text: "Votre rendez-vous est confirmé".into(),
                request_dlr: true,
                conversation: false,
            }),
        ),
        down(
            "Send an agent's reply, which an opt-out does not stop (version 7)",
            Down::Send(Send {
                id: id(211),
                v: 7,
                message_id: id(102),
                port: "usb0".into(),
                to: "+33612345678".into(),
                text: "Bien noté, vous ne recevrez plus nos offres.".into(),
                request_dlr: true,
                conversation: true,
            }),
        ),
        down(
            "Cancel a message not yet sent",
            Down::Cancel(Cancel {
                id: id(201),
                v: 1,
                message_id: id(100),
            }),
        ),
        down(
            "Change settings",
            Down::Config(ConfigPatch {
                id: id(202),
                v: 1,
                settings,
            }),
        ),
        down(
            "Reset a port",
            Down::Reset(Reset {
                id: id(203),
                v: 1,
                port: Some("usb0".into()),
            }),
        ),
        down(
            "Run a USSD code",
            Down::Ussd(Ussd {
                id: id(204),
                v: 1,
                port: "usb0".into(),
                code: "*100#".into(),
            }),
        ),
        down(
            "A tenant's opt-outs, delta from version 41 to 43 (version 3)",
            Down::OptOuts(OptOutSync {
                id: id(207),
                v: 3,
                tenant: id(300),
                replace: false,
                from_version: 41,
                to_version: 43,
                ports: vec!["usb0".into()],
                country: Some("FR".into()),
                changes: vec![
                    OptOutChange {
                        number: "+33612345678".into(),
                        added: true,
                    },
                    OptOutChange {
                        number: "+33698765432".into(),
                        added: false,
                    },
                ],
            }),
        ),
        down(
            "A tenant's opt-outs, snapshot (the list replaced; version 3)",
            Down::OptOuts(OptOutSync {
                id: id(208),
                v: 3,
                tenant: id(300),
                replace: true,
                from_version: 0,
                to_version: 43,
                ports: vec!["usb0".into()],
                country: Some("FR".into()),
                changes: vec![OptOutChange {
                    number: "+33612345678".into(),
                    added: true,
                }],
            }),
        ),
        down(
            "A campaign's recipients for one port, sent inside its windows (version 4)",
            Down::Campaign(crate::campaign::CampaignBatch {
                id: id(209),
                v: 4,
                campaign: id(310),
                name: "Spring offer".into(),
                port: "usb0".into(),
                interval_ms: 2000,
                priority: 0,
                windows: vec![crate::campaign::Window {
                    from: at(0),
                    until: at(0) + chrono::Duration::hours(8),
                }],
                expires_at: Some(at(0) + chrono::Duration::days(7)),
                items: vec![crate::campaign::CampaignItem {
                    message_id: id(311),
                    to: "+33612345678".into(),
                    text: "Hi Ana, -20% this week".into(),
                }],
            }),
        ),
        down(
            "Withdraw a campaign's unsent recipients (version 4)",
            Down::CampaignHalt(crate::campaign::CampaignHalt {
                id: id(210),
                v: 4,
                campaign: id(310),
                reason: crate::campaign::HaltReason::Paused,
            }),
        ),
        down(
            "Hub receipt of an up message it stored (version 2; the gateway drops the event from its outbox)",
            Down::Ack(Ack {
                id: id(206),
                v: 2,
                ack_of: id(2),
                outcome: AckOutcome::Applied,
                detail: None,
            }),
        ),
        down(
            "Hub ack of an up message it cannot take",
            Down::Ack(Ack {
                id: id(205),
                v: 1,
                ack_of: id(9),
                outcome: AckOutcome::Unsupported,
                detail: Some("unsupported message kind \"mms\"".into()),
            }),
        ),
    ]
}

/// Pretty JSON of an example's payload.
pub fn pretty_json(message: &Message) -> String {
    fn p<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string_pretty(v).unwrap_or_default()
    }
    match message {
        Message::State(m) => p(m),
        Message::Up(Up::Inbound(m)) => p(m),
        Message::Up(Up::Status(m)) => p(m),
        Message::Up(Up::Dlr(m)) => p(m),
        Message::Up(Up::Ports(m)) => p(m),
        Message::Up(Up::Heartbeat(m)) => p(m),
        Message::Up(Up::Ack(m)) => p(m),
        Message::Down(Down::Send(m)) => p(m),
        Message::Down(Down::Cancel(m)) => p(m),
        Message::Down(Down::Config(m)) => p(m),
        Message::Down(Down::Reset(m)) => p(m),
        Message::Down(Down::Ussd(m)) => p(m),
        Message::Down(Down::OptOuts(m)) => p(m),
        Message::Down(Down::Campaign(m)) => p(m),
        Message::Down(Down::CampaignHalt(m)) => p(m),
        Message::Down(Down::Ack(m)) => p(m),
    }
}

/// The examples section of `docs/mqtt.md`.
pub fn markdown() -> String {
    let mut out = String::new();
    for ex in all() {
        out.push_str(&format!(
            "### {}\n\nTopic: `{}`\n\n```json\n{}\n```\n\n",
            ex.title,
            ex.topic,
            pretty_json(&ex.message)
        ));
    }
    out
}
