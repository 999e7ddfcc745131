//! `smsgate hub config …` and `smsgate demo init` through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::process::{Command, Output};

fn smsgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .args(args)
        .output()
        .expect("run smsgate")
}

#[test]
fn the_hub_template_passes_the_hub_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let t = smsgate(&["hub", "config", "template"]);
    assert!(t.status.success());
    let path = dir.path().join("hub.toml");
    std::fs::write(&path, &t.stdout).unwrap();
    let check = smsgate(&["hub", "config", "check", path.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn a_bad_hub_config_names_the_key_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.toml");
    std::fs::write(&path, "[mqtt]\nbroker = \"external\"\n").unwrap();
    let out = smsgate(&["hub", "--config", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mqtt.url"), "{err}");
}

#[test]
fn an_external_broker_needs_the_hubs_mqtt_login_in_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.toml");
    std::fs::write(
        &path,
        "[mqtt]\nbroker = \"external\"\nurl = \"mqtt://127.0.0.1:1\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .args(["hub", "--config", path.to_str().unwrap()])
        .env("SMSGATE_HUB_MQTT_USERNAME", "hub")
        .env_remove("SMSGATE_HUB_MQTT_PASSWORD")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--mqtt-password"), "{err}");
}

#[test]
fn demo_init_writes_a_valid_deployment_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let data = data.to_str().unwrap();
    let out = smsgate(&["demo", "init", "--data", data, "--port-base", "41000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["sim_numbers"].as_array().unwrap().len(), 4);
    assert_eq!(info["hub_api"], "http://127.0.0.1:41000");
    for (cmd, key) in [("hub", "hub_config"), ("gateway", "gateway_config")] {
        let check = smsgate(&[cmd, "config", "check", info[key].as_str().unwrap()]);
        assert!(
            check.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let again = smsgate(&["demo", "init", "--data", data]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a demo"));
}

#[test]
fn demo_init_creates_every_file_holding_secrets_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = smsgate(&[
        "demo",
        "init",
        "--data",
        data.to_str().unwrap(),
        "--port-base",
        "41100",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["demo.json", "gateway.toml", "hub.toml", "hub.sqlite"] {
        let mode = std::fs::metadata(data.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
}
