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
//! any connected state ──settings_lost──▶ initialising (a silent reboot: counted as a reset)
//! ```
//!
//! Besides the state, [`reaction`] says what an observation asks the worker to do at once: a
//! "registered" notice on a failed or PIN-locked port means the SIM is back — check now rather
//! than at the next poll.
//!
//! What the API shows ([`Supervisor`]'s JSON) adds two things the machine does not own: a
//! sendable port that is benched shows `"state": "benched"` with the bench's reason and end
//! ([`BenchView`]; `"registration"` keeps the machine's state), and a full message storage shows
//! in `storage` and `reason` ([`StorageView`]).

use crate::schedule::bench::BenchCause;
use chrono::{DateTime, Utc};
use serde::Serialize;
use smsgate_modem::commands::network::RegStatus;

/// Supervision state of one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
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

    /// The name the API shows.
    pub fn as_str(self) -> &'static str {
        match self {
            PortState::Absent => "absent",
            PortState::Initialising => "initialising",
            PortState::PinRequired => "pin_required",
            PortState::Searching => "searching",
            PortState::Registered => "registered",
            PortState::Roaming => "roaming",
            PortState::Denied => "denied",
            PortState::Failed => "failed",
        }
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
    /// The modem lost its settings without saying so (echo back on, error codes or indications
    /// off): it is initialised again.
    SettingsLost(String),
    /// A registration state (poll or URC).
    Registration(RegStatus),
}

/// Counters of one port (since the gateway started).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    /// Times the message storage was found full.
    pub storage_full: u64,
    /// Times the modem was declared hung.
    pub hangs: u64,
    /// Unsolicited lines dropped because the modem sent them faster than they were read
    /// (since the port was last opened).
    pub urcs_dropped: u64,
}

/// SIM and device identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

/// A bench as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BenchView {
    /// What failed.
    pub cause: BenchCause,
    /// The failure as the modem or network said it.
    pub reason: String,
    /// Benched at.
    pub since: DateTime<Utc>,
    /// End of the bench time; then a health check decides.
    pub until: DateTime<Utc>,
    /// The whole thing in words: why, and when it ends.
    pub words: String,
}

impl BenchView {
    /// A bench of `cause` for `reason`, from `since` until `until`, seen at `now`; `probed`:
    /// the bench ends with a health check (AT ports) rather than by itself.
    pub fn new(
        cause: BenchCause,
        reason: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        probed: bool,
    ) -> Self {
        let left = (until - now).num_seconds();
        let when = if left > 0 {
            format!("{} UTC (in {left} s)", until.format("%H:%M:%S"))
        } else {
            "now".to_owned()
        };
        let words = if probed {
            format!(
                "benched: {} ({reason}); back after {when} once a health check passes",
                cause.words()
            )
        } else {
            format!("benched: {} ({reason}); back at {when}", cause.words())
        };
        Self {
            cause,
            reason: reason.to_owned(),
            since,
            until,
            words,
        }
    }
}

/// The message storage as the API shows it (the memory where new messages go).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StorageView {
    /// Memory (`SM`, `ME`…).
    pub memory: String,
    /// Messages stored.
    pub used: u32,
    /// Capacity.
    pub total: u32,
    /// No room for a new message: they wait at the network until the gateway frees slots.
    pub full: bool,
}

impl StorageView {
    /// The reason an operator reads while the storage is full.
    pub fn words(&self) -> String {
        format!(
            "message storage {} full ({} of {}): new messages wait at the network while stored ones are read and deleted",
            self.memory, self.used, self.total
        )
    }
}

/// The supervision state of one port with everything the API shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "SupervisorJson")]
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
    /// Benched (skipped by its groups) after failures.
    pub benched: bool,
    /// The bench, with its reason and end, while benched.
    pub bench: Option<BenchView>,
    /// The message storage, once read (`AT+CPMS?`).
    pub storage: Option<StorageView>,
    /// Last USSD balance answer.
    pub balance: Option<String>,
}

/// The API form of a [`Supervisor`]: what an operator should see first comes first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Port)]
pub struct SupervisorJson {
    port: u16,
    /// `benched` for a sendable port on the bench, else the supervision state.
    #[schema(value_type = String)]
    state: &'static str,
    /// The supervision state (registration) whatever the bench.
    registration: PortState,
    reason: Option<String>,
    signal_dbm: Option<i16>,
    operator: Option<String>,
    sim: SimIdentity,
    counters: PortCounters,
    benched: bool,
    bench: Option<BenchView>,
    storage: Option<StorageView>,
    balance: Option<String>,
}

impl From<Supervisor> for SupervisorJson {
    fn from(s: Supervisor) -> Self {
        let shown_bench = s.state.can_send() && s.benched;
        let full = s.storage.as_ref().filter(|v| v.full);
        let reason = match (&s.bench, full) {
            (Some(b), _) if shown_bench => Some(b.words.clone()),
            (_, Some(v)) if s.state.can_send() => Some(v.words()),
            _ => s.reason.clone(),
        };
        SupervisorJson {
            port: s.port,
            state: if shown_bench {
                "benched"
            } else {
                s.state.as_str()
            },
            registration: s.state,
            reason,
            signal_dbm: s.signal_dbm,
            operator: s.operator,
            sim: s.sim,
            counters: s.counters,
            benched: s.benched,
            bench: if s.benched { s.bench } else { None },
            storage: s.storage,
            balance: s.balance,
        }
    }
}

