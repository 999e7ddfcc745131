//! What the link owes for incoming QoS 1 messages, as an I/O-free state machine.
//!
//! - **PUBACKs leave in the order the PUBLISH packets arrived** (MQTT 3.1.1 §4.6; rumqttd
//!   drops a connection on an out-of-order PUBACK). Messages may finish handling in any order;
//!   a finished message's PUBACK waits only for the messages that arrived before it, never for
//!   anything the link publishes. A message handled as [`Disposition::Leave`] is never
//!   PUBACKed, so nothing after it on that connection is either (the broker redelivers them
//!   all after the next connection).
//! - **A reply is tied to its command by the contract's receipts, not by a PUBACK.** The
//!   command is PUBACKed as soon as it is handled (its effect is stored and idempotent by
//!   command id); its reply (an `up/ack`) is kept until the far end's receipt names the
//!   reply's id, and published again after every reconnection and on a receipt timeout.
//!
//! Inputs: [`Inbound::arrive`], [`Inbound::handled`], [`Inbound::receipt`],
//! [`Inbound::connected`], [`Inbound::republish`]. Outputs: [`Action`]s, executed by the
//! control task in order.

use std::collections::VecDeque;

use uuid::Uuid;

use super::core::Disposition;

/// Most replies kept while waiting for their receipts (a far end that never sends receipts,
/// contract version 1, must not grow the list for ever); the oldest is dropped first.
pub(crate) const MAX_PENDING_REPLIES: usize = 4096;

/// Names one arrival: the connection it came on and its place in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    epoch: u64,
    n: u64,
}

/// Something the control task must do, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action<M> {
    /// Send the PUBACK of this incoming message.
    PubAck(M),
    /// Publish (QoS 1) a reply or a notification.
    Publish { topic: String, payload: Vec<u8> },
    /// A receipt arrived naming `key`: confirm the queue item it names (if any).
    Confirm(Uuid),
}

#[derive(Debug)]
struct Slot<M> {
    n: u64,
    message: M,
    /// `None` while handling; `Some(true)` to PUBACK; `Some(false)` never to PUBACK.
    done: Option<bool>,
}

#[derive(Debug, Clone)]
struct Reply {
    key: Uuid,
    topic: String,
    payload: Vec<u8>,
}

/// The incoming side of a link (see the module docs). `M` is the incoming message (rumqttc's
/// `Publish` in the link; anything in tests).
#[derive(Debug)]
pub(crate) struct Inbound<M> {
    epoch: u64,
    next: u64,
    arrived: VecDeque<Slot<M>>,
    replies: VecDeque<Reply>,
}

impl<M> Default for Inbound<M> {
    fn default() -> Self {
        Self {
            epoch: 0,
            next: 0,
            arrived: VecDeque::new(),
            replies: VecDeque::new(),
        }
    }
}

impl<M> Inbound<M> {
    /// A (re)connection: arrivals of the earlier connection are forgotten (the broker
    /// redelivers whatever it had no PUBACK for) and every reply still without a receipt is
    /// published again, oldest first.
    pub(crate) fn connected(&mut self) -> Vec<Action<M>> {
        self.epoch += 1;
        self.arrived.clear();
        self.republish()
    }

    /// The connection is gone: nothing of it may be PUBACKed any more.
    pub(crate) fn disconnected(&mut self) {
        self.epoch += 1;
        self.arrived.clear();
    }

    /// Every reply still without a receipt, to publish again (receipt timeout), oldest first.
    pub(crate) fn republish(&self) -> Vec<Action<M>> {
        self.replies
            .iter()
            .map(|r| Action::Publish {
                topic: r.topic.clone(),
                payload: r.payload.clone(),
            })
            .collect()
    }

    /// Replies still waiting for their receipts.
    pub(crate) fn pending_replies(&self) -> usize {
        self.replies.len()
    }

