//! [`HttpDinstar`]: the real [`DinstarApi`] over HTTP (reqwest), with the methods, parameters
//! and field names of the vendor document (see [`super::api`]) and Digest or Basic
//! authentication as the device asks ([`super::auth`]).
//!
//! Methods: `send_sms`, `query_sms_result`, `query_sms_deliver_status`, `send_ussd` are POSTs
//! with a JSON body; `query_incoming_sms`, `query_ussd_reply`, `get_port_info` and `stop_sms`
//! are GETs with query parameters (arrays comma-separated, as in the document's
//! `query_ussd_reply?port=1,2,3`).

use super::api::{
    Accepted, DeliverStatus, DinstarApi, DinstarError, Filter, IncomingSms, PORT_INFO_TYPES,
    PortInfo, SendSms, SmsResult, StopOutcome, UssdReply,
};
use super::auth::{AuthState, Verdict};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// Requests a refused login may take: the first one, one answering a challenge, one answering a
/// stale nonce.
const MAX_ATTEMPTS: usize = 3;

/// A Dinstar gateway's HTTP API.
#[derive(Debug, Clone)]
pub struct HttpDinstar {
    base: String,
    auth: Arc<Mutex<AuthState>>,
    client: reqwest::Client,
}

fn comma(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl HttpDinstar {
    /// A client of the gateway at `base` (`http://host[:port]`); every request gives up after
    /// `timeout`; a refused login backs off from `backoff.0` doubling to `backoff.1`.
    pub fn new(
        base: &str,
        user: &str,
        password: &str,
        timeout: Duration,
        backoff: (Duration, Duration),
    ) -> Result<Self, DinstarError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| DinstarError::Unreachable {
                endpoint: "client",
                message: e.to_string(),
            })?;
        let base = base.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base).map_err(|e| DinstarError::Unreachable {
            endpoint: "client",
            message: format!("bad URL {base:?}: {e}"),
        })?;
        Ok(Self {
            base,
            auth: Arc::new(Mutex::new(AuthState::new(
                user, password, backoff.0, backoff.1,
            ))),
            client,
        })
    }

    /// `none` (not asked yet), `basic` or `digest`.
    pub fn auth_scheme(&self) -> &'static str {
        self.lock().scheme_name()
    }

    fn lock(&self) -> MutexGuard<'_, AuthState> {
        self.auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One API call: `query` is already made of URL-safe characters (digits, letters, commas).
    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        method: Method,
        query: &str,
        body: Option<&Value>,
        ok: &[u16],
    ) -> Result<T, DinstarError> {
        let value = self.exchange(endpoint, method, query, body).await?;
        let code = value
            .get("error_code")
            .and_then(|c| c.as_u64().or_else(|| c.as_str()?.trim().parse().ok()))
            .ok_or_else(|| DinstarError::BadAnswer {
                endpoint,
                message: "no error_code".into(),
            })?;
        let code = u16::try_from(code).unwrap_or(u16::MAX);
        if !ok.contains(&code) {
            return Err(DinstarError::Refused { endpoint, code });
        }
        serde_json::from_value(value).map_err(|e| bad(endpoint, e))
    }

    async fn exchange(
        &self,
        endpoint: &'static str,
        method: Method,
        query: &str,
        body: Option<&Value>,
    ) -> Result<Value, DinstarError> {
        if let Some((wait, why)) = self.lock().blocked(Instant::now()) {
            return Err(DinstarError::AuthBackoff {
                endpoint,
                message: format!("{why}; next login attempt in {} s", wait.as_secs().max(1)),
            });
        }
        let target = if query.is_empty() {
            endpoint.to_owned()
        } else {
            format!("{endpoint}?{query}")
        };
        let url = format!("{}{target}", self.base);
        for attempt in 1..=MAX_ATTEMPTS {
            let prepared = self.lock().prepare(method.as_str(), &target);
            let mut req = self.client.request(method.clone(), &url);
            if let Some(b) = body {
                req = req.json(b);
            }
            if let Some(h) = &prepared.header {
                req = req.header(AUTHORIZATION, h);
            }
            let resp = req.send().await.map_err(|e| transport(endpoint, &e))?;
            let status = resp.status();
            if status == reqwest::StatusCode::UNAUTHORIZED {
                let challenges: Vec<String> = resp
                    .headers()
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok().map(str::to_owned))
                    .collect();
                let verdict = {
                    let mut a = self.lock();
                    match a.unauthorized(&challenges, &prepared, Instant::now()) {
                        Verdict::Retry if attempt == MAX_ATTEMPTS => a.give_up(Instant::now()),
                        v => v,
                    }
                };
                match verdict {
                    Verdict::Retry => continue,
                    Verdict::Refused { reason, retry_in } => {
                        tracing::warn!(endpoint, %reason, retry_in_s = retry_in.as_secs(), "Dinstar login refused");
                        return Err(DinstarError::AuthRefused {
                            endpoint,
                            message: format!(
                                "{reason}; next login attempt in {} s",
                                retry_in.as_secs().max(1)
                            ),
                        });
                    }
                }
            }
            self.lock().succeeded();
            if !status.is_success() {
                return Err(DinstarError::Http {
                    endpoint,
                    status: status.as_u16(),
                });
            }
            let bytes = resp.bytes().await.map_err(|e| DinstarError::NoAnswer {
                endpoint,
                message: e.to_string(),
            })?;
            return serde_json::from_slice(&bytes).map_err(|e| bad(endpoint, e));
        }
        // The loop returns on every path (its last attempt gives up on a 401).
        Err(DinstarError::AuthRefused {
            endpoint,
            message: "the Dinstar keeps refusing the login".into(),
        })
    }
}

