//! Migration 6: campaigns (issue 12). Timestamps in the form of [`super::read::ts`].
//!
//! `campaign_recipients` is keyed by (campaign, upload order) without a rowid, so a
//! million-row upload appends to one b-tree; the waiting rows have a partial index in sending
//! order; `campaign_counts` holds the count per state, written by the store in the same
//! transaction as the rows.

pub const V6: &str = r#"
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), state TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX campaigns_org ON campaigns(org_id, created_at);
CREATE INDEX campaigns_state ON campaigns(state);
CREATE TABLE campaign_recipients (
    campaign_id TEXT NOT NULL, seq INTEGER NOT NULL, line INTEGER NOT NULL,
    number TEXT NOT NULL, text TEXT, vars TEXT NOT NULL, priority INTEGER NOT NULL,
    state TEXT NOT NULL, reason TEXT, import_id TEXT NOT NULL, message_id TEXT,
    channel_id TEXT, gateway_id TEXT, sent_at TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, seq)) WITHOUT ROWID;
CREATE INDEX campaign_recipients_waiting ON campaign_recipients(campaign_id, priority DESC, seq)
    WHERE state = 'to_process';
CREATE INDEX campaign_recipients_message ON campaign_recipients(message_id)
    WHERE message_id IS NOT NULL;
CREATE INDEX campaign_recipients_queued ON campaign_recipients(campaign_id, channel_id)
    WHERE state = 'queued';
CREATE INDEX campaign_recipients_sent ON campaign_recipients(campaign_id, sent_at)
    WHERE sent_at IS NOT NULL;
CREATE INDEX campaign_recipients_number ON campaign_recipients(number)
    WHERE message_id IS NOT NULL;
CREATE TABLE campaign_counts (
    campaign_id TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, state)) WITHOUT ROWID;
CREATE TABLE campaign_dnc (
    org_id TEXT NOT NULL REFERENCES orgs(id), number TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, number)) WITHOUT ROWID;
CREATE TABLE campaign_batches (
    id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, gateway_id TEXT NOT NULL,
    created_at TEXT NOT NULL, acked_at TEXT, payload TEXT NOT NULL);
CREATE INDEX campaign_batches_pending ON campaign_batches(gateway_id, created_at)
    WHERE acked_at IS NULL;
CREATE TRIGGER orgs_campaigns_delete AFTER DELETE ON orgs BEGIN
    DELETE FROM campaign_dnc WHERE org_id = OLD.id;
END;
"#;

/// Migration 9: a conversation that answered a campaign carries its id (and, in its document,
/// the campaign's name: kept current when the campaign is renamed, found through the index).
pub const V9: &str = r#"
ALTER TABLE interactions ADD COLUMN campaign_id TEXT;
CREATE INDEX interactions_campaign ON interactions(campaign_id) WHERE campaign_id IS NOT NULL;
"#;

/// The edge's list is the tenant's opt-outs and do-not-contact entries: the entries made
/// before it was (not opted out as well) enter the change log the gateways replay, after the
/// tenant's existing changes.
pub const V10: &str = r#"
INSERT INTO opt_out_changes (org_id, version, number, added, at)
    SELECT d.org_id,
           COALESCE((SELECT MAX(c.version) FROM opt_out_changes c WHERE c.org_id = d.org_id), 0)
               + ROW_NUMBER() OVER (PARTITION BY d.org_id ORDER BY d.created_at, d.number),
           d.number, 1, d.created_at
    FROM campaign_dnc d
    WHERE NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.org_id = d.org_id AND o.number = d.number);
"#;
