//! Pure pieces of the Dinstar HTTP path: what a send answer and a send result mean
//! ([`SendOutcome`], like `ports::outcome` does for AT sends), caller ids, the device's local
//! time stamps, port information as supervision observations, and USSD placeholders.

use super::api::{DinstarError, PortInfo, SmsResult};
use crate::ports::outcome::{MAX_ATTEMPTS, SendOutcome, retry_delay};
use crate::ports::supervision::{Observation, PortState};
use crate::spool::{DeliveryStatus, SentPart};
use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use smsgate_modem::commands::network::RegStatus;
use smsgate_pdu::StatusClass;

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

/// A device time stamp ("YYYY-MM-DD HH:MM:SS", no zone) read in the device's zone `tz`; in a
/// daylight-saving overlap the earlier instant, in a gap the hour after. `None` if malformed.
pub fn parse_time(tz: Tz, s: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), TIME_FMT).ok()?;
    local_to_utc(tz, naive)
}

/// A naive device-local time as UTC (see [`parse_time`]).
pub fn local_to_utc(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    let local = tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
    })?;
    Some(local.with_timezone(&Utc))
}

/// An instant as the device's local time (naive).
pub fn device_local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// A naive device time as the API writes it.
pub fn fmt_time(t: NaiveDateTime) -> String {
    t.format(TIME_FMT).to_string()
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

/// What `get_port_info` says about a port, as the supervision observations that bring the
/// port's state there from `current` (a port the API shows becomes initialised first).
pub fn port_observations(current: PortState, info: &PortInfo) -> Vec<Observation> {
    let reg = info.reg.as_deref().unwrap_or("UNKNOWN");
    let wake = |mut v: Vec<Observation>| {
        if matches!(
            current,
            PortState::Absent | PortState::Failed | PortState::PinRequired
        ) {
            v.insert(0, Observation::Initialised);
            v.insert(0, Observation::Opened);
        } else if current == PortState::Initialising {
            v.insert(0, Observation::Initialised);
        }
        v
    };
    match reg {
        "REGISTER_OK" => wake(vec![Observation::Registration(RegStatus::Home)]),
        "SEARCHING_NETWORK" => wake(vec![Observation::Registration(RegStatus::Searching)]),
        "UNREGISTER" => wake(vec![Observation::Registration(RegStatus::NotRegistered)]),
        "NO_SIM" => vec![Observation::SimProblem(
            "no SIM card in this Dinstar port (get_port_info: NO_SIM)".into(),
        )],
        "PIN_REQUIRE" => vec![Observation::PinRequired],
        "PUK_REQUIRE" => vec![Observation::SimProblem(
            "the SIM is PUK-locked (get_port_info: PUK_REQUIRE)".into(),
        )],
        "POWER_OFF" => vec![Observation::InitFailed(
            "the Dinstar port's module is powered off (get_port_info: POWER_OFF)".into(),
        )],
        // UNKNOWN or a value this build does not know: initialised, registration unknown.
        _ => wake(vec![Observation::Registration(RegStatus::Searching)]),
    }
}

/// `+CSQ`-style signal 0–31 as dBm (27.007: −113 dBm + 2 per step; 99 = unknown).
pub fn signal_dbm(rssi: u8) -> Option<i16> {
    (rssi <= 31).then(|| -113 + 2 * i16::from(rssi))
}

/// Whether a USSD reply text is one of the device's placeholders for "no reply (yet)"
/// (`""` and `" "` in the vendor document's example).
pub fn is_placeholder(text: &str) -> bool {
    text.trim().is_empty()
}

/// One look at a port's USSD reply during a session started when the port showed `before`.
/// A text counts as this session's answer when it is not a placeholder and either differs from
/// `before` or followed a placeholder (the device cleared the old reply), so an earlier
/// session's text is never taken for the new answer.
pub fn session_answer(before: Option<&str>, now: &str, cleared: &mut bool) -> Option<String> {
    if is_placeholder(now) {
        *cleared = true;
        return None;
    }
    let old = before.filter(|b| !is_placeholder(b));
    match old {
        Some(b) if b == now && !*cleared => None,
        _ => Some(now.to_owned()),
    }
}

/// The outcome of a send the operator cancelled (`stop_sms` accepted): a result that shows
/// nothing sent fails it for good (it must not go back to the queue); anything else stands.
pub fn cancelled(out: SendOutcome, task_id: u64) -> SendOutcome {
    match out {
        SendOutcome::Retry { .. } => SendOutcome::Failed {
            reason: format!(
                "cancelled on request: the Dinstar stopped it before sending (stop_sms task {task_id})"
            ),
        },
        other => other,
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
    fn device_times_are_read_in_the_device_zone_and_garbage_is_none() {
        assert_eq!(
            parse_time(chrono_tz::UTC, "2026-11-21 10:00:05")
                .unwrap()
                .to_rfc3339(),
            "2026-11-21T10:00:05+00:00"
        );
        assert_eq!(
            parse_time(chrono_tz::Europe::Moscow, "2026-11-21 13:00:05")
                .unwrap()
                .to_rfc3339(),
            "2026-11-21T10:00:05+00:00"
        );
        let t = parse_time(chrono_tz::Europe::Moscow, "2026-11-21 13:00:05").unwrap();
        assert_eq!(
            fmt_time(device_local(chrono_tz::Europe::Moscow, t)),
            "2026-11-21 13:00:05"
        );
        assert_eq!(parse_time(chrono_tz::UTC, "yesterday"), None);
        // A local time skipped by a daylight-saving jump is read as the hour after.
        let gap = parse_time(chrono_tz::Europe::Paris, "2026-03-29 02:30:00").unwrap();
        assert_eq!(gap.to_rfc3339(), "2026-03-29T01:30:00+00:00");
    }

    fn info(reg: &str) -> PortInfo {
        PortInfo {
            port: 0,
            reg: Some(reg.into()),
            ..PortInfo::default()
        }
    }

    #[test]
    fn port_information_moves_the_supervision_state_like_the_modem_would() {
        use crate::ports::supervision::Supervisor;
        let state_after = |from: PortState, reg: &str| {
            let mut s = Supervisor::new(1);
            // Walk to `from` first.
            match from {
                PortState::Absent => {}
                PortState::Registered => {
                    s.observe(Observation::Opened);
                    s.observe(Observation::Initialised);
                    s.observe(Observation::Registration(RegStatus::Home));
                }
                PortState::Failed => {
                    s.observe(Observation::SimProblem("x".into()));
                }
                _ => unreachable!(),
            }
            for o in port_observations(s.state, &info(reg)) {
                s.observe(o);
            }
            (s.state, s.reason)
        };
        assert_eq!(
            state_after(PortState::Absent, "REGISTER_OK").0,
            PortState::Registered
        );
        assert_eq!(
            state_after(PortState::Failed, "REGISTER_OK").0,
            PortState::Registered
        );
        let (state, reason) = state_after(PortState::Registered, "NO_SIM");
        assert_eq!(state, PortState::Failed);
        assert!(reason.unwrap().contains("NO_SIM"));
        assert!(!state.can_send(), "a port without a SIM is not used");
        assert_eq!(
            state_after(PortState::Registered, "PIN_REQUIRE").0,
            PortState::PinRequired
        );
        assert_eq!(
            state_after(PortState::Registered, "PUK_REQUIRE").0,
            PortState::Failed
        );
        assert_eq!(
            state_after(PortState::Registered, "POWER_OFF").0,
            PortState::Failed
        );
        assert_eq!(
            state_after(PortState::Registered, "SEARCHING_NETWORK").0,
            PortState::Searching
        );
        assert_eq!(
            state_after(PortState::Registered, "UNREGISTER").0,
            PortState::Searching
        );
        assert_eq!(
            state_after(PortState::Absent, "WHATEVER").0,
            PortState::Searching
        );
    }

    #[test]
    fn signal_steps_are_two_dbm_from_minus_113_and_99_is_unknown() {
        assert_eq!(signal_dbm(0), Some(-113));
        assert_eq!(signal_dbm(20), Some(-73));
        assert_eq!(signal_dbm(31), Some(-51));
        assert_eq!(signal_dbm(99), None);
    }

    #[test]
    fn a_ussd_session_never_takes_the_previous_sessions_text_or_a_placeholder() {
        let mut cleared = false;
        // The device still shows the last session's answer: not ours.
        assert_eq!(
            session_answer(Some("Balance 5"), "Balance 5", &mut cleared),
            None
        );
        // Placeholders are "no reply yet".
        assert_eq!(session_answer(Some("Balance 5"), " ", &mut cleared), None);
        assert!(cleared);
        // After the device cleared it, even the same text is this session's answer.
        assert_eq!(
            session_answer(Some("Balance 5"), "Balance 5", &mut cleared).as_deref(),
            Some("Balance 5")
        );
        let mut fresh = false;
        assert_eq!(
            session_answer(Some("Balance 5"), "Balance 4", &mut fresh).as_deref(),
            Some("Balance 4")
        );
        let mut none = false;
        assert_eq!(session_answer(None, "", &mut none), None);
        assert_eq!(
            session_answer(Some(""), "Hi", &mut none).as_deref(),
            Some("Hi")
        );
    }

    #[test]
    fn a_cancelled_send_with_nothing_sent_fails_for_good_and_a_sent_one_stays_sent() {
        let retry = settled(1, &[result("FAILED", 1, 0, 0)], 1).unwrap();
        assert!(
            matches!(cancelled(retry, 7), SendOutcome::Failed { reason } if reason.contains("stop_sms task 7"))
        );
        let sent = settled(1, &[result("SENT_OK", 1, 1, 0)], 1).unwrap();
        assert!(matches!(cancelled(sent, 7), SendOutcome::Sent(_)));
    }
}
