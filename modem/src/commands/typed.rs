//! The typed AT commands: one type per command, each carrying its text, timeout, expected
//! answer prefixes and parser (the pure parsers of the sibling modules), run with
//! [`smsgate_at::EngineHandle::run`].

use std::time::Duration;

use smsgate_at::{AtCommand, AtError, Response};

use super::info::{self, OwnNumber, SimState, Smsc};
use super::network::{self, Operator, RegDomain, Registration, Signal};
use super::parse::ParseError;
use super::sms::{self, MessageStatus, StoredPdu, TextEntry};
use super::storage::{self, CnmiSetting, CnmiSupport, StorageSupport, StorageUsage};
use super::ussd::{self, UssdEncoding, UssdResponse};

impl From<ParseError> for AtError {
    fn from(e: ParseError) -> AtError {
        AtError::parse(e.command, e.line, e.reason)
    }
}

fn lines(r: &Response) -> Vec<&str> {
    r.lines.iter().map(String::as_str).collect()
}

/// Quote a string argument. AT strings have no escape for `"`; callers pass validated values.
fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

/// A command whose answer is just `OK` (`ATE0`, `AT+CMEE=1`, `AT+CMGF=0`, vendor init lines…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simple {
    /// The command text without CR.
    pub line: String,
    /// Its timeout.
    pub timeout: Duration,
}

impl Simple {
    /// `line` with the default 10 s timeout.
    pub fn new(line: impl Into<String>) -> Simple {
        Simple {
            line: line.into(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Set the timeout.
    pub fn timeout(mut self, t: Duration) -> Simple {
        self.timeout = t;
        self
    }
}

impl AtCommand for Simple {
    type Output = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.line.as_bytes());
    }
    fn timeout(&self) -> Duration {
        self.timeout
    }
    fn parse(&self, _: &Response) -> Result<(), AtError> {
        Ok(())
    }
}

/// Identity queries: `AT+CGMI`, `AT+CGMM`, `AT+CGMR`, `AT+CGSN` (IMEI), `AT+CIMI` (IMSI) and the
/// profile's ICCID command. The answer is the value as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// `AT+CGMI`.
    Manufacturer,
    /// `AT+CGMM`.
    Model,
    /// `AT+CGMR`.
    Revision,
    /// `AT+CGSN`.
    Imei,
    /// `AT+CIMI`.
    Imsi,
}

impl AtCommand for Identity {
    type Output = String;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self {
            Identity::Manufacturer => b"AT+CGMI",
            Identity::Model => b"AT+CGMM",
            Identity::Revision => b"AT+CGMR",
            Identity::Imei => b"AT+CGSN",
            Identity::Imsi => b"AT+CIMI",
        });
    }
    fn expects(&self) -> &[&str] {
        match self {
            Identity::Manufacturer => &["+CGMI"],
            Identity::Model => &["+CGMM"],
            Identity::Revision => &["+CGMR"],
            Identity::Imei => &["+CGSN"],
            Identity::Imsi => &["+CIMI"],
        }
    }
    fn parse(&self, r: &Response) -> Result<String, AtError> {
        let l = lines(r);
        Ok(match self {
            Identity::Imei => info::parse_digits(&l, "+CGSN")?,
            Identity::Imsi => info::parse_digits(&l, "+CIMI")?,
            Identity::Manufacturer => info::parse_identity(&l, "+CGMI")?,
            Identity::Model => info::parse_identity(&l, "+CGMM")?,
            Identity::Revision => info::parse_identity(&l, "+CGMR")?,
        })
    }
}

/// The ICCID with a vendor's command (`AT+CCID`, `AT^ICCID?`, `AT+QCCID`, `AT+ZGETICCID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iccid(pub String);

impl AtCommand for Iccid {
    type Output = String;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0.as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CCID", "^ICCID", "+QCCID", "+ICCID", "+ZGETICCID"]
    }
    fn parse(&self, r: &Response) -> Result<String, AtError> {
        Ok(info::parse_digits(&lines(r), "+CCID")?)
    }
}

