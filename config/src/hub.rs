//! The cloud hub's configuration (`hub.toml`).
//!
//! Sections: `[storage]` (SQLite database), `[api]` (REST API listener, sessions),
//! `[passwords]` (argon2id cost), `[mqtt]` (embedded broker or external broker URL, and the URL
//! written into gateway config snippets), `[bootstrap]` (the platform organisation and its first
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
}

impl Default for HubApiConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            session_ttl_hours: 12,
            cookie_secure: false,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// registered gateway.
    pub advertised_url: String,
}

impl Default for MqttConfig {
    fn default() -> Self {
        Self {
            broker: BrokerMode::Embedded,
            listen: SocketAddr::from(([0, 0, 0, 0], 1883)),
            url: None,
            advertised_url: "mqtt://127.0.0.1:1883".into(),
        }
    }
}

/// `[bootstrap]`: created on the first start only (an existing database is left as is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            platform_name: "smsgate".into(),
            admin_login: "admin".into(),
            admin_password: None,
        }
    }
}

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
    doc("passwords", "argon2id cost of user password hashes."),
    doc("passwords.memory_kib", "Memory per hash, KiB."),
    doc("passwords.iterations", "Passes over the memory."),
    doc("passwords.parallelism", "Lanes."),
    doc("mqtt", "MQTT link with the gateways."),
    doc(
        "mqtt.broker",
        "\"embedded\": the hub runs its own broker on mqtt.listen; \"external\": it connects to mqtt.url.",
    ),
    doc("mqtt.listen", "Listen address of the embedded broker."),
    doc_example(
        "mqtt.url",
        "External broker URL (mqtt:// or mqtts://), required with broker = \"external\".",
        "\"mqtts://broker.example.com:8883\"",
    ),
    doc(
        "mqtt.advertised_url",
        "Broker URL as gateways reach it; written into the config snippet of every newly registered gateway.",
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
    }

    #[test]
    fn every_key_of_the_config_has_a_comment_in_the_template() {
        let mut full = HubConfig::default();
        full.mqtt.url = Some("mqtt://x:1".into());
        full.bootstrap.admin_password = Some("long enough".into());
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
        assert_eq!(p.len(), 7, "{p:?}");
    }

    #[test]
    fn a_bad_broker_url_names_its_key() {
        let p = problems("[mqtt]\nbroker = \"external\"\nurl = \"tcp://x\"\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("mqtt.url:"), "{p:?}");
    }
}
