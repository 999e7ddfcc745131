//! The dispatcher's failover path (real spool file, real board, the workers' command channels):
//! a message that failed on a port goes to another port of its group at once, even when the
//! strategy would pick the failing port; only when no other port can take it does it go back,
//! after its retry delay.

#![allow(clippy::unwrap_used)]

use smsgate_config::gateway::{GroupConfig, Strategy};
use smsgate_config::parse_port_spec;
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::dispatch::GroupDispatcher;
use smsgate_gateway::ports::{Board, PortCommand, PortState, Supervisor};
use smsgate_gateway::spool::{NewMessage, Spool};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn ready(board: &Board, port: u16, available: bool) {
    let mut sup = Supervisor::new(port);
    sup.state = PortState::Registered;
    sup.reason = None;
    board.publish(port, available, available, &sup);
}

struct Fixture {
    board: Board,
    jobs: BTreeMap<u16, mpsc::Receiver<PortCommand>>,
    id: i64,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// A sticky group over ports 0 and 1 whose one message has port 0 as its home SIM.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    let mut group = GroupConfig::new("main", parse_port_spec("0-1").unwrap());
    group.strategy = Strategy::Sticky;
    let board = Board::new([0, 1]);
    let mut senders = BTreeMap::new();
    let mut jobs = BTreeMap::new();
    for p in [0, 1] {
        let (tx, rx) = mpsc::channel(4);
        senders.insert(p, tx);
        jobs.insert(p, rx);
    }
    // Find a recipient whose home port is 0.
    let to = (0..100)
        .map(|i| format!("+155500000{i:02}"))
        .find(|to| {
            let picker =
                smsgate_gateway::schedule::strategy::PortPicker::new(Strategy::Sticky, &[0, 1]);
            let mut picker = picker;
            picker.pick(to, |_| true, |_| 0) == Some(0)
        })
        .unwrap();
    let id = spool
        .call(move |db| db.submit(NewMessage::new(&to, "failover", "main")))
        .await
        .unwrap()
        .id;
    let shutdown = CancellationToken::new();
    let d = GroupDispatcher::new(
        group,
        board.clone(),
        senders,
        spool,
        Arc::new(SystemClock),
        shutdown.clone(),
    );
    let task = tokio::spawn(d.run());
    Fixture {
        board,
        jobs,
        id,
        shutdown,
        task,
        _dir: dir,
    }
}

async fn next_job(rx: &mut mpsc::Receiver<PortCommand>) -> i64 {
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(PortCommand::Send(j))) => j.id,
        other => panic!("no job: {other:?}"),
    }
}

#[tokio::test]
async fn a_message_that_failed_on_its_home_port_goes_to_the_other_port_at_once() {
    let mut f = fixture().await;
    ready(&f.board, 0, true);
    ready(&f.board, 1, true);
    assert_eq!(
        next_job(f.jobs.get_mut(&0).unwrap()).await,
        f.id,
        "home port first"
    );
    // Port 0 failed it (nothing went out); both ports are idle again.
    f.board.failed_on(f.id, 0, Duration::from_secs(60));
    ready(&f.board, 0, true);
    ready(&f.board, 1, true);
    assert_eq!(next_job(f.jobs.get_mut(&1).unwrap()).await, f.id);
    assert!(
        f.jobs.get_mut(&0).unwrap().try_recv().is_err(),
        "never back to port 0"
    );
    f.shutdown.cancel();
    f.task.await.unwrap();
}

#[tokio::test]
async fn with_no_other_port_available_the_failing_port_gets_it_back_after_its_retry_delay() {
    let mut f = fixture().await;
    ready(&f.board, 0, true);
    ready(&f.board, 1, false);
    assert_eq!(next_job(f.jobs.get_mut(&0).unwrap()).await, f.id);
    f.board.failed_on(f.id, 0, Duration::from_millis(800));
    let failed_at = tokio::time::Instant::now();
    ready(&f.board, 0, true);
    assert_eq!(next_job(f.jobs.get_mut(&0).unwrap()).await, f.id);
    assert!(
        failed_at.elapsed() >= Duration::from_millis(800),
        "waited its retry delay ({:?})",
        failed_at.elapsed()
    );
    f.shutdown.cancel();
    f.task.await.unwrap();
}
