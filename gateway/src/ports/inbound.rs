//! Inbound reassembly with SIM bookkeeping (pure): which storage slots hold the parts of each
//! message, so that a message's parts are deleted from the SIM only after the whole message is
//! committed to the spool. Parts stay on the SIM while they wait, so a restart re-reads them
//! (the sweep lists storage at start) and nothing is lost.

use smsgate_pdu::reassembly::{Message, Part, Reassembler};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// A storage slot (`"SM"`, 3); `(SPOOL_SLOT, row id)` for a routed (`+CMT`) part held in the
/// spool; `None` for a routed part held nowhere but here (a single part, or the spool failed).
pub type Slot = Option<(String, u32)>;

/// The "storage" of a routed part the spool holds (`routed_parts`): its index is the row id.
/// Never a modem memory name (those are two letters).
pub const SPOOL_SLOT: &str = "spool";

type Key = (String, u16, u8);

/// A message ready to commit, with the slots to delete afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// The (possibly incomplete, after a timeout) message.
    pub message: Message,
    /// Slots holding its parts.
    pub slots: Vec<(String, u32)>,
}

/// What to do with one received part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Commit this message, then delete its slots.
    Ready(Ready),
    /// Waiting for more parts; keep the slot.
    Waiting,
    /// A re-delivery of a message already committed: delete the slot at once.
    Duplicate(Slot),
    /// Already being tracked (a sweep saw a slot that is waiting): nothing to do.
    Known,
}

/// Reassembler plus slot tracking.
#[derive(Debug)]
pub struct InboundTracker {
    reassembler: Reassembler,
    timeout: Duration,
    slots: BTreeMap<Key, Vec<(String, u32)>>,
    tracked: BTreeSet<(String, u32)>,
    completed: BTreeMap<Key, Instant>,
}

impl InboundTracker {
    /// Parts wait `timeout` for the rest of their message.
    pub fn new(timeout: Duration) -> Self {
        Self {
            reassembler: Reassembler::new(timeout),
            timeout,
            slots: BTreeMap::new(),
            tracked: BTreeSet::new(),
            completed: BTreeMap::new(),
        }
    }

    /// Whether a slot is held by a waiting message.
    pub fn is_tracked(&self, storage: &str, index: u32) -> bool {
        self.tracked.contains(&(storage.to_string(), index))
    }

    /// Adds a part read from `slot` at `now`.
    pub fn push(&mut self, part: Part, slot: Slot, now: Instant) -> Pushed {
        if let Some(s) = &slot
            && self.tracked.contains(s)
        {
            return Pushed::Known;
        }
        let key = part
            .concat
            .filter(|c| c.total > 1 && c.seq >= 1 && c.seq <= c.total)
            .map(|c| (part.sender.clone(), c.reference, c.total));
        if let Some(k) = &key
            && let Some(done) = self.completed.get(k)
            && now.saturating_duration_since(*done) < self.timeout
            && !self.slots.contains_key(k)
        {
            return Pushed::Duplicate(slot);
        }
        match self.reassembler.push(part, now) {
            Some(message) => {
                let mut slots = key
                    .as_ref()
                    .and_then(|k| self.slots.remove(k))
                    .unwrap_or_default();
                slots.extend(slot);
                for s in &slots {
                    self.tracked.remove(s);
                }
                if let Some(k) = key {
                    self.completed.insert(k, now);
                }
                Pushed::Ready(Ready { message, slots })
            }
            None => {
                if let (Some(k), Some(s)) = (key, slot) {
                    self.tracked.insert(s.clone());
                    self.slots.entry(k).or_default().push(s);
                }
                Pushed::Waiting
            }
        }
    }

    /// Messages whose parts waited too long, incomplete, with their slots.
    pub fn expire(&mut self, now: Instant) -> Vec<Ready> {
        self.completed
            .retain(|_, t| now.saturating_duration_since(*t) < self.timeout);
        self.reassembler
            .expire(now)
            .into_iter()
            .map(|message| {
                let key = (
                    message.sender.clone(),
                    message.reference.unwrap_or(0),
                    message.total,
                );
                let slots = self.slots.remove(&key).unwrap_or_default();
                for s in &slots {
                    self.tracked.remove(s);
                }
                Ready { message, slots }
            })
            .collect()
    }

