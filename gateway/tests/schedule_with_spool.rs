//! Scheduling decisions that depend on persisted state hold across a restart.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use chrono::{DateTime, Duration, TimeZone, Utc};
use smsgate_config::GatewayConfig;
use smsgate_gateway::clock::ManualClock;
use smsgate_gateway::schedule::caps::{self, CapDecision, Caps, Window};
use smsgate_gateway::schedule::hours::{self, HoursDecision};
use smsgate_gateway::schedule::strategy::PortPicker;
use smsgate_gateway::spool::{NewMessage, SpoolDb};
use std::path::Path;
use std::sync::Arc;

const CONFIG: &str = r#"
[[ports]]
id = 0
device = "/dev/ttyUSB0"
[[ports]]
id = 1
device = "/dev/ttyUSB1"
[[groups]]
name = "bulk"
ports = "(0.1)"
strategy = "least-used"
max_per_hour = 3
max_per_day = 5
sending_hours = "08:00-20:00"
timezone = "America/New_York"
"#;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 10, h, m, 0).unwrap()
}

fn open(path: &Path, now: DateTime<Utc>) -> SpoolDb {
    SpoolDb::open(path, Arc::new(ManualClock::new(now))).unwrap()
}

#[test]
fn a_sim_that_reached_its_hourly_cap_stays_capped_after_a_restart_until_the_next_hour() {
    let cfg = GatewayConfig::from_toml_str(CONFIG).unwrap();
    let g = &cfg.groups[0];
    let tz = g.timezone.0;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let now = t(14, 10); // 10:10 EDT
    {
        let mut db = open(&path, now);
        for _ in 0..3 {
            db.count_send("iccid-0", &caps::window_keys(now, tz))
                .unwrap();
        }
    }
    let mut db = open(&path, now + Duration::minutes(5));
    let later = now + Duration::minutes(5);
    let counts = db
        .sim_counts("iccid-0", &caps::window_keys(later, tz))
        .unwrap();
    assert_eq!(
        caps::check(counts, Caps::from(g), later, tz),
        CapDecision::Exhausted {
            window: Window::Hour,
            until: t(15, 0)
        }
    );
    let next_hour = t(15, 0);
    let counts = db
        .sim_counts("iccid-0", &caps::window_keys(next_hour, tz))
        .unwrap();
    assert_eq!(counts.day, 3);
    assert_eq!(
        caps::check(counts, Caps::from(g), next_hour, tz),
        CapDecision::Allowed
    );
}

#[test]
fn messages_submitted_outside_sending_hours_wait_queued_instead_of_failing() {
    let cfg = GatewayConfig::from_toml_str(CONFIG).unwrap();
    let g = &cfg.groups[0];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let night = t(3, 0); // 23:00 EDT the evening before
    let id = {
        let mut db = open(&path, night);
        let id = db
            .submit(NewMessage::new("099123456", "hi", "bulk"))
            .unwrap()
            .id;
        // The dispatcher asks before claiming; outside the hours it does not claim.
        assert_eq!(
            hours::check(g.sending_hours, g.timezone.0, night),
            HoursDecision::ClosedUntil(t(12, 0))
        );
        id
    };
    let morning = t(12, 0);
    let mut db = open(&path, morning);
    assert_eq!(
        hours::check(g.sending_hours, g.timezone.0, morning),
        HoursDecision::Open
    );
    let c = db.claim_next("bulk", 0).unwrap().unwrap();
    assert_eq!(c.id, id);
}

#[test]
fn least_used_balances_on_the_persisted_day_counters() {
    let cfg = GatewayConfig::from_toml_str(CONFIG).unwrap();
    let g = &cfg.groups[0];
    let tz = g.timezone.0;
    let dir = tempfile::tempdir().unwrap();
    let now = t(14, 0);
    let mut db = open(&dir.path().join("s.sqlite"), now);
    let keys = caps::window_keys(now, tz);
    db.count_send("port-0", &keys).unwrap();
    db.count_send("port-0", &keys).unwrap();
    db.count_send("port-1", &keys).unwrap();
    let day = |p: u16| {
        let mut db = open(&dir.path().join("s.sqlite"), now);
        db.sim_counts(&format!("port-{p}"), &keys).unwrap().day
    };
    let mut picker = PortPicker::new(g.strategy, g.ports.ports());
    assert_eq!(picker.pick("099123456", |_| true, day), Some(1));
}
