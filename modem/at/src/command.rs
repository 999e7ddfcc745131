//! What a command is ([`AtCommand`], [`Request`]) and what it yields ([`Response`], [`Urc`]).

use std::time::Duration;

use crate::digest::{FinalResult, split_fields};
use crate::error::AtError;

/// Default time a command may take to reach its final result.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a prompt command (`AT+CMGS=`, `AT+CMGW=`) waits for `>`.
pub const DEFAULT_PROMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a send waits for its result after the payload and Ctrl-Z (configurable up to minutes).
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(120);

/// A typed AT command: what to write, what to expect and how to read the answer.
///
/// Only [`write`](AtCommand::write) and [`parse`](AtCommand::parse) are required; everything else has defaults.
///
/// ```
/// use smsgate_at::{AtCommand, AtError, Response};
/// /// `AT+CSQ` → (rssi, ber).
/// struct Csq;
/// impl AtCommand for Csq {
///     type Output = (u8, u8);
///     fn write(&self, out: &mut Vec<u8>) { out.extend_from_slice(b"AT+CSQ") }
///     fn expects(&self) -> &[&str] { &["+CSQ"] }
///     fn parse(&self, r: &Response) -> Result<(u8, u8), AtError> {
///         let v = r.value("+CSQ").ok_or_else(|| AtError::parse("AT+CSQ", "", "no +CSQ line"))?;
///         let f = smsgate_at::fields(v);
///         let num = |i: usize| f.get(i).and_then(|s| s.parse().ok())
///             .ok_or_else(|| AtError::parse("AT+CSQ", v, "expected <rssi>,<ber>"));
///         Ok((num(0)?, num(1)?))
///     }
/// }
/// ```
pub trait AtCommand: Send + Sync {
    /// What a successful answer parses to.
    type Output: Send;

    /// Appends the command text **without** the trailing CR (the engine adds it), e.g. `AT+CMGS=23`.
    fn write(&self, out: &mut Vec<u8>);

    /// Prefixes of the information lines this command answers with (`"+CREG"`). While the command is in flight,
    /// lines with these names are its answer even when they look like URCs. Declare every prefix you parse.
    fn expects(&self) -> &[&str] {
        &[]
    }

    /// Time allowed for the final result (for prompt commands: counted after the payload was written).
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }

    /// For prompt commands (`AT+CMGS`, `AT+CMGW`): the payload written after `>`, without Ctrl-Z (the engine
    /// appends 0x1A). `None` for ordinary commands.
    fn payload(&self) -> Option<&[u8]> {
        None
    }

    /// Time allowed for the `>` prompt; on expiry the engine writes ESC and returns [`AtError::PromptTimeout`].
    fn prompt_timeout(&self) -> Duration {
        DEFAULT_PROMPT_TIMEOUT
    }

    /// The first expected information line may end the command (Wavecom answers `AT+CPIN?` with
    /// `+CPIN: READY` and no `OK`): after such a line the engine waits a short grace period
    /// ([`EngineConfig::final_grace`](crate::EngineConfig)) for a real final result, then completes with `OK`.
    fn final_on_info(&self) -> bool {
        false
    }

    /// The command text holds a secret (`AT+CPIN="1234"`): logs and errors show it redacted.
    fn sensitive(&self) -> bool {
        false
    }

    /// Turns a successful (`OK`) response into the output. Non-`OK` final results never reach here: they
    /// become [`AtError`]s.
    fn parse(&self, response: &Response) -> Result<Self::Output, AtError>;
}

/// A command as plain data (what the engine executes). Built from an [`AtCommand`] or by hand for the raw
/// escape hatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Command text without CR.
    pub line: Vec<u8>,
    /// Expected information line prefixes.
    pub expects: Vec<String>,
    /// Time for the final result (after the payload, for prompt commands).
    pub timeout: Duration,
    /// Payload for prompt commands (Ctrl-Z is appended by the engine).
    pub payload: Option<Vec<u8>>,
    /// Time for the `>` prompt.
    pub prompt_timeout: Duration,
    /// See [`AtCommand::final_on_info`].
    pub final_on_info: bool,
    /// See [`AtCommand::sensitive`].
    pub sensitive: bool,
}

