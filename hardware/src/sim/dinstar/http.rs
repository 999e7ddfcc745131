//! The simulated Dinstar's HTTP SMS API (see the module docs of [`super`] for the sources and the behaviour).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::auth::{self, Check};
use super::{RequestLog, SmsResult, lock};
use crate::sim::lab::Lab;

/// The Dinstar HTTP API router (with the device's login in front of every route).
pub fn router(lab: Lab) -> Router {
    Router::new()
        .route("/api/send_sms", post(send_sms))
        .route("/api/stop_sms", get(stop_sms))
        .route("/api/query_sms_result", post(query_sms_result))
        .route("/api/query_sms_deliver_status", post(query_deliver_status))
        .route(
            "/api/query_incoming_sms",
            get(incoming_get).post(incoming_post),
        )
        .route("/api/query_sms_in_queue", get(in_queue))
        .route("/api/send_ussd", post(send_ussd))
        .route("/api/query_ussd_reply", get(query_ussd_reply))
        .route("/api/get_port_info", get(get_port_info))
        .layer(middleware::from_fn_with_state(lab.clone(), login))
        .with_state(lab)
}

/// Serves the Dinstar HTTP API on `listener` (and its pushes) until the lab stops.
pub async fn serve_http(lab: Lab, listener: TcpListener) -> std::io::Result<()> {
    let cancel = lab.cancel_token().clone();
    tokio::spawn(super::push::run(lab.clone()));
    axum::serve(listener, router(lab))
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}

