//! The running hub: [`run`] (what `smsgate hub` calls) and [`start`] (the same, returning handles
//! once everything listens, for the demo and tests).
//!
//! Start order: open the SQLite store (migrations), bootstrap the platform on first start, start
//! the MQTT side (the embedded broker — rumqttd behind the authorizing proxy, which checks
//! gateway logins against the hub's database — or nothing when `mqtt.broker = "external"`),
//! then the [`HubLink`] (every gateway's up messages → [`Hub::ingest`], the hub's per-gateway
//! command outbox → down topics) and the REST API.
//!
//! With `mqtt.tls_cert`/`tls_key` the embedded broker's public listener speaks TLS only (the
//! hub's own private loopback proxy stays plain) and gateway snippets advertise `mqtts://`.
//! With an external broker the hub's login comes from [`RunOptions`] (flags, environment) or
//! else from `mqtt.username` + `mqtt.password`/`password_file` (the file read at start), and
//! its TLS from `mqtt.ca_file`/`client_cert`/`client_key`, each overridable by the options.
//! Files are read before anything starts, and an unreadable one names its key.
//!
//! The glue between the link's traits and [`crate::GatewayIngest`] lives in [`link`]:
//! - [`HubSink`] implements [`UpSink`]: ingest and presence run on the blocking pool (the hub is
//!   synchronous); a storage failure is `Unavailable` (the link retries and does not PUBACK), any
//!   other refusal is `Rejected` (the gateway gets a `rejected` ack).
//! - [`HubDowns`] implements [`DownSource`] over [`Hub::pending_commands`]. The hub keeps a
//!   command until the gateway acks it; the link wants one global queue with increasing ids.
//!   `HubDowns` numbers each pending command the first time it sees it, forgets the number
//!   once the broker PUBACKed it, and sees it again (republishes it) only when its gateway comes
//!   back online or the hub restarts — gateways apply a command id once, so a republish is
//!   harmless and a command never waits for a restart.
//!
//! Stop order (one cancellation token): the API stops taking requests and the embedded
//! broker's listener closes (gateways keep what they could not publish in their spools); the
//! link then drains what rumqttd already accepted — rumqttd holds it in memory only — until it
//! is quiet for [`LINK_QUIET`], and stops; everything gets [`DRAIN_DEADLINE`]. Even a *crash*
//! loses nothing a gateway sent: with contract version 2 a gateway keeps an event in its outbox
//! until the hub link's receipt says the hub stored it (rumqttd's memory is never the only copy).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use smsgate_config::hub::{BrokerMode, HubConfig};
use smsgate_mqtt::{
    AuthProxy, BrokerConfig, BrokerUrl, EmbeddedBroker, HubLink, LinkOptions, LinkStatus,
};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

mod link;

pub use link::{HubCredentials, HubDowns, HubSink};

use crate::hub::{Hub, HubError, HubSettings, SystemClock};
use crate::store::sqlite::SqliteStore;

/// How long each part gets to finish at shutdown.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// At shutdown with the embedded broker, the link drains until no message arrived for this
/// long.
pub const LINK_QUIET: Duration = Duration::from_millis(300);

/// MQTT username of the hub itself on the embedded broker (gateway usernames are `gw-…`).
pub const HUB_MQTT_USERNAME: &str = "smsgate-hub";

