//! The hub's `[smtp]` (e-mail notifications) and `[transcripts]` (PDF font) sections.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::error::Violations;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required; port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
    /// No encryption (a local relay only).
    None,
}

/// `[smtp]`: the server e-mail notifications go through. Without `host`, e-mail is off (SMS
/// notifications still work) and e-mail notifications are logged as failed, naming this key.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Login (AUTH PLAIN or LOGIN), with `password` or `password_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// File holding the password, read at start (one line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// The sender (`Name <address>`).
    pub from: String,
    /// Extra CA certificate(s), PEM, trusted for the server's certificate (a private relay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for the server.
    pub timeout_s: u32,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            password_file: None,
            from: "smsgate <notifications@localhost>".into(),
            ca_file: None,
            timeout_s: 30,
        }
    }
}

/// `[transcripts]`: conversation transcripts as PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TranscriptsConfig {
    /// A TrueType font with the scripts your customers write in (Debian: fonts-dejavu-core).
    pub font: PathBuf,
}

impl Default for TranscriptsConfig {
    fn default() -> Self {
        Self {
            font: PathBuf::from("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        }
    }
}

/// Whether `from` (`address` or `Name <address>`) holds one plausible address.
fn plausible_sender(from: &str) -> bool {
    let address = match (from.rfind('<'), from.ends_with('>')) {
        (Some(i), true) => &from[i + 1..from.len() - 1],
        (None, false) => from.trim(),
        _ => return false,
    };
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A host the mail never leaves the machine for.
fn loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

impl SmtpConfig {
    pub(crate) fn validate(&self, v: &mut Violations) {
        if let Some(h) = &self.host
            && (h.trim().is_empty() || h.contains(char::is_whitespace))
        {
            v.push("smtp.host", "must be a host name or address");
        }
        if self.port == 0 {
            v.push("smtp.port", "must be between 1 and 65535");
        }
        let empty_path = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.as_os_str().is_empty());
        if self.password.is_some() && self.password_file.is_some() {
            v.push(
                "smtp.password_file",
                "give password or password_file, not both",
            );
        } else if empty_path(&self.password_file) {
            v.push("smtp.password_file", "must not be empty");
        }
        let has_password = self.password.is_some() || self.password_file.is_some();
        if self.username.is_some() != has_password {
            v.push(
                "smtp.username",
                "username and password (or password_file) go together",
            );
        } else if self
            .username
            .as_deref()
            .is_some_and(|u| u.trim().is_empty())
        {
            v.push("smtp.username", "must not be empty");
        }
        if self.password.as_deref() == Some("") {
            v.push("smtp.password", "must not be empty");
        }
        if !plausible_sender(&self.from) {
            v.push(
                "smtp.from",
                format!(
                    "{:?} is not an e-mail address (address or Name <address>)",
                    self.from
                ),
            );
        }
        if empty_path(&self.ca_file) {
            v.push("smtp.ca_file", "must not be empty");
        } else if self.ca_file.is_some() && self.security == SmtpSecurity::None {
            v.push(
                "smtp.ca_file",
                "a CA certificate is for security = \"starttls\" or \"tls\"",
            );
        }
        if self.security == SmtpSecurity::None
            && has_password
            && let Some(h) = &self.host
            && !loopback(h.trim())
        {
            v.push(
                "smtp.security",
                format!(
                    "a login to {h} would send the password unencrypted: use \"starttls\" or \"tls\" (\"none\" is for a local relay)"
                ),
            );
        }
        if self.timeout_s == 0 {
            v.push("smtp.timeout_s", "must be at least 1");
        }
    }
}

/// Secrets never in Debug (logs): the password is shown as `<redacted>`.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_file", &self.password_file)
            .field("from", &self.from)
            .field("ca_file", &self.ca_file)
            .field("timeout_s", &self.timeout_s)
            .finish()
    }
}
