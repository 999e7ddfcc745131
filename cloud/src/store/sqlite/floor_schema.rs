//! Migration 4: the floor domains (issue 13). Timestamps are stored in the form of
//! [`super::read::ts`] (`YYYY-MM-DD HH:MM:SS.f+00:00`), so they compare as text.
//!
//! `unseen_episodes` and `interaction_status_log` are kept by triggers on `interactions`: a
//! live conversation that is `waiting` and unread has exactly one open episode; a status change
//! is logged with the assignee of that moment.

pub const V4: &str = r#"
CREATE TABLE queue_routing (
    queue_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, doc TEXT NOT NULL,
    rr_last TEXT);
CREATE TABLE channel_hours (
    channel_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE agent_status (
    user_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, status TEXT NOT NULL,
    since TEXT NOT NULL);
CREATE TABLE auto_replies (
    interaction_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE system_messages (
    message_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE notification_settings (
    org_id TEXT PRIMARY KEY, enabled INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE notification_marks (
    episode_id INTEGER NOT NULL, level INTEGER NOT NULL, org_id TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (episode_id, level));
CREATE TABLE notification_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, org_id TEXT NOT NULL,
    at TEXT NOT NULL, message_id TEXT, doc TEXT NOT NULL);
CREATE INDEX notification_log_org ON notification_log(org_id, seq);
CREATE TABLE notify_contacts (
    user_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE notes (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, interaction_id TEXT NOT NULL, created_at TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX notes_interaction ON notes(interaction_id, created_at);
CREATE TABLE interaction_labels (
    interaction_id TEXT NOT NULL, org_id TEXT NOT NULL, label TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (interaction_id, label));
CREATE INDEX interaction_labels_org ON interaction_labels(org_id, label);
CREATE TABLE canned_replies (
    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, queue_id TEXT, created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX canned_replies_org ON canned_replies(org_id);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, org_id TEXT NOT NULL,
    at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX audit_log_org ON audit_log(org_id, seq);

CREATE TABLE unseen_episodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, org_id TEXT NOT NULL,
    since TEXT NOT NULL, ended_at TEXT);
CREATE UNIQUE INDEX unseen_episodes_open ON unseen_episodes(interaction_id) WHERE ended_at IS NULL;
CREATE INDEX unseen_episodes_org ON unseen_episodes(org_id, since);
CREATE TABLE interaction_status_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, org_id TEXT NOT NULL,
    to_status TEXT NOT NULL, assignee_id TEXT, at TEXT NOT NULL);
CREATE INDEX interaction_status_log_org ON interaction_status_log(org_id, at);
CREATE INDEX interaction_status_log_i ON interaction_status_log(interaction_id);
CREATE INDEX messages_org_created ON messages(org_id, created_at);

CREATE TRIGGER interactions_floor_insert AFTER INSERT ON interactions BEGIN
    INSERT INTO unseen_episodes (interaction_id, org_id, since)
        SELECT NEW.id, NEW.org_id, NEW.updated_at
        WHERE NEW.live = 1 AND NEW.status = 'waiting' AND json_extract(NEW.doc, '$.read') = 0;
    INSERT INTO interaction_status_log (interaction_id, org_id, to_status, assignee_id, at)
        VALUES (NEW.id, NEW.org_id, NEW.status, NEW.assignee_id, NEW.updated_at);
END;
CREATE TRIGGER interactions_floor_update AFTER UPDATE ON interactions BEGIN
    UPDATE unseen_episodes SET ended_at = NEW.updated_at
        WHERE interaction_id = NEW.id AND ended_at IS NULL
        AND NOT (NEW.live = 1 AND NEW.status = 'waiting' AND json_extract(NEW.doc, '$.read') = 0);
    INSERT INTO unseen_episodes (interaction_id, org_id, since)
        SELECT NEW.id, NEW.org_id, NEW.updated_at
        WHERE NEW.live = 1 AND NEW.status = 'waiting' AND json_extract(NEW.doc, '$.read') = 0
        AND NOT EXISTS (SELECT 1 FROM unseen_episodes WHERE interaction_id = NEW.id AND ended_at IS NULL);
    INSERT INTO interaction_status_log (interaction_id, org_id, to_status, assignee_id, at)
        SELECT NEW.id, NEW.org_id, NEW.status, NEW.assignee_id, NEW.updated_at
        WHERE NEW.status <> OLD.status;
END;
CREATE TRIGGER interactions_floor_delete AFTER DELETE ON interactions BEGIN
    DELETE FROM unseen_episodes WHERE interaction_id = OLD.id;
    DELETE FROM interaction_status_log WHERE interaction_id = OLD.id;
    DELETE FROM notes WHERE interaction_id = OLD.id;
    DELETE FROM interaction_labels WHERE interaction_id = OLD.id;
    DELETE FROM auto_replies WHERE interaction_id = OLD.id;
END;
CREATE TRIGGER orgs_floor_delete AFTER DELETE ON orgs BEGIN
    DELETE FROM queue_routing WHERE org_id = OLD.id;
    DELETE FROM channel_hours WHERE org_id = OLD.id;
    DELETE FROM agent_status WHERE org_id = OLD.id;
    DELETE FROM auto_replies WHERE org_id = OLD.id;
    DELETE FROM system_messages WHERE org_id = OLD.id;
    DELETE FROM notification_settings WHERE org_id = OLD.id;
    DELETE FROM notification_marks WHERE org_id = OLD.id;
    DELETE FROM notification_log WHERE org_id = OLD.id;
    DELETE FROM notify_contacts WHERE org_id = OLD.id;
    DELETE FROM canned_replies WHERE org_id = OLD.id;
END;
CREATE TRIGGER queues_floor_delete AFTER DELETE ON queues BEGIN
    DELETE FROM queue_routing WHERE queue_id = OLD.id;
    DELETE FROM canned_replies WHERE queue_id = OLD.id;
END;
"#;

/// Migration 7: an agent's presence has an optional away reason, and every chosen status is
/// logged (`agent_status_log`, kept by triggers on `agent_status`, so no code path can forget
/// it) for the time-away figures of the agent report. The statuses already set are logged
/// as of their `since`.
pub const V7: &str = r#"
ALTER TABLE agent_status ADD COLUMN reason TEXT;
CREATE TABLE agent_status_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, org_id TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT, at TEXT NOT NULL);
CREATE INDEX agent_status_log_org ON agent_status_log(org_id, at);
CREATE INDEX agent_status_log_user ON agent_status_log(user_id, at);
INSERT INTO agent_status_log (user_id, org_id, status, reason, at)
    SELECT user_id, org_id, status, NULL, since FROM agent_status;
CREATE TRIGGER agent_status_logged_insert AFTER INSERT ON agent_status BEGIN
    INSERT INTO agent_status_log (user_id, org_id, status, reason, at)
        VALUES (NEW.user_id, NEW.org_id, NEW.status, NEW.reason, NEW.since);
END;
CREATE TRIGGER agent_status_logged_update AFTER UPDATE ON agent_status BEGIN
    INSERT INTO agent_status_log (user_id, org_id, status, reason, at)
        VALUES (NEW.user_id, NEW.org_id, NEW.status, NEW.reason, NEW.since);
END;
CREATE TRIGGER orgs_agent_status_log_delete AFTER DELETE ON orgs BEGIN
    DELETE FROM agent_status_log WHERE org_id = OLD.id;
END;
"#;
