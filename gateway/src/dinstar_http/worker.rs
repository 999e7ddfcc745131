//! [`DinstarPortWorker`]: one task per Dinstar port, on the same board, dispatchers, pacing,
//! caps and spool rules as the AT port workers. What concerns the whole device (inbound,
//! delivery reports, port information, pushes, reconciling `unknown` sends) is the device
//! task's ([`super::device`]); it tells this worker what it learns ([`PortNews`]).
//!
//! - a job from a group dispatcher: pace, claim, `send_sms` (one task per message, the device
//!   splits it), then settle it from this attempt's `user_id`: pushed results, and
//!   `query_sms_result` polls (with polling off, one query at the deadline). A send whose
//!   answer was lost is settled the same way (the device may have queued it); one that does not
//!   settle in time is `unknown`, never resent, and handed to the device task to reconcile.
//!   While the device holds it, a cancel from the API becomes `stop_sms`.
//! - port information → the supervision state: `NO_SIM` fails the port (not used), signal,
//!   IMSI, ICCID, IMEI; a refused login fails it with the reason until the login works.
//! - USSD as a session: note the port's current reply, `send_ussd`, then take the first reply
//!   (pushed or polled) that is not a placeholder and not the earlier session's text
//!   ([`logic::session_answer`]); `486` and `503` answer as such.

use super::api::{DinstarApi, DinstarError, Filter, PortInfo, SendSms, SmsResult, StopOutcome};
use super::link::{CancelAnswer, DeviceNote, InFlight, PortNews};
use super::logic;
use crate::clock::Clock;
use crate::metrics::GatewayMetrics;
use crate::ports::outcome::SendOutcome;
use crate::ports::supervision::{Observation, Supervisor};
use crate::ports::worker::{SendBook, record_send};
use crate::ports::{Board, Job, PortCommand, PortState, UssdAnswer};
use crate::schedule::bench::{Availability, PortHealth};
use crate::schedule::pacing::{JitterSource, PaceRule, Pacer};
use crate::spool::Spool;
use smsgate_config::gateway::{SupervisionConfig, UssdConfig};
use smsgate_modem::commands::network::RegStatus;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

/// First wait before asking for a send result; doubles up to [`RESULT_POLL_MAX`].
pub const RESULT_POLL_MIN: Duration = Duration::from_millis(5);
/// Longest wait between two send-result queries.
pub const RESULT_POLL_MAX: Duration = Duration::from_millis(200);
/// Wait between two USSD reply queries.
pub const USSD_POLL: Duration = Duration::from_millis(250);

/// Settings of one Dinstar port worker.
#[derive(Debug, Clone)]
pub struct DinstarSettings {
    /// Gateway port id (`first_id + dinstar_port`).
    pub id: u16,
    /// The Dinstar's own port number (0–31).
    pub dinstar_port: u16,
    /// `[supervision]` (send timeout, benching).
    pub supervision: SupervisionConfig,
    /// `[ussd]`.
    pub ussd: UssdConfig,
    /// Whether send results are polled (`false`: the device pushes them; one query at the
    /// deadline).
    pub poll_results: bool,
}

/// What the worker needs from outside, injected.
pub struct DinstarDeps<A> {
    /// The device's API (shared by its ports).
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
    /// What the device task learns about this port.
    pub news: mpsc::Receiver<PortNews>,
    /// Notes for the device task.
    pub device: mpsc::Sender<DeviceNote>,
    /// Sends the device holds (cancel → `stop_sms`).
    pub inflight: InFlight,
}

