//! The virtual GSM network: one task per modem (its [`ModemCore`] behind a [`Pty`]), a virtual SMSC that
//! routes SMS between SIMs or to recorded external handsets, delivery reports, inbound injection and faults.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::at::{CoreStatus, Event, ModemCore, NetworkInfo, Output};
use super::config::{ConfigError, LabConfig, ModemSpec, Registration};
use super::profile::ProfileId;
use super::pty::Pty;
use crate::clock::Clock;

/// Errors of the lab API.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The pty directory or a pty could not be created.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No such modem.
    #[error("modem: no modem {0} in this lab")]
    NoModem(usize),
    /// No SIM has this number.
    #[error("to: no SIM in this lab has the number {0}")]
    NoSim(String),
    /// The text or a number cannot be encoded.
    #[error("{field}: {message}")]
    Encode {
        /// Field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// The lab was stopped.
    #[error("the lab is stopped")]
    Stopped,
}

/// A fault to apply to one modem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// No answer (not even echo) to the next `commands` command lines.
    Hang {
        /// How many lines.
        commands: u32,
    },
    /// The network refuses the next `sends` submissions from this modem with RP/CMS cause `code` (38
    /// network out of order, 41 temporary failure, 42 congestion, 500…): the modem answers
    /// `+CMS ERROR: <code>` (plain `ERROR` on a generic modem with `+CMEE=0`).
    CmsError {
        /// CMS code.
        code: u16,
        /// How many sends.
        sends: u32,
    },
    /// The network accepts the next `sends` submissions from this modem (the handset receives them
    /// and their status reports follow), but the modem's answer (`+CMGS: <mr>`, `OK`) is lost on the
    /// line, as on a serial glitch or a firmware stall: the sender cannot know the SMS went out.
    /// The modem answers later commands normally. Each report follows after `report_delay_ms`
    /// (default: the lab's `delivery_report_delay_ms`), so a test can make it arrive after the
    /// sender gave up on the answer.
    AnswerLost {
        /// How many sends.
        sends: u32,
        /// Delay of these sends' status reports, in ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report_delay_ms: Option<u64>,
    },
    /// Pull the SIM out.
    SimRemoved,
    /// Put the SIM back.
    SimInserted,
    /// Lock the SIM with this PIN.
    PinLocked {
        /// PIN.
        pin: String,
    },
    /// Registration change (lost = `searching`, `denied`, `roaming`, `home`, `not-registered`).
    Network {
        /// New state.
        state: Registration,
    },
    /// Signal strength (`+CSQ` rssi).
    Signal {
        /// 0–31 or 99.
        rssi: u8,
    },
    /// Unplug the modem: the pty closes and the symlink disappears.
    Unplug,
    /// Plug it back: a new pty behind the same symlink, boot URCs.
    Plug,
    /// Random bytes on the line.
    Garbage {
        /// How many bytes.
        bytes: usize,
    },
    /// A burst of unsolicited lines.
    UrcStorm {
        /// How many lines.
        count: usize,
    },
    /// SMS storage full: every free slot of the memory gets a message stored earlier and never read
    /// (status reports for `SR`), so new ones wait at the network until a delete frees a slot.
    /// `full: false` removes what the fault stored that is still there.
    StorageFull {
        /// Full?
        full: bool,
        /// The memory (`SM`, `ME`, `SR`); default where received messages go (`+CPMS` `<mem3>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        memory: Option<String>,
    },
    /// The modem reboots (as after `AT+CFUN=1,1`).
    Reboot,
    /// Power off (pty gone, as the power key does on a USB-less module).
    PowerOff,
    /// Power on (pty back, boot URCs).
    PowerOn,
}

/// An SMS from the outside world to a SIM of the lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    /// Sender: `+33612…` international, `0612…` national, or letters (alphanumeric).
    pub from: String,
    /// A SIM's number, or `#N` for modem N.
    pub to: String,
    /// Any text (UCS2 / emoji included).
    pub text: String,
    /// Force an encoding (`gsm7`, `ucs2`, `8bit`); default the smallest.
    #[serde(default)]
    pub encoding: Option<smsgate_pdu::Encoding>,
    /// Deliver the parts of a long text in reverse order.
    #[serde(default)]
    pub out_of_order: bool,
    /// Do not deliver this part (1-based).
    #[serde(default)]
    pub drop_part: Option<usize>,
}

