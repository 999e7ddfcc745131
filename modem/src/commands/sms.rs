//! SMS answers and URCs: `+CMGS`, stored-message listings and reads in PDU mode
//! (`+CMGL`/`+CMGR` header + hex line) and text mode (header + body lines), and the
//! new-message URCs `+CMTI`, `+CMT`, `+CDS`, `+CDSI`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

use super::parse::{ParseError, after_prefix, num, quoted_fields};

/// `<stat>` of a stored message (27.005 §3.1): PDU mode uses 0–4, text mode the quoted names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// 0 / "REC UNREAD".
    ReceivedUnread,
    /// 1 / "REC READ".
    ReceivedRead,
    /// 2 / "STO UNSENT".
    StoredUnsent,
    /// 3 / "STO SENT".
    StoredSent,
    /// 4 / "ALL" (only as a CMGL filter).
    All,
}

impl MessageStatus {
    /// From the PDU-mode number.
    pub fn from_code(n: u8) -> Option<MessageStatus> {
        Some(match n {
            0 => MessageStatus::ReceivedUnread,
            1 => MessageStatus::ReceivedRead,
            2 => MessageStatus::StoredUnsent,
            3 => MessageStatus::StoredSent,
            4 => MessageStatus::All,
            _ => return None,
        })
    }

    /// From the text-mode name.
    pub fn from_text(s: &str) -> Option<MessageStatus> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "REC UNREAD" => MessageStatus::ReceivedUnread,
            "REC READ" => MessageStatus::ReceivedRead,
            "STO UNSENT" => MessageStatus::StoredUnsent,
            "STO SENT" => MessageStatus::StoredSent,
            "ALL" => MessageStatus::All,
            _ => return None,
        })
    }

    /// The PDU-mode number (for `AT+CMGL=<n>`).
    pub fn code(self) -> u8 {
        match self {
            MessageStatus::ReceivedUnread => 0,
            MessageStatus::ReceivedRead => 1,
            MessageStatus::StoredUnsent => 2,
            MessageStatus::StoredSent => 3,
            MessageStatus::All => 4,
        }
    }

    /// The text-mode name (for `AT+CMGL="<name>"`).
    pub fn text(self) -> &'static str {
        match self {
            MessageStatus::ReceivedUnread => "REC UNREAD",
            MessageStatus::ReceivedRead => "REC READ",
            MessageStatus::StoredUnsent => "STO UNSENT",
            MessageStatus::StoredSent => "STO SENT",
            MessageStatus::All => "ALL",
        }
    }
}

/// A stored message in PDU mode, before decoding: header facts + the hex line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPdu {
    /// Storage index (from `+CMGL`; `+CMGR` answers carry none — the caller knows it).
    pub index: Option<u32>,
    /// `<stat>`, when the modem gave one (`+CMGR: 24` and `+CMGR: ,,92` give none).
    pub status: Option<MessageStatus>,
    /// `<length>` as declared by the modem. Often wrong: never used to cut the PDU.
    pub declared_len: Option<u32>,
    /// The PDU hex exactly as far as it is hex (a stray trailing quote or CR is dropped).
    pub hex: String,
}

/// Keep the leading run of hex digits of a PDU line (gammu dumps show trailing `"` and CR).
pub fn clean_hex(line: &str) -> String {
    line.trim()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

/// `(index, status, declared length)` of a PDU-mode `+CMGR`/`+CMGL` header.
type PduHeader = (Option<u32>, Option<MessageStatus>, Option<u32>);

fn parse_pdu_header(
    command: &'static str,
    line: &str,
    body: &str,
    with_index: bool,
) -> Result<PduHeader, ParseError> {
    let f = quoted_fields(body);
    let mut it = f.iter();
    let index = if with_index {
        let i = it
            .next()
            .and_then(|f| f.num::<u32>())
            .ok_or_else(|| ParseError::new(command, line, "<index> missing or not a number"))?;
        Some(i)
    } else {
        None
    };
    let rest: Vec<_> = it.collect();
    let declared_len = rest.last().and_then(|f| f.num::<u32>());
    let status = if rest.len() >= 2 {
        rest[0].num::<u8>().and_then(MessageStatus::from_code)
    } else {
        None
    };
    Ok((index, status, declared_len))
}

/// The first `+CMGR:` line: its position, the line, and the part after the prefix.
fn find_cmgr<'a>(lines: &[&'a str]) -> Option<(usize, &'a str, &'a str)> {
    lines
        .iter()
        .enumerate()
        .find_map(|(pos, l)| after_prefix(l, "+CMGR").map(|body| (pos, *l, body)))
}

