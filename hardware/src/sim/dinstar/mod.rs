//! A simulated Dinstar multi-port GSM gateway in front of some lab modems (reference §4).
//!
//! - **AT mode over TCP** ([`serve_at`], reference §4.2).
//! - **HTTP SMS API** ([`router`], [`serve_http`]) as Dinstar documents it: "Dinstar GSM Gateway HTTP API
//!   (v201910)" / "Instructions for Using New API, User Manual V2.1" (its pages reproduced on
//!   wiki.ultiroam.com: "HTTP API - Send SMS", "- Query SMS Sending Result", "- Query SMS Delivery Status",
//!   "- Receive SMS", "- Query USSD Reply", "- Get Port Information of Gateway"), and what the public clients
//!   moucester/Dinstar-UC-API and playsms/plugin-dinstar send and expect:
//!   - authentication as the units do it ([`auth`]): Digest only by default (`401` with
//!     `WWW-Authenticate: Digest realm="Web Server", qop="auth", algorithm="MD5", nonce=…`, nonces that go
//!     `stale`), or Basic only, or none; failed logins are counted;
//!   - `POST /api/send_sms` (202 + `task_id`; messages wait `queue_delay_ms` in the device queue),
//!     `GET /api/stop_sms?task_id=N` (200 / 404), `POST /api/query_sms_result`,
//!     `POST /api/query_sms_deliver_status` (entries stamped with the time the SMS was sent, some numbers'
//!     reports `late_report_ms` late, i.e. out of order), `GET /api/query_incoming_sms?incoming_sms_id=&flag=
//!     &port=` (a POST with a JSON body is answered as the device does: the body is ignored, so it is
//!     `flag=unread` for all ports and marks everything read), `GET /api/query_sms_in_queue`,
//!     `POST /api/send_ussd` (per-port 200 / 486 busy / 503 not registered), `GET /api/query_ussd_reply?port=`
//!     (`" "` while the reply is on its way, or the previous session's text with `ussd_stale_reply`; the
//!     reply after the lab's `ussd_delay_ms`), `GET /api/get_port_info?port=&info_type=` (`reg` from the lab
//!     modem: `REGISTER_OK`, `NO_SIM` once its SIM is pulled, `POWER_OFF`, …);
//!   - every time stamp in the device's local time (`utc_offset_min`), none carrying a zone;
//!   - pushes to `push_url` ([`push`]): `{"sn","sms":[…]}`, `{"sn","sms_result":[…]}`,
//!     `{"sn","sms_deliver_status":[…]}`, `{"sn","ussd":[…]}`, retried until the receiver answers 200.
//!
//!   Ports are numbered 0–31. In HTTP mode the gateway keeps the inbound SMS and status reports of its ports
//!   in its own store; [`control`] gives tests its request log, failed logins and faults.

mod at;
pub mod auth;
mod http;
pub mod push;

pub use at::serve_at;
pub use http::{router, serve_http};

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::{Value, json};

use super::config::DinstarConfig;
use super::lab::Lab;

pub(crate) const TIME_FMT: &str = "%Y-%m-%d %H:%M:%S";
/// Entries kept in the request and push logs (the older half goes when it is full).
pub(crate) const MAX_LOG: usize = 20_000;

/// One SMS the gateway received (HTTP mode).
#[derive(Debug, Clone, Serialize)]
pub struct IncomingSms {
    /// Increasing id.
    pub incoming_sms_id: u64,
    /// Gateway port.
    pub port: usize,
    /// Sender.
    pub number: String,
    /// SMSC.
    pub smsc: String,
    /// "YYYY-MM-DD HH:MM:SS", device local time of reception.
    pub timestamp: String,
    /// Text (parts joined).
    pub text: String,
    /// IMSI of the port's SIM.
    pub imsi: String,
    #[serde(skip)]
    read: bool,
}

/// A send result entry (`/api/query_sms_result`).
#[derive(Debug, Clone, Serialize)]
pub struct SmsResult {
    /// Port.
    pub port: usize,
    /// Caller's id.
    pub user_id: u64,
    /// Recipient.
    pub number: String,
    /// "YYYY-MM-DD HH:MM:SS", device local time of sending.
    pub time: String,
    /// FAILED, SENDING, SENT_OK, DELIVERED.
    pub status: &'static str,
    /// Segments.
    pub count: usize,
    /// Segments sent.
    pub succ_count: usize,
    /// First TP-MR.
    pub ref_id: u8,
    /// IMSI.
    pub imsi: String,
    #[serde(skip)]
    pub(crate) task_id: u64,
}

