//! Multipart reassembly as a pure component: the caller passes the time in.
//!
//! Parts are keyed by sender + reference + total. A part without concatenation info (or with a
//! nonsensical one: total ≤ 1, seq 0 or seq > total) is a whole message at once. A duplicate part
//! (same key and seq) is ignored — also after its message completed: for `timeout` after
//! completion, parts with that key count as re-deliveries (an SMSC resends when our ack got lost)
//! and are dropped. When every part has arrived the joined message comes out of
//! [`Reassembler::push`]; [`Reassembler::expire`] hands out, marked incomplete with the missing
//! sequence numbers listed, every message whose first part arrived `timeout` or longer ago.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};

use crate::{Concat, Deliver, Encoding, Pdu, Submit};

/// One part as the reassembler needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Sender (DELIVER) or recipient (SUBMIT) as displayed (`+33…`).
    pub sender: String,
    pub concat: Option<Concat>,
    pub text: String,
    pub data: Vec<u8>,
    pub encoding: Encoding,
    /// TP-SCTS of a DELIVER.
    pub timestamp: Option<DateTime<FixedOffset>>,
}

impl Part {
    /// The part a DELIVER or SUBMIT carries; `None` for a status report.
    pub fn from_pdu(pdu: &Pdu) -> Option<Part> {
        match pdu {
            Pdu::Deliver(d) => Some(Part::from(d.clone())),
            Pdu::Submit(s) => Some(Part::from(s.clone())),
            Pdu::StatusReport(_) => None,
        }
    }
}

impl From<Deliver> for Part {
    fn from(d: Deliver) -> Self {
        Part {
            sender: d.sender.display(),
            concat: d.user_data.concat,
            text: d.user_data.text,
            data: d.user_data.data,
            encoding: d.user_data.encoding,
            timestamp: Some(d.timestamp),
        }
    }
}

impl From<Submit> for Part {
    fn from(s: Submit) -> Self {
        Part {
            sender: s.recipient.display(),
            concat: s.user_data.concat,
            text: s.user_data.text,
            data: s.user_data.data,
            encoding: s.user_data.encoding,
            timestamp: None,
        }
    }
}

/// A whole (or, after a timeout, partial) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub sender: String,
    /// The concatenation reference; `None` for a single-part message.
    pub reference: Option<u16>,
    pub total: u8,
    /// Texts of the received parts joined in sequence order.
    pub text: String,
    /// Payloads of the received parts joined in sequence order.
    pub data: Vec<u8>,
    /// Encoding of the first part in sequence order.
    pub encoding: Encoding,
    /// Timestamp of the part with the lowest sequence number.
    pub timestamp: Option<DateTime<FixedOffset>>,
    /// Sequence numbers received, ascending.
    pub received: Vec<u8>,
    /// Sequence numbers that never arrived, ascending (empty when complete).
    pub missing: Vec<u8>,
    pub complete: bool,
}

type Key = (String, u16, u8);

#[derive(Debug)]
struct Pending {
    first_seen: Instant,
    parts: BTreeMap<u8, Part>,
}

/// Joins concatenated parts. Pure: no clock, no I/O.
#[derive(Debug)]
pub struct Reassembler {
    timeout: Duration,
    pending: BTreeMap<Key, Pending>,
    /// Keys of messages completed recently, with when: later parts are re-deliveries.
    completed: BTreeMap<Key, Instant>,
}

impl Reassembler {
    /// A reassembler that gives up on a message `timeout` after its first part arrived.
    pub fn new(timeout: Duration) -> Self {
        Reassembler {
            timeout,
            pending: BTreeMap::new(),
            completed: BTreeMap::new(),
        }
    }

    /// Add a part received at `now`. Returns the message when it is complete (at once for a
    /// single-part message); `None` while parts are missing or when the part is a duplicate.
    pub fn push(&mut self, part: impl Into<Part>, now: Instant) -> Option<Message> {
        let part = part.into();
        let concat = match part.concat {
            Some(c) if c.total > 1 && c.seq >= 1 && c.seq <= c.total => c,
            _ => {
                let mut parts = BTreeMap::new();
                parts.insert(1, part);
                return Some(join(None, 1, parts));
            }
        };
        let key = (part.sender.clone(), concat.reference, concat.total);
        if let Some(&done_at) = self.completed.get(&key) {
            if now.saturating_duration_since(done_at) < self.timeout {
                return None;
            }
            self.completed.remove(&key);
        }
        let entry = self.pending.entry(key.clone()).or_insert_with(|| Pending {
            first_seen: now,
            parts: BTreeMap::new(),
        });
        if entry.parts.contains_key(&concat.seq) {
            return None;
        }
        entry.parts.insert(concat.seq, part);
        if entry.parts.len() == usize::from(concat.total) {
            let done = self.pending.remove(&key)?;
            self.completed.insert(key, now);
            return Some(join(Some(concat.reference), concat.total, done.parts));
        }
        None
    }

