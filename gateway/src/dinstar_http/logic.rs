//! Pure pieces of the Dinstar port worker: what a send answer and a send result mean
//! ([`SendOutcome`], like `ports::outcome` does for AT sends), caller ids, time stamps, and the
//! delivery-status cursor.

use super::api::{DeliverStatus, DinstarError, SmsResult};
use crate::ports::outcome::{MAX_ATTEMPTS, SendOutcome, retry_delay};
use crate::spool::{DeliveryStatus, SentPart};
use chrono::{DateTime, NaiveDateTime, Utc};
use smsgate_pdu::StatusClass;
use std::collections::BTreeSet;

/// The gateway's time stamp format.
pub const TIME_FMT: &str = "%Y-%m-%d %H:%M:%S";

/// The `user_id` of one send attempt: the message id and the attempt number, so a result of
/// an earlier attempt of a requeued message never answers for a later one.
pub fn user_id(message_id: i64, attempts: u32) -> u64 {
    u64::try_from(message_id)
        .unwrap_or(0)
        .wrapping_mul(256)
        .wrapping_add(u64::from(attempts % 256))
}

/// `"gsm-7bit"` when the text fits the GSM 7-bit alphabet, else `"unicode"`.
pub fn encoding_for(text: &str) -> &'static str {
    if smsgate_pdu::gsm7::encode_unpacked(text).is_ok() {
        "gsm-7bit"
    } else {
        "unicode"
    }
}

/// How many segments the gateway will make of `text` (its own split; at least 1).
pub fn segments(to: &str, text: &str) -> u32 {
    let opts = smsgate_pdu::SubmitOptions::default();
    smsgate_pdu::encode_submit(to, text, &opts)
        .map_or(1, |p| u32::try_from(p.len()).unwrap_or(u32::MAX))
        .max(1)
}

/// A gateway time stamp ("YYYY-MM-DD HH:MM:SS", no zone) read as UTC; `None` if malformed.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), TIME_FMT)
        .ok()
        .map(|t| t.and_utc())
}

/// The parts a result reports as sent: `succ_count` segments with consecutive TP-MRs from
/// `ref_id` (wrapping at 256).
pub fn sent_parts(port: u16, r: &SmsResult, segments: u32) -> Vec<SentPart> {
    (0..segments)
        .map(|i| SentPart {
            seq: u16::try_from(i + 1).unwrap_or(u16::MAX),
            port,
            reference: r.ref_id.wrapping_add(u8::try_from(i % 256).unwrap_or(0)),
        })
        .collect()
}

fn retry_or_fail(reason: String, attempts: u32) -> SendOutcome {
    if attempts >= MAX_ATTEMPTS {
        SendOutcome::Failed {
            reason: format!("gave up after {attempts} attempts: {reason}"),
        }
    } else {
        SendOutcome::Retry {
            reason,
            after: retry_delay(attempts),
        }
    }
}

/// The meaning of a `send_sms` error (the request was not accepted with 202); the bool says
/// whether it counts against the port (benching).
pub fn refused(e: &DinstarError, attempts: u32) -> (SendOutcome, bool) {
    let reason = e.to_string();
    if e.may_have_been_processed() {
        return (
            SendOutcome::Unknown {
                reason,
                parts: Vec::new(),
            },
            true,
        );
    }
    match e {
        // Bad format / too long: this message can never go out this way.
        DinstarError::Refused {
            code: 400 | 413, ..
        } => (SendOutcome::Failed { reason }, false),
        // 550 no available port (SIM missing, not registered), 500 other, HTTP errors,
        // unreachable gateway: nothing went out; another port may take it.
        _ => (retry_or_fail(reason, attempts), true),
    }
}

