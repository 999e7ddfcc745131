//! The delivery worker. It asks the store for the deliveries due now that head their
//! conversation's queue ([`crate::store::webhooks::WebhookRead::due_deliveries`]), starts each
//! as its own task — at most `concurrency` in flight, and `per_endpoint` to one endpoint (the
//! queue read takes at most twice that of each), so a dead endpoint, whatever its backlog,
//! holds only its share — and sleeps until the next due moment on the hub's [`crate::Clock`]
//! or until woken (deliveries queued, an endpoint changed, an attempt ended). Never polls.
//!
//! Each attempt is signed afresh ([`super::sign`]), bounded by `timeout`, and logged in the
//! store with its status, latency and error, then the delivery is delivered (2xx), due again
//! after [`WebhookSettings::backoff`], or given up once `give_up_after` has passed since it
//! was queued. A delivery interrupted by a stop stays pending and is sent again after a
//! restart (receivers deduplicate on `Webhook-Id`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rand::Rng;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::WebhookSettings;
use super::model::{Attempt, DeliveryState, DueDelivery};
use super::sign;
use crate::Clock;
use crate::hub::{Hub, HubError};

/// The HTTP client webhooks are sent with (no redirects followed: a receiver answers itself).
pub fn client(settings: &WebhookSettings) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("smsgate-hub/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sends one signed request and times it. Never fails: the outcome is the attempt.
pub(crate) async fn send(client: &reqwest::Client, clock: &dyn Clock, d: &DueDelivery) -> Attempt {
    let at = clock.now();
    let ts = at.timestamp();
    let signature = sign::signature(d.secret.expose(), ts, d.body.as_bytes());
    let started = Instant::now();
    let res = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header(sign::HEADER_ID, d.event_id.to_string())
        .header(sign::HEADER_TIMESTAMP, ts.to_string())
        .header(sign::HEADER_SIGNATURE, signature)
        .body(d.body.clone())
        .send()
        .await;
    let (status, error) = match res {
        Ok(r) => {
            let code = r.status().as_u16();
            // Read (a bounded part of) the answer so the connection can be reused.
            let _ = r.bytes().await;
            let err = (!(200..300).contains(&code)).then(|| format!("answered HTTP {code}"));
            (Some(code), err)
        }
        Err(e) => {
            let what = if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                e.without_url().to_string()
            };
            (None, Some(what))
        }
    };
    Attempt {
        attempt: d.attempts + 1,
        at,
        status,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        error,
    }
}

/// What the delivery loop must not start again: deliveries in flight, and those whose attempt
/// ended since the loop last began reading the queue (the read snapshot may predate the
/// attempt's commit and still show them due).
#[derive(Default)]
struct Book {
    in_flight: HashSet<Uuid>,
    done: HashSet<Uuid>,
    /// Requests in flight per endpoint.
    per_endpoint: std::collections::HashMap<Uuid, usize>,
}

impl Book {
    fn busy(&self, id: Uuid) -> bool {
        self.in_flight.contains(&id) || self.done.contains(&id)
    }

    fn start(&mut self, d: &DueDelivery) {
        self.in_flight.insert(d.id);
        *self.per_endpoint.entry(d.endpoint_id).or_default() += 1;
    }

    fn end(&mut self, d: &DueDelivery) {
        self.in_flight.remove(&d.id);
        self.done.insert(d.id);
        if let Some(n) = self.per_endpoint.get_mut(&d.endpoint_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_endpoint.remove(&d.endpoint_id);
            }
        }
    }

    fn endpoint_full(&self, endpoint: Uuid, cap: usize) -> bool {
        self.per_endpoint.get(&endpoint).copied().unwrap_or(0) >= cap.max(1)
    }
}

impl Hub {
    /// The webhooks until `shutdown`: the enqueuer (from the bus) and the delivery loop. The
    /// feed is open from this call on (before the future first runs), so no event raised
    /// after it is missed.
    pub fn run_webhooks(
        self,
        settings: WebhookSettings,
        shutdown: CancellationToken,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let rx = self.inner.webhooks.start();
        async move {
            let enqueuer = tokio::spawn(self.clone().run_enqueuer(rx, shutdown.clone()));
            self.deliver(settings, shutdown).await;
            let _ = enqueuer.await;
        }
    }

