//! The box's local web UI, server side: the admin account, browser sessions, login
//! throttling, the group override file, and [`Ui`], the state the UI's endpoints share
//! (handlers in `api::box_auth` and `api::box_views`; the app itself is `smsgate-web-box`).
//!
//! - [`account`]: one local admin (login + argon2id hash) in `admin.json` beside the spool.
//! - [`session`]: HttpOnly SameSite=Strict cookie sessions that expire (idle and absolute).
//! - [`throttle`]: failures per account and per address, checked before any hashing.
//! - [`overrides`]: live group changes kept in `overrides.json` beside the spool.
//! - [`port_overrides`]: live port settings (device, baud, PIN…), kept in the same file.
//! - [`fsutil`]: atomic small-file writes.
//! - [`hashing`]: one argon2id hash at a time, on the blocking pool, counted for `/metrics`.
//! - [`cloud_overrides`]: the `[cloud]` snippet pasted on the cloud screen, kept in the same file.
//! - [`bundle`]: the support bundle, secrets masked.
//! - [`host`]: disk space of the spool's file system and the process's resident memory.

pub mod account;
pub mod bundle;
pub mod cloud_overrides;
pub mod fsutil;
pub mod hashing;
pub mod host;
pub mod overrides;
pub mod port_overrides;
pub mod session;
pub mod throttle;

use crate::dispatch::live::GroupSettings;
use chrono::{DateTime, Utc};
use smsgate_config::GatewayConfig;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Longest a login waits for the hashing permit before it is told to retry.
pub const HASH_WAIT: Duration = Duration::from_secs(2);

/// What the UI endpoints share (one per running gateway).
pub struct Ui {
    /// `admin.json`.
    pub account_path: PathBuf,
    /// `overrides.json`.
    pub overrides_path: PathBuf,
    /// Browser sessions.
    pub sessions: session::Sessions,
    /// Login failures.
    pub throttle: Mutex<throttle::Throttle>,
    /// One argon2 hash at a time (memory: one 7 MiB working set).
    pub hashing: hashing::HashGate,
    dummy: OnceLock<String>,
    /// When the gateway started.
    pub started_at: DateTime<Utc>,
    started: Instant,
    /// The configuration as loaded from the file (groups before the overrides).
    pub file_config: Arc<GatewayConfig>,
    /// The running groups' settings, as the next start will have them.
    pub groups: Option<GroupSettings>,
    /// The running AT ports' settings (a change restarts that port's worker).
    pub ports: Option<port_overrides::LivePorts>,
    /// Held while a UI change is validated, saved and applied (one at a time, so two changes
    /// never write the override file from stale halves).
    pub edits: tokio::sync::Mutex<()>,
    /// The cloud link (replaceable from the cloud screen), once the runtime started it.
    pub cloud: OnceLock<Arc<crate::cloud::CloudControl>>,
    /// The spool file.
    pub spool_path: PathBuf,
    /// The gateway's recent log lines (when the binary feeds a ring).
    pub logs: Option<crate::logs::LogRing>,
}

/// Owned [`overrides::Next`].
#[derive(Debug, Clone)]
pub struct NextSettings {
    /// Every group.
    pub groups: Vec<smsgate_config::gateway::GroupConfig>,
    /// The AT ports.
    pub ports: Vec<smsgate_config::gateway::PortConfig>,
    /// The `[cloud]` section.
    pub cloud: smsgate_config::gateway::CloudConfig,
}

impl NextSettings {
    /// Writes the override file `path` for these settings against `file`'s.
    pub fn save(&self, path: &std::path::Path, file: &GatewayConfig) -> std::io::Result<()> {
        overrides::save(
            path,
            file,
            overrides::Next {
                groups: &self.groups,
                ports: &self.ports,
                cloud: &self.cloud,
            },
        )
    }
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ui")
            .field("account_path", &self.account_path)
            .field("overrides_path", &self.overrides_path)
            .finish_non_exhaustive()
    }
}

impl Ui {
    /// The UI state of a gateway started with `file_config` (as read from its file).
    pub fn new(file_config: GatewayConfig, started_at: DateTime<Utc>) -> Self {
        let spool_path = file_config.storage.path.clone();
        Self {
            account_path: account::path_for(&spool_path),
            overrides_path: overrides::path_for(&spool_path),
            sessions: session::Sessions::default(),
            throttle: Mutex::new(throttle::Throttle::default()),
            hashing: hashing::HashGate::new(),
            dummy: OnceLock::new(),
            started_at,
            started: Instant::now(),
            file_config: Arc::new(file_config),
            groups: None,
            ports: None,
            edits: tokio::sync::Mutex::new(()),
            cloud: OnceLock::new(),
            spool_path,
            logs: None,
        }
    }

    /// Lets the UI change the running groups' settings.
    pub fn with_groups(mut self, groups: GroupSettings) -> Self {
        self.groups = Some(groups);
        self
    }

    /// Lets the UI show the gateway's recent log lines.
    pub fn with_logs(mut self, logs: crate::logs::LogRing) -> Self {
        self.logs = Some(logs);
        self
    }

    /// Lets the UI change the running ports' settings.
    pub fn with_ports(mut self, ports: port_overrides::LivePorts) -> Self {
        self.ports = Some(ports);
        self
    }

    /// The `[cloud]` section the link runs with (the file's when no link control is wired).
    pub fn current_cloud(&self) -> smsgate_config::gateway::CloudConfig {
        match self.cloud.get() {
            Some(c) => c.cloud(),
            None => self.file_config.cloud.clone(),
        }
    }

    /// The settings the next start should have, for the override file.
    pub fn next_settings(
        &self,
        groups: Option<Vec<smsgate_config::gateway::GroupConfig>>,
        ports: Option<Vec<smsgate_config::gateway::PortConfig>>,
        cloud: Option<smsgate_config::gateway::CloudConfig>,
    ) -> NextSettings {
        NextSettings {
            groups: groups.unwrap_or_else(|| match &self.groups {
                Some(g) => g.borrow().clone(),
                None => self.file_config.groups.clone(),
            }),
            ports: ports.unwrap_or_else(|| self.current_ports()),
            cloud: cloud.unwrap_or_else(|| self.current_cloud()),
        }
    }

    /// The AT ports' settings as they run now (the file's when the UI cannot change them).
    pub fn current_ports(&self) -> Vec<smsgate_config::gateway::PortConfig> {
        match &self.ports {
            Some(p) => p.borrow().clone(),
            None => self.file_config.ports.clone(),
        }
    }

    /// Seconds since start.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// A hash to verify unknown logins against, so they cost the same as known ones.
    pub fn dummy_hash(&self) -> &str {
        self.dummy.get_or_init(|| {
            account::hash_password("not the password of anyone").unwrap_or_default()
        })
    }

    /// The throttle, locked.
    pub fn throttle(&self) -> std::sync::MutexGuard<'_, throttle::Throttle> {
        self.throttle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
