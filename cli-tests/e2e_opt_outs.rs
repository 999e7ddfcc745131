//! Issue 9 end to end with real processes (`smsgate sim`, `smsgate hub`, `smsgate gateway` from
//! one `smsgate demo init` deployment): a customer texts STOP from a simulated handset; the
//! hub records the opt-out and pushes it to the gateway (`down/opt_outs`); then, with the hub
//! stopped, a dialer CSV uploaded to the gateway's own API that writes the number another way
//! (`0044…`) is stored `blocked` on the box, while another number is sent; a reply to the
//! customer still reaches the handset, as STOP stops bulk messages only. And a hub message
//! the gateway holds (outside its group's sending hours) when the number is opted out is
//! cancelled on the gateway and never reaches the handset; so is one whose number is put on the
//! do-not-contact list.

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
    let json = body.starts_with('{');
    let r = d
        .http
        .request(method, format!("{}{path}", d.get("gateway_api")))
        .bearer_auth(d.get("gateway_api_token"))
        .header(
            reqwest::header::CONTENT_TYPE,
            if json { "application/json" } else { "text/csv" },
        )
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

    // STOP stops bulk messages, not the conversation: a reply (a message without a campaign)
    // passes the list the gateway holds and reaches the handset (contract version 7), while
    // a campaign message is refused by the hub.
    let reply = d
        .hub_post(
            "/api/v1/messages",
            &serde_json::json!({"to": CUSTOMER, "text": "You will get no more offers from us"}),
        )
        .await
        .unwrap();
    let reply_id = reply["id"].as_str().unwrap().to_owned();
    wait_until(
        "the reply to reach the opted-out handset",
        LIMIT,
        || async {
            d.handset(CUSTOMER)
                .await
                .ok()?
                .iter()
                .any(|m| m["text"] == "You will get no more offers from us")
                .then_some(())
        },
    )
    .await
    .unwrap();
    wait_until("the hub to book the reply sent", LIMIT, || async {
        let m = d
            .hub_get_as(&token, &format!("/api/v1/messages/{reply_id}"))
            .await
            .ok()?;
        matches!(m["state"].as_str()?, "sent" | "delivered").then_some(())
    })
    .await
    .unwrap();
    let promo = d
        .hub_post(
            "/api/v1/messages",
            &serde_json::json!({"to": CUSTOMER, "text": "Spring offer", "campaign": "spring"}),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        promo.contains("409") && promo.contains("opted out"),
        "{promo}"
    );

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

/// A sending-hours window one hour long that does not hold the current UTC hour.
fn closed_hours() -> &'static str {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if (secs / 3600) % 24 < 12 {
        "20:00-21:00"
    } else {
        "04:00-05:00"
    }
}

async fn hub_message(d: &Deployment, token: &str, id: &str) -> Value {
    d.hub_get_as(token, &format!("/api/v1/messages/{id}"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_message_held_on_the_gateway_is_cancelled_by_a_later_opt_out_or_do_not_contact_entry_and_never_reaches_the_handset()
 {
    const LATER: &str = "+447700900789";
    const DNC: &str = "+447700900321";
    let d = Deployment::init(bin(), "embedded").unwrap();
    let mut sim = d.sim_ready().await.unwrap();
    let mut hub = d.hub_ready().await.unwrap();
    let mut gw = d.gateway_ready().await.unwrap();
    let token = d.login("tenant_admin").await.unwrap();

    // The gateway holds what the hub sends: its group is outside its sending hours.
    let hours = format!(
        r#"{{"sending_hours": "{}", "timezone": "UTC"}}"#,
        closed_hours()
    );
    gateway(
        &d,
        reqwest::Method::PATCH,
        "/api/v1/box/groups/demo",
        &hours,
    )
    .await;
    let sent = d
        .hub_post(
            "/api/v1/messages",
            &serde_json::json!({"to": LATER, "text": "Your parcel is on its way"}),
        )
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_owned();
    let dnc = d
        .hub_post(
            "/api/v1/messages",
            &serde_json::json!({"to": DNC, "text": "Your parcel is on its way"}),
        )
        .await
        .unwrap();
    let dnc_id = dnc["id"].as_str().unwrap().to_owned();
    for id in [&id, &dnc_id] {
        wait_until("the gateway to accept the message", LIMIT, || async {
            (hub_message(&d, &token, id).await["state"] == "accepted").then_some(())
        })
        .await
        .unwrap();
    }

    // The customer is opted out by hand, the number written another way.
    let r = d
        .http
        .post(format!("{}/api/v1/opt-outs", d.get("hub_api")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"number": "0044 7700 900789"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "opt-out: {}", r.status());
    let cancelled = wait_until("the gateway to cancel the message", LIMIT, || async {
        let m = hub_message(&d, &token, &id).await;
        (m["state"] == "cancelled").then_some(m)
    })
    .await
    .unwrap();
    assert!(
        cancelled["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("blocked: +447700900789 opted out")),
        "{cancelled}"
    );

    // Another customer is put on the do-not-contact list, written another way.
    let r = d
        .http
        .post(format!("{}/api/v1/do-not-contact", d.get("hub_api")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"numbers": ["0044 7700 900321"]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "do-not-contact: {}", r.status());
    let cancelled = wait_until("the gateway to cancel the message", LIMIT, || async {
        let m = hub_message(&d, &token, &dnc_id).await;
        (m["state"] == "cancelled").then_some(m)
    })
    .await
    .unwrap();
    assert!(
        cancelled["error"].as_str().is_some_and(|e| e.starts_with(
            "blocked: +447700900321 was put on the do-not-contact list before it was sent"
        )),
        "{cancelled}"
    );

    // Sending hours open again: another number's message goes out, the cancelled ones never.
    gateway(
        &d,
        reqwest::Method::PATCH,
        "/api/v1/box/groups/demo",
        r#"{"sending_hours": null}"#,
    )
    .await;
    d.hub_post(
        "/api/v1/messages",
        &serde_json::json!({"to": OTHER, "text": "Hours are open"}),
    )
    .await
    .unwrap();
    wait_until(
        "the other handset to receive its message",
        LIMIT,
        || async {
            d.handset(OTHER)
                .await
                .ok()?
                .iter()
                .any(|m| m["text"] == "Hours are open")
                .then_some(())
        },
    )
    .await
    .unwrap();
    let later = d.handset(LATER).await.unwrap();
    assert!(
        later.is_empty(),
        "the opted-out handset got nothing: {later:?}"
    );
    let listed = d.handset(DNC).await.unwrap();
    assert!(
        listed.is_empty(),
        "the do-not-contact handset got nothing: {listed:?}"
    );

    gw.stop(Duration::from_secs(15));
    hub.stop(Duration::from_secs(15));
    sim.stop(Duration::from_secs(5));
}
