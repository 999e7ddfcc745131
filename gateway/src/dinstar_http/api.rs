//! The Dinstar HTTP API (reference §4.1) as a trait: the wire types, the errors, and the
//! [`RecordingDinstar`] fake (the real client is [`super::client::HttpDinstar`]).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::{Mutex, MutexGuard};

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

/// Filters of `query_sms_result` / `query_sms_deliver_status` (empty = not sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Ports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port: Vec<u16>,
    /// Caller ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_id: Vec<u64>,
    /// Entries after this time ("YYYY-MM-DD HH:MM:SS", the gateway's clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_after: Option<String>,
}

/// One `query_sms_result` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SmsResult {
    /// Port.
    pub port: u16,
    /// Caller's id.
    #[serde(default)]
    pub user_id: u64,
    /// Recipient.
    #[serde(default)]
    pub number: String,
    /// "YYYY-MM-DD HH:MM:SS".
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

/// One `query_sms_deliver_status` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DeliverStatus {
    /// Port.
    pub port: u16,
    /// Recipient.
    #[serde(default)]
    pub number: String,
    /// "YYYY-MM-DD HH:MM:SS".
    #[serde(default)]
    pub time: String,
    /// TP-MR of the segment.
    pub ref_id: u8,
    /// TP-ST.
    pub status_code: u8,
    /// IMSI.
    #[serde(default)]
    pub imsi: String,
}

/// One `query_incoming_sms` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct IncomingSms {
    /// Increasing id.
    pub incoming_sms_id: u64,
    /// Port.
    pub port: u16,
    /// Sender.
    pub number: String,
    /// SMSC.
    #[serde(default)]
    pub smsc: String,
    /// "YYYY-MM-DD HH:MM:SS".
    #[serde(default)]
    pub timestamp: String,
    /// Text (parts joined by the gateway).
    pub text: String,
    /// IMSI of the port's SIM (some firmware).
    #[serde(default)]
    pub imsi: String,
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
    /// The gateway refused the request at the HTTP level (401, 404, …).
    #[error("{endpoint}: HTTP status {status}")]
    Http {
        /// API path.
        endpoint: &'static str,
        /// Status.
        status: u16,
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
}

/// The Dinstar HTTP API (one gateway).
pub trait DinstarApi: Send + Sync + 'static {
    /// `POST /api/send_sms` (accepted = `error_code` 202).
    fn send_sms(
        &self,
        req: &SendSms,
    ) -> impl Future<Output = Result<Accepted, DinstarError>> + Send;
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
    /// `POST /api/query_incoming_sms` with `flag = "all"` (nothing is marked read): messages of
    /// `port` with an id above `after`.
    fn incoming(
        &self,
        port: u16,
        after: u64,
    ) -> impl Future<Output = Result<Vec<IncomingSms>, DinstarError>> + Send;
    /// `POST /api/send_ussd` on one port: the port's status (200 ok, 486 busy, 503 not registered).
    fn send_ussd(
        &self,
        port: u16,
        text: &str,
    ) -> impl Future<Output = Result<u16, DinstarError>> + Send;
    /// `GET /api/query_ussd_reply?port=N`: the port's last USSD answer, if any.
    fn ussd_reply(
        &self,
        port: u16,
    ) -> impl Future<Output = Result<Option<String>, DinstarError>> + Send;
}

/// One call seen by [`RecordingDinstar`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `send_sms`.
    SendSms(SendSms),
    /// `query_sms_result`.
    SmsResults(Filter),
    /// `query_sms_deliver_status`.
    DeliverStatuses(Filter),
    /// `query_incoming_sms`.
    Incoming {
        /// Port.
        port: u16,
        /// Id cursor.
        after: u64,
    },
    /// `send_ussd`.
    SendUssd {
        /// Port.
        port: u16,
        /// Code.
        text: String,
    },
    /// `query_ussd_reply`.
    UssdReply(u16),
}

