//! Read-back queries supervision runs on an idle port: `AT+CMEE?`, `AT+CNMI?`, `AT+CPMS?` (the
//! pure parsers are in [`crate::settings`] and [`super::storage`]). Each takes its timeout from
//! the caller: a health check uses a short one, so a hung modem shows quickly.

use std::time::Duration;

use smsgate_at::{AtCommand, AtError, Response};

use super::storage::{self, CnmiSetting, StorageUsage};

fn lines(r: &Response) -> Vec<&str> {
    r.lines.iter().map(String::as_str).collect()
}

/// `AT+CMEE?` → `<n>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmeeQuery(pub Duration);

impl AtCommand for CmeeQuery {
    type Output = u8;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CMEE?");
    }
    fn expects(&self) -> &[&str] {
        &["+CMEE"]
    }
    fn timeout(&self) -> Duration {
        self.0
    }
    fn parse(&self, r: &Response) -> Result<u8, AtError> {
        Ok(crate::settings::parse_cmee(&lines(r))?)
    }
}

/// `AT+CNMI?` → the setting in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CnmiQuery(pub Duration);

impl AtCommand for CnmiQuery {
    type Output = CnmiSetting;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CNMI?");
    }
    fn expects(&self) -> &[&str] {
        &["+CNMI"]
    }
    fn timeout(&self) -> Duration {
        self.0
    }
    fn parse(&self, r: &Response) -> Result<CnmiSetting, AtError> {
        Ok(crate::settings::parse_cnmi(&lines(r))?)
    }
}

/// `AT+CPMS?` → memories in use with their counters (`+CPMS: "SM",3,30,"SM",3,30,"SM",3,30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpmsQuery(pub Duration);

impl AtCommand for CpmsQuery {
    type Output = StorageUsage;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CPMS?");
    }
    fn expects(&self) -> &[&str] {
        &["+CPMS"]
    }
    fn timeout(&self) -> Duration {
        self.0
    }
    fn parse(&self, r: &Response) -> Result<StorageUsage, AtError> {
        Ok(storage::parse_cpms_usage(&lines(r))?)
    }
}
