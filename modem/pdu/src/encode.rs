//! Encoding: text → one [`EncodedPdu`] per segment (SMS-SUBMIT, SMS-DELIVER) and SMS-STATUS-REPORT.
//!
//! Encoding choice: with `encoding: None` the text goes as GSM-7 when the default alphabet (or,
//! when a national language is configured, one of its table combinations) can carry it, else as
//! UCS2 — GSM-7 is never larger. With a national language the combination with the fewest
//! segments wins, ties going to the one with fewer UDH IEs (default tables first).
//!
//! Segmentation: a text that fits one PDU goes without a concatenation IE (160 septets / 140
//! octets / 70 UCS2 units, less any language IEs); otherwise every part carries IE 0x00 (or 0x08
//! with `concat_16bit`), giving 153/134/67 (152/133/66). Parts are filled greedily by whole
//! characters, so an escape pair or surrogate pair (or, for 8-bit, a UTF-8 sequence) never
//! straddles two parts; greedy filling is also minimal, because characters are packed in order.
//! Every part carries the same TP-MR (`message_ref`; modems in PDU mode assign their own).

use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use crate::address::{Address, TypeOfNumber};
use crate::gsm7::{self, Septets, Tables};
use crate::time;
use crate::udh::{self, IEI_LOCKING_SHIFT, IEI_SINGLE_SHIFT, InformationElement};
use crate::{DataCoding, Encoding, NationalLanguage, PduError};

/// Options for [`encode_submit`]. `Default` is: no SMSC (`00`), no status report, no validity,
/// MR 0, 8-bit concatenation reference 0, automatic encoding, default alphabet only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitOptions {
    /// SMSC number for the prefix; `None` writes `00` (the modem's default SMSC).
    pub smsc: Option<String>,
    /// TP-SRR.
    pub status_report: bool,
    /// TP-RD.
    pub reject_duplicates: bool,
    /// Relative TP-VP, rounded up to the next value 23.040 can express (max 63 weeks).
    pub validity: Option<Duration>,
    /// TP-MR written in every part.
    pub message_ref: u8,
    /// Concatenation reference shared by all parts (≤ 255 unless `concat_16bit`).
    pub concat_ref: u16,
    /// Use IE 0x08 (16-bit reference) instead of IE 0x00.
    pub concat_16bit: bool,
    /// `None` = smallest that carries the text (GSM-7, else UCS2). 8-bit sends the UTF-8 bytes.
    pub encoding: Option<Encoding>,
    /// Allow this language's shift tables (UDH IEs 0x24/0x25) for GSM-7.
    pub national_language: Option<NationalLanguage>,
    /// Absolute TP-VP instead of the relative one (excludes `validity`).
    pub validity_absolute: Option<DateTime<FixedOffset>>,
    /// Message class 0..=3 in TP-DCS (0 = flash).
    pub class: Option<u8>,
    /// Type of number for the recipient and the SMSC when they are written without `+`
    /// (`None` = unknown, TOA 0x81). Some networks want national (TOA 0xA1) for local numbers.
    /// Numbers written with `+` are always international.
    pub local_number_type: Option<TypeOfNumber>,
}

/// One PDU ready for `AT+CMGS=<tpdu_len>`: `bytes` include the SMSC prefix (`00` when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPdu {
    /// TPDU octets, SMSC prefix excluded: the number `AT+CMGS=` wants.
    pub tpdu_len: usize,
    pub bytes: Vec<u8>,
}

impl EncodedPdu {
    /// Upper-case hex of `bytes`.
    pub fn hex(&self) -> String {
        hex::encode_upper(&self.bytes)
    }

    /// The TPDU alone (without the SMSC prefix).
    pub fn tpdu(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - self.tpdu_len..]
    }
}

/// Options for [`encode_deliver`] (what a simulated SMSC hands a phone). `Default` stamps
/// 2000-01-01T00:00:00+00:00 (the first instant TP-SCTS can carry); set `timestamp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverOptions {
    pub smsc: Option<String>,
    /// TP-SCTS; its offset must be whole quarter hours.
    pub timestamp: DateTime<FixedOffset>,
    pub concat_ref: u16,
    pub concat_16bit: bool,
    pub encoding: Option<Encoding>,
    /// TP-SRI.
    pub status_report_indication: bool,
    pub national_language: Option<NationalLanguage>,
}

