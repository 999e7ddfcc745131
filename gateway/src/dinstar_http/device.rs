//! [`DinstarDevice`]: one task per `[[dinstar_http]]` device for what concerns all its ports.
//!
//! - Inbound: `query_incoming_sms` once per device (not once per port) every
//!   `poll_interval_ms`, from an id cursor, each record stored on the gateway port of its own
//!   `port` (the cursor moves only past committed records; a restart reads the inbox again and
//!   the spool stores each message once).
//! - Delivery reports: `query_sms_deliver_status` once per device with a
//!   [`ReportCursor`] that cannot skip a late report, matched per part in the spool.
//! - Port information: `get_port_info` for all ports every `[supervision] poll_interval_ms`,
//!   handed to the port workers ([`PortNews`]); a refused login or an unreachable device is
//!   handed to them too.
//! - Pushes ([`super::push`]): incoming SMS, results, reports and USSD replies the device
//!   posts take the same paths; the push is answered only after its records are committed.
//! - Reconciling: a send that ended `unknown` (its answer lost, no final result in time, or the
//!   gateway stopped while sending) is looked up with `query_sms_result` by its `user_id` until
//!   the device says what happened; then it becomes `sent` (or `failed`).

use super::api::{
    DeliverStatus, DinstarApi, DinstarError, Filter, IncomingSms, SmsResult, UssdReply,
};
use super::cursor::ReportCursor;
use super::link::{DeviceNote, PortNews};
use super::logic;
use crate::clock::Clock;
use crate::ports::outcome::{MAX_ATTEMPTS, SendOutcome};
use crate::ports::worker::REPORT_WINDOW_H;
use crate::spool::{DeliveryReport, MessageState, NewInbound, Spool, SpoolError};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// How long an `unknown` send is looked up before the gateway gives up on it.
pub const RECONCILE_FOR: Duration = Duration::from_secs(24 * 3600);
/// User ids per `query_sms_result` while reconciling.
pub const RECONCILE_BATCH: usize = 32;
/// A report for a part not (yet) known as sent waits this long for its send to be recorded
/// (a report can be listed before the send result settles), then is recorded as it is.
pub const PARK_FOR: Duration = Duration::from_secs(60);
/// The spool's send time of a part noted at start is moved back by this much (it is the
/// gateway's clock, the device stamps its own).
pub const SEED_SKEW: chrono::Duration = chrono::Duration::minutes(10);

/// What the device posted (`{"sn": …, "sms"|"sms_result"|"sms_deliver_status"|"ussd": [...]}`,
/// moucester/Dinstar-UC-API `dinstar/server.py`; other keys such as `cdr` are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PushBatch {
    /// Serial number of the device.
    #[serde(default)]
    pub sn: Option<String>,
    /// Incoming SMS.
    #[serde(default)]
    pub sms: Vec<IncomingSms>,
    /// Send results.
    #[serde(default)]
    pub sms_result: Vec<SmsResult>,
    /// Delivery statuses.
    #[serde(default)]
    pub sms_deliver_status: Vec<DeliverStatus>,
    /// USSD replies.
    #[serde(default)]
    pub ussd: Vec<UssdReply>,
}

/// A push waiting for the device task; `done` answers once its records are committed.
#[derive(Debug)]
pub struct Pushed {
    /// The payload.
    pub batch: PushBatch,
    /// `Ok` once stored, `Err(why)` if not (the device should push again).
    pub done: oneshot::Sender<Result<(), String>>,
}

/// Settings of one device task.
#[derive(Debug, Clone)]
pub struct DeviceSettings {
    /// Config key (`dinstar_http[i]`), for messages.
    pub key: String,
    /// Gateway port id of the device's port 0.
    pub first_id: u16,
    /// The device's ports in use.
    pub ports: Vec<u16>,
    /// The device's time zone.
    pub tz: Tz,
    /// Inbound and report polling period (`None`: push only).
    pub poll: Option<Duration>,
    /// `get_port_info` period.
    pub info_every: Duration,
}

