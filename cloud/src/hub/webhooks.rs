//! Webhook endpoints (issue 15), for tenant admins (and the admins above them, in their
//! subtree): list, create (the secret is shown once), update, delete, rotate the secret (shown
//! once again), send a test event now, and read the delivery log. Every call authorizes
//! [`Action::ManageWebhooks`]; an endpoint outside the caller's subtree is not found.

use uuid::Uuid;

use super::Hub;
use super::error::{HubError, found, invalid};
use crate::authz::{self, Action, Actor, Target};
use crate::store::webhooks::NewDelivery;
use crate::store::{Page, PageRequest};
use crate::webhooks::{
    Delivery, DeliveryState, DueDelivery, Endpoint, EventType, Secret, WebhookEvent,
};

/// Longest endpoint URL.
pub const MAX_URL: usize = 2048;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 500;

/// What a new endpoint is.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub org_id: Option<Uuid>,
    pub url: String,
    pub description: String,
    pub enabled: bool,
    pub events: Vec<EventType>,
}

/// Changes to an endpoint (absent: unchanged).
#[derive(Debug, Clone, Default)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub events: Option<Vec<EventType>>,
}

fn valid_url(url: &str) -> Result<String, HubError> {
    let url = url.trim();
    if url.len() > MAX_URL {
        return Err(invalid("url", format!("at most {MAX_URL} characters")));
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| invalid("url", format!("not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid("url", "an http:// or https:// URL with a host"));
    }
    Ok(url.to_owned())
}

fn valid_events(events: &[EventType]) -> Result<Vec<EventType>, HubError> {
    let mut out: Vec<EventType> = Vec::new();
    for e in events {
        if !EventType::SUBSCRIBABLE.contains(e) {
            return Err(invalid(
                "events",
                format!("{} cannot be subscribed to", e.as_str()),
            ));
        }
        if !out.contains(e) {
            out.push(*e);
        }
    }
    if out.is_empty() {
        return Err(invalid("events", "choose at least one event"));
    }
    Ok(out)
}

fn valid_description(d: &str) -> Result<String, HubError> {
    let d = d.trim();
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "description",
            format!("at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(d.to_owned())
}

fn prefix(secret: &Secret) -> String {
    secret.expose().chars().take(12).collect()
}

impl Hub {
    /// Endpoints of the tenants in the caller's subtree (of one when `org` is given).
    pub fn list_webhooks(
        &self,
        actor: &Actor,
        org: Option<Uuid>,
    ) -> Result<Vec<Endpoint>, HubError> {
        let scope = authz::scope(actor, Action::ManageWebhooks)?;
        Ok(self.read()?.webhooks().endpoints(&scope, org)?)
    }

    pub fn webhook(&self, actor: &Actor, id: Uuid) -> Result<Endpoint, HubError> {
        let scope = authz::scope(actor, Action::ManageWebhooks)?;
        found(self.read()?.webhooks().endpoint(&scope, id)?)
    }

    /// Creates an endpoint; its secret is returned this once.
    pub fn create_webhook(
        &self,
        actor: &Actor,
        req: NewEndpoint,
    ) -> Result<(Endpoint, Secret), HubError> {
        let url = valid_url(&req.url)?;
        let description = valid_description(&req.description)?;
        let events = valid_events(&req.events)?;
        let view = authz::scope(actor, Action::ViewOrg)?;
        let mut tx = self.write()?;
        let org = self.tenant_or_own(&mut *tx, &view, actor, req.org_id, "webhooks")?;
        let scope = authz::authorize(actor, Action::ManageWebhooks, Target::Org(&org))?;
        let secret = Secret::generate();
        let now = self.now();
        let e = Endpoint {
            id: Uuid::now_v7(),
            org_id: org.id,
            url,
            description,
            enabled: req.enabled,
            events,
            secret_prefix: prefix(&secret),
            created_at: now,
            updated_at: now,
        };
        tx.webhooks_mut().insert_endpoint(&scope, &e, &secret)?;
        // Opt-out events tell the changes from now on.
        let key = org.id.to_string();
        let marks = crate::webhooks::feed::MARK_OPT_OUTS;
        if tx.webhooks().mark(&scope, marks, &key)?.is_none() {
            let version = tx.opt_out_version(&scope, org.id)?;
            tx.webhooks_mut()
                .set_mark(&scope, marks, &key, &version.to_string())?;
        }
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(org.id, "created", "webhook")
                .id(e.id)
                .detail(e.url.clone()),
            now,
        )?;
        tx.commit()?;
        self.inner.webhooks.endpoints_changed();
        Ok((e, secret))
    }

    pub fn update_webhook(
        &self,
        actor: &Actor,
        id: Uuid,
        u: EndpointUpdate,
    ) -> Result<Endpoint, HubError> {
        let scope = authz::scope(actor, Action::ManageWebhooks)?;
        let mut tx = self.write()?;
        let mut e = found(tx.webhooks().endpoint(&scope, id)?)?;
        if let Some(url) = &u.url {
            e.url = valid_url(url)?;
        }
        if let Some(d) = &u.description {
            e.description = valid_description(d)?;
        }
        if let Some(events) = &u.events {
            e.events = valid_events(events)?;
        }
        if let Some(en) = u.enabled {
            e.enabled = en;
        }
        e.updated_at = self.now();
        if !tx.webhooks_mut().update_endpoint(&scope, &e)? {
            return Err(HubError::NotFound);
        }
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(e.org_id, "updated", "webhook")
                .id(e.id)
                .detail(e.url.clone()),
            e.updated_at,
        )?;
        tx.commit()?;
        self.inner.webhooks.endpoints_changed();
        Ok(e)
    }

    /// Deletes an endpoint with its queued deliveries and its log.
    pub fn delete_webhook(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let scope = authz::scope(actor, Action::ManageWebhooks)?;
        let mut tx = self.write()?;
        let e = found(tx.webhooks().endpoint(&scope, id)?)?;
        if !tx.webhooks_mut().delete_endpoint(&scope, id)? {
            return Err(HubError::NotFound);
        }
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(e.org_id, "deleted", "webhook")
                .id(e.id)
                .detail(e.url.clone()),
            self.now(),
        )?;
        tx.commit()?;
        self.inner.webhooks.endpoints_changed();
        Ok(())
    }

    /// Replaces the endpoint's secret; the new one is returned this once and signs every
    /// attempt from now on (queued deliveries included).
    pub fn rotate_webhook_secret(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(Endpoint, Secret), HubError> {
        let scope = authz::scope(actor, Action::ManageWebhooks)?;
        let mut tx = self.write()?;
        let mut e = found(tx.webhooks().endpoint(&scope, id)?)?;
        let secret = Secret::generate();
        e.secret_prefix = prefix(&secret);
        e.updated_at = self.now();
        tx.webhooks_mut().set_endpoint_secret(&scope, id, &secret)?;
        tx.webhooks_mut().update_endpoint(&scope, &e)?;
        super::audit::record(
            &mut *tx,
            actor,
            super::audit::Audit::new(e.org_id, "rotated secret", "webhook").id(e.id),
            e.updated_at,
        )?;
        tx.commit()?;
        Ok((e, secret))
    }

    /// An endpoint's delivery log, newest first.
    pub fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: Uuid,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, HubError> {
        let scope = authz::scope(actor, Action::ManageWebhooks)?;
        let mut tx = self.read()?;
        found(tx.webhooks().endpoint(&scope, id)?)?;
        Ok(tx.webhooks().deliveries(&scope, id, page)?)
    }

    /// Sends a `webhook.test` event to the endpoint now (enabled or not), once, and returns
    /// its delivery with the attempt (also in the delivery log). Not retried.
    pub async fn test_webhook(&self, actor: &Actor, id: Uuid) -> Result<Delivery, HubError> {
        let (hub, who) = (self.clone(), actor.clone());
        let (scope, due) = tokio::task::spawn_blocking(move || -> Result<_, HubError> {
            let scope = authz::scope(&who, Action::ManageWebhooks)?;
            let mut tx = hub.write()?;
            let e = found(tx.webhooks().endpoint(&scope, id)?)?;
            let secret = found(tx.webhooks().endpoint_secret(&scope, id)?)?;
            let now = hub.now();
            let event = WebhookEvent {
                id: Uuid::now_v7(),
                event_type: EventType::Test,
                occurred_at: now,
                tenant: e.org_id,
                data: serde_json::json!({ "endpoint_id": e.id, "message": "This is a test event from smsgate." }),
            };
            let body = serde_json::to_string(&event)
                .map_err(|err| HubError::Conflict(format!("webhook event: {err}")))?;
            let d = NewDelivery {
                id: Uuid::now_v7(),
                endpoint_id: e.id,
                org_id: e.org_id,
                event_id: event.id,
                event_type: EventType::Test,
                interaction_id: None,
                order_key: None,
                body: body.clone(),
                created_at: now,
            };
            // Recorded as not pending: the worker never picks it up.
            tx.webhooks_mut().enqueue_delivery(&scope, &d, DeliveryState::Failed)?;
            tx.commit()?;
            Ok((
                scope,
                DueDelivery {
                    id: d.id,
                    endpoint_id: e.id,
                    url: e.url,
                    secret,
                    event_id: event.id,
                    body,
                    attempts: 0,
                    created_at: now,
                },
            ))
        })
        .await
        .map_err(|e| HubError::Conflict(e.to_string()))??;
        let client = crate::webhooks::worker::client(&crate::webhooks::WebhookSettings::default());
        let attempt = crate::webhooks::worker::send(&client, &*self.inner.clock, &due).await;
        let hub = self.clone();
        tokio::task::spawn_blocking(move || -> Result<Delivery, HubError> {
            let state = if attempt.succeeded() {
                DeliveryState::Delivered
            } else {
                DeliveryState::Failed
            };
            let mut tx = hub.write()?;
            tx.webhooks_mut()
                .record_attempt(&scope, due.id, &attempt, state, None)?;
            let d = found(tx.webhooks().delivery(&scope, due.id)?)?;
            tx.commit()?;
            Ok(d)
        })
        .await
        .map_err(|e| HubError::Conflict(e.to_string()))?
    }
}