    async fn deliver(self, settings: WebhookSettings, shutdown: CancellationToken) {
        let client = client(&settings);
        let wake = self.inner.webhooks.wake.clone();
        let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let book: Arc<Mutex<Book>> = Default::default();
        let tasks = tokio_util::task::TaskTracker::new();
        let limit = settings.concurrency.max(1) * 4 + 1;
        let per_endpoint = settings.per_endpoint.max(1);
        loop {
            let now = self.now();
            // Attempts that end from here on may not show in the snapshot about to be read.
            book.lock().unwrap_or_else(|p| p.into_inner()).done.clear();
            let hub = self.clone();
            let list = tokio::task::spawn_blocking(move || -> Result<_, HubError> {
                Ok(hub.read()?.webhooks().due_deliveries(
                    &crate::authz::authenticating(),
                    now,
                    per_endpoint * 2,
                    limit,
                )?)
            })
            .await;
            let next_at = match list {
                Ok(Ok(list)) => {
                    for d in list.due {
                        {
                            let b = book.lock().unwrap_or_else(|p| p.into_inner());
                            if b.busy(d.id) || b.endpoint_full(d.endpoint_id, settings.per_endpoint)
                            {
                                continue;
                            }
                        }
                        let Ok(permit) = permits.clone().try_acquire_owned() else {
                            break;
                        };
                        book.lock().unwrap_or_else(|p| p.into_inner()).start(&d);
                        let (hub, client, book, wake, stop) = (
                            self.clone(),
                            client.clone(),
                            book.clone(),
                            wake.clone(),
                            shutdown.clone(),
                        );
                        tasks.spawn(async move {
                            // A stop does not wait for a slow endpoint: the delivery stays
                            // pending and is sent again after the restart.
                            tokio::select! {
                                _ = hub.attempt(&client, &settings, &d) => {}
                                _ = stop.cancelled() => {}
                            }
                            book.lock().unwrap_or_else(|p| p.into_inner()).end(&d);
                            drop(permit);
                            wake.notify_one();
                        });
                    }
                    list.next_at
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "webhooks: could not read the queue; retrying in a minute");
                    Some(now + chrono::Duration::minutes(1))
                }
                Err(e) => {
                    tracing::error!(error = %e, "webhooks: queue read failed");
                    Some(now + chrono::Duration::minutes(1))
                }
            };
            let sleep = match next_at {
                Some(at) => self.inner.clock.sleep_until(at),
                None => Box::pin(std::future::pending()),
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = wake.notified() => {}
                _ = sleep => {}
            }
        }
        tasks.close();
        tasks.wait().await;
    }

    /// One attempt of a queued delivery, logged, and its next state.
    async fn attempt(&self, client: &reqwest::Client, settings: &WebhookSettings, d: &DueDelivery) {
        let a = send(client, &*self.inner.clock, d).await;
        let now = self.now();
        let (state, next) = if a.succeeded() {
            (DeliveryState::Delivered, None)
        } else if now - d.created_at >= settings.give_up_after {
            (DeliveryState::Failed, None)
        } else {
            let unit: f64 = rand::rng().random();
            (
                DeliveryState::Pending,
                Some(now + settings.backoff(a.attempt, unit)),
            )
        };
        tracing::info!(
            delivery = %d.id, event = %d.event_id, attempt = a.attempt, status = ?a.status,
            latency_ms = a.latency_ms, error = ?a.error, state = state.as_str(),
            "webhook attempt"
        );
        let hub = self.clone();
        let id = d.id;
        let res = tokio::task::spawn_blocking(move || -> Result<(), HubError> {
            let mut tx = hub.write()?;
            tx.webhooks_mut().record_attempt(
                &crate::authz::authenticating(),
                id,
                &a,
                state,
                next,
            )?;
            tx.commit()?;
            Ok(())
        })
        .await;
        if !matches!(res, Ok(Ok(()))) {
            tracing::error!(delivery = %id, "webhooks: an attempt could not be logged (it will be sent again)");
        }
    }
}
