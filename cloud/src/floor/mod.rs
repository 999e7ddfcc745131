//! The floor's rules, pure (no I/O, no clock of their own): queue strategies ([`assign`]),
//! opening and quiet hours ([`hours`]), agents' timed states ([`agents`]), their own presence
//! and time away ([`presence`]), the notification
//! planner ([`plan`]) and order statistics for reports ([`stats`]). The hub applies them inside
//! store transactions (`hub::floor`, `hub::notifications`, `hub::reports`).

pub mod agents;
pub mod assign;
pub mod hours;
pub mod plan;
pub mod presence;
pub mod records;
pub mod stats;
