//! The outbound message lifecycle as a pure state machine.
//!
//! ```text
//! queued ──claim──▶ sending ──sent──▶ sent ──delivered──▶ delivered
//!   │  ▲              │  │               └──delivery_failed──▶ failed
//!   │  └─retry_later──┘  └──send_failed──▶ failed
//!   ├──expire──▶ expired          sending ──crash_recovered | outcome_unknown──▶ unknown
//!   └──cancel──▶ cancelled        (only before sending starts: queued, waiting or retrying)
//! unknown | failed ──requeue──▶ queued          (blocked is terminal, set at submission)
//! unknown ──evidence_delivered──▶ delivered     (a status report matched it without ambiguity:
//! unknown ──evidence_failed──▶ failed            see `spool::evidence`)
//! sent ──report_window_elapsed──▶ no_report ──delivered──▶ delivered (a late report still counts)
//!                                           └──delivery_failed──▶ failed
//! unknown ──sent | send_failed──▶ sent | failed  (reconciled: the device says what happened)
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// State of an outbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Waiting for a port.
    Queued,
    /// Taken by a port worker; the modem may be transmitting.
    Sending,
    /// Every part accepted by the network (SMSC), waiting for delivery reports.
    Sent,
    /// Every part reported delivered.
    Delivered,
    /// Permanently failed (reason recorded).
    Failed,
    /// Validity ran out before it could be sent.
    Expired,
    /// Recipient is on the do-not-contact list; never sent.
    Blocked,
    /// Was `sending` when the gateway stopped uncleanly; may or may not have gone out.
    Unknown,
    /// Cancelled on request before a port took it; never sent.
    Cancelled,
    /// Sent, but no delivery report came within the report window (a late one still settles it).
    NoReport,
}

impl MessageState {
    /// All states (for exhaustive tests and metrics).
    pub const ALL: [MessageState; 10] = [
        MessageState::Queued,
        MessageState::Sending,
        MessageState::Sent,
        MessageState::Delivered,
        MessageState::Failed,
        MessageState::Expired,
        MessageState::Blocked,
        MessageState::Unknown,
        MessageState::Cancelled,
        MessageState::NoReport,
    ];