/// Why the hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error("storage.path: cannot create {path}: {source}")]
    StorageDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("api.listen: cannot listen on {addr}: {source}")]
    ApiBind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("mqtt.listen: {0}")]
    Broker(#[from] smsgate_mqtt::BrokerError),
    #[error("mqtt.url: {0}")]
    Link(#[from] smsgate_mqtt::OptionsError),
    #[error(
        "mqtt.username: an external broker needs the hub's MQTT username and password (mqtt.username with mqtt.password or mqtt.password_file, or --mqtt-username/--mqtt-password)"
    )]
    ExternalLogin,
    #[error("mqtt.password_file: cannot read {path}: {source}")]
    PasswordFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("mqtt.password_file: {path} holds an empty password")]
    EmptyPasswordFile { path: String },
    #[error("mqtt.tls_cert/tls_key: {0}")]
    ListenerTls(#[source] smsgate_mqtt::TlsError),
    #[error("{key}: cannot read {path}: {source}")]
    SmtpFile {
        key: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Mailer(#[from] crate::hub::notifications::mailer::MailerError),
}

/// What the caller may add to the configuration file. Precedence: a value given here wins over
/// the file's (`smsgate hub` fills these from its flags and environment variables).
#[derive(Clone, Default)]
pub struct RunOptions {
    /// The hub's login on an external broker (`mqtt.broker = "external"`); replaces
    /// `mqtt.username` and `mqtt.password`/`password_file` as a whole.
    pub external_login: Option<(String, String)>,
    /// TLS settings for an `mqtts://` external broker; each field that is set replaces
    /// `mqtt.ca_file` or `mqtt.client_cert`/`client_key`.
    pub external_tls: smsgate_mqtt::ClientTls,
    /// Overrides of the hub core settings (tests use cheap password hashing).
    pub settings: Option<HubSettings>,
    /// Bootstrap password to use when the configuration has none and the database is new
    /// (otherwise one is generated).
    pub bootstrap_password: Option<String>,
    /// The hub's clock (tests move time; default: the system clock).
    pub clock: Option<Arc<dyn crate::Clock>>,
    /// The e-mail boundary instead of the SMTP mailer `[smtp]` describes (tests: a recorder).
    pub mailer: Option<Arc<dyn crate::hub::notifications::mailer::Mailer>>,
    /// Where the store's reads run (default: the reader pool; benchmarks measure the old
    /// design, reads through the writer, beside it).
    pub reads: crate::store::sqlite::Reads,
}

/// A started hub.
pub struct Started {
    /// The hub core (for seeding and inspection; the API uses the same handle).
    pub hub: Hub,
    /// Where the REST API listens.
    pub api_addr: SocketAddr,
    /// Where the embedded broker listens (`None` with an external broker).
    pub broker_addr: Option<SocketAddr>,
    /// The bootstrap admin password when it was generated on this start (shown once).
    pub generated_admin_password: Option<String>,
    link_status: watch::Receiver<LinkStatus>,
    presence: watch::Receiver<smsgate_mqtt::Presence>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl Started {
    /// The link's connection status.
    pub fn link_status(&self) -> watch::Receiver<LinkStatus> {
        self.link_status.clone()
    }

    /// The last retained presence of every gateway.
    pub fn presence(&self) -> watch::Receiver<smsgate_mqtt::Presence> {
        self.presence.clone()
    }

    /// Waits for the shutdown token, then for every task (at most [`DRAIN_DEADLINE`]).
    pub async fn wait(self) {
        self.shutdown.cancelled().await;
        tracing::info!("hub shutting down");
        self.tracker.close();
        if tokio::time::timeout(DRAIN_DEADLINE, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("hub tasks did not stop within the drain deadline");
        }
        tracing::info!("hub stopped");
    }
}

/// Runs the hub until `shutdown` is cancelled.
pub async fn run(config: HubConfig, shutdown: CancellationToken) -> Result<(), RunError> {
    run_with(config, RunOptions::default(), shutdown).await
}

/// [`run`] with options that do not live in `hub.toml`.
pub async fn run_with(
    config: HubConfig,
    options: RunOptions,
    shutdown: CancellationToken,
) -> Result<(), RunError> {
    let started = start(config, options, shutdown).await?;
    if let Some(pw) = &started.generated_admin_password {
        // Shown once, on the terminal that started the hub (never logged).
        eprintln!("first start: administrator password (shown once): {pw}");
    }
    started.wait().await;
    Ok(())
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field(
                "external_login",
                &self.external_login.as_ref().map(|(u, _)| (u, "<redacted>")),
            )
            .field("settings", &self.settings)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .field("mailer", &self.mailer.as_ref().map(|_| "custom"))
            .finish_non_exhaustive()
    }
}

/// Starts everything and returns once the API and the broker listen.
pub async fn start(
    config: HubConfig,
    options: RunOptions,
    shutdown: CancellationToken,
) -> Result<Started, RunError> {
    // Everything read from files beyond hub.toml is read first: a bad file stops the start
    // before anything is created.
    let external_login = match config.mqtt.broker {
        BrokerMode::External => Some(external_login(&config, &options)?),
        BrokerMode::Embedded => None,
    };
    let listener_tls = match (&config.mqtt.tls_cert, &config.mqtt.tls_key) {
        (Some(cert), Some(key)) if config.mqtt.embedded_tls() => Some(Arc::new(
            smsgate_mqtt::tls::server_config(cert, key).map_err(RunError::ListenerTls)?,
        )),
        _ => None,
    };
    let mailer = match &options.mailer {
        Some(m) => Some(m.clone()),
        None => smtp_mailer(&config)?,
    };
    let path = config.storage.path.clone();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| RunError::StorageDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let fresh = !path.exists();
    let settings = options.settings.clone().unwrap_or_else(|| HubSettings {
        mqtt_url: config.mqtt.effective_advertised_url(),
        ..HubSettings::from_config(&config)
    });
    let clock = options
        .clock
        .clone()
        .unwrap_or_else(|| Arc::new(SystemClock));
    let hub = open_hub(&path, settings, clock, options.reads).await?;
    let generated_admin_password = bootstrap(&hub, &config, &options, fresh).await?;

    let tracker = TaskTracker::new();
    let api_listener = tokio::net::TcpListener::bind(config.api.listen)
        .await
        .map_err(|source| RunError::ApiBind {
            addr: config.api.listen,
            source,
        })?;
    let api_addr = api_listener
        .local_addr()
        .map_err(|source| RunError::ApiBind {
            addr: config.api.listen,
            source,
        })?;

    // The MQTT side. At shutdown the embedded broker's listener closes first (no gateway can
    // publish any more), then the link drains what the broker already accepted (rumqttd keeps
    // it in memory only), then the link stops.
    let broker_token = CancellationToken::new();
    let link_token = CancellationToken::new();
    let private_token = CancellationToken::new();
    let (link_options, broker_addr) = match config.mqtt.broker {
        BrokerMode::Embedded => {
            let secret = Uuid::new_v4().simple().to_string();
            let credentials = HubCredentials::new(hub.gateway_ingest(), secret.clone());
            let broker = EmbeddedBroker::start(
                &BrokerConfig {
                    tls: listener_tls,
                    ..BrokerConfig::new(config.mqtt.listen)
                },
                credentials.clone(),
                broker_token.clone(),
            )
            .await?;
            let addr = broker.local_addr();
            // The hub's own way in: a second authorizing proxy on a private loopback port, so
            // closing the gateways' listener at shutdown leaves the link connected to drain.
            let private = AuthProxy::start(
                &BrokerConfig::new(SocketAddr::from(([127, 0, 0, 1], 0))),
                broker.inner().clone(),
                credentials.clone(),
                private_token.clone(),
            )
            .await?;
            let private_addr = private.local_addr();
            // The proxies stop with their tokens; keep the broker handle alive until then.
            let token = private_token.clone();
            tracker.spawn(async move {
                token.cancelled().await;
                drop(broker);
                drop(private);
            });
            let url = BrokerUrl {
                host: loopback_for(private_addr).to_string(),
                port: private_addr.port(),
                tls: false,
            };
            (
                LinkOptions::new(url, HUB_MQTT_USERNAME, HUB_MQTT_USERNAME, &secret),
                Some(addr),
            )
        }
        BrokerMode::External => {
            let raw = config.mqtt.url.as_deref().unwrap_or_default();
            let url = BrokerUrl::parse(raw)?;
            let (user, password) = external_login.ok_or(RunError::ExternalLogin)?;
            let mut o = LinkOptions::new(url, &user, &user, &password);
            o.tls = external_tls(&config, &options);
            (o, None)
        }
    };

    let downs = HubDowns::new(hub.gateway_ingest());
    let sink = HubSink::new(hub.gateway_ingest(), downs.clone());
    let ingested = sink.ingested.clone();
    let link = Arc::new(HubLink::spawn(
        link_options,
        sink,
        downs.clone(),
        link_token.clone(),
        &tracker,
    )?);
    {
        let token = shutdown.clone();
        let embedded = broker_addr.is_some();
        tracker.spawn(async move {
            token.cancelled().await;
            broker_token.cancel();
            if embedded {
                // Until nothing arrived for a while (at most the drain deadline).
                let deadline = tokio::time::Instant::now() + DRAIN_DEADLINE;
                let mut last = ingested.load(Ordering::SeqCst);
                loop {
                    tokio::time::sleep(LINK_QUIET).await;
                    let now = ingested.load(Ordering::SeqCst);
                    if now == last || tokio::time::Instant::now() >= deadline {
                        break;
                    }
                    last = now;
                }
            }
            link_token.cancel();
            // Let the link say goodbye before its private proxy goes.
            tokio::time::sleep(LINK_QUIET).await;
            private_token.cancel();
        });
    }
    // New commands in the hub's outbox wake the link.
    {
        let mut outbox = hub.gateway_ingest().subscribe_outbox();
        let token = shutdown.clone();
        let downs = downs.clone();
        let link = link.clone();
        tracker.spawn(async move {
            loop {
                let got = tokio::select! {
                    _ = token.cancelled() => break,
                    g = outbox.recv() => g,
                };
                match got {
                    Ok(gateway) => downs.mark_dirty_username(&gateway),
                    Err(broadcast::error::RecvError::Lagged(_)) => downs.mark_all_dirty(),
                    Err(broadcast::error::RecvError::Closed) => break,
                }
                link.notify_downs();
            }
        });
    }

    {
        let token = shutdown.clone();
        let app = crate::api::router(hub.clone());
        // The portal at `/` (its fallback never hides an API route; unknown /api/… stays JSON).
        #[cfg(feature = "portal")]
        let app = app.merge(smsgate_web_portal::router());
        tracker.spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(api_listener, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
            {
                tracing::error!(error = %e, "API server failed");
            }
        });
    }
    // `smsgate_hub_link_connection_drops_total` follows the hub link's count.
    tracker.spawn(link::count_drops(
        link.status(),
        link.counters(),
        hub.metrics().clone(),
        shutdown.clone(),
    ));
    // The floor: queued conversations handed out as capacity frees up; notifications.
    tracker.spawn(hub.clone().run_dispatcher(shutdown.clone()));
    if mailer.is_none() {
        tracing::info!("e-mail notifications are off (no smtp.host in hub.toml)");
    }
    tracker.spawn(hub.clone().run_notifications(mailer, shutdown.clone()));
    // Idempotency keys are deleted as they expire (`[api] idempotency_ttl_hours`).
    tracker.spawn(hub.clone().run_idempotency_sweep(shutdown.clone()));
    // Webhooks (issue 15): the enqueuer and the delivery worker.
    tracker.spawn(hub.clone().run_webhooks(
        crate::webhooks::WebhookSettings::default(),
        shutdown.clone(),
    ));
    // Campaigns (issue 12): uploads a crash interrupted are removed, then the runner starts.
    match hub.recover_campaign_imports() {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            campaigns = n,
            "removed the rows of campaign uploads a restart interrupted"
        ),
        Err(e) => tracing::error!(error = %e, "campaigns: could not clean interrupted uploads"),
    }
    tracker.spawn(hub.clone().run_campaigns(shutdown.clone()));
    tracing::info!(api = %api_addr, broker = ?broker_addr, "hub running");
    Ok(Started {
        hub,
        api_addr,
        broker_addr,
        generated_admin_password,
        link_status: link.status(),
        presence: link.presence(),
        tracker,
        shutdown,
    })
}

