//! The Dinstar HTTP API as a trait ([`DinstarApi`]): the wire types and the errors. The real
//! client is [`super::client::HttpDinstar`], the recording fake [`super::fake::RecordingDinstar`].
//!
//! Sources, followed for every method, parameter and field name (reference §4.1):
//! - Dinstar, "Dinstar GSM Gateway HTTP API (v201910)" / "Instructions for Using New API, User
//!   Manual V2.1" (scribd 677983333; pdfcoffee "dinstar-gsm-gateway-api"), reproduced page by
//!   page on wiki.ultiroam.com ("HTTP API - Send SMS", "- Query SMS Sending Result",
//!   "- Query SMS Delivery Status", "- Receive SMS", "- Query USSD Reply",
//!   "- Get Port Information of Gateway", "- Set Port Information of Gateway");
//! - the public clients moucester/Dinstar-UC-API (`dinstar/sms.py`, `ussd.py`, `port.py`,
//!   `models.py`, `server.py` for the push payloads, Digest auth in `base.py`) and
//!   playsms/plugin-dinstar (`fn.php`, `callback.php`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;

/// `POST /api/send_sms` for one recipient on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendSms {
    /// Text (the Dinstar splits and concatenates it itself).
    pub text: String,
    /// Recipient.
    pub number: String,
    /// Caller's id, echoed in the send result (see [`super::logic::user_id`]).
    pub user_id: u64,
    /// The Dinstar port (0–31) that must send it.
    pub port: u16,
    /// `"gsm-7bit"` when the text fits the GSM alphabet, else `"unicode"`.
    pub encoding: &'static str,
}

/// A `202` answer of `send_sms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    /// Task id (for `stop_sms`).
    #[serde(default)]
    pub task_id: u64,
    /// Messages in the gateway's queue.
    #[serde(default)]
    pub sms_in_queue: u64,
}

/// What `GET /api/stop_sms?task_id=N` answered (`error_code` 200 or 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// 200: the task is stopped (what was not sent yet will not be).
    Stopped,
    /// 404: the device has no such task (finished, or never queued).
    NotFound,
}

/// Filters of `query_sms_result` / `query_sms_deliver_status` (empty = not sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Ports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port: Vec<u16>,
    /// Caller ids (`query_sms_result` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_id: Vec<u64>,
    /// Entries after this time ("YYYY-MM-DD HH:MM:SS", the device's local clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_after: Option<String>,
}

/// One `query_sms_result` entry (also pushed as `sms_result`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SmsResult {
    /// Port.
    pub port: u16,
    /// Caller's id (0 when the device leaves it out, as some pushes do).
    #[serde(default)]
    pub user_id: u64,
    /// Recipient.
    #[serde(default)]
    pub number: String,
    /// "YYYY-MM-DD HH:MM:SS" (device time): when it was sent.
    #[serde(default)]
    pub time: String,
    /// `FAILED`, `SENDING`, `SENT_OK` or `DELIVERED`.
    pub status: String,
    /// Segments.
    #[serde(default)]
    pub count: u32,
    /// Segments sent.
    #[serde(default)]
    pub succ_count: u32,
    /// TP-MR of the first segment.
    #[serde(default)]
    pub ref_id: u8,
    /// IMSI of the port's SIM.
    #[serde(default)]
    pub imsi: String,
}

/// One `query_sms_deliver_status` entry (also pushed as `sms_deliver_status`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DeliverStatus {
    /// Port.
    pub port: u16,
    /// Recipient.
    #[serde(default)]
    pub number: String,
    /// "YYYY-MM-DD HH:MM:SS" (device time). The vendor document calls it the time of sending,
    /// which is why a report for an earlier message can carry an earlier time than one already
    /// seen.
    #[serde(default)]
    pub time: String,
    /// TP-MR of the segment.
    pub ref_id: u8,
    /// TP-ST (0 received; 32–63 temporary; 64–255 permanent).
    pub status_code: u8,
    /// IMSI.
    #[serde(default)]
    pub imsi: String,
}