/// The meaning of the send result of an accepted message, `None` while it is still sending
/// (or not listed yet). `results` are the entries for this attempt's user id; the last wins.
pub fn settled(port: u16, results: &[SmsResult], attempts: u32) -> Option<SendOutcome> {
    let r = results.last()?;
    match r.status.as_str() {
        "SENT_OK" | "DELIVERED" => Some(SendOutcome::Sent(sent_parts(port, r, r.count.max(1)))),
        "FAILED" if r.succ_count > 0 => Some(SendOutcome::Unknown {
            reason: format!(
                "the gateway sent {} of {} segments, then failed",
                r.succ_count, r.count
            ),
            parts: sent_parts(port, r, r.succ_count),
        }),
        "FAILED" => Some(retry_or_fail(
            "the gateway could not send it (status FAILED, no segment sent)".into(),
            attempts,
        )),
        _ => None,
    }
}

/// The outcome of an accepted message whose result did not settle in time: it may have gone
/// out, so `unknown` (never resent automatically).
pub fn unsettled(results: &[SmsResult]) -> SendOutcome {
    let seen = results.last().map_or("no result listed".to_owned(), |r| {
        format!("status {}", r.status)
    });
    SendOutcome::Unknown {
        reason: format!("accepted by the gateway, but no final result in time ({seen})"),
        parts: Vec::new(),
    }
}

/// A delivery status as the spool's [`DeliveryStatus`].
pub fn delivery_status(status_code: u8) -> DeliveryStatus {
    match StatusClass::from_status(status_code) {
        StatusClass::Delivered => DeliveryStatus::Delivered,
        StatusClass::TemporaryFailure => DeliveryStatus::Pending,
        StatusClass::PermanentFailure | StatusClass::TemporaryFailureNoRetry => {
            DeliveryStatus::Failed
        }
    }
}

/// Which delivery statuses of one port are new. The API can only filter by time (to the
/// second, strictly after), so the cursor asks from one second before the newest time seen
/// and drops entries it has already passed on.
#[derive(Debug, Default, Clone)]
pub struct StatusCursor {
    newest: Option<String>,
    seen: BTreeSet<(String, u8, String, u8)>,
}

impl StatusCursor {
    /// The `time_after` of the next query.
    pub fn time_after(&self) -> Option<String> {
        let newest = self.newest.as_deref()?;
        let t = NaiveDateTime::parse_from_str(newest, TIME_FMT).ok()?;
        Some(
            (t - chrono::Duration::seconds(1))
                .format(TIME_FMT)
                .to_string(),
        )
    }

    /// The entries of a query answer not seen before (in answer order); they count as seen.
    pub fn fresh(&mut self, answer: Vec<DeliverStatus>) -> Vec<DeliverStatus> {
        let mut out = Vec::new();
        for s in answer {
            let key = (s.time.clone(), s.ref_id, s.number.clone(), s.status_code);
            if self.seen.insert(key) {
                out.push(s);
            }
        }
        if let Some(max) = self.seen.iter().map(|k| k.0.clone()).max() {
            self.newest = Some(max);
        }
        // Entries older than the query window can never come back: forget them.
        if let Some(after) = self.time_after() {
            self.seen.retain(|k| k.0 > after);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: &str, count: u32, succ: u32, ref_id: u8) -> SmsResult {
        SmsResult {
            port: 3,
            user_id: 1,
            number: "+15550001".into(),
            time: "2026-11-21 10:00:00".into(),
            status: status.into(),
            count,
            succ_count: succ,
            ref_id,
            imsi: String::new(),
        }
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

    #[test]
    fn user_ids_differ_per_message_and_per_attempt() {
        assert_ne!(user_id(7, 1), user_id(7, 2));
        assert_ne!(user_id(7, 1), user_id(8, 1));
        assert_eq!(user_id(1, 1), 257);
    }

    #[test]
    fn gsm_texts_go_as_7bit_and_others_as_unicode() {
        assert_eq!(encoding_for("Hello @ 5€"), "gsm-7bit");
        assert_eq!(encoding_for("тест"), "unicode");
        assert_eq!(encoding_for("hi 👋"), "unicode");
    }

    #[test]
    fn a_sent_multipart_result_gives_consecutive_wrapping_references() {
        let out = settled(10, &[result("SENT_OK", 3, 3, 255)], 1).unwrap();
        let SendOutcome::Sent(parts) = out else {
            panic!("{out:?}")
        };
        let refs: Vec<(u16, u8, u16)> =
            parts.iter().map(|p| (p.seq, p.reference, p.port)).collect();
        assert_eq!(refs, [(1, 255, 10), (2, 0, 10), (3, 1, 10)]);
    }

    #[test]
    fn a_result_still_sending_or_missing_is_not_settled() {
        assert_eq!(settled(1, &[], 1), None);
        assert_eq!(settled(1, &[result("SENDING", 1, 0, 0)], 1), None);
        assert!(matches!(
            unsettled(&[result("SENDING", 1, 0, 0)]),
            SendOutcome::Unknown { .. }
        ));
    }

    #[test]
    fn a_failed_result_with_nothing_sent_retries_and_with_some_sent_is_unknown() {
        assert!(matches!(
            settled(1, &[result("FAILED", 2, 0, 0)], 1),
            Some(SendOutcome::Retry { .. })
        ));
        assert!(matches!(
            settled(1, &[result("FAILED", 2, 0, 0)], MAX_ATTEMPTS),
            Some(SendOutcome::Failed { .. })
        ));
        let Some(SendOutcome::Unknown { parts, .. }) = settled(1, &[result("FAILED", 3, 1, 9)], 1)
        else {
            panic!()
        };
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].reference, 9);
    }