/// What an external handset received: one message, parts reassembled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandsetMessage {
    /// Recipient (the handset).
    pub to: String,
    /// Sender SIM number.
    pub from: String,
    /// Index of the sending modem.
    pub from_modem: usize,
    /// Reassembled text.
    pub text: String,
    /// `gsm7`, `8bit` or `ucs2`.
    pub encoding: smsgate_pdu::Encoding,
    /// Number of parts.
    pub parts: usize,
    /// TP-MR of each part, in part order.
    pub message_refs: Vec<u8>,
    /// Whether a status report was requested.
    pub status_report_requested: bool,
    /// When the first part reached the SMSC.
    pub first_part_at: DateTime<FixedOffset>,
    /// When the last part reached the SMSC.
    pub completed_at: DateTime<FixedOffset>,
}

/// One SMS-SUBMIT part as the network saw it (accepted or refused), for the control API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Index of the sending modem.
    pub modem: usize,
    /// Recipient.
    pub to: String,
    /// The part's text.
    pub text: String,
    /// TP-MR the modem assigned.
    pub mr: u8,
    /// The CMS cause the network refused it with; `None` = accepted.
    pub refused: Option<u16>,
    /// When.
    pub at: DateTime<FixedOffset>,
}

/// Submissions kept for [`Lab::submissions`] (oldest dropped first).
pub const SUBMISSIONS_KEPT: usize = 10_000;

/// Sender of the messages the storage-full fault stores.
pub const FILLER_SENDER: &str = "+15550000999";

/// A modem as the control API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ModemStatus {
    /// Index.
    pub index: usize,
    /// Profile name.
    pub profile: ProfileId,
    /// SIM number.
    pub msisdn: String,
    /// IMSI.
    pub imsi: String,
    /// ICCID.
    pub iccid: String,
    /// IMEI.
    pub imei: String,
    /// The stable symlink.
    pub path: PathBuf,
    /// The current pty slave, if plugged and powered.
    pub tty: Option<PathBuf>,
    /// USB plugged.
    pub plugged: bool,
    /// Powered.
    pub powered: bool,
    /// Interpreter state.
    pub state: CoreStatus,
}

enum Cmd {
    Deliver(Vec<u8>),
    StatusReport(Vec<u8>),
    SubmitDone(u8, Result<Answer, u16>),
    Ussd(u8, String),
    Boot,
    Fault(Fault, oneshot::Sender<()>),
    Snapshot(oneshot::Sender<ModemStatus>),
    /// A TCP client (Dinstar AT mode) takes over the module's line; false if one is already attached.
    Attach(mpsc::UnboundedSender<Vec<u8>>, oneshot::Sender<bool>),
    /// Bytes from the attached TCP client.
    Input(Vec<u8>),
}

pub(crate) struct ModemSlot {
    pub(crate) spec: ModemSpec,
    link: PathBuf,
    tx: mpsc::UnboundedSender<Cmd>,
}

#[derive(Default)]
struct Partial {
    parts: BTreeMap<u8, (String, u8)>,
    first_at: Option<DateTime<FixedOffset>>,
}

#[derive(Default)]
struct Net {
    handsets: BTreeMap<String, Vec<HandsetMessage>>,
    partials: HashMap<(usize, String, u16, u8), Partial>,
    sends: HashMap<usize, VecDeque<Instant>>,
    concat_ref: u16,
    /// Per modem: refuse the next n submissions with this cause (`Fault::CmsError`).
    refusals: HashMap<usize, (u16, u32)>,
    /// Per modem: lose the answer to the next n submissions, their reports after this delay
    /// (`Fault::AnswerLost`).
    lost_answers: HashMap<usize, (u32, Option<u64>)>,
    submissions: VecDeque<Submission>,
    /// Every submission seen since the start (the log keeps the last ones only).
    submitted: u64,
}

impl Net {
    fn log(&mut self, s: Submission) {
        self.submitted += 1;
        if self.submissions.len() >= SUBMISSIONS_KEPT {
            self.submissions.pop_front();
        }
        self.submissions.push_back(s);
    }
}

pub(crate) struct Inner {
    pub(crate) cfg: LabConfig,
    pub(crate) clock: Arc<dyn Clock>,
    cancel: CancellationToken,
    pub(crate) modems: Vec<ModemSlot>,
    net: Mutex<Net>,
    changed: watch::Sender<u64>,
    /// Lab modem index of each Dinstar port.
    pub(crate) dinstar_ports: Vec<usize>,
    /// The Dinstar gateway's own store (HTTP mode).
    pub(crate) gateway: Mutex<super::dinstar::GatewayStore>,
}