/// The SMTP mailer `[smtp]` describes (none without `smtp.host`); files are read now.
fn smtp_mailer(
    config: &HubConfig,
) -> Result<Option<Arc<dyn crate::hub::notifications::mailer::Mailer>>, RunError> {
    use crate::hub::notifications::mailer::{SmtpMailer, SmtpSettings};
    let c = &config.smtp;
    let Some(host) = &c.host else {
        return Ok(None);
    };
    let read = |key: &'static str, p: &Path| {
        std::fs::read(p).map_err(|source| RunError::SmtpFile {
            key,
            path: p.display().to_string(),
            source,
        })
    };
    let password = match (&c.password, &c.password_file) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(f)) => Some(
            String::from_utf8_lossy(&read("smtp.password_file", f)?)
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
        ),
        (None, None) => None,
    };
    let ca_pem = match &c.ca_file {
        Some(f) => Some(read("smtp.ca_file", f)?),
        None => None,
    };
    let m = SmtpMailer::new(&SmtpSettings {
        host: host.clone(),
        port: c.port,
        security: c.security,
        username: c.username.clone(),
        password,
        from: c.from.clone(),
        ca_pem,
        timeout: Duration::from_secs(u64::from(c.timeout_s)),
    })?;
    Ok(Some(Arc::new(m)))
}

