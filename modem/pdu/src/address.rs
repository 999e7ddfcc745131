//! Addresses (TS 23.040 §9.1.2.5): TP-OA/TP-DA/TP-RA (length in semi-octets) and the SMSC prefix
//! of 27.005 PDUs (length in octets). BCD digits swapped per octet with an `F` filler; semi-octets
//! A–E are `* # a b c`; alphanumeric addresses (TON 5) are packed GSM-7.

use serde::{Deserialize, Serialize};

use crate::PduError;
use crate::gsm7;

/// Type of number (TOA bits 6..4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeOfNumber {
    Unknown,
    International,
    National,
    NetworkSpecific,
    Subscriber,
    Alphanumeric,
    Abbreviated,
    Reserved,
}

impl TypeOfNumber {
    fn from_bits(bits: u8) -> Self {
        match bits & 0x07 {
            0 => Self::Unknown,
            1 => Self::International,
            2 => Self::National,
            3 => Self::NetworkSpecific,
            4 => Self::Subscriber,
            5 => Self::Alphanumeric,
            6 => Self::Abbreviated,
            _ => Self::Reserved,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::International => 1,
            Self::National => 2,
            Self::NetworkSpecific => 3,
            Self::Subscriber => 4,
            Self::Alphanumeric => 5,
            Self::Abbreviated => 6,
            Self::Reserved => 7,
        }
    }
}

/// Numbering plan identification (TOA bits 3..0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NumberingPlan {
    Unknown,
    /// E.164 / ISDN telephony (1).
    Isdn,
    Data,
    Telex,
    National,
    Private,
    Ermes,
    /// Any other value (service-centre specific, reserved).
    Other(u8),
}

impl NumberingPlan {
    fn from_bits(bits: u8) -> Self {
        match bits & 0x0F {
            0 => Self::Unknown,
            1 => Self::Isdn,
            3 => Self::Data,
            4 => Self::Telex,
            8 => Self::National,
            9 => Self::Private,
            10 => Self::Ermes,
            other => Self::Other(other),
        }
    }

    fn bits(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Isdn => 1,
            Self::Data => 3,
            Self::Telex => 4,
            Self::National => 8,
            Self::Private => 9,
            Self::Ermes => 10,
            Self::Other(v) => v & 0x0F,
        }
    }
}

/// A phone number or alphanumeric sender with its type of number and numbering plan.
///
/// `number` holds the digits without `+` (semi-octets A–E as `* # a b c`), or the text of an
/// alphanumeric address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    pub number: String,
    pub ton: TypeOfNumber,
    pub npi: NumberingPlan,
}

const MAX_DIGITS: usize = 20;
const MAX_ALPHA_SEPTETS: usize = 11;

impl Address {
    /// `"+33612…"` → international/ISDN; `"0612…"` (digits, `*`, `#`) → unknown/ISDN; anything
    /// else → alphanumeric (at most 11 GSM-7 septets). Spaces, `-`, `.` and parentheses inside a
    /// number are dropped (`"+33 6 12-34-56-78"`).
    pub fn parse(s: &str) -> Result<Address, PduError> {
        Self::parse_field(s, "address")
    }

