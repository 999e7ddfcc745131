//! `smsgate-gateway doctor`: checks a box the way the gateway will use it and says what to fix.
//!
//! Checks, in order (later ones need a valid config):
//! 1. the config file loads and validates (the error names the key); it is not readable by
//!    everyone when it holds secrets;
//! 2. the spool's directory exists and this user can create files in it; the spool file, if
//!    there, is writable;
//! 3. every serial `[[ports]]` device exists and this user may open it (owner, group, mode and
//!    this process's groups: `dialout`);
//! 4. every `[[ports]]` modem opens and answers `AT` within a short timeout (serial, TCP, Dinstar
//!    AT login);
//! 5. every `[[dinstar_http]]` device accepts a TCP connection;
//! 6. the `[cloud]` broker accepts a TCP connection and, for `mqtts://`, a TLS handshake with
//!    the configured CA (and client certificate).
//!
//! Run it as the service user (`sudo -u smsgate smsgate-gateway doctor --config …`) so the
//! permission checks are that user's. The checks only read, except a probe file created and
//! removed in the spool directory and the `AT` sent to each modem — so run it while the
//! gateway is stopped: a serial port is opened by one program at a time.

use smsgate_at::transport::{Opener, SystemOpener};
use smsgate_at::{Engine, EngineConfig};
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::Device;
use std::fmt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long each network or modem check may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect and TLS handshake.
    pub connect: Duration,
    /// The modem's answer to `AT` (after opening and any Dinstar login).
    pub at: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            at: Duration::from_secs(2),
        }
    }
}

/// One checked thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked (`config`, `spool`, `port 2 device`, `port 2 modem`, `cloud`…).
    pub check: String,
    /// What was found.
    pub detail: String,
    /// What to do about it; `None` when the check passed.
    pub fix: Option<String>,
}

impl Finding {
    fn ok(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Finding {
            check: check.into(),
            detail: detail.into(),
            fix: None,
        }
    }

    fn problem(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            check: check.into(),
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// The check failed.
    pub fn is_problem(&self) -> bool {
        self.fix.is_some()
    }
}

/// Everything the doctor found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In check order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The failed checks.
    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_problem())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in &self.findings {
            let mark = if x.is_problem() { "FAIL" } else { "ok  " };
            writeln!(f, "{mark}  {:<18} {}", x.check, x.detail)?;
            if let Some(fix) = &x.fix {
                for line in fix.lines() {
                    writeln!(f, "      {:<18} fix: {line}", "")?;
                }
            }
        }
        let n = self.problems().count();
        if n == 0 {
            writeln!(f, "no problems found")
        } else {
            writeln!(f, "{n} problem(s) found")
        }
    }
}

/// Runs every check on the config file at `path`.
pub async fn examine(path: &Path, timeouts: Timeouts) -> Report {
    let mut r = Report::default();
    let config = match GatewayConfig::load(path) {
        Ok(c) => c,
        Err(e) => {
            r.findings.push(Finding::problem(
                "config",
                format!("{}: {e}", path.display()),
                "correct the key named above (smsgate-gateway config template shows every key with its meaning)",
            ));
            return r;
        }
    };
    r.findings.push(config_file(path, &config));
    r.findings.push(spool(&config.storage.path));
    let groups = process_groups();
    for p in &config.ports {
        if let Device::Serial(dev) = &p.device {
            r.findings.push(device_node(p.id, dev, &groups));
        }
    }
    for p in &config.ports {
        r.findings.push(modem(p, timeouts).await);
    }
    for (i, d) in config.dinstar_http.iter().enumerate() {
        r.findings.push(dinstar_http(i, &d.url, timeouts).await);
    }
    if let Some(url) = &config.cloud.url {
        r.findings.push(cloud(url, &config, timeouts).await);
    }
    r
}

