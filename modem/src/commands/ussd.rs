//! USSD (`AT+CUSD`): the `+CUSD: <m>[,<str>[,<dcs>]]` answer/URC and decoding its text per DCS,
//! the TE character set and the vendor's habit (Huawei sends packed GSM-7 as hex).

use serde::{Deserialize, Serialize};

use super::parse::{ParseError, after_prefix, is_hex, quoted_fields, ucs2_hex_decode};

/// `<m>` of `+CUSD` (27.007 §7.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UssdStatus {
    /// 0: no further user action required.
    Done,
    /// 1: further user action required (a menu).
    ActionRequired,
    /// 2: terminated by the network.
    Terminated,
    /// 3: another local client has responded.
    OtherClient,
    /// 4: operation not supported.
    NotSupported,
    /// 5: network time out.
    Timeout,
    /// Any other code.
    Other(u8),
}

impl UssdStatus {
    /// Map `<m>`.
    pub fn from_code(n: u8) -> UssdStatus {
        match n {
            0 => UssdStatus::Done,
            1 => UssdStatus::ActionRequired,
            2 => UssdStatus::Terminated,
            3 => UssdStatus::OtherClient,
            4 => UssdStatus::NotSupported,
            5 => UssdStatus::Timeout,
            n => UssdStatus::Other(n),
        }
    }
}

/// How a modem renders the USSD string (a profile setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UssdEncoding {
    /// 27.007 behaviour: text converted to the TE character set (`AT+CSCS`).
    #[default]
    Text,
    /// Huawei: GSM-7 strings as hex of the *packed* septets, both ways.
    PackedGsm7Hex,
}

/// The alphabet a cell-broadcast style DCS (23.038 §5) selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UssdAlphabet {
    /// GSM 7-bit default alphabet.
    Gsm7,
    /// 8-bit data.
    Eight,
    /// UCS2.
    Ucs2,
    /// UCS2 preceded by a two-character (packed GSM-7, 2 octets) language indication (DCS 0x11).
    Ucs2WithLanguage,
}

/// The alphabet selected by a USSD DCS.
pub fn dcs_alphabet(dcs: u8) -> UssdAlphabet {
    match dcs {
        0x11 => UssdAlphabet::Ucs2WithLanguage,
        0x40..=0x7F | 0x90..=0x9F => match (dcs >> 2) & 0x03 {
            1 => UssdAlphabet::Eight,
            2 => UssdAlphabet::Ucs2,
            _ => UssdAlphabet::Gsm7,
        },
        0xF0..=0xFF if dcs & 0x04 != 0 => UssdAlphabet::Eight,
        _ => UssdAlphabet::Gsm7,
    }
}

/// One `+CUSD` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UssdResponse {
    /// `<m>`.
    pub status: UssdStatus,
    /// The decoded text, when the line carried one.
    pub text: Option<String>,
    /// The string as the modem sent it.
    pub raw: Option<String>,
    /// `<dcs>`, when given.
    pub dcs: Option<u8>,
}

/// Parse and decode a `+CUSD` line. `encoding` is the profile's habit; `ucs2_charset` says
/// whether `AT+CSCS="UCS2"` is in effect (then GSM-7 strings come as UCS2 hex too).
pub fn parse_cusd(
    line: &str,
    encoding: UssdEncoding,
    ucs2_charset: bool,
) -> Result<UssdResponse, ParseError> {
    let body = after_prefix(line, "+CUSD")
        .ok_or_else(|| ParseError::new("+CUSD", line, "not a +CUSD line"))?;
    let f = quoted_fields(body);
    let m = f
        .first()
        .and_then(|f| f.num::<u8>())
        .ok_or_else(|| ParseError::new("+CUSD", line, "<m> missing or not a number"))?;
    let raw = f.get(1).map(|f| f.text.clone()).filter(|s| !s.is_empty());
    let dcs = match f.get(2).filter(|f| !f.text.is_empty()) {
        Some(d) => Some(
            d.num::<u8>()
                .ok_or_else(|| ParseError::new("+CUSD", line, "<dcs> is not a number 0-255"))?,
        ),
        None => None,
    };
    let text = raw
        .as_deref()
        .map(|s| decode_ussd_text(s, dcs, encoding, ucs2_charset));
    Ok(UssdResponse {
        status: UssdStatus::from_code(m),
        text,
        raw,
        dcs,
    })
}