/// What [`RecordingDinstar`] holds and answers with; tests edit it through
/// [`RecordingDinstar::state`].
#[derive(Debug, Default)]
pub struct FakeState {
    /// Every call, in order.
    pub calls: Vec<Call>,
    /// Scripted answers of the next `send_sms` calls; when empty, a send is accepted and, if
    /// `auto_status` is set, a result with that status is added for it.
    pub send_answers: VecDeque<Result<Accepted, DinstarError>>,
    /// Status of the result added for an accepted send (`None`: no result appears).
    pub auto_status: Option<String>,
    /// Results (filtered by port and user id like the gateway does).
    pub results: Vec<SmsResult>,
    /// Delivery statuses (filtered by port).
    pub statuses: Vec<DeliverStatus>,
    /// Inbox.
    pub inbox: Vec<IncomingSms>,
    /// USSD answers per port.
    pub ussd: BTreeMap<u16, String>,
    /// When set, every query fails with this error.
    pub down: Option<DinstarError>,
}

/// A recording fake of [`DinstarApi`].
#[derive(Debug, Default)]
pub struct RecordingDinstar {
    state: Mutex<FakeState>,
}

impl RecordingDinstar {
    /// A fake that accepts sends and reports them `SENT_OK`.
    pub fn new() -> Self {
        let fake = Self::default();
        fake.state().auto_status = Some("SENT_OK".into());
        fake
    }

    /// Its state (calls, scripted answers, stores).
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The `send_sms` calls so far.
    pub fn sends(&self) -> Vec<SendSms> {
        self.state()
            .calls
            .iter()
            .filter_map(|c| match c {
                Call::SendSms(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    fn record(&self, call: Call) -> Result<(), DinstarError> {
        let mut s = self.state();
        s.calls.push(call);
        match &s.down {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

impl DinstarApi for RecordingDinstar {
    async fn send_sms(&self, req: &SendSms) -> Result<Accepted, DinstarError> {
        let mut s = self.state();
        s.calls.push(Call::SendSms(req.clone()));
        if let Some(answer) = s.send_answers.pop_front() {
            return answer;
        }
        if let Some(e) = &s.down {
            return Err(e.clone());
        }
        if let Some(status) = s.auto_status.clone() {
            let first = u8::try_from(s.results.len() % 256).unwrap_or(0);
            s.results.push(SmsResult {
                port: req.port,
                user_id: req.user_id,
                number: req.number.clone(),
                time: String::new(),
                status,
                count: 1,
                succ_count: 1,
                ref_id: first,
                imsi: String::new(),
            });
        }
        Ok(Accepted {
            task_id: s.calls.len() as u64,
            sms_in_queue: 1,
        })
    }

    async fn sms_results(&self, filter: &Filter) -> Result<Vec<SmsResult>, DinstarError> {
        self.record(Call::SmsResults(filter.clone()))?;
        Ok(self
            .state()
            .results
            .iter()
            .filter(|r| filter.port.is_empty() || filter.port.contains(&r.port))
            .filter(|r| filter.user_id.is_empty() || filter.user_id.contains(&r.user_id))
            .cloned()
            .collect())
    }

    async fn deliver_statuses(&self, filter: &Filter) -> Result<Vec<DeliverStatus>, DinstarError> {
        self.record(Call::DeliverStatuses(filter.clone()))?;
        Ok(self
            .state()
            .statuses
            .iter()
            .filter(|r| filter.port.is_empty() || filter.port.contains(&r.port))
            .filter(|r| {
                filter
                    .time_after
                    .as_deref()
                    .is_none_or(|t| r.time.as_str() > t)
            })
            .cloned()
            .collect())
    }

    async fn incoming(&self, port: u16, after: u64) -> Result<Vec<IncomingSms>, DinstarError> {
        self.record(Call::Incoming { port, after })?;
        Ok(self
            .state()
            .inbox
            .iter()
            .filter(|m| m.port == port && m.incoming_sms_id > after)
            .cloned()
            .collect())
    }

    async fn send_ussd(&self, port: u16, text: &str) -> Result<u16, DinstarError> {
        self.record(Call::SendUssd {
            port,
            text: text.to_owned(),
        })?;
        Ok(200)
    }

    async fn ussd_reply(&self, port: u16) -> Result<Option<String>, DinstarError> {
        self.record(Call::UssdReply(port))?;
        Ok(self.state().ussd.get(&port).cloned())
    }
}
