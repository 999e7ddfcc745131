//! `run`: the whole gateway in one call.
//!
//! Start order: validate the config (nothing starts on an error), take the spool's lock (a
//! second gateway on the same spool stops here, naming the PID that holds it, having changed
//! nothing), open the spool (crash recovery turns `sending` into `unknown`), bind the API listener, start one worker per port
//! (modem ports and the ports of every `[[dinstar_http]]` gateway),
//! one dispatcher per group, the expiry task, the campaign runner and the API server.
//!
//! Stop order (one cancellation token): the API, dispatchers and expiry task stop first; the
//! port workers are told to stop last (a send in progress finishes and is recorded), each
//! within the drain deadline; the transports (hardware) are released when the workers end.

use crate::api::{self, ApiState};
use crate::clock::{Clock, SystemClock};
use crate::dispatch::GroupDispatcher;
use crate::metrics::GatewayMetrics;
use crate::ports::worker::{PortWorker, WorkerDeps, WorkerSettings};
use crate::ports::{Board, PortsHandle, PowerCycle};
use crate::schedule::pacing::RandJitter;
use crate::spool::{Spool, SpoolError};
use smsgate_at::{Opener, SystemOpener};
use smsgate_config::{ConfigError, GatewayConfig, Validate, Violations};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long the API, dispatchers and then the port workers get to finish at shutdown (each).
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);
/// Period of the expiry task (validity ends, and the report window of sent messages).
pub const EXPIRY_PERIOD: Duration = Duration::from_secs(1);