fn transport(endpoint: &'static str, e: &reqwest::Error) -> DinstarError {
    if e.is_connect() || e.is_builder() {
        DinstarError::Unreachable {
            endpoint,
            message: e.to_string(),
        }
    } else {
        DinstarError::NoAnswer {
            endpoint,
            message: e.to_string(),
        }
    }
}

fn bad(endpoint: &'static str, e: serde_json::Error) -> DinstarError {
    DinstarError::BadAnswer {
        endpoint,
        message: e.to_string(),
    }
}

#[derive(Deserialize)]
struct Results<T> {
    #[serde(default = "Vec::new")]
    result: Vec<T>,
}

#[derive(Deserialize)]
struct Inbox {
    #[serde(default)]
    sms: Vec<IncomingSms>,
}

#[derive(Deserialize)]
struct PortStatus {
    port: u16,
    status: u16,
}

#[derive(Deserialize)]
struct UssdResults {
    #[serde(default)]
    result: Vec<PortStatus>,
}

#[derive(Deserialize)]
struct UssdReplies {
    #[serde(default)]
    reply: Vec<UssdReply>,
}

#[derive(Deserialize)]
struct Infos {
    #[serde(default)]
    info: Vec<Value>,
}

#[derive(Deserialize)]
struct Ack {}

impl DinstarApi for HttpDinstar {
    async fn send_sms(&self, req: &SendSms) -> Result<Accepted, DinstarError> {
        let body = json!({
            "text": req.text,
            "param": [{"number": req.number, "user_id": req.user_id}],
            "port": [req.port],
            "encoding": req.encoding,
            "request_status_report": true,
        });
        self.call("/api/send_sms", Method::POST, "", Some(&body), &[200, 202])
            .await
    }

    async fn stop_sms(&self, task_id: u64) -> Result<StopOutcome, DinstarError> {
        let query = format!("task_id={task_id}");
        match self
            .call::<Ack>("/api/stop_sms", Method::GET, &query, None, &[200])
            .await
        {
            Ok(_) => Ok(StopOutcome::Stopped),
            Err(DinstarError::Refused { code: 404, .. }) => Ok(StopOutcome::NotFound),
            Err(e) => Err(e),
        }
    }

    async fn sms_results(&self, filter: &Filter) -> Result<Vec<SmsResult>, DinstarError> {
        let body = serde_json::to_value(filter).map_err(|e| bad("/api/query_sms_result", e))?;
        let r: Results<SmsResult> = self
            .call(
                "/api/query_sms_result",
                Method::POST,
                "",
                Some(&body),
                &[200],
            )
            .await?;
        Ok(r.result)
    }

    async fn deliver_statuses(&self, filter: &Filter) -> Result<Vec<DeliverStatus>, DinstarError> {
        let f = Filter {
            user_id: Vec::new(),
            ..filter.clone()
        };
        let body = serde_json::to_value(&f).map_err(|e| bad("/api/query_sms_deliver_status", e))?;
        let r: Results<DeliverStatus> = self
            .call(
                "/api/query_sms_deliver_status",
                Method::POST,
                "",
                Some(&body),
                &[200],
            )
            .await?;
        Ok(r.result)
    }

    async fn incoming(&self, after: u64, ports: &[u16]) -> Result<Vec<IncomingSms>, DinstarError> {
        let mut query = format!("incoming_sms_id={after}&flag=all");
        if !ports.is_empty() {
            query.push_str("&port=");
            query.push_str(&comma(ports));
        }
        let r: Inbox = self
            .call("/api/query_incoming_sms", Method::GET, &query, None, &[200])
            .await?;
        Ok(r.sms)
    }

    async fn send_ussd(&self, port: u16, text: &str) -> Result<u16, DinstarError> {
        let body = json!({"port": [port], "command": "send", "text": text});
        let r: UssdResults = self
            .call("/api/send_ussd", Method::POST, "", Some(&body), &[200, 202])
            .await?;
        r.result
            .iter()
            .find(|s| s.port == port)
            .map(|s| s.status)
            .ok_or_else(|| DinstarError::BadAnswer {
                endpoint: "/api/send_ussd",
                message: format!("no result for port {port}"),
            })
    }

    async fn cancel_ussd(&self, port: u16) -> Result<(), DinstarError> {
        let body = json!({"port": [port], "command": "cancel"});
        self.call::<Ack>("/api/send_ussd", Method::POST, "", Some(&body), &[200, 202])
            .await
            .map(|_| ())
    }

    async fn ussd_replies(&self, ports: &[u16]) -> Result<Vec<UssdReply>, DinstarError> {
        let query = format!("port={}", comma(ports));
        let r: UssdReplies = self
            .call("/api/query_ussd_reply", Method::GET, &query, None, &[200])
            .await?;
        Ok(r.reply)
    }

    async fn port_info(&self, ports: &[u16]) -> Result<Vec<PortInfo>, DinstarError> {
        let query = format!("port={}&info_type={PORT_INFO_TYPES}", comma(ports));
        let r: Infos = self
            .call("/api/get_port_info", Method::GET, &query, None, &[200])
            .await?;
        Ok(r.info.iter().filter_map(PortInfo::from_value).collect())
    }
}
