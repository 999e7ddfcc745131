//! Edge gateway: SQLite spool, port pool and dispatcher, inbound and delivery reports, supervision, local HTTP API.
