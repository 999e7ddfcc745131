//! Issue 12 end to end with real processes (`smsgate sim`, `smsgate hub` with its embedded
//! broker, `smsgate gateway` from one `smsgate demo init` deployment): a campaign of 400
//! recipients over the tenant's four channels is handed to the gateway as batches
//! (`down/campaign`, contract version 4); the hub is stopped mid-campaign and the gateway
//! keeps sending at the campaign's pace; every handset gets exactly one message with its own
//! text; the hub restarted takes the progress made meanwhile (each report once) and the
//! campaign completes with every recipient sent.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use smsgate_e2e::{Deployment, wait_until};

const RECIPIENTS: usize = 400;
const LIMIT: Duration = Duration::from_secs(240);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_smsgate"))
}

fn number(i: usize) -> String {
    format!("+4477009{:05}", 10_000 + i)
}

async fn call(
    d: &Deployment,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    d.hub_call(token, method, path, body).await.unwrap()
}

/// The texts each recipient's handset holds, in recipient order (one request to the simulator).
async fn handsets(d: &Deployment) -> Vec<Vec<String>> {
    let all = d.handsets().await.unwrap_or_default();
    (0..RECIPIENTS)
        .map(|i| {
            all.get(&number(i))
                .map(|got| {
                    got.iter()
                        .filter_map(|m| m["text"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_keeps_sending_on_the_gateway_while_the_hub_is_down_and_each_recipient_gets_one_message()
 {
    let t0 = std::time::Instant::now();
    let phase = |what: &str| eprintln!("[{:>6.1} s] {what}", t0.elapsed().as_secs_f64());
    let d = Deployment::init(bin(), "embedded").unwrap();
    let mut sim = d.sim_ready().await.unwrap();
    let mut hub = d.hub_ready().await.unwrap();
    let mut gw = d.gateway_ready().await.unwrap();

    phase("deployment up");
    let token = d.login("tenant_admin").await.unwrap();
    let list = call(&d, &token, reqwest::Method::GET, "/api/v1/channels", None).await;
    let channels: Vec<Value> = list["items"]
        .as_array()
        .or(list.as_array())
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(channels.len(), 4, "{list}");
    let created = call(
        &d,
        &token,
        reqwest::Method::POST,
        "/api/v1/campaigns",
        Some(json!({
            "name": "Outage",
            "channels": channels,
            "template": "Hello {{name}}",
            "interval_ms": 100,
        })),
    )
    .await;
    let id = created["campaign"]["id"].as_str().unwrap().to_owned();
    let mut csv = String::from("number,name\n");
    for i in 0..RECIPIENTS {
        csv.push_str(&format!("{},N{i}\n", number(i)));
    }
    let r = d
        .http
        .post(format!(
            "{}/api/v1/campaigns/{id}/recipients/import",
            d.get("hub_api")
        ))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    call(
        &d,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/campaigns/{id}/action"),
        Some(json!({"action": "start"})),
    )
    .await;

    phase("campaign started");
    // The gateway holds the whole campaign and has begun sending.
    wait_until(
        "the campaign to be handed over and begin",
        LIMIT,
        || async {
            let v = d
                .hub_get_as(&token, &format!("/api/v1/campaigns/{id}"))
                .await
                .ok()?;
            let c = &v["counters"];
            (c["to_process"] == 0 && c["sent"].as_u64()? + c["delivered"].as_u64()? >= 20)
                .then_some(())
        },
    )
    .await
    .unwrap();
    // The link goes: the hub is stopped mid-campaign.
    phase("handed over, sending");
    hub.stop(Duration::from_secs(15));
    phase("hub stopped");
    let at_cut: usize = handsets(&d).await.iter().map(Vec::len).sum();
    assert!(
        at_cut < RECIPIENTS,
        "the cut fell mid-campaign ({at_cut} of {RECIPIENTS} sent)"
    );
    // The gateway keeps going on its own.
    wait_until(
        "every handset to get its message without the hub",
        LIMIT,
        || async {
            let all = handsets(&d).await;
            all.iter().all(|h| !h.is_empty()).then_some(())
        },
    )
    .await
    .unwrap();

    phase("every handset served");
    // The hub is back: the progress made meanwhile reaches it, each report once.
    let mut hub = d.hub_ready().await.unwrap();
    let token = d.login("tenant_admin").await.unwrap();
    let done = wait_until("the hub to see every recipient sent", LIMIT, || async {
        let v = d
            .hub_get_as(&token, &format!("/api/v1/campaigns/{id}"))
            .await
            .ok()?;
        let c = &v["counters"];
        let sent = c["sent"].as_u64()? + c["delivered"].as_u64()?;
        (sent == RECIPIENTS as u64 && v["campaign"]["state"] == "completed").then_some(v)
    })
    .await
    .unwrap();
    phase("the hub saw every recipient sent");
    assert_eq!(done["counters"]["failed"], 0, "{done}");
    assert_eq!(done["counters"]["queued"], 0, "{done}");

    // Exactly one message per handset, with its own text.
    let all = handsets(&d).await;
    for (i, h) in all.iter().enumerate() {
        assert_eq!(h, &vec![format!("Hello N{i}")], "handset {}", number(i));
    }

    gw.stop(Duration::from_secs(15));
    hub.stop(Duration::from_secs(15));
    sim.stop(Duration::from_secs(5));
}
