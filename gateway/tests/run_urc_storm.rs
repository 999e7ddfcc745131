//! A URC storm of 50,000 lines (the simulator's `urc-storm` fault) logs a handful of lines, not
//! one per dropped URC, and the port keeps working. Its own test binary: it installs a
//! subscriber that counts every warning the gateway writes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use smsgate_gateway::clock::SystemClock;
use smsgate_hardware::Fault;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;

/// Counts warnings and errors, keeping their messages for the failure report.
#[derive(Clone, Default)]
struct Warnings {
    count: Arc<AtomicUsize>,
    lines: Arc<Mutex<Vec<String>>>,
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() <= tracing::Level::WARN {
            self.count.fetch_add(1, Ordering::Relaxed);
            let mut m = Message(String::new());
            event.record(&mut m);
            self.lines.lock().unwrap().push(m.0);
        }
    }
}

#[test]
fn a_urc_storm_of_50000_lines_logs_a_handful_of_lines_and_the_port_keeps_working() {
    let warnings = Warnings::default();
    let subscriber = tracing_subscriber::registry().with(warnings.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let t = lab(1, |_| {});
        let spool = t.dir.path().join("spool.sqlite");
        let gw = start(config(&t, &spool, "0", 0), Arc::new(SystemClock)).await;
        gw.api.wait_registered(1).await;
        let before = warnings.count.load(Ordering::Relaxed);
        t.lab
            .fault(0, Fault::UrcStorm { count: 50_000 })
            .await
            .unwrap();
        // The storm passes; the port still sends.
        let id = gw.api.submit("+447700900009", "after the storm").await;
        gw.api
            .wait_states("the message after the storm", |c| {
                c.get("delivered").copied().unwrap_or(0) == 1
            })
            .await;
        assert_eq!(gw.api.state(id).await, "delivered");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let during = warnings.count.load(Ordering::Relaxed) - before;
        let lines = warnings.lines.lock().unwrap().clone();
        assert!(
            during <= 5,
            "{during} warnings for one storm: {:#?}",
            &lines[before..]
        );
        gw.api.wait_registered(1).await;
        let dropped = gw.api.ports().await[0]["counters"]["urcs_dropped"]
            .as_u64()
            .unwrap();
        assert!(
            dropped > 1000,
            "the storm overflowed the URC channel ({dropped} dropped)"
        );
        gw.stop().await;
    });
}
