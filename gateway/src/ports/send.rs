//! Sending on an AT port, and the bookkeeping of a send attempt shared with the Dinstar HTTP
//! workers ([`record_send`]).
//!
//! An AT send: claim → `Modem::send_sms` → classify ([`outcome::classify_attempt`]) → record in
//! the spool → the failover book on the [`super::Board`] (a retried message goes to another
//! port at once, never back to this one while another can take it) → the bench rule
//! ([`PortHealth::record`] with the cause of the failure).

use super::Job;
use super::outcome::{self, SendOutcome};
use super::supervision::{BenchView, Supervisor};
use super::worker::PortWorker;
use crate::metrics::GatewayMetrics;
use crate::schedule::bench::{Availability, Bench, BenchCause, PortHealth};
use crate::schedule::caps::window_keys;
use crate::schedule::pacing::{JitterSource, PaceRule, Pacer};
use crate::schedule::precise::PreciseTimer;
use crate::spool::Spool;
use smsgate_at::Opener;
use smsgate_modem::{Modem, ModemError, PartGate};
use smsgate_pdu::SubmitOptions;
use tokio::time::Instant;

/// Paces every `AT+CMGS` of a send: each part waits for the port's deadline (an absolute
/// instant from the end of the submission before it) and sets the next one when it ends.
struct PacedParts<'a> {
    pacer: &'a mut Pacer,
    jitter: &'a mut dyn JitterSource,
    timer: &'a PreciseTimer,
}

impl PartGate for PacedParts<'_> {
    async fn before_part(&mut self, _part: usize) {
        if let Some(t) = self.pacer.ready_at() {
            self.timer.sleep_until(t).await;
        }
        // Cannot be early (the deadline has passed) nor busy (parts run one at a time).
        let _ = self.pacer.start(Instant::now());
    }

    fn after_part(&mut self, _part: usize) {
        self.pacer.finish(Instant::now(), self.jitter);
    }
}

/// What [`record_send`] updates besides the spool.
pub(crate) struct SendBook<'a> {
    /// Port id.
    pub port: u16,
    /// The spool.
    pub spool: &'a Spool,
    /// Metrics.
    pub metrics: &'a GatewayMetrics,
    /// The port's supervision view (counters, SIM identity).
    pub sup: &'a mut Supervisor,
    /// The port's failure history (benching).
    pub health: &'a mut PortHealth,
}

/// How a retried message goes back to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requeue {
    /// Claimable again at once: the failover book keeps it off the port that failed it.
    AtOnce,
    /// Not claimable before its retry delay (workers without the failover book).
    AfterDelay,
}