/// Parse PDU-mode `AT+CMGR=<i>` lines: `+CMGR: <stat>,[<alpha>],<length>` then the hex line.
/// An empty slot (just `OK`) gives `None`.
pub fn parse_cmgr_pdu(lines: &[&str]) -> Result<Option<StoredPdu>, ParseError> {
    let Some((pos, header, body)) = find_cmgr(lines) else {
        return Ok(None);
    };
    let (_, status, declared_len) = parse_pdu_header("+CMGR", header, body, false)?;
    let hex = lines
        .get(pos + 1)
        .map(|l| clean_hex(l))
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ParseError::new("+CMGR", header, "no PDU line after the header"))?;
    Ok(Some(StoredPdu {
        index: None,
        status,
        declared_len,
        hex,
    }))
}

/// Parse PDU-mode `AT+CMGL=<stat>` lines: repeated `+CMGL: <index>,<stat>,[<alpha>],<length>`
/// each followed by its hex line.
pub fn parse_cmgl_pdu(lines: &[&str]) -> Result<Vec<StoredPdu>, ParseError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let Some(body) = after_prefix(line, "+CMGL") else {
            continue;
        };
        let (index, status, declared_len) = parse_pdu_header("+CMGL", line, body, true)?;
        let hex = lines.get(i).map(|l| clean_hex(l)).unwrap_or_default();
        if hex.is_empty() {
            return Err(ParseError::new(
                "+CMGL",
                line,
                "no PDU line after the header",
            ));
        }
        i += 1;
        out.push(StoredPdu {
            index,
            status,
            declared_len,
            hex,
        });
    }
    Ok(out)
}

/// `+CMGS: <mr>[,<scts|ackpdu>]`: the message reference the modem (not the host) assigned.
/// Some modems answer only `OK`; that gives `None`.
pub fn parse_cmgs(lines: &[&str]) -> Result<Option<u8>, ParseError> {
    let Some((line, body)) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CMGS").map(|b| (*l, b)))
    else {
        return Ok(None);
    };
    let first = body.split(',').next().unwrap_or_default();
    num::<u16>(first)
        .and_then(|n| u8::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| ParseError::new("+CMGS", line, "<mr> is not a number 0-255"))
}

/// A timestamp from a text-mode header: `yy/MM/dd,hh:mm:ss±zz` (zone in quarter hours) or
/// the Motorola `yyyy/M/d,hh:mm:ss` without zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TextTimestamp {
    /// The time; a header without zone is read as UTC (see `zone_known`).
    pub time: DateTime<FixedOffset>,
    /// Whether the header gave a zone.
    pub zone_known: bool,
}

/// Parse a text-mode timestamp; `None` if it is not one.
pub fn parse_text_timestamp(s: &str) -> Option<TextTimestamp> {
    let s = s.trim().trim_matches('"');
    let (date, time) = s.split_once(',')?;
    let mut d = date.split('/').map(num::<i32>);
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let y = if y < 100 { 2000 + y } else { y };
    let (clock, offset) = match time.find(['+', '-']) {
        Some(p) => {
            let q: i32 = num(&time[p + 1..])?;
            let secs = q * 15 * 60;
            let off = if &time[p..p + 1] == "-" {
                FixedOffset::west_opt(secs)?
            } else {
                FixedOffset::east_opt(secs)?
            };
            (&time[..p], Some(off))
        }
        None => (time, None),
    };
    let mut t = clock.split(':').map(num::<u32>);
    let (h, mi, se) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    let date = NaiveDate::from_ymd_opt(y, u32::try_from(mo).ok()?, u32::try_from(da).ok()?)?;
    let time = NaiveTime::from_hms_opt(h, mi, se)?;
    let zone = offset.or_else(|| FixedOffset::east_opt(0))?;
    let time = NaiveDateTime::new(date, time)
        .and_local_timezone(zone)
        .single()?;
    Some(TextTimestamp {
        time,
        zone_known: offset.is_some(),
    })
}

