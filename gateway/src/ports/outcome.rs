//! What a send attempt means for the message and for the port (pure).
//!
//! - every part accepted → `Sent` with the parts' references;
//! - the PDU of some part may have gone out (timeout or I/O after the payload), or earlier parts
//!   did go out → `Unknown`: never resent automatically;
//! - nothing went out and the error is temporary or the modem is unfit (transient CMS/CME codes,
//!   prompt timeouts, closed engine, no SIM) → `Retry`: at once on another port of the group
//!   (the failover rule, `dispatch::failover`), after a backoff on a port that failed it, until
//!   [`MAX_ATTEMPTS`]; a plain `ERROR` or unknown code gets tries on up to [`UNKNOWN_PORTS`]
//!   different ports;
//! - nothing went out and the request itself is wrong (bad number, barred, PDU the text cannot
//!   make) → `Failed` with the reason.

use crate::schedule::bench::BenchCause;
use crate::spool::SentPart;
use smsgate_at::{AtError, ErrorClass};
use smsgate_modem::{ModemError, SendError};
use std::time::Duration;

/// Attempts after which a message that keeps failing with retryable errors fails for good.
pub const MAX_ATTEMPTS: u32 = 6;
/// Different ports a message failing with a plain `ERROR` or an unknown code is tried on.
pub const UNKNOWN_PORTS: usize = 3;
/// First retry delay; doubles with each attempt.
pub const RETRY_BASE: Duration = Duration::from_millis(500);
/// Longest retry delay.
pub const RETRY_MAX: Duration = Duration::from_secs(60);

/// The meaning of one send attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Every part was accepted; parts without a reference (bare `OK`) are left out.
    Sent(Vec<SentPart>),
    /// Nothing went out; try again later (another port may take it).
    Retry {
        /// Why.
        reason: String,
        /// Earliest next attempt, from now.
        after: Duration,
    },
    /// Nothing went out and it never will.
    Failed {
        /// Why.
        reason: String,
    },
    /// Some or all of it may have gone out: not resent automatically.
    Unknown {
        /// Why.
        reason: String,
        /// Parts known to have been accepted.
        parts: Vec<SentPart>,
    },
}

impl SendOutcome {
    /// Whether the attempt counts as a failure of the port (for benching).
    pub fn port_failed(&self, error_class: Option<ErrorClass>) -> bool {
        match self {
            SendOutcome::Sent(_) => false,
            SendOutcome::Failed { .. } => error_class != Some(ErrorClass::Permanent),
            SendOutcome::Retry { .. } | SendOutcome::Unknown { .. } => true,
        }
    }
}

/// The retry delay before attempt `attempts + 1`.
pub fn retry_delay(attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(16));
    RETRY_BASE.saturating_mul(factor).min(RETRY_MAX)
}

/// The error class of a modem error (`None` when it is not an AT error).
pub fn error_class(e: &ModemError) -> Option<ErrorClass> {
    match e {
        ModemError::At { source, .. } => Some(source.class()),
        ModemError::Pdu(_) | ModemError::TextMode(_) => Some(ErrorClass::Permanent),
        ModemError::Closed => Some(ErrorClass::Transient),
        ModemError::SimNotReady(_)
        | ModemError::NoSms(_)
        | ModemError::NotRegistered { .. }
        | ModemError::RegistrationDenied => Some(ErrorClass::Modem),
        _ => None,
    }
}

fn parts_of(port: u16, refs: &[Option<u8>]) -> Vec<SentPart> {
    refs.iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.map(|reference| SentPart {
                seq: u16::try_from(i + 1).unwrap_or(u16::MAX),
                port,
                reference,
            })
        })
        .collect()
}

/// What a failed send says about the port (the bench rule, `schedule::bench`); `None`: the
/// message was at fault (bad number, bad PDU), not the port.
pub fn bench_cause(e: &ModemError) -> Option<BenchCause> {
    match e {
        ModemError::At {
            source: AtError::Timeout { .. } | AtError::PromptTimeout { .. } | AtError::Io { .. },
            ..
        } => Some(BenchCause::Unresponsive),
        ModemError::Closed => Some(BenchCause::Unresponsive),
        _ => match error_class(e) {
            Some(ErrorClass::Transient) => Some(BenchCause::Network),
            Some(ErrorClass::Modem) => Some(BenchCause::Modem),
            Some(ErrorClass::Permanent) => None,
            Some(ErrorClass::Unknown) | None => Some(BenchCause::Refused),
        },
    }
}

