//! Opt-outs the hub pushed to this gateway (`down/opt_outs`, contract version 3), kept per
//! tenant so the gateway honours them while the hub is unreachable.
//!
//! - Each tenant's list is held at a version of the hub's change log
//!   (`hub_opt_out_lists.version`); a command moves it from `from_version` to `to_version`
//!   ([`SpoolDb::apply_opt_out_sync`], one transaction). Applying the changes of
//!   `from..=to` in order on a list held at any version inside that range gives the list at
//!   `to` (every number ends with the last change to it), so a command received twice, or a
//!   delta overlapping one already applied, is harmless. A list held at a version *older*
//!   than `from_version` is a gap: refused, and the hub answers with a snapshot (`replace`).
//! - Numbers are compared in E.164 by the contract's rule ([`smsgate_wire::number`]): the
//!   hub's numbers are E.164 already; a recipient is read with the list's `country` for
//!   numbers written without an international prefix, so `00447700900600`, `+44 7700
//!   900600` and (in a GB list) `07700 900600` all match `+447700900600`.
//! - Which lists a message honours ([`opted_out_tx`]): a message the hub sent (idempotency
//!   key `hub:…`) honours the lists of the tenants whose channels are on its port; anything
//!   submitted on the gateway itself (API, dialer CSV, Integra) honours every list held.

use super::ExecCached;
use super::SpoolError;
use super::store::SpoolDb;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use smsgate_wire::OptOutSync;
use smsgate_wire::number::{self, Kind};

/// The idempotency-key prefix of messages the hub asked this gateway to send.
pub const HUB_KEY_PREFIX: &str = "hub:";

/// One tenant's list as held here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HubOptOutList {
    /// The hub's tenant id.
    pub tenant: String,
    /// The version of the hub's change log this copy is at.
    pub version: i64,
    /// Ports carrying the tenant's channels.
    pub ports: Vec<String>,
    /// Country for recipients written without an international prefix.
    pub country: Option<String>,
    /// How many numbers are opted out.
    pub numbers: u64,
}

/// What applying a `down/opt_outs` command did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The list is now at this version.
    Applied(i64),
    /// The list was already at or past the command's `to_version`; nothing changed.
    AlreadyHeld(i64),
    /// The list is held at this version, older than the command's `from_version`: the hub
    /// must send a snapshot.
    Gap(i64),
}

/// Why a command was refused before anything changed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("changes[{index}].number: {reason}")]
    Number { index: usize, reason: String },
    #[error("to_version {to} is before from_version {from}")]
    Versions { from: i64, to: i64 },
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