    /// The name stored in the database and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Queued => "queued",
            MessageState::Sending => "sending",
            MessageState::Sent => "sent",
            MessageState::Delivered => "delivered",
            MessageState::Failed => "failed",
            MessageState::Expired => "expired",
            MessageState::Blocked => "blocked",
            MessageState::Unknown => "unknown",
            MessageState::Cancelled => "cancelled",
            MessageState::NoReport => "no_report",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The state a new submission starts in.
    pub fn initial(blocked: bool) -> Self {
        if blocked {
            MessageState::Blocked
        } else {
            MessageState::Queued
        }
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happens to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageEvent {
    /// A port worker took it.
    Claim,
    /// The network accepted every part.
    SendSucceeded,
    /// A permanent error.
    SendFailed,
    /// A retryable error before anything was transmitted: back to the queue (failover).
    RetryLater,
    /// Every part's delivery report says delivered.
    Delivered,
    /// A delivery report says a part failed.
    DeliveryFailed,
    /// Its validity ran out while queued.
    Expire,
    /// Found in `sending` at startup.
    CrashRecovered,
    /// The send may or may not have gone out (e.g. a timeout after the PDU was transmitted).
    OutcomeUnknown,
    /// Operator asked to try again.
    Requeue,
    /// Operator (or the hub) asked not to send it.
    Cancel,
    /// A status report matched an `unknown` message without ambiguity and says delivered.
    EvidenceDelivered,
    /// A status report matched an `unknown` message without ambiguity and says failed.
    EvidenceFailed,
    /// The report window ran out on a `sent` message with no delivery report.
    ReportWindowElapsed,
}

impl MessageEvent {
    /// All events (for exhaustive tests).
    pub const ALL: [MessageEvent; 14] = [
        MessageEvent::Claim,
        MessageEvent::SendSucceeded,
        MessageEvent::SendFailed,
        MessageEvent::RetryLater,
        MessageEvent::Delivered,
        MessageEvent::DeliveryFailed,
        MessageEvent::Expire,
        MessageEvent::CrashRecovered,
        MessageEvent::OutcomeUnknown,
        MessageEvent::Requeue,
        MessageEvent::Cancel,
        MessageEvent::EvidenceDelivered,
        MessageEvent::EvidenceFailed,
        MessageEvent::ReportWindowElapsed,
    ];
}

/// An event that is not allowed in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a message in state {from} cannot take event {event:?}")]
pub struct InvalidTransition {
    /// The state the message was in.
    pub from: MessageState,
    /// The refused event.
    pub event: MessageEvent,
}

/// The transition function.
pub fn apply(state: MessageState, event: MessageEvent) -> Result<MessageState, InvalidTransition> {
    use MessageEvent as E;
    use MessageState as S;
    let next = match (state, event) {
        (S::Queued, E::Claim) => S::Sending,
        (S::Queued, E::Expire) => S::Expired,
        (S::Queued, E::Cancel) => S::Cancelled,
        (S::Sending, E::SendSucceeded) => S::Sent,
        (S::Sending, E::SendFailed) => S::Failed,
        (S::Sending, E::RetryLater) => S::Queued,
        (S::Sending, E::CrashRecovered | E::OutcomeUnknown) => S::Unknown,
        (S::Sent | S::NoReport, E::Delivered) => S::Delivered,
        (S::Sent | S::NoReport, E::DeliveryFailed) => S::Failed,
        (S::Sent, E::ReportWindowElapsed) => S::NoReport,
        (S::Unknown, E::EvidenceDelivered) => S::Delivered,
        (S::Unknown, E::EvidenceFailed) => S::Failed,
        (S::Unknown | S::Failed, E::Requeue) => S::Queued,
        // Reconciliation: the device (a Dinstar's query_sms_result) tells what became of it.
        (S::Unknown, E::SendSucceeded) => S::Sent,
        (S::Unknown, E::SendFailed) => S::Failed,
        (from, event) => return Err(InvalidTransition { from, event }),
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageEvent as E;
    use MessageState as S;

    #[test]
    fn every_state_and_event_pair_has_exactly_the_documented_outcome() {
        let allowed: &[(S, E, S)] = &[
            (S::Queued, E::Claim, S::Sending),
            (S::Queued, E::Expire, S::Expired),
            (S::Queued, E::Cancel, S::Cancelled),
            (S::Sending, E::SendSucceeded, S::Sent),
            (S::Sending, E::SendFailed, S::Failed),
            (S::Sending, E::RetryLater, S::Queued),
            (S::Sending, E::CrashRecovered, S::Unknown),
            (S::Sending, E::OutcomeUnknown, S::Unknown),
            (S::Sent, E::Delivered, S::Delivered),
            (S::Sent, E::DeliveryFailed, S::Failed),
            (S::Sent, E::ReportWindowElapsed, S::NoReport),
            (S::NoReport, E::Delivered, S::Delivered),
            (S::NoReport, E::DeliveryFailed, S::Failed),
            (S::Unknown, E::EvidenceDelivered, S::Delivered),
            (S::Unknown, E::EvidenceFailed, S::Failed),
            (S::Unknown, E::Requeue, S::Queued),
            (S::Failed, E::Requeue, S::Queued),
            (S::Unknown, E::SendSucceeded, S::Sent),
            (S::Unknown, E::SendFailed, S::Failed),
        ];
        let mut checked = 0;
        for s in S::ALL {
            for e in E::ALL {
                let want = allowed
                    .iter()
                    .find(|(a, b, _)| *a == s && *b == e)
                    .map(|t| t.2);
                match (apply(s, e), want) {
                    (Ok(got), Some(w)) => assert_eq!(got, w, "{s} × {e:?}"),
                    (Err(err), None) => assert_eq!(err, InvalidTransition { from: s, event: e }),
                    (got, want) => panic!("{s} × {e:?}: got {got:?}, want {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 140);
    }

    #[test]
    fn only_an_unknown_message_can_be_settled_by_evidence() {
        for e in [E::EvidenceDelivered, E::EvidenceFailed] {
            let settles: Vec<S> = S::ALL
                .into_iter()
                .filter(|s| apply(*s, e).is_ok())
                .collect();
            assert_eq!(settles, [S::Unknown], "{e:?}");
        }
        assert_eq!(apply(S::Unknown, E::EvidenceDelivered), Ok(S::Delivered));
        assert_eq!(apply(S::Unknown, E::EvidenceFailed), Ok(S::Failed));
        // An ordinary report does not settle an unknown message: only evidence does.
        assert!(apply(S::Unknown, E::Delivered).is_err());
    }

    #[test]
    fn a_sent_message_without_a_report_becomes_no_report_and_a_late_report_still_settles_it() {
        let no_report = apply(S::Sent, E::ReportWindowElapsed).unwrap();
        assert_eq!(no_report, S::NoReport);
        assert_eq!(no_report.as_str(), "no_report");
        assert_eq!(apply(no_report, E::Delivered), Ok(S::Delivered));
        assert_eq!(apply(no_report, E::DeliveryFailed), Ok(S::Failed));
        assert!(apply(no_report, E::ReportWindowElapsed).is_err(), "once");
        assert!(apply(no_report, E::Claim).is_err(), "never sent again");
        assert!(
            apply(no_report, E::Requeue).is_err(),
            "it went out: no requeue"
        );
    }

    #[test]
    fn delivered_expired_blocked_and_cancelled_are_terminal() {
        for s in [S::Delivered, S::Expired, S::Blocked, S::Cancelled] {
            for e in E::ALL {
                assert!(apply(s, e).is_err(), "{s} × {e:?}");
            }
        }
    }

    #[test]
    fn a_message_found_sending_after_a_crash_is_never_sent_again_without_a_requeue() {
        let unknown = apply(S::Sending, E::CrashRecovered).unwrap();
        assert!(apply(unknown, E::Claim).is_err());
        let queued = apply(unknown, E::Requeue).unwrap();
        assert_eq!(apply(queued, E::Claim), Ok(S::Sending));
    }

    #[test]
    fn only_a_message_no_port_has_taken_can_be_cancelled() {
        let cancellable: Vec<S> = S::ALL
            .into_iter()
            .filter(|s| apply(*s, E::Cancel).is_ok())
            .collect();
        assert_eq!(cancellable, [S::Queued]);
        let sending = apply(S::Queued, E::Claim).unwrap();
        assert!(apply(sending, E::Cancel).is_err());
    }

    #[test]
    fn stored_names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("nope"), None);
        assert_eq!(S::initial(true), S::Blocked);
        assert_eq!(S::initial(false), S::Queued);
    }
}