/// A running simulated GSM lab. Cheap to clone; stops when the cancellation token fires.
#[derive(Clone)]
pub struct Lab {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("modems", &self.inner.modems.len())
            .finish()
    }
}

fn lock(m: &Mutex<Net>) -> std::sync::MutexGuard<'_, Net> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Lab {
    /// Validates `cfg`, creates `cfg.dir`, opens one pty per modem and starts the network.
    /// Must be called inside a tokio runtime.
    pub fn start(
        cfg: LabConfig,
        clock: Arc<dyn Clock>,
        cancel: CancellationToken,
    ) -> Result<Lab, LabError> {
        let specs = cfg.resolve()?;
        std::fs::create_dir_all(&cfg.dir).map_err(|source| LabError::Io {
            path: cfg.dir.clone(),
            source,
        })?;
        let net = NetworkInfo {
            smsc: cfg.smsc.clone(),
            operator: cfg.operator.clone(),
            operator_numeric: cfg.operator_numeric.clone(),
            balance_code: cfg.balance_code.clone(),
        };
        let mut ptys = Vec::new();
        let mut slots = Vec::new();
        let mut rxs = Vec::new();
        for spec in &specs {
            let link = cfg.dir.join(format!("ttyUSB{}", spec.index));
            let pty = Pty::open(&link).map_err(|source| LabError::Io {
                path: link.clone(),
                source,
            })?;
            let (tx, rx) = mpsc::unbounded_channel();
            ptys.push(pty);
            rxs.push(rx);
            slots.push(ModemSlot {
                spec: spec.clone(),
                link,
                tx,
            });
        }
        let (changed, _) = watch::channel(0);
        let dinstar_ports = cfg.dinstar_ports(&specs);
        let inner = Arc::new(Inner {
            dinstar_ports,
            gateway: Mutex::new(super::dinstar::GatewayStore::new(cfg.dinstar.clone())),
            cfg,
            clock,
            cancel,
            modems: slots,
            net: Mutex::new(Net::default()),
            changed,
        });
        for ((spec, pty), rx) in specs.into_iter().zip(ptys).zip(rxs) {
            let core = ModemCore::new(spec, &net);
            tokio::spawn(run_modem(inner.clone(), core, pty, rx));
        }
        Ok(Lab { inner })
    }

    /// The resolved modem specs.
    pub fn specs(&self) -> Vec<ModemSpec> {
        self.inner.modems.iter().map(|m| m.spec.clone()).collect()
    }

    /// The stable symlink of modem `i` (`DIR/ttyUSB<i>`).
    pub fn modem_path(&self, i: usize) -> Option<&Path> {
        self.inner.modems.get(i).map(|m| m.link.as_path())
    }

    /// The lab's configuration.
    pub fn config(&self) -> &LabConfig {
        &self.inner.cfg
    }

    /// The cancellation token that stops the lab.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// Lab modem index of each Dinstar port (port 0 first).
    pub fn dinstar_ports(&self) -> &[usize] {
        &self.inner.dinstar_ports
    }

    /// Attaches a TCP client to modem `i`'s line: returns the channel for its input, and whether the module
    /// accepted (false when it is off, unplugged or already in use).
    pub(crate) async fn attach(
        &self,
        i: usize,
        out: mpsc::UnboundedSender<Vec<u8>>,
    ) -> Result<bool, LabError> {
        let (tx, rx) = oneshot::channel();
        self.slot(i)?
            .tx
            .send(Cmd::Attach(out, tx))
            .map_err(|_| LabError::Stopped)?;
        rx.await.map_err(|_| LabError::Stopped)
    }

    /// Feeds bytes from an attached TCP client to modem `i`.
    pub(crate) fn input(&self, i: usize, bytes: Vec<u8>) -> Result<(), LabError> {
        self.slot(i)?
            .tx
            .send(Cmd::Input(bytes))
            .map_err(|_| LabError::Stopped)
    }

    fn slot(&self, i: usize) -> Result<&ModemSlot, LabError> {
        self.inner.modems.get(i).ok_or(LabError::NoModem(i))
    }

    /// State of every modem.
    pub async fn modems(&self) -> Result<Vec<ModemStatus>, LabError> {
        let mut out = Vec::new();
        for m in &self.inner.modems {
            let (tx, rx) = oneshot::channel();
            m.tx.send(Cmd::Snapshot(tx))
                .map_err(|_| LabError::Stopped)?;
            out.push(rx.await.map_err(|_| LabError::Stopped)?);
        }
        Ok(out)
    }

    /// Applies a fault to modem `i` (returns once the modem applied it).
    pub async fn fault(&self, i: usize, fault: Fault) -> Result<(), LabError> {
        let (tx, rx) = oneshot::channel();
        self.slot(i)?
            .tx
            .send(Cmd::Fault(fault, tx))
            .map_err(|_| LabError::Stopped)?;
        rx.await.map_err(|_| LabError::Stopped)
    }

    /// Queues a fault for modem `i` without waiting (for synchronous callers such as simulated pins).
    pub fn fault_nowait(&self, i: usize, fault: Fault) -> Result<(), LabError> {
        let (tx, _rx) = oneshot::channel();
        self.slot(i)?
            .tx
            .send(Cmd::Fault(fault, tx))
            .map_err(|_| LabError::Stopped)
    }

    /// Injects an SMS from outside; returns how many parts were delivered to the SIM.
    pub fn inject(&self, msg: &Inbound) -> Result<usize, LabError> {
        let idx = match msg.to.strip_prefix('#') {
            Some(n) => n
                .parse::<usize>()
                .map_err(|_| LabError::NoSim(msg.to.clone()))?,
            None => self
                .inner
                .modems
                .iter()
                .position(|m| m.spec.msisdn == msg.to)
                .ok_or_else(|| LabError::NoSim(msg.to.clone()))?,
        };
        let slot = self.slot(idx)?;
        let concat_ref = {
            let mut net = lock(&self.inner.net);
            // An 8-bit reference, as most handsets and SMSCs send: it wraps after 255.
            net.concat_ref = (net.concat_ref + 1) % 256;
            net.concat_ref
        };
        let opts = smsgate_pdu::DeliverOptions {
            smsc: Some(self.inner.cfg.smsc.clone()),
            timestamp: self.inner.clock.now(),
            concat_ref,
            concat_16bit: false,
            encoding: msg.encoding,
            status_report_indication: false,
            national_language: None,
        };
        let mut parts = smsgate_pdu::encode_deliver(&msg.from, &msg.text, &opts).map_err(|e| {
            LabError::Encode {
                field: "text",
                message: e.to_string(),
            }
        })?;
        if let Some(n) = msg.drop_part {
            if n == 0 || n > parts.len() {
                return Err(LabError::Encode {
                    field: "drop_part",
                    message: format!("{n} is not a part number 1–{}", parts.len()),
                });
            }
            parts.remove(n - 1);
        }
        if msg.out_of_order {
            parts.reverse();
        }
        let n = parts.len();
        if slot.tx.is_closed() {
            return Err(LabError::Stopped);
        }
        for p in parts {
            self.inner.deliver(idx, p.bytes);
        }
        Ok(n)
    }

    /// Delivers one SMS-DELIVER PDU (with its SMSC prefix) to modem `i` as the network would:
    /// a test sends the parts of one message at times of its choosing.
    pub fn deliver_pdu(&self, i: usize, pdu: Vec<u8>) -> Result<(), LabError> {
        let slot = self.slot(i)?;
        if slot.tx.is_closed() {
            return Err(LabError::Stopped);
        }
        self.inner.deliver(i, pdu);
        Ok(())
    }

    /// Every SMS-SUBMIT part the network saw (the last [`SUBMISSIONS_KEPT`]), accepted or refused, in order.
    pub fn submissions(&self) -> Vec<Submission> {
        lock(&self.inner.net).submissions.iter().cloned().collect()
    }

    /// How many SMS-SUBMIT parts the network has seen since the start, accepted or refused.
    pub fn submission_count(&self) -> u64 {
        lock(&self.inner.net).submitted
    }

    /// Everything every external handset received.
    pub fn handsets(&self) -> BTreeMap<String, Vec<HandsetMessage>> {
        lock(&self.inner.net).handsets.clone()
    }

    /// What the handset `number` received.
    pub fn handset(&self, number: &str) -> Vec<HandsetMessage> {
        lock(&self.inner.net)
            .handsets
            .get(number)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until handset `number` has at least `count` messages (or the lab stops).
    pub async fn wait_handset(&self, number: &str, count: usize) -> Vec<HandsetMessage> {
        let mut rx = self.inner.changed.subscribe();
        loop {
            let got = self.handset(number);
            if got.len() >= count {
                return got;
            }
            tokio::select! {
                r = rx.changed() => if r.is_err() { return got },
                _ = self.inner.cancel.cancelled() => return got,
            }
        }
    }
}

