//! The pure, I/O-free AT digester: bytes in, [`Digested`] items out.
//!
//! Feed it whatever the transport delivered; [`Digester::feed`] returns at most one item and how many input bytes
//! it consumed, so the caller loops until the input is used up:
//!
//! ```
//! use smsgate_at::{Digester, Digested};
//! let mut d = Digester::new();
//! d.begin(b"AT+CSQ", &["+CSQ"], false);
//! let mut input: &[u8] = b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n";
//! let mut seen = Vec::new();
//! loop {
//!     let (item, used) = d.feed(input);
//!     input = &input[used..];
//!     match item {
//!         None => break, // all input used
//!         Some(Digested::Echo(line)) => seen.push(format!("echo {}", String::from_utf8_lossy(line))),
//!         Some(Digested::Info(line)) => seen.push(format!("info {}", String::from_utf8_lossy(line))),
//!         Some(Digested::Final(result)) => seen.push(format!("final {result:?}")),
//!         Some(_) => {}
//!     }
//! }
//! assert_eq!(seen, ["echo AT+CSQ", "info +CSQ: 20,99", "final Ok"]);
//! ```
//!
//! Rules, in the order they are applied to each complete line (any CR or LF ends a line; empty lines and NUL
//! bytes are skipped, so CRLF, LF-only, CR-only and `\r\r\n` endings all work):
//! 1. a line longer than [`MAX_LINE`] is reported as [`Digested::Garbage`] (truncated);
//! 2. the line after a two-line URC header (`+CMT`, `+CBM`, PDU-mode `+CDS: <len>`) is that URC's data, and the
//!    line after a `+CMGR`/`+CMGL` header (except text-mode status reports, which have none) is its body: both
//!    are taken verbatim, never interpreted — so a text-mode body that reads `OK` is not a final result;
//! 3. after the send prompt the rest of the prompt line is the modem echoing our payload ([`Digested::Echo`]);
//! 4. a line starting with `AT` is the echo of the command (the first one, or any repeat equal to the command);
//! 5. final result codes end the command (`OK`, `ERROR`, `+CMS ERROR`, `+CME ERROR`, `COMMAND NOT SUPPORT`,
//!    `NOT READY`, `NO CARRIER`, `BUSY`, `NO ANSWER`, `NO DIALTONE`); the last four are URCs when idle;
//! 6. while a command is in flight, a line whose name matches one of its expected prefixes is an information line;
//! 7. a line whose name is in the URC table (or the extra URC names given at construction) is a URC;
//!    a `+CUSD` (answer or URC) whose quoted text spans several lines is joined with `\n` into one item;
//! 8. anything else is an information line while a command is in flight, or [`Digested::Stray`] when idle;
//!    a line with no printable ASCII at all is [`Digested::Garbage`].
//!
//! The `>` prompt is recognised only while a prompt command is in flight, at the start of a line, without waiting
//! for anything after it (`> `, bare `>\r\n` of SIMCom, and `> <echoed PDU>` all work).

use crate::codes::{CmeError, CmsError};

/// Longest line the digester keeps; longer lines are cut and reported as [`Digested::Garbage`].
pub const MAX_LINE: usize = 4096;

/// Longest command text remembered for echo detection.
const MAX_COMMAND: usize = 256;

/// How a command ended, as the modem said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinalResult {
    /// `OK`.
    Ok,
    /// Plain `ERROR` (also Motorola `MODEM ERROR: n`).
    Error,
    /// `+CMS ERROR: <n|text>`.
    Cms(CmsError),
    /// `+CME ERROR: <n|text>`.
    Cme(CmeError),
    /// Huawei `COMMAND NOT SUPPORT`.
    NotSupported,
    /// Dinstar AT mode: the chosen GSM module is not ready.
    NotReady,
    /// `NO CARRIER`.
    NoCarrier,
    /// `BUSY`.
    Busy,
    /// `NO ANSWER`.
    NoAnswer,
    /// `NO DIALTONE`.
    NoDialtone,
}

