//! Every file that leaves the hub is audited: the report (CSV and XLSX), a campaign's results,
//! the contacts (all, or one list) and a conversation's transcript PDF, downloaded through the
//! REST API on a real listener, each write one audit entry saying who (name and login), what
//! (action `exported`, the kind, its id, a detail naming the file) and when (the hub clock's
//! reading). A download that is refused or fails writes none.
#![allow(clippy::unwrap_used)]

mod floor_support;

use chrono::Duration;
use floor_support::*;
use reqwest::StatusCode;
use serde_json::Value;
use smsgate_cloud::campaigns::CampaignOptions;
use smsgate_cloud::campaigns::ops::CampaignInput;
use smsgate_cloud::campaigns::schedule::Schedule;
use smsgate_cloud::hub::contacts::ContactInput;
use smsgate_cloud::router;

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn get(&self, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status(), r.bytes().await.unwrap().to_vec())
    }

    /// The audit log, newest first.
    async fn audit(&self, token: &str) -> Vec<Value> {
        let (s, body) = self.get(token, "/api/v1/audit").await;
        assert_eq!(s, StatusCode::OK);
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["items"].as_array().unwrap().clone()
    }
}

fn exports(log: &[Value]) -> Vec<&Value> {
    log.iter().filter(|e| e["action"] == "exported").collect()
}

#[tokio::test]
async fn each_export_and_transcript_download_writes_who_what_and_when_and_a_refused_one_writes_nothing()
 {
    let f = floor();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(f.hub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let api = Api {
        base,
        http: reqwest::Client::new(),
    };
    let token = |l: &str| f.hub.login(l, PW).unwrap().0;
    let (admin, manager, agent) = (token("admin"), token("manager"), token("agent1"));

    // Something to export.
    let conv = f.inbound("+33620000001", "my parcel?");
    for (n, name) in [("+33620000001", "Zoé"), ("+33620000002", "Luc")] {
        f.hub
            .create_contact(
                &f.admin,
                None,
                ContactInput {
                    number: n.into(),
                    name: name.into(),
                    business: "Acme, Inc.".into(),
                    email: String::new(),
                    notes: String::new(),
                },
            )
            .unwrap();
    }
    let campaign = f
        .hub
        .create_campaign(
            &f.admin,
            CampaignInput {
                org: None,
                name: "Promo".into(),
                channels: vec![f.channel.id],
                dial_string: None,
                template: "Hi {{name}}".into(),
                schedule: Schedule::default(),
                interval_ms: 0,
                priority: 0,
                options: CampaignOptions::default(),
            },
        )
        .unwrap()
        .campaign;
    assert!(exports(&api.audit(&admin).await).is_empty());

    // Refused or failed downloads leave no trace: an agent may not read reports nor export
    // contacts; a format that does not exist; another tenant's (or no) conversation.
    let refused = [
        (&agent, "/api/v1/reports/export?range=today&format=xlsx"),
        (&agent, "/api/v1/contacts/export"),
        (&admin, "/api/v1/reports/export?range=today&format=pdf"),
        (
            &admin,
            "/api/v1/interactions/00000000-0000-0000-0000-000000000000/transcript.pdf",
        ),
    ];
    for (who, path) in refused {
        let (s, _) = api.get(who, path).await;
        assert!(s.is_client_error(), "{path}: {s}");
    }
    assert!(exports(&api.audit(&admin).await).is_empty());

    // Each download at its own minute, by its own person.
    let campaign_path = format!("/api/v1/campaigns/{}/export?format=csv", campaign.id);
    let transcript_path = format!(
        "/api/v1/interactions/{}/transcript.pdf?tz=Europe/Paris",
        conv.id
    );
    let downloads: [(&str, &str, &str, &str); 5] = [
        (
            "manager",
            "/api/v1/reports/export?range=today&format=xlsx&tz=Europe/Paris",
            "report",
            ".xlsx",
        ),
        (
            "admin",
            "/api/v1/reports/export?range=yesterday&format=csv&table=agents",
            "report",
            "-agents.csv",
        ),
        ("admin", &campaign_path, "campaign", ""),
        (
            "manager",
            "/api/v1/contacts/export",
            "contacts",
            "contacts-Acme.csv",
        ),
        ("agent1", &transcript_path, "transcript", ""),
    ];
    let mut whens = Vec::new();
    for (who, path, _, _) in &downloads {
        f.clock.advance(Duration::minutes(1));
        whens.push(f.hub.now_public());
        let t = match *who {
            "admin" => &admin,
            "manager" => &manager,
            _ => &agent,
        };
        let (s, body) = api.get(t, path).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        assert!(!body.is_empty(), "{path}");
        if path.starts_with("/api/v1/contacts") {
            let text = String::from_utf8(body).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.remove(0), "SMS_NUMBER,FULLNAME,BUSINESS,EMAIL,NOTES");
            lines.sort();
            assert_eq!(
                lines,
                vec![
                    "+33620000001,Zoé,\"Acme, Inc.\",,",
                    "+33620000002,Luc,\"Acme, Inc.\",,"
                ],
                "the import's columns"
            );
        }
    }
    let log = api.audit(&admin).await;
    let mut got = exports(&log);
    got.reverse(); // oldest first
    assert_eq!(got.len(), downloads.len(), "{got:#?}");
    let names = [
        ("manager", "Max Manager (manager)"),
        ("admin", "Ada Admin (admin)"),
        ("agent1", "Alice Agent (agent1)"),
    ];
    for (i, ((who, path, target, detail), e)) in downloads.iter().zip(&got).enumerate() {
        let actor = names.iter().find(|(l, _)| l == who).unwrap().1;
        assert_eq!(e["actor"], actor, "{path}");
        assert_eq!(e["target"], *target, "{path}");
        assert_eq!(e["org_id"], f.tenant.id.to_string(), "{path}");
        let at: chrono::DateTime<chrono::Utc> = e["at"].as_str().unwrap().parse().unwrap();
        assert_eq!(at, whens[i], "{path}: when");
        assert!(
            e["detail"].as_str().unwrap().contains(detail),
            "{path}: {e}"
        );
    }
    assert_eq!(got[2]["target_id"], campaign.id.to_string());
    assert_eq!(got[4]["target_id"], conv.id.to_string());
    assert!(got[3]["detail"].as_str().unwrap().contains("2 contact(s)"));
    // The log is the admins': a manager may not read it.
    let (s, _) = api.get(&manager, "/api/v1/audit").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