impl Inner {
    /// Whether modem `idx` is a port of a Dinstar gateway in HTTP mode (the gateway keeps its SMS).
    fn gateway_port(&self, idx: usize) -> Option<usize> {
        let http = self
            .cfg
            .dinstar
            .as_ref()
            .is_some_and(|d| d.mode == super::config::DinstarMode::Http);
        if !http {
            return None;
        }
        self.dinstar_ports.iter().position(|m| *m == idx)
    }

    /// Delivers an SMS-DELIVER PDU to modem `idx` (or to its Dinstar gateway's store).
    pub(crate) fn deliver(&self, idx: usize, pdu: Vec<u8>) {
        match self.gateway_port(idx) {
            Some(port) => {
                let imsi = self.modems[idx].spec.imsi.clone();
                super::dinstar::gateway_inbound(&self.gateway, port, &imsi, &pdu, self.clock.now());
            }
            None => {
                let _ = self.modems[idx].tx.send(Cmd::Deliver(pdu));
            }
        }
    }

    /// Delivers a status report to modem `idx` (or to its Dinstar gateway's store).
    pub(crate) fn status_report(&self, idx: usize, pdu: Vec<u8>) {
        match self.gateway_port(idx) {
            Some(port) => {
                let imsi = self.modems[idx].spec.imsi.clone();
                super::dinstar::gateway_status_report(
                    &self.gateway,
                    port,
                    &imsi,
                    &pdu,
                    self.clock.now(),
                );
            }
            None => {
                let _ = self.modems[idx].tx.send(Cmd::StatusReport(pdu));
            }
        }
    }

