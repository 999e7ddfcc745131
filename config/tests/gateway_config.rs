//! Gateway config: defaults, the template built from them, and validation errors naming keys.

use smsgate_config::gateway::{Device, GATEWAY_DOCS, Strategy, Vendor, template_examples};
use smsgate_config::{ConfigError, GatewayConfig, template};

const FULL: &str = r#"
[storage]
path = "/tmp/spool.sqlite"

[api]
listen = "127.0.0.1:9000"
token = "0123456789abcdef"

[[ports]]
id = 0
device = "/dev/ttyUSB0"
profile = "huawei"
pin = "1234"

[[ports]]
id = 1
device = "tcp://10.0.0.5:56011"
password = "secret"
module = 3
profile = "dinstar"

[[dinstar_http]]
url = "http://10.0.0.6"
user = "admin"
password = "admin"
ports = "0-3"
first_id = 10

[[groups]]
name = "bulk"
ports = "(0.1),10-13"
strategy = "sticky"
interval_ms = 50
jitter_ms = 10
max_per_hour = 100
max_per_day = 1000
sending_hours = "08:00-20:00"
timezone = "America/New_York"
"#;

fn problems(text: &str) -> Vec<String> {
    match GatewayConfig::from_toml_str(text) {
        Err(ConfigError::Invalid(v)) => v.iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
        Ok(_) => vec![],
    }
}

#[test]
fn an_empty_file_gives_the_defaults_and_is_valid() {
    let c = GatewayConfig::from_toml_str("").unwrap();
    assert_eq!(c, GatewayConfig::default());
    assert_eq!(c.api.listen.to_string(), "127.0.0.1:8080");
    assert!(c.api.token.is_none());
}

#[test]
fn a_full_config_parses_into_typed_values() {
    let c = GatewayConfig::from_toml_str(FULL).unwrap();
    assert_eq!(c.ports[0].baud, 115_200);
    assert_eq!(c.ports[0].profile, Vendor::Huawei);
    assert_eq!(
        c.ports[1].device,
        Device::Tcp {
            host: "10.0.0.5".into(),
            port: 56011
        }
    );
    let g = c.group("bulk").unwrap();
    assert_eq!(g.ports.ports(), &[0, 1, 10, 11, 12, 13]);
    assert_eq!(g.strategy, Strategy::Sticky);
    assert_eq!(g.timezone.0, chrono_tz::America::New_York);
    assert_eq!(g.sending_hours.unwrap().to_string(), "08:00-20:00");
    assert_eq!(c.port_ids().len(), 6);
}

#[test]
fn the_template_is_rendered_from_the_defaults_and_parses_back_to_them() {
    let t = GatewayConfig::template().unwrap();
    let c = GatewayConfig::from_toml_str(&t).unwrap();
    assert_eq!(c, GatewayConfig::default());
    assert!(t.contains("listen = \"127.0.0.1:8080\""), "{t}");
    assert!(t.contains("command_timeout_ms = 10000"), "{t}");
}

