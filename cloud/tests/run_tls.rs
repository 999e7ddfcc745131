//! `smsgate_cloud::start` with the MQTT settings of `hub.toml`:
//! - the embedded broker listening with TLS (`mqtt.tls_cert`/`tls_key`, a CA and server
//!   certificate generated here with rcgen): a registered gateway's link trusting that CA gets
//!   its event stored by the hub, and the provisioning snippet advertises `mqtts://`;
//! - an external mosquitto (started here, TLS listener) reached with the login and CA taken from
//!   the config file alone (`mqtt.username`, `mqtt.password_file`, `mqtt.ca_file`);
//! - unreadable files stop the start with an error naming their key.
//!
//! Needs the `mosquitto` binary (Debian package `mosquitto`) for the external broker test.

// Helpers outside #[test] functions unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use smsgate_cloud::{Hub, RunError, RunOptions, Started};
use smsgate_config::hub::{BrokerMode, HubConfig};
use smsgate_mqtt::mosquitto::{MosquittoAuth, MosquittoConfig};
use smsgate_mqtt::{
    BrokerUrl, ClientTls, CommandSink, GatewayLink, LinkOptions, LinkStatus, Outbox, OutboxEvent,
    QueueError,
};
use smsgate_wire::{Ack, AckOutcome, Down, GatewayId, Heartbeat, Up};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

const PW: &str = "run-tls-password";
/// Bound on every wait (a hang guard, not a speed assertion).
const PATIENCE: Duration = Duration::from_secs(60);

struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

/// A CA and a server certificate for 127.0.0.1 signed by it, as PEM files in `dir`.
fn write_pki(dir: &Path) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "run-tls test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&pki.ca, ca.pem()).unwrap();
    std::fs::write(&pki.cert, cert.pem()).unwrap();
    std::fs::write(&pki.key, key.serialize_pem()).unwrap();
    pki
}

/// A hub config on loopback with ephemeral ports and cheap password hashing.
fn base_config(dir: &Path) -> HubConfig {
    let mut c = HubConfig::default();
    c.storage.path = dir.join("hub.sqlite");
    c.api.listen = "127.0.0.1:0".parse().unwrap();
    c.mqtt.listen = "127.0.0.1:0".parse().unwrap();
    c.passwords.memory_kib = 64;
    c.passwords.iterations = 1;
    c.passwords.parallelism = 1;
    c.bootstrap.admin_password = Some(PW.into());
    c
}

/// Validates like `smsgate hub --config` does, then starts.
async fn start(config: HubConfig, token: &CancellationToken) -> Result<Started, RunError> {
    let text = toml::to_string(&config).unwrap();
    let config = HubConfig::from_toml_str(&text).unwrap();
    smsgate_cloud::start(config, RunOptions::default(), token.clone()).await
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// A one-event outbox (the gateway spool's, in memory).
#[derive(Clone, Default)]
struct OneShotOutbox(Arc<Mutex<Option<Up>>>);

impl Outbox for OneShotOutbox {
    async fn peek(
        &self,
        after: Option<u64>,
        _limit: usize,
    ) -> Result<Vec<OutboxEvent>, QueueError> {
        let pending = self.0.lock().unwrap().clone();
        Ok(match (pending, after) {
            (Some(message), None) => vec![OutboxEvent { id: 1, message }],
            _ => Vec::new(),
        })
    }

    async fn ack(&self, _id: u64) -> Result<(), QueueError> {
        *self.0.lock().unwrap() = None;
        Ok(())
    }
}

/// Acknowledges every command as applied.
struct Applies;

impl CommandSink for Applies {
    async fn apply(&self, command: Down) -> Ack {
        Ack {
            id: Uuid::now_v7(),
            v: 1,
            ack_of: command.id(),
            outcome: AckOutcome::Applied,
            detail: None,
        }
    }
}

fn heartbeat() -> Up {
    Up::Heartbeat(Heartbeat {
        id: Uuid::now_v7(),
        v: 1,
        versions: vec![1],
        uptime_s: 1,
        software: None,
        at: chrono::Utc::now(),
    })
}

async fn wait_connected(started: &Started) {
    let mut status = started.link_status();
    tokio::time::timeout(
        PATIENCE,
        status.wait_for(|s| matches!(s, LinkStatus::Connected(_))),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "hub link never connected: {:?}",
            *started.link_status().borrow()
        )
    })
    .unwrap();
}

