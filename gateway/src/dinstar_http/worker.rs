//! [`DinstarPortWorker`]: one task per Dinstar port, on the same board, dispatchers, pacing,
//! caps and spool rules as the AT port workers.
//!
//! Loop: publish the slot; then one of
//! - a job from a group dispatcher: pace, claim, `send_sms` (one task per message, the gateway
//!   splits it), poll `query_sms_result` for this attempt's `user_id` until it settles, record
//!   the outcome with the shared [`crate::ports::worker`] bookkeeping (an accepted send whose
//!   result never settles, or whose answer was lost, is `unknown` and never resent);
//! - poll (`poll_interval_ms`): `query_sms_deliver_status` → delivery reports; a gateway that
//!   answers makes the port `registered`, one that does not makes it `absent`;
//! - sweep (`sweep_interval_ms`): `query_incoming_sms` (flag `all`, ids above the last one
//!   stored) → the spool (STOP/START recognised there; a message read again after a restart is
//!   not stored twice, the spool matches sender, port, time stamp and text);
//! - USSD from the API or the balance schedule: `send_ussd`, then `query_ussd_reply`.

use super::api::{DinstarApi, Filter, SendSms, SmsResult};
use super::logic::{self, StatusCursor};
use crate::clock::Clock;
use crate::metrics::GatewayMetrics;
use crate::ports::outcome::SendOutcome;
use crate::ports::supervision::{Observation, Supervisor};
use crate::ports::worker::{REPORT_WINDOW_H, SendBook, record_send};
use crate::ports::{Board, Job, PortCommand, PortState, UssdAnswer};
use crate::schedule::bench::{Availability, PortHealth};
use crate::schedule::pacing::{JitterSource, Pacer};
use crate::spool::{DeliveryReport, NewInbound, Spool};
use smsgate_config::gateway::{InboundConfig, SupervisionConfig, UssdConfig};
use smsgate_modem::commands::network::RegStatus;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

/// First wait before asking for a send result; doubles up to [`RESULT_POLL_MAX`].
pub const RESULT_POLL_MIN: Duration = Duration::from_millis(5);
/// Longest wait between two send-result queries.
pub const RESULT_POLL_MAX: Duration = Duration::from_millis(200);
/// Wait between two USSD reply queries.
pub const USSD_POLL: Duration = Duration::from_millis(100);

/// Settings of one Dinstar port worker.
#[derive(Debug, Clone)]
pub struct DinstarSettings {
    /// Gateway port id (`first_id + dinstar_port`).
    pub id: u16,
    /// The Dinstar's own port number (0–31).
    pub dinstar_port: u16,
    /// `[supervision]` (poll interval, send timeout, benching).
    pub supervision: SupervisionConfig,
    /// `[inbound]` (sweep interval).
    pub inbound: InboundConfig,
    /// `[ussd]`.
    pub ussd: UssdConfig,
}

/// What the worker needs from outside, injected.
pub struct DinstarDeps<A> {
    /// The gateway's API (shared by its ports).
    pub api: Arc<A>,
    /// The spool.
    pub spool: Spool,
    /// The port table.
    pub board: Board,
    /// Metrics.
    pub metrics: GatewayMetrics,
    /// Wall clock.
    pub clock: Arc<dyn Clock>,
    /// Jitter for pacing.
    pub jitter: Box<dyn JitterSource>,
    /// Stops the worker.
    pub shutdown: CancellationToken,
}

/// A Dinstar HTTP-API port worker (see the module docs).
pub struct DinstarPortWorker<A> {
    settings: DinstarSettings,
    deps: DinstarDeps<A>,
    rx: mpsc::Receiver<PortCommand>,
    sup: Supervisor,
    health: PortHealth,
    pacer: Pacer,
    pacer_cfg: (u64, u64),
    inbox_cursor: u64,
    statuses: StatusCursor,
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

impl<A: DinstarApi> DinstarPortWorker<A> {
    /// A worker and the sender for its commands.
    pub fn new(
        settings: DinstarSettings,
        deps: DinstarDeps<A>,
    ) -> (Self, mpsc::Sender<PortCommand>) {
        let (tx, rx) = mpsc::channel(64);
        let mut sup = Supervisor::new(settings.id);
        sup.sim.manufacturer = Some("Dinstar".into());
        sup.sim.model = Some(format!("HTTP API port {}", settings.dinstar_port));
        let worker = Self {
            health: PortHealth::new(&settings.supervision),
            settings,
            deps,
            rx,
            sup,
            pacer: Pacer::new(0, 0),
            pacer_cfg: (0, 0),
            inbox_cursor: 0,
            statuses: StatusCursor::default(),
        };
        (worker, tx)
    }

    fn id(&self) -> u16 {
        self.settings.id
    }

    fn benched(&self) -> Option<Instant> {
        match self.health.availability(Instant::now()) {
            Availability::Benched { until } => Some(until),
            Availability::Available => None,
        }
    }

    fn publish(&mut self) {
        let benched = self.benched().is_some();
        self.sup.benched = benched;
        let available = self.sup.state.can_send() && !benched;
        let idle = available && self.pacer.is_ready(Instant::now());
        self.deps
            .board
            .publish(self.settings.id, idle, available, &self.sup);
    }

