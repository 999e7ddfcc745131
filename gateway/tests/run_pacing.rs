//! Issue 4's throughput proof against the simulated lab on real ptys: 1,000 messages over the
//! 4-port group "0-3" at interval_ms = 50. Measured from the SIMULATOR's per-modem SMSC receipt
//! times (not from the gateway): every port's consecutive sends are ≥ 50 ms apart, the load is
//! spread evenly, every message is delivered (delivery reports matched), and multipart, UCS2
//! and emoji texts arrive intact, each exactly once.
//!
//! Issue 14's proof: pacing holds between every two SUBMISSIONS on a port (each `AT+CMGS`
//! part as the simulated SMSC logged it), multipart parts included, and a port shared by two
//! groups keeps the larger interval whichever group its messages come from.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use smsgate_gateway::clock::SystemClock;
use std::collections::BTreeMap;
use std::sync::Arc;

const MESSAGES: usize = 1000;
const HANDSETS: usize = 8;

fn text_for(i: usize) -> String {
    match i % 50 {
        0 => format!(
            "m{i} multipart: {}",
            "the quick brown fox jumps over the lazy dog ".repeat(5)
        ),
        1 => format!("m{i} UCS2: Привет, мир! 你好世界"),
        2 => format!("m{i} emoji 😀🎉 and a long tail {}", "🚀".repeat(80)),
        _ => format!("m{i} hello"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_messages_over_four_ports_are_paced_spread_delivered_and_intact() {
    let t = lab(4, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let gw = start(config(&t, &spool, "0-3", 50), Arc::new(SystemClock)).await;
    gw.api.wait_registered(4).await;

    let handset = |i: usize| format!("+4479000{:05}", i % HANDSETS);
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut csv = String::from("campaign;destiny;message;priority\n");
    for i in 0..MESSAGES {
        let text = text_for(i);
        want.entry(handset(i)).or_default().push(text.clone());
        if i % 50 < 3 {
            gw.api.submit(&handset(i), &text).await;
        } else {
            csv.push_str(&format!("load;{};{text};0\n", handset(i)));
        }
    }
    let ids = gw.api.bulk(csv).await;
    assert_eq!(ids.len(), MESSAGES - MESSAGES / 50 * 3);

    gw.api
        .wait_states("every message delivered", |c| {
            c.get("delivered").copied().unwrap_or(0) == MESSAGES as u64
        })
        .await;

    // What the handsets got: every text exactly once, intact.
    let got = t.lab.handsets();
    let mut per_modem: BTreeMap<usize, Vec<_>> = BTreeMap::new();
    for (number, texts) in &want {
        let mut received: Vec<String> = got[number].iter().map(|m| m.text.clone()).collect();
        let mut expected = texts.clone();
        received.sort();
        expected.sort();
        assert_eq!(received, expected, "handset {number}");
    }
    for m in got.values().flatten() {
        per_modem.entry(m.from_modem).or_default().push(m.clone());
        if m.text.contains("multipart") || m.text.contains("long tail") {
            assert!(m.parts > 1, "{} went out in {} part(s)", m.text, m.parts);
        }
        assert!(m.status_report_requested);
    }

    // Pacing, from the simulator's clock: end of one send → start of the next ≥ 50 ms.
    assert_eq!(per_modem.len(), 4, "all four ports sent");
    for (modem, msgs) in &mut per_modem {
        msgs.sort_by_key(|m| m.first_part_at);
        for w in msgs.windows(2) {
            let gap = w[1].first_part_at - w[0].completed_at;
            assert!(
                gap >= chrono::Duration::milliseconds(50),
                "modem {modem}: only {gap:?} between {:?} and {:?}",
                w[0].text,
                w[1].text
            );
        }
        // Even spread: round-robin over equal ports gives each about a quarter.
        assert!(
            (200..=300).contains(&msgs.len()),
            "modem {modem} sent {} of {MESSAGES}",
            msgs.len()
        );
    }
    gw.stop().await;
}

/// Per modem, the SMSC receipt times of every part it submitted, in order.
fn part_times(
    lab: &smsgate_hardware::Lab,
) -> BTreeMap<usize, Vec<chrono::DateTime<chrono::FixedOffset>>> {
    let mut per: BTreeMap<usize, Vec<_>> = BTreeMap::new();
    for s in lab.submissions() {
        per.entry(s.modem).or_default().push(s.at);
    }
    for v in per.values_mut() {
        v.sort();
    }
    per
}

/// The smallest gap between consecutive parts, and how many gaps there were.
fn smallest_gap(times: &[chrono::DateTime<chrono::FixedOffset>]) -> (chrono::Duration, usize) {
    let gaps: Vec<_> = times.windows(2).map(|w| w[1] - w[0]).collect();
    (
        gaps.iter().copied().min().unwrap_or(chrono::Duration::MAX),
        gaps.len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_part_of_a_multipart_message_waits_the_interval_and_a_shared_port_keeps_the_larger_one()
 {
    let t = lab(2, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    // Port 0 is in both groups: "bulk" (0-1, 20 ms) and "slow" (0, 120 ms). Port 1 is in "bulk"
    // only.
    let mut c = config(&t, &spool, "0-1", 20);
    let mut slow = smsgate_config::gateway::GroupConfig::new(
        "slow",
        smsgate_config::parse_port_spec("0").unwrap(),
    );
    slow.interval_ms = 120;
    c.groups.push(slow);
    let gw = start(c, Arc::new(SystemClock)).await;
    gw.api.wait_registered(2).await;

    let long = "the quick brown fox jumps over the lazy dog ".repeat(8); // 352 chars: 3 parts
    let mut total_parts = 0;
    for i in 0..6 {
        for group in ["bulk", "slow"] {
            let (status, body) = gw
                .api
                .post(
                    "/api/v1/messages",
                    serde_json::json!({
                        "to": format!("+447900000{i:02}"),
                        "text": format!("{group} {i} {long}"),
                        "group": group,
                    }),
                )
                .await;
            assert_eq!(status, 202, "{body}");
            total_parts += 3;
        }
    }
    gw.api
        .wait_states("every message sent", |c| {
            c.get("delivered").copied().unwrap_or(0) == 12
        })
        .await;
    let got = t.lab.handsets();
    for m in got.values().flatten() {
        assert_eq!(m.parts, 3, "{}", m.text);
    }

    let per = part_times(&t.lab);
    let parts: usize = per.values().map(Vec::len).sum();
    assert_eq!(parts, total_parts, "every part was submitted once");
    // Port 0 paces every part, from either group, at the larger interval: 120 ms.
    let (gap0, n0) = smallest_gap(&per[&0]);
    assert!(
        n0 >= 17,
        "port 0 sent the slow group's 18 parts and more; gaps {n0}"
    );
    assert!(
        gap0 >= chrono::Duration::milliseconds(120),
        "port 0: only {gap0:?} between two submissions"
    );
    // Port 1 (the fast group only) still waits its own 20 ms between parts.
    if let Some(times) = per.get(&1) {
        let (gap1, _) = smallest_gap(times);
        assert!(
            gap1 >= chrono::Duration::milliseconds(20),
            "port 1: only {gap1:?} between two submissions"
        );
    }
    gw.stop().await;
}
