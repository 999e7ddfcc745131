//! One async worker per port. It owns the port's `Modem` (one command at a time) and loops:
//!
//! 1. open the transport (serial, TCP, Dinstar AT mode) — on failure: `absent`, retry with backoff
//!    (an unplugged modem recovers by itself when it comes back);
//! 2. probe (vendor from config or detection), init (PIN, PDU mode, storage, CNMI), identity,
//!    first poll and a storage sweep (message and status-report memories);
//! 3. session: react to modem events (inbound, delivery reports, registration, signal, restart),
//!    dispatcher jobs (claim → send → record → failover/bench), API commands (reset, USSD), and
//!    timers (poll, sweep, health check, bench probe, reassembly timeout, pacing, balance);
//! 4. after every step, what it showed of the modem goes to the [`Watchdog`]: a timeout gets a
//!    short probe, an unanswered probe declares the modem hung (reset, power cycle through the
//!    injected [`PowerCycle`], reopen); an echo, a restart line, or settings read back that
//!    drifted re-initialise it (a reset) and sweep its storage.
//!
//! The rest of the worker is in [`super::send`] (sending, bookkeeping), [`super::receive`]
//! (inbound, reports, sweeps, full storage) and [`super::recover`] (probes, checks, resets).

use super::atlog::AtLog;
use super::inbound::InboundTracker;
use super::storage::StorageWatch;
use super::supervision::{Observation, Reaction, SimIdentity, Supervisor, reaction};
use super::watchdog::{Seen, Watchdog};
use super::{Board, PortCommand, PowerCycle, PowerCycleError, UssdAnswer};
use crate::clock::Clock;
use crate::metrics::GatewayMetrics;
use crate::schedule::bench::{Availability, BenchStatus, PortHealth};
use crate::schedule::pacing::{JitterSource, Pacer};
use crate::spool::Spool;
use smsgate_at::{
    AtError, CmeError, DinstarLogin, Endpoint, Engine, EngineConfig, FlowControl, Opener,
    SerialConfig, Throttle,
};
use smsgate_config::gateway::{
    Device, InboundConfig, PortConfig, SupervisionConfig, UssdConfig, Vendor as CfgVendor,
};
use smsgate_modem::commands::info::SimState;
use smsgate_modem::commands::sms::TextEntry;
use smsgate_modem::event::RESTART_LINES;
use smsgate_modem::{InitOptions, Modem, ModemError, ModemEvent, StoredContent, Vendor};
use smsgate_pdu::{Part, Pdu};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

pub use super::receive::{SweepReason, SweepSummary, text_field, text_message};
pub(crate) use super::send::{SendBook, record_send};

/// First delay before reopening a port that is absent.
pub const REOPEN_MIN: Duration = Duration::from_millis(200);
/// Longest delay between reopen attempts.
pub const REOPEN_MAX: Duration = Duration::from_secs(10);
/// How long a reset waits for the modem to answer again: 4 × `command_timeout_ms`, within these bounds.
pub const RESET_WAIT_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(5), Duration::from_secs(60));
/// Delivery reports match parts sent within this window (message references wrap at 256).
pub const REPORT_WINDOW_H: i64 = 72;
/// A repeated warning of a worker is logged once, then at most once per this interval.
pub const WARN_INTERVAL: Duration = Duration::from_secs(60);

/// Settings of one worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// The port.
    pub port: PortConfig,
    /// `[supervision]`.
    pub supervision: SupervisionConfig,
    /// `[inbound]`.
    pub inbound: InboundConfig,
    /// `[ussd]`.
    pub ussd: UssdConfig,
}

/// What the worker needs from outside, injected.
pub struct WorkerDeps<O> {
    /// Opens the transport.
    pub opener: Arc<O>,
    /// The spool.
    pub spool: Spool,
    /// The port table.
    pub board: Board,
    /// Metrics.
    pub metrics: GatewayMetrics,
    /// Wall clock (spool rows, counter windows).
    pub clock: Arc<dyn Clock>,
    /// Power control of this modem, if wired.
    pub power: Option<Box<dyn PowerCycle>>,
    /// Jitter for pacing.
    pub jitter: Box<dyn JitterSource>,
    /// Wakes the port at its pacing deadlines (the process's one timer thread).
    pub timer: crate::schedule::precise::PreciseTimer,
    /// Stops the worker.
    pub shutdown: CancellationToken,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Exit {
    Shutdown,
    Closed,
    Failed,
    Hung,
    /// The port's settings changed: open it again with them at once.
    Reconfigured,
    /// The API asked for a power cycle (its answer waits in `power_reply`).
    PowerCycle,
}

enum Step {
    Shutdown,
    Closed,
    Event(ModemEvent),
    Command(PortCommand),
    Poll,
    Sweep,
    Check,
    Ussd,
    Wake,
    Reconfigure(PortConfig),
}

/// Repeated warnings, one [`Throttle`] per kind.
#[derive(Debug)]
pub(super) struct Throttles {
    map: HashMap<&'static str, Throttle>,
}

impl Throttles {
    fn new() -> Self {
        Self {
            map: HashMap::new(),
        }
    }

