//! The AT command interpreter of one simulated modem: a pure, I/O-free state machine.
//!
//! Bytes from the serial line go in through [`ModemCore::feed`]; bytes for the line and [`Event`]s for the
//! network come out in an [`Output`]. The network answers events through [`ModemCore::submit_done`],
//! [`ModemCore::ussd_reply`], and delivers SMS with [`ModemCore::receive`] / [`ModemCore::receive_status_report`].
//! It is written as a modem (27.005 / 27.007 plus vendor quirks from [`Profile`]), not as a mirror of our driver.

use std::collections::{BTreeMap, VecDeque};

use super::config::{ModemSpec, Registration};
use super::profile::Profile;

/// Something the modem asks of the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An SMS-SUBMIT TPDU (without SMSC prefix) to transmit with message reference `mr`.
    /// Answer with [`ModemCore::submit_done`].
    Submit {
        /// The modem-assigned TP-MR (the one in the PDU is ignored, as real modems do).
        mr: u8,
        /// SMS-SUBMIT TPDU.
        tpdu: Vec<u8>,
    },
    /// A USSD request; answer with [`ModemCore::ussd_reply`].
    Ussd {
        /// The code, e.g. `*100#`.
        code: String,
    },
    /// The modem restarts (`AT+CFUN=1,1`); call [`ModemCore::boot`] after the boot time.
    Reboot,
}

/// What one step of the interpreter produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    /// Bytes for the serial line.
    pub bytes: Vec<u8>,
    /// Requests for the network.
    pub events: Vec<Event>,
}

impl Output {
    fn line(&mut self, s: &str) {
        self.bytes.extend_from_slice(b"\r\n");
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.extend_from_slice(b"\r\n");
    }
    fn append(&mut self, mut other: Output) {
        self.bytes.append(&mut other.bytes);
        self.events.append(&mut other.events);
    }
}

/// SIM card state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimState {
    /// Unlocked.
    Ready,
    /// Waits for the PIN.
    PinRequired,
    /// Waits for the PUK (PIN tried 3 times).
    PukRequired,
    /// No SIM in the slot.
    Removed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    /// GSM 7-bit default alphabet, one code per byte (escape 0x1B + code for the extension table).
    Gsm,
    /// UTF-16 code units as hex (`004100420043`).
    Ucs2,
    /// ASCII (T.50 IRA); other characters become `?`.
    Ira,
    /// Hex of the GSM 7-bit codes (SIM800's `HEX`; gammu prefers it when offered).
    Hex,
}

impl Charset {
    fn name(self) -> &'static str {
        match self {
            Charset::Gsm => "GSM",
            Charset::Ucs2 => "UCS2",
            Charset::Ira => "IRA",
            Charset::Hex => "HEX",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mem {
    Sm,
    Me,
    Sr,
}

impl Mem {
    fn parse(s: &str) -> Option<Mem> {
        match s.to_ascii_uppercase().as_str() {
            "SM" => Some(Mem::Sm),
            // MT (= ME + SM) is served from ME in the lab.
            "ME" | "MT" => Some(Mem::Me),
            "SR" => Some(Mem::Sr),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Mem::Sm => "SM",
            Mem::Me => "ME",
            Mem::Sr => "SR",
        }
    }
}

#[derive(Debug, Clone)]
struct Settings {
    echo: bool,
    cmee: u8,
    cmgf: u8,
    cscs: Charset,
    csmp: [u8; 4],
    csdh: u8,
    cnmi: [u8; 5],
    creg_n: u8,
    cgreg_n: u8,
    cereg_n: u8,
    cusd_n: u8,
    cpms: [Mem; 3],
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            echo: true,
            cmee: 0,
            cmgf: 0,
            cscs: Charset::Gsm,
            csmp: [17, 167, 0, 0],
            csdh: 0,
            cnmi: [0, 0, 0, 0, 0],
            creg_n: 0,
            cgreg_n: 0,
            cereg_n: 0,
            cusd_n: 0,
            cpms: [Mem::Sm, Mem::Sm, Mem::Sm],
        }
    }
}

#[derive(Debug, Clone)]
struct Stored {
    /// 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT.
    stat: u8,
    /// PDU with SMSC prefix.
    pdu: Vec<u8>,
    /// Put there by the storage-full fault (removed again when the fault is lifted).
    filler: bool,
}

#[derive(Debug, Clone)]
struct Store {
    capacity: usize,
    slots: BTreeMap<usize, Stored>,
}

impl Store {
    fn new(capacity: usize) -> Store {
        Store {
            capacity,
            slots: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    PduSend { len: usize },
    PduWrite { len: usize, stat: u8 },
    TextSend { da: String },
    TextWrite { da: String, stat: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Line(Vec<u8>),
    Body(Body, Vec<u8>),
    /// Waiting for the network: a send (`+CMGS`/`+CMSS` prefix) is outstanding.
    Busy(&'static str),
    /// Powered down / rebooting: input is lost.
    Off,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fail {
    Error,
    Unknown,
    Cme(u16),
    Cms(u16),
}

enum Done {
    Ok(Vec<String>),
    Prompt(Vec<String>, Body),
    /// Wait for the network (send).
    Busy(Vec<String>, &'static str),
}

type Reply = Result<Done, Fail>;

fn ok() -> Reply {
    Ok(Done::Ok(Vec::new()))
}
fn info(lines: Vec<String>) -> Reply {
    Ok(Done::Ok(lines))
}

fn cme_text(code: u16) -> &'static str {
    match code {
        3 => "operation not allowed",
        4 => "operation not supported",
        10 => "SIM not inserted",
        11 => "SIM PIN required",
        12 => "SIM PUK required",
        13 => "SIM failure",
        14 => "SIM busy",
        16 => "incorrect password",
        20 => "memory full",
        21 => "invalid index",
        22 => "not found",
        30 => "no network service",
        31 => "network timeout",
        50 => "Incorrect parameters",
        _ => "unknown",
    }
}

fn cms_text(code: u16) -> &'static str {
    match code {
        38 => "network out of order",
        41 => "temporary failure",
        42 => "congestion",
        300 => "ME failure",
        302 => "operation not allowed",
        303 => "operation not supported",
        304 => "invalid PDU mode parameter",
        305 => "invalid text mode parameter",
        310 => "SIM not inserted",
        311 => "SIM PIN required",
        313 => "SIM failure",
        316 => "SIM PUK required",
        321 => "invalid memory index",
        322 => "memory full",
        330 => "SMSC address unknown",
        331 => "no network service",
        332 => "network timeout",
        _ => "unknown error",
    }
}

/// Parsed extended command.
struct Ext<'a> {
    name: String,
    kind: Kind<'a>,
}

enum Kind<'a> {
    Exec,
    Read,
    Test,
    Set(&'a str),
}

/// Splits `a,"b,c",d` into unquoted, trimmed fields.
fn args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            ',' if !quoted => {
                out.push(if was_quoted {
                    cur.clone()
                } else {
                    cur.trim().to_owned()
                });
                cur.clear();
                was_quoted = false;
            }
            _ => cur.push(c),
        }
    }
    out.push(if was_quoted {
        cur
    } else {
        cur.trim().to_owned()
    });
    out
}

fn num<T: std::str::FromStr>(s: Option<&String>) -> Result<Option<T>, Fail> {
    match s.map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| Fail::Cme(50)),
    }
}

/// Text-mode fields of a stored or routed PDU, already in the TE character set.
#[derive(Debug, Default)]
struct TextView {
    addr: String,
    toa: u8,
    scts: String,
    fo: u8,
    pid: u8,
    dcs: u8,
    sca: String,
    tosca: u8,
    len: usize,
    text: String,
}

/// One simulated modem's AT side and its SIM.
#[derive(Debug, Clone)]
pub struct ModemCore {
    profile: &'static Profile,
    spec: ModemSpec,
    smsc: String,
    operator: String,
    operator_numeric: String,
    balance_code: String,
    s: Settings,
    sim: SimState,
    pin_attempts: u8,
    reg: Registration,
    cfun: u8,
    rssi: u8,
    next_mr: u8,
    sm: Store,
    me: Store,
    sr: Store,
    input: Input,
    last_line: Vec<u8>,
    queued_input: Vec<u8>,
    deferred: Vec<u8>,
    pending_inbound: VecDeque<Vec<u8>>,
    /// Status reports the network holds until the modem can take them (off, unregistered, SR full).
    pending_reports: VecDeque<Vec<u8>>,
    hang: u32,
    /// Huawei `^CURC`: periodic URCs on.
    curc: bool,
}

/// Lab-wide network facts a modem needs.
#[derive(Debug, Clone)]
pub struct NetworkInfo {
    /// SMSC number (`+CSCA`).
    pub smsc: String,
    /// Operator long name.
    pub operator: String,
    /// MCC+MNC.
    pub operator_numeric: String,
    /// USSD code answered with the balance.
    pub balance_code: String,
}

/// A snapshot of the modem state for the control API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoreStatus {
    /// SIM state.
    pub sim: SimState,
    /// Effective `+CREG` stat.
    pub creg: u8,
    /// `+CSQ` rssi.
    pub rssi: u8,
    /// `+CFUN`.
    pub cfun: u8,
    /// Messages in SM / ME / SR.
    pub stored: [usize; 3],
    /// Inbound messages waiting for free storage or registration.
    pub pending_inbound: usize,
    /// Status reports the network holds for this modem (off, unregistered or SR full).
    pub pending_reports: usize,
    /// PDU (0) or text (1) mode.
    pub cmgf: u8,
}

impl ModemCore {
    /// A powered-on, booted modem.
    pub fn new(spec: ModemSpec, net: &NetworkInfo) -> ModemCore {
        let profile = spec.profile.profile();
        ModemCore {
            profile,
            sim: if spec.pin.is_some() {
                SimState::PinRequired
            } else {
                SimState::Ready
            },
            pin_attempts: 3,
            reg: spec.registration,
            rssi: spec.signal,
            smsc: net.smsc.clone(),
            operator: net.operator.clone(),
            operator_numeric: net.operator_numeric.clone(),
            balance_code: net.balance_code.clone(),
            s: Settings::default(),
            cfun: 1,
            next_mr: 0,
            sm: Store::new(profile.sm_capacity),
            me: Store::new(profile.me_capacity),
            sr: Store::new(profile.sm_capacity),
            input: Input::Line(Vec::new()),
            last_line: Vec::new(),
            queued_input: Vec::new(),
            deferred: Vec::new(),
            pending_inbound: VecDeque::new(),
            pending_reports: VecDeque::new(),
            hang: 0,
            curc: true,
            spec,
        }
    }

