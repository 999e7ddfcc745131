//! A dispatcher following the live group settings: a change of the group's pacing reaches the
//! next job it hands to a port (real spool file, real board, the worker's command channel).

#![allow(clippy::unwrap_used)]

use smsgate_config::gateway::GroupConfig;
use smsgate_config::parse_port_spec;
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::dispatch::GroupDispatcher;
use smsgate_gateway::ports::{Board, PortCommand, PortState, Supervisor};
use smsgate_gateway::spool::{NewMessage, Spool};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

fn ready(board: &Board) {
    let mut sup = Supervisor::new(0);
    sup.state = PortState::Registered;
    sup.reason = None;
    board.publish(0, true, true, &sup);
}

#[tokio::test]
async fn a_changed_interval_is_in_the_next_job_the_dispatcher_hands_out() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(&dir.path().join("spool.sqlite")).unwrap();
    for text in ["one", "two"] {
        spool
            .call(move |db| db.submit(NewMessage::new("+15550000001", text, "main")))
            .await
            .unwrap();
    }
    let mut group = GroupConfig::new("main", parse_port_spec("0").unwrap());
    group.interval_ms = 1000;
    let (settings, rx) = watch::channel(vec![group.clone()]);
    let board = Board::new([0]);
    let (tx, mut jobs) = mpsc::channel(4);
    let shutdown = CancellationToken::new();
    let d = GroupDispatcher::new(
        group,
        board.clone(),
        BTreeMap::from([(0, tx)]),
        spool,
        Arc::new(SystemClock),
        shutdown.clone(),
    )
    .with_settings(rx);
    let task = tokio::spawn(d.run());

    ready(&board);
    let Some(PortCommand::Send(first)) = jobs.recv().await else {
        panic!("no job")
    };
    assert_eq!((first.interval_ms, first.jitter_ms), (1000, 0));

    settings.send_modify(|groups| {
        groups[0].interval_ms = 2500;
        groups[0].jitter_ms = 250;
    });
    ready(&board);
    let Some(PortCommand::Send(second)) = jobs.recv().await else {
        panic!("no job")
    };
    assert_ne!(second.id, first.id);
    assert_eq!((second.interval_ms, second.jitter_ms), (2500, 250));

    shutdown.cancel();
    task.await.unwrap();
}