    #[test]
    fn a_lost_send_answer_is_unknown_and_a_refused_one_is_not() {
        let lost = DinstarError::NoAnswer {
            endpoint: "/api/send_sms",
            message: "timed out".into(),
        };
        assert!(matches!(refused(&lost, 1).0, SendOutcome::Unknown { .. }));
        let bad = DinstarError::Refused {
            endpoint: "/api/send_sms",
            code: 413,
        };
        assert_eq!(
            refused(&bad, 1),
            (
                SendOutcome::Failed {
                    reason: "/api/send_sms: error_code 413".into()
                },
                false
            )
        );
        let no_port = DinstarError::Refused {
            endpoint: "/api/send_sms",
            code: 550,
        };
        assert!(matches!(
            refused(&no_port, 1),
            (SendOutcome::Retry { .. }, true)
        ));
        let down = DinstarError::Unreachable {
            endpoint: "/api/send_sms",
            message: "refused".into(),
        };
        assert!(matches!(
            refused(&down, 1),
            (SendOutcome::Retry { .. }, true)
        ));
    }

    #[test]
    fn delivery_status_codes_map_like_tp_st() {
        assert_eq!(delivery_status(0), DeliveryStatus::Delivered);
        assert_eq!(delivery_status(0x30), DeliveryStatus::Pending);
        assert_eq!(delivery_status(0x41), DeliveryStatus::Failed);
        assert_eq!(delivery_status(0x60), DeliveryStatus::Failed);
    }

    #[test]
    fn gateway_times_read_as_utc_and_garbage_is_none() {
        assert_eq!(
            parse_time("2026-11-21 10:00:05").unwrap().to_rfc3339(),
            "2026-11-21T10:00:05+00:00"
        );
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn the_status_cursor_passes_each_entry_on_once_across_overlapping_queries() {
        let mut c = StatusCursor::default();
        assert_eq!(c.time_after(), None);
        let first = c.fresh(vec![status("2026-11-21 10:00:05", 1, 0)]);
        assert_eq!(first.len(), 1);
        assert_eq!(c.time_after().as_deref(), Some("2026-11-21 10:00:04"));
        // Same second again plus a new one in that second and a later one.
        let second = c.fresh(vec![
            status("2026-11-21 10:00:05", 1, 0),
            status("2026-11-21 10:00:05", 2, 0),
            status("2026-11-21 10:00:07", 3, 0x41),
        ]);
        let refs: Vec<u8> = second.iter().map(|s| s.ref_id).collect();
        assert_eq!(refs, [2, 3]);
        assert_eq!(c.time_after().as_deref(), Some("2026-11-21 10:00:06"));
        assert!(
            c.fresh(vec![status("2026-11-21 10:00:07", 3, 0x41)])
                .is_empty()
        );
    }
}
