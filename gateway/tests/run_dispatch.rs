//! The group dispatcher over a real spool file and a port board without modems: round-robin
//! hands consecutive messages to consecutive idle ports, busy and capped ports get nothing,
//! sticky recipients wait for their home SIM, pinned messages go only to their port, and closed
//! sending hours hand out nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use smsgate_config::gateway::{GroupConfig, SendingHours, Strategy};
use smsgate_gateway::clock::{Clock, ManualClock};
use smsgate_gateway::dispatch::GroupDispatcher;
use smsgate_gateway::ports::{Board, PortCommand, Supervisor};
use smsgate_gateway::schedule::caps::window_keys;
use smsgate_gateway::schedule::strategy::PortPicker;
use smsgate_gateway::spool::{NewMessage, Spool};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

struct Fixture {
    _dir: tempfile::TempDir,
    spool: Spool,
    board: Board,
    rx: BTreeMap<u16, mpsc::Receiver<PortCommand>>,
    clock: Arc<ManualClock>,
    cancel: CancellationToken,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn fixture(group: GroupConfig, idle: &[(u16, bool)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap(),
    ));
    let spool = Spool::open_with_clock(&dir.path().join("s.sqlite"), clock.clone()).unwrap();
    let ports: Vec<u16> = group.ports.ports().to_vec();
    let board = Board::new(ports.iter().copied());
    for &(p, is_idle) in idle {
        let mut sup = Supervisor::new(p);
        sup.sim.iccid = Some(format!("iccid-{p}"));
        board.publish(p, is_idle, true, &sup);
    }
    let mut senders = BTreeMap::new();
    let mut rx = BTreeMap::new();
    for p in ports {
        let (tx, r) = mpsc::channel(16);
        senders.insert(p, tx);
        rx.insert(p, r);
    }
    let cancel = CancellationToken::new();
    let d = GroupDispatcher::new(
        group,
        board.clone(),
        senders,
        spool.clone(),
        clock.clone(),
        cancel.clone(),
    );
    tokio::spawn(d.run());
    Fixture {
        _dir: dir,
        spool,
        board,
        rx,
        clock,
        cancel,
    }
}

fn group(ports: &str, strategy: Strategy) -> GroupConfig {
    let mut g = GroupConfig::new("g", smsgate_config::parse_port_spec(ports).unwrap());
    g.strategy = strategy;
    g
}

async fn submit(f: &Fixture, to: &str, port: Option<u16>) -> i64 {
    let mut m = NewMessage::new(to, "hi", "g");
    m.port = port;
    f.spool.call(move |db| db.submit(m)).await.unwrap().id
}

/// The next job for `port`, if one comes within 500 ms.
async fn job(f: &mut Fixture, port: u16) -> Option<i64> {
    let rx = f.rx.get_mut(&port).unwrap();
    match tokio::time::timeout(Duration::from_millis(500), rx.recv()).await {
        Ok(Some(PortCommand::Send(j))) => Some(j.id),
        _ => None,
    }
}

#[tokio::test]
async fn round_robin_hands_consecutive_messages_to_consecutive_idle_ports() {
    let mut f = fixture(
        group("0-3", Strategy::RoundRobin),
        &[(0, true), (1, true), (2, true), (3, true)],
    );
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(submit(&f, &format!("+3360000000{i}"), None).await);
    }
    for (port, id) in (0..4).zip(&ids) {
        assert_eq!(job(&mut f, port).await, Some(*id), "port {port}");
    }
    assert!(
        f.board.snapshot().values().all(|s| !s.idle),
        "every port reserved"
    );
}

#[tokio::test]
async fn busy_ports_get_nothing_and_pinned_messages_wait_for_their_port() {
    let mut f = fixture(
        group("0-2", Strategy::RoundRobin),
        &[(0, false), (1, true), (2, false)],
    );
    let pinned = submit(&f, "+33600000001", Some(2)).await;
    let free = submit(&f, "+33600000002", None).await;
    assert_eq!(
        job(&mut f, 1).await,
        Some(free),
        "the pinned one is skipped"
    );
    assert_eq!(job(&mut f, 0).await, None);
    assert_eq!(job(&mut f, 2).await, None, "port 2 is busy");
    let mut sup = Supervisor::new(2);
    sup.sim.iccid = Some("iccid-2".into());
    f.board.publish(2, true, true, &sup);
    assert_eq!(job(&mut f, 2).await, Some(pinned));
}

#[tokio::test]
async fn a_sim_at_its_cap_gets_nothing() {
    let mut g = group("0-1", Strategy::RoundRobin);
    g.max_per_day = Some(1);
    let mut f = fixture(g, &[]);
    let keys = window_keys(f.clock.now(), chrono_tz::Tz::UTC);
    f.spool
        .call(move |db| db.count_send("iccid-0", &keys))
        .await
        .unwrap();
    for p in [0, 1] {
        let mut sup = Supervisor::new(p);
        sup.sim.iccid = Some(format!("iccid-{p}"));
        f.board.publish(p, true, true, &sup);
    }
    let a = submit(&f, "+33600000001", None).await;
    submit(&f, "+33600000002", None).await;
    assert_eq!(job(&mut f, 1).await, Some(a));
    assert_eq!(job(&mut f, 0).await, None, "port 0's SIM used its day");
}

#[tokio::test]
async fn a_sticky_recipient_waits_for_its_busy_home_port() {
    let picker = PortPicker::new(Strategy::Sticky, &[0, 1]);
    let to = "+33600000123";
    let home = picker.home_port(to).unwrap();
    let other = 1 - home;
    let mut f = fixture(
        group("0-1", Strategy::Sticky),
        &[(home, false), (other, true)],
    );
    let id = submit(&f, to, None).await;
    assert_eq!(job(&mut f, other).await, None, "not moved to another SIM");
    let mut sup = Supervisor::new(home);
    sup.sim.iccid = Some(format!("iccid-{home}"));
    f.board.publish(home, true, true, &sup);
    assert_eq!(job(&mut f, home).await, Some(id));
}

#[tokio::test]
async fn closed_sending_hours_hand_out_nothing_until_they_open() {
    let mut g = group("0", Strategy::RoundRobin);
    g.sending_hours = Some(SendingHours::try_from("13:00-14:00".to_string()).unwrap());
    let mut f = fixture(g, &[(0, true)]);
    let id = submit(&f, "+33600000001", None).await;
    assert_eq!(job(&mut f, 0).await, None, "12:00 is outside 13:00-14:00");
    f.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 21, 13, 0, 0).unwrap());
    let got = tokio::time::timeout(Duration::from_secs(3), f.rx.get_mut(&0).unwrap().recv())
        .await
        .unwrap();
    assert!(matches!(got, Some(PortCommand::Send(j)) if j.id == id));
}
