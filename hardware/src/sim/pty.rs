//! A modem's serial port: a pseudo-terminal in raw mode with a stable symlink (`DIR/ttyUSB0`).
//!
//! We keep our own slave fd open so a client closing the port never hangs up the master, and a client can
//! close and reopen at will. Dropping the [`Pty`] closes both ends (clients see EOF/EIO, as when a USB
//! modem is pulled) and removes the symlink if it still points at this pty.

use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
use tokio::io::unix::AsyncFd;

/// One open pseudo-terminal with its symlink.
#[derive(Debug)]
pub struct Pty {
    master: AsyncFd<OwnedFd>,
    _slave: OwnedFd,
    slave_path: PathBuf,
    link: PathBuf,
}

impl Pty {
    /// Opens a pty, sets it raw and points `link` at its slave (atomically replacing an old link).
    pub fn open(link: &Path) -> io::Result<Pty> {
        let r = nix::pty::openpty(None, None)?;
        let mut t = tcgetattr(&r.slave)?;
        cfmakeraw(&mut t);
        tcsetattr(&r.slave, SetArg::TCSANOW, &t)?;
        let flags = OFlag::from_bits_truncate(fcntl(&r.master, FcntlArg::F_GETFL)?);
        fcntl(&r.master, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
        let slave_path = nix::unistd::ttyname(&r.slave)?;
        let mut tmp = link.as_os_str().to_owned();
        tmp.push(".new");
        let tmp = PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&slave_path, &tmp)?;
        std::fs::rename(&tmp, link)?;
        // `AsyncFd::new` is deprecated because an arbitrary `AsRawFd` may be closed behind the reactor's back;
        // here the reactor gets the only owner of the master fd (`OwnedFd`), which is the sound case.
        #[allow(deprecated)]
        let master = AsyncFd::new(r.master)?;
        Ok(Pty {
            master,
            _slave: r.slave,
            slave_path,
            link: link.to_owned(),
        })
    }

    /// The slave device (e.g. `/dev/pts/7`).
    pub fn slave_path(&self) -> &Path {
        &self.slave_path
    }

    /// Reads what the client wrote.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.master.readable().await?;
            match guard.try_io(|fd| nix::unistd::read(fd.get_ref(), buf).map_err(io::Error::from)) {
                Ok(r) => return r,
                Err(_would_block) => continue,
            }
        }
    }

    /// Writes everything; if nobody drains the line for a second the rest is dropped, as a UART would.
    pub async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let ready =
                tokio::time::timeout(std::time::Duration::from_secs(1), self.master.writable())
                    .await;
            let Ok(guard) = ready else {
                return Ok(());
            };
            let mut guard = guard?;
            match guard.try_io(|fd| nix::unistd::write(fd.get_ref(), data).map_err(io::Error::from))
            {
                Ok(Ok(n)) => data = &data[n..],
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if std::fs::read_link(&self.link).ok().as_deref() == Some(self.slave_path.as_path()) {
            let _ = std::fs::remove_file(&self.link);
        }
    }
}
