//! Opt-outs reach the edge: every tenant's opt-out list (STOP/START, manual opt-outs and
//! do-not-contact entries — one list, one versioned change log per tenant) is pushed to every
//! gateway carrying one of the tenant's channels, as `down/opt_outs` commands in the
//! gateway's command outbox (contract version 3, `docs/mqtt.md`).
//!
//! The rule ([`plan`]), per gateway and tenant, from the newest `opt_outs` command queued for
//! that pair (its *mark*) and the tenant's log version `V`:
//! - no mark: a **snapshot** (`replace`, from 0 to `V`, the current list; chunks of
//!   [`CHUNK`] numbers, the later ones `from == to == V`); nothing when the tenant never had
//!   an opt-out;
//! - a mark acked `applied`/`duplicate` or not acked yet, at `to < V`: a **delta** of the log
//!   after `to` (chained: commands still in flight are followed, not repeated);
//! - a mark refused (`rejected`: the gateway holds an older version than the delta starts
//!   at — a lost command — or could not read it): a snapshot, once per version;
//! - a mark `unsupported` (an older gateway): nothing.
//!
//! The outbox does the rest: a command stays until the gateway acks it and the link
//! republishes what is unacked whenever the gateway reconnects, so a list changed while the
//! gateway was away reaches it on its return. The plan runs each time the link reads a
//! gateway's outbox ([`crate::GatewayIngest::pending_commands`]): after every change of a
//! tenant's list ([`notify_tenant`], [`notify_tenants_of_gateway`]), on every (re)connection
//! and after every refused ack. Only gateways announcing version 3 get these commands.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use smsgate_wire as wire;
use uuid::Uuid;

use super::{HubError, Inner};
use crate::authz::{self, Scope};
use crate::model::*;
use crate::phone;
use crate::store::{ChannelFilter, OptOutSyncMark, PageRequest, ReadTx, TextFilter, WriteTx};

/// Numbers per command (a snapshot of a larger list is several commands).
pub const CHUNK: usize = 1000;

/// The kind of these commands in the outbox.
const KIND: &str = "opt_outs";

/// One tenant's list as carried by one gateway.
struct Carried {
    org: Org,
    scope: Scope,
    ports: Vec<String>,
    country: Option<String>,
}

/// The tenants whose channels the gateway carries, with their ports and country.
fn carried(tx: &mut dyn ReadTx, g: &Gateway) -> Result<Vec<Carried>, HubError> {
    let gscope = authz::gateway(g);
    let channels = tx
        .channels(
            &gscope,
            &ChannelFilter {
                gateway: Some(g.id),
                ..ChannelFilter::default()
            },
            &PageRequest::all(),
        )?
        .items;
    let mut by_org: BTreeMap<Uuid, Carried> = BTreeMap::new();
    for ch in channels {
        if let Some(c) = by_org.get_mut(&ch.holder_id) {
            c.ports.push(ch.port.clone());
            continue;
        }
        let Some(org) = tx.org(&authz::authenticating(), ch.holder_id)? else {
            continue;
        };
        if org.kind != OrgKind::Tenant {
            continue;
        }
        let Some(scope) = authz::channel_holder(&gscope, &ch, &org) else {
            continue;
        };
        let country = phone::context_country(
            ch.country.as_deref(),
            Some(&ch.sim_number),
            org.country.as_deref(),
        )
        .map(|c| c.to_string());
        by_org.insert(
            org.id,
            Carried {
                org,
                scope,
                ports: vec![ch.port.clone()],
                country,
            },
        );
    }
    Ok(by_org.into_values().collect())
}

/// The commands to queue for gateway `g` now (see the module rule).
pub(crate) fn plan(tx: &mut dyn ReadTx, g: &Gateway) -> Result<Vec<wire::OptOutSync>, HubError> {
    if !wire::speaks(&g.versions, wire::OPT_OUTS_SINCE) {
        return Ok(Vec::new());
    }
    let marks: BTreeMap<Uuid, OptOutSyncMark> = tx
        .opt_out_sync_marks(&authz::gateway(g), g.id)?
        .into_iter()
        .map(|m| (m.tenant, m))
        .collect();
    let mut out = Vec::new();
    for c in carried(tx, g)? {
        let current = tx.opt_out_version(&c.scope, c.org.id)?;
        let command = |replace, from_version, to_version, changes| wire::OptOutSync {
            id: Uuid::now_v7(),
            v: wire::OPT_OUTS_SINCE,
            tenant: c.org.id,
            replace,
            from_version,
            to_version,
            ports: c.ports.clone(),
            country: c.country.clone(),
            changes,
        };
        let from = match marks.get(&c.org.id) {
            None if current == 0 => continue,
            None => None,
            Some(m) => match m.outcome.as_deref() {
                Some("unsupported") => continue,
                Some("rejected") if m.replace && m.to_version >= current => continue,
                Some("rejected") => None,
                _ if m.to_version >= current => continue,
                _ => Some(m.to_version),
            },
        };
        match from {
            None => {
                // The edge's list: the opt-outs and the do-not-contact entries, once each.
                let mut numbers: Vec<String> = tx
                    .opt_outs(&c.scope, &TextFilter::default(), &PageRequest::all())?
                    .items
                    .into_iter()
                    .filter(|o| o.org_id == c.org.id)
                    .map(|o| o.number)
                    .chain(
                        tx.campaigns()
                            .dnc_list(&c.scope, c.org.id)?
                            .into_iter()
                            .map(|d| d.number),
                    )
                    .collect();
                numbers.sort();
                numbers.dedup();
                let mut chunks = numbers.chunks(CHUNK);
                let first = chunks.next().unwrap_or_default();
                out.push(command(true, 0, current, adds(first)));
                for rest in chunks {
                    out.push(command(false, current, current, adds(rest)));
                }
            }
            Some(mut since) => loop {
                let log = tx.opt_out_changes(&c.scope, c.org.id, since, CHUNK)?;
                let Some(last) = log.last().map(|l| l.version) else {
                    break;
                };
                let changes = log
                    .into_iter()
                    .map(|l| wire::OptOutChange {
                        number: l.number,
                        added: l.added,
                    })
                    .collect();
                out.push(command(false, since, last, changes));
                since = last;
            },
        }
    }
    Ok(out)
}