impl Default for DeliverOptions {
    fn default() -> Self {
        DeliverOptions {
            smsc: None,
            timestamp: DateTime::from_timestamp(946_684_800, 0)
                .unwrap_or_default()
                .fixed_offset(),
            concat_ref: 0,
            concat_16bit: false,
            encoding: None,
            status_report_indication: false,
            national_language: None,
        }
    }
}

/// Options for [`encode_status_report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReportOptions {
    pub smsc: Option<String>,
    /// TP-MR of the SMS-SUBMIT this reports on.
    pub message_ref: u8,
    /// TP-RA: the recipient of that SMS-SUBMIT.
    pub recipient: String,
    pub sc_timestamp: DateTime<FixedOffset>,
    pub discharge_time: DateTime<FixedOffset>,
    /// Raw TP-ST (0 = delivered, 0x20.. temporary, 0x40.. permanent, 0x60.. temporary/no retry).
    pub status: u8,
}

/// Encode an SMS-SUBMIT, split into as few parts as the chosen encoding allows.
pub fn encode_submit(
    to: &str,
    text: &str,
    opts: &SubmitOptions,
) -> Result<Vec<EncodedPdu>, PduError> {
    let recipient = with_local_type(Address::parse_field(to, "to")?, opts.local_number_type);
    if recipient.ton == TypeOfNumber::Alphanumeric {
        return Err(PduError::InvalidAddress {
            field: "to",
            value: to.to_string(),
            reason: "a message cannot be sent to an alphanumeric address",
        });
    }
    let smsc = smsc_prefix(opts.smsc.as_deref(), opts.local_number_type)?;
    if let Some(c) = opts.class.filter(|c| *c > 3) {
        return Err(PduError::InvalidClass(c));
    }
    let (vpf, vp) = match (opts.validity, opts.validity_absolute) {
        (Some(_), Some(_)) => {
            return Err(PduError::ConflictingOptions(
                "validity and validity_absolute exclude each other",
            ));
        }
        (Some(d), None) => (0b10u8, vec![time::relative_validity_octet(d)?]),
        (None, Some(t)) => (0b11, time::encode_scts(&t, "validity_absolute")?.to_vec()),
        (None, None) => (0b00, Vec::new()),
    };
    let plan = plan(
        text,
        opts.encoding,
        opts.national_language,
        opts.concat_16bit,
    )?;
    let segments = plan.build(opts.concat_ref, opts.concat_16bit)?;
    let da = recipient.encode_tp("to")?;
    let dcs = DataCoding::dcs(plan.encoding, opts.class);
    Ok(segments
        .into_iter()
        .map(|seg| {
            let fo = 0x01
                | u8::from(opts.reject_duplicates) << 2
                | vpf << 3
                | u8::from(opts.status_report) << 5
                | u8::from(seg.udhi) << 6;
            let mut tpdu = Vec::with_capacity(seg.ud.len() + da.len() + 12);
            tpdu.push(fo);
            tpdu.push(opts.message_ref);
            tpdu.extend_from_slice(&da);
            tpdu.push(0x00); // TP-PID: plain short message
            tpdu.push(dcs);
            tpdu.extend_from_slice(&vp);
            tpdu.push(seg.udl);
            tpdu.extend_from_slice(&seg.ud);
            finish(&smsc, tpdu)
        })
        .collect())
}

/// Encode an SMS-DELIVER (the SMSC → phone direction), split like [`encode_submit`].
pub fn encode_deliver(
    from: &str,
    text: &str,
    opts: &DeliverOptions,
) -> Result<Vec<EncodedPdu>, PduError> {
    let sender = Address::parse_field(from, "from")?;
    let smsc = smsc_prefix(opts.smsc.as_deref(), None)?;
    let scts = time::encode_scts(&opts.timestamp, "timestamp")?;
    let plan = plan(
        text,
        opts.encoding,
        opts.national_language,
        opts.concat_16bit,
    )?;
    let segments = plan.build(opts.concat_ref, opts.concat_16bit)?;
    let oa = sender.encode_tp("from")?;
    let dcs = DataCoding::dcs(plan.encoding, None);
    Ok(segments
        .into_iter()
        .map(|seg| {
            // TP-MMS set: no more messages waiting.
            let fo = 0x04 | u8::from(opts.status_report_indication) << 5 | u8::from(seg.udhi) << 6;
            let mut tpdu = Vec::with_capacity(seg.ud.len() + oa.len() + 12);
            tpdu.push(fo);
            tpdu.extend_from_slice(&oa);
            tpdu.push(0x00);
            tpdu.push(dcs);
            tpdu.extend_from_slice(&scts);
            tpdu.push(seg.udl);
            tpdu.extend_from_slice(&seg.ud);
            finish(&smsc, tpdu)
        })
        .collect())
}

