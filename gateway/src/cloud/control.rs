//! The cloud link as something the box UI can replace while the gateway runs.
//!
//! [`CloudControl`] owns the running [`GatewayLink`] (its own cancellation token, a child of
//! the gateway's, and its own task tracker), the `[cloud]` section it runs with, its status
//! (forwarded from each link in turn, `None` while there is no link) and [`LinkActivity`]
//! (when the hub last receipted outbox events). [`CloudControl::replace`] stops the running
//! link — its tasks end within the drain deadline — and starts one with the new section; the
//! spool and its outbox are untouched, so the new link publishes what the old one had not
//! had receipted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use smsgate_config::gateway::CloudConfig;
use smsgate_config::{ConfigError, GatewayConfig, Violations};
use smsgate_mqtt::{LinkCounters, LinkStatus};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{CloudError, settings, spawn_with};
use crate::clock::Clock;
use crate::dispatch::live::GroupSettings;
use crate::metrics::GatewayMetrics;
use crate::ports::PortsHandle;
use crate::spool::Spool;

/// How long a replaced link's tasks get to end.
pub const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// When the hub last confirmed (receipted) outbox events, shared by every link of a gateway.
#[derive(Clone)]
pub struct LinkActivity {
    last_receipt: Arc<Mutex<Option<DateTime<Utc>>>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LinkActivity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkActivity")
            .field("last_receipt", &self.last_receipt())
            .finish()
    }
}