    /// The modem's profile.
    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    /// The SIM and identity.
    pub fn spec(&self) -> &ModemSpec {
        &self.spec
    }

    /// Status snapshot.
    pub fn status(&self) -> CoreStatus {
        CoreStatus {
            sim: self.sim,
            creg: self.effective_reg().stat(),
            rssi: self.rssi,
            cfun: self.cfun,
            stored: [
                self.sm.slots.len(),
                self.me.slots.len(),
                self.sr.slots.len(),
            ],
            pending_inbound: self.pending_inbound.len(),
            pending_reports: self.pending_reports.len(),
            cmgf: self.s.cmgf,
        }
    }

    fn effective_reg(&self) -> Registration {
        if self.sim == SimState::Ready && self.cfun == 1 {
            self.reg
        } else {
            Registration::NotRegistered
        }
    }

    /// Whether SMS can currently reach the modem.
    pub fn can_receive(&self) -> bool {
        self.effective_reg().is_registered() && self.input != Input::Off
    }

    fn store(&self, mem: Mem) -> &Store {
        match mem {
            Mem::Sm => &self.sm,
            Mem::Me => &self.me,
            Mem::Sr => &self.sr,
        }
    }

    fn store_mut(&mut self, mem: Mem) -> &mut Store {
        match mem {
            Mem::Sm => &mut self.sm,
            Mem::Me => &mut self.me,
            Mem::Sr => &mut self.sr,
        }
    }

    fn capacity(&self, mem: Mem) -> usize {
        self.store(mem).capacity
    }

    /// Stores a PDU in `mem`; returns its index, or None when full.
    fn put(&mut self, mem: Mem, stat: u8, pdu: Vec<u8>) -> Option<usize> {
        let first = self.profile.first_index;
        let cap = self.capacity(mem);
        let st = self.store_mut(mem);
        if st.slots.len() >= cap {
            return None;
        }
        let idx = (first..first + st.capacity).find(|i| !st.slots.contains_key(i))?;
        st.slots.insert(
            idx,
            Stored {
                stat,
                pdu,
                filler: false,
            },
        );
        Some(idx)
    }

    // ---------------------------------------------------------------- errors

    fn fail_bytes(&self, f: &Fail) -> String {
        match f {
            Fail::Error => "ERROR".into(),
            Fail::Unknown => {
                if self.profile.unknown_command != "ERROR" {
                    self.profile.unknown_command.into()
                } else {
                    self.cme_string(4)
                }
            }
            Fail::Cme(c) => self.cme_string(*c),
            Fail::Cms(_) if self.s.cmee == 0 && self.profile.cms_errors_need_cmee => "ERROR".into(),
            Fail::Cms(c) => match self.s.cmee {
                2 => format!("+CMS ERROR: {}", cms_text(*c)),
                _ => format!("+CMS ERROR: {c}"),
            },
        }
    }

    fn cme_string(&self, code: u16) -> String {
        match self.s.cmee {
            1 => format!("+CME ERROR: {code}"),
            2 => format!("+CME ERROR: {}", cme_text(code)),
            _ => "ERROR".into(),
        }
    }

    fn sim_cme(&self) -> Result<(), Fail> {
        match self.sim {
            SimState::Ready => Ok(()),
            SimState::PinRequired => Err(Fail::Cme(11)),
            SimState::PukRequired => Err(Fail::Cme(12)),
            SimState::Removed => Err(Fail::Cme(10)),
        }
    }

    fn sim_cms(&self) -> Result<(), Fail> {
        match self.sim {
            SimState::Ready => Ok(()),
            SimState::PinRequired => Err(Fail::Cms(311)),
            SimState::PukRequired => Err(Fail::Cms(316)),
            SimState::Removed => Err(Fail::Cms(310)),
        }
    }

    // ---------------------------------------------------------------- input

