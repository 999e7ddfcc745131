//! The edge gateway's configuration (`gateway.toml`).
//!
//! Sections: `[storage]`, `[api]`, `[[ports]]` (serial or Dinstar TCP AT-mode modems),
//! `[[dinstar_http]]` (Dinstar gateways driven over their HTTP API), `[[groups]]` (port groups
//! with strategy, pacing, per-SIM caps, sending hours), `[inbound]`, `[ussd]`, `[supervision]`.
//! Port ids are one namespace shared by `[[ports]]` and `[[dinstar_http]]`.

use crate::error::Violations;
use crate::ports_spec::PortSpec;
use crate::template::{self, KeyDoc, TemplateError, doc, doc_example};
use crate::{ConfigError, Validate};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The whole gateway configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// `[storage]`
    pub storage: StorageConfig,
    /// `[api]`
    pub api: ApiConfig,
    /// `[inbound]`
    pub inbound: InboundConfig,
    /// `[ussd]`
    pub ussd: UssdConfig,
    /// `[supervision]`
    pub supervision: SupervisionConfig,
    /// `[[ports]]`
    pub ports: Vec<PortConfig>,
    /// `[[dinstar_http]]`
    pub dinstar_http: Vec<DinstarHttpConfig>,
    /// `[[groups]]`
    pub groups: Vec<GroupConfig>,
    /// `[cloud]`
    pub cloud: CloudConfig,
    /// `[legacy]`: the seed's `SendSMS` without the bearer header (off by default).
    pub legacy: crate::legacy::LegacyConfig,
    /// `[power]`: modem power control (off by default).
    pub power: PowerConfig,
}

/// `[power]`: how the gateway cuts and restores a modem's power (a hung modem, or a power cycle
/// asked from the box UI or the API). Off by default: a port then answers that it has none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PowerConfig {
    /// The control API of `smsgate sim` (`http://127.0.0.1:PORT`): it cuts and restores the
    /// simulated modems' power, port `N` being its modem `N` (test benches and the demo only).
    /// Absent: no power control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulator_control: Option<String>,
}

impl Validate for PowerConfig {
    fn validate(&self, v: &mut Violations) {
        if let Some(url) = &self.simulator_control
            && !url
                .strip_prefix("http://")
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
        {
            v.push(
                "power.simulator_control",
                format!("{url:?} is not an http:// URL (like http://127.0.0.1:8900)"),
            );
        }
    }
}

/// `[storage]`: where the SQLite spool lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Spool database file (created if missing).
    pub path: PathBuf,
    /// Days a finished message (delivered, failed, expired, blocked, no report) and a delivery
    /// report are kept before the background retention deletes them (1–3650).
    pub retention_days: u32,
}

/// Default of `[storage] retention_days`.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// Largest `[storage] retention_days` (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("/var/lib/smsgate/spool.sqlite"),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

/// `[api]`: the local HTTP API.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Bearer token; without one the local API is not started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Most lines of one bulk upload (dialer or do-not-contact file).
    pub bulk_max_lines: u64,
    /// Most bytes of one bulk upload.
    pub bulk_max_bytes: u64,
}

impl fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiConfig")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("bulk_max_lines", &self.bulk_max_lines)
            .field("bulk_max_bytes", &self.bulk_max_bytes)
            .finish()
    }
}

/// Default `api.bulk_max_lines`.
pub const DEFAULT_BULK_MAX_LINES: u64 = 500_000;
/// Default `api.bulk_max_bytes` (64 MiB).
pub const DEFAULT_BULK_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Shortest accepted API token.
pub const MIN_TOKEN_LEN: usize = 16;

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            bulk_max_lines: DEFAULT_BULK_MAX_LINES,
            bulk_max_bytes: DEFAULT_BULK_MAX_BYTES,
        }
    }
}

/// How a port's modem is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Device {
    /// A serial device path (`/dev/ttyUSB0`).
    Serial(PathBuf),
    /// A Dinstar gateway in TCP AT mode (`tcp://192.168.1.10:56011`).
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
    },
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Serial(p) => write!(f, "{}", p.display()),
            Device::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
        }
    }
}

impl From<Device> for String {
    fn from(d: Device) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Device {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if let Some(rest) = s.strip_prefix("tcp://") {
            let (host, port) = rest
                .rsplit_once(':')
                .ok_or_else(|| format!("device {s:?} needs a port: tcp://host:port"))?;
            if host.is_empty() {
                return Err(format!("device {s:?} has no host: tcp://host:port"));
            }
            let port: u16 = port
                .parse()
                .map_err(|_| format!("device {s:?} has an invalid TCP port {port:?}"))?;
            if port == 0 {
                return Err(format!("device {s:?} has TCP port 0"));
            }
            Ok(Device::Tcp {
                host: host.to_string(),
                port,
            })
        } else if s.contains("://") {
            Err(format!(
                "device {s:?}: only serial paths and tcp://host:port are supported"
            ))
        } else if s.starts_with('/') {
            Ok(Device::Serial(PathBuf::from(s)))
        } else {
            Err(format!(
                "device {s:?} must be an absolute serial path (/dev/ttyUSB0) or tcp://host:port"
            ))
        }
    }
}

/// Serial flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowControl {
    /// No flow control.
    #[default]
    None,
    /// RTS/CTS.
    Hardware,
    /// XON/XOFF.
    Software,
}

/// Modem vendor profile (quirks table in smsgate-modem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vendor {
    /// Plain 3GPP 27.005/27.007.
    #[default]
    Generic,
    /// Huawei dongles.
    Huawei,
    /// ZTE dongles.
    Zte,
    /// Quectel modules.
    Quectel,
    /// SIMCom modules.
    Simcom,
    /// Sierra Wireless.
    Sierra,
    /// Wavecom / Sierra Wavecom.
    Wavecom,
    /// Dinstar gateway ports.
    Dinstar,
}

