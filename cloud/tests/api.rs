//! The REST API over a real listener on 127.0.0.1:0: login and sessions, API keys, the
//! tenant-isolation table (every endpoint × role × another tenant's ids), the OpenAPI
//! document, the SendSMS form shape and the SSE stream.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use smsgate_cloud::model::*;
use smsgate_cloud::router;
use uuid::Uuid;

/// Every route of the API: (method, path template).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("get", "/health"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/resellers"),
    ("post", "/api/v1/resellers"),
    ("get", "/api/v1/resellers/{id}"),
    ("patch", "/api/v1/resellers/{id}"),
    ("delete", "/api/v1/resellers/{id}"),
    ("get", "/api/v1/tenants"),
    ("post", "/api/v1/tenants"),
    ("get", "/api/v1/tenants/{id}"),
    ("patch", "/api/v1/tenants/{id}"),
    ("delete", "/api/v1/tenants/{id}"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{id}"),
    ("patch", "/api/v1/users/{id}"),
    ("post", "/api/v1/users/{id}/disconnect"),
    ("post", "/api/v1/users/{id}/state"),
    ("get", "/api/v1/gateways"),
    ("post", "/api/v1/gateways"),
    ("get", "/api/v1/gateways/{id}"),
    ("patch", "/api/v1/gateways/{id}"),
    ("delete", "/api/v1/gateways/{id}"),
    ("get", "/api/v1/unrouted-messages"),
    ("get", "/api/v1/channels"),
    ("post", "/api/v1/channels"),
    ("get", "/api/v1/channels/{id}"),
    ("patch", "/api/v1/channels/{id}"),
    ("delete", "/api/v1/channels/{id}"),
    ("post", "/api/v1/channels/{id}/distribute"),
    ("put", "/api/v1/channels/{id}/destination"),
    ("get", "/api/v1/queues"),
    ("post", "/api/v1/queues"),
    ("get", "/api/v1/queues/{id}"),
    ("patch", "/api/v1/queues/{id}"),
    ("delete", "/api/v1/queues/{id}"),
    ("put", "/api/v1/queues/{id}/members"),
    ("get", "/api/v1/contacts"),
    ("post", "/api/v1/contacts"),
    ("get", "/api/v1/contacts/export"),
    ("post", "/api/v1/contacts/import"),
    ("get", "/api/v1/contacts/{id}"),
    ("put", "/api/v1/contacts/{id}"),
    ("delete", "/api/v1/contacts/{id}"),
    ("get", "/api/v1/contact-lists"),
    ("post", "/api/v1/contact-lists"),
    ("get", "/api/v1/contact-lists/{id}"),
    ("patch", "/api/v1/contact-lists/{id}"),
    ("delete", "/api/v1/contact-lists/{id}"),
    ("get", "/api/v1/contact-lists/{id}/members"),
    ("post", "/api/v1/contact-lists/{id}/members"),
    ("delete", "/api/v1/contact-lists/{id}/members/{contact}"),
    ("post", "/api/v1/contact-lists/{id}/import"),
    ("get", "/api/v1/interactions"),
    ("get", "/api/v1/interactions/{id}"),
    ("get", "/api/v1/interactions/{id}/messages"),
    ("post", "/api/v1/interactions/{id}/messages"),
    ("post", "/api/v1/interactions/{id}/status"),
    ("post", "/api/v1/interactions/{id}/read"),
    ("post", "/api/v1/interactions/{id}/transfer"),
    ("get", "/api/v1/interactions/{id}/transfer-targets"),
    ("post", "/api/v1/messages"),
    ("post", "/api/v1/bulk-messages"),
    ("get", "/api/v1/bulk-messages"),
    ("get", "/api/v1/bulk-messages/{id}"),
    ("get", "/api/v1/messages/{id}"),
    ("post", "/api/v1/messages/{id}/cancel"),
    ("get", "/api/v1/opt-outs"),
    ("post", "/api/v1/opt-outs"),
    ("get", "/api/v1/opt-outs/changes"),
    ("delete", "/api/v1/opt-outs/{id}"),
    ("get", "/api/v1/api-keys"),
    ("post", "/api/v1/api-keys"),
    ("delete", "/api/v1/api-keys/{id}"),
    ("get", "/api/v1/events"),
    // Issue 13: the floor, notifications, notes, labels, canned replies, reports, audit.
    ("get", "/api/v1/queues/{id}/routing"),
    ("put", "/api/v1/queues/{id}/routing"),
    ("get", "/api/v1/channels/{id}/hours"),
    ("put", "/api/v1/channels/{id}/hours"),
    ("get", "/api/v1/floor"),
    ("get", "/api/v1/floor/me"),
    ("put", "/api/v1/floor/me"),
    ("post", "/api/v1/floor/interactions/{id}/take-over"),
    ("post", "/api/v1/floor/agents/{id}/logout"),
    ("get", "/api/v1/notifications/settings"),
    ("put", "/api/v1/notifications/settings"),
    ("get", "/api/v1/notifications/log"),
    ("get", "/api/v1/notifications/contacts"),
    ("put", "/api/v1/notifications/contacts/{id}"),
    ("get", "/api/v1/interactions/{id}/notes"),
    ("post", "/api/v1/interactions/{id}/notes"),
    ("get", "/api/v1/interactions/{id}/labels"),
    ("put", "/api/v1/interactions/{id}/labels"),
    ("get", "/api/v1/interactions/{id}/transcript.pdf"),
    ("get", "/api/v1/labels"),
    ("get", "/api/v1/canned-replies"),
    ("post", "/api/v1/canned-replies"),
    ("put", "/api/v1/canned-replies/{id}"),
    ("delete", "/api/v1/canned-replies/{id}"),
    ("get", "/api/v1/reports"),
    ("get", "/api/v1/reports/export"),
    ("get", "/api/v1/audit"),
    // Issue 12: campaigns and the do-not-contact list.
    ("get", "/api/v1/campaigns"),
    ("post", "/api/v1/campaigns"),
    ("get", "/api/v1/campaigns/{id}"),
    ("patch", "/api/v1/campaigns/{id}"),
    ("delete", "/api/v1/campaigns/{id}"),
    ("post", "/api/v1/campaigns/{id}/action"),
    ("post", "/api/v1/campaigns/{id}/recipients/import"),
    ("post", "/api/v1/campaigns/{id}/recipients/from-list"),
    ("get", "/api/v1/campaigns/{id}/recipients"),
    ("delete", "/api/v1/campaigns/{id}/recipients/unprocessed"),
    ("get", "/api/v1/campaigns/{id}/preview"),
    ("get", "/api/v1/campaigns/{id}/stats"),
    ("get", "/api/v1/campaigns/{id}/export"),
    ("get", "/api/v1/do-not-contact"),
    ("post", "/api/v1/do-not-contact"),
    ("post", "/api/v1/do-not-contact/remove"),
    // Issue 15: webhooks.
    ("get", "/api/v1/webhooks"),
    ("post", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks/{id}"),
    ("patch", "/api/v1/webhooks/{id}"),
    ("delete", "/api/v1/webhooks/{id}"),
    ("post", "/api/v1/webhooks/{id}/rotate-secret"),
    ("post", "/api/v1/webhooks/{id}/test"),
    ("get", "/api/v1/webhooks/{id}/deliveries"),
];

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
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match body {
            Some(Value::String(text)) => {
                req = req.header("content-type", "text/csv").body(text);
            }
            Some(b) => req = req.json(&b),
            None => {}
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn login(&self, login: &str) -> String {
        let (s, v) = self
            .call(
                None,
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({"login": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }
}

/// The ids of one tenant's data that another tenant's callers try to reach.
struct Victim {
    org: Uuid,
    parent: Uuid,
    admin_user: Uuid,
    channel: Uuid,
    queue: Uuid,
    contact: Uuid,
    interaction: Uuid,
    message: Uuid,
    opt_out: Uuid,
    list: Uuid,
    api_key: Uuid,
    webhook: Uuid,
}

fn victim(w: &World, t: &TenantWorld, parent: Uuid, port: &str) -> Victim {
    let hub = &w.f.hub;
    hub.gateway_ingest()
        .ingest(&w.gw, inbound(port, "+33699999999", "victim message"))
        .unwrap();
    let interaction = hub.interactions(&t.admin, None).unwrap().remove(0);
    let message = hub
        .interaction_messages(&t.admin, interaction.id)
        .unwrap()
        .remove(0);
    let opt = hub
        .add_opt_out(&t.admin, None, "+33698989898", None)
        .unwrap();
    let admin_user = hub.me(&t.admin).unwrap().unwrap().id;
    let list = hub.create_contact_list(&t.admin, None, "VIP", "").unwrap();
    hub.add_list_members(&t.admin, list.id, &[t.contact.id])
        .unwrap();
    let api_key = hub.api_keys(&t.admin).unwrap().remove(0).id;
    let webhook = hub
        .create_webhook(
            &t.admin,
            smsgate_cloud::hub::webhooks::NewEndpoint {
                org_id: None,
                url: "https://victim.example/hook".into(),
                description: "victim".into(),
                enabled: true,
                events: vec![smsgate_cloud::webhooks::EventType::MessageReceived],
            },
        )
        .unwrap()
        .0
        .id;
    Victim {
        webhook,
        list: list.id,
        api_key,
        org: t.org.id,
        parent,
        admin_user,
        channel: t.channel.id,
        queue: t.queue.id,
        contact: t.contact.id,
        interaction: interaction.id,
        message: message.id,
        opt_out: opt.id,
    }
}

/// Every endpoint that names a resource, aimed at the victim's ids.
fn attacks(v: &Victim, gateway: Uuid) -> Vec<(Method, String, Option<Value>)> {
    let p = |s: &str, id: Uuid| s.replace("{id}", &id.to_string());
    vec![
        (Method::GET, p("/api/v1/resellers/{id}", v.parent), None),
        (
            Method::POST,
            "/api/v1/resellers".into(),
            Some(json!({"parent": v.parent, "name": "evil"})),
        ),
        (Method::GET, p("/api/v1/tenants/{id}", v.org), None),
        (
            Method::POST,
            "/api/v1/tenants".into(),
            Some(json!({"parent": v.parent, "name": "evil"})),
        ),
        (Method::GET, p("/api/v1/users/{id}", v.admin_user), None),
        (
            Method::PATCH,
            p("/api/v1/users/{id}", v.admin_user),
            Some(json!({"name": "evil", "password": "evil-password"})),
        ),
        (
            Method::PATCH,
            p("/api/v1/users/{id}", v.admin_user),
            Some(json!({"name": "evil"})),
        ),
        (
            Method::POST,
            p("/api/v1/users/{id}/disconnect", v.admin_user),
            None,
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({"org": v.org, "login": "evil", "name": "evil", "role": "tenant_admin", "password": "evil-password"}),
            ),
        ),
        (
            Method::POST,
            p("/api/v1/users/{id}/state", v.admin_user),
            Some(json!({"state": "archived"})),
        ),
        (Method::GET, p("/api/v1/gateways/{id}", gateway), None),
        // The platform's unrouted inbound messages (texts of any tenant's customers).
        (Method::GET, "/api/v1/unrouted-messages".into(), None),
        (
            Method::GET,
            "/api/v1/unrouted-messages?q=victim".into(),
            None,
        ),
        (
            Method::POST,
            "/api/v1/gateways".into(),
            Some(json!({"name": "evil"})),
        ),
        (
            Method::POST,
            "/api/v1/channels".into(),
            Some(json!({"gateway": gateway, "port": "usb7", "sim_number": "+33700000099"})),
        ),
        (Method::GET, p("/api/v1/channels/{id}", v.channel), None),
        (
            Method::POST,
            p("/api/v1/channels/{id}/distribute", v.channel),
            Some(json!({"org": v.org, "force": true})),
        ),
        (
            Method::PUT,
            p("/api/v1/channels/{id}/destination", v.channel),
            Some(json!({"type": "tenant"})),
        ),
        (Method::GET, p("/api/v1/queues/{id}", v.queue), None),
        (
            Method::PUT,
            p("/api/v1/queues/{id}/members", v.queue),
            Some(json!([])),
        ),
        (
            Method::POST,
            "/api/v1/queues".into(),
            Some(json!({"org": v.org, "name": "evil"})),
        ),
        (Method::GET, p("/api/v1/contacts/{id}", v.contact), None),
        (Method::DELETE, p("/api/v1/contacts/{id}", v.contact), None),
        (
            Method::PUT,
            p("/api/v1/contacts/{id}", v.contact),
            Some(json!({"number": "+33600000000", "name": "evil"})),
        ),
        (
            Method::POST,
            format!("/api/v1/contacts/import?org={}", v.org),
            Some(Value::String("+33600000000,evil\n".into())),
        ),
        (
            Method::POST,
            "/api/v1/contacts".into(),
            Some(json!({"org": v.org, "number": "+33600000000"})),
        ),
        (
            Method::GET,
            p("/api/v1/interactions/{id}", v.interaction),
            None,
        ),
        (
            Method::GET,
            p("/api/v1/interactions/{id}/messages", v.interaction),
            None,
        ),
        (
            Method::POST,
            p("/api/v1/interactions/{id}/messages", v.interaction),
            Some(json!({"text": "evil"})),
        ),
        (
            Method::POST,
            p("/api/v1/interactions/{id}/status", v.interaction),
            Some(json!({"status": "closed"})),
        ),
        (
            Method::POST,
            p("/api/v1/interactions/{id}/read", v.interaction),
            Some(json!({"read": true})),
        ),
        (
            Method::POST,
            p("/api/v1/interactions/{id}/transfer", v.interaction),
            Some(json!({"queue": v.queue})),
        ),
        (
            Method::GET,
            p("/api/v1/interactions/{id}/transfer-targets", v.interaction),
            None,
        ),
        (
            Method::POST,
            "/api/v1/messages".into(),
            Some(json!({"channel": v.channel, "to": "+33600000000", "text": "evil"})),
        ),
        (Method::GET, p("/api/v1/messages/{id}", v.message), None),
        (
            Method::POST,
            p("/api/v1/messages/{id}/cancel", v.message),
            None,
        ),
        (
            Method::POST,
            "/api/v1/bulk-messages".into(),
            Some(
                json!({"channel": v.channel, "to": ["+33600000000"], "text": "evil", "campaign": "evil"}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/opt-outs".into(),
            Some(json!({"org": v.org, "number": "+33600000000"})),
        ),
        (Method::DELETE, p("/api/v1/opt-outs/{id}", v.opt_out), None),
        (
            Method::POST,
            "/api/v1/api-keys".into(),
            Some(json!({"org": v.org, "name": "evil"})),
        ),
        (Method::DELETE, p("/api/v1/api-keys/{id}", v.api_key), None),
        (
            Method::PATCH,
            p("/api/v1/tenants/{id}", v.org),
            Some(json!({"name": "evil"})),
        ),
        (
            Method::DELETE,
            p("/api/v1/tenants/{id}?force=true", v.org),
            None,
        ),
        (
            Method::PATCH,
            p("/api/v1/resellers/{id}", v.parent),
            Some(json!({"name": "evil"})),
        ),
        (
            Method::DELETE,
            p("/api/v1/resellers/{id}?force=true", v.parent),
            None,
        ),
        (
            Method::PATCH,
            p("/api/v1/gateways/{id}", gateway),
            Some(json!({"name": "evil"})),
        ),
        (Method::DELETE, p("/api/v1/gateways/{id}", gateway), None),
        (
            Method::PATCH,
            p("/api/v1/channels/{id}", v.channel),
            Some(json!({"country": "GB"})),
        ),
        (
            Method::DELETE,
            p("/api/v1/channels/{id}?force=true", v.channel),
            None,
        ),
        (
            Method::PATCH,
            p("/api/v1/queues/{id}", v.queue),
            Some(json!({"name": "evil"})),
        ),
        (
            Method::DELETE,
            p("/api/v1/queues/{id}?force=true", v.queue),
            None,
        ),
        (Method::GET, p("/api/v1/contact-lists/{id}", v.list), None),
        (
            Method::PATCH,
            p("/api/v1/contact-lists/{id}", v.list),
            Some(json!({"name": "evil"})),
        ),
        (
            Method::DELETE,
            p("/api/v1/contact-lists/{id}", v.list),
            None,
        ),
        (
            Method::GET,
            p("/api/v1/contact-lists/{id}/members", v.list),
            None,
        ),
        (
            Method::POST,
            p("/api/v1/contact-lists/{id}/members", v.list),
            Some(json!({"contacts": [v.contact]})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/contact-lists/{}/members/{}", v.list, v.contact),
            None,
        ),
        (
            Method::POST,
            p("/api/v1/contact-lists/{id}/import", v.list),
            Some(Value::String("+33600000000,evil\n".into())),
        ),
        (
            Method::POST,
            "/api/v1/contacts".into(),
            Some(json!({"org": v.org, "number": "+33600000001", "name": "evil"})),
        ),
        (
            Method::POST,
            "/api/v1/contact-lists".into(),
            Some(json!({"org": v.org, "name": "evil"})),
        ),
        (
            Method::GET,
            format!("/api/v1/opt-outs/changes?org={}", v.org),
            None,
        ),
        (Method::GET, p("/api/v1/users/{id}", v.admin_user), None),
        (Method::GET, p("/api/v1/webhooks/{id}", v.webhook), None),
        (
            Method::PATCH,
            p("/api/v1/webhooks/{id}", v.webhook),
            Some(json!({"url": "https://evil.example/"})),
        ),
        (Method::DELETE, p("/api/v1/webhooks/{id}", v.webhook), None),
        (
            Method::POST,
            p("/api/v1/webhooks/{id}/rotate-secret", v.webhook),
            None,
        ),
        (
            Method::POST,
            p("/api/v1/webhooks/{id}/test", v.webhook),
            None,
        ),
        (
            Method::GET,
            p("/api/v1/webhooks/{id}/deliveries", v.webhook),
            None,
        ),
        (
            Method::POST,
            "/api/v1/webhooks".into(),
            Some(
                json!({"org": v.org, "url": "https://evil.example/", "events": ["message.received"]}),
            ),
        ),
    ]
}

const LISTS: &[&str] = &[
    "/api/v1/contact-lists",
    "/api/v1/opt-outs/changes",
    "/api/v1/interactions?q=victim",
    "/api/v1/resellers",
    "/api/v1/tenants",
    "/api/v1/users",
    "/api/v1/channels",
    "/api/v1/queues",
    "/api/v1/contacts",
    "/api/v1/interactions",
    "/api/v1/opt-outs",
    "/api/v1/api-keys",
    "/api/v1/gateways",
    "/api/v1/interactions?status=waiting",
    "/api/v1/interactions?live=true",
    "/api/v1/webhooks",
];

#[tokio::test]
async fn no_role_reaches_another_tenants_data_through_any_endpoint() {
    let s = serve().await;
    let w = &s.w;
    let victim_b = victim(w, &w.b, w.l2.id, "usb1");
    let victim_a = victim(w, &w.a, w.l1.id, "usb0");
    // Callers of tenant A (every role + its API key) against B; the L2 reseller (B's) against A.
    let mut callers: Vec<(String, String, &Victim)> = Vec::new();
    for login in ["a-admin", "a-manager", "a-agent", "a-user"] {
        callers.push((login.into(), s.login(login).await, &victim_b));
    }
    callers.push(("a api key".into(), w.a.api_key.clone(), &victim_b));
    callers.push(("l2-admin".into(), s.login("l2-admin").await, &victim_a));
    let gateway = w.gateway.gateway.id;
    let mut checked = 0;
    for (who, token, v) in &callers {
        for (method, path, body) in attacks(v, gateway) {
            let (status, resp) = s.call(Some(token), method.clone(), &path, body).await;
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                "{who}: {method} {path} → {status} {resp}"
            );
            checked += 1;
        }
        for path in LISTS {
            let (status, resp) = s.call(Some(token), Method::GET, path, None).await;
            let text = resp.to_string();
            for id in [
                v.org,
                v.admin_user,
                v.channel,
                v.queue,
                v.contact,
                v.interaction,
                v.opt_out,
                v.list,
                v.api_key,
                v.webhook,
            ] {
                assert!(
                    !text.contains(&id.to_string()),
                    "{who}: {path} ({status}) leaks {id}"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        callers.len() * (attacks(&victim_b, gateway).len() + LISTS.len())
    );
    // Nothing of the victims changed.
    let hub = &w.f.hub;
    for (t, v) in [(&w.b, &victim_b), (&w.a, &victim_a)] {
        assert_eq!(
            hub.user(&t.admin, v.admin_user).unwrap().state,
            UserState::Active
        );
        assert_eq!(
            hub.contact(&t.admin, v.contact).unwrap().number,
            "+33611111111"
        );
        assert_ne!(hub.user(&t.admin, v.admin_user).unwrap().name, "evil");
        assert_eq!(hub.channel(&t.admin, v.channel).unwrap().holder_id, v.org);
        assert_eq!(
            hub.interaction(&t.admin, v.interaction).unwrap().status,
            InteractionStatus::Waiting
        );
        assert_eq!(hub.opt_outs(&t.admin).unwrap().len(), 1);
        assert_eq!(
            hub.interaction_messages(&t.admin, v.interaction)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(hub.users(&t.admin).unwrap().len(), 4);
        assert_eq!(hub.contact_list(&t.admin, v.list).unwrap().members, 1);
        assert_eq!(hub.queue(&t.admin, v.queue).unwrap().name, "Support");
        assert!(hub.api_keys(&t.admin).unwrap()[0].revoked_at.is_none());
        assert_eq!(hub.channel(&t.admin, v.channel).unwrap().country, None);
        let hook = hub.webhook(&t.admin, v.webhook).unwrap();
        assert_eq!(hook.url, "https://victim.example/hook");
        assert!(
            hub.webhook_deliveries(&t.admin, v.webhook, &Default::default())
                .unwrap()
                .items
                .is_empty()
        );
    }
}

#[tokio::test]
async fn the_same_endpoints_work_for_the_owner() {
    // Guards the isolation test against passing because everything is broken.
    let s = serve().await;
    let w = &s.w;
    let v = victim(w, &w.b, w.l2.id, "usb1");
    let token = s.login("b-admin").await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/tenants/{}", v.org)),
        (Method::GET, format!("/api/v1/users/{}", v.admin_user)),
        (Method::GET, format!("/api/v1/channels/{}", v.channel)),
        (Method::GET, format!("/api/v1/queues/{}", v.queue)),
        (Method::GET, format!("/api/v1/contacts/{}", v.contact)),
        (
            Method::GET,
            format!("/api/v1/interactions/{}", v.interaction),
        ),
        (
            Method::GET,
            format!("/api/v1/interactions/{}/messages", v.interaction),
        ),
        (Method::GET, format!("/api/v1/messages/{}", v.message)),
    ] {
        let (status, resp) = s.call(Some(&token), method.clone(), &path, None).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {resp}");
    }
    let l2 = s.login("l2-admin").await;
    let (status, _) = s
        .call(
            Some(&l2),
            Method::GET,
            &format!("/api/v1/tenants/{}", v.org),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn requests_without_credentials_or_with_bad_ones_are_unauthorized() {
    let s = serve().await;
    for token in [None, Some("sgs_nope"), Some("sgk_nope"), Some("")] {
        let (status, _) = s.call(token, Method::GET, "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = s
        .call(
            None,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"login": "root", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_session_cookie_authenticates_and_logout_ends_the_session() {
    let s = serve().await;
    let resp = s
        .http
        .post(format!("{}/api/v1/auth/login", s.base))
        .json(&json!({"login": "a-user", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"));
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = s
        .http
        .get(format!("{}/api/v1/me", s.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let body: Value = me.json().await.unwrap();
    assert_eq!(body["role"], "user");
    let out = s
        .http
        .post(format!("{}/api/v1/auth/logout", s.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let again = s
        .http
        .get(format!("{}/api/v1/me", s.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_api_key_sends_an_sms_through_the_tenant_channel_and_the_gateway_gets_the_command() {
    let s = serve().await;
    let (status, m) = s
        .call(
            Some(&s.w.a.api_key),
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": "+33612345678", "text": "Hello"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["state"], "queued");
    assert_eq!(m["channel_id"], s.w.a.channel.id.to_string());
    let cmds =
        s.w.f
            .hub
            .gateway_ingest()
            .pending_commands(&s.w.gw)
            .unwrap();
    assert_eq!(cmds.len(), 1);
    let smsgate_wire::Down::Send(send) = &cmds[0] else {
        panic!("{cmds:?}")
    };
    assert_eq!(send.text, "Hello");
    assert_eq!(send.message_id.to_string(), m["id"].as_str().unwrap());
}

#[tokio::test]
async fn the_sendsms_form_shape_is_accepted() {
    let s = serve().await;
    let resp = s
        .http
        .post(format!("{}/api/v1/messages", s.base))
        .bearer_auth(&s.w.a.api_key)
        .form(&[
            ("destination", "+33612345678"),
            ("message", "Mensaje de prueba"),
            ("campaign", "test1"),
            ("agent", "a-user"),
        ])
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let m: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["text"], "Mensaje de prueba");
    assert_eq!(m["campaign"], "test1");
    let i =
        s.w.f
            .hub
            .interactions(&s.w.a.admin, None)
            .unwrap()
            .remove(0);
    assert_eq!(i.assignee_id, Some(s.w.a.user_id));
    // The JSON variant of the same shape too.
    let (status, _) = s
        .call(
            Some(&s.w.a.api_key),
            Method::POST,
            "/api/v1/messages",
            Some(json!({"destination": "+33612345679", "message": "hola"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let s = serve().await;
    let token = s.login("a-admin").await;
    let (status, v) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": "not a number", "text": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "to");
    let (status, v) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": "+33612345678", "text": "x".repeat(901)})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "text");
    let (status, v) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/users",
            Some(json!({"login": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The missing field is named as the client would send it.
    assert_eq!(v["error"]["field"], "name");
    assert_eq!(v["error"]["code"], "invalid");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("name"),
        "{v}"
    );
}

#[tokio::test]
async fn an_agent_is_forbidden_to_start_a_conversation() {
    let s = serve().await;
    let token = s.login("a-agent").await;
    let (status, _) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/messages",
            Some(json!({"to": "+33612345678", "text": "hi"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_platform_admin_provisions_a_gateway_with_credentials_and_a_config_snippet() {
    let s = serve().await;
    let root = s.login("root").await;
    let (status, g) = s
        .call(
            Some(&root),
            Method::POST,
            "/api/v1/gateways",
            Some(json!({"name": "shop"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let (status, unrouted) = s
        .call(Some(&root), Method::GET, "/api/v1/unrouted-messages", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{unrouted}");
    assert!(unrouted["items"].is_array(), "{unrouted}");
    let user = g["mqtt_username"].as_str().unwrap();
    let pass = g["mqtt_password"].as_str().unwrap();
    assert!(g["config_snippet"].as_str().unwrap().contains(pass));
    assert!(g["gateway"].get("mqtt_password_hash").is_none());
    assert!(
        s.w.f
            .hub
            .gateway_ingest()
            .check_gateway_credentials(user, pass)
            .unwrap()
    );
    let tenant_admin = s.login("a-admin").await;
    let (status, _) = s
        .call(
            Some(&tenant_admin),
            Method::POST,
            "/api/v1/gateways",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_lists_every_route() {
    let s = serve().await;
    let (status, doc) = s
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in ROUTES.iter().filter(|(_, p)| *p != "/api/v1/openapi.json") {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        ROUTES.len() - 1,
        "the document has routes the test does not know"
    );
    // Every operation documents its responses and declares its path parameters.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            if path.contains("{id}") {
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == "id" && p["in"] == "path" && p["required"] == true)
                });
                assert!(
                    declared,
                    "{method} {path} does not declare its id parameter"
                );
            }
        }
    }
    // Every schema reference resolves.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "dangling schema reference {name}"
        );
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let s = serve().await;
    for (method, path) in ROUTES {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let url = format!(
            "{}{}",
            s.base,
            path.replace("{id}", &Uuid::nil().to_string())
                .replace("{contact}", &Uuid::nil().to_string())
        );
        let status = s.http.request(m, url).send().await.unwrap().status();
        // Unauthenticated calls stop at authentication (401) or input checks, never at routing.
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
}

#[tokio::test]
async fn the_event_stream_carries_only_the_callers_tenant_messages() {
    let s = serve().await;
    let token = s.login("a-agent").await;
    let mut resp = s
        .http
        .get(format!("{}/api/v1/events", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let hub = s.w.f.hub.clone();
    let gw = s.w.gw.clone();
    tokio::task::spawn_blocking(move || {
        hub.gateway_ingest()
            .ingest(&gw, inbound("usb1", "+33612121212", "for tenant B"))
            .unwrap();
        hub.gateway_ingest()
            .ingest(&gw, inbound("usb0", "+33612121212", "for tenant A"))
            .unwrap();
    })
    .await
    .unwrap();
    let mut seen = String::new();
    while !seen.contains("event: message_created") || !seen.contains("\n\n") {
        let chunk = resp.chunk().await.unwrap().expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let first = seen
        .split("\n\n")
        .find(|e| e.contains("event: message_created"))
        .unwrap();
    assert!(first.contains("for tenant A"), "{seen}");
    assert!(!seen.contains("for tenant B"), "{seen}");
}

#[tokio::test]
async fn an_agent_changes_their_own_password_but_not_a_colleagues_and_disconnect_ends_sessions() {
    let s = serve().await;
    let agent = s.login("a-agent").await;
    let (_, me) = s.call(Some(&agent), Method::GET, "/api/v1/me", None).await;
    let my_id = me["user"]["id"].as_str().unwrap().to_owned();
    let (status, v) = s
        .call(
            Some(&agent),
            Method::PATCH,
            &format!("/api/v1/users/{my_id}"),
            Some(json!({"name": "Agent Smith"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "Agent Smith");
    let (status, _) = s
        .call(
            Some(&agent),
            Method::PATCH,
            &format!("/api/v1/users/{my_id}"),
            Some(json!({"role": "tenant_admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let colleague = s.w.a.user_id;
    let (status, _) = s
        .call(
            Some(&agent),
            Method::PATCH,
            &format!("/api/v1/users/{colleague}"),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = s.login("a-admin").await;
    let (status, _) = s
        .call(
            Some(&admin),
            Method::POST,
            &format!("/api/v1/users/{my_id}/disconnect"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.call(Some(&agent), Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn contacts_import_from_csv_all_or_nothing_naming_the_bad_line() {
    let s = serve().await;
    let token = s.login("a-manager").await;
    let bad = "SMS_NUMBER,FULLNAME,BUSINESS,EMAIL,NOTES\n+33620000001,Bob,,,\nnot-a-number,Eve\n";
    let (status, v) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/contacts/import",
            Some(Value::String(bad.into())),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("line 3"),
        "{v}"
    );
    assert_eq!(
        s.w.f.hub.contacts(&s.w.a.admin).unwrap().len(),
        1,
        "nothing half-applied"
    );
    let good = "SMS_NUMBER,FULLNAME,BUSINESS,EMAIL,NOTES\n+33620000001,Bob,Acme,bob@example.com,vip\n+33611111111,Alice again\n+33620000002,Carol\n+33620000001,Bob twice\n";
    let (status, v) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/contacts/import",
            Some(Value::String(good.into())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"created": 2, "skipped": 2}));
    let contacts = s.w.f.hub.contacts(&s.w.a.admin).unwrap();
    let bob = contacts
        .iter()
        .find(|c| c.number == "+33620000001")
        .unwrap();
    assert_eq!((bob.business.as_str(), bob.notes.as_str()), ("Acme", "vip"));
}

#[tokio::test]
async fn a_bulk_send_skips_opted_out_numbers_and_ignores_duplicates() {
    let s = serve().await;
    let hub = s.w.f.hub.clone();
    let gw = s.w.gw.clone();
    tokio::task::spawn_blocking(move || {
        hub.gateway_ingest()
            .ingest(&gw, inbound("usb0", "+33630000002", "STOP"))
            .unwrap()
    })
    .await
    .unwrap();
    let token = s.login("a-user").await;
    let body = json!({
        "to": ["+33630000001", "+33630000002", "+33630000001", "+33630000003"],
        "text": "Soldes -20%",
        "campaign": "soldes"
    });
    let (status, v) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/bulk-messages",
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let results: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["queued", "opted_out", "duplicate", "queued"]);
    assert_eq!(
        s.w.f
            .hub
            .gateway_ingest()
            .pending_commands(&s.w.gw)
            .unwrap()
            .len(),
        2
    );
    // A bad number refuses the whole request, naming it; nothing is queued.
    let (status, v) = s
        .call(
            Some(&token),
            Method::POST,
            "/api/v1/bulk-messages",
            Some(json!({"to": ["+33630000009", "oops"], "text": "x", "campaign": "c"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"]["field"].as_str().unwrap().contains("to[1]"),
        "{v}"
    );
    assert_eq!(
        s.w.f
            .hub
            .gateway_ingest()
            .pending_commands(&s.w.gw)
            .unwrap()
            .len(),
        2
    );
    // Agents may not bulk send.
    let agent = s.login("a-agent").await;
    let (status, _) = s
        .call(
            Some(&agent),
            Method::POST,
            "/api/v1/bulk-messages",
            Some(json!({"to": ["+33630000001"], "text": "x", "campaign": "c"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_bulk_history_lists_each_send_with_every_recipients_result_newest_first() {
    let s = serve().await;
    let hub = s.w.f.hub.clone();
    let gw = s.w.gw.clone();
    tokio::task::spawn_blocking(move || {
        hub.gateway_ingest()
            .ingest(&gw, inbound("usb0", "+33630000002", "STOP"))
            .unwrap()
    })
    .await
    .unwrap();
    let token = s.login("a-user").await;
    for (campaign, to) in [
        ("first", vec!["+33630000001"]),
        (
            "soldes",
            vec!["+33630000001", "+33630000002", "0630000001", "+33630000003"],
        ),
    ] {
        let (status, v) = s
            .call(
                Some(&token),
                Method::POST,
                "/api/v1/bulk-messages",
                Some(json!({"to": to, "text": "Soldes -20%", "campaign": campaign})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let (status, v) = s
        .call(Some(&token), Method::GET, "/api/v1/bulk-messages", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let items = v["items"].as_array().unwrap();
    let campaigns: Vec<&str> = items
        .iter()
        .map(|b| b["campaign"].as_str().unwrap())
        .collect();
    assert_eq!(campaigns, ["soldes", "first"]);
    let b = &items[0];
    assert_eq!(
        (
            &b["recipients"],
            &b["queued"],
            &b["duplicates"],
            &b["opted_out"],
            &b["pending"]
        ),
        (&json!(4), &json!(2), &json!(1), &json!(1), &json!(2)),
        "{b}"
    );
    let id = b["id"].as_str().unwrap();
    let (status, d) = s
        .call(
            Some(&token),
            Method::GET,
            &format!("/api/v1/bulk-messages/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let rows: Vec<(&str, &str, Option<&str>)> = d["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["to"].as_str().unwrap(),
                r["result"].as_str().unwrap(),
                r["state"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("+33630000001", "queued", Some("queued")),
            ("+33630000002", "opted_out", None),
            ("+33630000001", "duplicate", None),
            ("+33630000003", "queued", Some("queued")),
        ]
    );
    // Agents may not read it; another tenant's admin does not see it.
    let agent = s.login("a-agent").await;
    let (status, _) = s
        .call(Some(&agent), Method::GET, "/api/v1/bulk-messages", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let other = s.login("b-admin").await;
    let (status, v) = s
        .call(
            Some(&other),
            Method::GET,
            &format!("/api/v1/bulk-messages/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn contacts_import_as_a_multipart_upload_with_the_seeds_spaces_and_quotes() {
    let s = serve().await;
    let token = s.login("a-manager").await;
    let csv = "SMS_NUMBER, FULLNAME, BUSINESS, EMAIL, NOTES\r\n+33620000001, \"Smith, John\", Acme, john@example.com, vip\r\n+33620000002, Eve, , eve at example, \r\n+33620000003, Carol, , carol@example.com, \r\n";
    let multipart = |csv: &str| {
        format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contacts.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--XyZ--\r\n"
        )
    };
    let post = |body: String| {
        s.http
            .post(format!("{}/api/v1/contacts/import", s.base))
            .bearer_auth(&token)
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
    };
    let resp = post(multipart(csv)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "invalid");
    assert_eq!(v["error"]["details"][0]["line"], 3, "{v}");
    assert_eq!(v["error"]["details"][0]["field"], "EMAIL", "{v}");
    assert_eq!(
        s.w.f.hub.contacts(&s.w.a.admin).unwrap().len(),
        1,
        "nothing imported"
    );
    let good = csv.replace("eve at example,", "eve@example.com,");
    let resp = post(multipart(&good)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["created"], 3, "{v}");
    let (_, page) = s
        .call(Some(&token), Method::GET, "/api/v1/contacts?q=smith", None)
        .await;
    assert_eq!(page["items"][0]["name"], "Smith, John", "{page}");
}

#[tokio::test]
async fn lists_page_with_a_cursor_and_search_and_a_bad_limit_is_named() {
    let s = serve().await;
    let token = s.login("a-admin").await;
    for n in 0..5 {
        let (status, _) = s
            .call(
                Some(&token),
                Method::POST,
                "/api/v1/contacts",
                Some(json!({"number": format!("+3362000000{n}"), "name": format!("P{n}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (_, page) = s
            .call(
                Some(&token),
                Method::GET,
                &format!("/api/v1/contacts?limit=2&cursor={cursor}"),
                None,
            )
            .await;
        for c in page["items"].as_array().unwrap() {
            seen.push(c["number"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "Alice and the five, each once: {seen:?}");
    let (status, v) = s
        .call(Some(&token), Method::GET, "/api/v1/contacts?limit=0", None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["field"], "limit");
    let (status, v) = s
        .call(
            Some(&token),
            Method::GET,
            "/api/v1/contacts?limit=abc",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["field"], "limit");
}

#[tokio::test]
async fn a_revoked_key_is_refused_logout_with_a_key_does_not_pretend_and_bearer_is_case_insensitive()
 {
    let s = serve().await;
    let admin = s.login("a-admin").await;
    let key = s.w.a.api_key.clone();
    let resp = s
        .http
        .get(format!("{}/api/v1/me", s.base))
        .header("authorization", format!("bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "lower-case scheme");
    let (status, v) = s
        .call(Some(&key), Method::POST, "/api/v1/auth/logout", None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("revoke"),
        "{v}"
    );
    let (_, keys) = s
        .call(Some(&admin), Method::GET, "/api/v1/api-keys", None)
        .await;
    let id = keys["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(keys["items"][0]["last_used_at"].is_string(), "{keys}");
    let (status, v) = s
        .call(
            Some(&admin),
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["revoked_at"].is_string());
    let (status, _) = s.call(Some(&key), Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_retried_send_with_the_same_idempotency_key_is_not_sent_twice() {
    let s = serve().await;
    let send = || {
        s.http
            .post(format!("{}/api/v1/messages", s.base))
            .bearer_auth(&s.w.a.api_key)
            .header("idempotency-key", "order-1234")
            .json(&json!({"to": "+33612345678", "text": "Your order is ready"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        s.w.f
            .hub
            .gateway_ingest()
            .pending_commands(&s.w.gw)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn failed_logins_turn_into_429_with_retry_after_and_health_and_metrics_answer() {
    let s = serve().await;
    let mut last = None;
    for _ in 0..8 {
        let resp = s
            .http
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&json!({"login": "a-user", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        last = Some((resp.status(), resp.headers().get("retry-after").cloned()));
    }
    let (status, retry) = last.unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());
    let (status, v) = s.call(None, Method::GET, "/health", None).await;
    assert_eq!((status, v["status"].as_str()), (StatusCode::OK, Some("ok")));
    let text = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("smsgate_hub_logins_total"), "{text}");
    // Every request is counted by method and status.
    assert!(
        text.contains("smsgate_hub_http_requests_total{method=\"GET\",status=\"200\"}"),
        "{text}"
    );
    assert!(
        text.contains("smsgate_hub_http_requests_total{method=\"POST\",status=\"429\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn an_agent_lists_whom_to_transfer_to_in_its_own_tenant_only() {
    let s = serve().await;
    let w = &s.w;
    // An inbound SMS on tenant A's channel lands in A's queue, of which the agent is a member.
    let v = victim(w, &w.a, w.l1.id, "usb0");
    let agent = s.login("a-agent").await;
    // The agent may not list users or queues…
    let (status, _) = s
        .call(Some(&agent), Method::GET, "/api/v1/users", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // …but may see whom this conversation can go to.
    let path = format!("/api/v1/interactions/{}/transfer-targets", v.interaction);
    let (status, t) = s.call(Some(&agent), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let users = t["users"].as_array().unwrap();
    assert!(users.len() >= 3, "{t}");
    for u in users {
        assert!(u.get("login").is_none(), "names and roles only: {u}");
        let id: Uuid = u["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(w.f.hub.user(&w.a.admin, id).unwrap().org_id, w.a.org.id);
    }
    assert_eq!(t["queues"][0]["id"], json!(w.a.queue.id));
    // Tenant B's admin cannot even learn that the conversation exists.
    let b = s.login("b-admin").await;
    let (status, _) = s.call(Some(&b), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
