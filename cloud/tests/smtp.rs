//! E-mail notifications through a real SMTP server started here (Python's aiosmtpd from PyPI,
//! `cloud/tests/support/smtp_server.py`): STARTTLS required, AUTH with one login, a certificate
//! made with rcgen trusted through `smtp.ca_file`'s PEM. After the delay (clock moved by hand)
//! the e-mail arrives with the right count; a wrong password is refused by the server and the
//! log says so with the server's answer. The same server with implicit TLS (SMTPS, port 465
//! style, `smtp.security = "tls"`): delivered over an encrypted session, a bad password
//! refused, and a client that expects the other kind of port never delivers.
//!
//! Needs `python3` with `aiosmtpd` (`python3 -m pip install aiosmtpd`; scripts/test-all
//! installs it; `SMSGATE_PYTHON` names another interpreter).
#![allow(clippy::unwrap_used)]

mod floor_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use floor_support::*;
use smsgate_cloud::floor::records::*;
use smsgate_cloud::hub::notifications::mailer::{
    Mail, MailOutcome, Mailer, SmtpMailer, SmtpSettings,
};
use smsgate_cloud::store::PageRequest;
use smsgate_config::smtp::SmtpSecurity;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(dir: &Path) -> (Server, Vec<u8>) {
    start_server_with(dir, false)
}

/// The server, with TLS from the first byte (SMTPS, port 465 style) when `implicit_tls`.
fn start_server_with(dir: &Path, implicit_tls: bool) -> (Server, Vec<u8>) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let python = std::env::var("SMSGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
    let port = free_port();
    let mut child = Command::new(&python)
        .arg(&script)
        .args(["--dir", dir.join("mail").to_str().unwrap()])
        .args([
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ])
        .args(["--user", "hub@example.com", "--password", "right-password"])
        .args(["--port", &port.to_string()])
        .args(implicit_tls.then_some("--implicit-tls"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} {}: {e}", script.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("READY"),
        "the SMTP server did not start (is aiosmtpd installed? python3 -m pip install aiosmtpd): {line:?}"
    );
    (Server { child, port }, ck.cert.pem().into_bytes())
}

fn mailer(port: u16, ca: &[u8], password: &str) -> SmtpMailer {
    mailer_with(SmtpSecurity::Starttls, port, ca, password)
}

fn mailer_with(security: SmtpSecurity, port: u16, ca: &[u8], password: &str) -> SmtpMailer {
    SmtpMailer::new(&SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        username: Some("hub@example.com".into()),
        password: Some(password.into()),
        from: "smsgate <hub@example.com>".into(),
        ca_pem: Some(ca.to_vec()),
        timeout: StdDuration::from_secs(10),
    })
    .unwrap()
}

/// The stored messages (waits until `n` have arrived; a liveness bound, not a timing check).
fn mails(dir: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        let mut got: Vec<String> = std::fs::read_dir(dir.join("mail"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| std::fs::read_to_string(e.path()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if got.len() >= n || Instant::now() > deadline {
            got.sort();
            return got;
        }
        std::thread::sleep(StdDuration::from_millis(50));
    }
}

#[tokio::test]
async fn after_the_delay_the_email_arrives_through_starttls_with_the_count_and_a_bad_password_is_refused_in_the_log()
 {
    let f = floor();
    let (server, ca) = start_server(f.dir.path());
    let good = mailer(server.port, &ca, "right-password");
    f.hub
        .set_notification_settings(
            &f.admin,
            None,
            NotificationSettings {
                enabled: true,
                sms: true,
                email: true,
                include_count: true,
                delay_minutes: 5,
                text: "Customers are waiting".into(),
                recipients: vec![Recipient {
                    name: "Nadia".into(),
                    number: Some("+33611110000".into()),
                    email: Some("nadia@example.com".into()),
                }],
                channel_id: Some(f.notify_channel.id),
                escalations: vec![],
                quiet_hours: None,
            },
        )
        .unwrap();
    f.inbound("+33616000001", "one");
    f.inbound("+33616000002", "two");
    f.inbound("+33616000003", "three");
    f.clock.advance(Duration::minutes(4));
    f.hub.send_due_notifications(Some(&good)).await.unwrap();
    assert!(mails(f.dir.path(), 0).is_empty(), "not before the delay");
    f.clock.advance(Duration::minutes(1));
    f.hub.send_due_notifications(Some(&good)).await.unwrap();
    let got = mails(f.dir.path(), 1);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("X-Rcpt: nadia@example.com"), "{}", got[0]);
    assert!(got[0].contains("3 interactions waiting"), "{}", got[0]);
    assert!(
        got[0].contains("X-TLS: yes"),
        "upgraded by STARTTLS: {}",
        got[0]
    );
    let log = f
        .hub
        .notification_log(&f.admin, None, &PageRequest::default())
        .unwrap()
        .items;
    let email = log.iter().find(|e| e.medium == Medium::Email).unwrap();
    assert_eq!(email.status, DeliveryStatus::Accepted);
    assert!(
        email.detail.as_deref().unwrap_or("").starts_with("250"),
        "{email:?}"
    );

    // The wrong password: the server refuses the login, the log says refused with its answer.
    let bad = mailer(server.port, &ca, "wrong-password");
    f.inbound("+33616000004", "four");
    f.clock.advance(Duration::minutes(5));
    f.hub.send_due_notifications(Some(&bad)).await.unwrap();
    let log = f
        .hub
        .notification_log(&f.admin, None, &PageRequest::default())
        .unwrap()
        .items;
    let refused = log
        .iter()
        .find(|e| e.medium == Medium::Email && e.status == DeliveryStatus::Refused)
        .unwrap_or_else(|| panic!("no refused e-mail in {log:#?}"));
    assert!(
        refused.detail.as_deref().unwrap_or("").contains("535"),
        "{refused:?}"
    );
    assert_eq!(mails(f.dir.path(), 1).len(), 1, "nothing more was stored");

    // Without STARTTLS trust (no CA given) the connection fails, shown as failed, not refused.
    let untrusting = SmtpMailer::new(&SmtpSettings {
        ca_pem: None,
        ..SmtpSettings {
            host: "127.0.0.1".into(),
            port: server.port,
            security: SmtpSecurity::Starttls,
            username: Some("hub@example.com".into()),
            password: Some("right-password".into()),
            from: "smsgate <hub@example.com>".into(),
            ca_pem: None,
            timeout: StdDuration::from_secs(10),
        }
    })
    .unwrap();
    let out = untrusting
        .send(Mail {
            to: "x@example.com".into(),
            to_name: "X".into(),
            subject: "s".into(),
            body: "b".into(),
        })
        .await;
    assert!(matches!(out, MailOutcome::Failed(_)), "{out:?}");
}

fn mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        to_name: "Nadia".into(),
        subject: "[Acme] 2 interactions waiting".into(),
        body: "Customers are waiting (2 interactions waiting)".into(),
    }
}

