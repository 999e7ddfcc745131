//! [`RecordingDinstar`]: a recording fake of [`DinstarApi`] for tests.

use super::api::{
    Accepted, DeliverStatus, DinstarApi, DinstarError, Filter, IncomingSms, PortInfo, SendSms,
    SmsResult, StopOutcome, UssdReply,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// One call seen by [`RecordingDinstar`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `send_sms`.
    SendSms(SendSms),
    /// `stop_sms`.
    StopSms(u64),
    /// `query_sms_result`.
    SmsResults(Filter),
    /// `query_sms_deliver_status`.
    DeliverStatuses(Filter),
    /// `query_incoming_sms`.
    Incoming {
        /// Id cursor.
        after: u64,
        /// Ports.
        ports: Vec<u16>,
    },
    /// `send_ussd` (`send`).
    SendUssd {
        /// Port.
        port: u16,
        /// Code.
        text: String,
    },
    /// `send_ussd` (`cancel`).
    CancelUssd(u16),
    /// `query_ussd_reply`.
    UssdReplies(Vec<u16>),
    /// `get_port_info`.
    PortInfo(Vec<u16>),
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
    /// Results (filtered by port and user id like the device does).
    pub results: Vec<SmsResult>,
    /// Delivery statuses (filtered by port and `time_after`).
    pub statuses: Vec<DeliverStatus>,
    /// Inbox.
    pub inbox: Vec<IncomingSms>,
    /// USSD replies per port.
    pub ussd: BTreeMap<u16, String>,
    /// Per-port `send_ussd` status (default 200).
    pub ussd_status: BTreeMap<u16, u16>,
    /// Port information (when empty, every asked port is `REGISTER_OK`).
    pub ports: Vec<PortInfo>,
    /// When set, every call but `send_sms` (which uses `send_answers`) fails with this error.
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

    fn record(&self, call: Call) -> Result<MutexGuard<'_, FakeState>, DinstarError> {
        let mut s = self.state();
        s.calls.push(call);
        match &s.down {
            Some(e) => Err(e.clone()),
            None => Ok(s),
        }
    }
}

impl DinstarApi for RecordingDinstar {
    async fn send_sms(&self, req: &SendSms) -> Result<Accepted, DinstarError> {
        let mut s = self.state();
        s.calls.push(Call::SendSms(req.clone()));
        let answer = s.send_answers.pop_front();
        if let Some(Err(e)) = &answer
            && !e.may_have_been_processed()
        {
            return Err(e.clone());
        }
        if let Some(e) = &s.down
            && answer.is_none()
        {
            return Err(e.clone());
        }
        // Accepted, or carried out with its answer lost: a result appears either way.
        if let Some(status) = s.auto_status.clone() {
            let first = u8::try_from(s.results.len() % 256).unwrap_or(0);
            s.results.push(SmsResult {
                port: req.port,
                user_id: req.user_id,
                number: req.number.clone(),
                time: "2026-11-21 10:00:00".into(),
                status,
                count: 1,
                succ_count: 1,
                ref_id: first,
                imsi: String::new(),
            });
        }
        match answer {
            Some(a) => a,
            None => Ok(Accepted {
                task_id: s.calls.len() as u64,
                sms_in_queue: 1,
            }),
        }
    }

    async fn stop_sms(&self, task_id: u64) -> Result<StopOutcome, DinstarError> {
        drop(self.record(Call::StopSms(task_id))?);
        Ok(StopOutcome::Stopped)
    }

    async fn sms_results(&self, filter: &Filter) -> Result<Vec<SmsResult>, DinstarError> {
        let s = self.record(Call::SmsResults(filter.clone()))?;
        Ok(s.results
            .iter()
            .filter(|r| filter.port.is_empty() || filter.port.contains(&r.port))
            .filter(|r| filter.user_id.is_empty() || filter.user_id.contains(&r.user_id))
            .cloned()
            .collect())
    }

    async fn deliver_statuses(&self, filter: &Filter) -> Result<Vec<DeliverStatus>, DinstarError> {
        let s = self.record(Call::DeliverStatuses(filter.clone()))?;
        Ok(s.statuses
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

    async fn incoming(&self, after: u64, ports: &[u16]) -> Result<Vec<IncomingSms>, DinstarError> {
        let s = self.record(Call::Incoming {
            after,
            ports: ports.to_vec(),
        })?;
        Ok(s.inbox
            .iter()
            .filter(|m| (ports.is_empty() || ports.contains(&m.port)) && m.incoming_sms_id > after)
            .cloned()
            .collect())
    }

    async fn send_ussd(&self, port: u16, text: &str) -> Result<u16, DinstarError> {
        let s = self.record(Call::SendUssd {
            port,
            text: text.to_owned(),
        })?;
        Ok(s.ussd_status.get(&port).copied().unwrap_or(200))
    }

    async fn cancel_ussd(&self, port: u16) -> Result<(), DinstarError> {
        drop(self.record(Call::CancelUssd(port))?);
        Ok(())
    }

    async fn ussd_replies(&self, ports: &[u16]) -> Result<Vec<UssdReply>, DinstarError> {
        let s = self.record(Call::UssdReplies(ports.to_vec()))?;
        Ok(ports
            .iter()
            .filter_map(|p| {
                s.ussd.get(p).map(|t| UssdReply {
                    port: *p,
                    text: t.clone(),
                })
            })
            .collect())
    }

    async fn port_info(&self, ports: &[u16]) -> Result<Vec<PortInfo>, DinstarError> {
        let s = self.record(Call::PortInfo(ports.to_vec()))?;
        if s.ports.is_empty() {
            return Ok(ports
                .iter()
                .map(|p| PortInfo {
                    port: *p,
                    reg: Some("REGISTER_OK".into()),
                    signal: Some(20),
                    ..PortInfo::default()
                })
                .collect());
        }
        Ok(s.ports
            .iter()
            .filter(|i| ports.contains(&i.port))
            .cloned()
            .collect())
    }
}
