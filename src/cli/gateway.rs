//! `smsgate gateway --config gateway.toml` and `smsgate gateway config template`: load and
//! validate the config (an error names the key; nothing starts), then run the edge gateway
//! until Ctrl-C or SIGTERM.

use anyhow::Context;
use smsgate_config::GatewayConfig;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// `smsgate gateway`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// The gateway configuration file.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// The box UI's local admin account.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Debug, clap::Subcommand)]
enum AdminAction {
    /// Set (or replace) the local admin login and password; the password is read from the
    /// first line of standard input. Stored as an argon2id hash in admin.json beside the spool.
    Password {
        /// The gateway configuration file.
        #[arg(long, short, value_name = "FILE")]
        config: PathBuf,
        /// Login name.
        #[arg(long, default_value = "tech")]
        login: String,
    },
}

#[derive(Debug, clap::Subcommand)]
enum ConfigAction {
    /// Print a commented gateway.toml built from the real defaults.
    Template,
    /// Load and validate a configuration file, then exit.
    Check {
        /// The file.
        file: PathBuf,
    },
}

/// Runs the subcommand.
pub fn run(args: Args, log: super::LogFormat) -> anyhow::Result<std::process::ExitCode> {
    match args.command {
        Some(Command::Config {
            action: ConfigAction::Template,
        }) => {
            print!("{}", GatewayConfig::template()?);
        }
        Some(Command::Config {
            action: ConfigAction::Check { file },
        }) => {
            GatewayConfig::load(&file).with_context(|| file.display().to_string())?;
            println!("{}: ok", file.display());
        }
        Some(Command::Admin {
            action: AdminAction::Password { config, login },
        }) => {
            let c = GatewayConfig::load(&config).with_context(|| config.display().to_string())?;
            let file = smsgate_gateway::ui::account::set_from_line(
                &c.storage.path,
                &login,
                std::io::stdin().lock(),
            )?;
            println!("{}: admin {login:?} set", file.display());
        }
        None => {
            let path = args
                .config
                .context("--config <FILE> is required (or: smsgate gateway config template)")?;
            // Before any thread starts (smsgate_gateway::memory says why).
            let tuned = smsgate_gateway::memory::tune_allocator();
            let config = GatewayConfig::load(&path).with_context(|| path.display().to_string())?;
            let logs = smsgate_gateway::logs::LogRing::default();
            super::init_logging_into(log, "info", Some(&logs));
            if let Err(e) = tuned {
                tracing::warn!(error = %e, "freed large allocations may stay in the heap");
            }
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(async move {
                let shutdown = CancellationToken::new();
                tokio::spawn(cancel_on_signal(shutdown.clone()));
                smsgate_gateway::run_logged(config, Some(logs), shutdown).await
            })?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM cancel the token.
async fn cancel_on_signal(token: CancellationToken) {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("signal received; stopping");
    token.cancel();
}