/// `[[ports]]`: one modem. Its `Debug` leaves out the PIN and the Dinstar password.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortConfig {
    /// 0-based port number, unique across `[[ports]]` and `[[dinstar_http]]`.
    pub id: u16,
    /// Serial path or `tcp://host:port`.
    pub device: Device,
    /// Dinstar AT-mode password (TCP devices only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Dinstar module (channel) number (TCP devices only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<u16>,
    /// Serial speed.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Serial flow control.
    #[serde(default)]
    pub flow_control: FlowControl,
    /// Vendor profile.
    #[serde(default)]
    pub profile: Vendor,
    /// SIM PIN, entered when the SIM asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// SMS centre number overriding the SIM's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smsc: Option<String>,
    /// Use SMS text mode (`AT+CMGF=1`) even when the modem offers PDU mode.
    #[serde(default)]
    pub text_mode: bool,
}

impl fmt::Debug for PortConfig {
    // The SIM PIN and the Dinstar AT password stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortConfig")
            .field("id", &self.id)
            .field("device", &self.device)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("module", &self.module)
            .field("baud", &self.baud)
            .field("flow_control", &self.flow_control)
            .field("profile", &self.profile)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("smsc", &self.smsc)
            .field("text_mode", &self.text_mode)
            .finish()
    }
}

fn default_baud() -> u32 {
    115_200
}

/// Serial speeds accepted for `baud`.
pub const BAUD_RATES: &[u32] = &[
    1200, 2400, 4800, 9600, 19200, 38400, 57600, 115_200, 230_400, 460_800, 921_600,
];

impl PortConfig {
    /// A port with the defaults for everything but `id` and `device`.
    pub fn new(id: u16, device: Device) -> Self {
        Self {
            id,
            device,
            password: None,
            module: None,
            baud: default_baud(),
            flow_control: FlowControl::default(),
            profile: Vendor::default(),
            pin: None,
            smsc: None,
            text_mode: false,
        }
    }
}

/// Highest port number of a Dinstar gateway (its HTTP API numbers ports 0–31).
pub const DINSTAR_MAX_PORT: u16 = 31;

/// `[[dinstar_http]]`: a Dinstar gateway driven through its HTTP API; each of its ports becomes
/// a gateway port with id `first_id + dinstar port`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DinstarHttpConfig {
    /// Base URL (`http://192.168.1.10`).
    pub url: String,
    /// API user.
    pub user: String,
    /// API password.
    pub password: String,
    /// The Dinstar's own port numbers to use (dial-string style).
    pub ports: PortSpec,
    /// Gateway port id of the Dinstar's port 0.
    #[serde(default)]
    pub first_id: u16,
    /// The device's time zone (its time stamps carry none).
    #[serde(default)]
    pub timezone: TimeZone,
    /// Milliseconds between two polls of the device's inbound SMS and delivery reports (one
    /// query each for all its ports); 0 = no polling, the device pushes (`push_token`).
    #[serde(default = "default_dinstar_poll_ms")]
    pub poll_interval_ms: u64,
    /// The device's serial number (`sn`); pushes carrying another one are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sn: Option<String>,
    /// Address the gateway listens on for this device's pushes (with `push_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_listen: Option<SocketAddr>,
    /// Secret of the push URL `http://<box>:<port>/dinstar/push/<push_token>` (at least 16
    /// characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_token: Option<String>,
}

/// Default `dinstar_http[].poll_interval_ms`.
pub const DEFAULT_DINSTAR_POLL_MS: u64 = 5_000;

fn default_dinstar_poll_ms() -> u64 {
    DEFAULT_DINSTAR_POLL_MS
}

impl fmt::Debug for DinstarHttpConfig {
    // The password and the push token stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DinstarHttpConfig")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("ports", &self.ports)
            .field("first_id", &self.first_id)
            .field("timezone", &self.timezone)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field("sn", &self.sn)
            .field("push_listen", &self.push_listen)
            .field(
                "push_token",
                &self.push_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl DinstarHttpConfig {
    /// A device at `url` with the defaults for the optional keys.
    pub fn new(url: &str, user: &str, password: &str, ports: PortSpec, first_id: u16) -> Self {
        Self {
            url: url.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            ports,
            first_id,
            timezone: TimeZone::default(),
            poll_interval_ms: DEFAULT_DINSTAR_POLL_MS,
            sn: None,
            push_listen: None,
            push_token: None,
        }
    }

    /// The gateway-wide ids this source provides, paired with the Dinstar's port numbers.
    pub fn gateway_ids(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.ports
            .ports()
            .iter()
            .map(|p| (self.first_id.saturating_add(*p), *p))
    }
}

/// How a group chooses a port for each message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Ports in the group's order, one after the other.
    #[default]
    RoundRobin,
    /// The port with the fewest sends in the current day window.
    LeastUsed,
    /// The same recipient keeps the same SIM (falls back when that port is unavailable).
    Sticky,
}

/// `sending_hours = "08:00-20:00"`: the local time window in which messages may be sent; a
/// window whose end is before its start spans midnight (`"22:00-06:00"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SendingHours {
    /// Opening time (inclusive).
    pub start: NaiveTime,
    /// Closing time (exclusive).
    pub end: NaiveTime,
}

impl fmt::Display for SendingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl From<SendingHours> for String {
    fn from(h: SendingHours) -> String {
        h.to_string()
    }
}

impl TryFrom<String> for SendingHours {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("sending hours {s:?} must look like \"08:00-20:00\""))?;
        let parse = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| format!("sending hours {s:?}: {:?} is not a HH:MM time", t.trim()))
        };
        let (start, end) = (parse(a)?, parse(b)?);
        if start == end {
            return Err(format!(
                "sending hours {s:?} open and close at the same time; leave the key out to send at any hour"
            ));
        }
        Ok(SendingHours { start, end })
    }
}

/// An IANA time zone name (`America/New_York`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(pub chrono_tz::Tz);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::Tz::UTC)
    }
}

impl From<TimeZone> for String {
    fn from(t: TimeZone) -> String {
        t.0.name().to_string()
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            format!("unknown time zone {s:?} (use an IANA name like \"America/New_York\")")
        })
    }
}

