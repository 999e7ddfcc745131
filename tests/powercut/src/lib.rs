//! A power-cut filesystem for tests, in the spirit of LazyFS: a FUSE filesystem over a backing
//! directory that keeps every write not yet fsynced in memory (the page cache) and, on
//! [`Mount::cut`], throws it away and freezes, so that the next [`Mount::new`] of the same
//! backing directory sees exactly what a disk would hold after the power failed.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use smsgate_powercut::{CutMode, Mount};
//! let m = Mount::new("/tmp/backing".as_ref(), "/tmp/mnt".as_ref())?;
//! // … run a program whose data directory is /tmp/mnt …
//! let report = m.cut(CutMode::DiscardAll)?; // every later I/O fails with EIO
//! // … kill the program (SIGKILL) …
//! m.unmount()?;
//! let m = Mount::new("/tmp/backing".as_ref(), "/tmp/mnt".as_ref())?; // what survived
//! # Ok(()) }
//! ```
//!
//! ## What it models
//! - **Page-cache loss.** `write` only changes memory; `fsync`/`fdatasync` of a file writes its
//!   dirty pages and its length to the backing file. `close` is not a sync.
//! - **Names need a directory fsync.** create, link, unlink, rename, mkdir and rmdir change the
//!   visible tree at once and the durable tree only when the directory is fsynced, as POSIX
//!   requires and as ext4 guarantees without `auto_da_alloc` (a new file fsynced in a directory
//!   never fsynced is lost; a replaced file can come back after a cut).
//! - **Write-back before the cut, optionally** ([`CutMode::Random`]): each dirty page may
//!   have reached the disk (independently, in any order), torn at 512-byte sectors; each
//!   directory's unsynced name changes may survive as a prefix of their order (a journal
//!   commit); a rename within one directory is atomic, across directories it is an unlink and
//!   a link that may survive separately.
//! - **Freeze.** After a cut every call fails with `EIO` (the processes using the mount are
//!   then killed by the test), and the backing directory holds only the durable state.
//!
//! ## What it does not model
//! - Reordering or loss *inside* what was synced: an fsync is a perfect barrier (no lying
//!   device write cache, no firmware that acknowledges a flush it has not done, no bit rot).
//! - Durability of metadata other than names and lengths (modes, owners, times are applied at
//!   once), extended attributes, symlinks, special files, directory renames (`EXDEV`), mmap
//!   beyond what the kernel turns into writes, `O_DIRECT`, and ext4's `data=ordered` implied
//!   ordering between data and metadata (a stricter model: data pages are not written before
//!   the rename that replaces a file unless they were fsynced).
//! - `sync()`/`syncfs()` are not forwarded by FUSE here: only `fsync`/`fdatasync` (and a clean
//!   [`Mount::unmount`]) make data durable.
//! - File locks are the kernel's local locks (one mount, processes on one machine).
//!
//! For scripts, the `smsgate-powercut mount BACKING MOUNTPOINT` binary mounts in the foreground:
//! `kill -USR1` cuts the power (a JSON report on stdout), `kill -TERM` unmounts.

mod fuse;
pub mod model;

pub use model::{CutMode, CutReport, Stats};

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A mounted power-cut filesystem. Dropping it unmounts (a cut is not implied).
pub struct Mount {
    disk: Arc<Mutex<model::Disk>>,
    session: Option<fuser::BackgroundSession>,
    mountpoint: PathBuf,
}

impl std::fmt::Debug for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mount")
            .field("mountpoint", &self.mountpoint)
            .finish_non_exhaustive()
    }
}

impl Mount {
    /// Mounts `backing` (an existing directory: its content is the disk) at `mountpoint` (an
    /// existing empty directory). Needs `/dev/fuse` and root (or a `fusermount3`).
    pub fn new(backing: &Path, mountpoint: &Path) -> io::Result<Mount> {
        let disk = Arc::new(Mutex::new(model::Disk::load(backing)?));
        let fs = fuse::PowerCutFs { disk: disk.clone() };
        let mut config = fuser::Config::default();
        config.mount_options = vec![
            fuser::MountOption::FSName("smsgate-powercut".into()),
            fuser::MountOption::Subtype("powercut".into()),
            fuser::MountOption::RW,
            fuser::MountOption::NoAtime,
        ];
        let session = fuser::spawn_mount(fs, mountpoint, &config)?;
        Ok(Mount {
            disk,
            session: Some(session),
            mountpoint: mountpoint.to_owned(),
        })
    }

    /// Where it is mounted.
    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// The power goes: unsynced writes and name changes are lost (or partly kept, per `mode`)
    /// and every later call on the mount fails with `EIO`.
    pub fn cut(&self, mode: CutMode) -> io::Result<CutReport> {
        self.disk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .cut(mode)
    }

    /// Counters (writes, fsyncs, dirty pages now…).
    pub fn stats(&self) -> Stats {
        self.disk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .stats()
    }

    /// A clean unmount: everything is synced to the disk (as `sync; umount` would), unless the
    /// power was cut before. Detaches lazily if a process still holds a file open.
    pub fn unmount(mut self) -> io::Result<()> {
        self.unmount_inner()
    }

    fn unmount_inner(&mut self) -> io::Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        if session.umount_and_join().is_err() {
            // Busy (a process still holds a file): detach; the session ends when the last
            // file is closed.
            let _ = nix::mount::umount2(&self.mountpoint, nix::mount::MntFlags::MNT_DETACH);
        }
        self.disk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .sync_all()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = self.unmount_inner();
    }
}

/// Detaches whatever is mounted at `mountpoint` (a mount left by a killed test run).
pub fn force_unmount(mountpoint: &Path) {
    let _ = nix::mount::umount2(mountpoint, nix::mount::MntFlags::MNT_DETACH);
}
