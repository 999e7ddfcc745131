//! Issue 5 end to end with real processes: `smsgate sim` (4 simulated modems on ptys),
//! `smsgate hub` (SQLite, embedded broker or mosquitto), `smsgate gateway` (spool, port workers,
//! cloud link), all from one `smsgate demo init` deployment, driven only through their HTTP APIs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use smsgate_e2e::{Deployment, Proc, wait_until};

const CUSTOMER: &str = "+447700900123";
const CALLER: &str = "+33612345678";
const LIMIT: Duration = Duration::from_secs(90);
/// How long the hub or the broker stays down under traffic: the "a minute".
const OUTAGE: Duration = Duration::from_secs(60);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_smsgate"))
}

/// Starts the programs of `d` in dependency order and waits until each answers.
async fn start_all(d: &Deployment) -> (Proc, Option<Proc>, Proc, Proc) {
    let sim = d.sim_ready().await.unwrap();
    let mosquitto = (d.get("broker") == "mosquitto").then(|| d.start_mosquitto().unwrap());
    let hub = d.hub_ready().await.unwrap();
    let gateway = d.start_gateway().unwrap();
    (sim, mosquitto, hub, gateway)
}

async fn send(d: &Deployment, text: &str) -> String {
    let m = d
        .hub_post("/api/v1/messages", &json!({"to": CUSTOMER, "text": text}))
        .await
        .unwrap();
    m["id"].as_str().unwrap().to_owned()
}

