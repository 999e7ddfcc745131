//! The per-port supervision state machine (pure): what the worker observes goes in, the port's
//! state comes out, together with its signal, operator, SIM identity and counters.
//!
//! ```text
//! absent ──opened──▶ initialising ──initialised──▶ searching ──registration──▶ registered | roaming | denied
//!   ▲                    │  │                          ▲   (home/roaming/denied/searching move between these four)
//!   │                    │  └─pin_required──▶ pin required
//!   │                    └──failed/sim_problem/hung──▶ failed
//!   └──closed / open_failed (from any state)
//! failed | pin required ──opened / initialising──▶ initialising
//! ```

use serde::Serialize;
use smsgate_modem::commands::network::RegStatus;

/// Supervision state of one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortState {
    /// The modem is not there (open failed, unplugged, engine closed).
    Absent,
    /// Opened; probing and initialising.
    Initialising,
    /// The SIM asks for a PIN and none (or a wrong one) is configured.
    PinRequired,
    /// Initialised, not (yet) registered.
    Searching,
    /// Registered on the home network.
    Registered,
    /// Registered on a visited network.
    Roaming,
    /// The network denied registration.
    Denied,
    /// The modem or SIM is unusable (SIM missing, PUK, init failed, hung).
    Failed,
}

impl PortState {
    /// All states (exhaustive tests).
    pub const ALL: [PortState; 8] = [
        PortState::Absent,
        PortState::Initialising,
        PortState::PinRequired,
        PortState::Searching,
        PortState::Registered,
        PortState::Roaming,
        PortState::Denied,
        PortState::Failed,
    ];

    /// Whether a port in this state may send.
    pub fn can_send(self) -> bool {
        matches!(self, PortState::Registered | PortState::Roaming)
    }

    /// Whether the modem is connected and answering (may be polled).
    pub fn is_connected(self) -> bool {
        !matches!(self, PortState::Absent)
    }
}

/// Something the worker saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The transport was opened; probing starts.
    Opened,
    /// Opening the transport failed.
    OpenFailed(String),
    /// The engine closed (unplugged, TCP peer gone).
    Closed,
    /// Re-initialisation starts on a connected modem (after a reset or a SIM change).
    Initialising,
    /// Init finished; registration not known yet.
    Initialised,
    /// The SIM wants a PIN we do not have (or ours was refused).
    PinRequired,
    /// SIM missing, PUK-locked or otherwise unusable.
    SimProblem(String),
    /// Probe/init failed for another reason.
    InitFailed(String),
    /// The modem stopped answering commands.
    Hung,
    /// A registration state (poll or URC).
    Registration(RegStatus),
}

/// Counters of one port (since the gateway started).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PortCounters {
    /// Messages accepted by the network.
    pub sent: u64,
    /// Send attempts that failed (retried elsewhere or failed for good).
    pub failed: u64,
    /// Sends whose outcome is unknown (the PDU may have gone out).
    pub unknown: u64,
    /// Inbound messages committed.
    pub received: u64,
    /// Delivery reports recorded.
    pub reports: u64,
    /// Soft resets (`AT+CFUN`).
    pub resets: u64,
    /// Power cycles.
    pub power_cycles: u64,
    /// Times the transport was (re)opened.
    pub opens: u64,
}

/// SIM and device identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimIdentity {
    /// ICCID (the SIM's identity; per-SIM caps count against it).
    pub iccid: Option<String>,
    /// IMSI.
    pub imsi: Option<String>,
    /// IMEI of the modem.
    pub imei: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
}

/// The supervision state of one port with everything the API shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Supervisor {
    /// Port id.
    pub port: u16,
    /// Current state.
    pub state: PortState,
    /// Why the port is absent/failed/pin-required, if it is.
    pub reason: Option<String>,
    /// Last signal strength in dBm (`None` unknown).
    pub signal_dbm: Option<i16>,
    /// Operator name.
    pub operator: Option<String>,
    /// SIM identity.
    pub sim: SimIdentity,
    /// Counters.
    pub counters: PortCounters,
    /// Benched (skipped by its groups) after repeated failures.
    pub benched: bool,
    /// Last USSD balance answer.
    pub balance: Option<String>,
}

impl Supervisor {
    /// A port not opened yet.
    pub fn new(port: u16) -> Self {
        Self {
            port,
            state: PortState::Absent,
            reason: Some("not opened yet".into()),
            signal_dbm: None,
            operator: None,
            sim: SimIdentity::default(),
            counters: PortCounters::default(),
            benched: false,
            balance: None,
        }
    }

    /// Applies an observation; returns the new state.
    pub fn observe(&mut self, obs: Observation) -> PortState {
        let (next, reason) = transition(self.state, &obs);
        if next != self.state || reason.is_some() || obs == Observation::Initialised {
            self.reason = reason;
        }
        match obs {
            Observation::Opened => self.counters.opens += 1,
            Observation::Closed | Observation::OpenFailed(_) => {
                self.signal_dbm = None;
                self.operator = None;
            }
            Observation::SimProblem(_) => {
                self.sim.iccid = None;
                self.sim.imsi = None;
            }
            _ => {}
        }
        self.state = next;
        next
    }
}

