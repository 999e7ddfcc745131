//! Unknown settled by evidence, ambiguous reports kept for the operator, and the report window
//! (`no_report`), on real SQLite spools.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::spool::evidence::MatchRule;
use smsgate_gateway::spool::*;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 14, 0, 0).unwrap()
}

const WINDOW: Duration = Duration::hours(72);

struct S {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    db: SpoolDb,
    clock: Arc<ManualClock>,
}

fn spool() -> S {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.sqlite");
    let clock = Arc::new(ManualClock::new(t0()));
    let db = SpoolDb::open(&path, clock.clone()).unwrap();
    S {
        _dir: dir,
        path,
        db,
        clock,
    }
}

impl S {
    /// A message claimed on `port` and left `sending` (the send was cut).
    fn sending(&mut self, to: &str, port: u16) -> i64 {
        let id = self
            .db
            .submit(NewMessage::new(to, "hello", "g"))
            .unwrap()
            .id;
        self.db.claim(id, port).unwrap().unwrap();
        id
    }

    /// The gateway dies while it sends, and starts again.
    fn crash(&mut self) {
        let db = SpoolDb::open(&self.path, self.clock.clone()).unwrap();
        self.db = db;
    }

    fn report(
        &mut self,
        port: u16,
        reference: u8,
        to: &str,
        status: DeliveryStatus,
    ) -> Option<(i64, MessageState)> {
        self.clock.set(self.clock_now() + Duration::seconds(5));
        let r = DeliveryReport {
            port,
            reference,
            recipient: to.into(),
            status,
            received_at: self.clock_now(),
        };
        self.db.record_delivery_report(&r, WINDOW).unwrap()
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use smsgate_gateway::clock::Clock;
        self.clock.now()
    }

    fn get(&mut self, id: i64) -> Message {
        self.db.get(id).unwrap().unwrap()
    }
}

