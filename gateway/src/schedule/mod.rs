//! Pure, I/O-free scheduling state machines; every decision takes `now` as input.
//!
//! - [`strategy`]: which port of a group takes the next message (round-robin over the group's
//!   sequence, least-used by counters, sticky by recipient hash with fallback).
//! - [`pacing`]: per-port interval between ANY two submissions (each `AT+CMGS` part, each
//!   Dinstar HTTP send; from the END of one to the START of the next; the largest interval of
//!   the port's groups) plus optional jitter from an injected [`pacing::JitterSource`].
//! - [`caps`]: per-SIM hour/day/month windows (keys for the persisted counters) and cap checks.
//! - [`hours`]: allowed sending hours in a time zone; outside them messages wait (never fail).
//! - [`bench`]: port availability; failing ports are benched with exponential backoff.

pub mod bench;
pub mod caps;
pub mod hours;
pub mod pacing;
pub mod precise;
pub mod strategy;
