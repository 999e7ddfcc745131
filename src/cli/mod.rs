//! One module per subcommand; each exposes `Args` (clap) and `run`.

pub mod demo;
pub mod gateway;
pub mod hub;
pub mod pdu;
pub mod sim;
