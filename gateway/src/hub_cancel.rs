//! The hub's `cancel` of a message a Dinstar HTTP device already holds (`sending`): the link's
//! command sink asks the port worker holding it to `stop_sms` it
//! ([`crate::dinstar_http::InFlight`]) and answers the hub with what the device said:
//!
//! - stopped before it was sent → `applied` (`detail` `stopped on the Dinstar: …`); the message
//!   fails on the box with the stop's reason and the hub shows it `cancelled`;
//! - sent already (or being sent) → `rejected` `too late to cancel: …` (the hub keeps its
//!   state and records the refusal as its error);
//! - the device could not be asked → `rejected` `could not stop it on the Dinstar: …`.

use smsgate_wire::{Ack, AckOutcome};
use uuid::Uuid;

use crate::dinstar_http::CancelAnswer;

/// The ack of cancel command `command` for spooled message `id` after the device answered.
pub fn answer(command: Uuid, id: i64, answer: CancelAnswer, v: u32) -> Ack {
    let (outcome, detail) = match answer {
        CancelAnswer::Stopped(reason) => (
            AckOutcome::Applied,
            format!("stopped on the Dinstar: {reason}"),
        ),
        CancelAnswer::TooLate(why) => (
            AckOutcome::Rejected,
            format!("too late to cancel: message {id} {why}"),
        ),
        CancelAnswer::Failed(why) => (
            AckOutcome::Rejected,
            format!("could not stop it on the Dinstar: {why}"),
        ),
    };
    Ack::new(command, v, outcome, Some(detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_stop_before_sending_is_an_applied_cancel() {
        let of = Uuid::now_v7();
        let a = answer(
            of,
            7,
            CancelAnswer::Stopped("cancelled on request".into()),
            3,
        );
        assert_eq!((a.ack_of, a.outcome), (of, AckOutcome::Applied));
        assert!(a.detail.unwrap().starts_with("stopped on the Dinstar"));
        let late = answer(of, 7, CancelAnswer::TooLate("was sent".into()), 3);
        assert_eq!(late.outcome, AckOutcome::Rejected);
        assert!(late.detail.unwrap().starts_with("too late to cancel"));
        let failed = answer(of, 7, CancelAnswer::Failed("timeout".into()), 3);
        assert_eq!(failed.outcome, AckOutcome::Rejected);
    }
}
