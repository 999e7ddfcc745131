//! Decoding: bytes → [`Pdu`]. Total over all inputs (every index is checked); errors name the
//! field and the octet offset within the whole PDU (SMSC prefix included when there is one).
//!
//! Leniency, following what gammu and python-gsmmodem accept from real modems (reference §3.1):
//! octets after the user data (or after a status report) are ignored (`FF` padding, `,0`-style
//! junk); a UDHI flag with empty user data is ignored; a time-zone semi-octet that is not BCD is
//! read arithmetically; an SMS-SUBMIT (read back from storage, written by a phone) whose user data
//! is shorter than TP-UDL decodes what is there, marked `truncated` (gammu reads such a stored
//! SUBMIT, at-sms/41.dump; python-gsmmodem too). Not lenient: a DELIVER or STATUS-REPORT with user
//! data shorter than TP-UDL (network data; ModemManager rejects it), reserved TP-MTI, addresses
//! longer than 20 digits or without TOA bit 7, compressed data, odd-length or non-hex text.

use chrono::{DateTime, FixedOffset};

use crate::address::{self, Address};
use crate::gsm7::{self, Tables};
use crate::time::{self, Validity};
use crate::udh::{self, IEI_LOCKING_SHIFT, IEI_SINGLE_SHIFT, InformationElement};
use crate::{
    DataCoding, Deliver, Encoding, NationalLanguage, Pdu, PduError, StatusReport, Submit, UserData,
    ucs2,
};

/// Decode a PDU with its SMSC prefix (the `AT+CMGR` / `+CMT` / `+CMGL` form; `00` = no SMSC).
pub fn decode(bytes: &[u8]) -> Result<Pdu, PduError> {
    let mut r = Reader::new(bytes);
    let smsc = read_smsc(&mut r)?;
    decode_at(&mut r, smsc)
}

/// [`decode`] from hex text: any case, surrounding whitespace trimmed; odd length or a non-hex
/// character is an error naming the position.
pub fn decode_hex(hex_text: &str) -> Result<Pdu, PduError> {
    decode(&crate::hexutil::decode_hex_bytes(hex_text)?)
}

/// Decode a bare TPDU (no SMSC prefix), e.g. what `AT+CMGS=<len>` takes.
pub fn decode_tpdu(bytes: &[u8]) -> Result<Pdu, PduError> {
    decode_at(&mut Reader::new(bytes), None)
}

/// Decode a stored (`+CMGR`/`+CMGL`) or routed (`+CDS: <length>`) PDU given the `<length>` the
/// modem declared (27.005: the TPDU octets, SMSC prefix not counted).
///
/// PDU mode puts the SMSC address before the TPDU, and that is how this reads first. Some modems
/// list status reports (and route `+CDS`) as a bare TPDU; their declared length then equals the
/// whole PDU. So: when the declared length is the whole PDU, the bare TPDU is tried first and the
/// SMSC form is the fallback; otherwise the SMSC form is the only reading (declared lengths are
/// often wrong — 23 of gammu's 36 real dumps — so they never cut the PDU).
pub fn decode_stored(bytes: &[u8], declared_tpdu_len: Option<usize>) -> Result<Pdu, PduError> {
    if declared_tpdu_len == Some(bytes.len())
        && let Ok(pdu) = decode_tpdu(bytes)
    {
        return Ok(pdu);
    }
    decode(bytes)
}

/// [`decode_stored`] from hex text.
pub fn decode_stored_hex(
    hex_text: &str,
    declared_tpdu_len: Option<usize>,
) -> Result<Pdu, PduError> {
    decode_stored(
        &crate::hexutil::decode_hex_bytes(hex_text)?,
        declared_tpdu_len,
    )
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], PduError> {
        match self.bytes.get(self.pos..self.pos + n) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(PduError::Truncated {
                field,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            }),
        }
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, PduError> {
        Ok(self.take(1, field)?[0])
    }

    /// A 7-octet timestamp; errors name `field` and its offset.
    fn scts(&mut self, field: &'static str) -> Result<DateTime<FixedOffset>, PduError> {
        let offset = self.pos;
        time::decode_scts(self.take(7, field)?, field, offset)
    }

    fn rest(&mut self) -> &'a [u8] {
        let s = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        s
    }
}

