//! SMS PDU codec (3GPP TS 23.040 / 23.038): pure, I/O-free encode and decode of SMS-SUBMIT,
//! SMS-DELIVER and SMS-STATUS-REPORT, alphabets, concatenation and reassembly.
//!
//! Nothing here touches a clock, a port or a file: bytes in, values out (and back).
//!
//! Module map:
//! - [`gsm7`]: GSM 7-bit alphabet (default, extension, national shift tables), septet packing.
//!   `tables` holds the character tables themselves.
//! - [`ucs2`]: UTF-16BE text and the UCS2 hex form of `AT+CSCS="UCS2"` answers.
//! - [`address`]: [`Address`] with type of number / numbering plan, SMSC and TP address forms.
//! - [`udh`]: user data header information elements and [`Concat`].
//! - [`time`]: TP-SCTS timestamps and relative validity periods.
//! - [`decode`](mod@decode): [`decode()`], [`decode_hex`], [`decode_tpdu`] → [`Pdu`]. Total: any input gives
//!   `Ok` or a [`PduError`], never a panic (fuzzed: `fuzz/fuzz_targets/pdu_decode.rs`).
//! - [`encode`]: [`encode_submit`], [`encode_deliver`], [`encode_status_report`],
//!   [`count_segments`]: encoding choice, national language tables, segmentation.
//! - [`reassembly`]: [`Reassembler`], the pure multipart joiner (time is passed in).
//! - `error`: [`PduError`].
//!
//! Invariants: an escape pair (GSM-7) or a surrogate pair (UCS2) is never split across segments;
//! every segment of one message carries the same concatenation reference and TP-MR; decoding
//! trusts the octets that are present over lengths declared around them (a modem's `+CMGR`
//! length); octets after the user data are ignored; user data shorter than TP-UDL is an error
//! for network PDUs (DELIVER, STATUS-REPORT) and read as `truncated` for stored SUBMITs.

pub mod address;
pub mod decode;
pub mod encode;
mod error;
pub mod gsm7;
mod hexutil;
pub mod reassembly;
mod tables;
pub mod time;
pub mod ucs2;
pub mod udh;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

pub use address::{Address, NumberingPlan, TypeOfNumber};
pub use decode::{decode, decode_hex, decode_stored, decode_stored_hex, decode_tpdu};
pub use encode::{
    DeliverOptions, EncodedPdu, StatusReportOptions, SubmitOptions, count_segments, encode_deliver,
    encode_status_report, encode_submit,
};
pub use error::PduError;
pub use reassembly::{Message, Part, Reassembler};
pub use time::Validity;
pub use udh::{Concat, InformationElement};

/// Alphabet of the user data (from TP-DCS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    #[serde(rename = "gsm7")]
    Gsm7,
    #[serde(rename = "8bit")]
    Eight,
    #[serde(rename = "ucs2")]
    Ucs2,
}

impl Encoding {
    /// `"gsm7"`, `"8bit"` or `"ucs2"` (the serde and CLI name).
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Eight => "8bit",
            Encoding::Ucs2 => "ucs2",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "gsm7" | "gsm" | "7bit" => Ok(Encoding::Gsm7),
            "8bit" | "8-bit" | "binary" => Ok(Encoding::Eight),
            "ucs2" | "ucs-2" | "utf16" => Ok(Encoding::Ucs2),
            _ => Err(format!("unknown encoding {s:?} (gsm7, 8bit, ucs2)")),
        }
    }
}

/// National language shift tables (TS 23.038 §6.2.1.2.4) this codec knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NationalLanguage {
    /// Id 1: locking and single shift tables.
    Turkish,
    /// Id 2: single shift table only (the locking table is the default alphabet).
    Spanish,
    /// Id 3: locking and single shift tables.
    Portuguese,
}

impl NationalLanguage {
    /// The table id carried in UDH IEs 0x24 / 0x25.
    pub fn id(self) -> u8 {
        match self {
            NationalLanguage::Turkish => 1,
            NationalLanguage::Spanish => 2,
            NationalLanguage::Portuguese => 3,
        }
    }

