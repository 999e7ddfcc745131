//! Settings a modem can lose (pure): what [`crate::Modem::init`] set, what the modem reports now,
//! and how they differ.
//!
//! A modem that browns out on weak USB power reboots with its defaults: echo on, error codes
//! off, no new-message or status-report indications, no registration notices. Many modems say
//! nothing when they come back (no `RDY`), so the driver must notice by itself. The signatures
//! such a reboot leaves, cheapest first:
//!
//! - **echo back on**: our command lines come back although `ATE0` took effect at init
//!   ([`smsgate_at::EngineHandle::echoes_seen`]);
//! - **plain `ERROR`** where `AT+CMEE=1` had made the modem answer `+CMS ERROR`/`+CME ERROR`
//!   ([`plain_error_is_suspicious`]);
//! - **registration notices off**: `AT+CREG?` answers `+CREG: 0,<stat>` although `AT+CREG=2`
//!   took effect ([`registration_notices_off`]).
//!
//! None of them is proof (a vendor command may answer plain `ERROR` anyway), so a signature
//! makes the supervisor read the settings back (`AT+CMEE?`, `AT+CNMI?`, `AT+CREG?`) and compare
//! them with [`drift`]: any [`Drift`] means "initialise again".

use serde::Serialize;
use smsgate_at::AtError;

use crate::commands::network::Registration;
use crate::commands::parse::{ParseError, after_prefix, loose_fields, num};
use crate::commands::storage::CnmiSetting;

/// What init set and the modem accepted (what supervision may check later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ExpectedSettings {
    /// `ATE0` took effect (no echo during the rest of init): an echo later means a reset.
    pub echo_off: bool,
    /// `AT+CMEE=<n>` accepted: errors carry codes.
    pub cmee: Option<u8>,
    /// The `AT+CNMI` setting accepted.
    pub cnmi: Option<CnmiSetting>,
    /// `AT+CREG=<n>` accepted: registration notices on.
    pub creg_mode: Option<u8>,
}

/// What the modem reports now; `None` where it was not asked or gave no readable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ObservedSettings {
    /// Our command lines were echoed since init.
    pub echo: bool,
    /// `AT+CMEE?`.
    pub cmee: Option<u8>,
    /// `AT+CNMI?`.
    pub cnmi: Option<CnmiSetting>,
    /// `<n>` of `AT+CREG?`.
    pub creg_mode: Option<u8>,
}

/// One setting the modem lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "setting", rename_all = "snake_case")]
pub enum Drift {
    /// Our commands are echoed again.
    EchoOn,
    /// Error codes changed (`AT+CMEE?`).
    ErrorCodes {
        /// What init set.
        expected: u8,
        /// What the modem says now.
        found: u8,
    },
    /// New-message or status-report indications changed (`AT+CNMI?`: `<mt>` or `<ds>`).
    Indications {
        /// What init set.
        expected: CnmiSetting,
        /// What the modem says now.
        found: CnmiSetting,
    },
    /// Registration notices changed (`AT+CREG?` `<n>`).
    RegistrationNotices {
        /// What init set.
        expected: u8,
        /// What the modem says now.
        found: u8,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::EchoOn => f.write_str("the modem echoes commands again"),
            Drift::ErrorCodes { expected, found } => {
                write!(f, "error codes changed (AT+CMEE {found}, set {expected})")
            }
            Drift::Indications { expected, found } => write!(
                f,
                "message indications changed (AT+CNMI {}, set {})",
                found.args(),
                expected.args()
            ),
            Drift::RegistrationNotices { expected, found } => write!(
                f,
                "registration notices changed (AT+CREG {found}, set {expected})"
            ),
        }
    }
}

