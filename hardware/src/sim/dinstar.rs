//! A simulated Dinstar multi-port GSM gateway in front of some lab modems (reference §4).
//!
//! - **AT mode over TCP** ([`serve_at`], reference §4.2): per connection the client sends `Password:XXXX`
//!   (→ `OK`/`FAIL`), then `Port:N` (→ `OK`, `FAIL`, or `NOT READY` when that module is off/unplugged/in use);
//!   after that the bytes go raw to and from that module's AT interpreter. All gateway lines end with CRLF.
//! - **HTTP SMS API** ([`router`], reference §4.1, field names as documented): `POST /api/send_sms` (202 + `task_id`),
//!   `POST /api/query_sms_result`, `POST /api/query_sms_deliver_status`, `GET|POST /api/query_incoming_sms`,
//!   `GET /api/query_sms_in_queue`, `POST /api/send_ussd`, `GET /api/query_ussd_reply?port=1,2`. Ports are
//!   numbered 0–31. In HTTP mode the gateway keeps inbound SMS and status reports of its ports in its own store.
//!   The lab's gateway has no HTTP authentication (real units use Digest or Basic).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::lab::Lab;

const TIME_FMT: &str = "%Y-%m-%d %H:%M:%S";

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
    /// "YYYY-MM-DD HH:MM:SS".
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
    /// "YYYY-MM-DD HH:MM:SS".
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
}

/// A delivery status entry (`/api/query_sms_deliver_status`).
#[derive(Debug, Clone, Serialize)]
pub struct DeliverStatus {
    /// Port.
    pub port: usize,
    /// Recipient.
    pub number: String,
    /// "YYYY-MM-DD HH:MM:SS".
    pub time: String,
    /// TP-MR.
    pub ref_id: u8,
    /// TP-ST (0 received; 32–63 temporary; 64–255 permanent).
    pub status_code: u8,
    /// IMSI.
    pub imsi: String,
}

/// The gateway's own store.
#[derive(Debug, Default)]
pub struct GatewayStore {
    inbox: Vec<IncomingSms>,
    partial: HashMap<(usize, String, u16, u8), BTreeMap<u8, String>>,
    results: Vec<SmsResult>,
    statuses: Vec<DeliverStatus>,
    ussd: BTreeMap<usize, String>,
    next_mr: HashMap<usize, u8>,
    task_id: u64,
    in_queue: usize,
}

fn lock(m: &Mutex<GatewayStore>) -> std::sync::MutexGuard<'_, GatewayStore> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An SMS-DELIVER for gateway port `port` (HTTP mode): parts are joined before it appears in the inbox.
pub(crate) fn gateway_inbound(store: &Mutex<GatewayStore>, port: usize, imsi: &str, pdu: &[u8]) {
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
        g.inbox.push(IncomingSms {
            incoming_sms_id: id,
            port,
            number,
            smsc: d.smsc.map(|a| a.display()).unwrap_or_default(),
            timestamp: d.timestamp.format(TIME_FMT).to_string(),
            text,
            imsi: imsi.to_owned(),
            read: false,
        });
    }
}

/// A status report for gateway port `port` (HTTP mode).
pub(crate) fn gateway_status_report(
    store: &Mutex<GatewayStore>,
    port: usize,
    imsi: &str,
    pdu: &[u8],
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
    g.statuses.push(DeliverStatus {
        port,
        number,
        time: r.discharge_time.format(TIME_FMT).to_string(),
        ref_id: r.message_ref,
        status_code: r.status,
        imsi: imsi.to_owned(),
    });
}

// ------------------------------------------------------------------ AT mode over TCP

/// Serves Dinstar AT mode on `listener` until the lab stops.
pub async fn serve_at(lab: Lab, listener: TcpListener) -> std::io::Result<()> {
    let cancel = lab.cancel_token().clone();
    loop {
        let (sock, _) = tokio::select! {
            r = listener.accept() => r?,
            _ = cancel.cancelled() => return Ok(()),
        };
        let lab = lab.clone();
        tokio::spawn(async move {
            if let Err(e) = at_session(lab, sock).await {
                tracing::debug!("dinstar AT session ended: {e}");
            }
        });
    }
}

