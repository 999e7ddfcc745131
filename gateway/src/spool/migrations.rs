//! Versioned schema: `PRAGMA user_version` holds how many entries of [`MIGRATIONS`] have been
//! applied; each pending one runs in its own transaction together with the version bump.
//! Migrations are append-only: never edit a released entry, add a new one.

use super::SpoolError;
use rusqlite::Connection;

/// Ordered SQL migrations; index + 1 = schema version after applying it.
pub const MIGRATIONS: &[&str] = &[
    // 1: initial schema. Times are unix milliseconds (UTC).
    r#"
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    grp             TEXT    NOT NULL,
    pinned_port     INTEGER,
    priority        INTEGER NOT NULL DEFAULT 0,
    campaign        TEXT,
    idempotency_key TEXT UNIQUE,
    state           TEXT    NOT NULL,
    error           TEXT,
    port            INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    sent_at         INTEGER,
    done_at         INTEGER
);
CREATE INDEX messages_queue ON messages (grp, priority DESC, id) WHERE state = 'queued';
CREATE INDEX messages_state ON messages (state);

CREATE TABLE parts (
    message_id  INTEGER NOT NULL REFERENCES messages (id),
    seq         INTEGER NOT NULL,
    port        INTEGER NOT NULL,
    reference   INTEGER,
    state       TEXT    NOT NULL,
    error       TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (message_id, seq)
);
CREATE INDEX parts_reference ON parts (port, reference) WHERE state = 'sent';

CREATE TABLE inbound (
    id          INTEGER PRIMARY KEY,
    sender      TEXT    NOT NULL,
    port        INTEGER NOT NULL,
    sim         TEXT,
    text        TEXT    NOT NULL,
    keyword     TEXT,
    sent_at     INTEGER,
    received_at INTEGER NOT NULL
);

CREATE TABLE delivery_reports (
    id          INTEGER PRIMARY KEY,
    port        INTEGER NOT NULL,
    reference   INTEGER NOT NULL,
    recipient   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    message_id  INTEGER,
    part_seq    INTEGER,
    received_at INTEGER NOT NULL
);

CREATE TABLE sim_counters (
    sim     TEXT    NOT NULL,
    window  TEXT    NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (sim, window)
);

CREATE TABLE blocklist (
    number   TEXT NOT NULL,
    campaign TEXT NOT NULL DEFAULT '',
    added_at INTEGER NOT NULL,
    PRIMARY KEY (number, campaign)
);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
"#,
    // 2: find an inbound SMS read again after a crash between its commit and its deletion
    // from the SIM (same port, sender, SMSC time stamp and text = the same message).
    r#"
CREATE INDEX inbound_dedupe ON inbound (port, sender, sent_at);
"#,
    // 3: do-not-contact entries also match other written forms of the number (national
    // `098344484` vs international `+59898344484`) through their last 8 digits.
    r#"
ALTER TABLE blocklist ADD COLUMN tail TEXT NOT NULL DEFAULT '';
UPDATE blocklist SET tail = substr(replace(number, '+', ''), -8);
CREATE INDEX blocklist_tail ON blocklist (tail);
"#,
    // 4: evidence. The delivery report that settled an `unknown` message, and the candidate
    // messages of a report that fits several (for the operator).
    r#"
ALTER TABLE messages ADD COLUMN evidence TEXT;
CREATE TABLE report_candidates (
    report_id  INTEGER NOT NULL REFERENCES delivery_reports (id),
    message_id INTEGER NOT NULL,
    PRIMARY KEY (report_id, message_id)
);
CREATE INDEX report_candidates_message ON report_candidates (message_id);
CREATE INDEX messages_unknown_port ON messages (port) WHERE state = 'unknown';
CREATE INDEX messages_sent_at ON messages (sent_at) WHERE state = 'sent';
"#,
    // 5: opt-outs pushed by the hub (`down/opt_outs`), per tenant, numbers in E.164; the
    // version of each tenant's list held here, the ports carrying its channels and the country
    // recipients are read in.
    r#"
CREATE TABLE hub_opt_out_lists (
    tenant     TEXT    PRIMARY KEY,
    version    INTEGER NOT NULL,
    ports      TEXT    NOT NULL,
    country    TEXT,
    updated_at INTEGER NOT NULL
);
CREATE TABLE hub_opt_outs (
    tenant TEXT NOT NULL,
    number TEXT NOT NULL,
    PRIMARY KEY (tenant, number)
);
"#,
    // 6: campaign slices the hub handed over (`down/campaign`, contract version 4), sent by
    // the gateway on its own inside their windows: one row per (campaign, port) with its pace,
    // and one per recipient keyed by the hub's message id (held → released → done, or
    // withdrawn / expired), in arrival order (rowid).
    r#"
CREATE TABLE campaign_slices (
    campaign     TEXT    NOT NULL,
    port         INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    grp          TEXT    NOT NULL,
    interval_ms  INTEGER NOT NULL,
    priority     INTEGER NOT NULL,
    windows      TEXT    NOT NULL,
    expires_at   INTEGER,
    halted       INTEGER NOT NULL DEFAULT 0,
    last_release INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (campaign, port)
);
CREATE TABLE campaign_items (
    message_id TEXT    PRIMARY KEY,
    campaign   TEXT    NOT NULL,
    port       INTEGER NOT NULL,
    command    TEXT    NOT NULL,
    recipient  TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    spool_id   INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX campaign_items_held ON campaign_items (campaign, port) WHERE state = 'held';
CREATE INDEX campaign_items_released ON campaign_items (campaign, port) WHERE state = 'released';
"#,
    // 7 (issue 14): parts of routed (`+CMT`) multipart messages waiting for the rest, so a
    // crash between the parts loses nothing (stored parts wait on the SIM instead).
    r#"
CREATE TABLE routed_parts (
    id          INTEGER PRIMARY KEY,
    port        INTEGER NOT NULL,
    sender      TEXT    NOT NULL,
    reference   INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    data        BLOB    NOT NULL,
    encoding    TEXT    NOT NULL,
    sc_time     TEXT,
    received_at INTEGER NOT NULL
);
CREATE INDEX routed_parts_port ON routed_parts (port, id);
"#,
];

/// Applies pending migrations; returns the schema version now in force.
pub fn migrate(conn: &mut Connection) -> Result<usize, SpoolError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        return Err(SpoolError::SchemaTooNew {
            found: current,
            known: MIGRATIONS.len(),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(MIGRATIONS.len())
}