/// `[[groups]]`: a set of ports messages are sent through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// Group name used by the API (`group` field) and campaigns.
    pub name: String,
    /// Ports in dial-string style (`"0-3"`, `"(0.3)"`, `"0,2,5"`).
    pub ports: PortSpec,
    /// Port selection strategy.
    #[serde(default)]
    pub strategy: Strategy,
    /// Minimum milliseconds between two SMS submissions on a port (each part of a multipart
    /// message is one): from the end of one to the start of the next. A port in several groups
    /// paces with the largest `interval_ms` (and `jitter_ms`) of those groups.
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    /// Random extra delay added to each interval, 0..=jitter_ms.
    #[serde(default)]
    pub jitter_ms: u64,
    /// Per-SIM cap per clock hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_hour: Option<u32>,
    /// Per-SIM cap per day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_day: Option<u32>,
    /// Per-SIM cap per calendar month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_month: Option<u32>,
    /// Local hours in which sending is allowed (messages wait outside them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_hours: Option<SendingHours>,
    /// Time zone of `sending_hours` and of the day/month cap windows.
    #[serde(default)]
    pub timezone: TimeZone,
}

fn default_interval_ms() -> u64 {
    1000
}

impl GroupConfig {
    /// A group with the defaults for everything but `name` and `ports`.
    pub fn new(name: impl Into<String>, ports: PortSpec) -> Self {
        Self {
            name: name.into(),
            ports,
            strategy: Strategy::default(),
            interval_ms: default_interval_ms(),
            jitter_ms: 0,
            max_per_hour: None,
            max_per_day: None,
            max_per_month: None,
            sending_hours: None,
            timezone: TimeZone::default(),
        }
    }
}

/// `[inbound]`: receiving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundConfig {
    /// Period of the storage sweep that catches messages whose URC was missed.
    pub sweep_interval_ms: u64,
    /// How long parts of a multipart message wait for the rest before being stored as they are.
    pub reassembly_timeout_s: u64,
    /// Report window: a sent message with no delivery report after this many minutes becomes
    /// `no_report` (a late report still settles it).
    pub report_window_min: u64,
}

impl Default for InboundConfig {
    fn default() -> Self {
        Self {
            sweep_interval_ms: 60_000,
            reassembly_timeout_s: 3_600,
            report_window_min: 72 * 60,
        }
    }
}

/// `[ussd]`: balance checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UssdConfig {
    /// USSD code that returns the SIM balance (`*100#`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_code: Option<String>,
    /// Minutes between scheduled balance checks per port; 0 = only on demand.
    pub balance_interval_min: u64,
    /// How long to wait for the network's USSD answer.
    pub timeout_ms: u64,
}

impl Default for UssdConfig {
    fn default() -> Self {
        Self {
            balance_code: None,
            balance_interval_min: 0,
            timeout_ms: 30_000,
        }
    }
}

/// `[supervision]`: timeouts and recovery of ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisionConfig {
    /// Timeout of an ordinary AT command.
    pub command_timeout_ms: u64,
    /// Timeout of one SMS submission (network round trip included).
    pub send_timeout_ms: u64,
    /// Period of the registration/signal poll.
    pub poll_interval_ms: u64,
    /// Consecutive failures after which a port is benched.
    pub failures_before_bench: u32,
    /// First bench duration; doubles on each further failure.
    pub bench_backoff_ms: u64,
    /// Longest bench duration.
    pub bench_backoff_max_ms: u64,
    /// Soft resets tried on a hung modem before it is power-cycled.
    pub resets_before_power_cycle: u32,
    /// Period of the health check of an idle port (settings read back, storage usage); 0 = off.
    pub check_interval_ms: u64,
    /// Timeout of the health check's commands and of the bare `AT` that decides a modem is hung.
    pub probe_timeout_ms: u64,
    /// Wait for the `>` prompt of a send (no network involved: a healthy modem answers at once).
    pub prompt_timeout_ms: u64,
    /// First bench after a transient failure (network refusal, no answer); doubles while it repeats.
    pub transient_bench_ms: u64,
    /// Longest bench after transient failures.
    pub transient_bench_max_ms: u64,
}

impl Default for SupervisionConfig {
    fn default() -> Self {
        Self {
            command_timeout_ms: 10_000,
            send_timeout_ms: 60_000,
            poll_interval_ms: 30_000,
            failures_before_bench: 3,
            bench_backoff_ms: 30_000,
            bench_backoff_max_ms: 600_000,
            resets_before_power_cycle: 2,
            check_interval_ms: 5_000,
            probe_timeout_ms: 2_000,
            prompt_timeout_ms: 5_000,
            transient_bench_ms: 2_000,
            transient_bench_max_ms: 16_000,
        }
    }
}

/// `[cloud]`: the MQTT link to the hub (off while `url` is absent). Its `Debug` leaves out the
/// password.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudConfig {
    /// Hub broker URL (`mqtt://host:1883` or `mqtts://host:8883`); without it there is no link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Gateway id given by the hub when the gateway was registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
    /// MQTT username (defaults to `gateway_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// MQTT password given by the hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// PEM CA certificate(s) of the broker (`mqtts://`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate for brokers that require mutual TLS (with `client_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
    /// MQTT keep-alive in seconds.
    pub keepalive_s: u64,
    /// Seconds between `up/heartbeat` messages to the hub.
    pub heartbeat_s: u64,
}

impl fmt::Debug for CloudConfig {
    // The MQTT password stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudConfig")
            .field("url", &self.url)
            .field("gateway_id", &self.gateway_id)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ca_file", &self.ca_file)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("keepalive_s", &self.keepalive_s)
            .field("heartbeat_s", &self.heartbeat_s)
            .finish()
    }
}

impl Default for CloudConfig {
    fn default() -> Self {
        Self {
            url: None,
            gateway_id: None,
            username: None,
            password: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            keepalive_s: 30,
            heartbeat_s: 60,
        }
    }
}

/// Where a gateway port id is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSource {
    /// `ports[index]`.
    Modem(usize),
    /// `dinstar_http[index]`, Dinstar port number.
    DinstarHttp(usize, u16),
}