impl Request {
    /// A request for `line` (no CR) with default timeouts and no expected prefixes.
    pub fn new(line: impl Into<Vec<u8>>) -> Self {
        Request {
            line: line.into(),
            expects: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            payload: None,
            prompt_timeout: DEFAULT_PROMPT_TIMEOUT,
            final_on_info: false,
            sensitive: false,
        }
    }

    /// The request a typed command stands for.
    pub fn from_command<C: AtCommand + ?Sized>(command: &C) -> Self {
        let mut line = Vec::new();
        command.write(&mut line);
        Request {
            line,
            expects: command.expects().iter().map(|e| e.to_string()).collect(),
            timeout: command.timeout(),
            payload: command.payload().map(<[u8]>::to_vec),
            prompt_timeout: command.prompt_timeout(),
            final_on_info: command.final_on_info(),
            sensitive: command.sensitive(),
        }
    }

    /// Adds an expected information prefix.
    pub fn expect(mut self, prefix: &str) -> Self {
        self.expects.push(prefix.to_string());
        self
    }

    /// Sets the final-result timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Makes this a prompt command with `payload`.
    pub fn payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.payload = Some(payload.into());
        self
    }

    /// Sets the prompt timeout.
    pub fn prompt_timeout(mut self, timeout: Duration) -> Self {
        self.prompt_timeout = timeout;
        self
    }

    /// See [`AtCommand::final_on_info`].
    pub fn final_on_info(mut self) -> Self {
        self.final_on_info = true;
        self
    }

    /// See [`AtCommand::sensitive`].
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// The command as shown in logs and errors (`AT+CPIN=<redacted>` when sensitive).
    pub fn display(&self) -> String {
        let text = decode_line(&self.line);
        if self.sensitive {
            let keep = text.find('=').map_or(text.len(), |i| i + 1);
            format!("{}<redacted>", &text[..keep])
        } else {
            text
        }
    }
}

/// Everything a command answered: its information lines (verbatim, in order) and its final result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Information lines, decoded as UTF-8 when valid, otherwise byte-by-byte as Latin-1 (nothing is lost:
    /// every byte stays visible as one char). Text-mode bodies after `+CMGR`/`+CMGL` headers are kept as is.
    pub lines: Vec<String>,
    /// How the command ended.
    pub result: FinalResult,
}

impl Response {
    /// True when the final result is `OK`.
    pub fn is_ok(&self) -> bool {
        self.result == FinalResult::Ok
    }

    /// `Ok(self)` for `OK`, otherwise the matching [`AtError`].
    pub fn into_result(self) -> Result<Response, AtError> {
        match AtError::from_final(&self.result) {
            None => Ok(self),
            Some(err) => Err(err),
        }
    }

    /// The values (text after `prefix:`, trimmed) of every line named `prefix` (`"+CPMS"`).
    pub fn values<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines
            .iter()
            .filter_map(move |line| value_of(line, prefix))
    }

    /// The value of the first line named `prefix`.
    pub fn value(&self, prefix: &str) -> Option<&str> {
        self.lines.iter().find_map(|line| value_of(line, prefix))
    }

    /// For listings (`+CMGL`, `+CMGR`): each line named `prefix` with the line that follows it (the PDU or the
    /// text body), unless that line is itself another `prefix` line. Text bodies spanning several lines: the
    /// first one only — use [`lines`](Self::lines) for the full text.
    pub fn with_bodies<'a>(&'a self, prefix: &'a str) -> Vec<(&'a str, Option<&'a str>)> {
        let mut out = Vec::new();
        let mut iter = self.lines.iter().peekable();
        while let Some(line) = iter.next() {
            if let Some(value) = value_of(line, prefix) {
                let body = match iter.peek() {
                    Some(next) if value_of(next, prefix).is_none() => {
                        iter.next().map(String::as_str)
                    }
                    _ => None,
                };
                out.push((value, body));
            }
        }
        out
    }
}

/// An unsolicited result code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urc {
    /// The URC line, e.g. `+CMTI: "SM",3` or `RING`.
    pub line: String,
    /// The second line of two-line URCs (`+CMT`, `+CDS` in PDU mode, `+CBM`): the PDU or text.
    pub data: Option<String>,
}