/// Why the gateway could not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The configuration is invalid (the error names the key).
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The spool could not be opened.
    #[error("spool: {0}")]
    Spool(#[from] SpoolError),
    /// Another gateway holds the spool (or its lock file cannot be written).
    #[error("storage.path: {0}")]
    SpoolLocked(#[from] crate::spool::lock::LockError),
    /// The API listener could not be bound.
    #[error("api.listen: cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// A `[[dinstar_http]]` client or push listener could not be set up (names the key).
    #[error("{0}")]
    Dinstar(#[from] crate::dinstar_http::StartError),
    /// The group override file (`overrides.json`) is unreadable or refused (names the key).
    #[error("{0}")]
    Overrides(#[from] crate::ui::overrides::OverrideError),
}

/// Everything `run` takes from outside (injected for tests and benches).
pub struct RunDeps<O> {
    /// Opens the modem transports.
    pub opener: Arc<O>,
    /// Wall clock of the spool, counters and sending hours.
    pub clock: Arc<dyn Clock>,
    /// Power control per port id (ports without one skip the power-cycle step).
    pub power: BTreeMap<u16, Box<dyn PowerCycle>>,
    /// Metrics registry.
    pub metrics: GatewayMetrics,
    /// Called with the bound API address once it listens (tests use port 0).
    pub on_listen: Option<Box<dyn FnOnce(SocketAddr) + Send>>,
    /// The recent log lines the box UI shows (fed by the binary's tracing subscriber).
    pub logs: Option<crate::logs::LogRing>,
}

impl RunDeps<SystemOpener> {
    /// Real serial/TCP/Dinstar transports, the system clock, no power control.
    pub fn system() -> Self {
        Self {
            opener: Arc::new(SystemOpener::default()),
            clock: Arc::new(SystemClock),
            power: BTreeMap::new(),
            metrics: GatewayMetrics::new(),
            on_listen: None,
            logs: None,
        }
    }
}

/// Runs the gateway until `shutdown` is cancelled.
///
/// Power control comes from `[power]` (none by default).
pub async fn run(config: GatewayConfig, shutdown: CancellationToken) -> Result<(), GatewayError> {
    run_logged(config, None, shutdown).await
}

/// [`run`], with the ring the binary's tracing subscriber feeds (the box UI's recent logs).
pub async fn run_logged(
    config: GatewayConfig,
    logs: Option<crate::logs::LogRing>,
    shutdown: CancellationToken,
) -> Result<(), GatewayError> {
    let mut deps = RunDeps::system();
    deps.power = crate::ports::sim_power::from_config(&config, &tokio::runtime::Handle::current());
    deps.logs = logs;
    run_with(config, deps, shutdown).await
}

/// [`run`] with injected transports, clock and power control.
pub async fn run_with<O: Opener + 'static>(
    mut config: GatewayConfig,
    mut deps: RunDeps<O>,
    shutdown: CancellationToken,
) -> Result<(), GatewayError> {
    let mut v = Violations::default();
    config.validate(&mut v);
    v.into_result()?;
    // The file's configuration, before the override file: the UI compares with it, the
    // override file is written against it.
    let file_config = config.clone();
    let overrides_path = crate::ui::overrides::path_for(&config.storage.path);
    config.groups = crate::ui::overrides::start_groups(&config, &overrides_path)?;
    config.ports = crate::ui::overrides::start_ports(&config, &overrides_path)?;
    config.cloud = crate::ui::overrides::start_cloud(&config, &overrides_path)?;
    let dinstars = crate::dinstar_http::prepare(&config).await?;

    // Before anything touches the spool: crash recovery would take a live gateway's sends.
    let _lock = crate::spool::lock::SpoolLock::acquire(&config.storage.path)?;
    let spool = Spool::open_with_clock(&config.storage.path, deps.clock.clone())?;
    if !spool.recovered_at_open().is_empty() {
        tracing::warn!(
            ids = ?spool.recovered_at_open(),
            "messages found `sending` after an unclean stop are now `unknown` (not resent; requeue them to send again)"
        );
    }
    let listener = match &config.api.token {
        Some(_) => Some(
            tokio::net::TcpListener::bind(config.api.listen)
                .await
                .map_err(|source| GatewayError::Bind {
                    addr: config.api.listen,
                    source,
                })?,
        ),
        None => {
            tracing::warn!("no api.token: the local API is not started");
            None
        }
    };

    let board = Board::new(config.port_ids().into_keys());
    let front = TaskTracker::new();
    let ports_token = CancellationToken::new();
    let ports_tracker = TaskTracker::new();
    let mut senders = BTreeMap::new();
    // The AT ports' settings: the box UI changes them, each worker restarts on its own.
    let (live_ports, _) = tokio::sync::watch::channel(config.ports.clone());
    let at_logs = crate::ports::atlog::AtLogs::new(config.ports.iter().map(|p| p.id));
    // Pacing deadlines to the sub-millisecond (crate::schedule::precise); tokio's timer alone
    // if the thread cannot start.
    let timer = crate::schedule::precise::PreciseTimer::start().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no precise timer thread: pacing wakes on tokio's 1 ms timer");
        crate::schedule::precise::PreciseTimer::tokio_only()
    });
    for (i, port) in config.ports.iter().enumerate() {
        let seed = u64::from(port.id) ^ (i as u64).rotate_left(17);
        let (worker, tx) = PortWorker::new(
            WorkerSettings {
                port: port.clone(),
                supervision: config.supervision.clone(),
                inbound: config.inbound.clone(),
                ussd: config.ussd.clone(),
            },
            WorkerDeps {
                opener: deps.opener.clone(),
                spool: spool.clone(),
                board: board.clone(),
                metrics: deps.metrics.clone(),
                clock: deps.clock.clone(),
                power: deps.power.remove(&port.id),
                jitter: Box::new(RandJitter(
                    <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed ^ 0x5eed),
                )),
                timer: timer.clone(),
                shutdown: ports_token.clone(),
            },
        );
        let worker = worker
            .with_settings_feed(live_ports.subscribe())
            .with_at_log(at_logs.get(port.id));
        senders.insert(port.id, tx);
        ports_tracker.spawn(worker.run());
    }
    let dinstar = dinstars.start(crate::dinstar_http::StartContext {
        config: &config,
        spool: &spool,
        board: &board,
        metrics: &deps.metrics,
        clock: &deps.clock,
        ports_token: &ports_token,
        ports_tracker: &ports_tracker,
        shutdown: &shutdown,
        front: &front,
    });
    senders.extend(dinstar.senders);
    ports_tracker.close();

    // The groups' run-time settings: the hub's `config` command changes them, every dispatcher
    // follows its group.
    let (group_settings, _) = tokio::sync::watch::channel(config.groups.clone());
    let mut ui = crate::ui::Ui::new(file_config, deps.clock.now())
        .with_groups(group_settings.clone())
        .with_ports(live_ports.clone());
    if let Some(logs) = deps.logs.take() {
        ui = ui.with_logs(logs);
    }
    let ui = Arc::new(ui);
    for g in &config.groups {
        let d = GroupDispatcher::new(
            g.clone(),
            board.clone(),
            senders.clone(),
            spool.clone(),
            deps.clock.clone(),
            shutdown.clone(),
        )
        .with_settings(group_settings.subscribe());
        front.spawn(d.run());
    }
    {
        let spool = spool.clone();
        let token = shutdown.clone();
        let report_window = chrono::Duration::minutes(
            i64::try_from(config.inbound.report_window_min).unwrap_or(i64::MAX / 60_000),
        );
        front.spawn(async move {
            let mut tick = tokio::time::interval(EXPIRY_PERIOD);
            loop {
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tick.tick() => {}
                }
                match spool.call(|db| db.expire_due()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(n, "messages expired"),
                    Err(e) => tracing::error!(error = %e, "expiry failed"),
                }
                match spool
                    .call(move |db| db.mark_no_report_due(report_window))
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        n,
                        "sent messages got no delivery report in the report window"
                    ),
                    Err(e) => tracing::error!(error = %e, "report window check failed"),
                }
            }
        });
    }
    front.spawn(crate::spool::retention::run(
        spool.clone(),
        deps.clock.clone(),
        config.storage.retention_days,
        crate::spool::retention::PERIOD,
        shutdown.clone(),
    ));
    front.spawn(crate::campaign::run(
        spool.clone(),
        deps.clock.clone(),
        shutdown.clone(),
    ));
    if let (Some(listener), Some(token)) = (listener, config.api.token.as_deref()) {
        let state = ApiState::new(
            spool.clone(),
            &config,
            token,
            deps.metrics.clone(),
            deps.clock.clone(),
        )
        .with_ports(PortsHandle::new(board.clone(), senders.clone()).with_at_logs(at_logs.clone()))
        .with_dinstar(dinstar.inflight.clone())
        .with_ui(ui.clone());
        if let (Some(f), Ok(addr)) = (deps.on_listen.take(), listener.local_addr()) {
            f(addr);
        }
        let token = shutdown.clone();
        front.spawn(async move {
            let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
            {
                tracing::error!(error = %e, "API server failed");
            }
        });
    }
    let cloud = crate::cloud::CloudControl::start(crate::cloud::CloudDeps {
        config: config.clone(),
        spool: spool.clone(),
        ports: PortsHandle::new(board.clone(), senders.clone())
            .with_dinstar(dinstar.inflight.clone()),
        groups: group_settings.clone(),
        metrics: deps.metrics.clone(),
        clock: deps.clock.clone(),
        shutdown: shutdown.clone(),
    })
    .await?;
    let _ = ui.cloud.set(cloud.clone());
    {
        let (cloud, token) = (cloud.clone(), shutdown.clone());
        front.spawn(async move {
            token.cancelled().await;
            cloud.stop().await;
        });
    }
    {
        // Every change of the live group settings (box UI, hub `config` command), of the
        // port settings and of the cloud section (box UI) is kept in the override file, so it holds after a restart.
        let mut changes = group_settings.subscribe();
        let mut port_changes = live_ports.subscribe();
        let mut cloud_changes = cloud.subscribe_cloud();
        let token = shutdown.clone();
        let (path, file) = (overrides_path.clone(), ui.file_config.clone());
        front.spawn(async move {
            loop {
                tokio::select! {
                    _ = token.cancelled() => break,
                    r = changes.changed() => if r.is_err() { break },
                    r = port_changes.changed() => if r.is_err() { break },
                    r = cloud_changes.changed() => if r.is_err() { break },
                }
                let next = crate::ui::NextSettings {
                    groups: changes.borrow_and_update().clone(),
                    ports: port_changes.borrow_and_update().clone(),
                    cloud: cloud_changes.borrow_and_update().clone(),
                };
                let (path, file) = (path.clone(), file.clone());
                match tokio::task::spawn_blocking(move || next.save(&path, &file))
                .await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, file = %overrides_path.display(), "cannot save the overrides"),
                    Err(e) => tracing::error!(error = %e, "override task failed"),
                }
            }
        });
    }
    front.close();
    tracing::info!(
        ports = config.ports.len(),
        groups = config.groups.len(),
        "gateway running"
    );

    shutdown.cancelled().await;
    tracing::info!("shutting down");
    if tokio::time::timeout(DRAIN_DEADLINE, front.wait())
        .await
        .is_err()
    {
        tracing::warn!("API/dispatchers did not stop within the drain deadline");
    }
    ports_token.cancel();
    drop(senders);
    if tokio::time::timeout(DRAIN_DEADLINE, ports_tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("port workers did not stop within the drain deadline");
    }
    tracing::info!("gateway stopped");
    Ok(())
}