    /// One more `key` warning: `Some(n)` = log it now, saying `n` happened since the last line.
    pub(super) fn hit(&mut self, key: &'static str) -> Option<u64> {
        self.map
            .entry(key)
            .or_insert_with(|| Throttle::new(WARN_INTERVAL))
            .hit(Instant::now().into_std())
    }
}

/// A port worker (see the module docs). Build with [`PortWorker::new`], run with [`PortWorker::run`].
pub struct PortWorker<O> {
    pub(super) id: u16,
    pub(super) settings: WorkerSettings,
    endpoint: Endpoint,
    pub(super) deps: WorkerDeps<O>,
    rx: mpsc::Receiver<PortCommand>,
    pub(super) sup: Supervisor,
    pub(super) health: PortHealth,
    pub(super) pacer: Pacer,
    pub(super) inbound: InboundTracker,
    pub(super) pin_refused: bool,
    /// Text mode: stored messages are being read in the UCS2 character set.
    pub(super) text_ucs2: bool,
    pub(super) watchdog: Watchdog,
    /// What the watchdog still has to hear about (steps push, the session loop acts).
    pub(super) seen: VecDeque<Seen>,
    pub(super) storage: StorageWatch,
    pub(super) throttles: Throttles,
    /// A registration notice asked for a poll now.
    pub(super) poll_now: bool,
    /// The live port settings (the box UI): a change for this port restarts it with them.
    feed: Option<watch::Receiver<Vec<PortConfig>>>,
    /// Where this port's AT traffic is recorded.
    at_log: Option<AtLog>,
    /// The API's power-cycle request being served.
    power_reply: Option<oneshot::Sender<Result<(), PowerCycleError>>>,
}

/// Waits until the live settings of port `id` differ from `current`, and returns them
/// (never, without a feed or once its sender is gone).
async fn settings_change(
    feed: &mut Option<watch::Receiver<Vec<PortConfig>>>,
    id: u16,
    current: &PortConfig,
) -> PortConfig {
    let Some(rx) = feed.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        if rx.changed().await.is_err() {
            return std::future::pending().await;
        }
        if let Some(p) = rx.borrow_and_update().iter().find(|p| p.id == id)
            && p != current
        {
            return p.clone();
        }
    }
}

/// The AT endpoint of a configured port.
pub fn endpoint_of(port: &PortConfig) -> Endpoint {
    match &port.device {
        Device::Serial(path) => Endpoint::Serial(SerialConfig {
            path: path.display().to_string(),
            baud: port.baud,
            flow: match port.flow_control {
                smsgate_config::gateway::FlowControl::None => FlowControl::None,
                smsgate_config::gateway::FlowControl::Hardware => FlowControl::Hardware,
                smsgate_config::gateway::FlowControl::Software => FlowControl::Software,
            },
        }),
        Device::Tcp { host, port: tcp } => match &port.password {
            Some(password) => Endpoint::Dinstar {
                addr: format!("{host}:{tcp}"),
                login: DinstarLogin {
                    password: password.clone(),
                    port: port.module.unwrap_or(0),
                },
            },
            None => Endpoint::Tcp(format!("{host}:{tcp}")),
        },
    }
}

/// The modem profile a configured vendor forces (`generic` = detect from `AT+CGMI`/`AT+CGMM`).
pub fn vendor_of(v: CfgVendor) -> Option<Vendor> {
    match v {
        CfgVendor::Generic => None,
        CfgVendor::Huawei => Some(Vendor::Huawei),
        CfgVendor::Zte => Some(Vendor::Zte),
        CfgVendor::Quectel => Some(Vendor::Quectel),
        CfgVendor::Simcom => Some(Vendor::Simcom),
        CfgVendor::Sierra | CfgVendor::Wavecom => Some(Vendor::Wavecom),
        CfgVendor::Dinstar => Some(Vendor::Dinstar),
    }
}

