//! Contract versions and their negotiation.
//!
//! The topic prefix carries the *major* topic layout (`smsgate/v1`); the payload field `v`
//! carries the contract version a message was written in. A gateway announces every version it
//! speaks in its retained [`State`](crate::State) and in each heartbeat; the hub then writes its
//! commands in the highest version both speak ([`negotiate`]).
//!
//! History:
//! - **1**: the PUBACK of an up message is its acknowledgement; the hub acks on `down/ack` only
//!   what it refuses (`rejected`, `unsupported`).
//! - **2**: end-to-end receipts. The hub acks *every* up message on `down/ack` once it has
//!   durably taken it (`applied`, also for a duplicate) or refused it; a version-2 gateway keeps
//!   each outbox event until that receipt, not until the broker's PUBACK. Payload shapes are
//!   unchanged, so version-1 and version-2 peers read each other's messages.
//! - **3**: opt-outs reach the edge and `unknown` sends reach the hub. New down kind
//!   `opt_outs` ([`OptOutSync`](crate::OptOutSync)): the hub sends it only to gateways
//!   announcing version 3 ([`OPT_OUTS_SINCE`]). New send state `unknown` with `evidence` in
//!   `up/status`: a version-3 gateway sends it (a version-2 hub refuses it as malformed, so
//!   upgrade the hub first, as for version 2).
//! - **4**: campaigns run on the gateway. New down kinds `campaign`
//!   ([`CampaignBatch`](crate::CampaignBatch): a slice of a campaign's recipients for one port,
//!   its windows, pace and validity) and `campaign_halt` ([`CampaignHalt`](crate::CampaignHalt)):
//!   the hub sends them only to gateways announcing version 4 ([`CAMPAIGNS_SINCE`]) and hands
//!   older gateways one `send` per recipient as before. Reports use the existing `up/status`
//!   and `up/dlr` of each recipient's message id.
//! - **5**: refusals say why. A `failed` `up/status` may carry `refused`
//!   ([`Refusal`](crate::Refusal): `opted_out`, `do_not_contact`) when the gateway refused the
//!   recipient itself at submission (a campaign recipient released onto a number the pushed
//!   opt-outs or the gateway's do-not-contact list hold), so the hub books it as opted out or
//!   blocked instead of failed. The field is optional: a version-4 hub ignores it (a plain
//!   failure, as before) and a version-4 gateway never sends it.
//! - **6**: evidence stays with a settled outcome. An `up/dlr` may carry `evidence` when the
//!   report settled a message whose outcome was `unknown` (the gateway's record, naming the
//!   report), so the hub shows how the outcome became known instead of the stale "unknown"
//!   record. Optional: a version-5 hub ignores it.
//! - **7**: conversations pass the pushed opt-outs. A `send` may carry `conversation: true`
//!   ([`Send::conversation`](crate::Send::conversation)) for a live reply, a single message
//!   without a campaign or the hub's automatic reply: the hub lets those reach a number that
//!   opted out of bulk messages, and a version-7 gateway no longer blocks them against the
//!   lists the hub pushed (it did, so an agent's reply after a STOP never left). Optional: a
//!   version-6 gateway ignores it and blocks as before; a version-6 hub never sends it, so
//!   its messages honour the lists.

/// Contract versions this build can read and write, ascending.
pub const SUPPORTED_VERSIONS: &[u32] = &[1, 2, 3, 4, 5, 6, 7];

/// The first contract version whose gateways wait for the hub's receipts.
pub const RECEIPTS_SINCE: u32 = 2;

/// The first contract version whose gateways take `down/opt_outs`.
pub const OPT_OUTS_SINCE: u32 = 3;

/// The first contract version with the `unknown` send state.
pub const UNKNOWN_STATE_SINCE: u32 = 3;

/// The first contract version whose gateways take `down/campaign` and `down/campaign_halt`.
pub const CAMPAIGNS_SINCE: u32 = 4;

/// The first contract version whose gateways say why they refused a recipient
/// ([`Status::refused`](crate::Status::refused)).
pub const REFUSALS_SINCE: u32 = 5;

/// The first contract version whose gateways let a conversation's `send` pass the pushed
/// opt-outs ([`Send::conversation`](crate::Send::conversation)).
pub const CONVERSATIONS_SINCE: u32 = 7;

/// Whether a peer announcing `versions` speaks version `since` or later.
pub fn speaks(versions: &[u32], since: u32) -> bool {
    versions.iter().any(|&v| v >= since)
}

/// Whether a gateway announcing `versions` (in its retained `state`) waits for a receipt of
/// every up message. An empty list means "not known yet": the hub then sends receipts, since a
/// version-1 gateway merely ignores an extra `down/ack` while a version-2 gateway would stall
/// without it.
pub fn wants_receipts(versions: &[u32]) -> bool {
    versions.is_empty() || versions.iter().any(|&v| v >= RECEIPTS_SINCE)
}

/// The version both sides speak: the highest one present in both lists, or `None` when the
/// lists have nothing in common (the hub then refuses to send commands to that gateway).
pub fn negotiate(ours: &[u32], theirs: &[u32]) -> Option<u32> {
    ours.iter().filter(|v| theirs.contains(v)).max().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_common_version_wins() {
        assert_eq!(negotiate(&[1, 2, 3], &[2, 3, 4]), Some(3));
    }

    #[test]
    fn an_old_gateway_gets_the_old_version() {
        assert_eq!(negotiate(&[1, 2], &[1]), Some(1));
    }

    #[test]
    fn only_gateways_known_to_speak_version_one_alone_go_without_receipts() {
        assert!(wants_receipts(&[1, 2]));
        assert!(wants_receipts(&[2]));
        assert!(wants_receipts(&[]), "an unknown gateway gets receipts");
        assert!(!wants_receipts(&[1]));
    }

    #[test]
    fn disjoint_version_lists_do_not_negotiate() {
        assert_eq!(negotiate(&[2], &[1]), None);
        assert_eq!(negotiate(&[1], &[]), None);
    }
}
