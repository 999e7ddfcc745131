//! The message storage of one port (pure): how full it is, when that changes (logged once per
//! change, not per check), and the order a sweep handles what it lists.
//!
//! **Storage full.** A full memory makes new messages and reports wait at the network (or be
//! lost by modems that drop them). The port shows it (`storage.full`, a reason), it is logged
//! once when it fills and once when it frees, and it is handled: the sweep reads everything,
//! commits it to the spool and only then deletes it — status reports first (small, and a late
//! report costs a delivery state), then complete messages; if the memory is still full because
//! parts of unfinished multipart messages hold it, those are committed as they are and deleted,
//! so the missing parts can come in.

use super::supervision::StorageView;
use smsgate_modem::commands::storage::StorageUsage;
use smsgate_modem::{StoredContent, StoredMessage};
use smsgate_pdu::Pdu;

/// What a usage reading changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It just filled up: log it, sweep now.
    BecameFull,
    /// Still full: sweep, say nothing new.
    StillFull,
    /// It has room again: log it.
    Freed,
    /// Nothing to say.
    Fine,
}

/// The storage view and its changes.
#[derive(Debug, Clone, Default)]
pub struct StorageWatch {
    view: Option<StorageView>,
}

impl StorageWatch {
    /// The last reading.
    pub fn view(&self) -> Option<&StorageView> {
        self.view.as_ref()
    }

    /// Whether the last reading said full.
    pub fn is_full(&self) -> bool {
        self.view.as_ref().is_some_and(|v| v.full)
    }

    /// A reading of `AT+CPMS?` (or the answer of `AT+CPMS=`): the receive memory (the last role)
    /// is the one that matters; `memory` names it when the modem does not.
    pub fn observe(&mut self, usage: &StorageUsage, memory: Option<&str>) -> Change {
        let Some((name, used, total)) = usage.roles.last().cloned() else {
            return Change::Fine;
        };
        let full = total > 0 && used >= total;
        let was = self.is_full();
        self.view = Some(StorageView {
            memory: name
                .or_else(|| memory.map(str::to_owned))
                .unwrap_or_else(|| "?".into()),
            used,
            total,
            full,
        });
        match (was, full) {
            (false, true) => Change::BecameFull,
            (true, true) => Change::StillFull,
            (true, false) => Change::Freed,
            (false, false) => Change::Fine,
        }
    }

    /// The storage memory is unknown again (the modem went away).
    pub fn forget(&mut self) {
        self.view = None;
    }
}

/// How a sweep handles one listed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Handling {
    /// A status report: record it, then delete it (first: frees a slot at once).
    Report,
    /// A received message (part): commit it, then delete it.
    Message,
    /// Left alone: a message written on the SIM (SUBMIT), or one that does not decode.
    Keep,
}

/// What a sweep does with `m`.
pub fn handling(m: &StoredMessage) -> Handling {
    match &m.content {
        StoredContent::Pdu { pdu } => match **pdu {
            Pdu::StatusReport(_) => Handling::Report,
            Pdu::Deliver(_) => Handling::Message,
            Pdu::Submit(_) => Handling::Keep,
        },
        StoredContent::Text {
            entry: smsgate_modem::commands::sms::TextEntry::StatusReport(_),
        } => Handling::Report,
        StoredContent::Text { .. } => Handling::Message,
        StoredContent::Undecodable { .. } => Handling::Keep,
    }
}

/// The order a sweep handles `list` in: reports, then messages by index; entries kept on the
/// SIM come last (nothing is done with them but a log line).
pub fn sweep_order(mut list: Vec<StoredMessage>) -> Vec<StoredMessage> {
    list.sort_by_key(|m| (handling(m), m.index));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(used: u32, total: u32) -> StorageUsage {
        StorageUsage {
            roles: vec![
                (Some("SM".into()), used, total),
                (Some("SM".into()), used, total),
                (Some("SM".into()), used, total),
            ],
        }
    }

    #[test]
    fn filling_up_and_freeing_are_each_reported_once() {
        let mut w = StorageWatch::default();
        let seq: Vec<Change> = [(3, 30), (30, 30), (30, 30), (29, 30), (10, 30)]
            .iter()
            .map(|(u, t)| w.observe(&usage(*u, *t), None))
            .collect();
        assert_eq!(
            seq,
            [
                Change::Fine,
                Change::BecameFull,
                Change::StillFull,
                Change::Freed,
                Change::Fine
            ]
        );
        assert_eq!(w.view().unwrap().used, 10);
    }

    #[test]
    fn a_memory_without_capacity_or_without_roles_is_never_full() {
        let mut w = StorageWatch::default();
        assert_eq!(w.observe(&usage(0, 0), None), Change::Fine);
        assert!(!w.is_full());
        assert_eq!(
            w.observe(&StorageUsage { roles: vec![] }, None),
            Change::Fine
        );
    }

    #[test]
    fn the_receive_memory_is_the_last_role_and_unnamed_roles_take_the_chosen_memory() {
        let mut w = StorageWatch::default();
        let u = StorageUsage {
            roles: vec![(None, 1, 30), (None, 1, 30), (None, 100, 100)],
        };
        assert_eq!(w.observe(&u, Some("ME")), Change::BecameFull);
        assert_eq!(w.view().unwrap().memory, "ME");
    }

    fn stored(index: u32, hex: &str) -> StoredMessage {
        StoredMessage {
            storage: Some("SM".into()),
            index,
            status: None,
            content: StoredContent::Pdu {
                pdu: Box::new(smsgate_pdu::decode_hex(hex).unwrap()),
            },
        }
    }

    #[test]
    fn a_sweep_handles_reports_first_then_messages_and_leaves_the_rest() {
        let deliver =
            "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";
        let report = "0006D60B911326880736F4111011719551401110117195714000";
        let submit = "0001000B917228001011F100000CC8329BFD065DDF72363904";
        let odd = StoredMessage {
            storage: None,
            index: 1,
            status: None,
            content: StoredContent::Undecodable {
                hex: "00".into(),
                reason: "x".into(),
            },
        };
        let list = vec![
            stored(4, deliver),
            odd,
            stored(9, report),
            stored(2, submit),
            stored(3, deliver),
        ];
        let order: Vec<(Handling, u32)> = sweep_order(list)
            .iter()
            .map(|m| (handling(m), m.index))
            .collect();
        assert_eq!(
            order,
            [
                (Handling::Report, 9),
                (Handling::Message, 3),
                (Handling::Message, 4),
                (Handling::Keep, 1),
                (Handling::Keep, 2)
            ]
        );
    }
}