impl GatewayConfig {
    /// Parses and validates `gateway.toml` text.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        crate::load_str(text)
    }

    /// Reads, parses and validates a `gateway.toml` file.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        crate::load_file(path)
    }

    /// Every defined port id and where it comes from (first definition wins).
    pub fn port_ids(&self) -> BTreeMap<u16, PortSource> {
        let mut map = BTreeMap::new();
        for (i, p) in self.ports.iter().enumerate() {
            map.entry(p.id).or_insert(PortSource::Modem(i));
        }
        for (i, d) in self.dinstar_http.iter().enumerate() {
            for (id, dp) in d.gateway_ids() {
                map.entry(id).or_insert(PortSource::DinstarHttp(i, dp));
            }
        }
        map
    }

    /// The group with this name.
    pub fn group(&self, name: &str) -> Option<&GroupConfig> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// [`GatewayConfig::template`] with `api.token` set: the file a first install writes
    /// (`smsgate-gateway config init`), so the local API is on with a secret nobody else knows.
    pub fn template_with_api_token(token: &str) -> Result<String, TemplateError> {
        let mut c = GatewayConfig::default();
        c.api.token = Some(token.to_owned());
        template::render(TEMPLATE_TITLE, &c, GATEWAY_DOCS, &template_examples()?)
    }

    /// The commented template built from [`GatewayConfig::default`], with commented-out
    /// `[[ports]]`, `[[dinstar_http]]` and `[[groups]]` examples.
    pub fn template() -> Result<String, TemplateError> {
        template::render(
            TEMPLATE_TITLE,
            &GatewayConfig::default(),
            GATEWAY_DOCS,
            &template_examples()?,
        )
    }
}

const TEMPLATE_TITLE: &str = "smsgate gateway configuration (generated from the built-in defaults).\nLines starting with \"# \" are optional settings or examples; remove \"# \" to use them.";

/// Example array entries printed (commented out) in the template.
pub fn template_examples() -> Result<Vec<(&'static str, Vec<toml::Table>)>, TemplateError> {
    let mut usb = PortConfig::new(0, Device::Serial(PathBuf::from("/dev/ttyUSB0")));
    usb.profile = Vendor::Huawei;
    let mut dinstar = PortConfig::new(
        1,
        Device::Tcp {
            host: "192.168.1.10".into(),
            port: 56011,
        },
    );
    dinstar.profile = Vendor::Dinstar;
    dinstar.password = Some("admin".into());
    dinstar.module = Some(0);
    let http = DinstarHttpConfig::new(
        "http://192.168.1.20",
        "admin",
        "admin",
        crate::parse_port_spec("0-7").map_err(|e| TemplateError::new(e.to_string()))?,
        100,
    );
    let group = GroupConfig::new(
        "default",
        crate::parse_port_spec("0-1").map_err(|e| TemplateError::new(e.to_string()))?,
    );
    Ok(vec![
        (
            "ports",
            vec![template::to_table(&usb)?, template::to_table(&dinstar)?],
        ),
        ("dinstar_http", vec![template::to_table(&http)?]),
        ("groups", vec![template::to_table(&group)?]),
    ])
}