    pub(crate) fn parse_field(s: &str, field: &'static str) -> Result<Address, PduError> {
        let invalid = |reason| PduError::InvalidAddress {
            field,
            value: s.to_string(),
            reason,
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(invalid("empty"));
        }
        let is_dial = |c: char| c.is_ascii_digit() || c == '*' || c == '#';
        // Numbers as people write them: "+33 6 12-34.56 (78)" is "+33612345678".
        let compact: String = t
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let looks_numeric = compact
            .strip_prefix('+')
            .unwrap_or(&compact)
            .chars()
            .all(is_dial);
        let t = if looks_numeric && !compact.is_empty() {
            compact.as_str()
        } else {
            t
        };
        if let Some(digits) = t.strip_prefix('+') {
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid("after '+' only digits may follow"));
            }
            if digits.len() > MAX_DIGITS {
                return Err(invalid("more than 20 digits"));
            }
            return Ok(Address {
                number: digits.to_string(),
                ton: TypeOfNumber::International,
                npi: NumberingPlan::Isdn,
            });
        }
        if t.chars().all(is_dial) {
            if t.len() > MAX_DIGITS {
                return Err(invalid("more than 20 digits"));
            }
            return Ok(Address {
                number: t.to_string(),
                ton: TypeOfNumber::Unknown,
                npi: NumberingPlan::Isdn,
            });
        }
        match gsm7::septet_count(t) {
            None => Err(invalid(
                "alphanumeric address has a character outside the GSM 7-bit alphabet",
            )),
            Some(n) if n > MAX_ALPHA_SEPTETS => {
                Err(invalid("alphanumeric address longer than 11 septets"))
            }
            Some(_) => Ok(Address {
                number: t.to_string(),
                ton: TypeOfNumber::Alphanumeric,
                npi: NumberingPlan::Unknown,
            }),
        }
    }

    /// `"+33612…"` for international numbers, the text for alphanumeric, the digits otherwise.
    pub fn display(&self) -> String {
        match self.ton {
            TypeOfNumber::International if !self.number.is_empty() => {
                format!("+{}", self.number)
            }
            _ => self.number.clone(),
        }
    }

    /// The type-of-address octet (bit 7 always set).
    pub fn toa(&self) -> u8 {
        0x80 | self.ton.bits() << 4 | self.npi.bits()
    }

    /// Build from a TOA octet and the digits/text.
    pub fn with_toa(number: impl Into<String>, toa: u8) -> Address {
        Address {
            number: number.into(),
            ton: TypeOfNumber::from_bits(toa >> 4),
            npi: NumberingPlan::from_bits(toa),
        }
    }

    /// TP-DA/TP-OA/TP-RA form: length in useful semi-octets, TOA, value.
    pub(crate) fn encode_tp(&self, field: &'static str) -> Result<Vec<u8>, PduError> {
        let (semi_octets, value) = self.encode_value(field)?;
        let mut out = Vec::with_capacity(value.len() + 2);
        // semi_octets <= 22 (checked in encode_value), so it fits a u8.
        out.push(semi_octets as u8);
        out.push(self.toa());
        out.extend_from_slice(&value);
        Ok(out)
    }

    /// SMSC form: length in octets (TOA included), TOA, value.
    pub(crate) fn encode_smsc(&self) -> Result<Vec<u8>, PduError> {
        let (_, value) = self.encode_value("smsc")?;
        let mut out = Vec::with_capacity(value.len() + 2);
        // value.len() <= 11, so it fits a u8.
        out.push(value.len() as u8 + 1);
        out.push(self.toa());
        out.extend_from_slice(&value);
        Ok(out)
    }

    fn encode_value(&self, field: &'static str) -> Result<(usize, Vec<u8>), PduError> {
        let invalid = |reason| PduError::InvalidAddress {
            field,
            value: self.number.clone(),
            reason,
        };
        if self.ton == TypeOfNumber::Alphanumeric {
            let septets = gsm7::encode_unpacked(&self.number).map_err(|_| {
                invalid("alphanumeric address has a character outside the GSM 7-bit alphabet")
            })?;
            if septets.len() > MAX_ALPHA_SEPTETS {
                return Err(invalid("alphanumeric address longer than 11 septets"));
            }
            let packed = gsm7::pack(&septets, 0);
            return Ok(((septets.len() * 7).div_ceil(4), packed));
        }
        let nibbles = self
            .number
            .chars()
            .map(|c| match c {
                '0'..='9' => Ok(c as u8 - b'0'),
                '*' => Ok(0xA),
                '#' => Ok(0xB),
                'a' => Ok(0xC),
                'b' => Ok(0xD),
                'c' => Ok(0xE),
                _ => Err(invalid("only digits, '*', '#', 'a', 'b', 'c' may appear")),
            })
            .collect::<Result<Vec<u8>, _>>()?;
        if nibbles.len() > MAX_DIGITS {
            return Err(invalid("more than 20 digits"));
        }
        Ok((nibbles.len(), pack_semi_octets(&nibbles)))
    }
}

fn pack_semi_octets(nibbles: &[u8]) -> Vec<u8> {
    nibbles
        .chunks(2)
        .map(|p| p[0] | p.get(1).copied().unwrap_or(0xF) << 4)
        .collect()
}