/// `AT+CNUM`: own numbers stored on the SIM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cnum;

impl AtCommand for Cnum {
    type Output = Vec<OwnNumber>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CNUM");
    }
    fn expects(&self) -> &[&str] {
        &["+CNUM"]
    }
    fn parse(&self, r: &Response) -> Result<Vec<OwnNumber>, AtError> {
        Ok(info::parse_cnum(&lines(r))?)
    }
}

/// `AT+CPIN?`. `without_ok` marks modems that end the answer at `+CPIN:` (Wavecom).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpinQuery {
    /// The profile's `cpin_without_ok` quirk.
    pub without_ok: bool,
}

impl AtCommand for CpinQuery {
    type Output = SimState;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CPIN?");
    }
    fn expects(&self) -> &[&str] {
        &["+CPIN"]
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(15)
    }
    fn final_on_info(&self) -> bool {
        self.without_ok
    }
    fn parse(&self, r: &Response) -> Result<SimState, AtError> {
        Ok(info::parse_cpin(&lines(r))?)
    }
}

/// `AT+CPIN="<pin>"[,"<new pin>"]` (the second form answers a PUK). Redacted in logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpinEnter {
    /// PIN, or PUK when `new_pin` is set.
    pub pin: String,
    /// New PIN after a PUK.
    pub new_pin: Option<String>,
}

impl AtCommand for CpinEnter {
    type Output = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CPIN={}", quoted(&self.pin)).as_bytes());
        if let Some(n) = &self.new_pin {
            out.extend_from_slice(format!(",{}", quoted(n)).as_bytes());
        }
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(20)
    }
    fn sensitive(&self) -> bool {
        true
    }
    fn parse(&self, _: &Response) -> Result<(), AtError> {
        Ok(())
    }
}

/// `AT+CREG?` / `AT+CGREG?` / `AT+CEREG?`. `None` when the modem answers only `OK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegQuery(pub RegDomain);

impl AtCommand for RegQuery {
    type Output = Option<Registration>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT{}?", self.0.prefix()).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        match self.0 {
            RegDomain::Cs => &["+CREG"],
            RegDomain::Gprs => &["+CGREG"],
            RegDomain::Eps => &["+CEREG"],
        }
    }
    fn parse(&self, r: &Response) -> Result<Option<Registration>, AtError> {
        Ok(network::parse_registration_reply(&lines(r), self.0)?)
    }
}

/// `AT+CSQ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csq;

impl AtCommand for Csq {
    type Output = Signal;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CSQ");
    }
    fn expects(&self) -> &[&str] {
        &["+CSQ"]
    }
    fn parse(&self, r: &Response) -> Result<Signal, AtError> {
        Ok(network::parse_csq(&lines(r))?)
    }
}

/// `AT+COPS?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopsQuery;

impl AtCommand for CopsQuery {
    type Output = Operator;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+COPS?");
    }
    fn expects(&self) -> &[&str] {
        &["+COPS"]
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(30)
    }
    fn parse(&self, r: &Response) -> Result<Operator, AtError> {
        Ok(network::parse_cops(&lines(r))?)
    }
}

/// `AT+CSCA?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CscaQuery;

impl AtCommand for CscaQuery {
    type Output = Smsc;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CSCA?");
    }
    fn expects(&self) -> &[&str] {
        &["+CSCA"]
    }
    fn parse(&self, r: &Response) -> Result<Smsc, AtError> {
        Ok(info::parse_csca(&lines(r))?)
    }
}

/// `AT+CSCA="<number>",<145|129>` (the number as UCS2 hex when `ucs2` charset is active).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CscaSet {
    /// The SMSC, `+` for international.
    pub number: String,
    /// Write it as UCS2 hex (`AT+CSCS="UCS2"` in effect).
    pub ucs2: bool,
}

