//! A gateway's own record: its MQTT credentials (checked by the broker), its retained
//! presence, heartbeats and port reports, and the commands waiting in its outbox.

use chrono::{DateTime, Utc};
use smsgate_wire as wire;

use super::{GatewayIngest, IngestOutcome};
use crate::authz::{self, Scope};
use crate::hub::{Hub, HubError, HubEvent, ListKind};
use crate::model::*;
use crate::secrets;
use crate::store::{ReadTx, StoreError, WriteTx};

impl GatewayIngest {
    /// Checks a gateway's MQTT credentials (for the broker's authentication hook).
    pub fn check_gateway_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<bool, HubError> {
        let mut tx = self.inner.store.read()?;
        Ok(tx
            .gateway_by_username(&authz::authenticating(), username)?
            .is_some_and(|g| {
                !g.mqtt_password_hash.is_empty()
                    && secrets::digest(password) == g.mqtt_password_hash
            }))
    }

    /// Applies a gateway's retained presence (not de-duplicated: it is idempotent).
    pub fn gateway_state(&self, gw: &wire::GatewayId, state: &wire::State) -> Result<(), HubError> {
        let mut tx = self.inner.store.write()?;
        let (mut g, scope) = Self::gateway(&mut *tx, gw)?;
        let before = (g.online, g.versions.clone());
        g.online = state.online;
        if !state.versions.is_empty() {
            g.versions = state.versions.clone();
        }
        g.last_seen = Some(self.now());
        tx.update_gateway(&scope, &g)?;
        let news = if before != (g.online, g.versions.clone()) {
            gateway_list_event(&mut *tx)?
        } else {
            None
        };
        tx.commit()?;
        crate::hub::publish(&self.inner, news.into_iter().collect());
        Ok(())
    }

    /// Commands waiting for a gateway, oldest first (publish them; they stay until acked).
    pub fn pending_commands(&self, gw: &wire::GatewayId) -> Result<Vec<wire::Down>, HubError> {
        // What the gateway lacks of its tenants' opt-out lists joins its outbox first.
        crate::hub::edge_sync::sync_gateway(&self.inner, gw)?;
        let mut tx = self.inner.store.read()?;
        let (g, scope) = Self::gateway(&mut *tx, gw)?;
        tx.pending_commands(&scope, g.id)?
            .into_iter()
            .map(|e| {
                wire::Down::decode(&wire::DownKind::from_level(&e.kind), &e.payload).map_err(
                    |err| {
                        StoreError::Corrupt {
                            what: "outbox",
                            detail: err.to_string(),
                        }
                        .into()
                    },
                )
            })
            .collect()
    }

    /// A heartbeat: the gateway is online, with these software versions. Only a change of
    /// those is news for the gateway list (its heartbeat time is not: too frequent).
    pub(super) fn heartbeat(
        tx: &mut dyn WriteTx,
        scope: &Scope,
        gateway: Gateway,
        h: wire::Heartbeat,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        let mut g = gateway;
        let changed = !g.online || g.versions != h.versions;
        g.versions = h.versions;
        g.online = true;
        g.last_seen = Some(now);
        tx.update_gateway(scope, &g)?;
        if changed {
            events.extend(gateway_list_event(tx)?);
        }
        Ok(IngestOutcome::Applied)
    }

    /// A port report: the gateway's modems as they are now (SIM number, operator, signal).
    pub(super) fn ports(
        tx: &mut dyn WriteTx,
        scope: &Scope,
        gateway: Gateway,
        p: wire::Ports,
        now: DateTime<Utc>,
        events: &mut Vec<HubEvent>,
    ) -> Result<IngestOutcome, HubError> {
        let mut g = gateway;
        let before = std::mem::take(&mut g.ports);
        g.last_seen = Some(now);
        g.ports = p
            .ports
            .into_iter()
            .map(|p| GatewayPort {
                port: p.port,
                sim_number: p.sim_number,
                operator: p.operator,
                signal: p.signal,
                registered: p.registered,
            })
            .collect();
        tx.update_gateway(scope, &g)?;
        if g.ports != before {
            events.extend(gateway_list_event(tx)?);
        }
        Ok(IngestOutcome::Applied)
    }
}

/// The platform's gateway list changed ([`crate::hub::live_lists`]).
fn gateway_list_event(tx: &mut dyn ReadTx) -> Result<Option<HubEvent>, HubError> {
    Ok(tx
        .platform()?
        .map(|p| Hub::list_event(&p.path, ListKind::Gateways)))
}