    fn observe(&mut self, obs: Observation) {
        let before = self.sup.state;
        let after = self.sup.observe(obs);
        if before != after {
            tracing::info!(port = self.id(), from = ?before, to = ?after, reason = ?self.sup.reason, "port state");
        }
    }

    /// The gateway answered: the port is usable (its registration is not visible through
    /// the API; a send refused for want of a registered port benches it).
    fn reachable(&mut self) {
        if !self.sup.state.can_send() {
            self.observe(Observation::Opened);
            self.observe(Observation::Initialised);
            self.observe(Observation::Registration(RegStatus::Home));
        }
    }

    fn unreachable(&mut self, e: &super::api::DinstarError) {
        if self.sup.state != PortState::Absent {
            tracing::warn!(port = self.id(), error = %e, "Dinstar gateway does not answer");
        }
        self.observe(Observation::OpenFailed(e.to_string()));
    }

    fn learn_imsi(&mut self, imsi: &str) {
        if !imsi.is_empty() && self.sup.sim.imsi.as_deref() != Some(imsi) {
            self.sup.sim.imsi = Some(imsi.to_owned());
        }
    }

    /// Runs until shutdown.
    pub async fn run(mut self) {
        let poll_every = ms(self.settings.supervision.poll_interval_ms.max(100));
        let sweep_every = ms(self.settings.inbound.sweep_interval_ms.max(100));
        let ussd_every = match (
            &self.settings.ussd.balance_code,
            self.settings.ussd.balance_interval_min,
        ) {
            (Some(_), n) if n > 0 => Some(Duration::from_secs(n * 60)),
            _ => None,
        };
        self.poll().await;
        self.sweep().await;
        let mut next_poll = Instant::now() + poll_every;
        let mut next_sweep = Instant::now() + sweep_every;
        let mut next_ussd = ussd_every.map(|d| Instant::now() + d);
        loop {
            self.publish();
            let now = Instant::now();
            let wake = [self.pacer.ready_at().filter(|t| *t > now), self.benched()]
                .into_iter()
                .flatten()
                .min();
            tokio::select! {
                biased;
                _ = self.deps.shutdown.cancelled() => break,
                c = self.rx.recv() => match c {
                    None => break,
                    Some(c) => self.command(c).await,
                },
                _ = sleep_until(next_poll) => {
                    self.poll().await;
                    next_poll = Instant::now() + poll_every;
                }
                _ = sleep_until(next_sweep) => {
                    self.sweep().await;
                    next_sweep = Instant::now() + sweep_every;
                }
                _ = sleep_opt(next_ussd) => {
                    next_ussd = ussd_every.map(|d| Instant::now() + d);
                    if let Some(code) = self.settings.ussd.balance_code.clone()
                        && let Err(e) = self.ussd(&code).await
                    {
                        tracing::warn!(port = self.id(), error = e, "balance check failed");
                    }
                }
                _ = sleep_opt(wake) => {}
            }
        }
        self.observe(Observation::Closed);
        self.publish();
        tracing::info!(port = self.id(), "Dinstar port worker stopped");
    }

    async fn command(&mut self, c: PortCommand) {
        match c {
            PortCommand::Send(job) => self.send(job).await,
            PortCommand::Reset(reply) => {
                let _ = reply.send(Err(
                    "a Dinstar HTTP-API port cannot be reset through the API".into(),
                ));
            }
            PortCommand::Ussd { code, reply } => {
                let r = self.ussd(&code).await;
                let _ = reply.send(r);
            }
        }
    }

    /// Delivery statuses → delivery reports; reachability.
    async fn poll(&mut self) {
        let filter = Filter {
            port: vec![self.settings.dinstar_port],
            user_id: Vec::new(),
            time_after: self.statuses.time_after(),
        };
        let answer = match self.deps.api.deliver_statuses(&filter).await {
            Ok(a) => a,
            Err(e) => return self.unreachable(&e),
        };
        self.reachable();
        let window = chrono::Duration::hours(REPORT_WINDOW_H);
        for s in self.statuses.fresh(answer) {
            self.learn_imsi(&s.imsi);
            let report = DeliveryReport {
                port: self.id(),
                reference: s.ref_id,
                recipient: s.number,
                status: logic::delivery_status(s.status_code),
                received_at: self.deps.clock.now(),
            };
            self.sup.counters.reports += 1;
            if let Err(e) = self
                .deps
                .spool
                .call(move |db| db.record_delivery_report(&report, window))
                .await
            {
                tracing::error!(port = self.id(), error = %e, "recording a delivery report failed");
            }
        }
    }

