//! The async [`Modem`]: one per modem port, owned by one worker task.
//!
//! It holds the engine handle, the engine's URC receiver and the vendor [`Profile`]. Methods
//! that wait for URCs (USSD, registration) keep every other URC they see, as typed events, for
//! [`Modem::next_event`] — nothing is lost while a request is in flight.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;
use smsgate_at::{AtCommand, AtError, CmeError, EngineHandle, UrcReceiver};
use smsgate_pdu::{Pdu, PduError, SubmitOptions};
use thiserror::Error;
use tokio::time::Instant;

use crate::commands::info::{OwnNumber, SimState, Smsc};
use crate::commands::network::{Operator, RegDomain, Registration, Signal};
use crate::commands::sms::{MessageStatus, StoredPdu, TextEntry};
use crate::commands::storage::{CnmiSetting, StorageSupport};
use crate::commands::typed::{
    Cmgd, CmglPdu, CmglText, CmgrPdu, CmgrText, CmgsPdu, CmgsText, CnmiSet, CnmiTest, Cnum,
    CopsQuery, CpinEnter, CpinQuery, CpmsSet, CpmsSupport, CscaQuery, CscaSet, CscsQuery, Csq,
    CusdRequest, Iccid, Identity, RegQuery, Simple,
};
use crate::commands::ussd::{UssdEncoding, UssdResponse};
use crate::event::{EventContext, ModemEvent, classify};
use crate::profile::{Profile, Vendor};
use crate::settings::ExpectedSettings;

/// Why a Modem API call failed.
#[derive(Debug, Error)]
pub enum ModemError {
    /// The AT command failed (timeout, CMS/CME error, closed engine…).
    #[error("{command}: {source}")]
    At {
        /// The command (redacted when sensitive).
        command: String,
        /// The engine's error.
        #[source]
        source: AtError,
    },
    /// A PDU could not be encoded or decoded.
    #[error("PDU: {0}")]
    Pdu(#[from] PduError),
    /// The SIM is not ready and no (or a wrong) PIN was given.
    #[error("SIM not ready: {0:?}")]
    SimNotReady(SimState),
    /// The modem does not do SMS over AT (no storage and no PDU/text mode).
    #[error("the modem offers no SMS service over AT ({0})")]
    NoSms(String),
    /// Registration did not happen in time.
    #[error("not registered after {after:?} (last state: {last:?})")]
    NotRegistered {
        /// How long we waited.
        after: Duration,
        /// The last registration seen.
        last: Option<Registration>,
    },
    /// The network denied registration.
    #[error("registration denied by the network")]
    RegistrationDenied,
    /// No `+CUSD` answer in time.
    #[error("no USSD answer within {0:?}")]
    UssdTimeout(Duration),
    /// The text cannot be sent in text mode (characters outside the GSM default alphabet).
    #[error("text mode cannot send this text: {0}")]
    TextMode(String),
    /// The engine stopped (modem unplugged or cancelled).
    #[error("the AT engine closed")]
    Closed,
}

impl ModemError {
    /// The underlying AT error, if this is one.
    pub fn at(&self) -> Option<&AtError> {
        match self {
            ModemError::At { source, .. } => Some(source),
            _ => None,
        }
    }

    /// A temporary failure: the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            ModemError::At { source, .. } => source.is_retryable(),
            ModemError::NotRegistered { .. } | ModemError::UssdTimeout(_) | ModemError::Closed => {
                true
            }
            _ => false,
        }
    }
}

/// A send that failed at one part.
#[derive(Debug, Error)]
#[error("part {part} of {parts} failed{}: {source}", if *may_have_been_sent { " (it may have gone out)" } else { "" })]
pub struct SendError {
    /// The failing part, 1-based.
    pub part: usize,
    /// How many parts the message has (0 when encoding failed before any part).
    pub parts: usize,
    /// References of the parts sent before the failure.
    pub references: Vec<Option<u8>>,
    /// The failing part's PDU was written to the modem before the failure (timeout or I/O after
    /// Ctrl-Z): it may have gone out, so do not resend blindly.
    pub may_have_been_sent: bool,
    /// What went wrong.
    #[source]
    pub source: ModemError,
}

impl SendError {
    /// A failure before any part was handed to the modem (encoding, text-mode setup).
    fn before_first_part(source: ModemError) -> Self {
        SendError {
            part: 1,
            parts: 0,
            references: Vec::new(),
            may_have_been_sent: false,
            source,
        }
    }
}

/// Called around every `AT+CMGS` of [`Modem::send_sms_gated`] (each part of a multipart
/// message is one): lets the caller pace every submission, not only every message.
pub trait PartGate: Send {
    /// Before part `part` (0-based) is handed to the modem; may wait.
    fn before_part(&mut self, part: usize) -> impl std::future::Future<Output = ()> + Send;
    /// Part `part`'s `AT+CMGS` ended (answered, refused or failed).
    fn after_part(&mut self, part: usize);
}

/// A [`PartGate`] that never waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGate;

