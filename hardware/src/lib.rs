//! Hardware: modem power/reset over embedded-hal 1.0, and the simulated GSM lab (network, SMSC, modems on
//! pseudo-terminals, Dinstar gateway).
//!
//! Module map:
//! - [`power`]: power-key / reset sequences written once against embedded-hal 1.0 (`OutputPin`, `InputPin`,
//!   `DelayNs`), per-model pulse timings as data, a recording fake pin, a simulated pin wired to a lab modem,
//!   and (feature `gpio-cdev`) Linux GPIO character-device pins.
//! - [`clock`]: the injected wall clock ([`clock::Clock`], system and manual implementations).
//! - [`sim`]: the simulated GSM lab:
//!   - [`sim::config`]: `sim.toml` ([`sim::config::LabConfig`]) validated into per-modem specs;
//!   - [`sim::profile`]: vendor profiles as data (generic, Huawei E1752, Quectel EC25, SIMCom SIM800, Dinstar);
//!   - [`sim::at`]: the pure AT interpreter of one modem ([`sim::at::ModemCore`]: bytes in, bytes + events out);
//!   - [`sim::pty`]: raw pseudo-terminals with stable symlinks;
//!   - [`sim::lab`]: the running network ([`sim::lab::Lab`]): modem tasks, virtual SMSC, external handsets,
//!     status reports, inbound injection, faults;
//!   - [`sim::control`]: the HTTP/JSON control API (axum);
//!   - [`sim::dinstar`]: a Dinstar multi-port gateway in front of lab modems (TCP AT mode, HTTP SMS API).
//!
//! Invariants: the AT interpreter never does I/O (the lab task owns the pty and the network); a modem assigns
//! TP-MR itself (the PDU's is ignored); a send holds the line until the network answers (`+CMGS` or
//! `+CMS ERROR`), URCs raised meanwhile are emitted after the final result; SIM/ME storage survives reboots.

pub mod clock;
pub mod power;
#[cfg(feature = "sim")]
pub mod sim;

#[cfg(feature = "sim")]
pub use sim::config::LabConfig;
#[cfg(feature = "sim")]
pub use sim::lab::{Fault, HandsetMessage, Inbound, Lab, LabError, ModemStatus, Submission};