#[tokio::test]
async fn implicit_tls_delivers_over_an_encrypted_session_and_refuses_a_bad_password_while_starttls_and_plain_fail_against_it()
 {
    let dir = tempfile::tempdir().unwrap();
    let (server, ca) = start_server_with(dir.path(), true);
    let out = mailer_with(SmtpSecurity::Tls, server.port, &ca, "right-password")
        .send(mail("nadia@example.com"))
        .await;
    let MailOutcome::Accepted(answer) = &out else {
        panic!("{out:?}")
    };
    assert!(answer.starts_with("250"), "{answer}");
    let got = mails(dir.path(), 1);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("X-Rcpt: nadia@example.com"), "{}", got[0]);
    assert!(
        got[0].contains("X-TLS: yes"),
        "the session was encrypted: {}",
        got[0]
    );
    assert!(got[0].contains("2 interactions waiting"), "{}", got[0]);

    // The wrong password over TLS: the server's refusal, with its code.
    let out = mailer_with(SmtpSecurity::Tls, server.port, &ca, "wrong-password")
        .send(mail("sam@example.com"))
        .await;
    let MailOutcome::Refused(why) = &out else {
        panic!("{out:?}")
    };
    assert!(why.contains("535"), "{why}");

    // A client that speaks plain SMTP first (STARTTLS or none) waits for a greeting a TLS port
    // never sends: failed within the mailer's own bound (twice the timeout), not hanging until
    // the server gives up, never accepted, and nothing is stored.
    for security in [SmtpSecurity::Starttls, SmtpSecurity::None] {
        let m = SmtpSettings {
            host: "127.0.0.1".into(),
            port: server.port,
            security,
            username: Some("hub@example.com".into()),
            password: Some("right-password".into()),
            from: "smsgate <hub@example.com>".into(),
            ca_pem: Some(ca.clone()),
            timeout: StdDuration::from_secs(1),
        };
        let out = SmtpMailer::new(&m)
            .unwrap()
            .send(mail("x@example.com"))
            .await;
        assert!(
            matches!(&out, MailOutcome::Failed(why) if why.starts_with("no answer from the server within 2 s")),
            "{security:?} against implicit TLS: {out:?}"
        );
    }
    // Implicit TLS against a STARTTLS port: the TLS handshake meets a plain greeting.
    let dir2 = tempfile::tempdir().unwrap();
    let (plain_first, ca2) = start_server(dir2.path());
    let out = mailer_with(SmtpSecurity::Tls, plain_first.port, &ca2, "right-password")
        .send(mail("x@example.com"))
        .await;
    assert!(matches!(out, MailOutcome::Failed(_)), "{out:?}");
    assert_eq!(mails(dir.path(), 1).len(), 1, "nothing more was stored");
    assert!(mails(dir2.path(), 0).is_empty());
}