async fn login(State(lab): State<Lab>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let check = {
        let mut g = lock(&lab.inner().gateway);
        let c = auth::check(&mut g, &method, &target, authorization.as_deref());
        if g.requests.len() >= super::MAX_LOG {
            g.requests.drain(..super::MAX_LOG / 2);
        }
        g.requests.push(RequestLog {
            method,
            path,
            query,
            authorized: c == Check::Ok,
        });
        c
    };
    match check {
        Check::Ok => next.run(req).await,
        Check::Challenge(c) => {
            let mut r = (StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response();
            if let Ok(v) = header::HeaderValue::from_str(&c) {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            r
        }
    }
}

fn reply(lab: &Lab, code: u16, mut extra: Value) -> Json<Value> {
    let sn = lock(&lab.inner().gateway).cfg().sn.clone();
    if let Value::Object(m) = &mut extra {
        m.insert("error_code".into(), json!(code));
        m.insert("sn".into(), json!(sn));
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
                && m.state.sim == crate::sim::at::SimState::Ready
                && matches!(m.state.creg, 1 | 5)
        })
        .collect()
}

async fn send_sms(State(lab): State<Lab>, body: axum::body::Bytes) -> Response {
    let answer = send_sms_now(&lab, &body).await;
    let slow = {
        let mut g = lock(&lab.inner().gateway);
        match g.slow_send_answers {
            Some((n, ms)) if n > 0 => {
                g.slow_send_answers = (n > 1).then_some((n - 1, ms));
                Some(ms)
            }
            _ => None,
        }
    };
    if let Some(ms) = slow {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    answer.into_response()
}

async fn send_sms_now(lab: &Lab, body: &[u8]) -> Json<Value> {
    let Ok(req) = serde_json::from_slice::<SendSms>(body) else {
        return reply(lab, 400, json!({}));
    };
    if req.param.is_empty()
        || req
            .param
            .iter()
            .any(|p| p.number.is_empty() || p.number.len() > 24)
    {
        return reply(lab, 400, json!({}));
    }
    if req.param.len() > 128 || req.text.len() > 1500 {
        return reply(lab, 413, json!({}));
    }
    if req.port.as_ref().is_some_and(|p| p.iter().any(|p| *p > 31)) {
        return reply(lab, 400, json!({}));
    }
    let encoding = match req.encoding.as_deref() {
        None | Some("unicode") => smsgate_pdu::Encoding::Ucs2,
        Some("gsm-7bit") => smsgate_pdu::Encoding::Gsm7,
        Some(_) => return reply(lab, 400, json!({})),
    };
    let ports = available_ports(lab, req.port.as_deref()).await;
    if ports.is_empty() {
        return reply(lab, 550, json!({}));
    }
    let inner = lab.inner().clone();
    let (task_id, queued, queue_delay) = {
        let mut g = lock(&inner.gateway);
        g.task_id += 1;
        g.in_queue += req.param.len();
        (
            g.task_id,
            g.in_queue,
            Duration::from_millis(g.cfg().queue_delay_ms),
        )
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
        let opts = smsgate_pdu::SubmitOptions {
            status_report: report,
            encoding: Some(encoding),
            ..Default::default()
        };
        let parts = smsgate_pdu::encode_submit(&p.number, &text, &opts).unwrap_or_default();
        // The result is listed (SENDING) as soon as the task is queued.
        let idx = {
            let mut g = lock(&inner.gateway);
            let first = *g.next_mr.get(&port).unwrap_or(&0);
            let time = g.local(inner.clock.now());
            g.results.push(SmsResult {
                port,
                user_id: p.user_id.unwrap_or(0),
                number: p.number.clone(),
                time,
                status: if parts.is_empty() {
                    "FAILED"
                } else {
                    "SENDING"
                },
                count: parts.len(),
                succ_count: 0,
                ref_id: first,
                imsi: spec.imsi.clone(),
                task_id,
            });
            g.results.len() - 1
        };
        tokio::spawn(async move {
            if !queue_delay.is_zero() {
                tokio::time::sleep(queue_delay).await;
            }
            {
                let mut g = lock(&inner.gateway);
                if g.stopped.contains(&task_id) {
                    g.in_queue = g.in_queue.saturating_sub(1);
                    g.results[idx].status = "FAILED";
                    let r = g.results[idx].clone();
                    g.push("sms_result", json!(r));
                    return;
                }
                let first = *g.next_mr.get(&port).unwrap_or(&0);
                let time = g.local(inner.clock.now());
                let r = &mut g.results[idx];
                r.ref_id = first;
                r.time = time;
            }
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
            let r = r.clone();
            g.push("sms_result", json!(r));
        });
    }
    reply(
        lab,
        202,
        json!({ "sms_in_queue": queued, "task_id": task_id }),
    )
}

#[derive(Debug, Deserialize)]
struct StopQuery {
    task_id: u64,
}

async fn stop_sms(
    State(lab): State<Lab>,
    q: Result<Query<StopQuery>, axum::extract::rejection::QueryRejection>,
) -> Json<Value> {
    let Ok(Query(q)) = q else {
        return reply(&lab, 400, json!({}));
    };
    let code = {
        let mut g = lock(&lab.inner().gateway);
        let pending = g
            .results
            .iter()
            .any(|r| r.task_id == q.task_id && r.status == "SENDING" && r.succ_count == 0);
        if pending {
            g.stopped.push(q.task_id);
            200
        } else {
            404
        }
    };
    reply(&lab, code, json!({}))
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
    let result: Vec<SmsResult> = lock(&lab.inner().gateway)
        .results
        .iter()
        .filter(|r| f.matches(&r.number, r.port, &r.time, Some(r.user_id)))
        .cloned()
        .collect();
    reply(&lab, 200, json!({ "result": result }))
}

async fn query_deliver_status(State(lab): State<Lab>, body: axum::body::Bytes) -> Json<Value> {
    let Some(f) = filter_from(&body) else {
        return reply(&lab, 400, json!({}));
    };
    let result: Vec<Value> = lock(&lab.inner().gateway)
        .statuses()
        .iter()
        .filter(|r| f.matches(&r.number, r.port, &r.time, None))
        .map(|r| json!(r))
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

fn ports_param(s: Option<&str>) -> Result<Option<Vec<usize>>, ()> {
    match s {
        None | Some("") => Ok(None),
        Some(s) => s
            .split(',')
            .map(|p| p.trim().parse::<usize>().map_err(|_| ()))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
    }
}

fn incoming(lab: &Lab, after: u64, flag: Option<&str>, ports: Option<Vec<usize>>) -> Json<Value> {
    let flag = flag.unwrap_or("unread");
    if !matches!(flag, "unread" | "read" | "all") {
        return reply(lab, 400, json!({}));
    }
    let inner = lab.inner().clone();
    let mut g = lock(&inner.gateway);
    let mut out = Vec::new();
    for m in g.inbox_mut().iter_mut() {
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
    let read = g.inbox_mut().iter().filter(|m| m.read).count();
    let unread = g.inbox_mut().len() - read;
    drop(g);
    reply(
        lab,
        200,
        json!({ "sms": out, "read": read, "unread": unread }),
    )
}

async fn incoming_get(State(lab): State<Lab>, Query(q): Query<IncomingQuery>) -> Json<Value> {
    let Ok(ports) = ports_param(q.port.as_deref()) else {
        return reply(&lab, 400, json!({}));
    };
    incoming(
        &lab,
        q.incoming_sms_id.unwrap_or(0),
        q.flag.as_deref(),
        ports,
    )
}

/// The API documents a GET: a POST's JSON body is ignored, as the device does (every port's unread
/// messages come back and are marked read).
async fn incoming_post(State(lab): State<Lab>) -> Json<Value> {
    incoming(&lab, 0, None, None)
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
    let delay = Duration::from_millis(inner.cfg.ussd_delay_ms);
    let mut result = Vec::new();
    for p in req.port {
        if p >= lab.dinstar_ports().len() || !ready.contains(&p) {
            result.push(json!({ "port": p, "status": 503 }));
            continue;
        }
        let mut g = lock(&inner.gateway);
        if command == "cancel" {
            g.ussd_busy.remove(&p);
            result.push(json!({ "port": p, "status": 200 }));
            continue;
        }
        if g.ussd_busy.get(&p).copied().unwrap_or(false) {
            result.push(json!({ "port": p, "status": 486 }));
            continue;
        }
        result.push(json!({ "port": p, "status": 200 }));
        let spec = &inner.modems[lab.dinstar_ports()[p]].spec;
        let text = if req.text.as_deref() == Some(inner.cfg.balance_code.as_str()) {
            g.ussd_script
                .get_mut(&p)
                .and_then(std::collections::VecDeque::pop_front)
                .unwrap_or_else(|| spec.balance.clone())
        } else {
            "Unknown application".to_owned()
        };
        if !g.cfg().ussd_stale_reply {
            g.ussd.insert(p, " ".into());
        }
        g.ussd_busy.insert(p, true);
        drop(g);
        let inner = inner.clone();
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let mut g = lock(&inner.gateway);
            if g.ussd_busy.remove(&p).is_some() {
                g.ussd.insert(p, text.clone());
                g.push("ussd", json!({"port": p, "text": text}));
            }
        });
    }
    reply(&lab, 202, json!({ "result": result }))
}

#[derive(Debug, Deserialize)]
struct PortsQuery {
    #[serde(default)]
    port: Option<String>,
    #[serde(default)]
    info_type: Option<String>,
}

async fn query_ussd_reply(State(lab): State<Lab>, Query(q): Query<PortsQuery>) -> Json<Value> {
    let Ok(Some(ports)) = ports_param(q.port.as_deref()) else {
        return reply(&lab, 400, json!({}));
    };
    let g = lock(&lab.inner().gateway);
    // Every asked port is listed; "" when it never had a reply.
    let r: Vec<Value> = ports
        .iter()
        .map(|p| json!({ "port": p, "text": g.ussd.get(p).cloned().unwrap_or_default() }))
        .collect();
    drop(g);
    reply(&lab, 200, json!({ "reply": r }))
}

async fn get_port_info(State(lab): State<Lab>, Query(q): Query<PortsQuery>) -> Json<Value> {
    let Some(types) = q.info_type.as_deref().filter(|t| !t.is_empty()) else {
        return reply(&lab, 400, json!({}));
    };
    let types: Vec<&str> = types.split(',').map(str::trim).collect();
    let all: Vec<usize> = (0..lab.dinstar_ports().len()).collect();
    let ports = match ports_param(q.port.as_deref()) {
        Ok(Some(p)) => p,
        Ok(None) => all,
        Err(()) => return reply(&lab, 400, json!({})),
    };
    let Ok(modems) = lab.modems().await else {
        return reply(&lab, 500, json!({}));
    };
    let mut info = Vec::new();
    for p in ports {
        let Some(m) = lab.dinstar_ports().get(p).and_then(|i| modems.get(*i)) else {
            continue;
        };
        use crate::sim::at::SimState;
        let on = m.plugged && m.powered;
        let sim = on && m.state.sim != SimState::Removed;
        let reg = if !on {
            "POWER_OFF"
        } else {
            match m.state.sim {
                SimState::Removed => "NO_SIM",
                SimState::PinRequired => "PIN_REQUIRE",
                SimState::PukRequired => "PUK_REQUIRE",
                SimState::Ready => match m.state.creg {
                    1 | 5 => "REGISTER_OK",
                    2 => "SEARCHING_NETWORK",
                    _ => "UNREGISTER",
                },
            }
        };
        let mut e = serde_json::Map::new();
        e.insert("port".into(), json!(p));
        for t in &types {
            let v = match *t {
                "type" => json!("GSM"),
                "imei" => json!(m.imei),
                "imsi" => json!(if sim { m.imsi.as_str() } else { "" }),
                "iccid" => json!(if sim { m.iccid.as_str() } else { "" }),
                "number" => json!(if sim { m.msisdn.as_str() } else { "" }),
                "reg" => json!(reg),
                "slot" => json!(255),
                "callstate" => json!("Idle"),
                "signal" => json!(if on { m.state.rssi } else { 0 }),
                "gprs" => json!("detached"),
                _ => continue,
            };
            e.insert((*t).to_owned(), v);
        }
        info.push(Value::Object(e));
    }
    reply(&lab, 200, json!({ "info": info }))
}