/// Every setting of `expected` that `observed` contradicts. A setting not observed (`None`) is
/// not a drift; of `AT+CNMI` only `<mt>` and `<ds>` count (where messages and reports go;
/// modems report `<mode>`/`<bfr>` loosely).
pub fn drift(expected: &ExpectedSettings, observed: &ObservedSettings) -> Vec<Drift> {
    let mut out = Vec::new();
    if expected.echo_off && observed.echo {
        out.push(Drift::EchoOn);
    }
    if let (Some(expected), Some(found)) = (expected.cmee, observed.cmee)
        && expected != found
    {
        out.push(Drift::ErrorCodes { expected, found });
    }
    if let (Some(expected), Some(found)) = (expected.cnmi, observed.cnmi)
        && (expected.mt != found.mt || expected.ds != found.ds)
    {
        out.push(Drift::Indications { expected, found });
    }
    if let (Some(expected), Some(found)) = (expected.creg_mode, observed.creg_mode)
        && expected != found
    {
        out.push(Drift::RegistrationNotices { expected, found });
    }
    out
}

/// A plain `ERROR` from a modem whose init turned error codes on is a reset signature
/// (`AT+CMEE=0` is the default a rebooted modem comes back with): worth reading the settings
/// back. Any other error is not.
pub fn plain_error_is_suspicious(expected: &ExpectedSettings, e: &AtError) -> bool {
    matches!(e, AtError::Error) && expected.cmee.is_some_and(|n| n > 0)
}

/// `AT+CREG?` shows notices off (`<n>` 0) where init turned them on.
pub fn registration_notices_off(expected: &ExpectedSettings, reg: &Registration) -> bool {
    matches!((expected.creg_mode, reg.mode), (Some(e), Some(found)) if e > 0 && found == 0)
}

/// Parse `+CMEE: <n>`.
pub fn parse_cmee(lines: &[&str]) -> Result<u8, ParseError> {
    let v = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CMEE"))
        .ok_or_else(|| ParseError::new("+CMEE", &lines.join("|"), "no +CMEE line"))?;
    num(v).ok_or_else(|| ParseError::new("+CMEE", v, "<n> is not a number"))
}

