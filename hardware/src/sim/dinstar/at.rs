//! Dinstar AT mode over TCP (reference §4.2, Dinstar "GSM Gateway AT commands V1.1"): per connection the
//! client sends `Password:XXXX` (→ `OK`/`FAIL`), then `Port:N` (→ `OK`, `FAIL`, or `NOT READY` when that
//! module is off/unplugged/in use); after that the bytes go raw to and from that module's AT interpreter.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::sim::lab::Lab;

/// Serves Dinstar AT mode on `listener` until the lab stops.
pub async fn serve_at(lab: Lab, listener: TcpListener) -> std::io::Result<()> {
    let cancel = lab.cancel_token().clone();
    loop {
        let (sock, _) = tokio::select! {
            r = listener.accept() => r?,
            _ = cancel.cancelled() => return Ok(()),
        };
        let lab = lab.clone();
        tokio::spawn(async move {
            if let Err(e) = at_session(lab, sock).await {
                tracing::debug!("dinstar AT session ended: {e}");
            }
        });
    }
}

async fn at_session(lab: Lab, sock: TcpStream) -> std::io::Result<()> {
    let (rd, mut wr) = sock.into_split();
    let mut rd = BufReader::new(rd);
    let password = lab
        .config()
        .dinstar
        .as_ref()
        .map(|d| d.password.clone())
        .unwrap_or_default();
    let mut authed = false;
    // Line phase: Password / Port (lines end with CR or CRLF).
    let modem = loop {
        let mut line = Vec::new();
        loop {
            let mut b = [0u8; 1];
            if rd.read(&mut b).await? == 0 {
                return Ok(());
            }
            match b[0] {
                b'\r' => break,
                b'\n' if line.is_empty() => {}
                b'\n' => break,
                c => line.push(c),
            }
        }
        let line = String::from_utf8_lossy(&line).trim().to_owned();
        if line.is_empty() {
            continue;
        }
        if let Some(p) = line.strip_prefix("Password:") {
            authed = p == password;
            wr.write_all(if authed { b"OK\r\n" } else { b"FAIL\r\n" })
                .await?;
            continue;
        }
        match line
            .strip_prefix("Port:")
            .map(|p| p.trim().parse::<usize>())
        {
            Some(Ok(port)) if authed => match lab.dinstar_ports().get(port).copied() {
                Some(m) => break (port, m),
                None => wr.write_all(b"FAIL\r\n").await?,
            },
            _ => wr.write_all(b"FAIL\r\n").await?,
        }
    };
    let (_, m) = modem;
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let attached = lab.attach(m, tx).await.map_err(std::io::Error::other)?;
    if !attached {
        wr.write_all(b"NOT READY\r\n").await?;
        return Ok(());
    }
    wr.write_all(b"OK\r\n").await?;
    // Raw phase: bytes both ways; the modem task drops the attachment when our receiver goes away.
    let mut buf = vec![0u8; 2048];
    // Bytes already buffered by the line reader belong to the module.
    let pending = rd.buffer().to_vec();
    rd.consume(pending.len());
    if !pending.is_empty() {
        lab.input(m, pending).map_err(std::io::Error::other)?;
    }
    loop {
        tokio::select! {
            n = rd.read(&mut buf) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                lab.input(m, buf[..n].to_vec()).map_err(std::io::Error::other)?;
            }
            out = rx.recv() => match out {
                Some(bytes) => wr.write_all(&bytes).await?,
                None => return Ok(()),
            },
            _ = lab.cancel_token().cancelled() => return Ok(()),
        }
    }
}
