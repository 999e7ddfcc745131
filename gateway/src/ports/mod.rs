//! Port workers: one task per modem port drives its `smsgate_modem::Modem` — open with backoff,
//! probe/init, supervise (registration, signal, SIM), send what the dispatcher hands it (pacing,
//! outcome, failover), receive (URCs + storage sweep + reassembly), record delivery reports,
//! USSD, reset and power-cycle a hung modem, reopen an unplugged one.
//!
//! - [`supervision`]: the pure per-port state machine ([`PortState`], [`Supervisor`]).
//! - [`outcome`]: the pure meaning of a send result ([`outcome::SendOutcome`]).
//! - [`inbound`]: pure reassembly with SIM-slot bookkeeping ([`inbound::InboundTracker`]).
//! - [`watchdog`]: the pure hang / lost-settings machine ([`watchdog::Watchdog`]).
//! - [`storage`]: the pure storage-full watch and sweep order.
//! - [`worker`]: the async worker ([`worker::PortWorker`]); its sending is in [`send`], its
//!   receiving and storage sweeps in [`receive`], its health checks and recovery in [`recover`].
//! - here: the [`Board`] the workers publish to and the dispatchers read (who is idle, who may
//!   send, which SIM), and [`PortsHandle`] (API access: status, reset, power cycle, USSD, AT log).
//! - [`atlog`]: each AT port's recent traffic in a bounded ring, secrets masked.

pub mod atlog;
pub mod inbound;
pub mod outcome;
pub mod receive;
mod recover;
pub mod send;
pub mod sim_power;
pub mod storage;
pub mod supervision;
pub mod watchdog;
pub mod worker;

pub use supervision::{
    BenchView, Observation, PortCounters, PortState, SimIdentity, StorageView, Supervisor,
};

use crate::dispatch::failover::{FailedOn, FailoverBook};

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot, watch};

/// Work and commands for one port worker.
#[derive(Debug)]
pub enum PortCommand {
    /// Claim message `id` (the dispatcher picked this port for it) and send it.
    Send(Job),
    /// Soft-reset the modem (`AT+CFUN`) and re-initialise.
    Reset(oneshot::Sender<Result<(), String>>),
    /// Turn the modem off and on through its power control ([`PowerCycle`]) and open it
    /// again; answered once the power cycle is done (an error when no power control is wired).
    PowerCycle(oneshot::Sender<Result<(), PowerCycleError>>),
    /// Run a USSD code and answer with the network's text.
    Ussd {
        /// The code (`*100#`).
        code: String,
        /// The answer.
        reply: oneshot::Sender<Result<UssdAnswer, String>>,
    },
}

/// A message the dispatcher wants this port to send.
#[derive(Debug, Clone)]
pub struct Job {
    /// Message id (still `queued`; the worker claims it).
    pub id: i64,
    /// Its group.
    pub group: String,
    /// The group's time zone (per-SIM counter windows).
    pub tz: chrono_tz::Tz,
    /// The port's pacing interval (the largest of the groups that include the port), applied
    /// to every submission (each part) on the port.
    pub interval_ms: u64,
    /// The port's jitter (the largest of those groups).
    pub jitter_ms: u64,
}

/// A USSD answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UssdAnswer {
    /// Decoded text.
    pub text: Option<String>,
    /// `<m>` status as the modem gave it.
    pub status: String,
}

/// Soft power control of a modem (the hardware crate's `PowerControl` or a test fake).
pub trait PowerCycle: Send {
    /// Turns the modem off and on again (blocking; run off the async threads).
    fn power_cycle(&mut self) -> Result<(), String>;
}

impl<K, R, S, D> PowerCycle for smsgate_hardware::power::PowerControl<K, R, S, D>
where
    K: embedded_hal::digital::OutputPin + Send,
    R: embedded_hal::digital::OutputPin + Send,
    S: embedded_hal::digital::InputPin + Send,
    D: embedded_hal::delay::DelayNs + Send,
{
    fn power_cycle(&mut self) -> Result<(), String> {
        smsgate_hardware::power::PowerControl::power_cycle(self).map_err(|e| e.to_string())
    }
}

