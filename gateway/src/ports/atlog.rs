//! The AT log: each AT port's recent traffic (commands, answers, URCs) in a bounded ring,
//! with PINs and passwords masked, for a technician troubleshooting a modem from the box UI.
//!
//! - [`Transcript`] is pure: bytes written and read (with the time) in, lines out. A line the
//!   gateway writes is a `command` (a PDU body after the `>` prompt ends at Ctrl-Z); a line
//!   read while a command waits for its final result (`OK`, `ERROR`, `+CMS ERROR`…) is an
//!   `answer`, any other line read is a `urc`. Lines are cut at [`MAX_LINE`] characters; the
//!   ring keeps the last [`CAPACITY`] lines, each with a sequence number that only grows.
//! - [`redact`] masks secrets before a line is kept: the PIN/PUK of `AT+CPIN`, the passwords of
//!   `AT+CPWD` and `AT+CLCK`, a Dinstar `Password:` line, and anything after a `password=` —
//!   a secret never reaches the ring, so neither the API nor a support bundle can show it.
//! - [`Tapped`] wraps the modem's byte stream (under the AT engine) and feeds both directions to
//!   the port's [`AtLog`]; [`AtLogs`] holds every port's log for the API.

use crate::clock::Clock;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

/// Lines kept per port.
pub const CAPACITY: usize = 200;
/// Longest line kept (characters); longer ones are cut and end with `…`.
pub const MAX_LINE: usize = 240;
/// What replaces a secret.
pub const MASK: &str = "********";

/// Which way a line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Written by the gateway.
    Command,
    /// Read while a command waited for its final result.
    Answer,
    /// Read with no command waiting (unsolicited result code).
    Urc,
}

/// One line of AT traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AtLine {
    /// Grows by one per line, per port (a client asks for lines after the last it has).
    pub seq: u64,
    /// When it was written or read.
    pub at: DateTime<Utc>,
    /// Which way.
    pub kind: LineKind,
    /// The line, secrets masked.
    pub text: String,
}

/// Final result codes: the end of a command's answer.
fn is_final(line: &str) -> bool {
    matches!(
        line,
        "OK" | "ERROR"
            | "NO CARRIER"
            | "BUSY"
            | "NO ANSWER"
            | "NO DIALTONE"
            | "COMMAND NOT SUPPORT"
    ) || line.starts_with("+CMS ERROR")
        || line.starts_with("+CME ERROR")
}

fn mask_after(line: &str, at: usize, keep_params: usize) -> String {
    let (head, params) = line.split_at(at);
    let kept: Vec<&str> = params.splitn(keep_params + 1, ',').collect();
    if kept.len() <= keep_params {
        return line.to_owned();
    }
    let mut out = head.to_owned();
    for p in &kept[..keep_params] {
        out.push_str(p);
        out.push(',');
    }
    out.push_str(MASK);
    out
}

/// `line` with its secrets masked (see the module docs).
pub fn redact(line: &str) -> String {
    let upper = line.to_ascii_uppercase();
    // Parameters of a set command start after its `=`.
    let param_start = |cmd: &str| -> Option<usize> {
        let i = upper.find(cmd)?;
        let rest = &upper[i + cmd.len()..];
        rest.starts_with('=').then_some(i + cmd.len() + 1)
    };
    for cmd in ["+CPIN2", "+CPIN", "^CPIN"] {
        if let Some(at) = param_start(cmd) {
            return mask_after(line, at, 0);
        }
    }
    // AT+CPWD=<fac>,<oldpwd>,<newpwd>; AT+CLCK=<fac>,<mode>[,<passwd>[,<class>]].
    if let Some(at) = param_start("+CPWD") {
        return mask_after(line, at, 1);
    }
    if let Some(at) = param_start("+CLCK") {
        return mask_after(line, at, 2);
    }
    if let Some(i) = upper.find("PASSWORD") {
        let rest = &line[i + "PASSWORD".len()..];
        if let Some(j) = rest.find([':', '=']) {
            let cut = i + "PASSWORD".len() + j + 1;
            if !line[cut..].trim().is_empty() {
                return format!("{}{MASK}", &line[..cut]);
            }
        }
    }
    line.to_owned()
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

/// A port's recent AT traffic (pure: bytes and times in, lines out).
#[derive(Debug, Default)]
pub struct Transcript {
    lines: VecDeque<AtLine>,
    next_seq: u64,
    out_buf: Vec<u8>,
    in_buf: Vec<u8>,
    /// A command was written and its final result not read yet.
    waiting: bool,
}

impl Transcript {
    fn push(&mut self, kind: LineKind, at: DateTime<Utc>, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let text = cut(&redact(text));
        self.next_seq += 1;
        if self.lines.len() == CAPACITY {
            self.lines.pop_front();
        }
        self.lines.push_back(AtLine {
            seq: self.next_seq,
            at,
            kind,
            text,
        });
    }

    /// Bytes the gateway wrote: a line ends at CR, LF or Ctrl-Z (a PDU's end, shown as `^Z`).
    pub fn sent(&mut self, bytes: &[u8], at: DateTime<Utc>) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' | 0x1a | 0x1b => {
                    if b == 0x1a {
                        self.out_buf.extend_from_slice(b" ^Z");
                    }
                    if b == 0x1b {
                        self.out_buf.extend_from_slice(b"<ESC>");
                    }
                    let line = std::mem::take(&mut self.out_buf);
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        self.waiting = true;
                    }
                    self.push(LineKind::Command, at, &line);
                }
                _ if self.out_buf.len() < MAX_LINE * 4 => self.out_buf.push(b),
                _ => {}
            }
        }
    }

    /// Bytes read from the modem: lines end at CR or LF; `>` (the PDU prompt) is a line.
    pub fn received(&mut self, bytes: &[u8], at: DateTime<Utc>) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => self.end_received_line(at),
                b'>' if self.in_buf.is_empty() => {
                    self.in_buf.push(b);
                    self.end_received_line(at);
                }
                _ if self.in_buf.len() < MAX_LINE * 4 => self.in_buf.push(b),
                _ => {}
            }
        }
    }

    fn end_received_line(&mut self, at: DateTime<Utc>) {
        let line = std::mem::take(&mut self.in_buf);
        let text = String::from_utf8_lossy(&line).trim().to_owned();
        if text.is_empty() {
            return;
        }
        let kind = if self.waiting {
            LineKind::Answer
        } else {
            LineKind::Urc
        };
        if self.waiting && is_final(&text) {
            self.waiting = false;
        }
        self.push(kind, at, &line);
    }

    /// The lines after `after` (all kept lines for `None`), oldest first.
    pub fn since(&self, after: Option<u64>) -> Vec<AtLine> {
        self.lines
            .iter()
            .filter(|l| after.is_none_or(|a| l.seq > a))
            .cloned()
            .collect()
    }

    /// The sequence number of the newest line (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.next_seq
    }
}

