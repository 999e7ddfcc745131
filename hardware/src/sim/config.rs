//! Lab configuration: a serde struct with defaults (TOML file `sim.toml` or built in code), validated into
//! per-modem [`ModemSpec`]s. Every validation error names the offending key.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::profile::ProfileId;

/// Registration state of a SIM on the simulated network (27.007 `+CREG` `<stat>` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Registration {
    /// 0: not registered, not searching.
    NotRegistered,
    /// 1: registered, home network.
    Home,
    /// 2: not registered, searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 5: registered, roaming.
    Roaming,
}

impl Registration {
    /// The 27.007 `<stat>` number.
    pub fn stat(self) -> u8 {
        match self {
            Registration::NotRegistered => 0,
            Registration::Home => 1,
            Registration::Searching => 2,
            Registration::Denied => 3,
            Registration::Roaming => 5,
        }
    }

    /// Whether SMS can be sent and received.
    pub fn is_registered(self) -> bool {
        matches!(self, Registration::Home | Registration::Roaming)
    }
}

/// Per-SIM overrides; every field has a deterministic default derived from the modem index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Phone number in international form (default `+1555000000N`, N = index + 1).
    pub msisdn: Option<String>,
    /// 15 digits (default `00101` + 10-digit index).
    pub imsi: Option<String>,
    /// 19–20 digits (default `8900101` + 12-digit index).
    pub iccid: Option<String>,
    /// 15 digits (default `35000000` + 7-digit index).
    pub imei: Option<String>,
    /// Vendor profile (default: the lab's `profile`).
    pub profile: Option<ProfileId>,
    /// SIM PIN; when set the SIM starts locked (`+CPIN: SIM PIN`).
    pub pin: Option<String>,
    /// SIM PUK (default `12345678`).
    pub puk: Option<String>,
    /// Signal, `+CSQ` rssi 0–31 (default 20).
    pub signal: Option<u8>,
    /// Registration state at start (default home).
    pub registration: Option<Registration>,
    /// Text of the balance USSD answer.
    pub balance: Option<String>,
    /// Send latency of this modem in ms (default: the lab's `latency_ms`).
    pub latency_ms: Option<u64>,
}

/// Limit on submitted SMS per SIM: at most `max` in any `per_seconds` window; further sends fail with
/// `+CMS ERROR: <cms_error>` (default 42, RP cause "congestion").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Sends allowed per window.
    pub max: u32,
    /// Window length in seconds.
    pub per_seconds: u64,
    /// The CMS error given past the limit.
    #[serde(default = "default_rate_cms")]
    pub cms_error: u16,
}

fn default_rate_cms() -> u16 {
    42
}

/// The whole lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabConfig {
    /// Directory that receives the pty symlinks `ttyUSB0`, `ttyUSB1`, …
    pub dir: PathBuf,
    /// Number of modems.
    pub modems: usize,
    /// Default vendor profile.
    pub profile: ProfileId,
    /// Per-modem overrides (index = modem index); may be shorter than `modems`.
    pub sims: Vec<SimConfig>,
    /// Send latency in ms (time from Ctrl-Z to `+CMGS`).
    pub latency_ms: u64,
    /// Random extra latency, 0..=jitter_ms.
    pub jitter_ms: u64,
    /// Delay before a requested status report arrives, in ms.
    pub delivery_report_delay_ms: u64,
    /// Numbers (international form) whose delivery fails: the status report carries TP-ST 0x41
    /// (permanent failure, "incompatible destination").
    pub failing_numbers: Vec<String>,
    /// Per-SIM send rate limit.
    pub rate_limit: Option<RateLimit>,
    /// SMSC number of the virtual network.
    pub smsc: String,
    /// Operator long name.
    pub operator: String,
    /// Operator numeric id (MCC+MNC).
    pub operator_numeric: String,
    /// The USSD code answered with the balance.
    pub balance_code: String,
    /// Default balance text.
    pub balance: String,
    /// Delay of the USSD answer in ms.
    pub ussd_delay_ms: u64,
    /// A simulated Dinstar multi-port gateway in front of some modems.
    pub dinstar: Option<DinstarConfig>,
    /// Period of vendor periodic URCs (Huawei `^RSSI`) in ms; 0 = never.
    pub periodic_urc_ms: u64,
    /// Modems (indexes) whose `AT+CNMI=?` offers only routed delivery of new messages
    /// (`<mt>` 0, 2 or 3, as some modules do): a host picks `+CMT`, nothing is stored.
    pub routed_only: Vec<usize>,
}

