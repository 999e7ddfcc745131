//! Power control of the simulated modems of `smsgate sim` through its control API
//! (`[power] simulator_control`): a power cycle posts the `power-off` fault to port `N`'s modem
//! `N`, waits [`OFF_TIME`], then posts `power-on` — the modem's pty goes and comes back with
//! boot URCs, as a module whose PWRKEY was pulsed. Test benches and the demo only; a real box
//! wires `smsgate_hardware::power::PowerControl` on its GPIO lines instead.

use super::PowerCycle;
use smsgate_config::gateway::GatewayConfig;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long the simulated modem stays off.
pub const OFF_TIME: Duration = Duration::from_secs(1);
/// Longest wait for one answer of the control API.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// One simulated modem's power, through the simulator's control API.
#[derive(Debug)]
pub struct SimulatorPower {
    client: reqwest::Client,
    control: String,
    modem: u16,
    runtime: tokio::runtime::Handle,
}

impl SimulatorPower {
    /// Modem `modem` of the simulator at `control`, called with `client` (one shared by every
    /// port); the calls run on `runtime`.
    pub fn new(
        client: reqwest::Client,
        control: &str,
        modem: u16,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        Self {
            client,
            control: control.trim_end_matches('/').to_owned(),
            modem,
            runtime,
        }
    }

    async fn fault(&self, kind: &str) -> Result<(), String> {
        let url = format!("{}/api/modems/{}/fault", self.control, self.modem);
        let r = self
            .client
            .post(&url)
            .timeout(CALL_TIMEOUT)
            .json(&serde_json::json!({ "kind": kind }))
            .send()
            .await
            .map_err(|e| format!("simulator control {url}: {e}"))?;
        if r.status().is_success() {
            Ok(())
        } else {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            Err(format!(
                "simulator control {url}: {kind}: HTTP {status} {body}"
            ))
        }
    }
}

impl PowerCycle for SimulatorPower {
    // Blocking by contract: the worker runs it on a blocking thread, where `block_on` is allowed.
    fn power_cycle(&mut self) -> Result<(), String> {
        self.runtime.block_on(async {
            self.fault("power-off").await?;
            tokio::time::sleep(OFF_TIME).await;
            self.fault("power-on").await
        })
    }
}

/// The power control `config` asks for, per AT port id (empty when `[power]` is off).
pub fn from_config(
    config: &GatewayConfig,
    runtime: &tokio::runtime::Handle,
) -> BTreeMap<u16, Box<dyn PowerCycle>> {
    let Some(control) = &config.power.simulator_control else {
        return BTreeMap::new();
    };
    let client = reqwest::Client::new();
    config
        .ports
        .iter()
        .map(|p| {
            let power: Box<dyn PowerCycle> = Box::new(SimulatorPower::new(
                client.clone(),
                control,
                p.id,
                runtime.clone(),
            ));
            (p.id, power)
        })
        .collect()
}
