//! One gateway per spool (issue 8), with two real `smsgate-gateway` processes: the second one
//! started on the same config stops before touching the spool, names the PID of the first, and
//! exits non-zero; the first one's `sending` message is left `sending`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::spool::{NewMessage, SpoolDb};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smsgate-gateway");

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn state_of(spool: &std::path::Path, id: i64) -> String {
    let conn = rusqlite::Connection::open(spool).unwrap();
    conn.query_row("SELECT state FROM messages WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn a_second_gateway_on_the_same_spool_names_the_first_pid_exits_and_leaves_its_sends_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool.sqlite");
    let config = dir.path().join("gateway.toml");
    // No API token (no listener to collide on): only the spool is shared.
    std::fs::write(
        &config,
        format!("[storage]\npath = {:?}\n", spool.display().to_string()),
    )
    .unwrap();

    let mut first = Running(
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = first.0.stderr.take().unwrap();
    let (running_tx, running_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("gateway running") {
                let _ = running_tx.send(());
            }
        }
    });
    running_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the first gateway did not start");

    // The first gateway is sending a message (as its port worker would have claimed it).
    let id = {
        let mut db = SpoolDb::open(&spool, Arc::new(SystemClock)).unwrap();
        db.submit(NewMessage::new("+447700900001", "in flight", "elsewhere"))
            .unwrap()
            .id
    };
    let conn = rusqlite::Connection::open(&spool).unwrap();
    conn.execute(
        "UPDATE messages SET state = 'sending', port = 0 WHERE id = ?1",
        [id],
    )
    .unwrap();
    drop(conn);
    let lock = std::fs::read_to_string(dir.path().join("spool.sqlite.lock")).unwrap();
    assert_eq!(
        lock.trim(),
        first.0.id().to_string(),
        "the lock names its holder"
    );

    let mut second = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while second.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!(
                "the second gateway kept running; the message is now {}",
                state_of(&spool, id)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = second.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second gateway ran: {err}");
    assert!(
        err.contains(&format!("in use by another gateway (PID {},", first.0.id())),
        "{err}"
    );
    assert!(err.contains("storage.path"), "{err}");
    assert_eq!(
        state_of(&spool, id),
        "sending",
        "crash recovery did not run"
    );
    assert!(
        first.0.try_wait().unwrap().is_none(),
        "the first gateway still runs"
    );

    // Once the first one is gone (even by kill -9), a gateway starts on the spool again and
    // its crash recovery applies as usual.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let mut third = Running(
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while state_of(&spool, id) != "unknown" {
        assert!(
            third.0.try_wait().unwrap().is_none(),
            "the third gateway stopped"
        );
        assert!(Instant::now() < deadline, "recovery never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
}