    /// Feeds bytes from the serial line.
    pub fn feed(&mut self, bytes: &[u8]) -> Output {
        let mut out = Output::default();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            match &mut self.input {
                Input::Off => {}
                Input::Busy(_) => self.queued_input.push(b),
                Input::Line(buf) => {
                    if self.hang > 0 {
                        if b == b'\r' {
                            self.hang -= 1;
                        }
                        continue;
                    }
                    match b {
                        b'\r' => {
                            let line = std::mem::take(buf);
                            if self.s.echo {
                                out.bytes.push(b'\r');
                            }
                            let step = self.line(&line);
                            out.append(step);
                        }
                        b'\n' if buf.is_empty() => {}
                        0x08 | 0x7f => {
                            if buf.pop().is_some() && self.s.echo {
                                out.bytes.extend_from_slice(b"\x08 \x08");
                            }
                        }
                        0x1b | 0x1a => {}
                        _ => {
                            buf.push(b);
                            if self.s.echo {
                                out.bytes.push(b);
                            }
                            // "A/" repeats the last command line at once.
                            if buf.len() == 2 && buf.eq_ignore_ascii_case(b"A/") {
                                buf.clear();
                                let last = self.last_line.clone();
                                if self.s.echo {
                                    out.bytes.push(b'\r');
                                }
                                let step = self.line(&last);
                                out.append(step);
                            }
                        }
                    }
                }
                Input::Body(body, buf) => match b {
                    0x1a => {
                        let body = body.clone();
                        let data = std::mem::take(buf);
                        self.input = Input::Line(Vec::new());
                        let step = self.finish_body(body, data);
                        out.append(step);
                    }
                    0x1b => {
                        self.input = Input::Line(Vec::new());
                        out.line("OK");
                        self.flush_deferred(&mut out);
                    }
                    b'\r' | b'\n'
                        if matches!(body, Body::PduSend { .. } | Body::PduWrite { .. }) => {}
                    b'\r' => {
                        buf.push(b'\n');
                        if self.s.echo {
                            out.bytes.extend_from_slice(self.profile.prompt.as_bytes());
                        }
                    }
                    b'\n' => {}
                    _ => {
                        buf.push(b);
                        if self.s.echo
                            && matches!(body, Body::TextSend { .. } | Body::TextWrite { .. })
                        {
                            out.bytes.push(b);
                        }
                    }
                },
            }
            if matches!(self.input, Input::Busy(_)) && i < bytes.len() {
                self.queued_input.extend_from_slice(&bytes[i..]);
                break;
            }
        }
        out
    }

    fn flush_deferred(&mut self, out: &mut Output) {
        out.bytes.append(&mut self.deferred);
    }

    /// Emits a URC now, or after the current prompt/send when the line is reserved.
    fn urc(&mut self, out: &mut Output, bytes: &[u8]) {
        match self.input {
            Input::Line(_) => out.bytes.extend_from_slice(bytes),
            Input::Body(..) | Input::Busy(_) => self.deferred.extend_from_slice(bytes),
            Input::Off => {}
        }
    }

    fn line(&mut self, raw: &[u8]) -> Output {
        let mut out = Output::default();
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        if text.is_empty() {
            return out;
        }
        if text.len() < 2 || !text[..2].eq_ignore_ascii_case("AT") {
            // Real modems ignore lines that do not start with AT.
            return out;
        }
        self.last_line = raw.to_vec();
        let mut rest = &text[2..];
        let mut info_lines: Vec<String> = Vec::new();
        let mut fail: Option<Fail> = None;
        let mut prompt: Option<Body> = None;
        let mut busy = false;
        while !rest.is_empty() {
            let c = rest.as_bytes()[0];
            let (cmd, next) = match c {
                b'+' | b'^' | b'$' | b'#' | b'%' | b'*' => {
                    let mut quoted = false;
                    let mut end = rest.len();
                    for (i, ch) in rest.char_indices() {
                        match ch {
                            '"' => quoted = !quoted,
                            ';' if !quoted => {
                                end = i;
                                break;
                            }
                            _ => {}
                        }
                    }
                    (&rest[..end], rest.get(end + 1..).unwrap_or(""))
                }
                b';' | b' ' => {
                    rest = &rest[1..];
                    continue;
                }
                _ => {
                    // Basic command: [&]letter digits, or Sn=v / Sn?
                    let bytes = rest.as_bytes();
                    let mut end = 1;
                    if c == b'&' && bytes.len() > 1 {
                        end = 2;
                    }
                    if c.eq_ignore_ascii_case(&b's') {
                        while end < bytes.len() && bytes[end].is_ascii_digit() {
                            end += 1;
                        }
                        if end < bytes.len() && bytes[end] == b'?' {
                            end += 1;
                        } else if end < bytes.len() && bytes[end] == b'=' {
                            end += 1;
                            while end < bytes.len() && bytes[end].is_ascii_digit() {
                                end += 1;
                            }
                        }
                    } else {
                        while end < bytes.len() && bytes[end].is_ascii_digit() {
                            end += 1;
                        }
                    }
                    (&rest[..end], &rest[end..])
                }
            };
            rest = next;
            let reply =
                if c == b'+' || c == b'^' || c == b'$' || c == b'#' || c == b'%' || c == b'*' {
                    self.extended(cmd, &mut out)
                } else {
                    self.basic(cmd)
                };
            match reply {
                Ok(Done::Ok(lines)) => info_lines.extend(lines),
                Ok(Done::Prompt(lines, body)) => {
                    info_lines.extend(lines);
                    prompt = Some(body);
                    break;
                }
                Ok(Done::Busy(lines, prefix)) => {
                    info_lines.extend(lines);
                    self.input = Input::Busy(prefix);
                    busy = true;
                    break;
                }
                Err(f) => {
                    fail = Some(f);
                    break;
                }
            }
        }
        let mut body = String::new();
        if !info_lines.is_empty() {
            body.push_str("\r\n");
            for l in &info_lines {
                body.push_str(l);
                body.push_str("\r\n");
            }
        }
        out.bytes.splice(0..0, body.into_bytes());
        if busy {
            return out;
        }
        if let Some(f) = fail {
            let s = self.fail_bytes(&f);
            out.line(&s);
        } else if let Some(b) = prompt {
            out.bytes.extend_from_slice(self.profile.prompt.as_bytes());
            self.input = Input::Body(b, Vec::new());
        } else {
            out.line("OK");
        }
        out
    }

    fn basic(&mut self, cmd: &str) -> Reply {
        let up = cmd.to_ascii_uppercase();
        let (letter, arg) = up.split_at(if up.starts_with('&') {
            2.min(up.len())
        } else {
            1
        });
        let n: u32 = arg.parse().unwrap_or(0);
        match letter {
            "E" => {
                self.s.echo = n == 1;
                ok()
            }
            "V" if n == 1 => ok(),
            "Q" if n == 0 => ok(),
            "Z" | "&F" => {
                self.s = Settings::default();
                ok()
            }
            "I" => info(match n {
                3 => vec![self.profile.manufacturer.to_owned()],
                4 => vec![self.profile.model.to_owned()],
                _ => vec![
                    self.profile.manufacturer.to_owned(),
                    self.profile.model.to_owned(),
                    format!("Revision: {}", self.profile.revision),
                ],
            }),
            // Numeric result codes (V0) and quiet mode (Q1) are not simulated.
            "V" | "Q" => Err(Fail::Error),
            "X" | "&C" | "&D" | "&W" | "L" | "M" | "H" => ok(),
            "S" => match arg.strip_suffix('?') {
                // V.250 S-register queries answer three decimal digits; the values are the V.250
                // defaults real modems report (S3 = CR, S4 = LF, S5 = backspace…). Drivers use
                // `ATS3?` as a resynchronisation probe after a timeout.
                Some(reg) => match reg.parse::<u8>().ok().and_then(s_register_default) {
                    Some(v) => info(vec![format!("{v:03}")]),
                    None => Err(Fail::Error),
                },
                None => ok(),
            },
            _ => Err(Fail::Unknown),
        }
    }

    fn parse_ext<'a>(cmd: &'a str) -> Ext<'a> {
        let end = cmd.find(['=', '?']).unwrap_or(cmd.len());
        let name = cmd[..end].to_ascii_uppercase();
        let tail = &cmd[end..];
        let kind = if tail.is_empty() {
            Kind::Exec
        } else if tail == "?" {
            Kind::Read
        } else if tail == "=?" {
            Kind::Test
        } else if let Some(a) = tail.strip_prefix('=') {
            Kind::Set(a)
        } else {
            Kind::Exec
        };
        Ext { name, kind }
    }

    fn reg_line(&self, name: &str, n: u8, with_n: bool) -> String {
        let stat = self.effective_reg().stat();
        let mut s = if with_n {
            format!("+{name}: {n},{stat}")
        } else {
            format!("+{name}: {stat}")
        };
        if n == 2 && self.effective_reg().is_registered() {
            s.push_str(&format!(",\"00A1\",\"{:04X}\"", self.spec.index + 0x100));
            if name == "CEREG" {
                s.push_str(",7");
            }
        }
        s
    }

    fn reg_urcs(&mut self, before: Registration, out: &mut Output) {
        if before == self.effective_reg() {
            return;
        }
        for (name, n) in [
            ("CREG", self.s.creg_n),
            ("CGREG", self.s.cgreg_n),
            ("CEREG", self.s.cereg_n),
        ] {
            if n > 0 {
                let l = format!("\r\n{}\r\n", self.reg_line(name, n, false));
                self.urc(out, l.as_bytes());
            }
        }
        if self.effective_reg().is_registered() {
            self.retry_network(out);
        }
    }

    fn text_out(&self, s: &str) -> String {
        let gsm = || {
            smsgate_pdu::gsm7::encode_unpacked(s)
                .unwrap_or_else(|_| s.bytes().map(|b| b & 0x7f).collect())
        };
        match self.s.cscs {
            Charset::Ucs2 => smsgate_pdu::ucs2::to_hex(s),
            Charset::Ira => s
                .chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect(),
            // Every GSM code is below 0x80, so each maps to one char (and one byte on the line).
            Charset::Gsm => gsm().into_iter().map(char::from).collect(),
            Charset::Hex => hex::encode_upper(gsm()),
        }
    }

    fn text_in(&self, s: &str) -> Result<String, Fail> {
        match self.s.cscs {
            Charset::Ucs2 => smsgate_pdu::ucs2::from_hex(s).map_err(|_| Fail::Cms(305)),
            Charset::Ira => Ok(s.to_owned()),
            Charset::Gsm => {
                if !s.is_ascii() {
                    return Err(Fail::Cms(305));
                }
                Ok(smsgate_pdu::gsm7::decode_unpacked(s.as_bytes()))
            }
            Charset::Hex => {
                let codes = hex::decode(s.trim()).map_err(|_| Fail::Cms(305))?;
                if codes.iter().any(|c| *c > 0x7f) {
                    return Err(Fail::Cms(305));
                }
                Ok(smsgate_pdu::gsm7::decode_unpacked(&codes))
            }
        }
    }

    fn extended(&mut self, cmd: &str, out: &mut Output) -> Reply {
        let Ext { name, kind } = Self::parse_ext(cmd);
        let p = self.profile;
        let a = |k: &Kind<'_>| match k {
            Kind::Set(s) => args(s),
            _ => Vec::new(),
        };
        let set_args = a(&kind);
        let vendor_ok = p
            .vendor_ok_commands
            .iter()
            .any(|c| c.eq_ignore_ascii_case(cmd))
            || matches!(name.as_str(), "+IPR" | "+IFC" | "+ICF" | "+CMMS");
        match (name.as_str(), &kind) {
            ("+CGMI" | "+GMI", Kind::Exec) => info(vec![p.manufacturer.into()]),
            ("+CGMM" | "+GMM", Kind::Exec) => info(vec![p.model.into()]),
            ("+CGMR" | "+GMR", Kind::Exec) => info(vec![p.revision.into()]),
            ("+CGSN" | "+GSN", Kind::Exec) => info(vec![self.spec.imei.clone()]),
            ("+CGMI" | "+GMI" | "+CGMM" | "+GMM" | "+CGMR" | "+GMR" | "+CGSN" | "+GSN" | "+CIMI", Kind::Test) => ok(),
            ("+CIMI", Kind::Exec) => {
                self.sim_cme()?;
                info(vec![self.spec.imsi.clone()])
            }
            ("+CCID" | "+ICCID" | "+QCCID" | "^ICCID", Kind::Exec | Kind::Read) => {
                self.sim_cme()?;
                info(vec![format!("{}: {}", &name, self.spec.iccid)])
            }
            ("+GCAP", Kind::Exec) => info(vec![p.gcap.into()]),
            ("+CLAC", Kind::Exec) => {
                let cmds = [
                    "&C", "&D", "&F", "E", "I", "Q", "V", "X", "Z", "+CGMI", "+CGMM", "+CGMR", "+CGSN", "+CIMI",
                    "+CCID", "+GCAP", "+CLAC", "+CFUN", "+CMEE", "+CPIN", "+CSQ", "+CREG", "+CGREG", "+CEREG",
                    "+COPS", "+CNUM", "+CSCS", "+CMGF", "+CSCA", "+CSMP", "+CSDH", "+CSMS", "+CNMI", "+CNMA",
                    "+CPMS", "+CMGL", "+CMGR", "+CMGD", "+CMGS", "+CMGW", "+CMSS", "+CUSD",
                ];
                // Huawei E1752 ends +CLAC lines with \r\r\n (python-gsmmodem recorded profile).
                let mut s = String::from("\r\n");
                for c in cmds {
                    s.push_str(c);
                    s.push_str(p.clac_line_end);
                }
                out.bytes.extend_from_slice(s.as_bytes());
                ok()
            }
            ("+CMEE", Kind::Set(_)) => match num::<u8>(set_args.first())? {
                Some(v @ 0..=2) => {
                    self.s.cmee = v;
                    ok()
                }
                None => {
                    self.s.cmee = 0;
                    ok()
                }
                _ => Err(Fail::Cme(50)),
            },
            ("+CMEE", Kind::Read) => info(vec![format!("+CMEE: {}", self.s.cmee)]),
            ("+CMEE", Kind::Test) => info(vec!["+CMEE: (0-2)".into()]),
            ("+CPIN", Kind::Read) => match self.sim {
                SimState::Ready => info(vec!["+CPIN: READY".into()]),
                SimState::PinRequired => info(vec!["+CPIN: SIM PIN".into()]),
                SimState::PukRequired => info(vec!["+CPIN: SIM PUK".into()]),
                SimState::Removed => Err(Fail::Cme(10)),
            },
            ("+CPIN", Kind::Test) => ok(),
            ("+CPIN", Kind::Set(_)) => self.cpin(&set_args, out),
            ("+CFUN", Kind::Read) => info(vec![format!("+CFUN: {}", self.cfun)]),
            ("+CFUN", Kind::Test) => info(vec!["+CFUN: (0,1,4),(0,1)".into()]),
            ("+CFUN", Kind::Set(_)) => {
                let f = num::<u8>(set_args.first())?.unwrap_or(1);
                let rst = num::<u8>(set_args.get(1))?.unwrap_or(0);
                if !matches!(f, 0 | 1 | 4) || rst > 1 {
                    return Err(Fail::Cme(50));
                }
                let before = self.effective_reg();
                self.cfun = if f == 4 { 0 } else { f };
                if rst == 1 {
                    out.events.push(Event::Reboot);
                    return ok();
                }
                self.reg_urcs(before, out);
                ok()
            }
            ("+CSQ", Kind::Exec) => info(vec![format!(
                "+CSQ: {},99",
                if self.cfun == 1 { self.rssi } else { 99 }
            )]),
            ("+CSQ", Kind::Test) => info(vec!["+CSQ: (0-31,99),(0-7,99)".into()]),
            ("+CREG" | "+CGREG" | "+CEREG", _) => {
                let short = &name[1..];
                let n = match short {
                    "CREG" => self.s.creg_n,
                    "CGREG" => self.s.cgreg_n,
                    _ => self.s.cereg_n,
                };
                match kind {
                    Kind::Read => info(vec![self.reg_line(short, n, true)]),
                    Kind::Test => info(vec![format!("+{short}: (0-2)")]),
                    Kind::Set(_) => {
                        let v = num::<u8>(set_args.first())?.unwrap_or(0);
                        if v > 2 {
                            return Err(Fail::Cme(50));
                        }
                        match short {
                            "CREG" => self.s.creg_n = v,
                            "CGREG" => self.s.cgreg_n = v,
                            _ => self.s.cereg_n = v,
                        }
                        ok()
                    }
                    Kind::Exec => Err(Fail::Unknown),
                }
            }
            ("+COPS", Kind::Read) => {
                if self.effective_reg().is_registered() {
                    info(vec![format!("+COPS: 0,0,\"{}\",{}", self.operator, p.act)])
                } else {
                    info(vec!["+COPS: 0".into()])
                }
            }
            ("+COPS", Kind::Test) => {
                self.sim_cme()?;
                info(vec![format!(
                    "+COPS: (2,\"{}\",\"{}\",\"{}\",{}),,(0-4),(0-2)",
                    self.operator,
                    self.operator.chars().take(8).collect::<String>(),
                    self.operator_numeric,
                    p.act
                )])
            }
            ("+COPS", Kind::Set(_)) => {
                let mode = num::<u8>(set_args.first())?.unwrap_or(0);
                if mode > 4 {
                    return Err(Fail::Cme(50));
                }
                ok()
            }
            ("+CNUM", Kind::Exec) => {
                self.sim_cme()?;
                info(vec![format!("+CNUM: \"\",\"{}\",145", self.spec.msisdn)])
            }
            ("+CNUM", Kind::Test) => ok(),
            ("+CSCS", Kind::Read) => info(vec![format!("+CSCS: \"{}\"", self.s.cscs.name())]),
            ("+CSCS", Kind::Test) => info(vec![p.charsets.into()]),
            ("+CSCS", Kind::Set(_)) => {
                let v = set_args.first().map(|s| s.to_ascii_uppercase()).unwrap_or_default();
                self.s.cscs = match v.as_str() {
                    "GSM" => Charset::Gsm,
                    "UCS2" => Charset::Ucs2,
                    "IRA" => Charset::Ira,
                    "HEX" => Charset::Hex,
                    _ => return Err(Fail::Cme(4)),
                };
                ok()
            }
            ("+CMGF", Kind::Read) => info(vec![format!("+CMGF: {}", self.s.cmgf)]),
            ("+CMGF", Kind::Test) => info(vec!["+CMGF: (0,1)".into()]),
            ("+CMGF", Kind::Set(_)) => match num::<u8>(set_args.first())? {
                Some(v @ 0..=1) => {
                    self.s.cmgf = v;
                    ok()
                }
                None => {
                    self.s.cmgf = 0;
                    ok()
                }
                _ => Err(Fail::Cms(302)),
            },
            ("+CSDH", Kind::Read) => info(vec![format!("+CSDH: {}", self.s.csdh)]),
            ("+CSDH", Kind::Test) => info(vec!["+CSDH: (0,1)".into()]),
            ("+CSDH", Kind::Set(_)) => {
                self.s.csdh = u8::from(num::<u8>(set_args.first())?.unwrap_or(0) == 1);
                ok()
            }
            ("+CSMS", Kind::Read) => info(vec!["+CSMS: 0,1,1,1".into()]),
            ("+CSMS", Kind::Test) => info(vec!["+CSMS: (0,1)".into()]),
            ("+CSMS", Kind::Set(_)) => info(vec!["+CSMS: 1,1,1".into()]),
            ("+CNMA", Kind::Exec | Kind::Set(_)) => ok(),
            ("+CNMA", Kind::Test) => info(vec!["+CNMA: (0-2)".into()]),
            ("+CGSMS", Kind::Read) => info(vec!["+CGSMS: 1".into()]),
            ("+CGSMS", Kind::Test) => info(vec!["+CGSMS: (0-3)".into()]),
            ("+CGSMS", Kind::Set(_)) => ok(),
            ("+CSCA", Kind::Read) => {
                self.sim_cms()?;
                let ton = if self.smsc.starts_with('+') { 145 } else { 129 };
                info(vec![format!("+CSCA: \"{}\",{ton}", self.text_out(&self.smsc))])
            }
            ("+CSCA", Kind::Test) => ok(),
            ("+CSCA", Kind::Set(_)) => {
                self.sim_cms()?;
                let v = set_args.first().cloned().unwrap_or_default();
                let v = self.text_in(&v)?;
                if v.is_empty() {
                    return Err(Fail::Cms(304));
                }
                self.smsc = v;
                ok()
            }
            ("+CSMP", Kind::Read) => {
                let c = self.s.csmp;
                info(vec![format!("+CSMP: {},{},{},{}", c[0], c[1], c[2], c[3])])
            }
            ("+CSMP", Kind::Test) => ok(),
            ("+CSMP", Kind::Set(_)) => {
                let mut c = self.s.csmp;
                for (i, slot) in c.iter_mut().enumerate() {
                    if let Some(v) = num::<u8>(set_args.get(i)).map_err(|_| Fail::Cms(305))? {
                        *slot = v;
                    }
                }
                self.s.csmp = c;
                ok()
            }
            ("+CNMI", Kind::Read) => {
                let c = self.s.cnmi;
                info(vec![format!("+CNMI: {},{},{},{},{}", c[0], c[1], c[2], c[3], c[4])])
            }
            ("+CNMI", Kind::Test) if self.spec.routed_only => {
                info(vec!["+CNMI: (0-2),(0,2,3),(0,2),(0-2),(0,1)".into()])
            }
            ("+CNMI", Kind::Test) => info(vec![p.cnmi_ranges.into()]),
            ("+CNMI", Kind::Set(_)) => {
                let mut c = self.s.cnmi;
                let max = [3u8, 3, 3, 2, 1];
                for (i, slot) in c.iter_mut().enumerate() {
                    if let Some(v) = num::<u8>(set_args.get(i)).map_err(|_| Fail::Cms(303))? {
                        if v > max[i] {
                            return Err(Fail::Cms(303));
                        }
                        *slot = v;
                    }
                }
                self.s.cnmi = c;
                ok()
            }
            ("+CPMS", Kind::Test) => info(vec![
                "+CPMS: (\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\"),(\"ME\",\"MT\",\"SM\",\"SR\")".into(),
            ]),
            ("+CPMS", Kind::Read) => {
                self.sim_cms()?;
                let parts: Vec<String> = self
                    .s
                    .cpms
                    .iter()
                    .map(|m| format!("\"{}\",{},{}", m.name(), self.store(*m).slots.len(), self.capacity(*m)))
                    .collect();
                info(vec![format!("+CPMS: {}", parts.join(","))])
            }
            ("+CPMS", Kind::Set(_)) => {
                self.sim_cms()?;
                let mut mems = self.s.cpms;
                for (i, slot) in mems.iter_mut().enumerate() {
                    match set_args.get(i).map(|s| s.trim()) {
                        None | Some("") => {}
                        Some(m) => *slot = Mem::parse(m).ok_or(Fail::Cms(302))?,
                    }
                }
                self.s.cpms = mems;
                let parts: Vec<String> = mems
                    .iter()
                    .map(|m| format!("{},{}", self.store(*m).slots.len(), self.capacity(*m)))
                    .collect();
                info(vec![format!("+CPMS: {}", parts.join(","))])
            }
            ("+CMGL", Kind::Test) => info(vec![if self.s.cmgf == 0 {
                "+CMGL: (0-4)".into()
            } else {
                "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")".into()
            }]),
            ("+CMGL", Kind::Exec | Kind::Set(_)) => {
                self.sim_cms()?;
                self.cmgl(set_args.first().map(|s| s.as_str()))
            }
            ("+CMGR", Kind::Set(_)) => {
                self.sim_cms()?;
                let idx = num::<usize>(set_args.first()).map_err(|_| Fail::Cms(321))?.ok_or(Fail::Cms(321))?;
                self.cmgr(idx)
            }
            ("+CMGR", Kind::Test) => ok(),
            ("+CMGD", Kind::Test) => {
                let mem = self.s.cpms[0];
                let idx: Vec<String> = self.store(mem).slots.keys().map(|k| k.to_string()).collect();
                info(vec![format!("+CMGD: ({}),(0-4)", idx.join(","))])
            }
            ("+CMGD", Kind::Set(_)) => {
                self.sim_cms()?;
                let idx = num::<usize>(set_args.first()).map_err(|_| Fail::Cms(321))?.unwrap_or(0);
                let flag = num::<u8>(set_args.get(1)).map_err(|_| Fail::Cms(302))?.unwrap_or(0);
                self.cmgd(idx, flag, out)
            }
            ("+CMGS" | "+CMGW", Kind::Test) => ok(),
            ("+CMGS" | "+CMGW", Kind::Set(_)) | ("+CMGW", Kind::Exec) => {
                self.sim_cms()?;
                let write = name == "+CMGW";
                if self.s.cmgf == 0 {
                    let len = num::<usize>(set_args.first())
                        .map_err(|_| Fail::Cms(304))?
                        .filter(|l| (1..=176).contains(l))
                        .ok_or(Fail::Cms(304))?;
                    let stat = num::<u8>(set_args.get(1)).map_err(|_| Fail::Cms(304))?.unwrap_or(2);
                    let body = if write {
                        Body::PduWrite { len, stat }
                    } else {
                        Body::PduSend { len }
                    };
                    Ok(Done::Prompt(Vec::new(), body))
                } else {
                    let da = set_args.first().cloned().unwrap_or_default();
                    let da = self.text_in(&da)?;
                    if da.is_empty() && !write {
                        return Err(Fail::Cms(305));
                    }
                    let stat = match set_args.get(2).map(|s| s.to_ascii_uppercase()) {
                        Some(s) if s == "STO SENT" => 3,
                        _ => 2,
                    };
                    let body = if write {
                        Body::TextWrite { da, stat }
                    } else {
                        Body::TextSend { da }
                    };
                    Ok(Done::Prompt(Vec::new(), body))
                }
            }
            ("+CMSS", Kind::Set(_)) => {
                self.sim_cms()?;
                let idx = num::<usize>(set_args.first()).map_err(|_| Fail::Cms(321))?.ok_or(Fail::Cms(321))?;
                let mem = self.s.cpms[1];
                let pdu = self.store(mem).slots.get(&idx).map(|s| s.pdu.clone()).ok_or(Fail::Cms(321))?;
                let sca = usize::from(pdu.first().copied().unwrap_or(0));
                let tpdu = pdu.get(1 + sca..).unwrap_or_default().to_vec();
                self.start_submit(tpdu, "+CMSS", out)
            }
            ("+CUSD", Kind::Read) => info(vec![format!("+CUSD: {}", self.s.cusd_n)]),
            ("+CUSD", Kind::Test) => info(vec!["+CUSD: (0-2)".into()]),
            ("+CUSD", Kind::Set(_)) => {
                let n = num::<u8>(set_args.first())?.unwrap_or(0);
                if n > 2 {
                    return Err(Fail::Cme(50));
                }
                if n == 2 {
                    return ok();
                }
                self.s.cusd_n = n;
                if let Some(code) = set_args.get(1) {
                    self.sim_cme()?;
                    if !self.effective_reg().is_registered() {
                        return Err(Fail::Cme(30));
                    }
                    let code = if self.profile.ussd_packed {
                        unpack_ussd(code).ok_or(Fail::Cme(50))?
                    } else {
                        self.text_in(code).map_err(|_| Fail::Cme(50))?
                    };
                    out.events.push(Event::Ussd { code });
                }
                ok()
            }
            ("^CURC", Kind::Set(_)) if vendor_ok => {
                self.curc = set_args.first().map(String::as_str) != Some("0");
                ok()
            }
            ("^CURC", Kind::Read) if vendor_ok => info(vec![format!("^CURC: {}", u8::from(self.curc))]),
            (_, Kind::Exec | Kind::Set(_)) if vendor_ok => ok(),
            _ => Err(Fail::Unknown),
        }
    }

    fn cpin(&mut self, a: &[String], out: &mut Output) -> Reply {
        let before = self.effective_reg();
        match self.sim {
            SimState::Removed => Err(Fail::Cme(10)),
            SimState::Ready => Err(Fail::Cme(3)),
            SimState::PinRequired => {
                let given = a.first().cloned().unwrap_or_default();
                if Some(&given) == self.spec.pin.as_ref() {
                    self.sim = SimState::Ready;
                    self.pin_attempts = 3;
                    self.reg_urcs(before, out);
                    ok()
                } else {
                    self.pin_attempts = self.pin_attempts.saturating_sub(1);
                    if self.pin_attempts == 0 {
                        self.sim = SimState::PukRequired;
                    }
                    Err(Fail::Cme(16))
                }
            }
            SimState::PukRequired => {
                let (puk, new_pin) = (a.first().cloned().unwrap_or_default(), a.get(1).cloned());
                match new_pin {
                    Some(pin) if puk == self.spec.puk && (4..=8).contains(&pin.len()) => {
                        self.spec.pin = Some(pin);
                        self.sim = SimState::Ready;
                        self.pin_attempts = 3;
                        self.reg_urcs(before, out);
                        ok()
                    }
                    _ => Err(Fail::Cme(16)),
                }
            }
        }
    }

    fn tpdu_len(pdu: &[u8]) -> usize {
        pdu.len()
            .saturating_sub(1 + usize::from(pdu.first().copied().unwrap_or(0)))
    }

    fn stat_name(stat: u8) -> &'static str {
        match stat {
            0 => "REC UNREAD",
            1 => "REC READ",
            2 => "STO UNSENT",
            3 => "STO SENT",
            _ => "ALL",
        }
    }

    /// Text-mode view of a stored PDU.
    fn text_view(&self, pdu: &[u8]) -> Option<TextView> {
        let fo = *pdu.get(1 + usize::from(*pdu.first()?))?;
        let p = smsgate_pdu::decode(pdu).ok()?;
        let sca = p.smsc().map(|a| (a.display(), a.toa()));
        let (addr, scts, ud, pid, dcs) = match p {
            smsgate_pdu::Pdu::Deliver(d) => (
                d.sender,
                d.timestamp.format("%y/%m/%d,%H:%M:%S").to_string()
                    + &format!("{:+03}", d.timestamp.offset().local_minus_utc() / 900),
                Some(d.user_data),
                d.pid,
                d.dcs,
            ),
            smsgate_pdu::Pdu::Submit(s) => {
                (s.recipient, String::new(), Some(s.user_data), s.pid, s.dcs)
            }
            smsgate_pdu::Pdu::StatusReport(r) => (r.recipient, String::new(), None, 0, 0),
        };
        let text = ud.map(|u| u.text).unwrap_or_default();
        Some(TextView {
            toa: addr.toa(),
            addr: self.text_out(&addr.display()),
            scts,
            fo,
            pid,
            dcs,
            sca: sca
                .as_ref()
                .map(|(a, _)| self.text_out(a))
                .unwrap_or_default(),
            tosca: sca.map_or(129, |(_, t)| t),
            len: text.chars().count(),
            text: self.text_out(&text),
        })
    }

    /// `+CMGL` text-mode header (after the index).
    fn cmgl_text(&self, stat: u8, v: &TextView) -> String {
        let mut h = format!(
            "\"{}\",\"{}\",,\"{}\"",
            Self::stat_name(stat),
            v.addr,
            v.scts
        );
        if self.s.csdh == 1 {
            h.push_str(&format!(",{},{}", v.toa, v.len));
        }
        h
    }

    /// `+CMGR` / `+CMT` text-mode header; `stat` is None for `+CMT`.
    fn cmgr_text(&self, stat: Option<u8>, v: &TextView) -> String {
        let mut h = match stat {
            Some(st) => format!("\"{}\",\"{}\",,\"{}\"", Self::stat_name(st), v.addr, v.scts),
            None => format!("\"{}\",,\"{}\"", v.addr, v.scts),
        };
        if self.s.csdh == 1 {
            h.push_str(&format!(
                ",{},{},{},{},\"{}\",{},{}",
                v.toa, v.fo, v.pid, v.dcs, v.sca, v.tosca, v.len
            ));
        }
        h
    }

    fn cmgl(&mut self, arg: Option<&str>) -> Reply {
        let want: u8 = if self.s.cmgf == 0 {
            match arg.map(str::trim) {
                None | Some("") => 0,
                Some(v) => v.parse().ok().filter(|v| *v <= 4).ok_or(Fail::Cms(302))?,
            }
        } else {
            match arg.map(|s| s.trim().to_ascii_uppercase()) {
                None => 0,
                Some(s) => match s.as_str() {
                    "REC UNREAD" => 0,
                    "REC READ" => 1,
                    "STO UNSENT" => 2,
                    "STO SENT" => 3,
                    "ALL" => 4,
                    _ => return Err(Fail::Cms(302)),
                },
            }
        };
        let mem = self.s.cpms[0];
        let entries: Vec<(usize, Stored)> = self
            .store(mem)
            .slots
            .iter()
            .filter(|(_, m)| want == 4 || m.stat == want)
            .map(|(i, m)| (*i, m.clone()))
            .collect();
        let mut lines = Vec::new();
        for (idx, m) in &entries {
            if self.s.cmgf == 0 {
                lines.push(format!(
                    "+CMGL: {idx},{},,{}",
                    m.stat,
                    Self::tpdu_len(&m.pdu)
                ));
                lines.push(hex::encode_upper(&m.pdu));
            } else {
                let v = self.text_view(&m.pdu).unwrap_or_default();
                lines.push(format!("+CMGL: {idx},{}", self.cmgl_text(m.stat, &v)));
                lines.push(v.text);
            }
        }
        let st = self.store_mut(mem);
        for (idx, _) in &entries {
            if let Some(m) = st.slots.get_mut(idx)
                && m.stat == 0
            {
                m.stat = 1;
            }
        }
        info(lines)
    }

    fn cmgr(&mut self, idx: usize) -> Reply {
        let mem = self.s.cpms[0];
        let first = self.profile.first_index;
        if idx < first || idx >= first + self.store(mem).capacity {
            return Err(Fail::Cms(321));
        }
        let Some(m) = self.store(mem).slots.get(&idx).cloned() else {
            return if self.profile.empty_read_is_ok {
                ok()
            } else {
                Err(Fail::Cms(321))
            };
        };
        let lines = if self.s.cmgf == 0 {
            vec![
                format!("+CMGR: {},,{}", m.stat, Self::tpdu_len(&m.pdu)),
                hex::encode_upper(&m.pdu),
            ]
        } else {
            let v = self.text_view(&m.pdu).unwrap_or_default();
            vec![
                format!("+CMGR: {}", self.cmgr_text(Some(m.stat), &v)),
                v.text,
            ]
        };
        if let Some(s) = self.store_mut(mem).slots.get_mut(&idx)
            && s.stat == 0
        {
            s.stat = 1;
        }
        info(lines)
    }

    fn cmgd(&mut self, idx: usize, flag: u8, out: &mut Output) -> Reply {
        let mem = self.s.cpms[0];
        let first = self.profile.first_index;
        if flag > 4 {
            return Err(Fail::Cms(302));
        }
        let st = self.store_mut(mem);
        if flag == 0 {
            if idx < first || idx >= first + st.capacity {
                return Err(Fail::Cms(321));
            }
            st.slots.remove(&idx);
        } else {
            st.slots.retain(|_, m| match flag {
                1 => m.stat != 1,
                2 => !matches!(m.stat, 1 | 3),
                3 => !matches!(m.stat, 1..=3),
                _ => false,
            });
        }
        self.retry_network(out);
        ok()
    }

    fn start_submit(&mut self, tpdu: Vec<u8>, prefix: &'static str, out: &mut Output) -> Reply {
        if !self.effective_reg().is_registered() {
            return Err(Fail::Cms(331));
        }
        let mr = self.next_mr;
        self.next_mr = self.next_mr.wrapping_add(1);
        out.events.push(Event::Submit { mr, tpdu });
        Ok(Done::Busy(Vec::new(), prefix))
    }

    fn finish_body(&mut self, body: Body, data: Vec<u8>) -> Output {
        let mut out = Output::default();
        let r = self.body_result(body, data, &mut out);
        match r {
            Ok(Done::Busy(..)) => {
                self.input = Input::Busy(match out.events.last() {
                    Some(Event::Submit { .. }) => "+CMGS",
                    _ => "+CMGS",
                });
                return out;
            }
            Ok(Done::Ok(lines)) => {
                for l in lines {
                    out.line(&l);
                }
                out.line("OK");
            }
            Ok(Done::Prompt(..)) => out.line("OK"),
            Err(f) => {
                let s = self.fail_bytes(&f);
                out.line(&s);
            }
        }
        self.flush_deferred(&mut out);
        out
    }

    fn body_result(&mut self, body: Body, data: Vec<u8>, out: &mut Output) -> Reply {
        match body {
            Body::PduSend { len } | Body::PduWrite { len, .. } => {
                let text = String::from_utf8_lossy(&data);
                let bytes = hex::decode(text.trim()).map_err(|_| Fail::Cms(304))?;
                let sca = usize::from(*bytes.first().ok_or(Fail::Cms(304))?);
                let tpdu = bytes.get(1 + sca..).ok_or(Fail::Cms(304))?.to_vec();
                if tpdu.len() != len {
                    return Err(Fail::Cms(304));
                }
                match smsgate_pdu::decode(&bytes) {
                    Ok(smsgate_pdu::Pdu::Submit(_)) => {}
                    _ => return Err(Fail::Cms(304)),
                }
                if let Body::PduWrite { stat, .. } = body {
                    let mem = self.s.cpms[1];
                    let idx = self.put(mem, stat, bytes).ok_or(Fail::Cms(322))?;
                    return info(vec![format!("+CMGW: {idx}")]);
                }
                self.start_submit(tpdu, "+CMGS", out)
            }
            Body::TextSend { ref da } | Body::TextWrite { ref da, .. } => {
                let raw = String::from_utf8_lossy(&data).into_owned();
                let text = self.text_in(&raw)?;
                let c = self.s.csmp;
                let opts = smsgate_pdu::SubmitOptions {
                    status_report: c[0] & 0x20 != 0,
                    validity: if c[0] & 0x18 == 0x10 {
                        Some(relative_vp(c[1]))
                    } else {
                        None
                    },
                    encoding: if c[3] & 0x0c == 0x08 {
                        Some(smsgate_pdu::Encoding::Ucs2)
                    } else {
                        None
                    },
                    ..Default::default()
                };
                let parts =
                    smsgate_pdu::encode_submit(da, &text, &opts).map_err(|_| Fail::Cms(305))?;
                let [part] = parts.as_slice() else {
                    return Err(Fail::Cms(305));
                };
                let bytes = part.bytes.clone();
                if let Body::TextWrite { stat, .. } = body {
                    let mem = self.s.cpms[1];
                    let idx = self.put(mem, stat, bytes).ok_or(Fail::Cms(322))?;
                    return info(vec![format!("+CMGW: {idx}")]);
                }
                let tpdu = bytes[bytes.len() - part.tpdu_len..].to_vec();
                self.start_submit(tpdu, "+CMGS", out)
            }
        }
    }

    /// The network's answer to [`Event::Submit`]: `Ok` or a CMS error code.
    pub fn submit_done(&mut self, mr: u8, result: Result<(), u16>) -> Output {
        self.end_submit(Some((mr, result)))
    }

    /// The network accepted the outstanding send but its answer never reaches the line
    /// (`Fault::AnswerLost`): the modem is ready for the next command as if it had answered.
    pub fn submit_answer_lost(&mut self) -> Output {
        self.end_submit(None)
    }

    fn end_submit(&mut self, answer: Option<(u8, Result<(), u16>)>) -> Output {
        let mut out = Output::default();
        let Input::Busy(prefix) = self.input else {
            return out;
        };
        self.input = Input::Line(Vec::new());
        match answer {
            Some((mr, Ok(()))) => {
                out.line(&format!("{prefix}: {mr}"));
                out.line("OK");
            }
            Some((_, Err(code))) => {
                let s = self.fail_bytes(&Fail::Cms(code));
                out.line(&s);
            }
            None => {}
        }
        self.flush_deferred(&mut out);
        let queued = std::mem::take(&mut self.queued_input);
        let more = self.feed(&queued);
        out.append(more);
        out
    }

    /// A USSD answer from the network (`+CUSD: 0,"text",dcs` URC).
    pub fn ussd_reply(&mut self, m: u8, text: &str) -> Output {
        let mut out = Output::default();
        let (t, dcs) = match self.s.cscs {
            _ if self.profile.ussd_packed => (pack_ussd(text), 15),
            Charset::Ucs2 => (self.text_out(text), 72),
            _ => (self.text_out(text), 15),
        };
        // m=4 (operation not supported) carries no string.
        let l = if m == 4 {
            "\r\n+CUSD: 4\r\n".to_owned()
        } else {
            format!("\r\n+CUSD: {m},\"{t}\",{dcs}\r\n")
        };
        self.urc(&mut out, l.as_bytes());
        out
    }

    /// Whether `code` is this network's balance code.
    pub fn is_balance_code(&self, code: &str) -> bool {
        code == self.balance_code
    }

    /// An SMS-DELIVER from the network (PDU with SMSC prefix). Returns false when the modem cannot
    /// take it now; it is then kept pending inside the modem's SIM slot queue and retried.
    pub fn receive(&mut self, pdu: Vec<u8>) -> Output {
        let mut out = Output::default();
        self.pending_inbound.push_back(pdu);
        self.retry_pending(&mut out);
        out
    }

    fn retry_pending(&mut self, out: &mut Output) {
        while self.effective_reg().is_registered() && self.input != Input::Off {
            let Some(pdu) = self.pending_inbound.front().cloned() else {
                return;
            };
            if self.s.cnmi[1] == 2 || self.s.cnmi[1] == 3 {
                self.pending_inbound.pop_front();
                let l = if self.s.cmgf == 0 {
                    format!(
                        "\r\n+CMT: ,{}\r\n{}\r\n",
                        Self::tpdu_len(&pdu),
                        hex::encode_upper(&pdu)
                    )
                } else {
                    let v = self.text_view(&pdu).unwrap_or_default();
                    format!("\r\n+CMT: {}\r\n{}\r\n", self.cmgr_text(None, &v), v.text)
                };
                self.urc(out, l.as_bytes());
                continue;
            }
            let mem = self.s.cpms[2];
            let Some(idx) = self.put(mem, 0, pdu) else {
                return;
            };
            self.pending_inbound.pop_front();
            if self.s.cnmi[1] == 1 {
                let l = format!("\r\n+CMTI: \"{}\",{idx}\r\n", mem.name());
                self.urc(out, l.as_bytes());
            }
        }
    }

    /// An SMS-STATUS-REPORT from the network (PDU with SMSC prefix), handled per `+CNMI` `<ds>`: 1 routes it
    /// (`+CDS`), 2 stores it in `SR` and says where (`+CDSI`), 0 stores it in `SR` without a word (27.005:
    /// "no SMS-STATUS-REPORTs are routed to the TE" — the ME keeps them, as a phone does). A modem that is
    /// off, unregistered or whose `SR` is full cannot take it: the network holds it and delivers it when the
    /// modem can (after a replug, a reboot, a delete).
    pub fn receive_status_report(&mut self, pdu: Vec<u8>) -> Output {
        let mut out = Output::default();
        self.pending_reports.push_back(pdu);
        self.retry_reports(&mut out);
        out
    }

    fn retry_reports(&mut self, out: &mut Output) {
        while self.can_receive() {
            let Some(pdu) = self.pending_reports.front().cloned() else {
                return;
            };
            if self.s.cnmi[3] != 1 {
                let Some(idx) = self.put(Mem::Sr, 0, pdu) else {
                    return;
                };
                if self.s.cnmi[3] == 2 {
                    let l = format!("\r\n+CDSI: \"SR\",{idx}\r\n");
                    self.urc(out, l.as_bytes());
                }
                self.pending_reports.pop_front();
                continue;
            }
            self.pending_reports.pop_front();
            self.route_report(pdu, out);
        }
    }

    /// `<ds>` 1: the report goes to the TE as `+CDS`.
    fn route_report(&mut self, pdu: Vec<u8>, out: &mut Output) {
        let l = if self.s.cmgf == 0 {
            format!(
                "\r\n+CDS: {}\r\n{}\r\n",
                Self::tpdu_len(&pdu),
                hex::encode_upper(&pdu)
            )
        } else {
            match smsgate_pdu::decode(&pdu) {
                Ok(smsgate_pdu::Pdu::StatusReport(r)) => format!(
                    "\r\n+CDS: 6,{},\"{}\",{},\"{}\",\"{}\",{}\r\n",
                    r.message_ref,
                    r.recipient.display(),
                    if r.recipient.display().starts_with('+') {
                        145
                    } else {
                        129
                    },
                    r.sc_timestamp.format("%y/%m/%d,%H:%M:%S"),
                    r.discharge_time.format("%y/%m/%d,%H:%M:%S"),
                    r.status
                ),
                _ => return,
            }
        };
        self.urc(out, l.as_bytes());
    }

    // ---------------------------------------------------------------- faults and power

    /// Ignore the next `n` command lines entirely (no echo, no answer).
    pub fn fault_hang(&mut self, n: u32) {
        self.hang = n;
    }

    /// The memory named `name` (`SM`, `ME`/`MT`, `SR`), or where received messages go (`+CPMS` `<mem3>`).
    fn memory_named(&self, name: Option<&str>) -> Option<Mem> {
        match name {
            None => Some(self.s.cpms[2]),
            Some(n) => Mem::parse(n),
        }
    }

    /// Free slots of memory `name` (see [`ModemCore::fill_storage`]); `None` for an unknown memory.
    pub fn free_slots(&self, name: Option<&str>) -> Option<usize> {
        let mem = self.memory_named(name)?;
        let st = self.store(mem);
        Some(st.capacity.saturating_sub(st.slots.len()))
    }

    /// Storage full: puts `pdus` (SMSC-prefixed DELIVERs, or STATUS-REPORTs for `SR`) into the free slots of
    /// memory `name` as messages stored earlier and never emptied (`REC READ`), as a SIM nobody read fills
    /// up. New messages then wait at the network until a delete frees a slot. Returns how many were put.
    pub fn fill_storage(&mut self, name: Option<&str>, pdus: Vec<Vec<u8>>) -> usize {
        let Some(mem) = self.memory_named(name) else {
            return 0;
        };
        let mut n = 0;
        for pdu in pdus {
            let Some(idx) = self.put(mem, 1, pdu) else {
                break;
            };
            if let Some(slot) = self.store_mut(mem).slots.get_mut(&idx) {
                slot.filler = true;
            }
            n += 1;
        }
        n
    }

    /// Lifts the storage fault: the filler messages still stored are removed (emptied with another tool),
    /// and what waited at the network comes in.
    pub fn clear_filler(&mut self) -> Output {
        for mem in [Mem::Sm, Mem::Me, Mem::Sr] {
            self.store_mut(mem).slots.retain(|_, m| !m.filler);
        }
        let mut out = Output::default();
        self.retry_network(&mut out);
        out
    }

    /// Whatever the network holds for this modem (messages, reports) comes in if it can.
    fn retry_network(&mut self, out: &mut Output) {
        self.retry_pending(out);
        self.retry_reports(out);
    }

    /// Removes or reinserts the SIM (reinserted SIMs with a PIN come back locked).
    pub fn set_sim_present(&mut self, present: bool) -> Output {
        let before = self.effective_reg();
        self.sim = if !present {
            SimState::Removed
        } else if self.spec.pin.is_some() {
            SimState::PinRequired
        } else {
            SimState::Ready
        };
        let mut out = Output::default();
        self.reg_urcs(before, &mut out);
        out
    }

    /// Locks the SIM with `pin` (`+CPIN: SIM PIN` until `AT+CPIN="pin"`).
    pub fn lock_pin(&mut self, pin: String) -> Output {
        let before = self.effective_reg();
        self.spec.pin = Some(pin);
        self.sim = SimState::PinRequired;
        self.pin_attempts = 3;
        let mut out = Output::default();
        self.reg_urcs(before, &mut out);
        out
    }

    /// Network state change (lost, denied, roaming, home): emits the `+CREG` family URCs the TE enabled.
    pub fn set_registration(&mut self, reg: Registration) -> Output {
        let before = self.effective_reg();
        self.reg = reg;
        let mut out = Output::default();
        self.reg_urcs(before, &mut out);
        out
    }

    /// The vendor's periodic unsolicited line (Huawei `^RSSI:n`), unless the TE turned it off (`AT^CURC=0`).
    pub fn periodic_urc(&mut self) -> Output {
        let mut out = Output::default();
        if let Some(fmt) = self.profile.periodic_rssi_urc
            && self.curc
            && self.cfun == 1
        {
            let l = format!("\r\n{}\r\n", fmt.replace("{}", &self.rssi.to_string()));
            self.urc(&mut out, l.as_bytes());
        }
        out
    }

    /// Signal strength.
    pub fn set_signal(&mut self, rssi: u8) -> Output {
        self.rssi = rssi;
        let mut out = Output::default();
        if let Some(fmt) = self.profile.periodic_rssi_urc {
            let l = format!("\r\n{}\r\n", fmt.replace("{}", &rssi.to_string()));
            self.urc(&mut out, l.as_bytes());
        }
        out
    }

    /// `n` unsolicited lines in a burst (`^RSSI` on Huawei, `+CREG: <stat>` elsewhere).
    pub fn urc_storm(&mut self, n: usize) -> Output {
        let mut out = Output::default();
        for i in 0..n {
            let l = match self.profile.periodic_rssi_urc {
                Some(fmt) => format!(
                    "\r\n{}\r\n",
                    fmt.replace("{}", &((i % 31) as u8).to_string())
                ),
                None => format!("\r\n+CREG: {}\r\n", self.effective_reg().stat()),
            };
            self.urc(&mut out, l.as_bytes());
        }
        out
    }

    /// Power lost: all volatile state goes, input is ignored until [`ModemCore::boot`].
    pub fn power_off(&mut self) {
        self.input = Input::Off;
        self.queued_input.clear();
        self.deferred.clear();
    }

    /// Boots (after power on or reset): default settings, SIM relocked if it has a PIN, boot URCs.
    /// SIM and ME storage survive (they are flash).
    pub fn boot(&mut self) -> Output {
        self.s = Settings::default();
        self.input = Input::Line(Vec::new());
        self.queued_input.clear();
        self.deferred.clear();
        self.cfun = 1;
        self.hang = 0;
        if self.sim != SimState::Removed {
            self.sim = if self.spec.pin.is_some() {
                SimState::PinRequired
            } else {
                SimState::Ready
            };
        }
        let mut out = Output::default();
        for u in self.profile.boot_urcs {
            out.line(u);
        }
        // Registered again: what the network held comes in, under the default settings (stored, no
        // indication).
        self.retry_network(&mut out);
        out
    }
}

