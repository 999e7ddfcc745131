//! The gateway's recent log lines, kept in memory for the box UI (diagnostics screen, support
//! bundle): a bounded ring ([`LogRing`], the last [`CAPACITY`] lines) fed by a
//! `tracing_subscriber` layer ([`LogRing::layer`]) that the binary adds to its subscriber
//! beside the stderr writer and hands to [`crate::run_logged`] — no global state.
//!
//! **A secret never reaches the ring:** a field whose name says secret (`pin`, `*password*`,
//! `*token*`, `*secret*`, as the support bundle decides) is kept as `********`; in the message
//! and every other value, passwords in URLs, `password=…`/`token: …`-style pairs, a `Bearer`
//! credential and AT PIN/password commands (the AT log's [`redact`]) are masked.

use crate::clock::{Clock, SystemClock};
use crate::ports::atlog::redact;
use crate::ui::bundle::{MASK, is_secret_key, mask_url_password};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;

/// Lines kept.
pub const CAPACITY: usize = 500;
/// Longest line kept (characters); longer ones are cut and end with `…`.
pub const MAX_LINE: usize = 1000;

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LogLine {
    /// Grows by one per line (a client asks for lines after the last it has).
    pub seq: u64,
    /// When it was logged.
    pub at: DateTime<Utc>,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub level: String,
    /// The module that logged it.
    pub target: String,
    /// The message and its fields (`message key=value …`), secrets masked.
    pub text: String,
}

struct Ring {
    lines: VecDeque<LogLine>,
    next: u64,
}

/// The recent log lines (cheap to clone: one shared ring).
#[derive(Clone)]
pub struct LogRing {
    ring: Arc<Mutex<Ring>>,
    clock: Arc<dyn Clock>,
    capacity: usize,
}

impl std::fmt::Debug for LogRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogRing")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for LogRing {
    fn default() -> Self {
        Self::new(CAPACITY, Arc::new(SystemClock))
    }
}

impl LogRing {
    /// An empty ring of `capacity` lines, time-stamped by `clock`.
    pub fn new(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            ring: Arc::new(Mutex::new(Ring {
                lines: VecDeque::with_capacity(capacity.min(64)),
                next: 1,
            })),
            clock,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps one line (its text masked and cut here).
    pub fn push(&self, level: &str, target: &str, text: &str) {
        let text = cut(&redact_text(text));
        let at = self.clock.now();
        let mut r = self.lock();
        let seq = r.next;
        r.next += 1;
        if r.lines.len() == self.capacity {
            r.lines.pop_front();
        }
        r.lines.push_back(LogLine {
            seq,
            at,
            level: level.to_owned(),
            target: target.to_owned(),
            text,
        });
    }

    /// The kept lines with `seq > after`, oldest first.
    pub fn since(&self, after: u64) -> Vec<LogLine> {
        self.lock()
            .lines
            .iter()
            .filter(|l| l.seq > after)
            .cloned()
            .collect()
    }

    /// The layer that feeds this ring.
    pub fn layer(&self) -> LogLayer {
        LogLayer { ring: self.clone() }
    }
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

fn secret_word(w: &str) -> bool {
    let k = w
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .to_ascii_lowercase();
    !k.is_empty() && is_secret_key(&k)
}

/// `text` with its secrets masked: URL passwords, `secret=value` / `secret: value` pairs,
/// `Bearer <credential>`, and AT PIN/password commands.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut mask_next = false;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if mask_next && !word.is_empty() {
            out.push_str(MASK);
            mask_next = false;
            continue;
        }
        if word.eq_ignore_ascii_case("bearer") {
            out.push_str(word);
            mask_next = true;
            continue;
        }
        if let Some(j) = word.find(['=', ':']) {
            let (key, rest) = word.split_at(j);
            if secret_word(key) && !rest.starts_with("://") {
                if rest.len() > 1 {
                    let _ = write!(out, "{key}{}{MASK}", &rest[..1]);
                } else {
                    out.push_str(word);
                    mask_next = true;
                }
                continue;
            }
        }
        if word.contains("://") {
            out.push_str(&mask_url_password(word));
        } else {
            // An AT command is one word (`AT+CPIN="1234"`, `AT+CLCK="SC",1,"1234"`).
            out.push_str(&redact(word));
        }
    }
    out
}

/// Feeds a [`LogRing`] (add it to the subscriber with `.with(ring.layer())`).
#[derive(Debug, Clone)]
pub struct LogLayer {
    ring: LogRing,
}

#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn field(&mut self, name: &str, value: &str) {
        if name == "message" {
            self.message.push_str(value);
            return;
        }
        let value = if is_secret_key(name) { MASK } else { value };
        let _ = write!(self.fields, " {name}={value}");
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.field(field.name(), &format!("{value:?}"));
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = Line::default();
        event.record(&mut line);
        let meta = event.metadata();
        line.message.push_str(&line.fields);
        self.ring
            .push(meta.level().as_str(), meta.target(), &line.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[test]
    fn secrets_in_fields_messages_urls_and_at_commands_are_masked_and_the_rest_kept() {
        let ring = LogRing::default();
        let sub = tracing_subscriber::registry().with(ring.layer());
        tracing::subscriber::with_default(sub, || {
            tracing::info!(pin = "4321", port = 3, "port settings changed");
            tracing::warn!(password = %"mqtt-pass-1", url = "mqtt://gw:urlpass@hub:1883", "link");
            tracing::info!("login with password=hunter22 token: tok-998877 Bearer abc.def");
            tracing::error!(cmd = "AT+CPIN=8642", "modem refused");
        });
        let lines = ring.since(0);
        assert_eq!(lines.len(), 4);
        let all: String = lines.iter().map(|l| format!("{}\n", l.text)).collect();
        for secret in [
            "4321",
            "mqtt-pass-1",
            "urlpass",
            "hunter22",
            "tok-998877",
            "abc.def",
            "8642",
        ] {
            assert!(!all.contains(secret), "{secret} in {all}");
        }
        for kept in [
            "port settings changed",
            "port=3",
            "mqtt://gw:",
            "@hub:1883",
            "AT+CPIN=",
            "login with",
        ] {
            assert!(all.contains(kept), "{kept} not in {all}");
        }
        assert_eq!(lines[3].level, "ERROR");
        assert_eq!(lines[0].seq, 1);
    }

    #[test]
    fn the_ring_keeps_the_last_lines_and_reads_after_a_sequence_number() {
        let ring = LogRing::new(3, Arc::new(SystemClock));
        for i in 0..5 {
            ring.push("INFO", "t", &format!("line {i}"));
        }
        let texts: Vec<String> = ring.since(0).into_iter().map(|l| l.text).collect();
        assert_eq!(texts, ["line 2", "line 3", "line 4"]);
        assert_eq!(ring.since(4).len(), 1);
        let long = "x".repeat(MAX_LINE + 10);
        ring.push("INFO", "t", &long);
        assert!(ring.since(5)[0].text.ends_with('…'));
    }
}
