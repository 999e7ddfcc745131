//! Network state: registration (+CREG/+CGREG/+CEREG), signal (+CSQ) and operator (+COPS).

use serde::Serialize;

use super::parse::{ParseError, after_prefix, hex_u32, loose_fields, num, quoted_fields};

/// Which registration domain a `+C*REG` line talks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegDomain {
    /// Circuit-switched (`+CREG`): what SMS over GSM needs.
    Cs,
    /// GPRS packet-switched (`+CGREG`).
    Gprs,
    /// LTE EPS (`+CEREG`).
    Eps,
}

impl RegDomain {
    /// The response/URC prefix, e.g. `+CREG`.
    pub fn prefix(self) -> &'static str {
        match self {
            RegDomain::Cs => "+CREG",
            RegDomain::Gprs => "+CGREG",
            RegDomain::Eps => "+CEREG",
        }
    }

    /// Which domain a line belongs to, if it is a registration line.
    pub fn of_line(line: &str) -> Option<RegDomain> {
        [RegDomain::Cs, RegDomain::Gprs, RegDomain::Eps]
            .into_iter()
            .find(|d| after_prefix(line, d.prefix()).is_some())
    }
}

/// `<stat>` of +CREG/+CGREG/+CEREG (27.007 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegStatus {
    /// 0: not registered, not searching.
    NotRegistered,
    /// 1: registered, home network.
    Home,
    /// 2: not registered, searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 4: unknown (e.g. out of coverage).
    Unknown,
    /// 5: registered, roaming.
    Roaming,
    /// 6: registered for "SMS only", home.
    SmsOnlyHome,
    /// 7: registered for "SMS only", roaming.
    SmsOnlyRoaming,
    /// 8: attached for emergency bearer services only.
    EmergencyOnly,
    /// 9: registered for "CSFB not preferred", home.
    CsfbNotPreferredHome,
    /// 10: registered for "CSFB not preferred", roaming.
    CsfbNotPreferredRoaming,
    /// Any other code, preserved.
    Other(u8),
}

impl RegStatus {
    /// Map the numeric `<stat>`.
    pub fn from_code(code: u8) -> RegStatus {
        match code {
            0 => RegStatus::NotRegistered,
            1 => RegStatus::Home,
            2 => RegStatus::Searching,
            3 => RegStatus::Denied,
            4 => RegStatus::Unknown,
            5 => RegStatus::Roaming,
            6 => RegStatus::SmsOnlyHome,
            7 => RegStatus::SmsOnlyRoaming,
            8 => RegStatus::EmergencyOnly,
            9 => RegStatus::CsfbNotPreferredHome,
            10 => RegStatus::CsfbNotPreferredRoaming,
            n => RegStatus::Other(n),
        }
    }

    /// Registered in a way that allows SMS (home, roaming, SMS-only, CSFB-not-preferred).
    pub fn is_registered(self) -> bool {
        matches!(
            self,
            RegStatus::Home
                | RegStatus::Roaming
                | RegStatus::SmsOnlyHome
                | RegStatus::SmsOnlyRoaming
                | RegStatus::CsfbNotPreferredHome
                | RegStatus::CsfbNotPreferredRoaming
        )
    }

    /// Registered on a visited network.
    pub fn is_roaming(self) -> bool {
        matches!(
            self,
            RegStatus::Roaming | RegStatus::SmsOnlyRoaming | RegStatus::CsfbNotPreferredRoaming
        )
    }
}

/// One parsed registration line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    /// Which domain.
    pub domain: RegDomain,
    /// The URC mode `<n>` (only present in solicited answers).
    pub mode: Option<u8>,
    /// Registration state.
    pub status: RegStatus,
    /// Location / tracking area code, when given and readable as hex.
    pub lac: Option<u32>,
    /// Cell id, when given and readable as hex.
    pub cell_id: Option<u32>,
    /// Access technology `<AcT>` (0 GSM, 2 UTRAN, 7 E-UTRAN…), when given.
    pub act: Option<u8>,
}

