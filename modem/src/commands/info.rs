//! Identity and SIM: manufacturer/model/revision/IMEI/IMSI/ICCID lines, own number (+CNUM),
//! PIN state (+CPIN) and the SMS service centre address (+CSCA).

use serde::Serialize;

use super::parse::{ParseError, after_prefix, quoted_fields, ucs2_hex_decode, ucs2_number};

/// Read a one-value identity answer (`AT+CGMI`, `AT+CGMM`, `AT+CGMR`, `AT+CGSN`, `AT+CIMI`,
/// `AT+CCID`…). Modems answer either the bare value (`huawei`) or a prefixed one
/// (`+CGMI: "huawei"`, `^ICCID: 8944…`); values may be quoted or padded with spaces
/// (Wavecom: ` WAVECOM MODEM`). Multi-line answers (Nokia's `AT+CGMR`) are joined with a space.
pub fn parse_identity(lines: &[&str], command: &'static str) -> Result<String, ParseError> {
    let mut parts = Vec::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let value = strip_any_prefix(l);
        let value = value.trim().trim_matches('"').trim();
        if !value.is_empty() {
            parts.push(value.to_owned());
        }
    }
    if parts.is_empty() {
        return Err(ParseError::new(command, "", "empty answer"));
    }
    Ok(parts.join(" "))
}

/// Drop a leading `+XXX:` / `^XXX:` / `$XXX:` prefix if the line has one.
fn strip_any_prefix(l: &str) -> &str {
    if l.starts_with(['+', '^', '$', '%'])
        && let Some((head, rest)) = l.split_once(':')
        && head.len() <= 12
        && head[1..].chars().all(|c| c.is_ascii_alphanumeric())
    {
        return rest;
    }
    l
}

/// An IMEI/IMSI/ICCID answer reduced to its digits (ICCIDs may end in `F` padding, kept out).
pub fn parse_digits(lines: &[&str], command: &'static str) -> Result<String, ParseError> {
    let raw = parse_identity(lines, command)?;
    let digits: String = raw
        .chars()
        .take_while(|c| c.is_ascii_digit() || c.eq_ignore_ascii_case(&'f') || *c == ' ')
        .filter(|c| c.is_ascii_digit())
        .collect();
    if digits.len() < 5 {
        return Err(ParseError::new(
            command,
            &raw,
            "expected a string of digits",
        ));
    }
    Ok(digits)
}

/// State of the SIM from `AT+CPIN?` (27.007 §8.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SimState {
    /// No PIN needed.
    Ready,
    /// Waiting for the SIM PIN.
    SimPin,
    /// Waiting for the SIM PUK (PIN blocked).
    SimPuk,
    /// Waiting for the phone-to-SIM password.
    PhSimPin,
    /// Waiting for PIN2.
    SimPin2,
    /// Waiting for PUK2.
    SimPuk2,
    /// Network personalisation PIN.
    PhNetPin,
    /// No SIM in the slot (from `+CME ERROR: 10`, not a +CPIN answer).
    NotInserted,
    /// Any other code, preserved verbatim.
    Other(String),
}

impl SimState {
    /// Map a `+CPIN:` code string.
    pub fn from_code(code: &str) -> SimState {
        match code
            .trim()
            .trim_matches('"')
            .trim()
            .to_ascii_uppercase()
            .as_str()
        {
            "READY" => SimState::Ready,
            "SIM PIN" => SimState::SimPin,
            "SIM PUK" => SimState::SimPuk,
            "PH-SIM PIN" => SimState::PhSimPin,
            "SIM PIN2" => SimState::SimPin2,
            "SIM PUK2" => SimState::SimPuk2,
            "PH-NET PIN" => SimState::PhNetPin,
            "NOT INSERTED" | "SIM NOT INSERTED" => SimState::NotInserted,
            other => SimState::Other(other.to_owned()),
        }
    }
}

/// Parse the info lines of `AT+CPIN?` (`+CPIN: READY`, `+CPIN: "READY"`, `+CPIN:READY`).
pub fn parse_cpin(lines: &[&str]) -> Result<SimState, ParseError> {
    lines
        .iter()
        .find_map(|l| after_prefix(l, "+CPIN"))
        .map(SimState::from_code)
        .ok_or_else(|| ParseError::new("+CPIN", &lines.join("|"), "no +CPIN line"))
}

/// One line of `AT+CNUM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnNumber {
    /// The optional label (`<alpha>`), decoded from UCS2 hex when it is.
    pub label: Option<String>,
    /// The number, with `+` when the type is international (145).
    pub number: String,
    /// `<type>` (129 national/unknown, 145 international).
    pub toa: Option<u8>,
}

/// Parse `AT+CNUM` answers: `+CNUM: "alpha","+33612…",145` (zero or more lines).
pub fn parse_cnum(lines: &[&str]) -> Result<Vec<OwnNumber>, ParseError> {
    let mut out = Vec::new();
    for l in lines {
        let Some(body) = after_prefix(l, "+CNUM") else {
            continue;
        };
        let f = quoted_fields(body);
        let num = f
            .get(1)
            .ok_or_else(|| ParseError::new("+CNUM", l, "<number> field missing"))?;
        let toa = f.get(2).and_then(|f| f.num::<u8>());
        let mut number = ucs2_number(&num.text).unwrap_or_else(|| num.text.clone());
        if toa == Some(145) && !number.starts_with('+') && !number.is_empty() {
            number.insert(0, '+');
        }
        if number.is_empty() {
            continue;
        }
        let label = f.first().and_then(|f| f.non_empty()).map(|s| {
            if s.len() >= 4 && s.len().is_multiple_of(4) {
                ucs2_hex_decode(s).unwrap_or_else(|| s.to_owned())
            } else {
                s.to_owned()
            }
        });
        out.push(OwnNumber { label, number, toa });
    }
    Ok(out)
}