/// Key documentation, in template order.
pub const GATEWAY_DOCS: &[KeyDoc] = &[
    doc("storage", "Message spool (SQLite, WAL, synchronous=FULL)."),
    doc(
        "storage.path",
        "Database file; created with its tables on first start.",
    ),
    doc(
        "storage.retention_days",
        "Days finished messages and delivery reports are kept (1-3650; default 30); older ones are deleted in the background, in small batches.",
    ),
    doc("api", "Local HTTP API (Authorization: Bearer <token>)."),
    doc("api.listen", "Address and port to listen on."),
    doc_example(
        "api.token",
        "Bearer token, at least 16 characters. Without a token the local API is not started.",
        "\"change-me-to-a-long-random-secret\"",
    ),
    doc(
        "api.bulk_max_lines",
        "Most lines of one bulk upload (POST /api/v1/bulk/messages or /bulk/blocklist); a longer file is refused whole with 413.",
    ),
    doc(
        "api.bulk_max_bytes",
        "Most bytes of one bulk upload; a larger file is refused whole with 413.",
    ),
    doc("inbound", "Receiving SMS."),
    doc(
        "inbound.sweep_interval_ms",
        "Milliseconds between sweeps of the SIM/modem storage (catches messages whose +CMTI was missed).",
    ),
    doc(
        "inbound.reassembly_timeout_s",
        "Seconds the parts of a multipart SMS wait for the missing parts before being stored incomplete.",
    ),
    doc(
        "inbound.report_window_min",
        "Minutes a sent message waits for its delivery report before it shows `no_report` (a late report still settles it).",
    ),
    doc("ussd", "USSD balance checks."),
    doc_example(
        "ussd.balance_code",
        "USSD code that returns the SIM balance. Without it there are no balance checks.",
        "\"*100#\"",
    ),
    doc(
        "ussd.balance_interval_min",
        "Minutes between scheduled balance checks on every port; 0 = only on demand.",
    ),
    doc(
        "ussd.timeout_ms",
        "Milliseconds to wait for the network's USSD answer.",
    ),
    doc("supervision", "Port supervision and recovery."),
    doc(
        "supervision.command_timeout_ms",
        "Timeout of an ordinary AT command.",
    ),
    doc(
        "supervision.send_timeout_ms",
        "Timeout of one SMS submission, network round trip included.",
    ),
    doc(
        "supervision.poll_interval_ms",
        "Milliseconds between registration/signal polls.",
    ),
    doc(
        "supervision.failures_before_bench",
        "Consecutive unexplained refusals (plain ERROR, +CMS ERROR: 500) after which a port is benched; network refusals and timeouts bench at once.",
    ),
    doc(
        "supervision.bench_backoff_ms",
        "First bench after a modem or SIM problem; doubles with each further failure. A bench ends when a health check passes.",
    ),
    doc(
        "supervision.bench_backoff_max_ms",
        "Longest bench after modem or SIM problems.",
    ),
    doc(
        "supervision.resets_before_power_cycle",
        "Soft resets tried on a hung modem before its power is cycled.",
    ),
    doc(
        "supervision.check_interval_ms",
        "Milliseconds between health checks of an idle port: settings read back (AT+CMEE?, AT+CNMI?, AT+CREG?) to catch a silent reboot, and storage use (AT+CPMS?). 0 = off.",
    ),
    doc(
        "supervision.probe_timeout_ms",
        "Timeout of the health check's commands and of the bare AT that decides a modem is hung.",
    ),
    doc(
        "supervision.prompt_timeout_ms",
        "Milliseconds a send waits for the '>' prompt before the message moves to another port.",
    ),
    doc(
        "supervision.transient_bench_ms",
        "First bench after a network refusal (+CMS ERROR: 38/41/42…) or a modem that did not answer; doubles while it repeats.",
    ),
    doc(
        "supervision.transient_bench_max_ms",
        "Longest bench after transient failures.",
    ),
    doc(
        "ports[]",
        "[[ports]]: one modem each. Port ids are 0-based and unique (shared with [[dinstar_http]]).",
    ),
    doc("ports[].id", "Port number used by groups and the API."),
    doc(
        "ports[].device",
        "Serial device path, or tcp://host:port for a Dinstar gateway in TCP AT mode.",
    ),
    doc(
        "ports[].password",
        "Dinstar AT-mode password (tcp:// devices only).",
    ),
    doc(
        "ports[].module",
        "Dinstar module/channel number (tcp:// devices only).",
    ),
    doc(
        "ports[].baud",
        "Serial speed: 1200 2400 4800 9600 19200 38400 57600 115200 230400 460800 921600.",
    ),
    doc(
        "ports[].flow_control",
        "Serial flow control: none, hardware or software.",
    ),
    doc(
        "ports[].profile",
        "Vendor profile: generic, huawei, zte, quectel, simcom, sierra, wavecom or dinstar.",
    ),
    doc_example(
        "ports[].pin",
        "SIM PIN (4 to 8 digits), entered when the SIM asks.",
        "\"1234\"",
    ),
    doc_example(
        "ports[].smsc",
        "SMS centre number overriding the one stored on the SIM.",
        "\"+15550000000\"",
    ),
    doc(
        "ports[].text_mode",
        "Use SMS text mode (AT+CMGF=1) instead of PDU mode, for modems whose PDU mode is broken. Inbound is read in the UCS2 character set; text-mode sends are GSM 7-bit only and multipart inbound is not reassembled.",
    ),
    doc(
        "dinstar_http[]",
        "[[dinstar_http]]: a Dinstar gateway driven through its HTTP API; its port N becomes gateway port first_id + N.",
    ),
    doc(
        "dinstar_http[].url",
        "Base URL of the Dinstar web interface.",
    ),
    doc("dinstar_http[].user", "API user."),
    doc("dinstar_http[].password", "API password."),
    doc(
        "dinstar_http[].ports",
        "The Dinstar's own port numbers to use, e.g. \"0-31\".",
    ),
    doc(
        "dinstar_http[].first_id",
        "Gateway port id of the Dinstar's port 0.",
    ),
    doc(
        "dinstar_http[].timezone",
        "The Dinstar's time zone (IANA name, as set on the device): its time stamps carry no zone.",
    ),
    doc(
        "dinstar_http[].poll_interval_ms",
        "Milliseconds between polls of the Dinstar's inbound SMS and delivery reports (one query each for all its ports); 0 = no polling, the device pushes.",
    ),
    doc_example(
        "dinstar_http[].sn",
        "The Dinstar's serial number (sn); pushes with another serial are refused.",
        "\"dbd2-0325-0044-0088\"",
    ),
    doc_example(
        "dinstar_http[].push_listen",
        "Address the gateway listens on for the Dinstar's pushes (incoming SMS, send results, delivery reports, USSD).",
        "\"0.0.0.0:8091\"",
    ),
    doc_example(
        "dinstar_http[].push_token",
        "Secret of the push URL to set on the Dinstar: http://<this box>:<push_listen port>/dinstar/push/<push_token> (at least 16 characters).",
        "\"change-me-to-a-long-random-secret\"",
    ),
    doc(
        "groups[]",
        "[[groups]]: ports that share traffic. Messages name a group (the first group when they do not).",
    ),
    doc("groups[].name", "Group name used by the API and campaigns."),
    doc(
        "groups[].ports",
        "Ports in Dinstar dial-string style: \"0-3\", \"(0.3)\" (0-1-2-3-0 ...), \"0,2,5\", \"0-3,8\".",
    ),
    doc(
        "groups[].strategy",
        "round-robin (in order), least-used (fewest sends today) or sticky (same recipient, same SIM).",
    ),
    doc(
        "groups[].interval_ms",
        "Milliseconds from the END of one send on a port to the START of the next send on that port.",
    ),
    doc(
        "groups[].jitter_ms",
        "Random extra delay 0..=jitter_ms added to each interval.",
    ),
    doc_example(
        "groups[].max_per_hour",
        "Per-SIM cap per clock hour.",
        "100",
    ),
    doc_example(
        "groups[].max_per_day",
        "Per-SIM cap per day (group time zone).",
        "1000",
    ),
    doc_example(
        "groups[].max_per_month",
        "Per-SIM cap per calendar month (group time zone).",
        "20000",
    ),
    doc_example(
        "groups[].sending_hours",
        "Local hours in which messages are sent (\"22:00-06:00\" spans midnight); outside them messages wait.",
        "\"08:00-20:00\"",
    ),
    doc(
        "groups[].timezone",
        "IANA time zone of sending_hours and the day/month cap windows.",
    ),
    doc(
        "cloud",
        "MQTT link to the hub: every SMS, status and delivery report is synced; the hub's send orders are spooled. Without url there is no link.",
    ),
    doc_example(
        "cloud.url",
        "Hub broker URL, mqtt:// or mqtts:// (the hub's registration gives it).",
        "\"mqtts://hub.example.com:8883\"",
    ),
    doc_example(
        "cloud.gateway_id",
        "Gateway id given by the hub when the gateway was registered.",
        "\"gw-0193a1b2c3d4\"",
    ),
    doc_example(
        "cloud.username",
        "MQTT username; defaults to gateway_id.",
        "\"gw-0193a1b2c3d4\"",
    ),
    doc_example(
        "cloud.password",
        "MQTT password given by the hub when the gateway was registered.",
        "\"change-me\"",
    ),
    doc_example(
        "cloud.ca_file",
        "PEM CA certificate(s) that signed the broker's certificate (mqtts:// only).",
        "\"/etc/smsgate/hub-ca.pem\"",
    ),
    doc_example(
        "cloud.client_cert",
        "PEM client certificate for brokers that require mutual TLS (with client_key).",
        "\"/etc/smsgate/gateway.pem\"",
    ),
    doc_example(
        "cloud.client_key",
        "PEM private key of client_cert.",
        "\"/etc/smsgate/gateway.key\"",
    ),
    doc("cloud.keepalive_s", "MQTT keep-alive, seconds."),
    doc(
        "cloud.heartbeat_s",
        "Seconds between heartbeats to the hub (they keep its last-seen fresh).",
    ),
    doc(
        "legacy",
        "The seed's SendSMS web service (/Integra/resources/SMS/SendSMS) for clients that cannot send the API's bearer header. Both ways in are off until set; the bearer header always works.",
    ),
    doc_example(
        "legacy.allow",
        "Callers let in without any token: addresses or CIDR networks. Keep it to the dialer's own addresses.",
        "[\"192.168.1.20\", \"10.0.0.0/24\"]",
    ),
    doc_example(
        "legacy.token",
        "Secret accepted as the form (or path) field token=..., at least 16 characters.",
        "\"change-me-to-a-long-random-secret\"",
    ),
    doc(
        "power",
        "Modem power control, for a hung modem and for power cycles asked from the box UI or the API. Off by default.",
    ),
    doc_example(
        "power.simulator_control",
        "The control API of smsgate sim: it cuts and restores the simulated modems' power, port N being its modem N (test benches and the demo only). Absent: no power control.",
        "\"http://127.0.0.1:8900\"",
    ),
];