fn read_smsc(r: &mut Reader<'_>) -> Result<Option<Address>, PduError> {
    if r.remaining() == 0 {
        return Err(PduError::Empty);
    }
    let len = r.u8("SMSC length")?;
    if len == 0 {
        return Ok(None);
    }
    if len > 11 {
        return Err(PduError::SmscLength { length: len });
    }
    let body = r.take(usize::from(len), "SMSC address")?;
    let toa = body[0];
    if toa & 0x80 == 0 {
        return Err(PduError::InvalidToa {
            field: "SMSC address",
            offset: 1,
            toa,
        });
    }
    let value = &body[1..];
    let a = address::decode_value(toa, value, value.len() * 2);
    Ok((!a.number.is_empty()).then_some(a))
}

fn read_address(r: &mut Reader<'_>, field: &'static str) -> Result<Address, PduError> {
    let offset = r.pos;
    let semi = r.u8(field)?;
    if semi > 20 {
        return Err(PduError::AddressLength {
            field,
            offset,
            digits: semi,
        });
    }
    let toa_offset = r.pos;
    let toa = r.u8(field)?;
    if toa & 0x80 == 0 {
        return Err(PduError::InvalidToa {
            field,
            offset: toa_offset,
            toa,
        });
    }
    let value = r.take(usize::from(semi).div_ceil(2), field)?;
    Ok(address::decode_value(toa, value, usize::from(semi)))
}

fn decode_at(r: &mut Reader<'_>, smsc: Option<Address>) -> Result<Pdu, PduError> {
    if r.remaining() == 0 {
        return Err(PduError::Truncated {
            field: "first octet",
            offset: r.pos,
            needed: 1,
            available: 0,
        });
    }
    let fo_offset = r.pos;
    let fo = r.u8("first octet")?;
    match fo & 0x03 {
        0 => decode_deliver(r, smsc, fo).map(Pdu::Deliver),
        1 => decode_submit(r, smsc, fo).map(Pdu::Submit),
        2 => decode_status_report(r, smsc, fo).map(Pdu::StatusReport),
        _ => Err(PduError::ReservedMti {
            first_octet: fo,
            offset: fo_offset,
        }),
    }
}

fn decode_deliver(r: &mut Reader<'_>, smsc: Option<Address>, fo: u8) -> Result<Deliver, PduError> {
    let sender = read_address(r, "TP-OA")?;
    let pid = r.u8("TP-PID")?;
    let dcs = r.u8("TP-DCS")?;
    let timestamp = r.scts("TP-SCTS")?;
    let user_data = read_user_data(r, dcs, fo & 0x40 != 0, false)?;
    Ok(Deliver {
        smsc,
        sender,
        pid,
        dcs,
        timestamp,
        user_data,
        more_messages_to_send: fo & 0x04 == 0,
        status_report_indication: fo & 0x20 != 0,
        reply_path: fo & 0x80 != 0,
    })
}

fn decode_submit(r: &mut Reader<'_>, smsc: Option<Address>, fo: u8) -> Result<Submit, PduError> {
    let message_ref = r.u8("TP-MR")?;
    let recipient = read_address(r, "TP-DA")?;
    let pid = r.u8("TP-PID")?;
    let dcs = r.u8("TP-DCS")?;
    let validity = match (fo >> 3) & 0x03 {
        0b00 => None,
        0b10 => {
            let raw = r.u8("TP-VP")?;
            Some(Validity::Relative {
                raw,
                duration: time::relative_validity_duration(raw),
            })
        }
        0b11 => Some(Validity::Absolute(r.scts("TP-VP")?)),
        _ => {
            let b = r.take(7, "TP-VP")?;
            let mut raw = [0u8; 7];
            raw.copy_from_slice(b);
            Some(Validity::Enhanced(raw))
        }
    };
    let user_data = read_user_data(r, dcs, fo & 0x40 != 0, true)?;
    Ok(Submit {
        smsc,
        recipient,
        message_ref,
        validity,
        status_report_request: fo & 0x20 != 0,
        reject_duplicates: fo & 0x04 != 0,
        reply_path: fo & 0x80 != 0,
        pid,
        dcs,
        user_data,
    })
}

