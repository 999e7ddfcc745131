//! Campaigns over the REST API on a real listener and a real SQLite file: create, upload
//! recipients (dialer CSV, mapped CSV, XLSX, contact lists), every recipient state, the state
//! commands, edits, preview, delete-unprocessed, the do-not-contact list, tenant isolation.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use smsgate_cloud::router;

struct Server {
    base: String,
    http: Client,
    w: World,
}

async fn serve() -> Server {
    let w = tokio::task::spawn_blocking(world).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(w.f.hub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        base: format!("http://{addr}"),
        http: Client::new(),
        w,
    }
}

impl Server {
    async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn upload(
        &self,
        token: &str,
        path: &str,
        ctype: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    async fn login(&self, login: &str) -> String {
        let resp = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"login": login, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn campaign(&self, token: &str, body: Value) -> String {
        let (s, v) = self
            .call(token, Method::POST, "/api/v1/campaigns", Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["campaign"]["state"], "draft");
        v["campaign"]["id"].as_str().unwrap().to_owned()
    }
}

fn basic(s: &Server, template: &str) -> Value {
    json!({"name": "Black Friday", "channels": [s.w.a.channel.id], "template": template})
}

#[tokio::test]
async fn a_dialer_upload_gives_every_recipient_its_state_after_normalising_the_numbers() {
    let s = serve().await;
    let t = s.login("a-admin").await;
    let (st, v) = s
        .call(
            &t,
            Method::POST,
            "/api/v1/do-not-contact",
            Some(json!({"numbers": ["+33 6 00 00 00 03"]})),
        )
        .await;
    assert_eq!((st, v["added"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    let (st, _) = s
        .call(
            &t,
            Method::POST,
            "/api/v1/opt-outs",
            Some(json!({"number": "+33600000004"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let id = s.campaign(&t, basic(&s, "Default text")).await;
    let file = "campign;destiny;menssage;priority\n\
                promo;06 00 00 00 01;Hello one;\n\
                promo;+33600000001;Again;\n\
                promo;0600000003;Blocked;\n\
                promo;0033600000004;Opted out;\n\
                promo;12;Too short;\n\
                promo;0600000005;;5\n";
    let (st, v) = s
        .upload(
            &t,
            &format!("/api/v1/campaigns/{id}/recipients/import"),
            "text/csv",
            file.into(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let c = &v["counters"];
    assert_eq!(v["rows"], 6);
    assert_eq!(
        (
            c["to_process"].as_u64(),
            c["duplicate"].as_u64(),
            c["blocked"].as_u64(),
            c["opted_out"].as_u64(),
            c["invalid"].as_u64()
        ),
        (Some(2), Some(1), Some(1), Some(1), Some(1)),
        "{v}"
    );
    let (_, rows) = s
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/campaigns/{id}/recipients"),
            None,
        )
        .await;
    let seen: Vec<(i64, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["number"].as_str().unwrap().into(),
                r["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        (2, "+33600000001", "to_process"),
        (3, "+33600000001", "duplicate"),
        (4, "+33600000003", "blocked"),
        (5, "+33600000004", "opted_out"),
        (6, "12", "invalid"),
        (7, "+33600000005", "to_process"),
    ];
    assert_eq!(
        seen,
        want.map(|(l, n, st)| (l, n.to_string(), st.to_string()))
    );
    // The preview renders what each recipient gets: the row's text, else the template.
    let (_, p) = s
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/campaigns/{id}/preview?limit=10"),
            None,
        )
        .await;
    assert_eq!(p[0]["text"], "Hello one");
    assert_eq!(p[5]["text"], "Default text");
    // The dashboard counts the same, and a second upload of the same number is a duplicate.
    let (_, d) = s
        .call(&t, Method::GET, &format!("/api/v1/campaigns/{id}"), None)
        .await;
    assert_eq!(d["counters"]["total"], 6);
    let (_, v) = s
        .upload(
            &t,
            &format!("/api/v1/campaigns/{id}/recipients/import"),
            "text/csv",
            "p;0600000005;x;1\n".into(),
        )
        .await;
    assert_eq!(v["counters"]["duplicate"], 1, "{v}");
}

#[tokio::test]
async fn a_row_without_a_placeholder_value_refuses_the_whole_upload_naming_its_line() {
    let s = serve().await;
    let t = s.login("a-admin").await;
    let id = s
        .campaign(&t, basic(&s, "Hi {{first_name}}, code {{code}}"))
        .await;
    let path = format!("/api/v1/campaigns/{id}/recipients/import");
    let bad = "number,first_name,code\n0600000001,Zoé,1\n0600000002,,2\n0600000003,Luc,\n";
    let (st, v) = s.upload(&t, &path, "text/csv", bad.into()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let details = v["error"]["details"].as_array().unwrap();
    let lines: Vec<(u64, &str)> = details
        .iter()
        .map(|d| (d["line"].as_u64().unwrap(), d["field"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, vec![(3, "first_name"), (4, "code")], "{v}");
    // Nothing of it was kept, and the campaign is not left marked as importing.
    let (_, d) = s
        .call(&t, Method::GET, &format!("/api/v1/campaigns/{id}"), None)
        .await;
    assert_eq!(d["counters"]["total"], 0, "{d}");
    assert!(d["campaign"]["importing"].is_null());
    // A template column the file lacks is named on line 1.
    let (st, v) = s
        .upload(
            &t,
            &path,
            "text/csv",
            "number,first_name\n0600000001,Zoé\n".into(),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["details"][0]["field"], "code", "{v}");
    let good = "number,first_name,code\n0600000001,Zoé,1\n0600000002,Luc,2\n";
    let (st, v) = s.upload(&t, &path, "text/csv", good.into()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, p) = s
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/campaigns/{id}/preview"),
            None,
        )
        .await;
    assert_eq!(p[0]["text"], "Hi Zoé, code 1");
    assert_eq!(p[1]["number"], "+33600000002");
}

#[tokio::test]
async fn an_xlsx_sheet_is_read_like_a_mapped_csv_with_numeric_cells_kept_whole() {
    let s = serve().await;
    let t = s.login("a-admin").await;
    let id = s.campaign(&t, basic(&s, "Bonjour {{Nom}}")).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Number").unwrap();
    sheet.write_string(0, 1, "Nom").unwrap();
    sheet.write_number(1, 0, 33600000001.0).unwrap();
    sheet.write_string(1, 1, "Zoé").unwrap();
    sheet.write_string(2, 0, "06 00 00 00 02").unwrap();
    sheet.write_string(2, 1, "Luc").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (st, v) = s
        .upload(
            &t,
            &format!("/api/v1/campaigns/{id}/recipients/import"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["counters"]["to_process"], 2, "{v}");
    let (_, p) = s
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/campaigns/{id}/preview"),
            None,
        )
        .await;
    assert_eq!(
        (p[0]["number"].as_str(), p[0]["text"].as_str()),
        (Some("+33600000001"), Some("Bonjour Zoé"))
    );
    assert_eq!(p[1]["line"], 3);
}

#[tokio::test]
async fn the_state_commands_follow_the_state_machine_and_a_refusal_says_why() {
    let s = serve().await;
    let t = s.login("a-admin").await;
    let id = s.campaign(&t, basic(&s, "Hi {{name}}")).await;
    let act = |a: &'static str| json!({"action": a});
    let (st, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/action"),
            Some(act("start")),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no recipient"),
        "{v}"
    );
    let file = "number,name\n0600000001,A\n0600000002,B\n0600000003,C\n";
    s.upload(
        &t,
        &format!("/api/v1/campaigns/{id}/recipients/import"),
        "text/csv",
        file.into(),
    )
    .await;
    let (st, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/action"),
            Some(act("start")),
        )
        .await;
    assert_eq!(
        (st, v["campaign"]["state"].as_str()),
        (StatusCode::OK, Some("running")),
        "{v}"
    );
    assert_eq!(v["in_window"], true);
    let (st, v) = s
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/campaigns/{id}"),
            Some(json!({"template": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(
        v["error"]["message"],
        "a running campaign cannot be edited (pause it first)"
    );
    let (st, _) = s
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/campaigns/{id}/recipients/unprocessed"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/action"),
            Some(act("pause")),
        )
        .await;
    assert_eq!(v["campaign"]["state"], "paused");
    // A paused campaign's text may change, but only to placeholders its rows can fill.
    let (st, v) = s
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/campaigns/{id}"),
            Some(json!({"template": "Dear {{surname}}"})),
        )
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("template")),
        "{v}"
    );
    let (st, v) = s
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/campaigns/{id}"),
            Some(json!({"template": "Dear {{name}}"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, p) = s
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/campaigns/{id}/preview"),
            None,
        )
        .await;
    assert_eq!(p[1]["text"], "Dear B");
    let (st, v) = s
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/campaigns/{id}/recipients/unprocessed"),
            None,
        )
        .await;
    assert_eq!(
        (st, v["deleted"].as_u64()),
        (StatusCode::OK, Some(3)),
        "{v}"
    );
    let (st, _) = s
        .call(&t, Method::DELETE, &format!("/api/v1/campaigns/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/action"),
            Some(act("stop")),
        )
        .await;
    assert_eq!(v["campaign"]["state"], "stopped");
    assert!(v["campaign"]["finished_at"].is_string());
    let (st, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/action"),
            Some(act("resume")),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (st, _) = s
        .call(&t, Method::DELETE, &format!("/api/v1/campaigns/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s
        .call(&t, Method::GET, &format!("/api/v1/campaigns/{id}"), None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_campaign_started_outside_its_window_waits_scheduled_until_the_next_one() {
    let s = serve().await;
    let t = s.login("a-admin").await;
    // The test clock reads Saturday 2026-11-21 14:00 UTC.
    let mut body = basic(&s, "Hello");
    body["schedule"] = json!({"timezone": "Europe/Paris", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"});
    let id = s.campaign(&t, body).await;
    s.upload(
        &t,
        &format!("/api/v1/campaigns/{id}/recipients/import"),
        "text/csv",
        "number\n0600000001\n".into(),
    )
    .await;
    let (_, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/action"),
            Some(json!({"action": "start"})),
        )
        .await;
    assert_eq!(v["campaign"]["state"], "scheduled", "{v}");
    assert_eq!(v["in_window"], false);
    assert_eq!(v["next_window"], "2026-11-23T08:00:00Z");
}

#[tokio::test]
async fn contact_list_members_become_recipients_with_their_names() {
    let s = serve().await;
    let t = s.login("a-admin").await;
    let hub = s.w.f.hub.clone();
    let list = hub
        .create_contact_list(&s.w.a.admin, None, "VIP", "")
        .unwrap();
    hub.add_list_members(&s.w.a.admin, list.id, &[s.w.a.contact.id])
        .unwrap();
    let id = s.campaign(&t, basic(&s, "Hi {{name}}")).await;
    let (st, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/recipients/from-list"),
            Some(json!({"list_id": list.id})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, p) = s
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/campaigns/{id}/preview"),
            None,
        )
        .await;
    assert_eq!(
        (p[0]["number"].as_str(), p[0]["text"].as_str()),
        (Some("+33611111111"), Some("Hi Alice"))
    );
    let (st, v) = s
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/campaigns/{id}/recipients/from-list"),
            Some(json!({"list_id": id})),
        )
        .await;
    assert_eq!(
        (st, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("list_id")),
        "{v}"
    );
}

#[tokio::test]
async fn bad_settings_name_their_field() {
    let s = serve().await;
    let t = s.login("a-admin").await;
    let cases = [
        (
            json!({"name": "x", "channels": [], "template": "t"}),
            "channels",
        ),
        (
            json!({"name": "x", "channels": [s.w.b.channel.id], "template": "t"}),
            "channels[0]",
        ),
        (
            json!({"name": " ", "channels": [s.w.a.channel.id], "template": "t"}),
            "name",
        ),
        (
            json!({"name": "x", "channels": [s.w.a.channel.id], "template": ""}),
            "template",
        ),
        (
            json!({"name": "x", "channels": [s.w.a.channel.id], "template": "t", "schedule": {"timezone": "Mars/Base"}}),
            "schedule.timezone",
        ),
        (
            json!({"name": "x", "channels": [s.w.a.channel.id], "template": "t", "schedule": {"from": "25:00"}}),
            "schedule.from",
        ),
        (
            json!({"name": "x", "channels": [s.w.a.channel.id], "template": "t", "interval_ms": 99999999}),
            "interval_ms",
        ),
        (
            json!({"name": "x", "channels": [s.w.a.channel.id], "template": "t", "colour": "red"}),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let (st, v) = s
            .call(&t, Method::POST, "/api/v1/campaigns", Some(body.clone()))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(
            v["error"]["field"]
                .as_str()
                .unwrap_or("")
                .starts_with(field),
            "{body}: {v}"
        );
    }
    let id = s.campaign(&t, basic(&s, "t")).await;
    let (st, v) = s
        .upload(
            &t,
            &format!("/api/v1/campaigns/{id}/recipients/import"),
            "text/csv",
            "phone;name\n1;2\n".into(),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["details"][0]["line"], 1, "{v}");
}

#[tokio::test]
async fn another_tenant_finds_nothing_and_an_agent_may_not_create_campaigns() {
    let s = serve().await;
    let a = s.login("a-admin").await;
    let b = s.login("b-admin").await;
    let id = s.campaign(&a, basic(&s, "t")).await;
    for (m, path, body) in [
        (Method::GET, format!("/api/v1/campaigns/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/campaigns/{id}"),
            Some(json!({"name": "evil"})),
        ),
        (Method::DELETE, format!("/api/v1/campaigns/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/campaigns/{id}/action"),
            Some(json!({"action": "start"})),
        ),
        (
            Method::GET,
            format!("/api/v1/campaigns/{id}/recipients"),
            None,
        ),
        (Method::GET, format!("/api/v1/campaigns/{id}/preview"), None),
        (
            Method::DELETE,
            format!("/api/v1/campaigns/{id}/recipients/unprocessed"),
            None,
        ),
    ] {
        let (st, v) = s.call(&b, m.clone(), &path, body).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{m} {path}: {v}");
    }
    let (st, v) = s
        .upload(
            &b,
            &format!("/api/v1/campaigns/{id}/recipients/import"),
            "text/csv",
            "number\n0600000001\n".into(),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    let (_, list) = s.call(&b, Method::GET, "/api/v1/campaigns", None).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (_, mine) = s.call(&a, Method::GET, "/api/v1/campaigns", None).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let agent = s.login("a-agent").await;
    let (st, _) = s
        .call(
            &agent,
            Method::POST,
            "/api/v1/campaigns",
            Some(basic(&s, "t")),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let manager = s.login("a-manager").await;
    let (st, _) = s
        .call(
            &manager,
            Method::GET,
            &format!("/api/v1/campaigns/{id}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
}