/// Records the outcome of one send attempt of message `id` in the spool (`sent` / back to
/// `queued` / `failed` / `unknown`), the counters, the metrics and the per-SIM count (sent or
/// possibly sent). Benching is the caller's.
pub(crate) async fn record_outcome(
    b: &mut SendBook<'_>,
    id: i64,
    out: &SendOutcome,
    requeue: Requeue,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) {
    let spool = b.spool;
    let sim = b.sup.sim.iccid.clone().or(b.sup.sim.imsi.clone());
    let recorded = match out {
        SendOutcome::Sent(parts) => {
            b.sup.counters.sent += 1;
            b.metrics.record_send(b.port);
            // Sent and counted for the SIM's caps in one durable write.
            let (parts, count) = (
                parts.clone(),
                sim.clone().map(|s| (s, window_keys(now, tz))),
            );
            spool
                .call(move |db| {
                    db.mark_sent_counting(id, &parts, count.as_ref().map(|(s, k)| (s.as_str(), k)))
                })
                .await
        }
        SendOutcome::Retry { reason, after } => {
            b.sup.counters.failed += 1;
            b.metrics.record_failure(b.port, "retry");
            let delay = match requeue {
                Requeue::AtOnce => chrono::Duration::zero(),
                Requeue::AfterDelay => chrono::Duration::from_std(*after).unwrap_or_default(),
            };
            let (reason, at) = (reason.clone(), now + delay);
            let next = match requeue {
                Requeue::AtOnce => "another port of the group takes it now",
                Requeue::AfterDelay => "retrying later",
            };
            tracing::info!(port = b.port, id, reason, "send failed; {next}");
            spool.call(move |db| db.retry_later(id, &reason, at)).await
        }
        SendOutcome::Failed { reason } => {
            b.sup.counters.failed += 1;
            b.metrics.record_failure(b.port, "permanent");
            let reason = reason.clone();
            tracing::info!(port = b.port, id, reason, "send failed for good");
            spool.call(move |db| db.mark_failed(id, &reason)).await
        }
        SendOutcome::Unknown { reason, parts } => {
            // It may have gone out: `unknown`, never resent automatically.
            b.sup.counters.unknown += 1;
            b.metrics.record_failure(b.port, "unknown");
            tracing::error!(
                port = b.port,
                id,
                reason,
                ?parts,
                "send outcome unknown; not resent"
            );
            let (reason, parts) = (reason.clone(), parts.clone());
            spool
                .call(move |db| db.mark_unknown(id, &reason, &parts))
                .await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(port = b.port, id, error = %e, "recording the send outcome failed");
    }
    if matches!(out, SendOutcome::Unknown { .. })
        && let Some(sim) = sim
    {
        let keys = window_keys(now, tz);
        if let Err(e) = spool.call(move |db| db.count_send(&sim, &keys)).await {
            tracing::error!(port = b.port, error = %e, "counting the send failed");
        }
    }
}

/// The bench as the API shows it, seen at `now` (`wall` = the wall clock at `now`).
pub(crate) fn bench_view(
    bench: &Bench,
    now: Instant,
    wall: chrono::DateTime<chrono::Utc>,
    probed: bool,
) -> BenchView {
    let at = |t: Instant| {
        let d = if t >= now {
            chrono::Duration::from_std(t - now).unwrap_or_default()
        } else {
            -chrono::Duration::from_std(now - t).unwrap_or_default()
        };
        wall + d
    };
    BenchView::new(
        bench.cause,
        &bench.reason,
        at(bench.since),
        at(bench.until),
        wall,
        probed,
    )
}

/// Logs a new bench once, in words.
pub(crate) fn log_bench(port: u16, view: &BenchView) {
    tracing::warn!(
        port,
        cause = ?view.cause,
        until = %view.until.format("%H:%M:%S UTC"),
        "port {}",
        view.words
    );
}

/// Records one send attempt with the time-only bench rule (`failures_before_bench` failures,
/// then a bench that ends by itself): the bookkeeping of [`record_outcome`], the retry after its
/// delay, and the bench (shown on the port with its reason while it lasts).
pub(crate) async fn record_send(
    mut b: SendBook<'_>,
    id: i64,
    out: &SendOutcome,
    port_failed: bool,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) {
    record_outcome(&mut b, id, out, Requeue::AfterDelay, now, tz).await;
    if !port_failed {
        b.health.record_success();
        b.sup.bench = None;
        return;
    }
    let t = Instant::now();
    if let Availability::Benched { .. } = b.health.record_failure(t)
        && let Some(bench) = b.health.bench(t)
    {
        let mut bench = bench.clone();
        if let SendOutcome::Retry { reason, .. }
        | SendOutcome::Failed { reason }
        | SendOutcome::Unknown { reason, .. } = out
        {
            bench.reason = format!("repeated send failures, the last: {reason}");
        }
        let view = bench_view(&bench, t, now, false);
        log_bench(b.port, &view);
        b.sup.bench = Some(view);
    }
}

impl<O: Opener + 'static> PortWorker<O> {
    /// Claims and sends `job` (declined while the port cannot send: the message stays queued
    /// for another port).
    pub(super) async fn send(&mut self, modem: &mut Modem, job: Job) -> Result<(), ModemError> {
        if !self.sup.state.can_send() || self.benched().is_some() {
            return Ok(());
        }
        let claimed = {
            let (id, port) = (job.id, self.id);
            self.deps.spool.call(move |db| db.claim(id, port)).await
        };
        let m = match claimed {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::error!(port = self.id, id = job.id, error = %e, "claim failed");
                return Ok(());
            }
        };
        // The port's rule (the strictest of its groups), measured from its last submission.
        self.pacer.set_rule(PaceRule {
            interval_ms: job.interval_ms,
            jitter_ms: job.jitter_ms,
        });
        let opts = SubmitOptions {
            status_report: true,
            ..SubmitOptions::default()
        };
        let mut gate = PacedParts {
            pacer: &mut self.pacer,
            jitter: self.deps.jitter.as_mut(),
            timer: &self.deps.timer,
        };
        let result = modem.send_sms_gated(&m.to, &m.text, &opts, &mut gate).await;
        let ports_tried = {
            let mut ports = self
                .deps
                .board
                .failures(m.id)
                .map(|f| f.ports)
                .unwrap_or_default();
            if result.is_err() {
                ports.insert(self.id);
            }
            ports.len()
        };
        let out = outcome::classify_attempt(self.id, m.attempts, ports_tried, &result);
        let now = self.deps.clock.now();
        let mut book = SendBook {
            port: self.id,
            spool: &self.deps.spool,
            metrics: &self.deps.metrics,
            sup: &mut self.sup,
            health: &mut self.health,
        };
        record_outcome(&mut book, m.id, &out, Requeue::AtOnce, now, job.tz).await;
        match &out {
            SendOutcome::Retry { after, .. } => {
                self.deps.board.failed_on(m.id, self.id, *after);
            }
            _ => self.deps.board.settled(m.id),
        }
        match &result {
            Ok(_) => self.health.record_success(),
            Err(e) => {
                if let Some(cause) = outcome::bench_cause(&e.source) {
                    self.bench(cause, &e.source.to_string());
                }
            }
        }
        result.map(|_| ()).map_err(|e| e.source)
    }

    /// A failure of `cause`: the bench rule decides; a new bench is logged once, in words.
    pub(super) fn bench(&mut self, cause: BenchCause, reason: &str) {
        let t = Instant::now();
        let before = self.health.bench(t).map(|b| b.since);
        if let Some(b) = self.health.record(t, cause, reason)
            && Some(b.since) != before
        {
            let view = bench_view(b, t, self.deps.clock.now(), true);
            log_bench(self.id, &view);
        }
    }
}
