//! Managing webhook endpoints (issue 15) on a real hub: validation, the secret shown only at
//! creation and rotation (and signing from then on, checked by a real receiver), "send test
//! event" and its log, authorization per role and tenant (table-tested), and a deleted tenant
//! taking its endpoints with it.
#![allow(clippy::unwrap_used)]

mod floor_support;
mod webhook_support;

use floor_support::*;
use smsgate_cloud::authz::Actor;
use smsgate_cloud::hub::webhooks::{EndpointUpdate, NewEndpoint};
use smsgate_cloud::hub::{HubError, NewUser};
use smsgate_cloud::model::*;
use smsgate_cloud::store::PageRequest;
use smsgate_cloud::webhooks::{Delivery, DeliveryState, Endpoint, EventType};
use webhook_support::{Receiver, create_endpoint as create};

fn deliveries(f: &Floor, e: &Endpoint) -> Vec<Delivery> {
    f.hub
        .webhook_deliveries(&f.admin, e.id, &PageRequest::all())
        .unwrap()
        .items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_event_is_sent_at_once_and_shows_in_the_delivery_log() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, secret) = create(&f.hub, &f.admin, &rx.url(), &[EventType::OptOutChanged]);
    rx.set_secret(&secret);
    let d = f.hub.test_webhook(&f.admin, e.id).await.unwrap();
    assert_eq!(d.state, DeliveryState::Delivered);
    assert_eq!(d.event_type, EventType::Test);
    assert_eq!(d.log.len(), 1);
    assert_eq!(d.log[0].status, Some(200));
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].verified);
    assert_eq!(got[0].event_type(), "webhook.test");
    assert_eq!(deliveries(&f, &e)[0].id, d.id);
    // A refused test says so and is not retried.
    rx.respond(|_| 418);
    let d = f.hub.test_webhook(&f.admin, e.id).await.unwrap();
    assert_eq!(d.state, DeliveryState::Failed);
    assert_eq!(d.log[0].status, Some(418));
    assert!(d.next_attempt_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_is_shown_at_creation_and_rotation_only_and_signs_from_then_on() {
    let f = floor();
    let rx = Receiver::start(f.clock.clone()).await;
    let (e, first) = create(&f.hub, &f.admin, &rx.url(), &[EventType::MessageReceived]);
    assert!(first.starts_with("whsec_"));
    for shown in [
        serde_json::to_string(&f.hub.list_webhooks(&f.admin, None).unwrap()).unwrap(),
        serde_json::to_string(&f.hub.webhook(&f.admin, e.id).unwrap()).unwrap(),
        format!("{:?}", f.hub.webhook(&f.admin, e.id).unwrap()),
        // The create answer's own Debug too.
        format!(
            "{:?}",
            smsgate_cloud::api::handlers::webhooks::WebhookWithSecret {
                endpoint: e.clone(),
                secret: first.clone(),
            }
        ),
    ] {
        assert!(!shown.contains(&first), "{shown}");
    }
    let (rotated, second) = f.hub.rotate_webhook_secret(&f.admin, e.id).unwrap();
    let second = second.expose().to_owned();
    assert_ne!(first, second);
    assert!(second.starts_with(&rotated.secret_prefix));
    rx.set_secret(&first);
    let d = f.hub.test_webhook(&f.admin, e.id).await.unwrap();
    assert_eq!(
        d.log[0].status,
        Some(401),
        "the old secret no longer verifies"
    );
    rx.set_secret(&second);
    let d = f.hub.test_webhook(&f.admin, e.id).await.unwrap();
    assert_eq!(d.log[0].status, Some(200));
}

#[test]
fn endpoints_are_validated() {
    let f = floor();
    let bad = |url: &str, events: &[EventType]| {
        f.hub
            .create_webhook(
                &f.admin,
                NewEndpoint {
                    org_id: None,
                    url: url.into(),
                    description: String::new(),
                    enabled: true,
                    events: events.to_vec(),
                },
            )
            .unwrap_err()
    };
    let field = |e: HubError| match e {
        HubError::Invalid { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(bad("ftp://x.example/", &[EventType::MessageReceived])),
        "url"
    );
    assert_eq!(
        field(bad("not a url", &[EventType::MessageReceived])),
        "url"
    );
    assert_eq!(field(bad("https://x.example/", &[])), "events");
    assert_eq!(
        field(bad("https://x.example/", &[EventType::Test])),
        "events"
    );
    let (e, _) = create(
        &f.hub,
        &f.admin,
        "https://x.example/h",
        &[EventType::MessageReceived, EventType::MessageReceived],
    );
    assert_eq!(e.events, [EventType::MessageReceived]);
    let e = f
        .hub
        .update_webhook(
            &f.admin,
            e.id,
            EndpointUpdate {
                enabled: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!e.enabled);
}

#[test]
fn only_admins_of_the_tenant_or_above_manage_its_endpoints() {
    let f = floor();
    let (e, _) = create(
        &f.hub,
        &f.admin,
        "https://crm.example/h",
        &[EventType::MessageReceived],
    );
    // A second tenant with its own admin.
    let other = f
        .hub
        .create_org(&f.root, None, OrgKind::Tenant, "Other")
        .unwrap();
    f.hub
        .create_user(
            &f.root,
            NewUser {
                org_id: Some(other.id),
                login: "otheradmin".into(),
                name: "Olga".into(),
                role: Role::TenantAdmin,
                password: PW.into(),
            },
        )
        .unwrap();
    let other_admin = login(&f.hub, "otheradmin");
    let (_, key) = f.hub.create_api_key(&f.admin, None, "integration").unwrap();
    let api_key = f.hub.authenticate(&key).unwrap();
    #[derive(Debug, PartialEq)]
    enum Is {
        Allowed,
        Forbidden,
        NotFound,
    }
    let is = |r: Result<(), HubError>| match r {
        Ok(()) => Is::Allowed,
        Err(HubError::Forbidden(_)) => Is::Forbidden,
        Err(HubError::NotFound) => Is::NotFound,
        Err(other) => panic!("{other:?}"),
    };
    let table: [(&str, &Actor, Is, Is, usize); 7] = [
        // (who, actor, reading/changing Acme's endpoint, creating one for their own org, endpoints listed)
        ("Acme's tenant admin", &f.admin, Is::Allowed, Is::Allowed, 1),
        ("the platform admin", &f.root, Is::Allowed, Is::Forbidden, 1),
        (
            "Acme's manager",
            &f.manager,
            Is::Forbidden,
            Is::Forbidden,
            0,
        ),
        ("Acme's agent", &f.agent1, Is::Forbidden, Is::Forbidden, 0),
        ("Acme's API key", &api_key, Is::Forbidden, Is::Forbidden, 0),
        (
            "another tenant's admin",
            &other_admin,
            Is::NotFound,
            Is::Allowed,
            0,
        ),
        ("another agent", &f.agent2, Is::Forbidden, Is::Forbidden, 0),
    ];
    for (who, actor, on_acme, create_own, listed) in table {
        let h = &f.hub;
        assert_eq!(is(h.webhook(actor, e.id).map(drop)), on_acme, "{who}: get");
        assert_eq!(
            is(h.update_webhook(
                actor,
                e.id,
                EndpointUpdate {
                    description: Some("x".into()),
                    ..Default::default()
                }
            )
            .map(drop)),
            on_acme,
            "{who}: update"
        );
        assert_eq!(
            is(h.webhook_deliveries(actor, e.id, &PageRequest::all())
                .map(drop)),
            on_acme,
            "{who}: log"
        );
        let made = h.create_webhook(
            actor,
            NewEndpoint {
                org_id: None,
                url: "https://own.example/h".into(),
                description: String::new(),
                enabled: true,
                events: vec![EventType::OptOutChanged],
            },
        );
        // The platform is no tenant: its admin names one (below), it has none of its own.
        let made_is = match made {
            Ok((m, _)) => {
                h.delete_webhook(actor, m.id).unwrap();
                Is::Allowed
            }
            Err(HubError::Invalid { .. }) => Is::Forbidden,
            Err(other) => is(Err(other)),
        };
        assert_eq!(made_is, create_own, "{who}: create");
        let list = h.list_webhooks(actor, None);
        match listed {
            0 => assert!(
                list.map(|l| l.iter().all(|x| x.id != e.id)).unwrap_or(true),
                "{who}: list"
            ),
            n => assert_eq!(list.unwrap().len(), n, "{who}: list"),
        }
    }
    // The platform admin creates one for Acme by naming it; the other tenant's admin cannot.
    let for_acme = |actor: &Actor| {
        f.hub.create_webhook(
            actor,
            NewEndpoint {
                org_id: Some(f.tenant.id),
                url: "https://crm.example/2".into(),
                description: String::new(),
                enabled: true,
                events: vec![EventType::CampaignFinished],
            },
        )
    };
    assert!(for_acme(&f.root).is_ok());
    assert!(matches!(for_acme(&other_admin), Err(HubError::NotFound)));
    assert_eq!(
        is(f.hub.rotate_webhook_secret(&other_admin, e.id).map(drop)),
        Is::NotFound
    );
    assert_eq!(is(f.hub.delete_webhook(&f.manager, e.id)), Is::Forbidden);
    assert_eq!(is(f.hub.delete_webhook(&other_admin, e.id)), Is::NotFound);
    assert_eq!(is(f.hub.delete_webhook(&f.admin, e.id)), Is::Allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_tenant_deletes_its_endpoints_and_their_log() {
    let f = floor();
    let (e, _) = create(
        &f.hub,
        &f.admin,
        "http://127.0.0.1:9/never",
        &[EventType::MessageReceived],
    );
    // One attempt in the log (nothing listens on port 9: refused).
    let d = f.hub.test_webhook(&f.admin, e.id).await.unwrap();
    assert_eq!(d.state, DeliveryState::Failed);
    assert_eq!(d.log[0].status, None);
    assert!(d.log[0].error.is_some());
    assert_eq!(deliveries(&f, &e).len(), 1);
    f.hub.delete_org(&f.root, f.tenant.id, true).unwrap();
    assert!(f.hub.list_webhooks(&f.root, None).unwrap().is_empty());
    assert!(matches!(
        f.hub.webhook(&f.root, e.id),
        Err(HubError::NotFound)
    ));
}