impl PartGate for NoGate {
    async fn before_part(&mut self, _part: usize) {}
    fn after_part(&mut self, _part: usize) {}
}

/// What `probe` learned about the device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DeviceInfo {
    /// `AT+CGMI`.
    pub manufacturer: String,
    /// `AT+CGMM`.
    pub model: String,
    /// `AT+CGMR`, when the modem answers it.
    pub revision: Option<String>,
    /// `AT+CGSN`.
    pub imei: Option<String>,
    /// `AT+CIMI` (needs a ready SIM).
    pub imsi: Option<String>,
    /// ICCID via the profile's command.
    pub iccid: Option<String>,
    /// `AT+CNUM` (often empty: operators rarely store it).
    pub own_numbers: Vec<OwnNumber>,
}

/// Settings for [`Modem::init`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InitOptions {
    /// SIM PIN, entered when the SIM asks for it.
    pub pin: Option<String>,
    /// SMSC to set (`AT+CSCA`), when the SIM has none or a different one is wanted.
    pub smsc: Option<String>,
    /// Force text mode even when PDU mode works.
    pub force_text_mode: bool,
}

/// What [`Modem::init`] settled on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// The profile's vendor.
    pub vendor: Vendor,
    /// PDU mode (`AT+CMGF=0`) in use; false = text mode.
    pub pdu_mode: bool,
    /// The storage used for reading and receiving, `None` when the modem has none.
    pub storage: Option<String>,
    /// The `AT+CNMI` setting accepted, `None` when none was (poll with `list_messages`).
    pub cnmi: Option<CnmiSetting>,
    /// Vendor init commands that the modem rejected (skipped).
    pub skipped: Vec<String>,
}

/// A stored message, decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    /// Memory it is in.
    pub storage: Option<String>,
    /// Index in that memory.
    pub index: u32,
    /// `<stat>`, when known.
    pub status: Option<MessageStatus>,
    /// The content.
    pub content: StoredContent,
}

/// The content of a stored message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredContent {
    /// PDU mode: the decoded PDU (DELIVER, SUBMIT or STATUS-REPORT).
    Pdu {
        /// The PDU.
        pdu: Box<Pdu>,
    },
    /// Text mode entry.
    Text {
        /// The entry.
        entry: TextEntry,
    },
    /// A PDU that does not decode: kept with the reason so the caller can log and delete it.
    Undecodable {
        /// The hex as read.
        hex: String,
        /// Why it failed.
        reason: String,
    },
}

/// The Modem API over one AT engine.
#[derive(Debug)]
pub struct Modem {
    pub(crate) at: EngineHandle,
    urcs: UrcReceiver,
    pub(crate) profile: Profile,
    pub(crate) pending: VecDeque<ModemEvent>,
    pub(crate) pdu_mode: bool,
    ucs2: bool,
    pub(crate) storage: Option<String>,
    ussd_encoding: UssdEncoding,
    pub(crate) init_options: InitOptions,
    next_concat_ref: u16,
    registration_poll: Duration,
    /// What the last init set (supervision checks it).
    pub(crate) expected: ExpectedSettings,
    /// Echo count when the last init finished.
    pub(crate) echo_mark: u64,
    /// `AT+CPMS=?` as the last init read it.
    pub(crate) support: Option<StorageSupport>,
}

const QUICK: Duration = Duration::from_secs(3);

impl Modem {
    /// A modem with a known profile.
    pub fn new(at: EngineHandle, urcs: UrcReceiver, profile: Profile) -> Modem {
        Modem {
            ussd_encoding: profile.ussd_encoding,
            at,
            urcs,
            profile,
            pending: VecDeque::new(),
            pdu_mode: true,
            ucs2: false,
            storage: None,
            init_options: InitOptions::default(),
            next_concat_ref: 1,
            registration_poll: Duration::from_secs(5),
            expected: ExpectedSettings::default(),
            echo_mark: 0,
            support: None,
        }
    }

    /// Wake the modem, turn echo off, read `AT+CGMI`/`AT+CGMM`, pick the profile (unless
    /// `vendor` overrides detection) and read the rest of the identity.
    pub async fn probe(
        at: EngineHandle,
        urcs: UrcReceiver,
        vendor: Option<Vendor>,
    ) -> Result<(Modem, DeviceInfo), ModemError> {
        let mut modem = Modem::new(at, urcs, Profile::generic());
        modem.wake().await?;
        let manufacturer = modem.identity_or_empty(Identity::Manufacturer).await?;
        let model = modem.identity_or_empty(Identity::Model).await?;
        let vendor = vendor.unwrap_or_else(|| Vendor::detect(&manufacturer, &model));
        modem.set_profile(vendor.profile());
        let mut info = modem.identify_rest().await;
        info.manufacturer = manufacturer;
        info.model = model;
        Ok((modem, info))
    }