    /// The SMSC receives one SMS-SUBMIT part from modem `from`.
    pub(crate) fn route_submit(
        self: &Arc<Self>,
        from: usize,
        mr: u8,
        tpdu: &[u8],
    ) -> Result<Answer, u16> {
        let submit = match smsgate_pdu::decode_tpdu(tpdu) {
            Ok(smsgate_pdu::Pdu::Submit(s)) => s,
            // RP cause 96/invalid mandatory information would come back from a real SMSC; modems show 500.
            _ => return Err(500),
        };
        let now = self.clock.now();
        let mut answer = Answer::Sent;
        let mut report_delay_ms = self.cfg.delivery_report_delay_ms;
        {
            let mut net = lock(&self.net);
            if let Some((n, delay)) = net.lost_answers.get(&from).copied() {
                if n > 1 {
                    net.lost_answers.insert(from, (n - 1, delay));
                } else {
                    net.lost_answers.remove(&from);
                }
                answer = Answer::Lost;
                report_delay_ms = delay.unwrap_or(report_delay_ms);
            }
            if let Some((code, n)) = net.refusals.get(&from).copied() {
                if n > 1 {
                    net.refusals.insert(from, (code, n - 1));
                } else {
                    net.refusals.remove(&from);
                }
                net.log(Submission {
                    modem: from,
                    to: submit.recipient.display(),
                    text: submit.user_data.text.clone(),
                    mr,
                    refused: Some(code),
                    at: now,
                });
                return Err(code);
            }
            net.log(Submission {
                modem: from,
                to: submit.recipient.display(),
                text: submit.user_data.text.clone(),
                mr,
                refused: None,
                at: now,
            });
            if let Some(rl) = &self.cfg.rate_limit {
                let q = net.sends.entry(from).or_default();
                let t = Instant::now();
                while q
                    .front()
                    .is_some_and(|f| t.duration_since(*f) >= Duration::from_secs(rl.per_seconds))
                {
                    q.pop_front();
                }
                if q.len() >= rl.max as usize {
                    return Err(rl.cms_error);
                }
                q.push_back(t);
            }
        }
        let to = submit.recipient.display();
        let sender = &self.modems[from].spec;
        let ud = &submit.user_data;
        let (key_ref, total, seq) = match &ud.concat {
            Some(c) => (c.reference, c.total, c.seq),
            None => (0, 1, 1),
        };
        let complete = {
            let mut net = lock(&self.net);
            let key = (from, to.clone(), key_ref, total);
            let p = net.partials.entry(key.clone()).or_default();
            p.first_at.get_or_insert(now);
            p.parts.insert(seq, (ud.text.clone(), mr));
            if p.parts.len() >= usize::from(total) {
                net.partials.remove(&key)
            } else {
                None
            }
        };
        if let Some(p) = complete {
            let text: String = p.parts.values().map(|(t, _)| t.as_str()).collect();
            let refs: Vec<u8> = p.parts.values().map(|(_, m)| *m).collect();
            let target = self.modems.iter().position(|m| m.spec.msisdn == to);
            match target {
                Some(t) => {
                    let opts = smsgate_pdu::DeliverOptions {
                        smsc: Some(self.cfg.smsc.clone()),
                        timestamp: now,
                        concat_ref: key_ref,
                        concat_16bit: key_ref > 255,
                        encoding: Some(ud.encoding),
                        status_report_indication: false,
                        national_language: None,
                    };
                    if let Ok(parts) = smsgate_pdu::encode_deliver(&sender.msisdn, &text, &opts) {
                        for part in parts {
                            self.deliver(t, part.bytes);
                        }
                    }
                }
                None => {
                    let msg = HandsetMessage {
                        to: to.clone(),
                        from: sender.msisdn.clone(),
                        from_modem: from,
                        text,
                        encoding: ud.encoding,
                        parts: refs.len(),
                        message_refs: refs,
                        status_report_requested: submit.status_report_request,
                        first_part_at: p.first_at.unwrap_or(now),
                        completed_at: now,
                    };
                    lock(&self.net)
                        .handsets
                        .entry(to.clone())
                        .or_default()
                        .push(msg);
                    self.changed.send_modify(|v| *v += 1);
                }
            }
        }
        if submit.status_report_request {
            let failed = self.cfg.failing_numbers.contains(&to);
            let opts = smsgate_pdu::StatusReportOptions {
                smsc: Some(self.cfg.smsc.clone()),
                message_ref: mr,
                recipient: to,
                sc_timestamp: now,
                discharge_time: now,
                status: if failed { 0x41 } else { 0x00 },
            };
            let inner = self.clone();
            let delay = Duration::from_millis(report_delay_ms);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let mut opts = opts;
                opts.discharge_time = inner.clock.now();
                if let Ok(pdu) = smsgate_pdu::encode_status_report(&opts) {
                    inner.status_report(from, pdu.bytes);
                }
            });
        }
        Ok(answer)
    }
}

