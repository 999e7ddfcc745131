//! Webhook data: endpoints, the event types they subscribe to, deliveries and their attempts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An event a tenant's endpoints can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// An inbound message arrived (data: `message`).
    #[serde(rename = "message.received")]
    MessageReceived,
    /// A message's state changed (data: `message`); an update leaving the state alone (an
    /// error noted) is not one.
    #[serde(rename = "message.status_changed")]
    MessageStatusChanged,
    /// A conversation got a new assignee (data: `interaction`).
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned,
    /// A conversation was closed (data: `interaction`).
    #[serde(rename = "conversation.closed")]
    ConversationClosed,
    /// The tenant's opt-out list changed (data: `version`, the latest; `changes`, those since
    /// the last event, oldest first, at most 100, each `version`, `number`, `added`, `at`;
    /// `more`: there were more, read them from `GET /api/v1/opt-outs/changes`).
    #[serde(rename = "opt_out.changed")]
    OptOutChanged,
    /// A campaign completed (data: `campaign_id`, `name`, `state`).
    #[serde(rename = "campaign.finished")]
    CampaignFinished,
    /// "Send test event" (sent to the one endpoint it was asked for, never subscribed to).
    #[serde(rename = "webhook.test")]
    Test,
}

impl EventType {
    /// The types an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 6] = [
        EventType::MessageReceived,
        EventType::MessageStatusChanged,
        EventType::ConversationAssigned,
        EventType::ConversationClosed,
        EventType::OptOutChanged,
        EventType::CampaignFinished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MessageReceived => "message.received",
            EventType::MessageStatusChanged => "message.status_changed",
            EventType::ConversationAssigned => "conversation.assigned",
            EventType::ConversationClosed => "conversation.closed",
            EventType::OptOutChanged => "opt_out.changed",
            EventType::CampaignFinished => "campaign.finished",
            EventType::Test => "webhook.test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([EventType::Test])
            .find(|t| t.as_str() == s)
    }
}

/// An endpoint secret (`whsec_…`): shown once when made, kept to sign, never returned
/// afterwards; `Debug` prints it redacted and it has no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A new random secret.
    pub fn generate() -> Self {
        Secret(crate::secrets::random_token("whsec_"))
    }

    pub(crate) fn from_stored(s: String) -> Self {
        Secret(s)
    }

    /// The secret's text (to sign with, to show once).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A tenant's webhook endpoint (what the API returns: never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Endpoint {
    pub id: Uuid,
    pub org_id: Uuid,
    /// `http://` or `https://` URL the events are POSTed to.
    pub url: String,
    pub description: String,
    pub enabled: bool,
    /// The events sent to it.
    pub events: Vec<EventType>,
    /// The secret's first characters, to tell secrets apart.
    pub secret_prefix: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    pub fn wants(&self, t: EventType) -> bool {
        self.enabled && self.events.contains(&t)
    }
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// An attempt was answered 2xx.
    Delivered,
    /// Given up (still failing after the retry window).
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One event queued for one endpoint, with its attempts (the delivery log).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    /// The conversation it belongs to (deliveries of one conversation go out in order).
    pub interaction_id: Option<Uuid>,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (pending ones).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt's answer status, if any.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<u64>,
    /// Every attempt, oldest first.
    pub log: Vec<Attempt>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    /// 1-based.
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The answer's status (none when no answer came: refused, timed out).
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// An event as sent (the request body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookEvent {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// The tenant's id.
    pub tenant: Uuid,
    /// The event's data (see [`EventType`]).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A delivery due for an attempt, with what the worker needs to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub url: String,
    pub secret: Secret,
    pub event_id: Uuid,
    /// The body, exactly as signed.
    pub body: String,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let s = Secret::generate();
        assert!(s.expose().starts_with("whsec_"));
        let printed = format!("{s:?} {:?}", Some(&s));
        assert!(!printed.contains(s.expose()), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn event_types_round_trip_through_their_names() {
        for t in EventType::SUBSCRIBABLE.into_iter().chain([EventType::Test]) {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::json!(t.as_str())
            );
        }
        assert_eq!(EventType::parse("nope"), None);
    }
}