    /// Hand out every message whose first part arrived `timeout` or longer before `now`,
    /// incomplete, oldest first.
    pub fn expire(&mut self, now: Instant) -> Vec<Message> {
        let timeout = self.timeout;
        self.completed
            .retain(|_, done_at| now.saturating_duration_since(*done_at) < timeout);
        let due: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.first_seen) >= timeout)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out: Vec<(Instant, Message)> = due
            .into_iter()
            .filter_map(|k| {
                let p = self.pending.remove(&k)?;
                Some((p.first_seen, join(Some(k.1), k.2, p.parts)))
            })
            .collect();
        out.sort_by_key(|(t, _)| *t);
        out.into_iter().map(|(_, m)| m).collect()
    }

    /// When the oldest pending message will expire, if any is pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending
            .values()
            .map(|p| p.first_seen + self.timeout)
            .min()
    }

    /// How many messages are waiting for parts.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

fn join(reference: Option<u16>, total: u8, parts: BTreeMap<u8, Part>) -> Message {
    let received: Vec<u8> = parts.keys().copied().collect();
    let missing: Vec<u8> = (1..=total).filter(|s| !parts.contains_key(s)).collect();
    let first = parts.values().next();
    let sender = first.map(|p| p.sender.clone()).unwrap_or_default();
    let encoding = first.map(|p| p.encoding).unwrap_or(Encoding::Gsm7);
    let timestamp = first.and_then(|p| p.timestamp);
    let mut text = String::new();
    let mut data = Vec::new();
    for p in parts.values() {
        text.push_str(&p.text);
        data.extend_from_slice(&p.data);
    }
    Message {
        sender,
        reference,
        total,
        text,
        data,
        encoding,
        timestamp,
        received,
        complete: missing.is_empty(),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(sender: &str, reference: u16, total: u8, seq: u8, text: &str) -> Part {
        Part {
            sender: sender.into(),
            concat: Some(Concat {
                reference,
                total,
                seq,
            }),
            text: text.into(),
            data: text.as_bytes().to_vec(),
            encoding: Encoding::Gsm7,
            timestamp: None,
        }
    }

    #[test]
    fn parts_arriving_out_of_order_join_in_sequence_order() {
        let mut r = Reassembler::new(Duration::from_secs(60));
        let t = Instant::now();
        assert_eq!(r.push(part("+1", 7, 3, 3, "c"), t), None);
        assert_eq!(r.push(part("+1", 7, 3, 1, "a"), t), None);
        let m = r.push(part("+1", 7, 3, 2, "b"), t).unwrap();
        assert_eq!(m.text, "abc");
        assert!(m.complete);
        assert_eq!(m.received, vec![1, 2, 3]);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn duplicate_part_is_ignored() {
        let mut r = Reassembler::new(Duration::from_secs(60));
        let t = Instant::now();
        assert_eq!(r.push(part("+1", 7, 2, 1, "a"), t), None);
        assert_eq!(r.push(part("+1", 7, 2, 1, "X"), t), None);
        assert_eq!(r.push(part("+1", 7, 2, 2, "b"), t).unwrap().text, "ab");
    }

    #[test]
    fn redelivered_part_of_a_completed_message_is_dropped_until_the_timeout() {
        let mut r = Reassembler::new(Duration::from_secs(60));
        let t = Instant::now();
        r.push(part("+1", 7, 2, 1, "a"), t);
        assert!(r.push(part("+1", 7, 2, 2, "b"), t).is_some());
        assert_eq!(
            r.push(part("+1", 7, 2, 2, "b"), t + Duration::from_secs(5)),
            None
        );
        assert_eq!(
            r.pending(),
            0,
            "the re-delivery does not start a new message"
        );
        assert!(r.expire(t + Duration::from_secs(120)).is_empty());
        // After the timeout the reference may be reused for a new message.
        let later = t + Duration::from_secs(121);
        assert_eq!(r.push(part("+1", 7, 2, 1, "c"), later), None);
        assert_eq!(r.push(part("+1", 7, 2, 2, "d"), later).unwrap().text, "cd");
    }

    #[test]
    fn same_reference_from_different_senders_or_totals_does_not_mix() {
        let mut r = Reassembler::new(Duration::from_secs(60));
        let t = Instant::now();
        assert_eq!(r.push(part("+1", 7, 2, 1, "a"), t), None);
        assert_eq!(r.push(part("+2", 7, 2, 2, "b"), t), None);
        assert_eq!(r.push(part("+1", 7, 3, 2, "c"), t), None);
        assert_eq!(r.pending(), 3);
    }

    #[test]
    fn timeout_delivers_what_arrived_marked_incomplete_with_missing_parts() {
        let mut r = Reassembler::new(Duration::from_secs(60));
        let t = Instant::now();
        r.push(part("+1", 9, 4, 1, "a"), t);
        r.push(part("+1", 9, 4, 3, "c"), t + Duration::from_secs(30));
        assert_eq!(r.next_deadline(), Some(t + Duration::from_secs(60)));
        assert!(r.expire(t + Duration::from_secs(59)).is_empty());
        let out = r.expire(t + Duration::from_secs(60));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text, "ac");
        assert!(!out[0].complete);
        assert_eq!(out[0].missing, vec![2, 4]);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn single_part_and_one_of_one_messages_come_out_at_once() {
        let mut r = Reassembler::new(Duration::from_secs(60));
        let t = Instant::now();
        let mut p = part("+1", 195, 1, 1, "whole");
        assert_eq!(r.push(p.clone(), t).unwrap().text, "whole");
        p.concat = None;
        let m = r.push(p, t).unwrap();
        assert!(m.complete && m.reference.is_none());
        let bad = part("+1", 3, 2, 0, "seq zero");
        assert_eq!(r.push(bad, t).unwrap().text, "seq zero");
    }
}
