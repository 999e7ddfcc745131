//! [`HttpDinstar`]: the real [`DinstarApi`] over HTTP (reqwest, JSON bodies, HTTP Basic
//! authentication with the configured user and password).

use super::api::{
    Accepted, DeliverStatus, DinstarApi, DinstarError, Filter, IncomingSms, SendSms, SmsResult,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;

/// A Dinstar gateway's HTTP API.
#[derive(Debug, Clone)]
pub struct HttpDinstar {
    base: String,
    user: String,
    password: String,
    client: reqwest::Client,
}

impl HttpDinstar {
    /// A client of the gateway at `base` (`http://host[:port]`); every request gives up after
    /// `timeout`.
    pub fn new(
        base: &str,
        user: &str,
        password: &str,
        timeout: Duration,
    ) -> Result<Self, DinstarError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| DinstarError::Unreachable {
                endpoint: "client",
                message: e.to_string(),
            })?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            client,
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        body: Option<&Value>,
        query: &[(&str, String)],
        ok: &[u16],
    ) -> Result<T, DinstarError> {
        let url = format!("{}{endpoint}", self.base);
        let req = match body {
            Some(b) => self.client.post(url).json(b),
            None => self.client.get(url).query(query),
        }
        .basic_auth(&self.user, Some(&self.password));
        let resp = req.send().await.map_err(|e| transport(endpoint, &e))?;
        let status = resp.status();
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
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| bad(endpoint, e))?;
        let code = value
            .get("error_code")
            .and_then(Value::as_u64)
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
struct UssdText {
    port: u16,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct UssdReplies {
    #[serde(default)]
    reply: Vec<UssdText>,
}

impl DinstarApi for HttpDinstar {
    async fn send_sms(&self, req: &SendSms) -> Result<Accepted, DinstarError> {
        let body = json!({
            "text": req.text,
            "param": [{"number": req.number, "user_id": req.user_id}],
            "port": [req.port],
            "encoding": req.encoding,
            "request_status_report": true,
        });
        self.call("/api/send_sms", Some(&body), &[], &[200, 202])
            .await
    }

    async fn sms_results(&self, filter: &Filter) -> Result<Vec<SmsResult>, DinstarError> {
        let body = serde_json::to_value(filter).map_err(|e| bad("/api/query_sms_result", e))?;
        let r: Results<SmsResult> = self
            .call("/api/query_sms_result", Some(&body), &[], &[200])
            .await?;
        Ok(r.result)
    }

    async fn deliver_statuses(&self, filter: &Filter) -> Result<Vec<DeliverStatus>, DinstarError> {
        let body =
            serde_json::to_value(filter).map_err(|e| bad("/api/query_sms_deliver_status", e))?;
        let r: Results<DeliverStatus> = self
            .call("/api/query_sms_deliver_status", Some(&body), &[], &[200])
            .await?;
        Ok(r.result)
    }

    async fn incoming(&self, port: u16, after: u64) -> Result<Vec<IncomingSms>, DinstarError> {
        let body = json!({"incoming_sms_id": after, "flag": "all", "port": [port]});
        let r: Inbox = self
            .call("/api/query_incoming_sms", Some(&body), &[], &[200])
            .await?;
        Ok(r.sms)
    }

    async fn send_ussd(&self, port: u16, text: &str) -> Result<u16, DinstarError> {
        let body = json!({"port": [port], "command": "send", "text": text});
        let r: UssdResults = self
            .call("/api/send_ussd", Some(&body), &[], &[200, 202])
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

    async fn ussd_reply(&self, port: u16) -> Result<Option<String>, DinstarError> {
        let r: UssdReplies = self
            .call(
                "/api/query_ussd_reply",
                None,
                &[("port", port.to_string())],
                &[200],
            )
            .await?;
        Ok(r.reply.into_iter().find(|u| u.port == port).map(|u| u.text))
    }
}