/// The transition function: the next state and the reason to show (if any).
pub fn transition(state: PortState, obs: &Observation) -> (PortState, Option<String>) {
    use Observation as O;
    use PortState as S;
    match obs {
        O::Opened | O::Initialising => (S::Initialising, None),
        O::OpenFailed(e) => (S::Absent, Some(format!("cannot open: {e}"))),
        O::Closed => (S::Absent, Some("the modem went away".into())),
        O::PinRequired => (S::PinRequired, Some("the SIM asks for a PIN".into())),
        O::SimProblem(e) => (S::Failed, Some(format!("SIM: {e}"))),
        O::InitFailed(e) => (S::Failed, Some(format!("init: {e}"))),
        O::Hung => (S::Failed, Some("the modem does not answer".into())),
        O::Initialised => match state {
            S::Initialising => (S::Searching, None),
            other => (other, None),
        },
        O::Registration(r) => match state {
            S::Searching | S::Registered | S::Roaming | S::Denied => (registration_state(*r), None),
            other => (other, None),
        },
    }
}

/// The state a registration status means on an initialised modem.
pub fn registration_state(r: RegStatus) -> PortState {
    if r.is_registered() && r.is_roaming() {
        PortState::Roaming
    } else if r.is_registered() {
        PortState::Registered
    } else if r == RegStatus::Denied {
        PortState::Denied
    } else {
        PortState::Searching
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Observation as O;
    use PortState as S;

    fn observations() -> Vec<Observation> {
        vec![
            O::Opened,
            O::OpenFailed("x".into()),
            O::Closed,
            O::Initialising,
            O::Initialised,
            O::PinRequired,
            O::SimProblem("x".into()),
            O::InitFailed("x".into()),
            O::Hung,
            O::Registration(RegStatus::Home),
            O::Registration(RegStatus::Roaming),
            O::Registration(RegStatus::Denied),
            O::Registration(RegStatus::Searching),
            O::Registration(RegStatus::NotRegistered),
            O::Registration(RegStatus::SmsOnlyHome),
            O::Registration(RegStatus::SmsOnlyRoaming),
        ]
    }

    fn expected(state: S, obs: &Observation) -> S {
        let initialised = matches!(state, S::Searching | S::Registered | S::Roaming | S::Denied);
        match obs {
            O::Opened | O::Initialising => S::Initialising,
            O::OpenFailed(_) | O::Closed => S::Absent,
            O::PinRequired => S::PinRequired,
            O::SimProblem(_) | O::InitFailed(_) | O::Hung => S::Failed,
            O::Initialised if state == S::Initialising => S::Searching,
            O::Initialised => state,
            O::Registration(_) if !initialised => state,
            O::Registration(RegStatus::Home | RegStatus::SmsOnlyHome) => S::Registered,
            O::Registration(RegStatus::Roaming | RegStatus::SmsOnlyRoaming) => S::Roaming,
            O::Registration(RegStatus::Denied) => S::Denied,
            O::Registration(_) => S::Searching,
        }
    }

    #[test]
    fn every_state_and_observation_pair_has_the_documented_outcome() {
        let mut checked = 0;
        for s in S::ALL {
            for o in observations() {
                assert_eq!(transition(s, &o).0, expected(s, &o), "{s:?} × {o:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 8 * 16);
    }

    #[test]
    fn only_registered_and_roaming_ports_may_send() {
        let senders: Vec<S> = S::ALL.into_iter().filter(|s| s.can_send()).collect();
        assert_eq!(senders, [S::Registered, S::Roaming]);
    }

    #[test]
    fn a_registration_urc_does_not_revive_a_failed_or_absent_port() {
        for s in [S::Absent, S::Failed, S::PinRequired, S::Initialising] {
            assert_eq!(
                transition(s, &O::Registration(RegStatus::Home)).0,
                s,
                "{s:?}"
            );
        }
    }

    #[test]
    fn an_unplugged_modem_goes_absent_and_recovers_through_initialising() {
        let mut sup = Supervisor::new(3);
        sup.observe(O::Opened);
        sup.observe(O::Initialised);
        sup.signal_dbm = Some(-71);
        assert_eq!(sup.observe(O::Registration(RegStatus::Home)), S::Registered);
        assert_eq!(sup.observe(O::Closed), S::Absent);
        assert_eq!(sup.signal_dbm, None, "a gone modem has no signal");
        assert_eq!(sup.reason.as_deref(), Some("the modem went away"));
        assert_eq!(sup.observe(O::Opened), S::Initialising);
        assert_eq!(sup.observe(O::Initialised), S::Searching);
        assert_eq!(sup.observe(O::Registration(RegStatus::Roaming)), S::Roaming);
        assert_eq!(sup.reason, None);
        assert_eq!(sup.counters.opens, 2);
    }

    #[test]
    fn a_removed_sim_fails_the_port_and_forgets_its_identity() {
        let mut sup = Supervisor::new(0);
        sup.observe(O::Opened);
        sup.sim.iccid = Some("8901".into());
        sup.observe(O::Initialised);
        assert_eq!(sup.observe(O::SimProblem("not inserted".into())), S::Failed);
        assert_eq!(sup.sim.iccid, None);
        assert_eq!(sup.reason.as_deref(), Some("SIM: not inserted"));
    }
}