/// Huawei USSD strings are GSM 7-bit packed, as hex, whatever `+CSCS` says (reference §1.3): decode one.
fn unpack_ussd(hex_text: &str) -> Option<String> {
    let bytes = hex::decode(hex_text.trim()).ok()?;
    let count = bytes.len() * 8 / 7;
    let mut septets = smsgate_pdu::gsm7::unpack(&bytes, 0, count);
    // A final CR pads a string whose last septet would otherwise be read as '@'.
    if septets.len().is_multiple_of(8) && septets.last() == Some(&0x0d) {
        septets.pop();
    }
    if septets.last() == Some(&0) && !(bytes.len() * 8).is_multiple_of(7) {
        septets.pop();
    }
    Some(smsgate_pdu::gsm7::decode_unpacked(&septets))
}

/// Encodes a Huawei USSD string: GSM 7-bit packed hex, CR-padded when 7 spare bits would remain.
fn pack_ussd(text: &str) -> String {
    let mut septets = smsgate_pdu::gsm7::encode_unpacked(text).unwrap_or_default();
    if septets.len() % 8 == 7 {
        septets.push(0x0d);
    }
    hex::encode_upper(smsgate_pdu::gsm7::pack(&septets, 0))
}

/// 23.040 §9.2.3.12.1 relative validity period.
fn relative_vp(v: u8) -> std::time::Duration {
    let minutes: u64 = match v {
        0..=143 => (u64::from(v) + 1) * 5,
        144..=167 => 12 * 60 + (u64::from(v) - 143) * 30,
        168..=196 => (u64::from(v) - 166) * 24 * 60,
        _ => (u64::from(v) - 192) * 7 * 24 * 60,
    };
    std::time::Duration::from_secs(minutes * 60)
}

