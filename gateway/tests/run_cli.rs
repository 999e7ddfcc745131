//! The `smsgate-gateway` binary: `config template` prints a config that loads; a bad config is
//! refused with the key named and nothing starts (no spool file is created).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_smsgate-gateway");

#[test]
fn config_template_prints_a_commented_config_that_loads() {
    let out = Command::new(BIN)
        .args(["config", "template"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("[storage]") && text.contains("[supervision]"),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, &text).unwrap();
    let check = Command::new(BIN)
        .args(["config", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn a_bad_config_names_the_key_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool.sqlite");
    let path = dir.path().join("gateway.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\npath = {:?}\n\n[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\nbaud = 12345\n",
            spool.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ports[0].baud"), "{err}");
    assert!(!spool.exists(), "nothing started");
}

#[test]
fn without_a_config_the_binary_says_what_it_needs() {
    let out = Command::new(BIN).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config"));
}