/// How the Dinstar gateway is driven (its "API work mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DinstarMode {
    /// AT commands over TCP (`Password:…`, `Port:N`, then raw AT to that module).
    #[default]
    At,
    /// The HTTP SMS API: inbound SMS and status reports of its ports go to the gateway's own store.
    Http,
}

/// How the Dinstar's HTTP API authenticates (its web login).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DinstarAuth {
    /// No authentication (not what real units do; for hand-testing).
    None,
    /// HTTP Basic only.
    Basic,
    /// HTTP Digest only (MD5, `qop="auth"`), as the devices answer `curl --anyauth`.
    #[default]
    Digest,
}

/// A simulated Dinstar gateway (reference §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DinstarConfig {
    /// Lab modem index of each gateway port (port 0 first); empty = every modem with profile `dinstar`
    /// (or every modem when none has it), at most 32.
    pub ports: Vec<usize>,
    /// API work mode.
    pub mode: DinstarMode,
    /// AT mode password.
    pub password: String,
    /// Gateway serial number (`sn` in every HTTP answer).
    pub sn: String,
    /// HTTP API authentication.
    pub auth: DinstarAuth,
    /// HTTP API user.
    pub http_user: String,
    /// HTTP API password.
    pub http_password: String,
    /// A Digest nonce is `stale` after this many ms (a fresh challenge follows).
    pub nonce_ttl_ms: u64,
    /// The device's clock is UTC plus this many minutes; its time stamps carry no zone.
    pub utc_offset_min: i32,
    /// Where the device pushes incoming SMS, send results, delivery statuses and USSD replies.
    pub push_url: Option<String>,
    /// How long a message waits in the device's queue before it goes out (`stop_sms` can stop it).
    pub queue_delay_ms: u64,
    /// The device keeps showing the previous USSD reply until the new one arrives (instead of a
    /// `" "` placeholder).
    pub ussd_stale_reply: bool,
    /// Numbers whose delivery statuses appear `late_report_ms` late (reports out of order).
    pub late_report_numbers: Vec<String>,
    /// Delay of the late reports.
    pub late_report_ms: u64,
}

impl Default for DinstarConfig {
    fn default() -> Self {
        DinstarConfig {
            ports: Vec::new(),
            mode: DinstarMode::At,
            password: "admin".into(),
            sn: "dbd2-0325-0044-0088".into(),
            auth: DinstarAuth::Digest,
            http_user: "admin".into(),
            http_password: "admin".into(),
            nonce_ttl_ms: 300_000,
            utc_offset_min: 0,
            push_url: None,
            queue_delay_ms: 0,
            ussd_stale_reply: false,
            late_report_numbers: Vec::new(),
            late_report_ms: 3_000,
        }
    }
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            dir: PathBuf::from("/tmp/smsgate-sim"),
            modems: 2,
            profile: ProfileId::Generic,
            sims: Vec::new(),
            latency_ms: 2500,
            jitter_ms: 1500,
            delivery_report_delay_ms: 3000,
            failing_numbers: Vec::new(),
            rate_limit: None,
            smsc: "+15559999999".into(),
            operator: "SMSGATE SIM".into(),
            operator_numeric: "00101".into(),
            balance_code: "*100#".into(),
            balance: "Your balance is 10.00 USD".into(),
            ussd_delay_ms: 500,
            dinstar: None,
            periodic_urc_ms: 15_000,
            routed_only: Vec::new(),
        }
    }
}

/// A configuration error; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML syntax or type error (the message names the key and line).
    #[error("{path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A value is out of range.
    #[error("{key}: {message}")]
    Invalid {
        /// The key, e.g. `sims[2].msisdn`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

/// A fully resolved modem of the lab.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModemSpec {
    /// Index in the lab (0-based); the symlink is `ttyUSB<index>`.
    pub index: usize,
    /// Vendor profile.
    pub profile: ProfileId,
    /// Phone number, international form.
    pub msisdn: String,
    /// IMSI.
    pub imsi: String,
    /// ICCID.
    pub iccid: String,
    /// IMEI.
    pub imei: String,
    /// PIN if the SIM starts locked.
    pub pin: Option<String>,
    /// PUK.
    pub puk: String,
    /// rssi 0–31.
    pub signal: u8,
    /// Initial registration.
    pub registration: Registration,
    /// Balance USSD answer.
    pub balance: String,
    /// Send latency (ms).
    pub latency_ms: u64,
    /// `AT+CNMI=?` offers only routed delivery (`+CMT`) of new messages.
    pub routed_only: bool,
}

fn digits(key: &str, value: &str, min: usize, max: usize) -> Result<(), ConfigError> {
    if value.len() < min || value.len() > max || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            key,
            format!("{value:?} must be {min}–{max} digits"),
        ));
    }
    Ok(())
}