fn adds(numbers: &[String]) -> Vec<wire::OptOutChange> {
    numbers
        .iter()
        .map(|n| wire::OptOutChange {
            number: n.clone(),
            added: true,
        })
        .collect()
}

fn enqueue(
    tx: &mut dyn WriteTx,
    g: &Gateway,
    commands: Vec<wire::OptOutSync>,
    now: DateTime<Utc>,
) -> Result<usize, HubError> {
    let n = commands.len();
    for c in commands {
        let down = wire::Down::OptOuts(c);
        tx.enqueue_command(
            &authz::gateway(g),
            &OutboxEntry {
                id: down.id(),
                gateway_id: g.id,
                kind: KIND.into(),
                payload: down.encode(),
                message_id: None,
                created_at: now,
            },
        )?;
    }
    Ok(n)
}

/// Queues what gateway `gw` lacks of its tenants' opt-out lists; returns how many commands.
/// Reads first, and takes the write lock only when something is missing.
pub(crate) fn sync_gateway(inner: &Inner, gw: &wire::GatewayId) -> Result<usize, HubError> {
    let gateway = |tx: &mut dyn ReadTx| {
        tx.gateway_by_username(&authz::authenticating(), gw.as_str())?
            .ok_or_else(|| HubError::UnknownGateway(gw.to_string()))
    };
    {
        let mut tx = inner.store.read()?;
        let g = gateway(&mut *tx)?;
        if plan(&mut *tx, &g)?.is_empty() {
            return Ok(0);
        }
    }
    let mut tx = inner.store.write()?;
    let g = gateway(&mut *tx)?;
    let commands = plan(&mut *tx, &g)?;
    let n = enqueue(&mut *tx, &g, commands, inner.clock.now())?;
    tx.commit()?;
    if n > 0 {
        inner.metrics.record_opt_out_sync(n);
    }
    Ok(n)
}

/// Wakes the link for every gateway carrying a channel of tenant `org_id` (after its list
/// changed; the link then reads their outboxes, which runs [`sync_gateway`]).
pub(crate) fn notify_tenant(inner: &Inner, org_id: Uuid) -> Result<(), HubError> {
    let mut tx = inner.store.read()?;
    let Some(org) = tx.org(&authz::authenticating(), org_id)? else {
        return Ok(());
    };
    let scope = authz::tenant_system(&org);
    let channels = tx
        .channels(
            &scope,
            &ChannelFilter {
                holder: Some(org.id),
                ..ChannelFilter::default()
            },
            &PageRequest::all(),
        )?
        .items;
    let mut seen = std::collections::BTreeSet::new();
    for ch in channels {
        if !seen.insert(ch.gateway_id) {
            continue;
        }
        if let Some(g) = tx.gateway(&authz::channel_gateway(&ch), ch.gateway_id)? {
            let _ = inner.outbox.send(g.mqtt_username);
        }
    }
    Ok(())
}