impl FinalResult {
    /// Parses a trimmed line as a final result code.
    pub fn parse(line: &[u8]) -> Option<FinalResult> {
        let upper_eq = |word: &str| line.eq_ignore_ascii_case(word.as_bytes());
        if upper_eq("OK") {
            return Some(FinalResult::Ok);
        }
        if upper_eq("ERROR") {
            return Some(FinalResult::Error);
        }
        if let Some(rest) = strip_prefix_ci(line, b"+CMS ERROR:") {
            return Some(FinalResult::Cms(match numeric_code(rest) {
                Some(code) => CmsError::from_code(code),
                None => CmsError::parse(&String::from_utf8_lossy(rest)),
            }));
        }
        if let Some(rest) = strip_prefix_ci(line, b"+CME ERROR:") {
            return Some(FinalResult::Cme(match numeric_code(rest) {
                Some(code) => CmeError::from_code(code),
                None => CmeError::parse(&String::from_utf8_lossy(rest)),
            }));
        }
        if strip_prefix_ci(line, b"MODEM ERROR:").is_some() {
            return Some(FinalResult::Error);
        }
        const WORDS: [(&str, FinalResult); 6] = [
            ("COMMAND NOT SUPPORT", FinalResult::NotSupported),
            ("NOT READY", FinalResult::NotReady),
            ("NO CARRIER", FinalResult::NoCarrier),
            ("BUSY", FinalResult::Busy),
            ("NO ANSWER", FinalResult::NoAnswer),
            ("NO DIALTONE", FinalResult::NoDialtone),
        ];
        WORDS
            .iter()
            .find(|(word, _)| upper_eq(word))
            .map(|(_, result)| result.clone())
    }

    /// Call-progress codes are final results for a command but URCs when nothing is in flight.
    fn is_call_progress(&self) -> bool {
        matches!(
            self,
            FinalResult::NoCarrier
                | FinalResult::Busy
                | FinalResult::NoAnswer
                | FinalResult::NoDialtone
        )
    }
}