impl AtCommand for CscaSet {
    type Output = ();
    fn write(&self, out: &mut Vec<u8>) {
        let toa = if self.number.starts_with('+') {
            145
        } else {
            129
        };
        let n = if self.ucs2 {
            super::parse::ucs2_hex_encode(&self.number)
        } else {
            self.number.clone()
        };
        out.extend_from_slice(format!("AT+CSCA={},{toa}", quoted(&n)).as_bytes());
    }
    fn parse(&self, _: &Response) -> Result<(), AtError> {
        Ok(())
    }
}

/// `AT+CSCS?`: the TE character set in effect (`GSM`, `UCS2`, `IRA`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CscsQuery;

impl AtCommand for CscsQuery {
    type Output = String;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CSCS?");
    }
    fn expects(&self) -> &[&str] {
        &["+CSCS"]
    }
    fn parse(&self, r: &Response) -> Result<String, AtError> {
        Ok(info::parse_cscs(&lines(r))?)
    }
}

/// `AT+CPMS=?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpmsSupport {
    /// The profile's storage timeout (slow phones take long).
    pub timeout: Duration,
}

impl AtCommand for CpmsSupport {
    type Output = StorageSupport;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CPMS=?");
    }
    fn expects(&self) -> &[&str] {
        &["+CPMS"]
    }
    fn timeout(&self) -> Duration {
        self.timeout
    }
    fn parse(&self, r: &Response) -> Result<StorageSupport, AtError> {
        Ok(storage::parse_cpms_support(&lines(r))?)
    }
}

/// `AT+CPMS="<mem>"[,"<mem>"[,"<mem>"]]` — `mems` in role order (read, write, receive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpmsSet {
    /// Memories, 1–3.
    pub mems: Vec<String>,
}

impl AtCommand for CpmsSet {
    type Output = Option<StorageUsage>;
    fn write(&self, out: &mut Vec<u8>) {
        let args: Vec<String> = self.mems.iter().map(|m| quoted(m)).collect();
        out.extend_from_slice(format!("AT+CPMS={}", args.join(",")).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CPMS"]
    }
    fn parse(&self, r: &Response) -> Result<Option<StorageUsage>, AtError> {
        if r.value("+CPMS").is_none() {
            return Ok(None);
        }
        Ok(Some(storage::parse_cpms_usage(&lines(r))?))
    }
}

/// `AT+CNMI=?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CnmiTest;

impl AtCommand for CnmiTest {
    type Output = CnmiSupport;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"AT+CNMI=?");
    }
    fn expects(&self) -> &[&str] {
        &["+CNMI"]
    }
    fn parse(&self, r: &Response) -> Result<CnmiSupport, AtError> {
        Ok(storage::parse_cnmi_support(&lines(r))?)
    }
}

/// `AT+CNMI=<mode>,<mt>,<bm>,<ds>[,<bfr>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CnmiSet {
    /// The setting.
    pub setting: CnmiSetting,
    /// Leave out `<bfr>` (some modems take only four fields).
    pub short: bool,
}

impl AtCommand for CnmiSet {
    type Output = ();
    fn write(&self, out: &mut Vec<u8>) {
        let args = if self.short {
            self.setting.args_short()
        } else {
            self.setting.args()
        };
        out.extend_from_slice(format!("AT+CNMI={args}").as_bytes());
    }
    fn parse(&self, _: &Response) -> Result<(), AtError> {
        Ok(())
    }
}

/// `AT+CMGS=<tpdu length>` + the PDU hex after the prompt (PDU mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmgsPdu {
    /// TPDU length in octets, SMSC part excluded.
    pub tpdu_len: usize,
    /// The PDU hex including the SMSC prefix.
    pub hex: String,
    /// Prompt wait.
    pub prompt_timeout: Duration,
    /// Result wait after Ctrl-Z.
    pub timeout: Duration,
}

