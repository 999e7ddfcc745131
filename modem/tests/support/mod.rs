//! A fake modem over `tokio::io::duplex` for engine + Modem tests.
//!
//! It replays a recorded python-gsmmodem profile (`modem_profiles.json`: exact `AT…\r` → lines
//! map, a default answer, SIM-busy commands, the PIN-required error) and adds what a recording
//! cannot hold, as a modem would do it: echo until `ATE0`, a SIM PIN lock, the `> ` prompt of
//! `AT+CMGS` with PDU/text capture until Ctrl-Z (ESC cancels), modem-assigned message references,
//! stored messages for `AT+CMGR`/`AT+CMGL`/`AT+CMGD`, `AT+CSCA`, `AT+CREG?` sequences, USSD
//! answers as URCs, and URCs injected by the test at any time.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use smsgate_at::{Engine, EngineConfig};
use smsgate_modem::{Modem, Profile};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

/// Path of a shared test data file.
pub fn shared(path: &str) -> std::path::PathBuf {
    let base = std::env::var("SMSGATE_SHARED").unwrap_or_else(|_| env!("SMSGATE_SHARED").into());
    std::path::PathBuf::from(base).join("testdata").join(path)
}

/// One recorded profile from python-gsmmodem's `modem_profiles.json`.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub responses: HashMap<String, Vec<String>>,
    pub default_response: Vec<String>,
    pub commands_sim_busy: Vec<String>,
    pub pin_required_error: Vec<String>,
}

