//! Unread-interaction notifications end to end, with the hub's clock injected: the hub
//! (`smsgate_cloud::start` with a `ManualClock`: SQLite, embedded broker, link, the notification
//! scheduler, the SMTP mailer its `[smtp]` section describes), one gateway
//! (`smsgate_gateway::run`) on two simulated modems of the hardware lab, and a real SMTP
//! server (Python's aiosmtpd, `cloud/tests/support/smtp_server.py`, STARTTLS and a login), all
//! in one process. Customers write through the lab to the queue's SIM; moving the clock past
//! the delay makes the scheduler (woken by the clock, nobody calls it) send the e-mail — read
//! back from the server's mail directory with its count — and the SMS through the
//! notification channel, read back at the recipients' simulated handsets; the notification
//! log then shows the e-mails accepted and the SMS delivered. An interaction read in time is
//! never notified nor counted.
//!
//! Needs `python3` with `aiosmtpd` (`python3 -m pip install aiosmtpd`; `SMSGATE_PYTHON` names
//! another interpreter).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use smsgate_cloud::authz::Actor;
use smsgate_cloud::floor::records::{DeliveryStatus, Medium, NotificationSettings, Recipient};
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::{Destination, Interaction, OrgKind, QueueMember, QueueRole, Role};
use smsgate_cloud::secrets::PasswordCost;
use smsgate_cloud::store::PageRequest;
use smsgate_cloud::{Hub, HubSettings, ManualClock, RunOptions};
use smsgate_config::GatewayConfig;
use smsgate_config::gateway::{Device, GroupConfig, PortConfig};
use smsgate_config::hub::HubConfig;
use smsgate_config::smtp::SmtpSecurity;
use smsgate_e2e::wait_until;
use smsgate_hardware::{Inbound, Lab, LabConfig};
use tokio_util::sync::CancellationToken;

const PW: &str = "notify-e2e-password";
const NADIA: &str = "+33611110000";
const SAM: &str = "+33622220000";
const WAIT: StdDuration = StdDuration::from_secs(60);

struct SmtpServer {
    child: Child,
    port: u16,
    mail: PathBuf,
}

