//! The one error type of the codec. Every variant names the field (and, when decoding, the octet
//! offset inside the PDU) that is wrong, so a log line is enough to find the fault.

use std::time::Duration;

use crate::Encoding;

/// Why a PDU could not be decoded, or a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// A character that is not a hexadecimal digit.
    #[error("hex: character {found:?} at position {position} is not a hex digit")]
    InvalidHex { position: usize, found: char },
    /// An odd number of hex digits (half an octet at the end).
    #[error("hex: odd number of digits ({digits}); a PDU is whole octets")]
    OddHexLength { digits: usize },
    /// Nothing to decode.
    #[error("PDU is empty")]
    Empty,
    /// A field runs past the end of the PDU.
    #[error("{field} at octet {offset} needs {needed} octet(s), only {available} left")]
    Truncated {
        field: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// The SMSC length octet is larger than an SMSC address can be (TOA + 10 octets).
    #[error("SMSC length at octet 0 is {length} octets; at most 11 are allowed")]
    SmscLength { length: u8 },
    /// An address longer than 20 semi-octets (TS 23.040 §9.1.2.5 allows 2..12 octets).
    #[error("{field} at octet {offset} declares {digits} semi-octets; at most 20 are allowed")]
    AddressLength {
        field: &'static str,
        offset: usize,
        digits: u8,
    },
    /// A type-of-address octet without its always-set bit 7 (TS 24.008 §10.5.4.7): the
    /// octets around it are not an address.
    #[error("{field} type of address {toa:#04X} at octet {offset} lacks bit 7")]
    InvalidToa {
        field: &'static str,
        offset: usize,
        toa: u8,
    },
    /// TP-MTI 0b11 is reserved.
    #[error("first octet {first_octet:#04X} at octet {offset}: TP-MTI 3 is reserved")]
    ReservedMti { first_octet: u8, offset: usize },
    /// Compressed user data (TS 23.042) is not supported.
    #[error("TP-DCS {dcs:#04X}: compressed user data is not supported")]
    Compressed { dcs: u8 },
    /// TP-UDL declares more user data than the PDU carries.
    #[error(
        "TP-UDL at octet {offset} declares {declared} {unit} ({needed} octets) but only {available} octets follow"
    )]
    UserDataShort {
        offset: usize,
        declared: usize,
        unit: &'static str,
        needed: usize,
        available: usize,
    },
    /// The user data header is longer than the user data.
    #[error(
        "TP-UDH length {udhl} overruns the user data ({available} octets after the length octet)"
    )]
    UdhOverrun { udhl: usize, available: usize },
    /// An information element runs past the end of the user data header.
    #[error(
        "TP-UDH information element {iei:#04X} at header octet {offset} declares {length} octets, only {available} left"
    )]
    IeOverrun {
        iei: u8,
        offset: usize,
        length: usize,
        available: usize,
    },
    /// A timestamp (TP-SCTS, TP-DT, absolute TP-VP) that is not a date.
    #[error("{field} at octet {offset}: {detail}")]
    InvalidTimestamp {
        field: &'static str,
        offset: usize,
        detail: String,
    },
    /// An address given to the encoder that cannot be put on the wire.
    #[error("{field}: {value:?} is not a valid address: {reason}")]
    InvalidAddress {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    /// A character the requested alphabet cannot carry.
    #[error("text: character {ch:?} at position {position} cannot be encoded in {encoding}")]
    Unencodable {
        ch: char,
        position: usize,
        encoding: Encoding,
    },
    /// The text needs more than 255 segments.
    #[error("text needs {segments} segments; a concatenated message has at most 255")]
    TooManySegments { segments: usize },
    /// An 8-bit concatenation reference was asked for with a value above 255.
    #[error("concat_ref {reference} does not fit an 8-bit reference; set concat_16bit")]
    ConcatRefTooLarge { reference: u16 },
    /// A relative validity period beyond 63 weeks.
    #[error("validity {0:?} exceeds the longest relative validity period (63 weeks)")]
    ValidityTooLong(Duration),
    /// Two options that exclude each other.
    #[error("options: {0}")]
    ConflictingOptions(&'static str),
    /// A timestamp that TP-SCTS cannot carry.
    #[error("{field}: {detail}")]
    UnencodableTimestamp { field: &'static str, detail: String },
    /// A message class outside 0..=3.
    #[error("class: {0} is not a message class (0..=3)")]
    InvalidClass(u8),
}