/// Parse one `+CREG`/`+CGREG`/`+CEREG` line.
///
/// `solicited` says whether this answers `AT+CREG?` (first field is `<n>`) or is a URC
/// (first field is `<stat>`). A solicited answer with a single field is read as `<stat>` (some
/// modems omit `<n>`). LAC/CI may be quoted, unquoted, empty, padded with spaces or missing a quote.
pub fn parse_registration(line: &str, solicited: bool) -> Result<Registration, ParseError> {
    let domain = RegDomain::of_line(line)
        .ok_or_else(|| ParseError::new("+CREG", line, "not a +CREG/+CGREG/+CEREG line"))?;
    let cmd = domain.prefix();
    let body = after_prefix(line, cmd).unwrap_or_default();
    let f = loose_fields(body);
    if f.is_empty() {
        return Err(ParseError::new(cmd, line, "no <stat> field"));
    }
    let (mode, rest) = if solicited && f.len() >= 2 {
        let n = num::<u8>(&f[0])
            .ok_or_else(|| ParseError::new(cmd, line, format!("<n> {:?} is not a number", f[0])))?;
        (Some(n), &f[1..])
    } else {
        (None, &f[..])
    };
    let stat = num::<u8>(&rest[0]).ok_or_else(|| {
        ParseError::new(cmd, line, format!("<stat> {:?} is not a number", rest[0]))
    })?;
    let lac = rest.get(1).and_then(|s| hex_u32(s));
    let cell_id = rest.get(2).and_then(|s| hex_u32(s));
    let act = rest.get(3).and_then(|s| num::<u8>(s));
    Ok(Registration {
        domain,
        mode,
        status: RegStatus::from_code(stat),
        lac,
        cell_id,
        act,
    })
}

/// Parse the info lines of `AT+CREG?` (or CGREG/CEREG). A reply with no registration line
/// at all (some modems answer just `OK`) gives `None`. When a modem answers with several
/// domains in one reply, the line of the asked `domain` wins.
pub fn parse_registration_reply(
    lines: &[&str],
    domain: RegDomain,
) -> Result<Option<Registration>, ParseError> {
    for l in lines {
        if RegDomain::of_line(l) == Some(domain) {
            return parse_registration(l, true).map(Some);
        }
    }
    Ok(None)
}

/// Signal quality from `+CSQ: <rssi>,<ber>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// Raw `<rssi>` 0–31, or 99 = unknown.
    pub rssi: u8,
    /// Raw `<ber>` 0–7, or 99 = unknown.
    pub ber: u8,
}

impl Signal {
    /// Received signal strength in dBm (−113 + 2·rssi), `None` when unknown.
    pub fn dbm(self) -> Option<i16> {
        (self.rssi <= 31).then(|| -113 + 2 * i16::from(self.rssi))
    }

    /// Bars 0–4 (0 for rssi 0–1, then <10, <15, <20, ≥20), `None` when unknown.
    pub fn bars(self) -> Option<u8> {
        match self.rssi {
            0..=1 => Some(0),
            2..=9 => Some(1),
            10..=14 => Some(2),
            15..=19 => Some(3),
            20..=31 => Some(4),
            _ => None,
        }
    }

    /// Bit error rate class 0–7, `None` when unknown (many modems always report 99).
    pub fn ber_class(self) -> Option<u8> {
        (self.ber <= 7).then_some(self.ber)
    }
}

/// Parse the info lines of `AT+CSQ`.
pub fn parse_csq(lines: &[&str]) -> Result<Signal, ParseError> {
    let (line, body) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CSQ").map(|b| (*l, b)))
        .ok_or_else(|| ParseError::new("+CSQ", &lines.join("|"), "no +CSQ line"))?;
    let f = loose_fields(body);
    let rssi = f
        .first()
        .and_then(|s| num::<u8>(s))
        .ok_or_else(|| ParseError::new("+CSQ", line, "<rssi> missing or not a number"))?;
    let ber = f.get(1).and_then(|s| num::<u8>(s)).unwrap_or(99);
    // Values outside 0-31 other than 99 (TD-SCDMA 100-199) are reported as unknown.
    let rssi = if rssi <= 31 { rssi } else { 99 };
    Ok(Signal { rssi, ber })
}

/// The operator from `+COPS?`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// `<mode>`: 0 automatic, 1 manual, 2 deregister, 3 set format only, 4 manual/automatic.
    pub mode: u8,
    /// `<format>`: 0 long alphanumeric, 1 short alphanumeric, 2 numeric (MCC+MNC).
    pub format: Option<u8>,
    /// The operator name or numeric code, `None` when not registered.
    pub name: Option<String>,
    /// Access technology, when given.
    pub act: Option<u8>,
}

