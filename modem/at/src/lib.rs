//! # smsgate-at — the AT command engine
//!
//! Talks to GSM modems with AT commands over any byte stream, surviving real-modem habits (echo on/off and
//! doubled, URCs anywhere, LF-only or CR-only line ends, garbage bytes, bare `>` prompts, `+CPIN: READY`
//! without `OK`, text-mode bodies that read `OK`).
//!
//! ## Layout
//! | module | what |
//! |---|---|
//! | [`digest`] | the pure, I/O-free [`Digester`]: bytes → [`Digested`] (echo, info line, prompt, [`FinalResult`], URC) |
//! | [`codes`] | [`CmsError`] / [`CmeError`] (27.005 §3.2.5, 27.007 §9.2) with meaning and [`ErrorClass`] |
//! | [`error`] | [`AtError`], with `is_retryable()` and `payload_may_have_been_sent()` |
//! | [`command`] | the [`AtCommand`] trait, [`Request`] (a command as data), [`Response`], [`Urc`], field helpers |
//! | [`engine`] | [`Engine::spawn`] → ([`EngineHandle`], [`UrcReceiver`]): one task per modem, one command at a time |
//! | [`throttle`] | [`Throttle`]: a repeated warning logged once per interval, with a count |
//! | [`transport`] | [`Endpoint`], [`SerialConfig`]/[`open_serial`], TCP, Dinstar AT-mode login, [`Opener`] (+ [`FakeOpener`]) |
//!
//! ## Using it
//! ```no_run
//! # async fn demo() -> Result<(), smsgate_at::AtError> {
//! use std::time::Duration;
//! use smsgate_at::{Engine, EngineConfig, Endpoint, Opener, SystemOpener, Request};
//!
//! let stream = SystemOpener::default().open(&Endpoint::parse("/dev/ttyUSB2")?).await?;
//! let (modem, mut urcs) = Engine::spawn(stream, EngineConfig { label: "ttyUSB2".into(), ..Default::default() });
//! // Raw escape hatch: info lines + final result, whatever it is.
//! let answer = modem.raw("AT+CREG?", Duration::from_secs(5), &["+CREG"]).await?;
//! println!("{:?} {:?}", answer.lines, answer.result);
//! // A prompt command: AT+CMGS=<tpdu len>, then the PDU + Ctrl-Z after '>'.
//! let sent = modem
//!     .request(Request::new("AT+CMGS=24").expect("+CMGS").payload("0001000B917228001011F100000CC8329BFD065DDF72363904")
//!         .timeout(Duration::from_secs(120)))
//!     .await?
//!     .into_result()?;
//! println!("message reference {:?}", sent.value("+CMGS"));
//! while let Some(urc) = urcs.recv().await {
//!     println!("{} {:?}", urc.line, urc.data); // +CMTI: "SM",3 / +CMT: ,23 + PDU ...
//! }
//! # Ok(()) }
//! ```
//! Typed commands implement [`AtCommand`] (see its docs) and run with [`EngineHandle::run`].
//!
//! ## Invariants
//! - One command at a time per engine; handles are cheap clones and queue.
//! - Lines matching a command's [`AtCommand::expects`] prefixes are its answer while it is in flight; otherwise
//!   URC-table lines go to the URC channel (bounded; when full the URC is dropped, logged and counted).
//!   Declare every prefix a command parses: `+CREG`, `+CPIN`, `+CUSD` are also URCs. A `+CUSD` that arrives
//!   after the `OK` of `AT+CUSD=1,...` (the usual case) is a URC.
//! - After a timeout the engine resynchronises (`ATS3?` probe) before the next command starts, so a late answer
//!   is never given to the wrong command.
//! - A prompt that never comes, or a caller that gives up before the payload is written, gets ESC.
//! - Lines are returned raw (no charset decoding): UCS2-hex answers stay hex for the caller to decode.

pub mod codes;
pub mod command;
pub mod digest;
pub mod engine;
pub mod error;
pub mod throttle;
pub mod transport;

pub use codes::{CmeError, CmsError, ErrorClass};
pub use command::{
    AtCommand, DEFAULT_PROMPT_TIMEOUT, DEFAULT_SEND_TIMEOUT, DEFAULT_TIMEOUT, Request, Response,
    Urc, decode_line, fields, unquote,
};
pub use digest::{Digested, Digester, FinalResult, MAX_LINE};
pub use engine::{Engine, EngineConfig, EngineHandle, ExitReason, UrcReceiver, WritePacing};
pub use error::AtError;
pub use throttle::Throttle;
pub use transport::{
    AsyncStream, BoxedStream, DinstarLogin, Endpoint, FakeOpener, FlowControl, Opener,
    SerialConfig, SystemOpener, dinstar_login, open_serial,
};
