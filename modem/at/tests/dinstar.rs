//! Dinstar "AT mode" over a real TCP listener on 127.0.0.1: the `Password:` / `Port:N` login (both the
//! unprompted and the prompted style), `FAIL`, `NOT READY`, then AT commands on the same connection.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod support;

use std::time::Duration;

use smsgate_at::{AtError, DinstarLogin, Endpoint, Engine, EngineConfig, Opener, SystemOpener};
use support::fake_modem::*;
use tokio::net::TcpListener;

async fn gateway(steps: Vec<Step>) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        spawn_script(socket, steps).await.unwrap()
    });
    (addr, task)
}

fn opener() -> SystemOpener {
    SystemOpener {
        dinstar_greeting: Duration::from_millis(200),
        ..Default::default()
    }
}

fn endpoint(addr: &str, password: &str, port: u16) -> Endpoint {
    Endpoint::Dinstar {
        addr: addr.to_string(),
        login: DinstarLogin {
            password: password.into(),
            port,
        },
    }
}

#[tokio::test]
async fn login_then_port_then_at_commands_reach_the_module() {
    let (addr, gw) = gateway(vec![
        expect(b"Password:secret\r\n"),
        send(b"OK\r\n"),
        expect(b"Port:3\r\n"),
        send(b"OK\r\n"),
        expect(b"AT+CSQ\r"),
        send(b"\r\n+CSQ: 25,99\r\n\r\nOK\r\n"),
    ])
    .await;
    let stream = opener().open(&endpoint(&addr, "secret", 3)).await.unwrap();
    let (modem, _urcs) = Engine::spawn(
        stream,
        EngineConfig {
            label: format!("dinstar:{addr}/3"),
            ..Default::default()
        },
    );
    let r = modem
        .raw("AT+CSQ", Duration::from_secs(5), &["+CSQ"])
        .await
        .unwrap();
    assert_eq!(r.value("+CSQ"), Some("25,99"));
    drop(modem);
    assert_eq!(gw.await.unwrap(), b"Password:secret\r\nPort:3\r\nAT+CSQ\r");
}

#[tokio::test]
async fn a_password_prompt_from_the_gateway_is_answered_with_the_bare_password() {
    let (addr, gw) = gateway(vec![
        send(b"Password:"),
        expect(b"secret\r\n"),
        send(b"\r\nOK\r\n"),
        expect(b"Port:0\r\n"),
        send(b"OK\r\n"),
    ])
    .await;
    let stream = opener().open(&endpoint(&addr, "secret", 0)).await.unwrap();
    drop(stream);
    assert_eq!(gw.await.unwrap(), b"secret\r\nPort:0\r\n");
}

#[tokio::test]
async fn a_wrong_password_is_a_login_failure() {
    let (addr, _gw) = gateway(vec![expect(b"Password:nope\r\n"), send(b"FAIL\r\n")]).await;
    let err = opener()
        .open(&endpoint(&addr, "nope", 1))
        .await
        .err()
        .expect("login must fail");
    assert!(
        matches!(&err, AtError::LoginFailed { step: "Password", answer } if answer == "FAIL"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_port_is_a_login_failure_at_the_port_step() {
    let (addr, _gw) = gateway(vec![
        expect(b"Password:pw\r\n"),
        send(b"OK\r\n"),
        expect(b"Port:99\r\n"),
        send(b"FAIL\r\n"),
    ])
    .await;
    let err = opener()
        .open(&endpoint(&addr, "pw", 99))
        .await
        .err()
        .expect("port must fail");
    assert!(
        matches!(&err, AtError::LoginFailed { step: "Port", .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_module_that_is_down_is_not_ready() {
    let (addr, _gw) = gateway(vec![
        expect(b"Password:pw\r\n"),
        send(b"OK\r\n"),
        expect(b"Port:2\r\n"),
        send(b"NOT READY\r\n"),
    ])
    .await;
    let err = opener()
        .open(&endpoint(&addr, "pw", 2))
        .await
        .err()
        .expect("must be not ready");
    assert!(matches!(err, AtError::NotReady), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn not_ready_during_a_command_is_a_typed_error() {
    let (addr, _gw) = gateway(vec![
        expect(b"Password:pw\r\n"),
        send(b"OK\r\n"),
        expect(b"Port:2\r\n"),
        send(b"OK\r\n"),
        expect(b"AT\r"),
        send(b"NOT READY\r\n"),
    ])
    .await;
    let stream = opener().open(&endpoint(&addr, "pw", 2)).await.unwrap();
    let (modem, _urcs) = Engine::spawn(stream, EngineConfig::default());
    let err = modem
        .raw("AT", Duration::from_secs(5), &[])
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert!(matches!(err, AtError::NotReady), "{err}");
}

#[tokio::test]
async fn a_plain_tcp_endpoint_is_a_raw_byte_stream() {
    let (addr, gw) = gateway(vec![expect(b"AT\r"), send(b"AT\r\r\nOK\r\n")]).await;
    let stream = opener()
        .open(&Endpoint::parse(&format!("tcp://{addr}")).unwrap())
        .await
        .unwrap();
    let (modem, _urcs) = Engine::spawn(stream, EngineConfig::default());
    assert!(
        modem
            .raw("AT", Duration::from_secs(5), &[])
            .await
            .unwrap()
            .is_ok()
    );
    drop(modem);
    assert_eq!(gw.await.unwrap(), b"AT\r");
}

#[tokio::test]
async fn a_refused_connection_is_an_io_error_naming_the_address() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let err = opener()
        .open(&Endpoint::Tcp(addr.clone()))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(err, AtError::Io { .. }) && err.to_string().contains(&addr),
        "{err}"
    );
}