/// One port's AT log, shared by its stream tap and the API.
#[derive(Clone)]
pub struct AtLog {
    inner: Arc<Mutex<Transcript>>,
    changed: Arc<watch::Sender<u64>>,
}

impl std::fmt::Debug for AtLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtLog").finish_non_exhaustive()
    }
}

impl Default for AtLog {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            changed: Arc::new(watch::channel(0).0),
        }
    }
}

impl AtLog {
    fn lock(&self) -> MutexGuard<'_, Transcript> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn record(&self, f: impl FnOnce(&mut Transcript)) {
        let seq = {
            let mut t = self.lock();
            f(&mut t);
            t.last_seq()
        };
        self.changed.send_if_modified(|v| {
            let new = *v != seq;
            *v = seq;
            new
        });
    }

    /// The lines after `after`, oldest first.
    pub fn since(&self, after: Option<u64>) -> Vec<AtLine> {
        self.lock().since(after)
    }

    /// Bumps (the newest sequence number) whenever a line is added.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// `stream` with both directions recorded here, time-stamped by `clock`.
    pub fn tap<S>(&self, stream: S, clock: Arc<dyn Clock>) -> Tapped<S> {
        Tapped {
            inner: stream,
            log: self.clone(),
            clock,
        }
    }
}

/// Every AT port's log (by port id).
#[derive(Debug, Clone, Default)]
pub struct AtLogs(Arc<BTreeMap<u16, AtLog>>);

impl AtLogs {
    /// One empty log per port.
    pub fn new(ports: impl IntoIterator<Item = u16>) -> Self {
        Self(Arc::new(
            ports.into_iter().map(|p| (p, AtLog::default())).collect(),
        ))
    }

    /// The log of `port` (`None` for a port without one: not an AT port).
    pub fn get(&self, port: u16) -> Option<AtLog> {
        self.0.get(&port).cloned()
    }
}

/// A byte stream whose traffic goes to an [`AtLog`] (see [`AtLog::tap`]).
pub struct Tapped<S> {
    inner: S,
    log: AtLog,
    clock: Arc<dyn Clock>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                let now = this.clock.now();
                this.log.record(|t| t.received(new, now));
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            let now = this.clock.now();
            let written = &buf[..*n];
            this.log.record(|t| t.sent(written, now));
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    fn texts(tr: &Transcript) -> Vec<(LineKind, String)> {
        tr.since(None)
            .into_iter()
            .map(|l| (l.kind, l.text))
            .collect()
    }