/// A delivery status entry (`/api/query_sms_deliver_status`).
#[derive(Debug, Clone, Serialize)]
pub struct DeliverStatus {
    /// Port.
    pub port: usize,
    /// Recipient.
    pub number: String,
    /// "YYYY-MM-DD HH:MM:SS", device local time the SMS was sent.
    pub time: String,
    /// TP-MR.
    pub ref_id: u8,
    /// TP-ST (0 received; 32–63 temporary; 64–255 permanent).
    pub status_code: u8,
    /// IMSI.
    pub imsi: String,
}

/// One HTTP request the device received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestLog {
    /// `GET`, `POST`.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Whether the login was accepted (always true without authentication).
    pub authorized: bool,
}

/// One push the device made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushLog {
    /// The payload.
    pub body: Value,
    /// HTTP status of the receiver's answer (0: no answer).
    pub status: u16,
}

/// The gateway's own store.
#[derive(Debug, Default)]
pub struct GatewayStore {
    cfg: DinstarConfig,
    inbox: Vec<IncomingSms>,
    partial: HashMap<(usize, String, u16, u8), BTreeMap<u8, String>>,
    pub(crate) results: Vec<SmsResult>,
    statuses: Vec<DeliverStatus>,
    held: Vec<(std::time::Instant, DeliverStatus)>,
    pub(crate) ussd: BTreeMap<usize, String>,
    pub(crate) ussd_busy: BTreeMap<usize, bool>,
    pub(crate) ussd_script: BTreeMap<usize, VecDeque<String>>,
    pub(crate) next_mr: HashMap<usize, u8>,
    pub(crate) task_id: u64,
    pub(crate) stopped: Vec<u64>,
    pub(crate) in_queue: usize,
    pub(crate) requests: Vec<RequestLog>,
    pub(crate) auth_failures: u64,
    pub(crate) nonces: HashMap<String, (std::time::Instant, std::collections::HashSet<u32>)>,
    pub(crate) slow_send_answers: Option<(u32, u64)>,
    pub(crate) push_url: Option<String>,
    pub(crate) push_queue: VecDeque<Value>,
    pub(crate) pushes: Vec<PushLog>,
    pub(crate) push_wake: Option<Arc<tokio::sync::Notify>>,
}

impl GatewayStore {
    /// A store for the lab's Dinstar (`None`: defaults).
    pub fn new(cfg: Option<DinstarConfig>) -> Self {
        let cfg = cfg.unwrap_or_default();
        Self {
            push_url: cfg.push_url.clone(),
            cfg,
            ..Self::default()
        }
    }

    /// The device's configuration.
    pub(crate) fn cfg(&self) -> &DinstarConfig {
        &self.cfg
    }

    /// A device-local time stamp of `t`.
    pub(crate) fn local(&self, t: DateTime<FixedOffset>) -> String {
        let off = FixedOffset::east_opt(self.cfg.utc_offset_min * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).unwrap_or(*t.offset()));
        t.with_timezone(&off).format(TIME_FMT).to_string()
    }

    /// Queues a push `{"sn": …, key: [entry]}` (when a push URL is set).
    pub(crate) fn push(&mut self, key: &str, entry: Value) {
        if self.push_url.is_none() {
            return;
        }
        self.push_queue
            .push_back(json!({ "sn": self.cfg.sn, key: [entry] }));
        if let Some(n) = &self.push_wake {
            n.notify_one();
        }
    }

    /// Moves held (late) statuses whose time has come into the store.
    pub(crate) fn release_held(&mut self) {
        let now = std::time::Instant::now();
        let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(t, _)| *t <= now);
        self.held = wait;
        for (_, s) in due {
            self.push("sms_deliver_status", json!(s));
            self.statuses.push(s);
        }
    }

    pub(crate) fn statuses(&mut self) -> &[DeliverStatus] {
        self.release_held();
        &self.statuses
    }

    pub(crate) fn inbox_mut(&mut self) -> &mut Vec<IncomingSms> {
        &mut self.inbox
    }
}

