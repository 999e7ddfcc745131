//! `smsgate-gateway`: the lean edge binary. Thin: parse arguments, load and validate the
//! config (an error names the key and nothing starts), run [`smsgate_gateway::run`] until
//! Ctrl-C or SIGTERM.

use anyhow::Context;
use clap::{Parser, Subcommand};
use smsgate_config::GatewayConfig;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "smsgate-gateway",
    version,
    about = "smsgate edge gateway: GSM modems, SQLite spool, local API",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// The gateway configuration file.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Check this box: config, spool and device permissions, modems answering AT, Dinstar and
    /// broker reachability; prints what to fix and exits non-zero on any problem.
    Doctor {
        /// The gateway configuration file.
        #[arg(
            long,
            short,
            value_name = "FILE",
            default_value = "/etc/smsgate/gateway.toml"
        )]
        config: PathBuf,
        /// Seconds each modem has to answer AT.
        #[arg(long, value_name = "S", default_value_t = 2.0)]
        at_timeout: f64,
        /// Seconds each TCP connection or TLS handshake may take.
        #[arg(long, value_name = "S", default_value_t = 3.0)]
        connect_timeout: f64,
    },
    /// The box UI's local admin account.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// Set (or replace) the local admin login and password; the password is read from the
    /// first line of standard input. Stored as an argon2id hash in admin.json beside the spool.
    Password {
        /// The gateway configuration file (its `[storage] path` says where the account lives).
        #[arg(long, short, value_name = "FILE")]
        config: PathBuf,
        /// Login name.
        #[arg(long, default_value = "tech")]
        login: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Print a commented gateway.toml built from the real defaults.
    Template,
    /// Load and validate a configuration file, then exit.
    Check {
        /// The file.
        file: PathBuf,
    },
    /// Write the first-install configuration: the template with a fresh API token (mode 0640;
    /// an existing file is never replaced).
    Init {
        /// The file to create.
        file: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Config {
            action: ConfigAction::Template,
        }) => {
            print!("{}", GatewayConfig::template()?);
            Ok(())
        }
        Some(Command::Config {
            action: ConfigAction::Check { file },
        }) => {
            GatewayConfig::load(&file).with_context(|| format!("{}", file.display()))?;
            println!("{}: ok", file.display());
            Ok(())
        }
        Some(Command::Config {
            action: ConfigAction::Init { file },
        }) => {
            smsgate_gateway::install::init_config(&file)?;
            println!("{}: written with a new API token", file.display());
            Ok(())
        }
        Some(Command::Doctor {
            config,
            at_timeout,
            connect_timeout,
        }) => {
            let secs = |s: f64, name: &str| {
                std::time::Duration::try_from_secs_f64(s)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .with_context(|| format!("--{name}: {s} is not a positive number of seconds"))
            };
            let timeouts = smsgate_gateway::doctor::Timeouts {
                at: secs(at_timeout, "at-timeout")?,
                connect: secs(connect_timeout, "connect-timeout")?,
            };
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let report = rt.block_on(smsgate_gateway::doctor::examine(&config, timeouts));
            print!("{report}");
            if report.problems().next().is_some() {
                std::process::exit(1);
            }
            Ok(())
        }
        Some(Command::Admin {
            action: AdminAction::Password { config, login },
        }) => {
            let c =
                GatewayConfig::load(&config).with_context(|| format!("{}", config.display()))?;
            let file = smsgate_gateway::ui::account::set_from_line(
                &c.storage.path,
                &login,
                std::io::stdin().lock(),
            )?;
            println!("{}: admin {login:?} set", file.display());
            Ok(())
        }
        None => {
            let path = cli
                .config
                .context("--config <FILE> is required (or: smsgate-gateway config template)")?;
            // Before any thread starts (smsgate_gateway::memory says why).
            let tuned = smsgate_gateway::memory::tune_allocator();
            let config =
                GatewayConfig::load(&path).with_context(|| format!("{}", path.display()))?;
            // Logs go to stderr and to the ring the box UI shows (diagnostics, support bundle).
            let logs = smsgate_gateway::logs::LogRing::default();
            {
                use tracing_subscriber::prelude::*;
                tracing_subscriber::registry()
                    .with(log_filter())
                    .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
                    .with(logs.layer())
                    .init();
            }
            if let Err(e) = tuned {
                tracing::warn!(error = %e, "freed large allocations may stay in the heap");
            }
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(async move {
                let shutdown = CancellationToken::new();
                tokio::spawn(cancel_on_signal(shutdown.clone()));
                smsgate_gateway::run_logged(config, Some(logs), shutdown).await
            })?;
            Ok(())
        }
    }
}

/// `RUST_LOG` as `target=level` directives (`info`, `warn,smsgate_gateway::ports=debug`),
/// `info` when unset. A value it cannot read is named on stderr and `info` used.
fn log_filter() -> tracing_subscriber::filter::Targets {
    let default = tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO);
    match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => v.parse().unwrap_or_else(|e| {
            eprintln!("RUST_LOG={v:?} ignored ({e}): logging at info");
            default
        }),
        _ => default,
    }
}

/// Ctrl-C or SIGTERM cancel the token.
async fn cancel_on_signal(token: CancellationToken) {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            let _ = tokio::signal::ctrl_c().await;
            token.cancel();
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("signal received");
    token.cancel();
}