async fn message_state(d: &Deployment, token: &str, id: &str) -> String {
    d.hub_get_as(token, &format!("/api/v1/messages/{id}"))
        .await
        .map(|m| m["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

async fn wait_delivered(d: &Deployment, token: &str, id: &str) {
    wait_until(&format!("message {id} delivered"), LIMIT, || async {
        (message_state(d, token, id).await == "delivered").then_some(())
    })
    .await
    .unwrap();
}

/// Texts the customer's handset received, with how often each.
async fn received(d: &Deployment) -> BTreeMap<String, usize> {
    let mut got = BTreeMap::new();
    for m in d.handset(CUSTOMER).await.unwrap() {
        *got.entry(m["text"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    got
}

/// The interaction with `contact` and its messages.
async fn conversation(d: &Deployment, token: &str, contact: &str) -> Option<(Value, Vec<Value>)> {
    let list = d.hub_get_as(token, "/api/v1/interactions").await.ok()?;
    let i = list["items"]
        .as_array()?
        .iter()
        .find(|i| i["contact_number"] == contact)?
        .clone();
    let msgs = d
        .hub_get_as(
            token,
            &format!("/api/v1/interactions/{}/messages", i["id"].as_str()?),
        )
        .await
        .ok()?;
    Some((i, msgs["items"].as_array()?.clone()))
}

async fn support_queue(d: &Deployment, token: &str) -> Value {
    let queues = d.hub_get_as(token, "/api/v1/queues").await.unwrap();
    queues["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "Support")
        .unwrap()["id"]
        .clone()
}

/// Outbound reaches the handset and is reported delivered; inbound lands in the tenant's
/// Support queue.
async fn round_trip(d: &Deployment) {
    let token = d.login("tenant_admin").await.unwrap();
    let id = send(d, "Hello from the hub").await;
    wait_until("the handset to receive the SMS", LIMIT, || async {
        received(d)
            .await
            .contains_key("Hello from the hub")
            .then_some(())
    })
    .await
    .unwrap();
    wait_delivered(d, &token, &id).await;

    d.inject(CALLER, &d.sim_number(1), "I need help with my order")
        .await
        .unwrap();
    let (interaction, msgs) = wait_until("the inbound interaction", LIMIT, || {
        conversation(d, &token, CALLER)
    })
    .await
    .unwrap();
    assert_eq!(interaction["status"], "waiting");
    assert_eq!(interaction["queue_id"], support_queue(d, &token).await);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["text"], "I need help with my order");
    assert_eq!(
        msgs[0]["to"],
        d.sim_number(1).as_str(),
        "the SIM it was sent to"
    );
    // An agent of the queue sees it too.
    let agent = d.login("agent").await.unwrap();
    assert!(conversation(d, &agent, CALLER).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_embedded_broker_gateway_and_modems_carry_sms_both_ways() {
    let d = Deployment::init(bin(), "embedded").unwrap();
    let (mut sim, _, mut hub, mut gateway) = start_all(&d).await;
    round_trip(&d).await;
    gateway.stop(Duration::from_secs(15));
    hub.stop(Duration::from_secs(15));
    sim.stop(Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_works_through_mosquitto_with_a_generated_acl() {
    let d = Deployment::init(bin(), "mosquitto").unwrap();
    let (mut sim, mosquitto, mut hub, mut gateway) = start_all(&d).await;
    round_trip(&d).await;
    gateway.stop(Duration::from_secs(15));
    hub.stop(Duration::from_secs(15));
    if let Some(mut m) = mosquitto {
        m.stop(Duration::from_secs(5));
    }
    sim.stop(Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_crash_under_traffic_loses_nothing_and_duplicates_nothing() {
    let d = Deployment::init(bin(), "embedded").unwrap();
    let (mut sim, _, mut hub, mut gateway) = start_all(&d).await;
    let token = d.login("tenant_admin").await.unwrap();

    // Traffic in flight when the hub (and its embedded broker) dies: SIGKILL, no drain.
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(send(&d, &format!("before outage {i}")).await);
        d.inject(CALLER, &d.sim_number(0), &format!("at the crash {i}"))
            .await
            .unwrap();
    }
    hub.kill();
    // While it is down the gateway keeps receiving (and sending what it has).
    for i in 0..3 {
        d.inject(CALLER, &d.sim_number(0), &format!("during outage {i}"))
            .await
            .unwrap();
        tokio::time::sleep(OUTAGE / 3).await;
    }
    assert!(gateway.running(), "the gateway survives the outage");

    let mut hub = {
        drop(hub);
        d.start_hub().unwrap()
    };
    d.wait_http(&format!("{}/api/v1/openapi.json", d.get("hub_api")))
        .await
        .unwrap();
    for i in 0..3 {
        ids.push(send(&d, &format!("after outage {i}")).await);
    }

    for id in &ids {
        wait_delivered(&d, &token, id).await;
    }
    let got = received(&d).await;
    for i in 0..3 {
        for phase in ["before", "after"] {
            let text = format!("{phase} outage {i}");
            assert_eq!(
                got.get(&text),
                Some(&1),
                "{text:?} sent exactly once: {got:?}"
            );
        }
    }
    let (_, msgs) = wait_until("the six inbound messages", LIMIT, || async {
        conversation(&d, &token, CALLER)
            .await
            .filter(|(_, m)| m.len() >= 6)
    })
    .await
    .unwrap();
    let mut texts: Vec<&str> = msgs.iter().map(|m| m["text"].as_str().unwrap()).collect();
    texts.sort_unstable();
    assert_eq!(
        texts,
        [
            "at the crash 0",
            "at the crash 1",
            "at the crash 2",
            "during outage 0",
            "during outage 1",
            "during outage 2"
        ],
        "each inbound SMS once in the hub"
    );
    let (_, out) = conversation(&d, &token, CUSTOMER).await.unwrap();
    assert_eq!(
        out.len(),
        6,
        "each outbound message once in the hub: {out:?}"
    );

    gateway.stop(Duration::from_secs(15));
    hub.stop(Duration::from_secs(15));
    sim.stop(Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_under_traffic_loses_nothing_and_duplicates_nothing() {
    let d = Deployment::init(bin(), "mosquitto").unwrap();
    let (mut sim, mosquitto, mut hub, mut gateway) = start_all(&d).await;
    let mut mosquitto = mosquitto.unwrap();
    let token = d.login("tenant_admin").await.unwrap();

    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(send(&d, &format!("before outage {i}")).await);
    }
    mosquitto.stop(Duration::from_secs(5));
    // Both sides keep working on their own: the hub queues commands, the gateway spools.
    for i in 0..3 {
        ids.push(send(&d, &format!("during outage {i}")).await);
        d.inject(CALLER, &d.sim_number(2), &format!("during outage {i}"))
            .await
            .unwrap();
        tokio::time::sleep(OUTAGE / 3).await;
    }
    assert!(
        hub.running() && gateway.running(),
        "both survive the outage"
    );
    let mut mosquitto = d.start_mosquitto().unwrap();

    for id in &ids {
        wait_delivered(&d, &token, id).await;
    }
    let got = received(&d).await;
    for i in 0..3 {
        for phase in ["before", "during"] {
            let text = format!("{phase} outage {i}");
            assert_eq!(
                got.get(&text),
                Some(&1),
                "{text:?} sent exactly once: {got:?}"
            );
        }
    }
    let (_, msgs) = wait_until("the three inbound messages", LIMIT, || async {
        conversation(&d, &token, CALLER)
            .await
            .filter(|(_, m)| m.len() >= 3)
    })
    .await
    .unwrap();
    assert_eq!(msgs.len(), 3, "each inbound SMS once in the hub: {msgs:?}");
    let (_, out) = conversation(&d, &token, CUSTOMER).await.unwrap();
    assert_eq!(
        out.len(),
        6,
        "each outbound message once in the hub: {out:?}"
    );

    gateway.stop(Duration::from_secs(15));
    hub.stop(Duration::from_secs(15));
    mosquitto.stop(Duration::from_secs(5));
    sim.stop(Duration::from_secs(5));
}