    #[test]
    fn a_command_its_answer_and_a_urc_between_commands_are_told_apart() {
        let mut tr = Transcript::default();
        tr.sent(b"AT+CSQ\r", t(0));
        tr.received(b"\r\n+CSQ: 20,99\r\n\r\nO", t(1));
        tr.received(b"K\r\n", t(1));
        tr.received(b"\r\n+CMTI: \"SM\",3\r\n", t(2));
        tr.sent(b"AT+CMGS=23\r", t(3));
        tr.received(b"\r\n> ", t(3));
        tr.sent(
            b"0011000B914477009006F00000AA0BE8329BFD4697D9EC37\x1a",
            t(4),
        );
        tr.received(b"\r\n+CMGS: 7\r\n\r\nOK\r\n", t(5));
        use LineKind::*;
        assert_eq!(
            texts(&tr),
            vec![
                (Command, "AT+CSQ".into()),
                (Answer, "+CSQ: 20,99".into()),
                (Answer, "OK".into()),
                (Urc, "+CMTI: \"SM\",3".into()),
                (Command, "AT+CMGS=23".into()),
                (Answer, ">".into()),
                (
                    Command,
                    "0011000B914477009006F00000AA0BE8329BFD4697D9EC37 ^Z".into()
                ),
                (Answer, "+CMGS: 7".into()),
                (Answer, "OK".into()),
            ]
        );
        let lines = tr.since(Some(7));
        assert_eq!(lines.iter().map(|l| l.seq).collect::<Vec<_>>(), vec![8, 9]);
        assert_eq!(lines[0].at, t(5));
    }

    #[test]
    fn an_error_final_result_ends_the_answer_so_the_next_line_is_a_urc() {
        let mut tr = Transcript::default();
        tr.sent(b"AT+CMGS=23\r", t(0));
        tr.received(b"\r\n+CMS ERROR: 38\r\nRING\r\n", t(1));
        assert_eq!(
            texts(&tr)[1..],
            [
                (LineKind::Answer, "+CMS ERROR: 38".to_owned()),
                (LineKind::Urc, "RING".to_owned())
            ]
        );
    }

    #[test]
    fn pins_puks_and_passwords_never_reach_the_ring() {
        for (line, kept) in [
            ("AT+CPIN=\"1234\"", "AT+CPIN=********"),
            ("AT+CPIN=\"12345678\",\"4321\"", "AT+CPIN=********"),
            ("at+cpin=1234", "at+cpin=********"),
            ("AT+CPIN2=\"9999\"", "AT+CPIN2=********"),
            (
                "AT+CPWD=\"SC\",\"1234\",\"5678\"",
                "AT+CPWD=\"SC\",********",
            ),
            ("AT+CLCK=\"SC\",0,\"1234\"", "AT+CLCK=\"SC\",0,********"),
            ("AT+CLCK=\"SC\",2", "AT+CLCK=\"SC\",2"),
            ("Password:s3cret", "Password:********"),
            (
                "AT+XAUTH=1,password=hunter2",
                "AT+XAUTH=1,password=********",
            ),
            ("AT+CPIN?", "AT+CPIN?"),
            ("+CPIN: SIM PIN", "+CPIN: SIM PIN"),
            ("Password:", "Password:"),
        ] {
            assert_eq!(redact(line), kept, "{line}");
        }
        let mut tr = Transcript::default();
        tr.sent(b"AT+CPIN=\"1234\"\r", t(0));
        tr.received(b"\r\nOK\r\n", t(0));
        let all = format!("{:?}", tr.since(None));
        assert!(!all.contains("1234"), "{all}");
    }

    #[test]
    fn the_ring_keeps_the_last_lines_and_cuts_long_ones() {
        let mut tr = Transcript::default();
        for i in 0..(CAPACITY + 50) {
            tr.received(format!("+CREG: {i}\r\n").as_bytes(), t(0));
        }
        let lines = tr.since(None);
        assert_eq!(lines.len(), CAPACITY);
        assert_eq!(lines[0].text, "+CREG: 50");
        assert_eq!(lines.last().unwrap().seq, (CAPACITY + 50) as u64);
        let long = "A".repeat(MAX_LINE * 10);
        tr.received(format!("{long}\r\n").as_bytes(), t(1));
        let last = tr.since(Some(tr.last_seq() - 1)).pop().unwrap();
        assert_eq!(last.text.chars().count(), MAX_LINE + 1);
        assert!(last.text.ends_with('…'));
    }

    #[tokio::test]
    async fn a_tapped_stream_records_both_directions_and_notifies() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (near, mut far) = tokio::io::duplex(256);
        let log = AtLog::default();
        let mut rx = log.subscribe();
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        let mut tapped = log.tap(near, clock);
        tapped.write_all(b"AT\r").await.unwrap();
        let mut got = [0u8; 3];
        far.read_exact(&mut got).await.unwrap();
        far.write_all(b"\r\nOK\r\n").await.unwrap();
        let mut buf = [0u8; 16];
        let n = tapped.read(&mut buf).await.unwrap();
        assert!(n > 0);
        rx.changed().await.unwrap();
        let lines = log.since(None);
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.kind, l.text.as_str()))
                .collect::<Vec<_>>(),
            vec![(LineKind::Command, "AT"), (LineKind::Answer, "OK")]
        );
    }
}
