//! The serial path over a real pseudo-terminal: `open_serial` opens the pty's slave device by path, the engine
//! runs over it, and a fake modem answers on the master side in a plain thread.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::io::{Read, Write};
use std::time::Duration;

use smsgate_at::{
    Endpoint, Engine, EngineConfig, FlowControl, Opener, SerialConfig, SystemOpener, open_serial,
};

/// Reads CR-terminated commands from the master side and answers them; returns the commands seen.
fn fake_modem_on_master(
    mut master: std::fs::File,
    answers: Vec<(&'static str, &'static [u8])>,
) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut pending = Vec::new();
        let mut buf = [0u8; 256];
        let mut answers = answers.into_iter();
        // Keep the master open until every slave fd is closed (EIO): closing it early hangs the slave up and
        // would drop the last answer.
        loop {
            let n = match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            while let Some(pos) = pending.iter().position(|&b| b == b'\r') {
                let line = String::from_utf8_lossy(&pending[..pos]).into_owned();
                pending.drain(..=pos);
                let (expected, reply) = answers.next().expect("more commands than scripted");
                assert_eq!(line, expected);
                master.write_all(reply).unwrap();
                seen.push(line);
            }
        }
        seen
    })
}

fn open_pty() -> (std::fs::File, std::os::fd::OwnedFd, String) {
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let path = nix::unistd::ttyname(&pty.slave)
        .expect("ttyname")
        .to_string_lossy()
        .into_owned();
    (std::fs::File::from(pty.master), pty.slave, path)
}

#[tokio::test]
async fn the_engine_talks_to_a_modem_over_a_real_pseudo_terminal() {
    let (master, slave, path) = open_pty();
    let modem = fake_modem_on_master(
        master,
        vec![
            ("AT+CGMI", b"AT+CGMI\r\r\nhuawei\r\n\r\nOK\r\n"),
            ("AT+CSQ", b"\r\n+CSQ: 17,99\r\n\r\nOK\r\n"),
        ],
    );
    let config = SerialConfig {
        path: path.clone(),
        baud: 115_200,
        flow: FlowControl::None,
    };
    let stream = open_serial(&config).expect("open the pty slave as a serial port");
    let (handle, _urcs) = Engine::spawn(
        stream,
        EngineConfig {
            label: path,
            ..Default::default()
        },
    );
    let r = handle
        .raw("AT+CGMI", Duration::from_secs(5), &[])
        .await
        .unwrap();
    assert_eq!(r.lines, vec!["huawei"]);
    let r = handle
        .raw("AT+CSQ", Duration::from_secs(5), &["+CSQ"])
        .await
        .unwrap();
    assert_eq!(r.value("+CSQ"), Some("17,99"));
    drop(handle);
    drop(slave);
    assert_eq!(
        tokio::task::spawn_blocking(move || modem.join().unwrap())
            .await
            .unwrap(),
        ["AT+CGMI", "AT+CSQ"]
    );
}

#[tokio::test]
async fn the_system_opener_opens_a_device_path_endpoint() {
    let (master, slave, path) = open_pty();
    let modem = fake_modem_on_master(
        master,
        vec![("AT", b"\r\nOK\r\n"), ("ATI", b"\r\nModel X\r\nOK\r\n")],
    );
    let stream = SystemOpener::default()
        .open(&Endpoint::parse(&path).unwrap())
        .await
        .unwrap();
    let (handle, _urcs) = Engine::spawn(stream, EngineConfig::default());
    assert!(
        handle
            .raw("AT", Duration::from_secs(5), &[])
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(
        handle
            .raw("ATI", Duration::from_secs(5), &[])
            .await
            .unwrap()
            .lines,
        vec!["Model X"]
    );
    drop(handle);
    drop(slave);
    tokio::task::spawn_blocking(move || modem.join().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn opening_a_missing_device_names_it_in_the_error() {
    let err = open_serial(&SerialConfig::new("/dev/does-not-exist-smsgate")).unwrap_err();
    assert!(
        err.to_string().contains("/dev/does-not-exist-smsgate"),
        "{err}"
    );
}