/// A text-mode stored message (`AT+CMGF=1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextMessage {
    /// Storage index (`+CMGL` only).
    pub index: Option<u32>,
    /// `<stat>`.
    pub status: Option<MessageStatus>,
    /// Originating (received) or destination (stored outgoing) address.
    pub number: String,
    /// Phone-book label, if any.
    pub alpha: Option<String>,
    /// Service centre timestamp (received messages).
    pub timestamp: Option<TextTimestamp>,
    /// `<dcs>`, when `AT+CSDH=1` shows it.
    pub dcs: Option<u8>,
    /// The body in the TE character set (`AT+CSCS`), lines joined with `\n`. Decoding UCS2-hex
    /// bodies is the caller's job (it knows the character set).
    pub body: String,
}

/// A text-mode status report (`+CMGR: "REC UNREAD",<fo>,<mr>,<ra>,<tora>,<scts>,<dt>,<st>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextStatusReport {
    /// Storage index (`+CMGL` only).
    pub index: Option<u32>,
    /// Message reference of the submitted message.
    pub message_ref: u8,
    /// Recipient address.
    pub recipient: String,
    /// Raw TP-Status.
    pub status: u8,
    /// Discharge time.
    pub discharge_time: Option<TextTimestamp>,
}

/// One text-mode entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TextEntry {
    /// A received or stored SMS.
    Message(TextMessage),
    /// A stored status report.
    StatusReport(TextStatusReport),
}

fn text_header(
    command: &'static str,
    line: &str,
    body: &str,
    with_index: bool,
) -> Result<TextEntry, ParseError> {
    let f = quoted_fields(body);
    let mut pos = 0;
    let index = if with_index {
        pos = 1;
        Some(
            f.first()
                .and_then(|f| f.num::<u32>())
                .ok_or_else(|| ParseError::new(command, line, "<index> missing or not a number"))?,
        )
    } else {
        None
    };
    let status_field = f
        .get(pos)
        .ok_or_else(|| ParseError::new(command, line, "<stat> missing"))?;
    let status = MessageStatus::from_text(&status_field.text)
        .or_else(|| status_field.num::<u8>().and_then(MessageStatus::from_code));
    let second = f
        .get(pos + 1)
        .ok_or_else(|| ParseError::new(command, line, "<oa/da> missing"))?;
    // A status report has an unquoted number (<fo>) where a message has the quoted address.
    if !second.quoted && second.num::<u8>().is_some() {
        let mr = f
            .get(pos + 2)
            .and_then(|f| f.num::<u8>())
            .ok_or_else(|| ParseError::new(command, line, "<mr> missing or not a number"))?;
        let recipient = f.get(pos + 3).map(|f| f.text.clone()).unwrap_or_default();
        let st = f
            .get(pos + 7)
            .and_then(|f| f.num::<u8>())
            .ok_or_else(|| ParseError::new(command, line, "<st> missing or not a number"))?;
        return Ok(TextEntry::StatusReport(TextStatusReport {
            index,
            message_ref: mr,
            recipient,
            status: st,
            discharge_time: f.get(pos + 6).and_then(|f| parse_text_timestamp(&f.text)),
        }));
    }
    // Motorola leaves the <alpha> field out entirely: the third field is then the timestamp.
    let (alpha, timestamp) = match f.get(pos + 2).and_then(|f| parse_text_timestamp(&f.text)) {
        Some(ts) => (None, Some(ts)),
        None => (
            f.get(pos + 2)
                .and_then(|f| f.non_empty())
                .map(str::to_owned),
            f.get(pos + 3).and_then(|f| parse_text_timestamp(&f.text)),
        ),
    };
    // With +CSDH=1 a received message continues <tooa>,<fo>,<pid>,<dcs>,<sca>,<tosca>,<length>;
    // a stored outgoing one <toda>,<fo>,<pid>,<dcs>,[<vp>],<sca>,<tosca>,<length>.
    let dcs = if timestamp.is_some() {
        f.get(pos + 7).and_then(|f| f.num::<u8>())
    } else {
        f.get(pos + 6).and_then(|f| f.num::<u8>())
    };
    Ok(TextEntry::Message(TextMessage {
        index,
        status,
        number: second.text.clone(),
        alpha,
        timestamp,
        dcs,
        body: String::new(),
    }))
}