/// What the device task needs from outside.
pub struct DeviceDeps<A> {
    /// The device's API.
    pub api: Arc<A>,
    /// The spool.
    pub spool: Spool,
    /// Wall clock.
    pub clock: Arc<dyn Clock>,
    /// Stops the task.
    pub shutdown: CancellationToken,
    /// Each port worker's news channel, by Dinstar port.
    pub ports: BTreeMap<u16, mpsc::Sender<PortNews>>,
    /// Notes from the port workers.
    pub notes: mpsc::Receiver<DeviceNote>,
    /// Pushes from the push receiver.
    pub pushes: mpsc::Receiver<Pushed>,
    /// Messages the spool found `sending` at open (now `unknown`): reconciled if one of these
    /// ports sent them.
    pub recovered: Vec<i64>,
}

#[derive(Debug, Clone)]
struct Pending {
    message_id: i64,
    user_id: u64,
    port: u16,
    since: Instant,
}

/// The device task (see the module docs).
pub struct DinstarDevice<A> {
    settings: DeviceSettings,
    deps: DeviceDeps<A>,
    inbox_cursor: u64,
    reports: ReportCursor,
    pending: Vec<Pending>,
    iccids: BTreeMap<u16, String>,
    info_supported: bool,
    login_refused: bool,
    parked: Vec<(Instant, DeliverStatus)>,
}