    /// Read the whole identity (manufacturer, model, revision, IMEI, IMSI, ICCID, own numbers).
    /// Fields a modem refuses (no SIM yet, command unknown) are `None`/empty.
    pub async fn identify(&mut self) -> Result<DeviceInfo, ModemError> {
        let manufacturer = self.identity_or_empty(Identity::Manufacturer).await?;
        let model = self.identity_or_empty(Identity::Model).await?;
        let mut info = self.identify_rest().await;
        info.manufacturer = manufacturer;
        info.model = model;
        Ok(info)
    }

    /// An identity value; a modem that answers `OK` with nothing, `ERROR` or "not supported"
    /// gives an empty string (detection then falls back to the generic profile). A timeout or
    /// a closed engine is an error.
    async fn identity_or_empty(&self, what: Identity) -> Result<String, ModemError> {
        match self.run(&what).await {
            Ok(v) => Ok(v),
            Err(ModemError::At {
                source:
                    AtError::Parse { .. } | AtError::Error | AtError::NotSupported | AtError::Cme(_),
                ..
            }) => Ok(String::new()),
            Err(e) => Err(e),
        }
    }

    async fn identify_rest(&mut self) -> DeviceInfo {
        let revision = self.run(&Identity::Revision).await.ok();
        let imei = self.run(&Identity::Imei).await.ok();
        let imsi = self.run(&Identity::Imsi).await.ok();
        let iccid = self
            .run(&Iccid(self.profile.iccid_command.clone()))
            .await
            .ok();
        let own_numbers = self.run(&Cnum).await.unwrap_or_default();
        DeviceInfo {
            revision,
            imei,
            imsi,
            iccid,
            own_numbers,
            ..DeviceInfo::default()
        }
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Replace the profile (a configured override after probing); call [`init`](Self::init) after.
    pub fn set_profile(&mut self, profile: Profile) {
        self.ussd_encoding = profile.ussd_encoding;
        self.profile = profile;
    }

    /// The USSD string form in effect (the profile's, or the other one after the modem refused it).
    pub fn ussd_encoding(&self) -> UssdEncoding {
        self.ussd_encoding
    }

    /// The engine handle (for diagnostics with `raw`).
    pub fn engine(&self) -> &EngineHandle {
        &self.at
    }

    /// How often [`wait_registered`](Self::wait_registered) polls when no URC comes (default 5 s).
    pub fn set_registration_poll(&mut self, every: Duration) {
        self.registration_poll = every;
    }

    /// Is PDU mode in use (false after the text-mode fallback)?
    pub fn pdu_mode(&self) -> bool {
        self.pdu_mode
    }

    pub(crate) async fn run<C: AtCommand>(&self, cmd: &C) -> Result<C::Output, ModemError> {
        self.at.run(cmd).await.map_err(|source| {
            let command = smsgate_at::Request::from_command(cmd).display();
            match source {
                AtError::Closed {
                    payload_sent: false,
                } => ModemError::Closed,
                source => ModemError::At { command, source },
            }
        })
    }

    async fn simple(&self, line: &str) -> Result<(), ModemError> {
        self.run(&Simple::new(line).timeout(self.profile.command_timeout))
            .await
    }

    /// Bare `AT` until the modem answers (three tries), then `ATE0`.
    async fn wake(&mut self) -> Result<(), ModemError> {
        if self.profile.quirks.needs_wakeup_at {
            let _ = self.run(&Simple::new("AT").timeout(QUICK)).await;
        }
        let mut last = None;
        for _ in 0..3 {
            match self.run(&Simple::new("AT").timeout(QUICK)).await {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(ModemError::Closed) => return Err(ModemError::Closed),
                Err(e) => {
                    last = Some(e);
                    // A process that died during `AT+CMGS` leaves the modem at its `> ` prompt,
                    // where our `AT` is just message text. ESC leaves the prompt without sending
                    // (gammu writes ESC at start-up for the same reason). Whatever it answers is
                    // irrelevant; the next `AT` tells.
                    let _ = self.at.raw("\u{1b}", QUICK, &[]).await;
                }
            }
        }
        if let Some(e) = last {
            return Err(e);
        }
        self.simple("ATE0").await
    }

    /// Initialise for SMS: echo off, verbose errors, vendor init, SIM PIN, PDU mode (text mode
    /// fallback), character set, storage (`AT+CPMS`), new-message indication (`AT+CNMI` with
    /// fallbacks), registration URCs and the SMSC if asked.
    pub async fn init(&mut self, opts: &InitOptions) -> Result<InitReport, ModemError> {
        self.init_options = opts.clone();
        self.expected = ExpectedSettings::default();
        self.wake().await?;
        let after_ate0 = self.at.echoes_seen();
        self.expected.cmee = self.simple("AT+CMEE=1").await.is_ok().then_some(1);
        let mut skipped = Vec::new();
        for line in self.profile.init.clone() {
            if let Err(e) = self.simple(&line).await {
                tracing::info!(label = self.at.label(), command = %line, error = %e, "vendor init command skipped");
                skipped.push(line);
            }
        }
        self.unlock(opts.pin.as_deref()).await?;

        // Message format: PDU unless the modem (or the caller) cannot.
        self.pdu_mode = false;
        if !opts.force_text_mode && !self.profile.quirks.text_mode_only {
            self.pdu_mode = self.simple("AT+CMGF=0").await.is_ok();
        }
        if !self.pdu_mode {
            self.simple("AT+CMGF=1").await.map_err(|e| {
                ModemError::NoSms(format!("neither PDU nor text mode accepted: {e}"))
            })?;
            let _ = self.simple("AT+CSDH=1").await;
        }
        // GSM character set: text fields and text-mode bodies in GSM-7 codes.
        self.ucs2 = false;
        if self.simple("AT+CSCS=\"GSM\"").await.is_err() {
            // Keep whatever the modem uses; UCS2 changes how strings (SMSC, USSD) are written.
            self.ucs2 = self.run(&CscsQuery).await.is_ok_and(|cs| cs == "UCS2");
        }

        self.storage = self.choose_storage().await?;
        let cnmi = self.choose_cnmi().await;
        self.expected.cnmi = cnmi;
        self.expected.creg_mode = self.simple("AT+CREG=2").await.is_ok().then_some(2);
        if let Some(smsc) = &opts.smsc {
            self.set_smsc(smsc).await?;
        }
        // `ATE0` took effect if none of the commands since was echoed (some modems, and Dinstar AT
        // mode, echo whatever they are told): only then is an echo later a sign of a reset.
        self.echo_mark = self.at.echoes_seen();
        self.expected.echo_off = self.echo_mark == after_ate0;
        Ok(InitReport {
            vendor: self.profile.vendor,
            pdu_mode: self.pdu_mode,
            storage: self.storage.clone(),
            cnmi,
            skipped,
        })
    }

    async fn choose_storage(&mut self) -> Result<Option<String>, ModemError> {
        self.support = None;
        let support = match self
            .run(&CpmsSupport {
                timeout: self.profile.storage_timeout,
            })
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::info!(label = self.at.label(), error = %e, "AT+CPMS=? failed; keeping the default storage");
                return Ok(None);
            }
        };
        if support.is_empty() {
            return Err(ModemError::NoSms(
                "AT+CPMS=? lists no message storage".into(),
            ));
        }
        self.support = Some(support.clone());
        let preferred: Vec<&str> = self
            .profile
            .preferred_storage
            .iter()
            .map(String::as_str)
            .collect();
        let Some(mem) = support.choose(&preferred) else {
            return Ok(None);
        };
        let arity = if self.profile.quirks.cpms_two_args {
            2
        } else {
            support.arity()
        };
        for n in (1..=arity).rev() {
            let mems = storage_args(&support, &mem, n);
            if self.run(&CpmsSet { mems }).await.is_ok() {
                return Ok(Some(mem));
            }
        }
        Ok(None)
    }

    async fn choose_cnmi(&mut self) -> Option<CnmiSetting> {
        let preferred = self.profile.cnmi;
        let mut candidates = Vec::new();
        if let Ok(support) = self.run(&CnmiTest).await
            && let Some(s) = support.choose(preferred)
        {
            candidates.push(s);
        }
        candidates.push(preferred);
        for fallback in [
            CnmiSetting {
                mode: 2,
                mt: 1,
                bm: 0,
                ds: 1,
                bfr: 0,
            },
            CnmiSetting {
                mode: 2,
                mt: 1,
                bm: 0,
                ds: 0,
                bfr: 0,
            },
            CnmiSetting {
                mode: 1,
                mt: 1,
                bm: 0,
                ds: 0,
                bfr: 0,
            },
        ] {
            if !candidates.contains(&fallback) {
                candidates.push(fallback);
            }
        }
        for setting in candidates {
            for short in [false, true] {
                if self.run(&CnmiSet { setting, short }).await.is_ok() {
                    return Some(setting);
                }
            }
        }
        tracing::warn!(
            label = self.at.label(),
            "no AT+CNMI setting accepted; new messages must be polled"
        );
        None
    }

    /// `AT+CPIN?`; SIM busy (`+CME ERROR: 14`) is retried for a while, a missing SIM
    /// (`+CME ERROR: 10`) reads as [`SimState::NotInserted`].
    pub async fn sim_state(&mut self) -> Result<SimState, ModemError> {
        let cmd = CpinQuery {
            without_ok: self.profile.quirks.cpin_without_ok,
        };
        for attempt in 0..10 {
            match self.run(&cmd).await {
                Ok(s) => return Ok(s),
                Err(ModemError::At {
                    source: AtError::Cme(CmeError::SimNotInserted),
                    ..
                }) => return Ok(SimState::NotInserted),
                Err(e) if attempt < 9 && e.at().is_some_and(is_sim_busy) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(ModemError::SimNotReady(SimState::Other("busy".into())))
    }

    /// Enter the PIN (or PUK + new PIN) and return the new SIM state.
    pub async fn enter_pin(
        &mut self,
        pin: &str,
        new_pin: Option<&str>,
    ) -> Result<SimState, ModemError> {
        self.run(&CpinEnter {
            pin: pin.to_owned(),
            new_pin: new_pin.map(str::to_owned),
        })
        .await?;
        self.sim_state().await
    }

    async fn unlock(&mut self, pin: Option<&str>) -> Result<(), ModemError> {
        match self.sim_state().await? {
            SimState::Ready => Ok(()),
            SimState::SimPin => {
                let Some(pin) = pin else {
                    return Err(ModemError::SimNotReady(SimState::SimPin));
                };
                match self.enter_pin(pin, None).await? {
                    SimState::Ready => Ok(()),
                    other => Err(ModemError::SimNotReady(other)),
                }
            }
            other => Err(ModemError::SimNotReady(other)),
        }
    }

    /// The registration state of one domain (`None` when the modem answers only `OK`).
    pub async fn registration(
        &mut self,
        domain: RegDomain,
    ) -> Result<Option<Registration>, ModemError> {
        self.run(&RegQuery(domain)).await
    }

    /// Wait until registered (circuit-switched `+CREG`, or `+CEREG` for LTE SMS-only), using
    /// URCs as they come and polling every few seconds. Fails on denial or at `timeout`.
    pub async fn wait_registered(&mut self, timeout: Duration) -> Result<Registration, ModemError> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            for domain in [RegDomain::Cs, RegDomain::Eps] {
                match self.registration(domain).await {
                    Ok(Some(r)) if r.status.is_registered() => return Ok(r),
                    Ok(Some(r)) => {
                        if domain == RegDomain::Cs {
                            last = Some(r);
                        }
                    }
                    Ok(None) => {}
                    // LTE-less modems do not know +CEREG.
                    Err(e) if domain == RegDomain::Eps && !matches!(e, ModemError::Closed) => {}
                    Err(e) => return Err(e),
                }
            }
            if let Some(r) = &last
                && r.status == crate::commands::network::RegStatus::Denied
            {
                return Err(ModemError::RegistrationDenied);
            }
            let poll_until = (Instant::now() + self.registration_poll).min(deadline);
            // Wait for a registration URC or the next poll.
            loop {
                let now = Instant::now();
                if now >= poll_until {
                    break;
                }
                match tokio::time::timeout(poll_until - now, self.urcs.recv()).await {
                    Err(_) => break,
                    Ok(None) => return Err(ModemError::Closed),
                    Ok(Some(urc)) => {
                        let ev = self.classify_and_ack(&urc).await;
                        if let ModemEvent::Registration(r) = &ev {
                            if r.status.is_registered() {
                                let r = r.clone();
                                self.pending.push_back(ev);
                                return Ok(r);
                            }
                            last = Some(r.clone());
                        }
                        self.pending.push_back(ev);
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(ModemError::NotRegistered {
                    after: timeout,
                    last,
                });
            }
        }
    }

    /// `AT+CSQ`.
    pub async fn signal(&mut self) -> Result<Signal, ModemError> {
        self.run(&Csq).await
    }

    /// `AT+COPS?`.
    pub async fn operator(&mut self) -> Result<Operator, ModemError> {
        self.run(&CopsQuery).await
    }

    /// `AT+CSCA?` (SIM busy right after boot is retried).
    pub async fn smsc(&mut self) -> Result<Smsc, ModemError> {
        for attempt in 0..5 {
            match self.run(&CscaQuery).await {
                Err(e) if attempt < 4 && e.at().is_some_and(is_sim_busy) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                other => return other,
            }
        }
        self.run(&CscaQuery).await
    }

    /// `AT+CSCA="<number>",<toa>`.
    pub async fn set_smsc(&mut self, number: &str) -> Result<(), ModemError> {
        if number.is_empty()
            || !number
                .trim_start_matches('+')
                .chars()
                .all(|c| c.is_ascii_digit())
        {
            return Err(ModemError::At {
                command: "AT+CSCA".into(),
                source: AtError::Invalid {
                    field: "smsc",
                    reason: format!("{number:?} is not a phone number"),
                },
            });
        }
        self.run(&CscaSet {
            number: number.to_owned(),
            ucs2: self.ucs2,
        })
        .await
    }

    /// `AT+CNUM`.
    pub async fn own_numbers(&mut self) -> Result<Vec<OwnNumber>, ModemError> {
        self.run(&Cnum).await
    }

    /// Send an SMS. PDU mode: `encode_submit` then one `AT+CMGS` per part; text mode: one
    /// `AT+CMGS="<to>"` per 160-character chunk (GSM alphabet only, no concatenation header).
    /// Returns the modem-assigned reference of every part (`None` where the modem answered a
    /// bare `OK`). When `opts.concat_ref` is 0 the modem picks a fresh reference.
    pub async fn send_sms(
        &mut self,
        to: &str,
        text: &str,
        opts: &SubmitOptions,
    ) -> Result<Vec<Option<u8>>, SendError> {
        self.send_sms_gated(to, text, opts, &mut NoGate).await
    }

    /// [`Modem::send_sms`] with `gate` around every `AT+CMGS` (one per part): the caller paces
    /// each submission (the network counts every part as an SMS).
    pub async fn send_sms_gated<G: PartGate>(
        &mut self,
        to: &str,
        text: &str,
        opts: &SubmitOptions,
        gate: &mut G,
    ) -> Result<Vec<Option<u8>>, SendError> {
        if !self.pdu_mode {
            return self.send_text_mode(to, text, opts, gate).await;
        }
        let mut opts = opts.clone();
        if opts.concat_ref == 0 {
            opts.concat_ref = self.next_concat_ref;
            self.next_concat_ref = self.next_concat_ref.wrapping_add(1).max(1);
            if !opts.concat_16bit {
                opts.concat_ref &= 0xFF;
                if opts.concat_ref == 0 {
                    opts.concat_ref = 1;
                }
            }
        }
        let parts = smsgate_pdu::encode_submit(to, text, &opts)
            .map_err(|e| SendError::before_first_part(ModemError::Pdu(e)))?;
        let (prompt_timeout, timeout) = (self.profile.prompt_timeout, self.profile.send_timeout);
        self.send_parts(
            parts.iter().map(|part| CmgsPdu {
                tpdu_len: part.tpdu_len,
                hex: part.hex(),
                prompt_timeout,
                timeout,
            }),
            gate,
        )
        .await
    }

    /// Runs one `AT+CMGS` per part, in order, stopping at the first failure; the error names
    /// the failing part and carries the references of the parts sent before it.
    async fn send_parts<C: AtCommand<Output = Option<u8>>, G: PartGate>(
        &self,
        cmds: impl ExactSizeIterator<Item = C>,
        gate: &mut G,
    ) -> Result<Vec<Option<u8>>, SendError> {
        let total = cmds.len();
        let mut refs = Vec::with_capacity(total);
        for (i, cmd) in cmds.enumerate() {
            gate.before_part(i).await;
            let result = self.run(&cmd).await;
            gate.after_part(i);
            match result {
                Ok(r) => refs.push(r),
                Err(source) => {
                    return Err(SendError {
                        part: i + 1,
                        parts: total,
                        may_have_been_sent: source
                            .at()
                            .is_some_and(AtError::payload_may_have_been_sent),
                        references: refs,
                        source,
                    });
                }
            }
        }
        Ok(refs)
    }

    async fn send_text_mode<G: PartGate>(
        &mut self,
        to: &str,
        text: &str,
        opts: &SubmitOptions,
        gate: &mut G,
    ) -> Result<Vec<Option<u8>>, SendError> {
        let fail = SendError::before_first_part;
        let chunks = text_mode_chunks(text).map_err(fail)?;
        // First octet 17 = SUBMIT + relative VP, 49 = the same + status report request; VP 167 = 24 h.
        let fo = if opts.status_report { 49 } else { 17 };
        let smsc_before = if self.profile.quirks.csmp_clears_smsc {
            self.smsc().await.ok()
        } else {
            None
        };
        self.simple(&format!("AT+CSMP={fo},167,0,0"))
            .await
            .map_err(fail)?;
        if let Some(before) = smsc_before
            && self.smsc().await.ok().as_ref() != Some(&before)
        {
            self.set_smsc(&before.number).await.map_err(fail)?;
        }
        let (prompt_timeout, timeout) = (self.profile.prompt_timeout, self.profile.send_timeout);
        self.send_parts(
            chunks.into_iter().map(|body| CmgsText {
                to: to.to_owned(),
                body,
                prompt_timeout,
                timeout,
            }),
            gate,
        )
        .await
    }

    /// List stored messages with `<stat>` `filter` from the current storage.
    pub async fn list_messages(
        &mut self,
        filter: MessageStatus,
    ) -> Result<Vec<StoredMessage>, ModemError> {
        if self.pdu_mode {
            let list = self.run(&CmglPdu(filter)).await?;
            Ok(list
                .into_iter()
                .map(|p| self.stored_from_pdu(p, 0))
                .collect())
        } else {
            let list = self.run(&CmglText(filter)).await?;
            Ok(list
                .into_iter()
                .map(|entry| {
                    let (index, status) = text_entry_meta(&entry);
                    StoredMessage {
                        storage: self.storage.clone(),
                        index: index.unwrap_or(0),
                        status,
                        content: StoredContent::Text { entry },
                    }
                })
                .collect())
        }
    }

    pub(crate) fn stored_from_pdu(&self, p: StoredPdu, index: u32) -> StoredMessage {
        let declared = p.declared_len.and_then(|n| usize::try_from(n).ok());
        let content = match smsgate_pdu::decode_stored_hex(&p.hex, declared) {
            Ok(pdu) => StoredContent::Pdu { pdu: Box::new(pdu) },
            Err(e) => StoredContent::Undecodable {
                hex: p.hex.clone(),
                reason: e.to_string(),
            },
        };
        StoredMessage {
            storage: self.storage.clone(),
            index: p.index.unwrap_or(index),
            status: p.status,
            content,
        }
    }

    /// Read one stored message from the current storage; `None` for an empty slot.
    pub async fn read_message(&mut self, index: u32) -> Result<Option<StoredMessage>, ModemError> {
        if self.pdu_mode {
            Ok(self
                .run(&CmgrPdu(index))
                .await?
                .map(|p| self.stored_from_pdu(p, index)))
        } else {
            Ok(self.run(&CmgrText(index)).await?.map(|entry| {
                let (_, status) = text_entry_meta(&entry);
                StoredMessage {
                    storage: self.storage.clone(),
                    index,
                    status,
                    content: StoredContent::Text { entry },
                }
            }))
        }
    }

    /// Read a message from another memory (`+CDSI: "SR",1` status reports): switch the read
    /// memory, read, and switch back.
    pub async fn read_from(
        &mut self,
        storage: &str,
        index: u32,
    ) -> Result<Option<StoredMessage>, ModemError> {
        if self.is_current_storage(storage) {
            return self.read_message(index).await;
        }
        self.switch_storage(storage).await?;
        let read = self.read_message(index).await;
        self.switch_back_storage().await?;
        let mut read = read?;
        if let Some(m) = &mut read {
            m.storage = Some(storage.to_owned());
        }
        Ok(read)
    }

    /// `storage` is the memory chosen at setup (compared ignoring case).
    pub(crate) fn is_current_storage(&self, storage: &str) -> bool {
        self.storage
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(storage))
    }

    /// Points `AT+CPMS` at `storage` for a one-off operation; undo with
    /// [`Self::switch_back_storage`].
    pub(crate) async fn switch_storage(&self, storage: &str) -> Result<(), ModemError> {
        self.run(&CpmsSet {
            mems: vec![storage.to_owned()],
        })
        .await?;
        Ok(())
    }

    /// Points `AT+CPMS` back at the memory chosen at setup (if one was chosen).
    pub(crate) async fn switch_back_storage(&self) -> Result<(), ModemError> {
        if let Some(back) = self.storage.clone() {
            self.run(&CpmsSet { mems: vec![back] }).await?;
        }
        Ok(())
    }

    /// Delete one stored message (call after the message is committed to the spool).
    pub async fn delete_message(&mut self, index: u32) -> Result<(), ModemError> {
        self.run(&Cmgd(index)).await
    }

    /// Delete a message from another memory (a status report in `SR`): switch, delete, switch back.
    pub async fn delete_message_in(&mut self, storage: &str, index: u32) -> Result<(), ModemError> {
        if self.is_current_storage(storage) {
            return self.delete_message(index).await;
        }
        self.switch_storage(storage).await?;
        let deleted = self.delete_message(index).await;
        self.switch_back_storage().await?;
        deleted
    }

    /// Send a USSD code (`*100#`) and wait for the network's answer. If the modem refuses the
    /// request in the profile's string form (`ERROR`/`+CME ERROR`), it is retried once in the
    /// other form and that form is kept for this modem.
    pub async fn ussd(&mut self, code: &str) -> Result<UssdResponse, ModemError> {
        let mut cmd = CusdRequest {
            code: code.to_owned(),
            encoding: self.ussd_encoding,
            ucs2: self.ucs2,
            timeout: self.profile.command_timeout,
        };
        let answered = match self.run(&cmd).await {
            Err(ModemError::At {
                source: AtError::Error | AtError::Cme(_) | AtError::NotSupported,
                ..
            }) => {
                cmd.encoding = match cmd.encoding {
                    UssdEncoding::Text => UssdEncoding::PackedGsm7Hex,
                    UssdEncoding::PackedGsm7Hex => UssdEncoding::Text,
                };
                let answered = self.run(&cmd).await?;
                tracing::info!(label = self.at.label(), encoding = ?cmd.encoding, "USSD string form switched");
                self.ussd_encoding = cmd.encoding;
                answered
            }
            other => other?,
        };
        if let Some(answer) = answered {
            return Ok(answer);
        }
        let wait = self.profile.ussd_timeout;
        let deadline = Instant::now() + wait;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(ModemError::UssdTimeout(wait));
            }
            match tokio::time::timeout(deadline - now, self.urcs.recv()).await {
                Err(_) => return Err(ModemError::UssdTimeout(wait)),
                Ok(None) => return Err(ModemError::Closed),
                Ok(Some(urc)) => match self.classify_and_ack(&urc).await {
                    ModemEvent::Ussd(u) => return Ok(u),
                    other => self.pending.push_back(other),
                },
            }
        }
    }

    /// End a USSD menu session (`AT+CUSD=2`).
    pub async fn ussd_cancel(&mut self) -> Result<(), ModemError> {
        self.simple("AT+CUSD=2").await
    }

    /// Restart the modem with the profile's command, wait until it answers `AT` again (up to
    /// `wait`), then run [`init`](Self::init) with the last options.
    pub async fn reset(&mut self, wait: Duration) -> Result<InitReport, ModemError> {
        match self
            .run(
                &Simple::new(self.profile.reset_command.clone())
                    .timeout(self.profile.command_timeout),
            )
            .await
        {
            // The modem may reboot before it answers.
            Ok(())
            | Err(ModemError::At {
                source: AtError::Timeout { .. },
                ..
            }) => {}
            Err(e) => return Err(e),
        }
        let deadline = Instant::now() + wait;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            match self.run(&Simple::new("AT").timeout(QUICK)).await {
                Ok(()) => break,
                Err(ModemError::Closed) => return Err(ModemError::Closed),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => {}
            }
        }
        let opts = self.init_options.clone();
        self.init(&opts).await
    }

    fn context(&self) -> EventContext {
        EventContext {
            ussd_encoding: self.ussd_encoding,
            ucs2: self.ucs2,
        }
    }

    fn needs_ack(&self, ev: &ModemEvent) -> bool {
        self.profile.quirks.needs_cnma
            && matches!(ev, ModemEvent::Message(_) | ModemEvent::StatusReport(_))
    }

    async fn ack(&mut self) {
        if let Err(e) = self.simple("AT+CNMA").await {
            tracing::warn!(label = self.at.label(), error = %e, "AT+CNMA failed");
        }
    }

    async fn classify_and_ack(&mut self, urc: &smsgate_at::Urc) -> ModemEvent {
        let ev = classify(urc, self.context());
        if self.needs_ack(&ev) {
            self.ack().await;
        }
        ev
    }

    /// The next typed event (URCs seen during other calls first). `None` when the engine closed.
    ///
    /// Cancel-safe: an event is never lost. A routed `+CMT`/`+CDS` is queued before it is
    /// acknowledged (`AT+CNMA`, when the profile needs it), so cancelling during the
    /// acknowledgement keeps the event for the next call (the acknowledgement is then skipped).
    pub async fn next_event(&mut self) -> Option<ModemEvent> {
        if let Some(ev) = self.pending.pop_front() {
            return Some(ev);
        }
        let urc = self.urcs.recv().await?;
        let ev = classify(&urc, self.context());
        if self.needs_ack(&ev) {
            // `pending` was empty, so the event pushed here is the one popped below.
            self.pending.push_back(ev);
            self.ack().await;
            return self.pending.pop_front();
        }
        Some(ev)
    }
}

