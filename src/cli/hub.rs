//! `smsgate hub --config hub.toml` and `smsgate hub config template|check`: load and validate
//! the config (an error names the key; nothing starts), then run the cloud hub (REST API,
//! embedded MQTT broker or external broker link, SQLite store) until Ctrl-C or SIGTERM.
//!
//! The external broker's login and CA come from `hub.toml` (`mqtt.username`,
//! `mqtt.password`/`password_file`, `mqtt.ca_file`, `mqtt.client_cert`/`client_key`); the flags
//! and environment variables below override them: a flag beats its environment variable, which
//! beats the file. The username and password override as a pair.

use anyhow::Context;
use smsgate_cloud::RunOptions;
use smsgate_config::hub::HubConfig;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// `smsgate hub`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// The hub configuration file.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The hub's MQTT username on an external broker (`mqtt.broker = "external"`); overrides
    /// `mqtt.username` (give it with the password).
    #[arg(long, env = "SMSGATE_HUB_MQTT_USERNAME", value_name = "USER")]
    mqtt_username: Option<String>,
    /// The hub's MQTT password on an external broker; overrides `mqtt.password`/`password_file`
    /// (prefer the environment variable or `mqtt.password_file`).
    #[arg(
        long,
        env = "SMSGATE_HUB_MQTT_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    mqtt_password: Option<String>,
    /// CA certificate (PEM) of an `mqtts://` external broker; overrides `mqtt.ca_file`.
    #[arg(long, value_name = "FILE")]
    mqtt_ca_file: Option<PathBuf>,
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
}

#[derive(Debug, clap::Subcommand)]
enum ConfigAction {
    /// Print a commented hub.toml built from the real defaults.
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
            print!("{}", HubConfig::template()?);
        }
        Some(Command::Config {
            action: ConfigAction::Check { file },
        }) => {
            HubConfig::load(&file).with_context(|| file.display().to_string())?;
            println!("{}: ok", file.display());
        }
        None => {
            let path = args
                .config
                .context("--config <FILE> is required (or: smsgate hub config template)")?;
            let config = HubConfig::load(&path).with_context(|| path.display().to_string())?;
            let external_login = match (args.mqtt_username, args.mqtt_password) {
                (Some(u), Some(p)) => Some((u, p)),
                (None, None) => None,
                _ => anyhow::bail!(
                    "--mqtt-username and --mqtt-password (SMSGATE_HUB_MQTT_USERNAME/PASSWORD) go together"
                ),
            };
            // Unset fields fall back to the file's keys (smsgate_cloud::run::start merges).
            let options = RunOptions {
                external_login,
                external_tls: smsgate_mqtt::ClientTls {
                    ca_file: args.mqtt_ca_file,
                    client_cert: None,
                },
                ..RunOptions::default()
            };
            init_logging(log);
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            rt.block_on(async move {
                let shutdown = CancellationToken::new();
                tokio::spawn(cancel_on_signal(shutdown.clone()));
                smsgate_cloud::run_with(config, options, shutdown).await
            })?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`). rumqttd's own logs are off by
/// default: it sits behind the authorizing proxy, which logs refused clients itself, and it
/// reports every closed connection (including the proxy's readiness probe) as an error.
pub(crate) fn init_logging(log: super::LogFormat) {
    super::init_logging(log, "info,rumqttd=off");
}

/// Ctrl-C or SIGTERM cancel the token.
pub(crate) async fn cancel_on_signal(token: CancellationToken) {
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
