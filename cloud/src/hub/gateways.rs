//! Gateways (the platform operator's): register with MQTT credentials and a config snippet,
//! view, list, rename, delete, queue a live configuration patch.

use serde::Serialize;
use smsgate_wire as wire;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Hub;
use super::error::{HubError, found, invalid};
use super::validate::non_empty;
use crate::authz::{self, Action, Actor, Scope};
use crate::model::*;
use crate::secrets;
use crate::store::{ChannelFilter, Page, PageRequest, ReadTx, TextFilter};

/// Returned once when a gateway is registered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvisionedGateway {
    pub gateway: Gateway,
    pub mqtt_username: String,
    /// Shown once. The hub stores only its SHA-256 digest: it is a 256-bit random secret, which
    /// needs no slow hash (unlike a human password).
    pub mqtt_password: String,
    /// Ready-to-paste gateway configuration (TOML).
    pub config_snippet: String,
}

/// The contract version to speak with a gateway.
pub(crate) fn version_for(gateway: &Gateway) -> Result<u32, HubError> {
    let versions = if gateway.versions.is_empty() {
        vec![1]
    } else {
        gateway.versions.clone()
    };
    wire::negotiate(wire::SUPPORTED_VERSIONS, &versions).ok_or_else(|| {
        HubError::Conflict("the gateway speaks no contract version of this hub".into())
    })
}

/// Queues a down command for a gateway (inside the caller's transaction).
pub(crate) fn enqueue(
    tx: &mut dyn crate::store::WriteTx,
    scope: &Scope,
    gateway: &Gateway,
    down: &wire::Down,
    message_id: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), HubError> {
    tx.enqueue_command(
        scope,
        &OutboxEntry {
            id: down.id(),
            gateway_id: gateway.id,
            kind: down.kind().as_str().to_owned(),
            payload: down.encode(),
            message_id,
            created_at: now,
        },
    )?;
    Ok(())
}

impl Hub {
    fn gateway_scope(&self, actor: &Actor, action: Action) -> Result<Scope, HubError> {
        // Gateways are the platform's: below it they do not exist (404, not 403).
        if actor.org().kind != OrgKind::Platform {
            return Err(HubError::NotFound);
        }
        let scope = authz::scope(actor, action)?;
        if !scope.covers_platform() {
            return Err(HubError::NotFound);
        }
        Ok(scope)
    }

    /// Registers a gateway: a fresh id, MQTT credentials and a config snippet.
    pub fn create_gateway(
        &self,
        actor: &Actor,
        name: &str,
    ) -> Result<ProvisionedGateway, HubError> {
        let scope = self.gateway_scope(actor, Action::ManageGateway)?;
        let id = Uuid::now_v7();
        let username = format!("gw-{}", id.simple());
        let password = secrets::random_token("");
        let gateway = Gateway {
            id,
            name: non_empty("name", name)?,
            mqtt_username: username.clone(),
            mqtt_password_hash: secrets::digest(&password),
            online: false,
            versions: Vec::new(),
            last_seen: None,
            ports: Vec::new(),
            created_at: self.now(),
        };
        let mut tx = self.write()?;
        tx.insert_gateway(&scope, &gateway)?;
        if let Some(p) = tx.platform()? {
            super::audit::record(
                &mut *tx,
                actor,
                super::audit::Audit::new(p.id, "created", "gateway")
                    .id(gateway.id)
                    .detail(gateway.name.clone()),
                self.now(),
            )?;
        }
        tx.commit()?;
        self.gateways_changed();
        let config_snippet = crate::snippet::gateway_config_snippet(
            &gateway.name,
            &self.inner.settings.mqtt_url,
            &username,
            &password,
        );
        Ok(ProvisionedGateway {
            gateway,
            mqtt_username: username,
            mqtt_password: password,
            config_snippet,
        })
    }

    pub fn gateway(&self, actor: &Actor, id: Uuid) -> Result<Gateway, HubError> {
        let scope = self.gateway_scope(actor, Action::ViewGateway)?;
        found(self.read()?.gateway(&scope, id)?)
    }

    pub fn gateways(&self, actor: &Actor) -> Result<Vec<Gateway>, HubError> {
        Ok(self
            .list_gateways(actor, &TextFilter::default(), &PageRequest::all())?
            .items)
    }