/// The hub's login on an external broker: the options' (flags, environment) or the file's,
/// with `mqtt.password_file` read now (one line; trailing line breaks dropped).
fn external_login(config: &HubConfig, options: &RunOptions) -> Result<(String, String), RunError> {
    if let Some(login) = &options.external_login {
        return Ok(login.clone());
    }
    let m = &config.mqtt;
    let user = m.username.clone().ok_or(RunError::ExternalLogin)?;
    let password = match (&m.password, &m.password_file) {
        (Some(p), _) => p.clone(),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| RunError::PasswordFile {
                path: path.display().to_string(),
                source,
            })?;
            let p = text.trim_end_matches(['\r', '\n']).to_owned();
            if p.is_empty() {
                return Err(RunError::EmptyPasswordFile {
                    path: path.display().to_string(),
                });
            }
            p
        }
        (None, None) => return Err(RunError::ExternalLogin),
    };
    Ok((user, password))
}

/// TLS towards an external broker: each setting of the options wins over the file's.
fn external_tls(config: &HubConfig, options: &RunOptions) -> smsgate_mqtt::ClientTls {
    let m = &config.mqtt;
    let from_file = match (&m.client_cert, &m.client_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        _ => None,
    };
    smsgate_mqtt::ClientTls {
        ca_file: options
            .external_tls
            .ca_file
            .clone()
            .or_else(|| m.ca_file.clone()),
        client_cert: options.external_tls.client_cert.clone().or(from_file),
    }
}

