//! The cloud hub's configuration (`hub.toml`).
//!
//! Sections: `[storage]` (SQLite database), `[api]` (REST API listener, sessions),
//! `[passwords]` (argon2id cost), `[mqtt]` (embedded broker — optionally TLS with `tls_cert`/
//! `tls_key` — or external broker URL with the hub's login `username` + `password`/
//! `password_file` and TLS files `ca_file`, `client_cert`/`client_key`; and the URL written into
//! gateway config snippets), `[bootstrap]` (the platform organisation and its first
//! administrator, created on first start). Follows the crate conventions: `#[serde(default,
//! deny_unknown_fields)]`, real defaults in `Default`, cross-key rules in [`Validate`].

use crate::error::Violations;
use crate::template::{self, KeyDoc, TemplateError, doc, doc_example};
use crate::{ConfigError, Validate};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The whole hub configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// `[storage]`
    pub storage: HubStorageConfig,
    /// `[api]`
    pub api: HubApiConfig,
    /// `[passwords]`
    pub passwords: PasswordsConfig,
    /// `[mqtt]`
    pub mqtt: MqttConfig,
    /// `[bootstrap]`
    pub bootstrap: BootstrapConfig,
    /// `[smtp]`: e-mail notifications.
    pub smtp: crate::smtp::SmtpConfig,
    /// `[transcripts]`: conversation PDFs.
    pub transcripts: crate::smtp::TranscriptsConfig,
}

/// `[storage]`: the hub database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubStorageConfig {
    /// SQLite database file (created and migrated on start).
    pub path: PathBuf,
}

impl Default for HubStorageConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("/var/lib/smsgate/hub.sqlite"),
        }
    }
}

/// `[api]`: the REST API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubApiConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Lifetime of a login session, in hours.
    pub session_ttl_hours: u32,
    /// Mark the session cookie `Secure` (set it when the API is served over HTTPS).
    pub cookie_secure: bool,
    /// How long an `Idempotency-Key` of a send or bulk send is remembered, in hours.
    pub idempotency_ttl_hours: u32,
}

impl Default for HubApiConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            session_ttl_hours: 12,
            cookie_secure: false,
            idempotency_ttl_hours: 24,
        }
    }
}

/// `[passwords]`: argon2id cost of user password hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordsConfig {
    /// Memory per hash, KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordsConfig {
    /// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Which MQTT broker the hub uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrokerMode {
    /// The hub runs its own broker on `mqtt.listen`.
    #[default]
    Embedded,
    /// The hub connects to `mqtt.url`.
    External,
}

/// `[mqtt]`: the link with the gateways.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttConfig {
    /// `embedded` or `external`.
    pub broker: BrokerMode,
    /// Listen address of the embedded broker.
    pub listen: SocketAddr,
    /// External broker URL (`mqtt://` or `mqtts://`), required when `broker = "external"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Broker URL as the gateways reach it; written into the config snippet of every newly
    /// registered gateway. With embedded TLS the scheme is made `mqtts://`
    /// ([`MqttConfig::effective_advertised_url`]).
    pub advertised_url: String,
    /// PEM certificate chain of the embedded broker's listener; with `tls_key` the listener
    /// speaks TLS only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// The hub's MQTT username on an external broker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The hub's MQTT password on an external broker (or `password_file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// File holding the hub's MQTT password on an external broker, read at start (one line;
    /// a trailing newline is dropped). Keeps the secret out of `hub.toml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// PEM CA certificate(s) of an `mqtts://` external broker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate for an external broker that requires mutual TLS (with
    /// `client_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
}

impl MqttConfig {
    /// Whether the embedded broker's listener speaks TLS (`tls_cert` and `tls_key` set).
    pub fn embedded_tls(&self) -> bool {
        self.broker == BrokerMode::Embedded && self.tls_cert.is_some() && self.tls_key.is_some()
    }