/// Whether the modem's answer to an accepted submission reaches the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `+CMGS: <mr>` and `OK`.
    Sent,
    /// Lost (`Fault::AnswerLost`).
    Lost,
}

struct ModemTask {
    inner: Arc<Inner>,
    core: ModemCore,
    pty: Option<Pty>,
    plugged: bool,
    powered: bool,
    tx: mpsc::UnboundedSender<Cmd>,
    tcp: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

enum Step {
    Stop,
    Tick,
    Cmd(Cmd),
    Read(std::io::Result<usize>),
}

async fn read_opt(pty: &Option<Pty>, buf: &mut [u8]) -> std::io::Result<usize> {
    match pty {
        Some(p) => p.read(buf).await,
        None => std::future::pending().await,
    }
}

async fn run_modem(
    inner: Arc<Inner>,
    core: ModemCore,
    pty: Pty,
    mut rx: mpsc::UnboundedReceiver<Cmd>,
) {
    let index = core.spec().index;
    let tx = inner.modems[index].tx.clone();
    let mut t = ModemTask {
        inner: inner.clone(),
        core,
        pty: Some(pty),
        plugged: true,
        powered: true,
        tx,
        tcp: None,
    };
    let mut buf = vec![0u8; 4096];
    let period = inner.cfg.periodic_urc_ms;
    let mut tick = tokio::time::interval(Duration::from_millis(period.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.reset();
    loop {
        let step = tokio::select! {
            _ = inner.cancel.cancelled() => Step::Stop,
            _ = tick.tick(), if period > 0 => Step::Tick,
            c = rx.recv() => c.map_or(Step::Stop, Step::Cmd),
            r = read_opt(&t.pty, &mut buf) => Step::Read(r),
        };
        match step {
            Step::Stop => break,
            Step::Tick => {
                let out = t.core.periodic_urc();
                t.emit(out).await;
            }
            Step::Read(Ok(0)) => {}
            Step::Read(Ok(n)) => {
                let out = t.core.feed(&buf[..n]);
                t.emit(out).await;
            }
            Step::Read(Err(e)) => {
                tracing::warn!(modem = index, "pty read failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Step::Cmd(c) => t.command(c).await,
        }
    }
}

impl ModemTask {
    fn index(&self) -> usize {
        self.core.spec().index
    }

    async fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(t) = &self.tcp {
            if t.send(bytes.to_vec()).is_ok() {
                return;
            }
            self.tcp = None;
        }
        if let Some(p) = &self.pty
            && !bytes.is_empty()
            && let Err(e) = p.write_all(bytes).await
        {
            tracing::warn!(modem = self.index(), "pty write failed: {e}");
        }
    }

    async fn emit(&mut self, out: Output) {
        self.write(&out.bytes).await;
        for ev in out.events {
            match ev {
                Event::Submit { mr, tpdu } => {
                    let inner = self.inner.clone();
                    let tx = self.tx.clone();
                    let from = self.index();
                    let base = self.core.spec().latency_ms;
                    let jitter = if base == 0 || inner.cfg.jitter_ms == 0 {
                        0
                    } else {
                        rand::rng().random_range(0..=inner.cfg.jitter_ms)
                    };
                    tokio::spawn(async move {
                        let d = Duration::from_millis(base + jitter);
                        if !d.is_zero() {
                            tokio::time::sleep(d).await;
                        }
                        let r = inner.route_submit(from, mr, &tpdu);
                        let _ = tx.send(Cmd::SubmitDone(mr, r));
                    });
                }
                Event::Ussd { code } => {
                    let (m, text) = if self.core.is_balance_code(&code) {
                        (0, self.core.spec().balance.clone())
                    } else {
                        (4, String::new())
                    };
                    let tx = self.tx.clone();
                    let d = Duration::from_millis(self.inner.cfg.ussd_delay_ms);
                    tokio::spawn(async move {
                        if !d.is_zero() {
                            tokio::time::sleep(d).await;
                        }
                        let _ = tx.send(Cmd::Ussd(m, text));
                    });
                }
                Event::Reboot => {
                    self.core.power_off();
                    self.schedule_boot();
                }
            }
        }
    }

    fn schedule_boot(&self) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = tx.send(Cmd::Boot);
        });
    }

    /// Fills the free slots of `memory` with messages (or reports for `SR`) stored earlier.
    fn fill_storage(&mut self, memory: Option<&str>) {
        let Some(free) = self.core.free_slots(memory) else {
            tracing::warn!(
                modem = self.index(),
                ?memory,
                "storage-full: no such memory"
            );
            return;
        };
        let now = self.inner.clock.now();
        let smsc = Some(self.inner.cfg.smsc.clone());
        let sr = memory.is_some_and(|m| m.eq_ignore_ascii_case("SR"));
        let pdus = (0..free)
            .filter_map(|i| {
                let made = if sr {
                    smsgate_pdu::encode_status_report(&smsgate_pdu::StatusReportOptions {
                        smsc: smsc.clone(),
                        message_ref: u8::try_from(i % 256).unwrap_or(0),
                        recipient: FILLER_SENDER.into(),
                        sc_timestamp: now,
                        discharge_time: now,
                        status: 0,
                    })
                } else {
                    let opts = smsgate_pdu::DeliverOptions {
                        smsc: smsc.clone(),
                        timestamp: now,
                        concat_ref: 0,
                        concat_16bit: false,
                        encoding: None,
                        status_report_indication: false,
                        national_language: None,
                    };
                    smsgate_pdu::encode_deliver(
                        FILLER_SENDER,
                        &format!("stored earlier {}", i + 1),
                        &opts,
                    )
                    .map(|mut p| p.remove(0))
                };
                made.ok().map(|p| p.bytes)
            })
            .collect();
        let n = self.core.fill_storage(memory, pdus);
        tracing::info!(modem = self.index(), n, ?memory, "storage filled");
    }

    fn reopen(&mut self) {
        let link = self.inner.modems[self.index()].link.clone();
        match Pty::open(&link) {
            Ok(p) => self.pty = Some(p),
            Err(e) => tracing::warn!(modem = self.index(), "cannot reopen pty: {e}"),
        }
    }

    async fn command(&mut self, c: Cmd) {
        match c {
            Cmd::Deliver(pdu) => {
                let out = self.core.receive(pdu);
                self.emit(out).await;
            }
            Cmd::StatusReport(pdu) => {
                let out = self.core.receive_status_report(pdu);
                self.emit(out).await;
            }
            Cmd::SubmitDone(mr, r) => {
                let out = match r {
                    Ok(Answer::Lost) => self.core.submit_answer_lost(),
                    Ok(Answer::Sent) => self.core.submit_done(mr, Ok(())),
                    Err(code) => self.core.submit_done(mr, Err(code)),
                };
                self.emit(out).await;
            }
            Cmd::Ussd(m, text) => {
                let out = self.core.ussd_reply(m, &text);
                self.emit(out).await;
            }
            Cmd::Boot => {
                if self.powered && self.plugged {
                    let out = self.core.boot();
                    self.emit(out).await;
                }
            }
            Cmd::Snapshot(reply) => {
                let spec = self.core.spec();
                let _ = reply.send(ModemStatus {
                    index: spec.index,
                    profile: spec.profile,
                    msisdn: spec.msisdn.clone(),
                    imsi: spec.imsi.clone(),
                    iccid: spec.iccid.clone(),
                    imei: spec.imei.clone(),
                    path: self.inner.modems[spec.index].link.clone(),
                    tty: self.pty.as_ref().map(|p| p.slave_path().to_owned()),
                    plugged: self.plugged,
                    powered: self.powered,
                    state: self.core.status(),
                });
            }
            Cmd::Fault(f, done) => {
                self.fault(f).await;
                let _ = done.send(());
            }
            Cmd::Attach(out, ok) => {
                let busy = self.tcp.as_ref().is_some_and(|t| !t.is_closed());
                let ready = self.plugged && self.powered && !busy;
                if ready {
                    self.tcp = Some(out);
                }
                let _ = ok.send(ready);
            }
            Cmd::Input(bytes) => {
                let out = self.core.feed(&bytes);
                self.emit(out).await;
            }
        }
    }

    async fn fault(&mut self, f: Fault) {
        let out = match f {
            Fault::Hang { commands } => {
                self.core.fault_hang(commands);
                Output::default()
            }
            Fault::CmsError { code, sends } => {
                let mut net = lock(&self.inner.net);
                if sends == 0 {
                    net.refusals.remove(&self.index());
                } else {
                    net.refusals.insert(self.index(), (code, sends));
                }
                Output::default()
            }
            Fault::AnswerLost {
                sends,
                report_delay_ms,
            } => {
                let mut net = lock(&self.inner.net);
                if sends == 0 {
                    net.lost_answers.remove(&self.index());
                } else {
                    net.lost_answers
                        .insert(self.index(), (sends, report_delay_ms));
                }
                Output::default()
            }
            Fault::SimRemoved => self.core.set_sim_present(false),
            Fault::SimInserted => self.core.set_sim_present(true),
            Fault::PinLocked { pin } => self.core.lock_pin(pin),
            Fault::Network { state } => self.core.set_registration(state),
            Fault::Signal { rssi } => self.core.set_signal(rssi),
            Fault::Garbage { bytes } => {
                let mut rng = rand::rng();
                Output {
                    bytes: (0..bytes).map(|_| rng.random::<u8>()).collect(),
                    events: Vec::new(),
                }
            }
            Fault::UrcStorm { count } => self.core.urc_storm(count),
            Fault::StorageFull { full: true, memory } => {
                self.fill_storage(memory.as_deref());
                Output::default()
            }
            Fault::StorageFull { full: false, .. } => self.core.clear_filler(),
            Fault::Reboot => {
                self.core.power_off();
                self.schedule_boot();
                Output::default()
            }
            Fault::Unplug | Fault::PowerOff => {
                if matches!(f, Fault::Unplug) {
                    self.plugged = false;
                } else {
                    self.powered = false;
                }
                self.core.power_off();
                self.pty = None;
                Output::default()
            }
            Fault::Plug | Fault::PowerOn => {
                if matches!(f, Fault::Plug) {
                    self.plugged = true;
                } else {
                    self.powered = true;
                }
                if self.plugged && self.powered && self.pty.is_none() {
                    self.reopen();
                    self.core.boot()
                } else {
                    Output::default()
                }
            }
        };
        self.emit(out).await;
    }
}