/// Encode an SMS-STATUS-REPORT (no TP-PI: nothing after TP-ST).
pub fn encode_status_report(opts: &StatusReportOptions) -> Result<EncodedPdu, PduError> {
    let smsc = smsc_prefix(opts.smsc.as_deref(), None)?;
    let recipient = Address::parse_field(&opts.recipient, "recipient")?;
    let mut tpdu = vec![0x06, opts.message_ref];
    tpdu.extend_from_slice(&recipient.encode_tp("recipient")?);
    tpdu.extend_from_slice(&time::encode_scts(&opts.sc_timestamp, "sc_timestamp")?);
    tpdu.extend_from_slice(&time::encode_scts(&opts.discharge_time, "discharge_time")?);
    tpdu.push(opts.status);
    Ok(finish(&smsc, tpdu))
}

/// Which encoding `encode_submit` would choose and how many parts it would send. If the
/// requested encoding cannot carry the text (which `encode_submit` reports as an error) this
/// counts the automatic choice instead; more than 255 parts are counted, not refused.
pub fn count_segments(text: &str, opts: &SubmitOptions) -> (Encoding, usize) {
    let plan = plan(
        text,
        opts.encoding,
        opts.national_language,
        opts.concat_16bit,
    )
    .or_else(|_| plan(text, None, opts.national_language, opts.concat_16bit));
    match plan {
        Ok(p) => (p.encoding, p.segment_lengths.len()),
        // Automatic planning only fails for texts UCS2 cannot carry, and UCS2 carries all.
        Err(_) => (Encoding::Ucs2, 0),
    }
}

/// Apply a configured type of number to an address written without `+` (TON unknown).
fn with_local_type(mut a: Address, local: Option<TypeOfNumber>) -> Address {
    if let Some(ton) = local
        && a.ton == TypeOfNumber::Unknown
    {
        a.ton = ton;
    }
    a
}

fn smsc_prefix(smsc: Option<&str>, local: Option<TypeOfNumber>) -> Result<Vec<u8>, PduError> {
    match smsc {
        None => Ok(vec![0x00]),
        Some(s) if s.trim().is_empty() => Ok(vec![0x00]),
        Some(s) => {
            let a = with_local_type(Address::parse_field(s, "smsc")?, local);
            if a.ton == TypeOfNumber::Alphanumeric {
                return Err(PduError::InvalidAddress {
                    field: "smsc",
                    value: s.to_string(),
                    reason: "an SMSC address is a number",
                });
            }
            a.encode_smsc()
        }
    }
}

fn finish(smsc: &[u8], tpdu: Vec<u8>) -> EncodedPdu {
    let mut bytes = Vec::with_capacity(smsc.len() + tpdu.len());
    bytes.extend_from_slice(smsc);
    let tpdu_len = tpdu.len();
    bytes.extend(tpdu);
    EncodedPdu { tpdu_len, bytes }
}

/// Septets (GSM-7) or octets (others) a user data can hold.
const MAX_SEPTETS: usize = 160;
const MAX_OCTETS: usize = 140;

/// How a text is cut: the encoded payload (septets or octets), its per-character unit sizes and
/// where each part ends.
struct Plan {
    encoding: Encoding,
    tables: Tables,
    payload: Vec<u8>,
    segment_lengths: Vec<usize>,
}

struct Segment {
    udhi: bool,
    udl: u8,
    ud: Vec<u8>,
}

fn language_ies(tables: Tables) -> Vec<InformationElement> {
    let mut ies = Vec::new();
    if let Some(l) = tables.locking {
        ies.push(InformationElement {
            iei: IEI_LOCKING_SHIFT,
            data: vec![l.id()],
        });
    }
    if let Some(l) = tables.single {
        ies.push(InformationElement {
            iei: IEI_SINGLE_SHIFT,
            data: vec![l.id()],
        });
    }
    ies
}

/// Octets of a UDH (UDHL included) with these extra element octets.
fn udh_octets(language_ie_octets: usize, concat_ie_octets: usize) -> usize {
    let body = language_ie_octets + concat_ie_octets;
    if body == 0 { 0 } else { body + 1 }
}

fn capacity(encoding: Encoding, udh: usize) -> usize {
    match encoding {
        Encoding::Gsm7 => MAX_SEPTETS - (udh * 8).div_ceil(7),
        Encoding::Ucs2 | Encoding::Eight => MAX_OCTETS - udh,
    }
}

