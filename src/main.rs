//! `smsgate`: the user-facing command line. Thin: it parses arguments and calls into the libraries.

mod cli;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "smsgate", version, about = "SMS gateway and hub for GSM modems", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Encode and decode SMS PDUs (3GPP TS 23.040).
    Pdu(cli::pdu::Args),
    /// Run a simulated GSM lab (modems on ptys, virtual SMSC, control API), or control a running one.
    Sim(Box<cli::sim::Args>),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pdu(args) => cli::pdu::run(args),
        Command::Sim(args) => cli::sim::run(*args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