    /// Every waiting message at once, incomplete, with its slots: the storage is full and their
    /// parts hold the slots the missing parts need (committing them as they are loses nothing;
    /// parts arriving later are stored as a message of their own).
    pub fn release_waiting(&mut self, now: Instant) -> Vec<Ready> {
        self.reassembler
            .expire(now + self.timeout)
            .into_iter()
            .map(|message| {
                let key = (
                    message.sender.clone(),
                    message.reference.unwrap_or(0),
                    message.total,
                );
                let slots = self.slots.remove(&key).unwrap_or_default();
                for s in &slots {
                    self.tracked.remove(s);
                }
                Ready { message, slots }
            })
            .collect()
    }

    /// Whether parts wait on the SIM for the rest of their message (routed parts held in the
    /// spool do not hold SIM slots).
    pub fn has_waiting(&self) -> bool {
        self.tracked.iter().any(|(s, _)| s != SPOOL_SLOT)
    }

    /// When the oldest waiting message times out.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.reassembler.next_deadline()
    }

    /// Forgets every tracked slot (the modem was reopened: storage is re-read by the sweep).
    pub fn forget_slots(&mut self) {
        self.reassembler = Reassembler::new(self.timeout);
        self.slots.clear();
        self.tracked.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsgate_pdu::{Concat, Encoding};

    fn part(seq: u8, total: u8, text: &str) -> Part {
        Part {
            sender: "+33612345678".into(),
            concat: (total > 1).then_some(Concat {
                reference: 9,
                total,
                seq,
            }),
            text: text.into(),
            data: Vec::new(),
            encoding: Encoding::Gsm7,
            timestamp: None,
        }
    }

    fn slot(i: u32) -> Slot {
        Some(("SM".into(), i))
    }

    #[test]
    fn a_single_part_message_is_ready_at_once_with_its_slot() {
        let mut t = InboundTracker::new(Duration::from_secs(60));
        let Pushed::Ready(r) = t.push(part(1, 1, "hi"), slot(4), Instant::now()) else {
            panic!()
        };
        assert_eq!(r.message.text, "hi");
        assert_eq!(r.slots, [("SM".to_string(), 4)]);
    }

    #[test]
    fn parts_out_of_order_stay_on_the_sim_until_the_whole_message_is_ready() {
        let now = Instant::now();
        let mut t = InboundTracker::new(Duration::from_secs(60));
        assert_eq!(t.push(part(2, 2, "world"), slot(1), now), Pushed::Waiting);
        assert!(t.is_tracked("SM", 1));
        assert_eq!(
            t.push(part(2, 2, "world"), slot(1), now),
            Pushed::Known,
            "sweep sees it again"
        );
        let Pushed::Ready(r) = t.push(part(1, 2, "hello "), slot(2), now) else {
            panic!()
        };
        assert_eq!(r.message.text, "hello world");
        assert!(r.message.complete);
        assert_eq!(r.slots.len(), 2);
        assert!(!t.is_tracked("SM", 1));
    }

    #[test]
    fn a_redelivered_part_after_completion_is_deleted_at_once() {
        let now = Instant::now();
        let mut t = InboundTracker::new(Duration::from_secs(60));
        t.push(part(1, 2, "a"), slot(1), now);
        assert!(matches!(
            t.push(part(2, 2, "b"), slot(2), now),
            Pushed::Ready(_)
        ));
        assert_eq!(
            t.push(part(2, 2, "b"), slot(3), now),
            Pushed::Duplicate(slot(3))
        );
    }

    #[test]
    fn an_incomplete_message_comes_out_at_its_timeout_with_its_slots() {
        let now = Instant::now();
        let mut t = InboundTracker::new(Duration::from_secs(60));
        t.push(part(1, 3, "a"), slot(1), now);
        t.push(part(3, 3, "c"), slot(2), now);
        assert_eq!(t.next_deadline(), Some(now + Duration::from_secs(60)));
        assert!(t.expire(now + Duration::from_secs(59)).is_empty());
        let out = t.expire(now + Duration::from_secs(60));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].message.missing, [2]);
        assert_eq!(out[0].slots.len(), 2);
        assert!(!t.is_tracked("SM", 1));
    }

    #[test]
    fn on_a_full_storage_waiting_parts_are_released_at_once_with_their_slots() {
        let now = Instant::now();
        let mut t = InboundTracker::new(Duration::from_secs(3600));
        t.push(part(1, 3, "a"), slot(1), now);
        assert!(t.has_waiting());
        let out = t.release_waiting(now);
        assert_eq!(out.len(), 1);
        assert!(!out[0].message.complete);
        assert_eq!(out[0].slots, [("SM".to_string(), 1)]);
        assert!(!t.has_waiting());
        assert!(t.release_waiting(now).is_empty());
    }
}