/// Greedy split of units (sizes) into parts of at most `cap`; returns payload lengths per part.
fn split(units: &[u8], cap: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut current = 0usize;
    for &u in units {
        let u = usize::from(u);
        if current + u > cap {
            out.push(current);
            current = 0;
        }
        current += u;
    }
    if current > 0 || out.is_empty() {
        out.push(current);
    }
    out
}

fn plan_with(
    encoding: Encoding,
    tables: Tables,
    payload: Vec<u8>,
    units: &[u8],
    concat_16bit: bool,
) -> Plan {
    let lang = language_ies(tables)
        .iter()
        .map(|ie| ie.data.len() + 2)
        .sum();
    let total: usize = payload.len();
    let single_cap = capacity(encoding, udh_octets(lang, 0));
    let segment_lengths = if total <= single_cap {
        vec![total]
    } else {
        let concat = if concat_16bit { 6 } else { 5 };
        let mut cap = capacity(encoding, udh_octets(lang, concat));
        if encoding == Encoding::Ucs2 {
            cap -= cap % 2; // whole UTF-16 units only
        }
        split(units, cap)
    };
    Plan {
        encoding,
        tables,
        payload,
        segment_lengths,
    }
}

fn plan_gsm7(text: &str, tables: Tables, concat_16bit: bool) -> Result<Plan, PduError> {
    let mut payload = Vec::with_capacity(text.len());
    let mut units = Vec::with_capacity(text.len());
    for (position, ch) in text.chars().enumerate() {
        match tables.encode_char(ch) {
            Some(Septets::One(s)) => {
                payload.push(s);
                units.push(1);
            }
            Some(Septets::Two(s)) => {
                payload.extend_from_slice(&[gsm7::ESCAPE, s]);
                units.push(2);
            }
            None => {
                return Err(PduError::Unencodable {
                    ch,
                    position,
                    encoding: Encoding::Gsm7,
                });
            }
        }
    }
    Ok(plan_with(
        Encoding::Gsm7,
        tables,
        payload,
        &units,
        concat_16bit,
    ))
}