fn admin(hub: &Hub) -> smsgate_cloud::authz::Actor {
    let (token, _) = hub.login("admin", PW).unwrap();
    hub.authenticate(&token).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_trusting_the_ca_reaches_the_hub_through_the_embedded_tls_listener() {
    let dir = tempfile::tempdir().unwrap();
    let pki = write_pki(dir.path());
    let mut config = base_config(dir.path());
    config.mqtt.tls_cert = Some(pki.cert.clone());
    config.mqtt.tls_key = Some(pki.key.clone());
    config.mqtt.advertised_url = "mqtt://hub.example:8883".into();
    let token = CancellationToken::new();
    let started = start(config, &token).await.unwrap();
    wait_connected(&started).await;
    let broker = started.broker_addr.unwrap();

    let hub = started.hub.clone();
    let provisioned = blocking(move || hub.create_gateway(&admin(&hub), "tls-gw").unwrap()).await;
    assert!(
        provisioned
            .config_snippet
            .contains("mqtts://hub.example:8883"),
        "{}",
        provisioned.config_snippet
    );

    let outbox = OneShotOutbox::default();
    *outbox.0.lock().unwrap() = Some(heartbeat());
    let url = BrokerUrl {
        host: "127.0.0.1".into(),
        port: broker.port(),
        tls: true,
    };
    let user = provisioned.mqtt_username.clone();
    let mut options = LinkOptions::new(url, &user, &user, &provisioned.mqtt_password);
    options.tls = ClientTls {
        ca_file: Some(pki.ca.clone()),
        client_cert: None,
    };
    let gw_token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let link = GatewayLink::spawn(
        GatewayId::new(user).unwrap(),
        options,
        None,
        outbox.clone(),
        Applies,
        gw_token.clone(),
        &tracker,
    )
    .unwrap();
    let mut status = link.status();
    tokio::time::timeout(
        PATIENCE,
        status.wait_for(|s| matches!(s, LinkStatus::Connected(_))),
    )
    .await
    .expect("the gateway link never connected over TLS")
    .unwrap();
    // The outbox empties only on the hub's receipt: the hub stored the event.
    tokio::time::timeout(PATIENCE, async {
        while outbox.0.lock().unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the hub never acknowledged the gateway's event");
    let hub = started.hub.clone();
    let id = provisioned.gateway.id;
    let online = blocking(move || hub.gateway(&admin(&hub), id).unwrap().online).await;
    assert!(online, "the hub saw the gateway's presence over TLS");

    gw_token.cancel();
    tracker.close();
    tracker.wait().await;
    token.cancel();
    started.wait().await;
}

#[tokio::test]
async fn an_unreadable_listener_certificate_stops_the_start_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = base_config(dir.path());
    config.mqtt.tls_cert = Some(dir.path().join("missing.pem"));
    config.mqtt.tls_key = Some(dir.path().join("missing.key"));
    let err = start(config, &CancellationToken::new())
        .await
        .err()
        .expect("the start must fail");
    let text = err.to_string();
    assert!(text.starts_with("mqtt.tls_cert"), "{text}");
    assert!(text.contains("missing.pem"), "{text}");
}

#[tokio::test]
async fn an_unreadable_password_file_stops_the_start_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = base_config(dir.path());
    config.mqtt.broker = BrokerMode::External;
    config.mqtt.url = Some("mqtt://127.0.0.1:1".into());
    config.mqtt.username = Some("smsgate-hub".into());
    config.mqtt.password_file = Some(dir.path().join("no-such-file"));
    let err = start(config, &CancellationToken::new())
        .await
        .err()
        .expect("the start must fail");
    let text = err.to_string();
    assert!(text.starts_with("mqtt.password_file"), "{text}");
    assert!(text.contains("no-such-file"), "{text}");
    assert!(
        !dir.path().join("hub.sqlite").exists(),
        "nothing was created before the failure"
    );
}

/// mosquitto on a free loopback port with a TLS listener; killed on drop.
struct Mosquitto {
    child: Child,
    addr: SocketAddr,
}

impl Mosquitto {
    async fn start(dir: &Path, pki: &Pki, hub_user: &str, hub_password: &str) -> Self {
        let auth = MosquittoAuth::new(hub_user, hub_password).unwrap();
        let passwords = dir.join("passwords");
        let acl = dir.join("acl");
        std::fs::write(&passwords, auth.password_file()).unwrap();
        std::fs::write(&acl, auth.acl_file()).unwrap();
        for _ in 0..5 {
            let addr = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let config = MosquittoConfig {
                listen: addr,
                password_file: passwords.clone(),
                acl_file: acl.clone(),
                persistence_dir: None,
                tls: Some((pki.cert.clone(), pki.key.clone())),
            };
            // As root, keep mosquitto from switching to its own user (it could not read the
            // temporary directory).
            let conf = dir.join("mosquitto.conf");
            std::fs::write(&conf, format!("{}user root\n", config.render())).unwrap();
            let mut child = Command::new("mosquitto")
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("mosquitto must be installed (apt-get install mosquitto)");
            for _ in 0..250 {
                if tokio::net::TcpStream::connect(addr).await.is_ok() {
                    return Self { child, addr };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // The port was taken meanwhile (or mosquitto did not come up): try another.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("mosquitto did not start");
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_logs_in_to_an_external_mosquitto_with_the_login_and_ca_from_its_config() {
    let dir = tempfile::tempdir().unwrap();
    let pki = write_pki(dir.path());
    let hub_password = "from-the-password-file";
    let mosquitto = Mosquitto::start(dir.path(), &pki, "hub-login", hub_password).await;
    let password_file = dir.path().join("hub-mqtt.password");
    std::fs::write(&password_file, format!("{hub_password}\n")).unwrap();

    let mut config = base_config(dir.path());
    config.mqtt.broker = BrokerMode::External;
    config.mqtt.url = Some(format!("mqtts://127.0.0.1:{}", mosquitto.addr.port()));
    config.mqtt.username = Some("hub-login".into());
    config.mqtt.password_file = Some(password_file);
    config.mqtt.ca_file = Some(pki.ca.clone());
    let token = CancellationToken::new();
    let started = start(config, &token).await.unwrap();
    assert_eq!(started.broker_addr, None);
    wait_connected(&started).await;
    token.cancel();
    started.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_in_the_config_keeps_the_hub_out_of_the_external_mosquitto() {
    let dir = tempfile::tempdir().unwrap();
    let pki = write_pki(dir.path());
    let mosquitto = Mosquitto::start(dir.path(), &pki, "hub-login", "the-right-one").await;
    let mut config = base_config(dir.path());
    config.mqtt.broker = BrokerMode::External;
    config.mqtt.url = Some(format!("mqtts://127.0.0.1:{}", mosquitto.addr.port()));
    config.mqtt.username = Some("hub-login".into());
    config.mqtt.password = Some("a-wrong-one".into());
    config.mqtt.ca_file = Some(pki.ca.clone());
    let token = CancellationToken::new();
    let started = start(config, &token).await.unwrap();
    let mut status = started.link_status();
    let why = tokio::time::timeout(
        PATIENCE,
        status.wait_for(|s| matches!(s, LinkStatus::Disconnected(_))),
    )
    .await
    .expect("the link never reported the refusal")
    .unwrap()
    .clone();
    let LinkStatus::Disconnected(why) = why else {
        unreachable!()
    };
    assert!(why.contains("NotAuthorized"), "{why}");
    token.cancel();
    started.wait().await;
}