impl AtCommand for CmgsPdu {
    /// The modem-assigned message reference; `None` when the modem answered a bare `OK`.
    type Output = Option<u8>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGS={}", self.tpdu_len).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CMGS"]
    }
    fn payload(&self) -> Option<&[u8]> {
        Some(self.hex.as_bytes())
    }
    fn prompt_timeout(&self) -> Duration {
        self.prompt_timeout
    }
    fn timeout(&self) -> Duration {
        self.timeout
    }
    fn parse(&self, r: &Response) -> Result<Option<u8>, AtError> {
        Ok(sms::parse_cmgs(&lines(r))?)
    }
}

/// `AT+CMGS="<number>"` + the text after the prompt (text mode, `AT+CMGF=1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmgsText {
    /// Destination.
    pub to: String,
    /// The body bytes in the TE character set.
    pub body: Vec<u8>,
    /// Prompt wait.
    pub prompt_timeout: Duration,
    /// Result wait after Ctrl-Z.
    pub timeout: Duration,
}

impl AtCommand for CmgsText {
    type Output = Option<u8>;
    fn write(&self, out: &mut Vec<u8>) {
        let toa = if self.to.starts_with('+') { 145 } else { 129 };
        out.extend_from_slice(format!("AT+CMGS={},{toa}", quoted(&self.to)).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CMGS"]
    }
    fn payload(&self) -> Option<&[u8]> {
        Some(&self.body)
    }
    fn prompt_timeout(&self) -> Duration {
        self.prompt_timeout
    }
    fn timeout(&self) -> Duration {
        self.timeout
    }
    fn parse(&self, r: &Response) -> Result<Option<u8>, AtError> {
        Ok(sms::parse_cmgs(&lines(r))?)
    }
}

/// `AT+CMGR=<index>` in PDU mode. `None` for an empty slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmgrPdu(pub u32);

impl AtCommand for CmgrPdu {
    type Output = Option<StoredPdu>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGR={}", self.0).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CMGR"]
    }
    fn parse(&self, r: &Response) -> Result<Option<StoredPdu>, AtError> {
        let mut p = sms::parse_cmgr_pdu(&lines(r))?;
        if let Some(p) = &mut p {
            p.index = Some(self.0);
        }
        Ok(p)
    }
}

/// `AT+CMGR=<index>` in text mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmgrText(pub u32);

impl AtCommand for CmgrText {
    type Output = Option<TextEntry>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGR={}", self.0).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CMGR"]
    }
    fn parse(&self, r: &Response) -> Result<Option<TextEntry>, AtError> {
        let mut e = sms::parse_cmgr_text(&lines(r))?;
        match &mut e {
            Some(TextEntry::Message(m)) => m.index = Some(self.0),
            Some(TextEntry::StatusReport(s)) => s.index = Some(self.0),
            None => {}
        }
        Ok(e)
    }
}

/// `AT+CMGL=<stat>` in PDU mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmglPdu(pub MessageStatus);

impl AtCommand for CmglPdu {
    type Output = Vec<StoredPdu>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGL={}", self.0.code()).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CMGL"]
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(60)
    }
    fn parse(&self, r: &Response) -> Result<Vec<StoredPdu>, AtError> {
        Ok(sms::parse_cmgl_pdu(&lines(r))?)
    }
}

/// `AT+CMGL="<stat>"` in text mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmglText(pub MessageStatus);

impl AtCommand for CmglText {
    type Output = Vec<TextEntry>;
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGL={}", quoted(self.0.text())).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CMGL"]
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(60)
    }
    fn parse(&self, r: &Response) -> Result<Vec<TextEntry>, AtError> {
        Ok(sms::parse_cmgl_text(&lines(r))?)
    }
}

/// `AT+CMGD=<index>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmgd(pub u32);

impl AtCommand for Cmgd {
    type Output = ();
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("AT+CMGD={}", self.0).as_bytes());
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(25)
    }
    fn parse(&self, _: &Response) -> Result<(), AtError> {
        Ok(())
    }
}

