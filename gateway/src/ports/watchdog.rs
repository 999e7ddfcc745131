//! The watchdog of one port (pure): what the worker saw of the modem's answers goes in, what to
//! do about it comes out.
//!
//! ```text
//! healthy ──timed out──▶ suspect (probe: a bare AT with the short probe timeout)
//! suspect ──probe answered / any answer──▶ healthy
//! suspect ──probe unanswered──▶ hung (declare it: the port is failed at once, then reset, power cycle)
//! hung ──any answer──▶ healthy (recovered)
//! any ──echo back on / restart announced──▶ re-initialise (settings lost)
//! any ──plain ERROR where codes were on / notices off──▶ read the settings back
//! any ──settings read back, something drifted──▶ re-initialise
//! ```
//!
//! **Hang detection.** An idle port's health check uses the short probe timeout, and a timed-out
//! command is followed by one bare `AT` with the same timeout: a modem that stopped answering is
//! declared hung within check interval + 2 × probe timeout (+ the engine's resynchronisation),
//! about 11 s with the defaults (5 s, 2 s), instead of two full command timeouts.

use std::time::Duration;
use tokio::time::Instant;

/// What the worker saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A command got a final result (any: `OK`, `ERROR`, `+CMS ERROR`…).
    Answered,
    /// A command got no final result in time.
    TimedOut,
    /// The probe after a timeout was answered.
    ProbeAnswered,
    /// The probe got no answer either.
    ProbeUnanswered,
    /// Our command lines are echoed although `ATE0` had taken effect.
    EchoBack,
    /// The modem announced a restart (`RDY`, `^SYSSTART`…).
    Restarted,
    /// A hint of lost settings that needs confirming (plain `ERROR` where codes were on,
    /// registration notices off), in words.
    Suspicious(String),
    /// The settings were read back: what drifted, in words (empty: nothing).
    Checked(Vec<String>),
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing.
    Nothing,
    /// Send the probe (a bare `AT`, short timeout).
    Probe,
    /// Read the settings back.
    CheckSettings,
    /// Initialise again (count a reset, sweep storage after), saying why.
    Reinitialise(String),
    /// The modem is hung: fail the port now, then reset / power-cycle it.
    DeclareHung {
        /// Since the first unanswered command.
        after: Duration,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Healthy,
    Suspect { since: Instant },
    Hung,
}

/// The watchdog of one port (see the module docs).
#[derive(Debug, Clone)]
pub struct Watchdog {
    phase: Phase,
}

impl Default for Watchdog {
    fn default() -> Self {
        Self::new()
    }
}

impl Watchdog {
    /// A healthy port.
    pub fn new() -> Self {
        Watchdog {
            phase: Phase::Healthy,
        }
    }

    /// The modem was declared hung and has not answered since.
    pub fn is_hung(&self) -> bool {
        self.phase == Phase::Hung
    }

    /// A timeout is being checked.
    pub fn is_suspect(&self) -> bool {
        matches!(self.phase, Phase::Suspect { .. })
    }

    /// The port was reopened or re-initialised from scratch.
    pub fn reset(&mut self) {
        self.phase = Phase::Healthy;
    }