fn is_phone_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (3..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Validate for CloudConfig {
    fn validate(&self, v: &mut Violations) {
        let token = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && !s
                    .chars()
                    .any(|c| matches!(c, '/' | '#' | '+') || c.is_control() || c.is_whitespace())
        };
        if let Some(url) = &self.url {
            let tls = url.starts_with("mqtts://");
            if !["mqtt://", "mqtts://"]
                .iter()
                .any(|p| url.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
            {
                v.push(
                    "cloud.url",
                    format!("{url:?} is not an mqtt:// or mqtts:// URL"),
                );
            }
            match &self.gateway_id {
                None => v.push("cloud.gateway_id", "required with cloud.url"),
                Some(id) if !token(id) => v.push(
                    "cloud.gateway_id",
                    format!("{id:?} must be 1-64 characters without '/', '#', '+' or spaces"),
                ),
                Some(_) => {}
            }
            if self.password.as_deref().is_none_or(str::is_empty) {
                v.push("cloud.password", "required with cloud.url");
            }
            if !tls && (self.ca_file.is_some() || self.client_cert.is_some()) {
                v.push("cloud.url", "ca_file and client_cert need an mqtts:// URL");
            }
        } else if self.gateway_id.is_some() || self.password.is_some() {
            v.push(
                "cloud.url",
                "required when the other cloud settings are given",
            );
        }
        if let Some(u) = &self.username
            && !token(u)
        {
            v.push(
                "cloud.username",
                format!("{u:?} must be 1-64 characters without '/', '#', '+' or spaces"),
            );
        }
        if self.client_cert.is_some() != self.client_key.is_some() {
            v.push("cloud.client_key", "client_cert and client_key go together");
        }
        if self.keepalive_s == 0 || self.keepalive_s > 3600 {
            v.push("cloud.keepalive_s", "must be between 1 and 3600");
        }
        if self.heartbeat_s == 0 || self.heartbeat_s > 86_400 {
            v.push("cloud.heartbeat_s", "must be between 1 and 86400");
        }
    }
}

impl Validate for GatewayConfig {
    fn validate(&self, v: &mut Violations) {
        self.cloud.validate(v);
        self.legacy.validate(v);
        self.power.validate(v);
        if self.storage.path.as_os_str().is_empty() {
            v.push("storage.path", "must not be empty");
        }
        if !(1..=MAX_RETENTION_DAYS).contains(&self.storage.retention_days) {
            v.push(
                "storage.retention_days",
                format!("must be 1–{MAX_RETENTION_DAYS} (days)"),
            );
        }
        if let Some(token) = &self.api.token
            && token.chars().count() < MIN_TOKEN_LEN
        {
            v.push(
                "api.token",
                format!(
                    "must be at least {MIN_TOKEN_LEN} characters (or left out to disable the API)"
                ),
            );
        }
        if self.api.bulk_max_lines == 0 {
            v.push("api.bulk_max_lines", "must be greater than 0");
        }
        if self.api.bulk_max_bytes == 0 || self.api.bulk_max_bytes > 1 << 32 {
            v.push(
                "api.bulk_max_bytes",
                "must be between 1 and 4294967296 (4 GiB)",
            );
        }
        if self.inbound.sweep_interval_ms == 0 {
            v.push("inbound.sweep_interval_ms", "must be greater than 0");
        }
        if self.inbound.reassembly_timeout_s == 0 {
            v.push("inbound.reassembly_timeout_s", "must be greater than 0");
        }
        if self.inbound.report_window_min == 0 {
            v.push("inbound.report_window_min", "must be greater than 0");
        }
        if let Some(code) = &self.ussd.balance_code
            && (code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_digit() || "*#+".contains(c)))
        {
            v.push(
                "ussd.balance_code",
                format!("{code:?} is not a USSD code (digits, '*', '#', '+')"),
            );
        }
        if self.ussd.balance_interval_min > 0 && self.ussd.balance_code.is_none() {
            v.push(
                "ussd.balance_interval_min",
                "scheduled balance checks need ussd.balance_code",
            );
        }
        if self.ussd.timeout_ms == 0 {
            v.push("ussd.timeout_ms", "must be greater than 0");
        }
        let s = &self.supervision;
        for (key, value) in [
            ("command_timeout_ms", s.command_timeout_ms),
            ("send_timeout_ms", s.send_timeout_ms),
            ("poll_interval_ms", s.poll_interval_ms),
            ("bench_backoff_ms", s.bench_backoff_ms),
            ("bench_backoff_max_ms", s.bench_backoff_max_ms),
            ("failures_before_bench", u64::from(s.failures_before_bench)),
            ("probe_timeout_ms", s.probe_timeout_ms),
            ("prompt_timeout_ms", s.prompt_timeout_ms),
            ("transient_bench_ms", s.transient_bench_ms),
            ("transient_bench_max_ms", s.transient_bench_max_ms),
        ] {
            if value == 0 {
                v.push(format!("supervision.{key}"), "must be greater than 0");
            }
        }
        if s.bench_backoff_max_ms < s.bench_backoff_ms {
            v.push(
                "supervision.bench_backoff_max_ms",
                format!(
                    "{} is shorter than supervision.bench_backoff_ms ({})",
                    s.bench_backoff_max_ms, s.bench_backoff_ms
                ),
            );
        }
        if s.transient_bench_max_ms < s.transient_bench_ms {
            v.push(
                "supervision.transient_bench_max_ms",
                format!(
                    "{} is shorter than supervision.transient_bench_ms ({})",
                    s.transient_bench_max_ms, s.transient_bench_ms
                ),
            );
        }
        self.validate_ports(v);
        self.validate_groups(v);
    }
}