/// A Dinstar HTTP-API port worker (see the module docs).
pub struct DinstarPortWorker<A> {
    settings: DinstarSettings,
    deps: DinstarDeps<A>,
    rx: mpsc::Receiver<PortCommand>,
    news_open: bool,
    sup: Supervisor,
    health: PortHealth,
    pacer: Pacer,
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

/// How a settled send came out, with the device's send time.
struct Settled {
    out: SendOutcome,
    time: String,
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
        sup.reason = Some("waiting for the Dinstar's port information".into());
        let worker = Self {
            health: PortHealth::new(&settings.supervision),
            settings,
            deps,
            rx,
            news_open: true,
            sup,
            pacer: Pacer::new(0, 0),
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
        // A job still in the channel keeps the port reserved until it has been taken.
        let idle = available && self.pacer.takes_work(Instant::now()) && self.rx.is_empty();
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

    fn learn_imsi(&mut self, imsi: &str) {
        if !imsi.is_empty() && self.sup.sim.imsi.as_deref() != Some(imsi) {
            self.sup.sim.imsi = Some(imsi.to_owned());
        }
    }

    fn apply_info(&mut self, info: &PortInfo) {
        for o in logic::port_observations(self.sup.state, info) {
            self.observe(o);
        }
        let has_sim = !matches!(info.reg.as_deref(), Some("NO_SIM" | "POWER_OFF"));
        self.sup.signal_dbm = info.signal.and_then(logic::signal_dbm);
        if info.operator.is_some() {
            self.sup.operator.clone_from(&info.operator);
        }
        if info.imei.is_some() {
            self.sup.sim.imei.clone_from(&info.imei);
        }
        if has_sim {
            if info.iccid.is_some() {
                self.sup.sim.iccid.clone_from(&info.iccid);
            }
            if info.imsi.is_some() {
                self.sup.sim.imsi.clone_from(&info.imsi);
            }
        } else {
            self.sup.sim.iccid = None;
            self.sup.sim.imsi = None;
        }
        self.sup.sim.model = Some(match &info.kind {
            Some(k) => format!("HTTP API port {} ({k})", self.settings.dinstar_port),
            None => format!("HTTP API port {}", self.settings.dinstar_port),
        });
    }

    /// Device-wide news; results and USSD replies outside a session are late and dropped.
    fn news(&mut self, n: PortNews) {
        match n {
            PortNews::Info(Some(info)) => self.apply_info(&info),
            PortNews::Info(None) => {
                if !self.sup.state.can_send() {
                    self.observe(Observation::Opened);
                    self.observe(Observation::Initialised);
                    self.observe(Observation::Registration(RegStatus::Home));
                }
            }
            PortNews::Reachable(Ok(())) => {}
            PortNews::Reachable(Err(why)) => {
                if self.sup.state != PortState::Absent {
                    tracing::warn!(port = self.id(), error = %why, "Dinstar gateway does not answer");
                }
                self.observe(Observation::OpenFailed(why));
            }
            PortNews::LoginRefused(why) => self.login_refused(why),
            PortNews::Result(r) => {
                tracing::debug!(port = self.id(), user_id = r.user_id, status = %r.status, "pushed result of no send in progress");
            }
            PortNews::Ussd(text) => {
                tracing::debug!(port = self.id(), %text, "pushed USSD reply outside a session");
            }
        }
    }

    fn login_refused(&mut self, why: String) {
        if self.sup.state != PortState::Failed || self.sup.reason.as_deref() != Some(&why) {
            tracing::warn!(port = self.id(), reason = %why, "Dinstar login refused");
        }
        self.observe(Observation::InitFailed(why.clone()));
        self.sup.reason = Some(why);
    }

    /// Runs until shutdown.
    pub async fn run(mut self) {
        let ussd_every = match (
            &self.settings.ussd.balance_code,
            self.settings.ussd.balance_interval_min,
        ) {
            (Some(_), n) if n > 0 => Some(Duration::from_secs(n * 60)),
            _ => None,
        };
        let mut next_ussd = ussd_every.map(|d| Instant::now() + d);
        loop {
            self.publish();
            let now = Instant::now();
            let wake = [self.pacer.takes_work_at(now), self.benched()]
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
                n = self.deps.news.recv(), if self.news_open => match n {
                    Some(n) => self.news(n),
                    None => self.news_open = false,
                },
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
            PortCommand::Ussd { code, reply } => {
                let r = self.ussd(&code).await;
                let _ = reply.send(r);
            }
            PortCommand::Reset(reply) => {
                let _ = reply.send(Err(
                    "a Dinstar HTTP-API port cannot be reset through the API".into(),
                ));
            }
            PortCommand::PowerCycle(reply) => {
                let _ = reply.send(Err(crate::ports::PowerCycleError::NotWired(Some(
                    "a Dinstar HTTP-API port: power-cycle the Dinstar itself".into(),
                ))));
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    async fn send(&mut self, job: Job) {
        if !self.sup.state.can_send() || self.benched().is_some() {
            return; // declined: the message stays queued for another port
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
        // The port's rule (the strictest of its groups), measured from its last submission;
        // the wait ends at the absolute deadline, after the claim.
        self.pacer.set_rule(PaceRule {
            interval_ms: job.interval_ms,
            jitter_ms: job.jitter_ms,
        });
        if let Some(t) = self.pacer.ready_at() {
            sleep_until(t).await;
        }
        let _ = self.pacer.start(Instant::now());
        let req = SendSms {
            encoding: logic::encoding_for(&m.text),
            user_id: logic::user_id(m.id, m.attempts),
            port: self.settings.dinstar_port,
            number: m.to.clone(),
            text: m.text.clone(),
        };
        let (held, cancels) = self.deps.inflight.hold(m.id);
        let (out, time, port_failed) = match self.deps.api.send_sms(&req).await {
            Err(e) if e.may_have_been_processed() => {
                // The device may have queued it: its result says.
                let s = self.settle(&req, m.attempts, None, cancels, Some(e)).await;
                let failed = !matches!(s.out, SendOutcome::Sent(_));
                (s.out, s.time, failed)
            }
            Err(e) => {
                if e.is_auth() {
                    self.login_refused(e.to_string());
                }
                let (out, failed) = logic::refused(&e, m.attempts);
                (out, String::new(), failed)
            }
            Ok(accepted) => {
                let s = self
                    .settle(&req, m.attempts, Some(accepted.task_id), cancels, None)
                    .await;
                let failed = !matches!(s.out, SendOutcome::Sent(_));
                (s.out, s.time, failed)
            }
        };
        drop(held);
        self.pacer.finish(Instant::now(), self.deps.jitter.as_mut());
        let note = match &out {
            SendOutcome::Sent(parts) => parts.first().map(|p| DeviceNote::Sent {
                port: self.settings.dinstar_port,
                number: m.to.clone(),
                first_ref: p.reference,
                count: u32::try_from(parts.len()).unwrap_or(u32::MAX),
                time: time.clone(),
            }),
            SendOutcome::Unknown { .. } => Some(DeviceNote::Unknown {
                message_id: m.id,
                user_id: req.user_id,
                port: self.settings.dinstar_port,
            }),
            _ => None,
        };
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
        if let Some(n) = note {
            let _ = self.deps.device.send(n).await;
        }
    }

    /// Whether a result is this send's: its user id, or (pushes without one) its port and
    /// recipient.
    fn is_ours(req: &SendSms, r: &SmsResult) -> bool {
        r.port == req.port
            && (r.user_id == req.user_id
                || (r.user_id == 0
                    && crate::spool::number_tail(&r.number)
                        == crate::spool::number_tail(&req.number)))
    }

    /// Settles an accepted (or possibly accepted) send from pushed and queried results until
    /// `send_timeout_ms` per segment has passed; answers cancels with `stop_sms`.
    async fn settle(
        &mut self,
        req: &SendSms,
        attempts: u32,
        task: Option<u64>,
        mut cancels: mpsc::Receiver<oneshot::Sender<CancelAnswer>>,
        lost: Option<DinstarError>,
    ) -> Settled {
        let segments = logic::segments(&req.number, &req.text);
        let deadline =
            Instant::now() + ms(self.settings.supervision.send_timeout_ms) * segments.max(1);
        let filter = Filter {
            port: vec![req.port],
            user_id: vec![req.user_id],
            time_after: None,
        };
        let poll = self.settings.poll_results || lost.is_some();
        let mut wait = RESULT_POLL_MIN;
        let mut next_query = poll.then(|| Instant::now() + wait);
        let mut last: Vec<SmsResult> = Vec::new();
        let mut cancelled: Option<(u64, oneshot::Sender<CancelAnswer>)> = None;
        let mut cancels_open = true;
        let mut final_query = false;
        loop {
            let mut got: Option<Vec<SmsResult>> = None;
            tokio::select! {
                biased;
                n = self.deps.news.recv(), if self.news_open => match n {
                    Some(PortNews::Result(r)) if Self::is_ours(req, &r) => got = Some(vec![r]),
                    Some(other) => self.news(other),
                    None => self.news_open = false,
                },
                c = cancels.recv(), if cancels_open && cancelled.is_none() => match c {
                    None => cancels_open = false,
                    Some(reply) => match task {
                        None => {
                            let _ = reply.send(CancelAnswer::Failed(
                                "the Dinstar's answer to this send was lost, so there is no task to stop".into(),
                            ));
                        }
                        Some(t) => match self.deps.api.stop_sms(t).await {
                            Ok(StopOutcome::Stopped) => {
                                tracing::info!(port = self.id(), task = t, "stop_sms: task stopped");
                                cancelled = Some((t, reply));
                                next_query = Some(Instant::now());
                            }
                            Ok(StopOutcome::NotFound) => {
                                let _ = reply.send(CancelAnswer::TooLate(format!(
                                    "the Dinstar has no task {t} any more (stop_sms: 404): it has been processed"
                                )));
                            }
                            Err(e) => {
                                let _ = reply.send(CancelAnswer::Failed(e.to_string()));
                            }
                        },
                    },
                },
                _ = sleep_opt(next_query) => {
                    match self.deps.api.sms_results(&filter).await {
                        Ok(results) => got = Some(results),
                        Err(e) => tracing::debug!(port = self.id(), error = %e, "send result query failed"),
                    }
                    wait = (wait * 2).min(RESULT_POLL_MAX);
                    next_query = (poll || cancelled.is_some()).then(|| Instant::now() + wait);
                }
                _ = sleep_until(deadline), if !final_query => {
                    final_query = true;
                    match self.deps.api.sms_results(&filter).await {
                        Ok(results) => got = Some(results),
                        Err(e) => tracing::debug!(port = self.id(), error = %e, "send result query failed"),
                    }
                }
            }
            if let Some(results) = got {
                let results: Vec<SmsResult> = results
                    .into_iter()
                    .filter(|r| Self::is_ours(req, r))
                    .collect();
                if let Some(r) = results.last() {
                    let imsi = r.imsi.clone();
                    self.learn_imsi(&imsi);
                }
                if let Some(out) = logic::settled(self.settings.id, &results, attempts) {
                    let time = results.last().map(|r| r.time.clone()).unwrap_or_default();
                    let out = match cancelled {
                        Some((t, reply)) => {
                            let out = logic::cancelled(out, t);
                            let _ = reply.send(match &out {
                                SendOutcome::Failed { reason } => {
                                    CancelAnswer::Stopped(reason.clone())
                                }
                                SendOutcome::Sent(_) => {
                                    CancelAnswer::TooLate("the Dinstar had already sent it".into())
                                }
                                _ => CancelAnswer::TooLate(
                                    "the Dinstar had started sending it".into(),
                                ),
                            });
                            out
                        }
                        None => out,
                    };
                    return Settled { out, time };
                }
                if !results.is_empty() {
                    last = results;
                }
            }
            if final_query {
                if let Some((_, reply)) = cancelled.take() {
                    let _ = reply.send(CancelAnswer::TooLate(
                        "the Dinstar stopped the task but never said whether it had been sent"
                            .into(),
                    ));
                }
                let out = match (&lost, last.is_empty()) {
                    (Some(e), true) => SendOutcome::Unknown {
                        reason: format!(
                            "{e}; the Dinstar lists no result for user_id {} yet",
                            req.user_id
                        ),
                        parts: Vec::new(),
                    },
                    _ => logic::unsettled(&last),
                };
                return Settled {
                    out,
                    time: String::new(),
                };
            }
        }
    }

    async fn ussd(&mut self, code: &str) -> Result<UssdAnswer, String> {
        let port = self.settings.dinstar_port;
        let before = match self.deps.api.ussd_replies(&[port]).await {
            Ok(r) => r.into_iter().find(|u| u.port == port).map(|u| u.text),
            Err(e) if e.is_auth() => {
                self.login_refused(e.to_string());
                return Err(e.to_string());
            }
            Err(_) => None,
        };
        match self.deps.api.send_ussd(port, code).await {
            Ok(200) => {}
            Ok(486) => {
                return Err(
                    "the Dinstar port is busy (486): another USSD session or a call holds it"
                        .into(),
                );
            }
            Ok(503) => return Err("the Dinstar port is not registered (503)".into()),
            Ok(other) => return Err(format!("the Dinstar refused the USSD request ({other})")),
            Err(e) => return Err(e.to_string()),
        }
        let deadline = Instant::now() + ms(self.settings.ussd.timeout_ms);
        let mut cleared = false;
        let mut shown: Option<String> = None;
        loop {
            let mut seen: Option<String> = None;
            tokio::select! {
                biased;
                n = self.deps.news.recv(), if self.news_open => match n {
                    Some(PortNews::Ussd(text)) => {
                        if !logic::is_placeholder(&text) {
                            return Ok(self.ussd_answer(code, text));
                        }
                    }
                    Some(other) => self.news(other),
                    None => self.news_open = false,
                },
                _ = sleep(USSD_POLL) => match self.deps.api.ussd_replies(&[port]).await {
                    Ok(r) => seen = r.into_iter().find(|u| u.port == port).map(|u| u.text),
                    Err(e) => tracing::debug!(port = self.id(), error = %e, "USSD reply query failed"),
                },
                _ = sleep_until(deadline) => {
                    let _ = self.deps.api.cancel_ussd(port).await;
                    let stale = shown
                        .filter(|s| !logic::is_placeholder(s))
                        .map(|s| format!(" (the port still shows the previous answer {s:?})"))
                        .unwrap_or_default();
                    return Err(format!(
                        "no USSD answer within {} ms{stale}",
                        self.settings.ussd.timeout_ms
                    ));
                }
            }
            if let Some(now) = seen {
                if let Some(text) = logic::session_answer(before.as_deref(), &now, &mut cleared) {
                    return Ok(self.ussd_answer(code, text));
                }
                shown = Some(now);
            }
        }
    }

    fn ussd_answer(&mut self, code: &str, text: String) -> UssdAnswer {
        if self.settings.ussd.balance_code.as_deref() == Some(code) {
            self.sup.balance = Some(text.clone());
        }
        UssdAnswer {
            text: Some(text),
            status: "Replied".into(),
        }
    }
}