/// `AT+CUSD=1,"<code>",15`: start a USSD session. The network's answer normally arrives later
/// as a `+CUSD` URC; some modems put it before `OK`, which this returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CusdRequest {
    /// The code, e.g. `*100#`.
    pub code: String,
    /// How the profile writes and reads USSD strings.
    pub encoding: UssdEncoding,
    /// `AT+CSCS="UCS2"` in effect.
    pub ucs2: bool,
    /// Time allowed for the `OK`.
    pub timeout: Duration,
}

impl AtCommand for CusdRequest {
    type Output = Option<UssdResponse>;
    fn write(&self, out: &mut Vec<u8>) {
        let s = match self.encoding {
            UssdEncoding::PackedGsm7Hex => {
                ussd::pack_gsm7_hex(&self.code).unwrap_or_else(|| self.code.clone())
            }
            UssdEncoding::Text if self.ucs2 => super::parse::ucs2_hex_encode(&self.code),
            UssdEncoding::Text => self.code.clone(),
        };
        out.extend_from_slice(format!("AT+CUSD=1,{},15", quoted(&s)).as_bytes());
    }
    fn expects(&self) -> &[&str] {
        &["+CUSD"]
    }
    fn timeout(&self) -> Duration {
        self.timeout
    }
    fn parse(&self, r: &Response) -> Result<Option<UssdResponse>, AtError> {
        match r.lines.iter().find(|l| l.trim_start().starts_with("+CUSD")) {
            Some(l) => Ok(Some(ussd::parse_cusd(l, self.encoding, self.ucs2)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsgate_at::FinalResult;

    fn ok(lines: &[&str]) -> Response {
        Response {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            result: FinalResult::Ok,
        }
    }

    fn text<C: AtCommand>(c: &C) -> String {
        let mut v = Vec::new();
        c.write(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn commands_write_their_text() {
        assert_eq!(text(&RegQuery(RegDomain::Eps)), "AT+CEREG?");
        assert_eq!(
            text(&CpmsSet {
                mems: vec!["SM".into(), "SM".into()]
            }),
            "AT+CPMS=\"SM\",\"SM\""
        );
        assert_eq!(text(&CmglPdu(MessageStatus::All)), "AT+CMGL=4");
        assert_eq!(
            text(&CmglText(MessageStatus::ReceivedUnread)),
            "AT+CMGL=\"REC UNREAD\""
        );
        assert_eq!(
            text(&CscaSet {
                number: "+33".into(),
                ucs2: true
            }),
            "AT+CSCA=\"002B00330033\",145"
        );
        let set = CnmiSet {
            setting: CnmiSetting {
                mode: 2,
                mt: 1,
                bm: 0,
                ds: 2,
                bfr: 0,
            },
            short: true,
        };
        assert_eq!(text(&set), "AT+CNMI=2,1,0,2");
    }

    #[test]
    fn pin_entry_is_sensitive_and_puk_form_has_two_arguments() {
        let c = CpinEnter {
            pin: "12345678".into(),
            new_pin: Some("1234".into()),
        };
        assert!(c.sensitive());
        assert_eq!(text(&c), "AT+CPIN=\"12345678\",\"1234\"");
    }

    #[test]
    fn huawei_ussd_request_is_packed_hex() {
        let c = CusdRequest {
            code: "*100#".into(),
            encoding: UssdEncoding::PackedGsm7Hex,
            ucs2: false,
            timeout: Duration::from_secs(30),
        };
        assert_eq!(text(&c), "AT+CUSD=1,\"AA180C3602\",15");
    }

    #[test]
    fn parse_errors_become_at_parse_errors_naming_the_command() {
        let e = Csq.parse(&ok(&["+CSQ: x"])).unwrap_err();
        assert!(
            matches!(e, AtError::Parse { ref command, .. } if command == "+CSQ"),
            "{e}"
        );
    }

    #[test]
    fn cmgr_remembers_the_index_it_read() {
        let p = CmgrPdu(7)
            .parse(&ok(&["+CMGR: 0,,5", "0011"]))
            .unwrap()
            .unwrap();
        assert_eq!(p.index, Some(7));
        assert_eq!(CmgrPdu(7).parse(&ok(&[])).unwrap(), None);
    }
}
