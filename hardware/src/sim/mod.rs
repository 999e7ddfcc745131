//! The simulated GSM lab: network + SMSC + handsets ([`lab`]), modems' AT interpreter ([`at`]), vendor
//! profiles ([`profile`]), pseudo-terminals ([`pty`]), configuration ([`config`]) and the HTTP control
//! API ([`control`]), and a Dinstar multi-port gateway (TCP AT mode and HTTP SMS API, [`dinstar`]).

pub mod at;
pub mod config;
pub mod control;
pub mod dinstar;
pub mod lab;
pub mod profile;
pub mod pty;
