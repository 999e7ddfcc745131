//! Receiving on an AT port: stored and routed messages, status reports (routed, indicated or
//! found in `SR`), the storage sweep, a full storage, reassembly and the text-mode charset.
//!
//! **A message is deleted from the modem only after its commit**; a status report only after
//! it was recorded. The sweep ([`PortWorker::sweep_storage`]) covers the message memory and the
//! status-report memory.

use super::inbound::{Pushed, Ready, SPOOL_SLOT, Slot as SimSlot};
use super::outcome;
use super::storage::{self, Change};
use super::worker::{PortWorker, REPORT_WINDOW_H, is_closed, ms};
use crate::spool::{DeliveryReport, DeliveryStatus, NewInbound};
use smsgate_at::Opener;
use smsgate_modem::commands::sms::{MessageStatus, TextEntry, TextMessage, TextStatusReport};
use smsgate_modem::commands::typed::CscsQuery;
use smsgate_modem::{Modem, ModemError, StoredContent, StoredMessage};
use smsgate_pdu::reassembly::Message as InboundMessage;
use smsgate_pdu::{Encoding, Part, Pdu, StatusClass, StatusReport};

/// Why a sweep runs (it is logged with what it read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepReason {
    /// The port was opened and initialised.
    Start,
    /// After a recovery: a reset, lost settings, a restart.
    AfterRecovery,
    /// The periodic sweep (`[inbound] sweep_interval_ms`).
    Periodic,
    /// The storage is full.
    StorageFull,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepSummary {
    /// Messages (or parts) read and committed (or kept waiting for their other parts).
    pub messages: usize,
    /// Status reports read, recorded and deleted.
    pub reports: usize,
    /// Entries left on the SIM (written messages, undecodable ones).
    pub kept: usize,
    /// Parts already waiting for the rest of their message.
    pub waiting: usize,
    /// Memories the modem would not list.
    pub unreadable: usize,
}