/// Parse the info lines of `AT+COPS?`.
pub fn parse_cops(lines: &[&str]) -> Result<Operator, ParseError> {
    let (line, body) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+COPS").map(|b| (*l, b)))
        .ok_or_else(|| ParseError::new("+COPS", &lines.join("|"), "no +COPS line"))?;
    let f = quoted_fields(body);
    let mode = f
        .first()
        .and_then(|f| f.num::<u8>())
        .ok_or_else(|| ParseError::new("+COPS", line, "<mode> missing or not a number"))?;
    Ok(Operator {
        mode,
        format: f.get(1).and_then(|f| f.num()),
        name: f.get(2).and_then(|f| f.non_empty()).map(str::to_owned),
        act: f.get(3).and_then(|f| f.num()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solicited_creg_with_unquoted_hex_lac_and_ci_is_read() {
        let r = parse_registration("+CREG: 2,1,4CA,81DE445", true).unwrap();
        assert_eq!(r.mode, Some(2));
        assert_eq!(r.status, RegStatus::Home);
        assert_eq!(r.lac, Some(0x4CA));
        assert_eq!(r.cell_id, Some(0x81DE445));
    }

    #[test]
    fn urc_creg_with_only_stat_is_read_as_stat() {
        let r = parse_registration("+CREG: 5", false).unwrap();
        assert_eq!(r.mode, None);
        assert_eq!(r.status, RegStatus::Roaming);
        assert!(r.status.is_registered() && r.status.is_roaming());
    }

    #[test]
    fn urc_creg_with_location_is_read_from_the_first_field() {
        let r = parse_registration("+CGREG: 1,\"2AF5\",\"0B88E350\",2", false).unwrap();
        assert_eq!(r.domain, RegDomain::Gprs);
        assert_eq!(r.status, RegStatus::Home);
        assert_eq!(r.lac, Some(0x2AF5));
        assert_eq!(r.act, Some(2));
    }

    #[test]
    fn zero_padded_fields_and_spaces_inside_fields_are_tolerated() {
        let r = parse_registration("+CREG:002,001,\"18d8\",\"ffff\"", true).unwrap();
        assert_eq!(
            (r.mode, r.status, r.lac),
            (Some(2), RegStatus::Home, Some(0x18d8))
        );
        let r = parse_registration("+CREG: 2,1,  0 5, 2715", true).unwrap();
        assert_eq!((r.lac, r.cell_id), (Some(5), Some(0x2715)));
    }

    #[test]
    fn samsung_extra_fields_do_not_break_the_parse() {
        let r = parse_registration("+CREG: 2,1,000B,2816, B, C2816", true).unwrap();
        assert_eq!(r.status, RegStatus::Home);
        assert_eq!(r.lac, Some(0xB));
    }

    #[test]
    fn a_reply_with_creg_and_cgreg_picks_the_asked_domain() {
        let lines = ["+CREG: 2,1,\"1\",\"2\"", "+CGREG: 2,5"];
        let r = parse_registration_reply(&lines, RegDomain::Gprs)
            .unwrap()
            .unwrap();
        assert_eq!(r.status, RegStatus::Roaming);
    }

    #[test]
    fn ceireg_lte_sms_only_counts_as_registered() {
        let r = parse_registration("+CEREG: 0,6", true).unwrap();
        assert_eq!(r.status, RegStatus::SmsOnlyHome);
        assert!(r.status.is_registered());
        assert!(!RegStatus::Searching.is_registered());
    }

    #[test]
    fn a_non_numeric_stat_names_the_field() {
        let e = parse_registration("+CREG: 0,x", true).unwrap_err();
        assert!(e.reason.contains("<stat>"), "{e}");
    }

    #[test]
    fn csq_maps_rssi_to_dbm_and_bars_and_99_to_unknown() {
        let s = parse_csq(&["+CSQ: 15,99"]).unwrap();
        assert_eq!(s.dbm(), Some(-83));
        assert_eq!(s.bars(), Some(3));
        assert_eq!(s.ber_class(), None);
        let s = parse_csq(&["+CSQ: 99,99"]).unwrap();
        assert_eq!((s.dbm(), s.bars()), (None, None));
        let s = parse_csq(&["+CSQ: 31,0"]).unwrap();
        assert_eq!(
            (s.dbm(), s.bars(), s.ber_class()),
            (Some(-51), Some(4), Some(0))
        );
        assert!(parse_csq(&["OK"]).is_err());
    }

    #[test]
    fn cops_with_a_comma_in_the_name_keeps_the_whole_name() {
        let o = parse_cops(&["+COPS: 0,0,\"Orange, F\",7"]).unwrap();
        assert_eq!(o.name.as_deref(), Some("Orange, F"));
        assert_eq!(o.act, Some(7));
        let o = parse_cops(&["+COPS: 0"]).unwrap();
        assert_eq!((o.mode, o.name), (0, None));
    }
}
