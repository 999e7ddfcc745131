//! Test helpers: start a lab in a temp dir, and a small raw AT client over a real pty.
#![allow(dead_code, clippy::unwrap_used)]

use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use smsgate_hardware::clock::SystemClock;
use smsgate_hardware::{Lab, LabConfig};
use tokio::io::unix::AsyncFd;
use tokio_util::sync::CancellationToken;

pub struct TestLab {
    pub lab: Lab,
    pub dir: tempfile::TempDir,
    pub cancel: CancellationToken,
}

impl Drop for TestLab {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub fn start(modems: usize, tweak: impl FnOnce(&mut LabConfig)) -> TestLab {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = LabConfig::for_tests(dir.path().join("dev"), modems);
    tweak(&mut cfg);
    let cancel = CancellationToken::new();
    let lab = Lab::start(cfg, Arc::new(SystemClock), cancel.clone()).unwrap();
    TestLab { lab, dir, cancel }
}

/// Upper bound for any single wait, so a broken simulator fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(20);

pub struct AtClient {
    /// Upper bound of each wait (`None`: unbounded).
    wait: Option<Duration>,
    fd: AsyncFd<OwnedFd>,
    pub buf: Vec<u8>,
}

fn is_final(s: &str) -> bool {
    let finals = [
        "\r\nOK\r\n",
        "\r\nERROR\r\n",
        "\r\nCOMMAND NOT SUPPORT\r\n",
        "\r\n> ",
    ];
    if finals.iter().any(|f| s.ends_with(f)) {
        return true;
    }
    // +CME ERROR: n / +CMS ERROR: n as the last line
    if let Some(last) = s.strip_suffix("\r\n").and_then(|t| t.rsplit("\r\n").next()) {
        return last.starts_with("+CME ERROR:") || last.starts_with("+CMS ERROR:");
    }
    false
}

/// Runs `f` within `wait` (or unbounded); Err on timeout.
async fn bounded<T>(
    wait: Option<Duration>,
    f: impl std::future::Future<Output = T>,
) -> Result<T, ()> {
    match wait {
        Some(w) => tokio::time::timeout(w, f).await.map_err(|_| ()),
        None => Ok(f.await),
    }
}

/// End offset of the first final result code (or prompt) in `buf`.
fn final_end(buf: &[u8]) -> Option<usize> {
    let s = String::from_utf8_lossy(buf);
    (1..=s.len()).find(|&i| s.is_char_boundary(i) && is_final(&s[..i]))
}

impl AtClient {
    pub fn open(path: &Path) -> AtClient {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
            .open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        #[allow(deprecated)]
        let fd = AsyncFd::new(OwnedFd::from(f)).unwrap();
        AtClient {
            wait: Some(WAIT),
            fd,
            buf: Vec::new(),
        }
    }

    /// No bound on waits (for slow scenarios whose own timing is the subject).
    pub fn unbounded(mut self) -> AtClient {
        self.wait = None;
        self
    }

    pub async fn write(&mut self, data: &[u8]) {
        let mut data = data;
        while !data.is_empty() {
            let mut g = self.fd.writable().await.unwrap();
            if let Ok(r) =
                g.try_io(|fd| nix::unistd::write(fd.get_ref(), data).map_err(std::io::Error::from))
            {
                data = &data[r.unwrap()..];
            }
        }
    }

    /// Reads once (waits for data); Err on EOF/EIO (the pty went away).
    async fn read_some(&mut self) -> std::io::Result<usize> {
        let mut tmp = [0u8; 4096];
        loop {
            let mut g = self.fd.readable().await?;
            if let Ok(r) = g.try_io(|fd| {
                nix::unistd::read(fd.get_ref(), &mut tmp).map_err(std::io::Error::from)
            }) {
                let n = r?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                self.buf.extend_from_slice(&tmp[..n]);
                return Ok(n);
            }
        }
    }

    /// Reads until `pred(buffer)`; returns and clears the buffer.
    pub async fn read_until(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let r = bounded(self.wait, async {
            loop {
                if pred(&String::from_utf8_lossy(&self.buf)) {
                    return;
                }
                self.read_some().await.expect("pty read");
            }
        })
        .await;
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
        assert!(r.is_ok(), "timed out waiting; got {text:?}");
        text
    }

    /// Sends `line` + CR and returns everything up to the final result code (or the `> ` prompt); what
    /// follows it (URCs) stays in the buffer.
    pub async fn cmd(&mut self, line: &str) -> String {
        self.write(format!("{line}\r").as_bytes()).await;
        let r = bounded(self.wait, async {
            loop {
                if let Some(end) = final_end(&self.buf) {
                    let rest = self.buf.split_off(end);
                    let text = String::from_utf8_lossy(&std::mem::replace(&mut self.buf, rest))
                        .into_owned();
                    return text;
                }
                self.read_some().await.expect("pty read");
            }
        })
        .await;
        r.unwrap_or_else(|_| {
            panic!(
                "timed out waiting for {line:?}; got {:?}",
                String::from_utf8_lossy(&self.buf)
            )
        })
    }

    /// Whatever arrives within `ms` (for "nothing comes back" checks).
    pub async fn drain(&mut self, ms: u64) -> String {
        let _ = tokio::time::timeout(Duration::from_millis(ms), async {
            loop {
                if self.read_some().await.is_err() {
                    return;
                }
            }
        })
        .await;
        String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned()
    }

    /// Reads until the line reports EOF/EIO (modem unplugged).
    pub async fn wait_closed(&mut self) -> bool {
        bounded(self.wait, async {
            loop {
                if self.read_some().await.is_err() {
                    return;
                }
            }
        })
        .await
        .is_ok()
    }
}
