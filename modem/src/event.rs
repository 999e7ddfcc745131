//! Typed modem events derived from the engine's raw URCs ([`smsgate_at::Urc`]).
//!
//! [`classify`] is pure: it turns one URC into a [`ModemEvent`] (decoding `+CMT`/`+CDS` PDUs,
//! `+CUSD` text, registration and signal lines). Acknowledging routed messages (`AT+CNMA`) is an
//! action, so [`crate::Modem::next_event`] does it after classification.

use serde::Serialize;
use smsgate_at::Urc;
use smsgate_pdu::{Address, Deliver, Pdu, StatusReport};

use crate::commands::network::{self, Registration, Signal};
use crate::commands::parse::quoted_fields;
use crate::commands::sms::{self, StoredAt};
use crate::commands::ussd::{self, UssdEncoding, UssdResponse};

/// Something the modem told us without being asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ModemEvent {
    /// `+CMTI`: a message was stored; read it, commit it, then delete it.
    NewMessage {
        /// Memory (`SM`, `ME`, …).
        storage: String,
        /// Index in that memory.
        index: u32,
    },
    /// `+CMT`: a message routed straight to us (already acknowledged when the profile needs it).
    Message(Box<Deliver>),
    /// `+CDS`: a status report routed straight to us.
    StatusReport(Box<StatusReport>),
    /// `+CDSI`: a status report was stored (usually in `SR`).
    StoredStatusReport {
        /// Memory.
        storage: String,
        /// Index.
        index: u32,
    },
    /// `+CREG`/`+CGREG`/`+CEREG` URC.
    Registration(Registration),
    /// Signal URC (Huawei `^RSSI: n`, same scale as `+CSQ`).
    Signal(Signal),
    /// `+CUSD` URC (the network's answer to a USSD request, or a network-initiated one).
    Ussd(UssdResponse),
    /// The modem (re)started: `RDY`, `^SYSSTART`, `+WIND: 3`…; it needs re-initialising.
    Boot,
    /// The SMS subsystem finished starting (`SMS DONE`, `SMS READY`, `+QIND: SMS DONE`).
    SmsReady,
    /// The message storage is full (Huawei `^SMMEMFULL: "SM"`): new messages wait at the network.
    StorageFull {
        /// The full memory, when named.
        storage: Option<String>,
    },
    /// `RING` / `+CRING`: an incoming call (we do not take calls).
    Ring,
    /// A routed PDU (`+CMT`/`+CDS`) or URC that did not decode; kept so nothing is lost silently.
    Undecodable {
        /// The URC line.
        line: String,
        /// Its data line, if any.
        data: Option<String>,
        /// Why it did not decode.
        reason: String,
    },
    /// Any other URC, raw.
    Other {
        /// The URC line.
        line: String,
    },
}

impl ModemEvent {
    /// Is this a routed `+CMT` that the network wants acknowledged (`AT+CNMA`)?
    pub fn is_routed_message(&self) -> bool {
        matches!(self, ModemEvent::Message(_))
    }
}

/// URC lines that announce a restart, as line prefixes: give them to the engine
/// ([`smsgate_at::EngineConfig::interrupt_on`]) so a command in flight when the modem reboots fails
/// at once instead of waiting for its timeout. (Huawei's `^BOOT` is a periodic line, not a restart.)
pub const RESTART_LINES: &[&str] = &["RDY", "^SYSSTART", "+WIND: 3"];

/// Decoding context: the profile's USSD habit and whether `AT+CSCS="UCS2"` is in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventContext {
    /// USSD string form.
    pub ussd_encoding: UssdEncoding,
    /// UCS2 character set in effect.
    pub ucs2: bool,
}

fn undecodable(urc: &Urc, reason: impl Into<String>) -> ModemEvent {
    ModemEvent::Undecodable {
        line: urc.line.clone(),
        data: urc.data.clone(),
        reason: reason.into(),
    }
}

fn routed_hex(urc: &Urc) -> Option<String> {
    urc.data
        .as_deref()
        .map(sms::clean_hex)
        .filter(|h| !h.is_empty())
        .or_else(|| sms::routed_pdu_hex(&urc.line))
}