/// Parse `+CNMI: <mode>,<mt>,<bm>,<ds>,<bfr>` (missing trailing fields read as 0).
pub fn parse_cnmi(lines: &[&str]) -> Result<CnmiSetting, ParseError> {
    let (line, v) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CNMI").map(|v| (*l, v)))
        .ok_or_else(|| ParseError::new("+CNMI", &lines.join("|"), "no +CNMI line"))?;
    let f = loose_fields(v);
    let field = |i: usize| -> Result<u8, ParseError> {
        match f.get(i).map(String::as_str) {
            None | Some("") => Ok(0),
            Some(s) => num(s).ok_or_else(|| {
                ParseError::new("+CNMI", line, format!("field {} is not a number", i + 1))
            }),
        }
    };
    if f.len() < 2 {
        return Err(ParseError::new("+CNMI", line, "fewer than two fields"));
    }
    Ok(CnmiSetting {
        mode: field(0)?,
        mt: field(1)?,
        bm: field(2)?,
        ds: field(3)?,
        bfr: field(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::network::{RegDomain, RegStatus};

    fn cnmi(mt: u8, ds: u8) -> CnmiSetting {
        CnmiSetting {
            mode: 2,
            mt,
            bm: 0,
            ds,
            bfr: 0,
        }
    }

    fn configured() -> ExpectedSettings {
        ExpectedSettings {
            echo_off: true,
            cmee: Some(1),
            cnmi: Some(cnmi(1, 2)),
            creg_mode: Some(2),
        }
    }

    fn as_set() -> ObservedSettings {
        ObservedSettings {
            echo: false,
            cmee: Some(1),
            cnmi: Some(cnmi(1, 2)),
            creg_mode: Some(2),
        }
    }

    #[test]
    fn a_modem_that_kept_its_settings_shows_no_drift() {
        assert!(drift(&configured(), &as_set()).is_empty());
    }

    #[test]
    fn a_rebooted_modem_shows_every_setting_it_lost() {
        let rebooted = ObservedSettings {
            echo: true,
            cmee: Some(0),
            cnmi: Some(CnmiSetting {
                mode: 0,
                mt: 0,
                bm: 0,
                ds: 0,
                bfr: 0,
            }),
            creg_mode: Some(0),
        };
        let d = drift(&configured(), &rebooted);
        assert_eq!(d.len(), 4, "{d:?}");
        assert_eq!(d[0], Drift::EchoOn);
        assert_eq!(
            d[2].to_string(),
            "message indications changed (AT+CNMI 0,0,0,0,0, set 2,1,0,2,0)"
        );
    }

    #[test]
    fn each_setting_alone_is_a_drift() {
        type Change = fn(&mut ObservedSettings);
        let cases: [(Change, &str); 4] = [
            (|o| o.echo = true, "echoes"),
            (|o| o.cmee = Some(0), "AT+CMEE 0"),
            (|o| o.cnmi = Some(cnmi(1, 0)), "AT+CNMI 2,1,0,0,0"),
            (|o| o.creg_mode = Some(0), "AT+CREG 0"),
        ];
        for (change, words) in cases {
            let mut o = as_set();
            change(&mut o);
            let d = drift(&configured(), &o);
            assert_eq!(d.len(), 1, "{words}: {d:?}");
            assert!(d[0].to_string().contains(words), "{}", d[0]);
        }
    }

    #[test]
    fn settings_init_could_not_set_or_the_modem_cannot_report_are_never_a_drift() {
        let nothing_set = ExpectedSettings::default();
        let rebooted = ObservedSettings {
            echo: true,
            cmee: Some(0),
            cnmi: Some(cnmi(0, 0)),
            creg_mode: Some(0),
        };
        assert!(drift(&nothing_set, &rebooted).is_empty());
        assert!(drift(&configured(), &ObservedSettings::default()).is_empty());
    }

    #[test]
    fn only_where_messages_and_reports_go_counts_in_cnmi() {
        let mut o = as_set();
        o.cnmi = Some(CnmiSetting {
            mode: 1,
            mt: 1,
            bm: 2,
            ds: 2,
            bfr: 1,
        });
        assert!(drift(&configured(), &o).is_empty());
    }

    #[test]
    fn a_plain_error_is_suspicious_only_when_error_codes_were_on() {
        assert!(plain_error_is_suspicious(&configured(), &AtError::Error));
        assert!(!plain_error_is_suspicious(
            &configured(),
            &AtError::Cms(smsgate_at::CmsError::from_code(500))
        ));
        let off = ExpectedSettings {
            cmee: Some(0),
            ..configured()
        };
        assert!(!plain_error_is_suspicious(&off, &AtError::Error));
        assert!(!plain_error_is_suspicious(
            &ExpectedSettings::default(),
            &AtError::Error
        ));
    }

    #[test]
    fn registration_notices_are_off_only_when_the_answer_says_n_0() {
        let reg = |mode| Registration {
            domain: RegDomain::Cs,
            mode,
            status: RegStatus::Home,
            lac: None,
            cell_id: None,
            act: None,
        };
        assert!(registration_notices_off(&configured(), &reg(Some(0))));
        assert!(!registration_notices_off(&configured(), &reg(Some(2))));
        assert!(!registration_notices_off(&configured(), &reg(None)));
        assert!(!registration_notices_off(
            &ExpectedSettings::default(),
            &reg(Some(0))
        ));
    }

    #[test]
    fn cmee_and_cnmi_answers_parse_with_real_modem_spacing() {
        assert_eq!(parse_cmee(&["+CMEE: 1"]).unwrap(), 1);
        assert_eq!(parse_cmee(&["+CMEE:2"]).unwrap(), 2);
        assert!(parse_cmee(&["OK"]).is_err());
        assert_eq!(parse_cnmi(&["+CNMI: 2,1,0,2,0"]).unwrap(), cnmi(1, 2));
        assert_eq!(
            parse_cnmi(&["+CNMI:1,1"]).unwrap(),
            CnmiSetting {
                mode: 1,
                mt: 1,
                bm: 0,
                ds: 0,
                bfr: 0
            }
        );
        assert!(
            parse_cnmi(&["+CNMI: x,1"])
                .unwrap_err()
                .reason
                .contains("field 1")
        );
    }
}