    /// The URL written into gateway config snippets: `advertised_url`, with its scheme made
    /// `mqtts://` when the embedded broker listens with TLS (it accepts nothing else then).
    pub fn effective_advertised_url(&self) -> String {
        match self.advertised_url.strip_prefix("mqtt://") {
            Some(rest) if self.embedded_tls() => format!("mqtts://{rest}"),
            _ => self.advertised_url.clone(),
        }
    }
}

impl Default for MqttConfig {
    fn default() -> Self {
        Self {
            broker: BrokerMode::Embedded,
            // Loopback unless configured: a broker reachable from other machines should be
            // a deliberate choice, with tls_cert/tls_key (the template shows both).
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            url: None,
            advertised_url: "mqtt://127.0.0.1:1883".into(),
            tls_cert: None,
            tls_key: None,
            username: None,
            password: None,
            password_file: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
        }
    }
}

/// `[bootstrap]`: created on the first start only (an existing database is left as is).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BootstrapConfig {
    /// Name of the platform operator organisation.
    pub platform_name: String,
    /// Login of the first platform administrator.
    pub admin_login: String,
    /// Password of the first platform administrator (at least 8 characters); without it the
    /// hub generates one on first start and prints it once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
}

/// Secrets never in Debug (logs): the password is shown as `<redacted>`.
impl std::fmt::Debug for BootstrapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapConfig")
            .field("platform_name", &self.platform_name)
            .field("admin_login", &self.admin_login)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A URL with the password of its user part replaced by `<redacted>`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user, _)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:<redacted>@{}", &rest[user.len() + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Secrets never in Debug (logs): the password (and one written into the URL) redacted.
impl std::fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttConfig")
            .field("broker", &self.broker)
            .field("listen", &self.listen)
            .field("url", &self.url.as_deref().map(redact_url))
            .field("advertised_url", &redact_url(&self.advertised_url))
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_file", &self.password_file)
            .field("ca_file", &self.ca_file)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .finish()
    }
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            platform_name: "smsgate".into(),
            admin_login: "admin".into(),
            admin_password: None,
        }
    }
}

/// Longest accepted `api.idempotency_ttl_hours` (a year).
pub const MAX_IDEMPOTENCY_TTL_HOURS: u32 = 24 * 366;

/// Shortest accepted bootstrap password.
pub const MIN_PASSWORD_LEN: usize = 8;

fn is_mqtt_url(u: &str) -> bool {
    ["mqtt://", "mqtts://"]
        .iter()
        .any(|s| u.strip_prefix(s).is_some_and(|rest| !rest.is_empty()))
}

impl Validate for HubConfig {
    fn validate(&self, v: &mut Violations) {
        if self.storage.path.as_os_str().is_empty() {
            v.push("storage.path", "must not be empty");
        }
        if self.api.session_ttl_hours == 0 {
            v.push("api.session_ttl_hours", "must be greater than 0");
        }
        if !(1..=MAX_IDEMPOTENCY_TTL_HOURS).contains(&self.api.idempotency_ttl_hours) {
            v.push(
                "api.idempotency_ttl_hours",
                format!(
                    "must be between 1 and {MAX_IDEMPOTENCY_TTL_HOURS} (hours; 24 is a day, 720 thirty days)"
                ),
            );
        }
        let p = &self.passwords;
        if p.iterations == 0 {
            v.push("passwords.iterations", "must be at least 1");
        }
        if p.parallelism == 0 || p.parallelism > 64 {
            v.push("passwords.parallelism", "must be between 1 and 64");
        }
        if p.memory_kib < 8 * p.parallelism.max(1) {
            v.push(
                "passwords.memory_kib",
                "must be at least 8 KiB per lane (argon2 minimum)",
            );
        }
        match (&self.mqtt.broker, &self.mqtt.url) {
            (BrokerMode::External, None) => {
                v.push("mqtt.url", "required when mqtt.broker = \"external\"")
            }
            (_, Some(u)) if !is_mqtt_url(u) => v.push(
                "mqtt.url",
                format!("{u:?} is not an mqtt:// or mqtts:// URL"),
            ),
            _ => {}
        }
        if !is_mqtt_url(&self.mqtt.advertised_url) {
            v.push(
                "mqtt.advertised_url",
                format!(
                    "{:?} is not an mqtt:// or mqtts:// URL",
                    self.mqtt.advertised_url
                ),
            );
        }
        self.mqtt.validate_login_and_tls(v);
        if self.bootstrap.platform_name.trim().is_empty() {
            v.push("bootstrap.platform_name", "must not be empty");
        }
        let login = &self.bootstrap.admin_login;
        if login.trim().is_empty() || login.chars().any(char::is_whitespace) {
            v.push(
                "bootstrap.admin_login",
                "must be a non-empty login without spaces",
            );
        }
        if let Some(pw) = &self.bootstrap.admin_password
            && pw.chars().count() < MIN_PASSWORD_LEN
        {
            v.push(
                "bootstrap.admin_password",
                format!("must be at least {MIN_PASSWORD_LEN} characters"),
            );
        }
        self.smtp.validate(v);
    }
}