fn plan(
    text: &str,
    encoding: Option<Encoding>,
    language: Option<NationalLanguage>,
    concat_16bit: bool,
) -> Result<Plan, PduError> {
    match encoding {
        None | Some(Encoding::Gsm7) => {
            let mut candidates = vec![Tables::DEFAULT];
            if let Some(l) = language {
                candidates.push(Tables {
                    locking: None,
                    single: Some(l),
                });
                if l.has_locking_table() {
                    candidates.push(Tables {
                        locking: Some(l),
                        single: None,
                    });
                    candidates.push(Tables {
                        locking: Some(l),
                        single: Some(l),
                    });
                }
            }
            let mut best: Option<Plan> = None;
            let mut first_error = None;
            for t in candidates {
                match plan_gsm7(text, t, concat_16bit) {
                    Ok(p) => {
                        if best
                            .as_ref()
                            .is_none_or(|b| p.segment_lengths.len() < b.segment_lengths.len())
                        {
                            best = Some(p);
                        }
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            match (best, encoding, first_error) {
                (Some(p), _, _) => Ok(p),
                (None, None, _) => Ok(plan_ucs2(text, concat_16bit)),
                (None, Some(_), Some(e)) => Err(e),
                // Unreachable: no plan means at least one candidate failed.
                (None, Some(_), None) => Ok(plan_ucs2(text, concat_16bit)),
            }
        }
        Some(Encoding::Ucs2) => Ok(plan_ucs2(text, concat_16bit)),
        Some(Encoding::Eight) => {
            let units: Vec<u8> = text.chars().map(|c| c.len_utf8() as u8).collect();
            Ok(plan_with(
                Encoding::Eight,
                Tables::DEFAULT,
                text.as_bytes().to_vec(),
                &units,
                concat_16bit,
            ))
        }
    }
}

fn plan_ucs2(text: &str, concat_16bit: bool) -> Plan {
    let units: Vec<u8> = text.chars().map(|c| (c.len_utf16() * 2) as u8).collect();
    plan_with(
        Encoding::Ucs2,
        Tables::DEFAULT,
        crate::ucs2::encode(text),
        &units,
        concat_16bit,
    )
}

impl Plan {
    fn build(&self, concat_ref: u16, concat_16bit: bool) -> Result<Vec<Segment>, PduError> {
        let total = self.segment_lengths.len();
        if total > 255 {
            return Err(PduError::TooManySegments { segments: total });
        }
        if total > 1 && !concat_16bit && concat_ref > 255 {
            return Err(PduError::ConcatRefTooLarge {
                reference: concat_ref,
            });
        }
        let lang = language_ies(self.tables);
        let mut out = Vec::with_capacity(total);
        let mut start = 0;
        for (i, &len) in self.segment_lengths.iter().enumerate() {
            let chunk = &self.payload[start..start + len];
            start += len;
            let mut ies = Vec::with_capacity(3);
            if total > 1 {
                // total <= 255 and i < total, so both fit a u8; concat_ref <= 255 unless 16-bit.
                let (t, s) = (total as u8, (i + 1) as u8);
                ies.push(if concat_16bit {
                    InformationElement::concat_16bit(concat_ref, t, s)
                } else {
                    InformationElement::concat_8bit(concat_ref as u8, t, s)
                });
            }
            ies.extend(lang.iter().cloned());
            let header = if ies.is_empty() {
                Vec::new()
            } else {
                udh::encode(&ies)
            };
            let (udl, ud) = match self.encoding {
                Encoding::Gsm7 => {
                    let header_septets = (header.len() * 8).div_ceil(7);
                    let fill = (header_septets * 7 - header.len() * 8) as u8;
                    let mut ud = header.clone();
                    ud.extend(gsm7::pack(chunk, fill));
                    (header_septets + chunk.len(), ud)
                }
                Encoding::Ucs2 | Encoding::Eight => {
                    let mut ud = header.clone();
                    ud.extend_from_slice(chunk);
                    (ud.len(), ud)
                }
            };
            out.push(Segment {
                udhi: !header.is_empty(),
                // The plan keeps every part within 160 septets / 140 octets.
                udl: udl as u8,
                ud,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> SubmitOptions {
        SubmitOptions::default()
    }

    #[test]
    fn segment_sizes_follow_the_spec_limits() {
        let o = opts();
        assert_eq!(count_segments(&"x".repeat(160), &o), (Encoding::Gsm7, 1));
        assert_eq!(count_segments(&"x".repeat(161), &o), (Encoding::Gsm7, 2));
        assert_eq!(count_segments(&"x".repeat(306), &o), (Encoding::Gsm7, 2));
        assert_eq!(count_segments(&"x".repeat(307), &o), (Encoding::Gsm7, 3));
        assert_eq!(count_segments(&"€".repeat(80), &o), (Encoding::Gsm7, 1));
        assert_eq!(count_segments(&"€".repeat(153), &o), (Encoding::Gsm7, 3));
        assert_eq!(count_segments(&"ő".repeat(70), &o), (Encoding::Ucs2, 1));
        assert_eq!(count_segments(&"ő".repeat(71), &o), (Encoding::Ucs2, 2));
        assert_eq!(count_segments(&"ő".repeat(134), &o), (Encoding::Ucs2, 2));
        assert_eq!(count_segments(&"ő".repeat(135), &o), (Encoding::Ucs2, 3));
        let eight = SubmitOptions {
            encoding: Some(Encoding::Eight),
            ..opts()
        };
        assert_eq!(
            count_segments(&"x".repeat(140), &eight),
            (Encoding::Eight, 1)
        );
        assert_eq!(
            count_segments(&"x".repeat(268), &eight),
            (Encoding::Eight, 2)
        );
        assert_eq!(
            count_segments(&"x".repeat(269), &eight),
            (Encoding::Eight, 3)
        );
        let wide = SubmitOptions {
            concat_16bit: true,
            ..opts()
        };
        assert_eq!(count_segments(&"x".repeat(304), &wide), (Encoding::Gsm7, 2));
        assert_eq!(count_segments(&"x".repeat(305), &wide), (Encoding::Gsm7, 3));
    }

    #[test]
    fn turkish_single_shift_fits_77_letters_in_one_part() {
        let tr = SubmitOptions {
            national_language: Some(NationalLanguage::Turkish),
            ..opts()
        };
        // ş is 0x1D in the Turkish locking table: one septet each, 155 fit beside the one IE.
        assert_eq!(count_segments(&"ş".repeat(155), &tr).1, 1);
        let es = SubmitOptions {
            national_language: Some(NationalLanguage::Spanish),
            ..opts()
        };
        // á is in the Spanish single shift table only: 2 septets each, 155 septets with one IE.
        assert_eq!(count_segments(&"á".repeat(77), &es), (Encoding::Gsm7, 1));
        assert_eq!(count_segments(&"á".repeat(78), &es), (Encoding::Gsm7, 2));
        assert_eq!(count_segments(&"á".repeat(78), &opts()).0, Encoding::Ucs2);
    }

    #[test]
    fn concat_ref_above_255_needs_the_16bit_element() {
        let o = SubmitOptions {
            concat_ref: 300,
            ..opts()
        };
        assert!(matches!(
            encode_submit("+1234", &"x".repeat(200), &o),
            Err(PduError::ConcatRefTooLarge { reference: 300 })
        ));
        let o = SubmitOptions {
            concat_ref: 300,
            concat_16bit: true,
            ..opts()
        };
        assert_eq!(
            encode_submit("+1234", &"x".repeat(200), &o).unwrap().len(),
            2
        );
    }

    #[test]
    fn forced_gsm7_with_an_emoji_names_the_character() {
        let o = SubmitOptions {
            encoding: Some(Encoding::Gsm7),
            ..opts()
        };
        let e = encode_submit("+1234", "hi 😀", &o).unwrap_err();
        assert_eq!(
            e,
            PduError::Unencodable {
                ch: '😀',
                position: 3,
                encoding: Encoding::Gsm7
            }
        );
    }

    #[test]
    fn sending_to_an_alphanumeric_address_is_refused() {
        assert!(encode_submit("Shop", "x", &opts()).is_err());
    }

    #[test]
    fn empty_text_is_one_empty_part() {
        let p = encode_submit("+1234", "", &opts()).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].hex(), "00010004912143000000");
        assert_eq!(p[0].tpdu_len, 9);
    }

    #[test]
    fn national_language_tables_are_announced_in_every_part_and_decode_back() {
        let o = SubmitOptions {
            national_language: Some(NationalLanguage::Turkish),
            concat_ref: 9,
            ..opts()
        };
        let text = "Günaydın, şimdi İstanbul'dayım! ğüşıöç ".repeat(6);
        let parts = encode_submit("+905321234567", &text, &o).unwrap();
        assert!(parts.len() > 1);
        let mut joined = String::new();
        for p in &parts {
            let pdu = crate::decode(&p.bytes).unwrap();
            let ud = pdu.user_data().unwrap();
            assert_eq!(ud.encoding, Encoding::Gsm7);
            let ieis: Vec<u8> = ud.udh.as_ref().unwrap().iter().map(|ie| ie.iei).collect();
            assert!(ieis.contains(&0x00), "{ieis:?}");
            assert!(
                ieis.contains(&IEI_LOCKING_SHIFT) || ieis.contains(&IEI_SINGLE_SHIFT),
                "{ieis:?}"
            );
            assert!(
                ud.locking_shift == Some(NationalLanguage::Turkish)
                    || ud.single_shift == Some(NationalLanguage::Turkish)
            );
            joined.push_str(&ud.text);
        }
        assert_eq!(joined, text);
        // Without the language the same text needs UCS2.
        assert_eq!(count_segments(&text, &opts()).0, Encoding::Ucs2);
    }

    #[test]
    fn flash_class_and_absolute_validity_are_written() {
        let o = SubmitOptions {
            class: Some(0),
            validity_absolute: Some(
                chrono::DateTime::parse_from_rfc3339("2013-07-10T13:39:00+02:00").unwrap(),
            ),
            ..opts()
        };
        let p = encode_submit("+27820001111", "x", &o).unwrap();
        let crate::Pdu::Submit(s) = crate::decode(&p[0].bytes).unwrap() else {
            panic!("submit")
        };
        assert_eq!(s.dcs, 0x10);
        assert_eq!(
            s.validity,
            Some(crate::Validity::Absolute(o.validity_absolute.unwrap()))
        );
        let both = SubmitOptions {
            validity: Some(Duration::from_secs(60)),
            ..o
        };
        assert!(matches!(
            encode_submit("+1", "x", &both),
            Err(PduError::ConflictingOptions(_))
        ));
    }

    #[test]
    fn status_report_classes_follow_the_tp_st_ranges() {
        use crate::StatusClass::*;
        for (st, class) in [
            (0x00, Delivered),
            (0x02, Delivered),
            (0x20, TemporaryFailure),
            (0x25, TemporaryFailure),
            (0x40, PermanentFailure),
            (0x46, PermanentFailure),
            (0x60, TemporaryFailureNoRetry),
            (0x65, TemporaryFailureNoRetry),
            (0xFF, PermanentFailure),
        ] {
            assert_eq!(crate::StatusClass::from_status(st), class, "{st:#04X}");
        }
    }
}