    /// New inbound messages → the spool; the cursor moves only past committed ones.
    async fn sweep(&mut self) {
        let mut inbox = match self
            .deps
            .api
            .incoming(self.settings.dinstar_port, self.inbox_cursor)
            .await
        {
            Ok(m) => m,
            Err(e) => return self.unreachable(&e),
        };
        inbox.sort_by_key(|m| m.incoming_sms_id);
        for m in inbox {
            self.learn_imsi(&m.imsi);
            let msg = NewInbound {
                from: m.number,
                port: self.id(),
                sim: self.sup.sim.iccid.clone(),
                text: m.text,
                sent_at: logic::parse_time(&m.timestamp),
                received_at: self.deps.clock.now(),
            };
            match self.deps.spool.call(move |db| db.store_inbound(&msg)).await {
                Ok(_) => {
                    self.sup.counters.received += 1;
                    self.inbox_cursor = self.inbox_cursor.max(m.incoming_sms_id);
                }
                Err(e) => {
                    // Read again at the next sweep (the cursor did not move).
                    tracing::error!(port = self.id(), error = %e, "storing an inbound message failed");
                    return;
                }
            }
        }
    }

    async fn send(&mut self, job: Job) {
        if !self.sup.state.can_send() || self.benched().is_some() {
            return; // declined: the message stays queued for another port
        }
        if let Some(t) = self.pacer.ready_at() {
            sleep_until(t).await;
        }
        let claimed = {
            let (id, port) = (job.id, self.id());
            self.deps.spool.call(move |db| db.claim(id, port)).await
        };
        let m = match claimed {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(port = self.id(), id = job.id, error = %e, "claim failed");
                return;
            }
        };
        if self.pacer_cfg != (job.interval_ms, job.jitter_ms) {
            self.pacer_cfg = (job.interval_ms, job.jitter_ms);
            self.pacer = Pacer::new(job.interval_ms, job.jitter_ms);
        }
        let _ = self.pacer.start(Instant::now());
        let req = SendSms {
            encoding: logic::encoding_for(&m.text),
            user_id: logic::user_id(m.id, m.attempts),
            port: self.settings.dinstar_port,
            number: m.to.clone(),
            text: m.text.clone(),
        };
        let (out, port_failed) = match self.deps.api.send_sms(&req).await {
            Err(e) => logic::refused(&e, m.attempts),
            Ok(_) => {
                let segments = logic::segments(&m.to, &m.text);
                let out = self.settle(&req, m.attempts, segments).await;
                let failed = !matches!(out, SendOutcome::Sent(_));
                (out, failed)
            }
        };
        self.pacer.finish(Instant::now(), self.deps.jitter.as_mut());
        let now = self.deps.clock.now();
        record_send(
            SendBook {
                port: self.settings.id,
                spool: &self.deps.spool,
                metrics: &self.deps.metrics,
                sup: &mut self.sup,
                health: &mut self.health,
            },
            m.id,
            &out,
            port_failed,
            now,
            job.tz,
        )
        .await;
    }

    /// Polls the result of an accepted send until it settles or `send_timeout_ms` per segment
    /// has passed.
    async fn settle(&mut self, req: &SendSms, attempts: u32, segments: u32) -> SendOutcome {
        let deadline =
            Instant::now() + ms(self.settings.supervision.send_timeout_ms) * segments.max(1);
        let filter = Filter {
            port: vec![req.port],
            user_id: vec![req.user_id],
            time_after: None,
        };
        let mut wait = RESULT_POLL_MIN;
        let mut last: Vec<SmsResult> = Vec::new();
        loop {
            sleep(wait).await;
            wait = (wait * 2).min(RESULT_POLL_MAX);
            match self.deps.api.sms_results(&filter).await {
                Ok(results) => {
                    let results: Vec<SmsResult> = results
                        .into_iter()
                        .filter(|r| r.user_id == req.user_id && r.port == req.port)
                        .collect();
                    if let Some(r) = results.last() {
                        let imsi = r.imsi.clone();
                        self.learn_imsi(&imsi);
                    }
                    if let Some(out) = logic::settled(self.settings.id, &results, attempts) {
                        return out;
                    }
                    last = results;
                }
                Err(e) => {
                    tracing::debug!(port = self.id(), error = %e, "send result query failed");
                }
            }
            if Instant::now() >= deadline {
                return logic::unsettled(&last);
            }
        }
    }

    async fn ussd(&mut self, code: &str) -> Result<UssdAnswer, String> {
        let port = self.settings.dinstar_port;
        match self.deps.api.send_ussd(port, code).await {
            Ok(200) => {}
            Ok(486) => return Err("the Dinstar port is busy (486)".into()),
            Ok(503) => return Err("the Dinstar port is not registered (503)".into()),
            Ok(other) => return Err(format!("the Dinstar refused the USSD request ({other})")),
            Err(e) => return Err(e.to_string()),
        }
        let deadline = Instant::now() + ms(self.settings.ussd.timeout_ms);
        loop {
            match self.deps.api.ussd_reply(port).await {
                Ok(Some(text)) => {
                    if self.settings.ussd.balance_code.as_deref() == Some(code) {
                        self.sup.balance = Some(text.clone());
                    }
                    return Ok(UssdAnswer {
                        text: Some(text),
                        status: "Replied".into(),
                    });
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(port = self.id(), error = %e, "USSD reply query failed"),
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no USSD answer within {} ms",
                    self.settings.ussd.timeout_ms
                ));
            }
            sleep(USSD_POLL).await;
        }
    }
}