/// One item recognised by the digester. Slices borrow the digester until the next [`Digester::feed`].
#[derive(Debug, PartialEq, Eq)]
pub enum Digested<'a> {
    /// Our command (or our payload after the prompt) echoed back.
    Echo(&'a [u8]),
    /// An information line belonging to the command in flight (verbatim, not trimmed).
    Info(&'a [u8]),
    /// The `>` send prompt.
    Prompt,
    /// A final result code.
    Final(FinalResult),
    /// An unsolicited result code; two-line URCs (`+CMT`, `+CDS`, `+CBM`) carry their second line as `data`.
    Urc {
        /// The URC line, e.g. `+CMTI: "SM",3`.
        header: &'a [u8],
        /// The second line (the PDU of `+CMT: ,23`), when the URC has one.
        data: Option<&'a [u8]>,
    },
    /// A line that arrived while no command was in flight and is not a known URC.
    Stray(&'a [u8]),
    /// Unprintable noise or an overlong (truncated) line.
    Garbage(&'a [u8]),
}

/// Built-in URC names (the text before `:`, or the whole line for bare words).
const URC_NAMES: &[&str] = &[
    // 27.005 / 27.007
    "+CMTI",
    "+CMT",
    "+CDS",
    "+CDSI",
    "+CBM",
    "+CBMI",
    "+CREG",
    "+CGREG",
    "+CEREG",
    "+C5GREG",
    "+CUSD",
    "+CRING",
    "+CLIP",
    "+CCWA",
    "+CIEV",
    "+CGEV",
    "+CSSI",
    "+CSSU",
    "+CTZV",
    "+CTZE",
    "+CTZEU",
    "+CPIN",
    "+CFUN",
    "RING",
    // Huawei
    "^RSSI",
    "^HCSQ",
    "^MODE",
    "^BOOT",
    "^SRVST",
    "^SIMST",
    "^DSFLOWRPT",
    "^CSNR",
    "^STIN",
    "^NWTIME",
    "^SYSSTART",
    "^CEND",
    "^ORIG",
    "^CONF",
    "^CONN",
    "^SMMEMFULL",
    "^ECLSTAT",
    "^NDISSTAT",
    "^CRSSI",
    "^RFSWITCH",
    // ZTE, Wavecom, Quectel, SIMCom, Telit, others seen by gammu
    "+ZDONR",
    "+ZPASR",
    "+ZUSIMR",
    "+ZEND",
    "+WIND",
    "+QIND",
    "+QUSIM",
    "+STIN",
    "+STKPCI",
    "#STN",
    "+PSBEARER",
    "+SPNWNAME",
    "*EBCA",
    "+MBAN",
    "_OSIGQ",
    "_OBS",
    "SMS DONE",
    "PB DONE",
    "CALL READY",
    "SMS READY",
    "RDY",
    "NORMAL POWER DOWN",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Next line is the data of the URC whose header sits in `pending`.
    Urc,
    /// Next line is the body of a `+CMGR`/`+CMGL` information line.
    Info,
}

#[derive(Debug)]
enum Kind {
    Echo,
    Info,
    Final(FinalResult),
    Urc,
    UrcWithData,
    /// A multi-line `+CUSD` information line, joined in `pending`.
    JoinedInfo,
    /// A multi-line `+CUSD` URC, joined in `pending`.
    JoinedUrc,
    Stray,
    Garbage,
}

/// Most continuation lines joined into one `+CUSD` before giving up on its closing quote.
const MAX_JOIN_LINES: u8 = 32;

/// The digester. One per modem connection; see the module docs for the rules.
#[derive(Debug)]
pub struct Digester {
    line: heapless::Vec<u8, MAX_LINE>,
    overflow: bool,
    pending: heapless::Vec<u8, MAX_LINE>,
    body: Option<Body>,
    /// A `+CUSD` whose quoted text spans lines is being joined in `pending` (as info line or URC).
    join: Option<Body>,
    join_lines: u8,
    /// The line in `line` still has to be classified (a final result that ended a join).
    replay: bool,
    /// The previous `feed` returned borrowed output; clear buffers first.
    emitted: bool,
    in_flight: bool,
    command: heapless::Vec<u8, MAX_COMMAND>,
    expects: Vec<String>,
    prompt_expected: bool,
    prompt_seen: bool,
    prompt_line: bool,
    echo_seen: bool,
    extra_urcs: Vec<String>,
}

impl Default for Digester {
    fn default() -> Self {
        Self::new()
    }
}

impl Digester {
    /// A digester with the built-in URC table.
    pub fn new() -> Self {
        Self::with_extra_urcs(Vec::new())
    }

    /// A digester that also treats lines named `extra_urcs` (e.g. `"+XYZ"` or a bare word) as URCs.
    pub fn with_extra_urcs(extra_urcs: Vec<String>) -> Self {
        Digester {
            line: heapless::Vec::new(),
            overflow: false,
            pending: heapless::Vec::new(),
            body: None,
            join: None,
            join_lines: 0,
            replay: false,
            emitted: false,
            in_flight: false,
            command: heapless::Vec::new(),
            expects: Vec::new(),
            prompt_expected: false,
            prompt_seen: false,
            prompt_line: false,
            echo_seen: false,
            extra_urcs,
        }
    }

    /// A command is now in flight: `command` is its text without CR (for echo detection), `expects` the
    /// prefixes of its information lines (`"+CREG"`), `prompt` whether it waits for the `>` prompt.
    pub fn begin(&mut self, command: &[u8], expects: &[&str], prompt: bool) {
        self.in_flight = true;
        self.command.clear();
        let keep = command.len().min(MAX_COMMAND);
        // Cannot fail: `keep` is at most the capacity.
        let _ = self.command.extend_from_slice(trim(&command[..keep]));
        self.expects = expects.iter().map(|e| e.to_string()).collect();
        self.prompt_expected = prompt;
        self.prompt_seen = false;
        self.prompt_line = false;
        self.echo_seen = false;
        self.forget_info_body();
    }

    /// No command is in flight any more (finished, timed out or abandoned).
    pub fn end(&mut self) {
        self.in_flight = false;
        self.command.clear();
        self.expects.clear();
        self.prompt_expected = false;
        self.prompt_seen = false;
        self.prompt_line = false;
        self.echo_seen = false;
        self.forget_info_body();
    }

    /// A body line still owed by the previous command's `+CMGR`/`+CMGL` header is not owed any more (a pending
    /// two-line URC keeps its data line).
    fn forget_info_body(&mut self) {
        if self.body == Some(Body::Info) {
            self.body = None;
        }
        if self.join == Some(Body::Info) {
            self.join = None;
        }
    }

    /// Whether a command is in flight.
    pub fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// Whether a partial line (or the first line of a two-line item) is buffered.
    pub fn has_partial(&self) -> bool {
        (!self.emitted && !self.line.is_empty()) || self.body.is_some() || self.join.is_some()
    }

    /// Consumes bytes until one item is complete; returns it (if any) and the number of bytes used.
    ///
    /// Call it again until it returns `None`: `None` means all of `input` was used. An item may come with
    /// `used == 0` (a final result that ended a multi-line `+CUSD` is delivered right after it), so loop on
    /// the item, not on the remaining input.
    pub fn feed(&mut self, input: &[u8]) -> (Option<Digested<'_>>, usize) {
        if self.emitted {
            self.emitted = false;
            if !self.replay {
                self.line.clear();
            }
            if self.body.is_none() && self.join.is_none() {
                self.pending.clear();
            }
        }
        if self.replay {
            self.replay = false;
            if let Some(kind) = self.classify() {
                self.emitted = true;
                return (Some(self.output(kind)), 0);
            }
        }
        let mut used = 0;
        while used < input.len() {
            let byte = input[used];
            used += 1;
            match byte {
                0 => {}
                0x1A | 0x1B if self.prompt_seen => {}
                b'\r' | b'\n' => {
                    if self.prompt_line {
                        self.prompt_line = false;
                        if trim(&self.line).is_empty() {
                            self.line.clear();
                            continue;
                        }
                        self.emitted = true;
                        return (Some(Digested::Echo(trim(&self.line))), used);
                    }
                    if self.line.is_empty() && !self.overflow {
                        continue;
                    }
                    if let Some(kind) = self.classify() {
                        self.emitted = true;
                        return (Some(self.output(kind)), used);
                    }
                }
                b'>' if self.line.is_empty()
                    && self.prompt_expected
                    && !self.prompt_seen
                    && self.body.is_none() =>
                {
                    self.prompt_seen = true;
                    self.prompt_line = true;
                    return (Some(Digested::Prompt), used);
                }
                _ => {
                    if self.line.push(byte).is_err() {
                        self.overflow = true;
                    }
                }
            }
        }
        (None, used)
    }

    /// Decides what the complete line in `self.line` is. `None` = absorbed (first line of a two-line URC).
    fn classify(&mut self) -> Option<Kind> {
        if self.overflow {
            self.overflow = false;
            self.body = None;
            self.join = None;
            return Some(Kind::Garbage);
        }
        if let Some(joined) = self.join {
            return self.continue_join(joined);
        }
        match self.body.take() {
            Some(Body::Urc) => return Some(Kind::UrcWithData),
            Some(Body::Info) => return Some(Kind::Info),
            None => {}
        }
        let line = trim(&self.line);
        if is_garbage(line) {
            return Some(Kind::Garbage);
        }
        if self.is_echo(line) {
            self.echo_seen = true;
            return Some(Kind::Echo);
        }
        if let Some(result) = FinalResult::parse(line) {
            if !self.in_flight && result.is_call_progress() {
                return Some(Kind::Urc);
            }
            return Some(Kind::Final(result));
        }
        let name = line_name(line);
        if self.in_flight
            && self
                .expects
                .iter()
                .any(|e| prefix_matches(line, e.as_bytes()))
        {
            if info_has_body(name, params(line)) {
                self.body = Some(Body::Info);
            }
            if opens_multiline_text(name, line) {
                return self.start_join(Body::Info);
            }
            return Some(Kind::Info);
        }
        if self.is_urc(name) {
            if opens_multiline_text(name, line) {
                return self.start_join(Body::Urc);
            }
            if urc_has_data(name, params(line)) {
                self.pending.clear();
                // Cannot fail: `pending` and `line` have the same capacity.
                let _ = self.pending.extend_from_slice(&self.line);
                self.line.clear();
                self.body = Some(Body::Urc);
                return None;
            }
            return Some(Kind::Urc);
        }
        if self.in_flight {
            if info_has_body(name, params(line)) {
                self.body = Some(Body::Info);
            }
            Some(Kind::Info)
        } else {
            Some(Kind::Stray)
        }
    }

    fn output(&self, kind: Kind) -> Digested<'_> {
        match kind {
            Kind::Echo => Digested::Echo(trim(&self.line)),
            Kind::Info => Digested::Info(&self.line),
            Kind::Final(result) => Digested::Final(result),
            Kind::Urc => Digested::Urc {
                header: trim(&self.line),
                data: None,
            },
            Kind::UrcWithData => Digested::Urc {
                header: trim(&self.pending),
                data: Some(trim(&self.line)),
            },
            Kind::JoinedInfo => Digested::Info(&self.pending),
            Kind::JoinedUrc => Digested::Urc {
                header: trim(&self.pending),
                data: None,
            },
            Kind::Stray => Digested::Stray(trim(&self.line)),
            Kind::Garbage => Digested::Garbage(&self.line),
        }
    }

    fn start_join(&mut self, as_: Body) -> Option<Kind> {
        self.pending.clear();
        // Cannot fail: `pending` and `line` have the same capacity.
        let _ = self.pending.extend_from_slice(&self.line);
        self.line.clear();
        self.join = Some(as_);
        self.join_lines = 0;
        None
    }

    /// Adds `line` to the `+CUSD` being joined; emits it when its quote closes. A final result (or too many
    /// lines, or no room) ends the join early: the joined text is emitted and `line` is classified next.
    fn continue_join(&mut self, joined: Body) -> Option<Kind> {
        let kind = match joined {
            Body::Info => Kind::JoinedInfo,
            Body::Urc => Kind::JoinedUrc,
        };
        let fits = self.pending.len() + 1 + self.line.len() <= MAX_LINE;
        if FinalResult::parse(trim(&self.line)).is_some()
            || self.join_lines >= MAX_JOIN_LINES
            || !fits
        {
            self.join = None;
            self.replay = true;
            return Some(kind);
        }
        // Cannot fail: room was checked above.
        let _ = self.pending.push(b'\n');
        let _ = self.pending.extend_from_slice(&self.line);
        self.line.clear();
        self.join_lines += 1;
        if quotes_balanced(&self.pending) {
            self.join = None;
            return Some(kind);
        }
        None
    }

    fn is_echo(&self, line: &[u8]) -> bool {
        let line = strip_noise(line);
        if !(line.len() >= 2 && line[..2].eq_ignore_ascii_case(b"AT")) {
            return false;
        }
        if !self.in_flight || !self.echo_seen {
            return true;
        }
        line.eq_ignore_ascii_case(&self.command)
    }

    fn is_urc(&self, name: &[u8]) -> bool {
        URC_NAMES
            .iter()
            .any(|u| name.eq_ignore_ascii_case(u.as_bytes()))
            || self
                .extra_urcs
                .iter()
                .any(|u| name.eq_ignore_ascii_case(u.as_bytes()))
    }
}

/// Trims ASCII whitespace at both ends.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end.max(start)]
}

/// Drops leading bytes that are not printable ASCII (noise before an echo, e.g. `\xFFAT+CSQ`).
fn strip_noise(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| b.is_ascii_graphic())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn is_garbage(line: &[u8]) -> bool {
    !line.iter().any(|b| b.is_ascii_graphic())
}

/// The numeric code after `ERROR:` (at-commands parses the integer parameter); `None` for verbose texts.
fn numeric_code(rest: &[u8]) -> Option<u16> {
    let rest = trim(rest);
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (code,) = at_commands::parser::CommandParser::parse(rest)
        .expect_int_parameter()
        .finish()
        .ok()?;
    u16::try_from(code).ok()
}

fn strip_prefix_ci<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    if line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix) {
        Some(&line[prefix.len()..])
    } else {
        None
    }
}