fn window() -> chrono::Duration {
    chrono::Duration::hours(REPORT_WINDOW_H)
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

impl<A: DinstarApi> DinstarDevice<A> {
    /// A device task.
    pub fn new(settings: DeviceSettings, deps: DeviceDeps<A>) -> Self {
        Self {
            settings,
            deps,
            inbox_cursor: 0,
            reports: ReportCursor::new(window()),
            pending: Vec::new(),
            iccids: BTreeMap::new(),
            info_supported: true,
            login_refused: false,
            parked: Vec::new(),
        }
    }

    fn gateway_id(&self, port: u16) -> Option<u16> {
        self.settings
            .ports
            .contains(&port)
            .then(|| self.settings.first_id.saturating_add(port))
    }

    fn device_now(&self) -> NaiveDateTime {
        logic::device_local(self.settings.tz, self.deps.clock.now())
    }

    fn tell(&self, port: u16, news: PortNews) {
        if let Some(tx) = self.deps.ports.get(&port)
            && tx.try_send(news).is_err()
        {
            tracing::debug!(
                port,
                "port worker busy: news dropped (the next poll repeats it)"
            );
        }
    }

    fn tell_all(&self, news: &PortNews) {
        for p in self.deps.ports.keys() {
            self.tell(*p, news.clone());
        }
    }

    /// A failed device-wide call: the ports hear why (a refused login or no answer).
    fn failed(&mut self, e: &DinstarError) {
        if e.is_auth() {
            self.login_refused = true;
            self.tell_all(&PortNews::LoginRefused(format!(
                "{e} (check {}.user and .password)",
                self.settings.key
            )));
        } else if !matches!(e, DinstarError::Refused { .. } | DinstarError::Http { .. }) {
            self.tell_all(&PortNews::Reachable(Err(e.to_string())));
        }
    }

    /// Runs until shutdown.
    pub async fn run(mut self) {
        self.seed().await;
        self.port_info().await;
        if self.settings.poll.is_some() {
            self.poll().await;
        }
        let reconcile_every = self.settings.poll.unwrap_or(self.settings.info_every);
        let mut next_info = Instant::now() + self.settings.info_every;
        let mut next_poll = self.settings.poll.map(|p| Instant::now() + p);
        let mut next_reconcile = Instant::now() + reconcile_every.min(Duration::from_secs(1));
        let mut notes_open = true;
        let mut pushes_open = true;
        loop {
            let reconcile_at = (!self.pending.is_empty()).then_some(next_reconcile);
            tokio::select! {
                biased;
                _ = self.deps.shutdown.cancelled() => break,
                n = self.deps.notes.recv(), if notes_open => match n {
                    Some(n) => self.note(n).await,
                    None => notes_open = false,
                },
                p = self.deps.pushes.recv(), if pushes_open => match p {
                    Some(p) => {
                        let r = self.push(p.batch).await;
                        let _ = p.done.send(r);
                    }
                    None => pushes_open = false,
                },
                _ = sleep_until(next_info) => {
                    self.port_info().await;
                    self.unpark(false).await;
                    next_info = Instant::now() + self.settings.info_every;
                }
                _ = sleep_opt(next_poll) => {
                    self.poll().await;
                    next_poll = self.settings.poll.map(|p| Instant::now() + p);
                }
                _ = sleep_opt(reconcile_at) => {
                    self.reconcile(None).await;
                    next_reconcile = Instant::now() + reconcile_every;
                }
            }
        }
        self.unpark(true).await;
        tracing::info!(device = %self.settings.key, "Dinstar device task stopped");
    }

    /// At start: parts still waiting for reports (so the cursor covers them) and sends the
    /// last run left `unknown`.
    async fn seed(&mut self) {
        let ids: Vec<u16> = self
            .settings
            .ports
            .iter()
            .filter_map(|p| self.gateway_id(*p))
            .collect();
        let since = self.deps.clock.now() - window();
        let q = ids.clone();
        match self
            .deps
            .spool
            .call(move |db| db.unreported_parts(&q, since))
            .await
        {
            Ok(parts) => {
                for (id, reference, to, at) in parts {
                    let port = id.saturating_sub(self.settings.first_id);
                    let t = logic::device_local(self.settings.tz, at) - SEED_SKEW;
                    self.reports.sent(port, &to, reference, 1, t);
                }
            }
            Err(e) => tracing::error!(error = %e, "reading unreported parts failed"),
        }
        for id in self.deps.recovered.clone() {
            match self.deps.spool.call(move |db| db.get(id)).await {
                Ok(Some(m))
                    if m.state == MessageState::Unknown
                        && m.port.is_some_and(|p| ids.contains(&p)) =>
                {
                    let port = m.port.unwrap_or(0).saturating_sub(self.settings.first_id);
                    self.note_now(DeviceNote::Unknown {
                        message_id: id,
                        user_id: logic::user_id(id, m.attempts),
                        port,
                    });
                }
                Ok(_) => {}
                Err(e) => tracing::error!(id, error = %e, "reading a recovered message failed"),
            }
        }
    }

    async fn note(&mut self, n: DeviceNote) {
        let sent = matches!(n, DeviceNote::Sent { .. });
        self.note_now(n);
        if sent {
            self.unpark(false).await;
        }
    }

    fn note_now(&mut self, n: DeviceNote) {
        match n {
            DeviceNote::Sent {
                port,
                number,
                first_ref,
                count,
                time,
            } => {
                let t = NaiveDateTime::parse_from_str(time.trim(), logic::TIME_FMT)
                    .unwrap_or_else(|_| self.device_now());
                self.reports.sent(port, &number, first_ref, count, t);
            }
            DeviceNote::Unknown {
                message_id,
                user_id,
                port,
            } => {
                tracing::info!(
                    message_id,
                    user_id,
                    port,
                    "reconciling an unknown send through query_sms_result"
                );
                self.pending.push(Pending {
                    message_id,
                    user_id,
                    port,
                    since: Instant::now(),
                });
            }
        }
    }

    async fn port_info(&mut self) {
        if !self.info_supported {
            // Older firmware: the device answering is all we know.
            match self.deps.api.ussd_replies(&self.settings.ports).await {
                Ok(_) => self.tell_all(&PortNews::Info(None)),
                Err(e) => self.failed(&e),
            }
            return;
        }
        match self.deps.api.port_info(&self.settings.ports).await {
            Ok(infos) => {
                self.login_refused = false;
                for p in self.settings.ports.clone() {
                    let info = infos.iter().find(|i| i.port == p).cloned();
                    if let Some(iccid) = info.as_ref().and_then(|i| i.iccid.clone()) {
                        self.iccids.insert(p, iccid);
                    }
                    if info.is_none() {
                        tracing::debug!(port = p, "get_port_info does not list this port");
                    }
                    self.tell(p, PortNews::Info(info));
                }
            }
            Err(DinstarError::Http { status: 404, .. } | DinstarError::Refused { .. }) => {
                tracing::warn!(device = %self.settings.key, "the Dinstar has no get_port_info: ports count as registered while it answers");
                self.info_supported = false;
                self.tell_all(&PortNews::Info(None));
            }
            Err(e) => self.failed(&e),
        }
    }

    async fn poll(&mut self) {
        if self.login_refused {
            // The login is backing off: the port-information poll probes it.
            return;
        }
        self.poll_reports().await;
        self.poll_inbox().await;
    }

    async fn poll_reports(&mut self) {
        let now = self.device_now();
        let after = self.reports.time_after(now);
        let filter = Filter {
            port: self.settings.ports.clone(),
            user_id: Vec::new(),
            time_after: Some(after.clone()),
        };
        match self.deps.api.deliver_statuses(&filter).await {
            Ok(answer) => {
                let fresh = self.reports.fresh(&after, now, answer);
                let _ = self.handle_reports(fresh).await;
                self.unpark(false).await;
            }
            Err(e) => {
                tracing::debug!(device = %self.settings.key, error = %e, "delivery status query failed");
                self.failed(&e);
            }
        }
    }

    /// Records reports of parts known as sent; parks the others until their send is recorded.
    async fn handle_reports(&mut self, fresh: Vec<DeliverStatus>) -> Result<(), SpoolError> {
        for s in fresh {
            if self.reports.is_waiting(&s) {
                self.reports.reported(&s);
                self.record_report(s).await?;
            } else {
                self.parked.push((Instant::now(), s));
            }
        }
        Ok(())
    }

    /// Records the parked reports whose part is now known as sent, and those that waited
    /// [`PARK_FOR`] (`all`: every one).
    async fn unpark(&mut self, all: bool) {
        let parked = std::mem::take(&mut self.parked);
        for (at, s) in parked {
            let due = all || at.elapsed() >= PARK_FOR;
            if self.reports.is_waiting(&s) || due {
                self.reports.reported(&s);
                if self.record_report(s.clone()).await.is_err() {
                    self.parked.push((at, s));
                }
            } else {
                self.parked.push((at, s));
            }
        }
    }

    async fn record_report(&mut self, s: DeliverStatus) -> Result<(), SpoolError> {
        let Some(port) = self.gateway_id(s.port) else {
            return Ok(());
        };
        let report = DeliveryReport {
            port,
            reference: s.ref_id,
            recipient: s.number,
            status: logic::delivery_status(s.status_code),
            received_at: self.deps.clock.now(),
        };
        let w = window();
        match self
            .deps
            .spool
            .call(move |db| db.record_delivery_report(&report, w))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(port, error = %e, "recording a delivery report failed");
                Err(e)
            }
        }
    }

    async fn poll_inbox(&mut self) {
        match self
            .deps
            .api
            .incoming(self.inbox_cursor, &self.settings.ports)
            .await
        {
            Ok(inbox) => {
                let _ = self.store_inbound(inbox, true).await;
            }
            Err(e) => {
                tracing::debug!(device = %self.settings.key, error = %e, "incoming SMS query failed");
                self.failed(&e);
            }
        }
    }

    /// Stores messages on the gateway port of their own `port`; the cursor moves only past
    /// committed ones (`polled`: they came from the cursor's query).
    async fn store_inbound(
        &mut self,
        mut inbox: Vec<IncomingSms>,
        polled: bool,
    ) -> Result<(), String> {
        inbox.sort_by_key(|m| m.incoming_sms_id);
        for m in inbox {
            let Some(port) = self.gateway_id(m.port) else {
                tracing::debug!(
                    port = m.port,
                    "an SMS for a Dinstar port this gateway does not use"
                );
                if polled {
                    self.inbox_cursor = self.inbox_cursor.max(m.incoming_sms_id);
                }
                continue;
            };
            let id = m.incoming_sms_id;
            let msg = NewInbound {
                from: m.number,
                port,
                sim: self.iccids.get(&m.port).cloned(),
                text: m.text,
                sent_at: logic::parse_time(self.settings.tz, &m.timestamp),
                received_at: self.deps.clock.now(),
            };
            match self.deps.spool.call(move |db| db.store_inbound(&msg)).await {
                Ok(_) => {
                    if polled {
                        self.inbox_cursor = self.inbox_cursor.max(id);
                    }
                }
                Err(e) => {
                    tracing::error!(port, error = %e, "storing an inbound message failed");
                    return Err(format!("storing an inbound message failed: {e}"));
                }
            }
        }
        Ok(())
    }

    async fn push(&mut self, batch: PushBatch) -> Result<(), String> {
        self.store_inbound(batch.sms, false).await?;
        let fresh = self.reports.pushed(batch.sms_deliver_status);
        self.handle_reports(fresh)
            .await
            .map_err(|e| format!("recording a delivery report failed: {e}"))?;
        let mut reconciled = Vec::new();
        for r in batch.sms_result {
            if r.user_id != 0 && self.pending.iter().any(|p| p.user_id == r.user_id) {
                reconciled.push(r);
            } else {
                self.tell(r.port, PortNews::Result(r));
            }
        }
        if !reconciled.is_empty() {
            self.reconcile(Some(reconciled)).await;
        }
        for u in batch.ussd {
            self.tell(u.port, PortNews::Ussd(u.text));
        }
        Ok(())
    }

    /// Looks the pending `unknown` sends up (or applies `pushed` results to them).
    async fn reconcile(&mut self, pushed: Option<Vec<SmsResult>>) {
        self.pending.retain(|p| {
            let keep = p.since.elapsed() < RECONCILE_FOR;
            if !keep {
                tracing::warn!(
                    message_id = p.message_id,
                    "the Dinstar never gave a final result: the message stays unknown"
                );
            }
            keep
        });
        let results = match pushed {
            Some(r) => r,
            None => {
                let ids: Vec<u64> = self
                    .pending
                    .iter()
                    .take(RECONCILE_BATCH)
                    .map(|p| p.user_id)
                    .collect();
                let filter = Filter {
                    port: Vec::new(),
                    user_id: ids,
                    time_after: None,
                };
                match self.deps.api.sms_results(&filter).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::debug!(error = %e, "reconciling query failed");
                        return;
                    }
                }
            }
        };
        let mut done = Vec::new();
        for p in &self.pending {
            let mine: Vec<SmsResult> = results
                .iter()
                .filter(|r| r.user_id == p.user_id && r.port == p.port)
                .cloned()
                .collect();
            let Some(gid) = self.gateway_id(p.port) else {
                continue;
            };
            // Attempts at the maximum: nothing sent means failed, never back to the queue.
            let Some(out) = logic::settled(gid, &mine, MAX_ATTEMPTS) else {
                continue;
            };
            done.push((p.clone(), out, mine.last().cloned()));
        }
        for (p, out, last) in done {
            self.pending.retain(|x| x.message_id != p.message_id);
            let id = p.message_id;
            let applied = match &out {
                SendOutcome::Sent(parts) => {
                    let parts = parts.clone();
                    let r = self
                        .deps
                        .spool
                        .call(move |db| db.mark_sent(id, &parts))
                        .await;
                    if r.is_ok()
                        && let (Some(first), Some(last)) = (out_first_ref(&out), last)
                    {
                        self.note_now(DeviceNote::Sent {
                            port: p.port,
                            number: last.number.clone(),
                            first_ref: first,
                            count: last.count.max(1),
                            time: last.time.clone(),
                        });
                    }
                    r
                }
                SendOutcome::Failed { reason } | SendOutcome::Retry { reason, .. } => {
                    let reason = format!("reconciled through query_sms_result: {reason}");
                    self.deps
                        .spool
                        .call(move |db| db.mark_failed(id, &reason))
                        .await
                }
                SendOutcome::Unknown { reason, .. } => {
                    tracing::warn!(message_id = id, %reason, "reconciled: the Dinstar sent part of it; it stays unknown");
                    Ok(())
                }
            };
            match applied {
                Ok(()) => {
                    tracing::info!(message_id = id, outcome = ?out, "unknown send reconciled")
                }
                Err(e) => {
                    tracing::info!(message_id = id, error = %e, "unknown send not reconciled (changed meanwhile)")
                }
            }
        }
        self.unpark(false).await;
    }
}

fn out_first_ref(out: &SendOutcome) -> Option<u8> {
    match out {
        SendOutcome::Sent(parts) => parts.first().map(|p| p.reference),
        _ => None,
    }
}