/// `hub.toml` text for a hub on `dir` whose `[smtp]` reaches the implicit-TLS server.
fn hub_toml(dir: &Path, port: u16, password_file: &Path) -> String {
    format!(
        r#"
[storage]
path = "{db}"
[api]
listen = "127.0.0.1:0"
[mqtt]
listen = "127.0.0.1:0"
[bootstrap]
admin_password = "{PW}"
[smtp]
host = "127.0.0.1"
port = {port}
security = "tls"
username = "hub@example.com"
password_file = "{pw}"
from = "Acme alerts <hub@example.com>"
ca_file = "{ca}"
timeout_s = 10
"#,
        db = dir.join("hub.sqlite").display(),
        pw = password_file.display(),
        ca = dir.join("cert.pem").display(),
    )
}

// Two workers: `mails` waits by blocking its thread while the hub's scheduler runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smtp_section_of_hub_toml_drives_the_running_hub_over_implicit_tls_and_an_unreadable_password_file_stops_it_naming_the_key()
 {
    use smsgate_cloud::hub::NewUser;
    use smsgate_cloud::model::{OrgKind, Role};
    use smsgate_cloud::secrets::PasswordCost;
    use smsgate_cloud::{HubSettings, ManualClock, RunOptions};
    use smsgate_config::hub::HubConfig;
    use smsgate_wire as wire;

    let dir = tempfile::tempdir().unwrap();
    let (server, _ca) = start_server_with(dir.path(), true);
    let password_file = dir.path().join("smtp.password");
    std::fs::write(&password_file, "right-password\n").unwrap();
    let options = |clock: &ManualClock| RunOptions {
        settings: Some(HubSettings {
            password_cost: PasswordCost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..HubSettings::default()
        }),
        clock: Some(std::sync::Arc::new(clock.clone())),
        ..RunOptions::default()
    };

    // A password file that cannot be read: the hub does not start, and says which key.
    let missing = dir.path().join("no-such-file");
    let config = HubConfig::from_toml_str(&hub_toml(dir.path(), server.port, &missing)).unwrap();
    let clock = ManualClock::new(start());
    let err = smsgate_cloud::start(
        config,
        options(&clock),
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .err()
    .expect("started without its SMTP password");
    assert!(
        err.to_string()
            .starts_with("smtp.password_file: cannot read"),
        "{err}"
    );

    // The readable one: the running hub's scheduler sends over TLS from the first byte.
    let config =
        HubConfig::from_toml_str(&hub_toml(dir.path(), server.port, &password_file)).unwrap();
    assert_eq!(config.smtp.security, SmtpSecurity::Tls);
    let token = tokio_util::sync::CancellationToken::new();
    let started = smsgate_cloud::start(config, options(&clock), token.clone())
        .await
        .unwrap();
    let hub = started.hub.clone();
    tokio::task::spawn_blocking(move || {
        let root = login(&hub, "admin");
        let tenant = hub
            .create_org(&root, None, OrgKind::Tenant, "Acme")
            .unwrap();
        hub.create_user(
            &root,
            NewUser {
                org_id: Some(tenant.id),
                login: "ta".into(),
                name: "Ta".into(),
                role: Role::TenantAdmin,
                password: PW.into(),
            },
        )
        .unwrap();
        let ta = login(&hub, "ta");
        let g = hub.create_gateway(&root, "g").unwrap();
        let c = hub
            .create_channel(&root, g.gateway.id, "0", "+33700000001")
            .unwrap();
        let c = hub
            .distribute_channel(&root, c.id, tenant.id, false)
            .unwrap();
        hub.set_destination(&ta, c.id, smsgate_cloud::model::Destination::Tenant)
            .unwrap();
        hub.set_notification_settings(
            &ta,
            None,
            NotificationSettings {
                enabled: true,
                sms: false,
                email: true,
                include_count: true,
                delay_minutes: 5,
                text: "Customers are waiting".into(),
                recipients: vec![Recipient {
                    name: "Nadia".into(),
                    number: None,
                    email: Some("nadia@example.com".into()),
                }],
                channel_id: None,
                escalations: vec![],
                quiet_hours: None,
            },
        )
        .unwrap();
        let gw = wire::GatewayId::new(g.mqtt_username).unwrap();
        hub.gateway_ingest()
            .ingest(
                &gw,
                wire::Up::Inbound(wire::Inbound {
                    id: uuid::Uuid::now_v7(),
                    v: 1,
                    port: "0".into(),
                    sim_number: None,
                    from: "+33616000001".into(),
                    text: "hello?".into(),
                    received_at: hub.now_public(),
                }),
            )
            .unwrap();
    })
    .await
    .unwrap();
    clock.advance(Duration::minutes(5));
    let got = mails(dir.path(), 1);
    assert_eq!(got.len(), 1, "the scheduler, woken by the clock, sent it");
    assert!(got[0].contains("X-TLS: yes"), "{}", got[0]);
    assert!(got[0].contains("X-Rcpt: nadia@example.com"), "{}", got[0]);
    assert!(
        got[0].contains("Acme alerts"),
        "the configured sender: {}",
        got[0]
    );
    assert!(got[0].contains("1 interaction waiting"), "{}", got[0]);
    token.cancel();
    started.wait().await;
}