/// Digits of swapped BCD octets; filler `F` ends the number, `A`–`E` are `* # a b c`.
pub(crate) fn decode_semi_octets(bytes: &[u8], max_digits: usize) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b & 0x0F, b >> 4] {
            if out.len() >= max_digits {
                return out;
            }
            match nibble {
                0..=9 => out.push(char::from(b'0' + nibble)),
                0xA => out.push('*'),
                0xB => out.push('#'),
                0xC => out.push('a'),
                0xD => out.push('b'),
                0xE => out.push('c'),
                _ => return out,
            }
        }
    }
    out
}

/// Value of an address from its TOA and value octets; `semi_octets` is the useful length
/// (for alphanumeric: how many semi-octets carry septets).
pub(crate) fn decode_value(toa: u8, value: &[u8], semi_octets: usize) -> Address {
    let ton = TypeOfNumber::from_bits(toa >> 4);
    let number = if ton == TypeOfNumber::Alphanumeric {
        let septets = gsm7::unpack(value, 0, semi_octets * 4 / 7);
        gsm7::decode_unpacked(&septets)
    } else {
        decode_semi_octets(value, semi_octets)
    };
    Address::with_toa(number, toa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_number_keeps_plus_on_display_only() {
        let a = Address::parse("+33612345678").unwrap();
        assert_eq!(a.number, "33612345678");
        assert_eq!(a.toa(), 0x91);
        assert_eq!(a.display(), "+33612345678");
    }

    #[test]
    fn separators_inside_a_number_are_dropped_but_kept_in_alphanumeric_senders() {
        assert_eq!(
            Address::parse("+33 6 12-34.56 (78)").unwrap().display(),
            "+33612345678"
        );
        let shop = Address::parse("My Shop").unwrap();
        assert_eq!(shop.ton, TypeOfNumber::Alphanumeric);
        assert_eq!(shop.number, "My Shop");
    }

    #[test]
    fn national_digits_are_type_unknown() {
        let a = Address::parse("0612345678").unwrap();
        assert_eq!(a.toa(), 0x81);
        assert_eq!(a.display(), "0612345678");
    }

    #[test]
    fn letters_make_an_alphanumeric_address() {
        let a = Address::parse("abc").unwrap();
        assert_eq!(a.toa(), 0xD0);
        assert_eq!(hex::encode_upper(a.encode_tp("to").unwrap()), "06D061F118");
        let f = Address::parse("FRANCOIS").unwrap();
        assert_eq!(
            hex::encode_upper(f.encode_tp("to").unwrap()),
            "0ED04669D0397C26A7"
        );
    }

    #[test]
    fn smsc_length_counts_octets_and_address_length_counts_digits() {
        let a = Address::parse("+9876543210").unwrap();
        assert_eq!(
            hex::encode_upper(a.encode_smsc().unwrap()),
            "06918967452301"
        );
        assert_eq!(
            hex::encode_upper(a.encode_tp("to").unwrap()),
            "0A918967452301"
        );
        let b = Address::parse("+19037029920").unwrap();
        assert_eq!(
            hex::encode_upper(b.encode_smsc().unwrap()),
            "07919130079229F0"
        );
    }

    #[test]
    fn odd_length_gets_an_f_filler_and_decodes_without_it() {
        let a = Address::parse("12345").unwrap();
        let wire = a.encode_tp("to").unwrap();
        assert_eq!(wire, vec![5, 0x81, 0x21, 0x43, 0xF5]);
        assert_eq!(decode_value(0x81, &wire[2..], 5).number, "12345");
    }

    #[test]
    fn semi_octets_a_to_e_are_star_hash_abc() {
        assert_eq!(decode_semi_octets(&[0xBA, 0xDC, 0x5E], 6), "*#abc5");
    }

    #[test]
    fn bad_addresses_are_rejected_with_the_reason() {
        assert!(Address::parse("").is_err());
        assert!(Address::parse("+12a").is_err());
        assert!(Address::parse("+123456789012345678901").is_err());
        assert!(Address::parse("TwelveLetter").is_err());
        assert!(Address::parse("日本").is_err());
    }
}