/// Classifies the result of `Modem::send_sms` for a message on its `attempts`-th claim, on the
/// old rule (each attempt counted as another port).
pub fn classify(
    port: u16,
    attempts: u32,
    result: &Result<Vec<Option<u8>>, SendError>,
) -> SendOutcome {
    classify_attempt(port, attempts, attempts as usize, result)
}

/// Classifies the result of `Modem::send_sms` for a message on its `attempts`-th claim, which
/// has now failed on `ports_tried` different ports (this one included).
pub fn classify_attempt(
    port: u16,
    attempts: u32,
    ports_tried: usize,
    result: &Result<Vec<Option<u8>>, SendError>,
) -> SendOutcome {
    let e = match result {
        Ok(refs) => return SendOutcome::Sent(parts_of(port, refs)),
        Err(e) => e,
    };
    let reason = e.to_string();
    if e.may_have_been_sent || !e.references.is_empty() {
        return SendOutcome::Unknown {
            reason,
            parts: parts_of(port, &e.references),
        };
    }
    let class = error_class(&e.source);
    let retryable = match class {
        Some(ErrorClass::Permanent) => false,
        Some(ErrorClass::Transient | ErrorClass::Modem) => true,
        // Plain ERROR and unknown codes: tries on a few other ports, then give up.
        Some(ErrorClass::Unknown) | None => ports_tried < UNKNOWN_PORTS,
    };
    if !retryable {
        return SendOutcome::Failed { reason };
    }
    if attempts >= MAX_ATTEMPTS {
        return SendOutcome::Failed {
            reason: format!("gave up after {attempts} attempts: {reason}"),
        };
    }
    SendOutcome::Retry {
        reason,
        after: retry_delay(attempts),
    }
}

