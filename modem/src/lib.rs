//! Modem API: typed AT commands, vendor quirk profiles and the async Modem (probe, SIM,
//! registration, signal, SMS send/receive/status reports, USSD), on top of the `smsgate-at`
//! engine and the `smsgate-pdu` codec.
//!
//! Module map:
//! - [`commands`]: one type per AT command (`commands::typed`, implementing
//!   [`smsgate_at::AtCommand`]) over pure parsers (`network`, `info`, `storage`, `sms`, `ussd`)
//!   that are unit-tested on real modem lines.
//! - [`profile`]: vendor quirk profiles as data ([`Profile`], [`Vendor`], [`profile::Quirks`]),
//!   auto-detection from `AT+CGMI`/`AT+CGMM` with an override.
//! - [`event`]: [`ModemEvent`], typed events derived from raw URCs ([`event::classify`] is pure).
//! - [`modem`]: the async [`Modem`] (probe, init, SIM, registration, signal, operator, SMSC,
//!   send, list/read/delete, status reports, USSD, reset, events).
//! - [`settings`]: what init set, what the modem reports now, [`settings::Drift`] (pure): how a
//!   silent reboot is recognised.
//! - [`supervise`]: the supervisor's calls on a [`Modem`] (settings read-back, storage usage,
//!   the status-report memory, a short `AT` ping), each with a caller-given timeout.
//!
//! Invariants: the modem assigns message references (the PDU's TP-MR is ignored by modems);
//! PDU hex from `+CMGR`/`+CMGL` is trusted over the declared length; a failed multipart send
//! names the failing part and whether its PDU may have gone out; URCs seen while a call waits
//! (USSD, registration) are queued, never dropped, for [`Modem::next_event`].

//!
//! Using it:
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use smsgate_at::{Endpoint, Engine, EngineConfig, Opener, SystemOpener};
//! use smsgate_modem::{InitOptions, Modem, ModemEvent};
//!
//! let stream = SystemOpener::default().open(&Endpoint::parse("/dev/ttyUSB2")?).await?;
//! let (at, urcs) = Engine::spawn(stream, EngineConfig { label: "ttyUSB2".into(), ..Default::default() });
//! let (mut modem, info) = Modem::probe(at, urcs, None).await?; // vendor from AT+CGMI/AT+CGMM
//! println!("{} {} IMEI {:?}", info.manufacturer, info.model, info.imei);
//! modem.init(&InitOptions { pin: Some("1234".into()), ..Default::default() }).await?;
//! modem.wait_registered(Duration::from_secs(60)).await?;
//! let refs = modem.send_sms("+33612345678", "hello", &Default::default()).await?;
//! println!("message references {refs:?}");
//! while let Some(event) = modem.next_event().await {
//!     if let ModemEvent::NewMessage { storage, index } = event {
//!         let _msg = modem.read_from(&storage, index).await?;
//!         // ... commit the message to the spool, then:
//!         modem.delete_message_in(&storage, index).await?;
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod commands;
pub mod event;
pub mod modem;
pub mod profile;
pub mod settings;
pub mod supervise;

pub use event::ModemEvent;
pub use modem::{
    DeviceInfo, InitOptions, InitReport, Modem, ModemError, NoGate, PartGate, SendError,
    StoredContent, StoredMessage,
};
pub use profile::{Profile, Quirks, Vendor};