fn international(key: &str, value: &str) -> Result<(), ConfigError> {
    match value.strip_prefix('+') {
        Some(rest)
            if !rest.is_empty() && rest.len() <= 15 && rest.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(())
        }
        _ => Err(invalid(
            key,
            format!("{value:?} must be '+' followed by 1–15 digits"),
        )),
    }
}

impl LabConfig {
    /// Reads and validates a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<LabConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let cfg: LabConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        cfg.resolve()?;
        Ok(cfg)
    }

    /// A lab for tests: zero latency, zero report delay.
    pub fn for_tests(dir: PathBuf, modems: usize) -> LabConfig {
        LabConfig {
            dir,
            modems,
            latency_ms: 0,
            jitter_ms: 0,
            delivery_report_delay_ms: 0,
            ussd_delay_ms: 0,
            periodic_urc_ms: 0,
            ..LabConfig::default()
        }
    }

    /// Validates the whole config and derives each modem's spec (all or nothing).
    pub fn resolve(&self) -> Result<Vec<ModemSpec>, ConfigError> {
        if self.modems == 0 || self.modems > 64 {
            return Err(invalid(
                "modems",
                format!("{} is out of range 1–64", self.modems),
            ));
        }
        if self.sims.len() > self.modems {
            return Err(invalid(
                "sims",
                format!(
                    "{} entries but only {} modems",
                    self.sims.len(),
                    self.modems
                ),
            ));
        }
        if self.dir.as_os_str().is_empty() {
            return Err(invalid("dir", "must not be empty"));
        }
        international("smsc", &self.smsc)?;
        digits("operator_numeric", &self.operator_numeric, 5, 6)?;
        if self.operator.is_empty() || self.operator.len() > 16 {
            return Err(invalid("operator", "must be 1–16 characters"));
        }
        for (i, n) in self.failing_numbers.iter().enumerate() {
            international(&format!("failing_numbers[{i}]"), n)?;
        }
        if let Some(r) = &self.rate_limit {
            if r.max == 0 {
                return Err(invalid("rate_limit.max", "must be at least 1"));
            }
            if r.per_seconds == 0 {
                return Err(invalid("rate_limit.per_seconds", "must be at least 1"));
            }
            if r.cms_error > 511 {
                return Err(invalid(
                    "rate_limit.cms_error",
                    "must be a CMS error code 0–511",
                ));
            }
        }
        if let Some(d) = &self.dinstar {
            if d.ports.len() > 32 {
                return Err(invalid(
                    "dinstar.ports",
                    "a Dinstar gateway has at most 32 ports (0–31)",
                ));
            }
            for (i, m) in d.ports.iter().enumerate() {
                if *m >= self.modems {
                    return Err(invalid(
                        format!("dinstar.ports[{i}]"),
                        format!("modem {m} does not exist"),
                    ));
                }
                if d.ports[..i].contains(m) {
                    return Err(invalid(
                        format!("dinstar.ports[{i}]"),
                        format!("modem {m} is already a port"),
                    ));
                }
            }
            if d.password.is_empty() {
                return Err(invalid("dinstar.password", "must not be empty"));
            }
            if d.auth != DinstarAuth::None && d.http_user.is_empty() {
                return Err(invalid("dinstar.http_user", "must not be empty"));
            }
            if d.utc_offset_min.abs() > 14 * 60 {
                return Err(invalid(
                    "dinstar.utc_offset_min",
                    format!("{} is outside -840..=840", d.utc_offset_min),
                ));
            }
            if let Some(u) = &d.push_url
                && !(u.starts_with("http://") || u.starts_with("https://"))
            {
                return Err(invalid(
                    "dinstar.push_url",
                    format!("{u:?} must start with http:// or https://"),
                ));
            }
            for (i, n) in d.late_report_numbers.iter().enumerate() {
                international(&format!("dinstar.late_report_numbers[{i}]"), n)?;
            }
        }
        let mut specs: Vec<ModemSpec> = Vec::with_capacity(self.modems);
        for index in 0..self.modems {
            let o = self.sims.get(index).cloned().unwrap_or_default();
            let n = index + 1;
            let key = |f: &str| format!("sims[{index}].{f}");
            let msisdn = o.msisdn.unwrap_or_else(|| format!("+1555{n:07}"));
            international(&key("msisdn"), &msisdn)?;
            if let Some(other) = specs.iter().find(|s| s.msisdn == msisdn) {
                return Err(invalid(
                    key("msisdn"),
                    format!("{msisdn} is already the number of modem {}", other.index),
                ));
            }
            let imsi = o.imsi.unwrap_or_else(|| format!("00101{n:010}"));
            digits(&key("imsi"), &imsi, 15, 15)?;
            let iccid = o.iccid.unwrap_or_else(|| format!("8900101{n:012}"));
            digits(&key("iccid"), &iccid, 19, 20)?;
            let imei = o.imei.unwrap_or_else(|| format!("35000000{n:07}"));
            digits(&key("imei"), &imei, 15, 15)?;
            if let Some(pin) = &o.pin {
                digits(&key("pin"), pin, 4, 8)?;
            }
            let puk = o.puk.unwrap_or_else(|| "12345678".into());
            digits(&key("puk"), &puk, 8, 8)?;
            let signal = o.signal.unwrap_or(20);
            if signal > 31 && signal != 99 {
                return Err(invalid(
                    key("signal"),
                    format!("{signal} must be 0–31 or 99"),
                ));
            }
            specs.push(ModemSpec {
                index,
                profile: o.profile.unwrap_or(self.profile),
                msisdn,
                imsi,
                iccid,
                imei,
                pin: o.pin,
                puk,
                signal,
                registration: o.registration.unwrap_or(Registration::Home),
                balance: o.balance.unwrap_or_else(|| self.balance.clone()),
                latency_ms: o.latency_ms.unwrap_or(self.latency_ms),
                routed_only: self.routed_only.contains(&index),
            });
        }
        Ok(specs)
    }

    /// The lab modem behind each Dinstar port (empty without a gateway).
    pub fn dinstar_ports(&self, specs: &[ModemSpec]) -> Vec<usize> {
        match &self.dinstar {
            None => Vec::new(),
            Some(d) if !d.ports.is_empty() => d.ports.clone(),
            Some(_) => {
                let dinstar: Vec<usize> = specs
                    .iter()
                    .filter(|s| s.profile == ProfileId::Dinstar)
                    .map(|s| s.index)
                    .take(32)
                    .collect();
                if dinstar.is_empty() {
                    specs.iter().map(|s| s.index).take(32).collect()
                } else {
                    dinstar
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_deterministic_identities() {
        let specs = LabConfig::default().resolve().unwrap();
        assert_eq!(specs[0].msisdn, "+15550000001");
        assert_eq!(specs[1].msisdn, "+15550000002");
        assert_eq!(specs[1].imsi, "001010000000002");
        assert_eq!(specs[1].iccid.len(), 19);
    }

    #[test]
    fn toml_errors_name_the_key() {
        let cfg: LabConfig = toml::from_str("modems = 2\n[[sims]]\nmsisdn = \"12\"\n").unwrap();
        let err = cfg.resolve().unwrap_err().to_string();
        assert!(err.starts_with("sims[0].msisdn:"), "{err}");
        let err = toml::from_str::<LabConfig>("modem = 2\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("modem"), "{err}");
    }

    #[test]
    fn a_config_file_is_read_whole_or_rejected_with_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sim.toml");
        std::fs::write(
            &path,
            "modems = 3\nprofile = \"huawei-e1752\"\nlatency_ms = 0\nfailing_numbers = [\"+447700900666\"]\n\
             [[sims]]\nmsisdn = \"+33600000001\"\npin = \"1234\"\n[rate_limit]\nmax = 10\nper_seconds = 60\n\
             [dinstar]\nmode = \"http\"\nports = [1, 2]\n",
        )
        .unwrap();
        let cfg = LabConfig::from_file(&path).unwrap();
        let specs = cfg.resolve().unwrap();
        assert_eq!(specs[0].msisdn, "+33600000001");
        assert_eq!(specs[0].pin.as_deref(), Some("1234"));
        assert_eq!(specs[2].profile, ProfileId::HuaweiE1752);
        assert_eq!(cfg.dinstar_ports(&specs), vec![1, 2]);
        assert_eq!(cfg.rate_limit.unwrap().cms_error, 42);

        std::fs::write(&path, "modems = 2\n[dinstar]\nports = [5]\n").unwrap();
        let err = LabConfig::from_file(&path).unwrap_err().to_string();
        assert!(err.starts_with("dinstar.ports[0]:"), "{err}");
        std::fs::write(&path, "modems = \"two\"\n").unwrap();
        let err = LabConfig::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("sim.toml") && err.contains("modems"), "{err}");
    }

    #[test]
    fn duplicate_numbers_are_rejected() {
        let cfg: LabConfig =
            toml::from_str("modems = 2\n[[sims]]\n[[sims]]\nmsisdn = \"+15550000001\"\n").unwrap();
        let err = cfg.resolve().unwrap_err().to_string();
        assert!(
            err.contains("sims[1].msisdn") && err.contains("modem 0"),
            "{err}"
        );
    }
}