/// One `query_incoming_sms` entry (also pushed as `sms`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct IncomingSms {
    /// Increasing id.
    #[serde(default)]
    pub incoming_sms_id: u64,
    /// The port that received it: the message belongs to this port, whoever asked.
    pub port: u16,
    /// Sender.
    pub number: String,
    /// SMSC.
    #[serde(default)]
    pub smsc: String,
    /// "YYYY-MM-DD HH:MM:SS" (device time).
    #[serde(default)]
    pub timestamp: String,
    /// Text (parts joined by the device).
    pub text: String,
    /// IMSI of the port's SIM (some firmware).
    #[serde(default)]
    pub imsi: String,
}

/// One `query_ussd_reply` entry (also pushed as `ussd`). `""` and `" "` are the device's
/// placeholders for "no reply (yet)".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct UssdReply {
    /// Port.
    pub port: u16,
    /// Reply text.
    #[serde(default)]
    pub text: String,
}

/// The `info_type`s asked from `get_port_info`.
pub const PORT_INFO_TYPES: &str = "type,imei,imsi,iccid,number,reg,slot,signal";

/// One `get_port_info` entry. Firmware differ in what they fill in, so every field but `port`
/// is optional and read leniently ([`PortInfo::from_value`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortInfo {
    /// Port.
    pub port: u16,
    /// `GSM`, `CDMA`, `WCDMA`, `LTE` or `UNKNOWN`.
    pub kind: Option<String>,
    /// IMEI of the module.
    pub imei: Option<String>,
    /// IMSI of the SIM.
    pub imsi: Option<String>,
    /// ICCID of the SIM.
    pub iccid: Option<String>,
    /// The SIM's number.
    pub number: Option<String>,
    /// `POWER_OFF`, `NO_SIM`, `PIN_REQUIRE`, `PUK_REQUIRE`, `UNREGISTER`,
    /// `SEARCHING_NETWORK`, `REGISTER_OK` or `UNKNOWN`.
    pub reg: Option<String>,
    /// Signal 0–31 (as `+CSQ`).
    pub signal: Option<u8>,
    /// Operator name, where the firmware gives one (not in the vendor document).
    pub operator: Option<String>,
}

fn text_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number_of(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl PortInfo {
    /// Reads one `info` entry; `None` without a usable `port`.
    pub fn from_value(v: &Value) -> Option<PortInfo> {
        let port = u16::try_from(number_of(v, "port")?).ok()?;
        Some(PortInfo {
            port,
            kind: text_of(v, "type"),
            imei: text_of(v, "imei"),
            imsi: text_of(v, "imsi"),
            iccid: text_of(v, "iccid"),
            number: text_of(v, "number"),
            reg: text_of(v, "reg").map(|r| r.to_ascii_uppercase()),
            signal: number_of(v, "signal").and_then(|s| u8::try_from(s).ok()),
            operator: text_of(v, "operator").or_else(|| text_of(v, "operator_name")),
        })
    }
}

/// Errors of a Dinstar API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DinstarError {
    /// The request never reached the gateway (connection refused, bad URL).
    #[error("{endpoint}: cannot reach the gateway: {message}")]
    Unreachable {
        /// API path.
        endpoint: &'static str,
        /// Cause.
        message: String,
    },
    /// The request went out but no (whole) answer came back: it may have been carried out.
    #[error("{endpoint}: no answer: {message}")]
    NoAnswer {
        /// API path.
        endpoint: &'static str,
        /// Cause.
        message: String,
    },
    /// The gateway refused the request at the HTTP level (404, 500, …).
    #[error("{endpoint}: HTTP status {status}")]
    Http {
        /// API path.
        endpoint: &'static str,
        /// Status.
        status: u16,
    },
    /// The device refused the login (HTTP 401 to our credentials); logins back off.
    #[error("{endpoint}: {message}")]
    AuthRefused {
        /// API path.
        endpoint: &'static str,
        /// What the device said and when the next attempt is.
        message: String,
    },
    /// Not sent: a refused login is backing off (no retry storm against the device).
    #[error("{endpoint}: not sent, {message}")]
    AuthBackoff {
        /// API path.
        endpoint: &'static str,
        /// Why and for how long.
        message: String,
    },
    /// The gateway answered with an `error_code` other than success.
    #[error("{endpoint}: error_code {code}")]
    Refused {
        /// API path.
        endpoint: &'static str,
        /// `error_code` (400 bad request, 413 too large, 500 other, 550 no port available, …).
        code: u16,
    },
    /// The answer is not what the API documents: it may have been carried out.
    #[error("{endpoint}: unexpected answer: {message}")]
    BadAnswer {
        /// API path.
        endpoint: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl DinstarError {
    /// Whether the gateway may have carried the request out (a send must then become
    /// `unknown`, never be resent).
    pub fn may_have_been_processed(&self) -> bool {
        matches!(
            self,
            DinstarError::NoAnswer { .. } | DinstarError::BadAnswer { .. }
        )
    }

    /// Whether the device refused our credentials (or we are backing off after it did).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            DinstarError::AuthRefused { .. } | DinstarError::AuthBackoff { .. }
        )
    }
}