    /// A PUBLISH arrived on the current connection; handle it and report with the ticket.
    pub(crate) fn arrive(&mut self, message: M) -> Ticket {
        let n = self.next;
        self.next += 1;
        self.arrived.push_back(Slot {
            n,
            message,
            done: None,
        });
        Ticket {
            epoch: self.epoch,
            n,
        }
    }

    /// A receipt naming `key` was handled: a reply it names needs no more publishing.
    /// Returns whether it named one of the replies.
    pub(crate) fn receipt(&mut self, key: Uuid) -> bool {
        let before = self.replies.len();
        self.replies.retain(|r| r.key != key);
        self.replies.len() != before
    }

    /// The message of `ticket` was handled as `disposition`: what to do now, in order. A
    /// ticket of an earlier connection yields only the effects that do not depend on the
    /// connection (a receipt still confirms; a reply is kept and goes out with the others on
    /// the next connection).
    pub(crate) fn handled(&mut self, ticket: Ticket, disposition: Disposition) -> Vec<Action<M>> {
        let mut actions = Vec::new();
        let current = ticket.epoch == self.epoch;
        let ack = match disposition {
            Disposition::Ack => true,
            Disposition::Leave => false,
            Disposition::Receipt { key } => {
                self.receipt(key);
                actions.push(Action::Confirm(key));
                true
            }
            Disposition::Notify { topic, payload } => {
                if current {
                    actions.push(Action::Publish { topic, payload });
                }
                true
            }
            Disposition::Reply {
                key,
                topic,
                payload,
            } => {
                if !self.replies.iter().any(|r| r.key == key) {
                    if self.replies.len() >= MAX_PENDING_REPLIES {
                        self.replies.pop_front();
                    }
                    self.replies.push_back(Reply {
                        key,
                        topic: topic.clone(),
                        payload: payload.clone(),
                    });
                }
                if current {
                    actions.push(Action::Publish { topic, payload });
                }
                true
            }
        };
        if !current {
            return actions;
        }
        if let Some(slot) = self.arrived.iter_mut().find(|s| s.n == ticket.n) {
            slot.done = Some(ack);
        }
        while self.arrived.front().is_some_and(|s| s.done == Some(true)) {
            if let Some(slot) = self.arrived.pop_front() {
                actions.push(Action::PubAck(slot.message));
            }
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A down-command of the burst: its packet id, and the reply it gets (`None`: a receipt
    /// from the far end, which is only PUBACKed).
    fn reply_to(pkid: u16) -> Disposition {
        Disposition::Reply {
            key: Uuid::from_u128(u128::from(pkid)),
            topic: "smsgate/v1/gw/up/ack".into(),
            payload: format!("ack of {pkid}").into_bytes(),
        }
    }

    fn pubacks(actions: &[Action<u16>]) -> Vec<u16> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::PubAck(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    fn publishes(actions: &[Action<u16>]) -> usize {
        actions
            .iter()
            .filter(|a| matches!(a, Action::Publish { .. }))
            .count()
    }

    #[test]
    fn a_burst_of_commands_with_and_without_replies_is_acknowledged_in_arrival_order() {
        let mut link = Inbound::default();
        assert!(link.connected().is_empty());
        // 60 packets: every third a receipt (no reply), the rest commands answered with a reply.
        let tickets: Vec<(u16, Ticket)> = (1..=60).map(|p| (p, link.arrive(p))).collect();
        let mut out = Vec::new();
        for (pkid, ticket) in &tickets {
            let d = if pkid % 3 == 0 {
                Disposition::Receipt {
                    key: Uuid::from_u128(1_000 + u128::from(*pkid)),
                }
            } else {
                reply_to(*pkid)
            };
            out.extend(link.handled(*ticket, d));
        }
        assert_eq!(pubacks(&out), (1..=60).collect::<Vec<_>>());
        assert_eq!(publishes(&out), 40, "one reply per command");
        // No PUBACK waited for anything published: every command is acknowledged although no
        // reply has been PUBACKed or receipted yet.
        assert_eq!(link.pending_replies(), 40);
    }

    #[test]
    fn a_message_handled_early_waits_only_for_the_ones_that_arrived_before_it() {
        let mut link = Inbound::default();
        link.connected();
        let t: Vec<Ticket> = (1..=5u16).map(|p| link.arrive(p)).collect();
        // Handled in the order 3, 5, 1, 4, 2 (a slow sink for 1 and 2).
        assert!(pubacks(&link.handled(t[2], reply_to(3))).is_empty());
        assert!(pubacks(&link.handled(t[4], Disposition::Ack)).is_empty());
        assert_eq!(pubacks(&link.handled(t[0], reply_to(1))), [1]);
        assert!(pubacks(&link.handled(t[3], reply_to(4))).is_empty());
        assert_eq!(pubacks(&link.handled(t[1], reply_to(2))), [2, 3, 4, 5]);
    }

    #[test]
    fn a_message_left_unacknowledged_holds_back_every_later_puback_of_its_connection() {
        let mut link = Inbound::default();
        link.connected();
        let t: Vec<Ticket> = (1..=3u16).map(|p| link.arrive(p)).collect();
        assert_eq!(pubacks(&link.handled(t[0], Disposition::Ack)), [1]);
        assert!(pubacks(&link.handled(t[1], Disposition::Leave)).is_empty());
        assert!(pubacks(&link.handled(t[2], Disposition::Ack)).is_empty());
        // The next connection starts afresh (the broker redelivers 2 and 3).
        link.connected();
        let again = link.arrive(2);
        assert_eq!(pubacks(&link.handled(again, Disposition::Ack)), [2]);
    }

    #[test]
    fn replies_are_kept_until_their_receipt_and_published_again_after_a_reconnection() {
        let mut link = Inbound::default();
        link.connected();
        let t: Vec<Ticket> = (1..=3u16).map(|p| link.arrive(p)).collect();
        for (i, ticket) in t.iter().enumerate() {
            link.handled(*ticket, reply_to(i as u16 + 1));
        }
        assert!(link.receipt(Uuid::from_u128(2)), "the receipt of reply 2");
        assert!(
            !link.receipt(Uuid::from_u128(2)),
            "a duplicate receipt names nothing"
        );
        let again = link.connected();
        let payloads: Vec<Vec<u8>> = again
            .iter()
            .filter_map(|a| match a {
                Action::Publish { payload, .. } => Some(payload.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(payloads, [b"ack of 1".to_vec(), b"ack of 3".to_vec()]);
        assert_eq!(link.republish().len(), 2, "still waiting for 1 and 3");
    }

    #[test]
    fn a_message_handled_after_its_connection_died_is_never_pubacked_but_its_reply_is_kept() {
        let mut link = Inbound::default();
        link.connected();
        let old = link.arrive(7u16);
        link.disconnected();
        let late = link.handled(old, reply_to(7));
        assert!(
            pubacks(&late).is_empty(),
            "a PUBACK on a new connection would be unsolicited"
        );
        assert_eq!(publishes(&late), 0, "not published on a dead connection");
        assert_eq!(publishes(&link.connected()), 1, "published on the next one");
        // A receipt handled late still confirms what it names.
        let old = link.arrive(8u16);
        link.disconnected();
        let key = Uuid::from_u128(99);
        assert_eq!(
            link.handled(old, Disposition::Receipt { key }),
            [Action::Confirm(key)]
        );
    }

    #[test]
    fn a_far_end_without_receipts_cannot_grow_the_replies_for_ever() {
        let mut link = Inbound::default();
        link.connected();
        for p in 0..(MAX_PENDING_REPLIES + 10) {
            let t = link.arrive(0u16);
            link.handled(
                t,
                Disposition::Reply {
                    key: Uuid::from_u128(p as u128),
                    topic: "t".into(),
                    payload: Vec::new(),
                },
            );
        }
        assert_eq!(link.pending_replies(), MAX_PENDING_REPLIES);
    }
}