/// Parse text-mode `AT+CMGR=<i>`: a header line then every remaining info line is the body
/// (so a body line that reads `OK` is body, not a final result, as long as the engine handed
/// it over as an info line). An empty slot gives `None`.
pub fn parse_cmgr_text(lines: &[&str]) -> Result<Option<TextEntry>, ParseError> {
    let Some((pos, header, body)) = find_cmgr(lines) else {
        return Ok(None);
    };
    let mut entry = text_header("+CMGR", header, body, false)?;
    if let TextEntry::Message(m) = &mut entry {
        m.body = lines[pos + 1..].join("\n");
    }
    Ok(Some(entry))
}

/// Parse text-mode `AT+CMGL="<stat>"`: each `+CMGL:` header owns the lines up to the next header.
pub fn parse_cmgl_text(lines: &[&str]) -> Result<Vec<TextEntry>, ParseError> {
    let mut out: Vec<TextEntry> = Vec::new();
    let mut body: Vec<&str> = Vec::new();
    let flush = |out: &mut Vec<TextEntry>, body: &mut Vec<&str>| {
        if let Some(TextEntry::Message(m)) = out.last_mut() {
            m.body = body.join("\n");
        }
        body.clear();
    };
    for l in lines {
        if let Some(h) = after_prefix(l, "+CMGL") {
            flush(&mut out, &mut body);
            out.push(text_header("+CMGL", l, h, true)?);
        } else if !out.is_empty() {
            body.push(l);
        }
    }
    flush(&mut out, &mut body);
    Ok(out)
}

/// `+CMTI: <mem>,<index>` / `+CDSI: <mem>,<index>`: a message was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAt {
    /// Memory, e.g. `SM`, `ME`, `SR`.
    pub storage: String,
    /// Index within that memory.
    pub index: u32,
}

/// Parse `+CMTI: "SM",3` or `+CDSI: "SR",0` (`prefix` says which).
pub fn parse_stored_indication(line: &str, prefix: &'static str) -> Result<StoredAt, ParseError> {
    let body =
        after_prefix(line, prefix).ok_or_else(|| ParseError::new(prefix, line, "wrong prefix"))?;
    let f = quoted_fields(body);
    let storage = f
        .first()
        .map(|f| f.text.to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ParseError::new(prefix, line, "<mem> missing"))?;
    let index = f
        .get(1)
        .and_then(|f| f.num::<u32>())
        .ok_or_else(|| ParseError::new(prefix, line, "<index> missing or not a number"))?;
    Ok(StoredAt { storage, index })
}