/// Decode a USSD string per DCS (GSM-7 assumed when absent), charset and vendor habit.
/// Anything that does not decode cleanly is returned as sent.
pub fn decode_ussd_text(
    s: &str,
    dcs: Option<u8>,
    encoding: UssdEncoding,
    ucs2_charset: bool,
) -> String {
    let alphabet = dcs.map(dcs_alphabet).unwrap_or(UssdAlphabet::Gsm7);
    let decoded = match alphabet {
        UssdAlphabet::Ucs2 => ucs2_hex_decode(s),
        UssdAlphabet::Ucs2WithLanguage => s.get(4..).and_then(ucs2_hex_decode),
        UssdAlphabet::Eight => {
            if is_hex(s) {
                hex::decode(s)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            } else {
                None
            }
        }
        UssdAlphabet::Gsm7 => {
            if encoding == UssdEncoding::PackedGsm7Hex && is_hex(s) {
                unpack_gsm7_hex(s)
            } else if ucs2_charset {
                ucs2_hex_decode(s)
            } else {
                None
            }
        }
    };
    let text = decoded.unwrap_or_else(|| s.to_owned());
    // UCS2 answers padded with NULs and filler (Telit HE910) end at the first NUL.
    match text.find('\0') {
        Some(p) => text[..p].to_owned(),
        None => text,
    }
}

/// Huawei form: hex of packed GSM-7 septets → text. Trailing CRs (the 23.038 filler when
/// seven spare bits remain) are removed.
pub fn unpack_gsm7_hex(s: &str) -> Option<String> {
    let bytes = hex::decode(s).ok()?;
    let count = bytes.len() * 8 / 7;
    let septets = smsgate_pdu::gsm7::unpack(&bytes, 0, count);
    let text = smsgate_pdu::gsm7::decode_unpacked(&septets);
    // CR pads the last octet (23.038 §6.1.2.3.1); networks also end texts with it.
    Some(text.trim_end_matches('\r').to_owned())
}

/// Huawei form for sending: text → packed GSM-7 → hex. `None` if the text is not GSM-7.
pub fn pack_gsm7_hex(text: &str) -> Option<String> {
    let septets = smsgate_pdu::gsm7::encode_unpacked(text).ok()?;
    let mut packed = smsgate_pdu::gsm7::pack(&septets, 0);
    // Seven spare bits at the end would read as '@': 23.038 says fill them with CR.
    if septets.len() % 8 == 7
        && let Some(last) = packed.last_mut()
    {
        *last |= 0x0D << 1;
    }
    Some(hex::encode_upper(packed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dcs_selects_the_alphabet() {
        assert_eq!(dcs_alphabet(15), UssdAlphabet::Gsm7);
        assert_eq!(dcs_alphabet(72), UssdAlphabet::Ucs2);
        assert_eq!(dcs_alphabet(17), UssdAlphabet::Ucs2WithLanguage);
        assert_eq!(dcs_alphabet(68), UssdAlphabet::Eight);
        assert_eq!(dcs_alphabet(0xF4), UssdAlphabet::Eight);
    }

    #[test]
    fn huawei_packed_hex_round_trips() {
        for text in ["*100#", "*123*1#", "Balance: 12.50 EUR", "1234567"] {
            let hex = pack_gsm7_hex(text).unwrap();
            assert_eq!(unpack_gsm7_hex(&hex).as_deref(), Some(text), "{hex}");
        }
        assert_eq!(pack_gsm7_hex("*100#").as_deref(), Some("AA180C3602"));
    }

    #[test]
    fn plain_text_with_a_comma_and_dcs_is_kept() {
        let r = parse_cusd(
            "+CUSD: 0,\"Balance: 5,00 EUR\",15",
            UssdEncoding::Text,
            false,
        )
        .unwrap();
        assert_eq!(r.text.as_deref(), Some("Balance: 5,00 EUR"));
        assert_eq!((r.status, r.dcs), (UssdStatus::Done, Some(15)));
    }

    #[test]
    fn a_bare_status_line_has_no_text() {
        let r = parse_cusd("+CUSD: 4", UssdEncoding::Text, false).unwrap();
        assert_eq!((r.status, r.text), (UssdStatus::NotSupported, None));
        assert!(parse_cusd("+CUSD: x", UssdEncoding::Text, false).is_err());
    }

    #[test]
    fn ucs2_charset_gsm7_dcs_is_decoded_from_hex() {
        let r = parse_cusd("+CUSD: 2,\"0048006900210021\",15", UssdEncoding::Text, true).unwrap();
        assert_eq!(r.text.as_deref(), Some("Hi!!"));
    }
}
