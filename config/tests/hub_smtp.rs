//! The hub's `[smtp]` section: a complete section parses to what it says, and every bad value
//! is refused naming its key (`smtp.<field>`), all problems at once.

use std::path::PathBuf;

use smsgate_config::ConfigError;
use smsgate_config::hub::HubConfig;
use smsgate_config::smtp::SmtpSecurity;

/// The keys named by the problems of `text`, or by its parse error.
fn named(text: &str) -> Vec<String> {
    match HubConfig::from_toml_str(text) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid(v)) => v.into_iter().map(|v| v.path).collect(),
        Err(ConfigError::Parse { path, message }) => vec![format!("parse {path}: {message}")],
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn a_complete_smtp_section_parses_to_what_it_says() {
    let c = HubConfig::from_toml_str(
        r#"
[smtp]
host = "mail.example.com"
port = 465
security = "tls"
username = "hub@example.com"
password_file = "/etc/smsgate/smtp-password"
from = "Acme notifications <hub@example.com>"
ca_file = "/etc/smsgate/relay-ca.pem"
timeout_s = 12
"#,
    )
    .unwrap();
    let s = &c.smtp;
    assert_eq!(s.host.as_deref(), Some("mail.example.com"));
    assert_eq!(s.port, 465);
    assert_eq!(s.security, SmtpSecurity::Tls);
    assert_eq!(s.username.as_deref(), Some("hub@example.com"));
    assert_eq!(s.password, None);
    assert_eq!(
        s.password_file,
        Some(PathBuf::from("/etc/smsgate/smtp-password"))
    );
    assert_eq!(s.from, "Acme notifications <hub@example.com>");
    assert_eq!(s.ca_file, Some(PathBuf::from("/etc/smsgate/relay-ca.pem")));
    assert_eq!(s.timeout_s, 12);
    for (word, security) in [
        ("starttls", SmtpSecurity::Starttls),
        ("tls", SmtpSecurity::Tls),
        ("none", SmtpSecurity::None),
    ] {
        let c = HubConfig::from_toml_str(&format!(
            "[smtp]\nhost = \"127.0.0.1\"\nsecurity = \"{word}\"\n"
        ))
        .unwrap();
        assert_eq!(c.smtp.security, security, "{word}");
    }
}

#[test]
fn without_a_host_email_is_off_and_the_defaults_are_starttls_on_587() {
    let c = HubConfig::from_toml_str("").unwrap();
    assert_eq!(c.smtp.host, None);
    assert_eq!(
        (c.smtp.port, c.smtp.security),
        (587, SmtpSecurity::Starttls)
    );
    assert_eq!(c.smtp.timeout_s, 30);
}

#[test]
fn each_bad_value_is_named_by_its_field() {
    let cases: &[(&str, &str)] = &[
        ("host = \"\"", "smtp.host"),
        ("host = \"mail example com\"", "smtp.host"),
        ("host = \"m\"\nport = 0", "smtp.port"),
        ("host = \"m\"\ntimeout_s = 0", "smtp.timeout_s"),
        ("host = \"m\"\nfrom = \"nobody\"", "smtp.from"),
        ("host = \"m\"\nfrom = \"<@>\"", "smtp.from"),
        ("host = \"m\"\nusername = \"u\"", "smtp.username"),
        ("host = \"m\"\npassword = \"p\"", "smtp.username"),
        (
            "host = \"m\"\nusername = \"\"\npassword = \"p\"",
            "smtp.username",
        ),
        (
            "host = \"m\"\nusername = \"u\"\npassword = \"\"",
            "smtp.password",
        ),
        (
            "host = \"m\"\nusername = \"u\"\npassword = \"p\"\npassword_file = \"/f\"",
            "smtp.password_file",
        ),
        (
            "host = \"m\"\nusername = \"u\"\npassword_file = \"\"",
            "smtp.password_file",
        ),
        ("host = \"m\"\nca_file = \"\"", "smtp.ca_file"),
        (
            "host = \"m\"\nsecurity = \"none\"\nca_file = \"/ca.pem\"",
            "smtp.ca_file",
        ),
        // A password in the clear to a remote server.
        (
            "host = \"mail.example.com\"\nsecurity = \"none\"\nusername = \"u\"\npassword = \"p\"",
            "smtp.security",
        ),
    ];
    for (body, key) in cases {
        let got = named(&format!("[smtp]\n{body}\n"));
        assert_eq!(got, vec![key.to_string()], "[smtp] {body:?}");
    }
    // Type errors and unknown keys are named by the parser.
    for (body, key) in [
        ("security = \"ssl\"", "smtp.security"),
        ("port = 70000", "smtp.port"),
        ("port = \"587\"", "smtp.port"),
        ("passwd = \"p\"", "smtp"),
    ] {
        let got = named(&format!("[smtp]\n{body}\n"));
        assert_eq!(got.len(), 1, "{body}: {got:?}");
        assert!(
            got[0].starts_with(&format!("parse {key}")),
            "{body}: {got:?}"
        );
    }
}

#[test]
fn every_problem_of_the_section_is_reported_at_once() {
    let got = named("[smtp]\nhost = \"a b\"\nport = 0\nfrom = \"x\"\ntimeout_s = 0\n");
    assert_eq!(
        got,
        vec!["smtp.host", "smtp.port", "smtp.from", "smtp.timeout_s"]
    );
}

#[test]
fn a_plain_login_to_a_local_relay_is_allowed() {
    for host in ["127.0.0.1", "localhost", "::1"] {
        let text = format!(
            "[smtp]\nhost = \"{host}\"\nsecurity = \"none\"\nusername = \"u\"\npassword = \"p\"\n"
        );
        assert_eq!(named(&text), Vec::<String>::new(), "{host}");
    }
}