fn is_sim_busy(e: &AtError) -> bool {
    matches!(e, AtError::Cme(CmeError::SimBusy))
}

fn text_entry_meta(entry: &TextEntry) -> (Option<u32>, Option<MessageStatus>) {
    match entry {
        TextEntry::Message(m) => (m.index, m.status),
        TextEntry::StatusReport(s) => (s.index, None),
    }
}

/// `AT+CPMS` arguments: `mem` for reading, and for writing/receiving when offered there.
fn storage_args(support: &StorageSupport, mem: &str, n: usize) -> Vec<String> {
    let lists = [&support.read, &support.write, &support.receive];
    lists
        .iter()
        .take(n)
        .map(|list| {
            if list.is_empty() || list.iter().any(|m| m.eq_ignore_ascii_case(mem)) {
                mem.to_owned()
            } else {
                list.iter()
                    .find(|m| *m != "SR")
                    .cloned()
                    .unwrap_or_else(|| mem.to_owned())
            }
        })
        .collect()
}

/// Split a text for text mode into GSM-7 byte chunks of at most 160 septets. Texts needing the
/// escape table or the code 0x1A (Ctrl-Z) / 0x1B (ESC) cannot travel in text mode.
pub fn text_mode_chunks(text: &str) -> Result<Vec<Vec<u8>>, ModemError> {
    let septets = smsgate_pdu::gsm7::encode_unpacked(text)
        .map_err(|e| ModemError::TextMode(format!("not in the GSM alphabet: {e}")))?;
    if septets.iter().any(|&s| s == 0x1A || s == 0x1B) {
        return Err(ModemError::TextMode(
            "characters from the GSM extension table (or Ξ) would end the text-mode prompt".into(),
        ));
    }
    if septets.is_empty() {
        return Ok(vec![Vec::new()]);
    }
    Ok(septets.chunks(160).map(<[u8]>::to_vec).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_mode_chunks_split_at_160_and_refuse_escape_characters() {
        let long = "a".repeat(321);
        let c = text_mode_chunks(&long).unwrap();
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), [160, 160, 1]);
        assert!(text_mode_chunks("price 5€").is_err());
        assert!(text_mode_chunks("тест").is_err());
        assert_eq!(text_mode_chunks("Hello").unwrap(), [b"Hello".to_vec()]);
    }

    #[test]
    fn storage_args_use_the_chosen_memory_where_offered() {
        let s = StorageSupport {
            read: vec!["SM".into(), "SR".into()],
            write: vec!["SM".into()],
            receive: vec!["ME".into()],
            assumed: false,
        };
        assert_eq!(storage_args(&s, "SM", 3), ["SM", "SM", "ME"]);
        assert_eq!(storage_args(&s, "SM", 2), ["SM", "SM"]);
    }
}
