//! The simulated Dinstar gateway: AT mode over TCP and the HTTP SMS API, over real sockets.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use smsgate_hardware::sim::config::{DinstarAuth, DinstarConfig, DinstarMode};
use smsgate_hardware::sim::profile::ProfileId;
use smsgate_hardware::{Fault, Inbound};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn lab(mode: DinstarMode) -> common::TestLab {
    common::start(2, |cfg| {
        cfg.profile = ProfileId::Dinstar;
        cfg.dinstar = Some(DinstarConfig {
            mode,
            auth: DinstarAuth::None,
            utc_offset_min: 180,
            ..Default::default()
        });
    })
}

struct Tcp(TcpStream, Vec<u8>);

impl Tcp {
    async fn connect(addr: std::net::SocketAddr) -> Tcp {
        Tcp(TcpStream::connect(addr).await.unwrap(), Vec::new())
    }
    /// Sends `s` and reads until the buffer ends with `end`.
    async fn say(&mut self, s: &str, end: &str) -> String {
        self.0.write_all(s.as_bytes()).await.unwrap();
        let r = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if String::from_utf8_lossy(&self.1).ends_with(end) {
                    return;
                }
                let mut b = [0u8; 1024];
                let n = self.0.read(&mut b).await.unwrap();
                assert!(
                    n > 0,
                    "connection closed; got {:?}",
                    String::from_utf8_lossy(&self.1)
                );
                self.1.extend_from_slice(&b[..n]);
            }
        })
        .await;
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.1)).into_owned();
        assert!(r.is_ok(), "timed out; got {text:?}");
        text
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_mode_needs_the_password_then_a_port_then_speaks_raw_at() {
    let t = lab(DinstarMode::At);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(smsgate_hardware::sim::dinstar::serve_at(
        t.lab.clone(),
        listener,
    ));

    let mut c = Tcp::connect(addr).await;
    assert_eq!(c.say("Port:1\r\n", "\r\n").await, "FAIL\r\n");
    assert_eq!(c.say("Password:nope\r\n", "\r\n").await, "FAIL\r\n");
    assert_eq!(c.say("Password:admin\r\n", "\r\n").await, "OK\r\n");
    assert_eq!(c.say("Port:9\r\n", "\r\n").await, "FAIL\r\n");
    assert_eq!(c.say("Port:1\r\n", "\r\n").await, "OK\r\n");
    assert_eq!(c.say("ATE0\r", "OK\r\n").await, "ATE0\r\r\nOK\r\n");
    assert_eq!(
        c.say("AT+CGMI\r", "OK\r\n").await,
        "\r\nDINSTAR\r\n\r\nOK\r\n"
    );
    let p = &smsgate_pdu::encode_submit("+447700900100", "via dinstar", &Default::default())
        .unwrap()[0];
    assert_eq!(
        c.say(&format!("AT+CMGS={}\r", p.tpdu_len), "> ").await,
        "\r\n> "
    );
    assert!(
        c.say(&format!("{}\x1a", p.hex()), "OK\r\n")
            .await
            .contains("+CMGS: 0")
    );
    let got = t.lab.wait_handset("+447700900100", 1).await;
    assert_eq!(
        (got[0].text.as_str(), got[0].from_modem),
        ("via dinstar", 1)
    );

    // The same port is in use; a powered-off module is not ready.
    let mut d = Tcp::connect(addr).await;
    d.say("Password:admin\r\n", "\r\n").await;
    assert_eq!(d.say("Port:1\r\n", "\r\n").await, "NOT READY\r\n");
    t.lab.fault(0, Fault::PowerOff).await.unwrap();
    let mut e = Tcp::connect(addr).await;
    e.say("Password:admin\r\n", "\r\n").await;
    assert_eq!(e.say("Port:0\r\n", "\r\n").await, "NOT READY\r\n");
}

