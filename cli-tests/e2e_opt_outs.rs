//! Issue 9 end to end with real processes (`smsgate sim`, `smsgate hub`, `smsgate gateway` from
//! one `smsgate demo init` deployment): a customer texts STOP from a simulated handset; the
//! hub records the opt-out and pushes it to the gateway (`down/opt_outs`); then, with the hub
//! stopped, a dialer CSV uploaded to the gateway's own API that writes the number another way
//! (`0044…`) is stored `blocked` on the box, while another number is sent.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use smsgate_e2e::{Deployment, wait_until};

const CUSTOMER: &str = "+447700900123";
const OTHER: &str = "+447700900456";
const LIMIT: Duration = Duration::from_secs(90);

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_smsgate"))
}

async fn gateway(d: &Deployment, method: reqwest::Method, path: &str, body: &str) -> Value {
    let r = d
        .http
        .request(method, format!("{}{path}", d.get("gateway_api")))
        .bearer_auth(d.get("gateway_api_token"))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_on_the_hub_blocks_a_gateway_csv_campaign_to_that_number_while_the_hub_is_down() {
    let d = Deployment::init(bin(), "embedded").unwrap();
    let mut sim = d.sim_ready().await.unwrap();
    let mut hub = d.hub_ready().await.unwrap();
    let mut gw = d.gateway_ready().await.unwrap();

    // The customer opts out from their handset.
    d.inject(CUSTOMER, &d.sim_number(0), "STOP").await.unwrap();
    let token = d.login("tenant_admin").await.unwrap();
    wait_until("the hub to record the opt-out", LIMIT, || async {
        let list = d.hub_get_as(&token, "/api/v1/opt-outs").await.ok()?;
        list["items"]
            .as_array()?
            .iter()
            .any(|o| o["number"] == CUSTOMER)
            .then_some(())
    })
    .await
    .unwrap();
    // … and the hub pushes it to the gateway, which acknowledges it.
    let held = wait_until("the gateway to hold the tenant's list", LIMIT, || async {
        let v = gateway(&d, reqwest::Method::GET, "/api/v1/opt-outs", "").await;
        let list = v["lists"].as_array()?.first()?.clone();
        (list["numbers"] == 1 && list["version"].as_i64()? >= 1).then_some(list)
    })
    .await
    .unwrap();
    assert_eq!(held["ports"].as_array().unwrap().len(), 4, "{held}");

    // The hub goes away; the box keeps honouring the list.
    hub.stop(Duration::from_secs(15));
    let csv = format!(
        "campaign;destiny;message;priority\npromo;0044 7700 900123;Spring offer;0\npromo;{OTHER};Spring offer;0\n"
    );
    let up = gateway(
        &d,
        reqwest::Method::POST,
        "/api/v1/bulk/messages?group=demo",
        &csv,
    )
    .await;
    assert_eq!(up["imported"], 2, "{up}");
    assert_eq!(up["blocked"], 1, "{up}");
    let ids: Vec<i64> = up["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect();
    let blocked = gateway(
        &d,
        reqwest::Method::GET,
        &format!("/api/v1/messages/{}", ids[0]),
        "",
    )
    .await;
    assert_eq!(blocked["state"], "blocked", "{blocked}");
    assert_eq!(
        blocked["error"], "recipient opted out (list pushed by the hub)",
        "{blocked}"
    );
    // The other number is sent without the hub.
    wait_until("the other handset to receive the offer", LIMIT, || async {
        d.handset(OTHER)
            .await
            .ok()?
            .iter()
            .any(|m| m["text"] == "Spring offer")
            .then_some(())
    })
    .await
    .unwrap();
    let customer = d.handset(CUSTOMER).await.unwrap();
    assert!(
        customer.iter().all(|m| m["text"] != "Spring offer"),
        "the opted-out handset got nothing: {customer:?}"
    );

    gw.stop(Duration::from_secs(15));
    sim.stop(Duration::from_secs(5));
}
