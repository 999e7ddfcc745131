//! A real webhook receiver for the tests: an axum server on 127.0.0.1 that checks every
//! request's signature with the documented scheme (against the hub's clock, since the tests
//! move it), records what came, and answers what the test tells it to (a status per request,
//! or no answer at all until released).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use smsgate_cloud::Clock;
use smsgate_cloud::Hub;
use smsgate_cloud::authz::Actor;
use smsgate_cloud::hub::webhooks::NewEndpoint;
use smsgate_cloud::webhooks::{Endpoint, EventType, sign};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Bytes,
    pub event: Value,
    /// The signature checked out with the secret the receiver held (and within the window).
    pub verified: bool,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Received {
    pub fn event_type(&self) -> &str {
        self.event["type"].as_str().unwrap_or("")
    }
    /// The message text, for message events.
    pub fn text(&self) -> &str {
        self.event["data"]["message"]["text"].as_str().unwrap_or("")
    }
}

type Respond = Box<dyn FnMut(&Value) -> u16 + Send>;

struct Inner {
    clock: Box<dyn Clock>,
    secret: Mutex<String>,
    received: Mutex<Vec<Received>>,
    respond: Mutex<Respond>,
    /// While true, requests are held without an answer.
    hold: tokio::sync::watch::Sender<bool>,
    arrived: tokio::sync::Notify,
    /// Requests that arrived (answered or still held).
    seen: std::sync::atomic::AtomicUsize,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
    pub addr: SocketAddr,
}

impl Receiver {
    pub async fn start(clock: impl Clock) -> Receiver {
        let inner = Arc::new(Inner {
            clock: Box::new(clock),
            secret: Mutex::new(String::new()),
            received: Mutex::new(Vec::new()),
            respond: Mutex::new(Box::new(|_| 200)),
            hold: tokio::sync::watch::Sender::new(false),
            arrived: tokio::sync::Notify::new(),
            seen: Default::default(),
        });
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { inner, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn set_secret(&self, s: &str) {
        *self.inner.secret.lock().unwrap() = s.to_owned();
    }

    pub fn respond(&self, f: impl FnMut(&Value) -> u16 + Send + 'static) {
        *self.inner.respond.lock().unwrap() = Box::new(f);
    }

    pub fn hold(&self, on: bool) {
        self.inner.hold.send_replace(on);
    }

    /// Requests that arrived, answered or held.
    pub fn seen(&self) -> usize {
        self.inner.seen.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Requests answered 2xx, in arrival order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits (at most 20 s of real time) until `ok` holds for what has arrived.
    pub async fn until(&self, what: &str, ok: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if ok(&got) {
                return got;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "receiver: gave up waiting for {what}; got {:#?}",
                    got.iter()
                        .map(|r| (r.event_type().to_owned(), r.text().to_owned(), r.answered))
                        .collect::<Vec<_>>()
                );
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), self.inner.arrived.notified())
                .await;
        }
    }
}

async fn hook(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (id, timestamp, signature) = (
        h(sign::HEADER_ID),
        h(sign::HEADER_TIMESTAMP),
        h(sign::HEADER_SIGNATURE),
    );
    let secret = inner.secret.lock().unwrap().clone();
    let verified = sign::verify(
        &secret,
        &timestamp,
        &signature,
        &body,
        inner.clock.now().timestamp(),
        sign::DEFAULT_TOLERANCE_SECS,
    )
    .is_ok();
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    inner.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    inner.arrived.notify_waiters();
    let mut hold = inner.hold.subscribe();
    let _ = hold.wait_for(|held| !held).await;
    let answered = if verified {
        (inner.respond.lock().unwrap())(&event)
    } else {
        401
    };
    inner.received.lock().unwrap().push(Received {
        id,
        timestamp,
        signature,
        body,
        event,
        verified,
        answered,
    });
    inner.arrived.notify_waiters();
    StatusCode::from_u16(answered).unwrap()
}

/// An enabled endpoint of the caller's own tenant, and its secret.
pub fn create_endpoint(
    hub: &Hub,
    by: &Actor,
    url: &str,
    events: &[EventType],
) -> (Endpoint, String) {
    let (e, s) = hub
        .create_webhook(
            by,
            NewEndpoint {
                org_id: None,
                url: url.into(),
                description: "CRM".into(),
                enabled: true,
                events: events.to_vec(),
            },
        )
        .unwrap();
    (e, s.expose().to_owned())
}