impl MqttConfig {
    /// The rules of the external broker login and of TLS on both sides.
    fn validate_login_and_tls(&self, v: &mut Violations) {
        let external = self.broker == BrokerMode::External;
        let empty_path = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.as_os_str().is_empty());
        for (key, value) in [
            ("mqtt.tls_cert", &self.tls_cert),
            ("mqtt.tls_key", &self.tls_key),
            ("mqtt.password_file", &self.password_file),
            ("mqtt.ca_file", &self.ca_file),
            ("mqtt.client_cert", &self.client_cert),
            ("mqtt.client_key", &self.client_key),
        ] {
            if empty_path(value) {
                v.push(key, "must not be empty");
            }
        }
        // The embedded broker's listener.
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            v.push("mqtt.tls_key", "tls_cert and tls_key go together");
        }
        if external && (self.tls_cert.is_some() || self.tls_key.is_some()) {
            v.push(
                "mqtt.tls_cert",
                "tls_cert and tls_key are for the embedded broker (broker = \"embedded\")",
            );
        }
        // The hub's login on an external broker; like `url`, these keys are ignored with the
        // embedded broker (so one file can switch modes by `broker` alone).
        if !external {
            return;
        }
        if let Some(u) = &self.username
            && (u.is_empty() || u.chars().any(|c| matches!(c, '#' | '+') || c.is_control()))
        {
            v.push(
                "mqtt.username",
                format!("{u:?} must be non-empty, without '#', '+' or control characters"),
            );
        }
        if self.password.as_deref() == Some("") {
            v.push("mqtt.password", "must not be empty");
        }
        if self.password.is_some() && self.password_file.is_some() {
            v.push(
                "mqtt.password_file",
                "give password or password_file, not both",
            );
        }
        let has_password = self.password.is_some() || self.password_file.is_some();
        if self.username.is_some() && !has_password {
            v.push(
                "mqtt.password",
                "required with mqtt.username (or password_file)",
            );
        }
        if self.username.is_none() && has_password {
            v.push(
                "mqtt.username",
                "required with mqtt.password or password_file",
            );
        }
        let tls_url = self
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("mqtts://"));
        if !tls_url && (self.ca_file.is_some() || self.client_cert.is_some()) {
            v.push("mqtt.url", "ca_file and client_cert need an mqtts:// URL");
        }
        if self.client_cert.is_some() != self.client_key.is_some() {
            v.push("mqtt.client_key", "client_cert and client_key go together");
        }
    }
}

impl HubConfig {
    /// Parses and validates `hub.toml` text.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        crate::load_str(text)
    }

    /// Reads, parses and validates a `hub.toml` file.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        crate::load_file(path)
    }

    /// The commented template built from [`HubConfig::default`].
    pub fn template() -> Result<String, TemplateError> {
        template::render(
            "smsgate hub configuration (generated from the built-in defaults).\nLines starting with \"# \" are optional settings; remove \"# \" to use them.",
            &HubConfig::default(),
            HUB_DOCS,
            &[],
        )
    }
}