impl Drop for SmtpServer {
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

/// aiosmtpd with STARTTLS and one login; its certificate (rcgen) written to `dir/ca.pem`.
fn smtp_server(dir: &Path) -> SmtpServer {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert, key) = (dir.join("ca.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let python = std::env::var("SMSGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../cloud/tests/support/smtp_server.py");
    let port = free_port();
    let mail = dir.join("mail");
    let mut child = Command::new(&python)
        .arg(&script)
        .args(["--dir", mail.to_str().unwrap()])
        .args(["--cert", cert.to_str().unwrap()])
        .args(["--key", key.to_str().unwrap()])
        .args(["--user", "hub@example.com", "--password", "smtp-password"])
        .args(["--port", &port.to_string()])
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
        "the SMTP server did not start (python3 -m pip install aiosmtpd): {line:?}"
    );
    SmtpServer { child, port, mail }
}

/// The messages the server stored, oldest first.
fn stored(mail: &Path) -> Vec<String> {
    let mut got: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(mail)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| {
                    (
                        e.metadata().unwrap().modified().unwrap(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    got.sort();
    got.into_iter().map(|(_, m)| m).collect()
}

async fn mails(mail: &Path, n: usize) -> Vec<String> {
    wait_until(&format!("{n} e-mail(s)"), WAIT, || async {
        let got = stored(mail);
        (got.len() >= n).then_some(got)
    })
    .await
    .unwrap()
}

/// Runs `f` on the hub off the runtime (the hub's calls block).
async fn on_hub<T: Send + 'static>(hub: &Hub, f: impl FnOnce(&Hub) -> T + Send + 'static) -> T {
    let hub = hub.clone();
    tokio::task::spawn_blocking(move || f(&hub)).await.unwrap()
}

struct Seeded {
    admin: Actor,
    queue_sim: String,
    notify_sim: String,
    gateway_user: String,
    gateway_password: String,
}

fn seed(hub: &Hub, sims: &[String]) -> Seeded {
    let login = |l: &str| hub.authenticate(&hub.login(l, PW).unwrap().0).unwrap();
    let root = login("admin");
    let tenant = hub
        .create_org(&root, None, OrgKind::Tenant, "Acme")
        .unwrap();
    let user = |login: &str, role| {
        hub.create_user(
            &root,
            NewUser {
                org_id: Some(tenant.id),
                login: login.into(),
                name: login.into(),
                role,
                password: PW.into(),
            },
        )
        .unwrap()
        .id
    };
    user("ta", Role::TenantAdmin);
    let agent = user("agent", Role::Agent);
    let admin = login("ta");
    let queue = hub
        .create_queue(
            &admin,
            None,
            "Support",
            "",
            vec![QueueMember {
                user_id: agent,
                role: QueueRole::Agent,
            }],
        )
        .unwrap();
    let gw = hub.create_gateway(&root, "lab").unwrap();
    let channel = |port: &str, sim: &str| {
        let c = hub.create_channel(&root, gw.gateway.id, port, sim).unwrap();
        hub.distribute_channel(&root, c.id, tenant.id, false)
            .unwrap()
    };
    let queue_channel = channel("0", &sims[0]);
    hub.set_destination(&admin, queue_channel.id, Destination::Queue(queue.id))
        .unwrap();
    let notify_channel = channel("1", &sims[1]);
    hub.set_notification_settings(
        &admin,
        None,
        NotificationSettings {
            enabled: true,
            sms: true,
            email: true,
            include_count: true,
            delay_minutes: 5,
            text: "Customers are waiting".into(),
            recipients: vec![
                Recipient {
                    name: "Nadia".into(),
                    number: Some(NADIA.into()),
                    email: Some("nadia@example.com".into()),
                },
                // No e-mail address: the SMS only, and no error.
                Recipient {
                    name: "Sam".into(),
                    number: Some(SAM.into()),
                    email: None,
                },
            ],
            channel_id: Some(notify_channel.id),
            escalations: vec![],
            quiet_hours: None,
        },
    )
    .unwrap();
    Seeded {
        admin,
        queue_sim: sims[0].clone(),
        notify_sim: sims[1].clone(),
        gateway_user: gw.mqtt_username,
        gateway_password: gw.mqtt_password,
    }
}

/// A customer writes to the queue's SIM through the lab; returns the conversation once the
/// hub has it (its unseen time starts at the hub clock's reading then).
async fn customer_writes(lab: &Lab, hub: &Hub, s: &Seeded, from: &str) -> Interaction {
    lab.inject(&Inbound {
        from: from.into(),
        to: s.queue_sim.clone(),
        text: format!("hello from {from}"),
        encoding: None,
        out_of_order: false,
        drop_part: None,
    })
    .unwrap();
    let (hub, admin, from) = (hub.clone(), s.admin.clone(), from.to_owned());
    wait_until(&format!("{from}'s conversation on the hub"), WAIT, || {
        let (hub, admin, from) = (hub.clone(), admin.clone(), from.clone());
        async move {
            on_hub(&hub, move |h| {
                h.interactions(&admin, None)
                    .unwrap()
                    .into_iter()
                    .find(|i| i.contact_number == from && i.status.is_live())
            })
            .await
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_delay_the_email_reaches_the_smtp_server_with_the_count_and_the_sms_reaches_the_handsets_and_a_conversation_read_in_time_is_never_notified()
 {
    let dir = tempfile::tempdir().unwrap();
    let token = CancellationToken::new();
    let smtp = smtp_server(dir.path());

    let lab = Lab::start(
        LabConfig::for_tests(dir.path().join("lab"), 2),
        Arc::new(smsgate_hardware::clock::SystemClock),
        token.child_token(),
    )
    .unwrap();
    let sims: Vec<String> = lab.specs().iter().map(|s| s.msisdn.clone()).collect();

    // The hub's clock starts at the real time (the gateway stamps what it receives with it)
    // and then moves only by hand.
    let clock = ManualClock::new(Utc::now());
    let mut config = HubConfig::default();
    config.storage.path = dir.path().join("hub.sqlite");
    config.api.listen = "127.0.0.1:0".parse().unwrap();
    config.mqtt.listen = "127.0.0.1:0".parse().unwrap();
    config.bootstrap.admin_password = Some(PW.into());
    config.smtp.host = Some("127.0.0.1".into());
    config.smtp.port = smtp.port;
    config.smtp.security = SmtpSecurity::Starttls;
    config.smtp.username = Some("hub@example.com".into());
    config.smtp.password = Some("smtp-password".into());
    config.smtp.from = "smsgate <hub@example.com>".into();
    config.smtp.ca_file = Some(dir.path().join("ca.pem"));
    config.smtp.timeout_s = 20;
    let started = smsgate_cloud::start(
        config,
        RunOptions {
            settings: Some(HubSettings {
                password_cost: PasswordCost {
                    memory_kib: 64,
                    iterations: 1,
                    parallelism: 1,
                },
                ..HubSettings::default()
            }),
            clock: Some(Arc::new(clock.clone())),
            ..RunOptions::default()
        },
        token.child_token(),
    )
    .await
    .unwrap();
    let hub = started.hub.clone();
    let s = {
        let sims = sims.clone();
        on_hub(&hub, move |h| seed(h, &sims)).await
    };

    let mut g = GatewayConfig::default();
    g.storage.path = dir.path().join("spool.sqlite");
    g.api.listen = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    g.api.token = Some("notify-e2e-local-token".into());
    for p in 0..2u16 {
        let tty = dir.path().join("lab").join(format!("ttyUSB{p}"));
        g.ports.push(PortConfig::new(p, Device::Serial(tty)));
    }
    let mut group = GroupConfig::new("main", smsgate_config::parse_port_spec("0-1").unwrap());
    group.interval_ms = 0;
    g.groups.push(group);
    g.cloud.url = Some(format!("mqtt://{}", started.broker_addr.unwrap()));
    g.cloud.gateway_id = Some(s.gateway_user.clone());
    g.cloud.password = Some(s.gateway_password.clone());
    let gateway = tokio::spawn(smsgate_gateway::run(g, token.child_token()));

    // t0: three customers write; the third is read two minutes later (in time).
    let c1 = customer_writes(&lab, &hub, &s, "+33616000001").await;
    customer_writes(&lab, &hub, &s, "+33616000002").await;
    let c3 = customer_writes(&lab, &hub, &s, "+33616000003").await;
    clock.advance(Duration::minutes(2));
    {
        let (admin, id) = (s.admin.clone(), c3.id);
        on_hub(&hub, move |h| h.mark_read(&admin, id, true).unwrap()).await;
    }
    // t0+6: past the 5-minute delay. Nothing else is called: the scheduler wakes on the clock.
    clock.advance(Duration::minutes(4));
    let got = mails(&smtp.mail, 1).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].contains("X-Rcpt: nadia@example.com"), "{}", got[0]);
    assert!(got[0].contains("X-TLS: yes"), "over STARTTLS: {}", got[0]);
    assert!(
        got[0].contains("2 interactions waiting"),
        "the two unread ones, not the one read in time: {}",
        got[0]
    );
    let expected = "Customers are waiting (2 interactions waiting)";
    for number in [NADIA, SAM] {
        let sms = tokio::time::timeout(WAIT, lab.wait_handset(number, 1))
            .await
            .unwrap_or_else(|_| panic!("no SMS reached {number}'s handset"));
        assert_eq!(sms.len(), 1, "{number}: {sms:#?}");
        assert_eq!(sms[0].text, expected, "{number}");
        assert_eq!(
            sms[0].from, s.notify_sim,
            "sent through the notification channel"
        );
    }

    // t0+6: a fourth customer writes and is read a minute later (in time); at t0+8 a fifth
    // writes and stays unread. At t0+12 the fourth's delay has passed: nothing may be sent for
    // it. At t0+14 the fifth is due: its notification counts the first two (still waiting) and
    // the fifth — three, not four — and it is the only one since the first.
    customer_writes(&lab, &hub, &s, "+33616000004").await;
    let c4 = {
        let (admin, hub2) = (s.admin.clone(), hub.clone());
        on_hub(&hub2, move |h| {
            h.interactions(&admin, None)
                .unwrap()
                .into_iter()
                .find(|i| i.contact_number == "+33616000004")
                .unwrap()
        })
        .await
    };
    clock.advance(Duration::minutes(1));
    {
        let (admin, id) = (s.admin.clone(), c4.id);
        on_hub(&hub, move |h| h.mark_read(&admin, id, true).unwrap()).await;
    }
    clock.advance(Duration::minutes(1));
    customer_writes(&lab, &hub, &s, "+33616000005").await;
    clock.advance(Duration::minutes(4));
    clock.advance(Duration::minutes(2));
    let got = mails(&smtp.mail, 2).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got[1].contains("3 interactions waiting"),
        "the first two and the fifth, never the fourth: {}",
        got[1]
    );
    for number in [NADIA, SAM] {
        let sms = tokio::time::timeout(WAIT, lab.wait_handset(number, 2))
            .await
            .unwrap_or_else(|_| panic!("no second SMS reached {number}'s handset"));
        assert_eq!(
            sms.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
            vec![expected, "Customers are waiting (3 interactions waiting)"],
            "{number}"
        );
    }
    // The conversation read in time stays unnotified; the first is still waiting unseen.
    let first = {
        let (admin, id) = (s.admin.clone(), c1.id);
        on_hub(&hub, move |h| h.interaction(&admin, id).unwrap()).await
    };
    assert!(!first.read);
    assert_eq!(stored(&smtp.mail).len(), 2, "no third e-mail");

    // The log shows each notification with its delivery: the e-mails accepted by the server,
    // the SMS delivered (the handsets' delivery reports came back through the gateway).
    let log = wait_until(
        "the notification log to show every SMS delivered",
        WAIT,
        || {
            let (hub, admin) = (hub.clone(), s.admin.clone());
            async move {
                let log = on_hub(&hub, move |h| {
                    h.notification_log(&admin, None, &PageRequest::default())
                        .unwrap()
                        .items
                })
                .await;
                let sms: Vec<_> = log.iter().filter(|e| e.medium == Medium::Sms).collect();
                (sms.len() == 4 && sms.iter().all(|e| e.status == DeliveryStatus::Delivered))
                    .then_some(log)
            }
        },
    )
    .await
    .unwrap();
    let mut emails: Vec<(String, u32, DeliveryStatus)> = log
        .iter()
        .filter(|e| e.medium == Medium::Email)
        .map(|e| (e.address.clone(), e.count, e.status))
        .collect();
    emails.sort_by_key(|e| e.1);
    assert_eq!(
        emails,
        vec![
            ("nadia@example.com".to_owned(), 2, DeliveryStatus::Accepted),
            ("nadia@example.com".to_owned(), 3, DeliveryStatus::Accepted),
        ]
    );
    let mut sms: Vec<(String, u32)> = log
        .iter()
        .filter(|e| e.medium == Medium::Sms)
        .map(|e| (e.address.clone(), e.count))
        .collect();
    sms.sort();
    assert_eq!(
        sms,
        vec![
            (NADIA.to_owned(), 2),
            (NADIA.to_owned(), 3),
            (SAM.to_owned(), 2),
            (SAM.to_owned(), 3)
        ]
    );

    token.cancel();
    let _ = gateway.await;
    started.wait().await;
}