impl Urc {
    /// The name: text before `:` (`+CMTI`), or the whole line (`RING`).
    pub fn name(&self) -> &str {
        match self.line.find(':') {
            Some(i) => self.line[..i].trim(),
            None => self.line.trim(),
        }
    }

    /// The text after `:`, trimmed (empty for bare words).
    pub fn params(&self) -> &str {
        match self.line.find(':') {
            Some(i) => self.line[i + 1..].trim(),
            None => "",
        }
    }
}

fn value_of<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let prefix = prefix.trim().trim_end_matches(':');
    let head = line.trim_start();
    let rest = head
        .get(..prefix.len())
        .filter(|h| h.eq_ignore_ascii_case(prefix))
        .map(|_| &head[prefix.len()..])?;
    let rest = rest.trim_start();
    match rest.strip_prefix(':') {
        Some(value) => Some(value.trim()),
        None if rest.is_empty() => Some(""),
        None => None,
    }
}

/// Splits AT parameters (`1,"a,b",,3`) at commas outside double quotes; fields are trimmed, quotes kept.
pub fn fields(params: &str) -> Vec<&str> {
    split_fields(params.as_bytes())
        .into_iter()
        .map(|f| {
            // Fields are sub-slices of `params` cut at ASCII bytes (commas, whitespace), so the offsets are
            // char boundaries; recompute them from pointers to stay in &str.
            let start = f.as_ptr() as usize - params.as_ptr() as usize;
            &params[start..start + f.len()]
        })
        .collect()
}

/// Removes one pair of surrounding double quotes, if present.
pub fn unquote(field: &str) -> &str {
    let field = field.trim();
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(field)
}

/// Bytes of a line as text: UTF-8 when valid, otherwise each byte as the Latin-1 char of the same value.
pub fn decode_line(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(lines: &[&str]) -> Response {
        Response {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            result: FinalResult::Ok,
        }
    }

    #[test]
    fn values_find_named_lines_only() {
        let r = response(&["+CMTI: 1", "+CPMS: 1,20,1,20", "+CPMS:2,3"]);
        assert_eq!(r.values("+CPMS").collect::<Vec<_>>(), ["1,20,1,20", "2,3"]);
        assert_eq!(r.value("+CPMS:"), Some("1,20,1,20"));
        assert_eq!(r.value("+CMT"), None);
    }

    #[test]
    fn listings_pair_each_header_with_its_body() {
        let r = response(&[
            "+CMGL: 1,0,,23",
            "0791AB",
            "+CMGL: 2,0,,5",
            "+CMGL: 3,1,,7",
            "07FF",
        ]);
        assert_eq!(
            r.with_bodies("+CMGL"),
            vec![
                ("1,0,,23", Some("0791AB")),
                ("2,0,,5", None),
                ("3,1,,7", Some("07FF"))
            ]
        );
    }

    #[test]
    fn fields_and_unquote_handle_quoted_commas() {
        assert_eq!(
            fields(r#""REC READ", "+41,1",,"09/8/18,19:11""#),
            [r#""REC READ""#, r#""+41,1""#, "", r#""09/8/18,19:11""#]
        );
        assert_eq!(unquote(r#" "SM" "#), "SM");
        assert_eq!(unquote("5"), "5");
    }

    #[test]
    fn invalid_utf8_lines_decode_as_latin1() {
        assert_eq!(decode_line(b"AT\xFF\xE5"), "AT\u{FF}\u{E5}");
        assert_eq!(decode_line("tést".as_bytes()), "tést");
    }

    #[test]
    fn sensitive_requests_are_redacted() {
        let r = Request::new("AT+CPIN=\"1234\"").sensitive();
        assert_eq!(r.display(), "AT+CPIN=<redacted>");
        assert_eq!(Request::new("AT+CSQ").display(), "AT+CSQ");
    }

    #[test]
    fn urc_name_and_params() {
        let u = Urc {
            line: "+CMTI: \"SM\",3".into(),
            data: None,
        };
        assert_eq!((u.name(), u.params()), ("+CMTI", "\"SM\",3"));
        let u = Urc {
            line: "RING".into(),
            data: None,
        };
        assert_eq!((u.name(), u.params()), ("RING", ""));
    }
}