/// The address to dial for a listener bound to `addr` (an unspecified address means loopback).
fn loopback_for(addr: SocketAddr) -> std::net::IpAddr {
    if addr.ip().is_unspecified() {
        match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        }
    } else {
        addr.ip()
    }
}

async fn open_hub(
    path: &Path,
    settings: HubSettings,
    clock: Arc<dyn crate::Clock>,
    reads: crate::store::sqlite::Reads,
) -> Result<Hub, RunError> {
    let path = path.to_owned();
    let hub = tokio::task::spawn_blocking(move || -> Result<Hub, HubError> {
        let store =
            SqliteStore::open_with(&path, crate::store::sqlite::DEFAULT_GROUP_LIMIT, reads)?;
        Hub::new(Box::new(store), clock, settings)
    })
    .await
    .map_err(|e| HubError::Conflict(format!("opening the store: {e}")))??;
    Ok(hub)
}

/// Creates the platform and its first administrator on a new database. Returns the generated
/// password when neither the config nor the options gave one.
async fn bootstrap(
    hub: &Hub,
    config: &HubConfig,
    options: &RunOptions,
    fresh: bool,
) -> Result<Option<String>, RunError> {
    let given = config
        .bootstrap
        .admin_password
        .clone()
        .or_else(|| options.bootstrap_password.clone());
    let (password, generated) = match given {
        Some(p) => (p, None),
        None if fresh => {
            let p = crate::secrets::random_token("");
            (p.clone(), Some(p))
        }
        // An existing database keeps its administrator: bootstrap only reads the platform.
        None => (crate::secrets::random_token(""), None),
    };
    let hub = hub.clone();
    let b = config.bootstrap.clone();
    tokio::task::spawn_blocking(move || hub.bootstrap(&b.platform_name, &b.admin_login, &password))
        .await
        .map_err(|e| HubError::Conflict(format!("bootstrap: {e}")))??;
    Ok(generated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn external_config() -> HubConfig {
        let mut c = HubConfig::default();
        c.mqtt.broker = BrokerMode::External;
        c.mqtt.url = Some("mqtts://broker:8883".into());
        c.mqtt.username = Some("file-user".into());
        c.mqtt.password = Some("file-password".into());
        c.mqtt.ca_file = Some("file-ca.pem".into());
        c.mqtt.client_cert = Some("file-cert.pem".into());
        c.mqtt.client_key = Some("file-key.pem".into());
        c
    }

    #[test]
    fn the_external_login_comes_from_the_file_unless_the_options_give_one() {
        let c = external_config();
        assert_eq!(
            external_login(&c, &RunOptions::default()).unwrap(),
            ("file-user".to_owned(), "file-password".to_owned())
        );
        let options = RunOptions {
            external_login: Some(("flag-user".into(), "flag-password".into())),
            ..RunOptions::default()
        };
        assert_eq!(
            external_login(&c, &options).unwrap(),
            ("flag-user".to_owned(), "flag-password".to_owned())
        );
        let mut none = c.clone();
        none.mqtt.username = None;
        none.mqtt.password = None;
        assert!(matches!(
            external_login(&none, &RunOptions::default()),
            Err(RunError::ExternalLogin)
        ));
    }

    #[test]
    fn a_password_file_is_read_without_its_line_break_and_an_empty_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\r\n").unwrap();
        let mut c = external_config();
        c.mqtt.password = None;
        c.mqtt.password_file = Some(file.clone());
        assert_eq!(
            external_login(&c, &RunOptions::default()).unwrap().1,
            "s3cret"
        );
        std::fs::write(&file, "\n").unwrap();
        let err = external_login(&c, &RunOptions::default()).unwrap_err();
        assert!(matches!(err, RunError::EmptyPasswordFile { .. }), "{err}");
        assert!(err.to_string().starts_with("mqtt.password_file:"), "{err}");
    }

    #[test]
    fn each_tls_option_overrides_only_its_own_file_key() {
        let c = external_config();
        assert_eq!(
            external_tls(&c, &RunOptions::default()),
            smsgate_mqtt::ClientTls {
                ca_file: Some("file-ca.pem".into()),
                client_cert: Some(("file-cert.pem".into(), "file-key.pem".into())),
            }
        );
        let options = RunOptions {
            external_tls: smsgate_mqtt::ClientTls {
                ca_file: Some("flag-ca.pem".into()),
                client_cert: None,
            },
            ..RunOptions::default()
        };
        assert_eq!(
            external_tls(&c, &options),
            smsgate_mqtt::ClientTls {
                ca_file: Some("flag-ca.pem".into()),
                client_cert: Some(("file-cert.pem".into(), "file-key.pem".into())),
            }
        );
    }
}
