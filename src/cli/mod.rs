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
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (a subcommand that runs another) keeps the first subscriber.
    let _ = match format {
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}