    /// The language for a table id, if this codec has its tables.
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(NationalLanguage::Turkish),
            2 => Some(NationalLanguage::Spanish),
            3 => Some(NationalLanguage::Portuguese),
            _ => None,
        }
    }

    /// Whether the language has its own locking shift table.
    pub fn has_locking_table(self) -> bool {
        !matches!(self, NationalLanguage::Spanish)
    }
}

impl std::str::FromStr for NationalLanguage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "turkish" | "tr" => Ok(NationalLanguage::Turkish),
            "spanish" | "es" => Ok(NationalLanguage::Spanish),
            "portuguese" | "pt" => Ok(NationalLanguage::Portuguese),
            _ => Err(format!(
                "unknown language {s:?} (turkish, spanish, portuguese)"
            )),
        }
    }
}

/// Decoded user data of one PDU.
///
/// - `text`: for GSM-7 and UCS2 the exact text (UCS2 unpaired surrogates become U+FFFD); for
///   8-bit data the bytes read as UTF-8, lossy (U+FFFD for invalid sequences) — binary payloads
///   (WAP push, ports) should be read from `data`.
/// - `data`: the payload after the header: unpacked septets (one per byte, escapes included) for
///   GSM-7, UTF-16BE bytes for UCS2, the octets for 8-bit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserData {
    pub encoding: Encoding,
    pub text: String,
    pub data: Vec<u8>,
    pub udh: Option<Vec<InformationElement>>,
    pub concat: Option<Concat>,
    /// GSM-7 tables selected by UDH IEs 0x25 / 0x24 (default when absent or unknown id).
    pub locking_shift: Option<NationalLanguage>,
    pub single_shift: Option<NationalLanguage>,
    /// TP-UDL declared more than the PDU holds and this is what was there (stored SUBMITs only;
    /// see [`decode`](mod@decode)).
    pub truncated: bool,
}

impl UserData {
    /// Application port addressing (IE 0x05 16-bit, or 0x04 8-bit): (destination, source).
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.udh
            .as_ref()?
            .iter()
            .find_map(InformationElement::ports)
    }
}

/// Data coding scheme details (TS 23.038 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataCoding {
    pub encoding: Encoding,
    pub compressed: bool,
    /// Message class 0 (flash) ..= 3, when the DCS carries one.
    pub class: Option<u8>,
}

impl DataCoding {
    /// Read a TP-DCS octet. Reserved alphabets are GSM-7 (as 23.038 asks).
    pub fn from_dcs(dcs: u8) -> DataCoding {
        let alphabet = |bits: u8| match bits & 0x03 {
            1 => Encoding::Eight,
            2 => Encoding::Ucs2,
            _ => Encoding::Gsm7,
        };
        match dcs >> 4 {
            0x0..=0x7 => DataCoding {
                encoding: alphabet(dcs >> 2),
                compressed: dcs & 0x20 != 0,
                class: (dcs & 0x10 != 0).then_some(dcs & 0x03),
            },
            0xC | 0xD => DataCoding {
                encoding: Encoding::Gsm7,
                compressed: false,
                class: None,
            },
            0xE => DataCoding {
                encoding: Encoding::Ucs2,
                compressed: false,
                class: None,
            },
            0xF => DataCoding {
                encoding: if dcs & 0x04 != 0 {
                    Encoding::Eight
                } else {
                    Encoding::Gsm7
                },
                compressed: false,
                class: Some(dcs & 0x03),
            },
            _ => DataCoding {
                encoding: Encoding::Gsm7,
                compressed: false,
                class: None,
            },
        }
    }

    /// The TP-DCS octet for an alphabet and optional class (general data coding group).
    pub fn dcs(encoding: Encoding, class: Option<u8>) -> u8 {
        let alphabet = match encoding {
            Encoding::Gsm7 => 0x00,
            Encoding::Eight => 0x04,
            Encoding::Ucs2 => 0x08,
        };
        match class {
            Some(c) => 0x10 | alphabet | (c & 0x03),
            None => alphabet,
        }
    }
}