impl<O: Opener + 'static> PortWorker<O> {
    pub(super) async fn stored(
        &mut self,
        modem: &mut Modem,
        m: StoredMessage,
    ) -> Result<(), ModemError> {
        let storage = m.storage.clone().unwrap_or_default();
        match m.content {
            StoredContent::Pdu { pdu } => match *pdu {
                Pdu::Deliver(d) => {
                    self.part(modem, Part::from(d), Some((storage, m.index)))
                        .await
                }
                Pdu::StatusReport(r) => {
                    if self.report(&r).await {
                        self.delete(modem, &storage, m.index).await
                    } else {
                        Ok(())
                    }
                }
                Pdu::Submit(_) => Ok(()),
            },
            StoredContent::Text {
                entry: TextEntry::Message(t),
            } => {
                let ready = Ready {
                    message: text_message(&t, self.text_ucs2),
                    slots: vec![(storage, m.index)],
                };
                self.commit(modem, ready).await
            }
            StoredContent::Text {
                entry: TextEntry::StatusReport(r),
            } => {
                if self.text_report(&r).await {
                    self.delete(modem, &storage, m.index).await
                } else {
                    Ok(())
                }
            }
            StoredContent::Undecodable { reason, .. } => {
                if let Some(n) = self.throttles.hit("undecodable stored") {
                    tracing::warn!(
                        port = self.id,
                        index = m.index,
                        reason,
                        repeated = n,
                        "undecodable stored message left on the SIM"
                    );
                }
                Ok(())
            }
        }
    }

    pub(super) async fn delete(
        &mut self,
        modem: &mut Modem,
        storage: &str,
        index: u32,
    ) -> Result<(), ModemError> {
        if storage == SPOOL_SLOT {
            let id = i64::from(index);
            if let Err(e) = self
                .deps
                .spool
                .call(move |db| db.drop_routed_part(id))
                .await
            {
                tracing::error!(port = self.id, error = %e, "dropping a held routed part failed");
            }
            return Ok(());
        }
        if storage.is_empty() {
            modem.delete_message(index).await
        } else {
            modem.delete_message_in(storage, index).await
        }
    }

    pub(super) async fn part(
        &mut self,
        modem: &mut Modem,
        part: Part,
        slot: SimSlot,
    ) -> Result<(), ModemError> {
        let slot = match slot {
            None if part.concat.is_some_and(|c| c.total > 1) => self.hold_routed(&part).await,
            s => s,
        };
        match self.inbound.push(part, slot, std::time::Instant::now()) {
            Pushed::Ready(r) => self.commit(modem, r).await,
            Pushed::Duplicate(Some((storage, index))) => self.delete(modem, &storage, index).await,
            Pushed::Duplicate(None) | Pushed::Waiting | Pushed::Known => Ok(()),
        }
    }

    /// Stores a whole (or timed-out) message, then deletes its parts from the SIM.
    pub(super) async fn commit(&mut self, modem: &mut Modem, r: Ready) -> Result<(), ModemError> {
        if !r.message.complete {
            tracing::warn!(port = self.id, missing = ?r.message.missing, "storing an incomplete message after the reassembly timeout");
        }
        let msg = NewInbound {
            from: r.message.sender.clone(),
            port: self.id,
            sim: self.sup.sim.iccid.clone(),
            text: r.message.text.clone(),
            sent_at: r.message.timestamp.map(|t| t.with_timezone(&chrono::Utc)),
            received_at: self.deps.clock.now(),
        };
        let (held, on_sim): (Vec<_>, Vec<_>) =
            r.slots.into_iter().partition(|(s, _)| s == SPOOL_SLOT);
        let held: Vec<i64> = held.into_iter().map(|(_, i)| i64::from(i)).collect();
        match self
            .deps
            .spool
            .call(move |db| db.store_inbound_releasing(&msg, &held))
            .await
        {
            Ok(_) => {
                self.sup.counters.received += 1;
                for (storage, index) in on_sim {
                    self.delete(modem, &storage, index).await?;
                }
            }
            Err(e) => {
                // Left on the SIM: the next sweep reads it again.
                tracing::error!(port = self.id, error = %e, "storing an inbound message failed");
            }
        }
        Ok(())
    }

    /// Writes a routed multipart part to the spool before it waits for the rest; its slot is
    /// the row (`None`, held in memory only, if the spool refused it).
    async fn hold_routed(&mut self, part: &Part) -> SimSlot {
        let (port, p) = (self.id, part.clone());
        match self
            .deps
            .spool
            .call(move |db| db.hold_routed_part(port, &p))
            .await
        {
            Ok(id) => match u32::try_from(id) {
                Ok(i) => Some((SPOOL_SLOT.to_owned(), i)),
                Err(_) => None,
            },
            Err(e) => {
                tracing::error!(port = self.id, error = %e, "holding a routed part in the spool failed; it waits in memory");
                None
            }
        }
    }

    /// Reads back the routed parts the spool holds for this port (after a start, a restart or
    /// a recovery that cleared the reassembly): the next part completes their message.
    pub(super) async fn reload_routed(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        let port = self.id;
        let parts = match self.deps.spool.call(move |db| db.routed_parts(port)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(port, error = %e, "reading the held routed parts failed");
                return Ok(());
            }
        };
        if !parts.is_empty() {
            tracing::info!(
                port,
                parts = parts.len(),
                "routed parts read back from the spool"
            );
        }
        for (id, part) in parts {
            let Ok(i) = u32::try_from(id) else { continue };
            let slot = Some((SPOOL_SLOT.to_owned(), i));
            match self.inbound.push(part, slot, std::time::Instant::now()) {
                Pushed::Ready(r) => self.commit(modem, r).await?,
                Pushed::Duplicate(Some((storage, index))) => {
                    self.delete(modem, &storage, index).await?;
                }
                Pushed::Duplicate(None) | Pushed::Waiting | Pushed::Known => {}
            }
        }
        Ok(())
    }

    pub(super) async fn expire_inbound(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        for r in self.inbound.expire(std::time::Instant::now()) {
            self.commit(modem, r).await?;
        }
        Ok(())
    }

    /// Sweeps the modem's storage: every message in the message memory and every status report
    /// in the status-report memory (`SR`) is read, committed to the spool (a report: matched
    /// and recorded) and only then deleted — reports first, then messages ([`storage::sweep_order`]).
    /// Catches what arrived without an indication: a missed `+CMTI`, a report stored while the
    /// modem was unplugged or had lost its `+CNMI` setting. Runs after every (re)initialisation,
    /// periodically, and at once when the storage is full; callers may run it whenever they
    /// want the storage emptied (`why` is logged).
    ///
    /// A memory that cannot be listed (`ERROR`) is skipped and counted in the summary; a
    /// timeout or a closed engine is an error (the caller's hang detection needs it).
    pub async fn sweep_storage(
        &mut self,
        modem: &mut Modem,
        why: SweepReason,
    ) -> Result<SweepSummary, ModemError> {
        let mut summary = SweepSummary::default();
        let mut memories: Vec<Option<&'static str>> = vec![None];
        if let Some(sr) = modem.status_report_storage() {
            memories.push(Some(sr));
        }
        for memory in memories {
            let restore = self.enter_text_charset(modem).await;
            let listed = match memory {
                None => modem.list_messages(MessageStatus::All).await,
                Some(m) => modem.list_messages_in(m, MessageStatus::All).await,
            };
            self.leave_text_charset(modem, restore).await;
            let list = match listed {
                Ok(l) => l,
                Err(e) if outcome::is_hang(&e) || is_closed(&e) => return Err(e),
                Err(e) => {
                    let key = if memory.is_some() {
                        "sweep SR"
                    } else {
                        "sweep"
                    };
                    if let Some(n) = self.throttles.hit(key) {
                        tracing::info!(port = self.id, memory, error = %e, repeated = n, "listing stored messages failed");
                    }
                    summary.unreadable += 1;
                    continue;
                }
            };
            for m in storage::sweep_order(list) {
                let slot = m.storage.clone().unwrap_or_default();
                if self.inbound.is_tracked(&slot, m.index) {
                    summary.waiting += 1;
                    continue;
                }
                match storage::handling(&m) {
                    storage::Handling::Report => summary.reports += 1,
                    storage::Handling::Message => summary.messages += 1,
                    storage::Handling::Keep => summary.kept += 1,
                }
                self.stored(modem, m).await?;
            }
        }
        if summary.messages + summary.reports > 0 {
            tracing::info!(
                port = self.id,
                ?why,
                messages = summary.messages,
                reports = summary.reports,
                "storage sweep read what was stored"
            );
        }
        Ok(summary)
    }

    /// Reads how full the message storage is (`AT+CPMS?`, short timeout) and handles a full one:
    /// logged once, shown on the port, swept at once; if parts of unfinished multipart messages
    /// still hold it, they are committed as they are so the rest can come in.
    pub(super) async fn check_storage(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        let timeout = ms(self.settings.supervision.probe_timeout_ms);
        let Some(usage) = modem.storage_usage(timeout).await? else {
            return Ok(());
        };
        let change = self.storage.observe(&usage, modem.message_storage());
        self.sup.storage = self.storage.view().cloned();
        match change {
            Change::Fine => return Ok(()),
            Change::Freed => {
                if let Some(v) = self.storage.view() {
                    tracing::info!(
                        port = self.id,
                        memory = v.memory,
                        used = v.used,
                        total = v.total,
                        "message storage has room again"
                    );
                }
                return Ok(());
            }
            Change::BecameFull => {
                self.sup.counters.storage_full += 1;
                self.publish(true);
                if let Some(v) = self.storage.view() {
                    tracing::warn!(
                        port = self.id,
                        memory = v.memory,
                        used = v.used,
                        total = v.total,
                        "message storage full: new messages wait at the network; reading and deleting what is stored"
                    );
                }
            }
            Change::StillFull => {}
        }
        self.sweep_storage(modem, SweepReason::StorageFull).await?;
        if let Some(usage) = modem.storage_usage(timeout).await?
            && self.storage.observe(&usage, modem.message_storage()) != Change::Freed
            && self.inbound.has_waiting()
        {
            let released = self.inbound.release_waiting(std::time::Instant::now());
            tracing::warn!(
                port = self.id,
                messages = released.len(),
                "storage still full of parts of unfinished multipart messages: storing them as they are"
            );
            for r in released {
                self.commit(modem, r).await?;
            }
        }
        if let Some(usage) = modem.storage_usage(timeout).await? {
            if self.storage.observe(&usage, modem.message_storage()) == Change::Freed
                && let Some(v) = self.storage.view()
            {
                tracing::info!(
                    port = self.id,
                    memory = v.memory,
                    used = v.used,
                    total = v.total,
                    "message storage has room again"
                );
            }
            self.sup.storage = self.storage.view().cloned();
        }
        Ok(())
    }

    /// Text mode: switches the TE character set to UCS2 before reading stored messages, so
    /// texts in any alphabet (and numbers) arrive intact as UCS2 hex (the GSM character set
    /// cannot show a UCS2-coded message). Returns the character set to restore afterwards
    /// (`None`: nothing to restore). If the modem refuses UCS2, texts are read in its current
    /// character set and decoded from it.
    pub(super) async fn enter_text_charset(&mut self, modem: &Modem) -> Option<String> {
        if modem.pdu_mode() {
            return None;
        }
        let timeout = ms(self.settings.supervision.command_timeout_ms);
        let current = modem.engine().run(&CscsQuery).await.ok();
        if current.as_deref() == Some("UCS2") {
            self.text_ucs2 = true;
            return None;
        }
        self.text_ucs2 = modem
            .engine()
            .raw("AT+CSCS=\"UCS2\"", timeout, &[])
            .await
            .is_ok();
        if self.text_ucs2 {
            current.or_else(|| Some("GSM".into()))
        } else {
            None
        }
    }

    /// Restores the character set [`Self::enter_text_charset`] changed.
    pub(super) async fn leave_text_charset(&mut self, modem: &Modem, restore: Option<String>) {
        let Some(cs) = restore else {
            return;
        };
        let timeout = ms(self.settings.supervision.command_timeout_ms);
        if let Err(e) = modem
            .engine()
            .raw(&format!("AT+CSCS=\"{cs}\""), timeout, &[])
            .await
        {
            tracing::warn!(port = self.id, error = %e, charset = cs, "restoring the character set failed");
        }
    }

    /// A text-mode status report.
    /// Records a text-mode report; `true` once it is in the spool (only then may a stored
    /// copy be deleted).
    pub(super) async fn text_report(&mut self, r: &TextStatusReport) -> bool {
        let recipient = text_field(&r.recipient, self.text_ucs2);
        self.record_report(r.message_ref, recipient, StatusClass::from_status(r.status))
            .await
    }

    /// Records a PDU report; `true` once it is in the spool (only then may a stored copy be
    /// deleted).
    pub(super) async fn report(&mut self, r: &StatusReport) -> bool {
        self.record_report(r.message_ref, r.recipient.display(), r.status_class())
            .await
    }

    /// Matches and records a report in the spool; `false` when the spool refused it (the
    /// report is then left where it is stored, so the next sweep reads it again).
    pub(super) async fn record_report(
        &mut self,
        reference: u8,
        recipient: String,
        class: StatusClass,
    ) -> bool {
        let status = match class {
            StatusClass::Delivered => DeliveryStatus::Delivered,
            StatusClass::TemporaryFailure => DeliveryStatus::Pending,
            StatusClass::PermanentFailure | StatusClass::TemporaryFailureNoRetry => {
                DeliveryStatus::Failed
            }
        };
        let report = DeliveryReport {
            port: self.id,
            reference,
            recipient,
            status,
            received_at: self.deps.clock.now(),
        };
        let window = chrono::Duration::hours(REPORT_WINDOW_H);
        match self
            .deps
            .spool
            .call(move |db| db.record_delivery_report(&report, window))
            .await
        {
            Ok(_) => {
                self.sup.counters.reports += 1;
                true
            }
            Err(e) => {
                tracing::error!(port = self.id, error = %e, "recording a delivery report failed; a stored copy stays on the modem");
                false
            }
        }
    }
}

