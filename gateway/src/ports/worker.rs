//! One async worker per port. It owns the port's `Modem` (one command at a time) and loops:
//!
//! 1. open the transport (serial, TCP, Dinstar AT mode) — on failure: `absent`, retry with backoff
//!    (an unplugged modem recovers by itself when it comes back);
//! 2. probe (vendor from config or detection), init (PIN, PDU mode, storage, CNMI), identity,
//!    first poll and a storage sweep;
//! 3. session: react to modem events (inbound, delivery reports, registration, signal, boot),
//!    dispatcher jobs (claim → send → record), API commands (reset, USSD), and timers (poll,
//!    sweep, reassembly timeout, pacing, bench end, scheduled balance check);
//! 4. on a closed engine: reopen; on a hung modem: soft reset (`AT+CFUN` via the profile), then a
//!    power cycle through the injected [`PowerCycle`] (none → skipped, logged), then reopen.

use super::inbound::{InboundTracker, Pushed, Ready, Slot as SimSlot};
use super::outcome::{self, SendOutcome};
use super::supervision::{Observation, SimIdentity, Supervisor};
use super::{Board, Job, PortCommand, PowerCycle, UssdAnswer};
use crate::clock::Clock;
use crate::metrics::GatewayMetrics;
use crate::schedule::bench::{Availability, PortHealth};
use crate::schedule::caps::window_keys;
use crate::schedule::pacing::{JitterSource, Pacer};
use crate::spool::{DeliveryReport, DeliveryStatus, NewInbound, Spool};
use smsgate_at::{
    AtError, CmeError, DinstarLogin, Endpoint, Engine, EngineConfig, FlowControl, Opener,
    SerialConfig,
};
use smsgate_config::gateway::{
    Device, InboundConfig, PortConfig, SupervisionConfig, UssdConfig, Vendor as CfgVendor,
};
use smsgate_modem::commands::info::SimState;
use smsgate_modem::commands::network::RegDomain;
use smsgate_modem::commands::sms::{MessageStatus, TextEntry, TextMessage, TextStatusReport};
use smsgate_modem::commands::typed::CscsQuery;
use smsgate_modem::{
    InitOptions, Modem, ModemError, ModemEvent, StoredContent, StoredMessage, Vendor,
};
use smsgate_pdu::reassembly::Message as InboundMessage;
use smsgate_pdu::{Encoding, Part, Pdu, StatusClass, StatusReport, SubmitOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// First delay before reopening a port that is absent.
pub const REOPEN_MIN: Duration = Duration::from_millis(200);
/// Longest delay between reopen attempts.
pub const REOPEN_MAX: Duration = Duration::from_secs(10);
/// How long a reset waits for the modem to answer again: 4 × `command_timeout_ms`, within these bounds.
pub const RESET_WAIT_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(5), Duration::from_secs(60));
/// Timed-out commands, each followed by an unanswered bare `AT`, that make a modem "hung".
pub const HANGS_BEFORE_RESET: u32 = 1;
/// Delivery reports match parts sent within this window (message references wrap at 256).
pub const REPORT_WINDOW_H: i64 = 72;

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
    /// Stops the worker.
    pub shutdown: CancellationToken,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exit {
    Shutdown,
    Closed,
    Failed,
    Hung,
}

enum Step {
    Shutdown,
    Closed,
    Event(ModemEvent),
    Command(PortCommand),
    Poll,
    Sweep,
    Ussd,
    Wake,
}