async fn at_session(lab: Lab, sock: TcpStream) -> std::io::Result<()> {
    let (rd, mut wr) = sock.into_split();
    let mut rd = BufReader::new(rd);
    let password = lab
        .config()
        .dinstar
        .as_ref()
        .map(|d| d.password.clone())
        .unwrap_or_default();
    let mut authed = false;
    // Line phase: Password / Port (lines end with CR or CRLF).
    let modem = loop {
        let mut line = Vec::new();
        loop {
            let mut b = [0u8; 1];
            if rd.read(&mut b).await? == 0 {
                return Ok(());
            }
            match b[0] {
                b'\r' => break,
                b'\n' if line.is_empty() => {}
                b'\n' => break,
                c => line.push(c),
            }
        }
        let line = String::from_utf8_lossy(&line).trim().to_owned();
        if line.is_empty() {
            continue;
        }
        if let Some(p) = line.strip_prefix("Password:") {
            authed = p == password;
            wr.write_all(if authed { b"OK\r\n" } else { b"FAIL\r\n" })
                .await?;
            continue;
        }
        match line
            .strip_prefix("Port:")
            .map(|p| p.trim().parse::<usize>())
        {
            Some(Ok(port)) if authed => match lab.dinstar_ports().get(port).copied() {
                Some(m) => break (port, m),
                None => wr.write_all(b"FAIL\r\n").await?,
            },
            _ => wr.write_all(b"FAIL\r\n").await?,
        }
    };
    let (_, m) = modem;
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let attached = lab.attach(m, tx).await.map_err(std::io::Error::other)?;
    if !attached {
        wr.write_all(b"NOT READY\r\n").await?;
        return Ok(());
    }
    wr.write_all(b"OK\r\n").await?;
    // Raw phase: bytes both ways; the modem task drops the attachment when our receiver goes away.
    let mut buf = vec![0u8; 2048];
    // Bytes already buffered by the line reader belong to the module.
    let pending = rd.buffer().to_vec();
    rd.consume(pending.len());
    if !pending.is_empty() {
        lab.input(m, pending).map_err(std::io::Error::other)?;
    }
    loop {
        tokio::select! {
            n = rd.read(&mut buf) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                lab.input(m, buf[..n].to_vec()).map_err(std::io::Error::other)?;
            }
            out = rx.recv() => match out {
                Some(bytes) => wr.write_all(&bytes).await?,
                None => return Ok(()),
            },
            _ = lab.cancel_token().cancelled() => return Ok(()),
        }
    }
}

// ------------------------------------------------------------------ HTTP API

/// The Dinstar HTTP API router.
pub fn router(lab: Lab) -> Router {
    Router::new()
        .route("/api/send_sms", post(send_sms))
        .route("/api/query_sms_result", post(query_sms_result))
        .route("/api/query_sms_deliver_status", post(query_deliver_status))
        .route(
            "/api/query_incoming_sms",
            get(incoming_get).post(incoming_post),
        )
        .route("/api/query_sms_in_queue", get(in_queue))
        .route("/api/send_ussd", post(send_ussd))
        .route("/api/query_ussd_reply", get(query_ussd_reply))
        .with_state(lab)
}

/// Serves the Dinstar HTTP API on `listener` until the lab stops.
pub async fn serve_http(lab: Lab, listener: TcpListener) -> std::io::Result<()> {
    let cancel = lab.cancel_token().clone();
    axum::serve(listener, router(lab))
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}

fn sn(lab: &Lab) -> String {
    lab.config()
        .dinstar
        .as_ref()
        .map(|d| d.sn.clone())
        .unwrap_or_default()
}