fn decode_status_report(
    r: &mut Reader<'_>,
    smsc: Option<Address>,
    fo: u8,
) -> Result<StatusReport, PduError> {
    let message_ref = r.u8("TP-MR")?;
    let recipient = read_address(r, "TP-RA")?;
    let sc_timestamp = r.scts("TP-SCTS")?;
    let discharge_time = r.scts("TP-DT")?;
    let status = r.u8("TP-ST")?;
    // TP-PI and what it announces are optional; gammu ignores whatever follows TP-ST when it
    // does not parse, and so do we.
    let user_data = read_status_report_tail(r, fo).ok().flatten();
    Ok(StatusReport {
        smsc,
        message_ref,
        recipient,
        sc_timestamp,
        discharge_time,
        status,
        more_messages_to_send: fo & 0x04 == 0,
        status_report_qualifier: fo & 0x20 != 0,
        user_data,
    })
}

fn read_status_report_tail(r: &mut Reader<'_>, fo: u8) -> Result<Option<UserData>, PduError> {
    if r.remaining() == 0 {
        return Ok(None);
    }
    let pi = r.u8("TP-PI")?;
    if pi & 0x01 != 0 {
        r.u8("TP-PID")?;
    }
    let dcs = if pi & 0x02 != 0 { r.u8("TP-DCS")? } else { 0 };
    if pi & 0x04 == 0 {
        return Ok(None);
    }
    read_user_data(r, dcs, fo & 0x40 != 0, false).map(Some)
}