/// Default value of a V.250 S-register, `None` for registers a modem does not have.
fn s_register_default(reg: u8) -> Option<u8> {
    Some(match reg {
        0 => 0,
        3 => 13,
        4 => 10,
        5 => 8,
        6 => 2,
        7 => 50,
        8 => 2,
        10 => 14,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config::LabConfig;

    fn modem() -> ModemCore {
        let cfg = LabConfig::default();
        let spec = cfg.resolve().unwrap().remove(0);
        let net = NetworkInfo {
            smsc: cfg.smsc.clone(),
            operator: cfg.operator.clone(),
            operator_numeric: cfg.operator_numeric.clone(),
            balance_code: cfg.balance_code.clone(),
        };
        let mut m = ModemCore::new(spec, &net);
        m.feed(b"ATE0\r");
        m
    }

    fn say(m: &mut ModemCore, s: &str) -> String {
        String::from_utf8(m.feed(s.as_bytes()).bytes).unwrap()
    }

    #[test]
    fn chained_commands_answer_in_order_with_a_single_ok() {
        let mut m = modem();
        assert_eq!(
            say(&mut m, "AT+CMGF=1;+CMGF?;+CSQ\r"),
            "\r\n+CMGF: 1\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
        );
    }

    #[test]
    fn an_error_inside_a_chain_stops_it_and_no_ok_follows() {
        let mut m = modem();
        assert_eq!(say(&mut m, "AT+CMGF=1;+BOGUS;+CMGF=0\r"), "\r\nERROR\r\n");
        assert_eq!(say(&mut m, "AT+CMGF?\r"), "\r\n+CMGF: 1\r\n\r\nOK\r\n");
    }

    #[test]
    fn test_commands_answer_the_supported_ranges() {
        let mut m = modem();
        assert_eq!(say(&mut m, "AT+CMGF=?\r"), "\r\n+CMGF: (0,1)\r\n\r\nOK\r\n");
        assert!(say(&mut m, "AT+CNMI=?\r").starts_with("\r\n+CNMI: (0-2),(0-3)"));
        assert!(say(&mut m, "AT+CPMS=?\r").starts_with("\r\n+CPMS: (\"ME\",\"MT\",\"SM\",\"SR\")"));
        assert_eq!(say(&mut m, "AT+CREG=?\r"), "\r\n+CREG: (0-2)\r\n\r\nOK\r\n");
        assert_eq!(say(&mut m, "AT+CUSD=?\r"), "\r\n+CUSD: (0-2)\r\n\r\nOK\r\n");
    }

    #[test]
    fn lowercase_at_and_commands_are_accepted() {
        let mut m = modem();
        assert_eq!(say(&mut m, "at+cgmi\r"), "\r\nSMSGATE\r\n\r\nOK\r\n");
    }

    #[test]
    fn lines_that_do_not_start_with_at_are_ignored() {
        let mut m = modem();
        assert_eq!(say(&mut m, "hello\r\x1b\r\r\n"), "");
    }

    #[test]
    fn backspace_edits_the_line_and_the_echo_shows_the_erase() {
        let mut m = modem();
        m.feed(b"ATE1\r");
        assert_eq!(say(&mut m, "ATX\x08\r"), "ATX\x08 \x08\r\r\nOK\r\n");
    }

    #[test]
    fn s_register_queries_answer_like_a_v250_modem() {
        let mut m = modem();
        say(&mut m, "ATE0\r");
        assert_eq!(say(&mut m, "ATS3?\r"), "\r\n013\r\n\r\nOK\r\n");
        assert_eq!(say(&mut m, "ATS4?\r"), "\r\n010\r\n\r\nOK\r\n");
        assert_eq!(say(&mut m, "ATS99?\r"), "\r\nERROR\r\n");
        assert_eq!(say(&mut m, "ATS0=0\r"), "\r\nOK\r\n");
    }

    #[test]
    fn a_slash_repeats_the_last_command_line() {
        let mut m = modem();
        say(&mut m, "AT+CGMM\r");
        assert_eq!(say(&mut m, "A/"), "\r\nSIMULATED-GSM\r\n\r\nOK\r\n");
    }

    #[test]
    fn a_send_emits_the_tpdu_without_smsc_and_a_modem_assigned_reference() {
        let mut m = modem();
        let opts = smsgate_pdu::SubmitOptions {
            message_ref: 77,
            ..Default::default()
        };
        let p = smsgate_pdu::encode_submit("+447700900300", "hi", &opts)
            .unwrap()
            .remove(0);
        assert_eq!(say(&mut m, &format!("AT+CMGS={}\r", p.tpdu_len)), "\r\n> ");
        let out = m.feed(format!("{}\x1a", p.hex()).as_bytes());
        assert!(out.bytes.is_empty(), "nothing until the network answers");
        let tpdu = p.bytes[p.bytes.len() - p.tpdu_len..].to_vec();
        assert_eq!(out.events, vec![Event::Submit { mr: 0, tpdu }]);
        assert_eq!(
            String::from_utf8(m.submit_done(0, Ok(())).bytes).unwrap(),
            "\r\n+CMGS: 0\r\n\r\nOK\r\n"
        );
    }

    #[test]
    fn commands_typed_during_a_send_are_answered_after_the_cmgs_result() {
        let mut m = modem();
        say(&mut m, "AT+CMEE=1\r");
        let p = smsgate_pdu::encode_submit("+447700900301", "hi", &Default::default())
            .unwrap()
            .remove(0);
        say(&mut m, &format!("AT+CMGS={}\r", p.tpdu_len));
        m.feed(format!("{}\x1aAT+CSQ\r", p.hex()).as_bytes());
        let out = String::from_utf8(m.submit_done(0, Err(42)).bytes).unwrap();
        assert_eq!(out, "\r\n+CMS ERROR: 42\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    }

    #[test]
    fn a_lost_answer_says_nothing_of_the_send_and_leaves_the_modem_answering() {
        let mut m = modem();
        let p = smsgate_pdu::encode_submit("+447700900302", "hi", &Default::default())
            .unwrap()
            .remove(0);
        say(&mut m, &format!("AT+CMGS={}\r", p.tpdu_len));
        m.feed(format!("{}\x1aAT+CSQ\r", p.hex()).as_bytes());
        let out = String::from_utf8(m.submit_answer_lost().bytes).unwrap();
        assert_eq!(out, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n", "no +CMGS, no OK");
        assert_eq!(say(&mut m, "AT\r"), "\r\nOK\r\n");
    }

    #[test]
    fn urcs_wait_while_the_prompt_is_open_and_follow_the_final_result() {
        let mut m = modem();
        say(&mut m, "AT+CREG=1\r");
        say(&mut m, "AT+CMGS=10\r");
        assert!(m.set_registration(Registration::Roaming).bytes.is_empty());
        assert_eq!(say(&mut m, "\x1b"), "\r\nOK\r\n\r\n+CREG: 5\r\n");
    }

    #[test]
    fn hex_and_ucs2_charsets_change_how_text_fields_look() {
        let mut m = modem();
        say(&mut m, "AT+CSCS=\"HEX\"\r");
        // "+15559999999" in GSM codes, hex.
        assert_eq!(
            say(&mut m, "AT+CSCA?\r"),
            "\r\n+CSCA: \"2B3135353539393939393939\",145\r\n\r\nOK\r\n"
        );
        say(&mut m, "AT+CSCS=\"UCS2\"\r");
        assert!(say(&mut m, "AT+CSCA?\r").contains("\"002B0031"));
    }

    #[test]
    fn huawei_ussd_strings_are_packed_gsm7_hex_both_ways() {
        assert_eq!(pack_ussd("*100#"), "AA180C3602");
        assert_eq!(unpack_ussd("AA180C3602").as_deref(), Some("*100#"));
        for text in ["1234567", "12345678", "Your balance is 10.00 USD"] {
            assert_eq!(
                unpack_ussd(&pack_ussd(text)).as_deref(),
                Some(text),
                "{text}"
            );
        }
    }

    fn deliver(text: &str) -> Vec<u8> {
        let opts = smsgate_pdu::DeliverOptions {
            smsc: None,
            timestamp: chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05+01:00").unwrap(),
            concat_ref: 1,
            concat_16bit: false,
            encoding: None,
            status_report_indication: false,
            national_language: None,
        };
        smsgate_pdu::encode_deliver("+33612345678", text, &opts)
            .unwrap()
            .remove(0)
            .bytes
    }

    fn report(mr: u8) -> Vec<u8> {
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05+01:00").unwrap();
        smsgate_pdu::encode_status_report(&smsgate_pdu::StatusReportOptions {
            smsc: None,
            message_ref: mr,
            recipient: "+447700900300".into(),
            sc_timestamp: t,
            discharge_time: t,
            status: 0,
        })
        .unwrap()
        .bytes
    }

    #[test]
    fn a_full_storage_keeps_inbound_pending_until_a_delete() {
        let mut m = modem();
        say(&mut m, "AT+CNMI=2,1,0,0,0\r");
        let free = m.free_slots(None).unwrap();
        assert_eq!(free, 30);
        let fill = (0..free).map(|i| deliver(&format!("old {i}"))).collect();
        assert_eq!(m.fill_storage(None, fill), 30);
        assert_eq!(m.free_slots(None), Some(0));
        assert!(say(&mut m, "AT+CPMS?\r").contains("\"SM\",30,30"));
        assert!(m.receive(deliver("x")).bytes.is_empty());
        assert_eq!(m.status().pending_inbound, 1);
        // Deleting one stored message frees a slot: the waiting one comes in there.
        assert_eq!(
            say(&mut m, "AT+CMGD=7\r"),
            "\r\n+CMTI: \"SM\",7\r\n\r\nOK\r\n"
        );
        assert_eq!(m.status().pending_inbound, 0);
    }

    #[test]
    fn lifting_the_storage_fault_removes_only_the_filler() {
        let mut m = modem();
        say(&mut m, "AT+CNMI=2,1,0,0,0\r");
        m.receive(deliver("mine"));
        let free = m.free_slots(None).unwrap();
        m.fill_storage(None, (0..free).map(|_| deliver("old")).collect());
        m.receive(deliver("waits"));
        assert_eq!(
            String::from_utf8(m.clear_filler().bytes).unwrap(),
            "\r\n+CMTI: \"SM\",2\r\n"
        );
        assert_eq!(m.status().stored[0], 2);
    }

    #[test]
    fn a_generic_modem_without_error_codes_answers_plain_error_for_sms_failures() {
        let mut m = modem();
        assert_eq!(say(&mut m, "AT+CMGR=99\r"), "\r\nERROR\r\n");
        say(&mut m, "AT+CMEE=1\r");
        assert_eq!(say(&mut m, "AT+CMGR=99\r"), "\r\n+CMS ERROR: 321\r\n");
    }

    #[test]
    fn a_silent_reboot_says_nothing_and_brings_the_defaults_back() {
        let mut m = modem();
        for c in ["ATE0", "AT+CMEE=1", "AT+CNMI=2,1,0,2,0", "AT+CREG=2"] {
            say(&mut m, &format!("{c}\r"));
        }
        m.power_off();
        assert!(
            m.boot().bytes.is_empty(),
            "the generic profile has no boot line"
        );
        assert_eq!(
            say(&mut m, "AT+CMEE?\r"),
            "AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n"
        );
        assert!(say(&mut m, "AT+CNMI?\r").contains("+CNMI: 0,0,0,0,0"));
        assert!(say(&mut m, "AT+CREG?\r").contains("+CREG: 0,1"));
    }

    #[test]
    fn status_reports_go_where_cnmi_ds_says_and_ds_0_keeps_them_in_sr() {
        let mut m = modem();
        say(&mut m, "AT+CNMI=2,1,0,1,0\r");
        assert!(
            String::from_utf8(m.receive_status_report(report(1)).bytes)
                .unwrap()
                .starts_with("\r\n+CDS: ")
        );
        say(&mut m, "AT+CNMI=2,1,0,2,0\r");
        assert_eq!(
            String::from_utf8(m.receive_status_report(report(2)).bytes).unwrap(),
            "\r\n+CDSI: \"SR\",1\r\n"
        );
        say(&mut m, "AT+CNMI=2,1,0,0,0\r");
        assert!(m.receive_status_report(report(3)).bytes.is_empty());
        assert_eq!(m.status().stored[2], 2, "both stored reports wait in SR");
        say(&mut m, "AT+CPMS=\"SR\"\r");
        assert_eq!(say(&mut m, "AT+CMGL=4\r").matches("+CMGL:").count(), 2);
    }

    #[test]
    fn a_report_for_a_modem_that_is_off_waits_at_the_network_and_lands_in_sr_after_boot() {
        let mut m = modem();
        say(&mut m, "AT+CNMI=2,1,0,1,0\r");
        m.power_off();
        assert!(m.receive_status_report(report(9)).bytes.is_empty());
        assert_eq!(m.status().pending_reports, 1);
        // Booted with its defaults (<ds> 0): stored in SR, no indication.
        assert!(m.boot().bytes.is_empty());
        assert_eq!(m.status().pending_reports, 0);
        assert_eq!(m.status().stored[2], 1);
    }
}