fn config_file(path: &Path, config: &GatewayConfig) -> Finding {
    let secrets = config.api.token.is_some()
        || config.cloud.password.is_some()
        || config.legacy.token.is_some()
        || config.ports.iter().any(|p| p.password.is_some())
        || !config.dinstar_http.is_empty();
    let summary = format!(
        "{} is valid ({} ports, {} Dinstar HTTP devices, {} groups{})",
        path.display(),
        config.ports.len(),
        config.dinstar_http.len(),
        config.groups.len(),
        if config.api.token.is_some() {
            format!(", local API on {}", config.api.listen)
        } else {
            ", no local API: api.token is not set".into()
        }
    );
    match std::fs::metadata(path) {
        Ok(m) if secrets && m.permissions().mode() & 0o004 != 0 => Finding::problem(
            "config",
            format!(
                "{summary}, but it holds secrets and every user may read it (mode {:o})",
                m.permissions().mode() & 0o777
            ),
            format!("chgrp smsgate {0} && chmod 0640 {0}", path.display()),
        ),
        _ => Finding::ok("config", summary),
    }
}

fn spool(db: &Path) -> Finding {
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Finding::problem(
            "spool",
            format!("the directory {} does not exist", dir.display()),
            format!(
                "install -d -o smsgate -g smsgate -m 0750 {} (the systemd unit's StateDirectory= makes /var/lib/smsgate), or change storage.path",
                dir.display()
            ),
        );
    }
    let probe = dir.join(format!(".smsgate-doctor-{}", std::process::id()));
    if let Err(e) = std::fs::File::create(&probe) {
        return Finding::problem(
            "spool",
            format!("cannot create files in {}: {e}", dir.display()),
            format!(
                "the service user needs write access: chown smsgate:smsgate {} && chmod 0750 {}",
                dir.display(),
                dir.display()
            ),
        );
    }
    let _ = std::fs::remove_file(&probe);
    if db.exists()
        && let Err(e) = std::fs::OpenOptions::new().write(true).open(db)
    {
        return Finding::problem(
            "spool",
            format!("{} exists but cannot be written: {e}", db.display()),
            format!(
                "chown smsgate:smsgate {0} {0}-wal {0}-shm (whichever exist)",
                db.display()
            ),
        );
    }
    Finding::ok(
        "spool",
        format!(
            "{} is writable{}",
            dir.display(),
            if db.exists() {
                format!(", {} writable", db.display())
            } else {
                ", the spool is created on first start".into()
            }
        ),
    )
}

/// The supplementary and primary groups of this process (from `/proc/self/status`).
fn process_groups() -> Vec<u32> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mut groups: Vec<u32> = Vec::new();
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("Groups:") {
            groups.extend(
                rest.split_whitespace()
                    .filter_map(|g| g.parse::<u32>().ok()),
            );
        } else if let Some(rest) = line.strip_prefix("Gid:") {
            // real, effective, saved, filesystem: the effective one counts.
            if let Some(g) = rest.split_whitespace().nth(1).and_then(|g| g.parse().ok()) {
                groups.push(g);
            }
        }
    }
    groups
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// A name from `/etc/group` or `/etc/passwd` (first field) by id (third field).
fn name_of(file: &str, id: u32) -> String {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let id_field = f.nth(1)?;
                (id_field.parse::<u32>().ok()? == id).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| id.to_string())
}