/// The name of a line: the text before the first `:`, or the whole line.
fn line_name(line: &[u8]) -> &[u8] {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => trim(&line[..colon]),
        None => line,
    }
}

/// The text after the first `:` (empty when there is none).
fn params(line: &[u8]) -> &[u8] {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => trim(&line[colon + 1..]),
        None => &[],
    }
}

/// `expected` matches when the line starts with it and the next byte does not continue a name.
fn prefix_matches(line: &[u8], expected: &[u8]) -> bool {
    let expected = trim(expected);
    let expected = expected.strip_suffix(b":").unwrap_or(expected);
    match strip_prefix_ci(line, expected) {
        Some(rest) => rest.first().is_none_or(|b| !b.is_ascii_alphanumeric()),
        None => false,
    }
}

/// A `+CUSD` line whose quoted text does not close on this line (USSD menus span lines).
fn opens_multiline_text(name: &[u8], line: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"+CUSD") && !quotes_balanced(line)
}

fn quotes_balanced(bytes: &[u8]) -> bool {
    bytes.iter().filter(|&&b| b == b'"').count() % 2 == 0
}

/// Two-line URCs: `+CMT` and `+CBM` always, `+CDS` in PDU mode (`+CDS: <length>`).
fn urc_has_data(name: &[u8], params: &[u8]) -> bool {
    if name.eq_ignore_ascii_case(b"+CMT") || name.eq_ignore_ascii_case(b"+CBM") {
        return true;
    }
    name.eq_ignore_ascii_case(b"+CDS")
        && !params.is_empty()
        && params.iter().all(u8::is_ascii_digit)
}

