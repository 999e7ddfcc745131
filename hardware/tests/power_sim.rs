//! The power-key sequence, run on pins wired to a simulated modem, really powers it off and on.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{AtClient, start};
use smsgate_hardware::power::{PowerControl, QUECTEL_EC25, SimBoard};
use smsgate_hardware::sim::profile::ProfileId;

#[tokio::test]
async fn pwrkey_pulses_power_the_simulated_modem_off_and_back_on_with_a_boot_urc() {
    let t = start(1, |cfg| cfg.profile = ProfileId::QuectelEc25);
    let path = t.lab.modem_path(0).unwrap().to_owned();
    let mut old = AtClient::open(&path);
    let board = SimBoard::new(t.lab.clone(), 0, QUECTEL_EC25);
    let mut ctl = PowerControl::new(
        board.pwrkey(),
        Some(board.reset()),
        Some(board.status()),
        board.delay(),
        QUECTEL_EC25,
    )
    .unwrap();

    ctl.power_off().unwrap();
    assert!(old.wait_closed().await, "powering off must close the pty");
    let m = t.lab.modems().await.unwrap();
    assert!(!m[0].powered);
    assert!(
        std::fs::symlink_metadata(&path).is_err(),
        "symlink must be gone while off"
    );

    ctl.power_on().unwrap();
    let m = t.lab.modems().await.unwrap();
    assert!(m[0].powered && m[0].tty.is_some());
    let mut c = AtClient::open(&path);
    let boot = c.read_until(|s| s.contains("+QIND: PB DONE\r\n")).await;
    assert!(boot.starts_with("\r\nRDY\r\n"), "{boot}");
    assert_eq!(c.cmd("AT").await, "AT\r\r\nOK\r\n");
}

#[tokio::test]
async fn a_too_short_pwrkey_pulse_does_nothing() {
    use embedded_hal::delay::DelayNs;
    use embedded_hal::digital::OutputPin;
    let t = start(1, |_| {});
    let board = SimBoard::new(t.lab.clone(), 0, QUECTEL_EC25);
    let (mut key, mut delay) = (board.pwrkey(), board.delay());
    key.set_low().unwrap();
    delay.delay_ms(100);
    key.set_high().unwrap();
    let m = t.lab.modems().await.unwrap();
    assert!(m[0].powered && m[0].tty.is_some());
}