fn device_node(port: u16, dev: &Path, groups: &[u32]) -> Finding {
    let check = format!("port {port} device");
    let meta = match std::fs::metadata(dev) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Finding::problem(
                check,
                format!("{} does not exist", dev.display()),
                format!(
                    "plug the modem in, or set ports[].device of port {port} to its stable name: ls -l /dev/smsgate/by-serial /dev/smsgate/by-path /dev/serial/by-id"
                ),
            );
        }
        Err(e) => {
            return Finding::problem(
                check,
                format!("{}: {e}", dev.display()),
                "check the path and the directories leading to it",
            );
        }
    };
    if !meta.file_type().is_char_device() {
        return Finding::problem(
            check,
            format!(
                "{} is not a character device (a serial port)",
                dev.display()
            ),
            format!("set ports[].device of port {port} to the modem's tty"),
        );
    }
    let mode = meta.permissions().mode();
    let uid = effective_uid();
    let owner = name_of("/etc/passwd", meta.uid());
    let group = name_of("/etc/group", meta.gid());
    let shown = format!("{} ({owner}:{group} {:o})", dev.display(), mode & 0o777);
    let may = uid == Some(0)
        || (uid == Some(meta.uid()) && mode & 0o600 == 0o600)
        || (groups.contains(&meta.gid()) && mode & 0o060 == 0o060)
        || mode & 0o006 == 0o006;
    if may {
        return Finding::ok(check, format!("{shown} may be opened by this user"));
    }
    let user = uid.map_or_else(|| "this user".to_string(), |u| name_of("/etc/passwd", u));
    let fix = if mode & 0o060 == 0o060 {
        format!(
            "add {user} to the group {group}: usermod -aG {group} {user} (then log in again; the packaged unit runs as smsgate with SupplementaryGroups=dialout)"
        )
    } else {
        "the device is not group read-write: the package's udev rules (60-smsgate-modems.rules) make modems root:dialout 0660; run udevadm trigger --subsystem-match=tty"
            .to_owned()
    };
    Finding::problem(check, format!("{shown}: {user} may not open it"), fix)
}

async fn modem(p: &smsgate_config::gateway::PortConfig, t: Timeouts) -> Finding {
    let check = format!("port {} modem", p.id);
    let endpoint = crate::ports::worker::endpoint_of(p);
    let label = endpoint.label();
    let opener = SystemOpener {
        connect_timeout: t.connect,
        dinstar_greeting: Duration::from_millis(300),
        dinstar_timeout: t.connect,
    };
    let stream = match opener.open(&endpoint).await {
        Ok(s) => s,
        Err(e) => {
            let fix = if matches!(p.device, Device::Serial(_)) {
                "see the device check above; if the device is there, stop the running gateway first (a serial port has one user at a time)".to_string()
            } else if p.password.is_some() {
                format!(
                    "check the address, ports[].password and ports[].module of port {}, and that the Dinstar is in AT mode",
                    p.id
                )
            } else {
                format!(
                    "check the address of port {} and that something listens there",
                    p.id
                )
            };
            return Finding::problem(check, format!("{label}: cannot open: {e}"), fix);
        }
    };
    let (engine, _urcs) = Engine::spawn(
        stream,
        EngineConfig {
            label: label.clone(),
            ..EngineConfig::default()
        },
    );
    let answer = engine.raw("AT", t.at, &[]).await;
    match answer {
        Ok(resp) if resp.is_ok() => Finding::ok(check, format!("{label} answers AT with OK")),
        Ok(resp) => Finding::problem(
            check,
            format!("{label} answers AT with {:?}", resp.result),
            "the modem is there but refuses plain AT: power-cycle it, or check ports[].profile",
        ),
        Err(e) => Finding::problem(
            check,
            format!(
                "{label}: no answer to AT within {} ms: {e}",
                t.at.as_millis()
            ),
            format!(
                "check ports[].baud ({}) and ports[].flow_control, that this is the modem's AT interface (dongles have several: try the other ttyUSB of the same modem), and that no other program (ModemManager) holds it",
                p.baud
            ),
        ),
    }
}

/// `host:port` of an `http(s)://host[:port]/…` URL.
fn http_host_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let has_port = match authority.strip_prefix('[') {
        Some(v6) => v6
            .split_once(']')
            .is_some_and(|(_, after)| after.starts_with(':')),
        None => authority.contains(':'),
    };
    Some(if has_port {
        authority.to_string()
    } else {
        format!("{authority}:{default}")
    })
}

async fn connect(addr: &str, t: Duration) -> Result<tokio::net::TcpStream, String> {
    match tokio::time::timeout(t, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} ms", t.as_millis())),
    }
}

async fn dinstar_http(i: usize, url: &str, t: Timeouts) -> Finding {
    let check = format!("dinstar_http[{i}]");
    let Some(addr) = http_host_port(url) else {
        return Finding::problem(
            check,
            format!("{url:?} has no host"),
            "set dinstar_http[].url to http://<device address>",
        );
    };
    match connect(&addr, t.connect).await {
        Ok(_) => Finding::ok(check, format!("{addr} accepts connections")),
        Err(e) => Finding::problem(
            check,
            format!("cannot connect to {addr}: {e}"),
            format!(
                "check dinstar_http[{i}].url, the device's power and network, and that its web interface is on"
            ),
        ),
    }
}