/// `+CMGR`/`+CMGL` headers are followed by a PDU or text body, except text-mode status reports
/// (`+CMGR: "REC UNREAD",6,21,...`), recognised by an unquoted integer (the first octet) after the status.
fn info_has_body(name: &[u8], params: &[u8]) -> bool {
    let status_field = if name.eq_ignore_ascii_case(b"+CMGR") {
        0
    } else if name.eq_ignore_ascii_case(b"+CMGL") {
        1
    } else {
        return false;
    };
    let fields = split_fields(params);
    let text_mode = fields.iter().any(|f| f.first() == Some(&b'"'));
    let status_report = text_mode
        && fields
            .get(status_field + 1)
            .is_some_and(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit));
    !status_report
}

/// Splits AT parameters at commas outside double quotes; each field is trimmed.
pub(crate) fn split_fields(params: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, &b) in params.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                fields.push(trim(&params[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    if !params.is_empty() {
        fields.push(trim(&params[start..]));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_handles_all_whitespace_and_empty() {
        assert_eq!(trim(b"  \r "), b"");
        assert_eq!(trim(b""), b"");
        assert_eq!(trim(b" a b "), b"a b");
    }

    #[test]
    fn fields_split_outside_quotes() {
        assert_eq!(
            split_fields(b"\"a,b\", 3,,x"),
            vec![&b"\"a,b\""[..], b"3", b"", b"x"]
        );
        assert!(split_fields(b"").is_empty());
    }

    #[test]
    fn expected_prefix_does_not_match_a_longer_name() {
        assert!(prefix_matches(b"+CMT: ,23", b"+CMT"));
        assert!(!prefix_matches(b"+CMTI: \"SM\",1", b"+CMT"));
        assert!(prefix_matches(b"+CSQ: 1,2", b"+CSQ:"));
    }
}