#[test]
fn the_template_with_every_example_uncommented_is_a_valid_config() {
    let t = GatewayConfig::template().unwrap();
    let uncommented: String = t
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .filter(|l| *l != "#")
        .collect::<Vec<_>>()
        .join("\n");
    let c =
        GatewayConfig::from_toml_str(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    assert_eq!(c.ports.len(), 2);
    assert_eq!(c.dinstar_http.len(), 1);
    assert_eq!(c.groups[0].max_per_hour, Some(100));
    assert_eq!(
        c.api.token.as_deref(),
        Some("change-me-to-a-long-random-secret")
    );
}

#[test]
fn every_key_of_the_config_has_a_comment_in_the_template() {
    let mut full = GatewayConfig::from_toml_str(FULL).unwrap();
    full.ussd.balance_code = Some("*100#".into());
    let missing =
        template::undocumented_keys(&full, GATEWAY_DOCS, &template_examples().unwrap()).unwrap();
    assert!(missing.is_empty(), "undocumented keys: {missing:?}");
}

#[test]
fn unknown_keys_are_rejected_with_their_path() {
    let e = GatewayConfig::from_toml_str("[api]\nlisten = \"127.0.0.1:1\"\ntokn = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("api") && e.contains("tokn"), "{e}");
}

#[test]
fn a_bad_typed_value_names_its_key_path() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n[[groups]]\nname = \"a\"\nports = \"0-\"\n",
            "groups[0].ports",
            "expected a port number at column 3",
        ),
        (
            "[[ports]]\nid = 0\ndevice = \"ttyUSB0\"\n",
            "ports[0].device",
            "absolute serial path",
        ),
        (
            "[[ports]]\nid = 0\ndevice = \"tcp://host\"\n",
            "ports[0].device",
            "needs a port",
        ),
        (
            "[[ports]]\nid = 0\ndevice = \"/dev/x\"\nprofile = \"nokia\"\n",
            "ports[0].profile",
            "nokia",
        ),
        (
            "[[ports]]\nid = 0\ndevice = \"/dev/x\"\n[[groups]]\nname = \"a\"\nports = \"0\"\ntimezone = \"Mars/Olympus\"\n",
            "groups[0].timezone",
            "unknown time zone",
        ),
        (
            "[[ports]]\nid = 0\ndevice = \"/dev/x\"\n[[groups]]\nname = \"a\"\nports = \"0\"\nsending_hours = \"8-20\"\n",
            "groups[0].sending_hours",
            "is not a HH:MM time",
        ),
        (
            "[[ports]]\nid = 0\ndevice = \"/dev/x\"\n[[groups]]\nname = \"a\"\nports = \"0\"\nstrategy = \"random\"\n",
            "groups[0].strategy",
            "random",
        ),
        (
            "[[ports]]\ndevice = \"/dev/x\"\n",
            "ports[0]",
            "missing field `id`",
        ),
        ("[api]\nlisten = \"nowhere\"\n", "api.listen", "invalid"),
    ];
    for (text, path, msg) in cases {
        match GatewayConfig::from_toml_str(text) {
            Err(ConfigError::Parse { path: p, message }) => {
                assert_eq!(p, *path, "for {text:?}: {message}");
                assert!(message.contains(msg), "for {text:?}: {message}");
            }
            other => panic!("for {text:?}: expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn cross_key_problems_are_all_reported_with_their_key_paths() {
    let base = "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n";
    let cases: &[(&str, &str)] = &[
        (
            "[[groups]]\nname = \"a\"\nports = \"0\"\n[[groups]]\nname = \"b\"\nports = \"0,7\"\n",
            "groups[1].ports: port 7 is not defined in [[ports]] or [[dinstar_http]]",
        ),
        (
            "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB1\"\n",
            "ports[1].id: port 0 is already defined by ports[0]",
        ),
        (
            "[[ports]]\nid = 1\ndevice = \"tcp://h:1\"\n",
            "ports[1].password: required for a tcp:// device",
        ),
        (
            "[[ports]]\nid = 1\ndevice = \"/dev/x\"\nmodule = 2\n",
            "ports[1].module: only used with tcp:// devices",
        ),
        (
            "[[ports]]\nid = 1\ndevice = \"/dev/x\"\nbaud = 12345\n",
            "ports[1].baud: 12345 is not a standard serial speed",
        ),
        (
            "[[ports]]\nid = 1\ndevice = \"/dev/x\"\npin = \"12a4\"\n",
            "ports[1].pin: must be 4 to 8 digits",
        ),
        (
            "[[ports]]\nid = 1\ndevice = \"/dev/x\"\nsmsc = \"abc\"\n",
            "ports[1].smsc: \"abc\" is not a phone number",
        ),
        (
            "[[ports]]\nid = 2000\ndevice = \"/dev/x\"\n",
            "ports[1].id: 2000 is above the highest port id 1023",
        ),
        (
            "[[dinstar_http]]\nurl = \"http://d\"\nuser = \"u\"\npassword = \"p\"\nports = \"0-1\"\n",
            "dinstar_http[0].ports: Dinstar port 0 gives gateway port 0, already defined by ports[0]",
        ),
        (
            "[[dinstar_http]]\nurl = \"d\"\nuser = \"u\"\npassword = \"p\"\nports = \"0\"\nfirst_id = 5\n",
            "dinstar_http[0].url: \"d\" must start with http:// or https://",
        ),
        (
            "[[groups]]\nname = \"a\"\nports = \"0\"\n[[groups]]\nname = \"a\"\nports = \"0\"\n",
            "groups[1].name: group \"a\" is already defined by groups[0]",
        ),
        (
            "[[groups]]\nname = \" \"\nports = \"0\"\n",
            "groups[0].name: must not be empty",
        ),
        (
            "[[groups]]\nname = \"a\"\nports = \"0\"\nmax_per_hour = 0\n",
            "groups[0].max_per_hour: 0 would never send",
        ),
        (
            "[[groups]]\nname = \"a\"\nports = \"0\"\nmax_per_hour = 50\nmax_per_day = 10\n",
            "groups[0].max_per_hour: 50 is more than max_per_day (10)",
        ),
        (
            "[[groups]]\nname = \"a\"\nports = \"0\"\nmax_per_hour = 50\nmax_per_month = 10\n",
            "groups[0].max_per_hour: 50 is more than max_per_month (10)",
        ),
        (
            "[api]\ntoken = \"short\"\n",
            "api.token: must be at least 16 characters",
        ),
        (
            "[storage]\npath = \"\"\n",
            "storage.path: must not be empty",
        ),
        (
            "[inbound]\nsweep_interval_ms = 0\n",
            "inbound.sweep_interval_ms: must be greater than 0",
        ),
        (
            "[ussd]\nbalance_code = \"balance\"\n",
            "ussd.balance_code: \"balance\" is not a USSD code",
        ),
        (
            "[ussd]\nbalance_interval_min = 60\n",
            "ussd.balance_interval_min: scheduled balance checks need ussd.balance_code",
        ),
        (
            "[supervision]\nbench_backoff_ms = 10\nbench_backoff_max_ms = 5\n",
            "supervision.bench_backoff_max_ms: 5 is shorter than supervision.bench_backoff_ms (10)",
        ),
        (
            "[supervision]\nsend_timeout_ms = 0\n",
            "supervision.send_timeout_ms: must be greater than 0",
        ),
    ];
    for (extra, want) in cases {
        let text = format!("{base}{extra}");
        let got = problems(&text);
        assert!(
            got.iter().any(|g| g.starts_with(want)),
            "for {extra:?}: got {got:?}, want {want:?}"
        );
    }
}

#[test]
fn several_problems_are_reported_together_and_nothing_is_returned() {
    let text = "[api]\ntoken = \"x\"\n[[groups]]\nname = \"a\"\nports = \"3\"\n";
    let got = problems(text);
    assert_eq!(got.len(), 2, "{got:?}");
    let e = GatewayConfig::from_toml_str(text).unwrap_err().to_string();
    assert!(e.starts_with("invalid config (2 problems):"), "{e}");
}

#[test]
fn a_config_file_is_loaded_from_disk_and_a_missing_one_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, FULL).unwrap();
    assert_eq!(GatewayConfig::load(&path).unwrap().groups.len(), 1);
    let e = GatewayConfig::load(&dir.path().join("nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope.toml"), "{e}");
}

#[test]
fn the_spool_retention_defaults_to_30_days_and_must_be_1_to_3650() {
    let c = GatewayConfig::from_toml_str("").unwrap();
    assert_eq!(c.storage.retention_days, 30);
    let ok = GatewayConfig::from_toml_str("[storage]\nretention_days = 7\n").unwrap();
    assert_eq!(ok.storage.retention_days, 7);
    for bad in [0, 3651] {
        let p = problems(&format!("[storage]\nretention_days = {bad}\n"));
        assert!(
            p.iter().any(|l| l.contains("storage.retention_days")),
            "{bad}: {p:?}"
        );
    }
}