/// An SMS-DELIVER (SC → MS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliver {
    pub smsc: Option<Address>,
    pub sender: Address,
    pub pid: u8,
    pub dcs: u8,
    pub timestamp: DateTime<FixedOffset>,
    pub user_data: UserData,
    /// TP-MMS clear: the SC has more messages waiting.
    pub more_messages_to_send: bool,
    /// TP-SRI.
    pub status_report_indication: bool,
    /// TP-RP.
    pub reply_path: bool,
}

/// An SMS-SUBMIT (MS → SC), as stored in the SIM or read back from our own encoder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submit {
    pub smsc: Option<Address>,
    pub recipient: Address,
    pub message_ref: u8,
    pub validity: Option<Validity>,
    pub status_report_request: bool,
    pub reject_duplicates: bool,
    pub reply_path: bool,
    pub pid: u8,
    pub dcs: u8,
    pub user_data: UserData,
}

/// An SMS-STATUS-REPORT (SC → MS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    pub smsc: Option<Address>,
    pub message_ref: u8,
    pub recipient: Address,
    pub sc_timestamp: DateTime<FixedOffset>,
    pub discharge_time: DateTime<FixedOffset>,
    /// Raw TP-ST.
    pub status: u8,
    pub more_messages_to_send: bool,
    /// TP-SRQ: the report is the result of an SMS-COMMAND, not an SMS-SUBMIT.
    pub status_report_qualifier: bool,
    /// Optional trailing user data (TP-PI), when present and well-formed.
    pub user_data: Option<UserData>,
}

/// What TP-ST says happened (TS 23.040 §9.2.3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusClass {
    /// 0x00–0x1F: the short message was delivered (or forwarded / replaced).
    Delivered,
    /// 0x20–0x3F: temporary error, the SC is still trying.
    TemporaryFailure,
    /// 0x40–0x5F (and reserved 0x80–0xFF): permanent error, the SC gave up.
    PermanentFailure,
    /// 0x60–0x7F: temporary error, but the SC is no longer trying.
    TemporaryFailureNoRetry,
}

impl StatusClass {
    /// Classify a raw TP-ST value.
    pub fn from_status(status: u8) -> StatusClass {
        match status {
            0x00..=0x1F => StatusClass::Delivered,
            0x20..=0x3F => StatusClass::TemporaryFailure,
            0x60..=0x7F => StatusClass::TemporaryFailureNoRetry,
            _ => StatusClass::PermanentFailure,
        }
    }

    /// Whether the outcome is final (delivered or failed for good).
    pub fn is_final(self) -> bool {
        !matches!(self, StatusClass::TemporaryFailure)
    }
}

impl StatusReport {
    /// The class of `status`.
    pub fn status_class(&self) -> StatusClass {
        StatusClass::from_status(self.status)
    }
}

/// Any decoded PDU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pdu {
    Deliver(Deliver),
    Submit(Submit),
    StatusReport(StatusReport),
}

impl Pdu {
    /// The SMSC address of the prefix, if one was given.
    pub fn smsc(&self) -> Option<&Address> {
        match self {
            Pdu::Deliver(d) => d.smsc.as_ref(),
            Pdu::Submit(s) => s.smsc.as_ref(),
            Pdu::StatusReport(r) => r.smsc.as_ref(),
        }
    }

    /// Sender (DELIVER) or recipient (SUBMIT, STATUS-REPORT).
    pub fn number(&self) -> &Address {
        match self {
            Pdu::Deliver(d) => &d.sender,
            Pdu::Submit(s) => &s.recipient,
            Pdu::StatusReport(r) => &r.recipient,
        }
    }

    /// The user data (status reports only when they carry some).
    pub fn user_data(&self) -> Option<&UserData> {
        match self {
            Pdu::Deliver(d) => Some(&d.user_data),
            Pdu::Submit(s) => Some(&s.user_data),
            Pdu::StatusReport(r) => r.user_data.as_ref(),
        }
    }

    /// `"deliver"`, `"submit"` or `"status-report"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Pdu::Deliver(_) => "deliver",
            Pdu::Submit(_) => "submit",
            Pdu::StatusReport(_) => "status-report",
        }
    }
}
