//! `smsgate-powercut mount BACKING MOUNTPOINT`: mounts the power-cut filesystem in the
//! foreground for scripts. `kill -USR1` cuts the power (prints a JSON report, stays mounted and
//! frozen: every I/O fails with EIO); `kill -TERM` (or Ctrl-C) unmounts and exits.

use anyhow::Context;
use clap::{Parser, Subcommand};
use nix::sys::signal::{SigSet, Signal};
use smsgate_powercut::{CutMode, Mount};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    version,
    about = "Power-cut filesystem for tests (unsynced writes are lost on a cut)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Mount BACKING at MOUNTPOINT until SIGTERM; SIGUSR1 cuts the power.
    Mount {
        /// The directory holding the "disk".
        backing: PathBuf,
        /// An empty directory to mount on.
        mountpoint: PathBuf,
        /// Seed of a random write-back cut (without it: every unsynced write is lost).
        #[arg(long)]
        seed: Option<u64>,
        /// Probability that a dirty page reached the disk before the cut (with --seed).
        #[arg(long, default_value_t = 0.5)]
        writeback: f64,
        /// Pages that reached the disk may be torn at 512-byte sectors (with --seed).
        #[arg(long)]
        torn: bool,
        /// Unsynced name changes may survive as a prefix of their order (with --seed).
        #[arg(long)]
        names: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let Command::Mount {
        backing,
        mountpoint,
        seed,
        writeback,
        torn,
        names,
    } = Cli::parse().command;
    anyhow::ensure!(
        (0.0..=1.0).contains(&writeback),
        "--writeback must be between 0 and 1, got {writeback}"
    );
    let mode = match seed {
        Some(seed) => CutMode::Random {
            seed,
            writeback,
            torn,
            names,
        },
        None => CutMode::DiscardAll,
    };
    let mut signals = SigSet::empty();
    for s in [Signal::SIGUSR1, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(s);
    }
    // Blocked in every thread (the FUSE thread inherits the mask), taken with sigwait below.
    signals.thread_block().context("blocking signals")?;
    let mount = Mount::new(&backing, &mountpoint)
        .with_context(|| format!("mounting {} at {}", backing.display(), mountpoint.display()))?;
    println!("mounted {} at {}", backing.display(), mountpoint.display());
    while signals.wait().context("waiting for a signal")? == Signal::SIGUSR1 {
        let r = mount.cut(mode).context("cutting the power")?;
        println!(
            "{{\"cut\":true,\"pages_lost\":{},\"pages_written_back\":{},\"pages_torn\":{},\"names_lost\":{},\"names_kept\":{}}}",
            r.pages_lost, r.pages_written_back, r.pages_torn, r.names_lost, r.names_kept
        );
    }
    mount.unmount().context("unmounting")?;
    Ok(())
}