/// A port worker (see the module docs). Build with [`PortWorker::new`], run with [`PortWorker::run`].
pub struct PortWorker<O> {
    id: u16,
    settings: WorkerSettings,
    endpoint: Endpoint,
    deps: WorkerDeps<O>,
    rx: mpsc::Receiver<PortCommand>,
    sup: Supervisor,
    health: PortHealth,
    pacer: Pacer,
    pacer_cfg: (u64, u64),
    inbound: InboundTracker,
    pin_refused: bool,
    /// Text mode: stored messages are being read in the UCS2 character set.
    text_ucs2: bool,
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

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
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
            health: PortHealth::new(&settings.supervision),
            pacer: Pacer::new(0, 0),
            pacer_cfg: (0, 0),
            inbound: InboundTracker::new(Duration::from_secs(
                settings.inbound.reassembly_timeout_s,
            )),
            sup: Supervisor::new(id),
            settings,
            deps,
            rx,
            pin_refused: false,
            text_ucs2: false,
        };
        (worker, tx)
    }

    fn benched(&self) -> Option<Instant> {
        match self.health.availability(Instant::now()) {
            Availability::Benched { until } => Some(until),
            Availability::Available => None,
        }
    }

    fn publish(&mut self, connected: bool) {
        let benched = self.benched().is_some();
        self.sup.benched = benched;
        let available = connected && self.sup.state.can_send() && !benched;
        let idle = available && self.pacer.is_ready(Instant::now());
        self.deps.board.publish(self.id, idle, available, &self.sup);
    }

    fn observe(&mut self, obs: Observation) {
        let before = self.sup.state;
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
                r = self.deps.opener.open(&self.endpoint) => r,
            };
            let exit = match opened {
                Err(e) => {
                    self.observe(Observation::OpenFailed(e.to_string()));
                    Exit::Closed
                }
                Ok(stream) => {
                    let cancel = self.deps.shutdown.child_token();
                    let (at, urcs) = Engine::spawn(
                        stream,
                        EngineConfig {
                            label: format!("port{}", self.id),
                            urc_capacity: 1024,
                            cancel: cancel.clone(),
                            ..EngineConfig::default()
                        },
                    );
                    self.observe(Observation::Opened);
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
            match exit {
                Exit::Shutdown => break,
                Exit::Closed => {
                    if self.sup.state != super::PortState::Absent {
                        self.observe(Observation::Closed);
                    }
                }
                Exit::Failed => {}
                Exit::Hung => self.power_cycle().await,
            }
            self.publish(false);
            tokio::select! {
                _ = self.deps.shutdown.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(REOPEN_MAX);
        }
        self.observe(Observation::Closed);
        self.publish(false);
        tracing::info!(port = self.id, "port worker stopped");
    }

    async fn power_cycle(&mut self) {
        let Some(mut power) = self.deps.power.take() else {
            tracing::warn!(
                port = self.id,
                "modem hung and no power control is configured for this port: power cycle skipped"
            );
            return;
        };
        self.sup.counters.power_cycles += 1;
        let done = tokio::task::spawn_blocking(move || {
            let r = power.power_cycle();
            (power, r)
        })
        .await;
        match done {
            Ok((power, r)) => {
                if let Err(e) = r {
                    tracing::error!(port = self.id, error = %e, "power cycle failed");
                } else {
                    tracing::warn!(port = self.id, "modem power-cycled");
                }
                self.deps.power = Some(power);
            }
            Err(e) => tracing::error!(port = self.id, error = %e, "power cycle task failed"),
        }
    }

    fn setup_exit(&mut self, e: &ModemError) -> Exit {
        tracing::warn!(port = self.id, error = %e, "modem setup failed");
        match e {
            ModemError::Closed => Exit::Closed,
            ModemError::At {
                source: AtError::Closed { .. },
                ..
            } => Exit::Closed,
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
            e if outcome::is_hang(e) => {
                self.observe(Observation::Hung);
                Exit::Hung
            }
            e => {
                self.observe(Observation::InitFailed(e.to_string()));
                Exit::Failed
            }
        }
    }

    fn init_options(&self) -> InitOptions {
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
        profile.prompt_timeout = profile.prompt_timeout.min(ms(sup.command_timeout_ms));
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
        self.init(&mut modem).await?;
        Ok(modem)
    }

    /// Init (PIN, modes), identity if the SIM was locked at probe time, first poll and sweep.
    async fn init(&mut self, modem: &mut Modem) -> Result<(), Exit> {
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
        if let Err(e) = self.sweep(modem).await {
            return Err(self.setup_exit(&e));
        }
        Ok(())
    }

    async fn session(&mut self, mut modem: Modem) -> Exit {
        let poll_every = ms(self.settings.supervision.poll_interval_ms.max(100));
        let sweep_every = ms(self.settings.inbound.sweep_interval_ms.max(100));
        let ussd_every = match (
            &self.settings.ussd.balance_code,
            self.settings.ussd.balance_interval_min,
        ) {
            (Some(_), n) if n > 0 => Some(Duration::from_secs(n * 60)),
            _ => None,
        };
        let mut next_poll = Instant::now() + poll_every;
        let mut next_sweep = Instant::now() + sweep_every;
        let mut next_ussd = ussd_every.map(|d| Instant::now() + d);
        let mut hangs = 0u32;
        loop {
            self.publish(true);
            let now = Instant::now();
            let wake = [
                self.pacer.ready_at().filter(|t| *t > now),
                self.benched(),
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
                _ = sleep_opt(next_ussd) => Step::Ussd,
                _ = sleep_opt(wake) => Step::Wake,
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
                    self.sweep(&mut modem).await
                }
                Step::Ussd => {
                    next_ussd = ussd_every.map(|d| Instant::now() + d);
                    match self.settings.ussd.balance_code.clone() {
                        Some(code) => self.ussd(&mut modem, &code).await.map(|_| ()),
                        None => Ok(()),
                    }
                }
                Step::Wake => self.expire_inbound(&mut modem).await,
            };
            match result {
                Ok(()) => hangs = 0,
                Err(ModemError::Closed)
                | Err(ModemError::At {
                    source: AtError::Closed { .. },
                    ..
                }) => return Exit::Closed,
                Err(e) if outcome::is_hang(&e) => {
                    tracing::warn!(port = self.id, error = %e, "modem command timed out");
                    // A slow answer or a hung modem? Ask for a bare `AT` before resetting.
                    let timeout = ms(self.settings.supervision.command_timeout_ms);
                    hangs = match modem.engine().raw("AT", timeout, &[]).await {
                        Ok(_) => 0,
                        Err(AtError::Closed { .. }) => return Exit::Closed,
                        Err(_) => hangs + 1,
                    };
                    if hangs >= HANGS_BEFORE_RESET {
                        hangs = 0;
                        if let Err(exit) = self.recover(&mut modem).await {
                            return exit;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(port = self.id, error = %e, "modem command failed");
                    if let ModemError::SimNotReady(_) = e {
                        let _ = self.setup_exit(&e);
                    }
                }
            }
            if modem.engine().is_closed() {
                return Exit::Closed;
            }
        }
    }

    /// Soft resets, then gives up (the caller power-cycles and reopens).
    async fn recover(&mut self, modem: &mut Modem) -> Result<(), Exit> {
        let tries = self.settings.supervision.resets_before_power_cycle;
        for _ in 0..tries {
            match self.reset(modem).await {
                Ok(()) => return Ok(()),
                Err(Exit::Closed) => return Err(Exit::Closed),
                Err(_) => {}
            }
        }
        self.observe(Observation::Hung);
        Err(Exit::Hung)
    }

    async fn reset(&mut self, modem: &mut Modem) -> Result<(), Exit> {
        self.sup.counters.resets += 1;
        self.observe(Observation::Initialising);
        self.publish(true);
        tracing::warn!(port = self.id, "resetting the modem");
        let wait = (ms(self.settings.supervision.command_timeout_ms) * 4)
            .clamp(RESET_WAIT_BOUNDS.0, RESET_WAIT_BOUNDS.1);
        match modem.reset(wait).await {
            Ok(_) => {
                self.observe(Observation::Initialised);
                if let Err(e) = self.poll(modem).await {
                    return Err(self.setup_exit(&e));
                }
                Ok(())
            }
            Err(e) => Err(self.setup_exit(&e)),
        }
    }

    async fn poll(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        match modem.sim_state().await? {
            SimState::Ready => {
                if !matches!(
                    self.sup.state,
                    super::PortState::Searching
                        | super::PortState::Registered
                        | super::PortState::Roaming
                        | super::PortState::Denied
                ) {
                    // The SIM is back (or the PIN was entered elsewhere): initialise again.
                    self.observe(Observation::Initialising);
                    self.sup.sim.iccid = None;
                    self.sup.sim.imsi = None;
                    // A failed init is recorded in the state; the next poll tries again.
                    let _ = Box::pin(self.init(modem)).await;
                    return Ok(());
                }
            }
            SimState::SimPin if self.init_options().pin.is_some() => {
                self.observe(Observation::Initialising);
                let _ = Box::pin(self.init(modem)).await;
                return Ok(());
            }
            SimState::SimPin => {
                self.observe(Observation::PinRequired);
                return Ok(());
            }
            other => {
                self.observe(Observation::SimProblem(format!("{other:?}")));
                return Ok(());
            }
        }
        let mut reg = modem.registration(RegDomain::Cs).await?;
        if !reg.as_ref().is_some_and(|r| r.status.is_registered())
            && let Ok(Some(eps)) = modem.registration(RegDomain::Eps).await
            && eps.status.is_registered()
        {
            reg = Some(eps);
        }
        if let Some(r) = reg {
            self.observe(Observation::Registration(r.status));
        }
        if let Ok(s) = modem.signal().await {
            self.sup.signal_dbm = s.dbm();
            if let Some(d) = s.dbm() {
                self.deps.metrics.set_signal(self.id, f64::from(d));
            }
        }
        if let Ok(op) = modem.operator().await {
            self.sup.operator = op.name;
        }
        Ok(())
    }

    async fn send(&mut self, modem: &mut Modem, job: Job) -> Result<(), ModemError> {
        if !self.sup.state.can_send() || self.benched().is_some() {
            return Ok(()); // declined: the message stays queued for another port
        }
        if let Some(t) = self.pacer.ready_at() {
            sleep_until(t).await;
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
        if self.pacer_cfg != (job.interval_ms, job.jitter_ms) {
            self.pacer_cfg = (job.interval_ms, job.jitter_ms);
            self.pacer = Pacer::new(job.interval_ms, job.jitter_ms);
        }
        let _ = self.pacer.start(Instant::now());
        let opts = SubmitOptions {
            status_report: true,
            ..SubmitOptions::default()
        };
        let result = modem.send_sms(&m.to, &m.text, &opts).await;
        self.pacer.finish(Instant::now(), self.deps.jitter.as_mut());
        let out = outcome::classify(self.id, m.attempts, &result);
        let class = result
            .as_ref()
            .err()
            .and_then(|e| outcome::error_class(&e.source));
        let now = self.deps.clock.now();
        record_send(
            SendBook {
                port: self.id,
                spool: &self.deps.spool,
                metrics: &self.deps.metrics,
                sup: &mut self.sup,
                health: &mut self.health,
            },
            m.id,
            &out,
            out.port_failed(class),
            now,
            job.tz,
        )
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(e.source),
        }
    }

    async fn ussd(&mut self, modem: &mut Modem, code: &str) -> Result<UssdAnswer, ModemError> {
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
            ModemEvent::StatusReport(r) => self.report(&r).await,
            ModemEvent::StoredStatusReport { storage, index } => {
                let restore = self.enter_text_charset(modem).await;
                let read = modem.read_from(&storage, index).await;
                self.leave_text_charset(modem, restore).await;
                match read?.map(|m| m.content) {
                    Some(StoredContent::Pdu { pdu }) => {
                        if let Pdu::StatusReport(r) = *pdu {
                            self.report(&r).await;
                        }
                    }
                    Some(StoredContent::Text {
                        entry: TextEntry::StatusReport(r),
                    }) => self.text_report(&r).await,
                    _ => {}
                }
                modem.delete_message_in(&storage, index).await?;
            }
            ModemEvent::Registration(r) => self.observe(Observation::Registration(r.status)),
            ModemEvent::Signal(s) => self.sup.signal_dbm = s.dbm(),
            ModemEvent::Boot => {
                tracing::warn!(port = self.id, "modem restarted; initialising again");
                self.observe(Observation::Initialising);
                self.publish(true);
                self.inbound.forget_slots();
                if let Err(exit) = self.init(modem).await {
                    tracing::warn!(port = self.id, ?exit, "re-init after boot failed");
                }
            }
            ModemEvent::Ussd(u) => tracing::info!(port = self.id, text = ?u.text, "network USSD"),
            ModemEvent::Undecodable { line, reason, .. } => {
                tracing::warn!(port = self.id, line, reason, "undecodable URC");
            }
            ModemEvent::StorageFull { storage } => {
                tracing::warn!(port = self.id, ?storage, "the modem says its message storage is full; sweeping");
                self.sweep(modem).await?;
            }
            ModemEvent::SmsReady | ModemEvent::Ring | ModemEvent::Other { .. } => {}
        }
        Ok(())
    }

    async fn stored(&mut self, modem: &mut Modem, m: StoredMessage) -> Result<(), ModemError> {
        let storage = m.storage.clone().unwrap_or_default();
        match m.content {
            StoredContent::Pdu { pdu } => match *pdu {
                Pdu::Deliver(d) => {
                    self.part(modem, Part::from(d), Some((storage, m.index)))
                        .await
                }
                Pdu::StatusReport(r) => {
                    self.report(&r).await;
                    self.delete(modem, &storage, m.index).await
                }
                Pdu::Submit(_) => Ok(()),
            },
            StoredContent::Text {
                entry: TextEntry::Message(t),
            } => {
                let ready = Ready {
                    message: text_message(&t, self.text_ucs2),
                    slots: vec![(storage, m.index)],
                };
                self.commit(modem, ready).await
            }
            StoredContent::Text {
                entry: TextEntry::StatusReport(r),
            } => {
                self.text_report(&r).await;
                self.delete(modem, &storage, m.index).await
            }
            StoredContent::Undecodable { reason, .. } => {
                tracing::warn!(
                    port = self.id,
                    index = m.index,
                    reason,
                    "undecodable stored message left on the SIM"
                );
                Ok(())
            }
        }
    }

    async fn delete(
        &mut self,
        modem: &mut Modem,
        storage: &str,
        index: u32,
    ) -> Result<(), ModemError> {
        if storage.is_empty() {
            modem.delete_message(index).await
        } else {
            modem.delete_message_in(storage, index).await
        }
    }

    async fn part(
        &mut self,
        modem: &mut Modem,
        part: Part,
        slot: SimSlot,
    ) -> Result<(), ModemError> {
        match self.inbound.push(part, slot, std::time::Instant::now()) {
            Pushed::Ready(r) => self.commit(modem, r).await,
            Pushed::Duplicate(Some((storage, index))) => self.delete(modem, &storage, index).await,
            Pushed::Duplicate(None) | Pushed::Waiting | Pushed::Known => Ok(()),
        }
    }

    /// Stores a whole (or timed-out) message, then deletes its parts from the SIM.
    async fn commit(&mut self, modem: &mut Modem, r: Ready) -> Result<(), ModemError> {
        if !r.message.complete {
            tracing::warn!(port = self.id, missing = ?r.message.missing, "storing an incomplete message after the reassembly timeout");
        }
        let msg = NewInbound {
            from: r.message.sender.clone(),
            port: self.id,
            sim: self.sup.sim.iccid.clone(),
            text: r.message.text.clone(),
            sent_at: r.message.timestamp.map(|t| t.with_timezone(&chrono::Utc)),
            received_at: self.deps.clock.now(),
        };
        match self.deps.spool.call(move |db| db.store_inbound(&msg)).await {
            Ok(_) => {
                self.sup.counters.received += 1;
                for (storage, index) in r.slots {
                    self.delete(modem, &storage, index).await?;
                }
            }
            Err(e) => {
                // Left on the SIM: the next sweep reads it again.
                tracing::error!(port = self.id, error = %e, "storing an inbound message failed");
            }
        }
        Ok(())
    }

    async fn expire_inbound(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        for r in self.inbound.expire(std::time::Instant::now()) {
            self.commit(modem, r).await?;
        }
        Ok(())
    }

    /// Reads every stored message (catches messages whose `+CMTI` was missed).
    async fn sweep(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        let restore = self.enter_text_charset(modem).await;
        let listed = modem.list_messages(MessageStatus::All).await;
        self.leave_text_charset(modem, restore).await;
        let list = match listed {
            Ok(l) => l,
            Err(e) if outcome::is_hang(&e) || matches!(e, ModemError::Closed) => return Err(e),
            Err(e) => {
                tracing::debug!(port = self.id, error = %e, "storage sweep failed");
                return Ok(());
            }
        };
        for m in list {
            let storage = m.storage.clone().unwrap_or_default();
            if self.inbound.is_tracked(&storage, m.index) {
                continue;
            }
            self.stored(modem, m).await?;
        }
        Ok(())
    }

    /// Text mode: switches the TE character set to UCS2 before reading stored messages, so
    /// texts in any alphabet (and numbers) arrive intact as UCS2 hex (the GSM character set
    /// cannot show a UCS2-coded message). Returns the character set to restore afterwards
    /// (`None`: nothing to restore). If the modem refuses UCS2, texts are read in its current
    /// character set and decoded from it.
    async fn enter_text_charset(&mut self, modem: &Modem) -> Option<String> {
        if modem.pdu_mode() {
            return None;
        }
        let timeout = ms(self.settings.supervision.command_timeout_ms);
        let current = modem.engine().run(&CscsQuery).await.ok();
        if current.as_deref() == Some("UCS2") {
            self.text_ucs2 = true;
            return None;
        }
        self.text_ucs2 = modem
            .engine()
            .raw("AT+CSCS=\"UCS2\"", timeout, &[])
            .await
            .is_ok();
        if self.text_ucs2 {
            current.or_else(|| Some("GSM".into()))
        } else {
            None
        }
    }

    /// Restores the character set [`Self::enter_text_charset`] changed.
    async fn leave_text_charset(&mut self, modem: &Modem, restore: Option<String>) {
        let Some(cs) = restore else {
            return;
        };
        let timeout = ms(self.settings.supervision.command_timeout_ms);
        if let Err(e) = modem
            .engine()
            .raw(&format!("AT+CSCS=\"{cs}\""), timeout, &[])
            .await
        {
            tracing::warn!(port = self.id, error = %e, charset = cs, "restoring the character set failed");
        }
    }

    /// A text-mode status report.
    async fn text_report(&mut self, r: &TextStatusReport) {
        let recipient = text_field(&r.recipient, self.text_ucs2);
        self.record_report(r.message_ref, recipient, StatusClass::from_status(r.status))
            .await;
    }

    async fn report(&mut self, r: &StatusReport) {
        self.record_report(r.message_ref, r.recipient.display(), r.status_class())
            .await;
    }

    async fn record_report(&mut self, reference: u8, recipient: String, class: StatusClass) {
        let status = match class {
            StatusClass::Delivered => DeliveryStatus::Delivered,
            StatusClass::TemporaryFailure => DeliveryStatus::Pending,
            StatusClass::PermanentFailure | StatusClass::TemporaryFailureNoRetry => {
                DeliveryStatus::Failed
            }
        };
        let report = DeliveryReport {
            port: self.id,
            reference,
            recipient,
            status,
            received_at: self.deps.clock.now(),
        };
        self.sup.counters.reports += 1;
        let window = chrono::Duration::hours(REPORT_WINDOW_H);
        if let Err(e) = self
            .deps
            .spool
            .call(move |db| db.record_delivery_report(&report, window))
            .await
        {
            tracing::error!(port = self.id, error = %e, "recording a delivery report failed");
        }
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

/// Records the outcome of one send attempt of message `id` — spool state (`sent` / retry /
/// `failed` / `unknown`), counters and metrics, the per-SIM count (sent or possibly sent) and
/// the port's health (bench after repeated failures). Shared by the AT and Dinstar HTTP workers.
pub(crate) async fn record_send(
    b: SendBook<'_>,
    id: i64,
    out: &SendOutcome,
    port_failed: bool,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) {
    let spool = b.spool;
    let recorded = match out {
        SendOutcome::Sent(parts) => {
            b.sup.counters.sent += 1;
            b.metrics.record_send(b.port);
            let parts = parts.clone();
            spool.call(move |db| db.mark_sent(id, &parts)).await
        }
        SendOutcome::Retry { reason, after } => {
            b.sup.counters.failed += 1;
            b.metrics.record_failure(b.port, "retry");
            let (reason, at) = (
                reason.clone(),
                now + chrono::Duration::from_std(*after).unwrap_or_default(),
            );
            tracing::info!(port = b.port, id, reason, "send failed; retrying later");
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
    if matches!(out, SendOutcome::Sent(_) | SendOutcome::Unknown { .. })
        && let Some(sim) = b.sup.sim.iccid.clone().or(b.sup.sim.imsi.clone())
    {
        let keys = window_keys(now, tz);
        if let Err(e) = spool.call(move |db| db.count_send(&sim, &keys)).await {
            tracing::error!(port = b.port, error = %e, "counting the send failed");
        }
    }
    if port_failed {
        if let Availability::Benched { until } = b.health.record_failure(Instant::now()) {
            tracing::warn!(
                port = b.port,
                ?until,
                "port benched after repeated failures"
            );
        }
    } else {
        b.health.record_success();
    }
}

/// A text-mode field (number, body) as the modem shows it in its character set: UCS2 hex
/// when `ucs2`, else GSM 7-bit codes one per character. A field that is not valid in that
/// character set (a modem that ignores it for this field) is kept as shown.
pub fn text_field(raw: &str, ucs2: bool) -> String {
    if ucs2 {
        smsgate_pdu::ucs2::from_hex(raw).unwrap_or_else(|_| raw.to_owned())
    } else if raw.chars().all(|c| u32::from(c) < 0x80) {
        smsgate_pdu::gsm7::decode_unpacked(raw.as_bytes())
    } else {
        raw.to_owned()
    }
}

/// A stored text-mode SMS as a whole inbound message (text mode shows no concatenation
/// header, so each stored part is a message of its own).
pub fn text_message(t: &TextMessage, ucs2: bool) -> InboundMessage {
    let text = text_field(&t.body, ucs2);
    InboundMessage {
        sender: text_field(&t.number, ucs2),
        reference: None,
        total: 1,
        data: text.as_bytes().to_vec(),
        encoding: if ucs2 { Encoding::Ucs2 } else { Encoding::Gsm7 },
        text,
        timestamp: t.timestamp.as_ref().map(|ts| ts.time),
        received: vec![1],
        missing: Vec::new(),
        complete: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_mode_fields_decode_from_ucs2_hex_and_from_gsm_codes() {
        assert_eq!(text_field("041F04400438", true), "При");
        assert_eq!(text_field("002B00330033", true), "+33");
        // Not valid UCS2 hex: kept as the modem showed it.
        assert_eq!(text_field("+3361", true), "+3361");
        // GSM codes: 0x00 is '@'.
        assert_eq!(text_field("a\u{0}b", false), "a@b");
        assert_eq!(text_field("Привет", false), "Привет");
    }

    #[test]
    fn a_text_mode_message_becomes_a_whole_single_part_inbound_message() {
        let t = TextMessage {
            index: Some(3),
            status: None,
            number: "002B0031".into(),
            alpha: None,
            timestamp: None,
            dcs: None,
            body: "00680069".into(),
        };
        let m = text_message(&t, true);
        assert_eq!((m.sender.as_str(), m.text.as_str()), ("+1", "hi"));
        assert!(m.complete && m.missing.is_empty());
        assert_eq!(m.total, 1);
    }
}
