//! The box UI's One-port actions against a running gateway on the simulated lab: a port's
//! settings changed live (the port restarts with them, the gateway does not; kept in the
//! override file; the PIN never given back), its AT log, and a power cycle through the
//! hardware crate's `PowerControl` wired to the lab's simulated pins.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod run_support;

use run_support::*;
use serde_json::{Value, json};
use smsgate_gateway::clock::SystemClock;
use smsgate_gateway::ports::PowerCycle;
use smsgate_hardware::power::{PowerControl, QUECTEL_EC25, SimBoard};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

async fn patch(api: &Api, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .patch(format!("{}{path}", api.base))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn wait_port(api: &Api, id: usize, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let p = api.ports().await.swap_remove(id);
        if f(&p) {
            return p;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "port {id} never {what}: {p:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_setting_changed_from_the_box_restarts_that_port_with_it_and_holds_after_a_restart()
{
    let t = lab(2, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let cfg = config(&t, &spool, "0-1", 20);
    let real_device = t.lab.modem_path(1).unwrap().display().to_string();
    let gw = start(cfg.clone(), Arc::new(SystemClock)).await;
    gw.api.wait_registered(2).await;

    // Refused values are named by field, and nothing changes.
    let (status, body) = patch(
        &gw.api,
        "/api/v1/box/ports/1/settings",
        json!({"baud": 12345, "pin": "12", "id": 7}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["id"], "unknown fields first, alone: {body}");
    let (status, body) = patch(
        &gw.api,
        "/api/v1/box/ports/1/settings",
        json!({"baud": 12345, "pin": "12"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let details = body["error"]["details"].to_string();
    assert!(
        details.contains("\"baud\"") && details.contains("12345 is not a standard serial speed"),
        "{details}"
    );
    assert!(
        details.contains("\"pin\"") && details.contains("must be 4 to 8 digits"),
        "{details}"
    );
    assert!(!spool.with_file_name("overrides.json").exists());

    // A device that is not there: the port goes absent, port 0 and the gateway run on.
    let (status, body) = patch(
        &gw.api,
        "/api/v1/box/ports/1/settings",
        json!({"device": "/dev/smsgate-no-such-modem", "pin": "2468"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["device"], "/dev/smsgate-no-such-modem");
    assert_eq!(body["pin_set"], true);
    assert!(
        !body.to_string().contains("2468"),
        "the PIN is never given back: {body}"
    );
    let mut overridden: Vec<&str> = body["overridden"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    overridden.sort_unstable();
    assert_eq!(overridden, vec!["device", "pin"]);
    wait_port(&gw.api, 1, "went absent", |p| p["state"] == "absent").await;
    assert_eq!(gw.api.ports().await[0]["state"], "registered");
    let file = std::fs::read_to_string(spool.with_file_name("overrides.json")).unwrap();
    assert!(
        file.contains("\"ports.1.device\": \"/dev/smsgate-no-such-modem\""),
        "{file}"
    );
    let listed = gw.api.get("/api/v1/box/ports/settings").await.to_string();
    assert!(!listed.contains("2468"), "{listed}");

    // Back to the real device: registered again and sending, without a gateway restart.
    let (status, body) = patch(
        &gw.api,
        "/api/v1/box/ports/1/settings",
        json!({"device": real_device, "pin": null}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    wait_port(&gw.api, 1, "came back", |p| p["state"] == "registered").await;
    assert!(
        !spool.with_file_name("overrides.json").exists(),
        "nothing differs from the file any more"
    );

    // A change that holds after a restart (read back from the override file).
    let (status, body) = patch(
        &gw.api,
        "/api/v1/box/ports/1/settings",
        json!({"text_mode": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    gw.stop().await;
    let gw = start(cfg, Arc::new(SystemClock)).await;
    gw.api.wait_registered(2).await;
    let listed = gw.api.get("/api/v1/box/ports/settings").await;
    assert_eq!(listed["ports"][1]["text_mode"], true, "{listed}");
    assert_eq!(listed["ports"][1]["overridden"], json!(["text_mode"]));

    // The port's AT log shows its traffic, oldest first, and follows from a sequence number.
    let log = gw.api.get("/api/v1/box/ports/1/at-log").await;
    let lines = log["lines"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "command" && l["text"] == "AT+CMGF=1"),
        "text mode was set at init: {log:#}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "answer" && l["text"] == "OK")
    );
    let last = lines.last().unwrap()["seq"].as_u64().unwrap();
    let newer = gw
        .api
        .get(&format!("/api/v1/box/ports/1/at-log?after={last}"))
        .await;
    assert!(
        newer["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["seq"].as_u64().unwrap() > last)
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cycle_asked_by_the_api_goes_through_the_power_control_and_the_port_comes_back() {
    let t = lab(2, |_| {});
    let spool = t.dir.path().join("spool.sqlite");
    let cfg = config(&t, &spool, "0-1", 20);
    let board = SimBoard::new(t.lab.clone(), 0, QUECTEL_EC25);
    let power = PowerControl::new(
        board.pwrkey(),
        Some(board.reset()),
        Some(board.status()),
        board.delay(),
        QUECTEL_EC25,
    )
    .unwrap();
    let mut map: BTreeMap<u16, Box<dyn PowerCycle>> = BTreeMap::new();
    map.insert(0, Box::new(power));
    let gw = start_with_power(cfg, Arc::new(SystemClock), map).await;
    gw.api.wait_registered(2).await;

    let (status, body) = gw
        .api
        .post("/api/v1/ports/1/power-cycle", Value::Null)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "no_power_control", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no power control is wired for this port"),
        "{body}"
    );

    let (status, body) = gw
        .api
        .post("/api/v1/ports/0/power-cycle", Value::Null)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"port": 0, "power_cycled": true}));
    let p = wait_port(&gw.api, 0, "came back after the power cycle", |p| {
        p["state"] == "registered" && p["counters"]["power_cycles"] == 1
    })
    .await;
    assert_eq!(p["counters"]["hangs"], 0, "{p:#}");
    let id = gw
        .api
        .submit("+447940000002", "after the power cycle")
        .await;
    let got = tokio::time::timeout(WAIT, t.lab.wait_handset("+447940000002", 1))
        .await
        .unwrap();
    assert_eq!(got[0].text, "after the power cycle");
    gw.api
        .wait_states("delivered", |c| c.get("delivered").copied() == Some(1))
        .await;
    assert_eq!(gw.api.state(id).await, "delivered");
    gw.stop().await;
}
