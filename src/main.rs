//! `smsgate`: the user-facing command line. Thin: it parses arguments and calls into the libraries.

mod cli;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "smsgate", version, about = "SMS gateway and hub for GSM modems", long_about = None)]
struct Cli {
    /// Log format on stderr: `human` (colours only on a terminal) or `json` (one object a line).
    #[arg(long, global = true, value_enum, default_value_t = cli::LogFormat::Human)]
    log_format: cli::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Encode and decode SMS PDUs (3GPP TS 23.040).
    Pdu(cli::pdu::Args),
    /// Run a simulated GSM lab (modems on ptys, virtual SMSC, control API), or control a running one.
    Sim(Box<cli::sim::Args>),
    /// Run the edge gateway (`--config gateway.toml`), or print its config template.
    Gateway(cli::gateway::Args),
    /// Run the cloud hub (`--config hub.toml`), or print its config template.
    Hub(cli::hub::Args),
    /// Run the whole platform on this machine: hub, gateway and 4 simulated modems, seeded.
    Demo(cli::demo::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pdu(args) => cli::pdu::run(args),
        Command::Sim(args) => cli::sim::run(*args),
        Command::Gateway(args) => cli::gateway::run(args, cli.log_format),
        Command::Hub(args) => cli::hub::run(args, cli.log_format),
        Command::Demo(args) => cli::demo::run(args, cli.log_format),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
