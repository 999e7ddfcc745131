//! One number format: the hub stores and compares numbers in E.164 by the rule of the wire
//! contract ([`smsgate_wire::number`]), so a gateway comparing a recipient with the opt-outs
//! the hub pushed to it reads every number exactly as the hub does.

pub use smsgate_wire::number::*;
