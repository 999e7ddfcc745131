//! Bulk-send history: what each bulk send was (date, channel, campaign, text) and what
//! happened to each of its numbers — queued then sent / delivered / failed as the gateway
//! reports, "Ignored" for a number given twice, opted out. Read by whoever may start
//! conversations (a `user` sees the bulk sends it wrote).

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Hub;
use super::error::{HubError, found};
use crate::authz::{self, Action, Actor};
use crate::model::*;
use crate::store::{Page, PageRequest, TextFilter};

/// A bulk send with its delivery counts now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BulkSummary {
    #[serde(flatten)]
    pub send: BulkSend,
    /// Messages not settled yet (queued at the hub or on the gateway, or `unknown`).
    pub pending: u64,
    /// Sent, no delivery report yet.
    pub sent: u64,
    pub delivered: u64,
    /// Failed, expired or cancelled.
    pub failed: u64,
}

/// A bulk send and every recipient, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BulkDetail {
    #[serde(flatten)]
    pub summary: BulkSummary,
    pub results: Vec<BulkRecipientView>,
}

fn summary(send: BulkSend, states: &[(MessageState, u64)]) -> BulkSummary {
    let mut s = BulkSummary {
        send,
        pending: 0,
        sent: 0,
        delivered: 0,
        failed: 0,
    };
    for (state, n) in states {
        match state {
            MessageState::Sent => s.sent += n,
            MessageState::Delivered => s.delivered += n,
            MessageState::Failed | MessageState::Expired | MessageState::Cancelled => s.failed += n,
            // `unknown` (may have gone out; an operator or the network's evidence settles it)
            // is not final yet.
            MessageState::Queued
            | MessageState::Accepted
            | MessageState::Received
            | MessageState::Unknown => s.pending += n,
        }
    }
    s
}

impl Hub {
    /// Bulk sends in the caller's scope, newest first.
    pub fn list_bulk_sends(
        &self,
        actor: &Actor,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<BulkSummary>, HubError> {
        let scope = authz::scope(actor, Action::StartConversation)?;
        let mut tx = self.read()?;
        let p = tx.bulk().bulk_sends(&scope, filter, page)?;
        let ids: Vec<Uuid> = p.items.iter().map(|b| b.id).collect();
        let mut states = tx.bulk().bulk_states(&scope, &ids)?;
        Ok(Page {
            items: p
                .items
                .into_iter()
                .map(|b| {
                    let st = states.remove(&b.id).unwrap_or_default();
                    summary(b, &st)
                })
                .collect(),
            next: p.next,
        })
    }

    /// One bulk send with every recipient's result.
    pub fn bulk_send_detail(&self, actor: &Actor, id: Uuid) -> Result<BulkDetail, HubError> {
        let scope = authz::scope(actor, Action::StartConversation)?;
        let mut tx = self.read()?;
        let send = found(tx.bulk().bulk_send(&scope, id)?)?;
        let results = tx.bulk().bulk_recipients(&scope, id)?;
        let mut states: Vec<(MessageState, u64)> = Vec::new();
        for r in &results {
            if let Some(s) = r.state {
                match states.iter_mut().find(|(st, _)| *st == s) {
                    Some((_, n)) => *n += 1,
                    None => states.push((s, 1)),
                }
            }
        }
        Ok(BulkDetail {
            summary: summary(send, &states),
            results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_counts_failed_expired_and_cancelled_as_failed_and_queued_as_pending() {
        let send = BulkSend {
            id: Uuid::nil(),
            org_id: Uuid::nil(),
            channel_id: Uuid::nil(),
            campaign: "c".into(),
            text: "t".into(),
            author_id: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            recipients: 9,
            queued: 9,
            duplicates: 0,
            opted_out: 0,
        };
        let s = summary(
            send,
            &[
                (MessageState::Queued, 1),
                (MessageState::Accepted, 1),
                (MessageState::Sent, 2),
                (MessageState::Delivered, 2),
                (MessageState::Failed, 1),
                (MessageState::Expired, 1),
                (MessageState::Cancelled, 1),
            ],
        );
        assert_eq!((s.pending, s.sent, s.delivered, s.failed), (2, 2, 2, 3));
    }
}