/// What one port publishes for the dispatchers.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Free and paced: a job sent now starts at once.
    pub idle: bool,
    /// Registered, not benched: may be given work.
    pub available: bool,
    /// SIM identity for per-SIM caps (ICCID, else IMSI).
    pub sim: Option<String>,
    /// The full supervision view (API).
    pub status: Supervisor,
}

/// Shared port table: workers write their slot, dispatchers read and reserve. It also keeps
/// which ports failed which message ([`FailoverBook`]): workers record, dispatchers route around.
#[derive(Debug, Clone)]
pub struct Board {
    slots: Arc<Mutex<BTreeMap<u16, Slot>>>,
    changed: watch::Sender<u64>,
    failover: Arc<Mutex<FailoverBook>>,
}

impl Board {
    /// A board with one (absent, busy) slot per port.
    pub fn new(ports: impl IntoIterator<Item = u16>) -> Self {
        let slots = ports
            .into_iter()
            .map(|p| {
                (
                    p,
                    Slot {
                        idle: false,
                        available: false,
                        sim: None,
                        status: Supervisor::new(p),
                    },
                )
            })
            .collect();
        Self {
            slots: Arc::new(Mutex::new(slots)),
            changed: watch::channel(0).0,
            failover: Arc::new(Mutex::new(FailoverBook::default())),
        }
    }

    fn failover_book(&self) -> MutexGuard<'_, FailoverBook> {
        self.failover
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Message `id` failed on `port` (nothing went out): other ports of its group get it
    /// first; `port` may try again after `retry_after` only if none can.
    pub fn failed_on(&self, id: i64, port: u16, retry_after: std::time::Duration) {
        self.failover_book()
            .failed(id, port, tokio::time::Instant::now(), retry_after);
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Message `id` settled: forget where it failed.
    pub fn settled(&self, id: i64) {
        self.failover_book().settled(id);
    }

    /// Where message `id` failed, if it did.
    pub fn failures(&self, id: i64) -> Option<FailedOn> {
        self.failover_book().get(id).cloned()
    }

    /// How many distinct ports failed message `id`.
    pub fn ports_failed(&self, id: i64) -> usize {
        self.failover_book().ports_failed(id)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u16, Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Subscribes to changes (a bump on every publish).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// A worker publishes its state.
    pub fn publish(&self, port: u16, idle: bool, available: bool, status: &Supervisor) {
        let sim = status.sim.iccid.clone().or_else(|| status.sim.imsi.clone());
        let changed = {
            let mut slots = self.lock();
            let Some(s) = slots.get_mut(&port) else {
                return;
            };
            let changed = s.idle != idle || s.available != available || s.sim != sim;
            s.idle = idle;
            s.available = available;
            s.sim = sim;
            s.status = status.clone();
            if !s.status.benched {
                s.status.bench = None;
            }
            changed
        };
        if changed {
            self.changed.send_modify(|v| *v = v.wrapping_add(1));
        }
    }

    /// A copy of every slot.
    pub fn snapshot(&self) -> BTreeMap<u16, Slot> {
        self.lock().clone()
    }

    /// Reserves `port` if it is idle and available (the dispatcher is about to hand it a job).
    pub fn reserve(&self, port: u16) -> bool {
        let mut slots = self.lock();
        match slots.get_mut(&port) {
            Some(s) if s.idle && s.available => {
                s.idle = false;
                true
            }
            _ => false,
        }
    }
}

/// The API's access to the ports: status from the board, commands to the workers.
#[derive(Debug, Clone, Default)]
pub struct PortsHandle {
    board: Option<Board>,
    senders: Arc<BTreeMap<u16, mpsc::Sender<PortCommand>>>,
    /// Sends the Dinstar HTTP ports hold (a cancel of a `sending` message reaches `stop_sms`).
    dinstar: crate::dinstar_http::InFlight,
    /// The AT ports' traffic logs.
    at_logs: atlog::AtLogs,
}

/// Why a power cycle was not done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PowerCycleError {
    /// The port has no power control (none configured, or a kind of port that has none).
    #[error("no power control is wired for this port{}", .0.as_deref().map(|w| format!(" ({w})")).unwrap_or_default())]
    NotWired(Option<String>),
    /// The power control failed.
    #[error("{0}")]
    Failed(String),
}

/// Errors of port commands.
#[derive(Debug, thiserror::Error)]
pub enum PortCommandError {
    /// No such port.
    #[error("port {0} is not configured")]
    NoPort(u16),
    /// The worker has stopped.
    #[error("port {0} is shutting down")]
    Stopped(u16),
    /// The port has no power control to cycle.
    #[error("port {port}: {reason}")]
    NoPowerControl {
        /// Port.
        port: u16,
        /// The worker's words.
        reason: PowerCycleError,
    },
    /// The modem refused or failed.
    #[error("port {port}: {message}")]
    Failed {
        /// Port.
        port: u16,
        /// Why.
        message: String,
    },
}

impl PortsHandle {
    /// A handle over running workers.
    pub fn new(board: Board, senders: BTreeMap<u16, mpsc::Sender<PortCommand>>) -> Self {
        Self {
            board: Some(board),
            senders: Arc::new(senders),
            dinstar: crate::dinstar_http::InFlight::default(),
            at_logs: atlog::AtLogs::default(),
        }
    }

