//! Routing rules as pure functions (no I/O): opt-out keywords, where an inbound message lands,
//! how interaction and message states move. The hub applies them inside store transactions.

use crate::model::{Destination, InteractionStatus, MessageState};
use smsgate_wire::{DeliveryState, SendState};
use uuid::Uuid;

/// A contact's opt-out instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptKeyword {
    Stop,
    Start,
}

/// Whole-message keywords (case, accents, surrounding spaces and a trailing `.`/`!` ignored).
/// English STOP/START as in the seed, plus the French forms carriers use (ARRET, ARRÊT,
/// "STOP SMS", DESABONNER / DÉSABONNER; DEMARRER / DÉMARRER, REPRENDRE).
pub fn opt_keyword(text: &str) -> Option<OptKeyword> {
    let t: String = text
        .trim()
        .trim_end_matches(['.', '!'])
        .trim()
        .chars()
        .map(fold_accent)
        .collect::<String>()
        .to_uppercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.as_str() {
        "STOP" | "STOP ALL" | "STOPALL" | "STOP SMS" | "UNSUBSCRIBE" | "ARRET" | "DESABONNER"
        | "DESINSCRIRE" => Some(OptKeyword::Stop),
        "START" | "UNSTOP" | "SUBSCRIBE" | "DEMARRER" | "REPRENDRE" => Some(OptKeyword::Start),
        _ => None,
    }
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'î' | 'ï' | 'Î' | 'Ï' => 'i',
        'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
        'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
        other => other,
    }
}

/// Where a new inbound conversation lands: `(queue, assignee)`.
pub fn placement(destination: Destination) -> (Option<Uuid>, Option<Uuid>) {
    match destination {
        Destination::Tenant => (None, None),
        Destination::Queue(q) => (Some(q), None),
        Destination::User(u) => (None, Some(u)),
    }
}

/// A contact wrote: the conversation waits for a reply (a paused one stays paused).
pub fn status_after_inbound(current: InteractionStatus) -> InteractionStatus {
    match current {
        InteractionStatus::Paused => InteractionStatus::Paused,
        _ => InteractionStatus::Waiting,
    }
}

/// Someone of the tenant wrote: the conversation is open.
pub fn status_after_outbound(_current: InteractionStatus) -> InteractionStatus {
    InteractionStatus::Open
}

fn rank(s: MessageState) -> u8 {
    match s {
        MessageState::Received => 0,
        MessageState::Queued => 1,
        MessageState::Accepted => 2,
        MessageState::Unknown => 3,
        MessageState::Sent => 4,
        MessageState::Delivered
        | MessageState::Failed
        | MessageState::Expired
        | MessageState::Cancelled => 5,
    }
}

/// The message state after an update, or `None` when the update is stale (reports may arrive
/// out of order: a `sent` status after the delivery report changes nothing; final states are
/// final).
pub fn advance(current: MessageState, update: MessageState) -> Option<MessageState> {
    (rank(update) > rank(current)).then_some(update)
}

pub fn from_send_state(s: SendState) -> MessageState {
    match s {
        SendState::Queued => MessageState::Accepted,
        SendState::Sent => MessageState::Sent,
        SendState::Failed => MessageState::Failed,
        SendState::Cancelled => MessageState::Cancelled,
        SendState::Unknown => MessageState::Unknown,
    }
}

pub fn from_delivery_state(s: DeliveryState) -> MessageState {
    match s {
        DeliveryState::Delivered => MessageState::Delivered,
        DeliveryState::Failed => MessageState::Failed,
        DeliveryState::Expired => MessageState::Expired,
    }
}

/// Validates a phone number field: optional `+`, then 3–20 digits.
pub fn valid_number(n: &str) -> bool {
    let digits = n.strip_prefix('+').unwrap_or(n);
    (3..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_and_its_french_forms_opt_out_whatever_the_case_and_accents() {
        for t in [
            "STOP",
            "stop",
            " Stop. ",
            "ARRET",
            "Arrêt",
            "arrêt!",
            "STOP SMS",
            "désabonner",
        ] {
            assert_eq!(opt_keyword(t), Some(OptKeyword::Stop), "{t}");
        }
    }

    #[test]
    fn start_opts_back_in() {
        for t in ["START", "start", "Démarrer", "unstop"] {
            assert_eq!(opt_keyword(t), Some(OptKeyword::Start), "{t}");
        }
    }

    #[test]
    fn a_sentence_containing_stop_is_an_ordinary_message() {
        for t in [
            "please stop calling me at night",
            "STOPPED",
            "start time?",
            "",
        ] {
            assert_eq!(opt_keyword(t), None, "{t}");
        }
    }

    #[test]
    fn an_inbound_message_makes_the_conversation_wait_unless_paused() {
        assert_eq!(
            status_after_inbound(InteractionStatus::Open),
            InteractionStatus::Waiting
        );
        assert_eq!(
            status_after_inbound(InteractionStatus::Paused),
            InteractionStatus::Paused
        );
        assert_eq!(
            status_after_outbound(InteractionStatus::Waiting),
            InteractionStatus::Open
        );
    }

    #[test]
    fn a_late_sent_status_does_not_undo_a_delivery() {
        assert_eq!(advance(MessageState::Delivered, MessageState::Sent), None);
        assert_eq!(
            advance(MessageState::Queued, MessageState::Sent),
            Some(MessageState::Sent)
        );
        assert_eq!(advance(MessageState::Failed, MessageState::Delivered), None);
        assert_eq!(
            advance(MessageState::Sent, MessageState::Delivered),
            Some(MessageState::Delivered)
        );
    }

    #[test]
    fn a_queue_destination_places_the_conversation_in_the_queue_unassigned() {
        let q = Uuid::now_v7();
        assert_eq!(placement(Destination::Queue(q)), (Some(q), None));
        assert_eq!(placement(Destination::Tenant), (None, None));
    }

    #[test]
    fn numbers_are_digits_with_an_optional_plus() {
        assert!(valid_number("+33612345678"));
        assert!(valid_number("0612345678"));
        assert!(!valid_number("+33 6 12"));
        assert!(!valid_number("abc"));
        assert!(!valid_number("+"));
    }
}