impl LinkActivity {
    /// No receipt yet; times from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            last_receipt: Arc::new(Mutex::new(None)),
            clock,
        }
    }

    /// The hub receipted events now.
    pub fn record_receipt(&self) {
        let now = self.clock.now();
        *self
            .last_receipt
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(now);
    }

    /// When the hub last receipted events (since start).
    pub fn last_receipt(&self) -> Option<DateTime<Utc>> {
        *self
            .last_receipt
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What every link of the gateway is built on.
pub struct CloudDeps {
    /// The running configuration (its `cloud` section is the first link's).
    pub config: GatewayConfig,
    /// The spool (outbox and commands).
    pub spool: Spool,
    /// The ports (commands, inventory).
    pub ports: PortsHandle,
    /// The live group settings (`config` command).
    pub groups: GroupSettings,
    /// `smsgate_link_connection_drops_total`.
    pub metrics: GatewayMetrics,
    /// Receipt times.
    pub clock: Arc<dyn Clock>,
    /// The gateway's shutdown.
    pub shutdown: CancellationToken,
}

struct Running {
    token: CancellationToken,
    tracker: TaskTracker,
    counters: Arc<LinkCounters>,
}

/// The replaceable cloud link.
pub struct CloudControl {
    deps: CloudDeps,
    cloud: watch::Sender<CloudConfig>,
    status: watch::Sender<Option<LinkStatus>>,
    activity: LinkActivity,
    running: tokio::sync::Mutex<Option<Running>>,
    drops_before: AtomicU64,
}

impl std::fmt::Debug for CloudControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudControl")
            .field("cloud", &*self.cloud.borrow())
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

fn config_error(e: CloudError) -> ConfigError {
    let mut v = Violations::default();
    match e {
        CloudError::GatewayId(e) => v.push("cloud.gateway_id", e.to_string()),
        CloudError::Options(e) => v.push("cloud", e.to_string()),
    }
    match v.into_result() {
        Err(e) => e,
        // Invariant: one violation was pushed just above.
        Ok(()) => ConfigError::Invalid(Vec::new()),
    }
}

impl CloudControl {
    /// Starts the link of `deps.config.cloud` (none without `cloud.url`). A setting the link
    /// cannot use (URL, unreadable TLS files) is a configuration error naming the `cloud` key.
    pub async fn start(deps: CloudDeps) -> Result<Arc<Self>, ConfigError> {
        let cloud = deps.config.cloud.clone();
        let activity = LinkActivity::new(deps.clock.clone());
        let control = Arc::new(Self {
            deps,
            cloud: watch::channel(cloud.clone()).0,
            status: watch::channel(None).0,
            activity,
            running: tokio::sync::Mutex::new(None),
            drops_before: AtomicU64::new(0),
        });
        control.replace(cloud).await?;
        Ok(control)
    }

    /// Stops the running link (if any) and starts one with `cloud` (none without a `url`).
    /// On an error the old link is already stopped and no link runs.
    pub async fn replace(&self, cloud: CloudConfig) -> Result<(), ConfigError> {
        let mut running = self.running.lock().await;
        if let Some(old) = running.take() {
            self.stop_link(old).await;
        }
        self.cloud.send_replace(cloud.clone());
        let mut config = self.deps.config.clone();
        config.cloud = cloud;
        let Some(s) = settings(&config) else {
            self.status.send_replace(None);
            return Ok(());
        };
        if self.deps.shutdown.is_cancelled() {
            return Ok(());
        }
        tracing::info!(url = %s.url, gateway = %s.gateway_id, "cloud link starting");
        let token = self.deps.shutdown.child_token();
        let tracker = TaskTracker::new();
        let link = match spawn_with(
            &s,
            &config,
            self.deps.spool.clone(),
            Some(self.deps.ports.clone()),
            Some(self.deps.groups.clone()),
            Some(self.activity.clone()),
            token.clone(),
            &tracker,
        ) {
            Ok(l) => l,
            Err(e) => {
                self.status
                    .send_replace(Some(LinkStatus::Disconnected(e.to_string())));
                return Err(config_error(e));
            }
        };
        let counters = link.counters();
        tracker.spawn(forward_status(
            link.status(),
            counters.clone(),
            self.status.clone(),
            self.deps.metrics.clone(),
            self.drops_before.load(Ordering::Relaxed),
            token.clone(),
        ));
        tracker.close();
        *running = Some(Running {
            token,
            tracker,
            counters,
        });
        Ok(())
    }

    async fn stop_link(&self, old: Running) {
        old.token.cancel();
        if tokio::time::timeout(STOP_DEADLINE, old.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("the replaced cloud link did not stop within the deadline");
        }
        self.drops_before
            .fetch_add(old.counters.connection_drops(), Ordering::Relaxed);
        self.status.send_replace(None);
    }

    /// Stops the link for good (the gateway is shutting down).
    pub async fn stop(&self) {
        if let Some(old) = self.running.lock().await.take() {
            self.stop_link(old).await;
        }
    }

    /// The `[cloud]` section the running link uses (and the next start will).
    pub fn cloud(&self) -> CloudConfig {
        self.cloud.borrow().clone()
    }

    /// Follows [`CloudControl::cloud`].
    pub fn subscribe_cloud(&self) -> watch::Receiver<CloudConfig> {
        self.cloud.subscribe()
    }

    /// The running link's state; `None` when no link runs.
    pub fn status(&self) -> Option<LinkStatus> {
        self.status.borrow().clone()
    }

    /// Follows [`CloudControl::status`].
    pub fn subscribe_status(&self) -> watch::Receiver<Option<LinkStatus>> {
        self.status.subscribe()
    }

    /// Receipt times.
    pub fn activity(&self) -> &LinkActivity {
        &self.activity
    }
}

/// Copies one link's status into the control's until the link is stopped, and keeps
/// `smsgate_link_connection_drops_total` at the drops of every link so far.
async fn forward_status(
    mut status: watch::Receiver<LinkStatus>,
    counters: Arc<LinkCounters>,
    out: watch::Sender<Option<LinkStatus>>,
    metrics: GatewayMetrics,
    drops_before: u64,
    cancel: CancellationToken,
) {
    loop {
        let now = status.borrow_and_update().clone();
        out.send_replace(Some(now));
        metrics.set_link_drops(drops_before + counters.connection_drops());
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = status.changed() => if changed.is_err() { return },
        }
    }
}