    /// Gives the API the AT ports' traffic logs.
    pub fn with_at_logs(mut self, logs: atlog::AtLogs) -> Self {
        self.at_logs = logs;
        self
    }

    /// The AT traffic log of `port` (`None`: not an AT port).
    pub fn at_log(&self, port: u16) -> Option<atlog::AtLog> {
        self.at_logs.get(port)
    }

    /// The sends the Dinstar HTTP ports hold, for cancels of `sending` messages.
    pub fn with_dinstar(mut self, inflight: crate::dinstar_http::InFlight) -> Self {
        self.dinstar = inflight;
        self
    }

    /// See [`PortsHandle::with_dinstar`].
    pub fn dinstar(&self) -> &crate::dinstar_http::InFlight {
        &self.dinstar
    }

    /// Board changes (a bump when a port's availability or SIM changes); `None` without a
    /// board.
    pub fn subscribe(&self) -> Option<watch::Receiver<u64>> {
        self.board.as_ref().map(Board::subscribe)
    }

    /// Supervision view of every port.
    pub fn statuses(&self) -> Vec<Supervisor> {
        self.board
            .as_ref()
            .map(|b| b.snapshot().into_values().map(|s| s.status).collect())
            .unwrap_or_default()
    }

    async fn ask<T>(
        &self,
        port: u16,
        make: impl FnOnce(oneshot::Sender<Result<T, String>>) -> PortCommand,
    ) -> Result<T, PortCommandError> {
        let tx = self
            .senders
            .get(&port)
            .ok_or(PortCommandError::NoPort(port))?;
        let (reply, rx) = oneshot::channel();
        tx.send(make(reply))
            .await
            .map_err(|_| PortCommandError::Stopped(port))?;
        rx.await
            .map_err(|_| PortCommandError::Stopped(port))?
            .map_err(|message| PortCommandError::Failed { port, message })
    }

    /// Resets the modem of `port` and waits until it is re-initialised.
    pub async fn reset(&self, port: u16) -> Result<(), PortCommandError> {
        self.ask(port, PortCommand::Reset).await
    }

    /// Power-cycles the modem of `port` (its power control) and waits until the power is back.
    pub async fn power_cycle(&self, port: u16) -> Result<(), PortCommandError> {
        let tx = self
            .senders
            .get(&port)
            .ok_or(PortCommandError::NoPort(port))?;
        let (reply, rx) = oneshot::channel();
        tx.send(PortCommand::PowerCycle(reply))
            .await
            .map_err(|_| PortCommandError::Stopped(port))?;
        match rx.await.map_err(|_| PortCommandError::Stopped(port))? {
            Ok(()) => Ok(()),
            Err(reason @ PowerCycleError::NotWired(_)) => {
                Err(PortCommandError::NoPowerControl { port, reason })
            }
            Err(PowerCycleError::Failed(message)) => {
                Err(PortCommandError::Failed { port, message })
            }
        }
    }

    /// Runs a USSD code on `port`.
    pub async fn ussd(&self, port: u16, code: &str) -> Result<UssdAnswer, PortCommandError> {
        let code = code.to_string();
        self.ask(port, |reply| PortCommand::Ussd { code, reply })
            .await
    }
}