/// The Dinstar HTTP API (one device, all its ports).
pub trait DinstarApi: Send + Sync + 'static {
    /// `POST /api/send_sms` (accepted = `error_code` 202).
    fn send_sms(
        &self,
        req: &SendSms,
    ) -> impl Future<Output = Result<Accepted, DinstarError>> + Send;
    /// `GET /api/stop_sms?task_id=N`.
    fn stop_sms(
        &self,
        task_id: u64,
    ) -> impl Future<Output = Result<StopOutcome, DinstarError>> + Send;
    /// `POST /api/query_sms_result`.
    fn sms_results(
        &self,
        filter: &Filter,
    ) -> impl Future<Output = Result<Vec<SmsResult>, DinstarError>> + Send;
    /// `POST /api/query_sms_deliver_status`.
    fn deliver_statuses(
        &self,
        filter: &Filter,
    ) -> impl Future<Output = Result<Vec<DeliverStatus>, DinstarError>> + Send;
    /// `GET /api/query_incoming_sms?incoming_sms_id=N&flag=all&port=…`: the messages of these
    /// ports with an id above `after` (flag `all`: nothing is marked read, a restart reads them
    /// again and the spool stores each once).
    fn incoming(
        &self,
        after: u64,
        ports: &[u16],
    ) -> impl Future<Output = Result<Vec<IncomingSms>, DinstarError>> + Send;
    /// `POST /api/send_ussd` (`command` `send`) on one port: the port's status (200 sent,
    /// 486 busy, 503 not registered).
    fn send_ussd(
        &self,
        port: u16,
        text: &str,
    ) -> impl Future<Output = Result<u16, DinstarError>> + Send;
    /// `POST /api/send_ussd` with `command` `cancel` (ends a session that got no answer).
    fn cancel_ussd(&self, port: u16) -> impl Future<Output = Result<(), DinstarError>> + Send;
    /// `GET /api/query_ussd_reply?port=…`: the last USSD reply of each port.
    fn ussd_replies(
        &self,
        ports: &[u16],
    ) -> impl Future<Output = Result<Vec<UssdReply>, DinstarError>> + Send;
    /// `GET /api/get_port_info?port=…&info_type=…` ([`PORT_INFO_TYPES`]).
    fn port_info(
        &self,
        ports: &[u16],
    ) -> impl Future<Output = Result<Vec<PortInfo>, DinstarError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn port_information_is_read_leniently_from_what_firmware_give() {
        let i = PortInfo::from_value(
            &json!({"port": "3", "type": "LTE", "imei": "863070017005173",
            "imsi": "", "reg": "no_sim", "signal": "17", "slot": 255}),
        )
        .unwrap();
        assert_eq!(i.port, 3);
        assert_eq!(i.kind.as_deref(), Some("LTE"));
        assert_eq!(i.imsi, None, "an empty IMSI is no IMSI");
        assert_eq!(i.reg.as_deref(), Some("NO_SIM"));
        assert_eq!(i.signal, Some(17));
        assert_eq!(PortInfo::from_value(&json!({"imei": "1"})), None);
    }

    #[test]
    fn only_a_lost_or_garbled_answer_may_have_been_carried_out() {
        let e = |x: DinstarError| x.may_have_been_processed();
        assert!(e(DinstarError::NoAnswer {
            endpoint: "/",
            message: String::new()
        }));
        assert!(!e(DinstarError::AuthRefused {
            endpoint: "/",
            message: String::new()
        }));
        assert!(!e(DinstarError::Refused {
            endpoint: "/",
            code: 550
        }));
    }
}