/// Wakes the link for every gateway sharing a tenant with gateway `gw` (a STOP or START it
/// received changed one of them).
pub(crate) fn notify_tenants_of_gateway(
    inner: &Inner,
    gw: &wire::GatewayId,
) -> Result<(), HubError> {
    let tenants: Vec<Uuid> = {
        let mut tx = inner.store.read()?;
        let Some(g) = tx.gateway_by_username(&authz::authenticating(), gw.as_str())? else {
            return Ok(());
        };
        carried(&mut *tx, &g)?
            .into_iter()
            .map(|c| c.org.id)
            .collect()
    };
    for t in tenants {
        notify_tenant(inner, t)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testkit::*;

    fn online(w: &World, versions: Vec<u32>) {
        w.hub
            .gateway_ingest()
            .gateway_state(
                &w.gw,
                &wire::State {
                    versions,
                    ..wire::State::online(None)
                },
            )
            .unwrap();
    }

    fn opt_out_commands(w: &World) -> Vec<wire::OptOutSync> {
        w.hub
            .gateway_ingest()
            .pending_commands(&w.gw)
            .unwrap()
            .into_iter()
            .filter_map(|d| match d {
                wire::Down::OptOuts(o) => Some(o),
                _ => None,
            })
            .collect()
    }

    fn ack(w: &World, of: Uuid, outcome: wire::AckOutcome, detail: &str) {
        w.hub
            .gateway_ingest()
            .ingest(
                &w.gw,
                wire::Up::Ack(wire::Ack::new(of, 3, outcome, Some(detail.into()))),
            )
            .unwrap();
    }

    fn numbers(c: &wire::OptOutSync) -> Vec<(&str, bool)> {
        c.changes
            .iter()
            .map(|c| (c.number.as_str(), c.added))
            .collect()
    }

    #[test]
    fn a_gateway_first_gets_a_snapshot_then_deltas_from_what_it_acked() {
        let w = world();
        online(&w, vec![1, 2, 3]);
        assert!(opt_out_commands(&w).is_empty(), "no opt-out yet: nothing");
        w.inbound("0611111111", "STOP");
        w.hub
            .add_opt_out(&w.admin, None, "+33622222222", None)
            .unwrap();
        let first = opt_out_commands(&w);
        assert_eq!(first.len(), 1);
        let snap = &first[0];
        assert!(snap.replace);
        assert_eq!((snap.from_version, snap.to_version), (0, 2));
        assert_eq!(snap.tenant, w.tenant.id);
        assert_eq!(snap.ports, vec!["0".to_owned()]);
        assert_eq!(snap.country.as_deref(), Some("FR"));
        let mut got = numbers(snap);
        got.sort();
        assert_eq!(got, vec![("+33611111111", true), ("+33622222222", true)]);
        // Read again before the ack: the same command, not a second one.
        assert_eq!(opt_out_commands(&w), first);
        ack(&w, snap.id, wire::AckOutcome::Applied, "version 2");
        assert!(opt_out_commands(&w).is_empty());
        w.inbound("+33611111111", "START");
        let delta = opt_out_commands(&w);
        assert_eq!(delta.len(), 1);
        assert!(!delta[0].replace);
        assert_eq!((delta[0].from_version, delta[0].to_version), (2, 3));
        assert_eq!(numbers(&delta[0]), vec![("+33611111111", false)]);
    }

    #[test]
    fn do_not_contact_entries_reach_the_edge_with_the_opt_outs_and_leave_only_when_no_list_holds_them()
     {
        let w = world();
        online(&w, vec![3]);
        w.hub
            .dnc_add(
                &w.admin,
                None,
                &["+33633333333".into(), "+33644444444".into()],
            )
            .unwrap();
        w.hub
            .add_opt_out(&w.admin, None, "+33644444444", None)
            .unwrap();
        let first = opt_out_commands(&w);
        assert_eq!(first.len(), 1);
        let mut got = numbers(&first[0]);
        got.sort();
        assert_eq!(
            got,
            vec![("+33633333333", true), ("+33644444444", true)],
            "one list, each number once"
        );
        assert_eq!(
            first[0].to_version, 2,
            "the second list adding a number changes nothing"
        );
        ack(&w, first[0].id, wire::AckOutcome::Applied, "version 2");
        // Off the do-not-contact list but still opted out: the edge keeps blocking it.
        w.hub.dnc_remove(&w.admin, None, "+33644444444").unwrap();
        assert!(opt_out_commands(&w).is_empty());
        // Off the only list that held it: the gateways unblock it.
        w.hub.dnc_remove(&w.admin, None, "+33633333333").unwrap();
        let delta = opt_out_commands(&w);
        assert_eq!(delta.len(), 1);
        assert_eq!(numbers(&delta[0]), vec![("+33633333333", false)]);
    }

    #[test]
    fn changes_while_a_delta_is_unacked_follow_it_and_a_gap_gets_a_snapshot() {
        let w = world();
        online(&w, vec![3]);
        w.inbound("+33611111111", "STOP");
        let snap = opt_out_commands(&w);
        w.inbound("+33622222222", "STOP");
        let both = opt_out_commands(&w);
        assert_eq!(both.len(), 2, "the delta follows the unacked snapshot");
        assert_eq!((both[1].from_version, both[1].to_version), (1, 2));
        ack(&w, snap[0].id, wire::AckOutcome::Applied, "version 1");
        ack(
            &w,
            both[1].id,
            wire::AckOutcome::Rejected,
            "gap: holding version 0",
        );
        let again = opt_out_commands(&w);
        assert_eq!(again.len(), 1);
        assert!(
            again[0].replace,
            "a refused delta is answered with a snapshot"
        );
        assert_eq!(again[0].to_version, 2);
        ack(&w, again[0].id, wire::AckOutcome::Rejected, "broken");
        assert!(
            opt_out_commands(&w).is_empty(),
            "a refused snapshot is not repeated until the list changes"
        );
    }

    #[test]
    fn a_gateway_without_version_three_gets_no_opt_out_commands() {
        let w = world();
        online(&w, vec![1, 2]);
        w.inbound("+33611111111", "STOP");
        assert!(opt_out_commands(&w).is_empty());
    }
}