/// What an observation asks the worker to do at once (besides changing the state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// Nothing.
    None,
    /// Check the SIM and registration now (and initialise again if the SIM is back).
    CheckNow,
}

/// The reaction to `obs` in `state`: registration notices are acted on in every state. A
/// "registered" notice on a port that is failed or waits for a PIN means its SIM is usable
/// again; a registration lost on a port that could send may mean its SIM went away. Either
/// way the worker checks now instead of at the next poll. (Repeated notices of the same kind
/// change nothing: the first one moved the state.)
pub fn reaction(state: PortState, obs: &Observation) -> Reaction {
    match (state, obs) {
        (PortState::Failed | PortState::PinRequired, Observation::Registration(r))
            if r.is_registered() =>
        {
            Reaction::CheckNow
        }
        (s, Observation::Registration(r)) if s.can_send() && !r.is_registered() => {
            Reaction::CheckNow
        }
        _ => Reaction::None,
    }
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
            bench: None,
            storage: None,
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
            Observation::SettingsLost(_) => self.counters.resets += 1,
            Observation::Hung => self.counters.hangs += 1,
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
        O::SettingsLost(why) if state.is_connected() => (
            S::Initialising,
            Some(format!(
                "the modem lost its settings ({why}); initialising again"
            )),
        ),
        O::SettingsLost(_) => (state, None),
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
            O::SettingsLost("x".into()),
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
            O::SettingsLost(_) if state == S::Absent => S::Absent,
            O::SettingsLost(_) => S::Initialising,
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
        assert_eq!(checked, 8 * 17);
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

    #[test]
    fn registration_notices_that_change_what_the_port_can_do_ask_for_a_check_now() {
        for state in S::ALL {
            for o in observations() {
                let expected = match &o {
                    O::Registration(r) if r.is_registered() => {
                        matches!(state, S::Failed | S::PinRequired)
                    }
                    O::Registration(_) => state.can_send(),
                    _ => false,
                };
                assert_eq!(
                    reaction(state, &o) == Reaction::CheckNow,
                    expected,
                    "{state:?} × {o:?}"
                );
            }
        }
    }

    #[test]
    fn lost_settings_count_as_a_reset_and_say_why() {
        let mut sup = Supervisor::new(1);
        sup.observe(O::Opened);
        sup.observe(O::Initialised);
        sup.observe(O::Registration(RegStatus::Home));
        assert_eq!(
            sup.observe(O::SettingsLost("the modem echoes commands again".into())),
            S::Initialising
        );
        assert_eq!(sup.counters.resets, 1);
        assert!(
            sup.reason
                .as_deref()
                .unwrap()
                .contains("echoes commands again")
        );
        sup.observe(O::Initialised);
        assert_eq!(sup.observe(O::Registration(RegStatus::Home)), S::Registered);
        assert_eq!(sup.reason, None);
    }

    fn registered() -> Supervisor {
        let mut sup = Supervisor::new(2);
        sup.observe(O::Opened);
        sup.observe(O::Initialised);
        sup.observe(O::Registration(RegStatus::Home));
        sup
    }

    #[test]
    fn a_benched_registered_port_shows_benched_with_its_reason_and_end_in_words() {
        let mut sup = registered();
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        sup.benched = true;
        sup.bench = Some(BenchView::new(
            BenchCause::Network,
            "+CMS ERROR: network out of order (38)",
            now,
            now + chrono::Duration::seconds(4),
            now,
            true,
        ));
        let v = serde_json::to_value(&sup).unwrap();
        assert_eq!(v["state"], "benched");
        assert_eq!(v["registration"], "registered");
        assert_eq!(
            v["reason"],
            "benched: the network refused messages (+CMS ERROR: network out of order (38)); back after 10:00:04 UTC (in 4 s) once a health check passes"
        );
        assert_eq!(v["bench"]["cause"], "network");
        assert_eq!(v["bench"]["until"], "2026-03-01T10:00:04Z");
    }

    #[test]
    fn a_bench_shows_only_while_benched_and_never_hides_a_worse_state() {
        let mut sup = registered();
        let now = chrono::Utc::now();
        sup.bench = Some(BenchView::new(BenchCause::Modem, "x", now, now, now, false));
        let v = serde_json::to_value(&sup).unwrap();
        assert_eq!(
            (v["state"].as_str(), v["bench"].is_null()),
            (Some("registered"), true)
        );
        sup.benched = true;
        sup.observe(O::Closed);
        let v = serde_json::to_value(&sup).unwrap();
        assert_eq!(v["state"], "absent");
        assert_eq!(v["reason"], "the modem went away");
    }

    #[test]
    fn a_full_storage_shows_on_a_registered_port_with_its_reason() {
        let mut sup = registered();
        sup.storage = Some(StorageView {
            memory: "SM".into(),
            used: 30,
            total: 30,
            full: true,
        });
        let v = serde_json::to_value(&sup).unwrap();
        assert_eq!(v["state"], "registered");
        assert!(
            v["reason"]
                .as_str()
                .unwrap()
                .starts_with("message storage SM full (30 of 30)")
        );
        assert_eq!(v["storage"]["full"], true);
    }
}
