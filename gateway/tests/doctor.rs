//! `smsgate-gateway doctor`, the real binary against simulated modems on real ptys and real
//! TCP listeners standing in for the hub's broker.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod run_support;

use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, PortConfig};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_smsgate-gateway");

/// Writes `config` to `dir/gateway.toml` (0640) and runs the doctor on it.
fn doctor(dir: &Path, config: &GatewayConfig) -> (i32, String) {
    let path = dir.join("gateway.toml");
    std::fs::write(&path, toml::to_string(config).unwrap()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    run(&path)
}

fn run(path: &Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args([
            "doctor",
            "--at-timeout",
            "2",
            "--connect-timeout",
            "2",
            "--config",
        ])
        .arg(path)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn with_cloud(c: &mut GatewayConfig, url: String) {
    c.cloud.url = Some(url);
    c.cloud.gateway_id = Some("gw-doctor".into());
    c.cloud.password = Some("secret-password".into());
}

/// A port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_box_passes_every_check_and_exits_zero() {
    let t = run_support::lab(2, |_| {});
    let mut c = run_support::config(&t, &t.dir.path().join("spool.sqlite"), "0-1", 0);
    let broker = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    with_cloud(
        &mut c,
        format!("mqtt://127.0.0.1:{}", broker.local_addr().unwrap().port()),
    );
    let dir = t.dir.path().to_path_buf();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&dir, &c))
        .await
        .unwrap();
    assert_eq!(code, 0, "{text}");
    for line in [
        "ok    config",
        "ok    spool",
        "ok    port 0 device",
        "ok    port 1 device",
        "ok    port 0 modem",
        "ok    port 1 modem",
        "ok    cloud",
        "no problems found",
    ] {
        assert!(text.contains(line), "{line:?} missing in:\n{text}");
    }
    assert!(text.contains("answers AT with OK"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_device_and_an_unreachable_broker_are_named_with_what_to_fix() {
    let t = run_support::lab(1, |_| {});
    let mut c = run_support::config(&t, &t.dir.path().join("spool.sqlite"), "0", 0);
    let gone = t.dir.path().join("ttyUSB7");
    c.ports
        .push(PortConfig::new(1, Device::Serial(gone.clone())));
    let port = closed_port();
    with_cloud(&mut c, format!("mqtt://127.0.0.1:{port}"));
    let dir = t.dir.path().to_path_buf();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&dir, &c))
        .await
        .unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("ok    port 0 modem"), "{text}");
    assert!(
        text.contains(&format!(
            "FAIL  port 1 device      {} does not exist",
            gone.display()
        )),
        "{text}"
    );
    assert!(text.contains("fix: plug the modem in"), "{text}");
    assert!(text.contains("FAIL  port 1 modem"), "{text}");
    assert!(
        text.contains(&format!(
            "FAIL  cloud              cannot connect to the hub's broker at 127.0.0.1:{port}"
        )),
        "{text}"
    );
    assert!(text.contains("fix: check cloud.url"), "{text}");
    assert!(text.contains("3 problem(s) found"), "{text}");
}

/// A CA and a `localhost` server certificate signed by it: (ca.pem, server.pem, server.key).
fn pki(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "doctor test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, server.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mqtts_broker_passes_with_its_ca_and_a_plain_listener_behind_mqtts_fails() {
    let t = run_support::lab(1, |_| {});
    let (ca, cert, key) = pki(t.dir.path());
    let server = smsgate_mqtt::tls::server_config(&cert, &key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(server));
    let tls = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_port = tls.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((s, _)) = tls.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(s).await;
            });
        }
    });
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = plain.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
        }
    });
    for (port, good) in [(tls_port, true), (plain_port, false)] {
        let mut c = run_support::config(&t, &t.dir.path().join("spool.sqlite"), "0", 0);
        with_cloud(&mut c, format!("mqtts://localhost:{port}"));
        c.cloud.ca_file = Some(ca.clone());
        let dir = t.dir.path().to_path_buf();
        let (code, text) = tokio::task::spawn_blocking(move || doctor(&dir, &c))
            .await
            .unwrap();
        if good {
            assert_eq!(code, 0, "{text}");
            assert!(
                text.contains(&format!("ok    cloud              the broker at localhost:{port} accepts connections and a TLS handshake")),
                "{text}"
            );
        } else {
            assert_eq!(code, 1, "{text}");
            assert!(
                text.contains(&format!(
                    "FAIL  cloud              TLS handshake with localhost:{port}"
                )),
                "{text}"
            );
        }
    }
}

#[test]
fn a_bad_config_names_the_key_and_stops_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, "[[ports]]\nid = 0\ndevice = \"ttyUSB0\"\n").unwrap();
    let (code, text) = run(&path);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FAIL  config"), "{text}");
    assert!(text.contains("ports[0].device"), "{text}");
    assert!(!text.contains("port 0 modem"), "{text}");
}

#[test]
fn a_world_readable_config_with_secrets_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\npath = \"{}\"\n[api]\ntoken = \"test-token-0123456789\"\n",
            dir.path().join("spool.sqlite").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, text) = run(&path);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("every user may read it (mode 644)"), "{text}");
    assert!(text.contains("chmod 0640"), "{text}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, text) = run(&path);
    assert_eq!(code, 0, "{text}");
}