/// Text-mode routed status report: `+CDS: <fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>`.
fn text_status_report(urc: &Urc) -> ModemEvent {
    let f = quoted_fields(urc.params());
    let num = |i: usize| f.get(i).and_then(|f| f.num::<u8>());
    let time = |i: usize| f.get(i).and_then(|f| sms::parse_text_timestamp(&f.text));
    let (Some(mr), Some(st), Some(scts), Some(dt)) = (num(1), num(6), time(4), time(5)) else {
        return undecodable(urc, "text-mode +CDS needs <mr>, <scts>, <dt> and <st>");
    };
    let number = f.get(2).map(|f| f.text.clone()).unwrap_or_default();
    let toa = num(3).unwrap_or(if number.starts_with('+') { 145 } else { 129 });
    ModemEvent::StatusReport(Box::new(StatusReport {
        smsc: None,
        message_ref: mr,
        recipient: Address::with_toa(number.trim_start_matches('+'), toa),
        sc_timestamp: scts.time,
        discharge_time: dt.time,
        status: st,
        more_messages_to_send: false,
        status_report_qualifier: false,
        user_data: None,
    }))
}

/// Turn one raw URC into a typed event.
pub fn classify(urc: &Urc, ctx: EventContext) -> ModemEvent {
    let name = urc.name().to_ascii_uppercase();
    match name.as_str() {
        "+CMTI" | "+CDSI" => {
            let prefix = if name == "+CMTI" { "+CMTI" } else { "+CDSI" };
            match sms::parse_stored_indication(&urc.line, prefix) {
                Ok(StoredAt { storage, index }) if prefix == "+CMTI" => {
                    ModemEvent::NewMessage { storage, index }
                }
                Ok(StoredAt { storage, index }) => {
                    ModemEvent::StoredStatusReport { storage, index }
                }
                Err(e) => undecodable(urc, e.to_string()),
            }
        }
        "+CDS" if urc.data.is_none() && urc.params().contains(',') => text_status_report(urc),
        "+CMT" | "+CDS" => {
            let Some(hex) = routed_hex(urc) else {
                return undecodable(urc, "no PDU line after the header");
            };
            // `+CMT: [<alpha>],<length>` / `+CDS: <length>`: the TPDU length. Some modems route
            // status reports without the SMSC prefix (the length is then the whole PDU).
            let declared = urc
                .params()
                .rsplit(',')
                .next()
                .and_then(|l| l.trim().parse::<usize>().ok());
            match smsgate_pdu::decode_stored_hex(&hex, declared) {
                Ok(Pdu::Deliver(d)) => ModemEvent::Message(Box::new(d)),
                Ok(Pdu::StatusReport(s)) => ModemEvent::StatusReport(Box::new(s)),
                Ok(Pdu::Submit(_)) => undecodable(urc, "routed PDU is an SMS-SUBMIT"),
                Err(e) => undecodable(urc, e.to_string()),
            }
        }
        "+CREG" | "+CGREG" | "+CEREG" => match network::parse_registration(&urc.line, false) {
            Ok(r) => ModemEvent::Registration(r),
            Err(e) => undecodable(urc, e.to_string()),
        },
        "^RSSI" => match urc.params().trim().parse::<u8>() {
            Ok(rssi) => ModemEvent::Signal(Signal {
                rssi: if rssi <= 31 { rssi } else { 99 },
                ber: 99,
            }),
            Err(_) => undecodable(urc, "^RSSI value is not a number"),
        },
        "+CUSD" => match ussd::parse_cusd(&urc.line, ctx.ussd_encoding, ctx.ucs2) {
            Ok(u) => ModemEvent::Ussd(u),
            Err(e) => undecodable(urc, e.to_string()),
        },
        "RDY" | "^SYSSTART" => ModemEvent::Boot,
        "^SMMEMFULL" => ModemEvent::StorageFull {
            storage: Some(urc.params().trim().trim_matches('"').to_owned())
                .filter(|s| !s.is_empty()),
        },
        "+WIND" if matches!(urc.params().trim(), "3" | "0") => ModemEvent::Boot,
        "SMS DONE" | "SMS READY" => ModemEvent::SmsReady,
        "+QIND" if urc.params().to_ascii_uppercase().contains("SMS DONE") => ModemEvent::SmsReady,
        "RING" | "+CRING" => ModemEvent::Ring,
        _ => ModemEvent::Other {
            line: urc.line.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::network::RegStatus;

    fn urc(line: &str, data: Option<&str>) -> Urc {
        Urc {
            line: line.into(),
            data: data.map(str::to_owned),
        }
    }

    #[test]
    fn cmti_becomes_new_message_with_storage_and_index() {
        let e = classify(&urc("+CMTI: \"SM\",3", None), EventContext::default());
        assert_eq!(
            e,
            ModemEvent::NewMessage {
                storage: "SM".into(),
                index: 3
            }
        );
    }

    #[test]
    fn cds_status_report_pdu_is_decoded() {
        // python-gsmmodem status report (MR 0xB7... recipient, status 0).
        let e = classify(
            &urc(
                "+CDS: 24",
                Some("079124602009999006B4098106326906F2212041015554402120410155054000"),
            ),
            EventContext::default(),
        );
        let ModemEvent::StatusReport(r) = e else {
            panic!("{e:?}")
        };
        assert_eq!(r.message_ref, 0xB4);
    }

    #[test]
    fn a_cds_without_smsc_prefix_whose_length_is_the_whole_pdu_is_decoded() {
        // The report above without its SMSC part (`0791246020099990`): 24 octets, declared 24.
        let e = classify(
            &urc(
                "+CDS: 24",
                Some("06B4098106326906F2212041015554402120410155054000"),
            ),
            EventContext::default(),
        );
        let ModemEvent::StatusReport(r) = e else {
            panic!("{e:?}")
        };
        assert_eq!((r.message_ref, r.smsc), (0xB4, None));
    }

    #[test]
    fn huawei_memory_full_names_the_memory() {
        assert_eq!(
            classify(&urc("^SMMEMFULL: \"SM\"", None), EventContext::default()),
            ModemEvent::StorageFull {
                storage: Some("SM".into())
            }
        );
    }

    #[test]
    fn text_mode_cds_becomes_a_status_report() {
        let e = classify(
            &urc(
                "+CDS: 6,21,\"+33612345678\",145,\"22/12/01,07:33:58+04\",\"22/12/01,07:33:59+04\",0",
                None,
            ),
            EventContext::default(),
        );
        let ModemEvent::StatusReport(r) = e else {
            panic!("{e:?}")
        };
        assert_eq!(
            (r.message_ref, r.status, r.recipient.display().as_str()),
            (21, 0, "+33612345678")
        );
        assert_eq!(r.discharge_time.to_rfc3339(), "2022-12-01T07:33:59+01:00");
        let e = classify(&urc("+CDS: 6,21", None), EventContext::default());
        assert!(matches!(e, ModemEvent::Undecodable { .. }), "{e:?}");
    }

    #[test]
    fn a_cmt_whose_pdu_does_not_decode_is_kept_as_undecodable() {
        let e = classify(&urc("+CMT: ,23", Some("07FFZZ")), EventContext::default());
        assert!(matches!(e, ModemEvent::Undecodable { .. }), "{e:?}");
        let e = classify(&urc("+CMT: ,23", None), EventContext::default());
        assert!(matches!(e, ModemEvent::Undecodable { .. }), "{e:?}");
    }

    #[test]
    fn registration_urc_is_read_in_urc_form() {
        let e = classify(&urc("+CREG: 1", None), EventContext::default());
        let ModemEvent::Registration(r) = e else {
            panic!()
        };
        assert_eq!((r.mode, r.status), (None, RegStatus::Home));
    }

    #[test]
    fn huawei_rssi_and_boot_lines_are_typed() {
        let e = classify(&urc("^RSSI: 17", None), EventContext::default());
        assert_eq!(e, ModemEvent::Signal(Signal { rssi: 17, ber: 99 }));
        assert_eq!(
            classify(&urc("RDY", None), EventContext::default()),
            ModemEvent::Boot
        );
        assert_eq!(
            classify(&urc("+QIND: SMS DONE", None), EventContext::default()),
            ModemEvent::SmsReady
        );
        assert!(matches!(
            classify(&urc("^MODE: 5,4", None), EventContext::default()),
            ModemEvent::Other { .. }
        ));
    }

    #[test]
    fn huawei_ussd_urc_is_unpacked() {
        let ctx = EventContext {
            ussd_encoding: UssdEncoding::PackedGsm7Hex,
            ucs2: false,
        };
        let e = classify(&urc("+CUSD: 0,\"AA180C3602\",15", None), ctx);
        let ModemEvent::Ussd(u) = e else { panic!() };
        assert_eq!(u.text.as_deref(), Some("*100#"));
    }
}
