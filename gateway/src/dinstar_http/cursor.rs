//! [`ReportCursor`]: which `time_after` to ask `query_sms_deliver_status` for, and which
//! answered entries are new (pure).
//!
//! The vendor document gives a report's `time` as the time the SMS was *sent*, so a report for
//! an earlier message that arrives after a later message's report carries an earlier time than
//! one already seen: a cursor at "newest time seen" skips it for ever. So the cursor stays at
//! the send time of the oldest part still waiting for a final report (each successful send is
//! noted with the device's own send time; at start the spool's unreported parts are noted), or
//! at the time of the last query when nothing waits, minus an overlap; entries are
//! de-duplicated by (port, ref_id, number, time, status_code). Parts waiting longer than the
//! report window are forgotten (their references may be reused).

use super::api::DeliverStatus;
use super::logic::{TIME_FMT, fmt_time};
use chrono::NaiveDateTime;
use smsgate_pdu::StatusClass;
use std::collections::{BTreeMap, BTreeSet};

/// Margin below the cursor: device clock steps, the filter being strict, reports stamped a
/// little before the send time we noted.
pub const OVERLAP: chrono::Duration = chrono::Duration::seconds(120);

type Key = (u16, u8, String, String, u8);

/// The delivery-status cursor of one device.
#[derive(Debug, Clone)]
pub struct ReportCursor {
    window: chrono::Duration,
    /// (port, ref_id, number tail) → device send time, for parts without a final report.
    waiting: BTreeMap<(u16, u8, String), NaiveDateTime>,
    last_query: Option<NaiveDateTime>,
    seen: BTreeSet<Key>,
}

fn tail(number: &str) -> String {
    crate::spool::number_tail(number)
}

impl ReportCursor {
    /// A cursor that forgets parts waiting longer than `window`.
    pub fn new(window: chrono::Duration) -> Self {
        Self {
            window,
            waiting: BTreeMap::new(),
            last_query: None,
            seen: BTreeSet::new(),
        }
    }

    /// `count` parts to `number` left `port` with references from `first_ref` at device time
    /// `sent`.
    pub fn sent(
        &mut self,
        port: u16,
        number: &str,
        first_ref: u8,
        count: u32,
        sent: NaiveDateTime,
    ) {
        for i in 0..count.max(1) {
            let r = first_ref.wrapping_add(u8::try_from(i % 256).unwrap_or(0));
            let e = self.waiting.entry((port, r, tail(number))).or_insert(sent);
            *e = (*e).min(sent);
        }
    }

    /// How many parts wait for a final report.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The `time_after` of a query made at device time `now`.
    pub fn time_after(&mut self, now: NaiveDateTime) -> String {
        let floor = now - self.window;
        self.waiting.retain(|_, t| *t >= floor);
        let oldest = self.waiting.values().min().copied();
        let base = match (oldest, self.last_query) {
            (Some(o), Some(q)) => o.min(q),
            (Some(o), None) => o,
            (None, Some(q)) => q,
            // First query: everything the window can still match (reports that came in while
            // the gateway was down).
            (None, None) => floor,
        };
        fmt_time((base - OVERLAP).max(floor))
    }

    /// Pushed entries not seen before (the query window does not move; a polled answer
    /// repeating them later is de-duplicated).
    pub fn pushed(&mut self, entries: Vec<DeliverStatus>) -> Vec<DeliverStatus> {
        let mut out = Vec::new();
        for s in entries {
            if self.admit(&s) {
                out.push(s);
            }
        }
        out
    }

    fn admit(&mut self, s: &DeliverStatus) -> bool {
        let key = (
            s.port,
            s.ref_id,
            tail(&s.number),
            s.time.clone(),
            s.status_code,
        );
        self.seen.insert(key)
    }

    /// Whether a part this report is for was noted as sent (and has no final report yet).
    pub fn is_waiting(&self, s: &DeliverStatus) -> bool {
        self.waiting
            .contains_key(&(s.port, s.ref_id, tail(&s.number)))
    }

    /// The report was recorded: a final one ends its part's wait.
    pub fn reported(&mut self, s: &DeliverStatus) {
        if StatusClass::from_status(s.status_code) != StatusClass::TemporaryFailure {
            self.waiting.remove(&(s.port, s.ref_id, tail(&s.number)));
        }
    }