fn reply(lab: &Lab, code: u16, mut extra: Value) -> Json<Value> {
    if let Value::Object(m) = &mut extra {
        m.insert("error_code".into(), json!(code));
        m.insert("sn".into(), json!(sn(lab)));
    }
    Json(extra)
}

#[derive(Debug, Deserialize)]
struct SendParam {
    number: String,
    #[serde(default)]
    text_param: Vec<String>,
    #[serde(default)]
    user_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct SendSms {
    text: String,
    param: Vec<SendParam>,
    #[serde(default)]
    port: Option<Vec<usize>>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    request_status_report: Option<bool>,
}

/// Ports (0–31) whose module can send now.
async fn available_ports(lab: &Lab, wanted: Option<&[usize]>) -> Vec<usize> {
    let Ok(modems) = lab.modems().await else {
        return Vec::new();
    };
    let ports = lab.dinstar_ports();
    (0..ports.len())
        .filter(|p| wanted.is_none_or(|w| w.contains(p)))
        .filter(|p| {
            let m = &modems[ports[*p]];
            m.plugged
                && m.powered
                && m.state.sim == super::at::SimState::Ready
                && matches!(m.state.creg, 1 | 5)
        })
        .collect()
}

async fn send_sms(State(lab): State<Lab>, body: axum::body::Bytes) -> Json<Value> {
    let Ok(req) = serde_json::from_slice::<SendSms>(&body) else {
        return reply(&lab, 400, json!({}));
    };
    if req.param.is_empty()
        || req
            .param
            .iter()
            .any(|p| p.number.is_empty() || p.number.len() > 24)
    {
        return reply(&lab, 400, json!({}));
    }
    if req.param.len() > 128 || req.text.len() > 1500 {
        return reply(&lab, 413, json!({}));
    }
    if req.port.as_ref().is_some_and(|p| p.iter().any(|p| *p > 31)) {
        return reply(&lab, 400, json!({}));
    }
    let encoding = match req.encoding.as_deref() {
        None | Some("unicode") => smsgate_pdu::Encoding::Ucs2,
        Some("gsm-7bit") => smsgate_pdu::Encoding::Gsm7,
        Some(_) => return reply(&lab, 400, json!({})),
    };
    let ports = available_ports(&lab, req.port.as_deref()).await;
    if ports.is_empty() {
        return reply(&lab, 550, json!({}));
    }
    let inner = lab.inner().clone();
    let (task_id, queued) = {
        let mut g = lock(&inner.gateway);
        g.task_id += 1;
        g.in_queue += req.param.len();
        (g.task_id, g.in_queue)
    };
    let report = req.request_status_report.unwrap_or(true);
    for (i, p) in req.param.into_iter().enumerate() {
        let port = ports[i % ports.len()];
        let modem = lab.dinstar_ports()[port];
        let mut text = req.text.clone();
        for v in &p.text_param {
            text = text.replacen("#param#", v, 1);
        }
        let inner = inner.clone();
        let spec = inner.modems[modem].spec.clone();
        tokio::spawn(async move {
            let opts = smsgate_pdu::SubmitOptions {
                status_report: report,
                encoding: Some(encoding),
                ..Default::default()
            };
            let now = inner.clock.now();
            let parts = smsgate_pdu::encode_submit(&p.number, &text, &opts).unwrap_or_default();
            let idx = {
                let mut g = lock(&inner.gateway);
                let first = *g.next_mr.get(&port).unwrap_or(&0);
                g.results.push(SmsResult {
                    port,
                    user_id: p.user_id.unwrap_or(0),
                    number: p.number.clone(),
                    time: now.format(TIME_FMT).to_string(),
                    status: if parts.is_empty() {
                        "FAILED"
                    } else {
                        "SENDING"
                    },
                    count: parts.len(),
                    succ_count: 0,
                    ref_id: first,
                    imsi: spec.imsi.clone(),
                });
                g.results.len() - 1
            };
            let mut ok = 0;
            for part in &parts {
                let mr = {
                    let mut g = lock(&inner.gateway);
                    let e = g.next_mr.entry(port).or_insert(0);
                    let mr = *e;
                    *e = e.wrapping_add(1);
                    mr
                };
                let d = Duration::from_millis(spec.latency_ms);
                if !d.is_zero() {
                    tokio::time::sleep(d).await;
                }
                let tpdu = &part.bytes[part.bytes.len() - part.tpdu_len..];
                if inner.route_submit(modem, mr, tpdu).is_ok() {
                    ok += 1;
                }
            }
            let mut g = lock(&inner.gateway);
            g.in_queue = g.in_queue.saturating_sub(1);
            let r = &mut g.results[idx];
            r.succ_count = ok;
            if r.status == "SENDING" {
                r.status = if ok == parts.len() {
                    "SENT_OK"
                } else {
                    "FAILED"
                };
            }
        });
    }
    reply(
        &lab,
        202,
        json!({ "sms_in_queue": queued, "task_id": task_id }),
    )
}

#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    number: Option<Vec<String>>,
    #[serde(default)]
    port: Option<Vec<usize>>,
    #[serde(default)]
    time_after: Option<String>,
    #[serde(default)]
    time_before: Option<String>,
    #[serde(default)]
    user_id: Option<Vec<u64>>,
}