/// Template documentation of every key, in output order.
pub const HUB_DOCS: &[KeyDoc] = &[
    doc(
        "storage",
        "Hub database (SQLite, WAL, versioned migrations).",
    ),
    doc(
        "storage.path",
        "Database file; created and migrated on start.",
    ),
    doc(
        "api",
        "REST API under /api/v1 (OpenAPI at /api/v1/openapi.json).",
    ),
    doc("api.listen", "Address and port to listen on."),
    doc(
        "api.session_ttl_hours",
        "Lifetime of a login session, in hours.",
    ),
    doc(
        "api.cookie_secure",
        "Mark the session cookie Secure; set to true when the API is served over HTTPS.",
    ),
    doc(
        "api.idempotency_ttl_hours",
        "How long the Idempotency-Key of a send or bulk send is remembered, in hours: a retry within it returns the first result, the same key after it sends again. Expired keys are deleted as they expire.",
    ),
    doc("passwords", "argon2id cost of user password hashes."),
    doc("passwords.memory_kib", "Memory per hash, KiB."),
    doc("passwords.iterations", "Passes over the memory."),
    doc("passwords.parallelism", "Lanes."),
    doc("mqtt", "MQTT link with the gateways."),
    doc(
        "mqtt.broker",
        "\"embedded\": the hub runs its own broker on mqtt.listen; \"external\": it connects to mqtt.url.",
    ),
    doc(
        "mqtt.listen",
        "Listen address of the embedded broker: loopback by default. For gateways on other machines listen on their network (\"0.0.0.0:8883\") with tls_cert and tls_key set, so passwords and messages never cross it in plain text.",
    ),
    doc_example(
        "mqtt.url",
        "External broker URL (mqtt:// or mqtts://), required with broker = \"external\".",
        "\"mqtts://broker.example.com:8883\"",
    ),
    doc(
        "mqtt.advertised_url",
        "Broker URL as gateways reach it; written into the config snippet of every newly registered gateway. With tls_cert/tls_key its scheme is always mqtts://.",
    ),
    doc_example(
        "mqtt.tls_cert",
        "Embedded broker only: PEM certificate chain of its listener. With tls_key the listener speaks TLS (mqtts://) only.",
        "\"/etc/smsgate/broker.pem\"",
    ),
    doc_example(
        "mqtt.tls_key",
        "Embedded broker only: PEM private key of tls_cert.",
        "\"/etc/smsgate/broker.key\"",
    ),
    doc_example(
        "mqtt.username",
        "External broker only: the hub's MQTT username. --mqtt-username / SMSGATE_HUB_MQTT_USERNAME override it.",
        "\"smsgate-hub\"",
    ),
    doc(
        "mqtt.password",
        "External broker only: the hub's MQTT password, e.g. password = \"change-me\" (prefer password_file; not both). --mqtt-password / SMSGATE_HUB_MQTT_PASSWORD override it.",
    ),
    doc_example(
        "mqtt.password_file",
        "External broker only: file holding the password, read at start (keeps the secret out of this file). Not with password.",
        "\"/etc/smsgate/hub-mqtt.password\"",
    ),
    doc_example(
        "mqtt.ca_file",
        "External mqtts:// broker only: PEM CA certificate(s) that signed its certificate. --mqtt-ca-file overrides it.",
        "\"/etc/smsgate/broker-ca.pem\"",
    ),
    doc_example(
        "mqtt.client_cert",
        "External mqtts:// broker only: PEM client certificate for mutual TLS (with client_key).",
        "\"/etc/smsgate/hub-client.pem\"",
    ),
    doc_example(
        "mqtt.client_key",
        "External mqtts:// broker only: PEM private key of client_cert.",
        "\"/etc/smsgate/hub-client.key\"",
    ),
    doc(
        "bootstrap",
        "Created on the first start only: the platform organisation and its first administrator.",
    ),
    doc(
        "bootstrap.platform_name",
        "Name of the platform operator organisation.",
    ),
    doc(
        "bootstrap.admin_login",
        "Login of the first platform administrator.",
    ),
    doc_example(
        "bootstrap.admin_password",
        "Password of the first administrator (at least 8 characters). Without it one is generated and printed once.",
        "\"change-me-please\"",
    ),
    doc(
        "smtp",
        "E-mail notifications (waiting customers). Without host, e-mail is off; SMS notifications still go out.",
    ),
    doc_example("smtp.host", "SMTP server.", "\"smtp.example.com\""),
    doc("smtp.port", "587 for STARTTLS, 465 for TLS."),
    doc(
        "smtp.security",
        "\"starttls\" (required upgrade), \"tls\" (implicit TLS, SMTPS) or \"none\" (a local relay only: a login without TLS is refused unless host is loopback).",
    ),
    doc_example(
        "smtp.username",
        "Login (AUTH PLAIN/LOGIN), with password or password_file.",
        "\"notifications@example.com\"",
    ),
    doc(
        "smtp.password",
        "The login's password, e.g. password = \"change-me\" (prefer password_file; not both).",
    ),
    doc_example(
        "smtp.password_file",
        "File holding the password, read at start.",
        "\"/etc/smsgate/smtp.password\"",
    ),
    doc("smtp.from", "Sender of the notifications (Name <address>)."),
    doc_example(
        "smtp.ca_file",
        "Extra CA certificate(s) (PEM) trusted for the server, e.g. a private relay's.",
        "\"/etc/smsgate/smtp-ca.pem\"",
    ),
    doc(
        "smtp.timeout_s",
        "Seconds to wait for the server (one whole e-mail is given at most twice this).",
    ),
    doc("transcripts", "Conversation transcripts (PDF)."),
    doc(
        "transcripts.font",
        "TrueType font the PDF is written with (Debian: fonts-dejavu-core).",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match HubConfig::from_toml_str(text) {
            Err(ConfigError::Invalid(v)) => v.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
            Ok(_) => vec![],
        }
    }

    #[test]
    fn secrets_of_the_hub_config_never_show_in_debug() {
        let c = HubConfig::from_toml_str(
            r#"
[mqtt]
broker = "external"
url = "mqtts://hub:url-secret-1@broker.example:8883"
username = "hub"
password = "mqtt-secret-2"
[bootstrap]
admin_password = "admin-secret-3"
[smtp]
host = "smtp.example"
username = "mail"
password = "smtp-secret-4"
from = "hub@example.com"
"#,
        )
        .unwrap();
        let shown = format!("{c:?} {c:#?}");
        for secret in [
            "url-secret-1",
            "mqtt-secret-2",
            "admin-secret-3",
            "smtp-secret-4",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains("broker.example:8883"), "{shown}");
        assert_eq!(redact_url("mqtt://broker:1883"), "mqtt://broker:1883");
    }

    #[test]
    fn an_empty_file_gives_the_defaults_and_is_valid() {
        let c = HubConfig::from_toml_str("").unwrap();
        assert_eq!(c, HubConfig::default());
        assert_eq!(c.api.listen.to_string(), "127.0.0.1:8090");
        assert_eq!(c.mqtt.broker, BrokerMode::Embedded);
    }

    #[test]
    fn the_template_parses_back_to_the_defaults() {
        let t = HubConfig::template().unwrap();
        assert!(t.contains("[mqtt]"), "{t}");
        assert_eq!(HubConfig::from_toml_str(&t).unwrap(), HubConfig::default());
    }

    #[test]
    fn the_template_with_its_optional_keys_uncommented_is_valid() {
        let t = HubConfig::template().unwrap();
        let uncommented: String = t
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        let c = HubConfig::from_toml_str(&uncommented).unwrap();
        assert_eq!(
            c.mqtt.url.as_deref(),
            Some("mqtts://broker.example.com:8883")
        );
        assert_eq!(
            c.bootstrap.admin_password.as_deref(),
            Some("change-me-please")
        );
        assert!(c.mqtt.embedded_tls());
        assert_eq!(
            c.mqtt.password_file.as_deref(),
            Some(std::path::Path::new("/etc/smsgate/hub-mqtt.password"))
        );
        // The same file switched to the external broker is valid too.
        let external = uncommented
            .replace("broker = \"embedded\"", "broker = \"external\"")
            .replace("tls_cert =", "# tls_cert =")
            .replace("tls_key =", "# tls_key =");
        let c = HubConfig::from_toml_str(&external).unwrap();
        assert_eq!(c.mqtt.broker, BrokerMode::External);
        assert_eq!(c.mqtt.username.as_deref(), Some("smsgate-hub"));
    }

    #[test]
    fn the_embedded_broker_listens_on_loopback_unless_configured_and_the_template_shows_tls() {
        let c = HubConfig::from_toml_str("").unwrap();
        assert!(c.mqtt.listen.ip().is_loopback(), "{}", c.mqtt.listen);
        let t = HubConfig::template().unwrap();
        assert!(t.contains("listen = \"127.0.0.1:1883\""), "{t}");
        assert!(t.contains("# tls_cert = "), "{t}");
        assert!(t.contains("# tls_key = "), "{t}");
    }

    #[test]
    fn with_embedded_tls_the_advertised_url_becomes_mqtts() {
        let c = HubConfig::from_toml_str(
            "[mqtt]\nadvertised_url = \"mqtt://hub.example:8883\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n",
        )
        .unwrap();
        assert_eq!(
            c.mqtt.effective_advertised_url(),
            "mqtts://hub.example:8883"
        );
        let plain = HubConfig::default();
        assert_eq!(
            plain.mqtt.effective_advertised_url(),
            "mqtt://127.0.0.1:1883"
        );
    }

    #[test]
    fn tls_cert_without_tls_key_names_tls_key() {
        let p = problems("[mqtt]\ntls_cert = \"c.pem\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.tls_key:"), "{p:?}");
        let p = problems("[mqtt]\ntls_key = \"k.pem\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.tls_key:"), "{p:?}");
    }

    #[test]
    fn listener_tls_with_an_external_broker_names_tls_cert() {
        let p = problems(
            "[mqtt]\nbroker = \"external\"\nurl = \"mqtt://b:1883\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.tls_cert:"), "{p:?}");
    }

    #[test]
    fn empty_file_paths_are_named() {
        let p = problems("[mqtt]\ntls_cert = \"\"\ntls_key = \"\"\n");
        assert!(p.iter().any(|l| l.starts_with("mqtt.tls_cert:")), "{p:?}");
        assert!(p.iter().any(|l| l.starts_with("mqtt.tls_key:")), "{p:?}");
        let p = problems(
            "[mqtt]\nbroker = \"external\"\nurl = \"mqtts://b\"\nusername = \"u\"\npassword_file = \"\"\nca_file = \"\"\n",
        );
        assert!(
            p.iter().any(|l| l.starts_with("mqtt.password_file:")),
            "{p:?}"
        );
        assert!(p.iter().any(|l| l.starts_with("mqtt.ca_file:")), "{p:?}");
    }

    const EXTERNAL: &str = "[mqtt]\nbroker = \"external\"\nurl = \"mqtts://broker:8883\"\n";

    fn external_problems(extra: &str) -> Vec<String> {
        problems(&format!("{EXTERNAL}{extra}"))
    }

    #[test]
    fn a_complete_external_login_is_valid() {
        let c = HubConfig::from_toml_str(&format!(
            "{EXTERNAL}username = \"hub\"\npassword_file = \"/run/pw\"\nca_file = \"ca.pem\"\nclient_cert = \"c.pem\"\nclient_key = \"k.pem\"\n"
        ))
        .unwrap();
        assert_eq!(c.mqtt.username.as_deref(), Some("hub"));
        assert!(external_problems("username = \"hub\"\npassword = \"secret\"\n").is_empty());
    }

    #[test]
    fn a_username_without_password_names_password() {
        let p = external_problems("username = \"hub\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.password:"), "{p:?}");
    }

    #[test]
    fn a_password_without_username_names_username() {
        for extra in ["password = \"secret\"\n", "password_file = \"/run/pw\"\n"] {
            let p = external_problems(extra);
            assert_eq!(p.len(), 1, "{extra}: {p:?}");
            assert!(p[0].starts_with("mqtt.username:"), "{p:?}");
        }
    }

    #[test]
    fn password_and_password_file_together_name_password_file() {
        let p = external_problems(
            "username = \"hub\"\npassword = \"secret\"\npassword_file = \"/run/pw\"\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.password_file:"), "{p:?}");
    }

    #[test]
    fn an_empty_password_or_a_wildcard_username_is_named() {
        let p = external_problems("username = \"hub\"\npassword = \"\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.password:"), "{p:?}");
        let p = external_problems("username = \"h#b\"\npassword = \"x\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.username:"), "{p:?}");
    }

    #[test]
    fn client_cert_without_client_key_names_client_key() {
        let p = external_problems("client_cert = \"c.pem\"\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.client_key:"), "{p:?}");
    }

    #[test]
    fn tls_files_with_a_plain_external_url_name_url() {
        let p = problems(
            "[mqtt]\nbroker = \"external\"\nurl = \"mqtt://broker:1883\"\nca_file = \"ca.pem\"\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("mqtt.url:"), "{p:?}");
    }

    #[test]
    fn every_key_of_the_config_has_a_comment_in_the_template() {
        let mut full = HubConfig::default();
        full.mqtt.url = Some("mqtt://x:1".into());
        full.bootstrap.admin_password = Some("long enough".into());
        full.mqtt.tls_cert = Some("c.pem".into());
        full.mqtt.tls_key = Some("k.pem".into());
        full.mqtt.username = Some("hub".into());
        full.mqtt.password = Some("pw".into());
        full.mqtt.password_file = Some("pw.txt".into());
        full.mqtt.ca_file = Some("ca.pem".into());
        full.mqtt.client_cert = Some("cc.pem".into());
        full.mqtt.client_key = Some("ck.pem".into());
        assert_eq!(
            template::undocumented_keys(&full, HUB_DOCS, &[]).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_path() {
        let p = problems("[api]\nlisten = \"127.0.0.1:1\"\nport = 3\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("api") && p[0].contains("port"), "{p:?}");
    }

    #[test]
    fn an_external_broker_without_url_and_other_problems_are_all_named() {
        let p = problems(
            r#"
[api]
session_ttl_hours = 0
idempotency_ttl_hours = 0
[passwords]
memory_kib = 4
iterations = 0
[mqtt]
broker = "external"
advertised_url = "http://x"
[bootstrap]
admin_login = "two words"
admin_password = "short"
"#,
        );
        for key in [
            "api.session_ttl_hours",
            "api.idempotency_ttl_hours",
            "passwords.memory_kib",
            "passwords.iterations",
            "mqtt.url",
            "mqtt.advertised_url",
            "bootstrap.admin_login",
            "bootstrap.admin_password",
        ] {
            assert!(
                p.iter().any(|l| l.starts_with(&format!("{key}:"))),
                "{key} missing from {p:?}"
            );
        }
        assert_eq!(p.len(), 8, "{p:?}");
    }

    #[test]
    fn an_idempotency_ttl_out_of_range_names_its_key_and_the_template_shows_the_default() {
        for bad in ["0", "100000"] {
            let p = problems(&format!("[api]\nidempotency_ttl_hours = {bad}\n"));
            assert_eq!(p.len(), 1, "{p:?}");
            assert!(p[0].starts_with("api.idempotency_ttl_hours:"), "{p:?}");
        }
        assert!(problems("[api]\nidempotency_ttl_hours = 720\n").is_empty());
        assert_eq!(HubConfig::default().api.idempotency_ttl_hours, 24);
        let t = HubConfig::template().unwrap();
        assert!(t.contains("idempotency_ttl_hours = 24"), "{t}");
    }

    #[test]
    fn a_bad_broker_url_names_its_key() {
        let p = problems("[mqtt]\nbroker = \"external\"\nurl = \"tcp://x\"\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("mqtt.url:"), "{p:?}");
    }
}
