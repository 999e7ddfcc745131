//! Storage of bulk-send history: one record per bulk send (who, when, channel, campaign, text,
//! counts) and one row per recipient in request order (the number, what happened to it, the
//! message it became). Delivery states are not copied: they are read live from the message,
//! so the history always shows the latest report.
//!
//! Reached through [`super::ReadTx::bulk`] / [`super::WriteTx::bulk_mut`]. Every method takes a
//! [`Scope`]: a personal scope (a `user`) sees only the bulk sends it wrote.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Page, PageRequest, StoreError, TextFilter};
use crate::authz::Scope;
use crate::model::{BulkRecipientView, BulkResult, BulkSend, MessageState};

pub trait BulkRead {
    /// Bulk sends in scope, newest first; `q` searches the campaign and the text.
    fn bulk_sends(
        &mut self,
        scope: &Scope,
        filter: &TextFilter,
        page: &PageRequest,
    ) -> Result<Page<BulkSend>, StoreError>;
    fn bulk_send(&mut self, scope: &Scope, id: Uuid) -> Result<Option<BulkSend>, StoreError>;
    /// Recipients of a bulk send in request order, with their message's current state.
    fn bulk_recipients(
        &mut self,
        scope: &Scope,
        id: Uuid,
    ) -> Result<Vec<BulkRecipientView>, StoreError>;
    /// Per bulk send, how many of its messages are in each state.
    fn bulk_states(
        &mut self,
        scope: &Scope,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<(MessageState, u64)>>, StoreError>;
}

pub trait BulkWrite {
    /// Records a bulk send and its recipients (in the send's transaction).
    fn insert_bulk_send(
        &mut self,
        scope: &Scope,
        send: &BulkSend,
        recipients: &[BulkResult],
    ) -> Result<(), StoreError>;
}
