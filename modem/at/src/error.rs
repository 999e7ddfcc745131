//! [`AtError`]: everything a command can end in besides success.

use std::time::Duration;

use crate::codes::{CmeError, CmsError, ErrorClass};
use crate::digest::FinalResult;

/// Why a command (or opening a transport) failed.
///
/// `payload_sent` on [`AtError::Timeout`], [`AtError::Io`] and [`AtError::Closed`] tells whether the payload of a
/// prompt command (the PDU + Ctrl-Z of `AT+CMGS`) had been written when the failure happened: if so the message
/// may have gone out and must not be sent again blindly ([`AtError::payload_may_have_been_sent`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AtError {
    /// No final result within the command's timeout.
    #[error("{command}: no final result within {after:?}{}", if *payload_sent { " (payload was sent)" } else { "" })]
    Timeout {
        /// The command (redacted when sensitive).
        command: String,
        /// How long the engine waited.
        after: Duration,
        /// Whether the payload had been written before the timeout.
        payload_sent: bool,
    },
    /// A prompt command never got its `>` prompt; ESC was written, nothing was sent.
    #[error("{command}: no '>' prompt within {after:?}")]
    PromptTimeout {
        /// The command.
        command: String,
        /// How long the engine waited.
        after: Duration,
    },
    /// `+CMS ERROR`.
    #[error("+CMS ERROR: {0}")]
    Cms(CmsError),
    /// `+CME ERROR`.
    #[error("+CME ERROR: {0}")]
    Cme(CmeError),
    /// Plain `ERROR`.
    #[error("ERROR")]
    Error,
    /// `COMMAND NOT SUPPORT` (Huawei).
    #[error("command not supported by the modem")]
    NotSupported,
    /// `NO CARRIER`, `BUSY`, `NO ANSWER` or `NO DIALTONE` ended the command.
    #[error("call progress result: {0:?}")]
    CallProgress(FinalResult),
    /// Dinstar AT mode: the module is not ready (`NOT READY`).
    #[error("module not ready (NOT READY)")]
    NotReady,
    /// Dinstar AT mode: the gateway rejected the password or the port number.
    #[error("Dinstar login failed at {step}: {answer}")]
    LoginFailed {
        /// `Password` or `Port`.
        step: &'static str,
        /// What the gateway answered.
        answer: String,
    },
    /// Reading or writing the transport failed.
    #[error("I/O error{}: {source}", if *payload_sent { " after the payload was sent" } else { "" })]
    Io {
        /// The underlying error.
        #[source]
        source: std::io::Error,
        /// Whether the payload had been written before the failure.
        payload_sent: bool,
    },
    /// The engine is gone: the stream ended (modem unplugged), it was cancelled, or every handle was dropped.
    #[error("AT engine closed{}", if *payload_sent { " after the payload was sent" } else { "" })]
    Closed {
        /// Whether the payload had been written before the engine closed.
        payload_sent: bool,
    },
    /// The modem announced a restart (`RDY`, `^SYSSTART`…; [`EngineConfig::interrupt_on`](crate::EngineConfig))
    /// while the command was in flight: it will never be answered. With `payload_sent` the message may have
    /// gone out before the restart.
    #[error("{command}: the modem restarted ({line:?}) before answering{}", if *payload_sent { " (payload was sent)" } else { "" })]
    Interrupted {
        /// The command.
        command: String,
        /// The line that announced the restart.
        line: String,
        /// Whether the payload had been written before the restart.
        payload_sent: bool,
    },
    /// The answer did not have the expected shape.
    #[error("{command}: cannot parse {line:?}: {reason}")]
    Parse {
        /// The command.
        command: String,
        /// The offending line (or a summary when no line fits).
        line: String,
        /// What was wrong.
        reason: String,
    },
    /// A bad argument (endpoint, configuration) caught before anything was sent.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or argument name.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl AtError {
    /// A `Parse` error, for `AtCommand::parse` implementations.
    pub fn parse(
        command: impl Into<String>,
        line: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        AtError::Parse {
            command: command.into(),
            line: line.into(),
            reason: reason.into(),
        }
    }

    /// The error for a non-`OK` final result; `None` for `OK`.
    pub fn from_final(result: &FinalResult) -> Option<AtError> {
        Some(match result {
            FinalResult::Ok => return None,
            FinalResult::Error => AtError::Error,
            FinalResult::Cms(e) => AtError::Cms(e.clone()),
            FinalResult::Cme(e) => AtError::Cme(e.clone()),
            FinalResult::NotSupported => AtError::NotSupported,
            FinalResult::NotReady => AtError::NotReady,
            other => AtError::CallProgress(other.clone()),
        })
    }

    /// How the caller (the gateway's failover) should react.
    pub fn class(&self) -> ErrorClass {
        match self {
            AtError::Timeout { .. } | AtError::PromptTimeout { .. } => ErrorClass::Transient,
            AtError::Io { .. } | AtError::Closed { .. } | AtError::NotReady => {
                ErrorClass::Transient
            }
            AtError::Interrupted { .. } => ErrorClass::Modem,
            AtError::Cms(e) => e.class(),
            AtError::Cme(e) => e.class(),
            AtError::NotSupported | AtError::LoginFailed { .. } => ErrorClass::Modem,
            AtError::Error | AtError::CallProgress(_) => ErrorClass::Unknown,
            AtError::Parse { .. } => ErrorClass::Unknown,
            AtError::Invalid { .. } => ErrorClass::Permanent,
        }
    }

    /// A temporary failure: the same request may succeed later. For sends, check
    /// [`payload_may_have_been_sent`](Self::payload_may_have_been_sent) before resending.
    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Transient
    }

    /// The request itself is wrong; retrying it can never succeed.
    pub fn is_permanent(&self) -> bool {
        self.class() == ErrorClass::Permanent
    }

    /// True when the payload (PDU + Ctrl-Z) had been written before the failure, so the message may have been
    /// sent. Modem error answers (`+CMS ERROR` after the payload) mean it was not.
    pub fn payload_may_have_been_sent(&self) -> bool {
        match self {
            AtError::Timeout { payload_sent, .. }
            | AtError::Io { payload_sent, .. }
            | AtError::Closed { payload_sent }
            | AtError::Interrupted { payload_sent, .. } => *payload_sent,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_after_payload_is_flagged_as_maybe_sent() {
        let err = AtError::Timeout {
            command: "AT+CMGS=23".into(),
            after: Duration::from_secs(120),
            payload_sent: true,
        };
        assert!(err.payload_may_have_been_sent());
        assert!(err.is_retryable());
        assert!(err.to_string().contains("payload was sent"));
        let err = AtError::PromptTimeout {
            command: "AT+CMGS=23".into(),
            after: Duration::from_secs(10),
        };
        assert!(!err.payload_may_have_been_sent());
    }

    #[test]
    fn a_restart_during_a_send_is_maybe_sent_only_after_the_payload() {
        let before = AtError::Interrupted {
            command: "AT+CMGS=23".into(),
            line: "RDY".into(),
            payload_sent: false,
        };
        assert!(!before.payload_may_have_been_sent());
        assert_eq!(before.class(), ErrorClass::Modem);
        let after = AtError::Interrupted {
            command: "AT+CMGS=23".into(),
            line: "RDY".into(),
            payload_sent: true,
        };
        assert!(after.payload_may_have_been_sent());
        assert!(after.to_string().contains("restarted"));
    }

    #[test]
    fn cms_errors_keep_their_classification() {
        assert!(AtError::Cms(CmsError::from_code(42)).is_retryable());
        assert!(AtError::Cms(CmsError::from_code(304)).is_permanent());
        assert!(!AtError::Cms(CmsError::from_code(304)).payload_may_have_been_sent());
    }

    #[test]
    fn final_results_map_to_errors() {
        assert!(AtError::from_final(&FinalResult::Ok).is_none());
        assert!(matches!(
            AtError::from_final(&FinalResult::NotReady),
            Some(AtError::NotReady)
        ));
        assert!(matches!(
            AtError::from_final(&FinalResult::Busy),
            Some(AtError::CallProgress(FinalResult::Busy))
        ));
    }
}
