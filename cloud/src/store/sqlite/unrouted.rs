//! Migration 8: inbound messages no channel took, kept with their text
//! ([`crate::model::UnroutedInbound`]; platform records, like gateways).

pub const V8: &str = r#"
CREATE TABLE unrouted_inbound (
    id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX unrouted_inbound_created ON unrouted_inbound(created_at, id);
"#;
