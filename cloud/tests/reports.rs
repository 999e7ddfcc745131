//! Reports over a seeded five-week history in Paris (two channels, two queues, two agents,
//! replies delivered and failed, conversations closed across midnight and across the October
//! DST change), read through the quick ranges "Yesterday" and "Last 30 days" resolved against
//! the hub's injected clock in the report's zone. The expected figures are worked out here from
//! the seed itself (the plain definitions in `hub::reports`, percentiles by nearest rank), not
//! by the hub's code; a few are also written out by hand.
#![allow(clippy::unwrap_used)]

mod floor_support;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use floor_support::*;
use smsgate_cloud::hub::TransferTo;
use smsgate_cloud::hub::reports::{QuickRange, Report, resolve_range};
use smsgate_cloud::model::*;
use smsgate_wire as wire;
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Delivered,
    Failed(&'static str),
}

/// One conversation of the seed: which channel (port 0 → Support, port 1 → Sales), when it
/// starts (UTC), who answers it, its replies and later inbound messages (minutes after the
/// start), and when its agent closes it.
struct Conv {
    port: &'static str,
    start: DateTime<Utc>,
    /// 1 = Alice (Support), 2 = Bob (Sales).
    agent: u8,
    replies: &'static [(i64, Outcome)],
    more_inbound: &'static [i64],
    close: Option<i64>,
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn seed() -> Vec<Conv> {
    use Outcome::*;
    vec![
        // Oct 24 23:30 CEST (before the last 30 days), closed at Oct 25 00:00 CEST (inside).
        Conv {
            port: "0",
            start: utc(2026, 10, 24, 21, 30),
            agent: 1,
            replies: &[(4, Delivered)],
            more_inbound: &[],
            close: Some(30),
        },
        // Oct 25 00:30 CEST, the first hour of the last 30 days, hours before the DST change.
        Conv {
            port: "1",
            start: utc(2026, 10, 24, 22, 30),
            agent: 2,
            replies: &[(10, Failed("CMS ERROR 38: network out of order"))],
            more_inbound: &[],
            close: Some(120),
        },
        Conv {
            port: "0",
            start: utc(2026, 11, 10, 9, 0),
            agent: 1,
            replies: &[(3, Delivered), (30, Delivered)],
            more_inbound: &[20],
            close: Some(60),
        },
        // Nov 22 00:30 Paris (yesterday), closed the next night: 25 hours.
        Conv {
            port: "0",
            start: utc(2026, 11, 21, 23, 30),
            agent: 1,
            replies: &[(6, Delivered)],
            more_inbound: &[],
            close: Some(25 * 60),
        },
        Conv {
            port: "1",
            start: utc(2026, 11, 22, 12, 0),
            agent: 2,
            replies: &[(15, Delivered)],
            more_inbound: &[5],
            close: Some(40),
        },
        // Never answered, closed after two hours.
        Conv {
            port: "0",
            start: utc(2026, 11, 22, 16, 0),
            agent: 1,
            replies: &[],
            more_inbound: &[],
            close: Some(120),
        },
        // Nov 22 23:59 Paris; answered at 00:01 today (the answer is today's, the conversation
        // and its first response yesterday's).
        Conv {
            port: "1",
            start: utc(2026, 11, 22, 22, 59),
            agent: 2,
            replies: &[(2, Failed("no credit"))],
            more_inbound: &[],
            close: None,
        },
        // Nov 23 00:10 Paris: today.
        Conv {
            port: "0",
            start: utc(2026, 11, 22, 23, 10),
            agent: 1,
            replies: &[(1, Delivered)],
            more_inbound: &[],
            close: None,
        },
        Conv {
            port: "1",
            start: utc(2026, 11, 23, 9, 0),
            agent: 2,
            replies: &[],
            more_inbound: &[],
            close: None,
        },
    ]
}

enum Step {
    Open(usize),
    Inbound(usize),
    Reply(usize, usize),
    Close(usize),
}

fn contact(i: usize) -> String {
    format!("+3361900000{i}")
}

/// Plays the seed on the hub in time order, the clock set to each moment.
fn play(f: &Floor, convs: &[Conv]) {
    let mut steps: Vec<(DateTime<Utc>, usize, Step)> = Vec::new();
    for (i, c) in convs.iter().enumerate() {
        let at = |m: i64| c.start + Duration::minutes(m);
        steps.push((c.start, 0, Step::Open(i)));
        steps.extend(c.more_inbound.iter().map(|m| (at(*m), 1, Step::Inbound(i))));
        steps.extend(
            c.replies
                .iter()
                .enumerate()
                .map(|(r, (m, _))| (at(*m), 2, Step::Reply(i, r))),
        );
        steps.extend(c.close.map(|m| (at(m), 3, Step::Close(i))));
    }
    steps.sort_by_key(|(t, order, _)| (*t, *order));
    let agents = [&f.agent1, &f.agent2];
    let mut ids: HashMap<usize, Uuid> = HashMap::new();
    let ingest = |up: wire::Up| f.hub.gateway_ingest().ingest(&f.gw, up).unwrap();
    let inbound = |i: usize| {
        ingest(wire::Up::Inbound(wire::Inbound {
            id: Uuid::now_v7(),
            v: 1,
            port: convs[i].port.into(),
            sim_number: None,
            from: contact(i),
            text: format!("message from {i}"),
            received_at: f.hub.now_public(),
        }));
    };
    for (t, _, step) in steps {
        f.clock.set(t);
        match step {
            Step::Open(i) => {
                inbound(i);
                let conv = f
                    .hub
                    .interactions(&f.admin, None)
                    .unwrap()
                    .into_iter()
                    .find(|x| x.contact_number == contact(i) && x.status.is_live())
                    .unwrap();
                let agent = agents[usize::from(convs[i].agent) - 1];
                f.hub
                    .transfer(
                        &f.admin,
                        conv.id,
                        TransferTo::User(agent.user_id().unwrap()),
                    )
                    .unwrap();
                ids.insert(i, conv.id);
            }
            Step::Inbound(i) => inbound(i),
            Step::Reply(i, r) => {
                let agent = agents[usize::from(convs[i].agent) - 1];
                let m = f.hub.reply(agent, ids[&i], "an answer").unwrap();
                ingest(match convs[i].replies[r].1 {
                    Outcome::Delivered => wire::Up::Dlr(wire::Delivery {
                        id: Uuid::now_v7(),
                        v: 1,
                        message_id: m.id,
                        state: wire::DeliveryState::Delivered,
                        at: t,
                        evidence: None,
                    }),
                    Outcome::Failed(why) => wire::Up::Status(wire::Status {
                        id: Uuid::now_v7(),
                        v: 1,
                        message_id: m.id,
                        state: wire::SendState::Failed,
                        reference: None,
                        error: Some(why.into()),
                        evidence: None,
                        refused: None,
                        at: t,
                    }),
                });
            }
            Step::Close(i) => {
                let agent = agents[usize::from(convs[i].agent) - 1];
                f.hub
                    .set_interaction_status(agent, ids[&i], InteractionStatus::Closed)
                    .unwrap();
            }
        }
    }
}

/// Nearest rank: the smallest value with at least p% of the values at or below it.
fn nearest_rank(v: &[i64], p: usize) -> Option<i64> {
    let mut v = v.to_vec();
    v.sort();
    let n = v.len();
    (n > 0).then(|| v[(p * n).div_ceil(100).max(1) - 1])
}

/// The figures the definitions give for `[from, to)`, from the seed alone.
struct Expected {
    received: usize,
    sent: usize,
    conversations: usize,
    delivered: usize,
    failed: usize,
    days: BTreeMap<NaiveDate, (usize, usize)>,
    /// channel port → (received, sent, delivered, failed)
    by_port: BTreeMap<&'static str, (usize, usize, usize, usize)>,
    frt: Vec<i64>,
    resolution: Vec<i64>,
    /// agent → (sent, closed, first responses)
    agents: BTreeMap<u8, (usize, usize, Vec<i64>)>,
    failures: BTreeMap<&'static str, usize>,
}

fn expected(convs: &[Conv], tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Expected {
    let inside = |t: DateTime<Utc>| from <= t && t < to;
    let mut e = Expected {
        received: 0,
        sent: 0,
        conversations: 0,
        delivered: 0,
        failed: 0,
        days: BTreeMap::new(),
        by_port: BTreeMap::new(),
        frt: Vec::new(),
        resolution: Vec::new(),
        agents: BTreeMap::new(),
        failures: BTreeMap::new(),
    };
    let mut d = from.with_timezone(&tz).date_naive();
    while d < to.with_timezone(&tz).date_naive() {
        e.days.insert(d, (0, 0));
        d = d.succ_opt().unwrap();
    }
    for c in convs {
        let at = |m: i64| c.start + Duration::minutes(m);
        let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
        for m in std::iter::once(0).chain(c.more_inbound.iter().copied()) {
            if inside(at(m)) {
                e.received += 1;
                e.days.get_mut(&day(at(m))).unwrap().0 += 1;
                e.by_port.entry(c.port).or_default().0 += 1;
            }
        }
        for (m, outcome) in c.replies {
            if inside(at(*m)) {
                e.sent += 1;
                e.days.get_mut(&day(at(*m))).unwrap().1 += 1;
                let p = e.by_port.entry(c.port).or_default();
                p.1 += 1;
                e.agents.entry(c.agent).or_default().0 += 1;
                match outcome {
                    Outcome::Delivered => {
                        e.delivered += 1;
                        p.2 += 1;
                    }
                    Outcome::Failed(why) => {
                        e.failed += 1;
                        p.3 += 1;
                        *e.failures.entry(why).or_default() += 1;
                    }
                }
            }
        }
        if let Some(m) = c.close
            && inside(at(m))
        {
            e.agents.entry(c.agent).or_default().1 += 1;
        }
        // Conversations created in the range: their first response and resolution, whenever
        // they came.
        if inside(c.start) {
            e.conversations += 1;
            if let Some((m, _)) = c.replies.first() {
                e.frt.push(m * 60);
                e.agents.entry(c.agent).or_default().2.push(m * 60);
            }
            if let Some(m) = c.close {
                e.resolution.push(m * 60);
            }
        }
    }
    e
}

fn check(r: &Report, e: &Expected, f: &Floor, what: &str) {
    let t = &r.totals;
    assert_eq!(
        (t.received, t.sent, t.conversations),
        (e.received, e.sent, e.conversations),
        "{what}: received, sent, conversations"
    );
    assert_eq!((t.delivered, t.failed), (e.delivered, e.failed), "{what}");
    let finals = e.delivered + e.failed;
    assert_eq!(
        t.delivery_rate,
        (finals > 0).then(|| e.delivered as f64 / finals as f64),
        "{what}"
    );
    assert_eq!(
        (t.first_response.median_s, t.first_response.p90_s),
        (nearest_rank(&e.frt, 50), nearest_rank(&e.frt, 90)),
        "{what}: first response {:?}",
        e.frt
    );
    assert_eq!(t.first_response.count, e.frt.len(), "{what}");
    assert_eq!(
        (t.resolution.median_s, t.resolution.p90_s),
        (
            nearest_rank(&e.resolution, 50),
            nearest_rank(&e.resolution, 90)
        ),
        "{what}: resolution {:?}",
        e.resolution
    );
    assert_eq!(t.resolution.count, e.resolution.len(), "{what}");
    let days: Vec<(String, usize, usize)> = e
        .days
        .iter()
        .map(|(d, (r, s))| (d.format("%Y-%m-%d").to_string(), *r, *s))
        .collect();
    let got: Vec<(String, usize, usize)> = r
        .days
        .iter()
        .map(|d| (d.day.clone(), d.received, d.sent))
        .collect();
    assert_eq!(got, days, "{what}: per day");
    let name_of_port = |p: &str| {
        if p == "0" {
            f.channel.sim_number.clone()
        } else {
            f.notify_channel.sim_number.clone()
        }
    };
    let channels: Vec<(String, (usize, usize, usize, usize))> = e
        .by_port
        .iter()
        .map(|(p, v)| (name_of_port(p), *v))
        .collect();
    let got: Vec<(String, (usize, usize, usize, usize))> = r
        .channels
        .iter()
        .map(|c| (c.name.clone(), (c.received, c.sent, c.delivered, c.failed)))
        .collect();
    assert_eq!(got, channels, "{what}: per channel");
    // Port 0 answers into Support, port 1 into Sales: the same figures per queue.
    let queues: BTreeMap<String, (usize, usize, usize, usize)> = e
        .by_port
        .iter()
        .map(|(p, v)| (if *p == "0" { "Support" } else { "Sales" }.to_owned(), *v))
        .collect();
    let got: BTreeMap<String, (usize, usize, usize, usize)> = r
        .queues
        .iter()
        .map(|q| (q.name.clone(), (q.received, q.sent, q.delivered, q.failed)))
        .collect();
    assert_eq!(got, queues, "{what}: per queue");
    for (agent, (sent, closed, frt)) in &e.agents {
        let name = if *agent == 1 {
            "Alice Agent"
        } else {
            "Bob Agent"
        };
        let a = r
            .agents
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{what}: no row for {name}"));
        assert_eq!(
            (
                a.sent,
                a.closed,
                a.first_response.median_s,
                a.first_response.p90_s
            ),
            (*sent, *closed, nearest_rank(frt, 50), nearest_rank(frt, 90)),
            "{what}: {name}"
        );
    }
    let failures: Vec<(String, usize)> = e
        .failures
        .iter()
        .map(|(w, n)| (w.to_string(), *n))
        .collect();
    let mut got: Vec<(String, usize)> = r
        .failures
        .iter()
        .map(|x| (x.reason.clone(), x.count))
        .collect();
    got.sort();
    assert_eq!(got, failures, "{what}: failures");
}

#[tokio::test]
async fn yesterday_and_the_last_30_days_match_a_seeded_five_week_history_in_paris() {
    let f = floor();
    let sales = f
        .hub
        .create_queue(
            &f.admin,
            None,
            "Sales",
            "",
            vec![QueueMember {
                user_id: f.agent2.user_id().unwrap(),
                role: QueueRole::Agent,
            }],
        )
        .unwrap();
    f.hub
        .set_destination(&f.admin, f.notify_channel.id, Destination::Queue(sales.id))
        .unwrap();
    let convs = seed();
    play(&f, &convs);
    // Now: Monday 23 November 2026, 11:00 in Paris.
    f.clock.set(utc(2026, 11, 23, 10, 0));
    let tz: Tz = "Europe/Paris".parse().unwrap();
    let now = f.hub.now_public();

    let (from, to) = resolve_range(tz, now, Some(QuickRange::Yesterday), None, None).unwrap();
    assert_eq!(
        (from, to),
        (utc(2026, 11, 21, 23, 0), utc(2026, 11, 22, 23, 0)),
        "Sunday 22 November, Paris (UTC+1)"
    );
    let r = f.hub.report(&f.manager, None, from, to, tz).unwrap();
    let e = expected(&convs, tz, from, to);
    check(&r, &e, &f, "yesterday");
    // By hand: the 00:30, 13:00, 17:00 and 23:59 conversations, one more inbound at 13:05;
    // the 00:36 and 13:15 answers (the 23:59 one's came after midnight); closes at 13:40 and
    // 19:00 (the 00:30 one closed today); first responses 6, 15 and 2 minutes; resolutions
    // 25 h, 40 min and 2 h.
    let t = &r.totals;
    assert_eq!((t.received, t.sent, t.conversations), (5, 2, 4));
    assert_eq!(
        (t.first_response.median_s, t.first_response.p90_s),
        (Some(360), Some(900))
    );
    assert_eq!(
        (t.resolution.median_s, t.resolution.p90_s),
        (Some(7200), Some(90_000))
    );
    assert_eq!(r.days.len(), 1);

    let (from, to) = resolve_range(tz, now, Some(QuickRange::Last30Days), None, None).unwrap();
    assert_eq!(
        (from, to),
        (utc(2026, 10, 24, 22, 0), utc(2026, 11, 23, 23, 0)),
        "25 October 00:00 CEST (UTC+2) to the end of today (UTC+1)"
    );
    let r = f.hub.report(&f.manager, None, from, to, tz).unwrap();
    let e = expected(&convs, tz, from, to);
    assert_eq!(r.days.len(), 30);
    assert_eq!(r.days[0].day, "2026-10-25");
    check(&r, &e, &f, "last 30 days");
    // By hand: eight conversations (the Oct 24 one is out, its close at 00:00 is in: Alice
    // closed it in the range); its answer at 23:34 on Oct 24 is out too.
    let alice = r.agents.iter().find(|a| a.name == "Alice Agent").unwrap();
    assert_eq!(r.totals.conversations, 8);
    assert_eq!(
        alice.closed, 4,
        "Oct 25 00:00, Nov 10, Nov 22 19:00, Nov 23 01:30"
    );
    assert_eq!(r.days[0].received, 1, "the 00:30 CEST conversation");
}