/// Every profile name in the JSON.
pub fn recorded_names() -> Vec<String> {
    let v = read_json();
    let mut names: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

fn read_json() -> serde_json::Value {
    let path = shared("python-gsmmodem/modem_profiles.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Load one recorded profile by name (keys keep their `\r`-less command text).
pub fn recorded(name: &str) -> Recorded {
    let v = read_json();
    let p = &v[name];
    assert!(p.is_object(), "no profile {name}");
    let responses = p["responses"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.trim_end_matches('\r').to_owned(), strings(v)))
        .collect();
    Recorded {
        responses,
        default_response: strings(&p["default_response"]),
        commands_sim_busy: strings(&p["commands_sim_busy"])
            .into_iter()
            .map(|c| c.trim_end_matches('\r').to_owned())
            .collect(),
        pin_required_error: strings(&p["pin_required_error"]),
    }
}

/// Behaviour of the fake beyond the recording.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub recorded: Recorded,
    /// Exact command → answer lines, checked before anything else.
    pub overrides: HashMap<String, Vec<String>>,
    /// Echo commands until `ATE0`.
    pub echo: bool,
    /// The SIM is locked with this PIN until `AT+CPIN="<pin>"`.
    pub pin: Option<String>,
    /// `AT+CMGF=0` is refused (text-mode-only modem).
    pub no_pdu_mode: bool,
    /// Stored messages: index → (stat, PDU hex).
    pub stored: BTreeMap<u32, (u8, String)>,
    /// First message reference handed out by `+CMGS`.
    pub first_mr: u8,
    /// The n-th send (1-based) answers this line instead of `+CMGS`/`OK`.
    pub send_errors: HashMap<usize, String>,
    /// The n-th send (1-based) never answers after Ctrl-Z.
    pub send_silent: Vec<usize>,
    /// Answers to `AT+CREG?`, one per query; the last one repeats.
    pub creg: VecDeque<String>,
    /// URCs written right after the answer to the first command starting with the key.
    pub urcs_after: Vec<(String, Vec<String>)>,
    /// The `+CUSD` URC sent after `AT+CUSD=1,…` is answered `OK`.
    pub ussd_reply: Option<String>,
    /// SMSC returned by `AT+CSCA?`.
    pub smsc: String,
}

impl FakeConfig {
    pub fn new(recorded: Recorded) -> FakeConfig {
        FakeConfig {
            recorded,
            overrides: HashMap::new(),
            echo: true,
            pin: None,
            no_pdu_mode: false,
            stored: BTreeMap::new(),
            first_mr: 16,
            send_errors: HashMap::new(),
            send_silent: Vec::new(),
            creg: VecDeque::from(["+CREG: 0,1".to_owned()]),
            urcs_after: Vec::new(),
            ussd_reply: None,
            smsc: "+31624000000".into(),
        }
    }

    /// A fake that answers `OK` to anything it does not emulate.
    pub fn generic() -> FakeConfig {
        let cpms = r#"+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")"#;
        FakeConfig::new(Recorded {
            responses: [(
                "AT+CPMS=?".to_owned(),
                vec![cpms.to_owned(), "OK".to_owned()],
            )]
            .into(),
            default_response: vec!["OK\r\n".into()],
            pin_required_error: vec!["+CME ERROR: 11\r\n".into()],
            ..Recorded::default()
        })
    }
}

/// What the test sees of the fake.
#[derive(Debug, Clone)]
pub struct FakeHandle {
    /// Every command line received, in order (without CR).
    pub log: Arc<Mutex<Vec<String>>>,
    /// Every prompt payload received (PDU hex or text), in order.
    pub payloads: Arc<Mutex<Vec<Vec<u8>>>>,
    urcs: mpsc::UnboundedSender<String>,
}

impl FakeHandle {
    /// Commands received so far.
    pub fn commands(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Payloads (after `> `) received so far, as text.
    pub fn payload_texts(&self) -> Vec<String> {
        self.payloads
            .lock()
            .unwrap()
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    }

    /// Write a URC now (may be a two-line URC: `"+CDS: 25\r\n0791…"`).
    pub fn urc(&self, line: &str) {
        let _ = self.urcs.send(line.to_owned());
    }
}

struct Fake {
    cfg: FakeConfig,
    echo: bool,
    unlocked: bool,
    sends: usize,
    next_mr: u8,
    busy_done: Vec<String>,
    handle: FakeHandle,
    pdu_mode: bool,
}

fn wire(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(l.trim_end_matches(['\r', '\n']).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn ok() -> Vec<String> {
    vec!["OK".into()]
}

impl Fake {
    /// Answer one command line; `Some(true)` = enter the prompt.
    fn answer(&mut self, cmd: &str) -> (Vec<u8>, bool) {
        self.handle.log.lock().unwrap().push(cmd.to_owned());
        let mut out = Vec::new();
        if self.echo {
            out.extend_from_slice(cmd.as_bytes());
            out.push(b'\r');
        }
        let upper = cmd.to_ascii_uppercase();
        if upper == "ATE0" {
            self.echo = false;
        }
        let (lines, prompt) = self.lines_for(cmd, &upper);
        out.extend_from_slice(&wire(&lines));
        if prompt {
            out.extend_from_slice(b"\r\n> ");
        }
        if let Some(pos) = self
            .cfg
            .urcs_after
            .iter()
            .position(|(k, _)| upper.starts_with(&k.to_ascii_uppercase()))
        {
            let (_, urcs) = self.cfg.urcs_after.remove(pos);
            out.extend_from_slice(&wire(&urcs));
        }
        (out, prompt)
    }

    fn lines_for(&mut self, cmd: &str, upper: &str) -> (Vec<String>, bool) {
        if let Some(l) = self.cfg.overrides.get(cmd) {
            return (l.clone(), false);
        }
        let always_allowed = [
            "AT", "ATE0", "ATE1", "ATZ", "AT+CMEE", "AT+CPIN", "AT+CGMI", "AT+CGMM", "AT+CGMR",
            "AT+CGSN",
        ];
        if self.cfg.pin.is_some()
            && !self.unlocked
            && !always_allowed.iter().any(|p| {
                upper == *p
                    || upper.starts_with(&format!("{p}="))
                    || upper.starts_with(&format!("{p}?"))
                    || (*p != "AT" && upper.starts_with(p))
            })
        {
            return (self.cfg.recorded.pin_required_error.clone(), false);
        }
        if self.cfg.recorded.commands_sim_busy.iter().any(|c| c == cmd)
            && !self.busy_done.iter().any(|c| c == cmd)
        {
            self.busy_done.push(cmd.to_owned());
            return (vec!["+CME ERROR: 14".into()], false);
        }
        // SIM lock and PIN entry.
        if upper == "AT+CPIN?" && self.cfg.pin.is_some() && !self.unlocked {
            return (vec!["+CPIN: SIM PIN".into(), "OK".into()], false);
        }
        if let Some(rest) = upper.strip_prefix("AT+CPIN=") {
            let given = rest.split(',').next().unwrap_or_default().trim_matches('"');
            return match &self.cfg.pin {
                Some(pin) if pin == given => {
                    self.unlocked = true;
                    (ok(), false)
                }
                Some(_) => (vec!["+CME ERROR: 16".into()], false),
                None => (vec!["+CME ERROR: 3".into()], false),
            };
        }
        if upper == "AT+CMGF=0" && self.cfg.no_pdu_mode {
            return (vec!["ERROR".into()], false);
        }
        if let Some(l) = self.cfg.recorded.responses.get(cmd) {
            return (l.clone(), false);
        }
        if upper == "AT+CMGF=0" {
            self.pdu_mode = true;
        }
        if upper == "AT+CMGF=1" {
            self.pdu_mode = false;
        }
        if upper == "AT+CPIN?" {
            return (vec!["+CPIN: READY".into(), "OK".into()], false);
        }
        if upper.starts_with("AT+CMGS=") {
            return (Vec::new(), true);
        }
        if upper == "AT+CSCA?" {
            return (
                vec![format!("+CSCA: \"{}\",145", self.cfg.smsc), "OK".into()],
                false,
            );
        }
        if let Some(rest) = cmd.strip_prefix("AT+CSCA=") {
            self.cfg.smsc = rest
                .split(',')
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned();
            return (ok(), false);
        }
        if upper == "AT+CREG?" {
            let line = if self.cfg.creg.len() > 1 {
                self.cfg.creg.pop_front().unwrap_or_default()
            } else {
                self.cfg.creg.front().cloned().unwrap_or_default()
            };
            return (vec![line, "OK".into()], false);
        }
        if upper == "AT+CSQ" {
            return (vec!["+CSQ: 17,99".into(), "OK".into()], false);
        }
        if upper.starts_with("AT+CUSD=1") {
            let mut l = ok();
            if let Some(reply) = &self.cfg.ussd_reply {
                l.push(reply.clone());
            }
            return (l, false);
        }
        if let Some(i) = upper
            .strip_prefix("AT+CMGR=")
            .and_then(|i| i.parse::<u32>().ok())
        {
            return match self.cfg.stored.get_mut(&i) {
                Some((stat, pdu)) => {
                    let l = vec![
                        format!("+CMGR: {stat},,{}", (pdu.len() / 2).saturating_sub(8)),
                        pdu.clone(),
                        "OK".into(),
                    ];
                    if *stat == 0 {
                        *stat = 1;
                    }
                    (l, false)
                }
                None => (ok(), false),
            };
        }
        if let Some(f) = upper
            .strip_prefix("AT+CMGL=")
            .and_then(|i| i.parse::<u8>().ok())
        {
            let mut l = Vec::new();
            for (i, (stat, pdu)) in &self.cfg.stored {
                if f == 4 || *stat == f {
                    l.push(format!(
                        "+CMGL: {i},{stat},,{}",
                        (pdu.len() / 2).saturating_sub(8)
                    ));
                    l.push(pdu.clone());
                }
            }
            l.push("OK".into());
            return (l, false);
        }
        if let Some(i) = upper
            .strip_prefix("AT+CMGD=")
            .and_then(|i| i.split(',').next()?.parse::<u32>().ok())
        {
            self.cfg.stored.remove(&i);
            return (ok(), false);
        }
        (self.cfg.recorded.default_response.clone(), false)
    }

    /// The payload after the prompt ended with Ctrl-Z (`cancelled` = ESC).
    fn payload_done(&mut self, payload: Vec<u8>, cancelled: bool) -> Vec<u8> {
        if cancelled {
            return wire(&ok());
        }
        self.handle.payloads.lock().unwrap().push(payload);
        self.sends += 1;
        if self.cfg.send_silent.contains(&self.sends) {
            return Vec::new();
        }
        if let Some(err) = self.cfg.send_errors.get(&self.sends) {
            return wire(std::slice::from_ref(err));
        }
        let mr = self.next_mr;
        self.next_mr = self.next_mr.wrapping_add(1);
        wire(&[format!("+CMGS: {mr}"), "OK".into()])
    }
}

/// Start the fake; returns the modem side of the duplex for the engine.
pub fn spawn_fake(cfg: FakeConfig) -> (DuplexStream, FakeHandle) {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let handle = FakeHandle {
        log: Arc::new(Mutex::new(Vec::new())),
        payloads: Arc::new(Mutex::new(Vec::new())),
        urcs: tx,
    };
    let mut fake = Fake {
        echo: cfg.echo,
        next_mr: cfg.first_mr,
        cfg,
        unlocked: false,
        sends: 0,
        busy_done: Vec::new(),
        handle: handle.clone(),
        pdu_mode: true,
    };
    tokio::spawn(async move {
        let mut io = theirs;
        let mut buf = [0u8; 4096];
        let mut line: Vec<u8> = Vec::new();
        let mut prompt: Option<Vec<u8>> = None;
        loop {
            tokio::select! {
                n = io.read(&mut buf) => {
                    let n = match n { Ok(0) | Err(_) => return, Ok(n) => n };
                    for &b in &buf[..n] {
                        if let Some(p) = &mut prompt {
                            match b {
                                0x1A | 0x1B => {
                                    let payload = std::mem::take(p);
                                    prompt = None;
                                    let out = fake.payload_done(payload, b == 0x1B);
                                    if io.write_all(&out).await.is_err() { return; }
                                }
                                _ => p.push(b),
                            }
                            continue;
                        }
                        match b {
                            b'\r' => {
                                let cmd = String::from_utf8_lossy(&line).trim().to_owned();
                                line.clear();
                                if cmd.is_empty() { continue; }
                                let (out, enter) = fake.answer(&cmd);
                                if enter { prompt = Some(Vec::new()); }
                                if io.write_all(&out).await.is_err() { return; }
                            }
                            b'\n' => {}
                            _ => line.push(b),
                        }
                    }
                }
                u = rx.recv() => {
                    let Some(u) = u else { continue };
                    let mut out = Vec::new();
                    for l in u.split("\r\n") {
                        out.extend_from_slice(b"\r\n");
                        out.extend_from_slice(l.as_bytes());
                    }
                    out.extend_from_slice(b"\r\n");
                    if io.write_all(&out).await.is_err() { return; }
                }
            }
        }
    });
    (ours, handle)
}

/// Engine + Modem (with `profile`) over a fresh fake.
pub fn modem_with(cfg: FakeConfig, profile: Profile) -> (Modem, FakeHandle) {
    let (io, handle) = spawn_fake(cfg);
    let (at, urcs) = Engine::spawn(
        io,
        EngineConfig {
            label: "fake".into(),
            ..Default::default()
        },
    );
    (Modem::new(at, urcs, profile), handle)
}

/// Engine over a fresh fake, for `Modem::probe`.
pub fn engine_with(
    cfg: FakeConfig,
) -> (
    smsgate_at::EngineHandle,
    smsgate_at::UrcReceiver,
    FakeHandle,
) {
    let (io, handle) = spawn_fake(cfg);
    let (at, urcs) = Engine::spawn(
        io,
        EngineConfig {
            label: "fake".into(),
            ..Default::default()
        },
    );
    (at, urcs, handle)
}