async fn cloud(url: &str, config: &GatewayConfig, t: Timeouts) -> Finding {
    let broker = match smsgate_mqtt::BrokerUrl::parse(url) {
        Ok(b) => b,
        Err(e) => {
            return Finding::problem(
                "cloud",
                e.to_string(),
                "set cloud.url to mqtt://host:port or mqtts://host:port",
            );
        }
    };
    let addr = format!("{}:{}", broker.host, broker.port);
    let tcp = match connect(&addr, t.connect).await {
        Ok(s) => s,
        Err(e) => {
            return Finding::problem(
                "cloud",
                format!("cannot connect to the hub's broker at {addr}: {e}"),
                "check cloud.url (the hub's registration gives it), the box's network and DNS, and that the hub's MQTT port is open in its firewall",
            );
        }
    };
    if !broker.tls {
        return Finding::ok(
            "cloud",
            format!("the broker at {addr} accepts connections (mqtt://, no TLS)"),
        );
    }
    let tls = smsgate_mqtt::ClientTls {
        ca_file: config.cloud.ca_file.clone(),
        client_cert: config
            .cloud
            .client_cert
            .clone()
            .zip(config.cloud.client_key.clone()),
    };
    let client = match tls.client_config() {
        Ok(c) => c,
        Err(e) => {
            return Finding::problem(
                "cloud",
                e.to_string(),
                "fix cloud.ca_file / cloud.client_cert / cloud.client_key",
            );
        }
    };
    let name = match rustls::pki_types::ServerName::try_from(broker.host.clone()) {
        Ok(n) => n,
        Err(e) => {
            return Finding::problem(
                "cloud",
                format!("{:?}: {e}", broker.host),
                "set cloud.url's host to the name in the broker's certificate",
            );
        }
    };
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(client));
    match tokio::time::timeout(t.connect, connector.connect(name, tcp)).await {
        Ok(Ok(_)) => Finding::ok(
            "cloud",
            format!("the broker at {addr} accepts connections and a TLS handshake"),
        ),
        Ok(Err(e)) => Finding::problem(
            "cloud",
            format!("TLS handshake with {addr} failed: {e}"),
            "cloud.ca_file must hold the CA that signed the broker's certificate, and cloud.url's host must be the certificate's name",
        ),
        Err(_) => Finding::problem(
            "cloud",
            format!(
                "TLS handshake with {addr}: no answer within {} ms",
                t.connect.as_millis()
            ),
            "is this port the broker's TLS listener (mqtts://) and not a plain one?",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_give_host_and_port() {
        assert_eq!(
            http_host_port("http://192.168.1.20").as_deref(),
            Some("192.168.1.20:80")
        );
        assert_eq!(
            http_host_port("https://d.lan/x").as_deref(),
            Some("d.lan:443")
        );
        assert_eq!(
            http_host_port("http://10.0.0.1:8080/api").as_deref(),
            Some("10.0.0.1:8080")
        );
        assert_eq!(http_host_port("http://[::1]").as_deref(), Some("[::1]:80"));
        assert_eq!(
            http_host_port("http://[::1]:81").as_deref(),
            Some("[::1]:81")
        );
        assert_eq!(http_host_port("nothing"), None);
    }

    #[test]
    fn the_report_marks_problems_with_their_fix_and_counts_them() {
        let r = Report {
            findings: vec![
                Finding::ok("config", "fine"),
                Finding::problem("cloud", "cannot connect", "check cloud.url"),
            ],
        };
        let text = r.to_string();
        assert!(text.contains("ok    config"), "{text}");
        assert!(text.contains("FAIL  cloud"), "{text}");
        assert!(text.contains("fix: check cloud.url"), "{text}");
        assert!(text.contains("1 problem(s) found"), "{text}");
    }
}
