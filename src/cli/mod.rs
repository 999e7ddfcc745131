//! One module per subcommand; each exposes `Args` (clap) and `run`.

pub mod pdu;
pub mod sim;
