//! A scripted fake modem on the far end of a stream: waits for expected bytes, answers scripted bytes,
//! and records everything it received.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub enum Step {
    /// Wait until these bytes have arrived (consumes through them).
    Expect(Vec<u8>),
    /// Write these bytes.
    Send(Vec<u8>),
    /// Pause (virtual time in paused tests).
    Sleep(Duration),
}

pub fn expect(bytes: &[u8]) -> Step {
    Step::Expect(bytes.to_vec())
}
pub fn send(bytes: &[u8]) -> Step {
    Step::Send(bytes.to_vec())
}
pub fn sleep_ms(ms: u64) -> Step {
    Step::Sleep(Duration::from_millis(ms))
}

/// Runs `steps`, then keeps reading until EOF; returns every byte received. Panics (failing the test) if the
/// stream ends while an `Expect` is pending.
pub fn spawn_script<S>(mut io: S, steps: Vec<Step>) -> JoinHandle<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut all = Vec::new();
        let mut unread = Vec::new();
        let mut buf = [0u8; 512];
        for step in steps {
            match step {
                Step::Expect(wanted) => loop {
                    if let Some(pos) = find(&unread, &wanted) {
                        unread.drain(..pos + wanted.len());
                        break;
                    }
                    let n = io.read(&mut buf).await.unwrap_or(0);
                    assert!(
                        n > 0,
                        "stream ended while waiting for {:?}; got {:?}",
                        String::from_utf8_lossy(&wanted),
                        String::from_utf8_lossy(&unread)
                    );
                    all.extend_from_slice(&buf[..n]);
                    unread.extend_from_slice(&buf[..n]);
                },
                Step::Send(bytes) => {
                    if io.write_all(&bytes).await.is_err() {
                        return all;
                    }
                }
                Step::Sleep(d) => tokio::time::sleep(d).await,
            }
        }
        loop {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => return all,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
}

/// Answers each CR-terminated command line with `answer(line)`; asserts that no second command arrives before
/// the first is answered (the engine must serialise). Returns the commands in arrival order.
pub fn spawn_responder<S, F>(mut io: S, answer: F) -> JoinHandle<Vec<String>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Fn(&str) -> Vec<u8> + Send + 'static,
{
    tokio::spawn(async move {
        let mut seen = Vec::new();
        let mut unread = Vec::new();
        let mut buf = [0u8; 512];
        loop {
            while let Some(pos) = unread.iter().position(|&b| b == b'\r') {
                let line = String::from_utf8_lossy(&unread[..pos]).into_owned();
                unread.drain(..=pos);
                assert!(
                    unread.is_empty(),
                    "a second command arrived before {line:?} was answered"
                );
                let reply = answer(&line);
                seen.push(line);
                if io.write_all(&reply).await.is_err() {
                    return seen;
                }
            }
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => return seen,
                Ok(n) => unread.extend_from_slice(&buf[..n]),
            }
        }
    })
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}
