//! Applying the hub's `down/opt_outs` commands (contract version 3) to the spool's per-tenant
//! opt-out lists ([`crate::spool::opt_outs`]) and answering each with its ack:
//!
//! - `applied` (detail `version N`) when the tenant's list is at the command's `to_version`
//!   afterwards; `duplicate` when it already was (a command received twice, a delta already
//!   covered);
//! - `rejected` with detail `gap: holding version N` when the list is older than the
//!   command's `from_version` (a command was lost): the hub then sends a snapshot;
//! - `rejected` naming the field (`changes[3].number: …`) for a malformed command, with
//!   nothing applied.

use smsgate_wire::{Ack, AckOutcome, OptOutSync};
use uuid::Uuid;

use crate::spool::Spool;
use crate::spool::opt_outs::{SyncError, SyncOutcome};

/// The detail of a gap refusal; the hub reads it back (`"gap: holding version 12"`).
pub fn gap_detail(held: i64) -> String {
    format!("gap: holding version {held}")
}

fn ack(of: Uuid, v: u32, outcome: AckOutcome, detail: String) -> Ack {
    Ack::new(of, v, outcome, Some(detail))
}

/// Applies `s` and returns the ack to publish (written in contract version `v`).
pub async fn apply(spool: &Spool, s: OptOutSync, v: u32) -> Ack {
    let id = s.id;
    let tenant = s.tenant;
    let result = spool
        .call(move |db| match db.apply_opt_out_sync(&s) {
            Ok(o) => Ok(Ok(o)),
            Err(SyncError::Spool(e)) => Err(e),
            Err(other) => Ok(Err(other.to_string())),
        })
        .await;
    match result {
        Ok(Ok(SyncOutcome::Applied(version))) => {
            tracing::info!(%tenant, version, "opt-outs from the hub applied");
            ack(id, v, AckOutcome::Applied, format!("version {version}"))
        }
        Ok(Ok(SyncOutcome::AlreadyHeld(version))) => {
            ack(id, v, AckOutcome::Duplicate, format!("version {version}"))
        }
        Ok(Ok(SyncOutcome::Gap(held))) => {
            tracing::warn!(%tenant, held, "opt-outs from the hub skip a version; asking for a snapshot");
            ack(id, v, AckOutcome::Rejected, gap_detail(held))
        }
        Ok(Err(why)) => ack(
            id,
            v,
            AckOutcome::Rejected,
            format!("nothing applied: {why}"),
        ),
        Err(e) => ack(id, v, AckOutcome::Rejected, format!("spool: {e}")),
    }
}