    /// The entries of an answer to a query made at device time `now` with `time_after` not seen
    /// before (in answer order); they count as seen.
    pub fn fresh(
        &mut self,
        asked_after: &str,
        now: NaiveDateTime,
        answer: Vec<DeliverStatus>,
    ) -> Vec<DeliverStatus> {
        let mut out = Vec::new();
        for s in answer {
            if self.admit(&s) {
                out.push(s);
            }
        }
        self.last_query = Some(now);
        // Entries older than the query window cannot be answered again: forget them.
        let asked = NaiveDateTime::parse_from_str(asked_after, TIME_FMT).ok();
        if let Some(a) = asked {
            let keep = fmt_time(a);
            self.seen.retain(|k| k.3 >= keep);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, TIME_FMT).unwrap()
    }

    fn status(time: &str, ref_id: u8, code: u8) -> DeliverStatus {
        DeliverStatus {
            port: 3,
            number: "+15550001".into(),
            time: time.into(),
            ref_id,
            status_code: code,
            imsi: String::new(),
        }
    }

    fn cursor() -> ReportCursor {
        ReportCursor::new(chrono::Duration::hours(72))
    }

    #[test]
    fn the_first_query_reaches_back_over_the_whole_report_window() {
        let mut c = cursor();
        assert_eq!(
            c.time_after(t("2026-11-21 10:00:00")),
            "2026-11-18 10:00:00"
        );
    }

    #[test]
    fn a_late_report_for_an_earlier_message_is_still_fetched_after_a_later_ones_report() {
        let mut c = cursor();
        let now = t("2026-11-21 10:00:00");
        let first = c.time_after(now);
        c.fresh(&first, now, vec![]);
        // A sent at 10:01, B at 10:05.
        c.sent(3, "+15550001", 1, 1, t("2026-11-21 10:01:00"));
        c.sent(3, "+15550001", 2, 1, t("2026-11-21 10:05:00"));
        // B's report comes first.
        let q = c.time_after(t("2026-11-21 10:06:00"));
        assert!(q.as_str() < "2026-11-21 10:01:00", "{q}");
        let got = c.fresh(
            &q,
            t("2026-11-21 10:06:00"),
            vec![status("2026-11-21 10:05:00", 2, 0)],
        );
        assert_eq!(got.len(), 1);
        assert!(c.is_waiting(&got[0]));
        c.reported(&got[0]);
        // The cursor stays before A's send time: A's late report (stamped 10:01) is in range.
        let q = c.time_after(t("2026-11-21 10:30:00"));
        assert!(q.as_str() < "2026-11-21 10:01:00", "{q}");
        let got = c.fresh(
            &q,
            t("2026-11-21 10:30:00"),
            vec![
                status("2026-11-21 10:05:00", 2, 0),
                status("2026-11-21 10:01:00", 1, 0),
            ],
        );
        let refs: Vec<u8> = got.iter().map(|s| s.ref_id).collect();
        assert_eq!(refs, [1], "B's report once, A's late one passed on");
        c.reported(&got[0]);
        assert_eq!(c.waiting(), 0);
        // Nothing waits: the cursor follows the last query.
        let q = c.time_after(t("2026-11-21 10:31:00"));
        assert_eq!(q, "2026-11-21 10:28:00");
    }

    #[test]
    fn a_temporary_status_keeps_the_part_waiting_for_its_final_report() {
        let mut c = cursor();
        c.sent(3, "+15550001", 9, 2, t("2026-11-21 10:00:00"));
        assert_eq!(c.waiting(), 2);
        let q = c.time_after(t("2026-11-21 10:01:00"));
        for s in c.fresh(
            &q,
            t("2026-11-21 10:01:00"),
            vec![status("2026-11-21 10:00:00", 9, 0x30)],
        ) {
            c.reported(&s);
        }
        assert_eq!(c.waiting(), 2);
        let got = c.fresh(
            &q,
            t("2026-11-21 10:02:00"),
            vec![
                status("2026-11-21 10:00:00", 9, 0x30),
                status("2026-11-21 10:00:00", 9, 0),
                status("2026-11-21 10:00:00", 10, 0x41),
            ],
        );
        assert_eq!(
            got.len(),
            2,
            "the repeated temporary status is not passed on twice"
        );
        for s in &got {
            c.reported(s);
        }
        assert_eq!(c.waiting(), 0);
    }

    #[test]
    fn parts_waiting_longer_than_the_window_are_forgotten() {
        let mut c = cursor();
        c.sent(3, "+15550001", 1, 1, t("2026-11-01 10:00:00"));
        let q = c.time_after(t("2026-11-21 10:00:00"));
        assert_eq!(q, "2026-11-18 10:00:00");
        assert_eq!(c.waiting(), 0);
    }
}