/// A text-mode field (number, body) as the modem shows it in its character set: UCS2 hex
/// when `ucs2`, else GSM 7-bit codes one per character. A field that is not valid in that
/// character set (a modem that ignores it for this field) is kept as shown.
pub fn text_field(raw: &str, ucs2: bool) -> String {
    if ucs2 {
        smsgate_pdu::ucs2::from_hex(raw).unwrap_or_else(|_| raw.to_owned())
    } else if raw.chars().all(|c| u32::from(c) < 0x80) {
        smsgate_pdu::gsm7::decode_unpacked(raw.as_bytes())
    } else {
        raw.to_owned()
    }
}

/// A stored text-mode SMS as a whole inbound message (text mode shows no concatenation
/// header, so each stored part is a message of its own).
pub fn text_message(t: &TextMessage, ucs2: bool) -> InboundMessage {
    let text = text_field(&t.body, ucs2);
    InboundMessage {
        sender: text_field(&t.number, ucs2),
        reference: None,
        total: 1,
        data: text.as_bytes().to_vec(),
        encoding: if ucs2 { Encoding::Ucs2 } else { Encoding::Gsm7 },
        text,
        timestamp: t.timestamp.as_ref().map(|ts| ts.time),
        received: vec![1],
        missing: Vec::new(),
        complete: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_mode_fields_decode_from_ucs2_hex_and_from_gsm_codes() {
        assert_eq!(text_field("041F04400438", true), "При");
        assert_eq!(text_field("002B00330033", true), "+33");
        // Not valid UCS2 hex: kept as the modem showed it.
        assert_eq!(text_field("+3361", true), "+3361");
        // GSM codes: 0x00 is '@'.
        assert_eq!(text_field("a\u{0}b", false), "a@b");
        assert_eq!(text_field("Привет", false), "Привет");
    }

    #[test]
    fn a_text_mode_message_becomes_a_whole_single_part_inbound_message() {
        let t = TextMessage {
            index: Some(3),
            status: None,
            number: "002B0031".into(),
            alpha: None,
            timestamp: None,
            dcs: None,
            body: "00680069".into(),
        };
        let m = text_message(&t, true);
        assert_eq!((m.sender.as_str(), m.text.as_str()), ("+1", "hi"));
        assert!(m.complete && m.missing.is_empty());
        assert_eq!(m.total, 1);
    }
}