/// The SMS service centre from `AT+CSCA?`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Smsc {
    /// The address, `+` prefixed when international; UCS2-hex answers are decoded.
    pub number: String,
    /// `<tosca>` (145 international, 129 unknown).
    pub toa: Option<u8>,
}

/// Parse `AT+CSCA?`: `+CSCA: "+79168999100",145`, the UCS2-hex form
/// `+CSCA: "002B0034…",145` (quoted or not) sent when `AT+CSCS="UCS2"`. An empty address
/// (`+CSCA: "",129`) is an error: the modem has no SMSC configured.
pub fn parse_csca(lines: &[&str]) -> Result<Smsc, ParseError> {
    let (line, body) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CSCA").map(|b| (*l, b)))
        .ok_or_else(|| ParseError::new("+CSCA", &lines.join("|"), "no +CSCA line"))?;
    let f = quoted_fields(body);
    let raw = f
        .first()
        .map(|f| f.text.trim().to_owned())
        .unwrap_or_default();
    let toa = f.get(1).and_then(|f| f.num::<u8>());
    let mut number = ucs2_number(&raw).unwrap_or(raw);
    if number.is_empty() {
        return Err(ParseError::new(
            "+CSCA",
            line,
            "<sca> is empty: no SMSC configured",
        ));
    }
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
    {
        return Err(ParseError::new(
            "+CSCA",
            line,
            format!("<sca> {number:?} is not a phone number"),
        ));
    }
    if toa == Some(145) && !number.starts_with('+') {
        number.insert(0, '+');
    }
    Ok(Smsc { number, toa })
}

/// Parse `AT+CSCS?`: `+CSCS: "GSM"` → `GSM`.
pub fn parse_cscs(lines: &[&str]) -> Result<String, ParseError> {
    let (line, body) = lines
        .iter()
        .find_map(|l| after_prefix(l, "+CSCS").map(|b| (*l, b)))
        .ok_or_else(|| ParseError::new("+CSCS", &lines.join("|"), "no +CSCS line"))?;
    let cs = body.trim().trim_matches('"').trim().to_ascii_uppercase();
    if cs.is_empty() {
        return Err(ParseError::new("+CSCS", line, "<chset> is empty"));
    }
    Ok(cs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_strips_prefix_quotes_and_padding() {
        assert_eq!(
            parse_identity(&[" WAVECOM MODEM"], "+CGMI").unwrap(),
            "WAVECOM MODEM"
        );
        assert_eq!(
            parse_identity(&["+CGMI: \"Quectel\""], "+CGMI").unwrap(),
            "Quectel"
        );
        assert_eq!(
            parse_identity(&["V ICPR72_08w44.1", "24-11-08", "RM-348"], "+CGMR").unwrap(),
            "V ICPR72_08w44.1 24-11-08 RM-348"
        );
        assert!(parse_identity(&[], "+CGMI").is_err());
    }

    #[test]
    fn iccid_loses_its_prefix_and_f_padding() {
        assert_eq!(
            parse_digits(&["^ICCID: 8944200012345678901F"], "+CCID").unwrap(),
            "8944200012345678901"
        );
        assert_eq!(
            parse_digits(&["+CCID: \"8933150319\""], "+CCID").unwrap(),
            "8933150319"
        );
        assert!(parse_digits(&["ERROR?"], "+CCID").is_err());
    }

    #[test]
    fn cpin_is_read_quoted_unquoted_and_without_space() {
        assert_eq!(parse_cpin(&["+CPIN: READY"]).unwrap(), SimState::Ready);
        assert_eq!(parse_cpin(&["+CPIN: \"READY\""]).unwrap(), SimState::Ready);
        assert_eq!(parse_cpin(&["+CPIN:SIM PIN"]).unwrap(), SimState::SimPin);
        assert_eq!(parse_cpin(&["+CPIN: SIM PUK"]).unwrap(), SimState::SimPuk);
        assert_eq!(
            parse_cpin(&["+CPIN: PH-SIM PIN"]).unwrap(),
            SimState::PhSimPin
        );
        assert!(parse_cpin(&[]).is_err());
    }

    #[test]
    fn cnum_reads_international_numbers_and_skips_empty_ones() {
        let n =
            parse_cnum(&["+CNUM: \"Me\",\"+33612345678\",145", "+CNUM: \"\",\"\",129"]).unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].number, "+33612345678");
        assert_eq!(n[0].label.as_deref(), Some("Me"));
        let n = parse_cnum(&["+CNUM: ,\"33612345678\",145"]).unwrap();
        assert_eq!(n[0].number, "+33612345678");
    }

    #[test]
    fn csca_plain_and_national_numbers_are_read() {
        assert_eq!(
            parse_csca(&["+CSCA: \"+79168999100\",145"]).unwrap().number,
            "+79168999100"
        );
        let s = parse_csca(&["+CSCA: \"6281100000\",145"]).unwrap();
        assert_eq!(s.number, "+6281100000");
    }

    #[test]
    fn csca_ucs2_hex_is_decoded_quoted_or_not() {
        let s =
            parse_csca(&["+CSCA: 002B00390037003200350034003100320030003000330032,145"]).unwrap();
        assert_eq!(s.number, "+97254120032");
        let s =
            parse_csca(&["+CSCA: \"002B003400340037003800300032003000390032003000330035\",145"])
                .unwrap();
        assert_eq!(s.number, "+447802092035");
    }

    #[test]
    fn csca_empty_address_is_an_error_naming_the_field() {
        let e = parse_csca(&["+CSCA: \"\",129"]).unwrap_err();
        assert!(e.reason.contains("<sca>"));
    }
}