pub(super) fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// The engine stopped (unplugged, TCP peer gone).
pub(super) fn is_closed(e: &ModemError) -> bool {
    matches!(
        e,
        ModemError::Closed
            | ModemError::At {
                source: AtError::Closed { .. },
                ..
            }
    )
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

impl<O: Opener + 'static> PortWorker<O> {
    /// A worker and the sender for its commands.
    pub fn new(settings: WorkerSettings, deps: WorkerDeps<O>) -> (Self, mpsc::Sender<PortCommand>) {
        let (tx, rx) = mpsc::channel(64);
        let id = settings.port.id;
        let worker = Self {
            id,
            endpoint: endpoint_of(&settings.port),
            health: PortHealth::probed(&settings.supervision),
            pacer: Pacer::new(0, 0),
            inbound: InboundTracker::new(Duration::from_secs(
                settings.inbound.reassembly_timeout_s,
            )),
            sup: Supervisor::new(id),
            settings,
            deps,
            rx,
            pin_refused: false,
            text_ucs2: false,
            watchdog: Watchdog::new(),
            seen: VecDeque::new(),
            storage: StorageWatch::default(),
            throttles: Throttles::new(),
            poll_now: false,
            feed: None,
            at_log: None,
            power_reply: None,
        };
        (worker, tx)
    }

    /// Follows the live port settings: when this port's change, a send in progress finishes,
    /// the modem is closed and opened again with them.
    pub fn with_settings_feed(mut self, feed: watch::Receiver<Vec<PortConfig>>) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Records the port's AT traffic (secrets masked) in `log`.
    pub fn with_at_log(mut self, log: Option<AtLog>) -> Self {
        self.at_log = log;
        self
    }

    /// Takes new settings: the next open uses them; a PIN refused before may be tried again.
    fn reconfigure(&mut self, port: PortConfig) {
        tracing::info!(
            port = self.id,
            device = %port.device,
            "port settings changed: restarting the port with them"
        );
        self.endpoint = endpoint_of(&port);
        self.settings.port = port;
        self.pin_refused = false;
    }

    /// The end of the bench time while benched (`None`: available).
    pub(super) fn benched(&self) -> Option<Instant> {
        match self.health.availability(Instant::now()) {
            Availability::Benched { until } => Some(until),
            Availability::Available => None,
        }
    }

    pub(super) fn publish(&mut self, connected: bool) {
        let now = Instant::now();
        let bench = self.health.bench(now);
        self.sup.benched = bench.is_some();
        self.sup.bench =
            bench.map(|b| super::send::bench_view(b, now, self.deps.clock.now(), true));
        let available = connected && self.sup.state.can_send() && bench.is_none();
        // A command still in the channel (a job handed over before an event woke the loop)
        // keeps the port reserved: idle again only once it has been taken.
        let idle = available && self.pacer.takes_work(now) && self.rx.is_empty();
        self.deps.board.publish(self.id, idle, available, &self.sup);
    }

    pub(super) fn observe(&mut self, obs: Observation) {
        let before = self.sup.state;
        if reaction(before, &obs) == Reaction::CheckNow {
            // The SIM is back, or the registration is gone: poll now, not at the next poll.
            self.poll_now = true;
        }
        let after = self.sup.observe(obs);
        if before != after {
            tracing::info!(port = self.id, from = ?before, to = ?after, reason = ?self.sup.reason, "port state");
        }
    }

    /// Runs until shutdown; the modem (transport) is released when this returns.
    pub async fn run(mut self) {
        let mut backoff = REOPEN_MIN;
        while !self.deps.shutdown.is_cancelled() {
            self.publish(false);
            let opened = tokio::select! {
                _ = self.deps.shutdown.cancelled() => break,
                p = settings_change(&mut self.feed, self.id, &self.settings.port) => {
                    self.reconfigure(p);
                    backoff = REOPEN_MIN;
                    continue;
                }
                r = self.deps.opener.open(&self.endpoint) => r,
            };
            let exit = match opened {
                Err(e) => {
                    self.observe(Observation::OpenFailed(e.to_string()));
                    Exit::Closed
                }
                Ok(stream) => {
                    let stream: smsgate_at::BoxedStream = match &self.at_log {
                        Some(log) => Box::new(log.tap(stream, self.deps.clock.clone())),
                        None => stream,
                    };
                    let cancel = self.deps.shutdown.child_token();
                    let probe = ms(self.settings.supervision.probe_timeout_ms);
                    let (at, urcs) = Engine::spawn(
                        stream,
                        EngineConfig {
                            label: format!("port{}", self.id),
                            urc_capacity: 1024,
                            cancel: cancel.clone(),
                            // A hung modem does not answer the resync probe either: do not
                            // wait longer for it than for the health probe.
                            drain_max: probe.max(Duration::from_millis(500)),
                            interrupt_on: RESTART_LINES.iter().map(|l| (*l).to_owned()).collect(),
                            warn_interval: WARN_INTERVAL,
                            ..EngineConfig::default()
                        },
                    );
                    self.observe(Observation::Opened);
                    self.watchdog.reset();
                    self.seen.clear();
                    self.publish(true);
                    let exit = match self.setup(at, urcs).await {
                        Ok(modem) => {
                            backoff = REOPEN_MIN;
                            self.session(modem).await
                        }
                        Err(exit) => exit,
                    };
                    cancel.cancel();
                    exit
                }
            };
            self.inbound.forget_slots();
            self.storage.forget();
            self.sup.storage = None;
            match exit {
                Exit::Shutdown => break,
                Exit::Closed => {
                    if self.sup.state != super::PortState::Absent {
                        self.observe(Observation::Closed);
                    }
                }
                Exit::Failed => {}
                Exit::Hung => {
                    let _ = self.power_cycle().await;
                }
                Exit::Reconfigured => {
                    backoff = REOPEN_MIN;
                    continue;
                }
                Exit::PowerCycle => {
                    let r = self.power_cycle().await;
                    if let Some(reply) = self.power_reply.take() {
                        let _ = reply.send(r);
                    }
                    backoff = REOPEN_MIN;
                    continue;
                }
            }
            self.publish(false);
            tokio::select! {
                _ = self.deps.shutdown.cancelled() => break,
                p = settings_change(&mut self.feed, self.id, &self.settings.port) => {
                    self.reconfigure(p);
                    backoff = REOPEN_MIN;
                    continue;
                }
                c = self.rx.recv() => match c {
                    None => break,
                    // Served now, then the port is opened again at once.
                    Some(c) => {
                        self.offline_command(c).await;
                        continue;
                    }
                },
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(REOPEN_MAX);
        }
        self.observe(Observation::Closed);
        self.publish(false);
        tracing::info!(port = self.id, "port worker stopped");
    }

    /// A command that came while the modem is not open: a power cycle is done (that is when
    /// it helps most); a send is declined (the message stays queued); the rest are refused.
    async fn offline_command(&mut self, c: PortCommand) {
        let not_open = || format!("port {} is not open ({:?})", self.id, self.sup.state);
        match c {
            PortCommand::Send(_) => {}
            PortCommand::PowerCycle(reply) => {
                let r = self.power_cycle().await;
                let _ = reply.send(r);
            }
            PortCommand::Reset(reply) => {
                let _ = reply.send(Err(not_open()));
            }
            PortCommand::Ussd { reply, .. } => {
                let _ = reply.send(Err(not_open()));
            }
        }
    }

    /// Power-cycles the modem (hung, or asked by the API); `Err` says why it could not.
    async fn power_cycle(&mut self) -> Result<(), PowerCycleError> {
        let Some(mut power) = self.deps.power.take() else {
            tracing::warn!(
                port = self.id,
                "no power control is configured for this port: power cycle skipped"
            );
            return Err(PowerCycleError::NotWired(None));
        };
        self.sup.counters.power_cycles += 1;
        let done = tokio::task::spawn_blocking(move || {
            let r = power.power_cycle();
            (power, r)
        })
        .await;
        match done {
            Ok((power, r)) => {
                self.deps.power = Some(power);
                match r {
                    Err(e) => {
                        tracing::error!(port = self.id, error = %e, "power cycle failed");
                        Err(PowerCycleError::Failed(format!("power cycle failed: {e}")))
                    }
                    Ok(()) => {
                        tracing::warn!(port = self.id, "modem power-cycled");
                        Ok(())
                    }
                }
            }
            Err(e) => {
                tracing::error!(port = self.id, error = %e, "power cycle task failed");
                Err(PowerCycleError::Failed(format!(
                    "power cycle task failed: {e}"
                )))
            }
        }
    }

    pub(super) fn setup_exit(&mut self, e: &ModemError) -> Exit {
        tracing::warn!(port = self.id, error = %e, "modem setup failed");
        match e {
            e if is_closed(e) => Exit::Closed,
            ModemError::SimNotReady(SimState::SimPin) => {
                self.observe(Observation::PinRequired);
                Exit::Failed
            }
            ModemError::At {
                source: AtError::Cme(CmeError::IncorrectPassword),
                ..
            } => {
                // Never try a refused PIN again: three wrong tries lock the SIM.
                self.pin_refused = true;
                self.observe(Observation::PinRequired);
                self.sup.reason = Some("the configured PIN was refused".into());
                Exit::Failed
            }
            ModemError::SimNotReady(other) => {
                self.observe(Observation::SimProblem(format!("{other:?}")));
                Exit::Failed
            }
            e if super::outcome::is_hang(e) => {
                self.observe(Observation::Hung);
                Exit::Hung
            }
            e => {
                self.observe(Observation::InitFailed(e.to_string()));
                Exit::Failed
            }
        }
    }

    pub(super) fn init_options(&self) -> InitOptions {
        InitOptions {
            pin: if self.pin_refused {
                None
            } else {
                self.settings.port.pin.clone()
            },
            smsc: self.settings.port.smsc.clone(),
            force_text_mode: self.settings.port.text_mode,
        }
    }

    async fn setup(
        &mut self,
        at: smsgate_at::EngineHandle,
        urcs: smsgate_at::UrcReceiver,
    ) -> Result<Modem, Exit> {
        let vendor = vendor_of(self.settings.port.profile);
        let (mut modem, info) = match Modem::probe(at, urcs, vendor).await {
            Ok(v) => v,
            Err(e) => return Err(self.setup_exit(&e)),
        };
        let sup = &self.settings.supervision;
        let mut profile = modem.profile().clone();
        profile.command_timeout = ms(sup.command_timeout_ms);
        profile.prompt_timeout = profile
            .prompt_timeout
            .min(ms(sup.command_timeout_ms))
            .min(ms(sup.prompt_timeout_ms));
        profile.send_timeout = ms(sup.send_timeout_ms);
        profile.ussd_timeout = ms(self.settings.ussd.timeout_ms);
        modem.set_profile(profile);
        self.sup.sim = SimIdentity {
            iccid: info.iccid,
            imsi: info.imsi,
            imei: info.imei,
            manufacturer: Some(info.manufacturer).filter(|s| !s.is_empty()),
            model: Some(info.model).filter(|s| !s.is_empty()),
        };
        self.init(&mut modem, SweepReason::Start).await?;
        Ok(modem)
    }

    /// Init (PIN, modes), identity if the SIM was locked at probe time, first poll and a sweep
    /// of the storage. A modem initialised from scratch has passed a health check: a bench ends.
    pub(super) async fn init(&mut self, modem: &mut Modem, why: SweepReason) -> Result<(), Exit> {
        let opts = self.init_options();
        if let Err(e) = modem.init(&opts).await {
            return Err(self.setup_exit(&e));
        }
        if self.sup.sim.iccid.is_none() || self.sup.sim.imsi.is_none() {
            match modem.identify().await {
                Ok(info) => {
                    self.sup.sim.iccid = info.iccid.or(self.sup.sim.iccid.take());
                    self.sup.sim.imsi = info.imsi.or(self.sup.sim.imsi.take());
                }
                Err(e) => return Err(self.setup_exit(&e)),
            }
        }
        self.observe(Observation::Initialised);
        if let Err(e) = self.poll(modem).await {
            return Err(self.setup_exit(&e));
        }
        if let Err(e) = self.sweep_storage(modem, why).await {
            return Err(self.setup_exit(&e));
        }
        if let Err(e) = self.reload_routed(modem).await {
            return Err(self.setup_exit(&e));
        }
        if self.sup.state.can_send() && self.health.bench(Instant::now()).is_some() {
            tracing::info!(
                port = self.id,
                "port back from the bench: the modem was initialised again"
            );
            self.health.probe_passed();
        }
        Ok(())
    }

    async fn session(&mut self, mut modem: Modem) -> Exit {
        let poll_every = ms(self.settings.supervision.poll_interval_ms.max(100));
        let sweep_every = ms(self.settings.inbound.sweep_interval_ms.max(100));
        let check_every = match self.settings.supervision.check_interval_ms {
            0 => None,
            n => Some(ms(n.max(100))),
        };
        let ussd_every = match (
            &self.settings.ussd.balance_code,
            self.settings.ussd.balance_interval_min,
        ) {
            (Some(_), n) if n > 0 => Some(Duration::from_secs(n * 60)),
            _ => None,
        };
        let mut next_poll = Instant::now() + poll_every;
        let mut next_sweep = Instant::now() + sweep_every;
        let mut next_check = check_every.map(|d| Instant::now() + d);
        let mut next_ussd = ussd_every.map(|d| Instant::now() + d);
        loop {
            if let Err(exit) = self.watch(&mut modem).await {
                return exit;
            }
            self.sup.counters.urcs_dropped = modem.engine().dropped_urcs();
            self.publish(true);
            let now = Instant::now();
            if std::mem::take(&mut self.poll_now) {
                next_poll = now;
            }
            let wake = [
                self.pacer.takes_work_at(now),
                self.health.probe_at(),
                self.inbound.next_deadline().map(Instant::from_std),
            ]
            .into_iter()
            .flatten()
            .min();
            let step = tokio::select! {
                biased;
                _ = self.deps.shutdown.cancelled() => Step::Shutdown,
                ev = modem.next_event() => ev.map_or(Step::Closed, Step::Event),
                c = self.rx.recv() => c.map_or(Step::Shutdown, Step::Command),
                _ = sleep_until(next_poll) => Step::Poll,
                _ = sleep_until(next_sweep) => Step::Sweep,
                _ = sleep_opt(next_check) => Step::Check,
                _ = sleep_opt(next_ussd) => Step::Ussd,
                _ = sleep_opt(wake) => Step::Wake,
                p = settings_change(&mut self.feed, self.id, &self.settings.port) => Step::Reconfigure(p),
            };
            let result = match step {
                Step::Shutdown => return Exit::Shutdown,
                Step::Closed => return Exit::Closed,
                Step::Event(ev) => self.event(&mut modem, ev).await,
                Step::Command(PortCommand::Send(job)) => self.send(&mut modem, job).await,
                Step::Command(PortCommand::Reset(reply)) => {
                    let r = self.reset(&mut modem).await;
                    let failed = r.as_ref().err().cloned();
                    let _ = reply.send(r.map_err(|e| format!("{e:?}")));
                    if let Some(exit) = failed {
                        return exit;
                    }
                    Ok(())
                }
                Step::Reconfigure(p) => {
                    self.reconfigure(p);
                    return Exit::Reconfigured;
                }
                Step::Command(PortCommand::PowerCycle(reply)) => {
                    if self.deps.power.is_none() {
                        let _ = reply.send(Err(PowerCycleError::NotWired(None)));
                        Ok(())
                    } else {
                        self.power_reply = Some(reply);
                        return Exit::PowerCycle;
                    }
                }
                Step::Command(PortCommand::Ussd { code, reply }) => {
                    let r = self.ussd(&mut modem, &code).await;
                    let answer = match &r {
                        Ok(a) => Ok(a.clone()),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = reply.send(answer);
                    r.map(|_| ())
                }
                Step::Poll => {
                    next_poll = Instant::now() + poll_every;
                    self.poll(&mut modem).await
                }
                Step::Sweep => {
                    next_sweep = Instant::now() + sweep_every;
                    self.sweep_storage(&mut modem, SweepReason::Periodic)
                        .await
                        .map(|_| ())
                }
                Step::Check => {
                    next_check = check_every.map(|d| Instant::now() + d);
                    self.check(&mut modem).await
                }
                Step::Ussd => {
                    next_ussd = ussd_every.map(|d| Instant::now() + d);
                    match self.settings.ussd.balance_code.clone() {
                        Some(code) => self.ussd(&mut modem, &code).await.map(|_| ()),
                        None => Ok(()),
                    }
                }
                Step::Wake => {
                    let r = self.expire_inbound(&mut modem).await;
                    if r.is_ok()
                        && matches!(self.health.status(Instant::now()), BenchStatus::ProbeDue(_))
                    {
                        self.bench_probe(&mut modem).await
                    } else {
                        r
                    }
                }
            };
            match result {
                Ok(()) => self.seen.push_back(Seen::Answered),
                Err(e) if is_closed(&e) => return Exit::Closed,
                Err(e) => self.step_failed(&modem, &e),
            }
            if modem.engine().is_closed() {
                return Exit::Closed;
            }
        }
    }

    /// What a failed step tells the watchdog (and the log, throttled).
    fn step_failed(&mut self, modem: &Modem, e: &ModemError) {
        if super::outcome::is_hang(e) {
            tracing::warn!(port = self.id, error = %e, "modem command timed out");
            self.seen.push_back(Seen::TimedOut);
            return;
        }
        // Any other final result means the modem answers.
        self.seen.push_back(Seen::Answered);
        if let Some(n) = self.throttles.hit("command failed") {
            tracing::warn!(port = self.id, error = %e, repeated = n, "modem command failed");
        }
        if let Some(at) = e.at()
            && smsgate_modem::settings::plain_error_is_suspicious(modem.expected_settings(), at)
        {
            self.seen.push_back(Seen::Suspicious(format!(
                "plain ERROR where error codes were on ({e})"
            )));
        }
        if let ModemError::SimNotReady(_) = e {
            let _ = self.setup_exit(e);
        }
    }

    pub(super) async fn ussd(
        &mut self,
        modem: &mut Modem,
        code: &str,
    ) -> Result<UssdAnswer, ModemError> {
        let u = modem.ussd(code).await?;
        let answer = UssdAnswer {
            text: u.text.clone(),
            status: format!("{:?}", u.status),
        };
        if self.settings.ussd.balance_code.as_deref() == Some(code) {
            self.sup.balance = u.text;
        }
        Ok(answer)
    }

    async fn event(&mut self, modem: &mut Modem, ev: ModemEvent) -> Result<(), ModemError> {
        match ev {
            ModemEvent::NewMessage { storage, index } => {
                if self.inbound.is_tracked(&storage, index) {
                    return Ok(());
                }
                let restore = self.enter_text_charset(modem).await;
                let read = modem.read_from(&storage, index).await;
                self.leave_text_charset(modem, restore).await;
                if let Some(m) = read? {
                    self.stored(modem, m).await?;
                }
            }
            ModemEvent::Message(d) => {
                self.part(modem, Part::from(*d), None).await?;
            }
            ModemEvent::StatusReport(r) => {
                // Routed (+CDS): nothing is stored, so nothing to delete; a refused record is
                // logged by `report`.
                self.report(&r).await;
            }
            ModemEvent::StoredStatusReport { storage, index } => {
                let restore = self.enter_text_charset(modem).await;
                let read = modem.read_from(&storage, index).await;
                self.leave_text_charset(modem, restore).await;
                // Deleted only once recorded; anything else stays for the sweep.
                let recorded = match read?.map(|m| m.content) {
                    Some(StoredContent::Pdu { pdu }) => match *pdu {
                        Pdu::StatusReport(r) => self.report(&r).await,
                        _ => false,
                    },
                    Some(StoredContent::Text {
                        entry: TextEntry::StatusReport(r),
                    }) => self.text_report(&r).await,
                    _ => false,
                };
                if recorded {
                    modem.delete_message_in(&storage, index).await?;
                }
            }
            ModemEvent::Registration(r) => self.observe(Observation::Registration(r.status)),
            ModemEvent::Signal(s) => self.sup.signal_dbm = s.dbm(),
            ModemEvent::Boot => self.seen.push_back(Seen::Restarted),
            ModemEvent::Ussd(u) => tracing::info!(port = self.id, text = ?u.text, "network USSD"),
            ModemEvent::Undecodable { line, reason, .. } => {
                if let Some(n) = self.throttles.hit("undecodable URC") {
                    tracing::warn!(
                        port = self.id,
                        line,
                        reason,
                        repeated = n,
                        "undecodable URC"
                    );
                }
            }
            ModemEvent::StorageFull { storage } => {
                if let Some(n) = self.throttles.hit("storage full URC") {
                    tracing::info!(
                        port = self.id,
                        ?storage,
                        repeated = n,
                        "the modem says its message storage is full"
                    );
                }
                self.check_storage(modem).await?;
            }
            ModemEvent::SmsReady | ModemEvent::Ring | ModemEvent::Other { .. } => {}
        }
        Ok(())
    }
}