impl Filter {
    fn matches(&self, number: &str, port: usize, time: &str, user_id: Option<u64>) -> bool {
        // "YYYY-MM-DD HH:MM:SS" compares correctly as text.
        self.number
            .as_ref()
            .is_none_or(|n| n.iter().any(|x| x == number))
            && self.port.as_ref().is_none_or(|p| p.contains(&port))
            && self.time_after.as_deref().is_none_or(|t| time > t)
            && self.time_before.as_deref().is_none_or(|t| time < t)
            && match (&self.user_id, user_id) {
                (Some(ids), Some(u)) => ids.contains(&u),
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

fn filter_from(body: &[u8]) -> Option<Filter> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Filter::default());
    }
    serde_json::from_slice(body).ok()
}

async fn query_sms_result(State(lab): State<Lab>, body: axum::body::Bytes) -> Json<Value> {
    let Some(f) = filter_from(&body) else {
        return reply(&lab, 400, json!({}));
    };
    let g = lock(&lab.inner().gateway);
    let result: Vec<&SmsResult> = g
        .results
        .iter()
        .filter(|r| f.matches(&r.number, r.port, &r.time, Some(r.user_id)))
        .collect();
    reply(&lab, 200, json!({ "result": result }))
}

async fn query_deliver_status(State(lab): State<Lab>, body: axum::body::Bytes) -> Json<Value> {
    let Some(f) = filter_from(&body) else {
        return reply(&lab, 400, json!({}));
    };
    let g = lock(&lab.inner().gateway);
    let result: Vec<&DeliverStatus> = g
        .statuses
        .iter()
        .filter(|r| f.matches(&r.number, r.port, &r.time, None))
        .collect();
    reply(&lab, 200, json!({ "result": result }))
}