/// `lenient`: accept user data shorter than TP-UDL (decode what is there, mark it truncated).
fn read_user_data(
    r: &mut Reader<'_>,
    dcs: u8,
    udhi: bool,
    lenient: bool,
) -> Result<UserData, PduError> {
    let coding = DataCoding::from_dcs(dcs);
    if coding.compressed {
        return Err(PduError::Compressed { dcs });
    }
    let udl_offset = r.pos;
    let udl = usize::from(r.u8("TP-UDL")?);
    let (unit, needed) = match coding.encoding {
        Encoding::Gsm7 => ("septets", (udl * 7).div_ceil(8)),
        _ => ("octets", udl),
    };
    let rest = r.rest();
    let truncated = rest.len() < needed;
    if truncated && !lenient {
        return Err(PduError::UserDataShort {
            offset: udl_offset,
            declared: udl,
            unit,
            needed,
            available: rest.len(),
        });
    }
    let ud = &rest[..needed.min(rest.len())];
    // What the octets present can hold (all of TP-UDL unless truncated).
    let udl = match coding.encoding {
        Encoding::Gsm7 => udl.min(ud.len() * 8 / 7),
        _ => udl.min(ud.len()),
    };

    let (header_octets, elements) = if udhi && !ud.is_empty() {
        let udhl = usize::from(ud[0]);
        if udhl + 1 > ud.len() {
            return Err(PduError::UdhOverrun {
                udhl,
                available: ud.len() - 1,
            });
        }
        (udhl + 1, Some(udh::parse(&ud[1..=udhl])?))
    } else {
        (0, None)
    };

    let find = |iei| {
        elements
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find_map(|ie: &InformationElement| ie.shift_id(iei))
            .and_then(NationalLanguage::from_id)
    };
    let locking_shift = find(IEI_LOCKING_SHIFT);
    let single_shift = find(IEI_SINGLE_SHIFT);

    let (text, data) = match coding.encoding {
        Encoding::Gsm7 => {
            let header_septets = (header_octets * 8).div_ceil(7);
            let fill = (header_septets * 7 - header_octets * 8) as u8;
            let count = udl.saturating_sub(header_septets);
            let septets = gsm7::unpack(&ud[header_octets..], fill, count);
            let tables = Tables {
                locking: locking_shift,
                single: single_shift,
            };
            (tables.decode(&septets), septets)
        }
        Encoding::Ucs2 => {
            let payload = &ud[header_octets..];
            (ucs2::decode(payload), payload.to_vec())
        }
        Encoding::Eight => {
            let payload = &ud[header_octets..];
            (
                String::from_utf8_lossy(payload).into_owned(),
                payload.to_vec(),
            )
        }
    };
    let concat = elements
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find_map(InformationElement::concat);
    Ok(UserData {
        encoding: coding.encoding,
        text,
        data,
        udh: elements,
        concat,
        locking_shift,
        single_shift,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_is_a_clean_error() {
        assert_eq!(decode(&[]), Err(PduError::Empty));
        assert!(decode_tpdu(&[]).is_err());
        assert!(decode_hex("   ").is_err());
    }

    #[test]
    fn status_report_from_python_gsmmodem_decodes() {
        let Pdu::StatusReport(r) =
            decode_hex("0006D60B911326880736F4111011719551401110117195714000").unwrap()
        else {
            panic!("not a status report")
        };
        assert_eq!(r.message_ref, 214);
        assert_eq!(r.recipient.display(), "+31628870634");
        assert_eq!(r.sc_timestamp.to_rfc3339(), "2011-01-11T17:59:15+01:00");
        assert_eq!(r.discharge_time.to_rfc3339(), "2011-01-11T17:59:17+01:00");
        assert_eq!(r.status, 0);
    }

    #[test]
    fn udhi_with_empty_user_data_is_ignored() {
        // gammu at-sms/20.dump: first octet D5 (UDHI) and TP-UDL 0.
        let p = decode_hex("058163465010D5B00C8163460653332000000000").unwrap();
        assert_eq!(p.user_data().unwrap().text, "");
    }

    #[test]
    fn compressed_user_data_is_refused() {
        let e = decode_hex("0004038121F30039111010214365000100").unwrap_err();
        assert!(matches!(e, PduError::Compressed { dcs: 0x39 }), "{e}");
    }

    #[test]
    fn short_user_data_fails_a_deliver_but_reads_as_truncated_for_a_stored_submit() {
        // DELIVER, TP-UDL 11 septets, 9 octets present (ModemManager test_pdu_insufficient_data).
        let e =
            decode_hex("07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37")
                .unwrap_err();
        assert!(
            matches!(
                e,
                PduError::UserDataShort {
                    declared: 11,
                    available: 9,
                    ..
                }
            ),
            "{e}"
        );
        // SUBMIT, UCS2, TP-UDL 160 octets, 10 present (python-gsmmodem's invalid-length PDU).
        let p = decode_hex("0041010C910661345542F60008A0050003000301306F3044").unwrap();
        let ud = p.user_data().unwrap();
        assert!(ud.truncated);
        assert_eq!(ud.text, "はい");
    }

    #[test]
    fn address_without_toa_bit_7_is_not_an_address() {
        let e = decode_hex("00F101010C0000000000").unwrap_err();
        assert!(
            matches!(
                e,
                PduError::InvalidToa {
                    toa: 0x0C,
                    offset: 4,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn reserved_message_type_is_refused_with_its_offset() {
        let e = decode_hex("00FFFF").unwrap_err();
        assert_eq!(
            e,
            PduError::ReservedMti {
                first_octet: 0xFF,
                offset: 1
            }
        );
    }

    #[test]
    fn trailing_octets_after_the_user_data_are_ignored() {
        let base = "0001000B915121551532F40000".to_string() + "04E8373B0C";
        let a = decode_hex(&base).unwrap();
        let b = decode_hex(&(base + "FFFFFF")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.user_data().unwrap().text, "hola");
    }
}
