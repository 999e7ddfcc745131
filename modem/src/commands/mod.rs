//! One module per family of AT commands. Each answer has a pure parser over the info lines
//! (`&[&str]`, final result excluded) so it can be tested on real modem lines without I/O.
//!
//! - [`parse`]: tolerant field splitting, UCS2 hex, range lists, [`ParseError`].
//! - [`network`]: +CREG/+CGREG/+CEREG, +CSQ, +COPS.
//! - [`info`]: identity lines, +CPIN, +CNUM, +CSCA.
//! - [`storage`]: +CPMS (support and usage), +CNMI (support and choice).
//! - [`sms`]: +CMGS, +CMGR/+CMGL (PDU and text mode), +CMTI/+CDSI, routed +CMT/+CDS.
//! - [`ussd`]: +CUSD with per-DCS and Huawei packed-hex decoding.
//! - [`readback`]: `AT+CMEE?`, `AT+CNMI?`, `AT+CPMS?` with a caller-given timeout (supervision).
//! - [`typed`]: the [`smsgate_at::AtCommand`] types (one per command) built on those parsers.

pub mod info;
pub mod network;
pub mod parse;
pub mod readback;
pub mod sms;
pub mod storage;
pub mod typed;
pub mod ussd;

pub use parse::ParseError;