/// The hex of a two-line routed URC (`+CMT: [<alpha>],<len>` / `+CDS: <len>` + PDU line).
/// The engine may hand both lines joined by a line break; anything after the first line is
/// taken as the PDU.
pub fn routed_pdu_hex(urc: &str) -> Option<String> {
    let mut lines = urc.lines().map(str::trim).filter(|l| !l.is_empty());
    let _header = lines.next()?;
    let hex = clean_hex(lines.next()?);
    (!hex.is_empty()).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmgr_with_declared_length_wrong_keeps_the_whole_hex() {
        let p = parse_cmgr_pdu(&["+CMGR: 1,,25", "0791AB"])
            .unwrap()
            .unwrap();
        assert_eq!(p.status, Some(MessageStatus::ReceivedRead));
        assert_eq!(p.declared_len, Some(25));
        assert_eq!(p.hex, "0791AB");
    }

    #[test]
    fn cmgr_header_variants_give_status_only_when_present() {
        let p = parse_cmgr_pdu(&["+CMGR: 24", "00"]).unwrap().unwrap();
        assert_eq!((p.status, p.declared_len), (None, Some(24)));
        let p = parse_cmgr_pdu(&["+CMGR: ,,92", "00"]).unwrap().unwrap();
        assert_eq!((p.status, p.declared_len), (None, Some(92)));
        let p = parse_cmgr_pdu(&["+CMGR: 0,23", "00"]).unwrap().unwrap();
        assert_eq!(p.status, Some(MessageStatus::ReceivedUnread));
    }

    #[test]
    fn an_empty_slot_reads_as_none_and_a_missing_pdu_line_is_an_error() {
        assert_eq!(parse_cmgr_pdu(&[]).unwrap(), None);
        assert!(parse_cmgr_pdu(&["+CMGR: 1,,25"]).is_err());
    }

    #[test]
    fn a_stray_quote_after_the_hex_is_dropped() {
        assert_eq!(clean_hex("0791AA\"\r"), "0791AA");
    }

    #[test]
    fn cmgl_pdu_listing_pairs_each_header_with_its_hex() {
        let l = parse_cmgl_pdu(&["+CMGL: 1,0,,23", "07AA", "+CMGL: 4,1,\"x\",30", "07BB"]).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].index, l[0].hex.as_str()), (Some(1), "07AA"));
        assert_eq!(
            (l[1].index, l[1].status),
            (Some(4), Some(MessageStatus::ReceivedRead))
        );
        assert!(parse_cmgl_pdu(&["+CMGL: x,0,,23", "07"]).is_err());
    }

    #[test]
    fn cmgs_gives_the_modem_assigned_reference_or_none_on_bare_ok() {
        assert_eq!(parse_cmgs(&["+CMGS: 16"]).unwrap(), Some(16));
        assert_eq!(
            parse_cmgs(&["+CMGS: 255,\"23/01/01,00:00:00+00\""]).unwrap(),
            Some(255)
        );
        assert_eq!(parse_cmgs(&[]).unwrap(), None);
        assert!(parse_cmgs(&["+CMGS: 300"]).is_err());
    }

    #[test]
    fn text_timestamps_with_quarter_hour_zones_are_read() {
        let t = parse_text_timestamp("07/07/05,09:56:03+08").unwrap();
        assert_eq!(t.time.to_rfc3339(), "2007-07-05T09:56:03+02:00");
        let t = parse_text_timestamp("\"13/04/29,19:58:00-12\"").unwrap();
        assert_eq!(t.time.to_rfc3339(), "2013-04-29T19:58:00-03:00");
        let t = parse_text_timestamp("2009/8/18,19:11:45").unwrap();
        assert!(!t.zone_known);
        assert_eq!(t.time.to_rfc3339(), "2009-08-18T19:11:45+00:00");
        assert!(parse_text_timestamp("garbage").is_none());
    }

    #[test]
    fn a_text_body_line_that_reads_ok_stays_in_the_body() {
        let e = parse_cmgl_text(&[
            "+CMGL: 1,\"REC READ\",\"+3312\",,\"07/07/05,09:56:03+08\"",
            "first",
            "OK",
            "+CMGL: 2,\"REC UNREAD\",\"+3313\",,\"07/07/05,09:56:04+08\"",
            "second",
        ])
        .unwrap();
        assert_eq!(e.len(), 2);
        let TextEntry::Message(m) = &e[0] else {
            panic!("{e:?}")
        };
        assert_eq!(m.body, "first\nOK");
        assert_eq!(m.index, Some(1));
    }

    #[test]
    fn text_mode_status_report_is_recognised_by_its_unquoted_first_octet() {
        let e = parse_cmgr_text(&[
            "+CMGR: \"REC UNREAD\",6,21,\"123456789\",129,\"22/12/01,07:33:58+04\",\"22/12/01,07:33:59+04\",0",
        ])
        .unwrap()
        .unwrap();
        let TextEntry::StatusReport(r) = e else {
            panic!()
        };
        assert_eq!(
            (r.message_ref, r.recipient.as_str(), r.status),
            (21, "123456789", 0)
        );
    }

    #[test]
    fn cmti_and_cdsi_give_storage_and_index() {
        let s = parse_stored_indication("+CMTI: \"SM\",3", "+CMTI").unwrap();
        assert_eq!((s.storage.as_str(), s.index), ("SM", 3));
        let s = parse_stored_indication("+CDSI: \"SR\",0", "+CDSI").unwrap();
        assert_eq!(s.storage, "SR");
        assert!(parse_stored_indication("+CMTI: \"SM\"", "+CMTI").is_err());
    }

    #[test]
    fn routed_urc_hex_is_the_second_line() {
        assert_eq!(
            routed_pdu_hex("+CMT: ,23\r\n0791AB\r\n").as_deref(),
            Some("0791AB")
        );
        assert_eq!(routed_pdu_hex("+CDS: 25"), None);
    }
}