impl GatewayConfig {
    fn validate_ports(&self, v: &mut Violations) {
        let mut seen: BTreeMap<u16, String> = BTreeMap::new();
        for (i, p) in self.ports.iter().enumerate() {
            let at = format!("ports[{i}]");
            if p.id > crate::ports_spec::MAX_PORT_ID {
                v.push(
                    format!("{at}.id"),
                    format!(
                        "{} is above the highest port id {}",
                        p.id,
                        crate::ports_spec::MAX_PORT_ID
                    ),
                );
            }
            if let Some(first) = seen.get(&p.id) {
                v.push(
                    format!("{at}.id"),
                    format!("port {} is already defined by {first}", p.id),
                );
            } else {
                seen.insert(p.id, at.clone());
            }
            let tcp = matches!(p.device, Device::Tcp { .. });
            if tcp && p.password.is_none() {
                v.push(
                    format!("{at}.password"),
                    "required for a tcp:// device (Dinstar AT mode)",
                );
            }
            if !tcp && p.password.is_some() {
                v.push(format!("{at}.password"), "only used with tcp:// devices");
            }
            if !tcp && p.module.is_some() {
                v.push(format!("{at}.module"), "only used with tcp:// devices");
            }
            if !BAUD_RATES.contains(&p.baud) {
                v.push(
                    format!("{at}.baud"),
                    format!("{} is not a standard serial speed", p.baud),
                );
            }
            if let Some(pin) = &p.pin
                && !((4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()))
            {
                v.push(format!("{at}.pin"), "must be 4 to 8 digits");
            }
            if let Some(smsc) = &p.smsc
                && !is_phone_number(smsc)
            {
                v.push(
                    format!("{at}.smsc"),
                    format!("{smsc:?} is not a phone number (optional '+', 3 to 20 digits)"),
                );
            }
        }
        for (i, d) in self.dinstar_http.iter().enumerate() {
            let at = format!("dinstar_http[{i}]");
            if !(d.url.starts_with("http://") || d.url.starts_with("https://")) {
                v.push(
                    format!("{at}.url"),
                    format!("{:?} must start with http:// or https://", d.url),
                );
            }
            if d.user.is_empty() {
                v.push(format!("{at}.user"), "must not be empty");
            }
            match (&d.push_listen, &d.push_token) {
                (Some(_), None) => v.push(
                    format!("{at}.push_token"),
                    "required with push_listen (the secret of the push URL)",
                ),
                (None, Some(_)) => v.push(
                    format!("{at}.push_listen"),
                    "required with push_token (where the gateway listens for pushes)",
                ),
                (_, Some(t)) if t.chars().count() < MIN_TOKEN_LEN => v.push(
                    format!("{at}.push_token"),
                    format!("must be at least {MIN_TOKEN_LEN} characters"),
                ),
                (_, Some(t))
                    if !t
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c)) =>
                {
                    v.push(
                        format!("{at}.push_token"),
                        "may only hold letters, digits and - _ . ~ (it is part of a URL)",
                    )
                }
                (_, Some(t))
                    if self.dinstar_http[..i]
                        .iter()
                        .any(|o| o.push_token.as_deref() == Some(t.as_str())) =>
                {
                    v.push(
                        format!("{at}.push_token"),
                        "is already the push token of another [[dinstar_http]]",
                    )
                }
                _ => {}
            }
            if d.poll_interval_ms == 0 && d.push_token.is_none() {
                v.push(
                    format!("{at}.poll_interval_ms"),
                    "0 (no polling) needs push_listen and push_token, or nothing would be received",
                );
            } else if d.poll_interval_ms > 0 && d.poll_interval_ms < 100 {
                v.push(
                    format!("{at}.poll_interval_ms"),
                    "must be 0 (push only) or at least 100",
                );
            }
            for (id, dp) in d.gateway_ids() {
                if dp > DINSTAR_MAX_PORT {
                    v.push(
                        format!("{at}.ports"),
                        format!("Dinstar port {dp} does not exist (Dinstar ports are 0 to {DINSTAR_MAX_PORT})"),
                    );
                } else if id > crate::ports_spec::MAX_PORT_ID {
                    v.push(
                        format!("{at}.ports"),
                        format!("Dinstar port {dp} gives gateway port {id}, above the highest port id {}", crate::ports_spec::MAX_PORT_ID),
                    );
                } else if let Some(first) = seen.get(&id) {
                    v.push(
                        format!("{at}.ports"),
                        format!(
                            "Dinstar port {dp} gives gateway port {id}, already defined by {first}"
                        ),
                    );
                } else {
                    seen.insert(id, at.clone());
                }
            }
        }
    }

    fn validate_groups(&self, v: &mut Violations) {
        let ids = self.port_ids();
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, g) in self.groups.iter().enumerate() {
            let at = format!("groups[{i}]");
            if g.name.trim().is_empty() {
                v.push(format!("{at}.name"), "must not be empty");
            } else if let Some(first) = names.get(g.name.as_str()) {
                v.push(
                    format!("{at}.name"),
                    format!("group {:?} is already defined by groups[{first}]", g.name),
                );
            } else {
                names.insert(&g.name, i);
            }
            for port in g.ports.ports() {
                if !ids.contains_key(port) {
                    v.push(
                        format!("{at}.ports"),
                        format!("port {port} is not defined in [[ports]] or [[dinstar_http]]"),
                    );
                }
            }
            let caps = [
                ("max_per_hour", g.max_per_hour),
                ("max_per_day", g.max_per_day),
                ("max_per_month", g.max_per_month),
            ];
            for (key, cap) in caps {
                if cap == Some(0) {
                    v.push(
                        format!("{at}.{key}"),
                        "0 would never send; leave the key out for no cap",
                    );
                }
            }
            for w in caps.windows(2) {
                if let [(ka, Some(a)), (kb, Some(b))] = w
                    && a > b
                {
                    v.push(format!("{at}.{ka}"), format!("{a} is more than {kb} ({b})"));
                }
            }
            if let (Some(h), None, Some(m)) = (g.max_per_hour, g.max_per_day, g.max_per_month)
                && h > m
            {
                v.push(
                    format!("{at}.max_per_hour"),
                    format!("{h} is more than max_per_month ({m})"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_debug_output_names_its_pin_and_password_as_redacted_without_their_values() {
        let mut p = PortConfig::new(
            3,
            Device::Tcp {
                host: "10.0.0.9".into(),
                port: 23,
            },
        );
        p.pin = Some("8642".into());
        p.password = Some("dinstar-secret".into());
        let shown = format!("{p:?} {p:#?}");
        assert!(!shown.contains("8642"), "{shown}");
        assert!(!shown.contains("dinstar-secret"), "{shown}");
        assert!(shown.contains("pin: Some(\"<redacted>\")"), "{shown}");
        assert!(
            shown.contains("10.0.0.9"),
            "the rest is still shown: {shown}"
        );
    }

    #[test]
    fn power_control_is_off_by_default_and_the_simulator_control_must_be_an_http_url() {
        let base = "[storage]\npath = \"/tmp/x.sqlite\"\n";
        assert_eq!(
            GatewayConfig::from_toml_str(base).unwrap().power,
            PowerConfig::default()
        );
        assert_eq!(
            problems(&format!("{base}[power]\nsimulator_control = \"ftp://x\"\n")),
            vec!["power.simulator_control: \"ftp://x\" is not an http:// URL (like http://127.0.0.1:8900)".to_owned()]
        );
        let ok = GatewayConfig::from_toml_str(&format!(
            "{base}[power]\nsimulator_control = \"http://127.0.0.1:8900\"\n"
        ))
        .unwrap();
        assert_eq!(
            ok.power.simulator_control.as_deref(),
            Some("http://127.0.0.1:8900")
        );
    }

    #[test]
    fn a_port_without_a_pin_shows_none_in_debug() {
        let p = PortConfig::new(0, Device::Serial("/dev/ttyUSB0".into()));
        assert!(format!("{p:?}").contains("pin: None"));
    }

    #[test]
    fn the_cloud_section_debug_output_lacks_the_mqtt_password() {
        let c = CloudConfig {
            password: Some("hub-given-secret".into()),
            ..CloudConfig::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("hub-given-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    fn problems(text: &str) -> Vec<String> {
        match GatewayConfig::from_toml_str(text) {
            Err(ConfigError::Invalid(v)) => v.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
            Ok(_) => vec![],
        }
    }

    #[test]
    fn a_dinstar_port_above_31_is_rejected_naming_the_ports_key() {
        let p = problems(
            "[[dinstar_http]]\nurl = \"http://h\"\nuser = \"u\"\npassword = \"p\"\nports = \"30-32\"\nfirst_id = 100\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("dinstar_http[0].ports: Dinstar port 32 does not exist"),
            "{p:?}"
        );
    }

    #[test]
    fn dinstar_push_keys_come_in_pairs_and_push_only_needs_a_push_url() {
        let base = "[[dinstar_http]]\nurl = \"http://h\"\nuser = \"u\"\npassword = \"p\"\nports = \"0-1\"\n";
        let p = problems(&format!("{base}push_listen = \"0.0.0.0:8091\"\n"));
        assert_eq!(
            p,
            ["dinstar_http[0].push_token: required with push_listen (the secret of the push URL)"]
        );
        let p = problems(&format!("{base}poll_interval_ms = 0\n"));
        assert!(
            p[0].starts_with("dinstar_http[0].poll_interval_ms: 0 (no polling) needs"),
            "{p:?}"
        );
        let p = problems(&format!(
            "{base}push_listen = \"0.0.0.0:8091\"\npush_token = \"short\"\n"
        ));
        assert_eq!(
            p,
            ["dinstar_http[0].push_token: must be at least 16 characters"]
        );
        let p = problems(&format!("{base}timezone = \"Mars/Olympus\"\n"));
        assert!(p[0].contains("Mars/Olympus"), "{p:?}");
        let ok = format!(
            "{base}timezone = \"Europe/Moscow\"\npoll_interval_ms = 0\npush_listen = \"0.0.0.0:8091\"\npush_token = \"0123456789abcdef\"\n"
        );
        assert!(problems(&ok).is_empty());
        let c = GatewayConfig::from_toml_str(&ok).unwrap();
        assert_eq!(c.dinstar_http[0].timezone.0, chrono_tz::Europe::Moscow);
        let debug = format!("{:?}", c.dinstar_http[0]);
        assert!(
            !debug.contains("0123456789abcdef") && !debug.contains("password: \"p\""),
            "{debug}"
        );
    }

    #[test]
    fn text_mode_defaults_to_off_and_parses_when_set() {
        let base = "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n";
        let c = GatewayConfig::from_toml_str(base).unwrap();
        assert!(!c.ports[0].text_mode);
        let c = GatewayConfig::from_toml_str(&format!("{base}text_mode = true\n")).unwrap();
        assert!(c.ports[0].text_mode);
        assert!(!problems(&format!("{base}text_mode = 1\n")).is_empty());
    }

    #[test]
    fn supervision_timings_are_checked_and_a_zero_check_interval_turns_checks_off() {
        let p = problems(
            "[supervision]\ntransient_bench_ms = 5000\ntransient_bench_max_ms = 1000\nprobe_timeout_ms = 0\n",
        );
        assert_eq!(
            p,
            [
                "supervision.probe_timeout_ms: must be greater than 0",
                "supervision.transient_bench_max_ms: 1000 is shorter than supervision.transient_bench_ms (5000)",
            ],
        );
        assert!(problems("[supervision]\ncheck_interval_ms = 0\n").is_empty());
    }
}
