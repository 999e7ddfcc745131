//! Campaigns (issue 12): scheduled bulk SMS of a tenant, executed by its gateways.
//!
//! - [`model`]: plain data (campaign, options, recipients and their states, counters);
//! - [`machine`]: the campaign state machine (pure);
//! - [`schedule`]: the schedule rule — dates, weekdays, hours, time zone (pure);
//! - [`template`]: `{{column}}` placeholders;
//! - [`import`]: recipients read as a stream from dialer CSV, column-mapped CSV or XLSX, and
//!   classified (E.164, duplicates, do-not-contact, opt-outs);
//! - [`ops`]: the hub operations (create, edit, start/pause/resume/stop, import, export);
//! - [`replies`]: a conversation answering a campaign message names the campaign;
//! - [`runner`]: the hand-over to the gateways; [`reports`]: what they report back;
//! - [`channels`]: a campaign's channel deleted under it.

pub mod channels;
pub mod export;
pub mod import;
pub mod machine;
pub mod model;
pub mod ops;
pub mod replies;
pub mod reports;
pub mod runner;
pub mod schedule;
pub mod template;
pub mod upload;

pub use model::*;