pub(crate) fn lock(m: &Mutex<GatewayStore>) -> std::sync::MutexGuard<'_, GatewayStore> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An SMS-DELIVER for gateway port `port` (HTTP mode): parts are joined before it appears in the inbox,
/// stamped with the device-local time of reception.
pub(crate) fn gateway_inbound(
    store: &Mutex<GatewayStore>,
    port: usize,
    imsi: &str,
    pdu: &[u8],
    now: DateTime<FixedOffset>,
) {
    let Ok(smsgate_pdu::Pdu::Deliver(d)) = smsgate_pdu::decode(pdu) else {
        return;
    };
    let mut g = lock(store);
    let number = d.sender.display();
    let text = match d.user_data.concat {
        None => Some(d.user_data.text.clone()),
        Some(c) => {
            let key = (port, number.clone(), c.reference, c.total);
            let parts = g.partial.entry(key.clone()).or_default();
            parts.insert(c.seq, d.user_data.text.clone());
            if parts.len() >= usize::from(c.total) {
                g.partial.remove(&key).map(|p| p.into_values().collect())
            } else {
                None
            }
        }
    };
    if let Some(text) = text {
        let id = g.inbox.len() as u64 + 1;
        let sms = IncomingSms {
            incoming_sms_id: id,
            port,
            number,
            smsc: d.smsc.map(|a| a.display()).unwrap_or_default(),
            timestamp: g.local(now),
            text,
            imsi: imsi.to_owned(),
            read: false,
        };
        g.push("sms", json!(sms));
        g.inbox.push(sms);
    }
}

/// A status report for gateway port `port` (HTTP mode): the entry carries the time the SMS was sent (the
/// report's SC time stamp), reports to `late_report_numbers` appear `late_report_ms` late.
pub(crate) fn gateway_status_report(
    store: &Mutex<GatewayStore>,
    port: usize,
    imsi: &str,
    pdu: &[u8],
    _now: DateTime<FixedOffset>,
) {
    let Ok(smsgate_pdu::Pdu::StatusReport(r)) = smsgate_pdu::decode(pdu) else {
        return;
    };
    let mut g = lock(store);
    let number = r.recipient.display();
    if r.status < 0x20
        && let Some(res) = g
            .results
            .iter_mut()
            .rev()
            .find(|x| x.port == port && x.ref_id == r.message_ref && x.number == number)
    {
        res.status = "DELIVERED";
    }
    let entry = DeliverStatus {
        port,
        time: g.local(r.sc_timestamp),
        number: number.clone(),
        ref_id: r.message_ref,
        status_code: r.status,
        imsi: imsi.to_owned(),
    };
    if g.cfg.late_report_numbers.contains(&number) {
        let at = std::time::Instant::now() + std::time::Duration::from_millis(g.cfg.late_report_ms);
        g.held.push((at, entry));
    } else {
        g.push("sms_deliver_status", json!(entry));
        g.statuses.push(entry);
    }
}

/// Tests' handle on the lab's Dinstar: its request log, failed logins, pushes and faults.
#[derive(Clone, Debug)]
pub struct Control {
    lab: Lab,
}

/// The control handle of the lab's Dinstar.
pub fn control(lab: &Lab) -> Control {
    Control { lab: lab.clone() }
}

impl Control {
    fn store(&self) -> std::sync::MutexGuard<'_, GatewayStore> {
        lock(&self.lab.inner().gateway)
    }

    /// Every HTTP request so far.
    pub fn requests(&self) -> Vec<RequestLog> {
        self.store().requests.clone()
    }

    /// Requests whose login was refused.
    pub fn auth_failures(&self) -> u64 {
        self.store().auth_failures
    }

    /// Every push so far (payload and the receiver's status).
    pub fn pushes(&self) -> Vec<PushLog> {
        self.store().pushes.clone()
    }

    /// Sets (or clears) the push URL.
    pub fn set_push_url(&self, url: Option<String>) {
        let mut g = self.store();
        g.push_url = url;
        if let Some(n) = &g.push_wake {
            n.notify_one();
        }
    }

    /// The next `count` `send_sms` requests are carried out but answered only after `delay_ms` (a client
    /// with a shorter timeout sees no answer).
    pub fn slow_send_answers(&self, count: u32, delay_ms: u64) {
        self.store().slow_send_answers = Some((count, delay_ms));
    }

    /// The next USSD answers of port `port`, in order (then the SIM's balance text again).
    pub fn script_ussd(&self, port: usize, answers: &[&str]) {
        self.store()
            .ussd_script
            .entry(port)
            .or_default()
            .extend(answers.iter().map(|s| (*s).to_owned()));
    }

    /// The send results so far (as `query_sms_result` lists them).
    pub fn results(&self) -> Vec<SmsResult> {
        self.store().results.clone()
    }
}