fn hub_number(raw: &str) -> Result<String, String> {
    match number::normalise(raw, None) {
        Ok((n, _)) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl SpoolDb {
    /// Applies one `down/opt_outs` command in one transaction (see the module rules).
    pub fn apply_opt_out_sync(&mut self, s: &OptOutSync) -> Result<SyncOutcome, SyncError> {
        if s.to_version < s.from_version {
            return Err(SyncError::Versions {
                from: s.from_version,
                to: s.to_version,
            });
        }
        let changes = s
            .changes
            .iter()
            .enumerate()
            .map(|(index, c)| {
                hub_number(&c.number)
                    .map(|n| (n, c.added))
                    .map_err(|reason| SyncError::Number { index, reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.now();
        let tenant = s.tenant.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(SpoolError::from)?;
        let held: Option<i64> = tx
            .query_row(
                "SELECT version FROM hub_opt_out_lists WHERE tenant = ?1",
                [&tenant],
                |r| r.get(0),
            )
            .optional()
            .map_err(SpoolError::from)?;
        if !s.replace {
            let held = held.unwrap_or(0);
            if held < s.from_version {
                return Ok(SyncOutcome::Gap(held));
            }
            // A snapshot's continuation (`from == to`) adds to the list it started.
            if held > s.to_version || (held == s.to_version && s.from_version < s.to_version) {
                return Ok(SyncOutcome::AlreadyHeld(held));
            }
        } else {
            tx.exec_cached("DELETE FROM hub_opt_outs WHERE tenant = ?1", [&tenant])
                .map_err(SpoolError::from)?;
        }
        for (n, added) in &changes {
            let sql = if *added {
                "INSERT OR IGNORE INTO hub_opt_outs (tenant, number) VALUES (?1, ?2)"
            } else {
                "DELETE FROM hub_opt_outs WHERE tenant = ?1 AND number = ?2"
            };
            tx.execute(sql, params![tenant, n])
                .map_err(SpoolError::from)?;
        }
        let ports = serde_json::to_string(&s.ports).unwrap_or_else(|_| "[]".into());
        tx.exec_cached(
            "INSERT INTO hub_opt_out_lists (tenant, version, ports, country, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tenant) DO UPDATE SET version = ?2, ports = ?3, country = ?4, updated_at = ?5",
            params![tenant, s.to_version, ports, s.country, now],
        )
        .map_err(SpoolError::from)?;
        tx.commit().map_err(SpoolError::from)?;
        Ok(SyncOutcome::Applied(s.to_version))
    }

    /// The tenants' lists held here, by tenant id.
    pub fn hub_opt_out_lists(&mut self) -> Result<Vec<HubOptOutList>, SpoolError> {
        let mut st = self.conn.prepare_cached(
            "SELECT l.tenant, l.version, l.ports, l.country,
                    (SELECT COUNT(*) FROM hub_opt_outs o WHERE o.tenant = l.tenant)
             FROM hub_opt_out_lists l ORDER BY l.tenant",
        )?;
        let rows = st
            .query_map([], |r| {
                let ports: String = r.get(2)?;
                Ok(HubOptOutList {
                    tenant: r.get(0)?,
                    version: r.get(1)?,
                    ports: serde_json::from_str(&ports).unwrap_or_default(),
                    country: r.get(3)?,
                    numbers: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The tenant whose pushed opt-outs hold `recipient` (see [`opted_out_tx`]).
    pub fn opted_out(
        &mut self,
        recipient: &str,
        port: Option<u16>,
        idempotency_key: Option<&str>,
    ) -> Result<Option<String>, SpoolError> {
        let tx = self.conn.transaction()?;
        let t = opted_out_tx(&tx, recipient, port, idempotency_key)?;
        tx.commit()?;
        Ok(t)
    }
}

/// The tenant whose pushed list holds `recipient`, if any. A hub message (`idempotency_key`
/// starting `hub:`) pinned to `port` checks the lists of the tenants on that port; every other
/// message checks every list. The recipient is read in E.164 with each list's country.
pub(super) fn opted_out_tx(
    tx: &Transaction<'_>,
    recipient: &str,
    port: Option<u16>,
    idempotency_key: Option<&str>,
) -> Result<Option<String>, SpoolError> {
    let mut lists = tx.prepare_cached("SELECT tenant, ports, country FROM hub_opt_out_lists")?;
    let lists: Vec<(String, String, Option<String>)> = lists
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if lists.is_empty() {
        return Ok(None);
    }
    let from_hub = idempotency_key.is_some_and(|k| k.starts_with(HUB_KEY_PREFIX));
    let port = port.map(|p| p.to_string());
    let mut hit =
        tx.prepare_cached("SELECT 1 FROM hub_opt_outs WHERE tenant = ?1 AND number = ?2")?;
    for (tenant, ports, country) in lists {
        if from_hub {
            let ports: Vec<String> = serde_json::from_str(&ports).unwrap_or_default();
            if let Some(p) = &port
                && !ports.contains(p)
            {
                continue;
            }
        }
        let ctx = country.as_deref().and_then(number::country);
        let Ok((n, kind)) = number::normalise(recipient, ctx) else {
            continue;
        };
        if kind == Kind::Alphanumeric {
            continue;
        }
        if hit.exists(params![tenant, n])? {
            return Ok(Some(tenant));
        }
    }
    Ok(None)
}