/// Whether an AT error means the modem stopped answering (count towards a reset).
pub fn is_hang(e: &ModemError) -> bool {
    matches!(
        e,
        ModemError::At {
            source: AtError::Timeout { .. } | AtError::PromptTimeout { .. },
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsgate_at::{CmeError, CmsError};

    fn at(source: AtError) -> ModemError {
        ModemError::At {
            command: "AT+CMGS=23".into(),
            source,
        }
    }

    #[allow(clippy::result_large_err)] // mirrors Modem::send_sms
    fn failed_at(
        part: usize,
        refs: Vec<Option<u8>>,
        maybe: bool,
        source: ModemError,
    ) -> Result<Vec<Option<u8>>, SendError> {
        Err(SendError {
            part,
            parts: 3,
            references: refs,
            may_have_been_sent: maybe,
            source,
        })
    }

    #[test]
    fn every_accepted_part_is_recorded_with_its_port_and_reference() {
        let out = classify(2, 1, &Ok(vec![Some(7), None, Some(9)]));
        assert_eq!(
            out,
            SendOutcome::Sent(vec![
                SentPart {
                    seq: 1,
                    port: 2,
                    reference: 7
                },
                SentPart {
                    seq: 3,
                    port: 2,
                    reference: 9
                },
            ])
        );
    }

    #[test]
    fn a_timeout_after_the_pdu_went_out_is_unknown_and_never_retried() {
        let r = failed_at(
            1,
            vec![],
            true,
            at(AtError::Timeout {
                command: "AT+CMGS=23".into(),
                after: Duration::from_secs(60),
                payload_sent: true,
            }),
        );
        assert!(matches!(classify(0, 1, &r), SendOutcome::Unknown { .. }));
    }

    #[test]
    fn a_failure_after_earlier_parts_went_out_is_unknown_with_those_parts() {
        let r = failed_at(
            2,
            vec![Some(40)],
            false,
            at(AtError::Cms(CmsError::from_code(42))),
        );
        match classify(1, 1, &r) {
            SendOutcome::Unknown { parts, .. } => {
                assert_eq!(
                    parts,
                    [SentPart {
                        seq: 1,
                        port: 1,
                        reference: 40
                    }]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_prompt_timeout_or_transient_cms_error_before_sending_is_retried_with_backoff() {
        let prompt = failed_at(
            1,
            vec![],
            false,
            at(AtError::PromptTimeout {
                command: "AT+CMGS=23".into(),
                after: Duration::from_secs(10),
            }),
        );
        assert_eq!(
            classify(0, 1, &prompt),
            SendOutcome::Retry {
                reason: prompt.as_ref().unwrap_err().to_string(),
                after: RETRY_BASE
            }
        );
        let congestion = failed_at(1, vec![], false, at(AtError::Cms(CmsError::from_code(42))));
        assert!(matches!(
            classify(0, 3, &congestion),
            SendOutcome::Retry { after, .. } if after == RETRY_BASE * 4
        ));
    }

    #[test]
    fn a_permanent_error_fails_the_message_without_blaming_the_port() {
        let bad = failed_at(1, vec![], false, at(AtError::Cms(CmsError::from_code(304))));
        let out = classify(0, 1, &bad);
        assert!(matches!(out, SendOutcome::Failed { .. }));
        assert!(!out.port_failed(Some(ErrorClass::Permanent)));
    }

    #[test]
    fn a_modem_without_sim_hands_the_message_to_another_port() {
        let nosim = failed_at(1, vec![], false, at(AtError::Cme(CmeError::SimNotInserted)));
        let out = classify(0, 1, &nosim);
        assert!(matches!(out, SendOutcome::Retry { .. }));
        assert!(out.port_failed(Some(ErrorClass::Modem)));
    }

    #[test]
    fn retries_stop_after_the_maximum_number_of_attempts() {
        let closed = failed_at(1, vec![], false, ModemError::Closed);
        assert!(matches!(
            classify(0, MAX_ATTEMPTS - 1, &closed),
            SendOutcome::Retry { .. }
        ));
        assert!(matches!(
            classify(0, MAX_ATTEMPTS, &closed),
            SendOutcome::Failed { reason } if reason.starts_with("gave up after")
        ));
    }

    #[test]
    fn unknown_errors_get_two_more_tries_then_fail() {
        let plain = failed_at(1, vec![], false, at(AtError::Error));
        assert!(matches!(classify(0, 2, &plain), SendOutcome::Retry { .. }));
        assert!(matches!(classify(0, 3, &plain), SendOutcome::Failed { .. }));
    }

    #[test]
    fn a_cms_500_message_gets_its_tries_on_different_ports_not_on_the_failing_one() {
        let e = failed_at(1, vec![], false, at(AtError::Cms(CmsError::from_code(500))));
        // Failed twice on the same port: still one port tried, another port will try.
        assert!(matches!(
            classify_attempt(1, 2, 1, &e),
            SendOutcome::Retry { .. }
        ));
        assert!(matches!(
            classify_attempt(2, 3, 2, &e),
            SendOutcome::Retry { .. }
        ));
        assert!(matches!(
            classify_attempt(3, 3, UNKNOWN_PORTS, &e),
            SendOutcome::Failed { .. }
        ));
        assert!(matches!(
            classify_attempt(1, MAX_ATTEMPTS, 1, &e),
            SendOutcome::Failed { .. }
        ));
    }

    #[test]
    fn each_failure_names_the_bench_cause_the_bench_rule_uses() {
        let cases: Vec<(ModemError, Option<BenchCause>)> = vec![
            (
                at(AtError::Cms(CmsError::from_code(38))),
                Some(BenchCause::Network),
            ),
            (
                at(AtError::Cms(CmsError::from_code(42))),
                Some(BenchCause::Network),
            ),
            (
                at(AtError::Cms(CmsError::from_code(500))),
                Some(BenchCause::Refused),
            ),
            (at(AtError::Error), Some(BenchCause::Refused)),
            (at(AtError::Cms(CmsError::from_code(304))), None),
            (
                at(AtError::Cme(CmeError::SimNotInserted)),
                Some(BenchCause::Modem),
            ),
            (
                at(AtError::PromptTimeout {
                    command: "AT+CMGS=23".into(),
                    after: Duration::from_secs(5),
                }),
                Some(BenchCause::Unresponsive),
            ),
            (ModemError::Closed, Some(BenchCause::Unresponsive)),
            (
                at(AtError::Interrupted {
                    command: "AT+CMGS=23".into(),
                    line: "RDY".into(),
                    payload_sent: false,
                }),
                Some(BenchCause::Modem),
            ),
        ];
        for (e, cause) in cases {
            assert_eq!(bench_cause(&e), cause, "{e}");
        }
    }

    #[test]
    fn the_retry_delay_doubles_up_to_its_maximum() {
        assert_eq!(retry_delay(1), RETRY_BASE);
        assert_eq!(retry_delay(2), RETRY_BASE * 2);
        assert_eq!(retry_delay(40), RETRY_MAX);
    }
}