#[derive(Debug, Default, Deserialize)]
struct IncomingQuery {
    #[serde(default)]
    incoming_sms_id: Option<u64>,
    #[serde(default)]
    flag: Option<String>,
    /// Comma-separated in a query string.
    #[serde(default)]
    port: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct IncomingBody {
    #[serde(default)]
    incoming_sms_id: Option<u64>,
    #[serde(default)]
    flag: Option<String>,
    #[serde(default)]
    port: Option<Vec<usize>>,
}

fn incoming(lab: &Lab, after: u64, flag: Option<&str>, ports: Option<Vec<usize>>) -> Json<Value> {
    let flag = flag.unwrap_or("unread");
    if !matches!(flag, "unread" | "read" | "all") {
        return reply(lab, 400, json!({}));
    }
    let inner = lab.inner().clone();
    let mut g = lock(&inner.gateway);
    let mut out = Vec::new();
    for m in g.inbox.iter_mut() {
        let pick = m.incoming_sms_id > after
            && ports.as_ref().is_none_or(|p| p.contains(&m.port))
            && match flag {
                "unread" => !m.read,
                "read" => m.read,
                _ => true,
            };
        if pick {
            out.push(m.clone());
            if flag == "unread" {
                m.read = true;
            }
        }
    }
    let read = g.inbox.iter().filter(|m| m.read).count();
    let unread = g.inbox.len() - read;
    reply(
        lab,
        200,
        json!({ "sms": out, "read": read, "unread": unread }),
    )
}

async fn incoming_get(State(lab): State<Lab>, Query(q): Query<IncomingQuery>) -> Json<Value> {
    let ports = match q.port.as_deref() {
        None | Some("") => None,
        Some(s) => match s
            .split(',')
            .map(|p| p.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(v) => Some(v),
            Err(_) => return reply(&lab, 400, json!({})),
        },
    };
    incoming(
        &lab,
        q.incoming_sms_id.unwrap_or(0),
        q.flag.as_deref(),
        ports,
    )
}

async fn incoming_post(State(lab): State<Lab>, body: axum::body::Bytes) -> Json<Value> {
    let q: IncomingBody = if body.iter().all(u8::is_ascii_whitespace) {
        IncomingBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(q) => q,
            Err(_) => return reply(&lab, 400, json!({})),
        }
    };
    incoming(
        &lab,
        q.incoming_sms_id.unwrap_or(0),
        q.flag.as_deref(),
        q.port,
    )
}

async fn in_queue(State(lab): State<Lab>) -> Json<Value> {
    let n = lock(&lab.inner().gateway).in_queue;
    reply(&lab, 200, json!({ "in_queue": n }))
}

#[derive(Debug, Deserialize)]
struct SendUssd {
    port: Vec<usize>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

async fn send_ussd(State(lab): State<Lab>, body: axum::body::Bytes) -> Json<Value> {
    let Ok(req) = serde_json::from_slice::<SendUssd>(&body) else {
        return reply(&lab, 400, json!({}));
    };
    let command = req.command.as_deref().unwrap_or("send");
    if !matches!(command, "send" | "cancel")
        || (command == "send" && req.text.as_deref().is_none_or(str::is_empty))
    {
        return reply(&lab, 400, json!({}));
    }
    let ready = available_ports(&lab, Some(&req.port)).await;
    let inner: Arc<_> = lab.inner().clone();
    let mut result = Vec::new();
    for p in req.port {
        if p >= lab.dinstar_ports().len() || !ready.contains(&p) {
            result.push(json!({ "port": p, "status": 503 }));
            continue;
        }
        result.push(json!({ "port": p, "status": 200 }));
        let mut g = lock(&inner.gateway);
        if command == "cancel" {
            g.ussd.remove(&p);
        } else {
            let spec = &inner.modems[lab.dinstar_ports()[p]].spec;
            let text = if req.text.as_deref() == Some(inner.cfg.balance_code.as_str()) {
                spec.balance.clone()
            } else {
                "Unknown application".to_owned()
            };
            g.ussd.insert(p, text);
        }
    }
    reply(&lab, 202, json!({ "result": result }))
}

#[derive(Debug, Deserialize)]
struct UssdQuery {
    port: String,
}

async fn query_ussd_reply(State(lab): State<Lab>, Query(q): Query<UssdQuery>) -> Json<Value> {
    let Ok(ports) = q
        .port
        .split(',')
        .map(|p| p.trim().parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
    else {
        return reply(&lab, 400, json!({}));
    };
    let g = lock(&lab.inner().gateway);
    let r: Vec<Value> = ports
        .iter()
        .filter_map(|p| g.ussd.get(p).map(|t| json!({ "port": p, "text": t })))
        .collect();
    reply(&lab, 200, json!({ "reply": r }))
}
