//! Keeping an AT port healthy: the watchdog's actions (probe, settings check, re-initialise,
//! declare hung), the poll, the idle health check, the bench probe, reset and recovery.
//!
//! **The signatures of a silent reboot** (a modem that lost its settings without a boot line):
//! our commands echoed again, a plain `ERROR` where error codes were on, `AT+CREG?` showing
//! registration notices off. An echo re-initialises at once; the other two are confirmed by
//! reading the settings back (`AT+CMEE?`, `AT+CNMI?`, `AT+CREG?`), which the idle health check
//! also does every `check_interval_ms`. A re-initialisation counts as a reset and is followed
//! by a sweep of the message and status-report memories.

use super::supervision::Observation;
use super::watchdog::{Action, Seen};
use super::worker::{Exit, PortWorker, RESET_WAIT_BOUNDS, SweepReason, is_closed, ms};
use smsgate_at::Opener;
use smsgate_modem::commands::info::SimState;
use smsgate_modem::commands::network::RegDomain;
use smsgate_modem::settings::registration_notices_off;
use smsgate_modem::{Modem, ModemError};
use tokio::time::Instant;

impl<O: Opener + 'static> PortWorker<O> {
    /// Tells the watchdog what the last step showed and carries out what it asks, until it has
    /// nothing more to say. An echo seen since init counts first.
    pub(super) async fn watch(&mut self, modem: &mut Modem) -> Result<(), Exit> {
        if modem.echo_returned() {
            self.seen.push_front(Seen::EchoBack);
        }
        while let Some(seen) = self.seen.pop_front() {
            let action = self.watchdog.on(seen, Instant::now());
            self.act(modem, action).await?;
        }
        Ok(())
    }

    async fn act(&mut self, modem: &mut Modem, action: Action) -> Result<(), Exit> {
        let probe = ms(self.settings.supervision.probe_timeout_ms);
        match action {
            Action::Nothing => Ok(()),
            Action::Probe => {
                // A slow answer or a hung modem? A bare `AT` with the short timeout tells.
                match modem.ping(probe).await {
                    Ok(()) => self.seen.push_back(Seen::ProbeAnswered),
                    Err(e) if is_closed(&e) => return Err(Exit::Closed),
                    Err(e) if super::outcome::is_hang(&e) => {
                        self.seen.push_back(Seen::ProbeUnanswered);
                    }
                    // It answered something (ERROR…): alive.
                    Err(_) => self.seen.push_back(Seen::ProbeAnswered),
                }
                Ok(())
            }
            Action::CheckSettings => {
                match modem.check_settings(probe).await {
                    Ok(drift) => self.seen.push_back(Seen::Checked(
                        drift.iter().map(ToString::to_string).collect(),
                    )),
                    Err(e) if is_closed(&e) => return Err(Exit::Closed),
                    Err(e) if super::outcome::is_hang(&e) => self.seen.push_back(Seen::TimedOut),
                    Err(e) => {
                        tracing::debug!(port = self.id, error = %e, "reading the settings back failed")
                    }
                }
                Ok(())
            }
            Action::Reinitialise(why) => {
                self.seen.clear();
                self.reinitialise(modem, &why).await
            }
            Action::DeclareHung { after } => {
                self.seen.clear();
                tracing::warn!(
                    port = self.id,
                    after_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                    "the modem does not answer: declared hung; resetting it"
                );
                self.observe(Observation::Hung);
                self.publish(true);
                self.recover(modem).await
            }
        }
    }

    /// The modem lost its settings: initialise again (a reset), then sweep its storage.
    async fn reinitialise(&mut self, modem: &mut Modem, why: &str) -> Result<(), Exit> {
        tracing::warn!(
            port = self.id,
            why,
            "the modem lost its settings; initialising it again"
        );
        self.observe(Observation::SettingsLost(why.to_owned()));
        self.publish(true);
        self.inbound.forget_slots();
        self.watchdog.reset();
        self.init(modem, SweepReason::AfterRecovery).await
    }

    /// The idle health check: settings read back (a silent reboot shows here within one
    /// interval) and the storage (full?), each command with the short probe timeout.
    pub(super) async fn check(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        if !self.sup.state.is_connected() || self.watchdog.is_hung() {
            return Ok(());
        }
        let probe = ms(self.settings.supervision.probe_timeout_ms);
        let drift = modem.check_settings(probe).await?;
        self.seen.push_back(Seen::Checked(
            drift.iter().map(ToString::to_string).collect(),
        ));
        if !drift.is_empty() {
            // Re-initialised before anything else runs on a modem in its defaults.
            return Ok(());
        }
        self.check_storage(modem).await
    }

    /// The bench time is over: a health probe (the modem answers, the SIM is ready, the
    /// network registration holds) ends the bench; a failing one benches the port again.
    pub(super) async fn bench_probe(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        match self.health_check(modem).await {
            Ok(Ok(())) => {
                self.health.probe_passed();
                tracing::info!(
                    port = self.id,
                    "port back from the bench: the health check passed"
                );
                Ok(())
            }
            Ok(Err(why)) => {
                tracing::info!(
                    port = self.id,
                    why,
                    "health check failed; the port stays benched"
                );
                self.health.probe_failed(Instant::now(), &why);
                Ok(())
            }
            Err(e) => {
                self.health.probe_failed(Instant::now(), &e.to_string());
                Err(e)
            }
        }
    }

    /// `Ok(Err(why))`: the modem answers but is not fit to send.
    async fn health_check(&mut self, modem: &mut Modem) -> Result<Result<(), String>, ModemError> {
        let probe = ms(self.settings.supervision.probe_timeout_ms);
        modem.ping(probe).await?;
        match modem.sim_state().await? {
            SimState::Ready => {}
            other => return Ok(Err(format!("SIM {other:?}"))),
        }
        let cs = modem.registration(RegDomain::Cs).await?;
        if cs.as_ref().is_some_and(|r| r.status.is_registered()) {
            return Ok(Ok(()));
        }
        if let Ok(Some(eps)) = modem.registration(RegDomain::Eps).await
            && eps.status.is_registered()
        {
            return Ok(Ok(()));
        }
        Ok(Err(match cs {
            Some(r) => format!("not registered ({:?})", r.status),
            None => "no registration state".into(),
        }))
    }

    /// Soft resets, then gives up (the caller power-cycles and reopens).
    pub(super) async fn recover(&mut self, modem: &mut Modem) -> Result<(), Exit> {
        let tries = self.settings.supervision.resets_before_power_cycle;
        for _ in 0..tries {
            match self.reset(modem).await {
                Ok(()) => return Ok(()),
                Err(Exit::Closed) => return Err(Exit::Closed),
                Err(_) => {}
            }
        }
        self.observe(Observation::Hung);
        Err(Exit::Hung)
    }

    /// Restarts the modem (`AT+CFUN=1,1` or the profile's), initialises it again, sweeps.
    pub(super) async fn reset(&mut self, modem: &mut Modem) -> Result<(), Exit> {
        self.sup.counters.resets += 1;
        self.observe(Observation::Initialising);
        self.publish(true);
        tracing::warn!(port = self.id, "resetting the modem");
        let wait = (ms(self.settings.supervision.command_timeout_ms) * 4)
            .clamp(RESET_WAIT_BOUNDS.0, RESET_WAIT_BOUNDS.1);
        self.inbound.forget_slots();
        match modem.reset(wait).await {
            Ok(_) => {
                self.watchdog.reset();
                self.seen.clear();
                self.observe(Observation::Initialised);
                if let Err(e) = self.poll(modem).await {
                    return Err(self.setup_exit(&e));
                }
                if let Err(e) = self.sweep_storage(modem, SweepReason::AfterRecovery).await {
                    return Err(self.setup_exit(&e));
                }
                if self.sup.state.can_send() {
                    self.health.probe_passed();
                }
                Ok(())
            }
            Err(e) => Err(self.setup_exit(&e)),
        }
    }

    /// SIM state, registration (and whether its notices are still on), signal, operator.
    pub(super) async fn poll(&mut self, modem: &mut Modem) -> Result<(), ModemError> {
        match modem.sim_state().await? {
            SimState::Ready => {
                if !matches!(
                    self.sup.state,
                    super::PortState::Searching
                        | super::PortState::Registered
                        | super::PortState::Roaming
                        | super::PortState::Denied
                ) {
                    // The SIM is back (or the PIN was entered elsewhere): initialise again.
                    self.observe(Observation::Initialising);
                    self.sup.sim.iccid = None;
                    self.sup.sim.imsi = None;
                    // A failed init is recorded in the state; the next poll tries again.
                    let _ = Box::pin(self.init(modem, SweepReason::AfterRecovery)).await;
                    return Ok(());
                }
            }
            SimState::SimPin if self.init_options().pin.is_some() => {
                self.observe(Observation::Initialising);
                let _ = Box::pin(self.init(modem, SweepReason::AfterRecovery)).await;
                return Ok(());
            }
            SimState::SimPin => {
                self.observe(Observation::PinRequired);
                return Ok(());
            }
            other => {
                self.observe(Observation::SimProblem(format!("{other:?}")));
                return Ok(());
            }
        }
        let mut reg = modem.registration(RegDomain::Cs).await?;
        if let Some(r) = &reg
            && registration_notices_off(modem.expected_settings(), r)
        {
            self.seen
                .push_back(Seen::Suspicious("registration notices are off".into()));
        }
        if !reg.as_ref().is_some_and(|r| r.status.is_registered())
            && let Ok(Some(eps)) = modem.registration(RegDomain::Eps).await
            && eps.status.is_registered()
        {
            reg = Some(eps);
        }
        if let Some(r) = reg {
            self.observe(Observation::Registration(r.status));
        }
        if let Ok(s) = modem.signal().await {
            self.sup.signal_dbm = s.dbm();
            if let Some(d) = s.dbm() {
                self.deps.metrics.set_signal(self.id, f64::from(d));
            }
        }
        if let Ok(op) = modem.operator().await {
            self.sup.operator = op.name;
        }
        Ok(())
    }
}
