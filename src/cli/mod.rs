//! One module per subcommand; each exposes `Args` (clap) and `run`.

pub mod demo;
pub mod gateway;
pub mod hub;
pub mod pdu;
pub mod sim;

/// How logs are written to stderr (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people; colours only when stderr is a terminal.
    #[default]
    Human,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Logs to stderr, filtered by `RUST_LOG` (default `default_filter`).
pub fn init_logging(format: LogFormat, default_filter: &str) {
    init_logging_into(format, default_filter, None);
}

/// [`init_logging`], also feeding `ring` (the gateway's recent lines for its box UI).
pub fn init_logging_into(
    format: LogFormat,
    default_filter: &str,
    ring: Option<&smsgate_gateway::logs::LogRing>,
) {
    use std::io::IsTerminal;
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let stderr = match format {
        LogFormat::Human => stderr.with_ansi(std::io::stderr().is_terminal()).boxed(),
        LogFormat::Json => stderr.json().with_ansi(false).boxed(),
    };
    // A second call (a subcommand that runs another) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(ring.map(smsgate_gateway::logs::LogRing::layer))
        .try_init();
}