    /// What `seen` at `now` asks for.
    pub fn on(&mut self, seen: Seen, now: Instant) -> Action {
        match (self.phase, seen) {
            (_, Seen::Answered | Seen::ProbeAnswered) => {
                self.phase = Phase::Healthy;
                Action::Nothing
            }
            (Phase::Hung, _) => Action::Nothing,
            (Phase::Healthy, Seen::TimedOut) => {
                self.phase = Phase::Suspect { since: now };
                Action::Probe
            }
            (Phase::Suspect { .. }, Seen::TimedOut) => Action::Probe,
            (Phase::Suspect { since }, Seen::ProbeUnanswered) => {
                self.phase = Phase::Hung;
                Action::DeclareHung {
                    after: now.saturating_duration_since(since),
                }
            }
            (Phase::Healthy, Seen::ProbeUnanswered) => {
                self.phase = Phase::Hung;
                Action::DeclareHung {
                    after: Duration::ZERO,
                }
            }
            (_, Seen::EchoBack) => Action::Reinitialise("the modem echoes commands again".into()),
            (_, Seen::Restarted) => Action::Reinitialise("the modem restarted".into()),
            (_, Seen::Suspicious(_)) => Action::CheckSettings,
            (_, Seen::Checked(d)) if d.is_empty() => Action::Nothing,
            (_, Seen::Checked(d)) => Action::Reinitialise(d.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn seen_all() -> Vec<Seen> {
        vec![
            Seen::Answered,
            Seen::TimedOut,
            Seen::ProbeAnswered,
            Seen::ProbeUnanswered,
            Seen::EchoBack,
            Seen::Restarted,
            Seen::Suspicious("plain ERROR".into()),
            Seen::Checked(vec![]),
            Seen::Checked(vec!["error codes changed".into()]),
        ]
    }

    fn in_phase(p: &str, t: Instant) -> Watchdog {
        let mut w = Watchdog::new();
        match p {
            "suspect" => {
                w.on(Seen::TimedOut, t);
            }
            "hung" => {
                w.on(Seen::TimedOut, t);
                w.on(Seen::ProbeUnanswered, t);
            }
            _ => {}
        }
        w
    }

    #[test]
    fn every_phase_and_observation_pair_has_the_documented_action() {
        let t = Instant::now();
        let mut checked = 0;
        for phase in ["healthy", "suspect", "hung"] {
            for seen in seen_all() {
                let mut w = in_phase(phase, t);
                let got = w.on(seen.clone(), t + 3 * S);
                let expected = match (phase, &seen) {
                    (_, Seen::Answered | Seen::ProbeAnswered) => Action::Nothing,
                    ("hung", _) => Action::Nothing,
                    (_, Seen::TimedOut) => Action::Probe,
                    ("suspect", Seen::ProbeUnanswered) => Action::DeclareHung { after: 3 * S },
                    (_, Seen::ProbeUnanswered) => Action::DeclareHung {
                        after: Duration::ZERO,
                    },
                    (_, Seen::EchoBack) => {
                        Action::Reinitialise("the modem echoes commands again".into())
                    }
                    (_, Seen::Restarted) => Action::Reinitialise("the modem restarted".into()),
                    (_, Seen::Suspicious(_)) => Action::CheckSettings,
                    (_, Seen::Checked(d)) if d.is_empty() => Action::Nothing,
                    (_, Seen::Checked(_)) => Action::Reinitialise("error codes changed".into()),
                };
                assert_eq!(got, expected, "{phase} × {seen:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 3 * 9);
    }

    #[test]
    fn a_timeout_then_an_unanswered_probe_declares_the_modem_hung_with_the_time_it_took() {
        let t = Instant::now();
        let mut w = Watchdog::new();
        assert_eq!(w.on(Seen::TimedOut, t), Action::Probe);
        assert!(w.is_suspect());
        assert_eq!(
            w.on(Seen::ProbeUnanswered, t + 4 * S),
            Action::DeclareHung { after: 4 * S }
        );
        assert!(w.is_hung());
        assert_eq!(
            w.on(Seen::TimedOut, t + 9 * S),
            Action::Nothing,
            "recovery is under way"
        );
        assert_eq!(w.on(Seen::Answered, t + 20 * S), Action::Nothing);
        assert!(!w.is_hung());
    }

    #[test]
    fn a_slow_answer_is_not_a_hang() {
        let t = Instant::now();
        let mut w = Watchdog::new();
        w.on(Seen::TimedOut, t);
        assert_eq!(w.on(Seen::ProbeAnswered, t + S), Action::Nothing);
        assert!(!w.is_suspect() && !w.is_hung());
    }

    #[test]
    fn a_hint_is_confirmed_by_reading_the_settings_and_only_a_drift_reinitialises() {
        let t = Instant::now();
        let mut w = Watchdog::new();
        assert_eq!(
            w.on(Seen::Suspicious("plain ERROR".into()), t),
            Action::CheckSettings
        );
        assert_eq!(w.on(Seen::Checked(vec![]), t), Action::Nothing);
        assert_eq!(
            w.on(Seen::Checked(vec!["a".into(), "b".into()]), t),
            Action::Reinitialise("a; b".into())
        );
    }
}