async fn poll(
    http: &reqwest::Client,
    url: &str,
    body: Value,
    until: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..400 {
        let v: Value = http
            .post(url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if until(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition never met at {url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_sends_reports_receives_and_answers_ussd_with_dinstar_field_names() {
    let t = lab(DinstarMode::Http);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(smsgate_hardware::sim::dinstar::serve_http(
        t.lab.clone(),
        listener,
    ));
    let http = reqwest::Client::new();

    let r: Value = http
        .post(format!("{base}/api/send_sms"))
        .json(&json!({"text": "Hi #param#", "port": [1], "param": [{"number": "+447700900200", "text_param": ["Ann"], "user_id": 7}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error_code"], 202);
    assert_eq!(r["sn"], "dbd2-0325-0044-0088");
    assert_eq!(r["task_id"], 1);
    let got = t.lab.wait_handset("+447700900200", 1).await;
    assert_eq!(got[0].text, "Hi Ann");
    assert_eq!(got[0].encoding, smsgate_pdu::Encoding::Ucs2);

    let res = poll(
        &http,
        &format!("{base}/api/query_sms_result"),
        json!({"user_id": [7]}),
        |v| v["result"][0]["status"] == "DELIVERED",
    )
    .await;
    let e = &res["result"][0];
    assert_eq!(
        (
            e["port"].clone(),
            e["count"].clone(),
            e["succ_count"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
    assert_eq!(e["imsi"], t.lab.specs()[1].imsi);
    let st = poll(
        &http,
        &format!("{base}/api/query_sms_deliver_status"),
        json!({"port": [1]}),
        |v| v["result"].as_array().is_some_and(|a| !a.is_empty()),
    )
    .await;
    assert_eq!(st["result"][0]["status_code"], 0);
    assert_eq!(st["result"][0]["ref_id"], e["ref_id"]);

    t.lab
        .inject(&Inbound {
            from: "+33612345678".into(),
            to: t.lab.specs()[0].msisdn.clone(),
            text: "x".repeat(200),
            encoding: None,
            out_of_order: true,
            drop_part: None,
        })
        .unwrap();
    let inbox: Value = http
        .get(format!("{base}/api/query_incoming_sms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["error_code"], 200, "{inbox}");
    assert_eq!(inbox["sms"].as_array().map(Vec::len), Some(1), "{inbox}");
    assert_eq!(inbox["sms"][0]["port"], 0);
    assert_eq!(inbox["sms"][0]["number"], "+33612345678");
    assert_eq!(inbox["sms"][0]["text"], "x".repeat(200));
    // Device-local time (UTC+3 here), no zone.
    let stamp = inbox["sms"][0]["timestamp"].as_str().unwrap();
    let local = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S").unwrap();
    let skew = local - (chrono::Utc::now().naive_utc() + chrono::Duration::hours(3));
    assert!(skew.num_seconds().abs() < 60, "{stamp}");
    let again: Value = http
        .get(format!("{base}/api/query_incoming_sms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["sms"], json!([]));
    assert_eq!(
        (again["read"].clone(), again["unread"].clone()),
        (json!(1), json!(0))
    );

    let u: Value = http
        .post(format!("{base}/api/send_ussd"))
        .json(&json!({"port": [0], "command": "send", "text": "*100#"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(u["error_code"], 202);
    assert_eq!(u["result"][0]["status"], 200);
    let mut text = Value::Null;
    for _ in 0..400 {
        let rep: Value = http
            .get(format!("{base}/api/query_ussd_reply?port=0"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        text = rep["reply"][0]["text"].clone();
        if text.as_str().is_some_and(|t| !t.trim().is_empty()) {
            break;
        }
        assert_eq!(text, " ", "the placeholder while the reply is on its way");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(text, "Your balance is 10.00 USD");

    // Port information: the SIMs as the lab has them, until one is pulled.
    let info: Value = http
        .get(format!(
            "{base}/api/get_port_info?port=0,1&info_type=imei,imsi,iccid,reg,signal"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["info"][1]["reg"], "REGISTER_OK", "{info}");
    assert_eq!(info["info"][1]["iccid"], t.lab.specs()[1].iccid);
    assert_eq!(info["info"][1]["signal"], 20);

    t.lab.fault(0, Fault::SimRemoved).await.unwrap();
    t.lab.fault(1, Fault::SimRemoved).await.unwrap();
    let info: Value = http
        .get(format!(
            "{base}/api/get_port_info?port=1&info_type=imsi,reg"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["info"][0]["reg"], "NO_SIM", "{info}");
    assert_eq!(info["info"][0]["imsi"], "");
    let r: Value = http
        .post(format!("{base}/api/send_sms"))
        .json(&json!({"text": "x", "param": [{"number": "+447700900201"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error_code"], 550);
    let r: Value = http
        .post(format!("{base}/api/send_sms"))
        .body("{")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error_code"], 400);
}
