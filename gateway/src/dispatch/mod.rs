//! One dispatcher per group: it peeks the group's queue and hands each message to a port chosen
//! by the group strategy ([`crate::schedule::strategy::PortPicker`]) among the ports that are
//! idle (paced), available (registered, not benched) and under their per-SIM caps, inside the
//! group's sending hours. The port's worker then claims the message atomically
//! (`SpoolDb::claim`), so a hint that races with another group or a restart is harmless.
//!
//! Sticky groups keep a recipient on its home SIM while that SIM is available, waiting for it
//! to finish its interval rather than hopping to another port.
//!
//! [`failover`]: the failover rule — a message that failed on a port goes to another port of
//! its group first (see the module for the rule).
//!
//! [`live`]: the group settings that may change at run time (pacing, caps, sending hours) —
//! a dispatcher given [`GroupDispatcher::with_settings`] takes its group's current settings
//! before every round.

pub mod failover;
pub mod live;

use crate::clock::Clock;
use crate::ports::{Board, Job, PortCommand};
use crate::schedule::caps::{self, CapDecision, Caps};
use crate::schedule::hours::{self, HoursDecision};
use crate::schedule::pacing::{PaceRule, port_rules};
use crate::schedule::strategy::PortPicker;
use crate::spool::{Spool, WindowCounts};
use smsgate_config::gateway::{GroupConfig, Strategy};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Longest wait between two looks at the queue (retry times; new submissions wake it through
/// the spool's news).
pub const TICK: Duration = Duration::from_millis(100);
/// A message handed to a port is not handed out again for this long (the port claims it at once).
pub const HINT_HOLD: Duration = Duration::from_secs(2);

/// The dispatcher of one group.
pub struct GroupDispatcher {
    group: GroupConfig,
    picker: PortPicker,
    board: Board,
    senders: BTreeMap<u16, mpsc::Sender<PortCommand>>,
    spool: Spool,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
    hinted: HashMap<i64, Instant>,
    settings: Option<watch::Receiver<Vec<GroupConfig>>>,
    /// Every port's pacing: the strictest rule of the groups that include it (all groups when
    /// the dispatcher follows the run-time settings, else its own).
    rules: BTreeMap<u16, PaceRule>,
}

impl GroupDispatcher {
    /// A dispatcher for `group` over the workers' command senders.
    pub fn new(
        group: GroupConfig,
        board: Board,
        senders: BTreeMap<u16, mpsc::Sender<PortCommand>>,
        spool: Spool,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            picker: PortPicker::new(group.strategy, group.ports.ports()),
            board,
            senders,
            spool,
            clock,
            shutdown,
            rules: port_rules([&group]),
            group,
            hinted: HashMap::new(),
            settings: None,
        }
    }

    /// Follows the run-time settings of its group (by name) in `settings`: pacing, caps and
    /// sending hours apply from the next round (its ports and strategy stay as built).
    pub fn with_settings(mut self, settings: watch::Receiver<Vec<GroupConfig>>) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Takes the group's latest run-time settings, if they changed.
    fn refresh(&mut self) {
        let Some(rx) = &mut self.settings else {
            return;
        };
        // Not `has_changed`: the `changed()` that woke the loop has already marked the value seen.
        let latest = rx.borrow_and_update();
        if let Some(g) = latest.iter().find(|g| g.name == self.group.name) {
            let (ports, strategy) = (self.group.ports.clone(), self.group.strategy);
            self.group = g.clone();
            self.group.ports = ports;
            self.group.strategy = strategy;
        }
        let own = &self.group;
        self.rules = port_rules(
            latest
                .iter()
                .map(|g| if g.name == own.name { own } else { g })
                .chain((!latest.iter().any(|g| g.name == own.name)).then_some(own)),
        );
    }

    /// Runs until shutdown.
    pub async fn run(mut self) {
        let mut changes = self.board.subscribe();
        // A submission (or a campaign release) commits an outbox event: the round runs at
        // once instead of at the next tick.
        let mut news = self.spool.news();
        while !self.shutdown.is_cancelled() {
            self.refresh();
            let now = self.clock.now();
            let wait = match hours::check(self.group.sending_hours, self.group.timezone.0, now) {
                HoursDecision::ClosedUntil(t) => (t - now)
                    .to_std()
                    .unwrap_or(TICK)
                    .min(Duration::from_secs(1)),
                HoursDecision::Open => {
                    if let Err(e) = self.round().await {
                        tracing::error!(group = self.group.name, error = %e, "dispatch round failed");
                    }
                    TICK
                }
            };
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                _ = changes.changed() => {}
                r = news.changed() => if r.is_err() { break },
                _ = settings_changed(&mut self.settings) => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One look at the queue: hands out as many messages as there are idle ports.
    async fn round(&mut self) -> Result<(), crate::spool::SpoolError> {
        let snapshot = self.board.snapshot();
        // Settings changed before the board state just read are in this round.
        self.refresh();
        let ports: Vec<u16> = self.group.ports.ports().to_vec();
        let idle: BTreeSet<u16> = ports
            .iter()
            .copied()
            .filter(|p| snapshot.get(p).is_some_and(|s| s.idle && s.available))
            .collect();
        if idle.is_empty() {
            return Ok(());
        }
        let t = Instant::now();
        self.hinted
            .retain(|_, at| t.duration_since(*at) < HINT_HOLD);

        let caps = Caps::from(&self.group);
        let capped = caps.hour.is_some() || caps.day.is_some() || caps.month.is_some();
        let now = self.clock.now();
        let tz = self.group.timezone.0;
        let mut counts: BTreeMap<u16, WindowCounts> = BTreeMap::new();
        let mut exhausted: BTreeSet<u16> = BTreeSet::new();
        if capped || self.group.strategy == Strategy::LeastUsed {
            let keys = caps::window_keys(now, tz);
            for p in &ports {
                let Some(slot) = snapshot.get(p).filter(|s| s.available) else {
                    continue;
                };
                let Some(sim) = slot.sim.clone() else {
                    // Caps count per SIM: a SIM without identity cannot be capped, so it waits.
                    if capped {
                        exhausted.insert(*p);
                    }
                    continue;
                };
                let keys = keys.clone();
                let c = self
                    .spool
                    .call(move |db| db.sim_counts(&sim, &keys))
                    .await?;
                if capped && caps::check(c, caps, now, tz) != CapDecision::Allowed {
                    exhausted.insert(*p);
                }
                counts.insert(*p, c);
            }
        }
        let mut free: BTreeSet<u16> = idle.difference(&exhausted).copied().collect();
        if free.is_empty() {
            return Ok(());
        }
        let limit = u32::try_from(free.len() * 4).unwrap_or(u32::MAX).max(16);
        let name = self.group.name.clone();
        let queued = self
            .spool
            .call(move |db| db.peek_queued(&name, limit))
            .await?;
        for m in queued {
            if free.is_empty() {
                break;
            }
            // The failover rule: ports that failed this message come last.
            let failures = self.board.failures(m.id);
            if let Some(hinted_at) = self.hinted.get(&m.id) {
                // Held while its port claims it; a port that failed it since let it go.
                if failures.as_ref().is_none_or(|f| f.at < *hinted_at) {
                    continue;
                }
                self.hinted.remove(&m.id);
            }
            let pinned = (m.port != u16::MAX).then_some(m.port);
            let could = |p: u16| {
                snapshot.get(&p).is_some_and(|s| s.available)
                    && !exhausted.contains(&p)
                    && pinned.is_none_or(|q| q == p)
            };
            let others = failures
                .as_ref()
                .is_some_and(|f| ports.iter().any(|p| !f.ports.contains(p) && could(*p)));
            let available =
                |p: u16| could(p) && failover::may_take(failures.as_ref(), p, t, others);
            let used = |p: u16| counts.get(&p).map_or(0, |c| c.day);
            let choice = if self.group.strategy == Strategy::Sticky {
                self.picker
                    .pick(&m.to, available, used)
                    .filter(|p| free.contains(p))
            } else {
                self.picker
                    .pick(&m.to, |p| available(p) && free.contains(&p), used)
            };
            let Some(port) = choice else {
                continue;
            };
            free.remove(&port);
            if !self.board.reserve(port) {
                continue;
            }
            let Some(tx) = self.senders.get(&port) else {
                continue;
            };
            let rule = self.rules.get(&port).copied().unwrap_or(PaceRule {
                interval_ms: self.group.interval_ms,
                jitter_ms: self.group.jitter_ms,
            });
            let job = Job {
                id: m.id,
                group: self.group.name.clone(),
                tz,
                interval_ms: rule.interval_ms,
                jitter_ms: rule.jitter_ms,
            };
            if tx.try_send(PortCommand::Send(job)).is_ok() {
                self.hinted.insert(m.id, t);
            }
        }
        Ok(())
    }
}

/// Resolves when `settings` changed; never without settings (or once their sender is gone).
async fn settings_changed(settings: &mut Option<watch::Receiver<Vec<GroupConfig>>>) {
    match settings {
        Some(rx) => {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}
