//! One gateway per spool: an exclusive lock on a file beside the spool (`<spool>.lock`), taken
//! before anything opens the spool — before migrations and crash recovery, which would turn a
//! live instance's `sending` messages into `unknown`.
//!
//! The lock is the operating system's (`flock` through [`std::fs::File::try_lock`]): it is
//! released when the holder exits, however it exits (kill -9 included), so a stale lock file
//! never blocks a restart. The holder writes its PID into the file so a refused instance can
//! say which process holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "the spool {spool} is in use by another gateway ({holder}, lock file {lock}); stop it first, or give this gateway its own storage.path"
    )]
    Held {
        /// The spool file.
        spool: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// Who holds it, as read from the lock file (`PID 1234`).
        holder: String,
    },
    /// The lock file could not be created or written.
    #[error("cannot lock the spool with {lock}: {source}")]
    Io {
        /// The lock file.
        lock: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// Held for as long as the gateway uses the spool; dropping it releases the lock.
#[derive(Debug)]
pub struct SpoolLock {
    _file: File,
    path: PathBuf,
}

/// The lock file of the spool at `spool` (`spool.sqlite` → `spool.sqlite.lock`).
pub fn lock_path(spool: &Path) -> PathBuf {
    let mut name = spool.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl SpoolLock {
    /// Takes the lock of the spool at `spool` without waiting, or says who holds it. Changes
    /// nothing when it is held (the holder's PID stays in the file).
    pub fn acquire(spool: &Path) -> Result<SpoolLock, LockError> {
        let path = lock_path(spool);
        let io = |source| LockError::Io {
            lock: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let holder = match file.read_to_string(&mut text) {
                    Ok(_) if !text.trim().is_empty() => format!("PID {}", text.trim()),
                    _ => "a process that has not written its PID yet".to_string(),
                };
                return Err(LockError::Held {
                    spool: spool.to_path_buf(),
                    lock: path,
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(SpoolLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_spool_is_refused_naming_the_holder_pid() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool.sqlite");
        let first = SpoolLock::acquire(&spool).unwrap();
        assert_eq!(first.path(), dir.path().join("spool.sqlite.lock"));
        let err = SpoolLock::acquire(&spool).unwrap_err().to_string();
        assert!(
            err.contains(&format!("(PID {},", std::process::id())),
            "{err}"
        );
        assert!(err.contains("storage.path"), "{err}");
        drop(first);
        let again = SpoolLock::acquire(&spool).unwrap();
        let pid = std::fs::read_to_string(again.path()).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
    }
}