    pub fn list_gateways(
        &self,
        actor: &Actor,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<Gateway>, HubError> {
        let scope = self.gateway_scope(actor, Action::ViewGateway)?;
        Ok(self.read()?.gateways(&scope, filter, page)?)
    }

    /// Inbound messages no channel took (undeclared ports, retired channels, channels held
    /// by no tenant), newest first, with their text (platform operator).
    pub fn unrouted_messages(
        &self,
        actor: &Actor,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<UnroutedInbound>, HubError> {
        let scope = self.gateway_scope(actor, Action::ViewGateway)?;
        Ok(self.read()?.unrouted_inbound(&scope, filter, page)?)
    }

    pub fn rename_gateway(&self, actor: &Actor, id: Uuid, name: &str) -> Result<Gateway, HubError> {
        let scope = self.gateway_scope(actor, Action::ManageGateway)?;
        let name = non_empty("name", name)?;
        let mut tx = self.write()?;
        let mut g = found(tx.gateway(&scope, id)?)?;
        g.name = name;
        tx.update_gateway(&scope, &g)?;
        tx.commit()?;
        self.gateways_changed();
        Ok(g)
    }

    /// Deletes a gateway: refused while channels are declared on it (delete or move them
    /// first). Its credentials stop working at once.
    pub fn delete_gateway(&self, actor: &Actor, id: Uuid) -> Result<(), HubError> {
        let scope = self.gateway_scope(actor, Action::ManageGateway)?;
        let mut tx = self.write()?;
        let mut g = found(tx.gateway(&scope, id)?)?;
        let on_it = channels_on(&mut *tx, &scope, id)?;
        if on_it > 0 {
            return Err(HubError::Conflict(format!(
                "{on_it} channel(s) are declared on this gateway: delete them first"
            )));
        }
        // Gateways are referenced by history (processed events, the outbox): the record stays,
        // its login is made unusable and it leaves the lists.
        g.mqtt_password_hash = String::new();
        g.name = format!("{} (deleted)", g.name);
        tx.update_gateway(&scope, &g)?;
        tx.commit()?;
        self.gateways_changed();
        Ok(())
    }

    /// Queues a run-time configuration patch (`Down::Config`, keys as the gateway documents:
    /// `groups.{name}.{field}`) for gateway `id`; returns the command id.
    pub fn configure_gateway(
        &self,
        actor: &Actor,
        id: Uuid,
        settings: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Uuid, HubError> {
        if settings.is_empty() {
            return Err(invalid("settings", "empty patch: nothing to change"));
        }
        let scope = self.gateway_scope(actor, Action::ManageGateway)?;
        let mut tx = self.write()?;
        let gateway = found(tx.gateway(&scope, id)?)?;
        let down = wire::Down::Config(wire::ConfigPatch {
            id: Uuid::now_v7(),
            v: version_for(&gateway)?,
            settings,
        });
        enqueue(&mut *tx, &scope, &gateway, &down, None, self.now())?;
        tx.commit()?;
        self.notify_outbox(gateway.mqtt_username);
        Ok(down.id())
    }
}

fn channels_on(tx: &mut dyn ReadTx, scope: &Scope, gateway: Uuid) -> Result<usize, HubError> {
    Ok(tx
        .channels(
            scope,
            &ChannelFilter {
                gateway: Some(gateway),
                ..ChannelFilter::default()
            },
            &PageRequest {
                limit: 1,
                after: None,
            },
        )?
        .items
        .len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    #[test]
    fn only_the_platform_sees_gateways_and_a_gateway_with_channels_is_not_deleted() {
        let w = world();
        assert!(matches!(
            w.hub.gateways(&w.admin),
            Err(HubError::NotFound | HubError::Forbidden(_))
        ));
        assert_eq!(w.hub.gateways(&w.root).unwrap().len(), 1);
        let id = w.channel.gateway_id;
        assert!(matches!(
            w.hub.delete_gateway(&w.root, id),
            Err(HubError::Conflict(_))
        ));
        let g = w.hub.create_gateway(&w.root, "spare").unwrap();
        w.hub.delete_gateway(&w.root, g.gateway.id).unwrap();
        let ingest = w.hub.gateway_ingest();
        assert!(
            !ingest
                .check_gateway_credentials(&g.mqtt_username, &g.mqtt_password)
                .unwrap()
        );
    }
}