#[test]
fn a_message_left_unknown_by_a_crash_is_delivered_by_the_only_matching_report_with_the_evidence_on_it()
 {
    let mut s = spool();
    let id = s.sending("+447700900123", 2);
    s.crash();
    assert_eq!(s.get(id).state, MessageState::Unknown);
    let got = s.report(2, 41, "07700900123", DeliveryStatus::Delivered);
    assert_eq!(got, Some((id, MessageState::Delivered)));
    let m = s.get(id);
    assert_eq!(m.state, MessageState::Delivered);
    let e = m.evidence.expect("evidence recorded");
    assert_eq!(
        (e.port, e.reference, e.status.as_str()),
        (2, 41, "delivered")
    );
    assert_eq!(e.rule, MatchRule::OnlyCandidate);
    assert_eq!(m.parts.len(), 1, "the part the report names is recorded");
    assert_eq!(m.parts[0].reference, Some(41));
    // The hub hears it through the outbox, evidence included.
    let events = s.db.peek_events(100).unwrap();
    let last = events
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            SpoolEvent::MessageState {
                state, evidence, ..
            } => Some((*state, evidence.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(last.0, MessageState::Delivered);
    assert_eq!(last.1.map(|e| e.reference), Some(41));
}

#[test]
fn an_unknown_message_whose_reference_was_recorded_is_failed_by_its_failed_report() {
    let mut s = spool();
    let id = s.sending("+447700900123", 1);
    s.db.mark_unknown(
        id,
        "timeout after the PDU",
        &[SentPart {
            seq: 1,
            port: 1,
            reference: 9,
        }],
    )
    .unwrap();
    let got = s.report(1, 9, "+447700900123", DeliveryStatus::Failed);
    assert_eq!(got, Some((id, MessageState::Failed)));
    let m = s.get(id);
    assert_eq!(m.evidence.unwrap().rule, MatchRule::Reference);
    assert!(m.error.unwrap().contains("went out and failed"));
}

#[test]
fn two_unknown_messages_to_the_same_number_on_the_same_port_stay_unknown_with_the_report_as_a_candidate()
 {
    let mut s = spool();
    let a = s.sending("+447700900123", 0);
    let b = s.sending("+447700900123", 0);
    s.crash();
    let got = s.report(0, 5, "+447700900123", DeliveryStatus::Delivered);
    assert_eq!(got, None);
    for id in [a, b] {
        let m = s.get(id);
        assert_eq!(m.state, MessageState::Unknown, "left for the operator");
        assert!(m.evidence.is_none());
        assert_eq!(m.ambiguous_reports.len(), 1);
        assert_eq!(m.ambiguous_reports[0].candidates, vec![a, b]);
        assert_eq!(m.ambiguous_reports[0].reference, 5);
    }
}

#[test]
fn a_report_for_another_number_or_port_leaves_an_unknown_message_alone() {
    let mut s = spool();
    let id = s.sending("+447700900123", 0);
    s.crash();
    assert_eq!(
        s.report(1, 5, "+447700900123", DeliveryStatus::Delivered),
        None
    );
    assert_eq!(
        s.report(0, 5, "+447700900999", DeliveryStatus::Delivered),
        None
    );
    let m = s.get(id);
    assert_eq!(m.state, MessageState::Unknown);
    assert!(m.ambiguous_reports.is_empty());
}

#[test]
fn a_pending_report_does_not_settle_an_unknown_message() {
    let mut s = spool();
    let id = s.sending("+447700900123", 0);
    s.crash();
    s.report(0, 5, "+447700900123", DeliveryStatus::Pending);
    assert_eq!(s.get(id).state, MessageState::Unknown);
}

#[test]
fn a_long_unknown_message_is_delivered_only_when_every_part_is_reported() {
    let mut s = spool();
    let text = "x".repeat(400); // three parts
    let id =
        s.db.submit(NewMessage::new("+447700900123", text, "g"))
            .unwrap()
            .id;
    s.db.claim(id, 3).unwrap().unwrap();
    let parts: Vec<SentPart> = (1..=3)
        .map(|seq| SentPart {
            seq,
            port: 3,
            reference: 10 + seq as u8,
        })
        .collect();
    s.db.mark_unknown(id, "cut after the last part", &parts[..2])
        .unwrap();
    s.report(3, 11, "+447700900123", DeliveryStatus::Delivered);
    s.report(3, 12, "+447700900123", DeliveryStatus::Delivered);
    assert_eq!(
        s.get(id).state,
        MessageState::Unknown,
        "part 3 is not known to have gone out"
    );
}

#[test]
fn a_sent_message_without_a_report_becomes_no_report_after_the_window_and_a_late_report_delivers_it()
 {
    let mut s = spool();
    let id = s.sending("+447700900123", 0);
    s.db.mark_sent(
        id,
        &[SentPart {
            seq: 1,
            port: 0,
            reference: 3,
        }],
    )
    .unwrap();
    let window = Duration::hours(1);
    s.clock.set(t0() + Duration::minutes(59));
    assert_eq!(s.db.mark_no_report_due(window).unwrap(), 0);
    s.clock.set(t0() + Duration::minutes(61));
    assert_eq!(s.db.mark_no_report_due(window).unwrap(), 1);
    let m = s.get(id);
    assert_eq!(m.state, MessageState::NoReport);
    assert!(m.error.unwrap().contains("no delivery report"));
    assert_eq!(s.db.mark_no_report_due(window).unwrap(), 0, "once");
    let got = s.report(0, 3, "+447700900123", DeliveryStatus::Delivered);
    assert_eq!(got, Some((id, MessageState::Delivered)));
    assert!(
        s.get(id).evidence.is_none(),
        "an ordinary report, not evidence"
    );
}

#[test]
fn a_report_stored_while_the_box_was_down_settles_the_message_found_sending_at_restart() {
    // The report was received by the modem (stored on the SIM) while the gateway was off; the
    // storage sweep after the restart hands it to the spool with the time it was read.
    let mut s = spool();
    let id = s.sending("+33612345678", 1);
    s.clock.set(t0() + Duration::minutes(30));
    s.crash();
    let got = s.report(1, 200, "0612345678", DeliveryStatus::Delivered);
    assert_eq!(got, Some((id, MessageState::Delivered)));
}

#[test]
fn pruning_old_reports_also_forgets_their_candidates() {
    let mut s = spool();
    let a = s.sending("+447700900123", 0);
    let b = s.sending("+447700900123", 0);
    s.crash();
    s.report(0, 5, "+447700900123", DeliveryStatus::Delivered);
    let (_, reports) = s.db.prune_finished(t0() + Duration::days(30)).unwrap();
    assert_eq!(reports, 1);
    assert!(s.get(a).ambiguous_reports.is_empty());
    assert!(s.get(b).ambiguous_reports.is_empty());
}

#[test]
fn the_hub_hears_a_settled_outcome_as_a_delivery_report_with_the_record_naming_the_report() {
    let mut s = spool();
    let hub_message = uuid::Uuid::now_v7();
    let mut m = NewMessage::new("+447700900124", "hello", "g");
    m.idempotency_key = Some(format!("hub:{}:{hub_message}", uuid::Uuid::now_v7()));
    let id = s.db.submit(m).unwrap().id;
    s.db.claim(id, 1).unwrap().unwrap();
    s.crash();
    s.report(1, 12, "+447700900124", DeliveryStatus::Delivered);
    let gw = smsgate_wire::GatewayId::new("gw-test").unwrap();
    let events = s.db.peek_events(100).unwrap();
    let ups: Vec<smsgate_wire::Up> = events
        .iter()
        .filter_map(|e| smsgate_gateway::cloud::translate(&mut s.db, &gw, e).unwrap())
        .collect();
    let dlr = ups
        .iter()
        .find_map(|u| match u {
            smsgate_wire::Up::Dlr(d) => Some(d.clone()),
            _ => None,
        })
        .expect("a delivery report for the hub");
    assert_eq!(dlr.message_id, hub_message);
    assert_eq!(dlr.state, smsgate_wire::DeliveryState::Delivered);
    let evidence = dlr.evidence.expect("the record travels with the report");
    assert!(
        evidence.contains("on port 1 (TP-MR 12) settled it"),
        "{evidence}"
    );
    // The unknown status before it carried the record of the cut send.
    let unknown = ups.iter().find_map(|u| match u {
        smsgate_wire::Up::Status(st) if st.state == smsgate_wire::SendState::Unknown => {
            st.evidence.clone()
        }
        _ => None,
    });
    assert!(unknown.is_some_and(|e| e.starts_with("port 1, attempt 1")));
}

#[test]
fn an_ordinary_delivery_report_carries_no_evidence() {
    let mut s = spool();
    let hub_message = uuid::Uuid::now_v7();
    let mut m = NewMessage::new("+447700900125", "hello", "g");
    m.idempotency_key = Some(format!("hub:{}:{hub_message}", uuid::Uuid::now_v7()));
    let id = s.db.submit(m).unwrap().id;
    s.db.claim(id, 0).unwrap().unwrap();
    s.db.mark_sent(
        id,
        &[SentPart {
            seq: 1,
            port: 0,
            reference: 5,
        }],
    )
    .unwrap();
    s.report(0, 5, "+447700900125", DeliveryStatus::Delivered);
    let gw = smsgate_wire::GatewayId::new("gw-test").unwrap();
    let events = s.db.peek_events(100).unwrap();
    let dlr = events
        .iter()
        .filter_map(|e| smsgate_gateway::cloud::translate(&mut s.db, &gw, e).unwrap())
        .find_map(|u| match u {
            smsgate_wire::Up::Dlr(d) => Some(d),
            _ => None,
        })
        .expect("a delivery report");
    assert_eq!(dlr.evidence, None);
}
